/**
 * The `explore` analysis: a first look at one layer. PCA of its activation vectors (the
 * scatter), and the k nearest neighbours of a chosen sample in the original space, with
 * distances (the TensorBoard Projector's inspector, which users expect).
 *
 * The notebook runs the steps separately (the projection when the layer changes, the
 * neighbours when a point is clicked); `exploreAnalysis()` runs them all for scripts.
 */
import { pca } from "../algo/pca.ts";
import { KnnIndex, type KnnResult } from "../algo/knn.ts";
import { seededRows } from "../algo/subsample.ts";
import { layerMatrix, VECTORIZATIONS } from "../algo/vectorize.ts";
import type { Matrix } from "../core/matrix.ts";
import type { RunOptions } from "../core/progress.ts";
import { DEFAULT_SEED } from "../core/random.ts";
import { COLOR_BY, defaultColorBy, sampleColumn, type AnalysisBundle } from "./columns.ts";
import { defineAnalysis, type Resolved } from "./descriptor.ts";
import { runAnalysis } from "./runner.ts";

const firstLayer = (bundle: AnalysisBundle) => bundle.layers[0]?.name ?? "";
const colorChoices = (bundle: AnalysisBundle) =>
  COLOR_BY.filter((c) => c === "none" || sampleColumn(bundle, c));

/** The parameter table (see descriptor.ts). */
const params = {
  layer: {
    type: "layer",
    default: firstLayer,
    defaultDoc: "the first layer",
    label: "Layer",
    doc: "The layer whose activation vectors are drawn and searched.",
  },
  vectorize: {
    type: "keyword",
    choices: VECTORIZATIONS,
    default: "gap",
    label: "Conv maps as",
    doc: "How a conv map (C × H × W) becomes one vector: global average pool, all values, the top-ℓ2 spatial position or a seeded random one.",
  },
  color: {
    type: "keyword",
    role: "view",
    choices: COLOR_BY,
    available: colorChoices,
    default: defaultColorBy,
    defaultDoc: "labels, else targets, else predictions",
    label: "Colour by",
    doc: "The column that colours the points.",
  },
  k: {
    type: "integer",
    min: 1,
    max: (b: AnalysisBundle) => Math.min(256, b.samples - 1),
    default: 10,
    label: "Neighbours (k)",
    unit: "samples",
    doc: "How many nearest neighbours of the chosen point are listed, measured in the layer's own space.",
    control: { max: (b: AnalysisBundle) => Math.min(50, b.samples - 1) },
  },
  metric: {
    type: "keyword",
    choices: ["euclidean", "cosine"],
    default: "euclidean",
    label: "Distance",
    doc: "Distance between activation vectors for the neighbour list (the TensorBoard Projector offers both).",
  },
  point: {
    type: "integer",
    min: 0,
    max: (b: AnalysisBundle) => b.samples - 1,
    default: 0,
    label: "Sample",
    doc: "The sample whose neighbours are listed (click a point to choose it).",
    control: { input: "number" },
  },
  maxPoints: {
    type: "integer",
    min: 1,
    default: (b: AnalysisBundle) => Math.max(1, b.samples),
    defaultDoc: "every sample",
    label: "Points drawn",
    unit: "samples",
    doc: "Largest number of points drawn; a smaller number draws a seeded subsample. PCA costs O(N·D), so every sample is projected and drawn by default.",
  },
  seed: {
    type: "integer",
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    default: DEFAULT_SEED,
    label: "Seed",
    doc: "Seed of the random spatial position (conv maps) and of the subsample of drawn points.",
    control: { input: "number", max: 2 ** 31 - 1 },
  },
} as const;

export type ExploreParams = Partial<Resolved<typeof params>>;
export type ResolvedExploreParams = Resolved<typeof params>;

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

/** The layer's activation vectors, one row per sample. */
export async function exploreMatrix(
  bundle: AnalysisBundle,
  params: ResolvedExploreParams,
): Promise<Matrix> {
  const layer = bundle.layers.find((l) => l.name === params.layer)!;
  return layerMatrix(layer, { method: params.vectorize, seed: params.seed });
}

/** PCA scatter of one layer: every sample is projected; a seeded subsample of at most maxPoints samples is drawn. */
export async function exploreProjection(
  X: Matrix,
  { layer, maxPoints, seed }: { layer: string; maxPoints: number; seed: number },
  options: RunOptions = {},
): Promise<ExploreProjection> {
  const components = Math.min(SCREE_COMPONENTS, X.rows, X.cols);
  // The variance shares of the first components need only the leading eigenpairs and the trace.
  const result = await pca(X, { nComponents: components, spectrum: false, ...options });
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
    shown: await seededRows(X.rows, maxPoints, seed),
  };
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

/** A kNN index held by the runner's cache; disposing it frees its wasm memory. */
interface HeldIndex {
  index: KnnIndex;
  dispose(): void;
}

/** The descriptor: matrix → projection (the scatter) and matrix → index → neighbours (the list). */
export const exploreDescriptor = defineAnalysis<typeof params, ExploreResult>({
  name: "explore",
  title: "Explore a layer",
  question:
    "What does a layer look like at a glance, and which inputs sit next to each other in it?",
  papers: [],
  params,
  steps: {
    matrix: {
      label: "reading the layer's vectors",
      uses: ["layer", "vectorize", "seed"],
      async run({ bundle, params: p }) {
        return exploreMatrix(bundle, p);
      },
    },
    projection: {
      label: "principal components",
      uses: ["layer", "maxPoints", "seed"],
      needs: () => [["matrix", {}]],
      weight: 3,
      async run({ params: p, need, options }) {
        return exploreProjection(await need<Matrix>("matrix"), p, options);
      },
    },
    index: {
      label: "indexing the vectors for neighbour search",
      uses: ["metric"],
      needs: () => [["matrix", {}]],
      keep: 2,
      async run({ params: p, need }): Promise<HeldIndex> {
        const index = await KnnIndex.build(await need<Matrix>("matrix"), { metric: p.metric });
        return { index, dispose: () => index.dispose() };
      },
    },
    neighbors: {
      label: "nearest neighbours of the chosen sample",
      uses: ["point", "k"],
      needs: () => [["index", {}]],
      weight: 0.1,
      async run({ params: p, need }) {
        return exploreNeighbors((await need<HeldIndex>("index")).index, p);
      },
    },
    result: {
      label: "explore",
      uses: [],
      needs: () => [
        ["projection", {}],
        ["neighbors", {}],
      ],
      weight: 0,
      async run({ params: p, need }): Promise<ExploreResult> {
        return {
          projection: await need<ExploreProjection>("projection"),
          neighbors: await need<ExploreNeighbors>("neighbors"),
          params: p,
        };
      },
    },
  },
  result: "result",
});

/** Both steps, for the command line and scripts: `await exploreAnalysis(bundle, {layer: "fc1", k: 5})`. */
export function exploreAnalysis(
  bundle: AnalysisBundle,
  params: ExploreParams = {},
  options: RunOptions = {},
): Promise<ExploreResult> {
  return runAnalysis(exploreDescriptor, bundle, params, options);
}
