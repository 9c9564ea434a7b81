// keyboardNodes: a Mapper graph's nodes become buttons, and the drawing that holds them a group.
import { describe, expect, it } from "vitest";
import type { MapperNodeSummary } from "../../src/analyses/mapper.ts";
import { reportDocument } from "../../src/report/dom.ts";
import { keyboardNodes } from "../../src/ui/accessible.ts";
import { mapperGraph } from "../../src/views/mapper.ts";

const node = (
  id: string,
  size: number,
  labelCounts: number[],
  lens: number,
): MapperNodeSummary => ({ id, size, members: [], lens: [lens], component: 0, labelCounts });

describe("keyboardNodes", () => {
  it("makes the nodes' own <svg> a named group of buttons, not the legend drawn before it", () => {
    const result = {
      layer: "fc2",
      nodes: [node("a", 10, [10, 0], 0.1), node("b", 6, [3, 3], 0.5), node("c", 8, [0, 8], 0.9)],
      links: [
        [0, 1, 0.4],
        [1, 2, 0.2],
      ] as [number, number, number][],
    };
    const graph = mapperGraph(result, {
      classNames: ["cat", "dog"],
      width: 320,
      document: reportDocument(),
    });
    const svgs = Array.from(graph.querySelectorAll("svg"));
    const drawing = svgs.find((s) => s.querySelector("g[data-node]"))!;
    // The legends come first: the case the first <svg> of the figure got wrong.
    expect(svgs.indexOf(drawing)).toBeGreaterThan(0);
    const legendLabels = svgs
      .filter((s) => s !== drawing)
      .map((s) => [s.getAttribute("role"), s.getAttribute("aria-label")]);

    keyboardNodes(graph, (i) => result.nodes[i].id);
    expect(drawing.getAttribute("role")).toBe("group");
    expect(drawing.getAttribute("aria-label")).toBe(
      "Mapper graph: 3 nodes, 2 edges. Tab to a node, arrow keys move between nodes, Enter selects.",
    );
    expect(
      svgs
        .filter((s) => s !== drawing)
        .map((s) => [s.getAttribute("role"), s.getAttribute("aria-label")]),
    ).toEqual(legendLabels);
    const buttons = Array.from(drawing.querySelectorAll("g[data-node]"), (g) => [
      g.getAttribute("role"),
      g.getAttribute("tabindex"),
      g.getAttribute("aria-label"),
    ]);
    expect(buttons).toEqual([
      ["button", "0", "node a"],
      ["button", "0", "node b"],
      ["button", "0", "node c"],
    ]);
  });
});
