/**
 * k-means and the adjusted Rand index (src/algo/clustering.ts) against scikit-learn 1.2
 * (test/fixtures/phate/make.py).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { adjustedRandIndex, kMeans } from "../../src/algo/clustering.ts";

const reference = JSON.parse(
  readFileSync(new URL("../fixtures/phate/reference.json", import.meta.url), "utf8"),
);
const blobs = reference.kmeans_blobs;
const X = {
  rows: blobs.X.length,
  cols: 3,
  data: Float32Array.from((blobs.X as number[][]).flat()),
};

describe("adjustedRandIndex", () => {
  it("matches scikit-learn's adjusted_rand_score on random and limit cases", () => {
    for (const c of reference.ari) expect(adjustedRandIndex(c.a, c.b)).toBeCloseTo(c.ari, 12);
  });
  it("is 1 for the same partition under renamed labels and symmetric in its arguments", () => {
    expect(adjustedRandIndex([0, 0, 1, 1, 2], [5, 5, 3, 3, 9])).toBe(1);
    const [a, b] = [reference.ari[2].a, reference.ari[2].b];
    expect(adjustedRandIndex(a, b)).toBeCloseTo(adjustedRandIndex(b, a), 14);
  });
  it("refuses labelings of different lengths", () => {
    expect(() => adjustedRandIndex([0, 1], [0])).toThrow(/2 and 1 entries/);
  });
});

describe("kMeans", () => {
  it("finds scikit-learn's optimum on four separated blobs (same inertia, ARI 1 with its labels)", async () => {
    const fit = await kMeans(X, { k: 4, nInit: 5, seed: 1 });
    expect(fit.inertia).toBeCloseTo(blobs.inertia, 3);
    expect(adjustedRandIndex(fit.labels, blobs.labels)).toBe(1);
  });
  it("k-means++ and random starts both reach it; the inertia never rises with more starts", async () => {
    const one = await kMeans(X, { k: 4, init: "random", nInit: 1, seed: 3 });
    const many = await kMeans(X, { k: 4, init: "random", nInit: 8, seed: 3 });
    expect(many.inertia).toBeLessThanOrEqual(one.inertia + 1e-9);
    expect(many.inertia).toBeCloseTo(blobs.inertia, 3);
  });
  it("is bit-identical for the same seed", async () => {
    const a = await kMeans(X, { k: 6, seed: 7 });
    const b = await kMeans(X, { k: 6, seed: 7 });
    expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
    expect(Buffer.from(a.centroids.data.buffer).equals(Buffer.from(b.centroids.data.buffer))).toBe(
      true,
    );
  });
  it("rejects bad options", async () => {
    await expect(kMeans(X, { k: 0 })).rejects.toThrow(/invalid k: 0/);
    await expect(kMeans(X, { k: X.rows + 1 })).rejects.toThrow(/invalid k/);
    await expect(kMeans(X, { init: "kmeans" as "random" })).rejects.toThrow(
      /invalid init: "kmeans"/,
    );
  });
});
