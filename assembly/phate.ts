// PHATE kernels (K. R. Moon, D. van Dijk, Z. Wang et al., "Visualizing structure and
// transitions in high-dimensional biological data", Nat. Biotechnol. 37, 2019; §Methods eq. 1–4)
// and the dense float64 linear algebra its diffusion needs.
//
// - phateAlphaDecayRows: rows of graphtools' alpha-decay kernel (KrishnaswamyLab/graphtools
//   v2.1.0 graphs.py `kNNGraph.build_kernel`): σ_i = distance to the knn-th nearest other row,
//   a_ij = exp(−(d_ij/σ_i)^decay), entries below `thresh` dropped. graphtools widens its
//   neighbour search until every dropped entry is below the threshold; scanning whole rows
//   gives exactly that set.
// - phateGemmRows: C = A·B for square f64 matrices, a block of rows at a time (the diffusion
//   powers Pᵗ by repeated squaring); zero entries of A are skipped, so
//   the first products of a sparse operator cost little.
// - phateTridiagonalize + phateTridiagonalEigenvalues: every eigenvalue of a dense symmetric
//   matrix (Householder reduction, Golub & Van Loan, Matrix Computations 4th ed. §8.3.1; then
//   implicit QL with Wilkinson shifts, the EISPACK tql1 algorithm), for the von Neumann entropy.
// - phatePotential: the diffusion potential of eq. 3 for any γ (phate/phate.py
//   `_calculate_potential`).
// - phateSparseDense / phateSparseMatvec: a CSR matrix (f64 values) times dense f64 columns.
//
// Memory contract: data rows f32 n × d; dense matrices f64 n × n row-major; CSR rowPtr i32 n+1,
// columns i32, values f64. Outputs are owned by the caller; scratch sizes are stated per kernel.
// Complexity: alpha-decay O(rows·n·d); gemm O(n³) (less for sparse A); tridiagonalisation
// ~(4/3)n³ multiply-adds in f64x2; QL O(n²).

import { squaredDistanceTile } from "./distance";

type value_t = f32;
type accum_t = f64;

// graphtools multiplies bandwidths of duplicate points: σ = 0 makes (d/σ) NaN, which it sets to
// affinity 1. Flooring σ at the f64 machine epsilon gives the same entries: d = 0 → 1, d > 0 → 0.
// @ts-ignore: decorator
@inline const BANDWIDTH_FLOOR: f64 = 2.220446049250313e-16;
// Rows per squared-distance tile in phateAlphaDecayRows.
// @ts-ignore: decorator
@inline const TILE_ROWS: i32 = 16;
// Column and inner-dimension blocks of the gemm: a B panel of GEMM_K × GEMM_J f64 is 256 KiB.
// @ts-ignore: decorator
@inline const GEMM_J: i32 = 512;
// @ts-ignore: decorator
@inline const GEMM_K: i32 = 64;
// Relative size below which a sub-diagonal entry is zero in QL (f64 epsilon, as in tql1).
// @ts-ignore: decorator
@inline const EPSILON: f64 = 2.220446049250313e-16;
// QL iterations per eigenvalue before giving up (EISPACK uses 30).
// @ts-ignore: decorator
@inline const MAX_QL_ITERATIONS: i32 = 60;
// phate `_calculate_potential`: γ = 1 uses −log(Pᵗ + 1e-7).
// @ts-ignore: decorator
@inline const LOG_POTENTIAL_OFFSET: f64 = 1e-7;

// @ts-ignore: decorator
@inline function f64At(p: usize, i: i32): usize {
  return p + ((<usize>i) << 3);
}
// @ts-ignore: decorator
@inline function f32At(p: usize, i: i32): usize {
  return p + ((<usize>i) << 2);
}
// @ts-ignore: decorator
@inline function i32At(p: usize, i: i32): usize {
  return p + ((<usize>i) << 2);
}

/** Scratch floats phateAlphaDecayRows needs for n rows: a distance tile and a selection row. */
export function phateAlphaDecayScratchFloats(n: i32): i32 {
  return TILE_ROWS * n + n;
}

/** The k-th smallest (0-based) of `count` floats at p, by quickselect (p is reordered). */
function selectKth(p: usize, count: i32, k: i32): value_t {
  let lo = 0;
  let hi = count - 1;
  while (hi > lo) {
    const pivot = load<value_t>(f32At(p, lo + ((hi - lo) >> 1)));
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (load<f32>(f32At(p, i)) < pivot) i++;
      while (load<f32>(f32At(p, j)) > pivot) j--;
      if (i <= j) {
        const t = load<value_t>(f32At(p, i));
        store<f32>(f32At(p, i), load<f32>(f32At(p, j)));
        store<f32>(f32At(p, j), t);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return load<f32>(f32At(p, k));
}

/**
 * Directed alpha-decay affinities of rows [r0, r1) of x (n × d) against all n rows. Entries
 * ≥ thresh are appended row by row to outColumns (i32) / outValues (f64), columns ascending;
 * outCounts[r − r0] gets each row's count and outSigma[r − r0] its bandwidth σ_r (before the
 * floor). Capacity must be (r1 − r0)·n. Returns the number of entries written.
 */
export function phateAlphaDecayRows(
  x: usize,
  n: i32,
  d: i32,
  r0: i32,
  r1: i32,
  knn: i32,
  decay: f64,
  thresh: f64,
  outColumns: usize,
  outValues: usize,
  outCounts: usize,
  outSigma: usize,
  scratch: usize,
): i32 {
  const tile = scratch;
  const select = scratch + ((<usize>(TILE_ROWS * n)) << 2);
  // a ≥ thresh  ⇔  (d/σ)^decay ≤ −ln thresh  ⇔  d² ≤ σ² (−ln thresh)^(2/decay)
  const radiusFactor: f64 = Math.pow(-Math.log(thresh), 2.0 / decay);
  let written = 0;
  for (let b0 = r0; b0 < r1; b0 += TILE_ROWS) {
    const b1 = min(b0 + TILE_ROWS, r1);
    squaredDistanceTile(x, x, d, b0, b1, 0, n, tile, n);
    for (let r = b0; r < b1; r++) {
      const row = tile + ((<usize>((r - b0) * n)) << 2);
      memory.copy(select, row, (<usize>n) << 2);
      // Position knn of the sorted row counts the row itself (distance 0) as position 0.
      const sigma2 = <f64>selectKth(select, n, knn);
      const sigma = Math.sqrt(sigma2);
      store<f64>(f64At(outSigma, r - r0), sigma);
      const s = max(sigma, BANDWIDTH_FLOOR);
      const limit = s * s * radiusFactor;
      let count = 0;
      for (let j = 0; j < n; j++) {
        const d2 = <f64>load<f32>(f32At(row, j));
        if (d2 > limit) continue;
        const a = Math.exp(-Math.pow(Math.sqrt(d2) / s, decay));
        if (a < thresh) continue;
        store<i32>(i32At(outColumns, written), j);
        store<f64>(f64At(outValues, written), a);
        written++;
        count++;
      }
      store<i32>(i32At(outCounts, r - r0), count);
    }
  }
  return written;
}

/**
 * Rows [i0, i1) of C = A·B, all n × n f64 row-major (C must not alias A or B). Blocked over
 * columns and the inner dimension; four inner-dimension terms per f64x2 update of C.
 */
export function phateGemmRows(a: usize, b: usize, c: usize, n: i32, i0: i32, i1: i32): void {
  const rowBytes = (<usize>n) << 3;
  for (let i = i0; i < i1; i++) memory.fill(c + <usize>i * rowBytes, 0, rowBytes);
  for (let j0 = 0; j0 < n; j0 += GEMM_J) {
    const j1 = min(j0 + GEMM_J, n);
    const jPairs = j0 + ((j1 - j0) & ~1);
    for (let k0 = 0; k0 < n; k0 += GEMM_K) {
      const k1 = min(k0 + GEMM_K, n);
      for (let i = i0; i < i1; i++) {
        const pa = a + <usize>i * rowBytes;
        const pc = c + <usize>i * rowBytes;
        let k = k0;
        for (; k + 4 <= k1; k += 4) {
          const a0 = load<f64>(f64At(pa, k));
          const a1 = load<f64>(f64At(pa, k + 1));
          const a2 = load<f64>(f64At(pa, k + 2));
          const a3 = load<f64>(f64At(pa, k + 3));
          if (a0 == 0 && a1 == 0 && a2 == 0 && a3 == 0) continue;
          const v0 = f64x2.splat(a0);
          const v1 = f64x2.splat(a1);
          const v2 = f64x2.splat(a2);
          const v3 = f64x2.splat(a3);
          const pb0 = b + <usize>k * rowBytes;
          const pb1 = pb0 + rowBytes;
          const pb2 = pb1 + rowBytes;
          const pb3 = pb2 + rowBytes;
          for (let j = j0; j < jPairs; j += 2) {
            const off = (<usize>j) << 3;
            let s = v128.load(pc + off);
            s = f64x2.add(s, f64x2.mul(v0, v128.load(pb0 + off)));
            s = f64x2.add(s, f64x2.mul(v1, v128.load(pb1 + off)));
            s = f64x2.add(s, f64x2.mul(v2, v128.load(pb2 + off)));
            s = f64x2.add(s, f64x2.mul(v3, v128.load(pb3 + off)));
            v128.store(pc + off, s);
          }
          if (jPairs < j1) {
            const off = (<usize>jPairs) << 3;
            store<f64>(pc + off, load<f64>(pc + off) + a0 * load<f64>(pb0 + off) + a1 * load<f64>(pb1 + off) + a2 * load<f64>(pb2 + off) + a3 * load<f64>(pb3 + off));
          }
        }
        for (; k < k1; k++) {
          const ak = load<f64>(f64At(pa, k));
          if (ak == 0) continue;
          const v = f64x2.splat(ak);
          const pb = b + <usize>k * rowBytes;
          for (let j = j0; j < jPairs; j += 2) {
            const off = (<usize>j) << 3;
            v128.store(pc + off, f64x2.add(v128.load(pc + off), f64x2.mul(v, v128.load(pb + off))));
          }
          if (jPairs < j1) {
            const off = (<usize>jPairs) << 3;
            store<f64>(pc + off, load<f64>(pc + off) + ak * load<f64>(pb + off));
          }
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function dot2(x: usize, y: usize, count: i32): f64 {
  let acc = f64x2.splat(0);
  const pairs = count & ~1;
  for (let j = 0; j < pairs; j += 2) {
    const off = (<usize>j) << 3;
    acc = f64x2.add(acc, f64x2.mul(v128.load(x + off), v128.load(y + off)));
  }
  let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  if (pairs < count) s += load<f64>(f64At(x, pairs)) * load<f64>(f64At(y, pairs));
  return s;
}

/**
 * Householder steps k ∈ [k0, k1) of the reduction of the dense symmetric n × n matrix `a` to
 * tridiagonal form. Only the lower triangle is read and updated (row i, columns ≤ i: contiguous),
 * so each step streams half the trailing matrix twice (the product A₂₂v, then the rank-2
 * update). Step k stores the diagonal d[k] and the sub-diagonal e[k] (coupling k and k + 1).
 * Run k over 0 … n − 1 in chunks. scratch: f64 3n.
 */
export function phateTridiagonalize(a: usize, n: i32, k0: i32, k1: i32, d: usize, e: usize, scratch: usize): void {
  const rowBytes = (<usize>n) << 3;
  const v = scratch;
  const w = scratch + rowBytes;
  for (let k = k0; k < k1; k++) {
    store<f64>(f64At(d, k), load<f64>(f64At(a + <usize>k * rowBytes, k)));
    const m = n - k - 1; // length of the column below the diagonal
    if (m <= 0) {
      store<f64>(f64At(e, k), 0);
      continue;
    }
    // x = column k below the diagonal (strided in the lower triangle)
    let norm2: f64 = 0;
    for (let i = 0; i < m; i++) {
      const xi = load<f64>(f64At(a + <usize>(k + 1 + i) * rowBytes, k));
      store<f64>(f64At(v, i), xi);
      norm2 += xi * xi;
    }
    const x0 = load<f64>(v);
    const tail2 = norm2 - x0 * x0;
    if (m == 1 || tail2 == 0) {
      store<f64>(f64At(e, k), x0);
      continue;
    }
    const norm = Math.sqrt(norm2);
    const alpha = x0 > 0 ? -norm : norm;
    store<f64>(f64At(e, k), alpha);
    // v = x − α e₁, β = 2/‖v‖²
    const v0 = x0 - alpha;
    store<f64>(v, v0);
    const beta = 2.0 / (tail2 + v0 * v0);
    // p = A₂₂ v from the lower triangle: row i gives Σ_{j≤i} L_ij v_j to p_i and L_ij v_i to p_j.
    memory.fill(w, 0, (<usize>m) << 3);
    const base = a + <usize>(k + 1) * rowBytes + ((<usize>(k + 1)) << 3);
    for (let i = 0; i < m; i++) {
      const row = base + <usize>i * rowBytes;
      const vi = load<f64>(f64At(v, i));
      const vvi = f64x2.splat(vi);
      let acc = f64x2.splat(0);
      const pairs = i & ~1;
      for (let j = 0; j < pairs; j += 2) {
        const off = (<usize>j) << 3;
        const l = v128.load(row + off);
        acc = f64x2.add(acc, f64x2.mul(l, v128.load(v + off)));
        v128.store(w + off, f64x2.add(v128.load(w + off), f64x2.mul(l, vvi)));
      }
      let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
      for (let j = pairs; j < i; j++) {
        const l = load<f64>(f64At(row, j));
        s += l * load<f64>(f64At(v, j));
        store<f64>(f64At(w, j), load<f64>(f64At(w, j)) + l * vi);
      }
      s += load<f64>(f64At(row, i)) * vi;
      store<f64>(f64At(w, i), load<f64>(f64At(w, i)) + s);
    }
    // w = βp − (β² pᵀv / 2) v
    let pv: f64 = 0;
    for (let i = 0; i < m; i++) {
      const pi = beta * load<f64>(f64At(w, i));
      store<f64>(f64At(w, i), pi);
      pv += pi * load<f64>(f64At(v, i));
    }
    const half = 0.5 * beta * pv;
    for (let i = 0; i < m; i++) store<f64>(f64At(w, i), load<f64>(f64At(w, i)) - half * load<f64>(f64At(v, i)));
    // L₂₂ −= v wᵀ + w vᵀ on the lower triangle (diagonal included)
    for (let i = 0; i < m; i++) {
      const row = base + <usize>i * rowBytes;
      const vi = f64x2.splat(load<f64>(f64At(v, i)));
      const wi = f64x2.splat(load<f64>(f64At(w, i)));
      const count = i + 1;
      const pairs = count & ~1;
      for (let j = 0; j < pairs; j += 2) {
        const off = (<usize>j) << 3;
        const upd = f64x2.add(f64x2.mul(vi, v128.load(w + off)), f64x2.mul(wi, v128.load(v + off)));
        v128.store(row + off, f64x2.sub(v128.load(row + off), upd));
      }
      if (pairs < count) {
        const off = (<usize>pairs) << 3;
        store<f64>(row + off, load<f64>(row + off) - f64x2.extract_lane(vi, 0) * load<f64>(w + off) - f64x2.extract_lane(wi, 0) * load<f64>(v + off));
      }
    }
  }
}

/**
 * Eigenvalues of the symmetric tridiagonal matrix (d diagonal, e[i] coupling i and i + 1; e is
 * destroyed) by implicit QL with shifts, written into d in descending order. Returns 0, or 1 if
 * an eigenvalue needed more than MAX_QL_ITERATIONS.
 */
export function phateTridiagonalEigenvalues(d: usize, e: usize, n: i32): i32 {
  if (n > 0) store<f64>(f64At(e, n - 1), 0);
  for (let l = 0; l < n; l++) {
    let iterations = 0;
    while (true) {
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(load<f64>(f64At(d, m))) + Math.abs(load<f64>(f64At(d, m + 1)));
        if (Math.abs(load<f64>(f64At(e, m))) <= EPSILON * dd) break;
      }
      if (m == l) break;
      if (iterations++ >= MAX_QL_ITERATIONS) return 1;
      const dl = load<f64>(f64At(d, l));
      const el = load<f64>(f64At(e, l));
      let g = (load<f64>(f64At(d, l + 1)) - dl) / (2.0 * el);
      let r = Math.hypot(g, 1.0);
      g = load<f64>(f64At(d, m)) - dl + el / (g + (g >= 0 ? r : -r));
      let s: f64 = 1;
      let c: f64 = 1;
      let p: f64 = 0;
      let underflow = false;
      for (let i = m - 1; i >= l; i--) {
        const ei = load<f64>(f64At(e, i));
        const f = s * ei;
        const b = c * ei;
        r = Math.hypot(f, g);
        store<f64>(f64At(e, i + 1), r);
        if (r == 0) {
          store<f64>(f64At(d, i + 1), load<f64>(f64At(d, i + 1)) - p);
          store<f64>(f64At(e, m), 0);
          underflow = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = load<f64>(f64At(d, i + 1)) - p;
        r = (load<f64>(f64At(d, i)) - g) * s + 2.0 * c * b;
        p = s * r;
        store<f64>(f64At(d, i + 1), g + p);
        g = c * r - b;
      }
      if (underflow) continue;
      store<f64>(f64At(d, l), load<f64>(f64At(d, l)) - p);
      store<f64>(f64At(e, l), g);
      store<f64>(f64At(e, m), 0);
    }
  }
  // Insertion sort, descending (n is at most a few thousand; this is O(n²) once).
  for (let i = 1; i < n; i++) {
    const v = load<f64>(f64At(d, i));
    let j = i - 1;
    while (j >= 0 && load<f64>(f64At(d, j)) < v) {
      store<f64>(f64At(d, j + 1), load<f64>(f64At(d, j)));
      j--;
    }
    store<f64>(f64At(d, j + 1), v);
  }
  return 0;
}

/**
 * The diffusion potential of `count` transition probabilities (f64) into out (f32):
 * γ = 1: −log(p + 1e-7); γ = −1: p; otherwise p^c / c with c = (1 − γ)/2 (γ = 0: 2√p).
 */
export function phatePotential(p: usize, count: i32, gamma: f64, out: usize): void {
  if (gamma == 1) {
    for (let i = 0; i < count; i++) store<f32>(f32At(out, i), <f32>-Math.log(load<f64>(f64At(p, i)) + LOG_POTENTIAL_OFFSET));
  } else if (gamma == -1) {
    for (let i = 0; i < count; i++) store<f32>(f32At(out, i), <f32>load<f64>(f64At(p, i)));
  } else if (gamma == 0) {
    for (let i = 0; i < count; i++) store<f32>(f32At(out, i), <f32>(2.0 * Math.sqrt(max<f64>(0, load<f64>(f64At(p, i))))));
  } else {
    const c = (1.0 - gamma) / 2.0;
    for (let i = 0; i < count; i++) store<f32>(f32At(out, i), <f32>(Math.pow(max<f64>(0, load<f64>(f64At(p, i))), c) / c));
  }
}

/** out (n × r) = A·B for CSR A (n rows, f64 values) and dense B (rows × r, f64 row-major). */
export function phateSparseDense(rowPtr: usize, columns: usize, values: usize, n: i32, b: usize, r: i32, out: usize): void {
  const rBytes = (<usize>r) << 3;
  const pairs = r & ~1;
  for (let i = 0; i < n; i++) {
    const po = out + <usize>i * rBytes;
    memory.fill(po, 0, rBytes);
    const e1 = load<i32>(i32At(rowPtr, i + 1));
    for (let e = load<i32>(i32At(rowPtr, i)); e < e1; e++) {
      const w = load<f64>(f64At(values, e));
      const pb = b + <usize>load<i32>(i32At(columns, e)) * rBytes;
      const vw = f64x2.splat(w);
      for (let c = 0; c < pairs; c += 2) {
        const off = (<usize>c) << 3;
        v128.store(po + off, f64x2.add(v128.load(po + off), f64x2.mul(vw, v128.load(pb + off))));
      }
      if (pairs < r) {
        const off = (<usize>pairs) << 3;
        store<f64>(po + off, load<f64>(po + off) + w * load<f64>(pb + off));
      }
    }
  }
}

/** y = A·x for CSR A (f64 values), x and y f64. */
export function phateSparseMatvec(rowPtr: usize, columns: usize, values: usize, n: i32, x: usize, y: usize): void {
  let e = load<i32>(rowPtr);
  for (let i = 0; i < n; i++) {
    const e1 = load<i32>(i32At(rowPtr, i + 1));
    let s: accum_t = 0;
    for (; e < e1; e++) s += load<f64>(f64At(values, e)) * load<f64>(f64At(x, load<i32>(i32At(columns, e))));
    store<f64>(f64At(y, i), s);
  }
}
