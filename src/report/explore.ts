/**
 * The `explore` notebook's report, built from an explore() result. The notebook's export
 * button and `hidden-atlas report explore` both call this, so they show the same numbers.
 */
import type { ExploreResult } from "../analyses/explore.ts";
import {
  describeSample,
  formatNumber,
  sampleColumn,
  type AnalysisBundle,
} from "../analyses/columns.ts";
import { pointScatter } from "../views/point-scatter.ts";
import { subsampleText } from "../views/caption.ts";
import { varianceChart } from "../views/variance.ts";
import { thumbnails } from "../views/thumbnail.ts";
import { count } from "../views/text.ts";
import { VERSION } from "../version.ts";
import type { ReportContext, ReportSpec } from "./report.ts";

/** Axis labels of the PCA scatter, with each component's share of the variance. */
export function pcaAxisLabels(ratios: ArrayLike<number>): { x: string; y: string } {
  const pct = (i: number) =>
    ratios.length > i ? ` (${(ratios[i] * 100).toFixed(1)} % of variance)` : "";
  return { x: `PC1${pct(0)} →`, y: `↑ PC2${pct(1)}` };
}

export function exploreReport(
  bundle: AnalysisBundle,
  result: ExploreResult,
  context: ReportContext,
): ReportSpec {
  const { projection, neighbors, params } = result;
  const document = context.document ?? globalThis.document;
  const thumbs = thumbnails(bundle.inputs);
  const labels = pcaAxisLabels(projection.explainedVarianceRatio);
  const scores = projection.scores.data;
  // Static: SVG dots up to 20,000 drawn points, one PNG of them above (pointScatter's rule).
  const figure = pointScatter(
    {
      x: Float32Array.from({ length: projection.samples }, (_, i) => scores[2 * i]),
      y: Float32Array.from({ length: projection.samples }, (_, i) => scores[2 * i + 1]),
      index: projection.shown,
    },
    {
      color: sampleColumn(bundle, params.color),
      xLabel: labels.x,
      yLabel: labels.y,
      selected: params.point,
      highlighted: neighbors.indices,
      subsample: { seed: params.seed },
      document,
    },
  );
  const drawn = subsampleText(projection.shown.length, projection.samples, { seed: params.seed });
  const shown = drawn ? ` (${drawn})` : ", every one drawn";
  return {
    notebook: "explore",
    title: `Explore · layer ${projection.layer}`,
    description:
      "A first look at one layer: every sample's activation vector projected on the layer's first two principal components, coloured by " +
      `${params.color}, and the nearest neighbours of one sample measured in the layer's own space (not in the projection).`,
    dataset: {
      name: bundle.name,
      sha256: context.sha256,
      samples: bundle.samples,
      task: bundle.task,
    },
    parameters: {
      layer: params.layer,
      vectorize: params.vectorize,
      color: params.color,
      k: params.k,
      metric: params.metric,
      point: params.point,
      maxPoints: params.maxPoints,
    },
    seed: params.seed,
    version: VERSION,
    date: context.date ?? new Date().toISOString(),
    sections: [
      {
        title: `PCA of ${projection.layer}`,
        text:
          `${count(projection.samples, "sample")}${shown}, ${count(projection.dimension, "dimension")}. PC1 and PC2 hold ` +
          `${formatNumber(100 * (projection.explainedVarianceRatio[0] ?? 0))} % and ${formatNumber(100 * (projection.explainedVarianceRatio[1] ?? 0))} % ` +
          `of the variance; coordinates are in the layer's activation units. The black ring marks sample #${params.point}, red rings its ${count(neighbors.k, "nearest neighbour")}.`,
        figure,
      },
      {
        title: "Variance by component",
        figure: varianceChart(projection.explainedVarianceRatio, { document }),
        table: {
          columns: ["component", "variance explained (%)", "cumulative (%)"],
          rows: Array.from(projection.explainedVarianceRatio, (r, i) => [
            `PC${i + 1}`,
            formatNumber(r * 100),
            formatNumber(
              100 *
                Array.from(projection.explainedVarianceRatio)
                  .slice(0, i + 1)
                  .reduce((a, b) => a + b, 0),
            ),
          ]),
        },
      },
      {
        title: `Nearest neighbours of sample #${params.point}`,
        text: `The ${count(neighbors.k, "sample")} nearest to ${describeSample(bundle, params.point)} by ${neighbors.metric} distance between activation vectors of ${projection.layer}.`,
        table: {
          columns: ["rank", "sample", `${neighbors.metric} distance`, ...(thumbs ? ["input"] : [])],
          rows: [
            [
              "query",
              describeSample(bundle, params.point),
              0,
              ...(thumbs
                ? [{ image: thumbs.url(params.point), alt: `input ${params.point}` }]
                : []),
            ],
            ...Array.from(neighbors.indices, (i, j) => [
              j + 1,
              describeSample(bundle, i),
              formatNumber(neighbors.distances[j]),
              ...(thumbs ? [{ image: thumbs.url(i), alt: `input ${i}` }] : []),
            ]),
          ],
        },
      },
    ],
  };
}
