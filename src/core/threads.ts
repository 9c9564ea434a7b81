/**
 * Kernel threads: the thread-count setting, the run-time check that shared memory works here,
 * and the pool of worker instances of the core that run kernels on row chunks in parallel.
 *
 * With more than one thread the core is the shared-memory build (build/core.threads.wasm): the
 * main instance owns the allocator and every buffer; each kernel thread instantiates the same
 * module on the same `WebAssembly.Memory` and only runs kernels on memory it is pointed at. A
 * job is one kernel over rows [0, rows) in fixed chunks; the calling thread and the kernel
 * threads take chunks from a shared counter, and each chunk writes only its own part of the
 * output, so results are bit-identical whatever the number of threads and whatever their timing
 * (tested on 1, 2, 3 and 4 threads).
 * With one thread (or where shared memory is unavailable) the SIMD build runs every chunk
 * itself, as before.
 *
 * Chosen at run time: `WebAssembly.validate` on a module with shared memory and an atomic load,
 * `SharedArrayBuffer`, workers, and in a browser `crossOriginIsolated` (COOP/COEP headers). A
 * page that is not isolated runs kernels on one thread and says so once (`threadStatus()`).
 */
import { HiddenAtlasError } from "./errors.ts";
import { yieldToEventLoop } from "./progress.ts";
import {
  CONTROL,
  FAIL_TEXT,
  MAX_ARGS,
  controlLayout,
  serveKernels,
  type RangeArg,
} from "./kernel-thread.ts";

export type { RangeArg };

import { MAX_THREADS } from "./thread-count.ts";

export { MAX_THREADS, parseThreads } from "./thread-count.ts";

const isNode =
  typeof process !== "undefined" && typeof process.versions === "object" && !!process.versions.node;

/**
 * A module with a shared memory (flags 3: maximum + shared, 1 page) and a function doing
 * `i32.atomic.load`: valid exactly where the threads proposal is supported.
 */
const THREADS_PROBE = new Uint8Array([
  0x00,
  0x61,
  0x73,
  0x6d,
  0x01,
  0x00,
  0x00,
  0x00, // "\0asm", version 1
  0x01,
  0x04,
  0x01,
  0x60,
  0x00,
  0x00, // type section: () -> ()
  0x03,
  0x02,
  0x01,
  0x00, // function section: one function of type 0
  0x05,
  0x04,
  0x01,
  0x03,
  0x01,
  0x01, // memory section: shared, 1 page, maximum 1
  0x0a,
  0x0b,
  0x01,
  0x09,
  0x00,
  0x41,
  0x00,
  0xfe,
  0x10,
  0x02,
  0x00,
  0x1a,
  0x0b, // i32.const 0; i32.atomic.load; drop
]);

let requested: number | "auto" = "auto";
/** Threads of the shared core once it is loaded (its pool size, or 1). */
let loaded: number | null = null;
let statusNote: string | null = null;

/**
 * Set the number of threads kernels and independent analysis steps run on: a count ≥ 1 or
 * "auto" (the default: every core, `os.availableParallelism()` / `navigator.hardwareConcurrency`).
 * Set it before the first computation: the core starts its threads when it loads. Afterwards a
 * count up to the loaded core's is accepted (1 runs every kernel on the calling thread); more is
 * an E_PARAM error.
 *
 * @example
 *   setThreads(4);          // hidden-atlas --threads 4; ?threads=4 in a notebook's URL
 */
export function setThreads(threads: number | "auto"): void {
  if (
    threads !== "auto" &&
    (typeof threads !== "number" ||
      !Number.isInteger(threads) ||
      threads < 1 ||
      threads > MAX_THREADS)
  ) {
    throw new HiddenAtlasError(
      "E_PARAM",
      `invalid threads: ${String(threads)} (expected an integer from 1 to ${MAX_THREADS}, or "auto" for every core)`,
      { parameter: "threads" },
    );
  }
  if (loaded !== null && threads !== "auto" && threads > loaded) {
    throw new HiddenAtlasError(
      "E_PARAM",
      `invalid threads: ${threads} (the core was loaded with ${loaded} thread${loaded === 1 ? "" : "s"}; set threads before the first computation to use more)`,
      { parameter: "threads" },
    );
  }
  requested = threads;
}

/** The thread setting as given ("auto" or a count). */
export function threadSetting(): number | "auto" {
  return requested;
}

/** Cores of this machine (at least 1). */
export async function availableCores(): Promise<number> {
  if (isNode) {
    const os = await import(/* @vite-ignore */ "node:os");
    return Math.max(
      1,
      typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length,
    );
  }
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
    ?.hardwareConcurrency;
  return Math.max(1, Number.isInteger(cores) ? (cores as number) : 1);
}

/** The thread count the setting resolves to (every core for "auto"), before support is checked. */
export async function requestedThreads(): Promise<number> {
  return requested === "auto" ? availableCores() : requested;
}

/** Why kernel threads cannot run here, or null when they can. */
export function threadsUnsupportedReason(): string | null {
  if (!isNode) {
    if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== true) {
      return "the page is not cross-origin isolated (it needs the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp); independent steps still run in parallel workers";
    }
    if (typeof Worker !== "function") return "this context cannot start workers";
  }
  if (typeof SharedArrayBuffer !== "function") return "SharedArrayBuffer is not available";
  try {
    if (!WebAssembly.validate(THREADS_PROBE))
      return "this WebAssembly engine has no threads (shared memory and atomics)";
  } catch {
    return "this WebAssembly engine has no threads (shared memory and atomics)";
  }
  return null;
}

/** Record (once) why the core runs on fewer threads than asked; the first note is kept. */
export function noteThreadFallback(message: string): void {
  if (statusNote !== null) return;
  statusNote = message;
  console.warn(`hidden-atlas: ${message}`);
}

/** Called by the core loader once the shared core runs, with its thread count. */
export function noteLoadedThreads(threads: number): void {
  loaded = threads;
  if (requested !== "auto" && requested > threads) requested = threads;
}

/** Threads the kernels of the shared core use now (1 until it loads). */
export function activeThreads(): number {
  if (loaded === null) return 1;
  return requested === "auto" ? loaded : Math.min(requested, loaded);
}

/** What a notebook shows about threads: the setting, what runs, and why if fewer. */
export function threadStatus(): {
  setting: number | "auto";
  threads: number;
  loaded: number | null;
  note: string | null;
} {
  return { setting: requested, threads: activeThreads(), loaded, note: statusNote };
}

/** One kernel over rows [0, rows) in chunks of `chunk` rows. */
export interface RowJob {
  /** Name of an exported kernel. */
  kernel: string;
  rows: number;
  /** Rows per chunk (chunk c is rows [c·chunk, min(rows, (c + 1)·chunk))). */
  chunk: number;
  /** The kernel's arguments, evaluated per chunk (see RangeArg). */
  args: readonly RangeArg[];
  /** Keep each chunk's return value (e.g. a count written). */
  results?: boolean;
  /** After each chunk, the thread that ran it copies the chunk's rows out (see CopyOut). */
  copyOut?: CopyOut;
}

/**
 * Rows a chunk leaves in wasm memory, copied out by the thread that computed them right after
 * its kernel returns (in parallel, while the rows are still in its cache): (i1 − i0)·width
 * floats from the byte address `from` (a RangeArg, evaluated per chunk like the arguments, e.g.
 * the thread's own scratch block) to `to[i0·width …]`. On kernel threads `to` must be backed by
 * a SharedArrayBuffer; fresh pages of `to` are then also first touched on every thread.
 */
export interface CopyOut {
  to: Float32Array;
  from: RangeArg;
  width: number;
}

/**
 * The copy of `copyOut` for chunk `c`, rows [i0, i1), run by the thread of `slot` on the wasm
 * memory `buffer` (one-thread path; kernel-thread.ts does the same in its own words).
 */
export function copyChunkOut(
  buffer: ArrayBufferLike,
  copyOut: CopyOut,
  c: number,
  i0: number,
  i1: number,
  slot = 0,
): void {
  const arg = copyOut.from;
  const from =
    typeof arg === "number"
      ? arg
      : (arg.base ?? 0) +
        (arg.i0 ?? 0) * i0 +
        (arg.i1 ?? 0) * i1 +
        (arg.chunk ?? 0) * c +
        (arg.thread ? arg.thread[slot] : 0);
  const width = copyOut.width;
  copyOut.to.set(new Float32Array(buffer, from, (i1 - i0) * width), i0 * width);
}

interface ThreadHandle {
  post(message: unknown): void;
  onMessage(listener: (message: Record<string, unknown>) => void): void;
  onError(listener: (error: Error) => void): void;
  /** The thread stopped (Node: its exit event), with its exit code. */
  onExit(listener: (code: number) => void): void;
  ref(): void;
  unref(): void;
  terminate(): void;
}

/** Text of the kernel thread for Node's `eval` workers: self-contained, as kernel-thread.ts requires. */
function nodeThreadSource(): string {
  // `__name` is the helper esbuild (tsx, vitest) wraps named functions in when it keeps names.
  return `"use strict";
var __name = (target) => target;
const { parentPort } = require("node:worker_threads");
(${serveKernels.toString()})({ post: (message) => parentPort.postMessage(message), listen: (handler) => parentPort.on("message", handler) });`;
}

async function startThread(): Promise<ThreadHandle> {
  if (isNode) {
    const { Worker } = await import(/* @vite-ignore */ "node:worker_threads");
    const worker = new Worker(nodeThreadSource(), { eval: true, name: "hidden-atlas kernels" });
    worker.unref();
    return {
      post: (message) => worker.postMessage(message),
      onMessage: (listener) => worker.on("message", listener),
      onError: (listener) => worker.on("error", listener),
      onExit: (listener) => worker.on("exit", listener),
      ref: () => worker.ref(),
      unref: () => worker.unref(),
      terminate: () => void worker.terminate(),
    };
  }
  // ".js": the compiled file beside dist/core/threads.js; Vite maps it to the .ts source here.
  const worker = new Worker(new URL("./kernel-thread-entry.js", import.meta.url), {
    type: "module",
    name: "hidden-atlas kernels",
  });
  return {
    post: (message) => worker.postMessage(message),
    onMessage: (listener) => worker.addEventListener("message", (event) => listener(event.data)),
    onError: (listener) =>
      worker.addEventListener("error", (event) =>
        listener(new Error(event.message || "kernel thread error")),
      ),
    onExit: () => {},
    ref: () => {},
    unref: () => {},
    terminate: () => worker.terminate(),
  };
}

/** Milliseconds between yields to the event loop while a job runs (progress and abort get in). */
const YIELD_MS = 50;

let blockingAllowed: boolean | null = null;

/**
 * Whether this thread may block in `Atomics.wait` (Node, workers; not a browser's main thread,
 * where it throws): checked once, on a word that never holds the expected value.
 */
export function canBlock(): boolean {
  if (blockingAllowed === null) {
    try {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
      blockingAllowed = true;
    } catch {
      blockingAllowed = false;
    }
  }
  return blockingAllowed;
}

/** How the calling thread takes part in a job (see `setDispatch`). */
export interface Dispatch {
  /** The caller runs chunks itself (slot 0) besides the kernel threads. */
  callerTakesChunks: boolean;
  /** How the caller waits for the threads' last chunks: `Atomics.wait` where allowed, or a message. */
  wait: "auto" | "message";
  /**
   * Microseconds a thread polls a shared word before sleeping on it: the caller waiting for the
   * last chunks, a kernel thread for the next job (0: sleep at once).
   */
  spin: number;
}

const dispatch: Dispatch = { callerTakesChunks: true, wait: "auto", spin: 50 };

/**
 * Change how jobs are dispatched, for tests and measurements: the defaults (the caller takes
 * chunks; it blocks on the chunk counter where it may) are the fast ones, and every choice
 * gives the same bytes.
 */
export function setDispatch(options: Partial<Dispatch>): void {
  Object.assign(dispatch, options);
}

/**
 * The kernel threads of one shared-memory instance of the core. A job of T threads runs on the
 * calling thread (slot 0, with its own instance) and T − 1 kernel threads (slots 1 …), which all
 * take chunks from one shared counter; the job's descriptor is written into a shared control
 * block (see kernel-thread.ts), so dispatching costs a few atomic operations, and a message only
 * for a thread that has gone back to its event loop. The caller waits for the threads' last
 * chunks on the counter of finished chunks with `Atomics.wait` where it may block, else for a
 * message from the thread that finished the last one. Jobs run one at a time, in call order.
 */
export class KernelPool {
  private readonly ctl: Int32Array;
  private readonly table: Float64Array;
  private readonly text: Uint16Array;
  private results: Float64Array;
  private resultsGeneration = 0;
  /** The copy-out target the kernel threads were last sent (null: none, or released). */
  private target: Float32Array | null = null;
  private targetGeneration = 0;
  private readonly kernelIndex = new Map<string, number>();
  private job = 0;
  private busy = false;
  private readonly queue: (() => void)[] = [];
  private broken: string | null = null;
  private stopping = false;
  /** Wakes a caller waiting for a `done` message (or for the pool's failure). */
  private wakeCaller: (() => void) | null = null;
  private lastYield = Date.now();

  private constructor(
    private readonly threads: ThreadHandle[],
    private readonly memory: WebAssembly.Memory,
    module: WebAssembly.Module,
    control: SharedArrayBuffer,
    results: Float64Array,
  ) {
    const layout = controlLayout(threads.length);
    this.ctl = new Int32Array(control, 0, layout.words);
    this.table = new Float64Array(control, layout.args, (layout.text - layout.args) / 8);
    this.text = new Uint16Array(control, layout.text, FAIL_TEXT);
    this.results = results;
    WebAssembly.Module.exports(module)
      .filter((e) => e.kind === "function")
      .forEach((e, i) => this.kernelIndex.set(e.name, i));
    for (const thread of threads) {
      thread.onMessage((message) => {
        if (message.type === "done") this.wakeCaller?.();
      });
      thread.onError((error) => this.fail(`a kernel thread failed: ${error.message}`));
      thread.onExit((code) => {
        if (!this.stopping) this.fail(`a kernel thread stopped (exit code ${code})`);
      });
    }
  }

  /**
   * Start the kernel threads of `threads` threads (the caller and threads − 1 kernel threads) on
   * `memory` and instantiate `module` in each. Call it before the main instance runs its start
   * function: instantiating re-applies the module's data segments, which are then still what
   * the main instance had.
   */
  static async start(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    threads: number,
  ): Promise<KernelPool> {
    const helpers = Math.max(0, threads - 1);
    const control = new SharedArrayBuffer(controlLayout(helpers).bytes);
    const results = new Float64Array(new SharedArrayBuffer(8 * 1024));
    const handles = await Promise.all(Array.from({ length: helpers }, () => startThread()));
    try {
      await Promise.all(
        handles.map(
          (thread, t) =>
            new Promise<void>((resolve, reject) => {
              thread.onMessage((message) => {
                if (message.type === "ready") resolve();
                else if (message.type === "failed") reject(new Error(String(message.message)));
              });
              thread.onError(reject);
              thread.ref();
              thread.post({
                type: "init",
                module,
                memory,
                control,
                threads: helpers,
                slot: t + 1,
                results,
                resultsGeneration: 0,
              });
            }),
        ),
      );
    } catch (error) {
      for (const thread of handles) thread.terminate();
      throw error;
    } finally {
      for (const thread of handles) thread.unref();
    }
    return new KernelPool(handles, memory, module, control, results);
  }

  /** Threads a job can run on: the caller and the kernel threads. */
  get size(): number {
    return this.threads.length + 1;
  }

  /**
   * Whether `job` can run here: its kernel is an export, it has at most MAX_ARGS arguments (one
   * fewer with a copy-out, whose source address takes the last place) and a copy-out's target is
   * shared memory.
   */
  accepts(job: RowJob): boolean {
    if (!this.kernelIndex.has(job.kernel)) return false;
    if (!job.copyOut) return job.args.length <= MAX_ARGS;
    return (
      job.args.length < MAX_ARGS &&
      typeof SharedArrayBuffer === "function" &&
      job.copyOut.to.buffer instanceof SharedArrayBuffer
    );
  }

  /**
   * Run `job` on `threads` threads: this one, running `kernel` (the same kernel of its own
   * instance), and threads − 1 kernel threads. Resolves when every chunk has finished (also
   * after a cancellation, so that no thread still writes into memory the caller frees), with
   * the chunks' return values when `job.results`.
   */
  async run(
    job: RowJob,
    threads: number,
    kernel: (...args: number[]) => number,
    onRows: (rows: number) => void,
    signal?: AbortSignal,
  ): Promise<Float64Array | null> {
    if (this.busy) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.busy = true;
    try {
      return await this.execute(job, threads, kernel, onRows, signal);
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.busy = false;
    }
  }

  private async execute(
    job: RowJob,
    threads: number,
    kernel: (...args: number[]) => number,
    onRows: (rows: number) => void,
    signal?: AbortSignal,
  ): Promise<Float64Array | null> {
    if (this.broken) throw new HiddenAtlasError("E_WASM", this.broken);
    if (Date.now() - this.lastYield >= YIELD_MS) await this.yield();
    if (signal?.aborted) throw new HiddenAtlasError("E_CANCELLED", "the computation was cancelled");
    const ctl = this.ctl;
    const { JOB, NEXT, DONE, ACTIVE, STOP, FAILED, FAIL_LENGTH, ROWS_DONE } = CONTROL;
    const chunks = Math.ceil(job.rows / job.chunk);
    const used = Math.max(2, Math.min(threads, this.size, chunks));
    const blocking = dispatch.wait === "auto" && canBlock();
    if (job.results && chunks > this.results.length) this.growResults(chunks);
    const copyOut = job.copyOut ?? null;
    if (copyOut && copyOut.to !== this.target) this.sendTarget(copyOut.to);

    // Wait for threads still reading the last descriptor to leave it, then write this one.
    Atomics.store(ctl, JOB, 0);
    for (let start = Date.now(); ;) {
      const active = Atomics.load(ctl, ACTIVE);
      if (active === 0) break;
      if (blocking) Atomics.wait(ctl, ACTIVE, active, 1);
      if (Date.now() - start >= YIELD_MS) {
        await this.yield();
        if (this.broken) throw new HiddenAtlasError("E_WASM", this.broken);
        start = Date.now();
      }
    }
    ctl[NEXT] = 0;
    ctl[DONE] = 0;
    ctl[STOP] = 0;
    ctl[FAILED] = 0;
    ctl[FAIL_LENGTH] = 0;
    ctl[ROWS_DONE] = 0;
    ctl[CONTROL.CHUNKS] = chunks;
    ctl[CONTROL.ROWS] = job.rows;
    ctl[CONTROL.CHUNK] = job.chunk;
    ctl[CONTROL.KERNEL] = this.kernelIndex.get(job.kernel) as number;
    ctl[CONTROL.ARGS] = job.args.length;
    ctl[CONTROL.USED] = used;
    ctl[CONTROL.RESULTS] = job.results ? 1 : 0;
    ctl[CONTROL.RESULTS_GENERATION] = this.resultsGeneration;
    ctl[CONTROL.NOTIFY] = blocking ? 0 : 1;
    ctl[CONTROL.SPIN] = dispatch.spin;
    ctl[CONTROL.COPY] = copyOut ? 1 : 0;
    ctl[CONTROL.COPY_WIDTH] = copyOut ? copyOut.width : 0;
    ctl[CONTROL.TARGET_GENERATION] = this.targetGeneration;
    const table = this.table;
    const put = (arg: RangeArg, a: number) => {
      if (typeof arg === "number") {
        table[5 * a] = 0;
        table[5 * a + 1] = arg;
        return;
      }
      table[5 * a] = 1;
      table[5 * a + 1] = arg.base ?? 0;
      table[5 * a + 2] = arg.i0 ?? 0;
      table[5 * a + 3] = arg.i1 ?? 0;
      table[5 * a + 4] = arg.chunk ?? 0;
      for (let slot = 0; slot < used; slot++)
        table[MAX_ARGS * (5 + slot) + a] = arg.thread ? arg.thread[slot] : 0;
    };
    job.args.forEach(put);
    // The copy-out's source address: the argument after the kernel's.
    if (copyOut) put(copyOut.from, job.args.length);
    this.job = this.job >= 0x7fffffff ? 1 : this.job + 1;
    Atomics.store(ctl, JOB, this.job);
    Atomics.notify(ctl, JOB);
    for (let t = 0; t < used - 1; t++)
      if (Atomics.load(ctl, CONTROL.PARKED + t) === 0) this.threads[t].post({ type: "wake" });

    const stop = () => Atomics.store(ctl, STOP, 1);
    signal?.addEventListener("abort", stop, { once: true });
    let callerError: unknown = null;
    try {
      // This thread's share: chunks from the same counter, with slot 0's arguments.
      if (dispatch.callerTakesChunks) {
        const values = new Array<number>(job.args.length);
        const base = MAX_ARGS * 5;
        const keep = job.results ? this.results : null;
        for (;;) {
          const c = Atomics.add(ctl, NEXT, 1);
          if (c >= chunks) break;
          if (Atomics.load(ctl, STOP) === 0) {
            const i0 = c * job.chunk;
            const i1 = Math.min(job.rows, i0 + job.chunk);
            try {
              for (let a = 0; a < values.length; a++)
                values[a] =
                  table[5 * a] === 0
                    ? table[5 * a + 1]
                    : table[5 * a + 1] +
                      table[5 * a + 2] * i0 +
                      table[5 * a + 3] * i1 +
                      table[5 * a + 4] * c +
                      table[base + a];
              const value = kernel(...values);
              if (keep) keep[c] = Number(value);
              if (copyOut) copyChunkOut(this.memory.buffer, copyOut, c, i0, i1);
              Atomics.add(ctl, ROWS_DONE, i1 - i0);
            } catch (error) {
              callerError = error;
              stop();
            }
          }
          if (Atomics.add(ctl, DONE, 1) + 1 === chunks) break;
          onRows(Atomics.load(ctl, ROWS_DONE));
          if (Date.now() - this.lastYield >= YIELD_MS) {
            await this.yield();
            if (signal?.aborted || this.broken) stop();
          }
        }
      }
      // The threads' last chunks.
      while (Atomics.load(ctl, DONE) < chunks && !this.broken) {
        if (blocking) {
          const until = performance.now() + dispatch.spin / 1000;
          while (Atomics.load(ctl, DONE) < chunks && performance.now() < until);
          const done = Atomics.load(ctl, DONE);
          if (done < chunks) Atomics.wait(ctl, DONE, done, YIELD_MS);
          if (Date.now() - this.lastYield >= YIELD_MS) {
            onRows(Atomics.load(ctl, ROWS_DONE));
            await this.yield();
            if (signal?.aborted) stop();
          }
        } else {
          for (const thread of this.threads) thread.ref();
          try {
            await new Promise<void>((resolve) => (this.wakeCaller = resolve));
          } finally {
            this.wakeCaller = null;
            for (const thread of this.threads) thread.unref();
          }
        }
      }
    } finally {
      signal?.removeEventListener("abort", stop);
      // Let the threads drop the target (it may be large, and is the caller's now).
      if (copyOut) this.sendTarget(null);
    }
    onRows(Atomics.load(ctl, ROWS_DONE));
    if (this.broken) throw new HiddenAtlasError("E_WASM", this.broken);
    if (callerError !== null) {
      if (callerError instanceof HiddenAtlasError) throw callerError;
      throw new HiddenAtlasError(
        "E_WASM",
        `kernel ${job.kernel} failed: ${(callerError as Error)?.message ?? String(callerError)}`,
      );
    }
    if (Atomics.load(ctl, FAILED) !== 0) {
      const length = Atomics.load(ctl, FAIL_LENGTH);
      const message = String.fromCharCode(...this.text.subarray(0, length));
      throw new HiddenAtlasError("E_WASM", `kernel ${job.kernel} failed in a thread: ${message}`);
    }
    if (signal?.aborted) throw new HiddenAtlasError("E_CANCELLED", "the computation was cancelled");
    return job.results ? this.results.slice(0, chunks) : null;
  }

  private async yield(): Promise<void> {
    await yieldToEventLoop();
    this.lastYield = Date.now();
  }

  /** A larger buffer for the chunks' return values, sent to every thread before the job. */
  private growResults(chunks: number): void {
    this.results = new Float64Array(
      new SharedArrayBuffer(8 * Math.max(chunks, 2 * this.results.length)),
    );
    this.resultsGeneration++;
    for (const thread of this.threads)
      thread.post({
        type: "results",
        results: this.results,
        resultsGeneration: this.resultsGeneration,
      });
  }

  /**
   * The copy-out target of the next jobs, sent to every thread (a thread that has not received
   * it when a job starts sits the job out until it has); null releases the last one.
   */
  private sendTarget(target: Float32Array | null): void {
    this.target = target;
    this.targetGeneration = this.targetGeneration >= 0x7fffffff ? 1 : this.targetGeneration + 1;
    for (const thread of this.threads)
      thread.post({ type: "target", target, targetGeneration: this.targetGeneration });
  }

  /** A thread died: fail what runs and refuse new jobs (a new thread could not join safely). */
  private fail(reason: string): void {
    this.broken ??= reason;
    this.wakeCaller?.();
  }

  terminate(): void {
    this.fail("the kernel threads were stopped");
    this.stopping = true;
    for (const thread of this.threads) thread.terminate();
  }
}
