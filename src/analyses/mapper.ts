/**
 * The `mapper` analysis: TopoAct's and Purvine et al.'s Mapper graphs of a layer's activations
 * (specs/tda.md §1.4, §2, §5), with each node's class composition (by label and by the
 * network's prediction) and the graph's purity, layer by layer.
 *
 * Conv maps become one vector per sample by a seeded random spatial position (both papers'
 * mapper choice) unless told otherwise. The notebook keeps one `MapperSpace` per layer in the
 * worker so that sliders recompute in milliseconds; `mapperAnalysis()` runs everything for the
 * CLI and reports.
 */
import { layerMatrix, isConvLayer, VECTORIZATIONS, type Vectorization } from "../algo/vectorize.ts";
import { LENSES, MapperSpace, mapperDefaults, type CustomLens, type LensName, type MapperGraph, type MapperParams } from "../algo/mapper/mapper.ts";
import { COVERS, type CoverKind } from "../algo/mapper/cover.ts";
import { graphPurity, nodeComposition, nodeMeans, type GraphPurity } from "../algo/mapper/statistics.ts";
import { HiddenAtlasError } from "../core/errors.ts";
import type { Matrix } from "../core/matrix.ts";
import { checkInteger, checkKeyword, checkNumber, checkOptionNames } from "../core/params.ts";
import { ProgressTracker, type RunOptions } from "../core/progress.ts";
import { DEFAULT_SEED, checkSeed } from "../core/random.ts";
import { argmaxRows, classNamesOf, type AnalysisBundle } from "./columns.ts";

/** Lenses read from the bundle rather than computed from the activations. */
export const COLUMN_LENSES = ["target", "prediction", "confidence"] as const;
export type MapperLensChoice = LensName | (typeof COLUMN_LENSES)[number];
export const MAPPER_LENSES: readonly MapperLensChoice[] = [...LENSES, ...COLUMN_LENSES];

export interface MapperAnalysisParams {
  /** Layers to analyse (all by default). The notebook asks for one at a time. */
  layers?: string[];
  /** How conv maps become vectors. Default "random" (one seeded spatial position, as both papers). */
  vectorize?: Vectorization;
  lens?: MapperLensChoice;
  intervals?: number;
  overlap?: number;
  cover?: CoverKind;
  eps?: number | "auto";
  minSamples?: number;
  minIntersection?: number;
  seed?: number;
}

export const mapperAnalysisDefaults = {
  layers: [] as string[],
  vectorize: "random" as Vectorization,
  lens: "l2norm" as MapperLensChoice,
  intervals: mapperDefaults.intervals,
  overlap: mapperDefaults.overlap,
  cover: mapperDefaults.cover,
  eps: mapperDefaults.eps,
  minSamples: mapperDefaults.minSamples,
  minIntersection: mapperDefaults.minIntersection,
  seed: DEFAULT_SEED,
};

export type ResolvedMapperAnalysisParams = typeof mapperAnalysisDefaults;

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
  epsRule: "knee" | "median" | "given";
  /** Purity by true label and by predicted class (null when the bundle lacks them). */
  purity: { label: GraphPurity | null; prediction: GraphPurity | null };
}

export interface MapperAnalysisResult {
  layers: MapperLayerResult[];
  classNames: string[];
  params: ResolvedMapperAnalysisParams;
}

/** Fill in defaults and check every parameter against the bundle. */
export function resolveMapperParams(bundle: AnalysisBundle, params: MapperAnalysisParams = {}): ResolvedMapperAnalysisParams {
  checkOptionNames("mapper", params, mapperAnalysisDefaults, []);
  if (bundle.layers.length === 0) throw new HiddenAtlasError("E_MANIFEST", `bundle ${JSON.stringify(bundle.name)} has no layers`);
  const names = bundle.layers.map((l) => l.name);
  const layers = params.layers?.length ? params.layers : names;
  for (const layer of layers) {
    if (!names.includes(layer)) {
      throw new HiddenAtlasError("E_PARAM", `invalid layer: ${JSON.stringify(layer)} (expected one of ${names.map((n) => JSON.stringify(n)).join(", ")})`);
    }
  }
  const lens = checkKeyword("lens", params.lens ?? mapperAnalysisDefaults.lens, MAPPER_LENSES);
  if ((lens === "prediction" || lens === "confidence") && !bundle.predictions) {
    throw new HiddenAtlasError("E_PARAM", `lens "${lens}" needs the bundle's predictions, and ${JSON.stringify(bundle.name)} has none`);
  }
  if (lens === "target" && !bundle.targets && !bundle.labels) {
    throw new HiddenAtlasError("E_PARAM", `lens "target" needs the bundle's targets or labels, and ${JSON.stringify(bundle.name)} has neither`);
  }
  const eps = params.eps ?? mapperAnalysisDefaults.eps;
  return {
    layers,
    vectorize: checkKeyword("vectorize", params.vectorize ?? mapperAnalysisDefaults.vectorize, VECTORIZATIONS),
    lens,
    intervals: checkInteger("intervals", params.intervals ?? mapperAnalysisDefaults.intervals, 1, 1000),
    overlap: checkNumber("overlap", params.overlap ?? mapperAnalysisDefaults.overlap, 0, 1, { exclusiveMax: true }),
    cover: checkKeyword("cover", params.cover ?? mapperAnalysisDefaults.cover, COVERS),
    eps: eps === "auto" ? "auto" : checkNumber("eps", eps, 0, Infinity, { exclusiveMin: true }),
    minSamples: checkInteger("minSamples", params.minSamples ?? mapperAnalysisDefaults.minSamples, 1),
    minIntersection: checkInteger("minIntersection", params.minIntersection ?? mapperAnalysisDefaults.minIntersection, 1),
    seed: checkSeed(params.seed ?? mapperAnalysisDefaults.seed),
  };
}

/** A layer's vectors (conv maps reduced as asked; dense layers as they are). */
export async function mapperMatrix(bundle: AnalysisBundle, layer: string, vectorize: Vectorization, seed: number): Promise<Matrix> {
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
  if (lens === "confidence") return { name: "confidence", values: [confidence(bundle.predictions!)] };
  if (lens === "prediction") {
    const p = bundle.predictions!;
    const values = bundle.task === "classification" && p.cols > 1 ? argmaxRows(p) : Float64Array.from({ length: p.rows }, (_, i) => p.data[i * p.cols]);
    return { name: "prediction", values: [values] };
  }
  const t = bundle.targets;
  const values = t ? Float64Array.from({ length: t.rows }, (_, i) => t.data[i * t.cols]) : Float64Array.from(bundle.labels!);
  return { name: "target", values: [values] };
}

/** The Mapper parameters of an analysis' parameters. */
export function graphParams(bundle: AnalysisBundle, p: ResolvedMapperAnalysisParams): MapperParams {
  return {
    lens: lensFor(bundle, p.lens),
    intervals: p.intervals,
    overlap: p.overlap,
    cover: p.cover,
    eps: p.eps,
    minSamples: p.minSamples,
    minIntersection: p.minIntersection,
  };
}

/** Statistics of one graph against the bundle's columns: what every consumer shows. */
export function summarizeGraph(bundle: AnalysisBundle, layer: string, X: Matrix, graph: MapperGraph): MapperLayerResult {
  const classNames = bundle.task === "classification" ? classNamesOf(bundle) : [];
  const byLabel = bundle.labels && classNames.length ? nodeComposition(graph, bundle.labels, classNames.length) : null;
  const predicted = bundle.predictions && bundle.task === "classification" && bundle.predictions.cols > 1 ? argmaxRows(bundle.predictions) : null;
  const byPrediction = predicted ? nodeComposition(graph, predicted, classNames.length) : null;
  const targets = bundle.targets ? nodeMeans(graph, Float64Array.from({ length: bundle.targets.rows }, (_, i) => bundle.targets!.data[i * bundle.targets!.cols])) : null;
  const confidences = bundle.predictions && bundle.task === "classification" ? nodeMeans(graph, confidence(bundle.predictions)) : null;
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
    epsRule: graph.params.epsRule,
    purity: { label: byLabel ? graphPurity(byLabel) : null, prediction: byPrediction ? graphPurity(byPrediction) : null },
  };
}

/** Mapper graphs of the chosen layers (all by default), for the CLI and reports. */
export async function mapperAnalysis(bundle: AnalysisBundle, params: MapperAnalysisParams = {}, options: RunOptions = {}): Promise<MapperAnalysisResult> {
  const p = resolveMapperParams(bundle, params);
  const tracker = new ProgressTracker(options, "mapper layers", p.layers.length);
  const layers: MapperLayerResult[] = [];
  for (const layer of p.layers) {
    const X = await mapperMatrix(bundle, layer, p.vectorize, p.seed);
    const space = await MapperSpace.build(X, { signal: options.signal });
    layers.push(summarizeGraph(bundle, layer, X, await space.graph(graphParams(bundle, p), { signal: options.signal })));
    await tracker.step(layers.length);
  }
  tracker.finish();
  return { layers, classNames: bundle.task === "classification" ? classNamesOf(bundle) : [], params: p };
}
