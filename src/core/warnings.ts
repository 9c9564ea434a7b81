/**
 * Warnings raised while a computation runs — a neighbour graph in several pieces, a parameter
 * clamped to the data, an eigen-solver stopped early. An analysis runs the same embedding on
 * every layer, stage and seed, so the same sentence can be raised a dozen times: `Warnings`
 * keeps each distinct message once, in the order first raised, and counts the repeats, so a
 * reader sees "… (×6)" instead of six copies. Algorithms return `warnings.list()`.
 */
export class Warnings {
  readonly #counts = new Map<string, number>();

  /** Record a message (its count grows if it was raised before). */
  warn(message: string): void {
    this.#counts.set(message, (this.#counts.get(message) ?? 0) + 1);
  }

  /** Record every message of a list, each with an optional prefix naming where it came from. */
  addAll(messages: Iterable<string>, prefix = ""): void {
    for (const m of messages) this.warn(prefix + m);
  }

  /** How many distinct messages were raised. */
  get size(): number {
    return this.#counts.size;
  }

  /** Each message once, first-raised first; one raised n > 1 times ends in " (×n)". */
  list(): string[] {
    return Array.from(this.#counts, ([message, n]) => (n > 1 ? `${message} (×${n})` : message));
  }
}

/** The messages of several lists, each once with its count (see `Warnings`). */
export function mergeWarnings(...lists: Iterable<string>[]): string[] {
  const w = new Warnings();
  for (const list of lists) w.addAll(list);
  return w.list();
}
