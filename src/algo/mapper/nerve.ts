/**
 * The 1-skeleton of the nerve of Mapper's clusters: an edge between two nodes sharing at least
 * `minIntersection` points, weighted by Jaccard |A ∩ B| / |A ∪ B| (TopoAct's edge weight).
 * Intersections are counted through each point's few nodes (an inverted index), so the cost is
 * Σ over points of (nodes containing it)² (and a sort of those pairs), not the all-pairs set
 * intersections KeplerMapper does.
 */

export interface MapperLink {
  source: number;
  target: number;
  /** Points in both nodes. */
  shared: number;
  jaccard: number;
}

/** Node pairs sorted at once (8 bytes each): 32 MiB. */
const PAIR_BLOCK = 2 ** 22;

/** Node pairs of rows [r0, r1): Σ c·(c − 1)/2 over the rows' node counts c. */
function pairCount(counts: Int32Array, r0: number, r1: number): number {
  let pairs = 0;
  for (let row = r0; row < r1; row++) {
    const c = counts[row + 1] - counts[row];
    pairs += (c * (c - 1)) / 2;
  }
  return pairs;
}

export function nerve(members: Int32Array[], n: number, minIntersection: number): MapperLink[] {
  const counts = new Int32Array(n + 1);
  for (const m of members) for (const row of m) counts[row + 1]++;
  for (let i = 0; i < n; i++) counts[i + 1] += counts[i];
  const nodesOf = new Int32Array(counts[n]);
  const fill = counts.slice(0, n);
  members.forEach((m, node) => {
    for (const row of m) nodesOf[fill[row]++] = node;
  });
  // Every (u, v) pair of nodes sharing a point, as the key u·nodes + v (exact in float64), in
  // blocks of rows: a sorted block turns equal keys into runs, whose lengths add to the count
  // of the pair — one map update per pair and block instead of one per shared point.
  const nodes = members.length;
  const shared = new Map<number, number>();
  const keys = new Float64Array(Math.min(PAIR_BLOCK, Math.max(1, pairCount(counts, 0, n))));
  let at = 0;
  const flush = () => {
    const block = keys.subarray(0, at).sort();
    for (let start = 0; start < at;) {
      let end = start + 1;
      while (end < at && block[end] === block[start]) end++;
      shared.set(block[start], (shared.get(block[start]) ?? 0) + end - start);
      start = end;
    }
    at = 0;
  };
  for (let row = 0; row < n; row++) {
    const c = counts[row + 1] - counts[row];
    const rowPairs = (c * (c - 1)) / 2;
    if (at + rowPairs > keys.length) flush();
    // A point in more than ~2,900 nodes (a fine 2-D cover at high overlap) is counted directly.
    const direct = rowPairs > keys.length;
    for (let a = counts[row]; a < counts[row + 1]; a++) {
      for (let b = a + 1; b < counts[row + 1]; b++) {
        const key = Math.min(nodesOf[a], nodesOf[b]) * nodes + Math.max(nodesOf[a], nodesOf[b]);
        if (direct) shared.set(key, (shared.get(key) ?? 0) + 1);
        else keys[at++] = key;
      }
    }
  }
  flush();
  const links: MapperLink[] = [];
  for (const key of Float64Array.from(shared.keys()).sort()) {
    const count = shared.get(key)!;
    if (count < minIntersection) continue;
    const source = Math.floor(key / nodes);
    const target = key - source * nodes;
    links.push({
      source,
      target,
      shared: count,
      jaccard: count / (members[source].length + members[target].length - count),
    });
  }
  return links; // in (source, target) order, as the keys were sorted
}

/** Connected components of a graph: a component id per node (numbered by lowest node) and their count. */
export function components(
  nodes: number,
  links: readonly { source: number; target: number }[],
): { of: Int32Array; count: number } {
  const parent = Int32Array.from({ length: nodes }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  for (const { source, target } of links) {
    const a = find(source);
    const b = find(target);
    if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
  }
  const of = new Int32Array(nodes);
  const ids = new Map<number, number>();
  for (let i = 0; i < nodes; i++) {
    const root = find(i);
    if (!ids.has(root)) ids.set(root, ids.size);
    of[i] = ids.get(root)!;
  }
  return { of, count: ids.size };
}
