/**
 * Scree chart: the share of the layer's variance along each principal component, with the
 * cumulative share as a line.
 */
import * as Plot from "@observablehq/plot";
import { withDefaults } from "./options.ts";
import { housePlot } from "./style.ts";
import { count } from "./text.ts";

export interface VarianceChartOptions {
  /** Width in px. Defaults to 360. */
  width?: number;
  /** Height in px. Defaults to 220. */
  height?: number;
  /** Document to build in (jsdom in Node). Defaults to the global document. */
  document?: Document;
}

/** Every option's default. */
export const defaults = {
  /** Width in px. */
  width: 360,
  /** Height in px. */
  height: 220,
};

/**
 * Bars of each component's share of the variance (%), the cumulative share as a line.
 *
 * @example
 *   varianceChart(projection.explainedVarianceRatio);
 */
export function varianceChart(
  ratios: ArrayLike<number>,
  options: VarianceChartOptions = {},
): HTMLElement {
  const o = withDefaults(defaults, options);
  const rows = Array.from(ratios, (ratio, i) => ({
    component: `PC${i + 1}`,
    percent: ratio * 100,
    cumulative: 0,
  }));
  let total = 0;
  for (const row of rows) row.cumulative = total += row.percent;
  return housePlot({
    document: options.document ?? globalThis.document,
    width: o.width,
    height: o.height,
    marginLeft: 48,
    ariaLabel: `Share of the variance explained by each of ${count(rows.length, "principal component")} (bars) and cumulatively (line), ${total.toFixed(0)} % in all`,
    x: { label: "principal component", domain: rows.map((r) => r.component) },
    y: { label: "variance explained (%)", domain: [0, 100], grid: true },
    marks: [
      Plot.barY(rows, { x: "component", y: "percent", fill: "#4269d0", tip: true }),
      Plot.line(rows, { x: "component", y: "cumulative", stroke: "#ff725c", marker: "circle" }),
      Plot.text(rows.slice(-1), {
        x: "component",
        y: "cumulative",
        text: (d) => `${d.cumulative.toFixed(0)} % cumulative`,
        dy: -10,
        textAnchor: "end",
        fill: "#ff725c",
      }),
      Plot.ruleY([0]),
    ],
  });
}
