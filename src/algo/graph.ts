/**
 * Sparse neighbourhood graphs (CSR) built from k-nearest-neighbour lists: the union-symmetrised
 * kNN graph with Euclidean edge lengths behind geodesic distances and Isomap, and the helpers
 * UMAP and t-SNE use to symmetrise their own edge weights. Kernels: assembly/graph.ts.
 *
 * @example
 *   const graph = await knnGraph(X, {k: 10});
 *   graph.rowPtr; graph.columns; graph.values; // row i: columns[rowPtr[i] .. rowPtr[i+1])
 *
 * References:
 * 1. J. B. Tenenbaum, V. de Silva, J. C. Langford, "A global geometric framework for nonlinear
 *    dimensionality reduction", Science 290 (2000) — the kNN graph of Isomap.
 *
 * See also: geodesicDistances (shortest paths on this graph), knn (the neighbour lists).
 */
import "./embed-kernels.ts";
import { assertFinite, assertMatrix, type Matrix } from "../core/matrix.ts";
import { checkInteger, checkOptionNames } from "../core/params.ts";
import type { RunOptions } from "../core/progress.ts";
import { getCore, type Core, type Scope } from "../core/wasm.ts";
import { MERGE_MIN } from "./embed-kernels.ts";
import { knn, MAX_K } from "./knn.ts";
import { HiddenAtlasError } from "../core/errors.ts";

/** A weighted undirected graph in compressed sparse row form; rows sorted by column. */
export interface SparseGraph {
  n: number;
  /** n + 1 offsets: row i holds entries rowPtr[i] … rowPtr[i + 1] − 1. */
  rowPtr: Int32Array;
  /** Column (neighbour) of every entry. */
  columns: Int32Array;
  /** Weight of every entry (edge length for kNN graphs, membership for UMAP). */
  values: Float32Array;
}

export interface KnnGraphOptions extends RunOptions {
  /** Neighbours per point before symmetrisation. Defaults to 10 (the geodesic fixtures' k). */
  k?: number;
}

const defaults = { k: 10 };

/**
 * The kNN graph of the rows of X symmetrised by union: i and j are joined when either is among
 * the other's k nearest neighbours, with their Euclidean distance as the edge length
 * (scikit-learn `kneighbors_graph(X, k, mode="distance")` then `G.maximum(G.T)`).
 */
export async function knnGraph(X: Matrix, options: KnnGraphOptions = {}): Promise<SparseGraph> {
  checkOptionNames("knnGraph", options, defaults);
  assertMatrix(X, "X");
  const k = checkGraphK(options.k ?? defaults.k, X.rows);
  assertFinite(X, "X");
  const neighbors = await knn(X, {
    k,
    metric: "euclidean",
    signal: options.signal,
    onProgress: options.onProgress,
  });
  const core = await getCore();
  return symmetrizeNeighbors(
    core,
    neighbors.indices,
    neighbors.distances,
    X.rows,
    k,
    MERGE_MIN,
    false,
  );
}

/** Check a graph's k: an integer from 1 to min(256, n − 1). */
export function checkGraphK(k: unknown, n: number, name = "k"): number {
  if (n < 2) {
    throw new HiddenAtlasError("E_PARAM", `a neighbour graph needs at least 2 rows; got ${n}`);
  }
  return checkInteger(name, k, 1, Math.min(MAX_K, n - 1));
}

/**
 * Symmetrise directed neighbour lists (n × k indices and weights) into CSR with a merge rule of
 * assembly/graph.ts (MERGE_MIN, MERGE_FUZZY, MERGE_SUM); `dropZeros` removes zero entries.
 */
export function symmetrizeNeighbors(
  core: Core,
  indices: Int32Array,
  weights: Float32Array,
  n: number,
  k: number,
  mode: number,
  dropZeros: boolean,
): SparseGraph {
  return core.scope((s) => {
    const idx = s.upload(indices, "neighbour indices");
    const w = s.upload(weights, "neighbour weights");
    const rowPtr = s.i32(n + 1, "graph row offsets");
    const columns = s.i32(2 * n * k, "graph columns");
    const values = s.f32(2 * n * k, "graph weights");
    const scratch = s.i32(n, "graph scratch");
    const nnz = core.kernels.graphSymmetrize(
      idx.ptr,
      w.ptr,
      n,
      k,
      mode,
      dropZeros ? 1 : 0,
      rowPtr.ptr,
      columns.ptr,
      values.ptr,
      scratch.ptr,
    );
    return {
      n,
      rowPtr: rowPtr.copy(),
      columns: columns.view().slice(0, nnz),
      values: values.view().slice(0, nnz),
    };
  });
}

/** A graph copied into a scope: the pointers kernels take. */
export interface GraphOnCore {
  n: number;
  nnz: number;
  rowPtr: number;
  columns: number;
  values: number;
}

export function uploadGraph(s: Scope, graph: SparseGraph): GraphOnCore {
  return {
    n: graph.n,
    nnz: graph.columns.length,
    rowPtr: s.upload(graph.rowPtr, "graph row offsets").ptr,
    columns: s.upload(graph.columns.length ? graph.columns : new Int32Array(1), "graph columns")
      .ptr,
    values: s.upload(graph.values.length ? graph.values : new Float32Array(1), "graph weights").ptr,
  };
}

/** Connected components: `labels[i]` numbers components 0, 1, … by their smallest vertex. */
export async function connectedComponents(
  graph: SparseGraph,
): Promise<{ count: number; labels: Int32Array }> {
  const core = await getCore();
  return core.scope((s) => {
    const g = uploadGraph(s, graph);
    const labels = s.i32(graph.n, "component labels");
    const queue = s.i32(graph.n, "component queue");
    const count = core.kernels.graphComponents(g.rowPtr, g.columns, graph.n, labels.ptr, queue.ptr);
    return { count, labels: labels.copy() };
  });
}
