/**
 * Figures of self-organising maps: a value per node on the grid (hit map, U-matrix), the class
 * map, the mosaic of node mean inputs, arrows from clean to perturbed BMUs, QE curves, and the
 * perturbation curves of the som-codes analysis. Hexagonal grids are drawn as hexagons.
 */
import * as Plot from "@observablehq/plot";
import type { LayerCodes, AdversarialStudy, SomResult } from "../analyses/som-codes.ts";
import { pngDataUrl } from "./png.ts";
import { classColors } from "./palette.ts";

type Grid = Pick<SomResult, "rows" | "cols" | "topology" | "coords">;

export interface GridPlotOptions {
  title?: string;
  /** Legend label with units. */
  label?: string;
  /** Plot colour scheme for continuous values. Default "viridis". */
  scheme?: string;
  /** Width in px. Default 300. */
  width?: number;
  document?: Document;
}

const HEX_ROW = Math.sqrt(3) / 2;

/** Plot options shared by every grid figure: equal-aspect axes in grid units, no ticks. */
function gridFrame(grid: Grid, width: number) {
  const xMax = grid.cols - (grid.topology === "hex" ? 0.5 : 1);
  const yMax = (grid.rows - 1) * (grid.topology === "hex" ? HEX_ROW : 1);
  const inner = width - 40;
  const cell = inner / (xMax + 1);
  const height = Math.round(cell * (yMax + 1) + 40);
  return {
    cell,
    frame: {
      width,
      height,
      margin: 20,
      x: { domain: [-0.5, xMax + 0.5], axis: null },
      y: { domain: [-0.5, yMax + 0.5], axis: null, reverse: true },
    },
  };
}

const nodes = (grid: Grid) => Array.from({ length: grid.rows * grid.cols }, (_, j) => j);

/** One value per node as coloured cells. NaN values are drawn grey ("no data"). */
export function gridHeatmap(grid: Grid, values: ArrayLike<number>, options: GridPlotOptions = {}): HTMLElement {
  const width = options.width ?? 300;
  const { cell, frame } = gridFrame(grid, width);
  const symbol = grid.topology === "hex" ? "hexagon" : "square";
  const r = grid.topology === "hex" ? cell / Math.sqrt(3) : cell / 2;
  return Plot.plot({
    ...frame,
    document: options.document ?? globalThis.document,
    title: options.title,
    color: { type: "linear", scheme: (options.scheme ?? "viridis") as Plot.ColorScheme, legend: true, label: options.label, unknown: "#ddd" },
    marks: [
      Plot.dot(nodes(grid), {
        x: (j: number) => grid.coords[2 * j],
        y: (j: number) => grid.coords[2 * j + 1],
        fill: (j: number) => (Number.isFinite(values[j]) ? values[j] : NaN),
        symbol,
        r: r * (symbol === "square" ? 1.13 : 1.05),
        tip: true,
        title: (j: number) => `node ${j} (row ${Math.floor(j / grid.cols)}, col ${j % grid.cols}): ${Number.isFinite(values[j]) ? +Number(values[j]).toPrecision(4) : "empty"}`,
      }),
    ],
  }) as unknown as HTMLElement;
}

/**
 * Majority class of each node (categorical colour), its share shown as opacity; empty nodes
 * grey. `counts` is nodes × classes.
 */
export function classMap(grid: Grid, counts: ArrayLike<number>, classNames: string[], options: GridPlotOptions = {}): HTMLElement {
  const width = options.width ?? 300;
  const { cell, frame } = gridFrame(grid, width);
  const k = classNames.length;
  const info = nodes(grid).map((j) => {
    let best = -1;
    let total = 0;
    for (let c = 0; c < k; c++) {
      total += counts[j * k + c];
      if (best < 0 || counts[j * k + c] > counts[j * k + best]) best = c;
    }
    return { j, cls: total > 0 ? classNames[best] : "empty", share: total > 0 ? counts[j * k + best] / total : 0, total };
  });
  const symbol = grid.topology === "hex" ? "hexagon" : "square";
  const r = grid.topology === "hex" ? cell / Math.sqrt(3) : cell / 2;
  return Plot.plot({
    ...frame,
    document: options.document ?? globalThis.document,
    title: options.title,
    color: { type: "categorical", domain: [...classNames, "empty"], range: [...classColors(k), "#ddd"], legend: true },
    marks: [
      Plot.dot(info, {
        x: (d) => grid.coords[2 * d.j],
        y: (d) => grid.coords[2 * d.j + 1],
        fill: "cls",
        fillOpacity: (d) => (d.total > 0 ? 0.35 + 0.65 * d.share : 1),
        symbol,
        r: r * (symbol === "square" ? 1.13 : 1.05),
        tip: true,
        title: (d) => (d.total ? `node ${d.j}: ${d.cls} ${(100 * d.share).toFixed(0)} % of ${d.total}` : `node ${d.j}: empty`),
      }),
    ],
  }) as unknown as HTMLElement;
}

/**
 * The mean input of each node as an image on the grid (what each code "stands for"); empty
 * nodes left blank. `images` is nodes × (height · width) in [0, 1] (NaN rows for empty nodes).
 */
export function prototypeMosaic(grid: Grid, images: Float32Array, height: number, width: number, options: GridPlotOptions = {}): HTMLElement {
  const figureWidth = options.width ?? 300;
  const { cell, frame } = gridFrame(grid, figureWidth);
  const size = height * width;
  let min = Infinity;
  let max = -Infinity;
  for (const v of images) if (Number.isFinite(v)) ((min = Math.min(min, v)), (max = Math.max(max, v)));
  const scale = max > min ? 255 / (max - min) : 0;
  const tiles = nodes(grid)
    .filter((j) => Number.isFinite(images[j * size]))
    .map((j) => {
      const pixels = new Uint8Array(size);
      for (let p = 0; p < size; p++) pixels[p] = Math.round((images[j * size + p] - min) * scale);
      return { j, src: pngDataUrl(pixels, width, height, 1) };
    });
  return Plot.plot({
    ...frame,
    document: options.document ?? globalThis.document,
    title: options.title,
    marks: [
      Plot.image(tiles, {
        x: (d) => grid.coords[2 * d.j],
        y: (d) => grid.coords[2 * d.j + 1],
        src: "src",
        width: cell * 0.95,
        height: cell * 0.95,
        imageRendering: "pixelated",
        title: (d) => `node ${d.j}`,
      }),
    ],
  }) as unknown as HTMLElement;
}

/** Arrows from each sample's clean BMU to its perturbed BMU (samples whose BMU moved). */
export function bmuArrows(grid: Grid, from: Int32Array, to: Int32Array, options: GridPlotOptions & { hits?: ArrayLike<number> } = {}): HTMLElement {
  const width = options.width ?? 300;
  const { cell, frame } = gridFrame(grid, width);
  const moves = new Map<string, { a: number; b: number; count: number }>();
  for (let i = 0; i < from.length; i++) {
    if (from[i] === to[i]) continue;
    const key = `${from[i]},${to[i]}`;
    const m = moves.get(key) ?? { a: from[i], b: to[i], count: 0 };
    m.count++;
    moves.set(key, m);
  }
  return Plot.plot({
    ...frame,
    document: options.document ?? globalThis.document,
    title: options.title,
    marks: [
      Plot.dot(nodes(grid), { x: (j: number) => grid.coords[2 * j], y: (j: number) => grid.coords[2 * j + 1], r: cell / 6, fill: "#ccc" }),
      Plot.arrow([...moves.values()], {
        x1: (d) => grid.coords[2 * d.a],
        y1: (d) => grid.coords[2 * d.a + 1],
        x2: (d) => grid.coords[2 * d.b],
        y2: (d) => grid.coords[2 * d.b + 1],
        stroke: "#d62728",
        strokeOpacity: 0.5,
        strokeWidth: (d) => Math.min(4, 0.6 + Math.sqrt(d.count) / 2),
        headLength: 5,
        inset: 2,
        bend: true,
      }),
    ],
  }) as unknown as HTMLElement;
}

/** QE per epoch of every layer's map, on training (solid) and test (dashed) samples. */
export function qeCurves(layers: Pick<LayerCodes, "name" | "map">[], options: { width?: number; document?: Document } = {}): HTMLElement {
  const rows = layers.flatMap((l) => [
    ...l.map.qeHistory.train.map((qe, e) => ({ layer: l.name, split: "train", epoch: e + 1, qe })),
    ...l.map.qeHistory.validation.map((qe, e) => ({ layer: l.name, split: "test", epoch: e + 1, qe })),
  ]);
  return Plot.plot({
    document: options.document ?? globalThis.document,
    width: options.width ?? 520,
    height: 260,
    x: { label: "epoch →" },
    y: { label: "↑ quantisation error (layer RMS units)", grid: true, zero: true },
    color: { legend: true, label: "layer", domain: layers.map((l) => l.name) },
    marks: [
      Plot.line(rows.filter((d) => d.split === "train"), { x: "epoch", y: "qe", stroke: "layer", tip: true }),
      Plot.line(rows.filter((d) => d.split === "test"), { x: "epoch", y: "qe", stroke: "layer", strokeDasharray: "4,3" }),
      Plot.text(["solid: training samples · dashed: test samples"], { frameAnchor: "top-right", dy: -4 }),
    ],
  }) as unknown as HTMLElement;
}

/**
 * Fraction of test BMUs that move under FGSM (solid) and under random ±ε noise of the same size
 * (dashed), per layer, against ε; with the network's accuracy under each.
 */
export function perturbationCurves(study: AdversarialStudy, measure: "changed" | "displacement" | "relativeChange" = "changed", options: { width?: number; document?: Document } = {}): HTMLElement {
  const labels = { changed: "↑ fraction of BMUs that change", displacement: "↑ mean BMU displacement (grid units)", relativeChange: "↑ mean ‖Δh‖ / ‖h‖" };
  const rows = study.layers.flatMap((l) =>
    study.epsilons.flatMap((epsilon, e) => [
      { layer: l.name, kind: "FGSM", epsilon, value: l.fgsm[e][measure] },
      { layer: l.name, kind: "random ±ε noise", epsilon, value: l.noise[e][measure] },
    ]),
  );
  return Plot.plot({
    document: options.document ?? globalThis.document,
    width: options.width ?? 520,
    height: 280,
    x: { label: "ε (input units) →" },
    y: { label: labels[measure], grid: true, zero: true },
    color: { legend: true, label: "layer", domain: study.layers.map((l) => l.name) },
    marks: [
      Plot.line(rows.filter((d) => d.kind === "FGSM"), { x: "epsilon", y: "value", stroke: "layer", marker: "circle", tip: true }),
      Plot.line(rows.filter((d) => d.kind !== "FGSM"), { x: "epsilon", y: "value", stroke: "layer", strokeDasharray: "4,3", marker: "circle", tip: true }),
      Plot.text(["solid: FGSM · dashed: random ±ε noise"], { frameAnchor: "top-right", dy: -4 }),
    ],
  }) as unknown as HTMLElement;
}
