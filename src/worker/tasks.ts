/**
 * The tasks the analysis worker runs, by name. Each takes plain arguments (matrices are
 * usually sent once with `put` and named by key) and returns a plain result object.
 */
import { KnnIndex, knn } from "../algo/knn.ts";
import { pca } from "../algo/pca.ts";
import type { Metric } from "../algo/distance.ts";
import { exploreNeighbors, exploreProjection } from "../analyses/explore.ts";
import { somCodes, type SomCodesParams } from "../analyses/som-codes.ts";
import { layerTopology, type LayerTopologyParams } from "../analyses/layer-topology.ts";
import type { AnalysisBundle } from "../analyses/columns.ts";
import { mdaColour, mdaPanel, mdaSamples, resolveMdaParams, type MdaAnalysisParams, type MdaStage } from "../analyses/mda.ts";
import { graphParams, mapperMatrix, resolveMapperParams, summarizeGraph, type MapperAnalysisParams } from "../analyses/mapper.ts";
import { MapperSpace } from "../algo/mapper/mapper.ts";
import { umap } from "../algo/umap.ts";
import type { Matrix } from "../core/matrix.ts";
import { DIGIT_CLASSES, imageDataset } from "../examples/datasets.ts";
import { recipeNamed } from "../examples/index.ts";
import { HiddenAtlasError } from "../core/errors.ts";
import { zipBundle } from "../io/bundle-write.ts";
import type { NdArray } from "../io/ndarray.ts";
import type { Task, TaskContext } from "./host.ts";
import { baselineStudy, continualStudy, generalizationStudy, trainingDynamics, type MphateStudyParams } from "../analyses/mphate.ts";

/** The most recent kNN index, reused while the same matrix and metric are queried. */
let cachedIndex: { matrix: Matrix; metric: Metric; index: KnnIndex } | null = null;

async function indexFor(matrix: Matrix, metric: Metric): Promise<KnnIndex> {
  if (cachedIndex && cachedIndex.matrix === matrix && cachedIndex.metric === metric) return cachedIndex.index;
  cachedIndex?.index.release();
  cachedIndex = null;
  const index = await KnnIndex.build(matrix, { metric });
  cachedIndex = { matrix, metric, index };
  return index;
}

/**
 * Mapper spaces (each layer's neighbour lists) by bundle, layer, vectorisation and seed: a few
 * are kept so that moving a slider, or going back to a layer, recomputes only the graph.
 */
interface MapperLayerEntry {
  X: Matrix;
  space: MapperSpace;
  preparedRadius: number;
  scores: Matrix;
  explained: Float64Array;
  /** The layer's UMAP layout for the linked scatter, computed on first request. */
  umap?: Promise<Matrix>;
}
const mapperSpaces = new Map<string, Promise<MapperLayerEntry>>();
const MAPPER_SPACES_KEPT = 8;

function mapperSpace(bundle: AnalysisBundle, key: string, layer: string, vectorize: MapperAnalysisParams["vectorize"], seed: number, context: TaskContext) {
  const id = JSON.stringify([key, layer, vectorize, seed]);
  let entry = mapperSpaces.get(id);
  if (!entry) {
    entry = (async () => {
      const X = await mapperMatrix(bundle, layer, vectorize ?? "random", seed);
      const space = await MapperSpace.build(X, runOptions(context));
      const preparedRadius = await space.prepare(undefined, runOptions(context));
      // The linked scatter: the layer's first two principal components.
      const projection = await pca(X, { nComponents: Math.min(2, X.cols, X.rows) });
      return { X, space, preparedRadius, scores: projection.scores, explained: projection.explainedVarianceRatio } as MapperLayerEntry;
    })();
    entry.catch(() => mapperSpaces.delete(id));
    mapperSpaces.set(id, entry);
    while (mapperSpaces.size > MAPPER_SPACES_KEPT) mapperSpaces.delete(mapperSpaces.keys().next().value!);
  }
  return entry;
}

/** The progress and cancellation hooks of a task, as library options. */
const runOptions = ({ signal, onProgress }: TaskContext) => ({ signal, onProgress });

/** A matrix passed inline or by the key of a `put`. */
type MatrixArg = { matrix: Matrix } | { key: string };
const matrixOf = (args: MatrixArg, context: TaskContext): Matrix =>
  "key" in args ? context.get<Matrix>(args.key) : args.matrix;

export const tasks: Record<string, Task> = {
  knn: (async (args: MatrixArg & { k: number; metric?: Metric }, context: TaskContext) =>
    knn(matrixOf(args, context), { k: args.k, metric: args.metric, ...runOptions(context) })) as Task,

  pca: (async (args: MatrixArg & { nComponents?: number }, context: TaskContext) =>
    pca(matrixOf(args, context), { nComponents: args.nComponents, ...runOptions(context) })) as Task,

  "explore.projection": (async (args: MatrixArg & { layer: string; maxPoints: number; seed: number }, context: TaskContext) =>
    exploreProjection(matrixOf(args, context), args, runOptions(context))) as Task,

  /** Train a digits recipe; returns each bundle as .zip bytes with its summary. */
  "example.run": (async (args: { recipe: string; seed?: number; epochs?: number; digits: { images: NdArray; labels: NdArray } }, context: TaskContext) => {
    const recipe = recipeNamed(args.recipe);
    if (!recipe) throw new HiddenAtlasError("E_PARAM", `unknown example recipe ${JSON.stringify(args.recipe)}`);
    if (recipe.needs.some((need) => need !== "digits")) {
      throw new HiddenAtlasError("E_PARAM", `${recipe.name} needs data the browser does not have; run \`hidden-atlas example ${recipe.name}\` instead`);
    }
    const digits = imageDataset("digits", args.digits.images, args.digits.labels, DIGIT_CLASSES, 16);
    const results = await recipe.run({ digits }, { seed: args.seed, epochs: args.epochs, ...runOptions(context) });
    return results.map((r) => ({ name: r.name, summary: r.summary, zip: zipBundle(r.bundle) }));
  }) as Task,

  /** The mphate analysis: training dynamics of one bundle, the generalisation and continual studies over several, baselines. */
  "mphate.dynamics": (async (args: { key: string; params: MphateStudyParams }, context: TaskContext) =>
    trainingDynamics(context.get<AnalysisBundle>(args.key), args.params, runOptions(context))) as Task,
  "mphate.generalization": (async (args: { keys: string[]; params: MphateStudyParams }, context: TaskContext) =>
    generalizationStudy(args.keys.map((k) => context.get<AnalysisBundle>(k)), args.params, runOptions(context))) as Task,
  "mphate.continual": (async (args: { keys: string[]; params: MphateStudyParams & { ariSeeds?: number } }, context: TaskContext) =>
    continualStudy(args.keys.map((k) => context.get<AnalysisBundle>(k)), args.params, runOptions(context))) as Task,
  "mphate.baselines": (async (args: { key: string; params: MphateStudyParams }, context: TaskContext) =>
    baselineStudy(context.get<AnalysisBundle>(args.key), args.params, runOptions(context))) as Task,

  /** The som-codes analysis of a bundle kept with `put`. */
  somCodes: (async (args: { key: string; params: SomCodesParams }, context: TaskContext) =>
    somCodes(context.get<AnalysisBundle>(args.key), args.params, runOptions(context))) as Task,

  /** The layer-topology analysis (Purvine et al.) of a bundle kept with `put`. */
  layerTopology: (async (args: { key: string; params: LayerTopologyParams }, context: TaskContext) =>
    layerTopology(context.get<AnalysisBundle>(args.key), args.params, runOptions(context))) as Task,

  /**
   * One layer's Mapper graph with its statistics and the layer's PCA scores; the layer's
   * neighbour lists are kept for the next call. `epsScale` multiplies the automatic ε.
   */
  "mapper.graph": (async (args: { key: string; layer: string; params: MapperAnalysisParams; epsScale?: number }, context: TaskContext) => {
    const bundle = context.get<AnalysisBundle>(args.key);
    const p = resolveMapperParams(bundle, { ...args.params, layers: [args.layer] });
    const { X, space, preparedRadius, scores, explained } = await mapperSpace(bundle, args.key, args.layer, p.vectorize, p.seed, context);
    const autoEps = space.automaticEps(Math.min(space.neighborhoods.k, Math.max(1, p.minSamples - 1))).eps;
    if (args.epsScale !== undefined && args.epsScale !== 1) p.eps = Number((args.epsScale * autoEps).toPrecision(3));
    const graph = await space.graph(graphParams(bundle, p), runOptions(context));
    // Copies: the host transfers result buffers, and the cached ones must stay usable.
    return { ...summarizeGraph(bundle, args.layer, X, graph), autoEps, preparedRadius, scores: { ...scores, data: scores.data.slice() }, explained: explained.slice() };
  }) as Task,

  /** One layer × stage of the mda analysis (all its methods' layouts and scores), with the samples and their colour. */
  "mda.panel": (async (args: { key: string; layer: string; stage: MdaStage; params: MdaAnalysisParams }, context: TaskContext) => {
    const bundle = context.get<AnalysisBundle>(args.key);
    const p = resolveMdaParams(bundle, { ...args.params, layers: [args.layer], stages: [args.stage] });
    const samples = await mdaSamples(bundle, p);
    const notes: string[] = [];
    const panel = await mdaPanel(bundle, args.layer, args.stage, p, samples, runOptions(context), notes);
    return { panel, samples, colour: await mdaColour(bundle, samples), params: p, notes };
  }) as Task,

  /** The UMAP layout (umap-learn defaults, seeded) of a layer for the mapper notebook's linked scatter. */
  "mapper.umap": (async (args: { key: string; layer: string; params: MapperAnalysisParams }, context: TaskContext) => {
    const bundle = context.get<AnalysisBundle>(args.key);
    const p = resolveMapperParams(bundle, { ...args.params, layers: [args.layer] });
    const entry = await mapperSpace(bundle, args.key, args.layer, p.vectorize, p.seed, context);
    if (!entry.umap) {
      entry.umap = umap(entry.X, { seed: p.seed, ...runOptions(context) }).then((r) => r.coordinates);
      entry.umap.catch(() => (entry.umap = undefined));
    }
    const coordinates = await entry.umap;
    return { ...coordinates, data: coordinates.data.slice() };
  }) as Task,

  "explore.neighbors": (async (args: MatrixArg & { point: number; k: number; metric: "euclidean" | "cosine" }, context: TaskContext) =>
    exploreNeighbors(await indexFor(matrixOf(args, context), args.metric), args)) as Task,
};
