/**
 * Exact k-nearest neighbours by blocked brute force in the core (assembly/knn.ts).
 *
 * Each row's neighbours exclude the row itself and are sorted nearest first; ties in distance
 * are broken by the lower row index, so results are unique and reproducible.
 *
 * Extreme values: data outside the kernels' range are scaled by a power of two first and the
 * distances scaled back (src/algo/range.ts), so indices equal those of the rescaled data; data
 * whose rows differ by less than float32 distances resolve are refused with E_RANGE, and so are
 * squared distances that float32 cannot hold.
 *
 * @example
 *   const {indices, distances} = await knn(X, {k: 10});
 *   // indices[i * 10 + j] is the (j+1)-th nearest other row of row i
 *
 * See also: pairwiseDistances (all distances), KnnIndex (repeated queries on resident data).
 */
import { HiddenAtlasError } from "../core/errors.ts";
import { assertMatrix, type Matrix } from "../core/matrix.ts";
import { checkInteger, checkKeyword, checkOptionNames } from "../core/params.ts";
import { ProgressTracker, type RunOptions } from "../core/progress.ts";
import { getCore, type Core, type Resident } from "../core/wasm.ts";
import { METRICS, METRIC_CODE, type Metric } from "./distance.ts";
import {
  jointKernelRange,
  queriesToKernelRange,
  rowsToKernelRange,
  toDataUnits,
  toKernelRange,
} from "./range.ts";

/** Largest k the kernel supports (heaps live in a fixed scratch block). */
export const MAX_K = 256;

export interface KnnOptions extends RunOptions {
  /** Neighbours per row. Defaults to 5 (scikit-learn `NearestNeighbors(n_neighbors=5)`). */
  k?: number;
  /** "euclidean" (default), "sqeuclidean" or "cosine" (1 − cosine similarity). */
  metric?: Metric;
}

export interface KnnResult {
  /** Number of query rows. */
  n: number;
  k: number;
  metric: Metric;
  /** n × k row indices, nearest first. */
  indices: Int32Array;
  /** n × k distances in the metric's units, ascending. */
  distances: Float32Array;
}

const defaults = { k: 5, metric: "euclidean" as Metric };

/** Query rows per kernel call: bounds the time between progress checkpoints. */
const QUERY_CHUNK = 128;

function checkK(k: unknown, candidates: number): number {
  const max = Math.min(MAX_K, candidates);
  if (candidates < 1) {
    throw new HiddenAtlasError(
      "E_PARAM",
      `kNN needs at least 2 rows (one row has no other row to be near); got ${candidates + 1}`,
    );
  }
  return checkInteger("k", k, 1, max);
}

/**
 * The k nearest other rows of every row of X.
 * Throws E_PARAM unless 1 ≤ k ≤ min(256, X.rows − 1).
 */
export async function knn(X: Matrix, options: KnnOptions = {}): Promise<KnnResult> {
  checkOptionNames("knn", options, defaults);
  assertMatrix(X, "X");
  const metric = checkKeyword("metric", options.metric ?? defaults.metric, METRICS);
  const k = checkK(options.k ?? defaults.k, X.rows - 1);
  const index = await KnnIndex.build(X, { metric });
  try {
    return await index.searchSelf(k, options);
  } finally {
    index.dispose();
  }
}

/**
 * The k nearest rows of X (the base) for every row of Q (the queries); no row is excluded.
 */
export async function knnQuery(X: Matrix, Q: Matrix, options: KnnOptions = {}): Promise<KnnResult> {
  checkOptionNames("knnQuery", options, defaults);
  assertMatrix(X, "X");
  assertMatrix(Q, "queries");
  const metric = checkKeyword("metric", options.metric ?? defaults.metric, METRICS);
  const k = checkK(options.k ?? defaults.k, X.rows);
  if (Q.cols !== X.cols) {
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `queries have ${Q.cols} columns but the data has ${X.cols}`,
    );
  }
  if (metric === "cosine") {
    const index = await KnnIndex.build(X, { metric });
    try {
      return await index.search(Q, k, options);
    } finally {
      index.dispose();
    }
  }
  // Data and queries share one power of two: their rows are compared with each other.
  const {
    matrices: [Xk, Qk],
    scale,
  } = jointKernelRange([X, Q], ["X", "queries"]);
  const index = await KnnIndex.fromKernelData(Xk, scale, metric);
  try {
    return await index.searchKernelRows(Qk, k, options);
  } finally {
    index.dispose();
  }
}

/**
 * Rows kept resident in wasm memory for repeated neighbour queries (a notebook clicking
 * through points queries the same data many times without copying it again).
 * Call `dispose()` when done.
 */
export class KnnIndex {
  private constructor(
    private readonly core: Core,
    private readonly rows: Resident<Float32Array>,
    readonly n: number,
    readonly dim: number,
    readonly metric: Metric,
    /** Kernel units per data unit (src/algo/range.ts); 1 for cosine, which has no units. */
    readonly scale: number,
  ) {}

  static async build(X: Matrix, { metric = "euclidean" as Metric } = {}): Promise<KnnIndex> {
    assertMatrix(X, "X");
    checkKeyword("metric", metric, METRICS);
    if (metric === "cosine") return KnnIndex.fromKernelData(rowsToKernelRange(X, "X"), 1, metric);
    const { X: Xk, scale } = toKernelRange(X, "X");
    return KnnIndex.fromKernelData(Xk, scale, metric);
  }

  /** An index of rows already in kernel units (`scale` kernel units per data unit). */
  static async fromKernelData(Xk: Matrix, scale: number, metric: Metric): Promise<KnnIndex> {
    const core = await getCore();
    const rows = core.resident(Xk.data, `kNN index of ${Xk.rows} × ${Xk.cols}`);
    if (metric === "cosine") core.kernels.normalizeRows(rows.ptr, rows.ptr, Xk.rows, Xk.cols);
    return new KnnIndex(core, rows, Xk.rows, Xk.cols, metric, scale);
  }

  /** Neighbours of every indexed row, excluding itself. */
  async searchSelf(k: number, options: RunOptions = {}): Promise<KnnResult> {
    checkK(k, this.n - 1);
    return this.run(this.rows.ptr, 0, this.n, k, 0, options);
  }

  /** Neighbours of one indexed row (itself excluded): for clicking on a point. */
  async neighborsOf(row: number, k: number): Promise<KnnResult> {
    checkInteger("row", row, 0, this.n - 1);
    checkK(k, this.n - 1);
    // The query is the indexed row itself: no copy, and selfOffset 0 excludes it.
    return this.run(this.rows.ptr, row, row + 1, k, 0, {});
  }

  /** Neighbours of new query rows; none excluded. */
  async search(Q: Matrix, k: number, options: RunOptions = {}): Promise<KnnResult> {
    assertMatrix(Q, "queries");
    if (Q.cols !== this.dim) {
      throw new HiddenAtlasError(
        "E_SHAPE_MISMATCH",
        `queries have ${Q.cols} columns but the index has ${this.dim}`,
      );
    }
    checkK(k, this.n);
    const Qk =
      this.metric === "cosine"
        ? rowsToKernelRange(Q, "queries")
        : queriesToKernelRange(Q, this.scale, "queries");
    return this.searchKernelRows(Qk, k, options);
  }

  /** Neighbours of query rows already in the index's kernel units. */
  async searchKernelRows(Qk: Matrix, k: number, options: RunOptions = {}): Promise<KnnResult> {
    return this.core.scope(async (s) => {
      const q = s.upload(Qk.data, "query rows");
      if (this.metric === "cosine") this.core.kernels.normalizeRows(q.ptr, q.ptr, Qk.rows, Qk.cols);
      return this.run(q.ptr, 0, Qk.rows, k, -1, options);
    });
  }

  /**
   * Run the kernel for query rows [q0, q1) of the matrix at `queries`; the result holds only
   * those rows. selfOffset ≥ 0 excludes base row selfOffset + q from query q.
   */
  private async run(
    queries: number,
    q0: number,
    q1: number,
    k: number,
    selfOffset: number,
    options: RunOptions,
  ): Promise<KnnResult> {
    const { core } = this;
    const m = q1 - q0;
    return core.scope(async (s) => {
      const indices = s.i32(m * k, "kNN indices");
      const distances = s.f32(m * k, "kNN distances");
      // One scratch block per kernel thread; the job runs on at most that many.
      const threads = core.threads;
      const scratchBytes = core.kernels.knnScratchBytes(k);
      const scratch = Array.from({ length: threads }, () => s.alloc(scratchBytes, "kNN scratch"));
      const progress = new ProgressTracker(options, "kNN", m);
      await core.parallelRows(
        {
          kernel: "knnSearch",
          rows: m,
          chunk: QUERY_CHUNK,
          args: [
            this.rows.ptr,
            this.n,
            queries,
            { base: q0, i0: 1 },
            { base: q0, i1: 1 },
            this.dim,
            k,
            METRIC_CODE[this.metric],
            selfOffset,
            { base: indices.ptr, i0: k * 4 },
            { base: distances.ptr, i0: k * 4 },
            { thread: scratch },
          ],
        },
        { signal: options.signal, onRows: (rows) => progress.report(rows), threads },
      );
      progress.finish();
      return {
        n: m,
        k,
        metric: this.metric,
        indices: indices.copy(),
        distances: this.inDataUnits(distances.copy()),
      };
    });
  }

  /** Kernel distances in the data's units (squared distances scale by the square). */
  private inDataUnits(distances: Float32Array): Float32Array {
    if (this.metric === "cosine") return distances;
    if (this.metric === "euclidean") return toDataUnits(distances, 1 / this.scale, "kNN distances");
    return toDataUnits(
      distances,
      1 / (this.scale * this.scale),
      "squared kNN distances",
      'use metric "euclidean", whose distances are in the data\'s units',
    );
  }

  dispose(): void {
    this.rows.dispose();
  }
  /** `using x = …` disposes x at the end of its block. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
