/**
 * End-to-end: the notebooks' scatters draw every point (pointScatter) in Chromium. On explore
 * (the committed digits, 1,797 samples) a shift-drag lasso selects exactly the samples whose
 * drawn positions lie inside the stroke (tested here against the page's own positions), the
 * panel lists them and the CSV and JSON exports hold them; on mapper the linked scatter's hover
 * shows the tooltip and thumbnail of the sample nearest to the cursor.
 */
import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { settled, useSite, watchedPage } from "./browser.ts";

const site = useSite();

interface ScatterProbe {
  /** Where each sample is drawn, CSS px from the plot area's top-left (null when not drawn). */
  at: ({ x: number; y: number } | null)[];
  /** Page px per plot-area px (the figure may be scaled to its column). */
  scale: number;
  origin: { x: number; y: number };
}

/** The drawn positions of every sample of the nth point scatter on the page, read from the page itself. */
async function probe(page: Page, nth = 0): Promise<ScatterProbe> {
  const area = page.locator(".atlas-point-scatter .atlas-plot-area").nth(nth);
  const box = (await area.boundingBox())!;
  const { at, width } = await area.evaluate((el) => {
    const scatter = el.closest(".atlas-point-scatter") as HTMLElement & {
      locate(i: number): { x: number; y: number };
      pick(x: number, y: number): number | null;
    };
    const label = el.closest("figure")!.getAttribute("aria-label")!;
    const total = Number(/^Scatter plot of ([\d,]+) points/.exec(label)![1].replaceAll(",", ""));
    return {
      at: Array.from({ length: total }, (_, i) => scatter.locate(i)),
      width: parseFloat((el as HTMLElement).style.width),
    };
  });
  return { at, scale: box.width / width, origin: { x: box.x, y: box.y } };
}

/** Even–odd point-in-polygon, written out here independently of the view's grid. */
function inside(px: number, py: number, polygon: [number, number][]): boolean {
  let odd = false;
  for (let k = 0; k < polygon.length; k++) {
    const [xi, yi] = polygon[k];
    const [xj, yj] = polygon[(k + 1) % polygon.length];
    if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) odd = !odd;
  }
  return odd;
}

describe("notebook scatters", () => {
  it("explore: a lasso selects exactly the drawn samples inside it, lists them and exports them", async () => {
    const { page, errors, external } = await watchedPage(site.browser);
    await page.goto(site.url + "explore.html?data=digits");
    await page.locator(".atlas-point-scatter canvas.atlas-points").waitFor({ timeout: 60_000 });
    await settled(page);
    // Every one of the 1,797 samples is drawn.
    expect(await page.locator(".atlas-point-scatter figure").getAttribute("aria-label")).toMatch(
      /^Scatter plot of 1,797 points: PC1/,
    );
    const { at, scale, origin } = await probe(page);
    expect(at.length).toBe(1797);
    // A star around the middle of the cloud, in plot-area px.
    const xs = at.map((p) => p!.x).sort((a, b) => a - b);
    const ys = at.map((p) => p!.y).sort((a, b) => a - b);
    const [cx, cy] = [xs[898], ys[898]];
    const reach = 0.35 * Math.min(xs[1700] - xs[96], ys[1700] - ys[96]);
    const stroke: [number, number][] = [];
    for (let k = 0; k < 20; k++) {
      const a = (k / 20) * 2 * Math.PI;
      const radius = k % 2 === 0 ? reach : 0.6 * reach;
      stroke.push([cx + radius * Math.cos(a), cy + radius * Math.sin(a)]);
    }
    await page.keyboard.down("Shift");
    await page.mouse.move(origin.x + stroke[0][0] * scale, origin.y + stroke[0][1] * scale);
    await page.mouse.down();
    for (const [px, py] of [...stroke.slice(1), stroke[0]])
      await page.mouse.move(origin.x + px * scale, origin.y + py * scale);
    await page.mouse.up();
    await page.keyboard.up("Shift");
    const expected: number[] = [];
    at.forEach((p, i) => {
      if (inside(p!.x, p!.y, stroke)) expected.push(i);
    });
    expect(expected.length).toBeGreaterThan(20);
    expect(expected.length).toBeLessThan(1797);
    await expect
      .poll(() => page.locator(".atlas-selection-count").innerText())
      .toBe(`${expected.length.toLocaleString("en-US")} points selected`);
    const selection = await page
      .locator(".atlas-point-scatter")
      .evaluate((el) => Array.from((el as HTMLElement & { selection: Int32Array }).selection));
    expect(selection).toEqual(expected);
    // The panel lists the first rows: sample, PC1, PC2, label, description.
    const rows = page.locator("table.atlas-selection-rows tbody tr");
    expect(await rows.count()).toBe(Math.min(10, expected.length));
    expect((await rows.locator("td:first-child").allInnerTexts()).map(Number)).toEqual(
      expected.slice(0, 10),
    );
    expect(await rows.first().locator("td").last().innerText()).toMatch(
      new RegExp(`^#${expected[0]} · label \\d`),
    );
    // The exports hold every selected row.
    const [csvFile] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Export CSV" }).click(),
    ]);
    expect(csvFile.suggestedFilename()).toBe("digits-pixels-selection.csv");
    const csv = readFileSync((await csvFile.path())!, "utf8")
      .trimEnd()
      .split("\r\n");
    expect(csv[0]).toMatch(
      /^sample,PC1 \([\d.]+ % of variance\) →,↑ PC2 \([\d.]+ % of variance\),label,description$/,
    );
    expect(csv.slice(1).map((line) => Number(line.split(",")[0]))).toEqual(expected);
    const [jsonFile] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Export JSON" }).click(),
    ]);
    const json = JSON.parse(readFileSync((await jsonFile.path())!, "utf8")) as {
      sample: number;
      label: string;
    }[];
    expect(json.map((r) => r.sample)).toEqual(expected);
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
    await page.context().close();
  }, 90_000);

  it("mapper: hovering the linked scatter shows the nearest sample's tooltip with its thumbnail", async () => {
    const { page, errors, external } = await watchedPage(site.browser);
    await page.goto(site.url + "mapper.html?data=digits-mlp");
    await page.locator(".atlas-point-scatter canvas.atlas-points").waitFor({ timeout: 90_000 });
    await settled(page);
    const { at, scale, origin } = await probe(page);
    // Every input is drawn in the linked scatter.
    expect(at.length).toBe(1797);
    for (const i of [3, 700, 1500]) {
      await page.mouse.move(origin.x + at[i]!.x * scale, origin.y + at[i]!.y * scale);
      await page.waitForFunction(() => {
        const tip = document.querySelector<HTMLElement>(".atlas-point-scatter .atlas-tooltip");
        return tip?.style.display === "block" && tip.dataset.sample !== undefined;
      });
      const shown = Number(await page.locator(".atlas-tooltip").getAttribute("data-sample"));
      // Brute force over the page's own positions: the sample drawn nearest to the cursor.
      let best = -1;
      let bestD = Infinity;
      at.forEach((p, k) => {
        const d = (p!.x - at[i]!.x) ** 2 + (p!.y - at[i]!.y) ** 2;
        if (d < bestD) [best, bestD] = [k, d];
      });
      // Points drawn on the same spot are equally near: the tooltip names one of them.
      expect((at[shown]!.x - at[i]!.x) ** 2 + (at[shown]!.y - at[i]!.y) ** 2).toBeLessThanOrEqual(
        bestD + 1e-9,
      );
      expect(await page.locator(".atlas-tooltip").innerText()).toMatch(
        new RegExp(`^#${shown} · label \\d`),
      );
      expect(await page.locator(".atlas-tooltip img").getAttribute("src")).toMatch(
        /^data:image\/png;base64,/,
      );
      expect(await page.locator(".atlas-tooltip img").getAttribute("alt")).toBe(
        `input of sample ${shown}`,
      );
      expect(best).toBeGreaterThanOrEqual(0);
    }
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
    await page.context().close();
  }, 120_000);
});
