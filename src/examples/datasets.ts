/**
 * The image data sets the example recipes train on, in one shape: N grey images of h × w bytes
 * with integer labels. Loading them from disk or from the notebook site is the caller's job
 * (src/examples/node.ts, the notebooks); everything here is pure and deterministic.
 */
import { HiddenAtlasError } from "../core/errors.ts";
import { Rng, STREAMS } from "../core/random.ts";
import { getCore } from "../core/wasm.ts";
import type { NdArray } from "../io/ndarray.ts";
import { takeRows as takeMatrixRows } from "../core/matrix.ts";

export interface ImageDataset {
  name: string;
  /** N × height × width grey values, row-major. */
  images: Uint8Array;
  height: number;
  width: number;
  /** The largest possible pixel value (16 for the 8×8 digits, 255 for Fashion-MNIST). */
  maxValue: number;
  labels: Int32Array;
  classNames: string[];
}

export const DIGIT_CLASSES = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
export const FASHION_CLASSES = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
];

/** Build a dataset from image and label arrays (N × h × w bytes, N labels). */
export function imageDataset(
  name: string,
  images: NdArray,
  labels: NdArray,
  classNames: string[],
  maxValue: number,
): ImageDataset {
  if (
    images.shape.length !== 3 ||
    labels.shape.length !== 1 ||
    images.shape[0] !== labels.shape[0]
  ) {
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `${name}: expected N × h × w images and N labels, got [${images.shape.join(", ")}] and [${labels.shape.join(", ")}]`,
    );
  }
  const n = labels.shape[0];
  const labelArray = Int32Array.from(labels.data as ArrayLike<number>);
  for (let i = 0; i < n; i++) {
    if (labelArray[i] < 0 || labelArray[i] >= classNames.length) {
      throw new HiddenAtlasError(
        "E_PARAM",
        `${name}: label ${labelArray[i]} of image ${i} is outside 0 … ${classNames.length - 1}`,
      );
    }
  }
  return {
    name,
    images: Uint8Array.from(images.data as ArrayLike<number>),
    height: images.shape[1],
    width: images.shape[2],
    maxValue,
    labels: labelArray,
    classNames,
  };
}

export function size(ds: ImageDataset): number {
  return ds.labels.length;
}

/** Pixels scaled to [0, 1] as float32 rows (N × h·w), for the given samples (default all). */
export function scaledPixels(ds: ImageDataset, indices?: ArrayLike<number>): Float32Array {
  const plane = ds.height * ds.width;
  const rows = indices ?? Int32Array.from({ length: size(ds) }, (_, i) => i);
  const out = new Float32Array(rows.length * plane);
  const scale = 1 / ds.maxValue;
  for (let r = 0; r < rows.length; r++) {
    const base = rows[r] * plane;
    for (let p = 0; p < plane; p++) out[r * plane + p] = ds.images[base + p] * scale;
  }
  return out;
}

/** A seeded split: `testFraction` of the samples (rounded) get 1 (test), the rest 0 (train). */
export async function seededSplit(
  n: number,
  testFraction: number,
  seed: number,
): Promise<Uint8Array> {
  const rng = new Rng(await getCore(), seed, STREAMS.exampleSplit);
  try {
    const order = rng.permutation(n);
    const split = new Uint8Array(n);
    const tests = Math.round(n * testFraction);
    for (let i = 0; i < tests; i++) split[order[i]] = 1;
    return split;
  } finally {
    rng.dispose();
  }
}

/** Indices where split equals `which` (0 train, 1 test), ascending. */
export function splitIndices(split: Uint8Array, which: 0 | 1): Int32Array {
  const out: number[] = [];
  split.forEach((s, i) => s === which && out.push(i));
  return Int32Array.from(out);
}

/**
 * A trace set: `perClass` seeded samples of each class drawn from `pool`, ordered by class
 * then by index (as the M-PHATE scripts choose 10 inputs per class).
 */
export async function traceSet(
  labels: Int32Array,
  pool: Int32Array,
  classes: number,
  perClass: number,
  seed: number,
): Promise<Int32Array> {
  const rng = new Rng(await getCore(), seed, STREAMS.traceSet);
  try {
    const order = rng.permutation(pool.length);
    const chosen: number[][] = Array.from({ length: classes }, () => []);
    for (const o of order) {
      const i = pool[o];
      if (chosen[labels[i]].length < perClass) chosen[labels[i]].push(i);
    }
    const short = chosen.findIndex((c) => c.length < perClass);
    if (short >= 0)
      throw new HiddenAtlasError(
        "E_PARAM",
        `class ${short} has only ${chosen[short].length} samples; the trace set needs ${perClass}`,
      );
    return Int32Array.from(chosen.flatMap((c) => c.sort((a, b) => a - b)));
  } finally {
    rng.dispose();
  }
}

/** Rows of a row-major float matrix (n × cols) at the given indices. */
export function takeRows(
  values: Float32Array,
  cols: number,
  indices: ArrayLike<number>,
): Float32Array {
  return takeMatrixRows({ rows: values.length / cols, cols, data: values }, indices).data;
}

/** Entries of an array at the given indices. */
export function takeLabels(labels: Int32Array, indices: ArrayLike<number>): Int32Array {
  return Int32Array.from({ length: indices.length }, (_, r) => labels[indices[r]]);
}
