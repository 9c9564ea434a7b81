/**
 * Mapper's lens and cover: each point gets one or two filter values, and the filter range is
 * covered by overlapping intervals (their products in 2-D).
 *
 * Cover convention (fitted, as KeplerMapper PR #242 and MapperInteractive): with range
 * R = max − min, n intervals and overlap p, every interval has length L = R / (n − (n − 1)p)
 * and starts at min + i·L·(1 − p), so the first begins at min, the last ends at max, and
 * adjacent intervals share exactly p·L. KeplerMapper's own cover centres intervals at
 * min + (i + ½)R/n with half-width R/(2n(1 − p)), so its end intervals overhang the data and
 * hold fewer points; "kepler" is that overhanging cover, for reproducing KeplerMapper (and the
 * scripts built on it, e.g. Purvine et al.'s). Intervals are closed. "balanced" places the
 * fitted intervals on the rank scale (quantiles), so each holds about the same number of
 * points, as giotto-tda's balanced cover.
 */
import { HiddenAtlasError } from "../../core/errors.ts";

export const COVERS = ["uniform", "balanced", "kepler"] as const;
export type CoverKind = (typeof COVERS)[number];

export interface CoverElement {
  /** Interval index per lens dimension. */
  cell: number[];
  /** Closed lens bounds per dimension: [lo, hi]. */
  bounds: [number, number][];
  /** Rows whose lens falls in every bound, ascending. */
  members: Int32Array;
}

/** Interval bounds fitted to [lo, hi]: n intervals of length L with overlap fraction p. */
export function intervals(lo: number, hi: number, n: number, overlap: number): [number, number][] {
  const length = (hi - lo) / (n - (n - 1) * overlap);
  const step = length * (1 - overlap);
  const out: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    const start = lo + i * step;
    out.push([start, i === n - 1 ? hi : start + length]);
  }
  return out;
}

/**
 * KeplerMapper's overhanging intervals on [lo, hi]: centres at lo + (i + ½)·R/n, half-width
 * R / (2n(1 − p)), so adjacent intervals share the fraction p of each and the end intervals
 * reach R·p / (2n(1 − p)) beyond the data.
 */
export function overhangingIntervals(
  lo: number,
  hi: number,
  n: number,
  overlap: number,
): [number, number][] {
  const range = hi - lo;
  const radius = range / (2 * n * (1 - overlap));
  return Array.from({ length: n }, (_, i) => {
    const centre = lo + ((i + 0.5) * range) / n;
    return [centre - radius, centre + radius] as [number, number];
  });
}

/** Value at quantile q ∈ [0, 1] of sorted values (linear interpolation, NumPy's default). */
function quantile(sorted: Float64Array, q: number): number {
  const at = q * (sorted.length - 1);
  const i = Math.floor(at);
  const frac = at - i;
  return i + 1 < sorted.length ? sorted[i] + frac * (sorted[i + 1] - sorted[i]) : sorted[i];
}

/** The intervals of one lens dimension, in lens units. */
export function dimensionIntervals(
  values: Float64Array,
  n: number,
  overlap: number,
  kind: CoverKind,
): [number, number][] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (kind === "uniform") return intervals(lo, hi, n, overlap);
  if (kind === "kepler") return overhangingIntervals(lo, hi, n, overlap);
  const sorted = Float64Array.from(values).sort();
  return intervals(0, 1, n, overlap).map(([a, b]) => [quantile(sorted, a), quantile(sorted, b)]);
}

/**
 * Cover elements of a 1- or 2-D lens (`lens[dim][row]`), in cell order (first dimension
 * slowest). Empty elements are kept out; a constant lens dimension gives one interval.
 */
export function cover(
  lens: Float64Array[],
  n: number,
  overlap: number,
  kind: CoverKind,
): CoverElement[] {
  if (lens.length < 1 || lens.length > 2) {
    throw new HiddenAtlasError(
      "E_PARAM",
      `the lens must have 1 or 2 dimensions; got ${lens.length}`,
    );
  }
  const rows = lens[0].length;
  const perDim = lens.map((values) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of values) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    return hi > lo
      ? dimensionIntervals(values, n, overlap, kind)
      : ([[lo, hi]] as [number, number][]);
  });
  const cells: number[][] =
    perDim.length === 1
      ? perDim[0].map((_, i) => [i])
      : perDim[0].flatMap((_, i) => perDim[1].map((_, j) => [i, j]));
  const elements: CoverElement[] = [];
  const buffer = new Int32Array(rows);
  const first = lens[0];
  const second = lens.length > 1 ? lens[1] : null;
  for (const cell of cells) {
    const bounds = cell.map((c, dim) => perDim[dim][c]);
    const [lo0, hi0] = bounds[0];
    const [lo1, hi1] = second ? bounds[1] : [0, 0];
    let count = 0;
    for (let r = 0; r < rows; r++) {
      const v = first[r];
      if (!(v >= lo0 && v <= hi0)) continue;
      if (second && !(second[r] >= lo1 && second[r] <= hi1)) continue;
      buffer[count++] = r;
    }
    if (count > 0) elements.push({ cell, bounds, members: buffer.slice(0, count) });
  }
  return elements;
}
