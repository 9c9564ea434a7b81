import { describe, expect, it } from "vitest";
import { autoBinEdges, bayesianSdr, digitize, discoverManifold, mda } from "../../src/algo/mda.ts";
import { geodesicCorrelation } from "../../src/algo/metrics.ts";
import { pca } from "../../src/algo/pca.ts";
import type { Matrix } from "../../src/core/matrix.ts";
import { mulberry32 } from "../helpers.ts";

/**
 * specs/mda.md §4 task 2: a curved 1-D manifold cos(2π f_j t + φ_j) in 20 dimensions plus 10
 * high-variance nuisance dimensions; t is the regression target.
 */
function curve(n: number, seed = 3): { X: Matrix; signal: Matrix; t: Matrix } {
  const rand = mulberry32(seed);
  const t = Float32Array.from({ length: n }, () => rand());
  const freqs = Array.from({ length: 20 }, () => 0.5 + rand() * 1.5);
  const phases = Array.from({ length: 20 }, () => rand() * 2 * Math.PI);
  const X = new Float32Array(n * 30);
  const S = new Float32Array(n * 20);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 20; j++) X[i * 30 + j] = S[i * 20 + j] = Math.cos(2 * Math.PI * freqs[j] * t[i] + phases[j]);
    for (let j = 20; j < 30; j++) X[i * 30 + j] = 5 * (rand() * 2 - 1);
  }
  return { X: { rows: n, cols: 30, data: X }, signal: { rows: n, cols: 20, data: S }, t: { rows: n, cols: 1, data: t } };
}

describe("autoBinEdges and digitize", () => {
  it("equal NumPy 1.24's histogram_bin_edges(bins='auto') and digitize", () => {
    // numpy.histogram_bin_edges / numpy.digitize on the same values.
    expect(Array.from(autoBinEdges([0, 1, 1, 1, 1, 2, 3, 10]))).toEqual([0, 1.25, 2.5, 3.75, 5, 6.25, 7.5, 8.75, 10]);
    expect(Array.from(digitize([0, 1, 1, 1, 1, 2, 3, 10], autoBinEdges([0, 1, 1, 1, 1, 2, 3, 10])))).toEqual([1, 1, 1, 1, 1, 2, 3, 9]);
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
      const d = Float64Array.from({ length: n }, (_, i) => (i === n - 1 ? 1 : (i / (n - 1)) ** 1.5));
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
    for (let i = 0; i < 300; i++) if (Math.abs(t.data[i] - t.data[0]) > Math.abs(t.data[far] - t.data[0])) far = i;
    expect(e.endpoint).toBe(far);
    for (let i = 0; i < 300; i += 17) expect(e.distance[i]).toBeCloseTo(Math.abs(t.data[i] - t.data[far]), 6);
    expect(Math.max(...e.normalized)).toBe(1);
    const g = await discoverManifold(t, { mode: "geodesic" });
    expect(g.endpoint).toBe(e.endpoint);
    for (let i = 0; i < 300; i++) expect(g.distance[i]).toBeCloseTo(e.distance[i], 4);
    expect(g.bins).toBe(e.bins);
  });

  it("rejects bad options", async () => {
    await expect(discoverManifold({ rows: 1, cols: 1, data: new Float32Array(1) })).rejects.toThrow(/at least 2 samples/);
    await expect(discoverManifold(curve(20).t, { mode: "cosine" as never })).rejects.toThrow(/invalid mode: "cosine"/);
  });
});

describe("bayesianSdr", () => {
  it("projects away nuisance dimensions: the 16-D projection follows the signal manifold (spec §4 task 2)", { timeout: 60_000 }, async () => {
    const { X, signal, t } = curve(400);
    const manifold = await discoverManifold(t);
    const sdr = await bayesianSdr(X, manifold.groups, manifold.bins + 2, { iterations: 60 });
    expect(sdr.projection.rows).toBe(400);
    expect(sdr.projection.cols).toBe(16);
    const raw = (await pca(X, { nComponents: 2 })).scores;
    // Spec's NumPy check: 0.02 for raw PCA, 0.996 for the 16-D projection.
    expect((await geodesicCorrelation(signal, raw, { k: 10 })).pearson).toBeLessThan(0.2);
    expect((await geodesicCorrelation(signal, sdr.projection, { k: 10 })).pearson).toBeGreaterThan(0.95);
    // P = F·E[Q] exactly.
    for (const [i, c] of [[0, 0], [17, 5], [399, 15]]) {
      let v = 0;
      for (let a = 0; a < 30; a++) v += X.data[i * 30 + a] * sdr.Q[a * 16 + c];
      expect(sdr.projection.data[i * 16 + c]).toBeCloseTo(v, 3);
    }
  });

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
  it("lays the curve out as a continuum: geodesic correlation with the signal > 0.9, deterministic", { timeout: 120_000 }, async () => {
    const { X, signal, t } = curve(300);
    const a = await mda(X, t, { iterations: 60, nEpochs: 200 });
    expect(a.classes).toBe(a.manifold.bins + 2);
    expect(a.params).toMatchObject({ mode: "euclidean", components: 16, pcaComponents: 0, groups: a.manifold.bins });
    expect((await geodesicCorrelation(signal, a.coordinates, { k: 10 })).pearson).toBeGreaterThan(0.9);
    const b = await mda(X, t, { iterations: 60, nEpochs: 200 });
    expect(Array.from(a.coordinates.data)).toEqual(Array.from(b.coordinates.data));
  });

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
    await expect(mda(X, { rows: 29, cols: 1, data: new Float32Array(29) })).rejects.toThrow(/outputs have 29 rows but the features have 30/);
    await expect(mda(X, t, { components: 0 })).rejects.toThrow(/invalid components: 0/);
    await expect(mda(X, t, { groups: 0 })).rejects.toThrow(/invalid groups: 0/);
    await expect(mda(X, t, { R: 3 } as never)).rejects.toThrow(/unknown option for mda: "R"/);
  });
});
