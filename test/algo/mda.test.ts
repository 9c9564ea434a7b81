import { describe, expect, it } from "vitest";
import { autoBinEdges, bayesianSdr, digitize, discoverManifold, mda } from "../../src/algo/mda.ts";
import { embed } from "../../src/algo/embed.ts";
import { geodesicCorrelation, targetContinuity } from "../../src/algo/metrics.ts";
import { pca } from "../../src/algo/pca.ts";
import type { Matrix } from "../../src/core/matrix.ts";
import { mulberry32 } from "../helpers.ts";

/**
 * A curved 1-D manifold cos(2π f_j t + φ_j) in 20 dimensions plus 10 high-variance nuisance
 * dimensions; t is the regression target.
 */
function curve(n: number, seed = 3): { X: Matrix; signal: Matrix; t: Matrix } {
  const rand = mulberry32(seed);
  const t = Float32Array.from({ length: n }, () => rand());
  const freqs = Array.from({ length: 20 }, () => 0.5 + rand() * 1.5);
  const phases = Array.from({ length: 20 }, () => rand() * 2 * Math.PI);
  const X = new Float32Array(n * 30);
  const S = new Float32Array(n * 20);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 20; j++)
      X[i * 30 + j] = S[i * 20 + j] = Math.cos(2 * Math.PI * freqs[j] * t[i] + phases[j]);
    for (let j = 20; j < 30; j++) X[i * 30 + j] = 5 * (rand() * 2 - 1);
  }
  return {
    X: { rows: n, cols: 30, data: X },
    signal: { rows: n, cols: 20, data: S },
    t: { rows: n, cols: 1, data: t },
  };
}

/** Seeded nuisance-dimension task: features mix a low-variance target with big nuisance factors. */
function nuisanceTask(n: number, seed = 7): { X: Matrix; t: Matrix } {
  const rand = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const D = 30;
  const factors = 9;
  const t = Float32Array.from({ length: n }, () => rand());
  const W = Array.from({ length: D * factors }, gauss);
  const X = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    const z = [t[i] - 0.5, ...Array.from({ length: factors - 1 }, () => 5 * gauss())];
    for (let j = 0; j < D; j++) {
      let h = 0;
      for (let a = 0; a < factors; a++) h += W[j * factors + a] * z[a];
      X[i * D + j] = h + 0.3 * Math.sin(h);
    }
  }
  return { X: { rows: n, cols: D, data: X }, t: { rows: n, cols: 1, data: t } };
}

describe("autoBinEdges and digitize", () => {
  it("equal NumPy 1.24's histogram_bin_edges(bins='auto') and digitize", () => {
    // numpy.histogram_bin_edges / numpy.digitize on the same values.
    expect(Array.from(autoBinEdges([0, 1, 1, 1, 1, 2, 3, 10]))).toEqual([
      0, 1.25, 2.5, 3.75, 5, 6.25, 7.5, 8.75, 10,
    ]);
    expect(
      Array.from(digitize([0, 1, 1, 1, 1, 2, 3, 10], autoBinEdges([0, 1, 1, 1, 1, 2, 3, 10]))),
    ).toEqual([1, 1, 1, 1, 1, 2, 3, 9]);
    const x = [0.5, 0.25, 4.0, 2.5, 1.0, 0.0, 3.75, 1.5, 2.0, 0.1];
    expect(Array.from(autoBinEdges(x))).toEqual([0, 0.8, 1.6, 2.4000000000000004, 3.2, 4]);
    expect(Array.from(digitize(x, autoBinEdges(x)))).toEqual([1, 1, 6, 4, 2, 1, 5, 2, 3, 1]);
    expect(Array.from(autoBinEdges([3, 3, 3]))).toEqual([2.5, 3.5]);
  });

  it("give 9/10/13 bins at N = 200/500/2000 with a singleton top group (NumPy's counts)", () => {
    const want: Record<number, number[]> = {
      200: [0, 46, 28, 22, 20, 19, 17, 17, 15, 15, 1],
      500: [0, 108, 63, 53, 47, 44, 40, 39, 37, 35, 33, 1],
      2000: [0, 362, 212, 179, 159, 146, 136, 130, 123, 118, 114, 110, 107, 103, 1],
    };
    for (const n of [200, 500, 2000]) {
      const d = Float64Array.from({ length: n }, (_, i) =>
        i === n - 1 ? 1 : (i / (n - 1)) ** 1.5,
      );
      const groups = digitize(d, autoBinEdges(d));
      const counts = new Array(want[n].length).fill(0);
      for (const g of groups) counts[g]++;
      expect(counts).toEqual(want[n]);
    }
  });
});

describe("discoverManifold", () => {
  it("measures from the endpoint farthest from row 0; euclidean and geodesic agree for scalar outputs", async () => {
    const { t } = curve(300);
    const e = await discoverManifold(t);
    let far = 0;
    for (let i = 0; i < 300; i++)
      if (Math.abs(t.data[i] - t.data[0]) > Math.abs(t.data[far] - t.data[0])) far = i;
    expect(e.endpoint).toBe(far);
    for (let i = 0; i < 300; i += 17)
      expect(e.distance[i]).toBeCloseTo(Math.abs(t.data[i] - t.data[far]), 6);
    expect(Math.max(...e.normalized)).toBe(1);
    const g = await discoverManifold(t, { mode: "geodesic" });
    expect(g.endpoint).toBe(e.endpoint);
    for (let i = 0; i < 300; i++) expect(g.distance[i]).toBeCloseTo(e.distance[i], 4);
    expect(g.bins).toBe(e.bins);
  });

  it("rejects bad options", async () => {
    await expect(discoverManifold({ rows: 1, cols: 1, data: new Float32Array(1) })).rejects.toThrow(
      /at least 2 samples/,
    );
    await expect(discoverManifold(curve(20).t, { mode: "cosine" as never })).rejects.toThrow(
      /invalid mode: "cosine"/,
    );
  });
});

describe("bayesianSdr", () => {
  it(
    "projects away nuisance dimensions: the 16-D projection follows the signal manifold",
    { timeout: 60_000 },
    async () => {
      const { X, signal, t } = curve(400);
      const manifold = await discoverManifold(t);
      const sdr = await bayesianSdr(X, manifold.groups, manifold.bins + 2, { iterations: 60 });
      expect(sdr.projection.rows).toBe(400);
      expect(sdr.projection.cols).toBe(16);
      const raw = (await pca(X, { nComponents: 2 })).scores;
      // A NumPy check of the same construction: 0.02 for raw PCA, 0.996 for the 16-D projection.
      expect((await geodesicCorrelation(signal, raw, { k: 10 })).pearson).toBeLessThan(0.2);
      expect(
        (await geodesicCorrelation(signal, sdr.projection, { k: 10 })).pearson,
      ).toBeGreaterThan(0.95);
      // P = F·E[Q] exactly.
      for (const [i, c] of [
        [0, 0],
        [17, 5],
        [399, 15],
      ]) {
        let v = 0;
        for (let a = 0; a < 30; a++) v += X.data[i * 30 + a] * sdr.Q[a * 16 + c];
        expect(sdr.projection.data[i * 16 + c]).toBeCloseTo(v, 3);
      }
    },
  );

  it("is bit-identical for a seed and rejects bad labels", async () => {
    const { X, t } = curve(120);
    const m = await discoverManifold(t);
    const a = await bayesianSdr(X, m.groups, m.bins + 2, { iterations: 5, components: 4 });
    const b = await bayesianSdr(X, m.groups, m.bins + 2, { iterations: 5, components: 4 });
    expect(Array.from(a.projection.data)).toEqual(Array.from(b.projection.data));
    await expect(bayesianSdr(X, m.groups, 2)).rejects.toThrow(/invalid labels\[\d+\]/);
    await expect(bayesianSdr(X, m.groups.slice(1), 20)).rejects.toThrow(/labels has 119 entries/);
  });
});

describe("mda", () => {
  it(
    "lays the curve out as a continuum: geodesic correlation with the signal > 0.9, deterministic",
    { timeout: 120_000 },
    async () => {
      const { X, signal, t } = curve(300);
      // UMAP's full 500 epochs: the layout comes in pieces (one per few groups), and only with the
      // full schedule are the pieces laid out in order; the joined geodesic score sees that
      // (200 epochs: r = 0.87 joined, 0.99 if the 71% of pairs across pieces were dropped).
      const a = await mda(X, t, { iterations: 60 });
      expect(a.classes).toBe(a.manifold.bins + 2);
      expect(a.params).toMatchObject({
        mode: "euclidean",
        components: 16,
        pcaComponents: 0,
        groups: a.manifold.bins,
        nEpochs: 500,
      });
      const score = await geodesicCorrelation(signal, a.coordinates, { k: 10 });
      expect(score.pearson).toBeGreaterThan(0.9);
      expect(score.components.y).toBeGreaterThan(1);
      expect(score.affectedFraction).toBeGreaterThan(0.5);
      const b = await mda(X, t, { iterations: 60 });
      expect(Array.from(a.coordinates.data)).toEqual(Array.from(b.coordinates.data));
    },
  );

  it(
    "finds a low-variance target under high-variance nuisance features that PCA, t-SNE and UMAP miss",
    { timeout: 120_000 },
    async () => {
      // The nuisance-dimension task: a scalar target t (variance 1/12) and eight nuisance factors
      // (standard deviation 5) mixed by a fixed random 30 × 9 matrix and bent by h + 0.3·sin(h).
      // Unsupervised layouts follow the nuisance variance; MDA, grouped by the target (a network
      // that predicts t perfectly), keeps the direction that predicts it.
      const { X, t } = nuisanceTask(400);
      const continuity: Record<string, number> = {};
      for (const method of ["pca", "tsne", "umap"] as const) {
        const layout = await embed(X, method, method === "pca" ? {} : { seed: 42 });
        continuity[method] = (await targetContinuity(layout.coordinates, t)).spearman;
      }
      const layout = await mda(X, t, { iterations: 100, nEpochs: 200 });
      continuity.mda = (await targetContinuity(layout.coordinates, t)).spearman;
      // Measured: PCA −0.018, t-SNE −0.018, UMAP −0.013, MDA 0.903.
      for (const method of ["pca", "tsne", "umap"])
        expect(Math.abs(continuity[method])).toBeLessThan(0.1);
      expect(continuity.mda).toBeGreaterThan(0.85);
    },
  );

  it(
    'groups class-index outputs one group per class with groups: "distinct", where NumPy\'s auto bins merge two',
    { timeout: 60_000 },
    async () => {
      // 100 samples of 10 classes: "auto" makes ceil(log₂100 + 1) = 8 Sturges bins of width 9/8
      // over the distances 0 … 9, so two classes share a bin; "distinct" gives every class its own.
      const rand = mulberry32(5);
      const labels = Float32Array.from({ length: 100 }, (_, i) =>
        i < 10 ? i : Math.floor(rand() * 10),
      );
      const y = { rows: 100, cols: 1, data: labels };
      const auto = await discoverManifold(y);
      expect(auto.bins).toBe(8);
      expect(new Set(auto.groups).size).toBe(9);
      const X = {
        rows: 100,
        cols: 6,
        data: Float32Array.from({ length: 600 }, (_, i) => labels[Math.floor(i / 6)] + rand()),
      };
      const r = await mda(X, y, { groups: "distinct", iterations: 3, nEpochs: 20 });
      // Row 0 is class 0, so the endpoint is a class-9 row and distance = 9 − class.
      for (let i = 0; i < 100; i++) expect(r.manifold.groups[i]).toBe(10 - labels[i]);
      expect(r.classes).toBe(11);
      expect(r.params).toMatchObject({ groups: 9, groupRule: "distinct" });
      await expect(mda(X, y, { groups: "classes" as never })).rejects.toThrow(
        /invalid groups: "classes"/,
      );
    },
  );

  it("PCA-reduces when N < D and honours a fixed group count", { timeout: 60_000 }, async () => {
    const rand = mulberry32(9);
    const X = { rows: 40, cols: 120, data: Float32Array.from({ length: 40 * 120 }, () => rand()) };
    const y = { rows: 40, cols: 1, data: Float32Array.from({ length: 40 }, (_, i) => i) };
    const r = await mda(X, y, { iterations: 3, groups: 5, nEpochs: 20, nNeighbors: 5 });
    expect(r.params.pcaComponents).toBe(39);
    expect(r.params.groups).toBe(5);
    expect(r.classes).toBe(7);
    expect(Math.max(...r.manifold.groups)).toBe(6);
  });

  it("rejects mismatched rows and bad options", async () => {
    const { X, t } = curve(30);
    await expect(mda(X, { rows: 29, cols: 1, data: new Float32Array(29) })).rejects.toThrow(
      /outputs have 29 rows but the features have 30/,
    );
    await expect(mda(X, t, { components: 0 })).rejects.toThrow(/invalid components: 0/);
    await expect(mda(X, t, { groups: 0 })).rejects.toThrow(/invalid groups: 0/);
    await expect(mda(X, t, { R: 3 } as never)).rejects.toThrow(/unknown option for mda: "R"/);
  });
});
