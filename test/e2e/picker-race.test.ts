/**
 * End-to-end: a bundle chosen in the picker while the page's first data set is still loading
 * wins. The first example's files are held back by the test (a slow network, or a large
 * bundle); a bundle folder is opened meanwhile; then the example's files are let through. The
 * page must show the chosen bundle — its summary, its PCA — and never the example's.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BundleInput } from "../../src/io/bundle-write.ts";
import { writeBundle } from "../../src/io/node.ts";
import { mulberry32 } from "../helpers.ts";
import { settled, useSite, watchedPage } from "./browser.ts";

const site = useSite();
const N = 120;
const D = 6;

function chosenBundle(): BundleInput {
  const random = mulberry32(9);
  return {
    name: "chosen-later",
    task: "classification",
    classNames: ["a", "b"],
    layers: [
      { name: "dense", shape: [N, D], data: Float32Array.from({ length: N * D }, () => random()) },
    ],
    labels: Int32Array.from({ length: N }, (_, i) => i % 2),
  };
}

let dir: string;
let folder: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "atlas-race-"));
  folder = join(dir, "chosen-later");
  await writeBundle(chosenBundle(), folder);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the dataset picker", () => {
  it("shows the bundle chosen while the first example was still loading, not the example", async () => {
    const { page, errors, external } = await watchedPage(site.browser);
    // Hold every file of the first example (the digits) until the folder has been chosen.
    const held: Route[] = [];
    let release = false;
    await page.route("**/digits/**", (route) =>
      release ? route.continue() : void held.push(route),
    );
    // Every summary line the page ever shows, in order.
    await page.addInitScript(() => {
      const seen: string[] = ((window as unknown as { __summaries: string[] }).__summaries = []);
      new MutationObserver(() => {
        for (const p of Array.from(document.querySelectorAll(".atlas-summary"))) {
          const text = p.textContent ?? "";
          if (seen[seen.length - 1] !== text) seen.push(text);
        }
      }).observe(document, { subtree: true, childList: true, characterData: true });
    });
    await page.goto(`${site.url}explore.html`);
    const picker = page.locator(".atlas-picker");
    await picker.waitFor();
    await page.waitForFunction(() =>
      /opening/.test(document.querySelector(".atlas-picker-status")?.textContent ?? ""),
    );
    await page.locator(".atlas-picker input[webkitdirectory]").setInputFiles(folder);
    await page.waitForTimeout(200); // let the choice reach the notebook before the example's files arrive
    release = true;
    for (const route of held.splice(0)) await route.continue();
    await page.waitForFunction(
      (n) =>
        Array.from(document.querySelectorAll("p")).some((p) =>
          (p.textContent ?? "").startsWith(`${n} samples in`),
        ),
      N,
      { timeout: 120_000 },
    );
    await settled(page);
    const text = await page.evaluate(() =>
      Array.from(document.querySelectorAll("p"), (p) =>
        (p.textContent ?? "").replace(/\s+/g, " "),
      ).join("\n"),
    );
    expect(text).toContain(`chosen-later: ${N} samples, classification, 1 layer, 2 classes`);
    expect(text).toContain(`${N} samples in ${D} dimensions, every one drawn.`);
    expect(text).not.toContain("1,797 samples");
    expect(await page.locator(".atlas-picker").getAttribute("data-state")).toBe("open");
    const summaries = await page.evaluate(
      () => (window as unknown as { __summaries: string[] }).__summaries,
    );
    expect(summaries.length).toBeGreaterThan(0);
    for (const summary of summaries) expect(summary).toMatch(/^chosen-later: /);
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
    await page.context().close();
  }, 240_000);
});
