/**
 * Thumbnails of a bundle's inputs: each sample's image as a PNG data: URL.
 *
 * Layouts understood: N × H × W (grey), N × H × W × C and N × C × H × W with C = 1 or 3, and
 * N × D with D a perfect square (a flattened grey image). Intensities are scaled by the
 * minimum and maximum over the whole input array, so thumbnails of one bundle compare.
 */
import { pngDataUrl } from "./png.ts";

export interface ImageLayout {
  width: number;
  height: number;
  channels: 1 | 3;
  /** true for N × C × H × W. */
  channelsFirst: boolean;
}

/** The image layout of inputs of this shape, or null when they are not images. */
export function imageLayout(shape: readonly number[]): ImageLayout | null {
  const [, a, b, c] = shape;
  if (shape.length === 2) {
    const side = Math.round(Math.sqrt(a));
    return side * side === a && side > 1
      ? { width: side, height: side, channels: 1, channelsFirst: false }
      : null;
  }
  if (shape.length === 3) return { width: b, height: a, channels: 1, channelsFirst: false };
  if (shape.length === 4) {
    if ((c === 1 || c === 3) && !(a === 1 || a === 3))
      return { width: b, height: a, channels: c, channelsFirst: false };
    if (a === 1 || a === 3) return { width: c, height: b, channels: a, channelsFirst: true };
    if (c === 1 || c === 3) return { width: b, height: a, channels: c, channelsFirst: false };
  }
  return null;
}

export interface Thumbnails {
  layout: ImageLayout;
  /** PNG data: URL of sample i (cached). */
  url(i: number): string;
}

/** Thumbnails for `inputs`, or null when they are not images. */
export function thumbnails(
  inputs: { shape: readonly number[]; data: ArrayLike<number> } | undefined,
): Thumbnails | null {
  if (!inputs) return null;
  const layout = imageLayout(inputs.shape);
  if (!layout) return null;
  const { width, height, channels, channelsFirst } = layout;
  const data = inputs.data;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const scale = max > min ? 255 / (max - min) : 0;
  const perSample = width * height * channels;
  const cache = new Map<number, string>();
  return {
    layout,
    url(i: number): string {
      let url = cache.get(i);
      if (url) return url;
      const pixels = new Uint8Array(perSample);
      const base = i * perSample;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          for (let ch = 0; ch < channels; ch++) {
            const source = channelsFirst
              ? base + (ch * height + y) * width + x
              : base + (y * width + x) * channels + ch;
            pixels[(y * width + x) * channels + ch] = Math.round((data[source] - min) * scale);
          }
        }
      }
      url = pngDataUrl(pixels, width, height, channels);
      cache.set(i, url);
      return url;
    },
  };
}
