/**
 * A scatter of a 2-D embedding that draws every point, at any size: a WebGL2 canvas for the
 * points (one draw call; zoom and pan move two uniforms), Observable Plot for everything
 * around them (axes with their labels, grid, swatch or ramp legend, title), and an SVG overlay
 * for the rings and the lasso. It replaces `embeddingScatter` with the same call and element
 * (`.value`, "input" events, `highlight()`, `select()`), and adds:
 *
 * - hover: the nearest point within 24 px (found in a grid, not by scanning) gets a tooltip
 *   with the input's thumbnail; click or Enter selects it;
 * - zoom and pan (wheel, drag, + / − / 0 keys); the axes follow;
 * - lasso: shift-drag, or drag after pressing "Lasso", encloses points; the element's
 *   `.selection` (Int32Array of samples, ascending) changes and it dispatches "selection";
 *   a panel lists the count and first rows and exports the selected rows as CSV or JSON;
 * - keyboard: Tab focuses the plot, arrow keys move a focus ring to the nearest point in that
 *   direction, Enter selects it, Escape clears the lasso; a live region reads the focused point.
 *
 * Without WebGL2 the interactive figure draws its points with the software rasteriser on a 2-D
 * canvas. Without a browser (reports built in Node) or with `interactive: false`, the figure is
 * static: Plot SVG dots up to `svgMaxPoints` (20,000) drawn points, above that one PNG of the
 * points inside the SVG frame, axes and legend unchanged. Points are drawn in the order of
 * `index` (or of the samples), never reordered or thinned; when `index` leaves samples out, or
 * `subsample` says the drawn samples were chosen from more, the caption says so in words:
 * "600 of 1,797 samples drawn (seed 42)". `paths` draws lines under the points (a hidden unit's
 * trajectory over training): SVG lines in static figures, a 2-D canvas under the points in
 * interactive ones.
 *
 * @example
 *   const el = pointScatter({x, y}, {color: sampleColumn(bundle, "label"), xLabel: "PC1", interactive: true});
 *   el.addEventListener("selection", () => console.log(el.selection.length));
 */
import * as Plot from "@observablehq/plot";
import {
  select as d3select,
  zoom as d3zoom,
  zoomIdentity,
  type ZoomBehavior,
  type ZoomTransform,
} from "d3";
import { HiddenAtlasError } from "../core/errors.ts";
import { PointRenderer, type PixelTransform, type RingStyle } from "./point-gl.ts";
import { PointGrid } from "./point-grid.ts";
import { coloring, formatCoordinate, type Coloring } from "./point-colors.ts";
import { rasterizePoints } from "./point-raster.ts";
import { selectionPanel } from "./selection-panel.ts";
import { subsampleText } from "./caption.ts";
import { ariaMarkGroups } from "./style.ts";

export { selectionCsv, selectionJson } from "./selection-panel.ts";
import { pngDataUrl } from "./png.ts";
import type { ScatterData, ScatterElement, ScatterOptions } from "./scatter.ts";

export type { ScatterData } from "./scatter.ts";

export interface PointScatterOptions extends ScatterOptions {
  /**
   * The figure's accessible description. Defaults to "Scatter plot of N points: x label
   * against y label, coloured by …".
   */
  ariaLabel?: string;
  /** Static figures draw SVG dots up to this many drawn points and a PNG above. Defaults to 20,000. */
  svgMaxPoints?: number;
  /** Offer lasso selection (interactive only). Defaults to true. */
  lasso?: boolean;
  /** Extra columns of the exported selection, by name, for sample i. */
  exportColumns?: Record<string, (i: number) => string | number>;
  /** File name (without extension) of exported selections. Defaults to "selection". */
  exportName?: string;
  /** Renderer of the interactive figure: "auto" (WebGL2, else raster), "webgl" or "raster". Defaults to "auto". */
  renderer?: "auto" | "webgl" | "raster";
  /**
   * How the drawn samples were chosen when they are part of a larger set: `total` rows they were
   * chosen from (defaults to the length of `data.x`), the `seed` of the choice. The caption then
   * says "600 of 1,797 samples drawn (seed 42)". Defaults to none (the drawn samples are all).
   */
  subsample?: { total?: number; seed?: number | null; method?: string };
  /**
   * Lines under the points, each through the samples of one entry in order (e.g. one hidden
   * unit over training), drawn thin and grey. Defaults to none.
   */
  paths?: ArrayLike<number>[];
}

export type PointScatterElement = ScatterElement & {
  /** Samples inside the last lasso, ascending (empty when none). */
  selection: Int32Array;
  /** The last lasso's polygon in data coordinates (x0, y0, x1, y1, …), or null. */
  lasso: Float64Array | null;
  /** How the points are drawn: "webgl", "raster" (2-D canvas), "svg" or "png" (static). */
  readonly renderer: "webgl" | "raster" | "svg" | "png";
  /** Select the samples inside a polygon given in data coordinates (x0, y0, x1, y1, …), as a lasso does. */
  selectPolygon(polygon: ArrayLike<number>): Int32Array;
  /** The drawn sample nearest to a point of the plot area (CSS px from its top-left) within 24 px, or null. */
  pick(px: number, py: number): number | null;
  /** Where sample i is drawn now, in CSS px from the plot area's top-left. */
  locate(i: number): { x: number; y: number };
  /** The data ranges in view. */
  domain(): { x: [number, number]; y: [number, number] };
  /** Zoom to show these data ranges' centre at this magnification (1 = all points). */
  zoomTo(k: number, centre?: [number, number]): void;
  resetZoom(): void;
  /** Free the WebGL context now (a page may hold only about 16); the figure stays as drawn. */
  destroy(): void;
  /** The sample that has the keyboard focus ring, or null. */
  readonly focused: number | null;
  /** The samples drawn with a light ring (`highlighted`, then `highlight()`), in the order given. */
  readonly highlighted: Int32Array;
};

/** Documented default: static figures switch from SVG dots to one PNG above this many drawn points. */
export const SVG_MAX_POINTS = 20_000;

const defaults = {
  width: 640,
  xLabel: "x",
  yLabel: "y",
  svgMaxPoints: SVG_MAX_POINTS,
  lasso: true,
  exportName: "selection",
  renderer: "auto" as const,
  opacity: 0.8,
};

/** Hover and click reach, CSS px (as embeddingScatter). */
const HOVER_RADIUS_PX = 24;
/** Plot margins, CSS px: room for 12 px tick labels and the axis labels. */
const MARGIN = { top: 24, right: 16, bottom: 40, left: 56 };
/** The data extent is padded by this share of its span on each side, so edge points are whole. */
const DOMAIN_PAD = 0.03;
/** Chart text size (the house minimum). */
const FONT_SIZE = "12px";
/** Lasso vertices closer than this (CSS px) to the previous one are dropped. */
const LASSO_MIN_STEP_PX = 3;
/** Resolution of static PNGs and the raster fallback relative to CSS pixels. */
const RASTER_SCALE = 2;
const HIGHLIGHT_RING: Omit<RingStyle, "radius"> = { color: [0.84, 0.15, 0.16, 1], lineWidth: 1.5 };
const LASSO_RING: Omit<RingStyle, "radius"> = { color: [0, 0, 0, 0], lineWidth: 0, fill: true };
/** While a lasso selection exists the other points fade to this opacity. */
const UNSELECTED_OPACITY = 0.15;
/** Paths under the points: thin, light grey and half transparent, so the points stay readable. */
const PATH_STYLE = { stroke: "#bbb", width: 0.4, opacity: 0.6 };

/**
 * A scatter of every point of `data` (see the module comment): interactive with WebGL2 in a
 * browser when `interactive` is true, otherwise a static SVG (≤ `svgMaxPoints` points) or PNG figure.
 *
 * @example
 *   const el = pointScatter({x, y, index}, {interactive: true, color, xLabel: "UMAP 1", tooltip: (i) => ({text: `#${i}`})});
 *   el.addEventListener("input", () => show(el.value));
 *
 * See also: embeddingScatter (src/views/scatter.ts), the Plot SVG figure it replaces.
 */
export function pointScatter(
  data: ScatterData,
  options: PointScatterOptions = {},
): PointScatterElement {
  const document = options.document ?? globalThis.document;
  checkOptions(options);
  const width = options.width ?? defaults.width;
  const height = options.height ?? Math.round(Math.min(width, 560) * 0.8);
  const total = data.x.length;
  if (data.y.length !== total) {
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `scatter: data.x has ${total} values but data.y has ${data.y.length} (expected one y per x)`,
    );
  }
  const samples = drawnSamples(data.index, total);
  const n = samples.length;
  const sampledFrom = options.subsample?.total;
  if (sampledFrom !== undefined && !(Number.isInteger(sampledFrom) && sampledFrom >= n)) {
    throw new HiddenAtlasError(
      "E_PARAM",
      `scatter: invalid subsample.total: ${sampledFrom} (expected an integer ≥ the ${n} drawn samples)`,
    );
  }
  const paths = checkPaths(options.paths, total);
  const drawnX = new Float64Array(n);
  const drawnY = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    drawnX[p] = data.x[samples[p]];
    drawnY[p] = data.y[samples[p]];
  }
  const grid = PointGrid.build(drawnX, drawnY, samples);
  // Draw position of each sample (its first, if index repeats one), built on first use.
  let positionOf: Int32Array | null = null;
  const positionOfSample = (i: number): number => {
    if (!positionOf) {
      positionOf = new Int32Array(total).fill(-1);
      for (let p = n - 1; p >= 0; p--) positionOf[samples[p]] = p;
    }
    return Number.isInteger(i) && i >= 0 && i < total ? positionOf[i] : -1;
  };
  const r = options.r ?? (n < 1000 ? 3 : 2);
  const colors = coloring(options.color ?? null, samples, total);
  const xLabel = options.xLabel ?? defaults.xLabel;
  const yLabel = options.yLabel ?? defaults.yLabel;
  const subset = subsampleText(n, options.subsample?.total ?? total, {
    noun: "samples",
    seed: options.subsample?.seed ?? null,
    method: options.subsample?.method,
  });
  const ariaLabel =
    options.ariaLabel ??
    `Scatter plot of ${n.toLocaleString("en-US")} points${subset ? ` (${subset})` : ""}: ${xLabel} against ${yLabel}` +
      (options.color ? `, coloured by ${options.color.title}` : "");

  // The frame and the base scales (data → plot-area CSS px) with the padded extent.
  const frame = {
    left: MARGIN.left,
    top: MARGIN.top,
    width: width - MARGIN.left - MARGIN.right,
    height: height - MARGIN.top - MARGIN.bottom,
  };
  const [x0, x1] = paddedExtent(grid.x);
  const [y0, y1] = paddedExtent(grid.y);
  const base: PixelTransform = {
    scaleX: frame.width / (x1 - x0),
    offsetX: frame.left - (x0 * frame.width) / (x1 - x0),
    scaleY: -frame.height / (y1 - y0),
    offsetY: frame.top + frame.height + (y0 * frame.height) / (y1 - y0),
  };

  const wrapper = document.createElement("div") as unknown as PointScatterElement;
  wrapper.className = "atlas-scatter atlas-point-scatter";
  wrapper.style.position = "relative";
  const figure = document.createElement("figure");
  figure.setAttribute("role", "figure");
  figure.setAttribute("aria-label", ariaLabel);
  figure.style.margin = "0";
  figure.style.fontSize = FONT_SIZE;
  wrapper.appendChild(figure);
  if (options.title) figure.appendChild(textElement(document, "h2", options.title));
  if (options.subtitle) figure.appendChild(textElement(document, "h3", options.subtitle));
  if (colors.legend) {
    // Swatches have no title and a ramp's is one line of SVG text, cut when long: an HTML title
    // that wraps says what the colours are (as embeddingScatter).
    const title = textElement(document, "div", `colour: ${options.color!.title}`);
    title.className = "atlas-legend-title";
    title.style.font = `600 ${FONT_SIZE} var(--sans-serif, system-ui)`;
    title.style.maxWidth = `${width}px`;
    figure.appendChild(title);
    const scale =
      colors.legend.type === "categorical" ? colors.legend : { ...colors.legend, label: null };
    const legend = Plot.legend({
      document,
      color: scale,
      style: { fontSize: FONT_SIZE },
    } as unknown as Plot.LegendOptions);
    if (legend) figure.appendChild(ariaMarkGroups(legend as unknown as Element));
  }
  const area = document.createElement("div");
  area.className = "atlas-plot-area";
  area.style.position = "relative";
  figure.appendChild(area);
  const captions: string[] = [];
  if (subset) captions.push(`${subset}.`);
  if (colors.missing > 0)
    captions.push(
      `${colors.missing.toLocaleString("en-US")} drawn samples without a ${options.color!.title} value are grey.`,
    );

  const NS = "http://www.w3.org/2000/svg";
  let highlighted: number[] = Array.from(options.highlighted ?? []);
  let selected: number | null = options.selected ?? null;
  wrapper.value = selected;
  wrapper.selection = new Int32Array(0);
  wrapper.lasso = null;
  Object.defineProperty(wrapper, "highlighted", { get: () => Int32Array.from(highlighted) });

  const axes = (transform: PixelTransform, dots: boolean, lines = false): SVGSVGElement => {
    const domainX: [number, number] = [
      (frame.left - transform.offsetX) / transform.scaleX,
      (frame.left + frame.width - transform.offsetX) / transform.scaleX,
    ];
    const domainY: [number, number] = [
      (frame.top + frame.height - transform.offsetY) / transform.scaleY,
      (frame.top - transform.offsetY) / transform.scaleY,
    ];
    const marks: Plot.Markish[] = [Plot.frame({ strokeOpacity: 0.2 })];
    if (dots) {
      marks.unshift(
        Plot.dot(
          Array.from({ length: n }, (_, p) => p),
          {
            x: (p: number) => grid.x[p],
            y: (p: number) => grid.y[p],
            fill: colors.css,
            r,
            fillOpacity: defaults.opacity,
          },
        ),
      );
    }
    if (lines && paths.length) {
      // Static figures draw the paths as SVG lines under the points (or under their PNG).
      const vertices: [number, number][] = [];
      paths.forEach((path, k) => {
        for (let j = 0; j < path.length; j++) vertices.push([k, path[j]]);
      });
      marks.unshift(
        Plot.line(vertices, {
          x: (v: [number, number]) => data.x[v[1]],
          y: (v: [number, number]) => data.y[v[1]],
          z: (v: [number, number]) => v[0],
          stroke: PATH_STYLE.stroke,
          strokeWidth: PATH_STYLE.width,
          strokeOpacity: PATH_STYLE.opacity,
        }),
      );
    }
    const svg = ariaMarkGroups(
      Plot.plot({
        document,
        width,
        height,
        marginTop: MARGIN.top,
        marginRight: MARGIN.right,
        marginBottom: MARGIN.bottom,
        marginLeft: MARGIN.left,
        style: { fontSize: FONT_SIZE, overflow: "visible" },
        grid: true,
        x: { domain: domainX, label: xLabel },
        y: { domain: domainY, label: yLabel },
        color: { type: "identity" },
        marks,
      }) as unknown as SVGSVGElement,
    );
    svg.setAttribute("aria-hidden", dots ? "false" : "true");
    return svg;
  };
  // Rings of the heavy (selected) and light (highlighted) kind as SVG circles.
  const ring = (
    px: number,
    py: number,
    radius: number,
    strokeWidth: number,
    stroke: string,
    className: string,
  ) => {
    const c = document.createElementNS(NS, "circle");
    c.setAttribute("cx", String(round2(px)));
    c.setAttribute("cy", String(round2(py)));
    c.setAttribute("r", String(radius));
    c.setAttribute("stroke", stroke);
    c.setAttribute("stroke-width", String(strokeWidth));
    c.setAttribute("class", className);
    return c;
  };

  const interactive = options.interactive === true && browserCanvas(document);
  if (!interactive) {
    // Static: SVG dots, or one PNG of the points inside the SVG frame above svgMaxPoints.
    const svgMax = options.svgMaxPoints ?? defaults.svgMaxPoints;
    const asSvg = n <= svgMax;
    const svg = axes(base, asSvg, true);
    if (!asSvg) {
      const w = Math.round(frame.width * RASTER_SCALE);
      const h = Math.round(frame.height * RASTER_SCALE);
      const px = new Float64Array(n);
      const py = new Float64Array(n);
      for (let p = 0; p < n; p++) {
        px[p] = (grid.x[p] * base.scaleX + base.offsetX - frame.left) * RASTER_SCALE;
        py[p] = (grid.y[p] * base.scaleY + base.offsetY - frame.top) * RASTER_SCALE;
      }
      const pixels = rasterizePoints({
        width: w,
        height: h,
        px,
        py,
        colors: colors.rgba,
        radius: r * RASTER_SCALE,
        opacity: defaults.opacity,
      });
      const image = document.createElementNS(NS, "image");
      image.setAttribute("class", "atlas-points-raster");
      image.setAttribute("x", String(frame.left));
      image.setAttribute("y", String(frame.top));
      image.setAttribute("width", String(frame.width));
      image.setAttribute("height", String(frame.height));
      image.setAttribute("preserveAspectRatio", "none");
      image.setAttribute("href", pngDataUrl(new Uint8Array(pixels.buffer), w, h, 4));
      const frameMark = svg.querySelector("[aria-label=frame]");
      svg.insertBefore(image, frameMark);
      captions.push(
        `${n.toLocaleString("en-US")} points drawn as one image (figures above ${svgMax.toLocaleString("en-US")} points are rasterised).`,
      );
    }
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", ariaLabel);
    area.appendChild(svg);
    const overlay = document.createElementNS(NS, "g");
    overlay.setAttribute("class", "atlas-overlay");
    overlay.setAttribute("fill", "none");
    svg.appendChild(overlay);
    const redraw = () => {
      overlay.replaceChildren();
      for (const i of highlighted) {
        const [px, py] = [
          data.x[i] * base.scaleX + base.offsetX,
          data.y[i] * base.scaleY + base.offsetY,
        ];
        if (Number.isFinite(px) && Number.isFinite(py))
          overlay.appendChild(ring(px, py, r + 3, 1.5, "#d62728", "atlas-highlight"));
      }
      if (
        selected !== null &&
        Number.isFinite(data.x[selected]) &&
        Number.isFinite(data.y[selected])
      )
        overlay.appendChild(
          ring(
            data.x[selected] * base.scaleX + base.offsetX,
            data.y[selected] * base.scaleY + base.offsetY,
            r + 5,
            2.5,
            "currentColor",
            "atlas-selected",
          ),
        );
    };
    redraw();
    appendCaption(document, figure, captions);
    Object.defineProperty(wrapper, "renderer", { value: asSvg ? "svg" : "png" });
    Object.defineProperty(wrapper, "focused", { get: () => null });
    wrapper.highlight = (indices) => {
      highlighted = Array.from(indices);
      redraw();
    };
    wrapper.select = (i) => {
      selected = i;
      wrapper.value = i;
      redraw();
    };
    wrapper.selectPolygon = (polygon) => {
      wrapper.lasso = Float64Array.from(polygon);
      wrapper.selection = samplesAt(grid.insidePolygon(polygon), samples);
      return wrapper.selection;
    };
    wrapper.pick = (px, py) => {
      const p = grid.nearest(
        (px - base.offsetX) / base.scaleX,
        (py - base.offsetY) / base.scaleY,
        pixelScale(base),
        HOVER_RADIUS_PX,
      );
      return p < 0 ? null : samples[p];
    };
    wrapper.locate = (i) => ({
      x: data.x[i] * base.scaleX + base.offsetX,
      y: data.y[i] * base.scaleY + base.offsetY,
    });
    wrapper.domain = () => ({ x: [x0, x1], y: [y0, y1] });
    wrapper.zoomTo = () => {};
    wrapper.resetZoom = () => {};
    wrapper.destroy = () => {};
    return wrapper;
  }

  // ---- Interactive figure: a fixed-size area, the canvas and overlay placed over its frame ----
  Object.assign(area.style, { width: `${width}px`, height: `${height}px` });
  const view = document.defaultView!;
  const dpr = view.devicePixelRatio || 1;
  let axesSvg = axes(base, false);
  area.appendChild(axesSvg);
  let canvas = document.createElement("canvas");
  const placeCanvas = (c: HTMLCanvasElement) => {
    c.width = Math.round(frame.width * dpr);
    c.height = Math.round(frame.height * dpr);
    c.className = "atlas-points";
    Object.assign(c.style, {
      position: "absolute",
      left: `${frame.left}px`,
      top: `${frame.top}px`,
      width: `${frame.width}px`,
      height: `${frame.height}px`,
      pointerEvents: "none",
    });
  };
  placeCanvas(canvas);
  // Paths on a 2-D canvas of their own under the points (redrawn with the points).
  const pathCanvas = paths.length ? document.createElement("canvas") : null;
  if (pathCanvas) {
    placeCanvas(pathCanvas);
    pathCanvas.className = "atlas-paths";
    area.appendChild(pathCanvas);
  }
  area.appendChild(canvas);
  const wanted = options.renderer ?? defaults.renderer;
  let gl: PointRenderer | null = wanted === "raster" ? null : PointRenderer.create(canvas);
  if (!gl && wanted !== "raster") {
    // A canvas that tried WebGL cannot give a 2-D context: start the raster fallback on a fresh one.
    const fresh = document.createElement("canvas");
    placeCanvas(fresh);
    area.replaceChild(fresh, canvas);
    canvas = fresh;
  }
  if (!gl && wanted === "webgl")
    throw new HiddenAtlasError(
      "E_PARAM",
      'scatter: renderer "webgl" was asked for but this browser has no WebGL2 (expected "auto" or "raster")',
    );
  const lassoStyle: RingStyle = { ...LASSO_RING, radius: r + 1.5 };
  const highlightStyle: RingStyle = { ...HIGHLIGHT_RING, radius: r + 3 };
  if (gl) {
    gl.setPoints(grid.x, grid.y, colors.rgba);
    gl.setRings("lasso", [], lassoStyle);
    gl.setRings("highlight", positionsOf(highlighted, positionOfSample), highlightStyle);
  }
  Object.defineProperty(wrapper, "renderer", { get: () => (gl ? "webgl" : "raster") });

  const overlay = document.createElementNS(NS, "svg") as SVGSVGElement;
  overlay.setAttribute("class", "atlas-overlay");
  overlay.setAttribute("width", String(width));
  overlay.setAttribute("height", String(height));
  overlay.setAttribute("fill", "none");
  Object.assign(overlay.style, {
    position: "absolute",
    left: "0",
    top: "0",
    overflow: "hidden",
    touchAction: "none",
    cursor: "crosshair",
  });
  // Pointer input is taken over the frame only (the axes stay inert).
  const hit = document.createElementNS(NS, "rect");
  for (const [k, v] of Object.entries({
    x: frame.left,
    y: frame.top,
    width: frame.width,
    height: frame.height,
  }))
    hit.setAttribute(k, String(v));
  hit.setAttribute("fill", "transparent");
  hit.setAttribute("pointer-events", "all");
  const marks = document.createElementNS(NS, "g");
  marks.setAttribute("pointer-events", "none");
  const clip = document.createElementNS(NS, "svg");
  for (const [k, v] of Object.entries({
    x: frame.left,
    y: frame.top,
    width: frame.width,
    height: frame.height,
    viewBox: `${frame.left} ${frame.top} ${frame.width} ${frame.height}`,
  }))
    clip.setAttribute(k, String(v));
  clip.appendChild(marks);
  const lassoPath = document.createElementNS(NS, "path");
  lassoPath.setAttribute("class", "atlas-lasso");
  lassoPath.setAttribute("stroke", "currentColor");
  lassoPath.setAttribute("stroke-dasharray", "4 3");
  lassoPath.setAttribute("fill", "rgba(66, 105, 208, 0.08)");
  lassoPath.setAttribute("pointer-events", "none");
  overlay.append(hit, clip, lassoPath);
  area.appendChild(overlay);

  area.tabIndex = 0;
  area.setAttribute("role", "application");
  area.setAttribute("aria-roledescription", "scatter plot");
  area.setAttribute(
    "aria-label",
    `${ariaLabel}. Arrow keys move between points, Enter selects, + and − zoom, 0 resets the zoom${options.lasso === false ? "" : ", shift-drag draws a lasso, Escape clears it"}.`,
  );
  area.style.outlineOffset = "2px";
  const live = document.createElement("div");
  live.setAttribute("aria-live", "polite");
  live.className = "atlas-live";
  Object.assign(live.style, {
    position: "absolute",
    width: "1px",
    height: "1px",
    overflow: "hidden",
    clip: "rect(0 0 0 0)",
    whiteSpace: "nowrap",
  });
  wrapper.appendChild(live);

  const tools = document.createElement("div");
  tools.className = "atlas-scatter-tools";
  Object.assign(tools.style, {
    display: "flex",
    gap: "6px",
    alignItems: "center",
    font: `${FONT_SIZE} var(--sans-serif, system-ui)`,
    margin: "4px 0",
  });
  const button = (label: string, title: string) => {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.title = title;
    tools.appendChild(b);
    return b;
  };
  let lassoMode = false;
  const lassoButton =
    options.lasso === false
      ? null
      : button("Lasso", "Draw around points to select them (or shift-drag)");
  lassoButton?.setAttribute("aria-pressed", "false");
  const resetButton = button("Reset zoom", "Show all points (key 0)");
  const hint = document.createElement("span");
  hint.textContent = `Wheel or +/− to zoom, drag to pan${options.lasso === false ? "" : ", shift-drag to lasso"}; Tab then arrow keys to move between points.`;
  hint.style.opacity = "0.7";
  tools.appendChild(hint);
  figure.appendChild(tools);
  appendCaption(document, figure, captions);

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
    font: `${FONT_SIZE} var(--sans-serif, system-ui)`,
    boxShadow: "0 1px 4px rgba(0,0,0,.15)",
    zIndex: "10",
    whiteSpace: "nowrap",
  });
  area.appendChild(tip);

  const panel = selectionPanel({
    document,
    columns: exportColumns(options, data, colors),
    exportName: options.exportName ?? defaults.exportName,
    onClear: () => setSelection(new Int32Array(0)),
  });
  wrapper.appendChild(panel.element);

  // ---- State, transforms and drawing ----
  let zoomTransform: ZoomTransform = zoomIdentity;
  let hovered: number | null = null;
  let focused: number | null = null;
  let lassoPositions: Int32Array = new Int32Array(0);
  let destroyed = false;
  const current = (): PixelTransform => ({
    scaleX: zoomTransform.k * base.scaleX,
    offsetX: zoomTransform.k * base.offsetX + zoomTransform.x,
    scaleY: zoomTransform.k * base.scaleY,
    offsetY: zoomTransform.k * base.offsetY + zoomTransform.y,
  });
  const toScreen = (i: number, t = current()) => ({
    x: data.x[i] * t.scaleX + t.offsetX,
    y: data.y[i] * t.scaleY + t.offsetY,
  });
  const toData = (px: number, py: number, t = current()) => ({
    x: (px - t.offsetX) / t.scaleX,
    y: (py - t.offsetY) / t.scaleY,
  });

  const drawPaths = (inFrame: PixelTransform) => {
    const context = pathCanvas?.getContext("2d");
    if (!context) return;
    context.clearRect(0, 0, pathCanvas!.width, pathCanvas!.height);
    context.strokeStyle = PATH_STYLE.stroke;
    context.globalAlpha = PATH_STYLE.opacity;
    context.lineWidth = PATH_STYLE.width * dpr;
    context.beginPath();
    for (const path of paths) {
      for (let k = 0; k < path.length; k++) {
        const i = path[k];
        const px = (data.x[i] * inFrame.scaleX + inFrame.offsetX) * dpr;
        const py = (data.y[i] * inFrame.scaleY + inFrame.offsetY) * dpr;
        if (k === 0) context.moveTo(px, py);
        else context.lineTo(px, py);
      }
    }
    context.stroke();
  };
  const drawPoints = (t: PixelTransform) => {
    const inFrame: PixelTransform = {
      scaleX: t.scaleX,
      offsetX: t.offsetX - frame.left,
      scaleY: t.scaleY,
      offsetY: t.offsetY - frame.top,
    };
    drawPaths(inFrame);
    const baseOpacity = lassoPositions.length > 0 ? UNSELECTED_OPACITY : defaults.opacity;
    if (gl) {
      gl.draw(inFrame, frame.width, frame.height, r, defaults.opacity, baseOpacity);
      return;
    }
    const context = canvas.getContext("2d")!;
    const px = new Float64Array(n);
    const py = new Float64Array(n);
    for (let p = 0; p < n; p++) {
      px[p] = (grid.x[p] * inFrame.scaleX + inFrame.offsetX) * dpr;
      py[p] = (grid.y[p] * inFrame.scaleY + inFrame.offsetY) * dpr;
    }
    const pixels = rasterizePoints({
      width: canvas.width,
      height: canvas.height,
      px,
      py,
      colors: colors.rgba,
      radius: r * dpr,
      opacity: baseOpacity,
    });
    context.putImageData(
      new ImageData(
        pixels as unknown as Uint8ClampedArray<ArrayBuffer>,
        canvas.width,
        canvas.height,
      ),
      0,
      0,
    );
    if (lassoPositions.length > 0) {
      // The selection again at full opacity, composited over the faded points.
      const m = lassoPositions.length;
      const sx = new Float64Array(m);
      const sy = new Float64Array(m);
      const sc = new Uint8Array(4 * m);
      for (let k = 0; k < m; k++) {
        const p = lassoPositions[k];
        sx[k] = px[p];
        sy[k] = py[p];
        sc.set(colors.rgba.subarray(4 * p, 4 * p + 4), 4 * k);
      }
      const layer = rasterizePoints({
        width: canvas.width,
        height: canvas.height,
        px: sx,
        py: sy,
        colors: sc,
        radius: r * dpr,
        opacity: defaults.opacity,
      });
      const scratch = document.createElement("canvas");
      scratch.width = canvas.width;
      scratch.height = canvas.height;
      scratch
        .getContext("2d")!
        .putImageData(
          new ImageData(
            layer as unknown as Uint8ClampedArray<ArrayBuffer>,
            canvas.width,
            canvas.height,
          ),
          0,
          0,
        );
      context.drawImage(scratch, 0, 0);
    }
    const rings = (positions: ArrayLike<number>, style: RingStyle, css: string) => {
      context.strokeStyle = css;
      context.lineWidth = style.lineWidth * dpr;
      context.beginPath();
      for (let k = 0; k < positions.length; k++) {
        const p = positions[k];
        context.moveTo(px[p] + (style.radius - style.lineWidth / 2) * dpr, py[p]);
        context.arc(px[p], py[p], (style.radius - style.lineWidth / 2) * dpr, 0, 2 * Math.PI);
      }
      context.stroke();
    };
    rings(positionsOf(highlighted, positionOfSample), highlightStyle, "#d62728");
  };
  const drawMarks = (t: PixelTransform) => {
    marks.replaceChildren();
    if (selected !== null && positionOfSample(selected) >= 0) {
      const s = toScreen(selected, t);
      marks.appendChild(ring(s.x, s.y, r + 5, 2.5, "currentColor", "atlas-selected"));
    }
    if (hovered !== null) {
      const s = toScreen(hovered, t);
      marks.appendChild(ring(s.x, s.y, r + 2.5, 1.5, "currentColor", "atlas-hovered"));
    }
    if (focused !== null) {
      const s = toScreen(focused, t);
      const c = ring(s.x, s.y, r + 8, 2, "#4269d0", "atlas-focused");
      c.setAttribute("stroke-dasharray", "3 2");
      marks.appendChild(c);
    }
  };
  let axesDirty = false;
  let frameRequested = false;
  const render = () => {
    const t = current();
    drawPoints(t);
    drawMarks(t);
    if (axesDirty) {
      axesDirty = false;
      const next = axes(t, false);
      area.replaceChild(next, axesSvg);
      axesSvg = next;
    }
  };
  const schedule = () => {
    if (frameRequested) return;
    frameRequested = true;
    view.requestAnimationFrame(() => {
      frameRequested = false;
      render();
    });
  };
  render();

  const onContextLost = (event: Event) => {
    // Too many WebGL contexts on a page, or a GPU reset: carry on with the software rasteriser.
    event.preventDefault();
    if (destroyed) return;
    gl = null;
    const fresh = document.createElement("canvas");
    placeCanvas(fresh);
    area.replaceChild(fresh, canvas);
    canvas = fresh;
    // A figure no longer on the page redraws when it is used again, not now.
    if (wrapper.isConnected) schedule();
  };
  canvas.addEventListener("webglcontextlost", onContextLost);

  // ---- Tooltip, hover, click ----
  const localPoint = (event: MouseEvent) => {
    const rect = area.getBoundingClientRect();
    const factor = rect.width > 0 ? width / rect.width : 1;
    return { x: (event.clientX - rect.left) * factor, y: (event.clientY - rect.top) * factor };
  };
  const pick = (px: number, py: number): number | null => {
    const t = current();
    if (
      px < frame.left ||
      px > frame.left + frame.width ||
      py < frame.top ||
      py > frame.top + frame.height
    )
      return null;
    const q = toData(px, py, t);
    const p = grid.nearest(q.x, q.y, pixelScale(t), HOVER_RADIUS_PX);
    return p < 0 ? null : samples[p];
  };
  const describe = (i: number) =>
    options.tooltip?.(i) ?? {
      text: `#${i} · ${formatCoordinate(data.x[i])}, ${formatCoordinate(data.y[i])}${options.color ? ` · ${options.color.title} ${colors.valueText(i)}` : ""}`,
    };
  const showTip = (i: number | null) => {
    if (i === null) {
      tip.style.display = "none";
      return;
    }
    const content = describe(i);
    tip.replaceChildren();
    if (content.image) {
      const img = document.createElement("img");
      img.src = content.image;
      img.width = 56;
      img.height = 56;
      img.alt = `input of sample ${i}`;
      img.style.imageRendering = "pixelated";
      img.style.display = "block";
      tip.appendChild(img);
    }
    tip.appendChild(textElement(document, "div", content.text));
    // The tooltip lives in the plot area, so placing it reads no layout (hover stays cheap);
    // in the right half of the frame it opens to the left of the point.
    const s = toScreen(i);
    const leftward = s.x > frame.left + frame.width / 2;
    tip.style.left = `${leftward ? s.x - 12 : s.x + 12}px`;
    tip.style.top = `${s.y + 12}px`;
    tip.style.transform = leftward ? "translateX(-100%)" : "";
    tip.style.display = "block";
    tip.dataset.sample = String(i);
  };
  const setHovered = (i: number | null) => {
    if (i === hovered) return;
    hovered = i;
    showTip(i);
    drawMarks(current());
  };

  const selectAndAnnounce = (i: number) => {
    wrapper.select(i);
    wrapper.dispatchEvent(new Event("input", { bubbles: true }));
  };

  // ---- Zoom and pan (d3-zoom; shift-drag and lasso mode are left to the lasso) ----
  const zoomBehaviour: ZoomBehavior<SVGRectElement, unknown> = d3zoom<SVGRectElement, unknown>()
    .scaleExtent([0.5, 1e5])
    .filter((event: Event) => {
      if (event.type === "wheel") return true;
      const e = event as PointerEvent;
      return !e.shiftKey && !lassoMode && !e.button && !e.ctrlKey;
    })
    .on("zoom", (event: { transform: ZoomTransform }) => {
      zoomTransform = event.transform;
      axesDirty = true;
      if (hovered !== null) setHovered(null);
      schedule();
    });
  const hitSelection = d3select(hit as SVGRectElement);
  hitSelection.call(zoomBehaviour).on("dblclick.zoom", null);

  hit.addEventListener("pointermove", (event) => {
    if (lassoing || event.buttons) return; // no tooltips while panning
    const q = localPoint(event);
    setHovered(pick(q.x, q.y));
  });
  hit.addEventListener("pointerleave", () => {
    if (!lassoing) setHovered(null);
  });
  let suppressClick = false;
  hit.addEventListener("click", (event) => {
    if (suppressClick) {
      suppressClick = false;
      return;
    }
    const q = localPoint(event);
    const i = pick(q.x, q.y);
    if (i !== null) selectAndAnnounce(i);
  });

  // ---- Lasso ----
  let lassoing = false;
  let path: number[] = [];
  const setLassoMode = (on: boolean) => {
    lassoMode = on;
    lassoButton?.setAttribute("aria-pressed", String(on));
    overlay.style.cursor = on ? "crosshair" : "crosshair";
  };
  lassoButton?.addEventListener("click", () => setLassoMode(!lassoMode));
  if (options.lasso !== false) {
    hit.addEventListener(
      "pointerdown",
      (event) => {
        if (event.button !== 0 || !(event.shiftKey || lassoMode)) return;
        event.preventDefault();
        event.stopImmediatePropagation();
        lassoing = true;
        setHovered(null);
        hit.setPointerCapture?.(event.pointerId);
        const q = localPoint(event);
        path = [q.x, q.y];
        lassoPath.setAttribute("d", `M${q.x},${q.y}`);
      },
      { capture: true },
    );
    hit.addEventListener("pointermove", (event) => {
      if (!lassoing) return;
      // Browsers deliver one pointermove per frame; the coalesced events keep the whole stroke.
      for (const e of event.getCoalescedEvents?.() ?? [event]) {
        const q = localPoint(e);
        const last = path.length - 2;
        if (Math.hypot(q.x - path[last], q.y - path[last + 1]) >= LASSO_MIN_STEP_PX)
          path.push(q.x, q.y);
      }
      lassoPath.setAttribute("d", pathData(path));
    });
    const finish = (event: PointerEvent) => {
      if (!lassoing) return;
      lassoing = false;
      hit.releasePointerCapture?.(event.pointerId);
      lassoPath.removeAttribute("d");
      if (path.length < 6) return;
      suppressClick = true;
      const t = current();
      const polygon = new Float64Array(path.length);
      for (let k = 0; k < path.length; k += 2) {
        const q = toData(path[k], path[k + 1], t);
        polygon[k] = q.x;
        polygon[k + 1] = q.y;
      }
      wrapper.selectPolygon(polygon);
      setLassoMode(false);
    };
    hit.addEventListener("pointerup", finish);
    hit.addEventListener("pointercancel", finish);
  }

  const setSelection = (positions: Int32Array) => {
    lassoPositions = positions;
    wrapper.selection = samplesAt(positions, samples);
    gl?.setRings("lasso", positions, lassoStyle);
    panel.show(wrapper.selection);
    schedule();
    wrapper.dispatchEvent(new Event("selection", { bubbles: true }));
  };
  // ---- Keyboard ----
  const announce = (i: number) => {
    live.textContent = `Sample ${describe(i).text}`;
  };
  const setFocused = (i: number | null) => {
    focused = i;
    if (i !== null) {
      // Keep the focused point in view: pan (not zoom) so that it sits at the frame's centre.
      const s = toScreen(i);
      if (
        s.x < frame.left ||
        s.x > frame.left + frame.width ||
        s.y < frame.top ||
        s.y > frame.top + frame.height
      ) {
        const k = zoomTransform.k;
        const bx = data.x[i] * base.scaleX + base.offsetX;
        const by = data.y[i] * base.scaleY + base.offsetY;
        zoomBehaviour.transform(
          hitSelection,
          zoomIdentity
            .translate(frame.left + frame.width / 2 - k * bx, frame.top + frame.height / 2 - k * by)
            .scale(k),
        );
      }
    }
    drawMarks(current());
    if (i !== null) {
      showTip(i);
      announce(i);
    }
  };
  const ARROWS: Record<string, [number, number]> = {
    ArrowRight: [1, 0],
    ArrowLeft: [-1, 0],
    ArrowUp: [0, -1],
    ArrowDown: [0, 1],
  };
  area.addEventListener("focus", () => {
    if (focused !== null || n === 0) return;
    const start = selected !== null && positionOfSample(selected) >= 0 ? selected : centreSample();
    setFocused(start);
  });
  area.addEventListener("blur", () => {
    tip.style.display = "none";
  });
  const centreSample = (): number => {
    const t = current();
    const q = toData(frame.left + frame.width / 2, frame.top + frame.height / 2, t);
    const p = grid.nearest(q.x, q.y, pixelScale(t), Infinity);
    return samples[p];
  };
  area.addEventListener("keydown", (event) => {
    const key = event.key;
    if (key in ARROWS && n > 0) {
      event.preventDefault();
      const from = focused ?? centreSample();
      const [dx, dy] = ARROWS[key];
      const p = grid.nearestInDirection(positionOfSample(from), dx, dy, pixelScale(current()));
      if (p >= 0) setFocused(samples[p]);
    } else if ((key === "Enter" || key === " ") && focused !== null) {
      event.preventDefault();
      selectAndAnnounce(focused);
    } else if (key === "Escape") {
      if (wrapper.selection.length) setSelection(new Int32Array(0));
      setLassoMode(false);
      tip.style.display = "none";
    } else if (key === "+" || key === "=") {
      event.preventDefault();
      zoomBy(2);
    } else if (key === "-") {
      event.preventDefault();
      zoomBy(0.5);
    } else if (key === "0") {
      event.preventDefault();
      wrapper.resetZoom();
    }
  });
  const zoomBy = (factor: number) => {
    const centre: [number, number] =
      focused !== null
        ? [toScreen(focused).x, toScreen(focused).y]
        : [frame.left + frame.width / 2, frame.top + frame.height / 2];
    zoomBehaviour.scaleBy(hitSelection, factor, centre);
  };
  resetButton.addEventListener("click", () => wrapper.resetZoom());

  // ---- The element's API ----
  Object.defineProperty(wrapper, "focused", { get: () => focused });
  wrapper.highlight = (indices) => {
    highlighted = Array.from(indices);
    gl?.setRings("highlight", positionsOf(highlighted, positionOfSample), highlightStyle);
    schedule();
  };
  wrapper.select = (i) => {
    selected = i;
    wrapper.value = i;
    drawMarks(current());
  };
  wrapper.selectPolygon = (polygon) => {
    wrapper.lasso = Float64Array.from(polygon);
    setSelection(grid.insidePolygon(polygon));
    return wrapper.selection;
  };
  wrapper.pick = pick;
  wrapper.locate = (i) => toScreen(i);
  wrapper.domain = () => {
    const t = current();
    const a = toData(frame.left, frame.top + frame.height, t);
    const b = toData(frame.left + frame.width, frame.top, t);
    return { x: [a.x, b.x], y: [a.y, b.y] };
  };
  wrapper.zoomTo = (k, centre) => {
    const c = centre ?? [(x0 + x1) / 2, (y0 + y1) / 2];
    const bx = c[0] * base.scaleX + base.offsetX;
    const by = c[1] * base.scaleY + base.offsetY;
    const cx = frame.left + frame.width / 2;
    const cy = frame.top + frame.height / 2;
    zoomBehaviour.transform(
      hitSelection,
      zoomIdentity.translate(cx - k * bx, cy - k * by).scale(k),
    );
  };
  wrapper.resetZoom = () => zoomBehaviour.transform(hitSelection, zoomIdentity);
  wrapper.destroy = () => {
    destroyed = true;
    gl?.destroy();
  };
  return wrapper;
}

/** Options checked before anything is drawn, each against its range. */
function checkOptions(options: PointScatterOptions): void {
  const minWidth = MARGIN.left + MARGIN.right + 1;
  const minHeight = MARGIN.top + MARGIN.bottom + 1;
  const check = (name: string, value: unknown, ok: boolean, expected: string) => {
    if (value !== undefined && !ok)
      throw new HiddenAtlasError(
        "E_PARAM",
        `scatter: invalid ${name}: ${String(value)} (expected ${expected})`,
      );
  };
  check(
    "width",
    options.width,
    Number.isFinite(options.width) && options.width! >= minWidth,
    `a number of pixels ≥ ${minWidth}`,
  );
  check(
    "height",
    options.height,
    Number.isFinite(options.height) && options.height! >= minHeight,
    `a number of pixels ≥ ${minHeight}`,
  );
  check(
    "r",
    options.r,
    Number.isFinite(options.r) && options.r! > 0 && options.r! <= 50,
    "a radius in pixels in (0, 50]",
  );
  check(
    "svgMaxPoints",
    options.svgMaxPoints,
    Number.isInteger(options.svgMaxPoints) && options.svgMaxPoints! >= 0,
    "an integer ≥ 0",
  );
  check(
    "renderer",
    options.renderer,
    ["auto", "webgl", "raster"].includes(options.renderer as string),
    '"auto", "webgl" or "raster"',
  );
}

/** Validated paths: each an array of samples (integers in [0, total)). */
function checkPaths(paths: ArrayLike<number>[] | undefined, total: number): ArrayLike<number>[] {
  if (paths === undefined) return [];
  if (!Array.isArray(paths))
    throw new HiddenAtlasError(
      "E_PARAM",
      "scatter: invalid paths (expected an array of arrays of samples)",
    );
  for (let k = 0; k < paths.length; k++) {
    const path = paths[k];
    if (!path || typeof path.length !== "number")
      throw new HiddenAtlasError("E_PARAM", `scatter: paths[${k}] is not an array of samples`);
    for (let j = 0; j < path.length; j++) {
      const i = path[j];
      if (!Number.isInteger(i) || i < 0 || i >= total) {
        throw new HiddenAtlasError(
          "E_PARAM",
          `scatter: paths[${k}][${j}] is ${i} (expected an integer sample in [0, ${total}))`,
        );
      }
    }
  }
  return paths;
}

/** Validated drawn samples: `index` (integers in [0, total)) or 0 … total − 1. */
function drawnSamples(index: ArrayLike<number> | undefined, total: number): Int32Array {
  if (!index) {
    const all = new Int32Array(total);
    for (let i = 0; i < total; i++) all[i] = i;
    return all;
  }
  const out = new Int32Array(index.length);
  for (let k = 0; k < index.length; k++) {
    const i = index[k];
    if (!Number.isInteger(i) || i < 0 || i >= total) {
      throw new HiddenAtlasError(
        "E_PARAM",
        `scatter: index[${k}] is ${i} (expected an integer sample in [0, ${total}))`,
      );
    }
    out[k] = i;
  }
  return out;
}

/** Extent of the values padded by DOMAIN_PAD of the span on each side (±1 around a single value). */
function paddedExtent(values: Float64Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (values.length === 0) return [0, 1];
  if (hi === lo) return [lo - 1, hi + 1];
  const pad = (hi - lo) * DOMAIN_PAD;
  return [lo - pad, hi + pad];
}

function pixelScale(t: PixelTransform) {
  return { pixelsPerUnitX: Math.abs(t.scaleX), pixelsPerUnitY: Math.abs(t.scaleY) };
}

function samplesAt(positions: Int32Array, samples: Int32Array): Int32Array {
  const out = new Int32Array(positions.length);
  for (let k = 0; k < positions.length; k++) out[k] = samples[positions[k]];
  return out.sort();
}

function positionsOf(indices: number[], positionOfSample: (i: number) => number): Int32Array {
  return Int32Array.from(indices.map(positionOfSample).filter((p) => p >= 0));
}

/** A browser document that can draw (WebGL2 or a 2-D canvas with putImageData), not jsdom. */
function browserCanvas(document: Document): boolean {
  const view = document.defaultView as (Window & typeof globalThis) | null;
  if (!view) return false;
  return (
    typeof view.WebGL2RenderingContext === "function" ||
    (typeof view.ImageData === "function" && typeof view.CanvasRenderingContext2D === "function")
  );
}

/** The exported columns: sample, x, y, the colour column, then the caller's. */
function exportColumns(
  options: PointScatterOptions,
  data: ScatterData,
  colors: Coloring,
): Record<string, (i: number) => string | number> {
  const columns: Record<string, (i: number) => string | number> = {
    sample: (i) => i,
    [options.xLabel ?? defaults.xLabel]: (i) => data.x[i],
    [options.yLabel ?? defaults.yLabel]: (i) => data.y[i],
  };
  if (options.color) columns[options.color.title] = (i) => colors.valueText(i);
  return { ...columns, ...(options.exportColumns ?? {}) };
}

function textElement(document: Document, tag: string, text: string): HTMLElement {
  const el = document.createElement(tag);
  el.textContent = text;
  return el;
}

function appendCaption(document: Document, figure: HTMLElement, lines: string[]): void {
  if (lines.length === 0) return;
  const caption = textElement(document, "figcaption", lines.join(" "));
  caption.className = "atlas-scatter-caption";
  caption.style.fontSize = FONT_SIZE;
  figure.appendChild(caption);
}

/** SVG path data of a closed polygon through (x0, y0, x1, y1, …). */
function pathData(xy: number[]): string {
  let d = "";
  for (let k = 0; k < xy.length; k += 2)
    d += `${k === 0 ? "M" : "L"}${round2(xy[k])},${round2(xy[k + 1])}`;
  return d + "Z";
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
