/**
 * The som-codes analysis on the committed digits-cnn bundle, against the shapes a small
 * reproduction of the paper shows: homogeneous shallow GAP codes, class-aligned
 * deep codes, FGSM specific to deep layers, and all of it vanishing with flattened maps.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { somCodes } from "../../src/analyses/som-codes.ts";
import { somClaimFindings, somCodesReport, somSeedTable } from "../../src/report/som-codes.ts";
import { reportDocument } from "../../src/report/dom.ts";
import { loadBundle } from "../../src/io/bundle.ts";
import { zipSource } from "../../src/io/sources.ts";
import { pca } from "../../src/algo/pca.ts";
import { som } from "../../src/algo/som.ts";
import { layerMatrix } from "../../src/algo/vectorize.ts";
import { rmsDistanceToMean, takeRows, type Matrix } from "../../src/core/matrix.ts";
import { bytes } from "../helpers.ts";

const bundle = await loadBundle(
  zipSource(
    readFileSync(new URL("../../data/examples/digits-cnn.zip", import.meta.url)),
    "digits-cnn.zip",
  ),
);

describe("somCodes on digits-cnn", () => {
  it("global-average-pooled codes: homogeneous in conv1, diverse and class-aligned in conv3; FGSM beats noise only deep", async () => {
    const r = await somCodes(bundle, {
      layers: ["conv1", "conv3", "logits"],
      includeInput: false,
      epochs: 15,
      epsilons: [0.05],
    });
    const [conv1, conv3, logits] = r.layers;
    // Spec §3 (GAP): conv1 PC1 .94, PR 1.1; conv3 PC1 .35, PR 5.1.
    expect(conv1.pca.pc1Share).toBeGreaterThan(0.8);
    expect(conv1.pca.participationRatio).toBeLessThan(1.6);
    expect(conv3.pca.pc1Share).toBeLessThan(0.5);
    expect(conv3.pca.participationRatio).toBeGreaterThan(3);
    // Purity vs prediction .51 → .96; agreement .30 → .95.
    expect(conv1.purity.prediction).toBeLessThan(0.65);
    expect(conv3.purity.prediction).toBeGreaterThan(0.85);
    expect(conv3.agreement).toBeGreaterThan(conv1.agreement + 0.4);
    expect(logits.nmi).toBeGreaterThan(conv1.nmi);
    expect(conv3.topographicError.rect8).toBeLessThan(0.1);
    // FGSM vs noise at ε = .05: conv1 .70 vs .77 (no specificity), conv3 .58 vs .15.
    const study = r.adversarial!;
    const row = (name: string) => study.layers.find((l) => l.name === name)!;
    expect(Math.abs(row("conv1").fgsm[0].changed - row("conv1").noise[0].changed)).toBeLessThan(
      0.15,
    );
    expect(row("conv3").fgsm[0].changed).toBeGreaterThan(2 * row("conv3").noise[0].changed);
    expect(study.accuracy.fgsm[0]).toBeLessThan(study.accuracy.noise[0]);
    expect(r.splitNote).toBe("the bundle's split");
    expect(r.layers[0].nodeInputs!.length).toBe(100 * 64);

    // Over SOM seeds 42, 43, 44 (default seedRuns 3), each map from random initial weights; the PCA is seed-free.
    const seeds = r.seeds!;
    expect(seeds.seeds).toEqual([42, 43, 44]);
    seeds.layers.forEach((l, i) => {
      expect(l.name).toBe(r.layers[i].name);
      expect(l.pc1Share).toBe(r.layers[i].pca.pc1Share);
      expect(l.purityLabel.values).toHaveLength(3);
      // Maps from other starts code the layer about as well as the PCA-started one.
      expect(Math.abs(l.purityLabel.mean - r.layers[i].purity.label)).toBeLessThan(0.1);
      expect(l.fgsmChanged!.values).toHaveLength(3);
    });
    expect(seeds.layers.some((l) => l.purityLabel.sd > 0)).toBe(true); // the maps do differ
    expect(seeds.epsilon).toBe(0.05);
    // The claim in words: class alignment deep confirmed, the PCA homogeneity of conv1 confirmed.
    const f = somClaimFindings(seeds);
    expect(f.verdict[0]).toMatch(/^Confirmed: the deepest layer's codes are class-aligned/);
    expect(f.verdict[1]).toMatch(
      /^Confirmed in the PCA sense: conv1 is the more homogeneous layer/,
    );
    expect(f.measured[0]).toMatch(
      /^3 maps per layer, from SOM seeds 42, 43, 44: each starts from weights drawn at random among the training samples/,
    );
    expect(somSeedTable(seeds).rows.map((x) => x[x.length - 1])).toEqual([3, 3, 3]);
    const report = somCodesReport(
      bundle,
      r,
      { layer: "conv3", epsilonIndex: 0 },
      { sha256: "0".repeat(64), document: reportDocument(), date: "2026-01-01" },
    );
    expect(report.sections[0].title).toBe("The paper's claims and what we measured over seeds");
    expect(report.parameters.somSeeds).toBe("42, 43, 44");
    // Without the study the result carries none.
    expect(
      (
        await somCodes(bundle, {
          layers: ["conv1"],
          includeInput: false,
          epochs: 2,
          adversarial: false,
          seedRuns: 1,
        })
      ).seeds,
    ).toBeNull();
  });

  it("flattened maps lose the effect: no homogeneous shallow layer", async () => {
    const r = await somCodes(bundle, {
      layers: ["conv1"],
      includeInput: false,
      epochs: 5,
      vectorize: "flatten",
      adversarial: false,
      seedRuns: 1,
    });
    expect(r.layers[0].dimension).toBe(512);
    expect(r.layers[0].pca.pc1Share).toBeLessThan(0.3);
    expect(r.layers[0].purity.prediction).toBeGreaterThan(0.85);
    expect(r.adversarial).toBeNull();
  });

  it("one PCA per layer, leading vectors only: the spectrum is pca()'s bit for bit, the map som()'s from its own PCA (QE to 1e-6)", async () => {
    const p = { layers: ["conv3"], includeInput: false, epochs: 5, rows: 6, cols: 5 } as const;
    const r = await somCodes(bundle, { ...p, adversarial: false, seedRuns: 1 });
    const layer = bundle.layers.find((l) => l.name === "conv3")!;
    const X = await layerMatrix(layer, { method: "gap", seed: 42 });
    const raw = takeRows(X, r.train);
    const scale = rmsDistanceToMean(raw);
    expect(r.layers[0].scale).toBe(scale);
    const divide = (m: Matrix): Matrix => ({ ...m, data: m.data.map((v) => v / scale) });
    const trainX = divide(raw);
    const full = await pca(trainX, { nComponents: 2 });
    expect(bytes(r.layers[0].pca.spectrum)).toEqual(bytes(full.spectrum));
    const own = await som(trainX, {
      rows: 6,
      cols: 5,
      epochs: 5,
      seed: 42,
      validation: divide(takeRows(X, r.test)),
    });
    expect(r.layers[0].dimension).toBeGreaterThan(8); // the leading-vectors path: 2 of d vectors
    const map = r.layers[0].map;
    expect(Math.abs(map.quantizationError / own.quantizationError - 1)).toBeLessThan(1e-6);
    let worst = 0;
    own.weights.data.forEach(
      (w, i) => (worst = Math.max(worst, Math.abs(map.weights.data[i] - w))),
    );
    expect(worst).toBeLessThan(1e-5);
  });

  it("rejects regression bundles and unknown layers", async () => {
    await expect(
      somCodes({ ...bundle, task: "regression", labels: undefined }, {}),
    ).rejects.toThrow(/needs a classification bundle with labels/);
    await expect(somCodes(bundle, { layers: ["conv9"] })).rejects.toThrow(
      /invalid layers: "conv9"/,
    );
  });
});
