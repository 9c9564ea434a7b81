// Topology figures: snapshots of the barcode, persistence diagram, layer heatmap and sensitivity
// curves on hand-made results (the diagrams of four points on a unit square), their documented
// defaults, 12 px text and an aria-label on each.
import { describe, expect, it } from "vitest";
import type { LayerTopologyResult, PersistenceDiagram } from "../../src/analyses/layer-topology.ts";
import { reportDocument } from "../../src/report/dom.ts";
import {
  barcode,
  defaults,
  layerHeatmap,
  persistencePlot,
  sensitivityCurves,
} from "../../src/views/topology.ts";
import { expectSnapshot, serialize, textFontSizes } from "../support/snapshot.ts";

/**
 * Vietoris–Rips diagrams of the corners of a unit square: four components born at 0, three
 * merging at distance 1, one essential; one loop born at 1 (the sides) and filled at √2 (the
 * diagonals).
 */
const square: PersistenceDiagram[] = [
  {
    dim: 0,
    births: Float64Array.from([0, 0, 0, 0]),
    deaths: Float64Array.from([1, 1, 1, Infinity]),
  },
  { dim: 1, births: Float64Array.from([1]), deaths: Float64Array.from([Math.SQRT2]) },
];
const THRESHOLD = 1.5;

function expectHouseStyle(figure: Element, label: string): void {
  expect(textFontSizes(figure).filter((t) => t.px < 12)).toEqual([]);
  expect(figure.getAttribute("aria-label")).toBe(label);
}

describe("barcode", () => {
  it("draws one bar per pair, the essential class to the threshold (snapshot)", () => {
    const figure = barcode(square, THRESHOLD, { document: reportDocument() });
    expectSnapshot("topology-barcode", figure);
    expectHouseStyle(
      figure,
      "Barcode of 5 persistence pairs in H0 and H1: one bar per pair from birth to death in filtration value (layer units), 1 essential class running to the threshold 1.5",
    );
    expect(figure.querySelectorAll("g[aria-label=bar] rect")).toHaveLength(5);
    expect(
      Array.from(figure.querySelectorAll("g[aria-label=text] text"), (t) => t.textContent),
    ).toEqual(["→ ∞"]);
  });

  it("keeps the longest bars of each degree and says how many were left out, singular or plural", () => {
    const two = barcode(square, THRESHOLD, { maxBars: 4, document: reportDocument() });
    expect(two.querySelector("figcaption")!.textContent).toBe(
      "2 shortest bars not drawn (2 longest per degree shown)",
    );
    const one = barcode(square, THRESHOLD, { maxBars: 6, document: reportDocument() });
    expect(one.querySelector("figcaption")!.textContent).toBe(
      "1 shortest bar not drawn (3 longest per degree shown)",
    );
    expect(one.getAttribute("aria-label")).toMatch(/; 1 shortest bar not drawn$/);
    expect(textFontSizes(one).filter((t) => t.px < 12)).toEqual([]);
  });
});

describe("persistencePlot", () => {
  it("draws births against deaths with the diagonal and the essential class on the threshold (snapshot)", () => {
    const figure = persistencePlot(square, THRESHOLD, {
      unit: "activation units",
      document: reportDocument(),
    });
    expectSnapshot("topology-persistence-plot", figure);
    expectHouseStyle(
      figure,
      "Persistence diagram of 5 pairs in H0 and H1: death against birth (activation units), 1 essential class as triangles on the threshold 1.5",
    );
    expect(figure.querySelectorAll("g[aria-label=dot] path")).toHaveLength(5);
  });
});

describe("layerHeatmap", () => {
  const names = ["conv1", "conv2", "<i>fc</i>", "logits"];
  const matrix = Float64Array.from([
    0,
    0.5,
    1.25,
    2,
    0.5,
    0,
    0.75,
    1.5,
    1.25,
    0.75,
    0,
    NaN,
    2,
    1.5,
    NaN,
    0,
  ]);

  it("draws a layer × layer heatmap with the values in the cells (snapshot)", () => {
    const figure = layerHeatmap(names, matrix, {
      label: "sliced Wasserstein (layer units)",
      document: reportDocument(),
    });
    expectSnapshot("topology-layer-heatmap", figure);
    expectHouseStyle(
      figure,
      "sliced Wasserstein (layer units) between every pair of 4 layers, as a 4 × 4 heatmap with the value in each cell",
    );
    expect(figure.querySelectorAll("g[aria-label=cell] rect")).toHaveLength(16);
    expect(
      Array.from(figure.querySelectorAll("g[aria-label=text] text"), (t) => t.textContent).slice(
        0,
        4,
      ),
    ).toEqual(["0.0", "0.50", "1.3", "2.0"]);
    expect(figure.querySelector("i")).toBeNull();
  });

  it("leaves values to the tooltips when the cells are too small for 12 px text", () => {
    const many = Array.from({ length: 12 }, (_, i) => `layer${i}`);
    const figure = layerHeatmap(
      many,
      new Float64Array(144).map((_, k) => k % 13),
      { document: reportDocument() },
    );
    expect(figure.querySelectorAll("g[aria-label=cell] rect")).toHaveLength(144);
    expect(figure.querySelector("g[aria-label=text]")).toBeNull();
    expectHouseStyle(figure, "Value between every pair of 12 layers, as a 12 × 12 heatmap");
  });

  it("rounds a ResNet's 7 layers' values to fit their cells, so that neighbours do not touch", () => {
    const resnet = ["conv1", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc"];
    const matrix = new Float64Array(49).map((_, k) => (k % 8 === 0 ? 0 : 0.056));
    const texts = (width: number) => {
      const figure = layerHeatmap(resnet, matrix, { width, document: reportDocument() });
      expect(textFontSizes(figure).filter((t) => t.px < 12)).toEqual([]);
      return Array.from(figure.querySelectorAll("g[aria-label=text] text"))
        .slice(0, 2)
        .map((t) => t.textContent);
    };
    // Cells are (width − 73 − 20) / 7 px wide; "0.056" takes 36 px at 12 px, "0.06" 29 px.
    expect(texts(380)).toEqual(["0.0", "0.056"]);
    expect(texts(340)).toEqual(["0.00", "0.06"]);
    expect(texts(280)).toEqual(["0.0", "0.1"]);
  });
});

describe("sensitivityCurves", () => {
  const sensitivity: NonNullable<LayerTopologyResult["sensitivity"]> = {
    fractions: [0.25, 0.5, 0.75],
    remove: "lowest",
    layers: [
      {
        name: "conv1",
        removed: [2, 4, 6],
        sliced: [0.01, 0.05, 0.2],
        bottleneck: [0.02, 0.04, 0.1],
        cka: [0.999, 0.99, 0.95],
      },
      {
        name: "conv2",
        removed: [4, 8, 12],
        sliced: [0.02, 0.08, 0.3],
        bottleneck: [0.03, 0.06, 0.12],
        cka: [0.998, 0.98, 0.9],
      },
    ],
  };

  it("draws each layer's distance to its original diagram against the share removed (snapshot)", () => {
    const figure = sensitivityCurves(sensitivity, "sliced", { document: reportDocument() });
    expectSnapshot("topology-sensitivity-curves", figure);
    expectHouseStyle(
      figure,
      "sliced Wasserstein distance to the original diagram (layer units) against the share of the least significant directions removed (3 steps) for 2 layers, one line each",
    );
    expect(figure.querySelectorAll("g[aria-label=line] path")).toHaveLength(2);
  });

  it("keeps its documented defaults", () => {
    expect(defaults.sensitivityCurves).toEqual({
      measure: "sliced",
      width: 520,
      height: 280,
      unit: "layer units",
      title: undefined,
    });
    expect(
      serialize(sensitivityCurves(sensitivity, undefined, { document: reportDocument() })),
    ).toBe(
      serialize(
        sensitivityCurves(sensitivity, "sliced", {
          ...defaults.sensitivityCurves,
          document: reportDocument(),
        }),
      ),
    );
  });
});

describe("topology defaults", () => {
  it("barcode, persistencePlot and layerHeatmap draw the same with no options as with their defaults", () => {
    const doc = () => ({ document: reportDocument() });
    expect(serialize(barcode(square, THRESHOLD, doc()))).toBe(
      serialize(barcode(square, THRESHOLD, { ...defaults.barcode, ...doc() })),
    );
    expect(serialize(persistencePlot(square, THRESHOLD, doc()))).toBe(
      serialize(persistencePlot(square, THRESHOLD, { ...defaults.persistencePlot, ...doc() })),
    );
    const m = Float64Array.from([0, 1, 1, 0]);
    expect(serialize(layerHeatmap(["a", "b"], m, doc()))).toBe(
      serialize(layerHeatmap(["a", "b"], m, { ...defaults.layerHeatmap, ...doc() })),
    );
    const svg = persistencePlot(square, THRESHOLD, doc()).querySelectorAll("svg");
    const chart = svg[svg.length - 1];
    expect([chart.getAttribute("width"), chart.getAttribute("height")]).toEqual(["320", "320"]);
  });
});
