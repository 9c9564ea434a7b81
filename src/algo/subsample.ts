/**
 * Choosing a subset of the rows of a point cloud: seeded uniform sampling, or greedy
 * farthest-point sampling (the "greedy permutation" of ripser.py's `n_perm`; the kernel is
 * farthestPointUpdate in assembly/cka.ts).
 *
 * - "random": `size` distinct rows drawn uniformly with the core's PCG32 generator; returned
 *   in ascending row order. Same seed → same rows.
 * - "farthest": start at row `start` (default 0, as ripser.py), then repeatedly add the row
 *   farthest (Euclidean) from the rows chosen so far; ties go to the lower row index. Returned
 *   in insertion order, so every prefix is itself a farthest-point sample. `insertionRadii[i]`
 *   is the distance of row i of the sample to the rows chosen before it (Infinity for the
 *   first), and `coverRadius` the largest distance of any input row to the sample: every row
 *   lies within coverRadius of a sampled row, a 2-approximation of the best such subset
 *   (Gonzalez 1985). By stability, the Rips diagrams of the sample are within coverRadius
 *   (bottleneck) of the full cloud's.
 *
 * @example
 *   const {indices} = await subsample(X, {size: 500, method: "farthest"});
 *   const Y = takeRows(X, indices);
 *
 * References:
 *   1. T. F. Gonzalez, Clustering to minimize the maximum intercluster distance, Theor. Comput.
 *      Sci. 38, 1985.
 *   2. scikit-tda/ripser.py, `get_greedy_perm` (the `n_perm` option), MIT.
 *   3. F. Chazal, V. de Silva, S. Oudot, Persistence stability for geometric complexes, Geom.
 *      Dedicata 173, 2014 (the bottleneck bound by the covering radius).
 *
 * See also: persistentHomology (src/algo/rips.ts).
 */
import { HiddenAtlasError } from "../core/errors.ts";
import { assertFinite, assertMatrix, type Matrix } from "../core/matrix.ts";
import { checkInteger, checkKeyword, checkOptionNames } from "../core/params.ts";
import { ProgressTracker, type RunOptions } from "../core/progress.ts";
import { DEFAULT_SEED, Rng, STREAMS, checkSeed } from "../core/random.ts";
import { getCore } from "../core/wasm.ts";

declare module "../core/wasm.ts" {
  interface CoreKernels {
    farthestPointUpdate(x: number, n: number, d: number, chosen: number, minDist: number): number;
  }
}

export const SUBSAMPLE_METHODS = ["random", "farthest"] as const;
export type SubsampleMethod = (typeof SUBSAMPLE_METHODS)[number];

export interface SubsampleOptions extends RunOptions {
  /** Rows to keep, 1 … n. Required. */
  size: number;
  /** "random" (default) or "farthest". */
  method?: SubsampleMethod;
  /** Seed of "random". Defaults to 42. */
  seed?: number;
  /** First row of "farthest". Defaults to 0 (ripser.py starts at 0). */
  start?: number;
}

export interface SubsampleResult {
  /** Chosen rows: ascending for "random", in insertion order for "farthest". */
  indices: Int32Array;
  /** "farthest": largest distance of any row to the sample; null for "random". */
  coverRadius: number | null;
  /** "farthest": distance of each chosen row to those chosen before it (first: Infinity). */
  insertionRadii: Float64Array | null;
  params: { size: number; method: SubsampleMethod; seed: number; start: number };
}

/** Re-exported: subsample() returns indices, and takeRows turns them into a matrix. */
export { takeRows } from "../core/matrix.ts";

const defaults = { size: 0, method: "random" as SubsampleMethod, seed: DEFAULT_SEED, start: 0 };

/**
 * `k` of the rows 0 … n−1 drawn at random with `seed`, ascending (all n when k ≥ n): the first k
 * of a seeded permutation. Every analysis that samples rows draws them here, from one stream,
 * so one seed picks the same rows in every notebook.
 */
export async function seededRows(n: number, k: number, seed: number): Promise<Int32Array> {
  if (k >= n) return Int32Array.from({ length: n }, (_, i) => i);
  const rng = new Rng(await getCore(), seed, STREAMS.sampleRows);
  try {
    return rng.permutation(n).slice(0, k).sort();
  } finally {
    rng.dispose();
  }
}

/** Choose `size` rows of X. Throws E_PARAM for invalid options, E_NON_FINITE on NaN/∞ rows. */
export async function subsample(X: Matrix, options: SubsampleOptions): Promise<SubsampleResult> {
  checkOptionNames("subsample", options ?? {}, defaults);
  assertMatrix(X, "X");
  const n = X.rows;
  if (n < 1) throw new HiddenAtlasError("E_PARAM", "subsample needs at least 1 row; got 0");
  const size = checkInteger("size", options?.size, 1, n);
  const method = checkKeyword("method", options.method ?? defaults.method, SUBSAMPLE_METHODS);
  const seed = checkSeed(options.seed ?? defaults.seed);
  const start = checkInteger("start", options.start ?? defaults.start, 0, n - 1);
  const params = { size, method, seed, start };
  if (method === "random")
    return {
      indices: await seededRows(n, size, seed),
      coverRadius: null,
      insertionRadii: null,
      params,
    };
  assertFinite(X, "X");
  const core = await getCore();
  return core.scope(async (s) => {
    const x = s.upload(X.data, "point cloud");
    const minDist = s.f64(n, "distances to the sample");
    minDist.view().fill(Infinity);
    const indices = new Int32Array(size);
    const radii = new Float64Array(size);
    const progress = new ProgressTracker(options, "farthest-point sampling", size);
    let next = start;
    let last = 0;
    radii[0] = Infinity;
    for (let m = 0; m < size; m++) {
      indices[m] = next;
      const farthest = core.kernels.farthestPointUpdate(x.ptr, n, X.cols, next, minDist.ptr);
      const value = minDist.view()[farthest];
      if (m + 1 < size) radii[m + 1] = value;
      last = farthest < 0 ? 0 : value;
      next = farthest;
      if ((m & 31) === 31) await progress.step(m + 1);
    }
    progress.finish();
    return { indices, coverRadius: last, insertionRadii: radii, params };
  });
}
