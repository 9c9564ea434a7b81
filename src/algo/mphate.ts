/**
 * Multislice PHATE (Gigante, Charles, Krishnaswamy & Mishne, "Visualizing the PHATE of neural
 * networks", NeurIPS 2019), as implemented in scottgigante/m-phate (m_phate.py,
 * kernel.py): hidden units over training as one PHATE embedding of a multislice graph.
 *
 * The tensor is epochs × units × samples: T[τ, i, :] is unit i's response to the fixed trace
 * inputs at slice (epoch) τ. Points are (τ, i) pairs, flat index q = τ·units + i (epoch-major;
 * every label array follows it).
 * - Each (τ, i) row is z-scored over the samples (population σ; σ = 0 → 1, so dead units become
 *   zero vectors).
 * - Intraslice affinity (between units of one slice): the alpha-decay kernel with knn
 *   `intrasliceKnn` (2) and `decay` (5), threshold 1e-4, average symmetrisation, diagonal 1.
 * - Interslice affinity (between slices of one unit): exp(−(d/ε)²) with one global ε = the
 *   mean over units of the median over slices of the distance to the κ-th nearest other slice;
 *   diagonal 0, entries below 1e-4 dropped.
 * - The sparse multislice affinity goes to PHATE with γ = 0 (square-root potential), classical
 *   MDS then SMACOF, landmarks above `nLandmark` (4000, M-PHATE's default).
 *
 * Deviations:
 * - κ (`intersliceKnn`) defaults to "auto" = max(2, round(0.08 · slices)), not a fixed 25. The
 *   reference ran 300 epochs with κ = 25, about 8 % of the run; a fixed 25 on a run of 21
 *   checkpoints had to be clamped to 20, which made ε about 15× the distance to a unit's
 *   nearest other checkpoint and fused each unit's checkpoints into one blob. "auto" keeps the
 *   reference's proportion (24 at 300 epochs); the value it resolved to is in `params`. A given
 *   κ is honoured, clamped to slices − 1 with a warning (the reference raises an index error).
 * - Optional PCA (nPca < samples) is exact, not the reference's unseeded randomized PCA.
 *
 * Cost of the exact path (N = slices · units ≤ `nLandmark`): three dense N × N f64 buffers and
 * three f32 ones (36 N² bytes: 576 MB at N = 4000, 140 MB at 2000), an O(N³) symmetric
 * eigensolve for the automatic t, the diffusion power, and SMACOF at O(N²) per iteration.
 *
 * @example
 *   const {embedding, epoch, unit} = await mphate(tensor, {intersliceKnn: 25, seed: 42});
 *
 * References:
 * 1. S. Gigante, A. S. Charles, S. Krishnaswamy, G. Mishne, "Visualizing the PHATE of neural
 *    networks", NeurIPS 2019.
 * 2. K. R. Moon et al., Nat. Biotechnol. 37 (2019) — PHATE.
 *
 * See also: phate, phateFromAffinity (src/algo/phate.ts).
 */
import { HiddenAtlasError } from "../core/errors.ts";
import type { Matrix } from "../core/matrix.ts";
import { checkBoolean, checkInteger, checkOptionNames } from "../core/params.ts";
import { ProgressTracker, type RunOptions } from "../core/progress.ts";
import { pairwiseDistances } from "./distance.ts";
import { pca } from "./pca.ts";
import {
  AFFINITY_THRESHOLD,
  alphaDecayAffinity,
  phateDefaults,
  phateFromAffinity,
  resolvePhateOptions,
  type Affinity,
  type PhateParams,
  type PhateResult,
} from "./phate.ts";

/** Hidden units over training: data[(τ·units + i)·samples + s]. */
export interface UnitTensor {
  epochs: number;
  units: number;
  samples: number;
  data: Float32Array;
}

export interface MultisliceOptions extends RunOptions {
  /** Neighbours of the intraslice bandwidth. Defaults to 2 (M-PHATE `intraslice_knn=2`). */
  intrasliceKnn?: number;
  /**
   * κ of the interslice bandwidth, or "auto" (default): max(2, round(0.08 · slices)), the
   * reference's 25 of 300 epochs scaled to the run (M-PHATE `interslice_knn=25`). A given
   * value is clamped to slices − 1.
   */
  intersliceKnn?: number | "auto";
  /** Intraslice kernel exponent. Defaults to 5 (M-PHATE `decay=5`). */
  decay?: number;
  /** z-score each (epoch, unit) row over the samples. Defaults to true (M-PHATE `normalize=True`). */
  normalize?: boolean;
  /** PCA dimension of the stacked rows when smaller than the samples; null for none. Defaults to 100 (M-PHATE `n_pca=100`). */
  nPca?: number | null;
}

export interface MphateOptions extends MultisliceOptions {
  nComponents?: number;
  /** Diffusion time or "auto" (default). */
  t?: number | "auto";
  tMax?: number;
  /** Potential. Defaults to 0 (M-PHATE `gamma=0`: square root). */
  gamma?: number;
  /** Landmarks above this many points. Defaults to 4000 (M-PHATE `n_landmark=4000`): exact up to 4000 points. */
  nLandmark?: number;
  nSvd?: number;
  mdsSolver?: "smacof" | "sgd";
  mdsMaxIter?: number;
  mdsEps?: number;
  seed?: number;
}

export interface MultisliceAffinity {
  affinity: Affinity;
  /** The global interslice bandwidth ε. */
  epsilon: number;
  /** κ as used: "auto" resolved, then clamped to epochs − 1. */
  intersliceKnn: number;
  /** Whether κ was the automatic rule's. */
  intersliceKnnAuto: boolean;
  /** Intraslice knn after clamping to units − 1. */
  intrasliceKnn: number;
}

export interface MphateResult extends Omit<PhateResult, "params"> {
  /** Epoch index (0 … epochs − 1) and unit index of every embedded point (epoch-major). */
  epoch: Int32Array;
  unit: Int32Array;
  epsilon: number;
  params: PhateParams & {
    t: number;
    intrasliceKnn: number;
    intersliceKnn: number;
    intersliceKnnAuto: boolean;
    normalize: boolean;
  };
}

const multisliceDefaults = {
  intrasliceKnn: 2,
  intersliceKnn: "auto" as number | "auto",
  decay: 5,
  normalize: true,
  nPca: 100 as number | null,
};

/** M-PHATE's κ = 25 over its 300 epochs, as a share of the run (the paper's generalisation runs). */
export const INTERSLICE_KNN_FRACTION = 0.08;
/** The smallest automatic κ: 1 would set ε to the nearest other checkpoint alone. */
export const INTERSLICE_KNN_MIN = 2;

/** The automatic κ for a run of `slices` checkpoints: max(2, round(0.08 · slices)), at most slices − 1. */
export function autoIntersliceKnn(slices: number): number {
  return Math.min(
    Math.max(INTERSLICE_KNN_MIN, Math.round(INTERSLICE_KNN_FRACTION * slices)),
    slices - 1,
  );
}

export const mphateDefaults = {
  ...multisliceDefaults,
  nComponents: 2,
  t: "auto" as number | "auto",
  tMax: 100,
  gamma: 0,
  nLandmark: 4000,
  nSvd: 100,
  mdsSolver: "smacof" as "smacof" | "sgd",
  mdsMaxIter: 3000,
  mdsEps: 1e-6,
  seed: phateDefaults.seed,
};

/** Check a tensor's shape and values. */
export function assertTensor(T: UnitTensor, name = "tensor"): void {
  const ok =
    T &&
    Number.isInteger(T.epochs) &&
    Number.isInteger(T.units) &&
    Number.isInteger(T.samples) &&
    T.data instanceof Float32Array;
  if (!ok)
    throw new HiddenAtlasError(
      "E_PARAM",
      `invalid ${name}: expected {epochs, units, samples, data: Float32Array}`,
    );
  if (T.epochs < 2 || T.units < 3 || T.samples < 2) {
    throw new HiddenAtlasError(
      "E_PARAM",
      `${name} must have at least 2 epochs, 3 units and 2 samples; got ${T.epochs} × ${T.units} × ${T.samples}`,
    );
  }
  if (T.data.length !== T.epochs * T.units * T.samples) {
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `${name} has ${T.data.length} values, expected ${T.epochs} × ${T.units} × ${T.samples}`,
    );
  }
  for (let q = 0; q < T.data.length; q++) {
    const v = T.data[q];
    if (v - v !== 0) {
      const s = q % T.samples;
      const row = (q - s) / T.samples;
      throw new HiddenAtlasError(
        "E_NON_FINITE",
        `${name} has ${v} at epoch ${Math.floor(row / T.units)}, unit ${row % T.units}, sample ${s}`,
        { epoch: Math.floor(row / T.units), unit: row % T.units, sample: s },
      );
    }
  }
}

/** z-score every (epoch, unit) row over the samples (population σ, σ = 0 → 1). */
export function zScoreRows(T: UnitTensor): Float32Array {
  const p = T.samples;
  const out = new Float32Array(T.data.length);
  for (let r = 0; r < T.epochs * T.units; r++) {
    let mean = 0;
    for (let s = 0; s < p; s++) mean += T.data[r * p + s];
    mean /= p;
    let v = 0;
    for (let s = 0; s < p; s++) v += (T.data[r * p + s] - mean) ** 2;
    const sd = Math.sqrt(v / p) || 1;
    for (let s = 0; s < p; s++) out[r * p + s] = (T.data[r * p + s] - mean) / sd;
  }
  return out;
}

/** numpy.median of a small array. */
function median(values: Float64Array): number {
  const sorted = values.slice().sort();
  const m = sorted.length;
  return m % 2 ? sorted[(m - 1) / 2] : (sorted[m / 2 - 1] + sorted[m / 2]) / 2;
}

/** The M-PHATE multislice affinity of a tensor (kernel.py `multislice_kernel`), sparse. */
export async function multisliceAffinity(
  T: UnitTensor,
  options: MultisliceOptions = {},
): Promise<MultisliceAffinity> {
  checkOptionNames("multisliceAffinity", options, multisliceDefaults);
  assertTensor(T);
  const o = { ...multisliceDefaults, ...options };
  const { epochs: n, units: m } = T;
  const intrasliceKnn = Math.min(checkInteger("intrasliceKnn", o.intrasliceKnn, 1), m - 2);
  const intersliceKnnAuto = o.intersliceKnn === "auto";
  const intersliceKnn = intersliceKnnAuto
    ? autoIntersliceKnn(n)
    : Math.min(checkInteger("intersliceKnn", o.intersliceKnn, 1), n - 1);
  const decay = o.decay;
  const normalize = checkBoolean("normalize", o.normalize);
  const nPca = o.nPca === null ? null : checkInteger("nPca", o.nPca, 1);
  const run: RunOptions = { signal: options.signal, onProgress: options.onProgress };
  let rows: Matrix = { rows: n * m, cols: T.samples, data: normalize ? zScoreRows(T) : T.data };
  if (nPca !== null && nPca < Math.min(rows.rows, rows.cols))
    rows = (await pca(rows, { nComponents: nPca, ...run })).scores;
  const p = rows.cols;
  const N = n * m;
  // Intraslice blocks: one alpha-decay affinity per slice.
  const intra: Affinity[] = [];
  const progress = new ProgressTracker(run, "multislice affinity", n + m);
  for (let tau = 0; tau < n; tau++) {
    const slice = { rows: m, cols: p, data: rows.data.subarray(tau * m * p, (tau + 1) * m * p) };
    intra.push(await alphaDecayAffinity(slice, { knn: intrasliceKnn, decay }));
    await progress.step(tau + 1);
  }
  // Interslice distances per unit, and the global bandwidth ε.
  const unitDistances: Float32Array[] = [];
  let epsilon = 0;
  const unitRows = new Float32Array(n * p);
  for (let i = 0; i < m; i++) {
    for (let tau = 0; tau < n; tau++)
      unitRows.set(rows.data.subarray((tau * m + i) * p, (tau * m + i + 1) * p), tau * p);
    const D = (await pairwiseDistances({ rows: n, cols: p, data: unitRows })).data;
    // Exact symmetry and a zero diagonal (the f32 tiles may differ in the last bit).
    for (let a = 0; a < n; a++) {
      D[a * n + a] = 0;
      for (let b = a + 1; b < n; b++) D[b * n + a] = D[a * n + b];
    }
    unitDistances.push(D);
    const kth = new Float64Array(n);
    for (let a = 0; a < n; a++)
      kth[a] = Float64Array.from(D.subarray(a * n, (a + 1) * n)).sort()[intersliceKnn];
    epsilon += Math.max(median(kth), 2.220446049250313e-16);
    await progress.step(n + i + 1);
  }
  epsilon /= m;
  progress.finish();
  // Assemble row q = τm + i: interslice υ < τ, the intraslice row, interslice υ > τ.
  const rowPtr = new Int32Array(N + 1);
  let capacity = 0;
  for (const K of intra) capacity += K.columns.length;
  capacity += N * (n - 1);
  const columns = new Int32Array(capacity);
  const values = new Float64Array(capacity);
  let out = 0;
  for (let tau = 0; tau < n; tau++) {
    const K = intra[tau];
    for (let i = 0; i < m; i++) {
      const q = tau * m + i;
      rowPtr[q] = out;
      const D = unitDistances[i];
      const inter = (upsilon: number) => {
        const a = Math.exp(-((D[tau * n + upsilon] / epsilon) ** 2));
        if (a >= AFFINITY_THRESHOLD) {
          columns[out] = upsilon * m + i;
          values[out++] = a;
        }
      };
      for (let upsilon = 0; upsilon < tau; upsilon++) inter(upsilon);
      for (let e = K.rowPtr[i]; e < K.rowPtr[i + 1]; e++) {
        if (K.values[e] < AFFINITY_THRESHOLD) continue;
        columns[out] = tau * m + K.columns[e];
        values[out++] = K.values[e];
      }
      for (let upsilon = tau + 1; upsilon < n; upsilon++) inter(upsilon);
    }
  }
  rowPtr[N] = out;
  return {
    affinity: { n: N, rowPtr, columns: columns.slice(0, out), values: values.slice(0, out) },
    epsilon,
    intersliceKnn,
    intersliceKnnAuto,
    intrasliceKnn,
  };
}

/** M-PHATE embedding of a units-over-training tensor. */
export async function mphate(T: UnitTensor, options: MphateOptions = {}): Promise<MphateResult> {
  checkOptionNames("mphate", options, mphateDefaults);
  assertTensor(T);
  const { intrasliceKnn, intersliceKnn, decay, normalize, nPca, signal, onProgress, ...rest } = {
    ...mphateDefaults,
    ...options,
  };
  const { knn: _knn, ...phateBase } = { ...phateDefaults, ...mphateDefaults };
  const p = resolvePhateOptions(
    { ...rest, decay, nPca },
    { ...phateBase, knn: 5 } as PhateParams,
    "mphate",
  );
  const multi = await multisliceAffinity(T, {
    intrasliceKnn,
    intersliceKnn,
    decay,
    normalize,
    nPca,
    signal,
    onProgress,
  });
  const result = await phateFromAffinity(multi.affinity, { ...p, signal, onProgress });
  const N = T.epochs * T.units;
  const epoch = new Int32Array(N);
  const unit = new Int32Array(N);
  for (let q = 0; q < N; q++) {
    epoch[q] = Math.floor(q / T.units);
    unit[q] = q % T.units;
  }
  if (typeof intersliceKnn === "number" && multi.intersliceKnn < intersliceKnn)
    result.warnings.push(
      `intersliceKnn ${intersliceKnn} clamped to epochs − 1 = ${multi.intersliceKnn}`,
    );
  return {
    ...result,
    epoch,
    unit,
    epsilon: multi.epsilon,
    params: {
      ...result.params,
      intrasliceKnn: multi.intrasliceKnn,
      intersliceKnn: multi.intersliceKnn,
      intersliceKnnAuto: multi.intersliceKnnAuto,
      normalize,
    },
  };
}

/**
 * Most-active class of every (epoch, unit) point: argmax over classes of Σ|activation| over the
 * trace samples of that class (the L1 norm of m_phate's demonstration script; its generalisation
 * plot uses L2). labels[s] is the class of trace sample s; ties go to the lower class.
 */
export function mostActiveClass(
  T: UnitTensor,
  labels: ArrayLike<number>,
  classes: number,
  norm: "l1" | "l2" = "l1",
): Int32Array {
  if (labels.length !== T.samples)
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `${labels.length} labels for ${T.samples} trace samples`,
    );
  const N = T.epochs * T.units;
  const out = new Int32Array(N);
  const sums = new Float64Array(classes);
  for (let q = 0; q < N; q++) {
    sums.fill(0);
    for (let s = 0; s < T.samples; s++) {
      const v = T.data[q * T.samples + s];
      sums[labels[s]] += norm === "l1" ? Math.abs(v) : v * v;
    }
    let best = 0;
    for (let c = 1; c < classes; c++) if (sums[c] > sums[best]) best = c;
    out[q] = best;
  }
  return out;
}
