/**
 * Flat clustering and its comparison: seeded k-means (Lloyd's algorithm from k-means++ or
 * random seeds) and the adjusted Rand index. Nearest-centre search runs in the core
 * (assembly/som.ts `somBestMatching`: f32x4 dot products, ties to the lower centre index).
 *
 * Conventions: k-means++ draws each new centre with probability ∝ D(x)², taking the best of
 * 2 + ⌊ln k⌋ candidates as scikit-learn's greedy variant; Lloyd stops when no label changes, when
 * the squared centre shift falls below tol × the mean column variance (scikit-learn's rule), or
 * at maxIter. A centre that loses all its points stays where it was (scikit-learn moves it to a
 * far point). The run with the lowest inertia of nInit seeded runs is kept.
 *
 * @example
 *   const {labels, inertia} = await kMeans(X, {k: 5, seed: 1});
 *   adjustedRandIndex(labels, truth); // 1 = same partition, ≈ 0 = chance
 *
 * References:
 * 1. S. Lloyd, "Least squares quantization in PCM", IEEE Trans. Inf. Theory 28 (1982).
 * 2. D. Arthur & S. Vassilvitskii, "k-means++: the advantages of careful seeding", SODA 2007.
 * 3. L. Hubert & P. Arabie, "Comparing partitions", J. Classification 2 (1985).
 */
import "./som.ts";
import { HiddenAtlasError } from "../core/errors.ts";
import { assertFinite, assertMatrix, type Matrix } from "../core/matrix.ts";
import { checkInteger, checkKeyword, checkNumber, checkOptionNames } from "../core/params.ts";
import { ProgressTracker, type RunOptions } from "../core/progress.ts";
import { DEFAULT_SEED, Rng, checkSeed, STREAMS } from "../core/random.ts";
import { getCore, type Core } from "../core/wasm.ts";

export interface KMeansOptions extends RunOptions {
  /** Number of clusters. Defaults to 8 (scikit-learn `n_clusters=8`). */
  k?: number;
  /** "k-means++" (default, scikit-learn's) or "random" (k distinct seeded rows). */
  init?: "k-means++" | "random";
  /** Seeded runs; the lowest inertia wins. Defaults to 1 (scikit-learn ≥ 1.4 "auto" gives 1 for k-means++). */
  nInit?: number;
  /** Lloyd iterations per run. Defaults to 300 (scikit-learn). */
  maxIter?: number;
  /** Relative centre-shift tolerance. Defaults to 1e-4 (scikit-learn). */
  tol?: number;
  /** Defaults to 42. */
  seed?: number;
}

export interface KMeansResult {
  /** Cluster of every row. */
  labels: Int32Array;
  /** k × d centres (f32). */
  centroids: Matrix;
  /** Σ squared distance of each row to its centre. */
  inertia: number;
  /** Lloyd iterations of the kept run. */
  iterations: number;
  params: {
    k: number;
    init: "k-means++" | "random";
    nInit: number;
    maxIter: number;
    tol: number;
    seed: number;
  };
}

const defaults = {
  k: 8,
  init: "k-means++" as "k-means++" | "random",
  nInit: 1,
  maxIter: 300,
  tol: 1e-4,
  seed: DEFAULT_SEED,
};

export async function kMeans(X: Matrix, options: KMeansOptions = {}): Promise<KMeansResult> {
  checkOptionNames("kMeans", options, defaults);
  assertMatrix(X, "X");
  const n = X.rows;
  const d = X.cols;
  if (n < 1 || d < 1) throw new HiddenAtlasError("E_PARAM", `k-means needs data; got ${n} × ${d}`);
  const k = checkInteger("k", options.k ?? defaults.k, 1, n);
  const init = checkKeyword("init", options.init ?? defaults.init, [
    "k-means++",
    "random",
  ] as const);
  const nInit = checkInteger("nInit", options.nInit ?? defaults.nInit, 1);
  const maxIter = checkInteger("maxIter", options.maxIter ?? defaults.maxIter, 1);
  const tol = checkNumber("tol", options.tol ?? defaults.tol, 0);
  const seed = checkSeed(options.seed ?? defaults.seed);
  assertFinite(X, "X");
  const core = await getCore();
  core.assertFits(
    X.data.byteLength + k * d * 4 + n * 12 + core.kernels.somScratchFloats(k) * 4,
    `k-means of ${n} rows into ${k} clusters`,
  );
  // scikit-learn scales tol by the mean variance of the columns.
  const variance = meanColumnVariance(X);
  const rng = new Rng(core, seed, STREAMS.kmeansInit);
  const progress = new ProgressTracker(options, "k-means", nInit * maxIter);
  let best: KMeansResult | undefined;
  try {
    for (let run = 0; run < nInit; run++) {
      const centres = init === "random" ? randomCentres(X, k, rng) : kMeansPlusPlus(X, k, rng);
      const fit = await lloyd(core, X, centres, k, maxIter, tol * variance, async (it) =>
        progress.step(run * maxIter + it),
      );
      if (!best || fit.inertia < best.inertia)
        best = { ...fit, params: { k, init, nInit, maxIter, tol, seed } };
    }
  } finally {
    rng.dispose();
  }
  progress.finish();
  return best!;
}

function meanColumnVariance(X: Matrix): number {
  const { rows: n, cols: d, data } = X;
  let total = 0;
  for (let c = 0; c < d; c++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += data[i * d + c];
    mean /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (data[i * d + c] - mean) ** 2;
    total += v / n;
  }
  return total / d;
}

function randomCentres(X: Matrix, k: number, rng: Rng): Float32Array {
  const d = X.cols;
  const order = rng.permutation(X.rows);
  const out = new Float32Array(k * d);
  for (let c = 0; c < k; c++) out.set(X.data.subarray(order[c] * d, (order[c] + 1) * d), c * d);
  return out;
}

function squaredDistance(
  data: Float32Array,
  i: number,
  centre: Float32Array,
  c: number,
  d: number,
): number {
  let s = 0;
  for (let j = 0; j < d; j++) {
    const t = data[i * d + j] - centre[c * d + j];
    s += t * t;
  }
  return s;
}

/** Greedy k-means++ (scikit-learn `_kmeans_plusplus`): best of 2 + ⌊ln k⌋ candidates per centre. */
function kMeansPlusPlus(X: Matrix, k: number, rng: Rng): Float32Array {
  const { rows: n, cols: d, data } = X;
  const out = new Float32Array(k * d);
  const trials = 2 + Math.floor(Math.log(k));
  const first = rng.int(n);
  out.set(data.subarray(first * d, (first + 1) * d), 0);
  const closest = new Float64Array(n);
  for (let i = 0; i < n; i++) closest[i] = squaredDistance(data, i, out, 0, d);
  const candidate = new Float32Array(d);
  for (let c = 1; c < k; c++) {
    let potential = 0;
    for (const v of closest) potential += v;
    let bestRow = -1;
    let bestPotential = Infinity;
    let bestDistances: Float64Array | null = null;
    const draws = rng.uniform(trials);
    for (let trial = 0; trial < trials; trial++) {
      // Sample a row with probability ∝ closest distance² (uniformly if all are 0).
      let row = n - 1;
      if (potential > 0) {
        let target = draws[trial] * potential;
        for (let i = 0; i < n; i++) {
          target -= closest[i];
          if (target < 0) {
            row = i;
            break;
          }
        }
      } else {
        row = Math.min(n - 1, Math.floor(draws[trial] * n));
      }
      candidate.set(data.subarray(row * d, (row + 1) * d));
      const next = new Float64Array(n);
      let total = 0;
      for (let i = 0; i < n; i++) {
        next[i] = Math.min(closest[i], squaredDistance(data, i, candidate, 0, d));
        total += next[i];
      }
      if (total < bestPotential) {
        bestPotential = total;
        bestRow = row;
        bestDistances = next;
      }
    }
    out.set(data.subarray(bestRow * d, (bestRow + 1) * d), c * d);
    closest.set(bestDistances!);
  }
  return out;
}

async function lloyd(
  core: Core,
  X: Matrix,
  start: Float32Array,
  k: number,
  maxIter: number,
  shiftTolerance: number,
  step: (iteration: number) => Promise<void>,
): Promise<Omit<KMeansResult, "params">> {
  const { rows: n, cols: d } = X;
  return core.scope(async (s) => {
    const x = s.upload(X.data, "k-means rows");
    const w = s.upload(start, "k-means centres");
    const labels = s.i32(n, "k-means labels");
    const dist = s.f32(n, "k-means distances");
    const scratch = s.f32(core.kernels.somScratchFloats(k), "k-means scratch");
    let previous: Int32Array | null = null;
    let iterations = 0;
    const sums = new Float64Array(k * d);
    const counts = new Float64Array(k);
    for (let it = 0; it < maxIter; it++) {
      core.kernels.somBestMatching(x.ptr, n, d, w.ptr, k, labels.ptr, 0, dist.ptr, scratch.ptr);
      iterations = it + 1;
      const current = labels.copy();
      if (previous && current.every((v, i) => v === previous![i])) break;
      previous = current;
      sums.fill(0);
      counts.fill(0);
      for (let i = 0; i < n; i++) {
        const c = current[i];
        counts[c]++;
        for (let j = 0; j < d; j++) sums[c * d + j] += X.data[i * d + j];
      }
      const centres = w.view();
      let shift = 0;
      for (let c = 0; c < k; c++) {
        if (counts[c] === 0) continue;
        for (let j = 0; j < d; j++) {
          const v = Math.fround(sums[c * d + j] / counts[c]);
          shift += (v - centres[c * d + j]) ** 2;
          centres[c * d + j] = v;
        }
      }
      await step(it + 1);
      if (shift <= shiftTolerance) {
        core.kernels.somBestMatching(x.ptr, n, d, w.ptr, k, labels.ptr, 0, dist.ptr, scratch.ptr);
        break;
      }
    }
    let inertia = 0;
    for (const v of dist.view()) inertia += v * v;
    return {
      labels: labels.copy(),
      centroids: { rows: k, cols: d, data: w.copy() },
      inertia,
      iterations,
    };
  });
}

/**
 * Adjusted Rand index of two labelings (Hubert & Arabie 1985), from the pair confusion matrix
 * as scikit-learn ≥ 0.24 `adjusted_rand_score`: 1 for identical partitions (and when both put
 * every point in one cluster), about 0 for independent ones, negative below chance.
 */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length)
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `labelings have ${a.length} and ${b.length} entries`,
    );
  const n = a.length;
  const ids = (labels: ArrayLike<number>) => {
    const map = new Map<number, number>();
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      if (!map.has(labels[i])) map.set(labels[i], map.size);
      out[i] = map.get(labels[i])!;
    }
    return { out, count: map.size };
  };
  const A = ids(a);
  const B = ids(b);
  const table = new Float64Array(A.count * B.count);
  for (let i = 0; i < n; i++) table[A.out[i] * B.count + B.out[i]]++;
  const rowSums = new Float64Array(A.count);
  const colSums = new Float64Array(B.count);
  let sumSquares = 0;
  for (let r = 0; r < A.count; r++) {
    for (let c = 0; c < B.count; c++) {
      const v = table[r * B.count + c];
      rowSums[r] += v;
      colSums[c] += v;
      sumSquares += v * v;
    }
  }
  const rowSq = rowSums.reduce((s, v) => s + v * v, 0);
  const colSq = colSums.reduce((s, v) => s + v * v, 0);
  // Pair confusion matrix (ordered pairs), scikit-learn `pair_confusion_matrix`.
  const tp = sumSquares - n;
  const fp = colSq - sumSquares;
  const fn = rowSq - sumSquares;
  const tn = n * n - fp - fn - sumSquares;
  if (fn === 0 && fp === 0) return 1;
  return (2 * (tp * tn - fn * fp)) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn));
}
