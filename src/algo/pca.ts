/**
 * Principal component analysis: the eigendecomposition of the covariance matrix
 * (assembly/stats.ts + assembly/linalg.ts). O(n·d² + d³), suited to d up to a few thousand.
 * The covariance is summed in float64; above n·d² = 2³⁰ (e.g. 4,000 × 512) in float32 chunks
 * of 128 rows added in float64 (relative error near 1e-6, several times faster). With
 * `spectrum: false` only the leading components are solved for (Lanczos, O(d²) a step); with
 * `eigenvectors: "leading"` the whole spectrum comes from the tridiagonal form alone and only the
 * kept components are carried back to the data's space (inverse iteration).
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
import { checkBoolean, checkInteger, checkKeyword, checkOptionNames } from "../core/params.ts";
import { ProgressTracker, type RunOptions } from "../core/progress.ts";
import { DEFAULT_SEED } from "../core/random.ts";
import { getCore, type Core, type Scope } from "../core/wasm.ts";
import { lanczosLargest } from "./lanczos.ts";

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
  /**
   * Compute every eigenvalue (`spectrum` holds all d). Defaults to true. With false only the
   * leading nComponents eigenpairs are found (Lanczos on the covariance, O(d²) a step instead of
   * the dense solver's O(d³)): `spectrum` then holds those, and `totalVariance` is the
   * covariance's trace — what a scatter with its variance shares needs.
   */
  spectrum?: boolean;
  /**
   * How the kept components are found beside the whole spectrum (the dense solver's paths:
   * `spectrum: true`, the Gram matrix of wide data). "all" (default): every eigenvector is
   * accumulated and the leading nComponents kept. "leading": the eigenvalues from the
   * tridiagonal form without the vectors (the same numbers, bit for bit) and only the
   * nComponents leading eigenvectors, by inverse iteration on the tridiagonal matrix and back
   * through the Householder reflectors: about a third of the eigen-solver's work, components
   * equal to "all"'s to rounding (1e-12 for well-separated eigenvalues), so scores can differ
   * in their last bits. Signed by the same rule.
   */
  eigenvectors?: "all" | "leading";
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
  /** Every eigenvalue of the covariance (d of them, descending, clamped at 0); the leading nComponents with `spectrum: false`. */
  spectrum: Float64Array;
  params: {
    nComponents: number;
    center: boolean;
    spectrum: boolean;
    eigenvectors: "all" | "leading";
  };
}

const defaults = {
  nComponents: 2,
  center: true,
  spectrum: true,
  eigenvectors: "all" as "all" | "leading",
};

/** Largest dimension for the dense eigen-solver (d×d doubles and O(d³) time). */
export const MAX_PCA_DIMENSION = 8192;

export async function pca(X: Matrix, options: PcaOptions = {}): Promise<PcaResult> {
  checkOptionNames("pca", options, defaults);
  assertMatrix(X, "X");
  const { rows: n, cols: d } = X;
  if (n < 2) {
    throw new HiddenAtlasError("E_PARAM", `PCA needs at least 2 rows; got ${n}`);
  }
  const nComponents = checkInteger(
    "nComponents",
    options.nComponents ?? defaults.nComponents,
    1,
    Math.min(n, d),
  );
  const center = checkBoolean("center", options.center ?? defaults.center);
  const wholeSpectrum = checkBoolean("spectrum", options.spectrum ?? defaults.spectrum);
  const vectors = checkKeyword("eigenvectors", options.eigenvectors ?? defaults.eigenvectors, [
    "all",
    "leading",
  ] as const);
  // Wide data (n < d) is solved through the n × n Gram matrix, so the eigen-solver's size is
  // min(n, d) there: 600 flattened 64 × 14 × 14 conv maps (12,544 columns) are a 600 × 600 problem.
  const gram = n < d && d > GRAM_MIN_DIMENSION;
  const solved = gram ? n : d;
  if (solved > MAX_PCA_DIMENSION) {
    throw new HiddenAtlasError(
      "E_TOO_LARGE",
      `PCA of ${n} rows × ${d} columns needs a ${solved} × ${solved} ${gram ? "Gram matrix" : "covariance"} (${formatBytes(solved * solved * 8)}) and O(${gram ? "n" : "d"}³) time; reduce the dimension or the rows below ${MAX_PCA_DIMENSION} first`,
      { bytesNeeded: solved * solved * 8 },
    );
  }
  // The centred chunked path finds a NaN or ±Infinity through the column sums (finite float32
  // values cannot overflow a float64 sum), and only then scans for the cell to name: one pass
  // less over large data.
  const finiteFromSums = !gram && center && n * d * d >= CHUNKED_COVARIANCE_WORK;
  if (!finiteFromSums) assertFinite(X, "X");
  const core = await getCore();
  const k = core.kernels;
  if (gram) return gramPca(core, X, nComponents, center, vectors, options);
  return core.scope(async (s) => {
    const progress = new ProgressTracker(options, "PCA", 3);
    const chunked = n * d * d >= CHUNKED_COVARIANCE_WORK;
    const mean = s.f64(d, "column means");
    const cov = s.f64(d * d, "covariance");
    // Large data stream through one block buffer (a multiple of the kernel's 128-row chunks, so
    // the sums are those of one pass): the wasm memory does not grow by the data's size.
    const blockRows = chunked
      ? Math.min(
          n,
          Math.max(
            STREAM_CHUNK_ROWS,
            Math.floor(STREAM_BLOCK_BYTES / (4 * d) / STREAM_CHUNK_ROWS) * STREAM_CHUNK_ROWS,
          ),
        )
      : n;
    const x = chunked ? s.f32(blockRows * d, "PCA input block") : s.upload(X.data, "PCA input");
    const blocks = (each: (rows: number, r0: number) => void) => {
      if (!chunked) return each(n, 0);
      const view = x.view();
      for (let r0 = 0; r0 < n; r0 += blockRows) {
        const rows = Math.min(blockRows, n - r0);
        view.set(X.data.subarray(r0 * d, (r0 + rows) * d));
        each(rows, r0);
      }
    };
    if (!center) mean.view().fill(0);
    else if (!chunked) k.columnMeans(x.ptr, n, d, mean.ptr);
    else {
      // Σ over blocks of (block mean × block rows) / n.
      const sums = new Float64Array(d);
      const blockMean = s.f64(d, "block means");
      blocks((rows) => {
        k.columnMeans(x.ptr, rows, d, blockMean.ptr);
        const m = blockMean.view();
        for (let c = 0; c < d; c++) sums[c] += m[c] * rows;
      });
      if (!sums.every(Number.isFinite)) assertFinite(X, "X"); // throws E_NON_FINITE naming the cell
      mean.view().set(sums.map((v) => v / n));
    }
    const scratch = s.alloc(
      chunked ? k.covarianceChunkedScratchBytes(d) : k.covarianceScratchBytes(d),
      "covariance scratch",
    );
    if (chunked) {
      cov.view().fill(0);
      blocks((rows) => k.covarianceChunkedAdd(x.ptr, rows, d, mean.ptr, cov.ptr, scratch));
      k.covarianceFinish(n, d, center ? 1 : 0, cov.ptr);
    } else if (core.threads > 1 && d >= THREADED_COVARIANCE_COLUMNS) {
      // On the kernel threads: the upper triangle in pieces of rows of about equal work (row i
      // holds d − i entries), each entry summed as the one-thread kernel sums it, so the
      // matrix is the same bytes on any thread count.
      const pieces = 4 * core.threads;
      const bounds = s.i32(pieces + 1, "covariance pieces");
      const b = bounds.view();
      for (let p = 0; p <= pieces; p++) b[p] = Math.round(d - d * Math.sqrt(1 - p / pieces));
      const threadScratch = Array.from({ length: core.threads }, () =>
        s.alloc(k.covarianceScratchBytes(d), "covariance scratch"),
      );
      await core.parallelRows(
        {
          kernel: "covariancePieces",
          rows: pieces,
          chunk: 1,
          args: [
            x.ptr,
            n,
            d,
            mean.ptr,
            cov.ptr,
            { thread: threadScratch },
            bounds.ptr,
            { i0: 1 },
            { i1: 1 },
          ],
        },
        { signal: options.signal },
      );
      k.covarianceFinish(n, d, center ? 1 : 0, cov.ptr);
    } else {
      k.covariance(x.ptr, n, d, mean.ptr, center ? 1 : 0, cov.ptr, scratch);
    }
    await progress.step(1);
    // Total variance: the covariance's trace (the sum of every eigenvalue).
    const covariance = cov.view();
    let trace = 0;
    for (let i = 0; i < d; i++) trace += covariance[i * d + i];
    let eigen: Float64Array;
    let components: Float64Array;
    let spectrum: Float64Array;
    let totalVariance: number;
    if (wholeSpectrum || nComponents * LEADING_SOLVER_RATIO > d) {
      ({ values: eigen, vectors: components } = denseEigen(
        core,
        s,
        cov.ptr,
        d,
        nComponents,
        vectors,
      ));
      // Round-off can leave tiny negative eigenvalues of a semi-definite matrix: clamp to 0.
      spectrum = Float64Array.from(eigen, (v) => Math.max(0, v));
      totalVariance = spectrum.reduce((a, b) => a + b, 0);
    } else {
      // The leading eigenpairs only, by Lanczos on the covariance (O(d²) a step).
      const result = await lanczosLargest(
        core,
        d,
        nComponents,
        (v, y) => k.symmetricMatvec(cov.ptr, d, v, y),
        {
          tol: 1e-12,
          maxBasis: d,
          seed: DEFAULT_SEED,
        },
      );
      if (!result.converged)
        throw new HiddenAtlasError(
          "E_PARAM",
          `PCA: the leading ${nComponents} components did not converge (residual ${result.residual.toExponential(2)})`,
        );
      eigen = result.values;
      components = result.vectors;
      spectrum = Float64Array.from(eigen, (v) => Math.max(0, v));
      totalVariance = Math.max(0, trace);
    }
    await progress.step(2);
    const comp = s.upload(components, "components");
    const blockScores = s.f32(blockRows * nComponents, "scores");
    const projectScratch = s.alloc(k.projectScratchBytes(nComponents), "projection scratch");
    const scores = chunked ? new Float32Array(n * nComponents) : null;
    blocks((rows, r0) => {
      k.projectCenteredPairs(
        x.ptr,
        rows,
        d,
        mean.ptr,
        comp.ptr,
        nComponents,
        blockScores.ptr,
        projectScratch,
      );
      scores?.set(blockScores.view().subarray(0, rows * nComponents), r0 * nComponents);
    });
    const explainedVariance = new Float64Array(nComponents);
    const explainedVarianceRatio = new Float64Array(nComponents);
    for (let j = 0; j < nComponents; j++) {
      explainedVariance[j] = Math.max(0, eigen[j]);
      explainedVarianceRatio[j] = totalVariance > 0 ? explainedVariance[j] / totalVariance : 0;
    }
    progress.finish();
    return {
      spectrum,
      scores: { rows: n, cols: nComponents, data: scores ?? blockScores.copy() },
      components,
      mean: mean.copy(),
      explainedVariance,
      explainedVarianceRatio,
      totalVariance,
      params: { nComponents, center, spectrum: wholeSpectrum, eigenvectors: vectors },
    };
  });
}

/**
 * Work n·d² from which the covariance is summed in f32 chunks (`covarianceChunked`: relative
 * error near 1e-6, several times faster) instead of in f64: 2³⁰, about 4,000 × 512.
 */
export const CHUNKED_COVARIANCE_WORK = 2 ** 30;
/**
 * From this many columns the float64 covariance runs on the kernel threads when there are
 * several (below, re-centring the rows in each piece costs more than the split saves).
 */
const THREADED_COVARIANCE_COLUMNS = 32;
/** Rows per covariance chunk in the kernel (assembly/stats.ts CHUNK_ROWS). */
const STREAM_CHUNK_ROWS = 128;
/** Bytes of float32 rows uploaded at a time on the chunked path. */
const STREAM_BLOCK_BYTES = 8 << 20;
/** The leading-pairs solver is used when d ≥ this many times the components asked for. */
const LEADING_SOLVER_RATIO = 4;

/** Above this many columns, wide data (fewer rows than columns) go through the n × n Gram matrix. */
const GRAM_MIN_DIMENSION = 1024;

/**
 * PCA of wide data (n < d) from the n × n Gram matrix Xc·Xcᵀ/(n − ddof), whose non-zero
 * eigenvalues are the covariance's: O(n²d + n³) instead of O(d³) (30 × 3,000 took minutes).
 * Component j is Xcᵀu_j/√((n − ddof)λ_j), signed like the covariance path (largest entry
 * positive); components of a zero eigenvalue are 0. The spectrum is padded with d − n zeros.
 */
async function gramPca(
  core: Awaited<ReturnType<typeof getCore>>,
  X: Matrix,
  nComponents: number,
  center: boolean,
  vectors: "all" | "leading",
  options: PcaOptions,
): Promise<PcaResult> {
  const { rows: n, cols: d } = X;
  const k = core.kernels;
  const ddof = center ? 1 : 0;
  const progress = new ProgressTracker(options, "PCA", 3);
  const mean = new Float64Array(d);
  if (center) {
    for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) mean[c] += X.data[i * d + c];
    for (let c = 0; c < d; c++) mean[c] /= n;
  }
  // The centred rows, transposed (d × n, float32): the core's covariance kernel on them, with
  // zero means and no centring, sums Xc·Xcᵀ in float64 with SIMD (600 × 12,544: 2.3 G
  // multiply-adds, tens of seconds as a JS loop).
  const xcT = new Float32Array(d * n);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < d; c++) xcT[c * n + i] = X.data[i * d + c] - mean[c];
  return core.scope(async (s) => {
    const g = s.f64(n * n, "Gram matrix");
    {
      const xt = s.upload(xcT, "centred rows, transposed");
      const zeros = s.f64(n, "zero means");
      zeros.view().fill(0);
      const scratch = s.alloc(k.covarianceScratchBytes(n), "Gram scratch");
      // The kernel divides by its row count (d); the Gram matrix wants n − ddof.
      k.covariance(xt.ptr, d, n, zeros.ptr, 0, g.ptr, scratch);
      const view = g.view();
      const rescale = d / (n - ddof);
      for (let e = 0; e < n * n; e++) view[e] *= rescale;
    }
    await progress.step(1);
    const solved = denseEigen(core, s, g.ptr, n, nComponents, vectors);
    await progress.step(2);
    // u_j, the Gram matrix's eigenvector j, in column j of n × nComponents.
    const u = solved.vectors;
    const eigen = Float64Array.from(solved.values, (v) => Math.max(0, v));
    const components = new Float64Array(d * nComponents);
    const column = new Float64Array(d);
    const uj = new Float64Array(n);
    for (let j = 0; j < nComponents; j++) {
      if (!(eigen[j] > 0)) continue;
      const norm = 1 / Math.sqrt((n - ddof) * eigen[j]);
      // Component j = Xcᵀu_j · norm: one dot product per transposed row, read contiguously.
      for (let i = 0; i < n; i++) uj[i] = u[i * nComponents + j];
      let best = 0;
      for (let c = 0; c < d; c++) {
        let sum = 0;
        for (let i = 0, at = c * n; i < n; i++) sum += xcT[at + i] * uj[i];
        const v = sum * norm;
        column[c] = v;
        if (Math.abs(v) > Math.abs(best)) best = v;
      }
      const flip = best < 0 ? -1 : 1;
      for (let c = 0; c < d; c++) components[c * nComponents + j] = flip * column[c];
    }
    const x = s.upload(X.data, "PCA input");
    const m = s.upload(mean, "column means");
    const comp = s.upload(components, "components");
    const scores = s.f32(n * nComponents, "scores");
    k.projectCentered(x.ptr, n, d, m.ptr, comp.ptr, nComponents, scores.ptr);
    let totalVariance = 0;
    for (const v of eigen) totalVariance += v;
    const explainedVariance = eigen.slice(0, nComponents);
    const explainedVarianceRatio = explainedVariance.map((v) =>
      totalVariance > 0 ? v / totalVariance : 0,
    );
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
      params: { nComponents, center, spectrum: true, eigenvectors: vectors },
    };
  });
}

/**
 * Every eigenvalue (descending, unclamped) of the symmetric n × n matrix at `a` (overwritten),
 * and the `count` leading eigenvectors as the columns of an n × count array, each signed so its
 * largest-magnitude entry is positive. "all": the dense solver (every vector accumulated);
 * "leading": the values from the tridiagonal form (bit-identical to the dense solver's), the
 * vectors by inverse iteration (assembly/linalg.ts, tridiagonalEigenvectors).
 */
function denseEigen(
  core: Core,
  s: Scope,
  a: number,
  n: number,
  count: number,
  vectors: "all" | "leading",
): { values: Float64Array; vectors: Float64Array } {
  const k = core.kernels;
  const values = s.f64(n, "eigenvalues");
  const fail = () => new HiddenAtlasError("E_PARAM", "PCA: the eigen-solver did not converge");
  if (vectors === "all" || count >= n) {
    const work = s.f64(3 * n, "eigen scratch");
    if (k.symmetricEigen(a, n, values.ptr, work.ptr) !== 0) throw fail();
    // Keep the leading columns of the eigenvector matrix (n × n, vectors as columns).
    const all = new Float64Array(core.memory.buffer, a, n * n);
    const kept = new Float64Array(n * count);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < count; j++) kept[i * count + j] = all[i * n + j];
    return { values: values.copy(), vectors: kept };
  }
  const diagonal = s.f64(n, "tridiagonal diagonal");
  const offDiagonal = s.f64(n, "tridiagonal off-diagonal");
  const work = s.f64((7 + count) * n, "eigen scratch");
  k.householderSteps(a, n, 0, n, diagonal.ptr, offDiagonal.ptr, work.ptr);
  // QL destroys its input: the eigenvalues from copies, the vectors from the reduction as left.
  values.view().set(diagonal.view());
  const e = s.f64(n, "QL off-diagonal");
  e.view().set(offDiagonal.view());
  if (k.tridiagonalEigenvalues(values.ptr, e.ptr, n) !== 0) throw fail();
  const out = s.f64(n * count, "leading eigenvectors");
  if (
    k.tridiagonalEigenvectors(
      a,
      n,
      diagonal.ptr,
      offDiagonal.ptr,
      values.ptr,
      count,
      out.ptr,
      work.ptr,
    ) !== 0
  )
    throw fail();
  return { values: values.copy(), vectors: out.copy() };
}
