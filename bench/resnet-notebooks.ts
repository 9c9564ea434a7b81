/**
 * Open a real bundle in every notebook as a user does — the built site served on 127.0.0.1, the
 * bundle folder given to the picker's "Open folder…" input — and check what each page shows:
 *
 *   npx tsx bench/resnet-notebooks.ts BUNDLE_DIR [OUT_DIR] [NOTEBOOK ...]
 *
 * (`npm run build` first; run it under the heavy lock on a shared machine). Made for the
 * ResNet-18 Fashion-MNIST export of `tools/example_resnet18_fashion.py` (10,000 test images),
 * but any bundle folder works. For each notebook, in headless Chromium at 1400 × 900:
 *
 * - the time from picking the folder to the first new figure on the page, and to the page being
 *   idle (no cell pending, no analysis running), with the 1-minute load average beside them;
 * - every scatter's accessible name ("Scatter plot of N points (k of N drawn (seed s))…"): a
 *   scatter of samples must draw every one of the bundle's samples, or say how many of them it
 *   drew and with which seed;
 * - failed progress bars, page errors and requests that left the machine;
 * - a screenshot of the whole page (OUT_DIR/NOTEBOOK.png) and of its first eight screens
 *   (NOTEBOOK-0.png …), and a JSON summary (OUT_DIR/summary.json).
 *
 * Exit code 1 when a notebook shows an error or a scatter of samples neither draws all of them
 * nor says what it drew.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import type { Page } from "playwright-core";
import { launch, serveSite, settled, watchedPage } from "../test/e2e/browser.ts";

const NOTEBOOKS = ["explore", "som-codes", "layer-topology", "mapper", "mda", "mphate"];
/** How long a notebook may take to settle on the bundle (a loaded 2-core machine is slow). */
const SETTLE_MS = 20 * 60_000;
const FIRST_FIGURE_MS = 10 * 60_000;
/** What a notebook draws as a figure (an Observable Plot SVG, a point scatter, a Mapper graph). */
const FIGURES = "figure, svg[role=img], svg[aria-label], .atlas-scatter, canvas";

interface ScatterCheck {
  label: string;
  points: number;
  /** "k of N drawn (seed s)" when the figure says it drew a subset. */
  subset: string | null;
  ok: boolean;
}

interface NotebookResult {
  notebook: string;
  firstFigureSeconds: number | null;
  settledSeconds: number | null;
  load: number;
  opened: string | null;
  scatters: ScatterCheck[];
  failed: string[];
  errors: string[];
  external: string[];
  screenshot: string;
}

const [bundleArg, outArg, ...names] = process.argv.slice(2);
if (!bundleArg) {
  console.error("usage: npx tsx bench/resnet-notebooks.ts BUNDLE_DIR [OUT_DIR] [NOTEBOOK ...]");
  process.exit(2);
}
const bundleDir = resolve(bundleArg);
const manifest = JSON.parse(readFileSync(join(bundleDir, "manifest.json"), "utf8")) as {
  name: string;
  samples: number;
};
const samples = manifest.samples;
const out = outArg ?? join(tmpdir(), `resnet-notebooks-${process.pid}`);
mkdirSync(out, { recursive: true });
const chosen = names.length ? names : NOTEBOOKS;
const number = (n: number) => n.toLocaleString("en-US");

/** A scatter of samples passes if it draws every sample or says which of them it drew. */
function checkScatter(label: string): ScatterCheck {
  const match = /^Scatter plot of ([\d,]+) points(?: \((.+? drawn(?: \(.+?\))?)\))?/.exec(label);
  const points = match ? Number(match[1].replaceAll(",", "")) : NaN;
  const subset = match?.[2] ?? null;
  const ofSamples = subset ? new RegExp(`of ${number(samples)} .*drawn`).test(subset) : false;
  const ok = points === samples || (subset !== null && ofSamples && /\(seed \d+\)/.test(subset));
  return { label, points, subset, ok };
}

async function openInNotebook(page: Page, notebook: string): Promise<NotebookResult> {
  const load = () => Number(loadavg()[0].toFixed(2));
  await page.goto(`${server.url}${notebook}.html`);
  // The page first opens its own example; the user picks the folder once the picker is there.
  await page.locator(".atlas-picker input[webkitdirectory]").waitFor({ state: "attached" });
  await settled(page, SETTLE_MS);
  await page.evaluate((selector) => {
    for (const el of document.querySelectorAll<HTMLElement | SVGElement>(selector))
      el.dataset.benchBefore = "1";
  }, FIGURES);
  const start = Date.now();
  await page.locator(".atlas-picker input[webkitdirectory]").setInputFiles(bundleDir);
  let firstFigureSeconds: number | null = null;
  try {
    // The side panel names the bundle once it is open ("NAME: 10,000 samples, …", mda's
    // "NAME (classification): …"); figures that
    // change before that are still the example's.
    await page.waitForFunction(
      (name) =>
        Array.from(document.querySelectorAll("p, div, span")).some(
          (el) =>
            /^(:|\s\()/.test((el.textContent ?? "").trimStart().slice(name.length)) &&
            (el.textContent ?? "").trimStart().startsWith(name),
        ),
      manifest.name,
      { timeout: FIRST_FIGURE_MS, polling: 200 },
    );
    await page.waitForFunction(
      (selector) =>
        Array.from(document.querySelectorAll<HTMLElement | SVGElement>(selector)).some((el) => {
          if (el.dataset.benchBefore || el.closest(".atlas-picker")) return false;
          const box = el.getBoundingClientRect();
          return box.width > 0 && box.height > 0;
        }),
      FIGURES,
      { timeout: FIRST_FIGURE_MS, polling: 100 },
    );
    firstFigureSeconds = (Date.now() - start) / 1000;
  } catch {
    // Reported as null: no figure appeared.
  }
  const loadAtFigure = load();
  let settledSeconds: number | null = null;
  try {
    await settled(page, SETTLE_MS);
    settledSeconds = (Date.now() - start) / 1000;
  } catch {
    // Reported as null: still busy.
  }
  // No named functions inside: tsx would wrap them in a helper the page does not have.
  const seen = await page.evaluate((name) => {
    const labels = Array.from(document.querySelectorAll("figure[aria-label]"), (f) =>
      f.getAttribute("aria-label")!,
    );
    const opened =
      Array.from(document.querySelectorAll("p, .atlas-picker-status"), (el) =>
        (el.textContent ?? "").replace(/\s+/g, " ").trim(),
      ).find((t) => t.includes(name)) ?? null;
    const failed = Array.from(
      document.querySelectorAll(".atlas-progress[data-state=failed]"),
      (el) => (el.textContent ?? "").replace(/\s+/g, " ").trim(),
    );
    return { labels, opened, failed };
  }, manifest.name);
  const screenshot = join(out, `${notebook}.png`);
  await page.screenshot({ path: screenshot, fullPage: true, timeout: 180_000 });
  // The first screen alone, and the page in screen-sized pieces, to read at full size.
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  for (let top = 0, part = 0; top < height && part < 8; top += 900, part++)
    await page.screenshot({
      path: join(out, `${notebook}-${part}.png`),
      fullPage: true,
      clip: { x: 0, y: top, width: 1400, height: Math.min(900, height - top) },
      timeout: 180_000,
    });
  return {
    notebook,
    firstFigureSeconds,
    settledSeconds,
    load: loadAtFigure,
    opened: seen.opened,
    scatters: seen.labels.filter((l) => l.startsWith("Scatter plot of")).map(checkScatter),
    failed: seen.failed,
    errors: [],
    external: [],
    screenshot,
  };
}

const server = await serveSite();
const browser = await launch();
const results: NotebookResult[] = [];
try {
  for (const notebook of chosen) {
    const { page, errors, external } = await watchedPage(browser);
    await page.setViewportSize({ width: 1400, height: 900 });
    const cpu = process.cpuUsage();
    const result = await openInNotebook(page, notebook);
    result.errors = errors;
    result.external = external;
    results.push(result);
    const used = process.cpuUsage(cpu);
    console.error(
      `${notebook.padEnd(15)} first figure ${result.firstFigureSeconds ?? "—"} s · idle ${result.settledSeconds ?? "—"} s · load ${result.load} · ` +
        `${result.scatters.length} scatters (${result.scatters.filter((s) => !s.ok).length} failing) · ` +
        `${result.failed.length} failed bars · ${errors.length} errors · bench process CPU ${((used.user + used.system) / 1e6).toFixed(1)} s`,
    );
    for (const s of result.scatters) console.error(`  ${s.ok ? "ok  " : "FAIL"} ${s.label}`);
    for (const f of result.failed) console.error(`  failed: ${f}`);
    for (const e of errors) console.error(`  error: ${e}`);
    await page.context().close();
  }
} finally {
  await browser.close();
  await server.close();
}
const summary = { bundle: basename(bundleDir), samples, results };
writeFileSync(join(out, "summary.json"), JSON.stringify(summary, null, 2));
console.log(`summary and screenshots in ${out}`);
const bad = results.some(
  (r) =>
    r.failed.length > 0 ||
    r.errors.length > 0 ||
    r.external.length > 0 ||
    r.firstFigureSeconds === null ||
    r.scatters.some((s) => !s.ok && !/units|unit/.test(s.label)),
);
process.exitCode = bad ? 1 : 0;
