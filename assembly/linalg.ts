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
//   of steps per call so the caller can report progress and stop between chunks. The same
//   eigenvalues as symmetricEigen's, bit for bit (QL's rotations of d and e do not depend on
//   whether the vectors are accumulated).
// - tridiagonalEigenvectors after those: a few eigenvectors (PCA's leading components beside
//   the whole spectrum) by inverse iteration and the stored reflectors, O(n²) each instead of
//   the ~(4/3)n³ + 3n³ of accumulating every vector.
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

// Inverse iteration (LAPACK's dstein, written here from its published description): at most
// this many solves per vector, and this many more once the vector has grown enough.
// @ts-ignore: decorator
@inline const MAX_INVERSE_ITERATIONS: i32 = 5;
// @ts-ignore: decorator
@inline const EXTRA_INVERSE_ITERATIONS: i32 = 2;

/**
 * The `count` eigenvectors of a reduced matrix for the eigenvalues `values` (descending, as
 * `tridiagonalEigenvalues` gives them), without accumulating the reduction: inverse iteration on
 * the tridiagonal (d, e) — an LU factorisation of T − λI with partial pivoting, O(n) a solve,
 * vectors of eigenvalues closer than 10⁻³‖T‖ kept orthogonal by Gram–Schmidt — then each vector
 * carried back through the stored Householder reflectors (O(n²) a vector). `a`, d and e are
 * those of `householderSteps` over k = 0 … n − 1 (d and e as the reduction left them: copy them
 * before `tridiagonalEigenvalues` destroys e). out: n × count, component i of vector j at
 * out[i·count + j], each signed like `symmetricEigen`'s (largest magnitude positive).
 * scratch: f64 (7 + count)·n. Returns 0, or 1 if a vector did not grow within the iterations.
 */
export function tridiagonalEigenvectors(
  a: usize,
  n: i32,
  d: usize,
  e: usize,
  values: usize,
  count: i32,
  out: usize,
  scratch: usize,
): i32 {
  if (n <= 0 || count <= 0) return 0;
  if (count > n) count = n;
  const bytes = (<usize>n) << 3;
  const u0 = scratch; // U's diagonal
  const u1 = u0 + bytes; // U's first superdiagonal
  const u2 = u1 + bytes; // U's second superdiagonal (from row interchanges)
  const lower = u2 + bytes; // L's multipliers
  const swapped = lower + bytes; // 1 where rows k and k + 1 were interchanged
  const y = swapped + bytes; // the iterate
  const w = y + bytes; // back-transformation
  const z = w + bytes; // the tridiagonal's eigenvectors, one per n
  // ‖T‖₁ (symmetric: the largest column sum).
  let norm: f64 = 0;
  for (let i = 0; i < n; i++) {
    let s = Math.abs(load<f64>(vec(d, i)));
    if (i > 0) s += Math.abs(load<f64>(vec(e, i - 1)));
    if (i < n - 1) s += Math.abs(load<f64>(vec(e, i)));
    norm = Math.max(norm, s);
  }
  const ortol = 1e-3 * norm;
  const growth = Math.sqrt(0.1 / <f64>n);
  let previous: f64 = 0;
  let state: u64 = 0x9e3779b97f4a7c15;
  for (let j = 0; j < count; j++) {
    const zj = z + <usize>j * bytes;
    if (norm == 0) {
      // T = 0: the unit vectors, as the full solver leaves them.
      memory.fill(zj, 0, bytes);
      store<f64>(vec(zj, j), 1);
      memory.copy(w, zj, bytes);
      for (let i = 0; i < n; i++) store<f64>(at(out, count, i, j), load<f64>(vec(w, i)));
      continue;
    }
    let lambda = load<f64>(vec(values, j));
    if (j > 0) {
      // Equal eigenvalues would give equal factorisations: move the shift apart (dstein's PERTOL).
      const pertol = 10 * Math.abs(EPSILON * lambda);
      if (previous - lambda < pertol) lambda = previous - pertol;
    }
    previous = lambda;
    // LU of T − λI with partial pivoting (LAPACK's dlagtf with tol = 0).
    for (let i = 0; i < n; i++) {
      store<f64>(vec(u0, i), load<f64>(vec(d, i)) - lambda);
      store<f64>(vec(u1, i), i < n - 1 ? load<f64>(vec(e, i)) : 0);
      store<f64>(vec(u2, i), 0);
      store<f64>(vec(lower, i), i < n - 1 ? load<f64>(vec(e, i)) : 0);
      store<f64>(vec(swapped, i), 0);
    }
    for (let k = 0; k < n - 1; k++) {
      const ak = load<f64>(vec(u0, k));
      const bk = load<f64>(vec(u1, k));
      const ck = load<f64>(vec(lower, k));
      const ak1 = load<f64>(vec(u0, k + 1));
      const bk1 = k < n - 2 ? load<f64>(vec(u1, k + 1)) : 0;
      const scale1 = Math.abs(ak) + Math.abs(bk);
      const scale2 = Math.abs(ck) + Math.abs(ak1) + Math.abs(bk1);
      const piv1 = ak == 0 ? 0 : Math.abs(ak) / scale1;
      if (ck == 0) continue;
      const piv2 = Math.abs(ck) / scale2;
      if (piv2 <= piv1) {
        const mult = ck / ak;
        store<f64>(vec(lower, k), mult);
        store<f64>(vec(u0, k + 1), ak1 - mult * bk);
      } else {
        const mult = ak / ck;
        store<f64>(vec(swapped, k), 1);
        store<f64>(vec(u0, k), ck);
        store<f64>(vec(u0, k + 1), bk - mult * ak1);
        if (k < n - 2) {
          store<f64>(vec(u2, k), bk1);
          store<f64>(vec(u1, k + 1), -mult * bk1);
        }
        store<f64>(vec(u1, k), ak1);
        store<f64>(vec(lower, k), mult);
      }
    }
    // Pivots below tol are replaced by ±tol (dlagts, job −1): tol = ε·max |U|.
    let umax: f64 = 0;
    for (let i = 0; i < n; i++) {
      umax = Math.max(umax, Math.abs(load<f64>(vec(u0, i))));
      umax = Math.max(umax, Math.abs(load<f64>(vec(u1, i))));
      umax = Math.max(umax, Math.abs(load<f64>(vec(u2, i))));
    }
    let tol = EPSILON * umax;
    if (tol == 0) tol = EPSILON;
    // A fixed pseudo-random start in [−1, 1) (splitmix64): deterministic on every platform.
    for (let i = 0; i < n; i++) {
      state += 0x9e3779b97f4a7c15;
      let x = state;
      x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
      x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
      x ^= x >> 31;
      store<f64>(vec(y, i), <f64>(x >> 11) * 2.220446049250313e-16 - 1);
    }
    let converged = false;
    let extra = 0;
    for (let iteration = 0; iteration < MAX_INVERSE_ITERATIONS; iteration++) {
      // Scale the right-hand side as dstein does, so the solve neither overflows nor underflows.
      let sum: f64 = 0;
      for (let i = 0; i < n; i++) sum += Math.abs(load<f64>(vec(y, i)));
      const scl = (<f64>n * norm * Math.max(EPSILON, Math.abs(load<f64>(vec(u0, n - 1))))) / sum;
      for (let i = 0; i < n; i++) store<f64>(vec(y, i), load<f64>(vec(y, i)) * scl);
      // L: forward, with the recorded interchanges.
      for (let k = 0; k < n - 1; k++) {
        const mult = load<f64>(vec(lower, k));
        if (load<f64>(vec(swapped, k)) == 0) {
          store<f64>(vec(y, k + 1), load<f64>(vec(y, k + 1)) - mult * load<f64>(vec(y, k)));
        } else {
          const t = load<f64>(vec(y, k));
          store<f64>(vec(y, k), load<f64>(vec(y, k + 1)));
          store<f64>(vec(y, k + 1), t - mult * load<f64>(vec(y, k)));
        }
      }
      // U: backward, small pivots replaced by ±tol.
      for (let k = n - 1; k >= 0; k--) {
        let t = load<f64>(vec(y, k));
        if (k < n - 1) t -= load<f64>(vec(u1, k)) * load<f64>(vec(y, k + 1));
        if (k < n - 2) t -= load<f64>(vec(u2, k)) * load<f64>(vec(y, k + 2));
        let pivot = load<f64>(vec(u0, k));
        if (Math.abs(pivot) < tol) pivot = pivot < 0 ? -tol : tol;
        store<f64>(vec(y, k), t / pivot);
      }
      // Keep orthogonal to the vectors of nearby eigenvalues (modified Gram–Schmidt).
      for (let i = 0; i < j; i++) {
        if (Math.abs(load<f64>(vec(values, i)) - load<f64>(vec(values, j))) > ortol) continue;
        const zi = z + <usize>i * bytes;
        let dot: f64 = 0;
        for (let r = 0; r < n; r++) dot += load<f64>(vec(y, r)) * load<f64>(vec(zi, r));
        for (let r = 0; r < n; r++) store<f64>(vec(y, r), load<f64>(vec(y, r)) - dot * load<f64>(vec(zi, r)));
      }
      let largest: f64 = 0;
      for (let i = 0; i < n; i++) largest = Math.max(largest, Math.abs(load<f64>(vec(y, i))));
      if (largest < growth) continue;
      if (++extra > EXTRA_INVERSE_ITERATIONS) {
        converged = true;
        break;
      }
    }
    if (!converged && extra == 0) return 1;
    let norm2: f64 = 0;
    for (let i = 0; i < n; i++) norm2 += load<f64>(vec(y, i)) * load<f64>(vec(y, i));
    const inv = 1 / Math.sqrt(norm2);
    for (let i = 0; i < n; i++) store<f64>(vec(zj, i), load<f64>(vec(y, i)) * inv);
    // x = H₀H₁⋯H_{n−2} z: the last reflector first.
    memory.copy(w, zj, bytes);
    for (let k = n - 2; k >= 0; k--) {
      let vv: f64 = 0;
      let vx: f64 = 0;
      for (let i = k + 1; i < n; i++) {
        const vi = load<f64>(at(a, n, i, k));
        vv += vi * vi;
        vx += vi * load<f64>(vec(w, i));
      }
      if (vv == 0) continue;
      const f = (2.0 * vx) / vv;
      for (let i = k + 1; i < n; i++) store<f64>(vec(w, i), load<f64>(vec(w, i)) - f * load<f64>(at(a, n, i, k)));
    }
    for (let i = 0; i < n; i++) store<f64>(at(out, count, i, j), load<f64>(vec(w, i)));
  }
  fixEigenvectorSigns(out, n, count);
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
