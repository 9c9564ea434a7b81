/**
 * Distances between persistence diagrams: bottleneck (exact), Wasserstein W_q with an L_p
 * ground metric (exact Hungarian for small diagrams, auction with a proven error bound for
 * large ones) and persim's sliced Wasserstein.
 *
 * A diagram is `{births, deaths}` (e.g. one entry of `persistentHomology(...).diagrams`) or an
 * array of [birth, death] pairs. Points may be matched to each other or to the diagonal; a
 * point's distance to the diagonal is (d − b)/2 under L∞ and (d − b)/√2 under L2, as in
 * gudhi and persim. Conventions differ between tools: every result echoes its metric, q,
 * ground metric and infinite-point policy.
 *
 * Infinite points (essential classes, death = Infinity) follow `infinite`:
 *   "drop"  (default, as persim and gudhi) — removed; `droppedInfinite` counts them;
 *   "cap"   — death Infinity replaced by `cap` (e.g. the Rips threshold);
 *   "match" — matched separately by sorting births (Hera, gudhi's `keep_essential_parts`):
 *             the cost is |Δbirth| per pair; unequal numbers of essential points give Infinity.
 *
 * @example
 *   const {diagrams: a} = await persistentHomology(X);
 *   const {diagrams: b} = await persistentHomology(Y);
 *   const {distance} = await bottleneck(a[1], b[1]);
 *   const w = await wasserstein(a[1], b[1], {q: 1, ground: "inf"});
 *   const sw = await slicedWasserstein(a[1], b[1]); // persim.sliced_wasserstein(M=50)
 *
 * References:
 *   1. D. Cohen-Steiner, H. Edelsbrunner, J. Harer, Stability of persistence diagrams, DCG 2007.
 *   2. M. Kerber, D. Morozov, A. Nigmetov, Geometry helps to compare persistence diagrams,
 *      ACM J. Exp. Algorithmics 22, 2017 (Hera).
 *   3. J. E. Hopcroft, R. M. Karp, An n^5/2 algorithm for maximum matchings in bipartite
 *      graphs, SIAM J. Comput. 1973.
 *   4. D. P. Bertsekas, The auction algorithm: a distributed relaxation method for the
 *      assignment problem, Ann. Oper. Res. 14, 1988.
 *   5. M. Carrière, M. Cuturi, S. Oudot, Sliced Wasserstein kernel for persistence diagrams,
 *      ICML 2017.
 *
 * See also: persistentHomology (src/algo/rips.ts).
 */
import { HiddenAtlasError } from "../core/errors.ts";
import { checkInteger, checkKeyword, checkNumber, checkOptionNames } from "../core/params.ts";
import { ProgressTracker, throwIfAborted, type RunOptions } from "../core/progress.ts";
import { getCore } from "../core/wasm.ts";
import { scaleFor } from "./range.ts";

declare module "../core/wasm.ts" {
  interface CoreKernels {
    diagramHungarian(
      cost: number,
      n: number,
      r0: number,
      r1: number,
      u: number,
      v: number,
      p: number,
      way: number,
      minv: number,
      used: number,
    ): number;
    diagramDiagonalCosts(points: number, count: number, p: number, q: number, out: number): void;
    diagramAuctionPhase(
      A: number,
      m: number,
      B: number,
      k: number,
      dA: number,
      dB: number,
      p: number,
      q: number,
      eps: number,
      prices: number,
      owner: number,
      assign: number,
      queue: number,
    ): number;
    diagramAuctionPrimal(
      A: number,
      m: number,
      B: number,
      k: number,
      dA: number,
      dB: number,
      p: number,
      q: number,
      assign: number,
    ): number;
    diagramAuctionDual(
      A: number,
      m: number,
      B: number,
      k: number,
      dA: number,
      dB: number,
      p: number,
      q: number,
      prices: number,
    ): number;
  }
}

/** A persistence diagram: parallel births/deaths, or [birth, death] pairs. */
export type DiagramLike =
  { births: ArrayLike<number>; deaths: ArrayLike<number> } | ArrayLike<ArrayLike<number>>;

export type InfinitePolicy = "drop" | "cap" | "match";
export const INFINITE_POLICIES = ["drop", "cap", "match"] as const;

/** Ground (internal) metric of the plane: "inf" for L∞, or p ≥ 1 for L_p. */
export type GroundMetric = "inf" | number;

export interface InfiniteOptions {
  /** What to do with infinite points; default "drop" (persim, gudhi). See the module doc. */
  infinite?: InfinitePolicy;
  /** With infinite: "cap", the value that replaces death = Infinity. Required then. */
  cap?: number;
}

interface DistanceResultBase {
  distance: number;
  /** The infinite-point policy applied (echoed so a number is never read without it). */
  infinite: InfinitePolicy;
  /** The cap used with infinite: "cap". */
  cap?: number;
  /** Points with an infinite coordinate removed from each diagram ("drop"). */
  droppedInfinite: [number, number];
}

export interface BottleneckResult extends DistanceResultBase {
  metric: "bottleneck";
  ground: "inf";
}

export interface WassersteinOptions extends InfiniteOptions, RunOptions {
  /** Order q ≥ 1 of the Wasserstein distance. Defaults to 1 (persim, Hera, gudhi: order=1). */
  q?: number;
  /**
   * Ground metric: "inf" (default; Hera and gudhi `internal_p=inf`) or p ≥ 1, e.g. 2 (persim's
   * wasserstein uses L2).
   */
  ground?: GroundMetric;
  /**
   * "auto" (default): exact Hungarian when the two diagrams have at most 2,000 finite points
   * together, auction above. "hungarian" or "auction" force one.
   */
  method?: "auto" | "hungarian" | "auction";
  /** Auction only: stop when the distance is proven within this relative error (Hera: 0.01). */
  relativeError?: number;
}

export interface WassersteinResult extends DistanceResultBase {
  metric: "wasserstein";
  q: number;
  ground: GroundMetric;
  method: "hungarian" | "auction";
  /**
   * Proven bound on (distance − exact) / exact: 0 for the Hungarian method; for the auction
   * (primal / dual)^(1/q) − 1 from the final prices.
   */
  relativeErrorBound: number;
}

export interface SlicedWassersteinOptions extends InfiniteOptions {
  /** Number of directions M over a half turn. Defaults to 50 (persim `M=50`). */
  directions?: number;
}

export interface SlicedWassersteinResult extends DistanceResultBase {
  metric: "sliced-wasserstein";
  directions: number;
}

/** Largest candidate list materialised by the bottleneck search (f64 values). */
const MAX_CANDIDATES = 2_000_000;
/** Default switch from the Hungarian method to the auction (points of both diagrams). */
const HUNGARIAN_MAX_POINTS = 2000;
/** Hungarian rows per kernel call between cancellation checks. */
const HUNGARIAN_ROW_CHUNK = 64;
/** ε-scaling factor of the auction (Bertsekas recommends 4–10). */
const AUCTION_EPSILON_FACTOR = 5;
/** Auction phases before giving up on the requested error (the bound is still reported). */
const AUCTION_MAX_PHASES = 60;

interface Prepared {
  /** Finite points, (birth, death) interleaved. */
  points: Float64Array;
  /** Births of points dying at +∞, deaths of points born at −∞, and (−∞, +∞) points. */
  essentialUp: Float64Array;
  essentialDown: Float64Array;
  essentialBoth: number;
  dropped: number;
}

function readPairs(
  diagram: DiagramLike,
  name: string,
): { births: ArrayLike<number>; deaths: ArrayLike<number> } {
  if (
    diagram !== null &&
    typeof diagram === "object" &&
    "births" in diagram &&
    "deaths" in diagram
  ) {
    const { births, deaths } = diagram as { births: ArrayLike<number>; deaths: ArrayLike<number> };
    if (births?.length === undefined || deaths?.length === undefined) {
      throw new HiddenAtlasError("E_PARAM", `invalid ${name}: births and deaths must be arrays`);
    }
    if (births.length !== deaths.length) {
      throw new HiddenAtlasError(
        "E_SHAPE_MISMATCH",
        `${name} has ${births.length} births but ${deaths.length} deaths`,
      );
    }
    return { births, deaths };
  }
  const pairs = diagram as ArrayLike<ArrayLike<number>>;
  if (pairs === null || typeof pairs !== "object" || typeof pairs.length !== "number") {
    throw new HiddenAtlasError(
      "E_PARAM",
      `invalid ${name}: expected {births, deaths} or an array of [birth, death] pairs`,
    );
  }
  const births = new Float64Array(pairs.length);
  const deaths = new Float64Array(pairs.length);
  for (let i = 0; i < pairs.length; i++) {
    const p = pairs[i];
    if (!p || p.length !== 2) {
      throw new HiddenAtlasError("E_SHAPE_MISMATCH", `${name}[${i}] is not a [birth, death] pair`);
    }
    births[i] = p[0] ?? NaN;
    deaths[i] = p[1] ?? NaN;
  }
  return { births, deaths };
}

function prepare(
  diagram: DiagramLike,
  name: string,
  policy: InfinitePolicy,
  cap: number | undefined,
): Prepared {
  const { births, deaths } = readPairs(diagram, name);
  const finite: number[] = [];
  const up: number[] = [];
  const down: number[] = [];
  let both = 0;
  let dropped = 0;
  for (let i = 0; i < births.length; i++) {
    const b = Number(births[i]);
    let d = Number(deaths[i]);
    if (Number.isNaN(b) || Number.isNaN(d)) {
      throw new HiddenAtlasError("E_NON_FINITE", `${name} point ${i} has a NaN coordinate`, {
        point: i,
      });
    }
    if (b === Infinity || d === -Infinity || d < b) {
      throw new HiddenAtlasError(
        "E_PARAM",
        `${name} point ${i} is (${b}, ${d}); expected birth ≤ death, birth < ∞ and death > −∞`,
        { point: i },
      );
    }
    if (Number.isFinite(b) && Number.isFinite(d)) {
      finite.push(b, d);
      continue;
    }
    if (policy === "drop") {
      dropped++;
    } else if (policy === "cap") {
      if (b === -Infinity) {
        throw new HiddenAtlasError(
          "E_PARAM",
          `${name} point ${i} is born at −Infinity, which infinite: "cap" cannot cap (use "drop" or "match")`,
          { point: i },
        );
      }
      d = cap as number;
      if (d < b) {
        throw new HiddenAtlasError(
          "E_PARAM",
          `invalid cap: ${cap} (expected ≥ the birth ${b} of ${name} point ${i})`,
          { parameter: "cap" },
        );
      }
      finite.push(b, d);
    } else if (b === -Infinity && d === Infinity) both++;
    else if (d === Infinity) up.push(b);
    else down.push(d);
  }
  return {
    points: Float64Array.from(finite),
    essentialUp: Float64Array.from(up).sort(),
    essentialDown: Float64Array.from(down).sort(),
    essentialBoth: both,
    dropped,
  };
}

function resolveInfinite(options: InfiniteOptions): { policy: InfinitePolicy; cap?: number } {
  const policy = checkKeyword("infinite", options.infinite ?? "drop", INFINITE_POLICIES);
  if (policy === "cap") {
    if (options.cap === undefined) {
      throw new HiddenAtlasError(
        "E_PARAM",
        `invalid cap: undefined (expected a finite number with infinite: "cap")`,
        { parameter: "cap" },
      );
    }
    return { policy, cap: checkNumber("cap", options.cap) };
  }
  if (options.cap !== undefined) {
    throw new HiddenAtlasError(
      "E_PARAM",
      `invalid cap: ${options.cap} (only used with infinite: "cap"; infinite is ${JSON.stringify(policy)})`,
      { parameter: "cap" },
    );
  }
  return { policy };
}

/**
 * Essential parts under "match": per category, sorted finite coordinates paired in order.
 * Returns the per-pair costs |Δ|, or null when the counts differ (distance Infinity).
 */
/**
 * Bring two prepared diagrams into range together (src/algo/range.ts's band): when their largest
 * finite coordinate lies outside [2^-20, 2^21), multiply every coordinate by the power of two that
 * takes it into [1, 2), so that costs raised to the power q neither overflow nor vanish. Every
 * distance here is homogeneous of degree 1: divide it by the returned scale.
 */
function toRange(a: Prepared, b: Prepared): number {
  let largest = 0;
  for (const P of [a, b]) {
    for (const values of [P.points, P.essentialUp, P.essentialDown]) {
      for (const v of values) if (Number.isFinite(v)) largest = Math.max(largest, Math.abs(v));
    }
  }
  const scale = scaleFor(largest);
  if (scale !== 1) {
    for (const P of [a, b])
      for (const values of [P.points, P.essentialUp, P.essentialDown])
        for (let i = 0; i < values.length; i++) values[i] *= scale;
  }
  return scale;
}

function essentialCosts(a: Prepared, b: Prepared): number[] | null {
  if (
    a.essentialUp.length !== b.essentialUp.length ||
    a.essentialDown.length !== b.essentialDown.length ||
    a.essentialBoth !== b.essentialBoth
  ) {
    return null;
  }
  const costs: number[] = [];
  for (let i = 0; i < a.essentialUp.length; i++)
    costs.push(Math.abs(a.essentialUp[i] - b.essentialUp[i]));
  for (let i = 0; i < a.essentialDown.length; i++)
    costs.push(Math.abs(a.essentialDown[i] - b.essentialDown[i]));
  return costs;
}

// ---------------------------------------------------------------------------------------------
// Bottleneck

/** L∞ distance between points i of P and j of Q (interleaved pairs). */
function linf(P: Float64Array, i: number, Q: Float64Array, j: number): number {
  return Math.max(Math.abs(P[2 * i] - Q[2 * j]), Math.abs(P[2 * i + 1] - Q[2 * j + 1]));
}

/**
 * Hopcroft–Karp: does the bipartite graph (left vertices `left`, adjacency in CSR form over
 * right vertices 0..nRight−1) have a matching saturating every left vertex?
 */
function saturates(nLeft: number, nRight: number, start: Int32Array, adj: Int32Array): boolean {
  const matchL = new Int32Array(nLeft).fill(-1);
  const matchR = new Int32Array(nRight).fill(-1);
  const dist = new Int32Array(nLeft);
  const queue = new Int32Array(nLeft);
  const it = new Int32Array(nLeft);
  let matched = 0;
  // Greedy start.
  for (let u = 0; u < nLeft; u++) {
    for (let e = start[u]; e < start[u + 1]; e++) {
      if (matchR[adj[e]] < 0) {
        matchR[adj[e]] = u;
        matchL[u] = adj[e];
        matched++;
        break;
      }
    }
  }
  const INF = 0x3fffffff;
  const stack = new Int32Array(nLeft + 1);
  while (matched < nLeft) {
    // BFS layers from the free left vertices.
    let head = 0;
    let tail = 0;
    for (let u = 0; u < nLeft; u++) {
      if (matchL[u] < 0) {
        dist[u] = 0;
        queue[tail++] = u;
      } else dist[u] = INF;
    }
    let found = INF;
    while (head < tail) {
      const u = queue[head++];
      if (dist[u] >= found) continue;
      for (let e = start[u]; e < start[u + 1]; e++) {
        const w = matchR[adj[e]];
        if (w < 0) {
          if (found === INF) found = dist[u] + 1;
        } else if (dist[w] === INF) {
          dist[w] = dist[u] + 1;
          queue[tail++] = w;
        }
      }
    }
    if (found === INF) return false;
    // DFS along the layers (iterative), each adjacency scanned once per phase.
    for (let u = 0; u < nLeft; u++) it[u] = start[u];
    let augmented = 0;
    for (let root = 0; root < nLeft; root++) {
      if (matchL[root] >= 0) continue;
      let sp = 0;
      stack[sp++] = root;
      while (sp > 0) {
        const u = stack[sp - 1];
        let advanced = false;
        while (it[u] < start[u + 1]) {
          const v = adj[it[u]];
          const w = matchR[v];
          if (w < 0 && dist[u] + 1 === found) {
            // Augment along the stack: each stack vertex takes the edge it is looking at.
            for (let s = sp - 1; s >= 0; s--) {
              const x = stack[s];
              const y = adj[it[x]];
              matchL[x] = y;
              matchR[y] = x;
            }
            augmented++;
            matched++;
            sp = 0;
            advanced = true;
            break;
          }
          if (w >= 0 && dist[w] === dist[u] + 1) {
            stack[sp++] = w;
            advanced = true;
            break;
          }
          it[u]++;
        }
        if (sp === 0) break;
        if (!advanced) {
          dist[u] = INF; // dead end for this phase
          sp--;
          if (sp > 0) it[stack[sp - 1]]++;
        }
      }
    }
    if (augmented === 0) return false;
  }
  return true;
}

/** Edges of cost ≤ δ from the chosen points of P to all points of Q (CSR over Q). */
function neighbourhood(
  P: Float64Array,
  chosen: Int32Array,
  Q: Float64Array,
  byBirth: Int32Array,
  births: Float64Array,
  delta: number,
) {
  const start = new Int32Array(chosen.length + 1);
  const adj: number[] = [];
  for (let c = 0; c < chosen.length; c++) {
    const i = chosen[c];
    const b = P[2 * i];
    // Q sorted by birth: only the window [b − δ, b + δ] can be within δ in L∞.
    let lo = 0;
    let hi = births.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (births[mid] < b - delta) lo = mid + 1;
      else hi = mid;
    }
    for (let t = lo; t < births.length && births[t] <= b + delta; t++) {
      const j = byBirth[t];
      if (linf(P, i, Q, j) <= delta) adj.push(j);
    }
    start[c + 1] = adj.length;
  }
  return { start, adj: Int32Array.from(adj) };
}

/**
 * Exact bottleneck distance between two finite diagrams (L∞ ground metric), points as
 * interleaved (birth, death) pairs. Up to `maxCandidates` pair costs are sorted and searched;
 * larger inputs bisect over the doubles themselves (same answer, no candidate list).
 */
export function bottleneckFinite(
  A: Float64Array,
  B: Float64Array,
  maxCandidates = MAX_CANDIDATES,
): number {
  const m = A.length / 2;
  const k = B.length / 2;
  if (m === 0 && k === 0) return 0;
  const pa = new Float64Array(m);
  const pb = new Float64Array(k);
  for (let i = 0; i < m; i++) pa[i] = (A[2 * i + 1] - A[2 * i]) / 2;
  for (let j = 0; j < k; j++) pb[j] = (B[2 * j + 1] - B[2 * j]) / 2;
  const sortByBirth = (P: Float64Array, count: number) => {
    const order = new Int32Array(count);
    for (let i = 0; i < count; i++) order[i] = i;
    order.sort((x, y) => P[2 * x] - P[2 * y] || x - y);
    return { order, births: Float64Array.from(order, (i) => P[2 * i]) };
  };
  const sa = sortByBirth(A, m);
  const sb = sortByBirth(B, k);

  // δ is feasible iff some matching of A and B with edges ≤ δ covers every point that cannot
  // go to the diagonal (persistence/2 > δ). By Mendelsohn–Dulmage, iff one matching covers
  // those of A and one (possibly different) covers those of B.
  const feasible = (delta: number): boolean => {
    const mustA: number[] = [];
    const mustB: number[] = [];
    for (let i = 0; i < m; i++) if (pa[i] > delta) mustA.push(i);
    for (let j = 0; j < k; j++) if (pb[j] > delta) mustB.push(j);
    if (mustA.length > k || mustB.length > m) return false;
    if (mustA.length > 0) {
      const ca = Int32Array.from(mustA);
      const g = neighbourhood(A, ca, B, sb.order, sb.births, delta);
      if (!saturates(ca.length, k, g.start, g.adj)) return false;
    }
    if (mustB.length > 0) {
      const cb = Int32Array.from(mustB);
      const g = neighbourhood(B, cb, A, sa.order, sa.births, delta);
      if (!saturates(cb.length, m, g.start, g.adj)) return false;
    }
    return true;
  };

  // Everything to the diagonal is always feasible.
  let upper = 0;
  for (let i = 0; i < m; i++) upper = Math.max(upper, pa[i]);
  for (let j = 0; j < k; j++) upper = Math.max(upper, pb[j]);

  if (m * k + m + k <= maxCandidates) {
    // The answer is one of the candidate values: a pair cost or a diagonal cost (≤ upper).
    const values: number[] = [0];
    for (let i = 0; i < m; i++) values.push(pa[i]);
    for (let j = 0; j < k; j++) values.push(pb[j]);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < k; j++) {
        const c = linf(A, i, B, j);
        if (c <= upper) values.push(c);
      }
    }
    const sorted = Float64Array.from(values).sort();
    let unique = 0;
    for (let i = 0; i < sorted.length; i++)
      if (i === 0 || sorted[i] !== sorted[unique - 1]) sorted[unique++] = sorted[i];
    let lo = 0;
    let hi = unique - 1; // sorted[hi] = upper is feasible
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (feasible(sorted[mid])) hi = mid;
      else lo = mid + 1;
    }
    return sorted[lo];
  }
  // Large diagrams: bisect over the doubles themselves (their bit patterns are ordered for
  // non-negative values), then test the few candidate values left in (lo, hi].
  const bits = new BigUint64Array(1);
  const view = new Float64Array(bits.buffer);
  const toBits = (x: number) => {
    view[0] = x;
    return bits[0];
  };
  const fromBits = (b: bigint) => {
    bits[0] = b;
    return view[0];
  };
  let lo = -1n; // "below 0": infeasible marker
  let hi = toBits(upper);
  if (feasible(0)) return 0;
  lo = 0n;
  while (hi - lo > 1n) {
    const mid = lo + (hi - lo) / 2n;
    if (feasible(fromBits(mid))) hi = mid;
    else lo = mid;
  }
  return fromBits(hi);
}

/**
 * Bottleneck distance (W∞) with the L∞ ground metric and diagonal cost (d − b)/2, exact: a
 * search over candidate values with Hopcroft–Karp matchings (persim.bottleneck, gudhi
 * bottleneck_distance with e = 0). With infinite: "match" the essential points add
 * max |Δbirth|.
 */
export async function bottleneck(
  a: DiagramLike,
  b: DiagramLike,
  options: InfiniteOptions = {},
): Promise<BottleneckResult> {
  checkOptionNames("bottleneck", options, { infinite: "drop", cap: 0 }, []);
  const { policy, cap } = resolveInfinite(options);
  const A = prepare(a, "diagram a", policy, cap);
  const B = prepare(b, "diagram b", policy, cap);
  const scale = toRange(A, B);
  let distance = bottleneckFinite(A.points, B.points);
  if (policy === "match") {
    const costs = essentialCosts(A, B);
    distance = costs === null ? Infinity : Math.max(distance, ...costs);
  }
  distance /= scale;
  const result: BottleneckResult = {
    distance,
    metric: "bottleneck",
    ground: "inf",
    infinite: policy,
    droppedInfinite: [A.dropped, B.dropped],
  };
  if (cap !== undefined) result.cap = cap;
  return result;
}

// ---------------------------------------------------------------------------------------------
// Wasserstein

function groundDistance(x: number, y: number, p: number): number {
  if (p === Infinity) return Math.max(x, y);
  if (p === 2) return Math.hypot(x, y);
  if (p === 1) return x + y;
  return (x ** p + y ** p) ** (1 / p);
}

/** Distance of (b, d) to the diagonal in L_p: ‖((d − b)/2, (d − b)/2)‖_p. */
function diagonalDistance(b: number, d: number, p: number): number {
  const h = Math.abs(d - b) / 2;
  return groundDistance(h, h, p);
}

/**
 * Wasserstein distance W_q = (min Σ ‖x − γ(x)‖_p^q)^(1/q) over diagonal-augmented matchings.
 * Exact by the Hungarian method up to 2,000 points in both diagrams together, otherwise by the
 * auction algorithm with ε-scaling stopped at a proven relative error (`relativeError`,
 * reported as `relativeErrorBound`). Matches gudhi.wasserstein.wasserstein_distance(order=q,
 * internal_p=p) and Hera.
 */
export async function wasserstein(
  a: DiagramLike,
  b: DiagramLike,
  options: WassersteinOptions = {},
): Promise<WassersteinResult> {
  const defaults = {
    q: 1,
    ground: "inf" as GroundMetric,
    method: "auto",
    relativeError: 0.01,
    infinite: "drop",
    cap: 0,
  };
  checkOptionNames("wasserstein", options, defaults);
  const q = checkNumber("q", options.q ?? defaults.q, 1);
  const groundOption = options.ground ?? defaults.ground;
  const p = groundOption === "inf" ? Infinity : checkNumber("ground", groundOption, 1);
  const method = checkKeyword("method", options.method ?? defaults.method, [
    "auto",
    "hungarian",
    "auction",
  ] as const);
  const relativeError = checkNumber(
    "relativeError",
    options.relativeError ?? defaults.relativeError,
    0,
    Infinity,
    { exclusiveMin: true },
  );
  const { policy, cap } = resolveInfinite(options);
  const A = prepare(a, "diagram a", policy, cap);
  const B = prepare(b, "diagram b", policy, cap);
  const scale = toRange(A, B);
  const m = A.points.length / 2;
  const k = B.points.length / 2;
  const useHungarian =
    method === "hungarian" || (method === "auto" && m + k <= HUNGARIAN_MAX_POINTS);

  let total = 0;
  let bound = 0;
  if (m + k > 0) {
    if (useHungarian) total = await hungarianCost(A.points, B.points, p, q, options);
    else ({ total, bound } = await auctionCost(A.points, B.points, p, q, relativeError, options));
  }
  let distance = total ** (1 / q);
  if (policy === "match") {
    const costs = essentialCosts(A, B);
    if (costs === null) distance = Infinity;
    else {
      for (const c of costs) total += c ** q;
      distance = total ** (1 / q);
    }
  }
  distance /= scale;
  const result: WassersteinResult = {
    distance,
    metric: "wasserstein",
    q,
    ground: groundOption === "inf" ? "inf" : p,
    infinite: policy,
    method: useHungarian ? "hungarian" : "auction",
    relativeErrorBound: bound,
    droppedInfinite: [A.dropped, B.dropped],
  };
  if (cap !== undefined) result.cap = cap;
  return result;
}

/** Optimal Σ cost^q by the Hungarian method on the (m + k)² augmented cost matrix. */
async function hungarianCost(
  A: Float64Array,
  B: Float64Array,
  p: number,
  q: number,
  options: RunOptions,
): Promise<number> {
  const m = A.length / 2;
  const k = B.length / 2;
  const N = m + k;
  const core = await getCore();
  const kern = core.kernels;
  return core.scope(async (s) => {
    const cost = s.f64(N * N, "assignment cost matrix");
    const u = s.f64(N + 1, "row potentials");
    const v = s.f64(N + 1, "column potentials");
    const pj = s.i32(N + 1, "column owners");
    const way = s.i32(N + 1, "augmenting paths");
    const minv = s.f64(N + 1, "slack");
    const used = s.u8(N + 1, "visited columns");
    const C = cost.view();
    const dA = new Float64Array(m);
    const dB = new Float64Array(k);
    for (let i = 0; i < m; i++) dA[i] = diagonalDistance(A[2 * i], A[2 * i + 1], p) ** q;
    for (let j = 0; j < k; j++) dB[j] = diagonalDistance(B[2 * j], B[2 * j + 1], p) ** q;
    // Rows: A's points, then one diagonal copy per point of B. Columns: B's points, then one
    // diagonal copy per point of A. Any diagonal copy serves any point (they are all the
    // diagonal), and copies pair with copies for free.
    for (let i = 0; i < m; i++) {
      const row = i * N;
      for (let j = 0; j < k; j++) {
        C[row + j] =
          groundDistance(Math.abs(A[2 * i] - B[2 * j]), Math.abs(A[2 * i + 1] - B[2 * j + 1]), p) **
          q;
      }
      C.fill(dA[i], row + k, row + N);
    }
    for (let r = 0; r < k; r++) {
      const row = (m + r) * N;
      C.set(dB, row);
      C.fill(0, row + k, row + N);
    }
    u.view().fill(0);
    v.view().fill(0);
    pj.view().fill(0);
    way.view().fill(0);
    const progress = new ProgressTracker(options, "Wasserstein (Hungarian)", N);
    for (let r0 = 0; r0 < N; r0 += HUNGARIAN_ROW_CHUNK) {
      const r1 = Math.min(N, r0 + HUNGARIAN_ROW_CHUNK);
      kern.diagramHungarian(cost.ptr, N, r0, r1, u.ptr, v.ptr, pj.ptr, way.ptr, minv.ptr, used.ptr);
      await progress.step(r1);
    }
    progress.finish();
    // Sum the assignment directly (−v[0] equals it up to rounding; the sum is what it means).
    const owner = pj.view();
    let sum = 0;
    for (let j = 1; j <= N; j++) sum += C[(owner[j] - 1) * N + (j - 1)];
    return sum;
  });
}

/** Σ cost^q by the auction with ε-scaling; returns it with the proven relative error bound. */
async function auctionCost(
  A: Float64Array,
  B: Float64Array,
  p: number,
  q: number,
  relativeError: number,
  options: RunOptions,
): Promise<{ total: number; bound: number }> {
  const m = A.length / 2;
  const k = B.length / 2;
  const N = m + k;
  const core = await getCore();
  const kern = core.kernels;
  return core.scope(async (s) => {
    const pa = s.upload(m > 0 ? A : new Float64Array(2), "diagram a");
    const pb = s.upload(k > 0 ? B : new Float64Array(2), "diagram b");
    const dA = s.f64(Math.max(1, m), "diagonal costs a");
    const dB = s.f64(Math.max(1, k), "diagonal costs b");
    const prices = s.f64(N, "prices");
    const owner = s.i32(N, "owners");
    const assign = s.i32(N, "assignment");
    const queue = s.i32(N, "bidder queue");
    kern.diagramDiagonalCosts(pa.ptr, m, p, q, dA.ptr);
    kern.diagramDiagonalCosts(pb.ptr, k, p, q, dB.ptr);
    prices.view().fill(0);
    let scale = 0;
    for (const x of dA.view().subarray(0, m)) scale = Math.max(scale, x);
    for (const x of dB.view().subarray(0, k)) scale = Math.max(scale, x);
    if (scale === 0) return { total: 0, bound: 0 };
    const target = (1 + relativeError) ** q;
    let eps = scale / 2;
    let total = Infinity;
    let bound = Infinity;
    const progress = new ProgressTracker(options, "Wasserstein (auction)", AUCTION_MAX_PHASES);
    for (let phase = 0; phase < AUCTION_MAX_PHASES; phase++) {
      throwIfAborted(options.signal);
      kern.diagramAuctionPhase(
        pa.ptr,
        m,
        pb.ptr,
        k,
        dA.ptr,
        dB.ptr,
        p,
        q,
        eps,
        prices.ptr,
        owner.ptr,
        assign.ptr,
        queue.ptr,
      );
      total = kern.diagramAuctionPrimal(pa.ptr, m, pb.ptr, k, dA.ptr, dB.ptr, p, q, assign.ptr);
      const dual = kern.diagramAuctionDual(pa.ptr, m, pb.ptr, k, dA.ptr, dB.ptr, p, q, prices.ptr);
      if (total <= 0) return { total: 0, bound: 0 };
      if (dual > 0) bound = Math.max(0, (total / dual) ** (1 / q) - 1);
      if (dual > 0 && total <= dual * target) break;
      eps /= AUCTION_EPSILON_FACTOR;
      await progress.step(phase + 1);
    }
    progress.finish();
    return { total, bound };
  });
}

// ---------------------------------------------------------------------------------------------
// Sliced Wasserstein

/**
 * Sliced Wasserstein distance exactly as persim.sliced_wasserstein computes it
 * (Carrière, Cuturi & Oudot, ICML 2017): each diagram is augmented with the diagonal
 * projections of the other's points, both are projected on M float32 directions
 * θ_i = π/2 + iπ/M (i = 0 … M − 1, a half turn), sorted, and the L1 distances of the sorted
 * projections are averaged with weight 1/M. Infinite points cannot be projected: infinite
 * "match" is refused, use "drop" or "cap".
 */
export async function slicedWasserstein(
  a: DiagramLike,
  b: DiagramLike,
  options: SlicedWassersteinOptions = {},
): Promise<SlicedWassersteinResult> {
  checkOptionNames("slicedWasserstein", options, { directions: 50, infinite: "drop", cap: 0 }, []);
  const M = checkInteger("directions", options.directions ?? 50, 1);
  const { policy, cap } = resolveInfinite(options);
  if (policy === "match") {
    throw new HiddenAtlasError(
      "E_PARAM",
      `invalid infinite: "match" (the sliced Wasserstein distance cannot project infinite points; expected "drop" or "cap")`,
      { parameter: "infinite" },
    );
  }
  const PA = prepare(a, "diagram a", policy, cap);
  const PB = prepare(b, "diagram b", policy, cap);
  const scale = toRange(PA, PB);
  const A = PA.points;
  const B = PB.points;
  const m = A.length / 2;
  const k = B.length / 2;
  // persim: the diagonal direction is a float32 vector; a point's projection onto it is
  // l = b·c + d·s, and its diagonal point is (√(l²/2), √(l²/2)).
  const c45 = Math.fround(Math.cos(0.25 * Math.PI));
  const s45 = Math.fround(Math.sin(0.25 * Math.PI));
  const deltaA = new Float64Array(m);
  const deltaB = new Float64Array(k);
  for (let i = 0; i < m; i++) {
    const l = c45 * A[2 * i] + s45 * A[2 * i + 1];
    deltaA[i] = Math.sqrt((l * l) / 2);
  }
  for (let j = 0; j < k; j++) {
    const l = c45 * B[2 * j] + s45 * B[2 * j + 1];
    deltaB[j] = Math.sqrt((l * l) / 2);
  }
  const V1 = new Float64Array(m + k);
  const V2 = new Float64Array(m + k);
  let sw = 0;
  let theta = 0.5;
  const step = 1.0 / M;
  for (let i = 0; i < M; i++) {
    const lc = Math.fround(Math.cos(theta * Math.PI));
    const ls = Math.fround(Math.sin(theta * Math.PI));
    for (let x = 0; x < m; x++) V1[x] = lc * A[2 * x] + ls * A[2 * x + 1];
    for (let y = 0; y < k; y++) V1[m + y] = lc * deltaB[y] + ls * deltaB[y];
    for (let y = 0; y < k; y++) V2[y] = lc * B[2 * y] + ls * B[2 * y + 1];
    for (let x = 0; x < m; x++) V2[k + x] = lc * deltaA[x] + ls * deltaA[x];
    V1.sort();
    V2.sort();
    let l1 = 0;
    for (let t = 0; t < m + k; t++) l1 += Math.abs(V1[t] - V2[t]);
    sw += step * l1;
    theta += step;
  }
  const result: SlicedWassersteinResult = {
    distance: sw / scale,
    metric: "sliced-wasserstein",
    directions: M,
    infinite: policy,
    droppedInfinite: [PA.dropped, PB.dropped],
  };
  if (cap !== undefined) result.cap = cap;
  return result;
}
