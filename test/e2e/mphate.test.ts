/**
 * End-to-end: the mphate notebook in Chromium on the bundled runs — training dynamics of
 * digits-mlp coloured by epoch / layer / most-active class, the eight generalisation runs with
 * their Spearman ρ, the continual-learning ARI, the baselines on request, and the report.
 */
import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { useSite, watchedPage } from "./browser.ts";

const site = useSite();

/** Wait until every study has rendered and no cell is running. */
async function settled(page: Page) {
  await page.waitForLoadState("networkidle");
  await page.waitForFunction(
    () => !document.querySelector(".observablehq--running, .observablehq--pending") && !!document.querySelector(".atlas-mphate-grid") && document.body.innerText.includes("mean ARI"),
    null,
    { timeout: 600_000, polling: 500 },
  );
}

describe("mphate notebook", () => {
  it("shows digits-mlp's units over training coloured by epoch, then by layer, with legends; the URL follows", { timeout: 900_000 }, async () => {
    const { page, errors, external } = await watchedPage(site.browser);
    await page.goto(site.url + "mphate.html");
    await settled(page);
    const figure = page.locator(".atlas-scatter").first();
    // 96 units × 51 checkpoints (every 2nd of 101, plus the last) = 4,896 dots, and a continuous epoch legend.
    expect(await figure.locator("svg circle").count()).toBe(4896);
    expect(await figure.innerText()).toContain("epoch");
    expect(await page.getByText(/96 units × 51 checkpoints \(epochs 0–100\)/).count()).toBe(1);
    await page.locator("label", { hasText: /^layer$/ }).click();
    await page.waitForFunction(() => /^colour: layer\s*fc1\s*fc2\s*fc3/.test((document.querySelector(".atlas-scatter") as HTMLElement | null)?.innerText ?? ""));
    expect(page.url()).toMatch(/[?&]colorBy=layer\b/);
    await page.locator("label", { hasText: /most-active class/ }).first().click();
    await page.waitForFunction(() => /^colour: most-active class \(L1\)\s*0\s*1\s*2\s*3\s*4\s*5\s*6\s*7\s*8\s*9\s/.test((document.querySelector(".atlas-scatter") as HTMLElement | null)?.innerText ?? ""));
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
    expect(await page.locator(".observablehq--error").count()).toBe(0);
    await page.context().close();
  });

  it("shows the eight generalisation runs with ρ, and the two continual-learning runs with their ARI", { timeout: 900_000 }, async () => {
    const { page, errors } = await watchedPage(site.browser);
    await page.goto(site.url + "mphate.html?colorBy=mostActive");
    await settled(page);
    const grid = page.locator(".atlas-mphate-grid");
    expect(await grid.locator(":scope > div").count()).toBe(8);
    for (const variant of ["vanilla", "dropout", "random-labels", "random-pixels"]) expect(await grid.innerText()).toContain(variant);
    const findings = await page.locator(".atlas-findings").allInnerTexts();
    const rho = Number(/Spearman ρ between visualisation variance and memorisation error over 8 runs: (-?[\d.]+)/.exec(findings.join(" "))?.[1]);
    expect(rho).toBeGreaterThanOrEqual(-1);
    expect(rho).toBeLessThanOrEqual(1);
    expect(findings.join(" ")).toMatch(/split-digits-naive: mean ARI [\d.]+ over 4 switches, final test accuracy 0\.2138/);
    expect(findings.join(" ")).toMatch(/split-digits-rehearsal: mean ARI [\d.]+ over 4 switches, final test accuracy 0\.9399/);
    expect(await page.getByText("with rehearsal").count()).toBeGreaterThanOrEqual(1);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("scores the baselines on request and exports a report with every study", { timeout: 1_200_000 }, async () => {
    const { page, errors } = await watchedPage(site.browser);
    await page.goto(site.url + "mphate.html?baselines=true&gamma=0&ariSeeds=2");
    await settled(page);
    await page.waitForFunction(() => document.body.innerText.includes("interslice k = 40") && !document.querySelector(".observablehq--running"), null, { timeout: 900_000, polling: 1000 });
    const text = await page.locator("body").innerText();
    for (const method of ["M-PHATE", "PCA", "t-SNE", "Isomap", "PHATE", "DM", "multislice graph (−log affinity paths)"]) expect(text).toContain(method);
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export report" }).click()]);
    const html = readFileSync((await download.path())!, "utf8");
    expect(html).toContain("<th>intersliceKnn</th><td>25</td>");
    expect(html).toContain("<th>gamma</th><td>0</td>");
    for (const section of ["Training dynamics", "Generalisation", "Visualisation variance vs memorisation error", "Continual learning", "Baselines: neighbour preservation"]) expect(html).toContain(`<h2>${section}</h2>`);
    expect(html).not.toMatch(/<script/i);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
