/**
 * What analyses need from a bundle, and the per-sample columns (label, target, prediction)
 * that colour and annotate their figures.
 */
import { isConvLayer, type LayerData } from "../algo/vectorize.ts";
import type { Matrix } from "../core/matrix.ts";
import { classCount } from "../io/labels.ts";

/** The parts of a loaded activation bundle (src/io/bundle.ts) that analyses read. */
export interface AnalysisBundle {
  name: string;
  task: "classification" | "regression";
  samples: number;
  classNames?: string[];
  layers: LayerData[];
  /** Input images or vectors (N × …), for thumbnails. */
  inputs?: { shape: readonly number[]; data: ArrayLike<number> };
  labels?: Int32Array;
  targets?: Matrix;
  predictions?: Matrix;
  split?: Uint8Array;
  /** The trained network (description, parameters, input scale, layer mapping). */
  model?: {
    spec: Record<string, unknown>;
    parameters: Float32Array;
    inputScale?: number;
    layers?: Record<string, string>;
  };
  /** Rows the checkpoints hold, and the checkpoints (training dynamics). */
  trace?: Int32Array;
  /** Checkpoint layers are always in memory (io/bundle.ts reads them whole, even lazily). */
  checkpoints?: { epoch: number; layers: (LayerData & { data: Float32Array })[] }[];
  meta?: Record<string, unknown>;
}

/**
 * A plain copy of a layer for a worker (structured clone): its data, or, for a layer opened
 * lazily, where its data lie (never the data getter, which throws).
 */
export function transferableLayer(layer: LayerData): LayerData {
  const { name, shape, kind, stored } = layer;
  return stored !== undefined
    ? { name, shape, kind, stored }
    : { name, shape, kind, data: layer.data };
}

/** True when some layer holds conv maps (N × C × H × W), so that "Conv maps as" matters. */
export function hasConvLayers(bundle: Pick<AnalysisBundle, "layers">): boolean {
  return bundle.layers.some(isConvLayer);
}

export const COLOR_BY = ["label", "target", "prediction", "none"] as const;
export type ColorBy = (typeof COLOR_BY)[number];

export interface SampleColumn {
  /** Axis/legend title, e.g. "label" or "target (first column)". */
  title: string;
  /** "categorical" for classes, "continuous" for regression values. */
  type: "categorical" | "continuous";
  /** One value per sample: a class index or a number. */
  values: Float64Array;
  /** Names of class indices (categorical only). */
  classNames?: string[];
}

/** The colouring a bundle supports best: labels, else targets, else predictions, else none. */
export function defaultColorBy(bundle: AnalysisBundle): ColorBy {
  if (bundle.labels) return "label";
  if (bundle.targets) return "target";
  if (bundle.predictions) return "prediction";
  return "none";
}

/**
 * Class names for a classification bundle: the manifest's, or "0", "1", … up to the largest
 * label or prediction column. Labels too sparse to be class indices (e.g. a label of 10^7,
 * which would make ten million names) are refused with E_PARAM; see io/labels.ts.
 */
export function classNamesOf(bundle: AnalysisBundle): string[] {
  if (bundle.classNames) return bundle.classNames;
  let count = bundle.labels
    ? classCount(bundle.labels, `labels of ${JSON.stringify(bundle.name)}`)
    : 0;
  if (bundle.predictions && bundle.task === "classification")
    count = Math.max(count, bundle.predictions.cols);
  return Array.from({ length: count }, (_, i) => String(i));
}

/** argmax of each row (ties to the lower column). */
export function argmaxRows(m: Matrix): Float64Array {
  const out = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) {
    let best = 0;
    for (let j = 1; j < m.cols; j++)
      if (m.data[i * m.cols + j] > m.data[i * m.cols + best]) best = j;
    out[i] = best;
  }
  return out;
}

/** The column `by` of the bundle, or null when the bundle lacks it (or by is "none"). */
export function sampleColumn(bundle: AnalysisBundle, by: ColorBy): SampleColumn | null {
  if (by === "label" && bundle.labels) {
    return {
      title: "label",
      type: "categorical",
      values: Float64Array.from(bundle.labels),
      classNames: classNamesOf(bundle),
    };
  }
  if (by === "target" && bundle.targets) {
    const t = bundle.targets;
    return {
      title: t.cols > 1 ? "target (first column)" : "target",
      type: "continuous",
      values: Float64Array.from({ length: t.rows }, (_, i) => t.data[i * t.cols]),
    };
  }
  if (by === "prediction" && bundle.predictions) {
    const p = bundle.predictions;
    if (bundle.task === "classification" && p.cols > 1) {
      return {
        title: "predicted class",
        type: "categorical",
        values: argmaxRows(p),
        classNames: classNamesOf(bundle),
      };
    }
    return {
      title: p.cols > 1 ? "prediction (first column)" : "prediction",
      type: "continuous",
      values: Float64Array.from({ length: p.rows }, (_, i) => p.data[i * p.cols]),
    };
  }
  return null;
}

/** A short text naming sample i: "#12 · label 3 · predicted 5". */
export function describeSample(bundle: AnalysisBundle, i: number): string {
  const parts = [`#${i}`];
  const names = bundle.task === "classification" ? classNamesOf(bundle) : [];
  if (bundle.labels) parts.push(`label ${names[bundle.labels[i]] ?? bundle.labels[i]}`);
  if (bundle.targets)
    parts.push(`target ${formatNumber(bundle.targets.data[i * bundle.targets.cols])}`);
  if (bundle.predictions) {
    const p = bundle.predictions;
    if (bundle.task === "classification" && p.cols > 1) {
      const c = argmaxRows({
        rows: 1,
        cols: p.cols,
        data: p.data.subarray(i * p.cols, (i + 1) * p.cols),
      })[0];
      parts.push(`predicted ${names[c] ?? c}`);
    } else {
      parts.push(`predicted ${formatNumber(p.data[i * p.cols])}`);
    }
  }
  return parts.join(" · ");
}

/** Numbers for people: 4 significant digits, no exponent for ordinary magnitudes; NaN (undefined) as "—". */
export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return "—"; // undefined (e.g. a correlation of values without variance)
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && (Math.abs(v) >= 1e6 || Math.abs(v) < 1e-3)) return v.toExponential(3);
  return String(Number(v.toPrecision(4)));
}
