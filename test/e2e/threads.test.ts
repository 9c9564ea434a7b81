/**
 * End-to-end: the thread setting of a notebook in Chromium. Served with the site's headers
 * (COOP/COEP) the page is cross-origin isolated and the analysis worker's core runs the
 * shared-memory build with the kernel threads `?threads=` asks for; the control in the side
 * panel shows it, and choosing another count reloads with the new `?threads=`. Served without
 * those headers, kernels run on one thread, independent steps in a pool of workers, and the
 * page says so once.
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { useSite, watchedPage } from "./browser.ts";

const site = useSite();

/**
 * Milliseconds a page may take to show its thread status: about 3 s on an idle machine, 25 s
 * measured with ~7 builds and test runs sharing 2 cores.
 */
const STATUS_TIMEOUT_MS = 80_000;

/** The thread control's status line, once the worker has loaded its core. */
async function threadStatus(page: Page): Promise<string> {
  const status = page.locator(".atlas-panel form.atlas-threads .atlas-threads-status");
  await status.waitFor({ timeout: STATUS_TIMEOUT_MS });
  return status.innerText();
}

describe("threads in the browser", () => {
  it(
    "runs kernel threads when the page is cross-origin isolated; the control sets ?threads=",
    async () => {
      const { page, errors, external } = await watchedPage(site.browser);
      await page.goto(site.url + "mapper.html?data=digits-cnn&threads=2", { waitUntil: "commit" });
      expect(await threadStatus(page)).toBe(
        "kernels on 2 threads; independent steps in up to 2 workers",
      );
      expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
      const select = page.getByLabel("Threads", { exact: true });
      expect(await select.inputValue()).toBe("2");
      const choices = await select.locator("option").allInnerTexts();
      expect(choices[0]).toMatch(/^all cores \(\d+\)$/);
      expect(choices).toContain("1");
      // Another count reloads the page with it in the URL; the worker's core then runs one thread.
      await Promise.all([
        page.waitForURL(/threads=1(&|$)/, { waitUntil: "commit" }),
        select.selectOption("1"),
      ]);
      expect(await threadStatus(page)).toBe("kernels on 1 thread");
      expect(page.url()).toMatch(/data=digits-cnn/);
      expect(errors.filter((e) => !/cancel/i.test(e))).toEqual([]);
      expect(external).toEqual([]);
      await page.context().close();
    },
    2 * STATUS_TIMEOUT_MS + 10_000,
  );

  it(
    "falls back to the worker pool alone without isolation, and says so once",
    async () => {
      const { page, external } = await watchedPage(site.browser);
      // The same site without the isolation headers (a host that does not send them).
      await page.context().route("**/*", async (route) => {
        const response = await route.fetch();
        const headers = { ...response.headers() };
        delete headers["cross-origin-opener-policy"];
        delete headers["cross-origin-embedder-policy"];
        await route.fulfill({ response, headers });
      });
      await page.goto(site.url + "mapper.html?data=digits-cnn&threads=2", { waitUntil: "commit" });
      const status = await threadStatus(page);
      expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(false);
      expect(status).toMatch(
        /^kernels on 1 thread; independent steps in up to 2 workers\. Kernels run on one thread: the page is not cross-origin isolated/,
      );
      const text = await page.locator("body").innerText();
      expect(text.split("not cross-origin isolated").length - 1).toBe(1);
      expect(external).toEqual([]);
      // Requests still in the route (fonts, workers) are dropped, not failed, as the page closes.
      await page.context().unrouteAll({ behavior: "ignoreErrors" });
      await page.context().close();
    },
    STATUS_TIMEOUT_MS + 10_000,
  );
});
