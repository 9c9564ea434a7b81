/**
 * Quality of a low-dimensional layout Y of data X (rows are the same samples):
 *
 * - `trustworthiness(X, Y)`: scikit-learn's `sklearn.manifold.trustworthiness` (Venna & Kaski
 *   2001): 1 − 2/(n k (2n − 3k − 1)) Σ_i Σ_{j ∈ N_k^Y(i)} max(0, r_X(i, j) − k), where r_X(i, j)
 *   is the rank of j among i's neighbours in X. Ties in X-distance are ranked by index (NumPy's
 *   argsort leaves their order to the sort); Euclidean distance.
 * - `continuity(X, Y)`: the same with the spaces swapped, `trustworthiness(Y, X)`.
 * - `geodesicCorrelation(X, Y)`: Pearson and Spearman correlation between geodesic distances
 *   on kNN graphs of X and of Y with the same k (MDA's "geodesic-distance Pearson
 *   correlation"), over all pairs i < j; graphs in pieces are joined as Isomap joins them and
 *   the share of pairs the join touched is returned with the score.
 * - `targetContinuity(Y, target)`: Spearman correlation between geodesic distance along the
 *   layout and |Δtarget|: is the target laid out as an ordered continuum?
 * - `leaveOneOutKnn(Y, target)`: leave-one-out k-NN R² (or accuracy) of the target from Y.
 * - `knnAccuracy(Y, labels)`: k-nearest-neighbour classification accuracy in Y under
 *   stratified k-fold cross-validation (k = 5 neighbours, 5 folds, seeded; scikit-learn's fold
 *   rule, so `shuffle: false` reproduces `cross_val_score` exactly).
 *
 * @example
 *   const t = await trustworthiness(X, layout, {nNeighbors: 10});
 *   const {pearson, spearman} = await geodesicCorrelation(X, layout, {k: 10});
 *
 * References:
 * 1. J. Venna & S. Kaski, "Neighborhood preservation in nonlinear projection methods: an
 *    experimental study", ICANN 2001 (trustworthiness, continuity).
 * 2. M. T. Islam et al., "Revealing hidden patterns in deep neural network feature space
 *    continuum via manifold learning", Nat. Commun. 14 (2023) — geodesic correlation.
 */
import { HiddenAtlasError } from "../core/errors.ts";
import { assertFinite, assertMatrix, takeRows, type Matrix } from "../core/matrix.ts";
import { checkBoolean, checkInteger, checkKeyword, checkOptionNames } from "../core/params.ts";
import { ProgressTracker, type RunOptions } from "../core/progress.ts";
import { DEFAULT_SEED, Rng, checkSeed, STREAMS } from "../core/random.ts";
import { getCore } from "../core/wasm.ts";
import { METRIC_CODE } from "./distance.ts";
import { MAX_DENSE_GEODESIC, shortestPaths } from "./geodesic.ts";
import { checkGraphK, connectedComponents, knnGraph } from "./graph.ts";
import { joinComponents } from "./isomap.ts";
import { knn, knnQuery } from "./knn.ts";

function checkPair(X: Matrix, Y: Matrix): void {
  assertMatrix(X, "X");
  assertMatrix(Y, "Y");
  if (X.rows !== Y.rows) {
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `X has ${X.rows} rows but Y has ${Y.rows}; rows must be the same samples`,
    );
  }
  assertFinite(X, "X");
  assertFinite(Y, "Y");
}

export interface NeighborhoodOptions extends RunOptions {
  /** Neighbourhood size k. Defaults to 10 (scikit-learn's default is 5; the MDA analysis uses 10). */
  nNeighbors?: number;
}

const neighborhoodDefaults = { nNeighbors: 10 };

/** Rows of X per distance tile. */
const ROW_CHUNK = 128;

export async function trustworthiness(
  X: Matrix,
  Y: Matrix,
  options: NeighborhoodOptions = {},
): Promise<number> {
  checkOptionNames("trustworthiness", options, neighborhoodDefaults);
  checkPair(X, Y);
  const n = X.rows;
  const k = options.nNeighbors ?? neighborhoodDefaults.nNeighbors;
  if (typeof k !== "number" || !Number.isInteger(k) || k < 1 || k >= n / 2) {
    throw new HiddenAtlasError(
      "E_PARAM",
      `invalid nNeighbors: ${k} (expected an integer ≥ 1 and < n / 2 = ${n / 2})`,
      { parameter: "nNeighbors" },
    );
  }
  const embedded = await knn(Y, { k, signal: options.signal });
  const core = await getCore();
  let t = 0;
  await core.scope(async (s) => {
    const x = s.upload(X.data, "X");
    const tile = s.f32(ROW_CHUNK * n, "distance rows");
    const progress = new ProgressTracker(options, "trustworthiness", n);
    const thresholds = new Float64Array(k);
    const ids = new Int32Array(k);
    const ranks = new Int32Array(k);
    for (let i0 = 0; i0 < n; i0 += ROW_CHUNK) {
      const i1 = Math.min(i0 + ROW_CHUNK, n);
      // Squared distances: the same order as Euclidean, and exact for integer data.
      core.kernels.pairwiseDistances(
        x.ptr,
        x.ptr,
        n,
        X.cols,
        i0,
        i1,
        METRIC_CODE.sqeuclidean,
        tile.ptr,
      );
      const rows = tile.view();
      for (let i = i0; i < i1; i++) {
        const off = (i - i0) * n;
        for (let c = 0; c < k; c++) {
          const j = embedded.indices[i * k + c];
          ids[c] = j;
          thresholds[c] = rows[off + j];
          ranks[c] = 1;
        }
        // rank(j) = 1 + #{l ≠ i : (d_il, l) < (d_ij, j)}.
        for (let l = 0; l < n; l++) {
          if (l === i) continue;
          const v = rows[off + l];
          for (let c = 0; c < k; c++) {
            if (v < thresholds[c] || (v === thresholds[c] && l < ids[c])) ranks[c]++;
          }
        }
        for (let c = 0; c < k; c++) if (ranks[c] > k) t += ranks[c] - k;
      }
      await progress.step(i1);
    }
    progress.finish();
  });
  return 1 - t * (2 / (n * k * (2 * n - 3 * k - 1)));
}

/** Continuity: trustworthiness with the roles of the spaces swapped. */
export async function continuity(
  X: Matrix,
  Y: Matrix,
  options: NeighborhoodOptions = {},
): Promise<number> {
  checkOptionNames("continuity", options, neighborhoodDefaults);
  return trustworthiness(Y, X, options);
}

export const DISCONNECTED_RULES = ["join", "drop"] as const;
export type DisconnectedRule = (typeof DISCONNECTED_RULES)[number];

export interface GeodesicCorrelationOptions extends RunOptions {
  /** k of both kNN graphs. Defaults to 10. */
  k?: number;
  /**
   * Sources of the geodesics. Defaults to all points when n ≤ 5,000 (all pairs i < j), else
   * 1,000 seeded random sources (pairs (s, j), j ≠ s).
   */
  sources?: ArrayLike<number>;
  /** Seed of the source sample for n > 5,000. Defaults to 42. */
  seed?: number;
  /**
   * What to do with a kNN graph in several pieces. "join" (default): add, for every pair of
   * components, the edge between their closest points, as Isomap does (scikit-learn
   * `_fix_connected_components`), so that every pair has a finite geodesic. "drop": leave the
   * graphs alone and drop the pairs either graph leaves unconnected (this module's rule before
   * the join; it rewards a layout for breaking into pieces, since only short in-piece pairs are
   * scored).
   */
  disconnected?: DisconnectedRule;
}

export interface GeodesicCorrelation {
  pearson: number;
  spearman: number;
  /** Pairs scored. */
  pairs: number;
  /** Pairs dropped ("drop" only; 0 with "join"). */
  droppedPairs: number;
  /**
   * Pairs whose two points lie in different components of the features' or the layout's kNN
   * graph: joined across a bridging edge ("join") or dropped ("drop"). Report it with the score.
   */
  affectedPairs: number;
  /** affectedPairs / all pairs considered (scored + dropped), in [0, 1]. */
  affectedFraction: number;
  /** Connected components of the features' (x) and the layout's (y) kNN graph before joining. */
  components: { x: number; y: number };
  k: number;
  disconnected: DisconnectedRule;
}

const geodesicDefaults = {
  k: 10,
  sources: undefined as ArrayLike<number> | undefined,
  seed: DEFAULT_SEED,
  disconnected: "join" as DisconnectedRule,
};

/** Sources sampled when n is above MAX_DENSE_GEODESIC. */
const SAMPLED_SOURCES = 1000;

/** Geodesic rows from `sources` on the kNN graph of M, components joined when asked. */
interface Geodesics {
  rows: number;
  data: Float32Array;
  sources: Int32Array;
  /** Component of every point in the graph before joining. */
  labels: Int32Array;
  components: number;
}

async function graphGeodesics(
  M: Matrix,
  k: number,
  sources: Int32Array | undefined,
  join: boolean,
  run: RunOptions,
): Promise<Geodesics> {
  let graph = await knnGraph(M, { k, signal: run.signal });
  const { count, labels } = await connectedComponents(graph);
  if (join && count > 1) graph = await joinComponents(M, graph, count, labels);
  const paths = await shortestPaths(graph, { sources, signal: run.signal });
  return { rows: paths.rows, data: paths.data, sources: paths.sources, labels, components: count };
}

/** The geodesic sources: the caller's, all points (n ≤ 5,000), or 1,000 seeded ones. */
async function geodesicSources(
  n: number,
  given: ArrayLike<number> | undefined,
  seed: number,
): Promise<Int32Array | undefined> {
  if (given !== undefined) {
    const sources = new Int32Array(given.length);
    for (let i = 0; i < sources.length; i++)
      sources[i] = checkInteger(`sources[${i}]`, given[i], 0, n - 1);
    return sources;
  }
  if (n <= MAX_DENSE_GEODESIC) return undefined;
  const core = await getCore();
  const rng = new Rng(core, seed, STREAMS.geodesicSources);
  try {
    return rng.permutation(n).slice(0, SAMPLED_SOURCES).sort();
  } finally {
    rng.dispose();
  }
}

/**
 * MDA's geodesic-distance correlation (Islam et al. 2023, Figs 2–6 panel d): Pearson and
 * Spearman correlation between shortest-path distances on the union-symmetrised k-NN graphs
 * (Euclidean edge lengths, the same k) of the features X and of the layout Y, over all pairs
 * i < j (or the sampled sources' pairs above 5,000 points). A graph in pieces is joined as
 * Isomap joins it (`disconnected: "join"`, the default) and the share of pairs that needed the
 * join is returned as `affectedFraction`, to be reported beside the score.
 */
export async function geodesicCorrelation(
  X: Matrix,
  Y: Matrix,
  options: GeodesicCorrelationOptions = {},
): Promise<GeodesicCorrelation> {
  checkOptionNames("geodesicCorrelation", options, geodesicDefaults);
  checkPair(X, Y);
  const n = X.rows;
  const k = checkGraphK(options.k ?? geodesicDefaults.k, n);
  const seed = checkSeed(options.seed ?? geodesicDefaults.seed);
  const disconnected = checkKeyword(
    "disconnected",
    options.disconnected ?? geodesicDefaults.disconnected,
    DISCONNECTED_RULES,
  );
  const sources = await geodesicSources(n, options.sources, seed);
  const run = { signal: options.signal };
  const join = disconnected === "join";
  const gx = await graphGeodesics(X, k, sources, join, run);
  const gy = await graphGeodesics(Y, k, sources, join, run);
  const allPairs = sources === undefined;
  // Typed buffers sized for the worst case, filled in order.
  const rows = gx.rows;
  const capacity = allPairs ? (n * (n - 1)) / 2 : rows * (n - 1);
  const va = new Float32Array(capacity);
  const vb = new Float32Array(capacity);
  let count = 0;
  let dropped = 0;
  let affected = 0;
  for (let r = 0; r < rows; r++) {
    const i = gx.sources[r];
    const start = allPairs ? i + 1 : 0;
    const cx = gx.labels[i];
    const cy = gy.labels[i];
    for (let j = start; j < n; j++) {
      if (j === i) continue;
      if (gx.labels[j] !== cx || gy.labels[j] !== cy) {
        affected++;
        if (!join) {
          dropped++;
          continue;
        }
      }
      va[count] = gx.data[r * n + j];
      vb[count] = gy.data[r * n + j];
      count++;
    }
  }
  const xa = va.subarray(0, count);
  const xb = vb.subarray(0, count);
  return {
    pearson: pearson(xa, xb),
    spearman: pearson(averageRanks(xa), averageRanks(xb)),
    pairs: count,
    droppedPairs: dropped,
    affectedPairs: affected,
    affectedFraction: count + dropped > 0 ? affected / (count + dropped) : 0,
    components: { x: gx.components, y: gy.components },
    k,
    disconnected,
  };
}

export const TARGET_METRICS = ["euclidean", "categorical"] as const;
export type TargetMetric = (typeof TARGET_METRICS)[number];

/** A target: an N × M matrix, or one number per sample (N × 1). */
export type Target = Matrix | ArrayLike<number>;

/** The target as an N × M matrix, checked against the layout's N rows. */
function targetMatrix(target: Target, n: number, metric: TargetMetric): Matrix {
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
  } else {
    if (
      target === null ||
      typeof target !== "object" ||
      typeof (target as ArrayLike<number>).length !== "number"
    ) {
      throw new HiddenAtlasError(
        "E_PARAM",
        "invalid target: expected a matrix or an array of one number per sample",
        { parameter: "target" },
      );
    }
    T = { rows: target.length, cols: 1, data: Float32Array.from(target) };
  }
  if (T.rows !== n) {
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `target has ${T.rows} rows but the layout has ${n}; rows must be the same samples`,
    );
  }
  assertFinite(T, "target");
  if (metric === "categorical") {
    if (T.cols !== 1)
      throw new HiddenAtlasError(
        "E_SHAPE_MISMATCH",
        `a categorical target has one label per sample; got ${T.cols} columns`,
      );
    for (let i = 0; i < n; i++) checkInteger(`target[${i}]`, T.data[i], 0);
  }
  return T;
}

/** |Δtarget| of a pair: Euclidean distance of the target rows, or 0/1 label disagreement. */
function targetGap(T: Matrix, i: number, j: number, categorical: boolean): number {
  if (categorical) return T.data[i] === T.data[j] ? 0 : 1;
  if (T.cols === 1) return Math.abs(T.data[i] - T.data[j]);
  let s = 0;
  for (let c = 0; c < T.cols; c++) {
    const d = T.data[i * T.cols + c] - T.data[j * T.cols + c];
    s += d * d;
  }
  return Math.sqrt(s);
}

export interface TargetContinuityOptions extends RunOptions {
  /** k of the layout's kNN graph. Defaults to 10 (the geodesic correlation's k). */
  k?: number;
  /**
   * "euclidean" (default): |Δtarget| is the Euclidean distance between target rows (the
   * absolute difference for a scalar). "categorical": labels, |Δ| = 1 when they differ, else 0.
   */
  targetMetric?: TargetMetric;
  /** Sources, as geodesicCorrelation (all pairs up to 5,000 points). */
  sources?: ArrayLike<number>;
  /** Seed of the source sample above 5,000 points. Defaults to 42. */
  seed?: number;
}

export interface TargetContinuity {
  /** Spearman ρ between layout geodesic distance and |Δtarget| over the pairs. */
  spearman: number;
  pairs: number;
  /** Pairs in different components of the layout's kNN graph (joined, as Isomap). */
  affectedPairs: number;
  affectedFraction: number;
  /** Components of the layout's kNN graph before joining. */
  components: number;
  /**
   * Largest ρ any layout could reach: 1 for a continuous target; for labels (a 0/1 |Δ|) the ρ
   * of a layout that puts every same-label pair nearer than every other pair,
   * √(3·p·(1 − p))·m/√(m² − 1) with p the share of same-label pairs among m — about 0.52 for ten
   * balanced classes.
   */
  ceiling: number;
  k: number;
  targetMetric: TargetMetric;
}

const continuityDefaults = {
  k: 10,
  targetMetric: "euclidean" as TargetMetric,
  sources: undefined as ArrayLike<number> | undefined,
  seed: DEFAULT_SEED,
};

/**
 * Target continuity of a layout Y: does distance *along the layout* grow with distance in the
 * target? Spearman ρ between (a) the geodesic distance of i and j on the union-symmetrised
 * k-NN graph of Y (Euclidean edge lengths, k = 10 by default, components joined by their
 * closest pairs as Isomap) and (b) |Δtarget| = ‖t_i − t_j‖, over all pairs i < j. A layout that
 * draws the target as one ordered curve scores near 1; one that mixes target values, near 0.
 * Geodesic rather than straight-line distance, so that a curve bent into a horseshoe still
 * counts as ordered. For class labels (`targetMetric: "categorical"`), |Δ| is 0/1, so ρ is
 * bounded by `ceiling`.
 *
 * @example
 *   const {spearman, affectedFraction} = await targetContinuity(layout, targets, {k: 10});
 */
export async function targetContinuity(
  Y: Matrix,
  target: Target,
  options: TargetContinuityOptions = {},
): Promise<TargetContinuity> {
  checkOptionNames("targetContinuity", options, continuityDefaults);
  assertMatrix(Y, "Y");
  const n = Y.rows;
  const k = checkGraphK(options.k ?? continuityDefaults.k, n);
  const targetMetric = checkKeyword(
    "targetMetric",
    options.targetMetric ?? continuityDefaults.targetMetric,
    TARGET_METRICS,
  );
  const seed = checkSeed(options.seed ?? continuityDefaults.seed);
  const T = targetMatrix(target, n, targetMetric);
  assertFinite(Y, "Y");
  const categorical = targetMetric === "categorical";
  const sources = await geodesicSources(n, options.sources, seed);
  const g = await graphGeodesics(Y, k, sources, true, { signal: options.signal });
  const allPairs = sources === undefined;
  const capacity = allPairs ? (n * (n - 1)) / 2 : g.rows * (n - 1);
  const vd = new Float32Array(capacity);
  const vt = new Float32Array(capacity);
  let count = 0;
  let affected = 0;
  let same = 0;
  for (let r = 0; r < g.rows; r++) {
    const i = g.sources[r];
    for (let j = allPairs ? i + 1 : 0; j < n; j++) {
      if (j === i) continue;
      if (g.labels[j] !== g.labels[i]) affected++;
      vd[count] = g.data[r * n + j];
      const gap = targetGap(T, i, j, categorical);
      if (gap === 0) same++;
      vt[count++] = gap;
    }
  }
  let ceiling = 1;
  if (categorical) {
    const p = count > 0 ? same / count : 0;
    ceiling = count > 1 ? Math.sqrt(3 * p * (1 - p)) * (count / Math.sqrt(count * count - 1)) : NaN;
  }
  return {
    spearman: pearson(averageRanks(vd.subarray(0, count)), averageRanks(vt.subarray(0, count))),
    pairs: count,
    affectedPairs: affected,
    affectedFraction: count > 0 ? affected / count : 0,
    components: g.components,
    ceiling,
    k,
    targetMetric,
  };
}

export interface LeaveOneOutKnnOptions extends RunOptions {
  /** Neighbours predicting each point. Defaults to 5 (as the 5-NN accuracy). */
  nNeighbors?: number;
  /** "euclidean" (default): R² of the mean of the neighbours' targets; "categorical": accuracy of their vote. */
  targetMetric?: TargetMetric;
}

export interface LeaveOneOutKnn {
  /** R² (euclidean) or accuracy (categorical). */
  score: number;
  kind: "r2" | "accuracy";
  nNeighbors: number;
}

const looDefaults = { nNeighbors: 5, targetMetric: "euclidean" as TargetMetric };

/**
 * How well the layout Y predicts the target, leave one out: every point i is predicted from its
 * nNeighbors nearest *other* points in Y (Euclidean; distance ties to the lower index) and
 * nothing else. Continuous targets: ŷ_i = mean of the neighbours' targets, scored by
 * R² = 1 − Σ‖t_i − ŷ_i‖² / Σ‖t_i − t̄‖² (scikit-learn `r2_score` with
 * multioutput="variance_weighted"; a constant target gives NaN). Labels: the majority vote
 * (a tie goes to the smallest label, as `knnAccuracy`), scored by accuracy.
 *
 * @example
 *   const {score} = await leaveOneOutKnn(layout, targets); // R² of the 5-NN regression
 */
export async function leaveOneOutKnn(
  Y: Matrix,
  target: Target,
  options: LeaveOneOutKnnOptions = {},
): Promise<LeaveOneOutKnn> {
  checkOptionNames("leaveOneOutKnn", options, looDefaults);
  assertMatrix(Y, "Y");
  const n = Y.rows;
  const targetMetric = checkKeyword(
    "targetMetric",
    options.targetMetric ?? looDefaults.targetMetric,
    TARGET_METRICS,
  );
  const nNeighbors = checkInteger(
    "nNeighbors",
    options.nNeighbors ?? looDefaults.nNeighbors,
    1,
    Math.max(1, n - 1),
  );
  const T = targetMatrix(target, n, targetMetric);
  assertFinite(Y, "Y");
  const nn = await knn(Y, { k: nNeighbors, signal: options.signal });
  if (targetMetric === "categorical") {
    let correct = 0;
    const votes = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      votes.clear();
      for (let c = 0; c < nNeighbors; c++) {
        const label = T.data[nn.indices[i * nNeighbors + c]];
        votes.set(label, (votes.get(label) ?? 0) + 1);
      }
      let best = -1;
      let bestVotes = -1;
      for (const [label, v] of votes) {
        if (v > bestVotes || (v === bestVotes && label < best)) {
          best = label;
          bestVotes = v;
        }
      }
      if (best === T.data[i]) correct++;
    }
    return { score: correct / n, kind: "accuracy", nNeighbors };
  }
  const m = T.cols;
  const mean = new Float64Array(m);
  for (let i = 0; i < n; i++) for (let c = 0; c < m; c++) mean[c] += T.data[i * m + c];
  for (let c = 0; c < m; c++) mean[c] /= n;
  let residual = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < m; c++) {
      let predicted = 0;
      for (let t = 0; t < nNeighbors; t++)
        predicted += T.data[nn.indices[i * nNeighbors + t] * m + c];
      predicted /= nNeighbors;
      const v = T.data[i * m + c];
      residual += (v - predicted) ** 2;
      total += (v - mean[c]) ** 2;
    }
  }
  return { score: total > 0 ? 1 - residual / total : NaN, kind: "r2", nNeighbors };
}

/** Pearson correlation in f64; NaN when either side is constant or there are < 2 values. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (n !== b.length)
    throw new HiddenAtlasError("E_SHAPE_MISMATCH", `pearson: ${n} vs ${b.length} values`);
  if (n < 2) return NaN;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma;
    const db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN;
}

/** Spearman rank correlation (Pearson of average ranks; ties share their mean rank, as SciPy). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return pearson(averageRanks(Float32Array.from(a)), averageRanks(Float32Array.from(b)));
}

/**
 * 1-based ranks of non-negative float32 values, ties averaged (scipy.stats.rankdata "average").
 * LSD radix sort on the float bits (non-negative IEEE floats order like their bit patterns).
 */
export function averageRanks(values: Float32Array): Float64Array {
  const n = values.length;
  const bits = new Uint32Array(values.buffer.slice(values.byteOffset, values.byteOffset + n * 4));
  // Map any float to an order-preserving unsigned key (negatives flipped).
  for (let i = 0; i < n; i++) {
    const u = bits[i];
    bits[i] = u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
  }
  let order = new Uint32Array(n);
  let tmp = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const counts = new Uint32Array(2048);
  for (let shift = 0; shift < 32; shift += 11) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(bits[order[i]] >>> shift) & 2047]++;
    let sum = 0;
    for (let c = 0; c < 2048; c++) {
      const t = counts[c];
      counts[c] = sum;
      sum += t;
    }
    for (let i = 0; i < n; i++) {
      const o = order[i];
      tmp[counts[(bits[o] >>> shift) & 2047]++] = o;
    }
    [order, tmp] = [tmp, order];
  }
  const ranks = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i + 1;
    while (j < n && bits[order[j]] === bits[order[i]]) j++;
    const rank = (i + 1 + j) / 2; // mean of ranks i+1 … j
    for (let t = i; t < j; t++) ranks[order[t]] = rank;
    i = j;
  }
  return ranks;
}

export interface KnnAccuracyOptions extends RunOptions {
  /** Neighbours voting. Defaults to 5 (scikit-learn `KNeighborsClassifier(n_neighbors=5)`). */
  nNeighbors?: number;
  /** Cross-validation folds. Defaults to 5 (scikit-learn `StratifiedKFold(n_splits=5)`). */
  folds?: number;
  /**
   * Shuffle each class's fold assignment (seeded). Defaults to true; false reproduces
   * scikit-learn's `StratifiedKFold(shuffle=False)` folds exactly.
   */
  shuffle?: boolean;
  /** Seed of the shuffle. Defaults to 42. */
  seed?: number;
}

export interface KnnAccuracy {
  /** Mean of the fold accuracies (scikit-learn `cross_val_score(...).mean()`). */
  accuracy: number;
  foldAccuracies: number[];
  params: { nNeighbors: number; folds: number; shuffle: boolean; seed: number };
}

const accuracyDefaults = { nNeighbors: 5, folds: 5, shuffle: true, seed: DEFAULT_SEED };

/**
 * Test fold of every sample under scikit-learn 1.2's `StratifiedKFold._make_test_folds`:
 * classes numbered by first appearance; the per-fold count of each class is dealt round robin
 * over the sorted class codes; each class's samples take their folds in blocks (fold 0 first),
 * the block order permuted per class when `shuffle` (PCG32 instead of NumPy's generator).
 */
export function stratifiedFolds(
  labels: ArrayLike<number>,
  folds: number,
  shuffle: boolean,
  rng?: Rng,
): Int32Array {
  const n = labels.length;
  const code = new Map<number, number>();
  const encoded = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (!code.has(labels[i])) code.set(labels[i], code.size);
    encoded[i] = code.get(labels[i])!;
  }
  const classes = code.size;
  const counts = new Int32Array(classes);
  for (let i = 0; i < n; i++) counts[encoded[i]]++;
  // allocation[f][c] = #{t : sorted[t] = c, t ≡ f (mod folds)}
  const allocation = Array.from({ length: folds }, () => new Int32Array(classes));
  let t = 0;
  for (let c = 0; c < classes; c++)
    for (let r = 0; r < counts[c]; r++, t++) allocation[t % folds][c]++;
  const out = new Int32Array(n);
  for (let c = 0; c < classes; c++) {
    const assignment: number[] = [];
    for (let f = 0; f < folds; f++) for (let r = 0; r < allocation[f][c]; r++) assignment.push(f);
    const order = shuffle && rng ? rng.permutation(assignment.length) : undefined;
    let m = 0;
    for (let i = 0; i < n; i++) if (encoded[i] === c) out[i] = assignment[order ? order[m++] : m++];
  }
  return out;
}

/**
 * kNN classification accuracy of labels from the layout Y under stratified k-fold
 * cross-validation (`stratifiedFolds`). Votes are uniform; a tie goes to the smallest label
 * (scikit-learn's `mode`); neighbour distance ties go to the lower training index.
 */
export async function knnAccuracy(
  Y: Matrix,
  labels: ArrayLike<number>,
  options: KnnAccuracyOptions = {},
): Promise<KnnAccuracy> {
  checkOptionNames("knnAccuracy", options, accuracyDefaults);
  assertMatrix(Y, "Y");
  const n = Y.rows;
  if (labels.length !== n) {
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `labels has ${labels.length} entries but Y has ${n} rows`,
    );
  }
  const folds = checkInteger("folds", options.folds ?? accuracyDefaults.folds, 2, Math.max(2, n));
  const nNeighbors = options.nNeighbors ?? accuracyDefaults.nNeighbors;
  const shuffle = checkBoolean("shuffle", options.shuffle ?? accuracyDefaults.shuffle);
  const seed = checkSeed(options.seed ?? accuracyDefaults.seed);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = checkInteger(`labels[${i}]`, labels[i], 0);
  // Smallest training fold must hold nNeighbors points.
  const largestFold = Math.ceil(n / folds);
  checkInteger("nNeighbors", nNeighbors, 1, Math.max(1, n - largestFold));
  assertFinite(Y, "Y");
  const core = await getCore();
  const rng = new Rng(core, seed, STREAMS.knnFolds);
  let fold: Int32Array;
  try {
    fold = stratifiedFolds(y, folds, shuffle, rng);
  } finally {
    rng.dispose();
  }
  const foldAccuracies: number[] = [];
  for (let f = 0; f < folds; f++) {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < n; i++) (fold[i] === f ? test : train).push(i);
    if (test.length === 0) continue;
    const nn = await knnQuery(takeRows(Y, train), takeRows(Y, test), {
      k: nNeighbors,
      signal: options.signal,
    });
    let correct = 0;
    const votes = new Map<number, number>();
    for (let t = 0; t < test.length; t++) {
      votes.clear();
      for (let c = 0; c < nNeighbors; c++) {
        const label = y[train[nn.indices[t * nNeighbors + c]]];
        votes.set(label, (votes.get(label) ?? 0) + 1);
      }
      let best = -1;
      let bestVotes = -1;
      for (const [label, v] of votes) {
        if (v > bestVotes || (v === bestVotes && label < best)) {
          best = label;
          bestVotes = v;
        }
      }
      if (best === y[test[t]]) correct++;
    }
    foldAccuracies.push(correct / test.length);
  }
  const accuracy = foldAccuracies.reduce((p, q) => p + q, 0) / foldAccuracies.length;
  return { accuracy, foldAccuracies, params: { nNeighbors, folds, shuffle, seed } };
}
