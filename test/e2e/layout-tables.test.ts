/**
 * End-to-end: at 1400 × 900, with the side panel beside the notebook, every table a notebook
 * shows (once its runs have settled) fits its column: no table is wider than the column, and no
 * box between a table and the column scrolls sideways.
 *
 * Each notebook opens on a small example so that the file takes a few minutes.
 */
import { describe, expect, it } from "vitest";
import { settled, useSite, watchedPage } from "./browser.ts";

const site = useSite();

/** Notebook, query, and its main figure. */
const NOTEBOOKS: [string, string, string][] = [
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

describe("tables at 1400 × 900", () => {
  for (const [name, query, figure] of NOTEBOOKS) {
    it(`${name}: every table fits the notebook's column, nothing scrolls sideways`, async () => {
      const { page, errors } = await watchedPage(site.browser);
      await page.setViewportSize({ width: 1400, height: 900 });
      await page.goto(site.url + `${name}.html${query}`);
      await page.locator(figure).first().waitFor({ timeout: 180_000 });
      await settled(page, 180_000);
      const tables = await page.evaluate(() => {
        const column = document.querySelector("main")!;
        const right = column.getBoundingClientRect().right;
        return Array.from(document.querySelectorAll<HTMLTableElement>("main table"))
          .filter((t) => t.offsetParent !== null)
          .map((t) => {
            const boxes: HTMLElement[] = [];
            for (let e: HTMLElement | null = t; e && e !== column; e = e.parentElement)
              boxes.push(e);
            const scrolling = boxes.filter(
              (e) =>
                e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== "visible",
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
      expect(tables.length).toBeGreaterThan(0);
      expect(tables.filter((t) => t.overflow > 0 || t.scrolling.length > 0)).toEqual([]);
      expect(errors).toEqual([]);
      await page.context().close();
    }, 300_000);
  }
});
