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
import { layerTopology, layerTopologyDescriptor } from "../../src/analyses/layer-topology.ts";
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
    expect(at(r.distances.sliced, 0, 2)).toBe((await slicedWasserstein(r.layers[0].diagrams[1], r.layers[2].diagrams[1])).distance);
    expect(at(r.distances.bottleneck, 1, 2)).toBe((await bottleneck(r.layers[1].diagrams[1], r.layers[2].diagrams[1])).distance);
    expect(at(r.cka, 0, 1)).toBeCloseTo(1, 6);
    expect(at(r.cka, 0, 2)).toBeLessThan(0.5);
    expect(r.infinite).toBe("cap");
  });

  it("sensitivity: removing the empty directions keeps the circle; removing its plane destroys it", async () => {
    const only = { ...bundle, layers: [bundle.layers[0]] };
    const lowest = await layerTopology(only, { sensitivityFractions: [0.5] });
    const highest = await layerTopology(only, { sensitivityFractions: [0.5], sensitivityRemove: "highest" });
    const [a] = lowest.sensitivity!.layers;
    const [b] = highest.sensitivity!.layers;
    expect(a.removed).toEqual([2]);
    expect(a.sliced[0]).toBeLessThan(1e-4);
    expect(a.cka[0]).toBeCloseTo(1, 6);
    // Left with the two noise-free zero directions, every point collapses: the long bar is gone.
    expect(b.bottleneck[0]).toBeGreaterThan(0.5);
    expect(b.cka[0]).toBeNaN(); // a zero-variance projection: CKA is undefined (documented)
  });

  it("rms normalisation makes a scaled copy identical; a threshold below the enclosing radius caps the bars", async () => {
    const scaled = { ...bundle, layers: [bundle.layers[0], { name: "big", shape: [N, d], data: ring.map((v) => 10 * v) }] };
    const plain = await layerTopology(scaled, { sensitivityFractions: [] });
    const rms = await layerTopology(scaled, { sensitivityFractions: [], normalize: "rms" });
    expect(plain.distances.bottleneck[1]).toBeGreaterThan(1);
    expect(rms.distances.bottleneck[1]).toBeLessThan(1e-4);
    expect(rms.layers[1].scale).toBeCloseTo(10 * rms.layers[0].scale, 4);
    const low = await layerTopology(scaled, { sensitivityFractions: [], threshold: 0.3, distanceDim: 0 });
    for (const layer of low.layers) {
      expect(layer.threshold).toBeCloseTo(0.3 * layer.enclosingRadius, 5);
      expect(layer.diagrams[0].deaths.every((x) => x <= layer.threshold || x === Infinity)).toBe(true);
    }
    expect(Number.isFinite(low.distances.sliced[1])).toBe(true);
  });

  it("is deterministic, reports progress, and cancels with E_CANCELLED", async () => {
    const big: AnalysisBundle = { ...bundle, samples: N, layers: bundle.layers };
    const stages = new Set<string>();
    const a = await layerTopology(big, { samples: 60, sampling: "farthest", sensitivityFractions: [0.25] }, { onProgress: (e) => stages.add(e.stage) });
    const b = await layerTopology(big, { samples: 60, sampling: "farthest", sensitivityFractions: [0.25] });
    expect(a.sample).toEqual(b.sample);
    expect(a.distances.sliced).toEqual(b.distances.sliced);
    expect(a.cka).toEqual(b.cka);
    expect(stages.has("persistent homology (ring)")).toBe(true);
    expect(stages.has("CKA between the layers")).toBe(true);
    const controller = new AbortController();
    controller.abort();
    await expect(layerTopology(big, {}, { signal: controller.signal })).rejects.toMatchObject({ code: "E_CANCELLED" });
  });

  it("keeps each cloud's diagrams: changing only the CKA estimator recomputes no persistence", async () => {
    // One runner across runs, as the notebook's worker keeps one.
    const runner = new AnalysisRunner();
    const run = (given: Record<string, unknown>, into: Set<string>) =>
      runner.run(layerTopologyDescriptor, bundle, "b", "result", resolveParams(layerTopologyDescriptor, bundle, given), {}, { onProgress: (e) => into.add(e.stage) });
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

  it("rejects unknown layers, options and out-of-range values", async () => {
    await expect(layerTopology(bundle, { layers: ["nope"] })).rejects.toThrow(/invalid layers: "nope" \(expected layers among "ring", "rotated", "blob"\)/);
    await expect(layerTopology(bundle, { maxdim: 3 })).rejects.toThrow(/invalid maxdim: 3/);
    await expect(layerTopology(bundle, { threshold: 0 })).rejects.toThrow(/invalid threshold: 0/);
    await expect(layerTopology(bundle, { distanceDim: 2 })).rejects.toThrow(/invalid distanceDim: 2 \(expected at most maxdim = 1\)/);
    await expect(layerTopology(bundle, { sensitivityFractions: [1] })).rejects.toThrow(/invalid sensitivityFractions\[0\]: 1/);
    await expect(layerTopology(bundle, { lens: "l2norm" } as never)).rejects.toThrow(/unknown parameter "lens" for layer-topology/);
  });
});

describe("layerTopology on digits-cnn", () => {
  it("top-ℓ2 vectors of every conv layer, the same 150 samples, H0 and H1 per layer", async () => {
    const digits = await loadBundle(zipSource(readFileSync(new URL("../../data/examples/digits-cnn.zip", import.meta.url)), "digits-cnn.zip"));
    const r = await layerTopology(digits, { samples: 150, sensitivityFractions: [] });
    expect(r.layers.map((l) => [l.name, l.dimension])).toEqual([["conv1", 8], ["conv2", 16], ["conv3", 32], ["gap", 32], ["logits", 10]]);
    expect(r.sample.length).toBe(150);
    // Each layer's diagrams are those of its top-ℓ2 cloud on the sampled rows.
    const conv2 = await layerMatrix(digits.layers[1], { method: "top-l2" });
    const rows = new Float32Array(150 * 16);
    r.sample.forEach((i, k) => rows.set(conv2.data.subarray(i * 16, i * 16 + 16), k * 16));
    const direct = await persistentHomology({ rows: 150, cols: 16, data: rows }, { maxdim: 1 });
    expect(r.layers[1].diagrams[1].deaths).toEqual(direct.diagrams[1].deaths);
    for (const l of r.layers) expect(l.diagrams[0].births.length).toBeLessThanOrEqual(150);
    // conv3 and gap are the same maps before/after pooling: their CKA is far from 0.
    expect(r.cka[2 * 5 + 3]).toBeGreaterThan(0.2);
  });
});
