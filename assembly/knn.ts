// Exact k-nearest-neighbour search by blocked brute force.
//
// For a block of query rows, distances to a block of base rows are computed into a tile with
// the f32x4 kernels of distance.ts; each query keeps its k best candidates in a bounded
// max-heap ordered by (distance, index). Ties are broken by the lower index: a candidate
// replaces the heap's worst only when it is strictly better in that order, so the result is
// the k smallest (distance, index) pairs — the same set whatever the blocking.
//
// Memory contract:
//   base     nBase × d f32 (for cosine, rows normalised by normalizeRows)
//   queries  nQueries × d f32, processed for rows [q0, q1) only (the caller chunks the work
//            to report progress and honour cancellation between chunks)
//   selfOffset  when ≥ 0, query row q is base row selfOffset + q and is excluded
//   outIndices  (q1 − q0) × k i32 and outDistances (q1 − q0) × k f32: query row q goes to
//            row q − q0, nearest first
//   scratch  knnScratchBytes(k) bytes
// Complexity: O((q1 − q0) · nBase · (d + log k)); requires k ≤ nBase (minus one with self).

import { columnBlock, squaredDistanceTile, dotTile, METRIC_COSINE, METRIC_EUCLIDEAN } from "./distance";

// Query rows per tile: a multiple of the register tile height (4).
// @ts-ignore: decorator
@inline const QUERY_BLOCK: i32 = 32;
// Most base rows per tile (fewer for long rows, see columnBlock); the tile is ≤ 32 KiB.
// @ts-ignore: decorator
@inline const BASE_BLOCK: i32 = 256;

/** Scratch bytes needed by knnSearch for `k` neighbours. */
export function knnScratchBytes(k: i32): usize {
  const tile = (<usize>QUERY_BLOCK * <usize>BASE_BLOCK) << 2;
  const heaps = ((<usize>QUERY_BLOCK * <usize>k) << 2) * 2;
  return tile + heaps;
}

/** a is worse than b in the (distance, index) order. */
// @ts-ignore: decorator
@inline function worse(da: f32, ia: i32, db: f32, ib: i32): bool {
  return da > db || (da == db && ia > ib);
}

// @ts-ignore: decorator
@inline function siftDown(hd: usize, hi: usize, size: i32, start: i32): void {
  let i = start;
  const d = load<f32>(hd + ((<usize>i) << 2));
  const idx = load<i32>(hi + ((<usize>i) << 2));
  while (true) {
    const l = 2 * i + 1;
    if (l >= size) break;
    let c = l;
    let dc = load<f32>(hd + ((<usize>l) << 2));
    let ic = load<i32>(hi + ((<usize>l) << 2));
    const r = l + 1;
    if (r < size) {
      const dr = load<f32>(hd + ((<usize>r) << 2));
      const ir = load<i32>(hi + ((<usize>r) << 2));
      if (worse(dr, ir, dc, ic)) {
        c = r;
        dc = dr;
        ic = ir;
      }
    }
    if (!worse(dc, ic, d, idx)) break;
    store<f32>(hd + ((<usize>i) << 2), dc);
    store<i32>(hi + ((<usize>i) << 2), ic);
    i = c;
  }
  store<f32>(hd + ((<usize>i) << 2), d);
  store<i32>(hi + ((<usize>i) << 2), idx);
}

// @ts-ignore: decorator
@inline function siftUp(hd: usize, hi: usize, start: i32): void {
  let i = start;
  const d = load<f32>(hd + ((<usize>i) << 2));
  const idx = load<i32>(hi + ((<usize>i) << 2));
  while (i > 0) {
    const p = (i - 1) >> 1;
    const dp = load<f32>(hd + ((<usize>p) << 2));
    const ip = load<i32>(hi + ((<usize>p) << 2));
    if (!worse(d, idx, dp, ip)) break;
    store<f32>(hd + ((<usize>i) << 2), dp);
    store<i32>(hi + ((<usize>i) << 2), ip);
    i = p;
  }
  store<f32>(hd + ((<usize>i) << 2), d);
  store<i32>(hi + ((<usize>i) << 2), idx);
}

/** Offer candidate (dist, j) to a heap of current size `size` and capacity k; new size. */
// @ts-ignore: decorator
@inline function offer(hd: usize, hi: usize, size: i32, k: i32, dist: f32, j: i32): i32 {
  if (size < k) {
    store<f32>(hd + ((<usize>size) << 2), dist);
    store<i32>(hi + ((<usize>size) << 2), j);
    siftUp(hd, hi, size);
    return size + 1;
  }
  if (worse(load<f32>(hd), load<i32>(hi), dist, j)) {
    store<f32>(hd, dist);
    store<i32>(hi, j);
    siftDown(hd, hi, size, 0);
  }
  return size;
}

export function knnSearch(
  base: usize,
  nBase: i32,
  queries: usize,
  q0: i32,
  q1: i32,
  d: i32,
  k: i32,
  metric: i32,
  selfOffset: i32,
  outIndices: usize,
  outDistances: usize,
  scratch: usize,
): void {
  const tile = scratch;
  const heapD = scratch + ((<usize>QUERY_BLOCK * <usize>BASE_BLOCK) << 2);
  const heapI = heapD + ((<usize>QUERY_BLOCK * <usize>k) << 2);
  const cosine = metric == METRIC_COSINE;
  const baseBlock = min(BASE_BLOCK, columnBlock(d));
  for (let qb = q0; qb < q1; qb += QUERY_BLOCK) {
    const qe = min(qb + QUERY_BLOCK, q1);
    const nq = qe - qb;
    for (let jb = 0; jb < nBase; jb += baseBlock) {
      const je = min(jb + baseBlock, nBase);
      const nb = je - jb;
      // Tile rows are query rows qb.. ; columns base rows jb..
      if (cosine) dotTile(queries, base, d, qb, qe, jb, je, tile, BASE_BLOCK);
      else squaredDistanceTile(queries, base, d, qb, qe, jb, je, tile, BASE_BLOCK);
      for (let r = 0; r < nq; r++) {
        const q = qb + r;
        const self = selfOffset >= 0 ? selfOffset + q : -1;
        const hd = heapD + ((<usize>(r * k)) << 2);
        const hi = heapI + ((<usize>(r * k)) << 2);
        // Heap size: min(k, candidates seen so far), known from the block position.
        let seen = jb;
        if (self >= 0 && self < jb) seen--;
        let size = min(seen, k);
        const row = tile + ((<usize>(r * BASE_BLOCK)) << 2);
        for (let c = 0; c < nb; c++) {
          const j = jb + c;
          if (j == self) continue;
          let dist = load<f32>(row + ((<usize>c) << 2));
          if (cosine) dist = <f32>1 - dist;
          size = offer(hd, hi, size, k, dist, j);
        }
      }
    }
    // Sort each heap ascending in place (heapsort of a max-heap) and write out.
    for (let r = 0; r < nq; r++) {
      const q = qb + r;
      const hd = heapD + ((<usize>(r * k)) << 2);
      const hi = heapI + ((<usize>(r * k)) << 2);
      for (let end = k - 1; end > 0; end--) {
        const d0 = load<f32>(hd);
        const i0 = load<i32>(hi);
        store<f32>(hd, load<f32>(hd + ((<usize>end) << 2)));
        store<i32>(hi, load<i32>(hi + ((<usize>end) << 2)));
        store<f32>(hd + ((<usize>end) << 2), d0);
        store<i32>(hi + ((<usize>end) << 2), i0);
        siftDown(hd, hi, end, 0);
      }
      const oi = outIndices + ((<usize>(q - q0) * <usize>k) << 2);
      const od = outDistances + ((<usize>(q - q0) * <usize>k) << 2);
      for (let t = 0; t < k; t++) {
        const off = (<usize>t) << 2;
        store<i32>(oi + off, load<i32>(hi + off));
        const v = load<f32>(hd + off);
        store<f32>(od + off, metric == METRIC_EUCLIDEAN ? Mathf.sqrt(v) : v);
      }
    }
  }
}
