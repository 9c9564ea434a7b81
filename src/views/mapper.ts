/**
 * Mapper graphs as TopoAct draws them: a force-directed layout (d3-force), node radius
 * log-scaled by size, nodes as class pie charts or filled by a numeric statistic (turbo),
 * edges whose width and colour follow the Jaccard weight (plasma), with legends.
 *
 * Interactive elements (browser) zoom and drag; hovering a node shows its id, size, mean lens
 * and top classes; clicking selects it. The element's `value` is the selected node index (or
 * null) and it dispatches "input", so a notebook can `view()` it. `setThreshold(t)` hides edges
 * below a Jaccard weight and `highlightClass(c)` dims nodes without class c — both without
 * re-running the layout, so they suit sliders and search boxes.
 *
 * The layout is deterministic: d3-force starts from its phyllotaxis arrangement and uses its
 * own seeded generator, and we run a fixed number of ticks before drawing.
 */
import * as Plot from "@observablehq/plot";
import { type SimulationNodeDatum, arc, drag, forceCenter, forceCollide, forceLink, forceManyBody, forceSimulation, forceX, forceY, interpolatePlasma, interpolateTurbo, pie, select, zoom } from "d3";
import type { MapperLayerResult, MapperNodeSummary, NodeColoring } from "../analyses/mapper.ts";
import { formatNumber } from "../analyses/columns.ts";
import { classColors } from "./palette.ts";


export interface MapperGraphOptions {
  /** Pies by "label" or "prediction", or fill by "lens", "confidence", "target" or "size". Default "label". */
  color?: NodeColoring;
  classNames?: string[];
  width?: number;
  height?: number;
  title?: string;
  /** Edges below this Jaccard weight are hidden. Default 0. */
  threshold?: number;
  /** Attach zoom, drag, hover and click (browser only). Default false. */
  interactive?: boolean;
  document?: Document;
}

export type MapperGraphElement = HTMLElement & {
  value: number | null;
  setThreshold(t: number): void;
  highlightClass(c: number | null): void;
  select(node: number | null): void;
};

/** Layout iterations: enough for d3-force's default alpha decay to cool (300 ticks). */
const TICKS = 300;
const SVG = "http://www.w3.org/2000/svg";

/** Node positions (deterministic) for a graph of `nodes` with weighted links. */
export function layoutGraph(nodes: MapperNodeSummary[], links: [number, number, number][], width: number, height: number): { x: number; y: number }[] {
  if (nodes.length === 0) return [];
  // No initial x, y: d3-force then places nodes on its phyllotaxis spiral.
  const sim: (SimulationNodeDatum & { r: number })[] = nodes.map((n) => ({ r: radius(n.size) }));
  const simulation = forceSimulation(sim)
    .force("charge", forceManyBody().strength(-30))
    .force("link", forceLink(links.map(([source, target, w]) => ({ source, target, w }))).distance(30).strength((l: { w: number }) => 0.3 + 0.7 * l.w))
    .force("collide", forceCollide<(typeof sim)[number]>((d) => d.r + 1.5))
    .force("x", forceX(0).strength(0.04))
    .force("y", forceY(0).strength(0.06))
    .force("center", forceCenter(0, 0))
    .stop();
  simulation.tick(TICKS);
  // Fit into the box, keeping the aspect ratio.
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const { x = 0, y = 0, r } of sim) {
    x0 = Math.min(x0, x - r); x1 = Math.max(x1, x + r);
    y0 = Math.min(y0, y - r); y1 = Math.max(y1, y + r);
  }
  const pad = 8;
  const scale = Math.min(3, (width - 2 * pad) / Math.max(1e-9, x1 - x0), (height - 2 * pad) / Math.max(1e-9, y1 - y0));
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  return sim.map(({ x = 0, y = 0 }) => ({ x: width / 2 + (x - cx) * scale, y: height / 2 + (y - cy) * scale }));
}

/** Radius in px, log-scaled by node size (TopoAct). */
export function radius(size: number): number {
  return 3 + 2.2 * Math.log2(1 + size);
}

function countsFor(node: MapperNodeSummary, color: NodeColoring): number[] | undefined {
  return color === "prediction" ? node.predictionCounts : color === "label" ? node.labelCounts : undefined;
}

function numericFor(node: MapperNodeSummary, color: NodeColoring): number {
  if (color === "lens") return node.lens[0];
  if (color === "confidence") return node.meanConfidence ?? NaN;
  if (color === "target") return node.meanTarget ?? NaN;
  return node.size;
}

const NUMERIC_TITLES: Record<string, string> = {
  lens: "mean lens value (scaled to [0, 1])",
  confidence: "mean confidence (max class probability)",
  target: "mean target",
  size: "points per node",
};

/** A text describing one node (hover tooltip and panel header). */
export function describeNode(node: MapperNodeSummary, classNames: string[] = []): string {
  const parts = [`${node.id}: ${node.size} points`, `mean lens ${formatNumber(node.lens[0])}`];
  const counts = node.labelCounts ?? node.predictionCounts;
  if (counts) {
    const top = counts
      .map((c, k) => [k, c] as const)
      .filter(([, c]) => c > 0)
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, 3)
      .map(([k, c]) => `${classNames[k] ?? k} ${((100 * c) / node.size).toFixed(0)} %`);
    parts.push(`${node.labelCounts ? "labels" : "predicted"}: ${top.join(", ")}`);
  }
  if (node.meanTarget !== undefined) parts.push(`mean target ${formatNumber(node.meanTarget)}`);
  return parts.join(" · ");
}

export function mapperGraph(result: Pick<MapperLayerResult, "nodes" | "links">, options: MapperGraphOptions = {}): MapperGraphElement {
  const doc = options.document ?? globalThis.document;
  const width = options.width ?? 640;
  const height = options.height ?? Math.round(width * 0.75);
  const classNames = options.classNames ?? [];
  const palette = classColors(classNames.length);
  let color = options.color ?? "label";
  if ((color === "label" || color === "prediction") && !result.nodes.some((n) => countsFor(n, color))) color = "lens";
  const positions = layoutGraph(result.nodes, result.links, width, height);

  const wrapper = doc.createElement("figure") as unknown as MapperGraphElement;
  wrapper.className = "atlas-mapper";
  wrapper.style.margin = "0";
  // As wide as the drawing, so legends wrap inside it and small multiples sit side by side.
  wrapper.style.width = `${width}px`;
  wrapper.style.maxWidth = "none";
  if (options.title) {
    const h = doc.createElement("h3");
    h.textContent = options.title;
    wrapper.appendChild(h);
  }
  const legends = doc.createElement("div");
  legends.className = "atlas-legends";
  legends.style.display = "flex";
  legends.style.flexWrap = "wrap";
  legends.style.gap = "4px 24px";
  legends.style.alignItems = "flex-end";
  const legend = legendFor(result.nodes, color, classNames, palette, doc);
  if (legend) legends.appendChild(legend);
  if (result.links.length) {
    legends.appendChild(Plot.legend({ color: { type: "linear", domain: [0, 1], range: [interpolatePlasma(0.15), interpolatePlasma(0.85)], label: "edge colour and width: Jaccard weight" }, ...inDocument(doc) }) as Element);
  }
  wrapper.appendChild(legends);
  const svg = doc.createElementNS(SVG, "svg");
  svg.setAttribute("width", String(width));
  svg.setAttribute("height", String(height));
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("font-family", "system-ui, sans-serif");
  svg.setAttribute("font-size", "10");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `Mapper graph: ${result.nodes.length} nodes, ${result.links.length} edges`);
  wrapper.appendChild(svg);
  const stage = doc.createElementNS(SVG, "g");
  svg.appendChild(stage);

  const edges = result.links.map(([a, b, w]) => {
    const line = doc.createElementNS(SVG, "line");
    line.setAttribute("stroke", interpolatePlasma(0.15 + 0.7 * w));
    line.setAttribute("stroke-width", String(1 + 5 * w));
    line.setAttribute("stroke-opacity", "0.8");
    const title = doc.createElementNS(SVG, "title");
    title.textContent = `Jaccard weight = ${w.toFixed(3)}`;
    line.appendChild(title);
    stage.appendChild(line);
    return { line, a, b, w };
  });
  const [lo, hi] = numericDomain(result.nodes, color);
  const groups = result.nodes.map((node, i) => {
    const g = doc.createElementNS(SVG, "g");
    g.setAttribute("data-node", String(i));
    g.setAttribute("cursor", "pointer");
    const r = radius(node.size);
    const counts = countsFor(node, color);
    if (counts) {
      const slices = pie<number>().sort(null)(counts);
      const shape = arc<{ startAngle: number; endAngle: number }>().innerRadius(0).outerRadius(r);
      slices.forEach((s, k) => {
        if (s.value === 0) return;
        const path = doc.createElementNS(SVG, "path");
        path.setAttribute("d", shape(s) ?? "");
        path.setAttribute("fill", palette[k]);
        g.appendChild(path);
      });
    }
    const outline = doc.createElementNS(SVG, "circle");
    outline.setAttribute("r", String(r));
    const value = numericFor(node, color);
    outline.setAttribute("fill", counts ? "none" : Number.isFinite(value) ? interpolateTurbo(hi > lo ? (value - lo) / (hi - lo) : 0.5) : "#ccc");
    outline.setAttribute("stroke", "#333");
    outline.setAttribute("stroke-width", "0.8");
    g.appendChild(outline);
    const title = doc.createElementNS(SVG, "title");
    title.textContent = describeNode(node, classNames);
    g.appendChild(title);
    stage.appendChild(g);
    return { g, outline };
  });

  let threshold = options.threshold ?? 0;
  const draw = () => {
    for (const e of edges) {
      e.line.setAttribute("x1", String(positions[e.a].x));
      e.line.setAttribute("y1", String(positions[e.a].y));
      e.line.setAttribute("x2", String(positions[e.b].x));
      e.line.setAttribute("y2", String(positions[e.b].y));
      e.line.setAttribute("visibility", e.w >= threshold ? "visible" : "hidden");
    }
    groups.forEach(({ g }, i) => g.setAttribute("transform", `translate(${positions[i].x},${positions[i].y})`));
  };
  draw();

  wrapper.value = null;
  wrapper.setThreshold = (t: number) => {
    threshold = t;
    draw();
  };
  wrapper.highlightClass = (c: number | null) => {
    result.nodes.forEach((node, i) => {
      const counts = node.labelCounts ?? node.predictionCounts;
      const match = c === null || (counts !== undefined && counts[c] > 0);
      groups[i].g.setAttribute("opacity", match ? "1" : "0.15");
    });
  };
  wrapper.select = (node: number | null) => {
    wrapper.value = node;
    groups.forEach(({ outline }, i) => {
      outline.setAttribute("stroke", i === node ? "#d62728" : "#333");
      outline.setAttribute("stroke-width", i === node ? "3" : "0.8");
    });
  };

  if (options.interactive) {
    groups.forEach(({ g }, i) => {
      g.addEventListener("click", (event) => {
        event.stopPropagation();
        wrapper.select(wrapper.value === i ? null : i);
        wrapper.dispatchEvent(new Event("input", { bubbles: true }));
      });
    });
    const zoomed = zoom<SVGSVGElement, unknown>()
      .scaleExtent([0.3, 8])
      .on("zoom", (event) => stage.setAttribute("transform", event.transform.toString()));
    select(svg as SVGSVGElement).call(zoomed);
    groups.forEach(({ g }, i) => {
      select(g as SVGGElement).call(
        drag<SVGGElement, unknown>().on("drag", (event) => {
          positions[i].x += event.dx;
          positions[i].y += event.dy;
          draw();
        }),
      );
    });
  }
  return wrapper;
}

function numericDomain(nodes: MapperNodeSummary[], color: NodeColoring): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const n of nodes) {
    const v = numericFor(n, color);
    if (Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}

function legendFor(nodes: MapperNodeSummary[], color: NodeColoring, classNames: string[], palette: string[], doc: Document): Element | null {
  if (color === "label" || color === "prediction") {
    if (!classNames.length) return null;
    return withTitle(
      color === "label" ? "node pies: true label" : "node pies: predicted class",
      Plot.legend({ color: { type: "categorical", domain: classNames, range: palette }, ...inDocument(doc) }) as Element,
      doc,
    );
  }
  const [lo, hi] = numericDomain(nodes, color);
  return Plot.legend({ color: { type: "linear", domain: [lo, hi === lo ? lo + 1 : hi], scheme: "turbo", label: `node fill: ${NUMERIC_TITLES[color]}` }, ...inDocument(doc) }) as Element;
}

/** Plot builds in `document` (jsdom in Node) though its legend types do not list it. */
const inDocument = (doc: Document) => ({ document: doc }) as object;

/** Swatch legends have no title in Plot; put one above (the scatter's convention). */
function withTitle(text: string, legend: Element, doc: Document): Element {
  const box = doc.createElement("div");
  const title = doc.createElement("div");
  title.className = "atlas-legend-title";
  title.textContent = text;
  box.append(title, legend);
  return box;
}

export interface PurityByLayer {
  layer: string;
  /** Purvine et al.'s purity (mean of 1 / classes per node) and the size-weighted majority share. */
  meanInverseClasses: number;
  weightedMajority: number;
  nodes: number;
  lostShare: number;
}

/** Purity per layer as small multiples (one panel per measure), layers in network order. */
export function purityChart(rows: PurityByLayer[], options: { width?: number; document?: Document; by?: string } = {}): HTMLElement {
  const layers = rows.map((r) => r.layer);
  const long = rows.flatMap((r) => [
    { layer: r.layer, measure: "purity: mean 1 / classes per node", value: r.meanInverseClasses },
    { layer: r.layer, measure: "size-weighted majority share", value: r.weightedMajority },
    { layer: r.layer, measure: "share of points lost", value: r.lostShare },
  ]);
  return Plot.plot({
    document: options.document ?? globalThis.document,
    width: options.width ?? 640,
    height: 220,
    marginBottom: 60,
    title: `Mapper purity by layer${options.by ? ` (classes: ${options.by})` : ""}`,
    fx: { label: null },
    x: { domain: layers, label: "layer (input → output)", tickRotate: -30 },
    y: { domain: [0, 1], label: "fraction", grid: true },
    marks: [
      Plot.frame({ stroke: "#ddd" }),
      Plot.line(long, { fx: "measure", x: "layer", y: "value", stroke: "#4269d0" }),
      Plot.dot(long, { fx: "measure", x: "layer", y: "value", fill: "#4269d0", tip: true, title: (d: { layer: string; value: number }) => `${d.layer}: ${d.value.toFixed(3)}` }),
    ],
  }) as unknown as HTMLElement;
}
