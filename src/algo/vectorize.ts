/**
 * Turning a layer's activations into one vector per sample.
 *
 * Dense activations (N × D, or any N × … that is not a conv map) are flattened. Conv
 * activations (N × C × H × W) need a named choice, because the choice drives the results
 * (Purvine et al. 2023 use the top-ℓ2 spatial vector for persistent homology; Lee & Vijayan's
 * functional codes flip with global average pooling vs flattening):
 *
 * - "gap":        global average pool, C values per sample (default for conv maps);
 * - "flatten":    all C·H·W values;
 * - "top-l2":     the C-vector at the spatial position with the largest ℓ2 norm;
 * - "random":     the C-vector at one seeded random position per sample, drawn from
 *                 rows/columns 1 … H−1 / W−1 as in the Purvine et al. mapper scripts (only
 *                 index 0 excluded).
 *
 * `layerMatrix` is the one door analyses go through. A layer held in memory is reduced in
 * place. A layer opened lazily (io/bundle.ts `LazyLayer`, or its copy in a worker) is streamed
 * from its file in row chunks and each chunk reduced as it arrives, so only the reduced
 * vectors and one chunk are ever resident: that working set, not the file, must fit the
 * memory budget (E_TOO_LARGE otherwise, naming the bytes and the remedy). Reduced layers are
 * cached per layer object and (vectorisation, seed), so switching between layers and back
 * reads nothing again.
 */
import { HiddenAtlasError, formatBytes } from "../core/errors.ts";
import type { Matrix } from "../core/matrix.ts";
import { checkKeyword } from "../core/params.ts";
import { DEFAULT_SEED, Rng, checkSeed, STREAMS } from "../core/random.ts";
import { getCore } from "../core/wasm.ts";
import { budgetName, describeBytes, memoryBudget } from "../io/limits.ts";
import { rowLength, storedRows, type RowChunk, type StoredArray } from "../io/stored.ts";

export const VECTORIZATIONS = ["gap", "flatten", "top-l2", "random"] as const;
export type Vectorization = (typeof VECTORIZATIONS)[number];

/** The activations of one layer as stored: shape[0] samples, row-major. */
export interface LayerData {
  name: string;
  shape: readonly number[];
  /** The activations, row-major; absent (or a getter that throws) when `stored` is set. */
  data?: Float32Array;
  /** "conv" for N × C × H × W maps; inferred from the rank when absent. */
  kind?: "dense" | "conv";
  /** Where the activations lie, for a layer opened lazily: `layerMatrix` streams them. */
  stored?: StoredArray;
}

export interface VectorizeOptions {
  /** How conv maps become vectors; ignored for dense layers. Defaults to "gap". */
  method?: Vectorization;
  /** Seed for method "random". Defaults to 42. */
  seed?: number;
}

/** Bytes of one streamed chunk (raw plus float32) aimed for; a single larger row is allowed. */
const CHUNK_TARGET_BYTES = 16 << 20;
const FLOAT32_BYTES = 4;

/**
 * Released when the layer streaming now has been read: layers asked for side by side (an
 * analysis over every layer) stream one after the other, so only one chunk buffer is resident
 * at a time. They share one thread and one disk, so nothing is slower for it.
 */
let streaming: Promise<void> = Promise.resolve();

/** Reduced lazily read layers, by layer object and "method|seed". */
const reducedLayers = new WeakMap<object, Map<string, Promise<Matrix>>>();

/** True when the layer is a conv map (N × C × H × W). */
export function isConvLayer(layer: LayerData): boolean {
  return (
    (layer.kind ?? (layer.shape.length === 4 ? "conv" : "dense")) === "conv" &&
    layer.shape.length === 4
  );
}

/** Columns of `layerMatrix(layer, { method })`: channels for a reduced conv map, else all values of a row. */
export function vectorizedWidth(layer: LayerData, method: Vectorization): number {
  if (isConvLayer(layer) && method !== "flatten") return layer.shape[1];
  return layer.shape.slice(1).reduce((a, b) => a * b, 1);
}

/**
 * One row per sample. Dense layers held in memory are flattened without copying; lazily
 * opened layers are streamed and reduced chunk by chunk, then cached.
 *
 * @example
 * const X = await layerMatrix(bundle.layers[0], { method: "gap" }); // N × C for a conv map
 */
export async function layerMatrix(
  layer: LayerData,
  options: VectorizeOptions = {},
): Promise<Matrix> {
  const requested = checkKeyword("vectorize", options.method ?? "gap", VECTORIZATIONS);
  const method: Vectorization = isConvLayer(layer) ? requested : "flatten";
  const seed = method === "random" ? checkSeed(options.seed ?? DEFAULT_SEED) : DEFAULT_SEED;
  if (layer.stored !== undefined) return streamedMatrix(layer, layer.stored, method, seed);

  const data = layer.data;
  const n = layer.shape[0] ?? 0;
  const total = layer.shape.reduce((a, b) => a * b, 1);
  if (data === undefined || total !== data.length) {
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `layer ${JSON.stringify(layer.name)} has ${data?.length ?? 0} values but shape [${layer.shape.join(", ")}]`,
    );
  }
  if (method === "flatten") return { rows: n, cols: n === 0 ? 0 : total / n, data };
  const reducer = await Reducer.create(layer.shape, method, seed);
  reducer.add({ start: 0, rows: n, values: data });
  return reducer.matrix();
}

/** The cached reduction of a lazily opened layer, streaming the file the first time. */
function streamedMatrix(
  layer: LayerData,
  stored: StoredArray,
  method: Vectorization,
  seed: number,
): Promise<Matrix> {
  let cache = reducedLayers.get(layer);
  if (cache === undefined) reducedLayers.set(layer, (cache = new Map()));
  const key = method === "random" ? `${method}|${seed}` : method;
  const cached = cache.get(key);
  if (cached !== undefined) {
    return cached.then((m) => {
      // A result whose buffer a worker transferred away is detached: read the layer again.
      if (m.data.length === m.rows * m.cols) return m;
      cache.delete(key);
      return streamedMatrix(layer, stored, method, seed);
    });
  }
  const pending = reduceStored(layer, stored, method, seed);
  cache.set(key, pending);
  pending.catch(() => cache.delete(key));
  return pending;
}

async function reduceStored(
  layer: LayerData,
  stored: StoredArray,
  method: Vectorization,
  seed: number,
): Promise<Matrix> {
  const n = stored.shape[0] ?? 0;
  const width = rowLength(stored);
  const outCols = method === "flatten" ? width : stored.shape[1];
  const outBytes = n * outCols * FLOAT32_BYTES;
  const perRow = width * (stored.type.itemsize + FLOAT32_BYTES);
  const budget = memoryBudget();
  if (outBytes + perRow > budget) {
    const remedy = isConvLayer(layer)
      ? "choose another vectorisation (gap, top-l2, random) or use fewer samples"
      : "use fewer samples";
    throw new HiddenAtlasError(
      "E_TOO_LARGE",
      `layer '${layer.name}' (${stored.location.label}): vectorize "${method}" needs ` +
        `${describeBytes(outBytes + perRow)} as float32 (${n} × ${outCols} values and one row ` +
        `being read), more than the ${formatBytes(budget)} ${budgetName()}; ${remedy}`,
      { file: stored.location.label, layer: layer.name, bytesNeeded: outBytes + perRow },
    );
  }
  const rowsPerChunk = Math.max(
    1,
    Math.floor(Math.min(budget - outBytes, CHUNK_TARGET_BYTES) / Math.max(perRow, 1)),
  );
  const previous = streaming;
  let release!: () => void;
  streaming = new Promise<void>((resolve) => (release = resolve));
  try {
    await previous;
    const reducer = await Reducer.create(stored.shape, method, seed);
    // Flattened rows are decoded straight into the result.
    const into = method === "flatten" ? reducer.matrix().data : undefined;
    for await (const chunk of storedRows(stored, rowsPerChunk, into)) reducer.add(chunk);
    return reducer.matrix();
  } finally {
    release();
  }
}

/** Reduces row chunks (in order, any sizes) into the N × outCols matrix of one vectorisation. */
class Reducer {
  private readonly out: Float32Array;
  private readonly cols: number;

  private constructor(
    private readonly n: number,
    private readonly shape: readonly number[],
    private readonly method: Vectorization,
    /** Seeded spatial positions per sample (method "random"). */
    private readonly positions: Int32Array | null,
  ) {
    const width = shape.slice(1).reduce((a, b) => a * b, 1);
    this.cols = method === "flatten" ? width : shape[1];
    this.out = new Float32Array(n * this.cols);
  }

  static async create(
    shape: readonly number[],
    method: Vectorization,
    seed: number,
  ): Promise<Reducer> {
    const n = shape[0] ?? 0;
    if (method !== "random") return new Reducer(n, shape, method, null);
    const [, , h, w] = shape;
    const core = await getCore();
    const rng = new Rng(core, seed, STREAMS.randomPosition);
    try {
      const positions = new Int32Array(n);
      // Rows/columns 1 … h−1 (index 0 excluded); a 1-wide axis has only index 0.
      for (let i = 0; i < n; i++) {
        const r = h > 1 ? 1 + rng.int(h - 1) : 0;
        const col = w > 1 ? 1 + rng.int(w - 1) : 0;
        positions[i] = r * w + col;
      }
      return new Reducer(n, shape, method, positions);
    } finally {
      rng.dispose();
    }
  }

  add({ start, rows, values: x }: RowChunk): void {
    const { out, method } = this;
    if (method === "flatten") {
      const at = start * this.cols;
      // Rows decoded in place (storedRows' `into`) are already there.
      if (x.buffer !== out.buffer || x.byteOffset !== out.byteOffset + at * FLOAT32_BYTES)
        out.set(x.subarray(0, rows * this.cols), at);
      return;
    }
    const [, c, h, w] = this.shape;
    const plane = h * w;
    for (let r = 0; r < rows; r++) {
      const i = start + r;
      const base = r * c * plane;
      if (method === "gap") {
        for (let ch = 0; ch < c; ch++) {
          let s = 0;
          for (let p = 0; p < plane; p++) s += x[base + ch * plane + p];
          out[i * c + ch] = s / plane;
        }
        continue;
      }
      let position: number;
      if (method === "top-l2") {
        position = -1;
        let bestNorm = -1;
        for (let p = 0; p < plane; p++) {
          let s = 0;
          for (let ch = 0; ch < c; ch++) s += x[base + ch * plane + p] ** 2;
          if (s > bestNorm) {
            bestNorm = s;
            position = p;
          }
        }
      } else {
        position = this.positions![i];
      }
      for (let ch = 0; ch < c; ch++) out[i * c + ch] = x[base + ch * plane + position];
    }
  }

  matrix(): Matrix {
    return { rows: this.n, cols: this.cols, data: this.out };
  }
}
