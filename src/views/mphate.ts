/**
 * Figures of the mphate analysis: the M-PHATE embedding of hidden units coloured by epoch, layer
 * or most-active class (optionally with each unit's trajectory), the grid of generalisation
 * runs, visualisation variance against memorisation error, and ARI at task switches.
 */
import * as Plot from "@observablehq/plot";
import type { ContinualStudy, DynamicsEmbedding, GeneralizationStudy, MphateColorBy } from "../analyses/mphate.ts";
import type { SampleColumn } from "../analyses/columns.ts";
import { classColors } from "./palette.ts";
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

const defaults = { colorBy: "epoch" as MphateColorBy, trajectories: false, width: 520, height: 420, r: 1.8, legend: true, epochLabel: "epoch", interactive: false };

const AXIS_LABELS = { x: "M-PHATE 1 (relative units)", y: "M-PHATE 2 (relative units)" };

/**
 * The M-PHATE embedding (one dot per unit per epoch), each unit's path over the epochs when
 * `trajectories` is set. Interactive, or above 20,000 points, it is a pointScatter (same
 * positions, the colour as a legend, the paths under the points).
 */
export function mphateScatter(run: DynamicsEmbedding, options: MphateScatterOptions = {}): HTMLElement | SVGSVGElement {
  const o = { ...defaults, ...options };
  const { embedding: Y } = run;
  const keep = o.layers?.length ? new Set(o.layers.map((l) => run.layerNames.indexOf(l))) : null;
  const points = Array.from({ length: Y.rows }, (_, q) => q).filter((q) => !keep || keep.has(run.layer[q]));
  if (o.interactive || points.length > SVG_MAX_POINTS) return mphatePointScatter(run, points, o);
  const x = (q: number) => Y.data[q * Y.cols];
  const y = (q: number) => Y.data[q * Y.cols + 1];
  const colorOf: Record<MphateColorBy, (q: number) => number | string> = {
    epoch: (q) => run.epoch[q],
    layer: (q) => run.layerNames[run.layer[q]],
    mostActive: (q) => (run.mostActive[q] >= 0 ? run.classNames[run.mostActive[q]] : "—"),
  };
  // Units silent on every trace image have no most-active class: "—", grey (not dropped).
  const silent = o.colorBy === "mostActive" && points.some((q) => run.mostActive[q] < 0);
  const color =
    o.colorBy === "epoch"
      ? { type: "linear" as const, scheme: "viridis" as Plot.ColorScheme, legend: o.legend, label: o.epochLabel }
      : o.colorBy === "layer"
        ? { type: "categorical" as const, domain: run.layerNames, range: ["#4269d0", "#ff725c", "#3ca951", "#a463f2", "#efb118", "#9c6b4e"], legend: o.legend, label: "layer" }
        : silent
          ? { type: "categorical" as const, domain: [...run.classNames, "—"], range: [...classColors(run.classNames.length), "#999999"], legend: o.legend, label: "most-active class (L1)" }
          : { type: "categorical" as const, domain: run.classNames, range: classColors(run.classNames.length), legend: o.legend, label: "most-active class (L1)" };
  const unitKey = (q: number) => `${run.layer[q]}:${run.unit[q]}`;
  return Plot.plot({
    document: o.document ?? globalThis.document,
    width: o.width,
    height: o.height,
    title: o.title,
    inset: 8,
    x: { label: AXIS_LABELS.x, ticks: 4 },
    y: { label: AXIS_LABELS.y, ticks: 4 },
    color,
    marks: [
      ...(o.trajectories ? [Plot.line(points, { x, y, z: unitKey, stroke: "#bbb", strokeWidth: 0.4, strokeOpacity: 0.6 })] : []),
      Plot.dot(points, { x, y, fill: colorOf[o.colorBy], r: o.r, fillOpacity: 0.85 }),
    ],
  });
}

/** The colour of each point as a column: epoch (continuous), layer or most-active class (categorical). */
export function mphateColour(run: DynamicsEmbedding, colorBy: MphateColorBy, epochLabel = "epoch"): SampleColumn {
  if (colorBy === "epoch") return { title: epochLabel, type: "continuous", values: run.epoch };
  if (colorBy === "layer") return { title: "layer", type: "categorical", values: Float64Array.from(run.layer), classNames: run.layerNames };
  // A unit silent on every trace image has no most-active class (−1): grey, and counted.
  return { title: "most-active class (L1)", type: "categorical", values: Float64Array.from(run.mostActive, (c) => (c >= 0 ? c : NaN)), classNames: run.classNames };
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

function mphatePointScatter(run: DynamicsEmbedding, points: number[], o: typeof defaults & MphateScatterOptions): PointScatterElement {
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
  return pointScatter(
    { x, y, index: points.length === Y.rows ? undefined : points },
    {
      interactive: o.interactive,
      color: mphateColour(run, o.colorBy, o.epochLabel),
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
      exportColumns: { layer: (q) => run.layerNames[run.layer[q]], unit: (q) => run.unit[q], [o.epochLabel]: (q) => run.epoch[q], "most-active class": (q) => (run.mostActive[q] >= 0 ? run.classNames[run.mostActive[q]] : "") },
      document: o.document,
    },
  );
}

/**
 * The generalisation runs of one seed side by side (default: the first seed of the study), titled
 * with their memorisation error and visualisation variance (unscaled SMACOF output).
 */
export function generalizationGrid(study: GeneralizationStudy, options: Omit<MphateScatterOptions, "title" | "legend"> & { columns?: number; seed?: number | null } = {}): HTMLElement {
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
    cell.append(caption, mphateScatter(run, { ...options, width, height: options.height ?? Math.round(width * 0.85), r: options.r ?? 1.2, legend: i === 0 }) as Node);
    grid.append(cell);
  }
  return grid;
}

const format = (v: number) => (Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3)) : "—");

/**
 * Visualisation variance (unscaled SMACOF output) against memorisation error: one dot per run,
 * coloured by variant, its symbol the seed; each variant's seeds joined, its name at their mean.
 */
export function varianceVsMemorization(study: GeneralizationStudy, options: { width?: number; height?: number; document?: Document } = {}): SVGSVGElement | HTMLElement {
  const runs = study.runs.filter((r) => Number.isFinite(r.memorizationError)).map((r) => ({ ...r, seedName: r.seed === null ? "—" : `seed ${r.seed}` }));
  const variants = study.variants.filter((v) => Number.isFinite(v.memorizationError.mean));
  const names = variants.map((v) => v.variant);
  return Plot.plot({
    document: options.document ?? globalThis.document,
    width: options.width ?? 560,
    height: options.height ?? 360,
    inset: 20,
    title: `Spearman ρ = ${format(study.spearman)} over ${runs.length} runs, 95 % interval [${format(study.interval[0])}, ${format(study.interval[1])}]`,
    // Memorisation errors span more than a decade (0.1 for regularised runs, ~4 on random pixels).
    x: { label: "memorisation error: validation − training loss (nats, log scale) →", type: runs.every((r) => r.memorizationError > 0) ? "log" : "linear" },
    y: { label: "↑ visualisation variance (Σ over epochs of tr cov, unscaled SMACOF output)" },
    color: { domain: names, range: classColors(names.length), legend: true },
    symbol: { legend: true },
    marks: [
      Plot.line(runs, { x: "memorizationError", y: "visualizationVariance", z: "variant", stroke: "variant", strokeOpacity: 0.4, sort: "seedName" }),
      Plot.dot(runs, { x: "memorizationError", y: "visualizationVariance", r: 4, stroke: "variant", symbol: "seedName" }),
      Plot.text(variants, { x: (v) => v.memorizationError.mean, y: (v) => v.visualizationVariance.mean, text: "variant", dx: 8, textAnchor: "start", fontSize: 10 }),
    ],
  });
}

/** Mean ARI at each task switch, one series per run. */
export function switchAriChart(study: ContinualStudy, options: { width?: number; height?: number; document?: Document } = {}): SVGSVGElement | HTMLElement {
  const rows = study.runs.flatMap((run) => run.switches.map((s, i) => ({ run: run.rehearsal ? "with rehearsal" : "no rehearsal", name: run.name, switch: `task ${i + 1} → ${i + 2}`, ari: s.ari })));
  return Plot.plot({
    document: options.document ?? globalThis.document,
    width: options.width ?? 520,
    height: options.height ?? 280,
    marginLeft: 50,
    x: { label: "task switch", domain: [...new Set(rows.map((r) => r.switch))] },
    y: { label: "↑ ARI of unit clusters before vs after (1 = kept)", domain: [0, 1] },
    color: { legend: true, domain: ["no rehearsal", "with rehearsal"], range: ["#ff725c", "#4269d0"], label: "run" },
    marks: [
      Plot.ruleY([0]),
      Plot.line(rows, { x: "switch", y: "ari", stroke: "run" }),
      Plot.dot(rows, { x: "switch", y: "ari", fill: "run", r: 4 }),
    ],
  });
}
