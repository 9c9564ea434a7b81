import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ckaCost, ckaMatrix, linearCka, LONG_RUN_MULTIPLY_ADDS } from "../../src/algo/cka.ts";
import { subsample, takeRows } from "../../src/algo/subsample.ts";
import type { Matrix } from "../../src/core/matrix.ts";
import { readNpy } from "../../src/io/npy.ts";
import { mulberry32, randomMatrix } from "../helpers.ts";

const fixture = (name: string) => new URL(`../fixtures/cka/${name}`, import.meta.url);
const load = (name: string): Matrix => {
  const a = readNpy(new Uint8Array(readFileSync(fixture(name))));
  return {
    rows: a.shape[0],
    cols: a.shape[1],
    data: Float32Array.from(a.data as ArrayLike<number>),
  };
};
const reference = JSON.parse(readFileSync(fixture("reference.json"), "utf8"));

const column = (values: number[]): Matrix => ({
  rows: values.length,
  cols: 1,
  data: Float32Array.from(values),
});

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
    await expect(linearCka(randomMatrix(10, 3), randomMatrix(9, 3))).rejects.toThrow(
      /representation 1 has 9 rows but representation 0 has 10/,
    );
    const bad = randomMatrix(10, 3);
    bad.data[4] = NaN;
    await expect(linearCka(randomMatrix(10, 3), bad)).rejects.toMatchObject({
      code: "E_NON_FINITE",
    });
    await expect(
      linearCka(randomMatrix(3, 2), randomMatrix(3, 2), { debiased: true }),
    ).rejects.toThrow(/debiased CKA needs at least 4 samples; got 3/);
    await expect(
      linearCka(randomMatrix(5, 2), randomMatrix(5, 2), { debias: true } as never),
    ).rejects.toThrow(/unknown option for linearCka: "debias"/);
    await expect(ckaMatrix([])).rejects.toThrow(/at least one representation/);
  });
});

describe("linearCka: feature and Gram forms", () => {
  const layers = (reference.names as string[]).map((n) => load(`${n}.npy`));

  it("the Gram form (n × n) and the feature form give Kornblith's reference values to 1e-9", async () => {
    for (const form of ["feature", "gram"] as const) {
      for (let i = 0; i < layers.length; i++) {
        for (let j = 0; j < layers.length; j++) {
          const plain = await linearCka(layers[i], layers[j], { form });
          const debiased = await linearCka(layers[i], layers[j], { form, debiased: true });
          expect(plain.params.form).toBe(form);
          expect(plain.cka).toBeCloseTo(reference.cka[i][j], 9);
          expect(debiased.cka).toBeCloseTo(reference.cka_debiased[i][j], 9);
        }
      }
      for (const debiased of [false, true]) {
        const { matrix, params } = await ckaMatrix(layers, { form, debiased });
        expect(params.form).toBe(form);
        const ref = debiased ? reference.cka_debiased : reference.cka;
        for (let i = 0; i < 3; i++)
          for (let j = 0; j < 3; j++) expect(matrix[i * 3 + j]).toBeCloseTo(ref[i][j], 9);
      }
    }
    // The HSIC sums themselves agree between the forms (relative 1e-12).
    const f = await linearCka(layers[0], layers[2], { form: "feature", debiased: true });
    const g = await linearCka(layers[0], layers[2], { form: "gram", debiased: true });
    for (const key of ["xy", "xx", "yy"] as const)
      expect(Math.abs(g.hsic[key] - f.hsic[key])).toBeLessThan(1e-12 * Math.abs(f.hsic.xx));
  });

  it('"auto" takes the Gram form when there are fewer samples than columns, the feature form otherwise', async () => {
    // Z is 80 × 200: Z against itself costs 80·(3·200²) = 9.6e6 in feature form, 80·81·200 + 3·80·81/2 in Gram form.
    const wide = await linearCka(layers[2], layers[2]);
    expect(wide.params.form).toBe("gram");
    expect(wide.cost.multiplyAdds).toBe(80 * 81 * 200 + (3 * 80 * 81) / 2);
    const narrow = await linearCka(layers[0], layers[1]);
    expect(narrow.params.form).toBe("feature");
    expect(narrow.cost.multiplyAdds).toBe(80 * (12 * 9 + 12 * 12 + 9 * 9));
    // Flattened conv maps: 500 samples of 8,192 columns. Gram: 500·501·8192; feature: 500·8192² per pair.
    const flat = ckaCost(
      500,
      [8192, 8192],
      [
        [0, 1],
        [0, 0],
        [1, 1],
      ],
    );
    expect(flat.form).toBe("gram");
    expect(flat.multiplyAdds).toBeCloseTo(500 * 501 * 8192 + (3 * 500 * 501) / 2, 0);
    // The cheaper form yields to one that fits: 20,000 × 10,000 is cheaper as Grams (6.4 GB),
    // but only the feature form (4 GB) fits a 5 GB budget.
    const pairs: [number, number][] = [
      [0, 1],
      [0, 0],
      [1, 1],
    ];
    expect(ckaCost(20000, [10000, 10000], pairs, "gram").multiplyAdds).toBeLessThan(
      ckaCost(20000, [10000, 10000], pairs, "feature").multiplyAdds,
    );
    expect(ckaCost(20000, [10000, 10000], pairs, "auto", 5e9).form).toBe("feature");
  });

  it("names the form, the work and the memory in the progress stage before a long run", async () => {
    // 2,000 samples × 2,600 columns: the Gram form is 2000·2001·2600 ≈ 1.04e10 multiply-adds.
    const X = randomMatrix(2000, 2600, 4);
    const controller = new AbortController();
    const stages: string[] = [];
    const run = linearCka(X, X, {
      signal: controller.signal,
      onProgress: (e) => {
        stages.push(e.stage);
        controller.abort(); // the estimate is what we wanted to see
      },
    });
    await expect(run).rejects.toMatchObject({ code: "E_CANCELLED" });
    expect(stages[0]).toMatch(/^CKA \(gram form: 1\.0e\+10 multiply-adds, \d+\.\d MiB\)$/);
    expect(
      ckaCost(
        2000,
        [2600, 2600],
        [
          [0, 1],
          [0, 0],
          [1, 1],
        ],
      ).multiplyAdds,
    ).toBeGreaterThan(LONG_RUN_MULTIPLY_ADDS);
    // A short run keeps the plain stage name.
    const short: string[] = [];
    await linearCka(layers[0], layers[1], { onProgress: (e) => short.push(e.stage) });
    expect(new Set(short)).toEqual(new Set(["CKA"]));
  });

  it("refuses with E_TOO_LARGE and the bytes when the chosen form exceeds WebAssembly memory", async () => {
    // 25,000 samples: two 25,000² float64 Gram matrices are 10 GB.
    const X = randomMatrix(25000, 2, 5);
    const error = await linearCka(X, X, { form: "gram" }).catch((e) => e);
    expect(error.code).toBe("E_TOO_LARGE");
    expect(error.details.bytesNeeded).toBeGreaterThan(2 * 25000 ** 2 * 8);
    expect(error.message).toMatch(/CKA of 25000 samples \(gram form\) needs 9\.3 GiB/);
    // "auto" takes the feature form, which fits: 25,000 · 2 · 2 · 3 multiply-adds.
    expect((await linearCka(X, X)).params.form).toBe("feature");
    await expect(linearCka(X, X, { form: "fast" as never })).rejects.toThrow(
      /invalid form: "fast" \(expected one of "auto", "feature", "gram"\)/,
    );
  });

  it("is exact at float32's extremes: 1e38, 1e-20 and subnormal 1e-40 data give the rescaled data's CKA", async () => {
    const X = layers[0];
    const Y = layers[1];
    const times = (m: Matrix, s: number): Matrix => ({
      ...m,
      data: Float32Array.from(m.data, (v) => v * s),
    });
    for (const debiased of [false, true]) {
      const expected = (await linearCka(X, Y, { debiased })).cka;
      // Powers of two keep every value exact (none becomes subnormal); the CKA must not move.
      for (const s of [2 ** 120, 2 ** -70, 2 ** -100]) {
        for (const form of ["feature", "gram"] as const) {
          expect((await linearCka(times(X, s), times(Y, s), { debiased, form })).cka).toBeCloseTo(
            expected,
            12,
          );
          expect((await linearCka(times(X, s), Y, { debiased, form })).cka).toBeCloseTo(
            expected,
            12,
          );
        }
      }
      // Subnormal values keep fewer digits, and decimal scales round each value once: close, not equal.
      expect((await linearCka(times(X, 2 ** -133), Y, { debiased })).cka).toBeCloseTo(expected, 4);
      expect((await linearCka(times(X, 1e38 / 8), times(Y, 1e-40), { debiased })).cka).toBeCloseTo(
        expected,
        4,
      );
    }
    const { matrix } = await ckaMatrix([times(X, 2 ** 120), times(X, 2 ** -140), X]);
    for (const v of matrix) expect(v).toBeCloseTo(1, 5);
  });
});

describe("subsample", () => {
  it("farthest matches ripser.py's greedy permutation: indices and insertion radii", async () => {
    const P = load("cloud.npy");
    const ref = reference.greedy_perm;
    const { indices, insertionRadii, coverRadius } = await subsample(P, {
      size: ref.n_perm,
      method: "farthest",
    });
    expect(Array.from(indices)).toEqual(ref.indices);
    // ripser.py's lambdas[i] is the radius at which point i + 1 enters; ours is indexed by the point.
    for (let i = 1; i < ref.n_perm; i++)
      expect(insertionRadii![i]).toBeCloseTo(ref.lambdas[i - 1], 5);
    expect(insertionRadii![0]).toBe(Infinity);
    expect(coverRadius).toBeCloseTo(ref.lambdas[ref.n_perm - 1], 5);
  });

  it("farthest: every row lies within coverRadius of the sample (brute force), radii fall", async () => {
    const X = randomMatrix(200, 4, 11);
    const { indices, coverRadius, insertionRadii } = await subsample(X, {
      size: 25,
      method: "farthest",
      start: 7,
    });
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
    for (let i = 2; i < 25; i++)
      expect(insertionRadii![i]).toBeLessThanOrEqual(insertionRadii![i - 1]);
  });

  it("farthest never repeats a row, even when rows are duplicated", async () => {
    const data = new Float32Array([0, 0, 0, 0, 1, 1, 1, 1, 0, 0]);
    const { indices, coverRadius } = await subsample(
      { rows: 5, cols: 2, data },
      { size: 5, method: "farthest" },
    );
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
    expect(Array.from(Y.data.subarray(0, 3))).toEqual(
      Array.from(X.data.subarray(a.indices[0] * 3, a.indices[0] * 3 + 3)),
    );
  });

  it("rejects a size out of range, an unknown method and a bad start", async () => {
    const X = randomMatrix(10, 2);
    await expect(subsample(X, { size: 11 })).rejects.toThrow(
      /invalid size: 11 \(expected an integer from 1 to 10\)/,
    );
    await expect(subsample(X, { size: 0 })).rejects.toThrow(/invalid size: 0/);
    await expect(subsample(X, { size: 3, method: "kmeans" as never })).rejects.toThrow(
      /invalid method: "kmeans"/,
    );
    await expect(subsample(X, { size: 3, method: "farthest", start: 10 })).rejects.toThrow(
      /invalid start: 10/,
    );
  });
});
