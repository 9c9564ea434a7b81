/**
 * Matrix: the data contract between io, algo and analyses. Row-major float32, one sample per
 * row. Plain objects (no methods) so they cross worker boundaries and serialise to .npy as is.
 */
import { HiddenAtlasError } from "./errors.ts";

export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  /** Row-major values, length rows * cols. */
  readonly data: Float32Array;
}

/** Wrap `data` as a rows x cols matrix, checking the length. */
export function matrix(rows: number, cols: number, data?: ArrayLike<number>): Matrix {
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 0) {
    throw new HiddenAtlasError("E_PARAM", `invalid matrix shape: ${rows} x ${cols}`);
  }
  const values =
    data === undefined
      ? new Float32Array(rows * cols)
      : data instanceof Float32Array
        ? data
        : Float32Array.from(data);
  if (values.length !== rows * cols) {
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `matrix data has ${values.length} values, expected ${rows} x ${cols} = ${rows * cols}`,
    );
  }
  return { rows, cols, data: values };
}

/** Build a matrix from an array of equal-length rows. */
export function fromRows(rows: ArrayLike<number>[]): Matrix {
  const n = rows.length;
  const d = n === 0 ? 0 : rows[0].length;
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    if (rows[i].length !== d) {
      throw new HiddenAtlasError(
        "E_SHAPE_MISMATCH",
        `row ${i} has ${rows[i].length} values, expected ${d} like row 0`,
      );
    }
    data.set(rows[i], i * d);
  }
  return { rows: n, cols: d, data };
}

/** A view of row i (no copy). */
export function row(m: Matrix, i: number): Float32Array {
  return m.data.subarray(i * m.cols, (i + 1) * m.cols);
}

/** Check that a value is a well-formed Matrix; `name` is used in the error message. */
export function assertMatrix(m: unknown, name = "X"): asserts m is Matrix {
  const x = m as Matrix;
  if (
    x === null ||
    typeof x !== "object" ||
    !(x.data instanceof Float32Array) ||
    !Number.isInteger(x.rows) ||
    !Number.isInteger(x.cols) ||
    x.rows < 0 ||
    x.cols < 0
  ) {
    throw new HiddenAtlasError(
      "E_PARAM",
      `invalid ${name}: expected a Matrix {rows, cols, data: Float32Array}`,
    );
  }
  if (x.data.length !== x.rows * x.cols) {
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `${name}.data has ${x.data.length} values, expected ${x.rows} x ${x.cols}`,
    );
  }
}

/** Throw E_NON_FINITE naming the first NaN/Infinity (row, column) of `m`. */
export function assertFinite(m: Matrix, name = "X"): void {
  const { data, cols } = m;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v - v !== 0) {
      const r = cols === 0 ? 0 : Math.floor(i / cols);
      const c = cols === 0 ? 0 : i % cols;
      throw new HiddenAtlasError(
        "E_NON_FINITE",
        `${name} has a non-finite value (${v}) at row ${r}, column ${c}`,
        { row: r, column: c },
      );
    }
  }
}

/** Rows of X in the order of `indices`, as a new matrix. */
export function takeRows(X: Matrix, indices: ArrayLike<number>): Matrix {
  const data = new Float32Array(indices.length * X.cols);
  for (let r = 0; r < indices.length; r++) {
    const i = indices[r];
    data.set(X.data.subarray(i * X.cols, (i + 1) * X.cols), r * X.cols);
  }
  return { rows: indices.length, cols: X.cols, data };
}

/** RMS distance of the rows to their mean: a cloud's scale (1 for a constant cloud, so it can divide). */
export function rmsDistanceToMean(X: Matrix): number {
  const mean = new Float64Array(X.cols);
  for (let i = 0; i < X.rows; i++)
    for (let k = 0; k < X.cols; k++) mean[k] += X.data[i * X.cols + k];
  for (let k = 0; k < X.cols; k++) mean[k] /= Math.max(1, X.rows);
  let total = 0;
  for (let i = 0; i < X.rows; i++)
    for (let k = 0; k < X.cols; k++) total += (X.data[i * X.cols + k] - mean[k]) ** 2;
  const rms = Math.sqrt(total / Math.max(1, X.rows));
  return rms > 0 ? rms : 1;
}
