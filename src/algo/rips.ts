/**
 * Exact Vietoris–Rips persistent homology (the Ripser algorithm, assembly/rips.ts), with
 * Boissonnat–Pritam edge collapse in front.
 *
 * The filtration value of a simplex is its diameter (largest pairwise distance), as in Ripser,
 * ripser.py and gudhi's RipsComplex — not the radius. Distances are float32 (like ripser.py);
 * for point input they are computed in float64 and rounded once. Zero-length pairs are dropped
 * (so duplicate points give fewer than n H0 pairs) and essential classes have death Infinity.
 *
 * Output: `diagrams[k]` is degree k as `{dim: k, births, deaths}` (two Float64Arrays of equal
 * length), pairs sorted by (birth, death). With the default threshold (the enclosing radius)
 * only H0 has an essential class; a smaller threshold truncates bars and makes essential
 * classes in higher degrees.
 *
 * @example
 *   const {diagrams} = await persistentHomology(X, {maxdim: 1});
 *   const h1 = diagrams[1]; // h1.births[i], h1.deaths[i]
 *
 * References:
 *   1. U. Bauer, Ripser: efficient computation of Vietoris–Rips persistence barcodes,
 *      J. Appl. Comput. Topol. 5:391–423, 2021.
 *   2. J.-D. Boissonnat, S. Pritam, Edge collapse and persistence of flag complexes, SoCG 2020.
 *   3. M. Glisse, S. Pritam, Swap, shift and trim to edge collapse a filtration, SoCG 2022.
 *
 * See also: bottleneck, wasserstein, slicedWasserstein (src/algo/diagrams.ts).
 */
import { HiddenAtlasError, formatBytes } from "../core/errors.ts";
import { assertFinite, assertMatrix, type Matrix } from "../core/matrix.ts";
import { checkBoolean, checkInteger, checkKeyword, checkNumber, checkOptionNames } from "../core/params.ts";
import { ProgressTracker, type RunOptions } from "../core/progress.ts";
import { WASM32_MAX_BYTES, getCore, type Core } from "../core/wasm.ts";

declare module "../core/wasm.ts" {
  interface CoreKernels {
    ripsCreate(n: number, maxdim: number, modulus: number, cocycles: number): number;
    ripsFree(state: number): void;
    ripsSetBudget(state: number, bytes: number): void;
    ripsStatus(state: number): number;
    ripsFailBytes(state: number): number;
    ripsPeakBytes(state: number): number;
    ripsDistanceBuffer(state: number): number;
    ripsPointDistances(state: number, points: number, d: number, i0: number, i1: number): void;
    ripsEnclosingRadius(state: number): number;
    ripsSetThreshold(state: number, threshold: number): void;
    ripsCollapseBegin(state: number): number;
    ripsCollapse(state: number, e0: number, e1: number): void;
    ripsCollapseEnd(state: number): number;
    ripsDimension0(state: number): number;
    ripsAssembleBegin(state: number, dim: number): void;
    ripsAssemble(state: number, a0: number, a1: number): number;
    ripsAssembleEnd(state: number): number;
    ripsColumnCount(state: number): number;
    ripsBeginReduction(state: number, dim: number): number;
    ripsReduce(state: number, c0: number, c1: number): number;
    ripsEndReduction(state: number): void;
    ripsPairCount(state: number): number;
    ripsPairs(state: number): number;
    ripsCocycleStarts(state: number): number;
    ripsCocycleCount(state: number): number;
    ripsCocycleData(state: number): number;
    ripsStats(state: number, out: number): void;
  }
}

/** Kernel status codes (assembly/rips.ts). */
const RIPS_OK = 0;
const RIPS_TOO_LARGE = 1;
const RIPS_OVERFLOW = 2;

/** Largest degree: Ripser's index arithmetic and our vertex scratch stop at 3-simplices' cofacets. */
export const MAX_RIPS_DIMENSION = 3;
/** Largest prime modulus: coefficients are packed in one byte (assembly/rips.ts COEF_BITS). */
export const MAX_MODULUS = 251;
/** Largest number of points: vertex ids are packed in 16 bits in the edge list. */
export const MAX_RIPS_POINTS = 65535;
/** Simplex indices are 55 bits (63 minus the coefficient byte). */
const MAX_SIMPLEX_INDEX = (1n << 55n) - 1n;
/** Memory kept free for the arena's other users and the allocator's bookkeeping. */
const HEADROOM_BYTES = 96 * 1024 ** 2;
/** Aim for kernel calls of about this long between progress checkpoints (ms). */
const CHUNK_TARGET_MS = 25;

export interface PersistenceDiagram {
  /** Homological degree. */
  dim: number;
  /** Birth values, ascending (ties by death). */
  births: Float64Array;
  /** Death values; Infinity for essential classes. */
  deaths: Float64Array;
}

export interface PersistentHomologyOptions extends RunOptions {
  /** Highest degree computed, 0–3. Defaults to 1 (ripser.py `maxdim=1`). */
  maxdim?: number;
  /**
   * Largest diameter in the filtration: a number, or "enclosing" (default, Ripser's default) for
   * the enclosing radius min_i max_j d(i, j), above which the complex is a cone and nothing
   * changes. Thresholds above the enclosing radius give the same diagrams and are run at it.
   */
  threshold?: number | "enclosing";
  /** "points" (default): X is n × d coordinates, Euclidean distances. "distances": X is n × n. */
  input?: "points" | "distances";
  /** Prime p for Z/p coefficients, 2–251. Defaults to 2 (Ripser `--modulus 2`). */
  coefficients?: number;
  /**
   * Return a representative cocycle for each pair of degree ≥ 1 (ripser.py `do_cocycles`).
   * Defaults to false. Turns the edge collapse off: a cocycle of the collapsed complex need not
   * be one of the original complex.
   */
  cocycles?: boolean;
  /**
   * Collapse dominated edges first (Boissonnat–Pritam; gudhi's `collapse_edges`). Diagrams are
   * unchanged; dense clouds run much faster. Defaults to true (Ripser has no collapse).
   */
  edgeCollapse?: boolean;
}

export interface PersistentHomologyDegreeStats {
  dim: number;
  /** Columns reduced in this degree. */
  columns: number;
  /** Simplices skipped as zero-persistence apparent pairs (Bauer 2021 §3.5). */
  apparent: number;
  /** Simplices skipped because they were pivots one degree lower (clearing). */
  cleared: number;
  /** Columns paired at once as emergent pairs (§3.6). */
  emergent: number;
  /** Columns paired after reduction. */
  reduced: number;
  /** Column additions performed. */
  additions: number;
  /** Essential classes. */
  essential: number;
}

export interface PersistentHomologyResult {
  /** diagrams[k] is degree k, for k = 0 … maxdim. */
  diagrams: PersistenceDiagram[];
  /** The threshold used: the given number, or the enclosing radius. */
  threshold: number;
  /** min_i max_j d(i, j) of the input. */
  enclosingRadius: number;
  /**
   * With `cocycles: true`: cocycles[k][i] is the cocycle of pair i of diagrams[k] (k ≥ 1) as
   * rows of k + 2 integers, [vertex_0, …, vertex_k, coefficient] (ripser.py's layout);
   * cocycles[0] is empty.
   */
  cocycles?: Int32Array[][];
  stats: {
    points: number;
    /** Edges within the threshold, and left after the collapse (null when not run). */
    edges: number;
    edgesAfterCollapse: number | null;
    degrees: PersistentHomologyDegreeStats[];
    /** Most bytes the computation owned at once in wasm memory. */
    peakBytes: number;
    /** Size of the wasm linear memory afterwards (it never shrinks). */
    wasmMemoryBytes: number;
  };
  params: {
    maxdim: number;
    threshold: number | "enclosing";
    input: "points" | "distances";
    coefficients: number;
    cocycles: boolean;
    edgeCollapse: boolean;
  };
}

const defaults = {
  maxdim: 1,
  threshold: "enclosing" as number | "enclosing",
  input: "points" as "points" | "distances",
  coefficients: 2,
  cocycles: false,
  edgeCollapse: true,
};

function isPrime(p: number): boolean {
  if (p < 2) return false;
  for (let q = 2; q * q <= p; q++) if (p % q === 0) return false;
  return true;
}

function binomialBig(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  let c = 1n;
  for (let i = 1; i <= k; i++) c = (c * BigInt(n - k + i)) / BigInt(i);
  return c;
}

/** The largest float32 ≤ t (so that d ≤ t in float32 is exactly d ≤ t in float64). */
function float32AtMost(t: number): number {
  if (!Number.isFinite(t)) return t;
  const f = Math.fround(t);
  if (f <= t) return f;
  const buf = new Float32Array([f]);
  const bits = new Int32Array(buf.buffer);
  bits[0] += f > 0 ? -1 : 1;
  if (f === 0) buf[0] = -Number.MIN_VALUE;
  return buf[0];
}

/** Check a distance matrix: square, no NaN, ≥ 0, zero diagonal, symmetric. */
function checkDistances(X: Matrix): void {
  const n = X.rows;
  if (X.cols !== n) {
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `X is ${X.rows} × ${X.cols} but input "distances" needs a square n × n distance matrix`,
    );
  }
  const D = X.data;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const v = D[i * n + j];
      if (Number.isNaN(v)) {
        throw new HiddenAtlasError("E_NON_FINITE", `distance matrix entry (${i}, ${j}) is NaN`, { row: i, col: j });
      }
      if (v < 0) {
        throw new HiddenAtlasError("E_PARAM", `distance matrix entry (${i}, ${j}) is negative: ${v} (expected ≥ 0)`, { row: i, col: j });
      }
      if (i === j && v !== 0) {
        throw new HiddenAtlasError("E_PARAM", `distance matrix diagonal entry (${i}, ${i}) is ${v} (expected 0: vertices are born at 0)`, { row: i, col: i });
      }
      if (j < i && v !== D[j * n + i]) {
        throw new HiddenAtlasError(
          "E_PARAM",
          `distance matrix is not symmetric: (${i}, ${j}) = ${v} but (${j}, ${i}) = ${D[j * n + i]}`,
          { row: i, col: j },
        );
      }
    }
  }
}

/** Runs `step(start, end)` over [0, total) in chunks sized to take about CHUNK_TARGET_MS. */
async function inChunks(
  total: number,
  initial: number,
  progress: ProgressTracker,
  step: (start: number, end: number) => void,
): Promise<void> {
  let size = Math.max(1, initial);
  for (let start = 0; start < total; ) {
    const end = Math.min(total, start + size);
    const t0 = performance.now();
    step(start, end);
    const elapsed = performance.now() - t0;
    if (elapsed < CHUNK_TARGET_MS / 2) size *= 2;
    else if (elapsed > CHUNK_TARGET_MS * 2) size = Math.max(1, Math.floor(size / 2));
    start = end;
    await progress.step(start);
  }
  progress.finish();
}

/**
 * Persistent homology of the Vietoris–Rips filtration of a point cloud or distance matrix, in
 * degrees 0 … maxdim. Throws E_PARAM for invalid options, E_SHAPE_MISMATCH / E_NON_FINITE for
 * bad input, E_TOO_LARGE (with the bytes needed) when the computation cannot fit in wasm32
 * memory, and E_CANCELLED when `signal` aborts.
 */
export async function persistentHomology(
  X: Matrix,
  options: PersistentHomologyOptions = {},
): Promise<PersistentHomologyResult> {
  checkOptionNames("persistentHomology", options, defaults);
  assertMatrix(X, "X");
  const maxdim = checkInteger("maxdim", options.maxdim ?? defaults.maxdim, 0, MAX_RIPS_DIMENSION);
  const input = checkKeyword("input", options.input ?? defaults.input, ["points", "distances"] as const);
  const thresholdOption = options.threshold ?? defaults.threshold;
  if (thresholdOption !== "enclosing") {
    if (typeof thresholdOption !== "number" || Number.isNaN(thresholdOption) || thresholdOption < 0) {
      checkNumber("threshold", thresholdOption, 0); // throws with the uniform message
    }
  }
  const coefficients = checkInteger("coefficients", options.coefficients ?? defaults.coefficients, 2, MAX_MODULUS);
  if (!isPrime(coefficients)) {
    throw new HiddenAtlasError("E_PARAM", `invalid coefficients: ${coefficients} (expected a prime from 2 to ${MAX_MODULUS})`, { parameter: "coefficients" });
  }
  const cocycles = checkBoolean("cocycles", options.cocycles ?? defaults.cocycles);
  const edgeCollapse = checkBoolean("edgeCollapse", options.edgeCollapse ?? defaults.edgeCollapse) && !cocycles;
  const n = X.rows;
  if (n < 1) throw new HiddenAtlasError("E_PARAM", "persistentHomology needs at least 1 point; got 0");
  if (n > MAX_RIPS_POINTS) {
    throw new HiddenAtlasError("E_TOO_LARGE", `persistentHomology of ${n} points: at most ${MAX_RIPS_POINTS} points are supported (a ${n} × ${n} float32 distance matrix alone needs ${formatBytes(4 * n * n)})`, { bytesNeeded: 4 * n * n });
  }
  if (input === "points") assertFinite(X, "X");
  else checkDistances(X);

  // Data-dependent limits: the simplex index of a cofacet of a top simplex must fit.
  if (binomialBig(n, maxdim + 2) > MAX_SIMPLEX_INDEX) {
    throw new HiddenAtlasError(
      "E_TOO_LARGE",
      `persistentHomology of ${n} points up to degree ${maxdim}: C(${n}, ${maxdim + 2}) simplices overflow the 55-bit simplex index; lower maxdim or subsample`,
    );
  }
  const edgesMax = (n * (n - 1)) / 2;
  const distanceBytes = 4 * n * n;
  const edgeBytes = 16 * edgesMax; // value + vertex pair, and the radix-sort copy
  const columnBytes = maxdim >= 1 ? 12 * Math.max(0, edgesMax - n + 1) : 0;
  const estimate = distanceBytes + 8 * (maxdim + 3) * (n + 1) + edgeBytes + columnBytes;

  const core = await getCore();
  const k = core.kernels;
  const budget = WASM32_MAX_BYTES - core.allocatedBytes - HEADROOM_BYTES;
  if (estimate > budget) {
    throw new HiddenAtlasError(
      "E_TOO_LARGE",
      `persistentHomology of ${n} points needs at least ${formatBytes(estimate)} of WebAssembly memory (distance matrix ${formatBytes(distanceBytes)}, edge list ${formatBytes(edgeBytes)}, degree-1 columns ${formatBytes(columnBytes)}); ${formatBytes(Math.max(0, budget))} are available. Subsample the points or lower the threshold.`,
      { bytesNeeded: estimate, bytesAvailable: budget },
    );
  }

  let state = 0;
  const fail = (what: string): never => {
    const status = k.ripsStatus(state);
    if (status === RIPS_TOO_LARGE) {
      const needed = k.ripsFailBytes(state);
      throw new HiddenAtlasError(
        "E_TOO_LARGE",
        `persistentHomology (${what}) needs ${formatBytes(needed)} of WebAssembly memory, more than the ${formatBytes(budget)} available; lower maxdim or the threshold, or subsample the points`,
        { bytesNeeded: needed, bytesAvailable: budget },
      );
    }
    throw new HiddenAtlasError("E_WASM", `persistentHomology (${what}): kernel status ${status}`);
  };
  try {
    state = k.ripsCreate(n, maxdim, coefficients, cocycles ? 1 : 0);
    if (k.ripsStatus(state) === RIPS_OVERFLOW) fail("binomial table");
    if (k.ripsStatus(state) !== RIPS_OK) fail("distance matrix");
    k.ripsSetBudget(state, budget);
    await fillDistances(core, state, X, input, options);

    const enclosingRadius = k.ripsEnclosingRadius(state);
    const threshold = thresholdOption === "enclosing" ? enclosingRadius : thresholdOption;
    // Above the enclosing radius the complex is a cone: same diagrams, less work.
    k.ripsSetThreshold(state, float32AtMost(Math.min(threshold, enclosingRadius)));

    let edges = 0;
    let edgesAfterCollapse: number | null = null;
    if (edgeCollapse && maxdim >= 1 && n > 2) {
      edges = k.ripsCollapseBegin(state);
      if (edges < 0) fail("edge list");
      const progress = new ProgressTracker(options, "edge collapse", edges);
      await inChunks(edges, 4096, progress, (e0, e1) => k.ripsCollapse(state, e0, e1));
      edgesAfterCollapse = k.ripsCollapseEnd(state);
    }

    const diagrams: PersistenceDiagram[] = [];
    const cocycleLists: Int32Array[][] = [];
    const degrees: PersistentHomologyDegreeStats[] = [];
    const statsBlock = core.malloc(36, "rips stats");
    try {
      let edgesListed = 0;
      const readStats = (dim: number): PersistentHomologyDegreeStats => {
        k.ripsStats(state, statsBlock);
        const v = new Int32Array(core.memory.buffer, statsBlock, 9);
        edgesListed = v[8];
        return { dim, columns: v[7], apparent: v[0], cleared: v[1], emergent: v[2], reduced: v[3], additions: v[4], essential: v[5] };
      };

      // Degree 0 and the degree-1 columns.
      const h0 = new ProgressTracker(options, "H0", 1);
      if (k.ripsDimension0(state) !== RIPS_OK) fail("H0");
      diagrams.push(readPairs(core, state, 0));
      cocycleLists.push([]);
      h0.finish();
      const s0 = readStats(0);
      degrees.push({ dim: 0, columns: 0, apparent: 0, cleared: 0, emergent: 0, reduced: 0, additions: 0, essential: diagrams[0].deaths.filter((d) => d === Infinity).length });
      if (edgesAfterCollapse === null) edges = edgesListed;
      let apparent = s0.apparent;
      let cleared = 0;

      for (let dim = 1; dim <= maxdim; dim++) {
        if (dim >= 2) {
          k.ripsAssembleBegin(state, dim);
          const assembly = new ProgressTracker(options, `H${dim} columns`, n);
          await inChunks(n, 8, assembly, (a0, a1) => {
            if (k.ripsAssemble(state, a0, a1) !== RIPS_OK) fail(`H${dim} columns`);
          });
          if (k.ripsAssembleEnd(state) !== RIPS_OK) fail(`H${dim} columns`);
          const st = readStats(dim);
          apparent = st.apparent;
          cleared = st.cleared;
        }
        const columns = k.ripsColumnCount(state);
        if (k.ripsBeginReduction(state, dim) !== RIPS_OK) fail(`H${dim}`);
        const reduction = new ProgressTracker(options, `H${dim}`, columns);
        await inChunks(columns, 256, reduction, (c0, c1) => {
          if (k.ripsReduce(state, c0, c1) !== RIPS_OK) fail(`H${dim}`);
        });
        const st = readStats(dim);
        degrees.push({ ...st, columns, apparent, cleared });
        const { diagram, cocycles: reps } = readPairsWithCocycles(core, state, dim, cocycles);
        diagrams.push(diagram);
        cocycleLists.push(reps);
        k.ripsEndReduction(state);
      }
    } finally {
      core.free(statsBlock);
    }

    const result: PersistentHomologyResult = {
      diagrams,
      threshold,
      enclosingRadius,
      stats: {
        points: n,
        edges,
        edgesAfterCollapse,
        degrees,
        peakBytes: k.ripsPeakBytes(state),
        wasmMemoryBytes: core.memory.buffer.byteLength,
      },
      params: { maxdim, threshold: thresholdOption, input, coefficients, cocycles, edgeCollapse },
    };
    if (cocycles) result.cocycles = cocycleLists;
    return result;
  } catch (error) {
    if (error instanceof HiddenAtlasError) throw error;
    const message = (error as Error).message ?? String(error);
    throw new HiddenAtlasError(
      /memory|unreachable|abort/i.test(message) ? "E_TOO_LARGE" : "E_WASM",
      `persistentHomology of ${n} points failed in the core: ${message}`,
    );
  } finally {
    if (state !== 0) k.ripsFree(state);
  }
}

/** Put the distances into the state: computed from points in row chunks, or copied. */
async function fillDistances(
  core: Core,
  state: number,
  X: Matrix,
  input: "points" | "distances",
  options: RunOptions,
): Promise<void> {
  const k = core.kernels;
  const n = X.rows;
  if (input === "distances") {
    new Float32Array(core.memory.buffer, k.ripsDistanceBuffer(state), n * n).set(X.data);
    return;
  }
  await core.scope(async (s) => {
    const points = s.upload(X.data, "point cloud");
    const progress = new ProgressTracker(options, "distances", n);
    await inChunks(n, Math.max(1, Math.floor(65536 / Math.max(1, X.cols))), progress, (i0, i1) =>
      k.ripsPointDistances(state, points.ptr, X.cols, i0, i1),
    );
  });
}

/** Pairs of the current degree as a sorted diagram (and the permutation used). */
function sortedPairs(core: Core, state: number, dim: number): { diagram: PersistenceDiagram; order: Int32Array } {
  const k = core.kernels;
  const count = k.ripsPairCount(state);
  const raw = count === 0 ? new Float32Array(0) : new Float32Array(core.memory.buffer, k.ripsPairs(state), 2 * count).slice();
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  order.sort((a, b) => raw[2 * a] - raw[2 * b] || raw[2 * a + 1] - raw[2 * b + 1] || a - b);
  const births = new Float64Array(count);
  const deaths = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    births[i] = raw[2 * order[i]];
    deaths[i] = raw[2 * order[i] + 1];
  }
  return { diagram: { dim, births, deaths }, order };
}

function readPairs(core: Core, state: number, dim: number): PersistenceDiagram {
  return sortedPairs(core, state, dim).diagram;
}

function readPairsWithCocycles(
  core: Core,
  state: number,
  dim: number,
  withCocycles: boolean,
): { diagram: PersistenceDiagram; cocycles: Int32Array[] } {
  const { diagram, order } = sortedPairs(core, state, dim);
  if (!withCocycles) return { diagram, cocycles: [] };
  const k = core.kernels;
  const count = k.ripsCocycleCount(state);
  const starts = new Int32Array(core.memory.buffer, k.ripsCocycleStarts(state), count + 1).slice();
  const data = count === 0 ? new Int32Array(0) : new Int32Array(core.memory.buffer, k.ripsCocycleData(state), starts[count]).slice();
  const reps: Int32Array[] = [];
  for (let i = 0; i < order.length; i++) reps.push(data.slice(starts[order[i]], starts[order[i] + 1]));
  return { diagram, cocycles: reps };
}
