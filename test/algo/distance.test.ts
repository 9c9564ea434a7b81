import { describe, expect, it } from "vitest";
import { pairwiseDistances } from "../../src/algo/distance.ts";
import { knn, knnQuery, KnnIndex } from "../../src/algo/knn.ts";
import type { Matrix } from "../../src/core/matrix.ts";
import { randomMatrix } from "../helpers.ts";

/** Plain-JS reference distance in float64. */
function referenceDistance(a: Float32Array, b: Float32Array, metric: string): number {
  if (metric === "cosine") {
    let dot = 0,
      na = 0,
      nb = 0;
    for (let i = 0; i < a.length; i++) {
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    if (na === 0 || nb === 0) return 1;
    return 1 - dot / Math.sqrt(na * nb);
  }
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return metric === "euclidean" ? Math.sqrt(s) : s;
}

const rowOf = (m: Matrix, i: number) => m.data.subarray(i * m.cols, (i + 1) * m.cols);

/** Reference kNN: all other rows sorted by (distance, index). */
function referenceKnn(X: Matrix, k: number, metric: string) {
  const out: { idx: number[]; dist: number[] }[] = [];
  for (let i = 0; i < X.rows; i++) {
    const cands = [];
    for (let j = 0; j < X.rows; j++) {
      if (j !== i) cands.push({ j, d: referenceDistance(rowOf(X, i), rowOf(X, j), metric) });
    }
    cands.sort((a, b) => a.d - b.d || a.j - b.j);
    out.push({ idx: cands.slice(0, k).map((c) => c.j), dist: cands.slice(0, k).map((c) => c.d) });
  }
  return out;
}

const shapes: [number, number][] = [
  [1, 1],
  [2, 3],
  [5, 4],
  [7, 5],
  [33, 17],
  [130, 64],
  [257, 3],
  [300, 130],
];

describe("pairwiseDistances", () => {
  for (const metric of ["sqeuclidean", "euclidean", "cosine"] as const) {
    it(`matches a float64 reference (${metric}) on many shapes`, async () => {
      for (const [n, d] of shapes) {
        const X = randomMatrix(n, d, n * 31 + d);
        const Y = randomMatrix(n + 3, d, n * 7 + d);
        const D = await pairwiseDistances(X, Y, { metric });
        expect(D.rows).toBe(n);
        expect(D.cols).toBe(n + 3);
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n + 3; j++) {
            const ref = referenceDistance(rowOf(X, i), rowOf(Y, j), metric);
            expect(Math.abs(D.data[i * D.cols + j] - ref)).toBeLessThan(1e-5 * Math.max(1, ref));
          }
        }
      }
    });
  }

  it("is exactly symmetric with an exactly zero diagonal for squared Euclidean", async () => {
    const X = randomMatrix(67, 29, 9);
    const D = await pairwiseDistances(X, undefined, { metric: "sqeuclidean" });
    for (let i = 0; i < X.rows; i++) {
      expect(D.data[i * X.rows + i]).toBe(0);
      for (let j = 0; j < i; j++) expect(D.data[i * X.rows + j]).toBe(D.data[j * X.rows + i]);
    }
  });

  it("gives exactly 0 between duplicate rows and 1 from a zero row (cosine)", async () => {
    const X = {
      rows: 3,
      cols: 5,
      data: new Float32Array([1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 0, 0, 0, 0, 0]),
    };
    const E = await pairwiseDistances(X, undefined, { metric: "euclidean" });
    expect(E.data[1]).toBe(0);
    const C = await pairwiseDistances(X, undefined, { metric: "cosine" });
    expect(C.data[0 * 3 + 2]).toBe(1);
    expect(C.data[2 * 3 + 0]).toBe(1);
  });

  it("rejects mismatched columns, NaN and unknown metrics with clear errors", async () => {
    const X = randomMatrix(4, 3);
    await expect(pairwiseDistances(X, randomMatrix(4, 2))).rejects.toThrow(
      /X has 3 columns but Y has 2/,
    );
    const bad = randomMatrix(4, 3);
    bad.data[7] = NaN;
    await expect(pairwiseDistances(bad)).rejects.toMatchObject({
      code: "E_NON_FINITE",
      message: expect.stringMatching(/row 2, column 1/),
    });
    await expect(pairwiseDistances(X, undefined, { metric: "manhattan" as never })).rejects.toThrow(
      /invalid metric: "manhattan" \(expected one of "sqeuclidean", "euclidean", "cosine"\)/,
    );
  });
});

describe("knn", () => {
  for (const metric of ["euclidean", "cosine", "sqeuclidean"] as const) {
    it(`equals a plain-JS brute force (${metric}) on several shapes`, async () => {
      for (const [n, d, k] of [
        [2, 1, 1],
        [9, 4, 8],
        [40, 7, 5],
        [300, 33, 10],
        [600, 64, 256],
      ] as const) {
        const X = randomMatrix(n, d, n + d);
        const result = await knn(X, { k, metric });
        const ref = referenceKnn(X, k, metric);
        for (let i = 0; i < n; i++) {
          const got = Array.from(result.indices.subarray(i * k, (i + 1) * k));
          const gotD = Array.from(result.distances.subarray(i * k, (i + 1) * k));
          // Near-ties (within float32 rounding) may swap places, so check that each returned
          // row truly lies at the reference's j-th smallest distance, and that the order is
          // exactly the reference's wherever the gap is larger than rounding.
          expect(new Set(got).size).toBe(k);
          expect(got).not.toContain(i);
          for (let j = 0; j < k; j++) {
            const trueDistance = referenceDistance(rowOf(X, i), rowOf(X, got[j]), metric);
            const tol = 1e-5 * Math.max(1, ref[i].dist[j]);
            expect(Math.abs(trueDistance - ref[i].dist[j])).toBeLessThan(tol);
            expect(Math.abs(gotD[j] - ref[i].dist[j])).toBeLessThan(tol);
            const gapBefore = j === 0 ? Infinity : ref[i].dist[j] - ref[i].dist[j - 1];
            const gapAfter = j === k - 1 ? Infinity : ref[i].dist[j + 1] - ref[i].dist[j];
            if (Math.min(gapBefore, gapAfter) > tol) expect(got[j]).toBe(ref[i].idx[j]);
          }
        }
      }
    });
  }

  it("breaks ties between duplicate points by the lower index and never returns the row itself", async () => {
    // Rows 0, 2, 3 and 5 are the same point; 4 is nearer to it than 1.
    const p = [0.5, -1, 2];
    const X = {
      rows: 6,
      cols: 3,
      data: new Float32Array([...p, 9, 9, 9, ...p, ...p, -7, 0, 1, ...p]),
    };
    const { indices, distances } = await knn(X, { k: 4 });
    expect(Array.from(indices.subarray(0, 4))).toEqual([2, 3, 5, 4]);
    expect(Array.from(distances.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(Array.from(indices.subarray(3 * 4, 4 * 4))).toEqual([0, 2, 5, 4]);
    expect(Array.from(indices.subarray(5 * 4, 6 * 4))).toEqual([0, 2, 3, 4]);
  });

  it("neighbours are nearest first and exclude self on a larger random set", async () => {
    const X = randomMatrix(2000, 10, 77);
    const { indices, distances, k } = await knn(X, { k: 15 });
    for (let i = 0; i < X.rows; i++) {
      for (let j = 0; j < k; j++) {
        expect(indices[i * k + j]).not.toBe(i);
        if (j > 0) expect(distances[i * k + j]).toBeGreaterThanOrEqual(distances[i * k + j - 1]);
      }
    }
  });

  it("knnQuery and KnnIndex agree with knn", async () => {
    const X = randomMatrix(120, 9, 4);
    const all = await knn(X, { k: 6 });
    const index = await KnnIndex.build(X);
    const one = await index.neighborsOf(37, 6);
    expect(Array.from(one.indices)).toEqual(Array.from(all.indices.subarray(37 * 6, 38 * 6)));
    index.dispose();
    const Q = { rows: 1, cols: 9, data: X.data.slice(37 * 9, 38 * 9) };
    const q = await knnQuery(X, Q, { k: 7 });
    expect(q.indices[0]).toBe(37); // the query is row 37 itself, at distance 0
    expect(q.distances[0]).toBe(0);
    expect(Array.from(q.indices.subarray(1))).toEqual(
      Array.from(all.indices.subarray(37 * 6, 38 * 6)),
    );
  });

  it("validates k against the number of rows and the 256 limit", async () => {
    await expect(knn(randomMatrix(5, 2), { k: 5 })).rejects.toThrow(
      /invalid k: 5 \(expected an integer from 1 to 4\)/,
    );
    await expect(knn(randomMatrix(400, 2), { k: 257 })).rejects.toThrow(
      /invalid k: 257 \(expected an integer from 1 to 256\)/,
    );
    await expect(knn(randomMatrix(1, 2), { k: 1 })).rejects.toThrow(/at least 2 rows/);
    await expect(knn(randomMatrix(10, 2), { k: 2, nNeighbors: 3 } as never)).rejects.toThrow(
      /unknown option for knn: "nNeighbors"/,
    );
  });

  it("stops with E_CANCELLED when its signal is aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      knn(randomMatrix(50, 3), { k: 3, signal: controller.signal }),
    ).rejects.toMatchObject({ code: "E_CANCELLED" });
  });
});
