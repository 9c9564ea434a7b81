/**
 * The body of a kernel thread: a worker that instantiates the shared-memory build of the core
 * (build/core.threads.wasm) on the main instance's memory and runs kernels on the row chunks of
 * a job until none is left. It never allocates (the allocator belongs to the main instance) and
 * never runs the module's start function: it only calls kernels on memory it is pointed at.
 *
 * `serveKernels` must stay self-contained — no imports, no closures over module scope — because
 * Node starts it from its own source text (`Function.prototype.toString`); the browser entry
 * (kernel-thread-entry.ts) imports it.
 *
 * Jobs are not sent as messages: the calling thread writes each job's descriptor into a shared
 * control block (layout in `CONTROL`, shared with threads.ts) and publishes it by storing a new
 * job number in its first word. A thread that has just finished a job waits on that word
 * (`Atomics.wait`, a futex) for a while before going back to its event loop; one in its event
 * loop is woken by a `wake` message. Messages: `init` {module, memory, control, results,
 * resultsGeneration, slot} → `ready` | `failed`; `wake`; `results` {results, resultsGeneration}
 * (a larger buffer for the chunks' return values); `target` {target, targetGeneration} (the
 * shared Float32Array the next jobs copy their rows into, or null to let go of it); and, from
 * the thread, `done` {job} when it finished a job's last chunk and the job asked for a message
 * (a caller that cannot block).
 */

/** An argument of a row-chunked kernel call: a number, or a linear form evaluated per chunk. */
export type RangeArg =
  | number
  | {
      /** Constant part. */
      base?: number;
      /** Multiplier of the chunk's first row i0. */
      i0?: number;
      /** Multiplier of the chunk's end row i1 (exclusive). */
      i1?: number;
      /** Multiplier of the chunk's index. */
      chunk?: number;
      /** A value per thread slot (e.g. each thread's scratch block), added. */
      thread?: readonly number[];
    };

/** What the worker side needs of its message port. */
export interface KernelThreadPort {
  post(message: unknown): void;
  listen(handler: (message: never) => void): void;
}

/**
 * Word indices of the shared control block (an Int32Array over a SharedArrayBuffer), followed by
 * the argument table (Float64Array) and the failure text (Uint16Array); see `controlLayout`.
 */
export const CONTROL = {
  /** The published job's number (> 0), or 0 while the caller writes a descriptor. */
  JOB: 0,
  /** The next chunk to take. */
  NEXT: 1,
  /** Chunks finished (run, skipped after a stop, or failed). */
  DONE: 2,
  /** Threads inside a job (reading its descriptor). */
  ACTIVE: 3,
  /** Non-zero: run no further chunk (cancelled or failed). */
  STOP: 4,
  /** Non-zero once a chunk failed; FAIL_LENGTH code units of text describe it. */
  FAILED: 5,
  FAIL_LENGTH: 6,
  /** Rows of the chunks run so far (progress). */
  ROWS_DONE: 7,
  CHUNKS: 8,
  ROWS: 9,
  CHUNK: 10,
  /** Index of the kernel among the module's exported functions (WebAssembly.Module.exports). */
  KERNEL: 11,
  ARGS: 12,
  /** Slots that take part: 0 is the caller, thread t is slot t + 1. */
  USED: 13,
  /** Non-zero: keep each chunk's return value in the results buffer. */
  RESULTS: 14,
  /** The results buffer the job writes to (threads with another one sit the job out). */
  RESULTS_GENERATION: 15,
  /** Non-zero: the thread that finishes the last chunk posts `done`. */
  NOTIFY: 16,
  /** Microseconds a thread that finished a job polls the job word before sleeping on it. */
  SPIN: 17,
  /** Non-zero: copy each chunk's rows out after its kernel (RowJob.copyOut). */
  COPY: 18,
  /** Floats per row of the copy-out. */
  COPY_WIDTH: 19,
  /** The copy-out target the job writes to (threads with another one sit the job out). */
  TARGET_GENERATION: 20,
  /** First of one word per thread: 1 while it waits on JOB, 0 in its event loop. */
  PARKED: 32,
} as const;

/** Most arguments of a job that runs on the kernel threads (larger jobs run on the caller). */
export const MAX_ARGS = 32;
/** Code units of a failure's text kept in the control block. */
export const FAIL_TEXT = 512;

/**
 * Byte offsets of a control block for `threads` kernel threads: the words, the argument table
 * (per argument its kind — 0 a number, 1 a linear form — its constant part and the multipliers
 * of i0, i1 and the chunk index; then per slot every argument's per-thread value) and the
 * failure text. A chunk's argument is computed as on one thread: base + i0·… + i1·… + chunk·… +
 * thread value, in that order.
 */
export function controlLayout(threads: number): {
  words: number;
  args: number;
  text: number;
  bytes: number;
} {
  const words = CONTROL.PARKED + threads;
  const args = Math.ceil((words * 4) / 8) * 8;
  const text = args + 8 * MAX_ARGS * (5 + threads + 1);
  return { words, args, text, bytes: text + 2 * FAIL_TEXT };
}

export function serveKernels(port: KernelThreadPort): void {
  /** How long a thread that finished a job waits on the job word for the next one (ms). */
  const LINGER_MS = 20;
  // The same numbers as CONTROL, MAX_ARGS and controlLayout (this function stands alone).
  const JOB = 0;
  const NEXT = 1;
  const DONE = 2;
  const ACTIVE = 3;
  const STOP = 4;
  const FAILED = 5;
  const FAIL_LENGTH = 6;
  const ROWS_DONE = 7;
  const CHUNKS = 8;
  const ROWS = 9;
  const CHUNK = 10;
  const KERNEL = 11;
  const ARGS = 12;
  const USED = 13;
  const RESULTS = 14;
  const RESULTS_GENERATION = 15;
  const NOTIFY = 16;
  const SPIN = 17;
  const COPY = 18;
  const COPY_WIDTH = 19;
  const TARGET_GENERATION = 20;
  const PARKED = 32;
  const MAX_ARGS_HERE = 32;
  const FAIL_TEXT_HERE = 512;

  let kernels: ((...values: number[]) => number)[] = [];
  let control: Int32Array | null = null;
  let table: Float64Array | null = null;
  let text: Uint16Array | null = null;
  let results: Float64Array | null = null;
  let generation = 0;
  let memory: WebAssembly.Memory | null = null;
  let target: Float32Array | null = null;
  let targetGeneration = 0;
  let slot = 0;
  /** The last job this thread looked at. */
  let seen = 0;
  const describe = (error: unknown) =>
    error && typeof error === "object" && "message" in error
      ? String((error as Error).message)
      : String(error);

  /** Take and run chunks of job `job` (whose descriptor is stable while this thread is ACTIVE). */
  function runJob(ctl: Int32Array, job: number): void {
    const threads = ctl.length - PARKED;
    const t = table as Float64Array;
    const chunks = ctl[CHUNKS];
    const rows = ctl[ROWS];
    const chunk = ctl[CHUNK];
    const args = ctl[ARGS];
    const keep = ctl[RESULTS] !== 0 ? results : null;
    const fn = kernels[ctl[KERNEL]];
    const copy = ctl[COPY] !== 0 ? (target as Float32Array) : null;
    const width = ctl[COPY_WIDTH];
    const values = new Array<number>(args);
    const base = MAX_ARGS_HERE * (5 + slot);
    for (;;) {
      const c = Atomics.add(ctl, NEXT, 1);
      if (c >= chunks) return;
      if (Atomics.load(ctl, STOP) === 0) {
        const i0 = c * chunk;
        const i1 = Math.min(rows, i0 + chunk);
        try {
          for (let a = 0; a < args; a++)
            values[a] =
              t[5 * a] === 0
                ? t[5 * a + 1]
                : t[5 * a + 1] +
                  t[5 * a + 2] * i0 +
                  t[5 * a + 3] * i1 +
                  t[5 * a + 4] * c +
                  t[base + a];
          const value = fn(...values);
          if (keep) keep[c] = Number(value);
          if (copy) {
            // The chunk's rows, still in this core's cache, out of wasm memory: the source
            // address is the argument after the kernel's.
            const from =
              t[5 * args] === 0
                ? t[5 * args + 1]
                : t[5 * args + 1] +
                  t[5 * args + 2] * i0 +
                  t[5 * args + 3] * i1 +
                  t[5 * args + 4] * c +
                  t[base + args];
            const buffer = (memory as WebAssembly.Memory).buffer;
            copy.set(new Float32Array(buffer, from, (i1 - i0) * width), i0 * width);
          }
          Atomics.add(ctl, ROWS_DONE, i1 - i0);
        } catch (error) {
          if (Atomics.compareExchange(ctl, FAILED, 0, 1) === 0) {
            const message = `${describe(error)} (thread ${slot} of ${threads + 1}, chunk ${c})`;
            const length = Math.min(message.length, FAIL_TEXT_HERE);
            for (let i = 0; i < length; i++) (text as Uint16Array)[i] = message.charCodeAt(i);
            Atomics.store(ctl, FAIL_LENGTH, length);
          }
          Atomics.store(ctl, STOP, 1);
        }
      }
      if (Atomics.add(ctl, DONE, 1) + 1 === chunks) {
        Atomics.notify(ctl, DONE);
        if (ctl[NOTIFY] !== 0) port.post({ type: "done", job });
      }
    }
  }

  /**
   * Join the published job if it is new; then wait on the job word for the next one for up to
   * LINGER_MS, and go back to the event loop (a `wake` message brings the thread back).
   */
  function serve(): void {
    const ctl = control;
    if (!ctl) return;
    const parked = PARKED + slot - 1;
    let deadline = Date.now() + LINGER_MS;
    let spin = false;
    for (;;) {
      const job = Atomics.load(ctl, JOB);
      if (job !== 0 && job !== seen) {
        Atomics.add(ctl, ACTIVE, 1);
        if (Atomics.load(ctl, JOB) === job) {
          if (slot < ctl[USED]) {
            if (
              (ctl[RESULTS] !== 0 && ctl[RESULTS_GENERATION] !== generation) ||
              (ctl[COPY] !== 0 && ctl[TARGET_GENERATION] !== targetGeneration)
            ) {
              // The job writes to a larger results buffer or copies into a new target, on its
              // way as a message: sit this job out for now (the others take its chunks) and go
              // back to the event loop for it; the message brings the thread back.
              Atomics.sub(ctl, ACTIVE, 1);
              Atomics.notify(ctl, ACTIVE);
              Atomics.store(ctl, parked, 0);
              return;
            }
            seen = job;
            runJob(ctl, job);
          } else seen = job;
        }
        Atomics.sub(ctl, ACTIVE, 1);
        Atomics.notify(ctl, ACTIVE);
        deadline = Date.now() + LINGER_MS;
        spin = true;
        continue;
      }
      Atomics.store(ctl, parked, 1);
      if (spin) {
        // Back-to-back jobs: poll for a moment (no futex wake-up to wait for), then sleep.
        spin = false;
        const until = performance.now() + ctl[SPIN] / 1000;
        while (Atomics.load(ctl, JOB) === job && performance.now() < until);
        continue;
      }
      const wait = deadline - Date.now();
      if (wait > 0) {
        Atomics.wait(ctl, JOB, job, wait);
        continue;
      }
      // Leave: mark the thread as in its event loop, then look once more (a job published
      // before the mark was seen as parked, so no message comes for it).
      Atomics.store(ctl, parked, 0);
      const last = Atomics.load(ctl, JOB);
      if (last === 0 || last === seen) return;
    }
  }

  port.listen(((message: Record<string, never>) => {
    if (message.type === "init") {
      const imports = {
        env: {
          memory: message.memory,
          abort: () => {
            throw new Error("the core aborted in a kernel thread");
          },
        },
      };
      const module = message.module as WebAssembly.Module;
      WebAssembly.instantiate(module, imports as unknown as WebAssembly.Imports).then(
        (instance) => {
          const exports = instance.exports as Record<string, (...values: number[]) => number>;
          kernels = WebAssembly.Module.exports(module)
            .filter((e) => e.kind === "function")
            .map((e) => exports[e.name]);
          const buffer = message.control as SharedArrayBuffer;
          slot = message.slot as number;
          const threads = message.threads as number;
          const words = PARKED + threads;
          const args = Math.ceil((words * 4) / 8) * 8;
          control = new Int32Array(buffer, 0, words);
          table = new Float64Array(buffer, args, MAX_ARGS_HERE * (5 + threads + 1));
          text = new Uint16Array(
            buffer,
            args + 8 * MAX_ARGS_HERE * (5 + threads + 1),
            FAIL_TEXT_HERE,
          );
          results = message.results as Float64Array;
          generation = message.resultsGeneration as number;
          memory = message.memory as WebAssembly.Memory;
          seen = Atomics.load(control, JOB);
          port.post({ type: "ready" });
        },
        (error) => port.post({ type: "failed", message: describe(error) }),
      );
      return;
    }
    if (message.type === "results") {
      results = message.results as Float64Array;
      generation = message.resultsGeneration as number;
    } else if (message.type === "target") {
      target = message.target as Float32Array | null;
      targetGeneration = message.targetGeneration as number;
    } else if (message.type !== "wake") return;
    try {
      serve();
    } catch (error) {
      // Not a kernel's failure (those are caught per chunk): let the pool see the thread die.
      setTimeout(() => {
        throw error;
      });
    }
  }) as (message: never) => void);
}
