import { describe, expect, it } from "vitest";
import type { AnalysisBundle } from "../../src/analyses/columns.ts";
import { resolveParams } from "../../src/analyses/descriptor.ts";
import {
  mapperAnalysis,
  mapperDescriptor,
  mapperSeedStudy,
  type MapperSeedStudy,
} from "../../src/analyses/mapper.ts";
import { matrixSpread } from "../../src/analyses/seed-study.ts";
import { reportDocument } from "../../src/report/dom.ts";
import { mapperReport, mapperSeedFindings } from "../../src/report/mapper.ts";
import { mulberry32 } from "../helpers.ts";

/**
 * A "network" of two layers on the same n inputs of 3 classes: "mixed" ignores the class (noise),
 * "separated" puts each class in its own far blob. The lens (ℓ2 norm) orders the blobs.
 */
function network(name: string, seed: number, n = 150, split = true): AnalysisBundle {
  const rand = mulberry32(seed);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  const mixed = Float32Array.from({ length: n * 3 }, () => rand());
  const separated = new Float32Array(n * 3);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < 3; j++)
      separated[i * 3 + j] = (j === labels[i] ? 3 * (labels[i] + 1) : 0) + 0.2 * rand();
  return {
    name,
    task: "classification",
    samples: n,
    classNames: ["a", "b", "c"],
    labels,
    ...(split ? { split: Uint8Array.from({ length: n }, (_, i) => (i < n / 3 ? 0 : 1)) } : {}),
    layers: [
      { name: "mixed", shape: [n, 3], data: mixed },
      { name: "separated", shape: [n, 3], data: separated },
    ],
  };
}

describe("the Mapper seed study", () => {
  it("measures purity by layer in every network on the test inputs, with its spread", async () => {
    const runs = [network("net", 1), network("net-seed1", 2), network("net-seed2", 3)];
    const p = resolveParams(mapperDescriptor, runs[0], { neighbors: "exact" });
    const study = await mapperSeedStudy(runs, p);
    expect(study.runs).toEqual(["net", "net-seed1", "net-seed2"]);
    expect(study.layers).toEqual(["mixed", "separated"]);
    expect(study.split).toBe("test");
    expect(study.samples).toBe(100);
    // Each class's blob is far from the others: every node of "separated" holds one class.
    for (const p of study.purity) expect(p[1]).toBe(1);
    for (const p of study.purity) expect(p[0]).toBeLessThan(0.8);
    // The spread is over the runs, per layer.
    expect(study.spread.purity.sd[1]).toBe(0);
    expect(study.spread.purity.mean[0]).toBeCloseTo(
      study.purity.reduce((s, p) => s + p[0], 0) / 3,
      12,
    );
    // The first run's purity is the single-bundle analysis on its test rows.
    const testRows = runs[0].layers.map((l) => ({
      ...l,
      shape: [100, 3],
      data: (l.data as Float32Array).slice(50 * 3),
    }));
    const alone = await mapperAnalysis(
      {
        ...runs[0],
        samples: 100,
        labels: runs[0].labels!.slice(50),
        split: undefined,
        layers: testRows,
      },
      { neighbors: "exact" },
    );
    expect(alone.layers[0].purity.label!.meanInverseClasses).toBeCloseTo(study.purity[0][0], 12);
    const f = mapperSeedFindings(study);
    expect(f.verdict[0]).toMatch(
      /^Confirmed for these networks: deeper layers give purer graphs in every one of the 3 networks/,
    );
    expect(f.measured[1]).toMatch(/separated 1\.00 ± 0\.00 \(1\.00–1\.00\)/);
  });

  it("refuses runs that do not hold the same inputs, or a study of one", async () => {
    const a = network("net", 1);
    const p = resolveParams(mapperDescriptor, a, {});
    await expect(mapperSeedStudy([a], p)).rejects.toMatchObject({ code: "E_PARAM" });
    const shuffled = network("net-seed1", 2);
    shuffled.labels = Int32Array.from(shuffled.labels!, (l) => (l + 1) % 3);
    await expect(mapperSeedStudy([a, shuffled], p)).rejects.toThrow(
      /bundle "net-seed1" does not hold the same test inputs/,
    );
    const smaller = network("net-seed2", 3, 120);
    await expect(mapperSeedStudy([a, smaller], p)).rejects.toMatchObject({
      code: "E_SHAPE_MISMATCH",
    });
  });

  it("says 'not confirmed' when purity falls, and 'partly' when only some networks rise", () => {
    const study = (rows: number[][]): MapperSeedStudy => {
      const purity = rows.map((r) => Float64Array.from(r));
      const lost = rows.map((r) => new Float64Array(r.length));
      return {
        runs: rows.map((_, i) => `n${i}`),
        layers: ["a", "b"],
        samples: 10,
        split: "all",
        purity,
        lost,
        nodes: rows.map(() => new Int32Array(2)),
        spread: { purity: matrixSpread(purity), lost: matrixSpread(lost) },
        preset: "default",
      };
    };
    expect(
      mapperSeedFindings(
        study([
          [0.8, 0.5],
          [0.7, 0.6],
        ]),
      ).verdict[0],
    ).toMatch(/^Not confirmed: over the 2 networks purity does not rise/);
    expect(
      mapperSeedFindings(
        study([
          [0.2, 0.6],
          [0.5, 0.4],
        ]),
      ).verdict[0],
    ).toMatch(/^Partly confirmed: .* in 1 of 2 networks/);
    // mean change (0.4 − 0.1) / 2 = +0.15 ± sd of (0.4, −0.1) = 0.354.
    expect(
      mapperSeedFindings(
        study([
          [0.2, 0.6],
          [0.5, 0.4],
        ]),
      ).measured[2],
    ).toMatch(/changes by \+0\.15 ± 0\.35 \(-0\.10–0\.40\)/);
  });

  it("the report opens with the claim and the seed numbers; bundle names stay text", async () => {
    const runs = [network("<b>net</b>", 1), network("net-seed1", 2)];
    const p = resolveParams(mapperDescriptor, runs[0], {
      preset: "keplermapper",
      neighbors: "exact",
    });
    const seeds = await mapperSeedStudy(runs, p);
    const result = await mapperAnalysis(runs[0], { preset: "keplermapper", neighbors: "exact" });
    const spec = mapperReport(
      runs[0],
      { ...result, seeds },
      { layer: "separated", color: "label", minJaccard: 0 },
      { sha256: "0".repeat(64), document: reportDocument(), date: "2026-01-01" },
    );
    expect(spec.sections[0].title).toBe("The papers' claim and what we measured over seeds");
    expect(spec.sections[0].text).toMatch(/preset "keplermapper"/);
    expect(spec.parameters.preset).toBe("keplermapper");
    expect(spec.parameters.seedStudy).toBe("<b>net</b>, net-seed1");
    const alone = mapperReport(
      runs[0],
      result,
      { layer: "separated", color: "label", minJaccard: 0 },
      { sha256: "0".repeat(64), document: reportDocument(), date: "2026-01-01" },
    );
    expect(alone.sections[0].text).toMatch(/No seed study for "<b>net<\/b>"/);
  });
});
