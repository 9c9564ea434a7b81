/**
 * One analysis run from a notebook cell, with its progress bar:
 *
 *   const projection = await atlas.run(worker, "explore.projection", args, {progress, invalidation, cell: "projection"});
 *
 * - The bar shows the run (fraction, stage, elapsed, time left) and its Cancel button cancels it.
 * - A run the person cancelled stays pending (the cell and those after it keep what they
 *   showed); the bar says so and offers "Run again", which runs it again for the same promise.
 * - A failed run shows its message once, in the bar, and stays pending: the cells that needed
 *   its result show nothing rather than the same error each. Without a bar it rejects (the cell
 *   shows the error).
 * - Once the cell is re-run (a slider moved), its run is cancelled and the promise rejects with
 *   `superseded()`. It must settle: Observable waits for a cell's previous value before it runs
 *   the cell again, and ignores what an outdated run settles with, so no cell shows it.
 *
 * While any run is going, `<html data-atlas-busy>` counts them (tests wait for it to clear).
 */
import { HiddenAtlasError } from "../core/errors.ts";
import type { AnalysisClient } from "../worker/client.ts";
import type { ProgressElement } from "./progress.ts";

export interface RunCellOptions {
  /** The run's progress bar (one bar per run). */
  progress?: ProgressElement | null;
  /** The cell's `invalidation` promise: a re-run cancels this run. */
  invalidation?: Promise<unknown>;
  /** Runs sharing a key supersede each other in the worker (default: the task's name). */
  cell?: string;
}

/**
 * A promise that never settles: what a cell awaits when it should show nothing. Observable runs
 * a cell again only once its previous value has settled, so a cell that may re-run awaits
 * `until(invalidation)` instead.
 */
export function never<T>(): Promise<T> {
  return new Promise<T>(() => {});
}

/** Why an outdated run's promise rejects (Observable ignores it: the cell has a newer run). */
export function superseded(): HiddenAtlasError {
  return new HiddenAtlasError("E_CANCELLED", "superseded by a newer run of the cell");
}

/** Pending until `invalidation` (the cell re-runs), then rejected with `superseded()`. */
export function until<T>(invalidation: Promise<unknown>): Promise<T> {
  return new Promise<T>((_, reject) => void invalidation.then(() => reject(superseded())));
}

/** The message a person sees for a failure: the error's own words, without any code-only advice. */
export function failureMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // The readers' advice to pass an API option means nothing on a page (the page offers its own remedy).
  return message.replace(/;\s*pass allowNonFinite: true to load it anyway\.?$/, "");
}

/** Count of runs going on, on the root element, for tests and styles. */
function busy(delta: number): void {
  const root = globalThis.document?.documentElement;
  if (!root) return;
  const count = Math.max(0, Number(root.dataset.atlasBusy ?? 0) + delta);
  if (count === 0) delete root.dataset.atlasBusy;
  else root.dataset.atlasBusy = String(count);
}

/** Run `task` in the worker for a cell (see the module comment). */
export function run<T = unknown>(
  client: AnalysisClient,
  task: string,
  args: unknown,
  options: RunCellOptions = {},
): Promise<T> {
  const { progress, invalidation, cell = task } = options;
  let invalidated = false;
  let current: AbortController | null = null;
  return new Promise<T>((resolve, reject) => {
    void invalidation?.then(() => {
      invalidated = true;
      current?.abort();
      reject(superseded());
    });
    const attempt = () => {
      if (invalidated) return;
      const controller = new AbortController();
      let cancelledByPerson = false;
      current = controller;
      progress?.start(() => {
        cancelledByPerson = true;
        controller.abort();
      });
      busy(+1);
      client
        .run<T>(task, args, { cell, signal: controller.signal, onProgress: progress?.update })
        .then(
          (value) => {
            if (invalidated) return;
            progress?.done();
            resolve(value);
          },
          (error: unknown) => {
            if (invalidated) return;
            const cancelled = error instanceof HiddenAtlasError && error.code === "E_CANCELLED";
            if (cancelled && cancelledByPerson) progress?.cancelled(attempt);
            // Superseded by a newer run with the same key: that run owns the bar now.
            else if (cancelled) return;
            // Without a bar the cell itself is the one place to say it.
            else if (progress) progress.fail(failureMessage(error));
            else reject(error);
          },
        )
        .finally(() => busy(-1));
    };
    attempt();
  });
}
