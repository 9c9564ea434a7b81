/**
 * Software rasteriser for scatter points: every point a disc of one radius, composited in draw
 * order with the "over" operator onto a transparent image. It draws the static figure of a
 * large scatter (a PNG inside the figure's SVG, for reports made in Node where there is no
 * WebGL) and the interactive figure in a browser without WebGL2. Pure arithmetic on typed
 * arrays: the same points give the same bytes everywhere.
 *
 * A disc's edge is anti-aliased by coverage = clamp(radius + 0.5 − distance, 0, 1) of the
 * pixel centre, the usual one-pixel ramp.
 */

export interface RasterPoints {
  /** Image size in pixels. */
  width: number;
  height: number;
  /** Point centres in image pixels (x right, y down), in draw order. */
  px: ArrayLike<number>;
  py: ArrayLike<number>;
  /** Straight (not premultiplied) RGBA per point, 4 bytes each, in draw order. */
  colors: Uint8Array;
  /** Disc radius in image pixels. */
  radius: number;
  /** Opacity multiplied into every point's alpha (Plot's fillOpacity). */
  opacity: number;
}

/** RGBA pixels (straight alpha), row-major, width × height × 4 bytes. */
export function rasterizePoints(input: RasterPoints): Uint8ClampedArray {
  const { width, height, px, py, colors, radius, opacity } = input;
  // Premultiplied accumulators in [0, 1]: "over" is then out = src + dst · (1 − src.a).
  const acc = new Float32Array(width * height * 4);
  const reach = Math.ceil(radius + 0.5);
  for (let i = 0; i < px.length; i++) {
    const cx = px[i];
    const cy = py[i];
    if (!(cx > -reach && cx < width + reach && cy > -reach && cy < height + reach)) continue;
    const alpha = (colors[4 * i + 3] / 255) * opacity;
    const r = (colors[4 * i] / 255) * alpha;
    const g = (colors[4 * i + 1] / 255) * alpha;
    const b = (colors[4 * i + 2] / 255) * alpha;
    const x0 = Math.max(0, Math.floor(cx - reach));
    const x1 = Math.min(width - 1, Math.ceil(cx + reach));
    const y0 = Math.max(0, Math.floor(cy - reach));
    const y1 = Math.min(height - 1, Math.ceil(cy + reach));
    for (let y = y0; y <= y1; y++) {
      const dy = y + 0.5 - cy;
      for (let x = x0; x <= x1; x++) {
        const dx = x + 0.5 - cx;
        const coverage = radius + 0.5 - Math.sqrt(dx * dx + dy * dy);
        if (coverage <= 0) continue;
        const c = coverage >= 1 ? 1 : coverage;
        const o = (y * width + x) * 4;
        const keep = 1 - alpha * c;
        acc[o] = r * c + acc[o] * keep;
        acc[o + 1] = g * c + acc[o + 1] * keep;
        acc[o + 2] = b * c + acc[o + 2] * keep;
        acc[o + 3] = alpha * c + acc[o + 3] * keep;
      }
    }
  }
  const out = new Uint8ClampedArray(width * height * 4);
  for (let o = 0; o < out.length; o += 4) {
    const a = acc[o + 3];
    if (a <= 0) continue;
    out[o] = Math.round((acc[o] / a) * 255);
    out[o + 1] = Math.round((acc[o + 1] / a) * 255);
    out[o + 2] = Math.round((acc[o + 2] / a) * 255);
    out[o + 3] = Math.round(a * 255);
  }
  return out;
}
