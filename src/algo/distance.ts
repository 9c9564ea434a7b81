/**
 * Pairwise distances between rows, computed by the f32x4 kernels of assembly/distance.ts.
 *
 * @example
 *   const D = await pairwiseDistances(X, undefined, {metric: "euclidean"}); // X.rows × X.rows
 */
import { HiddenAtlasError, formatBytes } from "../core/errors.ts";
import { assertMatrix, type Matrix } from "../core/matrix.ts";
import { checkKeyword, checkOptionNames } from "../core/params.ts";
import { ProgressTracker, type RunOptions } from "../core/progress.ts";
import { getCore, type Core, type Scope } from "../core/wasm.ts";
import { jointKernelRange, rowsToKernelRange, toDataUnits } from "./range.ts";

export const METRICS = ["sqeuclidean", "euclidean", "cosine"] as const;
export type Metric = (typeof METRICS)[number];

/** Kernel codes of assembly/distance.ts. */
export const METRIC_CODE: Record<Metric, number> = { sqeuclidean: 0, euclidean: 1, cosine: 2 };

export interface DistanceOptions extends RunOptions {
  /**
   * "euclidean" (default, as scikit-learn's `pairwise_distances`), "sqeuclidean", or "cosine"
   * (1 − cosine similarity; a zero row is at distance 1 from every row, as in scikit-learn).
   */
  metric?: Metric;
}

const defaults: Required<Pick<DistanceOptions, "metric">> = { metric: "euclidean" };

/** Largest distance matrix returned (a JS typed array may hold at most ~2^31 bytes portably). */
const MAX_RESULT_BYTES = 2 ** 31 - 1;

/** Rows per kernel call: bounds the time between progress checkpoints. */
const ROW_CHUNK = 256;
/** Bytes of distance rows computed in wasm memory before they are copied out (two such blocks). */
const BLOCK_BYTES = 64 * 1024 ** 2;
/** Blocks the rows are cut into at least, so that the copy-out of one overlaps the next. */
const PIPELINE_BLOCKS = 4;
/** Chunks a pipelined block is cut into at least (distanceRows). */
const MIN_BLOCK_CHUNKS = 8;
/**
 * On several threads, bytes of distance rows a chunk computes into its thread's scratch block
 * before that thread copies them out: small enough to be copied from its cache.
 */
const COPY_CHUNK_BYTES = 1024 ** 2;

/**
 * Distances between every row of X and every row of Y (Y defaults to X): an X.rows × Y.rows
 * matrix. Refuses with E_TOO_LARGE when the result cannot fit in memory. Extreme values are
 * scaled into the kernels' range and the distances scaled back, or refused with E_RANGE
 * (src/algo/range.ts).
 *
 * On more than one thread (and more than one chunk of rows: about 1 MiB of distances) the
 * result's data is a Float32Array over a SharedArrayBuffer, which the kernel threads filled
 * (each copies out the rows it computed); the bytes are those of one thread. Posting it to a
 * worker shares it rather than copying it (`data.slice()` gives an ordinary copy, e.g. for APIs
 * that refuse shared memory such as `new Blob`).
 */
export async function pairwiseDistances(
  X: Matrix,
  Y: Matrix | undefined = undefined,
  options: DistanceOptions = {},
): Promise<Matrix> {
  checkOptionNames("pairwiseDistances", options, defaults);
  const metric = checkKeyword("metric", options.metric ?? defaults.metric, METRICS);
  assertMatrix(X, "X");
  const other = Y ?? X;
  if (Y !== undefined) {
    assertMatrix(Y, "Y");
    if (Y.cols !== X.cols) {
      throw new HiddenAtlasError(
        "E_SHAPE_MISMATCH",
        `X has ${X.cols} columns but Y has ${Y.cols}; rows must have the same dimension`,
      );
    }
  }
  // X and Y in kernel units: one power of two for both (cosine: one per row, no units).
  let scale = 1;
  let Xk: Matrix;
  let Yk: Matrix | undefined;
  if (metric === "cosine") {
    Xk = rowsToKernelRange(X, "X");
    Yk = Y === undefined ? undefined : rowsToKernelRange(Y, "Y");
  } else {
    const joint = jointKernelRange(Y === undefined ? [X] : [X, Y], ["X", "Y"]);
    [Xk, Yk] = joint.matrices;
    scale = joint.scale;
  }
  const outBytes = X.rows * other.rows * 4;
  const core = await getCore();
  // Several threads share the work (and the copy) only when there are several chunks of rows.
  const threads =
    typeof SharedArrayBuffer === "function" && X.rows > copyChunkRows(other.rows)
      ? core.threads
      : 1;
  const scratchBytes =
    threads > 1
      ? threads * copyChunkRows(other.rows) * other.rows * 4
      : 2 * blockRows(X.rows, other.rows) * other.rows * 4;
  core.assertFits(
    X.data.byteLength + other.data.byteLength + scratchBytes,
    `distances between ${X.rows} and ${other.rows} rows`,
  );
  if (outBytes > MAX_RESULT_BYTES) {
    throw new HiddenAtlasError(
      "E_TOO_LARGE",
      `a ${X.rows} × ${other.rows} distance matrix needs ${formatBytes(outBytes)}; the limit is ${formatBytes(MAX_RESULT_BYTES)}. Use knn() for neighbourhoods, or subsample.`,
      { bytesNeeded: outBytes },
    );
  }
  const out =
    threads > 1
      ? new Float32Array(new SharedArrayBuffer(outBytes))
      : new Float32Array(X.rows * other.rows);
  await core.scope(async (s) => {
    const x = prepareRows(core, s, Xk, metric);
    const y = Yk === undefined ? x : prepareRows(core, s, Yk, metric);
    const progress = new ProgressTracker(options, "distances", X.rows);
    if (threads > 1) {
      // One job over all rows: each thread computes a chunk into its own scratch block and
      // copies it into `out` itself, so the copy (and the first touch of out's fresh pages) is
      // shared by the threads instead of following the job on this one.
      const chunk = copyChunkRows(other.rows);
      const scratch = Array.from(
        { length: threads },
        () => s.f32(chunk * other.rows, "distance rows").ptr,
      );
      await core.parallelRows(
        {
          kernel: "pairwiseDistances",
          rows: X.rows,
          chunk,
          args: [
            x,
            y,
            other.rows,
            X.cols,
            { i0: 1 },
            { i1: 1 },
            METRIC_CODE[metric],
            { thread: scratch },
          ],
          copyOut: { to: out, from: { thread: scratch }, width: other.rows },
        },
        { signal: options.signal, threads, onRows: (rows) => progress.report(rows) },
      );
      progress.finish();
      return;
    }
    await distanceRows(
      core,
      s,
      x,
      y,
      X.rows,
      other.rows,
      X.cols,
      METRIC_CODE[metric],
      (rows, i0) => out.set(rows, i0 * other.rows),
      {
        signal: options.signal,
        onRows: (rows) => progress.report(rows),
      },
    );
    progress.finish();
  });
  const data =
    metric === "euclidean"
      ? toDataUnits(out, 1 / scale, "distances", undefined, true)
      : metric === "sqeuclidean"
        ? toDataUnits(
            out,
            1 / (scale * scale),
            "squared distances",
            'use metric "euclidean", whose distances are in the data\'s units',
            true,
          )
        : out;
  return { rows: X.rows, cols: other.rows, data };
}

/**
 * Rows of a chunk on several threads: about COPY_CHUNK_BYTES of distances, in whole register
 * tiles of 4 rows, from 4 to ROW_CHUNK.
 */
function copyChunkRows(cols: number): number {
  const rows = Math.floor(COPY_CHUNK_BYTES / Math.max(1, cols * 4) / 4) * 4;
  return Math.max(4, Math.min(ROW_CHUNK, rows));
}

/**
 * Rows of a distance block: whole chunks, up to BLOCK_BYTES (at least one chunk), and at most
 * about 1/PIPELINE_BLOCKS of the rows, so that copying one block out overlaps the next.
 */
function blockRows(rows: number, cols: number): number {
  const fit = Math.max(
    ROW_CHUNK,
    Math.floor(BLOCK_BYTES / Math.max(1, cols * 4 * ROW_CHUNK)) * ROW_CHUNK,
  );
  const share = Math.ceil(rows / PIPELINE_BLOCKS / ROW_CHUNK) * ROW_CHUNK;
  return Math.max(1, Math.min(rows, fit, share));
}

/**
 * Distances of rows [0, nx) of the matrix at `x` to the ny rows at `y` (both d wide, in wasm
 * memory; for cosine normalised), a block of rows at a time on the kernel threads; `take`
 * receives each block (a view, valid until it returns) and the index of its first row. Two
 * blocks alternate: while `take` copies one out on this thread, the kernel threads compute the
 * next (each row's distances are its own, so the blocks do not change a byte).
 */
export async function distanceRows(
  core: Core,
  s: Scope,
  x: number,
  y: number,
  nx: number,
  ny: number,
  d: number,
  metricCode: number,
  take: (rows: Float32Array, i0: number) => void,
  options: { signal?: AbortSignal; onRows?: (rows: number) => void } = {},
): Promise<void> {
  const rows = blockRows(nx, ny);
  // Several chunks a block, so that a block of a mid-sized matrix (PHATE's 1,000 potential rows
  // give blocks of 256) is shared by the threads instead of being one chunk on one of them. Each
  // row's distances are its own, so the chunking does not change a byte.
  const chunk = Math.max(1, Math.min(ROW_CHUNK, Math.ceil(rows / MIN_BLOCK_CHUNKS)));
  const blocks = [s.f32(rows * ny, "distance rows")];
  if (rows < nx) blocks.push(s.f32(rows * ny, "distance rows"));
  const start = (b0: number) =>
    core.parallelRows(
      {
        kernel: "pairwiseDistances",
        rows: Math.min(nx, b0 + rows) - b0,
        chunk,
        args: [
          x,
          y,
          ny,
          d,
          { base: b0, i0: 1 },
          { base: b0, i1: 1 },
          metricCode,
          { base: blocks[(b0 / rows) % 2].ptr, i0: ny * 4 },
        ],
      },
      { signal: options.signal, onRows: (done) => options.onRows?.(b0 + done) },
    );
  // On one thread the blocks simply take turns: the next would run inline before the copy anyway.
  const overlap = core.threads > 1;
  let running = start(0);
  for (let b0 = 0; b0 < nx; b0 += rows) {
    await running;
    const b1 = Math.min(nx, b0 + rows);
    if (b1 < nx && overlap) running = start(b1);
    try {
      take(blocks[(b0 / rows) % 2].view().subarray(0, (b1 - b0) * ny), b0);
    } catch (error) {
      if (b1 < nx && overlap) await running.catch(() => {});
      throw error;
    }
    if (b1 < nx && !overlap) running = start(b1);
  }
}

/** Upload rows into the scope; for cosine, normalised in place in wasm memory. */
export function prepareRows(core: Core, scope: Scope, X: Matrix, metric: Metric): number {
  const block = scope.upload(X.data, "input rows");
  if (metric === "cosine") core.kernels.normalizeRows(block.ptr, block.ptr, X.rows, X.cols);
  return block.ptr;
}
