/**
 * The layer-topology analysis on small synthetic bundles whose answers are known (a circle and
 * its rotated copy are 0 apart with CKA 1; a blob is far from a circle; removing empty
 * directions changes nothing, removing the circle's plane destroys it), and on digits-cnn.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { bottleneck, slicedWasserstein } from "../../src/algo/diagrams.ts";
import { persistentHomology } from "../../src/algo/rips.ts";
import { layerMatrix } from "../../src/algo/vectorize.ts";
import type { AnalysisBundle } from "../../src/analyses/columns.ts";
import { resolveParams } from "../../src/analyses/descriptor.ts";
import {
  cycleRows,
  layerTopology,
  layerTopologyDescriptor,
  longestBar,
  seedStudy,
} from "../../src/analyses/layer-topology.ts";
import { layerSpecificity, matrixSpread } from "../../src/analyses/seed-study.ts";
import { reportDocument } from "../../src/report/dom.ts";
import {
  layerTopologyReport,
  seedStudyFindings,
  specificityVerdict,
} from "../../src/report/layer-topology.ts";
import { renderReport } from "../../src/report/report.ts";
import { AnalysisRunner } from "../../src/analyses/runner.ts";
import { loadBundle } from "../../src/io/bundle.ts";
import { zipSource } from "../../src/io/sources.ts";
import { mulberry32 } from "../helpers.ts";

const N = 120;

/** A noisy unit circle in the plane of the first two of `d` coordinates. */
function circle(seed: number, d: number): Float32Array {
  const r = mulberry32(seed);
  const out = new Float32Array(N * d);
  for (let i = 0; i < N; i++) {
    const t = (2 * Math.PI * i) / N;
    out[i * d] = Math.cos(t) + 0.02 * (r() - 0.5);
    out[i * d + 1] = Math.sin(t) + 0.02 * (r() - 0.5);
  }
  return out;
}

/** The same points rotated by 30° in the plane: equal pairwise distances up to rounding. */
function rotate(x: Float32Array, d: number): Float32Array {
  const out = new Float32Array(x.length);
  const c = Math.cos(Math.PI / 6);
  const s = Math.sin(Math.PI / 6);
  for (let i = 0; i < N; i++) {
    out[i * d] = c * x[i * d] - s * x[i * d + 1];
    out[i * d + 1] = s * x[i * d] + c * x[i * d + 1];
  }
  return out;
}

function blob(seed: number, d: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: N * d }, () => r() - 0.5);
}

const d = 4;
const ring = circle(1, d);
const ring_ = ring;
const bundle: AnalysisBundle = {
  name: "synthetic",
  task: "classification",
  samples: N,
  labels: new Int32Array(N),
  layers: [
    { name: "ring", shape: [N, d], data: ring },
    { name: "rotated", shape: [N, d], data: rotate(ring, d) },
    { name: "blob", shape: [N, d], data: blob(2, d) },
  ],
};

describe("layerTopology on synthetic layers", () => {
  it("a circle and its rotation: sliced Wasserstein ≈ 0, CKA 1; a blob is far away", async () => {
    const r = await layerTopology(bundle, { sensitivityFractions: [] });
    expect(r.sample).toEqual(Int32Array.from({ length: N }, (_, i) => i)); // samples capped at N
    const L = 3;
    const at = (m: Float64Array, i: number, j: number) => m[i * L + j];
    // One long H1 bar for the circle (death − birth > 1), as persistentHomology gives directly.
    const direct = await persistentHomology({ rows: N, cols: d, data: ring }, { maxdim: 1 });
    expect(r.layers[0].diagrams[1].births).toEqual(direct.diagrams[1].births);
    expect(r.layers[0].diagrams[1].deaths).toEqual(direct.diagrams[1].deaths);
    const h1 = r.layers[0].diagrams[1];
    expect(Math.max(...h1.deaths.map((x, i) => x - h1.births[i]))).toBeGreaterThan(1);
    expect(r.layers[0].threshold).toBe(r.layers[0].enclosingRadius);
    for (const metric of ["sliced", "bottleneck", "wasserstein"] as const) {
      const m = r.distances[metric];
      expect(at(m, 0, 1), metric).toBeLessThan(1e-5);
      expect(at(m, 0, 2), metric).toBeGreaterThan(0.3);
      expect(at(m, 0, 2)).toBe(at(m, 2, 0));
      expect(at(m, 1, 1)).toBe(0);
    }
    // The matrix entries are the library's distances between the H1 diagrams.
    expect(at(r.distances.sliced, 0, 2)).toBe(
      (await slicedWasserstein(r.layers[0].diagrams[1], r.layers[2].diagrams[1])).distance,
    );
    expect(at(r.distances.bottleneck, 1, 2)).toBe(
      (await bottleneck(r.layers[1].diagrams[1], r.layers[2].diagrams[1])).distance,
    );
    expect(at(r.cka, 0, 1)).toBeCloseTo(1, 6);
    expect(at(r.cka, 0, 2)).toBeLessThan(0.5);
    expect(r.infinite).toBe("cap");
  });

  it("sensitivity: removing the empty directions keeps the circle; removing its plane destroys it", async () => {
    const only = { ...bundle, layers: [bundle.layers[0]] };
    const lowest = await layerTopology(only, { sensitivityFractions: [0.5] });
    const highest = await layerTopology(only, {
      sensitivityFractions: [0.5],
      sensitivityRemove: "highest",
    });
    const [a] = lowest.sensitivity!.layers;
    const [b] = highest.sensitivity!.layers;
    expect(a.removed).toEqual([2]);
    expect(a.sliced[0]).toBeLessThan(1e-4);
    expect(a.cka[0]).toBeCloseTo(1, 6);
    // Left with the two noise-free zero directions, every point collapses: the long bar is gone.
    expect(b.bottleneck[0]).toBeGreaterThan(0.5);
    expect(b.cka[0]).toBeNaN(); // a zero-variance projection: CKA is undefined (documented)
  });

  it("computes over the chosen field: on a projective plane Z/3 shortens the loop Z/2 keeps (2-torsion)", async () => {
    // RP² in R⁴ (the Veronese-type map (xy, xz, y² − z², 2yz) of the unit sphere): its loop is
    // 2-torsion, a cycle over Z/2 that Z/3 sees filled in sooner.
    const random = mulberry32(7);
    const n = 120;
    const data = new Float32Array(n * 4);
    for (let i = 0; i < n;) {
      const v = [random() * 2 - 1, random() * 2 - 1, random() * 2 - 1];
      const r = Math.hypot(...v);
      if (r < 0.2 || r > 1) continue;
      const [x, y, z] = v.map((t) => t / r);
      data.set([x * y, x * z, y * y - z * z, 2 * y * z], 4 * i++);
    }
    const plane: AnalysisBundle = {
      name: "rp2",
      task: "classification",
      samples: n,
      labels: new Int32Array(n),
      layers: [
        { name: "rp2", shape: [n, 4], data },
        { name: "ring", shape: [n, d], data: ring.slice(0, n * d) },
      ],
    };
    const longestH1 = (
      diagrams: { births: Float64Array | number[]; deaths: Float64Array | number[] }[],
      cap: number,
    ) =>
      Math.max(
        ...Array.from(diagrams[1].births, (b, i) => Math.min(diagrams[1].deaths[i], cap) - b),
      );
    const z2 = await layerTopology(plane, { sensitivityFractions: [], cycles: false });
    const z3 = await layerTopology(plane, {
      sensitivityFractions: [],
      cycles: false,
      coefficients: 3,
    });
    const direct = await persistentHomology(
      { rows: n, cols: 4, data },
      { maxdim: 1, coefficients: 3 },
    );
    expect(Array.from(z3.layers[0].diagrams[1].deaths)).toEqual(
      Array.from(direct.diagrams[1].deaths),
    );
    expect(longestH1(z3.layers[0].diagrams, z3.layers[0].threshold)).toBeLessThan(
      longestH1(z2.layers[0].diagrams, z2.layers[0].threshold) - 0.02,
    );
    // The ring has no torsion: the same diagrams over either field.
    expect(Array.from(z3.layers[1].diagrams[1].deaths)).toEqual(
      Array.from(z2.layers[1].diagrams[1].deaths),
    );
    await expect(layerTopology(plane, { coefficients: 4 })).rejects.toThrow(
      /invalid coefficients: 4 \(expected a prime/,
    );
  });

  it("rms normalisation makes a scaled copy identical; a threshold below the enclosing radius caps the bars", async () => {
    const scaled = {
      ...bundle,
      layers: [bundle.layers[0], { name: "big", shape: [N, d], data: ring.map((v) => 10 * v) }],
    };
    const plain = await layerTopology(scaled, { sensitivityFractions: [] });
    const rms = await layerTopology(scaled, { sensitivityFractions: [], normalize: "rms" });
    expect(plain.distances.bottleneck[1]).toBeGreaterThan(1);
    expect(rms.distances.bottleneck[1]).toBeLessThan(1e-4);
    expect(rms.layers[1].scale).toBeCloseTo(10 * rms.layers[0].scale, 4);
    const low = await layerTopology(scaled, {
      sensitivityFractions: [],
      radiusScale: 0.3,
      distanceDim: 0,
    });
    for (const layer of low.layers) {
      expect(layer.threshold).toBeCloseTo(0.3 * layer.enclosingRadius, 5);
      expect(layer.diagrams[0].deaths.every((x) => x <= layer.threshold || x === Infinity)).toBe(
        true,
      );
    }
    expect(Number.isFinite(low.distances.sliced[1])).toBe(true);
  });

  it("is deterministic, reports progress, and cancels with E_CANCELLED", async () => {
    const big: AnalysisBundle = { ...bundle, samples: N, layers: bundle.layers };
    const stages = new Set<string>();
    const a = await layerTopology(
      big,
      { samples: 60, sampling: "farthest", sensitivityFractions: [0.25] },
      { onProgress: (e) => stages.add(e.stage) },
    );
    const b = await layerTopology(big, {
      samples: 60,
      sampling: "farthest",
      sensitivityFractions: [0.25],
    });
    expect(a.sample).toEqual(b.sample);
    expect(a.distances.sliced).toEqual(b.distances.sliced);
    expect(a.cka).toEqual(b.cka);
    expect(stages.has("persistent homology (ring)")).toBe(true);
    expect(stages.has("CKA between the layers")).toBe(true);
    const controller = new AbortController();
    controller.abort();
    await expect(layerTopology(big, {}, { signal: controller.signal })).rejects.toMatchObject({
      code: "E_CANCELLED",
    });
  });

  it("keeps each cloud's diagrams: changing only the CKA estimator recomputes no persistence", async () => {
    // One runner across runs, as the notebook's worker keeps one.
    const runner = new AnalysisRunner();
    const run = (given: Record<string, unknown>, into: Set<string>) =>
      runner.run(
        layerTopologyDescriptor,
        bundle,
        "b",
        "result",
        resolveParams(layerTopologyDescriptor, bundle, given),
        {},
        { onProgress: (e) => into.add(e.stage) },
      );
    const first = new Set<string>();
    const second = new Set<string>();
    const a = await run({ sensitivityFractions: [0.5] }, first);
    const b = await run({ sensitivityFractions: [0.5], ckaDebiased: true }, second);
    expect([...first]).toContain("persistent homology (ring)");
    expect([...second].filter((s) => s.startsWith("persistent homology"))).toEqual([]);
    expect(b.layers[0].diagrams[1].births).toEqual(a.layers[0].diagrams[1].births);
    expect(b.distances.sliced).toEqual(a.distances.sliced);
    expect(b.sensitivity!.layers[0].sliced).toEqual(a.sensitivity!.layers[0].sliced);
    expect(b.cka[2]).not.toBe(a.cka[2]); // the estimator did change
    // A different sample size is a different cloud: computed afresh.
    const third = new Set<string>();
    await run({ sensitivityFractions: [], samples: 100 }, third);
    expect([...third]).toContain("persistent homology (ring)");
    runner.clear();
  });

  it("finds the circle's loop: its longest H1 bar's cycle walks the ring, in bundle rows, on the circle's plane", async () => {
    const r = await layerTopology(bundle, {
      sensitivityFractions: [],
      layers: ["ring", "blob"],
      samples: 60,
    });
    const ring = r.layers[0];
    const h1 = ring.diagrams[1];
    const bar = longestBar(h1);
    expect(h1.deaths[bar] - h1.births[bar]).toBeGreaterThan(1);
    // One cycle per H1 bar, from the same run as the diagram (the bars are those without cycles).
    const plain = await layerTopology(bundle, {
      sensitivityFractions: [],
      layers: ["ring", "blob"],
      samples: 60,
      cycles: false,
    });
    expect(plain.layers[0].cycles).toBeNull();
    expect(h1.births).toEqual(plain.layers[0].diagrams[1].births);
    expect(h1.deaths).toEqual(plain.layers[0].diagrams[1].deaths);
    expect(ring.cycles!.loops).toHaveLength(h1.births.length);
    const loop = cycleRows(r, "ring", bar)!;
    expect(loop.birth).toBe(h1.births[bar]);
    // A loop around the circle: closed, through points spread all the way round (every 90° arc holds one).
    expect(loop.edges.length).toBeGreaterThanOrEqual(4);
    loop.edges.forEach(([, to], k) => expect(loop.edges[(k + 1) % loop.edges.length][0]).toBe(to));
    const angles = loop.rows.map((row) => Math.atan2(ring_[row * d + 1], ring_[row * d]));
    for (let q = 0; q < 4; q++)
      expect(
        angles.some(
          (a) => a >= -Math.PI + (q * Math.PI) / 2 && a < -Math.PI + ((q + 1) * Math.PI) / 2,
        ),
      ).toBe(true);
    // Each edge no longer than the bar's birth (float32 distances, as the filtration's).
    for (const [a, b] of loop.edges)
      expect(
        Math.hypot(ring_[a * d] - ring_[b * d], ring_[a * d + 1] - ring_[b * d + 1]),
      ).toBeLessThanOrEqual(h1.births[bar] * (1 + 1e-6));
    // The rows are bundle rows of the sample; the plane is the circle's own (two directions hold everything).
    for (const row of loop.rows) expect(r.sample).toContain(row);
    expect(ring.cycles!.plane.rows).toBe(60);
    expect(ring.cycles!.explained[0] + ring.cycles!.explained[1]).toBeCloseTo(1, 6);
    expect(cycleRows(r, "ring", h1.births.length)).toBeNull();
    // The report draws the longest bar's cycle (or the bar asked for) and lists the longest bars' cycles.
    const report = layerTopologyReport(
      bundle,
      r,
      { layer: "ring", metric: "sliced" },
      { sha256: "0".repeat(64), document: reportDocument(), date: "2026-01-01" },
    );
    const section = report.sections.find(
      (x) => x.title === `Representative cycle of H1 bar ${bar} of ring`,
    )!;
    expect(
      section.figure!.querySelector("path.atlas-cycle-path")!.getAttribute("data-closed"),
    ).toBe("true");
    expect(section.table!.rows[0]).toEqual([
      bar,
      expect.any(String),
      expect.any(String),
      expect.any(String),
      loop.rows.length,
      loop.edges.length,
      loop.edges.map(([from]) => from).join(" "),
    ]);
    expect(report.parameters.bar).toBe(bar);
    const other = layerTopologyReport(
      bundle,
      r,
      { layer: "ring", bar: 0, metric: "sliced" },
      { sha256: "0".repeat(64), document: reportDocument(), date: "2026-01-01" },
    );
    expect(other.sections.some((x) => x.title === "Representative cycle of H1 bar 0 of ring")).toBe(
      true,
    );
  });

  it("rejects unknown layers, options and out-of-range values", async () => {
    await expect(layerTopology(bundle, { layers: ["nope"] })).rejects.toThrow(
      /invalid layers: "nope" \(expected layers among "ring", "rotated", "blob"\)/,
    );
    await expect(layerTopology(bundle, { maxdim: 3 })).rejects.toThrow(/invalid maxdim: 3/);
    await expect(layerTopology(bundle, { radiusScale: 0 })).rejects.toThrow(
      /invalid radiusScale: 0/,
    );
    await expect(layerTopology(bundle, { distanceDim: 2 })).rejects.toThrow(
      /invalid distanceDim: 2 \(expected at most maxdim = 1\)/,
    );
    await expect(layerTopology(bundle, { sensitivityFractions: [1] })).rejects.toThrow(
      /invalid sensitivityFractions\[0\]: 1/,
    );
    await expect(layerTopology(bundle, { lens: "l2norm" } as never)).rejects.toThrow(
      /unknown parameter "lens" for layer-topology/,
    );
  });
});

describe("layerTopology on digits-cnn", () => {
  const digitsCnn = () =>
    loadBundle(
      zipSource(
        readFileSync(new URL("../../data/examples/digits-cnn.zip", import.meta.url)),
        "digits-cnn.zip",
      ),
    );

  it("compares the raw conv outputs (before ReLU) by default, on test images only", async () => {
    const digits = await digitsCnn();
    const r = await layerTopology(digits, { samples: 150, sensitivityFractions: [] });
    expect(r.params.layers).toEqual(["conv1:pre:top-l2", "conv2:pre:top-l2", "conv3:pre:top-l2"]);
    expect(r.params.split).toBe("test");
    expect(r.layers.map((l) => [l.name, l.dimension])).toEqual([
      ["conv1:pre:top-l2", 8],
      ["conv2:pre:top-l2", 16],
      ["conv3:pre:top-l2", 32],
    ]);
    expect(r.sample.length).toBe(150);
    expect(new Set(r.sample).size).toBe(150);
    for (const i of r.sample) expect(digits.split![i]).toBe(1);
    // Each layer's diagrams are those of the stored vectors on the sampled rows.
    const conv2 = digits.layers.find((l) => l.name === "conv2:pre:top-l2")!;
    const rows = new Float32Array(150 * 16);
    r.sample.forEach((i, k) => rows.set(conv2.data.subarray(i * 16, i * 16 + 16), k * 16));
    const direct = await persistentHomology({ rows: 150, cols: 16, data: rows }, { maxdim: 1 });
    expect(r.layers[1].diagrams[1].deaths).toEqual(direct.diagrams[1].deaths);
    // Raw conv outputs are signed: the ReLU'd block outputs are not.
    expect(conv2.data.reduce((m, v) => Math.min(m, v), Infinity)).toBeLessThan(0);
    expect(digits.layers.find((l) => l.name === "conv2")!.data.every((v) => v >= 0)).toBe(true);
    // The default sample is every test row (449), within the split.
    expect(resolveParams(layerTopologyDescriptor, digits, {}).samples).toBe(449);
    await expect(layerTopology(digits, { samples: 500 })).rejects.toThrow(
      /invalid samples: 500 \(expected at most 449, the test rows of "digits-cnn"; set split to "all" for more\)/,
    );
  });

  it("keeps the post-activation block outputs: top-ℓ2 vectors of every block, from every sample", async () => {
    const digits = await digitsCnn();
    const layers = ["conv1", "conv2", "conv3", "gap", "logits"];
    const r = await layerTopology(digits, {
      layers,
      split: "all",
      samples: 150,
      sensitivityFractions: [],
    });
    expect(r.layers.map((l) => [l.name, l.dimension])).toEqual([
      ["conv1", 8],
      ["conv2", 16],
      ["conv3", 32],
      ["gap", 32],
      ["logits", 10],
    ]);
    expect(r.sample.some((i) => digits.split![i] === 0)).toBe(true);
    const conv2 = await layerMatrix(
      digits.layers.find((l) => l.name === "conv2")!,
      { method: "top-l2" },
    );
    const rows = new Float32Array(150 * 16);
    r.sample.forEach((i, k) => rows.set(conv2.data.subarray(i * 16, i * 16 + 16), k * 16));
    const direct = await persistentHomology({ rows: 150, cols: 16, data: rows }, { maxdim: 1 });
    expect(r.layers[1].diagrams[1].deaths).toEqual(direct.diagrams[1].deaths);
    // conv3 and gap are the same maps before/after pooling: their CKA is far from 0.
    expect(r.cka[2 * 5 + 3]).toBeGreaterThan(0.2);
  });
});

describe("the test split", () => {
  it("draws the clouds from test rows when the bundle has them; refuses split=test without", async () => {
    const split = Uint8Array.from({ length: N }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const withSplit = { ...bundle, split };
    const p = resolveParams(layerTopologyDescriptor, withSplit, {});
    expect(p.split).toBe("test");
    expect(p.samples).toBe(40);
    const r = await layerTopology(withSplit, { samples: 30, sensitivityFractions: [] });
    expect(r.sample.length).toBe(30);
    for (const i of r.sample) expect(i % 3).toBe(0);
    // All 40 test rows, in order, when samples covers them.
    expect(
      Array.from((await layerTopology(withSplit, { sensitivityFractions: [] })).sample),
    ).toEqual(Array.from({ length: 40 }, (_, k) => 3 * k));
    expect(resolveParams(layerTopologyDescriptor, bundle, {}).split).toBe("all");
    await expect(layerTopology(bundle, { split: "test" })).rejects.toThrow(
      /invalid split: "test" \(expected one of "all" for "synthetic"/,
    );
  });
});

/** A noisy figure eight (two loops) in the first two of `d` coordinates. */
function eight(seed: number, d: number): Float32Array {
  const r = mulberry32(seed);
  const out = new Float32Array(N * d);
  for (let i = 0; i < N; i++) {
    const t = (2 * Math.PI * i) / N;
    out[i * d] = Math.sin(t) + 0.02 * (r() - 0.5);
    out[i * d + 1] = Math.sin(t) * Math.cos(t) + 0.02 * (r() - 0.5);
  }
  return out;
}

/** `x` rotated by `angle` in the plane of its first two coordinates, plus small seeded noise everywhere. */
function moved(x: Float32Array, angle: number, seed: number, noise = 0.02): Float32Array {
  const r = mulberry32(seed);
  const out = new Float32Array(x.length);
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  for (let i = 0; i < N; i++) {
    out[i * d] = c * x[i * d] - s * x[i * d + 1];
    out[i * d + 1] = s * x[i * d] + c * x[i * d + 1];
    for (let k = 2; k < d; k++) out[i * d + k] = x[i * d + k];
  }
  return out.map((v) => v + noise * (r() - 0.5));
}

const run = (name: string, layers: Float32Array[]): AnalysisBundle => ({
  name,
  task: "classification",
  samples: N,
  labels: Int32Array.from({ length: N }, (_, i) => i % 10),
  layers: layers.map((data, l) => ({ name: `layer${l}`, shape: [N, d], data })),
});

describe("layerSpecificity and matrixSpread (hand cases)", () => {
  it("a diagonal nearest scores 1; all-equal blocks score exactly chance; a swapped pair scores 1/3", () => {
    const L = 3;
    const diagonal = Float64Array.from({ length: L * L }, (_, k) => (k % (L + 1) === 0 ? 0 : 1));
    expect(layerSpecificity(4, L, () => diagonal, "smaller")).toMatchObject({
      mean: 1,
      sd: 0,
      perLayer: [1, 1, 1],
      pairs: 12,
      chance: 1 / 3,
    });
    expect(layerSpecificity(4, L, () => diagonal, "larger").mean).toBe(0);
    const flat = new Float64Array(L * L).fill(0.5);
    expect(layerSpecificity(3, L, () => flat, "smaller").mean).toBeCloseTo(1 / 3, 12);
    // Layers 0 and 1 swapped in every other network: only layer 2 is found.
    const swapped = Float64Array.from([1, 0, 1, 0, 1, 1, 1, 1, 0]);
    expect(layerSpecificity(2, L, () => swapped, "smaller")).toMatchObject({
      mean: 1 / 3,
      perLayer: [0, 0, 1],
      pairs: 2,
    });
    const spread = matrixSpread([
      [1, 2],
      [3, 2],
      [5, 2],
    ]);
    expect(Array.from(spread.mean)).toEqual([3, 2]);
    expect(Array.from(spread.sd)).toEqual([2, 0]);
    expect([spread.min[0], spread.max[0], spread.runs]).toEqual([1, 5, 3]);
  });
});

describe("the seed study", () => {
  const shapes = [ring, blob(2, d), eight(3, d)];

  it("distinct layers (a circle, a blob, a figure eight) are found again in every run: specificity 1 by SW and CKA", async () => {
    const runs = [0, 1, 2, 3].map((r) =>
      run(
        `run${r}`,
        shapes.map((x, l) => moved(x, 0.4 * r, 10 * r + l)),
      ),
    );
    const p = resolveParams(layerTopologyDescriptor, runs[0], {});
    const s = await seedStudy(runs, p);
    expect(s.runs).toEqual(["run0", "run1", "run2", "run3"]);
    expect(s.layers).toEqual(["layer0", "layer1", "layer2"]);
    expect(s.samples).toBe(N);
    for (const sp of [s.specificity.sliced.raw, s.specificity.sliced.rms, s.specificity.cka])
      expect(sp).toMatchObject({ mean: 1, sd: 0, perLayer: [1, 1, 1], pairs: 12, chance: 1 / 3 });
    // Same layer, another run: near 0 apart and CKA near 1; the circle and the blob are far apart.
    const offDiagonal = [1, 2, 5].map((k) => s.spread.sliced.raw.mean[k]);
    expect(Math.max(...s.sameLayer.raw)).toBeLessThan(0.3 * Math.min(...offDiagonal));
    expect(Math.min(...s.sameLayer.cka)).toBeGreaterThan(0.99);
    expect(s.spread.sliced.raw.runs).toBe(4);
    // The per-run matrices are the analysis' own matrices of each run.
    const own = await layerTopology(runs[2], { sensitivityFractions: [] });
    expect(Array.from(s.sliced.raw[2])).toEqual(Array.from(own.distances.sliced));
    expect(Array.from(s.cka[2]).map((v) => v.toFixed(6))).toEqual(
      Array.from(own.cka).map((v) => v.toFixed(6)),
    );
  });

  it("exchangeable layers (independent blobs) are found only at chance, and the numbers are deterministic", async () => {
    const runs = [0, 1, 2, 3, 4, 5, 6, 7].map((r) =>
      run(
        `run${r}`,
        [0, 1, 2].map((l) => blob(7777 + 10 * r + l, d)),
      ),
    );
    const p = resolveParams(layerTopologyDescriptor, runs[0], {});
    const a = await seedStudy(runs, p);
    for (const sp of [a.specificity.sliced.raw, a.specificity.sliced.rms, a.specificity.cka]) {
      expect(sp.pairs).toBe(56);
      expect(Math.abs(sp.mean - 1 / 3)).toBeLessThan(0.1);
    }
    const b = await seedStudy(runs, p);
    expect(b.sliced.raw).toEqual(a.sliced.raw);
    expect(b.cka).toEqual(a.cka);
    expect(b.specificity).toEqual(a.specificity);
  });

  it("one shape at three scales: told apart by raw distances (the scale), not once each layer is divided by its RMS spread", async () => {
    const runs = [0, 1, 2, 3, 4].map((r) =>
      run(
        `run${r}`,
        [1, 3, 9].map((scale, l) =>
          moved(ring, 0.3 * r, 50 + 10 * r + l, 0.2).map((v) => scale * v),
        ),
      ),
    );
    const s = await seedStudy(runs, resolveParams(layerTopologyDescriptor, runs[0], {}));
    expect(s.specificity.sliced.raw.mean).toBe(1);
    expect(s.specificity.sliced.rms.mean).toBeLessThan(0.7);
    for (let r = 0; r < 5; r++) expect(s.scales[r * 3 + 2] / s.scales[r * 3]).toBeCloseTo(9, 0);
  });

  it("runs as the analysis' seeds step over other bundles by key, through the runner's cache", async () => {
    const runs = [0, 1, 2].map((r) =>
      run(
        `run${r}`,
        shapes.map((x, l) => moved(x, 0.4 * r, 10 * r + l)),
      ),
    );
    const kept: Record<string, AnalysisBundle> = { k1: runs[1], k2: runs[2] };
    const runner = new AnalysisRunner({ others: (key) => kept[key] });
    const p = resolveParams(layerTopologyDescriptor, runs[0], { samples: 100 });
    const stages = new Set<string>();
    const s = await runner.run<
      typeof layerTopologyDescriptor.params,
      Awaited<ReturnType<typeof seedStudy>>
    >(
      layerTopologyDescriptor,
      runs[0],
      "k0",
      "seeds",
      p,
      { runs: "k1,k2" },
      { onProgress: (e) => stages.add(e.stage) },
    );
    expect(s.runs).toEqual(["run0", "run1", "run2"]);
    expect(s.samples).toBe(100);
    expect(s.specificity.sliced.raw.mean).toBe(1);
    expect([...stages].some((x) => x.startsWith("the seed study"))).toBe(true);
    expect(
      await runner.run(layerTopologyDescriptor, runs[0], "k0", "seeds", p, { runs: "k1,k2" }),
    ).toBe(s);
    runner.clear();
  });

  it("refuses runs whose inputs or layers do not line up", async () => {
    const runs = [0, 1].map((r) => run(`run${r}`, shapes));
    const p = resolveParams(layerTopologyDescriptor, runs[0], {});
    await expect(seedStudy([runs[0]], p)).rejects.toThrow(/needs at least two bundles/);
    await expect(
      seedStudy([runs[0], { ...runs[1], layers: runs[1].layers.slice(0, 2) }], p),
    ).rejects.toThrow(/bundle "run1" has no layer "layer2"/);
    await expect(
      seedStudy([runs[0], { ...runs[1], labels: runs[1].labels!.map((v) => (v + 1) % 10) }], p),
    ).rejects.toMatchObject({ code: "E_SHAPE_MISMATCH" });
    const fewer = {
      ...runs[1],
      samples: N - 1,
      labels: runs[1].labels!.slice(1),
      layers: runs[1].layers.map((l) => ({ ...l, shape: [N - 1, d], data: l.data.slice(d) })),
    };
    await expect(seedStudy([runs[0], fewer], p)).rejects.toThrow(
      /bundle "run1" has 119 samples, "run0" has 120/,
    );
  });
});

describe("the seed study in words and in the report", () => {
  it("says where the claim holds and why: scale-only separation is named as such; hostile names stay text", async () => {
    const hostile = "<img src=x onerror=alert(1)>";
    const runs = [0, 1, 2, 3, 4].map((r) => {
      const b = run(
        r === 0 ? hostile : `run${r}`,
        [1, 3, 9].map((scale, l) =>
          moved(ring, 0.3 * r, 50 + 10 * r + l, 0.2).map((v) => scale * v),
        ),
      );
      return {
        ...b,
        layers: b.layers.map((l, k) => ({ ...l, name: k === 0 ? `${hostile}:pre` : l.name })),
      };
    });
    const p = resolveParams(layerTopologyDescriptor, runs[0], {
      layers: [`${hostile}:pre`, "layer1", "layer2"],
    });
    const study = await seedStudy(runs, p);
    const f = seedStudyFindings(study);
    expect(f.measured[1]).toContain(
      `the nearest layer is the same layer for 1.00 ± 0.00 of the layers (chance 1/3 = 0.33)`,
    );
    expect(f.verdict[0]).toMatch(/^Confirmed in the paper's setting/);
    expect(f.verdict[1]).toMatch(/^Much of that is scale: the layers' RMS spreads differ 9-fold/);
    expect(specificityVerdict(study.specificity.sliced.raw)).toBe("near 1");
    const result = {
      ...(await layerTopology(runs[0], { ...p, sensitivityFractions: [] })),
      seeds: study,
    };
    const html = renderReport(
      layerTopologyReport(
        runs[0],
        result,
        { layer: `${hostile}:pre`, metric: "sliced" },
        { sha256: "0".repeat(64), date: "2026-01-01T00:00:00Z", document: reportDocument() },
      ),
    );
    expect(html.indexOf("The paper&#39;s claim and what we measured over seeds")).toBeLessThan(
      html.indexOf("Layers as point clouds"),
    );
    expect(html).toContain("specificity (mean)");
    expect(html).toContain("H1 sliced Wasserstein between layers over 5 seeds (RMS-normalised)");
    expect(html).not.toContain("<img src=x");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
  });

  it("calls a specificity within two standard errors of chance 'at chance'", () => {
    expect(
      specificityVerdict({
        mean: 0.4,
        sd: 0.3,
        min: 0,
        max: 1,
        perLayer: [],
        pairs: 30,
        chance: 1 / 3,
      }),
    ).toBe("at chance");
    expect(
      specificityVerdict({
        mean: 0.6,
        sd: 0.2,
        min: 0,
        max: 1,
        perLayer: [],
        pairs: 30,
        chance: 1 / 3,
      }),
    ).toBe("weakly above chance");
    expect(
      specificityVerdict({
        mean: 0.8,
        sd: 0.2,
        min: 0,
        max: 1,
        perLayer: [],
        pairs: 30,
        chance: 1 / 3,
      }),
    ).toBe("well above chance");
  });
});
