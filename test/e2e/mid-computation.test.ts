/**
 * End-to-end: in every notebook a person moves a control while a run is in flight. The page
 * must end on the result for the new value (a number a correct program must show for it), with
 * no error cell, and the run's progress bar must go from "running" to "done" once: never "done"
 * while the superseded run is being cancelled and the new one is still computing.
 *
 * Each notebook opens on a small example so that the whole file takes about a minute and a half.
 */
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import {
  barStatesSinceMove,
  moveWhileRunning,
  settled,
  useSite,
  watchedPage,
  type MoveWhileRunning,
} from "./browser.ts";

const site = useSite();
const EXAMPLES = fileURLToPath(new URL("../../data/examples/", import.meta.url));

/** Open `path`, move the control at the first moment `move.bar` runs, wait for `expected` text. */
async function interrupted(
  path: string,
  move: MoveWhileRunning,
  expected: RegExp | string,
  timeout = 120_000,
): Promise<{ page: Page; errors: string[]; states: string[] }> {
  const { page, errors, external } = await watchedPage(site.browser);
  await moveWhileRunning(page, move);
  await page.goto(site.url + path);
  await barStatesSinceMove(page, timeout);
  await page.getByText(expected).first().waitFor({ timeout });
  await settled(page, timeout);
  const states = await barStatesSinceMove(page);
  expect(external).toEqual([]);
  expect(await page.locator(".observablehq--error").count()).toBe(0);
  // The bar of the interrupted run: running until the new result, then done — once.
  expect(states).toEqual(["running", "done"]);
  expect(
    await page
      .locator(".atlas-progress[data-state=failed], .atlas-progress[data-state=cancelled]")
      .count(),
  ).toBe(0);
  return { page, errors, states };
}

describe("a control moved while a run is in flight", () => {
  it("explore: the layer changes during the PCA; the page shows the new layer's variance", async () => {
    const { loadBundleFromPath } = await import("../../src/io/node.ts");
    const { exploreAnalysis } = await import("../../src/analyses/explore.ts");
    const bundle = await loadBundleFromPath(EXAMPLES + "digits-cnn.zip");
    const { projection } = await exploreAnalysis(bundle, {
      layer: "logits",
      maxPoints: bundle.samples,
    });
    const [pc1, pc2] = Array.from(projection.explainedVarianceRatio.slice(0, 2), (r) =>
      (100 * r).toFixed(1),
    );

    const { page, errors } = await interrupted(
      "explore.html?data=digits-cnn&layer=gap",
      { control: '[data-param="layer"]', value: "logits", bar: "progress of the layer's PCA" },
      "logits: PCA",
    );
    expect(await page.locator("main").innerText()).toContain(
      `PC1 and PC2 hold ${pc1} % and ${pc2} % of the variance`,
    );
    expect(page.url()).toMatch(/[?&]layer=logits\b/);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("mapper: the overlap changes while the graphs are built; the page shows Node's graph for the new overlap", async () => {
    const { loadBundleFromPath } = await import("../../src/io/node.ts");
    const { mapperAnalysis } = await import("../../src/analyses/mapper.ts");
    const bundle = await loadBundleFromPath(EXAMPLES + "digits-mlp.zip");
    const logits = (await mapperAnalysis(bundle, { overlap: 0.25 })).layers.find(
      (l) => l.layer === "logits",
    )!;

    const heading = `logits: ${logits.nodes.length} nodes, ${logits.links.length} edges`;
    const { page, errors } = await interrupted(
      "mapper.html?data=digits-mlp&overlap=0.5",
      { control: '[data-param="overlap"]', value: 0.25, bar: "progress of the Mapper graphs" },
      heading,
    );
    expect(page.url()).toMatch(/[?&]overlap=0\.25\b/);
    expect(await page.locator("figure.atlas-mapper").first().locator("g[data-node]").count()).toBe(
      logits.nodes.length,
    );
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("som-codes: the grid changes while the maps train; every map has the new grid's 36 nodes", async () => {
    const { page, errors } = await interrupted(
      "som-codes.html?data=digits-mlp&epochs=3&rows=5&cols=6",
      { control: '[data-param="rows"]', value: 6, bar: "progress of the self-organising maps" },
      /of 36 nodes used/,
    );
    expect(page.url()).toMatch(/[?&]rows=6\b/);
    expect(await page.getByText(/of 30 nodes used/).count()).toBe(0);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("layer-topology: the sample count changes during the persistence diagrams; H0 has one pair per sample", async () => {
    const { page, errors } = await interrupted(
      "layer-topology.html?data=digits-cnn&samples=60&maxdim=1",
      { control: '[data-param="samples"]', value: 80, bar: "progress of the persistence diagrams" },
      /: 80 H0 pairs/,
    );
    expect(page.url()).toMatch(/[?&]samples=80\b/);
    expect(await page.getByText(/: 60 H0 pairs/).count()).toBe(0);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("mda: the subsample changes during the layouts; every layout has the new number of points", async () => {
    const { page, errors } = await interrupted(
      "mda.html?data=digits-rotation&layer=fc&maxPoints=100&iterations=30&seedRuns=0",
      { control: '[data-param="maxPoints"]', value: 150, bar: "progress of the layouts" },
      /fc after training \(\d+ dimensions, 150 points\)/,
    );
    expect(await page.getByText(/, 100 points\)/).count()).toBe(0);
    expect(page.url()).toMatch(/[?&]maxPoints=150\b/);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("mphate: the checkpoint stride changes during the embedding; the units are drawn at the new checkpoints", async () => {
    // digits-mlp has checkpoints 0…100: every 9th is 0, 9, …, 99, and the last (100) is always kept.
    const { page, errors } = await interrupted(
      "mphate.html?epochStride=10&generalizationLandmarks=100&ariSeeds=1",
      {
        control: '[data-param="epochStride"]',
        value: 9,
        bar: "progress of the training-dynamics embedding",
      },
      /96 units × 13 checkpoints \(epochs 0–100\)/,
      400_000,
    );
    // The embedding is a pointScatter (every point on a canvas): its label counts the points.
    expect(
      await page.locator(".atlas-point-scatter figure").first().getAttribute("aria-label"),
    ).toContain(`${(96 * 13).toLocaleString("en")} points`);
    expect(page.url()).toMatch(/[?&]epochStride=9\b/);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 500_000);

  it("examples: the epochs change during training; the bundle is the one Node trains for the new count", async () => {
    const { recipeNamed } = await import("../../src/examples/index.ts");
    const { loadDigits } = await import("../../src/examples/node.ts");
    const { zipBundle } = await import("../../src/io/bundle-write.ts");
    const [node] = await recipeNamed("digits-mlp")!.run(
      { digits: await loadDigits() },
      { epochs: 2, seed: 42 },
    );
    const expected = createHash("sha256").update(zipBundle(node.bundle)).digest("hex");

    const { page, errors, external } = await watchedPage(site.browser);
    await moveWhileRunning(page, {
      control: "form:has(input[type=range])",
      value: 2,
      bar: "progress of the training",
    });
    await page.goto(site.url + "examples.html?recipe=digits-mlp&epochs=4&seed=42");
    await settled(page);
    await page.getByRole("button", { name: "Train" }).click();
    await barStatesSinceMove(page);
    await page.getByText(expected).waitFor({ timeout: 120_000 });
    await settled(page);
    expect(await barStatesSinceMove(page)).toEqual(["running", "done"]);
    expect(page.url()).toMatch(/[?&]epochs=2\b/);
    expect(await page.locator(".observablehq--error").count()).toBe(0);
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
    await page.context().close();
  }, 180_000);
});
