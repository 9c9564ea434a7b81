/**
 * Mapper graphs as TopoAct draws them: a force-directed layout (d3-force), node radius
 * log-scaled by size, nodes as class pie charts or filled by a numeric statistic (turbo),
 * edges whose width and colour follow the Jaccard weight (plasma), with legends.
 *
 * Interactive elements (browser) zoom and drag; hovering a node shows its id, size, mean lens
 * and top classes; clicking selects it. The element's `value` is the selected node index (or
 * null) and it dispatches "input", so a notebook can `view()` it. `setMinJaccard(t)` hides edges
 * below a Jaccard weight and `highlightClass(c)` dims nodes without class c — both without
 * re-running the layout, so they suit sliders and search boxes.
 *
 * The layout is deterministic: d3-force starts from its phyllotaxis arrangement and uses its
 * own seeded generator, and we run a fixed number of ticks before drawing. Only the edges at or
 * above the `minJaccard` given when the graph is built pull in the layout, so weak edges that are
 * hidden do not knot the picture; when the drawing is smaller than the layout, the nodes shrink
 * with it, so nodes the layout kept apart do not overlap on a small multiple.
 */
import * as Plot from "@observablehq/plot";
import {
  type SimulationNodeDatum,
  arc,
  drag,
  forceCenter,
  forceCollide,
  forceLink,
  forceManyBody,
  forceSimulation,
  forceX,
  forceY,
  interpolatePlasma,
  interpolateTurbo,
  pie,
  select,
  zoom,
} from "d3";
import type {
  MapperFeatureImage,
  MapperSeedStudy,
  MapperLayerResult,
  MapperNodeSummary,
  NodeColoring,
} from "../analyses/mapper.ts";
import { formatNumber } from "../analyses/columns.ts";
import { HiddenAtlasError } from "../core/errors.ts";
import { withDefaults } from "./options.ts";
import { pngDataUrl } from "./png.ts";
import { imageLayout } from "./thumbnail.ts";
import { classColors } from "./palette.ts";
import { FONT_SIZE, houseLegend, housePlot } from "./style.ts";
import { count } from "./text.ts";

export interface MapperGraphOptions {
  /** Pies by "label" or "prediction", or fill by "lens", "confidence", "target" or "size". Defaults to "label" (to "lens" when no node has class counts). */
  color?: NodeColoring;
  /** Class names for the pies' legend and the tooltips. Defaults to none (class indices). */
  classNames?: string[];
  /** Width in px. Defaults to 640. */
  width?: number;
  /** Height in px. Defaults to 0.75 × width, rounded. */
  height?: number;
  /** Title above the graph. Defaults to none. */
  title?: string;
  /** Edges below this Jaccard weight are hidden and do not pull in the layout. Defaults to 0 (every edge). */
  minJaccard?: number;
  /** Attach zoom, drag, hover and click (browser only). Defaults to false. */
  interactive?: boolean;
  /** Document to build in (jsdom in Node). Defaults to the global document. */
  document?: Document;
}

export interface PurityChartOptions {
  /** Width in px. Defaults to 640. */
  width?: number;
  /** What the classes are ("true labels", "predictions"), added to the title. Defaults to none. */
  by?: string;
  /** Document to build in (jsdom in Node). Defaults to the global document. */
  document?: Document;
}

/** Every option's default, per figure. */
export const defaults = {
  /** mapperGraph: pies of true labels, 640 px wide, height 0.75 × width (undefined here: derived), no title, every edge, static. */
  mapperGraph: {
    color: "label" as NodeColoring,
    classNames: [] as string[],
    width: 640,
    height: undefined as number | undefined,
    title: undefined as string | undefined,
    minJaccard: 0,
    interactive: false,
  },
  /** purityChart: 640 px wide, no "classes: …" in the title. */
  purityChart: { width: 640, by: undefined as string | undefined },
};

export type MapperGraphElement = HTMLElement & {
  value: number | null;
  setMinJaccard(t: number): void;
  highlightClass(c: number | null): void;
  select(node: number | null): void;
};

/** Layout iterations: enough for d3-force's default alpha decay to cool (300 ticks). */
const TICKS = 300;
const SVG = "http://www.w3.org/2000/svg";

/** A node as drawn: its centre and radius, px. */
export interface PlacedNode {
  x: number;
  y: number;
  r: number;
}

/** Largest enlargement of a small layout to fill the box (its nodes keep their size). */
const MAX_ZOOM = 3;
/** Margin kept free around the drawing, px. */
const LAYOUT_PAD = 8;
/** Smallest drawn node radius, px, however much a large layout is shrunk. */
const MIN_DRAWN_RADIUS = 1.5;

/**
 * Node positions and drawn radii (deterministic) for a graph of `nodes` with weighted links,
 * fitted into width × height keeping the aspect ratio. Only links of weight ≥ `minJaccard` pull;
 * when the layout must shrink to fit, node radii shrink by the same factor.
 */
export function layoutGraph(
  nodes: MapperNodeSummary[],
  links: [number, number, number][],
  width: number,
  height: number,
  minJaccard = 0,
): PlacedNode[] {
  if (nodes.length === 0) return [];
  // No initial x, y: d3-force then places nodes on its phyllotaxis spiral.
  const sim: (SimulationNodeDatum & { r: number })[] = nodes.map((n) => ({ r: radius(n.size) }));
  const pulling = links
    .filter(([, , w]) => w >= minJaccard)
    .map(([source, target, w]) => ({ source, target, w }));
  const simulation = forceSimulation(sim)
    .force("charge", forceManyBody().strength(-30))
    .force(
      "link",
      forceLink(pulling)
        .distance(30)
        .strength((l: { w: number }) => 0.3 + 0.7 * l.w),
    )
    .force(
      "collide",
      forceCollide<(typeof sim)[number]>((d) => d.r + 1.5),
    )
    .force("x", forceX(0).strength(0.04))
    .force("y", forceY(0).strength(0.06))
    .force("center", forceCenter(0, 0))
    .stop();
  simulation.tick(TICKS);
  // Fit into the box, keeping the aspect ratio.
  let x0 = Infinity,
    x1 = -Infinity,
    y0 = Infinity,
    y1 = -Infinity;
  for (const { x = 0, y = 0, r } of sim) {
    x0 = Math.min(x0, x - r);
    x1 = Math.max(x1, x + r);
    y0 = Math.min(y0, y - r);
    y1 = Math.max(y1, y + r);
  }
  const scale = Math.min(
    MAX_ZOOM,
    (width - 2 * LAYOUT_PAD) / Math.max(1e-9, x1 - x0),
    (height - 2 * LAYOUT_PAD) / Math.max(1e-9, y1 - y0),
  );
  const shrink = Math.min(1, scale);
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  return sim.map(({ x = 0, y = 0, r }) => ({
    x: width / 2 + (x - cx) * scale,
    y: height / 2 + (y - cy) * scale,
    r: Math.max(MIN_DRAWN_RADIUS, r * shrink),
  }));
}

/** Radius in px, log-scaled by node size (TopoAct). */
export function radius(size: number): number {
  return 3 + 2.2 * Math.log2(1 + size);
}

function countsFor(node: MapperNodeSummary, color: NodeColoring): number[] | undefined {
  return color === "prediction"
    ? node.predictionCounts
    : color === "label"
      ? node.labelCounts
      : undefined;
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

/** What the nodes show, for the figure's description. */
const COLORING_DESCRIPTIONS: Record<NodeColoring, string> = {
  label: "each node a pie of its members' true labels",
  prediction: "each node a pie of its members' predicted classes",
  lens: `nodes filled by ${NUMERIC_TITLES.lens}`,
  confidence: `nodes filled by ${NUMERIC_TITLES.confidence}`,
  target: `nodes filled by ${NUMERIC_TITLES.target}`,
  size: `nodes filled by ${NUMERIC_TITLES.size}`,
};

/** A text describing one node (hover tooltip and panel header). */
export function describeNode(node: MapperNodeSummary, classNames: string[] = []): string {
  const parts = [
    `${node.id}: ${count(node.size, "point")}`,
    `mean lens ${formatNumber(node.lens[0])}`,
  ];
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

/**
 * A Mapper graph as an SVG in a <figure> with its legends (see the module comment).
 *
 * @example
 *   const graph = mapperGraph(result.layers[2], {classNames: result.classNames, minJaccard: 0.1, width: 320});
 */
export function mapperGraph(
  result: Pick<MapperLayerResult, "nodes" | "links"> & { layer?: string },
  options: MapperGraphOptions = {},
): MapperGraphElement {
  const o = withDefaults(defaults.mapperGraph, options);
  const doc = options.document ?? globalThis.document;
  const width = o.width;
  const height = o.height ?? Math.round(width * 0.75);
  const classNames = o.classNames;
  const palette = classColors(classNames.length);
  let color = o.color;
  if (
    (color === "label" || color === "prediction") &&
    !result.nodes.some((n) => countsFor(n, color))
  )
    color = "lens";
  const positions = layoutGraph(result.nodes, result.links, width, height, o.minJaccard);

  const wrapper = doc.createElement("figure") as unknown as MapperGraphElement;
  wrapper.className = "atlas-mapper";
  wrapper.style.margin = "0";
  wrapper.style.fontSize = FONT_SIZE;
  // As wide as the drawing, so legends wrap inside it and small multiples sit side by side.
  wrapper.style.width = `${width}px`;
  wrapper.style.maxWidth = "none";
  const strong = result.links.filter(([, , w]) => w >= o.minJaccard).length;
  const ariaLabel =
    `Mapper graph${result.layer ? ` of ${result.layer}` : ""}: ${count(result.nodes.length, "node")}, ${count(result.links.length, "edge")}` +
    (o.minJaccard > 0 ? ` (${strong} at Jaccard ≥ ${o.minJaccard} drawn)` : "") +
    `; ${COLORING_DESCRIPTIONS[color]}`;
  wrapper.setAttribute("aria-label", ariaLabel);
  if (o.title) {
    const h = doc.createElement("h3");
    h.textContent = o.title;
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
    legends.appendChild(
      houseLegend(
        {
          color: {
            type: "linear",
            domain: [0, 1],
            range: [interpolatePlasma(0.15), interpolatePlasma(0.85)],
            label: "edge colour and width: Jaccard weight",
          },
        },
        doc,
      ),
    );
  }
  wrapper.appendChild(legends);
  const svg = doc.createElementNS(SVG, "svg");
  svg.setAttribute("width", String(width));
  svg.setAttribute("height", String(height));
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("font-family", "system-ui, sans-serif");
  svg.setAttribute("font-size", "12");
  svg.setAttribute("role", "img");
  // The drawing's own name is the short count; the figure's (above) says what the nodes show.
  svg.setAttribute(
    "aria-label",
    `Mapper graph: ${count(result.nodes.length, "node")}, ${count(result.links.length, "edge")}`,
  );
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
    const r = positions[i].r;
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
    outline.setAttribute(
      "fill",
      counts
        ? "none"
        : Number.isFinite(value)
          ? interpolateTurbo(hi > lo ? (value - lo) / (hi - lo) : 0.5)
          : "#ccc",
    );
    outline.setAttribute("stroke", "#333");
    outline.setAttribute("stroke-width", "0.8");
    g.appendChild(outline);
    const title = doc.createElementNS(SVG, "title");
    title.textContent = describeNode(node, classNames);
    g.appendChild(title);
    stage.appendChild(g);
    return { g, outline };
  });

  let minJaccard = o.minJaccard;
  const draw = () => {
    for (const e of edges) {
      e.line.setAttribute("x1", String(positions[e.a].x));
      e.line.setAttribute("y1", String(positions[e.a].y));
      e.line.setAttribute("x2", String(positions[e.b].x));
      e.line.setAttribute("y2", String(positions[e.b].y));
      e.line.setAttribute("visibility", e.w >= minJaccard ? "visible" : "hidden");
    }
    groups.forEach(({ g }, i) =>
      g.setAttribute("transform", `translate(${positions[i].x},${positions[i].y})`),
    );
  };
  draw();

  wrapper.value = null;
  wrapper.setMinJaccard = (t: number) => {
    minJaccard = t;
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

  if (o.interactive) {
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

function legendFor(
  nodes: MapperNodeSummary[],
  color: NodeColoring,
  classNames: string[],
  palette: string[],
  doc: Document,
): Element | null {
  if (color === "label" || color === "prediction") {
    if (!classNames.length) return null;
    return withTitle(
      color === "label" ? "node pies: true label" : "node pies: predicted class",
      houseLegend({ color: { type: "categorical", domain: classNames, range: palette } }, doc),
      doc,
    );
  }
  const [lo, hi] = numericDomain(nodes, color);
  return houseLegend(
    {
      color: {
        type: "linear",
        domain: [lo, hi === lo ? lo + 1 : hi],
        scheme: "turbo",
        label: `node fill: ${NUMERIC_TITLES[color]}`,
      },
    },
    doc,
  );
}

/** Swatch legends have no title in Plot; put one above (the scatter's convention). */
function withTitle(text: string, legend: Element, doc: Document): Element {
  const box = doc.createElement("div");
  const title = doc.createElement("div");
  title.className = "atlas-legend-title";
  title.style.font = `600 ${FONT_SIZE} var(--sans-serif, system-ui)`;
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

/**
 * Purity per layer as small multiples (one panel per measure), layers in network order.
 *
 * @example
 *   purityChart(purityRows(result.layers), {by: "true labels"});
 */
export function purityChart(rows: PurityByLayer[], options: PurityChartOptions = {}): HTMLElement {
  const o = withDefaults(defaults.purityChart, options);
  const layers = rows.map((r) => r.layer);
  const long = rows.flatMap((r) => [
    { layer: r.layer, measure: "purity: mean 1 / classes per node", value: r.meanInverseClasses },
    { layer: r.layer, measure: "size-weighted majority share", value: r.weightedMajority },
    { layer: r.layer, measure: "share of points lost", value: r.lostShare },
  ]);
  return housePlot({
    document: options.document ?? globalThis.document,
    width: o.width,
    height: 220,
    marginBottom: 60,
    title: `Mapper purity by layer${o.by ? ` (classes: ${o.by})` : ""}`,
    ariaLabel: `Mapper purity, majority share and share of points lost across ${count(rows.length, "layer")}, from input to output${o.by ? ` (classes: ${o.by})` : ""}`,
    fx: { label: null },
    x: { domain: layers, label: "layer (input → output)", tickRotate: -30 },
    y: { domain: [0, 1], label: "fraction", grid: true },
    marks: [
      Plot.frame({ stroke: "#ddd" }),
      Plot.line(long, { fx: "measure", x: "layer", y: "value", stroke: "#4269d0" }),
      Plot.dot(long, {
        fx: "measure",
        x: "layer",
        y: "value",
        fill: "#4269d0",
        tip: true,
        title: (d: { layer: string; value: number }) => `${d.layer}: ${d.value.toFixed(3)}`,
      }),
    ],
  });
}

/**
 * The layers a row of three small multiples shows around layer `index`: the layer before, the
 * layer and the layer after, shifted inwards at either end so that three distinct layers are
 * shown when there are three or more; all of them (one or two, each once) when there are fewer.
 * Layers are told apart by name, so a list that repeats one shows it once.
 *
 * @example
 *   layerTrio(results, results.findIndex((r) => r.layer === "conv2")); // [conv1, conv2, conv3]
 */
export function layerTrio<T extends { layer: string }>(results: readonly T[], index: number): T[] {
  const distinct = results.filter((r, i) => results.findIndex((q) => q.layer === r.layer) === i);
  if (!Number.isInteger(index) || index < 0 || index >= results.length) {
    throw new HiddenAtlasError(
      "E_PARAM",
      `invalid index: ${index} (expected an integer from 0 to ${results.length - 1}, a position in the ${count(results.length, "layer")})`,
    );
  }
  const at = distinct.findIndex((r) => r.layer === results[index].layer);
  const start = Math.max(0, Math.min(at - 1, distinct.length - 3));
  return distinct.slice(start, start + 3);
}

export interface FeatureImageOptions {
  /** Side of the drawn image in px. Defaults to 96. */
  size?: number;
  /** Document to build in (default: the global one). */
  document?: Document;
}

/**
 * A node's feature visualisation for the node panel: the image (drawn in the bundle's input
 * range, like the member thumbnails) with a caption giving the projection it reached against
 * the members' own; or, when there is none, a note saying why. All text is set as text.
 */
export function featureImage(
  fv: MapperFeatureImage,
  options: FeatureImageOptions = {},
): HTMLElement {
  const document = options.document ?? globalThis.document;
  const size = options.size ?? 96;
  const figure = document.createElement("figure");
  figure.className = "atlas-feature";
  figure.dataset.testid = "feature-image";
  const caption = document.createElement("figcaption");
  const layout = fv.available ? imageLayout([1, ...fv.shape]) : null;
  if (!fv.available || !layout) {
    caption.textContent = fv.available
      ? `The inputs of this bundle are not images (shape ${fv.shape.join(" × ")}), so the feature visualisation cannot be drawn.`
      : fv.reason;
    figure.classList.add("atlas-note");
    figure.append(caption);
    return figure;
  }
  const { width, height, channels, channelsFirst } = layout;
  const [lo, hi] = fv.range;
  const scale = 255 / (hi - lo);
  const pixels = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let ch = 0; ch < channels; ch++) {
        const source = channelsFirst
          ? (ch * height + y) * width + x
          : (y * width + x) * channels + ch;
        pixels[(y * width + x) * channels + ch] = Math.round(
          Math.min(255, Math.max(0, (fv.image[source] - lo) * scale)),
        );
      }
    }
  }
  const img = document.createElement("img");
  img.src = pngDataUrl(pixels, width, height, channels);
  img.width = size;
  img.height = Math.round((size * height) / width);
  img.style.imageRendering = "pixelated";
  img.alt = `feature visualisation of node ${fv.node} at ${fv.layer}`;
  caption.textContent =
    `Feature visualisation: an input optimised (${fv.steps} steps, seed ${fv.seed}) to raise ${fv.networkLayer}'s activation along the node's mean direction. ` +
    `Its projection reaches ${formatNumber(fv.objective.end)} (from ${formatNumber(fv.objective.start)} at the starting noise); ` +
    `the ${count(fv.members.count, "member")} reach ${formatNumber(fv.members.mean)} on average, ${formatNumber(fv.members.max)} at most.`;
  figure.append(img, caption);
  return figure;
}

export interface SeedPurityChartOptions {
  /** Width in px. Defaults to 640. */
  width?: number;
  /** Document to build in (default: the global one). */
  document?: Document;
}

/** How far each character of a tick label slanted at 30° reaches below the axis: 6.6 px per 12 px character × sin 30°. */
const SLANTED_CHAR_DROP_PX = 3.3;

/**
 * Purity by layer in every seed's network (thin grey lines) and its mean ± one standard
 * deviation over them (blue band and line): the spread behind the claim's number.
 */
export function seedPurityChart(
  study: Pick<MapperSeedStudy, "runs" | "layers" | "purity" | "spread">,
  options: SeedPurityChartOptions = {},
): HTMLElement {
  const runs = study.runs.flatMap((run, r) =>
    study.layers.map((layer, l) => ({ run, layer, value: study.purity[r][l] })),
  );
  const { mean, sd } = study.spread.purity;
  const band = study.layers.map((layer, l) => ({
    layer,
    mean: mean[l],
    lo: mean[l] - sd[l],
    hi: mean[l] + sd[l],
  }));
  return housePlot({
    document: options.document ?? globalThis.document,
    width: options.width ?? 640,
    height: 260,
    // Room for the layer names slanted at 30° (half their length drops below the axis) and the
    // axis label under them: at 60 px a name like "conv1:pre:top-l2" ran into the label.
    marginBottom:
      30 + Math.ceil(SLANTED_CHAR_DROP_PX * Math.max(0, ...study.layers.map((l) => l.length))),
    title: `Mapper purity by layer in ${count(study.runs.length, "network")} trained from different seeds`,
    ariaLabel: `Purity by layer, mean ± sd over ${study.runs.length} networks: ${band.map((b) => `${b.layer} ${b.mean.toFixed(2)} ± ${(b.hi - b.mean).toFixed(2)}`).join(", ")}`,
    x: { domain: study.layers, label: "layer (input → output)", tickRotate: -30 },
    y: { domain: [0, 1], label: "purity (mean 1 / classes per node)", grid: true },
    marks: [
      Plot.frame({ stroke: "#ddd" }),
      Plot.areaY(band, { x: "layer", y1: "lo", y2: "hi", fill: "#4269d0", fillOpacity: 0.15 }),
      Plot.line(runs, { x: "layer", y: "value", z: "run", stroke: "#999", strokeWidth: 1 }),
      Plot.line(band, { x: "layer", y: "mean", stroke: "#4269d0", strokeWidth: 2 }),
      Plot.dot(runs, {
        x: "layer",
        y: "value",
        fill: "#999",
        r: 2,
        tip: true,
        title: (d: { run: string; layer: string; value: number }) =>
          `${d.run} · ${d.layer}: ${d.value.toFixed(3)}`,
      }),
    ],
  });
}
