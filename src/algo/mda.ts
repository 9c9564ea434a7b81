/**
 * MDA — Manifold Discovery and Analysis (Islam et al., Nat. Commun. 14:8506, 2023), written
 * from the paper and Gönen's model (the released code's licence, CC BY-NC-ND, forbids derivatives):
 *
 * 1. `discoverManifold(outputs)`: the "output manifold". Distances among the rows of the network
 *    outputs; the endpoint e is the row farthest from row 0; d_i = distance from e; groups by
 *    NumPy's `histogram(bins="auto")` edges and `digitize` (group 1 … nbins + 1, the top group
 *    holding only the point(s) at max d). `mode: "euclidean"` (default) is the released code's
 *    rule; `mode: "geodesic"` uses shortest paths on the union kNN graph of the outputs (k = 12,
 *    the code's unused `neighborNum`), the paper's wording. They agree for scalar outputs.
 * 2. `bayesianSdr(F, labels)`: Gönen's Bayesian supervised dimensionality reduction (a
 *    multinomial-probit classifier on a learnt R-dimensional projection, mean-field VB, 200
 *    sweeps; kernels: assembly/bsdr.ts) on the features with labels group + 1 (classes
 *    1 … nbins + 1 of K = nbins + 2, class 0 empty: the reference's label shift).
 *    The output used is the projection P = F·E[Q] (N × R), never E[Z], which is pulled toward
 *    the labels.
 * 3. `mda(features, outputs)`: features PCA-reduced first when D > min(100, N − 1) (the
 *    reference crashes when N < D and its README reduces to 400; we use ≤ 100 for the D³ cost of
 *    the Q update), then 1 and 2, then UMAP of P to 2-D (standard seeded UMAP SGD in place of
 *    the reference's unseeded ParametricUMAP Adam loop, which optimises the same loss).
 *
 * For a classifier, `outputs` should be the predicted labels (N × 1 class indices), as in the
 * reference's classification use: probability rows put every class at ≈ √2 from a one-hot
 * endpoint, so the groups become "the endpoint's class against the rest".
 *
 * @example
 *   const {coordinates, groups} = await mda(layerFeatures, predictions, {seed: 42});
 *
 * References:
 * 1. M. T. Islam, Z. Zhou, H. Ren, et al., "Revealing hidden patterns in deep neural network
 *    feature space continuum via manifold learning", Nat. Commun. 14, 8506 (2023).
 * 2. M. Gönen, "Bayesian supervised dimensionality reduction", IEEE Trans. Cybern. 43(6),
 *    2179–2189 (2013).
 * 3. M. Girolami, S. Rogers, "Variational Bayesian multinomial probit regression with Gaussian
 *    process priors", Neural Comput. 18 (2006) — the truncated-normal moments of T.
 *
 * See also: umap, geodesicCorrelation (the paper's evaluation), embed.
 */
import "./embed-kernels.ts";
import { HiddenAtlasError } from "../core/errors.ts";
import { assertFinite, assertMatrix, type Matrix } from "../core/matrix.ts";
import { checkInteger, checkKeyword, checkNumber, checkOptionNames } from "../core/params.ts";
import { ProgressTracker, type RunOptions } from "../core/progress.ts";
import { DEFAULT_SEED, Rng, checkSeed, STREAMS } from "../core/random.ts";
import { getCore } from "../core/wasm.ts";
import { pairwiseDistances } from "./distance.ts";
import { toKernelRange } from "./range.ts";
import { shortestPaths } from "./geodesic.ts";
import { checkGraphK, connectedComponents, knnGraph } from "./graph.ts";
import { joinComponents } from "./isomap.ts";
import { pca } from "./pca.ts";
import { umap, type UmapOptions } from "./umap.ts";
import { Warnings } from "../core/warnings.ts";

// ---------------------------------------------------------------------------------------------
// Step A: the output manifold.

export const MANIFOLD_MODES = ["euclidean", "geodesic"] as const;
export type ManifoldMode = (typeof MANIFOLD_MODES)[number];

export interface DiscoverManifoldOptions extends RunOptions {
  /** "euclidean" (default, the released code) or "geodesic" (kNN-graph shortest paths, the paper). */
  mode?: ManifoldMode;
  /** k of the geodesic mode's kNN graph. Defaults to 12 (the reference's unused `neighborNum`). */
  k?: number;
}

export interface OutputManifold {
  /** Distance of every sample from the endpoint (f64). */
  distance: Float64Array;
  /** distance / max distance, in [0, 1]: the paper's "normalised manifold distance". */
  normalized: Float64Array;
  /** Row farthest from row 0. */
  endpoint: number;
  /** Group of every sample, 1 … bins + 1 (`numpy.digitize` of distance on the edges). */
  groups: Int32Array;
  /** Histogram bins (NumPy "auto"). */
  bins: number;
  /** bins + 1 edges from min to max distance. */
  edges: Float64Array;
  mode: ManifoldMode;
  warnings: string[];
}

const manifoldDefaults = { mode: "euclidean" as ManifoldMode, k: 12 };

export async function discoverManifold(
  outputs: Matrix,
  options: DiscoverManifoldOptions = {},
): Promise<OutputManifold> {
  checkOptionNames("discoverManifold", options, manifoldDefaults);
  assertMatrix(outputs, "outputs");
  const n = outputs.rows;
  if (n < 2)
    throw new HiddenAtlasError("E_PARAM", `the output manifold needs at least 2 samples; got ${n}`);
  const mode = checkKeyword("mode", options.mode ?? manifoldDefaults.mode, MANIFOLD_MODES);
  const k =
    mode === "geodesic" ? checkGraphK(options.k ?? manifoldDefaults.k, n) : manifoldDefaults.k;
  assertFinite(outputs, "outputs");
  const warnings: string[] = [];
  let fromRow: (source: number) => Promise<Float64Array>;
  if (mode === "euclidean") {
    fromRow = async (source) => {
      const row = {
        rows: 1,
        cols: outputs.cols,
        data: outputs.data.slice(source * outputs.cols, (source + 1) * outputs.cols),
      };
      const D = await pairwiseDistances(row, outputs, { metric: "euclidean" });
      return Float64Array.from(D.data);
    };
  } else {
    let graph = await knnGraph(outputs, { k, signal: options.signal });
    const { count, labels } = await connectedComponents(graph);
    if (count > 1) {
      warnings.push(
        `the ${k}-NN graph of the outputs has ${count} components: joined by their shortest edges (as Isomap)`,
      );
      graph = await joinComponents(outputs, graph, count, labels);
    }
    fromRow = async (source) => {
      const paths = await shortestPaths(graph, { sources: [source], signal: options.signal });
      return Float64Array.from(paths.data);
    };
  }
  const first = await fromRow(0);
  let endpoint = 0;
  for (let i = 1; i < n; i++) if (first[i] > first[endpoint]) endpoint = i;
  const distance = await fromRow(endpoint);
  const edges = autoBinEdges(distance);
  const groups = digitize(distance, edges);
  let max = 0;
  for (let i = 0; i < n; i++) max = Math.max(max, distance[i]);
  const normalized = distance.map((v) => (max > 0 ? v / max : 0));
  return { distance, normalized, endpoint, groups, bins: edges.length - 1, edges, mode, warnings };
}

/** NumPy's `percentile` with linear interpolation (its default). `sorted` ascending. */
function percentile(sorted: Float64Array, q: number): number {
  const pos = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const t = pos - lo;
  return sorted[lo] + t * (sorted[hi] - sorted[lo]);
}

/**
 * Bin edges of NumPy 1.24 `histogram_bin_edges(values, bins="auto")`: width = min(Freedman–
 * Diaconis 2·IQR·n^(−1/3), Sturges range/(log₂ n + 1)), Sturges alone when IQR = 0;
 * bins = ceil(range / width); edges = linspace(min, max, bins + 1) as NumPy computes it.
 */
export function autoBinEdges(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  if (n === 0) throw new HiddenAtlasError("E_PARAM", "autoBinEdges: no values");
  const sorted = Float64Array.from(values).sort();
  let first = sorted[0];
  let last = sorted[n - 1];
  if (first === last) {
    first -= 0.5;
    last += 0.5;
  }
  const range = sorted[n - 1] - sorted[0];
  const sturges = range / (Math.log2(n) + 1);
  const iqr = percentile(sorted, 75) - percentile(sorted, 25);
  const fd = 2 * iqr * Math.pow(n, -1 / 3);
  const width = fd ? Math.min(fd, sturges) : sturges;
  const bins = width ? Math.ceil((last - first) / width) : 1;
  const edges = new Float64Array(bins + 1);
  const step = (last - first) / bins;
  for (let i = 0; i <= bins; i++) edges[i] = i * step + first;
  edges[bins] = last;
  return edges;
}

/** `numpy.digitize(values, edges)` for ascending edges: i with edges[i−1] ≤ v < edges[i]. */
export function digitize(values: ArrayLike<number>, edges: Float64Array): Int32Array {
  const out = new Int32Array(values.length);
  for (let t = 0; t < values.length; t++) {
    const v = values[t];
    // searchsorted(edges, v, side="right")
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (edges[mid] <= v) lo = mid + 1;
      else hi = mid;
    }
    out[t] = lo;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Step B: Bayesian supervised dimensionality reduction.

export interface BayesianSdrOptions extends RunOptions {
  /** Projection dimension R. Defaults to 16 (MDA's; Gönen's demo uses 20). */
  components?: number;
  /** Variational sweeps. Defaults to 200 (the reference; no convergence test). */
  iterations?: number;
  /** Monte-Carlo draws for the truncated-normal moments. Defaults to 200 (reference `sample`). */
  samples?: number;
  /** σ_z of z_i ~ N(Qᵀx_i, σ_z² I). Defaults to 0.1. */
  sigmaZ?: number;
  /** Gamma priors, shape α and scale β (E = α·β). All default to 1 (the reference). */
  alphaPhi?: number;
  betaPhi?: number;
  alphaLambda?: number;
  betaLambda?: number;
  alphaPsi?: number;
  betaPsi?: number;
  /** Seed of the initialisation and the Monte-Carlo draws. Defaults to 1606 (the reference's NumPy seed; our PCG32 stream differs). */
  seed?: number;
}

export interface BayesianSdrResult {
  /** N × R projection P = F·E[Q]. */
  projection: Matrix;
  /** E[Q], D × R (f64). */
  Q: Float64Array;
  /** Classes K (labels must lie in [0, K)). */
  classes: number;
  params: Required<Omit<BayesianSdrOptions, "signal" | "onProgress">>;
}

/** Largest projection dimension R (R may exceed D: the projection then has rank ≤ D). */
export const MAX_COMPONENTS = 256;

/** The reference's NumPy seed. */
export const BSDR_SEED = 1606;

const bsdrDefaults = {
  components: 16,
  iterations: 200,
  samples: 200,
  sigmaZ: 0.1,
  alphaPhi: 1,
  betaPhi: 1,
  alphaLambda: 1,
  betaLambda: 1,
  alphaPsi: 1,
  betaPsi: 1,
  seed: BSDR_SEED,
};

/** Sweeps per kernel call between progress checkpoints. */
/**
 * Most truncated-normal terms (sweeps × draws × samples × other classes) a BSDR run may take:
 * at the 16–90 ns a term measured on one core (more classes are slower per term), 2^36 terms are
 * 20 minutes to 2 hours. Groups near the sample count (one class per sample) ask for far more:
 * refused up front, naming the most groups that fit, instead of running for days.
 */
export const BSDR_MAX_TERMS = 2 ** 36;
const SWEEP_CHUNK = 5;
/** Slots of the kernel's pointer table (assembly/bsdr.ts SLOT_*). */
const BSDR_SLOTS = 14;

/**
 * Gönen's BSDR of the rows of F with class labels in [0, classes). Fails with E_PARAM if a
 * Cholesky factorisation breaks down (features far out of scale: standardise them first).
 */
export async function bayesianSdr(
  F: Matrix,
  labels: ArrayLike<number>,
  classes: number,
  options: BayesianSdrOptions = {},
): Promise<BayesianSdrResult> {
  checkOptionNames("bayesianSdr", options, bsdrDefaults);
  assertMatrix(F, "features");
  const { rows: n, cols: d } = F;
  if (labels.length !== n) {
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `labels has ${labels.length} entries but the features have ${n} rows`,
    );
  }
  const K = checkInteger("classes", classes, 2);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = checkInteger(`labels[${i}]`, labels[i], 0, K - 1);
  const p = {
    components: checkInteger(
      "components",
      options.components ?? bsdrDefaults.components,
      1,
      MAX_COMPONENTS,
    ),
    iterations: checkInteger("iterations", options.iterations ?? bsdrDefaults.iterations, 0),
    samples: checkInteger("samples", options.samples ?? bsdrDefaults.samples, 1),
    sigmaZ: checkNumber("sigmaZ", options.sigmaZ ?? bsdrDefaults.sigmaZ, 0, Infinity, {
      exclusiveMin: true,
    }),
    alphaPhi: checkNumber("alphaPhi", options.alphaPhi ?? bsdrDefaults.alphaPhi, 0, Infinity, {
      exclusiveMin: true,
    }),
    betaPhi: checkNumber("betaPhi", options.betaPhi ?? bsdrDefaults.betaPhi, 0, Infinity, {
      exclusiveMin: true,
    }),
    alphaLambda: checkNumber(
      "alphaLambda",
      options.alphaLambda ?? bsdrDefaults.alphaLambda,
      0,
      Infinity,
      { exclusiveMin: true },
    ),
    betaLambda: checkNumber(
      "betaLambda",
      options.betaLambda ?? bsdrDefaults.betaLambda,
      0,
      Infinity,
      { exclusiveMin: true },
    ),
    alphaPsi: checkNumber("alphaPsi", options.alphaPsi ?? bsdrDefaults.alphaPsi, 0, Infinity, {
      exclusiveMin: true,
    }),
    betaPsi: checkNumber("betaPsi", options.betaPsi ?? bsdrDefaults.betaPsi, 0, Infinity, {
      exclusiveMin: true,
    }),
    seed: checkSeed(options.seed ?? bsdrDefaults.seed),
  };
  assertFinite(F, "features");
  const terms = p.iterations * p.samples * n * (K - 1);
  if (terms > BSDR_MAX_TERMS) {
    const most = Math.floor(BSDR_MAX_TERMS / Math.max(1, p.iterations * p.samples * n));
    throw new HiddenAtlasError(
      "E_TOO_LARGE",
      `Bayesian SDR of ${n} samples into ${K} classes needs ${terms.toPrecision(2)} truncated-normal terms ` +
        `(${p.iterations} sweeps × ${p.samples} draws × ${n} samples × ${K - 1} other classes), more than the ${BSDR_MAX_TERMS.toPrecision(2)} ` +
        `that finish in reasonable time; use fewer groups (MDA: at most ${Math.max(0, most - 1)} groups for these samples), fewer samples, or fewer sweeps or draws`,
      { parameter: "classes", terms, limit: BSDR_MAX_TERMS },
    );
  }
  const R = p.components;
  const S = p.samples;
  const core = await getCore();
  const Kn = core.kernels;
  return core.scope(async (s) => {
    const f = s.upload(Float64Array.from(F.data), "BSDR features");
    const blocks = [
      f.ptr,
      s.f64(d * d, "XXᵀ").ptr,
      s.upload(y, "BSDR labels").ptr,
      s.f64(d * R, "E[Q]").ptr,
      s.f64(d * R, "Σ_Q diagonals").ptr,
      s.f64(d * R, "φ scales").ptr,
      s.f64(R * n, "E[Z]").ptr,
      s.f64(R * R, "Σ_Z").ptr,
      s.f64(K, "λ scales").ptr,
      s.f64(R * K, "ψ scales").ptr,
      s.f64((R + 1) * K, "E[b, W]").ptr,
      s.f64(K * (R + 1) * (R + 1), "Σ_bW").ptr,
      s.f64(K * n, "E[T]").ptr,
      s.f64(Kn.bsdrScratchDoubles(n, d, R, K, S), "BSDR scratch").ptr,
    ];
    const table = s.upload(Int32Array.from(blocks), "BSDR table");
    if (blocks.length !== BSDR_SLOTS) throw new Error("BSDR table layout");
    const rng = new Rng(core, p.seed, STREAMS.bsdr);
    try {
      Kn.bsdrInit(table.ptr, n, d, R, K, S, p.betaPhi, p.betaLambda, p.betaPsi, rng.state);
      const progress = new ProgressTracker(options, "Bayesian SDR", p.iterations);
      for (let it = 0; it < p.iterations; it++) {
        const failed = Kn.bsdrSweep(
          table.ptr,
          n,
          d,
          R,
          K,
          S,
          p.sigmaZ,
          p.alphaPhi,
          p.betaPhi,
          p.alphaLambda,
          p.betaLambda,
          p.alphaPsi,
          p.betaPsi,
          rng.state,
        );
        if (failed) {
          throw new HiddenAtlasError(
            "E_PARAM",
            `Bayesian SDR: a covariance lost positive definiteness at sweep ${it + 1}; the features are probably far out of scale (standardise them)`,
          );
        }
        if ((it + 1) % SWEEP_CHUNK === 0 || it + 1 === p.iterations) await progress.step(it + 1);
      }
      progress.finish();
      const out = s.f32(n * R, "projection");
      Kn.bsdrProject(table.ptr, n, d, R, out.ptr);
      const Q = new Float64Array(core.memory.buffer, blocks[3], d * R).slice();
      return { projection: { rows: n, cols: R, data: out.copy() }, Q, classes: K, params: p };
    } finally {
      rng.dispose();
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Step C: the whole pipeline.

export interface MdaOptions extends RunOptions {
  /** Output-manifold distance: "euclidean" (default, released code) or "geodesic" (paper). */
  mode?: ManifoldMode;
  /** k of the geodesic mode. Defaults to 12. */
  manifoldK?: number;
  /** Projection dimension R. Defaults to 16. */
  components?: number;
  /** BSDR sweeps. Defaults to 200. */
  iterations?: number;
  /** Monte-Carlo draws of BSDR. Defaults to 200. */
  samples?: number;
  /**
   * Group count: "auto" (default: NumPy's "auto" histogram of the manifold distance, the
   * reference), a number of equal-width bins (the notebook's slider), or "distinct": one group
   * per distinct manifold distance — for class-index outputs (N × 1 predicted labels), one group
   * per predicted class. The reference's "auto" bins do the same for C class indices only while
   * they make at least C − 1 bins (Sturges' count ceil(log₂ N + 1): for ten classes, N > 128);
   * "distinct" never merges classes.
   */
  groups?: number | "auto" | "distinct";
  /** PCA components kept first: "auto" (default: min(100, N − 1) when D exceeds it, else none) or a count. */
  pcaComponents?: number | "auto";
  /** UMAP neighbours of the 2-D layout. Defaults to 15 (umap-learn). */
  nNeighbors?: number;
  /** UMAP min_dist. Defaults to 0.1. */
  minDist?: number;
  /** UMAP epochs: "auto" (default, umap-learn's rule) or a count. */
  nEpochs?: number | "auto";
  /** Seed of BSDR (stream 19) and UMAP. Defaults to 42. */
  seed?: number;
}

export interface MdaResult {
  /** N × 2 layout. */
  coordinates: Matrix;
  /** N × R projection P = F·E[Q]. */
  projection: Matrix;
  manifold: OutputManifold;
  /** Classes handed to BSDR (K = groups + 2 with the reference's shift). */
  classes: number;
  params: {
    mode: ManifoldMode;
    manifoldK: number;
    components: number;
    iterations: number;
    samples: number;
    groups: number;
    pcaComponents: number;
    nNeighbors: number;
    minDist: number;
    nEpochs: number;
    seed: number;
    /** How the groups were cut: NumPy "auto" bins, equal-width bins, or one per distinct distance. */
    groupRule: "auto" | "bins" | "distinct";
  };
  warnings: string[];
}

const mdaDefaults = {
  mode: "euclidean" as ManifoldMode,
  manifoldK: 12,
  components: 16,
  iterations: 200,
  samples: 200,
  groups: "auto" as number | "auto" | "distinct",
  pcaComponents: "auto" as number | "auto",
  nNeighbors: 15,
  minDist: 0.1,
  nEpochs: "auto" as number | "auto",
  seed: DEFAULT_SEED,
};

/** "auto" PCA keeps at most this many components (the Q update costs O(R·D³) per sweep). */
export const MDA_MAX_DIMENSION = 100;

/**
 * MDA of one layer: `features` (N × D activations) grouped by the manifold of `outputs`
 * (N × M predictions, or targets), projected by BSDR and laid out by UMAP.
 */
export async function mda(
  features: Matrix,
  outputs: Matrix,
  options: MdaOptions = {},
): Promise<MdaResult> {
  checkOptionNames("mda", options, mdaDefaults);
  assertMatrix(features, "features");
  assertMatrix(outputs, "outputs");
  const n = features.rows;
  if (outputs.rows !== n) {
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `outputs have ${outputs.rows} rows but the features have ${n}; rows must be the same samples`,
    );
  }
  if (n < 4) throw new HiddenAtlasError("E_PARAM", `MDA needs at least 4 samples; got ${n}`);
  const groupsGiven = options.groups ?? mdaDefaults.groups;
  if (typeof groupsGiven === "string" && groupsGiven !== "auto" && groupsGiven !== "distinct") {
    throw new HiddenAtlasError(
      "E_PARAM",
      `invalid groups: ${JSON.stringify(groupsGiven)} (expected "auto", "distinct" or an integer ≥ 1)`,
      { parameter: "groups" },
    );
  }
  const mode = checkKeyword("mode", options.mode ?? mdaDefaults.mode, MANIFOLD_MODES);
  const manifoldK = checkInteger("manifoldK", options.manifoldK ?? mdaDefaults.manifoldK, 1, n - 1);
  const groupsOption = options.groups ?? mdaDefaults.groups;
  if (groupsOption !== "auto" && groupsOption !== "distinct")
    checkInteger("groups", groupsOption, 1, n);
  const limit = Math.min(MDA_MAX_DIMENSION, n - 1);
  const pcaOption = options.pcaComponents ?? mdaDefaults.pcaComponents;
  const pcaComponents =
    pcaOption === "auto"
      ? features.cols > limit
        ? limit
        : 0
      : checkInteger("pcaComponents", pcaOption, 0, Math.min(features.cols, n));
  const components = checkInteger(
    "components",
    options.components ?? mdaDefaults.components,
    1,
    MAX_COMPONENTS,
  );
  const iterations = checkInteger("iterations", options.iterations ?? mdaDefaults.iterations, 0);
  const samples = checkInteger("samples", options.samples ?? mdaDefaults.samples, 1);
  const seed = checkSeed(options.seed ?? mdaDefaults.seed);
  const umapOptions: UmapOptions = {
    nNeighbors: options.nNeighbors ?? mdaDefaults.nNeighbors,
    minDist: options.minDist ?? mdaDefaults.minDist,
    nEpochs: options.nEpochs ?? mdaDefaults.nEpochs,
    seed,
    signal: options.signal,
    onProgress: options.onProgress,
  };
  // Extreme values: MDA of the copies rescaled by powers of two (src/algo/range.ts).
  features = toKernelRange(features, "features").X;
  outputs = toKernelRange(outputs, "outputs").X;
  const run: RunOptions = { signal: options.signal, onProgress: options.onProgress };
  const warnings = new Warnings();
  const manifold = await discoverManifold(outputs, { mode, k: manifoldK, ...run });
  warnings.addAll(manifold.warnings);
  let groups = manifold.groups;
  let bins = manifold.bins;
  if (groupsOption === "distinct") {
    // Edges at every distinct distance: digitize then gives each value its rank, 1 … m.
    const values = Float64Array.from(new Set(manifold.distance)).sort();
    bins = values.length - 1;
    groups = digitize(manifold.distance, values);
    manifold.groups = groups;
    manifold.bins = bins;
    manifold.edges = values;
  } else if (groupsOption !== "auto") {
    bins = groupsOption;
    const edges = new Float64Array(bins + 1);
    const lo = manifold.edges[0];
    const hi = manifold.edges[manifold.edges.length - 1];
    for (let i = 0; i <= bins; i++) edges[i] = lo + ((hi - lo) * i) / bins;
    edges[bins] = hi;
    groups = digitize(manifold.distance, edges);
    manifold.groups = groups;
    manifold.bins = bins;
    manifold.edges = edges;
  }
  const F = pcaComponents
    ? (await pca(features, { nComponents: pcaComponents, ...run })).scores
    : features;
  // Labels group + 1 of K = bins + 2 classes (the reference's 1-based shift); 0-based here:
  // group g ∈ 1 … bins + 1 becomes class g, class 0 stays empty.
  const classes = bins + 2;
  const sdr = await bayesianSdr(F, groups, classes, {
    components,
    iterations,
    samples,
    seed,
    ...run,
  });
  const layout = await umap(sdr.projection, umapOptions);
  warnings.addAll(layout.warnings);
  return {
    coordinates: layout.coordinates,
    projection: sdr.projection,
    manifold,
    classes,
    params: {
      mode,
      manifoldK,
      components,
      iterations,
      samples,
      groups: bins,
      pcaComponents,
      groupRule:
        groupsOption === "auto" ? "auto" : groupsOption === "distinct" ? "distinct" : "bins",
      nNeighbors: layout.params.nNeighbors,
      minDist: layout.params.minDist,
      nEpochs: layout.params.nEpochs,
      seed,
    },
    warnings: warnings.list(),
  };
}
