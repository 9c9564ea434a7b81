/**
 * The layout checks of a notebook page, shared by layout-a11y.test.ts and the tests that open a
 * notebook's default page for other reasons (that page is then checked where it is computed):
 * the workspace at 1400 × 900 when the main figure appears, every table in the notebook's column
 * once the page has settled, and one column at 420 px.
 */
import type { Page } from "playwright-core";
import { expect } from "vitest";

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

/**
 * At 1400 × 900 (the page's viewport), as soon as `figure` (the main figure) is drawn: the side
 * panel beside the notebook, the figure on the first screen, no horizontal scroll of the page or
 * of a table's box.
 */
export async function expectWideWorkspace(page: Page, figure: string): Promise<void> {
  const wide = await workspace(page, figure);
  expect(wide.panel.right).toBeLessThanOrEqual(wide.main.left);
  expect(wide.figureTop).toBeLessThan(900 - 150);
  expect(wide.pageWidth).toBeLessThanOrEqual(1400);
  expect(wide.scrolling).toEqual([]);
}

/**
 * Every visible table in the notebook's column fits it: none is wider than the column, and no box
 * between a table and the column scrolls sideways. Call once the page has settled.
 */
export async function expectTablesInColumn(page: Page): Promise<void> {
  const tables = await page.evaluate(() => {
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
  expect(tables.length).toBeGreaterThan(0);
  expect(tables.filter((t) => t.overflow > 0 || t.scrolling.length > 0)).toEqual([]);
}

/**
 * At 420 px (a phone) the panel sits above the notebook, in one column, and the page does not
 * scroll sideways. The figures redraw at the narrower width first (Observable's `width`): the
 * check waits for that layout, and on a timeout the assertions say which part is wrong.
 */
export async function expectOneColumnAt420(page: Page, figure: string): Promise<void> {
  await page.setViewportSize({ width: 420, height: 900 });
  await page
    .waitForFunction(
      () => {
        const panel = document.querySelector(".atlas-panel")!.getBoundingClientRect();
        const main = document.querySelector("main")!.getBoundingClientRect();
        return (
          panel.bottom <= main.top &&
          Math.abs(panel.left - main.left) < 2 &&
          document.documentElement.scrollWidth <= 420
        );
      },
      null,
      { timeout: 10_000 },
    )
    .catch(() => undefined);
  const narrow = await workspace(page, figure);
  expect(narrow.panel.bottom).toBeLessThanOrEqual(narrow.main.top);
  expect(Math.abs(narrow.panel.left - narrow.main.left)).toBeLessThan(2);
  expect(narrow.pageWidth).toBeLessThanOrEqual(420);
}
