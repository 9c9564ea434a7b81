/**
 * NdArray: what the format readers return. A shape, the dtype the file declared, and the
 * values in the typed array that holds them without loss (see `dtype.ts` for the mapping).
 * Plain objects, like Matrix, so they cross worker boundaries unchanged.
 */
import { HiddenAtlasError } from "../core/errors.ts";
import type { Matrix } from "../core/matrix.ts";

export {
  float16BitsToNumber,
  float32ToFloat16Bits,
  bfloat16BitsToNumber,
  float32ToBfloat16Bits,
} from "./float16.ts";

/** The typed arrays a reader returns and a writer accepts. */
export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array;

export interface NdArray {
  /** Dimensions in C (row-major) order; [] for a 0-d array. */
  shape: number[];
  /**
   * The file's dtype as a normalised NumPy descr: byte order `<`, `>` or `|` (1-byte types),
   * kind and size, e.g. "<f4", "|u1", "<f2", ">i8". safetensors `BF16`, which NumPy lacks,
   * is "bfloat16".
   */
  dtype: string;
  /**
   * Values in C order and host byte order: f2/bf16 widened to Float32Array, i8/u8 to
   * Float64Array (exact up to 2^53), b1 to Uint8Array of 0/1, the rest in their own type.
   */
  data: TypedArray;
}

/** What the writers accept: an NdArray whose dtype may be left out (it follows the data). */
export interface NdArrayLike {
  shape: readonly number[];
  data: TypedArray;
  /** Output encoding; see `encodeElements` for the choices each typed array allows. */
  dtype?: string;
}

/** The number of elements of an array of this shape (1 for a 0-d array). */
export function size(shape: readonly number[]): number {
  let count = 1;
  for (const dim of shape) count *= dim;
  return count;
}

/** A shape as Python prints a tuple: "()", "(3,)", "(2, 3)"; .npy headers and messages use it. */
export function formatShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

/** `data` as float32, sharing it when it already is. */
export function toFloat32(arr: { data: TypedArray }): Float32Array {
  return arr.data instanceof Float32Array ? arr.data : Float32Array.from(arr.data);
}

/**
 * View an N x ... array as an N x D float32 Matrix, one sample per row: trailing dimensions
 * are flattened in C order (a conv activation N x C x H x W becomes N x CHW) and a 1-D array
 * becomes N x 1. `name` says which array in the error for a 0-d input.
 */
export function toMatrix(
  arr: { shape: readonly number[]; data: TypedArray },
  name: string,
): Matrix {
  if (arr.shape.length === 0) {
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `${name} is a 0-d array; expected at least one dimension (samples)`,
      { name },
    );
  }
  const rows = arr.shape[0];
  const cols = size(arr.shape.slice(1));
  if (arr.data.length !== rows * cols) {
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `${name} has ${arr.data.length} values, expected ${rows * cols} for shape ` +
        formatShape(arr.shape),
      { name },
    );
  }
  return { rows, cols, data: toFloat32(arr) };
}
