/**
 * t-SNE on precomputed distances (tsneFromDistances, scikit-learn `metric="precomputed"`): the
 * same result as the coordinate path when given its squared Euclidean distances, neighbour
 * selection from a distance matrix, clusters kept apart, and refusals.
 */
import { describe, expect, it } from "vitest";
import { pairwiseDistances } from "../../src/algo/distance.ts";
import { nearestInDistances, tsne, tsneFromDistances } from "../../src/algo/tsne.ts";
import { mulberry32 } from "../helpers.ts";

const random = mulberry32(11);
const n = 120;
// Two clusters of 60 points in 5-D, 8 apart.
const X = {
  rows: n,
  cols: 5,
  data: Float32Array.from(
    { length: n * 5 },
    (_, q) => (Math.floor(q / 5) < 60 ? 0 : 8) + random() * 2 - 1,
  ),
};
const init = {
  rows: n,
  cols: 2,
  data: Float32Array.from({ length: 2 * n }, () => 1e-4 * (random() - 0.5)),
};

describe("tsneFromDistances", () => {
  it("equals the coordinate path when given the squared Euclidean distances it would compute (exact)", async () => {
    const D = await pairwiseDistances(X, undefined, { metric: "sqeuclidean" });
    for (let i = 0; i < n; i++) D.data[i * n + i] = 0;
    const a = await tsne(X, { init, method: "exact", perplexity: 20, nIter: 300 });
    const b = await tsneFromDistances(D, { init, method: "exact", perplexity: 20, nIter: 300 });
    expect(Array.from(b.coordinates.data)).toEqual(Array.from(a.coordinates.data));
    expect(b.klDivergence).toBe(a.klDivergence);
    expect(b.params).toMatchObject({ method: "exact", init: "given", nNeighbors: n - 1 });
  });

  it("keeps two clusters of a block distance matrix apart (Barnes–Hut, random start, seeded)", async () => {
    const D = await pairwiseDistances(X);
    for (let i = 0; i < n; i++) D.data[i * n + i] = 0;
    const a = await tsneFromDistances(D, { method: "barnes_hut", perplexity: 10, seed: 3 });
    const b = await tsneFromDistances(D, { method: "barnes_hut", perplexity: 10, seed: 3 });
    expect(Array.from(a.coordinates.data)).toEqual(Array.from(b.coordinates.data));
    expect(a.params).toMatchObject({ method: "barnes_hut", init: "random", nNeighbors: 31 });
    const Y = a.coordinates.data;
    let same = 0;
    for (let i = 0; i < n; i++) {
      let best = -1,
        bestD = Infinity;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        const d = (Y[2 * i] - Y[2 * j]) ** 2 + (Y[2 * i + 1] - Y[2 * j + 1]) ** 2;
        if (d < bestD) [best, bestD] = [j, d];
      }
      if (best < 60 === i < 60) same++;
    }
    expect(same).toBe(n);
  });

  it("nearestInDistances takes each row's k smallest off-diagonal entries, ties to the lower index", () => {
    // 4 points on a line at 0, 1, 3, 4.
    const x = [0, 1, 3, 4];
    const D = {
      rows: 4,
      cols: 4,
      data: Float32Array.from({ length: 16 }, (_, q) => Math.abs(x[q >> 2] - x[q & 3])),
    };
    const { indices, distances } = nearestInDistances(D, 2);
    expect(Array.from(indices)).toEqual([1, 2, 0, 2, 3, 1, 2, 1]);
    expect(Array.from(distances)).toEqual([1, 3, 1, 2, 1, 2, 1, 3]);
  });

  it('refuses a non-square, negative, infinite or non-zero-diagonal matrix and init "pca"', async () => {
    const ok = { rows: 3, cols: 3, data: Float32Array.from([0, 1, 2, 1, 0, 1, 2, 1, 0]) };
    await expect(
      tsneFromDistances({ rows: 2, cols: 3, data: new Float32Array(6) }),
    ).rejects.toMatchObject({ code: "E_SHAPE_MISMATCH" });
    await expect(
      tsneFromDistances(
        { ...ok, data: Float32Array.from([0, -1, 2, 1, 0, 1, 2, 1, 0]) },
        { perplexity: 1 },
      ),
    ).rejects.toThrow(/D\[0, 1\] is -1; distances must be finite and non-negative/);
    await expect(
      tsneFromDistances(
        { ...ok, data: Float32Array.from([0, 1, 2, 1, 0, Infinity, 2, 1, 0]) },
        { perplexity: 1 },
      ),
    ).rejects.toThrow(/D\[1, 2\] is Infinity/);
    await expect(
      tsneFromDistances(
        { ...ok, data: Float32Array.from([0, 1, 2, 1, 5, 1, 2, 1, 0]) },
        { perplexity: 1 },
      ),
    ).rejects.toThrow(/D\[1, 1\] is 5; a distance matrix has a zero diagonal/);
    await expect(tsneFromDistances(ok, { init: "pca" } as never)).rejects.toThrow(
      /invalid init: "pca"/,
    );
    await expect(tsneFromDistances(ok, { perplexity: 5 })).rejects.toThrow(/invalid perplexity: 5/);
  });
});
