/**
 * Scree chart: the share of the layer's variance along each principal component, with the
 * cumulative share as a line.
 */
import * as Plot from "@observablehq/plot";

export interface VarianceChartOptions {
  width?: number;
  height?: number;
  document?: Document;
}

export function varianceChart(ratios: ArrayLike<number>, options: VarianceChartOptions = {}): HTMLElement {
  const rows = Array.from(ratios, (ratio, i) => ({ component: `PC${i + 1}`, percent: ratio * 100, cumulative: 0 }));
  let total = 0;
  for (const row of rows) row.cumulative = total += row.percent;
  return Plot.plot({
    document: options.document ?? globalThis.document,
    width: options.width ?? 360,
    height: options.height ?? 220,
    marginLeft: 48,
    x: { label: "principal component", domain: rows.map((r) => r.component) },
    y: { label: "variance explained (%)", domain: [0, 100], grid: true },
    marks: [
      Plot.barY(rows, { x: "component", y: "percent", fill: "#4269d0", tip: true }),
      Plot.line(rows, { x: "component", y: "cumulative", stroke: "#ff725c", marker: "circle" }),
      Plot.text(rows.slice(-1), { x: "component", y: "cumulative", text: (d) => `${d.cumulative.toFixed(0)} % cumulative`, dy: -10, textAnchor: "end", fill: "#ff725c" }),
      Plot.ruleY([0]),
    ],
  }) as unknown as HTMLElement;
}
