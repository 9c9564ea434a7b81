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
 * Protocol (see threads.ts): `init` {module, memory} → `ready` | `failed`; `run` {id, kernel,
 * args, rows, chunk, slot, control, results} → `progress`* then `done` | `error`. Chunks are
 * taken from the shared counter control[0]; control[1] ≠ 0 stops the job after the chunk in hand.
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

export function serveKernels(port: KernelThreadPort): void {
  /** Milliseconds between progress messages of one job. */
  const PROGRESS_INTERVAL_MS = 50;
  let kernels: Record<string, unknown> | null = null;
  const describe = (error: unknown) =>
    error && typeof error === "object" && "message" in error
      ? String((error as Error).message)
      : String(error);
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
      WebAssembly.instantiate(
        message.module as WebAssembly.Module,
        imports as unknown as WebAssembly.Imports,
      ).then(
        (instance) => {
          kernels = instance.exports as Record<string, unknown>;
          port.post({ type: "ready" });
        },
        (error) => port.post({ type: "failed", message: describe(error) }),
      );
      return;
    }
    if (message.type !== "run") return;
    const { id, kernel, args, rows, chunk, slot } = message as unknown as {
      id: number;
      kernel: string;
      args: RangeArg[];
      rows: number;
      chunk: number;
      slot: number;
    };
    const control = message.control as Int32Array;
    const results = message.results as Float64Array | null;
    const fn = kernels?.[kernel] as ((...values: number[]) => number) | undefined;
    if (typeof fn !== "function") {
      Atomics.store(control, 1, 1);
      port.post({
        type: "error",
        id,
        message: `the kernel thread has no kernel ${JSON.stringify(kernel)}`,
      });
      return;
    }
    const chunks = Math.ceil(rows / chunk);
    const values = new Array<number>(args.length);
    let pending = 0;
    let last = Date.now();
    try {
      for (;;) {
        if (Atomics.load(control, 1) !== 0) break;
        const c = Atomics.add(control, 0, 1);
        if (c >= chunks) break;
        const i0 = c * chunk;
        const i1 = Math.min(rows, i0 + chunk);
        for (let a = 0; a < args.length; a++) {
          const arg = args[a];
          values[a] =
            typeof arg === "number"
              ? arg
              : (arg.base ?? 0) +
                (arg.i0 ?? 0) * i0 +
                (arg.i1 ?? 0) * i1 +
                (arg.chunk ?? 0) * c +
                (arg.thread ? arg.thread[slot] : 0);
        }
        const value = fn(...values);
        if (results) results[c] = Number(value);
        pending += i1 - i0;
        const now = Date.now();
        if (now - last >= PROGRESS_INTERVAL_MS) {
          port.post({ type: "progress", id, rows: pending });
          pending = 0;
          last = now;
        }
      }
      port.post({ type: "done", id, rows: pending });
    } catch (error) {
      Atomics.store(control, 1, 1);
      port.post({ type: "error", id, message: describe(error) });
    }
  }) as (message: never) => void);
}
