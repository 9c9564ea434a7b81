/**
 * The colours of a scatter's points: one straight RGBA per drawn point for the WebGL and raster
 * renderers, a CSS colour per point for SVG dots, and the Plot scale of the legend, so all three
 * show a class or a value in the same colour. Categorical columns use Plot's "observable10"
 * (turbo beyond ten classes); continuous ones a 256-step viridis ramp (8-bit channels show no
 * finer step). Samples without a value (NaN) are grey and counted.
 */
import * as Plot from "@observablehq/plot";
import { color as parseColor } from "d3";
import type { SampleColumn } from "../analyses/columns.ts";
import { HiddenAtlasError } from "../core/errors.ts";

/** Largest categorical domain drawn with a categorical scheme; more classes use turbo. */
const MAX_CATEGORICAL_SWATCHES = 10;
/** Points without a colour value (NaN) are drawn in this grey. */
export const MISSING_COLOR = "#999999";
/** Points of a scatter without a colour column (Plot's first categorical colour). */
const NO_COLOUR = "#4269d0";
/** Steps of a continuous colour ramp: 8-bit colour channels show no finer difference. */
const RAMP_STEPS = 256;

export interface Coloring {
  /** Straight RGBA per drawn point. */
  rgba: Uint8Array;
  /** CSS colour per drawn point (static SVG only). */
  css: (p: number) => string;
  legend: Plot.ScaleOptions | null;
  /** Text of the colour value of sample i, for tooltips and exports. */
  valueText: (i: number) => string;
  missing: number;
}

/** Per-point colours for the drawn points, the legend's scale, and the value text of a sample. */
export function coloring(color: SampleColumn | null, samples: Int32Array, total: number): Coloring {
  const n = samples.length;
  const rgba = new Uint8Array(4 * n);
  // Colours are parsed once per class or ramp step, then copied per point (1 M points in ms).
  const slot = new Int32Array(n);
  const paintAll = (palette: string[]) => {
    const table = new Uint8Array(4 * palette.length);
    palette.forEach((css, k) => {
      const c = parseColor(css)!.rgb();
      table.set([Math.round(c.r), Math.round(c.g), Math.round(c.b), 255], 4 * k);
    });
    for (let p = 0; p < n; p++) {
      const o = 4 * slot[p];
      rgba[4 * p] = table[o];
      rgba[4 * p + 1] = table[o + 1];
      rgba[4 * p + 2] = table[o + 2];
      rgba[4 * p + 3] = table[o + 3];
    }
    return (p: number) => palette[slot[p]];
  };
  if (!color) {
    return { rgba, css: paintAll([NO_COLOUR]), legend: null, valueText: () => "", missing: 0 };
  }
  if (color.values.length < total) {
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `scatter: colour column "${color.title}" has ${color.values.length} values for ${total} samples (expected one per sample)`,
    );
  }
  let missing = 0;
  if (color.type === "categorical") {
    const names = color.classNames ?? [];
    const nameOf = (v: number) => (Number.isFinite(v) ? (names[v] ?? String(v)) : "");
    const seen = new Set<string>();
    const seenValues = new Set<number>();
    for (let p = 0; p < n; p++) seenValues.add(color.values[samples[p]]);
    for (const v of seenValues) if (Number.isFinite(v)) seen.add(nameOf(v));
    const domain =
      names.length > 0
        ? [...names, ...[...seen].filter((s) => !names.includes(s)).sort()]
        : [...seen].sort();
    const scheme = domain.length <= MAX_CATEGORICAL_SWATCHES ? "observable10" : "turbo";
    const scale = Plot.scale({ color: { type: "categorical", domain, scheme } });
    const palette = [...domain.map((d) => String(scale.apply(d))), MISSING_COLOR];
    const slotOfName = new Map(domain.map((d, k) => [d, k]));
    const slotOfValue = new Map<number, number>();
    for (const v of seenValues)
      slotOfValue.set(v, Number.isFinite(v) ? slotOfName.get(nameOf(v))! : domain.length);
    for (let p = 0; p < n; p++) {
      slot[p] = slotOfValue.get(color.values[samples[p]])!;
      if (slot[p] === domain.length) missing++;
    }
    return {
      rgba,
      css: paintAll(palette),
      legend: {
        type: "categorical",
        domain,
        range: palette.slice(0, domain.length),
        label: color.title,
      },
      valueText: (i) => nameOf(color.values[i]),
      missing,
    };
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (let p = 0; p < n; p++) {
    const v = color.values[samples[p]];
    if (Number.isFinite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (lo > hi) [lo, hi] = [0, 1];
  const scale = Plot.scale({ color: { type: "linear", scheme: "viridis", domain: [lo, hi] } });
  // 256 ramp steps: the 8-bit colour channels cannot show finer differences.
  const palette = [
    ...Array.from({ length: RAMP_STEPS }, (_, k) =>
      String(scale.apply(lo + ((hi - lo) * k) / (RAMP_STEPS - 1))),
    ),
    MISSING_COLOR,
  ];
  for (let p = 0; p < n; p++) {
    const v = color.values[samples[p]];
    if (!Number.isFinite(v)) {
      missing++;
      slot[p] = RAMP_STEPS;
    } else {
      slot[p] = hi > lo ? Math.round(((v - lo) / (hi - lo)) * (RAMP_STEPS - 1)) : 0;
    }
  }
  return {
    rgba,
    css: paintAll(palette),
    legend: { type: "linear", scheme: "viridis", domain: [lo, hi], label: color.title },
    valueText: (i) => formatCoordinate(color.values[i]),
    missing,
  };
}

/** A number for people: 4 significant digits. */
export function formatCoordinate(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return String(Number(v.toPrecision(4)));
}
