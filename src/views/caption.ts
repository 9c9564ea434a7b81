/**
 * The words beside a figure computed on part of the data: "1,000 of 100,000 drawn (seed 42)".
 * Analyses that are O(N²) or worse (persistent homology, MDA's geodesic scores, exact t-SNE)
 * keep a seeded subsample by default; every figure made from one says so next to it, in the
 * notebook and in the report, with these words.
 */

export interface SubsampleTextOptions {
  /** Seed of the random choice, or null when the choice is not random. Defaults to null. */
  seed?: number | null;
  /** How the rows were chosen when not by a seed, e.g. "farthest points". Defaults to none. */
  method?: string;
  /** What was counted, e.g. "test images". Defaults to none ("1,000 of 100,000 drawn"). */
  noun?: string;
  /** What happened to them. Defaults to "drawn". */
  verb?: string;
}

/**
 * "1,000 of 100,000 drawn (seed 42)" when `shown` < `total`, else "" (nothing to say). Numbers
 * are grouped in thousands with commas.
 *
 * @example
 *   subsampleText(1000, 100000, {seed: 42}); // "1,000 of 100,000 drawn (seed 42)"
 *   subsampleText(300, 449, {noun: "test images", verb: "in each point cloud", method: "farthest points"});
 *   // "300 of 449 test images in each point cloud (farthest points)"
 */
export function subsampleText(
  shown: number,
  total: number,
  options: SubsampleTextOptions = {},
): string {
  if (!(shown < total)) return "";
  const how =
    options.seed !== undefined && options.seed !== null ? `seed ${options.seed}` : options.method;
  const noun = options.noun ? ` ${options.noun}` : "";
  return `${grouped(shown)} of ${grouped(total)}${noun} ${options.verb ?? "drawn"}${how ? ` (${how})` : ""}`;
}

/**
 * The same words as a `<p class="atlas-subsample">` (text, never markup), or null when every
 * row is used: put it next to the figure.
 */
export function subsampleNote(
  shown: number,
  total: number,
  options: SubsampleTextOptions & { document?: Document } = {},
): HTMLElement | null {
  const text = subsampleText(shown, total, options);
  if (!text) return null;
  const document = options.document ?? globalThis.document;
  const note = document.createElement("p");
  note.className = "atlas-subsample";
  note.textContent = `${text}.`;
  return note;
}

/** 100000 → "100,000". */
function grouped(n: number): string {
  return n.toLocaleString("en-US");
}
