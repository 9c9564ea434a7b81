/**
 * Feature visualisation by regularised activation maximisation (Erhan et al. 2009; the
 * regularisers of Yosinski et al., "Understanding neural networks through deep visualization",
 * 2015): starting from a seeded faint noise image, a fixed number of gradient-ascent steps on
 * the projection of a layer's activation onto a direction, each step followed by an L2 decay
 * toward the middle of the input range, a Gaussian blur every few steps, and clipping to the
 * input range. TopoAct draws such an image for each Mapper node from the node's mean activation
 * vector; Lucid's "direction" objective is the same projection.
 *
 * On a conv layer (C × H × W) a direction of C values is the channel direction at every
 * position: the objective is its projection averaged over the H·W positions (the vector a
 * random spatial position would give, in expectation); a direction of C·H·W values is the
 * whole map's.
 *
 * Steps are normalised by the gradient's RMS, so the ascent does not depend on the scale of
 * the layer's activations. Deterministic: same network, direction, options and seed → the same
 * image, bit for bit.
 *
 * @example
 *   const fv = await featureVisualization(net, {layer: "relu3", direction, range: [0, 1], imageShape: [8, 8]});
 *   fv.image; fv.objective.end > fv.objective.start
 */
import { HiddenAtlasError } from "../../core/errors.ts";
import { checkInteger, checkNumber } from "../../core/params.ts";
import { DEFAULT_SEED, Rng, STREAMS, checkSeed } from "../../core/random.ts";
import type { Network } from "./network.ts";

/** Documented defaults (Yosinski et al. 2015 use decay 0.0001–0.3, blur every 4–10 steps). */
export const featureVisualizationDefaults = {
  /** Gradient-ascent steps. */
  steps: 256,
  /** Step length as a fraction of the input range, per RMS-normalised gradient. */
  stepSize: 0.02,
  /** L2 decay toward the range's middle, per step. */
  decay: 0.01,
  /** A 3 × 3 binomial blur (σ ≈ 0.7 pixels) every this many steps; 0: never. */
  blurEvery: 4,
  /** Amplitude of the starting noise as a fraction of the range. */
  initialNoise: 0.05,
  seed: DEFAULT_SEED,
};

export interface FeatureVisualizationOptions extends Partial<typeof featureVisualizationDefaults> {
  /** Network layer whose activation is projected. */
  layer: string;
  /** The direction: C values (a conv layer's channels, averaged over positions) or the layer's output size. */
  direction: ArrayLike<number>;
  /** [lo, hi] of the network's inputs (e.g. [0, 1]); the image is clipped to it. */
  range: [number, number];
  /** [height, width] of each input channel, for the blur (default: none when the input is not an image). */
  imageShape?: [number, number];
}

export interface FeatureVisualization {
  /** The image, network input units, inputSize values (channel-major like the inputs). */
  image: Float32Array;
  /** The objective (projection on the unit direction) at the starting noise and at the end. */
  objective: { start: number; end: number };
  steps: number;
  seed: number;
}

/** Smallest RMS treated as a non-zero gradient (a dead direction gives exactly zero). */
const GRADIENT_FLOOR = 1e-12;

/** Regularised activation maximisation of `direction` at `layer` (see the module's doc). */
export async function featureVisualization(
  net: Network,
  options: FeatureVisualizationOptions,
): Promise<FeatureVisualization> {
  const o = { ...featureVisualizationDefaults, ...options };
  const steps = checkInteger("steps", o.steps, 1, 100_000);
  checkNumber("stepSize", o.stepSize, 0, Infinity, { exclusiveMin: true });
  checkNumber("decay", o.decay, 0, 1, { exclusiveMax: true });
  const blurEvery = checkInteger("blurEvery", o.blurEvery, 0, 100_000);
  checkNumber("initialNoise", o.initialNoise, 0, 1);
  const seed = checkSeed(o.seed);
  const [lo, hi] = o.range;
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && hi > lo))
    throw new HiddenAtlasError(
      "E_PARAM",
      `invalid range: [${lo}, ${hi}] (expected finite lo < hi)`,
    );
  const layer = net.layer(o.layer);
  const weights = projectionWeights(layer.outShape, layer.outSize, o.direction, o.layer);
  const n = net.inputSize;
  const [height, width] = o.imageShape ?? [0, 0];
  if (o.imageShape && (height * width === 0 || n % (height * width) !== 0)) {
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `imageShape ${height} × ${width} does not divide the network's ${n} inputs`,
    );
  }
  const span = hi - lo;
  const middle = (lo + hi) / 2;
  const rng = new Rng(net.core, seed, STREAMS.featureStart);
  let noise: Float64Array;
  try {
    noise = rng.uniform(n);
  } finally {
    rng.dispose();
  }
  const x = Float32Array.from(noise, (u) => middle + (2 * u - 1) * o.initialNoise * span);
  const start = net.layerProjectionGradient(x, o.layer, weights).value;
  const scratch = new Float32Array(n);
  for (let step = 1; step <= steps; step++) {
    const { gradient } = net.layerProjectionGradient(x, o.layer, weights);
    let ss = 0;
    for (let i = 0; i < n; i++) ss += gradient[i] * gradient[i];
    const rms = Math.sqrt(ss / n);
    const scale = rms > GRADIENT_FLOOR ? (o.stepSize * span) / rms : 0;
    for (let i = 0; i < n; i++) {
      const moved = x[i] + scale * gradient[i];
      x[i] = middle + (1 - o.decay) * (moved - middle);
    }
    if (o.imageShape && blurEvery > 0 && step % blurEvery === 0) blur(x, scratch, height, width);
    for (let i = 0; i < n; i++) x[i] = Math.min(hi, Math.max(lo, x[i]));
  }
  const end = net.layerProjectionGradient(x, o.layer, weights).value;
  return { image: x, objective: { start, end }, steps, seed };
}

/**
 * Per-output weights of the objective: the unit direction itself (whole output), or — for a
 * C-value direction on a C × H × W layer — the unit direction at every position divided by H·W.
 */
export function projectionWeights(
  outShape: readonly number[],
  outSize: number,
  direction: ArrayLike<number>,
  name: string,
): Float32Array {
  let norm = 0;
  for (let i = 0; i < direction.length; i++) norm += direction[i] * direction[i];
  norm = Math.sqrt(norm);
  if (!(norm > 0) || !Number.isFinite(norm))
    throw new HiddenAtlasError(
      "E_PARAM",
      `invalid direction for layer ${JSON.stringify(name)}: it must be finite and not all zero`,
    );
  if (direction.length === outSize) return Float32Array.from(direction, (v) => v / norm);
  if (outShape.length === 3 && direction.length === outShape[0]) {
    const plane = outShape[1] * outShape[2];
    const w = new Float32Array(outSize);
    for (let c = 0; c < outShape[0]; c++)
      w.fill(direction[c] / norm / plane, c * plane, (c + 1) * plane);
    return w;
  }
  throw new HiddenAtlasError(
    "E_SHAPE_MISMATCH",
    `a direction of ${direction.length} values does not fit layer ${JSON.stringify(name)} (${outShape.join(" × ")}): expected ${outSize}${outShape.length === 3 ? ` or ${outShape[0]} (its channels)` : ""}`,
  );
}

/** In-place 3 × 3 binomial blur ([1 2 1] ⊗ [1 2 1] / 16) of each height × width channel, edges clamped. */
function blur(x: Float32Array, scratch: Float32Array, height: number, width: number): void {
  const plane = height * width;
  for (let base = 0; base < x.length; base += plane) {
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < width; c++) {
        const left = c > 0 ? c - 1 : c;
        const right = c < width - 1 ? c + 1 : c;
        const row = base + r * width;
        scratch[row + c] = (x[row + left] + 2 * x[row + c] + x[row + right]) / 4;
      }
    }
    for (let r = 0; r < height; r++) {
      const up = base + (r > 0 ? r - 1 : r) * width;
      const down = base + (r < height - 1 ? r + 1 : r) * width;
      const row = base + r * width;
      for (let c = 0; c < width; c++)
        x[row + c] = (scratch[up + c] + 2 * scratch[row + c] + scratch[down + c]) / 4;
    }
  }
}
