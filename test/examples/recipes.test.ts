/**
 * The example recipes: small runs here (few epochs), full runs in `npm run examples`. The
 * committed bundles are checked from their files alone: anyone can recompute the bars.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { recipeNamed } from "../../src/examples/index.ts";
import { loadDigits } from "../../src/examples/node.ts";
import { rSquared } from "../../src/examples/recipes/digits-rotation.ts";
import { loadBundle } from "../../src/io/bundle.ts";
import { zipBundle } from "../../src/io/bundle-write.ts";
import { zipSource } from "../../src/io/sources.ts";
import type { Bundle } from "../../src/io/bundle.ts";

const digits = await loadDigits();
const run = (name: string, epochs: number, seed = 42) =>
  recipeNamed(name)!.run({ digits }, { epochs, seed });
const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe("digits-mlp recipe", () => {
  it("writes a loadable bundle with per-epoch traces of 10 training images per class, byte-identical for a seed", async () => {
    const [a] = await run("digits-mlp", 3);
    const bytes = zipBundle(a.bundle);
    const bundle = await loadBundle(zipSource(bytes, "digits-mlp.zip"));
    expect(bundle.samples).toBe(1797);
    expect(bundle.layers.map((l) => l.name)).toEqual(["fc1", "fc2", "fc3", "logits"]);
    expect(bundle.checkpoints!.map((c) => c.epoch)).toEqual([0, 1, 2, 3]);
    expect(bundle.checkpoints![0].layers.map((l) => l.shape)).toEqual([
      [100, 32],
      [100, 32],
      [100, 32],
    ]);
    const trace = bundle.trace!;
    expect(new Set(trace).size).toBe(100);
    for (const i of trace) expect(bundle.split![i]).toBe(0);
    const perClass = new Array(10).fill(0);
    for (const i of trace) perClass[bundle.labels![i]]++;
    expect(perClass).toEqual(new Array(10).fill(10));
    expect(bundle.split!.reduce((s, v) => s + v, 0)).toBe(Math.round(1797 * 0.25));
    expect(bundle.model!.parameters.length).toBe(64 * 32 + 32 + 2 * (32 * 32 + 32) + 32 * 10 + 10);
    // Same seed, same bytes; another seed, other bytes.
    const [again] = await run("digits-mlp", 3);
    expect(sha(zipBundle(again.bundle))).toBe(sha(bytes));
    const [other] = await run("digits-mlp", 3, 7);
    expect(sha(zipBundle(other.bundle))).not.toBe(sha(bytes));
  });
});

describe("split-digits recipe", () => {
  it("forgets early tasks without rehearsal and keeps them with it (full run, bundles valid)", async () => {
    const [naive, rehearsal] = await run("split-digits", 10);
    for (const r of [naive, rehearsal])
      await loadBundle(zipSource(zipBundle(r.bundle), `${r.name}.zip`));
    expect(naive.name).toBe("split-digits-naive");
    expect(naive.summary.earlyTasksFinalAccuracy).toBeLessThan(0.2);
    expect(rehearsal.summary.earlyTasksFinalAccuracy).toBeGreaterThanOrEqual(0.8);
    const meta = rehearsal.bundle.meta as { taskSwitchSteps: number[] };
    expect(meta.taskSwitchSteps).toHaveLength(5);
    expect(rehearsal.bundle.checkpoints!.length).toBeGreaterThan(10);
  });
});

describe("digits-cnn and digits-rotation recipes (short runs)", () => {
  it("digits-cnn keeps conv maps as N × C × H × W, the raw conv outputs as top-ℓ2 vectors, and learns", async () => {
    const [r] = await run("digits-cnn", 3);
    expect(r.bundle.layers.map((l) => [l.name, l.shape])).toEqual([
      ["conv1:pre:top-l2", [1797, 8]],
      ["conv1", [1797, 8, 8, 8]],
      ["conv2:pre:top-l2", [1797, 16]],
      ["conv2", [1797, 16, 4, 4]],
      ["conv3:pre:top-l2", [1797, 32]],
      ["conv3", [1797, 32, 4, 4]],
      ["gap", [1797, 32]],
      ["logits", [1797, 10]],
    ]);
    expect(r.summary.testAccuracy).toBeGreaterThan(0.5);
    // conv1 (after ReLU) is ReLU of conv1's raw output: ReLU of each raw top-ℓ2 vector is the
    // ReLU'd map at one position, and that position has the largest raw norm (so ReLU'd values ≤ raw norm).
    const layer = (name: string) => r.bundle.layers.find((l) => l.name === name)!;
    const pre = layer("conv1:pre:top-l2").data;
    const post = layer("conv1").data;
    let negative = 0;
    for (let i = 0; i < 1797; i++) {
      const v = Array.from(pre.subarray(i * 8, i * 8 + 8));
      negative += v.filter((x) => x < 0).length;
      const found = Array.from({ length: 64 }, (_, p) =>
        v.every((x, c) => Math.abs(Math.max(0, x) - post[(i * 8 + c) * 64 + p]) <= 1e-6),
      ).some(Boolean);
      expect(found, `sample ${i}`).toBe(true);
    }
    expect(negative).toBeGreaterThan(1797); // raw outputs are signed
  });

  it("digits-cnn-seeds: one compact bundle per seed, the same 449 test images whatever the seed", async () => {
    const [main] = await run("digits-cnn", 1, 7);
    const [seeded] = await recipeNamed("digits-cnn-seeds")!.run({ digits }, { epochs: 1, seed: 3 });
    const [other] = await recipeNamed("digits-cnn-seeds")!.run({ digits }, { epochs: 1, seed: 4 });
    expect(seeded.name).toBe("digits-cnn-seed3");
    expect(seeded.bundle.layers.map((l) => [l.name, l.shape])).toEqual([
      ["conv1:pre:top-l2", [449, 8]],
      ["conv2:pre:top-l2", [449, 16]],
      ["conv3:pre:top-l2", [449, 32]],
    ]);
    expect(Array.from(seeded.bundle.split!)).toEqual(new Array(449).fill(1));
    // The split is the recipe's default (seed 42) whatever the training seed.
    const test = Array.from(main.bundle.split!.keys()).filter((i) => main.bundle.split![i] === 1);
    expect((seeded.bundle.meta as { indices: number[] }).indices).toEqual(test);
    expect(Array.from(seeded.bundle.labels!)).toEqual(test.map((i) => digits.labels[i]));
    expect(seeded.bundle.layers[0].data).not.toEqual(other.bundle.layers[0].data);
    expect(sha(zipBundle(seeded.bundle))).toBe(
      sha(
        zipBundle(
          (await recipeNamed("digits-cnn-seeds")!.run({ digits }, { epochs: 1, seed: 3 }))[0]
            .bundle,
        ),
      ),
    );
  });

  it("digits-rotation regresses the angle: predictions correlate with ±60° targets after a few epochs", async () => {
    const [r] = await run("digits-rotation", 3);
    const targets = r.bundle.targets!.data;
    expect(Math.min(...targets)).toBeGreaterThanOrEqual(-60);
    expect(Math.max(...targets)).toBeLessThan(60);
    expect(r.summary.testR2).toBeGreaterThan(0.5);
    expect(r.bundle.checkpoints![0].epoch).toBe(0);
  });
});

/** Recompute a bundle's accuracy on a split from its files alone. */
function accuracy(bundle: Bundle, which: 0 | 1): number {
  const p = bundle.predictions!;
  let correct = 0;
  let total = 0;
  for (let i = 0; i < bundle.samples; i++) {
    if (bundle.split![i] !== which) continue;
    let arg = 0;
    for (let c = 1; c < p.cols; c++) if (p.data[i * p.cols + c] > p.data[i * p.cols + arg]) arg = c;
    total++;
    if (arg === bundle.labels![i]) correct++;
  }
  return correct / total;
}

const EXAMPLES = new URL("../../data/examples/", import.meta.url);
const committed = (name: string) => {
  const file = new URL(`${name}.zip`, EXAMPLES);
  return existsSync(file) ? loadBundle(zipSource(readFileSync(file), `${name}.zip`)) : null;
};

describe("committed example bundles reach their bars (recomputed from the files)", () => {
  it.runIf(existsSync(new URL("digits-mlp.zip", EXAMPLES)))(
    "digits-mlp and digits-cnn: test accuracy ≥ 0.95",
    async () => {
      for (const name of ["digits-mlp", "digits-cnn"]) {
        const bundle = (await committed(name))!;
        expect(accuracy(bundle, 1), name).toBeGreaterThanOrEqual(0.95);
      }
    },
  );

  it.runIf(existsSync(new URL("digits-rotation.zip", EXAMPLES)))(
    "digits-rotation: test R² ≥ 0.90",
    async () => {
      const bundle = (await committed("digits-rotation"))!;
      const test = Array.from(bundle.split!.keys()).filter((i) => bundle.split![i] === 1);
      expect(
        rSquared(
          test.map((i) => bundle.predictions!.data[i]),
          test.map((i) => bundle.targets!.data[i]),
        ),
      ).toBeGreaterThanOrEqual(0.9);
    },
  );

  it.runIf(existsSync(new URL("fashion-cnn.zip", EXAMPLES)))(
    "fashion-cnn: accuracy ≥ 0.85 on its 2,000 test images",
    async () => {
      const bundle = (await committed("fashion-cnn"))!;
      expect(accuracy(bundle, 1)).toBeGreaterThanOrEqual(0.85);
      expect(bundle.layers.length).toBeGreaterThanOrEqual(4);
    },
  );

  it.runIf(existsSync(new URL("split-digits-naive.zip", EXAMPLES)))(
    "split-digits: naive forgets early tasks, rehearsal keeps ≥ 0.8",
    async () => {
      const early = (bundle: Bundle) => {
        let correct = 0;
        let total = 0;
        const p = bundle.predictions!;
        for (let i = 0; i < bundle.samples; i++) {
          if (bundle.split![i] !== 1 || bundle.labels![i] > 3) continue;
          let arg = 0;
          for (let c = 1; c < 10; c++) if (p.data[i * 10 + c] > p.data[i * 10 + arg]) arg = c;
          total++;
          if (arg === bundle.labels![i]) correct++;
        }
        return correct / total;
      };
      expect(early((await committed("split-digits-naive"))!)).toBeLessThan(0.2);
      expect(early((await committed("split-digits-rehearsal"))!)).toBeGreaterThanOrEqual(0.8);
    },
  );

  it.runIf(existsSync(new URL("digits-generalization-vanilla.zip", EXAMPLES)))(
    "digits-generalization: random labels and random pixels have the largest memorisation error",
    async () => {
      const index = JSON.parse(readFileSync(new URL("index.json", EXAMPLES), "utf8")).bundles as {
        name: string;
        recipe: string;
        seed?: number;
      }[];
      // One set of eight runs per seed (the default seed, 42, keeps the plain names).
      const seeds = [
        ...new Set(
          index.filter((e) => e.recipe === "digits-generalization").map((e) => e.seed ?? 42),
        ),
      ];
      expect(seeds.length).toBeGreaterThanOrEqual(3);
      for (const seed of seeds) {
        const errors: Record<string, number> = {};
        for (const { name } of index.filter(
          (e) => e.recipe === "digits-generalization" && (e.seed ?? 42) === seed,
        )) {
          errors[name.replace(/-seed\d+$/, "")] = (
            (await committed(name))!.meta as { memorizationError: number }
          ).memorizationError;
        }
        expect(Object.keys(errors)).toHaveLength(8);
        const ranked = Object.entries(errors)
          .sort((a, b) => b[1] - a[1])
          .map(([n]) => n);
        expect(ranked.slice(0, 2).sort()).toEqual([
          "digits-generalization-random-labels",
          "digits-generalization-random-pixels",
        ]);
      }
    },
  );
});

describe("committed seed-study bundles", () => {
  const index = () =>
    JSON.parse(readFileSync(new URL("index.json", EXAMPLES), "utf8")).bundles as {
      name: string;
      recipe: string;
      summary: { testAccuracy: number };
    }[];

  for (const [net, images, layers, bar] of [
    ["digits-cnn", 449, [8, 16, 32], 0.93],
    ["fashion-cnn", 2000, [8, 16, 32, 64], 0.85],
  ] as const) {
    it.runIf(existsSync(new URL(`${net}-seed1.zip`, EXAMPLES)))(
      `${net}: five seeds, the raw conv outputs of the main bundle's test images, each trained (accuracy ≥ ${bar})`,
      async () => {
        const main = (await committed(net))!;
        const tests = Array.from(main.split!.keys()).filter((i) => main.split![i] === 1);
        const entries = index().filter((e) => e.recipe === `${net}-seeds`);
        expect(entries.map((e) => e.name)).toEqual([1, 2, 3, 4, 5].map((s) => `${net}-seed${s}`));
        for (const e of entries) {
          expect(e.summary.testAccuracy, e.name).toBeGreaterThanOrEqual(bar);
          const b = (await committed(e.name))!;
          expect(b.samples).toBe(images);
          expect(b.layers.map((l) => [l.name, l.shape])).toEqual(
            layers.map((c, k) => [`conv${k + 1}:pre:top-l2`, [images, c]]),
          );
          expect(Array.from(b.labels!)).toEqual(tests.map((i) => main.labels![i]));
          // Another network: its raw outputs differ from the main bundle's on the same images.
          const own = main.layers.find((l) => l.name === "conv1:pre:top-l2")!;
          expect(Array.from(b.layers[0].data.subarray(0, 8))).not.toEqual(
            Array.from(own.data.subarray(tests[0] * 8, tests[0] * 8 + 8)),
          );
        }
      },
    );
  }
});

// 25 MB, plus 15 MB for the layer-topology seed study and 5 MB for two more seeds of the eight
// digits-generalization runs that give M-PHATE's generalisation ρ a spread over seeds.
it("the committed example bundles stay within 45 MB together", async () => {
  const { readdirSync, statSync } = await import("node:fs");
  const dir = new URL("../../data/examples/", import.meta.url);
  if (!existsSync(dir)) return;
  const total = readdirSync(dir)
    .filter((f) => f.endsWith(".zip"))
    .reduce((s, f) => s + statSync(new URL(f, dir)).size, 0);
  expect(total).toBeLessThanOrEqual(45e6);
});
