import { afterAll, describe, expect, it } from "vitest";
import { knn } from "../../src/algo/knn.ts";
import { createNodeClient } from "../../src/worker/node.ts";
import type { ProgressEvent } from "../../src/core/progress.ts";
import { randomMatrix } from "../helpers.ts";

const client = createNodeClient();
afterAll(() => client.terminate());

describe("analysis worker (worker_threads)", () => {
  it("runs kNN off the main thread with the same result as in-thread", async () => {
    const X = randomMatrix(300, 12, 3);
    const inThread = await knn(X, { k: 7 });
    const inWorker = await client.run<typeof inThread>("knn", { matrix: X, k: 7 });
    expect(Array.from(inWorker.indices)).toEqual(Array.from(inThread.indices));
    expect(Array.from(inWorker.distances)).toEqual(Array.from(inThread.distances));
  });

  it("keeps a value sent with put and uses it by key", async () => {
    const X = randomMatrix(50, 4, 9);
    await client.put("layer-a", X);
    const viaKey = await client.run<{ indices: Int32Array }>("knn", { key: "layer-a", k: 3 });
    const direct = await knn(X, { k: 3 });
    expect(Array.from(viaKey.indices)).toEqual(Array.from(direct.indices));
    client.drop("layer-a");
    await expect(client.run("knn", { key: "layer-a", k: 3 })).rejects.toThrow(/holds no value named "layer-a"/);
  });

  it("reports progress and stops a long run when its signal aborts", async () => {
    const X = randomMatrix(30_000, 64, 1);
    await client.put("big", X);
    const controller = new AbortController();
    const events: ProgressEvent[] = [];
    const started = Date.now();
    const run = client.run("knn", { key: "big", k: 10 }, {
      signal: controller.signal,
      onProgress: (e) => {
        events.push(e);
        if (events.length === 2) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ code: "E_CANCELLED" });
    expect(events[0]).toMatchObject({ stage: "kNN", done: 0, total: 30_000 });
    // The worker stopped: a new small run is answered promptly, long before the full kNN
    // (several seconds) could have finished.
    await client.run("knn", { matrix: randomMatrix(20, 3), k: 2 });
    expect(Date.now() - started).toBeLessThan(4000);
    client.drop("big");
  });

  it("a newer run for the same cell cancels the older one", async () => {
    const X = randomMatrix(20_000, 32, 2);
    await client.put("cells", X);
    const first = client.run("knn", { key: "cells", k: 5 }, { cell: "scatter" });
    const second = client.run<{ k: number }>("knn", { matrix: randomMatrix(30, 3), k: 4 }, { cell: "scatter" });
    await expect(first).rejects.toMatchObject({ code: "E_CANCELLED" });
    expect((await second).k).toBe(4);
    client.drop("cells");
  });

  it("passes HiddenAtlasErrors through with their code, and names unknown tasks", async () => {
    await expect(client.run("knn", { matrix: randomMatrix(5, 2), k: 9 })).rejects.toMatchObject({
      code: "E_PARAM",
      message: expect.stringMatching(/invalid k: 9/),
    });
    await expect(client.run("nope", {})).rejects.toThrow(/unknown worker task "nope"/);
  });
});
