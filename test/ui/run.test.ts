// run(): a cell's run settles once the cell re-runs (Observable waits for the previous value
// before running a cell again), its bar never says "done" for a superseded run, and a failure
// shows once, in the bar.
import { describe, expect, it } from "vitest";
import { HiddenAtlasError } from "../../src/core/errors.ts";
import { reportDocument } from "../../src/report/dom.ts";
import { progressBar } from "../../src/ui/progress.ts";
import { run, until } from "../../src/ui/run.ts";
import type { AnalysisClient } from "../../src/worker/client.ts";

/** A client whose runs settle when the test says so; records aborts. */
function fakeClient() {
  const runs: { resolve(v: unknown): void; reject(e: unknown): void; signal: AbortSignal }[] = [];
  const client = {
    run(_task: string, _args: unknown, options: { signal: AbortSignal }) {
      return new Promise((resolve, reject) => {
        runs.push({ resolve, reject, signal: options.signal });
        options.signal.addEventListener("abort", () =>
          reject(new HiddenAtlasError("E_CANCELLED", "the computation was cancelled")),
        );
      });
    },
  } as unknown as AnalysisClient;
  return { client, runs };
}

const settled = (p: Promise<unknown>) =>
  p.then(
    (v) => ({ value: v }),
    (e: unknown) => ({ error: e }),
  );
const tick = () => new Promise((r) => setTimeout(r, 0));

describe("run", () => {
  it("rejects as superseded when the cell re-runs, cancels the worker's run, and leaves the bar to the new run", async () => {
    const { client, runs } = fakeClient();
    const progress = progressBar({ document: reportDocument() });
    let invalidate!: () => void;
    const invalidation = new Promise<void>((r) => (invalidate = r));
    const outcome = settled(run(client, "explore.projection", {}, { progress, invalidation }));
    expect(progress.dataset.state).toBe("running");
    invalidate();
    const result = (await outcome) as { error: HiddenAtlasError };
    expect(result.error.code).toBe("E_CANCELLED");
    expect(result.error.message).toBe("superseded by a newer run of the cell");
    expect(runs[0].signal.aborted).toBe(true);
    // The superseded run never marks the bar done (or cancelled, or failed).
    await tick();
    expect(progress.dataset.state).toBe("running");
  });

  it("resolves with the result and marks the bar done", async () => {
    const { client, runs } = fakeClient();
    const progress = progressBar({ document: reportDocument() });
    const outcome = run(client, "t", {}, { progress, invalidation: new Promise(() => {}) });
    runs[0].resolve(42);
    expect(await outcome).toBe(42);
    expect(progress.dataset.state).toBe("done");
  });

  it("shows a failure once, in the bar, and stays pending until the cell re-runs", async () => {
    const { client, runs } = fakeClient();
    const progress = progressBar({ document: reportDocument() });
    let invalidate!: () => void;
    const outcome = settled(
      run(client, "t", {}, { progress, invalidation: new Promise<void>((r) => (invalidate = r)) }),
    );
    runs[0].reject(new HiddenAtlasError("E_PARAM", "invalid k: 0 (expected an integer ≥ 1)"));
    await tick();
    expect(progress.dataset.state).toBe("failed");
    expect(progress.textContent).toContain("invalid k: 0 (expected an integer ≥ 1)");
    let done = false;
    void outcome.then(() => (done = true));
    await tick();
    expect(done).toBe(false);
    invalidate();
    expect(((await outcome) as { error: HiddenAtlasError }).error.code).toBe("E_CANCELLED");
  });

  it("until(invalidation) stays pending until the cell re-runs", async () => {
    let invalidate!: () => void;
    let done = false;
    const outcome = settled(until(new Promise<void>((r) => (invalidate = r)))).then(
      (o) => ((done = true), o),
    );
    await tick();
    expect(done).toBe(false);
    invalidate();
    expect(((await outcome) as { error: HiddenAtlasError }).error.code).toBe("E_CANCELLED");
  });
});
