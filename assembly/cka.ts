// Linear centred kernel alignment (CKA) in feature space, and greedy farthest-point sampling.
//
// CKA: S. Kornblith, M. Norouzi, H. Lee, G. Hinton, "Similarity of neural network
// representations revisited", ICML 2019, eq. (5) for linear CKA in feature space:
//   CKA(X, Y) = ‖Yᵀ X‖²_F / (‖Xᵀ X‖_F ‖Yᵀ Y‖_F), X and Y column-centred.
// Debiased CKA replaces each HSIC by the unbiased estimator of L. Song et al., "Feature
// selection via dependence maximization", JMLR 13, 2012 (eq. 5), written in feature space as in
// Kornblith's reference notebook (google-research `representation_similarity`,
// `feature_space_linear_cka(debiased=True)`); the TypeScript side combines the three sums.
// Greedy farthest-point ("greedy permutation") sampling: T. F. Gonzalez, "Clustering to
// minimize the maximum intercluster distance", Theor. Comput. Sci. 38, 1985; as ripser.py's
// `n_perm` (scikit-tda/ripser.py `ripser.py:get_greedy_perm`).
//
// Memory contract.
//   ckaCenterTranspose: X is n × d f32 row-major; `means` d f64 scratch; `out` d × n f64 (one
//     centred column per row, so dot products over samples are contiguous).
//   ckaCrossSquaredNorm: A is da × n f64 and B is db × n f64 (outputs of ckaCenterTranspose);
//     returns Σ_{a ∈ [a0, a1)} Σ_b (A_a · B_b)², the part of ‖Aᵀ… B‖²_F from rows [a0, a1).
//   ckaRowSquaredNorms: A is d × n f64; out[i] = Σ_k A[k, i]² (n f64).
//   ckaCenterBlock: X is n × d f32 row-major, `means` d f64; `out` n × (c1 − c0) f64 row-major:
//     columns [c0, c1) of the centred X, one sample per row (the Gram form's column blocks).
//   ckaGramAccumulate: B is n × b f64 row-major; adds B_i · B_j to K[i, j] (n × n f64 row-major)
//     for rows i ∈ [i0, i1) and j ≥ i: the upper triangle of K += B Bᵀ.
//   ckaGramInner: K and L n × n f64 with valid upper triangles; returns Σ_ij K_ij L_ij.
//   farthestPointUpdate: X n × d f32; minDist n f64 (caller fills +∞ first); updates minDist
//     with the Euclidean distance to row `chosen`, marks `chosen` taken (−1), and returns the
//     untaken row with the largest minDist (lowest index on ties; −1 when every row is taken).
// Complexity: centring O(n·d); cross norm O(n·da·db) multiply-adds; Gram O(n²·d/2) and its
// inner product O(n²/2); farthest point O(n·d) per call, O(n·m·d) for m samples. No allocation.

import { columnMeans } from "./stats";

/** Sample-space accumulator (float64, DESIGN "accumulations in float64"). */
type Acc = f64;

// Register tile of the cross norm: 2 rows of A against 2 rows of B, four f64x2 accumulators.
// @ts-ignore: decorator
@inline const TILE: i32 = 2;
/** minDist value of a row already in the farthest-point sample. */
// @ts-ignore: decorator
@inline const TAKEN: f64 = -1;

// @ts-ignore: decorator
@inline function hsum2(v: v128): Acc {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

/** Dot product of two f64 rows of length n (f64x2 main loop, scalar tail). */
// @ts-ignore: decorator
@inline function dot(pa: usize, pb: usize, n: i32): Acc {
  const n2 = n & ~1;
  let acc = f64x2.splat(0);
  for (let k = 0; k < n2; k += 2) {
    const off = (<usize>k) << 3;
    acc = f64x2.add(acc, f64x2.mul(v128.load(pa + off), v128.load(pb + off)));
  }
  let s = hsum2(acc);
  if (n2 < n) s += load<f64>(pa + ((<usize>n2) << 3)) * load<f64>(pb + ((<usize>n2) << 3));
  return s;
}

/** Centre the columns of X (f64 means) and write them transposed as f64 rows. */
export function ckaCenterTranspose(x: usize, n: i32, d: i32, means: usize, out: usize): void {
  columnMeans(x, n, d, means);
  const rowBytes = (<usize>d) << 2;
  const colBytes = (<usize>n) << 3;
  for (let i = 0; i < n; i++) {
    const px = x + <usize>i * rowBytes;
    const po = out + ((<usize>i) << 3);
    for (let k = 0; k < d; k++) {
      store<f64>(po + <usize>k * colBytes, <f64>load<f32>(px + ((<usize>k) << 2)) - load<f64>(means + ((<usize>k) << 3)));
    }
  }
}

/** Σ over rows a ∈ [a0, a1) of A and every row b of B of (A_a · B_b)². */
export function ckaCrossSquaredNorm(a: usize, da: i32, b: usize, db: i32, n: i32, a0: i32, a1: i32): f64 {
  const rowBytes = (<usize>n) << 3;
  const n2 = n & ~1;
  const aFull = a0 + ((a1 - a0) / TILE) * TILE;
  const bFull = (db / TILE) * TILE;
  let total: Acc = 0;
  for (let i = a0; i < aFull; i += TILE) {
    const pa0 = a + <usize>i * rowBytes;
    const pa1 = pa0 + rowBytes;
    for (let j = 0; j < bFull; j += TILE) {
      const pb0 = b + <usize>j * rowBytes;
      const pb1 = pb0 + rowBytes;
      let c00 = f64x2.splat(0), c01 = f64x2.splat(0);
      let c10 = f64x2.splat(0), c11 = f64x2.splat(0);
      for (let k = 0; k < n2; k += 2) {
        const off = (<usize>k) << 3;
        const x0 = v128.load(pa0 + off);
        const x1 = v128.load(pa1 + off);
        const y0 = v128.load(pb0 + off);
        const y1 = v128.load(pb1 + off);
        c00 = f64x2.add(c00, f64x2.mul(x0, y0));
        c01 = f64x2.add(c01, f64x2.mul(x0, y1));
        c10 = f64x2.add(c10, f64x2.mul(x1, y0));
        c11 = f64x2.add(c11, f64x2.mul(x1, y1));
      }
      let s00 = hsum2(c00), s01 = hsum2(c01), s10 = hsum2(c10), s11 = hsum2(c11);
      if (n2 < n) {
        const off = (<usize>n2) << 3;
        const x0 = load<f64>(pa0 + off), x1 = load<f64>(pa1 + off);
        const y0 = load<f64>(pb0 + off), y1 = load<f64>(pb1 + off);
        s00 += x0 * y0;
        s01 += x0 * y1;
        s10 += x1 * y0;
        s11 += x1 * y1;
      }
      total += s00 * s00 + s01 * s01 + (s10 * s10 + s11 * s11);
    }
    for (let j = bFull; j < db; j++) {
      const pb = b + <usize>j * rowBytes;
      const s0 = dot(pa0, pb, n);
      const s1 = dot(pa1, pb, n);
      total += s0 * s0 + s1 * s1;
    }
  }
  for (let i = aFull; i < a1; i++) {
    const pa = a + <usize>i * rowBytes;
    for (let j = 0; j < db; j++) {
      const s = dot(pa, b + <usize>j * rowBytes, n);
      total += s * s;
    }
  }
  return total;
}

/** out[i] = Σ_k A[k, i]²: the squared norm of each sample's centred vector. */
export function ckaRowSquaredNorms(a: usize, d: i32, n: i32, out: usize): void {
  memory.fill(out, 0, (<usize>n) << 3);
  const rowBytes = (<usize>n) << 3;
  for (let k = 0; k < d; k++) {
    const pa = a + <usize>k * rowBytes;
    for (let i = 0; i < n; i++) {
      const off = (<usize>i) << 3;
      const v = load<f64>(pa + off);
      store<f64>(out + off, load<f64>(out + off) + v * v);
    }
  }
}

/** Columns [c0, c1) of X minus their means, as n rows of c1 − c0 f64 (sample-major). */
export function ckaCenterBlock(x: usize, n: i32, d: i32, means: usize, c0: i32, c1: i32, out: usize): void {
  const rowBytes = (<usize>d) << 2;
  const b = c1 - c0;
  for (let i = 0; i < n; i++) {
    const px = x + <usize>i * rowBytes + ((<usize>c0) << 2);
    const po = out + (((<usize>i) * <usize>b) << 3);
    const pm = means + ((<usize>c0) << 3);
    for (let k = 0; k < b; k++) {
      store<f64>(po + ((<usize>k) << 3), <f64>load<f32>(px + ((<usize>k) << 2)) - load<f64>(pm + ((<usize>k) << 3)));
    }
  }
}

/**
 * K[i, j] += B_i · B_j for i ∈ [i0, i1), j ∈ [i, n): the upper triangle of K += B Bᵀ, two rows of
 * B against one at a time so each loaded B_j serves two dot products.
 */
export function ckaGramAccumulate(block: usize, n: i32, b: i32, gram: usize, i0: i32, i1: i32): void {
  const rowBytes = (<usize>b) << 3;
  const gramRow = (<usize>n) << 3;
  const b2 = b & ~1;
  let i = i0;
  for (; i + 1 < i1; i += 2) {
    const p0 = block + <usize>i * rowBytes;
    const p1 = p0 + rowBytes;
    const k0 = gram + <usize>i * gramRow;
    const k1 = k0 + gramRow;
    // K[i, i]: row i + 1 starts one column later.
    store<f64>(k0 + ((<usize>i) << 3), load<f64>(k0 + ((<usize>i) << 3)) + dot(p0, p0, b));
    for (let j = i + 1; j < n; j++) {
      const pj = block + <usize>j * rowBytes;
      let a0 = f64x2.splat(0);
      let a1 = f64x2.splat(0);
      for (let k = 0; k < b2; k += 2) {
        const off = (<usize>k) << 3;
        const y = v128.load(pj + off);
        a0 = f64x2.add(a0, f64x2.mul(v128.load(p0 + off), y));
        a1 = f64x2.add(a1, f64x2.mul(v128.load(p1 + off), y));
      }
      let s0 = hsum2(a0);
      let s1 = hsum2(a1);
      if (b2 < b) {
        const off = (<usize>b2) << 3;
        const y = load<f64>(pj + off);
        s0 += load<f64>(p0 + off) * y;
        s1 += load<f64>(p1 + off) * y;
      }
      const o = (<usize>j) << 3;
      store<f64>(k0 + o, load<f64>(k0 + o) + s0);
      store<f64>(k1 + o, load<f64>(k1 + o) + s1);
    }
  }
  for (; i < i1; i++) {
    const p0 = block + <usize>i * rowBytes;
    const k0 = gram + <usize>i * gramRow;
    for (let j = i; j < n; j++) {
      const o = (<usize>j) << 3;
      store<f64>(k0 + o, load<f64>(k0 + o) + dot(p0, block + <usize>j * rowBytes, b));
    }
  }
}

/** Σ_ij K_ij L_ij of two symmetric matrices from their upper triangles (diagonal once, the rest twice). */
export function ckaGramInner(k: usize, l: usize, n: i32): f64 {
  const rowBytes = (<usize>n) << 3;
  let diagonal: Acc = 0;
  let upper: Acc = 0;
  for (let i = 0; i < n; i++) {
    const pk = k + <usize>i * rowBytes;
    const pl = l + <usize>i * rowBytes;
    const o = (<usize>i) << 3;
    diagonal += load<f64>(pk + o) * load<f64>(pl + o);
    const j0 = i + 1;
    const m = n - j0;
    if (m > 0) upper += dot(pk + ((<usize>j0) << 3), pl + ((<usize>j0) << 3), m);
  }
  return diagonal + 2 * upper;
}

/**
 * ckaGramInner's terms for rows [i0, i1), for the kernel threads: K_ii·L_ii to out[2i] and
 * Σ_{j>i} K_ij L_ij to out[2i + 1] (f64). ckaGramInnerSum adds them in row order, as
 * ckaGramInner does, so the inner product is the same bytes on any thread count.
 */
export function ckaGramInnerRows(k: usize, l: usize, n: i32, i0: i32, i1: i32, out: usize): void {
  const rowBytes = (<usize>n) << 3;
  for (let i = i0; i < i1; i++) {
    const pk = k + <usize>i * rowBytes;
    const pl = l + <usize>i * rowBytes;
    const o = (<usize>i) << 3;
    const po = out + ((<usize>i) << 4);
    store<f64>(po, load<f64>(pk + o) * load<f64>(pl + o));
    const j0 = i + 1;
    const m = n - j0;
    store<f64>(po, m > 0 ? dot(pk + ((<usize>j0) << 3), pl + ((<usize>j0) << 3), m) : 0, 8);
  }
}

/** Σ_ij K_ij L_ij from ckaGramInnerRows' terms of all n rows, added in row order. */
export function ckaGramInnerSum(terms: usize, n: i32): f64 {
  let diagonal: Acc = 0;
  let upper: Acc = 0;
  for (let i = 0; i < n; i++) {
    const p = terms + ((<usize>i) << 4);
    diagonal += load<f64>(p);
    if (i + 1 < n) upper += load<f64>(p, 8);
  }
  return diagonal + 2 * upper;
}

/**
 * One step of greedy farthest-point sampling: lower minDist[i] to d(X_i, X_chosen) and return
 * the index of the largest minDist (the next sample). Distances are Σ(x − y)² over f32 lanes
 * widened to f64 before subtracting, then a square root.
 */
export function farthestPointUpdate(x: usize, n: i32, d: i32, chosen: i32, minDist: usize): i32 {
  const rowBytes = (<usize>d) << 2;
  const pc = x + <usize>chosen * rowBytes;
  const d4 = d & ~3;
  let best = -1;
  let bestValue: f64 = -1;
  // Chosen rows are marked −1 so they are never chosen again, even among duplicates.
  store<f64>(minDist + ((<usize>chosen) << 3), TAKEN);
  for (let i = 0; i < n; i++) {
    const pm = minDist + ((<usize>i) << 3);
    let m = load<f64>(pm);
    if (m == TAKEN) continue;
    const px = x + <usize>i * rowBytes;
    let acc0 = f64x2.splat(0);
    let acc1 = f64x2.splat(0);
    for (let k = 0; k < d4; k += 4) {
      const off = (<usize>k) << 2;
      const xv = v128.load(px + off);
      const cv = v128.load(pc + off);
      // Differences in f64 (as numpy on float64 data): no rounding before squaring.
      const lo = f64x2.sub(f64x2.promote_low_f32x4(xv), f64x2.promote_low_f32x4(cv));
      const hi = f64x2.sub(
        f64x2.promote_low_f32x4(v128.shuffle<u32>(xv, xv, 2, 3, 0, 1)),
        f64x2.promote_low_f32x4(v128.shuffle<u32>(cv, cv, 2, 3, 0, 1)),
      );
      acc0 = f64x2.add(acc0, f64x2.mul(lo, lo));
      acc1 = f64x2.add(acc1, f64x2.mul(hi, hi));
    }
    let s = hsum2(f64x2.add(acc0, acc1));
    for (let k = d4; k < d; k++) {
      const off = (<usize>k) << 2;
      const t = <f64>load<f32>(px + off) - <f64>load<f32>(pc + off);
      s += t * t;
    }
    const dist = Math.sqrt(s);
    if (dist < m) {
      m = dist;
      store<f64>(pm, m);
    }
    if (m > bestValue) {
      bestValue = m;
      best = i;
    }
  }
  return best;
}
