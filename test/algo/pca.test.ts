import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { pca } from "../../src/algo/pca.ts";
import { HiddenAtlasError } from "../../src/core/errors.ts";
import { loadCore } from "../../src/core/wasm.ts";
import { bytes, randomMatrix } from "../helpers.ts";

const reference = JSON.parse(
  readFileSync(new URL("../fixtures/algo/reference.json", import.meta.url), "utf8"),
);

function digitsMatrix() {
  const bytes = readFileSync(new URL("../../data/digits/images.npy", import.meta.url));
  const headerLength = bytes.readUInt16LE(8);
  const pixels = bytes.subarray(10 + headerLength);
  return { rows: 1797, cols: 64, data: Float32Array.from(pixels) };
}

describe("symmetricEigen", () => {
  it("matches numpy.linalg.eigh on a random symmetric 20 × 20 matrix", async () => {
    const core = await loadCore();
    const { matrix, values_desc, vectors_desc } = reference.symmetric_20;
    const n = 20;
    core.scope((s) => {
      const a = s.upload(Float64Array.from(matrix.flat()));
      const w = s.f64(n);
      const e = s.f64(3 * n);
      expect(core.kernels.symmetricEigen(a.ptr, n, w.ptr, e.ptr)).toBe(0);
      const values = w.view();
      const vectors = a.view();
      for (let j = 0; j < n; j++) {
        expect(values[j]).toBeCloseTo(values_desc[j], 10);
        // Same vector up to sign.
        let dot = 0;
        for (let i = 0; i < n; i++) dot += vectors[i * n + j] * vectors_desc[j][i];
        expect(Math.abs(dot)).toBeCloseTo(1, 10);
      }
    });
  });

  it("handles matrices the reduction leaves alone: 1 × 1, diagonal, already tridiagonal, repeated eigenvalues", async () => {
    const core = await loadCore();
    const solve = (n: number, A: number[]) =>
      core.scope((s) => {
        const a = s.upload(Float64Array.from(A));
        const w = s.f64(n);
        expect(core.kernels.symmetricEigen(a.ptr, n, w.ptr, s.f64(3 * n).ptr)).toBe(0);
        return { values: Array.from(w.view()), vectors: Array.from(a.view()) };
      });
    expect(solve(1, [-2.5])).toEqual({ values: [-2.5], vectors: [1] });
    // Diagonal: the eigenvalues sorted, the vectors a permutation of the identity (signs positive).
    const diagonal = solve(3, [1, 0, 0, 0, 3, 0, 0, 0, 2]);
    expect(diagonal.values).toEqual([3, 2, 1]);
    expect(diagonal.vectors).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0]);
    // Tridiagonal 2, −1 (the path graph's Laplacian-like matrix): λ_j = 2 − 2cos(jπ/(n+1)).
    const n = 6;
    const T = new Array(n * n).fill(0);
    for (let i = 0; i < n; i++) {
      T[i * n + i] = 2;
      if (i + 1 < n) T[i * n + i + 1] = T[(i + 1) * n + i] = -1;
    }
    const tri = solve(n, T);
    const expected = Array.from(
      { length: n },
      (_, j) => 2 - 2 * Math.cos(((n - j) * Math.PI) / (n + 1)),
    );
    tri.values.forEach((v, j) => expect(v).toBeCloseTo(expected[j], 12));
    // 2I + 1·1ᵀ (n = 4): eigenvalue 6 once, 2 three times; the vectors stay orthonormal.
    const J = Array.from({ length: 16 }, (_, q) => (q % 5 === 0 ? 3 : 1));
    const repeated = solve(4, J);
    [6, 2, 2, 2].forEach((v, j) => expect(repeated.values[j]).toBeCloseTo(v, 12));
    for (let p = 0; p < 4; p++) {
      for (let q = 0; q < 4; q++) {
        let dot = 0;
        for (let i = 0; i < 4; i++)
          dot += repeated.vectors[i * 4 + p] * repeated.vectors[i * 4 + q];
        expect(dot).toBeCloseTo(p === q ? 1 : 0, 12);
      }
    }
  });

  it("diagonalises: A v = λ v and VᵀV = I for a 150 × 150 matrix", async () => {
    const core = await loadCore();
    const n = 150;
    const r = randomMatrix(n, n, 11);
    const A = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) A[i * n + j] = r.data[i * n + j] + r.data[j * n + i];
    core.scope((s) => {
      const a = s.upload(A);
      const w = s.f64(n);
      const e = s.f64(3 * n);
      expect(core.kernels.symmetricEigen(a.ptr, n, w.ptr, e.ptr)).toBe(0);
      const V = a.view();
      const values = w.view();
      let maxResidual = 0;
      let maxOrtho = 0;
      for (let j = 0; j < n; j++) {
        if (j > 0) expect(values[j]).toBeLessThanOrEqual(values[j - 1]);
        for (let i = 0; i < n; i++) {
          let av = 0;
          for (let k = 0; k < n; k++) av += A[i * n + k] * V[k * n + j];
          maxResidual = Math.max(maxResidual, Math.abs(av - values[j] * V[i * n + j]));
        }
        for (let l = 0; l <= j; l++) {
          let dot = 0;
          for (let k = 0; k < n; k++) dot += V[k * n + j] * V[k * n + l];
          maxOrtho = Math.max(maxOrtho, Math.abs(dot - (l === j ? 1 : 0)));
        }
      }
      expect(maxResidual).toBeLessThan(1e-10);
      expect(maxOrtho).toBeLessThan(1e-12);
    });
  });
});

describe("the values-only path: householderSteps + tridiagonalEigenvalues, tridiagonalEigenvectors", () => {
  /** Every eigenvalue without the vectors, and the `count` leading vectors (n × count). */
  async function leading(A: Float64Array, n: number, count: number) {
    const core = await loadCore();
    const k = core.kernels;
    return core.scope((s) => {
      const a = s.upload(A);
      const d = s.f64(n);
      const e = s.f64(n);
      const work = s.f64((7 + count) * n);
      k.householderSteps(a.ptr, n, 0, n, d.ptr, e.ptr, work.ptr);
      const values = s.upload(d.view().slice());
      const ql = s.upload(e.view().slice());
      expect(k.tridiagonalEigenvalues(values.ptr, ql.ptr, n)).toBe(0);
      const out = s.f64(n * count);
      expect(
        k.tridiagonalEigenvectors(a.ptr, n, d.ptr, e.ptr, values.ptr, count, out.ptr, work.ptr),
      ).toBe(0);
      return { values: values.copy(), vectors: out.copy() };
    });
  }
  async function full(A: Float64Array, n: number) {
    const core = await loadCore();
    return core.scope((s) => {
      const a = s.upload(A);
      const w = s.f64(n);
      expect(core.kernels.symmetricEigen(a.ptr, n, w.ptr, s.f64(3 * n).ptr)).toBe(0);
      return { values: w.copy(), vectors: a.copy() };
    });
  }
  /** Q·diag(λ)·Qᵀ with Q a product of three seeded reflectors: eigenvalues known exactly. */
  function withEigenvalues(lambda: number[], seed: number) {
    const n = lambda.length;
    let Q = new Float64Array(n * n);
    for (let i = 0; i < n; i++) Q[i * n + i] = 1;
    for (let r = 0; r < 3; r++) {
      const v = randomMatrix(1, n, seed + r).data;
      const vv = v.reduce((a, x) => a + x * x, 0);
      const next = new Float64Array(n * n);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          let sum = 0;
          for (let l = 0; l < n; l++)
            sum += Q[i * n + l] * ((l === j ? 1 : 0) - (2 * v[l] * v[j]) / vv);
          next[i * n + j] = sum;
        }
      Q = next;
    }
    const A = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let l = 0; l < n; l++) sum += Q[i * n + l] * lambda[l] * Q[j * n + l];
        A[i * n + j] = sum;
      }
    return { A, Q };
  }

  it("gives symmetricEigen's eigenvalues bit for bit, the known ones to 1e-12, and its leading vectors to 1e-12", async () => {
    // 60 known eigenvalues, shuffled: 50 down to 1 in steps of ~0.85, a double 0.5 and eight 0s.
    const known = [
      ...Array.from({ length: 50 }, (_, i) => 50 - i * 0.85),
      0.5,
      0.5,
      ...new Array(8).fill(0),
    ];
    const shuffled = known.map((v, i) => [v, (i * 37) % known.length]).sort((a, b) => a[1] - b[1]);
    const n = known.length;
    const { A, Q } = withEigenvalues(
      shuffled.map((x) => x[0]),
      21,
    );
    const ours = await leading(A, n, 3);
    const reference = await full(A, n);
    // Same reduction, same QL rotations of (d, e): the same doubles.
    expect(bytes(ours.values)).toEqual(bytes(reference.values));
    known.forEach((v, j) => expect(Math.abs(ours.values[j] - v)).toBeLessThan(1e-12 * 50));
    for (let j = 0; j < 3; j++) {
      let dot = 0;
      let worst = 0;
      for (let i = 0; i < n; i++) {
        dot += ours.vectors[i * 3 + j] * reference.vectors[i * n + j];
        // Same sign convention: the entries themselves agree.
        worst = Math.max(worst, Math.abs(ours.vectors[i * 3 + j] - reference.vectors[i * n + j]));
      }
      expect(Math.abs(dot - 1)).toBeLessThan(1e-12);
      expect(worst).toBeLessThan(1e-12);
      // And the column of Q that was scaled by that eigenvalue, up to sign.
      const column = shuffled.findIndex((x) => x[0] === known[j]);
      let q = 0;
      for (let i = 0; i < n; i++) q += ours.vectors[i * 3 + j] * Q[i * n + column];
      expect(Math.abs(Math.abs(q) - 1)).toBeLessThan(1e-12);
    }
  });

  it("the path graph's tridiagonal 2, −1: λ_j = 2 − 2cos(jπ/(n+1)), vectors sin(ijπ/(n+1)), already reduced", async () => {
    const n = 40;
    const T = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      T[i * n + i] = 2;
      if (i + 1 < n) T[i * n + i + 1] = T[(i + 1) * n + i] = -1;
    }
    const ours = await leading(T, n, 2);
    for (let j = 0; j < 2; j++) {
      const m = n - j; // the largest eigenvalues: j = n, n − 1
      expect(ours.values[j]).toBeCloseTo(2 - 2 * Math.cos((m * Math.PI) / (n + 1)), 13);
      let dot = 0;
      let norm = 0;
      for (let i = 0; i < n; i++) {
        const x = Math.sin(((i + 1) * m * Math.PI) / (n + 1));
        dot += x * ours.vectors[i * 2 + j];
        norm += x * x;
      }
      expect(Math.abs(Math.abs(dot) / Math.sqrt(norm) - 1)).toBeLessThan(1e-12);
    }
  });

  it("a repeated leading eigenvalue: 2I + 11ᵀ's 6 then 2, and a double 5 (two orthonormal vectors of its eigenspace)", async () => {
    const n = 5;
    const J = Float64Array.from({ length: n * n }, (_, q) => (q % (n + 1) === 0 ? 3 : 1));
    const a = await leading(J, n, 2);
    expect(a.values[0]).toBeCloseTo(7, 13);
    expect(a.values[1]).toBeCloseTo(2, 13);
    for (let i = 0; i < n; i++) expect(a.vectors[i * 2]).toBeCloseTo(1 / Math.sqrt(n), 13);
    const { A } = withEigenvalues([5, 1, 5, 0.25, 3, 2], 5);
    const b = await leading(A, 6, 2);
    expect(Array.from(b.values.subarray(0, 2))).toEqual([
      expect.closeTo(5, 12),
      expect.closeTo(5, 12),
    ]);
    let cross = 0;
    for (let j = 0; j < 2; j++) {
      let norm = 0;
      let residual = 0;
      for (let i = 0; i < 6; i++) {
        norm += b.vectors[i * 2 + j] ** 2;
        let av = 0;
        for (let l = 0; l < 6; l++) av += A[i * 6 + l] * b.vectors[l * 2 + j];
        residual = Math.max(residual, Math.abs(av - 5 * b.vectors[i * 2 + j]));
      }
      expect(norm).toBeCloseTo(1, 13);
      expect(residual).toBeLessThan(1e-12);
    }
    for (let i = 0; i < 6; i++) cross += b.vectors[i * 2] * b.vectors[i * 2 + 1];
    expect(Math.abs(cross)).toBeLessThan(1e-12);
    // The zero matrix (constant data's covariance): the unit vectors, as symmetricEigen gives.
    const zero = await leading(new Float64Array(16), 4, 2);
    expect(Array.from(zero.values)).toEqual([0, 0, 0, 0]);
    expect(Array.from(zero.vectors)).toEqual([1, 0, 0, 1, 0, 0, 0, 0]);
    expect(Array.from((await full(new Float64Array(16), 4)).vectors.subarray(0, 8))).toEqual([
      1, 0, 0, 0, 0, 1, 0, 0,
    ]);
  });
});

describe("pca", () => {
  it('eigenvectors: "leading" gives the spectrum of "all" bit for bit and its components to 1e-12 (digits; 2,000 × 300 with 3 factors; a 30 × 3,000 Gram problem)', async () => {
    const factors = randomMatrix(2000, 300, 9);
    for (let i = 0; i < 2000; i++)
      for (let c = 0; c < 300; c++)
        factors.data[i * 300 + c] += ((i % 7) - 3) * ((c % 5) - 2) * 0.5 + (i % 3) * (c % 2);
    for (const [X, kept] of [
      [digitsMatrix(), 5],
      [factors, 2],
      [randomMatrix(30, 3000, 7), 3],
    ] as const) {
      const all = await pca(X, { nComponents: kept });
      const lead = await pca(X, { nComponents: kept, eigenvectors: "leading" });
      expect(lead.params.eigenvectors).toBe("leading");
      expect(bytes(lead.spectrum)).toEqual(bytes(all.spectrum));
      expect(bytes(lead.explainedVariance)).toEqual(bytes(all.explainedVariance));
      expect(lead.totalVariance).toBe(all.totalVariance);
      let worst = 0;
      for (let i = 0; i < all.components.length; i++)
        worst = Math.max(worst, Math.abs(lead.components[i] - all.components[i]));
      expect(worst).toBeLessThan(1e-12);
      let scoreScale = 0;
      let scoreGap = 0;
      for (let i = 0; i < all.scores.data.length; i++) {
        scoreScale = Math.max(scoreScale, Math.abs(all.scores.data[i]));
        scoreGap = Math.max(scoreGap, Math.abs(lead.scores.data[i] - all.scores.data[i]));
      }
      expect(scoreGap).toBeLessThanOrEqual(1e-6 * scoreScale);
    }
    // Still scikit-learn's components on the digits.
    const ref = reference.digits_pca;
    const r = await pca(digitsMatrix(), { nComponents: 5, eigenvectors: "leading" });
    for (let j = 0; j < 5; j++) {
      let dot = 0;
      for (let i = 0; i < 64; i++) dot += r.components[i * 5 + j] * ref.components[j][i];
      expect(Math.abs(dot)).toBeCloseTo(1, 9);
    }
    // Constant data: zero variances, the unit vectors as components on both paths.
    const constant = { rows: 20, cols: 12, data: new Float32Array(240).fill(3) };
    const flat = await pca(constant, { nComponents: 2, eigenvectors: "leading" });
    expect(bytes(flat.components)).toEqual(
      bytes((await pca(constant, { nComponents: 2 })).components),
    );
    expect(flat.totalVariance).toBe(0);
    await expect(
      pca(randomMatrix(10, 3), { eigenvectors: "some" as unknown as "all" }),
    ).rejects.toThrow(/invalid eigenvectors: "some"/);
  });

  it("matches scikit-learn's PCA on the digits (variances, components up to sign, scores)", async () => {
    const X = digitsMatrix();
    const ref = reference.digits_pca;
    const result = await pca(X, { nComponents: 5 });
    for (let j = 0; j < 5; j++) {
      expect(result.explainedVariance[j]).toBeCloseTo(ref.explained_variance[j], 6);
      expect(result.explainedVarianceRatio[j]).toBeCloseTo(ref.explained_variance_ratio[j], 9);
      let dot = 0;
      for (let i = 0; i < 64; i++) dot += result.components[i * 5 + j] * ref.components[j][i];
      const sign = Math.sign(dot);
      expect(Math.abs(dot)).toBeCloseTo(1, 9);
      for (let r = 0; r < 10; r++) {
        expect(result.scores.data[r * 5 + j]).toBeCloseTo(sign * ref.scores_first_10[r][j], 3);
      }
    }
    for (let i = 0; i < 64; i++) expect(result.mean[i]).toBeCloseTo(ref.mean[i], 9);
  });

  it("recovers the axis of a stretched cloud and is invariant to a shift", async () => {
    const X = randomMatrix(500, 3, 2);
    for (let i = 0; i < 500; i++) {
      X.data[i * 3] *= 10;
      X.data[i * 3 + 2] *= 0.1;
    }
    const a = await pca(X, { nComponents: 3 });
    expect(Math.abs(a.components[0])).toBeGreaterThan(0.999); // first loading of PC1 on axis 0
    const shifted = { ...X, data: X.data.map((v, i) => v + (i % 3) * 100) };
    const b = await pca(shifted, { nComponents: 3 });
    for (let j = 0; j < 3; j++)
      expect(b.explainedVariance[j]).toBeCloseTo(a.explainedVariance[j], 3);
  });

  it("gives bit-identical results on repeated runs", async () => {
    const X = randomMatrix(300, 20, 5);
    const a = await pca(X, { nComponents: 4 });
    const b = await pca(X, { nComponents: 4 });
    expect(Buffer.from(b.scores.data.buffer)).toEqual(Buffer.from(a.scores.data.buffer));
  });

  it("validates nComponents and the row count", async () => {
    await expect(pca(randomMatrix(10, 3), { nComponents: 4 })).rejects.toThrow(
      /invalid nComponents: 4 \(expected an integer from 1 to 3\)/,
    );
    await expect(pca(randomMatrix(1, 3))).rejects.toThrow(/at least 2 rows/);
  });
});

describe("pca of wide data (fewer rows than columns, d > 1024)", () => {
  it("30 × 3000 in seconds through the Gram matrix: orthonormal components, scores Xc·V, variances = eigenvalues, as the covariance path gives", async () => {
    const n = 30;
    const d = 3000;
    // Rank 3 signal plus a little noise: three clear components.
    const X = randomMatrix(n, d, 7);
    const basis = randomMatrix(3, d, 8);
    for (let i = 0; i < n; i++)
      for (let c = 0; c < d; c++)
        X.data[i * d + c] =
          0.01 * X.data[i * d + c] +
          (i % 3 === 0 ? 3 : i % 3 === 1 ? -2 : 1) * basis.data[c] +
          ((i * 7) % 5) * basis.data[d + c];
    const r = await pca(X, { nComponents: 3 });
    const mean = Array.from({ length: d }, (_, c) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += X.data[i * d + c];
      return s / n;
    });
    let total = 0;
    for (let c = 0; c < d; c++)
      for (let i = 0; i < n; i++) total += (X.data[i * d + c] - mean[c]) ** 2 / (n - 1);
    expect(r.totalVariance).toBeCloseTo(total, 3);
    expect(r.spectrum.length).toBe(d);
    for (let j = 0; j < 3; j++) {
      for (let l = 0; l <= j; l++) {
        let dot = 0;
        for (let c = 0; c < d; c++) dot += r.components[c * 3 + j] * r.components[c * 3 + l];
        expect(dot).toBeCloseTo(j === l ? 1 : 0, 6);
      }
      let variance = 0;
      let largest = 0;
      for (let c = 0; c < d; c++)
        if (Math.abs(r.components[c * 3 + j]) > Math.abs(largest))
          largest = r.components[c * 3 + j];
      expect(largest).toBeGreaterThan(0); // the covariance path's sign rule
      for (let i = 0; i < n; i++) {
        let score = 0;
        for (let c = 0; c < d; c++)
          score += (X.data[i * d + c] - mean[c]) * r.components[c * 3 + j];
        expect(r.scores.data[i * 3 + j]).toBeCloseTo(score, 3);
        variance += score ** 2 / (n - 1);
      }
      expect(variance / r.explainedVariance[j]).toBeCloseTo(1, 5);
      if (j > 0) expect(r.explainedVariance[j]).toBeLessThanOrEqual(r.explainedVariance[j - 1]);
    }
    expect(r.explainedVarianceRatio[0] + r.explainedVarianceRatio[1]).toBeGreaterThan(0.99); // rank-2 signal
  });
  it("more columns than the dense solver's limit (20 × 12,544, a flattened 64 × 14 × 14 conv map) is a 20 × 20 Gram problem, not refused", async () => {
    const n = 20;
    const d = 12544;
    // Row i is a_i·u + b_i·w with orthogonal ±1 patterns u, w over disjoint halves of the
    // columns: PC1 is u/‖u‖ (the larger spread), PC2 w/‖w‖, and the variances are those of a·‖u‖, b·‖w‖.
    const a = Array.from({ length: n }, (_, i) => (i % 4) - 1.5);
    const b = Array.from({ length: n }, (_, i) => 0.25 * ((i % 5) - 2));
    const X = { rows: n, cols: d, data: new Float32Array(n * d) };
    const half = d / 2;
    for (let i = 0; i < n; i++)
      for (let c = 0; c < d; c++) {
        const sign = c % 3 === 0 ? -1 : 1;
        X.data[i * d + c] = c < half ? a[i] * sign : b[i] * sign;
      }
    const r = await pca(X, { nComponents: 2 });
    const variance = (v: number[]) => {
      const m = v.reduce((s, x) => s + x, 0) / v.length;
      return v.reduce((s, x) => s + (x - m) ** 2, 0) / (v.length - 1);
    };
    expect(r.explainedVariance[0]).toBeCloseTo(variance(a) * half, 6);
    expect(r.explainedVariance[1]).toBeCloseTo(variance(b) * half, 6);
    expect(r.totalVariance).toBeCloseTo((variance(a) + variance(b)) * half, 6);
    // PC1's loadings are ±1/√half on the first half (largest entry positive) and 0 on the second.
    expect(Math.abs(r.components[0 * 2])).toBeCloseTo(1 / Math.sqrt(half), 9);
    expect(r.components[half * 2]).toBeCloseTo(0, 9);
    expect(Math.abs(r.components[half * 2 + 1])).toBeCloseTo(1 / Math.sqrt(half), 9);
    // Scores: a_i·√half (a and b have mean 0), up to the component's sign.
    const scale = r.scores.data[0] / a[0];
    expect(Math.abs(scale)).toBeCloseTo(Math.sqrt(half), 3);
    for (let i = 0; i < n; i++) expect(r.scores.data[i * 2]).toBeCloseTo(scale * a[i], 3);
  });
});

/** The formula matrix of test/fixtures/algo/make_pca_large.py (4,096 × 512, float32), made once. */
let formula: { rows: number; cols: number; data: Float32Array } | undefined;
function formulaMatrix() {
  if (formula) return formula;
  const N = 4096;
  const D = 512;
  const weights = [8.0, 6.0, 4.5, 3.0, 2.0, 1.5];
  // The factors are separable: sin(·i) and cos(·j) tabulated once (the same values and the
  // same (w·sin)·cos products as NumPy's broadcasting).
  const rowsOf = weights.map((w, l) =>
    Float64Array.from({ length: N }, (_, i) => w * Math.sin(0.013 * (l + 1) * i + 0.7 * l)),
  );
  const colsOf = weights.map((_, l) =>
    Float64Array.from({ length: D }, (_, j) => Math.cos(0.021 * (l + 2) * j + 1.1 * l)),
  );
  const data = new Float32Array(N * D);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < D; j++) {
      let x = 3.0 + 0.01 * j + 0.3 * Math.sin(1.7 * i + 2.3 * j + 0.0007 * i * j);
      for (let l = 0; l < weights.length; l++) x += rowsOf[l][i] * colsOf[l][j];
      data[i * D + j] = x;
    }
  }
  return (formula = { rows: N, cols: D, data });
}

describe("pca at scale (float32 covariance chunks, leading-pairs solver)", () => {
  it("covarianceChunked equals the float64 covariance to float32 accuracy on odd sizes", async () => {
    const core = await loadCore();
    const k = core.kernels;
    for (const [n, d] of [
      [300, 37],
      [129, 8],
      [5, 3],
    ]) {
      const X = randomMatrix(n, d, n + d);
      for (let i = 0; i < X.data.length; i++) X.data[i] += 5; // a mean far from 0
      core.scope((s) => {
        const x = s.upload(X.data);
        const mean = s.f64(d);
        k.columnMeans(x.ptr, n, d, mean.ptr);
        const exact = s.f64(d * d);
        k.covariance(x.ptr, n, d, mean.ptr, 1, exact.ptr, s.alloc(k.covarianceScratchBytes(d)));
        const chunked = s.f64(d * d);
        k.covarianceChunked(
          x.ptr,
          n,
          d,
          mean.ptr,
          1,
          chunked.ptr,
          s.alloc(k.covarianceChunkedScratchBytes(d)),
        );
        const a = exact.view();
        const b = chunked.view();
        let worst = 0;
        for (let i = 0; i < d; i++) {
          for (let j = 0; j < d; j++) {
            worst = Math.max(
              worst,
              Math.abs(a[i * d + j] - b[i * d + j]) / Math.sqrt(a[i * d + i] * a[j * d + j]),
            );
            expect(b[i * d + j]).toBe(b[j * d + i]);
          }
        }
        // Uniform(−1, 1) columns: variances near 1/3, so a missed row or column is off by > 1e-3.
        expect(worst).toBeLessThan(1e-6);
      });
    }
  });

  const ref = JSON.parse(
    readFileSync(new URL("../fixtures/algo/pca-large.json", import.meta.url), "utf8"),
  );
  // The dense solver's path (spectrum: true) is checked on the digits above; here the chunked
  // covariance and the leading-pairs solver, the path the explore scatter takes at scale.
  for (const spectrum of [false]) {
    it(`matches scikit-learn's PCA of a 4,096 × 512 matrix (spectrum: ${spectrum})`, async () => {
      const X = formulaMatrix();
      const r = await pca(X, { nComponents: 10, spectrum });
      expect(r.spectrum.length).toBe(10);
      for (let j = 0; j < 10; j++) {
        // The six signal components to 1e-6; the four noise ones (equal eigenvalues, 6e-6 of the
        // variance each) to 2e-3. ddof = 0 instead of 1 would be off by 2.4e-4.
        const tolerance = j < 6 ? 1e-6 : 2e-3;
        expect(Math.abs(r.explainedVariance[j] / ref.explained_variance[j] - 1)).toBeLessThan(
          tolerance,
        );
        expect(
          Math.abs(r.explainedVarianceRatio[j] / ref.explained_variance_ratio[j] - 1),
        ).toBeLessThan(tolerance);
      }
      for (let c = 0; c < 4; c++) {
        let dot = 0;
        for (let i = 0; i < 512; i++) dot += r.components[i * 10 + c] * ref.components[c][i];
        expect(Math.abs(dot)).toBeGreaterThan(1 - 1e-9);
        for (let row = 0; row < 5; row++)
          expect(r.scores.data[row * 10 + c]).toBeCloseTo(
            Math.sign(dot) * ref.scores_first_5[row][c],
            3,
          );
      }
    });
  }

  it("gives the same bits on a second run", async () => {
    const X = formulaMatrix();
    const a = await pca(X, { nComponents: 10, spectrum: false });
    const b = await pca(X, { nComponents: 10, spectrum: false });
    expect(Buffer.from(b.scores.data.buffer).equals(Buffer.from(a.scores.data.buffer))).toBe(true);
    expect(Array.from(b.explainedVariance)).toEqual(Array.from(a.explainedVariance));
  });
});

describe("pca streaming large data through a block buffer", () => {
  it("10,000 × 512 in three blocks: each component satisfies C·v = λ·v (C in float64 from the rows), scores = (x − μ)·v in every block", async () => {
    const n = 10_000;
    const d = 512;
    const X = randomMatrix(n, d, 21);
    // A few strong directions so the leading eigenvalues are distinct.
    for (let i = 0; i < n; i++) {
      const a = Math.sin(i * 0.37) * 3;
      const b = Math.cos(i * 0.11) * 2;
      for (let j = 0; j < d; j++)
        X.data[i * d + j] += a * Math.cos(j * 0.05) + b * Math.sin(j * 0.13) + 1;
    }
    const r = await pca(X, { nComponents: 3, spectrum: false });
    const mean = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += X.data[i * d + j];
    for (let j = 0; j < d; j++) {
      mean[j] /= n;
      expect(r.mean[j]).toBeCloseTo(mean[j], 9);
    }
    for (let c = 0; c < 3; c++) {
      const v = Float64Array.from({ length: d }, (_, j) => r.components[j * 3 + c]);
      // C·v = Xcᵀ (Xc v) / (n − 1)
      const xv = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += (X.data[i * d + j] - mean[j]) * v[j];
        xv[i] = s;
      }
      const cv = new Float64Array(d);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < d; j++) cv[j] += (X.data[i * d + j] - mean[j]) * xv[i];
      let residual = 0;
      let lambda = 0;
      for (let j = 0; j < d; j++) {
        cv[j] /= n - 1;
        lambda += v[j] * cv[j];
      }
      for (let j = 0; j < d; j++) residual = Math.max(residual, Math.abs(cv[j] - lambda * v[j]));
      expect(Math.abs(r.explainedVariance[c] / lambda - 1)).toBeLessThan(1e-6);
      expect(residual / lambda).toBeLessThan(1e-5);
      for (const row of [0, 4095, 4096, 8191, 8192, n - 1])
        expect(r.scores.data[row * 3 + c]).toBeCloseTo(xv[row], 2);
    }
  });
});

describe("pca refuses non-finite values on the large path too", () => {
  it("names the cell of a NaN or an Infinity in a 4,096 × 512 matrix", async () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const X = { rows: 4096, cols: 512, data: new Float32Array(4096 * 512).fill(1) };
      X.data[3000 * 512 + 17] = bad;
      const error = await pca(X, { nComponents: 2, spectrum: false }).catch((e) => e);
      expect(error).toBeInstanceOf(HiddenAtlasError);
      expect(error.code).toBe("E_NON_FINITE");
      expect(error.message).toMatch(/row 3000/);
    }
  });
});
