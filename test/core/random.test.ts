/**
 * Named random streams and the one "k of n rows" helper: every generator in src/ names its
 * stream, no two algorithms share one, and every analysis that samples rows draws the same rows
 * from the same seed.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { seededRows, subsample } from "../../src/algo/subsample.ts";
import { seedPlus, STREAMS, type StreamName } from "../../src/core/random.ts";
import { randomMatrix } from "../helpers.ts";

const SRC = fileURLToPath(new URL("../../src", import.meta.url));
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );

/** The example recipes' streams: older than the table, their bundles are committed byte for byte. */
const RECIPES: StreamName[] = [
  "networkInit",
  "dropout",
  "trainerShuffle",
  "exampleSplit",
  "traceSet",
  "rotationAngles",
  "rotationAugment",
  "replayBuffer",
  "randomizedData",
  "fashionSample",
];

describe("STREAMS", () => {
  it("gives every algorithm its own stream; the only shared values pair an algorithm with a recipe", () => {
    const algorithms = (Object.keys(STREAMS) as StreamName[]).filter((n) => !RECIPES.includes(n));
    const values = algorithms.map((n) => STREAMS[n]);
    expect(new Set(values).size).toBe(values.length);
    expect(new Set(RECIPES.map((n) => STREAMS[n])).size).toBe(RECIPES.length);
    const shared = algorithms.filter((n) => RECIPES.some((r) => STREAMS[r] === STREAMS[n])).sort();
    expect(shared).toEqual(["geodesicSources", "knnFolds", "sampleRows", "smacofInit", "tsneInit"]);
    for (const v of Object.values(STREAMS))
      expect(Number.isInteger(v) && v >= 0 && v < 2 ** 32).toBe(true);
  });

  it("is the only source of stream numbers: every new Rng(...) in src/ names one", () => {
    const unnamed: string[] = [];
    for (const file of files(SRC)) {
      // Calls, not the mentions in doc comments.
      for (const m of readFileSync(file, "utf8").matchAll(/^(?!\s*\*).*new Rng\([^\n]*/gm)) {
        // The last argument of the call: a named stream (or rotation.ts' `stream` parameter, whose default is one).
        if (!/, (STREAMS\.\w+|stream)\);/.test(m[0]))
          unnamed.push(`${file.slice(SRC.length)}: ${m[0]}`);
      }
    }
    expect(unnamed).toEqual([]);
  });
});

describe("seededRows()", () => {
  it("draws k distinct rows in ascending order, the same for the same seed", async () => {
    const rows = await seededRows(1000, 100, 7);
    expect(rows.length).toBe(100);
    expect(new Set(rows).size).toBe(100);
    for (let i = 1; i < rows.length; i++) expect(rows[i]).toBeGreaterThan(rows[i - 1]);
    expect(rows[0]).toBeGreaterThanOrEqual(0);
    expect(rows[99]).toBeLessThan(1000);
    expect(Array.from(await seededRows(1000, 100, 7))).toEqual(Array.from(rows));
    expect(Array.from(await seededRows(1000, 100, 8))).not.toEqual(Array.from(rows));
  });

  it("keeps every row when k ≥ n", async () => {
    expect(Array.from(await seededRows(5, 5, 1))).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(await seededRows(3, 10, 1))).toEqual([0, 1, 2]);
  });

  it("is the rows subsample(X, {method: 'random'}) picks", async () => {
    const X = randomMatrix(300, 4, 2);
    const { indices } = await subsample(X, { size: 40, method: "random", seed: 42 });
    expect(Array.from(indices)).toEqual(Array.from(await seededRows(300, 40, 42)));
  });
});

describe("seedPlus()", () => {
  it("steps through the 2^53 valid seeds and wraps past 2^53 − 1 to 0 (sweep: run mda --seed 2^53 − 1 refused its own seed + 1)", () => {
    const max = Number.MAX_SAFE_INTEGER;
    expect([seedPlus(0, 0), seedPlus(7, 3), seedPlus(max - 2, 2)]).toEqual([0, 10, max]);
    expect([
      seedPlus(max, 1),
      seedPlus(max, 2),
      seedPlus(max - 1, 5),
      seedPlus(max, 1000 * 3 + 2),
    ]).toEqual([0, 1, 3, 3001]);
    for (const [seed, k] of [
      [max, 1],
      [max - 3, 9],
      [2 ** 52, 2 ** 52 + 5],
    ])
      expect(Number.isSafeInteger(seedPlus(seed, k))).toBe(true);
  });
});
