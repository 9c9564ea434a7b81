// UMAP: Uniform Manifold Approximation and Projection.
//
// L. McInnes, J. Healy & J. Melville, "UMAP: Uniform Manifold Approximation and Projection for
// Dimension Reduction", arXiv:1802.03426 (2018/2020): §3.1 local fuzzy simplicial sets
// (w_ij = exp(−(d_ij − ρ_i)/σ_i), ρ_i the distance to the nearest neighbour, σ_i such that
// Σ_j w_ij = log₂ k), Appendix C/§4 the layout by stochastic gradient descent on the fuzzy
// cross-entropy with Φ(y) = (1 + a‖y‖^{2b})⁻¹ and negative sampling.
//
// Reference implementation matched: umap-learn 0.5 (lmcinnes/umap) umap/umap_.py
// `smooth_knn_dist`, `compute_membership_strengths`, `make_epochs_per_sample`, and
// umap/layouts.py `_optimize_layout_euclidean_single_epoch` (its gradients, clip, schedules and
// negative sampling, both ends of a positive edge moved, negatives drawn right after their edge),
// with each epoch cut into rounds of tasks that own disjoint rows (umapEpochRound), so that
// threads share it and give the same bytes as one thread. Its random integers (tau_rand_int) are
// replaced by our PCG32 (`nextBounded`), so layouts are ours bit for bit, not umap-learn's.
//
// Memory contract: distances f32 n × kk of the kk = nNeighbors − 1 nearest *other* points,
// ascending (umap-learn's lists start with the point itself at distance 0: it is implicit here);
// sigma, rho f32 n; membership out f32 n × kk. Layout: embedding and its snapshot f32 n × dim,
// rows in block order (blockStart i32 blocks + 1); the edges laid out task after task
// (taskStart i32, heads and columns i32 nnz); per-edge schedules f64 nnz; rng a PCG32 state
// (read only); 16 bytes of scratch per task of a round.
// Complexity: smoothKnn O(n·kk·nIter); one epoch O(Σ_e w_e/w_max · (1 + negativeRate) · dim)
// plus O(nnz) schedule checks and, with more than 2 blocks, a copy of the embedding per round.

import { nextBounded } from "./random";

// umap_.py: SMOOTH_K_TOLERANCE and MIN_K_DIST_SCALE.
// @ts-ignore: decorator
@inline const SMOOTH_K_TOLERANCE: f64 = 1e-5;
// @ts-ignore: decorator
@inline const MIN_K_DIST_SCALE: f64 = 1e-3;
// layouts.py `clip`: gradients are clipped to ±4.
// @ts-ignore: decorator
@inline const GRADIENT_CLIP: f32 = 4.0;
// layouts.py: 0.001 added to the squared distance in the repulsive coefficient.
// @ts-ignore: decorator
@inline const REPULSION_EPSILON: f32 = 0.001;
// splitmix64.c (S. Vigna, public domain): the finaliser's multipliers.
// @ts-ignore: decorator
@inline const SPLITMIX_MUL1: u64 = 0xbf58476d1ce4e5b9;
// @ts-ignore: decorator
@inline const SPLITMIX_MUL2: u64 = 0x94d049bb133111eb;

// @ts-ignore: decorator
@inline function f32At(p: usize, i: i32): usize {
  return p + ((<usize>i) << 2);
}
// @ts-ignore: decorator
@inline function f64At(p: usize, i: i32): usize {
  return p + ((<usize>i) << 3);
}
// @ts-ignore: decorator
@inline function clip(v: f32): f32 {
  return v > GRADIENT_CLIP ? GRADIENT_CLIP : v < -GRADIENT_CLIP ? -GRADIENT_CLIP : v;
}

/**
 * ρ_i and σ_i of every point (umap-learn `smooth_knn_dist`): binary search for σ so that
 * Σ_j exp(−max(0, d_ij − ρ_i)/σ) = log₂(nNeighbors)·bandwidth, nIter steps.
 */
export function umapSmoothKnn(
  dists: usize,
  n: i32,
  kk: i32,
  nNeighbors: i32,
  localConnectivity: f64,
  bandwidth: f64,
  nIter: i32,
  sigma: usize,
  rho: usize,
): void {
  const target = (Math.log(<f64>nNeighbors) / Math.LN2) * bandwidth;
  // Mean over the whole n × nNeighbors matrix, the implicit self-distances 0 included.
  let total: f64 = 0;
  for (let t = 0; t < n * kk; t++) total += <f64>load<f32>(f32At(dists, t));
  const meanAll = total / (<f64>n * <f64>nNeighbors);
  const index = <i32>Math.floor(localConnectivity);
  const interpolation = localConnectivity - <f64>index;
  for (let i = 0; i < n; i++) {
    const row = dists + (((<usize>i) * <usize>kk) << 2);
    // Non-zero distances, ascending: the row's entries > 0 in order.
    let nonZero = 0;
    let firstNz = 0;
    let rowSum: f64 = 0;
    for (let j = 0; j < kk; j++) {
      const d = load<f32>(f32At(row, j));
      rowSum += <f64>d;
      if (d > 0) {
        if (nonZero == 0) firstNz = j;
        nonZero++;
      }
    }
    let r: f64 = 0;
    if (<f64>nonZero >= localConnectivity) {
      // The (index)-th non-zero distance; zeros come first in an ascending row.
      if (index > 0) {
        const lower = <f64>load<f32>(f32At(row, firstNz + index - 1));
        r = lower;
        if (interpolation > SMOOTH_K_TOLERANCE) {
          r += interpolation * (<f64>load<f32>(f32At(row, firstNz + index)) - lower);
        }
      } else {
        r = interpolation * <f64>load<f32>(f32At(row, firstNz));
      }
    } else if (nonZero > 0) {
      r = <f64>load<f32>(f32At(row, kk - 1));
    }
    const rf = <f32>r;
    store<f32>(f32At(rho, i), rf);
    let lo: f64 = 0;
    let hi: f64 = Infinity;
    let mid: f64 = 1;
    for (let it = 0; it < nIter; it++) {
      let psum: f64 = 0;
      for (let j = 0; j < kk; j++) {
        const d = <f64>(load<f32>(f32At(row, j)) - rf);
        psum += d > 0 ? Math.exp(-(d / mid)) : 1.0;
      }
      if (Math.abs(psum - target) < SMOOTH_K_TOLERANCE) break;
      if (psum > target) {
        hi = mid;
        mid = (lo + hi) / 2;
      } else {
        lo = mid;
        mid = hi == Infinity ? mid * 2 : (lo + hi) / 2;
      }
    }
    if (rf > 0) {
      const meanRow = rowSum / <f64>nNeighbors;
      if (mid < MIN_K_DIST_SCALE * meanRow) mid = MIN_K_DIST_SCALE * meanRow;
    } else if (mid < MIN_K_DIST_SCALE * meanAll) {
      mid = MIN_K_DIST_SCALE * meanAll;
    }
    store<f32>(f32At(sigma, i), <f32>mid);
  }
}

/** Membership strengths exp(−(d − ρ)/σ), 1 within ρ (umap-learn `compute_membership_strengths`). */
export function umapMembership(dists: usize, n: i32, kk: i32, sigma: usize, rho: usize, out: usize): void {
  for (let i = 0; i < n; i++) {
    const s = load<f32>(f32At(sigma, i));
    const r = load<f32>(f32At(rho, i));
    for (let j = 0; j < kk; j++) {
      const t = i * kk + j;
      const d = load<f32>(f32At(dists, t));
      let v: f32 = 1;
      if (d - r > 0 && s != 0) v = <f32>Math.exp(-(<f64>(d - r) / <f64>s));
      store<f32>(f32At(out, t), v);
    }
  }
}

/**
 * One round of one SGD epoch (umap-learn `optimize_layout_euclidean`: its gradients, clip,
 * learning-rate schedule, per-edge sampling schedule and negative sampling), for the tasks
 * [t0, t1) of the round. The epoch is cut so that threads can share it and still give the same
 * bytes as one thread:
 *
 * - Rows are in `blocks` contiguous blocks (an even number fixed by n alone; block b holds rows
 *   [blockStart[b], blockStart[b + 1]), i32 blocks + 1), so that two tasks never write into one
 *   cache line but at a block's edge. Each of the epoch's blocks − 1 rounds pairs every block
 *   with another (the circle method of a round-robin tournament), and a task is one pair {p, q}:
 *   it owns the rows of p and q for the round. Every edge belongs to exactly one task of one
 *   round: an edge between blocks p and q to the task of the round that pairs them, an edge
 *   inside block p to one of p's tasks. The caller stores the edges task after task (taskStart:
 *   i32 rounds·tasks + 1; heads and tails as rows, i32 per edge; the schedules f64 per edge),
 *   each task's edges in CSR order.
 * - A task moves both ends of its edges in place, as umap-learn's serial loop does: they are rows
 *   it owns, which no other task of the round reads or writes. Rounds run one after another, so
 *   every positive sample sees the latest positions (serial SGD in the task order; no Hogwild
 *   race and no stale copy).
 * - A negative sample k only moves the head. Its row is read live when k is in the task's blocks
 *   and otherwise from `snapshot`, the embedding copied before the round (another task may be
 *   moving row k now). With 2 blocks there is one task: every read is live, umap-learn's order.
 * - Negative samples of edge position e in epoch t come from PCG32 started at a state of their
 *   own: SplitMix64's finaliser of the stream's state ⊕ (t·nnz + e), with the stream's increment
 *   (`rng`, 16 bytes, read only), so the draws do not depend on which thread ran the task.
 *   scratch holds one 16-byte generator per task of the round.
 *
 * The learning rate of epoch e is initialAlpha·(1 − (e − 1)/nEpochs) (initialAlpha at e = 0),
 * umap-learn's schedule, which lowers it after each epoch.
 */
export function umapEpochRound(
  embedding: usize,
  snapshot: usize,
  n: i32,
  dim: i32,
  blocks: i32,
  blockStart: usize,
  taskStart: usize,
  heads: usize,
  columns: usize,
  epochsPerSample: usize,
  epochOfNextSample: usize,
  epochsPerNegativeSample: usize,
  epochOfNextNegativeSample: usize,
  a: f32,
  b: f32,
  gamma: f32,
  initialAlpha: f64,
  nEpochs: i32,
  epoch: i32,
  round: i32,
  t0: i32,
  t1: i32,
  rng: usize,
  scratch: usize,
): void {
  const rowBytes = (<usize>dim) << 2;
  const attractScale = <f32>-2.0 * a * b;
  const repelScale = <f32>2.0 * gamma * b;
  const bm1 = b - 1;
  const alpha = <f32>(epoch == 0 ? initialAlpha : initialAlpha * (1.0 - <f64>(epoch - 1) / <f64>nEpochs));
  const ep = <f64>epoch;
  const tasks = blocks >> 1;
  const rounds = blocks - 1;
  const nnz = load<i32>(f32At(taskStart, rounds * tasks));
  const key = load<u64>(rng);
  const increment = load<u64>(rng, 8);
  for (let t = t0; t < t1; t++) {
    const gen = scratch + ((<usize>t) << 4);
    store<u64>(gen, increment, 8);
    // The task's blocks p and q (the circle method; see `umapRoundBlocks`).
    const p = umapRoundBlock(blocks, round, t, 0);
    const q = umapRoundBlock(blocks, round, t, 1);
    const p0 = load<i32>(f32At(blockStart, p));
    const pRows = <u32>(load<i32>(f32At(blockStart, p + 1)) - p0);
    const q0 = load<i32>(f32At(blockStart, q));
    const qRows = <u32>(load<i32>(f32At(blockStart, q + 1)) - q0);
    const task = round * tasks + t;
    const end = load<i32>(f32At(taskStart, task + 1));
    for (let e = load<i32>(f32At(taskStart, task)); e < end; e++) {
      if (load<f64>(f64At(epochOfNextSample, e)) > ep) continue;
      const i = load<i32>(f32At(heads, e));
      const j = load<i32>(f32At(columns, e));
      const current = embedding + <usize>i * rowBytes;
      const other = embedding + <usize>j * rowBytes;
      let d2: f32 = 0;
      for (let c = 0; c < dim; c++) {
        const d = load<f32>(f32At(current, c)) - load<f32>(f32At(other, c));
        d2 += d * d;
      }
      let coeff: f32 = 0;
      if (d2 > 0) {
        const pm1 = Mathf.pow(d2, bm1);
        coeff = (attractScale * pm1) / (a * pm1 * d2 + 1);
      }
      for (let c = 0; c < dim; c++) {
        const pc = f32At(current, c);
        const po = f32At(other, c);
        const g = clip(coeff * (load<f32>(pc) - load<f32>(po)));
        store<f32>(pc, load<f32>(pc) + g * alpha);
        store<f32>(po, load<f32>(po) - g * alpha);
      }
      const eps = load<f64>(f64At(epochsPerSample, e));
      store<f64>(f64At(epochOfNextSample, e), load<f64>(f64At(epochOfNextSample, e)) + eps);
      const epn = load<f64>(f64At(epochsPerNegativeSample, e));
      const nextNeg = load<f64>(f64At(epochOfNextNegativeSample, e));
      const negatives = <i32>((ep - nextNeg) / epn);
      if (negatives > 0) store<u64>(gen, mixCounter(key ^ (<u64>epoch * <u64>nnz + <u64>e)));
      for (let s = 0; s < negatives; s++) {
        const k = <i32>nextBounded(gen, <u32>n);
        const own = <u32>(k - p0) < pRows || <u32>(k - q0) < qRows;
        const neg = (own ? embedding : snapshot) + <usize>k * rowBytes;
        let nd2: f32 = 0;
        for (let c = 0; c < dim; c++) {
          const d = load<f32>(f32At(current, c)) - load<f32>(f32At(neg, c));
          nd2 += d * d;
        }
        let rc: f32 = 0;
        if (nd2 > 0) {
          rc = repelScale / ((REPULSION_EPSILON + nd2) * (a * Mathf.pow(nd2, b) + 1));
        } else if (i == k) {
          continue;
        }
        for (let c = 0; c < dim; c++) {
          const pc = f32At(current, c);
          const g = rc > 0 ? clip(rc * (load<f32>(pc) - load<f32>(f32At(neg, c)))) : GRADIENT_CLIP;
          store<f32>(pc, load<f32>(pc) + g * alpha);
        }
      }
      store<f64>(f64At(epochOfNextNegativeSample, e), nextNeg + <f64>negatives * epn);
    }
  }
}

/**
 * Block `side` (0 or 1) of task t in round r of an even number of blocks (the circle method:
 * block blocks − 1 stays put and meets block r; the others pair as (r + k, r − k) mod
 * (blocks − 1), k = 1 … blocks/2 − 1). Every pair of blocks meets in exactly one round.
 */
// @ts-ignore: decorator
@inline function umapRoundBlock(blocks: i32, r: i32, t: i32, side: i32): i32 {
  const m = blocks - 1;
  if (t == 0) return side == 0 ? r : m;
  return side == 0 ? (r + t) % m : (r - t + m) % m;
}

/** umapRoundBlock for the TypeScript side, which lays the edges out by task. */
export function umapRoundBlocks(blocks: i32, r: i32, t: i32, side: i32): i32 {
  return umapRoundBlock(blocks, r, t, side);
}

/**
 * SplitMix64's finaliser (G. Steele, D. Lea, C. Flood, "Fast splittable pseudorandom number
 * generators", OOPSLA 2014; the constants of S. Vigna's splitmix64.c): a counter → a well-mixed
 * PCG32 state.
 */
// @ts-ignore: decorator
@inline function mixCounter(z: u64): u64 {
  z = (z ^ (z >> 30)) * SPLITMIX_MUL1;
  z = (z ^ (z >> 27)) * SPLITMIX_MUL2;
  return z ^ (z >> 31);
}

// ---------------------------------------------------------------------------------------------
// Supervised UMAP: intersecting the data's fuzzy graph with the target's (McInnes et al.,
// arXiv:1802.03426 v3, §6 "supervised dimension reduction"; umap-learn umap_.py
// `discrete_metric_simplicial_set_intersection`, `general_simplicial_set_intersection`,
// `reset_local_connectivity`, sparse.py `general_sset_intersection`).
//
// Graphs are CSR with rows sorted by column (rowPtr i32 n + 1, columns i32, values f32).

/**
 * Categorical target (umap-learn `fast_intersection`), in place: an edge between different
 * labels is multiplied by farFactor = exp(−far_dist), one touching an unknown label (−1) by
 * unknownFactor = exp(−unknown_dist). labels: i32 n.
 */
export function umapCategoricalIntersection(
  rowPtr: usize,
  columns: usize,
  values: usize,
  n: i32,
  labels: usize,
  unknownFactor: f32,
  farFactor: f32,
): void {
  for (let i = 0; i < n; i++) {
    const li = load<i32>(f32At(labels, i));
    const end = load<i32>(f32At(rowPtr, i + 1));
    for (let e = load<i32>(f32At(rowPtr, i)); e < end; e++) {
      const lj = load<i32>(f32At(labels, load<i32>(f32At(columns, e))));
      const p = f32At(values, e);
      if (li == -1 || lj == -1) store<f32>(p, load<f32>(p) * unknownFactor);
      else if (li != lj) store<f32>(p, load<f32>(p) * farFactor);
    }
  }
}

/**
 * Weighted fuzzy intersection of graphs A (the data) and B (the target) on the union of their
 * edges (umap-learn `general_sset_intersection`): with a = A_ij (leftMin where absent),
 * b = B_ij (rightMin where absent) and weight w, the edge is a·b^{w/(1−w)} for w < 0.5, else
 * a^{(1−w)/w}·b. Output CSR (capacity nnzA + nnzB) rows sorted by column. Returns nnz.
 */
export function umapGeneralIntersection(
  rowPtrA: usize,
  columnsA: usize,
  valuesA: usize,
  rowPtrB: usize,
  columnsB: usize,
  valuesB: usize,
  n: i32,
  leftMin: f32,
  rightMin: f32,
  weight: f64,
  rowPtr: usize,
  columns: usize,
  values: usize,
): i32 {
  let out = 0;
  for (let i = 0; i < n; i++) {
    store<i32>(f32At(rowPtr, i), out);
    let p = load<i32>(f32At(rowPtrA, i));
    let q = load<i32>(f32At(rowPtrB, i));
    const pEnd = load<i32>(f32At(rowPtrA, i + 1));
    const qEnd = load<i32>(f32At(rowPtrB, i + 1));
    while (p < pEnd || q < qEnd) {
      const cp = p < pEnd ? load<i32>(f32At(columnsA, p)) : i32.MAX_VALUE;
      const cq = q < qEnd ? load<i32>(f32At(columnsB, q)) : i32.MAX_VALUE;
      const c = cp < cq ? cp : cq;
      let left = leftMin;
      let right = rightMin;
      // umap-learn starts from the sum A + B and overwrites it when either side exceeds its floor.
      let v: f32 = 0;
      if (cp == c) {
        left = load<f32>(f32At(valuesA, p++));
        v += left;
      }
      if (cq == c) {
        right = load<f32>(f32At(valuesB, q++));
        v += right;
      }
      if (left > leftMin || right > rightMin) {
        if (weight < 0.5) v = <f32>(<f64>left * Math.pow(<f64>right, weight / (1.0 - weight)));
        else v = <f32>(Math.pow(<f64>left, (1.0 - weight) / weight) * <f64>right);
      }
      store<i32>(f32At(columns, out), c);
      store<f32>(f32At(values, out), v);
      out++;
    }
  }
  store<i32>(f32At(rowPtr, n), out);
  return out;
}

/**
 * umap-learn `reset_local_connectivity`: scale every row of A so that its largest entry is 1
 * (scikit-learn `normalize(norm="max")`; A is changed in place), then the fuzzy union
 * A + Aᵀ − A∘Aᵀ with zero entries dropped. Output CSR capacity 2·nnz(A), rows sorted by column;
 * scratch: i32 (2·n + 2) + nnz(A) and f32 nnz(A) — the transpose. Returns nnz.
 */
export function umapResetLocalConnectivity(
  rowPtrA: usize,
  columnsA: usize,
  valuesA: usize,
  n: i32,
  rowPtr: usize,
  columns: usize,
  values: usize,
  scratch: usize,
): i32 {
  const nnz = load<i32>(f32At(rowPtrA, n));
  for (let i = 0; i < n; i++) {
    const end = load<i32>(f32At(rowPtrA, i + 1));
    const start = load<i32>(f32At(rowPtrA, i));
    let max: f32 = 0;
    for (let e = start; e < end; e++) {
      const v = Mathf.abs(load<f32>(f32At(valuesA, e)));
      if (v > max) max = v;
    }
    if (max > 0) for (let e = start; e < end; e++) store<f32>(f32At(valuesA, e), load<f32>(f32At(valuesA, e)) / max);
  }
  // Transpose by counting sort: row j of Aᵀ lists the i with A_ij, in increasing i.
  const rowPtrT = scratch;
  const cursor = scratch + ((<usize>(n + 1)) << 2);
  const columnsT = cursor + ((<usize>(n + 1)) << 2);
  const valuesT = columnsT + ((<usize>nnz) << 2);
  memory.fill(rowPtrT, 0, (<usize>(n + 1)) << 2);
  for (let e = 0; e < nnz; e++) {
    const j = load<i32>(f32At(columnsA, e));
    store<i32>(f32At(rowPtrT, j + 1), load<i32>(f32At(rowPtrT, j + 1)) + 1);
  }
  for (let j = 0; j < n; j++) {
    store<i32>(f32At(rowPtrT, j + 1), load<i32>(f32At(rowPtrT, j + 1)) + load<i32>(f32At(rowPtrT, j)));
    store<i32>(f32At(cursor, j), load<i32>(f32At(rowPtrT, j)));
  }
  for (let i = 0; i < n; i++) {
    const end = load<i32>(f32At(rowPtrA, i + 1));
    for (let e = load<i32>(f32At(rowPtrA, i)); e < end; e++) {
      const j = load<i32>(f32At(columnsA, e));
      const at = load<i32>(f32At(cursor, j));
      store<i32>(f32At(columnsT, at), i);
      store<f32>(f32At(valuesT, at), load<f32>(f32At(valuesA, e)));
      store<i32>(f32At(cursor, j), at + 1);
    }
  }
  let out = 0;
  for (let i = 0; i < n; i++) {
    store<i32>(f32At(rowPtr, i), out);
    let p = load<i32>(f32At(rowPtrA, i));
    let q = load<i32>(f32At(rowPtrT, i));
    const pEnd = load<i32>(f32At(rowPtrA, i + 1));
    const qEnd = load<i32>(f32At(rowPtrT, i + 1));
    while (p < pEnd || q < qEnd) {
      const cp = p < pEnd ? load<i32>(f32At(columnsA, p)) : i32.MAX_VALUE;
      const cq = q < qEnd ? load<i32>(f32At(columnsT, q)) : i32.MAX_VALUE;
      const c = cp < cq ? cp : cq;
      let a: f32 = 0;
      let b: f32 = 0;
      if (cp == c) a = load<f32>(f32At(valuesA, p++));
      if (cq == c) b = load<f32>(f32At(valuesT, q++));
      const v = a + b - a * b;
      if (v == 0) continue;
      store<i32>(f32At(columns, out), c);
      store<f32>(f32At(values, out), v);
      out++;
    }
  }
  store<i32>(f32At(rowPtr, n), out);
  return out;
}
