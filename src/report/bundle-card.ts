/**
 * What a bundle holds and how well its network does, from the bundle's own files: the examples
 * notebook's card of the picked bundle and its report. Accuracy (classification) is the argmax
 * of `predictions` against `labels`; R² and mean absolute error (regression) compare
 * `predictions` with `targets`; each per split when the bundle has one.
 */
import type { AnalysisBundle } from "../analyses/columns.ts";
import { formatNumber } from "../analyses/columns.ts";
import { VERSION } from "../version.ts";
import type { ReportContext, ReportSpec, ReportTable } from "./report.ts";

/** The layers: name, kind and shape per sample. */
export function layersTable(bundle: AnalysisBundle): ReportTable {
  return {
    columns: ["layer", "kind", "shape per sample", "values per sample"],
    rows: bundle.layers.map((l) => [
      l.name,
      l.kind ?? (l.shape.length > 2 ? "conv" : "dense"),
      l.shape.slice(1).join(" × "),
      l.shape.slice(1).reduce((a, b) => a * b, 1),
    ]),
  };
}

/** Rows of one part of the bundle: all samples, or those of a split. */
function parts(bundle: AnalysisBundle): { name: string; rows: number[] }[] {
  const all = Array.from({ length: bundle.samples }, (_, i) => i);
  if (!bundle.split) return [{ name: "all samples", rows: all }];
  return [
    { name: "training split", rows: all.filter((i) => bundle.split![i] === 0) },
    { name: "test split", rows: all.filter((i) => bundle.split![i] === 1) },
  ].filter((p) => p.rows.length > 0);
}

/**
 * How well the network does on its own outputs, or null when the bundle has no predictions to
 * judge (or nothing to judge them against).
 */
export function performanceTable(bundle: AnalysisBundle): ReportTable | null {
  const P = bundle.predictions;
  if (!P) return null;
  if (bundle.task === "classification" && bundle.labels && P.cols > 1) {
    return {
      columns: ["samples", "count", "accuracy"],
      rows: parts(bundle).map(({ name, rows }) => {
        let right = 0;
        for (const i of rows) {
          let best = 0;
          for (let c = 1; c < P.cols; c++)
            if (P.data[i * P.cols + c] > P.data[i * P.cols + best]) best = c;
          if (best === bundle.labels![i]) right++;
        }
        return [name, rows.length, formatNumber(right / rows.length)];
      }),
    };
  }
  const T = bundle.targets;
  if (bundle.task === "regression" && T && T.cols === P.cols) {
    return {
      columns: ["samples", "count", "R²", "mean absolute error (target units)"],
      rows: parts(bundle).map(({ name, rows }) => {
        // R² over all output columns together: 1 − SS_res / SS_tot around each column's mean.
        let residual = 0;
        let total = 0;
        let absolute = 0;
        for (let c = 0; c < T.cols; c++) {
          let mean = 0;
          for (const i of rows) mean += T.data[i * T.cols + c];
          mean /= rows.length;
          for (const i of rows) {
            const t = T.data[i * T.cols + c];
            const e = t - P.data[i * P.cols + c];
            residual += e * e;
            total += (t - mean) * (t - mean);
            absolute += Math.abs(e);
          }
        }
        return [
          name,
          rows.length,
          total > 0 ? formatNumber(1 - residual / total) : null,
          formatNumber(absolute / (rows.length * T.cols)),
        ];
      }),
    };
  }
  return null;
}

/** One line on the bundle: samples, task, classes, split, checkpoints. */
export function bundleDescription(bundle: AnalysisBundle): string {
  const parts = [`${bundle.samples.toLocaleString("en-US")} samples`, bundle.task];
  if (bundle.classNames) parts.push(`${bundle.classNames.length} classes`);
  parts.push(`${bundle.layers.length} layer${bundle.layers.length === 1 ? "" : "s"}`);
  if (bundle.split)
    parts.push(
      `split ${bundle.split.filter((s) => s === 0).length} train / ${bundle.split.filter((s) => s === 1).length} test`,
    );
  if (bundle.checkpoints?.length)
    parts.push(
      `${bundle.checkpoints.length} checkpoints${bundle.trace ? ` of ${bundle.trace.length} traced samples` : ""}`,
    );
  if (bundle.inputs) parts.push(`inputs ${bundle.inputs.shape.slice(1).join(" × ")}`);
  if (bundle.model) parts.push("with its trained network");
  return parts.join(" · ");
}

/** The report of a bundle's card. */
export function bundleCardReport(bundle: AnalysisBundle, context: ReportContext): ReportSpec {
  const performance = performanceTable(bundle);
  return {
    notebook: "examples",
    title: `Bundle · ${bundle.name}`,
    description:
      "What the bundle holds and how well its network does, computed from the bundle's own files.",
    dataset: {
      name: bundle.name,
      sha256: context.sha256,
      samples: bundle.samples,
      task: bundle.task,
    },
    parameters: {},
    seed: 0,
    version: VERSION,
    date: context.date ?? new Date().toISOString(),
    sections: [
      { title: "Contents", text: bundleDescription(bundle), table: layersTable(bundle) },
      ...(performance
        ? [
            {
              title: "How well the network does",
              text:
                bundle.task === "classification"
                  ? "Accuracy: the argmax of the predictions against the labels."
                  : "R² and mean absolute error of the predictions against the targets.",
              table: performance,
            },
          ]
        : []),
    ],
  };
}
