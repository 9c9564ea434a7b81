// Optimal matchings between persistence diagrams: the assignment problems behind the
// Wasserstein distance W_q with internal L_p norm (Kerber, Morozov & Nigmetov 2017).
//
// A diagram pair (A: m points, B: k points) becomes an assignment problem of size N = m + k
// on the diagonal-augmented bipartite graph: bidders/rows are A's points and one diagonal copy
// per point of B, objects/columns are B's points and one diagonal copy per point of A. A point
// may go to another diagram's point (cost ‖a − b‖_p^q) or to the diagonal (its distance to the
// diagonal, ^q); diagonal copies pair among themselves for free.
//
//   · diagramHungarian: exact, the shortest-augmenting-path Hungarian method with potentials
//     (Kuhn 1955, Munkres 1957; the O(N³) row-by-row form of Jonker–Volgenant 1987 without
//     their initialisation heuristics) on a dense N × N cost matrix built by the caller.
//     Resumable by rows so the caller can check for cancellation between chunks.
//   · diagramAuction*: Bertsekas' forward auction with ε-scaling (Bertsekas 1988; the
//     diagram form of Kerber, Morozov, Nigmetov, "Geometry helps to compare persistence
//     diagrams", JEA 2017, with linear scans instead of their k-d trees), costs computed on
//     the fly from the points, O(N) memory. Each phase ends with an ε-complementary-slack
//     assignment; diagramAuctionDual gives a dual lower bound, so the caller can stop with a
//     proven relative error.
//
// Memory contract: points are f64 (birth, death) pairs; outputs and scratch are caller-owned,
// sizes stated per kernel. Complexity: Hungarian O(N³) time, N² memory; auction O(N) per bid.

/** "+∞" for potentials and minima (finite so that arithmetic on it stays finite). */
// @ts-ignore: decorator
@inline const BIG: f64 = 1.0e300;

/**
 * Solve rows [r0, r1) of the assignment problem on the N × N row-major f64 cost matrix.
 * State (caller-owned, zeroed before row 0, kept between calls):
 *   u, v   (N + 1) f64 potentials;  p, way (N + 1) i32;  minv (N + 1) f64;  used (N + 1) u8.
 * After the last row, p[j] (1-based) is the row assigned to column j. Returns the current
 * total −v[0], which after the last row is the optimal cost.
 */
export function diagramHungarian(
  cost: usize, n: i32, r0: i32, r1: i32,
  u: usize, v: usize, p: usize, way: usize, minv: usize, used: usize,
): f64 {
  for (let i = r0 + 1; i <= r1; i++) {
    store<i32>(p, i);
    let j0 = 0;
    for (let j = 0; j <= n; j++) {
      store<f64>(minv + ((<usize>j) << 3), BIG);
      store<u8>(used + <usize>j, 0);
    }
    do {
      store<u8>(used + <usize>j0, 1);
      const i0 = load<i32>(p + ((<usize>j0) << 2));
      const ui0 = load<f64>(u + ((<usize>i0) << 3));
      const row = cost + ((<usize>(i0 - 1) * <usize>n) << 3);
      let delta = BIG;
      let j1 = 0;
      for (let j = 1; j <= n; j++) {
        if (load<u8>(used + <usize>j) != 0) continue;
        const cur = load<f64>(row + ((<usize>(j - 1)) << 3)) - ui0 - load<f64>(v + ((<usize>j) << 3));
        let mj = load<f64>(minv + ((<usize>j) << 3));
        if (cur < mj) {
          mj = cur;
          store<f64>(minv + ((<usize>j) << 3), cur);
          store<i32>(way + ((<usize>j) << 2), j0);
        }
        if (mj < delta) {
          delta = mj;
          j1 = j;
        }
      }
      for (let j = 0; j <= n; j++) {
        if (load<u8>(used + <usize>j) != 0) {
          const pj = load<i32>(p + ((<usize>j) << 2));
          store<f64>(u + ((<usize>pj) << 3), load<f64>(u + ((<usize>pj) << 3)) + delta);
          store<f64>(v + ((<usize>j) << 3), load<f64>(v + ((<usize>j) << 3)) - delta);
        } else {
          store<f64>(minv + ((<usize>j) << 3), load<f64>(minv + ((<usize>j) << 3)) - delta);
        }
      }
      j0 = j1;
    } while (load<i32>(p + ((<usize>j0) << 2)) != 0);
    do {
      const j1 = load<i32>(way + ((<usize>j0) << 2));
      store<i32>(p + ((<usize>j0) << 2), load<i32>(p + ((<usize>j1) << 2)));
      j0 = j1;
    } while (j0 != 0);
  }
  return -load<f64>(v);
}

// ---------------------------------------------------------------------------------------------
// Auction

/** L_p distance between (b1, d1) and (b2, d2), raised to q; p = +∞ for the max norm. */
// @ts-ignore: decorator
@inline function groundCost(b1: f64, d1: f64, b2: f64, d2: f64, p: f64, q: f64): f64 {
  const x = Math.abs(b1 - b2);
  const y = Math.abs(d1 - d2);
  let dist: f64;
  if (p == Infinity) dist = max(x, y);
  else if (p == 2) dist = Math.sqrt(x * x + y * y);
  else if (p == 1) dist = x + y;
  else dist = Math.pow(Math.pow(x, p) + Math.pow(y, p), 1 / p);
  return q == 1 ? dist : Math.pow(dist, q);
}

/**
 * Costs to the diagonal, ^q, for `count` points: out[i] = (‖(d − b)/2 · (1, 1)‖_p)^q, i.e.
 * (d − b)/2 for p = ∞ and (d − b)/√2 for p = 2.
 */
export function diagramDiagonalCosts(points: usize, count: i32, p: f64, q: f64, out: usize): void {
  for (let i = 0; i < count; i++) {
    const b = load<f64>(points + ((<usize>i) << 4));
    const d = load<f64>(points + ((<usize>i) << 4), 8);
    const h = Math.abs(d - b) / 2;
    store<f64>(out + ((<usize>i) << 3), groundCost(b, d, b + h, d - h, p, q));
  }
}

/**
 * One ε-phase of the forward auction (Gauss–Seidel: one bidder at a time).
 *   A: m points, B: k points (f64 pairs); dA (m f64), dB (k f64): diagonal costs^q.
 *   prices (k + m f64): object prices, kept across phases.
 *   owner (k + m i32): bidder holding each object, −1 free; assign (m + k i32): object of
 *   each bidder, −1 free. The phase starts by freeing every bidder and object.
 *   queue (m + k i32) scratch.
 * Objects 0..k−1 are B's points, k..k+m−1 the diagonal copies of A's points (π_i); bidders
 * 0..m−1 are A's points, m..m+k−1 the diagonal copies of B's points (δ_j). a_i may take any b_j
 * or its own π_i; δ_j may take its own b_j or any π_i (at cost 0).
 * Returns the number of bids made.
 */
export function diagramAuctionPhase(
  A: usize, m: i32, B: usize, k: i32, dA: usize, dB: usize, p: f64, q: f64, eps: f64,
  prices: usize, owner: usize, assign: usize, queue: usize,
): f64 {
  const N = m + k;
  for (let o = 0; o < N; o++) store<i32>(owner + ((<usize>o) << 2), -1);
  for (let b = 0; b < N; b++) {
    store<i32>(assign + ((<usize>b) << 2), -1);
    store<i32>(queue + ((<usize>b) << 2), b);
  }
  // Circular queue of free bidders: exactly N slots, at most N free at once.
  let head = 0;
  let size = N;
  let bids: f64 = 0;
  while (size > 0) {
    const bidder = load<i32>(queue + ((<usize>head) << 2));
    head = head + 1 == N ? 0 : head + 1;
    size--;
    let best = -1;
    let w1: f64 = BIG;
    let w2: f64 = BIG;
    if (bidder < m) {
      const b0 = load<f64>(A + ((<usize>bidder) << 4));
      const d0 = load<f64>(A + ((<usize>bidder) << 4), 8);
      for (let j = 0; j < k; j++) {
        const w = groundCost(b0, d0, load<f64>(B + ((<usize>j) << 4)), load<f64>(B + ((<usize>j) << 4), 8), p, q) +
          load<f64>(prices + ((<usize>j) << 3));
        if (w < w1) {
          w2 = w1;
          w1 = w;
          best = j;
        } else if (w < w2) w2 = w;
      }
      const o = k + bidder;
      const w = load<f64>(dA + ((<usize>bidder) << 3)) + load<f64>(prices + ((<usize>o) << 3));
      if (w < w1) {
        w2 = w1;
        w1 = w;
        best = o;
      } else if (w < w2) w2 = w;
    } else {
      const j = bidder - m;
      w1 = load<f64>(dB + ((<usize>j) << 3)) + load<f64>(prices + ((<usize>j) << 3));
      best = j;
      for (let i = 0; i < m; i++) {
        const o = k + i;
        const w = load<f64>(prices + ((<usize>o) << 3));
        if (w < w1) {
          w2 = w1;
          w1 = w;
          best = o;
        } else if (w < w2) w2 = w;
      }
    }
    // A single admissible object: raise its price by ε only (w2 = +∞ otherwise).
    const raise = w2 >= BIG ? eps : w2 - w1 + eps;
    store<f64>(prices + ((<usize>best) << 3), load<f64>(prices + ((<usize>best) << 3)) + raise);
    const previous = load<i32>(owner + ((<usize>best) << 2));
    store<i32>(owner + ((<usize>best) << 2), bidder);
    store<i32>(assign + ((<usize>bidder) << 2), best);
    if (previous >= 0) {
      store<i32>(assign + ((<usize>previous) << 2), -1);
      let tail = head + size;
      if (tail >= N) tail -= N;
      store<i32>(queue + ((<usize>tail) << 2), previous);
      size++;
    }
    bids++;
  }
  return bids;
}

/** Cost of the assignment of bidder i to object o (for the primal sum). */
function pairCost(A: usize, m: i32, B: usize, k: i32, dA: usize, dB: usize, p: f64, q: f64, i: i32, o: i32): f64 {
  if (i < m) {
    if (o < k) {
      return groundCost(
        load<f64>(A + ((<usize>i) << 4)), load<f64>(A + ((<usize>i) << 4), 8),
        load<f64>(B + ((<usize>o) << 4)), load<f64>(B + ((<usize>o) << 4), 8), p, q,
      );
    }
    return load<f64>(dA + ((<usize>i) << 3));
  }
  return o < k ? load<f64>(dB + ((<usize>o) << 3)) : 0;
}

/** Total cost of the current assignment. */
export function diagramAuctionPrimal(
  A: usize, m: i32, B: usize, k: i32, dA: usize, dB: usize, p: f64, q: f64, assign: usize,
): f64 {
  let total: f64 = 0;
  for (let i = 0; i < m + k; i++) total += pairCost(A, m, B, k, dA, dB, p, q, i, load<i32>(assign + ((<usize>i) << 2)));
  return total;
}

/**
 * Dual lower bound on the optimal cost from the prices: Σ_i min_o (c_io + price_o) − Σ_o price_o
 * (the potentials u_i = min_o(c_io + p_o), v_o = −p_o are dual feasible).
 */
export function diagramAuctionDual(
  A: usize, m: i32, B: usize, k: i32, dA: usize, dB: usize, p: f64, q: f64, prices: usize,
): f64 {
  let total: f64 = 0;
  let minDiagonalPrice: f64 = BIG;
  for (let i = 0; i < m; i++) minDiagonalPrice = min(minDiagonalPrice, load<f64>(prices + ((<usize>(k + i)) << 3)));
  for (let i = 0; i < m; i++) {
    const b0 = load<f64>(A + ((<usize>i) << 4));
    const d0 = load<f64>(A + ((<usize>i) << 4), 8);
    let w1 = load<f64>(dA + ((<usize>i) << 3)) + load<f64>(prices + ((<usize>(k + i)) << 3));
    for (let j = 0; j < k; j++) {
      const w = groundCost(b0, d0, load<f64>(B + ((<usize>j) << 4)), load<f64>(B + ((<usize>j) << 4), 8), p, q) +
        load<f64>(prices + ((<usize>j) << 3));
      if (w < w1) w1 = w;
    }
    total += w1;
  }
  for (let j = 0; j < k; j++) {
    total += min(load<f64>(dB + ((<usize>j) << 3)) + load<f64>(prices + ((<usize>j) << 3)), m > 0 ? minDiagonalPrice : BIG);
  }
  for (let o = 0; o < m + k; o++) total -= load<f64>(prices + ((<usize>o) << 3));
  return total;
}
