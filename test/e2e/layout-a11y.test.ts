/**
 * End-to-end: every page of the site, each opened once on a small example, checked for its
 * layout and its accessibility on that one page:
 *
 * - the notebook's workspace at 1400 × 900, as soon as its main figure is drawn: the side panel
 *   beside the notebook, the main figure on the first screen, no horizontal scroll of the page
 *   or of a table's box;
 * - once its runs have settled, every table it shows fits the notebook's column: no table is
 *   wider than the column and no box between a table and the column scrolls sideways;
 * - axe-core (WCAG 2 A/AA rules and best practices) finds no serious or critical violation; the
 *   failure lists each one with its element;
 * - at 420 px the panel and the notebook are one column, the page without horizontal scroll.
 *
 * The gallery and the docs pages have no panel: only axe-core runs on them. The mphate notebook
 * gets the same checks on its default page in mphate.test.ts, which computes every study of it
 * anyway (its seed studies are the longest runs of the site, even on their lightest settings).
 */
import { describe, expect, it } from "vitest";
import { seriousViolations, settled, useSite, watchedPage } from "./browser.ts";
import { expectOneColumnAt420, expectTablesInColumn, expectWideWorkspace } from "./layout.ts";

const site = useSite();

/** Page, query (a small example, so that the whole file takes a couple of minutes), and its drawn main figure. */
const DOCS: [string, string, string][] = [
  ["index", "", ".atlas-gallery a.atlas-card"],
  ["bundle-format", "", "main h2"],
  ["methods", "", "main table"],
];
const NOTEBOOKS: [string, string, string][] = [
  ["explore", "", ".atlas-scatter figure, .atlas-scatter canvas"],
  ["mapper", "?data=digits-mlp", "figure.atlas-mapper"],
  [
    "som-codes",
    "?data=digits-mlp&epochs=3",
    ".atlas-figure .atlas-row figure, .atlas-figure .atlas-row svg",
  ],
  ["layer-topology", "?samples=60", ".atlas-figure .atlas-row figure"],
  ["mda", "?maxPoints=100&iterations=30", ".mda-row"],
  ["examples", "", ".atlas-figure table"],
];

describe("the gallery and the docs pages", () => {
  for (const [name, query, drawn] of DOCS) {
    it(`${name}${query}: axe-core finds no serious or critical violation`, async () => {
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

describe("every notebook", () => {
  for (const [name, query, figure] of NOTEBOOKS) {
    it(`${name}${query}: at 1400 × 900 the panel is beside the notebook, the main figure on the first screen, every table fits the column and nothing scrolls sideways; axe-core finds no serious or critical violation; at 420 px one column`, async () => {
      const { page, errors, external } = await watchedPage(site.browser);
      await page.setViewportSize({ width: 1400, height: 900 });
      await page.goto(site.url + `${name}.html${query}`);
      await page.locator(figure).first().waitFor({ timeout: 180_000 });
      await expectWideWorkspace(page, figure);
      await settled(page, 180_000);
      await expectTablesInColumn(page);
      expect(await seriousViolations(page)).toEqual([]);
      await expectOneColumnAt420(page, figure);
      expect(errors).toEqual([]);
      expect(external).toEqual([]);
      await page.context().close();
    }, 300_000);
  }
});
