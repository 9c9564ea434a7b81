/**
 * The main-thread side of the analysis worker: `run(task, args, {signal, onProgress, cell})`.
 * A newer run for the same `cell` cancels the older one (a slider moved again); aborting the
 * signal cancels too. Cancelled runs reject with E_CANCELLED.
 */
import { HiddenAtlasError } from "../core/errors.ts";
import type { RunOptions } from "../core/progress.ts";
import type { Request, Response } from "./protocol.ts";
import type { WorkerThreadStatus } from "./tasks.ts";

/** What the client needs of a Web Worker or a worker_threads Worker. */
export interface WorkerPort {
  postMessage(message: Request, transfer?: Transferable[]): void;
  onMessage(listener: (message: Response) => void): void;
  onError(listener: (error: Error) => void): void;
  terminate(): void;
}

export interface RunRequestOptions extends RunOptions {
  /** Runs sharing a cell key supersede each other: the newest wins, older ones cancel. */
  cell?: string;
  /** Buffers to transfer instead of copy (they become unusable here). */
  transfer?: ArrayBuffer[];
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  onProgress?: RunOptions["onProgress"];
  cell?: string;
  cleanup(): void;
}

export class AnalysisClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly cells = new Map<string, number>();
  private failure: Error | null = null;

  constructor(private readonly port: WorkerPort) {
    port.onMessage((message) => this.receive(message));
    port.onError((error) => {
      this.failure = error;
      for (const id of [...this.pending.keys()]) {
        this.settle(id, (p) =>
          p.reject(new HiddenAtlasError("E_WASM", `the analysis worker failed: ${error.message}`)),
        );
      }
    });
  }

  /** Keep `value` in the worker under `key` for later runs (sent once). */
  put(key: string, value: unknown, transfer: ArrayBuffer[] = []): Promise<void> {
    if (this.failure)
      return Promise.reject(
        new HiddenAtlasError("E_WASM", `the analysis worker failed: ${this.failure.message}`),
      );
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve: () => resolve(), reject, cleanup: () => {} });
      this.port.postMessage({ type: "put", id, key, value }, transfer);
    });
  }

  /**
   * Apply a thread setting (`setThreads`: a count, or "auto" for every core) in the worker
   * before its first analysis: kernel threads where the page is cross-origin isolated, and a
   * pool of workers for independent steps either way. Resolves with the worker's thread status;
   * its `note` says (once) why kernels run on fewer threads than asked.
   */
  configureThreads(threads: number | "auto"): Promise<WorkerThreadStatus> {
    return this.run<WorkerThreadStatus>("worker.configure", { threads });
  }

  drop(key: string): void {
    this.port.postMessage({ type: "drop", key });
  }

  /** Run a task in the worker. */
  run<T = unknown>(task: string, args: unknown, options: RunRequestOptions = {}): Promise<T> {
    if (this.failure)
      return Promise.reject(
        new HiddenAtlasError("E_WASM", `the analysis worker failed: ${this.failure.message}`),
      );
    const id = this.nextId++;
    const { signal, onProgress, cell, transfer = [] } = options;
    if (cell !== undefined) {
      const older = this.cells.get(cell);
      if (older !== undefined) this.cancel(older);
      this.cells.set(cell, id);
    }
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) {
        reject(new HiddenAtlasError("E_CANCELLED", "the computation was cancelled"));
        return;
      }
      const onAbort = () => this.cancel(id);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.pending.set(id, {
        resolve: resolve as (value: unknown) => void,
        reject,
        onProgress,
        cell,
        cleanup: () => signal?.removeEventListener("abort", onAbort),
      });
      this.port.postMessage({ type: "run", id, task, args }, transfer);
    });
  }

  /** Cancel run `id`: the worker stops at its next checkpoint; the promise rejects now. */
  private cancel(id: number): void {
    if (!this.pending.has(id)) return;
    this.port.postMessage({ type: "cancel", id });
    this.settle(id, (p) =>
      p.reject(new HiddenAtlasError("E_CANCELLED", "the computation was cancelled")),
    );
  }

  private settle(id: number, action: (p: Pending) => void): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (p.cell !== undefined && this.cells.get(p.cell) === id) this.cells.delete(p.cell);
    p.cleanup();
    action(p);
  }

  private receive(message: Response): void {
    const p = this.pending.get(message.id);
    if (!p) return; // a cancelled run still answering
    if (message.type === "progress") p.onProgress?.(message.event);
    else if (message.type === "result") this.settle(message.id, (q) => q.resolve(message.value));
    else this.settle(message.id, (q) => q.reject(HiddenAtlasError.fromJSON(message.error)));
  }

  /** Number of runs not yet answered. */
  get busy(): number {
    return this.pending.size;
  }

  terminate(): void {
    for (const id of [...this.pending.keys()]) {
      this.settle(id, (p) =>
        p.reject(new HiddenAtlasError("E_CANCELLED", "the analysis worker was stopped")),
      );
    }
    this.port.terminate();
  }
}
