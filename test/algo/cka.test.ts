import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ckaMatrix, linearCka } from "../../src/algo/cka.ts";
import { subsample, takeRows } from "../../src/algo/subsample.ts";
import type { Matrix } from "../../src/core/matrix.ts";
import { readNpy } from "../../src/io/npy.ts";
import { mulberry32, randomMatrix } from "../helpers.ts";

const fixture = (name: string) => new URL(`../fixtures/cka/${name}`, import.meta.url);
const load = (name: string): Matrix => {
  const a = readNpy(new Uint8Array(readFileSync(fixture(name))));
  return { rows: a.shape[0], cols: a.shape[1], data: Float32Array.from(a.data as ArrayLike<number>) };
};
const reference = JSON.parse(readFileSync(fixture("reference.json"), "utf8"));

const column = (values: number[]): Matrix => ({ rows: values.length, cols: 1, data: Float32Array.from(values) });

/** X Q s + b with a random orthogonal Q (Gram–Schmidt), scale s and shift b. */
function rotated(X: Matrix, s: number, seed: number): Matrix {
  const r = mulberry32(seed);
  const d = X.cols;
  const Q: number[][] = [];
  for (let i = 0; i < d; i++) {
    const v = Array.from({ length: d }, () => r() - 0.5);
    for (const q of Q) {
      const dot = v.reduce((a, x, k) => a + x * q[k], 0);
      for (let k = 0; k < d; k++) v[k] -= dot * q[k];
    }
    const norm = Math.hypot(...v);
    Q.push(v.map((x) => x / norm));
  }
  const out = new Float32Array(X.rows * d);
  for (let i = 0; i < X.rows; i++) {
    for (let j = 0; j < d; j++) {
      let v = 0;
      for (let k = 0; k < d; k++) v += X.data[i * d + k] * Q[k][j];
      out[i * d + j] = s * v + 3 * j - 1;
    }
  }
  return { rows: X.rows, cols: d, data: out };
}

describe("linearCka", () => {
  it("is the squared correlation for one-dimensional representations (hand case: 0.2)", async () => {
    // x = 0,1,2,3 and y = 0,1,0,1: centred xᵀy = 1, ‖x‖² = 5, ‖y‖² = 1, so CKA = 1² / (5 · 1).
    const { cka, hsic } = await linearCka(column([0, 1, 2, 3]), column([0, 1, 0, 1]));
    expect(cka).toBeCloseTo(0.2, 14);
    expect(hsic).toEqual({ xy: 1, xx: 25, yy: 1 });
  });

  it("is 1 for a representation and its rotated, scaled, shifted copy (plain and debiased)", async () => {
    const X = randomMatrix(50, 6, 3);
    const Y = rotated(X, 2.5, 9);
    expect((await linearCka(X, Y)).cka).toBeCloseTo(1, 6);
    expect((await linearCka(X, Y, { debiased: true })).cka).toBeCloseTo(1, 6);
    expect((await linearCka(X, X)).cka).toBeCloseTo(1, 12);
  });

  it("matches the Gram-matrix CKA of Kornblith et al.'s reference to 1e-9 (plain and debiased)", async () => {
    const layers = (reference.names as string[]).map((n) => load(`${n}.npy`));
    for (let i = 0; i < layers.length; i++) {
      for (let j = 0; j < layers.length; j++) {
        const plain = await linearCka(layers[i], layers[j]);
        const debiased = await linearCka(layers[i], layers[j], { debiased: true });
        expect(plain.cka).toBeCloseTo(reference.cka[i][j], 9);
        expect(debiased.cka).toBeCloseTo(reference.cka_debiased[i][j], 9);
      }
    }
    // The unrelated wide Z: plain CKA is biased well above 0, debiased CKA is ≈ 0.
    expect(reference.cka[0][2]).toBeGreaterThan(0.25);
    expect(Math.abs(reference.cka_debiased[0][2])).toBeLessThan(0.05);
  });

  it("ckaMatrix equals the pairwise values, is symmetric with a unit diagonal", async () => {
    const layers = (reference.names as string[]).map((n) => load(`${n}.npy`));
    for (const debiased of [false, true]) {
      const { matrix, size, n } = await ckaMatrix(layers, { debiased });
      expect(size).toBe(3);
      expect(n).toBe(80);
      const ref = debiased ? reference.cka_debiased : reference.cka;
      for (let i = 0; i < 3; i++) {
        expect(matrix[i * 3 + i]).toBe(1);
        for (let j = 0; j < 3; j++) {
          expect(matrix[i * 3 + j]).toBeCloseTo(ref[i][j], 9);
          expect(matrix[i * 3 + j]).toBe(matrix[j * 3 + i]);
        }
      }
    }
  });

  it("is NaN for a zero-variance representation (as the reference)", async () => {
    const dead: Matrix = { rows: 10, cols: 3, data: new Float32Array(30).fill(0.5) };
    expect((await linearCka(randomMatrix(10, 4, 1), dead)).cka).toBeNaN();
  });

  it("rejects mismatched rows, non-finite values, too few samples and unknown options", async () => {
    await expect(linearCka(randomMatrix(10, 3), randomMatrix(9, 3))).rejects.toThrow(/representation 1 has 9 rows but representation 0 has 10/);
    const bad = randomMatrix(10, 3);
    bad.data[4] = NaN;
    await expect(linearCka(randomMatrix(10, 3), bad)).rejects.toMatchObject({ code: "E_NON_FINITE" });
    await expect(linearCka(randomMatrix(3, 2), randomMatrix(3, 2), { debiased: true })).rejects.toThrow(/debiased CKA needs at least 4 samples; got 3/);
    await expect(linearCka(randomMatrix(5, 2), randomMatrix(5, 2), { debias: true } as never)).rejects.toThrow(/unknown option for linearCka: "debias"/);
    await expect(ckaMatrix([])).rejects.toThrow(/at least one representation/);
  });
});

describe("subsample", () => {
  it("farthest matches ripser.py's greedy permutation: indices and insertion radii", async () => {
    const P = load("cloud.npy");
    const ref = reference.greedy_perm;
    const { indices, insertionRadii, coverRadius } = await subsample(P, { size: ref.n_perm, method: "farthest" });
    expect(Array.from(indices)).toEqual(ref.indices);
    // ripser.py's lambdas[i] is the radius at which point i + 1 enters; ours is indexed by the point.
    for (let i = 1; i < ref.n_perm; i++) expect(insertionRadii![i]).toBeCloseTo(ref.lambdas[i - 1], 5);
    expect(insertionRadii![0]).toBe(Infinity);
    expect(coverRadius).toBeCloseTo(ref.lambdas[ref.n_perm - 1], 5);
  });

  it("farthest: every row lies within coverRadius of the sample (brute force), radii fall", async () => {
    const X = randomMatrix(200, 4, 11);
    const { indices, coverRadius, insertionRadii } = await subsample(X, { size: 25, method: "farthest", start: 7 });
    expect(indices[0]).toBe(7);
    expect(new Set(indices).size).toBe(25);
    let worst = 0;
    for (let i = 0; i < X.rows; i++) {
      let best = Infinity;
      for (const j of indices) {
        let s = 0;
        for (let k = 0; k < 4; k++) s += (X.data[i * 4 + k] - X.data[j * 4 + k]) ** 2;
        best = Math.min(best, Math.sqrt(s));
      }
      worst = Math.max(worst, best);
    }
    expect(coverRadius).toBeCloseTo(worst, 6);
    for (let i = 2; i < 25; i++) expect(insertionRadii![i]).toBeLessThanOrEqual(insertionRadii![i - 1]);
  });

  it("farthest never repeats a row, even when rows are duplicated", async () => {
    const data = new Float32Array([0, 0, 0, 0, 1, 1, 1, 1, 0, 0]);
    const { indices, coverRadius } = await subsample({ rows: 5, cols: 2, data }, { size: 5, method: "farthest" });
    expect([...indices].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(coverRadius).toBe(0);
  });

  it("random is seeded: same seed same rows (ascending, distinct), another seed other rows", async () => {
    const X = randomMatrix(500, 3, 2);
    const a = await subsample(X, { size: 100, seed: 5 });
    const b = await subsample(X, { size: 100, seed: 5 });
    const c = await subsample(X, { size: 100, seed: 6 });
    expect(a.indices).toEqual(b.indices);
    expect(a.indices).not.toEqual(c.indices);
    expect(new Set(a.indices).size).toBe(100);
    expect(Array.from(a.indices)).toEqual([...a.indices].sort((x, y) => x - y));
    expect(a.coverRadius).toBeNull();
    const Y = takeRows(X, a.indices);
    expect(Array.from(Y.data.subarray(0, 3))).toEqual(Array.from(X.data.subarray(a.indices[0] * 3, a.indices[0] * 3 + 3)));
  });

  it("rejects a size out of range, an unknown method and a bad start", async () => {
    const X = randomMatrix(10, 2);
    await expect(subsample(X, { size: 11 })).rejects.toThrow(/invalid size: 11 \(expected an integer from 1 to 10\)/);
    await expect(subsample(X, { size: 0 })).rejects.toThrow(/invalid size: 0/);
    await expect(subsample(X, { size: 3, method: "kmeans" as never })).rejects.toThrow(/invalid method: "kmeans"/);
    await expect(subsample(X, { size: 3, method: "farthest", start: 10 })).rejects.toThrow(/invalid start: 10/);
  });
});
