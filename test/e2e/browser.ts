/**
 * Shared set-up for end-to-end tests: serve the built site (dist/site) on 127.0.0.1 with the
 * CLI's own static server, drive Debian's Chromium through playwright-core, and record every
 * page error and every request that leaves 127.0.0.1.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { startSiteServer } from "../../src/cli/commands/serve.ts";

export const SITE = fileURLToPath(new URL("../../dist/site", import.meta.url));

/**
 * dist/site (or another built folder, e.g. the scatter test page) on a free port of 127.0.0.1,
 * with the security headers `hidden-atlas serve` sends.
 */
export async function serveSite(root = SITE): Promise<{ url: string; close(): Promise<void> }> {
  if (!existsSync(join(root, "index.html"))) throw new Error(`${root} is missing: run \`npm run build\` first`);
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
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
}

export interface Watched {
  page: Page;
  errors: string[];
  /** Requests to anything but 127.0.0.1 (or data:/blob: URLs). */
  external: string[];
}

/** A page that records errors and off-machine requests. */
export async function watchedPage(browser: Browser, options: { acceptDownloads?: boolean } = {}): Promise<Watched> {
  const context = await browser.newContext({ acceptDownloads: options.acceptDownloads ?? true, viewport: { width: 1100, height: 1400 } });
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
    if (!["data:", "blob:"].includes(url.protocol) && url.hostname !== "127.0.0.1") external.push(request.url());
  });
  return { page, errors, external };
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

/** Wait until a notebook's cells have settled: no pending cell, no running progress bar. */
export async function settled(page: Page): Promise<void> {
  await page.waitForLoadState("networkidle");
  await page.waitForFunction(() => !document.querySelector(".observablehq--running, .observablehq--pending"));
}
