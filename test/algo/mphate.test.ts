/**
 * M-PHATE (src/algo/mphate.ts): the multislice affinity's blocks on a tiny tensor against a
 * direct float64 computation of m_phate's kernel rules, labels, determinism and errors.
 */
import { describe, expect, it } from "vitest";
import { adjustedRandIndex } from "../../src/algo/clustering.ts";
import {
  autoIntersliceKnn,
  mostActiveClass,
  mphate,
  mphateDefaults,
  multisliceAffinity,
  zScoreRows,
  type UnitTensor,
} from "../../src/algo/mphate.ts";
import { alphaDecayAffinity } from "../../src/algo/phate.ts";
import { tensorFromBundle } from "../../src/analyses/mphate.ts";
import { loadBundleFromPath } from "../../src/io/node.ts";
import { mulberry32 } from "../helpers.ts";

const rnd = mulberry32(21);
const gauss = () => Math.sqrt(-2 * Math.log(rnd() || 1e-12)) * Math.cos(2 * Math.PI * rnd());

function tiny(epochs = 4, units = 5, samples = 6): UnitTensor {
  return {
    epochs,
    units,
    samples,
    data: Float32Array.from({ length: epochs * units * samples }, gauss),
  };
}

function dense(K: {
  n: number;
  rowPtr: Int32Array;
  columns: Int32Array;
  values: Float64Array;
}): Float64Array {
  const out = new Float64Array(K.n * K.n);
  for (let i = 0; i < K.n; i++)
    for (let e = K.rowPtr[i]; e < K.rowPtr[i + 1]; e++) out[i * K.n + K.columns[e]] = K.values[e];
  return out;
}

describe("multisliceAffinity", () => {
  const T = tiny();
  const { epochs: n, units: m, samples: p } = T;
  const N = n * m;

  it("has intraslice diagonal 1, interslice diagonal 0, is symmetric, and is zero across units of different epochs", async () => {
    const { affinity } = await multisliceAffinity(T, { intersliceKnn: 2 });
    const K = dense(affinity);
    for (let a = 0; a < N; a++) {
      expect(K[a * N + a]).toBe(1);
      for (let b = 0; b < N; b++) {
        expect(K[a * N + b]).toBeCloseTo(K[b * N + a], 14);
        const [ta, ia, tb, ib] = [Math.floor(a / m), a % m, Math.floor(b / m), b % m];
        if (ta !== tb && ia !== ib) expect(K[a * N + b]).toBe(0);
      }
    }
  });

  it("intraslice blocks are the alpha-decay kernel (knn 2, decay 5) of each z-scored slice", async () => {
    const { affinity } = await multisliceAffinity(T, { intersliceKnn: 2 });
    const K = dense(affinity);
    const z = zScoreRows(T);
    for (let tau = 0; tau < n; tau++) {
      const block = dense(
        await alphaDecayAffinity(
          { rows: m, cols: p, data: z.subarray(tau * m * p, (tau + 1) * m * p) },
          { knn: 2, decay: 5 },
        ),
      );
      for (let i = 0; i < m; i++)
        for (let j = 0; j < m; j++)
          expect(K[(tau * m + i) * N + tau * m + j]).toBe(
            block[i * m + j] >= 1e-4 ? block[i * m + j] : 0,
          );
    }
  });

  it("interslice entries are exp(−(d/ε)²) with ε = mean over units of the median κ-th nearest other slice distance", async () => {
    const kappa = 2;
    const { affinity, epsilon } = await multisliceAffinity(T, { intersliceKnn: kappa });
    const K = dense(affinity);
    // z-score in float64 (population σ), distances in float64.
    const z = new Float64Array(T.data.length);
    for (let r = 0; r < n * m; r++) {
      const row = Array.from(T.data.subarray(r * p, (r + 1) * p));
      const mean = row.reduce((s, v) => s + v, 0) / p;
      const sd = Math.sqrt(row.reduce((s, v) => s + (v - mean) ** 2, 0) / p);
      row.forEach((v, s) => (z[r * p + s] = (v - mean) / sd));
    }
    const dist = (i: number, a: number, b: number) =>
      Math.sqrt(
        Array.from(
          { length: p },
          (_, s) => (z[(a * m + i) * p + s] - z[(b * m + i) * p + s]) ** 2,
        ).reduce((x, y) => x + y, 0),
      );
    let expectedEpsilon = 0;
    for (let i = 0; i < m; i++) {
      const kth = Array.from(
        { length: n },
        (_, a) => Array.from({ length: n }, (_, b) => dist(i, a, b)).sort((x, y) => x - y)[kappa],
      ).sort((x, y) => x - y);
      expectedEpsilon += (kth[1] + kth[2]) / 2; // the median of 4 values
    }
    expectedEpsilon /= m;
    expect(epsilon).toBeCloseTo(expectedEpsilon, 5);
    for (let i = 0; i < m; i++) {
      for (let a = 0; a < n; a++)
        for (let b = 0; b < n; b++) {
          if (a === b) continue;
          const expected = Math.exp(-((dist(i, a, b) / expectedEpsilon) ** 2));
          const got = K[(a * m + i) * N + b * m + i];
          if (expected < 1e-4) expect(got).toBe(0);
          else expect(got).toBeCloseTo(expected, 5);
        }
    }
  });

  it("clamps intersliceKnn to epochs − 1 instead of failing like the reference", async () => {
    const result = await multisliceAffinity(T, { intersliceKnn: 25 });
    expect(result.intersliceKnn).toBe(n - 1);
    expect(result.intersliceKnnAuto).toBe(false);
  });
});

describe("interslice κ", () => {
  it('"auto" is max(2, round(0.08 × slices)), at most slices − 1: the reference\'s 25 of 300 epochs scaled to the run', () => {
    const cases: [number, number][] = [
      [2, 1],
      [3, 2],
      [6, 2],
      [21, 2],
      [31, 2],
      [32, 3],
      [51, 4],
      [101, 8],
      [300, 24],
      [313, 25],
    ];
    for (const [slices, kappa] of cases)
      expect([slices, autoIntersliceKnn(slices)]).toEqual([slices, kappa]);
    expect(mphateDefaults.intersliceKnn).toBe("auto");
  });

  it("is the default, echoed with its rule, and gives the same graph as the value it resolved to", async () => {
    const T = tiny(21, 6, 5);
    const auto = await multisliceAffinity(T);
    expect([auto.intersliceKnn, auto.intersliceKnnAuto]).toEqual([2, true]);
    const given = await multisliceAffinity(T, { intersliceKnn: 2 });
    expect(auto.epsilon).toBe(given.epsilon);
    expect(Array.from(auto.affinity.values)).toEqual(Array.from(given.affinity.values));
    const result = await mphate(T, { t: 3 });
    expect(result.params).toMatchObject({ intersliceKnn: 2, intersliceKnnAuto: true });
    expect(result.warnings.join(" ")).not.toMatch(/clamped/);
    const clamped = await mphate(T, { t: 3, intersliceKnn: 25 });
    expect(clamped.params).toMatchObject({ intersliceKnn: 20, intersliceKnnAuto: false });
    expect(clamped.warnings.join(" ")).toMatch(/intersliceKnn 25 clamped to epochs − 1 = 20/);
  });

  it("on digits-generalization-vanilla's 21 checkpoints: κ = 2, and the old clamped 20 made ε about 40× larger", async () => {
    const bundle = await loadBundleFromPath(
      new URL("../../data/examples/digits-generalization-vanilla.zip", import.meta.url).pathname,
    );
    const { tensor } = tensorFromBundle(bundle, { layers: [], epochStride: 1, unitStride: 1 });
    expect(tensor.epochs).toBe(21);
    const auto = await multisliceAffinity(tensor);
    const old = await multisliceAffinity(tensor, { intersliceKnn: 25 });
    expect([auto.intersliceKnn, old.intersliceKnn]).toEqual([2, 20]);
    // z-scored rows of 100 samples: distances up to about √200; κ = 20 reaches the far end of the run.
    expect(old.epsilon / auto.epsilon).toBeGreaterThan(30);
    expect(auto.epsilon).toBeGreaterThan(0.1);
    expect(auto.epsilon).toBeLessThan(0.5);
    // With ε that large every unit's checkpoints are all joined at almost full weight; with κ = 2 they are not.
    const meanInterslice = (K: typeof auto.affinity) => {
      let sum = 0,
        count = 0;
      for (let i = 0; i < K.n; i++)
        for (let e = K.rowPtr[i]; e < K.rowPtr[i + 1]; e++)
          if (K.columns[e] % 96 === i % 96 && K.columns[e] !== i)
            [sum, count] = [sum + K.values[e], count + 1];
      return sum / (21 * 96 * 20);
    };
    expect(meanInterslice(old.affinity)).toBeGreaterThan(0.9);
    expect(meanInterslice(auto.affinity)).toBeLessThan(0.2);
  });
});

describe("mphate", () => {
  // 3 groups of 12 units over 15 epochs: each group follows its own slowly drifting response.
  const epochs = 15;
  const units = 36;
  const samples = 20;
  const T: UnitTensor = {
    epochs,
    units,
    samples,
    data: new Float32Array(epochs * units * samples),
  };
  const base = Array.from({ length: 3 }, () => Float64Array.from({ length: samples }, gauss));
  const drift = Array.from({ length: 3 }, () => Float64Array.from({ length: samples }, gauss));
  const group = Int32Array.from({ length: units }, (_, i) => i % 3);
  for (let tau = 0; tau < epochs; tau++)
    for (let i = 0; i < units; i++)
      for (let s = 0; s < samples; s++) {
        const g = group[i];
        T.data[(tau * units + i) * samples + s] =
          base[g][s] + (tau / epochs) * drift[g][s] + 0.3 * gauss();
      }

  it("labels points epoch-major and keeps unit groups apart (each point's nearest embedded neighbour is in its group)", async () => {
    const result = await mphate(T, { intersliceKnn: 5 });
    expect(result.embedding.rows).toBe(epochs * units);
    expect(Array.from(result.epoch.slice(units - 1, units + 1))).toEqual([0, 1]);
    expect(Array.from(result.unit.slice(units - 1, units + 1))).toEqual([units - 1, 0]);
    expect(result.params.gamma).toBe(0);
    // Nearest embedded neighbour of each point belongs to the same group.
    const Y = result.embedding.data;
    let same = 0;
    for (let a = 0; a < Y.length / 2; a++) {
      let best = -1,
        bestD = Infinity;
      for (let b = 0; b < Y.length / 2; b++) {
        if (a === b) continue;
        const d = (Y[2 * a] - Y[2 * b]) ** 2 + (Y[2 * a + 1] - Y[2 * b + 1]) ** 2;
        if (d < bestD) [best, bestD] = [b, d];
      }
      if (group[best % units] === group[a % units]) same++;
    }
    expect(same / (Y.length / 2)).toBeGreaterThan(0.95);
  });

  it("runs exact up to 4,000 points by default (M-PHATE's n_landmark) and keeps the unscaled metric MDS output", async () => {
    expect(mphateDefaults.nLandmark).toBe(4000);
    const result = await mphate(T, { intersliceKnn: 5 });
    expect(result.landmarks).toBeNull();
    expect(result.nLandmarks).toBe(epochs * units);
    // The drawn embedding is the metric MDS output up to a similarity (centring, Procrustes
    // rotation and scale): every pairwise distance shrinks by the same factor.
    const E = result.embedding.data;
    const M = result.metricEmbedding.data;
    const dist = (Y: Float32Array, a: number, b: number) =>
      Math.hypot(Y[2 * a] - Y[2 * b], Y[2 * a + 1] - Y[2 * b + 1]);
    const ratio = dist(E, 0, 1) / dist(M, 0, 1);
    for (const [a, b] of [
      [2, 300],
      [17, 400],
      [100, 539],
      [5, 6],
    ])
      expect(dist(E, a, b) / dist(M, a, b)).toBeCloseTo(ratio, 4);
    // Unit Frobenius norm before the Procrustes scale (≤ 1) for the drawn one; the metric output is in potential units.
    let frobenius = 0;
    for (const v of E) frobenius += v * v;
    expect(Math.sqrt(frobenius)).toBeLessThanOrEqual(1 + 1e-6);
    expect(ratio).toBeLessThan(1);
  });

  it("is bit-identical for the same seed, exact and with landmarks", async () => {
    for (const nLandmark of [1000, 200]) {
      const a = await mphate(T, { intersliceKnn: 5, nLandmark, nSvd: 20, seed: 4 });
      const b = await mphate(T, { intersliceKnn: 5, nLandmark, nSvd: 20, seed: 4 });
      expect(
        Buffer.from(a.embedding.data.buffer).equals(Buffer.from(b.embedding.data.buffer)),
      ).toBe(true);
    }
  });

  it("mostActiveClass takes the argmax of per-class Σ|activation| (L1) or Σ activation² (L2)", () => {
    const t: UnitTensor = {
      epochs: 2,
      units: 3,
      samples: 4,
      data: Float32Array.from([
        1, 1, -3, 0, 0, 0, 0, 0, 5, -5, 1, 1, /**/ 0, 2, 0, 2, 1, 1, 1, 1, 0, 0, 0, 9,
      ]),
    };
    // classes of the samples: 0, 0, 1, 1
    expect(Array.from(mostActiveClass(t, [0, 0, 1, 1], 2))).toEqual([1, 0, 0, 0, 0, 1]);
    expect(
      Array.from(
        mostActiveClass(
          {
            ...t,
            data: Float32Array.from([
              2, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            ]),
          },
          [0, 0, 1, 1],
          2,
          "l2",
        ),
      ),
    ).toEqual([1, 0, 0, 0, 0, 0]);
    expect(adjustedRandIndex([0, 1], [1, 0])).toBe(1);
  });

  it("rejects bad tensors and options", async () => {
    await expect(
      mphate({ epochs: 1, units: 5, samples: 3, data: new Float32Array(15) }),
    ).rejects.toThrow(/at least 2 epochs/);
    await expect(
      mphate({ epochs: 2, units: 5, samples: 3, data: new Float32Array(29) }),
    ).rejects.toMatchObject({ code: "E_SHAPE_MISMATCH" });
    const bad = tiny();
    bad.data[5 * 6 + 2] = NaN;
    await expect(mphate(bad)).rejects.toThrow(/NaN at epoch 1, unit 0, sample 2/);
    await expect(mphate(tiny(), { intrasliceKnn: 0 })).rejects.toThrow(/invalid intrasliceKnn: 0/);
    await expect(mphate(tiny(), { knn: 3 } as never)).rejects.toThrow(
      /unknown option for mphate: "knn"/,
    );
  });
});

describe("tensorFromBundle", () => {
  it("takes a conv layer's channels as its units, each sample's value the channel's mean over positions", () => {
    // 2 trace samples; a conv layer 2 × 2 × 2 (channels × positions) and a dense layer of 3 units.
    const conv = (k: number) => Float32Array.from({ length: 2 * 2 * 4 }, (_, i) => k * 100 + i); // sample s, channel c, position p at 8s + 4c + p
    const dense = (k: number) => Float32Array.from({ length: 2 * 3 }, (_, i) => -k - i);
    const checkpoint = (epoch: number) => ({
      epoch,
      layers: [
        { name: "conv", shape: [2, 2, 2, 2], kind: "conv", data: conv(epoch) },
        { name: "fc", shape: [2, 3], kind: "dense", data: dense(epoch) },
      ],
    });
    const bundle = {
      name: "conv-checkpoints",
      samples: 2,
      checkpoints: [checkpoint(0), checkpoint(1)],
    } as unknown as Parameters<typeof tensorFromBundle>[0];
    const bt = tensorFromBundle(bundle, { layers: [], epochStride: 1, unitStride: 1 });
    expect(bt.tensor).toMatchObject({ epochs: 2, units: 5, samples: 2 });
    expect(Array.from(bt.unitLayer)).toEqual([0, 0, 1, 1, 1]);
    expect(Array.from(bt.unitIndex)).toEqual([0, 1, 0, 1, 2]);
    // Epoch 1, channel 1: samples 0 and 1 average 100 + (4..7) and 100 + (12..15).
    const at = (epoch: number, unit: number, sample: number) =>
      bt.tensor.data[(epoch * 5 + unit) * 2 + sample];
    expect([at(1, 1, 0), at(1, 1, 1)]).toEqual([105.5, 113.5]);
    expect([at(0, 0, 0), at(0, 0, 1)]).toEqual([1.5, 9.5]);
    // The dense layer's units are its columns, as before: epoch 1, unit 2 of sample 1 is −1 − 5.
    expect(at(1, 4, 1)).toBe(-6);
  });
});
