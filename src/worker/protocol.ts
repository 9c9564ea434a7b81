/**
 * Messages between the main thread and the analysis worker. Plain objects: they cross
 * `postMessage` by structured clone.
 */
import type { ErrorCode } from "../core/errors.ts";
import type { ProgressEvent } from "../core/progress.ts";

export type Request =
  /** Run `task` with `args`; answered by progress events then one result or error. */
  | { type: "run"; id: number; task: string; args: unknown }
  /** Abort the run `id` at its next checkpoint. */
  | { type: "cancel"; id: number }
  /** Keep `value` in the worker under `key` (e.g. a layer's matrix) for later runs. */
  | { type: "put"; id: number; key: string; value: unknown }
  /** Forget a value kept by `put`. */
  | { type: "drop"; key: string };

export type Response =
  | { type: "progress"; id: number; event: ProgressEvent }
  | { type: "result"; id: number; value: unknown }
  | {
      type: "error";
      id: number;
      error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
    };
