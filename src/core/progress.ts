/**
 * Progress and cancellation for long work. Every long-running function takes an optional
 * `{signal, onProgress}`; kernels run in chunks and `checkpoint` is called between chunks.
 */
import { HiddenAtlasError } from "./errors.ts";

export interface ProgressEvent {
  /** What is being done, e.g. "kNN" or "PCA". */
  stage: string;
  /** Units of work finished, out of `total`. */
  done: number;
  total: number;
}

export interface RunOptions {
  /** Aborting it stops the work at the next checkpoint with E_CANCELLED. */
  signal?: AbortSignal;
  /** Called at checkpoints, at most every PROGRESS_INTERVAL_MS. */
  onProgress?: (event: ProgressEvent) => void;
}

/** Yield to the event loop at most this often (ms): lets cancel messages and UI through. */
const YIELD_INTERVAL_MS = 50;

/** Throw E_CANCELLED if the signal has been aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new HiddenAtlasError("E_CANCELLED", "the computation was cancelled");
  }
}

/** A macrotask yield without setTimeout's 4 ms clamp (MessageChannel where available). */
export function yieldToEventLoop(): Promise<void> {
  if (typeof MessageChannel === "function") {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Tracks one stage of work: `await tracker.step(done)` between chunks reports progress,
 * yields to the event loop now and then, and throws E_CANCELLED once the signal aborts.
 */
export class ProgressTracker {
  private lastYield = Date.now();
  private lastReport = Date.now();
  constructor(
    private readonly options: RunOptions,
    readonly stage: string,
    readonly total: number,
  ) {
    throwIfAborted(options.signal);
    options.onProgress?.({ stage, done: 0, total });
  }

  /** The run's cancellation signal (for work handed to the kernel threads). */
  get signal(): AbortSignal | undefined {
    return this.options.signal;
  }

  async step(done: number): Promise<void> {
    throwIfAborted(this.options.signal);
    const now = Date.now();
    if (now - this.lastYield >= YIELD_INTERVAL_MS) {
      this.options.onProgress?.({ stage: this.stage, done, total: this.total });
      await yieldToEventLoop();
      this.lastYield = Date.now();
      throwIfAborted(this.options.signal);
    }
  }

  /**
   * Report progress without yielding (work running elsewhere, e.g. on kernel threads); at most
   * every YIELD_INTERVAL_MS.
   */
  report(done: number): void {
    const now = Date.now();
    if (now - this.lastReport >= YIELD_INTERVAL_MS) {
      this.lastReport = now;
      this.options.onProgress?.({ stage: this.stage, done, total: this.total });
    }
  }

  finish(): void {
    this.options.onProgress?.({ stage: this.stage, done: this.total, total: this.total });
  }
}
