/**
 * Clustering inside one cover element, on the original vectors (never on the lens).
 *
 * DBSCAN follows scikit-learn exactly: a point's neighbourhood includes itself; it is a core
 * point when the neighbourhood (restricted to the element) has at least min_samples points;
 * clusters grow from core points taken in ascending row order; a border point joins the first
 * cluster that reaches it; the rest is noise (label −1).
 *
 * Single linkage cuts the element's minimum spanning tree by the gap rule of Singh, Mémoli
 * and Carlsson (2007): histogram the merge heights into `bins` equal bins over [0, max]; if a
 * bin is empty, every edge above the first empty bin is cut; otherwise the element is one
 * cluster. Single linkage leaves no noise.
 */
import type { EpsilonGraph, SpanningTree } from "./neighborhoods.ts";
import { components } from "./nerve.ts";

/**
 * Scratch shared by the DBSCAN calls of one Mapper run: one state per graph node, all 0 at
 * first and again between calls (a call clears the states it set before returning).
 */
export interface MembershipScratch {
  state: Int32Array;
}

/** State bits of a graph node during one DBSCAN call; the label + 1 sits above them. */
const MEMBER = 1;
const CORE = 2;
const LABEL_SHIFT = 2;

/**
 * DBSCAN labels (−1 = noise) for `members` (ascending rows) using the ε-graph restricted to
 * them. Clusters grow from core points taken in ascending row order, as scikit-learn's do, so
 * labels do not depend on how the graph numbers its nodes. A point's neighbours are counted
 * only until min_samples is reached: a core point needs no more, and in a graph whose rows are
 * sorted by distance the nearest come first. Membership, core flag and label share one word per
 * node, so each neighbour costs one memory read: the loops are bound by those reads.
 */
export function dbscan(
  members: Int32Array,
  graph: EpsilonGraph,
  minSamples: number,
  scratch: MembershipScratch,
): Int32Array {
  const { offsets, ends, indices, rank } = graph;
  const { state } = scratch;
  const m = members.length;
  let nodes = members;
  if (rank) {
    // A plain loop: Int32Array.from with a map function takes V8's slow generic path.
    nodes = new Int32Array(m);
    for (let p = 0; p < m; p++) nodes[p] = rank[members[p]];
  }
  for (let p = 0; p < m; p++) state[nodes[p]] = MEMBER;
  for (let p = 0; p < m; p++) {
    const g = nodes[p];
    let count = 0;
    for (let e = offsets[g], end = ends[g]; e < end; e++) {
      if (state[indices[e]] & MEMBER && ++count >= minSamples) {
        state[g] |= CORE;
        break;
      }
    }
  }
  const stack = new Int32Array(m);
  let next = 0;
  for (let p = 0; p < m; p++) {
    const seed = nodes[p];
    if (state[seed] >>> LABEL_SHIFT || !(state[seed] & CORE)) continue;
    const mark = (next + 1) << LABEL_SHIFT;
    state[seed] |= mark;
    let top = 0;
    stack[top++] = seed;
    while (top > 0) {
      const g = stack[--top];
      for (let e = offsets[g], end = ends[g]; e < end; e++) {
        const j = indices[e];
        const s = state[j];
        if (!(s & MEMBER) || s >>> LABEL_SHIFT) continue;
        state[j] = s | mark;
        // Each point is labelled once, so the stack never holds more than m entries.
        if (s & CORE) stack[top++] = j;
      }
    }
    next++;
  }
  const labels = new Int32Array(m);
  for (let p = 0; p < m; p++) {
    labels[p] = (state[nodes[p]] >>> LABEL_SHIFT) - 1;
    state[nodes[p]] = 0;
  }
  return labels;
}

/** Single-linkage labels from a spanning tree over m points, cut by the first histogram gap. */
export function gapCut(
  tree: SpanningTree,
  m: number,
  bins: number,
): { labels: Int32Array; cutHeight: number } {
  let max = 0;
  for (const w of tree.weight) max = Math.max(max, w);
  let cutHeight = Infinity;
  if (max > 0) {
    const counts = new Int32Array(bins);
    for (const w of tree.weight) counts[Math.min(bins - 1, Math.floor((w / max) * bins))]++;
    const empty = counts.indexOf(0);
    if (empty >= 0) cutHeight = (empty / bins) * max;
  }
  const kept: { source: number; target: number }[] = [];
  for (let e = 0; e < tree.weight.length; e++) {
    if (tree.weight[e] <= cutHeight) kept.push({ source: tree.from[e], target: tree.to[e] });
  }
  // Components are numbered by their lowest position, so labels do not depend on edge order.
  const labels = components(m, kept).of;
  return { labels, cutHeight };
}

/**
 * The knee of an increasing convex curve y (sorted ascending), by Kneedle (Satopää et al.
 * 2011, offline, sensitivity 1): the point farthest below the chord after scaling both axes to
 * [0, 1]. Returns −1 when the curve never drops below its chord (no knee).
 */
export function kneedleKnee(y: Float64Array): number {
  const n = y.length;
  if (n < 3) return -1;
  const lo = y[0];
  const range = y[n - 1] - lo;
  if (!(range > 0)) return -1;
  let best = -1;
  let bestGap = 0;
  for (let i = 0; i < n; i++) {
    const gap = i / (n - 1) - (y[i] - lo) / range;
    if (gap > bestGap) {
      bestGap = gap;
      best = i;
    }
  }
  return best;
}

/** Three significant digits: the rounding the Utah scripts apply to ε, kept scale-free. */
export function roundSignificant(v: number, digits = 3): number {
  return v > 0 ? Number(v.toPrecision(digits)) : v;
}

/**
 * DBSCAN's ε from the data: the knee of the sorted k-th-nearest-neighbour distances, or their
 * median when the curve has no knee (Purvine et al.'s rule, there on the 1st neighbour), rounded to 3 significant digits.
 */
export function automaticEps(firstNeighbor: Float64Array): {
  eps: number;
  rule: "knee" | "median";
} {
  const sorted = Float64Array.from(firstNeighbor).sort();
  const knee = kneedleKnee(sorted);
  if (knee >= 0 && sorted[knee] > 0) return { eps: roundSignificant(sorted[knee]), rule: "knee" };
  const median = sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : 0;
  return {
    eps: roundSignificant(
      median > 0 ? median : sorted.length ? Math.max(sorted[sorted.length - 1], 1e-12) : 1e-12,
    ),
    rule: "median",
  };
}
