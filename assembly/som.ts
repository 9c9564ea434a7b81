// Self-organising maps (Kohonen, Biol. Cybern. 43, 1982; "Self-Organizing Maps", Springer 2001):
// best-matching units of a batch, the batch map update, the online update, and the
// neighbourhood functions of MiniSom (JustGlowing/minisom v2.3.6).
//
// Memory contract:
//   x        n × d f32 samples, row-major
//   w        m × d f32 node weights (m = rows · cols, row-major grid order)
//   coords   m × 2 f64 grid positions (x, y): rectangular (col, row); hexagonal rows shifted by
//            0.5 on odd rows and spaced √3/2, so that all six neighbours are at distance 1
//   bmu, second  n i32; dist n f32 (Euclidean distance to the BMU, computed directly)
//   h        m × m f64 neighbourhood weights (h[j·m + c]: weight of node j for winner c)
//   sums     m × d f64 and counts m f64 (batch accumulators)
// Ties in the BMU search go to the lower node index. Complexity: BMUs O(n·m·d) in f32x4 dot
// products; batch update O(m²·d) in f64; online epoch O(n·m·d).

import { dotTile } from "./distance";
import { nextBounded } from "./random";

export const NEIGHBORHOOD_GAUSSIAN: i32 = 0;
export const NEIGHBORHOOD_BUBBLE: i32 = 1;
export const NEIGHBORHOOD_MEXICAN_HAT: i32 = 2;
export const NEIGHBORHOOD_TRIANGLE: i32 = 3;

// Sample rows per BMU block: the dot tile is ROW_BLOCK × m floats.
// @ts-ignore: decorator
@inline const ROW_BLOCK: i32 = 32;

/** Scratch floats somBestMatching needs for m nodes. */
export function somScratchFloats(m: i32): i32 {
  return ROW_BLOCK * m + m;
}

/**
 * BMU and second BMU of every sample by ‖x‖² − 2x·w + ‖w‖² (the x·w products blocked with
 * f32x4; ‖x‖² dropped since it does not change the order), then the exact distance to the BMU
 * Σ(x − w)² so the quantisation error has no cancellation error. `second` may be 0 to skip.
 */
export function somBestMatching(x: usize, n: i32, d: i32, w: usize, m: i32, bmu: usize, second: usize, dist: usize, scratch: usize): void {
  const tile = scratch;
  const norms = scratch + ((<usize>ROW_BLOCK * <usize>m) << 2);
  const rowBytes = (<usize>d) << 2;
  for (let j = 0; j < m; j++) {
    const pw = w + <usize>j * rowBytes;
    let s: f32 = 0;
    for (let k = 0; k < d; k++) {
      const v = load<f32>(pw + ((<usize>k) << 2));
      s += v * v;
    }
    store<f32>(norms + ((<usize>j) << 2), s);
  }
  for (let r0 = 0; r0 < n; r0 += ROW_BLOCK) {
    const r1 = min(r0 + ROW_BLOCK, n);
    dotTile(x, w, d, r0, r1, 0, m, tile, m);
    for (let r = r0; r < r1; r++) {
      const row = tile + ((<usize>((r - r0) * m)) << 2);
      let best = 0;
      let bestScore = F32.MAX_VALUE;
      let next = -1;
      let nextScore = F32.MAX_VALUE;
      for (let j = 0; j < m; j++) {
        const score = load<f32>(norms + ((<usize>j) << 2)) - <f32>2 * load<f32>(row + ((<usize>j) << 2));
        if (score < bestScore) {
          next = best;
          nextScore = bestScore;
          best = j;
          bestScore = score;
        } else if (score < nextScore) {
          next = j;
          nextScore = score;
        }
      }
      store<i32>(bmu + ((<usize>r) << 2), best);
      if (second) store<i32>(second + ((<usize>r) << 2), m > 1 ? next : best);
      const px = x + <usize>r * rowBytes;
      const pw = w + <usize>best * rowBytes;
      let s: f64 = 0;
      for (let k = 0; k < d; k++) {
        const t = <f64>load<f32>(px + ((<usize>k) << 2)) - <f64>load<f32>(pw + ((<usize>k) << 2));
        s += t * t;
      }
      store<f32>(dist + ((<usize>r) << 2), <f32>Math.sqrt(s));
    }
  }
}

/** Neighbourhood weight of a node at grid offset (dx, dy), index offset (di, dj), for σ. */
// @ts-ignore: decorator
@inline function neighborhood(kind: i32, dx: f64, dy: f64, di: f64, dj: f64, sigma: f64): f64 {
  if (kind == NEIGHBORHOOD_GAUSSIAN) {
    return Math.exp(-(dx * dx + dy * dy) / (2 * sigma * sigma));
  }
  if (kind == NEIGHBORHOOD_MEXICAN_HAT) {
    const q = (dx * dx + dy * dy) / (sigma * sigma);
    return Math.exp(-q / 2) * (1 - q);
  }
  if (kind == NEIGHBORHOOD_BUBBLE) {
    // MiniSom: strict comparison on grid indices, so σ = 1 updates only the winner.
    return Math.abs(di) < sigma && Math.abs(dj) < sigma ? 1 : 0;
  }
  // Triangle (MiniSom): unnormalised, peak σ².
  return Math.max(0, sigma - Math.abs(di)) * Math.max(0, sigma - Math.abs(dj));
}

/**
 * The m × m neighbourhood matrix for σ: h[j·m + c] = weight of node j when node c wins.
 * `cols` recovers grid indices (row = j / cols, col = j % cols) for bubble and triangle.
 */
export function somNeighborhoodMatrix(coords: usize, m: i32, cols: i32, kind: i32, sigma: f64, h: usize): void {
  for (let j = 0; j < m; j++) {
    const xj = load<f64>(coords + ((<usize>(2 * j)) << 3));
    const yj = load<f64>(coords + ((<usize>(2 * j + 1)) << 3));
    for (let c = 0; c < m; c++) {
      const dx = xj - load<f64>(coords + ((<usize>(2 * c)) << 3));
      const dy = yj - load<f64>(coords + ((<usize>(2 * c + 1)) << 3));
      const di = <f64>(j / cols - c / cols);
      const dj = <f64>(j % cols - c % cols);
      store<f64>(h + ((<usize>j * <usize>m + <usize>c) << 3), neighborhood(kind, dx, dy, di, dj, sigma));
    }
  }
}

/** Batch map, pass 1: per-node sums of the samples each node wins, and counts (f64). */
export function somBatchAccumulate(x: usize, n: i32, d: i32, bmu: usize, m: i32, sums: usize, counts: usize): void {
  memory.fill(sums, 0, (<usize>m * <usize>d) << 3);
  memory.fill(counts, 0, (<usize>m) << 3);
  const rowBytes = (<usize>d) << 2;
  for (let r = 0; r < n; r++) {
    const c = load<i32>(bmu + ((<usize>r) << 2));
    const ps = sums + ((<usize>c * <usize>d) << 3);
    const px = x + <usize>r * rowBytes;
    for (let k = 0; k < d; k++) {
      const p = ps + ((<usize>k) << 3);
      store<f64>(p, load<f64>(p) + <f64>load<f32>(px + ((<usize>k) << 2)));
    }
    const pc = counts + ((<usize>c) << 3);
    store<f64>(pc, load<f64>(pc) + 1);
  }
}

/**
 * Batch map, pass 2: w_j = Σ_c h[j,c]·sums_c / Σ_c h[j,c]·counts_c (SOM Toolbox's
 * som_batchtrain). A node with no neighbourhood mass keeps its weights.
 */
export function somBatchUpdate(h: usize, sums: usize, counts: usize, m: i32, d: i32, w: usize, rowScratch: usize): void {
  for (let j = 0; j < m; j++) {
    memory.fill(rowScratch, 0, (<usize>d) << 3);
    let mass: f64 = 0;
    const ph = h + ((<usize>j * <usize>m) << 3);
    for (let c = 0; c < m; c++) {
      const hc = load<f64>(ph + ((<usize>c) << 3));
      const nc = load<f64>(counts + ((<usize>c) << 3));
      if (hc == 0 || nc == 0) continue;
      mass += hc * nc;
      const ps = sums + ((<usize>c * <usize>d) << 3);
      for (let k = 0; k < d; k++) {
        const p = rowScratch + ((<usize>k) << 3);
        store<f64>(p, load<f64>(p) + hc * load<f64>(ps + ((<usize>k) << 3)));
      }
    }
    if (mass == 0) continue;
    const pw = w + ((<usize>j * <usize>d) << 2);
    // Divide, not multiply by 1/mass: far from every winner the mass can be subnormal (σ small on
    // a long grid), and its reciprocal overflows to ∞ while the quotient is a finite mean.
    for (let k = 0; k < d; k++) store<f32>(pw + ((<usize>k) << 2), <f32>(load<f64>(rowScratch + ((<usize>k) << 3)) / mass));
  }
}

/**
 * The batch map for the kernel threads, in three passes with the same sums as somBatchAccumulate
 * and somBatchUpdate, bit for bit. First the samples grouped by BMU (a stable counting sort, on
 * one thread: O(n + m) integer work): node c's samples are order[start[c] … start[c + 1]), in
 * sample order. start: i32 m + 1; order: i32 n.
 */
export function somGroupByNode(bmu: usize, n: i32, m: i32, start: usize, order: usize): void {
  memory.fill(start, 0, (<usize>(m + 1)) << 2);
  for (let r = 0; r < n; r++) {
    const p = start + ((<usize>(load<i32>(bmu + ((<usize>r) << 2)) + 1)) << 2);
    store<i32>(p, load<i32>(p) + 1);
  }
  for (let c = 0; c < m; c++) {
    const p = start + ((<usize>(c + 1)) << 2);
    store<i32>(p, load<i32>(p) + load<i32>(p - 4));
  }
  // Fill with a cursor per node kept in start[c] (shifted back afterwards).
  for (let r = 0; r < n; r++) {
    const p = start + ((<usize>load<i32>(bmu + ((<usize>r) << 2))) << 2);
    const at = load<i32>(p);
    store<i32>(order + ((<usize>at) << 2), r);
    store<i32>(p, at + 1);
  }
  for (let c = m; c > 0; c--) store<i32>(start + ((<usize>c) << 2), load<i32>(start + ((<usize>(c - 1)) << 2)));
  store<i32>(start, 0);
}

/** Batch pass 1 for nodes [c0, c1): each node's sum and count of its samples, in sample order. */
export function somBatchAccumulateNodes(x: usize, d: i32, start: usize, order: usize, sums: usize, counts: usize, c0: i32, c1: i32): void {
  const rowBytes = (<usize>d) << 2;
  for (let c = c0; c < c1; c++) {
    const ps = sums + ((<usize>c * <usize>d) << 3);
    memory.fill(ps, 0, (<usize>d) << 3);
    const e0 = load<i32>(start + ((<usize>c) << 2));
    const e1 = load<i32>(start + ((<usize>(c + 1)) << 2));
    for (let e = e0; e < e1; e++) {
      const px = x + <usize>load<i32>(order + ((<usize>e) << 2)) * rowBytes;
      for (let k = 0; k < d; k++) {
        const p = ps + ((<usize>k) << 3);
        store<f64>(p, load<f64>(p) + <f64>load<f32>(px + ((<usize>k) << 2)));
      }
    }
    store<f64>(counts + ((<usize>c) << 3), <f64>(e1 - e0));
  }
}

/**
 * Batch pass 2 for nodes [j0, j1): node j's neighbourhood row for σ (somNeighborhoodMatrix's
 * row j) and its new weights (somBatchUpdate's row j). scratch: f64 m + d.
 */
export function somBatchUpdateNodes(coords: usize, m: i32, cols: i32, kind: i32, sigma: f64, sums: usize, counts: usize, d: i32, w: usize, j0: i32, j1: i32, scratch: usize): void {
  const h = scratch;
  const rowScratch = scratch + ((<usize>m) << 3);
  for (let j = j0; j < j1; j++) {
    const xj = load<f64>(coords + ((<usize>(2 * j)) << 3));
    const yj = load<f64>(coords + ((<usize>(2 * j + 1)) << 3));
    for (let c = 0; c < m; c++) {
      const dx = xj - load<f64>(coords + ((<usize>(2 * c)) << 3));
      const dy = yj - load<f64>(coords + ((<usize>(2 * c + 1)) << 3));
      const di = <f64>(j / cols - c / cols);
      const dj = <f64>(j % cols - c % cols);
      store<f64>(h + ((<usize>c) << 3), neighborhood(kind, dx, dy, di, dj, sigma));
    }
    memory.fill(rowScratch, 0, (<usize>d) << 3);
    let mass: f64 = 0;
    for (let c = 0; c < m; c++) {
      const hc = load<f64>(h + ((<usize>c) << 3));
      const nc = load<f64>(counts + ((<usize>c) << 3));
      if (hc == 0 || nc == 0) continue;
      mass += hc * nc;
      const ps = sums + ((<usize>c * <usize>d) << 3);
      for (let k = 0; k < d; k++) {
        const p = rowScratch + ((<usize>k) << 3);
        store<f64>(p, load<f64>(p) + hc * load<f64>(ps + ((<usize>k) << 3)));
      }
    }
    if (mass == 0) continue;
    const pw = w + ((<usize>j * <usize>d) << 2);
    for (let k = 0; k < d; k++) store<f32>(pw + ((<usize>k) << 2), <f32>(load<f64>(rowScratch + ((<usize>k) << 3)) / mass));
  }
}

/** Schedules of the online map: MiniSom's asymptotic decay p0/(1 + 2t/T), or linear. */
export const SCHEDULE_ASYMPTOTIC: i32 = 0;
export const SCHEDULE_LINEAR: i32 = 1;

// @ts-ignore: decorator
@inline function scheduled(kind: i32, start: f64, end: f64, t: f64, total: f64): f64 {
  if (kind == SCHEDULE_LINEAR) return start + (end - start) * (t / total);
  return start / (1 + (2 * t) / total);
}

/**
 * One online epoch: samples in a seeded random order (drawn here from the generator at `rng`);
 * for each, w_j += η(t)·h_cj(t)·(x − w_j) over all nodes. t counts single-sample steps from
 * `step0`, of `totalSteps` (MiniSom's num_iteration). σ and η follow their schedules (σ's linear
 * schedule ends at sigmaEnd, η's at 0). Returns the next step count.
 */
export function somOnlineEpoch(
  rng: usize, x: usize, n: i32, d: i32, w: usize, m: i32, coords: usize, cols: i32, kind: i32,
  sigma0: f64, sigmaEnd: f64, sigmaSchedule: i32, eta0: f64, etaSchedule: i32,
  step0: i32, totalSteps: i32, order: usize, scratch: usize,
): i32 {
  // Fisher–Yates order of this epoch.
  for (let i = 0; i < n; i++) store<i32>(order + ((<usize>i) << 2), i);
  for (let i = n - 1; i > 0; i--) {
    const j = <i32>nextBounded(rng, <u32>(i + 1));
    const pi = order + ((<usize>i) << 2);
    const pj = order + ((<usize>j) << 2);
    const t = load<i32>(pi);
    store<i32>(pi, load<i32>(pj));
    store<i32>(pj, t);
  }
  const rowBytes = (<usize>d) << 2;
  const bmuCell = scratch;
  const second: usize = 0;
  const distCell = scratch + 4;
  const bmuScratch = scratch + 8;
  let step = step0;
  for (let i = 0; i < n; i++) {
    const r = load<i32>(order + ((<usize>i) << 2));
    const px = x + <usize>r * rowBytes;
    somBestMatching(px, 1, d, w, m, bmuCell, second, distCell, bmuScratch);
    const c = load<i32>(bmuCell);
    const sigma = scheduled(sigmaSchedule, sigma0, sigmaEnd, <f64>step, <f64>totalSteps);
    const eta = scheduled(etaSchedule, eta0, 0, <f64>step, <f64>totalSteps);
    const xc = load<f64>(coords + ((<usize>(2 * c)) << 3));
    const yc = load<f64>(coords + ((<usize>(2 * c + 1)) << 3));
    for (let j = 0; j < m; j++) {
      const dx = load<f64>(coords + ((<usize>(2 * j)) << 3)) - xc;
      const dy = load<f64>(coords + ((<usize>(2 * j + 1)) << 3)) - yc;
      const g = <f32>(eta * neighborhood(kind, dx, dy, <f64>(j / cols - c / cols), <f64>(j % cols - c % cols), sigma));
      if (g == 0) continue;
      const pw = w + <usize>j * rowBytes;
      for (let k = 0; k < d; k++) {
        const p = pw + ((<usize>k) << 2);
        const v = load<f32>(p);
        store<f32>(p, v + g * (load<f32>(px + ((<usize>k) << 2)) - v));
      }
    }
    step++;
  }
  return step;
}
