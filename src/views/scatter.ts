/**
 * Scatter of a 2-D embedding, coloured by a per-sample column with a legend; optionally
 * interactive (hover tooltip with the input's thumbnail, click to select a point).
 *
 * Static figures (`interactive` false) of more than 20,000 drawn points are pointScatter's: the
 * points as one PNG inside the SVG frame. For every point interactively, use pointScatter.
 *
 * The element's `value` is the selected sample (or null) and it dispatches "input" when a
 * point is clicked, so a notebook can `view()` it. `highlight(indices)` rings other points
 * (e.g. the selection's nearest neighbours) without re-rendering.
 *
 * @example
 *   const el = embeddingScatter({x, y}, {color: sampleColumn(bundle, "label"), xLabel: "PC1"});
 */
import * as Plot from "@observablehq/plot";
import { Delaunay } from "d3";
import type { SampleColumn } from "../analyses/columns.ts";
import { withDefaults } from "./options.ts";
import { pointScatter, SVG_MAX_POINTS } from "./point-scatter.ts";
import { FONT_SIZE, housePlot } from "./style.ts";
import { count } from "./text.ts";

export interface ScatterData {
  /** Coordinates of every sample (length = samples). */
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Samples to draw (default: all). */
  index?: ArrayLike<number>;
}

export interface ScatterOptions {
  /** Colour column (categorical → swatch legend, continuous → ramp legend). Defaults to null (no colour). */
  color?: SampleColumn | null;
  /** x axis label, with units. Defaults to "x". */
  xLabel?: string;
  /** y axis label, with units. Defaults to "y". */
  yLabel?: string;
  /** Title above the figure. Defaults to none. */
  title?: string;
  /** Subtitle under the title. Defaults to none. */
  subtitle?: string;
  /** Width in px. Defaults to 640. */
  width?: number;
  /** Height in px. Defaults to min(width, 560) · 0.8, rounded. */
  height?: number;
  /** Dot radius in px. Defaults to 3 below 1,000 drawn points, else 2. */
  r?: number;
  /** Sample drawn with a heavy ring. Defaults to null (none). */
  selected?: number | null;
  /** Samples drawn with a light ring (e.g. neighbours of the selection). Defaults to none. */
  highlighted?: ArrayLike<number>;
  /** Attach hover and click handling (browser only). Defaults to false. */
  interactive?: boolean;
  /** Tooltip content for sample i (interactive only). Defaults to none (no tooltip). */
  tooltip?: (i: number) => { text: string; image?: string };
  /** The figure's description. Defaults to "Scatter plot of N points: xLabel against yLabel, coloured by …". */
  ariaLabel?: string;
  /** Document to build in (jsdom in Node). Defaults to the global document. */
  document?: Document;
}

export type ScatterElement = HTMLElement & {
  value: number | null;
  highlight(indices: ArrayLike<number>): void;
  select(i: number | null): void;
};

/** Every option's default; those left undefined here are derived as their docs say. */
export const defaults = {
  color: null as SampleColumn | null,
  xLabel: "x",
  yLabel: "y",
  title: undefined as string | undefined,
  subtitle: undefined as string | undefined,
  width: 640,
  height: undefined as number | undefined,
  r: undefined as number | undefined,
  selected: null as number | null,
  highlighted: [] as ArrayLike<number>,
  interactive: false,
  tooltip: undefined as ((i: number) => { text: string; image?: string }) | undefined,
  ariaLabel: undefined as string | undefined,
};

/** Largest categorical domain drawn with a categorical scheme; more classes use turbo. */
const MAX_CATEGORICAL_SWATCHES = 10;

export function embeddingScatter(data: ScatterData, options: ScatterOptions = {}): ScatterElement {
  const o = withDefaults(defaults, options);
  // A static figure of more than SVG_MAX_POINTS points is one PNG of the points (pointScatter's).
  if (!o.interactive && (data.index ?? data.x).length > SVG_MAX_POINTS)
    return pointScatter(data, options);
  const document = options.document ?? globalThis.document;
  const width = o.width;
  const height = o.height ?? Math.round(Math.min(width, 560) * 0.8);
  const index = Array.from(data.index ?? { length: data.x.length }, (v, i) =>
    data.index ? (v as number) : i,
  );
  const r = o.r ?? (index.length < 1000 ? 3 : 2);
  const color = o.color;
  const x = (i: number) => data.x[i];
  const y = (i: number) => data.y[i];

  let fill: ((i: number) => unknown) | string = "currentColor";
  let colorScale: Plot.ScaleOptions | undefined;
  if (color?.type === "categorical") {
    const names = color.classNames ?? [];
    const nameOf = (v: number) => names[v] ?? String(v);
    fill = (i: number) => nameOf(color.values[i]);
    const domain =
      names.length > 0
        ? names
        : Array.from(new Set(index.map((i) => nameOf(color.values[i])))).sort();
    colorScale = {
      type: "categorical",
      domain,
      scheme: domain.length <= MAX_CATEGORICAL_SWATCHES ? "observable10" : "turbo",
      legend: true,
      label: color.title,
    };
  } else if (color?.type === "continuous") {
    fill = (i: number) => color.values[i];
    // The ramp's own title is one line of SVG text, cut when long: the title goes above it (below).
    colorScale = { type: "linear", scheme: "viridis", legend: true, label: null };
  }
  const total = data.x.length;
  const subset =
    index.length < total ? ` (${index.length} of ${count(total, "sample")} drawn)` : "";
  const ariaLabel =
    o.ariaLabel ??
    `Scatter plot of ${count(index.length, "point")}${subset}: ${o.xLabel} against ${o.yLabel}${color ? `, coloured by ${color.title}` : ""}`;

  const figure = housePlot({
    document,
    width,
    height,
    title: o.title,
    subtitle: o.subtitle,
    ariaLabel,
    grid: true,
    inset: 8,
    x: { label: o.xLabel },
    y: { label: o.yLabel },
    color: colorScale,
    marks: [Plot.dot(index, { x, y, fill, r, fillOpacity: 0.8 })],
  }) as unknown as HTMLElement & { scale(name: string): { apply(v: number): number } | undefined };

  const wrapper = document.createElement("div") as unknown as ScatterElement;
  wrapper.className = "atlas-scatter";
  wrapper.style.position = "relative";
  if (color) {
    // Plot's swatch legends have no title, and a ramp's is one line of SVG text: an HTML title
    // that wraps says what the colours are.
    const title = document.createElement("div");
    title.className = "atlas-legend-title";
    title.textContent = `colour: ${color.title}`;
    title.style.font = `600 ${FONT_SIZE} var(--sans-serif, system-ui)`;
    title.style.maxWidth = `${width}px`;
    figure.insertBefore(title, figure.firstChild);
  }
  wrapper.appendChild(figure);
  const svg = plotSvg(figure);
  const sx = figure.scale("x")!;
  const sy = figure.scale("y")!;
  const px = (i: number) => sx.apply(x(i));
  const py = (i: number) => sy.apply(y(i));

  // Overlay rings drawn by hand so that the interactive figure can move them without
  // re-rendering; static figures (reports) use the same code.
  const NS = "http://www.w3.org/2000/svg";
  const overlay = document.createElementNS(NS, "g");
  overlay.setAttribute("class", "atlas-overlay");
  overlay.setAttribute("fill", "none");
  svg.appendChild(overlay);
  const ring = (i: number, radius: number, strokeWidth: number, stroke: string) => {
    const c = document.createElementNS(NS, "circle");
    c.setAttribute("cx", String(px(i)));
    c.setAttribute("cy", String(py(i)));
    c.setAttribute("r", String(radius));
    c.setAttribute("stroke", stroke);
    c.setAttribute("stroke-width", String(strokeWidth));
    return c;
  };
  let highlighted: number[] = Array.from(o.highlighted);
  let selected: number | null = o.selected;
  const redraw = () => {
    while (overlay.firstChild) overlay.removeChild(overlay.firstChild);
    for (const i of highlighted) overlay.appendChild(ring(i, r + 3, 1.5, "#d62728"));
    if (selected !== null) overlay.appendChild(ring(selected, r + 5, 2.5, "currentColor"));
  };
  redraw();

  wrapper.value = selected;
  wrapper.highlight = (indices) => {
    highlighted = Array.from(indices);
    redraw();
  };
  wrapper.select = (i) => {
    selected = i;
    wrapper.value = i;
    redraw();
  };

  if (o.interactive) attachPointer(wrapper, svg, index, px, py, o.tooltip, document);
  return wrapper;
}

/** Hover: nearest drawn point within 24 px gets a tooltip; click: select it. */
function attachPointer(
  wrapper: ScatterElement,
  svg: SVGSVGElement,
  index: number[],
  px: (i: number) => number,
  py: (i: number) => number,
  tooltip: ScatterOptions["tooltip"],
  document: Document,
): void {
  const HOVER_RADIUS_PX = 24;
  const delaunay = Delaunay.from(index, px, py);
  const tip = document.createElement("div");
  tip.className = "atlas-tooltip";
  Object.assign(tip.style, {
    position: "absolute",
    pointerEvents: "none",
    display: "none",
    background: "var(--theme-background, white)",
    border: "1px solid var(--theme-foreground-faint, #ccc)",
    borderRadius: "4px",
    padding: "4px 6px",
    font: "12px var(--sans-serif, system-ui)",
    boxShadow: "0 1px 4px rgba(0,0,0,.15)",
    zIndex: "10",
  });
  wrapper.appendChild(tip);
  let hovered: number | null = null;
  const locate = (event: PointerEvent | MouseEvent): number | null => {
    const rect = svg.getBoundingClientRect();
    const viewWidth = svg.viewBox?.baseVal?.width || svg.width.baseVal.value;
    const factor = rect.width > 0 ? viewWidth / rect.width : 1;
    const lx = (event.clientX - rect.left) * factor;
    const ly = (event.clientY - rect.top) * factor;
    const found = delaunay.find(lx, ly);
    if (found < 0) return null;
    const i = index[found];
    return Math.hypot(px(i) - lx, py(i) - ly) <= HOVER_RADIUS_PX * factor ? i : null;
  };
  svg.addEventListener("pointermove", (event) => {
    const i = locate(event);
    if (i === hovered) return;
    hovered = i;
    if (i === null || !tooltip) {
      tip.style.display = "none";
      return;
    }
    const content = tooltip(i);
    tip.replaceChildren();
    if (content.image) {
      const img = document.createElement("img");
      img.src = content.image;
      img.width = 56;
      img.height = 56;
      img.style.imageRendering = "pixelated";
      img.style.display = "block";
      tip.appendChild(img);
    }
    const text = document.createElement("div");
    text.textContent = content.text;
    tip.appendChild(text);
    const wrapperRect = wrapper.getBoundingClientRect();
    tip.style.left = `${event.clientX - wrapperRect.left + 12}px`;
    tip.style.top = `${event.clientY - wrapperRect.top + 12}px`;
    tip.style.display = "block";
  });
  svg.addEventListener("pointerleave", () => {
    hovered = null;
    tip.style.display = "none";
  });
  svg.addEventListener("click", (event) => {
    const i = locate(event);
    if (i === null) return;
    wrapper.select(i);
    wrapper.dispatchEvent(new Event("input", { bubbles: true }));
  });
  svg.style.cursor = "crosshair";
}

/** The chart's own <svg>: the figure itself, or its last direct <svg> child (legends come first). */
export function plotSvg(figure: Element): SVGSVGElement {
  if (figure.tagName.toLowerCase() === "svg") return figure as SVGSVGElement;
  const svgs = Array.from(figure.children).filter((el) => el.tagName.toLowerCase() === "svg");
  return svgs[svgs.length - 1] as SVGSVGElement;
}
