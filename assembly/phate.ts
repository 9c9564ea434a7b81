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
// - every eigenvalue of the dense diffusion operator (for the von Neumann entropy) comes from
//   assembly/linalg.ts: `householderSteps` then `tridiagonalEigenvalues`.
// - phatePotential: the diffusion potential of eq. 3 for any γ (phate/phate.py
//   `_calculate_potential`).
// - phateSparseDense / phateSparseMatvec: a CSR matrix (f64 values) times dense f64 columns.
//
// Memory contract: data rows f32 n × d; dense matrices f64 n × n row-major; CSR rowPtr i32 n+1,
// columns i32, values f64. Outputs are owned by the caller; scratch sizes are stated per kernel.
// Complexity: alpha-decay O(rows·n·d); gemm O(n³) (less for sparse A).

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

/**
 * Rows [i0, i1) of the dense n × n f64 form of a CSR matrix (f64 values) with entry (i, j) divided
 * by rowScale[i]·colScale[j] (f64 n each): PHATE's diffusion operator D⁻¹K (colScale all 1) and its
 * symmetric conjugate D^-½ K D^-½ (both √d). Each row writes only itself.
 */
export function phateDenseRows(rowPtr: usize, columns: usize, values: usize, rowScale: usize, colScale: usize, n: i32, out: usize, i0: i32, i1: i32): void {
  const rowBytes = (<usize>n) << 3;
  for (let i = i0; i < i1; i++) {
    const row = out + <usize>i * rowBytes;
    memory.fill(row, 0, rowBytes);
    const scale = load<f64>(f64At(rowScale, i));
    const e1 = load<i32>(i32At(rowPtr, i + 1));
    for (let e = load<i32>(i32At(rowPtr, i)); e < e1; e++) {
      const j = load<i32>(i32At(columns, e));
      store<f64>(f64At(row, j), load<f64>(f64At(values, e)) / (scale * load<f64>(f64At(colScale, j))));
    }
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
