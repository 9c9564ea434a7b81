/**
 * Rotated digits: each 8×8 digit scaled ×1.5 and rotated by a seeded angle onto a 16×16 canvas
 * with bilinear interpolation (assembly/image.ts), the regression task of the MDA recipe.
 */
import "../algo/nn/kernels.ts";
import { Rng, STREAMS } from "../core/random.ts";
import { getCore } from "../core/wasm.ts";
import type { ImageDataset } from "./datasets.ts";

export const CANVAS = 16;
/** Digits are enlarged so a rotated digit fills the canvas without being cut at ±60°. */
export const DIGIT_SCALE = 1.5;

/** Angles in degrees, uniform in [−maxDegrees, maxDegrees), one per sample, seeded. */
export async function randomAngles(
  n: number,
  maxDegrees: number,
  seed: number,
  stream: number = STREAMS.rotationAngles,
): Promise<Float64Array> {
  const rng = new Rng(await getCore(), seed, stream);
  try {
    return rng.uniform(n).map((u) => (2 * u - 1) * maxDegrees);
  } finally {
    rng.dispose();
  }
}

/** Rotated images (n × 16 × 16, values in [0, 1]) of samples `indices` by `angles` degrees. */
export async function rotatedDigits(
  ds: ImageDataset,
  indices: ArrayLike<number>,
  angles: ArrayLike<number>,
): Promise<Float32Array> {
  const core = await getCore();
  const plane = ds.height * ds.width;
  const out = new Float32Array(indices.length * CANVAS * CANVAS);
  core.scope((s) => {
    const src = s.f32(plane, "digit");
    const dst = s.f32(CANVAS * CANVAS, "rotated digit");
    for (let r = 0; r < indices.length; r++) {
      const view = src.view();
      const base = indices[r] * plane;
      for (let p = 0; p < plane; p++) view[p] = ds.images[base + p] / ds.maxValue;
      core.kernels.rotateScaleBilinear(
        src.ptr,
        ds.height,
        ds.width,
        dst.ptr,
        CANVAS,
        CANVAS,
        (angles[r] * Math.PI) / 180,
        DIGIT_SCALE,
      );
      out.set(dst.view(), r * CANVAS * CANVAS);
    }
  });
  return out;
}
