/**
 * UMAP (kernels: assembly/umap.ts, graph.ts), following umap-learn 0.5's defaults and its
 * serial code path: exact kNN (umap-learn also uses exact neighbours below 4,096 points; we do
 * up to 20,000 and NN-descent above, see `knnMethod`), smooth kNN distances (ρ, σ by binary
 * search, 64 steps), fuzzy union, edges below max/nEpochs dropped, spectral initialisation
 * (eigenvectors 2 … d + 1 of the normalised Laplacian) scaled to max |y| = 10 plus N(0, 1e-4²)
 * noise and rescaled to [0, 10] per axis, then SGD with 5 negative samples per positive sample,
 * learning rate 1 decaying linearly, gradients clipped at ±4. Deterministic for a seed: the
 * epochs run serially in umap-learn's edge order and every random draw comes from PCG32.
 *
 * Differences from umap-learn, stated: random integers come from PCG32, not umap's tau_rand;
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
import { DEFAULT_SEED, Rng, checkSeed } from "../core/random.ts";
import { getCore, type Core } from "../core/wasm.ts";
import { MERGE_FUZZY } from "./embed-kernels.ts";
import { symmetrizeNeighbors, uploadGraph, type SparseGraph } from "./graph.ts";
import { knn, MAX_K, type KnnResult } from "./knn.ts";
import { toKernelRange } from "./range.ts";
import { lanczosLargest } from "./lanczos.ts";

/** umap-learn smooth_knn_dist: n_iter = 64. */
const SMOOTH_KNN_STEPS = 64;
/** umap-learn: 500 epochs for graphs of at most 10,000 vertices, else 200. */
const SMALL_GRAPH = 10_000;
/** Above this many points the kNN graph is approximate (NN-descent) when knnMethod is "auto". */
export const EXACT_KNN_MAX_POINTS = 20_000;
/** Epochs per kernel call: bounds the time between progress checkpoints. */
const EPOCH_CHUNK = 5;
/** umap-learn simplicial_set_embedding: spectral layout scaled to max |coordinate| = 10. */
const SPECTRAL_EXPANSION = 10;
/** umap-learn: N(0, 1e-4) noise added to the spectral layout. */
const INIT_NOISE = 1e-4;
/** umap-learn random init: uniform in [−10, 10). */
const RANDOM_INIT_RANGE = 10;

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
};

function resolve(X: Matrix, options: UmapOptions) {
  checkOptionNames("umap", options, defaults);
  assertMatrix(X, "X");
  const n = X.rows;
  if (n < 3) throw new HiddenAtlasError("E_PARAM", `UMAP needs at least 3 rows; got ${n}`);
  const nNeighbors = checkInteger("nNeighbors", options.nNeighbors ?? defaults.nNeighbors, 2, Math.min(n, MAX_K + 1));
  const nComponents = checkInteger("nComponents", options.nComponents ?? defaults.nComponents, 1, n - 2);
  const spread = checkNumber("spread", options.spread ?? defaults.spread, 0, Infinity, { exclusiveMin: true });
  const minDist = checkNumber("minDist", options.minDist ?? defaults.minDist, 0, spread);
  const epochsOption = options.nEpochs ?? defaults.nEpochs;
  const nEpochs = epochsOption === "auto" ? (n <= SMALL_GRAPH ? 500 : 200) : checkInteger("nEpochs", epochsOption, 1);
  const learningRate = checkNumber("learningRate", options.learningRate ?? defaults.learningRate, 0, Infinity, { exclusiveMin: true });
  const negativeSampleRate = checkInteger("negativeSampleRate", options.negativeSampleRate ?? defaults.negativeSampleRate, 0);
  const repulsionStrength = checkNumber("repulsionStrength", options.repulsionStrength ?? defaults.repulsionStrength, 0);
  const localConnectivity = checkNumber("localConnectivity", options.localConnectivity ?? defaults.localConnectivity, 0);
  const aOption = options.a ?? defaults.a;
  const bOption = options.b ?? defaults.b;
  if (aOption !== "auto") checkNumber("a", aOption, 0, Infinity, { exclusiveMin: true });
  if (bOption !== "auto") checkNumber("b", bOption, 0, Infinity, { exclusiveMin: true });
  const fitted = aOption === "auto" || bOption === "auto" ? findAbParams(spread, minDist) : undefined;
  const a = aOption === "auto" ? fitted!.a : aOption;
  const b = bOption === "auto" ? fitted!.b : bOption;
  const init = options.init ?? defaults.init;
  if (typeof init === "string") checkKeyword("init", init, ["spectral", "random"] as const);
  else {
    assertMatrix(init, "init");
    if (init.rows !== n || init.cols !== nComponents) {
      throw new HiddenAtlasError("E_SHAPE_MISMATCH", `init must be ${n} × ${nComponents}; got ${init.rows} × ${init.cols}`);
    }
    assertFinite(init, "init");
  }
  const knnOption = checkKeyword("knnMethod", options.knnMethod ?? defaults.knnMethod, ["auto", "exact", "nndescent"] as const);
  const knnMethod: "exact" | "nndescent" = knnOption === "auto" ? (n <= EXACT_KNN_MAX_POINTS ? "exact" : "nndescent") : knnOption;
  const seed = checkSeed(options.seed ?? defaults.seed);
  return {
    nNeighbors, nComponents, minDist, spread, nEpochs, learningRate, negativeSampleRate,
    repulsionStrength, localConnectivity, a, b, init, knnMethod, seed,
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
    let h00 = 0, h01 = 0, h11 = 0, g0 = 0, g1 = 0;
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
  options: { nNeighbors?: number; localConnectivity?: number; knnMethod?: "exact" | "nndescent"; seed?: number } & RunOptions = {},
): Promise<FuzzySimplicialSet> {
  const n = X.rows;
  const nNeighbors = options.nNeighbors ?? 15;
  const kk = nNeighbors - 1;
  const localConnectivity = options.localConnectivity ?? 1;
  const core = await getCore();
  let neighbors: KnnResult;
  if (options.knnMethod === "nndescent") {
    const { nnDescent } = await import("./nndescent.ts");
    neighbors = await nnDescent(X, { k: kk, maxCandidates: 60, seed: options.seed ?? DEFAULT_SEED, signal: options.signal, onProgress: options.onProgress });
  } else {
    neighbors = await knn(X, { k: kk, signal: options.signal, onProgress: options.onProgress });
  }
  const { sigmas, rhos, memberships } = core.scope((s) => {
    const d = s.upload(neighbors.distances, "neighbour distances");
    const sigma = s.f32(n, "sigma");
    const rho = s.f32(n, "rho");
    const out = s.f32(n * kk, "memberships");
    core.kernels.umapSmoothKnn(d.ptr, n, kk, nNeighbors, localConnectivity, 1, SMOOTH_KNN_STEPS, sigma.ptr, rho.ptr);
    core.kernels.umapMembership(d.ptr, n, kk, sigma.ptr, rho.ptr, out.ptr);
    return { sigmas: sigma.copy(), rhos: rho.copy(), memberships: out.copy() };
  });
  const graph = symmetrizeNeighbors(core, neighbors.indices, memberships, n, kk, MERGE_FUZZY, true);
  return { graph, sigmas, rhos, knn: neighbors };
}

export async function umap(X: Matrix, options: UmapOptions = {}): Promise<UmapResult> {
  const p = resolve(X, options);
  X = toKernelRange(X, "X").X; // extreme values: the rescaled copy's layout (src/algo/range.ts)
  const n = X.rows;
  const run: RunOptions = { signal: options.signal, onProgress: options.onProgress };
  const { graph } = await fuzzySimplicialSet(X, {
    nNeighbors: p.nNeighbors, localConnectivity: p.localConnectivity, knnMethod: p.knnMethod, seed: p.seed, ...run,
  });
  return layoutFuzzyGraph(graph, n, p, run);
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
  const warnings: string[] = [];
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
  const initRng = new Rng(core, p.seed, 11);
  let embedding: Float32Array;
  let init: "spectral" | "random" | "given" = typeof p.init === "string" ? p.init : "given";
  try {
    if (typeof p.init !== "string") {
      embedding = Float32Array.from(p.init.data);
    } else {
      let spectral: Float64Array | undefined;
      if (p.init === "spectral") {
        if (components > 1) {
          warnings.push(`the fuzzy graph has ${components} connected components: spectral initialisation needs a connected graph, so init fell back to "random"`);
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
        for (let t = 0; t < n * dim; t++) embedding[t] = Math.fround(spectral[t] * expansion) + Math.fround(INIT_NOISE * noise[t]);
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
        for (let i = 0; i < n; i++) embedding[i * dim + c] = Math.fround((embedding[i * dim + c] - lo) * scale);
      }
    }
  } finally {
    initRng.release();
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
  const coordinates = await core.scope(async (s) => {
    const g = uploadGraph(s, pruned);
    const y = s.upload(embedding, "embedding");
    const eps = s.upload(epochsPerSample.length ? epochsPerSample : new Float64Array(1), "epochs per sample");
    const next = s.upload(epochsPerSample.length ? epochsPerSample.slice() : new Float64Array(1), "epoch of next sample");
    const epn = s.upload(epochsPerNegative.length ? epochsPerNegative : new Float64Array(1), "epochs per negative sample");
    const nextNeg = s.upload(epochsPerNegative.length ? epochsPerNegative.slice() : new Float64Array(1), "epoch of next negative sample");
    const rng = new Rng(core, p.seed, 12);
    try {
      const progress = new ProgressTracker(run, "UMAP", p.nEpochs);
      for (let e0 = 0; e0 < p.nEpochs; e0 += EPOCH_CHUNK) {
        const e1 = Math.min(e0 + EPOCH_CHUNK, p.nEpochs);
        K.umapEpochs(
          y.ptr, n, dim, g.rowPtr, g.columns, eps.ptr, next.ptr, epn.ptr, nextNeg.ptr, p.a, p.b,
          p.repulsionStrength, p.learningRate, p.nEpochs, e0, e1, rng.state,
        );
        await progress.step(e1);
      }
      progress.finish();
    } finally {
      rng.release();
    }
    return y.copy();
  });
  return {
    coordinates: { rows: n, cols: dim, data: coordinates },
    params: {
      nNeighbors: p.nNeighbors, nComponents: dim, minDist: p.minDist, spread: p.spread,
      nEpochs: p.nEpochs, learningRate: p.learningRate, negativeSampleRate: p.negativeSampleRate,
      repulsionStrength: p.repulsionStrength, localConnectivity: p.localConnectivity, a: p.a, b: p.b,
      init, knnMethod: p.knnMethod, seed: p.seed,
    },
    edges: nnz,
    components,
    warnings,
  };
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
export async function spectralLayout(core: Core, graph: SparseGraph, dim: number, seed: number, warnings: string[]): Promise<Float64Array> {
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
      warnings.push(`spectral initialisation: the eigen-solver reached ${eig.basis} vectors with residual ${eig.residual.toExponential(2)} > 1e-4; using its best estimate`);
    }
    return eig.vectors;
  });
}
