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
