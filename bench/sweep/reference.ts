/**
 * Independent expectations for the sweep's checks: brute-force kNN, Dijkstra on the union kNN
 * graph, H0 deaths from a minimum spanning tree, linear CKA from its formula — each in float64
 * on the float32 input, in a few plain lines — and the invariants every command's JSON must
 * hold (numbers where numbers are due, indices in range, counts that add up).
 */
import type { Matrix } from "../../src/core/matrix.ts";

export function distance(X: Matrix, i: number, j: number, metric = "euclidean"): number {
  const a = X.data.subarray(i * X.cols, (i + 1) * X.cols);
  const b = X.data.subarray(j * X.cols, (j + 1) * X.cols);
  if (metric === "cosine") {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let c = 0; c < X.cols; c++) {
      dot += a[c] * b[c];
      na += a[c] * a[c];
      nb += b[c] * b[c];
    }
    return na === 0 || nb === 0 ? NaN : 1 - dot / Math.sqrt(na * nb);
  }
  let s = 0;
  for (let c = 0; c < X.cols; c++) s += (a[c] - b[c]) ** 2;
  return metric === "sqeuclidean" ? s : Math.sqrt(s);
}

/** Sorted distances from row i to every other row (the reference kNN distances). */
export function sortedDistances(X: Matrix, i: number, metric = "euclidean"): number[] {
  const out: number[] = [];
  for (let j = 0; j < X.rows; j++) if (j !== i) out.push(distance(X, i, j, metric));
  return out.sort((a, b) => a - b);
}

/** The scale distances are judged against: the largest coordinate magnitude (at least tiny). */
function magnitude(X: Matrix): number {
  let m = 0;
  for (const v of X.data) m = Math.max(m, Math.abs(v));
  return Math.max(m, 1e-300);
}

const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/**
 * The smallest float32 step, 2^-149: a float32 output below 2^-126 (subnormal) can be no closer
 * than this to the true value, so no tolerance may be finer.
 */
const FLOAT32_STEP = 2 ** -149;

/**
 * `knn` output against brute force: each row's distances equal the k smallest (to 1e-4 of the
 * data's scale, float32 sums), each listed neighbour lies at the listed distance, never itself,
 * never twice.
 */
export function checkKnn(
  json: { indices: unknown[][]; distances: unknown[][] },
  X: Matrix,
  k: number,
  metric = "euclidean",
): string | null {
  if (!Array.isArray(json.indices) || json.indices.length !== X.rows)
    return `indices has ${json.indices?.length} rows, expected ${X.rows}`;
  const scale =
    metric === "cosine"
      ? 1
      : metric === "sqeuclidean"
        ? magnitude(X) ** 2 * X.cols
        : magnitude(X) * Math.sqrt(X.cols);
  const tolerance = Math.max(1e-4 * scale, 2 * FLOAT32_STEP);
  for (let i = 0; i < X.rows; i++) {
    const idx = json.indices[i];
    const dist = json.distances[i];
    if (!Array.isArray(idx) || idx.length !== k || !Array.isArray(dist) || dist.length !== k)
      return `row ${i}: expected ${k} neighbours`;
    const ref = sortedDistances(X, i, metric);
    const seen = new Set<number>();
    for (let r = 0; r < k; r++) {
      const j = idx[r];
      const d = dist[r];
      if (!Number.isInteger(j) || (j as number) < 0 || (j as number) >= X.rows)
        return `row ${i} rank ${r + 1}: index ${JSON.stringify(j)} out of range`;
      if (j === i) return `row ${i} is its own neighbour`;
      if (seen.has(j as number)) return `row ${i} lists ${j} twice`;
      seen.add(j as number);
      if (!isNumber(d)) return `row ${i} rank ${r + 1}: distance ${JSON.stringify(d)}`;
      if (Math.abs(d - ref[r]) > tolerance)
        return `row ${i} rank ${r + 1}: distance ${d}, brute force ${ref[r]}`;
      const actual = distance(X, i, j as number, metric);
      if (Math.abs(actual - d) > tolerance)
        return `row ${i} rank ${r + 1}: neighbour ${j} is at ${actual}, listed at ${d}`;
    }
  }
  return null;
}

/** Union-symmetrised kNN graph (ties to the lower index) and all-pairs Dijkstra, float64. */
export function geodesicReference(X: Matrix, k: number): number[][] {
  const n = X.rows;
  const adjacency: Map<number, number>[] = Array.from({ length: n }, () => new Map());
  for (let i = 0; i < n; i++) {
    const order = Array.from({ length: n }, (_, j) => j)
      .filter((j) => j !== i)
      .map((j) => [j, distance(X, i, j)] as const)
      .sort((a, b) => a[1] - b[1] || a[0] - b[0])
      .slice(0, k);
    for (const [j, d] of order) {
      adjacency[i].set(j, d);
      adjacency[j].set(i, d);
    }
  }
  return Array.from({ length: n }, (_, s) => {
    const dist = new Array<number>(n).fill(Infinity);
    const done = new Array<boolean>(n).fill(false);
    dist[s] = 0;
    for (;;) {
      let u = -1;
      for (let v = 0; v < n; v++)
        if (!done[v] && dist[v] < Infinity && (u < 0 || dist[v] < dist[u])) u = v;
      if (u < 0) break;
      done[u] = true;
      for (const [v, w] of adjacency[u]) if (dist[u] + w < dist[v]) dist[v] = dist[u] + w;
    }
    return dist;
  });
}

/** H0 deaths of the Rips filtration: the minimum spanning tree's edge lengths (Prim), sorted. */
export function mstEdges(X: Matrix): number[] {
  const n = X.rows;
  const best = new Array<number>(n).fill(Infinity);
  const inTree = new Array<boolean>(n).fill(false);
  const edges: number[] = [];
  best[0] = 0;
  for (let step = 0; step < n; step++) {
    let u = -1;
    for (let v = 0; v < n; v++) if (!inTree[v] && (u < 0 || best[v] < best[u])) u = v;
    inTree[u] = true;
    if (step > 0) edges.push(best[u]);
    for (let v = 0; v < n; v++) if (!inTree[v]) best[v] = Math.min(best[v], distance(X, u, v));
  }
  return edges.sort((a, b) => a - b);
}

/** Linear CKA (Kornblith et al. 2019, feature form) in float64; NaN when a side has no variance. */
export function linearCka(A: Matrix, B: Matrix): number {
  const center = (M: Matrix) => {
    const out = Float64Array.from(M.data);
    for (let c = 0; c < M.cols; c++) {
      let mean = 0;
      for (let r = 0; r < M.rows; r++) mean += out[r * M.cols + c];
      mean /= M.rows;
      for (let r = 0; r < M.rows; r++) out[r * M.cols + c] -= mean;
    }
    return out;
  };
  const a = center(A);
  const b = center(B);
  const cross = (x: Float64Array, dx: number, y: Float64Array, dy: number) => {
    let s = 0;
    for (let i = 0; i < dx; i++) {
      for (let j = 0; j < dy; j++) {
        let dot = 0;
        for (let r = 0; r < A.rows; r++) dot += x[r * dx + i] * y[r * dy + j];
        s += dot * dot;
      }
    }
    return s;
  };
  return (
    cross(a, A.cols, b, B.cols) /
    Math.sqrt(cross(a, A.cols, a, A.cols) * cross(b, B.cols, b, B.cols))
  );
}

export function parseJson(stdout: string): any {
  return JSON.parse(stdout);
}

/** Every number in `value` (nested arrays) finite; the path of the first that is not. */
export function firstNonFinite(value: unknown, path = ""): string | null {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = firstNonFinite(value[i], `${path}[${i}]`);
      if (bad) return bad;
    }
    return null;
  }
  return isNumber(value) ? null : `${path || "value"} is ${JSON.stringify(value)}`;
}

/** `coordinates`: an n × d array of finite numbers. */
export function checkCoordinates(coordinates: unknown, n: number, d: number): string | null {
  if (!Array.isArray(coordinates) || coordinates.length !== n)
    return `coordinates has ${Array.isArray(coordinates) ? coordinates.length : "no"} rows, expected ${n}`;
  for (let i = 0; i < n; i++) {
    const row = coordinates[i];
    if (!Array.isArray(row) || row.length !== d) return `coordinates[${i}] is not ${d} numbers`;
  }
  return firstNonFinite(coordinates, "coordinates");
}

/** Two coordinate sets equal up to `scale` and a sign per column, to a relative tolerance. */
export function sameUpToSign(
  a: number[][],
  b: number[][],
  scale = 1,
  tolerance = 1e-3,
): string | null {
  if (a.length !== b.length) return `${a.length} vs ${b.length} rows`;
  const d = a[0]?.length ?? 0;
  let max = 0;
  for (const row of b) for (const v of row) max = Math.max(max, Math.abs(v));
  for (let c = 0; c < d; c++) {
    const sign = Math.sign(a.reduce((s, row, i) => s + row[c] * b[i][c], 0)) || 1;
    for (let i = 0; i < a.length; i++) {
      if (Math.abs(a[i][c] * scale * sign - b[i][c]) > tolerance * Math.max(max, 1e-30))
        return `row ${i} column ${c}: ${a[i][c] * scale * sign} vs ${b[i][c]}`;
    }
  }
  return null;
}

/** Invariants of `som` output on n rows (hits count the BMUs, errors finite and ≥ 0). */
export function checkSom(json: any, n: number, nodes: number): string | null {
  if (!isNumber(json.qe) || json.qe < 0) return `qe is ${json.qe}`;
  if (!Array.isArray(json.bmus) || json.bmus.length !== n)
    return `bmus has ${json.bmus?.length} entries, expected ${n}`;
  const hits = new Array<number>(nodes).fill(0);
  for (const b of json.bmus) {
    if (!Number.isInteger(b) || b < 0 || b >= nodes) return `bmu ${b} out of range`;
    hits[b]++;
  }
  if (JSON.stringify(hits) !== JSON.stringify(json.hits))
    return `hits ${JSON.stringify(json.hits)} do not count the BMUs`;
  for (const [name, value] of Object.entries(json.te ?? {}))
    if (value !== null && (!isNumber(value) || value < 0 || value > 1))
      return `te.${name} is ${value}`;
  return firstNonFinite(json.uMatrix, "uMatrix") ?? firstNonFinite(json.qeHistory, "qeHistory");
}

/** Invariants of `mapper` output on n rows: members in range, sizes, lost rows, Jaccard links. */
export function checkMapper(json: any, n: number, minIntersection = 1): string | null {
  if (!Array.isArray(json.nodes) || !Array.isArray(json.links)) return "nodes or links missing";
  const covered = new Set<number>();
  const members: Set<number>[] = [];
  for (const [i, node] of json.nodes.entries()) {
    if (!Array.isArray(node.members) || node.members.length !== node.size)
      return `node ${i}: size ${node.size} but ${node.members?.length} members`;
    for (const m of node.members) {
      if (!Number.isInteger(m) || m < 0 || m >= n) return `node ${i}: member ${m} out of range`;
      covered.add(m);
    }
    members.push(new Set(node.members));
    const bad = firstNonFinite(node.lens, `nodes[${i}].lens`);
    if (bad) return bad;
    if (
      node.labelCounts &&
      node.labelCounts.reduce((a: number, b: number) => a + b, 0) !== node.size
    )
      return `node ${i}: label counts do not add up to its size`;
  }
  if (json.lost !== n - covered.size)
    return `lost ${json.lost}, but ${n - covered.size} rows are in no node`;
  if (Array.isArray(json.lostMembers) && json.lostMembers.length !== json.lost)
    return `lostMembers lists ${json.lostMembers.length}, lost is ${json.lost}`;
  const linked = new Set<string>();
  for (const [a, b, jaccard] of json.links) {
    const A = members[a];
    const B = members[b];
    if (!A || !B) return `link ${a}–${b} names a missing node`;
    let shared = 0;
    for (const m of A) if (B.has(m)) shared++;
    const expected = shared / (A.size + B.size - shared);
    if (shared < minIntersection) return `link ${a}–${b} shares ${shared} rows`;
    if (!isNumber(jaccard) || Math.abs(jaccard - expected) > 1e-9)
      return `link ${a}–${b}: Jaccard ${jaccard}, expected ${expected}`;
    linked.add(`${Math.min(a, b)},${Math.max(a, b)}`);
  }
  for (let a = 0; a < members.length; a++) {
    for (let b = a + 1; b < members.length; b++) {
      let shared = 0;
      for (const m of members[a]) if (members[b].has(m)) shared++;
      if (shared >= minIntersection && !linked.has(`${a},${b}`))
        return `nodes ${a} and ${b} share ${shared} rows but are not linked`;
    }
  }
  if (json.purity !== undefined) {
    const { meanInverseClasses, weightedMajority, nodes } = json.purity ?? {};
    // With no node there is nothing to be pure: null (NaN) is the honest answer.
    for (const [name, v] of Object.entries({ meanInverseClasses, weightedMajority }))
      if (!(v === null && json.nodes.length === 0) && (!isNumber(v) || v < 0 || v > 1))
        return `purity.${name} is ${JSON.stringify(v)}`;
    if (nodes !== json.nodes.length) return `purity.nodes ${nodes}, but ${json.nodes.length} nodes`;
  }
  if (json.eps !== undefined && json.eps !== null && (!isNumber(json.eps) || json.eps < 0))
    return `eps ${json.eps}`;
  return null;
}

/**
 * `ph` output: H0 equals the MST's edges (zero-length pairs dropped) plus one essential class;
 * every pair has birth ≤ death.
 */
export function checkPh(json: any, X: Matrix | null, maxdim: number): string | null {
  if (!json.diagrams || typeof json.diagrams !== "object") return "no diagrams";
  for (let dim = 0; dim <= maxdim; dim++) {
    const pairs = json.diagrams[String(dim)];
    if (!Array.isArray(pairs)) return `no diagram of degree ${dim}`;
    for (const [i, p] of pairs.entries()) {
      if (!Array.isArray(p) || !isNumber(p[0]) || (p[1] !== null && !isNumber(p[1])))
        return `diagrams.${dim}[${i}] is ${JSON.stringify(p)}`;
      if (p[1] !== null && p[1] < p[0]) return `diagrams.${dim}[${i}] dies before it is born`;
    }
  }
  if (X === null) return null;
  const h0 = json.diagrams["0"] as [number, number | null][];
  const essential = h0.filter((p) => p[1] === null).length;
  if (essential !== 1)
    return `H0 has ${essential} essential classes, expected 1 (threshold at the enclosing radius)`;
  const deaths = h0
    .filter((p) => p[1] !== null)
    .map((p) => p[1] as number)
    .sort((a, b) => a - b);
  const mst = mstEdges(X).filter((d) => Math.fround(d) > 0);
  if (deaths.length !== mst.length)
    return `H0 has ${deaths.length} finite pairs, the MST ${mst.length} non-zero edges`;
  const scale = magnitude(X) * Math.sqrt(X.cols);
  for (let i = 0; i < mst.length; i++)
    if (Math.abs(deaths[i] - mst[i]) > Math.max(1e-4 * scale, 2 * FLOAT32_STEP))
      return `H0 death ${deaths[i]} vs MST edge ${mst[i]}`;
  return null;
}
