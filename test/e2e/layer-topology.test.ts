/**
 * End-to-end: the layer-topology notebook on the built site (npm run build) in Chromium. It opens
 * on digits-cnn and fashion-cnn without errors or off-machine requests, draws a barcode, a
 * diagram, both heatmaps and the sensitivity curves; sliders re-render (layer, metric) and
 * recompute (samples); the report carries the parameters.
 */
import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { useSite, watchedPage } from "./browser.ts";

const site = useSite();

async function settled(page: Page) {
  await page.locator("h2.atlas-layer-title").waitFor({ timeout: 120_000 });
  await page.waitForFunction(() => !document.querySelector(".observablehq--running, .observablehq--pending"), null, { timeout: 120_000 });
}

const heading = (page: Page) => page.locator("h2.atlas-layer-title").innerText();

describe("layer-topology notebook", () => {
  it("digits-cnn: per-layer diagrams, both heatmaps, sensitivity; layer, metric and samples sliders re-render", async () => {
    const { page, errors, external } = await watchedPage(site.browser);
    await page.goto(site.url + "layer-topology.html?data=digits-cnn&samples=200");
    await settled(page);
    expect(await heading(page)).toMatch(/^conv1: 200 H0 pairs, \d+ H1 pairs · 8-dimensional vectors$/);
    // The layer table: one row per layer.
    expect(await page.getByText("What the numbers show").count()).toBe(1);
    expect(await page.locator("main").innerText()).toContain("distance between consecutive layers: conv1→conv2");
    // Barcode and diagram, with their legends.
    const figures = page.locator(".atlas-row figure");
    expect(await figures.count()).toBeGreaterThanOrEqual(4);
    expect(await page.locator(".atlas-row").first().innerText()).toMatch(/H0[\s\S]*H1/);
    // Two 5 × 5 heatmaps.
    const cells = await page.locator(".atlas-row svg g[aria-label=cell] rect").count();
    expect(cells).toBe(50);

    // Layer slider: conv3 is layer 2.
    const layerSlider = page.locator("form").filter({ hasText: "Layer (depth)" }).locator("input[type=range]");
    await layerSlider.fill("2");
    await page.waitForFunction(() => document.querySelector("h2.atlas-layer-title")?.textContent?.startsWith("conv3"));
    expect(await heading(page)).toContain("32-dimensional vectors");
    expect(page.url()).toMatch(/layer=conv3/);

    // Metric radio: the left heatmap's title follows.
    await page.locator("form").filter({ hasText: "Distance" }).getByText("bottleneck (L∞)").click();
    await page.getByText("bottleneck (L∞)", { exact: true }).last().waitFor();
    expect(await page.locator(".atlas-row h2, .atlas-row figure h2").allInnerTexts()).toContain("bottleneck (L∞)");
    expect(page.url()).toMatch(/metric=bottleneck/);

    // Samples slider: recomputed in the worker with the new size.
    const samples = page.locator("form").filter({ hasText: "Samples per layer" }).locator("input[type=range]");
    await samples.fill("150");
    await page.waitForFunction(() => /150 H0 pairs/.test(document.querySelector("h2.atlas-layer-title")?.textContent ?? ""), null, { timeout: 120_000 });
    expect(await page.locator(".atlas-progress[data-state=done]").count()).toBeGreaterThan(0);

    // The sensitivity test can remove the top principal directions instead.
    await page.locator("form").filter({ hasText: "Sensitivity test removes" }).getByText("top principal directions").click();
    await page.getByText("removing the most significant").first().waitFor({ timeout: 120_000 });
    expect(page.url()).toMatch(/sensitivityRemove=highest/);

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export report" }).click()]);
    const html = readFileSync((await download.path())!, "utf8");
    expect(html).toContain("Layer topology · digits-cnn");
    expect(html).toContain("<th>samples</th><td>150</td>");
    expect(html).toContain("<th>metric</th><td>bottleneck</td>");
    expect(html).toMatch(/<svg[^>]*class="plot-/);
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
    await page.context().close();
  }, 240_000);

  it("fashion-cnn: six layers, every block's top-ℓ2 cloud", async () => {
    const { page, errors, external } = await watchedPage(site.browser);
    await page.goto(site.url + "layer-topology.html?data=fashion-cnn&samples=150");
    await settled(page);
    expect(await heading(page)).toMatch(/^block1: 150 H0 pairs/);
    expect(await page.locator(".atlas-row svg g[aria-label=cell] rect").count()).toBe(72);
    expect(await page.locator("main").innerText()).toContain("block3→block4");
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
    await page.context().close();
  }, 240_000);
});
