/**
 * Where each notebook's main figure lands and how long it takes to appear, in headless Chromium
 * on the built site (`npm run build:site` first):
 *
 *   npx tsx bench/notebook-layout.ts [--site DIR] [OUT_DIR] [NOTEBOOK ...]
 *
 * `--site DIR` measures another built site (e.g. an older commit's dist/site, to compare).
 * For each notebook at 1400 × 900: the main figure's top edge in page pixels and the time from
 * navigation to the figure being on the page with a size; then screenshots at 1400 × 900 (the
 * first screen) and 420 px wide (the whole page) into OUT_DIR (default: a temporary folder).
 * Timings depend on the machine's load (each row prints the 1-minute load average at the
 * figure); the offsets do not.
 */
import { mkdtempSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { launch, serveSite } from "../test/e2e/browser.ts";

/** Each notebook's main figure, and the query it opens with (its defaults). */
const MAIN_FIGURE: Record<string, string> = {
  explore: ".atlas-scatter figure",
  // By cell (Notebook Kit's div#cell-N): other cells draw graphs and scatters of their own,
  // and one of them may be on the page first.
  mapper: "#cell-13 figure.atlas-mapper",
  "som-codes": ".atlas-row figure, .atlas-row svg",
  mda: ".mda-row",
  "layer-topology": ".atlas-row figure",
  mphate: "#cell-12 .atlas-scatter",
  examples: "table",
};

const argv = process.argv.slice(2);
const siteAt = argv.indexOf("--site");
const site = siteAt >= 0 ? argv.splice(siteAt, 2)[1] : undefined;
const [outArg, ...names] = argv;
const out = outArg ?? mkdtempSync(join(tmpdir(), "notebook-layout-"));
const chosen = names.length ? names : Object.keys(MAIN_FIGURE);
const server = await serveSite(site);
const browser = await launch();
const rows: string[] = [];
try {
  for (const name of chosen) {
    const selector = MAIN_FIGURE[name];
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${server.url}${name}.html`);
    const handle = await page.waitForFunction(
      (s) => {
        const el = document.querySelector(s);
        const box = el?.getBoundingClientRect();
        return box && box.width > 0 && box.height > 0
          ? { ms: performance.now(), top: box.top + window.scrollY }
          : null;
      },
      selector,
      { timeout: 600_000, polling: 100 },
    );
    const { ms, top } = (await handle.jsonValue()) as { ms: number; top: number };
    const load = loadavg()[0];
    // Let the rest of the page finish before the pictures.
    await page.waitForLoadState("networkidle");
    await page.waitForTimeout(1500);
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    await page.screenshot({ path: join(out, `${name}-1400.png`), timeout: 180_000 });
    await page.setViewportSize({ width: 420, height: 900 });
    await page.waitForTimeout(800);
    const narrowScroll = await page.evaluate(() => document.documentElement.scrollWidth);
    await page.screenshot({ path: join(out, `${name}-420.png`), fullPage: true, timeout: 180_000 });
    rows.push(
      `${name.padEnd(15)} top ${String(Math.round(top)).padStart(5)} px · first figure ${(ms / 1000).toFixed(1).padStart(6)} s · load ${load.toFixed(2)} · page width at 1400: ${scrollWidth}, at 420: ${narrowScroll}`,
    );
    console.error(rows[rows.length - 1]);
    await context.close();
  }
} finally {
  await browser.close();
  await server.close();
}
console.log(rows.join("\n"));
console.log(`screenshots in ${out}`);
