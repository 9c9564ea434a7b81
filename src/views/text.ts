/** Words in figure labels and report text that depend on a number. */

/**
 * "1 layer", "3 layers": `n` (digits as they are, no grouping, as reports print numbers) and
 * the noun, plural unless n is 1 (`plural` defaults to the noun plus "s").
 *
 * @example
 *   count(1, "layer"); // "1 layer"
 *   count(2, "class", "classes"); // "2 classes"
 */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

/**
 * `text` with no line break inside a quantity: a comparison sign and the number after it, and
 * a number and the word after it (its unit or noun), are joined by no-break spaces ("≥ 2" →
 * "≥\u00a02", "10 samples" → "10\u00a0samples"), so a narrow table cell wraps between
 * quantities, never inside one.
 *
 * @example
 *   keepQuantitiesWhole("integer ≥ 1, ≤ 100"); // "integer ≥\u00a01, ≤\u00a0100"
 */
export function keepQuantitiesWhole(text: string): string {
  return text
    .replace(/([≥≤<>=±]) (?=[-−]?\.?\d)/g, "$1\u00a0")
    .replace(/(\d) (?=\p{L}|[%×°])/gu, "$1\u00a0");
}

/** Width of a digit of 12 px system-ui text (the house size of figure text), px (~0.6 em). */
const DIGIT_WIDTH = 7.2;
/**
 * Ways a heatmap cell may print a number below 100, most precise first (100 and above: whole).
 * Never rounded to a whole number: CKA's 0.056 and 0.94 are not "0" and "1".
 */
const CELL_FORMATS: ((value: number) => string)[] = [
  (v) => v.toPrecision(2),
  (v) => v.toFixed(2),
  (v) => v.toFixed(1),
];

/**
 * The most precise labelling of heatmap cells `cellWidth` px wide whose every line fits, at the
 * house's 12 px, with 2 px to spare on each side: `text` builds a cell's label with the number
 * format it is given (two significant digits, else two decimals, else one); null when none
 * fits, and the values stay in the tooltips (numbers that touch read as one number).
 *
 * @example
 *   const label = cellLabels(cells, 35, (c, f) => f(c.value)); // "0.056" is too wide: "0.06"
 */
export function cellLabels<T>(
  cells: readonly T[],
  cellWidth: number,
  text: (cell: T, format: (value: number) => string) => string,
): ((cell: T) => string) | null {
  for (const digits of CELL_FORMATS) {
    const format = (v: number) =>
      !Number.isFinite(v) ? "–" : Math.abs(v) >= 100 ? v.toFixed(0) : digits(v);
    const label = (cell: T) => text(cell, format);
    let longest = 0;
    for (const cell of cells)
      for (const line of label(cell).split("\n")) longest = Math.max(longest, line.length);
    if (longest * DIGIT_WIDTH <= cellWidth - 4) return label;
  }
  return null;
}
