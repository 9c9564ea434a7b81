/**
 * Multidimensional scaling, in float64 (kernels: assembly/mds.ts).
 *
 * - `classicalMds(D)`: Torgerson–Gower scaling. B = −½ J D⁽²⁾ J, coordinates = the leading
 *   eigenvectors of B times √λ, by Lanczos (src/algo/lanczos.ts) on the implicit B; exact to
 *   round-off (the tolerance defaults to 1e-9). Of Euclidean distances it gives the PCA scores
 *   up to sign. Eigenvector signs: largest-magnitude entry positive (PCA uses the same rule on
 *   loadings, so compare up to sign).
 * - `smacof(D)`: metric MDS minimising raw stress Σ_i<j (d_ij(X) − δ_ij)² by Guttman
 *   transforms, scikit-learn 1.2 `sklearn.manifold.smacof(metric=True)` with n_init = 1: random
 *   uniform [0, 1) start, at most 300 iterations, stop when (previous − current)/Σ‖x_i‖ of the
 *   normalised stress falls below eps = 1e-3. scikit-learn's `MDS` default n_init is 4 (best of
 *   four random starts); pass `nInit: 4` for that.
 * - `mds(X)`: SMACOF on the Euclidean distances of X (scikit-learn `MDS(dissimilarity=
 *   "euclidean")`).
 *
 * @example
 *   const {coordinates} = await classicalMds(await pairwiseDistances(X));
 *   const {coordinates: Y, stress} = await mds(X, {seed: 1});
 *
 * References:
 * 1. W. S. Torgerson, "Multidimensional scaling: I", Psychometrika 17 (1952).
 * 2. J. C. Gower, "Some distance properties of latent root and vector methods", Biometrika 53 (1966).
 * 3. J. de Leeuw, "Applications of convex analysis to multidimensional scaling" (1977);
 *    I. Borg & P. Groenen, Modern Multidimensional Scaling, 2nd ed. (2005), §8.6.
 */
import "./embed-kernels.ts";
import { HiddenAtlasError } from "../core/errors.ts";
import { assertFinite, assertMatrix, type Matrix } from "../core/matrix.ts";
import { checkInteger, checkNumber, checkOptionNames } from "../core/params.ts";
import { ProgressTracker, type RunOptions } from "../core/progress.ts";
import { DEFAULT_SEED, Rng, checkSeed, STREAMS } from "../core/random.ts";
import { getCore, type Core } from "../core/wasm.ts";
import { pairwiseDistances } from "./distance.ts";
import { lanczosLargest } from "./lanczos.ts";
import { rangeParams, toDataUnits, toKernelRange } from "./range.ts";

export interface ClassicalMdsOptions extends RunOptions {
  /** Output dimensions. Defaults to 2. */
  nComponents?: number;
  /** Relative residual tolerance of the eigen-solver. Defaults to 1e-9 (ARPACK's default is machine precision). */
  tol?: number;
  /** Most Lanczos vectors. Defaults to 300 (capped at n). */
  maxBasis?: number;
  /** Seed of the Lanczos start vector. Defaults to 42. */
  seed?: number;
}

export interface ClassicalMdsResult {
  /** n × nComponents coordinates v_j·√λ_j (0 where λ_j ≤ 0). */
  coordinates: Matrix;
  /** The leading eigenvalues of B, descending. */
  eigenvalues: Float64Array;
  /** False when the eigen-solver stopped at maxBasis before reaching tol. */
  converged: boolean;
  params: { nComponents: number; tol: number; maxBasis: number; seed: number };
  warnings: string[];
}

const classicalDefaults = { nComponents: 2, tol: 1e-9, maxBasis: 300, seed: DEFAULT_SEED };

/** Check a square distance matrix. */
export function assertDistanceMatrix(D: Matrix, name = "distances"): void {
  assertMatrix(D, name);
  if (D.rows !== D.cols) {
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `${name} must be square; got ${D.rows} × ${D.cols}`,
    );
  }
  assertFinite(D, name);
}

export async function classicalMds(
  D: Matrix,
  options: ClassicalMdsOptions = {},
): Promise<ClassicalMdsResult> {
  checkOptionNames("classicalMds", options, classicalDefaults);
  assertDistanceMatrix(D);
  const n = D.rows;
  if (n < 2)
    throw new HiddenAtlasError("E_PARAM", `classical MDS needs at least 2 points; got ${n}`);
  const nComponents = checkInteger(
    "nComponents",
    options.nComponents ?? classicalDefaults.nComponents,
    1,
    n - 1,
  );
  const tol = checkNumber("tol", options.tol ?? classicalDefaults.tol, 0, 1, {
    exclusiveMin: true,
  });
  const maxBasis = checkInteger(
    "maxBasis",
    options.maxBasis ?? classicalDefaults.maxBasis,
    nComponents + 1,
  );
  const seed = checkSeed(options.seed ?? classicalDefaults.seed);
  const core = await getCore();
  return core.scope(async (s) => {
    const d = s.upload(D.data, "distance matrix");
    const scratch = s.f64(n, "MDS scratch");
    const progress = new ProgressTracker(options, "classical MDS", Math.min(n, maxBasis));
    const eig = await lanczosLargest(
      core,
      n,
      nComponents,
      (x, y) => core.kernels.mdsCenteredSquaredMatvec(d.ptr, n, x, y, scratch.ptr),
      { tol, maxBasis, seed, progress },
    );
    progress.finish();
    const result = coordinatesFromEigen(eig.values, eig.vectors, n, nComponents);
    if (!eig.converged) {
      result.warnings.push(
        `classical MDS: the eigen-solver stopped at ${eig.basis} vectors with residual ${eig.residual.toExponential(2)} > tol ${tol}`,
      );
    }
    return { ...result, converged: eig.converged, params: { nComponents, tol, maxBasis, seed } };
  });
}

/** v_j·√λ_j as an f32 matrix; non-positive eigenvalues give zero columns and a warning. */
export function coordinatesFromEigen(
  values: Float64Array,
  vectors: Float64Array,
  n: number,
  p: number,
): { coordinates: Matrix; eigenvalues: Float64Array; warnings: string[] } {
  const warnings: string[] = [];
  const data = new Float32Array(n * p);
  // The solver may find fewer eigenpairs than asked (the distances span fewer dimensions): the
  // vectors then have that many columns, and the missing coordinates are 0.
  const found = Math.min(values.length, p);
  const stride = n > 0 ? vectors.length / n : 0;
  if (found < p) {
    warnings.push(
      `only ${found} eigenpair${found === 1 ? "" : "s"} found: the distances span ${found} dimension${found === 1 ? "" : "s"}, so coordinate${p - found === 1 ? "" : "s"} ${found + 1}${p - found > 1 ? `–${p}` : ""} ${p - found === 1 ? "is" : "are"} 0`,
    );
  }
  for (let j = 0; j < found; j++) {
    const lambda = values[j];
    if (!(lambda > 0))
      warnings.push(
        `eigenvalue ${j + 1} is ${lambda} ≤ 0: that coordinate is 0 (the distances are not Euclidean in ${j + 1} dimensions)`,
      );
    const scale = lambda > 0 ? Math.sqrt(lambda) : 0;
    for (let i = 0; i < n; i++) data[i * p + j] = vectors[i * stride + j] * scale;
  }
  return { coordinates: { rows: n, cols: p, data }, eigenvalues: values.slice(0, p), warnings };
}

export interface SmacofOptions extends RunOptions {
  /** Output dimensions. Defaults to 2 (scikit-learn `n_components=2`). */
  nComponents?: number;
  /** Guttman iterations per start. Defaults to 300 (scikit-learn `max_iter=300`). */
  maxIter?: number;
  /** Relative tolerance on the stress decrease. Defaults to 1e-3 (scikit-learn `eps=1e-3`). */
  eps?: number;
  /** Random starts, best stress kept. Defaults to 1 (scikit-learn's default is 4). */
  nInit?: number;
  /** "random" (default: uniform [0, 1), scikit-learn's) or an n × nComponents start. */
  init?: "random" | Matrix;
  /** Seed of the random starts. Defaults to 42. */
  seed?: number;
}

export interface SmacofResult {
  coordinates: Matrix;
  /** Raw stress Σ_i<j (d_ij − δ_ij)² of the configuration before the last update (scikit-learn's `stress_`). */
  stress: number;
  /** Iterations of the best start. */
  iterations: number;
  params: {
    nComponents: number;
    maxIter: number;
    eps: number;
    nInit: number;
    init: "random" | "given";
    seed: number;
    /** `mds`: the power of two extreme data were scaled by before SMACOF (src/algo/range.ts), when not 1. */
    rangeScale?: number;
  };
}

const smacofDefaults = {
  nComponents: 2,
  maxIter: 300,
  eps: 1e-3,
  nInit: 1,
  init: "random" as "random" | Matrix,
  seed: DEFAULT_SEED,
};

function checkSmacof(options: SmacofOptions, n: number, what = "smacof") {
  checkOptionNames(what, options, smacofDefaults);
  const nComponents = checkInteger(
    "nComponents",
    options.nComponents ?? smacofDefaults.nComponents,
    1,
    Math.max(1, n - 1),
  );
  const maxIter = checkInteger("maxIter", options.maxIter ?? smacofDefaults.maxIter, 1);
  const eps = checkNumber("eps", options.eps ?? smacofDefaults.eps, 0);
  const nInit = checkInteger("nInit", options.nInit ?? smacofDefaults.nInit, 1);
  const seed = checkSeed(options.seed ?? smacofDefaults.seed);
  const init = options.init ?? smacofDefaults.init;
  if (typeof init === "string") {
    if (init !== "random") {
      throw new HiddenAtlasError(
        "E_PARAM",
        `invalid init: ${JSON.stringify(init)} (expected "random" or an n × nComponents Matrix)`,
      );
    }
  } else {
    assertMatrix(init, "init");
    if (init.rows !== n || init.cols !== nComponents) {
      throw new HiddenAtlasError(
        "E_SHAPE_MISMATCH",
        `init must be ${n} × ${nComponents}; got ${init.rows} × ${init.cols}`,
      );
    }
    assertFinite(init, "init");
  }
  return { nComponents, maxIter, eps, nInit, seed, init };
}

export async function smacof(D: Matrix, options: SmacofOptions = {}): Promise<SmacofResult> {
  assertDistanceMatrix(D);
  const n = D.rows;
  if (n < 2) throw new HiddenAtlasError("E_PARAM", `SMACOF needs at least 2 points; got ${n}`);
  const p = checkSmacof(options, n);
  const core = await getCore();
  return runSmacof(core, D, p, options);
}

/**
 * Pairs of the SMACOF step per row block (each pair once; a fixed partition of the rows that
 * depends on n alone, so the step's sums do not depend on the thread count), and the most blocks
 * (their accumulators, n·p f64 each, are added in block order after every step).
 */
const SMACOF_BLOCK_PAIRS = 32_768;
const SMACOF_MAX_BLOCKS = 64;

/**
 * First rows of the SMACOF row blocks, i32 (blocks + 1, last = n): each block holds about the
 * same number of pairs (i, j > i) — row i has n − 1 − i — so the early blocks have fewer rows.
 */
export function smacofBlockBounds(n: number): Int32Array {
  const pairs = (n * (n - 1)) / 2;
  const blocks = Math.max(
    1,
    Math.min(SMACOF_MAX_BLOCKS, n - 1, Math.ceil(pairs / SMACOF_BLOCK_PAIRS)),
  );
  const bounds = new Int32Array(blocks + 1);
  let row = 0;
  let before = 0; // pairs of rows [0, row)
  for (let b = 1; b < blocks; b++) {
    const target = (pairs * b) / blocks;
    while (row < n - 1 && before + (n - 1 - row) <= target) before += n - 1 - row++;
    bounds[b] = Math.max(row, bounds[b - 1]);
  }
  bounds[blocks] = n;
  return bounds;
}

async function runSmacof(
  core: Core,
  D: Matrix,
  p: ReturnType<typeof checkSmacof>,
  options: RunOptions,
): Promise<SmacofResult> {
  const n = D.rows;
  const dim = p.nComponents;
  const k = core.kernels;
  const bounds = smacofBlockBounds(n);
  const blocks = bounds.length - 1;
  return core.scope(async (s) => {
    const delta = s.upload(D.data, "dissimilarities");
    const xa = s.f64(n * dim, "configuration");
    const xb = s.f64(n * dim, "configuration");
    const columns = s.f64(n * dim, "SMACOF columns");
    const accumulators = s.f64(blocks * n * dim, "SMACOF accumulators");
    const blockStarts = s.upload(bounds, "SMACOF blocks");
    const rng = new Rng(core, p.seed, STREAMS.smacofInit);
    const progress = new ProgressTracker(options, "SMACOF", p.maxIter * p.nInit);
    // One Guttman transform: the row blocks on the kernel threads, then their sums in order.
    const step = async (x: number, xOut: number): Promise<number> => {
      k.mdsSmacofColumns(x, n, dim, columns.ptr);
      const parts = await core.parallelRows(
        {
          kernel: "mdsSmacofBlock",
          rows: blocks,
          chunk: 1,
          args: [delta.ptr, n, dim, columns.ptr, blockStarts.ptr, { i0: 1 }, accumulators.ptr],
          results: true,
        },
        { signal: options.signal },
      );
      k.mdsSmacofCombine(n, dim, blockStarts.ptr, blocks, accumulators.ptr, xOut);
      let stress = 0;
      for (let b = 0; b < blocks; b++) stress += parts![b];
      return stress;
    };
    let best: { x: Float64Array; stress: number; iterations: number } | undefined;
    try {
      for (let start = 0; start < p.nInit; start++) {
        if (p.init === "random") xa.view().set(rng.uniform(n * dim));
        else xa.view().set(Float64Array.from(p.init.data));
        let cur = xa;
        let next = xb;
        let previous: number | undefined;
        let stress = 0;
        let it = 0;
        for (; it < p.maxIter; it++) {
          stress = await step(cur.ptr, next.ptr);
          [cur, next] = [next, cur];
          const x = cur.view();
          let norms = 0;
          for (let i = 0; i < n; i++) {
            let r = 0;
            for (let c = 0; c < dim; c++) r += x[i * dim + c] ** 2;
            norms += Math.sqrt(r);
          }
          const normalized = stress / norms;
          await progress.step(start * p.maxIter + it + 1);
          if (previous !== undefined && previous - normalized < p.eps) break;
          previous = normalized;
        }
        if (best === undefined || stress < best.stress) {
          best = { x: cur.copy(), stress, iterations: Math.min(it + 1, p.maxIter) };
        }
      }
    } finally {
      rng.dispose();
    }
    progress.finish();
    return {
      coordinates: { rows: n, cols: dim, data: Float32Array.from(best!.x) },
      stress: best!.stress,
      iterations: best!.iterations,
      params: {
        nComponents: dim,
        maxIter: p.maxIter,
        eps: p.eps,
        nInit: p.nInit,
        init: p.init === "random" ? "random" : "given",
        seed: p.seed,
      },
    };
  });
}

/**
 * Metric MDS of the rows of X: SMACOF on their Euclidean distances (scikit-learn `MDS`). Data
 * outside the kernels' range are scaled by a power of two first (src/algo/range.ts) — the
 * random start and `eps` then act on the rescaled data, as if it had been given — and the
 * coordinates and stress are scaled back.
 */
export async function mds(X: Matrix, options: SmacofOptions = {}): Promise<SmacofResult> {
  assertMatrix(X, "X");
  if (X.rows < 2) throw new HiddenAtlasError("E_PARAM", `MDS needs at least 2 rows; got ${X.rows}`);
  const p = checkSmacof(options, X.rows, "mds");
  const { X: Xk, scale } = toKernelRange(X, "X");
  if (scale !== 1 && typeof p.init !== "string")
    p.init = { ...p.init, data: Float32Array.from(p.init.data, (v) => v * scale) };
  const D = await pairwiseDistances(Xk, undefined, { metric: "euclidean", signal: options.signal });
  const core = await getCore();
  const result = await runSmacof(core, D, p, options);
  if (scale === 1) return result;
  return {
    ...result,
    coordinates: {
      ...result.coordinates,
      data: toDataUnits(result.coordinates.data, 1 / scale, "MDS coordinates", undefined, true),
    },
    stress: result.stress / (scale * scale),
    params: { ...result.params, ...rangeParams(scale) },
  };
}
