// Pairwise distances between the rows of two float32 matrices, blocked with f32x4.
//
// Squared Euclidean distances are summed as Σ (x_k − y_k)² (the direct form) rather than
// ‖x‖² + ‖y‖² − 2x·y: it costs one extra subtraction per element but never cancels, so a
// duplicate point is at distance exactly 0 and near neighbours keep their order — the
// expansion loses both (see sklearn's euclidean_distances notes on float32 precision).
// Cosine distances are 1 − x̂·ŷ on rows the caller has normalised (normalizeRows); a zero row
// stays zero, so its distance to every row is 1 (scikit-learn's convention).
//
// Memory contract: X is nx × d and Y is ny × d, row-major f32; `out` receives the tile
// rows [i0, i1) × columns [j0, j1) at out[(i − i0) · ld + (j − j0)].
// Complexity: 3·d flops per pair (d for the dot form), no allocation.
//
// Accumulation is in f32 lanes: four partial sums per pair of rows, reduced in a fixed lane
// order, so results are bit-identical across runs and engines. Relative error grows like
// √d · 2⁻²⁴, far below what changes a neighbour order on real data.

/** Metric codes shared with src/algo/distance.ts. */
export const METRIC_SQEUCLIDEAN: i32 = 0;
export const METRIC_EUCLIDEAN: i32 = 1;
export const METRIC_COSINE: i32 = 2;

// Register tile: 4 rows of X against 2 rows of Y keep 8 accumulators and 6 loaded vectors
// live, which fits the 16 SIMD registers of x86-64 without spills.
// @ts-ignore: decorator
@inline const TILE_ROWS: i32 = 4;
// @ts-ignore: decorator
@inline const TILE_COLS: i32 = 2;

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return (
    f32x4.extract_lane(v, 0) +
    f32x4.extract_lane(v, 1) +
    (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3))
  );
}

/** One pair: Σ (x−y)² when `diff`, else Σ x·y. */
// @ts-ignore: decorator
@inline function pair(px: usize, py: usize, d: i32, diff: bool): f32 {
  const d4 = d & ~3;
  let acc = f32x4.splat(0);
  for (let k = 0; k < d4; k += 4) {
    const off = (<usize>k) << 2;
    const x = v128.load(px + off);
    const y = v128.load(py + off);
    if (diff) {
      const t = f32x4.sub(x, y);
      acc = f32x4.add(acc, f32x4.mul(t, t));
    } else {
      acc = f32x4.add(acc, f32x4.mul(x, y));
    }
  }
  return tailAcc(hsum(acc), px, py, d4, d, diff);
}

/**
 * Continue the sum `s` over the elements [d4, d) that do not fill a vector. `pair` and the
 * register tile both end this way, so a pair's value does not depend on where it falls.
 */
// @ts-ignore: decorator
@inline function tailAcc(s: f32, px: usize, py: usize, d4: i32, d: i32, diff: bool): f32 {
  for (let k = d4; k < d; k++) {
    const off = (<usize>k) << 2;
    const x = load<f32>(px + off);
    const y = load<f32>(py + off);
    if (diff) {
      const t = x - y;
      s += t * t;
    } else {
      s += x * y;
    }
  }
  return s;
}

/** Σ (x − y)² of one pair of rows, bit-identical to the same pair inside a tile. */
// @ts-ignore: decorator
@inline export function squaredDistancePair(px: usize, py: usize, d: i32): f32 {
  return pair(px, py, d, true);
}

/**
 * Tile of raw sums (Σ(x−y)² or Σxy) for rows [i0,i1) of X and [j0,j1) of Y.
 * The 4×2 register tile must give exactly the same value as `pair` for every pair so that
 * results do not depend on where a pair falls in a tile: both reduce lanes in the same order.
 */
// @ts-ignore: decorator
@inline function sumTile(
  x: usize,
  y: usize,
  d: i32,
  i0: i32,
  i1: i32,
  j0: i32,
  j1: i32,
  out: usize,
  ld: i32,
  diff: bool,
): void {
  const rowBytes = (<usize>d) << 2;
  const d4 = d & ~3;
  const iFull = i0 + ((i1 - i0) / TILE_ROWS) * TILE_ROWS;
  const jFull = j0 + ((j1 - j0) / TILE_COLS) * TILE_COLS;
  for (let i = i0; i < iFull; i += TILE_ROWS) {
    const px0 = x + <usize>i * rowBytes;
    const px1 = px0 + rowBytes;
    const px2 = px1 + rowBytes;
    const px3 = px2 + rowBytes;
    const o0 = out + (((<usize>(i - i0)) * <usize>ld) << 2);
    const o1 = o0 + ((<usize>ld) << 2);
    const o2 = o1 + ((<usize>ld) << 2);
    const o3 = o2 + ((<usize>ld) << 2);
    for (let j = j0; j < jFull; j += TILE_COLS) {
      const py0 = y + <usize>j * rowBytes;
      const py1 = py0 + rowBytes;
      let a00 = f32x4.splat(0), a01 = f32x4.splat(0);
      let a10 = f32x4.splat(0), a11 = f32x4.splat(0);
      let a20 = f32x4.splat(0), a21 = f32x4.splat(0);
      let a30 = f32x4.splat(0), a31 = f32x4.splat(0);
      for (let k = 0; k < d4; k += 4) {
        const off = (<usize>k) << 2;
        const y0 = v128.load(py0 + off);
        const y1 = v128.load(py1 + off);
        const x0 = v128.load(px0 + off);
        const x1 = v128.load(px1 + off);
        const x2 = v128.load(px2 + off);
        const x3 = v128.load(px3 + off);
        if (diff) {
          let t = f32x4.sub(x0, y0);
          a00 = f32x4.add(a00, f32x4.mul(t, t));
          t = f32x4.sub(x0, y1);
          a01 = f32x4.add(a01, f32x4.mul(t, t));
          t = f32x4.sub(x1, y0);
          a10 = f32x4.add(a10, f32x4.mul(t, t));
          t = f32x4.sub(x1, y1);
          a11 = f32x4.add(a11, f32x4.mul(t, t));
          t = f32x4.sub(x2, y0);
          a20 = f32x4.add(a20, f32x4.mul(t, t));
          t = f32x4.sub(x2, y1);
          a21 = f32x4.add(a21, f32x4.mul(t, t));
          t = f32x4.sub(x3, y0);
          a30 = f32x4.add(a30, f32x4.mul(t, t));
          t = f32x4.sub(x3, y1);
          a31 = f32x4.add(a31, f32x4.mul(t, t));
        } else {
          a00 = f32x4.add(a00, f32x4.mul(x0, y0));
          a01 = f32x4.add(a01, f32x4.mul(x0, y1));
          a10 = f32x4.add(a10, f32x4.mul(x1, y0));
          a11 = f32x4.add(a11, f32x4.mul(x1, y1));
          a20 = f32x4.add(a20, f32x4.mul(x2, y0));
          a21 = f32x4.add(a21, f32x4.mul(x2, y1));
          a30 = f32x4.add(a30, f32x4.mul(x3, y0));
          a31 = f32x4.add(a31, f32x4.mul(x3, y1));
        }
      }
      const oj = (<usize>(j - j0)) << 2;
      store<f32>(o0 + oj, tailAcc(hsum(a00), px0, py0, d4, d, diff));
      store<f32>(o0 + oj, tailAcc(hsum(a01), px0, py1, d4, d, diff), 4);
      store<f32>(o1 + oj, tailAcc(hsum(a10), px1, py0, d4, d, diff));
      store<f32>(o1 + oj, tailAcc(hsum(a11), px1, py1, d4, d, diff), 4);
      store<f32>(o2 + oj, tailAcc(hsum(a20), px2, py0, d4, d, diff));
      store<f32>(o2 + oj, tailAcc(hsum(a21), px2, py1, d4, d, diff), 4);
      store<f32>(o3 + oj, tailAcc(hsum(a30), px3, py0, d4, d, diff));
      store<f32>(o3 + oj, tailAcc(hsum(a31), px3, py1, d4, d, diff), 4);
    }
    // Columns left over by the 2-wide tile.
    for (let j = jFull; j < j1; j++) {
      const py = y + <usize>j * rowBytes;
      const oj = (<usize>(j - j0)) << 2;
      store<f32>(o0 + oj, pair(px0, py, d, diff));
      store<f32>(o1 + oj, pair(px1, py, d, diff));
      store<f32>(o2 + oj, pair(px2, py, d, diff));
      store<f32>(o3 + oj, pair(px3, py, d, diff));
    }
  }
  // Rows left over by the 4-high tile.
  for (let i = iFull; i < i1; i++) {
    const px = x + <usize>i * rowBytes;
    const o = out + (((<usize>(i - i0)) * <usize>ld) << 2);
    for (let j = j0; j < j1; j++) {
      store<f32>(o + ((<usize>(j - j0)) << 2), pair(px, y + <usize>j * rowBytes, d, diff));
    }
  }
}

/** Raw tile of squared Euclidean distances (see the memory contract above). */
export function squaredDistanceTile(
  x: usize,
  y: usize,
  d: i32,
  i0: i32,
  i1: i32,
  j0: i32,
  j1: i32,
  out: usize,
  ld: i32,
): void {
  sumTile(x, y, d, i0, i1, j0, j1, out, ld, true);
}

/** Raw tile of dot products. */
export function dotTile(
  x: usize,
  y: usize,
  d: i32,
  i0: i32,
  i1: i32,
  j0: i32,
  j1: i32,
  out: usize,
  ld: i32,
): void {
  sumTile(x, y, d, i0, i1, j0, j1, out, ld, false);
}

/**
 * Scale each row to unit Euclidean norm (norm accumulated in f64); zero rows stay zero.
 * `src` and `dst` may be the same buffer.
 */
export function normalizeRows(src: usize, dst: usize, n: i32, d: i32): void {
  const rowBytes = (<usize>d) << 2;
  for (let i = 0; i < n; i++) {
    const ps = src + <usize>i * rowBytes;
    const pd = dst + <usize>i * rowBytes;
    let s: f64 = 0;
    for (let k = 0; k < d; k++) {
      const v = <f64>load<f32>(ps + ((<usize>k) << 2));
      s += v * v;
    }
    const scale: f32 = s > 0 ? <f32>(1.0 / Math.sqrt(s)) : 0;
    for (let k = 0; k < d; k++) {
      const off = (<usize>k) << 2;
      store<f32>(pd + off, load<f32>(ps + off) * scale);
    }
  }
}

/**
 * Turn a tile of raw sums into distances of `metric`, in place: sqrt for Euclidean,
 * 1 − dot for cosine (rows pre-normalised), nothing for squared Euclidean.
 */
export function finishDistances(out: usize, rows: i32, cols: i32, ld: i32, metric: i32): void {
  if (metric == METRIC_SQEUCLIDEAN) return;
  for (let i = 0; i < rows; i++) {
    const o = out + (((<usize>i) * <usize>ld) << 2);
    for (let j = 0; j < cols; j++) {
      const p = o + ((<usize>j) << 2);
      const v = load<f32>(p);
      if (metric == METRIC_EUCLIDEAN) store<f32>(p, Mathf.sqrt(v));
      else store<f32>(p, <f32>1 - v);
    }
  }
}

// Bytes of Y rows visited per pass over the X rows: a block this size stays in a 256 KiB L2
// while four X rows sit in L1, so each Y row is read from memory once per block of X rows.
// @ts-ignore: decorator
@inline const COLUMN_BLOCK_BYTES: i32 = 128 * 1024;
// @ts-ignore: decorator
@inline const MIN_COLUMN_BLOCK: i32 = 16;

/** Y rows per cache block for rows of d floats. */
// @ts-ignore: decorator
@inline export function columnBlock(d: i32): i32 {
  return max(MIN_COLUMN_BLOCK, (COLUMN_BLOCK_BYTES / max(1, d * 4)) & ~1);
}

/**
 * Distances between rows [i0, i1) of X and all ny rows of Y into out (ld = ny), blocked for
 * cache. For cosine, X and Y must already be normalised.
 */
export function pairwiseDistances(
  x: usize,
  y: usize,
  ny: i32,
  d: i32,
  i0: i32,
  i1: i32,
  metric: i32,
  out: usize,
): void {
  const diff = metric != METRIC_COSINE;
  const block = columnBlock(d);
  for (let j0 = 0; j0 < ny; j0 += block) {
    const j1 = min(j0 + block, ny);
    const tile = out + ((<usize>j0) << 2);
    if (diff) sumTile(x, y, d, i0, i1, j0, j1, tile, ny, true);
    else sumTile(x, y, d, i0, i1, j0, j1, tile, ny, false);
  }
  finishDistances(out, i1 - i0, ny, ny, metric);
}
