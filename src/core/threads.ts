/**
 * Kernel threads: the thread-count setting, the run-time check that shared memory works here,
 * and the pool of worker instances of the core that run kernels on row chunks in parallel.
 *
 * With more than one thread the core is the shared-memory build (build/core.threads.wasm): the
 * main instance owns the allocator and every buffer; each kernel thread instantiates the same
 * module on the same `WebAssembly.Memory` and only runs kernels on memory it is pointed at. A
 * job is one kernel over rows [0, rows) in fixed chunks; the threads take chunks from a shared
 * counter, and each chunk writes only its own part of the output, so results are bit-identical
 * whatever the number of threads and whatever their timing (tested on 1, 2 and 3 threads).
 * With one thread (or where shared memory is unavailable) the SIMD build runs every chunk
 * itself, as before.
 *
 * Chosen at run time: `WebAssembly.validate` on a module with shared memory and an atomic load,
 * `SharedArrayBuffer`, workers, and in a browser `crossOriginIsolated` (COOP/COEP headers). A
 * page that is not isolated runs kernels on one thread and says so once (`threadStatus()`).
 */
import { HiddenAtlasError } from "./errors.ts";
import { serveKernels, type RangeArg } from "./kernel-thread.ts";

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
}

interface ThreadHandle {
  post(message: unknown): void;
  onMessage(listener: (message: Record<string, unknown>) => void): void;
  onError(listener: (error: Error) => void): void;
  ref(): void;
  unref(): void;
  terminate(): void;
}

interface Running {
  waiting: number;
  rows: number;
  failure: string | null;
  finish(): void;
  onRows(rows: number): void;
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
    ref: () => {},
    unref: () => {},
    terminate: () => worker.terminate(),
  };
}

/** Worker instances of the shared-memory core, each running whole chunks of a job. */
export class KernelPool {
  private nextId = 1;
  private readonly running = new Map<number, Running>();
  private busy = 0;
  private broken: string | null = null;

  private constructor(private readonly threads: ThreadHandle[]) {
    for (const thread of threads) {
      thread.onMessage((message) => this.receive(message));
      thread.onError((error) => this.fail(`a kernel thread failed: ${error.message}`));
    }
  }

  /**
   * Start `size` threads on `memory` and instantiate `module` in each. Call it before the main
   * instance runs its start function: instantiating re-applies the module's data segments, which
   * are then still what the main instance had.
   */
  static async start(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    size: number,
  ): Promise<KernelPool> {
    const threads = await Promise.all(Array.from({ length: size }, () => startThread()));
    try {
      await Promise.all(
        threads.map(
          (thread) =>
            new Promise<void>((resolve, reject) => {
              thread.onMessage((message) => {
                if (message.type === "ready") resolve();
                else if (message.type === "failed") reject(new Error(String(message.message)));
              });
              thread.onError(reject);
              thread.ref();
              thread.post({ type: "init", module, memory });
            }),
        ),
      );
    } catch (error) {
      for (const thread of threads) thread.terminate();
      throw error;
    } finally {
      for (const thread of threads) thread.unref();
    }
    return new KernelPool(threads);
  }

  get size(): number {
    return this.threads.length;
  }

  /**
   * Run `job` on `threads` of the pool's threads. Resolves when every thread has finished (also
   * after a cancellation, so that no thread still writes into memory the caller frees), with the
   * chunks' return values when `job.results`.
   */
  run(
    job: RowJob,
    threads: number,
    onRows: (rows: number) => void,
    signal?: AbortSignal,
  ): Promise<Float64Array | null> {
    if (this.broken) return Promise.reject(new HiddenAtlasError("E_WASM", this.broken));
    const chunks = Math.ceil(job.rows / job.chunk);
    const used = Math.max(1, Math.min(threads, this.threads.length, chunks));
    const control = new Int32Array(new SharedArrayBuffer(8));
    const results = job.results ? new Float64Array(new SharedArrayBuffer(8 * chunks)) : null;
    const id = this.nextId++;
    return new Promise<Float64Array | null>((resolve, reject) => {
      const abort = () => Atomics.store(control, 1, 1);
      signal?.addEventListener("abort", abort, { once: true });
      const entry: Running = {
        waiting: used,
        rows: 0,
        failure: null,
        onRows: (rows) => {
          entry.rows += rows;
          onRows(entry.rows);
        },
        finish: () => {
          signal?.removeEventListener("abort", abort);
          this.running.delete(id);
          if (--this.busy === 0) for (const thread of this.threads) thread.unref();
          if (entry.failure !== null)
            reject(
              new HiddenAtlasError(
                "E_WASM",
                `kernel ${job.kernel} failed in a thread: ${entry.failure}`,
              ),
            );
          else if (signal?.aborted)
            reject(new HiddenAtlasError("E_CANCELLED", "the computation was cancelled"));
          else resolve(results);
        },
      };
      this.running.set(id, entry);
      if (this.busy++ === 0) for (const thread of this.threads) thread.ref();
      if (signal?.aborted) abort();
      for (let slot = 0; slot < used; slot++) {
        this.threads[slot].post({
          type: "run",
          id,
          kernel: job.kernel,
          args: job.args,
          rows: job.rows,
          chunk: job.chunk,
          slot,
          control,
          results,
        });
      }
    });
  }

  private receive(message: Record<string, unknown>): void {
    const entry = this.running.get(message.id as number);
    if (!entry) return;
    if (message.type === "progress") {
      entry.onRows(message.rows as number);
    } else if (message.type === "done" || message.type === "error") {
      if (message.type === "error") entry.failure ??= String(message.message);
      if (message.rows) entry.onRows(message.rows as number);
      if (--entry.waiting === 0) entry.finish();
    }
  }

  /** A thread died: fail what runs and refuse new jobs (a new thread could not join safely). */
  private fail(reason: string): void {
    this.broken = reason;
    for (const entry of [...this.running.values()]) {
      entry.failure ??= reason;
      entry.waiting = 0;
      entry.finish();
    }
  }

  terminate(): void {
    this.fail("the kernel threads were stopped");
    for (const thread of this.threads) thread.terminate();
  }
}
