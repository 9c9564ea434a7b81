/**
 * Isomap: classical MDS of geodesic distances along the kNN graph (kernels: assembly/graph.ts,
 * geodesic.ts, mds.ts), scikit-learn 1.2 `Isomap` step for step: the union-symmetrised kNN graph
 * with Euclidean edge lengths, a disconnected graph joined by the shortest edge between every
 * pair of components (sklearn `_fix_connected_components`, with a warning), Dijkstra all pairs,
 * then the leading eigenvectors of −½ J G⁽²⁾ J scaled by √λ (sklearn's KernelPCA of −½ G²).
 *
 * Above 5,000 points (or with `landmarks` set) it is Landmark Isomap: geodesics from m seeded
 * random landmarks only, classical MDS of the landmarks, and every point placed by distance-based
 * triangulation, y = −½ L♯ (δ_x − δ̄) (de Silva & Tenenbaum 2003) — O(m·n) memory instead of n².
 * With all points as landmarks the two are the same.
 *
 * @example
 *   const {coordinates} = await isomap(X, {nNeighbors: 10});
 *
 * References:
 * 1. J. B. Tenenbaum, V. de Silva, J. C. Langford, "A global geometric framework for nonlinear
 *    dimensionality reduction", Science 290 (2000).
 * 2. V. de Silva, J. B. Tenenbaum, "Sparse multidimensional scaling using landmark points",
 *    Stanford technical report (2004); "Global versus local methods in nonlinear dimensionality
 *    reduction", NIPS 2003.
 *
 * See also: geodesicDistances, classicalMds, embed.
 */
import "./embed-kernels.ts";
import { HiddenAtlasError } from "../core/errors.ts";
import { assertMatrix, takeRows, type Matrix } from "../core/matrix.ts";
import { checkInteger, checkNumber, checkOptionNames } from "../core/params.ts";
import type { RunOptions } from "../core/progress.ts";
import { DEFAULT_SEED, Rng, checkSeed, STREAMS } from "../core/random.ts";
import { getCore } from "../core/wasm.ts";
import { MAX_DENSE_GEODESIC, shortestPaths } from "./geodesic.ts";
import { checkGraphK, connectedComponents, knnGraph, type SparseGraph } from "./graph.ts";
import { knnQuery } from "./knn.ts";
import { rangeParams, toDataUnits, toKernelRange } from "./range.ts";
import { classicalMds } from "./mds.ts";
import { Warnings } from "../core/warnings.ts";

export interface IsomapOptions extends RunOptions {
  /** Neighbours of the kNN graph. Defaults to 5 (scikit-learn `n_neighbors=5`). */
  nNeighbors?: number;
  /** Output dimensions. Defaults to 2 (scikit-learn `n_components=2`). */
  nComponents?: number;
  /**
   * Landmarks: "auto" (default: every point up to 5,000 points, else 1,000 seeded random
   * landmarks) or a count m (m = n is exact Isomap). scikit-learn has no landmarks.
   */
  landmarks?: number | "auto";
  /** Relative residual tolerance of the eigen-solver. Defaults to 1e-9. */
  tol?: number;
  /** Seed of the landmark choice and the eigen-solver's start vector. Defaults to 42. */
  seed?: number;
}

export interface IsomapResult {
  /** n × nComponents embedding. */
  coordinates: Matrix;
  /** Leading eigenvalues of the (landmark) double-centred squared geodesic matrix. */
  eigenvalues: Float64Array;
  /** Landmark indices (all points for exact Isomap), ascending. */
  landmarks: Int32Array;
  /** Components of the kNN graph before they were joined. */
  components: number;
  /** `rangeScale`: the power of two extreme data were scaled by (src/algo/range.ts), when not 1. */
  params: {
    nNeighbors: number;
    nComponents: number;
    landmarks: number;
    tol: number;
    seed: number;
    rangeScale?: number;
  };
  warnings: string[];
}

const defaults = {
  nNeighbors: 5,
  nComponents: 2,
  landmarks: "auto" as number | "auto",
  tol: 1e-9,
  seed: DEFAULT_SEED,
};

/** Landmarks chosen by "auto" above MAX_DENSE_GEODESIC points. */
const AUTO_LANDMARKS = 1000;

/**
 * Isomap of the rows of X. Data outside the kernels' range are embedded in kernel units
 * (src/algo/range.ts) and the coordinates and eigenvalues scaled back to the data's units.
 */
export async function isomap(X: Matrix, options: IsomapOptions = {}): Promise<IsomapResult> {
  checkOptionNames("isomap", options, defaults);
  assertMatrix(X, "X");
  const n = X.rows;
  if (n < 3) throw new HiddenAtlasError("E_PARAM", `Isomap needs at least 3 rows; got ${n}`);
  const nNeighbors = checkGraphK(options.nNeighbors ?? defaults.nNeighbors, n, "nNeighbors");
  const nComponents = checkInteger(
    "nComponents",
    options.nComponents ?? defaults.nComponents,
    1,
    n - 2,
  );
  const landmarkOption = options.landmarks ?? defaults.landmarks;
  const m =
    landmarkOption === "auto"
      ? n <= MAX_DENSE_GEODESIC
        ? n
        : AUTO_LANDMARKS
      : checkInteger("landmarks", landmarkOption, nComponents + 2, Math.min(n, MAX_DENSE_GEODESIC));
  const tol = checkNumber("tol", options.tol ?? defaults.tol, 0, 1, { exclusiveMin: true });
  const seed = checkSeed(options.seed ?? defaults.seed);
  const range = toKernelRange(X, "X");
  X = range.X;
  const inDataUnits = (result: IsomapResult): IsomapResult =>
    range.scale === 1
      ? result
      : {
          ...result,
          coordinates: {
            ...result.coordinates,
            data: toDataUnits(
              result.coordinates.data,
              1 / range.scale,
              "Isomap coordinates",
              undefined,
              true,
            ),
          },
          eigenvalues: result.eigenvalues.map((v) => v / (range.scale * range.scale)),
          params: { ...result.params, ...rangeParams(range.scale) },
        };
  const run: RunOptions = { signal: options.signal, onProgress: options.onProgress };
  const warnings = new Warnings();
  let graph = await knnGraph(X, { k: nNeighbors, ...run });
  const { count: components, labels } = await connectedComponents(graph);
  if (components > 1) {
    warnings.warn(
      `the ${nNeighbors}-NN graph has ${components} connected components: joined by the shortest edge between every pair of components (as scikit-learn); consider a larger nNeighbors`,
    );
    graph = await joinComponents(X, graph, components, labels);
  }
  const core = await getCore();
  let landmarks: Int32Array;
  if (m === n) landmarks = Int32Array.from({ length: n }, (_, i) => i);
  else {
    const rng = new Rng(core, seed, STREAMS.isomapLandmarks);
    try {
      landmarks = rng.permutation(n).slice(0, m).sort();
    } finally {
      rng.dispose();
    }
  }
  const paths = await shortestPaths(graph, { sources: landmarks, ...run });
  if (m === n) {
    const mdsResult = await classicalMds(
      { rows: n, cols: n, data: paths.data },
      { nComponents, tol, seed, maxBasis: 300, ...run },
    );
    return inDataUnits({
      coordinates: mdsResult.coordinates,
      eigenvalues: mdsResult.eigenvalues,
      landmarks,
      components,
      params: { nNeighbors, nComponents, landmarks: m, tol, seed },
      warnings: (warnings.addAll(mdsResult.warnings), warnings.list()),
    });
  }
  // Landmark MDS: classical MDS of the m × m landmark geodesics, then triangulation.
  const sub = new Float32Array(m * m);
  for (let a = 0; a < m; a++)
    for (let b = 0; b < m; b++) sub[a * m + b] = paths.data[a * n + landmarks[b]];
  const base = await classicalMds(
    { rows: m, cols: m, data: sub },
    { nComponents, tol, seed, maxBasis: 300, ...run },
  );
  const p = nComponents;
  // L♯ row j = v_j / √λ_j = (coordinate column j) / λ_j.
  const pseudo = new Float64Array(p * m);
  for (let j = 0; j < p; j++) {
    const lambda = base.eigenvalues[j];
    for (let a = 0; a < m; a++)
      pseudo[j * m + a] = lambda > 0 ? base.coordinates.data[a * p + j] / lambda : 0;
  }
  // δ̄: mean squared geodesic from each landmark to the other landmarks.
  const mean = new Float64Array(m);
  for (let a = 0; a < m; a++) {
    let s = 0;
    for (let b = 0; b < m; b++) s += sub[a * m + b] ** 2;
    mean[a] = s / m;
  }
  const data = new Float32Array(n * p);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let a = 0; a < m; a++) s += pseudo[j * m + a] * (paths.data[a * n + i] ** 2 - mean[a]);
      data[i * p + j] = -0.5 * s;
    }
  }
  return inDataUnits({
    coordinates: { rows: n, cols: p, data },
    eigenvalues: base.eigenvalues,
    landmarks,
    components,
    params: { nNeighbors, nComponents, landmarks: m, tol, seed },
    warnings: (warnings.addAll(base.warnings), warnings.list()),
  });
}

/**
 * Add, for every pair of components, the edge between their closest points (Euclidean), as
 * scikit-learn's `_fix_connected_components`; ties go to the lower indices.
 */
export async function joinComponents(
  X: Matrix,
  graph: SparseGraph,
  count: number,
  labels: Int32Array,
): Promise<SparseGraph> {
  const members: number[][] = Array.from({ length: count }, () => []);
  for (let i = 0; i < graph.n; i++) members[labels[i]].push(i);
  const extra: Array<[number, number, number]> = [];
  for (let a = 0; a < count; a++) {
    const A = takeRows(X, members[a]);
    for (let b = 0; b < a; b++) {
      const nearest = await knnQuery(A, takeRows(X, members[b]), { k: 1 });
      let best = 0;
      for (let t = 1; t < nearest.n; t++)
        if (nearest.distances[t] < nearest.distances[best]) best = t;
      extra.push([members[a][nearest.indices[best]], members[b][best], nearest.distances[best]]);
    }
  }
  const rows: Array<Map<number, number>> = Array.from({ length: graph.n }, () => new Map());
  for (let i = 0; i < graph.n; i++) {
    for (let e = graph.rowPtr[i]; e < graph.rowPtr[i + 1]; e++)
      rows[i].set(graph.columns[e], graph.values[e]);
  }
  for (const [i, j, d] of extra) {
    rows[i].set(j, d);
    rows[j].set(i, d);
  }
  const rowPtr = new Int32Array(graph.n + 1);
  for (let i = 0; i < graph.n; i++) rowPtr[i + 1] = rowPtr[i] + rows[i].size;
  const columns = new Int32Array(rowPtr[graph.n]);
  const values = new Float32Array(rowPtr[graph.n]);
  for (let i = 0; i < graph.n; i++) {
    const sorted = [...rows[i].entries()].sort((p, q) => p[0] - q[0]);
    sorted.forEach(([c, v], t) => {
      columns[rowPtr[i] + t] = c;
      values[rowPtr[i] + t] = v;
    });
  }
  return { n: graph.n, rowPtr, columns, values };
}
