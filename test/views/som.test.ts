// SOM figures: Plot-style snapshots of every builder on small hand-made maps, hexagonal cells
// that tile (checked by geometry on the drawn paths), documented defaults, 12 px text and an
// aria-label on each; and the hexagonal map's topographic error as a number in the metrics table.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { gridCoordinates } from "../../src/algo/som.ts";
import type { AdversarialStudy, LayerCodes, SomResult } from "../../src/analyses/som-codes.ts";
import { somCodes } from "../../src/analyses/som-codes.ts";
import { loadBundle } from "../../src/io/bundle.ts";
import { zipSource } from "../../src/io/sources.ts";
import { reportDocument } from "../../src/report/dom.ts";
import { layerMetricsTable } from "../../src/report/som-codes.ts";
import {
  bmuArrows,
  classMap,
  defaults,
  gridHeatmap,
  perturbationCurves,
  prototypeMosaic,
  qeCurves,
} from "../../src/views/som.ts";
import { mulberry32 } from "../helpers.ts";
import { expectSnapshot, serialize, textFontSizes } from "../support/snapshot.ts";

type Grid = Pick<SomResult, "rows" | "cols" | "topology" | "coords">;
const grid = (rows: number, cols: number, topology: "rect" | "hex"): Grid => ({
  rows,
  cols,
  topology,
  coords: gridCoordinates(rows, cols, topology),
});

/** Values 0…m−1 with node 5 empty (NaN). */
const values = (m: number) =>
  Float64Array.from({ length: m }, (_, j) => (j === 5 ? NaN : (j * 7) % m));

/** rows × cols class counts over 3 classes, seeded; node 2 empty. */
function classCounts(m: number): Int32Array {
  const random = mulberry32(3);
  return Int32Array.from({ length: m * 3 }, (_, i) =>
    Math.floor(i / 3) === 2 ? 0 : Math.floor(random() * 6),
  );
}

/** Every figure's text at ≥ 12 px and a description on its outermost element. */
function expectHouseStyle(figure: Element, label: RegExp): void {
  const small = textFontSizes(figure).filter((t) => t.px < 12);
  expect(small).toEqual([]);
  expect(figure.getAttribute("aria-label")).toMatch(label);
}

/** A drawn cell: its centre (px) and its polygon (px), from Plot's translate + path. */
function drawnCells(figure: Element): { cx: number; cy: number; polygon: [number, number][] }[] {
  return Array.from(figure.querySelectorAll("g[aria-label=dot] path"), (path) => {
    const [, tx, ty] = /translate\(([-\d.]+),([-\d.]+)\)/
      .exec(path.getAttribute("transform")!)!
      .map(Number);
    const polygon: [number, number][] = [];
    let x = 0,
      y = 0;
    for (const [, command, args] of path.getAttribute("d")!.matchAll(/([MLhvZ])([^MLhvZ]*)/g)) {
      const n = args.split(",").filter(Boolean).map(Number);
      if (command === "M" || command === "L") [x, y] = n;
      else if (command === "h") x += n[0];
      else if (command === "v") y += n[0];
      else continue;
      polygon.push([tx + x, ty + y]);
    }
    return { cx: tx, cy: ty, polygon };
  });
}

const area = (p: [number, number][]) =>
  Math.abs(
    p.reduce((s, [x, y], i) => s + x * p[(i + 1) % p.length][1] - p[(i + 1) % p.length][0] * y, 0),
  ) / 2;

/** Area shared by two convex polygons (Sutherland–Hodgman clipping of a by b). */
function overlap(a: [number, number][], b: [number, number][]): number {
  const sign = Math.sign(
    b.reduce((s, [x, y], i) => s + x * b[(i + 1) % b.length][1] - b[(i + 1) % b.length][0] * y, 0),
  );
  let out = a;
  for (let i = 0; i < b.length && out.length; i++) {
    const [px, py] = b[i];
    const [qx, qy] = b[(i + 1) % b.length];
    const inside = ([x, y]: [number, number]) =>
      sign * ((qx - px) * (y - py) - (qy - py) * (x - px)) >= 0;
    const cross = ([ax, ay]: [number, number], [bx, by]: [number, number]): [number, number] => {
      const d = (qx - px) * (by - ay) - (qy - py) * (bx - ax);
      const t = ((qx - px) * (py - ay) - (qy - py) * (px - ax)) / d;
      return [ax + t * (bx - ax), ay + t * (by - ay)];
    };
    const input = out;
    out = [];
    input.forEach((cur, k) => {
      const prev = input[(k + input.length - 1) % input.length];
      if (inside(cur)) {
        if (!inside(prev)) out.push(cross(prev, cur));
        out.push(cur);
      } else if (inside(prev)) out.push(cross(prev, cur));
    });
  }
  return out.length >= 3 ? area(out) : 0;
}

describe("SOM grid figures", () => {
  it("gridHeatmap draws a rectangular map as unit squares (snapshot)", () => {
    const g = grid(3, 4, "rect");
    const figure = gridHeatmap(g, values(12), {
      label: "training samples per node",
      title: "hit map",
      document: reportDocument(),
    });
    expectSnapshot("som-grid-heatmap-rect", figure);
    expectHouseStyle(
      figure,
      /^training samples per node of each node of a 3 × 4 rectangular SOM grid, as colour; 1 node without a value \(grey\)$/,
    );
    const drawn = drawnCells(figure);
    expect(drawn).toHaveLength(12);
    const unit = drawn[1].cx - drawn[0].cx;
    expect(drawn[4].cy - drawn[0].cy).toBeCloseTo(unit, 2); // the same px per grid unit on both axes
    for (const cell of drawn) expect(area(cell.polygon)).toBeCloseTo(unit * unit, 1);
    for (let a = 0; a < 12; a++)
      for (let b = a + 1; b < 12; b++)
        expect(overlap(drawn[a].polygon, drawn[b].polygon)).toBeLessThan(0.01);
  });

  it("gridHeatmap draws a hexagonal map as hexagons that tile: neighbours one cell apart, sharing an edge, never overlapping (snapshot)", () => {
    const g = grid(4, 5, "hex");
    const figure = gridHeatmap(g, values(20), {
      label: "mean distance to neighbours (max = 1)",
      scheme: "greys",
      document: reportDocument(),
    });
    expectSnapshot("som-grid-heatmap-hex", figure);
    expectHouseStyle(figure, /hexagonal SOM grid/);
    const drawn = drawnCells(figure);
    expect(drawn).toHaveLength(20);
    const unit = drawn[1].cx - drawn[0].cx; // px per grid unit: neighbours in a row are 1 apart
    const hexagonArea = (Math.sqrt(3) / 2) * unit * unit; // a regular hexagon 1 unit across its flats
    let neighbours = 0;
    for (let a = 0; a < 20; a++) {
      expect(drawn[a].polygon).toHaveLength(6);
      expect(area(drawn[a].polygon)).toBeCloseTo(hexagonArea, 0);
      for (let b = a + 1; b < 20; b++) {
        const d = Math.hypot(drawn[a].cx - drawn[b].cx, drawn[a].cy - drawn[b].cy);
        expect(overlap(drawn[a].polygon, drawn[b].polygon)).toBeLessThan(
          (0.01 * hexagonArea) / 100,
        );
        if (d < 1.5 * unit) {
          // A grid neighbour: exactly one unit away, and the two cells meet along a whole edge.
          neighbours++;
          expect(d).toBeCloseTo(unit, 2);
          const shared = drawn[a].polygon.filter(([x, y]) =>
            drawn[b].polygon.some(([u, v]) => Math.hypot(x - u, y - v) < 0.01),
          );
          expect(shared).toHaveLength(2);
        }
      }
    }
    // 4 rows of 5: 4·4 in-row pairs + 3 row gaps × (5 + 4) diagonal pairs.
    expect(neighbours).toBe(16 + 27);
  });

  it("classMap colours each node by its majority class, empty nodes grey (snapshot)", () => {
    const g = grid(3, 3, "hex");
    const figure = classMap(g, classCounts(9), ["cat", "dog", "<b>bird</b>"], {
      title: "class map",
      document: reportDocument(),
    });
    expectSnapshot("som-class-map-hex", figure);
    expectHouseStyle(
      figure,
      /^Majority class of each node of a 3 × 3 hexagonal SOM grid among 3 classes, paler where less pure; 1 node empty \(grey\)$/,
    );
    expect(figure.querySelector("b")).toBeNull(); // a class name is text, never markup
    expect(figure.textContent).toContain("<b>bird</b>");
  });

  it("prototypeMosaic puts each node's mean image inside its cell (snapshots, rect and hex)", () => {
    const random = mulberry32(5);
    const images = Float32Array.from({ length: 6 * 4 }, (_, i) =>
      Math.floor(i / 4) === 1 ? NaN : random(),
    );
    const rect = prototypeMosaic(grid(2, 3, "rect"), images, 2, 2, { document: reportDocument() });
    expectSnapshot("som-prototype-mosaic-rect", rect);
    expectHouseStyle(
      rect,
      /^Mean input image \(2 × 2 pixels\) of the samples of each node of a 2 × 3 rectangular SOM grid; 5 nodes with samples$/,
    );
    expect(rect.querySelectorAll("image")).toHaveLength(5);
    const hex = prototypeMosaic(grid(2, 3, "hex"), images, 2, 2, { document: reportDocument() });
    expectSnapshot("som-prototype-mosaic-hex", hex);
    // Each image is a square inside its hexagon: side 2 / (1 + √3) of a unit, times the 0.95 fill.
    const placed = Array.from(hex.querySelectorAll("image"), (im) => ({
      x: +im.getAttribute("x")!,
      w: +im.getAttribute("width")!,
    }));
    const unit = (300 - 40) / 3.5; // 3 columns, the odd row shifted by ½: 3.5 units across
    expect(placed[0].w).toBeCloseTo(unit * 0.95 * (2 / (1 + Math.sqrt(3))), 2);
  });

  it("bmuArrows draws one arrow per distinct move (snapshot)", () => {
    const from = Int32Array.from([0, 0, 0, 4, 8, 2]);
    const to = Int32Array.from([1, 1, 0, 3, 8, 6]);
    const figure = bmuArrows(grid(3, 3, "rect"), from, to, { document: reportDocument() });
    expectSnapshot("som-bmu-arrows", figure);
    expectHouseStyle(
      figure,
      /^Best-matching units that moved under perturbation on a 3 × 3 rectangular SOM grid: 4 samples of 6 moved, in 3 distinct moves$/,
    );
    expect(figure.querySelectorAll("g[aria-label=arrow] path")).toHaveLength(3);
  });

  it("grid figures keep their documented defaults", () => {
    const g = grid(3, 4, "hex");
    const v = values(12);
    expect(defaults.gridHeatmap).toEqual({
      width: 300,
      scheme: "viridis",
      label: undefined,
      title: undefined,
    });
    expect(serialize(gridHeatmap(g, v, { document: reportDocument() }))).toBe(
      serialize(gridHeatmap(g, v, { ...defaults.gridHeatmap, document: reportDocument() })),
    );
    expect(
      serialize(classMap(g, classCounts(12), ["a", "b", "c"], { document: reportDocument() })),
    ).toBe(
      serialize(
        classMap(g, classCounts(12), ["a", "b", "c"], {
          ...defaults.classMap,
          document: reportDocument(),
        }),
      ),
    );
    // An option given as undefined keeps its default.
    const svgs = gridHeatmap(g, v, {
      width: undefined,
      document: reportDocument(),
    }).querySelectorAll("svg");
    expect(svgs[svgs.length - 1].getAttribute("width")).toBe("300");
  });
});

describe("SOM curves", () => {
  const map = (train: number[], validation: number[]) =>
    ({ qeHistory: { train, validation } }) as unknown as SomResult;
  const layers = [
    { name: "conv1", map: map([1.2, 0.9, 0.8], [1.3, 1.0, 0.95]) },
    { name: "logits", map: map([0.7, 0.5, 0.45], [0.8, 0.62, 0.6]) },
  ] as Pick<LayerCodes, "name" | "map">[];

  it("qeCurves draws training (solid) and test (dashed) QE per layer (snapshot)", () => {
    const figure = qeCurves(layers, { document: reportDocument() });
    expectSnapshot("som-qe-curves", figure);
    expectHouseStyle(
      figure,
      /^Quantisation error per epoch over 3 epochs of the SOMs of 2 layers, on training samples \(solid\) and test samples \(dashed\)$/,
    );
    expect(figure.querySelectorAll("g[aria-label=line] path")).toHaveLength(4);
    // One layer is "1 layer".
    expect(
      qeCurves(layers.slice(0, 1), { document: reportDocument() }).getAttribute("aria-label"),
    ).toContain("of the SOMs of 1 layer,");
  });

  it("perturbationCurves draws FGSM and noise per layer against ε (snapshot), defaults documented", () => {
    const effect = (changed: number) => ({
      changed,
      displacement: 2 * changed,
      relativeChange: changed / 3,
      labelMatchesPrediction: 1,
      quantizationError: 1,
      from: new Int32Array(0),
      to: new Int32Array(0),
    });
    const study: AdversarialStudy = {
      epsilons: [0.02, 0.05, 0.1],
      accuracy: { clean: 0.97, fgsm: [0.9, 0.7, 0.4], noise: [0.97, 0.96, 0.94] },
      layers: [
        { name: "conv3", fgsm: [0.1, 0.3, 0.6].map(effect), noise: [0.02, 0.05, 0.1].map(effect) },
      ],
    };
    const figure = perturbationCurves(study, "changed", { document: reportDocument() });
    expectSnapshot("som-perturbation-curves", figure);
    expectHouseStyle(
      figure,
      /^fraction of BMUs that change against the perturbation size ε \(3 values\) for 1 layer, under FGSM \(solid\) and random ±ε noise \(dashed\)$/,
    );
    expect(defaults.perturbationCurves).toEqual({ measure: "changed", width: 520 });
    expect(serialize(perturbationCurves(study, undefined, { document: reportDocument() }))).toBe(
      serialize(figure),
    );
  });
});

describe("som-codes metrics on a hexagonal map", () => {
  it("gives the hexagonal map's topographic error (6 neighbours) as a number, not NaN", async () => {
    const bundle = await loadBundle(
      zipSource(
        readFileSync(new URL("../../data/examples/digits-cnn.zip", import.meta.url)),
        "digits-cnn.zip",
      ),
    );
    const result = await somCodes(bundle, {
      layers: ["conv3"],
      includeInput: false,
      rows: 6,
      cols: 6,
      topology: "hex",
      epochs: 3,
      adversarial: false,
      seedRuns: 1,
    });
    const table = layerMetricsTable(result);
    const te = table.columns.indexOf("TE 6-nbr (hex)");
    expect(te).toBeGreaterThan(0);
    expect(table.columns).not.toContain("TE 8-nbr");
    const value = Number(table.rows[0][te]);
    expect(value).toBeGreaterThanOrEqual(0);
    expect(value).toBeLessThanOrEqual(1);
    expect(value).toBeCloseTo(result.layers[0].topographicError.hex6, 3);
    expect(table.rows.flat().map(String)).not.toContain("NaN");
    // The real map's cells tile too.
    const drawn = drawnCells(
      gridHeatmap(result.layers[0].map, result.layers[0].hits, { document: reportDocument() }),
    );
    const unit = drawn[1].cx - drawn[0].cx;
    for (let a = 0; a < drawn.length; a++)
      for (let b = a + 1; b < drawn.length; b++)
        expect(overlap(drawn[a].polygon, drawn[b].polygon)).toBeLessThan(1e-4 * unit * unit);
  });
});
