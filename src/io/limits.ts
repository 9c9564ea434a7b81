/**
 * The memory budget every reader checks before it allocates. The numeric core is wasm32, so a
 * dataset it can work on fits in 2 GiB as float32; refusing larger inputs up front, from the
 * sizes a header *announces*, keeps a hostile or corrupt file from making us allocate at all.
 *
 * The budget bounds what is resident, not what is on disk: a layer read lazily (bundle.ts,
 * stored.ts) streams through in chunks, and only its reduced vectors must fit.
 */
import { HiddenAtlasError, formatBytes } from "../core/errors.ts";

/** 2 GiB: the float32 working set the wasm32 core can hold (the default budget). */
export const MEMORY_BUDGET_BYTES = 2 ** 31;

/** Bytes per element once data are float32, the form every analysis works on. */
const FLOAT32_BYTES = 4;

let budget = MEMORY_BUDGET_BYTES;

/** The budget in force, in bytes. */
export function memoryBudget(): number {
  return budget;
}

/**
 * Change the budget (e.g. lower it in a test, so that small files stand in for huge ones);
 * returns the previous budget so the caller can restore it. E_PARAM unless a positive integer.
 */
export function setMemoryBudget(bytes: number): number {
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new HiddenAtlasError(
      "E_PARAM",
      `invalid memory budget: ${bytes} (expected a positive integer number of bytes)`,
      { parameter: "budget" },
    );
  }
  const previous = budget;
  budget = bytes;
  return previous;
}

const UNITS: Record<string, number> = { "": 1, b: 1, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30 };

/**
 * A budget written by a person: bytes, or a number with KiB, MiB or GiB ("512MiB", "1.5 GiB").
 * E_PARAM (naming `name`) for anything else or for less than one byte.
 *
 * @example
 * setMemoryBudget(parseBudget(new URLSearchParams(location.search).get("budget") ?? "2GiB"));
 */
export function parseBudget(text: string, name = "budget"): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kib|mib|gib)?\s*$/i.exec(text);
  const bytes = match ? Math.floor(Number(match[1]) * UNITS[(match[2] ?? "").toLowerCase()]) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new HiddenAtlasError(
      "E_PARAM",
      `invalid ${name}: ${JSON.stringify(text)} (expected a number of bytes, or of KiB, MiB or GiB, e.g. 512MiB)`,
      { parameter: name },
    );
  }
  return bytes;
}

/**
 * The number of elements of `shape`, or Infinity when it is not a safe integer. A zero
 * dimension makes the count 0 whatever the others are, so it is looked for first.
 */
export function elementCount(shape: readonly number[]): number {
  if (shape.some((dim) => dim === 0)) return 0;
  let count = 1;
  for (const dim of shape) {
    count *= dim;
    if (!Number.isSafeInteger(count)) return Infinity;
  }
  return count;
}

/** Throw E_TOO_LARGE when `count` elements would not fit the budget as float32. */
export function assertWithinBudget(count: number, what: string, file: string): void {
  const bytesNeeded = count * FLOAT32_BYTES;
  if (bytesNeeded > budget) {
    throw new HiddenAtlasError(
      "E_TOO_LARGE",
      `${file}: ${what} needs ${describeBytes(bytesNeeded)} as float32, more than the ` +
        `${formatBytes(budget)} ${budgetName()}`,
      { file, bytesNeeded },
    );
  }
}

/** Throw E_TOO_LARGE when an archive's declared uncompressed bytes exceed the budget. */
export function assertBytesWithinBudget(bytesNeeded: number, what: string, file: string): void {
  if (bytesNeeded > budget) {
    throw new HiddenAtlasError(
      "E_TOO_LARGE",
      `${file}: ${what} ${describeBytes(bytesNeeded)}, more than the ` +
        `${formatBytes(budget)} budget`,
      { file, bytesNeeded },
    );
  }
}

/**
 * Throw E_TOO_LARGE when a command's working set — what it must hold at once: its inputs as
 * float32, the copies a reader makes, its output and its main scratch — exceeds the budget.
 * `what` says what is held ("the 40000 × 5 neighbour lists beside 40000 × 3 values"), `file`
 * the input it comes from.
 */
export function assertWorkingSet(bytesNeeded: number, what: string, file: string): void {
  if (bytesNeeded > budget) {
    throw new HiddenAtlasError(
      "E_TOO_LARGE",
      `${file}: ${what} needs ${describeBytes(bytesNeeded)}, more than the ${formatBytes(budget)} ${budgetName()}`,
      { file, bytesNeeded },
    );
  }
}

/** "1.5 GiB (1610612736 bytes)", or a phrase for counts beyond 2^53. */
export function describeBytes(bytes: number): string {
  return Number.isFinite(bytes) ? `${formatBytes(bytes)} (${bytes} bytes)` : "more than 2^53 bytes";
}

/** How messages name the budget: what the default stands for, or that it was lowered. */
export function budgetName(): string {
  return budget === MEMORY_BUDGET_BYTES ? "the wasm32 core can hold" : "memory budget";
}
