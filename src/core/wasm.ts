/**
 * Loading the numeric core (build/core.wasm) in Node and in the browser, and the arena through
 * which every kernel call gets its memory.
 *
 * Hot paths never go through the loader's managed-object helpers: data are copied into wasm
 * memory once (`Core.upload`, `Core.resident`), kernels get raw pointers, and results are read
 * through typed-array views created fresh after each call, because memory growth detaches every
 * earlier view.
 */
import { instantiate, type ASUtil } from "@assemblyscript/loader";
import { HiddenAtlasError, formatBytes } from "./errors.ts";
import { throwIfAborted, yieldToEventLoop } from "./progress.ts";
import {
  KernelPool,
  copyChunkOut,
  activeThreads,
  noteLoadedThreads,
  noteThreadFallback,
  requestedThreads,
  threadsUnsupportedReason,
  type RowJob,
} from "./threads.ts";

/** The kernels exported by assembly/index.ts (raw wasm exports: pointers are numbers). */
export interface CoreKernels {
  memory: WebAssembly.Memory;
  alloc(bytes: number): number;
  free(ptr: number): void;
  memoryBytes(): number;
  zero(ptr: number, bytes: number): void;
  coreVersion(): number;
  rngSeed(state: number, seedLow: number, seedHigh: number, stream: number): void;
  rngFillU32(state: number, out: number, n: number): void;
  rngFillUniform(state: number, out: number, n: number): void;
  rngFillNormal(state: number, out: number, n: number): void;
  rngBounded(state: number, bound: number): number;
  rngShuffle(state: number, values: number, n: number): void;
  rngAdvance(state: number, deltaLow: number, deltaHigh: number): void;
  squaredDistanceTile(
    x: number,
    y: number,
    d: number,
    i0: number,
    i1: number,
    j0: number,
    j1: number,
    out: number,
    ld: number,
  ): void;
  dotTile(
    x: number,
    y: number,
    d: number,
    i0: number,
    i1: number,
    j0: number,
    j1: number,
    out: number,
    ld: number,
  ): void;
  normalizeRows(src: number, dst: number, n: number, d: number): void;
  finishDistances(out: number, rows: number, cols: number, ld: number, metric: number): void;
  pairwiseDistances(
    x: number,
    y: number,
    ny: number,
    d: number,
    i0: number,
    i1: number,
    metric: number,
    out: number,
  ): void;
  knnSearch(
    base: number,
    nBase: number,
    queries: number,
    q0: number,
    q1: number,
    d: number,
    k: number,
    metric: number,
    selfOffset: number,
    outIndices: number,
    outDistances: number,
    scratch: number,
  ): void;
  knnScratchBytes(k: number): number;
  symmetricEigen(a: number, n: number, values: number, scratch: number): number;
  householderSteps(
    a: number,
    n: number,
    k0: number,
    k1: number,
    d: number,
    e: number,
    scratch: number,
  ): void;
  tridiagonalEigenvalues(d: number, e: number, n: number): number;
  tridiagonalEigenvectors(
    a: number,
    n: number,
    d: number,
    e: number,
    values: number,
    count: number,
    out: number,
    scratch: number,
  ): number;
  fixEigenvectorSigns(v: number, rows: number, cols: number): void;
  columnMeans(x: number, n: number, d: number, means: number): void;
  covariance(
    x: number,
    n: number,
    d: number,
    means: number,
    ddof: number,
    out: number,
    scratch: number,
  ): void;
  covarianceScratchBytes(d: number): number;
  covarianceChunked(
    x: number,
    n: number,
    d: number,
    means: number,
    ddof: number,
    out: number,
    scratch: number,
  ): void;
  covarianceChunkedScratchBytes(d: number): number;
  covarianceChunkedAdd(
    x: number,
    n: number,
    d: number,
    means: number,
    out: number,
    scratch: number,
  ): void;
  covarianceFinish(n: number, d: number, ddof: number, out: number): void;
  covariancePieces(
    x: number,
    n: number,
    d: number,
    means: number,
    out: number,
    scratch: number,
    bounds: number,
    p0: number,
    p1: number,
  ): void;
  projectCenteredPairs(
    x: number,
    n: number,
    d: number,
    means: number,
    components: number,
    k: number,
    out: number,
    scratch: number,
  ): void;
  projectScratchBytes(k: number): number;
  symmetricMatvec(a: number, n: number, x: number, y: number): void;
  projectCentered(
    x: number,
    n: number,
    d: number,
    means: number,
    components: number,
    k: number,
    out: number,
  ): void;
  sha256Init(state: number): void;
  sha256Update(state: number, data: number, length: number): void;
  sha256Final(state: number, out: number): void;
}

/** Largest wasm32 memory: 65,536 pages of 64 KiB. */
export const WASM32_MAX_BYTES = 4 * 1024 ** 3;
/** Bytes we keep free for the allocator's own bookkeeping and small scratch. */
const HEADROOM_BYTES = 64 * 1024 ** 2;

type TypedArray =
  | Float32Array
  | Float64Array
  | Int32Array
  | Uint32Array
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array;
type TypedArrayConstructor<T extends TypedArray> = {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
};

/** A block of wasm memory holding `length` elements of one typed-array kind. */
export class WasmArray<T extends TypedArray = TypedArray> {
  constructor(
    private readonly core: Core,
    readonly ptr: number,
    readonly length: number,
    private readonly kind: TypedArrayConstructor<T>,
  ) {}

  /** A live view; call again after any kernel that may allocate. */
  view(): T {
    return new this.kind(this.core.memory.buffer, this.ptr, this.length);
  }

  /** A copy that outlives the block. */
  copy(): T {
    return this.view().slice() as T;
  }

  get bytes(): number {
    return this.length * this.kind.BYTES_PER_ELEMENT;
  }
}

/** Allocations made inside `Core.scope`; all freed when the scope ends, even on error. */
export class Scope {
  private readonly blocks: number[] = [];
  constructor(private readonly core: Core) {}

  alloc(bytes: number, what = "scratch"): number {
    const ptr = this.core.malloc(bytes, what);
    this.blocks.push(ptr);
    return ptr;
  }
  f32(length: number, what?: string): WasmArray<Float32Array> {
    return new WasmArray(this.core, this.alloc(length * 4, what), length, Float32Array);
  }
  f64(length: number, what?: string): WasmArray<Float64Array> {
    return new WasmArray(this.core, this.alloc(length * 8, what), length, Float64Array);
  }
  i32(length: number, what?: string): WasmArray<Int32Array> {
    return new WasmArray(this.core, this.alloc(length * 4, what), length, Int32Array);
  }
  u8(length: number, what?: string): WasmArray<Uint8Array> {
    return new WasmArray(this.core, this.alloc(length, what), length, Uint8Array);
  }
  /** Copy a typed array into wasm memory. */
  upload<T extends TypedArray>(values: T, what?: string): WasmArray<T> {
    const ctor = values.constructor as TypedArrayConstructor<T>;
    const ptr = this.alloc(values.byteLength, what);
    const block = new WasmArray(this.core, ptr, values.length, ctor);
    block.view().set(values as never);
    return block;
  }
  /** Free everything allocated in this scope. */
  dispose(): void {
    for (let i = this.blocks.length - 1; i >= 0; i--) this.core.free(this.blocks[i]);
    this.blocks.length = 0;
  }
  /** `using x = …` disposes x at the end of its block. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** Milliseconds between yields to the event loop while chunks of a job run on this thread. */
const INLINE_YIELD_MS = 50;

/** Options of `Core.parallelRows`. */
export interface RowJobOptions {
  /** Aborting stops the job after the chunks in hand, with E_CANCELLED. */
  signal?: AbortSignal;
  /** Rows finished so far (any order of chunks), now and then. */
  onRows?: (rows: number) => void;
  /** Most threads to use: the number of per-thread scratch blocks the arguments name. */
  threads?: number;
}

/** The loaded core: raw kernels plus the arena. */
export class Core {
  readonly kernels: CoreKernels;
  readonly version: string;
  private outstanding = 0;
  private readonly sizes = new Map<number, number>();
  /** Thread count chosen for this instance (`setThreads` decides for the shared core). */
  private ownThreads: number | null = null;

  constructor(
    kernels: CoreKernels,
    util: ASUtil,
    /** Kernel threads on this instance's shared memory (the shared-memory build), if any. */
    private readonly pool: KernelPool | null = null,
    /** Whether this is the shared core, whose thread count follows `setThreads`. */
    private readonly shared = false,
  ) {
    this.kernels = kernels;
    this.version = util.__getString(kernels.coreVersion());
  }

  /** Threads that run this core's row jobs now: 1 without kernel threads. */
  get threads(): number {
    if (!this.pool) return 1;
    const wanted = this.ownThreads ?? (this.shared ? activeThreads() : this.pool.size);
    return Math.max(1, Math.min(wanted, this.pool.size));
  }

  /** Most threads this instance can run (its pool's size, or 1). */
  get maxThreads(): number {
    return this.pool?.size ?? 1;
  }

  /** Use `threads` (1 … maxThreads) of this instance's kernel threads; `null` follows `setThreads`. */
  useThreads(threads: number | null): void {
    if (
      threads !== null &&
      (!Number.isInteger(threads) || threads < 1 || threads > this.maxThreads)
    ) {
      throw new HiddenAtlasError(
        "E_PARAM",
        `invalid threads: ${threads} (this core runs at most ${this.maxThreads})`,
        { parameter: "threads" },
      );
    }
    this.ownThreads = threads;
  }

  /**
   * Run `job.kernel` on rows [0, job.rows) in chunks of `job.chunk` rows: on this thread and the
   * kernel threads when there are several (each chunk wholly on one thread, taken in any order
   * from a shared counter), else chunk after chunk here; either way yielding to the event loop
   * now and then. Every chunk must write only its
   * own output (and per-thread scratch: `{thread: [...]}` arguments), so the result does not
   * depend on the thread count. Resolves with the chunks' return values when `job.results`.
   */
  async parallelRows(job: RowJob, options: RowJobOptions = {}): Promise<Float64Array | null> {
    const { signal, onRows } = options;
    throwIfAborted(signal);
    for (const arg of job.args) {
      if (
        typeof arg === "object" &&
        arg.thread &&
        arg.thread.length < Math.min(this.threads, options.threads ?? Infinity)
      ) {
        throw new HiddenAtlasError(
          "E_PARAM",
          `kernel ${job.kernel}: ${arg.thread.length} per-thread values for up to ${Math.min(this.threads, options.threads ?? Infinity)} threads`,
        );
      }
    }
    if (job.rows <= 0) return job.results ? new Float64Array(0) : null;
    if (!Number.isInteger(job.chunk) || job.chunk < 1)
      throw new HiddenAtlasError("E_PARAM", `invalid chunk: ${job.chunk} rows`);
    const chunks = Math.ceil(job.rows / job.chunk);
    const threads = Math.min(this.threads, options.threads ?? Infinity, chunks);
    const fn = (this.kernels as unknown as Record<string, (...args: number[]) => number>)[
      job.kernel
    ];
    if (typeof fn !== "function")
      throw new HiddenAtlasError("E_PARAM", `the core has no kernel ${JSON.stringify(job.kernel)}`);
    if (this.pool && threads > 1 && this.pool.accepts(job))
      return this.pool.run(job, threads, fn, (rows) => onRows?.(rows), signal);
    const results = job.results ? new Float64Array(chunks) : null;
    const values = new Array<number>(job.args.length);
    let last = Date.now();
    for (let c = 0; c < chunks; c++) {
      const i0 = c * job.chunk;
      const i1 = Math.min(job.rows, i0 + job.chunk);
      job.args.forEach((arg, a) => {
        values[a] =
          typeof arg === "number"
            ? arg
            : (arg.base ?? 0) +
              (arg.i0 ?? 0) * i0 +
              (arg.i1 ?? 0) * i1 +
              (arg.chunk ?? 0) * c +
              (arg.thread ? arg.thread[0] : 0);
      });
      const value = fn.apply(this.kernels, values);
      if (results) results[c] = Number(value);
      if (job.copyOut) copyChunkOut(this.memory.buffer, job.copyOut, c, i0, i1);
      onRows?.(i1);
      if (c + 1 < chunks && Date.now() - last >= INLINE_YIELD_MS) {
        await yieldToEventLoop();
        throwIfAborted(signal);
        last = Date.now();
      }
    }
    return results;
  }

  /** Stop the kernel threads (the instance keeps working on one thread). */
  stopThreads(): void {
    this.pool?.terminate();
  }

  get memory(): WebAssembly.Memory {
    return this.kernels.memory;
  }

  /** Bytes currently allocated through this arena (not yet freed). */
  get allocatedBytes(): number {
    return this.outstanding;
  }

  /**
   * Allocate raw bytes, refusing with E_TOO_LARGE (and the size) when wasm32 cannot hold them,
   * before the allocator would trap.
   */
  malloc(bytes: number, what = "buffer"): number {
    if (!Number.isFinite(bytes) || bytes < 0) {
      throw new HiddenAtlasError("E_PARAM", `invalid allocation size for ${what}: ${bytes}`);
    }
    this.assertFits(bytes, what);
    let ptr: number;
    try {
      ptr = this.kernels.alloc(bytes) >>> 0;
    } catch (error) {
      throw new HiddenAtlasError(
        "E_TOO_LARGE",
        `${what} needs ${formatBytes(bytes)} of WebAssembly memory, which this runtime could not provide (${(error as Error).message})`,
        { bytesNeeded: bytes },
      );
    }
    this.sizes.set(ptr, bytes);
    this.outstanding += bytes;
    return ptr;
  }

  free(ptr: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) return;
    this.sizes.delete(ptr);
    this.outstanding -= size;
    this.kernels.free(ptr);
  }

  /** Bytes that can still be allocated before `assertFits` refuses (the wasm32 limit less headroom). */
  get availableBytes(): number {
    return Math.max(0, WASM32_MAX_BYTES - HEADROOM_BYTES - this.outstanding);
  }

  /** Throw E_TOO_LARGE if `bytes` more cannot fit in wasm32 memory. */
  assertFits(bytes: number, what: string): void {
    const total = this.outstanding + bytes;
    if (total > WASM32_MAX_BYTES - HEADROOM_BYTES) {
      throw new HiddenAtlasError(
        "E_TOO_LARGE",
        `${what} needs ${formatBytes(bytes)} (${formatBytes(total)} in all) of WebAssembly memory; the 32-bit limit is ${formatBytes(WASM32_MAX_BYTES)}. Subsample the data or reduce its dimension.`,
        { bytesNeeded: bytes, bytesTotal: total, bytesLimit: WASM32_MAX_BYTES },
      );
    }
  }

  /** Run `fn` with a scope whose allocations are freed afterwards (sync or async). */
  scope<T>(fn: (scope: Scope) => T): T {
    const scope = new Scope(this);
    let result: T;
    try {
      result = fn(scope);
    } catch (error) {
      scope.dispose();
      throw error;
    }
    if (result instanceof Promise) {
      return result.finally(() => scope.dispose()) as T;
    }
    scope.dispose();
    return result;
  }

  /** Copy `values` into wasm memory until `dispose()`; for data kept across calls. */
  resident<T extends TypedArray>(values: T, what = "resident data"): Resident<T> {
    const scope = new Scope(this);
    return new Resident(scope, scope.upload(values, what));
  }
}

/** Data kept in wasm memory across kernel calls (e.g. an analysis' input matrix). */
export class Resident<T extends TypedArray> {
  private released = false;
  constructor(
    private readonly owner: Scope,
    readonly array: WasmArray<T>,
  ) {}
  get ptr(): number {
    if (this.released) throw new HiddenAtlasError("E_PARAM", "resident data used after dispose");
    return this.array.ptr;
  }
  dispose(): void {
    if (!this.released) this.owner.dispose();
    this.released = true;
  }
  /** `using x = …` disposes x at the end of its block. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

let pending: Promise<Core> | undefined;
/** Where the shared core comes from, when `setCoreSource` chose it. */
let chosenSource: CoreSource | undefined;
/** Where its shared-memory build comes from, when `setCoreSource` named one. */
let chosenThreadsSource: CoreSource | undefined;

/** Where a core can come from: a URL (or URL string), or the module's bytes. */
export type CoreSource = URL | string | ArrayBuffer | Uint8Array;

/**
 * Where the default build of the core lives, relative to this module: `build/core.wasm` at the
 * package root, reached from src/core/ (the repository, Vite, vitest) and from dist/core/ (the
 * installed package) alike. Written as `new URL("…", import.meta.url)` so that bundlers (Vite,
 * webpack 5, Rollup with a URL plugin) copy the file into their output and rewrite the URL.
 */
function defaultWasmUrl(): URL {
  return new URL("../../build/core.wasm", import.meta.url);
}

/**
 * The shared-memory build (kernel threads): the file `core.threads.wasm` beside wherever the
 * default core is. Not written as its own `new URL` literal, so that bundlers do not ship it
 * to every page (a page without cross-origin isolation never asks for it); a site that wants
 * threads serves it beside the core (vite.config.ts does) or names it in `setCoreSource`.
 */
function defaultThreadsWasmUrl(): URL {
  return new URL(THREADS_WASM_FILE, defaultWasmUrl());
}
/** File name of the shared-memory build, beside core.wasm. */
export const THREADS_WASM_FILE = "core.threads.wasm";

const isNode =
  typeof process !== "undefined" && typeof process.versions === "object" && !!process.versions.node;

/** The four bytes every WebAssembly module starts with ("\0asm"). */
const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

/** URL schemes a string source may use in Node; anything else there is a file path. */
const NODE_URL_SCHEMES = /^(file|https?|data|blob):/i;

/**
 * Where a string source points: in a browser a URL, relative to the page; in Node an absolute
 * URL of the schemes above, or else a file path (returned unchanged, read with fs).
 */
function locate(source: URL | string): URL | string {
  if (source instanceof URL) return source;
  if (isNode && !NODE_URL_SCHEMES.test(source)) return source;
  try {
    return new URL(source, typeof location !== "undefined" ? location.href : undefined);
  } catch {
    throw new HiddenAtlasError(
      "E_PARAM",
      `invalid core source: ${JSON.stringify(source)} is not a URL`,
    );
  }
}

async function readCoreFile(file: URL | string): Promise<Uint8Array> {
  const { readFile } = await import(/* @vite-ignore */ "node:fs/promises");
  try {
    return await readFile(file);
  } catch (error) {
    const where = file instanceof URL ? file.pathname : file;
    throw new HiddenAtlasError(
      "E_WASM",
      `cannot read the numeric core at ${where}: run \`npm run build:core\` first (${(error as Error).message})`,
    );
  }
}

async function fetchBytes(url: URL): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new HiddenAtlasError(
      "E_WASM",
      `cannot fetch the numeric core from ${url}: ${(error as Error).message}`,
    );
  }
  if (!response.ok) {
    throw new HiddenAtlasError(
      "E_WASM",
      `cannot fetch the numeric core from ${url}: HTTP ${response.status}`,
    );
  }
  // Bytes rather than instantiateStreaming: the core is ~100 KB, and a server that does not
  // label .wasm as application/wasm must not break it.
  return new Uint8Array(await response.arrayBuffer());
}

async function readWasm(where: URL | string): Promise<Uint8Array> {
  const bytes =
    typeof where === "string" || (isNode && where.protocol === "file:")
      ? await readCoreFile(where)
      : await fetchBytes(where);
  if (!WASM_MAGIC.every((byte, i) => bytes[i] === byte)) {
    // The usual cause: a dev server answering a missing file with its index page, after a
    // bundler's dependency pre-bundling moved this module away from the .wasm it points at.
    const start = JSON.stringify(new TextDecoder().decode(bytes.subarray(0, 16)));
    throw new HiddenAtlasError(
      "E_WASM",
      `${where} is not a WebAssembly module (${bytes.length} bytes starting ${start}). If a bundler moved ` +
        "hidden-atlas away from its core.wasm, serve the file and call setCoreSource() with its URL, " +
        "or exclude the package from the bundler's dependency pre-bundling.",
    );
  }
  return bytes;
}

/**
 * Instantiate the core. With no argument the shared instance (the one every algorithm uses) is
 * loaded once — from `setCoreSource`'s choice, else from the package's own `build/core.wasm` —
 * and reused; pass bytes or a URL for a separate instance (e.g. a debug build).
 */
export function loadCore(source?: CoreSource, options: { threads?: number } = {}): Promise<Core> {
  if (source === undefined) {
    pending ??= instantiateShared().catch((error) => {
      pending = undefined;
      throw error;
    });
    return pending;
  }
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1)
    throw new HiddenAtlasError("E_PARAM", `invalid threads: ${threads} (expected an integer ≥ 1)`, {
      parameter: "threads",
    });
  return threads > 1 ? instantiateThreaded(source, threads, false) : instantiateCore(source);
}

/**
 * The shared core: the shared-memory build running on the calling thread and one kernel thread
 * per further requested thread when more than one is asked for ("auto": every core) and this environment allows it, else the
 * SIMD build on the calling thread — noted once, with the reason (`threadStatus()`).
 */
async function instantiateShared(): Promise<Core> {
  const wanted = await requestedThreads();
  if (wanted > 1) {
    const reason =
      chosenSource !== undefined && chosenThreadsSource === undefined
        ? "setCoreSource named no shared-memory build (core.threads.wasm)"
        : threadsUnsupportedReason();
    if (reason === null) {
      try {
        const core = await instantiateThreaded(
          chosenThreadsSource ?? defaultThreadsWasmUrl(),
          wanted,
          true,
        );
        noteLoadedThreads(wanted);
        return core;
      } catch (error) {
        noteThreadFallback(
          `kernel threads could not start (${(error as Error).message}); kernels run on one thread`,
        );
      }
    } else {
      noteThreadFallback(`kernels run on one thread: ${reason}`);
    }
  }
  const core = await instantiateCore(chosenSource ?? defaultWasmUrl());
  noteLoadedThreads(1);
  return core;
}

/**
 * Load the shared core from `source` instead of the package's `build/core.wasm`: for hosts that
 * bundle the package without copying the file beside it (a URL to a copy you serve, or the
 * bytes). `threadsSource` is the shared-memory build (`hidden-atlas/core.threads.wasm`) for
 * kernel threads; without it the core runs on one thread. Call it before the first
 * computation; once the shared core is loaded, choosing another source is an E_PARAM error
 * (memory already handed out belongs to the first one).
 *
 * @example
 *   import wasmUrl from "hidden-atlas/core.wasm?url"; // Vite; any URL of the file works
 *   setCoreSource(wasmUrl);
 */
export function setCoreSource(source: CoreSource, threadsSource?: CoreSource): void {
  if (typeof source === "string") locate(source); // reject a malformed URL now, not at first use
  if (typeof threadsSource === "string") locate(threadsSource);
  if (pending !== undefined && (source !== chosenSource || threadsSource !== chosenThreadsSource)) {
    throw new HiddenAtlasError(
      "E_PARAM",
      "the numeric core is already loaded: call setCoreSource before the first computation",
    );
  }
  chosenSource = source;
  chosenThreadsSource = threadsSource;
}

/** Pages of the shared memory: the module's own initial and maximum (asconfig.json). */
const INITIAL_PAGES = 32;
const MAXIMUM_PAGES = 65536;

/**
 * The shared-memory build on a new shared memory, running jobs on `threads` threads (this one
 * and threads − 1 kernel threads, started before the main instance runs its start function: see
 * KernelPool.start).
 */
async function instantiateThreaded(
  source: CoreSource,
  threads: number,
  shared: boolean,
): Promise<Core> {
  const bytes =
    source instanceof URL || typeof source === "string" ? await readWasm(locate(source)) : source;
  let module: WebAssembly.Module;
  let memory: WebAssembly.Memory;
  try {
    module = await WebAssembly.compile(bytes as BufferSource);
    memory = new WebAssembly.Memory({
      initial: INITIAL_PAGES,
      maximum: MAXIMUM_PAGES,
      shared: true,
    });
  } catch (error) {
    throw new HiddenAtlasError(
      "E_WASM",
      `cannot compile the shared-memory core: ${(error as Error).message}`,
    );
  }
  const { exports, instance } = await instantiate(module, { env: { memory } });
  const pool = await KernelPool.start(module, memory, threads);
  try {
    (instance.exports._start as () => void)();
  } catch (error) {
    pool.terminate();
    throw new HiddenAtlasError(
      "E_WASM",
      `the shared-memory core failed to start: ${(error as Error).message}`,
    );
  }
  return new Core(
    instance.exports as unknown as CoreKernels,
    exports as unknown as ASUtil,
    pool,
    shared,
  );
}

async function instantiateCore(source: CoreSource): Promise<Core> {
  const bytes =
    source instanceof URL || typeof source === "string" ? await readWasm(locate(source)) : source;
  try {
    const { exports, instance } = await instantiate(bytes as BufferSource, {});
    return new Core(instance.exports as unknown as CoreKernels, exports as unknown as ASUtil);
  } catch (error) {
    if (error instanceof HiddenAtlasError) throw error;
    throw new HiddenAtlasError(
      "E_WASM",
      `cannot instantiate the numeric core: ${(error as Error).message}. It needs WebAssembly SIMD (Node ≥ 16.4, Chrome ≥ 91, Firefox ≥ 89, Safari ≥ 16.4).`,
    );
  }
}

/** The shared core (alias of `loadCore()`). */
export const getCore = (): Promise<Core> => loadCore();
