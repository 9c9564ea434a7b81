/**
 * End-to-end: the layer-topology notebook on the built site (npm run build) in Chromium. It opens
 * on digits-cnn and fashion-cnn without errors or off-machine requests with the paper's claim and
 * the seed study's numbers first (the same numbers as the library computes in Node), draws a
 * barcode, a diagram, both heatmaps and the sensitivity curves of the raw conv outputs; sliders
 * re-render (layer, metric) and recompute (samples); the report carries the parameters and the
 * seed study; clicking an H1 bar draws its representative cycle as a closed loop with thumbnails and
 * exports it.
 */
import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { resolveParams } from "../../src/analyses/descriptor.ts";
import { layerTopologyDescriptor, seedStudy } from "../../src/analyses/layer-topology.ts";
import { loadBundle } from "../../src/io/bundle.ts";
import { zipSource } from "../../src/io/sources.ts";
import { useSite, watchedPage } from "./browser.ts";

const site = useSite();

const example = (name: string) =>
  loadBundle(
    zipSource(
      readFileSync(new URL(`../../data/examples/${name}.zip`, import.meta.url)),
      `${name}.zip`,
    ),
  );

/** The seed study's headline numbers as Node computes them (the notebook must show the same). */
async function nodeSpecificity(net: string, samples: number): Promise<string[]> {
  const bundles = await Promise.all(
    [net, ...[1, 2, 3, 4, 5].map((s) => `${net}-seed${s}`)].map(example),
  );
  const s = await seedStudy(
    bundles,
    resolveParams(layerTopologyDescriptor, bundles[0], { samples, split: "test" }),
  );
  const pm = (x: { mean: number; sd: number }) => `${x.mean.toFixed(2)} ± ${x.sd.toFixed(2)}`;
  return [pm(s.specificity.sliced.raw), pm(s.specificity.sliced.rms), pm(s.specificity.cka)];
}

/** The single-network heatmaps (the seed study's rows are .atlas-seeds). */
const ownCells = ".atlas-row:not(.atlas-seeds) svg g[aria-label=cell] rect";

async function settled(page: Page) {
  await page.locator("h2.atlas-layer-title").waitFor({ timeout: 120_000 });
  await page.waitForFunction(
    () => !document.querySelector(".observablehq--running, .observablehq--pending"),
    null,
    { timeout: 120_000 },
  );
}

const heading = (page: Page) => page.locator("h2.atlas-layer-title").innerText();

describe("layer-topology notebook", () => {
  it("digits-cnn: per-layer diagrams, both heatmaps, sensitivity; layer, metric and samples sliders re-render", async () => {
    const { page, errors, external } = await watchedPage(site.browser);
    await page.goto(site.url + "layer-topology.html?data=digits-cnn&samples=200");
    await settled(page);
    expect(await heading(page)).toMatch(
      /^conv1:pre:top-l2: 200 H0 pairs, \d+ H1 pairs · 8-dimensional vectors$/,
    );
    // The claim and the seed study come first, with the numbers the library computes in Node.
    await page.getByText("Where we confirm it, where not, and why.").waitFor({ timeout: 120_000 });
    const main = await page.locator("body").innerText(); // the claim sits in the lead area above <main>
    expect(main.indexOf("The claim, our numbers over seeds")).toBeLessThan(
      main.indexOf("One network in detail"),
    );
    expect(main).toContain("Where we confirm it, where not, and why.");
    const [raw, rms, cka] = await nodeSpecificity("digits-cnn", 200);
    expect(main).toContain(
      `the nearest layer is the same layer for ${raw} of the layers (chance 1/3 = 0.33)`,
    );
    expect(main).toContain(`each layer by its RMS spread: ${rms}`);
    expect(main).toContain(`Linear CKA of the same point clouds: ${cka}`);
    expect(main).toContain(
      "6 networks (digits-cnn, digits-cnn-seed1, digits-cnn-seed2, digits-cnn-seed3, digits-cnn-seed4, digits-cnn-seed5: the same architecture trained from 6 seeds), the same 200 test images",
    );
    // Three 3 × 3 spread heatmaps (mean ± sd) and the scale chart.
    expect(await page.locator(".atlas-seeds svg g[aria-label=cell] rect").count()).toBe(27);
    expect(await page.locator(".atlas-seeds").first().innerText()).toMatch(/±/);
    // Barcode and diagram, with their legends.
    const figures = page.locator(".atlas-row figure");
    expect(await figures.count()).toBeGreaterThanOrEqual(4);
    expect(
      await page
        .locator(".atlas-row:not(.atlas-seeds)", { hasText: "persistence diagram" })
        .first()
        .innerText(),
    ).toMatch(/H0[\s\S]*H1/);
    // Two 3 × 3 heatmaps of the raw conv outputs.
    expect(await page.locator(ownCells).count()).toBe(18);

    // The longest H1 bar's cycle is drawn first; clicking another H1 bar draws its closed loop.
    const loop = page.locator(".atlas-cycle path.atlas-cycle-path");
    await loop.waitFor({ timeout: 60_000 });
    const bars = page.locator("figure rect[data-pair]");
    const picked = await bars.nth(3).getAttribute("data-pair");
    await bars.nth(3).click();
    await page.waitForFunction(
      (bar) =>
        [...document.querySelectorAll("h3")].some(
          (h) => h.textContent === `Cycle of H1 bar ${bar} — click another bar or point above`,
        ),
      picked,
      { timeout: 60_000 },
    );
    expect(await loop.getAttribute("data-closed")).toBe("true");
    const d = (await loop.getAttribute("d"))!;
    expect(d).toMatch(/^M[-\d.]+,[-\d.]+(L[-\d.]+,[-\d.]+){2,}Z$/);
    const vertices = d.slice(1, -1).split("L").length;
    expect(await page.locator(".atlas-cycle circle.atlas-cycle-vertex").count()).toBe(vertices);
    expect(await page.locator(".atlas-cycle ol.atlas-cycle-rows li img").count()).toBe(vertices); // a thumbnail per input
    expect(await page.locator(".atlas-cycle-caption").innerText()).toContain(
      `${vertices} inputs, ${vertices} edges, one closed loop`,
    );
    expect(page.url()).toContain(`bar=${picked}`);
    const [cycleCsv] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Export cycle CSV" }).click(),
    ]);
    const lines = readFileSync((await cycleCsv.path())!, "utf8")
      .trim()
      .split(/\r\n/);
    expect(lines[0]).toBe("step,from row,to row,from point,to point");
    expect(lines).toHaveLength(vertices + 1);
    const edges = lines.slice(1).map((l) => l.split(",").map(Number));
    edges.forEach((e, k) => expect(edges[(k + 1) % edges.length][1]).toBe(e[2])); // each edge starts where the last ended, and the walk closes

    // Layer slider: conv3's raw output is layer 2.
    const layerSlider = page
      .locator("form")
      .filter({ hasText: "Layer (depth)" })
      .locator("input[type=range]");
    await layerSlider.fill("2");
    await page.waitForFunction(() =>
      document.querySelector("h2.atlas-layer-title")?.textContent?.startsWith("conv3:pre:top-l2"),
    );
    expect(await heading(page)).toContain("32-dimensional vectors");
    expect(page.url()).toMatch(/layer=conv3%3Apre%3Atop-l2|layer=conv3:pre:top-l2/);

    // Metric radio: the left heatmap's title follows.
    await page.locator("form").filter({ hasText: "Distance" }).getByText("bottleneck (L∞)").click();
    await page.getByText("bottleneck (L∞)", { exact: true }).last().waitFor();
    expect(await page.locator(".atlas-row h2, .atlas-row figure h2").allInnerTexts()).toContain(
      "bottleneck (L∞)",
    );
    expect(page.url()).toMatch(/metric=bottleneck/);

    // Samples slider: recomputed in the worker with the new size.
    const samples = page
      .locator("form")
      .filter({ hasText: "Samples per layer" })
      .locator("input[type=range]");
    await samples.fill("150");
    await page.waitForFunction(
      () => /150 H0 pairs/.test(document.querySelector("h2.atlas-layer-title")?.textContent ?? ""),
      null,
      { timeout: 120_000 },
    );
    expect(await page.locator(".atlas-progress[data-state=done]").count()).toBeGreaterThan(0);

    // The sensitivity test can remove the top principal directions instead.
    await page
      .locator("form")
      .filter({ hasText: "Sensitivity test removes" })
      .getByText("top principal directions")
      .click();
    await page.getByText("removing the most significant").first().waitFor({ timeout: 120_000 });
    await page.waitForURL(/sensitivityRemove=highest/, { timeout: 60_000 });

    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Export report" }).click(),
    ]);
    const html = readFileSync((await download.path())!, "utf8");
    expect(html).toContain("Layer topology · digits-cnn");
    expect(html).toContain("<th>samples</th><td>150</td>");
    expect(html).toContain("<th>metric</th><td>bottleneck</td>");
    expect(html).toMatch(/<svg[^>]*class="plot-/);
    expect(html).toContain("The paper&#39;s claim and what we measured over seeds");
    expect(html).toContain("<th>seedStudy</th><td>digits-cnn, digits-cnn-seed1");
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
    await page.context().close();
  }, 240_000);

  it("fashion-cnn: the raw outputs of its four conv layers, over six seeds", async () => {
    const { page, errors, external } = await watchedPage(site.browser);
    await page.goto(site.url + "layer-topology.html?data=fashion-cnn&samples=150");
    await settled(page);
    expect(await heading(page)).toMatch(/^conv1:pre:top-l2: 150 H0 pairs/);
    expect(await page.locator(ownCells).count()).toBe(32);
    const [raw, , cka] = await nodeSpecificity("fashion-cnn", 150);
    await page.getByText("Where we confirm it, where not, and why.").waitFor({ timeout: 120_000 });
    const main = await page.locator("body").innerText(); // the claim sits in the lead area above <main>
    expect(main).toContain(
      `the nearest layer is the same layer for ${raw} of the layers (chance 1/4 = 0.25)`,
    );
    expect(main).toContain(`Linear CKA of the same point clouds: ${cka}`);
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
    await page.context().close();
  }, 240_000);
});
