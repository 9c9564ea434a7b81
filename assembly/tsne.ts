// t-distributed stochastic neighbour embedding (t-SNE), two output dimensions.
//
// L. van der Maaten & G. Hinton, "Visualizing data using t-SNE", JMLR 9, 2008 (eqs. 1, 4, 5:
// p_j|i ∝ exp(−β_i‖x_i − x_j‖²) with β_i set so that 2^H(P_i) equals the perplexity;
// q_ij = (1 + ‖y_i − y_j‖²)⁻¹ / Z; ∂C/∂y_i = 4 Σ_j (p_ij − q_ij)(1 + ‖y_i − y_j‖²)⁻¹ (y_i − y_j)),
// and L. van der Maaten, "Accelerating t-SNE using tree-based algorithms", JMLR 15, 2014
// (Barnes–Hut: the repulsive sum over a quadtree cell is replaced by one term at its centre of
// mass when (cell width)² / ‖y_i − y_cell‖² < θ²; attractive forces over the sparse P).
//
// Reference implementation matched: scikit-learn 1.2 sklearn/manifold/_t_sne.py,
// _utils.pyx (`_binary_search_perplexity`), _barnes_hut_tsne.pyx (`compute_gradient`) and
// neighbors/_quad_tree.pyx (`summarize`): same binary search (tolerance, step rule, 100 steps),
// same cell-acceptance test, self/duplicate leaves skipped within QUAD_EPSILON, same KL
// formula (FLOAT32_TINY guards), same gradient-descent update with gains. Our quadtree stores
// cell sums in f64 and walks children with an explicit stack in the same depth-first order.
//
// Memory contract (all row-major):
//   tsneConditionalP: sqdist f32 rows × stride, the first rowLen entries of a row used (with
//     skipDiagonal, entry i of row i is ignored and set to 0); out f32 same layout.
//   tsneExactGradient: P f32 n × n symmetric joint probabilities; Y f32 n × 2; grad f32 n × 2;
//     scratch f64 4·n. tsneExactRows / tsneExactKlRows: P, Y as tsneExactGradient; attract,
//     repel f64 n × 2, written for the range's rows only.
//   tsneBuildTree: tree scratch tsneTreeBytes(capacity, n) bytes; returns the cell count or −1
//     when `capacity` nodes are not enough (the caller grows the block and retries).
//   tsneForces: P as CSR (rowPtr i32 n + 1, columns i32, values f32); Y as above; the tree
//     built from the same Y; neg, attract f64 n × 2, written for the range's points only.
//   tsneCombineForces: neg, attract as above; grad f32 n × 2. tsneKlRows: P, Y as above.
//   tsneUpdate: Y, grad, update, gains f32 of length `count`.
// Complexity: perplexity O(rows·rowLen·steps); exact gradient O(n²); Barnes–Hut
// O(n log n) per iteration for a fixed θ; update O(n).

// sklearn _utils.pyx: PERPLEXITY_TOLERANCE, n_steps, EPSILON_DBL.
// @ts-ignore: decorator
@inline const PERPLEXITY_TOLERANCE: f64 = 1e-5;
// @ts-ignore: decorator
@inline const PERPLEXITY_STEPS: i32 = 100;
// @ts-ignore: decorator
@inline const EPSILON_DBL: f64 = 1e-8;
// sklearn _t_sne.py: MACHINE_EPSILON = np.finfo(np.double).eps.
// @ts-ignore: decorator
@inline const MACHINE_EPSILON: f64 = 2.220446049250313e-16;
// sklearn _barnes_hut_tsne.pyx: FLOAT32_TINY = np.finfo(np.float32).tiny.
// @ts-ignore: decorator
@inline const FLOAT32_TINY: f64 = 1.1754943508222875e-38;
// sklearn _quad_tree.pyx: EPSILON, coordinates closer than this are the same point.
// @ts-ignore: decorator
@inline const QUAD_EPSILON: f32 = 1e-6;
// Deepest cell: beyond it points are kept together in one leaf (sklearn has no limit but
// splits until points differ by QUAD_EPSILON; 2⁻⁴⁸ of the root width is far below that).
// @ts-ignore: decorator
@inline const MAX_DEPTH: i32 = 48;
// Root cell slightly larger than the bounding box so no point lies on its far edge.
// @ts-ignore: decorator
@inline const ROOT_MARGIN: f32 = 1e-3;
// sklearn _gradient_descent: gains += 0.2 / *= 0.8, min_gain = 0.01.
// @ts-ignore: decorator
@inline const GAIN_INCREMENT: f32 = 0.2;
// @ts-ignore: decorator
@inline const GAIN_DECAY: f32 = 0.8;
// @ts-ignore: decorator
@inline const MIN_GAIN: f32 = 0.01;
// ∂C/∂y = 2(ν + 1)/ν Σ …, ν = 1 degree of freedom in 2-D (sklearn `c` in _kl_divergence).
// @ts-ignore: decorator
@inline const GRADIENT_FACTOR: f64 = 4.0;

// @ts-ignore: decorator
@inline function f32At(p: usize, i: i32): usize {
  return p + ((<usize>i) << 2);
}
// @ts-ignore: decorator
@inline function f64At(p: usize, i: i32): usize {
  return p + ((<usize>i) << 3);
}

/**
 * Conditional probabilities p_j|i by binary search on β_i (sklearn `_binary_search_perplexity`).
 * Returns Σ_i √(1/β_i) (the caller reports the mean σ as sklearn's verbose output does).
 */
export function tsneConditionalP(
  sqdist: usize,
  rows: i32,
  rowLen: i32,
  stride: i32,
  skipDiagonal: i32,
  perplexity: f64,
  out: usize,
): f64 {
  return tsneConditionalPRows(sqdist, 0, rows, rowLen, stride, skipDiagonal, perplexity, out);
}

/**
 * tsneConditionalP for rows [i0, i1) only (each row's search reads and writes its own row): the
 * kernel threads' share of it. Returns the rows' Σ √(1/β_i).
 */
export function tsneConditionalPRows(
  sqdist: usize,
  i0: i32,
  i1: i32,
  rowLen: i32,
  stride: i32,
  skipDiagonal: i32,
  perplexity: f64,
  out: usize,
): f64 {
  const desiredEntropy = Math.log(perplexity);
  let sigmaSum: f64 = 0;
  for (let i = i0; i < i1; i++) {
    const d = sqdist + (((<usize>i) * <usize>stride) << 2);
    const p = out + (((<usize>i) * <usize>stride) << 2);
    const self = skipDiagonal != 0 ? i : -1;
    let beta: f64 = 1;
    let betaMin: f64 = -Infinity;
    let betaMax: f64 = Infinity;
    for (let step = 0; step < PERPLEXITY_STEPS; step++) {
      let sumP: f64 = 0;
      for (let j = 0; j < rowLen; j++) {
        if (j == self) continue;
        const v = Math.exp(-<f64>load<f32>(f32At(d, j)) * beta);
        store<f32>(f32At(p, j), <f32>v);
        sumP += v;
      }
      if (sumP == 0) sumP = EPSILON_DBL;
      // Entropy in nats from the normalised row, in f64 (the stored f32 values are only the output).
      let sumDistP: f64 = 0;
      for (let j = 0; j < rowLen; j++) {
        if (j == self) continue;
        const dj = <f64>load<f32>(f32At(d, j));
        sumDistP += dj * (Math.exp(-dj * beta) / sumP);
      }
      const entropy = Math.log(sumP) + beta * sumDistP;
      const diff = entropy - desiredEntropy;
      if (Math.abs(diff) <= PERPLEXITY_TOLERANCE) break;
      if (diff > 0) {
        betaMin = beta;
        beta = betaMax == Infinity ? beta * 2 : (beta + betaMax) / 2;
      } else {
        betaMax = beta;
        beta = betaMin == -Infinity ? beta / 2 : (beta + betaMin) / 2;
      }
    }
    // Final row at the last β tried, normalised.
    let sumP: f64 = 0;
    for (let j = 0; j < rowLen; j++) {
      if (j == self) continue;
      sumP += Math.exp(-<f64>load<f32>(f32At(d, j)) * beta);
    }
    if (sumP == 0) sumP = EPSILON_DBL;
    for (let j = 0; j < rowLen; j++) {
      if (j == self) {
        store<f32>(f32At(p, j), 0);
        continue;
      }
      store<f32>(f32At(p, j), <f32>(Math.exp(-<f64>load<f32>(f32At(d, j)) * beta) / sumP));
    }
    sigmaSum += Math.sqrt(1.0 / beta);
  }
  return sigmaSum;
}

/**
 * Exact KL gradient (eq. 5 of the 2008 paper, ×4 as sklearn `_kl_divergence`) of the 2-D
 * embedding Y for the joint P (scaled by `exaggeration`). Returns KL(P‖Q) when computeError,
 * else 0. scratch: f64 4·n.
 */
export function tsneExactGradient(
  p: usize,
  y: usize,
  n: i32,
  exaggeration: f32,
  grad: usize,
  computeError: i32,
  scratch: usize,
): f64 {
  const attract = scratch;
  const repel = scratch + ((<usize>(2 * n)) << 3);
  memory.fill(scratch, 0, (<usize>(4 * n)) << 3);
  const ex = <f64>exaggeration;
  let z: f64 = 0;
  const rowBytes = (<usize>n) << 2;
  for (let i = 0; i < n; i++) {
    const yi0 = <f64>load<f32>(f32At(y, 2 * i));
    const yi1 = <f64>load<f32>(f32At(y, 2 * i + 1));
    const prow = p + <usize>i * rowBytes;
    let a0: f64 = 0, a1: f64 = 0, r0: f64 = 0, r1: f64 = 0;
    for (let j = i + 1; j < n; j++) {
      const d0 = yi0 - <f64>load<f32>(f32At(y, 2 * j));
      const d1 = yi1 - <f64>load<f32>(f32At(y, 2 * j + 1));
      const q = 1.0 / (1.0 + d0 * d0 + d1 * d1);
      z += 2 * q;
      const pq = ex * <f64>load<f32>(f32At(prow, j)) * q;
      const qq = q * q;
      a0 += pq * d0;
      a1 += pq * d1;
      r0 += qq * d0;
      r1 += qq * d1;
      store<f64>(f64At(attract, 2 * j), load<f64>(f64At(attract, 2 * j)) - pq * d0);
      store<f64>(f64At(attract, 2 * j + 1), load<f64>(f64At(attract, 2 * j + 1)) - pq * d1);
      store<f64>(f64At(repel, 2 * j), load<f64>(f64At(repel, 2 * j)) - qq * d0);
      store<f64>(f64At(repel, 2 * j + 1), load<f64>(f64At(repel, 2 * j + 1)) - qq * d1);
    }
    store<f64>(f64At(attract, 2 * i), load<f64>(f64At(attract, 2 * i)) + a0);
    store<f64>(f64At(attract, 2 * i + 1), load<f64>(f64At(attract, 2 * i + 1)) + a1);
    store<f64>(f64At(repel, 2 * i), load<f64>(f64At(repel, 2 * i)) + r0);
    store<f64>(f64At(repel, 2 * i + 1), load<f64>(f64At(repel, 2 * i + 1)) + r1);
  }
  const invZ = z > 0 ? 1.0 / z : 0;
  for (let t = 0; t < 2 * n; t++) {
    const g = GRADIENT_FACTOR * (load<f64>(f64At(attract, t)) - load<f64>(f64At(repel, t)) * invZ);
    store<f32>(f32At(grad, t), <f32>g);
  }
  if (computeError == 0) return 0;
  // KL = Σ_i≠j p_ij log(p_ij / q_ij), with sklearn's MACHINE_EPSILON floors.
  let kl: f64 = 0;
  for (let i = 0; i < n; i++) {
    const yi0 = <f64>load<f32>(f32At(y, 2 * i));
    const yi1 = <f64>load<f32>(f32At(y, 2 * i + 1));
    const prow = p + <usize>i * rowBytes;
    for (let j = i + 1; j < n; j++) {
      const d0 = yi0 - <f64>load<f32>(f32At(y, 2 * j));
      const d1 = yi1 - <f64>load<f32>(f32At(y, 2 * j + 1));
      const q = Math.max(invZ / (1.0 + d0 * d0 + d1 * d1), MACHINE_EPSILON);
      const pij = ex * <f64>load<f32>(f32At(prow, j));
      kl += 2 * pij * Math.log(Math.max(pij, MACHINE_EPSILON) / q);
    }
  }
  return kl;
}

/**
 * The exact gradient's sums for rows [i0, i1), each point against every other (the row form of
 * tsneExactGradient, for the kernel threads): attract[i] = exaggeration·Σ_j p_ij q̃_ij (y_i − y_j)
 * and repel[i] = Σ_j q̃_ij² (y_i − y_j) with q̃_ij = (1 + ‖y_i − y_j‖²)⁻¹, f64 n × 2, written for
 * the range only. Returns Σ_{i in range} Σ_{j≠i} q̃_ij (the caller adds the ranges' parts in
 * order and finishes with tsneCombineForces). A row's sums depend only on P and Y, so any split
 * of the rows gives the same bits. Two partners at a time in f64x2 lanes, lanes added last.
 */
export function tsneExactRows(p: usize, y: usize, n: i32, exaggeration: f32, i0: i32, i1: i32, attract: usize, repel: usize): f64 {
  const ex = <f64>exaggeration;
  const exv = f64x2.splat(ex);
  const one = f64x2.splat(1);
  const rowBytes = (<usize>n) << 2;
  const even = n & ~1;
  let zAll: f64 = 0;
  for (let i = i0; i < i1; i++) {
    const yi0 = <f64>load<f32>(f32At(y, 2 * i));
    const yi1 = <f64>load<f32>(f32At(y, 2 * i + 1));
    const vi0 = f64x2.splat(yi0);
    const vi1 = f64x2.splat(yi1);
    const prow = p + <usize>i * rowBytes;
    let za = f64x2.splat(0), a0v = f64x2.splat(0), a1v = f64x2.splat(0), r0v = f64x2.splat(0), r1v = f64x2.splat(0);
    let z: f64 = 0, a0: f64 = 0, a1: f64 = 0, r0: f64 = 0, r1: f64 = 0;
    const own = i & ~1;
    for (let j = 0; j < even; j += 2) {
      if (j == own) continue; // the pair holding i itself: below, one by one
      const v = v128.load(f32At(y, 2 * j)); // x_j, y_j, x_j+1, y_j+1
      const xs = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 0, 2, 1, 3));
      const ys = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 1, 3, 0, 2));
      const d0 = f64x2.sub(vi0, xs);
      const d1 = f64x2.sub(vi1, ys);
      const q = f64x2.div(one, f64x2.add(one, f64x2.add(f64x2.mul(d0, d0), f64x2.mul(d1, d1))));
      za = f64x2.add(za, q);
      const pv = f64x2.promote_low_f32x4(v128.load64_zero(f32At(prow, j)));
      const pq = f64x2.mul(f64x2.mul(exv, pv), q);
      const qq = f64x2.mul(q, q);
      a0v = f64x2.add(a0v, f64x2.mul(pq, d0));
      a1v = f64x2.add(a1v, f64x2.mul(pq, d1));
      r0v = f64x2.add(r0v, f64x2.mul(qq, d0));
      r1v = f64x2.add(r1v, f64x2.mul(qq, d1));
    }
    // The partner beside i in its pair, and the last point when n is odd.
    for (let t = 0; t < 3; t++) {
      const j = t < 2 ? own + t : (even != n && even != own ? even : n);
      if (j >= n || j == i) continue;
      const d0 = yi0 - <f64>load<f32>(f32At(y, 2 * j));
      const d1 = yi1 - <f64>load<f32>(f32At(y, 2 * j + 1));
      const q = 1.0 / (1.0 + d0 * d0 + d1 * d1);
      z += q;
      const pq = ex * <f64>load<f32>(f32At(prow, j)) * q;
      const qq = q * q;
      a0 += pq * d0;
      a1 += pq * d1;
      r0 += qq * d0;
      r1 += qq * d1;
    }
    zAll += (f64x2.extract_lane(za, 0) + f64x2.extract_lane(za, 1)) + z;
    store<f64>(f64At(attract, 2 * i), (f64x2.extract_lane(a0v, 0) + f64x2.extract_lane(a0v, 1)) + a0);
    store<f64>(f64At(attract, 2 * i + 1), (f64x2.extract_lane(a1v, 0) + f64x2.extract_lane(a1v, 1)) + a1);
    store<f64>(f64At(repel, 2 * i), (f64x2.extract_lane(r0v, 0) + f64x2.extract_lane(r0v, 1)) + r0);
    store<f64>(f64At(repel, 2 * i + 1), (f64x2.extract_lane(r1v, 0) + f64x2.extract_lane(r1v, 1)) + r1);
  }
  return zAll;
}

/**
 * KL(P‖Q) over rows [i0, i1) of a dense joint P, every j ≠ i in order, with Q = q̃ / Z given as
 * invZ = 1 / Z and sklearn's MACHINE_EPSILON floors (the caller adds the ranges' parts in order).
 */
export function tsneExactKlRows(p: usize, y: usize, n: i32, exaggeration: f32, invZ: f64, i0: i32, i1: i32): f64 {
  const ex = <f64>exaggeration;
  const rowBytes = (<usize>n) << 2;
  let kl: f64 = 0;
  for (let i = i0; i < i1; i++) {
    const yi0 = <f64>load<f32>(f32At(y, 2 * i));
    const yi1 = <f64>load<f32>(f32At(y, 2 * i + 1));
    const prow = p + <usize>i * rowBytes;
    for (let j = 0; j < n; j++) {
      if (j == i) continue;
      const d0 = yi0 - <f64>load<f32>(f32At(y, 2 * j));
      const d1 = yi1 - <f64>load<f32>(f32At(y, 2 * j + 1));
      const q = Math.max(invZ / (1.0 + d0 * d0 + d1 * d1), MACHINE_EPSILON);
      const pij = ex * <f64>load<f32>(f32At(prow, j));
      kl += pij * Math.log(Math.max(pij, MACHINE_EPSILON) / q);
    }
  }
  return kl;
}

// ---------------------------------------------------------------------------------------------
// Quadtree. Built by inserting points one by one into cells held as structure-of-arrays
// (centre, half widths, f64 coordinate sums, count, first child, first point), children of a
// cell being 4 consecutive nodes, quadrant q = (x ≥ cx) + 2·(y ≥ cy). It is then flattened
// into depth-first preorder, empty cells dropped, one 24-byte record per cell
// {baryX, baryY, widthSq, count (f32), next, leaf}, where `next` is the index just past the
// cell's subtree ("skip pointer"): a walk is a forward scan that jumps to `next` when a cell is
// summarised, with no stack, in memory order.
//
// The repulsive walk runs for four query points at once (f32x4 lanes), consecutive in the
// tree's leaf order so that their walks nearly coincide. Lane l is active at cell i while
// i ≥ resume_l; a lane that summarises cell i sets resume_l = next_i, so it skips exactly the
// subtree its own depth-first walk would skip, and the group descends while any active lane
// opens the cell. Each lane therefore sums exactly the cells sklearn's `summarize` visits.

// @ts-ignore: decorator
@inline const FLAT_BYTES: i32 = 24;

/** Bytes of a tree block for `capacity` cells and n points. */
export function tsneTreeBytes(capacity: i32, n: i32): usize {
  return (<usize>capacity) * (8 * 4 + 2 * 8 + 3 * 4 + <usize>FLAT_BYTES) + (<usize>n) * 8 + 64;
}

class Tree {
  centreX: usize;
  centreY: usize;
  halfX: usize;
  halfY: usize;
  sumX: usize;
  sumY: usize;
  count: usize;
  child: usize;
  point: usize;
  size: usize; // cells in the subtree (non-empty), then reused
  pos: usize; // preorder position
  flat: usize;
  nextPoint: usize; // per point: next point of the same leaf, −1 at the end
  order: usize; // points in leaf order
}

// One reusable descriptor: the layout is recomputed from (block, capacity, n) on every call,
// so nothing is allocated per call.
const layout = new Tree();

function bindTree(block: usize, capacity: i32, n: i32): Tree {
  const c = <usize>capacity;
  let p = treeFlat(block);
  layout.flat = p;
  p += c * <usize>FLAT_BYTES;
  layout.sumX = p;
  p += c << 3;
  layout.sumY = p;
  p += c << 3;
  layout.centreX = p;
  p += c << 2;
  layout.centreY = p;
  p += c << 2;
  layout.halfX = p;
  p += c << 2;
  layout.halfY = p;
  p += c << 2;
  layout.count = p;
  p += c << 2;
  layout.child = p;
  p += c << 2;
  layout.point = p;
  p += c << 2;
  layout.size = p;
  p += c << 2;
  layout.pos = p;
  p += c << 2;
  layout.nextPoint = p;
  p += (<usize>n) << 2;
  layout.order = p;
  return layout;
}

// @ts-ignore: decorator
@inline function initNode(t: Tree, node: i32, cx: f32, cy: f32, hx: f32, hy: f32): void {
  store<f32>(f32At(t.centreX, node), cx);
  store<f32>(f32At(t.centreY, node), cy);
  store<f32>(f32At(t.halfX, node), hx);
  store<f32>(f32At(t.halfY, node), hy);
  store<f64>(f64At(t.sumX, node), 0);
  store<f64>(f64At(t.sumY, node), 0);
  store<i32>(f32At(t.count, node), 0);
  store<i32>(f32At(t.child, node), -1);
  store<i32>(f32At(t.point, node), -1);
}

// @ts-ignore: decorator
@inline function addTo(t: Tree, node: i32, x: f32, y: f32): void {
  store<i32>(f32At(t.count, node), load<i32>(f32At(t.count, node)) + 1);
  store<f64>(f64At(t.sumX, node), load<f64>(f64At(t.sumX, node)) + <f64>x);
  store<f64>(f64At(t.sumY, node), load<f64>(f64At(t.sumY, node)) + <f64>y);
}

/**
 * Build the quadtree of the n points of Y (f32 n × 2) and flatten it. Returns the number of
 * flat cells, or −1 when `capacity` cells are not enough.
 */
export function tsneBuildTree(y: usize, n: i32, block: usize, capacity: i32): i32 {
  const t = bindTree(block, capacity, n);
  let minX = Infinity as f32, minY = Infinity as f32;
  let maxX = -Infinity as f32, maxY = -Infinity as f32;
  for (let i = 0; i < n; i++) {
    const x = load<f32>(f32At(y, 2 * i));
    const v = load<f32>(f32At(y, 2 * i + 1));
    minX = min(minX, x);
    maxX = max(maxX, x);
    minY = min(minY, v);
    maxY = max(maxY, v);
  }
  const hx = max((maxX - minX) * (<f32>0.5 + ROOT_MARGIN), QUAD_EPSILON);
  const hy = max((maxY - minY) * (<f32>0.5 + ROOT_MARGIN), QUAD_EPSILON);
  if (capacity < 1) return -1;
  initNode(t, 0, (minX + maxX) * 0.5, (minY + maxY) * 0.5, hx, hy);
  let nodes = 1;
  for (let i = 0; i < n; i++) {
    const px = load<f32>(f32At(y, 2 * i));
    const py = load<f32>(f32At(y, 2 * i + 1));
    store<i32>(f32At(t.nextPoint, i), -1);
    let node = 0;
    let depth = 0;
    while (true) {
      if (load<i32>(f32At(t.child, node)) < 0) {
        const q = load<i32>(f32At(t.point, node));
        if (q < 0) {
          store<i32>(f32At(t.point, node), i);
          addTo(t, node, px, py);
          break;
        }
        const qx = load<f32>(f32At(y, 2 * q));
        const qy = load<f32>(f32At(y, 2 * q + 1));
        if ((Mathf.abs(px - qx) <= QUAD_EPSILON && Mathf.abs(py - qy) <= QUAD_EPSILON) || depth >= MAX_DEPTH) {
          // A duplicate joins the leaf's list of points.
          store<i32>(f32At(t.nextPoint, i), load<i32>(f32At(t.nextPoint, q)));
          store<i32>(f32At(t.nextPoint, q), i);
          addTo(t, node, px, py);
          break;
        }
        // Split: four children; the resident point(s) move to their quadrant.
        if (nodes + 4 > capacity) return -1;
        const cx = load<f32>(f32At(t.centreX, node));
        const cy = load<f32>(f32At(t.centreY, node));
        const h2x = load<f32>(f32At(t.halfX, node)) * 0.5;
        const h2y = load<f32>(f32At(t.halfY, node)) * 0.5;
        for (let c = 0; c < 4; c++) {
          initNode(t, nodes + c, c & 1 ? cx + h2x : cx - h2x, c & 2 ? cy + h2y : cy - h2y, h2x, h2y);
        }
        const qc = nodes + (qx >= cx ? 1 : 0) + (qy >= cy ? 2 : 0);
        store<i32>(f32At(t.point, qc), q);
        store<i32>(f32At(t.count, qc), load<i32>(f32At(t.count, node)));
        store<f64>(f64At(t.sumX, qc), load<f64>(f64At(t.sumX, node)));
        store<f64>(f64At(t.sumY, qc), load<f64>(f64At(t.sumY, node)));
        store<i32>(f32At(t.child, node), nodes);
        store<i32>(f32At(t.point, node), -1);
        nodes += 4;
      }
      addTo(t, node, px, py);
      const cx = load<f32>(f32At(t.centreX, node));
      const cy = load<f32>(f32At(t.centreY, node));
      node = load<i32>(f32At(t.child, node)) + (px >= cx ? 1 : 0) + (py >= cy ? 2 : 0);
      depth++;
    }
  }
  // Subtree sizes over non-empty cells (children have larger indices than their parent).
  for (let node = nodes - 1; node >= 0; node--) {
    let size = load<i32>(f32At(t.count, node)) > 0 ? 1 : 0;
    const first = load<i32>(f32At(t.child, node));
    if (first >= 0) for (let c = 0; c < 4; c++) size += load<i32>(f32At(t.size, first + c));
    store<i32>(f32At(t.size, node), size);
  }
  // Preorder positions, then the flat records; leaf points are listed in preorder.
  store<i32>(f32At(t.pos, 0), 0);
  let placed = 0;
  for (let node = 0; node < nodes; node++) {
    const count = load<i32>(f32At(t.count, node));
    if (count == 0) continue;
    const at = load<i32>(f32At(t.pos, node));
    const first = load<i32>(f32At(t.child, node));
    const rec = t.flat + <usize>at * <usize>FLAT_BYTES;
    const inv = 1.0 / <f64>count;
    store<f32>(rec, <f32>(load<f64>(f64At(t.sumX, node)) * inv));
    store<f32>(rec, <f32>(load<f64>(f64At(t.sumY, node)) * inv), 4);
    const wx = <f32>2 * load<f32>(f32At(t.halfX, node));
    const wy = <f32>2 * load<f32>(f32At(t.halfY, node));
    store<f32>(rec, max(wx * wx, wy * wy), 8);
    store<f32>(rec, <f32>count, 12);
    store<i32>(rec, at + load<i32>(f32At(t.size, node)), 16);
    store<i32>(rec, first < 0 ? 1 : 0, 20);
    if (first >= 0) {
      let running = at + 1;
      for (let c = 0; c < 4; c++) {
        store<i32>(f32At(t.pos, first + c), running);
        running += load<i32>(f32At(t.size, first + c));
      }
    }
  }
  // Points in leaf preorder: visit cells by preorder position.
  for (let node = 0; node < nodes; node++) store<i32>(f32At(t.size, node), -1);
  for (let node = 0; node < nodes; node++) {
    if (load<i32>(f32At(t.count, node)) > 0 && load<i32>(f32At(t.child, node)) < 0) {
      store<i32>(f32At(t.size, load<i32>(f32At(t.pos, node))), node); // size[] now maps position → cell
    }
  }
  for (let at = 0; at < nodes; at++) {
    const node = load<i32>(f32At(t.size, at));
    if (node < 0) continue;
    let q = load<i32>(f32At(t.point, node));
    while (q >= 0) {
      store<i32>(f32At(t.order, placed++), q);
      q = load<i32>(f32At(t.nextPoint, q));
    }
  }
  return load<i32>(t.flat + 16); // next of the root = number of flat cells
}

/** The flat cell records of a tree block (see bindTree; no global state, so threads may call it). */
// @ts-ignore: decorator
@inline function treeFlat(block: usize): usize {
  return (block + 15) & ~(<usize>15);
}

/** The points in leaf order of a tree block for `capacity` cells and n points (see bindTree). */
// @ts-ignore: decorator
@inline function treeOrder(block: usize, capacity: i32, n: i32): usize {
  return treeFlat(block) + (<usize>capacity) * (<usize>FLAT_BYTES + 2 * 8 + 9 * 4) + ((<usize>n) << 2);
}

/**
 * Barnes–Hut forces, part 1 (sklearn `compute_gradient_negative` and `compute_gradient_positive`
 * in _barnes_hut_tsne.pyx), for the points at leaf-order positions [g0, g1) (g0 a multiple of
 * 4): the repulsive sums neg_i = Σ_cells count·q²·(y_i − y_cell) and the attractive sums
 * attract_i = exaggeration · Σ_j p_ij·q_ij·(y_i − y_j) over row i of P, both f64 n × 2, written
 * at rows i only. Returns Σ count·q over the range's points in leaf order (its part of sklearn's
 * sQ; the caller adds the parts of consecutive ranges in order, so the total does not depend on
 * how ranges are spread over threads). `block`/`capacity` hold the tree tsneBuildTree made
 * from this Y; P is CSR (rowPtr i32 n + 1, columns i32, values f32).
 */
export function tsneForces(
  y: usize,
  n: i32,
  rowPtr: usize,
  columns: usize,
  values: usize,
  exaggeration: f32,
  theta: f32,
  block: usize,
  capacity: i32,
  g0: i32,
  g1: i32,
  neg: usize,
  attract: usize,
): f64 {
  const flat = treeFlat(block);
  const order = treeOrder(block, capacity, n);
  const cells = load<i32>(flat + 16);
  const thetaSq = f32x4.splat(theta * theta);
  const eps = f32x4.splat(QUAD_EPSILON);
  const one = f32x4.splat(1);
  const ex = <f64>exaggeration;
  let sumQ: f64 = 0;
  for (let g = g0; g < g1; g += 4) {
    // Four query points in leaf order (the last group repeats its final point).
    const i0 = load<i32>(f32At(order, g));
    const i1 = load<i32>(f32At(order, min(g + 1, n - 1)));
    const i2 = load<i32>(f32At(order, min(g + 2, n - 1)));
    const i3 = load<i32>(f32At(order, min(g + 3, n - 1)));
    let px = f32x4.splat(load<f32>(f32At(y, 2 * i0)));
    px = f32x4.replace_lane(px, 1, load<f32>(f32At(y, 2 * i1)));
    px = f32x4.replace_lane(px, 2, load<f32>(f32At(y, 2 * i2)));
    px = f32x4.replace_lane(px, 3, load<f32>(f32At(y, 2 * i3)));
    let py = f32x4.splat(load<f32>(f32At(y, 2 * i0 + 1)));
    py = f32x4.replace_lane(py, 1, load<f32>(f32At(y, 2 * i1 + 1)));
    py = f32x4.replace_lane(py, 2, load<f32>(f32At(y, 2 * i2 + 1)));
    py = f32x4.replace_lane(py, 3, load<f32>(f32At(y, 2 * i3 + 1)));
    let resume = i32x4.splat(0);
    let fx = f32x4.splat(0);
    let fy = f32x4.splat(0);
    let sq = f32x4.splat(0);
    let i = 0;
    while (i < cells) {
      const rec = flat + <usize>i * <usize>FLAT_BYTES;
      const active = i32x4.ge_s(i32x4.splat(i), resume);
      const dx = f32x4.sub(px, f32x4.splat(load<f32>(rec)));
      const dy = f32x4.sub(py, f32x4.splat(load<f32>(rec, 4)));
      const d2 = f32x4.add(f32x4.mul(dx, dx), f32x4.mul(dy, dy));
      const next = load<i32>(rec, 16);
      let take: v128;
      if (load<i32>(rec, 20) != 0) {
        // Leaf: every active lane is done with it; a lane at the leaf's own position skips it.
        const dup = v128.and(f32x4.le(f32x4.abs(dx), eps), f32x4.le(f32x4.abs(dy), eps));
        take = v128.andnot(active, dup);
        resume = v128.bitselect(i32x4.splat(next), resume, active);
        i = next;
      } else {
        take = v128.and(active, f32x4.lt(f32x4.splat(load<f32>(rec, 8)), f32x4.mul(thetaSq, d2)));
        resume = v128.bitselect(i32x4.splat(next), resume, take);
        i = v128.any_true(v128.andnot(active, take)) ? i + 1 : next;
      }
      if (v128.any_true(take)) {
        const count = f32x4.splat(load<f32>(rec, 12));
        const q = f32x4.div(one, f32x4.add(one, d2));
        const cq = v128.and(f32x4.mul(count, q), take); // masked lanes contribute 0
        sq = f32x4.add(sq, cq);
        const mult = f32x4.mul(cq, q);
        fx = f32x4.add(fx, f32x4.mul(mult, dx));
        fy = f32x4.add(fy, f32x4.mul(mult, dy));
      }
    }
    store<f64>(f64At(neg, 2 * i0), <f64>f32x4.extract_lane(fx, 0));
    store<f64>(f64At(neg, 2 * i0 + 1), <f64>f32x4.extract_lane(fy, 0));
    sumQ += <f64>f32x4.extract_lane(sq, 0);
    if (g + 1 < n) {
      store<f64>(f64At(neg, 2 * i1), <f64>f32x4.extract_lane(fx, 1));
      store<f64>(f64At(neg, 2 * i1 + 1), <f64>f32x4.extract_lane(fy, 1));
      sumQ += <f64>f32x4.extract_lane(sq, 1);
    }
    if (g + 2 < n) {
      store<f64>(f64At(neg, 2 * i2), <f64>f32x4.extract_lane(fx, 2));
      store<f64>(f64At(neg, 2 * i2 + 1), <f64>f32x4.extract_lane(fy, 2));
      sumQ += <f64>f32x4.extract_lane(sq, 2);
    }
    if (g + 3 < n) {
      store<f64>(f64At(neg, 2 * i3), <f64>f32x4.extract_lane(fx, 3));
      store<f64>(f64At(neg, 2 * i3 + 1), <f64>f32x4.extract_lane(fy, 3));
      sumQ += <f64>f32x4.extract_lane(sq, 3);
    }
  }
  // Attractive forces of the same points, each over its whole row of P in column order (as
  // sklearn: no scatter into other rows, so ranges never write each other's rows).
  const e0 = min(g1, n);
  for (let g = g0; g < e0; g++) {
    const i = load<i32>(f32At(order, g));
    const yi0 = <f64>load<f32>(f32At(y, 2 * i));
    const yi1 = <f64>load<f32>(f32At(y, 2 * i + 1));
    let a0: f64 = 0, a1: f64 = 0;
    const end = load<i32>(f32At(rowPtr, i + 1));
    for (let e = load<i32>(f32At(rowPtr, i)); e < end; e++) {
      const j = load<i32>(f32At(columns, e));
      const d0 = yi0 - <f64>load<f32>(f32At(y, 2 * j));
      const d1 = yi1 - <f64>load<f32>(f32At(y, 2 * j + 1));
      const pq = ex * <f64>load<f32>(f32At(values, e)) / (1.0 + d0 * d0 + d1 * d1);
      a0 += pq * d0;
      a1 += pq * d1;
    }
    store<f64>(f64At(attract, 2 * i), a0);
    store<f64>(f64At(attract, 2 * i + 1), a1);
  }
  return sumQ;
}

/**
 * Barnes–Hut gradient, part 2: grad = 4·(attract − neg / sQ) (f32 n × 2, sklearn `gradient`
 * ×4 as in _kl_divergence_bh).
 */
export function tsneCombineForces(neg: usize, attract: usize, sumQ: f64, n: i32, grad: usize): void {
  const invSumQ = sumQ > 0 ? 1.0 / sumQ : 0;
  for (let t = 0; t < 2 * n; t++) {
    const g = GRADIENT_FACTOR * (load<f64>(f64At(attract, t)) - load<f64>(f64At(neg, t)) * invSumQ);
    store<f32>(f32At(grad, t), <f32>g);
  }
}

/**
 * sklearn's Barnes–Hut estimate of KL(P‖Q) over rows [i0, i1) of the sparse P:
 * Σ p_ij log(max(p_ij, FLOAT32_TINY) / max(q_ij / sQ, FLOAT32_TINY)), every stored entry of the
 * rows, in row and column order (the caller adds the parts of consecutive ranges in order).
 */
export function tsneKlRows(
  y: usize,
  rowPtr: usize,
  columns: usize,
  values: usize,
  exaggeration: f32,
  sumQ: f64,
  i0: i32,
  i1: i32,
): f64 {
  const ex = <f64>exaggeration;
  const invSumQ = sumQ > 0 ? 1.0 / sumQ : 0;
  let kl: f64 = 0;
  for (let i = i0; i < i1; i++) {
    const yi0 = <f64>load<f32>(f32At(y, 2 * i));
    const yi1 = <f64>load<f32>(f32At(y, 2 * i + 1));
    const end = load<i32>(f32At(rowPtr, i + 1));
    for (let e = load<i32>(f32At(rowPtr, i)); e < end; e++) {
      const j = load<i32>(f32At(columns, e));
      const d0 = yi0 - <f64>load<f32>(f32At(y, 2 * j));
      const d1 = yi1 - <f64>load<f32>(f32At(y, 2 * j + 1));
      const q = 1.0 / (1.0 + d0 * d0 + d1 * d1);
      const pij = ex * <f64>load<f32>(f32At(values, e));
      kl += pij * Math.log(Math.max(pij, FLOAT32_TINY) / Math.max(q * invSumQ, FLOAT32_TINY));
    }
  }
  return kl;
}

/**
 * One step of sklearn's `_gradient_descent` with adaptive gains (Jacobs 1988, as in the
 * 2008 paper): gains grow by 0.2 where update and gradient disagree in sign, shrink ×0.8
 * elsewhere, floor MIN_GAIN; update = momentum·update − learningRate·gains·grad; Y += update.
 * Returns ‖gains·grad‖² (sklearn's `grad_norm` is its square root).
 */
export function tsneUpdate(
  y: usize,
  grad: usize,
  update: usize,
  gains: usize,
  count: i32,
  momentum: f32,
  learningRate: f32,
): f64 {
  let norm: f64 = 0;
  for (let t = 0; t < count; t++) {
    const g = load<f32>(f32At(grad, t));
    const u = load<f32>(f32At(update, t));
    let gain = load<f32>(f32At(gains, t));
    gain = u * g < 0 ? gain + GAIN_INCREMENT : gain * GAIN_DECAY;
    gain = max(gain, MIN_GAIN);
    store<f32>(f32At(gains, t), gain);
    const sg = g * gain;
    norm += <f64>sg * <f64>sg;
    const nu = momentum * u - learningRate * sg;
    store<f32>(f32At(update, t), nu);
    store<f32>(f32At(y, t), load<f32>(f32At(y, t)) + nu);
  }
  return norm;
}
