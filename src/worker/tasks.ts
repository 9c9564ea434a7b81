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
import type { Matrix } from "../core/matrix.ts";
import { DIGIT_CLASSES, imageDataset } from "../examples/datasets.ts";
import { recipeNamed } from "../examples/index.ts";
import { HiddenAtlasError } from "../core/errors.ts";
import { zipBundle } from "../io/bundle-write.ts";
import type { NdArray } from "../io/ndarray.ts";
import type { Task, TaskContext } from "./host.ts";

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

  /** The som-codes analysis of a bundle kept with `put`. */
  somCodes: (async (args: { key: string; params: SomCodesParams }, context: TaskContext) =>
    somCodes(context.get<AnalysisBundle>(args.key), args.params, runOptions(context))) as Task,

  /** The layer-topology analysis (Purvine et al.) of a bundle kept with `put`. */
  layerTopology: (async (args: { key: string; params: LayerTopologyParams }, context: TaskContext) =>
    layerTopology(context.get<AnalysisBundle>(args.key), args.params, runOptions(context))) as Task,

  "explore.neighbors": (async (args: MatrixArg & { point: number; k: number; metric: "euclidean" | "cosine" }, context: TaskContext) =>
    exploreNeighbors(await indexFor(matrixOf(args, context), args.metric), args)) as Task,
};
