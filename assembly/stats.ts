// Column statistics and linear projections of float32 data, accumulated in float64.
//
// Memory contract: X is n × d f32 row-major. `means` is d f64. The covariance output is d × d
// f64 row-major (full, symmetric). `components` is d × k f64 with component j in column j.
// Complexity: covariance O(n·d²/2) flops, projection O(n·d·k).

// Rows converted to f64 per covariance block: 32 rows of d ≤ 512 doubles stay within L2.
// @ts-ignore: decorator
@inline const ROW_BLOCK: i32 = 32;

/** Column means (f64). */
export function columnMeans(x: usize, n: i32, d: i32, means: usize): void {
  memory.fill(means, 0, (<usize>d) << 3);
  const rowBytes = (<usize>d) << 2;
  for (let i = 0; i < n; i++) {
    const px = x + <usize>i * rowBytes;
    for (let k = 0; k < d; k++) {
      const pm = means + ((<usize>k) << 3);
      store<f64>(pm, load<f64>(pm) + <f64>load<f32>(px + ((<usize>k) << 2)));
    }
  }
  if (n > 0) {
    const inv = 1.0 / <f64>n;
    for (let k = 0; k < d; k++) {
      const pm = means + ((<usize>k) << 3);
      store<f64>(pm, load<f64>(pm) * inv);
    }
  }
}

/** Bytes of scratch `covariance` needs for d columns. */
export function covarianceScratchBytes(d: i32): usize {
  return ((<usize>ROW_BLOCK * <usize>d) << 3) + 16;
}

/**
 * Covariance of the columns, Σ (x − μ)(x − μ)ᵀ / (n − ddof). Rows are centred and widened
 * to f64 a block at a time; each block adds its outer products to the upper triangle with
 * f64x2, then the lower triangle is mirrored.
 */
export function covariance(
  x: usize,
  n: i32,
  d: i32,
  means: usize,
  ddof: i32,
  out: usize,
  scratch: usize,
): void {
  const block = (scratch + 15) & ~(<usize>15);
  const rowBytes = (<usize>d) << 2;
  const outRow = (<usize>d) << 3;
  memory.fill(out, 0, (<usize>d * <usize>d) << 3);
  for (let r0 = 0; r0 < n; r0 += ROW_BLOCK) {
    const r1 = min(r0 + ROW_BLOCK, n);
    const rows = r1 - r0;
    for (let r = 0; r < rows; r++) {
      const px = x + <usize>(r0 + r) * rowBytes;
      const pb = block + <usize>r * outRow;
      for (let k = 0; k < d; k++) {
        store<f64>(
          pb + ((<usize>k) << 3),
          <f64>load<f32>(px + ((<usize>k) << 2)) - load<f64>(means + ((<usize>k) << 3)),
        );
      }
    }
    for (let i = 0; i < d; i++) {
      const po = out + <usize>i * outRow;
      for (let r = 0; r < rows; r++) {
        const pb = block + <usize>r * outRow;
        const ci = load<f64>(pb + ((<usize>i) << 3));
        if (ci == 0) continue;
        const vi = f64x2.splat(ci);
        let j = i;
        if (j & 1) {
          const p = po + ((<usize>j) << 3);
          store<f64>(p, load<f64>(p) + ci * load<f64>(pb + ((<usize>j) << 3)));
          j++;
        }
        for (; j + 1 < d; j += 2) {
          const off = (<usize>j) << 3;
          v128.store(po + off, f64x2.add(v128.load(po + off), f64x2.mul(vi, v128.load(pb + off))));
        }
        if (j < d) {
          const p = po + ((<usize>j) << 3);
          store<f64>(p, load<f64>(p) + ci * load<f64>(pb + ((<usize>j) << 3)));
        }
      }
    }
  }
  const denominator = <f64>(n - ddof);
  const scale = denominator > 0 ? 1.0 / denominator : 0;
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      const p = out + <usize>i * outRow + ((<usize>j) << 3);
      const v = load<f64>(p) * scale;
      store<f64>(p, v);
      store<f64>(out + <usize>j * outRow + ((<usize>i) << 3), v);
    }
  }
}

/** out (n × k f32) = (X − μ) · components, accumulated in f64. */
export function projectCentered(
  x: usize,
  n: i32,
  d: i32,
  means: usize,
  components: usize,
  k: i32,
  out: usize,
): void {
  const rowBytes = (<usize>d) << 2;
  const compRow = (<usize>k) << 3;
  for (let i = 0; i < n; i++) {
    const px = x + <usize>i * rowBytes;
    const po = out + ((<usize>i * <usize>k) << 2);
    for (let j = 0; j < k; j++) {
      let s: f64 = 0;
      for (let c = 0; c < d; c++) {
        const v = <f64>load<f32>(px + ((<usize>c) << 2)) - load<f64>(means + ((<usize>c) << 3));
        s += v * load<f64>(components + <usize>c * compRow + ((<usize>j) << 3));
      }
      store<f32>(po + ((<usize>j) << 2), <f32>s);
    }
  }
}
