import { describe, expect, it } from "vitest";
import { pairwiseDistances } from "../../src/algo/distance.ts";
import { knn, knnQuery, KnnIndex } from "../../src/algo/knn.ts";
import { nnDescent } from "../../src/algo/nndescent.ts";
import { som, somProject } from "../../src/algo/som.ts";
import { RESOLUTION, rowsToKernelRange, toDataUnits, toKernelRange } from "../../src/algo/range.ts";
import type { Matrix } from "../../src/core/matrix.ts";
import { mulberry32, randomMatrix } from "../helpers.ts";

/** X times s, each value rounded once to float32. */
const times = (X: Matrix, s: number): Matrix => ({
  ...X,
  data: Float32Array.from(X.data, (v) => v * s),
});
/** The largest |x|. */
const largest = (X: Matrix) => X.data.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
/** The copy the rule must produce: X times 2^-⌊log₂ max|x|⌋, so the largest value lies in [1, 2). */
const rescaled = (X: Matrix) => times(X, 2 ** -Math.floor(Math.log2(largest(X))));

describe("toKernelRange", () => {
  it("passes data inside [2^-20, 2^21) through untouched", () => {
    for (const s of [1, 2 ** -20, (2 ** 20 * 1.99) / 1.0000001]) {
      const X = times(randomMatrix(20, 3, 1), s);
      X.data[0] = s; // the largest magnitude is s (uniform [-1, 1) otherwise)
      const r = toKernelRange(X);
      expect(r.scale).toBe(1);
      expect(r.X).toBe(X);
    }
  });

  it("brings extreme data into [1, 2) by a power of two, exactly: 1e20, 1e30, 1e-20 and subnormal 1e-40", () => {
    const base = randomMatrix(30, 4, 2);
    for (const [s, exponent] of [
      [1e20, 66],
      [1e30, 99],
      [1e-20, -67],
      [1e-40, -133],
      [2 ** 21, 21],
      [2 ** -21, -21],
    ] as const) {
      const X = times(base, s);
      X.data[0] = s; // the largest magnitude (the rest are uniform in (−s, s))
      const { X: Xk, scale } = toKernelRange(X);
      expect(scale).toBe(2 ** -exponent);
      const top = largest(Xk);
      expect(top).toBeGreaterThanOrEqual(1);
      expect(top).toBeLessThan(2);
      // Exact: every kernel value is the data's value times the power of two (subnormal inputs too).
      for (let i = 0; i < X.data.length; i++) expect(Xk.data[i] / scale).toBe(X.data[i]);
    }
  });

  it("refuses rows that differ by less than float32 distances resolve (a 1e30 column beside 1e-30 ones)", () => {
    // Column 0 takes two values at 1e30; the other columns, at 1e-30, separate the rows inside each value.
    const random = mulberry32(3);
    const rows = 12;
    const data = new Float32Array(rows * 3);
    for (let i = 0; i < rows; i++) {
      data[i * 3] = i % 2 ? 2e30 : 1e30;
      data[i * 3 + 1] = (random() - 0.5) * 1e-30;
      data[i * 3 + 2] = (random() - 0.5) * 1e-30;
    }
    const mix: Matrix = { rows, cols: 3, data };
    let error: { code: string; message: string; details: Record<string, unknown> } | undefined;
    try {
      toKernelRange(mix, "layer3");
    } catch (e) {
      error = e as never;
    }
    expect(error?.code).toBe("E_RANGE");
    expect(error?.message).toMatch(
      /^layer3 span more orders of magnitude than float32 distances resolve: rows 0 and 2 are [\d.]+e-31 apart while values reach 2e\+30, and float32 distances resolve no less than 1\.1e\+12 at that magnitude\. Rescale/,
    );
    expect(error?.details).toMatchObject({
      parameter: "layer3",
      largest: Math.fround(2e30),
      rows: [0, 2],
    });
    // The same columns alone are fine: the 1e-30 ones at their own scale, and the 1e30 one with distinct values.
    const small: Matrix = {
      rows,
      cols: 2,
      data: Float32Array.from(
        { length: rows * 2 },
        (_, k) => data[Math.floor(k / 2) * 3 + 1 + (k % 2)],
      ),
    };
    expect(toKernelRange(small).scale).toBe(2 ** -Math.floor(Math.log2(largest(small))));
    const spread: Matrix = { rows, cols: 3, data: Float32Array.from(data) };
    for (let i = 0; i < rows; i++) spread.data[i * 3] = (1 + i) * 1e30;
    expect(toKernelRange(spread).scale).toBe(2 ** -103);
  });

  it("refuses exactly when some distinct rows are closer than 2^-60 in kernel units (brute force)", () => {
    const random = mulberry32(7);
    let refused = 0;
    for (let trial = 0; trial < 200; trial++) {
      // Rows share a coarse part and differ in values spread over 2^-30 … 2^-70.
      const rows = 6;
      const cols = 3;
      const data = new Float32Array(rows * cols);
      for (let i = 0; i < rows; i++) {
        data[i * cols] = random() < 0.5 ? 1 : 1.5;
        for (let k = 1; k < cols; k++)
          data[i * cols + k] =
            random() < 0.3 ? 0 : (random() - 0.5) * 2 ** -(30 + Math.floor(random() * 40));
      }
      const X: Matrix = { rows, cols, data };
      let closest = Infinity;
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < i; j++) {
          let s = 0;
          for (let k = 0; k < cols; k++) s += (data[i * cols + k] - data[j * cols + k]) ** 2;
          if (s > 0) closest = Math.min(closest, Math.sqrt(s));
        }
      }
      const shouldRefuse = closest < RESOLUTION;
      let threw = false;
      try {
        toKernelRange(X);
      } catch (e) {
        expect((e as { code: string }).code).toBe("E_RANGE");
        threw = true;
      }
      expect(threw).toBe(shouldRefuse);
      if (threw) refused++;
    }
    expect(refused).toBeGreaterThan(10); // both outcomes were exercised
    expect(refused).toBeLessThan(190);
  });

  it("accepts tiny values that do not hide a pair: softmax-like rows at 1e-12 … 1e-35, duplicates, zeros", () => {
    const rows: number[][] = [];
    // Rows told apart by a value ≥ 2^-36 may carry any tiny values beside it.
    for (let i = 0; i < 40; i++)
      rows.push([1 - i / 64, 10 ** -(12 + (i % 24)), i % 3 ? 0 : 3e-9, 0]);
    // Rows that differ only in tiny values, but by more than 2^-60 ≈ 8.7e-19.
    for (let j = 1; j <= 6; j++) rows.push([1, j * 1e-15, 1e-30, 0]);
    rows.push(rows[5].slice(), rows[5].slice()); // exact duplicates are at distance 0 legitimately
    const X: Matrix = { rows: rows.length, cols: 4, data: Float32Array.from(rows.flat()) };
    expect(toKernelRange(X).X).toBe(X);
    // One more row 1e-20 from another: now a pair hides below the resolution.
    rows.push([1, 1e-15 + 1e-20, 1e-30, 0]);
    expect(() =>
      toKernelRange({ rows: rows.length, cols: 4, data: Float32Array.from(rows.flat()) }),
    ).toThrow(/rows 40 and 48 are/);
  });

  it("rejects NaN and Infinity with E_NON_FINITE naming the cell", () => {
    const X = randomMatrix(5, 3);
    X.data[7] = Infinity;
    expect(() => toKernelRange(X, "X")).toThrow(
      /X has a non-finite value \(Infinity\) at row 2, column 1/,
    );
  });
});

describe("rowsToKernelRange and toDataUnits", () => {
  it("scales each row by its own power of two: cosine distances of rows at 1e30 and 1e-40 are those of the rescaled rows", async () => {
    const base = randomMatrix(12, 5, 4);
    const X = times(base, 1);
    for (let k = 0; k < 5; k++) {
      X.data[k] *= 1e30; // row 0 huge
      X.data[5 + k] *= 1e-40; // row 1 subnormal
    }
    const Xk = rowsToKernelRange(X);
    for (let i = 0; i < 12; i++) {
      const row = Array.from(Xk.data.subarray(i * 5, (i + 1) * 5));
      const top = Math.max(...row.map(Math.abs));
      if (i < 2) expect(top).toBeGreaterThanOrEqual(1);
      if (i < 2) expect(top).toBeLessThan(2);
      else expect(row).toEqual(Array.from(X.data.subarray(i * 5, (i + 1) * 5))); // inside the band: untouched
    }
    const a = await pairwiseDistances(X, undefined, { metric: "cosine" });
    const b = await pairwiseDistances(Xk, undefined, { metric: "cosine" });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(a.data.every(Number.isFinite)).toBe(true);
  });

  it("toDataUnits scales back, keeps Infinity, and refuses what float32 cannot hold", () => {
    expect(Array.from(toDataUnits(Float32Array.from([0, 1.5, Infinity]), 2 ** 66, "d"))).toEqual([
      0,
      1.5 * 2 ** 66,
      Infinity,
    ]);
    expect(() =>
      toDataUnits(Float32Array.from([3]), 2 ** 132, "squared distances of X", "use euclidean"),
    ).toThrow(
      /^squared distances of X reach 1\.63e\+40, outside the range of float32 \(1\.4e-45 to 3\.4e\+38\); use euclidean$/,
    );
    expect(() => toDataUnits(Float32Array.from([3]), 2 ** -160, "d")).toThrow(
      /d reach 2\.05e-48, outside the range of float32/,
    );
  });
});

describe("kNN and distances on extreme values", () => {
  const base = randomMatrix(60, 6, 5);

  it("knn: the rescaled data's neighbours, and its distances scaled back exactly (1e20, 1e30, 1e-20, 1e-40)", async () => {
    for (const s of [1e20, 1e30, 1e-20, 1e-40]) {
      const X = times(base, s);
      const R = rescaled(X);
      const factor = largest(X) / largest(R); // the power of two between them
      const got = await knn(X, { k: 7 });
      const want = await knn(R, { k: 7 });
      expect(got.indices).toEqual(want.indices);
      for (let i = 0; i < got.distances.length; i++)
        expect(got.distances[i]).toBe(Math.fround(want.distances[i] * factor));
      // And the neighbours of the unscaled data, except where float32 rounding of X reorders near-ties.
      const plain = await knn(base, { k: 7 });
      let same = 0;
      for (let i = 0; i < plain.indices.length; i++)
        same += plain.indices[i] === got.indices[i] ? 1 : 0;
      expect(same / plain.indices.length).toBeGreaterThan(s === 1e-40 ? 0.9 : 0.99);
    }
  });

  it("knn sqeuclidean: squared distances float32 cannot hold are E_RANGE, not Infinity or 0", async () => {
    await expect(knn(times(base, 1e20), { k: 3, metric: "sqeuclidean" })).rejects.toMatchObject({
      code: "E_RANGE",
      message: expect.stringMatching(
        /^squared kNN distances reach .*e\+39, outside the range of float32.*use metric "euclidean"/,
      ),
    });
    await expect(knn(times(base, 1e-40), { k: 3, metric: "sqeuclidean" })).rejects.toMatchObject({
      code: "E_RANGE",
    });
    const ok = await knn(times(base, 1e15), { k: 3, metric: "sqeuclidean" });
    const want = await knn(rescaled(times(base, 1e15)), { k: 3, metric: "sqeuclidean" });
    expect(ok.indices).toEqual(want.indices);
  });

  it("knn cosine and knnQuery / KnnIndex.search on extreme values", async () => {
    const X = times(base, 1e30);
    const cos = await knn(X, { k: 4, metric: "cosine" });
    const cosBase = await knn(rescaled(X), { k: 4, metric: "cosine" });
    expect(cos.indices).toEqual(cosBase.indices);
    expect(cos.distances).toEqual(cosBase.distances);
    const Q = times(randomMatrix(9, 6, 6), 1e30);
    const q = await knnQuery(X, Q, { k: 3 });
    const scale = largest(rescaled(X)) / largest(X);
    const qBase = await knnQuery(times(X, scale), times(Q, scale), { k: 3 });
    expect(q.indices).toEqual(qBase.indices);
    for (let i = 0; i < q.distances.length; i++)
      expect(q.distances[i]).toBe(Math.fround(qBase.distances[i] / scale));
    const index = await KnnIndex.build(X);
    try {
      const r = await index.search(Q, 3);
      expect(r.indices).toEqual(q.indices);
      expect(r.distances).toEqual(q.distances);
      // Queries 2^25 times larger than the indexed data would overflow its kernels.
      await expect(index.search(times(Q, 2 ** 25), 3)).rejects.toMatchObject({
        code: "E_RANGE",
        message: expect.stringMatching(
          /queries reach .* more than 2\^20 times the indexed data's largest value/,
        ),
      });
    } finally {
      index.dispose();
    }
  });

  it("pairwiseDistances and nnDescent: the rescaled data's answer, in the data's units", async () => {
    for (const s of [1e20, 1e-40]) {
      const X = times(base, s);
      const R = rescaled(X);
      const factor = largest(X) / largest(R);
      const got = await pairwiseDistances(X);
      const want = await pairwiseDistances(R);
      for (let i = 0; i < got.data.length; i++)
        expect(got.data[i]).toBe(Math.fround(want.data[i] * factor));
      const a = await nnDescent(X, { k: 5, seed: 3 });
      const b = await nnDescent(R, { k: 5, seed: 3 });
      expect(a.indices).toEqual(b.indices);
      for (let i = 0; i < a.distances.length; i++)
        expect(a.distances[i]).toBe(Math.fround(b.distances[i] * factor));
    }
    await expect(
      pairwiseDistances(times(base, 1e20), undefined, { metric: "sqeuclidean" }),
    ).rejects.toMatchObject({ code: "E_RANGE" });
  });
});

describe("SOM on extreme values", () => {
  it("trains on the rescaled data; weights, QE and projected distances come back in the data's units", async () => {
    const base = randomMatrix(80, 4, 8);
    for (const s of [1e30, 1e-40]) {
      const X = times(base, s);
      const R = rescaled(X);
      const factor = largest(X) / largest(R);
      const a = await som(X, { rows: 3, cols: 3, epochs: 5 });
      const b = await som(R, { rows: 3, cols: 3, epochs: 5 });
      expect(a.bmus).toEqual(b.bmus);
      expect(a.params.rangeScale).toBe(1 / factor);
      expect(a.quantizationError).toBe(b.quantizationError * factor);
      for (let i = 0; i < a.weights.data.length; i++)
        expect(a.weights.data[i]).toBe(Math.fround(b.weights.data[i] * factor));
      // New samples at the data's scale, projected on the map trained in kernel units.
      const Q = times(randomMatrix(10, 4, 9), s);
      const pa = await somProject(a, Q);
      const pb = await somProject(b, times(Q, 1 / factor));
      expect(pa.bmus).toEqual(pb.bmus);
      pa.distances.forEach((v, i) =>
        expect(Math.abs(v - pb.distances[i] * factor)).toBeLessThanOrEqual(
          2 ** -149 + 1e-6 * pb.distances[i] * factor,
        ),
      );
    }
  });
});
