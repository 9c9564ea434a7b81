import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { pca } from "../../src/algo/pca.ts";
import { loadCore } from "../../src/core/wasm.ts";
import { randomMatrix } from "../helpers.ts";

const reference = JSON.parse(readFileSync(new URL("../fixtures/algo/reference.json", import.meta.url), "utf8"));

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
    const expected = Array.from({ length: n }, (_, j) => 2 - 2 * Math.cos(((n - j) * Math.PI) / (n + 1)));
    tri.values.forEach((v, j) => expect(v).toBeCloseTo(expected[j], 12));
    // 2I + 1·1ᵀ (n = 4): eigenvalue 6 once, 2 three times; the vectors stay orthonormal.
    const J = Array.from({ length: 16 }, (_, q) => (q % 5 === 0 ? 3 : 1));
    const repeated = solve(4, J);
    [6, 2, 2, 2].forEach((v, j) => expect(repeated.values[j]).toBeCloseTo(v, 12));
    for (let p = 0; p < 4; p++) {
      for (let q = 0; q < 4; q++) {
        let dot = 0;
        for (let i = 0; i < 4; i++) dot += repeated.vectors[i * 4 + p] * repeated.vectors[i * 4 + q];
        expect(dot).toBeCloseTo(p === q ? 1 : 0, 12);
      }
    }
  });

  it("diagonalises: A v = λ v and VᵀV = I for a 150 × 150 matrix", async () => {
    const core = await loadCore();
    const n = 150;
    const r = randomMatrix(n, n, 11);
    const A = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) A[i * n + j] = r.data[i * n + j] + r.data[j * n + i];
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

describe("pca", () => {
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
    for (let j = 0; j < 3; j++) expect(b.explainedVariance[j]).toBeCloseTo(a.explainedVariance[j], 3);
  });

  it("gives bit-identical results on repeated runs", async () => {
    const X = randomMatrix(300, 20, 5);
    const a = await pca(X, { nComponents: 4 });
    const b = await pca(X, { nComponents: 4 });
    expect(Buffer.from(b.scores.data.buffer)).toEqual(Buffer.from(a.scores.data.buffer));
  });

  it("validates nComponents and the row count", async () => {
    await expect(pca(randomMatrix(10, 3), { nComponents: 4 })).rejects.toThrow(/invalid nComponents: 4 \(expected an integer from 1 to 3\)/);
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
    for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) X.data[i * d + c] = 0.01 * X.data[i * d + c] + (i % 3 === 0 ? 3 : i % 3 === 1 ? -2 : 1) * basis.data[c] + ((i * 7) % 5) * basis.data[d + c];
    const r = await pca(X, { nComponents: 3 });
    const mean = Array.from({ length: d }, (_, c) => { let s = 0; for (let i = 0; i < n; i++) s += X.data[i * d + c]; return s / n; });
    let total = 0;
    for (let c = 0; c < d; c++) for (let i = 0; i < n; i++) total += (X.data[i * d + c] - mean[c]) ** 2 / (n - 1);
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
      for (let c = 0; c < d; c++) if (Math.abs(r.components[c * 3 + j]) > Math.abs(largest)) largest = r.components[c * 3 + j];
      expect(largest).toBeGreaterThan(0); // the covariance path's sign rule
      for (let i = 0; i < n; i++) {
        let score = 0;
        for (let c = 0; c < d; c++) score += (X.data[i * d + c] - mean[c]) * r.components[c * 3 + j];
        expect(r.scores.data[i * 3 + j]).toBeCloseTo(score, 3);
        variance += score ** 2 / (n - 1);
      }
      expect(variance / r.explainedVariance[j]).toBeCloseTo(1, 5);
      if (j > 0) expect(r.explainedVariance[j]).toBeLessThanOrEqual(r.explainedVariance[j - 1]);
    }
    expect(r.explainedVarianceRatio[0] + r.explainedVarianceRatio[1]).toBeGreaterThan(0.99); // rank-2 signal
  });
});
