/**
 * End-to-end: the mda notebook in Chromium on a regression bundle (digits-rotation, before and
 * after training) and a classification bundle (digits-cnn, with 5-NN accuracy). Moving the layer
 * select recomputes and redraws every layout; no page error, no request off the machine. The
 * pages run on 100 points without the spread over embedding seeds (seedRuns=0), which the
 * default page runs (site.test.ts).
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { settled, useSite, watchedPage } from "./browser.ts";

const site = useSite();

/** Where every scatter in one row of layouts draws its first 50 points (row 0: after training, row 1: before). */
const rowMarkup = (page: Page, row: number) =>
  page
    .locator(".mda-row")
    .nth(row)
    .evaluate((el) =>
      [...el.querySelectorAll(".atlas-point-scatter")]
        .flatMap((s) =>
          Array.from({ length: 50 }, (_, i) =>
            (s as HTMLElement & { locate(i: number): { x: number; y: number } }).locate(i),
          ),
        )
        .map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`)
        .join(";"),
    );

describe("mda notebook", () => {
  it(
    "digits-rotation: five layouts before and after training; the layer select redraws them",
    { timeout: 400_000 },
    async () => {
      const { page, errors, external } = await watchedPage(site.browser);
      await page.goto(
        site.url + "mda.html?data=digits-rotation&layer=fc&maxPoints=100&iterations=30&seedRuns=0",
      );
      await page
        .locator("h3.mda-stage", { hasText: "fc after training" })
        .waitFor({ timeout: 200_000 });
      await page
        .locator("h3.mda-stage", { hasText: "fc before training" })
        .waitFor({ timeout: 200_000 });
      await settled(page);
      expect(await page.locator(".mda-row").count()).toBe(2);
      expect(
        await page.locator(".mda-row").first().locator(".atlas-point-scatter").count(),
      ).toBeGreaterThanOrEqual(5);
      // Each layout is of a seeded subsample, and says so beside it.
      expect(await page.locator(".mda-row").first().locator("figcaption").first().innerText()).toBe(
        "100 of 1,797 samples drawn (seed 42).",
      );
      const table = await page
        .locator("table", { hasText: "Geodesic correlation, trustworthiness and 5-NN accuracy" })
        .first()
        .innerText();
      expect(table).toMatch(/MDA r \(ρ\)/);
      expect(table).toMatch(/before training/);
      const before = await rowMarkup(page, 0);
      expect(before.length).toBeGreaterThan(100);

      await page
        .locator("form", { hasText: "Layer" })
        .locator("select")
        .first()
        .selectOption({ label: "block3" });
      await page
        .locator("h3.mda-stage", { hasText: "block3 after training" })
        .waitFor({ timeout: 200_000 });
      await settled(page);
      expect(page.url()).toMatch(/layer=block3/);
      const after = await rowMarkup(page, 0);
      expect(after.length).toBeGreaterThan(100);
      expect(after).not.toBe(before);
      expect(errors).toEqual([]);
      expect(external).toEqual([]);
    },
  );

  it("digits-cnn: classification layouts with 5-NN accuracy", { timeout: 300_000 }, async () => {
    const { page, errors, external } = await watchedPage(site.browser);
    await page.goto(
      site.url + "mda.html?data=digits-cnn&layer=gap&maxPoints=100&iterations=30&seedRuns=0",
    );
    await page
      .locator("h3.mda-stage", { hasText: "gap after training" })
      .waitFor({ timeout: 200_000 });
    await settled(page);
    expect(await page.locator("h3.mda-stage").count()).toBe(1);
    expect(await page.locator("table").first().innerText()).toMatch(/5-NN acc/);
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
  });
});
