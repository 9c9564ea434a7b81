/**
 * The 1-skeleton of the nerve of Mapper's clusters: an edge between two nodes sharing at least
 * `minIntersection` points, weighted by Jaccard |A ∩ B| / |A ∪ B| (TopoAct's edge weight).
 * Intersections are counted through each point's few nodes (an inverted index), so the cost is
 * Σ over points of (nodes containing it)², not the all-pairs set intersections KeplerMapper does.
 */

export interface MapperLink {
  source: number;
  target: number;
  /** Points in both nodes. */
  shared: number;
  jaccard: number;
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
  const shared = new Map<number, number>();
  const nodes = members.length;
  for (let row = 0; row < n; row++) {
    for (let a = counts[row]; a < counts[row + 1]; a++) {
      for (let b = a + 1; b < counts[row + 1]; b++) {
        const u = Math.min(nodesOf[a], nodesOf[b]);
        const v = Math.max(nodesOf[a], nodesOf[b]);
        const key = u * nodes + v;
        shared.set(key, (shared.get(key) ?? 0) + 1);
      }
    }
  }
  const links: MapperLink[] = [];
  for (const [key, count] of shared) {
    if (count < minIntersection) continue;
    const source = Math.floor(key / nodes);
    const target = key % nodes;
    links.push({ source, target, shared: count, jaccard: count / (members[source].length + members[target].length - count) });
  }
  return links.sort((a, b) => a.source - b.source || a.target - b.target);
}

/** Connected components of a graph: a component id per node (numbered by lowest node) and their count. */
export function components(nodes: number, links: readonly { source: number; target: number }[]): { of: Int32Array; count: number } {
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
