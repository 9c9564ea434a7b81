// varianceChart: snapshot of a scree chart, its documented defaults, 12 px text, aria-label.
import { describe, expect, it } from "vitest";
import { reportDocument } from "../../src/report/dom.ts";
import { defaults, varianceChart } from "../../src/views/variance.ts";
import { expectSnapshot, serialize, textFontSizes } from "../support/snapshot.ts";

describe("varianceChart", () => {
  it("draws each component's share as a bar and the cumulative share as a line (snapshot)", () => {
    const ratios = [0.42, 0.21, 0.12, 0.07];
    const figure = varianceChart(ratios, { document: reportDocument() });
    expectSnapshot("variance-chart", figure);
    expect(figure.getAttribute("aria-label")).toBe(
      "Share of the variance explained by each of 4 principal components (bars) and cumulatively (line), 82 % in all",
    );
    expect(textFontSizes(figure).filter((t) => t.px < 12)).toEqual([]);
    expect(Array.from(figure.querySelectorAll("g[aria-label=bar] rect"))).toHaveLength(4);
    expect(figure.querySelector("g[aria-label=text] text")!.textContent).toBe("82 % cumulative");
  });

  it("keeps its documented defaults", () => {
    expect(defaults).toEqual({ width: 360, height: 220 });
    const ratios = [0.9];
    const plain = varianceChart(ratios, { document: reportDocument() });
    expect(serialize(varianceChart(ratios, { ...defaults, document: reportDocument() }))).toBe(
      serialize(plain),
    );
    expect([plain.getAttribute("width"), plain.getAttribute("height")]).toEqual(["360", "220"]);
    expect(plain.getAttribute("aria-label")).toContain("each of 1 principal component (bars)");
  });
});
