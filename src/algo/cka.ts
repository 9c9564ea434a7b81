/**
 * Linear centred kernel alignment (CKA) between two representations of the same samples, and
 * the CKA matrix between many layers (assembly/cka.ts).
 *
 * CKA(X, Y) = HSIC(X, Y) / √(HSIC(X, X) · HSIC(Y, Y)) with linear kernels. The plain estimator
 * uses HSIC ∝ ‖Yᵀ X‖²_F on column-centred X, Y (Kornblith et al. 2019, eq. 5). The debiased
 * estimator (`debiased: true`) uses the unbiased HSIC of Song et al. (2012), written in feature
 * space as Kornblith's notebook does:
 *   HSIC₁(X, Y) ∝ ‖Yᵀ X‖²_F − n/(n − 2) · Σᵢ ‖xᵢ‖²‖yᵢ‖² + ‖X‖²_F ‖Y‖²_F / ((n − 1)(n − 2)),
 * which removes the upward bias of CKA between unrelated high-dimensional representations
 * (it needs n ≥ 4, and can be slightly negative).
 *
 * Both equal the Gram-matrix forms of google-research's `cka(gram_linear(X), gram_linear(Y),
 * debiased)` exactly in exact arithmetic; sums are float64. CKA is invariant to orthogonal
 * transforms, isotropic scaling and translation of either representation. A representation
 * with zero variance (a dead layer) gives NaN, as in the reference.
 *
 * Cost: O(n · dx · dy) for a pair (no n × n Gram matrix is formed), memory 8 · n · (dx + dy).
 *
 * @example
 *   const {cka} = await linearCka(layer1, layer2);              // Kornblith et al. 2019
 *   const {matrix} = await ckaMatrix([l1, l2, l3], {debiased: true});
 *
 * References:
 *   1. S. Kornblith, M. Norouzi, H. Lee, G. Hinton, Similarity of neural network
 *      representations revisited, ICML 2019.
 *   2. L. Song, A. Smola, A. Gretton, J. Bedo, K. Borgwardt, Feature selection via dependence
 *      maximization, JMLR 13, 2012 (unbiased HSIC).
 *   3. T. Nguyen, M. Raghu, S. Kornblith, Do wide and deep networks learn the same things?,
 *      ICLR 2021 (debiased CKA in practice).
 *
 * See also: layerTopology (src/analyses/layer-topology.ts).
 */
import { HiddenAtlasError } from "../core/errors.ts";
import { assertFinite, assertMatrix, type Matrix } from "../core/matrix.ts";
import { checkBoolean, checkOptionNames } from "../core/params.ts";
import { ProgressTracker, type RunOptions } from "../core/progress.ts";
import { getCore, type Core, type Scope, type WasmArray } from "../core/wasm.ts";

declare module "../core/wasm.ts" {
  interface CoreKernels {
    ckaCenterTranspose(x: number, n: number, d: number, means: number, out: number): void;
    ckaCrossSquaredNorm(a: number, da: number, b: number, db: number, n: number, a0: number, a1: number): number;
    ckaRowSquaredNorms(a: number, d: number, n: number, out: number): void;
  }
}

export interface CkaOptions extends RunOptions {
  /** Use the debiased (unbiased-HSIC) estimator. Defaults to false (Kornblith et al. 2019). */
  debiased?: boolean;
}

export interface CkaResult {
  /** The CKA value: 1 for representations equal up to rotation, scale and shift. */
  cka: number;
  /** The three (scaled) HSIC values it is made of: xy, xx, yy. */
  hsic: { xy: number; xx: number; yy: number };
  /** Samples. */
  n: number;
  params: { debiased: boolean };
}

export interface CkaMatrixResult {
  /** size × size, row-major, symmetric, ones on the diagonal (NaN for a zero-variance layer). */
  matrix: Float64Array;
  size: number;
  n: number;
  params: { debiased: boolean };
}

const defaults = { debiased: false };

/** Multiply-adds per kernel call between progress checkpoints. */
const CHUNK_MULTIPLY_ADDS = 2e7;

interface Centered {
  /** d × n f64: the centred columns as rows. */
  columns: WasmArray<Float64Array>;
  d: number;
  /** ‖xᵢ‖² of every centred sample (for the debiased estimator). */
  rowNorms: Float64Array;
  /** ‖X‖²_F. */
  total: number;
}

function center(core: Core, s: Scope, X: Matrix, name: string): Centered {
  const k = core.kernels;
  const n = X.rows;
  const x = s.upload(X.data, `${name} values`);
  const means = s.f64(X.cols, `${name} means`);
  const columns = s.f64(X.cols * n, `${name} centred columns`);
  k.ckaCenterTranspose(x.ptr, n, X.cols, means.ptr, columns.ptr);
  const norms = s.f64(n, `${name} row norms`);
  k.ckaRowSquaredNorms(columns.ptr, X.cols, n, norms.ptr);
  const rowNorms = norms.copy();
  let total = 0;
  for (let i = 0; i < n; i++) total += rowNorms[i];
  return { columns, d: X.cols, rowNorms, total };
}

/** ‖Bᵀ A‖²_F in row chunks of A, with progress between chunks. */
async function crossNorm(core: Core, a: Centered, b: Centered, n: number, progress: ProgressTracker, base: number): Promise<number> {
  const rows = Math.max(2, Math.floor(CHUNK_MULTIPLY_ADDS / Math.max(1, n * b.d)) & ~1);
  let total = 0;
  for (let a0 = 0; a0 < a.d; a0 += rows) {
    const a1 = Math.min(a.d, a0 + rows);
    total += core.kernels.ckaCrossSquaredNorm(a.columns.ptr, a.d, b.columns.ptr, b.d, n, a0, a1);
    await progress.step(base + (a1 / a.d) * n * a.d * b.d);
  }
  return total;
}

/** The HSIC estimate from ‖YᵀX‖², the row norms and the totals (Kornblith's helper). */
function hsic(cross: number, a: Centered, b: Centered, n: number, debiased: boolean): number {
  if (!debiased) return cross;
  let rowProduct = 0;
  for (let i = 0; i < n; i++) rowProduct += a.rowNorms[i] * b.rowNorms[i];
  return cross - (n / (n - 2)) * rowProduct + (a.total * b.total) / ((n - 1) * (n - 2));
}

function checkLayers(layers: Matrix[], debiased: boolean): number {
  if (layers.length === 0) throw new HiddenAtlasError("E_PARAM", "CKA needs at least one representation");
  layers.forEach((m, i) => assertMatrix(m, `representation ${i}`));
  const n = layers[0].rows;
  layers.forEach((m, i) => {
    if (m.rows !== n) {
      throw new HiddenAtlasError("E_SHAPE_MISMATCH", `representation ${i} has ${m.rows} rows but representation 0 has ${n}: CKA compares the same samples`);
    }
    if (m.cols < 1) throw new HiddenAtlasError("E_SHAPE_MISMATCH", `representation ${i} has no columns`);
  });
  const minimum = debiased ? 4 : 2;
  if (n < minimum) {
    throw new HiddenAtlasError("E_PARAM", `${debiased ? "debiased " : ""}CKA needs at least ${minimum} samples; got ${n}`);
  }
  layers.forEach((m, i) => assertFinite(m, `representation ${i}`));
  return n;
}

/**
 * Linear CKA between two representations of the same n samples (n × dx and n × dy).
 * Throws E_SHAPE_MISMATCH when the row counts differ, E_NON_FINITE on NaN/∞, E_PARAM for
 * invalid options or too few samples.
 */
export async function linearCka(X: Matrix, Y: Matrix, options: CkaOptions = {}): Promise<CkaResult> {
  checkOptionNames("linearCka", options, defaults);
  const debiased = checkBoolean("debiased", options.debiased ?? defaults.debiased);
  const n = checkLayers([X, Y], debiased);
  const core = await getCore();
  return core.scope(async (s) => {
    const a = center(core, s, X, "X");
    const b = center(core, s, Y, "Y");
    const total = n * (X.cols * Y.cols + X.cols * X.cols + Y.cols * Y.cols);
    const progress = new ProgressTracker(options, "CKA", total);
    const xy = hsic(await crossNorm(core, a, b, n, progress, 0), a, b, n, debiased);
    const xx = hsic(await crossNorm(core, a, a, n, progress, n * X.cols * Y.cols), a, a, n, debiased);
    const yy = hsic(await crossNorm(core, b, b, n, progress, n * (X.cols * Y.cols + X.cols * X.cols)), b, b, n, debiased);
    progress.finish();
    return { cka: xy / Math.sqrt(xx * yy), hsic: { xy, xx, yy }, n, params: { debiased } };
  });
}

/**
 * CKA between every pair of representations of the same n samples: the L × L matrix of
 * Kornblith et al.'s layer-similarity heatmaps. Each layer is centred once; each pair costs
 * O(n · dᵢ · dⱼ).
 */
export async function ckaMatrix(layers: Matrix[], options: CkaOptions = {}): Promise<CkaMatrixResult> {
  checkOptionNames("ckaMatrix", options, defaults);
  const debiased = checkBoolean("debiased", options.debiased ?? defaults.debiased);
  const n = checkLayers(layers, debiased);
  const L = layers.length;
  const core = await getCore();
  return core.scope(async (s) => {
    const centered = layers.map((m, i) => center(core, s, m, `representation ${i}`));
    let total = 0;
    for (let i = 0; i < L; i++) for (let j = i; j < L; j++) total += n * layers[i].cols * layers[j].cols;
    const progress = new ProgressTracker(options, "CKA", total);
    const h = new Float64Array(L * L);
    let done = 0;
    for (let i = 0; i < L; i++) {
      for (let j = i; j < L; j++) {
        const value = hsic(await crossNorm(core, centered[i], centered[j], n, progress, done), centered[i], centered[j], n, debiased);
        done += n * layers[i].cols * layers[j].cols;
        h[i * L + j] = value;
        h[j * L + i] = value;
      }
    }
    progress.finish();
    const matrix = new Float64Array(L * L);
    for (let i = 0; i < L; i++) {
      for (let j = 0; j < L; j++) matrix[i * L + j] = h[i * L + j] / Math.sqrt(h[i * L + i] * h[j * L + j]);
    }
    return { matrix, size: L, n, params: { debiased } };
  });
}
