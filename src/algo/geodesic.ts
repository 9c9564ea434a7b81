/**
 * Geodesic distances: shortest paths along the union-symmetrised kNN graph (Euclidean edge
 * lengths), by Dijkstra's algorithm with a binary heap in the core (assembly/geodesic.ts).
 * Unreachable pairs are +Infinity. Matches scipy.sparse.csgraph.shortest_path(G,
 * directed=False) on scikit-learn's `kneighbors_graph(X, k, mode="distance")` symmetrised by
 * `G.maximum(G.T)`.
 *
 * All pairs are returned densely for n ≤ 5,000 (MAX_DENSE_GEODESIC: 100 MB of float32);
 * beyond that pass `sources` (e.g. landmarks) and get one row per source.
 *
 * @example
 *   const G = await geodesicDistances(X, {k: 10});               // n × n
 *   const rows = await geodesicDistances(X, {k: 10, sources: [0, 5]}); // 2 × n
 *
 * References:
 * 1. E. W. Dijkstra, "A note on two problems in connexion with graphs", Numer. Math. 1 (1959).
 * 2. J. B. Tenenbaum, V. de Silva, J. C. Langford, Science 290 (2000) — geodesics on the kNN graph.
 *
 * See also: knnGraph, isomap, geodesicCorrelation (metrics.ts).
 */
import "./embed-kernels.ts";
import { HiddenAtlasError, formatBytes } from "../core/errors.ts";
import { assertMatrix, type Matrix } from "../core/matrix.ts";
import { checkInteger, checkOptionNames } from "../core/params.ts";
import { ProgressTracker, type RunOptions } from "../core/progress.ts";
import { getCore } from "../core/wasm.ts";
import {
  checkGraphK,
  connectedComponents,
  knnGraph,
  uploadGraph,
  type SparseGraph,
} from "./graph.ts";
import { rangeParams, toDataUnits, toKernelRange } from "./range.ts";

/** Largest n for which all pairs are computed densely when no sources are given. */
export const MAX_DENSE_GEODESIC = 5000;

export interface GeodesicOptions extends RunOptions {
  /** Neighbours per point of the kNN graph. Defaults to 10 (scikit-learn Isomap uses 5). */
  k?: number;
  /** Rows to compute: source indices. Defaults to all points (n ≤ 5,000 only). */
  sources?: ArrayLike<number>;
}

export interface GeodesicResult {
  /** Number of sources (rows of `data`). */
  rows: number;
  /** Number of points (columns). */
  cols: number;
  /** rows × cols float32 distances, +Infinity where unreachable; row r is from sources[r]. */
  data: Float32Array;
  sources: Int32Array;
  /** Connected components of the graph (1 when every pair is finite). */
  components: number;
  /** `rangeScale`: the power of two extreme data were scaled by (src/algo/range.ts), when not 1. */
  params: { k: number; rangeScale?: number };
}

const defaults = { k: 10, sources: undefined as ArrayLike<number> | undefined };

/** Sources per kernel call: bounds the time between progress checkpoints. */
const SOURCE_CHUNK = 32;

export async function geodesicDistances(
  X: Matrix,
  options: GeodesicOptions = {},
): Promise<GeodesicResult> {
  checkOptionNames("geodesicDistances", options, defaults);
  assertMatrix(X, "X");
  const k = checkGraphK(options.k ?? defaults.k, X.rows);
  const sources = checkSources(options.sources, X.rows);
  // Extreme values: paths found in kernel units, lengths scaled back (src/algo/range.ts).
  const { X: Xk, scale } = toKernelRange(X, "X");
  const graph = await knnGraph(Xk, { k, signal: options.signal, onProgress: options.onProgress });
  const result = await shortestPaths(graph, {
    sources,
    signal: options.signal,
    onProgress: options.onProgress,
  });
  const data = toDataUnits(result.data, 1 / scale, "geodesic distances", undefined, true);
  return { ...result, data, params: { k, ...rangeParams(scale) } };
}

/** Check `sources` (indices in [0, n)), or default to all points when n is small enough. */
export function checkSources(sources: ArrayLike<number> | undefined, n: number): Int32Array {
  if (sources === undefined) {
    if (n > MAX_DENSE_GEODESIC) {
      throw new HiddenAtlasError(
        "E_TOO_LARGE",
        `all-pairs geodesic distances of ${n} points need ${formatBytes(n * n * 4)}; above ${MAX_DENSE_GEODESIC} points pass sources (e.g. landmarks)`,
        { bytesNeeded: n * n * 4 },
      );
    }
    return Int32Array.from({ length: n }, (_, i) => i);
  }
  if (typeof sources !== "object" || sources === null || typeof sources.length !== "number") {
    throw new HiddenAtlasError("E_PARAM", `invalid sources: expected an array of point indices`);
  }
  const out = new Int32Array(sources.length);
  for (let i = 0; i < sources.length; i++)
    out[i] = checkInteger(`sources[${i}]`, sources[i], 0, n - 1);
  return out;
}

/** Dijkstra from each source on a given graph (non-negative weights). */
export async function shortestPaths(
  graph: SparseGraph,
  options: RunOptions & { sources?: ArrayLike<number> } = {},
): Promise<Omit<GeodesicResult, "params">> {
  const n = graph.n;
  const sources = checkSources(options.sources, n);
  const core = await getCore();
  const rows = sources.length;
  const { count } = await connectedComponents(graph);
  const data = new Float32Array(rows * n);
  await core.scope(async (s) => {
    const g = uploadGraph(s, graph);
    const src = s.upload(sources.length ? sources : new Int32Array(1), "geodesic sources");
    const chunk = Math.min(SOURCE_CHUNK, Math.max(1, rows));
    const out = s.f32(chunk * n, "geodesic rows");
    const scratch = s.alloc(core.kernels.geodesicScratchBytes(n), "Dijkstra scratch");
    const progress = new ProgressTracker(options, "geodesics", rows);
    for (let s0 = 0; s0 < rows; s0 += chunk) {
      const s1 = Math.min(s0 + chunk, rows);
      core.kernels.geodesicFromSources(
        g.rowPtr,
        g.columns,
        g.values,
        n,
        src.ptr,
        s0,
        s1,
        out.ptr,
        scratch,
      );
      data.set(out.view().subarray(0, (s1 - s0) * n), s0 * n);
      await progress.step(s1);
    }
    progress.finish();
  });
  return { rows, cols: n, data, sources, components: count };
}
