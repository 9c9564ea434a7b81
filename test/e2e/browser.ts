/**
 * Shared set-up for end-to-end tests: serve the built site (dist/site) on 127.0.0.1 with the
 * CLI's own static server, drive Debian's Chromium through playwright-core, and record every
 * page error and every request that leaves 127.0.0.1.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, expect } from "vitest";
import { startSiteServer } from "../../src/cli/commands/serve.ts";

export const SITE = fileURLToPath(new URL("../../dist/site", import.meta.url));

/**
 * dist/site (or another built folder, e.g. the scatter test page) on a free port of 127.0.0.1,
 * with the security headers `hidden-atlas serve` sends.
 */
export async function serveSite(root = SITE): Promise<{ url: string; close(): Promise<void> }> {
  if (!existsSync(join(root, "index.html")))
    throw new Error(`${root} is missing: run \`npm run build\` first`);
  const site = await startSiteServer({ root, port: 0 });
  return { url: site.url, close: site.close };
}

export function chromePath(): string {
  return process.env.CHROME_PATH ?? "/usr/bin/chromium";
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromePath(),
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
    ],
  });
}

export interface Watched {
  page: Page;
  errors: string[];
  /** Requests to anything but 127.0.0.1 (or data:/blob: URLs). */
  external: string[];
}

/** A page that records errors and off-machine requests. */
export async function watchedPage(
  browser: Browser,
  options: { acceptDownloads?: boolean } = {},
): Promise<Watched> {
  const context = await browser.newContext({
    acceptDownloads: options.acceptDownloads ?? true,
    viewport: { width: 1100, height: 1400 },
  });
  const page = await context.newPage();
  const errors: string[] = [];
  const external: string[] = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()}`);
  });
  page.on("response", (response) => {
    if (response.status() >= 400) errors.push(`HTTP ${response.status()} ${response.url()}`);
  });
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (!["data:", "blob:"].includes(url.protocol) && url.hostname !== "127.0.0.1")
      external.push(request.url());
  });
  return { page, errors, external };
}

/**
 * What every page of the site must satisfy once it has settled: no page error (nor console error
 * or failed response), no request off 127.0.0.1, no cell showing an error.
 */
export async function expectOpenedCleanly({ page, errors, external }: Watched): Promise<void> {
  expect(errors).toEqual([]);
  expect(external).toEqual([]);
  expect(await page.locator(".observablehq--error").count()).toBe(0);
}

/**
 * Serve the site and launch Chromium once for the calling test file (beforeAll / afterAll);
 * read `url` and `browser` inside tests.
 */
export function useSite(): { readonly url: string; readonly browser: Browser } {
  let server: Awaited<ReturnType<typeof serveSite>> | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    server = await serveSite();
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  return {
    get url() {
      return server!.url;
    },
    get browser() {
      return browser!;
    },
  };
}

/** Wait until a notebook's cells have settled: no pending cell, no analysis run going. */
export async function settled(page: Page, timeout = 60_000): Promise<void> {
  await page.waitForLoadState("networkidle");
  // A run may start a moment after the one before it ends: the page must stay idle for a while.
  await page.waitForFunction(
    () => {
      const w = window as unknown as { __idleSince?: number };
      const idle =
        !document.querySelector(".observablehq--running, .observablehq--pending") &&
        !document.documentElement.dataset.atlasBusy;
      if (!idle) w.__idleSince = undefined;
      else w.__idleSince ??= performance.now();
      return idle && performance.now() - w.__idleSince! > 300;
    },
    null,
    { timeout, polling: 100 },
  );
}

const axeSource = readFileSync(
  createRequire(import.meta.url).resolve("axe-core/axe.min.js"),
  "utf8",
);

/**
 * axe-core's serious and critical violations on the page (WCAG 2 A/AA rules and best
 * practices), as "rule: target" lines. axe is evaluated through the debugging protocol, which
 * the page's Content-Security-Policy does not govern.
 */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run(
            context: unknown,
            options: unknown,
          ): Promise<{
            violations: {
              id: string;
              impact: string;
              nodes: { target: string[]; failureSummary: string }[];
            }[];
          }>;
        };
      }
    ).axe;
    const { violations } = await axe.run(document, { resultTypes: ["violations"] });
    return violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .flatMap((v) =>
        v.nodes.map(
          (n) =>
            `${v.id}: ${n.target.join(" ")} — ${n.failureSummary.split("\n").slice(1, 2).join("").trim()}`,
        ),
      );
  });
}

export interface MoveWhileRunning {
  /** CSS selector of the control: an Inputs form, e.g. `[data-param="k"]`. */
  control: string;
  /** Its new value (what the control's `value` setter takes: a number, a layer name…). */
  value: unknown;
  /** The accessible name of the progress bar (its <progress>'s aria-label) whose run is interrupted. */
  bar: string;
}

/**
 * Before the page loads, arrange that `control` is set to `value` the way a person sets it (the
 * new value, then an "input" event) as soon as the progress bar `bar` shows its run's first
 * progress — from a mutation observer, in the same task as that update, so a run is caught in
 * flight however short it is. From then on every state the bar passes through is recorded; `barStatesSinceMove`
 * waits for the move and returns them.
 */
export async function moveWhileRunning(page: Page, move: MoveWhileRunning): Promise<void> {
  // A script as text: a function passed to the page would carry the test runner's transpiler helpers.
  await page.addInitScript(`(${MOVE_WHILE_RUNNING})(${JSON.stringify(move)})`);
}

const MOVE_WHILE_RUNNING = `(move) => {
  const barOf = () => Array.from(document.querySelectorAll(".atlas-progress")).find((p) => p.querySelector("progress")?.getAttribute("aria-label") === move.bar);
  const observer = new MutationObserver(() => {
    if (window.__atlasMoved) return;
    const bar = barOf();
    const control = document.querySelector(move.control);
    // Running and past its first progress event: the cell awaits the worker, as when a person acts.
    if (bar?.dataset.state !== "running" || !/%/.test(bar.querySelector(".atlas-progress-label")?.textContent ?? "") || !control) return;
    observer.disconnect();
    const states = ["running"];
    window.__atlasMoved = { states };
    new MutationObserver(() => {
      if (states[states.length - 1] !== bar.dataset.state) states.push(bar.dataset.state ?? "");
    }).observe(bar, { attributes: true, attributeFilter: ["data-state"] });
    control.value = move.value;
    control.dispatchEvent(new Event("input", { bubbles: true }));
  });
  observer.observe(document, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ["data-state"] });
}`;

/** Wait until `moveWhileRunning`'s move happened; the bar's states since (first: "running"). */
export async function barStatesSinceMove(page: Page, timeout = 120_000): Promise<string[]> {
  await page.waitForFunction(
    () => !!(window as unknown as { __atlasMoved?: unknown }).__atlasMoved,
    null,
    { timeout, polling: 100 },
  );
  return page.evaluate(() => [
    ...(window as unknown as { __atlasMoved: { states: string[] } }).__atlasMoved.states,
  ]);
}
