// Vector kernels in float64 for the Lanczos eigen-solver of src/algo/lanczos.ts (classical MDS,
// Isomap, UMAP's spectral initialisation).
//
// Lanczos with full reorthogonalisation (C. Lanczos, J. Res. Nat. Bur. Standards 45, 1950;
// Golub & Van Loan, Matrix Computations, 4th ed., §10.1–10.3): the Krylov basis is kept and
// every new vector is orthogonalised against all of it by classical Gram–Schmidt applied twice
// ("twice is enough": Giraud, Langou, Rozložník, Comput. Math. Appl. 50, 2005), so the Ritz
// values stay free of ghost copies. The operator's matrix–vector product lives with its owner
// (mds.ts, graph.ts). ARPACK (used by scikit-learn's KernelPCA and umap-learn's spectral layout)
// restarts implicitly instead of keeping the whole basis; for the few leading pairs wanted here
// a basis of ≤ a few hundred vectors is cheaper than restarting.
//
// Memory contract: vectors are f64 arrays of length n; a basis V is `count` vectors of n
// stored one after another (vector j at V + 8·j·n). Nothing is allocated.
// Complexity: dot/axpy O(n); orthogonalisation O(count·n) per pass; Ritz vectors O(m·n·k).

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize {
  return p + ((<usize>i) << 3);
}

// @ts-ignore: decorator
@inline function dot(a: usize, b: usize, n: i32): f64 {
  let acc = f64x2.splat(0);
  const n2 = n & ~1;
  for (let i = 0; i < n2; i += 2) {
    acc = f64x2.add(acc, f64x2.mul(v128.load(at(a, i)), v128.load(at(b, i))));
  }
  let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  if (n2 < n) s += load<f64>(at(a, n2)) * load<f64>(at(b, n2));
  return s;
}

// @ts-ignore: decorator
@inline function axpy(y: usize, alpha: f64, x: usize, n: i32): void {
  const va = f64x2.splat(alpha);
  const n2 = n & ~1;
  for (let i = 0; i < n2; i += 2) {
    v128.store(at(y, i), f64x2.add(v128.load(at(y, i)), f64x2.mul(va, v128.load(at(x, i)))));
  }
  if (n2 < n) store<f64>(at(y, n2), load<f64>(at(y, n2)) + alpha * load<f64>(at(x, n2)));
}

/** a · b. */
export function embedDot(a: usize, b: usize, n: i32): f64 {
  return dot(a, b, n);
}

/** y += alpha · x. */
export function embedAxpy(y: usize, alpha: f64, x: usize, n: i32): void {
  axpy(y, alpha, x, n);
}

/** x *= alpha. */
export function embedScale(x: usize, alpha: f64, n: i32): void {
  const va = f64x2.splat(alpha);
  const n2 = n & ~1;
  for (let i = 0; i < n2; i += 2) v128.store(at(x, i), f64x2.mul(va, v128.load(at(x, i))));
  if (n2 < n) store<f64>(at(x, n2), alpha * load<f64>(at(x, n2)));
}

/**
 * Remove from w its components along the `count` orthonormal vectors of V, by classical
 * Gram–Schmidt applied twice. coeffs (f64 count) receives the first pass's coefficients.
 */
export function embedOrthogonalize(v: usize, count: i32, n: i32, w: usize, coeffs: usize): void {
  const stride = (<usize>n) << 3;
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < count; j++) store<f64>(at(coeffs, j), dot(v + <usize>j * stride, w, n));
    for (let j = 0; j < count; j++) axpy(w, -load<f64>(at(coeffs, j)), v + <usize>j * stride, n);
  }
}

/**
 * Ritz vectors: out (n × k, row-major) = V (m vectors of n) · S[:, 0..k), where S is m × m
 * row-major with eigenvector j in column j (assembly/linalg.ts symmetricEigen's layout).
 */
export function embedRitzVectors(v: usize, m: i32, n: i32, s: usize, k: i32, out: usize): void {
  memory.fill(out, 0, ((<usize>n) * <usize>k) << 3);
  const stride = (<usize>n) << 3;
  for (let i = 0; i < m; i++) {
    const vi = v + <usize>i * stride;
    for (let c = 0; c < k; c++) {
      const coef = load<f64>(at(s, i * m + c));
      for (let t = 0; t < n; t++) {
        const p = at(out, t * k + c);
        store<f64>(p, load<f64>(p) + coef * load<f64>(at(vi, t)));
      }
    }
  }
}
