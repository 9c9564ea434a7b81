import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { pairwiseDistances } from "../../src/algo/distance.ts";
import { isomap } from "../../src/algo/isomap.ts";
import { knn } from "../../src/algo/knn.ts";
import { classicalMds, coordinatesFromEigen, mds, smacof } from "../../src/algo/mds.ts";
import { knnRecall, nnDescent } from "../../src/algo/nndescent.ts";
import { pca } from "../../src/algo/pca.ts";
import { tsne, tsneKlGradient } from "../../src/algo/tsne.ts";
import { findAbParams, targetIntersection, umap } from "../../src/algo/umap.ts";
import { knnAccuracy, leaveOneOutKnn, trustworthiness } from "../../src/algo/metrics.ts";
import type { SparseGraph } from "../../src/algo/graph.ts";
import type { Matrix } from "../../src/core/matrix.ts";
import { readNpy } from "../../src/io/npy.ts";
import { randomMatrix } from "../helpers.ts";

const fixture = (name: string) => new URL(`../fixtures/embedding/${name}`, import.meta.url);
const reference = JSON.parse(readFileSync(fixture("reference.json"), "utf8"));
const quality = JSON.parse(readFileSync(fixture("digits_quality.json"), "utf8"));

function npyMatrix(url: URL): Matrix {
  const arr = readNpy(new Uint8Array(readFileSync(url)));
  return {
    rows: arr.shape[0],
    cols: arr.shape.slice(1).reduce((a, b) => a * b, 1),
    data: Float32Array.from(arr.data as ArrayLike<number>),
  };
}
/** The 1,797 bundled digits, raw 0..16, as sklearn's load_digits. */
const digits = () => npyMatrix(new URL("../../data/digits/images.npy", import.meta.url));
/** The first 500 digits with seeded jitter (test/fixtures/embedding/make_reference.py). */
const jittered = () => npyMatrix(fixture("digits500_jitter.npy"));
const head = (X: Matrix, rows: number): Matrix => ({
  rows,
  cols: X.cols,
  data: X.data.slice(0, rows * X.cols),
});

/** Largest |a − s·b| over columns, each column's sign s chosen to fit, relative to max |b|. */
function maxErrorUpToSign(a: ArrayLike<number>, b: number[][], cols: number): number {
  let worst = 0;
  for (let c = 0; c < cols; c++) {
    let dot = 0;
    let scale = 0;
    for (let i = 0; i < b.length; i++) {
      dot += a[i * cols + c] * b[i][c];
      scale = Math.max(scale, Math.abs(b[i][c]));
    }
    const s = dot < 0 ? -1 : 1;
    for (let i = 0; i < b.length; i++)
      worst = Math.max(worst, Math.abs(a[i * cols + c] - s * b[i][c]) / scale);
  }
  return worst;
}

describe("nnDescent", () => {
  it("finds ≥ 99% of the exact 15 nearest neighbours of the digits", async () => {
    const X = digits();
    const approx = await nnDescent(X, { k: 15 });
    const exact = await knn(X, { k: 15 });
    expect(knnRecall(approx, exact)).toBeGreaterThan(0.99);
    // Rows ascending, self excluded, distances Euclidean.
    for (let i = 0; i < X.rows; i += 97) {
      for (let c = 0; c < 15; c++) {
        const j = approx.indices[i * 15 + c];
        expect(j).not.toBe(i);
        if (c > 0)
          expect(approx.distances[i * 15 + c]).toBeGreaterThanOrEqual(
            approx.distances[i * 15 + c - 1],
          );
        let d2 = 0;
        for (let t = 0; t < 64; t++) d2 += (X.data[i * 64 + t] - X.data[j * 64 + t]) ** 2;
        expect(approx.distances[i * 15 + c]).toBeCloseTo(Math.sqrt(d2), 4);
      }
    }
  });

  it("reaches ≥ 97% recall on 5,000 points of a uniform 8-D cube and stops early", async () => {
    const X = randomMatrix(5000, 8, 11);
    const approx = await nnDescent(X, { k: 10 });
    const exact = await knn(X, { k: 10 });
    expect(knnRecall(approx, exact)).toBeGreaterThan(0.97);
    expect(approx.rounds).toBeLessThan(approx.params.nIters);
    expect(approx.updates[approx.updates.length - 1]).toBeLessThanOrEqual(0.001 * 10 * 5000);
  });

  it("is deterministic for a seed and depends on it", async () => {
    const X = randomMatrix(800, 12, 5);
    const a = await nnDescent(X, { k: 8, seed: 3, nTrees: 2, nIters: 2 });
    const b = await nnDescent(X, { k: 8, seed: 3, nTrees: 2, nIters: 2 });
    const c = await nnDescent(X, { k: 8, seed: 4, nTrees: 2, nIters: 2 });
    expect(Array.from(a.indices)).toEqual(Array.from(b.indices));
    expect(Array.from(a.distances)).toEqual(Array.from(b.distances));
    expect(Array.from(a.indices)).not.toEqual(Array.from(c.indices));
  });

  it("rejects bad options", async () => {
    const X = randomMatrix(20, 3);
    await expect(nnDescent(X, { k: 20 })).rejects.toThrow(/invalid k: 20/);
    await expect(nnDescent(X, { delta: 2 })).rejects.toThrow(/invalid delta/);
    await expect(nnDescent(X, { nTrees: -1 })).rejects.toThrow(/invalid nTrees/);
    await expect(nnDescent(X, { kk: 3 } as never)).rejects.toThrow(
      /unknown option for nnDescent: "kk"/,
    );
  });
});

describe("umap", () => {
  it("fits a and b as umap-learn's find_ab_params (scipy curve_fit)", () => {
    // scipy 1.10 curve_fit on the same 300 points.
    const cases: Array<[number, number, number, number]> = [
      [1, 0.1, 1.57694346, 0.89506088],
      [1, 0.5, 0.58303002, 1.33416699],
      [2, 0.01, 0.63534441, 0.79555289],
    ];
    for (const [spread, minDist, a, b] of cases) {
      const fit = findAbParams(spread, minDist);
      expect(fit.a).toBeCloseTo(a, 5);
      expect(fit.b).toBeCloseTo(b, 5);
    }
  });

  it(
    "reaches trustworthiness (k = 10) on the raw digits within 0.01 of scikit-learn's t-SNE",
    { timeout: 120_000 },
    async () => {
      const X = digits();
      const result = await umap(X);
      expect(result.params).toMatchObject({
        nNeighbors: 15,
        minDist: 0.1,
        nEpochs: 500,
        init: "spectral",
        knnMethod: "exact",
      });
      expect(result.warnings).toEqual([]);
      const t = await trustworthiness(X, result.coordinates, { nNeighbors: 10 });
      expect(t).toBeGreaterThan(quality.tsne_sklearn_default_seed0.trustworthiness - 0.01);
    },
  );

  it(
    "is bit-identical for a seed, different for another, and uses NN-descent when asked",
    { timeout: 60_000 },
    async () => {
      const X = head(digits(), 400);
      const a = await umap(X, { nEpochs: 60, seed: 7 });
      const b = await umap(X, { nEpochs: 60, seed: 7 });
      const c = await umap(X, { nEpochs: 60, seed: 8 });
      expect(Array.from(a.coordinates.data)).toEqual(Array.from(b.coordinates.data));
      expect(Array.from(a.coordinates.data)).not.toEqual(Array.from(c.coordinates.data));
      const d = await umap(X, { nEpochs: 200, knnMethod: "nndescent" });
      expect(d.params.knnMethod).toBe("nndescent");
      expect(await trustworthiness(X, d.coordinates, { nNeighbors: 10 })).toBeGreaterThan(0.97);
    },
  );

  it("rejects bad options", async () => {
    const X = randomMatrix(30, 4);
    await expect(umap(X, { nNeighbors: 1 })).rejects.toThrow(/invalid nNeighbors: 1/);
    await expect(umap(X, { minDist: 2 })).rejects.toThrow(/invalid minDist: 2/);
    await expect(umap(X, { init: "pca" as never })).rejects.toThrow(/invalid init: "pca"/);
    await expect(umap(X, { init: randomMatrix(29, 2) })).rejects.toThrow(/init must be 30 × 2/);
    await expect(umap({ rows: 2, cols: 2, data: new Float32Array(4) })).rejects.toThrow(
      /at least 3 rows/,
    );
    const bad = randomMatrix(30, 4);
    bad.data[7] = NaN;
    await expect(umap(bad)).rejects.toMatchObject({ code: "E_NON_FINITE" });
  });
});

describe("supervised umap", () => {
  /** The symmetric 3-node graph 0–1: 0.8, 1–2: 0.4, 0–2: 0.2 in CSR. */
  const triangle = (): SparseGraph => ({
    n: 3,
    rowPtr: Int32Array.from([0, 2, 4, 6]),
    columns: Int32Array.from([1, 2, 0, 2, 0, 1]),
    values: Float32Array.from([0.8, 0.2, 0.8, 0.4, 0.2, 0.4]),
  });
  const entries = (g: SparseGraph) => {
    const out: Record<string, number> = {};
    for (let i = 0; i < g.n; i++)
      for (let e = g.rowPtr[i]; e < g.rowPtr[i + 1]; e++) out[`${i}-${g.columns[e]}`] = g.values[e];
    return out;
  };

  it("intersects with labels as umap-learn (far_dist 2.5/(1 − w), rows scaled to max 1, fuzzy union)", async () => {
    // Labels 0 0 1, w = 0.5: edges 1–2 and 0–2 × e^−5; rows scaled by 0.8, 0.8, 0.4e^−5; then
    // a + b − ab: (0, 1) = 1, (1, 2) = 0.5e^−5 + 1 − 0.5e^−5 = 1, (0, 2) = 0.5 + 0.125e^−5.
    const e5 = Math.exp(-5);
    const g = entries(await targetIntersection(triangle(), { target: [0, 0, 1] }));
    expect(Object.keys(g).sort()).toEqual(["0-1", "0-2", "1-0", "1-2", "2-0", "2-1"]);
    expect(g["0-1"]).toBeCloseTo(1, 6);
    expect(g["1-2"]).toBeCloseTo(1, 6);
    expect(g["0-2"]).toBeCloseTo(0.5 + 0.125 * e5, 6);
    expect(g["2-0"]).toBe(g["0-2"]);
    // Weight 1 cuts every edge between labels: vertex 2 is left alone.
    expect(
      entries(await targetIntersection(triangle(), { target: [0, 0, 1], targetWeight: 1 })),
    ).toEqual({ "0-1": 1, "1-0": 1 });
  });

  it("intersects with a continuous target's directed fuzzy set as umap-learn's general_sset_intersection", async () => {
    // Targets 0, 1, 10 with 2 neighbours (the point and its nearest other): 0 → 1, 1 → 0, 2 → 1,
    // all with membership 1. Floors: left 0.2/2, right min(1/2, 1e-4). w = 0.5: a·b, so
    // (0,1) = (1,0) = 0.8, (2,1) = 0.4, (0,2) = (2,0) = 0.2e-4, (1,2) = 0.4e-4; rows scaled to
    // max 1; fuzzy union: (0,1) = 1, (1,2) = 1, (0,2) = 2.5e-5 + 5e-5 − 1.25e-9.
    const g = entries(
      await targetIntersection(triangle(), {
        target: [0, 1, 10],
        targetMetric: "euclidean",
        targetNNeighbors: 2,
      }),
    );
    expect(g["0-1"]).toBeCloseTo(1, 6);
    expect(g["1-2"]).toBeCloseTo(1, 6);
    expect(g["0-2"] / (7.5e-5 - 1.25e-9)).toBeCloseTo(1, 5);
    expect(g["2-0"]).toBe(g["0-2"]);
  });

  it(
    "separates classes perfectly at targetWeight 1 where unsupervised UMAP mixes them; deterministic by seed",
    { timeout: 60_000 },
    async () => {
      const X = randomMatrix(300, 8, 3);
      const labels = Array.from({ length: 300 }, (_, i) => i % 3); // unrelated to X
      const plain = await umap(X, { nEpochs: 200 });
      expect((await knnAccuracy(plain.coordinates, labels)).accuracy).toBeLessThan(0.5);
      const a = await umap(X, { nEpochs: 200, target: labels, targetWeight: 1, seed: 5 });
      expect(a.params).toMatchObject({ targetMetric: "categorical", targetWeight: 1 });
      expect(a.components).toBe(3);
      expect((await knnAccuracy(a.coordinates, labels)).accuracy).toBe(1);
      const b = await umap(X, { nEpochs: 200, target: labels, targetWeight: 1, seed: 5 });
      const c = await umap(X, { nEpochs: 200, target: labels, targetWeight: 1, seed: 6 });
      expect(Array.from(a.coordinates.data)).toEqual(Array.from(b.coordinates.data));
      expect(Array.from(a.coordinates.data)).not.toEqual(Array.from(c.coordinates.data));
    },
  );

  it(
    "orders a continuous target the unsupervised layout scatters",
    { timeout: 60_000 },
    async () => {
      const X = randomMatrix(300, 8, 3);
      const t = Float32Array.from({ length: 300 }, (_, i) => X.data[i * 8]);
      const plain = await umap(X, { nEpochs: 200 });
      const supervised = await umap(X, { nEpochs: 200, target: t, targetMetric: "euclidean" });
      expect(supervised.params).toMatchObject({
        targetMetric: "euclidean",
        targetWeight: 0.5,
        targetNNeighbors: 15,
      });
      expect((await leaveOneOutKnn(plain.coordinates, t)).score).toBeLessThan(0.8);
      expect((await leaveOneOutKnn(supervised.coordinates, t)).score).toBeGreaterThan(0.95);
    },
  );

  it("rejects bad targets and options", async () => {
    const X = randomMatrix(30, 4);
    const labels = Array.from({ length: 30 }, (_, i) => i % 2);
    await expect(umap(X, { target: labels.slice(1) })).rejects.toThrow(
      /target has 29 rows but X has 30/,
    );
    await expect(umap(X, { target: labels.map((l) => l + 0.5) })).rejects.toThrow(
      /invalid target\[0\]: 0.5/,
    );
    await expect(umap(X, { target: labels.map((l) => l - 2) })).rejects.toThrow(
      /invalid target\[0\]: -2/,
    );
    await expect(umap(X, { target: labels, targetWeight: 1.5 })).rejects.toThrow(
      /invalid targetWeight: 1.5/,
    );
    await expect(umap(X, { target: labels, targetMetric: "cosine" as never })).rejects.toThrow(
      /invalid targetMetric: "cosine"/,
    );
    await expect(umap(X, { target: labels, targetNNeighbors: 1 })).rejects.toThrow(
      /invalid targetNNeighbors: 1/,
    );
    await expect(
      umap(X, { target: randomMatrix(30, 2), targetMetric: "categorical" }),
    ).rejects.toThrow(/one label per sample; got 2 columns/);
  });
});

describe("tsne", () => {
  it(
    "reaches scikit-learn's trustworthiness (k = 10) on the raw digits within 0.01",
    { timeout: 120_000 },
    async () => {
      const X = digits();
      const result = await tsne(X);
      expect(result.params).toMatchObject({
        method: "barnes_hut",
        learningRate: Math.max(1797 / 12 / 4, 50),
        perplexity: 30,
      });
      const t = await trustworthiness(X, result.coordinates, { nNeighbors: 10 });
      expect(Math.abs(t - quality.tsne_sklearn_default_seed0.trustworthiness)).toBeLessThan(0.01);
      // KL of sklearn's run on the same data is ≈ 0.75; a broken optimiser ends far above.
      expect(result.klDivergence).toBeLessThan(0.9);
    },
  );

  it("has an exact gradient that matches central differences of KL(P‖Q)", async () => {
    const n = 12;
    const rnd = randomMatrix(n, 2, 9).data;
    const P = new Float32Array(n * n);
    let sum = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) if (i !== j) sum += P[i * n + j] = 1 + ((i * 7 + j * 3) % 5);
    // Symmetrise and normalise.
    for (let i = 0; i < n; i++)
      for (let j = i + 1; j < n; j++)
        P[i * n + j] = P[j * n + i] = (P[i * n + j] + P[j * n + i]) / (2 * sum);
    const Y = Float32Array.from(rnd, (v) => v * 3);
    const { gradient } = await tsneKlGradient(P, Y, n);
    const h = 1e-3;
    for (const t of [0, 5, 13, 23]) {
      const up = Float32Array.from(Y);
      const down = Float32Array.from(Y);
      up[t] += h;
      down[t] -= h;
      const numeric =
        ((await tsneKlGradient(P, up, n)).kl - (await tsneKlGradient(P, down, n)).kl) / (2 * h);
      expect(gradient[t]).toBeCloseTo(numeric, 3);
    }
  });

  it(
    "is bit-identical for a seed with random init, and the exact method agrees in quality",
    { timeout: 60_000 },
    async () => {
      const X = head(digits(), 300);
      const a = await tsne(X, { init: "random", seed: 5, nIter: 300 });
      const b = await tsne(X, { init: "random", seed: 5, nIter: 300 });
      expect(a.params.method).toBe("exact");
      expect(Array.from(a.coordinates.data)).toEqual(Array.from(b.coordinates.data));
      const bh = await tsne(X, { method: "barnes_hut", nIter: 500 });
      const ex = await tsne(X, { method: "exact", nIter: 500 });
      const tb = await trustworthiness(X, bh.coordinates, { nNeighbors: 10 });
      const te = await trustworthiness(X, ex.coordinates, { nNeighbors: 10 });
      expect(Math.abs(tb - te)).toBeLessThan(0.01);
    },
  );

  it("rejects bad options", async () => {
    const X = randomMatrix(40, 3);
    await expect(tsne(X, { perplexity: 40 })).rejects.toThrow(
      /invalid perplexity: 40 \(expected less than the number of samples, 40\)/,
    );
    await expect(tsne(X, { nComponents: 3 })).rejects.toThrow(/invalid nComponents: 3/);
    await expect(tsne(X, { method: "fft" as never })).rejects.toThrow(/invalid method: "fft"/);
    await expect(tsne(X, { nIter: 100 })).rejects.toThrow(/invalid nIter: 100/);
  });
});

describe("pca and classicalMds", () => {
  it("classical MDS of Euclidean distances equals a float64 eigendecomposition (NumPy eigh)", async () => {
    const X = jittered();
    const D = await pairwiseDistances(X, undefined, { metric: "euclidean" });
    const result = await classicalMds(D, { nComponents: 3 });
    const ref = reference.classical_mds;
    expect(result.converged).toBe(true);
    for (let j = 0; j < 3; j++)
      expect(result.eigenvalues[j] / ref.eigenvalues[j]).toBeCloseTo(1, 5);
    const two = await classicalMds(D, { nComponents: 2 });
    expect(maxErrorUpToSign(two.coordinates.data, ref.coordinates, 2)).toBeLessThan(1e-4);
  });

  it("PCA scores equal the classical MDS coordinates up to sign, and eigenvalues match (n − 1)·variance", async () => {
    const X = jittered();
    const p = await pca(X, { nComponents: 2 });
    const ref = reference.classical_mds;
    expect(maxErrorUpToSign(p.scores.data, ref.coordinates, 2)).toBeLessThan(1e-4);
    for (let j = 0; j < 2; j++)
      expect((p.explainedVariance[j] * (X.rows - 1)) / ref.eigenvalues[j]).toBeCloseTo(1, 6);
  });
});

describe("smacof", () => {
  it("follows scikit-learn's smacof from the same start: stress, iterations, coordinates", async () => {
    const X = jittered();
    const ref = reference.smacof_given_init;
    const D = await pairwiseDistances(X, undefined, { metric: "euclidean" });
    const init = { rows: X.rows, cols: 2, data: Float32Array.from(ref.init.flat()) };
    const result = await smacof(D, { init });
    expect(Math.abs(result.iterations - ref.iterations)).toBeLessThanOrEqual(2);
    expect(result.stress / ref.stress).toBeCloseTo(1, 4);
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < X.rows; i++) {
      for (let c = 0; c < 2; c++) {
        worst = Math.max(
          worst,
          Math.abs(result.coordinates.data[i * 2 + c] - ref.coordinates[i][c]),
        );
        scale = Math.max(scale, Math.abs(ref.coordinates[i][c]));
      }
    }
    expect(worst / scale).toBeLessThan(1e-3);
  });

  it(
    "with four random starts reaches scikit-learn MDS's stress within 1%, deterministically",
    { timeout: 60_000 },
    async () => {
      const X = jittered();
      const a = await mds(X, { nInit: 4, seed: 1 });
      const b = await mds(X, { nInit: 4, seed: 1 });
      expect(Array.from(a.coordinates.data)).toEqual(Array.from(b.coordinates.data));
      expect(a.stress / reference.mds_default_n_init4_seed0.stress).toBeLessThan(1.01);
      expect(a.params).toMatchObject({ nInit: 4, maxIter: 300, eps: 1e-3 });
    },
  );

  it("rejects bad input", async () => {
    await expect(smacof({ rows: 2, cols: 3, data: new Float32Array(6) })).rejects.toThrow(
      /must be square; got 2 × 3/,
    );
    const D = await pairwiseDistances(randomMatrix(10, 2), undefined, { metric: "euclidean" });
    await expect(smacof(D, { init: randomMatrix(9, 2) })).rejects.toThrow(
      /init must be 10 × 2; got 9 × 2/,
    );
    await expect(smacof(D, { nInit: 0 })).rejects.toThrow(/invalid nInit: 0/);
  });
});

describe("isomap", () => {
  it("matches scikit-learn's Isomap (n_neighbors 10) coordinates up to sign", async () => {
    const X = jittered();
    const result = await isomap(X, { nNeighbors: 10 });
    expect(result.components).toBe(1);
    expect(
      maxErrorUpToSign(result.coordinates.data, reference.isomap_k10.coordinates, 2),
    ).toBeLessThan(1e-3);
  });

  it(
    "reaches scikit-learn's trustworthiness on the raw digits within 0.01",
    { timeout: 60_000 },
    async () => {
      const X = digits();
      const result = await isomap(X, { nNeighbors: 10 });
      const t = await trustworthiness(X, result.coordinates, { nNeighbors: 10 });
      expect(Math.abs(t - quality.isomap_k10.trustworthiness)).toBeLessThan(0.01);
    },
  );

  it("landmark Isomap with every point as landmark equals Isomap; fewer landmarks stay close", async () => {
    const X = jittered();
    const exact = await isomap(X, { nNeighbors: 10 });
    const some = await isomap(X, { nNeighbors: 10, landmarks: 200 });
    expect(some.landmarks.length).toBe(200);
    const t1 = await trustworthiness(X, exact.coordinates, { nNeighbors: 10 });
    const t2 = await trustworthiness(X, some.coordinates, { nNeighbors: 10 });
    expect(Math.abs(t1 - t2)).toBeLessThan(0.02);
  });

  it("joins a disconnected graph with a warning, as scikit-learn", async () => {
    const pts: number[] = [];
    for (let i = 0; i < 8; i++) pts.push(i, Math.sin(i));
    for (let i = 0; i < 8; i++) pts.push(100 + i, Math.cos(i));
    const result = await isomap(
      { rows: 16, cols: 2, data: Float32Array.from(pts) },
      { nNeighbors: 3 },
    );
    expect(result.components).toBe(2);
    expect(result.warnings[0]).toMatch(/2 connected components/);
    expect(result.coordinates.data.every(Number.isFinite)).toBe(true);
  });

  it("rejects bad options", async () => {
    const X = randomMatrix(20, 3);
    await expect(isomap(X, { nNeighbors: 20 })).rejects.toThrow(/invalid nNeighbors: 20/);
    await expect(isomap(X, { landmarks: 2 })).rejects.toThrow(/invalid landmarks: 2/);
  });
});

describe("coordinatesFromEigen", () => {
  it("fills the coordinates the solver found no eigenpair for with 0, and says so in numbers", () => {
    // One eigenpair of three points (they lie on a line): λ = 4, v = (0.6, 0, −0.8).
    const r = coordinatesFromEigen(Float64Array.of(4), Float64Array.of(0.6, 0, -0.8), 3, 2);
    expect(Array.from(r.coordinates.data)).toEqual([
      1.2000000476837158, 0, 0, 0, -1.600000023841858, 0,
    ]);
    expect(r.warnings).toEqual([
      "only 1 eigenpair found: the distances span 1 dimension, so coordinate 2 is 0",
    ]);
    expect(r.warnings.join(" ")).not.toMatch(/undefined|NaN/);
  });
});
