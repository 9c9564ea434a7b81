/**
 * Turning a layer's activations into one vector per sample.
 *
 * Dense activations (N × D, or any N × … that is not a conv map) are flattened. Conv
 * activations (N × C × H × W) need a named choice, because the choice drives the results
 * (Purvine et al. 2023 use the top-ℓ2 spatial vector for persistent homology; Lee & Vijayan's
 * functional codes flip with global average pooling vs flattening — see the SOM spec §3):
 *
 * - "gap":        global average pool, C values per sample (default for conv maps);
 * - "flatten":    all C·H·W values;
 * - "top-l2":     the C-vector at the spatial position with the largest ℓ2 norm;
 * - "random":     the C-vector at one seeded random position per sample, drawn from
 *                 rows/columns 1 … H−1 / W−1 as in the Purvine et al. mapper scripts (only
 *                 index 0 excluded).
 */
import { HiddenAtlasError } from "../core/errors.ts";
import type { Matrix } from "../core/matrix.ts";
import { checkKeyword } from "../core/params.ts";
import { DEFAULT_SEED, Rng, checkSeed } from "../core/random.ts";
import { getCore } from "../core/wasm.ts";

export const VECTORIZATIONS = ["gap", "flatten", "top-l2", "random"] as const;
export type Vectorization = (typeof VECTORIZATIONS)[number];

/** The activations of one layer as stored: shape[0] samples, row-major. */
export interface LayerData {
  name: string;
  shape: readonly number[];
  data: Float32Array;
  /** "conv" for N × C × H × W maps; inferred from the rank when absent. */
  kind?: "dense" | "conv";
}

export interface VectorizeOptions {
  /** How conv maps become vectors; ignored for dense layers. Defaults to "gap". */
  method?: Vectorization;
  /** Seed for method "random". Defaults to 42. */
  seed?: number;
}

/** True when the layer is a conv map (N × C × H × W). */
export function isConvLayer(layer: LayerData): boolean {
  return (layer.kind ?? (layer.shape.length === 4 ? "conv" : "dense")) === "conv" && layer.shape.length === 4;
}

/** One row per sample. Dense layers are flattened without copying. */
export async function layerMatrix(layer: LayerData, options: VectorizeOptions = {}): Promise<Matrix> {
  const method = checkKeyword("vectorize", options.method ?? "gap", VECTORIZATIONS);
  const n = layer.shape[0] ?? 0;
  const total = layer.shape.reduce((a, b) => a * b, 1);
  if (total !== layer.data.length) {
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `layer ${JSON.stringify(layer.name)} has ${layer.data.length} values but shape [${layer.shape.join(", ")}]`,
    );
  }
  if (!isConvLayer(layer) || method === "flatten") {
    return { rows: n, cols: n === 0 ? 0 : total / n, data: layer.data };
  }
  const [, c, h, w] = layer.shape;
  const plane = h * w;
  const out = new Float32Array(n * c);
  const x = layer.data;
  if (method === "gap") {
    for (let i = 0; i < n; i++) {
      for (let ch = 0; ch < c; ch++) {
        const base = (i * c + ch) * plane;
        let s = 0;
        for (let p = 0; p < plane; p++) s += x[base + p];
        out[i * c + ch] = s / plane;
      }
    }
    return { rows: n, cols: c, data: out };
  }
  let positions: Int32Array;
  if (method === "top-l2") {
    positions = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let best = -1;
      let bestNorm = -1;
      for (let p = 0; p < plane; p++) {
        let s = 0;
        for (let ch = 0; ch < c; ch++) s += x[(i * c + ch) * plane + p] ** 2;
        if (s > bestNorm) {
          bestNorm = s;
          best = p;
        }
      }
      positions[i] = best;
    }
  } else {
    const seed = checkSeed(options.seed ?? DEFAULT_SEED);
    const core = await getCore();
    const rng = new Rng(core, seed);
    try {
      positions = new Int32Array(n);
      // Rows/columns 1 … h−1 (index 0 excluded); a 1-wide axis has only index 0.
      for (let i = 0; i < n; i++) {
        const r = h > 1 ? 1 + rng.int(h - 1) : 0;
        const col = w > 1 ? 1 + rng.int(w - 1) : 0;
        positions[i] = r * w + col;
      }
    } finally {
      rng.release();
    }
  }
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) out[i * c + ch] = x[(i * c + ch) * plane + positions[i]];
  }
  return { rows: n, cols: c, data: out };
}
