/**
 * The memory budget every reader checks before it allocates. The numeric core is wasm32, so a
 * dataset it can work on fits in 2 GiB as float32; refusing larger inputs up front, from the
 * sizes a header *announces*, keeps a hostile or corrupt file from making us allocate at all.
 */
import { HiddenAtlasError, formatBytes } from "../core/errors.ts";

/** 2 GiB: the float32 working set the wasm32 core can hold. */
export const MEMORY_BUDGET_BYTES = 2 ** 31;

/** Bytes per element once data are float32, the form every analysis works on. */
const FLOAT32_BYTES = 4;

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
  if (bytesNeeded > MEMORY_BUDGET_BYTES) {
    throw new HiddenAtlasError(
      "E_TOO_LARGE",
      `${file}: ${what} needs ${describeBytes(bytesNeeded)} as float32, more than the ` +
        `${formatBytes(MEMORY_BUDGET_BYTES)} the wasm32 core can hold`,
      { file, bytesNeeded },
    );
  }
}

/** Throw E_TOO_LARGE when an archive's declared uncompressed bytes exceed the budget. */
export function assertBytesWithinBudget(bytesNeeded: number, what: string, file: string): void {
  if (bytesNeeded > MEMORY_BUDGET_BYTES) {
    throw new HiddenAtlasError(
      "E_TOO_LARGE",
      `${file}: ${what} ${describeBytes(bytesNeeded)}, more than the ` +
        `${formatBytes(MEMORY_BUDGET_BYTES)} budget`,
      { file, bytesNeeded },
    );
  }
}

function describeBytes(bytes: number): string {
  return Number.isFinite(bytes) ? `${formatBytes(bytes)} (${bytes} bytes)` : "more than 2^53 bytes";
}
