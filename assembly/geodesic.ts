// Geodesic (shortest-path) distances on a weighted undirected graph in CSR form.
//
// Dijkstra's algorithm (E. W. Dijkstra, "A note on two problems in connexion with graphs",
// Numer. Math. 1, 1959) with an indexed binary heap and decrease-key (Cormen et al., CLRS
// §6.5, §24.3). Matches scipy.sparse.csgraph.shortest_path(method="D", directed=False) on the
// same graph (scipy uses a Fibonacci heap; the distances are the same, summed in f64).
// Unreachable vertices get +Infinity.
//
// Memory contract: rowPtr i32 n + 1, columns i32 nnz, weights f32 nnz (non-negative);
// sources i32 (count); out f32 rows × n, row r ← distances from sources[s0 + r] for
// s in [s0, s1); scratch geodesicScratchBytes(n) bytes.
// Complexity: O((n + nnz) log n) per source; all pairs O(n·(n + nnz) log n).

// @ts-ignore: decorator
@inline const UNSEEN: i32 = -1;
// @ts-ignore: decorator
@inline const SETTLED: i32 = -2;

/** Bytes of scratch for geodesicFromSources on n vertices (dist f64, heap keys/ids, slots). */
export function geodesicScratchBytes(n: i32): usize {
  return (<usize>n) * (8 + 8 + 4 + 4) + 16;
}

// @ts-ignore: decorator
@inline function f64At(p: usize, i: i32): usize {
  return p + ((<usize>i) << 3);
}
// @ts-ignore: decorator
@inline function i32At(p: usize, i: i32): usize {
  return p + ((<usize>i) << 2);
}

// @ts-ignore: decorator
@inline function siftUp(keys: usize, ids: usize, slot: usize, start: i32): void {
  let i = start;
  const key = load<f64>(f64At(keys, i));
  const id = load<i32>(i32At(ids, i));
  while (i > 0) {
    const parent = (i - 1) >> 1;
    const pk = load<f64>(f64At(keys, parent));
    if (pk <= key) break;
    const pid = load<i32>(i32At(ids, parent));
    store<f64>(f64At(keys, i), pk);
    store<i32>(i32At(ids, i), pid);
    store<i32>(i32At(slot, pid), i);
    i = parent;
  }
  store<f64>(f64At(keys, i), key);
  store<i32>(i32At(ids, i), id);
  store<i32>(i32At(slot, id), i);
}

// @ts-ignore: decorator
@inline function siftDown(keys: usize, ids: usize, slot: usize, size: i32): void {
  let i = 0;
  const key = load<f64>(keys);
  const id = load<i32>(ids);
  while (true) {
    let c = 2 * i + 1;
    if (c >= size) break;
    let ck = load<f64>(f64At(keys, c));
    if (c + 1 < size) {
      const rk = load<f64>(f64At(keys, c + 1));
      if (rk < ck) {
        c++;
        ck = rk;
      }
    }
    if (key <= ck) break;
    const cid = load<i32>(i32At(ids, c));
    store<f64>(f64At(keys, i), ck);
    store<i32>(i32At(ids, i), cid);
    store<i32>(i32At(slot, cid), i);
    i = c;
  }
  store<f64>(f64At(keys, i), key);
  store<i32>(i32At(ids, i), id);
  store<i32>(i32At(slot, id), i);
}

/** Dijkstra from one source; dist (f64 n) receives the distances. */
function dijkstra(rowPtr: usize, columns: usize, weights: usize, n: i32, source: i32, dist: usize, keys: usize, ids: usize, slot: usize): void {
  for (let i = 0; i < n; i++) {
    store<f64>(f64At(dist, i), Infinity);
    store<i32>(i32At(slot, i), UNSEEN);
  }
  store<f64>(f64At(dist, source), 0);
  store<f64>(keys, 0);
  store<i32>(ids, source);
  store<i32>(i32At(slot, source), 0);
  let size = 1;
  while (size > 0) {
    const u = load<i32>(ids);
    const du = load<f64>(keys);
    store<i32>(i32At(slot, u), SETTLED);
    size--;
    if (size > 0) {
      store<f64>(keys, load<f64>(f64At(keys, size)));
      store<i32>(ids, load<i32>(i32At(ids, size)));
      siftDown(keys, ids, slot, size);
    }
    const e1 = load<i32>(i32At(rowPtr, u + 1));
    for (let e = load<i32>(i32At(rowPtr, u)); e < e1; e++) {
      const v = load<i32>(i32At(columns, e));
      const sv = load<i32>(i32At(slot, v));
      if (sv == SETTLED) continue;
      const nd = du + <f64>load<f32>(i32At(weights, e));
      if (nd < load<f64>(f64At(dist, v))) {
        store<f64>(f64At(dist, v), nd);
        if (sv == UNSEEN) {
          store<f64>(f64At(keys, size), nd);
          store<i32>(i32At(ids, size), v);
          siftUp(keys, ids, slot, size);
          size++;
        } else {
          store<f64>(f64At(keys, sv), nd);
          siftUp(keys, ids, slot, sv);
        }
      }
    }
  }
}

/** Distances from sources[s0 .. s1) to every vertex, row by row into out (f32, ld = n). */
export function geodesicFromSources(
  rowPtr: usize,
  columns: usize,
  weights: usize,
  n: i32,
  sources: usize,
  s0: i32,
  s1: i32,
  out: usize,
  scratch: usize,
): void {
  const dist = (scratch + 7) & ~(<usize>7);
  const keys = dist + ((<usize>n) << 3);
  const ids = keys + ((<usize>n) << 3);
  const slot = ids + ((<usize>n) << 2);
  for (let s = s0; s < s1; s++) {
    dijkstra(rowPtr, columns, weights, n, load<i32>(i32At(sources, s)), dist, keys, ids, slot);
    const row = out + (((<usize>(s - s0)) * <usize>n) << 2);
    for (let i = 0; i < n; i++) store<f32>(i32At(row, i), <f32>load<f64>(f64At(dist, i)));
  }
}

/** Distances from one source as f64 (for callers that need full precision). */
export function geodesicFromSourceF64(
  rowPtr: usize,
  columns: usize,
  weights: usize,
  n: i32,
  source: i32,
  out: usize,
  scratch: usize,
): void {
  const keys = (scratch + 7) & ~(<usize>7);
  const ids = keys + ((<usize>n) << 3);
  const slot = ids + ((<usize>n) << 2);
  dijkstra(rowPtr, columns, weights, n, source, out, keys, ids, slot);
}
