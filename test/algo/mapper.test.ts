import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { matrix, type Matrix } from "../../src/core/matrix.ts";
import { getCore } from "../../src/core/wasm.ts";
import { readNpy } from "../../src/io/npy.ts";
import { automaticEps, kneedleKnee } from "../../src/algo/mapper/cluster.ts";
import { intervals } from "../../src/algo/mapper/cover.ts";
import { MapperSpace, mapper, type MapperGraph } from "../../src/algo/mapper/mapper.ts";
import { dbscan } from "../../src/algo/mapper/cluster.ts";
import {
  epsilonNeighbors,
  planNeighborSearch,
  type EpsilonGraph,
} from "../../src/algo/mapper/neighborhoods.ts";
import { knn } from "../../src/algo/knn.ts";
import { nnDescent, nnDescentBytes } from "../../src/algo/nndescent.ts";
import { HiddenAtlasError } from "../../src/core/errors.ts";
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
    for (let i = 0; i < perBlob; i++)
      for (let j = 0; j < d; j++) X.data[(b * perBlob + i) * d + j] = c[j] + sd * rng.normal();
  });
  return X;
}

const column = (X: Matrix, c: number) =>
  Float64Array.from({ length: X.rows }, (_, i) => X.data[i * X.cols + c]);

describe("Mapper on shapes with a known answer", () => {
  it("a noisy circle with the first coordinate as lens gives one component and exactly one cycle", async () => {
    const X = noisyCircle(800, 8, 0.03, 1);
    const g = await mapper(X, {
      lens: { name: "x", values: [column(X, 0)] },
      intervals: 8,
      overlap: 0.3,
    });
    expect(g.componentCount).toBe(1);
    expect(g.cycles).toBe(1);
    // Interior intervals cut the circle in two arcs, the end intervals in one.
    expect(g.nodes.length).toBe(2 * 8 - 2);
    expect(g.lost.length).toBeLessThan(X.rows * 0.02);
    // ε from the knee of the 4th-neighbour curve (min_samples − 1); the 1st-neighbour knee is smaller.
    expect(g.params.epsNeighbor).toBe(4);
    const nearest = await mapper(X, {
      lens: { name: "x", values: [column(X, 0)] },
      intervals: 8,
      overlap: 0.3,
      epsNeighbor: 1,
    });
    expect(nearest.params.eps).toBeLessThan(g.params.eps);
    expect(nearest.lost.length).toBeGreaterThan(g.lost.length);
  });

  it("two well-separated blobs give two components (the ℓ2-norm lens mixes them in every interval)", async () => {
    const X = blobs(
      [
        [5, 0, 0, 0],
        [-5, 0, 0, 0],
      ],
      300,
      0.5,
      2,
    );
    const g = await mapper(X, {});
    expect(g.componentCount).toBe(2);
    const blobOf = (r: number) => (r < 300 ? 0 : 1);
    for (const node of g.nodes) expect(new Set(Array.from(node.members, blobOf)).size).toBe(1);
    const compOfBlob = [0, 1].map(
      (b) =>
        new Set(
          g.nodes
            .filter((node) => blobOf(node.members[0]) === b)
            .map((node) => g.componentOf[g.nodes.indexOf(node)]),
        ),
    );
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
    const g = await mapper(X, {
      lens: { name: "x", values: [column(X, 0)] },
      intervals: 10,
      overlap: 0.2,
    });
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
  const reference = JSON.parse(readFileSync(fixture("dbscan.json"), "utf8")) as {
    cases: { eps: number; min_samples: number; labels: number[] }[];
  };

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
    const sortedRows = (g: typeof direct) =>
      Array.from({ length: points.rows }, (_, r) =>
        Array.from(g.indices.subarray(g.offsets[r], g.offsets[r + 1])).sort((a, b) => a - b),
      );
    expect(sortedRows(filtered)).toEqual(sortedRows(direct));
  });

  it("fits intervals to [min, max] with exact overlap", () => {
    expect(intervals(0, 1, 3, 0.5)).toEqual([
      [0, 0.5],
      [0.25, 0.75],
      [0.5, 1],
    ]);
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
    const curve = Float64Array.from({ length: 11 }, (_, i) =>
      i < 8 ? 0.1 * i : 0.7 + 3 * (i - 7),
    );
    expect(kneedleKnee(curve)).toBe(7);
    expect(kneedleKnee(Float64Array.from({ length: 10 }, (_, i) => i))).toBe(-1);
    expect(automaticEps(Float64Array.from([0.5, 0.5, 0.5, 0.5]))).toEqual({
      eps: 0.5,
      rule: "median",
    });
    expect(automaticEps(Float64Array.from([0.1, 0.11, 0.12, 0.13, 0.14, 0.15, 5])).rule).toBe(
      "knee",
    );
  });

  it("counts shared points and Jaccard weights of the nerve by hand", () => {
    const members = [
      Int32Array.of(0, 1, 2, 3),
      Int32Array.of(2, 3, 4),
      Int32Array.of(4, 5),
      Int32Array.of(6),
    ];
    expect(nerve(members, 7, 1)).toEqual([
      { source: 0, target: 1, shared: 2, jaccard: 2 / 5 },
      { source: 1, target: 2, shared: 1, jaccard: 1 / 4 },
    ]);
    expect(nerve(members, 7, 2)).toEqual([{ source: 0, target: 1, shared: 2, jaccard: 2 / 5 }]);
  });

  it("computes purity and top classes by hand", async () => {
    const g = {
      nodes: [{ members: Int32Array.of(0, 1, 2, 3) }, { members: Int32Array.of(4, 5) }],
    } as never;
    const comp = nodeComposition(g, [0, 0, 0, 1, 2, 2], 3);
    expect(comp.map((c) => Array.from(c))).toEqual([
      [3, 1, 0],
      [0, 0, 2],
    ]);
    const p = graphPurity(comp);
    expect(p.meanInverseClasses).toBeCloseTo((1 / 2 + 1) / 2, 12);
    expect(p.weightedMajority).toBeCloseTo(5 / 6, 12);
    expect(topClasses(comp[0])).toEqual([
      [0, 3],
      [1, 1],
    ]);
  });

  it("single linkage with the gap rule splits separated groups and keeps one group whole", async () => {
    const two = blobs(
      [
        [0, 0],
        [20, 0],
      ],
      50,
      0.5,
      9,
    );
    const g2 = await mapper(two, { lens: "pca2", intervals: 1, clusterer: "single-linkage" });
    expect(g2.nodes.length).toBe(2);
    expect(g2.lost.length).toBe(0);
    const one = blobs([[0, 0]], 100, 1, 9);
    const g1 = await mapper(one, {
      lens: "l2norm",
      intervals: 1,
      clusterer: "single-linkage",
      bins: 5,
    });
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
    expect(b.nodes.map((n) => Array.from(n.members))).toEqual(
      a.nodes.map((n) => Array.from(n.members)),
    );
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
    await expect(mapper(X, { lens: { name: "short", values: [[1, 2, 3]] } })).rejects.toThrow(
      /3 values for 50 points/,
    );
    await expect(mapper(X, { colour: "red" } as never)).rejects.toThrow(/unknown option/);
    const bad = matrix(3, 2, [0, 0, 1, NaN, 2, 2]);
    await expect(mapper(bad)).rejects.toThrow(/finite|NaN/i);
  });
});

describe("Mapper at real sizes: neighbour lists, the capped ε-graph, memory", () => {
  /** Clustered rows: `clusters` Gaussian blobs of `per` rows in d dimensions, centres N(0, 3²). */
  function clustered(clusters: number, per: number, d: number, seed: number): Matrix {
    const rng = random(seed);
    const centres = Array.from({ length: clusters }, () =>
      Array.from({ length: d }, () => 3 * rng.normal()),
    );
    return blobs(centres, per, 1, seed + 1);
  }

  /** Size-weighted mean over a's nodes of the best Jaccard index with a node of b in the same cover element. */
  function nodeJaccard(a: MapperGraph, b: MapperGraph): number {
    let weighted = 0;
    let total = 0;
    for (const node of a.nodes) {
      let best = 0;
      for (const other of b.nodes) {
        if (other.element !== node.element) continue;
        const set = new Set(other.members);
        const shared = node.members.filter((r) => set.has(r)).length;
        best = Math.max(best, shared / (node.members.length + other.members.length - shared));
      }
      weighted += best * node.members.length;
      total += node.members.length;
    }
    return weighted / total;
  }

  it("NN-descent lists hold the exact search's float32 squared distances, bit for bit", async () => {
    const X = clustered(4, 300, 24, 21);
    const approx = await nnDescent(X, { k: 16, metric: "sqeuclidean", seed: 3 });
    const exact = await knn(X, { k: 16, metric: "sqeuclidean" });
    let compared = 0;
    for (let i = 0; i < X.rows; i++) {
      const exactDistance = new Map<number, number>();
      for (let c = 0; c < 16; c++)
        exactDistance.set(exact.indices[i * 16 + c], exact.distances[i * 16 + c]);
      for (let c = 0; c < 16; c++) {
        const d = exactDistance.get(approx.indices[i * 16 + c]);
        if (d === undefined) continue;
        expect(approx.distances[i * 16 + c]).toBe(d);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(0.95 * X.rows * 16);
  });

  it("the capped ε-graph is the exact one when no row has more than 32 neighbours within ε, else a symmetric subgraph holding each row's 32 nearest", async () => {
    const X = noisyCircle(600, 4, 0.05, 23);
    const space = await MapperSpace.build(X, { neighbors: "exact" });
    const nb = space.neighborhoods;
    const sortedRow = (g: EpsilonGraph, r: number) =>
      Array.from(epsilonNeighbors(g, r)).sort((a, b) => a - b);
    let nearest32 = Infinity; // the smallest 32nd-neighbour distance of any row
    for (let r = 0; r < X.rows; r++)
      nearest32 = Math.min(nearest32, Math.sqrt(nb.squared[r * 32 + 31]));
    const narrow = 0.95 * nearest32;
    const small = nb.cappedEpsilonGraph(narrow);
    expect(small.beyondCap).toBe(0);
    const exactSmall = await nb.epsilonGraph(narrow);
    expect(exactSmall.capped).toBe(false);
    expect(exactSmall.offsets[X.rows]).toBeGreaterThan(10 * X.rows);
    const differing = Array.from({ length: X.rows }, (_, r) => r).filter(
      (r) => sortedRow(small, r).join() !== sortedRow(exactSmall, r).join(),
    );
    expect(differing).toEqual([]);
    const wide = 0.5; // about a sixth of the circle: every row has far more than 32 neighbours within it
    const capped = nb.cappedEpsilonGraph(wide);
    expect(capped.beyondCap).toBe(X.rows);
    const exactWide = await nb.epsilonGraph(wide);
    const members = Int32Array.from({ length: X.rows }, (_, i) => i);
    const cappedRows = Array.from(
      { length: X.rows },
      (_, r) => new Set(epsilonNeighbors(capped, r)),
    );
    const problems: string[] = [];
    for (let r = 0; r < X.rows; r++) {
      const all = new Set(epsilonNeighbors(exactWide, r));
      for (const j of cappedRows[r]) {
        if (!all.has(j)) problems.push(`${r}: ${j} not within ε`);
        if (!cappedRows[j].has(r)) problems.push(`${r}: ${j} one way only`);
      }
      for (let c = 0; c < 32; c++)
        if (!cappedRows[r].has(nb.indices[r * 32 + c]))
          problems.push(`${r}: listed ${nb.indices[r * 32 + c]} missing`);
      if (all.size <= cappedRows[r].size) problems.push(`${r}: not capped`);
    }
    expect(problems).toEqual([]);
    // DBSCAN reads the capped graph through its node numbering and labels rows as on a plain graph.
    const plain: EpsilonGraph = {
      ...exactWide,
      offsets: new Int32Array(X.rows + 1),
      indices: new Int32Array(0),
    };
    const rows = Array.from({ length: X.rows }, (_, r) => epsilonNeighbors(capped, r));
    plain.indices = Int32Array.from(rows.flatMap((row) => Array.from(row)));
    rows.forEach((row, r) => (plain.offsets[r + 1] = plain.offsets[r] + row.length));
    plain.ends = plain.offsets.subarray(1);
    const scratch = { state: new Int32Array(X.rows) };
    expect(Array.from(dbscan(members, capped, 5, scratch))).toEqual(
      Array.from(dbscan(members, plain, 5, scratch)),
    );
    expect(scratch.state.every((s) => s === 0)).toBe(true);
  });

  it("approximate neighbours: recall measured on 256 rows (within 0.02 of all rows'), and the same seed gives the same graph bit for bit", async () => {
    const X = clustered(6, 400, 16, 25);
    const a = await MapperSpace.build(X, { neighbors: "approximate", seed: 5 });
    const b = await MapperSpace.build(X, { neighbors: "approximate", seed: 5 });
    const ga = await a.graph({ intervals: 8 });
    const gb = await b.graph({ intervals: 8 });
    expect(ga.neighbors).toMatchObject({ method: "nn-descent", k: 32, recallRows: 256 });
    expect(gb.neighbors).toEqual(ga.neighbors);
    expect(gb.nodes.map((n) => Array.from(n.members))).toEqual(
      ga.nodes.map((n) => Array.from(n.members)),
    );
    expect(gb.links).toEqual(ga.links);
    expect(Array.from(b.neighborhoods.indices)).toEqual(Array.from(a.neighborhoods.indices));
    // Recall over every row, counted the same way (a listed row no farther than the exact 32nd).
    const exact = await knn(X, { k: 32, metric: "sqeuclidean" });
    let found = 0;
    for (let i = 0; i < X.rows; i++)
      for (let c = 0; c < 32; c++)
        if (a.neighborhoods.squared[i * 32 + c] <= exact.distances[i * 32 + 31]) found++;
    const full = found / (X.rows * 32);
    expect(full).toBeGreaterThan(0.9);
    expect(Math.abs(ga.neighbors.recall - full)).toBeLessThan(0.02);
  });

  it("on clustered data the NN-descent, capped graph matches the exact graph (same nodes, Jaccard ≥ 0.98)", async () => {
    const X = clustered(8, 400, 32, 27);
    const exact = await (await MapperSpace.build(X, { neighbors: "exact" })).graph({});
    expect(exact.neighbors).toMatchObject({ method: "exact", recall: 1, capped: false });
    const approx = await (
      await MapperSpace.build(X, { neighbors: "approximate" })
    ).graph({ eps: exact.params.eps });
    expect(approx.neighbors.capped).toBe(true);
    expect(approx.neighbors.beyondCap).toBeGreaterThan(0);
    expect(approx.nodes.length).toBe(exact.nodes.length);
    expect(nodeJaccard(exact, approx)).toBeGreaterThanOrEqual(0.98);
    expect(nodeJaccard(approx, exact)).toBeGreaterThanOrEqual(0.98);
  });

  it('neighbors "exact" refuses an ε-graph beyond its budget with the bytes and the remedy; "auto" caps it', async () => {
    const rng = random(29);
    const X = matrix(
      6000,
      4,
      Float32Array.from({ length: 24000 }, () => rng.uniform()),
    );
    const exact = await MapperSpace.build(X, { neighbors: "exact" });
    const refusal = await exact.graph({ eps: 100 }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(HiddenAtlasError);
    expect((refusal as HiddenAtlasError).code).toBe("E_TOO_LARGE");
    // Every pair is within ε = 100: 6,000² entries of 20 bytes at the build's peak.
    expect((refusal as HiddenAtlasError).message).toMatch(
      /would hold about 36,000,000 pairs \(6,000 rows have more than 32 neighbours within ε\) and need 686\.7 MiB, above its 512\.0 MiB budget; choose a smaller eps, or neighbors "auto"/,
    );
    expect((refusal as HiddenAtlasError).details.bytesNeeded).toBe(36_000_000 * 20 + 8 * 6001);
    const auto = await (await MapperSpace.build(X)).graph({ eps: 100 });
    expect(auto.neighbors).toMatchObject({ method: "exact", capped: true, beyondCap: 6000 });
  });

  it("plans the neighbour search by n²·d and refuses up front, with the bytes, what the core cannot hold", () => {
    const scratch = 40_000;
    expect(planNeighborSearch(10_000, 64, "auto", scratch, 2 ** 32).approximate).toBe(false);
    expect(planNeighborSearch(23_000, 64, "auto", scratch, 2 ** 32).approximate).toBe(false); // 3.39e10 ≤ 2^35
    expect(planNeighborSearch(24_000, 64, "auto", scratch, 2 ** 32).approximate).toBe(true);
    const large = planNeighborSearch(200_000, 128, "auto", scratch, 2 ** 32);
    expect(large).toEqual({ approximate: true, bytes: nnDescentBytes(200_000, 128, 32) });
    expect(large.bytes).toBeLessThan(300 * 2 ** 20);
    expect(planNeighborSearch(200_000, 128, "exact", scratch, 2 ** 32).approximate).toBe(false);
    let refusal: unknown;
    try {
      planNeighborSearch(3_000_000, 512, "auto", scratch, 3.9 * 2 ** 30);
    } catch (error) {
      refusal = error;
    }
    expect((refusal as HiddenAtlasError).code).toBe("E_TOO_LARGE");
    expect((refusal as HiddenAtlasError).message).toMatch(
      /NN-descent neighbour search of 3,000,000 × 512 rows needs 8\.0 GiB of WebAssembly memory; 3\.9 GiB is free\. Use fewer rows, or shorter rows \(for a conv layer, vectorize "gap" or "random": 5\.7 GiB are the rows alone\)/,
    );
    expect((refusal as HiddenAtlasError).details.bytesNeeded).toBe(
      nnDescentBytes(3_000_000, 512, 32),
    );
    expect(() => planNeighborSearch(300_000, 512, "auto", scratch, 0.8 * 2 ** 30)).toThrow(
      /The exact search needs 659\.2 MiB \(neighbors "exact"\), but its time grows with n²/,
    );
  });

  it("rejects an unknown neighbour search", async () => {
    await expect(
      MapperSpace.build(noisyCircle(50, 3, 0.05, 4), { neighbors: "fast" as never }),
    ).rejects.toThrow(/invalid neighbors: "fast"/);
  });
});

describe("slider moves recompute only the changed step", () => {
  /** Everything a graph says, as plain values (node members as arrays). */
  const plain = (g: MapperGraph) => ({
    nodes: g.nodes.map((n) => ({ ...n, members: Array.from(n.members) })),
    links: g.links,
    lost: Array.from(g.lost),
    elements: g.elements,
    componentOf: Array.from(g.componentOf),
    cycles: g.cycles,
    neighbors: g.neighbors,
    params: g.params,
  });

  it("a sequence of overlap, ε, min_samples, min_intersection and clusterer changes equals a fresh space's graph each time", async () => {
    const X = noisyCircle(600, 5, 0.05, 11);
    const space = await MapperSpace.build(X);
    const auto = (await space.graph({})).params.eps;
    const moves: Parameters<MapperSpace["graph"]>[0][] = [
      { overlap: 0.3 },
      { overlap: 0.3, eps: auto * 1.3 },
      { overlap: 0.3, eps: auto * 1.3, minIntersection: 3 },
      { overlap: 0.3, eps: auto * 0.8, minIntersection: 3 },
      { overlap: 0.6, eps: auto * 0.8, minSamples: 3 },
      { overlap: 0.6, clusterer: "single-linkage" },
      { overlap: 0.6, clusterer: "single-linkage", minIntersection: 2 },
      { overlap: 0.6, intervals: 7 },
      {},
    ];
    let changed = 0;
    let previous: string | null = null;
    for (const params of moves) {
      const incremental = plain(await space.graph(params));
      const fresh = plain(await (await MapperSpace.build(X)).graph(params));
      expect(incremental, JSON.stringify(params)).toEqual(fresh);
      const text = JSON.stringify(incremental);
      if (text !== previous) changed++;
      previous = text;
    }
    expect(changed).toBeGreaterThanOrEqual(7); // the moves really change the graph
  });
});
