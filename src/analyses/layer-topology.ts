/**
 * The `layer-topology` analysis: Purvine et al., "Experimental observations of the topology of
 * convolutional neural network activations", AAAI 2023 (arXiv 2212.00222).
 *
 * Each layer becomes a point cloud (one vector per sample: the top-ℓ2 spatial vector of conv
 * maps by default, the paper's choice; dense layers as they are), the same subsample of samples
 * in every layer (the paper: 1,000 test images). For each layer: Vietoris–Rips persistence
 * diagrams H0 … maxdim (ripser.py defaults: Euclidean, Z/2, enclosing-radius threshold). Between
 * layers: the sliced Wasserstein distance of the H1 diagrams (persim, M = 50: the paper's
 * metric), with bottleneck and Wasserstein W1 (L∞ ground metric) as alternatives, and linear CKA
 * of the same point clouds (Kornblith et al. 2019) for comparison. The sensitivity test (after
 * Ding, Denain & Steinhardt, NeurIPS 2021): project a layer on its top c − k
 * uncentred singular directions (removing the k least significant), recompute the diagram and
 * measure its distance to the original; CKA between the original and the projection is
 * reported beside it.
 *
 * Our choices, not the paper's, named in the result: `normalize` (default "none", as the paper;
 * "rms" divides each layer by its RMS distance to its mean so that layers of different scale
 * compare), `threshold` as a fraction of each layer's enclosing radius (1 = the enclosing
 * radius, ripser.py's default), the removal fractions of the sensitivity test.
 */
import { ckaMatrix, linearCka } from "../algo/cka.ts";
import { bottleneck, slicedWasserstein, wasserstein, type InfinitePolicy } from "../algo/diagrams.ts";
import { pca } from "../algo/pca.ts";
import { persistentHomology, type PersistenceDiagram, type PersistentHomologyResult } from "../algo/rips.ts";

export type { PersistenceDiagram };
import { subsample, takeRows, SUBSAMPLE_METHODS } from "../algo/subsample.ts";
import { layerMatrix, VECTORIZATIONS } from "../algo/vectorize.ts";
import { HiddenAtlasError } from "../core/errors.ts";
import { rmsDistanceToMean, type Matrix } from "../core/matrix.ts";
import { throwIfAborted, type RunOptions } from "../core/progress.ts";
import { DEFAULT_SEED } from "../core/random.ts";
import type { AnalysisBundle } from "./columns.ts";
import { defineAnalysis, type Resolved } from "./descriptor.ts";
import { runAnalysis } from "./runner.ts";

/** Relative error at which the W1 auction stops (proven bound; Hera's default is 0.01). */
const WASSERSTEIN_RELATIVE_ERROR = 1e-3;

export const LAYER_DISTANCE_METRICS = ["sliced", "bottleneck", "wasserstein"] as const;
export type LayerDistanceMetric = (typeof LAYER_DISTANCE_METRICS)[number];

const allLayers = (b: AnalysisBundle) => b.layers.map((l) => l.name);

/** The parameter table (see descriptor.ts): the clouds and filtrations, then what is drawn. */
const params = {
  layers: { type: "layers", default: [], defaultDoc: "every layer", label: "Layers", doc: "Layers compared, in order of depth (all by default)." },
  vectorize: {
    type: "keyword", choices: VECTORIZATIONS, default: "top-l2", label: "Conv maps as",
    doc: "How a conv map (C × H × W) becomes one vector per input: the C-vector at the spatial position of largest ℓ2 norm (the paper's point clouds), a seeded random position, the global average, or all values.",
  },
  samples: {
    type: "integer", min: 3, max: (b: AnalysisBundle) => Math.max(3, b.samples), default: (b: AnalysisBundle) => Math.min(500, b.samples), defaultDoc: "500 (or every sample of a smaller bundle)",
    label: "Samples per layer", unit: "inputs", reference: "Purvine et al. use 1,000 test images; 500 keeps a notebook run to seconds — set 1000 for the paper's size.",
    doc: "Inputs in each layer's point cloud — the same inputs in every layer.", control: { min: 50, max: (b: AnalysisBundle) => Math.min(1000, b.samples), step: 50 },
  },
  sampling: {
    type: "keyword", choices: SUBSAMPLE_METHODS, default: "random", label: "Sampling", control: { input: "radio" },
    doc: "How the inputs are chosen: seeded at random (the paper's one shuffled batch) or by farthest-point sampling on the first layer's cloud.",
  },
  maxdim: { type: "integer", min: 0, max: 2, default: 1, label: "Highest degree", doc: "Highest homology degree computed: H0 components, H1 loops, H2 voids.", reference: "ripser.py maxdim=1.", control: { min: 1, max: 2, input: "select", options: [1, 2] } },
  threshold: {
    type: "number", min: 0, max: 1, exclusiveMin: true, default: 1, label: "Rips threshold", unit: "× enclosing radius",
    doc: "Largest edge of the Rips filtration, as a fraction of each layer's enclosing radius (1 = the enclosing radius, after which nothing changes).", reference: "ripser.py's default threshold is the enclosing radius.",
    control: { min: 0.2, max: 1, step: 0.05 },
  },
  normalize: {
    type: "keyword", choices: ["none", "rms"], default: "none", label: "Scale layers", labels: { none: "as they are (paper)", rms: "by RMS spread" }, control: { input: "radio" },
    doc: "Compare layers in their own units (the paper) or divide each by its RMS distance to its mean, so that layers of different scale compare.",
  },
  distanceDim: { type: "integer", min: 0, max: 2, default: 1, label: "Degree compared", doc: "Homology degree whose diagrams are compared between layers (the paper: H1)." },
  ckaDebiased: { type: "boolean", default: false, label: "Debiased CKA", doc: "Use the debiased HSIC estimator (Song et al. 2012) in CKA instead of the plain one." },
  sensitivityFractions: { type: "numbers", min: 0, max: 1, exclusiveMin: true, exclusiveMax: true, default: [0.25, 0.5, 0.75], label: "Fractions removed", unit: "of each layer's dimensions", doc: "Fractions of each layer's singular directions removed in the sensitivity test; empty skips it." },
  sensitivityRemove: {
    type: "keyword", choices: ["lowest", "highest"], default: "lowest", label: "Sensitivity test removes", control: { input: "radio" },
    labels: { lowest: "least significant directions (Ding et al.)", highest: "top principal directions" },
    doc: "Which singular directions the sensitivity test removes: the least significant (Ding, Denain & Steinhardt 2021) or the top ones.",
  },
  seed: { type: "integer", min: 0, max: Number.MAX_SAFE_INTEGER, default: DEFAULT_SEED, label: "Seed", doc: "Seed of the sampling and of the random spatial position.", control: { input: "number", max: 2 ** 31 - 1 } },
  layer: { type: "layer", role: "view", default: (b: AnalysisBundle) => allLayers(b)[0] ?? "", defaultDoc: "the first layer", label: "Layer shown", doc: "The layer whose barcode and diagram are drawn." },
  metric: {
    type: "keyword", role: "view", choices: LAYER_DISTANCE_METRICS, default: "sliced", label: "Distance", control: { input: "radio" },
    labels: { sliced: "sliced Wasserstein (M = 50)", bottleneck: "bottleneck (L∞)", wasserstein: "Wasserstein W1 (L∞ ground metric)" },
    doc: "Distance between two layers' diagrams shown in the heatmap: the paper's sliced Wasserstein, bottleneck, or Wasserstein W1.",
  },
  sensitivityMeasure: {
    type: "keyword", role: "view", choices: ["sliced", "bottleneck", "cka"], default: "sliced", label: "Sensitivity measure", control: { input: "radio" },
    labels: { sliced: "sliced Wasserstein", bottleneck: "bottleneck", cka: "1 − CKA" }, doc: "What the sensitivity curves show.",
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
  sensitivity: { fractions: number[]; remove: "lowest" | "highest"; layers: SensitivityCurve[] } | null;
  params: ResolvedLayerTopologyParams;
}

/**
 * One degree of a layer's diagrams with essential classes (death ∞: H0's oldest component, or
 * any class alive at a threshold below the enclosing radius) capped at the layer's threshold,
 * so that every distance sees the same finite diagram (an explicit policy, reported).
 */
function degree(layer: { diagrams: PersistenceDiagram[]; threshold: number }, dim: number): PersistenceDiagram {
  const d = layer.diagrams[dim];
  return { dim, births: d.births, deaths: d.deaths.map((v) => (v === Infinity ? layer.threshold : v)) };
}

/** Layer × layer distances between the chosen degree's diagrams, by all three metrics. */
async function layerDistances(layers: { diagrams: PersistenceDiagram[]; threshold: number }[], dim: number, options: RunOptions): Promise<{ matrices: Record<LayerDistanceMetric, Float64Array>; bound: number }> {
  const L = layers.length;
  const out = { sliced: new Float64Array(L * L), bottleneck: new Float64Array(L * L), wasserstein: new Float64Array(L * L) };
  let bound = 0;
  for (let i = 0; i < L; i++) {
    for (let j = i + 1; j < L; j++) {
      throwIfAborted(options.signal);
      const a = degree(layers[i], dim);
      const b = degree(layers[j], dim);
      // W1 by the auction (Hera's method): the exact Hungarian method takes seconds per pair
      // of 1,000-point diagrams; the auction stops at a proven relative error.
      const w1 = await wasserstein(a, b, { q: 1, ground: "inf", method: "auction", relativeError: WASSERSTEIN_RELATIVE_ERROR, signal: options.signal });
      bound = Math.max(bound, w1.relativeErrorBound);
      const values = {
        sliced: (await slicedWasserstein(a, b)).distance,
        bottleneck: (await bottleneck(a, b)).distance,
        wasserstein: w1.distance,
      };
      for (const metric of LAYER_DISTANCE_METRICS) {
        out[metric][i * L + j] = values[metric];
        out[metric][j * L + i] = values[metric];
      }
    }
  }
  return { matrices: out, bound };
}

/**
 * `kept` columns of the singular-direction coordinates: the first (largest directions) for
 * remove = "lowest", the last for "highest". Row distances equal those of the rank-`kept`
 * reconstruction X·U·Uᵀ, which is all persistence and CKA see.
 */
function keepColumns(scores: Matrix, kept: number, remove: "lowest" | "highest"): Matrix {
  const first = remove === "lowest" ? 0 : scores.cols - kept;
  const out = new Float32Array(scores.rows * kept);
  for (let i = 0; i < scores.rows; i++) out.set(scores.data.subarray(i * scores.cols + first, i * scores.cols + first + kept), i * kept);
  return { rows: scores.rows, cols: kept, data: out };
}

/** A layer's point cloud: the sampled rows, scaled as asked. */
interface LayerCloud {
  X: Matrix;
  /** The factor the vectors were divided by (1 unless normalize is "rms"). */
  scale: number;
}

/** The parts of a persistence result the analysis keeps. */
type LayerPersistence = Pick<PersistentHomologyResult, "diagrams" | "threshold" | "enclosingRadius"> & { stats: Pick<PersistentHomologyResult["stats"], "edges" | "edgesAfterCollapse"> };

const layersOf = (p: ResolvedLayerTopologyParams, b: AnalysisBundle) => (p.layers.length ? p.layers : allLayers(b));
const each = (p: ResolvedLayerTopologyParams, b: AnalysisBundle, step: string) => layersOf(p, b).map((layer) => [step, { layer }] as [string, { layer: string }]);
const persistenceWeight = 10;

/**
 * The descriptor. Steps: each layer's `vectors` → the shared `sample` of rows → each layer's
 * `cloud` → its `diagrams`; between layers the `distances` of the diagrams and `cka` of the
 * clouds; each layer's `sensitivity` curve. A control that does not change a cloud or its
 * filtration (the CKA estimator, the metric shown) recomputes no persistence.
 */
export const layerTopologyDescriptor = defineAnalysis<typeof params, LayerTopologyResult>({
  name: "layer-topology",
  title: "Layer topology",
  question: "How far apart are a network's layers as persistence diagrams, and how does that compare with CKA?",
  papers: [{ citation: "Purvine et al., AAAI 2023", title: "Experimental observations of the topology of convolutional neural network activations", url: "https://arxiv.org/abs/2212.00222" }],
  params,
  check(p) {
    if (p.distanceDim > p.maxdim) throw new HiddenAtlasError("E_PARAM", `invalid distanceDim: ${p.distanceDim} (expected at most maxdim = ${p.maxdim})`, { parameter: "distanceDim" });
  },
  steps: {
    vectors: {
      label: "reading the layer's vectors",
      uses: ["vectorize", "seed"],
      weight: 0.2,
      keep: 8,
      async run({ bundle, params: p, args }): Promise<Matrix> {
        const layer = bundle.layers.find((l) => l.name === args.layer)!;
        return layerMatrix(layer, { method: p.vectorize, seed: p.seed });
      },
    },
    sample: {
      label: "choosing the inputs",
      uses: ["samples", "sampling", "seed"],
      needs: (_a, p, b) => [["vectors", { layer: layersOf(p, b)[0] }]],
      weight: (_a, p) => (p.sampling === "farthest" ? 1 : 0.05),
      async run({ bundle, params: p, need, options }): Promise<Int32Array> {
        const first = await need<Matrix>("vectors", { layer: layersOf(p, bundle)[0] });
        if (p.samples >= bundle.samples) return Int32Array.from({ length: bundle.samples }, (_, i) => i);
        return (await subsample(first, p.sampling === "farthest" ? { size: p.samples, method: "farthest", ...options } : { size: p.samples, method: "random", seed: p.seed })).indices;
      },
    },
    cloud: {
      label: "the layer's point cloud",
      uses: ["normalize"],
      needs: (args) => [["vectors", args], ["sample", {}]],
      weight: 0.1,
      keep: 32,
      async run({ params: p, args, need }): Promise<LayerCloud> {
        const raw = takeRows(await need<Matrix>("vectors", args), await need<Int32Array>("sample"));
        const scale = p.normalize === "rms" ? rmsDistanceToMean(raw) : 1;
        return { X: scale === 1 ? raw : { rows: raw.rows, cols: raw.cols, data: raw.data.map((v) => v / scale) }, scale };
      },
    },
    diagrams: {
      label: "persistent homology",
      uses: ["maxdim", "threshold"],
      needs: (args) => [["cloud", args]],
      weight: persistenceWeight,
      stages: 3,
      keep: 64,
      parallel: "needs",
      async run({ params: p, args, need, options }): Promise<LayerPersistence> {
        const { X } = await need<LayerCloud>("cloud", args);
        // The enclosing radius is known only after the distances: run once at the enclosing
        // radius when threshold = 1 (the default), else first ask for it with maxdim 0 (cheap).
        const threshold = p.threshold === 1 ? ("enclosing" as const) : p.threshold * (await persistentHomology(X, { maxdim: 0, ...options })).enclosingRadius;
        const ph = await persistentHomology(X, { maxdim: p.maxdim, threshold, ...options });
        return { diagrams: ph.diagrams, threshold: ph.threshold, enclosingRadius: ph.enclosingRadius, stats: { edges: ph.stats.edges, edgesAfterCollapse: ph.stats.edgesAfterCollapse } };
      },
    },
    distances: {
      label: "distances between the layers' diagrams",
      uses: ["distanceDim"],
      needs: (_a, p, b) => each(p, b, "diagrams"),
      async run({ bundle, params: p, need, options }) {
        const layers = await Promise.all(layersOf(p, bundle).map((layer) => need<LayerPersistence>("diagrams", { layer })));
        return layerDistances(layers, p.distanceDim, options);
      },
    },
    cka: {
      label: "CKA between the layers",
      uses: ["ckaDebiased"],
      needs: (_a, p, b) => each(p, b, "cloud"),
      async run({ bundle, params: p, need, options }): Promise<Float64Array> {
        const clouds = await Promise.all(layersOf(p, bundle).map((layer) => need<LayerCloud>("cloud", { layer })));
        return (await ckaMatrix(clouds.map((c) => c.X), { debiased: p.ckaDebiased, ...options })).matrix;
      },
    },
    projections: {
      label: "projecting the layer on fewer singular directions",
      uses: ["sensitivityFractions", "sensitivityRemove"],
      needs: (args) => [["cloud", args]],
      weight: 0.5,
      keep: 32,
      async run({ params: p, args, need, options }): Promise<Projections> {
        return projections((await need<LayerCloud>("cloud", args)).X, p, options);
      },
    },
    projectionDiagrams: {
      label: "persistent homology of the projections",
      uses: ["distanceDim", "threshold"],
      needs: (args) => [["projections", args], ["diagrams", args]],
      weight: (_a, p) => persistenceWeight * p.sensitivityFractions.length,
      stages: 3,
      keep: 32,
      parallel: "needs",
      async run({ params: p, args, need, options }): Promise<PersistenceDiagram[][]> {
        const { clouds } = await need<Projections>("projections", args);
        const layer = await need<LayerPersistence>("diagrams", args);
        const threshold = p.threshold === 1 ? ("enclosing" as const) : layer.threshold;
        const out: PersistenceDiagram[][] = [];
        for (const X of clouds) out.push((await persistentHomology(X, { maxdim: p.distanceDim, threshold, ...options })).diagrams.map((d) => ({ ...d })));
        // Each projection's diagrams with their own threshold (for capping infinite deaths).
        return out;
      },
    },
    sensitivity: {
      label: "sensitivity test",
      uses: ["ckaDebiased", "distanceDim", "threshold"],
      needs: (args) => [["cloud", args], ["diagrams", args], ["projections", args], ["projectionDiagrams", args]],
      keep: 32,
      async run({ params: p, args, need, options }): Promise<SensitivityCurve> {
        const { X } = await need<LayerCloud>("cloud", args);
        const layer = await need<LayerPersistence>("diagrams", args);
        const { removed, clouds } = await need<Projections>("projections", args);
        const diagrams = await need<PersistenceDiagram[][]>("projectionDiagrams", args);
        const curve: SensitivityCurve = { name: String(args.layer), removed, sliced: [], bottleneck: [], cka: [] };
        for (const [f, projected] of clouds.entries()) {
          throwIfAborted(options.signal);
          const a = degree(layer, p.distanceDim);
          const b = degree({ diagrams: diagrams[f], threshold: layer.threshold }, p.distanceDim);
          curve.sliced.push((await slicedWasserstein(a, b)).distance);
          curve.bottleneck.push((await bottleneck(a, b)).distance);
          curve.cka.push((await linearCka(X, projected, { debiased: p.ckaDebiased, signal: options.signal })).cka);
        }
        return curve;
      },
    },
    result: {
      label: "layer topology",
      uses: ["layers"],
      needs: (_a, p, b) => [["sample", {}], ["distances", {}], ["cka", {}], ...each(p, b, "cloud"), ...each(p, b, "diagrams"), ...(p.sensitivityFractions.length ? each(p, b, "sensitivity") : [])],
      weight: 0,
      async run({ bundle, params: p, need }): Promise<LayerTopologyResult> {
        const names = layersOf(p, bundle);
        const layers: LayerDiagrams[] = [];
        for (const name of names) {
          const { X, scale } = await need<LayerCloud>("cloud", { layer: name });
          const ph = await need<LayerPersistence>("diagrams", { layer: name });
          layers.push({ name, dimension: X.cols, scale, enclosingRadius: ph.enclosingRadius, threshold: ph.threshold, diagrams: ph.diagrams, edges: ph.stats.edges, edgesAfterCollapse: ph.stats.edgesAfterCollapse });
        }
        const { matrices, bound } = await need<{ matrices: Record<LayerDistanceMetric, Float64Array>; bound: number }>("distances");
        const sensitivity = p.sensitivityFractions.length
          ? { fractions: p.sensitivityFractions, remove: p.sensitivityRemove, layers: await Promise.all(names.map((layer) => need<SensitivityCurve>("sensitivity", { layer }))) }
          : null;
        return { layers, sample: await need<Int32Array>("sample"), distances: matrices, wassersteinErrorBound: bound, infinite: "cap", cka: await need<Float64Array>("cka"), sensitivity, params: { ...p, layers: names } };
      },
    },
  },
  result: "result",
});

/** A layer's cloud projected on fewer singular directions, one per removed fraction. */
interface Projections {
  /** Directions removed at each fraction. */
  removed: number[];
  clouds: Matrix[];
}

/** Project on the top (or bottom) singular directions, removing each fraction of them. */
async function projections(X: Matrix, p: ResolvedLayerTopologyParams, options: RunOptions): Promise<Projections> {
  const c = X.cols;
  // Coordinates in the uncentred singular directions (SVD of the uncentred c × N matrix, as
  // Ding et al.'s test), largest first; dropping columns removes directions.
  const basis = c > 1 ? await pca(X, { nComponents: Math.min(c, X.rows), center: false, signal: options.signal }) : null;
  const out: Projections = { removed: [], clouds: [] };
  for (const fraction of p.sensitivityFractions) {
    const kept = basis ? Math.max(1, Math.min(basis.params.nComponents, c - Math.round(fraction * c))) : c;
    out.removed.push(c - kept);
    out.clouds.push(basis && kept < c ? keepColumns(basis.scores, kept, p.sensitivityRemove) : X);
  }
  return out;
}

/**
 * Persistence diagrams of every layer, distances between layers, CKA, and the sensitivity test:
 * `await layerTopology(bundle, {samples: 1000})`.
 */
export function layerTopology(bundle: AnalysisBundle, params: LayerTopologyParams = {}, options: RunOptions = {}): Promise<LayerTopologyResult> {
  return runAnalysis(layerTopologyDescriptor, bundle, params, options);
}
