/**
 * The `mapper` analysis: TopoAct's and Purvine et al.'s Mapper graphs of a layer's activations,
 * with each node's class composition (by label and by the network's prediction) and the
 * graph's purity, layer by layer.
 *
 * Conv maps become one vector per sample by a seeded random spatial position (both papers'
 * mapper choice) unless told otherwise. Steps: each layer's `space` (its vectors and neighbour
 * lists — exact, O(n²·d), or by NN-descent on large layers — done once per layer,
 * vectorisation, seed and neighbour search) → its `graph` (cover,
 * clustering, nerve: milliseconds, so sliders re-render at once) → the `result` (every layer's
 * graph). The linked scatter's `scatter` (PCA) and `umap` layouts hang off the same space.
 *
 * @example
 *   const result = await mapperAnalysis(bundle, {intervals: 12, overlap: 0.4});
 *   result.layers.map((l) => l.purity.label?.meanInverseClasses);
 */
import {
  layerMatrix,
  isConvLayer,
  vectorizedWidth,
  VECTORIZATIONS,
  type Vectorization,
} from "../algo/vectorize.ts";
import {
  LENSES,
  MapperSpace,
  mapperDefaults,
  type CustomLens,
  type LensName,
  type MapperGraph,
  type MapperNeighbors,
  type MapperParams,
} from "../algo/mapper/mapper.ts";
import { NEIGHBOR_LIST_LENGTH, NEIGHBOR_SEARCHES } from "../algo/mapper/neighborhoods.ts";
import { COVERS } from "../algo/mapper/cover.ts";
import {
  graphPurity,
  nodeComposition,
  nodeMeans,
  type GraphPurity,
} from "../algo/mapper/statistics.ts";
import { featureVisualization, projectionWeights } from "../algo/nn/feature-visualization.ts";
import { Network } from "../algo/nn/network.ts";
import type { NetworkSpec } from "../algo/nn/spec.ts";
import { pca } from "../algo/pca.ts";
import { umap } from "../algo/umap.ts";
import { HiddenAtlasError } from "../core/errors.ts";
import { takeRows, type Matrix } from "../core/matrix.ts";
import { throwIfAborted, type RunOptions } from "../core/progress.ts";
import { DEFAULT_SEED } from "../core/random.ts";
import { argmaxRows, classNamesOf, type AnalysisBundle } from "./columns.ts";
import { defineAnalysis, type Resolved } from "./descriptor.ts";
import { runAnalysis } from "./runner.ts";
import { matrixSpread, type MatrixSpread } from "./seed-study.ts";

/** Lenses read from the bundle rather than computed from the activations. */
export const COLUMN_LENSES = ["target", "prediction", "confidence"] as const;
export type MapperLensChoice = LensName | (typeof COLUMN_LENSES)[number];
export const MAPPER_LENSES = [...LENSES, ...COLUMN_LENSES] as const;

/** How the graph's nodes are filled: a pie of classes, or a numeric mean. */
export const NODE_COLORINGS = [
  "label",
  "prediction",
  "lens",
  "confidence",
  "target",
  "size",
] as const;
export type NodeColoring = (typeof NODE_COLORINGS)[number];

/** Lenses this bundle has the columns for. */
function availableLenses(bundle: AnalysisBundle): MapperLensChoice[] {
  return MAPPER_LENSES.filter((l) =>
    l === "prediction" || l === "confidence"
      ? Boolean(bundle.predictions)
      : l === "target"
        ? Boolean(bundle.targets || bundle.labels)
        : true,
  );
}

/** Node fills this bundle has the columns for. */
function availableColorings(bundle: AnalysisBundle): NodeColoring[] {
  const classes = bundle.task === "classification";
  return NODE_COLORINGS.filter((c) =>
    c === "label"
      ? Boolean(bundle.labels) && classes
      : c === "prediction" || c === "confidence"
        ? Boolean(bundle.predictions) && classes
        : c === "target"
          ? Boolean(bundle.targets)
          : true,
  );
}

const lastLayer = (bundle: AnalysisBundle) => bundle.layers[bundle.layers.length - 1]?.name ?? "";

/**
 * Published recipes for the graph, as values of other parameters (descriptor.ts `presets`: a
 * parameter given explicitly wins over its preset's value, in the API, `--set`, the URL and the
 * notebook alike):
 * - "default": ours — the fitted cover (cover.ts), ε at the knee of the (min_samples − 1)-th
 *   neighbour distances.
 * - "purvine": Purvine et al.'s mapper scripts — KeplerMapper's `Cover(n_cubes=10,
 *   perc_overlap=0.5)` (overhanging), DBSCAN min_samples 5, ε at the knee of the sorted
 *   1st-nearest-neighbour distances, their median when there is no knee, 3 significant digits.
 * - "topoact": TopoAct's CIFAR-10 demo — 40 intervals at 20 % overlap (its presets also offer 100
 *   intervals and 40 %); TopoAct's ε rule is not published, so ours stays.
 * - "keplermapper": KeplerMapper's `map()` defaults — its overhanging `Cover(n_cubes=10,
 *   perc_overlap=0.1)` and DBSCAN min_samples 3; its ε = 0.5 is in the data's units, so the
 *   automatic ε stays.
 */
export const MAPPER_PRESETS = ["default", "purvine", "topoact", "keplermapper"] as const;
export type MapperPreset = (typeof MAPPER_PRESETS)[number];
export const MAPPER_PRESET_VALUES: Record<MapperPreset, Record<string, unknown>> = {
  default: {
    intervals: mapperDefaults.intervals,
    overlap: mapperDefaults.overlap,
    cover: mapperDefaults.cover,
    minSamples: mapperDefaults.minSamples,
    epsNeighbor: "auto",
  },
  purvine: { intervals: 10, overlap: 0.5, cover: "kepler", minSamples: 5, epsNeighbor: 1 },
  topoact: {
    intervals: 40,
    overlap: 0.2,
    cover: mapperDefaults.cover,
    minSamples: mapperDefaults.minSamples,
    epsNeighbor: "auto",
  },
  keplermapper: {
    intervals: 10,
    overlap: 0.1,
    cover: "kepler",
    minSamples: 3,
    epsNeighbor: "auto",
  },
};

/** The parameter table (see descriptor.ts): the graph's, then what is drawn. */
const params = {
  layers: {
    type: "layers",
    label: "Layers",
    default: [],
    defaultDoc: "every layer",
    doc: "Layers whose graphs are built, in order (all by default).",
  },
  vectorize: {
    type: "keyword",
    choices: VECTORIZATIONS,
    default: "random",
    label: "Conv maps as",
    doc: "How a conv map (C × H × W) becomes one vector: a seeded random spatial position's C-vector (both papers' choice), global average pool, the top-ℓ2 position, or all values.",
  },
  preset: {
    type: "keyword",
    choices: MAPPER_PRESETS,
    default: "default",
    label: "Preset",
    labels: {
      default: "Hidden Atlas default",
      purvine: "Purvine et al.",
      topoact: "TopoAct",
      keplermapper: "KeplerMapper",
    },
    presets: MAPPER_PRESET_VALUES,
    doc: "A published recipe for the graph: ours (fitted cover, ε at the knee of the (min_samples − 1)-th-neighbour distances); Purvine et al.'s scripts (KeplerMapper's cover, 10 intervals, 50 % overlap, min_samples 5, ε at the knee of the 1st-neighbour distances, median if none, 3 significant digits); TopoAct's CIFAR-10 demo (40 intervals, 20 % overlap); or KeplerMapper's map() defaults (its overhanging cover, 10 intervals, 10 % overlap, min_samples 3). The parameters a preset names take its values unless given explicitly.",
    reference:
      "KeplerMapper's DBSCAN default ε = 0.5 is in the data's units, meaningless across layers, so its preset keeps the automatic ε.",
  },
  lens: {
    type: "keyword",
    choices: MAPPER_LENSES,
    available: availableLenses,
    default: "l2norm",
    label: "Lens",
    doc: "The filter function that orders the inputs before the cover: the ℓ2 norm of each activation vector (both papers), their sum, a principal component, density, or a column of the bundle.",
  },
  intervals: {
    type: "integer",
    min: 1,
    max: 1000,
    default: mapperDefaults.intervals,
    label: "Intervals",
    doc: "Intervals covering the lens range.",
    control: { min: 2, max: 40 },
  },
  overlap: {
    type: "number",
    min: 0,
    max: 1,
    exclusiveMax: true,
    default: mapperDefaults.overlap,
    label: "Overlap",
    unit: "fraction of an interval",
    doc: "Fraction of each interval shared with its neighbour.",
    control: { min: 0.05, max: 0.9, step: 0.05 },
  },
  cover: {
    type: "keyword",
    choices: COVERS,
    default: mapperDefaults.cover,
    label: "Cover",
    labels: {
      uniform: "uniform, fitted to the range",
      balanced: "balanced (equal counts)",
      kepler: "KeplerMapper's (overhanging)",
    },
    doc: "Equal intervals fitted to [min, max] of the lens, balanced ones (equal counts), or KeplerMapper's equal intervals centred on n equal bins, whose end intervals overhang the range.",
  },
  eps: {
    type: "number",
    min: 0,
    exclusiveMin: true,
    auto: true,
    default: "auto",
    label: "ε",
    unit: "activation units",
    doc: 'DBSCAN radius; "auto" takes the knee of the sorted distances to each input\'s (min_samples − 1)-th neighbour, to 3 significant digits.',
    reference:
      "KeplerMapper's DBSCAN uses ε = 0.5 in any units; Purvine et al.'s scripts take the knee of the nearest-neighbour distances.",
  },
  epsNeighbor: {
    type: "integer",
    min: 1,
    max: NEIGHBOR_LIST_LENGTH,
    auto: true,
    default: "auto",
    label: "ε from the k-th neighbour",
    unit: "neighbour rank",
    doc: 'Whose distances the automatic ε takes the knee of: "auto" = the (min_samples − 1)-th neighbour (DBSCAN\'s k-dist rule, so a point at the knee is a core point); 1 = the nearest neighbour (Purvine et al.).',
    control: { min: 1, max: 10, input: "select", options: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
  },
  epsScale: {
    type: "number",
    min: 0,
    exclusiveMin: true,
    default: 1,
    label: "ε (× automatic)",
    unit: "× automatic ε",
    doc: 'Multiplies the automatic ε (when ε is "auto"), so one slider moves it in proportion on every layer.',
    control: { min: 0.5, max: 1.5, step: 0.05 },
  },
  minSamples: {
    type: "integer",
    min: 1,
    default: mapperDefaults.minSamples,
    label: "min_samples",
    doc: "DBSCAN's minimum neighbourhood (the point included); intervals with fewer inputs are skipped.",
    control: { min: 2, max: 20 },
  },
  minIntersection: {
    type: "integer",
    min: 1,
    default: mapperDefaults.minIntersection,
    label: "Shared inputs per edge",
    doc: "Inputs two nodes must share to be linked.",
  },
  neighbors: {
    type: "keyword",
    choices: NEIGHBOR_SEARCHES,
    default: "auto",
    label: "Neighbours",
    labels: { auto: "auto", exact: "exact", approximate: "NN-descent" },
    doc: 'How each input\'s 32 nearest neighbours are found: exactly while inputs² × dimension ≤ 2³⁵ and by seeded NN-descent above, with its recall measured on 256 inputs (auto); always exactly; or always by NN-descent. The ε-graph is exact when the neighbours are and it fits in 512 MiB; otherwise inputs with more than 32 neighbours within ε keep their 32 nearest ("exact" refuses instead).',
  },
  seed: {
    type: "integer",
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    default: DEFAULT_SEED,
    label: "Seed",
    doc: "Seed of the random spatial position (conv maps), of NN-descent and of the UMAP scatter.",
    control: { input: "number", max: 2 ** 31 - 1 },
  },
  layer: {
    type: "layer",
    role: "view",
    default: lastLayer,
    defaultDoc: "the last layer",
    label: "Layer",
    doc: "The layer whose graph is drawn large, with its node panel and scatter.",
  },
  color: {
    type: "keyword",
    role: "view",
    choices: NODE_COLORINGS,
    available: availableColorings,
    default: (b: AnalysisBundle) => availableColorings(b)[0],
    defaultDoc: "true labels when the bundle has them",
    label: "Nodes show",
    doc: "Fill of each node: a pie of its true or predicted classes, or the mean lens, confidence or target of its members, or its size.",
    labels: {
      label: "pie of true labels",
      prediction: "pie of predicted classes",
      lens: "mean lens",
      confidence: "mean confidence",
      target: "mean target",
      size: "size",
    },
  },
  minJaccard: {
    type: "number",
    role: "view",
    min: 0,
    max: 1,
    default: 0,
    label: "Hide edges with Jaccard below",
    unit: "Jaccard index",
    formerly: "threshold",
    doc: "Edges whose two nodes share less than this fraction of their members (Jaccard index) are hidden; nothing is recomputed.",
    control: { step: 0.01 },
  },
  scatter: {
    type: "keyword",
    role: "view",
    choices: ["pca", "umap"],
    default: "pca",
    label: "Linked scatter",
    labels: { pca: "PCA", umap: "UMAP" },
    control: { input: "radio" },
    doc: "Layout of the scatter that rings a node's members: the layer's first two principal components, or its UMAP layout (seeded).",
  },
} as const;

export type MapperAnalysisParams = Partial<Resolved<typeof params>>;
export type ResolvedMapperAnalysisParams = Resolved<typeof params>;

/** One node as the notebook, the report and the CLI show it. */
export interface MapperNodeSummary {
  id: string;
  size: number;
  members: number[];
  /** Mean lens value (one per lens dimension). */
  lens: number[];
  component: number;
  /** Counts per class among members, by true label and by predicted class (when known). */
  labelCounts?: number[];
  predictionCounts?: number[];
  /** Mean regression target / mean confidence of the members (when known). */
  meanTarget?: number;
  meanConfidence?: number;
}

export interface MapperLayerResult {
  layer: string;
  samples: number;
  dimension: number;
  nodes: MapperNodeSummary[];
  /** [source, target, jaccard]; node indices into `nodes`. */
  links: [number, number, number][];
  /** Rows in no node. */
  lost: number[];
  elements: MapperGraph["elements"];
  componentCount: number;
  cycles: number;
  eps: number;
  /** How ε was chosen: the automatic rule (knee or median fallback, possibly scaled by epsScale) or given. */
  epsRule: "knee" | "median" | "given";
  /** The automatic ε of this layer (before epsScale), whatever ε was used. */
  autoEps: number;
  /** The factor applied to the automatic ε (1 unless epsScale moved it; 1 when ε was given). */
  epsScale: number;
  /** The neighbour whose sorted distances the automatic ε is read from (1 = the nearest). */
  epsNeighbor: number;
  /** Purity by true label and by predicted class (null when the bundle lacks them). */
  purity: { label: GraphPurity | null; prediction: GraphPurity | null };
  /** How the neighbours were found (exact, or NN-descent and its measured recall) and whether the ε-graph was capped. */
  neighbors: MapperNeighbors;
}

export interface MapperAnalysisResult {
  layers: MapperLayerResult[];
  classNames: string[];
  params: ResolvedMapperAnalysisParams;
}

/** A layer's vectors (conv maps reduced as asked; dense layers as they are). */
export async function mapperMatrix(
  bundle: AnalysisBundle,
  layer: string,
  vectorize: Vectorization,
  seed: number,
): Promise<Matrix> {
  const data = bundle.layers.find((l) => l.name === layer);
  if (!data) throw new HiddenAtlasError("E_PARAM", `invalid layer: ${JSON.stringify(layer)}`);
  return layerMatrix(data, { method: isConvLayer(data) ? vectorize : "flatten", seed });
}

/** Max class probability per sample (rows softmaxed first unless they already are probabilities). */
export function confidence(predictions: Matrix): Float64Array {
  const { rows, cols, data } = predictions;
  return Float64Array.from({ length: rows }, (_, i) => {
    const row = data.subarray(i * cols, (i + 1) * cols);
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (const v of row) {
      sum += v;
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    if (min >= 0 && Math.abs(sum - 1) < 1e-3) return max;
    let z = 0;
    for (const v of row) z += Math.exp(v - max);
    return 1 / z;
  });
}

/** The lens the analysis asks for, as MapperParams understands it. */
export function lensFor(bundle: AnalysisBundle, lens: MapperLensChoice): LensName | CustomLens {
  if ((LENSES as readonly string[]).includes(lens)) return lens as LensName;
  if (lens === "confidence")
    return { name: "confidence", values: [confidence(bundle.predictions!)] };
  if (lens === "prediction") {
    const p = bundle.predictions!;
    const values =
      bundle.task === "classification" && p.cols > 1
        ? argmaxRows(p)
        : Float64Array.from({ length: p.rows }, (_, i) => p.data[i * p.cols]);
    return { name: "prediction", values: [values] };
  }
  const t = bundle.targets;
  const values = t
    ? Float64Array.from({ length: t.rows }, (_, i) => t.data[i * t.cols])
    : Float64Array.from(bundle.labels!);
  return { name: "target", values: [values] };
}

/** The Mapper parameters of an analysis' parameters (`eps` already scaled, see the graph step). */
export function graphParams(
  bundle: AnalysisBundle,
  p: ResolvedMapperAnalysisParams,
  eps: number | "auto" = p.eps,
): MapperParams {
  return {
    lens: lensFor(bundle, p.lens),
    intervals: p.intervals,
    overlap: p.overlap,
    cover: p.cover,
    eps,
    epsNeighbor: p.epsNeighbor,
    minSamples: p.minSamples,
    minIntersection: p.minIntersection,
  };
}

/** The neighbour whose distances the automatic ε is read from (at most the k listed). */
export function epsNeighborOf(
  p: Pick<ResolvedMapperAnalysisParams, "epsNeighbor" | "minSamples">,
  k: number,
): number {
  return Math.min(k, p.epsNeighbor === "auto" ? Math.max(1, p.minSamples - 1) : p.epsNeighbor);
}

/** Statistics of one graph against the bundle's columns: what every consumer shows. */
export function summarizeGraph(
  bundle: AnalysisBundle,
  layer: string,
  X: Matrix,
  graph: MapperGraph,
  auto: { eps: number; rule: "knee" | "median"; scale: number } | null = null,
  epsNeighbor = graph.params.epsNeighbor,
): MapperLayerResult {
  const classNames = bundle.task === "classification" ? classNamesOf(bundle) : [];
  const byLabel =
    bundle.labels && classNames.length
      ? nodeComposition(graph, bundle.labels, classNames.length)
      : null;
  const predicted =
    bundle.predictions && bundle.task === "classification" && bundle.predictions.cols > 1
      ? argmaxRows(bundle.predictions)
      : null;
  const byPrediction = predicted ? nodeComposition(graph, predicted, classNames.length) : null;
  const targets = bundle.targets
    ? nodeMeans(
        graph,
        Float64Array.from(
          { length: bundle.targets.rows },
          (_, i) => bundle.targets!.data[i * bundle.targets!.cols],
        ),
      )
    : null;
  const confidences =
    bundle.predictions && bundle.task === "classification"
      ? nodeMeans(graph, confidence(bundle.predictions))
      : null;
  const nodes = graph.nodes.map((node, i): MapperNodeSummary => ({
    id: node.id,
    size: node.members.length,
    members: Array.from(node.members),
    lens: node.lens,
    component: graph.componentOf[i],
    ...(byLabel ? { labelCounts: Array.from(byLabel[i]) } : {}),
    ...(byPrediction ? { predictionCounts: Array.from(byPrediction[i]) } : {}),
    ...(targets ? { meanTarget: targets[i] } : {}),
    ...(confidences ? { meanConfidence: confidences[i] } : {}),
  }));
  return {
    layer,
    samples: X.rows,
    dimension: X.cols,
    nodes,
    links: graph.links.map((l) => [l.source, l.target, l.jaccard]),
    lost: Array.from(graph.lost),
    elements: graph.elements,
    componentCount: graph.componentCount,
    cycles: graph.cycles,
    eps: graph.params.eps,
    epsRule: auto && auto.scale !== 1 ? auto.rule : graph.params.epsRule,
    autoEps: auto?.eps ?? graph.params.eps,
    epsScale: auto?.scale ?? 1,
    epsNeighbor,
    purity: {
      label: byLabel ? graphPurity(byLabel) : null,
      prediction: byPrediction ? graphPurity(byPrediction) : null,
    },
    neighbors: graph.neighbors,
  };
}

/** A layer's vectors and neighbour lists, kept while parameters of the graph change. */
export interface MapperLayerSpace {
  X: Matrix;
  space: MapperSpace;
  /** Radius up to which ε is a filter of one stored graph (so the ε slider is instant); Infinity when the ε-graph is the capped one. */
  preparedRadius: number;
}

/** The linked scatter of a layer: two coordinates per sample, and the axes' names. */
export interface MapperScatter {
  coordinates: Matrix;
  /** Variance share of PC1 and PC2 (PCA only). */
  explained: Float64Array | null;
  method: "pca" | "umap";
}

const perLayer = (p: ResolvedMapperAnalysisParams, bundle: AnalysisBundle) =>
  p.layers.length ? p.layers : bundle.layers.map((l) => l.name);

/**
 * The descriptor: the notebook, `hidden-atlas report mapper` and the worker all run these
 * steps, so a graph in the browser and one from the command line are the same graph.
 */
export const mapperDescriptor = defineAnalysis<typeof params, MapperAnalysisResult>({
  name: "mapper",
  title: "Mapper graphs",
  question:
    "What shape does each layer give the data, and do deeper layers separate the classes into pure branches?",
  papers: [
    {
      citation: "Rathore et al., CGF 2021 (TopoAct)",
      title: "TopoAct: visually exploring the shape of activations in deep learning",
      url: "https://arxiv.org/abs/1912.06332",
    },
    {
      citation: "Purvine et al., AAAI 2023",
      title:
        "Experimental observations of the topology of convolutional neural network activations",
      url: "https://arxiv.org/abs/2212.00222",
    },
  ],
  params,
  steps: {
    space: {
      label: "finding each input's nearest neighbours",
      uses: ["vectorize", "seed", "neighbors"],
      weight: 10,
      stages: 2,
      keep: 8,
      async run({ bundle, params: p, args, options }): Promise<MapperLayerSpace> {
        const X = await mapperMatrix(bundle, String(args.layer), p.vectorize, p.seed);
        const space = await MapperSpace.build(X, {
          ...options,
          neighbors: p.neighbors,
          seed: p.seed,
        });
        const preparedRadius = await space.prepare(undefined, options);
        return { X, space, preparedRadius };
      },
    },
    graph: {
      label: "building the Mapper graph",
      uses: [
        "lens",
        "intervals",
        "overlap",
        "cover",
        "eps",
        "epsNeighbor",
        "epsScale",
        "minSamples",
        "minIntersection",
      ],
      needs: (args) => [["space", args]],
      keep: 16,
      // A layer's neighbourhoods and graph in one worker: the space is no plain data to ship.
      parallel: "whole",
      // Rough milliseconds on one core (only the order matters: the pool hands the costliest
      // layer out first): reading the values stored, then the neighbour search on rows × columns.
      cost: (args, p, b) => {
        const layer = b.layers.find((l) => l.name === args.layer);
        if (!layer) return 0;
        const stored = layer.shape.reduce((a, n) => a * n, 1);
        const columns = vectorizedWidth(layer, isConvLayer(layer) ? p.vectorize : "flatten");
        return 8e-6 * stored + 1e-3 * layer.shape[0] * columns;
      },
      async run({ bundle, params: p, args, need, options }): Promise<MapperLayerResult> {
        const { X, space } = await need<MapperLayerSpace>("space", args);
        const k = epsNeighborOf(p, space.neighborhoods.k);
        const auto = space.automaticEps(k);
        const scaled =
          p.eps === "auto" && p.epsScale !== 1
            ? Number((p.epsScale * auto.eps).toPrecision(3))
            : p.eps;
        const graph = await space.graph(graphParams(bundle, p, scaled), options);
        return summarizeGraph(
          bundle,
          String(args.layer),
          X,
          graph,
          p.eps === "auto" ? { ...auto, scale: p.epsScale } : null,
          k,
        );
      },
    },
    scatter: {
      label: "principal components of the layer",
      uses: [],
      needs: (args) => [["space", args]],
      keep: 8,
      async run({ args, need, options }): Promise<MapperScatter> {
        const { X } = await need<MapperLayerSpace>("space", args);
        const projection = await pca(X, { nComponents: Math.min(2, X.cols, X.rows), ...options });
        return {
          coordinates: twoColumns(projection.scores),
          explained: projection.explainedVarianceRatio,
          method: "pca",
        };
      },
    },
    umap: {
      label: "UMAP layout of the layer",
      uses: ["seed"],
      needs: (args) => [["space", args]],
      weight: 5,
      stages: 3,
      keep: 8,
      async run({ params: p, args, need, options }): Promise<MapperScatter> {
        const { X } = await need<MapperLayerSpace>("space", args);
        const layout = await umap(X, { seed: p.seed, ...options });
        return { coordinates: layout.coordinates, explained: null, method: "umap" };
      },
    },
    seeds: {
      label: "Mapper purity by layer in every seed's network",
      uses: [
        "layers",
        "vectorize",
        "seed",
        "neighbors",
        "lens",
        "intervals",
        "overlap",
        "cover",
        "eps",
        "epsNeighbor",
        "epsScale",
        "minSamples",
        "minIntersection",
        "preset",
      ],
      weight: (args) =>
        10 *
        (1 +
          String(args.runs ?? "")
            .split(",")
            .filter(Boolean).length),
      keep: 4,
      async run({ bundle, params: p, args, options, others }): Promise<MapperSeedStudy> {
        const runs = String(args.runs ?? "")
          .split(",")
          .filter(Boolean)
          .map(others);
        return mapperSeedStudy([bundle, ...runs], p, options);
      },
    },
    feature: {
      label: "feature visualisation of a node",
      uses: ["seed"],
      needs: (args) => [
        ["space", { layer: args.layer }],
        ["graph", { layer: args.layer }],
      ],
      keep: 32,
      async run({ bundle, params: p, args, need }): Promise<MapperFeatureImage> {
        const layer = String(args.layer);
        const { X } = await need<MapperLayerSpace>("space", { layer });
        const graph = await need<MapperLayerResult>("graph", { layer });
        const index = Number(args.node);
        if (!Number.isInteger(index) || index < 0 || index >= graph.nodes.length) {
          throw new HiddenAtlasError(
            "E_PARAM",
            `invalid node: ${JSON.stringify(args.node)} (expected an index from 0 to ${graph.nodes.length - 1} of layer ${JSON.stringify(layer)}'s nodes)`,
          );
        }
        return nodeFeatureImage(bundle, layer, X, graph.nodes[index], p.seed);
      },
    },
    result: {
      label: "Mapper graphs of every layer",
      // The preset reaches the graphs through the parameters it sets; the result records it.
      uses: ["layers", "preset"],
      needs: (_args, p, bundle) =>
        perLayer(p, bundle).map((layer) => ["graph", { layer }] as [string, { layer: string }]),
      weight: 0,
      async run({ bundle, params: p, need }): Promise<MapperAnalysisResult> {
        const layers: MapperLayerResult[] = [];
        for (const layer of perLayer(p, bundle))
          layers.push(await need<MapperLayerResult>("graph", { layer }));
        return {
          layers,
          classNames: bundle.task === "classification" ? classNamesOf(bundle) : [],
          params: p,
        };
      },
    },
  },
  result: "result",
  // Only a node's feature image reads them (its size and range), and only with a network.
  inputsOnlyInReport: (manifest) => manifest.model === undefined,
});

/** Mapper purity by layer in networks of one architecture trained from several seeds, on the same inputs. */
export interface MapperSeedStudy {
  /** Bundle names, the analysed bundle first. */
  runs: string[];
  layers: string[];
  /** Inputs in every run (the test split when the bundles have one). */
  samples: number;
  split: "test" | "all";
  /** Per run: purity (mean over nodes of 1 / classes present) of each layer's graph. */
  purity: Float64Array[];
  /** Per run: share of the inputs in no node, per layer. */
  lost: Float64Array[];
  /** Per run: nodes per layer. */
  nodes: Int32Array[];
  /** Mean, sd (n − 1) and range of purity and lost share per layer over the runs. */
  spread: { purity: MatrixSpread; lost: MatrixSpread };
  preset: MapperPreset;
}

/**
 * The seed study of the Mapper claim: each bundle's graphs under the same parameters, on the same
 * inputs (each bundle's test split when it has one — the seed bundles hold only those), layer by
 * layer, and the spread of purity over the networks.
 */
export async function mapperSeedStudy(
  bundles: AnalysisBundle[],
  p: ResolvedMapperAnalysisParams,
  options: RunOptions = {},
): Promise<MapperSeedStudy> {
  if (bundles.length < 2)
    throw new HiddenAtlasError(
      "E_PARAM",
      `the seed study needs at least two bundles of the same network; got ${bundles.length}`,
    );
  const [first] = bundles;
  const layers = p.layers.length
    ? p.layers
    : first.layers
        .map((l) => l.name)
        .filter((name) => bundles.every((b) => b.layers.some((l) => l.name === name)));
  for (const b of bundles) {
    const missing = layers.filter((n) => !b.layers.some((l) => l.name === n));
    if (missing.length)
      throw new HiddenAtlasError(
        "E_PARAM",
        `seed study: bundle ${JSON.stringify(b.name)} has no layer ${missing.map((n) => JSON.stringify(n)).join(", ")}`,
      );
    if (!b.labels || b.task !== "classification")
      throw new HiddenAtlasError(
        "E_PARAM",
        `seed study: bundle ${JSON.stringify(b.name)} has no class labels, and purity needs them`,
      );
  }
  if (!layers.length)
    throw new HiddenAtlasError(
      "E_PARAM",
      `seed study: no layer is in every bundle (${bundles.map((b) => JSON.stringify(b.name)).join(", ")})`,
    );
  const split = bundles.every((b) => b.split) ? "test" : "all";
  const rowsOf = (b: AnalysisBundle) =>
    split === "test"
      ? Int32Array.from(Array.from(b.split!, (v, i) => (v === 1 ? i : -1)).filter((i) => i >= 0))
      : Int32Array.from({ length: b.samples }, (_, i) => i);
  const rows = bundles.map(rowsOf);
  const labels0 = Array.from(rows[0], (r) => first.labels![r]);
  for (const [k, b] of bundles.entries()) {
    if (rows[k].length !== rows[0].length || rows[k].some((r, i) => b.labels![r] !== labels0[i])) {
      throw new HiddenAtlasError(
        "E_SHAPE_MISMATCH",
        `seed study: bundle ${JSON.stringify(b.name)} does not hold the same ${split === "test" ? "test " : ""}inputs, with the same labels in the same order, as ${JSON.stringify(first.name)}`,
      );
    }
  }
  const nClasses = Math.max(classNamesOf(first).length, ...labels0.map((l) => l + 1));
  const labels = Int32Array.from(labels0);
  const purity: Float64Array[] = [];
  const lost: Float64Array[] = [];
  const nodes: Int32Array[] = [];
  const total = bundles.length * layers.length;
  let done = 0;
  for (const [k, b] of bundles.entries()) {
    const pur = new Float64Array(layers.length);
    const lo = new Float64Array(layers.length);
    const no = new Int32Array(layers.length);
    for (const [l, layer] of layers.entries()) {
      throwIfAborted(options.signal);
      const X = takeRows(await mapperMatrix(b, layer, p.vectorize, p.seed), rows[k]);
      const space = await MapperSpace.build(X, {
        neighbors: p.neighbors,
        seed: p.seed,
        signal: options.signal,
      });
      const auto = space.automaticEps(epsNeighborOf(p, space.neighborhoods.k));
      const eps =
        p.eps === "auto" && p.epsScale !== 1
          ? Number((p.epsScale * auto.eps).toPrecision(3))
          : p.eps;
      const lens = lensFor(b, p.lens);
      const subsetLens =
        typeof lens === "string"
          ? lens
          : { name: lens.name, values: lens.values.map((v) => Array.from(rows[k], (r) => v[r])) };
      const graph = await space.graph(
        { ...graphParams(b, p, eps), lens: subsetLens },
        { signal: options.signal },
      );
      pur[l] = graphPurity(nodeComposition(graph, labels, nClasses)).meanInverseClasses;
      lo[l] = graph.lost.length / X.rows;
      no[l] = graph.nodes.length;
      options.onProgress?.({ stage: "seed study", done: ++done, total });
    }
    purity.push(pur);
    lost.push(lo);
    nodes.push(no);
  }
  return {
    runs: bundles.map((b) => b.name),
    layers,
    samples: rows[0].length,
    split,
    purity,
    lost,
    nodes,
    spread: { purity: matrixSpread(purity), lost: matrixSpread(lost) },
    preset: p.preset,
  };
}

/** A node's feature visualisation, or why there is none. */
export type MapperFeatureImage =
  | {
      available: true;
      layer: string;
      /** The network layer that bundle layer stores. */
      networkLayer: string;
      node: string;
      /** The image in the bundle's input units, laid out like one row of its inputs. */
      image: Float32Array;
      /** Shape of one input (the bundle's inputs without their first axis). */
      shape: number[];
      /** The bundle's input range, which the image is clipped to and drawn in. */
      range: [number, number];
      /** Projection of the layer's activation on the node's unit mean direction: at the image's start (noise) and end. */
      objective: { start: number; end: number };
      /** The same projection on the node's members' own inputs: mean and maximum. */
      members: { mean: number; max: number; count: number };
      steps: number;
      seed: number;
    }
  | { available: false; layer: string; node: string; reason: string };

/**
 * TopoAct's feature visualisation of a node, on the bundle's own network: regularised activation
 * maximisation (src/algo/nn/feature-visualization.ts) of the node's mean activation vector at
 * the network layer the bundle layer stores. Needs the bundle's `model` (network and weights),
 * its `inputs`, and the layer in the model's layer map; otherwise says which is missing.
 */
export async function nodeFeatureImage(
  bundle: AnalysisBundle,
  layer: string,
  X: Matrix,
  node: MapperNodeSummary,
  seed: number,
): Promise<MapperFeatureImage> {
  const unavailable = (reason: string): MapperFeatureImage => ({
    available: false,
    layer,
    node: node.id,
    reason,
  });
  const model = bundle.model;
  if (!model)
    return unavailable(
      "This bundle carries no trained network (no model in its manifest), so no input can be optimised: TopoAct's feature visualisation needs the network's weights. The members' own inputs are shown instead.",
    );
  if (!bundle.inputs)
    return unavailable(
      "This bundle has a network but no inputs, so the image's size and range are unknown.",
    );
  const networkLayer = model.layers?.[layer];
  if (!networkLayer) {
    const mapped = Object.keys(model.layers ?? {});
    return unavailable(
      `The bundle's network does not recompute layer ${JSON.stringify(layer)} (${mapped.length ? `its model maps only ${mapped.map((m) => JSON.stringify(m)).join(", ")}` : "its model maps no layer"}), so there is no activation to maximise for it.`,
    );
  }
  const inputScale = model.inputScale ?? 1;
  const direction = new Float64Array(X.cols);
  for (const m of node.members)
    for (let j = 0; j < X.cols; j++) direction[j] += X.data[m * X.cols + j];
  if (!direction.some((v) => v !== 0))
    return unavailable(
      `The members' mean activation vector is zero at ${JSON.stringify(layer)}: there is no direction to maximise.`,
    );
  const net = await Network.create(model.spec as unknown as NetworkSpec, { seed });
  try {
    net.setParameters(model.parameters);
    const shape = bundle.inputs.shape.slice(1);
    const perSample = shape.reduce((a, b) => a * b, 1);
    if (perSample !== net.inputSize) {
      throw new HiddenAtlasError(
        "E_SHAPE_MISMATCH",
        `the bundle's model takes ${net.inputSize} inputs but its inputs have ${perSample} values per sample`,
      );
    }
    let lo = Infinity;
    let hi = -Infinity;
    const raw = bundle.inputs.data;
    for (let i = 0; i < raw.length; i++) {
      lo = Math.min(lo, raw[i]);
      hi = Math.max(hi, raw[i]);
    }
    if (!(hi > lo))
      return unavailable("The bundle's inputs are constant, so there is no input range to search.");
    const inputShape = (model.spec as { inputShape?: number[] }).inputShape ?? [net.inputSize];
    const side = Math.round(Math.sqrt(net.inputSize));
    const imageShape: [number, number] | undefined =
      inputShape.length === 3
        ? [inputShape[1], inputShape[2]]
        : inputShape.length === 1 && side * side === net.inputSize
          ? [side, side]
          : undefined;
    const fv = await featureVisualization(net, {
      layer: networkLayer,
      direction,
      range: [lo * inputScale, hi * inputScale],
      imageShape,
      seed,
    });
    // The members' own inputs, projected on the same direction.
    const weights = projectionWeights(
      net.layer(networkLayer).outShape,
      net.layer(networkLayer).outSize,
      direction,
      networkLayer,
    );
    const memberInputs = new Float32Array(node.members.length * perSample);
    node.members.forEach((m, r) => {
      for (let j = 0; j < perSample; j++)
        memberInputs[r * perSample + j] = raw[m * perSample + j] * inputScale;
    });
    const acts = net.activations(memberInputs, node.members.length, [networkLayer])[networkLayer];
    const size = weights.length;
    let sum = 0;
    let max = -Infinity;
    for (let r = 0; r < node.members.length; r++) {
      let v = 0;
      for (let j = 0; j < size; j++) v += weights[j] * acts[r * size + j];
      sum += v;
      max = Math.max(max, v);
    }
    return {
      available: true,
      layer,
      networkLayer,
      node: node.id,
      image: Float32Array.from(fv.image, (v) => v / inputScale),
      shape,
      range: [lo, hi],
      objective: fv.objective,
      members: { mean: sum / node.members.length, max, count: node.members.length },
      steps: fv.steps,
      seed: fv.seed,
    };
  } finally {
    net.dispose();
  }
}

/** A one-column matrix padded with zeros (a one-unit layer drawn on a line), else the first two columns. */
function twoColumns(m: Matrix): Matrix {
  if (m.cols === 2) return m;
  const data = new Float32Array(m.rows * 2);
  for (let i = 0; i < m.rows; i++) {
    data[2 * i] = m.data[i * m.cols];
    data[2 * i + 1] = m.cols > 1 ? m.data[i * m.cols + 1] : 0;
  }
  return { rows: m.rows, cols: 2, data };
}

/** Mapper graphs of the chosen layers (all by default), for scripts: `mapperAnalysis(bundle, {intervals: 12})`. */
export function mapperAnalysis(
  bundle: AnalysisBundle,
  params: MapperAnalysisParams = {},
  options: RunOptions = {},
): Promise<MapperAnalysisResult> {
  return runAnalysis(mapperDescriptor, bundle, params, options);
}
