// Approximate k-nearest-neighbour graph by nearest-neighbour descent (NN-descent).
//
// W. Dong, M. Charikar & K. Li, "Efficient k-nearest neighbor graph construction for generic
// similarity measures", WWW 2011, Algorithm 2 (local join with new/old flags, sampling ρ):
// a neighbour of a neighbour is likely a neighbour; each round every point's new (not yet
// joined) neighbours and reverse neighbours are joined pairwise with each other and with its
// old ones, and a round that changes fewer than δ·n·k entries ends the descent.
//
// Reference implementation matched: pynndescent 0.5 (lmcinnes/pynndescent) pynndescent/
// nndescent.py `new_build_candidates` (candidate sampling by random priorities into bounded
// heaps of size max_candidates, reverse candidates included) and `nn_descent_internal_low_
// memory` (serial local join, `checked_flagged_heap_push`, early stop at δ·n·k updates). The
// random-projection-forest initialisation of pynndescent is replaced by an RP-tree leaf join
// (nndRpTreeLeaves gives the leaves, nndJoinLeaves joins all pairs within each leaf) followed
// by random neighbours for the slots still empty; random draws come from our PCG32.
//
// Memory contract: data f32 n × d row-major. The graph is three n × k arrays: indices i32
// (−1 = empty), squared distances f32 (+Inf when empty), flags u8 (1 = new); each row is a
// max-heap on distance (root at slot 0). Candidate heaps are n × maxCandidates i32 indices and
// f32 priorities, one pair for new and one for old candidates. nndFinish sorts each row
// ascending by (distance, index) and takes square roots (Euclidean output).
// Complexity: one round O(n·maxCandidates²·d) distance evaluations at most; typically 5–12
// rounds. Serial and therefore deterministic for a seed.

import { nextBounded, nextF32 } from "./random";

// An empty heap slot: index −1 at infinite distance (pynndescent `make_heap`).
// @ts-ignore: decorator
@inline const EMPTY: i32 = -1;
// Tree leaves hold at most this many points (pynndescent `leaf_size` default: max(10, k)).
// @ts-ignore: decorator
@inline const MIN_LEAF_SIZE: i32 = 10;
// A split whose smaller side is empty is retried with other pivots this many times, then the
// points are dealt alternately (pynndescent `euclidean_random_projection_split`).
// @ts-ignore: decorator
@inline const SPLIT_TRIES: i32 = 4;

// @ts-ignore: decorator
@inline function at4(p: usize, i: i32): usize {
  return p + ((<usize>i) << 2);
}

/** Squared Euclidean distance of rows a and b (f32x4 main loop, scalar tail). */
// @ts-ignore: decorator
@inline function squaredDistance(a: usize, b: usize, d: i32): f32 {
  let acc = f32x4.splat(0);
  const d4 = d & ~3;
  let c = 0;
  for (; c < d4; c += 4) {
    const t = f32x4.sub(v128.load(a + ((<usize>c) << 2)), v128.load(b + ((<usize>c) << 2)));
    acc = f32x4.add(acc, f32x4.mul(t, t));
  }
  let s =
    f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; c < d; c++) {
    const t = load<f32>(a + ((<usize>c) << 2)) - load<f32>(b + ((<usize>c) << 2));
    s += t * t;
  }
  return s;
}

/** Restore the max-heap below slot 0 after the root was replaced (distance order). */
// @ts-ignore: decorator
@inline function siftDownFlagged(idx: usize, dist: usize, flags: usize, size: i32): void {
  const d = load<f32>(dist);
  const v = load<i32>(idx);
  const f = load<u8>(flags);
  let i = 0;
  while (true) {
    const l = 2 * i + 1;
    if (l >= size) break;
    let c = l;
    let dc = load<f32>(at4(dist, l));
    const r = l + 1;
    if (r < size) {
      const dr = load<f32>(at4(dist, r));
      if (dr > dc) {
        c = r;
        dc = dr;
      }
    }
    if (dc <= d) break;
    store<f32>(at4(dist, i), dc);
    store<i32>(at4(idx, i), load<i32>(at4(idx, c)));
    store<u8>(flags + <usize>i, load<u8>(flags + <usize>c));
    i = c;
  }
  store<f32>(at4(dist, i), d);
  store<i32>(at4(idx, i), v);
  store<u8>(flags + <usize>i, f);
}

/**
 * Push (j, dd) into the graph row at (idx, dist, flags) of size k unless it is no better than
 * the row's worst or already present (pynndescent `checked_flagged_heap_push`). Returns 1 when
 * the row changed.
 */
// @ts-ignore: decorator
@inline function pushNeighbor(idx: usize, dist: usize, flags: usize, k: i32, j: i32, dd: f32): i32 {
  if (dd >= load<f32>(dist)) return 0;
  for (let t = 0; t < k; t++) if (load<i32>(at4(idx, t)) == j) return 0;
  store<f32>(dist, dd);
  store<i32>(idx, j);
  store<u8>(flags, 1);
  siftDownFlagged(idx, dist, flags, k);
  return 1;
}

/** Candidate heap push by random priority (pynndescent `checked_heap_push`). */
// @ts-ignore: decorator
@inline function pushCandidate(idx: usize, pri: usize, size: i32, j: i32, p: f32): void {
  if (p >= load<f32>(pri)) return;
  for (let t = 0; t < size; t++) if (load<i32>(at4(idx, t)) == j) return;
  let i = 0;
  while (true) {
    const l = 2 * i + 1;
    if (l >= size) break;
    let c = l;
    let pc = load<f32>(at4(pri, l));
    const r = l + 1;
    if (r < size) {
      const pr = load<f32>(at4(pri, r));
      if (pr > pc) {
        c = r;
        pc = pr;
      }
    }
    if (pc <= p) break;
    store<f32>(at4(pri, i), pc);
    store<i32>(at4(idx, i), load<i32>(at4(idx, c)));
    i = c;
  }
  store<f32>(at4(pri, i), p);
  store<i32>(at4(idx, i), j);
}

/** Empty every graph row: indices −1, distances +Inf, flags 0. */
export function nndReset(indices: usize, dists: usize, flags: usize, n: i32, k: i32): void {
  const total = n * k;
  for (let t = 0; t < total; t++) {
    store<i32>(at4(indices, t), EMPTY);
    store<f32>(at4(dists, t), Infinity);
  }
  memory.fill(flags, 0, <usize>total);
}

/**
 * Random-projection tree leaves (pynndescent `make_euclidean_tree`): points [0, n) are split
 * recursively by the hyperplane equidistant from two random points of the node until a node
 * holds at most leafSize points. Writes a permutation of 0 … n−1 to `order` in which every leaf
 * is contiguous, and the leaf boundaries to `leafStart` (at most n + 1 entries, the last = n).
 * scratch: i32 2·n (a stack of node ranges) + f32 n (side values). Returns the number of leaves.
 */
export function nndRpTreeLeaves(
  data: usize,
  n: i32,
  d: i32,
  leafSize: i32,
  order: usize,
  leafStart: usize,
  scratch: usize,
  rng: usize,
): i32 {
  const size = max(leafSize, MIN_LEAF_SIZE);
  for (let i = 0; i < n; i++) store<i32>(at4(order, i), i);
  const stack = scratch; // pairs (lo, hi)
  const side = scratch + ((<usize>(2 * n)) << 2); // f32 margin per point of the current node
  const rowBytes = (<usize>d) << 2;
  let top = 0;
  store<i32>(at4(stack, 0), 0);
  store<i32>(at4(stack, 1), n);
  top = 1;
  let leaves = 0;
  // Leaves are emitted in depth-first order; the left child is popped first.
  while (top > 0) {
    top--;
    const lo = load<i32>(at4(stack, 2 * top));
    const hi = load<i32>(at4(stack, 2 * top + 1));
    const m = hi - lo;
    if (m <= size) {
      store<i32>(at4(leafStart, leaves++), lo);
      continue;
    }
    let mid = lo;
    for (let attempt = 0; attempt < SPLIT_TRIES && (mid == lo || mid == hi); attempt++) {
      // Two distinct random points of the node: the hyperplane is their perpendicular bisector.
      const apos = <i32>nextBounded(rng, <u32>m);
      let bpos = <i32>nextBounded(rng, <u32>(m - 1));
      if (bpos >= apos) bpos++;
      const a = load<i32>(at4(order, lo + apos));
      const b = load<i32>(at4(order, lo + bpos));
      const pa = data + <usize>a * rowBytes;
      const pb = data + <usize>b * rowBytes;
      // side(x) = ‖x − a‖² − ‖x − b‖²: negative on a's side.
      for (let t = lo; t < hi; t++) {
        const px = data + <usize>load<i32>(at4(order, t)) * rowBytes;
        store<f32>(at4(side, t), squaredDistance(px, pa, d) - squaredDistance(px, pb, d));
      }
      // Partition order[lo, hi) by the sign of side (ties by a coin flip, as pynndescent).
      let i = lo;
      let j = hi - 1;
      while (i <= j) {
        const s = load<f32>(at4(side, i));
        const left = s < 0 || (s == 0 && (nextBounded(rng, 2) == 0));
        if (left) {
          i++;
          continue;
        }
        const ti = load<i32>(at4(order, i));
        store<i32>(at4(order, i), load<i32>(at4(order, j)));
        store<i32>(at4(order, j), ti);
        store<f32>(at4(side, i), load<f32>(at4(side, j)));
        store<f32>(at4(side, j), s);
        j--;
      }
      mid = i;
    }
    if (mid == lo || mid == hi) mid = lo + (m >> 1); // degenerate node (duplicates): halve it
    // Push the right child first so the left one is processed next.
    store<i32>(at4(stack, 2 * top), mid);
    store<i32>(at4(stack, 2 * top + 1), hi);
    top++;
    store<i32>(at4(stack, 2 * top), lo);
    store<i32>(at4(stack, 2 * top + 1), mid);
    top++;
  }
  store<i32>(at4(leafStart, leaves), n);
  return leaves;
}

/**
 * Join all pairs within each leaf (leaves given by `order` and `leafStart` from
 * nndRpTreeLeaves) into the graph; returns the number of graph updates.
 */
export function nndJoinLeaves(
  data: usize,
  n: i32,
  d: i32,
  k: i32,
  order: usize,
  leafStart: usize,
  leaves: i32,
  indices: usize,
  dists: usize,
  flags: usize,
): i32 {
  const rowBytes = (<usize>d) << 2;
  const rowK = (<usize>k) << 2;
  let updates = 0;
  for (let l = 0; l < leaves; l++) {
    const lo = load<i32>(at4(leafStart, l));
    const hi = load<i32>(at4(leafStart, l + 1));
    for (let a = lo; a < hi; a++) {
      const p = load<i32>(at4(order, a));
      const pp = data + <usize>p * rowBytes;
      for (let b = a + 1; b < hi; b++) {
        const q = load<i32>(at4(order, b));
        const dd = squaredDistance(pp, data + <usize>q * rowBytes, d);
        updates += pushNeighbor(indices + <usize>p * rowK, dists + <usize>p * rowK, flags + <usize>p * <usize>k, k, q, dd);
        updates += pushNeighbor(indices + <usize>q * rowK, dists + <usize>q * rowK, flags + <usize>q * <usize>k, k, p, dd);
      }
    }
  }
  return updates;
}

/** Fill the empty slots of every row with distinct random other points. */
export function nndFillRandom(data: usize, n: i32, d: i32, k: i32, indices: usize, dists: usize, flags: usize, rng: usize): void {
  const rowBytes = (<usize>d) << 2;
  const rowK = (<usize>k) << 2;
  for (let i = 0; i < n; i++) {
    const idx = indices + <usize>i * rowK;
    const dist = dists + <usize>i * rowK;
    const fl = flags + <usize>i * <usize>k;
    let missing = 0;
    for (let t = 0; t < k; t++) if (load<i32>(at4(idx, t)) == EMPTY) missing++;
    // Bounded attempts: with k < n a free candidate exists, and a miss only repeats a draw.
    for (let attempt = 0; missing > 0 && attempt < 8 * k + 64; attempt++) {
      const j = <i32>nextBounded(rng, <u32>n);
      if (j == i) continue;
      let present = false;
      for (let t = 0; t < k; t++) if (load<i32>(at4(idx, t)) == j) present = true;
      if (present) continue;
      // The root holds an empty slot (+Inf) while any is left: replace it.
      const dd = squaredDistance(data + <usize>i * rowBytes, data + <usize>j * rowBytes, d);
      store<f32>(dist, dd);
      store<i32>(idx, j);
      store<u8>(fl, 1);
      siftDownFlagged(idx, dist, fl, k);
      missing--;
    }
  }
}

/**
 * One round of NN-descent: sample new and old candidates (at most maxCandidates each, reverse
 * neighbours included, by seeded random priorities), mark the sampled new ones old, then the
 * local join. Candidate scratch: newIdx, oldIdx i32 and newPri, oldPri f32, n × maxCandidates
 * each. Returns the number of graph updates (the caller stops below δ·n·k).
 */
export function nndRound(
  data: usize,
  n: i32,
  d: i32,
  k: i32,
  indices: usize,
  dists: usize,
  flags: usize,
  maxCandidates: i32,
  newIdx: usize,
  newPri: usize,
  oldIdx: usize,
  oldPri: usize,
  rng: usize,
): i32 {
  const C = maxCandidates;
  const rowC = (<usize>C) << 2;
  const rowK = (<usize>k) << 2;
  const total = n * C;
  for (let t = 0; t < total; t++) {
    store<i32>(at4(newIdx, t), EMPTY);
    store<f32>(at4(newPri, t), Infinity);
    store<i32>(at4(oldIdx, t), EMPTY);
    store<f32>(at4(oldPri, t), Infinity);
  }
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < k; t++) {
      const j = load<i32>(at4(indices + <usize>i * rowK, t));
      if (j < 0) continue;
      const p = nextF32(rng);
      if (load<u8>(flags + <usize>i * <usize>k + <usize>t) != 0) {
        pushCandidate(newIdx + <usize>i * rowC, newPri + <usize>i * rowC, C, j, p);
        pushCandidate(newIdx + <usize>j * rowC, newPri + <usize>j * rowC, C, i, p);
      } else {
        pushCandidate(oldIdx + <usize>i * rowC, oldPri + <usize>i * rowC, C, j, p);
        pushCandidate(oldIdx + <usize>j * rowC, oldPri + <usize>j * rowC, C, i, p);
      }
    }
  }
  // Entries sampled as new candidates of their row become old.
  for (let i = 0; i < n; i++) {
    const nc = newIdx + <usize>i * rowC;
    for (let t = 0; t < k; t++) {
      const j = load<i32>(at4(indices + <usize>i * rowK, t));
      if (j < 0) continue;
      for (let c = 0; c < C; c++) {
        if (load<i32>(at4(nc, c)) == j) {
          store<u8>(flags + <usize>i * <usize>k + <usize>t, 0);
          break;
        }
      }
    }
  }
  const rowBytes = (<usize>d) << 2;
  let updates = 0;
  for (let i = 0; i < n; i++) {
    const nc = newIdx + <usize>i * rowC;
    const oc = oldIdx + <usize>i * rowC;
    for (let a = 0; a < C; a++) {
      const p = load<i32>(at4(nc, a));
      if (p < 0) continue;
      const pp = data + <usize>p * rowBytes;
      const pIdx = indices + <usize>p * rowK;
      const pDist = dists + <usize>p * rowK;
      const pFlags = flags + <usize>p * <usize>k;
      for (let b = a + 1; b < C; b++) {
        const q = load<i32>(at4(nc, b));
        if (q < 0) continue;
        const dd = squaredDistance(pp, data + <usize>q * rowBytes, d);
        const qDist = dists + <usize>q * rowK;
        if (dd < load<f32>(pDist) || dd < load<f32>(qDist)) {
          updates += pushNeighbor(pIdx, pDist, pFlags, k, q, dd);
          updates += pushNeighbor(indices + <usize>q * rowK, qDist, flags + <usize>q * <usize>k, k, p, dd);
        }
      }
      for (let b = 0; b < C; b++) {
        const q = load<i32>(at4(oc, b));
        if (q < 0 || q == p) continue;
        const dd = squaredDistance(pp, data + <usize>q * rowBytes, d);
        const qDist = dists + <usize>q * rowK;
        if (dd < load<f32>(pDist) || dd < load<f32>(qDist)) {
          updates += pushNeighbor(pIdx, pDist, pFlags, k, q, dd);
          updates += pushNeighbor(indices + <usize>q * rowK, qDist, flags + <usize>q * <usize>k, k, p, dd);
        }
      }
    }
  }
  return updates;
}

/**
 * Sort every row ascending by (distance, index) (heapsort of the max-heap in place; ties by
 * the lower index, as the exact kNN) and replace squared distances by their square roots.
 */
export function nndFinish(indices: usize, dists: usize, n: i32, k: i32): void {
  const rowK = (<usize>k) << 2;
  for (let i = 0; i < n; i++) {
    const idx = indices + <usize>i * rowK;
    const dist = dists + <usize>i * rowK;
    // Insertion sort by (distance, index): k is small (≤ 256) and rows are nearly heap-ordered.
    for (let a = 1; a < k; a++) {
      const dv = load<f32>(at4(dist, a));
      const iv = load<i32>(at4(idx, a));
      let b = a - 1;
      while (b >= 0) {
        const db = load<f32>(at4(dist, b));
        const ib = load<i32>(at4(idx, b));
        if (db < dv || (db == dv && ib <= iv)) break;
        store<f32>(at4(dist, b + 1), db);
        store<i32>(at4(idx, b + 1), ib);
        b--;
      }
      store<f32>(at4(dist, b + 1), dv);
      store<i32>(at4(idx, b + 1), iv);
    }
    for (let t = 0; t < k; t++) store<f32>(at4(dist, t), Mathf.sqrt(load<f32>(at4(dist, t))));
  }
}
