/**
 * PHATE: potential of heat-diffusion for affinity-based transition embedding (Moon et al.,
 * Nat. Biotechnol. 2019), as implemented in KrishnaswamyLab/PHATE v1.0.11 with graphtools
 * v2.1.0. Kernels: assembly/phate.ts.
 *
 * Pipeline: alpha-decay affinity K (kNN bandwidth, decay, 1e-4 threshold, average
 * symmetrisation) → diffusion operator P = D⁻¹K → t by the knee of the von Neumann entropy →
 * Pᵗ in float64 by repeated squaring → potential (γ = 1: −log(Pᵗ + 1e-7); γ = −1: Pᵗ;
 * otherwise (Pᵗ)^c/c, c = (1 − γ)/2) → Euclidean distances between potential rows → classical
 * MDS → metric MDS (SMACOF with tolerance stop, or SGD) → Procrustes onto the classical MDS.
 * Above `nLandmark` points, the diffusion runs on landmarks: spectral clustering of the
 * symmetric operator D^-½KD^-½ (its leading eigenvectors, then k-means), the landmark operator
 * P_mn·P_nm, and interpolation back by P_nm.
 *
 * Conventions and deviations (each with its reason):
 * - **VNE uses eigenvalues of the symmetric conjugate D^-½KD^-½**, not the singular values of P
 *   as PHATE does. The two operators are similar, so these eigenvalues are exactly P's, real and
 *   in [−1, 1], and |λ|ᵗ is the spectrum of Pᵗ that the entropy is meant to describe; singular
 *   values of the non-symmetric P can exceed 1 and overflowed in PHATE#91 (t = 1 chosen). The
 *   entropy at entry i uses |λ|^(i+1) and entry i is labelled t = i, and the knee search skips
 *   both end points, exactly as phate/vne.py, so t ≥ 1.
 * - Classical MDS is textbook Torgerson scaling (−½JD²J, √λ-scaled eigenvectors by Lanczos);
 *   PHATE's `cmdscale_fast` omits the −½ and uses randomized PCA. It only seeds SMACOF and
 *   Procrustes, so only the scale of the start differs.
 * - PCA (when nPca < min(n, d)) is exact, not randomized; landmark clustering uses Lanczos
 *   eigenvectors and seeded Lloyd k-means, not randomized SVD and MiniBatchKMeans. Every
 *   random choice is seeded: the same input and seed give bit-identical output.
 * - Output follows PHATE ≥ 1.0: Procrustes (scipy.spatial.procrustes) centres the metric MDS
 *   result, scales it to unit Frobenius norm, rotates it onto the classical MDS and multiplies
 *   by the fit's scale (≤ 1). Spreads are therefore relative, not absolute.
 * - metric MDS defaults to SMACOF (max 3000 iterations, eps 1e-6, PHATE's settings); PHATE
 *   ≥ 1.0 defaults to s_gd2's SGD, available here as `mdsSolver: "sgd"` (Zheng, Pawar &
 *   Goodman 2018: 30 annealed passes over all pairs, unit weights).
 *
 * @example
 *   const {embedding, t} = await phate(X, {knn: 5, decay: 40, seed: 42});
 *
 * References:
 * 1. K. R. Moon, D. van Dijk, Z. Wang et al., "Visualizing structure and transitions in
 *    high-dimensional biological data", Nat. Biotechnol. 37 (2019) 1482–1492.
 * 2. J. X. Zheng, S. Pawar, D. F. M. Goodman, "Graph drawing by stochastic gradient descent",
 *    IEEE TVCG 25 (2019).
 *
 * See also: mphate (src/algo/mphate.ts), classicalMds and smacof (src/algo/mds.ts).
 */
import { HiddenAtlasError, formatBytes } from "../core/errors.ts";
import { assertMatrix, type Matrix } from "../core/matrix.ts";
import { checkInteger, checkKeyword, checkNumber, checkOptionNames } from "../core/params.ts";
import { ProgressTracker, type RunOptions } from "../core/progress.ts";
import { DEFAULT_SEED, Rng, checkSeed, STREAMS } from "../core/random.ts";
import { getCore, type Core, type Scope } from "../core/wasm.ts";
import { distanceRows } from "./distance.ts";
import { lanczosLargest } from "./lanczos.ts";
import { classicalMds, smacof } from "./mds.ts";
import { pca } from "./pca.ts";
import { rangeParams, toKernelRange } from "./range.ts";
import { kMeans } from "./clustering.ts";
import { Warnings } from "../core/warnings.ts";

declare module "../core/wasm.ts" {
  interface CoreKernels {
    phateAlphaDecayScratchFloats(n: number): number;
    phateAlphaDecayRows(
      x: number,
      n: number,
      d: number,
      r0: number,
      r1: number,
      knn: number,
      decay: number,
      thresh: number,
      outColumns: number,
      outValues: number,
      outCounts: number,
      outSigma: number,
      scratch: number,
    ): number;
    phateGemmRows(a: number, b: number, c: number, n: number, i0: number, i1: number): void;
    phatePotential(p: number, count: number, gamma: number, out: number): void;
    phateDenseRows(
      rowPtr: number,
      columns: number,
      values: number,
      rowScale: number,
      colScale: number,
      n: number,
      out: number,
      i0: number,
      i1: number,
    ): void;
    phateSparseDense(
      rowPtr: number,
      columns: number,
      values: number,
      n: number,
      b: number,
      r: number,
      out: number,
    ): void;
    phateSparseMatvec(
      rowPtr: number,
      columns: number,
      values: number,
      n: number,
      x: number,
      y: number,
    ): void;
  }
}

/** graphtools' threshold below which affinities are dropped (PHATE always passes 1e-4). */
export const AFFINITY_THRESHOLD = 1e-4;
/** Euclidean metric code of assembly/distance.ts `pairwiseDistances`. */
const EUCLIDEAN = 1;
/** Rows per alpha-decay kernel call (bounds the output block: ROWS × n entries). */
const KERNEL_ROWS = 64;
/** Chunks of the affinity kernel per thread in one block of output (then copied out). */
const KERNEL_CHUNKS_PER_THREAD = 4;
/** Most bytes of one block of affinity output (columns i32 + values f64 per entry). */
const KERNEL_BLOCK_BYTES = 256 * 1024 ** 2;
/** Rows per gemm call: a progress checkpoint between calls. */
const GEMM_ROWS = 32;
/**
 * Krylov basis for the landmark eigenvectors: 2 × nSvd vectors. The vectors only seed k-means
 * (PHATE itself uses a randomized SVD with a few power iterations), so they need not converge.
 */
const LANCZOS_BASIS_FACTOR = 2;
/** Lloyd iterations of the landmark k-means (PHATE's MiniBatchKMeans is approximate too). */
const LANDMARK_KMEANS_ITERATIONS = 10;
/** Householder steps per call. */
const TRIDIAGONAL_STEPS = 32;

/** A square sparse matrix in CSR form with float64 values; rows sorted by column. */
export interface Affinity {
  n: number;
  rowPtr: Int32Array;
  columns: Int32Array;
  values: Float64Array;
}

export const MDS_SOLVERS = ["smacof", "sgd"] as const;

export interface PhateOptions extends RunOptions {
  /** Output dimensions. Defaults to 2 (PHATE `n_components=2`). */
  nComponents?: number;
  /** Neighbours for the bandwidth σ_i (distance to the knn-th nearest other point). Defaults to 5 (PHATE `knn=5`); clamped to n − 2. */
  knn?: number;
  /** Exponent α of the kernel exp(−(d/σ)^α). Defaults to 40 (PHATE `decay=40`). */
  decay?: number;
  /** Above this many points, diffusion runs on this many landmarks. Defaults to 2000 (PHATE `n_landmark=2000`). */
  nLandmark?: number;
  /** Diffusion time, or "auto" (default, PHATE `t="auto"`): the knee of the von Neumann entropy. */
  t?: number | "auto";
  /** Largest t the entropy curve covers. Defaults to 100 (PHATE `t_max=100`). */
  tMax?: number;
  /** Potential: 1 = log (default, PHATE `gamma=1`), 0 = square root, −1 = none; in [−1, 1]. */
  gamma?: number;
  /** PCA dimension applied first when smaller than min(n, d); null for none. Defaults to 100 (PHATE `n_pca=100`). */
  nPca?: number | null;
  /** Leading eigenvectors for landmark clustering. Defaults to 100 (PHATE `n_svd=100`). */
  nSvd?: number;
  /** "smacof" (default; PHATE's `mds_solver="sgd"` since v1.0, see module notes) or "sgd". */
  mdsSolver?: (typeof MDS_SOLVERS)[number];
  /** SMACOF iterations. Defaults to 3000 (PHATE's call to sklearn `smacof`). */
  mdsMaxIter?: number;
  /** SMACOF relative tolerance. Defaults to 1e-6 (PHATE's). */
  mdsEps?: number;
  /** Seed of every random choice. Defaults to 42 (PHATE's default is None: unseeded). */
  seed?: number;
}

export interface PhateParams {
  nComponents: number;
  knn: number;
  decay: number;
  nLandmark: number;
  t: number | "auto";
  tMax: number;
  gamma: number;
  nPca: number | null;
  nSvd: number;
  mdsSolver: (typeof MDS_SOLVERS)[number];
  mdsMaxIter: number;
  mdsEps: number;
  seed: number;
}

export interface PhateResult {
  /** n × nComponents embedding (centred, rotated onto classical MDS; see module notes). */
  embedding: Matrix;
  /**
   * The metric MDS output before Procrustes (interpolated through the landmarks when used): in
   * the potential distances' own units, as PHATE returned it before Dec 2019 (M-PHATE's paper).
   */
  metricEmbedding: Matrix;
  /** The diffusion time used (the resolved value of "auto"). */
  t: number;
  /** Von Neumann entropy for t = 0 … tMax − 1 (entry i from |λ|^(i+1)); empty when t was given. */
  entropy: Float64Array;
  /** Eigenvalues of the (landmark) diffusion operator, descending; empty when t was given. */
  eigenvalues: Float64Array;
  /** Landmark of every point (null on the exact path) and the number of landmarks. */
  landmarks: Int32Array | null;
  nLandmarks: number;
  /** Raw stress of the metric MDS and its iterations. */
  stress: number;
  mdsIterations: number;
  /** Every option as resolved; `t` is the chosen time. */
  /** `rangeScale`: the power of two extreme data were scaled by (src/algo/range.ts), when not 1. */
  params: PhateParams & { t: number; rangeScale?: number };
  warnings: string[];
}

export const phateDefaults: PhateParams = {
  nComponents: 2,
  knn: 5,
  decay: 40,
  nLandmark: 2000,
  t: "auto",
  tMax: 100,
  gamma: 1,
  nPca: 100,
  nSvd: 100,
  mdsSolver: "smacof",
  mdsMaxIter: 3000,
  mdsEps: 1e-6,
  seed: DEFAULT_SEED,
};

/** Check the diffusion options shared by PHATE and M-PHATE. */
export function resolvePhateOptions(
  options: PhateOptions,
  base: PhateParams = phateDefaults,
  what = "phate",
): PhateParams {
  checkOptionNames(what, options, base);
  const o = { ...base, ...options };
  const t = o.t === "auto" ? "auto" : checkInteger("t", o.t, 1, 10_000);
  let gamma = checkNumber("gamma", o.gamma, -1, 1);
  // phate.py clamps γ in (0.99, 1) to 0.99: the power 1/(1 − γ) would otherwise overflow.
  if (gamma > 0.99 && gamma < 1) gamma = 0.99;
  const nComponents = checkInteger("nComponents", o.nComponents, 1, 10);
  return {
    nComponents,
    knn: checkInteger("knn", o.knn, 1),
    decay: checkNumber("decay", o.decay, 0, 1000, { exclusiveMin: true }),
    // Classical MDS of m landmarks has at most m − 1 dimensions: nComponents + 1 at least.
    nLandmark: checkInteger("nLandmark", o.nLandmark, nComponents + 1),
    t,
    tMax: checkInteger("tMax", o.tMax, 3, 10_000),
    gamma,
    nPca: o.nPca === null ? null : checkInteger("nPca", o.nPca, 1),
    nSvd: checkInteger("nSvd", o.nSvd, 1),
    mdsSolver: checkKeyword("mdsSolver", o.mdsSolver, MDS_SOLVERS),
    mdsMaxIter: checkInteger("mdsMaxIter", o.mdsMaxIter, 1),
    mdsEps: checkNumber("mdsEps", o.mdsEps, 0),
    seed: checkSeed(o.seed),
  };
}

/** PHATE embedding of the rows of X. */
export async function phate(X: Matrix, options: PhateOptions = {}): Promise<PhateResult> {
  assertMatrix(X, "X");
  const p = resolvePhateOptions(options);
  if (X.rows < 3)
    throw new HiddenAtlasError("E_PARAM", `PHATE needs at least 3 rows; got ${X.rows}`);
  if (X.cols < 1)
    throw new HiddenAtlasError("E_PARAM", `PHATE needs at least 1 column; got ${X.cols}`);
  if (p.nComponents >= X.rows)
    throw new HiddenAtlasError(
      "E_PARAM",
      `invalid nComponents: ${p.nComponents} (expected fewer than the ${X.rows} rows)`,
    );
  // Extreme values: the rescaled copy's embedding (the kernel's bandwidths make it scale-free).
  const range = toKernelRange(X, "X");
  X = range.X;
  const run: RunOptions = { signal: options.signal, onProgress: options.onProgress };
  let data = X;
  if (p.nPca !== null && p.nPca < Math.min(X.rows, X.cols)) {
    data = (await pca(X, { nComponents: p.nPca, ...run })).scores;
  }
  const knn = Math.min(p.knn, X.rows - 2);
  const K = await alphaDecayAffinity(data, { knn, decay: p.decay, ...run });
  const result = await phateFromAffinity(K, { ...p, ...run });
  result.params.knn = p.knn;
  Object.assign(result.params, rangeParams(range.scale));
  if (knn < p.knn)
    result.warnings.push(`knn ${p.knn} clamped to n − 2 = ${knn} (graphtools' rule)`);
  return result;
}

export interface AlphaDecayOptions extends RunOptions {
  /** Bandwidth neighbour: σ_i = distance to the knn-th nearest other row. Defaults to 5. */
  knn?: number;
  /** Kernel exponent. Defaults to 40. */
  decay?: number;
  /** Affinities below this are dropped. Defaults to 1e-4 (graphtools, as PHATE calls it). */
  thresh?: number;
}

/**
 * The alpha-decay affinity of graphtools: a_ij = exp(−(d_ij/σ_i)^decay) with σ_i the distance
 * to the knn-th nearest other row, entries below `thresh` dropped (every entry at or above it is
 * kept: the whole row is scanned, which is where graphtools' widening search ends), then
 * K = (A + Aᵀ)/2. Duplicate rows (σ_i = 0) get affinity 1 to their copies and 0 elsewhere,
 * graphtools' NaN → 1 rule. The diagonal is 1.
 */
export async function alphaDecayAffinity(
  X: Matrix,
  options: AlphaDecayOptions = {},
): Promise<Affinity> {
  checkOptionNames("alphaDecayAffinity", options, {
    knn: 5,
    decay: 40,
    thresh: AFFINITY_THRESHOLD,
  });
  assertMatrix(X, "X");
  const n = X.rows;
  if (n < 2) throw new HiddenAtlasError("E_PARAM", `an affinity needs at least 2 rows; got ${n}`);
  const knn = checkInteger("knn", options.knn ?? 5, 1, n - 1);
  const decay = checkNumber("decay", options.decay ?? 40, 0, 1000, { exclusiveMin: true });
  const thresh = checkNumber("thresh", options.thresh ?? AFFINITY_THRESHOLD, 0, 1, {
    exclusiveMin: true,
    exclusiveMax: true,
  });
  X = toKernelRange(X, "X").X; // the affinity is scale-free: extreme values are rescaled first

  const core = await getCore();
  const k = core.kernels;
  // Chunks of KERNEL_ROWS rows on the kernel threads, each writing its own part of a block of
  // `chunks` chunks: entries (capacity KERNEL_ROWS · n per chunk), counts and bandwidths.
  const threads = core.threads;
  const chunkRows = Math.min(KERNEL_ROWS, n);
  const chunks = Math.max(
    1,
    Math.min(
      Math.ceil(n / chunkRows),
      threads * KERNEL_CHUNKS_PER_THREAD,
      Math.floor(KERNEL_BLOCK_BYTES / (chunkRows * n * 12)),
    ),
  );
  const blockRows = chunks * chunkRows;
  core.assertFits(
    X.data.byteLength + blockRows * n * 12 + threads * k.phateAlphaDecayScratchFloats(n) * 4,
    `the alpha-decay kernel of ${n} rows`,
  );
  const rows: { columns: Int32Array; values: Float64Array }[] = new Array(n);
  await core.scope(async (s) => {
    const x = s.upload(X.data, "kernel rows");
    const columns = s.i32(blockRows * n, "kernel columns");
    const values = s.f64(blockRows * n, "kernel values");
    const counts = s.i32(blockRows, "kernel counts");
    const sigma = s.f64(blockRows, "kernel bandwidths");
    const scratch = Array.from(
      { length: threads },
      () => s.f32(k.phateAlphaDecayScratchFloats(n), "kernel scratch").ptr,
    );
    const progress = new ProgressTracker(options, "PHATE kernel", n);
    for (let b0 = 0; b0 < n; b0 += blockRows) {
      const b1 = Math.min(n, b0 + blockRows);
      await core.parallelRows(
        {
          kernel: "phateAlphaDecayRows",
          rows: b1 - b0,
          chunk: chunkRows,
          args: [
            x.ptr,
            n,
            X.cols,
            { base: b0, i0: 1 },
            { base: b0, i1: 1 },
            knn,
            decay,
            thresh,
            { base: columns.ptr, chunk: chunkRows * n * 4 },
            { base: values.ptr, chunk: chunkRows * n * 8 },
            { base: counts.ptr, i0: 4 },
            { base: sigma.ptr, i0: 8 },
            { thread: scratch },
          ],
        },
        { signal: options.signal, onRows: (done) => progress.report(b0 + done), threads },
      );
      const c = counts.view();
      const cols = columns.view();
      const vals = values.view();
      for (let c0 = b0; c0 < b1; c0 += chunkRows) {
        let offset = ((c0 - b0) / chunkRows) * chunkRows * n;
        for (let r = c0; r < Math.min(b1, c0 + chunkRows); r++) {
          const count = c[r - b0];
          rows[r] = {
            columns: cols.slice(offset, offset + count),
            values: vals.slice(offset, offset + count),
          };
          offset += count;
        }
      }
      await progress.step(b1);
    }
    progress.finish();
  });
  return symmetrizeAverage(n, rows);
}

/** K = (A + Aᵀ)/2 of directed rows (each sorted by column). */
export function symmetrizeAverage(
  n: number,
  rows: { columns: Int32Array; values: Float64Array }[],
): Affinity {
  // Transpose by counting sort: column j of A becomes row j of Aᵀ, sorted by source row.
  const tCount = new Int32Array(n + 1);
  let nnz = 0;
  for (const r of rows) {
    for (const j of r.columns) tCount[j + 1]++;
    nnz += r.columns.length;
  }
  for (let j = 0; j < n; j++) tCount[j + 1] += tCount[j];
  const tColumns = new Int32Array(nnz);
  const tValues = new Float64Array(nnz);
  const cursor = tCount.slice(0, n);
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    for (let e = 0; e < r.columns.length; e++) {
      const p = cursor[r.columns[e]]++;
      tColumns[p] = i;
      tValues[p] = r.values[e];
    }
  }
  const rowPtr = new Int32Array(n + 1);
  const columns = new Int32Array(2 * nnz);
  const values = new Float64Array(2 * nnz);
  let out = 0;
  for (let i = 0; i < n; i++) {
    rowPtr[i] = out;
    const a = rows[i];
    let p = 0;
    let q = tCount[i];
    const qEnd = tCount[i + 1];
    while (p < a.columns.length || q < qEnd) {
      const ca = p < a.columns.length ? a.columns[p] : n;
      const cb = q < qEnd ? tColumns[q] : n;
      if (ca === cb) {
        columns[out] = ca;
        values[out++] = (a.values[p++] + tValues[q++]) / 2;
      } else if (ca < cb) {
        columns[out] = ca;
        values[out++] = a.values[p++] / 2;
      } else {
        columns[out] = cb;
        values[out++] = tValues[q++] / 2;
      }
    }
  }
  rowPtr[n] = out;
  return { n, rowPtr, columns: columns.slice(0, out), values: values.slice(0, out) };
}

/** Check an affinity: square CSR, finite non-negative values, every row with some weight. */
export function assertAffinity(K: Affinity, name = "affinity"): void {
  const { n, rowPtr, columns, values } = K;
  if (
    !Number.isInteger(n) ||
    n < 1 ||
    !(rowPtr instanceof Int32Array) ||
    rowPtr.length !== n + 1 ||
    !(columns instanceof Int32Array) ||
    !(values instanceof Float64Array) ||
    columns.length !== values.length ||
    rowPtr[n] !== columns.length
  ) {
    throw new HiddenAtlasError(
      "E_PARAM",
      `invalid ${name}: expected CSR {n, rowPtr: Int32Array(n + 1), columns: Int32Array, values: Float64Array}`,
    );
  }
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let e = rowPtr[i]; e < rowPtr[i + 1]; e++) {
      const v = values[e];
      if (!(v >= 0) || v === Infinity)
        throw new HiddenAtlasError(
          "E_NON_FINITE",
          `${name} row ${i}, column ${columns[e]} is ${v} (expected a finite affinity ≥ 0)`,
          { row: i, column: columns[e] },
        );
      if (columns[e] < 0 || columns[e] >= n)
        throw new HiddenAtlasError(
          "E_PARAM",
          `${name} row ${i} names column ${columns[e]} outside 0 … ${n - 1}`,
        );
      sum += v;
    }
    if (!(sum > 0))
      throw new HiddenAtlasError(
        "E_PARAM",
        `${name} row ${i} has no affinity to any point (an isolated point has no diffusion)`,
        { row: i },
      );
  }
}

/** Row sums (degrees) of K. */
export function degrees(K: Affinity): Float64Array {
  const d = new Float64Array(K.n);
  for (let i = 0; i < K.n; i++)
    for (let e = K.rowPtr[i]; e < K.rowPtr[i + 1]; e++) d[i] += K.values[e];
  return d;
}

/** Bytes of wasm memory PHATE needs on n points (landmark path: L landmarks). */
export function phateMemoryEstimate(
  n: number,
  nnz: number,
  p: Pick<PhateParams, "nLandmark" | "nSvd">,
): number {
  const m = n > p.nLandmark ? p.nLandmark : n;
  // three m × m f64 power buffers, the f32 potential and distances, the f32 distances SMACOF uploads
  let bytes = 3 * 8 * m * m + 3 * 4 * m * m;
  if (n > p.nLandmark) {
    const basis = Math.min(n, LANCZOS_BASIS_FACTOR * p.nSvd);
    bytes += nnz * 12 * 3 + basis * n * 8 + n * p.nSvd * 12;
  }
  return bytes;
}

/**
 * PHATE from a precomputed symmetric affinity K (as M-PHATE feeds it; graphtools
 * `precomputed="affinity"`): everything after the kernel.
 */
export async function phateFromAffinity(
  K: Affinity,
  options: PhateOptions = {},
): Promise<PhateResult> {
  const p = resolvePhateOptions(options);
  assertAffinity(K);
  const n = K.n;
  if (n < 3) throw new HiddenAtlasError("E_PARAM", `PHATE needs at least 3 points; got ${n}`);
  if (p.nComponents >= n)
    throw new HiddenAtlasError(
      "E_PARAM",
      `invalid nComponents: ${p.nComponents} (expected fewer than the ${n} points)`,
    );
  const run: RunOptions = { signal: options.signal, onProgress: options.onProgress };
  const core = await getCore();
  const bytes = phateMemoryEstimate(n, K.columns.length, p);
  core.assertFits(
    bytes,
    `PHATE on ${n.toLocaleString("en-US")} points (${n > p.nLandmark ? `${p.nLandmark} landmarks` : "exact"}, ${formatBytes(bytes)})`,
  );
  const warnings = new Warnings();
  let operator: DiffusionOperator;
  let landmarks: Int32Array | null = null;
  let interpolate: Affinity | null = null;
  if (n > p.nLandmark) {
    const built = await landmarkOperator(core, K, p, run, warnings);
    operator = built.operator;
    landmarks = built.labels;
    interpolate = built.transitions;
  } else {
    operator = exactOperator(K);
  }
  const diffusion = await diffuse(core, operator, p, run);
  const D = diffusion.distances;
  const m = operator.n;
  const classical = await classicalMds(D, { nComponents: p.nComponents, seed: p.seed, ...run });
  warnings.addAll(classical.warnings);
  let metric: Matrix;
  let stress = 0;
  let mdsIterations = 0;
  if (p.mdsSolver === "sgd") {
    const sgd = await sgdMds(core, D, classical.coordinates, p.seed, run);
    metric = sgd.coordinates;
    stress = sgd.stress;
    mdsIterations = sgd.iterations;
  } else {
    const fit = await smacof(D, {
      nComponents: p.nComponents,
      init: classical.coordinates,
      maxIter: p.mdsMaxIter,
      eps: p.mdsEps,
      seed: p.seed,
      ...run,
    });
    metric = fit.coordinates;
    stress = fit.stress;
    mdsIterations = fit.iterations;
  }
  let embedding = procrustes(classical.coordinates, metric).aligned;
  let metricEmbedding = metric;
  if (interpolate) {
    embedding = await sparseTimesDense(core, interpolate, embedding);
    metricEmbedding = await sparseTimesDense(core, interpolate, metric);
  }
  return {
    embedding,
    metricEmbedding,
    t: diffusion.t,
    entropy: diffusion.entropy,
    eigenvalues: diffusion.eigenvalues,
    landmarks,
    nLandmarks: m,
    stress,
    mdsIterations,
    params: { ...p, t: diffusion.t },
    warnings: warnings.list(),
  };
}

/**
 * A row-stochastic operator P = D⁻¹·C·(scale) given by a function that writes it densely, and
 * its symmetric conjugate (same eigenvalues) for the entropy.
 */
interface DiffusionOperator {
  n: number;
  /** The operator itself in CSR, when it is sparse (the exact path): powers by sparse products. */
  sparse?: Affinity;
  /**
   * The affinity K with its degrees d and their roots √d, when the operator is D⁻¹K (the exact
   * path): both dense forms are then written in rows on the kernel threads (phateDenseRows).
   */
  affinity?: { K: Affinity; degrees: Float64Array; roots: Float64Array };
  /** Write the dense row-stochastic operator (n × n f64). */
  fillOperator(out: Float64Array): void;
  /** Write the dense symmetric conjugate (n × n f64). */
  fillSymmetric(out: Float64Array): void;
}

function exactOperator(K: Affinity): DiffusionOperator {
  const n = K.n;
  const deg = degrees(K);
  const transition = new Float64Array(K.values.length);
  for (let i = 0; i < n; i++)
    for (let e = K.rowPtr[i]; e < K.rowPtr[i + 1]; e++) transition[e] = K.values[e] / deg[i];
  const root = deg.map(Math.sqrt);
  return {
    n,
    sparse: { n, rowPtr: K.rowPtr, columns: K.columns, values: transition },
    affinity: { K, degrees: deg, roots: root },
    fillOperator(out) {
      out.fill(0);
      for (let i = 0; i < n; i++)
        for (let e = K.rowPtr[i]; e < K.rowPtr[i + 1]; e++)
          out[i * n + K.columns[e]] = K.values[e] / deg[i];
    },
    fillSymmetric(out) {
      out.fill(0);
      for (let i = 0; i < n; i++)
        for (let e = K.rowPtr[i]; e < K.rowPtr[i + 1]; e++)
          out[i * n + K.columns[e]] = K.values[e] / (root[i] * root[K.columns[e]]);
    },
  };
}

/**
 * The operator's dense form (n × n f64 at `out`): "operator" D⁻¹K or its "symmetric" conjugate.
 * From the affinity in rows on the kernel threads when there is one, else by the operator's own fill.
 */
async function fillDense(
  core: Core,
  operator: DiffusionOperator,
  form: "operator" | "symmetric",
  out: number,
  signal?: AbortSignal,
): Promise<void> {
  const n = operator.n;
  if (!operator.affinity) {
    const dense = new Float64Array(core.memory.buffer, out, n * n);
    if (form === "operator") operator.fillOperator(dense);
    else operator.fillSymmetric(dense);
    return;
  }
  const { K, degrees: deg, roots } = operator.affinity;
  await core.scope(async (t) => {
    const ones = form === "operator" ? t.upload(new Float64Array(n).fill(1), "ones") : null;
    const rowScale = t.upload(form === "operator" ? deg : roots, "operator scales");
    await core.parallelRows(
      {
        kernel: "phateDenseRows",
        rows: n,
        chunk: GEMM_ROWS,
        args: [
          t.upload(K.rowPtr, "affinity offsets").ptr,
          t.upload(K.columns, "affinity columns").ptr,
          t.upload(K.values, "affinity values").ptr,
          rowScale.ptr,
          (ones ?? rowScale).ptr,
          n,
          out,
          { i0: 1 },
          { i1: 1 },
        ],
      },
      { signal },
    );
  });
}

/** The diffusion operator's potential distances (f32 m × m) and the chosen t. */
async function diffuse(
  core: Core,
  operator: DiffusionOperator,
  p: PhateParams,
  run: RunOptions,
): Promise<{ distances: Matrix; t: number; entropy: Float64Array; eigenvalues: Float64Array }> {
  const n = operator.n;
  let t: number;
  let entropy: Float64Array = new Float64Array(0);
  let eigenvalues: Float64Array = new Float64Array(0);
  if (p.t === "auto") {
    eigenvalues = await core.scope(async (s) => {
      const a = s.f64(n * n, "symmetric diffusion operator");
      await fillDense(core, operator, "symmetric", a.ptr, run.signal);
      return symmetricEigenvaluesInPlace(core, s, a.ptr, n, run);
    });
    entropy = vonNeumannEntropy(eigenvalues, p.tMax);
    t = twoLineKnee(entropy);
  } else {
    t = p.t;
  }
  const distances = await core.scope(async (s) => {
    const potential = s.f32(n * n, "diffusion potential");
    await core.scope(async (inner) => {
      const base = inner.f64(n * n, "diffusion operator");
      await fillDense(core, operator, "operator", base.ptr, run.signal);
      const power =
        operator.sparse && sparseProductsCheaper(operator.sparse, t)
          ? await sparsePower(core, inner, operator.sparse, base.ptr, t, run)
          : await matrixPower(core, inner, base.ptr, n, t, run);
      // Element by element: rows of the potential on the kernel threads.
      await core.parallelRows(
        {
          kernel: "phatePotential",
          rows: n,
          chunk: GEMM_ROWS,
          args: [
            { base: power, i0: 8 * n },
            { i1: n, i0: -n },
            p.gamma,
            { base: potential.ptr, i0: 4 * n },
          ],
        },
        { signal: run.signal },
      );
    });
    // Euclidean distances between potential rows, in row chunks (progress between chunks).
    const out = new Float32Array(n * n);
    const progress = new ProgressTracker(run, "potential distances", n);
    await distanceRows(
      core,
      s,
      potential.ptr,
      potential.ptr,
      n,
      n,
      n,
      EUCLIDEAN,
      (rows, i0) => out.set(rows, i0 * n),
      {
        signal: run.signal,
        onRows: (rows) => progress.report(rows),
      },
    );
    progress.finish();
    // Symmetrise exactly: the f32 tile arithmetic can differ in the last bit between (i, j) and (j, i).
    for (let i = 0; i < n; i++) {
      out[i * n + i] = 0;
      for (let j = i + 1; j < n; j++) out[j * n + i] = out[i * n + j];
    }
    return { rows: n, cols: n, data: out } as Matrix;
  });
  return { distances, t, entropy, eigenvalues };
}

/**
 * Every eigenvalue (descending) of the dense symmetric n × n f64 matrix at ptr (destroyed):
 * Householder tridiagonalisation then implicit QL (assembly/linalg.ts, the core's one eigen-solver).
 */
export async function symmetricEigenvaluesInPlace(
  core: Core,
  s: Scope,
  ptr: number,
  n: number,
  run: RunOptions = {},
): Promise<Float64Array> {
  const k = core.kernels;
  const d = s.f64(n, "eigenvalues");
  const e = s.f64(n, "sub-diagonal");
  const scratch = s.f64(2 * n, "Householder scratch");
  const progress = new ProgressTracker(run, "diffusion eigenvalues", n);
  for (let k0 = 0; k0 < n; k0 += TRIDIAGONAL_STEPS) {
    const k1 = Math.min(n, k0 + TRIDIAGONAL_STEPS);
    k.householderSteps(ptr, n, k0, k1, d.ptr, e.ptr, scratch.ptr);
    await progress.step(k1);
  }
  if (k.tridiagonalEigenvalues(d.ptr, e.ptr, n) !== 0) {
    throw new HiddenAtlasError(
      "E_PARAM",
      "the tridiagonal eigen-solver did not converge (non-finite operator?)",
    );
  }
  progress.finish();
  return d.copy();
}

/** Eigenvalues (descending) of a symmetric matrix given as a JS array. */
export async function symmetricEigenvalues(A: Float64Array, n: number): Promise<Float64Array> {
  if (A.length !== n * n)
    throw new HiddenAtlasError("E_SHAPE_MISMATCH", `expected ${n} × ${n} values; got ${A.length}`);
  const core = await getCore();
  return core.scope((s) =>
    symmetricEigenvaluesInPlace(core, s, s.upload(A, "symmetric matrix").ptr, n),
  );
}

/**
 * Pᵗ of the n × n f64 matrix at `base` (overwritten) by repeated squaring, in float64; returns
 * the pointer of the result (a block of scope `s`).
 */
async function matrixPower(
  core: Core,
  s: Scope,
  base: number,
  n: number,
  t: number,
  run: RunOptions,
): Promise<number> {
  const bytes = n * n * 8;
  let b = base;
  let result = 0;
  let free = s.alloc(bytes, "diffusion power");
  let spare = 0;
  const bits = Math.floor(Math.log2(t)) + 1;
  const products = bits - 1 + popcount(t) - 1;
  const progress = new ProgressTracker(
    run,
    `diffusion powers (t = ${t})`,
    Math.max(1, products) * n,
  );
  let done = 0;
  const multiply = async (x: number, y: number, out: number) => {
    // Row blocks of the product on the kernel threads: each row of C is its own.
    await core.parallelRows(
      {
        kernel: "phateGemmRows",
        rows: n,
        chunk: GEMM_ROWS,
        args: [x, y, out, n, { i0: 1 }, { i1: 1 }],
      },
      { signal: run.signal, onRows: (rows) => progress.report(done + rows) },
    );
    done += n;
    await progress.step(done);
  };
  let rest = t;
  while (rest > 0) {
    if (rest & 1) {
      if (result === 0) {
        spare = spare || s.alloc(bytes, "diffusion power");
        result = spare;
        new Float64Array(core.memory.buffer, result, n * n).set(
          new Float64Array(core.memory.buffer, b, n * n),
        );
      } else {
        await multiply(result, b, free);
        [result, free] = [free, result];
      }
    }
    rest = Math.floor(rest / 2);
    if (rest > 0) {
      await multiply(b, b, free);
      [b, free] = [free, b];
    }
  }
  progress.finish();
  return result;
}

/**
 * Whether t − 1 sparse-times-dense products (t·nnz·n multiply-adds) beat repeated squaring of
 * the dense matrix ((⌊log₂ t⌋ + popcount(t) − 1)·n³): a kNN-sparse P on the exact path.
 */
function sparseProductsCheaper(P: Affinity, t: number): boolean {
  const squarings = Math.floor(Math.log2(t)) + popcount(t) - 1;
  return (t - 1) * P.columns.length < squarings * P.n * P.n;
}

/** Pᵗ = P·(P·(… P)) with P sparse (CSR) and the running product dense; `base` holds dense P. */
async function sparsePower(
  core: Core,
  s: Scope,
  P: Affinity,
  base: number,
  t: number,
  run: RunOptions,
): Promise<number> {
  const n = P.n;
  const rowPtr = s.upload(P.rowPtr, "operator offsets");
  const columns = s.upload(P.columns, "operator columns");
  const values = s.upload(P.values, "operator values");
  let current = base;
  let next = s.alloc(n * n * 8, "diffusion power");
  const progress = new ProgressTracker(run, `diffusion powers (t = ${t})`, Math.max(1, t - 1) * n);
  for (let step = 1; step < t; step++) {
    await core.parallelRows(
      {
        kernel: "phateSparseDense",
        rows: n,
        chunk: GEMM_ROWS * 8,
        args: [
          { base: rowPtr.ptr, i0: 4 },
          columns.ptr,
          values.ptr,
          { i1: 1, i0: -1 },
          current,
          n,
          { base: next, i0: 8 * n },
        ],
      },
      { signal: run.signal, onRows: (rows) => progress.report((step - 1) * n + rows) },
    );
    await progress.step(step * n);
    [current, next] = [next, current];
  }
  progress.finish();
  return current;
}

function popcount(t: number): number {
  let c = 0;
  for (let v = t; v > 0; v = Math.floor(v / 2)) c += v & 1;
  return c;
}

/**
 * Von Neumann entropy of the diffusion spectrum for t = 0 … tMax − 1, as phate/vne.py: entry i
 * uses η = |λ|^(i+1) / Σ|λ|^(i+1) + ε and is −Σ η log η.
 */
export function vonNeumannEntropy(eigenvalues: ArrayLike<number>, tMax = 100): Float64Array {
  const eps = 2.220446049250313e-16;
  const base = Float64Array.from(eigenvalues, Math.abs);
  const power = base.slice();
  const out = new Float64Array(tMax);
  for (let i = 0; i < tMax; i++) {
    let sum = 0;
    for (const v of power) sum += v;
    let h = 0;
    for (const v of power) {
      const prob = (sum > 0 ? v / sum : 0) + eps;
      h -= prob * Math.log(prob);
    }
    out[i] = h;
    for (let j = 0; j < power.length; j++) power[j] *= base[j];
  }
  return out;
}

/**
 * The knee of a curve by PHATE's two-line fit (phate/vne.py `find_knee_point`; not Kneedle,
 * which Mapper's automatic ε uses): for each interior breakpoint b, a
 * least-squares line through points 0 … b and one through points b − 1 … end (the reference's
 * off-by-one), scored by the summed absolute residuals on 0 … b and b … end; returns x of the
 * best breakpoint (end points excluded; first minimum on ties).
 */
export function twoLineKnee(y: ArrayLike<number>, x?: ArrayLike<number>): number {
  const L = y.length;
  if (L < 3) throw new HiddenAtlasError("E_PARAM", `a knee needs at least 3 points; got ${L}`);
  const xs = x ? Float64Array.from(x) : Float64Array.from({ length: L }, (_, i) => i);
  const fit = (from: number, to: number) => {
    let sx = 0,
      sy = 0,
      sxx = 0,
      sxy = 0;
    for (let i = from; i <= to; i++) {
      sx += xs[i];
      sy += y[i];
      sxx += xs[i] * xs[i];
      sxy += xs[i] * y[i];
    }
    const count = to - from + 1;
    const det = count * sxx - sx * sx;
    return { m: (count * sxy - sx * sy) / det, b: -(sx * sxy - sxx * sy) / det };
  };
  let best = Infinity;
  let loc = 1;
  for (let b = 1; b < L - 1; b++) {
    const left = fit(0, b);
    const right = fit(b - 1, L - 1);
    let error = 0;
    for (let i = 0; i <= b; i++) error += Math.abs(left.m * xs[i] + left.b - y[i]);
    for (let i = b; i < L; i++) error += Math.abs(right.m * xs[i] + right.b - y[i]);
    if (error < best) {
      best = error;
      loc = b;
    }
  }
  return xs[loc];
}

/**
 * scipy.spatial.procrustes(reference, Y)'s second output: Y centred, scaled to unit Frobenius
 * norm, rotated (orthogonally) onto the standardised reference and multiplied by the fit's
 * scale. `disparity` is Σ(ref − aligned)² of the standardised reference.
 */
export function procrustes(reference: Matrix, Y: Matrix): { aligned: Matrix; disparity: number } {
  if (reference.rows !== Y.rows || reference.cols !== Y.cols) {
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `procrustes: reference is ${reference.rows} × ${reference.cols} but Y is ${Y.rows} × ${Y.cols}`,
    );
  }
  const n = Y.rows;
  const k = Y.cols;
  const standardize = (M: Matrix) => {
    const out = Float64Array.from(M.data);
    for (let c = 0; c < k; c++) {
      let mean = 0;
      for (let i = 0; i < n; i++) mean += out[i * k + c];
      mean /= n;
      for (let i = 0; i < n; i++) out[i * k + c] -= mean;
    }
    let norm = 0;
    for (const v of out) norm += v * v;
    norm = Math.sqrt(norm);
    if (norm > 0) for (let i = 0; i < out.length; i++) out[i] /= norm;
    return out;
  };
  const a = standardize(reference);
  const b = standardize(Y);
  // M = Aᵀ B (k × k); R = U Vᵀ from M = U W Vᵀ; aligned = B Rᵀ · ΣW.
  const M = new Float64Array(k * k);
  for (let i = 0; i < n; i++)
    for (let r = 0; r < k; r++)
      for (let c = 0; c < k; c++) M[r * k + c] += a[i * k + r] * b[i * k + c];
  const { U, W, V } = smallSvd(M, k);
  const R = new Float64Array(k * k);
  for (let r = 0; r < k; r++)
    for (let c = 0; c < k; c++)
      for (let j = 0; j < k; j++) R[r * k + c] += U[r * k + j] * V[c * k + j];
  const scale = W.reduce((s, w) => s + w, 0);
  const out = new Float32Array(n * k);
  let disparity = 0;
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < k; r++) {
      let v = 0;
      for (let c = 0; c < k; c++) v += b[i * k + c] * R[r * k + c];
      v *= scale;
      out[i * k + r] = v;
      disparity += (a[i * k + r] - v) ** 2;
    }
  }
  return { aligned: { rows: n, cols: k, data: out }, disparity };
}

/** SVD of a small k × k matrix by one-sided Jacobi: M = U diag(W) Vᵀ (U, V row-major). */
function smallSvd(
  M: Float64Array,
  k: number,
): { U: Float64Array; W: Float64Array; V: Float64Array } {
  const G = M.slice();
  const V = new Float64Array(k * k);
  for (let i = 0; i < k; i++) V[i * k + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < k - 1; p++) {
      for (let q = p + 1; q < k; q++) {
        let alpha = 0,
          beta = 0,
          gamma = 0;
        for (let i = 0; i < k; i++) {
          alpha += G[i * k + p] ** 2;
          beta += G[i * k + q] ** 2;
          gamma += G[i * k + p] * G[i * k + q];
        }
        if (Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta) || gamma === 0) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < k; i++) {
          const gp = G[i * k + p],
            gq = G[i * k + q];
          G[i * k + p] = c * gp - s * gq;
          G[i * k + q] = s * gp + c * gq;
          const vp = V[i * k + p],
            vq = V[i * k + q];
          V[i * k + p] = c * vp - s * vq;
          V[i * k + q] = s * vp + c * vq;
        }
      }
    }
    if (!rotated) break;
  }
  const W = new Float64Array(k);
  const U = new Float64Array(k * k);
  for (let j = 0; j < k; j++) {
    let norm = 0;
    for (let i = 0; i < k; i++) norm += G[i * k + j] ** 2;
    W[j] = Math.sqrt(norm);
    if (W[j] > 1e-300) for (let i = 0; i < k; i++) U[i * k + j] = G[i * k + j] / W[j];
  }
  // Complete U where singular values vanish (degenerate configurations): Gram–Schmidt on e_i.
  for (let j = 0; j < k; j++) {
    if (W[j] > 1e-300) continue;
    for (let unit = 0; unit < k; unit++) {
      const v = new Float64Array(k);
      v[unit] = 1;
      for (let c = 0; c < k; c++) {
        if (c === j || (W[c] <= 1e-300 && c > j)) continue;
        let dot = 0;
        for (let i = 0; i < k; i++) dot += v[i] * U[i * k + c];
        for (let i = 0; i < k; i++) v[i] -= dot * U[i * k + c];
      }
      const norm = Math.hypot(...v);
      if (norm > 1e-8) {
        for (let i = 0; i < k; i++) U[i * k + j] = v[i] / norm;
        break;
      }
    }
  }
  return { U, W, V };
}

/** out = A·B for CSR A (f64) and dense B (f32 rows × cols); f32 result. */
async function sparseTimesDense(core: Core, A: Affinity, B: Matrix): Promise<Matrix> {
  return core.scope((s) => {
    const rowPtr = s.upload(A.rowPtr, "CSR offsets");
    const columns = s.upload(A.columns, "CSR columns");
    const values = s.upload(A.values, "CSR values");
    const b = s.upload(Float64Array.from(B.data), "dense factor");
    const out = s.f64(A.n * B.cols, "product");
    core.kernels.phateSparseDense(rowPtr.ptr, columns.ptr, values.ptr, A.n, b.ptr, B.cols, out.ptr);
    return { rows: A.n, cols: B.cols, data: Float32Array.from(out.view()) };
  });
}

/**
 * The landmark operator (PHATE `landmark_op`): spectral clustering of K into L landmarks, then
 * P_mn = row-normalised C and P_nm = row-normalised Cᵀ, with C[c, j] = Σ_{i∈c} K_ij; the
 * operator P_mn·P_nm is similar to S = W·Wᵀ, W = D₁^-½ C D₂^-½, which gives its eigenvalues.
 */
async function landmarkOperator(
  core: Core,
  K: Affinity,
  p: PhateParams,
  run: RunOptions,
  warnings: Warnings,
): Promise<{ operator: DiffusionOperator; labels: Int32Array; transitions: Affinity }> {
  const n = K.n;
  const deg = degrees(K);
  const root = deg.map(Math.sqrt);
  const nSvd = Math.min(p.nSvd, n - 1);
  // 1. Leading eigenvectors V of the symmetric conjugate A = D^-½KD^-½ (PHATE: randomized SVD).
  const coordinates = await core.scope(async (s) => {
    const rowPtr = s.upload(K.rowPtr, "affinity offsets");
    const columns = s.upload(K.columns, "affinity columns");
    const symmetric = new Float64Array(K.values.length);
    for (let i = 0; i < n; i++)
      for (let e = K.rowPtr[i]; e < K.rowPtr[i + 1]; e++)
        symmetric[e] = K.values[e] / (root[i] * root[K.columns[e]]);
    const aValues = s.upload(symmetric, "symmetric affinity");
    const progress = new ProgressTracker(
      run,
      "landmarks: spectral embedding",
      Math.min(n, LANCZOS_BASIS_FACTOR * nSvd),
    );
    const eig = await lanczosLargest(
      core,
      n,
      nSvd,
      (x, y) => core.kernels.phateSparseMatvec(rowPtr.ptr, columns.ptr, aValues.ptr, n, x, y),
      {
        tol: 1e-6,
        maxBasis: Math.min(n, LANCZOS_BASIS_FACTOR * nSvd),
        seed: p.seed,
        progress,
      },
    );
    progress.finish();
    // 2. Coordinates P·V = D⁻¹ K V (PHATE clusters `diff_op.dot(VT.T)`).
    const kValues = s.upload(K.values, "affinity values");
    const v = s.upload(eig.vectors, "eigenvectors");
    const out = s.f64(n * nSvd, "spectral coordinates");
    core.kernels.phateSparseDense(rowPtr.ptr, columns.ptr, kValues.ptr, n, v.ptr, nSvd, out.ptr);
    const view = out.view();
    const coords = new Float32Array(n * nSvd);
    for (let i = 0; i < n; i++)
      for (let c = 0; c < nSvd; c++) coords[i * nSvd + c] = view[i * nSvd + c] / deg[i];
    return { rows: n, cols: nSvd, data: coords } as Matrix;
  });
  // 3. k-means into L clusters (seeded; empty clusters are dropped).
  const clusters = await kMeans(coordinates, {
    k: p.nLandmark,
    init: "random",
    nInit: 1,
    maxIter: LANDMARK_KMEANS_ITERATIONS,
    seed: p.seed,
    ...run,
    onProgress: run.onProgress && ((e) => run.onProgress!({ ...e, stage: "landmarks: k-means" })),
  });
  const used = new Int32Array(p.nLandmark).fill(-1);
  let L = 0;
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = clusters.labels[i];
    if (used[c] < 0) used[c] = L++;
  }
  // Renumber in order of first appearance of each used cluster id (deterministic).
  for (let i = 0; i < n; i++) labels[i] = used[clusters.labels[i]];
  if (L < p.nLandmark)
    warnings.warn(
      `${p.nLandmark - L} of ${p.nLandmark} landmark clusters were empty; ${L} landmarks used`,
    );
  // 4. C (L × n) in CSR: cluster sums of K's rows.
  const members: number[][] = Array.from({ length: L }, () => []);
  for (let i = 0; i < n; i++) members[labels[i]].push(i);
  const acc = new Float64Array(n);
  const touched = new Int32Array(n);
  const mark = new Uint8Array(n);
  const cRowPtr = new Int32Array(L + 1);
  const cCols: number[] = [];
  const cVals: number[] = [];
  for (let c = 0; c < L; c++) {
    let count = 0;
    for (const i of members[c]) {
      for (let e = K.rowPtr[i]; e < K.rowPtr[i + 1]; e++) {
        const j = K.columns[e];
        if (!mark[j]) {
          mark[j] = 1;
          touched[count++] = j;
        }
        acc[j] += K.values[e];
      }
    }
    const list = touched.subarray(0, count).sort();
    for (const j of list) {
      cCols.push(j);
      cVals.push(acc[j]);
      acc[j] = 0;
      mark[j] = 0;
    }
    cRowPtr[c + 1] = cCols.length;
  }
  const cColumns = Int32Array.from(cCols);
  const cValues = Float64Array.from(cVals);
  const rowSum = new Float64Array(L);
  const colSum = new Float64Array(n);
  for (let c = 0; c < L; c++) {
    for (let e = cRowPtr[c]; e < cRowPtr[c + 1]; e++) {
      rowSum[c] += cValues[e];
      colSum[cColumns[e]] += cValues[e];
    }
  }
  // Cᵀ in CSR (n × L), by counting sort; P_nm = rows of Cᵀ divided by their sums.
  const tPtr = new Int32Array(n + 1);
  for (const j of cColumns) tPtr[j + 1]++;
  for (let j = 0; j < n; j++) tPtr[j + 1] += tPtr[j];
  const tCols = new Int32Array(cColumns.length);
  const tVals = new Float64Array(cColumns.length);
  const cursor = tPtr.slice(0, n);
  for (let c = 0; c < L; c++) {
    for (let e = cRowPtr[c]; e < cRowPtr[c + 1]; e++) {
      const q = cursor[cColumns[e]]++;
      tCols[q] = c;
      tVals[q] = cValues[e];
    }
  }
  const transitions: Affinity = {
    n,
    rowPtr: tPtr,
    columns: tCols,
    values: new Float64Array(tVals.length),
  };
  for (let j = 0; j < n; j++)
    for (let e = tPtr[j]; e < tPtr[j + 1]; e++) transitions.values[e] = tVals[e] / colSum[j];
  // S = W Wᵀ with W[c, j] = C[c, j] / √(rowSum_c · colSum_j): accumulated column by column.
  const rootRow = rowSum.map(Math.sqrt);
  const S = new Float64Array(L * L);
  const progress = new ProgressTracker(run, "landmark operator", n);
  for (let j = 0; j < n; j++) {
    const e0 = tPtr[j];
    const e1 = tPtr[j + 1];
    for (let a = e0; a < e1; a++) {
      const ca = tCols[a];
      const wa = tVals[a] / (rootRow[ca] * colSum[j]);
      const rowA = ca * L;
      for (let b = e0; b < e1; b++) S[rowA + tCols[b]] += wa * (tVals[b] / rootRow[tCols[b]]);
    }
    if ((j & 255) === 255) await progress.step(j + 1);
  }
  progress.finish();
  const operator: DiffusionOperator = {
    n: L,
    fillSymmetric(out) {
      out.set(S);
    },
    fillOperator(out) {
      // P_L = D₁^-½ S D₁^½: rows sum to 1.
      for (let a = 0; a < L; a++)
        for (let b = 0; b < L; b++) out[a * L + b] = (S[a * L + b] * rootRow[b]) / rootRow[a];
    },
  };
  return { operator, labels, transitions };
}

/**
 * Metric MDS by stochastic gradient descent on unit-weight stress (Zheng, Pawar & Goodman 2018,
 * s_gd2's schedule): 30 passes over all pairs in a seeded random order, step η annealed
 * exponentially from 1 to 0.01, each pair moved by μ = min(η, 1) of its residual.
 */
async function sgdMds(
  core: Core,
  D: Matrix,
  init: Matrix,
  seed: number,
  run: RunOptions,
): Promise<{ coordinates: Matrix; stress: number; iterations: number }> {
  const n = D.rows;
  const dim = init.cols;
  const ITERATIONS = 30;
  const ETA_MAX = 1;
  const ETA_MIN = 0.01;
  const lambda = Math.log(ETA_MAX / ETA_MIN) / (ITERATIONS - 1);
  const X = Float64Array.from(init.data);
  const pairCount = (n * (n - 1)) / 2;
  const pairs = new Int32Array(2 * pairCount);
  for (let i = 0, q = 0; i < n; i++)
    for (let j = i + 1; j < n; j++, q++) {
      pairs[2 * q] = i;
      pairs[2 * q + 1] = j;
    }
  const rng = new Rng(core, seed, STREAMS.sgdMdsPairs);
  const progress = new ProgressTracker(run, "SGD MDS", ITERATIONS);
  try {
    for (let it = 0; it < ITERATIONS; it++) {
      const eta = ETA_MAX * Math.exp(-lambda * it);
      const mu = Math.min(eta, 1);
      const order = rng.permutation(pairCount);
      for (let q = 0; q < pairCount; q++) {
        const i = pairs[2 * order[q]];
        const j = pairs[2 * order[q] + 1];
        let dist2 = 0;
        for (let c = 0; c < dim; c++) dist2 += (X[i * dim + c] - X[j * dim + c]) ** 2;
        const dist = Math.sqrt(dist2) || 1e-12;
        const r = (mu * (dist - D.data[i * n + j])) / (2 * dist);
        for (let c = 0; c < dim; c++) {
          const delta = r * (X[i * dim + c] - X[j * dim + c]);
          X[i * dim + c] -= delta;
          X[j * dim + c] += delta;
        }
      }
      await progress.step(it + 1);
    }
  } finally {
    rng.dispose();
  }
  progress.finish();
  let stress = 0;
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      let dist2 = 0;
      for (let c = 0; c < dim; c++) dist2 += (X[i * dim + c] - X[j * dim + c]) ** 2;
      stress += (Math.sqrt(dist2) - D.data[i * n + j]) ** 2;
    }
  return {
    coordinates: { rows: n, cols: dim, data: Float32Array.from(X) },
    stress,
    iterations: ITERATIONS,
  };
}

/**
 * The potential distance matrix of an affinity at a given t and γ on the exact path (for tests
 * and for callers that want the distances themselves): m × m f32.
 */
export async function potentialDistances(
  K: Affinity,
  options: { t: number; gamma?: number } & RunOptions,
): Promise<Matrix> {
  assertAffinity(K);
  const t = checkInteger("t", options.t, 1, 10_000);
  const gamma = checkNumber("gamma", options.gamma ?? 1, -1, 1);
  const core = await getCore();
  const p = { ...phateDefaults, t, gamma };
  return (await diffuse(core, exactOperator(K), p, options)).distances;
}

/**
 * Diffusion map of an affinity (Coifman & Lafon, Appl. Comput. Harmon. Anal. 21, 2006), as
 * m_phate's comparison script computes it: the leading nComponents + 1 eigenvectors of
 * D^-½KD^-½ (Lanczos, seeded), each divided elementwise by the first (guarded by 1e-12), rescaled to
 * unit length, the first dropped, the rest multiplied by their eigenvalues to the power t.
 */
export async function diffusionMap(
  K: Affinity,
  options: { nComponents?: number; t?: number; seed?: number } & RunOptions = {},
): Promise<{ embedding: Matrix; eigenvalues: Float64Array }> {
  assertAffinity(K);
  const n = K.n;
  const dim = checkInteger("nComponents", options.nComponents ?? 2, 1, Math.max(1, n - 2));
  const t = checkNumber("t", options.t ?? 1, 0);
  const seed = checkSeed(options.seed ?? DEFAULT_SEED);
  const core = await getCore();
  const root = degrees(K).map(Math.sqrt);
  const symmetric = new Float64Array(K.values.length);
  for (let i = 0; i < n; i++)
    for (let e = K.rowPtr[i]; e < K.rowPtr[i + 1]; e++)
      symmetric[e] = K.values[e] / (root[i] * root[K.columns[e]]);
  const eig = await core.scope(async (s) => {
    const rowPtr = s.upload(K.rowPtr, "affinity offsets");
    const columns = s.upload(K.columns, "affinity columns");
    const values = s.upload(symmetric, "symmetric affinity");
    const progress = new ProgressTracker(options, "diffusion map", Math.min(n, 200));
    const result = await lanczosLargest(
      core,
      n,
      dim + 1,
      (x, y) => core.kernels.phateSparseMatvec(rowPtr.ptr, columns.ptr, values.ptr, n, x, y),
      { tol: 1e-8, maxBasis: Math.min(n, 200), seed, progress },
    );
    progress.finish();
    return result;
  });
  const k = dim + 1;
  const out = new Float32Array(n * dim);
  for (let c = 1; c < k; c++) {
    const column = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const first = eig.vectors[i * k];
      column[i] =
        eig.vectors[i * k + c] / (Math.abs(first) < 1e-12 ? (first < 0 ? -1e-12 : 1e-12) : first);
    }
    const norm = Math.hypot(...column) || 1;
    const scale = Math.abs(eig.values[c]) ** t / norm;
    for (let i = 0; i < n; i++) out[i * dim + c - 1] = column[i] * scale;
  }
  return { embedding: { rows: n, cols: dim, data: out }, eigenvalues: eig.values };
}
