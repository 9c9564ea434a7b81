import { afterAll, describe, expect, it } from "vitest";
import type { AnalysisBundle } from "../../src/analyses/columns.ts";
import { exploreAnalysis, type ExploreNeighbors } from "../../src/analyses/explore.ts";
import { createNodeClient } from "../../src/worker/node.ts";
import type { ProgressEvent } from "../../src/core/progress.ts";
import { randomMatrix } from "../helpers.ts";

const client = createNodeClient();
afterAll(() => client.terminate());

/** A one-layer classification bundle of random vectors. */
function bundleOf(rows: number, cols: number, seed: number): AnalysisBundle {
  const X = randomMatrix(rows, cols, seed);
  return {
    name: `random-${rows}`,
    task: "classification",
    samples: rows,
    layers: [{ name: "fc", shape: [rows, cols], data: X.data }],
    labels: new Int32Array(rows),
  };
}

describe("analysis worker (worker_threads)", () => {
  it("runs an analysis' steps off the main thread with the same result as in-thread", async () => {
    const bundle = bundleOf(300, 12, 3);
    await client.put("a", bundle);
    const inThread = await exploreAnalysis(bundle, { point: 4, k: 7 });
    const inWorker = await client.run<ExploreNeighbors>("explore.neighbors", {
      bundle: "a",
      params: { point: 4, k: 7 },
    });
    expect(Array.from(inWorker.indices)).toEqual(Array.from(inThread.neighbors.indices));
    expect(Array.from(inWorker.distances)).toEqual(Array.from(inThread.neighbors.distances));
    client.drop("a");
  });

  it("keeps a value sent with put and uses it by key; results stay usable after they are posted", async () => {
    const bundle = bundleOf(50, 4, 9);
    await client.put("layer-a", bundle);
    const first = await client.run<ExploreNeighbors>("explore.neighbors", {
      bundle: "layer-a",
      params: { k: 3 },
    });
    // The cached result was posted as a copy: asking again gives the same numbers.
    const again = await client.run<ExploreNeighbors>("explore.neighbors", {
      bundle: "layer-a",
      params: { k: 3 },
    });
    expect(Array.from(again.indices)).toEqual(Array.from(first.indices));
    expect((await exploreAnalysis(bundle, { k: 3 })).neighbors.indices).toEqual(first.indices);
    client.drop("layer-a");
    await expect(
      client.run("explore.neighbors", { bundle: "layer-a", params: { k: 3 } }),
    ).rejects.toThrow(/holds no value named "layer-a"/);
  });

  it("reports one progress with plain stage names and stops a long run when its signal aborts", async () => {
    await client.put("big", bundleOf(30_000, 64, 1));
    const controller = new AbortController();
    const events: ProgressEvent[] = [];
    const started = Date.now();
    const run = client.run(
      "mapper.graph",
      { bundle: "big", args: { layer: "fc" } },
      {
        signal: controller.signal,
        onProgress: (e) => {
          events.push(e);
          if (events.length === 2) controller.abort();
        },
      },
    );
    await expect(run).rejects.toMatchObject({ code: "E_CANCELLED" });
    expect(events[0]).toMatchObject({
      stage: "finding each input's nearest neighbours (fc)",
      total: 1000,
    });
    // The worker stopped: a new small run is answered promptly, long before the full kNN
    // (several seconds) could have finished.
    await client.put("small", bundleOf(20, 3, 4));
    await client.run("explore.neighbors", { bundle: "small", params: { k: 2 } });
    expect(Date.now() - started).toBeLessThan(4000);
    client.drop("big");
  });

  it("a newer run for the same cell cancels the older one", async () => {
    await client.put("cells", bundleOf(20_000, 32, 2));
    await client.put("tiny", bundleOf(30, 3, 5));
    const first = client.run(
      "mapper.graph",
      { bundle: "cells", args: { layer: "fc" } },
      { cell: "scatter" },
    );
    const second = client.run<ExploreNeighbors>(
      "explore.neighbors",
      { bundle: "tiny", params: { k: 4 } },
      { cell: "scatter" },
    );
    await expect(first).rejects.toMatchObject({ code: "E_CANCELLED" });
    expect((await second).k).toBe(4);
    client.drop("cells");
  });

  it("passes HiddenAtlasErrors through with their code, and names unknown tasks", async () => {
    await client.put("five", bundleOf(5, 2, 6));
    await expect(
      client.run("explore.neighbors", { bundle: "five", params: { k: 9 } }),
    ).rejects.toMatchObject({
      code: "E_PARAM",
      message: expect.stringMatching(/invalid k: 9/),
    });
    await expect(client.run("nope", {})).rejects.toThrow(/unknown worker task "nope"/);
  });
});
