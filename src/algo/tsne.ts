/**
 * t-SNE in two dimensions (kernels: assembly/tsne.ts), following scikit-learn 1.2's `TSNE`
 * step for step: perplexity calibration by binary search on the 3·perplexity + 1 nearest
 * neighbours (Barnes–Hut) or on all points (exact); P = (P + Pᵀ)/Σ; PCA initialisation scaled
 * to standard deviation 1e-4 in the first coordinate; 250 iterations of early exaggeration 12
 * with momentum 0.5, then momentum 0.8; adaptive gains; learning rate "auto" =
 * max(n / earlyExaggeration / 4, 50); KL checked every 50 iterations, stopping after 300
 * without progress or when the gradient norm falls below 1e-7.
 *
 * Method. "auto" (default) uses the exact O(n²) gradient up to 500 points and Barnes–Hut
 * (θ = `angle` = 0.5) above; scikit-learn always defaults to Barnes–Hut. We chose Barnes–Hut
 * over FFT-accelerated interpolation (FIt-SNE) because (1) it is the algorithm of the reference
 * we are compared with, so equal settings give equal quality, and (2) FIt-SNE's per-iteration
 * cost is dominated by FFTs over a grid that grows with the embedding's extent (hundreds of
 * points per side), which costs more than the tree walk below roughly 10⁴–10⁵ points — the
 * sizes these notebooks use. Conventions as scikit-learn (its learning rate is 4× that of
 * bhtsne/openTSNE for the same number).
 *
 * Threads. The forces of each iteration — exact or Barnes–Hut — run on the kernel threads
 * (`setThreads`) in fixed chunks of points, each point's sums over the others read-only; the
 * chunks' parts of Z (sQ) and KL are added in chunk order, so a seed gives the same bits on any
 * number of threads. The quadtree and the update run on the calling thread.
 *
 * Precomputed distances. `tsneFromDistances(D)` is scikit-learn's `TSNE(metric="precomputed")`:
 * the given distances enter the perplexity search as they are (scikit-learn squares only
 * Euclidean distances it computes itself), Barnes–Hut takes each row's 3·perplexity + 1 smallest
 * off-diagonal entries, and the start is random (scikit-learn refuses init "pca" with a
 * precomputed metric). M-PHATE's comparison runs it on the multislice graph's shortest paths.
 *
 * @example
 *   const {coordinates, klDivergence, params} = await tsne(X, {perplexity: 30, seed: 42});
 *   params.learningRate; // what "auto" became
 *   const onGraph = await tsneFromDistances(geodesicDistances, {seed: 42});
 *
 * References:
 * 1. L. van der Maaten & G. Hinton, "Visualizing data using t-SNE", JMLR 9 (2008).
 * 2. L. van der Maaten, "Accelerating t-SNE using tree-based algorithms", JMLR 15 (2014).
 * 3. G. C. Linderman et al., "Fast interpolation-based t-SNE…", Nat. Methods 16 (2019) — FIt-SNE.
 *
 * See also: umap, embed.
 */
import "./embed-kernels.ts";
import { HiddenAtlasError } from "../core/errors.ts";
import { assertFinite, assertMatrix, type Matrix } from "../core/matrix.ts";
import { checkInteger, checkKeyword, checkNumber, checkOptionNames } from "../core/params.ts";
import { ProgressTracker, type RunOptions } from "../core/progress.ts";
import { DEFAULT_SEED, Rng, checkSeed, STREAMS } from "../core/random.ts";
import { getCore, type Core, type Scope } from "../core/wasm.ts";
import { pairwiseDistances } from "./distance.ts";
import { MERGE_SUM } from "./embed-kernels.ts";
import { symmetrizeNeighbors, uploadGraph, type SparseGraph } from "./graph.ts";
import { knn, MAX_K } from "./knn.ts";
import { pca } from "./pca.ts";
import { rangeParams, toKernelRange } from "./range.ts";

/** sklearn TSNE: _EXPLORATION_N_ITER, _N_ITER_CHECK, momentum 0.5 → 0.8. */
const EXPLORATION_N_ITER = 250;
const N_ITER_CHECK = 50;
const EXPLORATION_MOMENTUM = 0.5;
const FINAL_MOMENTUM = 0.8;
/** sklearn `_t_sne.py`: MACHINE_EPSILON = np.finfo(np.double).eps. */
const MACHINE_EPSILON = 2.220446049250313e-16;
/** Largest n for which method "auto" uses the exact gradient. */
export const EXACT_MAX_POINTS = 500;
/** sklearn: init "pca" is rescaled so that the first coordinate has standard deviation 1e-4. */
const INIT_SCALE = 1e-4;

export const TSNE_METHODS = ["auto", "barnes_hut", "exact"] as const;

export interface TsneOptions extends RunOptions {
  /** Only 2 is supported. Defaults to 2 (scikit-learn `n_components=2`). */
  nComponents?: number;
  /** Effective number of neighbours. Defaults to 30 (scikit-learn `perplexity=30`); must be < n. */
  perplexity?: number;
  /** Factor on P for the first 250 iterations. Defaults to 12 (scikit-learn). */
  earlyExaggeration?: number;
  /** "auto" (default: max(n / earlyExaggeration / 4, 50), scikit-learn 1.2's "auto") or a number > 0. */
  learningRate?: number | "auto";
  /** Total iterations, exploration included. Defaults to 1000 (scikit-learn `n_iter=1000`). */
  nIter?: number;
  /** Stop after this many iterations without a lower KL (checked every 50). Defaults to 300. */
  nIterWithoutProgress?: number;
  /** Stop when ‖gradient‖ falls below this. Defaults to 1e-7 (scikit-learn). */
  minGradNorm?: number;
  /** "pca" (default, scikit-learn 1.2's default), "random" (N(0, 1e-4²)) or an n × 2 Matrix. */
  init?: "pca" | "random" | Matrix;
  /** "auto" (default: exact for n ≤ 500, else Barnes–Hut), "barnes_hut" (scikit-learn's default) or "exact". */
  method?: (typeof TSNE_METHODS)[number];
  /** Barnes–Hut θ. Defaults to 0.5 (scikit-learn `angle=0.5`). */
  angle?: number;
  /** Seed of the random init. Defaults to 42. */
  seed?: number;
}

export interface TsneResult {
  /** n × 2 embedding. */
  coordinates: Matrix;
  /** KL(P‖Q) at the last iteration (for Barnes–Hut: over the sparse P, as scikit-learn). */
  klDivergence: number;
  /** Iterations run. */
  iterations: number;
  /** Every option as resolved ("auto" replaced by its value). */
  params: {
    nComponents: 2;
    perplexity: number;
    earlyExaggeration: number;
    learningRate: number;
    nIter: number;
    nIterWithoutProgress: number;
    minGradNorm: number;
    init: "pca" | "random" | "given";
    method: "barnes_hut" | "exact";
    angle: number;
    seed: number;
    /** Neighbours used for P (Barnes–Hut), n − 1 for exact. */
    nNeighbors: number;
    /** The power of two extreme data were scaled by (src/algo/range.ts), when not 1. */
    rangeScale?: number;
  };
}

const defaults = {
  nComponents: 2,
  perplexity: 30,
  earlyExaggeration: 12,
  learningRate: "auto" as number | "auto",
  nIter: 1000,
  nIterWithoutProgress: 300,
  minGradNorm: 1e-7,
  init: "pca" as "pca" | "random" | Matrix,
  method: "auto" as (typeof TSNE_METHODS)[number],
  angle: 0.5,
  seed: DEFAULT_SEED,
};

function resolve(X: Matrix, options: TsneOptions) {
  checkOptionNames("tsne", options, defaults);
  assertMatrix(X, "X");
  const n = X.rows;
  checkInteger("nComponents", options.nComponents ?? 2, 2, 2);
  const perplexity = checkNumber(
    "perplexity",
    options.perplexity ?? defaults.perplexity,
    0,
    Infinity,
    { exclusiveMin: true },
  );
  const earlyExaggeration = checkNumber(
    "earlyExaggeration",
    options.earlyExaggeration ?? defaults.earlyExaggeration,
    1,
  );
  const lr = options.learningRate ?? defaults.learningRate;
  const learningRate =
    lr === "auto"
      ? Math.max(n / earlyExaggeration / 4, 50)
      : checkNumber("learningRate", lr, 0, Infinity, { exclusiveMin: true });
  const nIter = checkInteger("nIter", options.nIter ?? defaults.nIter, EXPLORATION_N_ITER);
  const nIterWithoutProgress = checkInteger(
    "nIterWithoutProgress",
    options.nIterWithoutProgress ?? defaults.nIterWithoutProgress,
    1,
  );
  const minGradNorm = checkNumber("minGradNorm", options.minGradNorm ?? defaults.minGradNorm, 0);
  const methodOption = checkKeyword("method", options.method ?? defaults.method, TSNE_METHODS);
  const angle = checkNumber("angle", options.angle ?? defaults.angle, 0, 1);
  const seed = checkSeed(options.seed ?? defaults.seed);
  const init = options.init ?? defaults.init;
  if (typeof init === "string") checkKeyword("init", init, ["pca", "random"] as const);
  else {
    assertMatrix(init, "init");
    if (init.rows !== n || init.cols !== 2) {
      throw new HiddenAtlasError(
        "E_SHAPE_MISMATCH",
        `init must be ${n} × 2; got ${init.rows} × ${init.cols}`,
      );
    }
    assertFinite(init, "init");
  }
  // Data-dependent checks (scikit-learn `_check_params_vs_input`).
  if (n < 2) throw new HiddenAtlasError("E_PARAM", `t-SNE needs at least 2 rows; got ${n}`);
  if (perplexity >= n) {
    throw new HiddenAtlasError(
      "E_PARAM",
      `invalid perplexity: ${perplexity} (expected less than the number of samples, ${n})`,
      { parameter: "perplexity" },
    );
  }
  const method =
    methodOption === "auto" ? (n <= EXACT_MAX_POINTS ? "exact" : "barnes_hut") : methodOption;
  const nNeighbors = method === "exact" ? n - 1 : Math.min(n - 1, Math.floor(3 * perplexity + 1));
  if (method === "barnes_hut" && nNeighbors > MAX_K) {
    throw new HiddenAtlasError(
      "E_PARAM",
      `invalid perplexity: ${perplexity} (Barnes–Hut needs 3·perplexity + 1 ≤ ${MAX_K} neighbours; use perplexity ≤ 85 or method "exact")`,
      { parameter: "perplexity" },
    );
  }
  return {
    perplexity,
    earlyExaggeration,
    learningRate,
    nIter,
    nIterWithoutProgress,
    minGradNorm,
    method,
    angle,
    seed,
    init,
    nNeighbors,
  };
}

/**
 * t-SNE of the rows of X. Data outside the kernels' range are embedded as their rescaled copy
 * (src/algo/range.ts): the embedding has no units, and P is scale-free up to the perplexity
 * search's tolerance.
 */
export async function tsne(X: Matrix, options: TsneOptions = {}): Promise<TsneResult> {
  const p = resolve(X, options);
  const range = toKernelRange(X, "X");
  X = range.X;
  const n = X.rows;
  const core = await getCore();
  const run: RunOptions = { signal: options.signal, onProgress: options.onProgress };
  // Joint probabilities.
  let sparse: SparseGraph | undefined;
  let dense: Float32Array | undefined;
  if (p.method === "barnes_hut")
    sparse = await sparseJointProbabilities(core, X, p.perplexity, p.nNeighbors, run);
  else dense = await denseJointProbabilities(core, X, p.perplexity, run);
  // Initial embedding.
  const y0 = await initialEmbedding(core, X, p.init, p.seed);
  return finish(core, n, y0, sparse, dense, p, run, range.scale);
}

/** Options of t-SNE on precomputed distances: as `tsne`, but the start is "random" (default) or given. */
export type TsneDistanceOptions = Omit<TsneOptions, "init"> & { init?: "random" | Matrix };

/**
 * t-SNE of n points given by their n × n distance matrix D (symmetric, non-negative, zero
 * diagonal), as scikit-learn's `TSNE(metric="precomputed")`: D's entries are used as they are
 * where the coordinate path uses squared Euclidean distances. Init defaults to "random".
 */
export async function tsneFromDistances(
  D: Matrix,
  options: TsneDistanceOptions = {},
): Promise<TsneResult> {
  assertMatrix(D, "D");
  if (D.rows !== D.cols)
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `D must be a square distance matrix; got ${D.rows} × ${D.cols}`,
    );
  const init = (options as TsneOptions).init ?? "random";
  if (init === "pca")
    throw new HiddenAtlasError(
      "E_PARAM",
      `invalid init: "pca" (t-SNE on precomputed distances has no coordinates for PCA; use "random" or an n × 2 Matrix)`,
      { parameter: "init" },
    );
  const p = resolve(D, { ...options, init });
  const n = D.rows;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const v = D.data[i * n + j];
      if (!(v >= 0) || v === Infinity)
        throw new HiddenAtlasError(
          "E_PARAM",
          `D[${i}, ${j}] is ${v}; distances must be finite and non-negative`,
          { row: i, column: j },
        );
      if (i === j && v !== 0)
        throw new HiddenAtlasError(
          "E_PARAM",
          `D[${i}, ${i}] is ${v}; a distance matrix has a zero diagonal`,
          { row: i },
        );
    }
  }
  const core = await getCore();
  const run: RunOptions = { signal: options.signal, onProgress: options.onProgress };
  let sparse: SparseGraph | undefined;
  let dense: Float32Array | undefined;
  if (p.method === "barnes_hut") {
    const { indices, distances } = nearestInDistances(D, p.nNeighbors);
    sparse = await jointFromNeighbors(
      core,
      indices,
      distances,
      n,
      p.nNeighbors,
      p.perplexity,
      run.signal,
    );
  } else {
    dense = await jointFromDistances(core, D.data, n, p.perplexity, run.signal);
  }
  const y0 = await initialEmbedding(core, D, p.init, p.seed);
  return finish(core, n, y0, sparse, dense, p, run, 1);
}

/**
 * The k smallest off-diagonal entries of every row of D, ascending (ties: the lower index), as
 * scikit-learn's NearestNeighbors(metric="precomputed").kneighbors() without the query itself.
 */
export function nearestInDistances(
  D: Matrix,
  k: number,
): { indices: Int32Array; distances: Float32Array } {
  const n = D.rows;
  const indices = new Int32Array(n * k);
  const distances = new Float32Array(n * k);
  const order = new Int32Array(n - 1);
  for (let i = 0; i < n; i++) {
    const row = D.data.subarray(i * n, (i + 1) * n);
    for (let j = 0, c = 0; j < n; j++) if (j !== i) order[c++] = j;
    order.sort((a, b) => row[a] - row[b] || a - b);
    for (let c = 0; c < k; c++) {
      indices[i * k + c] = order[c];
      distances[i * k + c] = row[order[c]];
    }
  }
  return { indices, distances };
}

async function finish(
  core: Core,
  n: number,
  y0: Float32Array,
  sparse: SparseGraph | undefined,
  dense: Float32Array | undefined,
  p: ReturnType<typeof resolve>,
  run: RunOptions,
  scale: number,
): Promise<TsneResult> {
  const result = await optimize(core, n, y0, sparse, dense, p, run);
  return {
    ...result,
    params: {
      nComponents: 2,
      perplexity: p.perplexity,
      earlyExaggeration: p.earlyExaggeration,
      learningRate: p.learningRate,
      nIter: p.nIter,
      nIterWithoutProgress: p.nIterWithoutProgress,
      minGradNorm: p.minGradNorm,
      init: typeof p.init === "string" ? p.init : "given",
      method: p.method,
      angle: p.angle,
      seed: p.seed,
      nNeighbors: p.nNeighbors,
      ...rangeParams(scale),
    },
  };
}

/** Values per chunk of the perplexity search (a row's search reads and writes its own row). */
const CONDITIONAL_CHUNK_VALUES = 8192;

/**
 * Conditional probabilities p_j|i of `rows` rows of `rowLen` (squared or given) distances, the
 * rows' binary searches on β_i in fixed chunks of rows on the kernel threads (tsneConditionalPRows).
 */
async function conditionalProbabilities(
  core: Core,
  distances: Float32Array,
  rows: number,
  rowLen: number,
  skipDiagonal: boolean,
  perplexity: number,
  signal?: AbortSignal,
): Promise<Float32Array> {
  return core.scope(async (s) => {
    const d = s.upload(distances, "distances");
    const out = s.f32(rows * rowLen, "conditional P");
    await core.parallelRows(
      {
        kernel: "tsneConditionalPRows",
        rows,
        chunk: Math.max(1, Math.ceil(CONDITIONAL_CHUNK_VALUES / rowLen)),
        args: [
          d.ptr,
          { i0: 1 },
          { i1: 1 },
          rowLen,
          rowLen,
          skipDiagonal ? 1 : 0,
          perplexity,
          out.ptr,
        ],
      },
      { signal },
    );
    return out.copy();
  });
}

/** P from the k nearest neighbours (sklearn `_joint_probabilities_nn`), CSR, Σ P = 1. */
export async function sparseJointProbabilities(
  core: Core,
  X: Matrix,
  perplexity: number,
  k: number,
  run: RunOptions = {},
): Promise<SparseGraph> {
  const nn = await knn(X, { k, metric: "sqeuclidean", ...run });
  return jointFromNeighbors(core, nn.indices, nn.distances, X.rows, k, perplexity, run.signal);
}

/** Joint P (CSR, Σ P = 1) from each point's k neighbours and their (squared or given) distances. */
async function jointFromNeighbors(
  core: Core,
  indices: Int32Array,
  distances: Float32Array,
  n: number,
  k: number,
  perplexity: number,
  signal?: AbortSignal,
): Promise<SparseGraph> {
  const conditional = await conditionalProbabilities(
    core,
    distances,
    n,
    k,
    false,
    perplexity,
    signal,
  );
  const graph = symmetrizeNeighbors(core, indices, conditional, n, k, MERGE_SUM, false);
  let sum = 0;
  for (let e = 0; e < graph.values.length; e++) sum += graph.values[e];
  const scale = 1 / Math.max(sum, MACHINE_EPSILON);
  for (let e = 0; e < graph.values.length; e++) graph.values[e] *= scale;
  return graph;
}

/** Dense n × n P over all pairs (sklearn `_joint_probabilities`), floored at MACHINE_EPSILON off the diagonal. */
export async function denseJointProbabilities(
  core: Core,
  X: Matrix,
  perplexity: number,
  run: RunOptions = {},
): Promise<Float32Array> {
  const D = await pairwiseDistances(X, undefined, { metric: "sqeuclidean", signal: run.signal });
  return jointFromDistances(core, D.data, X.rows, perplexity, run.signal);
}

/** Dense joint P from all n × n (squared or given) distances. */
async function jointFromDistances(
  core: Core,
  distances: Float32Array,
  n: number,
  perplexity: number,
  signal?: AbortSignal,
): Promise<Float32Array> {
  const C = await conditionalProbabilities(core, distances, n, n, true, perplexity, signal);
  let sum = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) if (i !== j) sum += C[i * n + j] + C[j * n + i];
  const scale = 1 / Math.max(sum, MACHINE_EPSILON);
  const P = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i !== j) P[i * n + j] = Math.max((C[i * n + j] + C[j * n + i]) * scale, MACHINE_EPSILON);
    }
  }
  return P;
}

async function initialEmbedding(
  core: Core,
  X: Matrix,
  init: "pca" | "random" | Matrix,
  seed: number,
): Promise<Float32Array> {
  const n = X.rows;
  if (typeof init !== "string") return Float32Array.from(init.data);
  if (init === "random") {
    const rng = new Rng(core, seed, STREAMS.tsneInit);
    try {
      return Float32Array.from(rng.normal(2 * n), (v) => INIT_SCALE * v);
    } finally {
      rng.dispose();
    }
  }
  if (X.cols < 2) {
    // One input column: PCA has one component; the second coordinate starts at 0.
    const y = new Float32Array(2 * n);
    const mean = X.data.reduce((a, b) => a + b, 0) / n;
    for (let i = 0; i < n; i++) y[2 * i] = X.data[i] - mean;
    return scaleFirstColumn(y, n);
  }
  const scores = (await pca(X, { nComponents: 2 })).scores.data;
  return scaleFirstColumn(Float32Array.from(scores), n);
}

/** sklearn: X_embedded / np.std(X_embedded[:, 0]) * 1e-4 (population standard deviation). */
function scaleFirstColumn(y: Float32Array, n: number): Float32Array {
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[2 * i];
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (y[2 * i] - mean) ** 2;
  const std = Math.sqrt(variance / n);
  const scale = std > 0 ? INIT_SCALE / std : 1;
  for (let t = 0; t < 2 * n; t++) y[t] = y[t] * scale;
  return y;
}

async function optimize(
  core: Core,
  n: number,
  y0: Float32Array,
  sparse: SparseGraph | undefined,
  dense: Float32Array | undefined,
  p: ReturnType<typeof resolve>,
  run: RunOptions,
): Promise<{ coordinates: Matrix; klDivergence: number; iterations: number }> {
  const K = core.kernels;
  return core.scope(async (s) => {
    const y = s.upload(y0, "embedding");
    const grad = s.f32(2 * n, "gradient");
    const update = s.f32(2 * n, "update");
    const gains = s.f32(2 * n, "gains");
    const g = sparse ? uploadGraph(s, sparse) : undefined;
    const pDense = dense ? s.upload(dense, "joint P") : undefined;
    const forces = g
      ? new BarnesHutForces(core, s, n, g)
      : new ExactForces(core, s, n, pDense!.ptr);
    const gradient = (exaggeration: number, computeError: boolean): Promise<number> =>
      forces.gradient(y.ptr, exaggeration, p.angle, grad.ptr, computeError, run.signal);
    const progress = new ProgressTracker(run, "t-SNE", p.nIter);
    let error = Number.MAX_VALUE;
    let it = 0;
    // sklearn `_gradient_descent`, called twice: exploration, then the rest with fresh
    // update and gains.
    const stage = async (
      start: number,
      end: number,
      momentum: number,
      exaggeration: number,
      withoutProgress: number,
    ) => {
      update.view().fill(0);
      gains.view().fill(1);
      let bestError = Number.MAX_VALUE;
      let bestIter = start;
      let i = start;
      for (; i < end; i++) {
        const check = (i + 1) % N_ITER_CHECK === 0;
        const computeError = check || i === end - 1;
        const e = await gradient(exaggeration, computeError);
        if (computeError) error = e;
        const normSq = K.tsneUpdate(
          y.ptr,
          grad.ptr,
          update.ptr,
          gains.ptr,
          2 * n,
          momentum,
          p.learningRate,
        );
        await progress.step(i + 1);
        if (check) {
          if (error < bestError) {
            bestError = error;
            bestIter = i;
          } else if (i - bestIter > withoutProgress) {
            break;
          }
          if (Math.sqrt(normSq) <= p.minGradNorm) break;
        }
      }
      return Math.min(i, end - 1);
    };
    it = await stage(
      0,
      EXPLORATION_N_ITER,
      EXPLORATION_MOMENTUM,
      p.earlyExaggeration,
      EXPLORATION_N_ITER,
    );
    if (it < EXPLORATION_N_ITER - 1 || p.nIter > EXPLORATION_N_ITER) {
      it = await stage(it + 1, p.nIter, FINAL_MOMENTUM, 1, p.nIterWithoutProgress);
    }
    progress.finish();
    return {
      coordinates: { rows: n, cols: 2, data: y.copy() },
      klDivergence: error,
      iterations: it + 1,
    };
  });
}

/**
 * KL(P‖Q) and its exact gradient for a dense joint P and embedding Y (n × 2), as the kernel
 * computes them; exposed for gradient checks and small experiments.
 */
export async function tsneKlGradient(
  P: Float32Array,
  Y: Float32Array,
  n: number,
): Promise<{ kl: number; gradient: Float32Array }> {
  const core = await getCore();
  return core.scope(async (s) => {
    const p = s.upload(P, "joint P");
    const y = s.upload(Y, "embedding");
    const grad = s.f32(2 * n, "gradient");
    const kl = await new ExactForces(core, s, n, p.ptr).gradient(y.ptr, 1, 0, grad.ptr, true);
    return { kl, gradient: grad.copy() };
  });
}

/**
 * Barnes–Hut gradient for a sparse P (CSR) and Y (n × 2) at angle θ; θ = 0 opens every cell, so
 * the repulsion is exact. Exposed for tests. Runs on the kernel threads as `tsne` does.
 */
export async function tsneBarnesHutGradient(
  P: SparseGraph,
  Y: Float32Array,
  angle: number,
): Promise<{ kl: number; gradient: Float32Array }> {
  const core = await getCore();
  const n = P.n;
  return core.scope(async (s) => {
    const g = uploadGraph(s, P);
    const y = s.upload(Y, "embedding");
    const grad = s.f32(2 * n, "gradient");
    const kl = await new BarnesHutForces(core, s, n, g).gradient(y.ptr, 1, angle, grad.ptr, true);
    return { kl, gradient: grad.copy() };
  });
}

/**
 * Points per chunk of the Barnes–Hut force pass (a multiple of 4, the walk's group size), and
 * rows per chunk of its KL pass. The chunks are fixed, and their partial sums are added in chunk
 * order, so the gradient and KL do not depend on how many threads run them. Chunks in leaf order
 * differ in cost (dense regions open more cells), so the force pass is cut fine: on the digits,
 * 256 points a chunk (8 chunks) left one of two threads idle for 8 % of the pass, 64 (29 chunks)
 * for under 2 %.
 */
const FORCE_CHUNK_POINTS = 64;
const KL_CHUNK_ROWS = 1024;

/**
 * The Barnes–Hut gradient of one t-SNE run: the quadtree (built on the calling thread), then the
 * repulsive and attractive forces of fixed chunks of points in leaf order on the kernel threads,
 * sQ as the sum of the chunks' parts in order, and 4·(attract − neg / sQ).
 */
class BarnesHutForces {
  private capacity: number;
  private tree: number;
  private readonly neg: number;
  private readonly attract: number;

  constructor(
    private readonly core: Core,
    private readonly s: Scope,
    private readonly n: number,
    private readonly P: { rowPtr: number; columns: number; values: number },
  ) {
    this.capacity = 8 * n + 64;
    this.tree = s.alloc(core.kernels.tsneTreeBytes(this.capacity, n), "quadtree");
    this.neg = s.f64(2 * n, "repulsive forces").ptr;
    this.attract = s.f64(2 * n, "attractive forces").ptr;
  }

  /** Write the gradient for Y (both f32 n × 2 pointers); returns KL when computeError, else 0. */
  async gradient(
    y: number,
    exaggeration: number,
    angle: number,
    grad: number,
    computeError: boolean,
    signal?: AbortSignal,
  ): Promise<number> {
    const { core, n, P } = this;
    const K = core.kernels;
    while (K.tsneBuildTree(y, n, this.tree, this.capacity) < 0) {
      this.capacity *= 2;
      this.tree = this.s.alloc(K.tsneTreeBytes(this.capacity, n), "quadtree");
    }
    const parts = await core.parallelRows(
      {
        kernel: "tsneForces",
        rows: n,
        chunk: FORCE_CHUNK_POINTS,
        args: [
          y,
          n,
          P.rowPtr,
          P.columns,
          P.values,
          exaggeration,
          angle,
          this.tree,
          this.capacity,
          { i0: 1 },
          { i1: 1 },
          this.neg,
          this.attract,
        ],
        results: true,
      },
      { signal },
    );
    const sumQ = sumInOrder(parts!);
    K.tsneCombineForces(this.neg, this.attract, sumQ, n, grad);
    if (!computeError) return 0;
    const kl = await core.parallelRows(
      {
        kernel: "tsneKlRows",
        rows: n,
        chunk: KL_CHUNK_ROWS,
        args: [y, P.rowPtr, P.columns, P.values, exaggeration, sumQ, { i0: 1 }, { i1: 1 }],
        results: true,
      },
      { signal },
    );
    return sumInOrder(kl!);
  }
}

/** Rows per chunk of the exact gradient's and KL's passes (fixed: the parts are added in chunk order). */
const EXACT_CHUNK_ROWS = 32;

/**
 * The exact gradient of one t-SNE run: each point's attractive and repulsive sums over every
 * other point for fixed chunks of rows on the kernel threads (a row's sums read only P and Y),
 * Z as the sum of the chunks' parts in order, then 4·(attract − repel / Z); KL likewise.
 */
class ExactForces {
  private readonly attract: number;
  private readonly repel: number;

  constructor(
    private readonly core: Core,
    s: Scope,
    private readonly n: number,
    private readonly P: number,
  ) {
    this.attract = s.f64(2 * n, "attractive forces").ptr;
    this.repel = s.f64(2 * n, "repulsive forces").ptr;
  }

  /** As BarnesHutForces.gradient (the angle is not used). */
  async gradient(
    y: number,
    exaggeration: number,
    _angle: number,
    grad: number,
    computeError: boolean,
    signal?: AbortSignal,
  ): Promise<number> {
    const { core, n, P } = this;
    const parts = await core.parallelRows(
      {
        kernel: "tsneExactRows",
        rows: n,
        chunk: EXACT_CHUNK_ROWS,
        args: [P, y, n, exaggeration, { i0: 1 }, { i1: 1 }, this.attract, this.repel],
        results: true,
      },
      { signal },
    );
    const z = sumInOrder(parts!);
    core.kernels.tsneCombineForces(this.repel, this.attract, z, n, grad);
    if (!computeError) return 0;
    const kl = await core.parallelRows(
      {
        kernel: "tsneExactKlRows",
        rows: n,
        chunk: EXACT_CHUNK_ROWS,
        args: [P, y, n, exaggeration, z > 0 ? 1 / z : 0, { i0: 1 }, { i1: 1 }],
        results: true,
      },
      { signal },
    );
    return sumInOrder(kl!);
  }
}

/** Σ of the chunks' parts, first to last (a fixed order, whatever ran them). */
function sumInOrder(parts: Float64Array): number {
  let sum = 0;
  for (let c = 0; c < parts.length; c++) sum += parts[c];
  return sum;
}
