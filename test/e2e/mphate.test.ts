/**
 * End-to-end: the mphate notebook in Chromium on the bundled runs, opened once at its defaults
 * (every computation below is its own step, and a page computes each once): the paper's claims
 * beside our numbers at the top, training dynamics of digits-mlp coloured by epoch / layer /
 * most-active class, the 24 generalisation runs (8 variants × 3 seeds) with ρ and its bootstrap
 * interval, the continual-learning ARI, then the baselines in both spaces when switched on, and
 * the report with every study. The page is also held to layout-a11y.test.ts's checks (workspace,
 * tables, axe-core, one column at 420 px).
 */
import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { expectOpenedCleanly, seriousViolations, useSite, watchedPage } from "./browser.ts";
import { expectOneColumnAt420, expectTablesInColumn, expectWideWorkspace } from "./layout.ts";

const site = useSite();

/** The main figure: the training-dynamics embedding. */
const FIGURE = ".atlas-scatter svg";

/** Wait until every study has rendered and no cell is running. */
async function settled(page: Page) {
  await page.waitForLoadState("networkidle");
  await page.waitForFunction(
    () =>
      !document.querySelector(".observablehq--running, .observablehq--pending") &&
      !!document.querySelector(".atlas-mphate-grid") &&
      !!document.querySelector(".atlas-scatter svg") &&
      !!document.querySelector(".atlas-headline") &&
      document.body.innerText.includes("mean ARI"),
    null,
    { timeout: 600_000, polling: 500 },
  );
}

describe("mphate notebook", () => {
  it(
    "opens at its defaults at 1400 × 900 with no page error, its workspace, tables and axe-core as in layout-a11y.test.ts: digits-mlp's units over training coloured by epoch, then by layer, with legends, the URL following; the generalisation runs of three seeds with ρ and its interval; the two continual-learning runs with their ARI; the baselines on request; a report with every study; one column at 420 px",
    { timeout: 1_800_000 },
    async () => {
      const watched = await watchedPage(site.browser);
      const { page, errors } = watched;
      await page.setViewportSize({ width: 1400, height: 900 });
      await page.goto(site.url + "mphate.html");
      // The workspace when the embedding appears, then every table once the studies have settled,
      // and axe-core (layout-a11y.test.ts's checks, made here on the page that computes them).
      await page.locator(FIGURE).first().waitFor({ timeout: 600_000 });
      await expectWideWorkspace(page, FIGURE);
      await settled(page);
      // The default page: no page error, nothing fetched from elsewhere, no failed cell.
      await expectOpenedCleanly(watched);
      await expectTablesInColumn(page);
      expect(await seriousViolations(page)).toEqual([]);

      // Training dynamics.
      const figure = page.locator(".atlas-scatter").first();
      // 96 units × 21 checkpoints (every 5th of 101, the last included) = 2,016 points, every one drawn (WebGL), exact, and a continuous epoch legend.
      expect(await figure.locator("figure").first().getAttribute("aria-label")).toMatch(
        /^M-PHATE embedding of digits-mlp: 2,016 points,/,
      );
      expect(await figure.innerText()).toContain("epoch");
      expect(
        await page
          .getByText(
            /96 units × 21 checkpoints \(epochs 0–100\), diffusion time t = \d+ \(exact\), interslice κ = 2 \(auto: max\(2, round\(0\.08 × 21 checkpoints\)\)\)/,
          )
          .count(),
      ).toBe(1);
      // The notebook opens with the paper's claim and our number with its spread over seeds.
      const headline = await page.locator(".atlas-headline").innerText();
      expect(headline).toMatch(
        /^Paper: .*ρ .* negative\. Measured: ρ = -?[\d.]+ over 24 runs \(8 variants × 3 seeds\), bootstrap 95 % interval \[-?[\d.]+, -?[\d.]+\] \(2,000 resamples of the runs, seeded\); within each seed ρ = -?[\d.]+ ± [\d.]+ \(seed 42: .*, 1: .*, 2: .*\)\. (The sign the paper reports is confirmed|The sign is not established|This contradicts the paper)/,
      );
      const claims = await page.locator("table", { hasText: "we measured" }).first().innerText();
      for (const claim of [
        "fans the units out",
        "separate by layer",
        "group by the class",
        "ρ(visualisation variance, memorisation error) < 0",
        "rehearsal keeps it",
      ])
        expect(claims).toContain(claim);

      // Generalisation: the grid draws one seed's eight runs; the study pools all 24.
      const grid = page.locator(".atlas-mphate-grid");
      expect(await grid.locator(":scope > div").count()).toBe(8);
      for (const variant of ["vanilla", "dropout", "random-labels", "random-pixels"])
        expect(await grid.innerText()).toContain(variant);
      const findings = await page.locator(".atlas-findings").allInnerTexts();
      const [, rho, lo, hi] =
        /Spearman ρ between visualisation variance and memorisation error over 24 runs: (-?[\d.]+) \(95 % interval \[(-?[\d.]+), (-?[\d.]+)\]/
          .exec(findings.join(" "))!
          .map(Number);
      expect(lo).toBeLessThanOrEqual(rho);
      expect(hi).toBeGreaterThanOrEqual(rho);
      expect(lo).toBeGreaterThanOrEqual(-1);
      expect(hi).toBeLessThanOrEqual(1);
      expect(findings.join(" ")).toContain(
        "taken on the unscaled SMACOF output (before Procrustes)",
      );
      // Per-variant spread over the three seeds.
      expect(
        await page.locator("table", { hasText: "memorisation error (mean ± sd)" }).innerText(),
      ).toMatch(/random-pixels\s+3\s+[\d.]+ ± [\d.]+/);

      // Continual learning.
      expect(findings.join(" ")).toMatch(
        /split-digits-naive: mean ARI [\d.]+ over 4 switches, final test accuracy 0\.2138/,
      );
      expect(findings.join(" ")).toMatch(
        /split-digits-rehearsal: mean ARI [\d.]+ over 4 switches, final test accuracy 0\.9399/,
      );
      expect(await page.getByText("with rehearsal").count()).toBeGreaterThanOrEqual(1);

      // Colour by layer, then by most-active class: a redraw, and the URL follows.
      await page.locator("label", { hasText: /^layer$/ }).click();
      await page.waitForFunction(() =>
        /^colour: layer\s*fc1\s*fc2\s*fc3/.test(
          (document.querySelector(".atlas-scatter") as HTMLElement | null)?.innerText ?? "",
        ),
      );
      expect(page.url()).toMatch(/[?&]colorBy=layer\b/);
      await page
        .locator("label", { hasText: /most-active class/ })
        .first()
        .click();
      await page.waitForFunction(() =>
        /^colour: most-active class \(L1\)\s*0\s*1\s*2\s*3\s*4\s*5\s*6\s*7\s*8\s*9\s/.test(
          (document.querySelector(".atlas-scatter") as HTMLElement | null)?.innerText ?? "",
        ),
      );
      expect(errors).toEqual([]);
      expect(await page.locator(".observablehq--error").count()).toBe(0);

      // Baselines, on request: the same page scores them beside the studies it has.
      await page
        .locator("form", { hasText: "Compute baselines" })
        .locator("input[type=checkbox]")
        .check();
      await page.waitForFunction(
        () =>
          document.body.innerText.includes("interslice k = 40") &&
          !document.querySelector(".observablehq--running"),
        null,
        { timeout: 900_000, polling: 1000 },
      );
      expect(page.url()).toMatch(/[?&]baselines=true\b/);
      const text = await page.locator("body").innerText();
      for (const method of [
        "M-PHATE",
        "PCA",
        "t-SNE",
        "Isomap",
        "PHATE",
        "DM",
        "multislice graph (−log affinity paths)",
        "multislice graph (−log affinity paths, precomputed)",
        "flattened z-scored trace",
        "flattened raw trace",
      ])
        expect(text).toContain(method);
      // Every method is scored in both spaces, and the page says which is which.
      expect(text).toMatch(/raw space: intraslice .*z-scored space: intraslice/i);
      expect(
        await page
          .locator("table", { hasText: "scored against" })
          .locator("tbody tr", { hasText: "z-scored trace" })
          .count(),
      ).toBeGreaterThanOrEqual(12);
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("button", { name: "Export report" }).click(),
      ]);
      const html = readFileSync((await download.path())!, "utf8");
      expect(html).toContain("<th>intersliceKnn</th><td>auto (2)</td>");
      expect(html).toContain("<th>generalizationLandmarks</th><td>400</td>");
      expect(html).toContain("<th>gamma</th><td>0</td>");
      for (const section of [
        "The paper&#39;s claims and what we measured",
        "Training dynamics",
        "Generalisation",
        "Generalisation runs",
        "Visualisation variance vs memorisation error",
        "Continual learning",
        "Baselines: neighbour preservation",
      ])
        expect(html).toContain(`<h2>${section}</h2>`);
      expect(html).not.toMatch(/<script/i);
      // The baselines' table fits the column too; on a phone, one column.
      await expectTablesInColumn(page);
      await expectOneColumnAt420(page, FIGURE);
      expect(errors).toEqual([]);
      expect(await page.locator(".observablehq--error").count()).toBe(0);
      await page.context().close();
    },
  );
});
