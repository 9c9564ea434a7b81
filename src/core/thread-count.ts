/**
 * The thread-count setting as text and its bounds: a module of its own so that the command
 * line can read `--threads` without loading the kernel threads (`hidden-atlas --help` stays
 * small).
 */
import { HiddenAtlasError } from "./errors.ts";

/** Most threads one may ask for. */
export const MAX_THREADS = 256;

/**
 * Read a thread setting written as text (a notebook's `?threads=` URL key, a form field): a
 * count from 1 to MAX_THREADS, or "auto" (also for an empty text). Anything else is E_PARAM.
 */
export function parseThreads(text: string): number | "auto" {
  const trimmed = text.trim();
  if (trimmed === "" || trimmed === "auto") return "auto";
  const n = Number(trimmed);
  if (!/^\d+$/.test(trimmed) || !Number.isSafeInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new HiddenAtlasError(
      "E_PARAM",
      `invalid threads: ${JSON.stringify(text)} (expected an integer from 1 to ${MAX_THREADS}, or "auto" for every core)`,
      { parameter: "threads" },
    );
  }
  return n;
}
