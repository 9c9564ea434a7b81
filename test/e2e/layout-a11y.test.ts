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
 * The gallery and the docs pages have no panel: only axe-core runs on them.
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { seriousViolations, settled, useSite, watchedPage } from "./browser.ts";

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
  ["mphate", "?epochStride=10&generalizationLandmarks=100&ariSeeds=1", ".atlas-scatter svg"],
  ["examples", "", ".atlas-figure table"],
];

/** The workspace at the current viewport: panel, notebook column, the figure's top, the page's width. */
function workspace(page: Page, figure: string) {
  return page.evaluate((figure) => {
    const box = (s: string) => document.querySelector(s)!.getBoundingClientRect();
    const tables = Array.from(document.querySelectorAll<HTMLElement>(".atlas-table-wrap")).filter(
      (t) => t.offsetParent,
    );
    return {
      panel: box(".atlas-panel"),
      main: box("main"),
      figureTop: document.querySelector(figure)!.getBoundingClientRect().top + window.scrollY,
      pageWidth: document.documentElement.scrollWidth,
      scrolling: tables
        .filter((t) => t.scrollWidth > t.clientWidth + 1)
        .map((t) => t.getAttribute("aria-label")),
    };
  }, figure);
}

/** Every visible table in the notebook's column: how far it sticks out, and which boxes around it scroll. */
function tablesInColumn(page: Page) {
  return page.evaluate(() => {
    const column = document.querySelector("main")!;
    const right = column.getBoundingClientRect().right;
    return Array.from(document.querySelectorAll<HTMLTableElement>("main table"))
      .filter((t) => t.offsetParent !== null)
      .map((t) => {
        const boxes: HTMLElement[] = [];
        for (let e: HTMLElement | null = t; e && e !== column; e = e.parentElement) boxes.push(e);
        const scrolling = boxes.filter(
          (e) => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== "visible",
        );
        const name =
          t.querySelector("caption")?.textContent ??
          t.closest("[aria-label]")?.getAttribute("aria-label") ??
          t.className;
        return {
          name,
          overflow: Math.round(Math.max(0, t.getBoundingClientRect().right - right)),
          scrolling: scrolling.map(
            (e) => `${e.localName}.${e.className}: ${e.scrollWidth} > ${e.clientWidth}`,
          ),
        };
      });
  });
}

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
      // The first screen as a person sees it when the main figure appears.
      const wide = await workspace(page, figure);
      expect(wide.panel.right).toBeLessThanOrEqual(wide.main.left);
      expect(wide.figureTop).toBeLessThan(900 - 150);
      expect(wide.pageWidth).toBeLessThanOrEqual(1400);
      expect(wide.scrolling).toEqual([]);

      // Every table, once every run has settled.
      await settled(page, 180_000);
      const tables = await tablesInColumn(page);
      expect(tables.length).toBeGreaterThan(0);
      expect(tables.filter((t) => t.overflow > 0 || t.scrolling.length > 0)).toEqual([]);
      expect(await seriousViolations(page)).toEqual([]);

      // A phone: the figures redraw at the narrower width (Observable's `width`), then the panel sits above the notebook.
      await page.setViewportSize({ width: 420, height: 900 });
      const oneColumn = () => {
        const panel = document.querySelector(".atlas-panel")!.getBoundingClientRect();
        const main = document.querySelector("main")!.getBoundingClientRect();
        return (
          panel.bottom <= main.top &&
          Math.abs(panel.left - main.left) < 2 &&
          document.documentElement.scrollWidth <= 420
        );
      };
      // On a timeout the assertions below say which part of the layout is wrong.
      await page.waitForFunction(oneColumn, null, { timeout: 10_000 }).catch(() => undefined);
      const narrow = await workspace(page, figure);
      expect(narrow.panel.bottom).toBeLessThanOrEqual(narrow.main.top);
      expect(Math.abs(narrow.panel.left - narrow.main.left)).toBeLessThan(2);
      expect(narrow.pageWidth).toBeLessThanOrEqual(420);
      expect(errors).toEqual([]);
      expect(external).toEqual([]);
      await page.context().close();
    }, 300_000);
  }
});
