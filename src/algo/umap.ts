/**
 * UMAP (kernels: assembly/umap.ts, graph.ts), following umap-learn 0.5's defaults and its
 * serial code path: exact kNN (umap-learn also uses exact neighbours below 4,096 points; we do
 * up to 20,000 and NN-descent above, see `knnMethod`), smooth kNN distances (ρ, σ by binary
 * search, 64 steps), fuzzy union, edges below max/nEpochs dropped, spectral initialisation
 * (eigenvectors 2 … d + 1 of the normalised Laplacian) scaled to max |y| = 10 plus N(0, 1e-4²)
 * noise and rescaled to [0, 10] per axis, then SGD with 5 negative samples per positive sample,
 * learning rate 1 decaying linearly, gradients clipped at ±4. Deterministic for a seed, the same
 * bytes on any thread count: each epoch runs in rounds whose tasks own disjoint blocks of rows
 * (see `epochBlocks`), a task moves both ends of its edges in place as umap-learn's serial loop
 * does, and every random draw comes from PCG32, the negative samples' keyed by (epoch, edge).
 *
 * Supervised UMAP (umap-learn `UMAP().fit(X, y)`): with `target`, the data's fuzzy graph is
 * intersected with the target's before the layout. Labels (`targetMetric: "categorical"`,
 * umap-learn's default): every edge between different labels is multiplied by exp(−far_dist),
 * far_dist = 2.5/(1 − targetWeight) (1e12 at weight 1), edges touching an unknown label (−1) by
 * exp(−1). Continuous targets (`"euclidean"`): the directed fuzzy set of the target's
 * targetNNeighbors nearest neighbours (no symmetrisation) is intersected with weight
 * targetWeight (`general_simplicial_set_intersection`). Both are followed by
 * `reset_local_connectivity` (rows scaled to max 1, then the fuzzy union with the transpose).
 * umap-learn finds the target's neighbours with NumPy's argsort of all distances, so among equal
 * targets a point may list another in place of itself; we always leave the point itself out.
 *
 * Differences from umap-learn, stated: random integers come from PCG32, not umap's tau_rand;
 * from 512 points on, an epoch visits the edges task by task (umap-learn: in CSR order) and a
 * negative sample outside the task's blocks is read where it stood when the round began;
 * a disconnected graph falls back to random initialisation (uniform ±10, umap-learn's
 * "random") with a warning, where umap-learn lays components out with `multi_component_layout`;
 * the eigenvectors come from our Lanczos (tolerance 1e-4 like umap-learn's eigsh call).
 *
 * @example
 *   const {coordinates, params} = await umap(X, {nNeighbors: 15, minDist: 0.1, seed: 42});
 *   params.a; params.b; params.nEpochs; // what "auto" became
 *
 * References:
 * 1. L. McInnes, J. Healy, J. Melville, "UMAP: Uniform Manifold Approximation and Projection
 *    for Dimension Reduction", arXiv:1802.03426 (2018).
 *
 * See also: tsne, embed, fuzzySimplicialSet.
 */
import "./embed-kernels.ts";
import { HiddenAtlasError } from "../core/errors.ts";
import { assertFinite, assertMatrix, type Matrix } from "../core/matrix.ts";
import { checkInteger, checkKeyword, checkNumber, checkOptionNames } from "../core/params.ts";
import { ProgressTracker, type RunOptions } from "../core/progress.ts";
import { DEFAULT_SEED, Rng, checkSeed, STREAMS } from "../core/random.ts";
import { getCore, type Core } from "../core/wasm.ts";

declare module "../core/wasm.ts" {
  interface CoreKernels {
    // assembly/umap.ts: the SGD epochs, round by round.
    umapEpochRound(
      embedding: number,
      snapshot: number,
      n: number,
      dim: number,
      blocks: number,
      blockStart: number,
      taskStart: number,
      heads: number,
      columns: number,
      epochsPerSample: number,
      epochOfNextSample: number,
      epochsPerNegativeSample: number,
      epochOfNextNegativeSample: number,
      a: number,
      b: number,
      gamma: number,
      initialAlpha: number,
      nEpochs: number,
      epoch: number,
      round: number,
      t0: number,
      t1: number,
      rng: number,
      scratch: number,
    ): void;
    umapRoundBlocks(blocks: number, round: number, task: number, side: number): number;
    // assembly/umap.ts: supervised UMAP.
    umapCategoricalIntersection(
      rowPtr: number,
      columns: number,
      values: number,
      n: number,
      labels: number,
      unknownFactor: number,
      farFactor: number,
    ): void;
    umapGeneralIntersection(
      rowPtrA: number,
      columnsA: number,
      valuesA: number,
      rowPtrB: number,
      columnsB: number,
      valuesB: number,
      n: number,
      leftMin: number,
      rightMin: number,
      weight: number,
      rowPtr: number,
      columns: number,
      values: number,
    ): number;
    umapResetLocalConnectivity(
      rowPtrA: number,
      columnsA: number,
      valuesA: number,
      n: number,
      rowPtr: number,
      columns: number,
      values: number,
      scratch: number,
    ): number;
  }
}
import { MERGE_FUZZY } from "./embed-kernels.ts";
import { symmetrizeNeighbors, uploadGraph, type SparseGraph } from "./graph.ts";
import { knn, MAX_K, type KnnResult } from "./knn.ts";
import { toKernelRange } from "./range.ts";
import { lanczosLargest } from "./lanczos.ts";
import { Warnings } from "../core/warnings.ts";

/** umap-learn smooth_knn_dist: n_iter = 64. */
const SMOOTH_KNN_STEPS = 64;
/** umap-learn: 500 epochs for graphs of at most 10,000 vertices, else 200. */
const SMALL_GRAPH = 10_000;
/** Above this many points the kNN graph is approximate (NN-descent) when knnMethod is "auto". */
export const EXACT_KNN_MAX_POINTS = 20_000;
/** Epochs between progress checkpoints. */
const EPOCH_CHUNK = 5;
/**
 * Blocks of vertices an epoch is cut into (see `epochBlocks`): one task below
 * BLOCKED_MIN_POINTS points, then 2, 4 and 8 tasks per round as n passes each threshold.
 */
const BLOCKED_MIN_POINTS = 512;
const BLOCK_THRESHOLDS = [BLOCKED_MIN_POINTS, 32_768, 131_072] as const;
/**
 * Edges below which the rounds run on this thread whatever the thread count (the same bytes
 * either way): a round of a smaller graph is shorter than handing it to the kernel threads
 * (measured on 2 cores: 600 digits, 10,728 edges, took longer on 2 threads; 1,000, 18,358
 * edges, less).
 */
const THREADED_MIN_EDGES = 16_384;
/** umap-learn simplicial_set_embedding: spectral layout scaled to max |coordinate| = 10. */
const SPECTRAL_EXPANSION = 10;
/** umap-learn: N(0, 1e-4) noise added to the spectral layout. */
const INIT_NOISE = 1e-4;
/** umap-learn random init: uniform in [−10, 10). */
const RANDOM_INIT_RANGE = 10;
/** umap-learn `fit`: far_dist = 2.5 / (1 − target_weight) between different labels. */
const FAR_DIST_SCALE = 2.5;
/** umap-learn `fit`: far_dist at target_weight = 1 (different labels fully cut). */
const FAR_DIST_MAX = 1e12;
/** umap-learn `fast_intersection`: unknown_dist = 1.0 for a label of −1. */
const UNKNOWN_DIST = 1;
/** sparse.py `general_sset_intersection`: floors of absent entries, min/2 clamped to [1e-8, 1e-4]. */
const INTERSECTION_FLOOR = 1e-8;
const INTERSECTION_RIGHT_CEILING = 1e-4;

/** Smallest positive float32 (a denormal): graphPrune below it drops exact zeros only. */
const SMALLEST_POSITIVE_F32 = 2 ** -149;

export const TARGET_METRICS = ["categorical", "euclidean"] as const;
export type UmapTargetMetric = (typeof TARGET_METRICS)[number];

export interface UmapOptions extends RunOptions {
  /** Neighbours, the point itself included. Defaults to 15 (umap-learn `n_neighbors=15`). */
  nNeighbors?: number;
  /** Output dimensions. Defaults to 2. */
  nComponents?: number;
  /** Defaults to 0.1 (umap-learn `min_dist=0.1`). */
  minDist?: number;
  /** Defaults to 1 (umap-learn `spread=1.0`). */
  spread?: number;
  /** "auto" (default: 500 when n ≤ 10,000, else 200, umap-learn's rule) or a count. */
  nEpochs?: number | "auto";
  /** Initial SGD learning rate α. Defaults to 1 (umap-learn `learning_rate=1.0`). */
  learningRate?: number;
  /** Negative samples per positive sample. Defaults to 5 (umap-learn). */
  negativeSampleRate?: number;
  /** Weight γ of the repulsive term. Defaults to 1 (umap-learn `repulsion_strength`). */
  repulsionStrength?: number;
  /** Nearest neighbours assumed connected. Defaults to 1 (umap-learn `local_connectivity`). */
  localConnectivity?: number;
  /** Curve parameters; "auto" (default) fits them to minDist and spread (umap-learn `find_ab_params`). */
  a?: number | "auto";
  b?: number | "auto";
  /** "spectral" (default, umap-learn's), "random", or an n × nComponents Matrix. */
  init?: "spectral" | "random" | Matrix;
  /** "auto" (default: exact up to 20,000 points, NN-descent above), "exact" or "nndescent". */
  knnMethod?: "auto" | "exact" | "nndescent";
  /** Seed of every random draw (noise, negative samples). Defaults to 42. */
  seed?: number;
  /**
   * Supervision (umap-learn `fit(X, y)`): one label per sample (integers; −1 = unknown) for
   * "categorical", or an N × M matrix (or N numbers) for "euclidean". Defaults to none.
   */
  target?: Matrix | ArrayLike<number>;
  /** "categorical" (default, umap-learn `target_metric="categorical"`) or "euclidean" (continuous targets). */
  targetMetric?: UmapTargetMetric;
  /** Weight of the target against the data, 0 … 1. Defaults to 0.5 (umap-learn `target_weight=0.5`). */
  targetWeight?: number;
  /** Neighbours in the target ("euclidean"): "auto" (default: nNeighbors, umap-learn's −1) or a count. */
  targetNNeighbors?: number | "auto";
}

export interface UmapResult {
  coordinates: Matrix;
  params: {
    nNeighbors: number;
    nComponents: number;
    minDist: number;
    spread: number;
    nEpochs: number;
    learningRate: number;
    negativeSampleRate: number;
    repulsionStrength: number;
    localConnectivity: number;
    a: number;
    b: number;
    /** The init actually used ("random" when a disconnected graph forced the fallback). */
    init: "spectral" | "random" | "given";
    knnMethod: "exact" | "nndescent";
    seed: number;
    /** How the target entered ("none" without one). */
    targetMetric: UmapTargetMetric | "none";
    targetWeight: number;
    targetNNeighbors: number;
  };
  /** Edges of the fuzzy graph after pruning (both directions counted). */
  edges: number;
  /** Connected components of the pruned fuzzy graph. */
  components: number;
  /** Recoverable problems (e.g. the spectral fallback), in the order they happened. */
  warnings: string[];
}

const defaults = {
  nNeighbors: 15,
  nComponents: 2,
  minDist: 0.1,
  spread: 1,
  nEpochs: "auto" as number | "auto",
  learningRate: 1,
  negativeSampleRate: 5,
  repulsionStrength: 1,
  localConnectivity: 1,
  a: "auto" as number | "auto",
  b: "auto" as number | "auto",
  init: "spectral" as "spectral" | "random" | Matrix,
  knnMethod: "auto" as "auto" | "exact" | "nndescent",
  seed: DEFAULT_SEED,
  target: undefined as Matrix | ArrayLike<number> | undefined,
  targetMetric: "categorical" as UmapTargetMetric,
  targetWeight: 0.5,
  targetNNeighbors: "auto" as number | "auto",
};

/** The target as checked by `resolve`: labels, or an N × M matrix. */
type ResolvedTarget =
  { metric: "categorical"; labels: Int32Array } | { metric: "euclidean"; values: Matrix } | null;

function resolveTarget(target: unknown, n: number, metric: UmapTargetMetric): ResolvedTarget {
  if (target === undefined) return null;
  let T: Matrix;
  if (
    target !== null &&
    typeof target === "object" &&
    "rows" in target &&
    "cols" in target &&
    "data" in target
  ) {
    assertMatrix(target, "target");
    T = target;
  } else if (
    target !== null &&
    typeof target === "object" &&
    typeof (target as ArrayLike<number>).length === "number"
  ) {
    T = {
      rows: (target as ArrayLike<number>).length,
      cols: 1,
      data: Float32Array.from(target as ArrayLike<number>),
    };
  } else {
    throw new HiddenAtlasError(
      "E_PARAM",
      "invalid target: expected a matrix or an array of one value per sample",
      { parameter: "target" },
    );
  }
  if (T.rows !== n)
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `target has ${T.rows} rows but X has ${n}; rows must be the same samples`,
    );
  assertFinite(T, "target");
  if (metric === "euclidean") return { metric, values: T };
  if (T.cols !== 1)
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `a categorical target has one label per sample; got ${T.cols} columns`,
    );
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = checkInteger(`target[${i}]`, T.data[i], -1);
  return { metric, labels };
}

function resolve(X: Matrix, options: UmapOptions) {
  checkOptionNames("umap", options, defaults);
  assertMatrix(X, "X");
  const n = X.rows;
  if (n < 3) throw new HiddenAtlasError("E_PARAM", `UMAP needs at least 3 rows; got ${n}`);
  const nNeighbors = checkInteger(
    "nNeighbors",
    options.nNeighbors ?? defaults.nNeighbors,
    2,
    Math.min(n, MAX_K + 1),
  );
  const nComponents = checkInteger(
    "nComponents",
    options.nComponents ?? defaults.nComponents,
    1,
    n - 2,
  );
  const spread = checkNumber("spread", options.spread ?? defaults.spread, 0, Infinity, {
    exclusiveMin: true,
  });
  const minDist = checkNumber("minDist", options.minDist ?? defaults.minDist, 0, spread);
  const epochsOption = options.nEpochs ?? defaults.nEpochs;
  const nEpochs =
    epochsOption === "auto"
      ? n <= SMALL_GRAPH
        ? 500
        : 200
      : checkInteger("nEpochs", epochsOption, 1);
  const learningRate = checkNumber(
    "learningRate",
    options.learningRate ?? defaults.learningRate,
    0,
    Infinity,
    { exclusiveMin: true },
  );
  const negativeSampleRate = checkInteger(
    "negativeSampleRate",
    options.negativeSampleRate ?? defaults.negativeSampleRate,
    0,
  );
  const repulsionStrength = checkNumber(
    "repulsionStrength",
    options.repulsionStrength ?? defaults.repulsionStrength,
    0,
  );
  const localConnectivity = checkNumber(
    "localConnectivity",
    options.localConnectivity ?? defaults.localConnectivity,
    0,
  );
  const aOption = options.a ?? defaults.a;
  const bOption = options.b ?? defaults.b;
  if (aOption !== "auto") checkNumber("a", aOption, 0, Infinity, { exclusiveMin: true });
  if (bOption !== "auto") checkNumber("b", bOption, 0, Infinity, { exclusiveMin: true });
  const fitted =
    aOption === "auto" || bOption === "auto" ? findAbParams(spread, minDist) : undefined;
  const a = aOption === "auto" ? fitted!.a : aOption;
  const b = bOption === "auto" ? fitted!.b : bOption;
  const init = options.init ?? defaults.init;
  if (typeof init === "string") checkKeyword("init", init, ["spectral", "random"] as const);
  else {
    assertMatrix(init, "init");
    if (init.rows !== n || init.cols !== nComponents) {
      throw new HiddenAtlasError(
        "E_SHAPE_MISMATCH",
        `init must be ${n} × ${nComponents}; got ${init.rows} × ${init.cols}`,
      );
    }
    assertFinite(init, "init");
  }
  const knnOption = checkKeyword("knnMethod", options.knnMethod ?? defaults.knnMethod, [
    "auto",
    "exact",
    "nndescent",
  ] as const);
  const knnMethod: "exact" | "nndescent" =
    knnOption === "auto" ? (n <= EXACT_KNN_MAX_POINTS ? "exact" : "nndescent") : knnOption;
  const seed = checkSeed(options.seed ?? defaults.seed);
  const targetMetric = checkKeyword(
    "targetMetric",
    options.targetMetric ?? defaults.targetMetric,
    TARGET_METRICS,
  );
  const targetWeight = checkNumber(
    "targetWeight",
    options.targetWeight ?? defaults.targetWeight,
    0,
    1,
  );
  const targetNNeighborsOption = options.targetNNeighbors ?? defaults.targetNNeighbors;
  const targetNNeighbors =
    targetNNeighborsOption === "auto"
      ? nNeighbors
      : checkInteger("targetNNeighbors", targetNNeighborsOption, 2, Math.min(n, MAX_K + 1));
  const target = resolveTarget(options.target, n, targetMetric);
  return {
    nNeighbors,
    nComponents,
    minDist,
    spread,
    nEpochs,
    learningRate,
    negativeSampleRate,
    repulsionStrength,
    localConnectivity,
    a,
    b,
    init,
    knnMethod,
    seed,
    target,
    targetMetric,
    targetWeight,
    targetNNeighbors,
  };
}

/**
 * a and b of Φ(x) = 1/(1 + a·x^{2b}) fitted by least squares (Levenberg–Marquardt from
 * a = b = 1, as scipy's `curve_fit` in umap-learn `find_ab_params`) to the curve that is 1 up to
 * minDist and exp(−(x − minDist)/spread) after it, on 300 points of [0, 3·spread].
 * For the defaults (spread 1, minDist 0.1): a ≈ 1.5769, b ≈ 0.8951.
 */
export function findAbParams(spread: number, minDist: number): { a: number; b: number } {
  const m = 300;
  const xs = new Float64Array(m);
  const ys = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    // numpy.linspace(0, spread * 3, 300)
    xs[i] = i === m - 1 ? spread * 3 : (i * (spread * 3)) / (m - 1);
    ys[i] = xs[i] < minDist ? 1 : Math.exp(-(xs[i] - minDist) / spread);
  }
  const residuals = (a: number, b: number, r: Float64Array, J?: Float64Array) => {
    let ss = 0;
    for (let i = 0; i < m; i++) {
      const x = xs[i];
      const x2b = x > 0 ? Math.pow(x, 2 * b) : 0;
      const f = 1 / (1 + a * x2b);
      r[i] = f - ys[i];
      ss += r[i] * r[i];
      if (J) {
        const f2 = f * f;
        J[2 * i] = -x2b * f2; // ∂f/∂a
        J[2 * i + 1] = x > 0 ? -a * x2b * 2 * Math.log(x) * f2 : 0; // ∂f/∂b
      }
    }
    return ss;
  };
  let a = 1;
  let b = 1;
  let lambda = 1e-3;
  const r = new Float64Array(m);
  const J = new Float64Array(2 * m);
  let cost = residuals(a, b, r, J);
  for (let it = 0; it < 200; it++) {
    // Normal equations (JᵀJ + λ diag(JᵀJ)) δ = −Jᵀr (Marquardt's scaling, as MINPACK).
    let h00 = 0,
      h01 = 0,
      h11 = 0,
      g0 = 0,
      g1 = 0;
    for (let i = 0; i < m; i++) {
      h00 += J[2 * i] * J[2 * i];
      h01 += J[2 * i] * J[2 * i + 1];
      h11 += J[2 * i + 1] * J[2 * i + 1];
      g0 += J[2 * i] * r[i];
      g1 += J[2 * i + 1] * r[i];
    }
    let improved = false;
    for (let tries = 0; tries < 30; tries++) {
      const a00 = h00 * (1 + lambda);
      const a11 = h11 * (1 + lambda);
      const det = a00 * a11 - h01 * h01;
      const da = (-g0 * a11 + g1 * h01) / det;
      const db = (-g1 * a00 + g0 * h01) / det;
      const trial = new Float64Array(m);
      const c = residuals(a + da, b + db, trial);
      if (c < cost) {
        a += da;
        b += db;
        const step = Math.abs(da) + Math.abs(db);
        cost = residuals(a, b, r, J);
        lambda = Math.max(lambda / 10, 1e-12);
        improved = true;
        if (step < 1e-12 * (Math.abs(a) + Math.abs(b))) return { a, b };
        break;
      }
      lambda *= 10;
    }
    if (!improved) break;
  }
  return { a, b };
}

export interface FuzzySimplicialSet {
  graph: SparseGraph;
  /** σ_i and ρ_i of every point. */
  sigmas: Float32Array;
  rhos: Float32Array;
  knn: KnnResult;
}

/**
 * The fuzzy simplicial set of X (umap-learn `fuzzy_simplicial_set`, set_op_mix_ratio 1): the
 * symmetric membership graph w_ij + w_ji − w_ij·w_ji over the nNeighbors − 1 nearest other points.
 */
export async function fuzzySimplicialSet(
  X: Matrix,
  options: {
    nNeighbors?: number;
    localConnectivity?: number;
    knnMethod?: "exact" | "nndescent";
    seed?: number;
  } & RunOptions = {},
): Promise<FuzzySimplicialSet> {
  const { sigmas, rhos, memberships, knn: neighbors } = await directedMemberships(X, options);
  const core = await getCore();
  const graph = symmetrizeNeighbors(
    core,
    neighbors.indices,
    memberships,
    X.rows,
    neighbors.k,
    MERGE_FUZZY,
    true,
  );
  return { graph, sigmas, rhos, knn: neighbors };
}

/** Memberships of each point's nNeighbors − 1 nearest others, not yet symmetrised. */
async function directedMemberships(
  X: Matrix,
  options: {
    nNeighbors?: number;
    localConnectivity?: number;
    knnMethod?: "exact" | "nndescent";
    seed?: number;
  } & RunOptions,
): Promise<{
  sigmas: Float32Array;
  rhos: Float32Array;
  memberships: Float32Array;
  knn: KnnResult;
}> {
  const n = X.rows;
  const nNeighbors = options.nNeighbors ?? 15;
  const kk = nNeighbors - 1;
  const localConnectivity = options.localConnectivity ?? 1;
  const core = await getCore();
  let neighbors: KnnResult;
  if (options.knnMethod === "nndescent") {
    const { nnDescent } = await import("./nndescent.ts");
    neighbors = await nnDescent(X, {
      k: kk,
      maxCandidates: 60,
      seed: options.seed ?? DEFAULT_SEED,
      signal: options.signal,
      onProgress: options.onProgress,
    });
  } else {
    neighbors = await knn(X, { k: kk, signal: options.signal, onProgress: options.onProgress });
  }
  const { sigmas, rhos, memberships } = core.scope((s) => {
    const d = s.upload(neighbors.distances, "neighbour distances");
    const sigma = s.f32(n, "sigma");
    const rho = s.f32(n, "rho");
    const out = s.f32(n * kk, "memberships");
    core.kernels.umapSmoothKnn(
      d.ptr,
      n,
      kk,
      nNeighbors,
      localConnectivity,
      1,
      SMOOTH_KNN_STEPS,
      sigma.ptr,
      rho.ptr,
    );
    core.kernels.umapMembership(d.ptr, n, kk, sigma.ptr, rho.ptr, out.ptr);
    return { sigmas: sigma.copy(), rhos: rho.copy(), memberships: out.copy() };
  });
  return { sigmas, rhos, memberships, knn: neighbors };
}

/**
 * UMAP of the rows of X, unsupervised or (with `target`) supervised as umap-learn's
 * `fit(X, y)`.
 *
 * @example
 *   const {coordinates} = await umap(X, {nNeighbors: 15, seed: 42});
 *   const control = await umap(X, {target: predictedLabels, targetMetric: "categorical"});
 */
export async function umap(X: Matrix, options: UmapOptions = {}): Promise<UmapResult> {
  const p = resolve(X, options);
  X = toKernelRange(X, "X").X; // extreme values: the rescaled copy's layout (src/algo/range.ts)
  const n = X.rows;
  const run: RunOptions = { signal: options.signal, onProgress: options.onProgress };
  let { graph } = await fuzzySimplicialSet(X, {
    nNeighbors: p.nNeighbors,
    localConnectivity: p.localConnectivity,
    knnMethod: p.knnMethod,
    seed: p.seed,
    ...run,
  });
  if (p.target) graph = await intersectWithTarget(graph, p, run);
  return layoutFuzzyGraph(graph, n, p, run);
}

export interface TargetIntersectionOptions extends RunOptions {
  target: Matrix | ArrayLike<number>;
  targetMetric?: UmapTargetMetric;
  targetWeight?: number;
  /** Neighbours in the target ("euclidean"). Defaults to 15 (or n when smaller). */
  targetNNeighbors?: number;
  localConnectivity?: number;
}

/**
 * Supervised UMAP's graph step on its own: the fuzzy graph of the data (symmetric CSR, rows
 * sorted by column) intersected with the target's and reset to local connectivity, as
 * umap-learn's `fit(X, y)` does before the layout. `umap(X, {target})` runs it for you.
 */
export async function targetIntersection(
  graph: SparseGraph,
  options: TargetIntersectionOptions,
): Promise<SparseGraph> {
  checkOptionNames("targetIntersection", options, {
    target: 0,
    targetMetric: 0,
    targetWeight: 0,
    targetNNeighbors: 0,
    localConnectivity: 0,
  });
  const n = graph.n;
  const targetMetric = checkKeyword(
    "targetMetric",
    options.targetMetric ?? defaults.targetMetric,
    TARGET_METRICS,
  );
  const p = {
    target: resolveTarget(options.target, n, targetMetric),
    targetMetric,
    targetWeight: checkNumber("targetWeight", options.targetWeight ?? defaults.targetWeight, 0, 1),
    targetNNeighbors: checkInteger(
      "targetNNeighbors",
      options.targetNNeighbors ?? Math.min(defaults.nNeighbors, n),
      2,
      Math.min(n, MAX_K + 1),
    ),
    localConnectivity: checkNumber(
      "localConnectivity",
      options.localConnectivity ?? defaults.localConnectivity,
      0,
    ),
  };
  return intersectWithTarget(graph, p, { signal: options.signal, onProgress: options.onProgress });
}

type IntersectionParams = Pick<
  ReturnType<typeof resolve>,
  "target" | "targetMetric" | "targetWeight" | "targetNNeighbors" | "localConnectivity"
>;

/** The data's fuzzy graph intersected with the target's, then `reset_local_connectivity`. */
async function intersectWithTarget(
  graph: SparseGraph,
  p: IntersectionParams,
  run: RunOptions,
): Promise<SparseGraph> {
  const core = await getCore();
  const K = core.kernels;
  const n = graph.n;
  let intersected: SparseGraph;
  if (p.target!.metric === "categorical") {
    const farDist = p.targetWeight < 1 ? FAR_DIST_SCALE * (1 / (1 - p.targetWeight)) : FAR_DIST_MAX;
    const labels = p.target!.labels;
    intersected = core.scope((s) => {
      const g = uploadGraph(s, graph);
      const l = s.upload(labels, "target labels");
      K.umapCategoricalIntersection(
        g.rowPtr,
        g.columns,
        g.values,
        n,
        l.ptr,
        Math.exp(-UNKNOWN_DIST),
        Math.exp(-farDist),
      );
      // eliminate_zeros: exp(−far_dist) underflows to 0 at weight 1.
      const nnz = K.graphPrune(g.rowPtr, g.columns, g.values, n, SMALLEST_POSITIVE_F32);
      return readGraph(core, g.rowPtr, g.columns, g.values, n, nnz);
    });
  } else {
    const targetGraph = await targetFuzzySet(
      p.target!.values,
      p.targetNNeighbors,
      p.localConnectivity,
      run,
    );
    let leftMin = Infinity;
    for (const v of graph.values) leftMin = Math.min(leftMin, v);
    let rightMin = Infinity;
    for (const v of targetGraph.values) rightMin = Math.min(rightMin, v);
    leftMin = Math.max(leftMin / 2, INTERSECTION_FLOOR);
    rightMin = Math.min(Math.max(rightMin / 2, INTERSECTION_FLOOR), INTERSECTION_RIGHT_CEILING);
    intersected = core.scope((s) => {
      const a = uploadGraph(s, graph);
      const b = uploadGraph(s, targetGraph);
      const capacity = Math.max(1, a.nnz + b.nnz);
      const rowPtr = s.i32(n + 1, "intersection row offsets");
      const columns = s.i32(capacity, "intersection columns");
      const values = s.f32(capacity, "intersection weights");
      const nnz = K.umapGeneralIntersection(
        a.rowPtr,
        a.columns,
        a.values,
        b.rowPtr,
        b.columns,
        b.values,
        n,
        leftMin,
        rightMin,
        p.targetWeight,
        rowPtr.ptr,
        columns.ptr,
        values.ptr,
      );
      return readGraph(core, rowPtr.ptr, columns.ptr, values.ptr, n, nnz);
    });
  }
  return core.scope((s) => {
    const a = uploadGraph(s, intersected);
    const capacity = Math.max(1, 2 * a.nnz);
    const rowPtr = s.i32(n + 1, "reset row offsets");
    const columns = s.i32(capacity, "reset columns");
    const values = s.f32(capacity, "reset weights");
    const scratch = s.i32(2 * n + 2 + 2 * Math.max(1, a.nnz), "transpose scratch");
    const nnz = K.umapResetLocalConnectivity(
      a.rowPtr,
      a.columns,
      a.values,
      n,
      rowPtr.ptr,
      columns.ptr,
      values.ptr,
      scratch.ptr,
    );
    return readGraph(core, rowPtr.ptr, columns.ptr, values.ptr, n, nnz);
  });
}

/** A CSR graph copied out of wasm memory. */
function readGraph(
  core: Core,
  rowPtr: number,
  columns: number,
  values: number,
  n: number,
  nnz: number,
): SparseGraph {
  return {
    n,
    rowPtr: new Int32Array(core.memory.buffer, rowPtr, n + 1).slice(),
    columns: new Int32Array(core.memory.buffer, columns, nnz).slice(),
    values: new Float32Array(core.memory.buffer, values, nnz).slice(),
  };
}

/**
 * The target's fuzzy simplicial set as umap-learn's supervised `fit` builds it: memberships of
 * each point's k − 1 nearest other targets (Euclidean), directed (apply_set_operations=False),
 * zeros dropped, rows sorted by column.
 */
async function targetFuzzySet(
  T: Matrix,
  k: number,
  localConnectivity: number,
  run: RunOptions,
): Promise<SparseGraph> {
  const n = T.rows;
  const { memberships, knn: neighbors } = await directedMemberships(T, {
    nNeighbors: k,
    localConnectivity,
    knnMethod: "exact",
    ...run,
  });
  const kk = neighbors.k;
  const rowPtr = new Int32Array(n + 1);
  const columns = new Int32Array(n * kk);
  const values = new Float32Array(n * kk);
  const order = new Int32Array(kk);
  let nnz = 0;
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < kk; t++) order[t] = t;
    order.sort((x, y) => neighbors.indices[i * kk + x] - neighbors.indices[i * kk + y]);
    for (const t of order) {
      const v = memberships[i * kk + t];
      if (v === 0) continue;
      columns[nnz] = neighbors.indices[i * kk + t];
      values[nnz++] = v;
    }
    rowPtr[i + 1] = nnz;
  }
  return { n, rowPtr, columns: columns.slice(0, nnz), values: values.slice(0, nnz) };
}

/** The part of UMAP after the fuzzy graph: pruning, initialisation and SGD. */
export async function layoutFuzzyGraph(
  graph: SparseGraph,
  n: number,
  p: ReturnType<typeof resolve>,
  run: RunOptions,
): Promise<UmapResult> {
  const core = await getCore();
  const K = core.kernels;
  const warnings = new Warnings();
  const dim = p.nComponents;
  // Prune edges that would be sampled less than once (umap-learn simplicial_set_embedding).
  let maxWeight = 0;
  for (let e = 0; e < graph.values.length; e++) maxWeight = Math.max(maxWeight, graph.values[e]);
  const pruned = core.scope((s) => {
    const g = uploadGraph(s, graph);
    const threshold = Math.fround(maxWeight / p.nEpochs);
    const nnz = K.graphPrune(g.rowPtr, g.columns, g.values, n, threshold);
    const rowPtr = new Int32Array(core.memory.buffer, g.rowPtr, n + 1).slice();
    const columns = new Int32Array(core.memory.buffer, g.columns, nnz).slice();
    const values = new Float32Array(core.memory.buffer, g.values, nnz).slice();
    return { n, rowPtr, columns, values } as SparseGraph;
  });
  const components = await countComponents(core, pruned);
  // Initial layout.
  const initRng = new Rng(core, p.seed, STREAMS.umapInit);
  let embedding: Float32Array;
  let init: "spectral" | "random" | "given" = typeof p.init === "string" ? p.init : "given";
  try {
    if (typeof p.init !== "string") {
      embedding = Float32Array.from(p.init.data);
    } else {
      let spectral: Float64Array | undefined;
      if (p.init === "spectral") {
        if (components > 1) {
          warnings.warn(
            `the fuzzy graph has ${components} connected components: spectral initialisation needs a connected graph, so init fell back to "random"`,
          );
          init = "random";
        } else {
          spectral = await spectralLayout(core, pruned, dim, p.seed, warnings);
        }
      }
      if (spectral) {
        let maxAbs = 0;
        for (let t = 0; t < spectral.length; t++) maxAbs = Math.max(maxAbs, Math.abs(spectral[t]));
        const expansion = SPECTRAL_EXPANSION / maxAbs;
        const noise = initRng.normal(n * dim);
        embedding = new Float32Array(n * dim);
        for (let t = 0; t < n * dim; t++)
          embedding[t] = Math.fround(spectral[t] * expansion) + Math.fround(INIT_NOISE * noise[t]);
      } else {
        const u = initRng.uniform(n * dim);
        embedding = Float32Array.from(u, (v) => -RANDOM_INIT_RANGE + 2 * RANDOM_INIT_RANGE * v);
      }
      // umap-learn 0.5: rescale every axis to [0, 10].
      for (let c = 0; c < dim; c++) {
        let lo = Infinity;
        let hi = -Infinity;
        for (let i = 0; i < n; i++) {
          lo = Math.min(lo, embedding[i * dim + c]);
          hi = Math.max(hi, embedding[i * dim + c]);
        }
        const scale = hi > lo ? 10 / (hi - lo) : 0;
        for (let i = 0; i < n; i++)
          embedding[i * dim + c] = Math.fround((embedding[i * dim + c] - lo) * scale);
      }
    }
  } finally {
    initRng.dispose();
  }
  // Sampling schedule (umap-learn make_epochs_per_sample), in float64.
  const nnz = pruned.values.length;
  let wmax = 0;
  for (let e = 0; e < nnz; e++) wmax = Math.max(wmax, pruned.values[e]);
  const epochsPerSample = new Float64Array(nnz);
  for (let e = 0; e < nnz; e++) {
    const samples = p.nEpochs * (pruned.values[e] / wmax);
    epochsPerSample[e] = samples > 0 ? p.nEpochs / samples : -1;
  }
  const epochsPerNegative = epochsPerSample.map((v) => v / p.negativeSampleRate);
  const blocks = epochBlocks(n);
  const tasks = layoutByTask(core, pruned, blocks, epochsPerSample, epochsPerNegative);
  const rounds = blocks - 1;
  const perRound = blocks / 2;
  const coordinates = await core.scope(async (s) => {
    // Rows in block order: vertex v at row tasks.rowOf(v).
    const blockOrder = new Float32Array(n * dim);
    for (let v = 0; v < n; v++) {
      const at = tasks.rowOf(v) * dim;
      for (let c = 0; c < dim; c++) blockOrder[at + c] = embedding[v * dim + c];
    }
    const y = s.upload(blockOrder, "embedding");
    // With 2 blocks the one task reads every row live: no snapshot.
    const snapshot = blocks > 2 ? s.f32(n * dim, "embedding snapshot").ptr : y.ptr;
    const blockStart = s.upload(tasks.blockStart, "rows per block");
    const taskStart = s.upload(tasks.taskStart, "edges per task");
    const heads = s.upload(nonEmpty(tasks.heads), "edge heads");
    const columns = s.upload(nonEmpty(tasks.columns), "edge tails");
    const eps = s.upload(nonEmpty(tasks.epochsPerSample), "epochs per sample");
    const next = s.upload(nonEmpty(tasks.epochsPerSample).slice(), "epoch of next sample");
    const epn = s.upload(nonEmpty(tasks.epochsPerNegative), "epochs per negative sample");
    const nextNeg = s.upload(
      nonEmpty(tasks.epochsPerNegative).slice(),
      "epoch of next negative sample",
    );
    const scratch = s.alloc(16 * perRound, "generators of a round's tasks");
    const rng = new Rng(core, p.seed, STREAMS.umapEpochs);
    try {
      const progress = new ProgressTracker(run, "UMAP", p.nEpochs);
      for (let epoch = 0; epoch < p.nEpochs; epoch++) {
        for (let round = 0; round < rounds; round++) {
          if (snapshot !== y.ptr) {
            const f32 = new Float32Array(core.memory.buffer);
            f32.copyWithin(snapshot >>> 2, y.ptr >>> 2, (y.ptr >>> 2) + n * dim);
          }
          await core.parallelRows(
            {
              kernel: "umapEpochRound",
              rows: perRound,
              chunk: 1,
              args: [
                y.ptr,
                snapshot,
                n,
                dim,
                blocks,
                blockStart.ptr,
                taskStart.ptr,
                heads.ptr,
                columns.ptr,
                eps.ptr,
                next.ptr,
                epn.ptr,
                nextNeg.ptr,
                p.a,
                p.b,
                p.repulsionStrength,
                p.learningRate,
                p.nEpochs,
                epoch,
                round,
                { i0: 1 },
                { i1: 1 },
                rng.state,
                scratch,
              ],
            },
            { signal: run.signal, threads: nnz >= THREADED_MIN_EDGES ? undefined : 1 },
          );
        }
        if ((epoch + 1) % EPOCH_CHUNK === 0 || epoch + 1 === p.nEpochs)
          await progress.step(epoch + 1);
      }
      progress.finish();
    } finally {
      rng.dispose();
    }
    const rows = y.copy();
    const out = new Float32Array(n * dim);
    for (let v = 0; v < n; v++) {
      const at = tasks.rowOf(v) * dim;
      for (let c = 0; c < dim; c++) out[v * dim + c] = rows[at + c];
    }
    return out;
  });
  return {
    coordinates: { rows: n, cols: dim, data: coordinates },
    params: {
      nNeighbors: p.nNeighbors,
      nComponents: dim,
      minDist: p.minDist,
      spread: p.spread,
      nEpochs: p.nEpochs,
      learningRate: p.learningRate,
      negativeSampleRate: p.negativeSampleRate,
      repulsionStrength: p.repulsionStrength,
      localConnectivity: p.localConnectivity,
      a: p.a,
      b: p.b,
      init,
      knnMethod: p.knnMethod,
      seed: p.seed,
      targetMetric: p.target ? p.targetMetric : "none",
      targetWeight: p.targetWeight,
      targetNNeighbors: p.targetNNeighbors,
    },
    edges: nnz,
    components,
    warnings: warnings.list(),
  };
}

/**
 * The number of vertex blocks of UMAP's epochs, even and fixed by n alone (never by the thread
 * count, so the layout is the same on any): 2 (one task per round, umap-learn's serial order)
 * below 512 points, else 4, 8 or 16. A round has blocks/2 tasks and an epoch blocks − 1 rounds,
 * each one job on the kernel threads: more blocks let more threads work, at a job's cost per round.
 */
export function epochBlocks(n: number): number {
  let blocks = 2;
  for (const threshold of BLOCK_THRESHOLDS) if (n >= threshold) blocks *= 2;
  return blocks;
}

/** A typed array, or one zero element in its place when empty (a block of at least 1 element). */
function nonEmpty<T extends Int32Array | Float64Array>(a: T): T {
  return (a.length ? a : new (a.constructor as new (n: number) => T)(1)) as T;
}

/**
 * The rows and edges laid out for umapEpochRound. Vertex v is in block v mod blocks (a class
 * sorted input still spreads over every block) and sits at row blockStart[b] + ⌊v / blocks⌋ of
 * the embedding the kernel moves, so each block's rows are contiguous. An edge between blocks
 * p ≠ q goes to the task of the round that pairs them, an edge inside block p to p's task in
 * round ⌊i / blocks⌋ mod (blocks − 1) for its head i (spreading each block's inner edges over the
 * rounds); each task keeps its edges in CSR order, heads and tails as rows.
 */
function layoutByTask(
  core: Core,
  graph: SparseGraph,
  blocks: number,
  epochsPerSample: Float64Array,
  epochsPerNegative: Float64Array,
): {
  blockStart: Int32Array;
  rowOf: (v: number) => number;
  taskStart: Int32Array;
  heads: Int32Array;
  columns: Int32Array;
  epochsPerSample: Float64Array;
  epochsPerNegative: Float64Array;
} {
  const rounds = blocks - 1;
  const perRound = blocks / 2;
  const { n, rowPtr, columns } = graph;
  const blockStart = new Int32Array(blocks + 1);
  for (let b = 0; b < blocks; b++) blockStart[b + 1] = blockStart[b] + Math.ceil((n - b) / blocks);
  const rowOf = (v: number) => blockStart[v % blocks] + Math.floor(v / blocks);
  const taskOfPair = new Int32Array(blocks * blocks);
  const taskOfBlock = new Int32Array(rounds * blocks);
  for (let r = 0; r < rounds; r++) {
    for (let t = 0; t < perRound; t++) {
      const a = core.kernels.umapRoundBlocks(blocks, r, t, 0);
      const b = core.kernels.umapRoundBlocks(blocks, r, t, 1);
      const task = r * perRound + t;
      taskOfPair[a * blocks + b] = taskOfPair[b * blocks + a] = task;
      taskOfBlock[r * blocks + a] = taskOfBlock[r * blocks + b] = task;
    }
  }
  const nnz = columns.length;
  const taskOf = new Int32Array(nnz);
  const taskStart = new Int32Array(rounds * perRound + 1);
  for (let i = 0; i < n; i++) {
    const bi = i % blocks;
    const inner = taskOfBlock[(Math.floor(i / blocks) % rounds) * blocks + bi];
    for (let e = rowPtr[i]; e < rowPtr[i + 1]; e++) {
      const bj = columns[e] % blocks;
      const task = bi === bj ? inner : taskOfPair[bi * blocks + bj];
      taskOf[e] = task;
      taskStart[task + 1]++;
    }
  }
  for (let t = 0; t < rounds * perRound; t++) taskStart[t + 1] += taskStart[t];
  const cursor = taskStart.slice(0, rounds * perRound);
  const out = {
    blockStart,
    rowOf,
    taskStart,
    heads: new Int32Array(nnz),
    columns: new Int32Array(nnz),
    epochsPerSample: new Float64Array(nnz),
    epochsPerNegative: new Float64Array(nnz),
  };
  for (let i = 0; i < n; i++) {
    const row = rowOf(i);
    for (let e = rowPtr[i]; e < rowPtr[i + 1]; e++) {
      const at = cursor[taskOf[e]]++;
      out.heads[at] = row;
      out.columns[at] = rowOf(columns[e]);
      out.epochsPerSample[at] = epochsPerSample[e];
      out.epochsPerNegative[at] = epochsPerNegative[e];
    }
  }
  return out;
}

async function countComponents(core: Core, graph: SparseGraph): Promise<number> {
  return core.scope((s) => {
    const g = uploadGraph(s, graph);
    const labels = s.i32(graph.n, "component labels");
    const queue = s.i32(graph.n, "component queue");
    return core.kernels.graphComponents(g.rowPtr, g.columns, graph.n, labels.ptr, queue.ptr);
  });
}

/**
 * Eigenvectors 2 … dim + 1 (by increasing eigenvalue) of the normalised Laplacian
 * L = I − D^{−½} W D^{−½} of a connected graph, i.e. the leading eigenvectors of
 * D^{−½} W D^{−½} after its top one, D^{½}1, is deflated (umap-learn `spectral_layout`).
 */
export async function spectralLayout(
  core: Core,
  graph: SparseGraph,
  dim: number,
  seed: number,
  warnings: Warnings,
): Promise<Float64Array> {
  const n = graph.n;
  const degree = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let e = graph.rowPtr[i]; e < graph.rowPtr[i + 1]; e++) degree[i] += graph.values[e];
  }
  const normalized = new Float32Array(graph.values.length);
  for (let i = 0; i < n; i++) {
    for (let e = graph.rowPtr[i]; e < graph.rowPtr[i + 1]; e++) {
      normalized[e] = graph.values[e] / Math.sqrt(degree[i] * degree[graph.columns[e]]);
    }
  }
  const top = new Float64Array(n);
  let norm = 0;
  for (let i = 0; i < n; i++) norm += degree[i];
  for (let i = 0; i < n; i++) top[i] = Math.sqrt(degree[i] / norm);
  return core.scope(async (s) => {
    const g = uploadGraph(s, { ...graph, values: normalized });
    const eig = await lanczosLargest(
      core,
      n,
      dim,
      (x, y) => core.kernels.graphMatvec(g.rowPtr, g.columns, g.values, n, x, y),
      // umap-learn: eigsh(..., tol=1e-4); a basis of up to max(2k + 1, √n) vectors, restarted.
      { tol: 1e-4, maxBasis: Math.min(n - 1, 400), seed, deflate: [top] },
    );
    if (!eig.converged) {
      warnings.warn(
        `spectral initialisation: the eigen-solver reached ${eig.basis} vectors with residual ${eig.residual.toExponential(2)} > 1e-4; using its best estimate`,
      );
    }
    return eig.vectors;
  });
}
