// Dense symmetric eigenproblems in float64: the one solver of the core.
//
// Householder reduction to tridiagonal form (Golub & Van Loan, Matrix Computations, 4th ed.,
// §8.3.1), then the implicit QL algorithm with Wilkinson shifts (the EISPACK routines tql1 and
// tql2: Bowdler, Martin, Reinsch & Wilkinson, Numer. Math. 11, 1968), written here from the
// published algorithms. Backward stable; ~(4/3)n³ multiply-adds for the reduction, as many again
// to accumulate the eigenvectors, O(n²) for the eigenvalues and O(n³) for their vectors.
//
// Two entry points share every step:
// - symmetricEigen: every eigenpair of a small matrix (PCA's covariance or Gram matrix, the
//   Lanczos tridiagonal), in one call.
// - householderSteps + tridiagonalEigenvalues: every eigenvalue (no vectors) of a large matrix
//   (PHATE's n × n diffusion operator, for its von Neumann entropy); the reduction runs a chunk
//   of steps per call so the caller can report progress and stop between chunks.
//
// Memory contract: `a` is n × n f64 row-major and symmetric; only the lower triangle is read.
// The reduction overwrites it (step k leaves its Householder vector in column k below the
// diagonal). Tridiagonal form: d[k] the diagonal, e[k] the entry coupling k and k + 1, e[n − 1] = 0.

// @ts-ignore: decorator
@inline const EPSILON: f64 = 2.220446049250313e-16; // 2^-52
// QL iterations allowed per eigenvalue before giving up; EISPACK uses 30.
// @ts-ignore: decorator
@inline const MAX_QL_ITERATIONS: i32 = 60;

// @ts-ignore: decorator
@inline function at(a: usize, n: i32, i: i32, j: i32): usize {
  return a + (((<usize>i) * <usize>n + <usize>j) << 3);
}
// @ts-ignore: decorator
@inline function vec(p: usize, i: i32): usize {
  return p + ((<usize>i) << 3);
}

/**
 * Householder steps k ∈ [k0, k1) of the reduction of `a` to tridiagonal form. Only the lower
 * triangle is read and updated (row i, columns ≤ i: contiguous), so each step streams half the
 * trailing matrix twice (the product A₂₂v, then the rank-2 update), in f64x2. Step k stores d[k]
 * and e[k], and its vector v (H = I − 2vvᵀ/vᵀv acting on rows k + 1 …) in column k below the
 * diagonal, where `accumulateHouseholder` finds it. Run k over 0 … n − 1 in chunks.
 * scratch: f64 2n.
 */
export function householderSteps(a: usize, n: i32, k0: i32, k1: i32, d: usize, e: usize, scratch: usize): void {
  const rowBytes = (<usize>n) << 3;
  const v = scratch;
  const w = scratch + rowBytes;
  for (let k = k0; k < k1; k++) {
    store<f64>(vec(d, k), load<f64>(at(a, n, k, k)));
    const m = n - k - 1; // length of the column below the diagonal
    if (m <= 0) {
      store<f64>(vec(e, k), 0);
      continue;
    }
    // x = column k below the diagonal (strided in the lower triangle)
    let norm2: f64 = 0;
    for (let i = 0; i < m; i++) {
      const xi = load<f64>(at(a, n, k + 1 + i, k));
      store<f64>(vec(v, i), xi);
      norm2 += xi * xi;
    }
    const x0 = load<f64>(v);
    const tail2 = norm2 - x0 * x0;
    if (m == 1 || tail2 == 0) {
      // Already reduced: H = I, recorded as v = 0.
      store<f64>(vec(e, k), x0);
      for (let i = 0; i < m; i++) store<f64>(at(a, n, k + 1 + i, k), 0);
      continue;
    }
    const norm = Math.sqrt(norm2);
    const alpha = x0 > 0 ? -norm : norm;
    store<f64>(vec(e, k), alpha);
    // v = x − α e₁, β = 2/‖v‖²
    const v0 = x0 - alpha;
    store<f64>(v, v0);
    store<f64>(at(a, n, k + 1, k), v0);
    const beta = 2.0 / (tail2 + v0 * v0);
    // p = A₂₂ v from the lower triangle: row i gives Σ_{j≤i} L_ij v_j to p_i and L_ij v_i to p_j.
    memory.fill(w, 0, (<usize>m) << 3);
    const base = at(a, n, k + 1, k + 1);
    for (let i = 0; i < m; i++) {
      const row = base + <usize>i * rowBytes;
      const vi = load<f64>(vec(v, i));
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
        const l = load<f64>(vec(row, j));
        s += l * load<f64>(vec(v, j));
        store<f64>(vec(w, j), load<f64>(vec(w, j)) + l * vi);
      }
      s += load<f64>(vec(row, i)) * vi;
      store<f64>(vec(w, i), load<f64>(vec(w, i)) + s);
    }
    // w = βp − (β² pᵀv / 2) v
    let pv: f64 = 0;
    for (let i = 0; i < m; i++) {
      const pi = beta * load<f64>(vec(w, i));
      store<f64>(vec(w, i), pi);
      pv += pi * load<f64>(vec(v, i));
    }
    const half = 0.5 * beta * pv;
    for (let i = 0; i < m; i++) store<f64>(vec(w, i), load<f64>(vec(w, i)) - half * load<f64>(vec(v, i)));
    // L₂₂ −= v wᵀ + w vᵀ on the lower triangle (diagonal included)
    for (let i = 0; i < m; i++) {
      const row = base + <usize>i * rowBytes;
      const vi = f64x2.splat(load<f64>(vec(v, i)));
      const wi = f64x2.splat(load<f64>(vec(w, i)));
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
 * Q = H₀H₁⋯H_{n−2} of a completed reduction, into `a` (overwriting its stored vectors), so that
 * A = Q T Qᵀ. Backward accumulation (LAPACK's dorg2l order): the trailing block grows by one row
 * and column per step, and each reflector is applied as Q₂₂ −= β v (vᵀQ₂₂), row by row.
 * scratch: f64 2n.
 */
function accumulateHouseholder(a: usize, n: i32, scratch: usize): void {
  if (n == 0) return;
  store<f64>(at(a, n, n - 1, n - 1), 1);
  for (let k = n - 2; k >= 0; k--) {
    const b = k + 1; // the block is rows and columns b … n − 1
    // Read v_k (column k, rows b …) before row/column b of the block become the identity's.
    let vv: f64 = 0;
    for (let i = b; i < n; i++) {
      const vi = load<f64>(at(a, n, i, k));
      store<f64>(vec(scratch, i), vi);
      vv += vi * vi;
    }
    // Extend the block: Q[b][b] = 1, the rest of row and column b zero.
    store<f64>(at(a, n, b, b), 1);
    for (let j = b + 1; j < n; j++) {
      store<f64>(at(a, n, b, j), 0);
      store<f64>(at(a, n, j, b), 0);
    }
    if (vv == 0) continue;
    const beta = 2.0 / vv;
    // s = vᵀQ₂₂ (a row), then Q₂₂ −= β v s: rows contiguous.
    const s = scratch + ((<usize>n) << 3);
    memory.fill(vec(s, b), 0, (<usize>(n - b)) << 3);
    for (let i = b; i < n; i++) {
      const vi = load<f64>(vec(scratch, i));
      if (vi == 0) continue;
      for (let j = b; j < n; j++) store<f64>(vec(s, j), load<f64>(vec(s, j)) + vi * load<f64>(at(a, n, i, j)));
    }
    for (let i = b; i < n; i++) {
      const f = beta * load<f64>(vec(scratch, i));
      if (f == 0) continue;
      for (let j = b; j < n; j++) {
        const p = at(a, n, i, j);
        store<f64>(p, load<f64>(p) - f * load<f64>(vec(s, j)));
      }
    }
  }
  // Row and column 0: the reflectors never touch index 0.
  store<f64>(a, 1);
  for (let j = 1; j < n; j++) {
    store<f64>(at(a, n, 0, j), 0);
    store<f64>(at(a, n, j, 0), 0);
  }
}

/**
 * Implicit QL with Wilkinson shifts on the tridiagonal (d, e) — e is destroyed, d receives the
 * eigenvalues (unsorted). With v ≠ 0 the rotations are accumulated into the n × n matrix v
 * (tql2: its columns become the eigenvectors), with v = 0 only the values are computed (tql1).
 * Returns 0, or 1 if an eigenvalue needed more than MAX_QL_ITERATIONS.
 */
function tridiagonalQL(v: usize, n: i32, d: usize, e: usize): i32 {
  if (n <= 0) return 0;
  store<f64>(vec(e, n - 1), 0);
  let f: f64 = 0;
  let tst1: f64 = 0;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(load<f64>(vec(d, l))) + Math.abs(load<f64>(vec(e, l))));
    let m = l;
    while (m < n) {
      if (Math.abs(load<f64>(vec(e, m))) <= EPSILON * tst1) break;
      m++;
    }
    if (m == n) m = n - 1;
    if (m > l) {
      let iterations = 0;
      do {
        if (++iterations > MAX_QL_ITERATIONS) return 1;
        let g = load<f64>(vec(d, l));
        const el = load<f64>(vec(e, l));
        let p = (load<f64>(vec(d, l + 1)) - g) / (2 * el);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        store<f64>(vec(d, l), el / (p + r));
        store<f64>(vec(d, l + 1), el * (p + r));
        const dl1 = load<f64>(vec(d, l + 1));
        let h = g - load<f64>(vec(d, l));
        for (let i = l + 2; i < n; i++) store<f64>(vec(d, i), load<f64>(vec(d, i)) - h);
        f += h;
        p = load<f64>(vec(d, m));
        let c: f64 = 1;
        let c2 = c;
        let c3 = c;
        const el1 = load<f64>(vec(e, l + 1));
        let s: f64 = 0;
        let s2: f64 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          const ei = load<f64>(vec(e, i));
          const di = load<f64>(vec(d, i));
          g = c * ei;
          h = c * p;
          r = Math.hypot(p, ei);
          store<f64>(vec(e, i + 1), s * r);
          s = ei / r;
          c = p / r;
          p = c * di - s * g;
          store<f64>(vec(d, i + 1), h + s * (c * g + s * di));
          if (v != 0) {
            for (let k = 0; k < n; k++) {
              const pk1 = at(v, n, k, i + 1);
              const pk = at(v, n, k, i);
              const hk = load<f64>(pk1);
              const vk = load<f64>(pk);
              store<f64>(pk1, s * vk + c * hk);
              store<f64>(pk, c * vk - s * hk);
            }
          }
        }
        p = (-s * s2 * c3 * el1 * load<f64>(vec(e, l))) / dl1;
        store<f64>(vec(e, l), s * p);
        store<f64>(vec(d, l), c * p);
      } while (Math.abs(load<f64>(vec(e, l))) > EPSILON * tst1);
    }
    store<f64>(vec(d, l), load<f64>(vec(d, l)) + f);
    store<f64>(vec(e, l), 0);
  }
  return 0;
}

/** Sort eigenvalues descending, and the columns of v with them when v ≠ 0 (selection sort: n swaps). */
function sortDescending(v: usize, n: i32, d: usize): void {
  for (let i = 0; i < n - 1; i++) {
    let best = i;
    let bestValue = load<f64>(vec(d, i));
    for (let j = i + 1; j < n; j++) {
      const dj = load<f64>(vec(d, j));
      if (dj > bestValue) {
        best = j;
        bestValue = dj;
      }
    }
    if (best != i) {
      store<f64>(vec(d, best), load<f64>(vec(d, i)));
      store<f64>(vec(d, i), bestValue);
      if (v == 0) continue;
      for (let k = 0; k < n; k++) {
        const a = at(v, n, k, i);
        const b = at(v, n, k, best);
        const t = load<f64>(a);
        store<f64>(a, load<f64>(b));
        store<f64>(b, t);
      }
    }
  }
}

/**
 * Eigenvalues of the tridiagonal (d, e) left by `householderSteps` over k = 0 … n − 1, into d in
 * descending order (e is destroyed). Returns 0, or 1 if QL did not converge.
 */
export function tridiagonalEigenvalues(d: usize, e: usize, n: i32): i32 {
  const status = tridiagonalQL(0, n, d, e);
  if (status != 0) return status;
  sortDescending(0, n, d);
  return 0;
}

/** Flip each column so its entry of largest magnitude (first on ties) is positive. */
export function fixEigenvectorSigns(v: usize, rows: i32, cols: i32): void {
  for (let j = 0; j < cols; j++) {
    let best: f64 = 0;
    let sign: f64 = 1;
    for (let i = 0; i < rows; i++) {
      const x = load<f64>(at(v, cols, i, j));
      if (Math.abs(x) > best) {
        best = Math.abs(x);
        sign = x < 0 ? -1 : 1;
      }
    }
    if (sign < 0) {
      for (let i = 0; i < rows; i++) {
        const p = at(v, cols, i, j);
        store<f64>(p, -load<f64>(p));
      }
    }
  }
}

/**
 * Every eigenpair of the symmetric n × n matrix `a` (lower triangle read): `a` is overwritten
 * with the eigenvectors as columns (a[i·n + j] = component i of vector j), `values` receives the
 * eigenvalues in descending order, vectors permuted to match. Sign convention: each
 * eigenvector's entry of largest magnitude is positive (the first such entry on ties), so results
 * are unique for simple eigenvalues. scratch: f64 3n. Returns 0, or 1 if QL did not converge
 * (never seen on finite input).
 */
export function symmetricEigen(a: usize, n: i32, values: usize, scratch: usize): i32 {
  if (n <= 0) return 0;
  const e = scratch;
  const work = scratch + ((<usize>n) << 3);
  householderSteps(a, n, 0, n, values, e, work);
  accumulateHouseholder(a, n, work);
  const status = tridiagonalQL(a, n, values, e);
  if (status != 0) return status;
  sortDescending(a, n, values);
  fixEigenvectorSigns(a, n, n);
  return 0;
}
