/**
 * The mphate analysis (src/analyses/mphate.ts): the tensor a bundle gives, and the study metrics
 * on cases with known answers.
 */
import { describe, expect, it } from "vitest";
import { mphate, zScoreRows } from "../../src/algo/mphate.ts";
import { spearman } from "../../src/algo/metrics.ts";
import type { AnalysisBundle } from "../../src/analyses/columns.ts";
import {
  baselineStudy,
  bootstrapSpearman,
  generalizationStudy,
  neighborPreservation,
  poolGeneralization,
  spread,
  switchAri,
  tensorFromBundle,
  visualizationVariance,
} from "../../src/analyses/mphate.ts";
import {
  baselineTable,
  claimChecks,
  generalizationHeadline,
  nearestSameLabel,
} from "../../src/report/mphate.ts";
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
    expect(() =>
      tensorFromBundle(
        { ...bundle, checkpoints: [] },
        { layers: [], epochStride: 1, unitStride: 1 },
      ),
    ).toThrow(/has 0 checkpoint\(s\)/);
    expect(() =>
      tensorFromBundle(bundle, { layers: ["logits"], epochStride: 1, unitStride: 1 }),
    ).toThrow(/invalid layers: "logits" \(the checkpoints hold fc1, fc2, fc3\)/);
  });
});

describe("study metrics", () => {
  it("visualisation variance sums the per-epoch trace of the covariance (ddof 1)", () => {
    // 2 epochs × 3 units: epoch 0 at (0,0),(1,0),(2,0): var x = 1; epoch 1 at (0,0),(0,2),(0,4): var y = 4.
    const embedding = {
      rows: 6,
      cols: 2,
      data: Float32Array.from([0, 0, 1, 0, 2, 0, 0, 0, 0, 2, 0, 4]),
    };
    expect(visualizationVariance({ embedding, epochs: [0, 1], units: 3 })).toBeCloseTo(5, 12);
  });

  it("neighbour preservation is 1 for a scaled copy and below 1 for a shuffled one", () => {
    const X = {
      rows: 30,
      cols: 3,
      data: Float32Array.from({ length: 90 }, (_, i) => Math.sin(i * 1.7) * (i % 7)),
    };
    const groups = [
      Int32Array.from({ length: 15 }, (_, i) => i),
      Int32Array.from({ length: 15 }, (_, i) => 15 + i),
    ];
    expect(neighborPreservation(X, { ...X, data: X.data.map((v) => 3 * v) }, groups, 5)).toBe(1);
    const shuffled = {
      ...X,
      data: Float32Array.from({ length: 90 }, (_, i) => X.data[(i * 37) % 90]),
    };
    expect(neighborPreservation(X, shuffled, groups, 5)).toBeLessThan(0.8);
  });

  it("switch ARI is 1 when the units do not move and about 0 when they are shuffled", async () => {
    const units = 60;
    const slice = Float32Array.from(
      { length: 2 * units },
      (_, i) => ((i >> 1) % 4) * 10 + Math.sin(i),
    );
    const same = { rows: 2 * units, cols: 2, data: Float32Array.from([...slice, ...slice]) };
    expect(await switchAri(same, units, 0, 1, 3, 1)).toBeCloseTo(1, 12);
    const random = mulberry32(4);
    const order = Array.from({ length: units }, (_, i) => i).sort(() => random() - 0.5);
    const moved = new Float32Array(2 * units);
    for (let i = 0; i < units; i++)
      moved.set(slice.subarray(2 * order[i], 2 * order[i] + 2), 2 * i);
    const shuffled = { rows: 2 * units, cols: 2, data: Float32Array.from([...slice, ...moved]) };
    expect(Math.abs(await switchAri(shuffled, units, 0, 1, 3, 1))).toBeLessThan(0.3);
  });
});

/** A small bundle of checkpoints: `epochs` × two layers of 6 units × 12 trace samples. */
function syntheticRun(
  name: string,
  seed: number,
  variant: string,
  memorizationError: number,
  spreadScale: number,
  rowsZScored = false,
): AnalysisBundle {
  const random = mulberry32(seed * 97 + variant.length);
  const [epochs, samples] = [8, 12];
  const checkpoints = Array.from({ length: epochs }, (_, e) => ({
    epoch: e,
    layers: ["a", "b"].map((layer, li) => ({
      name: layer,
      shape: [samples, 6] as const,
      data: Float32Array.from(
        { length: samples * 6 },
        (_, q) =>
          Math.sin((q % 6) + li * 3 + (q / 6) * 0.7) * (1 + (spreadScale * e) / epochs) +
          0.2 * random(),
      ),
    })),
  }));
  if (rowsZScored) {
    // Make every (epoch, unit) row over the samples mean 0 and population sd 1.
    for (const c of checkpoints)
      for (const l of c.layers)
        for (let u = 0; u < 6; u++) {
          let mean = 0;
          for (let s = 0; s < samples; s++) mean += l.data[s * 6 + u] / samples;
          let v = 0;
          for (let s = 0; s < samples; s++) v += (l.data[s * 6 + u] - mean) ** 2 / samples;
          for (let s = 0; s < samples; s++)
            l.data[s * 6 + u] = (l.data[s * 6 + u] - mean) / Math.sqrt(v);
        }
  }
  return {
    name,
    task: "classification",
    samples,
    layers: [],
    labels: Int32Array.from({ length: samples }, (_, s) => s % 3),
    classNames: ["0", "1", "2"],
    checkpoints,
    meta: {
      variant,
      seed,
      memorizationError,
      trainLoss: 0.1,
      validationLoss: 0.1 + memorizationError,
    },
  };
}

describe("generalisation study", () => {
  it("spread is the mean and the sample standard deviation", () => {
    expect(spread([1, 2, 3, 6])).toEqual({ mean: 3, sd: Math.sqrt(14 / 3), n: 4 });
    expect(spread([5])).toEqual({ mean: 5, sd: 0, n: 1 });
  });

  it("the bootstrap interval of ρ is seeded, contains ρ, and is [1, 1] for a monotone relation", async () => {
    const x = [0.1, 0.5, 0.2, 0.9, 0.4, 0.3, 0.8, 0.7, 0.6, 0.05];
    const y = [1.2, 0.4, 1.0, 0.1, 0.2, 0.9, 0.3, 0.35, 0.5, 2.0];
    const a = await bootstrapSpearman(x, y, { resamples: 500, seed: 7 });
    const b = await bootstrapSpearman(x, y, { resamples: 500, seed: 7 });
    expect(a).toEqual(b);
    const rho = spearman(x, y);
    expect(a.interval[0]).toBeLessThan(rho);
    expect(a.interval[1]).toBeGreaterThan(rho);
    expect(a.interval[1]).toBeLessThan(0);
    expect(a.resamples).toBe(500);
    const mono = await bootstrapSpearman(
      x,
      x.map((v) => 3 * v + 1),
      { resamples: 300, seed: 1 },
    );
    expect(mono.interval).toEqual([1, 1]);
    expect((await bootstrapSpearman([1, 2, 3], [3, 2, 1])).interval.every(Number.isNaN)).toBe(true);
  });

  it("takes visualisation variance on the unscaled metric MDS output, ρ pooled over seeds, and pools per-seed studies to the same numbers", async () => {
    const variants = ["vanilla", "dropout", "random-labels", "random-pixels"];
    const runs = [1, 2].flatMap((seed) =>
      variants.map((v, i) => syntheticRun(`${v}-${seed}`, seed, v, 0.1 + i + 0.05 * seed, 3 - i)),
    );
    const params = { nLandmark: 4000, t: 4 as const, resamples: 200 };
    const study = await generalizationStudy(runs, params);
    expect(study.runs.map((r) => [r.variant, r.seed])).toEqual(
      runs.map((b) => [b.meta!.variant, b.meta!.seed]),
    );
    // The variance is the one of the SMACOF output, not of the drawn (normalised) embedding.
    const bt = tensorFromBundle(runs[0], { layers: [], epochStride: 1, unitStride: 1 });
    const direct = await mphate(bt.tensor, { t: 4, nLandmark: 4000 });
    expect(study.runs[0].visualizationVariance).toBe(
      visualizationVariance({
        embedding: direct.metricEmbedding,
        epochs: study.runs[0].epochs,
        units: 12,
      }),
    );
    expect(study.runs[0].normalizedVariance).toBe(
      visualizationVariance({
        embedding: direct.embedding,
        epochs: study.runs[0].epochs,
        units: 12,
      }),
    );
    expect(study.runs[0].visualizationVariance).not.toBeCloseTo(
      study.runs[0].normalizedVariance,
      3,
    );
    expect(study.runs[0].intersliceKnn).toBe(2);
    expect(study.spearman).toBe(
      spearman(
        study.runs.map((r) => r.visualizationVariance),
        study.runs.map((r) => r.memorizationError),
      ),
    );
    expect(study.perSeed.map((s) => [s.seed, s.runs])).toEqual([
      [1, 4],
      [2, 4],
    ]);
    expect(study.variants.map((v) => [v.variant, v.memorizationError.n])).toEqual(
      variants.map((v) => [v, 2]),
    );
    expect(study.variants[0].memorizationError.mean).toBeCloseTo(0.175, 12);
    expect(study.params).toEqual({ nLandmark: 4000, bootstrapSeed: 42, resamples: 200 });
    // One study per seed (as the notebook's workers make them), pooled: the same numbers.
    const pooled = await poolGeneralization([
      await generalizationStudy(runs.slice(0, 4), params),
      await generalizationStudy(runs.slice(4), params),
    ]);
    expect(pooled.spearman).toBe(study.spearman);
    expect(pooled.interval).toEqual(study.interval);
    expect(pooled.seedSpread).toEqual(study.seedSpread);
    expect(generalizationHeadline(pooled)).toMatch(
      /over 8 runs \(4 variants × 2 seeds\), bootstrap 95 % interval \[/,
    );
    expect(claimChecks({ generalization: pooled })[0].verdict).toMatch(
      /^(confirmed|not confirmed|contradicted)$/,
    );
  });
});

describe("baseline study", () => {
  it("scores every method in the raw and the z-scored trace; when the trace is already z-scored the two agree", async () => {
    const bundle = syntheticRun("z", 3, "vanilla", 0.1, 2, true);
    const bt = tensorFromBundle(bundle, { layers: [], epochStride: 1, unitStride: 1 });
    const z = zScoreRows(bt.tensor);
    for (let q = 0; q < z.length; q += 37) expect(z[q]).toBeCloseTo(bt.tensor.data[q], 4);
    const study = await baselineStudy(bundle, { t: 4 });
    expect(study.scores.map((s) => `${s.method} · ${s.input}`)).toEqual([
      "M-PHATE · multislice graph (z-scored)",
      "DM · multislice graph",
      "Isomap · multislice graph (−log affinity paths)",
      "t-SNE · multislice graph (−log affinity paths, precomputed)",
      "PCA · flattened raw trace",
      "t-SNE · flattened raw trace",
      "Isomap · flattened raw trace",
      "PHATE · flattened raw trace",
      "PCA · flattened z-scored trace",
      "t-SNE · flattened z-scored trace",
      "Isomap · flattened z-scored trace",
      "PHATE · flattened z-scored trace",
    ]);
    expect([study.intersliceKnn, study.intersliceKnnAuto]).toEqual([2, true]);
    for (const s of study.scores) {
      for (const key of ["intraslice", "interslice"] as const) {
        expect(s.zscored[key].k10).toBeCloseTo(s.raw[key].k10, 6);
        expect(s.raw[key].k10).toBeGreaterThan(0);
        expect(s.raw[key].k10).toBeLessThanOrEqual(1);
      }
    }
    // 8 checkpoints: k = 10 and 40 take every other checkpoint of a unit, so the table shows "—".
    const table = baselineTable(study);
    expect(table.rows).toHaveLength(24);
    expect(table.rows[0].slice(0, 3)).toEqual([
      "M-PHATE",
      "multislice graph (z-scored)",
      "raw trace",
    ]);
    expect(table.rows[1][2]).toBe("z-scored trace");
    expect(table.rows[0].slice(5)).toEqual([null, null]);
    expect(study.notes.join(" ")).toMatch(
      /Interslice k = 40 needs more than 41 checkpoints: with 8, .*; nor is k = 10/,
    );
  });
});

describe("claim checks", () => {
  it("nearestSameLabel counts units whose nearest embedded unit (last checkpoint) shares their label, against Σ share² by chance", () => {
    // Last checkpoint: 4 units, two layers apart on x; the first checkpoint is ignored.
    const embedding = {
      rows: 8,
      cols: 2,
      data: Float32Array.from([0, 0, 0, 0, 0, 0, 0, 0, /**/ 0, 0, 0, 1, 10, 0, 10, 1]),
    };
    const run = { embedding, units: 4, epochs: [0, 1] } as never;
    expect(nearestSameLabel(run, [0, 1, 0, 1, 0, 0, 1, 1])).toEqual({ share: 1, chance: 0.5 });
    expect(nearestSameLabel(run, [0, 0, 0, 0, 0, 1, 0, 1])).toEqual({ share: 0, chance: 0.5 });
  });

  it("fan-out is confirmed when the last checkpoint is more spread than the first, a grouping when past halfway from chance to 1", () => {
    const units = 4;
    const data = Float32Array.from([0, 0, 0.1, 0, 0, 0.1, 0.1, 0.1, /**/ 0, 0, 0, 1, 10, 0, 10, 1]);
    const dynamics = {
      name: "toy",
      embedding: { rows: 8, cols: 2, data },
      units,
      epochs: [0, 5],
      layer: Int32Array.from([0, 0, 1, 1, 0, 0, 1, 1]),
      mostActive: Int32Array.from([0, 1, 2, 3, 0, 1, 2, 3]),
    } as never;
    const [fan, layers, classes] = claimChecks({ dynamics });
    expect(fan.verdict).toBe("confirmed");
    expect(fan.measured).toMatch(/at epoch 0, .* at epoch 5/);
    expect(layers).toMatchObject({ verdict: "confirmed" });
    expect(layers.measured).toContain(
      "100 % of units have their nearest embedded unit in their own layer (chance 50 %)",
    );
    expect(classes.verdict).toBe("contradicted");
  });
});
