/**
 * The `mda` analysis: Islam et al., "Revealing hidden patterns in deep neural network feature
 * space continuum via manifold learning" (Nat. Commun. 2023).
 *
 * For each layer (and, when the bundle has checkpoints, before training as well as after) the
 * layer's vectors are laid out in 2-D by MDA beside t-SNE, UMAP, PCA, Isomap and a control,
 * UMAP supervised by the same predictions MDA groups by (umap-learn's `fit(X, y)`), which shows
 * how much of MDA's order comes from the supervision rather than from the features. Each layout
 * is scored by
 * - the paper's geodesic-distance correlation (Pearson and Spearman between shortest paths on
 *   the k-NN graphs of the features and of the layout, same k; graphs in pieces joined as
 *   Isomap, with the share of pairs that needed the join),
 * - target continuity (Spearman between geodesic distance along the layout and |Δtarget|) and
 *   the leave-one-out 5-NN R² (regression) or accuracy (classification) of the target from the
 *   layout (`targetContinuity`, `leaveOneOutKnn` in src/algo/metrics.ts define both exactly),
 * - trustworthiness (k = 10) and, for classification, 5-NN accuracy under stratified 5-fold
 *   cross-validation.
 * MDA's groups come from the network's *predictions* at that stage (for the untrained network:
 * the checkpoint's output layer): for regression the predicted values; for classification the
 * predicted labels (argmax), one group per predicted class, as the reference's classification
 * use (probability rows are available with `classOutputs: "probabilities"`). The colour and the
 * continuity target are the *targets* (regression) or the labels (classification).
 *
 * @example
 *   const result = await mda(bundle, {layers: ["fc"], maxPoints: 600});
 *   result.panels[0].correlation.mda.pearson;
 *   result.panels[0].continuity.mda.spearman;
 */
import {
  discoverManifold,
  MANIFOLD_MODES,
  mda as mdaLayout,
  type ManifoldMode,
} from "../algo/mda.ts";
import { embed } from "../algo/embed.ts";
import {
  geodesicCorrelation,
  knnAccuracy,
  leaveOneOutKnn,
  targetContinuity,
  trustworthiness,
  type GeodesicCorrelation,
  type LeaveOneOutKnn,
  type TargetContinuity,
} from "../algo/metrics.ts";
import { seededRows } from "../algo/subsample.ts";
import { umap } from "../algo/umap.ts";
import {
  layerMatrix,
  VECTORIZATIONS,
  type LayerData,
  type Vectorization,
} from "../algo/vectorize.ts";
import { HiddenAtlasError } from "../core/errors.ts";
import { takeRows, type Matrix } from "../core/matrix.ts";
import { checkInteger, checkKeyword, checkNumber, checkOptionNames } from "../core/params.ts";
import { ProgressTracker, type RunOptions } from "../core/progress.ts";
import { DEFAULT_SEED, checkSeed, seedPlus } from "../core/random.ts";
import { argmaxRows, classNamesOf, type AnalysisBundle } from "./columns.ts";
import { defineAnalysis, type Resolved, type StepArgs } from "./descriptor.ts";
import { runAnalysis } from "./runner.ts";
import { seedSpread, type SeedSpread } from "./seed-study.ts";
import { Warnings } from "../core/warnings.ts";

export type { SeedSpread };

export type { GeodesicCorrelation };

export const MDA_METHODS = ["mda", "tsne", "umap", "pca", "isomap", "umap-supervised"] as const;
export type MdaMethod = (typeof MDA_METHODS)[number];
export const MDA_STAGES = ["trained", "initial"] as const;
export type MdaStage = (typeof MDA_STAGES)[number];
/** What a classifier's MDA groups (and the supervised control) use: predicted labels or probability rows. */
export const MDA_CLASS_OUTPUTS = ["labels", "probabilities"] as const;
export type MdaClassOutputs = (typeof MDA_CLASS_OUTPUTS)[number];

export interface MdaAnalysisParams {
  /** Layers to lay out. Defaults to every layer of the bundle. */
  layers?: string[];
  /** Training stages: "trained" and, with checkpoints, "initial" (before training). Defaults to both when available. */
  stages?: MdaStage[];
  /** Methods shown. Defaults to all six (MDA, t-SNE, UMAP, PCA, Isomap, supervised UMAP). */
  methods?: MdaMethod[];
  /** How conv maps become vectors. Defaults to "flatten" (the paper flattens, then PCA). */
  vectorize?: Vectorization;
  /** Seeded subsample of the samples: a count, or "all" (default). */
  maxPoints?: number | "all";
  /** k of the geodesic-correlation graphs (both spaces). Defaults to 10. */
  k?: number;
  /**
   * MDA: number of groups, or "auto" (default): NumPy's 'auto' bins of the output manifold (the
   * reference) for regression; one group per predicted class for classification.
   */
  groups?: number | "auto";
  /**
   * Classification: what MDA groups by and the control is supervised with. "labels" (default):
   * the predicted class (argmax of the predictions), the reference's classification input;
   * "probabilities": the prediction rows themselves (groups by distance from a one-hot endpoint,
   * which mostly separates that endpoint's class from the rest).
   */
  classOutputs?: MdaClassOutputs;
  /** Supervised-UMAP control: weight of the predictions against the features, 0 … 1. Defaults to 0.5 (umap-learn `target_weight`). */
  targetWeight?: number;
  /** MDA: projection dimension R. Defaults to 16. */
  components?: number;
  /** MDA: BSDR sweeps. Defaults to 200. */
  iterations?: number;
  /** MDA: output-manifold distance. Defaults to "euclidean" (released code). */
  mode?: ManifoldMode;
  /** t-SNE perplexity. Defaults to 30. */
  perplexity?: number;
  /** UMAP neighbours (also MDA's layout). Defaults to 15. */
  nNeighbors?: number;
  /** Isomap neighbours. Defaults to 10. */
  isomapNeighbors?: number;
  seed?: number;
}

export const mdaAnalysisDefaults = {
  layers: [] as string[],
  stages: [] as MdaStage[],
  methods: [...MDA_METHODS] as MdaMethod[],
  vectorize: "flatten" as Vectorization,
  maxPoints: "all" as number | "all",
  k: 10,
  groups: "auto" as number | "auto",
  classOutputs: "labels" as MdaClassOutputs,
  targetWeight: 0.5,
  components: 16,
  iterations: 200,
  mode: "euclidean" as ManifoldMode,
  perplexity: 30,
  nNeighbors: 15,
  isomapNeighbors: 10,
  seed: DEFAULT_SEED,
};
export type ResolvedMdaParams = typeof mdaAnalysisDefaults;

export interface MdaPanel {
  layer: string;
  stage: MdaStage;
  /** Vector length of the layer's features. */
  dimension: number;
  /** 2-D layout of each method, rows = `samples`. */
  embeddings: Partial<Record<MdaMethod, Matrix>>;
  /** Geodesic-distance correlation with the features; `affectedFraction` = pairs joined across graph pieces. */
  correlation: Partial<Record<MdaMethod, GeodesicCorrelation>>;
  trustworthiness: Partial<Record<MdaMethod, number>>;
  /** 5-NN accuracy of each layout (classification only). */
  accuracy: Partial<Record<MdaMethod, number>>;
  /** Target continuity of each layout: Spearman(layout geodesic distance, |Δtarget|) (`targetContinuity`). */
  continuity: Partial<Record<MdaMethod, TargetContinuity>>;
  /** Leave-one-out 5-NN R² (regression) or accuracy (classification) of the target from each layout. */
  targetKnn: Partial<Record<MdaMethod, LeaveOneOutKnn>>;
  /** MDA's groups (1 … bins + 1) from the stage's predictions. */
  groups: Int32Array | null;
  /** What MDA's groups and the control's supervision were made from at this stage. */
  supervision: string;
  warnings: string[];
}

export interface MdaColor {
  title: string;
  type: "categorical" | "continuous";
  /** One value per analysed sample. */
  values: Float64Array;
  classNames?: string[];
}

export interface MdaAnalysisResult {
  task: "classification" | "regression";
  /** Bundle rows analysed, ascending. */
  samples: Int32Array;
  color: MdaColor;
  panels: MdaPanel[];
  params: ResolvedMdaParams;
  notes: string[];
  /** Every panel's warnings, named by layer and stage, each once with how often it was raised. */
  warnings: string[];
  /** Every layout and score again at other embedding seeds (`seedRuns` ≥ 2), else null or absent. */
  seeds?: MdaSeedStudy | null;
}

export function resolveMdaParams(
  bundle: AnalysisBundle,
  params: MdaAnalysisParams = {},
): ResolvedMdaParams {
  checkOptionNames("mda", params, mdaAnalysisDefaults, []);
  const names = bundle.layers.map((l) => l.name);
  const layers = params.layers && params.layers.length ? params.layers : names;
  for (const name of layers) {
    if (!names.includes(name))
      throw new HiddenAtlasError(
        "E_PARAM",
        `invalid layers: ${JSON.stringify(name)} (expected some of ${names.join(", ")})`,
      );
  }
  if (!bundle.predictions) {
    throw new HiddenAtlasError(
      "E_PARAM",
      `mda groups samples by the network's predictions; bundle ${bundle.name} has none`,
    );
  }
  if (bundle.task === "regression" && !bundle.targets) {
    throw new HiddenAtlasError(
      "E_PARAM",
      `mda colours a regression bundle by its targets; bundle ${bundle.name} has none`,
    );
  }
  const hasInitial = (bundle.checkpoints?.length ?? 0) > 0 && !bundle.trace;
  const stages =
    params.stages && params.stages.length
      ? params.stages
      : hasInitial
        ? ["trained", "initial"]
        : ["trained"];
  for (const s of stages) {
    checkKeyword("stages", s, MDA_STAGES);
    if (s === "initial" && !hasInitial)
      throw new HiddenAtlasError(
        "E_PARAM",
        `invalid stages: "initial" (bundle ${bundle.name} has no checkpoint of every sample)`,
      );
  }
  const methods = params.methods && params.methods.length ? params.methods : [...MDA_METHODS];
  for (const m of methods) checkKeyword("methods", m, MDA_METHODS);
  const maxPoints = params.maxPoints ?? "all";
  if (maxPoints !== "all") checkInteger("maxPoints", maxPoints, 20);
  const groups = params.groups ?? "auto";
  if (groups !== "auto") checkInteger("groups", groups, 1);
  if (bundle.task === "classification" && !bundle.labels) {
    throw new HiddenAtlasError(
      "E_PARAM",
      `mda colours a classification bundle by its labels; bundle ${bundle.name} has none`,
    );
  }
  return {
    layers,
    stages: stages as MdaStage[],
    methods,
    vectorize: checkKeyword(
      "vectorize",
      params.vectorize ?? mdaAnalysisDefaults.vectorize,
      VECTORIZATIONS,
    ),
    maxPoints,
    k: checkInteger("k", params.k ?? mdaAnalysisDefaults.k, 1, 256),
    groups,
    classOutputs: checkKeyword(
      "classOutputs",
      params.classOutputs ?? mdaAnalysisDefaults.classOutputs,
      MDA_CLASS_OUTPUTS,
    ),
    targetWeight: checkNumber(
      "targetWeight",
      params.targetWeight ?? mdaAnalysisDefaults.targetWeight,
      0,
      1,
    ),
    components: checkInteger("components", params.components ?? mdaAnalysisDefaults.components, 1),
    iterations: checkInteger("iterations", params.iterations ?? mdaAnalysisDefaults.iterations, 0),
    mode: checkKeyword("mode", params.mode ?? mdaAnalysisDefaults.mode, MANIFOLD_MODES),
    perplexity: checkNumber(
      "perplexity",
      params.perplexity ?? mdaAnalysisDefaults.perplexity,
      0,
      Infinity,
      { exclusiveMin: true },
    ),
    nNeighbors: checkInteger(
      "nNeighbors",
      params.nNeighbors ?? mdaAnalysisDefaults.nNeighbors,
      2,
      256,
    ),
    isomapNeighbors: checkInteger(
      "isomapNeighbors",
      params.isomapNeighbors ?? mdaAnalysisDefaults.isomapNeighbors,
      1,
      256,
    ),
    seed: checkSeed(params.seed ?? mdaAnalysisDefaults.seed),
  };
}

/** The analysed rows: all, or a seeded sample of maxPoints, ascending. */
export async function mdaSamples(
  bundle: AnalysisBundle,
  p: ResolvedMdaParams,
): Promise<Int32Array> {
  const n = bundle.samples;
  return seededRows(n, p.maxPoints === "all" ? n : p.maxPoints, p.seed);
}

function softmaxRows(m: Matrix): Matrix {
  const out = new Float32Array(m.data.length);
  for (let i = 0; i < m.rows; i++) {
    let max = -Infinity;
    for (let j = 0; j < m.cols; j++) max = Math.max(max, m.data[i * m.cols + j]);
    let sum = 0;
    for (let j = 0; j < m.cols; j++)
      sum += out[i * m.cols + j] = Math.exp(m.data[i * m.cols + j] - max);
    for (let j = 0; j < m.cols; j++) out[i * m.cols + j] /= sum;
  }
  return { rows: m.rows, cols: m.cols, data: out };
}

/** The colour of every analysed sample: normalised target manifold distance, or the label. */
export async function mdaColor(bundle: AnalysisBundle, samples: Int32Array): Promise<MdaColor> {
  if (bundle.task === "classification" && bundle.labels) {
    return {
      title: "label",
      type: "categorical",
      values: Float64Array.from(samples, (i) => bundle.labels![i]),
      classNames: classNamesOf(bundle),
    };
  }
  const targets = takeRows(bundle.targets!, samples);
  const manifold = await discoverManifold(targets);
  return {
    title: "normalised target manifold distance",
    type: "continuous",
    values: manifold.normalized,
  };
}

/** The layer's activations at a stage (the checkpoint before training for "initial"). */
function stageLayer(bundle: AnalysisBundle, layer: string, stage: MdaStage): LayerData {
  if (stage === "trained") return bundle.layers.find((l) => l.name === layer)!;
  const first = bundle.checkpoints![0];
  const found = first.layers.find((l) => l.name === layer);
  if (!found)
    throw new HiddenAtlasError(
      "E_PARAM",
      `the first checkpoint of ${bundle.name} has no layer ${JSON.stringify(layer)}`,
    );
  return found;
}

/**
 * The network outputs at a stage: the predictions once trained; before training, the
 * checkpoint's copy of the bundle's last layer when it has the predictions' width (softmax for
 * classification), as that layer is the output.
 */
async function stageOutputs(
  bundle: AnalysisBundle,
  stage: MdaStage,
  samples: Int32Array,
  notes: string[],
): Promise<Matrix> {
  const predictions = bundle.predictions!;
  if (stage === "trained") return takeRows(predictions, samples);
  const last = bundle.layers[bundle.layers.length - 1];
  const early = bundle.checkpoints![0].layers.find((l) => l.name === last.name);
  if (early) {
    const m = await layerMatrix(early, { method: "flatten" });
    if (m.cols === predictions.cols)
      return takeRows(bundle.task === "classification" ? softmaxRows(m) : m, samples);
  }
  notes.push(
    "before training: no checkpoint output layer, so MDA's groups use the trained predictions",
  );
  return takeRows(predictions, samples);
}

/**
 * Predicted class of every row: the argmax (ties to the lower class). A single column holds
 * class indices when every value is an integer, else the probability of class 1 (≥ 0.5 → 1).
 */
export function predictedLabels(outputs: Matrix): Int32Array {
  const { rows, cols, data } = outputs;
  const labels = new Int32Array(rows);
  if (cols === 1) {
    const integral = data.every((v) => Number.isInteger(v) && v >= 0);
    for (let i = 0; i < rows; i++) labels[i] = integral ? data[i] : data[i] >= 0.5 ? 1 : 0;
    return labels;
  }
  labels.set(argmaxRows(outputs));
  return labels;
}

/** What MDA groups by and the control is supervised with, at one stage. */
interface Supervision {
  /** MDA's outputs: predictions (regression), N × 1 predicted labels or probability rows (classification). */
  outputs: Matrix;
  /** The control's target and how umap reads it. */
  target: Matrix | Int32Array;
  targetMetric: "categorical" | "euclidean";
  /** MDA's group rule. */
  groups: number | "auto" | "distinct";
  description: string;
}

async function stageSupervision(
  bundle: AnalysisBundle,
  stage: MdaStage,
  p: ResolvedMdaParams,
  samples: Int32Array,
  notes: string[],
): Promise<Supervision> {
  const outputs = await stageOutputs(bundle, stage, samples, notes);
  if (bundle.task === "regression" || p.classOutputs === "probabilities") {
    return {
      outputs,
      target: outputs,
      targetMetric: "euclidean",
      groups: p.groups,
      description:
        bundle.task === "regression" ? "predicted values" : "predicted class probabilities",
    };
  }
  const labels = predictedLabels(outputs);
  const column: Matrix = { rows: labels.length, cols: 1, data: Float32Array.from(labels) };
  return {
    outputs: column,
    target: labels,
    targetMetric: "categorical",
    groups: p.groups === "auto" ? "distinct" : p.groups,
    description: "predicted labels",
  };
}

/** One layer at one stage: every method's layout and scores. */
export async function mdaPanel(
  bundle: AnalysisBundle,
  layer: string,
  stage: MdaStage,
  p: ResolvedMdaParams,
  samples: Int32Array,
  run: RunOptions = {},
  notes: string[] = [],
): Promise<MdaPanel> {
  const full = await layerMatrix(stageLayer(bundle, layer, stage), {
    method: p.vectorize,
    seed: p.seed,
  });
  const X = takeRows(full, samples);
  const n = X.rows;
  const warnings = new Warnings();
  const supervision = p.methods.some((m) => m === "mda" || m === "umap-supervised")
    ? await stageSupervision(bundle, stage, p, samples, notes)
    : null;
  const panel: MdaPanel = {
    layer,
    stage,
    dimension: X.cols,
    embeddings: {},
    correlation: {},
    trustworthiness: {},
    accuracy: {},
    continuity: {},
    targetKnn: {},
    groups: null,
    supervision: supervision?.description ?? "",
    warnings: [],
  };
  const classification = bundle.task === "classification";
  const labels = classification ? Int32Array.from(samples, (i) => bundle.labels![i]) : null;
  const target: Matrix | Int32Array = labels ?? takeRows(bundle.targets!, samples);
  const targetMetric = classification ? "categorical" : "euclidean";
  const progress = new ProgressTracker(run, `${layer} (${stage})`, p.methods.length);
  for (const [t, method] of p.methods.entries()) {
    let result: { coordinates: Matrix; warnings: string[] };
    const common = { seed: p.seed };
    const nNeighbors = Math.min(p.nNeighbors, n - 1);
    if (method === "mda") {
      const r = await mdaLayout(X, supervision!.outputs, {
        groups: supervision!.groups,
        components: p.components,
        iterations: p.iterations,
        mode: p.mode,
        nNeighbors,
        ...common,
        ...run,
      });
      panel.groups = r.manifold.groups;
      result = r;
    } else if (method === "umap-supervised") {
      result = await umap(X, {
        nNeighbors,
        target: supervision!.target,
        targetMetric: supervision!.targetMetric,
        targetWeight: p.targetWeight,
        ...common,
        ...run,
      });
    } else if (method === "tsne") {
      result = await embed(
        X,
        "tsne",
        { perplexity: Math.min(p.perplexity, (n - 1) / 3), ...common },
        run,
      );
    } else if (method === "umap") {
      result = await embed(X, "umap", { nNeighbors, ...common }, run);
    } else if (method === "pca") {
      result = await embed(X, "pca", { nComponents: Math.min(2, X.cols) }, run);
      // A one-unit layer (e.g. a regression output) has one component: draw it on a line.
      if (result.coordinates.cols === 1)
        result = { ...result, coordinates: padToTwoColumns(result.coordinates) };
    } else {
      result = await embed(
        X,
        "isomap",
        { nNeighbors: Math.min(p.isomapNeighbors, n - 1), ...common },
        run,
      );
    }
    warnings.addAll(result.warnings, `${method}: `);
    const Y = result.coordinates;
    panel.embeddings[method] = Y;
    const k = Math.min(p.k, n - 1);
    panel.correlation[method] = await geodesicCorrelation(X, Y, { k, signal: run.signal });
    panel.continuity[method] = await targetContinuity(Y, target, {
      k,
      targetMetric,
      signal: run.signal,
    });
    panel.targetKnn[method] = await leaveOneOutKnn(Y, target, {
      nNeighbors: Math.min(5, n - 1),
      targetMetric,
      signal: run.signal,
    });
    panel.trustworthiness[method] = await trustworthiness(X, Y, {
      nNeighbors: Math.min(10, Math.floor((n - 1) / 2)),
      signal: run.signal,
    });
    if (labels)
      panel.accuracy[method] = (
        await knnAccuracy(Y, labels, { seed: p.seed, signal: run.signal })
      ).accuracy;
    await progress.step(t + 1);
  }
  progress.finish();
  panel.warnings = warnings.list();
  return panel;
}

/** The panels' warnings, each named by its layer and stage (`Warnings` counts the repeats). */
function panelWarnings(panels: readonly MdaPanel[]): string[] {
  const w = new Warnings();
  for (const panel of panels)
    w.addAll(
      panel.warnings,
      `${panel.layer} (${panel.stage === "trained" ? "after training" : "before training"}), `,
    );
  return w.list();
}

/** The whole analysis: every requested layer × stage. */
export async function mda(
  bundle: AnalysisBundle,
  params: MdaAnalysisParams = {},
  run: RunOptions = {},
): Promise<MdaAnalysisResult> {
  const p = resolveMdaParams(bundle, params);
  const samples = await mdaSamples(bundle, p);
  const color = await mdaColor(bundle, samples);
  const notes: string[] = [];
  const panels: MdaPanel[] = [];
  for (const stage of p.stages) {
    for (const layer of p.layers)
      panels.push(await mdaPanel(bundle, layer, stage, p, samples, run, notes));
  }
  return {
    task: bundle.task,
    samples,
    color,
    panels,
    params: p,
    notes: [...new Set(notes)],
    warnings: panelWarnings(panels),
  };
}

/** n × 1 → n × 2 with a zero second column. */
function padToTwoColumns(Y: Matrix): Matrix {
  const data = new Float32Array(Y.rows * 2);
  for (let i = 0; i < Y.rows; i++) data[2 * i] = Y.data[i];
  return { rows: Y.rows, cols: 2, data };
}

/**
 * The layouts that depend on the seed: UMAP's SGD samples negatives (MDA's last step, UMAP, the
 * supervised control). t-SNE starts from PCA (scikit-learn's default init) and its gradient
 * descent draws nothing, so like PCA and Isomap it gives the same layout at every seed.
 */
export const STOCHASTIC_METHODS: readonly MdaMethod[] = ["mda", "umap", "umap-supervised"];

/** Every score of one method at one layer × stage, over the seeds. */
export interface MethodSpread {
  /** Geodesic-distance Pearson r, and the share of pairs joined across graph pieces. */
  pearson: SeedSpread;
  affected: SeedSpread;
  /** Target continuity ρ (`targetContinuity`) and its ceiling (classification). */
  continuity: SeedSpread;
  ceiling: number;
  /** Leave-one-out 5-NN R² (regression) or accuracy (classification) of the target from the layout. */
  targetKnn: SeedSpread;
  trustworthiness: SeedSpread;
  /** 5-NN accuracy under stratified 5-fold cross-validation (classification). */
  accuracy: SeedSpread | null;
}

/** The layouts and scores of the analysis repeated over embedding seeds, on the same samples. */
export interface MdaSeedStudy {
  /** The embedding seeds (the first is the analysis' own). */
  seeds: number[];
  /** Samples laid out (the analysis' seeded subsample, the same at every seed). */
  samples: number;
  task: "classification" | "regression";
  panels: {
    layer: string;
    stage: MdaStage;
    supervision: string;
    methods: Partial<Record<MdaMethod, MethodSpread>>;
  }[];
  /** Training seeds: other bundles of the same network this study could use (none so far). */
  trainingSeeds: string;
}

/**
 * Every layer × stage of `p` laid out at each of `seeds` (the same samples), the scores kept
 * and summarised per method; a deterministic method (PCA, Isomap) is run once and its spread is 0.
 */
export async function mdaSeedStudy(
  bundle: AnalysisBundle,
  p: ResolvedMdaParams,
  samples: Int32Array,
  seeds: number[],
  run: RunOptions = {},
  /** The panels at seeds[0] when they are already computed (the analysis' own). */
  first?: (layer: string, stage: MdaStage) => Promise<MdaPanel>,
): Promise<MdaSeedStudy> {
  const panels: MdaSeedStudy["panels"] = [];
  const total = p.stages.length * p.layers.length * seeds.length;
  let done = 0;
  for (const stage of p.stages) {
    for (const layer of p.layers) {
      const runs: MdaPanel[] = [];
      for (const [k, seed] of seeds.entries()) {
        run.onProgress?.({ stage: `${layer} (${stage}), seed ${seed}`, done: done++, total });
        const methods =
          k === 0 ? p.methods : p.methods.filter((m) => STOCHASTIC_METHODS.includes(m));
        runs.push(
          k === 0 && first
            ? await first(layer, stage)
            : await mdaPanel(bundle, layer, stage, { ...p, methods, seed }, samples, {
                signal: run.signal,
              }),
        );
      }
      const methods: Partial<Record<MdaMethod, MethodSpread>> = {};
      for (const m of p.methods) {
        const at = runs.filter((r) => r.correlation[m]);
        const spread = (get: (r: MdaPanel) => number) => seedSpread(at.map(get));
        methods[m] = {
          pearson: spread((r) => r.correlation[m]!.pearson),
          affected: spread((r) => r.correlation[m]!.affectedFraction),
          continuity: spread((r) => r.continuity[m]!.spearman),
          ceiling: at[0].continuity[m]!.ceiling,
          targetKnn: spread((r) => r.targetKnn[m]!.score),
          trustworthiness: spread((r) => r.trustworthiness[m]!),
          accuracy: at[0].accuracy[m] === undefined ? null : spread((r) => r.accuracy[m]!),
        };
      }
      panels.push({ layer, stage, supervision: runs[0].supervision, methods });
    }
  }
  run.onProgress?.({ stage: "embedding seeds", done: total, total });
  return { seeds, samples: samples.length, task: bundle.task, panels, trainingSeeds: "" };
}

const hasInitialStage = (b: AnalysisBundle) => (b.checkpoints?.length ?? 0) > 0 && !b.trace;
const defaultShownLayer = (b: AnalysisBundle) =>
  b.layers[Math.max(0, b.layers.length - 2)]?.name ?? "";

/** The parameter table (see descriptor.ts): which layouts, MDA's and each method's settings. */
const params = {
  layers: {
    type: "layers",
    default: [],
    defaultDoc: "every layer",
    label: "Layers",
    doc: "Layers laid out (all by default; the notebook asks for the one shown).",
  },
  stages: {
    type: "keywords",
    choices: MDA_STAGES,
    available: (b: AnalysisBundle) => (hasInitialStage(b) ? MDA_STAGES : ["trained"]),
    default: (b: AnalysisBundle) => (hasInitialStage(b) ? [...MDA_STAGES] : ["trained"]),
    defaultDoc: "both when the bundle has activations before training",
    label: "Stages",
    doc: "After training, and before training when the bundle has a checkpoint of every sample.",
  },
  methods: {
    type: "keywords",
    choices: MDA_METHODS,
    default: [...MDA_METHODS],
    label: "Methods",
    doc: "Layouts computed beside MDA.",
  },
  vectorize: {
    type: "keyword",
    choices: VECTORIZATIONS,
    default: "flatten",
    label: "Conv maps as",
    doc: "How a conv map becomes one vector (the paper flattens).",
    reference: "The released code flattens conv features.",
  },
  maxPoints: {
    type: "integer",
    min: 20,
    max: (b: AnalysisBundle) => Math.max(20, b.samples),
    default: (b: AnalysisBundle) => Math.min(600, b.samples),
    defaultDoc: "600 (or every sample of a smaller bundle)",
    label: "Points (seeded subsample)",
    unit: "samples",
    doc: "Samples laid out: geodesic scores cost O(n²), so a seeded subsample keeps every method to seconds.",
    control: { min: 100, max: (b: AnalysisBundle) => Math.min(2000, b.samples), step: 50 },
  },
  k: {
    type: "integer",
    min: 1,
    max: 256,
    default: mdaAnalysisDefaults.k,
    label: "k of the geodesic graphs",
    doc: "Neighbours of the k-NN graphs (features and layout) whose shortest paths the geodesic correlation compares.",
    control: { min: 3, max: 30 },
  },
  groups: {
    type: "integer",
    min: 1,
    auto: true,
    default: "auto",
    label: "MDA groups",
    doc: "Groups of the output manifold; \"auto\" uses NumPy's 'auto' histogram bins, as the reference.",
    control: { input: "select", options: [4, 8, 12, 16, 24, 32] },
  },
  classOutputs: {
    type: "keyword",
    choices: MDA_CLASS_OUTPUTS,
    default: "labels",
    label: "Classifier outputs as",
    labels: { labels: "predicted labels (reference)", probabilities: "probability rows" },
    doc: "What a classifier's MDA groups and the supervised control use: the predicted class (argmax, the reference's input) or the probability rows.",
  },
  targetWeight: {
    type: "number",
    min: 0,
    max: 1,
    default: 0.5,
    label: "Supervision weight",
    doc: "Weight of the predictions against the features in the supervised-UMAP control (umap-learn's target_weight).",
    control: { step: 0.05 },
  },
  components: {
    type: "integer",
    min: 1,
    max: 256,
    default: mdaAnalysisDefaults.components,
    label: "MDA projection R",
    unit: "dimensions",
    doc: "Dimensions of the Bayesian supervised projection laid out by UMAP.",
    control: { min: 2, max: 32 },
  },
  iterations: {
    type: "integer",
    min: 0,
    default: mdaAnalysisDefaults.iterations,
    label: "BSDR sweeps",
    doc: "Variational sweeps of the Bayesian supervised dimensionality reduction.",
    control: { min: 10, max: 200, step: 10 },
  },
  mode: {
    type: "keyword",
    choices: MANIFOLD_MODES,
    default: mdaAnalysisDefaults.mode,
    label: "Output-manifold distance",
    doc: "Distance on the network's outputs that orders the groups: Euclidean (released code) or geodesic.",
  },
  perplexity: {
    type: "number",
    min: 0,
    exclusiveMin: true,
    default: mdaAnalysisDefaults.perplexity,
    label: "t-SNE perplexity",
    doc: "t-SNE's effective number of neighbours.",
    control: { min: 5, max: 50, step: 1 },
  },
  nNeighbors: {
    type: "integer",
    min: 2,
    max: 256,
    default: mdaAnalysisDefaults.nNeighbors,
    label: "UMAP neighbours",
    doc: "UMAP's n_neighbors (also MDA's final layout).",
    control: { min: 5, max: 50 },
  },
  isomapNeighbors: {
    type: "integer",
    min: 1,
    max: 256,
    default: mdaAnalysisDefaults.isomapNeighbors,
    label: "Isomap neighbours",
    doc: "Isomap's n_neighbors.",
    control: { min: 4, max: 30 },
  },
  seed: {
    type: "integer",
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    default: DEFAULT_SEED,
    label: "Seed",
    doc: "Seed of the subsample and every stochastic layout.",
    control: { input: "number", max: 2 ** 31 - 1 },
  },
  seedRuns: {
    type: "integer",
    min: 0,
    max: 20,
    default: 3,
    label: "Embedding seeds",
    unit: "runs",
    doc: "Runs of the layouts that depend on the seed (MDA's UMAP step, UMAP, supervised UMAP) with seeds seed, seed + 1, … on the same samples, for the spread of every score; t-SNE (PCA start), PCA and Isomap give the same layout at every seed. 0 or 1 skips the study.",
    control: { min: 0, max: 8 },
  },
  layer: {
    type: "layer",
    role: "view",
    default: defaultShownLayer,
    defaultDoc: "the layer before the output",
    label: "Layer",
    doc: "The layer whose layouts are drawn.",
  },
} as const;

export type MdaParams = Partial<Resolved<typeof params>>;
export type ResolvedMdaDescriptorParams = Resolved<typeof params>;

/** The panel parameters of the analysis' parameters. */
function panelParams(p: ResolvedMdaDescriptorParams, bundle: AnalysisBundle): ResolvedMdaParams {
  return {
    layers: p.layers.length ? p.layers : bundle.layers.map((l) => l.name),
    stages: p.stages,
    methods: p.methods,
    vectorize: p.vectorize,
    maxPoints: p.maxPoints,
    k: p.k,
    groups: p.groups,
    classOutputs: p.classOutputs,
    targetWeight: p.targetWeight,
    components: p.components,
    iterations: p.iterations,
    mode: p.mode,
    perplexity: p.perplexity,
    nNeighbors: p.nNeighbors,
    isomapNeighbors: p.isomapNeighbors,
    seed: p.seed,
  };
}

/** The panel step of every layer × stage. */
const panelSteps = (p: ResolvedMdaDescriptorParams, b: AnalysisBundle) =>
  p.stages.flatMap((stage) =>
    panelParams(p, b).layers.map((layer) => ["panel", { layer, stage }] as [string, StepArgs]),
  );

/** One layer × stage of the analysis, with the notes its MDA left (e.g. which outputs grouped it). */
interface PanelStep {
  panel: MdaPanel;
  notes: string[];
}

/**
 * The descriptor. Steps: the seeded `samples` and their `colour`, then one `panel` per layer ×
 * stage (every method's layout and scores), then the `result`.
 */
export const mdaDescriptor = defineAnalysis<typeof params, MdaAnalysisResult>({
  name: "mda",
  // The "initial" stage: the layers at the first checkpoint.
  readsCheckpoints: true,
  title: "Manifold discovery and analysis",
  question:
    "What does the feature continuum of a regression network look like, layer by layer, before and after training, in MDA beside t-SNE, UMAP, PCA and Isomap?",
  papers: [
    {
      citation: "Islam et al., Nat. Commun. 2023",
      title:
        "Revealing hidden patterns in deep neural network feature space continuum via manifold learning",
      url: "https://doi.org/10.1038/s41467-023-43958-w",
    },
  ],
  params,
  check(_p, bundle) {
    if (!bundle.predictions)
      throw new HiddenAtlasError(
        "E_PARAM",
        `mda groups samples by the network's predictions; bundle ${bundle.name} has none`,
      );
    if (bundle.task === "regression" && !bundle.targets)
      throw new HiddenAtlasError(
        "E_PARAM",
        `mda colours a regression bundle by its targets; bundle ${bundle.name} has none`,
      );
  },
  steps: {
    samples: {
      label: "choosing the samples",
      uses: ["maxPoints", "seed"],
      weight: 0.05,
      async run({ bundle, params: p }) {
        return mdaSamples(bundle, panelParams(p, bundle));
      },
    },
    color: {
      label: "the target's manifold distance",
      uses: [],
      needs: () => [["samples", {}]],
      weight: 0.2,
      async run({ bundle, need }) {
        return mdaColor(bundle, await need<Int32Array>("samples"));
      },
    },
    panel: {
      label: "laying out the layer",
      uses: [
        "methods",
        "vectorize",
        "k",
        "groups",
        "classOutputs",
        "targetWeight",
        "components",
        "iterations",
        "mode",
        "perplexity",
        "nNeighbors",
        "isomapNeighbors",
        "seed",
      ],
      needs: () => [["samples", {}]],
      weight: (_a, p) => p.methods.length,
      stages: 5,
      keep: 16,
      parallel: "whole",
      async run({ bundle, params: p, args, need, options }): Promise<PanelStep> {
        const notes: string[] = [];
        const panel = await mdaPanel(
          bundle,
          String(args.layer),
          args.stage as MdaStage,
          panelParams(p, bundle),
          await need<Int32Array>("samples"),
          options,
          notes,
        );
        return { panel, notes };
      },
    },
    seeds: {
      label: "the layouts over embedding seeds",
      uses: [
        "layers",
        "stages",
        "methods",
        "vectorize",
        "k",
        "groups",
        "classOutputs",
        "targetWeight",
        "components",
        "iterations",
        "mode",
        "perplexity",
        "nNeighbors",
        "isomapNeighbors",
        "seed",
        "seedRuns",
      ],
      needs: (_a, p, b) => (p.seedRuns < 2 ? [] : [["samples", {}], ...panelSteps(p, b)]),
      weight: (_a, p, b) =>
        p.seedRuns < 2
          ? 0
          : (p.seedRuns - 1) *
            p.stages.length *
            panelParams(p, b).layers.length *
            STOCHASTIC_METHODS.length,
      stages: 5,
      keep: 4,
      async run({ bundle, params: p, need, options }): Promise<MdaSeedStudy | null> {
        if (p.seedRuns < 2) return null;
        const seeds = Array.from({ length: p.seedRuns }, (_, k) => seedPlus(p.seed, k));
        const first = async (layer: string, stage: MdaStage) =>
          (await need<PanelStep>("panel", { layer, stage })).panel;
        return mdaSeedStudy(
          bundle,
          panelParams(p, bundle),
          await need<Int32Array>("samples"),
          seeds,
          options,
          first,
        );
      },
    },
    result: {
      label: "MDA",
      uses: ["layers", "stages"],
      needs: (_a, p, b) => [["samples", {}], ["color", {}], ...panelSteps(p, b), ["seeds", {}]],
      weight: 0,
      async run({ bundle, params: p, need }): Promise<MdaAnalysisResult> {
        const resolved = panelParams(p, bundle);
        const steps: PanelStep[] = [];
        for (const stage of resolved.stages)
          for (const layer of resolved.layers)
            steps.push(await need<PanelStep>("panel", { layer, stage }));
        return {
          task: bundle.task,
          samples: await need<Int32Array>("samples"),
          color: await need<MdaColor>("color"),
          panels: steps.map((s) => s.panel),
          params: resolved,
          notes: [...new Set(steps.flatMap((s) => s.notes))],
          warnings: panelWarnings(steps.map((s) => s.panel)),
          seeds: await need<MdaSeedStudy | null>("seeds"),
        };
      },
    },
  },
  result: "result",
});

/** Every requested layer × stage laid out and scored, through the descriptor's steps. */
export function mdaAnalysis(
  bundle: AnalysisBundle,
  params: MdaParams = {},
  options: RunOptions = {},
): Promise<MdaAnalysisResult> {
  return runAnalysis(mdaDescriptor, bundle, params, options);
}
