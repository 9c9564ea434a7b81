import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  averageRanks,
  continuity,
  geodesicCorrelation,
  knnAccuracy,
  pearson,
  spearman,
  stratifiedFolds,
  trustworthiness,
} from "../../src/algo/metrics.ts";
import type { Matrix } from "../../src/core/matrix.ts";
import { readNpy } from "../../src/io/npy.ts";
import { randomMatrix } from "../helpers.ts";

const fixture = (name: string) => new URL(`../fixtures/embedding/${name}`, import.meta.url);
const reference = JSON.parse(readFileSync(fixture("reference.json"), "utf8")).metrics;

function jittered(): Matrix {
  const arr = readNpy(new Uint8Array(readFileSync(fixture("digits500_jitter.npy"))));
  return { rows: arr.shape[0], cols: arr.shape[1], data: arr.data as Float32Array };
}
const layout = (): Matrix => ({ rows: reference.layout.length, cols: 2, data: Float32Array.from(reference.layout.flat()) });

describe("trustworthiness and continuity", () => {
  it("equal scikit-learn's trustworthiness (k = 5, 10) and its swapped form", async () => {
    const X = jittered();
    const Y = layout();
    expect(await trustworthiness(X, Y, { nNeighbors: 10 })).toBeCloseTo(reference.trustworthiness_k10, 10);
    expect(await trustworthiness(X, Y, { nNeighbors: 5 })).toBeCloseTo(reference.trustworthiness_k5, 10);
    expect(await continuity(X, Y, { nNeighbors: 10 })).toBeCloseTo(reference.continuity_k10, 10);
  });

  it("are 1 for a rotated, scaled, shifted copy", async () => {
    const X = randomMatrix(200, 2, 4);
    const c = Math.cos(0.7);
    const s = Math.sin(0.7);
    const Y = { rows: 200, cols: 2, data: new Float32Array(400) };
    for (let i = 0; i < 200; i++) {
      Y.data[2 * i] = 3 * (c * X.data[2 * i] - s * X.data[2 * i + 1]) + 5;
      Y.data[2 * i + 1] = 3 * (s * X.data[2 * i] + c * X.data[2 * i + 1]) - 1;
    }
    expect(await trustworthiness(X, Y)).toBe(1);
    expect(await continuity(X, Y)).toBe(1);
  });

  it("rejects mismatched rows and bad k", async () => {
    await expect(trustworthiness(randomMatrix(10, 3), randomMatrix(9, 2))).rejects.toThrow(/X has 10 rows but Y has 9/);
    await expect(trustworthiness(randomMatrix(10, 3), randomMatrix(10, 2), { nNeighbors: 5 })).rejects.toThrow(/invalid nNeighbors: 5/);
  });
});

describe("geodesicCorrelation", () => {
  it("equals SciPy's Pearson and Spearman correlation of shortest paths on both 10-NN graphs", async () => {
    const result = await geodesicCorrelation(jittered(), layout(), { k: 10 });
    const ref = reference.geodesic_k10;
    expect(result.pairs).toBe(ref.pairs);
    expect(result.droppedPairs).toBe(ref.dropped);
    expect(result.pearson).toBeCloseTo(ref.pearson, 5);
    expect(result.spearman).toBeCloseTo(ref.spearman, 5);
  });

  it("is 1 for a scaled copy and drops pairs a disconnected graph cannot join", async () => {
    const X = randomMatrix(150, 2, 8);
    const Y = { ...X, data: X.data.map((v) => 2 * v) };
    const same = await geodesicCorrelation(X, Y, { k: 6 });
    expect(same.pearson).toBeCloseTo(1, 6);
    expect(same.spearman).toBeCloseTo(1, 6);
    const pts: number[] = [];
    for (let i = 0; i < 10; i++) pts.push(i, 0);
    for (let i = 0; i < 10; i++) pts.push(1000 + i, 0);
    const two = { rows: 20, cols: 2, data: Float32Array.from(pts) };
    const result = await geodesicCorrelation(two, two, { k: 3 });
    expect(result.droppedPairs).toBe(100);
    expect(result.pairs).toBe(90);
  });

  it("ranks ties by their average, as scipy.stats.rankdata", () => {
    expect(Array.from(averageRanks(Float32Array.from([3, 1, 3, 0, 2])))).toEqual([4.5, 2, 4.5, 1, 3]);
    expect(spearman([1, 2, 3, 4], [10, 20, 25, 100])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
  });
});

describe("knnAccuracy", () => {
  it("without shuffling equals scikit-learn's cross_val_score with StratifiedKFold(5) fold by fold", async () => {
    const result = await knnAccuracy(layout(), reference.labels, { shuffle: false });
    const ref = reference.knn5_accuracy_stratified5_noshuffle;
    expect(result.foldAccuracies.length).toBe(5);
    result.foldAccuracies.forEach((a, f) => expect(a).toBeCloseTo(ref.folds[f], 12));
    expect(result.accuracy).toBeCloseTo(ref.mean, 12);
  });

  it("keeps class proportions in every fold, shuffled or not", () => {
    const labels = Array.from({ length: 103 }, (_, i) => (i * 7) % 4);
    for (const folds of [stratifiedFolds(labels, 5, false)]) {
      for (let f = 0; f < 5; f++) {
        for (let c = 0; c < 4; c++) {
          let inFold = 0;
          let total = 0;
          labels.forEach((l, i) => {
            if (l === c) {
              total++;
              if (folds[i] === f) inFold++;
            }
          });
          expect(Math.abs(inFold - total / 5)).toBeLessThanOrEqual(1);
        }
      }
    }
  });

  it("is 1 for well-separated classes and rejects bad labels", async () => {
    const data = new Float32Array(120);
    for (let i = 0; i < 60; i++) {
      data[2 * i] = (i % 3) * 100 + (i % 7) * 0.1;
      data[2 * i + 1] = (i % 5) * 0.1;
    }
    const labels = Array.from({ length: 60 }, (_, i) => i % 3);
    expect((await knnAccuracy({ rows: 60, cols: 2, data }, labels)).accuracy).toBe(1);
    await expect(knnAccuracy({ rows: 60, cols: 2, data }, labels.slice(1))).rejects.toThrow(/labels has 59 entries but Y has 60 rows/);
    await expect(knnAccuracy({ rows: 60, cols: 2, data }, labels.map((l) => l - 0.5))).rejects.toThrow(/invalid labels\[0\]/);
  });
});
