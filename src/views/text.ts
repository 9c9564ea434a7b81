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
