/**
 * The interactive scatter in Chromium (Debian's, driven by playwright-core; WebGL2 is
 * SwiftShader's software GL here, so a machine with a GPU draws faster): 100,000 and
 * 1,000,000 seeded points in ten clusters on the test-only page of the e2e tests.
 *
 * - first draw: from calling the view to the second animation frame after it (the figure is
 *   on screen), median of 3 page loads;
 * - hover p95: 100 moves of the mouse onto random points; each from the pointer event to the
 *   frame after the tooltip changed, 95th percentile (and median);
 * - memory: the page's JS heap and ArrayBuffer backing stores after drawing (Chromium's
 *   Runtime.getHeapUsage, after a GC); GPU buffers are 12 bytes a point on top.
 *
 * The note also gives the time spent building the view (grid, colours, Plot axes, upload)
 * before the browser paints; the rest of the first draw is the browser's GL work.
 *
 * The anchor is today's Plot SVG `embeddingScatter` on the same points (not run at 1 M points:
 * a million SVG circles do not finish in reasonable time).
 */
import { rmSync } from "node:fs";
import type { Browser } from "playwright-core";
import { launch, serveSite } from "../test/e2e/browser.ts";
import { buildScatterPage } from "../test/e2e/scatter-page.ts";
import { mulberry32 } from "../test/helpers.ts";
import type { Benchmark, BenchRow } from "./harness.ts";

/** Hover moves measured per case. */
const HOVER_MOVES = 100;
/** Page loads per case for the first-draw median. */
const LOADS = 3;

interface Measured {
  firstDrawMs: number;
  constructMs: number;
  buffersMB: number;
  hoverP95Ms: number;
  hoverP50Ms: number;
  heapMB: number;
  renderer: string;
}

export async function measure(
  browser: Browser,
  url: string,
  n: number,
  view: "gl" | "svg",
  loads: number,
): Promise<Measured> {
  const draws: number[] = [];
  const builds: number[] = [];
  let last: Measured | undefined;
  for (let load = 0; load < loads; load++) {
    const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${url}scatter.html?n=${n}${view === "svg" ? "&view=svg" : ""}`);
    await page.waitForFunction(() => window.scatterTest !== undefined, null, { timeout: 600_000 });
    draws.push(await page.evaluate(() => window.scatterTest.firstDrawMs));
    builds.push(await page.evaluate(() => window.scatterTest.constructMs));
    const renderer = await page.evaluate(
      () => (window.scatterTest.scatter as { renderer?: string }).renderer ?? "svg",
    );
    const cdp = await context.newCDPSession(page);
    await cdp.send("HeapProfiler.collectGarbage");
    const usage = (await cdp.send("Runtime.getHeapUsage")) as {
      usedSize: number;
      backingStorageSize?: number;
    };
    const heapMB = usage.usedSize / 2 ** 20;
    const buffersMB = (usage.backingStorageSize ?? 0) / 2 ** 20;
    if (load === loads - 1) {
      // Hover: the mouse onto random points (page coordinates of each point's centre).
      const random = mulberry32(7);
      const targets = Array.from({ length: HOVER_MOVES }, () => Math.floor(random() * n));
      const positions = await page.evaluate(
        ({ targets, svg }) => {
          if (svg) {
            const circles = document.querySelectorAll("g[aria-label=dot] circle");
            return targets.map((i) => {
              const r = circles[i].getBoundingClientRect();
              return [r.x + r.width / 2, r.y + r.height / 2];
            });
          }
          const area = document.querySelector(".atlas-plot-area")!.getBoundingClientRect();
          return targets.map((i) => {
            const p = window.scatterTest.scatter.locate(i);
            return [area.x + p.x, area.y + p.y];
          });
        },
        { targets, svg: view === "svg" },
      );
      for (const [px, py] of positions) {
        await page.mouse.move(px, py);
        await page.waitForTimeout(20);
      }
      await page.waitForTimeout(300);
      const times = (await page.evaluate(() => window.scatterTest.hoverMs.slice())).sort(
        (a, b) => a - b,
      );
      const quantile = (q: number) =>
        times[Math.min(times.length - 1, Math.floor(q * (times.length - 1)))];
      last = {
        firstDrawMs: 0,
        constructMs: 0,
        buffersMB,
        hoverP95Ms: quantile(0.95),
        hoverP50Ms: quantile(0.5),
        heapMB,
        renderer,
      };
    }
    await context.close();
  }
  const median = (v: number[]) => v.sort((a, b) => a - b)[Math.floor(v.length / 2)];
  return { ...last!, firstDrawMs: median(draws), constructMs: median(builds) };
}

export const scatterBenchmark: Benchmark = {
  name: "scatter",
  description:
    "interactive scatter in Chromium: first draw and hover p95 at 100,000 and 1,000,000 points, vs the Plot SVG scatter",
  async run() {
    const dir = await buildScatterPage();
    const server = await serveSite(dir);
    const browser = await launch();
    const rows: BenchRow[] = [];
    try {
      for (const n of [100_000, 1_000_000]) {
        const ours = await measure(browser, server.url, n, "gl", LOADS);
        const anchor = n <= 100_000 ? await measure(browser, server.url, n, "svg", 1) : null;
        const label = `${n.toLocaleString("en-US")} points`;
        const anchorName = anchor
          ? "Plot SVG embeddingScatter"
          : "Plot SVG embeddingScatter (not run at this size)";
        const memory = `${ours.renderer}; view built in ${ours.constructMs.toFixed(0)} ms; JS heap ${ours.heapMB.toFixed(0)} MB, array buffers ${ours.buffersMB.toFixed(0)} MB, GPU buffers ${((12 * n) / 2 ** 20).toFixed(0)} MB`;
        rows.push({
          benchmark: "scatter",
          case: `${label}, first draw`,
          ours: ours.firstDrawMs,
          anchor: anchorName,
          anchorMs: anchor?.firstDrawMs ?? null,
          note: memory + (anchor ? `; SVG: JS heap ${anchor.heapMB.toFixed(0)} MB` : ""),
        });
        rows.push({
          benchmark: "scatter",
          case: `${label}, hover p95`,
          ours: ours.hoverP95Ms,
          anchor: anchorName,
          anchorMs: anchor?.hoverP95Ms ?? null,
          note:
            `median ${ours.hoverP50Ms.toFixed(1)} ms` +
            (anchor ? `; SVG median ${anchor.hoverP50Ms.toFixed(1)} ms` : ""),
        });
      }
    } finally {
      await browser.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
    return rows;
  },
};
