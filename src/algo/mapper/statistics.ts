/**
 * What a Mapper node holds: class composition (by label or by prediction), means of any
 * column, and the graph's purity as Purvine et al. define it (mean over nodes of 1 / number of
 * classes present) beside the size-weighted majority share (how many points sit in a node
 * whose majority class is theirs).
 */
import type { MapperGraph } from "./mapper.ts";

/** Per node, the count of each class among its members (classes 0 … nClasses − 1; others ignored). */
export function nodeComposition(
  graph: MapperGraph,
  classes: ArrayLike<number>,
  nClasses: number,
): Int32Array[] {
  return graph.nodes.map(({ members }) => {
    const counts = new Int32Array(nClasses);
    for (const r of members) {
      const c = classes[r];
      if (c >= 0 && c < nClasses && Number.isInteger(c)) counts[c]++;
    }
    return counts;
  });
}

export interface GraphPurity {
  /** Mean over nodes of 1 / (distinct classes in the node): Purvine et al.'s purity. */
  meanInverseClasses: number;
  /** Σ over nodes of majority count / Σ node sizes. */
  weightedMajority: number;
  nodes: number;
}

export function graphPurity(compositions: Int32Array[]): GraphPurity {
  let inverse = 0;
  let majority = 0;
  let total = 0;
  let counted = 0;
  for (const counts of compositions) {
    let distinct = 0;
    let top = 0;
    let size = 0;
    for (const c of counts) {
      if (c > 0) distinct++;
      top = Math.max(top, c);
      size += c;
    }
    if (size === 0) continue;
    inverse += 1 / distinct;
    majority += top;
    total += size;
    counted++;
  }
  return {
    meanInverseClasses: counted ? inverse / counted : NaN,
    weightedMajority: total ? majority / total : NaN,
    nodes: counted,
  };
}

/** Mean of a per-row column over each node's members (NaN rows skipped). */
export function nodeMeans(graph: MapperGraph, column: ArrayLike<number>): Float64Array {
  return Float64Array.from(graph.nodes, ({ members }) => {
    let s = 0;
    let k = 0;
    for (const r of members) {
      const v = column[r];
      if (Number.isFinite(v)) {
        s += v;
        k++;
      }
    }
    return k ? s / k : NaN;
  });
}

/** Classes of a composition, largest first, as [class, count] pairs (ties by class index). */
export function topClasses(counts: Int32Array, limit = 3): [number, number][] {
  return Array.from(counts, (c, k) => [k, c] as [number, number])
    .filter(([, c]) => c > 0)
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, limit);
}
