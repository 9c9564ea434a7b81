/**
 * End-to-end: pointScatter in Chromium on a test-only page (test/e2e/pages/scatter.html, built
 * here with Vite): 100,000 seeded points drawn with WebGL2, hover shows the tooltip of the
 * point under the cursor, a lasso drag selects exactly the points inside it (checked with a
 * point-in-polygon test written here) and exports them, the wheel zooms and the axes follow,
 * and the keyboard moves a focus among the points and selects one.
 */
import { readFileSync, rmSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launch, serveSite, watchedPage } from "./browser.ts";
import { buildScatterPage } from "./scatter-page.ts";

let dir = "";
let server: Awaited<ReturnType<typeof serveSite>>;
let browser: Browser;

beforeAll(async () => {
  dir = await buildScatterPage();
  server = await serveSite(dir);
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function open(query: string): Promise<{ page: Page; errors: string[] }> {
  const { page, errors, external } = await watchedPage(browser);
  await page.goto(`${server.url}scatter.html?${query}`);
  await page.waitForFunction(() => window.scatterTest !== undefined, null, { timeout: 60_000 });
  expect(external).toEqual([]);
  return { page, errors };
}

/** The plot area's top-left corner on the page. */
async function areaOrigin(page: Page): Promise<{ x: number; y: number }> {
  const box = (await page.locator(".atlas-plot-area").boundingBox())!;
  return { x: box.x, y: box.y };
}

/** Even–odd point-in-polygon, written out here independently of the view's grid. */
function inside(px: number, py: number, polygon: ArrayLike<number>): boolean {
  let odd = false;
  const m = polygon.length / 2;
  for (let k = 0; k < m; k++) {
    const j = (k + 1) % m;
    const [xi, yi, xj, yj] = [
      polygon[2 * k],
      polygon[2 * k + 1],
      polygon[2 * j],
      polygon[2 * j + 1],
    ];
    if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) odd = !odd;
  }
  return odd;
}

describe("pointScatter in Chromium", () => {
  it("draws 100,000 points with WebGL2 under Plot axes and a swatch legend, with an aria-label", async () => {
    const { page, errors } = await open("n=100000");
    expect(await page.evaluate(() => window.scatterTest.scatter.renderer)).toBe("webgl");
    expect(await page.locator("figure").getAttribute("aria-label")).toBe(
      "Scatter plot of 100,000 points: UMAP 1 (no unit) → against ↑ UMAP 2 (no unit), coloured by class",
    );
    const swatches = await page.locator("[class$='-swatch']").allInnerTexts();
    expect(swatches.map((s) => s.trim())).toEqual([
      "T-shirt",
      "Trouser",
      "Pullover",
      "Dress",
      "Coat",
      "Sandal",
      "Shirt",
      "Sneaker",
      "Bag",
      "Ankle boot",
    ]);
    expect(await page.getByText("UMAP 1 (no unit) →").count()).toBe(1);
    // The canvas holds the points: read it back and find the class colours where the clusters are.
    const painted = await page.evaluate(() => {
      const canvas = document.querySelector("canvas.atlas-points") as HTMLCanvasElement;
      const copy = document.createElement("canvas");
      copy.width = canvas.width;
      copy.height = canvas.height;
      const context = copy.getContext("2d")!;
      context.drawImage(canvas, 0, 0);
      const { data } = context.getImageData(0, 0, copy.width, copy.height);
      let covered = 0;
      for (let k = 3; k < data.length; k += 4) if (data[k] > 0) covered++;
      // The pixel under sample 0 (class T-shirt, drawn first, so possibly covered) and under the
      // last sample (class Ankle boot, drawn last, on top of everything).
      const scatter = window.scatterTest.scatter;
      const last = window.scatterTest.x.length - 1;
      const at = scatter.locate(last);
      const ratio = canvas.width / canvas.getBoundingClientRect().width;
      const o =
        (Math.floor((at.y - 24) * ratio) * copy.width + Math.floor((at.x - 56) * ratio)) * 4;
      return { share: covered / (data.length / 4), last: Array.from(data.subarray(o, o + 3)) };
    });
    expect(painted.share).toBeGreaterThan(0.25);
    expect(painted.share).toBeLessThan(0.95);
    expect(painted.last).toEqual([0x94, 0x98, 0xa0]); // observable10's tenth colour, Ankle boot
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("hover shows the tooltip of the point nearest to the cursor", async () => {
    const { page, errors } = await open("n=100000");
    const origin = await areaOrigin(page);
    for (const i of [5, 4_321, 77_777, 99_999]) {
      const at = await page.evaluate((i) => window.scatterTest.scatter.locate(i), i);
      await page.mouse.move(origin.x + at.x, origin.y + at.y);
      await page.waitForFunction(
        () => document.querySelector<HTMLElement>(".atlas-tooltip")?.style.display === "block",
      );
      const shown = Number(await page.locator(".atlas-tooltip").getAttribute("data-sample"));
      // Brute force over every point: the one nearest (on screen) to where the cursor is.
      const expected = await page.evaluate(
        ([cx, cy]) => {
          const { scatter, x } = window.scatterTest;
          let best = -1;
          let bestD = Infinity;
          for (let k = 0; k < x.length; k++) {
            const p = scatter.locate(k);
            const d = (p.x - cx) ** 2 + (p.y - cy) ** 2;
            if (d < bestD) {
              bestD = d;
              best = k;
            }
          }
          return { best, distance: Math.sqrt(bestD) };
        },
        [at.x, at.y],
      );
      expect(shown).toBe(expected.best);
      expect(expected.distance).toBeLessThan(1);
      const names = [
        "T-shirt",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
      ];
      expect(await page.locator(".atlas-tooltip").innerText()).toBe(
        `sample #${shown} · ${names[shown % 10]}`,
      );
    }
    // A spot of the frame with no point within 24 px (the empty middle of the ring): no tooltip.
    const hole = await page.evaluate(() => {
      const s = window.scatterTest.scatter;
      for (let py = 200; py < 400; py += 4)
        for (let px = 300; px < 500; px += 4) if (s.pick(px, py) === null) return { x: px, y: py };
      return null;
    });
    expect(hole).not.toBeNull();
    await page.mouse.move(origin.x + hole!.x, origin.y + hole!.y);
    await page.waitForFunction(
      () => document.querySelector<HTMLElement>(".atlas-tooltip")?.style.display === "none",
    );
    // Click selects the hovered point and fires "input".
    const at = await page.evaluate(() => window.scatterTest.scatter.locate(4_321));
    await page.mouse.click(origin.x + at.x, origin.y + at.y);
    expect(
      await page.evaluate(() => [
        window.scatterTest.scatter.value,
        window.scatterTest.events.input,
      ]),
    ).toEqual([4_321, 1]);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("a shift-drag lasso selects exactly the points inside it, lists them and exports them", async () => {
    const { page, errors } = await open("n=100000");
    const origin = await areaOrigin(page);
    // A star-shaped lasso, 24 vertices, over the right half of the ring.
    const stroke: [number, number][] = [];
    for (let k = 0; k <= 24; k++) {
      const a = (k / 24) * 2 * Math.PI;
      const radius = k % 2 === 0 ? 150 : 90;
      stroke.push([560 + radius * Math.cos(a), 300 + radius * Math.sin(a)]);
    }
    await page.keyboard.down("Shift");
    await page.mouse.move(origin.x + stroke[0][0], origin.y + stroke[0][1]);
    await page.mouse.down();
    for (const [px, py] of stroke.slice(1)) await page.mouse.move(origin.x + px, origin.y + py);
    await page.mouse.up();
    await page.keyboard.up("Shift");
    await page.waitForFunction(() => window.scatterTest.events.selection === 1);
    const result = await page.evaluate(() => {
      const { scatter, x, y } = window.scatterTest;
      return {
        selection: Array.from(scatter.selection),
        lasso: Array.from(scatter.lasso!),
        x: Array.from(x),
        y: Array.from(y),
      };
    });
    // The lasso the view recorded follows the stroke: same bounding box to within a few pixels.
    const toPixels = await page.evaluate((lasso) => {
      const s = window.scatterTest.scatter;
      const d = s.domain();
      const sx = 728 / (d.x[1] - d.x[0]); // frame: 800 − 56 − 16 by 600 − 24 − 40 px
      const sy = 536 / (d.y[1] - d.y[0]);
      const out: number[] = [];
      for (let k = 0; k < lasso.length; k += 2)
        out.push(56 + (lasso[k] - d.x[0]) * sx, 24 + (d.y[1] - lasso[k + 1]) * sy);
      return out;
    }, result.lasso);
    const xs = toPixels.filter((_, k) => k % 2 === 0);
    const ys = toPixels.filter((_, k) => k % 2 === 1);
    expect(Math.min(...xs)).toBeCloseTo(410, -1);
    expect(Math.max(...xs)).toBeCloseTo(710, -1);
    expect(Math.min(...ys)).toBeCloseTo(150, -1);
    expect(Math.max(...ys)).toBeCloseTo(450, -1);
    expect(result.lasso.length / 2).toBeGreaterThanOrEqual(24);
    // Every point tested against that polygon here.
    const expected: number[] = [];
    for (let i = 0; i < result.x.length; i++)
      if (inside(result.x[i], result.y[i], result.lasso)) expected.push(i);
    expect(expected.length).toBeGreaterThan(5_000);
    expect(result.selection).toEqual(expected);
    // The panel: count, first rows, exports.
    await expect
      .poll(() => page.locator(".atlas-selection-count").innerText())
      .toBe(`${expected.length.toLocaleString("en-US")} points selected`);
    expect(await page.locator("table.atlas-selection-rows tbody tr").count()).toBe(10);
    expect(
      await page
        .locator("table.atlas-selection-rows tbody tr")
        .first()
        .locator("td")
        .first()
        .innerText(),
    ).toBe(String(expected[0]));
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByText("Export CSV").click(),
    ]);
    const csv = readFileSync((await download.path())!, "utf8")
      .trimEnd()
      .split("\r\n");
    expect(download.suggestedFilename()).toBe("test-selection.csv");
    expect(csv[0]).toBe("sample,UMAP 1 (no unit) →,↑ UMAP 2 (no unit),class");
    expect(csv.length).toBe(expected.length + 1);
    expect(csv.slice(1).map((line) => Number(line.split(",")[0]))).toEqual(expected);
    const [json] = await Promise.all([
      page.waitForEvent("download"),
      page.getByText("Export JSON").click(),
    ]);
    expect(
      (JSON.parse(readFileSync((await json.path())!, "utf8")) as { sample: number }[]).map(
        (r) => r.sample,
      ),
    ).toEqual(expected);
    // Escape on the plot clears the selection.
    await page.locator(".atlas-plot-area").focus();
    await page.keyboard.press("Escape");
    expect(await page.evaluate(() => window.scatterTest.scatter.selection.length)).toBe(0);
    expect(await page.locator(".atlas-selection").isVisible()).toBe(false);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 120_000);

  it("the wheel zooms in around the cursor, the axes follow, Reset zoom restores the view", async () => {
    const { page, errors } = await open("n=100000");
    const origin = await areaOrigin(page);
    const before = await page.evaluate(() => window.scatterTest.scatter.domain());
    const ticksBefore = await page
      .locator(".atlas-plot-area [aria-label='x-axis tick label']")
      .textContent();
    await page.mouse.move(origin.x + 56 + 364, origin.y + 24 + 268); // the frame's centre
    await page.mouse.wheel(0, -600);
    await page.waitForFunction((span) => {
      const d = window.scatterTest.scatter.domain();
      return d.x[1] - d.x[0] < span / 2;
    }, before.x[1] - before.x[0]);
    await page.waitForTimeout(100);
    const after = await page.evaluate(() => window.scatterTest.scatter.domain());
    // Zooming about the frame's centre keeps the centre where it was.
    expect((after.x[0] + after.x[1]) / 2).toBeCloseTo((before.x[0] + before.x[1]) / 2, 1);
    expect((after.y[1] - after.y[0]) / (before.y[1] - before.y[0])).toBeCloseTo(
      (after.x[1] - after.x[0]) / (before.x[1] - before.x[0]),
      6,
    );
    await expect
      .poll(() => page.locator(".atlas-plot-area [aria-label='x-axis tick label']").textContent())
      .not.toBe(ticksBefore);
    // Hover still finds the right point after the zoom.
    const i = await page.evaluate(() => {
      const s = window.scatterTest.scatter;
      for (let k = 0; k < window.scatterTest.x.length; k++) {
        const p = s.locate(k);
        if (p.x > 300 && p.x < 500 && p.y > 200 && p.y < 400) return k;
      }
      return -1;
    });
    const at = await page.evaluate((i) => window.scatterTest.scatter.locate(i), i);
    await page.mouse.move(origin.x + at.x, origin.y + at.y);
    await expect
      .poll(() => page.locator(".atlas-tooltip").getAttribute("data-sample"))
      .toBe(String(i));
    await page.getByRole("button", { name: "Reset zoom" }).click();
    await page.waitForTimeout(100);
    expect(await page.evaluate(() => window.scatterTest.scatter.domain())).toEqual(before);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("Tab focuses the plot, arrow keys move to the nearest point in that direction, Enter selects it", async () => {
    const { page, errors } = await open("n=20000");
    await page.locator("body").click({ position: { x: 2, y: 2 } });
    await page.keyboard.press("Tab");
    expect(
      await page.evaluate(() => document.activeElement?.classList.contains("atlas-plot-area")),
    ).toBe(true);
    const start = await page.evaluate(() => window.scatterTest.scatter.focused);
    expect(start).not.toBeNull();
    expect(await page.locator("circle.atlas-focused").count()).toBe(1);
    let current = start!;
    for (const [key, dx, dy] of [
      ["ArrowRight", 1, 0],
      ["ArrowDown", 0, 1],
      ["ArrowLeft", -1, 0],
      ["ArrowUp", 0, -1],
    ] as const) {
      await page.keyboard.press(key);
      const next = await page.evaluate(() => window.scatterTest.scatter.focused!);
      // Brute force: the nearest point within 45° of the arrow's direction on screen.
      const expected = await page.evaluate(
        ([from, dx, dy]) => {
          const s = window.scatterTest.scatter;
          const o = s.locate(from);
          let best = -1;
          let bestD = Infinity;
          for (let k = 0; k < window.scatterTest.x.length; k++) {
            if (k === from) continue;
            const p = s.locate(k);
            const ox = p.x - o.x;
            const oy = p.y - o.y;
            const along = ox * dx + oy * dy;
            if (along <= 0 || Math.abs(ox * dy - oy * dx) > along) continue;
            const d = ox * ox + oy * oy;
            if (d < bestD) {
              bestD = d;
              best = k;
            }
          }
          return best;
        },
        [current, dx, dy] as const,
      );
      expect(next).toBe(expected);
      current = next;
    }
    expect(await page.locator(".atlas-live").innerText()).toContain(`sample #${current}`);
    await page.keyboard.press("Enter");
    expect(
      await page.evaluate(() => [
        window.scatterTest.scatter.value,
        window.scatterTest.events.input,
      ]),
    ).toEqual([current, 1]);
    // + zooms in about the focused point; 0 resets.
    const span = await page.evaluate(() => window.scatterTest.scatter.domain().x);
    await page.keyboard.press("+");
    await page.waitForTimeout(100);
    const zoomed = await page.evaluate(() => window.scatterTest.scatter.domain().x);
    expect(zoomed[1] - zoomed[0]).toBeCloseTo((span[1] - span[0]) / 2, 6);
    await page.keyboard.press("0");
    await page.waitForTimeout(100);
    expect(await page.evaluate(() => window.scatterTest.scatter.domain().x)).toEqual(span);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("carries on with the software rasteriser when the WebGL context is lost", async () => {
    const { page, errors } = await open("n=20000");
    expect(await page.evaluate(() => window.scatterTest.scatter.renderer)).toBe("webgl");
    await page.evaluate(() =>
      (document.querySelector("canvas.atlas-points") as HTMLCanvasElement)
        .getContext("webgl2")!
        .getExtension("WEBGL_lose_context")!
        .loseContext(),
    );
    await expect
      .poll(() => page.evaluate(() => window.scatterTest.scatter.renderer))
      .toBe("raster");
    await expect
      .poll(() =>
        page.evaluate(() => {
          const canvas = document.querySelector("canvas.atlas-points") as HTMLCanvasElement;
          const { data } = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height);
          let covered = 0;
          for (let k = 3; k < data.length; k += 4) if (data[k] > 0) covered++;
          return covered / (data.length / 4);
        }),
      )
      .toBeGreaterThan(0.2);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("draws with the software rasteriser when asked (no WebGL2), hover and lasso unchanged", async () => {
    const { page, errors } = await open("n=20000&renderer=raster");
    expect(await page.evaluate(() => window.scatterTest.scatter.renderer)).toBe("raster");
    const origin = await areaOrigin(page);
    const at = await page.evaluate(() => window.scatterTest.scatter.locate(123));
    await page.mouse.move(origin.x + at.x, origin.y + at.y);
    await expect.poll(() => page.locator(".atlas-tooltip").getAttribute("data-sample")).toBe("123");
    const chosen = await page.evaluate(() =>
      Array.from(window.scatterTest.scatter.selectPolygon([0, 0, 60, 0, 60, 60, 0, 60])),
    );
    const { x, y } = await page.evaluate(() => ({
      x: Array.from(window.scatterTest.x),
      y: Array.from(window.scatterTest.y),
    }));
    expect(chosen).toEqual(
      x.map((_, i) => i).filter((i) => inside(x[i], y[i], [0, 0, 60, 0, 60, 60, 0, 60])),
    );
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
