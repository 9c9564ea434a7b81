/**
 * Figures of persistent homology and layer comparison: a barcode and a persistence diagram of
 * one layer, a layer × layer heatmap (diagram distances or CKA), and the sensitivity curves of
 * the layer-topology analysis.
 */
import * as Plot from "@observablehq/plot";
import type { LayerTopologyResult, PersistenceDiagram } from "../analyses/layer-topology.ts";

export interface TopologyPlotOptions {
  title?: string;
  /** Width in px. Default 360 (heatmaps: 340; curves: 520). */
  width?: number;
  /** Height in px. Default 300. */
  height?: number;
  /** Unit of filtration values for axis labels. Default "layer units". */
  unit?: string;
  document?: Document;
}

/** Colours of H0, H1, H2, H3 (Observable's categorical palette, in order). */
const DEGREE_COLORS = ["#4269d0", "#ff725c", "#3ca951", "#a463f2"];

interface Bar {
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
    const order = Array.from(d.births, (_, i) => i).sort((a, b) => d.deaths[b] - d.births[b] - (d.deaths[a] - d.births[a]) || a - b);
    for (const i of order) {
      const essential = d.deaths[i] === Infinity;
      out.push({ dim: `H${d.dim}`, birth: d.births[i], death: essential ? top : d.deaths[i], essential, rank: rank++ });
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

/**
 * Barcode: one horizontal bar per pair [birth, death), grouped by degree and longest first
 * within a degree; essential classes run to the threshold with an arrow. `maxBars` (default
 * 200) keeps the longest bars of each degree so the figure stays readable; the caption says how
 * many were left out.
 */
export function barcode(diagrams: PersistenceDiagram[], threshold: number, options: TopologyPlotOptions & { maxBars?: number } = {}): HTMLElement {
  const maxBars = options.maxBars ?? 200;
  const perDegree = Math.max(1, Math.floor(maxBars / Math.max(1, diagrams.length)));
  const all = bars(diagrams, threshold);
  const shown: Bar[] = [];
  let hidden = 0;
  for (const d of diagrams) {
    const own = all.filter((b) => b.dim === `H${d.dim}`);
    shown.push(...own.slice(0, perDegree));
    hidden += Math.max(0, own.length - perDegree);
  }
  shown.forEach((b, i) => (b.rank = i));
  return Plot.plot({
    document: options.document ?? globalThis.document,
    title: options.title,
    caption: hidden ? `${hidden} shortest bars not drawn (${perDegree} longest per degree shown)` : undefined,
    width: options.width ?? 360,
    height: options.height ?? 300,
    marginLeft: 20,
    marginRight: 28,
    x: { label: `filtration value (diameter, ${options.unit ?? "layer units"}) →`, domain: [0, threshold * 1.02], grid: true },
    y: { axis: null, domain: shown.map((b) => b.rank), padding: 0 },
    color: degreeColor(diagrams),
    marks: [
      Plot.barX(shown, { y: "rank", x1: "birth", x2: "death", fill: "dim", insetTop: 0.3, insetBottom: 0.3, tip: true, title: (b: Bar) => `${b.dim} [${b.birth.toPrecision(4)}, ${b.essential ? "∞" : b.death.toPrecision(4)})` }),
      Plot.text(shown.filter((b) => b.essential), { y: "rank", x: "death", text: () => "→ ∞", textAnchor: "start", dx: 2, fontSize: 9 }),
      Plot.ruleX([threshold], { stroke: "#888", strokeDasharray: "3,3" }),
    ],
  }) as unknown as HTMLElement;
}

/**
 * Persistence diagram: one dot per pair (birth, death) coloured by degree, the diagonal, and
 * essential classes as triangles on the dashed threshold line.
 */
export function persistencePlot(diagrams: PersistenceDiagram[], threshold: number, options: TopologyPlotOptions = {}): HTMLElement {
  const points = bars(diagrams, threshold);
  const unit = options.unit ?? "layer units";
  const size = options.width ?? 320;
  return Plot.plot({
    document: options.document ?? globalThis.document,
    title: options.title,
    width: size,
    height: options.height ?? size,
    x: { label: `birth (${unit}) →`, domain: [0, threshold * 1.05] },
    y: { label: `↑ death (${unit})`, domain: [0, threshold * 1.05], grid: true },
    color: degreeColor(diagrams),
    symbol: { domain: ["finite", "essential (∞)"], range: ["circle", "triangle"], legend: true, label: "death" },
    marks: [
      Plot.line([[0, 0], [threshold * 1.05, threshold * 1.05]], { stroke: "#999" }),
      Plot.ruleY([threshold], { stroke: "#888", strokeDasharray: "3,3" }),
      Plot.dot(points, { x: "birth", y: "death", stroke: "dim", fill: "dim", fillOpacity: 0.35, r: 2.5, symbol: (b: Bar) => (b.essential ? "essential (∞)" : "finite"), tip: true, title: (b: Bar) => `${b.dim} (${b.birth.toPrecision(4)}, ${b.essential ? "∞" : b.death.toPrecision(4)})` }),
    ],
  }) as unknown as HTMLElement;
}

/**
 * Layer × layer heatmap with the value in each cell. `label` names the measure and its units
 * (legend title). Default scheme "viridis" (reverse it for similarities with `reverse`).
 */
export function layerHeatmap(
  names: string[],
  matrix: ArrayLike<number>,
  options: TopologyPlotOptions & { label?: string; scheme?: string; reverse?: boolean; domain?: [number, number] } = {},
): HTMLElement {
  const L = names.length;
  const cells = names.flatMap((a, i) => names.map((b, j) => ({ a, b, value: matrix[i * L + j] })));
  const finite = cells.map((c) => c.value).filter(Number.isFinite);
  const max = Math.max(...finite, 0);
  const width = options.width ?? 340;
  return Plot.plot({
    document: options.document ?? globalThis.document,
    title: options.title,
    width,
    height: options.height ?? width - 10,
    marginLeft: 64,
    marginBottom: 56,
    padding: 0.03,
    x: { domain: names, label: null, tickRotate: -35 },
    y: { domain: names, label: null },
    color: { type: "linear", scheme: (options.scheme ?? "viridis") as Plot.ColorScheme, reverse: options.reverse, legend: true, label: options.label, domain: options.domain, unknown: "#ddd" },
    marks: [
      Plot.cell(cells, { x: "b", y: "a", fill: "value", tip: true, title: (c: { a: string; b: string; value: number }) => `${c.a} – ${c.b}: ${Number.isFinite(c.value) ? c.value.toPrecision(4) : "undefined"}` }),
      Plot.text(cells, {
        x: "b",
        y: "a",
        text: (c: { value: number }) => (Number.isFinite(c.value) ? (Math.abs(c.value) >= 100 ? c.value.toFixed(0) : c.value.toPrecision(2)) : "–"),
        fill: (c: { value: number }) => {
          const t = max > 0 ? c.value / max : 0;
          const dark = options.reverse ? t > 0.5 : t < 0.5;
          return dark ? "white" : "black";
        },
        fontSize: L > 8 ? 8 : 10,
      }),
    ],
  }) as unknown as HTMLElement;
}

export type SensitivityMeasure = "sliced" | "bottleneck" | "cka";

/**
 * Sensitivity curves: for each layer, the distance between its diagram and the diagram after
 * removing a fraction of its singular directions (or 1 − CKA for "cka"), against the fraction
 * removed.
 */
export function sensitivityCurves(sensitivity: NonNullable<LayerTopologyResult["sensitivity"]>, measure: SensitivityMeasure = "sliced", options: TopologyPlotOptions = {}): HTMLElement {
  const unit = options.unit ?? "layer units";
  const labels = {
    sliced: `↑ sliced Wasserstein distance to the original diagram (${unit})`,
    bottleneck: `↑ bottleneck distance to the original diagram (${unit})`,
    cka: "↑ 1 − CKA(original, projection)",
  };
  const rows = sensitivity.layers.flatMap((l) => [
    { layer: l.name, percent: 0, value: 0 },
    ...sensitivity.fractions.map((f, i) => ({ layer: l.name, percent: 100 * f, value: measure === "cka" ? 1 - l.cka[i] : l[measure][i] })),
  ]);
  return Plot.plot({
    document: options.document ?? globalThis.document,
    title: options.title,
    width: options.width ?? 520,
    height: options.height ?? 280,
    marginLeft: 56,
    x: { label: `${sensitivity.remove === "lowest" ? "least" : "most"} significant directions removed (% of the layer's dimensions) →`, domain: [0, 100] },
    y: { label: labels[measure], grid: true, zero: true },
    color: { legend: true, label: "layer", domain: sensitivity.layers.map((l) => l.name) },
    marks: [
      Plot.line(rows, { x: "percent", y: "value", stroke: "layer", marker: "circle", tip: true }),
      Plot.ruleY([0]),
    ],
  }) as unknown as HTMLElement;
}
