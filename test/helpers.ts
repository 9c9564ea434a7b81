// Small shared helpers for tests: a seeded PRNG (mulberry32) for test data, and matrix makers.
import type { Matrix } from "../src/core/matrix.ts";

/** mulberry32: a tiny seeded generator for test inputs (not the library's PRNG). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** rows × cols matrix of uniform values in [-1, 1). */
export function randomMatrix(rows: number, cols: number, seed = 1): Matrix {
  const random = mulberry32(seed);
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = random() * 2 - 1;
  return { rows, cols, data };
}

/** The bytes of a typed array, for byte-for-byte comparisons. */
export const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/**
 * Run `compute` once on each thread count (setThreads before each run), leaving the setting
 * at the last count: the shared core must have been loaded with at least that many threads.
 */
export async function onThreads<T>(
  compute: () => Promise<T>,
  counts: readonly number[] = [1, 2, 3, 4],
): Promise<T[]> {
  const { setThreads } = await import("../src/core/threads.ts");
  const out: T[] = [];
  for (const threads of counts) {
    setThreads(threads);
    out.push(await compute());
  }
  return out;
}

/**
 * Five Gaussian-ish clusters in d dimensions, the cluster of row i being i mod 5 (a 4 in
 * coordinate i mod 5, plus noise of ± 1.5·spread); seeded.
 */
export function clusters(n: number, d: number, seed: number, spread = 0.4): Matrix {
  const random = mulberry32(seed);
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = i % 5;
    for (let k = 0; k < d; k++)
      data[i * d + k] = (k === c ? 4 : 0) + spread * (random() + random() + random() - 1.5);
  }
  return { rows: n, cols: d, data };
}
