// Mapper figures: snapshots of a small graph (pies, and a numeric fill) and of the purity chart;
// the Jaccard threshold hides weak edges and keeps them out of the layout (no hairball); nodes
// of a small multiple do not overlap; documented defaults; layerTrio for the three-layer row.
import { describe, expect, it } from "vitest";
import type { MapperNodeSummary } from "../../src/analyses/mapper.ts";
import { HiddenAtlasError } from "../../src/core/errors.ts";
import { reportDocument } from "../../src/report/dom.ts";
import {
  defaults,
  layerTrio,
  layoutGraph,
  mapperGraph,
  purityChart,
} from "../../src/views/mapper.ts";
import { mulberry32 } from "../helpers.ts";
import { expectSnapshot, serialize, textFontSizes } from "../support/snapshot.ts";

const CLASSES = ["cat", "dog", "<img src=x onerror=alert(1)>"];

/** A node of `size` members split over three classes by `shares`, with a mean lens. */
function node(
  id: string,
  size: number,
  shares: [number, number, number],
  lens: number,
  component = 0,
): MapperNodeSummary {
  const labelCounts = shares.map((s) => Math.round(s * size));
  return { id, size, members: [], lens: [lens], component, labelCounts };
}

/** Six nodes in a chain a–b–c–d plus a pair e–f, edges of several Jaccard weights. */
const small = {
  layer: "fc <b>2</b>",
  nodes: [
    node("e0c0", 40, [1, 0, 0], 0.1),
    node("e1c0", 25, [0.6, 0.4, 0], 0.3),
    node("e2c0", 12, [0.2, 0.8, 0], 0.5),
    node("e3c0", 30, [0, 0.5, 0.5], 0.7),
    node("e4c0", 8, [0, 0, 1], 0.9, 1),
    node("e4c1", 3, [0, 1, 0], 0.95, 1),
  ],
  links: [
    [0, 1, 0.4],
    [1, 2, 0.15],
    [2, 3, 0.3],
    [4, 5, 0.05],
    [0, 2, 0.08],
  ] as [number, number, number][],
};

/** Drawn nodes: centre (from the group's translate) and radius (its outline). */
function drawnNodes(figure: Element): { x: number; y: number; r: number }[] {
  return Array.from(figure.querySelectorAll("g[data-node]"), (g) => {
    const [, x, y] = /translate\(([-\d.e]+),([-\d.e]+)\)/
      .exec(g.getAttribute("transform")!)!
      .map(Number);
    return { x, y, r: Number(g.querySelector("circle")!.getAttribute("r")) };
  });
}

/** Two tight groups of `k` nodes (strong edges inside) with a weak edge between every cross pair. */
function twoGroups(k: number) {
  const nodes = Array.from({ length: 2 * k }, (_, i) =>
    node(`n${i}`, 20, i < k ? [1, 0, 0] : [0, 1, 0], i / (2 * k)),
  );
  const links: [number, number, number][] = [];
  for (let a = 0; a < 2 * k; a++) {
    for (let b = a + 1; b < 2 * k; b++) links.push([a, b, a < k === b < k ? 0.6 : 0.05]);
  }
  return { nodes, links };
}

/** Mean distance between the groups' centres over the mean distance of a node to its group's centre. */
function separation(positions: { x: number; y: number }[], k: number): number {
  const centre = (from: number) => {
    const g = positions.slice(from, from + k);
    return { x: g.reduce((s, p) => s + p.x, 0) / k, y: g.reduce((s, p) => s + p.y, 0) / k };
  };
  const [a, b] = [centre(0), centre(k)];
  const spread =
    positions.reduce(
      (s, p, i) => s + Math.hypot(p.x - (i < k ? a : b).x, p.y - (i < k ? a : b).y),
      0,
    ) / positions.length;
  return Math.hypot(a.x - b.x, a.y - b.y) / spread;
}

describe("mapperGraph", () => {
  it("draws pies, edges by Jaccard weight and legends (snapshot), in the house style", () => {
    const figure = mapperGraph(small, {
      classNames: CLASSES,
      minJaccard: 0.1,
      width: 320,
      title: "fc <b>2</b> · 6 nodes",
      document: reportDocument(),
    });
    expectSnapshot("mapper-graph-pies", figure);
    expect(figure.getAttribute("aria-label")).toBe(
      "Mapper graph of fc <b>2</b>: 6 nodes, 5 edges (3 at Jaccard ≥ 0.1 drawn); each node a pie of its members' true labels",
    );
    expect(figure.querySelector("svg[role=img]")!.getAttribute("aria-label")).toBe(
      "Mapper graph: 6 nodes, 5 edges",
    );
    expect(textFontSizes(figure).filter((t) => t.px < 12)).toEqual([]);
    // Names from the data are text: no element made from them.
    expect(figure.querySelector("img, b")).toBeNull();
    expect(figure.textContent).toContain(CLASSES[2]);
  });

  it("fills nodes by a numeric statistic with a turbo legend (snapshot)", () => {
    const figure = mapperGraph(small, { color: "lens", width: 320, document: reportDocument() });
    expectSnapshot("mapper-graph-lens", figure);
    expect(figure.getAttribute("aria-label")).toBe(
      "Mapper graph of fc <b>2</b>: 6 nodes, 5 edges; nodes filled by mean lens value (scaled to [0, 1])",
    );
    expect(textFontSizes(figure).filter((t) => t.px < 12)).toEqual([]);
  });

  it("hides edges below the threshold, and they do not pull in the layout", () => {
    const figure = mapperGraph(small, {
      classNames: CLASSES,
      minJaccard: 0.1,
      width: 320,
      document: reportDocument(),
    });
    const shown = Array.from(figure.querySelectorAll("svg[role=img] line"), (l) =>
      l.getAttribute("visibility"),
    );
    expect(shown).toEqual(["visible", "visible", "visible", "hidden", "hidden"]);
    // The layout is the layout of the strong edges alone.
    const strong = { ...small, links: small.links.filter(([, , w]) => w >= 0.1) };
    const alone = mapperGraph(strong, {
      classNames: CLASSES,
      width: 320,
      document: reportDocument(),
    });
    expect(drawnNodes(figure)).toEqual(drawnNodes(alone));
    expect(layoutGraph(small.nodes, small.links, 320, 240, 0.1)).toEqual(
      layoutGraph(small.nodes, strong.links, 320, 240),
    );
    // setMinJaccard shows and hides edges without moving a node.
    (figure as ReturnType<typeof mapperGraph>).setMinJaccard(0);
    expect(
      Array.from(figure.querySelectorAll("svg[role=img] line"), (l) =>
        l.getAttribute("visibility"),
      ),
    ).toEqual(Array(5).fill("visible"));
    expect(drawnNodes(figure)).toEqual(drawnNodes(alone));
  });

  it("separates two groups joined only by weak edges once the threshold drops those edges (no hairball)", () => {
    const k = 8;
    const { nodes, links } = twoGroups(k);
    const knotted = separation(layoutGraph(nodes, links, 300, 225), k);
    const apart = separation(layoutGraph(nodes, links, 300, 225, 0.2), k);
    // With the 64 weak cross edges pulling, the groups sit on each other; without, well apart.
    // (Measured: 1.55 and 3.60; the layout is deterministic.)
    expect(knotted).toBeLessThan(2);
    expect(apart).toBeGreaterThan(3);
    expect(apart).toBeGreaterThan(2 * knotted);
  });

  it("shrinks nodes with a layout too large for a small multiple, so that none overlap", () => {
    const random = mulberry32(7);
    const nodes = Array.from({ length: 60 }, (_, i) =>
      node(`n${i}`, 20 + Math.floor(random() * 600), [1, 0, 0], random()),
    );
    const links: [number, number, number][] = Array.from({ length: 59 }, (_, i) => [i, i + 1, 0.3]);
    for (const width of [200, 640]) {
      const placed = layoutGraph(nodes, links, width, Math.round(width * 0.75));
      let worst = Infinity;
      for (let a = 0; a < placed.length; a++) {
        for (let b = a + 1; b < placed.length; b++)
          worst = Math.min(
            worst,
            Math.hypot(placed[a].x - placed[b].x, placed[a].y - placed[b].y) -
              placed[a].r -
              placed[b].r,
          );
      }
      expect(worst, `width ${width}`).toBeGreaterThan(-0.5);
      for (const p of placed) {
        expect(p.x - p.r).toBeGreaterThanOrEqual(0);
        expect(p.x + p.r).toBeLessThanOrEqual(width);
      }
    }
  });

  it("is deterministic and keeps its documented defaults", () => {
    expect(defaults.mapperGraph).toEqual({
      color: "label",
      classNames: [],
      width: 640,
      height: undefined,
      title: undefined,
      minJaccard: 0,
      interactive: false,
    });
    const a = serialize(mapperGraph(small, { document: reportDocument() }));
    expect(serialize(mapperGraph(small, { document: reportDocument() }))).toBe(a);
    expect(
      serialize(mapperGraph(small, { ...defaults.mapperGraph, document: reportDocument() })),
    ).toBe(a);
    const svg = mapperGraph(small, { document: reportDocument() }).querySelector("svg[role=img]")!;
    expect([svg.getAttribute("width"), svg.getAttribute("height")]).toEqual(["640", "480"]);
  });
});

describe("purityChart", () => {
  it("draws purity, majority share and lost share per layer (snapshot)", () => {
    const rows = [
      {
        layer: "conv1",
        meanInverseClasses: 0.31,
        weightedMajority: 0.42,
        nodes: 19,
        lostShare: 0.05,
      },
      {
        layer: "conv2",
        meanInverseClasses: 0.45,
        weightedMajority: 0.58,
        nodes: 30,
        lostShare: 0.08,
      },
      {
        layer: "logits",
        meanInverseClasses: 0.87,
        weightedMajority: 0.91,
        nodes: 57,
        lostShare: 0.12,
      },
    ];
    const figure = purityChart(rows, { by: "true labels", document: reportDocument() });
    expectSnapshot("mapper-purity-chart", figure);
    expect(figure.getAttribute("aria-label")).toBe(
      "Mapper purity, majority share and share of points lost across 3 layers, from input to output (classes: true labels)",
    );
    expect(textFontSizes(figure).filter((t) => t.px < 12)).toEqual([]);
    expect(defaults.purityChart).toEqual({ width: 640, by: undefined });
    expect(
      purityChart(rows.slice(0, 1), { document: reportDocument() })
        .querySelector("svg")!
        .getAttribute("aria-label"),
    ).toContain("across 1 layer,");
  });
});

describe("layerTrio", () => {
  const results = ["conv1", "conv2", "conv3", "gap", "logits"].map((layer) => ({ layer }));
  const names = (list: { layer: string }[]) => list.map((r) => r.layer);

  it("gives the layer before, the layer and the layer after, shifted inwards at the ends", () => {
    expect(names(layerTrio(results, 2))).toEqual(["conv2", "conv3", "gap"]);
    expect(names(layerTrio(results, 0))).toEqual(["conv1", "conv2", "conv3"]);
    expect(names(layerTrio(results, 4))).toEqual(["conv3", "gap", "logits"]);
  });

  it("gives one or two distinct layers for a bundle with fewer than three, never a repeat", () => {
    expect(names(layerTrio([{ layer: "fc" }], 0))).toEqual(["fc"]);
    expect(names(layerTrio(results.slice(0, 2), 1))).toEqual(["conv1", "conv2"]);
    expect(names(layerTrio([{ layer: "fc" }, { layer: "fc" }, { layer: "fc" }], 2))).toEqual([
      "fc",
    ]);
  });

  it("rejects an index outside the list with E_PARAM", () => {
    for (const bad of [-1, 5, 1.5, NaN]) {
      expect(() => layerTrio(results, bad)).toThrow(HiddenAtlasError);
      expect(() => layerTrio(results, bad)).toThrow(
        /invalid index: .* \(expected an integer from 0 to 4, a position in the 5 layers\)/,
      );
    }
  });
});
