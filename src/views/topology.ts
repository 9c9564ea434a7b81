/**
 * Figures of persistent homology and layer comparison: a barcode and a persistence diagram of
 * one layer, a layer × layer heatmap (diagram distances or CKA), and the sensitivity curves of
 * the layer-topology analysis.
 */
import * as Plot from "@observablehq/plot";
import type { LayerTopologyResult, PersistenceDiagram } from "../analyses/layer-topology.ts";
import { withDefaults } from "./options.ts";
import { housePlot } from "./style.ts";
import { cellLabels, count } from "./text.ts";

export interface TopologyPlotOptions {
  /** Title above the figure. Defaults to none. */
  title?: string;
  /** Width in px. Defaults to 360 (barcode), 320 (persistencePlot), 340 (layerHeatmap), 520 (sensitivityCurves). */
  width?: number;
  /** Height in px. Defaults to 300 (barcode), the width (persistencePlot), width − 10 (layerHeatmap), 280 (sensitivityCurves). */
  height?: number;
  /** Unit of filtration values for axis labels. Defaults to "layer units". */
  unit?: string;
  /** Document to build in (jsdom in Node). Defaults to the global document. */
  document?: Document;
}

export interface BarcodeOptions extends TopologyPlotOptions, SelectableOptions {
  /** Bars drawn at most, shared equally by the degrees (the longest of each). Defaults to 200. */
  maxBars?: number;
}

export interface SelectableOptions {
  /**
   * Make the bars (points) of degree `selectable` clickable: a click, or Enter on a focused bar,
   * sets the figure's `value` to the pair's index in that degree's diagram and dispatches
   * "input". Defaults to none (a static figure).
   */
  selectable?: number;
  /** Index of the pair of degree `selectable` drawn as selected. Defaults to none. */
  selected?: number | null;
}

/** A figure whose pairs of one degree can be picked: `value` is the picked pair's index. */
export type SelectableFigure = HTMLElement & {
  value: number | null;
  selectPair(index: number | null): void;
};

export interface LayerHeatmapOptions extends TopologyPlotOptions {
  /** Legend title: the measure and its units. Defaults to none. */
  label?: string;
  /** Plot colour scheme. Defaults to "viridis". */
  scheme?: string;
  /** Reverse the scheme (for similarities). Defaults to false. */
  reverse?: boolean;
  /** Colour domain. Defaults to the values' extent. */
  domain?: [number, number];
}

export type SensitivityMeasure = "sliced" | "bottleneck" | "cka";

/**
 * Every option's default, per figure; a height left undefined here follows the width as
 * {@link TopologyPlotOptions.height} says.
 */
export const defaults = {
  /** barcode: 360 × 300 px, at most 200 bars, filtration in "layer units", no title. */
  barcode: {
    width: 360,
    height: 300,
    maxBars: 200,
    unit: "layer units",
    title: undefined as string | undefined,
  },
  /** persistencePlot: 320 px wide and as high, filtration in "layer units", no title. */
  persistencePlot: {
    width: 320,
    height: undefined as number | undefined,
    unit: "layer units",
    title: undefined as string | undefined,
  },
  /** layerHeatmap: 340 px wide, 10 px less high, "viridis" not reversed over the values' extent, no legend title, no title. */
  layerHeatmap: {
    width: 340,
    height: undefined as number | undefined,
    scheme: "viridis",
    reverse: false,
    domain: undefined as [number, number] | undefined,
    label: undefined as string | undefined,
    title: undefined as string | undefined,
  },
  /** sensitivityCurves: measure "sliced", 520 × 280 px, distances in "layer units", no title. */
  sensitivityCurves: {
    measure: "sliced" as SensitivityMeasure,
    width: 520,
    height: 280,
    unit: "layer units",
    title: undefined as string | undefined,
  },
};

/** Mean width of a character of 12 px system-ui text, px (for margins that fit layer names). */
const CHAR_WIDTH = 7;
/** Largest margin given to layer names, px; longer names are cut at the figure's edge. */
const MAX_NAME_MARGIN = 140;
/** Colours of H0, H1, H2, H3 (Observable's categorical palette, in order). */
const DEGREE_COLORS = ["#4269d0", "#ff725c", "#3ca951", "#a463f2"];

interface Bar {
  /** Index of the pair in its degree's diagram. */
  index: number;
  degree: number;
  dim: string;
  birth: number;
  death: number;
  essential: boolean;
  rank: number;
}

/** Bars of every degree, longest first within a degree; infinite deaths drawn at `top`. */
function bars(diagrams: PersistenceDiagram[], top: number): Bar[] {
  const out: Bar[] = [];
  let rank = 0;
  for (const d of diagrams) {
    const order = Array.from(d.births, (_, i) => i).sort(
      (a, b) => d.deaths[b] - d.births[b] - (d.deaths[a] - d.births[a]) || a - b,
    );
    for (const i of order) {
      const essential = d.deaths[i] === Infinity;
      out.push({
        index: i,
        degree: d.dim,
        dim: `H${d.dim}`,
        birth: d.births[i],
        death: essential ? top : d.deaths[i],
        essential,
        rank: rank++,
      });
    }
  }
  return out;
}

const degreeColor = (diagrams: PersistenceDiagram[]) => ({
  legend: true,
  label: "homology degree",
  domain: diagrams.map((d) => `H${d.dim}`),
  range: diagrams.map((d) => DEGREE_COLORS[d.dim % DEGREE_COLORS.length]),
});

/** "H0 and H1", "H0, H1 and H2": the degrees of a list of diagrams. */
function degreeList(diagrams: PersistenceDiagram[]): string {
  const names = diagrams.map((d) => `H${d.dim}`);
  return names.length > 1
    ? `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`
    : (names[0] ?? "no degree");
}

/** Outline of the selected pair. */
const SELECTED_STROKE = "currentColor";

/**
 * A Plot `render` that tags each drawn element of a degree-`degree` pair with its index, makes it
 * focusable, and notes the elements so that the figure can select one.
 */
function tagPairs(
  data: Bar[],
  degree: number,
  elements: Map<number, Element>,
): Plot.RenderFunction {
  return function (index, scales, values, dimensions, context, next) {
    const g = next!(index, scales, values, dimensions, context)!;
    const drawn = g.querySelectorAll("rect, path");
    Array.from(index).forEach((k, e) => {
      const bar = data[k];
      const el = drawn[e];
      if (!el || bar.degree !== degree) return;
      el.setAttribute("data-pair", String(bar.index));
      el.setAttribute("tabindex", "0");
      el.setAttribute("role", "button");
      el.setAttribute(
        "aria-label",
        `H${degree} pair ${bar.index}: birth ${bar.birth.toPrecision(4)}, death ${bar.essential ? "∞" : bar.death.toPrecision(4)}; press Enter to draw its cycle`,
      );
      (el as SVGElement).style.cursor = "pointer";
      elements.set(bar.index, el);
    });
    return g;
  };
}

/** Give a figure its `value` and `selectPair`, and pick pairs on click or Enter. */
function selectable(
  figure: HTMLElement,
  elements: Map<number, Element>,
  selected: number | null,
): SelectableFigure {
  const f = figure as SelectableFigure;
  f.selectPair = (i) => {
    for (const [index, el] of elements) {
      if (index === i) {
        el.setAttribute("stroke", SELECTED_STROKE);
        el.setAttribute("stroke-width", "2");
        el.classList.add("atlas-pair-selected");
      } else {
        el.removeAttribute("stroke");
        el.removeAttribute("stroke-width");
        el.classList.remove("atlas-pair-selected");
      }
    }
    f.value = i;
  };
  const pick = (event: Event) => {
    const index = (event.target as Element).closest?.("[data-pair]")?.getAttribute("data-pair");
    if (index === null || index === undefined) return;
    f.selectPair(Number(index));
    const EventOf = f.ownerDocument.defaultView?.Event ?? Event;
    f.dispatchEvent(new EventOf("input", { bubbles: true }));
  };
  f.addEventListener("click", pick);
  f.addEventListener("keydown", (event) => {
    if ((event as KeyboardEvent).key === "Enter") pick(event);
  });
  f.selectPair(selected);
  return f;
}

/**
 * Barcode: one horizontal bar per pair [birth, death), grouped by degree and longest first
 * within a degree; essential classes run to the threshold with an arrow. `maxBars` keeps the
 * longest bars of each degree so the figure stays readable; the caption says how many were
 * left out.
 *
 * @example
 *   barcode(ph.diagrams, ph.threshold, {unit: "activation units"});
 */
export function barcode(
  diagrams: PersistenceDiagram[],
  threshold: number,
  options: BarcodeOptions & { selectable: number },
): SelectableFigure;
export function barcode(
  diagrams: PersistenceDiagram[],
  threshold: number,
  options?: BarcodeOptions,
): HTMLElement;
export function barcode(
  diagrams: PersistenceDiagram[],
  threshold: number,
  options: BarcodeOptions = {},
): HTMLElement {
  const o = withDefaults(defaults.barcode, options);
  const perDegree = Math.max(1, Math.floor(o.maxBars / Math.max(1, diagrams.length)));
  const all = bars(diagrams, threshold);
  const shown: Bar[] = [];
  let hidden = 0;
  for (const d of diagrams) {
    const own = all.filter((b) => b.dim === `H${d.dim}`);
    shown.push(...own.slice(0, perDegree));
    hidden += Math.max(0, own.length - perDegree);
  }
  shown.forEach((b, i) => (b.rank = i));
  const essential = all.filter((b) => b.essential).length;
  const pairs = new Map<number, Element>();
  const picking =
    options.selectable !== undefined ? { render: tagPairs(shown, options.selectable, pairs) } : {};
  const figure = housePlot({
    document: options.document ?? globalThis.document,
    title: o.title,
    caption: hidden
      ? `${count(hidden, "shortest bar")} not drawn (${perDegree} longest per degree shown)`
      : undefined,
    ariaLabel:
      `Barcode of ${count(all.length, "persistence pair")} in ${degreeList(diagrams)}: one bar per pair from birth to death in filtration value (${o.unit}), ` +
      `${count(essential, "essential class", "essential classes")} running to the threshold ${+threshold.toPrecision(4)}` +
      (hidden ? `; ${count(hidden, "shortest bar")} not drawn` : ""),
    width: o.width,
    height: o.height,
    marginLeft: 20,
    marginRight: 36,
    x: {
      label: `filtration value (diameter, ${o.unit}) →`,
      domain: [0, threshold * 1.02],
      grid: true,
    },
    y: { axis: null, domain: shown.map((b) => b.rank), padding: 0 },
    color: degreeColor(diagrams),
    marks: [
      Plot.barX(shown, {
        y: "rank",
        x1: "birth",
        x2: "death",
        fill: "dim",
        insetTop: 0.3,
        insetBottom: 0.3,
        tip: true,
        title: (b: Bar) =>
          `${b.dim} [${b.birth.toPrecision(4)}, ${b.essential ? "∞" : b.death.toPrecision(4)})`,
        ...picking,
      }),
      Plot.text(
        shown.filter((b) => b.essential),
        { y: "rank", x: "death", text: () => "→ ∞", textAnchor: "start", dx: 2 },
      ),
      Plot.ruleX([threshold], { stroke: "#888", strokeDasharray: "3,3" }),
    ],
  });
  return options.selectable !== undefined
    ? selectable(figure, pairs, options.selected ?? null)
    : figure;
}

/**
 * Persistence diagram: one dot per pair (birth, death) coloured by degree, the diagonal, and
 * essential classes as triangles on the dashed threshold line.
 *
 * @example
 *   persistencePlot(ph.diagrams, ph.threshold);
 */
export function persistencePlot(
  diagrams: PersistenceDiagram[],
  threshold: number,
  options: TopologyPlotOptions & SelectableOptions & { selectable: number },
): SelectableFigure;
export function persistencePlot(
  diagrams: PersistenceDiagram[],
  threshold: number,
  options?: TopologyPlotOptions & SelectableOptions,
): HTMLElement;
export function persistencePlot(
  diagrams: PersistenceDiagram[],
  threshold: number,
  options: TopologyPlotOptions & SelectableOptions = {},
): HTMLElement {
  const o = withDefaults(defaults.persistencePlot, options);
  const points = bars(diagrams, threshold);
  const unit = o.unit;
  const essential = points.filter((b) => b.essential).length;
  const pairs = new Map<number, Element>();
  const picking =
    options.selectable !== undefined ? { render: tagPairs(points, options.selectable, pairs) } : {};
  const figure = housePlot({
    document: options.document ?? globalThis.document,
    title: o.title,
    ariaLabel:
      `Persistence diagram of ${count(points.length, "pair")} in ${degreeList(diagrams)}: death against birth (${unit}), ` +
      `${count(essential, "essential class", "essential classes")} as triangles on the threshold ${+threshold.toPrecision(4)}`,
    width: o.width,
    height: o.height ?? o.width,
    x: { label: `birth (${unit}) →`, domain: [0, threshold * 1.05] },
    y: { label: `↑ death (${unit})`, domain: [0, threshold * 1.05], grid: true },
    color: degreeColor(diagrams),
    symbol: {
      domain: ["finite", "essential (∞)"],
      range: ["circle", "triangle"],
      legend: true,
      label: "death",
    },
    marks: [
      Plot.line(
        [
          [0, 0],
          [threshold * 1.05, threshold * 1.05],
        ],
        { stroke: "#999" },
      ),
      Plot.ruleY([threshold], { stroke: "#888", strokeDasharray: "3,3" }),
      Plot.dot(points, {
        x: "birth",
        y: "death",
        stroke: "dim",
        fill: "dim",
        fillOpacity: 0.35,
        r: 2.5,
        symbol: (b: Bar) => (b.essential ? "essential (∞)" : "finite"),
        tip: true,
        title: (b: Bar) =>
          `${b.dim} (${b.birth.toPrecision(4)}, ${b.essential ? "∞" : b.death.toPrecision(4)})`,
        ...picking,
      }),
    ],
  });
  return options.selectable !== undefined
    ? selectable(figure, pairs, options.selected ?? null)
    : figure;
}

/**
 * Link figures whose pairs can be picked (a barcode and a persistence diagram of the same
 * layer): a pick in one selects the same pair in all, and the returned element's `value` is the
 * picked pair's index, with an "input" event, so that a notebook can `view()` it.
 *
 * @example
 *   const bar = view(linkPairs([barcode(d, t, {selectable: 1}), persistencePlot(d, t, {selectable: 1})], longest));
 */
export function linkPairs(
  figures: SelectableFigure[],
  selected: number | null = null,
  document: Document = globalThis.document,
): HTMLElement & { value: number | null } {
  const row = document.createElement("div") as unknown as HTMLElement & { value: number | null };
  row.className = "atlas-row";
  row.value = selected;
  for (const f of figures) {
    f.selectPair(selected);
    f.addEventListener("input", (event) => {
      if (event.target !== f) return;
      row.value = f.value;
      for (const g of figures) if (g !== f) g.selectPair(f.value);
    });
    row.appendChild(f);
  }
  return row;
}

/**
 * Layer × layer heatmap with the value in each cell (when a cell is wide enough for 12 px text;
 * always in its tooltip). `label` names the measure and its units (legend title); reverse the
 * scheme for similarities with `reverse`.
 *
 * @example
 *   layerHeatmap(names, result.cka, {label: "CKA", scheme: "magma", domain: [0, 1]});
 */
export function layerHeatmap(
  names: string[],
  matrix: ArrayLike<number>,
  options: LayerHeatmapOptions = {},
): HTMLElement {
  const o = withDefaults(defaults.layerHeatmap, options);
  const L = names.length;
  const cells = names.flatMap((a, i) => names.map((b, j) => ({ a, b, value: matrix[i * L + j] })));
  const finite = cells.map((c) => c.value).filter(Number.isFinite);
  const max = Math.max(...finite, 0);
  const width = o.width;
  // Room for the layer names at 12 px: beside the rows, and under the columns at −35°.
  const longest = Math.max(0, ...names.map((n) => n.length));
  const marginLeft = Math.round(Math.min(MAX_NAME_MARGIN, Math.max(40, 24 + CHAR_WIDTH * longest)));
  const marginBottom = Math.round(
    Math.min(
      MAX_NAME_MARGIN,
      Math.max(40, 24 + CHAR_WIDTH * longest * Math.sin((35 * Math.PI) / 180)),
    ),
  );
  const marginRight = 20;
  const cellWidth = (width - marginLeft - marginRight) / Math.max(1, L);
  const valueText = cellLabels(cells, cellWidth, (c, format) => format(c.value));
  return housePlot({
    document: options.document ?? globalThis.document,
    title: o.title,
    ariaLabel: `${o.label ?? "Value"} between every pair of ${count(L, "layer")}, as a ${L} × ${L} heatmap${valueText ? " with the value in each cell" : ""}`,
    width,
    height: o.height ?? width - 10,
    marginLeft,
    marginRight,
    marginBottom,
    padding: 0.03,
    x: { domain: names, label: null, tickRotate: -35 },
    y: { domain: names, label: null },
    color: {
      type: "linear",
      scheme: o.scheme as Plot.ColorScheme,
      reverse: o.reverse,
      legend: true,
      label: o.label,
      domain: o.domain,
      unknown: "#ddd",
    },
    marks: [
      Plot.cell(cells, {
        x: "b",
        y: "a",
        fill: "value",
        tip: true,
        title: (c: { a: string; b: string; value: number }) =>
          `${c.a} – ${c.b}: ${Number.isFinite(c.value) ? c.value.toPrecision(4) : "undefined"}`,
      }),
      ...(valueText
        ? [
            Plot.text(cells, {
              x: "b",
              y: "a",
              text: valueText,
              fill: (c: { value: number }) => {
                const t = max > 0 ? c.value / max : 0;
                const dark = o.reverse ? t > 0.5 : t < 0.5;
                return dark ? "white" : "black";
              },
            }),
          ]
        : []),
    ],
  });
}

/**
 * Sensitivity curves: for each layer, the distance between its diagram and the diagram after
 * removing a fraction of its singular directions (or 1 − CKA for "cka"), against the fraction
 * removed.
 *
 * @example
 *   sensitivityCurves(result.sensitivity, "bottleneck", {unit: "activation units"});
 */
export function sensitivityCurves(
  sensitivity: NonNullable<LayerTopologyResult["sensitivity"]>,
  measure: SensitivityMeasure = defaults.sensitivityCurves.measure,
  options: TopologyPlotOptions = {},
): HTMLElement {
  const o = withDefaults(defaults.sensitivityCurves, options);
  const unit = o.unit;
  const labels = {
    sliced: `↑ sliced Wasserstein distance to the original diagram (${unit})`,
    bottleneck: `↑ bottleneck distance to the original diagram (${unit})`,
    cka: "↑ 1 − CKA(original, projection)",
  };
  const rows = sensitivity.layers.flatMap((l) => [
    { layer: l.name, percent: 0, value: 0 },
    ...sensitivity.fractions.map((f, i) => ({
      layer: l.name,
      percent: 100 * f,
      value: measure === "cka" ? 1 - l.cka[i] : l[measure][i],
    })),
  ]);
  const removed = `${sensitivity.remove === "lowest" ? "least" : "most"} significant directions removed`;
  return housePlot({
    document: options.document ?? globalThis.document,
    title: o.title,
    ariaLabel: `${labels[measure].slice(2)} against the share of the ${removed.replace(" removed", "")} removed (${count(sensitivity.fractions.length, "step")}) for ${count(sensitivity.layers.length, "layer")}, one line each`,
    width: o.width,
    height: o.height,
    marginLeft: 56,
    x: { label: `${removed} (% of the layer's dimensions) →`, domain: [0, 100] },
    y: { label: labels[measure], grid: true, zero: true },
    color: { legend: true, label: "layer", domain: sensitivity.layers.map((l) => l.name) },
    marks: [
      Plot.line(rows, { x: "percent", y: "value", stroke: "layer", marker: "circle", tip: true }),
      Plot.ruleY([0]),
    ],
  });
}
