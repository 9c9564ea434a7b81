// UMAP's epochs on the kernel threads: every round's tasks own disjoint blocks of rows (the
// circle method pairs every two blocks exactly once an epoch), the block count follows n alone,
// and the layout is the same bytes on 1, 2 and 3 threads.
import { beforeAll, describe, expect, it } from "vitest";
import { getCore } from "../../src/core/wasm.ts";
import { setThreads } from "../../src/core/threads.ts";
import { HiddenAtlasError } from "../../src/core/errors.ts";
import { epochBlocks, findAbParams, layoutFuzzyGraph, umap } from "../../src/algo/umap.ts";
import { trustworthiness } from "../../src/algo/metrics.ts";
import { bytes, clusters as fiveClusters, onThreads as onThreadCounts } from "../helpers.ts";

/** Run `compute` on 1, 2 and 3 threads (the shared core here starts three). */
const onThreads = <T>(compute: () => Promise<T>) => onThreadCounts(compute, [1, 2, 3]);
const clusters = (n: number, d: number, seed: number) => fiveClusters(n, d, seed, 0.3);

beforeAll(async () => {
  setThreads(3); // before the shared core loads: it starts three kernel threads
  expect((await getCore()).maxThreads).toBe(3);
});

describe("umap epochs on threads", () => {
  it("cuts the epoch into 2, 4, 8 or 16 blocks by n alone", () => {
    expect([3, 511, 512, 1797, 32_767, 32_768, 131_071, 131_072, 10 ** 6].map(epochBlocks)).toEqual(
      [2, 2, 4, 4, 4, 8, 8, 16, 16],
    );
  });

  it("pairs the blocks so that a round's tasks own disjoint blocks and every pair meets once", async () => {
    const K = (await getCore()).kernels;
    for (const blocks of [2, 4, 8, 16]) {
      const met = new Map<string, number>();
      for (let r = 0; r < blocks - 1; r++) {
        const owned: number[] = [];
        for (let t = 0; t < blocks / 2; t++) {
          const p = K.umapRoundBlocks(blocks, r, t, 0);
          const q = K.umapRoundBlocks(blocks, r, t, 1);
          expect(p).not.toBe(q);
          owned.push(p, q);
          const key = `${Math.min(p, q)}-${Math.max(p, q)}`;
          met.set(key, (met.get(key) ?? 0) + 1);
        }
        // Every block in exactly one task of the round.
        expect(owned.sort((x, y) => x - y)).toEqual(Array.from({ length: blocks }, (_, b) => b));
      }
      // blocks·(blocks − 1)/2 pairs, each met once.
      expect(met.size).toBe((blocks * (blocks - 1)) / 2);
      expect([...met.values()].every((count) => count === 1)).toBe(true);
    }
  });

  it("gives the same layout, bit for bit, on 1, 2 and 3 threads (4 blocks: 3 rounds of 2 tasks)", async () => {
    const X = clusters(1000, 10, 11);
    expect(epochBlocks(X.rows)).toBe(4);
    const results = await onThreads(() => umap(X, { nEpochs: 60, seed: 5 }));
    // Enough edges for the rounds to go to the kernel threads (16,384 or more).
    expect(results[0].edges).toBeGreaterThanOrEqual(16_384);
    for (const r of results.slice(1))
      expect(bytes(r.coordinates.data).equals(bytes(results[0].coordinates.data))).toBe(true);
    // A different seed draws other negative samples: another layout.
    const other = await umap(X, { nEpochs: 60, seed: 6 });
    expect(bytes(other.coordinates.data).equals(bytes(results[0].coordinates.data))).toBe(false);
    // And a good one: the five clusters keep their neighbourhoods.
    expect(await trustworthiness(X, results[0].coordinates, { nNeighbors: 10 })).toBeGreaterThan(
      0.9,
    );
  });

  it("gives the same layout on 1, 2 and 3 threads with 8 blocks (7 rounds of 4 tasks), a ring of 32,768", async () => {
    const n = 32_768;
    expect(epochBlocks(n)).toBe(8);
    // A ring: i ~ i ± 1 and i ~ i ± 3 (CSR rows sorted by column), weights in (0, 1].
    const rowPtr = new Int32Array(n + 1);
    const columns = new Int32Array(4 * n);
    const values = new Float32Array(4 * n);
    for (let i = 0; i < n; i++) {
      const near = [i - 3, i - 1, i + 1, i + 3].map((j) => (j + n) % n).sort((x, y) => x - y);
      near.forEach((j, t) => {
        columns[4 * i + t] = j;
        values[4 * i + t] = Math.abs(j - i) === 1 || Math.abs(j - i) === n - 1 ? 1 : 0.5;
      });
      rowPtr[i + 1] = 4 * i + 4;
    }
    const { a, b } = findAbParams(1, 0.1);
    const p = {
      nNeighbors: 5,
      nComponents: 2,
      minDist: 0.1,
      spread: 1,
      nEpochs: 4,
      learningRate: 1,
      negativeSampleRate: 5,
      repulsionStrength: 1,
      localConnectivity: 1,
      a,
      b,
      init: "random" as const,
      knnMethod: "exact" as const,
      seed: 7,
      target: null,
      targetMetric: "categorical" as const,
      targetWeight: 0.5,
      targetNNeighbors: 5,
    };
    const results = await onThreads(() =>
      layoutFuzzyGraph({ n, rowPtr, columns, values }, n, p, {}),
    );
    expect(results[0].edges).toBe(4 * n);
    for (const r of results.slice(1))
      expect(bytes(r.coordinates.data).equals(bytes(results[0].coordinates.data))).toBe(true);
    // The epochs moved the points: the layout is not the random start.
    const start = await layoutFuzzyGraph(
      { n, rowPtr, columns, values },
      n,
      { ...p, nEpochs: 1 },
      {},
    );
    expect(bytes(start.coordinates.data).equals(bytes(results[0].coordinates.data))).toBe(false);
  });

  it("gives the same 3-D layout from a random start on 1, 2 and 3 threads", async () => {
    const X = clusters(1000, 8, 12);
    const results = await onThreads(() =>
      umap(X, { nEpochs: 40, nComponents: 3, init: "random", seed: 9 }),
    );
    for (const r of results.slice(1))
      expect(bytes(r.coordinates.data).equals(bytes(results[0].coordinates.data))).toBe(true);
  });

  it("stops with E_CANCELLED between rounds, and the threads keep working", async () => {
    const X = clusters(1000, 10, 11);
    setThreads(2);
    const controller = new AbortController();
    let seen = 0;
    const run = umap(X, {
      nEpochs: 400,
      seed: 5,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.stage === "UMAP" && p.done > 0 && ++seen === 2) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ code: "E_CANCELLED" });
    await expect(run).rejects.toBeInstanceOf(HiddenAtlasError);
    const again = await umap(X, { nEpochs: 60, seed: 5 });
    setThreads(1);
    const one = await umap(X, { nEpochs: 60, seed: 5 });
    setThreads(3);
    expect(bytes(again.coordinates.data).equals(bytes(one.coordinates.data))).toBe(true);
  });
});
