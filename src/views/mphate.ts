/**
 * Figures of the mphate analysis: the M-PHATE embedding of hidden units coloured by epoch, layer
 * or most-active class (optionally with each unit's trajectory), the grid of generalisation
 * runs, visualisation variance against memorisation error, and ARI at task switches.
 */
import * as Plot from "@observablehq/plot";
import type {
  ContinualStudy,
  DynamicsEmbedding,
  GeneralizationStudy,
  MphateColorBy,
} from "../analyses/mphate.ts";
import type { SampleColumn } from "../analyses/columns.ts";
import { classColors } from "./palette.ts";
import { ariaMarkGroups } from "./style.ts";
import { pointScatter, SVG_MAX_POINTS, type PointScatterElement } from "./point-scatter.ts";

export interface MphateScatterOptions {
  /** "epoch" (default, continuous), "layer" or "mostActive" (class, L1). */
  colorBy?: MphateColorBy;
  /** Draw each unit's path over the epochs. Default false. */
  trajectories?: boolean;
  /** Only units of these layers (names); default all. */
  layers?: string[];
  title?: string;
  /** Epoch axis name in the legend, e.g. "training step". Default "epoch". */
  epochLabel?: string;
  width?: number;
  height?: number;
  /** Dot radius in px. Default 1.8. */
  r?: number;
  /** Show the colour legend. Default true. */
  legend?: boolean;
  /**
   * Draw every point with pointScatter (WebGL2 in a browser): hover names the unit, its layer,
   * epoch and most-active class; click selects; lasso lists and exports units; zoom. Default
   * false: a Plot SVG figure, or pointScatter's static PNG figure above 20,000 points.
   */
  interactive?: boolean;
  document?: Document;
}

const defaults = {
  colorBy: "epoch" as MphateColorBy,
  trajectories: false,
  width: 520,
  height: 420,
  r: 1.8,
  legend: true,
  epochLabel: "epoch",
  interactive: false,
};

const AXIS_LABELS = { x: "M-PHATE 1 (relative units)", y: "M-PHATE 2 (relative units)" };

/**
 * How far the first checkpoint may stretch an axis beyond the other checkpoints' extent before
 * the frame leaves it out: units at initialisation can sit far from where training takes them,
 * and would otherwise squeeze the whole of training into a corner.
 */
export const FIRST_CHECKPOINT_STRETCH = 1.5;
/** Margin around the framed points, as a share of their extent. */
const FRAME_PAD = 0.04;

type Extent = [number, number];

function extentOf(values: number[]): Extent {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  return [lo, hi];
}

/**
 * The axes' domains: every point, unless the first checkpoint alone stretches an axis more than
 * FIRST_CHECKPOINT_STRETCH-fold; then the other checkpoints' extent (padded), and the first
 * checkpoint's points outside it are drawn on the frame's edge. Null: Plot's own domains.
 */
export function mphateFrame(
  points: number[],
  x: (q: number) => number,
  y: (q: number) => number,
  epoch: (q: number) => number,
): { x: Extent; y: Extent; outside: number[] } | null {
  if (points.length === 0) return null;
  const first = Math.min(...points.map(epoch));
  const rest = points.filter((q) => epoch(q) !== first);
  if (rest.length < 2) return null;
  const axes = [x, y].map((f) => {
    const all = extentOf(points.map(f));
    const [lo, hi] = extentOf(rest.map(f));
    const span = hi - lo;
    const pad = span > 0 ? FRAME_PAD * span : Math.max(1e-12, Math.abs(lo) * FRAME_PAD);
    return {
      stretched: span > 0 && all[1] - all[0] > FIRST_CHECKPOINT_STRETCH * span,
      frame: [lo - pad, hi + pad] as Extent,
    };
  });
  if (!axes.some((a) => a.stretched)) return null;
  const [fx, fy] = [axes[0].frame, axes[1].frame];
  const outside = points.filter(
    (q) => x(q) < fx[0] || x(q) > fx[1] || y(q) < fy[0] || y(q) > fy[1],
  );
  return { x: fx, y: fy, outside };
}

const clamp = (v: number, [lo, hi]: Extent) => Math.min(hi, Math.max(lo, v));

/**
 * The M-PHATE embedding (one dot per unit per epoch), each unit's path over the epochs when
 * `trajectories` is set. Interactive, or above 20,000 points, it is a pointScatter (same
 * positions, the colour as a legend, the paths under the points). In the static figure, when
 * the first checkpoint's units lie far from the rest (see mphateFrame), the frame holds the
 * rest; those units are drawn on its edge as open circles, and the caption says how many.
 */
export function mphateScatter(
  run: DynamicsEmbedding,
  options: MphateScatterOptions = {},
): HTMLElement | SVGSVGElement {
  const o = { ...defaults, ...options };
  const { embedding: Y } = run;
  const keep = o.layers?.length ? new Set(o.layers.map((l) => run.layerNames.indexOf(l))) : null;
  const points = Array.from({ length: Y.rows }, (_, q) => q).filter(
    (q) => !keep || keep.has(run.layer[q]),
  );
  if (o.interactive || points.length > SVG_MAX_POINTS) return mphatePointScatter(run, points, o);
  const rawX = (q: number) => Y.data[q * Y.cols];
  const rawY = (q: number) => Y.data[q * Y.cols + 1];
  const frame = mphateFrame(points, rawX, rawY, (q) => run.epoch[q]);
  const x = frame ? (q: number) => clamp(rawX(q), frame.x) : rawX;
  const y = frame ? (q: number) => clamp(rawY(q), frame.y) : rawY;
  const outside = new Set(frame?.outside ?? []);
  const inside = frame ? points.filter((q) => !outside.has(q)) : points;
  const colorOf: Record<MphateColorBy, (q: number) => number | string> = {
    epoch: (q) => run.epoch[q],
    layer: (q) => run.layerNames[run.layer[q]],
    mostActive: (q) => (run.mostActive[q] >= 0 ? run.classNames[run.mostActive[q]] : "—"),
  };
  // Units silent on every trace image have no most-active class: "—", grey (not dropped).
  const silent = o.colorBy === "mostActive" && points.some((q) => run.mostActive[q] < 0);
  const color =
    o.colorBy === "epoch"
      ? {
          type: "linear" as const,
          scheme: "viridis" as Plot.ColorScheme,
          legend: o.legend,
          label: o.epochLabel,
        }
      : o.colorBy === "layer"
        ? {
            type: "categorical" as const,
            domain: run.layerNames,
            range: ["#4269d0", "#ff725c", "#3ca951", "#a463f2", "#efb118", "#9c6b4e"],
            legend: o.legend,
            label: "layer",
          }
        : silent
          ? {
              type: "categorical" as const,
              domain: [...run.classNames, "—"],
              range: [...classColors(run.classNames.length), "#999999"],
              legend: o.legend,
              label: "most-active class (L1)",
            }
          : {
              type: "categorical" as const,
              domain: run.classNames,
              range: classColors(run.classNames.length),
              legend: o.legend,
              label: "most-active class (L1)",
            };
  const unitKey = (q: number) => `${run.layer[q]}:${run.unit[q]}`;
  return ariaMarkGroups(
    Plot.plot({
      document: o.document ?? globalThis.document,
      width: o.width,
      height: o.height,
      title: o.title,
      inset: 8,
      x: { label: AXIS_LABELS.x, ticks: 4, ...(frame ? { domain: frame.x } : {}) },
      y: { label: AXIS_LABELS.y, ticks: 4, ...(frame ? { domain: frame.y } : {}) },
      color,
      caption:
        frame && outside.size
          ? `${outside.size} unit${outside.size === 1 ? "" : "s"} of ${o.epochLabel} ${run.epoch[frame.outside[0]]} lie beyond the frame (it would otherwise squeeze the rest of training into a corner): drawn on its edge as open circles.`
          : undefined,
      marks: [
        ...(o.trajectories
          ? [
              Plot.line(points, {
                x,
                y,
                z: unitKey,
                stroke: "#bbb",
                strokeWidth: 0.4,
                strokeOpacity: 0.6,
              }),
            ]
          : []),
        Plot.dot(inside, { x, y, fill: colorOf[o.colorBy], r: o.r, fillOpacity: 0.85 }),
        ...(outside.size
          ? [
              Plot.dot([...outside], {
                x,
                y,
                stroke: colorOf[o.colorBy],
                r: o.r + 1.2,
                strokeWidth: 1,
              }),
            ]
          : []),
      ],
    }),
  );
}

/** The colour of each point as a column: epoch (continuous), layer or most-active class (categorical). */
export function mphateColor(
  run: DynamicsEmbedding,
  colorBy: MphateColorBy,
  epochLabel = "epoch",
): SampleColumn {
  if (colorBy === "epoch") return { title: epochLabel, type: "continuous", values: run.epoch };
  if (colorBy === "layer")
    return {
      title: "layer",
      type: "categorical",
      values: Float64Array.from(run.layer),
      classNames: run.layerNames,
    };
  // A unit silent on every trace image has no most-active class (−1): grey, and counted.
  return {
    title: "most-active class (L1)",
    type: "categorical",
    values: Float64Array.from(run.mostActive, (c) => (c >= 0 ? c : NaN)),
    classNames: run.classNames,
  };
}

/** Each unit's points in epoch order (the embedding is epoch-major), for the trajectories. */
function unitPaths(run: DynamicsEmbedding, points: number[]): number[][] {
  const byUnit = new Map<string, number[]>();
  for (const q of points) {
    const key = `${run.layer[q]}:${run.unit[q]}`;
    const path = byUnit.get(key);
    if (path) path.push(q);
    else byUnit.set(key, [q]);
  }
  return [...byUnit.values()];
}

function mphatePointScatter(
  run: DynamicsEmbedding,
  points: number[],
  o: typeof defaults & MphateScatterOptions,
): PointScatterElement {
  const Y = run.embedding;
  const x = new Float64Array(Y.rows);
  const y = new Float64Array(Y.rows);
  for (let q = 0; q < Y.rows; q++) {
    x[q] = Y.data[q * Y.cols];
    y[q] = Y.data[q * Y.cols + 1];
  }
  const describe = (q: number) =>
    `${run.layerNames[run.layer[q]]} unit ${run.unit[q]} · ${o.epochLabel} ${run.epoch[q]}` +
    (run.mostActive[q] >= 0 ? ` · most active for ${run.classNames[run.mostActive[q]]}` : "");
  const scatter = pointScatter(
    { x, y, index: points.length === Y.rows ? undefined : points },
    {
      interactive: o.interactive,
      color: mphateColor(run, o.colorBy, o.epochLabel),
      xLabel: AXIS_LABELS.x,
      yLabel: AXIS_LABELS.y,
      title: o.title,
      width: o.width,
      height: o.height,
      r: o.r,
      paths: o.trajectories ? unitPaths(run, points) : undefined,
      tooltip: (q) => ({ text: describe(q) }),
      ariaLabel: `M-PHATE embedding of ${run.name}: ${points.length.toLocaleString("en-US")} points, one per hidden unit per checkpoint, coloured by ${o.colorBy === "mostActive" ? "most-active class (L1)" : o.colorBy === "epoch" ? o.epochLabel : "layer"}`,
      exportName: `${run.name}-mphate-selection`,
      exportColumns: {
        layer: (q) => run.layerNames[run.layer[q]],
        unit: (q) => run.unit[q],
        [o.epochLabel]: (q) => run.epoch[q],
        "most-active class": (q) =>
          run.mostActive[q] >= 0 ? run.classNames[run.mostActive[q]] : "",
      },
      document: o.document,
    },
  );
  // As the static figure's frame: the first view holds the rest of training when the first
  // checkpoint alone would squeeze it into a corner; zooming out (or key 0) shows every point.
  const frame = o.interactive
    ? mphateFrame(
        points,
        (q) => x[q],
        (q) => y[q],
        (q) => run.epoch[q],
      )
    : null;
  const view = frame && firstView(scatter.domain(), frame);
  if (frame && view) {
    scatter.zoomTo(view.k, view.centre);
    const units = new Set(frame.outside.map((q) => `${run.layer[q]}:${run.unit[q]}`)).size;
    const note = (o.document ?? globalThis.document).createElement("p");
    note.className = "atlas-note atlas-mphate-frame";
    note.textContent = `${units} unit${units === 1 ? "" : "s"} of ${o.epochLabel} ${run.epoch[frame.outside[0]]} lie beyond this first view (it would otherwise squeeze the rest of training into a corner): "Reset zoom" (key 0) shows every point.`;
    scatter.append(note);
  }
  return scatter;
}

/**
 * The zoom (magnification k about a centre, in data units) that shows `frame` inside the full
 * view `all`, or null when the frame is the full view already. Zoom is isotropic, so k is the
 * smaller of the two axes' ratios.
 */
export function firstView(
  all: { x: Extent; y: Extent },
  frame: { x: Extent; y: Extent },
): { k: number; centre: [number, number] } | null {
  const k = Math.min(
    (all.x[1] - all.x[0]) / (frame.x[1] - frame.x[0]),
    (all.y[1] - all.y[0]) / (frame.y[1] - frame.y[0]),
  );
  if (!(k > 1.01) || !Number.isFinite(k)) return null;
  return { k, centre: [(frame.x[0] + frame.x[1]) / 2, (frame.y[0] + frame.y[1]) / 2] };
}

/**
 * The generalisation runs of one seed side by side (default: the first seed of the study), titled
 * with their memorisation error and visualisation variance (unscaled SMACOF output).
 */
export function generalizationGrid(
  study: GeneralizationStudy,
  options: Omit<MphateScatterOptions, "title" | "legend"> & {
    columns?: number;
    seed?: number | null;
  } = {},
): HTMLElement {
  const document = options.document ?? globalThis.document;
  const columns = options.columns ?? 4;
  const seed = options.seed !== undefined ? options.seed : (study.runs[0]?.seed ?? null);
  const runs = study.runs.filter((r) => r.seed === seed);
  const grid = document.createElement("div");
  grid.className = "atlas-mphate-grid";
  grid.style.display = "grid";
  grid.style.gridTemplateColumns = `repeat(${columns}, minmax(0, 1fr))`;
  grid.style.gap = "8px";
  const width = options.width ?? 240;
  for (const [i, run] of runs.entries()) {
    const cell = document.createElement("div");
    const caption = document.createElement("div");
    caption.style.font = "12px system-ui, sans-serif";
    caption.textContent = `${run.variant} · memorisation ${format(run.memorizationError)} · variance ${format(run.visualizationVariance)}`;
    cell.append(
      caption,
      mphateScatter(run, {
        ...options,
        width,
        height: options.height ?? Math.round(width * 0.85),
        r: options.r ?? 1.2,
        legend: i === 0,
      }) as Node,
    );
    grid.append(cell);
  }
  return grid;
}

const format = (v: number) =>
  Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3)) : "—";

/** Px per character of 12 px sans-serif text, generously: label widths for placing them. */
const LABEL_CHAR_PX = 7;
const LABEL_LINE_PX = 14;
const LABEL_GAP_PX = 8;

interface PlacedLabel {
  text: string;
  /** The point it names, in px. */
  px: number;
  py: number;
  /** Where the text goes: its baseline-middle y, and which side of the point. */
  y: number;
  anchor: "start" | "end";
}

/**
 * Labels beside points without overlapping one another or leaving the plot: each goes right of
 * its point, or left when it would cross the right edge, and labels whose boxes would overlap
 * move apart vertically, in order of their points' heights.
 */
export function placeLabels(
  labels: { text: string; px: number; py: number }[],
  box: { left: number; right: number; top: number; bottom: number },
): PlacedLabel[] {
  const placed: (PlacedLabel & { x0: number; x1: number })[] = [];
  for (const label of [...labels].sort((a, b) => a.py - b.py)) {
    const width = label.text.length * LABEL_CHAR_PX;
    const anchor = label.px + LABEL_GAP_PX + width <= box.right ? "start" : "end";
    const x0 =
      anchor === "start"
        ? label.px + LABEL_GAP_PX
        : Math.max(box.left, label.px - LABEL_GAP_PX - width);
    const x1 = x0 + width;
    let y = Math.min(
      box.bottom - LABEL_LINE_PX / 2,
      Math.max(box.top + LABEL_LINE_PX / 2, label.py),
    );
    for (let moved = true; moved;) {
      moved = false;
      for (const other of placed) {
        if (other.x0 < x1 && x0 < other.x1 && Math.abs(other.y - y) < LABEL_LINE_PX)
          [y, moved] = [other.y + LABEL_LINE_PX, true];
      }
    }
    placed.push({ ...label, y, anchor, x0, x1 });
  }
  // Labels pushed past the bottom move up together.
  const overflow = Math.max(0, ...placed.map((p) => p.y - (box.bottom - LABEL_LINE_PX / 2)));
  return placed.map(({ x0: _x0, x1: _x1, ...p }) => ({ ...p, y: p.y - overflow }));
}

/**
 * Visualisation variance (unscaled SMACOF output) against memorisation error: one dot per run,
 * coloured by variant, its symbol the seed; each variant's seeds joined, its name at their mean.
 */
export function varianceVsMemorization(
  study: GeneralizationStudy,
  options: { width?: number; height?: number; document?: Document } = {},
): SVGSVGElement | HTMLElement {
  const runs = study.runs
    .filter((r) => Number.isFinite(r.memorizationError))
    .map((r) => ({ ...r, seedName: r.seed === null ? "—" : `seed ${r.seed}` }));
  const variants = study.variants.filter((v) => Number.isFinite(v.memorizationError.mean));
  const names = variants.map((v) => v.variant);
  const logX = runs.length > 0 && runs.every((r) => r.memorizationError > 0);
  const spec = {
    document: options.document ?? globalThis.document,
    width: options.width ?? 560,
    height: options.height ?? 360,
    inset: 20,
    marginTop: 30,
    title: `Spearman ρ = ${format(study.spearman)} over ${runs.length} runs, 95 % interval [${format(study.interval[0])}, ${format(study.interval[1])}]`,
    // Memorisation errors span more than a decade (0.1 for regularised runs, ~4 on random pixels);
    // plain decimals on the ticks ("0.1", not the SI "100m").
    x: {
      label: `memorisation error: validation − training loss (nats${logX ? ", log scale" : ""}) →`,
      type: logX ? ("log" as const) : ("linear" as const),
      tickFormat: "~g",
    },
    y: { label: "↑ visualisation variance (Σ tr cov, unscaled)", tickFormat: "~s" },
    color: { domain: names, range: classColors(names.length), legend: true },
    symbol: { legend: true },
  };
  const marks = [
    Plot.line(runs, {
      x: "memorizationError",
      y: "visualizationVariance",
      z: "variant",
      stroke: "variant",
      strokeOpacity: 0.4,
      sort: "seedName",
    }),
    Plot.dot(runs, {
      x: "memorizationError",
      y: "visualizationVariance",
      r: 4,
      stroke: "variant",
      symbol: "seedName",
    }),
  ];
  // Draw once for the scales, then name each variant beside its mean where the names fit.
  const bare = ariaMarkGroups(Plot.plot({ ...spec, marks }));
  const sx = bare.scale("x")!;
  const sy = bare.scale("y")!;
  if (variants.length === 0 || !sy.invert) return bare;
  const [left, right] = sx.range as [number, number];
  const [bottom, top] = sy.range as [number, number];
  const labels = placeLabels(
    variants.map((v) => ({
      text: v.variant,
      px: sx.apply(v.memorizationError.mean) as number,
      py: sy.apply(v.visualizationVariance.mean) as number,
    })),
    // Text may run into the inset around the points, not past the frame.
    { left: left - spec.inset, right: right + spec.inset, top, bottom },
  );
  const at = (l: PlacedLabel) => variants.find((v) => v.variant === l.text)!;
  return ariaMarkGroups(
    Plot.plot({
      ...spec,
      // The scales of the first drawing: the labels were placed on them.
      x: { ...spec.x, domain: sx.domain },
      y: { ...spec.y, domain: sy.domain },
      marks: [
        ...marks,
        ...(["start", "end"] as const).map((anchor) =>
          Plot.text(
            labels.filter((l) => l.anchor === anchor),
            {
              x: (l: PlacedLabel) => at(l).memorizationError.mean,
              y: (l: PlacedLabel) => sy.invert!(l.y),
              text: "text",
              dx: anchor === "start" ? LABEL_GAP_PX : -LABEL_GAP_PX,
              textAnchor: anchor,
              fontSize: 12,
            },
          ),
        ),
      ],
    }),
  );
}

/** Mean ARI at each task switch, one series per run. */
export function switchAriChart(
  study: ContinualStudy,
  options: { width?: number; height?: number; document?: Document } = {},
): SVGSVGElement | HTMLElement {
  const rows = study.runs.flatMap((run) =>
    run.switches.map((s, i) => ({
      run: run.rehearsal ? "with rehearsal" : "no rehearsal",
      name: run.name,
      switch: `task ${i + 1} → ${i + 2}`,
      ari: s.ari,
    })),
  );
  return ariaMarkGroups(
    Plot.plot({
      document: options.document ?? globalThis.document,
      width: options.width ?? 520,
      height: options.height ?? 280,
      marginLeft: 50,
      x: { label: "task switch", domain: [...new Set(rows.map((r) => r.switch))] },
      y: { label: "↑ ARI of unit clusters before vs after (1 = kept)", domain: [0, 1] },
      color: {
        legend: true,
        domain: ["no rehearsal", "with rehearsal"],
        range: ["#ff725c", "#4269d0"],
        label: "run",
      },
      marks: [
        Plot.ruleY([0]),
        Plot.line(rows, { x: "switch", y: "ari", stroke: "run" }),
        Plot.dot(rows, { x: "switch", y: "ari", fill: "run", r: 4 }),
      ],
    }),
  );
}
