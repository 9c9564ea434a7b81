// Sparse neighbourhood graphs in CSR form: symmetrising a directed kNN graph, pruning weak
// edges, connected components and the symmetric sparse matrix–vector product.
//
// Symmetrisation of a kNN list (i → j for each of the k nearest neighbours j of i):
//   MERGE_MIN    union, w_ij = min(w_i→j, w_j→i): the geodesic graph of Isomap (Tenenbaum, de
//                Silva & Langford, Science 290, 2000), scikit-learn `kneighbors_graph` followed
//                by `G.maximum(G.T)` (both directions carry the same Euclidean length);
//   MERGE_FUZZY  fuzzy union a + b − a·b (McInnes, Healy & Melville, arXiv:1802.03426, §3.1,
//                eq. after Def. 9), umap-learn `fuzzy_simplicial_set` with set_op_mix_ratio 1;
//   MERGE_SUM    a + b: t-SNE's joint probabilities P + Pᵀ (van der Maaten, JMLR 15, 2014, §2;
//                scikit-learn `_joint_probabilities_nn`).
// A pair present in only one list merges with 0 (union). Rows come out sorted by column, the
// order of scipy.sparse after `sum_duplicates`, which umap-learn's serial SGD walks.
//
// Memory contract: indices i32 n × k, weights f32 n × k (row i = the list of i); rowPtr i32
// n + 1; columns i32 and values f32 with capacity 2·n·k; scratch i32 n. Returns nnz.
// Complexity: O(n·k·log k) time; entries of a row are sorted by insertion sort below
// SHORT_ROW entries and heapsort above (hubs of high-dimensional data can have huge in-degree).

/** Merge rules shared with src/algo/graph.ts. */
export const MERGE_MIN: i32 = 0;
export const MERGE_FUZZY: i32 = 1;
export const MERGE_SUM: i32 = 2;

// Rows at most this long are sorted by insertion sort (few comparisons, no overhead).
// @ts-ignore: decorator
@inline const SHORT_ROW: i32 = 32;

// @ts-ignore: decorator
@inline function ptrI(p: usize, i: i32): usize {
  return p + ((<usize>i) << 2);
}

/** Sort entries [lo, hi) of (columns, values) by column: insertion sort. */
function insertionSortRow(columns: usize, values: usize, lo: i32, hi: i32): void {
  for (let a = lo + 1; a < hi; a++) {
    const c = load<i32>(ptrI(columns, a));
    const v = load<f32>(ptrI(values, a));
    let b = a - 1;
    while (b >= lo && load<i32>(ptrI(columns, b)) > c) {
      store<i32>(ptrI(columns, b + 1), load<i32>(ptrI(columns, b)));
      store<f32>(ptrI(values, b + 1), load<f32>(ptrI(values, b)));
      b--;
    }
    store<i32>(ptrI(columns, b + 1), c);
    store<f32>(ptrI(values, b + 1), v);
  }
}

// @ts-ignore: decorator
@inline function siftDownRow(columns: usize, values: usize, lo: i32, size: i32, start: i32): void {
  let i = start;
  const c = load<i32>(ptrI(columns, lo + i));
  const v = load<f32>(ptrI(values, lo + i));
  while (true) {
    let child = 2 * i + 1;
    if (child >= size) break;
    if (child + 1 < size && load<i32>(ptrI(columns, lo + child + 1)) > load<i32>(ptrI(columns, lo + child))) child++;
    const cc = load<i32>(ptrI(columns, lo + child));
    if (cc <= c) break;
    store<i32>(ptrI(columns, lo + i), cc);
    store<f32>(ptrI(values, lo + i), load<f32>(ptrI(values, lo + child)));
    i = child;
  }
  store<i32>(ptrI(columns, lo + i), c);
  store<f32>(ptrI(values, lo + i), v);
}

/** Sort entries [lo, hi) by column: heapsort (O(m log m) for long rows). */
function heapSortRow(columns: usize, values: usize, lo: i32, hi: i32): void {
  const m = hi - lo;
  for (let s = (m >> 1) - 1; s >= 0; s--) siftDownRow(columns, values, lo, m, s);
  for (let end = m - 1; end > 0; end--) {
    const c = load<i32>(ptrI(columns, lo));
    const v = load<f32>(ptrI(values, lo));
    store<i32>(ptrI(columns, lo), load<i32>(ptrI(columns, lo + end)));
    store<f32>(ptrI(values, lo), load<f32>(ptrI(values, lo + end)));
    store<i32>(ptrI(columns, lo + end), c);
    store<f32>(ptrI(values, lo + end), v);
    siftDownRow(columns, values, lo, end, 0);
  }
}

// @ts-ignore: decorator
@inline function merge(a: f32, b: f32, mode: i32): f32 {
  if (mode == MERGE_MIN) return min(a, b);
  if (mode == MERGE_FUZZY) return a + b - a * b;
  return a + b;
}

/**
 * Symmetrise the directed kNN graph (indices, weights: n × k) into CSR (see header).
 * With dropZeros, merged entries equal to 0 are removed (umap-learn `eliminate_zeros`).
 */
export function graphSymmetrize(
  indices: usize,
  weights: usize,
  n: i32,
  k: i32,
  mode: i32,
  dropZeros: i32,
  rowPtr: usize,
  columns: usize,
  values: usize,
  scratch: usize,
): i32 {
  // Pass 1: entries per row from both directions.
  memory.fill(scratch, 0, (<usize>n) << 2);
  const total = n * k;
  for (let e = 0; e < total; e++) {
    const i = e / k;
    const j = load<i32>(ptrI(indices, e));
    store<i32>(ptrI(scratch, i), load<i32>(ptrI(scratch, i)) + 1);
    store<i32>(ptrI(scratch, j), load<i32>(ptrI(scratch, j)) + 1);
  }
  let acc = 0;
  for (let i = 0; i < n; i++) {
    store<i32>(ptrI(rowPtr, i), acc);
    const c = load<i32>(ptrI(scratch, i));
    store<i32>(ptrI(scratch, i), acc); // fill cursor
    acc += c;
  }
  store<i32>(ptrI(rowPtr, n), acc);
  // Pass 2: scatter i → j into row i and into row j.
  for (let e = 0; e < total; e++) {
    const i = e / k;
    const j = load<i32>(ptrI(indices, e));
    const w = load<f32>(ptrI(weights, e));
    let p = load<i32>(ptrI(scratch, i));
    store<i32>(ptrI(columns, p), j);
    store<f32>(ptrI(values, p), w);
    store<i32>(ptrI(scratch, i), p + 1);
    p = load<i32>(ptrI(scratch, j));
    store<i32>(ptrI(columns, p), i);
    store<f32>(ptrI(values, p), w);
    store<i32>(ptrI(scratch, j), p + 1);
  }
  // Pass 3: sort each row by column, merge duplicate columns, compact in place.
  let out = 0;
  let start = load<i32>(ptrI(rowPtr, 0));
  for (let i = 0; i < n; i++) {
    const end = load<i32>(ptrI(rowPtr, i + 1));
    if (end - start <= SHORT_ROW) insertionSortRow(columns, values, start, end);
    else heapSortRow(columns, values, start, end);
    store<i32>(ptrI(rowPtr, i), out);
    let p = start;
    while (p < end) {
      const c = load<i32>(ptrI(columns, p));
      let v = load<f32>(ptrI(values, p));
      // A column occurs at most twice: once from each direction.
      if (p + 1 < end && load<i32>(ptrI(columns, p + 1)) == c) {
        v = merge(v, load<f32>(ptrI(values, p + 1)), mode);
        p += 2;
      } else {
        p += 1; // only one direction: the union keeps it as it is
      }
      if (dropZeros != 0 && v == 0) continue;
      store<i32>(ptrI(columns, out), c);
      store<f32>(ptrI(values, out), v);
      out++;
    }
    start = end;
  }
  store<i32>(ptrI(rowPtr, n), out);
  return out;
}

/**
 * Remove entries with value < threshold, in place (umap-learn prunes edges below
 * max / n_epochs: they would never be sampled). Returns the new nnz.
 */
export function graphPrune(rowPtr: usize, columns: usize, values: usize, n: i32, threshold: f32): i32 {
  let out = 0;
  let start = load<i32>(rowPtr);
  for (let i = 0; i < n; i++) {
    const end = load<i32>(ptrI(rowPtr, i + 1));
    store<i32>(ptrI(rowPtr, i), out);
    for (let p = start; p < end; p++) {
      const v = load<f32>(ptrI(values, p));
      if (v < threshold) continue;
      store<i32>(ptrI(columns, out), load<i32>(ptrI(columns, p)));
      store<f32>(ptrI(values, out), v);
      out++;
    }
    start = end;
  }
  store<i32>(ptrI(rowPtr, n), out);
  return out;
}

/**
 * Connected components by breadth-first search in index order: labels[i] = component of i,
 * components numbered 0, 1, … in order of their smallest vertex. scratch: i32 n (queue).
 * Returns the number of components.
 */
export function graphComponents(rowPtr: usize, columns: usize, n: i32, labels: usize, scratch: usize): i32 {
  for (let i = 0; i < n; i++) store<i32>(ptrI(labels, i), -1);
  let count = 0;
  for (let s = 0; s < n; s++) {
    if (load<i32>(ptrI(labels, s)) >= 0) continue;
    let head = 0;
    let tail = 0;
    store<i32>(ptrI(scratch, tail++), s);
    store<i32>(ptrI(labels, s), count);
    while (head < tail) {
      const u = load<i32>(ptrI(scratch, head++));
      const e1 = load<i32>(ptrI(rowPtr, u + 1));
      for (let e = load<i32>(ptrI(rowPtr, u)); e < e1; e++) {
        const v = load<i32>(ptrI(columns, e));
        if (load<i32>(ptrI(labels, v)) < 0) {
          store<i32>(ptrI(labels, v), count);
          store<i32>(ptrI(scratch, tail++), v);
        }
      }
    }
    count++;
  }
  return count;
}

/** y = A·x for the CSR matrix A (f32 values), x and y f64, accumulated in f64. */
export function graphMatvec(rowPtr: usize, columns: usize, values: usize, n: i32, x: usize, y: usize): void {
  let e = load<i32>(rowPtr);
  for (let i = 0; i < n; i++) {
    const e1 = load<i32>(ptrI(rowPtr, i + 1));
    let s: f64 = 0;
    for (; e < e1; e++) {
      s += <f64>load<f32>(ptrI(values, e)) * load<f64>(x + ((<usize>load<i32>(ptrI(columns, e))) << 3));
    }
    store<f64>(y + ((<usize>i) << 3), s);
  }
}
