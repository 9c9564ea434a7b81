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
  if (n < d && d > GRAM_MIN_DIMENSION) return gramPca(core, X, nComponents, center, options);
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
    const work = s.f64(3 * d, "eigen scratch");
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

/** Above this many columns, wide data (fewer rows than columns) go through the n × n Gram matrix. */
const GRAM_MIN_DIMENSION = 1024;

/**
 * PCA of wide data (n < d) from the n × n Gram matrix Xc·Xcᵀ/(n − ddof), whose non-zero
 * eigenvalues are the covariance's: O(n²d + n³) instead of O(d³) (30 × 3,000 took minutes).
 * Component j is Xcᵀu_j/√((n − ddof)λ_j), signed like the covariance path (largest entry
 * positive); components of a zero eigenvalue are 0. The spectrum is padded with d − n zeros.
 */
async function gramPca(core: Awaited<ReturnType<typeof getCore>>, X: Matrix, nComponents: number, center: boolean, options: PcaOptions): Promise<PcaResult> {
  const { rows: n, cols: d } = X;
  const k = core.kernels;
  const ddof = center ? 1 : 0;
  const progress = new ProgressTracker(options, "PCA", 3);
  const mean = new Float64Array(d);
  if (center) {
    for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) mean[c] += X.data[i * d + c];
    for (let c = 0; c < d; c++) mean[c] /= n;
  }
  const xc = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) xc[i * d + c] = X.data[i * d + c] - mean[c];
  const gram = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = 0;
      for (let c = 0; c < d; c++) sum += xc[i * d + c] * xc[j * d + c];
      gram[i * n + j] = gram[j * n + i] = sum / (n - ddof);
    }
  }
  await progress.step(1);
  return core.scope(async (s) => {
    const g = s.upload(gram, "Gram matrix");
    const values = s.f64(n, "eigenvalues");
    const work = s.f64(3 * n, "eigen scratch");
    if (k.symmetricEigen(g.ptr, n, values.ptr, work.ptr) !== 0) throw new HiddenAtlasError("E_PARAM", "PCA: the eigen-solver did not converge");
    await progress.step(2);
    const u = g.view();
    const eigen = Float64Array.from(values.view(), (v) => Math.max(0, v));
    const components = new Float64Array(d * nComponents);
    for (let j = 0; j < nComponents; j++) {
      if (!(eigen[j] > 0)) continue;
      const norm = 1 / Math.sqrt((n - ddof) * eigen[j]);
      let best = 0;
      for (let c = 0; c < d; c++) {
        let sum = 0;
        for (let i = 0; i < n; i++) sum += xc[i * d + c] * u[i * n + j];
        const v = sum * norm;
        components[c * nComponents + j] = v;
        if (Math.abs(v) > Math.abs(best)) best = v;
      }
      if (best < 0) for (let c = 0; c < d; c++) components[c * nComponents + j] = -components[c * nComponents + j];
    }
    const x = s.upload(X.data, "PCA input");
    const m = s.upload(mean, "column means");
    const comp = s.upload(components, "components");
    const scores = s.f32(n * nComponents, "scores");
    k.projectCentered(x.ptr, n, d, m.ptr, comp.ptr, nComponents, scores.ptr);
    let totalVariance = 0;
    for (const v of eigen) totalVariance += v;
    const explainedVariance = eigen.slice(0, nComponents);
    const explainedVarianceRatio = explainedVariance.map((v) => (totalVariance > 0 ? v / totalVariance : 0));
    const spectrum = new Float64Array(d);
    spectrum.set(eigen);
    progress.finish();
    return {
      spectrum,
      scores: { rows: n, cols: nComponents, data: scores.copy() },
      components,
      mean,
      explainedVariance,
      explainedVarianceRatio,
      totalVariance,
      params: { nComponents, center },
    };
  });
}
