/**
 * The range rule of every float32 distance kernel: scale extreme data into range, or refuse them.
 *
 * The kernels sum squared differences in float32. Past |x| ≈ 1e19 the squares overflow to
 * Infinity, and below |x| ≈ 1e-19 they become subnormal or 0, so a diverged network's
 * activations would come out as NaN, nulls or ties. One rule, applied once at the entry of each
 * algorithm family, prevents that:
 *
 * 1. **Scale.** When the largest magnitude M of the data lies outside the kernels' band
 *    [2^-20, 2^21), the data are multiplied by the power of two 2^-⌊log₂ M⌋, which brings M into
 *    [1, 2). A power of two changes only exponents, so every value the kernels see is the data's
 *    value exactly, and results equal those of the rescaled data. Outputs that carry the data's
 *    units (distances, coordinates, weights, ε) are divided by the same power on the way out,
 *    and results report it as `rangeScale`. Data inside the band go through untouched
 *    (bit-identical to running without the rule).
 * 2. **Resolve or refuse.** In kernel units a float32 sum of squares resolves two rows down to
 *    a distance of 2^-60 (`RESOLUTION`: its square, 2^-120, is a normal float32). Two distinct
 *    float32 values differ by at least 2^-24 of the larger, so rows closer than that must differ
 *    only in values below 2^-36 (`TINY`) in magnitude. Such rows are found by hashing each row
 *    with its tiny values read as 0 and measuring the rows that collide in float64: distinct rows
 *    closer than 2^-60 mean the data span more orders of magnitude than float32 distances hold
 *    (e.g. a column at 1e30 beside columns at 1e-30 that separate rows), and the algorithm
 *    refuses with `E_RANGE`, naming the rows, their distance and the largest value. Data without
 *    tiny values — almost all data — skip this step.
 *
 * Cosine distances ignore a row's length: each row is brought into range by its own power of
 * two instead (`rowsToKernelRange`), which leaves the normalised rows bit-identical, and nothing
 * is refused (the metric's resolution is set by 1 − x̂·ŷ, not by the range).
 *
 * Float64 paths (PCA's covariance, CKA, Rips distances) hold every float32 value's square and
 * need no scaling (CKA takes √xx·√yy where the product of its sums would leave float64's range).
 * Diagram distances, in float64 but raising costs to a power q, apply the band with `scaleFor`.
 *
 * @example
 *   const { X: Xk, scale } = toKernelRange(X, "X");
 *   // … run the kernels on Xk …
 *   const distances = toDataUnits(kernelDistances, 1 / scale, "distances of X");
 *
 * See also: knn, pairwiseDistances, nnDescent (each applies the rule at its entry).
 */
import { HiddenAtlasError } from "../core/errors.ts";
import { assertFinite, type Matrix } from "../core/matrix.ts";

/** Data whose largest magnitude has binary exponent in [-20, 20] go to the kernels unscaled. */
export const RANGE_EXPONENT = 20;
/** Smallest distance float32 sums of squares resolve in kernel units: 2^-60 (square 2^-120 > 2^-126). */
export const RESOLUTION = 2 ** -60;
/** Values below 2^-36 can differ from another float32 by less than RESOLUTION (2^-36 × 2^-24). */
export const TINY = 2 ** -36;
/** Largest finite float32. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** Data in kernel units and the power of two that took them there. */
export interface KernelData {
  /** The rows in kernel units: the input itself when no scaling was needed. */
  X: Matrix;
  /** Kernel units per data unit: a power of two, 1 when the data were in range. */
  scale: number;
}

/** Largest magnitude and smallest non-zero magnitude of the values, after checking they are finite. */
function magnitudes(m: Matrix, name: string): { largest: number; smallest: number } {
  const data = m.data;
  let largest = 0;
  let smallest = Infinity;
  let bad = 0; // v − v is NaN exactly for NaN and ±Infinity: one sum, no branch per value
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    bad += v - v;
    const a = Math.abs(v);
    largest = a > largest ? a : largest;
    smallest = a !== 0 && a < smallest ? a : smallest;
  }
  if (bad !== 0) assertFinite(m, name); // throws E_NON_FINITE naming the cell
  return { largest, smallest };
}

/** ⌊log₂ x⌋ for x > 0, exact (Math.log2 can be off by one next to powers of two). */
function exponentOf(x: number): number {
  let e = Math.floor(Math.log2(x));
  if (2 ** e > x) e--;
  else if (2 ** (e + 1) <= x) e++;
  return e;
}

/** The power of two that brings `largest` into [1, 2), or 1 when it is 0 or inside the band. */
export function scaleFor(largest: number): number {
  if (largest === 0) return 1;
  const e = exponentOf(largest);
  return e >= -RANGE_EXPONENT && e <= RANGE_EXPONENT ? 1 : 2 ** -e;
}

/**
 * Copies this module made and checked, in kernel units: an algorithm that hands one to another
 * (geodesics to kNN, t-SNE to PCA) does not scan it twice. Only our own copies are listed, never
 * a caller's array, which the caller may change between calls.
 */
const inRange = new WeakSet<Float32Array>();

/** X times a power of two (each value rounded once to float32: exact unless it becomes subnormal). */
function scaled(X: Matrix, scale: number): Matrix {
  if (scale === 1) return X;
  const data = new Float32Array(X.data.length);
  for (let i = 0; i < data.length; i++) data[i] = X.data[i] * scale;
  inRange.add(data);
  return { rows: X.rows, cols: X.cols, data };
}

/**
 * The data in kernel units (the rule above), refusing with E_RANGE when distinct rows lie closer
 * than float32 distances resolve. Also checks finiteness (E_NON_FINITE).
 */
export function toKernelRange(X: Matrix, name = "X"): KernelData {
  const { matrices, scale } = jointKernelRange([X], [name]);
  return { X: matrices[0], scale };
}

/**
 * Several matrices whose rows are compared with each other (data and queries, X and Y), brought
 * into range by one common power of two and checked together. Only the first `checked` matrices
 * take part in the check: rows derived from the data (a SOM's weights, means of its rows) may
 * legitimately sit within rounding of a data row.
 */
export function jointKernelRange(
  list: Matrix[],
  names: string[],
  checked = list.length,
): { matrices: Matrix[]; scale: number } {
  if (list.every((m) => inRange.has(m.data))) return { matrices: list, scale: 1 };
  let largest = 0;
  let smallest = Infinity;
  list.forEach((m, i) => {
    const r = magnitudes(m, names[i]);
    largest = Math.max(largest, r.largest);
    smallest = Math.min(smallest, r.smallest);
  });
  const scale = scaleFor(largest);
  if (smallest * scale < TINY) checkResolved(list.slice(0, checked), names, scale, largest);
  return { matrices: list.map((m) => scaled(m, scale)), scale };
}

/**
 * Queries for data already brought into range by `scale` (a kNN index): scaled by the same
 * power, refused with E_RANGE when that leaves them outside the band or closer to each other
 * than float32 distances resolve.
 */
export function queriesToKernelRange(Q: Matrix, scale: number, name = "queries"): Matrix {
  const { largest, smallest } = magnitudes(Q, name);
  if (largest > 0 && exponentOf(largest * scale) > RANGE_EXPONENT) {
    throw new HiddenAtlasError(
      "E_RANGE",
      `${name} reach ${format(largest)}, more than 2^${RANGE_EXPONENT} times the indexed data's largest value (${format(1 / scale)}): their float32 distances would overflow; build the index on data of the same range`,
      { parameter: name, largest },
    );
  }
  if (smallest * scale < TINY) checkResolved([Q], [name], scale, largest);
  return scaled(Q, scale);
}

/**
 * Rows brought into range one by one, each by its own power of two (for cosine distances, which
 * ignore a row's length). Rows inside the band are left as they are.
 */
export function rowsToKernelRange(X: Matrix, name = "X"): Matrix {
  magnitudes(X, name);
  const { rows, cols } = X;
  let out: Float32Array | null = null;
  for (let i = 0; i < rows; i++) {
    let largest = 0;
    for (let k = i * cols; k < (i + 1) * cols; k++)
      largest = Math.max(largest, Math.abs(X.data[k]));
    const scale = scaleFor(largest);
    if (scale === 1) continue;
    out ??= Float32Array.from(X.data);
    for (let k = i * cols; k < (i + 1) * cols; k++) out[k] = X.data[k] * scale;
  }
  return out ? { rows, cols, data: out } : X;
}

/**
 * Kernel results back in the data's units: each value times `factor` (1/scale for distances and
 * coordinates, 1/scale² for squared distances), refused with E_RANGE when a finite non-zero value
 * would overflow float32 or vanish; `hint` says what to do instead. Infinity (unreachable) stays
 * Infinity. Returns `values` itself when factor is 1, and overwrites them with `inPlace`.
 */
export function toDataUnits(
  values: Float32Array,
  factor: number,
  what: string,
  hint = "rescale the data",
  inPlace = false,
): Float32Array {
  if (factor === 1) return values;
  const out = inPlace ? values : new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = v * factor;
    const w = out[i]; // the stored float32, not the float64 product
    if (v !== 0 && Number.isFinite(v) && (w === 0 || !Number.isFinite(w))) {
      const value = v * factor;
      throw new HiddenAtlasError(
        "E_RANGE",
        `${what} reach ${format(value)}, outside the range of float32 (${format(2 ** -149)} to ${format(FLOAT32_MAX)}); ${hint}`,
        { value },
      );
    }
  }
  return out;
}

/** `{rangeScale}` for result params when the data were scaled; nothing otherwise. */
export function rangeParams(scale: number): { rangeScale?: number } {
  return scale === 1 ? {} : { rangeScale: scale };
}

/** Short number for messages: 3 significant digits, exponent form outside [1e-3, 1e6). */
function format(x: number): string {
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return x.toExponential(2).replace(/\.?0+e/, "e");
  return String(Number(x.toPrecision(3)));
}

// Rows and their kernel units, addressed across several matrices.
interface RowRef {
  matrix: number;
  row: number;
}

/**
 * Throw E_RANGE when two distinct rows of the matrices (in kernel units: values × scale) are
 * closer than RESOLUTION. Candidates are rows equal after every tiny value is read as 0 (an
 * unresolved pair differs only in tiny values); they are bucketed by a hash of that coarse row
 * and measured in float64 with an early exit once a pair is known to be resolved.
 */
function checkResolved(list: Matrix[], names: string[], scale: number, largest: number): void {
  const tiny = TINY / scale;
  const buckets = new Map<number, RowRef[]>();
  list.forEach((m, mi) => {
    const bits = new Uint32Array(m.data.buffer, m.data.byteOffset, m.data.length);
    for (let r = 0; r < m.rows; r++) {
      let h = 0x811c9dc5;
      for (let k = r * m.cols; k < (r + 1) * m.cols; k++) {
        const v = m.data[k];
        const word = (v < 0 ? -v : v) < tiny ? 0 : bits[k];
        h = Math.imul(h ^ word, 0x01000193);
      }
      const ref = { matrix: mi, row: r };
      const bucket = buckets.get(h);
      if (bucket) bucket.push(ref);
      else buckets.set(h, [ref]);
    }
  });
  const limit = RESOLUTION * RESOLUTION;
  const cols = list[0]?.cols ?? 0;
  for (const bucket of buckets.values()) {
    for (let a = 1; a < bucket.length; a++) {
      const A = list[bucket[a].matrix].data;
      const ao = bucket[a].row * cols;
      for (let b = 0; b < a; b++) {
        const B = list[bucket[b].matrix].data;
        const bo = bucket[b].row * cols;
        let sum = 0;
        for (let k = 0; k < cols && sum < limit; k++) {
          const t = (A[ao + k] - B[bo + k]) * scale;
          sum += t * t;
        }
        if (sum > 0 && sum < limit)
          throw unresolved(
            list,
            names,
            bucket[b],
            bucket[a],
            Math.sqrt(sum) / scale,
            largest,
            scale,
          );
      }
    }
  }
}

function unresolved(
  list: Matrix[],
  names: string[],
  p: RowRef,
  q: RowRef,
  distance: number,
  largest: number,
  scale: number,
): HiddenAtlasError {
  const pair =
    list.length === 1
      ? `rows ${p.row} and ${q.row}`
      : `${names[p.matrix]} row ${p.row} and ${names[q.matrix]} row ${q.row}`;
  const name = [...new Set(names.slice(0, list.length))].join(" and ");
  return new HiddenAtlasError(
    "E_RANGE",
    `${name} span more orders of magnitude than float32 distances resolve: ${pair} are ${format(distance)} apart while values reach ${format(largest)}, and float32 distances resolve no less than ${format(RESOLUTION / scale)} at that magnitude. Rescale, drop the columns that carry the smallest differences, or analyse them separately`,
    { parameter: name, largest, distance, rows: [p.row, q.row] },
  );
}
