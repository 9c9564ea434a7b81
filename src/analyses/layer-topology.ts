/**
 * The `layer-topology` analysis: Purvine et al., "Experimental observations of the topology of
 * convolutional neural network activations", AAAI 2023 (arXiv 2212.00222).
 *
 * Each layer becomes a point cloud (one vector per sample: the top-ℓ2 spatial vector of conv
 * maps by default, the paper's choice; dense layers as they are), the same subsample of samples
 * in every layer (the paper: 1,000 test images; here the bundle's test split when it has one).
 * The paper hooks every conv layer's raw output, before batch norm and ReLU: when a bundle names
 * such layers (`conv1:pre:top-l2`, as the example CNNs and `tools/export_bundle.py` record
 * them), they are the layers compared by default. For each layer: Vietoris–Rips persistence
 * diagrams H0 … maxdim (ripser.py defaults: Euclidean, Z/2, enclosing-radius threshold). Between
 * layers: the sliced Wasserstein distance of the H1 diagrams (persim, M = 50: the paper's
 * metric), with bottleneck and Wasserstein W1 (L∞ ground metric) as alternatives, and linear CKA
 * of the same point clouds (Kornblith et al. 2019) for comparison. The sensitivity test (after
 * Ding, Denain & Steinhardt, NeurIPS 2021): project a layer on its top c − k
 * uncentred singular directions (removing the k least significant), recompute the diagram and
 * measure its distance to the original; CKA between the original and the projection is
 * reported beside it.
 *
 * The seed study (`seeds` step, over other bundles of the same network trained from other seeds,
 * recorded on the same inputs): each seed's layer × layer sliced Wasserstein and CKA matrices,
 * their mean and spread over the seeds, and specificity (Kornblith et al. 2019): how often a
 * layer's nearest layer in another seed's network is the same layer — in each layer's own units
 * and with each layer divided by its RMS spread.
 *
 * Our choices, not the paper's, named in the result: `normalize` (default "none", as the paper;
 * "rms" divides each layer by its RMS distance to its mean so that layers of different scale
 * compare), `radiusScale`: the Rips threshold as a fraction of each layer's enclosing radius (1 = the enclosing
 * radius, ripser.py's default), the removal fractions of the sensitivity test.
 */
import { ckaMatrix, linearCka } from "../algo/cka.ts";
import {
  bottleneck,
  slicedWasserstein,
  wasserstein,
  type InfinitePolicy,
} from "../algo/diagrams.ts";
import { pca } from "../algo/pca.ts";
import {
  persistentHomology,
  type PersistenceDiagram,
  type PersistentHomologyResult,
} from "../algo/rips.ts";

export type { PersistenceDiagram };
import { subsample, takeRows, SUBSAMPLE_METHODS } from "../algo/subsample.ts";
import { layerMatrix, vectorizedWidth, VECTORIZATIONS } from "../algo/vectorize.ts";
import { HiddenAtlasError } from "../core/errors.ts";
import { rmsDistanceToMean, type Matrix } from "../core/matrix.ts";
import { throwIfAborted, type RunOptions } from "../core/progress.ts";
import { DEFAULT_SEED } from "../core/random.ts";
import type { AnalysisBundle } from "./columns.ts";
import { defineAnalysis, type Resolved, type StepArgs } from "./descriptor.ts";
import { runAnalysis } from "./runner.ts";
import {
  layerSpecificity,
  matrixSpread,
  type MatrixSpread,
  type Specificity,
} from "./seed-study.ts";

/** Relative error at which the W1 auction stops (proven bound; Hera's default is 0.01). */
const WASSERSTEIN_RELATIVE_ERROR = 1e-3;

export const LAYER_DISTANCE_METRICS = ["sliced", "bottleneck", "wasserstein"] as const;
export type LayerDistanceMetric = (typeof LAYER_DISTANCE_METRICS)[number];

const allLayers = (b: AnalysisBundle) => b.layers.map((l) => l.name);
/** A raw conv output (before its activation), named as the example CNNs and the exporter record it. */
export const isPreActivation = (name: string) => /:pre(:|$)/.test(name);
/** The layers compared by default: the raw conv outputs when the bundle has them (the paper's), else every layer. */
export function defaultLayers(b: AnalysisBundle): string[] {
  const pre = allLayers(b).filter(isPreActivation);
  return pre.length ? pre : allLayers(b);
}
/** Rows of the test split (split = 1), in order; empty when the bundle has no split. */
export function testRows(b: Pick<AnalysisBundle, "split">): Int32Array {
  const split = b.split;
  if (!split) return new Int32Array(0);
  let n = 0;
  for (const v of split) if (v === 1) n++;
  const out = new Int32Array(n);
  for (let i = 0, k = 0; i < split.length; i++) if (split[i] === 1) out[k++] = i;
  return out;
}
/** The smallest test split a point cloud is drawn from (a Rips diagram of fewer points says little). */
const MIN_TEST_ROWS = 3;
const hasTestSplit = (b: AnalysisBundle) => testRows(b).length >= MIN_TEST_ROWS;
/** Rows the point clouds are drawn from under `split`. */
export function poolRows(b: AnalysisBundle, split: "test" | "all"): Int32Array {
  return split === "test" ? testRows(b) : Int32Array.from({ length: b.samples }, (_, i) => i);
}
const defaultPoolSize = (b: AnalysisBundle) => (hasTestSplit(b) ? testRows(b).length : b.samples);

/** The parameter table (see descriptor.ts): the clouds and filtrations, then what is drawn. */
const params = {
  layers: {
    type: "layers",
    default: defaultLayers,
    defaultDoc:
      "the raw conv outputs (layers named …:pre…) when the bundle has them, else every layer",
    label: "Layers",
    doc: "Layers compared, in order of depth.",
    reference: "Purvine et al. hook every conv layer's raw output, before batch norm and ReLU.",
  },
  split: {
    type: "keyword",
    choices: ["test", "all"],
    default: (b: AnalysisBundle) => (hasTestSplit(b) ? "test" : "all"),
    defaultDoc: "test when the bundle has a test split, else all",
    available: (b: AnalysisBundle) => (hasTestSplit(b) ? ["test", "all"] : ["all"]),
    label: "Inputs from",
    labels: { test: "the test split (paper)", all: "every sample" },
    control: { input: "radio" },
    doc: "Draw the inputs from the bundle's test split (split = 1), as the paper draws CIFAR-10 test images, or from every sample.",
  },
  vectorize: {
    type: "keyword",
    choices: VECTORIZATIONS,
    default: "top-l2",
    label: "Conv maps as",
    doc: "How a conv map (C × H × W) becomes one vector per input: the C-vector at the spatial position of largest ℓ2 norm (the paper's point clouds), a seeded random position, the global average, or all values.",
  },
  samples: {
    type: "integer",
    min: 3,
    max: (b: AnalysisBundle) => Math.max(3, b.samples),
    default: (b: AnalysisBundle) => Math.min(500, defaultPoolSize(b)),
    defaultDoc: "500 (or every input of a smaller test split or bundle)",
    label: "Samples per layer",
    unit: "inputs",
    reference:
      "Purvine et al. use 1,000 test images; 500 keeps a notebook run to seconds — set 1000 for the paper's size.",
    doc: "Inputs in each layer's point cloud — the same inputs in every layer (at most the rows of the chosen split).",
    control: { min: 50, max: (b: AnalysisBundle) => Math.min(1000, defaultPoolSize(b)), step: 1 },
  },
  sampling: {
    type: "keyword",
    choices: SUBSAMPLE_METHODS,
    default: "random",
    label: "Sampling",
    control: { input: "radio" },
    doc: "How the inputs are chosen: seeded at random (the paper's one shuffled batch) or by farthest-point sampling on the first layer's cloud.",
  },
  maxdim: {
    type: "integer",
    min: 0,
    max: 2,
    default: 1,
    label: "Highest degree",
    doc: "Highest homology degree computed: H0 components, H1 loops, H2 voids.",
    reference: "ripser.py maxdim=1.",
    control: { min: 1, max: 2, input: "select", options: [1, 2] },
  },
  radiusScale: {
    type: "number",
    min: 0,
    max: 1,
    exclusiveMin: true,
    default: 1,
    label: "Rips threshold",
    unit: "× enclosing radius",
    formerly: "threshold",
    doc: "Largest edge of the Rips filtration, as a fraction of each layer's enclosing radius (1 = the enclosing radius, after which nothing changes).",
    reference: "ripser.py's default threshold is the enclosing radius.",
    control: { min: 0.2, max: 1, step: 0.05 },
  },
  coefficients: {
    type: "integer",
    min: 2,
    max: 251,
    default: 2,
    label: "Coefficients Z/p",
    doc: "Prime p of the field the homology is computed over: Z/2 (the paper, ripser.py's default) or an odd prime, which tells torsion (e.g. a Klein bottle's H1) apart.",
    reference: "ripser.py coeff=2.",
    control: { input: "select", options: [2, 3, 5, 7] },
  },
  normalize: {
    type: "keyword",
    choices: ["none", "rms"],
    default: "none",
    label: "Scale layers",
    labels: { none: "as they are (paper)", rms: "by RMS spread" },
    control: { input: "radio" },
    doc: "Compare layers in their own units (the paper) or divide each by its RMS distance to its mean, so that layers of different scale compare.",
  },
  cycles: {
    type: "boolean",
    default: true,
    label: "Representative cycles",
    doc: "Find a representative cycle of every H1 bar: the inputs whose vectors form the loop, joined by edges no longer than the bar's birth (one more reduction per layer; off skips it).",
  },
  distanceDim: {
    type: "integer",
    min: 0,
    max: 2,
    default: 1,
    label: "Degree compared",
    doc: "Homology degree whose diagrams are compared between layers (the paper: H1).",
  },
  ckaDebiased: {
    type: "boolean",
    default: false,
    label: "Debiased CKA",
    doc: "Use the debiased HSIC estimator (Song et al. 2012) in CKA instead of the plain one.",
  },
  sensitivityFractions: {
    type: "numbers",
    min: 0,
    max: 1,
    exclusiveMin: true,
    exclusiveMax: true,
    default: [0.25, 0.5, 0.75],
    label: "Fractions removed",
    unit: "of each layer's dimensions",
    doc: "Fractions of each layer's singular directions removed in the sensitivity test; empty skips it.",
  },
  sensitivityRemove: {
    type: "keyword",
    choices: ["lowest", "highest"],
    default: "lowest",
    label: "Sensitivity test removes",
    control: { input: "radio" },
    labels: {
      lowest: "least significant directions (Ding et al.)",
      highest: "top principal directions",
    },
    doc: "Which singular directions the sensitivity test removes: the least significant (Ding, Denain & Steinhardt 2021) or the top ones.",
  },
  seed: {
    type: "integer",
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    default: DEFAULT_SEED,
    label: "Seed",
    doc: "Seed of the sampling and of the random spatial position.",
    control: { input: "number", max: 2 ** 31 - 1 },
  },
  layer: {
    type: "layer",
    role: "view",
    default: (b: AnalysisBundle) => allLayers(b)[0] ?? "",
    defaultDoc: "the first layer",
    label: "Layer shown",
    doc: "The layer whose barcode and diagram are drawn.",
  },
  bar: {
    type: "integer",
    role: "view",
    min: 0,
    auto: true,
    default: "auto",
    label: "H1 bar drawn",
    doc: 'The H1 bar of the shown layer whose representative cycle is drawn, by its index in the layer\'s H1 diagram (sorted by birth); "auto" is the longest bar. In the notebook, click a bar.',
  },
  metric: {
    type: "keyword",
    role: "view",
    choices: LAYER_DISTANCE_METRICS,
    default: "sliced",
    label: "Distance",
    control: { input: "radio" },
    labels: {
      sliced: "sliced Wasserstein (M = 50)",
      bottleneck: "bottleneck (L∞)",
      wasserstein: "Wasserstein W1 (L∞ ground metric)",
    },
    doc: "Distance between two layers' diagrams shown in the heatmap: the paper's sliced Wasserstein, bottleneck, or Wasserstein W1.",
  },
  sensitivityMeasure: {
    type: "keyword",
    role: "view",
    choices: ["sliced", "bottleneck", "cka"],
    default: "sliced",
    label: "Sensitivity measure",
    control: { input: "radio" },
    labels: { sliced: "sliced Wasserstein", bottleneck: "bottleneck", cka: "1 − CKA" },
    doc: "What the sensitivity curves show.",
  },
} as const;

export type LayerTopologyParams = Partial<Resolved<typeof params>>;
export type ResolvedLayerTopologyParams = Resolved<typeof params>;

export interface LayerDiagrams {
  name: string;
  /** Vector length after vectorisation. */
  dimension: number;
  /** The factor the vectors were divided by (1 unless normalize is "rms"). */
  scale: number;
  enclosingRadius: number;
  /** The Rips threshold used (threshold × enclosingRadius). */
  threshold: number;
  diagrams: PersistenceDiagram[];
  /** Edges within the threshold, and after the edge collapse. */
  edges: number;
  edgesAfterCollapse: number | null;
  /** The H1 bars' representative cycles and the plane they are drawn on (null when `cycles` is off or maxdim is 0). */
  cycles: LayerCycles | null;
}

/**
 * Representative cycles of a layer's H1 bars, and the layer's point cloud projected on its top
 * two principal components so that a loop can be drawn over the cloud.
 */
export interface LayerCycles {
  /**
   * loops[i] is the cycle of bar i of the layer's H1 diagram (diagrams[1], sorted by birth,
   * death): rows [from, to, coefficient] indexing the cloud's rows (positions in the result's
   * `sample`), in walk order — each edge starts where the previous one ended — with its longest
   * edge, the bar's birth, first (persistentHomology's `cycles`). Empty when the bar has none.
   */
  loops: Int32Array[];
  /** The cloud on its first two principal components (rows as the cloud's; n × 2). */
  plane: Matrix;
  /** Share of the cloud's variance along each of the two components. */
  explained: [number, number];
}

export interface SensitivityCurve {
  name: string;
  /** Directions removed at each fraction. */
  removed: number[];
  /** Sliced Wasserstein / bottleneck distance of the projected cloud's diagram to the original's (degree distanceDim). */
  sliced: number[];
  bottleneck: number[];
  /** Linear CKA between the original cloud and its projection. */
  cka: number[];
}

export interface LayerTopologyResult {
  layers: LayerDiagrams[];
  /** Rows of the bundle used, in the order of the point clouds. */
  sample: Int32Array;
  /** Layer × layer distance matrices (row-major) between the degree-distanceDim diagrams. */
  distances: Record<LayerDistanceMetric, Float64Array>;
  /** Largest proven relative error of the Wasserstein entries (auction; Hera's default bound is 0.01). */
  wassersteinErrorBound: number;
  /** The infinite-point policy applied before every distance: "cap" at each layer's Rips threshold. */
  infinite: InfinitePolicy;
  /** Layer × layer linear CKA of the point clouds. */
  cka: Float64Array;
  sensitivity: {
    fractions: number[];
    remove: "lowest" | "highest";
    layers: SensitivityCurve[];
  } | null;
  params: ResolvedLayerTopologyParams;
}

/**
 * One degree of a layer's diagrams with essential classes (death ∞: H0's oldest component, or
 * any class alive at a threshold below the enclosing radius) capped at the layer's threshold,
 * so that every distance sees the same finite diagram (an explicit policy, reported).
 */
function degree(
  layer: { diagrams: PersistenceDiagram[]; threshold: number },
  dim: number,
): PersistenceDiagram {
  const d = layer.diagrams[dim];
  return {
    dim,
    births: d.births,
    deaths: d.deaths.map((v) => (v === Infinity ? layer.threshold : v)),
  };
}

/** Layer × layer distances between the chosen degree's diagrams, by all three metrics. */
/** The three distances between two layers' H(dim) diagrams, and W1's proven relative error bound. */
interface PairDistances extends Record<LayerDistanceMetric, number> {
  bound: number;
}

async function pairDistances(
  first: { diagrams: PersistenceDiagram[]; threshold: number },
  second: { diagrams: PersistenceDiagram[]; threshold: number },
  dim: number,
  options: RunOptions,
): Promise<PairDistances> {
  throwIfAborted(options.signal);
  const a = degree(first, dim);
  const b = degree(second, dim);
  // W1 by the auction (Hera's method): the exact Hungarian method takes seconds per pair
  // of 1,000-point diagrams; the auction stops at a proven relative error.
  const w1 = await wasserstein(a, b, {
    q: 1,
    ground: "inf",
    method: "auction",
    relativeError: WASSERSTEIN_RELATIVE_ERROR,
    signal: options.signal,
  });
  return {
    sliced: (await slicedWasserstein(a, b)).distance,
    bottleneck: (await bottleneck(a, b)).distance,
    wasserstein: w1.distance,
    bound: w1.relativeErrorBound,
  };
}

/**
 * `kept` columns of the singular-direction coordinates: the first (largest directions) for
 * remove = "lowest", the last for "highest". Row distances equal those of the rank-`kept`
 * reconstruction X·U·Uᵀ, which is all persistence and CKA see.
 */
function keepColumns(scores: Matrix, kept: number, remove: "lowest" | "highest"): Matrix {
  const first = remove === "lowest" ? 0 : scores.cols - kept;
  const out = new Float32Array(scores.rows * kept);
  for (let i = 0; i < scores.rows; i++)
    out.set(
      scores.data.subarray(i * scores.cols + first, i * scores.cols + first + kept),
      i * kept,
    );
  return { rows: scores.rows, cols: kept, data: out };
}

/** A layer's point cloud: the sampled rows, scaled as asked. */
interface LayerCloud {
  X: Matrix;
  /** The factor the vectors were divided by (1 unless normalize is "rms"). */
  scale: number;
}

/** The parts of a persistence result the analysis keeps. */
type LayerPersistence = Pick<
  PersistentHomologyResult,
  "diagrams" | "threshold" | "enclosingRadius"
> & {
  stats: Pick<PersistentHomologyResult["stats"], "edges" | "edgesAfterCollapse">;
  loops: Int32Array[] | null;
};

const layersOf = (p: ResolvedLayerTopologyParams, b: AnalysisBundle) =>
  p.layers.length ? p.layers : allLayers(b);
const each = (p: ResolvedLayerTopologyParams, b: AnalysisBundle, step: string) =>
  layersOf(p, b).map((layer) => [step, { layer }] as [string, { layer: string }]);
const persistenceWeight = 10;

/**
 * Cheap cost estimates of the pooled steps, in rough milliseconds on one core (fitted to a
 * trained ResNet-18 export's trace; only their order matters): a pool hands the costliest
 * waiting step out first. Reading a layer goes by the values stored; persistence by the
 * points squared; the eigendecompositions of projections and cycle planes by columns cubed.
 */
const layerCost = {
  read: (b: AnalysisBundle, layer: string) =>
    8e-6 * (b.layers.find((l) => l.name === layer)?.shape.reduce((a, n) => a * n, 1) ?? 0),
  columns: (b: AnalysisBundle, p: ResolvedLayerTopologyParams, layer: string) => {
    const found = b.layers.find((l) => l.name === layer);
    return found ? vectorizedWidth(found, p.vectorize) : 0;
  },
  persistence: (p: ResolvedLayerTopologyParams) => 6e-4 * p.samples * p.samples,
  eigen: (b: AnalysisBundle, p: ResolvedLayerTopologyParams, layer: string) =>
    1.4e-5 * layerCost.columns(b, p, layer) ** 3,
};

/**
 * The descriptor. Steps: each layer's `vectors` → the shared `sample` of rows → each layer's
 * `cloud` → its `diagrams`; between layers the `distances` of the diagrams and `cka` of the
 * clouds; each layer's `sensitivity` curve. A control that does not change a cloud or its
 * filtration (the CKA estimator, the metric shown) recomputes no persistence.
 */
export const layerTopologyDescriptor = defineAnalysis<typeof params, LayerTopologyResult>({
  name: "layer-topology",
  title: "Layer topology",
  question:
    "How far apart are a network's layers as persistence diagrams, and how does that compare with CKA?",
  papers: [
    {
      citation: "Purvine et al., AAAI 2023",
      title:
        "Experimental observations of the topology of convolutional neural network activations",
      url: "https://arxiv.org/abs/2212.00222",
    },
  ],
  params,
  check(p, b) {
    if (p.distanceDim > p.maxdim)
      throw new HiddenAtlasError(
        "E_PARAM",
        `invalid distanceDim: ${p.distanceDim} (expected at most maxdim = ${p.maxdim})`,
        { parameter: "distanceDim" },
      );
    const pool = poolRows(b, p.split).length;
    if (p.samples > pool)
      throw new HiddenAtlasError(
        "E_PARAM",
        `invalid samples: ${p.samples} (expected at most ${pool}, the ${p.split === "test" ? "test rows" : "samples"} of ${JSON.stringify(b.name)}${p.split === "test" ? '; set split to "all" for more' : ""})`,
        { parameter: "samples" },
      );
  },
  steps: {
    vectors: {
      label: "reading the layer's vectors",
      uses: ["vectorize", "seed"],
      weight: 0.2,
      keep: 8,
      // Read and vectorised in a pool worker that opens the bundle itself (when the pool holds
      // it): every layer's reading, the report's serial start, then runs a layer per worker.
      parallel: "whole",
      cost: (args, _p, b) => layerCost.read(b, String(args.layer)),
      async run({ bundle, params: p, args }): Promise<Matrix> {
        const layer = bundle.layers.find((l) => l.name === args.layer)!;
        return layerMatrix(layer, { method: p.vectorize, seed: p.seed });
      },
    },
    sample: {
      label: "choosing the inputs",
      uses: ["split", "samples", "sampling", "seed"],
      needs: (_a, p, b) => [["vectors", { layer: layersOf(p, b)[0] }]],
      weight: (_a, p) => (p.sampling === "farthest" ? 1 : 0.05),
      async run({ bundle, params: p, need, options }): Promise<Int32Array> {
        return chooseRows(
          await need<Matrix>("vectors", { layer: layersOf(p, bundle)[0] }),
          poolRows(bundle, p.split),
          p,
          options,
        );
      },
    },
    cloud: {
      label: "the layer's point cloud",
      uses: ["normalize"],
      needs: (args) => [
        ["vectors", args],
        ["sample", {}],
      ],
      weight: 0.1,
      keep: 32,
      async run({ params: p, args, need }): Promise<LayerCloud> {
        const raw = takeRows(await need<Matrix>("vectors", args), await need<Int32Array>("sample"));
        const scale = p.normalize === "rms" ? rmsDistanceToMean(raw) : 1;
        return {
          X:
            scale === 1
              ? raw
              : { rows: raw.rows, cols: raw.cols, data: raw.data.map((v) => v / scale) },
          scale,
        };
      },
    },
    diagrams: {
      label: "persistent homology",
      uses: ["maxdim", "radiusScale", "cycles", "coefficients"],
      needs: (args) => [["cloud", args]],
      weight: persistenceWeight,
      stages: 3,
      keep: 64,
      parallel: "needs",
      cost: (_a, p) => layerCost.persistence(p),
      async run({ params: p, args, need, options }): Promise<LayerPersistence> {
        const { X } = await need<LayerCloud>("cloud", args);
        // The enclosing radius is known only after the distances: run once at the enclosing
        // radius when radiusScale = 1 (the default), else first ask for it with maxdim 0 (cheap).
        const threshold =
          p.radiusScale === 1
            ? ("enclosing" as const)
            : p.radiusScale *
              (await persistentHomology(X, { maxdim: 0, ...options })).enclosingRadius;
        // The cycles come from the same run (one more reduction of the H1 death triangles), so
        // they belong to exactly these bars.
        const withCycles = p.cycles && p.maxdim >= 1;
        const ph = await persistentHomology(X, {
          maxdim: p.maxdim,
          threshold,
          cycles: withCycles,
          coefficients: p.coefficients,
          ...options,
        });
        return {
          diagrams: ph.diagrams,
          threshold: ph.threshold,
          enclosingRadius: ph.enclosingRadius,
          stats: { edges: ph.stats.edges, edgesAfterCollapse: ph.stats.edgesAfterCollapse },
          loops: withCycles ? ph.cycles![1] : null,
        };
      },
    },
    cycles: {
      label: "representative cycles and the plane they are drawn on",
      uses: ["cycles"],
      needs: (args) => [
        ["cloud", args],
        ["diagrams", args],
      ],
      weight: 0.3,
      keep: 32,
      parallel: "needs",
      cost: (args, p, b) => layerCost.eigen(b, p, String(args.layer)),
      async run({ args, need, options }): Promise<LayerCycles | null> {
        const { loops } = await need<LayerPersistence>("diagrams", args);
        if (!loops) return null;
        return { loops, ...(await cyclePlane((await need<LayerCloud>("cloud", args)).X, options)) };
      },
    },
    pairDistances: {
      label: "distances between two layers' diagrams",
      uses: ["distanceDim"],
      needs: (args) => [
        ["diagrams", { layer: args.a }],
        ["diagrams", { layer: args.b }],
      ],
      weight: 0.1,
      keep: 256,
      // Each pair in a pool worker as soon as its two diagrams are known.
      parallel: "needs",
      cost: () => 20,
      async run({ params: p, args, need, options }): Promise<PairDistances> {
        const a = await need<LayerPersistence>("diagrams", { layer: args.a });
        const b = await need<LayerPersistence>("diagrams", { layer: args.b });
        return pairDistances(a, b, p.distanceDim, options);
      },
    },
    distances: {
      label: "distances between the layers' diagrams",
      uses: ["distanceDim"],
      needs: (_a, p, b) => {
        const names = layersOf(p, b);
        return names.flatMap((a, i) =>
          names.slice(i + 1).map((b) => ["pairDistances", { a, b }] as [string, StepArgs]),
        );
      },
      weight: 0,
      async run({ bundle, params: p, need }) {
        const names = layersOf(p, bundle);
        const L = names.length;
        const matrices = {
          sliced: new Float64Array(L * L),
          bottleneck: new Float64Array(L * L),
          wasserstein: new Float64Array(L * L),
        };
        let bound = 0;
        for (let i = 0; i < L; i++) {
          for (let j = i + 1; j < L; j++) {
            const pair = await need<PairDistances>("pairDistances", { a: names[i], b: names[j] });
            bound = Math.max(bound, pair.bound);
            for (const metric of LAYER_DISTANCE_METRICS) {
              matrices[metric][i * L + j] = pair[metric];
              matrices[metric][j * L + i] = pair[metric];
            }
          }
        }
        return { matrices, bound };
      },
    },
    cka: {
      label: "CKA between the layers",
      uses: ["ckaDebiased"],
      needs: (_a, p, b) => each(p, b, "cloud"),
      async run({ bundle, params: p, need, options }): Promise<Float64Array> {
        const clouds = await Promise.all(
          layersOf(p, bundle).map((layer) => need<LayerCloud>("cloud", { layer })),
        );
        return (
          await ckaMatrix(
            clouds.map((c) => c.X),
            { debiased: p.ckaDebiased, ...options },
          )
        ).matrix;
      },
    },
    projections: {
      label: "projecting the layer on fewer singular directions",
      uses: ["sensitivityFractions", "sensitivityRemove"],
      needs: (args) => [["cloud", args]],
      weight: 0.5,
      keep: 32,
      // A full eigendecomposition of the layer's covariance: a pool worker's, beside the others.
      parallel: "needs",
      cost: (args, p, b) => layerCost.eigen(b, p, String(args.layer)),
      async run({ params: p, args, need, options }): Promise<Projections> {
        return projections((await need<LayerCloud>("cloud", args)).X, p, options);
      },
    },
    projectionDiagrams: {
      label: "persistent homology of the projections",
      uses: ["distanceDim", "radiusScale", "coefficients"],
      needs: (args) => [
        ["projections", args],
        ["diagrams", args],
      ],
      weight: (_a, p) => persistenceWeight * p.sensitivityFractions.length,
      stages: 3,
      keep: 32,
      parallel: "needs",
      cost: (_a, p) => layerCost.persistence(p) * p.sensitivityFractions.length,
      async run({ params: p, args, need, options }): Promise<PersistenceDiagram[][]> {
        const { clouds } = await need<Projections>("projections", args);
        const layer = await need<LayerPersistence>("diagrams", args);
        const threshold = p.radiusScale === 1 ? ("enclosing" as const) : layer.threshold;
        const out: PersistenceDiagram[][] = [];
        for (const X of clouds)
          out.push(
            (
              await persistentHomology(X, {
                maxdim: p.distanceDim,
                threshold,
                coefficients: p.coefficients,
                ...options,
              })
            ).diagrams.map((d) => ({ ...d })),
          );
        // Each projection's diagrams with their own threshold (for capping infinite deaths).
        return out;
      },
    },
    sensitivity: {
      label: "sensitivity test",
      uses: ["ckaDebiased", "distanceDim", "radiusScale"],
      needs: (args) => [
        ["cloud", args],
        ["diagrams", args],
        ["projections", args],
        ["projectionDiagrams", args],
      ],
      keep: 32,
      parallel: "needs",
      cost: (args, p, b) =>
        1e-4 *
        p.samples *
        layerCost.columns(b, p, String(args.layer)) *
        p.sensitivityFractions.length,
      async run({ params: p, args, need, options }): Promise<SensitivityCurve> {
        const { X } = await need<LayerCloud>("cloud", args);
        const layer = await need<LayerPersistence>("diagrams", args);
        const { removed, clouds } = await need<Projections>("projections", args);
        const diagrams = await need<PersistenceDiagram[][]>("projectionDiagrams", args);
        const curve: SensitivityCurve = {
          name: String(args.layer),
          removed,
          sliced: [],
          bottleneck: [],
          cka: [],
        };
        for (const [f, projected] of clouds.entries()) {
          throwIfAborted(options.signal);
          const a = degree(layer, p.distanceDim);
          const b = degree({ diagrams: diagrams[f], threshold: layer.threshold }, p.distanceDim);
          curve.sliced.push((await slicedWasserstein(a, b)).distance);
          curve.bottleneck.push((await bottleneck(a, b)).distance);
          curve.cka.push(
            (await linearCka(X, projected, { debiased: p.ckaDebiased, signal: options.signal }))
              .cka,
          );
        }
        return curve;
      },
    },
    seeds: {
      label: "the seed study: every seed's layers, distances and CKA",
      uses: [
        "layers",
        "split",
        "vectorize",
        "samples",
        "sampling",
        "seed",
        "radiusScale",
        "coefficients",
        "distanceDim",
        "ckaDebiased",
      ],
      weight: (args, p, b) =>
        persistenceWeight *
        layersOf(p, b).length *
        (1 +
          String(args.runs ?? "")
            .split(",")
            .filter(Boolean).length),
      stages: 2,
      keep: 2,
      async run({ bundle, params: p, args, options, others }): Promise<SeedStudy> {
        const runs = String(args.runs ?? "")
          .split(",")
          .filter(Boolean)
          .map(others);
        return seedStudy([bundle, ...runs], p, options);
      },
    },
    result: {
      label: "layer topology",
      uses: ["layers"],
      needs: (_a, p, b) => [
        ["sample", {}],
        ["distances", {}],
        ["cka", {}],
        ...each(p, b, "cloud"),
        ...each(p, b, "diagrams"),
        ...each(p, b, "cycles"),
        ...(p.sensitivityFractions.length ? each(p, b, "sensitivity") : []),
      ],
      weight: 0,
      async run({ bundle, params: p, need }): Promise<LayerTopologyResult> {
        const names = layersOf(p, bundle);
        const layers: LayerDiagrams[] = [];
        for (const name of names) {
          const { X, scale } = await need<LayerCloud>("cloud", { layer: name });
          const ph = await need<LayerPersistence>("diagrams", { layer: name });
          const cycles = await need<LayerCycles | null>("cycles", { layer: name });
          layers.push({
            name,
            dimension: X.cols,
            scale,
            enclosingRadius: ph.enclosingRadius,
            threshold: ph.threshold,
            diagrams: ph.diagrams,
            edges: ph.stats.edges,
            edgesAfterCollapse: ph.stats.edgesAfterCollapse,
            cycles,
          });
        }
        const { matrices, bound } = await need<{
          matrices: Record<LayerDistanceMetric, Float64Array>;
          bound: number;
        }>("distances");
        const sensitivity = p.sensitivityFractions.length
          ? {
              fractions: p.sensitivityFractions,
              remove: p.sensitivityRemove,
              layers: await Promise.all(
                names.map((layer) => need<SensitivityCurve>("sensitivity", { layer })),
              ),
            }
          : null;
        return {
          layers,
          sample: await need<Int32Array>("sample"),
          distances: matrices,
          wassersteinErrorBound: bound,
          infinite: "cap",
          cka: await need<Float64Array>("cka"),
          sensitivity,
          params: { ...p, layers: names },
        };
      },
    },
  },
  result: "result",
  // The steps compute on layers; the report's cycle figure shows the inputs as thumbnails.
  inputsOnlyInReport: () => true,
});

/** The cloud on its top two principal components (one component and a zero column for a 1-D cloud). */
async function cyclePlane(
  X: Matrix,
  options: RunOptions,
): Promise<Pick<LayerCycles, "plane" | "explained">> {
  const components = Math.min(2, X.cols, X.rows);
  const p = await pca(X, { nComponents: components, signal: options.signal });
  if (components === 2)
    return {
      plane: p.scores,
      explained: [p.explainedVarianceRatio[0], p.explainedVarianceRatio[1]],
    };
  const data = new Float32Array(X.rows * 2);
  for (let i = 0; i < X.rows; i++) data[2 * i] = p.scores.data[i * components];
  return {
    plane: { rows: X.rows, cols: 2, data },
    explained: [p.explainedVarianceRatio[0] ?? 0, 0],
  };
}

/** A bar's cycle with its bundle rows: what the notebook draws and exports, and the report lists. */
export interface CycleRows {
  layer: string;
  /** Index of the bar in the layer's H1 diagram. */
  bar: number;
  birth: number;
  death: number;
  /** Edges as [from, to] bundle rows, in walk order. */
  edges: [number, number][];
  /** The distinct bundle rows of the loop in the order first visited. */
  rows: number[];
}

/** Bar `bar` of layer `layer`'s H1 diagram with its cycle as bundle rows, or null when it has none. */
export function cycleRows(
  result: Pick<LayerTopologyResult, "layers" | "sample">,
  layer: string,
  bar: number,
): CycleRows | null {
  const l = result.layers.find((x) => x.name === layer);
  const loop = l?.cycles?.loops[bar];
  if (!l || !loop || loop.length === 0) return null;
  const h1 = l.diagrams[1];
  const edges: [number, number][] = [];
  for (let r = 0; r < loop.length / 3; r++)
    edges.push([result.sample[loop[3 * r]], result.sample[loop[3 * r + 1]]]);
  const rows = [...new Set(edges.flat())];
  return { layer, bar, birth: h1.births[bar], death: h1.deaths[bar], edges, rows };
}

/** Index of the longest H1 bar (ties to the earlier), or −1 when there is none. */
export function longestBar(diagram: PersistenceDiagram): number {
  let best = -1;
  for (let i = 0; i < diagram.births.length; i++) {
    if (
      best < 0 ||
      diagram.deaths[i] - diagram.births[i] > diagram.deaths[best] - diagram.births[best]
    )
      best = i;
  }
  return best;
}

/**
 * The rows of the point clouds: all of `pool` when `samples` covers it, else a seeded random
 * choice (or greedy farthest points of the first layer's vectors) among them, as rows of the bundle.
 */
async function chooseRows(
  first: Matrix,
  pool: Int32Array,
  p: Pick<ResolvedLayerTopologyParams, "samples" | "sampling" | "seed">,
  options: RunOptions,
): Promise<Int32Array> {
  if (p.samples >= pool.length) return pool;
  const X = pool.length === first.rows ? first : takeRows(first, pool);
  const chosen = (
    await subsample(
      X,
      p.sampling === "farthest"
        ? { size: p.samples, method: "farthest", ...options }
        : { size: p.samples, method: "random", seed: p.seed },
    )
  ).indices;
  return pool.length === first.rows ? chosen : chosen.map((i) => pool[i]);
}

/** The seed study: the same network trained from several seeds, on the same inputs. */
export interface SeedStudy {
  /** Bundle names, the analysed bundle first. */
  runs: string[];
  layers: string[];
  /** Inputs in each point cloud (the same positions of each bundle's split in every run). */
  samples: number;
  /** Homology degree compared. */
  distanceDim: number;
  /** Each run's RMS distance to the mean, per layer (runs × layers, row-major): the layers' scales. */
  scales: Float64Array;
  /** Each run's layer × layer H(distanceDim) sliced Wasserstein distances: in activation units, and with each layer divided by its RMS spread. */
  sliced: { raw: Float64Array[]; rms: Float64Array[] };
  /** Each run's layer × layer linear CKA (scale-free: the same for raw and normalised clouds). */
  cka: Float64Array[];
  /** Mean and spread of those matrices over the runs. */
  spread: { sliced: { raw: MatrixSpread; rms: MatrixSpread }; cka: MatrixSpread };
  /** The same layer in two runs, mean over the pairs of runs, per layer: sliced Wasserstein distance (raw, rms) and CKA. */
  sameLayer: { raw: number[]; rms: number[]; cka: number[] };
  /** How often a layer's nearest layer in another run is itself, by each measure. */
  specificity: { sliced: { raw: Specificity; rms: Specificity }; cka: Specificity };
  params: {
    split: "test" | "all";
    sampling: "random" | "farthest";
    seed: number;
    radiusScale: number;
    ckaDebiased: boolean;
    vectorize: string;
  };
}

/**
 * The seed study of `bundles` (the first is the analysed bundle): the same layers in each, the
 * same rows of each one's split (its inputs must line up: the same number of rows, the same
 * labels). Rips persistence commutes with scaling, so the normalised diagrams are the raw ones
 * divided by the layer's RMS spread: one persistence computation per layer and run.
 */
export async function seedStudy(
  bundles: AnalysisBundle[],
  p: ResolvedLayerTopologyParams,
  options: RunOptions = {},
): Promise<SeedStudy> {
  const [first] = bundles;
  if (bundles.length < 2)
    throw new HiddenAtlasError(
      "E_PARAM",
      `the seed study needs at least two bundles of the same network; got ${bundles.length}`,
    );
  const names = layersOf(p, first);
  const pools = bundles.map((b) => poolRows(b, p.split));
  for (const [r, b] of bundles.entries()) {
    if (r === 0) continue;
    const missing = names.filter((n) => !b.layers.some((l) => l.name === n));
    if (missing.length)
      throw new HiddenAtlasError(
        "E_PARAM",
        `seed study: bundle ${JSON.stringify(b.name)} has no layer ${missing.map((n) => JSON.stringify(n)).join(", ")} (layers of ${JSON.stringify(first.name)} compared: ${names.join(", ")})`,
      );
    if (pools[r].length !== pools[0].length) {
      throw new HiddenAtlasError(
        "E_SHAPE_MISMATCH",
        `seed study: bundle ${JSON.stringify(b.name)} has ${pools[r].length} ${p.split === "test" ? "test rows" : "samples"}, ${JSON.stringify(first.name)} has ${pools[0].length}; the runs must hold the same inputs`,
      );
    }
    if (
      first.labels &&
      b.labels &&
      pools[0].some((row, k) => first.labels![row] !== b.labels![pools[r][k]])
    ) {
      throw new HiddenAtlasError(
        "E_SHAPE_MISMATCH",
        `seed study: the labels of bundle ${JSON.stringify(b.name)} differ from those of ${JSON.stringify(first.name)} on the ${p.split === "test" ? "test rows" : "samples"}; the runs must hold the same inputs in the same order`,
      );
    }
  }
  const R = bundles.length;
  const L = names.length;
  const vectors = (b: AnalysisBundle, name: string) =>
    layerMatrix(
      b.layers.find((l) => l.name === name)!,
      { method: p.vectorize, seed: p.seed },
    );
  // The same positions in every run's pool, chosen on the first run as the analysis does.
  const positions = await chooseRows(
    takeRows(await vectors(first, names[0]), pools[0]),
    Int32Array.from(pools[0].keys()),
    p,
    options,
  );
  const clouds: Matrix[] = [];
  const diagrams: { raw: PersistenceDiagram; rms: PersistenceDiagram }[] = [];
  const scales = new Float64Array(R * L);
  const total = R * L;
  for (const [r, b] of bundles.entries()) {
    const rows = positions.map((k) => pools[r][k]);
    for (const [l, name] of names.entries()) {
      throwIfAborted(options.signal);
      options.onProgress?.({
        stage: "persistent homology of every run's layers",
        done: r * L + l,
        total,
      });
      const X = takeRows(await vectors(b, name), rows);
      const scale = rmsDistanceToMean(X);
      const threshold =
        p.radiusScale === 1
          ? ("enclosing" as const)
          : p.radiusScale *
            (await persistentHomology(X, { maxdim: 0, signal: options.signal })).enclosingRadius;
      const ph = await persistentHomology(X, {
        maxdim: p.distanceDim,
        threshold,
        coefficients: p.coefficients,
        signal: options.signal,
      });
      const raw = degree(ph, p.distanceDim);
      clouds.push(X);
      scales[r * L + l] = scale;
      diagrams.push({
        raw,
        rms: {
          dim: raw.dim,
          births: raw.births.map((v) => v / scale),
          deaths: raw.deaths.map((v) => v / scale),
        },
      });
    }
  }
  // Every run pair's L × L blocks (a ≤ b; b < a is the transpose).
  const pairs = (R * (R + 1)) / 2;
  const blocks = { raw: new Map<string, Float64Array>(), rms: new Map<string, Float64Array>() };
  let done = 0;
  for (let a = 0; a < R; a++) {
    for (let b = a; b < R; b++) {
      const raw = new Float64Array(L * L);
      const rms = new Float64Array(L * L);
      for (let i = 0; i < L; i++) {
        throwIfAborted(options.signal);
        for (let j = a === b ? i + 1 : 0; j < L; j++) {
          const x = diagrams[a * L + i];
          const y = diagrams[b * L + j];
          raw[i * L + j] = (await slicedWasserstein(x.raw, y.raw)).distance;
          rms[i * L + j] = (await slicedWasserstein(x.rms, y.rms)).distance;
          if (a === b) {
            raw[j * L + i] = raw[i * L + j];
            rms[j * L + i] = rms[i * L + j];
          }
        }
      }
      blocks.raw.set(`${a},${b}`, raw);
      blocks.rms.set(`${a},${b}`, rms);
      options.onProgress?.({
        stage: "distances and CKA between every run's layers",
        done: ++done,
        total: pairs + 1,
      });
    }
  }
  const cka = (await ckaMatrix(clouds, { debiased: p.ckaDebiased, signal: options.signal })).matrix;
  const N = R * L;
  const ckaBlock = (a: number, b: number) => {
    const out = new Float64Array(L * L);
    for (let i = 0; i < L; i++)
      for (let j = 0; j < L; j++) out[i * L + j] = cka[(a * L + i) * N + b * L + j];
    return out;
  };
  const block = (m: Map<string, Float64Array>) => (a: number, b: number) => {
    if (a <= b) return m.get(`${a},${b}`)!;
    const t = m.get(`${b},${a}`)!;
    const out = new Float64Array(L * L);
    for (let i = 0; i < L; i++) for (let j = 0; j < L; j++) out[i * L + j] = t[j * L + i];
    return out;
  };
  const within = (m: Map<string, Float64Array>) => bundles.map((_, r) => m.get(`${r},${r}`)!);
  const sameLayer = (m: Map<string, Float64Array>) =>
    names.map((_, i) => {
      let s = 0;
      for (let a = 0; a < R; a++)
        for (let b = a + 1; b < R; b++) s += m.get(`${a},${b}`)![i * L + i];
      return s / ((R * (R - 1)) / 2);
    });
  const perRunCka = bundles.map((_, r) => ckaBlock(r, r));
  return {
    runs: bundles.map((b) => b.name),
    layers: names,
    samples: positions.length,
    distanceDim: p.distanceDim,
    scales,
    sliced: { raw: within(blocks.raw), rms: within(blocks.rms) },
    cka: perRunCka,
    spread: {
      sliced: { raw: matrixSpread(within(blocks.raw)), rms: matrixSpread(within(blocks.rms)) },
      cka: matrixSpread(perRunCka),
    },
    sameLayer: {
      raw: sameLayer(blocks.raw),
      rms: sameLayer(blocks.rms),
      cka: sameLayer(
        new Map(
          Array.from({ length: R }, (_, a) =>
            Array.from({ length: R - a }, (_, k) => [`${a},${a + k}`, ckaBlock(a, a + k)] as const),
          ).flat(),
        ),
      ),
    },
    specificity: {
      sliced: {
        raw: layerSpecificity(R, L, block(blocks.raw), "smaller"),
        rms: layerSpecificity(R, L, block(blocks.rms), "smaller"),
      },
      cka: layerSpecificity(R, L, ckaBlock, "larger"),
    },
    params: {
      split: p.split,
      sampling: p.sampling,
      seed: p.seed,
      radiusScale: p.radiusScale,
      ckaDebiased: p.ckaDebiased,
      vectorize: p.vectorize,
    },
  };
}

/** A layer's cloud projected on fewer singular directions, one per removed fraction. */
interface Projections {
  /** Directions removed at each fraction. */
  removed: number[];
  clouds: Matrix[];
}

/** Project on the top (or bottom) singular directions, removing each fraction of them. */
async function projections(
  X: Matrix,
  p: ResolvedLayerTopologyParams,
  options: RunOptions,
): Promise<Projections> {
  const c = X.cols;
  // Coordinates in the uncentred singular directions (SVD of the uncentred c × N matrix, as
  // Ding et al.'s test), largest first; dropping columns removes directions.
  const basis =
    c > 1
      ? await pca(X, { nComponents: Math.min(c, X.rows), center: false, signal: options.signal })
      : null;
  const out: Projections = { removed: [], clouds: [] };
  for (const fraction of p.sensitivityFractions) {
    const kept = basis
      ? Math.max(1, Math.min(basis.params.nComponents, c - Math.round(fraction * c)))
      : c;
    out.removed.push(c - kept);
    out.clouds.push(basis && kept < c ? keepColumns(basis.scores, kept, p.sensitivityRemove) : X);
  }
  return out;
}

/**
 * Persistence diagrams of every layer, distances between layers, CKA, and the sensitivity test:
 * `await layerTopology(bundle, {samples: 1000})`.
 */
export function layerTopology(
  bundle: AnalysisBundle,
  params: LayerTopologyParams = {},
  options: RunOptions = {},
): Promise<LayerTopologyResult> {
  return runAnalysis(layerTopologyDescriptor, bundle, params, options);
}
