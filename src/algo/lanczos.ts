/**
 * Leading eigenpairs (largest algebraic eigenvalues) of a symmetric operator given only by its
 * matrix–vector product: Lanczos with full reorthogonalisation, in float64 (kernels:
 * assembly/embedlinalg.ts; the small tridiagonal problem by assembly/linalg.ts
 * `symmetricEigen`). Used by classical MDS / Isomap (the double-centred distance matrix) and
 * UMAP's spectral initialisation (the normalised graph adjacency).
 *
 * Convergence: the Ritz pair (θ, Vs) has residual ‖A·Vs − θ·Vs‖ = β_m·|s_m| (Golub & Van Loan,
 * Matrix Computations, 4th ed., §10.1.4); we stop when every wanted pair's residual is below
 * `tol`·max(|θ_1|, tiny), or when the Krylov space stops growing (β_m ≈ 0: exact), or at
 * `maxBasis` vectors (then `converged` is false). With the whole space (maxBasis = n) the result
 * is exact to round-off. The start vector is seeded (PCG32 normals), so results are
 * deterministic; eigenvector signs follow assembly/linalg.ts (largest-magnitude entry positive).
 *
 * References:
 * 1. C. Lanczos, J. Res. Nat. Bur. Standards 45 (1950).
 * 2. G. H. Golub & C. F. Van Loan, Matrix Computations, 4th ed. (2013), §10.1–10.3.
 */
import "./embed-kernels.ts";
import { HiddenAtlasError } from "../core/errors.ts";
import type { ProgressTracker } from "../core/progress.ts";
import { Rng, STREAMS } from "../core/random.ts";
import type { Core } from "../core/wasm.ts";

export interface LanczosOptions {
  /** Relative residual tolerance. */
  tol: number;
  /** Most Krylov vectors kept (capped at n). */
  maxBasis: number;
  seed: number;
  /** Unit vectors (length n) the operator's range is projected away from (known eigenvectors). */
  deflate?: Float64Array[];
  /** Progress is stepped once per Lanczos step (done = basis size). */
  progress?: ProgressTracker;
}

export interface LanczosResult {
  /** The k largest Ritz values, descending. */
  values: Float64Array;
  /** n × k row-major: vector j in column j (unit norm). */
  vectors: Float64Array;
  /** Krylov basis size used. */
  basis: number;
  converged: boolean;
  /** Largest relative residual among the k pairs. */
  residual: number;
}

/**
 * The k largest eigenpairs of the n × n symmetric operator `matvec(x, y)` (y ← A·x on wasm
 * pointers to f64 vectors).
 */
export async function lanczosLargest(
  core: Core,
  n: number,
  k: number,
  matvec: (x: number, y: number) => void,
  options: LanczosOptions,
): Promise<LanczosResult> {
  const K = core.kernels;
  const m = Math.min(n - (options.deflate?.length ?? 0), Math.max(options.maxBasis, k + 1));
  if (k < 1 || m < k) {
    throw new HiddenAtlasError(
      "E_PARAM",
      `Lanczos: cannot find ${k} eigenpairs of a ${n} × ${n} operator`,
    );
  }
  return core.scope(async (s) => {
    const basis = s.f64(m * n, "Lanczos basis");
    const w = s.f64(n, "Lanczos work vector");
    const coeffs = s.f64(m + 1, "Lanczos coefficients");
    const deflate = (options.deflate ?? []).map((u) => s.upload(u, "deflation vector"));
    const alpha: number[] = [];
    const beta: number[] = [];
    // Seeded start vector, orthogonal to the deflated directions, unit norm.
    const rng = new Rng(core, options.seed, STREAMS.lanczosStart);
    const start = rng.normal(n);
    rng.dispose();
    basis.view().set(start, 0);
    const v0 = basis.ptr;
    for (const u of deflate) K.embedAxpy(v0, -K.embedDot(u.ptr, v0, n), u.ptr, n);
    K.embedScale(v0, 1 / Math.sqrt(K.embedDot(v0, v0, n)), n);

    let checkAt = Math.min(m, Math.max(2 * k + 2, 20));
    let result:
      { values: Float64Array; s: Float64Array; size: number; residual: number } | undefined;
    let converged = false;
    let j = 0;
    for (; j < m; j++) {
      const vj = basis.ptr + j * n * 8;
      matvec(vj, w.ptr);
      for (const u of deflate) K.embedAxpy(w.ptr, -K.embedDot(u.ptr, w.ptr, n), u.ptr, n);
      const a = K.embedDot(vj, w.ptr, n);
      alpha.push(a);
      // Full reorthogonalisation against v_0 … v_j removes the α and β terms as well.
      K.embedOrthogonalize(basis.ptr, j + 1, n, w.ptr, coeffs.ptr);
      for (const u of deflate) K.embedAxpy(w.ptr, -K.embedDot(u.ptr, w.ptr, n), u.ptr, n);
      const b = Math.sqrt(Math.max(0, K.embedDot(w.ptr, w.ptr, n)));
      beta.push(b);
      const size = j + 1;
      const scale = Math.max(...alpha.map(Math.abs), ...beta.map(Math.abs), Number.MIN_VALUE);
      const exhausted = b <= 1e-13 * scale;
      if (size >= k && (size === checkAt || exhausted || size === m)) {
        result = ritz(core, alpha, beta, size, k);
        const top = Math.max(Math.abs(result.values[0]), Number.MIN_VALUE);
        result.residual = exhausted ? 0 : result.residual / top;
        if (exhausted || result.residual <= options.tol) {
          converged = true;
          break;
        }
        checkAt = Math.min(m, size + Math.max(5, Math.floor(size / 8)));
      }
      if (exhausted) break;
      if (j + 1 < m) {
        // v_{j+1} = w / β_j
        basis.view().set(w.view(), (j + 1) * n);
        K.embedScale(basis.ptr + (j + 1) * n * 8, 1 / b, n);
      }
      await options.progress?.step(size);
    }
    if (result === undefined) result = ritz(core, alpha, beta, alpha.length, k);
    const size = result.size;
    const sMat = s.upload(result.s, "Ritz coefficients");
    const out = s.f64(n * k, "Ritz vectors");
    K.embedRitzVectors(basis.ptr, size, n, sMat.ptr, k, out.ptr);
    K.fixEigenvectorSigns(out.ptr, n, k);
    return {
      values: result.values,
      vectors: out.copy(),
      basis: size,
      converged,
      residual: result.residual,
    };
  });
}

/** Eigen-decomposition of the size × size tridiagonal T: top-k Ritz values and coefficients. */
function ritz(
  core: Core,
  alpha: number[],
  beta: number[],
  size: number,
  k: number,
): { values: Float64Array; s: Float64Array; size: number; residual: number } {
  return core.scope((s) => {
    const t = new Float64Array(size * size);
    for (let i = 0; i < size; i++) {
      t[i * size + i] = alpha[i];
      if (i + 1 < size) {
        t[i * size + i + 1] = beta[i];
        t[(i + 1) * size + i] = beta[i];
      }
    }
    const a = s.upload(t, "tridiagonal");
    const values = s.f64(size, "Ritz values");
    const work = s.f64(3 * size, "eigen scratch");
    if (core.kernels.symmetricEigen(a.ptr, size, values.ptr, work.ptr) !== 0) {
      throw new HiddenAtlasError(
        "E_PARAM",
        "Lanczos: the tridiagonal eigen-solver did not converge",
      );
    }
    const vec = a.view();
    const kk = Math.min(k, size);
    const top = values.view().slice(0, kk);
    // Residual of Ritz pair c: β_size · |last component of s_c|.
    let residual = 0;
    for (let c = 0; c < kk; c++)
      residual = Math.max(residual, Math.abs(beta[size - 1] * vec[(size - 1) * size + c]));
    return { values: top, s: vec.slice(), size, residual };
  });
}
