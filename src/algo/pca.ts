/**
 * Principal component analysis: the eigendecomposition of the float64 covariance matrix
 * (assembly/stats.ts + assembly/linalg.ts). Exact; O(n·d² + d³), suited to d up to a few
 * thousand.
 *
 * Conventions: variances use ddof = 1 like scikit-learn's `PCA.explained_variance_`. Each
 * component is signed so that its largest-magnitude loading is positive (scikit-learn flips
 * signs by a different rule, `svd_flip`, so compare components up to sign).
 *
 * @example
 *   const {scores, explainedVarianceRatio} = await pca(X, {nComponents: 2});
 *
 * References: I. T. Jolliffe, Principal Component Analysis, 2nd ed., Springer 2002.
 */
import { HiddenAtlasError, formatBytes } from "../core/errors.ts";
import { assertFinite, assertMatrix, type Matrix } from "../core/matrix.ts";
import { checkBoolean, checkInteger, checkOptionNames } from "../core/params.ts";
import { ProgressTracker, type RunOptions } from "../core/progress.ts";
import { getCore } from "../core/wasm.ts";

export interface PcaOptions extends RunOptions {
  /** Components to keep. Defaults to 2 (scikit-learn keeps min(n, d) by default). */
  nComponents?: number;
  /**
   * Subtract the column means first. Defaults to true (scikit-learn PCA). With false the
   * components are the right singular vectors of the uncentred X (scikit-learn TruncatedSVD;
   * the sensitivity test of Ding et al. 2021), "variances" are mean squares (Σ xᵢxᵢᵀ / n) and
   * `mean` is zero.
   */
  center?: boolean;
}

export interface PcaResult {
  /** n × nComponents projections of the centred rows. */
  scores: Matrix;
  /** d × nComponents loadings, component j in column j (float64). */
  components: Float64Array;
  /** Column means subtracted before projecting (float64, length d). */
  mean: Float64Array;
  /** Variance along each kept component (ddof = 1). */
  explainedVariance: Float64Array;
  /** explainedVariance / total variance. */
  explainedVarianceRatio: Float64Array;
  /** Sum of all column variances. */
  totalVariance: number;
  /** Every eigenvalue of the covariance (d of them, descending, clamped at 0). */
  spectrum: Float64Array;
  params: { nComponents: number; center: boolean };
}

const defaults = { nComponents: 2, center: true };

/** Largest dimension for the dense eigen-solver (d×d doubles and O(d³) time). */
export const MAX_PCA_DIMENSION = 8192;

export async function pca(X: Matrix, options: PcaOptions = {}): Promise<PcaResult> {
  checkOptionNames("pca", options, defaults);
  assertMatrix(X, "X");
  const { rows: n, cols: d } = X;
  if (n < 2) {
    throw new HiddenAtlasError("E_PARAM", `PCA needs at least 2 rows; got ${n}`);
  }
  const nComponents = checkInteger("nComponents", options.nComponents ?? defaults.nComponents, 1, Math.min(n, d));
  const center = checkBoolean("center", options.center ?? defaults.center);
  if (d > MAX_PCA_DIMENSION) {
    throw new HiddenAtlasError(
      "E_TOO_LARGE",
      `PCA of ${d} columns needs a ${d} × ${d} covariance (${formatBytes(d * d * 8)}) and O(d³) time; reduce the dimension below ${MAX_PCA_DIMENSION} first`,
      { bytesNeeded: d * d * 8 },
    );
  }
  assertFinite(X, "X");
  const core = await getCore();
  const k = core.kernels;
  return core.scope(async (s) => {
    const progress = new ProgressTracker(options, "PCA", 3);
    const x = s.upload(X.data, "PCA input");
    const mean = s.f64(d, "column means");
    if (center) k.columnMeans(x.ptr, n, d, mean.ptr);
    else mean.view().fill(0);
    const cov = s.f64(d * d, "covariance");
    const scratch = s.alloc(k.covarianceScratchBytes(d), "covariance scratch");
    k.covariance(x.ptr, n, d, mean.ptr, center ? 1 : 0, cov.ptr, scratch);
    await progress.step(1);
    const values = s.f64(d, "eigenvalues");
    const work = s.f64(d, "eigen scratch");
    if (k.symmetricEigen(cov.ptr, d, values.ptr, work.ptr) !== 0) {
      throw new HiddenAtlasError("E_PARAM", "PCA: the eigen-solver did not converge");
    }
    await progress.step(2);
    // Keep the leading columns of the eigenvector matrix (d × d, vectors as columns).
    const all = cov.view();
    const components = new Float64Array(d * nComponents);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < nComponents; j++) components[i * nComponents + j] = all[i * d + j];
    }
    const comp = s.upload(components, "components");
    const scores = s.f32(n * nComponents, "scores");
    k.projectCentered(x.ptr, n, d, mean.ptr, comp.ptr, nComponents, scores.ptr);
    const eigen = values.view();
    // Round-off can leave tiny negative eigenvalues of a semi-definite matrix: clamp to 0.
    let totalVariance = 0;
    for (let i = 0; i < d; i++) totalVariance += Math.max(0, eigen[i]);
    const explainedVariance = new Float64Array(nComponents);
    const explainedVarianceRatio = new Float64Array(nComponents);
    for (let j = 0; j < nComponents; j++) {
      explainedVariance[j] = Math.max(0, eigen[j]);
      explainedVarianceRatio[j] = totalVariance > 0 ? explainedVariance[j] / totalVariance : 0;
    }
    progress.finish();
    const spectrum = Float64Array.from(eigen, (v) => Math.max(0, v));
    return {
      spectrum,
      scores: { rows: n, cols: nComponents, data: scores.copy() },
      components,
      mean: mean.copy(),
      explainedVariance,
      explainedVarianceRatio,
      totalVariance,
      params: { nComponents, center },
    };
  });
}
