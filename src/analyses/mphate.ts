/**
 * The `mphate` analysis: Gigante et al., "Visualizing the PHATE of neural networks" (NeurIPS
 * 2019), on bundles with training checkpoints, following the reference's scripts
 * (scottgigante/m-phate scripts/generalization_*.py, task_switch_*.py, comparison_plot.py):
 *
 * - training dynamics: the M-PHATE embedding of every traced hidden unit at every checkpoint,
 *   with its epoch, layer, unit and most-active class (a conv layer's units are its channels, one
 *   filter applied at every position, each sample's value the channel's global average pool) (L1: argmax over classes of Σ|pre-activation|
 *   over that class's trace samples, the demonstration script's norm);
 * - generalisation: one embedding per run; visualisation variance (Σ over epochs of the trace of
 *   the 2 × 2 covariance, ddof 1 as numpy.cov, of that epoch's points) against memorisation
 *   error (final validation − training loss, from the bundle's meta) with Spearman ρ (the
 *   paper: ρ < 0), pooled over every run given (the eight variants × several seeds), with a
 *   seeded bootstrap 95 % interval (runs resampled with replacement), ρ within each seed, and
 *   each variant's mean ± standard deviation over seeds. The variance is taken on the metric
 *   MDS (SMACOF) output before any Procrustes normalisation, as PHATE returned it in 2019
 *   (Procrustes came to PHATE in Dec 2019): an absolute spread in potential-distance units; the drawn embedding stays the
 *   normalised one;
 * - continual learning: at each task switch, k-means (k = 3 … 8, `arSeeds` seeds each) of the
 *   embedded units at the last slice of task i and 3 slices into task i + 1; the mean adjusted
 *   Rand index between the two partitions, against final accuracy;
 * - baselines: PCA, t-SNE, Isomap and standard PHATE on the flattened tensor, raw (the
 *   reference's "naive" set) and z-scored per (epoch, unit) row (what M-PHATE itself embeds);
 *   diffusion maps, Isomap and t-SNE on the multislice graph (t-SNE on its shortest-path
 *   distances, the paper's multislice baseline), beside M-PHATE. Every method is scored in both
 *   spaces: intraslice and interslice neighbour preservation against the raw trace and against
 *   the z-scored trace, at k = 10 and 40. Up to 4,000 points M-PHATE and PHATE run exact.
 *
 * Output convention: drawn embeddings follow PHATE ≥ 1.0 (centred, rotated, unit Frobenius norm
 * before the Procrustes scale); the generalisation study's variance does not (see above).
 */
import { adjustedRandIndex, kMeans } from "../algo/clustering.ts";
import { isomap } from "../algo/isomap.ts";
import { spearman, pearson } from "../algo/metrics.ts";
import {
  INTERSLICE_KNN_FRACTION,
  mostActiveClass,
  mphate,
  mphateDefaults,
  multisliceAffinity,
  zScoreRows,
  type MphateResult,
  type UnitTensor,
} from "../algo/mphate.ts";
import { classicalMds } from "../algo/mds.ts";
import { shortestPaths } from "../algo/geodesic.ts";
import { pca } from "../algo/pca.ts";
import { diffusionMap, phate } from "../algo/phate.ts";
import { tsne, tsneFromDistances } from "../algo/tsne.ts";
import { HiddenAtlasError } from "../core/errors.ts";
import type { Matrix } from "../core/matrix.ts";
import { checkInteger, checkOptionNames } from "../core/params.ts";
import type { RunOptions } from "../core/progress.ts";
import { Rng, checkSeed, STREAMS } from "../core/random.ts";
import { getCore } from "../core/wasm.ts";
import type { AnalysisBundle } from "./columns.ts";
import { defineAnalysis, type Resolved, type StepArgs } from "./descriptor.ts";
import { runAnalysis } from "./runner.ts";

export interface MphateStudyParams {
  /** Checkpoint layers to trace; defaults to every layer of the first checkpoint. */
  layers?: string[];
  /** Keep every k-th checkpoint (the last one always kept). Default 1. */
  epochStride?: number;
  /** Keep every k-th unit of each layer. Default 1. */
  unitStride?: number;
  intrasliceKnn?: number;
  /** κ, or "auto" (default): max(2, round(0.08 · checkpoints)); see src/algo/mphate.ts. */
  intersliceKnn?: number | "auto";
  decay?: number;
  /** "auto" or a fixed diffusion time. */
  t?: number | "auto";
  gamma?: number;
  nLandmark?: number;
  seed?: number;
}

export const mphateStudyDefaults = {
  layers: [] as string[],
  epochStride: 1,
  unitStride: 1,
  intrasliceKnn: mphateDefaults.intrasliceKnn,
  intersliceKnn: mphateDefaults.intersliceKnn as number | "auto",
  decay: mphateDefaults.decay,
  t: "auto" as number | "auto",
  gamma: mphateDefaults.gamma,
  nLandmark: mphateDefaults.nLandmark,
  seed: mphateDefaults.seed,
};

export type ResolvedMphateStudyParams = typeof mphateStudyDefaults;

export interface BundleTensor {
  tensor: UnitTensor;
  /** Epoch (checkpoint `epoch` field) of every kept slice. */
  epochs: number[];
  layerNames: string[];
  /** Layer index and unit index within its layer of every tensor unit. */
  unitLayer: Int32Array;
  unitIndex: Int32Array;
  /** Class of every trace sample (−1 without labels). */
  traceLabels: Int32Array;
}

export interface DynamicsEmbedding {
  name: string;
  embedding: Matrix;
  /** Per point (epoch-major): epoch number, layer index, unit index within its layer, most-active class. */
  epoch: Float64Array;
  layer: Int32Array;
  unit: Int32Array;
  mostActive: Int32Array;
  layerNames: string[];
  classNames: string[];
  epochs: number[];
  units: number;
  t: number;
  epsilon: number;
  /** κ as used, and whether it was the automatic max(2, round(0.08 · checkpoints)). */
  intersliceKnn: number;
  intersliceKnnAuto: boolean;
  nLandmarks: number;
  warnings: string[];
}

export function resolveMphateStudyParams(
  params: MphateStudyParams = {},
): ResolvedMphateStudyParams {
  checkOptionNames("mphate study", params, mphateStudyDefaults, []);
  const p = { ...mphateStudyDefaults, ...params };
  return {
    ...p,
    layers: [...p.layers],
    epochStride: checkInteger("epochStride", p.epochStride, 1),
    unitStride: checkInteger("unitStride", p.unitStride, 1),
    seed: checkSeed(p.seed),
  };
}

/** Units of a checkpoint layer: its channels when it has axes past N × C, else its columns. */
function unitsOf(shape: readonly number[], row: number): number {
  return shape.length > 2 ? shape[1] : row;
}

/**
 * The units-over-training tensor of a bundle's checkpoints (layers stacked in order). A dense
 * layer's units are its columns; a conv layer's (N × C × H × W, or any shape past N × C) are its C
 * channels, each sample's value the channel's mean over the positions: a ResNet-18's conv1 is 64
 * units, not 64 × 14 × 14 = 12,544 positions (which as many points per checkpoint would also be
 * beyond the memory of the landmark PHATE).
 */
export function tensorFromBundle(
  bundle: AnalysisBundle,
  params: Pick<ResolvedMphateStudyParams, "layers" | "epochStride" | "unitStride">,
): BundleTensor {
  const checkpoints = bundle.checkpoints ?? [];
  if (checkpoints.length < 2) {
    throw new HiddenAtlasError(
      "E_PARAM",
      `${bundle.name} has ${checkpoints.length} checkpoint(s); M-PHATE needs a bundle with training checkpoints (manifest "checkpoints", at least 2)`,
    );
  }
  const available = checkpoints[0].layers.map((l) => l.name);
  const layerNames = params.layers.length ? params.layers : available;
  for (const name of layerNames) {
    if (!available.includes(name))
      throw new HiddenAtlasError(
        "E_PARAM",
        `invalid layers: ${JSON.stringify(name)} (the checkpoints hold ${available.join(", ")})`,
      );
  }
  const kept: number[] = [];
  for (let c = 0; c < checkpoints.length; c += params.epochStride) kept.push(c);
  if (kept[kept.length - 1] !== checkpoints.length - 1) kept.push(checkpoints.length - 1);
  const samples = checkpoints[0].layers.find((l) => l.name === layerNames[0])!.shape[0];
  const unitLayer: number[] = [];
  const unitIndex: number[] = [];
  for (const [li, name] of layerNames.entries()) {
    const layer = checkpoints[0].layers.find((l) => l.name === name)!;
    const width = unitsOf(layer.shape, layer.data.length / samples);
    for (let u = 0; u < width; u += params.unitStride) {
      unitLayer.push(li);
      unitIndex.push(u);
    }
  }
  const m = unitLayer.length;
  const data = new Float32Array(kept.length * m * samples);
  for (const [tau, c] of kept.entries()) {
    const byName = new Map(checkpoints[c].layers.map((l) => [l.name, l]));
    for (let q = 0; q < m; q++) {
      const layer = byName.get(layerNames[unitLayer[q]]);
      if (!layer || layer.shape[0] !== samples) {
        throw new HiddenAtlasError(
          "E_SHAPE_MISMATCH",
          `checkpoint ${checkpoints[c].epoch} of ${bundle.name}: layer ${layerNames[unitLayer[q]]} is missing or does not hold ${samples} trace samples`,
        );
      }
      const row = layer.data.length / samples;
      const units = unitsOf(layer.shape, row);
      const positions = row / units;
      const u = unitIndex[q];
      for (let s = 0; s < samples; s++) {
        const at = s * row + u * positions;
        let sum = 0;
        for (let p = 0; p < positions; p++) sum += layer.data[at + p];
        data[(tau * m + q) * samples + s] = positions === 1 ? sum : sum / positions;
      }
    }
  }
  const traceLabels = new Int32Array(samples).fill(-1);
  if (bundle.labels) {
    for (let s = 0; s < samples; s++)
      traceLabels[s] = bundle.trace ? bundle.labels[bundle.trace[s]] : bundle.labels[s];
  }
  return {
    tensor: { epochs: kept.length, units: m, samples, data },
    epochs: kept.map((c) => checkpoints[c].epoch),
    layerNames,
    unitLayer: Int32Array.from(unitLayer),
    unitIndex: Int32Array.from(unitIndex),
    traceLabels,
  };
}

function embedOptions(p: ResolvedMphateStudyParams, run: RunOptions) {
  return {
    intrasliceKnn: p.intrasliceKnn,
    intersliceKnn: p.intersliceKnn,
    decay: p.decay,
    t: p.t,
    gamma: p.gamma,
    nLandmark: p.nLandmark,
    seed: p.seed,
    ...run,
  };
}

/** M-PHATE of one bundle, with the labels every figure colours by. */
export async function trainingDynamics(
  bundle: AnalysisBundle,
  params: MphateStudyParams = {},
  run: RunOptions = {},
): Promise<DynamicsEmbedding> {
  const p = resolveMphateStudyParams(params);
  const bt = tensorFromBundle(bundle, p);
  const result = await mphate(bt.tensor, embedOptions(p, run));
  return describe(bundle, bt, result);
}

function describe(
  bundle: AnalysisBundle,
  bt: BundleTensor,
  result: MphateResult,
): DynamicsEmbedding {
  const N = bt.tensor.epochs * bt.tensor.units;
  const classes =
    bundle.classNames?.length ?? (bt.traceLabels.length ? Math.max(...bt.traceLabels) + 1 : 0);
  const mostActive =
    classes > 0 && bt.traceLabels.every((l) => l >= 0)
      ? mostActiveClass(bt.tensor, bt.traceLabels, classes, "l1")
      : new Int32Array(N).fill(-1);
  const epoch = new Float64Array(N);
  const layer = new Int32Array(N);
  const unit = new Int32Array(N);
  for (let q = 0; q < N; q++) {
    epoch[q] = bt.epochs[result.epoch[q]];
    layer[q] = bt.unitLayer[result.unit[q]];
    unit[q] = bt.unitIndex[result.unit[q]];
  }
  return {
    name: bundle.name,
    embedding: result.embedding,
    epoch,
    layer,
    unit,
    mostActive,
    layerNames: bt.layerNames,
    classNames: bundle.classNames ?? Array.from({ length: classes }, (_, c) => String(c)),
    epochs: bt.epochs,
    units: bt.tensor.units,
    t: result.t,
    epsilon: result.epsilon,
    intersliceKnn: result.params.intersliceKnn,
    intersliceKnnAuto: result.params.intersliceKnnAuto,
    nLandmarks: result.nLandmarks,
    warnings: result.warnings,
  };
}

/** Σ over epochs of trace(cov) of that epoch's embedded points (numpy.cov, ddof 1). */
export function visualizationVariance(
  run: Pick<DynamicsEmbedding, "embedding" | "epochs" | "units">,
): number {
  const { embedding: Y, units } = run;
  const dim = Y.cols;
  let total = 0;
  for (let tau = 0; tau < run.epochs.length; tau++) {
    for (let c = 0; c < dim; c++) {
      let mean = 0;
      for (let i = 0; i < units; i++) mean += Y.data[(tau * units + i) * dim + c];
      mean /= units;
      let v = 0;
      for (let i = 0; i < units; i++) v += (Y.data[(tau * units + i) * dim + c] - mean) ** 2;
      total += v / (units - 1);
    }
  }
  return total;
}

export interface GeneralizationRun extends DynamicsEmbedding {
  variant: string;
  /** The seed the run was trained with (the bundle's meta), null when unknown. */
  seed: number | null;
  /**
   * Σ over epochs of tr cov of that epoch's points, on the metric MDS output before Procrustes
   * (potential-distance units, the paper's convention).
   */
  visualizationVariance: number;
  /** The same on the drawn, Procrustes-normalised embedding (PHATE ≥ 1.0), for comparison. */
  normalizedVariance: number;
  memorizationError: number;
  trainLoss: number;
  validationLoss: number;
}

/** Mean and standard deviation (ddof 1; 0 for one value) of some numbers. */
export interface Spread {
  mean: number;
  sd: number;
  n: number;
}

export interface VariantSummary {
  variant: string;
  memorizationError: Spread;
  visualizationVariance: Spread;
}

export interface GeneralizationStudy {
  runs: GeneralizationRun[];
  /** Spearman ρ between visualisation variance and memorisation error over every run. */
  spearman: number;
  /** Bootstrap 95 % percentile interval of ρ (runs resampled with replacement), [NaN, NaN] under 4 runs. */
  interval: [number, number];
  /** Bootstrap resamples drawn, and how many had a defined ρ (a resample of one repeated run has none). */
  resamples: number;
  validResamples: number;
  /** ρ within the runs of each seed. */
  perSeed: { seed: number | null; runs: number; spearman: number }[];
  /** Mean ± sd of ρ over the seeds (those with at least 3 runs). */
  seedSpread: Spread;
  /** Each variant over its seeds. */
  variants: VariantSummary[];
  /** ρ with the variance taken on the Procrustes-normalised embeddings instead (PHATE ≥ 1.0 output). */
  normalizedSpearman: number;
  params: { nLandmark: number; bootstrapSeed: number; resamples: number };
}

const metaNumber = (bundle: AnalysisBundle, key: string): number => {
  const v = bundle.meta?.[key];
  return typeof v === "number" ? v : NaN;
};

/** Bootstrap resamples of the generalisation ρ. */
export const GENERALIZATION_RESAMPLES = 2000;

export function spread(values: number[]): Spread {
  const n = values.length;
  if (n === 0) return { mean: NaN, sd: NaN, n };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd, n };
}

/**
 * Percentile bootstrap of Spearman ρ: `resamples` draws of n pairs with replacement (seeded
 * PCG32), ρ of each; the 2.5 % and 97.5 % quantiles (linear interpolation, numpy's default) of
 * the resamples whose ρ is defined.
 */
export async function bootstrapSpearman(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  options: { resamples?: number; seed?: number } = {},
): Promise<{ interval: [number, number]; valid: number; resamples: number }> {
  const n = x.length;
  const resamples = checkInteger(
    "resamples",
    options.resamples ?? GENERALIZATION_RESAMPLES,
    1,
    1_000_000,
  );
  const seed = checkSeed(options.seed ?? mphateDefaults.seed);
  if (n < 4) return { interval: [NaN, NaN], valid: 0, resamples };
  const core = await getCore();
  const rng = new Rng(core, seed, STREAMS.bootstrap);
  const rhos: number[] = [];
  try {
    const xs = new Float64Array(n);
    const ys = new Float64Array(n);
    for (let b = 0; b < resamples; b++) {
      const u = rng.uniform(n);
      for (let i = 0; i < n; i++) {
        const j = Math.min(n - 1, Math.floor(u[i] * n));
        xs[i] = x[j];
        ys[i] = y[j];
      }
      const r = spearman(xs, ys);
      if (Number.isFinite(r)) rhos.push(r);
    }
  } finally {
    rng.dispose();
  }
  rhos.sort((a, b) => a - b);
  const quantile = (q: number) => {
    if (!rhos.length) return NaN;
    const h = (rhos.length - 1) * q;
    const lo = Math.floor(h);
    return rhos[lo] + (h - lo) * ((rhos[Math.min(lo + 1, rhos.length - 1)] ?? rhos[lo]) - rhos[lo]);
  };
  return { interval: [quantile(0.025), quantile(0.975)], valid: rhos.length, resamples };
}

/**
 * The generalisation study over runs (bundles of the digits-generalization recipe, any number
 * of seeds): one M-PHATE embedding each, visualisation variance on the unscaled SMACOF output,
 * memorisation error from the bundle's meta, ρ pooled with its bootstrap interval, ρ per seed,
 * and each variant's spread over seeds.
 */
export async function generalizationStudy(
  bundles: AnalysisBundle[],
  params: MphateStudyParams & { resamples?: number } = {},
  run: RunOptions = {},
): Promise<GeneralizationStudy> {
  const { resamples = GENERALIZATION_RESAMPLES, ...rest } = params;
  const p = resolveMphateStudyParams(rest);
  const runs: GeneralizationRun[] = [];
  for (const [r, bundle] of bundles.entries()) {
    const bt = tensorFromBundle(bundle, p);
    const onProgress =
      run.onProgress &&
      ((e: { stage: string; done: number; total: number }) =>
        run.onProgress!({
          ...e,
          stage: `${bundle.name} (${r + 1}/${bundles.length}): ${e.stage}`,
        }));
    const result = await mphate(bt.tensor, embedOptions(p, { signal: run.signal, onProgress }));
    const d = describe(bundle, bt, result);
    const seed = bundle.meta?.seed;
    runs.push({
      ...d,
      variant: typeof bundle.meta?.variant === "string" ? bundle.meta.variant : bundle.name,
      seed: typeof seed === "number" ? seed : null,
      visualizationVariance: visualizationVariance({
        embedding: result.metricEmbedding,
        epochs: d.epochs,
        units: d.units,
      }),
      normalizedVariance: visualizationVariance(d),
      memorizationError: metaNumber(bundle, "memorizationError"),
      trainLoss: metaNumber(bundle, "trainLoss"),
      validationLoss: metaNumber(bundle, "validationLoss"),
    });
  }
  return summarizeGeneralization(runs, { resamples, seed: p.seed, nLandmark: p.nLandmark });
}

/**
 * One study from several (e.g. one per seed, embedded in parallel workers): every run pooled,
 * ρ, its bootstrap interval, per-seed ρ and variant spreads recomputed over all of them with the
 * first study's bootstrap seed and resamples.
 */
export async function poolGeneralization(
  studies: GeneralizationStudy[],
): Promise<GeneralizationStudy> {
  if (!studies.length)
    throw new HiddenAtlasError("E_PARAM", "poolGeneralization needs at least one study");
  const { resamples, bootstrapSeed, nLandmark } = studies[0].params;
  return summarizeGeneralization(
    studies.flatMap((s) => s.runs),
    { resamples, seed: bootstrapSeed, nLandmark },
  );
}

async function summarizeGeneralization(
  runs: GeneralizationRun[],
  o: { resamples: number; seed: number; nLandmark: number },
): Promise<GeneralizationStudy> {
  const { resamples } = o;
  const p = { seed: o.seed, nLandmark: o.nLandmark };
  const valid = runs.filter((r) => Number.isFinite(r.memorizationError));
  const rho = (
    rs: GeneralizationRun[],
    key: "visualizationVariance" | "normalizedVariance" = "visualizationVariance",
  ) =>
    rs.length >= 3
      ? spearman(
          rs.map((r) => r[key]),
          rs.map((r) => r.memorizationError),
        )
      : NaN;
  const boot = await bootstrapSpearman(
    valid.map((r) => r.visualizationVariance),
    valid.map((r) => r.memorizationError),
    { resamples, seed: p.seed },
  );
  const seeds = [...new Set(valid.map((r) => r.seed))];
  const perSeed = seeds.map((seed) => {
    const rs = valid.filter((r) => r.seed === seed);
    return { seed, runs: rs.length, spearman: rho(rs) };
  });
  const variants = [...new Set(runs.map((r) => r.variant))].map((variant) => {
    const rs = valid.filter((r) => r.variant === variant);
    return {
      variant,
      memorizationError: spread(rs.map((r) => r.memorizationError)),
      visualizationVariance: spread(rs.map((r) => r.visualizationVariance)),
    };
  });
  return {
    runs,
    spearman: rho(valid),
    interval: boot.interval,
    resamples: boot.resamples,
    validResamples: boot.valid,
    perSeed,
    seedSpread: spread(
      perSeed.filter((s) => s.runs >= 3 && Number.isFinite(s.spearman)).map((s) => s.spearman),
    ),
    variants,
    normalizedSpearman: rho(valid, "normalizedVariance"),
    params: { nLandmark: p.nLandmark, bootstrapSeed: p.seed, resamples },
  };
}

export interface TaskSwitch {
  /** Training step of the switch, and the two slices compared (checkpoint epochs). */
  step: number;
  before: number;
  after: number;
  /** Mean ARI over k = 3 … 8 and the seeds. */
  ari: number;
}

export interface ContinualRun extends DynamicsEmbedding {
  rehearsal: boolean;
  switches: TaskSwitch[];
  meanAri: number;
  finalAccuracy: number;
  earlyTasksAccuracy: number;
  taskSwitchSteps: number[];
}

export interface ContinualStudy {
  runs: ContinualRun[];
  /** Pearson correlation of mean ARI with final accuracy over the runs (NaN under 3 runs). */
  pearson: number;
  params: { ks: number[]; seeds: number; sliceOffset: number };
}

/** Slices after the switch the "after" partition is taken at (m_phate task_switch_plot.py: +3). */
const SLICE_OFFSET = 3;
const ARI_KS = [3, 4, 5, 6, 7, 8];

/** Mean ARI between k-means partitions of the units at two slices (k = 3 … 8, `seeds` seeds). */
export async function switchAri(
  embedding: Matrix,
  units: number,
  before: number,
  after: number,
  seeds: number,
  baseSeed: number,
): Promise<number> {
  const slice = (tau: number): Matrix => ({
    rows: units,
    cols: embedding.cols,
    data: embedding.data.slice(tau * units * embedding.cols, (tau + 1) * units * embedding.cols),
  });
  const a = slice(before);
  const b = slice(after);
  let total = 0;
  let count = 0;
  // Each restart's k-means seed is drawn from one stream of baseSeed (not baseSeed + s, which the
  // run with the next base seed would repeat).
  const draws = new Rng(await getCore(), baseSeed, STREAMS.ariRestarts);
  try {
    for (const k of ARI_KS) {
      if (k >= units) continue;
      for (let s = 0; s < seeds; s++) {
        const seed = draws.int(0x7fffffff);
        const la = (await kMeans(a, { k, seed })).labels;
        const lb = (await kMeans(b, { k, seed })).labels;
        total += adjustedRandIndex(la, lb);
        count++;
      }
    }
  } finally {
    draws.dispose();
  }
  return total / count;
}

export async function continualStudy(
  bundles: AnalysisBundle[],
  params: MphateStudyParams & { ariSeeds?: number } = {},
  run: RunOptions = {},
): Promise<ContinualStudy> {
  const { ariSeeds = 20, ...rest } = params;
  const seeds = checkInteger("ariSeeds", ariSeeds, 1, 1000);
  const p = resolveMphateStudyParams(rest);
  const runs: ContinualRun[] = [];
  for (const [r, bundle] of bundles.entries()) {
    const steps = Array.isArray(bundle.meta?.taskSwitchSteps)
      ? (bundle.meta!.taskSwitchSteps as number[])
      : [];
    if (steps.length < 2)
      throw new HiddenAtlasError(
        "E_PARAM",
        `${bundle.name}: meta.taskSwitchSteps (the training steps at which tasks switch) is missing; continual learning needs it`,
      );
    // Keep every checkpoint (the switch slices must exist); stride applies to units only.
    const bt = tensorFromBundle(bundle, { ...p, epochStride: 1 });
    const onProgress =
      run.onProgress &&
      ((e: { stage: string; done: number; total: number }) =>
        run.onProgress!({
          ...e,
          stage: `${bundle.name} (${r + 1}/${bundles.length}): ${e.stage}`,
        }));
    const result = await mphate(bt.tensor, embedOptions(p, { signal: run.signal, onProgress }));
    const d = describe(bundle, bt, result);
    const switches: TaskSwitch[] = [];
    for (const step of steps.slice(1)) {
      const before = bt.epochs.indexOf(step);
      if (before < 0) continue;
      const after = Math.min(bt.epochs.length - 1, before + SLICE_OFFSET);
      switches.push({
        step,
        before: bt.epochs[before],
        after: bt.epochs[after],
        ari: await switchAri(d.embedding, bt.tensor.units, before, after, seeds, p.seed),
      });
    }
    runs.push({
      ...d,
      rehearsal: bundle.meta?.rehearsal === true,
      switches,
      meanAri: switches.reduce((s, x) => s + x.ari, 0) / Math.max(1, switches.length),
      finalAccuracy: metaNumber(bundle, "finalTestAccuracy"),
      earlyTasksAccuracy: metaNumber(bundle, "earlyTasksFinalAccuracy"),
      taskSwitchSteps: steps,
    });
  }
  return {
    runs,
    pearson:
      runs.length >= 3
        ? pearson(
            runs.map((r) => r.meanAri),
            runs.map((r) => r.finalAccuracy),
          )
        : NaN,
    params: { ks: ARI_KS, seeds, sliceOffset: SLICE_OFFSET },
  };
}

/** Neighbour preservation of one embedding against one space, within epochs and within units. */
export interface PreservationScores {
  intraslice: { k10: number; k40: number };
  interslice: { k10: number; k40: number };
}

/** The two spaces an embedding is scored against. */
export const BASELINE_SPACES = {
  raw: "raw trace (pre-activations as recorded)",
  zscored: "z-scored trace (each (epoch, unit) row over the trace samples, as M-PHATE embeds it)",
} as const;

export interface BaselineScore {
  method: string;
  /** What it was run on. */
  input: string;
  /** Scored against each point's neighbours in the raw trace, and in the z-scored trace. */
  raw: PreservationScores;
  zscored: PreservationScores;
  embedding: Matrix;
}

export interface BaselineStudy {
  name: string;
  epochs: number[];
  units: number;
  /** κ of the multislice graph as used (the automatic rule's when `intersliceKnnAuto`). */
  intersliceKnn: number;
  intersliceKnnAuto: boolean;
  scores: BaselineScore[];
  /** What was not computed or is capped, and why. */
  notes: string[];
}

/** Mean fraction of shared k nearest neighbours between X and Y rows, over groups of rows. */
export function neighborPreservation(
  X: Matrix,
  Y: Matrix,
  groups: Int32Array[],
  k: number,
): number {
  const knnIn = (M: Matrix, rows: Int32Array, i: number, kk: number): Set<number> => {
    const d: [number, number][] = [];
    for (const j of rows) {
      if (j === i) continue;
      let s = 0;
      for (let c = 0; c < M.cols; c++) s += (M.data[i * M.cols + c] - M.data[j * M.cols + c]) ** 2;
      d.push([s, j]);
    }
    d.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    return new Set(d.slice(0, kk).map((x) => x[1]));
  };
  let total = 0;
  let count = 0;
  for (const rows of groups) {
    const kk = Math.min(k, rows.length - 1);
    if (kk < 1) continue;
    for (const i of rows) {
      const a = knnIn(X, rows, i, kk);
      const b = knnIn(Y, rows, i, kk);
      let shared = 0;
      for (const j of a) if (b.has(j)) shared++;
      total += shared / kk;
      count++;
    }
  }
  return total / count;
}

/** Intraslice and interslice preservation of an embedding against the neighbours in X, k = 10 and 40. */
function preservation(
  X: Matrix,
  Y: Matrix,
  intra: Int32Array[],
  inter: Int32Array[],
): PreservationScores {
  return {
    intraslice: {
      k10: neighborPreservation(X, Y, intra, 10),
      k40: neighborPreservation(X, Y, intra, 40),
    },
    interslice: {
      k10: neighborPreservation(X, Y, inter, 10),
      k40: neighborPreservation(X, Y, inter, 40),
    },
  };
}

/**
 * M-PHATE beside the reference's baselines (m_phate scripts/comparison_plot.py), scored by
 * intraslice (units within an epoch) and interslice (a unit across epochs) neighbour
 * preservation in both the raw and the z-scored trace:
 * - PCA, t-SNE, Isomap and PHATE of the flattened tensor, raw (the reference's "naive" set) and
 *   z-scored (the space M-PHATE embeds, so neither side is favoured by the choice of space);
 * - diffusion maps, Isomap and t-SNE on M-PHATE's multislice graph; Isomap and t-SNE use the
 *   graph's shortest paths with edge length −log(affinity) (unreachable pairs at the largest
 *   finite distance), t-SNE as scikit-learn's `metric="precomputed"`.
 * `mphateEmbedding` reuses an M-PHATE embedding of the same checkpoints and parameters.
 */
export async function baselineStudy(
  bundle: AnalysisBundle,
  params: MphateStudyParams = {},
  run: RunOptions = {},
  mphateEmbedding?: DynamicsEmbedding,
): Promise<BaselineStudy> {
  const p = resolveMphateStudyParams(params);
  const bt = tensorFromBundle(bundle, p);
  const { epochs: n, units: m, samples } = bt.tensor;
  const raw: Matrix = { rows: n * m, cols: samples, data: bt.tensor.data };
  const zscored: Matrix = { rows: n * m, cols: samples, data: zScoreRows(bt.tensor) };
  const intra = Array.from({ length: n }, (_, tau) =>
    Int32Array.from({ length: m }, (_, i) => tau * m + i),
  );
  const inter = Array.from({ length: m }, (_, i) =>
    Int32Array.from({ length: n }, (_, tau) => tau * m + i),
  );
  const stage = (name: string) =>
    run.onProgress &&
    ((e: { stage: string; done: number; total: number }) =>
      run.onProgress!({ ...e, stage: `${name}: ${e.stage}` }));
  const opts = (name: string) => ({ signal: run.signal, onProgress: stage(name) });
  const embeddings: { method: string; input: string; embedding: Matrix }[] = [];
  const own =
    mphateEmbedding && mphateEmbedding.embedding.rows === n * m
      ? mphateEmbedding
      : describe(bundle, bt, await mphate(bt.tensor, embedOptions(p, opts("M-PHATE"))));
  embeddings.push({
    method: "M-PHATE",
    input: "multislice graph (z-scored)",
    embedding: own.embedding,
  });
  // Multislice baselines on M-PHATE's own graph.
  const { affinity } = await multisliceAffinity(bt.tensor, {
    intrasliceKnn: p.intrasliceKnn,
    intersliceKnn: p.intersliceKnn,
    decay: p.decay,
    ...opts("multislice graph"),
  });
  embeddings.push({
    method: "DM",
    input: "multislice graph",
    embedding: (await diffusionMap(affinity, { seed: p.seed, ...opts("DM") })).embedding,
  });
  const lengths = Float32Array.from(affinity.values, (v) => Math.max(0, -Math.log(v)));
  const paths = await shortestPaths(
    { n: affinity.n, rowPtr: affinity.rowPtr, columns: affinity.columns, values: lengths },
    {
      sources: Int32Array.from({ length: affinity.n }, (_, i) => i),
      ...opts("multislice geodesics"),
    },
  );
  let largest = 0;
  for (const v of paths.data) if (Number.isFinite(v) && v > largest) largest = v;
  const geodesic = {
    rows: affinity.n,
    cols: affinity.n,
    data: paths.data.map((v) => (Number.isFinite(v) ? v : largest)),
  };
  for (let a = 0; a < affinity.n; a++) {
    geodesic.data[a * affinity.n + a] = 0;
    for (let b = a + 1; b < affinity.n; b++)
      geodesic.data[b * affinity.n + a] = geodesic.data[a * affinity.n + b];
  }
  embeddings.push({
    method: "Isomap",
    input: "multislice graph (−log affinity paths)",
    embedding: (await classicalMds(geodesic, { seed: p.seed, ...opts("Isomap (graph)") }))
      .coordinates,
  });
  embeddings.push({
    method: "t-SNE",
    input: "multislice graph (−log affinity paths, precomputed)",
    embedding: (await tsneFromDistances(geodesic, { seed: p.seed, ...opts("t-SNE (graph)") }))
      .coordinates,
  });
  // The naive baselines, on the raw and on the z-scored flattened trace.
  for (const [space, X] of [
    ["raw", raw],
    ["z-scored", zscored],
  ] as const) {
    const input = `flattened ${space} trace`;
    embeddings.push({
      method: "PCA",
      input,
      embedding: (await pca(X, { nComponents: 2, ...opts(`PCA (${space})`) })).scores,
    });
    embeddings.push({
      method: "t-SNE",
      input,
      embedding: (await tsne(X, { seed: p.seed, ...opts(`t-SNE (${space})`) })).coordinates,
    });
    embeddings.push({
      method: "Isomap",
      input,
      embedding: (await isomap(X, { seed: p.seed, ...opts(`Isomap (${space})`) })).coordinates,
    });
    embeddings.push({
      method: "PHATE",
      input,
      embedding: (
        await phate(X, { seed: p.seed, nLandmark: p.nLandmark, ...opts(`PHATE (${space})`) })
      ).embedding,
    });
  }
  const scores = embeddings.map(({ method, input, embedding }) => ({
    method,
    input,
    embedding,
    raw: preservation(raw, embedding, intra, inter),
    zscored: preservation(zscored, embedding, intra, inter),
  }));
  return {
    name: bundle.name,
    epochs: bt.epochs,
    units: m,
    intersliceKnn: own.intersliceKnn,
    intersliceKnnAuto: own.intersliceKnnAuto,
    scores,
    notes: [
      `Raw space: ${BASELINE_SPACES.raw}; z-scored space: ${BASELINE_SPACES.zscored}.`,
      `${n * m} points: M-PHATE and PHATE run ${n * m <= p.nLandmark ? "exact (no landmarks)" : `on ${p.nLandmark} landmarks`}; t-SNE as scikit-learn (Barnes–Hut above 500 points), on the graph with a random start.`,
      ...(n - 1 <= 40
        ? [
            `Interslice k = 40 needs more than 41 checkpoints: with ${n}, a unit's ${n - 1} other checkpoints are all its neighbours in any embedding (score 1), so it is not shown${n - 1 <= 10 ? "; nor is k = 10" : ""}.`,
          ]
        : []),
    ],
  };
}

/** How the points of an M-PHATE scatter are coloured. */
export const MPHATE_COLOR_BY = ["epoch", "layer", "mostActive"] as const;
export type MphateColorBy = (typeof MPHATE_COLOR_BY)[number];

/** The continual-learning runs: κ = 12 as the paper embeds them, on 500 landmarks. */
const CONTINUAL_INTERSLICE_KNN = 12;
const CONTINUAL_LANDMARKS = 500;
/** Baselines run t-SNE and Isomap on every point, so they use every 5th checkpoint (2,016 points of digits-mlp). */
const BASELINE_EPOCH_STRIDE = 5;

/** The parameter table (see descriptor.ts): the multislice graph and PHATE, then what is drawn. */
const params = {
  layers: {
    type: "layers",
    from: "checkpoints",
    default: [],
    defaultDoc: "every traced layer",
    label: "Which units (layers)",
    doc: "Traced layers whose units are embedded (all by default).",
  },
  epochStride: {
    type: "integer",
    min: 1,
    // About 20 checkpoints kept: every 5th of digits-mlp's 101, every one of a short run's 9.
    default: (b: AnalysisBundle) =>
      Math.max(1, Math.floor(((b.checkpoints?.length ?? 1) - 1) / 20)),
    defaultDoc: "about 20 checkpoints kept: 5 for 101 checkpoints, 1 for up to 40",
    label: "Every k-th checkpoint",
    unit: "checkpoints",
    doc: "Keep every k-th checkpoint (the last one always kept).",
    control: { max: 10 },
    reference:
      "M-PHATE embeds every epoch; every 5th keeps digits-mlp's 101 checkpoints × 96 units to 2,016 points, embedded exactly (no landmarks) in seconds (set 1 for every checkpoint, on landmarks).",
  },
  unitStride: {
    type: "integer",
    min: 1,
    default: 1,
    label: "Every k-th unit",
    unit: "units",
    doc: "Keep every k-th unit of each layer.",
  },
  intrasliceKnn: {
    type: "integer",
    min: 1,
    default: mphateDefaults.intrasliceKnn,
    label: "Intraslice knn",
    doc: "Neighbours of a unit among the units of its own checkpoint (the adaptive kernel's bandwidth).",
    control: { max: 10 },
  },
  intersliceKnn: {
    type: "integer",
    min: 1,
    auto: true,
    default: "auto",
    label: "Interslice knn (κ)",
    control: { max: 50 },
    doc: `Sets the bandwidth joining a unit to itself across checkpoints: the distance to its κ-th nearest own checkpoint; "auto" is max(2, round(${INTERSLICE_KNN_FRACTION} × checkpoints)).`,
    reference:
      'M-PHATE: 25 over 300 epochs (about 8 % of the run); a fixed 25 on 21 checkpoints would be clamped to 20 and fuse each unit\'s checkpoints, so "auto" keeps the 8 %.',
  },
  decay: {
    type: "number",
    min: 0,
    exclusiveMin: true,
    default: mphateDefaults.decay,
    label: "Decay (α)",
    doc: "Exponent of the α-decaying kernel: larger values cut affinities off faster.",
    control: { min: 1, max: 40, step: 1 },
  },
  t: {
    type: "integer",
    min: 1,
    auto: true,
    default: "auto",
    label: "Diffusion time t",
    doc: 'Steps of the diffusion; "auto" takes the knee of the von Neumann entropy.',
    control: { max: 100 },
  },
  gamma: {
    type: "number",
    min: -1,
    max: 1,
    default: mphateDefaults.gamma,
    label: "Potential γ",
    doc: "Informational distance: γ = 1 the log potential, γ = 0 the square root (M-PHATE's choice).",
    control: { step: 0.5 },
  },
  nLandmark: {
    type: "integer",
    min: 3,
    default: mphateDefaults.nLandmark,
    label: "Landmarks",
    unit: "points",
    doc: "Above this many points the diffusion runs on landmarks (spectral clusters); up to it, exactly. At least 3: the landmarks hold a 2-D classical MDS.",
    reference:
      "M-PHATE's 4,000. The exact path costs about 36 N² bytes (576 MB at 4,000 points) and an O(N³) eigensolve and diffusion power: seconds at 2,000 points, minutes at 4,000.",
  },
  generalizationLandmarks: {
    type: "integer",
    min: 3,
    default: 400,
    label: "Landmarks per generalisation run",
    unit: "points",
    control: { min: 100, max: 4000, step: 100 },
    doc: "Landmarks of each of the generalisation study's runs (2,016 points each); 4,000 embeds them exactly.",
    reference:
      "M-PHATE embeds each run on 4,000 landmarks; 400 keeps the 24 runs to about a minute in the browser (exact is about 10× slower per run).",
  },
  seed: {
    type: "integer",
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    default: mphateDefaults.seed,
    label: "Seed",
    doc: "Seed of the landmarks and of metric MDS.",
    control: { input: "number", max: 2 ** 31 - 1 },
  },
  baselines: {
    type: "boolean",
    default: false,
    label: "Compute baselines",
    doc: "Also embed the run with PCA, t-SNE, Isomap, PHATE and the multislice baselines, and score them all (slow: runs on request).",
  },
  ariSeeds: {
    type: "integer",
    min: 1,
    max: 1000,
    default: 5,
    label: "k-means seeds per k",
    doc: "Seeds of k-means per k when measuring how much of the units' structure survives a task switch.",
    control: { max: 20 },
  },
  colorBy: {
    type: "keyword",
    role: "view",
    choices: MPHATE_COLOR_BY,
    default: "epoch",
    label: "Colour by",
    labels: { epoch: "epoch", layer: "layer", mostActive: "most-active class (L1)" },
    control: { input: "radio" },
    doc: "What colours the units: their checkpoint, their layer, or the class they answer to most.",
  },
  trajectories: {
    type: "boolean",
    role: "view",
    default: true,
    label: "Unit trajectories",
    doc: "Join each unit's checkpoints with a line.",
  },
} as const;

export type MphateParams = Partial<Resolved<typeof params>>;
export type ResolvedMphateParams = Resolved<typeof params>;

/** What one run of M-PHATE on a bundle gives: its training dynamics, and the baselines when asked. */
export interface MphateAnalysisResult {
  dynamics: DynamicsEmbedding;
  baselines: BaselineStudy | null;
  params: ResolvedMphateParams;
}

/** The study parameters of the analysis' parameters. */
export function studyParams(p: ResolvedMphateParams): ResolvedMphateStudyParams {
  return {
    layers: p.layers,
    epochStride: p.epochStride,
    unitStride: p.unitStride,
    intrasliceKnn: p.intrasliceKnn,
    intersliceKnn: p.intersliceKnn,
    decay: p.decay,
    t: p.t,
    gamma: p.gamma,
    nLandmark: p.nLandmark,
    seed: p.seed,
  };
}

const embedding = [
  "layers",
  "epochStride",
  "unitStride",
  "intrasliceKnn",
  "intersliceKnn",
  "decay",
  "t",
  "gamma",
  "nLandmark",
  "seed",
] as const;
/** The bundles of a multi-bundle study, named by their keys in the step's args ("k1,k2,…"). */
const runKeys = (args: StepArgs) =>
  String(args.runs ?? "")
    .split(",")
    .filter(Boolean);
const runsOf = (args: StepArgs, others: (key: string) => AnalysisBundle) =>
  runKeys(args).map(others);

/**
 * The runs of a multi-bundle study for a progress label, by name: "a, b" for two, "8 runs:
 * first … last" for more; only the count when a key names no kept bundle (the step then fails
 * with that error).
 */
export function runsWhere(args: StepArgs, others: (key: string) => AnalysisBundle): string {
  const keys = runKeys(args);
  let names: string[];
  try {
    names = keys.map((k) => others(k).name);
  } catch {
    return `${keys.length} run${keys.length === 1 ? "" : "s"}`;
  }
  return names.length <= 2
    ? names.join(", ")
    : `${names.length} runs: ${names[0]} … ${names[names.length - 1]}`;
}

/**
 * The descriptor. `dynamics` and `baselines` read the bundle; `generalization` and `continual`
 * are studies over other bundles (the eight generalisation runs, the two continual-learning
 * runs), named in their args.
 */
export const mphateDescriptor = defineAnalysis<typeof params, MphateAnalysisResult>({
  name: "mphate",
  readsCheckpoints: true,
  title: "M-PHATE: hidden units over training",
  question:
    "How do hidden units evolve over training, as one Multislice PHATE embedding of every unit at every checkpoint; what do generalisation and catastrophic forgetting look like?",
  papers: [
    {
      citation: "Gigante et al., NeurIPS 2019",
      title: "Visualizing the PHATE of neural networks",
      url: "https://arxiv.org/abs/1908.02831",
    },
  ],
  params,
  check(_p, bundle) {
    if (!bundle.checkpoints?.length)
      throw new HiddenAtlasError(
        "E_PARAM",
        `mphate needs a bundle with training checkpoints; ${JSON.stringify(bundle.name)} has none`,
      );
  },
  steps: {
    dynamics: {
      label: "embedding the units with M-PHATE",
      uses: embedding,
      stages: 4,
      async run({ bundle, params: p, options }) {
        return trainingDynamics(bundle, studyParams(p), options);
      },
    },
    baselines: {
      label: "embedding and scoring the baselines",
      uses: [...embedding, "baselines"],
      needs: (_args, p) =>
        p.baselines && p.epochStride === BASELINE_EPOCH_STRIDE && p.unitStride === 1
          ? [["dynamics", {}]]
          : [],
      weight: 8,
      // 12 embeddings in both spaces, about two named stages each.
      stages: 24,
      async run({ bundle, params: p, options, need }) {
        if (!p.baselines) return null;
        // The dynamics embedding is the M-PHATE row when it was made on the same checkpoints.
        const same = p.epochStride === BASELINE_EPOCH_STRIDE && p.unitStride === 1;
        return baselineStudy(
          bundle,
          { ...studyParams(p), epochStride: BASELINE_EPOCH_STRIDE, unitStride: 1 },
          options,
          same ? await need<DynamicsEmbedding>("dynamics") : undefined,
        );
      },
    },
    generalization: {
      label: "embedding the generalisation runs",
      where: runsWhere,
      uses: ["intrasliceKnn", "intersliceKnn", "decay", "gamma", "seed", "generalizationLandmarks"],
      // The notebook embeds one seed's eight runs per call (a worker per seed), about 4 stages each.
      weight: 8,
      stages: 32,
      async run({ params: p, args, options, others }) {
        const { intrasliceKnn, intersliceKnn, decay, gamma, seed } = p;
        return generalizationStudy(
          runsOf(args, others),
          {
            intrasliceKnn,
            intersliceKnn,
            decay,
            gamma,
            seed,
            nLandmark: p.generalizationLandmarks,
          },
          options,
        );
      },
    },
    continual: {
      label: "embedding the continual-learning runs",
      where: runsWhere,
      uses: ["intrasliceKnn", "decay", "gamma", "seed", "ariSeeds"],
      weight: 4,
      stages: 8,
      async run({ params: p, args, options, others }) {
        const { intrasliceKnn, decay, gamma, seed, ariSeeds } = p;
        return continualStudy(
          runsOf(args, others),
          {
            intrasliceKnn,
            intersliceKnn: CONTINUAL_INTERSLICE_KNN,
            decay,
            gamma,
            seed,
            nLandmark: CONTINUAL_LANDMARKS,
            ariSeeds,
          },
          options,
        );
      },
    },
    result: {
      label: "M-PHATE",
      uses: [],
      needs: () => [
        ["dynamics", {}],
        ["baselines", {}],
      ],
      weight: 0,
      async run({ params: p, need }): Promise<MphateAnalysisResult> {
        return {
          dynamics: await need<DynamicsEmbedding>("dynamics"),
          baselines: await need<BaselineStudy | null>("baselines"),
          params: p,
        };
      },
    },
  },
  result: "result",
});

/** Training dynamics (and baselines when asked) of a bundle with checkpoints: `await mphateAnalysis(bundle, {epochStride: 2})`. */
export function mphateAnalysis(
  bundle: AnalysisBundle,
  params: MphateParams = {},
  options: RunOptions = {},
): Promise<MphateAnalysisResult> {
  return runAnalysis(mphateDescriptor, bundle, params, options);
}

/** The variants trained on corrupted data (their memorisation error is large by design). */
export const DATA_VARIANTS = new Set(["random-labels", "random-pixels"]);

/** ρ over the runs trained on true digits (no random labels or pixels): does the claim hold without the two extremes? */
export function trueDataSpearman(study: GeneralizationStudy): { spearman: number; runs: number } {
  const runs = study.runs.filter(
    (r) => !DATA_VARIANTS.has(r.variant) && Number.isFinite(r.memorizationError),
  );
  return {
    spearman:
      runs.length >= 3
        ? spearman(
            runs.map((r) => r.visualizationVariance),
            runs.map((r) => r.memorizationError),
          )
        : NaN,
    runs: runs.length,
  };
}

/** κ's share of the checkpoints under "auto" (said in the reports). */
export { INTERSLICE_KNN_FRACTION };
