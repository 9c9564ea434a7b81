/**
 * ε-neighbourhoods of one point cloud, built once and reused for every Mapper recompute.
 *
 * A slider change (intervals, overlap, min_samples, another ε) must not redo O(n²·d) work, so
 * the cloud keeps each row's K = 32 nearest neighbours (squared Euclidean, nearest first):
 * exact (blocked brute force in the core) while n²·d ≤ EXACT_WORK, and found by NN-descent
 * (src/algo/nndescent.ts, seeded) above it — there the recall of the lists is measured against
 * an exact search of RECALL_SAMPLE rows. `neighbors: "exact" | "approximate"` forces either.
 *
 * DBSCAN needs each point's neighbours within ε. Two ε-graphs answer that:
 *
 * - **Exact.** Row i's neighbourhood at radius R is the prefix of its exact list within R —
 *   complete whenever the K-th neighbour lies beyond R. Only "saturated" rows (K-th neighbour
 *   within R) need an exact radius query against the whole cloud (assembly/radius.ts). The
 *   graph at R is kept with its distances, so every ε ≤ R is then a filter, O(entries). Its
 *   size is estimated before it is built — exactly for the other rows, from the radius counts
 *   of up to SIZE_SAMPLE saturated rows for those — and it is built only within
 *   EPSILON_GRAPH_BYTES.
 * - **Capped.** Each row keeps the entries of its list within ε and the rows that list it
 *   within ε (so the graph stays symmetric): at most n·(2K + 1) entries whatever ε, and every ε
 *   is a filter of one stored graph. With exact lists it equals the exact graph whenever no row
 *   is saturated at ε; a saturated row keeps its K nearest, enough to decide it is a core point
 *   (min_samples ≤ K + 1) among all rows, but the edges to its farther ε-neighbours are
 *   dropped, so within a cover element a cluster may split or a point may not be counted as
 *   core. The graph reports how many rows that concerns (`beyondCap`).
 *
 * "auto" takes the exact graph when the lists are exact and it fits, the capped one otherwise;
 * "exact" refuses with E_TOO_LARGE (the bytes, and the remedy) instead of capping; with
 * "approximate" lists the graph is always the capped one.
 *
 * Comparisons are made on float32 squared distances, as the kernels compute them (NN-descent
 * sums each pair as the exact search does), so a pair is inside ε the same way from both ends
 * and every neighbourhood is symmetric.
 */
import { HiddenAtlasError, formatBytes } from "../../core/errors.ts";
import type { Matrix } from "../../core/matrix.ts";
import { ProgressTracker, type RunOptions } from "../../core/progress.ts";
import { DEFAULT_SEED, Rng, STREAMS } from "../../core/random.ts";
import { getCore } from "../../core/wasm.ts";
import { KnnIndex, type KnnResult } from "../knn.ts";
import { nnDescent, nnDescentBytes } from "../nndescent.ts";

declare module "../../core/wasm.ts" {
  interface CoreKernels {
    radiusScratchFloats(nBase: number): number;
    radiusNeighbors(
      base: number,
      nBase: number,
      queries: number,
      q0: number,
      q1: number,
      d: number,
      epsSquared: number,
      outIndices: number,
      outSquared: number,
      capacity: number,
      outCounts: number,
      scratch: number,
    ): number;
    radiusPairsUpper(
      base: number,
      n: number,
      d: number,
      r0: number,
      r1: number,
      epsSquared: number,
      outI: number,
      outJ: number,
      outSquared: number,
      capacity: number,
      scratch: number,
    ): number;
    radiusCounts(
      base: number,
      nBase: number,
      queries: number,
      q0: number,
      q1: number,
      d: number,
      epsSquared: number,
      outCounts: number,
      scratch: number,
    ): void;
    primMst(
      X: number,
      d: number,
      rows: number,
      m: number,
      outFrom: number,
      outTo: number,
      outWeight: number,
      scratch: number,
    ): void;
  }
}

/** Neighbours kept per row; larger lists mean fewer exact radius queries for large ε. */
export const NEIGHBOR_LIST_LENGTH = 32;
/** How neighbour lists are found: exact up to EXACT_WORK ("auto"), always exact, or NN-descent. */
export const NEIGHBOR_SEARCHES = ["auto", "exact", "approximate"] as const;
export type NeighborSearch = (typeof NEIGHBOR_SEARCHES)[number];
/**
 * "auto" searches exactly while n²·d is at most 2³⁵ (about 4 s of blocked search on one core:
 * 23,000 rows of 64 values, 16,000 of 128, 8,000 of 512) and uses NN-descent above.
 */
export const EXACT_WORK = 2 ** 35;
/** Rows whose exact neighbours measure NN-descent's recall (standard error ≈ 0.002 at recall 0.99). */
export const RECALL_SAMPLE = 256;
/** Saturated rows whose radius counts estimate the exact ε-graph's size (all of them when fewer). */
const SIZE_SAMPLE = 128;
/** Memory the exact ε-graph may take at its peak; above it "auto" caps the graph. */
export const EPSILON_GRAPH_BYTES = 512 * 2 ** 20;
/**
 * Bytes per exact ε-graph entry at the peak of a build: index and distance of the stored graph
 * (8), the same while the rows are gathered (8), and the filtered graph of one ε (4).
 */
const EXACT_ENTRY_BYTES = 20;
/** The exact build stops when it passes its estimate by this factor (the estimate samples rows). */
const ESTIMATE_SLACK = 1.5;
/** Saturated rows per radius-kernel call: bounds the time between progress checkpoints. */
const RADIUS_CHUNK = 64;

/**
 * Which search `build` runs for n × d rows and the WebAssembly bytes it holds at its peak (the
 * data, the lists, NN-descent's candidate heaps or the exact search's scratch); E_TOO_LARGE,
 * before anything is allocated, when that exceeds `availableBytes` (`Core.availableBytes`),
 * with the remedy that lowers it.
 */
export function planNeighborSearch(
  n: number,
  d: number,
  search: NeighborSearch,
  exactScratchBytes: number,
  availableBytes: number,
): { approximate: boolean; bytes: number } {
  const k = Math.min(NEIGHBOR_LIST_LENGTH, n - 1);
  const approximate = search === "approximate" || (search === "auto" && n * n * d > EXACT_WORK);
  const exactBytes = 4 * n * d + 8 * n * k + exactScratchBytes;
  const bytes = approximate ? nnDescentBytes(n, d, k) : exactBytes;
  if (bytes > availableBytes) {
    throw new HiddenAtlasError(
      "E_TOO_LARGE",
      `Mapper's ${approximate ? "NN-descent" : "exact"} neighbour search of ${n.toLocaleString("en")} × ${d} rows needs ${formatBytes(bytes)} of WebAssembly memory; ${formatBytes(availableBytes)} is free. ` +
        (approximate && exactBytes <= availableBytes
          ? `The exact search needs ${formatBytes(exactBytes)} (neighbors "exact"), but its time grows with n²; otherwise use fewer rows or shorter rows.`
          : `Use fewer rows, or shorter rows (for a conv layer, vectorize "gap" or "random": ${formatBytes(4 * n * d)} are the rows alone).`),
      { bytesNeeded: bytes, bytesAvailable: availableBytes },
    );
  }
  return { approximate, bytes };
}

/** How the neighbour lists were found, as results report it. */
export interface NeighborLists {
  method: "exact" | "nn-descent";
  /** Neighbours per row. */
  k: number;
  /** Share of the exact k nearest neighbours the lists hold: 1 for exact lists, else measured on `recallRows` rows. */
  recall: number;
  /** Rows whose exact neighbours measured the recall (0 for exact lists). */
  recallRows: number;
  /** NN-descent rounds run (0 for exact lists). */
  rounds: number;
}

/**
 * An ε-graph in compressed rows: node g's neighbours (itself included) are the nodes
 * indices[offsets[g] .. ends[g]). Nodes are the rows themselves, or — when `rank` is set — row
 * r is node rank[r] and node g is row order[g]. A compact graph has ends[g] = offsets[g + 1];
 * the capped graph shares one stored graph between every ε, its rows sorted by distance, and
 * ε only moves `ends`.
 */
export interface EpsilonGraph {
  eps: number;
  offsets: Int32Array;
  ends: Int32Array;
  indices: Int32Array;
  rank?: Int32Array;
  order?: Int32Array;
  /** Rows whose neighbourhood reached past their list (exact graph: at the prepared radius; capped: at ε). */
  saturated: number;
  /** True when saturated rows keep only their K nearest and the rows that list them. */
  capped: boolean;
  /** Rows whose ε-ball holds more than K other rows (their K-th listed neighbour lies within ε). */
  beyondCap: number;
}

/** A neighbourhood graph at radius R with every entry's squared distance, to filter smaller ε from. */
interface WideGraph {
  radius: number;
  offsets: Int32Array;
  indices: Int32Array;
  squared: Float32Array;
  saturated: number;
  /** Graph node of each row and row of each node, when the graph numbers its nodes apart from the rows. */
  rank?: Int32Array;
  order?: Int32Array;
}

export interface NeighborhoodOptions extends RunOptions {
  /** "auto" (default), "exact" or "approximate" (see NEIGHBOR_SEARCHES). */
  neighbors?: NeighborSearch;
  /** Seed of NN-descent and of the rows that measure its recall. Defaults to 42. */
  seed?: number;
}

/** Exact-graph size at a radius: entries (estimated for saturated rows) and its peak bytes. */
interface SizeEstimate {
  radius: number;
  /** Entries in all (estimated for saturated rows). */
  entries: number;
  /** Entries of the rows answered by their lists (exact). */
  listed: number;
  bytes: number;
  saturated: number;
}

export class Neighborhoods {
  private cache: EpsilonGraph | null = null;
  private wide: WideGraph | null = null;
  private capped: WideGraph | null = null;

  private constructor(
    readonly X: Matrix,
    /** n × k neighbour indices, nearest first (self excluded). */
    readonly indices: Int32Array,
    /** n × k squared distances, ascending. */
    readonly squared: Float32Array,
    readonly k: number,
    readonly search: NeighborSearch,
    readonly lists: NeighborLists,
  ) {}

  /**
   * Find every row's k nearest neighbours (k = min(32, n − 1)), exactly or by NN-descent (see
   * the module comment). Refuses with E_TOO_LARGE, before allocating, when the search would
   * not fit in the core's memory.
   */
  static async build(X: Matrix, options: NeighborhoodOptions = {}): Promise<Neighborhoods> {
    const search = options.neighbors ?? "auto";
    const seed = options.seed ?? DEFAULT_SEED;
    const { rows: n, cols: d } = X;
    const k = Math.min(NEIGHBOR_LIST_LENGTH, n - 1);
    const exactLists: NeighborLists = { method: "exact", k, recall: 1, recallRows: 0, rounds: 0 };
    if (k < 1)
      return new Neighborhoods(X, new Int32Array(0), new Float32Array(0), 0, search, exactLists);
    const core = await getCore();
    const { approximate } = planNeighborSearch(
      n,
      d,
      search,
      core.kernels.knnScratchBytes(k),
      core.availableBytes,
    );
    if (!approximate) {
      const index = await KnnIndex.fromKernelData(X, 1, "sqeuclidean");
      try {
        const result = await index.searchSelf(k, options);
        return new Neighborhoods(X, result.indices, result.distances, k, search, exactLists);
      } finally {
        index.dispose();
      }
    }
    const found = await nnDescent(X, {
      k,
      seed,
      metric: "sqeuclidean",
      signal: options.signal,
      onProgress: options.onProgress,
    });
    const recall = await sampledRecall(X, found.indices, found.distances, k, seed, options);
    const lists: NeighborLists = {
      method: "nn-descent",
      k,
      recall: recall.recall,
      recallRows: recall.rows,
      rounds: found.rounds,
    };
    return new Neighborhoods(X, found.indices, found.distances, k, search, lists);
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

  /** True when the lists came from NN-descent (every ε-graph is then the capped one). */
  get approximate(): boolean {
    return this.lists.method !== "exact";
  }

  /** The radius up to which ε-graphs are filters of a stored graph (0 before any; Infinity when capped). */
  get preparedRadius(): number {
    return this.approximate ? Infinity : (this.wide?.radius ?? 0);
  }

  /** Rows whose K-th listed neighbour lies within the radius (their ball holds more than K others). */
  beyondCap(radius: number): number {
    const { n, k } = this;
    if (k === 0) return 0;
    const radiusSquared = Math.fround(radius * radius);
    let count = 0;
    for (let i = 0; i < n; i++) if (this.squared[i * k + k - 1] <= radiusSquared) count++;
    return count;
  }

  /**
   * The exact ε-graph's entries at `radius` and its peak bytes, before building it: rows whose
   * list reaches past the radius are counted from the list; saturated rows from exact radius
   * counts of up to SIZE_SAMPLE of them, evenly spaced (all of them when fewer, and then the
   * count is exact).
   */
  async exactSize(radius: number): Promise<SizeEstimate> {
    const { n, k, X } = this;
    const radiusSquared = Math.fround(radius * radius);
    const saturated: number[] = [];
    let listed = 0;
    for (let i = 0; i < n; i++) {
      if (k > 0 && this.squared[i * k + k - 1] <= radiusSquared) {
        saturated.push(i);
        continue;
      }
      let c = 0;
      while (c < k && this.squared[i * k + c] <= radiusSquared) c++;
      listed += 1 + c;
    }
    let entries = listed;
    if (saturated.length > 0) {
      const s = Math.min(SIZE_SAMPLE, saturated.length);
      const rows = Array.from(
        { length: s },
        (_, t) => saturated[Math.floor(((t + 0.5) * saturated.length) / s)],
      );
      const core = await getCore();
      const counted = core.scope((scope) => {
        const base = scope.upload(X.data, "mapper points");
        const queries = scope.f32(s * X.cols, "mapper size-sample rows");
        const q = queries.view();
        rows.forEach((row, t) =>
          q.set(X.data.subarray(row * X.cols, (row + 1) * X.cols), t * X.cols),
        );
        const counts = scope.i32(s, "mapper size-sample counts");
        const scratch = scope.f32(core.kernels.radiusScratchFloats(n), "mapper radius scratch");
        core.kernels.radiusCounts(
          base.ptr,
          n,
          queries.ptr,
          0,
          s,
          X.cols,
          radiusSquared,
          counts.ptr,
          scratch.ptr,
        );
        return counts.copy();
      });
      let sum = 0;
      for (const c of counted) sum += c;
      entries += Math.ceil((sum / s) * saturated.length);
    }
    return {
      radius,
      entries,
      listed,
      bytes: entries * EXACT_ENTRY_BYTES + 8 * (n + 1),
      saturated: saturated.length,
    };
  }

  /**
   * Make every ε up to the largest of `radii` whose exact graph fits EPSILON_GRAPH_BYTES a
   * filter of one stored exact graph; returns that radius (0 when none fits, Infinity when the
   * lists are approximate: every ε is then a filter of the capped graph).
   */
  async prepareWithin(radii: number[], options: RunOptions = {}): Promise<number> {
    if (this.approximate) return Infinity;
    for (const radius of [...radii].sort((a, b) => b - a)) {
      if (this.wide && this.wide.radius >= radius) return this.wide.radius;
      const size = await this.exactSize(radius);
      if (size.bytes > EPSILON_GRAPH_BYTES) continue;
      try {
        await this.prepare(radius, options, size);
        return radius;
      } catch (error) {
        if (!(error instanceof HiddenAtlasError && error.code === "E_TOO_LARGE")) throw error;
      }
    }
    return this.search === "auto" ? Infinity : (this.wide?.radius ?? 0);
  }

  /**
   * Compute and keep the exact neighbourhood graph at radius R, so that any ε ≤ R costs
   * O(entries). Refuses with E_TOO_LARGE (the bytes it would need, and the remedy) when it
   * would not fit EPSILON_GRAPH_BYTES.
   */
  async prepare(radius: number, options: RunOptions = {}, known?: SizeEstimate): Promise<void> {
    if (this.wide && this.wide.radius >= radius) return;
    if (this.approximate)
      throw new HiddenAtlasError(
        "E_PARAM",
        'the exact ε-graph needs exact neighbour lists (neighbors: "exact" or "auto")',
      );
    const size = known?.radius === radius ? known : await this.exactSize(radius);
    if (size.bytes > EPSILON_GRAPH_BYTES) throw tooLarge(radius, size);
    const limit = Math.max(size.entries * ESTIMATE_SLACK, EPSILON_GRAPH_BYTES / EXACT_ENTRY_BYTES);
    const { n, k } = this;
    const radiusSquared = Math.fround(radius * radius);
    const saturated: number[] = [];
    for (let i = 0; i < n; i++)
      if (k > 0 && this.squared[i * k + k - 1] <= radiusSquared) saturated.push(i);
    if (saturated.length > n / 2) {
      // Most rows need a full query anyway: one symmetric pass costs half as much.
      this.wide = {
        ...(await this.symmetricGraph(radius, limit, size, options)),
        saturated: saturated.length,
      };
      this.cache = null;
      return;
    }
    const exact = await this.radiusRows(saturated, radius, limit, size, options);
    const offsets = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) {
      let count = 1;
      const rowExact = exact.get(i);
      if (rowExact) count = rowExact.indices.length;
      else for (let c = 0; c < k && this.squared[i * k + c] <= radiusSquared; c++) count++;
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

  /**
   * The ε-graph DBSCAN clusters on (cached for the last ε asked): a filter of the stored exact
   * graph when ε is within its radius; else the exact graph at ε when it fits the budget; else
   * (neighbors "auto" or "approximate") the capped graph, or E_TOO_LARGE with neighbors "exact".
   */
  async epsilonGraph(eps: number, options: RunOptions = {}): Promise<EpsilonGraph> {
    if (this.cache && this.cache.eps === eps) return this.cache;
    if (!this.approximate && !(this.wide && this.wide.radius >= eps)) {
      const size = await this.exactSize(eps);
      if (size.bytes <= EPSILON_GRAPH_BYTES) {
        try {
          await this.prepare(eps, options, size);
        } catch (error) {
          if (!(
            this.search === "auto" &&
            error instanceof HiddenAtlasError &&
            error.code === "E_TOO_LARGE"
          ))
            throw error;
        }
      } else if (this.search === "exact") {
        throw tooLarge(eps, size);
      }
    }
    const exact = !this.approximate && this.wide !== null && this.wide.radius >= eps;
    this.cache = exact
      ? {
          ...filterGraph(this.wide!, eps),
          saturated: this.wide!.saturated,
          capped: false,
          beyondCap: this.beyondCap(eps),
        }
      : this.cappedEpsilonGraph(eps);
    return this.cache;
  }

  /**
   * The capped ε-graph (what "auto" falls back to): each row's listed neighbours within ε and
   * the rows that list it within ε. Equal to the exact graph when the lists are exact and
   * `beyondCap` is 0.
   */
  cappedEpsilonGraph(eps: number): EpsilonGraph {
    const beyondCap = this.beyondCap(eps);
    const { offsets, indices, squared, rank, order } = (this.capped ??= this.cappedGraph());
    const epsSquared = Math.fround(eps * eps);
    const n = this.n;
    const ends = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      // Rows are sorted by distance: the first entry beyond ε, by bisection.
      let lo = offsets[i];
      let hi = offsets[i + 1];
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (squared[mid] <= epsSquared) lo = mid + 1;
        else hi = mid;
      }
      ends[i] = lo;
    }
    return {
      eps,
      offsets,
      ends,
      indices,
      rank,
      order,
      saturated: beyondCap,
      capped: true,
      beyondCap,
    };
  }

  /**
   * The capped graph: row i holds itself, its listed neighbours and the rows that list i but
   * are not in i's list, each with its squared distance, sorted by (distance, node) so that the
   * entries within any ε are a prefix — at most 2K + 1 entries a row, symmetric because a pair
   * has the same distance from both ends.
   *
   * Its nodes are the rows in breadth-first order over the lists (Cuthill–McKee without the
   * degree sort): neighbours get nearby numbers, so DBSCAN's reads of its per-node state stay
   * in cache where row order would scatter them over the whole cloud.
   */
  private cappedGraph(): WideGraph {
    const { n, k } = this;
    const order = new Int32Array(n);
    const rank = new Int32Array(n).fill(-1);
    for (let seed = 0, placed = 0, head = 0; seed < n; seed++) {
      if (rank[seed] >= 0) continue;
      rank[seed] = placed;
      order[placed++] = seed;
      while (head < placed) {
        const i = order[head++];
        for (let c = 0; c < k; c++) {
          const j = this.indices[i * k + c];
          if (j >= 0 && rank[j] < 0) {
            rank[j] = placed;
            order[placed++] = j;
          }
        }
      }
    }
    const listedBy = new Int32Array(n + 1);
    for (let e = 0; e < n * k; e++) if (this.indices[e] >= 0) listedBy[this.indices[e] + 1]++;
    for (let i = 0; i < n; i++) listedBy[i + 1] += listedBy[i];
    const reverse = new Int32Array(listedBy[n]);
    const reverseSquared = new Float32Array(listedBy[n]);
    const fill = listedBy.slice(0, n);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < k; c++) {
        const j = this.indices[i * k + c];
        if (j < 0) continue;
        reverse[fill[j]] = i;
        reverseSquared[fill[j]++] = this.squared[i * k + c];
      }
    }
    // Row i's entries not in its own list: the rows that list i, less those i lists too.
    // stamp[j] === i + 1 marks j as listed by i.
    const stamp = new Int32Array(n);
    const offsets = new Int32Array(n + 1);
    for (let g = 0; g < n; g++) {
      const i = order[g];
      stamp[i] = i + 1;
      let count = 1;
      for (let c = 0; c < k; c++) {
        const j = this.indices[i * k + c];
        if (j >= 0 && stamp[j] !== i + 1) {
          stamp[j] = i + 1;
          count++;
        }
      }
      for (let e = listedBy[i]; e < listedBy[i + 1]; e++) if (stamp[reverse[e]] !== i + 1) count++;
      offsets[g + 1] = offsets[g] + count;
    }
    const indices = new Int32Array(offsets[n]);
    const squared = new Float32Array(offsets[n]);
    stamp.fill(0);
    let most = 1;
    for (let i = 0; i < n; i++) most = Math.max(most, listedBy[i + 1] - listedBy[i]);
    const extraNode = new Int32Array(most);
    const extraSquared = new Float32Array(most);
    for (let g = 0; g < n; g++) {
      const i = order[g];
      // The row's own entries: itself, then its list (in distance order; equal distances are
      // put in node order by the merge below only across the two runs, which the prefix
      // property does not need).
      stamp[i] = i + 1;
      const start = offsets[g];
      let own = 0;
      indices[start + own] = g;
      squared[start + own++] = 0;
      for (let c = 0; c < k; c++) {
        const j = this.indices[i * k + c];
        if (j < 0 || stamp[j] === i + 1) continue;
        stamp[j] = i + 1;
        indices[start + own] = rank[j];
        squared[start + own++] = this.squared[i * k + c];
      }
      // Reverse-only entries, sorted by insertion (a row has about k of them).
      let extra = 0;
      for (let e = listedBy[i]; e < listedBy[i + 1]; e++) {
        const j = reverse[e];
        if (stamp[j] === i + 1) continue;
        const s2 = reverseSquared[e];
        const node = rank[j];
        let at = extra++;
        while (
          at > 0 &&
          (extraSquared[at - 1] > s2 || (extraSquared[at - 1] === s2 && extraNode[at - 1] > node))
        ) {
          extraSquared[at] = extraSquared[at - 1];
          extraNode[at] = extraNode[at - 1];
          at--;
        }
        extraSquared[at] = s2;
        extraNode[at] = node;
      }
      // Merge the two sorted runs from the back, in place (the own run sits at the front).
      let a = start + own - 1;
      for (let b = extra - 1, out = offsets[g + 1] - 1; b >= 0; out--) {
        if (
          a >= start &&
          (squared[a] > extraSquared[b] ||
            (squared[a] === extraSquared[b] && indices[a] > extraNode[b]))
        ) {
          indices[out] = indices[a];
          squared[out] = squared[a--];
        } else {
          indices[out] = extraNode[b];
          squared[out] = extraSquared[b--];
        }
      }
    }
    return { radius: Infinity, offsets, indices, squared, saturated: 0, rank, order };
  }

  /** The whole graph at `radius` from the pairs i < j within it (core), rows in ascending order. */
  private async symmetricGraph(
    radius: number,
    limit: number,
    size: SizeEstimate,
    options: RunOptions,
  ): Promise<Omit<WideGraph, "saturated">> {
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
        const query = () =>
          core.kernels.radiusPairsUpper(
            base.ptr,
            n,
            X.cols,
            r0,
            r1,
            radiusSquared,
            outI.ptr,
            outJ.ptr,
            outSquared.ptr,
            capacity,
            scratch.ptr,
          );
        let written = query();
        while (written < 0) {
          capacity = Math.min(capacity * 4, (r1 - r0) * n);
          outI = s.i32(capacity, "mapper pairs");
          outJ = s.i32(capacity, "mapper pairs");
          outSquared = s.f32(capacity, "mapper pair distances");
          written = query();
        }
        total += written;
        if (2 * total + n > limit)
          throw tooLarge(radius, { ...size, entries: Math.max(size.entries, 2 * total + n) });
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
  private async radiusRows(
    rows: number[],
    radius: number,
    limit: number,
    size: SizeEstimate,
    options: RunOptions,
  ): Promise<Map<number, { indices: Int32Array; squared: Float32Array }>> {
    const out = new Map<number, { indices: Int32Array; squared: Float32Array }>();
    if (rows.length === 0) return out;
    const core = await getCore();
    const { X } = this;
    const d = X.cols;
    const epsSquared = Math.fround(radius * radius);
    const tracker = new ProgressTracker(options, "mapper ε-graph", rows.length);
    let total = size.listed;
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
          core.kernels.radiusNeighbors(
            base.ptr,
            X.rows,
            queries.ptr,
            0,
            chunk.length,
            d,
            epsSquared,
            found.ptr,
            distances.ptr,
            capacity,
            counts.ptr,
            scratch.ptr,
          );
        let written = query();
        while (written < 0) {
          capacity = Math.min(capacity * 4, chunk.length * X.rows);
          found = s.i32(capacity, "mapper radius neighbours");
          distances = s.f32(capacity, "mapper radius distances");
          written = query();
        }
        total += written;
        if (total > limit)
          throw tooLarge(radius, {
            ...size,
            entries: Math.max(
              size.entries,
              size.listed + Math.round(((total - size.listed) * rows.length) / (r0 + chunk.length)),
            ),
          });
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
        core.kernels.primMst(
          base.ptr,
          this.X.cols,
          subset.ptr,
          rows.length,
          from.ptr,
          to.ptr,
          weight.ptr,
          scratch,
        );
        const edges = Math.max(0, rows.length - 1);
        out.push({
          from: from.view().slice(0, edges),
          to: to.view().slice(0, edges),
          weight: weight.view().slice(0, edges),
        });
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

/** The rows within ε of `row` in an ε-graph (itself included), in the graph's order. */
export function epsilonNeighbors(graph: EpsilonGraph, row: number): Int32Array {
  const node = graph.rank ? graph.rank[row] : row;
  const nodes = graph.indices.subarray(graph.offsets[node], graph.ends[node]);
  const order = graph.order;
  return order ? Int32Array.from(nodes, (g) => order[g]) : nodes.slice();
}

/** The entries of a stored graph within ε (squared distances compared in float32), as a compact graph. */
function filterGraph(
  source: WideGraph,
  eps: number,
): { eps: number; offsets: Int32Array; ends: Int32Array; indices: Int32Array } {
  const epsSquared = Math.fround(eps * eps);
  const n = source.offsets.length - 1;
  const offsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    let count = 0;
    for (let e = source.offsets[i]; e < source.offsets[i + 1]; e++)
      if (source.squared[e] <= epsSquared) count++;
    offsets[i + 1] = offsets[i] + count;
  }
  const indices = new Int32Array(offsets[n]);
  for (let i = 0, at = 0; i < n; i++) {
    for (let e = source.offsets[i]; e < source.offsets[i + 1]; e++)
      if (source.squared[e] <= epsSquared) indices[at++] = source.indices[e];
  }
  return { eps, offsets, ends: offsets.subarray(1), indices };
}

/**
 * Recall of NN-descent lists on RECALL_SAMPLE seeded rows: the share of each sampled row's k
 * listed neighbours that are among its exact k nearest other rows (one blocked search of those
 * rows against the cloud). A listed row counts when it is no farther than the exact k-th
 * nearest, so rows tied at that distance (duplicates, zero activations) count whichever of
 * them a list holds, as ann-benchmarks' distance-based recall does.
 */
async function sampledRecall(
  X: Matrix,
  indices: Int32Array,
  squared: Float32Array,
  k: number,
  seed: number,
  options: RunOptions,
): Promise<{ recall: number; rows: number }> {
  const n = X.rows;
  const core = await getCore();
  const s = Math.min(RECALL_SAMPLE, n);
  const rng = new Rng(core, seed, STREAMS.mapperRecall);
  let rows: Int32Array;
  try {
    rows = rng.permutation(n).subarray(0, s).sort();
  } finally {
    rng.dispose();
  }
  const queries = new Float32Array(s * X.cols);
  rows.forEach((row, t) =>
    queries.set(X.data.subarray(row * X.cols, (row + 1) * X.cols), t * X.cols),
  );
  const index = await KnnIndex.fromKernelData(X, 1, "sqeuclidean");
  let exact: KnnResult;
  try {
    // k + 1 nearest of each sampled row among all rows: itself (or a duplicate) and its k nearest others.
    exact = await index.searchKernelRows({ rows: s, cols: X.cols, data: queries }, k + 1, options);
  } finally {
    index.dispose();
  }
  let found = 0;
  rows.forEach((row, t) => {
    // The distance of the exact k-th nearest other row is the last of the k + 1: with the row
    // itself among them the others are its k nearest; without it, k + 1 rows sit at distance 0.
    const kth = exact.distances[t * (k + 1) + k];
    for (let c = 0; c < k; c++)
      if (indices[row * k + c] >= 0 && squared[row * k + c] <= kth) found++;
  });
  return { recall: found / (s * k), rows: s };
}

function tooLarge(eps: number, size: SizeEstimate): HiddenAtlasError {
  return new HiddenAtlasError(
    "E_TOO_LARGE",
    `the exact ε-graph at ε = ${Number(eps.toPrecision(4))} would hold about ${size.entries.toLocaleString("en")} pairs (${size.saturated.toLocaleString("en")} rows have more than ${NEIGHBOR_LIST_LENGTH} neighbours within ε) and need ${formatBytes(size.bytes)}, above its ${formatBytes(EPSILON_GRAPH_BYTES)} budget; choose a smaller eps, or neighbors "auto", which caps those rows at their ${NEIGHBOR_LIST_LENGTH} nearest`,
    { bytesNeeded: size.bytes, bytesLimit: EPSILON_GRAPH_BYTES },
  );
}
