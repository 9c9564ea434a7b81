/**
 * Exact Vietoris–Rips persistent homology (the Ripser algorithm, assembly/rips.ts), with
 * Boissonnat–Pritam edge collapse in front.
 *
 * Threads (`setThreads`): the distances, the edge collapse and the H≥2 column assembly run on
 * the kernel threads; H0 and the reductions (sequential by nature) on the calling thread. The
 * collapse is a sequential sweep: on several threads every thread speculates chunks of edges
 * against the graph as it finds it and whichever holds a lock commits them in order, recomputing
 * the few a change it may have missed could affect (assembly/rips.ts ripsCollapseShared). The
 * diagrams, cocycles, cycles and statistics are bit-identical on any number of threads.
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
 * With `cycles: true` each H1 bar also gets a representative cycle: input rows joined into a
 * closed loop whose longest edge is the bar's birth, which is not a boundary before the bar's
 * death and is one at it (homology reduction of the death triangles only, Čufar–Virk's
 * involuted persistent homology; assembly/rips.ts explains why it is exact).
 *
 * @example
 *   const {diagrams, cycles} = await persistentHomology(X, {maxdim: 1, cycles: true});
 *   const h1 = diagrams[1]; // h1.births[i], h1.deaths[i]
 *   const loop = cycles![1][i]; // rows [from, to, coefficient]: the loop of bar i, in walk order
 *
 * References:
 *   1. U. Bauer, Ripser: efficient computation of Vietoris–Rips persistence barcodes,
 *      J. Appl. Comput. Topol. 5:391–423, 2021.
 *   2. J.-D. Boissonnat, S. Pritam, Edge collapse and persistence of flag complexes, SoCG 2020.
 *   3. M. Glisse, S. Pritam, Swap, shift and trim to edge collapse a filtration, SoCG 2022.
 *   4. M. Čufar, Ž. Virk, Fast computation of persistent homology representatives with
 *      involuted persistent homology, preprint, 2021.
 *
 * See also: bottleneck, wasserstein, slicedWasserstein (src/algo/diagrams.ts).
 */
import { HiddenAtlasError, formatBytes } from "../core/errors.ts";
import { assertFinite, assertMatrix, type Matrix } from "../core/matrix.ts";
import {
  checkBoolean,
  checkInteger,
  checkKeyword,
  checkNumber,
  checkOptionNames,
} from "../core/params.ts";
import { ProgressTracker, type RunOptions } from "../core/progress.ts";
import { canBlock } from "../core/threads.ts";
import { WASM32_MAX_BYTES, getCore, type Core } from "../core/wasm.ts";
import { scaleFor } from "./range.ts";

declare module "../core/wasm.ts" {
  interface CoreKernels {
    ripsCreate(
      n: number,
      maxdim: number,
      modulus: number,
      cocycles: number,
      cycles: number,
    ): number;
    ripsFree(state: number): void;
    ripsSetBudget(state: number, bytes: number): void;
    ripsStatus(state: number): number;
    ripsFailBytes(state: number): number;
    ripsPeakBytes(state: number): number;
    ripsDistanceBuffer(state: number): number;
    ripsPointDistances(state: number, points: number, d: number, i0: number, i1: number): void;
    ripsEnclosingRadius(state: number): number;
    ripsSetThreshold(state: number, threshold: number): void;
    ripsCollapseBegin(state: number, slots: number, batch: number): number;
    ripsCollapse(state: number, e0: number, e1: number): void;
    ripsCollapseEnd(state: number): number;
    ripsCollapseSharedBegin(state: number, e0: number): void;
    ripsCollapseShared(state: number, e0: number, e1: number, slot: number, mayBlock: number): void;
    ripsCollapseSharedRedone(state: number): number;
    ripsDimension0(state: number): number;
    ripsAssembleBegin(state: number, dim: number): void;
    ripsAssemble(state: number, a0: number, a1: number): number;
    ripsAssembleEnd(state: number): number;
    ripsAssembleShareBegin(state: number, chunks: number, most: number): number;
    ripsAssembleShareEnd(state: number): void;
    ripsAssembleChunk(state: number, a0: number, a1: number, chunk: number, cap: number): void;
    ripsAssembleGather(state: number, chunk: number, cap: number): number;
    ripsColumnCount(state: number): number;
    // The current degree's columns (simplex indices i64, diameters f32): read by the tests that
    // compare the threaded column assembly with the serial one.
    ripsColumnIndices(state: number): number;
    ripsColumnDiameters(state: number): number;
    ripsBeginReduction(state: number, dim: number): number;
    ripsReduce(state: number, c0: number, c1: number): number;
    ripsEndReduction(state: number): void;
    ripsPairCount(state: number): number;
    ripsPairs(state: number): number;
    ripsCocycleStarts(state: number): number;
    ripsCocycleCount(state: number): number;
    ripsCocycleData(state: number): number;
    ripsStats(state: number, out: number): void;
    ripsCyclesBegin(state: number): number;
    ripsCyclesReduce(state: number, c0: number, c1: number): number;
    ripsCyclesEnd(state: number): number;
    ripsCycleStarts(state: number): number;
    ripsCycleCount(state: number): number;
    ripsCycleData(state: number): number;
    ripsSimplexCounts(
      state: number,
      dim: number,
      candidates: number,
      count: number,
      out: number,
      stride: number,
    ): void;
  }
}

/** Kernel status codes (assembly/rips.ts). */
const RIPS_OK = 0;
const RIPS_TOO_LARGE = 1;
const RIPS_OVERFLOW = 2;
const RIPS_INCONSISTENT = 3;

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
   * Return a representative cycle for each H1 pair (`result.cycles[1]`). Defaults to false
   * (Ripser and ripser.py have none; ripser.py issue #138, Ripser issue #33). Needs maxdim ≥ 1.
   * Unlike `cocycles` it keeps the edge collapse. Costs one more reduction, of the H1 death
   * triangles up to the largest death, about as long as the H1 reduction of a collapsed cloud
   * (1,000 points: 0.08 s on a noisy circle in R^50, 0.3 s on a torus in R^20, beside H1
   * reductions of 0.02 and 0.35 s), and 16 bytes per entry of the reduced cycles, which stayed
   * below the computation's peak there; a run without cycles does none of it.
   */
  cycles?: boolean;
  /**
   * Most bytes of WebAssembly memory the computation may own (distance matrix included).
   * Defaults to everything wasm32 leaves free: 4 GiB less what is in use and a 96 MiB reserve.
   */
  memoryLimit?: number;
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
  /**
   * With `cycles: true`: cycles[1][i] is a representative cycle of pair i of diagrams[1] as rows
   * of three integers [from, to, coefficient], the chain Σ coefficient · (from → to) over Z/p,
   * rows indexing X. It is closed, its longest edge is the bar's birth edge (the first row), it
   * is not a boundary at any diameter below the bar's death and is one at the death. The rows
   * are in walk order — each row starts where the previous one ended, one closed walk per
   * connected piece (usually a single simple loop) — with coefficient 1; only over Z/p, p > 2, a
   * cycle whose coefficients are not all ±1 (or cannot be walked) keeps its coefficients, rows
   * sorted. cycles[0] and cycles[k ≥ 2] are empty.
   */
  cycles?: Int32Array[][];
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
    cycles: boolean;
    memoryLimit: number | null;
    edgeCollapse: boolean;
  };
}

const defaults = {
  maxdim: 1,
  threshold: "enclosing" as number | "enclosing",
  input: "points" as "points" | "distances",
  coefficients: 2,
  cocycles: false,
  cycles: false,
  memoryLimit: null as number | null,
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
        throw new HiddenAtlasError("E_NON_FINITE", `distance matrix entry (${i}, ${j}) is NaN`, {
          row: i,
          col: j,
        });
      }
      if (v < 0) {
        throw new HiddenAtlasError(
          "E_PARAM",
          `distance matrix entry (${i}, ${j}) is negative: ${v} (expected ≥ 0)`,
          { row: i, col: j },
        );
      }
      if (i === j && v !== 0) {
        throw new HiddenAtlasError(
          "E_PARAM",
          `distance matrix diagonal entry (${i}, ${i}) is ${v} (expected 0: vertices are born at 0)`,
          { row: i, col: i },
        );
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

/** Rows per chunk of the distance pass. */
const DISTANCE_CHUNK_ROWS = 32;
/**
 * Edges the shared collapse sweep may speculate past the committed prefix (a multiple of its
 * chunk of 4): the further ahead, the more edges the commit recomputes (on a 800-point noisy
 * circle 8 % of the edges at 8, 12 % at 32, 49 % at 512).
 */
const COLLAPSE_RING = 32;
/** Chunks of largest vertices the H≥2 columns are assembled in on several threads (at most). */
const ASSEMBLY_CHUNKS = 64;
/**
 * Most columns a chunk's region holds (16 bytes each; fewer when the memory already owned at the
 * peak holds less); a chunk with more runs again on the calling thread.
 */
const ASSEMBLY_CAP = 8192;
/**
 * Edges per job of the collapse (a multiple of 4, the shared sweep's chunk): one edge costs about
 * n SIMD lanes and a few μs at n = 1,000, so a job of 2²² / n edges takes ~10-40 ms on one
 * thread, between progress reports and cancellation checks.
 */
const collapseSegment = (n: number): number => Math.max(256, Math.floor(2 ** 22 / n / 4) * 4);

/** Runs `step(start, end)` over [0, total) in chunks sized to take about CHUNK_TARGET_MS. */
async function inChunks(
  total: number,
  initial: number,
  progress: ProgressTracker,
  step: (start: number, end: number) => void,
): Promise<void> {
  let size = Math.max(1, initial);
  for (let start = 0; start < total;) {
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
 * bad input, E_TOO_LARGE when the computation cannot fit in wasm32 memory (or `memoryLimit`) —
 * naming the bytes, and each change of maxdim, threshold, points or cycles that would fit with
 * what it would need (`details.remedies`) — and E_CANCELLED when `signal` aborts.
 */
export async function persistentHomology(
  X: Matrix,
  options: PersistentHomologyOptions = {},
): Promise<PersistentHomologyResult> {
  checkOptionNames("persistentHomology", options, defaults);
  assertMatrix(X, "X");
  const maxdim = checkInteger("maxdim", options.maxdim ?? defaults.maxdim, 0, MAX_RIPS_DIMENSION);
  const input = checkKeyword("input", options.input ?? defaults.input, [
    "points",
    "distances",
  ] as const);
  const thresholdOption = options.threshold ?? defaults.threshold;
  if (thresholdOption !== "enclosing") {
    if (
      typeof thresholdOption !== "number" ||
      Number.isNaN(thresholdOption) ||
      thresholdOption < 0
    ) {
      checkNumber("threshold", thresholdOption, 0); // throws with the uniform message
    }
  }
  const coefficients = checkInteger(
    "coefficients",
    options.coefficients ?? defaults.coefficients,
    2,
    MAX_MODULUS,
  );
  if (!isPrime(coefficients)) {
    throw new HiddenAtlasError(
      "E_PARAM",
      `invalid coefficients: ${coefficients} (expected a prime from 2 to ${MAX_MODULUS})`,
      { parameter: "coefficients" },
    );
  }
  const cocycles = checkBoolean("cocycles", options.cocycles ?? defaults.cocycles);
  const cycles = checkBoolean("cycles", options.cycles ?? defaults.cycles);
  if (cycles && maxdim < 1) {
    throw new HiddenAtlasError(
      "E_PARAM",
      "invalid cycles: true (expected maxdim ≥ 1: cycles represent H1 bars, and maxdim is 0)",
      { parameter: "cycles" },
    );
  }
  const memoryLimit = options.memoryLimit ?? defaults.memoryLimit;
  if (memoryLimit !== null) checkNumber("memoryLimit", memoryLimit, 1);
  const edgeCollapse =
    checkBoolean("edgeCollapse", options.edgeCollapse ?? defaults.edgeCollapse) && !cocycles;
  const n = X.rows;
  if (n < 1)
    throw new HiddenAtlasError("E_PARAM", "persistentHomology needs at least 1 point; got 0");
  if (input === "points") {
    // Distances are float32: points near float32's limit (|x| ~ 1e38) would give infinite edges
    // and so false essential classes. Such points are brought down by a power of two (only
    // exponents change) and the diagrams, threshold and radius scaled back exactly.
    assertFinite(X, "X");
    let largest = 0;
    for (const v of X.data) largest = Math.max(largest, Math.abs(v));
    if (largest * 2 * Math.sqrt(X.cols) >= 2 ** 127) {
      const scale = scaleFor(largest);
      const data = new Float32Array(X.data.length);
      for (let i = 0; i < data.length; i++) data[i] = X.data[i] * scale;
      const threshold =
        typeof thresholdOption === "number" ? thresholdOption * scale : thresholdOption;
      const result = await persistentHomology(
        { rows: X.rows, cols: X.cols, data },
        { ...options, threshold },
      );
      const back = 1 / scale;
      for (const d of result.diagrams) {
        d.births = d.births.map((b) => b * back);
        d.deaths = d.deaths.map((b) => b * back);
      }
      result.threshold *= back;
      result.enclosingRadius *= back;
      result.params.threshold = thresholdOption;
      return result;
    }
  }

  const core = await getCore();
  const k = core.kernels;
  const available = WASM32_MAX_BYTES - core.allocatedBytes - HEADROOM_BYTES;
  const budget = Math.max(0, memoryLimit === null ? available : Math.min(memoryLimit, available));
  // Limits known from the sizes alone; each error names the fewer points (or lower maxdim) that fit.
  if (n > MAX_RIPS_POINTS) throw distanceMatrixTooLarge(n, maxdim, budget);
  if (input === "points") assertFinite(X, "X");
  else checkDistances(X);
  if (binomialBig(n, maxdim + 2) > MAX_SIMPLEX_INDEX) throw indexOverflow(n, maxdim);
  if (fixedBytes(n, maxdim) > budget) throw distanceMatrixTooLarge(n, maxdim, budget);

  let state = 0;
  let thresholdUsed = 0;
  // What the computation owned at its peak before each stage that can fail (for the advice).
  let peakBeforeDegree = 0;
  let peakBeforeCycles = 0;
  const fail = (stage: string, dim: number): never => {
    const status = k.ripsStatus(state);
    if (status === RIPS_TOO_LARGE) {
      if (dim === 0) throw distanceMatrixTooLarge(n, maxdim, budget);
      throw stageTooLarge(core, state, {
        n,
        maxdim,
        threshold: thresholdUsed,
        stage,
        dim,
        budget,
        needed: k.ripsFailBytes(state),
        peakBeforeDegree,
        peakBeforeCycles,
      });
    }
    throw new HiddenAtlasError(
      "E_WASM",
      `persistentHomology (${stage}): kernel status ${status}${status === RIPS_INCONSISTENT ? " (the cycle pass disagrees with the pairs: a bug, please report it)" : ""}`,
    );
  };
  try {
    state = k.ripsCreate(n, maxdim, coefficients, cocycles ? 1 : 0, cycles ? 1 : 0);
    if (k.ripsStatus(state) === RIPS_OVERFLOW) fail("binomial table", 0);
    if (k.ripsStatus(state) !== RIPS_OK) fail("distance matrix", 0);
    k.ripsSetBudget(state, budget);
    await fillDistances(core, state, X, input, options);

    const enclosingRadius = k.ripsEnclosingRadius(state);
    const threshold = thresholdOption === "enclosing" ? enclosingRadius : thresholdOption;
    // Above the enclosing radius the complex is a cone: same diagrams, less work.
    thresholdUsed = float32AtMost(Math.min(threshold, enclosingRadius));
    k.ripsSetThreshold(state, thresholdUsed);

    let edges = 0;
    let edgesAfterCollapse: number | null = null;
    if (edgeCollapse && maxdim >= 1 && n > 2) {
      const threads = core.threads;
      if (threads > 1) {
        // The shared sweep (ripsCollapseShared): every thread speculates chunks of 4 edges at
        // most COLLAPSE_RING edges ahead of the committed prefix, whichever holds the commit
        // lock commits in order; the graph left is the one-thread sweep's, bit for bit.
        // Kernel threads may sleep while idle; the calling thread only where it may block.
        const mayBlock = Array.from({ length: threads }, (_, t) => (t > 0 || canBlock() ? 1 : 0));
        edges = k.ripsCollapseBegin(state, threads, COLLAPSE_RING);
        if (edges < 0) fail("edge list", 1);
        const progress = new ProgressTracker(options, "edge collapse", edges);
        const segment = collapseSegment(n);
        for (let e0 = 0; e0 < edges; e0 += segment) {
          const e1 = Math.min(edges, e0 + segment);
          k.ripsCollapseSharedBegin(state, e0);
          await core.parallelRows(
            {
              kernel: "ripsCollapseShared",
              rows: threads,
              chunk: 1,
              args: [state, e0, e1, { chunk: 1 }, { thread: mayBlock }],
            },
            { signal: options.signal, threads },
          );
          await progress.step(e1);
        }
        progress.finish();
      } else {
        edges = k.ripsCollapseBegin(state, 1, 0);
        if (edges < 0) fail("edge list", 1);
        const progress = new ProgressTracker(options, "edge collapse", edges);
        // The sweep in order on this thread (a row job of one thread runs its chunks in order).
        await core.parallelRows(
          {
            kernel: "ripsCollapse",
            rows: edges,
            chunk: collapseSegment(n),
            args: [state, { i0: 1 }, { i1: 1 }],
          },
          { signal: options.signal, threads: 1, onRows: (rows) => progress.report(rows) },
        );
        progress.finish();
      }
      edgesAfterCollapse = k.ripsCollapseEnd(state);
    }

    const diagrams: PersistenceDiagram[] = [];
    const cocycleLists: Int32Array[][] = [];
    const cycleLists: Int32Array[][] = [[]];
    const degrees: PersistentHomologyDegreeStats[] = [];
    const statsBlock = core.malloc(36, "rips stats");
    try {
      let edgesListed = 0;
      const readStats = (dim: number): PersistentHomologyDegreeStats => {
        k.ripsStats(state, statsBlock);
        const v = new Int32Array(core.memory.buffer, statsBlock, 9);
        edgesListed = v[8];
        return {
          dim,
          columns: v[7],
          apparent: v[0],
          cleared: v[1],
          emergent: v[2],
          reduced: v[3],
          additions: v[4],
          essential: v[5],
        };
      };

      // Degree 0 and the degree-1 columns.
      const h0 = new ProgressTracker(options, "H0", 1);
      if (k.ripsDimension0(state) !== RIPS_OK) fail("H0 and the H1 columns", 1);
      diagrams.push(readPairs(core, state, 0));
      cocycleLists.push([]);
      h0.finish();
      const s0 = readStats(0);
      degrees.push({
        dim: 0,
        columns: 0,
        apparent: 0,
        cleared: 0,
        emergent: 0,
        reduced: 0,
        additions: 0,
        essential: diagrams[0].deaths.filter((d) => d === Infinity).length,
      });
      if (edgesAfterCollapse === null) edges = edgesListed;
      let apparent = s0.apparent;
      let cleared = 0;

      for (let dim = 1; dim <= maxdim; dim++) {
        if (dim >= 2) {
          peakBeforeDegree = k.ripsPeakBytes(state);
          k.ripsAssembleBegin(state, dim);
          const assembly = new ProgressTracker(options, `H${dim} columns`, n);
          const rowsPer = Math.max(4, Math.ceil(n / ASSEMBLY_CHUNKS));
          const chunks = Math.ceil(n / rowsPer);
          const cap = core.threads > 1 ? k.ripsAssembleShareBegin(state, chunks, ASSEMBLY_CAP) : 0;
          if (cap > 0) {
            // Chunks of largest vertices on every thread, each into its own region, appended
            // here in chunk order: ripsAssemble's order (assembly/rips.ts ripsAssembleChunk).
            await core.parallelRows(
              {
                kernel: "ripsAssembleChunk",
                rows: n,
                chunk: rowsPer,
                args: [state, { i0: 1 }, { i1: 1 }, { chunk: 1 }, cap],
              },
              { signal: options.signal, onRows: (rows) => assembly.report(rows) },
            );
            for (let c = 0; c < chunks; c++) {
              let status = k.ripsAssembleGather(state, c, cap);
              // A region that overflowed: its range again, here.
              if (status === -1)
                status = k.ripsAssemble(state, c * rowsPer, Math.min(n, (c + 1) * rowsPer));
              if (status !== RIPS_OK) fail(`H${dim} columns`, dim);
            }
            k.ripsAssembleShareEnd(state);
            assembly.finish();
          } else {
            await inChunks(n, 8, assembly, (a0, a1) => {
              if (k.ripsAssemble(state, a0, a1) !== RIPS_OK) fail(`H${dim} columns`, dim);
            });
          }
          if (k.ripsAssembleEnd(state) !== RIPS_OK) fail(`H${dim} columns`, dim);
          const st = readStats(dim);
          apparent = st.apparent;
          cleared = st.cleared;
        }
        const columns = k.ripsColumnCount(state);
        if (k.ripsBeginReduction(state, dim) !== RIPS_OK) fail(`H${dim}`, dim);
        const reduction = new ProgressTracker(options, `H${dim}`, columns);
        await inChunks(columns, 256, reduction, (c0, c1) => {
          if (k.ripsReduce(state, c0, c1) !== RIPS_OK) fail(`H${dim}`, dim);
        });
        const st = readStats(dim);
        degrees.push({ ...st, columns, apparent, cleared });
        const {
          diagram,
          cocycles: reps,
          order,
        } = readPairsWithCocycles(core, state, dim, cocycles);
        diagrams.push(diagram);
        cocycleLists.push(reps);
        if (cycles && dim === 1) {
          peakBeforeCycles = k.ripsPeakBytes(state);
          const distance =
            input === "distances"
              ? (u: number, w: number) => X.data[u * n + w]
              : (u: number, w: number) => pointDistance(X, u, w);
          cycleLists.push(
            await representativeCycles(
              core,
              state,
              diagram,
              order,
              coefficients,
              distance,
              options,
              (stage) => fail(stage, 1),
            ),
          );
        } else if (cycles) {
          cycleLists.push([]);
        }
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
      params: {
        maxdim,
        threshold: thresholdOption,
        input,
        coefficients,
        cocycles,
        cycles,
        memoryLimit,
        edgeCollapse,
      },
    };
    if (cocycles) result.cocycles = cocycleLists;
    if (cycles) result.cycles = cycleLists;
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
    // Row i writes its pairs with the rows below it (both triangles): chunks never share an entry.
    await core.parallelRows(
      {
        kernel: "ripsPointDistances",
        rows: n,
        chunk: DISTANCE_CHUNK_ROWS,
        args: [state, points.ptr, X.cols, { i0: 1 }, { i1: 1 }],
      },
      { signal: options.signal, onRows: (rows) => progress.report(rows) },
    );
    progress.finish();
  });
}

/** Pairs of the current degree as a sorted diagram (and the permutation used). */
function sortedPairs(
  core: Core,
  state: number,
  dim: number,
): { diagram: PersistenceDiagram; order: Int32Array } {
  const k = core.kernels;
  const count = k.ripsPairCount(state);
  const raw =
    count === 0
      ? new Float32Array(0)
      : new Float32Array(core.memory.buffer, k.ripsPairs(state), 2 * count).slice();
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
): { diagram: PersistenceDiagram; cocycles: Int32Array[]; order: Int32Array } {
  const { diagram, order } = sortedPairs(core, state, dim);
  if (!withCocycles) return { diagram, cocycles: [], order };
  const k = core.kernels;
  const count = k.ripsCocycleCount(state);
  const starts = new Int32Array(core.memory.buffer, k.ripsCocycleStarts(state), count + 1).slice();
  const data =
    count === 0
      ? new Int32Array(0)
      : new Int32Array(core.memory.buffer, k.ripsCocycleData(state), starts[count]).slice();
  const reps: Int32Array[] = [];
  for (let i = 0; i < order.length; i++)
    reps.push(data.slice(starts[order[i]], starts[order[i] + 1]));
  return { diagram, cocycles: reps, order };
}

// ---------------------------------------------------------------------------------------------
// Representative cycles

/**
 * The cycle pass of degree 1 (assembly/rips.ts ripsCycles*), then each cycle shortened and put
 * in walk order (finishCycle), listed in the order of the sorted diagram.
 */
async function representativeCycles(
  core: Core,
  state: number,
  diagram: PersistenceDiagram,
  order: Int32Array,
  modulus: number,
  distance: (u: number, w: number) => number,
  options: RunOptions,
  fail: (stage: string) => never,
): Promise<Int32Array[]> {
  const k = core.kernels;
  const columns = k.ripsCyclesBegin(state);
  if (columns < 0) fail("H1 cycles");
  const progress = new ProgressTracker(options, "H1 cycles", columns);
  await inChunks(columns, 256, progress, (c0, c1) => {
    if (k.ripsCyclesReduce(state, c0, c1) !== RIPS_OK) fail("H1 cycles");
  });
  if (k.ripsCyclesEnd(state) !== RIPS_OK) fail("H1 cycles");
  const count = k.ripsCycleCount(state);
  const starts = new Int32Array(core.memory.buffer, k.ripsCycleStarts(state), count + 1).slice();
  const data =
    starts[count] === 0
      ? new Int32Array(0)
      : new Int32Array(core.memory.buffer, k.ripsCycleData(state), starts[count]).slice();
  return Array.from(order, (i, rank) =>
    finishCycle(data.subarray(starts[i], starts[i + 1]), diagram.births[rank], modulus, distance),
  );
}

/**
 * The float32 distance of rows i and j exactly as ripsPointDistances computes it: differences
 * and squares in float64, summed in its order (four running sums, lanes k mod 4, combined as
 * (s0 + s2) + (s1 + s3), then the tail), one rounding after the square root.
 */
function pointDistance(X: Matrix, i: number, j: number): number {
  const d = X.cols;
  const x = X.data;
  const d4 = d & ~3;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let k = 0; k < d4; k += 4) {
    const t0 = x[i * d + k] - x[j * d + k];
    const t1 = x[i * d + k + 1] - x[j * d + k + 1];
    const t2 = x[i * d + k + 2] - x[j * d + k + 2];
    const t3 = x[i * d + k + 3] - x[j * d + k + 3];
    s0 += t0 * t0;
    s1 += t1 * t1;
    s2 += t2 * t2;
    s3 += t3 * t3;
  }
  let sum = s0 + s2 + (s1 + s3);
  for (let k = d4; k < d; k++) {
    const t = x[i * d + k] - x[j * d + k];
    sum += t * t;
  }
  return Math.fround(Math.sqrt(sum));
}

/**
 * Shorten a cycle and put it in walk order. `rows` are the kernel's (a, b, c): c · [a, b] with
 * a > b, [a, b] oriented a → b, the birth edge first with c = 1.
 *
 * Shortening: where the cycle passes u → v → w through a vertex v of degree 2 (not an end of
 * the birth edge) and d(u, w) ≤ birth in the input's distances, the detour is replaced by
 * u → w. That adds the boundary of the triangle uvw, a simplex of the complex at the birth
 * value, so the cycle's class is unchanged at every value from the birth on: it still
 * represents the same bar, and its longest edge is still the birth (a cycle of shorter edges
 * would be a class born earlier). The input's distances, not the collapsed ones, so that the
 * collapse's missing edges do not make the loop zigzag. Vertices are visited in increasing
 * order until nothing changes (deterministic).
 *
 * Walk order (Hierholzer): every vertex of a Z/2 cycle has even degree, and a Z/p cycle with
 * coefficients ±1 and in-degree = out-degree everywhere is a union of directed circuits, so the
 * edges split into closed walks; the walk through the birth edge comes first and starts with it.
 */
function finishCycle(
  rows: Int32Array,
  birth: number,
  p: number,
  distance: (u: number, w: number) => number,
): Int32Array {
  const m = rows.length / 3;
  if (m === 0) return new Int32Array(0);
  const n = MAX_RIPS_POINTS + 1;
  const key = (a: number, b: number) => (a > b ? a * n + b : b * n + a);
  // coefficient of the oriented edge max → min, keyed by the pair
  const coef = new Map<number, number>();
  const incident = new Map<number, Set<number>>();
  const link = (a: number, b: number) => {
    for (const [x, y] of [
      [a, b],
      [b, a],
    ]) {
      let set = incident.get(x);
      if (!set) incident.set(x, (set = new Set()));
      set.add(y);
    }
  };
  const unlink = (a: number, b: number) => {
    incident.get(a)!.delete(b);
    incident.get(b)!.delete(a);
  };
  /** Coefficient of x → y. */
  const flow = (x: number, y: number) => {
    const c = coef.get(key(x, y)) ?? 0;
    return x > y ? c : (p - c) % p;
  };
  /** Add c · (x → y). */
  const addFlow = (x: number, y: number, c: number) => {
    const kxy = key(x, y);
    const had = coef.get(kxy) ?? 0;
    const now = (had + (x > y ? c : p - c)) % p;
    if (now === 0) {
      coef.delete(kxy);
      if (had !== 0) unlink(x, y);
    } else {
      coef.set(kxy, now);
      if (had === 0) link(x, y);
    }
  };
  for (let r = 0; r < m; r++) addFlow(rows[3 * r], rows[3 * r + 1], rows[3 * r + 2]);
  const [sa, sb] = [rows[0], rows[1]];

  for (let changed = true; changed;) {
    changed = false;
    for (const v of [...incident.keys()].sort((x, y) => x - y)) {
      const around = incident.get(v)!;
      if (v === sa || v === sb || around.size !== 2) continue;
      const [u, w] = [...around];
      const c = flow(u, v);
      if (c !== flow(v, w) || distance(u, w) > birth) continue;
      addFlow(u, v, p - c);
      addFlow(v, w, p - c);
      addFlow(u, w, c);
      changed = true;
    }
  }

  // Arcs: each edge once, oriented so that its coefficient is 1 (Z/2: either way).
  const arcs: [number, number][] = [];
  let units = true;
  for (const [kxy, c] of coef) {
    const [hi, lo] = [Math.floor(kxy / n), kxy % n];
    if (c === 1) arcs.push([hi, lo]);
    else if (c === p - 1) arcs.push([lo, hi]);
    else units = false;
  }
  const walk = units ? eulerWalks(arcs, p === 2, [sa, sb]) : null;
  if (!walk) {
    const out: number[] = [];
    const keys = [...coef.keys()].sort((x, y) =>
      x === key(sa, sb) ? -1 : y === key(sa, sb) ? 1 : x - y,
    );
    for (const kxy of keys) out.push(Math.floor(kxy / n), kxy % n, coef.get(kxy)!);
    return Int32Array.from(out);
  }
  const out = new Int32Array(3 * walk.length);
  walk.forEach(([x, y], i) => out.set([x, y, 1], 3 * i));
  return out;
}

/**
 * Closed walks covering every arc once (Hierholzer), the first one starting with `first`;
 * undirected arcs may be walked either way. Neighbours are taken in increasing order. null when
 * the arcs do not split into closed walks (a vertex with in-degree ≠ out-degree).
 */
function eulerWalks(
  arcs: [number, number][],
  undirected: boolean,
  first: [number, number],
): [number, number][] | null {
  const out = new Map<number, number[]>(); // vertex → arc ids leaving it (both ends if undirected)
  const add = (v: number, id: number) => {
    const list = out.get(v);
    if (list) list.push(id);
    else out.set(v, [id]);
  };
  const balance = new Map<number, number>();
  arcs.forEach(([x, y], id) => {
    add(x, id);
    if (undirected) add(y, id);
    balance.set(x, (balance.get(x) ?? 0) + 1);
    balance.set(y, (balance.get(y) ?? 0) + (undirected ? 1 : -1));
  });
  for (const b of balance.values()) if (undirected ? b % 2 !== 0 : b !== 0) return null;
  const other = (id: number, v: number) => (arcs[id][0] === v ? arcs[id][1] : arcs[id][0]);
  const isFirst = (id: number) =>
    (arcs[id][0] === first[0] && arcs[id][1] === first[1]) ||
    (undirected && arcs[id][0] === first[1] && arcs[id][1] === first[0]);
  for (const [v, list] of out)
    list.sort((i, j) =>
      isFirst(i) && v === first[0]
        ? -1
        : isFirst(j) && v === first[0]
          ? 1
          : other(i, v) - other(j, v) || i - j,
    );
  const used = new Uint8Array(arcs.length);
  const next = new Map<number, number>();
  const walks: [number, number][] = [];
  const starts = [first[0], ...[...out.keys()].sort((x, y) => x - y)];
  for (const start of starts) {
    const vertices = [start];
    const taken: [number, number][] = [];
    const circuit: [number, number][] = [];
    while (vertices.length > 0) {
      const v = vertices[vertices.length - 1];
      const list = out.get(v) ?? [];
      let i = next.get(v) ?? 0;
      while (i < list.length && used[list[i]]) i++;
      next.set(v, i);
      if (i < list.length) {
        used[list[i]] = 1;
        const w = other(list[i], v);
        vertices.push(w);
        taken.push([v, w]);
      } else {
        vertices.pop();
        if (taken.length > 0) circuit.push(taken.pop()!);
      }
    }
    walks.push(...circuit.reverse());
  }
  return walks;
}

// ---------------------------------------------------------------------------------------------
// Memory advice for E_TOO_LARGE. Each message states what the computation needs and each change
// that helps with what it would need then, by the same estimate; a change is named only when
// that is lower than what was printed and fits the memory available.

/** Bytes the edge list takes while it is sorted (value and vertex pair, and the sort's copies). */
const EDGE_LIST_BYTES = 16;
/** The radix sort's histogram (256 i32). */
const RADIX_SCRATCH_BYTES = 1024;
/** Thresholds tried for the advice: this many steps below the one in use. */
const THRESHOLD_STEPS = 128;
/** Simplices enumerated at most to count them for the advice (top vertices are sampled above). */
const COUNT_WORK = 3e8;
/**
 * Share of the memory left beside the distance matrix that a suggested edge list may take (the
 * reduction comes after it), and that a scaled estimate may take (it scales a growth that was
 * cut short, so it is low).
 */
const EDGE_LIST_SHARE = 1 / 2;
const SCALED_SHARE = 1 / 4;

/**
 * A change of options that helps, with the bytes the computation would need with it and how
 * that number was obtained: "measured" in the failed run (it got past that stage), "exact" (sizes
 * counted), "expected" (the mean over random subsamples of that size), or "scaled" (the failed
 * stage's growth scaled by its simplices; an estimate, and a low one — the growth was cut short).
 */
export interface MemoryRemedy {
  option: "points" | "threshold" | "maxdim" | "cycles";
  value: number | boolean;
  bytes: number;
  basis: "measured" | "exact" | "expected" | "scaled";
  /** Simplices of the failing degree within that threshold (threshold remedies). */
  simplices?: number;
}

/** Bytes ripsCreate owns for n points up to degree maxdim (distances, tables, scratch). */
function fixedBytes(n: number, maxdim: number): number {
  return 4 * n * n + 8 * (maxdim + 3) * (n + 1) + 4 * (MAX_MODULUS + 1) + 4 * 32 + 4 * (n + 1);
}

/** Largest m in [lo, hi] with fits(m), for a monotone predicate; lo − 1 if none. */
function largestFitting(lo: number, hi: number, fits: (m: number) => boolean): number {
  if (hi < lo || !fits(lo)) return lo - 1;
  while (lo < hi) {
    const mid = lo + Math.ceil((hi - lo) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

const significant = (x: number) => Number(x.toPrecision(6));

function describeRemedy(r: MemoryRemedy, unit: string): string {
  const bytes = `${r.basis === "measured" || r.basis === "exact" ? "" : "≈ "}${formatBytes(r.bytes)}`;
  switch (r.option) {
    case "points":
      return `${r.value} points (a subsample): ${bytes}${r.basis === "expected" ? " expected" : ""}`;
    case "threshold":
      return `threshold ${r.value} (${r.simplices!.toLocaleString("en-US")} ${unit} within it): ${bytes}`;
    case "maxdim":
      return `maxdim ${r.value}: ${bytes} (measured)`;
    case "cycles":
      return `no cycles: ${bytes} (measured)`;
  }
}

function tooLarge(
  head: string,
  needed: number,
  atLeast: boolean,
  budget: number,
  remedies: MemoryRemedy[],
  unit: string,
  stage: string,
): HiddenAtlasError {
  const fits = remedies.filter((r) => r.basis !== "scaled");
  const less = remedies.filter((r) => r.basis === "scaled");
  let advice = "";
  if (fits.length > 0)
    advice += ` It fits with ${fits.map((r) => describeRemedy(r, unit)).join("; or ")}.`;
  if (less.length > 0)
    advice += ` It needs less with ${less.map((r) => describeRemedy(r, unit)).join("; or ")} (scaled from this stage's growth: estimates).`;
  if (remedies.length === 0)
    advice = " No lower threshold, maxdim or number of points fits by this estimate.";
  return new HiddenAtlasError(
    "E_TOO_LARGE",
    `${head} needs ${atLeast ? "at least" : "more than"} ${formatBytes(needed)} of WebAssembly memory; ${formatBytes(budget)} are available.${advice}`,
    { bytesNeeded: needed, bytesAvailable: budget, stage, remedies },
  );
}

/** Too many points for the distance matrix (or for 16-bit vertex ids): only fewer points help. */
function distanceMatrixTooLarge(n: number, maxdim: number, budget: number): HiddenAtlasError {
  const needed = fixedBytes(n, maxdim);
  // Enough fewer points that even an edge list of every pair fits beside the matrix.
  const everyEdge = (m: number) =>
    fixedBytes(m, maxdim) + (EDGE_LIST_BYTES * m * (m - 1)) / 2 + RADIX_SCRATCH_BYTES;
  const m = largestFitting(2, Math.min(n - 1, MAX_RIPS_POINTS), (m) => everyEdge(m) <= budget);
  const remedies: MemoryRemedy[] =
    m >= 2 ? [{ option: "points", value: m, bytes: fixedBytes(m, maxdim), basis: "exact" }] : [];
  const head =
    n > MAX_RIPS_POINTS
      ? `persistentHomology of ${n} points: at most ${MAX_RIPS_POINTS} points are supported (16-bit vertex ids), and the ${n} × ${n} float32 distance matrix alone`
      : `persistentHomology of ${n} points: the ${n} × ${n} float32 distance matrix, which no threshold or maxdim shrinks,`;
  return tooLarge(head, needed, true, budget, remedies, "edges", "distance matrix");
}

/** C(n, maxdim + 2) overflows the simplex index: a lower maxdim or fewer points fit. */
function indexOverflow(n: number, maxdim: number): HiddenAtlasError {
  const fits = (points: number, dim: number) => binomialBig(points, dim + 2) <= MAX_SIMPLEX_INDEX;
  const dim = largestFitting(0, maxdim - 1, (d) => fits(n, d));
  const points = largestFitting(2, n - 1, (m) => fits(m, maxdim));
  const options: string[] = [];
  const remedies: { option: "maxdim" | "points"; value: number; simplices: string }[] = [];
  if (dim >= 0) {
    remedies.push({ option: "maxdim", value: dim, simplices: String(binomialBig(n, dim + 2)) });
    options.push(`maxdim ${dim} (C(${n}, ${dim + 2}) = ${binomialBig(n, dim + 2)})`);
  }
  if (points >= 2) {
    remedies.push({
      option: "points",
      value: points,
      simplices: String(binomialBig(points, maxdim + 2)),
    });
    options.push(
      `${points} points (C(${points}, ${maxdim + 2}) = ${binomialBig(points, maxdim + 2)})`,
    );
  }
  return new HiddenAtlasError(
    "E_TOO_LARGE",
    `persistentHomology of ${n} points up to degree ${maxdim}: C(${n}, ${maxdim + 2}) = ${binomialBig(n, maxdim + 2)} simplices overflow the 55-bit simplex index (at most ${MAX_SIMPLEX_INDEX}). It fits with ${options.join(" or ")}.`,
    { simplices: String(binomialBig(n, maxdim + 2)), limit: String(MAX_SIMPLEX_INDEX), remedies },
  );
}

/**
 * Thresholds to suggest: values of three significant digits below `top`, ascending, each with
 * the float32 the computation would use for it (float32AtMost), then `top` itself.
 */
function thresholdCandidates(top: number): { values: number[]; float32: Float32Array } {
  const values: number[] = [];
  const float32: number[] = [];
  for (let i = 1; i < THRESHOLD_STEPS; i++) {
    const t = (top * i) / THRESHOLD_STEPS;
    if (!(t > 0)) continue;
    const step = 10 ** (Math.floor(Math.log10(t)) - 2);
    let nice = Number((Math.floor(t / step) * step).toPrecision(3));
    if (nice > t) nice = Number(((Math.floor(t / step) - 1) * step).toPrecision(3));
    const f = float32AtMost(nice);
    if (f > 0 && f < top && (float32.length === 0 || f > float32[float32.length - 1])) {
      values.push(nice);
      float32.push(f);
    }
  }
  values.push(top);
  float32.push(top);
  return { values, float32: Float32Array.from(float32) };
}

/** Number of dim-simplices within each candidate threshold (cumulative), sampled when large. */
function simplexCounts(
  core: Core,
  state: number,
  dim: number,
  candidates: Float32Array,
  stride: number,
): Float64Array {
  return core.scope((s) => {
    const c = s.upload(candidates, "threshold candidates");
    const out = s.f64(candidates.length, "simplex counts");
    out.view().fill(0);
    core.kernels.ripsSimplexCounts(state, dim, c.ptr, candidates.length, out.ptr, stride);
    const counts = out.view().slice();
    for (let i = 0; i < counts.length; i++)
      counts[i] = counts[i] * stride + (i > 0 ? counts[i - 1] : 0);
    return counts;
  });
}

interface FailedStage {
  n: number;
  maxdim: number;
  /** The threshold the complex was built with (float32). */
  threshold: number;
  stage: string;
  /** Degree whose stage failed (1 for the edge list, H0's columns and the cycle pass). */
  dim: number;
  budget: number;
  /** Bytes the failed growth needed (ripsFailBytes). */
  needed: number;
  /** Peak before the failing degree began (dim ≥ 2) and before the cycle pass. */
  peakBeforeDegree: number;
  peakBeforeCycles: number;
}

/**
 * E_TOO_LARGE for a stage that ran out of budget, with remedies.
 *
 * The edge list's size is exact (16 bytes per edge within the threshold), so its remedies are
 * too: the edges within each lower threshold are counted, and a random subsample of M points
 * keeps M(M − 1) / n(n − 1) of them on average; the suggestion leaves half the memory for what
 * follows. A lower maxdim or no cycles is measured: the run got past those stages.
 *
 * The later stages (columns, reduction, cycles) grow with the fill-in of the reduction, which no
 * size predicts. Their need is scaled: for degree k it grows with the columns (the k-simplices
 * within the threshold, S) times the length of their coboundaries (about S^(1/(k+1)), or M for M
 * points), so a lower threshold scales it by (S'/S)^((k+2)/(k+1)) and M points by
 * C(M, k+1)·M / (C(n, k+1)·n) (a noisy circle in R^2 without collapse follows both within 10 %).
 * The failed growth was cut short, so these are low estimates; the suggestion takes a quarter.
 */
function stageTooLarge(core: Core, state: number, f: FailedStage): HiddenAtlasError {
  const { n, maxdim, budget } = f;
  const base = fixedBytes(n, maxdim);
  const head = `persistentHomology of ${n} points up to degree ${maxdim} (${f.stage}, threshold ${significant(f.threshold)})`;
  const { values, float32 } = thresholdCandidates(f.threshold);
  const last = float32.length - 1;
  const edges = simplexCounts(core, state, 1, float32, 1);
  const edgeList = (count: number, points = n) =>
    Math.ceil(fixedBytes(points, maxdim) + EDGE_LIST_BYTES * count + RADIX_SCRATCH_BYTES);
  const remedies: MemoryRemedy[] = [];
  const simplexRatio = (m: number, dim: number) =>
    Number(binomialBig(m, dim + 1)) / Number(binomialBig(n, dim + 1));

  if (f.dim <= 1 && edgeList(edges[last]) > budget) {
    const target = base + (budget - base) * EDGE_LIST_SHARE;
    for (let i = last - 1; i >= 0; i--) {
      if (edges[i] > 0 && edgeList(edges[i]) <= target) {
        remedies.push({
          option: "threshold",
          value: values[i],
          bytes: edgeList(edges[i]),
          basis: "exact",
          simplices: edges[i],
        });
        break;
      }
    }
    const expected = (m: number) => edgeList(edges[last] * simplexRatio(m, 1), m);
    const m = largestFitting(2, n - 1, (m) => expected(m) <= target);
    if (m >= 2)
      remedies.push({ option: "points", value: m, bytes: expected(m), basis: "expected" });
    return tooLarge(
      `${head}: its edge list of ${edges[last].toLocaleString("en-US")} edges`,
      edgeList(edges[last]),
      true,
      budget,
      remedies,
      "edges",
      f.stage,
    );
  }

  const needed = Math.max(f.needed, budget + 1);
  if (f.stage === "H1 cycles")
    remedies.push({ option: "cycles", value: false, bytes: f.peakBeforeCycles, basis: "measured" });
  if (f.dim >= 2)
    remedies.push({
      option: "maxdim",
      value: f.dim - 1,
      bytes: f.peakBeforeDegree,
      basis: "measured",
    });
  let counts = edges;
  if (f.dim >= 2) {
    let stride = Math.max(1, Math.ceil((edges[last] * n) / 3 / COUNT_WORK));
    counts = simplexCounts(core, state, 2, float32, stride);
    if (f.dim === 3) {
      stride = Math.max(1, Math.ceil((counts[last] * n) / 4 / COUNT_WORK));
      counts = simplexCounts(core, state, 3, float32, stride);
    }
  }
  const k = f.dim;
  const grow = needed - base;
  const target = base + (budget - base) * SCALED_SHARE;
  const scaled = (ratio: number, points = n) =>
    Math.ceil(fixedBytes(points, maxdim) + grow * ratio);
  for (let i = last - 1; i >= 0 && counts[last] > 0; i--) {
    const ratio = (counts[i] / counts[last]) ** ((k + 2) / (k + 1));
    if (counts[i] > 0 && scaled(ratio) <= target) {
      remedies.push({
        option: "threshold",
        value: values[i],
        bytes: scaled(ratio),
        basis: "scaled",
        simplices: Math.round(counts[i]),
      });
      break;
    }
  }
  const pointsRatio = (m: number) => (simplexRatio(m, k) * m) / n;
  const m = largestFitting(k + 2, n - 1, (m) => scaled(pointsRatio(m), m) <= target);
  if (m >= k + 2)
    remedies.push({
      option: "points",
      value: m,
      bytes: scaled(pointsRatio(m), m),
      basis: "scaled",
    });
  return tooLarge(
    head,
    needed,
    false,
    budget,
    remedies,
    ["", "edges", "triangles", "tetrahedra"][k],
    f.stage,
  );
}
