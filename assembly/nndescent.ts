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
// (nndRpTreeLeaves gives the leaves, split by pynndescent's hyperplane margin
// `euclidean_random_projection_split`; nndJoinLeaves joins all pairs within each leaf)
// followed by random neighbours for the slots still empty; random draws come from our PCG32,
// each tree, row or slot reading its own block of a stream (nndRpTree, nndFillRandomRows,
// nndCandidatesPush), so the draws do not depend on which thread makes them.
//
// Distances: every squared distance is summed exactly as distance.ts `pair` (and so the exact
// kNN's tiles) sums it — f32x4 lanes over the first d & ~3 elements, lanes reduced as
// (l0 + l1) + (l2 + l3), then the tail in order — so a neighbour found here has the same
// float32 distance as in the exact search, bit for bit. The local join computes the distances
// of one point to four partners at a time (`squaredDistances4`): four independent sums keep
// the SIMD units busy where one sum waits on its own additions, and each sum is still the same.
// The pushes that follow are made in the order of the unbatched loop, so batching changes no
// result.
//
// Memory contract: data f32 n × d row-major. The graph is three n × k arrays: indices i32
// (−1 = empty), squared distances f32 (+Inf when empty), flags u8 (1 = new); each row is a
// max-heap on distance (root at slot 0). Candidate heaps are n × maxCandidates i32 indices and
// f32 priorities, one pair for new and one for old candidates. nndRpTreeLeaves takes a
// scratch of nndTreeScratchBytes(n, d) bytes.
// nndSortRows sorts each row ascending by (distance, index); nndFinish also takes square roots
// (Euclidean output).
// Complexity: one round O(n·maxCandidates²·d) distance evaluations at most; typically 3–12
// rounds. Deterministic for a seed: the local join may be run over row ranges (nndJoin) in
// order, with the same result as one call, or on threads as propose/apply (nndProposeJoin,
// nndApplyJoin; see there), again with the same result; the trees, the random fill and the
// candidate sampling likewise split into trees or rows with the serial result on any split.

import { forkAt, nextBounded, nextF32, rngSeed } from "./random";

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
// Distances computed together by squaredDistances4 / margins4.
// @ts-ignore: decorator
@inline const BATCH: i32 = 4;

/** f32 value type and the squared-distance accumulator (f32 lanes, as distance.ts). */
type value_t = f32;

// The partners waiting for a batch of four, and the batch's distances (static: kernels are
// serial and each call empties the queue before it returns).
const PENDING: usize = memory.data(16, 16);
const BATCH_OUT: usize = memory.data(16, 16);

// @ts-ignore: decorator
@inline function at4(p: usize, i: i32): usize {
  return p + ((<usize>i) << 2);
}

/** Lanes reduced as distance.ts `hsum`: (l0 + l1) + (l2 + l3). */
// @ts-ignore: decorator
@inline function laneSum(v: v128): value_t {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** Σ (a − b)² over the tail elements [d4, d), continuing from s (distance.ts `tailAcc`). */
// @ts-ignore: decorator
@inline function tailSquares(s: value_t, a: usize, b: usize, d4: i32, d: i32): value_t {
  for (let c = d4; c < d; c++) {
    const t = load<f32>(a + ((<usize>c) << 2)) - load<f32>(b + ((<usize>c) << 2));
    s += t * t;
  }
  return s;
}

/** Squared Euclidean distance of rows a and b, summed as distance.ts `pair`. */
// @ts-ignore: decorator
@inline function squaredDistance(a: usize, b: usize, d: i32): value_t {
  const d4 = d & ~3;
  let acc = f32x4.splat(0);
  for (let c = 0; c < d4; c += 4) {
    const off = (<usize>c) << 2;
    const t = f32x4.sub(v128.load(a + off), v128.load(b + off));
    acc = f32x4.add(acc, f32x4.mul(t, t));
  }
  return tailSquares(laneSum(acc), a, b, d4, d);
}

/** Squared distances of row p to rows q0 … q3 into out[0 … 3], each summed as `squaredDistance`. */
// @ts-ignore: decorator
@inline function squaredDistances4(p: usize, q0: usize, q1: usize, q2: usize, q3: usize, d: i32, out: usize): void {
  const d4 = d & ~3;
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let a2 = f32x4.splat(0);
  let a3 = f32x4.splat(0);
  for (let c = 0; c < d4; c += 4) {
    const off = (<usize>c) << 2;
    const x = v128.load(p + off);
    let t = f32x4.sub(x, v128.load(q0 + off));
    a0 = f32x4.add(a0, f32x4.mul(t, t));
    t = f32x4.sub(x, v128.load(q1 + off));
    a1 = f32x4.add(a1, f32x4.mul(t, t));
    t = f32x4.sub(x, v128.load(q2 + off));
    a2 = f32x4.add(a2, f32x4.mul(t, t));
    t = f32x4.sub(x, v128.load(q3 + off));
    a3 = f32x4.add(a3, f32x4.mul(t, t));
  }
  store<f32>(out, tailSquares(laneSum(a0), p, q0, d4, d));
  store<f32>(out, tailSquares(laneSum(a1), p, q1, d4, d), 4);
  store<f32>(out, tailSquares(laneSum(a2), p, q2, d4, d), 8);
  store<f32>(out, tailSquares(laneSum(a3), p, q3, d4, d), 12);
}

/**
 * Offer the pairs (p, PENDING[0 … 3]) to the graph: four distances at once, then the pushes
 * in that order. Returns the graph updates.
 */
// @ts-ignore: decorator
@inline function joinPending4(data: usize, rowBytes: usize, d: i32, k: i32, indices: usize, dists: usize, flags: usize, p: i32): i32 {
  const q0 = load<i32>(PENDING);
  const q1 = load<i32>(PENDING, 4);
  const q2 = load<i32>(PENDING, 8);
  const q3 = load<i32>(PENDING, 12);
  squaredDistances4(
    data + <usize>p * rowBytes,
    data + <usize>q0 * rowBytes,
    data + <usize>q1 * rowBytes,
    data + <usize>q2 * rowBytes,
    data + <usize>q3 * rowBytes,
    d,
    BATCH_OUT,
  );
  return (
    pushPair(indices, dists, flags, k, p, q0, load<f32>(BATCH_OUT)) +
    pushPair(indices, dists, flags, k, p, q1, load<f32>(BATCH_OUT, 4)) +
    pushPair(indices, dists, flags, k, p, q2, load<f32>(BATCH_OUT, 8)) +
    pushPair(indices, dists, flags, k, p, q3, load<f32>(BATCH_OUT, 12))
  );
}

/** Offer the pairs (p, PENDING[0 … count)) one by one (fewer than four left). */
// @ts-ignore: decorator
@inline function joinPending(data: usize, rowBytes: usize, d: i32, k: i32, indices: usize, dists: usize, flags: usize, p: i32, count: i32): i32 {
  let updates = 0;
  const pp = data + <usize>p * rowBytes;
  for (let t = 0; t < count; t++) {
    const q = load<i32>(at4(PENDING, t));
    updates += pushPair(indices, dists, flags, k, p, q, squaredDistance(pp, data + <usize>q * rowBytes, d));
  }
  return updates;
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

/** Offer the pair (p, q) at squared distance dd to both rows; graph updates made (0–2). */
// @ts-ignore: decorator
@inline function pushPair(indices: usize, dists: usize, flags: usize, k: i32, p: i32, q: i32, dd: f32): i32 {
  const rowK = (<usize>k) << 2;
  const pDist = dists + <usize>p * rowK;
  const qDist = dists + <usize>q * rowK;
  if (!(dd < load<f32>(pDist) || dd < load<f32>(qDist))) return 0;
  return (
    pushNeighbor(indices + <usize>p * rowK, pDist, flags + <usize>p * <usize>k, k, q, dd) +
    pushNeighbor(indices + <usize>q * rowK, qDist, flags + <usize>q * <usize>k, k, p, dd)
  );
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
 * Scratch bytes of nndRpTreeLeaves: a stack of 2·n i32, n f32 margins, a d-float hyperplane;
 * nndRpTree's generator (16 bytes) comes first.
 */
export function nndTreeScratchBytes(n: i32, d: i32): usize {
  return ((<usize>(3 * n)) << 2) + ((<usize>d) << 2) + 32;
}

/**
 * Tree number `tree` of the forest (nndRpTreeLeaves into its own order, leafStart and scratch):
 * its random draws are the block of 2^32 draws starting at draw tree·2^32 of the PCG32 stream
 * (seed, stream) — far more than one tree takes — so every tree's draws depend only on the seed
 * and its number, and the trees can be built in any order, on any thread. scratch: 16-aligned,
 * nndTreeScratchBytes(n, d) bytes. Returns the number of leaves.
 */
export function nndRpTree(
  data: usize,
  n: i32,
  d: i32,
  leafSize: i32,
  order: usize,
  leafStart: usize,
  scratch: usize,
  seedLow: u32,
  seedHigh: u32,
  stream: u32,
  tree: i32,
): i32 {
  rngSeed(scratch, seedLow, seedHigh, stream);
  forkAt(scratch, scratch, (<u64>tree) << 32);
  return nndRpTreeLeaves(data, n, d, leafSize, order, leafStart, scratch + 16, scratch);
}

/**
 * Random-projection tree leaves (pynndescent `make_euclidean_tree`): points [0, n) are split
 * recursively by the hyperplane equidistant from two random points a, b of the node until a
 * node holds at most leafSize points. The margin of x is h·x − h·(a + b)/2 with h = b − a
 * (pynndescent's `hyperplane_vector` and `hyperplane_offset`): negative on a's side, one dot
 * product per point. Writes a permutation of 0 … n−1 to `order` in which every leaf is
 * contiguous, and the leaf boundaries to `leafStart` (at most n + 1 entries, the last = n).
 * scratch: nndTreeScratchBytes(n, d) bytes. Returns the number of leaves.
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
  const plane = (side + ((<usize>n) << 2) + 15) & ~(<usize>15); // f32 × d, 16-byte aligned
  const rowBytes = (<usize>d) << 2;
  const d4 = d & ~3;
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
      const pa = data + <usize>load<i32>(at4(order, lo + apos)) * rowBytes;
      const pb = data + <usize>load<i32>(at4(order, lo + bpos)) * rowBytes;
      let offset: f32 = 0;
      for (let c = 0; c < d; c++) {
        const a = load<f32>(at4(pa, c));
        const b = load<f32>(at4(pb, c));
        const h = b - a;
        store<f32>(at4(plane, c), h);
        offset -= h * ((a + b) * 0.5);
      }
      let t = lo;
      for (; t + BATCH <= hi; t += BATCH) {
        const x0 = data + <usize>load<i32>(at4(order, t)) * rowBytes;
        const x1 = data + <usize>load<i32>(at4(order, t + 1)) * rowBytes;
        const x2 = data + <usize>load<i32>(at4(order, t + 2)) * rowBytes;
        const x3 = data + <usize>load<i32>(at4(order, t + 3)) * rowBytes;
        let s0 = f32x4.splat(0);
        let s1 = f32x4.splat(0);
        let s2 = f32x4.splat(0);
        let s3 = f32x4.splat(0);
        for (let c = 0; c < d4; c += 4) {
          const off = (<usize>c) << 2;
          const h = v128.load(plane + off);
          s0 = f32x4.add(s0, f32x4.mul(h, v128.load(x0 + off)));
          s1 = f32x4.add(s1, f32x4.mul(h, v128.load(x1 + off)));
          s2 = f32x4.add(s2, f32x4.mul(h, v128.load(x2 + off)));
          s3 = f32x4.add(s3, f32x4.mul(h, v128.load(x3 + off)));
        }
        store<f32>(at4(side, t), offset + tailDot(laneSum(s0), plane, x0, d4, d));
        store<f32>(at4(side, t + 1), offset + tailDot(laneSum(s1), plane, x1, d4, d));
        store<f32>(at4(side, t + 2), offset + tailDot(laneSum(s2), plane, x2, d4, d));
        store<f32>(at4(side, t + 3), offset + tailDot(laneSum(s3), plane, x3, d4, d));
      }
      for (; t < hi; t++) {
        const x = data + <usize>load<i32>(at4(order, t)) * rowBytes;
        let s = f32x4.splat(0);
        for (let c = 0; c < d4; c += 4) {
          const off = (<usize>c) << 2;
          s = f32x4.add(s, f32x4.mul(v128.load(plane + off), v128.load(x + off)));
        }
        store<f32>(at4(side, t), offset + tailDot(laneSum(s), plane, x, d4, d));
      }
      // Partition order[lo, hi) by the sign of the margin (ties by a coin flip, as pynndescent).
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

/** Σ h·x over the tail elements [d4, d), continuing from s. */
// @ts-ignore: decorator
@inline function tailDot(s: value_t, h: usize, x: usize, d4: i32, d: i32): value_t {
  for (let c = d4; c < d; c++) s += load<f32>(at4(h, c)) * load<f32>(at4(x, c));
  return s;
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
  let updates = 0;
  for (let l = 0; l < leaves; l++) {
    const lo = load<i32>(at4(leafStart, l));
    const hi = load<i32>(at4(leafStart, l + 1));
    for (let a = lo; a < hi - 1; a++) {
      const p = load<i32>(at4(order, a));
      let pending = 0;
      for (let b = a + 1; b < hi; b++) {
        store<i32>(at4(PENDING, pending++), load<i32>(at4(order, b)));
        if (pending == BATCH) {
          updates += joinPending4(data, rowBytes, d, k, indices, dists, flags, p);
          pending = 0;
        }
      }
      updates += joinPending(data, rowBytes, d, k, indices, dists, flags, p, pending);
    }
  }
  return updates;
}

/**
 * Fill the empty slots of rows [i0, i1) with distinct random other points. Row i draws from its
 * own block of the generator at `rng` (left unchanged): a copy moved ahead to draw i·2^32, in
 * `scratch` (16 bytes, the calling thread's own). Rows are independent, so ranges run in
 * parallel and give the same graph on any split.
 */
export function nndFillRandomRows(
  data: usize,
  n: i32,
  d: i32,
  k: i32,
  indices: usize,
  dists: usize,
  flags: usize,
  rng: usize,
  scratch: usize,
  i0: i32,
  i1: i32,
): void {
  const rowBytes = (<usize>d) << 2;
  const rowK = (<usize>k) << 2;
  for (let i = i0; i < i1; i++) {
    const idx = indices + <usize>i * rowK;
    const dist = dists + <usize>i * rowK;
    const fl = flags + <usize>i * <usize>k;
    let missing = 0;
    for (let t = 0; t < k; t++) if (load<i32>(at4(idx, t)) == EMPTY) missing++;
    if (missing == 0) continue;
    forkAt(rng, scratch, (<u64>i) << 32);
    // Bounded attempts: with k < n a free candidate exists, and a miss only repeats a draw.
    for (let attempt = 0; missing > 0 && attempt < 8 * k + 64; attempt++) {
      const j = <i32>nextBounded(scratch, <u32>n);
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

// ---------------------------------------------------------------------------------------------
// Candidate sampling in two row-parallel passes. Slot (i, t) of round r gets the random priority
// number (r·n + i)·k + t of the generator's stream (a draw for every slot, empty or not), so a
// priority depends on the seed, the round and the slot, not on which thread draws it.
// nndCandidatesPush fills the candidate heaps of a range of destination rows: it reads every slot
// (i, t) in the serial order, drawing its priority (k draws a row, from a copy of the generator
// moved to the round's first draw: a few ns a slot, repeated by each thread, where an n × k table
// of priorities would cost 4·n·k bytes), and pushes j into row i's heap when i is its row and i
// into row j's heap (the reverse neighbour) when j is, so each heap receives its pushes in the
// serial order, whatever the split. nndCandidatesMark then marks old the entries sampled as new
// candidates of their row. nndCandidates runs the two over all rows.

/**
 * New and old candidate heaps of rows [r0, r1) in round `round` (at most maxCandidates each,
 * reverse neighbours included, by the priorities above, from the generator at `rng`, left
 * unchanged, through a copy in `scratch`, 16 bytes of the calling thread's own). Reads the whole
 * graph's indices and flags; writes only rows [r0, r1) of newIdx, newPri, oldIdx, oldPri.
 */
export function nndCandidatesPush(
  indices: usize,
  flags: usize,
  n: i32,
  k: i32,
  maxCandidates: i32,
  newIdx: usize,
  newPri: usize,
  oldIdx: usize,
  oldPri: usize,
  rng: usize,
  round: i32,
  scratch: usize,
  r0: i32,
  r1: i32,
): void {
  const C = maxCandidates;
  const rowC = (<usize>C) << 2;
  for (let t = r0 * C, end = r1 * C; t < end; t++) {
    store<i32>(at4(newIdx, t), EMPTY);
    store<f32>(at4(newPri, t), Infinity);
    store<i32>(at4(oldIdx, t), EMPTY);
    store<f32>(at4(oldPri, t), Infinity);
  }
  forkAt(rng, scratch, <u64>round * <u64>n * <u64>k);
  for (let i = 0; i < n; i++) {
    const own = i >= r0 && i < r1;
    const base = i * k;
    for (let t = 0; t < k; t++) {
      const p = nextF32(scratch);
      const j = load<i32>(at4(indices, base + t));
      if (j < 0) continue;
      const other = j >= r0 && j < r1;
      if (!own && !other) continue;
      if (load<u8>(flags + <usize>(base + t)) != 0) {
        if (own) pushCandidate(newIdx + <usize>i * rowC, newPri + <usize>i * rowC, C, j, p);
        if (other) pushCandidate(newIdx + <usize>j * rowC, newPri + <usize>j * rowC, C, i, p);
      } else {
        if (own) pushCandidate(oldIdx + <usize>i * rowC, oldPri + <usize>i * rowC, C, j, p);
        if (other) pushCandidate(oldIdx + <usize>j * rowC, oldPri + <usize>j * rowC, C, i, p);
      }
    }
  }
}

// The sampling on threads: propose, then apply, as the local join below. nndProposeCandidates
// reads the slots of a block of source rows in the serial order, draws their priorities (the
// block's first draw reached by one jump of the generator) and writes, for each slot (i, t) with
// a neighbour j, the record "push j into row i's heap" then "push i into row j's heap" — {row i32,
// candidate i32 (j, or ~j for an old entry), priority f32}, 12 bytes — grouped by destination
// part (rows [p·2^partShift, (p + 1)·2^partShift) form part p; a stable grouping, so each part
// keeps the serial order), the end of each part's records in the block's header. It writes its
// own block only, so blocks run in parallel. nndApplyCandidates then pushes, for one part, that
// part's records of every block in block order: each heap receives the serial pushes in the
// serial order, so the heaps are nndCandidatesPush's, bit for bit, whatever the blocks, parts and
// threads. Parts whose heaps fit in a core's cache keep the pushes there, where the serial pass
// pushes into random rows of all n: the two passes together take about half its time.

/**
 * Bytes of one block of sampling records for `rows` source rows of k slots and `parts`
 * destination parts: the header and two records a slot.
 */
export function nndCandidateBlockBytes(rows: i32, k: i32, parts: i32): usize {
  return headerBytes(parts) + <usize>rows * <usize>k * 24;
}

/**
 * The propose half of the sampling of round `round` for source rows [i0, i1): the records above,
 * written to `block` (nndCandidateBlockBytes(i1 − i0, k, parts) bytes). Priorities from the
 * generator at `rng` (left unchanged) through a copy in `scratch` (16 bytes of the calling
 * thread's own). Reads the graph's indices and flags only. Returns the number of records.
 */
export function nndProposeCandidates(
  indices: usize,
  flags: usize,
  n: i32,
  k: i32,
  rng: usize,
  round: i32,
  scratch: usize,
  i0: i32,
  i1: i32,
  block: usize,
  parts: i32,
  partShift: i32,
): i32 {
  // Count each part's records, then turn the counts into cursors (each part's start).
  for (let p = 0; p < parts; p++) store<i32>(at4(block, p), 0);
  for (let i = i0; i < i1; i++) {
    const ci = at4(block, i >> partShift);
    const base = i * k;
    for (let t = 0; t < k; t++) {
      const j = load<i32>(at4(indices, base + t));
      if (j < 0) continue;
      store<i32>(ci, load<i32>(ci) + 1);
      const cj = at4(block, j >> partShift);
      store<i32>(cj, load<i32>(cj) + 1);
    }
  }
  let start = 0;
  for (let p = 0; p < parts; p++) {
    const c = load<i32>(at4(block, p));
    store<i32>(at4(block, p), start);
    start += c;
  }
  // The records, in slot order; each part's cursor ends at its end (the next part's start).
  const records = block + headerBytes(parts);
  forkAt(rng, scratch, (<u64>round * <u64>n + <u64>i0) * <u64>k);
  for (let i = i0; i < i1; i++) {
    const ci = at4(block, i >> partShift);
    const base = i * k;
    for (let t = 0; t < k; t++) {
      const pri = nextF32(scratch);
      const j = load<i32>(at4(indices, base + t));
      if (j < 0) continue;
      const old = load<u8>(flags + <usize>(base + t)) == 0;
      let slot = load<i32>(ci);
      store<i32>(ci, slot + 1);
      let r = records + <usize>slot * 12;
      store<i32>(r, i);
      store<i32>(r, old ? ~j : j, 4);
      store<f32>(r, pri, 8);
      const cj = at4(block, j >> partShift);
      slot = load<i32>(cj);
      store<i32>(cj, slot + 1);
      r = records + <usize>slot * 12;
      store<i32>(r, j);
      store<i32>(r, old ? ~i : i, 4);
      store<f32>(r, pri, 8);
    }
  }
  return start;
}

/**
 * The apply half of the sampling: the candidate heaps of part `part` (rows [part·2^partShift,
 * (part + 1)·2^partShift) ∩ [0, n)), emptied first when `reset` is non-zero, then pushed that
 * part's records of `blocks` blocks (block b at records + b·blockBytes, written by
 * nndProposeCandidates with `parts` parts), in block order. Writes that part's heap rows only.
 */
export function nndApplyCandidates(
  n: i32,
  maxCandidates: i32,
  newIdx: usize,
  newPri: usize,
  oldIdx: usize,
  oldPri: usize,
  records: usize,
  blockBytes: usize,
  blocks: i32,
  parts: i32,
  partShift: i32,
  part: i32,
  reset: i32,
): void {
  const C = maxCandidates;
  const rowC = (<usize>C) << 2;
  if (reset != 0) {
    for (let t = (part << partShift) * C, end = min(n, (part + 1) << partShift) * C; t < end; t++) {
      store<i32>(at4(newIdx, t), EMPTY);
      store<f32>(at4(newPri, t), Infinity);
      store<i32>(at4(oldIdx, t), EMPTY);
      store<f32>(at4(oldPri, t), Infinity);
    }
  }
  const header = headerBytes(parts);
  for (let b = 0; b < blocks; b++) {
    const block = records + <usize>b * blockBytes;
    const from = part == 0 ? 0 : load<i32>(at4(block, part - 1));
    const to = load<i32>(at4(block, part));
    for (let t = from; t < to; t++) {
      const r = block + header + <usize>t * 12;
      const row = <usize>load<i32>(r);
      const c = load<i32>(r, 4);
      const pri = load<f32>(r, 8);
      if (c >= 0) pushCandidate(newIdx + row * rowC, newPri + row * rowC, C, c, pri);
      else pushCandidate(oldIdx + row * rowC, oldPri + row * rowC, C, ~c, pri);
    }
  }
}

/** Entries of rows [i0, i1) sampled as new candidates of their row become old (old ones stay so). */
export function nndCandidatesMark(indices: usize, flags: usize, k: i32, maxCandidates: i32, newIdx: usize, i0: i32, i1: i32): void {
  const C = maxCandidates;
  const rowC = (<usize>C) << 2;
  const rowK = (<usize>k) << 2;
  for (let i = i0; i < i1; i++) {
    const nc = newIdx + <usize>i * rowC;
    for (let t = 0; t < k; t++) {
      const j = load<i32>(at4(indices + <usize>i * rowK, t));
      if (j < 0 || load<u8>(flags + <usize>i * <usize>k + <usize>t) == 0) continue;
      for (let c = 0; c < C; c++) {
        if (load<i32>(at4(nc, c)) == j) {
          store<u8>(flags + <usize>i * <usize>k + <usize>t, 0);
          break;
        }
      }
    }
  }
}

/**
 * The sampling half of round `round` over all rows: nndCandidatesPush, nndCandidatesMark.
 * Candidate arrays: newIdx, oldIdx i32 and newPri, oldPri f32, n × maxCandidates each; scratch
 * 16 bytes; the generator at `rng` is left unchanged.
 */
export function nndCandidates(
  indices: usize,
  flags: usize,
  n: i32,
  k: i32,
  maxCandidates: i32,
  newIdx: usize,
  newPri: usize,
  oldIdx: usize,
  oldPri: usize,
  rng: usize,
  scratch: usize,
  round: i32,
): void {
  nndCandidatesPush(indices, flags, n, k, maxCandidates, newIdx, newPri, oldIdx, oldPri, rng, round, scratch, 0, n);
  nndCandidatesMark(indices, flags, k, maxCandidates, newIdx, 0, n);
}

/**
 * The local join of rows [i0, i1) after nndCandidates: for each new candidate p of row i, the
 * pairs (p, q) with q a later new candidate or any old one are offered to both rows. Calls over
 * consecutive ranges give the same graph as one call over [0, n). Returns the graph updates.
 */
export function nndJoin(
  data: usize,
  n: i32,
  d: i32,
  k: i32,
  indices: usize,
  dists: usize,
  flags: usize,
  maxCandidates: i32,
  newIdx: usize,
  oldIdx: usize,
  i0: i32,
  i1: i32,
): i32 {
  const C = maxCandidates;
  const rowC = (<usize>C) << 2;
  const rowBytes = (<usize>d) << 2;
  let updates = 0;
  for (let i = i0; i < i1; i++) {
    const nc = newIdx + <usize>i * rowC;
    const oc = oldIdx + <usize>i * rowC;
    for (let a = 0; a < C; a++) {
      const p = load<i32>(at4(nc, a));
      if (p < 0) continue;
      let pending = 0;
      for (let b = a + 1; b < C; b++) {
        const q = load<i32>(at4(nc, b));
        if (q < 0) continue;
        store<i32>(at4(PENDING, pending++), q);
        if (pending == BATCH) {
          updates += joinPending4(data, rowBytes, d, k, indices, dists, flags, p);
          pending = 0;
        }
      }
      for (let b = 0; b < C; b++) {
        const q = load<i32>(at4(oc, b));
        if (q < 0 || q == p) continue;
        store<i32>(at4(PENDING, pending++), q);
        if (pending == BATCH) {
          updates += joinPending4(data, rowBytes, d, k, indices, dists, flags, p);
          pending = 0;
        }
      }
      updates += joinPending(data, rowBytes, d, k, indices, dists, flags, p, pending);
    }
  }
  return updates;
}

// ---------------------------------------------------------------------------------------------
// The local join on threads: propose, then apply. nndProposeJoin computes, for a range of rows,
// every pair the serial join (nndJoin) would offer, in its order, and keeps each half that could
// still change the graph — d(p, q) below the current worst of row p (the half "push q into row
// p") or of row q (the half "push p into row q") — as records {row i32, neighbour i32, d f32}
// (12 bytes). It only reads the graph, so ranges run in parallel, each into its own block of
// records. The records of a block are grouped by destination part (rows [t·partRows,
// (t + 1)·partRows) form part t; a stable partition, so each part keeps the serial order), with
// the count of each part in the block's header. nndApplyJoin then pushes, for one part, that
// part's records of every block, in block order: parts run in parallel, and each reads only its
// own records. A row's worst distance only ever falls, so every push the serial join makes is
// among the records, and each row receives its pushes in the serial order: the graph, and the
// update count, are those of nndJoin over the same rows, bit for bit, however the rows are split
// and whatever runs them.

/** Most pairs one row can propose: its new pairs C·(C−1)/2 and new-old pairs C². */
export function nndJoinPairsPerRow(maxCandidates: i32): i32 {
  return (maxCandidates * (maxCandidates - 1)) / 2 + maxCandidates * maxCandidates;
}

/** Bytes of a block's header: one i32 count per destination part, rounded up to 16. */
// @ts-ignore: decorator
@inline function headerBytes(parts: i32): usize {
  return ((<usize>parts << 2) + 15) & ~(<usize>15);
}

/**
 * Bytes of one block of records for blockPairs pairs and `parts` destination parts: the header
 * and two records (one per row of the pair) for each pair.
 */
export function nndBlockBytes(blockPairs: i32, parts: i32): usize {
  return headerBytes(parts) + <usize>blockPairs * 24;
}

/**
 * Bytes of one thread's scratch for nndProposeJoin and nndProposeLeaves: a batch of four partners
 * and their distances (32), a cursor per part and, with more than one part, the block's records
 * before they are grouped by part.
 */
export function nndProposeScratchBytes(blockPairs: i32, parts: i32): usize {
  return 32 + headerBytes(parts) + (parts > 1 ? <usize>blockPairs * 24 : 0);
}

/** The records of (p, q, dd) that could change row p or row q now; returns the records written (0–2). */
// @ts-ignore: decorator
@inline function proposePair(dists: usize, k: i32, out: usize, count: i32, p: i32, q: i32, dd: f32): i32 {
  const rowK = (<usize>k) << 2;
  let r = out + <usize>count * 12;
  let written = 0;
  if (dd < load<f32>(dists + <usize>p * rowK)) {
    store<i32>(r, p);
    store<i32>(r, q, 4);
    store<f32>(r, dd, 8);
    r += 12;
    written = 1;
  }
  if (dd < load<f32>(dists + <usize>q * rowK)) {
    store<i32>(r, q);
    store<i32>(r, p, 4);
    store<f32>(r, dd, 8);
    written++;
  }
  return written;
}

/** Records for (p, pending[0 … 3]): four distances at once, recorded in that order. */
// @ts-ignore: decorator
@inline function proposePending4(data: usize, rowBytes: usize, d: i32, k: i32, dists: usize, p: i32, scratch: usize, out: usize, count: i32): i32 {
  const q0 = load<i32>(scratch);
  const q1 = load<i32>(scratch, 4);
  const q2 = load<i32>(scratch, 8);
  const q3 = load<i32>(scratch, 12);
  const dd = scratch + 16;
  squaredDistances4(
    data + <usize>p * rowBytes,
    data + <usize>q0 * rowBytes,
    data + <usize>q1 * rowBytes,
    data + <usize>q2 * rowBytes,
    data + <usize>q3 * rowBytes,
    d,
    dd,
  );
  count += proposePair(dists, k, out, count, p, q0, load<f32>(dd));
  count += proposePair(dists, k, out, count, p, q1, load<f32>(dd, 4));
  count += proposePair(dists, k, out, count, p, q2, load<f32>(dd, 8));
  count += proposePair(dists, k, out, count, p, q3, load<f32>(dd, 12));
  return count;
}

/** Where a propose call writes its records before grouping: the block itself with one part. */
// @ts-ignore: decorator
@inline function recordsOut(block: usize, scratch: usize, parts: i32): usize {
  return parts > 1 ? scratch + 32 + headerBytes(parts) : block + headerBytes(parts);
}

/**
 * Group the `count` records at `out` by destination part (stable) into `block`, with each
 * part's count in its header. With one part the records are already in place.
 */
function groupRecords(block: usize, scratch: usize, parts: i32, partRows: i32, out: usize, count: i32): void {
  if (parts == 1) {
    store<i32>(block, count);
    return;
  }
  const cursor = scratch + 32;
  for (let t = 0; t < parts; t++) store<i32>(at4(block, t), 0);
  for (let t = 0; t < count; t++) {
    const c = at4(block, load<i32>(out + <usize>t * 12) / partRows);
    store<i32>(c, load<i32>(c) + 1);
  }
  let start = 0;
  for (let t = 0; t < parts; t++) {
    store<i32>(at4(cursor, t), start);
    start += load<i32>(at4(block, t));
  }
  const records = block + headerBytes(parts);
  for (let t = 0; t < count; t++) {
    const r = out + <usize>t * 12;
    const c = at4(cursor, load<i32>(r) / partRows);
    const slot = load<i32>(c);
    store<i32>(c, slot + 1);
    const w = records + <usize>slot * 12;
    store<u64>(w, load<u64>(r));
    store<f32>(w, load<f32>(r, 8), 8);
  }
}

/**
 * The propose half of the local join over rows [i0, i1) (after nndCandidates): the pairs of
 * nndJoin, in its order, each half kept when its distance is below the current worst of its
 * row, grouped into `parts` destination parts of partRows rows, written to the block at `block`
 * (nndBlockBytes((i1 − i0)·nndJoinPairsPerRow(maxCandidates), parts) bytes). Reads the graph's
 * distances only; `scratch` (nndProposeScratchBytes) is the calling thread's own. Returns the
 * number of records.
 */
export function nndProposeJoin(
  data: usize,
  d: i32,
  k: i32,
  dists: usize,
  maxCandidates: i32,
  newIdx: usize,
  oldIdx: usize,
  i0: i32,
  i1: i32,
  block: usize,
  scratch: usize,
  parts: i32,
  partRows: i32,
): i32 {
  const C = maxCandidates;
  const rowC = (<usize>C) << 2;
  const rowBytes = (<usize>d) << 2;
  const out = recordsOut(block, scratch, parts);
  let count = 0;
  for (let i = i0; i < i1; i++) {
    const nc = newIdx + <usize>i * rowC;
    const oc = oldIdx + <usize>i * rowC;
    for (let a = 0; a < C; a++) {
      const p = load<i32>(at4(nc, a));
      if (p < 0) continue;
      let pending = 0;
      for (let b = a + 1; b < C; b++) {
        const q = load<i32>(at4(nc, b));
        if (q < 0) continue;
        store<i32>(at4(scratch, pending++), q);
        if (pending == BATCH) {
          count = proposePending4(data, rowBytes, d, k, dists, p, scratch, out, count);
          pending = 0;
        }
      }
      for (let b = 0; b < C; b++) {
        const q = load<i32>(at4(oc, b));
        if (q < 0 || q == p) continue;
        store<i32>(at4(scratch, pending++), q);
        if (pending == BATCH) {
          count = proposePending4(data, rowBytes, d, k, dists, p, scratch, out, count);
          pending = 0;
        }
      }
      const pp = data + <usize>p * rowBytes;
      for (let t = 0; t < pending; t++) {
        const q = load<i32>(at4(scratch, t));
        count += proposePair(dists, k, out, count, p, q, squaredDistance(pp, data + <usize>q * rowBytes, d));
      }
    }
  }
  groupRecords(block, scratch, parts, partRows, out, count);
  return count;
}

/**
 * The propose half of the leaf join (nndJoinLeaves) over leaves [l0, l1): every pair within each
 * leaf, in nndJoinLeaves' order, each half kept when its distance is below the current worst of
 * its row, grouped and written to `block` as nndProposeJoin (room for the leaves' pairs). Reads
 * the graph's distances only; `scratch` as in nndProposeJoin. Returns the number of records;
 * nndApplyJoin applies them.
 */
export function nndProposeLeaves(
  data: usize,
  d: i32,
  k: i32,
  dists: usize,
  order: usize,
  leafStart: usize,
  l0: i32,
  l1: i32,
  block: usize,
  scratch: usize,
  parts: i32,
  partRows: i32,
): i32 {
  const rowBytes = (<usize>d) << 2;
  const out = recordsOut(block, scratch, parts);
  let count = 0;
  for (let l = l0; l < l1; l++) {
    const lo = load<i32>(at4(leafStart, l));
    const hi = load<i32>(at4(leafStart, l + 1));
    for (let a = lo; a < hi - 1; a++) {
      const p = load<i32>(at4(order, a));
      let pending = 0;
      for (let b = a + 1; b < hi; b++) {
        store<i32>(at4(scratch, pending++), load<i32>(at4(order, b)));
        if (pending == BATCH) {
          count = proposePending4(data, rowBytes, d, k, dists, p, scratch, out, count);
          pending = 0;
        }
      }
      const pp = data + <usize>p * rowBytes;
      for (let t = 0; t < pending; t++) {
        const q = load<i32>(at4(scratch, t));
        count += proposePair(dists, k, out, count, p, q, squaredDistance(pp, data + <usize>q * rowBytes, d));
      }
    }
  }
  groupRecords(block, scratch, parts, partRows, out, count);
  return count;
}

/**
 * The apply half: part `part`'s records of `blocks` blocks (block b at pairs + b·blockBytes,
 * written by nndProposeJoin or nndProposeLeaves with `parts` parts), in block order, pushed
 * into their rows. Returns the graph updates made.
 */
export function nndApplyJoin(
  indices: usize,
  dists: usize,
  flags: usize,
  k: i32,
  pairs: usize,
  blockBytes: usize,
  blocks: i32,
  parts: i32,
  part: i32,
): i32 {
  const rowK = (<usize>k) << 2;
  const header = headerBytes(parts);
  let updates = 0;
  for (let b = 0; b < blocks; b++) {
    const block = pairs + <usize>b * blockBytes;
    let start = 0;
    for (let t = 0; t < part; t++) start += load<i32>(at4(block, t));
    const count = load<i32>(at4(block, part));
    const records = block + header + <usize>start * 12;
    for (let t = 0; t < count; t++) {
      const r = records + <usize>t * 12;
      const row = load<i32>(r);
      updates += pushNeighbor(indices + <usize>row * rowK, dists + <usize>row * rowK, flags + <usize>row * <usize>k, k, load<i32>(r, 4), load<f32>(r, 8));
    }
  }
  return updates;
}

/**
 * Round `round` of NN-descent, serially: nndCandidates then nndJoin over every row. Returns the
 * number of graph updates (the caller stops below δ·n·k).
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
  scratch: usize,
  round: i32,
): i32 {
  nndCandidates(indices, flags, n, k, maxCandidates, newIdx, newPri, oldIdx, oldPri, rng, scratch, round);
  return nndJoin(data, n, d, k, indices, dists, flags, maxCandidates, newIdx, oldIdx, 0, n);
}

/**
 * Sort every row ascending by (distance, index) (insertion sort: k is small and rows are
 * nearly heap-ordered; ties by the lower index, as the exact kNN). Distances stay squared.
 */
export function nndSortRows(indices: usize, dists: usize, n: i32, k: i32): void {
  const rowK = (<usize>k) << 2;
  for (let i = 0; i < n; i++) {
    const idx = indices + <usize>i * rowK;
    const dist = dists + <usize>i * rowK;
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
  }
}

/** nndSortRows, then square roots of the distances (Euclidean output). */
export function nndFinish(indices: usize, dists: usize, n: i32, k: i32): void {
  nndSortRows(indices, dists, n, k);
  const total = n * k;
  for (let t = 0; t < total; t++) store<f32>(at4(dists, t), Mathf.sqrt(load<f32>(at4(dists, t))));
}
