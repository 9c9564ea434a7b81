import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { matrix, type Matrix } from "../../src/core/matrix.ts";
import { getCore } from "../../src/core/wasm.ts";
import { readNpy } from "../../src/io/npy.ts";
import { automaticEps, kneeIndex } from "../../src/algo/mapper/cluster.ts";
import { intervals } from "../../src/algo/mapper/cover.ts";
import { MapperSpace, mapper } from "../../src/algo/mapper/mapper.ts";
import { mulberry32 } from "../helpers.ts";
import { nerve } from "../../src/algo/mapper/nerve.ts";
import { graphPurity, nodeComposition, topClasses } from "../../src/algo/mapper/statistics.ts";

const fixture = (name: string) => new URL(`../fixtures/mapper/${name}`, import.meta.url);

/** Seeded uniform and normal (Box–Muller) test data. */
function random(seed: number) {
  const uniform = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

function noisyCircle(n: number, dims: number, noise: number, seed: number): Matrix {
  const rng = random(seed);
  const X = matrix(n, dims);
  for (let i = 0; i < n; i++) {
    const t = (2 * Math.PI * i) / n;
    X.data[i * dims] = Math.cos(t) + noise * rng.normal();
    X.data[i * dims + 1] = Math.sin(t) + noise * rng.normal();
    for (let j = 2; j < dims; j++) X.data[i * dims + j] = noise * rng.normal();
  }
  return X;
}

function blobs(centres: number[][], perBlob: number, sd: number, seed: number): Matrix {
  const rng = random(seed);
  const d = centres[0].length;
  const X = matrix(centres.length * perBlob, d);
  centres.forEach((c, b) => {
    for (let i = 0; i < perBlob; i++) for (let j = 0; j < d; j++) X.data[(b * perBlob + i) * d + j] = c[j] + sd * rng.normal();
  });
  return X;
}

const column = (X: Matrix, c: number) => Float64Array.from({ length: X.rows }, (_, i) => X.data[i * X.cols + c]);

describe("Mapper on shapes with a known answer", () => {
  it("a noisy circle with the first coordinate as lens gives one component and exactly one cycle", async () => {
    const X = noisyCircle(800, 8, 0.03, 1);
    const g = await mapper(X, { lens: { name: "x", values: [column(X, 0)] }, intervals: 8, overlap: 0.3 });
    expect(g.componentCount).toBe(1);
    expect(g.cycles).toBe(1);
    // Interior intervals cut the circle in two arcs, the end intervals in one.
    expect(g.nodes.length).toBe(2 * 8 - 2);
    expect(g.lost.length).toBeLessThan(X.rows * 0.02);
    // ε from the knee of the 4th-neighbour curve (min_samples − 1); the 1st-neighbour knee is smaller.
    expect(g.params.epsNeighbor).toBe(4);
    const nearest = await mapper(X, { lens: { name: "x", values: [column(X, 0)] }, intervals: 8, overlap: 0.3, epsNeighbor: 1 });
    expect(nearest.params.eps).toBeLessThan(g.params.eps);
    expect(nearest.lost.length).toBeGreaterThan(g.lost.length);
  });

  it("two well-separated blobs give two components (the ℓ2-norm lens mixes them in every interval)", async () => {
    const X = blobs([[5, 0, 0, 0], [-5, 0, 0, 0]], 300, 0.5, 2);
    const g = await mapper(X, {});
    expect(g.componentCount).toBe(2);
    const blobOf = (r: number) => (r < 300 ? 0 : 1);
    for (const node of g.nodes) expect(new Set(Array.from(node.members, blobOf)).size).toBe(1);
    const compOfBlob = [0, 1].map((b) => new Set(g.nodes.filter((node) => blobOf(node.members[0]) === b).map((node) => g.componentOf[g.nodes.indexOf(node)])));
    expect(compOfBlob[0].size).toBe(1);
    expect(compOfBlob[1].size).toBe(1);
    expect([...compOfBlob[0]][0]).not.toBe([...compOfBlob[1]][0]);
  });

  it("a point alone in a cover element is reported as lost, and its element as skipped", async () => {
    const rng = random(3);
    const X = matrix(201, 2);
    for (let i = 0; i < 200; i++) {
      X.data[2 * i] = rng.uniform();
      X.data[2 * i + 1] = 0.05 * rng.normal();
    }
    X.data[400] = 10; // lens value 10: the last interval holds only this point
    const g = await mapper(X, { lens: { name: "x", values: [column(X, 0)] }, intervals: 10, overlap: 0.2 });
    expect(Array.from(g.lost)).toContain(200);
    expect(g.nodes.some((node) => node.members.includes(200))).toBe(false);
    const last = g.elements[g.elements.length - 1];
    expect(last.size).toBe(1);
    expect(last.skipped).toBe(true);
    const placed = new Set(g.nodes.flatMap((node) => Array.from(node.members)));
    expect(placed.size + g.lost.length).toBe(X.rows);
  });
});

describe("Mapper's parts against references", () => {
  const X = readNpy(new Uint8Array(readFileSync(fixture("points.npy"))));
  const points = matrix(X.shape[0], X.shape[1], X.data as Float32Array);
  const reference = JSON.parse(readFileSync(fixture("dbscan.json"), "utf8")) as { cases: { eps: number; min_samples: number; labels: number[] }[] };

  it("DBSCAN on one cover element equals scikit-learn's labels exactly (including dense ε beyond the 32-NN lists)", async () => {
    const space = await MapperSpace.build(points);
    for (const { eps, min_samples, labels } of reference.cases) {
      const g = await space.graph({ lens: "l2norm", intervals: 1, eps, minSamples: min_samples });
      const ours = new Int32Array(points.rows).fill(-1);
      g.nodes.forEach((node) => node.members.forEach((r) => (ours[r] = node.cluster)));
      expect(Array.from(ours), `eps ${eps}, min_samples ${min_samples}`).toEqual(labels);
      expect(g.lost.length).toBe(labels.filter((l) => l < 0).length);
    }
    // The same ε-graphs filtered from one graph prepared at the largest radius.
    const prepared = await MapperSpace.build(points);
    await prepared.prepare(0.6);
    for (const { eps, min_samples, labels } of reference.cases) {
      const g = await prepared.graph({ intervals: 1, eps, minSamples: min_samples });
      const ours = new Int32Array(points.rows).fill(-1);
      g.nodes.forEach((node) => node.members.forEach((r) => (ours[r] = node.cluster)));
      expect(Array.from(ours), `prepared, eps ${eps}`).toEqual(labels);
    }
  });

  it("the symmetric full pass and the per-row radius queries give the same ε-graph", async () => {
    const rows = await MapperSpace.build(points);
    const direct = await rows.neighborhoods.epsilonGraph(0.2); // few rows beyond their 32-NN lists
    const wide = await MapperSpace.build(points);
    await wide.neighborhoods.prepare(0.6); // most rows saturated: one symmetric pass
    expect(wide.neighborhoods.preparedRadius).toBe(0.6);
    const filtered = await wide.neighborhoods.epsilonGraph(0.2);
    expect(direct.saturated).toBeLessThan(points.rows / 2);
    expect(filtered.saturated).toBeGreaterThan(points.rows / 2);
    expect(Array.from(filtered.offsets)).toEqual(Array.from(direct.offsets));
    // Same neighbours per row (kNN-list rows come nearest first, the symmetric pass ascending).
    const sortedRows = (g: typeof direct) => Array.from({ length: points.rows }, (_, r) => Array.from(g.indices.subarray(g.offsets[r], g.offsets[r + 1])).sort((a, b) => a - b));
    expect(sortedRows(filtered)).toEqual(sortedRows(direct));
  });

  it("fits intervals to [min, max] with exact overlap", () => {
    expect(intervals(0, 1, 3, 0.5)).toEqual([[0, 0.5], [0.25, 0.75], [0.5, 1]]);
    const iv = intervals(2, 7, 10, 0.3);
    expect(iv[0][0]).toBe(2);
    expect(iv[9][1]).toBe(7);
    for (let i = 0; i < 9; i++) {
      const length = iv[i][1] - iv[i][0];
      expect((iv[i][1] - iv[i + 1][0]) / length).toBeCloseTo(0.3, 12);
    }
  });

  it("a balanced cover puts about the same number of points in every interval", async () => {
    const rng = random(5);
    const Y = matrix(1000, 2);
    for (let i = 0; i < 1000; i++) {
      Y.data[2 * i] = Math.exp(3 * rng.normal());
      Y.data[2 * i + 1] = rng.normal();
    }
    const lens = { name: "skewed", values: [column(Y, 0)] };
    const balanced = await mapper(Y, { lens, intervals: 5, overlap: 0, cover: "balanced" });
    for (const e of balanced.elements) expect(e.size).toBeGreaterThanOrEqual(199);
    const uniform = await mapper(Y, { lens, intervals: 5, overlap: 0 });
    expect(uniform.elements[0].size).toBeGreaterThan(900);
  });

  it("finds the knee of a hand-made curve and falls back to the median without one", () => {
    const curve = Float64Array.from({ length: 11 }, (_, i) => (i < 8 ? 0.1 * i : 0.7 + 3 * (i - 7)));
    expect(kneeIndex(curve)).toBe(7);
    expect(kneeIndex(Float64Array.from({ length: 10 }, (_, i) => i))).toBe(-1);
    expect(automaticEps(Float64Array.from([0.5, 0.5, 0.5, 0.5]))).toEqual({ eps: 0.5, rule: "median" });
    expect(automaticEps(Float64Array.from([0.1, 0.11, 0.12, 0.13, 0.14, 0.15, 5])).rule).toBe("knee");
  });

  it("counts shared points and Jaccard weights of the nerve by hand", () => {
    const members = [Int32Array.of(0, 1, 2, 3), Int32Array.of(2, 3, 4), Int32Array.of(4, 5), Int32Array.of(6)];
    expect(nerve(members, 7, 1)).toEqual([
      { source: 0, target: 1, shared: 2, jaccard: 2 / 5 },
      { source: 1, target: 2, shared: 1, jaccard: 1 / 4 },
    ]);
    expect(nerve(members, 7, 2)).toEqual([{ source: 0, target: 1, shared: 2, jaccard: 2 / 5 }]);
  });

  it("computes purity and top classes by hand", async () => {
    const g = { nodes: [{ members: Int32Array.of(0, 1, 2, 3) }, { members: Int32Array.of(4, 5) }] } as never;
    const comp = nodeComposition(g, [0, 0, 0, 1, 2, 2], 3);
    expect(comp.map((c) => Array.from(c))).toEqual([[3, 1, 0], [0, 0, 2]]);
    const p = graphPurity(comp);
    expect(p.meanInverseClasses).toBeCloseTo((1 / 2 + 1) / 2, 12);
    expect(p.weightedMajority).toBeCloseTo(5 / 6, 12);
    expect(topClasses(comp[0])).toEqual([[0, 3], [1, 1]]);
  });

  it("single linkage with the gap rule splits separated groups and keeps one group whole", async () => {
    const two = blobs([[0, 0], [20, 0]], 50, 0.5, 9);
    const g2 = await mapper(two, { lens: "pca2", intervals: 1, clusterer: "single-linkage" });
    expect(g2.nodes.length).toBe(2);
    expect(g2.lost.length).toBe(0);
    const one = blobs([[0, 0]], 100, 1, 9);
    const g1 = await mapper(one, { lens: "l2norm", intervals: 1, clusterer: "single-linkage", bins: 5 });
    expect(g1.nodes.length).toBeLessThanOrEqual(2);
    expect(g1.lost.length).toBe(0);
  });
});

describe("Mapper behaviour", () => {
  it("is deterministic and recomputes from the cached neighbourhoods", async () => {
    const X = noisyCircle(500, 6, 0.05, 11);
    const space = await MapperSpace.build(X);
    const a = await space.graph({ intervals: 12, overlap: 0.4 });
    const b = await space.graph({ intervals: 12, overlap: 0.4 });
    expect(b.nodes.map((n) => Array.from(n.members))).toEqual(a.nodes.map((n) => Array.from(n.members)));
    const c = await (await MapperSpace.build(X)).graph({ intervals: 12, overlap: 0.4 });
    expect(c.links).toEqual(a.links);
    const more = await space.graph({ intervals: 12, overlap: 0.6 });
    expect(more.links.length).not.toBe(a.links.length);
  });

  it("frees its wasm memory", async () => {
    const core = await getCore();
    const before = core.allocatedBytes;
    await mapper(noisyCircle(300, 4, 0.05, 4), { clusterer: "single-linkage" });
    await mapper(noisyCircle(300, 4, 0.05, 4), { eps: 2 });
    expect(core.allocatedBytes).toBe(before);
  });

  it("rejects bad parameters and data with messages that name them", async () => {
    const X = noisyCircle(50, 3, 0.05, 4);
    await expect(mapper(X, { overlap: 1 })).rejects.toThrow(/overlap/);
    await expect(mapper(X, { intervals: 0 })).rejects.toThrow(/intervals/);
    await expect(mapper(X, { eps: -1 })).rejects.toThrow(/eps/);
    await expect(mapper(X, { lens: "bogus" as never })).rejects.toThrow(/lens/);
    await expect(mapper(X, { lens: { name: "short", values: [[1, 2, 3]] } })).rejects.toThrow(/3 values for 50 points/);
    await expect(mapper(X, { colour: "red" } as never)).rejects.toThrow(/unknown option/);
    const bad = matrix(3, 2, [0, 0, 1, NaN, 2, 2]);
    await expect(mapper(bad)).rejects.toThrow(/finite|NaN/i);
  });
});
