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
 * Rows [i0, i1) of the upper triangle of Σ_r (x_r − mean)ᵀ(x_r − mean), unscaled, into `out`
 * (those rows zeroed first; the rest untouched): the rows are centred ROW_BLOCK at a time into
 * `scratch` (covarianceScratchBytes) and each entry sums its products in row order, whatever
 * [i0, i1) is, so any split of the rows gives `covariance`'s entries bit for bit.
 */
// @ts-ignore: decorator
@inline function covarianceUpper(x: usize, n: i32, d: i32, means: usize, out: usize, scratch: usize, i0: i32, i1: i32): void {
  const block = (scratch + 15) & ~(<usize>15);
  const rowBytes = (<usize>d) << 2;
  const outRow = (<usize>d) << 3;
  memory.fill(out + <usize>i0 * outRow, 0, <usize>(i1 - i0) * outRow);
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
    for (let i = i0; i < i1; i++) {
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
}

/**
 * The covariance's upper triangle in pieces of rows, for the kernel threads: piece p is rows
 * [bounds[p], bounds[p + 1]) (i32 bounds); pieces [p0, p1) here, with the calling thread's own
 * scratch (covarianceScratchBytes). After every piece, covarianceFinish(n, d, ddof, out) gives
 * `covariance`'s matrix bit for bit.
 */
export function covariancePieces(
  x: usize,
  n: i32,
  d: i32,
  means: usize,
  out: usize,
  scratch: usize,
  bounds: usize,
  p0: i32,
  p1: i32,
): void {
  for (let p = p0; p < p1; p++) {
    const i0 = load<i32>(bounds + ((<usize>p) << 2));
    const i1 = load<i32>(bounds + ((<usize>(p + 1)) << 2));
    covarianceUpper(x, n, d, means, out, scratch, i0, i1);
  }
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
  const outRow = (<usize>d) << 3;
  covarianceUpper(x, n, d, means, out, scratch, 0, d);
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

// Rows per chunk of `covarianceChunked`: each chunk's products are summed in f32 over at most
// this many rows, then added to the f64 total.
// @ts-ignore: decorator
@inline const CHUNK_ROWS: i32 = 128;

/** Columns padded to a multiple of 8 (the tile width of `covarianceChunked`). */
// @ts-ignore: decorator
@inline function padded(d: i32): i32 {
  return (d + 7) & ~7;
}

/** Bytes of scratch `covarianceChunked` needs for d columns. */
export function covarianceChunkedScratchBytes(d: i32): usize {
  return ((<usize>CHUNK_ROWS * <usize>padded(d)) << 2) + 16;
}

/**
 * The covariance of `covariance`, for large n: rows are centred (in f64, stored as f32) a chunk
 * of CHUNK_ROWS at a time, and each chunk's Σ (x − μ)(x − μ)ᵀ is accumulated in f32x4 register
 * tiles of 4 × 8 entries, then added to the f64 result. The f32 sums run over at most
 * CHUNK_ROWS terms, so the relative error stays near 1e-6 (the f64 kernel's is near 1e-15)
 * while the tiles do 32 multiply-adds per 6 loads: several times faster at n·d² ≫ 2³⁰.
 */
export function covarianceChunked(
  x: usize,
  n: i32,
  d: i32,
  means: usize,
  ddof: i32,
  out: usize,
  scratch: usize,
): void {
  memory.fill(out, 0, (<usize>d * <usize>d) << 3);
  covarianceChunkedAdd(x, n, d, means, out, scratch);
  covarianceFinish(n, d, ddof, out);
}

/**
 * Adds the rows' Σ (x − μ)(x − μ)ᵀ to the upper triangle of `out` (unscaled): the streaming form
 * of `covarianceChunked`, for rows uploaded a block at a time. Blocks of a multiple of
 * CHUNK_ROWS rows give the same chunks, hence the same bits, as one call over all rows.
 */
export function covarianceChunkedAdd(x: usize, n: i32, d: i32, means: usize, out: usize, scratch: usize): void {
  const block = (scratch + 15) & ~(<usize>15);
  const dp = padded(d);
  const rowBytes = (<usize>d) << 2;
  const blockRow = (<usize>dp) << 2;
  const outRow = (<usize>d) << 3;
  // The chunk is packed by groups of 4 columns: group g holds rows × 4 floats, contiguous, so
  // a tile reads three sequential streams (16 bytes a row each).
  const groupBytes = (<usize>CHUNK_ROWS) << 4;
  memory.fill(block, 0, <usize>CHUNK_ROWS * blockRow);
  for (let r0 = 0; r0 < n; r0 += CHUNK_ROWS) {
    const rows = min(r0 + CHUNK_ROWS, n) - r0;
    for (let r = 0; r < rows; r++) {
      const px = x + <usize>(r0 + r) * rowBytes;
      const pb = block + ((<usize>r) << 4);
      for (let k = 0; k < d; k++) {
        store<f32>(
          pb + <usize>(k >> 2) * groupBytes + ((<usize>(k & 3)) << 2),
          <f32>(<f64>load<f32>(px + ((<usize>k) << 2)) - load<f64>(means + ((<usize>k) << 3))),
        );
      }
    }
    // Tiles of columns j0 … j0 + 7 against rows i0 … i0 + 3, on or above the diagonal's tile.
    for (let j0 = 0; j0 < d; j0 += 8) {
      const pa0 = block + <usize>(j0 >> 2) * groupBytes;
      const pa1 = pa0 + groupBytes;
      for (let i0 = 0; i0 < j0 + 8 && i0 < d; i0 += 4) {
        const pi = block + <usize>(i0 >> 2) * groupBytes;
        let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
        let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
        let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
        let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
        const end = (<usize>rows) << 4;
        for (let off: usize = 0; off < end; off += 16) {
          const a0 = v128.load(pa0 + off);
          const a1 = v128.load(pa1 + off);
          const b0 = v128.load32_splat(pi + off);
          const b1 = v128.load32_splat(pi + off, 4);
          const b2 = v128.load32_splat(pi + off, 8);
          const b3 = v128.load32_splat(pi + off, 12);
          c00 = f32x4.add(c00, f32x4.mul(b0, a0));
          c01 = f32x4.add(c01, f32x4.mul(b0, a1));
          c10 = f32x4.add(c10, f32x4.mul(b1, a0));
          c11 = f32x4.add(c11, f32x4.mul(b1, a1));
          c20 = f32x4.add(c20, f32x4.mul(b2, a0));
          c21 = f32x4.add(c21, f32x4.mul(b2, a1));
          c30 = f32x4.add(c30, f32x4.mul(b3, a0));
          c31 = f32x4.add(c31, f32x4.mul(b3, a1));
        }
        addTileRow(out, outRow, d, i0, j0, c00, c01);
        addTileRow(out, outRow, d, i0 + 1, j0, c10, c11);
        addTileRow(out, outRow, d, i0 + 2, j0, c20, c21);
        addTileRow(out, outRow, d, i0 + 3, j0, c30, c31);
      }
    }
  }
}

/** Scales the upper triangle summed by `covarianceChunkedAdd` by 1 / (n − ddof) and mirrors it. */
export function covarianceFinish(n: i32, d: i32, ddof: i32, out: usize): void {
  const outRow = (<usize>d) << 3;
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

/** out[i][j0 … j0 + 7] += the eight lanes of (lo, hi), for the columns below d (rows below d). */
// @ts-ignore: decorator
@inline function addTileRow(out: usize, outRow: usize, d: i32, i: i32, j0: i32, lo: v128, hi: v128): void {
  if (i >= d) return;
  const po = out + <usize>i * outRow + ((<usize>j0) << 3);
  if (j0 + 8 <= d) {
    v128.store(po, f64x2.add(v128.load(po), f64x2.promote_low_f32x4(lo)));
    v128.store(po, f64x2.add(v128.load(po, 16), f64x2.promote_low_f32x4(v128.shuffle<f32>(lo, lo, 2, 3, 0, 1))), 16);
    v128.store(po, f64x2.add(v128.load(po, 32), f64x2.promote_low_f32x4(hi)), 32);
    v128.store(po, f64x2.add(v128.load(po, 48), f64x2.promote_low_f32x4(v128.shuffle<f32>(hi, hi, 2, 3, 0, 1))), 48);
    return;
  }
  for (let l = 0; l < 8 && j0 + l < d; l++) {
    const v: f32 = l == 0 ? f32x4.extract_lane(lo, 0) : l == 1 ? f32x4.extract_lane(lo, 1) : l == 2 ? f32x4.extract_lane(lo, 2) : l == 3 ? f32x4.extract_lane(lo, 3)
      : l == 4 ? f32x4.extract_lane(hi, 0) : l == 5 ? f32x4.extract_lane(hi, 1) : l == 6 ? f32x4.extract_lane(hi, 2) : f32x4.extract_lane(hi, 3);
    const p = po + ((<usize>l) << 3);
    store<f64>(p, load<f64>(p) + <f64>v);
  }
}

/** Bytes of scratch `projectCenteredPairs` needs for k components. */
export function projectScratchBytes(k: i32): usize {
  return ((<usize>((k + 1) & ~1)) << 3) + 16;
}

/**
 * `projectCentered` with two components at a time (f64x2): each row's centred value is
 * formed once and multiplies a pair of loadings. Every score is the same f64 sum over the
 * columns in the same order, so the result is bit-identical to `projectCentered`.
 */
export function projectCenteredPairs(
  x: usize,
  n: i32,
  d: i32,
  means: usize,
  components: usize,
  k: i32,
  out: usize,
  scratch: usize,
): void {
  const acc = (scratch + 15) & ~(<usize>15);
  const rowBytes = (<usize>d) << 2;
  const compRow = (<usize>k) << 3;
  const pairs = k >> 1;
  for (let i = 0; i < n; i++) {
    const px = x + <usize>i * rowBytes;
    const po = out + ((<usize>i * <usize>k) << 2);
    memory.fill(acc, 0, (<usize>((k + 1) & ~1)) << 3);
    for (let c = 0; c < d; c++) {
      const v = <f64>load<f32>(px + ((<usize>c) << 2)) - load<f64>(means + ((<usize>c) << 3));
      const vv = f64x2.splat(v);
      const pc = components + <usize>c * compRow;
      for (let p = 0; p < pairs; p++) {
        const pa = acc + ((<usize>p) << 4);
        v128.store(pa, f64x2.add(v128.load(pa), f64x2.mul(vv, v128.load(pc + ((<usize>p) << 4)))));
      }
      if (k & 1) {
        const pa = acc + ((<usize>(k - 1)) << 3);
        store<f64>(pa, load<f64>(pa) + v * load<f64>(pc + ((<usize>(k - 1)) << 3)));
      }
    }
    for (let j = 0; j < k; j++) store<f32>(po + ((<usize>j) << 2), <f32>load<f64>(acc + ((<usize>j) << 3)));
  }
}

/** y = A·x for the n × n symmetric f64 matrix A (row-major): the operator of Lanczos on a covariance. */
export function symmetricMatvec(a: usize, n: i32, x: usize, y: usize): void {
  const rowBytes = (<usize>n) << 3;
  for (let i = 0; i < n; i++) {
    const pa = a + <usize>i * rowBytes;
    let s = f64x2.splat(0);
    let j = 0;
    for (; j + 1 < n; j += 2) {
      const off = (<usize>j) << 3;
      s = f64x2.add(s, f64x2.mul(v128.load(pa + off), v128.load(x + off)));
    }
    let total = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
    if (j < n) total += load<f64>(pa + ((<usize>j) << 3)) * load<f64>(x + ((<usize>j) << 3));
    store<f64>(y + ((<usize>i) << 3), total);
  }
}
