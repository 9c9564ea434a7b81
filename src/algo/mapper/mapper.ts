/**
 * Mapper (Singh, Mémoli & Carlsson 2007) as TopoAct and Purvine et al. use it on activations:
 * a lens (ℓ2 norm by default), a cover of the lens range by overlapping intervals, clusters of
 * the original vectors inside each interval (DBSCAN, ε from the knee of a sorted k-NN
 * distance curve), and the nerve of the clusters.
 *
 * `MapperSpace.build(X)` does the expensive work once (k nearest neighbours in the core: exact,
 * O(n²·d), up to n²·d = 2³⁵; NN-descent, about O(n·k²·d), above); then `space.graph(params)`
 * recomputes the graph for any intervals / overlap / ε / min_samples in O(n·k) — what a slider
 * needs. `mapper(X, params)` does both for one-off use. Each graph says how its neighbours
 * were found (`neighbors`: exact, or NN-descent with its measured recall) and whether its
 * ε-graph was capped at the k listed neighbours (neighborhoods.ts explains when and why).
 *
 * Nothing is lost silently: points in no node (DBSCAN noise in every element holding them, or
 * elements with fewer than min_samples points, which are skipped as KeplerMapper does) are
 * listed in `lost`, and every element reports its size, clusters, noise and whether it was
 * skipped.
 *
 * Defaults (the papers' settings, not KeplerMapper's): lens "l2norm", min-max scaled; 10
 * intervals; overlap 0.5; uniform cover fitted to [min, max] (see cover.ts); DBSCAN with
 * min_samples 5 and eps "auto" = knee of the sorted distances to the (min_samples − 1)-th
 * neighbour, rounded to 3 significant digits; min_intersection 1.
 *
 * @example
 *   const space = await MapperSpace.build(X);
 *   const g = await space.graph({intervals: 12, overlap: 0.4});
 *   g.nodes[0].members; g.links; g.lost.length; g.eps
 *
 * See also: nodeComposition and graphPurity (statistics.ts).
 */
import { HiddenAtlasError } from "../../core/errors.ts";
import { assertMatrix, type Matrix } from "../../core/matrix.ts";
import {
  checkBoolean,
  checkInteger,
  checkKeyword,
  checkNumber,
  checkOptionNames,
} from "../../core/params.ts";
import { DEFAULT_SEED, checkSeed } from "../../core/random.ts";
import type { RunOptions } from "../../core/progress.ts";
import { pca } from "../pca.ts";
import { toKernelRange } from "../range.ts";
import { automaticEps, dbscan, gapCut } from "./cluster.ts";
import { COVERS, cover, type CoverElement, type CoverKind } from "./cover.ts";
import {
  NEIGHBOR_LIST_LENGTH,
  NEIGHBOR_SEARCHES,
  Neighborhoods,
  type NeighborLists,
  type NeighborhoodOptions,
} from "./neighborhoods.ts";
import { components, nerve, type MapperLink } from "./nerve.ts";

export const LENSES = ["l2norm", "sum", "pca1", "pca2", "density"] as const;
export type LensName = (typeof LENSES)[number];
export const CLUSTERERS = ["dbscan", "single-linkage"] as const;
/** Radii `prepare` tries by default, as multiples of the automatic ε, largest first. */
const PREPARED_RADII = [1.5, 1.25, 1.1, 1];
export type Clusterer = (typeof CLUSTERERS)[number];

/** A lens given as values: one or two arrays of length n (an embedding's coordinates, a bundle column). */
export interface CustomLens {
  name: string;
  values: ArrayLike<number>[];
}

export interface MapperParams {
  /** Filter function. Default "l2norm" (both papers). "density" = mean distance to the densityK nearest neighbours. */
  lens?: LensName | CustomLens;
  /** Min–max scale each lens dimension to [0, 1] (KeplerMapper's default scaler). Default true. */
  scale?: boolean;
  /** Intervals per lens dimension. Default 10. */
  intervals?: number;
  /** Fraction shared by adjacent intervals, in [0, 1). Default 0.5. */
  overlap?: number;
  /** "uniform" (default) or "balanced" (quantile intervals). */
  cover?: CoverKind;
  /** "dbscan" (default) or "single-linkage" (gap rule). */
  clusterer?: Clusterer;
  /** DBSCAN radius in the data's units, or "auto" (knee of the sorted 1-NN distances). Default "auto". */
  eps?: number | "auto";
  /**
   * Which neighbour's distance curve "auto" takes the knee of: "auto" = min_samples − 1, the
   * k-dist rule of DBSCAN's authors (Ester et al. 1996), so a typical point at the knee is a
   * core point. Purvine et al.'s scripts use 1 (the nearest neighbour), which on noisy data
   * leaves much of the cloud as noise. At most 32.
   */
  epsNeighbor?: number | "auto";
  /** DBSCAN min_samples (self included); elements with fewer points are skipped. Default 5. */
  minSamples?: number;
  /** Histogram bins of the single-linkage gap rule. Default 10. */
  bins?: number;
  /** Shared points needed for an edge. Default 1. */
  minIntersection?: number;
  /** Neighbours averaged by the "density" lens. Default 5. */
  densityK?: number;
}

export const mapperDefaults = {
  lens: "l2norm" as LensName | CustomLens,
  scale: true,
  intervals: 10,
  overlap: 0.5,
  cover: "uniform" as CoverKind,
  clusterer: "dbscan" as Clusterer,
  eps: "auto" as number | "auto",
  epsNeighbor: "auto" as number | "auto",
  minSamples: 5,
  bins: 10,
  minIntersection: 1,
  densityK: 5,
};

export type ResolvedMapperParams = Omit<typeof mapperDefaults, "lens" | "eps" | "epsNeighbor"> & {
  lens: string;
  eps: number;
  epsNeighbor: number;
  epsRule: "knee" | "median" | "given";
};

export interface MapperNode {
  /** "e{element}c{cluster}", unique in the graph. */
  id: string;
  element: number;
  cluster: number;
  /** Rows of X, ascending. */
  members: Int32Array;
  /** Mean lens value per lens dimension (scaled if the lens is). */
  lens: number[];
}

export interface MapperElement {
  cell: number[];
  bounds: [number, number][];
  size: number;
  clusters: number;
  /** Points DBSCAN left as noise here. */
  noise: number;
  /** Fewer than min_samples points: not clustered. */
  skipped: boolean;
}

/** How the neighbours behind a graph were found, and whether its ε-graph was capped. */
export interface MapperNeighbors extends NeighborLists {
  /**
   * True when the ε-graph holds, for the `beyondCap` rows with more than k neighbours within ε,
   * only their k listed neighbours and the rows that list them (so DBSCAN inside an element may
   * miss some of their edges). False for an exact ε-graph, and for single linkage (no ε-graph).
   */
  capped: boolean;
  /** Rows whose ε-ball holds more than k other rows (0 for single linkage). */
  beyondCap: number;
}

export interface MapperGraph {
  nodes: MapperNode[];
  links: MapperLink[];
  /** Rows in no node, ascending. */
  lost: Int32Array;
  elements: MapperElement[];
  /** Connected component of each node, and how many there are. */
  componentOf: Int32Array;
  componentCount: number;
  /** Independent cycles of the graph: links − nodes + components. */
  cycles: number;
  /** The lens per dimension, per row (scaled if asked). */
  lensValues: Float64Array[];
  /** Exact or NN-descent neighbours (with their measured recall), and whether the ε-graph was capped. */
  neighbors: MapperNeighbors;
  params: ResolvedMapperParams;
}

export class MapperSpace {
  private readonly lensCache = new Map<string, Float64Array[]>();
  private readonly autoEpsCache = new Map<number, { eps: number; rule: "knee" | "median" }>();
  private lastScaled: { raw: Float64Array[]; scaled: Float64Array[] } | null = null;
  /** The last cover and the last clustering of it: a slider move recomputes only the steps its parameter feeds. */
  private lastCover: { lens: Float64Array[]; key: string; elements: CoverElement[] } | null = null;
  private lastClusters: {
    elements: CoverElement[];
    key: string;
    labels: (Int32Array | null)[];
    capped: boolean;
    beyondCap: number;
  } | null = null;

  private constructor(
    readonly X: Matrix,
    /** Neighbourhoods of X in kernel units (src/algo/range.ts): ε and distances times `scale`. */
    readonly neighborhoods: Neighborhoods,
    /** Kernel units per data unit: a power of two, 1 unless X held extreme values. */
    readonly scale: number,
  ) {}

  /**
   * The one expensive step: every row's 32 nearest neighbours, in the core — exact up to
   * n²·d = 2³⁵, by seeded NN-descent above (`neighbors` forces either; see neighborhoods.ts).
   * Extreme values are brought into the kernels' range first (or refused with E_RANGE); every
   * ε and distance the space takes or gives is in the data's units.
   */
  static async build(X: Matrix, options: NeighborhoodOptions = {}): Promise<MapperSpace> {
    assertMatrix(X, "X");
    if (X.rows < 2)
      throw new HiddenAtlasError("E_PARAM", `Mapper needs at least 2 points; got ${X.rows}`);
    const neighbors = checkKeyword("neighbors", options.neighbors ?? "auto", NEIGHBOR_SEARCHES);
    const seed = checkSeed(options.seed ?? DEFAULT_SEED);
    const { X: Xk, scale } = toKernelRange(X, "X");
    return new MapperSpace(
      X,
      await Neighborhoods.build(Xk, { ...options, neighbors, seed }),
      scale,
    );
  }

  /**
   * DBSCAN's ε chosen from the data (knee of the sorted distances to the k-th neighbour), and by
   * which rule. Chosen and rounded in kernel units, so extreme data get the rescaled copy's ε.
   */
  automaticEps(k: number): { eps: number; rule: "knee" | "median" } {
    let found = this.autoEpsCache.get(k);
    if (!found) {
      const inKernelUnits = automaticEps(this.neighborhoods.neighborDistance(k));
      this.autoEpsCache.set(k, (found = { ...inKernelUnits, eps: inKernelUnits.eps / this.scale }));
    }
    return found;
  }

  /**
   * Make every ε up to `maxEps` a filter of one stored graph, so the ε slider recomputes as
   * fast as the others. Default: 1.5 × the automatic ε for min_samples 5, or the largest of
   * 1.25, 1.1 and 1 × it whose exact graph fits the budget (neighborhoods.ts). Returns the
   * radius prepared (Infinity when every ε is a filter of the capped graph, 0 when nothing fits).
   */
  async prepare(maxEps?: number, options: RunOptions = {}): Promise<number> {
    const k = Math.min(this.neighborhoods.k, mapperDefaults.minSamples - 1);
    const radii =
      maxEps === undefined
        ? PREPARED_RADII.map((f) => f * this.automaticEps(k).eps)
        : [checkNumber("maxEps", maxEps, 0, Infinity, { exclusiveMin: true })];
    const prepared = await this.neighborhoods.prepareWithin(
      radii.map((r) => r * this.scale),
      options,
    );
    return prepared / this.scale;
  }

  /** How this space's neighbour lists were found (exact, or NN-descent with its measured recall). */
  get neighborLists(): NeighborLists {
    return this.neighborhoods.lists;
  }

  /** A named lens's raw values (unscaled), one array per dimension. */
  async lens(name: LensName, densityK = mapperDefaults.densityK): Promise<Float64Array[]> {
    const key = name === "density" ? `density:${densityK}` : name;
    const cached = this.lensCache.get(key);
    if (cached) return cached;
    const { X } = this;
    let values: Float64Array[];
    if (name === "l2norm" || name === "sum") {
      const out = new Float64Array(X.rows);
      for (let i = 0; i < X.rows; i++) {
        let s = 0;
        for (let j = i * X.cols; j < (i + 1) * X.cols; j++)
          s += name === "sum" ? X.data[j] : X.data[j] * X.data[j];
        out[i] = name === "sum" ? s : Math.sqrt(s);
      }
      values = [out];
    } else if (name === "density") {
      values = [this.neighborhoods.meanNeighborDistance(densityK).map((v) => v / this.scale)];
    } else {
      const dims = name === "pca1" ? 1 : 2;
      const { scores } = await pca(X, { nComponents: Math.min(dims, X.cols), spectrum: false });
      values = Array.from({ length: scores.cols }, (_, c) =>
        Float64Array.from({ length: X.rows }, (_, i) => scores.data[i * scores.cols + c]),
      );
    }
    this.lensCache.set(key, values);
    return values;
  }

  /** Min–max scaled lens columns, kept for the last raw columns scaled (a slider move reuses them). */
  private scaledLens(raw: Float64Array[]): Float64Array[] {
    if (
      this.lastScaled?.raw.length !== raw.length ||
      this.lastScaled.raw.some((column, c) => column !== raw[c])
    ) {
      this.lastScaled = { raw, scaled: raw.map(minMaxScale) };
    }
    return this.lastScaled.scaled;
  }

  /** The cover elements of the lens, kept while the lens, intervals, overlap and cover kind stay. */
  private coverOf(
    lens: Float64Array[],
    intervals: number,
    overlap: number,
    kind: CoverKind,
  ): CoverElement[] {
    const key = `${intervals}|${overlap}|${kind}`;
    const last = this.lastCover;
    if (
      last &&
      last.key === key &&
      last.lens.length === lens.length &&
      last.lens.every((column, c) => column === lens[c])
    )
      return last.elements;
    const elements = cover(lens, intervals, overlap, kind);
    this.lastCover = { lens, key, elements };
    return elements;
  }

  /**
   * Cluster labels per element (null for an element below min_samples), kept while the cover
   * and the clusterer's parameters stay: a change of min_intersection reclusters nothing, and a
   * change of ε reuses the cover.
   */
  private async clustersOf(
    elements: CoverElement[],
    clusterer: Clusterer,
    eps: number,
    minSamples: number,
    bins: number,
    options: RunOptions,
  ) {
    const key =
      clusterer === "dbscan" ? `dbscan|${eps}|${minSamples}` : `single|${minSamples}|${bins}`;
    const last = this.lastClusters;
    if (last && last.elements === elements && last.key === key) return last;
    const labels: (Int32Array | null)[] = elements.map(() => null);
    const clusterable = elements
      .map((e, i) => (e.members.length >= minSamples ? i : -1))
      .filter((i) => i >= 0);
    let capped = false;
    let beyondCap = 0;
    if (clusterer === "dbscan") {
      const graph = await this.neighborhoods.epsilonGraph(eps * this.scale, options);
      capped = graph.capped && graph.beyondCap > 0;
      beyondCap = graph.beyondCap;
      const scratch = { state: new Int32Array(this.X.rows) };
      for (const i of clusterable)
        labels[i] = dbscan(elements[i].members, graph, minSamples, scratch);
    } else {
      const trees = await this.neighborhoods.spanningTrees(
        clusterable.map((i) => elements[i].members),
        options,
      );
      clusterable.forEach(
        (i, t) => (labels[i] = gapCut(trees[t], elements[i].members.length, bins).labels),
      );
    }
    this.lastClusters = { elements, key, labels, capped, beyondCap };
    return this.lastClusters;
  }

  /** The Mapper graph for these parameters (cheap after build). */
  async graph(params: MapperParams = {}, options: RunOptions = {}): Promise<MapperGraph> {
    const p = checkParams(params);
    const raw =
      typeof p.lens === "string"
        ? await this.lens(p.lens, p.densityK)
        : customLens(p.lens, this.X.rows);
    const lensValues = p.scale ? this.scaledLens(raw) : raw;
    const epsNeighbor =
      p.epsNeighbor === "auto"
        ? Math.min(this.neighborhoods.k, Math.max(1, p.minSamples - 1))
        : Math.min(this.neighborhoods.k, p.epsNeighbor);
    const { eps, rule: epsRule } =
      p.eps === "auto" ? this.automaticEps(epsNeighbor) : { eps: p.eps, rule: "given" as const };
    const elements = this.coverOf(lensValues, p.intervals, p.overlap, p.cover);
    const n = this.X.rows;
    const neighbors: MapperNeighbors = { ...this.neighborhoods.lists, capped: false, beyondCap: 0 };
    const clustered = await this.clustersOf(
      elements,
      p.clusterer,
      eps,
      p.minSamples,
      p.bins,
      options,
    );
    const labelsPerElement = clustered.labels;
    neighbors.capped = clustered.capped;
    neighbors.beyondCap = clustered.beyondCap;

    const nodes: MapperNode[] = [];
    const inNode = new Uint8Array(n);
    const summaries: MapperElement[] = elements.map((element, e) => {
      const labels = labelsPerElement[e];
      const base = { cell: element.cell, bounds: element.bounds, size: element.members.length };
      if (!labels) return { ...base, clusters: 0, noise: 0, skipped: true };
      let clusters = 0;
      let noise = 0;
      for (let pos = 0; pos < labels.length; pos++) {
        const l = labels[pos];
        if (l < 0) noise++;
        else clusters = Math.max(clusters, l + 1);
      }
      // Members of each cluster by counting sort, ascending rows as the element's.
      const sizes = new Int32Array(clusters + 1);
      for (let pos = 0; pos < labels.length; pos++) if (labels[pos] >= 0) sizes[labels[pos] + 1]++;
      for (let c = 0; c < clusters; c++) sizes[c + 1] += sizes[c];
      const sorted = new Int32Array(sizes[clusters]);
      const next = sizes.slice(0, clusters);
      for (let pos = 0; pos < labels.length; pos++) {
        const l = labels[pos];
        if (l < 0) continue;
        const row = element.members[pos];
        sorted[next[l]++] = row;
        inNode[row] = 1;
      }
      for (let c = 0; c < clusters; c++) {
        const members = sorted.slice(sizes[c], sizes[c + 1]);
        nodes.push({
          id: `e${e}c${c}`,
          element: e,
          cluster: c,
          members,
          lens: lensValues.map((v) => meanOf(v, members)),
        });
      }
      return { ...base, clusters, noise, skipped: false };
    });

    const links = nerve(
      nodes.map((node) => node.members),
      n,
      p.minIntersection,
    );
    const { of: componentOf, count: componentCount } = components(nodes.length, links);
    let lostCount = 0;
    for (let r = 0; r < n; r++) lostCount += inNode[r] ^ 1;
    const lost = new Int32Array(lostCount);
    for (let r = 0, at = 0; r < n; r++) if (!inNode[r]) lost[at++] = r;
    return {
      nodes,
      links,
      lost,
      elements: summaries,
      componentOf,
      componentCount,
      cycles: links.length - nodes.length + componentCount,
      lensValues,
      neighbors,
      params: {
        ...p,
        lens: typeof p.lens === "string" ? p.lens : p.lens.name,
        eps,
        epsNeighbor,
        epsRule,
      },
    };
  }
}

/** One-off Mapper: build the neighbour structure and compute one graph. */
export async function mapper(
  X: Matrix,
  params: MapperParams = {},
  options: NeighborhoodOptions = {},
): Promise<MapperGraph> {
  checkParams(params);
  const space = await MapperSpace.build(X, options);
  return space.graph(params, options);
}

function checkParams(params: MapperParams) {
  checkOptionNames("mapper", params, mapperDefaults);
  const lens = params.lens ?? mapperDefaults.lens;
  if (typeof lens === "string") checkKeyword("lens", lens, LENSES);
  else if (!lens || typeof lens !== "object" || !Array.isArray(lens.values)) {
    throw new HiddenAtlasError(
      "E_PARAM",
      `lens must be one of ${LENSES.join(", ")} or {name, values: [column, …]}; got ${String(lens)}`,
    );
  }
  const eps = params.eps ?? mapperDefaults.eps;
  const epsNeighbor = params.epsNeighbor ?? mapperDefaults.epsNeighbor;
  return {
    lens,
    scale: checkBoolean("scale", params.scale ?? mapperDefaults.scale),
    intervals: checkInteger("intervals", params.intervals ?? mapperDefaults.intervals, 1, 1000),
    overlap: checkNumber("overlap", params.overlap ?? mapperDefaults.overlap, 0, 1, {
      exclusiveMax: true,
    }),
    cover: checkKeyword("cover", params.cover ?? mapperDefaults.cover, COVERS),
    clusterer: checkKeyword("clusterer", params.clusterer ?? mapperDefaults.clusterer, CLUSTERERS),
    eps:
      eps === "auto"
        ? ("auto" as const)
        : checkNumber("eps", eps, 0, Infinity, { exclusiveMin: true }),
    epsNeighbor:
      epsNeighbor === "auto"
        ? ("auto" as const)
        : checkInteger("epsNeighbor", epsNeighbor, 1, NEIGHBOR_LIST_LENGTH),
    minSamples: checkInteger("minSamples", params.minSamples ?? mapperDefaults.minSamples, 1),
    bins: checkInteger("bins", params.bins ?? mapperDefaults.bins, 2, 1000),
    minIntersection: checkInteger(
      "minIntersection",
      params.minIntersection ?? mapperDefaults.minIntersection,
      1,
    ),
    densityK: checkInteger("densityK", params.densityK ?? mapperDefaults.densityK, 1, 32),
  };
}

function customLens(lens: CustomLens, n: number): Float64Array[] {
  if (lens.values.length < 1 || lens.values.length > 2) {
    throw new HiddenAtlasError(
      "E_PARAM",
      `lens "${lens.name}" must have 1 or 2 columns; got ${lens.values.length}`,
    );
  }
  return lens.values.map((column, c) => {
    if (column.length !== n) {
      throw new HiddenAtlasError(
        "E_SHAPE_MISMATCH",
        `lens "${lens.name}" column ${c} has ${column.length} values for ${n} points`,
      );
    }
    const out = Float64Array.from(column);
    const bad = out.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0)
      throw new HiddenAtlasError(
        "E_NON_FINITE",
        `lens "${lens.name}" column ${c} has a non-finite value at row ${bad}`,
      );
    return out;
  });
}

function minMaxScale(values: Float64Array): Float64Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const range = hi - lo;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = range > 0 ? (values[i] - lo) / range : 0;
  return out;
}

function meanOf(values: Float64Array, rows: Int32Array): number {
  let s = 0;
  for (const r of rows) s += values[r];
  return rows.length ? s / rows.length : NaN;
}
