/**
 * A representative cycle of an H1 bar drawn on its layer's point cloud: the cloud on its top two
 * principal components (pointScatter), the loop's edges over it as one closed path, the loop's
 * inputs in walk order with their thumbnails, and buttons that export the loop's rows and edges
 * as CSV or JSON. Every string from data (layer names, sample descriptions) is set as text.
 *
 * A loop drawn on two principal components can cross itself or look short: the edges are those
 * of the layer's own space (each no longer than the bar's birth there), the plane only places
 * the points.
 *
 * @example
 *   const el = cycleOverlay(layer.cycles.plane, layer.cycles.loops[bar], {rowOf: (i) => result.sample[i], thumbnail: (row) => thumbs?.url(row)});
 */
import { HiddenAtlasError } from "../core/errors.ts";
import type { Matrix } from "../core/matrix.ts";
import { downloadButton } from "./download.ts";
import { withDefaults } from "./options.ts";
import { pointScatter } from "./point-scatter.ts";
import { count } from "./text.ts";

export interface CycleOverlayOptions {
  /** Title above the figure. Defaults to none. */
  title?: string;
  /** Width of the scatter in px. Defaults to 420. */
  width?: number;
  /** Bundle row of cloud row i (the analysis' `sample`). Defaults to i itself. */
  rowOf?: (i: number) => number;
  /** Thumbnail (an image URL) of bundle row `row`, or undefined. Defaults to none. */
  thumbnail?: (row: number) => string | undefined;
  /** One line of text on bundle row `row` (e.g. its label), shown under its thumbnail. Defaults to "#row". */
  describe?: (row: number) => string;
  /** Birth and death of the bar, for the caption and the export. Defaults to none. */
  bar?: { layer?: string; index?: number; birth: number; death: number };
  /** Axis labels. Default to "PC1" and "PC2". */
  xLabel?: string;
  yLabel?: string;
  /** Offer CSV and JSON exports (a static report has no use for them). Defaults to true. */
  exports?: boolean;
  /** File name of the exports, without extension. Defaults to "cycle". */
  exportName?: string;
  /** Thumbnails listed at most (every row is in the export). Defaults to 40. */
  maxThumbnails?: number;
  /** Document to build in (jsdom in Node). Defaults to the global document. */
  document?: Document;
}

export const defaults = {
  width: 420,
  xLabel: "PC1",
  yLabel: "PC2",
  exports: true,
  exportName: "cycle",
  maxThumbnails: 40,
};

/** Colour of the loop and its vertices (Observable's categorical red, as H1 in the barcode). */
const LOOP_COLOR = "#ff725c";
const NS = "http://www.w3.org/2000/svg";

/** One edge of the loop, as cloud rows. */
export interface CycleEdge {
  from: number;
  to: number;
}

/**
 * The loop's edges as cloud rows and, when they form one closed walk (the usual case), its
 * vertices in order with the first repeated at the end.
 */
export function cycleWalk(loop: Int32Array): { edges: CycleEdge[]; closed: number[] | null } {
  if (loop.length % 3 !== 0)
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `cycleOverlay: a cycle has rows of three integers [from, to, coefficient]; got ${loop.length} values`,
    );
  const edges: CycleEdge[] = [];
  for (let r = 0; r < loop.length / 3; r++) edges.push({ from: loop[3 * r], to: loop[3 * r + 1] });
  const chained =
    edges.length >= 3 &&
    edges.every((e, r) => loop[3 * r + 2] === 1 && (r === 0 || e.from === edges[r - 1].to)) &&
    edges[edges.length - 1].to === edges[0].from;
  return { edges, closed: chained ? [...edges.map((e) => e.from), edges[0].from] : null };
}

/** The loop's rows and edges in the exported shape: one row per edge, in walk order. */
export function cycleTable(
  loop: Int32Array,
  rowOf: (i: number) => number = (i) => i,
): { columns: string[]; rows: number[][] } {
  const { edges } = cycleWalk(loop);
  return {
    columns: ["step", "from row", "to row", "from point", "to point"],
    rows: edges.map((e, k) => [k, rowOf(e.from), rowOf(e.to), e.from, e.to]),
  };
}

/** RFC 4180 CSV of {@link cycleTable}. */
export function cycleCsv(loop: Int32Array, rowOf?: (i: number) => number): string {
  const t = cycleTable(loop, rowOf);
  return [t.columns.join(","), ...t.rows.map((r) => r.join(","))].join("\r\n") + "\r\n";
}

/** JSON of the loop: the bar, its bundle rows in walk order, and its edges as [from, to] bundle rows. */
export function cycleJson(
  loop: Int32Array,
  rowOf: (i: number) => number = (i) => i,
  bar?: CycleOverlayOptions["bar"],
): string {
  const { edges } = cycleWalk(loop);
  const rows = [...new Set(edges.flatMap((e) => [rowOf(e.from), rowOf(e.to)]))];
  return JSON.stringify({
    ...(bar && { layer: bar.layer, bar: bar.index, birth: bar.birth, death: bar.death }),
    rows,
    edges: edges.map((e) => [rowOf(e.from), rowOf(e.to)]),
  });
}

/**
 * The cycle `loop` (rows [from, to, coefficient] of `plane`'s rows, as persistentHomology's
 * `cycles` gives them) over the cloud `plane` (n × 2).
 */
export function cycleOverlay(
  plane: Matrix,
  loop: Int32Array,
  options: CycleOverlayOptions = {},
): HTMLElement {
  const o = withDefaults(defaults, options);
  const document = options.document ?? globalThis.document;
  if (plane.cols !== 2)
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `cycleOverlay: the plane has ${plane.cols} columns (expected 2)`,
    );
  const { edges, closed } = cycleWalk(loop);
  for (const e of edges) {
    for (const v of [e.from, e.to]) {
      if (!Number.isInteger(v) || v < 0 || v >= plane.rows)
        throw new HiddenAtlasError(
          "E_SHAPE_MISMATCH",
          `cycleOverlay: the cycle visits point ${v} but the plane has ${plane.rows} points`,
        );
    }
  }
  const rowOf = options.rowOf ?? ((i: number) => i);
  const describe = options.describe ?? ((row: number) => `#${row}`);
  const x = Float64Array.from({ length: plane.rows }, (_, i) => plane.data[2 * i]);
  const y = Float64Array.from({ length: plane.rows }, (_, i) => plane.data[2 * i + 1]);
  const vertices = [...new Set(edges.flatMap((e) => [e.from, e.to]))];
  const bar = options.bar;
  const barText = bar
    ? `H1 bar [${bar.birth.toPrecision(4)}, ${Number.isFinite(bar.death) ? bar.death.toPrecision(4) : "∞"})`
    : "H1 bar";
  const wrapper = document.createElement("div");
  wrapper.className = "atlas-cycle";
  const scatter = pointScatter(
    { x, y },
    {
      document,
      width: o.width,
      title: options.title,
      xLabel: o.xLabel,
      yLabel: o.yLabel,
      interactive: false,
      ariaLabel: `Representative cycle of the ${barText}: ${count(vertices.length, "input")} joined by ${count(edges.length, "edge")}${closed ? " into one closed loop" : ""}, drawn over ${count(plane.rows, "point")} of the layer on its first two principal components`,
    },
  );
  const overlay = scatter.querySelector("g.atlas-overlay");
  if (overlay) {
    const at = (i: number) => scatter.locate(i);
    const fmt = (v: number) => String(Math.round(v * 100) / 100);
    const d = closed
      ? `M${closed
          .slice(0, -1)
          .map((i) => `${fmt(at(i).x)},${fmt(at(i).y)}`)
          .join("L")}Z`
      : edges
          .map(
            (e) =>
              `M${fmt(at(e.from).x)},${fmt(at(e.from).y)}L${fmt(at(e.to).x)},${fmt(at(e.to).y)}`,
          )
          .join("");
    const path = document.createElementNS(NS, "path");
    path.setAttribute("class", "atlas-cycle-path");
    path.setAttribute("d", d);
    path.setAttribute("stroke", LOOP_COLOR);
    path.setAttribute("stroke-width", "2");
    path.setAttribute("stroke-linejoin", "round");
    path.setAttribute("fill", "none");
    path.setAttribute("data-closed", String(closed !== null));
    path.setAttribute("data-edges", String(edges.length));
    overlay.appendChild(path);
    for (const i of vertices) {
      const c = document.createElementNS(NS, "circle");
      c.setAttribute("class", "atlas-cycle-vertex");
      c.setAttribute("cx", fmt(at(i).x));
      c.setAttribute("cy", fmt(at(i).y));
      c.setAttribute("r", "4");
      c.setAttribute("fill", LOOP_COLOR);
      c.setAttribute("stroke", "white");
      const title = document.createElementNS(NS, "title");
      title.textContent = describe(rowOf(i));
      c.appendChild(title);
      overlay.appendChild(c);
    }
  }
  wrapper.appendChild(scatter);

  const caption = document.createElement("p");
  caption.className = "atlas-cycle-caption";
  caption.textContent = `${barText}${bar?.layer ? ` of ${bar.layer}` : ""}: ${count(vertices.length, "input")}, ${count(edges.length, "edge")}${closed ? ", one closed loop" : ""}. The edges are the layer's own (each at most the bar's birth long); the plane only places the points.`;
  caption.style.margin = "4px 0";
  wrapper.appendChild(caption);

  // The loop's inputs in walk order, with thumbnails where the bundle has images.
  const order = closed ? closed.slice(0, -1) : vertices;
  const list = document.createElement("ol");
  list.className = "atlas-cycle-rows";
  Object.assign(list.style, {
    display: "flex",
    flexWrap: "wrap",
    gap: "6px",
    listStyle: "none",
    padding: "0",
    margin: "4px 0",
  });
  list.setAttribute("aria-label", `The ${count(order.length, "input")} of the loop in walk order`);
  for (const i of order.slice(0, o.maxThumbnails)) {
    const row = rowOf(i);
    const item = document.createElement("li");
    Object.assign(item.style, {
      display: "flex",
      flexDirection: "column",
      alignItems: "center",
      font: "12px var(--sans-serif, system-ui)",
    });
    const url = options.thumbnail?.(row);
    if (url) {
      const img = document.createElement("img");
      img.src = url;
      // Decorative: the words beside it describe the input, and an alt repeating them would be
      // read twice (axe: image-redundant-alt).
      img.alt = "";
      img.width = 40;
      img.height = 40;
      img.style.imageRendering = "pixelated";
      item.appendChild(img);
    }
    const label = document.createElement("span");
    label.textContent = describe(row);
    item.appendChild(label);
    list.appendChild(item);
  }
  wrapper.appendChild(list);
  if (order.length > o.maxThumbnails) {
    const more = document.createElement("p");
    more.textContent = `… and ${order.length - o.maxThumbnails} more inputs (all in the export).`;
    wrapper.appendChild(more);
  }

  if (o.exports) {
    const actions = document.createElement("div");
    actions.className = "atlas-cycle-export";
    Object.assign(actions.style, {
      display: "flex",
      gap: "10px",
      alignItems: "center",
      font: "12px var(--sans-serif, system-ui)",
    });
    const exporter = (label: string, filename: string, type: string, write: () => string) =>
      downloadButton(label, filename, type, write, { container: actions, document });
    actions.append(
      exporter("Export cycle CSV", `${o.exportName}.csv`, "text/csv", () => cycleCsv(loop, rowOf)),
      exporter("Export cycle JSON", `${o.exportName}.json`, "application/json", () =>
        cycleJson(loop, rowOf, bar),
      ),
    );
    wrapper.appendChild(actions);
  }
  return wrapper;
}
