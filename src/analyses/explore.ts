/**
 * The `explore` analysis: a first look at one layer. PCA of its activation vectors (the
 * scatter), and the k nearest neighbours of a chosen sample in the original space, with
 * distances (the TensorBoard Projector's inspector, which users expect; specs/ecosystem.md §4).
 *
 * The notebook runs the two steps separately (projection when the layer changes, neighbours
 * when a point is clicked); `explore()` runs both for the CLI and reports.
 */
import { pca } from "../algo/pca.ts";
import { KnnIndex, type KnnResult } from "../algo/knn.ts";
import { layerMatrix, VECTORIZATIONS, type Vectorization } from "../algo/vectorize.ts";
import { HiddenAtlasError } from "../core/errors.ts";
import type { Matrix } from "../core/matrix.ts";
import { checkInteger, checkKeyword, checkOptionNames } from "../core/params.ts";
import type { RunOptions } from "../core/progress.ts";
import { DEFAULT_SEED, Rng, checkSeed } from "../core/random.ts";
import { getCore } from "../core/wasm.ts";
import { COLOR_BY, defaultColorBy, type AnalysisBundle, type ColorBy } from "./columns.ts";

export interface ExploreParams {
  /** Layer to show. Defaults to the bundle's first layer. */
  layer?: string;
  /** How conv maps become vectors (see algo/vectorize). Defaults to "gap". */
  vectorize?: Vectorization;
  /** Colour the points by "label", "target", "prediction" or "none"; defaults to what exists. */
  color?: ColorBy;
  /** Neighbours listed for the chosen point. Defaults to 10. */
  k?: number;
  /** Distance for the neighbours. Defaults to "euclidean" (the Projector offers cosine too). */
  metric?: "euclidean" | "cosine";
  /** Sample whose neighbours are listed. Defaults to 0. */
  point?: number;
  /** Largest number of points drawn; more are subsampled with `seed`. Defaults to 5,000. */
  maxPoints?: number;
  /** Seed of the subsample of drawn points. Defaults to 42. */
  seed?: number;
}

export type ResolvedExploreParams = Required<ExploreParams>;

export const exploreDefaults = {
  layer: "",
  vectorize: "gap" as Vectorization,
  color: "label" as ColorBy,
  k: 10,
  metric: "euclidean" as "euclidean" | "cosine",
  point: 0,
  maxPoints: 5000,
  seed: DEFAULT_SEED,
};

/** Components whose variance share is reported (the scree chart). */
const SCREE_COMPONENTS = 10;

export interface ExploreProjection {
  layer: string;
  samples: number;
  dimension: number;
  /** samples × 2: PC1 and PC2 of every sample. */
  scores: Matrix;
  /** Variance share of the first components (up to 10). */
  explainedVarianceRatio: Float64Array;
  totalVariance: number;
  /** Indices of the samples drawn (all, or a seeded subsample of maxPoints), ascending. */
  shown: Int32Array;
}

export interface ExploreNeighbors {
  point: number;
  k: number;
  metric: "euclidean" | "cosine";
  /** Neighbour rows, nearest first (the point itself excluded). */
  indices: Int32Array;
  distances: Float32Array;
}

export interface ExploreResult {
  projection: ExploreProjection;
  neighbors: ExploreNeighbors;
  params: ResolvedExploreParams;
}

/** Fill in defaults and check every parameter against the bundle. */
export function resolveExploreParams(bundle: AnalysisBundle, params: ExploreParams = {}): ResolvedExploreParams {
  checkOptionNames("explore", params, exploreDefaults, []);
  if (bundle.layers.length === 0) {
    throw new HiddenAtlasError("E_MANIFEST", `bundle ${JSON.stringify(bundle.name)} has no layers`);
  }
  const layer = params.layer ?? bundle.layers[0].name;
  if (!bundle.layers.some((l) => l.name === layer)) {
    throw new HiddenAtlasError(
      "E_PARAM",
      `invalid layer: ${JSON.stringify(layer)} (expected one of ${bundle.layers.map((l) => JSON.stringify(l.name)).join(", ")})`,
    );
  }
  return {
    layer,
    vectorize: checkKeyword("vectorize", params.vectorize ?? exploreDefaults.vectorize, VECTORIZATIONS),
    color: checkKeyword("color", params.color ?? defaultColorBy(bundle), COLOR_BY),
    k: checkInteger("k", params.k ?? exploreDefaults.k, 1, Math.min(256, bundle.samples - 1)),
    metric: checkKeyword("metric", params.metric ?? exploreDefaults.metric, ["euclidean", "cosine"] as const),
    point: checkInteger("point", params.point ?? exploreDefaults.point, 0, bundle.samples - 1),
    maxPoints: checkInteger("maxPoints", params.maxPoints ?? exploreDefaults.maxPoints, 1),
    seed: checkSeed(params.seed ?? exploreDefaults.seed),
  };
}

/** The layer's activation vectors, one row per sample. */
export async function exploreMatrix(bundle: AnalysisBundle, params: ResolvedExploreParams): Promise<Matrix> {
  const layer = bundle.layers.find((l) => l.name === params.layer)!;
  return layerMatrix(layer, { method: params.vectorize, seed: params.seed });
}

/** PCA scatter of one layer; a seeded subsample of at most maxPoints samples is drawn. */
export async function exploreProjection(
  X: Matrix,
  { layer, maxPoints, seed }: { layer: string; maxPoints: number; seed: number },
  options: RunOptions = {},
): Promise<ExploreProjection> {
  const components = Math.min(SCREE_COMPONENTS, X.rows, X.cols);
  const result = await pca(X, { nComponents: components, ...options });
  const scores = new Float32Array(X.rows * 2);
  for (let i = 0; i < X.rows; i++) {
    scores[i * 2] = result.scores.data[i * components];
    // A one-column layer has no second component: draw it on a line.
    scores[i * 2 + 1] = components > 1 ? result.scores.data[i * components + 1] : 0;
  }
  return {
    layer,
    samples: X.rows,
    dimension: X.cols,
    scores: { rows: X.rows, cols: 2, data: scores },
    explainedVarianceRatio: result.explainedVarianceRatio,
    totalVariance: result.totalVariance,
    shown: await subsample(X.rows, maxPoints, seed),
  };
}

/** All of 0 … n−1, or a seeded sample of `size` of them, ascending. */
async function subsample(n: number, size: number, seed: number): Promise<Int32Array> {
  if (n <= size) return Int32Array.from({ length: n }, (_, i) => i);
  const rng = new Rng(await getCore(), seed);
  try {
    return rng.permutation(n).subarray(0, size).sort();
  } finally {
    rng.release();
  }
}

/** The k nearest neighbours of one sample in the original space. */
export async function exploreNeighbors(
  index: KnnIndex,
  { point, k }: { point: number; k: number },
): Promise<ExploreNeighbors> {
  const result: KnnResult = await index.neighborsOf(point, k);
  return {
    point,
    k,
    metric: index.metric as "euclidean" | "cosine",
    indices: result.indices,
    distances: result.distances,
  };
}

/** Both steps, for the command line and reports. */
export async function explore(
  bundle: AnalysisBundle,
  params: ExploreParams = {},
  options: RunOptions = {},
): Promise<ExploreResult> {
  const resolved = resolveExploreParams(bundle, params);
  const X = await exploreMatrix(bundle, resolved);
  const projection = await exploreProjection(X, resolved, options);
  const index = await KnnIndex.build(X, { metric: resolved.metric });
  try {
    const neighbors = await exploreNeighbors(index, resolved);
    return { projection, neighbors, params: resolved };
  } finally {
    index.release();
  }
}
