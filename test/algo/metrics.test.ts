import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  averageRanks,
  continuity,
  geodesicCorrelation,
  knnAccuracy,
  leaveOneOutKnn,
  pearson,
  spearman,
  stratifiedFolds,
  targetContinuity,
  trustworthiness,
} from "../../src/algo/metrics.ts";
import type { Matrix } from "../../src/core/matrix.ts";
import { readNpy } from "../../src/io/npy.ts";
import { mulberry32, randomMatrix } from "../helpers.ts";

const fixture = (name: string) => new URL(`../fixtures/embedding/${name}`, import.meta.url);
const reference = JSON.parse(readFileSync(fixture("reference.json"), "utf8")).metrics;

function jittered(): Matrix {
  const arr = readNpy(new Uint8Array(readFileSync(fixture("digits500_jitter.npy"))));
  return { rows: arr.shape[0], cols: arr.shape[1], data: arr.data as Float32Array };
}
const layout = (): Matrix => ({
  rows: reference.layout.length,
  cols: 2,
  data: Float32Array.from(reference.layout.flat()),
});

describe("trustworthiness and continuity", () => {
  it("equal scikit-learn's trustworthiness (k = 5, 10) and its swapped form", async () => {
    const X = jittered();
    const Y = layout();
    expect(await trustworthiness(X, Y, { nNeighbors: 10 })).toBeCloseTo(
      reference.trustworthiness_k10,
      10,
    );
    expect(await trustworthiness(X, Y, { nNeighbors: 5 })).toBeCloseTo(
      reference.trustworthiness_k5,
      10,
    );
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
    await expect(trustworthiness(randomMatrix(10, 3), randomMatrix(9, 2))).rejects.toThrow(
      /X has 10 rows but Y has 9/,
    );
    await expect(
      trustworthiness(randomMatrix(10, 3), randomMatrix(10, 2), { nNeighbors: 5 }),
    ).rejects.toThrow(/invalid nNeighbors: 5/);
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
    const result = await geodesicCorrelation(two, two, { k: 3, disconnected: "drop" });
    expect(result.droppedPairs).toBe(100);
    expect(result.pairs).toBe(90);
    expect(result.affectedPairs).toBe(100);
  });

  it("joins a graph in pieces as Isomap by default, scores every pair and reports the share that needed the join", async () => {
    // Two runs of ten points on a line, 991 apart: the join adds the edge (9, 1000), so every
    // geodesic is the straight-line distance and the correlation of the set with itself is 1.
    const pts: number[] = [];
    for (let i = 0; i < 10; i++) pts.push(i, 0);
    for (let i = 0; i < 10; i++) pts.push(1000 + i, 0);
    const two = { rows: 20, cols: 2, data: Float32Array.from(pts) };
    const joined = await geodesicCorrelation(two, two, { k: 3 });
    expect(joined.disconnected).toBe("join");
    expect(joined.pairs).toBe(190);
    expect(joined.droppedPairs).toBe(0);
    expect(joined.affectedPairs).toBe(100);
    expect(joined.affectedFraction).toBeCloseTo(100 / 190, 12);
    expect(joined.components).toEqual({ x: 2, y: 2 });
    expect(joined.pearson).toBeCloseTo(1, 6);
    // A layout that tears one connected line into two far pieces is no longer rewarded: with
    // "drop" it kept only in-piece pairs (r = 1); joined, the far pieces show (r < 1), and the
    // affected share says how much of the score crossed the tear.
    const line = {
      rows: 20,
      cols: 2,
      data: Float32Array.from({ length: 40 }, (_, t) => (t % 2 ? 0 : t / 2)),
    };
    const torn = {
      rows: 20,
      cols: 2,
      data: Float32Array.from({ length: 40 }, (_, t) =>
        t % 2 ? 0 : t / 2 + (t / 2 >= 10 ? 5000 : 0),
      ),
    };
    const drop = await geodesicCorrelation(line, torn, { k: 3, disconnected: "drop" });
    const join = await geodesicCorrelation(line, torn, { k: 3 });
    expect(drop.pearson).toBeCloseTo(1, 6);
    expect(join.pearson).toBeLessThan(0.9);
    expect(join.components).toEqual({ x: 1, y: 2 });
    expect(join.affectedFraction).toBeCloseTo(100 / 190, 12);
    await expect(geodesicCorrelation(line, torn, { disconnected: "cap" as never })).rejects.toThrow(
      /invalid disconnected: "cap"/,
    );
  });

  it("ranks ties by their average, as scipy.stats.rankdata", () => {
    expect(Array.from(averageRanks(Float32Array.from([3, 1, 3, 0, 2])))).toEqual([
      4.5, 2, 4.5, 1, 3,
    ]);
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
    await expect(knnAccuracy({ rows: 60, cols: 2, data }, labels.slice(1))).rejects.toThrow(
      /labels has 59 entries but Y has 60 rows/,
    );
    await expect(
      knnAccuracy(
        { rows: 60, cols: 2, data },
        labels.map((l) => l - 0.5),
      ),
    ).rejects.toThrow(/invalid labels\[0\]/);
  });
});

describe("targetContinuity", () => {
  it("is 1 for points on a line ordered by the target, and for the same curve bent almost shut", async () => {
    const rand = mulberry32(4);
    const t = Array.from({ length: 200 }, () => rand());
    const line = { rows: 200, cols: 2, data: Float32Array.from(t.flatMap((v) => [3 * v, 0])) };
    const onLine = await targetContinuity(line, t);
    expect(onLine.spearman).toBeCloseTo(1, 6);
    expect(onLine.pairs).toBe(19900);
    expect(onLine.affectedPairs).toBe(0);
    expect(onLine.ceiling).toBe(1);
    // 95% of a circle: the ends nearly touch, so straight-line distance is not monotone in |Δt|
    // but distance along the curve is.
    const arc = {
      rows: 200,
      cols: 2,
      data: Float32Array.from(
        t.flatMap((v) => [Math.cos(1.9 * Math.PI * v), Math.sin(1.9 * Math.PI * v)]),
      ),
    };
    expect((await targetContinuity(arc, t, { k: 5 })).spearman).toBeGreaterThan(0.999);
    const chord: number[] = [];
    const gap: number[] = [];
    for (let i = 0; i < 200; i++)
      for (let j = i + 1; j < 200; j++) {
        chord.push(
          Math.hypot(arc.data[2 * i] - arc.data[2 * j], arc.data[2 * i + 1] - arc.data[2 * j + 1]),
        );
        gap.push(Math.abs(t[i] - t[j]));
      }
    expect(spearman(chord, gap)).toBeLessThan(0.95);
  });

  it("is near 0 when the layout ignores the target, and joins pieces with their share reported", async () => {
    const rand = mulberry32(6);
    const t = Array.from({ length: 300 }, () => rand());
    const Y = randomMatrix(300, 2, 12);
    expect(Math.abs((await targetContinuity(Y, t)).spearman)).toBeLessThan(0.05);
    // Two far clusters: 150 · 150 of the 44,850 pairs cross the join.
    const two = {
      rows: 300,
      cols: 2,
      data: Y.data.map((v, i) => (Math.floor(i / 2) >= 150 && i % 2 === 0 ? v + 100 : v)),
    };
    const c = await targetContinuity(two, t);
    expect(c.components).toBe(2);
    expect(c.affectedPairs).toBe(150 * 150);
    expect(c.affectedFraction).toBeCloseTo(22500 / 44850, 12);
  });

  it("for labels reaches its ceiling √(3p(1 − p))·m/√(m² − 1) when every class is its own tight cluster", async () => {
    // Four points, labels 0 0 1 1: m = 6 pairs, p = 2/6 same-label.
    const Y = { rows: 4, cols: 2, data: Float32Array.from([0, 0, 1, 0, 50, 0, 52, 0]) };
    const c = await targetContinuity(Y, [0, 0, 1, 1], { k: 1, targetMetric: "categorical" });
    const ceiling = Math.sqrt(3 * (1 / 3) * (2 / 3)) * (6 / Math.sqrt(35));
    expect(c.ceiling).toBeCloseTo(ceiling, 12);
    // Same-label pairs (1, 2) lie below every other (49, 50, 51, 52): ρ at the ceiling.
    expect(c.spearman).toBeCloseTo(ceiling, 10);
    expect(spearman([1, 2, 49, 50, 51, 52], [0, 0, 1, 1, 1, 1])).toBeCloseTo(ceiling, 10);
  });

  it("rejects mismatched or non-integer targets", async () => {
    const Y = randomMatrix(20, 2, 1);
    await expect(targetContinuity(Y, new Array(19).fill(0))).rejects.toThrow(
      /target has 19 rows but the layout has 20/,
    );
    await expect(
      targetContinuity(Y, new Array(20).fill(0.5), { targetMetric: "categorical" }),
    ).rejects.toThrow(/invalid target\[0\]/);
    await expect(targetContinuity(Y, new Array(20).fill(NaN))).rejects.toThrow(/target/);
    await expect(
      targetContinuity(Y, new Array(20).fill(0), { targetMetric: "cosine" as never }),
    ).rejects.toThrow(/invalid targetMetric: "cosine"/);
  });
});

describe("leaveOneOutKnn", () => {
  it("gives the hand-derived R² on a line: ends mispredicted by 1.5, inner points exact", async () => {
    // Points 0 … 9 on a line, target = position, 2 neighbours: inner points are predicted by the
    // mean of their two neighbours (exact); the ends by 1.5 and 7.5. R² = 1 − 4.5 / 82.5.
    const Y = { rows: 10, cols: 1, data: Float32Array.from({ length: 10 }, (_, i) => i) };
    const t = Array.from({ length: 10 }, (_, i) => i);
    const r = await leaveOneOutKnn(Y, t, { nNeighbors: 2 });
    expect(r.kind).toBe("r2");
    expect(r.score).toBeCloseTo(1 - 4.5 / 82.5, 12);
  });

  it("gives the vote accuracy for labels, and rejects bad input", async () => {
    const Y = { rows: 7, cols: 1, data: Float32Array.from([0, 1, 2, 10, 11, 12, 1.5]) };
    // Point 6 (label 1) sits among the 0s: it and no other is outvoted.
    const r = await leaveOneOutKnn(Y, [0, 0, 0, 1, 1, 1, 1], {
      nNeighbors: 2,
      targetMetric: "categorical",
    });
    expect(r.kind).toBe("accuracy");
    expect(r.score).toBeCloseTo(6 / 7, 12);
    await expect(leaveOneOutKnn(Y, [0, 0, 0], {})).rejects.toThrow(
      /target has 3 rows but the layout has 7/,
    );
    await expect(leaveOneOutKnn(Y, [0, 0, 0, 1, 1, 1, 1], { nNeighbors: 7 })).rejects.toThrow(
      /invalid nNeighbors: 7/,
    );
  });
});
