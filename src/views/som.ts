/**
 * Figures of self-organising maps: a value per node on the grid (hit map, U-matrix), the class
 * map, the mosaic of node mean inputs, arrows from clean to perturbed BMUs, QE curves, and the
 * perturbation curves of the som-codes analysis.
 *
 * Grid figures draw one cell per node that tiles the plane: squares of side 1 grid unit on a
 * rectangular grid; on a hexagonal grid (MiniSom's layout: odd rows shifted by ½, rows √3/2
 * apart) pointy-top hexagons 1 unit across their flats, which is exactly the spacing of
 * neighbouring centres, so neighbouring cells share an edge and none overlap. Both axes get the
 * same number of pixels per grid unit, so the cells keep their shape.
 */
import * as Plot from "@observablehq/plot";
import { ticks } from "d3";
import type { LayerCodes, AdversarialStudy, SomResult } from "../analyses/som-codes.ts";
import { pngDataUrl } from "./png.ts";
import { classColors } from "./palette.ts";
import { withDefaults } from "./options.ts";
import { housePlot } from "./style.ts";
import { count } from "./text.ts";

type Grid = Pick<SomResult, "rows" | "cols" | "topology" | "coords">;

export interface GridPlotOptions {
  /** Title above the figure. Defaults to none. */
  title?: string;
  /** Legend label, with units (gridHeatmap). Defaults to none. */
  label?: string;
  /** Plot colour scheme for the values (gridHeatmap). Defaults to "viridis". */
  scheme?: string;
  /** Width in px; the height follows from the grid's shape. Defaults to 300. */
  width?: number;
  /** Document to build in (jsdom in Node). Defaults to the global document. */
  document?: Document;
}

export interface CurvePlotOptions {
  /** Width in px. Defaults to 520. */
  width?: number;
  /** Document to build in (jsdom in Node). Defaults to the global document. */
  document?: Document;
}

/** What perturbationCurves plots: the share of BMUs that move, their grid displacement, or ‖Δh‖ / ‖h‖. */
export type PerturbationMeasure = "changed" | "displacement" | "relativeChange";

/** Every option's default, per figure. */
export const defaults = {
  /** gridHeatmap: width 300 px, scheme "viridis", no legend label, no title. */
  gridHeatmap: {
    width: 300,
    scheme: "viridis",
    label: undefined as string | undefined,
    title: undefined as string | undefined,
  },
  /** classMap: width 300 px, no title. */
  classMap: { width: 300, title: undefined as string | undefined },
  /** prototypeMosaic: width 300 px, no title. */
  prototypeMosaic: { width: 300, title: undefined as string | undefined },
  /** bmuArrows: width 300 px, no title. */
  bmuArrows: { width: 300, title: undefined as string | undefined },
  /** qeCurves: width 520 px (height 260 px). */
  qeCurves: { width: 520 },
  /** perturbationCurves: measure "changed", width 520 px (height 280 px). */
  perturbationCurves: { measure: "changed" as PerturbationMeasure, width: 520 },
};

/** Half the height of a pointy-top hexagon 1 unit across its flats (its circumradius), grid units. */
const HEX_HALF_HEIGHT = 1 / Math.sqrt(3);
/**
 * Side of the largest axis-aligned square inside that hexagon: the square's corner (s/2, s/2)
 * lies on the slanted edge y = R − x/√3 with R = 1/√3, so s = 2 / (1 + √3).
 */
const HEX_INNER_SQUARE = 2 / (1 + Math.sqrt(3));
/** Share of a cell a mosaic image fills, leaving a gap between neighbours. */
const IMAGE_FILL = 0.95;
/** Plot margin around a grid, px. */
const GRID_MARGIN = 20;
/** Cells are outlined in white so that neighbours are told apart; px. */
const CELL_OUTLINE = 0.5;

/**
 * A cell of half-width `r`: Plot draws symbols of area πr², so r is recovered from the size.
 * The hexagon is Plot's own ("hexagon": half-width r, circumradius 2r/√3); the square is
 * 2r × 2r, where Plot's "square" is r√π on a side.
 */
const SQUARE_CELL = {
  draw(context: CanvasPath, size: number) {
    const r = Math.sqrt(size / Math.PI);
    context.rect(-r, -r, 2 * r, 2 * r);
  },
};

const describeGrid = (grid: Grid) =>
  `${grid.rows} × ${grid.cols} ${grid.topology === "hex" ? "hexagonal" : "rectangular"} SOM grid`;

/**
 * Plot options shared by every grid figure: the cells' extent in grid units with equal pixels
 * per unit on both axes (the y domain is padded to the rounded height), no axes. `unit` is the
 * pixels per grid unit.
 */
export function gridFrame(grid: Grid, width: number) {
  const hex = grid.topology === "hex";
  const halfHeight = hex ? HEX_HALF_HEIGHT : 0.5;
  let x0 = Infinity,
    x1 = -Infinity,
    y0 = Infinity,
    y1 = -Infinity;
  for (let j = 0; j < grid.rows * grid.cols; j++) {
    x0 = Math.min(x0, grid.coords[2 * j]);
    x1 = Math.max(x1, grid.coords[2 * j]);
    y0 = Math.min(y0, grid.coords[2 * j + 1]);
    y1 = Math.max(y1, grid.coords[2 * j + 1]);
  }
  x0 -= 0.5;
  x1 += 0.5;
  y0 -= halfHeight;
  y1 += halfHeight;
  const unit = (width - 2 * GRID_MARGIN) / (x1 - x0);
  const height = Math.ceil(unit * (y1 - y0)) + 2 * GRID_MARGIN;
  const pad = ((height - 2 * GRID_MARGIN) / unit - (y1 - y0)) / 2;
  return {
    unit,
    frame: {
      width,
      height,
      margin: GRID_MARGIN,
      x: { domain: [x0, x1], axis: null },
      y: { domain: [y0 - pad, y1 + pad], axis: null, reverse: true },
    },
  };
}

/** The cell mark options of a grid: symbol, half-width and outline. */
function cells(grid: Grid, unit: number) {
  return {
    symbol: grid.topology === "hex" ? "hexagon" : SQUARE_CELL,
    r: unit / 2,
    stroke: "white",
    strokeWidth: CELL_OUTLINE,
  } as const;
}

const nodes = (grid: Grid) => Array.from({ length: grid.rows * grid.cols }, (_, j) => j);

/**
 * One value per node as coloured cells. NaN values are drawn grey ("no data").
 *
 * @example
 *   gridHeatmap(layer.map, layer.hits, {label: "training samples per node"});
 */
export function gridHeatmap(
  grid: Grid,
  values: ArrayLike<number>,
  options: GridPlotOptions = {},
): HTMLElement {
  const o = withDefaults(defaults.gridHeatmap, options);
  const { unit, frame } = gridFrame(grid, o.width);
  const empty = nodes(grid).filter((j) => !Number.isFinite(values[j])).length;
  return housePlot({
    ...frame,
    document: options.document ?? globalThis.document,
    title: o.title,
    ariaLabel: `${o.label ?? "Value"} of each node of a ${describeGrid(grid)}, as colour${empty ? `; ${count(empty, "node")} without a value (grey)` : ""}`,
    color: {
      type: "linear",
      scheme: o.scheme as Plot.ColorScheme,
      legend: true,
      label: o.label,
      unknown: "#ddd",
    },
    marks: [
      Plot.dot(nodes(grid), {
        x: (j: number) => grid.coords[2 * j],
        y: (j: number) => grid.coords[2 * j + 1],
        fill: (j: number) => (Number.isFinite(values[j]) ? values[j] : NaN),
        ...cells(grid, unit),
        tip: true,
        title: (j: number) =>
          `node ${j} (row ${Math.floor(j / grid.cols)}, col ${j % grid.cols}): ${Number.isFinite(values[j]) ? +Number(values[j]).toPrecision(4) : "empty"}`,
      }),
    ],
  });
}

/**
 * Majority class of each node (categorical colour), its share shown as opacity; empty nodes
 * grey. `counts` is nodes × classes.
 *
 * @example
 *   classMap(layer.map, layer.labelCounts, result.classNames);
 */
export function classMap(
  grid: Grid,
  counts: ArrayLike<number>,
  classNames: string[],
  options: Omit<GridPlotOptions, "label" | "scheme"> = {},
): HTMLElement {
  const o = withDefaults(defaults.classMap, options);
  const { unit, frame } = gridFrame(grid, o.width);
  const k = classNames.length;
  const info = nodes(grid).map((j) => {
    let best = -1;
    let total = 0;
    for (let c = 0; c < k; c++) {
      total += counts[j * k + c];
      if (best < 0 || counts[j * k + c] > counts[j * k + best]) best = c;
    }
    return {
      j,
      cls: total > 0 ? classNames[best] : "empty",
      share: total > 0 ? counts[j * k + best] / total : 0,
      total,
    };
  });
  const empty = info.filter((d) => d.total === 0).length;
  return housePlot({
    ...frame,
    document: options.document ?? globalThis.document,
    title: o.title,
    ariaLabel: `Majority class of each node of a ${describeGrid(grid)} among ${count(k, "class", "classes")}, paler where less pure${empty ? `; ${count(empty, "node")} empty (grey)` : ""}`,
    color: {
      type: "categorical",
      domain: [...classNames, "empty"],
      range: [...classColors(k), "#ddd"],
      legend: true,
    },
    marks: [
      Plot.dot(info, {
        x: (d) => grid.coords[2 * d.j],
        y: (d) => grid.coords[2 * d.j + 1],
        fill: "cls",
        fillOpacity: (d) => (d.total > 0 ? 0.35 + 0.65 * d.share : 1),
        ...cells(grid, unit),
        tip: true,
        title: (d) =>
          d.total
            ? `node ${d.j}: ${d.cls} ${(100 * d.share).toFixed(0)} % of ${d.total}`
            : `node ${d.j}: empty`,
      }),
    ],
  });
}

/**
 * The mean input of each node as an image on the grid (what each code "stands for"); empty
 * nodes left blank. `images` is nodes × (height · width) in [0, 1] (NaN rows for empty nodes).
 * On a hexagonal grid each image is the largest square inside its node's hexagon.
 *
 * @example
 *   prototypeMosaic(layer.map, layer.nodeInputs, 8, 8);
 */
export function prototypeMosaic(
  grid: Grid,
  images: Float32Array,
  height: number,
  width: number,
  options: Omit<GridPlotOptions, "label" | "scheme"> = {},
): HTMLElement {
  const o = withDefaults(defaults.prototypeMosaic, options);
  const { unit, frame } = gridFrame(grid, o.width);
  const side = unit * IMAGE_FILL * (grid.topology === "hex" ? HEX_INNER_SQUARE : 1);
  const size = height * width;
  let min = Infinity;
  let max = -Infinity;
  for (const v of images) {
    if (Number.isFinite(v)) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
  }
  const scale = max > min ? 255 / (max - min) : 0;
  const tiles = nodes(grid)
    .filter((j) => Number.isFinite(images[j * size]))
    .map((j) => {
      const pixels = new Uint8Array(size);
      for (let p = 0; p < size; p++) pixels[p] = Math.round((images[j * size + p] - min) * scale);
      return { j, src: pngDataUrl(pixels, width, height, 1) };
    });
  return housePlot({
    ...frame,
    document: options.document ?? globalThis.document,
    title: o.title,
    ariaLabel: `Mean input image (${height} × ${width} pixels) of the samples of each node of a ${describeGrid(grid)}; ${count(tiles.length, "node")} with samples`,
    marks: [
      Plot.image(tiles, {
        x: (d) => grid.coords[2 * d.j],
        y: (d) => grid.coords[2 * d.j + 1],
        src: "src",
        width: side,
        height: side,
        imageRendering: "pixelated",
        title: (d) => `node ${d.j}`,
      }),
    ],
  });
}

/**
 * Arrows from each sample's clean BMU to its perturbed BMU (samples whose BMU moved); an
 * arrow's width grows with the number of samples making that move.
 *
 * @example
 *   bmuArrows(layer.map, effect.from, effect.to);
 */
export function bmuArrows(
  grid: Grid,
  from: Int32Array,
  to: Int32Array,
  options: Omit<GridPlotOptions, "label" | "scheme"> = {},
): HTMLElement {
  const o = withDefaults(defaults.bmuArrows, options);
  const { unit, frame } = gridFrame(grid, o.width);
  const moves = new Map<string, { a: number; b: number; count: number }>();
  let moved = 0;
  for (let i = 0; i < from.length; i++) {
    if (from[i] === to[i]) continue;
    moved++;
    const key = `${from[i]},${to[i]}`;
    const m = moves.get(key) ?? { a: from[i], b: to[i], count: 0 };
    m.count++;
    moves.set(key, m);
  }
  return housePlot({
    ...frame,
    document: options.document ?? globalThis.document,
    title: o.title,
    ariaLabel: `Best-matching units that moved under perturbation on a ${describeGrid(grid)}: ${count(moved, "sample")} of ${from.length} moved, in ${count(moves.size, "distinct move")}`,
    marks: [
      Plot.dot(nodes(grid), {
        x: (j: number) => grid.coords[2 * j],
        y: (j: number) => grid.coords[2 * j + 1],
        r: unit / 6,
        fill: "#ccc",
      }),
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
        title: (d) => `node ${d.a} → node ${d.b}: ${count(d.count, "sample")}`,
      }),
    ],
  });
}

/**
 * QE per epoch of every layer's map, on training (solid) and test (dashed) samples.
 *
 * @example
 *   qeCurves(result.layers, {width: 640});
 */
export function qeCurves(
  layers: Pick<LayerCodes, "name" | "map">[],
  options: CurvePlotOptions = {},
): HTMLElement {
  const o = withDefaults(defaults.qeCurves, options);
  const rows = layers.flatMap((l) => [
    ...l.map.qeHistory.train.map((qe, e) => ({ layer: l.name, split: "train", epoch: e + 1, qe })),
    ...l.map.qeHistory.validation.map((qe, e) => ({
      layer: l.name,
      split: "test",
      epoch: e + 1,
      qe,
    })),
  ]);
  const epochs = Math.max(0, ...layers.map((l) => l.map.qeHistory.train.length));
  return housePlot({
    document: options.document ?? globalThis.document,
    width: o.width,
    height: 260,
    ariaLabel: `Quantisation error per epoch over ${count(epochs, "epoch")} of the SOMs of ${count(layers.length, "layer")}, on training samples (solid) and test samples (dashed)`,
    caption: "solid: training samples · dashed: test samples",
    // Epochs are whole numbers: ticks only at integers.
    x: {
      label: "epoch →",
      ticks: ticks(1, Math.max(1, epochs), 10).filter(Number.isInteger),
      tickFormat: "d",
    },
    y: { label: "↑ quantisation error (layer RMS units)", grid: true, zero: true },
    color: { legend: true, label: "layer", domain: layers.map((l) => l.name) },
    marks: [
      Plot.line(
        rows.filter((d) => d.split === "train"),
        { x: "epoch", y: "qe", stroke: "layer", tip: true },
      ),
      Plot.line(
        rows.filter((d) => d.split === "test"),
        { x: "epoch", y: "qe", stroke: "layer", strokeDasharray: "4,3" },
      ),
    ],
  });
}

const MEASURE_LABELS: Record<PerturbationMeasure, string> = {
  changed: "↑ fraction of BMUs that change",
  displacement: "↑ mean BMU displacement (grid units)",
  relativeChange: "↑ mean ‖Δh‖ / ‖h‖",
};

/**
 * Fraction of test BMUs that move under FGSM (solid) and under random ±ε noise of the same size
 * (dashed), per layer, against ε (or another `measure` of the moves).
 *
 * @example
 *   perturbationCurves(result.adversarial, "displacement");
 */
export function perturbationCurves(
  study: AdversarialStudy,
  measure: PerturbationMeasure = defaults.perturbationCurves.measure,
  options: CurvePlotOptions = {},
): HTMLElement {
  const o = withDefaults(defaults.perturbationCurves, options);
  const rows = study.layers.flatMap((l) =>
    study.epsilons.flatMap((epsilon, e) => [
      { layer: l.name, kind: "FGSM", epsilon, value: l.fgsm[e][measure] },
      { layer: l.name, kind: "random ±ε noise", epsilon, value: l.noise[e][measure] },
    ]),
  );
  return housePlot({
    document: options.document ?? globalThis.document,
    width: o.width,
    height: 280,
    ariaLabel: `${MEASURE_LABELS[measure].slice(2)} against the perturbation size ε (${count(study.epsilons.length, "value")}) for ${count(study.layers.length, "layer")}, under FGSM (solid) and random ±ε noise (dashed)`,
    caption: "solid: FGSM · dashed: random ±ε noise",
    x: { label: "ε (input units) →" },
    y: { label: MEASURE_LABELS[measure], grid: true, zero: true },
    color: { legend: true, label: "layer", domain: study.layers.map((l) => l.name) },
    marks: [
      Plot.line(
        rows.filter((d) => d.kind === "FGSM"),
        { x: "epsilon", y: "value", stroke: "layer", marker: "circle", tip: true },
      ),
      Plot.line(
        rows.filter((d) => d.kind !== "FGSM"),
        {
          x: "epsilon",
          y: "value",
          stroke: "layer",
          strokeDasharray: "4,3",
          marker: "circle",
          tip: true,
        },
      ),
    ],
  });
}
