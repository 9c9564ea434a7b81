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
