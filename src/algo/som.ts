/**
 * Self-organising maps (Kohonen 1982, 2001): the batch map (default; neighbourhood-weighted
 * means, no learning rate, as SOM Toolbox's som_batchtrain) and the online map (MiniSom's
 * update), on rectangular or hexagonal grids, with MiniSom's four neighbourhood functions.
 * Kernels: assembly/som.ts.
 *
 * Conventions (stated because libraries differ):
 * - quantisation error (QE) = mean Euclidean distance from a sample to its BMU weight;
 * - topographic error (TE) = fraction of samples whose best and second-best units are not
 *   adjacent: "rect8" (8 neighbours, MiniSom's ≤ 1.42), "rect4" (4 neighbours) or "hex6";
 * - σ in grid units; batch σ falls linearly from `sigma` to `sigmaEnd` over the epochs;
 *   online σ and η follow MiniSom's asymptotic decay p0/(1 + 2t/T) unless "linear" is chosen;
 * - PCA initialisation spans the plane of the first two principal components scaled by
 *   √eigenvalue (SOM Toolbox; MiniSom uses unit eigenvectors), PC1 along the longer side.
 *
 * @example
 *   const map = await som(X, {rows: 10, cols: 10, epochs: 30, seed: 42});
 *   map.quantizationError; map.topographicError.rect8; map.bmus;
 */
import { HiddenAtlasError } from "../core/errors.ts";
import { assertMatrix, type Matrix } from "../core/matrix.ts";
import { checkInteger, checkKeyword, checkNumber, checkOptionNames } from "../core/params.ts";
import { ProgressTracker, type RunOptions } from "../core/progress.ts";
import { DEFAULT_SEED, Rng, checkSeed, STREAMS } from "../core/random.ts";
import { getCore, type Core } from "../core/wasm.ts";
import { pca, type PcaResult } from "./pca.ts";
import { jointKernelRange, toDataUnits } from "./range.ts";

declare module "../core/wasm.ts" {
  interface CoreKernels {
    somScratchFloats(m: number): number;
    somBestMatching(
      x: number,
      n: number,
      d: number,
      w: number,
      m: number,
      bmu: number,
      second: number,
      dist: number,
      scratch: number,
    ): void;
    somNeighborhoodMatrix(
      coords: number,
      m: number,
      cols: number,
      kind: number,
      sigma: number,
      h: number,
    ): void;
    somBatchAccumulate(
      x: number,
      n: number,
      d: number,
      bmu: number,
      m: number,
      sums: number,
      counts: number,
    ): void;
    somBatchUpdate(
      h: number,
      sums: number,
      counts: number,
      m: number,
      d: number,
      w: number,
      rowScratch: number,
    ): void;
    somGroupByNode(bmu: number, n: number, m: number, start: number, order: number): void;
    somBatchAccumulateNodes(
      x: number,
      d: number,
      start: number,
      order: number,
      sums: number,
      counts: number,
      c0: number,
      c1: number,
    ): void;
    somBatchUpdateNodes(
      coords: number,
      m: number,
      cols: number,
      kind: number,
      sigma: number,
      sums: number,
      counts: number,
      d: number,
      w: number,
      j0: number,
      j1: number,
      scratch: number,
    ): void;
    somOnlineEpoch(
      rng: number,
      x: number,
      n: number,
      d: number,
      w: number,
      m: number,
      coords: number,
      cols: number,
      kind: number,
      sigma0: number,
      sigmaEnd: number,
      sigmaSchedule: number,
      eta0: number,
      etaSchedule: number,
      step0: number,
      totalSteps: number,
      order: number,
      scratch: number,
    ): number;
  }
}

export const TOPOLOGIES = ["rect", "hex"] as const;
export const NEIGHBORHOODS = ["gaussian", "bubble", "mexicanHat", "triangle"] as const;
export const MODES = ["batch", "online"] as const;
export const SCHEDULES = ["asymptotic", "linear"] as const;
const NEIGHBORHOOD_CODE = { gaussian: 0, bubble: 1, mexicanHat: 2, triangle: 3 } as const;
const SCHEDULE_CODE = { asymptotic: 0, linear: 1 } as const;

export interface SomOptions extends RunOptions {
  /** Grid rows and columns. Default 10 × 10 (the spec's reproduction). */
  rows?: number;
  cols?: number;
  /** "rect" (default) or "hex" (MiniSom's offset rows, √3/2 spacing). */
  topology?: (typeof TOPOLOGIES)[number];
  /** Default "gaussian" (MiniSom's default); "bubble", "mexicanHat", "triangle" as in MiniSom. */
  neighborhood?: (typeof NEIGHBORHOODS)[number];
  /** "batch" (default: Kohonen's batch map, deterministic) or "online" (MiniSom's update). */
  mode?: (typeof MODES)[number];
  /** Passes over the data. Default 30. */
  epochs?: number;
  /** Initial σ in grid units, or "auto" = max(rows, cols)/2 (default; MiniSom's default is 1). */
  sigma?: number | "auto";
  /** Final σ of the linear schedule. Default 1. */
  sigmaEnd?: number;
  /** σ schedule of the online map: "asymptotic" (MiniSom default) or "linear". Batch is linear. */
  sigmaSchedule?: (typeof SCHEDULES)[number];
  /** Online learning rate η0. Default 0.5 (MiniSom). */
  learningRate?: number;
  /** η schedule of the online map. Default "asymptotic" (MiniSom). */
  learningRateSchedule?: (typeof SCHEDULES)[number];
  /** "pca" (default) or "random" (seeded distinct samples as initial weights). */
  init?: "pca" | "random";
  /** Seed of the random init and the online sample order. Default 42. */
  seed?: number;
  /** Held-out samples whose QE is tracked every epoch too (the "SOM-val" curve). */
  validation?: Matrix;
  /**
   * The centred PCA of X already computed (at least min(2, rows, columns) components), for the
   * "pca" initialisation, which otherwise computes it again: a caller that needs X's spectrum
   * anyway hands its PCA over. Ignored by the random initialisation.
   */
  pca?: PcaResult;
}

export interface SomResult {
  rows: number;
  cols: number;
  topology: "rect" | "hex";
  /** m × d node weights, nodes in row-major grid order. */
  weights: Matrix;
  /** Grid position (x, y) of every node, 2m values (hex rows offset). */
  coords: Float64Array;
  /** BMU of every training sample. */
  bmus: Int32Array;
  quantizationError: number;
  topographicError: TopographicError;
  /** QE after each epoch, on the training data and on `validation` (if given). */
  qeHistory: { train: number[]; validation: number[] };
  /**
   * Every option as resolved (σ "auto" → its value), stored with the result; `rangeScale` is the
   * power of two extreme data were scaled by while training (src/algo/range.ts), when not 1.
   */
  params: Required<Omit<SomOptions, "signal" | "onProgress" | "validation" | "pca">> & {
    sigma: number;
    rangeScale?: number;
  };
}

export interface TopographicError {
  /** 8-neighbour rectangular (MiniSom's definition); NaN on hexagonal grids. */
  rect8: number;
  /** 4-neighbour rectangular; NaN on hexagonal grids. */
  rect4: number;
  /** 6-neighbour hexagonal; NaN on rectangular grids. */
  hex6: number;
}

export interface SomProjection {
  bmus: Int32Array;
  second: Int32Array;
  /** Distance of each sample to its BMU weight. */
  distances: Float32Array;
  quantizationError: number;
  topographicError: TopographicError;
}

const defaults = {
  rows: 10,
  cols: 10,
  topology: "rect" as const,
  neighborhood: "gaussian" as const,
  mode: "batch" as const,
  epochs: 30,
  sigma: "auto" as number | "auto",
  sigmaEnd: 1,
  sigmaSchedule: "asymptotic" as const,
  learningRate: 0.5,
  learningRateSchedule: "asymptotic" as const,
  init: "pca" as const,
  seed: DEFAULT_SEED,
  validation: undefined,
  pca: undefined,
};

const HEX_ROW_SPACING = Math.sqrt(3) / 2;

/** Grid positions: rect (col, row); hex odd rows shifted by ½ and rows √3/2 apart. */
export function gridCoordinates(
  rows: number,
  cols: number,
  topology: "rect" | "hex",
): Float64Array {
  const coords = new Float64Array(rows * cols * 2);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const j = r * cols + c;
      coords[2 * j] = topology === "hex" ? c + (r % 2 === 1 ? 0.5 : 0) : c;
      coords[2 * j + 1] = topology === "hex" ? r * HEX_ROW_SPACING : r;
    }
  }
  return coords;
}

/** Whether nodes a and b are grid neighbours under a topographic-error definition. */
export function adjacent(
  a: number,
  b: number,
  cols: number,
  coords: Float64Array,
  definition: "rect8" | "rect4" | "hex6",
): boolean {
  if (a === b) return false;
  const dr = Math.abs(Math.floor(a / cols) - Math.floor(b / cols));
  const dc = Math.abs((a % cols) - (b % cols));
  if (definition === "rect8") return dr <= 1 && dc <= 1;
  if (definition === "rect4") return dr + dc === 1;
  const dx = coords[2 * a] - coords[2 * b];
  const dy = coords[2 * a + 1] - coords[2 * b + 1];
  return Math.abs(Math.hypot(dx, dy) - 1) < 1e-9;
}

/** Multiply-adds per chunk of the batch update (m·d per node). */
const BATCH_CHUNK_VALUES = 65_536;
/** Chunks of the batch sums (a node's sums read its own samples; n·d in all). */
const BATCH_ACCUMULATE_CHUNKS = 8;

/** Sample rows per BMU chunk: the kernel recomputes the m weight norms per call (m·d, small beside 256·m·d). */
const BMU_CHUNK = 256;

/** Where somBestMatching reads and writes (wasm pointers); `second` 0 skips the second BMU. */
interface BestMatchingBuffers {
  x: number;
  n: number;
  d: number;
  w: number;
  m: number;
  bmu: number;
  second: number;
  dist: number;
  /** One block of somScratchFloats(m) floats per kernel thread. */
  scratch: readonly number[];
}

/** BMUs of every sample, in row chunks on the kernel threads (each row's answer is its own). */
async function bestMatchingRows(
  core: Core,
  b: BestMatchingBuffers,
  signal?: AbortSignal,
): Promise<void> {
  await core.parallelRows(
    {
      kernel: "somBestMatching",
      rows: b.n,
      chunk: BMU_CHUNK,
      args: [
        { base: b.x, i0: b.d * 4 },
        { i1: 1, i0: -1 },
        b.d,
        b.w,
        b.m,
        { base: b.bmu, i0: 4 },
        b.second === 0 ? 0 : { base: b.second, i0: 4 },
        { base: b.dist, i0: 4 },
        { thread: b.scratch },
      ],
    },
    { signal, threads: b.scratch.length },
  );
}

function topographicError(
  bmus: Int32Array,
  second: Int32Array,
  cols: number,
  coords: Float64Array,
  topology: "rect" | "hex",
): TopographicError {
  const rate = (definition: "rect8" | "rect4" | "hex6") => {
    let errors = 0;
    for (let i = 0; i < bmus.length; i++)
      if (!adjacent(bmus[i], second[i], cols, coords, definition)) errors++;
    return bmus.length ? errors / bmus.length : 0;
  };
  return topology === "rect"
    ? { rect8: rate("rect8"), rect4: rate("rect4"), hex6: NaN }
    : { rect8: NaN, rect4: NaN, hex6: rate("hex6") };
}

function resolve(X: Matrix, options: SomOptions) {
  checkOptionNames("som", options, defaults);
  const o = { ...defaults, ...options };
  const rows = checkInteger("rows", o.rows, 1, 1000);
  const cols = checkInteger("cols", o.cols, 1, 1000);
  if (rows * cols < 2)
    throw new HiddenAtlasError("E_PARAM", `a map needs at least 2 nodes; got ${rows} × ${cols}`);
  const sigma =
    o.sigma === "auto"
      ? Math.max(rows, cols) / 2
      : checkNumber("sigma", o.sigma, 0, Infinity, { exclusiveMin: true });
  return {
    rows,
    cols,
    topology: checkKeyword("topology", o.topology, TOPOLOGIES),
    neighborhood: checkKeyword("neighborhood", o.neighborhood, NEIGHBORHOODS),
    mode: checkKeyword("mode", o.mode, MODES),
    epochs: checkInteger("epochs", o.epochs, 1, 100_000),
    sigma,
    // The default end σ (1) never exceeds a smaller starting σ the caller chose.
    sigmaEnd:
      options.sigmaEnd === undefined
        ? Math.min(defaults.sigmaEnd, sigma)
        : checkNumber("sigmaEnd", o.sigmaEnd, 0, sigma, { exclusiveMin: true }),
    sigmaSchedule: checkKeyword("sigmaSchedule", o.sigmaSchedule, SCHEDULES),
    learningRate: checkNumber("learningRate", o.learningRate, 0, Infinity, { exclusiveMin: true }),
    learningRateSchedule: checkKeyword("learningRateSchedule", o.learningRateSchedule, SCHEDULES),
    init: checkKeyword("init", o.init, ["pca", "random"] as const),
    seed: checkSeed(o.seed),
  };
}

/**
 * Initial weights: the PCA plane scaled by √eigenvalue, or seeded samples. `given` is X's PCA
 * computed by the caller, in X's units (X here is in kernel units: `scale` times the data).
 */
async function initialWeights(
  X: Matrix,
  p: ReturnType<typeof resolve>,
  core: Core,
  given: PcaResult | undefined,
  scale: number,
): Promise<Float32Array> {
  const m = p.rows * p.cols;
  const d = X.cols;
  const w = new Float32Array(m * d);
  if (p.init === "random" || X.rows < 2) {
    const rng = new Rng(core, p.seed, STREAMS.somInit);
    try {
      const order = rng.permutation(X.rows);
      for (let j = 0; j < m; j++) {
        const r = j < X.rows ? order[j] : rng.int(X.rows);
        w.set(X.data.subarray(r * d, (r + 1) * d), j * d);
      }
    } finally {
      rng.dispose();
    }
    return w;
  }
  const components = Math.min(2, X.rows, d);
  // A given PCA in kernel units: the mean times the scale, the variances times its square (a
  // power of two: exact).
  const result = given
    ? {
        mean: given.mean.map((v) => v * scale),
        components: given.components,
        explainedVariance: given.explainedVariance.map((v) => v * scale * scale),
      }
    : await pca(X, { nComponents: components });
  const stride = given ? given.params.nComponents : components;
  const along = (k: number, i: number, count: number) => {
    if (k >= components || count < 2) return 0;
    return (-1 + (2 * i) / (count - 1)) * Math.sqrt(result.explainedVariance[k]);
  };
  // PC1 runs along the longer side of the grid.
  const pc1AlongCols = p.cols >= p.rows;
  for (let r = 0; r < p.rows; r++) {
    for (let c = 0; c < p.cols; c++) {
      const a1 = pc1AlongCols ? along(0, c, p.cols) : along(0, r, p.rows);
      const a2 = pc1AlongCols ? along(1, r, p.rows) : along(1, c, p.cols);
      const j = r * p.cols + c;
      for (let k = 0; k < d; k++) {
        const v1 = result.components[k * stride];
        const v2 = components > 1 ? result.components[k * stride + 1] : 0;
        w[j * d + k] = result.mean[k] + a1 * v1 + a2 * v2;
      }
    }
  }
  return w;
}

/** A PCA handed to `som` must be X's: centred, of X's width, with the plane's components. */
function checkGivenPca(given: PcaResult, X: Matrix): void {
  const d = X.cols;
  const needed = Math.min(2, X.rows, d);
  const kept = given?.params?.nComponents;
  if (
    !given ||
    !(given.mean instanceof Float64Array) ||
    !(given.components instanceof Float64Array) ||
    !(given.explainedVariance instanceof Float64Array) ||
    !Number.isInteger(kept)
  )
    throw new HiddenAtlasError("E_PARAM", "invalid pca (expected the result of pca() on X)");
  if (!given.params.center)
    throw new HiddenAtlasError("E_PARAM", "invalid pca (expected a centred PCA: center true)");
  if (
    given.mean.length !== d ||
    given.components.length !== d * kept ||
    kept < needed ||
    given.explainedVariance.length < needed
  )
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `pca has ${given.mean.length} columns and ${kept} components; X has ${d} columns and the initial plane needs ${needed} components`,
    );
}

/**
 * Train a map on the rows of X. Data outside the kernels' range are trained on in kernel units
 * (src/algo/range.ts); the weights and quantisation errors come back in the data's units.
 */
export async function som(X: Matrix, options: SomOptions = {}): Promise<SomResult> {
  assertMatrix(X, "X");
  const p = resolve(X, options);
  if (X.rows < 1 || X.cols < 1)
    throw new HiddenAtlasError("E_PARAM", `a SOM needs data; got ${X.rows} × ${X.cols}`);
  let validation = options.validation;
  if (validation) {
    assertMatrix(validation, "validation");
    if (validation.cols !== X.cols) {
      throw new HiddenAtlasError(
        "E_SHAPE_MISMATCH",
        `validation has ${validation.cols} columns but X has ${X.cols}`,
      );
    }
  }
  if (options.pca !== undefined) checkGivenPca(options.pca, X);
  // Training and validation rows share one power of two: both are measured against the weights.
  const range = jointKernelRange(validation ? [X, validation] : [X], ["X", "validation"]);
  [X, validation] = range.matrices;
  const result = await trainInKernelUnits(X, validation, p, options, range.scale);
  if (range.scale === 1) return result;
  const unscale = 1 / range.scale;
  result.weights = {
    ...result.weights,
    data: toDataUnits(result.weights.data, unscale, "SOM weights", undefined, true),
  };
  result.quantizationError *= unscale;
  result.qeHistory = {
    train: result.qeHistory.train.map((q) => q * unscale),
    validation: result.qeHistory.validation.map((q) => q * unscale),
  };
  result.params.rangeScale = range.scale;
  return result;
}

async function trainInKernelUnits(
  X: Matrix,
  validation: Matrix | undefined,
  p: ReturnType<typeof resolve>,
  options: SomOptions,
  scale: number,
): Promise<SomResult> {
  const core = await getCore();
  const k = core.kernels;
  const m = p.rows * p.cols;
  const d = X.cols;
  const n = X.rows;
  const coords = gridCoordinates(p.rows, p.cols, p.topology);
  const initial = await initialWeights(X, p, core, options.pca, scale);
  core.assertFits(n * d * 4 + m * m * 8 + m * d * 12, `a ${p.rows} × ${p.cols} SOM of ${n} × ${d}`);
  return core.scope(async (s) => {
    const x = s.upload(X.data, "SOM samples");
    const w = s.upload(initial, "SOM weights");
    const c = s.upload(coords, "grid coordinates");
    const bmu = s.i32(Math.max(n, validation?.rows ?? 0), "BMUs");
    const dist = s.f32(Math.max(n, validation?.rows ?? 0), "BMU distances");
    const scratch = s.f32(k.somScratchFloats(m) + 2, "BMU scratch");
    const threads = core.threads;
    const threadScratch = [
      scratch.ptr,
      ...Array.from({ length: threads - 1 }, () => s.f32(k.somScratchFloats(m), "BMU scratch").ptr),
    ];
    const v = validation ? s.upload(validation.data, "validation samples") : null;
    const matchAll = (ptr: number, rows: number) =>
      bestMatchingRows(
        core,
        {
          x: ptr,
          n: rows,
          d,
          w: w.ptr,
          m,
          bmu: bmu.ptr,
          second: 0,
          dist: dist.ptr,
          scratch: threadScratch,
        },
        options.signal,
      );
    const qe = async (ptr: number, rows: number) => {
      await matchAll(ptr, rows);
      const view = dist.view();
      let sum = 0;
      for (let i = 0; i < rows; i++) sum += view[i];
      return sum / rows;
    };
    const history = { train: [] as number[], validation: [] as number[] };
    const progress = new ProgressTracker(options, "SOM", p.epochs);
    const code = NEIGHBORHOOD_CODE[p.neighborhood];
    if (p.mode === "batch") {
      const sums = s.f64(m * d, "batch sums");
      const counts = s.f64(m, "batch counts");
      const start = s.i32(m + 1, "samples by node");
      const order = s.i32(n, "samples by node");
      const nodeScratch = Array.from({ length: threads }, () => s.f64(m + d, "batch row").ptr);
      // Nodes per chunk of the two batch passes: each node writes only its own sums and weights.
      const nodeChunk = Math.max(1, Math.ceil(BATCH_CHUNK_VALUES / (m * d)));
      await matchAll(x.ptr, n);
      for (let e = 0; e < p.epochs; e++) {
        const sigma =
          p.epochs === 1 ? p.sigma : p.sigma + ((p.sigmaEnd - p.sigma) * e) / (p.epochs - 1);
        k.somGroupByNode(bmu.ptr, n, m, start.ptr, order.ptr);
        await core.parallelRows(
          {
            kernel: "somBatchAccumulateNodes",
            rows: m,
            chunk: Math.max(1, Math.ceil(m / BATCH_ACCUMULATE_CHUNKS)),
            args: [x.ptr, d, start.ptr, order.ptr, sums.ptr, counts.ptr, { i0: 1 }, { i1: 1 }],
          },
          { signal: options.signal },
        );
        await core.parallelRows(
          {
            kernel: "somBatchUpdateNodes",
            rows: m,
            chunk: nodeChunk,
            args: [
              c.ptr,
              m,
              p.cols,
              code,
              sigma,
              sums.ptr,
              counts.ptr,
              d,
              w.ptr,
              { i0: 1 },
              { i1: 1 },
              { thread: nodeScratch },
            ],
          },
          { signal: options.signal, threads: nodeScratch.length },
        );
        if (v) history.validation.push(await qe(v.ptr, validation!.rows));
        history.train.push(await qe(x.ptr, n)); // leaves the training BMUs for the next epoch
        await progress.step(e + 1);
      }
    } else {
      const rng = new Rng(core, p.seed, STREAMS.somOrder);
      try {
        const order = s.i32(n, "sample order");
        const total = p.epochs * n;
        let step = 0;
        for (let e = 0; e < p.epochs; e++) {
          step = k.somOnlineEpoch(
            rng.state,
            x.ptr,
            n,
            d,
            w.ptr,
            m,
            c.ptr,
            p.cols,
            code,
            p.sigma,
            p.sigmaEnd,
            SCHEDULE_CODE[p.sigmaSchedule],
            p.learningRate,
            SCHEDULE_CODE[p.learningRateSchedule],
            step,
            total,
            order.ptr,
            scratch.ptr,
          );
          if (v) history.validation.push(await qe(v.ptr, validation!.rows));
          history.train.push(await qe(x.ptr, n));
          await progress.step(e + 1);
        }
      } finally {
        rng.dispose();
      }
    }
    progress.finish();
    const weights: Matrix = { rows: m, cols: d, data: w.copy() };
    const result: SomResult = {
      rows: p.rows,
      cols: p.cols,
      topology: p.topology,
      weights,
      coords,
      bmus: new Int32Array(0),
      quantizationError: NaN,
      topographicError: { rect8: NaN, rect4: NaN, hex6: NaN },
      qeHistory: history,
      params: { ...p },
    };
    const projection = await somProject(result, X);
    result.bmus = projection.bmus;
    result.quantizationError = projection.quantizationError;
    result.topographicError = projection.topographicError;
    return result;
  });
}

/**
 * BMUs, second BMUs, distances, QE and TE of new samples on a trained map. Samples and weights
 * are brought into the kernels' range together (src/algo/range.ts); distances and QE are in the
 * data's units.
 */
export async function somProject(
  map: Pick<SomResult, "rows" | "cols" | "topology" | "weights" | "coords">,
  X: Matrix,
): Promise<SomProjection> {
  assertMatrix(X, "X");
  if (X.cols !== map.weights.cols) {
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `samples have ${X.cols} columns but the map's weights have ${map.weights.cols}`,
    );
  }
  const {
    matrices: [Xk, Wk],
    scale,
  } = jointKernelRange([X, map.weights], ["samples", "SOM weights"], 1);
  const core = await getCore();
  const k = core.kernels;
  const m = map.weights.rows;
  return core.scope(async (s) => {
    const x = s.upload(Xk.data, "samples");
    const w = s.upload(Wk.data, "SOM weights");
    const bmu = s.i32(Math.max(1, X.rows));
    const second = s.i32(Math.max(1, X.rows));
    const dist = s.f32(Math.max(1, X.rows));
    const scratch = Array.from({ length: core.threads }, () => s.f32(k.somScratchFloats(m)).ptr);
    await bestMatchingRows(core, {
      x: x.ptr,
      n: X.rows,
      d: X.cols,
      w: w.ptr,
      m,
      bmu: bmu.ptr,
      second: second.ptr,
      dist: dist.ptr,
      scratch,
    });
    const bmus = bmu.copy().subarray(0, X.rows);
    const seconds = second.copy().subarray(0, X.rows);
    const distances = toDataUnits(
      dist.copy().subarray(0, X.rows),
      1 / scale,
      "distances to the BMUs",
      undefined,
      true,
    );
    let sum = 0;
    for (const v of distances) sum += v;
    return {
      bmus,
      second: seconds,
      distances,
      quantizationError: X.rows ? sum / X.rows : 0,
      topographicError: topographicError(bmus, seconds, map.cols, map.coords, map.topology),
    };
  });
}

/** Grid neighbours of node j (8 on rect, 6 on hex). */
export function gridNeighbors(
  j: number,
  map: Pick<SomResult, "rows" | "cols" | "topology" | "coords">,
): number[] {
  const out: number[] = [];
  const definition = map.topology === "hex" ? "hex6" : "rect8";
  const r = Math.floor(j / map.cols);
  for (let rr = Math.max(0, r - 1); rr <= Math.min(map.rows - 1, r + 1); rr++) {
    for (let cc = 0; cc < map.cols; cc++) {
      const i = rr * map.cols + cc;
      if (adjacent(j, i, map.cols, map.coords, definition)) out.push(i);
    }
  }
  return out;
}

/**
 * U-matrix per node: the mean distance from each node's weights to its grid neighbours'
 * (MiniSom's distance_map with scaling "mean"), divided by the largest value so it lies in [0, 1].
 */
export function uMatrix(
  map: Pick<SomResult, "rows" | "cols" | "topology" | "coords" | "weights">,
): Float64Array {
  const m = map.weights.rows;
  const d = map.weights.cols;
  const w = map.weights.data;
  const out = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    const neighbors = gridNeighbors(j, map);
    let total = 0;
    for (const i of neighbors) {
      let s = 0;
      for (let k = 0; k < d; k++) s += (w[j * d + k] - w[i * d + k]) ** 2;
      total += Math.sqrt(s);
    }
    out[j] = neighbors.length ? total / neighbors.length : 0;
  }
  const max = Math.max(...out);
  if (max > 0) for (let j = 0; j < m; j++) out[j] /= max;
  return out;
}

/**
 * Ultsch's full U-matrix of a rectangular map: (2·rows − 1) × (2·cols − 1) cells; a cell between
 * two nodes holds their weight distance, a node cell the mean of the cells around it. Not
 * normalised (the distances are in the data's units).
 */
export function fullUMatrix(map: Pick<SomResult, "rows" | "cols" | "weights">): {
  rows: number;
  cols: number;
  values: Float64Array;
} {
  const R = 2 * map.rows - 1;
  const C = 2 * map.cols - 1;
  const d = map.weights.cols;
  const w = map.weights.data;
  const values = new Float64Array(R * C);
  const distance = (a: number, b: number) => {
    let s = 0;
    for (let k = 0; k < d; k++) s += (w[a * d + k] - w[b * d + k]) ** 2;
    return Math.sqrt(s);
  };
  const node = (r: number, c: number) => r * map.cols + c;
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < C; c++) {
      if (r % 2 === 0 && c % 2 === 1)
        values[r * C + c] = distance(node(r / 2, (c - 1) / 2), node(r / 2, (c + 1) / 2));
      else if (r % 2 === 1 && c % 2 === 0)
        values[r * C + c] = distance(node((r - 1) / 2, c / 2), node((r + 1) / 2, c / 2));
      else if (r % 2 === 1 && c % 2 === 1) {
        values[r * C + c] =
          (distance(node((r - 1) / 2, (c - 1) / 2), node((r + 1) / 2, (c + 1) / 2)) +
            distance(node((r - 1) / 2, (c + 1) / 2), node((r + 1) / 2, (c - 1) / 2))) /
          (2 * Math.SQRT2);
      }
    }
  }
  for (let r = 0; r < R; r += 2) {
    for (let c = 0; c < C; c += 2) {
      let total = 0;
      let count = 0;
      for (const [dr, dc] of [
        [-1, 0],
        [1, 0],
        [0, -1],
        [0, 1],
      ]) {
        const rr = r + dr;
        const cc = c + dc;
        if (rr >= 0 && rr < R && cc >= 0 && cc < C) {
          total += values[rr * C + cc];
          count++;
        }
      }
      values[r * C + c] = count ? total / count : 0;
    }
  }
  return { rows: R, cols: C, values };
}

/** Samples per node. */
export function hitMap(bmus: ArrayLike<number>, nodes: number): Int32Array {
  const hits = new Int32Array(nodes);
  for (let i = 0; i < bmus.length; i++) hits[bmus[i]]++;
  return hits;
}

/** Node × class counts (nodes × classes, row-major). */
export function labelCounts(
  bmus: ArrayLike<number>,
  labels: ArrayLike<number>,
  nodes: number,
  classes: number,
): Int32Array {
  if (bmus.length !== labels.length) {
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `${bmus.length} BMUs but ${labels.length} labels`,
    );
  }
  const counts = new Int32Array(nodes * classes);
  for (let i = 0; i < bmus.length; i++) counts[bmus[i] * classes + labels[i]]++;
  return counts;
}

/** Component plane k: every node's weight on input dimension k. */
export function componentPlane(map: Pick<SomResult, "weights">, k: number): Float32Array {
  checkInteger("component", k, 0, map.weights.cols - 1);
  const { rows: m, cols: d, data } = map.weights;
  return Float32Array.from({ length: m }, (_, j) => data[j * d + k]);
}
