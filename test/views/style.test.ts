// ariaMarkGroups: Plot's named mark groups get a role (text) or leave the accessibility tree (bare shapes).
import * as Plot from "@observablehq/plot";
import { describe, expect, it } from "vitest";
import { reportDocument } from "../../src/report/dom.ts";
import { ariaMarkGroups, housePlot } from "../../src/views/style.ts";

/** Every <g> with an aria-label, as "label: role / hidden". */
function groups(root: Element): string[] {
  return Array.from(
    root.querySelectorAll("g[aria-label]"),
    (g) =>
      `${g.getAttribute("aria-label")}: ${g.getAttribute("role") ?? "-"} / ${g.getAttribute("aria-hidden") ?? "-"}`,
  );
}

describe("ariaMarkGroups", () => {
  it("makes groups with text named groups, hides groups of bare shapes, leaves Plot's hidden ticks alone", () => {
    const rows = [
      { x: 1, y: 2, name: "a" },
      { x: 2, y: 3, name: "b" },
    ];
    const svg = Plot.plot({
      document: reportDocument(),
      marks: [
        Plot.dot(rows, { x: "x", y: "y" }),
        Plot.text(rows, { x: "x", y: "y", text: "name" }),
        Plot.rect(rows, {
          x1: "x",
          x2: (d: { x: number }) => d.x + 0.5,
          y1: 0,
          y2: "y",
          title: "name",
        }),
        Plot.ruleY([0]),
        Plot.frame(),
      ],
    }) as unknown as SVGSVGElement;
    // Plot names every mark's group and gives none a role.
    expect(svg.querySelectorAll("g[aria-label][role]")).toHaveLength(0);
    expect(ariaMarkGroups(svg)).toBe(svg);
    const named = groups(svg);
    expect(named).toContain("dot: - / true");
    expect(named).toContain("rule: - / true");
    // A one-shape mark (the frame) names its <rect>: hidden like a group of shapes.
    expect(svg.querySelector("rect[aria-label=frame]")!.getAttribute("aria-hidden")).toBe("true");
    expect(named).toContain("text: group / -");
    // Rectangles with a title channel carry text (their <title>): a group, not hidden.
    expect(named).toContain("rect: group / -");
    expect(named).toContain("x-axis tick label: group / -");
    expect(named).toContain("y-axis tick: - / true");
    // No group keeps a name without a role unless it is hidden: what axe calls aria-prohibited-attr.
    expect(svg.querySelectorAll("g[aria-label]:not([role]):not([aria-hidden=true])")).toHaveLength(
      0,
    );
    // Running it again changes nothing.
    const once = svg.outerHTML;
    ariaMarkGroups(svg);
    expect(svg.outerHTML).toBe(once);
  });

  it("is applied by housePlot, on the svg inside a figure with a legend too", () => {
    const figure = housePlot({
      document: reportDocument(),
      ariaLabel: "two dots",
      color: { legend: true, domain: ["p", "q"] },
      marks: [
        Plot.dot(
          [
            { x: 0, c: "p" },
            { x: 1, c: "q" },
          ],
          { x: "x", fill: "c" },
        ),
      ],
    } as Parameters<typeof housePlot>[0]);
    expect(figure.tagName.toLowerCase()).toBe("figure");
    expect(figure.getAttribute("aria-label")).toBe("two dots");
    expect(
      figure.querySelectorAll("g[aria-label]:not([role]):not([aria-hidden=true])"),
    ).toHaveLength(0);
    expect(figure.querySelector("g[aria-label=dot]")!.getAttribute("aria-hidden")).toBe("true");
  });
});
