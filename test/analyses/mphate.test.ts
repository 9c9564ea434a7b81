/**
 * The mphate analysis (src/analyses/mphate.ts): the tensor a bundle gives, and the study metrics
 * on cases with known answers.
 */
import { describe, expect, it } from "vitest";
import { neighborPreservation, switchAri, tensorFromBundle, visualizationVariance } from "../../src/analyses/mphate.ts";
import { loadBundleFromPath } from "../../src/io/node.ts";
import { mulberry32 } from "../helpers.ts";

const digitsMlp = new URL("../../data/examples/digits-mlp.zip", import.meta.url).pathname;

describe("tensorFromBundle", () => {
  it("stacks fc1–fc3 of digits-mlp's 101 checkpoints into epochs × 96 units × 100 trace samples, epoch-major", async () => {
    const bundle = await loadBundleFromPath(digitsMlp);
    const bt = tensorFromBundle(bundle, { layers: [], epochStride: 10, unitStride: 1 });
    expect(bt.layerNames).toEqual(["fc1", "fc2", "fc3"]);
    expect(bt.epochs).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect([bt.tensor.epochs, bt.tensor.units, bt.tensor.samples]).toEqual([11, 96, 100]);
    // Unit 40 is fc2's unit 8; its response to trace sample 7 at epoch 20 is fc2[7, 8] of that checkpoint.
    expect([bt.unitLayer[40], bt.unitIndex[40]]).toEqual([1, 8]);
    const fc2 = bundle.checkpoints![20].layers.find((l) => l.name === "fc2")!;
    expect(bt.tensor.data[(2 * 96 + 40) * 100 + 7]).toBe(fc2.data[7 * 32 + 8]);
    // Trace labels: 10 samples of each class.
    const counts = new Array(10).fill(0);
    for (const l of bt.traceLabels) counts[l]++;
    expect(counts).toEqual(new Array(10).fill(10));
  });

  it("refuses a bundle without checkpoints and an unknown layer", async () => {
    const bundle = await loadBundleFromPath(digitsMlp);
    expect(() => tensorFromBundle({ ...bundle, checkpoints: [] }, { layers: [], epochStride: 1, unitStride: 1 })).toThrow(/has 0 checkpoint\(s\)/);
    expect(() => tensorFromBundle(bundle, { layers: ["logits"], epochStride: 1, unitStride: 1 })).toThrow(/invalid layers: "logits" \(the checkpoints hold fc1, fc2, fc3\)/);
  });
});

describe("study metrics", () => {
  it("visualisation variance sums the per-epoch trace of the covariance (ddof 1)", () => {
    // 2 epochs × 3 units: epoch 0 at (0,0),(1,0),(2,0): var x = 1; epoch 1 at (0,0),(0,2),(0,4): var y = 4.
    const embedding = { rows: 6, cols: 2, data: Float32Array.from([0, 0, 1, 0, 2, 0, 0, 0, 0, 2, 0, 4]) };
    expect(visualizationVariance({ embedding, epochs: [0, 1], units: 3 })).toBeCloseTo(5, 12);
  });

  it("neighbour preservation is 1 for a scaled copy and below 1 for a shuffled one", () => {
    const X = { rows: 30, cols: 3, data: Float32Array.from({ length: 90 }, (_, i) => Math.sin(i * 1.7) * (i % 7)) };
    const groups = [Int32Array.from({ length: 15 }, (_, i) => i), Int32Array.from({ length: 15 }, (_, i) => 15 + i)];
    expect(neighborPreservation(X, { ...X, data: X.data.map((v) => 3 * v) }, groups, 5)).toBe(1);
    const shuffled = { ...X, data: Float32Array.from({ length: 90 }, (_, i) => X.data[(i * 37) % 90]) };
    expect(neighborPreservation(X, shuffled, groups, 5)).toBeLessThan(0.8);
  });

  it("switch ARI is 1 when the units do not move and about 0 when they are shuffled", async () => {
    const units = 60;
    const slice = Float32Array.from({ length: 2 * units }, (_, i) => ((i >> 1) % 4) * 10 + Math.sin(i));
    const same = { rows: 2 * units, cols: 2, data: Float32Array.from([...slice, ...slice]) };
    expect(await switchAri(same, units, 0, 1, 3, 1)).toBeCloseTo(1, 12);
    const random = mulberry32(4);
    const order = Array.from({ length: units }, (_, i) => i).sort(() => random() - 0.5);
    const moved = new Float32Array(2 * units);
    for (let i = 0; i < units; i++) moved.set(slice.subarray(2 * order[i], 2 * order[i] + 2), 2 * i);
    const shuffled = { rows: 2 * units, cols: 2, data: Float32Array.from([...slice, ...moved]) };
    expect(Math.abs(await switchAri(shuffled, units, 0, 1, 3, 1))).toBeLessThan(0.3);
  });
});
