/**
 * End-to-end: at 420 px the methods page's settings tables wrap between quantities, never inside
 * one: no number is split over two lines, none is parted from the sign before it ("≥ 0") or the
 * unit after it ("10 samples", "576 MB"), and no word is spelt over several lines.
 */
import { describe, expect, it } from "vitest";
import { settled, useSite, watchedPage } from "./browser.ts";

const site = useSite();

describe("methods page at 420 px", () => {
  it("keeps every number whole and with its sign and unit in the settings tables", async () => {
    const { page, errors } = await watchedPage(site.browser);
    await page.setViewportSize({ width: 420, height: 900 });
    await page.goto(site.url + "methods.html");
    await page.locator("main table.atlas-doc-table").first().waitFor({ timeout: 60_000 });
    await settled(page);
    const found = await page.evaluate(() => {
      const split: string[] = [];
      let quantities = 0;
      // Lines a piece of a text node falls on (its boxes' distinct tops).
      const lines = (node: Node, start: number, end: number) => {
        const range = document.createRange();
        range.setStart(node, start);
        range.setEnd(node, end);
        return new Set(
          Array.from(range.getClientRects())
            .filter((r) => r.width > 0)
            .map((r) => Math.round(r.top)),
        ).size;
      };
      for (const cell of Array.from(document.querySelectorAll("table.atlas-doc-table td"))) {
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
          const text = n.textContent ?? "";
          // A sign and its number, a number and the word after it, or a word alone.
          const pattern = /(?:[≥≤<>]\s)?-?\d[\d.,]*(?:\s[\p{L}%×]+)?|\p{L}+/gu;
          for (const m of text.matchAll(pattern)) {
            if (/\d/.test(m[0])) quantities++;
            if (lines(n, m.index!, m.index! + m[0].length) > 1) split.push(m[0]);
          }
        }
      }
      return { quantities, split };
    });
    expect(found.quantities).toBeGreaterThan(100);
    expect(found.split).toEqual([]);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 120_000);
});
