// Multidimensional scaling kernels, in float64.
//
// Classical MDS (W. S. Torgerson, Psychometrika 17, 1952; J. C. Gower, Biometrika 53, 1966):
// B = −½ J D^(2) J with J = I − 11ᵀ/n (double centring), coordinates = leading eigenvectors
// of B scaled by √λ. scikit-learn has no classical MDS; Isomap gets it from KernelPCA on
// −½ G² (sklearn/manifold/_isomap.py), which is the same matrix. B is never formed for large
// n: mdsCenteredSquaredMatvec applies it to a vector from the f32 distance matrix, so the
// Lanczos solver (src/algo/lanczos.ts) needs n² f32 instead of n² f64.
//
// Metric MDS by SMACOF (J. de Leeuw, "Applications of convex analysis to multidimensional
// scaling", 1977; Borg & Groenen, Modern Multidimensional Scaling, 2nd ed., §8.6): each step
// is the Guttman transform X ← n⁻¹ B(X) X with B(X)_ij = −δ_ij/d_ij(X) (i ≠ j),
// B_ii = −Σ_j≠i B_ij, unit weights. Matches sklearn/manifold/_mds.py `_smacof_single`
// (scikit-learn 1.2): raw stress Σ_i<j (d_ij − δ_ij)² of the configuration before the step,
// and zero distances replaced by ZERO_DISTANCE before dividing.
//
// Memory contract: D and δ are n × n f32 (symmetric; only the upper triangle is read by
// SMACOF); vectors f64 n; configurations f64 n × p row-major; scratch as documented per kernel.
// Complexity: matvec O(n²); double centring O(n²); SMACOF step O(n²·p) over the n(n−1)/2
// pairs, f64x2 over columns j.

// sklearn _smacof_single: `dis[dis == 0] = 1e-5` before the ratio δ/d.
// @ts-ignore: decorator
@inline const ZERO_DISTANCE: f64 = 1e-5;

// @ts-ignore: decorator
@inline function f64At(p: usize, i: i32): usize {
  return p + ((<usize>i) << 3);
}

/** Two f32 at p widened to f64x2. */
// @ts-ignore: decorator
@inline function load2(p: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(p));
}

/**
 * y = −½ J (D∘D) J x: the double-centred squared-distance matrix times x, without forming
 * it. scratch: f64 n (the centred x).
 */
export function mdsCenteredSquaredMatvec(d: usize, n: i32, x: usize, y: usize, scratch: usize): void {
  let mean: f64 = 0;
  for (let i = 0; i < n; i++) mean += load<f64>(f64At(x, i));
  mean /= <f64>n;
  for (let i = 0; i < n; i++) store<f64>(f64At(scratch, i), load<f64>(f64At(x, i)) - mean);
  const n2 = n & ~1;
  const rowBytes = (<usize>n) << 2;
  let ymean: f64 = 0;
  for (let i = 0; i < n; i++) {
    const row = d + <usize>i * rowBytes;
    let acc = f64x2.splat(0);
    for (let j = 0; j < n2; j += 2) {
      const dd = load2(row + ((<usize>j) << 2));
      acc = f64x2.add(acc, f64x2.mul(f64x2.mul(dd, dd), v128.load(f64At(scratch, j))));
    }
    let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
    if (n2 < n) {
      const v = <f64>load<f32>(row + ((<usize>n2) << 2));
      s += v * v * load<f64>(f64At(scratch, n2));
    }
    store<f64>(f64At(y, i), s);
    ymean += s;
  }
  ymean /= <f64>n;
  for (let i = 0; i < n; i++) store<f64>(f64At(y, i), -0.5 * (load<f64>(f64At(y, i)) - ymean));
}

/**
 * B = −½ J (D∘D) J as a dense f64 n × n matrix (for the full eigendecomposition of small n).
 * scratch: f64 n (row means of D∘D, which are also its column means: D is symmetric).
 */
export function mdsDoubleCenter(d: usize, n: i32, b: usize, scratch: usize): void {
  const rowBytes = (<usize>n) << 2;
  let grand: f64 = 0;
  for (let i = 0; i < n; i++) {
    const row = d + <usize>i * rowBytes;
    let s: f64 = 0;
    for (let j = 0; j < n; j++) {
      const v = <f64>load<f32>(row + ((<usize>j) << 2));
      s += v * v;
    }
    store<f64>(f64At(scratch, i), s / <f64>n);
    grand += s;
  }
  grand /= <f64>n * <f64>n;
  for (let i = 0; i < n; i++) {
    const row = d + <usize>i * rowBytes;
    const mi = load<f64>(f64At(scratch, i));
    for (let j = 0; j < n; j++) {
      const v = <f64>load<f32>(row + ((<usize>j) << 2));
      store<f64>(f64At(b, i * n + j), -0.5 * (v * v - mi - load<f64>(f64At(scratch, j)) + grand));
    }
  }
}

/**
 * One SMACOF iteration for unit weights: returns the raw stress of X and writes the Guttman
 * transform of X to xOut. X and xOut are n × p f64 (distinct buffers). scratch: f64 2·n·p
 * (coordinates and accumulators by column, so the pair loop runs f64x2 over j).
 */
export function mdsSmacofStep(delta: usize, n: i32, p: i32, x: usize, xOut: usize, scratch: usize): f64 {
  const cols = scratch; // p columns of n
  const accs = scratch + (((<usize>n) * <usize>p) << 3); // p columns of n
  const colBytes = (<usize>n) << 3;
  mdsSmacofColumns(x, n, p, cols);
  memory.fill(accs, 0, ((<usize>n) * <usize>p) << 3);
  const stress = smacofPairs(delta, n, p, cols, accs, 0, n - 1);
  const invN = 1.0 / <f64>n;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < p; c++) {
      store<f64>(f64At(xOut, i * p + c), load<f64>(accs + <usize>c * colBytes + ((<usize>i) << 3)) * invN);
    }
  }
  return stress;
}

/** X (n × p f64, row-major) into p columns of n at `cols`: the layout the pair loop reads. */
export function mdsSmacofColumns(x: usize, n: i32, p: i32, cols: usize): void {
  const colBytes = (<usize>n) << 3;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < p; c++) {
      store<f64>(cols + <usize>c * colBytes + ((<usize>i) << 3), load<f64>(f64At(x, i * p + c)));
    }
  }
}

/**
 * The SMACOF step in row blocks, for the kernel threads: block b (of those whose first rows are
 * bounds[0] < bounds[1] < …, i32) takes the pairs (i, j > i) of its rows [bounds[b], bounds[b + 1]),
 * each pair once as mdsSmacofStep does, and gathers both ends' sums in an accumulator of its own
 * (p columns of n f64 at accs + b·n·p·8; it zeroes and writes rows ≥ bounds[b] only). Returns the
 * block's part of the raw stress. X is in columns (mdsSmacofColumns); mdsSmacofCombine adds the
 * blocks in block order, so the step does not depend on which thread ran which block.
 */
export function mdsSmacofBlock(delta: usize, n: i32, p: i32, cols: usize, bounds: usize, b: i32, accs: usize): f64 {
  const i0 = load<i32>(bounds + ((<usize>b) << 2));
  const i1 = min(load<i32>(bounds + ((<usize>(b + 1)) << 2)), n - 1);
  const colBytes = (<usize>n) << 3;
  const acc = accs + <usize>b * <usize>p * colBytes;
  for (let c = 0; c < p; c++) {
    memory.fill(acc + <usize>c * colBytes + ((<usize>i0) << 3), 0, (<usize>(n - i0)) << 3);
  }
  return smacofPairs(delta, n, p, cols, acc, i0, i1);
}

/**
 * xOut = n⁻¹ Σ_b acc_b over the `blocks` accumulators of mdsSmacofBlock, added in block order;
 * row i reads only the blocks that start at or before it (the others never touch it).
 */
export function mdsSmacofCombine(n: i32, p: i32, bounds: usize, blocks: i32, accs: usize, xOut: usize): void {
  const colBytes = (<usize>n) << 3;
  const blockBytes = <usize>p * colBytes;
  const invN = 1.0 / <f64>n;
  let last = 0; // the last block that starts at or before row i
  for (let i = 0; i < n; i++) {
    while (last + 1 < blocks && load<i32>(bounds + ((<usize>(last + 1)) << 2)) <= i) last++;
    for (let c = 0; c < p; c++) {
      const at = <usize>c * colBytes + ((<usize>i) << 3);
      let sum = load<f64>(accs + at);
      for (let b = 1; b <= last; b++) sum += load<f64>(accs + <usize>b * blockBytes + at);
      store<f64>(f64At(xOut, i * p + c), sum * invN);
    }
  }
}

/**
 * The pairs (i, j > i) of rows [i0, i1): row i gains Σ_j r_ij (x_i − x_j) and row j gains
 * r_ij (x_j − x_i) in `accs` (p columns of n), r_ij = δ_ij / d_ij(X). Returns Σ (d_ij − δ_ij)².
 */
// @ts-ignore: decorator
@inline function smacofPairs(delta: usize, n: i32, p: i32, cols: usize, accs: usize, i0: i32, i1: i32): f64 {
  const colBytes = (<usize>n) << 3;
  const rowBytes = (<usize>n) << 2;
  const zero = f64x2.splat(0);
  const tiny = f64x2.splat(ZERO_DISTANCE);
  let stress = f64x2.splat(0);
  let stressTail: f64 = 0;
  for (let i = i0; i < i1; i++) {
    const row = delta + <usize>i * rowBytes;
    let j = i + 1;
    // Scalar head so that the vector loop starts at an even j (aligned column pairs).
    if (j & 1) {
      stressTail += smacofPair(row, cols, accs, colBytes, p, i, j);
      j++;
    }
    for (; j + 1 < n; j += 2) {
      let d2 = zero;
      for (let c = 0; c < p; c++) {
        const col = cols + <usize>c * colBytes;
        const t = f64x2.sub(f64x2.splat(load<f64>(f64At(col, i))), v128.load(f64At(col, j)));
        d2 = f64x2.add(d2, f64x2.mul(t, t));
      }
      let dist = f64x2.sqrt(d2);
      const target = load2(row + ((<usize>j) << 2));
      const e = f64x2.sub(dist, target);
      stress = f64x2.add(stress, f64x2.mul(e, e));
      dist = v128.bitselect(tiny, dist, f64x2.eq(dist, zero));
      const ratio = f64x2.div(target, dist);
      for (let c = 0; c < p; c++) {
        const col = cols + <usize>c * colBytes;
        const acc = accs + <usize>c * colBytes;
        const xi = f64x2.splat(load<f64>(f64At(col, i)));
        const contribution = f64x2.mul(ratio, f64x2.sub(xi, v128.load(f64At(col, j))));
        // Row i gains Σ_j r_ij (x_i − x_j); row j gains r_ij (x_j − x_i).
        v128.store(f64At(acc, j), f64x2.sub(v128.load(f64At(acc, j)), contribution));
        store<f64>(
          f64At(acc, i),
          load<f64>(f64At(acc, i)) + f64x2.extract_lane(contribution, 0) + f64x2.extract_lane(contribution, 1),
        );
      }
    }
    if (j < n) stressTail += smacofPair(row, cols, accs, colBytes, p, i, j);
  }
  return f64x2.extract_lane(stress, 0) + f64x2.extract_lane(stress, 1) + stressTail;
}

/** One pair (i, j) of the SMACOF step, scalar; returns its squared residual. */
// @ts-ignore: decorator
@inline function smacofPair(row: usize, cols: usize, accs: usize, colBytes: usize, p: i32, i: i32, j: i32): f64 {
  let d2: f64 = 0;
  for (let c = 0; c < p; c++) {
    const col = cols + <usize>c * colBytes;
    const t = load<f64>(f64At(col, i)) - load<f64>(f64At(col, j));
    d2 += t * t;
  }
  let dist = Math.sqrt(d2);
  const target = <f64>load<f32>(row + ((<usize>j) << 2));
  const e = dist - target;
  if (dist == 0) dist = ZERO_DISTANCE;
  const ratio = target / dist;
  for (let c = 0; c < p; c++) {
    const col = cols + <usize>c * colBytes;
    const acc = accs + <usize>c * colBytes;
    const contribution = ratio * (load<f64>(f64At(col, i)) - load<f64>(f64At(col, j)));
    store<f64>(f64At(acc, i), load<f64>(f64At(acc, i)) + contribution);
    store<f64>(f64At(acc, j), load<f64>(f64At(acc, j)) - contribution);
  }
  return e * e;
}
