/**
 * The tasks the analysis worker runs, by name. Each takes plain arguments (matrices are
 * usually sent once with `put` and named by key) and returns a plain result object.
 */
import { KnnIndex, knn } from "../algo/knn.ts";
import { pca } from "../algo/pca.ts";
import type { Metric } from "../algo/distance.ts";
import { exploreNeighbors, exploreProjection } from "../analyses/explore.ts";
import type { Matrix } from "../core/matrix.ts";
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

  "explore.neighbors": (async (args: MatrixArg & { point: number; k: number; metric: "euclidean" | "cosine" }, context: TaskContext) =>
    exploreNeighbors(await indexFor(matrixOf(args, context), args.metric), args)) as Task,
};
