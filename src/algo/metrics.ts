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
 *   correlation", specs/mda.md §3), over pairs i < j finite in both.
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
import { checkBoolean, checkInteger, checkOptionNames } from "../core/params.ts";
import { ProgressTracker, type RunOptions } from "../core/progress.ts";
import { DEFAULT_SEED, Rng, checkSeed } from "../core/random.ts";
import { getCore } from "../core/wasm.ts";
import { METRIC_CODE } from "./distance.ts";
import { MAX_DENSE_GEODESIC, shortestPaths } from "./geodesic.ts";
import { checkGraphK, knnGraph } from "./graph.ts";
import { knn, knnQuery } from "./knn.ts";

function checkPair(X: Matrix, Y: Matrix): void {
  assertMatrix(X, "X");
  assertMatrix(Y, "Y");
  if (X.rows !== Y.rows) {
    throw new HiddenAtlasError("E_SHAPE_MISMATCH", `X has ${X.rows} rows but Y has ${Y.rows}; rows must be the same samples`);
  }
  assertFinite(X, "X");
  assertFinite(Y, "Y");
}

export interface NeighborhoodOptions extends RunOptions {
  /** Neighbourhood size k. Defaults to 10 (scikit-learn's default is 5; specs use 10). */
  nNeighbors?: number;
}

const neighborhoodDefaults = { nNeighbors: 10 };

/** Rows of X per distance tile. */
const ROW_CHUNK = 128;

export async function trustworthiness(X: Matrix, Y: Matrix, options: NeighborhoodOptions = {}): Promise<number> {
  checkOptionNames("trustworthiness", options, neighborhoodDefaults);
  checkPair(X, Y);
  const n = X.rows;
  const k = options.nNeighbors ?? neighborhoodDefaults.nNeighbors;
  if (typeof k !== "number" || !Number.isInteger(k) || k < 1 || k >= n / 2) {
    throw new HiddenAtlasError("E_PARAM", `invalid nNeighbors: ${k} (expected an integer ≥ 1 and < n / 2 = ${n / 2})`, { parameter: "nNeighbors" });
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
      core.kernels.pairwiseDistances(x.ptr, x.ptr, n, X.cols, i0, i1, METRIC_CODE.sqeuclidean, tile.ptr);
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
export async function continuity(X: Matrix, Y: Matrix, options: NeighborhoodOptions = {}): Promise<number> {
  checkOptionNames("continuity", options, neighborhoodDefaults);
  return trustworthiness(Y, X, options);
}

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
}

export interface GeodesicCorrelation {
  pearson: number;
  spearman: number;
  /** Pairs used (finite in both spaces). */
  pairs: number;
  /** Pairs dropped because a graph did not connect them. */
  droppedPairs: number;
  k: number;
}

const geodesicDefaults = { k: 10, sources: undefined as ArrayLike<number> | undefined, seed: DEFAULT_SEED };

/** Sources sampled when n is above MAX_DENSE_GEODESIC. */
const SAMPLED_SOURCES = 1000;

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
  let sources: Int32Array | undefined;
  if (options.sources !== undefined) {
    sources = new Int32Array(options.sources.length);
    for (let i = 0; i < sources.length; i++) sources[i] = checkInteger(`sources[${i}]`, options.sources[i], 0, n - 1);
  } else if (n > MAX_DENSE_GEODESIC) {
    const core = await getCore();
    const rng = new Rng(core, seed, 5);
    try {
      sources = rng.permutation(n).slice(0, SAMPLED_SOURCES).sort();
    } finally {
      rng.release();
    }
  }
  const run = { signal: options.signal };
  const gx = await shortestPaths(await knnGraph(X, { k, ...run }), { sources, ...run });
  const gy = await shortestPaths(await knnGraph(Y, { k, ...run }), { sources, ...run });
  const allPairs = sources === undefined;
  // Typed buffers sized for the worst case, filled in order.
  const rows = gx.rows;
  const capacity = allPairs ? (n * (n - 1)) / 2 : rows * (n - 1);
  const va = new Float32Array(capacity);
  const vb = new Float32Array(capacity);
  let count = 0;
  let dropped = 0;
  for (let r = 0; r < rows; r++) {
    const i = gx.sources[r];
    const start = allPairs ? i + 1 : 0;
    for (let j = start; j < n; j++) {
      if (j === i) continue;
      const x = gx.data[r * n + j];
      const y = gy.data[r * n + j];
      if (x === Infinity || y === Infinity) {
        dropped++;
        continue;
      }
      va[count] = x;
      vb[count] = y;
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
    k,
  };
}

/** Pearson correlation in f64; NaN when either side is constant or there are < 2 values. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (n !== b.length) throw new HiddenAtlasError("E_SHAPE_MISMATCH", `pearson: ${n} vs ${b.length} values`);
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
export function stratifiedFolds(labels: ArrayLike<number>, folds: number, shuffle: boolean, rng?: Rng): Int32Array {
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
  for (let c = 0; c < classes; c++) for (let r = 0; r < counts[c]; r++, t++) allocation[t % folds][c]++;
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
export async function knnAccuracy(Y: Matrix, labels: ArrayLike<number>, options: KnnAccuracyOptions = {}): Promise<KnnAccuracy> {
  checkOptionNames("knnAccuracy", options, accuracyDefaults);
  assertMatrix(Y, "Y");
  const n = Y.rows;
  if (labels.length !== n) {
    throw new HiddenAtlasError("E_SHAPE_MISMATCH", `labels has ${labels.length} entries but Y has ${n} rows`);
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
  const rng = new Rng(core, seed, 9);
  let fold: Int32Array;
  try {
    fold = stratifiedFolds(y, folds, shuffle, rng);
  } finally {
    rng.release();
  }
  const foldAccuracies: number[] = [];
  for (let f = 0; f < folds; f++) {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < n; i++) (fold[i] === f ? test : train).push(i);
    if (test.length === 0) continue;
    const nn = await knnQuery(takeRows(Y, train), takeRows(Y, test), { k: nNeighbors, signal: options.signal });
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
