// Kernels of the small network trainer: matrix products, 3×3 convolution by im2col, pooling,
// activations, dropout, losses and optimiser steps. The TypeScript side (src/algo/nn/)
// strings them together per layer and per batch.
//
// Layouts: dense activations are batch × units, row-major; conv activations are NCHW
// (batch × channels × height × width). Dense weights are in × out row-major; conv weights are
// filters × (channels · 9), a filter's taps ordered (channel, dy, dx).
// Memory contract: every kernel reads and writes caller-owned buffers; none allocates.
// Precision: float32 storage and arithmetic (as PyTorch's CPU float32 training), losses summed
// in float64. Every loop runs in a fixed order, so results are bit-identical across runs and
// engines (no relaxed SIMD, no threads).

import { dotTile } from "./distance";
import { nextF32, nextNormal } from "./random";

// Register tile of gemm: 4 rows of C × 8 columns (two f32x4) = 8 accumulators.
// @ts-ignore: decorator
@inline const GEMM_ROWS: i32 = 4;
// @ts-ignore: decorator
@inline const GEMM_COLS: i32 = 8;
// Columns of B per panel (a multiple of GEMM_COLS): k · 256 floats stay in L2 for k ≤ 256.
// @ts-ignore: decorator
@inline const GEMM_PANEL: i32 = 256;

// @ts-ignore: decorator
@inline function f32at(p: usize, i: i32): usize {
  return p + ((<usize>i) << 2);
}

/**
 * C (m × n) = beta·C + A·B, where element (i, k) of A is at a[i·rowStrideA + k·colStrideA]
 * (A row-major: strides (k, 1); Aᵀ of a k × m matrix: strides (1, m)) and B is k × n
 * row-major. beta is 0 (overwrite) or 1 (accumulate).
 */
export function gemm(
  a: usize,
  rowStrideA: i32,
  colStrideA: i32,
  b: usize,
  c: usize,
  m: i32,
  k: i32,
  n: i32,
  beta: i32,
): void {
  // beta = 0 starts the sums at zero instead of reading C (no separate clearing pass).
  const zero = f32x4.splat(0);
  const mFull = m - (m % GEMM_ROWS);
  const nFull = n - (n % GEMM_COLS);
  const rowBytesB = (<usize>n) << 2;
  // Column panels of B small enough to stay in L2 while every row block of A passes over them.
  for (let jb = 0; jb < nFull; jb += GEMM_PANEL) {
  const je = min(jb + GEMM_PANEL, nFull);
  for (let i = 0; i < mFull; i += GEMM_ROWS) {
    const c0 = c + ((<usize>i * <usize>n) << 2);
    const c1 = c0 + rowBytesB;
    const c2 = c1 + rowBytesB;
    const c3 = c2 + rowBytesB;
    for (let j = jb; j < je; j += GEMM_COLS) {
      const oj = (<usize>j) << 2;
      let s00 = zero, s01 = zero, s10 = zero, s11 = zero;
      let s20 = zero, s21 = zero, s30 = zero, s31 = zero;
      if (beta != 0) {
        s00 = v128.load(c0 + oj);
        s01 = v128.load(c0 + oj, 16);
        s10 = v128.load(c1 + oj);
        s11 = v128.load(c1 + oj, 16);
        s20 = v128.load(c2 + oj);
        s21 = v128.load(c2 + oj, 16);
        s30 = v128.load(c3 + oj);
        s31 = v128.load(c3 + oj, 16);
      }
      for (let p = 0; p < k; p++) {
        const pb = b + <usize>p * rowBytesB + oj;
        const b0 = v128.load(pb);
        const b1 = v128.load(pb, 16);
        const pa = a + ((<usize>(i * rowStrideA + p * colStrideA)) << 2);
        const strideBytes = (<usize>rowStrideA) << 2;
        const a0 = f32x4.splat(load<f32>(pa));
        const a1 = f32x4.splat(load<f32>(pa + strideBytes));
        const a2 = f32x4.splat(load<f32>(pa + 2 * strideBytes));
        const a3 = f32x4.splat(load<f32>(pa + 3 * strideBytes));
        s00 = f32x4.add(s00, f32x4.mul(a0, b0));
        s01 = f32x4.add(s01, f32x4.mul(a0, b1));
        s10 = f32x4.add(s10, f32x4.mul(a1, b0));
        s11 = f32x4.add(s11, f32x4.mul(a1, b1));
        s20 = f32x4.add(s20, f32x4.mul(a2, b0));
        s21 = f32x4.add(s21, f32x4.mul(a2, b1));
        s30 = f32x4.add(s30, f32x4.mul(a3, b0));
        s31 = f32x4.add(s31, f32x4.mul(a3, b1));
      }
      v128.store(c0 + oj, s00);
      v128.store(c0 + oj, s01, 16);
      v128.store(c1 + oj, s10);
      v128.store(c1 + oj, s11, 16);
      v128.store(c2 + oj, s20);
      v128.store(c2 + oj, s21, 16);
      v128.store(c3 + oj, s30);
      v128.store(c3 + oj, s31, 16);
    }
  }
  }
  // Edges: the same sum order (over p ascending) as the tile, one element at a time.
  for (let i = 0; i < m; i++) {
    const jStart = i < mFull ? nFull : 0;
    const ci = c + ((<usize>i * <usize>n) << 2);
    for (let j = jStart; j < n; j++) {
      let s: f32 = beta != 0 ? load<f32>(f32at(ci, j)) : 0;
      for (let p = 0; p < k; p++) {
        s += load<f32>(a + ((<usize>(i * rowStrideA + p * colStrideA)) << 2)) * load<f32>(b + ((<usize>(p * n + j)) << 2));
      }
      store<f32>(f32at(ci, j), s);
    }
  }
}

/**
 * C (m × n) = beta·C + A·Bᵀ with A m × k and B n × k row-major (dot products along k).
 * `scratch` holds m·n floats when beta is 1.
 */
export function gemmNT(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, beta: i32, scratch: usize): void {
  if (beta == 0) {
    dotTile(a, b, k, 0, m, 0, n, c, n);
    return;
  }
  dotTile(a, b, k, 0, m, 0, n, scratch, n);
  addInPlace(c, scratch, m * n);
}

/** y += x, elementwise. */
export function addInPlace(y: usize, x: usize, count: i32): void {
  const c4 = count & ~3;
  for (let i = 0; i < c4; i += 4) {
    const o = (<usize>i) << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), v128.load(x + o)));
  }
  for (let i = c4; i < count; i++) store<f32>(f32at(y, i), load<f32>(f32at(y, i)) + load<f32>(f32at(x, i)));
}

/** Add bias b (cols) to every row of y (rows × cols). */
export function addRowBias(y: usize, rows: i32, cols: i32, bias: usize): void {
  for (let r = 0; r < rows; r++) addInPlace(y + ((<usize>r * <usize>cols) << 2), bias, cols);
}

/** db (cols) += column sums of dy (rows × cols). */
export function sumRowsInto(dy: usize, rows: i32, cols: i32, db: usize): void {
  for (let r = 0; r < rows; r++) addInPlace(db, dy + ((<usize>r * <usize>cols) << 2), cols);
}

/** Add bias b[ch] to every element of channel ch of a (channels × plane) map. */
export function addChannelBias(y: usize, channels: i32, plane: i32, bias: usize): void {
  for (let ch = 0; ch < channels; ch++) {
    const v = load<f32>(f32at(bias, ch));
    const p = y + ((<usize>ch * <usize>plane) << 2);
    for (let i = 0; i < plane; i++) store<f32>(f32at(p, i), load<f32>(f32at(p, i)) + v);
  }
}

/** db[ch] += sum over the plane of channel ch of dy (channels × plane). */
export function sumChannelsInto(dy: usize, channels: i32, plane: i32, db: usize): void {
  for (let ch = 0; ch < channels; ch++) {
    const p = dy + ((<usize>ch * <usize>plane) << 2);
    let s: f32 = 0;
    for (let i = 0; i < plane; i++) s += load<f32>(f32at(p, i));
    store<f32>(f32at(db, ch), load<f32>(f32at(db, ch)) + s);
  }
}

/**
 * im2col for a 3×3 kernel, stride 1, zero padding 1: x (channels × h × w) → col
 * ((channels·9) × (h·w)); row (ch·9 + dy·3 + dx) holds the input shifted by (dy−1, dx−1).
 * Rows are `ld` floats apart, so a batch can fill one wide matrix (ld = batch·h·w, the caller
 * offsetting `col` by sample·h·w).
 */
export function im2col3x3(x: usize, channels: i32, h: i32, w: i32, col: usize, ld: i32): void {
  const plane = h * w;
  for (let ch = 0; ch < channels; ch++) {
    const px = x + ((<usize>ch * <usize>plane) << 2);
    for (let t = 0; t < 9; t++) {
      const dy = t / 3 - 1;
      const dx = (t % 3) - 1;
      const row = col + ((<usize>(ch * 9 + t) * <usize>ld) << 2);
      for (let y = 0; y < h; y++) {
        const sy = y + dy;
        const out = row + ((<usize>(y * w)) << 2);
        if (sy < 0 || sy >= h) {
          memory.fill(out, 0, (<usize>w) << 2);
          continue;
        }
        const src = px + ((<usize>(sy * w)) << 2);
        // Columns whose source x + dx falls outside [0, w) are zero.
        const x0 = dx < 0 ? 1 : 0;
        const x1 = dx > 0 ? w - 1 : w;
        if (x0 > 0) store<f32>(out, 0);
        if (x1 < w) store<f32>(f32at(out, w - 1), 0);
        memory.copy(out + ((<usize>x0) << 2), src + ((<usize>(x0 + dx)) << 2), (<usize>(x1 - x0)) << 2);
      }
    }
  }
}

/** The adjoint of im2col3x3: dx (channels × h × w) += col2im(dcol), rows `ld` floats apart. */
export function col2im3x3(dcol: usize, channels: i32, h: i32, w: i32, dx: usize, ld: i32): void {
  const plane = h * w;
  for (let ch = 0; ch < channels; ch++) {
    const pdx = dx + ((<usize>ch * <usize>plane) << 2);
    for (let t = 0; t < 9; t++) {
      const oy = t / 3 - 1;
      const ox = (t % 3) - 1;
      const row = dcol + ((<usize>(ch * 9 + t) * <usize>ld) << 2);
      for (let y = 0; y < h; y++) {
        const sy = y + oy;
        if (sy < 0 || sy >= h) continue;
        const x0 = ox < 0 ? 1 : 0;
        const x1 = ox > 0 ? w - 1 : w;
        addInPlace(pdx + ((<usize>(sy * w + x0 + ox)) << 2), row + ((<usize>(y * w + x0)) << 2), x1 - x0);
      }
    }
  }
}

/**
 * 2×2 max pooling, stride 2, of x (channels × h × w) into y (channels × ⌊h/2⌋ × ⌊w/2⌋);
 * `argmax` (i32 per output) records the winning input offset within the channel (first
 * maximum in row-major order wins ties).
 */
export function maxPoolForward(x: usize, channels: i32, h: i32, w: i32, y: usize, argmax: usize): void {
  const oh = h >> 1;
  const ow = w >> 1;
  for (let ch = 0; ch < channels; ch++) {
    const px = x + ((<usize>(ch * h * w)) << 2);
    const py = y + ((<usize>(ch * oh * ow)) << 2);
    const pa = argmax + ((<usize>(ch * oh * ow)) << 2);
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        let best = (2 * i) * w + 2 * j;
        let v = load<f32>(f32at(px, best));
        const c1 = best + 1;
        const c2 = best + w;
        const c3 = best + w + 1;
        const v1 = load<f32>(f32at(px, c1));
        if (v1 > v) { v = v1; best = c1; }
        const v2 = load<f32>(f32at(px, c2));
        if (v2 > v) { v = v2; best = c2; }
        const v3 = load<f32>(f32at(px, c3));
        if (v3 > v) { v = v3; best = c3; }
        store<f32>(f32at(py, i * ow + j), v);
        store<i32>(f32at(pa, i * ow + j), best);
      }
    }
  }
}

/** dx (channels × h × w) = 0 except dx[argmax] += dy. */
export function maxPoolBackward(dy: usize, argmax: usize, channels: i32, h: i32, w: i32, dx: usize): void {
  const oh = h >> 1;
  const ow = w >> 1;
  memory.fill(dx, 0, (<usize>(channels * h * w)) << 2);
  for (let ch = 0; ch < channels; ch++) {
    const pdx = dx + ((<usize>(ch * h * w)) << 2);
    const pdy = dy + ((<usize>(ch * oh * ow)) << 2);
    const pa = argmax + ((<usize>(ch * oh * ow)) << 2);
    for (let o = 0; o < oh * ow; o++) {
      const at = f32at(pdx, load<i32>(f32at(pa, o)));
      store<f32>(at, load<f32>(at) + load<f32>(f32at(pdy, o)));
    }
  }
}

/** Global average pool: y[ch] = mean of channel ch of x (channels × plane). */
export function globalAvgPoolForward(x: usize, channels: i32, plane: i32, y: usize): void {
  const inv = <f32>1 / <f32>plane;
  for (let ch = 0; ch < channels; ch++) {
    const p = x + ((<usize>ch * <usize>plane) << 2);
    let s: f32 = 0;
    for (let i = 0; i < plane; i++) s += load<f32>(f32at(p, i));
    store<f32>(f32at(y, ch), s * inv);
  }
}

/** dx (channels × plane) = dy[ch] / plane everywhere in channel ch. */
export function globalAvgPoolBackward(dy: usize, channels: i32, plane: i32, dx: usize): void {
  const inv = <f32>1 / <f32>plane;
  for (let ch = 0; ch < channels; ch++) {
    const v = load<f32>(f32at(dy, ch)) * inv;
    const p = dx + ((<usize>ch * <usize>plane) << 2);
    for (let i = 0; i < plane; i++) store<f32>(f32at(p, i), v);
  }
}

/** y = x for x > 0, alpha·x otherwise (alpha = 0: ReLU). */
export function leakyReluForward(x: usize, y: usize, count: i32, alpha: f32): void {
  const zero = f32x4.splat(0);
  const va = f32x4.splat(alpha);
  const c4 = count & ~3;
  for (let i = 0; i < c4; i += 4) {
    const o = (<usize>i) << 2;
    const v = v128.load(x + o);
    v128.store(y + o, v128.bitselect(v, f32x4.mul(v, va), f32x4.gt(v, zero)));
  }
  for (let i = c4; i < count; i++) {
    const v = load<f32>(f32at(x, i));
    store<f32>(f32at(y, i), v > 0 ? v : v * alpha);
  }
}

/** dx = dy where the pre-activation x > 0, alpha·dy elsewhere. dx may alias dy. */
export function leakyReluBackward(x: usize, dy: usize, dx: usize, count: i32, alpha: f32): void {
  const zero = f32x4.splat(0);
  const va = f32x4.splat(alpha);
  const c4 = count & ~3;
  for (let i = 0; i < c4; i += 4) {
    const o = (<usize>i) << 2;
    const g = v128.load(dy + o);
    v128.store(dx + o, v128.bitselect(g, f32x4.mul(g, va), f32x4.gt(v128.load(x + o), zero)));
  }
  for (let i = c4; i < count; i++) {
    const g = load<f32>(f32at(dy, i));
    store<f32>(f32at(dx, i), load<f32>(f32at(x, i)) > 0 ? g : g * alpha);
  }
}

/**
 * Inverted dropout: each unit is kept with probability 1 − rate and scaled by 1/(1 − rate);
 * `mask` receives the factor (0 or the scale) used by the backward pass.
 */
export function dropoutForward(rng: usize, x: usize, y: usize, mask: usize, count: i32, rate: f32): void {
  const scale = <f32>1 / (<f32>1 - rate);
  for (let i = 0; i < count; i++) {
    const keep: f32 = nextF32(rng) >= rate ? scale : 0;
    store<f32>(f32at(mask, i), keep);
    store<f32>(f32at(y, i), load<f32>(f32at(x, i)) * keep);
  }
}

/** y = x · mask, elementwise (dropout backward; also any fixed elementwise scaling). */
export function multiplyInto(x: usize, mask: usize, y: usize, count: i32): void {
  const c4 = count & ~3;
  for (let i = 0; i < c4; i += 4) {
    const o = (<usize>i) << 2;
    v128.store(y + o, f32x4.mul(v128.load(x + o), v128.load(mask + o)));
  }
  for (let i = c4; i < count; i++) store<f32>(f32at(y, i), load<f32>(f32at(x, i)) * load<f32>(f32at(mask, i)));
}

/**
 * Softmax cross-entropy of logits (batch × classes) against integer labels. Writes the
 * softmax probabilities into `probs` and ∂(mean loss)/∂logits into `dlogits` (either may be
 * 0 to skip); returns the summed loss in float64. Stable: logits are shifted by their row max.
 */
export function softmaxCrossEntropy(logits: usize, labels: usize, batch: i32, classes: i32, probs: usize, dlogits: usize): f64 {
  let total: f64 = 0;
  const invBatch = <f32>1 / <f32>batch;
  for (let r = 0; r < batch; r++) {
    const row = logits + ((<usize>r * <usize>classes) << 2);
    let max = load<f32>(row);
    for (let c = 1; c < classes; c++) max = Mathf.max(max, load<f32>(f32at(row, c)));
    let sum: f64 = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(<f64>(load<f32>(f32at(row, c)) - max));
    const label = load<i32>(f32at(labels, r));
    const logSum = Math.log(sum);
    total += logSum - <f64>(load<f32>(f32at(row, label)) - max);
    for (let c = 0; c < classes; c++) {
      const p = <f32>(Math.exp(<f64>(load<f32>(f32at(row, c)) - max) - logSum));
      const at = (<usize>(r * classes + c)) << 2;
      if (probs) store<f32>(probs + at, p);
      if (dlogits) store<f32>(dlogits + at, (p - (c == label ? <f32>1 : <f32>0)) * invBatch);
    }
  }
  return total;
}

/**
 * Squared error of predictions against targets (both batch × outputs). Writes
 * ∂(mean over all elements)/∂pred into dpred (0 to skip); returns the summed squared error.
 */
export function squaredError(pred: usize, targets: usize, count: i32, dpred: usize): f64 {
  let total: f64 = 0;
  const scale = <f32>2 / <f32>count;
  for (let i = 0; i < count; i++) {
    const d = load<f32>(f32at(pred, i)) - load<f32>(f32at(targets, i));
    total += <f64>d * <f64>d;
    if (dpred) store<f32>(f32at(dpred, i), d * scale);
  }
  return total;
}

/** Σ|x| (float64). */
export function sumAbs(x: usize, count: i32): f64 {
  let s: f64 = 0;
  for (let i = 0; i < count; i++) s += <f64>Mathf.abs(load<f32>(f32at(x, i)));
  return s;
}

/** Σx² (float64). */
export function sumSquares(x: usize, count: i32): f64 {
  let s: f64 = 0;
  for (let i = 0; i < count; i++) {
    const v = <f64>load<f32>(f32at(x, i));
    s += v * v;
  }
  return s;
}

/**
 * g += l1·sign(x) + 2·l2·x: the gradient of l1·Σ|x| + l2·Σx² (sign(0) = 0, the
 * subgradient PyTorch uses).
 */
export function addPenaltyGradient(x: usize, g: usize, count: i32, l1: f32, l2: f32): void {
  const twoL2 = <f32>2 * l2;
  for (let i = 0; i < count; i++) {
    const v = load<f32>(f32at(x, i));
    const sign: f32 = v > 0 ? 1 : v < 0 ? -1 : 0;
    store<f32>(f32at(g, i), load<f32>(f32at(g, i)) + l1 * sign + twoL2 * v);
  }
}

/**
 * One Adam step (Kingma & Ba 2015, Algorithm 1), in PyTorch's arrangement:
 * m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; p ← p − stepSize · m / (√v / √bc2 + ε) with
 * stepSize = lr / bc1 and bc_i = 1 − β_i^t computed by the caller.
 */
export function adamStep(p: usize, g: usize, m: usize, v: usize, count: i32, stepSize: f32, beta1: f32, beta2: f32, eps: f32, sqrtBc2: f32): void {
  const b1 = f32x4.splat(beta1);
  const b1c = f32x4.splat(<f32>1 - beta1);
  const b2 = f32x4.splat(beta2);
  const b2c = f32x4.splat(<f32>1 - beta2);
  const vs = f32x4.splat(stepSize);
  const ve = f32x4.splat(eps);
  const vb = f32x4.splat(sqrtBc2);
  const c4 = count & ~3;
  for (let i = 0; i < c4; i += 4) {
    const o = (<usize>i) << 2;
    const gi = v128.load(g + o);
    const mi = f32x4.add(f32x4.mul(b1, v128.load(m + o)), f32x4.mul(b1c, gi));
    const vi = f32x4.add(f32x4.mul(b2, v128.load(v + o)), f32x4.mul(b2c, f32x4.mul(gi, gi)));
    v128.store(m + o, mi);
    v128.store(v + o, vi);
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(vi), vb), ve);
    v128.store(p + o, f32x4.sub(v128.load(p + o), f32x4.mul(vs, f32x4.div(mi, denom))));
  }
  for (let i = c4; i < count; i++) {
    const gi = load<f32>(f32at(g, i));
    const mi = beta1 * load<f32>(f32at(m, i)) + (<f32>1 - beta1) * gi;
    const vi = beta2 * load<f32>(f32at(v, i)) + (<f32>1 - beta2) * gi * gi;
    store<f32>(f32at(m, i), mi);
    store<f32>(f32at(v, i), vi);
    store<f32>(f32at(p, i), load<f32>(f32at(p, i)) - stepSize * (mi / (Mathf.sqrt(vi) / sqrtBc2 + eps)));
  }
}

/** SGD with momentum, PyTorch's form: buf ← μ·buf + g; p ← p − lr·buf (μ = 0: plain SGD). */
export function sgdStep(p: usize, g: usize, buf: usize, count: i32, lr: f32, momentum: f32): void {
  for (let i = 0; i < count; i++) {
    const b = momentum * load<f32>(f32at(buf, i)) + load<f32>(f32at(g, i));
    store<f32>(f32at(buf, i), b);
    store<f32>(f32at(p, i), load<f32>(f32at(p, i)) - lr * b);
  }
}

/** Fill with N(0, std²) draws (He/Glorot normal initialisation). */
export function fillNormal(rng: usize, p: usize, count: i32, std: f32): void {
  for (let i = 0; i < count; i++) store<f32>(f32at(p, i), <f32>(nextNormal(rng) * <f64>std));
}

/** Fill with U(−limit, limit) draws (He/Glorot uniform initialisation). */
export function fillUniform(rng: usize, p: usize, count: i32, limit: f32): void {
  for (let i = 0; i < count; i++) store<f32>(f32at(p, i), (nextF32(rng) * <f32>2 - <f32>1) * limit);
}

/** Gather rows: out[r] = src[index[r]] for rows of `cols` floats (a shuffled mini-batch). */
export function gatherRows(src: usize, index: usize, rows: i32, cols: i32, out: usize): void {
  const bytes = (<usize>cols) << 2;
  for (let r = 0; r < rows; r++) {
    memory.copy(out + <usize>r * bytes, src + <usize>load<i32>(f32at(index, r)) * bytes, bytes);
  }
}

/** Row-wise softmax of x (rows × cols) into out, shifted by each row's maximum. */
export function softmaxRows(x: usize, rows: i32, cols: i32, out: usize): void {
  for (let r = 0; r < rows; r++) {
    const row = x + ((<usize>r * <usize>cols) << 2);
    const o = out + ((<usize>r * <usize>cols) << 2);
    let max = load<f32>(row);
    for (let c = 1; c < cols; c++) max = Mathf.max(max, load<f32>(f32at(row, c)));
    let sum: f64 = 0;
    for (let c = 0; c < cols; c++) sum += Math.exp(<f64>(load<f32>(f32at(row, c)) - max));
    for (let c = 0; c < cols; c++) store<f32>(f32at(o, c), <f32>(Math.exp(<f64>(load<f32>(f32at(row, c)) - max)) / sum));
  }
}

/**
 * Channel-major packing of a batch: x (batch × channels × plane, NCHW) → out
 * (channels × batch·plane), so one matrix product covers the whole batch.
 */
export function packChannels(x: usize, batch: i32, channels: i32, plane: i32, out: usize): void {
  const bytes = (<usize>plane) << 2;
  for (let s = 0; s < batch; s++) {
    for (let ch = 0; ch < channels; ch++) {
      memory.copy(out + ((<usize>(ch * batch + s) * <usize>plane) << 2), x + ((<usize>(s * channels + ch) * <usize>plane) << 2), bytes);
    }
  }
}

/** The inverse of packChannels: x (channels × batch·plane) → out (batch × channels × plane). */
export function unpackChannels(x: usize, batch: i32, channels: i32, plane: i32, out: usize): void {
  const bytes = (<usize>plane) << 2;
  for (let s = 0; s < batch; s++) {
    for (let ch = 0; ch < channels; ch++) {
      memory.copy(out + ((<usize>(s * channels + ch) * <usize>plane) << 2), x + ((<usize>(ch * batch + s) * <usize>plane) << 2), bytes);
    }
  }
}
