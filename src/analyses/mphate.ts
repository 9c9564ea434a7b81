/**
 * The `mphate` analysis: Gigante et al., "Visualizing the PHATE of neural networks" (NeurIPS
 * 2019), on bundles with training checkpoints (specs/mphate.md §3–§4):
 *
 * - training dynamics: the M-PHATE embedding of every traced hidden unit at every checkpoint,
 *   with its epoch, layer, unit and most-active class (L1: argmax over classes of Σ|pre-activation|
 *   over that class's trace samples, the demonstration script's norm);
 * - generalisation: one embedding per run; visualisation variance (Σ over epochs of the trace of
 *   the 2 × 2 covariance, ddof 1 as numpy.cov, of that epoch's points) against memorisation
 *   error (final validation − training loss, from the bundle's meta) with Spearman ρ (the
 *   paper: ρ < 0);
 * - continual learning: at each task switch, k-means (k = 3 … 8, `arSeeds` seeds each) of the
 *   embedded units at the last slice of task i and 3 slices into task i + 1; the mean adjusted
 *   Rand index between the two partitions, against final accuracy;
 * - baselines: PCA, t-SNE, Isomap and standard PHATE on the flattened tensor (no z-scoring,
 *   the reference's "naive" set), diffusion maps and Isomap on the multislice graph, beside
 *   M-PHATE, scored by intraslice and interslice neighbour preservation against the raw trace at
 *   k = 10 and 40. The reference's multislice t-SNE (on geodesic distances) is not computed.
 *
 * Output convention: embeddings follow PHATE ≥ 1.0 (centred, rotated, unit Frobenius norm
 * before the Procrustes scale), so visualisation variance is a relative spread (spec §6.7).
 */
import { adjustedRandIndex, kMeans } from "../algo/clustering.ts";
import { isomap } from "../algo/isomap.ts";
import { spearman, pearson } from "../algo/metrics.ts";
import { mostActiveClass, mphate, mphateDefaults, multisliceAffinity, type MphateResult, type UnitTensor } from "../algo/mphate.ts";
import { classicalMds } from "../algo/mds.ts";
import { shortestPaths } from "../algo/geodesic.ts";
import { pca } from "../algo/pca.ts";
import { diffusionMap, phate } from "../algo/phate.ts";
import { tsne } from "../algo/tsne.ts";
import { HiddenAtlasError } from "../core/errors.ts";
import type { Matrix } from "../core/matrix.ts";
import { checkInteger, checkOptionNames } from "../core/params.ts";
import type { RunOptions } from "../core/progress.ts";
import { checkSeed } from "../core/random.ts";
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
  intersliceKnn?: number;
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
  intersliceKnn: mphateDefaults.intersliceKnn,
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
  nLandmarks: number;
  warnings: string[];
}

export function resolveMphateStudyParams(params: MphateStudyParams = {}): ResolvedMphateStudyParams {
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

/** The units-over-training tensor of a bundle's checkpoints (layers stacked in order). */
export function tensorFromBundle(bundle: AnalysisBundle, params: Pick<ResolvedMphateStudyParams, "layers" | "epochStride" | "unitStride">): BundleTensor {
  const checkpoints = bundle.checkpoints ?? [];
  if (checkpoints.length < 2) {
    throw new HiddenAtlasError("E_PARAM", `${bundle.name} has ${checkpoints.length} checkpoint(s); M-PHATE needs a bundle with training checkpoints (manifest "checkpoints", at least 2)`);
  }
  const available = checkpoints[0].layers.map((l) => l.name);
  const layerNames = params.layers.length ? params.layers : available;
  for (const name of layerNames) {
    if (!available.includes(name)) throw new HiddenAtlasError("E_PARAM", `invalid layers: ${JSON.stringify(name)} (the checkpoints hold ${available.join(", ")})`);
  }
  const kept: number[] = [];
  for (let c = 0; c < checkpoints.length; c += params.epochStride) kept.push(c);
  if (kept[kept.length - 1] !== checkpoints.length - 1) kept.push(checkpoints.length - 1);
  const samples = checkpoints[0].layers.find((l) => l.name === layerNames[0])!.shape[0];
  const unitLayer: number[] = [];
  const unitIndex: number[] = [];
  for (const [li, name] of layerNames.entries()) {
    const layer = checkpoints[0].layers.find((l) => l.name === name)!;
    const width = layer.data.length / samples;
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
        throw new HiddenAtlasError("E_SHAPE_MISMATCH", `checkpoint ${checkpoints[c].epoch} of ${bundle.name}: layer ${layerNames[unitLayer[q]]} is missing or does not hold ${samples} trace samples`);
      }
      const width = layer.data.length / samples;
      const u = unitIndex[q];
      for (let s = 0; s < samples; s++) data[(tau * m + q) * samples + s] = layer.data[s * width + u];
    }
  }
  const traceLabels = new Int32Array(samples).fill(-1);
  if (bundle.labels) {
    for (let s = 0; s < samples; s++) traceLabels[s] = bundle.trace ? bundle.labels[bundle.trace[s]] : bundle.labels[s];
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
  return { intrasliceKnn: p.intrasliceKnn, intersliceKnn: p.intersliceKnn, decay: p.decay, t: p.t, gamma: p.gamma, nLandmark: p.nLandmark, seed: p.seed, ...run };
}

/** M-PHATE of one bundle, with the labels every figure colours by. */
export async function trainingDynamics(bundle: AnalysisBundle, params: MphateStudyParams = {}, run: RunOptions = {}): Promise<DynamicsEmbedding> {
  const p = resolveMphateStudyParams(params);
  const bt = tensorFromBundle(bundle, p);
  const result = await mphate(bt.tensor, embedOptions(p, run));
  return describe(bundle, bt, result);
}

function describe(bundle: AnalysisBundle, bt: BundleTensor, result: MphateResult): DynamicsEmbedding {
  const N = bt.tensor.epochs * bt.tensor.units;
  const classes = bundle.classNames?.length ?? (bt.traceLabels.length ? Math.max(...bt.traceLabels) + 1 : 0);
  const mostActive = classes > 0 && bt.traceLabels.every((l) => l >= 0) ? mostActiveClass(bt.tensor, bt.traceLabels, classes, "l1") : new Int32Array(N).fill(-1);
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
    nLandmarks: result.nLandmarks,
    warnings: result.warnings,
  };
}

/** Σ over epochs of trace(cov) of that epoch's embedded points (numpy.cov, ddof 1). */
export function visualizationVariance(run: Pick<DynamicsEmbedding, "embedding" | "epochs" | "units">): number {
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
  visualizationVariance: number;
  memorizationError: number;
  trainLoss: number;
  validationLoss: number;
}

export interface GeneralizationStudy {
  runs: GeneralizationRun[];
  /** Spearman ρ between visualisation variance and memorisation error over the runs. */
  spearman: number;
}

const metaNumber = (bundle: AnalysisBundle, key: string): number => {
  const v = bundle.meta?.[key];
  return typeof v === "number" ? v : NaN;
};

export async function generalizationStudy(bundles: AnalysisBundle[], params: MphateStudyParams = {}, run: RunOptions = {}): Promise<GeneralizationStudy> {
  const p = resolveMphateStudyParams(params);
  const runs: GeneralizationRun[] = [];
  for (const [r, bundle] of bundles.entries()) {
    const bt = tensorFromBundle(bundle, p);
    const onProgress = run.onProgress && ((e: { stage: string; done: number; total: number }) => run.onProgress!({ ...e, stage: `${bundle.name} (${r + 1}/${bundles.length}): ${e.stage}` }));
    const result = await mphate(bt.tensor, embedOptions(p, { signal: run.signal, onProgress }));
    const d = describe(bundle, bt, result);
    runs.push({
      ...d,
      variant: typeof bundle.meta?.variant === "string" ? bundle.meta.variant : bundle.name,
      visualizationVariance: visualizationVariance(d),
      memorizationError: metaNumber(bundle, "memorizationError"),
      trainLoss: metaNumber(bundle, "trainLoss"),
      validationLoss: metaNumber(bundle, "validationLoss"),
    });
  }
  const valid = runs.filter((r) => Number.isFinite(r.memorizationError));
  return { runs, spearman: valid.length >= 3 ? spearman(valid.map((r) => r.visualizationVariance), valid.map((r) => r.memorizationError)) : NaN };
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
export async function switchAri(embedding: Matrix, units: number, before: number, after: number, seeds: number, baseSeed: number): Promise<number> {
  const slice = (tau: number): Matrix => ({ rows: units, cols: embedding.cols, data: embedding.data.slice(tau * units * embedding.cols, (tau + 1) * units * embedding.cols) });
  const a = slice(before);
  const b = slice(after);
  let total = 0;
  let count = 0;
  for (const k of ARI_KS) {
    if (k >= units) continue;
    for (let s = 0; s < seeds; s++) {
      const seed = baseSeed + 1000 * k + s;
      const la = (await kMeans(a, { k, seed })).labels;
      const lb = (await kMeans(b, { k, seed })).labels;
      total += adjustedRandIndex(la, lb);
      count++;
    }
  }
  return total / count;
}

export async function continualStudy(bundles: AnalysisBundle[], params: MphateStudyParams & { ariSeeds?: number } = {}, run: RunOptions = {}): Promise<ContinualStudy> {
  const { ariSeeds = 20, ...rest } = params;
  const seeds = checkInteger("ariSeeds", ariSeeds, 1, 1000);
  const p = resolveMphateStudyParams(rest);
  const runs: ContinualRun[] = [];
  for (const [r, bundle] of bundles.entries()) {
    const steps = Array.isArray(bundle.meta?.taskSwitchSteps) ? (bundle.meta!.taskSwitchSteps as number[]) : [];
    if (steps.length < 2) throw new HiddenAtlasError("E_PARAM", `${bundle.name}: meta.taskSwitchSteps (the training steps at which tasks switch) is missing; continual learning needs it`);
    // Keep every checkpoint (the switch slices must exist); stride applies to units only.
    const bt = tensorFromBundle(bundle, { ...p, epochStride: 1 });
    const onProgress = run.onProgress && ((e: { stage: string; done: number; total: number }) => run.onProgress!({ ...e, stage: `${bundle.name} (${r + 1}/${bundles.length}): ${e.stage}` }));
    const result = await mphate(bt.tensor, embedOptions(p, { signal: run.signal, onProgress }));
    const d = describe(bundle, bt, result);
    const switches: TaskSwitch[] = [];
    for (const step of steps.slice(1)) {
      const before = bt.epochs.indexOf(step);
      if (before < 0) continue;
      const after = Math.min(bt.epochs.length - 1, before + SLICE_OFFSET);
      switches.push({ step, before: bt.epochs[before], after: bt.epochs[after], ari: await switchAri(d.embedding, bt.tensor.units, before, after, seeds, p.seed) });
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
    pearson: runs.length >= 3 ? pearson(runs.map((r) => r.meanAri), runs.map((r) => r.finalAccuracy)) : NaN,
    params: { ks: ARI_KS, seeds, sliceOffset: SLICE_OFFSET },
  };
}

export interface BaselineScore {
  method: string;
  /** What it was run on. */
  input: string;
  intraslice: { k10: number; k40: number };
  interslice: { k10: number; k40: number };
  embedding: Matrix;
}

export interface BaselineStudy {
  name: string;
  epochs: number[];
  units: number;
  scores: BaselineScore[];
  /** What was not computed, and why. */
  notes: string[];
}

/** Mean fraction of shared k nearest neighbours between X and Y rows, over groups of rows. */
export function neighborPreservation(X: Matrix, Y: Matrix, groups: Int32Array[], k: number): number {
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

/**
 * M-PHATE beside PCA, t-SNE, Isomap and PHATE of the flattened raw tensor, scored by intraslice
 * (units within an epoch) and interslice (a unit across epochs) neighbour preservation.
 */
export async function baselineStudy(bundle: AnalysisBundle, params: MphateStudyParams = {}, run: RunOptions = {}): Promise<BaselineStudy> {
  const p = resolveMphateStudyParams(params);
  const bt = tensorFromBundle(bundle, p);
  const { epochs: n, units: m, samples } = bt.tensor;
  const raw: Matrix = { rows: n * m, cols: samples, data: bt.tensor.data };
  const intra = Array.from({ length: n }, (_, tau) => Int32Array.from({ length: m }, (_, i) => tau * m + i));
  const inter = Array.from({ length: m }, (_, i) => Int32Array.from({ length: n }, (_, tau) => tau * m + i));
  const stage = (name: string) => run.onProgress && ((e: { stage: string; done: number; total: number }) => run.onProgress!({ ...e, stage: `${name}: ${e.stage}` }));
  const opts = (name: string) => ({ signal: run.signal, onProgress: stage(name) });
  const embeddings: { method: string; input: string; embedding: Matrix }[] = [];
  embeddings.push({ method: "M-PHATE", input: "multislice graph (z-scored)", embedding: (await mphate(bt.tensor, embedOptions(p, opts("M-PHATE")))).embedding });
  embeddings.push({ method: "PCA", input: "flattened raw tensor", embedding: (await pca(raw, { nComponents: 2, ...opts("PCA") })).scores });
  embeddings.push({ method: "t-SNE", input: "flattened raw tensor", embedding: (await tsne(raw, { seed: p.seed, ...opts("t-SNE") })).coordinates });
  embeddings.push({ method: "Isomap", input: "flattened raw tensor", embedding: (await isomap(raw, { seed: p.seed, ...opts("Isomap") })).coordinates });
  embeddings.push({ method: "PHATE", input: "flattened raw tensor", embedding: (await phate(raw, { seed: p.seed, nLandmark: p.nLandmark, ...opts("PHATE") })).embedding });
  // Multislice baselines on M-PHATE's own graph (m_phate scripts/comparison_plot.py).
  const { affinity } = await multisliceAffinity(bt.tensor, { intrasliceKnn: p.intrasliceKnn, intersliceKnn: p.intersliceKnn, decay: p.decay, ...opts("multislice graph") });
  embeddings.push({ method: "DM", input: "multislice graph", embedding: (await diffusionMap(affinity, { seed: p.seed, ...opts("DM") })).embedding });
  // Isomap on the graph: shortest paths with edge length −log(affinity), unreachable → the largest finite distance, then classical MDS.
  const lengths = Float32Array.from(affinity.values, (v) => Math.max(0, -Math.log(v)));
  const paths = await shortestPaths({ n: affinity.n, rowPtr: affinity.rowPtr, columns: affinity.columns, values: lengths }, { sources: Int32Array.from({ length: affinity.n }, (_, i) => i), ...opts("Isomap (graph)") });
  let largest = 0;
  for (const v of paths.data) if (Number.isFinite(v) && v > largest) largest = v;
  const geodesic = { rows: affinity.n, cols: affinity.n, data: paths.data.map((v) => (Number.isFinite(v) ? v : largest)) };
  for (let a = 0; a < affinity.n; a++) for (let b = a + 1; b < affinity.n; b++) geodesic.data[b * affinity.n + a] = geodesic.data[a * affinity.n + b];
  embeddings.push({ method: "Isomap", input: "multislice graph (−log affinity paths)", embedding: (await classicalMds(geodesic, { seed: p.seed, ...opts("Isomap (graph)") })).coordinates });
  const scores = embeddings.map(({ method, input, embedding }) => ({
    method,
    input,
    embedding,
    intraslice: { k10: neighborPreservation(raw, embedding, intra, 10), k40: neighborPreservation(raw, embedding, intra, 40) },
    interslice: { k10: neighborPreservation(raw, embedding, inter, 10), k40: neighborPreservation(raw, embedding, inter, 40) },
  }));
  return {
    name: bundle.name,
    epochs: bt.epochs,
    units: m,
    scores,
    notes: [
      "t-SNE on the multislice graph's geodesic distances (the reference's third multislice baseline) is not computed: our t-SNE takes coordinates, not a precomputed metric.",
      ...(n - 1 < 40 ? [`k = 40 interslice is capped at epochs − 1 = ${n - 1}.`] : []),
    ],
  };
}

/** How the points of an M-PHATE scatter are coloured. */
export const MPHATE_COLOR_BY = ["epoch", "layer", "mostActive"] as const;
export type MphateColorBy = (typeof MPHATE_COLOR_BY)[number];

/** The generalisation study embeds its eight runs on this many landmarks each (the notebook stays interactive). */
const GENERALIZATION_LANDMARKS = 400;
/** The continual-learning runs: κ = 12 as the paper embeds them, on 500 landmarks. */
const CONTINUAL_INTERSLICE_KNN = 12;
const CONTINUAL_LANDMARKS = 500;
/** Baselines run t-SNE and Isomap on every point, so they use every 5th checkpoint. */
const BASELINE_EPOCH_STRIDE = 5;

const tracedLayers = (b: AnalysisBundle) => b.checkpoints?.[0]?.layers.map((l) => l.name) ?? [];

/** The parameter table (see descriptor.ts): the multislice graph and PHATE, then what is drawn. */
const params = {
  layers: { type: "layers", from: "checkpoints", default: [], defaultDoc: "every traced layer", label: "Which units (layers)", doc: "Traced layers whose units are embedded (all by default)." },
  epochStride: {
    type: "integer", min: 1, default: 2, label: "Every k-th checkpoint", unit: "checkpoints", doc: "Keep every k-th checkpoint (the last one always kept).", control: { max: 10 },
    reference: "M-PHATE embeds every epoch; every 2nd halves the points and keeps a notebook run to seconds (set 1 for every checkpoint).",
  },
  unitStride: { type: "integer", min: 1, default: 1, label: "Every k-th unit", unit: "units", doc: "Keep every k-th unit of each layer." },
  intrasliceKnn: { type: "integer", min: 1, default: mphateDefaults.intrasliceKnn, label: "Intraslice knn", doc: "Neighbours of a unit among the units of its own checkpoint (the adaptive kernel's bandwidth).", control: { max: 10 } },
  intersliceKnn: { type: "integer", min: 1, default: mphateDefaults.intersliceKnn, label: "Interslice knn (κ)", doc: "Sets the bandwidth joining a unit to itself across checkpoints: the distance to its κ-th nearest own checkpoint.", control: { max: 50 } },
  decay: { type: "number", min: 0, exclusiveMin: true, default: mphateDefaults.decay, label: "Decay (α)", doc: "Exponent of the α-decaying kernel: larger values cut affinities off faster.", control: { min: 1, max: 40, step: 1 } },
  t: { type: "integer", min: 1, auto: true, default: "auto", label: "Diffusion time t", doc: "Steps of the diffusion; \"auto\" takes the knee of the von Neumann entropy.", control: { max: 100 } },
  gamma: { type: "number", min: -1, max: 1, default: mphateDefaults.gamma, label: "Potential γ", doc: "Informational distance: γ = 1 the log potential, γ = 0 the square root (M-PHATE's choice).", control: { step: 0.5 } },
  nLandmark: { type: "integer", min: 2, default: mphateDefaults.nLandmark, label: "Landmarks", unit: "points", doc: "Above this many points the diffusion runs on landmarks (spectral clusters)." },
  seed: { type: "integer", min: 0, max: Number.MAX_SAFE_INTEGER, default: mphateDefaults.seed, label: "Seed", doc: "Seed of the landmarks and of metric MDS.", control: { input: "number", max: 2 ** 31 - 1 } },
  baselines: { type: "boolean", default: false, label: "Compute baselines", doc: "Also embed the run with PCA, t-SNE, Isomap, PHATE and the multislice baselines, and score them all (slow: runs on request)." },
  ariSeeds: { type: "integer", min: 1, max: 1000, default: 5, label: "k-means seeds per k", doc: "Seeds of k-means per k when measuring how much of the units' structure survives a task switch.", control: { max: 20 } },
  colorBy: { type: "keyword", role: "view", choices: MPHATE_COLOR_BY, default: "epoch", label: "Colour by", labels: { epoch: "epoch", layer: "layer", mostActive: "most-active class (L1)" }, control: { input: "radio" }, doc: "What colours the units: their checkpoint, their layer, or the class they answer to most." },
  trajectories: { type: "boolean", role: "view", default: true, label: "Unit trajectories", doc: "Join each unit's checkpoints with a line." },
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
  return { layers: p.layers, epochStride: p.epochStride, unitStride: p.unitStride, intrasliceKnn: p.intrasliceKnn, intersliceKnn: p.intersliceKnn, decay: p.decay, t: p.t, gamma: p.gamma, nLandmark: p.nLandmark, seed: p.seed };
}

const embedding = ["layers", "epochStride", "unitStride", "intrasliceKnn", "intersliceKnn", "decay", "t", "gamma", "nLandmark", "seed"] as const;
/** The bundles of a multi-bundle study, named by their keys in the step's args ("k1,k2,…"). */
const runsOf = (args: StepArgs, others: (key: string) => AnalysisBundle) => String(args.runs ?? "").split(",").filter(Boolean).map(others);

/**
 * The descriptor. `dynamics` and `baselines` read the bundle; `generalization` and `continual`
 * are studies over other bundles (the eight generalisation runs, the two continual-learning
 * runs), named in their args.
 */
export const mphateDescriptor = defineAnalysis<typeof params, MphateAnalysisResult>({
  name: "mphate",
  title: "M-PHATE: hidden units over training",
  question: "How do hidden units evolve over training, as one Multislice PHATE embedding of every unit at every checkpoint; what do generalisation and catastrophic forgetting look like?",
  papers: [{ citation: "Gigante et al., NeurIPS 2019", title: "Visualizing the PHATE of neural networks", url: "https://arxiv.org/abs/1908.02831" }],
  params,
  check(_p, bundle) {
    if (!bundle.checkpoints?.length) throw new HiddenAtlasError("E_PARAM", `mphate needs a bundle with training checkpoints; ${JSON.stringify(bundle.name)} has none`);
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
      weight: 8,
      stages: 8,
      async run({ bundle, params: p, options }) {
        return p.baselines ? baselineStudy(bundle, { ...studyParams(p), epochStride: BASELINE_EPOCH_STRIDE }, options) : null;
      },
    },
    generalization: {
      label: "embedding the eight generalisation runs",
      uses: ["intrasliceKnn", "intersliceKnn", "decay", "gamma", "seed"],
      weight: 8,
      stages: 32,
      async run({ params: p, args, options, others }) {
        const { intrasliceKnn, intersliceKnn, decay, gamma, seed } = p;
        return generalizationStudy(runsOf(args, others), { intrasliceKnn, intersliceKnn, decay, gamma, seed, nLandmark: GENERALIZATION_LANDMARKS }, options);
      },
    },
    continual: {
      label: "embedding the continual-learning runs",
      uses: ["intrasliceKnn", "decay", "gamma", "seed", "ariSeeds"],
      weight: 4,
      stages: 8,
      async run({ params: p, args, options, others }) {
        const { intrasliceKnn, decay, gamma, seed, ariSeeds } = p;
        return continualStudy(runsOf(args, others), { intrasliceKnn, intersliceKnn: CONTINUAL_INTERSLICE_KNN, decay, gamma, seed, nLandmark: CONTINUAL_LANDMARKS, ariSeeds }, options);
      },
    },
    result: {
      label: "M-PHATE",
      uses: [],
      needs: () => [["dynamics", {}], ["baselines", {}]],
      weight: 0,
      async run({ params: p, need }): Promise<MphateAnalysisResult> {
        return { dynamics: await need<DynamicsEmbedding>("dynamics"), baselines: await need<BaselineStudy | null>("baselines"), params: p };
      },
    },
  },
  result: "result",
});

/** Training dynamics (and baselines when asked) of a bundle with checkpoints: `await mphateAnalysis(bundle, {epochStride: 2})`. */
export function mphateAnalysis(bundle: AnalysisBundle, params: MphateParams = {}, options: RunOptions = {}): Promise<MphateAnalysisResult> {
  return runAnalysis(mphateDescriptor, bundle, params, options);
}
