/**
 * End-to-end accessibility: axe-core (WCAG 2 A/AA rules and best practices) on the gallery, the
 * docs pages and every notebook once its main figure is drawn and its runs have settled. No
 * serious or critical violation may remain; the failure lists each one with its element.
 *
 * Each notebook opens on a small example so that the file takes a few minutes.
 */
import { describe, expect, it } from "vitest";
import { seriousViolations, settled, useSite, watchedPage } from "./browser.ts";

const site = useSite();

/** Page, query, and what shows it has drawn (the main figure of a notebook). */
const PAGES: [string, string, string][] = [
  ["index", "", ".atlas-gallery a.atlas-card"],
  ["bundle-format", "", "main h2"],
  ["methods", "", "main table"],
  ["explore", "", ".atlas-scatter figure"],
  ["mapper", "?data=digits-mlp", "figure.atlas-mapper"],
  [
    "som-codes",
    "?data=digits-mlp&epochs=3",
    ".atlas-figure .atlas-row figure, .atlas-figure .atlas-row svg",
  ],
  ["layer-topology", "?samples=60", ".atlas-figure .atlas-row figure"],
  ["mda", "?maxPoints=100&iterations=30", ".mda-row"],
  ["mphate", "?epochStride=10&generalizationLandmarks=100&ariSeeds=1", ".atlas-scatter"],
  ["examples", "", ".atlas-figure table"],
];

describe("axe-core finds no serious or critical violation", () => {
  for (const [name, query, drawn] of PAGES) {
    it(`${name}${query}`, async () => {
      const { page, errors, external } = await watchedPage(site.browser);
      await page.setViewportSize({ width: 1400, height: 900 });
      await page.goto(site.url + `${name}.html${query}`);
      await page.locator(drawn).first().waitFor({ timeout: 180_000 });
      await settled(page, 180_000);
      expect(await seriousViolations(page)).toEqual([]);
      expect(errors).toEqual([]);
      expect(external).toEqual([]);
      await page.context().close();
    }, 300_000);
  }
});
