/**
 * The worker side: runs named tasks, reports their progress, honours cancellation and keeps
 * values sent with `put` (so a large bundle crosses the thread boundary once). Results are
 * posted as copies, so whatever the worker caches stays usable and no task copies defensively.
 */
import { HiddenAtlasError } from "../core/errors.ts";
import type { RunOptions } from "../core/progress.ts";
import type { Request, Response } from "./protocol.ts";

export interface TaskContext extends Required<Pick<RunOptions, "signal" | "onProgress">> {
  /** A value kept by `put`; throws E_PARAM when the key is unknown. */
  get<T>(key: string): T;
  /** Keep a value under `key`, as `put` does (e.g. a bundle the worker opened itself). */
  keep(key: string, value: unknown): void;
}

export type Task = (args: never, context: TaskContext) => Promise<unknown>;

/** Largest number of values kept by `put`; the oldest is dropped first. */
const MAX_KEPT_VALUES = 8;

export function createWorkerHost(
  tasks: Record<string, Task>,
  post: (message: Response, transfer: ArrayBuffer[]) => void,
): (request: Request) => void {
  const running = new Map<number, AbortController>();
  const kept = new Map<string, unknown>();

  const keep = (key: string, value: unknown) => {
    kept.delete(key);
    kept.set(key, value);
    while (kept.size > MAX_KEPT_VALUES) kept.delete(kept.keys().next().value as string);
  };

  const context = (id: number, controller: AbortController): TaskContext => ({
    keep,
    signal: controller.signal,
    onProgress: (event) => post({ type: "progress", id, event }, []),
    get<T>(key: string): T {
      if (!kept.has(key))
        throw new HiddenAtlasError(
          "E_PARAM",
          `the worker holds no value named ${JSON.stringify(key)}`,
        );
      return kept.get(key) as T;
    },
  });

  const fail = (id: number, error: unknown) => {
    const e =
      error instanceof HiddenAtlasError
        ? error
        : new HiddenAtlasError(
            "E_WASM",
            `worker task failed: ${(error as Error)?.message ?? String(error)}`,
          );
    post({ type: "error", id, error: e.toJSON() }, []);
  };

  return (request: Request) => {
    switch (request.type) {
      case "put":
        keep(request.key, request.value);
        post({ type: "result", id: request.id, value: null }, []);
        return;
      case "drop":
        kept.delete(request.key);
        return;
      case "cancel":
        running.get(request.id)?.abort();
        return;
      case "run": {
        const task = tasks[request.task];
        if (!task) {
          fail(
            request.id,
            new HiddenAtlasError(
              "E_PARAM",
              `unknown worker task ${JSON.stringify(request.task)} (known: ${Object.keys(tasks).join(", ")})`,
            ),
          );
          return;
        }
        const controller = new AbortController();
        running.set(request.id, controller);
        task(request.args as never, context(request.id, controller))
          // Posted as a copy, never transferred: the worker's step cache keeps the results.
          .then((value) => post({ type: "result", id: request.id, value }, []))
          .catch((error) => fail(request.id, error))
          .finally(() => running.delete(request.id));
        return;
      }
    }
  };
}
