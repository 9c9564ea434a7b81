/**
 * ε-neighbourhoods of one point cloud, built once and reused for every Mapper recompute.
 *
 * A slider change (intervals, overlap, min_samples, another ε) must not redo O(n²·d) work, so
 * the cloud keeps its K nearest neighbours (exact, squared Euclidean, from the core). For a
 * radius R, row i's neighbourhood is the prefix of its list within R — complete whenever the
 * K-th neighbour lies beyond R. Only "saturated" rows (K-th neighbour within R) need an exact
 * radius query against the whole cloud, done in the core (assembly/radius.ts). The graph at R
 * is kept with its distances, so every ε ≤ R is then a filter, O(entries): `prepare(R)` with R
 * above the ε a user will try makes the ε slider as cheap as the others.
 *
 * Comparisons are made on float32 squared distances, as the kernels compute them, so a pair
 * is inside ε the same way from both ends and every neighbourhood is symmetric.
 */
import { HiddenAtlasError, formatBytes } from "../../core/errors.ts";
import type { Matrix } from "../../core/matrix.ts";
import { ProgressTracker, type RunOptions } from "../../core/progress.ts";
import { getCore } from "../../core/wasm.ts";
import { KnnIndex } from "../knn.ts";

declare module "../../core/wasm.ts" {
  interface CoreKernels {
    radiusScratchFloats(nBase: number): number;
    radiusNeighbors(
      base: number, nBase: number, queries: number, q0: number, q1: number, d: number, epsSquared: number,
      outIndices: number, outSquared: number, capacity: number, outCounts: number, scratch: number,
    ): number;
    radiusPairsUpper(
      base: number, n: number, d: number, r0: number, r1: number, epsSquared: number,
      outI: number, outJ: number, outSquared: number, capacity: number, scratch: number,
    ): number;
    primMst(X: number, d: number, rows: number, m: number, outFrom: number, outTo: number, outWeight: number, scratch: number): void;
  }
}

/** Neighbours kept per row; larger lists mean fewer exact radius queries for large ε. */
export const NEIGHBOR_LIST_LENGTH = 32;
/** The largest ε-graph we build (int32 entries): 1 GiB. */
const MAX_GRAPH_ENTRIES = 2 ** 28;
/** Saturated rows per radius-kernel call: bounds the time between progress checkpoints. */
const RADIUS_CHUNK = 64;

/** An ε-graph in compressed rows: row i's neighbours (itself included) are indices[offsets[i] .. offsets[i+1]). */
export interface EpsilonGraph {
  eps: number;
  offsets: Int32Array;
  indices: Int32Array;
  /** Rows whose neighbourhood needed an exact radius query. */
  saturated: number;
}

/** A neighbourhood graph at radius R with every entry's squared distance, to filter smaller ε from. */
interface WideGraph {
  radius: number;
  offsets: Int32Array;
  indices: Int32Array;
  squared: Float32Array;
  saturated: number;
}

export class Neighborhoods {
  private cache: EpsilonGraph | null = null;
  private wide: WideGraph | null = null;

  private constructor(
    readonly X: Matrix,
    /** n × k neighbour indices, nearest first (self excluded). */
    readonly indices: Int32Array,
    /** n × k squared distances, ascending. */
    readonly squared: Float32Array,
    readonly k: number,
  ) {}

  /** Find every row's k nearest neighbours (k = min(32, n − 1)). */
  static async build(X: Matrix, options: RunOptions = {}): Promise<Neighborhoods> {
    const k = Math.min(NEIGHBOR_LIST_LENGTH, X.rows - 1);
    if (k < 1) return new Neighborhoods(X, new Int32Array(0), new Float32Array(0), 0);
    const index = await KnnIndex.build(X, { metric: "sqeuclidean" });
    try {
      const result = await index.searchSelf(k, options);
      return new Neighborhoods(X, result.indices, result.distances, k);
    } finally {
      index.release();
    }
  }

  get n(): number {
    return this.X.rows;
  }

  /** Euclidean distance from each row to its j-th nearest other row (j from 1). */
  neighborDistance(j: number): Float64Array {
    const out = new Float64Array(this.n);
    if (this.k === 0) return out;
    const column = Math.min(j, this.k) - 1;
    for (let i = 0; i < this.n; i++) out[i] = Math.sqrt(this.squared[i * this.k + column]);
    return out;
  }

  /** Mean Euclidean distance to the j nearest other rows (KeplerMapper's knn_distance_j, averaged). */
  meanNeighborDistance(j: number): Float64Array {
    const out = new Float64Array(this.n);
    const m = Math.min(j, this.k);
    for (let i = 0; i < this.n; i++) {
      let s = 0;
      for (let c = 0; c < m; c++) s += Math.sqrt(this.squared[i * this.k + c]);
      out[i] = m > 0 ? s / m : 0;
    }
    return out;
  }

  /** The radius up to which ε-graphs are filters of a stored graph (0 before any). */
  get preparedRadius(): number {
    return this.wide?.radius ?? 0;
  }

  /**
   * Compute and keep the neighbourhood graph at radius R, so that any ε ≤ R costs O(entries).
   * Refuses with E_TOO_LARGE (and the estimate) when it would exceed 2²⁸ entries.
   */
  async prepare(radius: number, options: RunOptions = {}): Promise<void> {
    if (this.wide && this.wide.radius >= radius) return;
    const { n, k } = this;
    const radiusSquared = Math.fround(radius * radius);
    const saturated: number[] = [];
    for (let i = 0; i < n; i++) if (k > 0 && this.squared[i * k + k - 1] <= radiusSquared) saturated.push(i);
    if (saturated.length > n / 2) {
      // Most rows need a full query anyway: one symmetric pass costs half as much.
      this.wide = { ...(await this.symmetricGraph(radius, options)), saturated: saturated.length };
      this.cache = null;
      return;
    }
    const exact = await this.radiusRows(saturated, radius, options);
    const offsets = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) {
      let count = 1;
      const rowExact = exact.get(i);
      if (rowExact) count = rowExact.indices.length;
      else for (let c = 0; c < k && this.squared[i * k + c] <= radiusSquared; c++) count++;
      if (offsets[i] + count > MAX_GRAPH_ENTRIES) throw tooLarge(radius, n, offsets[i] + count, i + 1);
      offsets[i + 1] = offsets[i] + count;
    }
    const indices = new Int32Array(offsets[n]);
    const squared = new Float32Array(offsets[n]);
    for (let i = 0; i < n; i++) {
      const rowExact = exact.get(i);
      if (rowExact) {
        indices.set(rowExact.indices, offsets[i]);
        squared.set(rowExact.squared, offsets[i]);
        continue;
      }
      let at = offsets[i];
      indices[at++] = i; // itself, at distance 0
      for (let c = 0; c < k && this.squared[i * k + c] <= radiusSquared; c++, at++) {
        indices[at] = this.indices[i * k + c];
        squared[at] = this.squared[i * k + c];
      }
    }
    this.wide = { radius, offsets, indices, squared, saturated: saturated.length };
    this.cache = null;
  }

  /** The exact ε-graph (cached for the last ε asked); prepares radius ε first if needed. */
  async epsilonGraph(eps: number, options: RunOptions = {}): Promise<EpsilonGraph> {
    if (this.cache && this.cache.eps === eps) return this.cache;
    if (!this.wide || this.wide.radius < eps) await this.prepare(eps, options);
    const wide = this.wide!;
    const epsSquared = Math.fround(eps * eps);
    const n = this.n;
    const offsets = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) {
      let count = 0;
      for (let e = wide.offsets[i]; e < wide.offsets[i + 1]; e++) if (wide.squared[e] <= epsSquared) count++;
      offsets[i + 1] = offsets[i] + count;
    }
    const indices = new Int32Array(offsets[n]);
    for (let i = 0, at = 0; i < n; i++) {
      for (let e = wide.offsets[i]; e < wide.offsets[i + 1]; e++) if (wide.squared[e] <= epsSquared) indices[at++] = wide.indices[e];
    }
    this.cache = { eps, offsets, indices, saturated: wide.saturated };
    return this.cache;
  }

  /** The whole graph at `radius` from the pairs i < j within it (core), rows in ascending order. */
  private async symmetricGraph(radius: number, options: RunOptions): Promise<Omit<WideGraph, "saturated">> {
    const core = await getCore();
    const { X, n } = this;
    const radiusSquared = Math.fround(radius * radius);
    const pairsI: Int32Array[] = [];
    const pairsJ: Int32Array[] = [];
    const pairsSquared: Float32Array[] = [];
    let total = 0;
    const tracker = new ProgressTracker(options, "mapper ε-graph", n);
    await core.scope(async (s) => {
      const base = s.upload(X.data, "mapper points");
      const scratch = s.f32(core.kernels.radiusScratchFloats(n), "mapper radius scratch");
      let capacity = Math.max(1024, RADIUS_CHUNK * (this.k + 1) * 4);
      let outI = s.i32(capacity, "mapper pairs");
      let outJ = s.i32(capacity, "mapper pairs");
      let outSquared = s.f32(capacity, "mapper pair distances");
      for (let r0 = 0; r0 < n; r0 += RADIUS_CHUNK) {
        const r1 = Math.min(n, r0 + RADIUS_CHUNK);
        const query = () => core.kernels.radiusPairsUpper(base.ptr, n, X.cols, r0, r1, radiusSquared, outI.ptr, outJ.ptr, outSquared.ptr, capacity, scratch.ptr);
        let written = query();
        while (written < 0) {
          capacity = Math.min(capacity * 4, (r1 - r0) * n);
          if (2 * (total + capacity) + n > MAX_GRAPH_ENTRIES) throw tooLarge(radius, n, 2 * (total + capacity) + n, r1);
          outI = s.i32(capacity, "mapper pairs");
          outJ = s.i32(capacity, "mapper pairs");
          outSquared = s.f32(capacity, "mapper pair distances");
          written = query();
        }
        total += written;
        pairsI.push(outI.view().slice(0, written));
        pairsJ.push(outJ.view().slice(0, written));
        pairsSquared.push(outSquared.view().slice(0, written));
        await tracker.step(r1);
      }
    });
    tracker.finish();
    // Row r lists its lower neighbours (i < r, ascending), itself, then its upper ones (j > r).
    const lower = new Int32Array(n);
    const upper = new Int32Array(n);
    pairsI.forEach((is, c) => {
      for (let p = 0; p < is.length; p++) {
        upper[is[p]]++;
        lower[pairsJ[c][p]]++;
      }
    });
    const offsets = new Int32Array(n + 1);
    for (let r = 0; r < n; r++) offsets[r + 1] = offsets[r] + lower[r] + 1 + upper[r];
    const indices = new Int32Array(offsets[n]);
    const squared = new Float32Array(offsets[n]);
    const lowerAt = offsets.slice(0, n);
    const upperAt = new Int32Array(n);
    for (let r = 0; r < n; r++) {
      const self = offsets[r] + lower[r];
      indices[self] = r;
      upperAt[r] = self + 1;
    }
    pairsI.forEach((is, c) => {
      const js = pairsJ[c];
      const sq = pairsSquared[c];
      for (let p = 0; p < is.length; p++) {
        const i = is[p];
        const j = js[p];
        indices[upperAt[i]] = j;
        squared[upperAt[i]++] = sq[p];
        indices[lowerAt[j]] = i;
        squared[lowerAt[j]++] = sq[p];
      }
    });
    return { radius, offsets, indices, squared };
  }

  /** Exact radius neighbourhoods of the given rows, in the core. */
  private async radiusRows(rows: number[], radius: number, options: RunOptions): Promise<Map<number, { indices: Int32Array; squared: Float32Array }>> {
    const out = new Map<number, { indices: Int32Array; squared: Float32Array }>();
    if (rows.length === 0) return out;
    const core = await getCore();
    const { X } = this;
    const d = X.cols;
    const epsSquared = Math.fround(radius * radius);
    const tracker = new ProgressTracker(options, "mapper ε-graph", rows.length);
    let total = 0;
    await core.scope(async (s) => {
      const base = s.upload(X.data, "mapper points");
      const queries = s.f32(RADIUS_CHUNK * d, "mapper radius queries");
      const counts = s.i32(RADIUS_CHUNK, "mapper radius counts");
      const scratch = s.f32(core.kernels.radiusScratchFloats(X.rows), "mapper radius scratch");
      let capacity = RADIUS_CHUNK * (this.k + 1) * 4;
      let found = s.i32(capacity, "mapper radius neighbours");
      let distances = s.f32(capacity, "mapper radius distances");
      for (let r0 = 0; r0 < rows.length; r0 += RADIUS_CHUNK) {
        const chunk = rows.slice(r0, r0 + RADIUS_CHUNK);
        const q = queries.view();
        chunk.forEach((row, j) => q.set(X.data.subarray(row * d, (row + 1) * d), j * d));
        const query = () =>
          core.kernels.radiusNeighbors(base.ptr, X.rows, queries.ptr, 0, chunk.length, d, epsSquared, found.ptr, distances.ptr, capacity, counts.ptr, scratch.ptr);
        let written = query();
        while (written < 0) {
          capacity = Math.min(capacity * 4, chunk.length * X.rows);
          if (total + capacity > MAX_GRAPH_ENTRIES) throw tooLarge(radius, X.rows, total + capacity, r0 + chunk.length);
          found = s.i32(capacity, "mapper radius neighbours");
          distances = s.f32(capacity, "mapper radius distances");
          written = query();
        }
        total += written;
        const c = counts.view();
        const f = found.view();
        const q2 = distances.view();
        let at = 0;
        chunk.forEach((row, j) => {
          out.set(row, { indices: f.slice(at, at + c[j]), squared: q2.slice(at, at + c[j]) });
          at += c[j];
        });
        await tracker.step(r0 + chunk.length);
      }
    });
    tracker.finish();
    return out;
  }

  /**
   * Single-linkage merge heights of subsets of rows: for each subset, the m − 1 edges of its
   * minimum spanning tree (positions into the subset), computed in the core without an m × m
   * matrix. The cloud is uploaded once for all subsets.
   */
  async spanningTrees(subsets: Int32Array[], options: RunOptions = {}): Promise<SpanningTree[]> {
    const core = await getCore();
    const tracker = new ProgressTracker(options, "mapper single linkage", subsets.length);
    const trees = await core.scope(async (s) => {
      const base = s.upload(this.X.data, "mapper points");
      const largest = Math.max(1, ...subsets.map((rows) => rows.length));
      const subset = s.i32(largest, "mapper subset");
      const from = s.i32(largest);
      const to = s.i32(largest);
      const weight = s.f32(largest);
      const scratch = s.alloc(8 * largest, "mapper spanning-tree scratch");
      const out: SpanningTree[] = [];
      for (const rows of subsets) {
        subset.view().set(rows);
        core.kernels.primMst(base.ptr, this.X.cols, subset.ptr, rows.length, from.ptr, to.ptr, weight.ptr, scratch);
        const edges = Math.max(0, rows.length - 1);
        out.push({ from: from.view().slice(0, edges), to: to.view().slice(0, edges), weight: weight.view().slice(0, edges) });
        await tracker.step(out.length);
      }
      return out;
    });
    tracker.finish();
    return trees;
  }
}

/** A minimum spanning tree over a subset: edge e joins positions from[e] and to[e] at distance weight[e]. */
export interface SpanningTree {
  from: Int32Array;
  to: Int32Array;
  weight: Float32Array;
}

function tooLarge(eps: number, n: number, entries: number, rowsSeen: number): HiddenAtlasError {
  const estimate = Math.round((entries / rowsSeen) * n);
  return new HiddenAtlasError(
    "E_TOO_LARGE",
    `ε = ${eps} links almost every point to every other: the ε-graph would hold about ${estimate.toLocaleString("en")} pairs (${formatBytes(estimate * 4)}); choose a smaller eps (or "auto")`,
    { bytesNeeded: estimate * 4 },
  );
}
