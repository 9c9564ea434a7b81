/**
 * Figures of the layer-topology seed study: how often each measure finds a layer again in a
 * network trained from another seed (against chance), a layer × layer matrix's mean and spread
 * over the seeds, and each layer's scale in every seed.
 */
import * as Plot from "@observablehq/plot";
import type { SeedStudy } from "../analyses/layer-topology.ts";
import type { MatrixSpread } from "../analyses/seed-study.ts";
import type { TopologyPlotOptions } from "./topology.ts";
import { ariaMarkGroups } from "./style.ts";
import { cellLabels } from "./text.ts";

/** Defaults of the seed-study figures. */
export const defaults = { specificityWidth: 520, heatmapWidth: 360, scaleWidth: 420 };

/** The three measures the study scores, in the order they are drawn. */
export function specificityRows(
  study: SeedStudy,
): { measure: string; mean: number; low: number; high: number; min: number; max: number }[] {
  const dim = `H${study.distanceDim}`;
  const rows = [
    { measure: `${dim} sliced Wasserstein, activation units`, s: study.specificity.sliced.raw },
    { measure: `${dim} sliced Wasserstein, RMS-normalised`, s: study.specificity.sliced.rms },
    { measure: "linear CKA", s: study.specificity.cka },
  ];
  return rows.map(({ measure, s }) => ({
    measure,
    mean: s.mean,
    low: Math.max(0, s.mean - s.sd),
    high: Math.min(1, s.mean + s.sd),
    min: s.min,
    max: s.max,
  }));
}

/**
 * Specificity of each measure: the mean over ordered seed pairs of the fraction of layers whose
 * nearest layer in the other seed's network is themselves (bar), ± one standard deviation over
 * the pairs (rule), and chance 1/L (dashed). Default width 520.
 */
export function specificityChart(study: SeedStudy, options: TopologyPlotOptions = {}): HTMLElement {
  const rows = specificityRows(study);
  const chance = 1 / study.layers.length;
  return ariaMarkGroups(
    Plot.plot({
      document: options.document ?? globalThis.document,
      title: options.title,
      width: options.width ?? defaults.specificityWidth,
      height: options.height ?? 170,
      marginLeft: 250,
      marginRight: 44,
      x: {
        domain: [0, 1],
        label: "layers found again in another seed's network (fraction) →",
        grid: true,
      },
      y: { domain: rows.map((r) => r.measure), label: null },
      marks: [
        Plot.barX(rows, { y: "measure", x: "mean", fill: "#4269d0", fillOpacity: 0.75 }),
        Plot.ruleY(rows, { y: "measure", x1: "low", x2: "high", stroke: "black", strokeWidth: 2 }),
        Plot.text(rows, {
          y: "measure",
          x: "high",
          text: (r: { mean: number }) => r.mean.toFixed(2),
          dx: 6,
          textAnchor: "start",
          fontSize: 11,
        }),
        Plot.ruleX([chance], { stroke: "#d62728", strokeDasharray: "4,3" }),
        Plot.text([chance], {
          x: (c: number) => c,
          frameAnchor: "top",
          dy: -2,
          text: () => `chance 1/${study.layers.length}`,
          fill: "#d62728",
          lineAnchor: "bottom",
        }),
      ],
    }),
  ) as unknown as HTMLElement;
}

/**
 * Layer × layer heatmap of a matrix's mean over the seeds, each cell labelled "mean ± sd".
 * `label` names the measure and its units. Default width 360.
 */
export function spreadHeatmap(
  names: string[],
  spread: MatrixSpread,
  options: TopologyPlotOptions & {
    label?: string;
    scheme?: string;
    domain?: [number, number];
  } = {},
): HTMLElement {
  const L = names.length;
  const cells = names.flatMap((a, i) =>
    names.map((b, j) => ({ a, b, mean: spread.mean[i * L + j], sd: spread.sd[i * L + j] })),
  );
  const max = Math.max(0, ...cells.map((c) => c.mean).filter(Number.isFinite));
  const width = options.width ?? defaults.heatmapWidth;
  const marginLeft = 110;
  const cellWidth = (width - marginLeft - 20) / Math.max(1, L);
  // The mean over its spread where both fit, else the mean alone (the tooltip has both).
  const cellText =
    cellLabels(cells, cellWidth, (c, format) =>
      Number.isFinite(c.mean) ? `${format(c.mean)}\n±${format(c.sd)}` : "–",
    ) ?? cellLabels(cells, cellWidth, (c, format) => format(c.mean));
  return ariaMarkGroups(
    Plot.plot({
      document: options.document ?? globalThis.document,
      title: options.title,
      width,
      height: options.height ?? width - 10,
      marginLeft,
      marginBottom: 80,
      padding: 0.03,
      x: { domain: names, label: null, tickRotate: -35 },
      y: { domain: names, label: null },
      color: {
        type: "linear",
        scheme: (options.scheme ?? "viridis") as Plot.ColorScheme,
        legend: true,
        label: options.label,
        domain: options.domain,
        unknown: "#ddd",
      },
      marks: [
        Plot.cell(cells, {
          x: "b",
          y: "a",
          fill: "mean",
          title: (c: { a: string; b: string; mean: number; sd: number }) =>
            `${c.a} – ${c.b}: mean ${c.mean.toPrecision(4)}, sd ${c.sd.toPrecision(3)} over ${spread.runs} seeds`,
        }),
        ...(cellText
          ? [
              Plot.text(cells, {
                x: "b",
                y: "a",
                text: cellText,
                fill: (c: { mean: number }) =>
                  (max > 0 ? c.mean / max : 0) < 0.5 ? "white" : "black",
              }),
            ]
          : []),
      ],
    }),
  ) as unknown as HTMLElement;
}

/**
 * Each layer's RMS spread (distance to the mean) in every seed's network, on a log scale: the
 * scale differences that raw distances between diagrams carry. Default width 420.
 */
export function scaleChart(study: SeedStudy, options: TopologyPlotOptions = {}): HTMLElement {
  const L = study.layers.length;
  const rows = study.runs.flatMap((run, r) =>
    study.layers.map((layer, l) => ({ run, layer, scale: study.scales[r * L + l] })),
  );
  return ariaMarkGroups(
    Plot.plot({
      document: options.document ?? globalThis.document,
      title: options.title,
      width: options.width ?? defaults.scaleWidth,
      height: options.height ?? 240,
      marginLeft: 56,
      marginBottom: 70,
      x: { domain: study.layers, label: null, tickRotate: -25 },
      y: {
        type: "log",
        label: `↑ RMS distance to the mean (${options.unit ?? "activation units"})`,
        grid: true,
      },
      color: { legend: true, label: "network", domain: study.runs },
      marks: [Plot.dot(rows, { x: "layer", y: "scale", stroke: "run", r: 4, tip: true })],
    }),
  ) as unknown as HTMLElement;
}
