import { describe, expect, it } from "vitest";
import { automaticEps, kneedleKnee } from "../../src/algo/mapper/cluster.ts";
import { cover, overhangingIntervals } from "../../src/algo/mapper/cover.ts";
import type { AnalysisBundle } from "../../src/analyses/columns.ts";
import { defaultsUnder, resolveParams } from "../../src/analyses/descriptor.ts";
import { mapperAnalysis, mapperDescriptor } from "../../src/analyses/mapper.ts";
import { mulberry32 } from "../helpers.ts";

/** A small bundle: three noisy blobs in 4-D at different norms, labelled by blob. */
function blobs(n = 240, seed = 3): AnalysisBundle {
  const rand = mulberry32(seed);
  const data = new Float32Array(n * 4);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    labels[i] = c;
    for (let j = 0; j < 4; j++) data[i * 4 + j] = (j === c ? 2 + 2 * c : 0) + 0.3 * (rand() - 0.5);
  }
  return {
    name: "blobs",
    task: "classification",
    samples: n,
    classNames: ["a", "b", "c"],
    labels,
    layers: [{ name: "h", shape: [n, 4], data }],
  };
}

describe("mapper presets: the rules they stand for, hand-checked", () => {
  it("KeplerMapper's cover: centres at (i + ½)/n, half-width 1/(2n(1 − p)), overhanging [0, 1]", () => {
    // n = 4, p = 0.5: centres 0.125, 0.375, 0.625, 0.875; half-width 1 / (8 · 0.5) = 0.25.
    const got = overhangingIntervals(0, 1, 4, 0.5);
    const want = [
      [-0.125, 0.375],
      [0.125, 0.625],
      [0.375, 0.875],
      [0.625, 1.125],
    ];
    got.forEach(([a, b], i) => {
      expect(a).toBeCloseTo(want[i][0], 12);
      expect(b).toBeCloseTo(want[i][1], 12);
    });
    // n = 10, p = 0.1 (KeplerMapper's map() default) on [2, 4]: half-width 2 / (20 · 0.9) = 1/9.
    const [first] = overhangingIntervals(2, 4, 10, 0.1);
    expect(first[0]).toBeCloseTo(2.1 - 1 / 9, 12);
    expect(first[1]).toBeCloseTo(2.1 + 1 / 9, 12);
    // Membership of 12 lens values (none on a boundary; closed intervals).
    const lens = Float64Array.from([
      0, 0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95, 1,
    ]);
    const kepler = cover([lens], 4, 0.5, "kepler").map((e) => Array.from(e.members));
    expect(kepler).toEqual([
      [0, 1, 2, 3, 4],
      [2, 3, 4, 5, 6],
      [5, 6, 7, 8, 9],
      [7, 8, 9, 10, 11],
    ]);
    // The fitted cover instead: L = 1 / (4 − 3 · 0.5) = 0.4, starting at 0, 0.2, 0.4, 0.6.
    const fitted = cover([lens], 4, 0.5, "uniform").map((e) => Array.from(e.members));
    expect(fitted).toEqual([
      [0, 1, 2, 3, 4],
      [3, 4, 5, 6],
      [5, 6, 7, 8],
      [7, 8, 9, 10, 11],
    ]);
  });

  it("Purvine et al.'s ε: the knee of the sorted distances, else their median, to 3 significant digits", () => {
    // Nine distances of 0.1234 then one of 1.0: scaled, the chord rises as i/9 while the curve
    // stays at 0 until i = 9; the largest gap i/9 − 0 is at i = 8, value 0.1234 → 0.123.
    const flatThenJump = Float64Array.from([
      0.1234, 0.1234, 0.1234, 0.1234, 0.1234, 0.1234, 0.1234, 0.1234, 0.1234, 1.0,
    ]);
    expect(kneedleKnee(flatThenJump)).toBe(8);
    expect(automaticEps(flatThenJump)).toEqual({ eps: 0.123, rule: "knee" });
    // Order does not matter (the curve is sorted first).
    expect(automaticEps(flatThenJump.slice().reverse())).toEqual({ eps: 0.123, rule: "knee" });
    // A straight line never drops below its chord: no knee, the median (lower middle of 6) 0.34567 → 0.346.
    const line = Float64Array.from([0.12345, 0.23456, 0.34567, 0.45678, 0.56789, 0.6789]);
    expect(kneedleKnee(Float64Array.from([1, 2, 3, 4, 5, 6]))).toBe(-1);
    expect(automaticEps(Float64Array.from([1, 2, 3, 4, 5, 6]))).toEqual({ eps: 3, rule: "median" });
    expect(automaticEps(line).eps).toBeCloseTo(line[2], 2);
  });

  it("each preset sets its parameters; an explicit value wins, the same from typed values and from text (URL, --set)", () => {
    const b = blobs(30);
    const purvine = resolveParams(mapperDescriptor, b, { preset: "purvine" });
    expect([
      purvine.intervals,
      purvine.overlap,
      purvine.cover,
      purvine.minSamples,
      purvine.epsNeighbor,
      purvine.eps,
    ]).toEqual([10, 0.5, "kepler", 5, 1, "auto"]);
    const topoact = resolveParams(mapperDescriptor, b, { preset: "topoact" });
    expect([topoact.intervals, topoact.overlap, topoact.cover, topoact.epsNeighbor]).toEqual([
      40,
      0.2,
      "uniform",
      "auto",
    ]);
    const kepler = resolveParams(mapperDescriptor, b, { preset: "keplermapper" });
    expect([kepler.intervals, kepler.overlap, kepler.cover, kepler.minSamples]).toEqual([
      10,
      0.1,
      "kepler",
      3,
    ]);
    const plain = resolveParams(mapperDescriptor, b, {});
    expect([
      plain.preset,
      plain.intervals,
      plain.overlap,
      plain.cover,
      plain.minSamples,
      plain.epsNeighbor,
    ]).toEqual(["default", 10, 0.5, "uniform", 5, "auto"]);
    // Explicit values win over the preset's, typed or as text.
    const typed = resolveParams(mapperDescriptor, b, { preset: "topoact", intervals: 12 });
    const text = resolveParams(
      mapperDescriptor,
      b,
      { preset: "topoact", intervals: "12" },
      { text: true },
    );
    expect([typed.intervals, typed.overlap]).toEqual([12, 0.2]);
    expect(text).toEqual(typed);
    // The notebook's controls start from the same values.
    expect(defaultsUnder(mapperDescriptor, b, { preset: "keplermapper" })).toMatchObject({
      intervals: 10,
      overlap: 0.1,
      cover: "kepler",
      minSamples: 3,
    });
    expect(() => resolveParams(mapperDescriptor, b, { preset: "giotto" })).toThrow(
      /invalid preset: "giotto"/,
    );
  });

  it("the Purvine preset's ε is the knee of the 1st-nearest-neighbour distances, recomputed by brute force", async () => {
    const b = blobs();
    const X = b.layers[0].data as Float32Array;
    const n = b.samples;
    const nearest = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let best = Infinity;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        let s = 0;
        for (let c = 0; c < 4; c++) s += (X[i * 4 + c] - X[j * 4 + c]) ** 2;
        best = Math.min(best, Math.sqrt(s));
      }
      nearest[i] = best;
    }
    const want = automaticEps(nearest);
    const result = await mapperAnalysis(b, { preset: "purvine", neighbors: "exact" });
    expect(result.params.preset).toBe("purvine");
    expect(result.layers[0].autoEps).toBeCloseTo(want.eps, 5);
    expect(result.layers[0].eps).toBeCloseTo(want.eps, 5);
    // The default rule reads the 4th neighbour's distances: a larger ε on the same cloud.
    const ours = await mapperAnalysis(b, { neighbors: "exact" });
    expect(ours.layers[0].eps).toBeGreaterThan(result.layers[0].eps);
    // KeplerMapper's cover: every element's bounds are the overhanging ones on the scaled lens.
    const km = await mapperAnalysis(b, { preset: "keplermapper", neighbors: "exact" });
    const bounds = km.layers[0].elements.map((e) => e.bounds[0]);
    const expected = overhangingIntervals(0, 1, 10, 0.1);
    for (const [lo, hi] of bounds)
      expect(expected.some(([a, c]) => Math.abs(a - lo) < 1e-12 && Math.abs(c - hi) < 1e-12)).toBe(
        true,
      );
    expect(Math.min(...bounds.map((x) => x[0]))).toBeLessThan(0);
  });
});
