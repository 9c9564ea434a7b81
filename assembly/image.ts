// Image resampling for the example data sets: rotate and scale a grey image onto a canvas with
// bilinear interpolation (zero outside the source). Trigonometry runs in wasm so the rotated
// digits are bit-identical in Node and in every browser.
//
// Memory contract: src is h × w f32, dst is outH × outW f32 (overwritten).
// The source is scaled by `scale` about its centre, rotated by `angle` radians
// (counter-clockwise on screen, y down) and centred on the canvas. Pixel centres are at +0.5.

export function rotateScaleBilinear(src: usize, h: i32, w: i32, dst: usize, outH: i32, outW: i32, angle: f64, scale: f64): void {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const cx = <f64>outW * 0.5;
  const cy = <f64>outH * 0.5;
  const sx = <f64>w * 0.5;
  const sy = <f64>h * 0.5;
  for (let v = 0; v < outH; v++) {
    for (let u = 0; u < outW; u++) {
      const dx = <f64>u + 0.5 - cx;
      const dy = <f64>v + 0.5 - cy;
      // Inverse map: undo the rotation (a counter-clockwise turn on screen is clockwise in
      // y-down coordinates), then the scale.
      const px = (c * dx - s * dy) / scale + sx - 0.5;
      const py = (s * dx + c * dy) / scale + sy - 0.5;
      const x0 = <i32>Math.floor(px);
      const y0 = <i32>Math.floor(py);
      const fx = <f32>(px - <f64>x0);
      const fy = <f32>(py - <f64>y0);
      let value: f32 = 0;
      for (let j = 0; j < 2; j++) {
        const y = y0 + j;
        if (y < 0 || y >= h) continue;
        const wy: f32 = j == 0 ? <f32>1 - fy : fy;
        for (let i = 0; i < 2; i++) {
          const x = x0 + i;
          if (x < 0 || x >= w) continue;
          const wx: f32 = i == 0 ? <f32>1 - fx : fx;
          value += wx * wy * load<f32>(src + ((<usize>(y * w + x)) << 2));
        }
      }
      store<f32>(dst + ((<usize>(v * outW + u)) << 2), value);
    }
  }
}
