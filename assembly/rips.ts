// Vietoris–Rips persistent homology, exact, by Ripser's algorithm.
//
// Algorithm: U. Bauer, "Ripser: efficient computation of Vietoris–Rips persistence barcodes",
// J. Appl. Comput. Topol. 5:391–423, 2021. Written from the paper, not from Ripser's source.
// The reference implementation whose output we match is Ripser 1.2.1 (Ripser/ripser:ripser.cpp);
// tests compare diagrams with its output.
//
//   · Filtration value of a simplex = its diameter (largest edge value). Simplices are ordered
//     by (diameter ascending, combinatorial index descending) — the "reverse colexicographic"
//     refinement of the paper (§2.4); columns are reduced in the opposite order, decreasing
//     (diameter, then increasing index).
//   · Simplices are never stored as vertex lists: a k-simplex v_k > … > v_0 is the integer
//     Σ C(v_i, i+1) (combinatorial number system, §3.1), 55 bits, coefficient in the low byte.
//   · H0 by Kruskal/union-find over the edges in filtration order (elder rule). Non-tree edges
//     become the columns for H1 (clearing for free).
//   · H≥1 by persistent cohomology (de Silva–Morozov–Vejdemo-Johansson 2011) with clearing
//     (Chen–Kerber 2011, the "twist"): a (d+1)-simplex that is a pivot in degree d is never a
//     column in degree d+1. Coboundaries are enumerated on the fly (implicit matrix, §3.3);
//     only the reduction matrix V is stored and R is recomputed (§3.4).
//   · Apparent pairs (§3.5): (σ, τ) with diam σ = diam τ, τ the oldest cofacet of σ and σ the
//     youngest facet of τ; found by local search, never reduced or stored. Emergent pairs
//     (§3.6): a column whose first equal-diameter cofacet is not yet a pivot is already reduced.
//   · Edge collapse (optional, ripsCollapse*): J.-D. Boissonnat, S. Pritam, "Edge collapse and
//     persistence of flag complexes", SoCG 2020, in the single backward sweep of M. Glisse,
//     S. Pritam, "Swap, shift and trim to edge collapse a filtration", SoCG 2022: edges are
//     visited by decreasing value; an edge dominated by a vertex is delayed ("shifted") to the
//     first value where it stops being dominated, or removed when it never does. The flag
//     filtration of what remains has the same persistence diagrams; we then run the reduction
//     on it. Written from the papers.
//   · Representative cycles of H1 (optional, ripsCycles*): the homology reduction of ∂₂ restricted
//     to the death triangles, "involuted persistent homology" (M. Čufar, Ž. Virk, "Fast
//     computation of persistent homology representatives with involuted persistent homology",
//     preprint, 2021). Cohomology has already found every pair, so the triangles that kill an H1
//     class are the degree-1 pivots (plus the apparent ones, whose reduced boundary is their
//     boundary); a positive triangle's column reduces to zero and is never needed, so only the
//     death triangles are reduced, in filtration order (diameter ascending, index descending —
//     the order cohomology used), with the standard column algorithm. The reduced column R_τ of
//     the pair (σ, τ) is a cycle whose youngest edge is σ: it is not a boundary in the complex at
//     diam σ and is the boundary ∂V_τ at diam τ, i.e. it represents the bar [diam σ, diam τ),
//     and the R_τ of all bars form a barcode basis. Essential classes (below a user threshold)
//     get σ plus a shortest path between its ends through edges older than σ. With the edge
//     collapse the cycles are those of the collapsed filtration K'_t ⊆ K_t; each inclusion is a
//     homotopy equivalence commuting with the filtration maps, so they represent the same bars in
//     the original complex, on the same rows. Written from the paper, not from an implementation.
//
// Memory contract. One computation = one RipsState block (ripsCreate … ripsFree) owning every
// buffer it needs, all from heap.alloc. The growing structures (pivot map, columns, V, the
// working heap, pair output) are grown geometrically *between* columns or before a coboundary
// is pushed, never inside an enumeration loop; every growth is checked against the byte
// budget the caller sets (ripsSetBudget), and a kernel that would exceed it stops with
// STATUS_TOO_LARGE and the bytes it needed in ripsFailBytes — the caller turns that into
// E_TOO_LARGE instead of a trap. The distance block ripsDistanceBuffer (n × n f32, row-major,
// symmetric, zero diagonal) is filled by the caller or by ripsPointDistances.
//
// Complexity: distances O(n²·d); H0 O(n² log n) (radix sort + union-find); degree k costs
// O(#columns · n · k) coboundary enumeration plus the reduction, cubic in the worst case and
// dominated by enumeration in practice. Edge collapse is O(#edges · (n + m²)) with m the common
// neighbours of an edge. Representative cycles reduce at most one column per H1 death triangle
// (three boundary entries each, plus the reduced columns added to it, each pivot tested for an
// apparent pair in O(n)) and store the reduced columns (16 bytes per entry) until the cycles
// are written; an essential class costs one O(n²) shortest-path search.
//
// Determinism: every loop runs in a fixed order and ties are broken by the simplex index, so
// the same input gives bit-identical diagrams.
//
// Threads (the shared-memory build): ripsPointDistances, ripsCollapseShared and
// ripsAssembleChunk run on the kernel threads, each writing only its own rows, region or scratch
// (the zero-pivot scratch is per instance, so per thread); what they leave is the one-thread
// kernels' output, bit for bit, whatever the number of threads and their timing.

/** Distances and diameters (Ripser's value_t: float32, as ripser.py). */
type Value = f32;
/** A simplex in the combinatorial number system (Ripser's index_t). */
type Index = i64;

/** Kernel status codes, shared with src/algo/rips.ts. */
export const RIPS_OK: i32 = 0;
/** A buffer would exceed the byte budget; ripsFailBytes tells how much was needed. */
export const RIPS_TOO_LARGE: i32 = 1;
/** C(n, maxdim + 2) does not fit in the 55-bit simplex index. */
export const RIPS_OVERFLOW: i32 = 2;
/** The homology reduction disagreed with the cohomology pairs (a bug, never bad input). */
export const RIPS_INCONSISTENT: i32 = 3;

// An entry (simplex + coefficient) packs the coefficient in the low COEF_BITS bits, so sorting
// entries as integers groups equal simplices; Ripser packs it in the high bits instead.
// @ts-ignore: decorator
@inline const COEF_BITS: i64 = 8;
// @ts-ignore: decorator
@inline const COEF_MASK: i64 = 255;
/** Largest simplex index: 63 bits minus the coefficient byte, keeping entries positive. */
// @ts-ignore: decorator
@inline const MAX_INDEX: i64 = (<i64>1 << 55) - 1;
/** "No simplex" (Ripser uses −1 the same way). */
// @ts-ignore: decorator
@inline const NONE: i64 = -1;
/** Largest modulus: coefficients must fit in COEF_BITS. */
// @ts-ignore: decorator
@inline const MAX_MODULUS: i32 = 251;
/** Vertices of the largest simplex handled: a cofacet of a 3-simplex (maxdim ≤ 3). */
// @ts-ignore: decorator
@inline const MAX_VERTICES: i32 = 5;
/** Bytes of one vertex scratch array (MAX_VERTICES i32, padded). */
// @ts-ignore: decorator
@inline const VTX_BYTES: usize = 32;
/** Heap slot: entry i64 at 0, diameter f32 at 8, padding to 16 for aligned moves. */
// @ts-ignore: decorator
@inline const SLOT: usize = 16;
/** Pivot-map slot: key i64 at 0, column i32 at 8, pivot coefficient i32 at 12. */
// @ts-ignore: decorator
@inline const MAP_SLOT: usize = 16;
/** Multiplicative hash constant: 2^64 / golden ratio (Knuth, TAOCP vol. 3, §6.4). */
// @ts-ignore: decorator
@inline const HASH_MULTIPLIER: u64 = 0x9e3779b97f4a7c15;
/** Largest block we ask TLSF for (wasm32 leaves no room for more in one piece). */
// @ts-ignore: decorator
@inline const MAX_BLOCK: u64 = 0xf0000000;
/** Working-column entries below which V is not compacted (sorting tiny arrays costs more). */
// @ts-ignore: decorator
@inline const COMPACT_MIN: i32 = 4096;
/** Insertion sort below this many elements inside quicksort (Sedgewick's cut-off range). */
// @ts-ignore: decorator
@inline const INSERTION_SORT_THRESHOLD: i32 = 16;
/** A cycle row: vertices a > b and the coefficient of [a, b], three i32. */
// @ts-ignore: decorator
@inline const CYCLE_ROW_BYTES: u64 = 12;
/** Shortest-path scratch per vertex: path length f64, predecessor i32, settled flag i32. */
// @ts-ignore: decorator
@inline const PATH_VERTEX_BYTES: u64 = 16;
/** Radix-sort digit width: 8 bits, 256 buckets; four passes over a 32-bit key. */
// @ts-ignore: decorator
@inline const RADIX_BUCKETS: i32 = 256;

@unmanaged
class RipsState {
  n: i32;
  maxdim: i32;
  modulus: i32;
  /** Degree being reduced (1 … maxdim). */
  dim: i32;
  threshold: f32;
  status: i32;
  /** 1: write representative cocycles for every reported pair of degree ≥ 1. */
  cocycles: i32;
  /** 1: record each degree-1 pair's birth edge, for ripsCycles*. */
  cycles: i32;
  budget: u64;
  inUse: u64;
  peak: u64;
  failBytes: u64;

  /** n × n f32 distances (modified in place by the edge collapse). */
  dist: usize;
  /** (maxdim + 3) × (n + 1) i64: C(j, k) at k·(n + 1) + j. */
  binom: usize;
  /** MAX_MODULUS + 1 i32 multiplicative inverses mod p. */
  inverse: usize;
  /** 4 vertex scratch arrays of VTX_BYTES. */
  vtx: usize;
  /** Union-find parents (i32 per vertex). */
  parent: usize;

  // Growable buffers: (pointer, capacity in bytes) pairs, grown by `reserve`.
  mapPtr: usize;
  mapCap: usize;
  colIdx: usize;
  colIdxCap: usize;
  colDiam: usize;
  colDiamCap: usize;
  vStart: usize;
  vStartCap: usize;
  vEnt: usize;
  vEntCap: usize;
  heap: usize;
  heapCap: usize;
  work: usize;
  workCap: usize;
  pairs: usize;
  pairsCap: usize;
  cocStart: usize;
  cocStartCap: usize;
  cocData: usize;
  cocDataCap: usize;
  edgeKey: usize;
  edgeKeyCap: usize;
  edgeVal: usize;
  edgeValCap: usize;
  tmpKey: usize;
  tmpKeyCap: usize;
  tmpVal: usize;
  tmpValCap: usize;
  /** Birth edge (i64 index) of each degree-1 pair, in pair order (with `cycles`). */
  pairEdge: usize;
  pairEdgeCap: usize;
  /** Homology columns (death triangles, i64) and their diameters (f32), by decreasing order. */
  hIdx: usize;
  hIdxCap: usize;
  hDiam: usize;
  hDiamCap: usize;
  /** Reduced homology columns: u64 offsets (hCount + 1) into heap-layout slots. */
  rStart: usize;
  rStartCap: usize;
  rEnt: usize;
  rEntCap: usize;
  /** Cycle table: i32 offsets per pair (pairCount + 1) into rows (a, b, coefficient). */
  cycStart: usize;
  cycStartCap: usize;
  cycData: usize;
  cycDataCap: usize;
  scratch: usize;
  scratchCap: usize;
  /** The degree-1 pivot map, set aside while the homology pass uses the map for edges. */
  savedMapPtr: usize;
  savedMapCap: usize;
  savedMapMask: i32;
  savedMapCount: i32;
  /** Homology columns of the cycle pass; entries of the reduced columns stored so far. */
  hCount: i32;
  cycCount: i32;
  rCount: u64;

  mapMask: i32;
  mapCount: i32;
  colCount: i32;
  heapSize: i32;
  workSize: i32;
  pairCount: i32;
  edgeCount: i32;
  cocCount: i32;
  vCount: u64;

  /** Pivot found by initColumn when it reports an emergent pair. */
  pivotEntry: i64;
  pivotDiam: f32;
  /** Vertex and insertion position of the last zero-pivot cofacet found. */
  /** Working-column size after its last compaction. */
  workMark: i32;

  // Counters for the caller (per degree, reset by ripsBeginReduction).
  statApparent: i32;
  statEmergent: i32;
  statReduced: i32;
  statAdditions: i32;
  statEssential: i32;
  statCleared: i32;
  /** Edges left by the collapse (−1 when not run). */
  statCollapsed: i32;
  /** Edges listed by the last edge collection. */
  statEdges: i32;
  /** Scratch slots of the collapse (one per thread) and edges in the shared sweep's ring. */
  collapseSlots: i32;
  collapseBatch: i32;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

// @ts-ignore: decorator
@inline function state(ptr: usize): RipsState {
  return changetype<RipsState>(ptr);
}

// @ts-ignore: decorator
@inline function distAt(s: RipsState, i: i32, j: i32): Value {
  return load<f32>(s.dist + ((<usize>i * <usize>s.n + <usize>j) << 2));
}

// @ts-ignore: decorator
@inline function rowOf(s: RipsState, i: i32): usize {
  return s.dist + ((<usize>i * <usize>s.n) << 2);
}

/** C(j, k) from the table (0 when j < k). */
// @ts-ignore: decorator
@inline function binomial(s: RipsState, j: i32, k: i32): i64 {
  return load<i64>(s.binom + ((<usize>k * <usize>(s.n + 1) + <usize>j) << 3));
}

// Per instance, so per thread (each kernel thread instantiates the module): what the last
// zeroPivotCofacet found (the inserted vertex and its position), and the vertex scratch arrays
// of a kernel running on a kernel thread (0: the state's own, for the calling thread's kernels).
let zeroLastJ: i32 = 0;
let zeroLastT: i32 = 0;
let vtxScratch: usize = 0;

// @ts-ignore: decorator
@inline function vtxArray(s: RipsState, which: i32): usize {
  return (vtxScratch != 0 ? vtxScratch : s.vtx) + <usize>which * VTX_BYTES;
}

// @ts-ignore: decorator
@inline function vget(p: usize, i: i32): i32 {
  return load<i32>(p + ((<usize>i) << 2));
}

// @ts-ignore: decorator
@inline function vset(p: usize, i: i32, v: i32): void {
  store<i32>(p + ((<usize>i) << 2), v);
}

// @ts-ignore: decorator
@inline function entryOf(index: i64, coef: i32): i64 {
  return (index << COEF_BITS) | <i64>coef;
}

// @ts-ignore: decorator
@inline function indexOf(entry: i64): i64 {
  return entry >> COEF_BITS;
}

// @ts-ignore: decorator
@inline function coefOf(entry: i64): i32 {
  return <i32>(entry & COEF_MASK);
}

/** (−1)^t · c mod p: the sign of inserting a vertex below t vertices. */
// @ts-ignore: decorator
@inline function signed(c: i32, t: i32, p: i32): i32 {
  return (t & 1) != 0 ? (p - c) % p : c;
}

/**
 * Grow the buffer whose (pointer, capacity) pair sits at byte offset `field` of the state to
 * at least `bytes`, geometrically (×1.5). False, with status RIPS_TOO_LARGE, when the budget
 * or wasm32 cannot hold it.
 */
function reserve(s: RipsState, field: usize, bytes: u64): bool {
  const base = changetype<usize>(s) + field;
  const ptr = load<usize>(base);
  const cap = <u64>load<usize>(base, sizeof<usize>());
  if (bytes <= cap) return true;
  let want = max<u64>(bytes, cap + (cap >> 1));
  if (want < 64) want = 64;
  if (want > MAX_BLOCK || s.inUse - cap + want > s.budget) want = bytes;
  if (want > MAX_BLOCK || s.inUse - cap + want > s.budget) {
    s.status = RIPS_TOO_LARGE;
    s.failBytes = s.inUse - cap + want;
    return false;
  }
  const p = ptr != 0 ? heap.realloc(ptr, <usize>want) : heap.alloc(<usize>want);
  store<usize>(base, p);
  store<usize>(base, <usize>want, sizeof<usize>());
  s.inUse = s.inUse - cap + want;
  if (s.inUse > s.peak) s.peak = s.inUse;
  return true;
}

function release(s: RipsState, field: usize): void {
  const base = changetype<usize>(s) + field;
  const ptr = load<usize>(base);
  if (ptr != 0) {
    heap.free(ptr);
    s.inUse -= <u64>load<usize>(base, sizeof<usize>());
  }
  store<usize>(base, 0);
  store<usize>(base, 0, sizeof<usize>());
}

/** A fixed block owned by the state (counted against the budget). */
function fixedBlock(s: RipsState, bytes: u64): usize {
  if (bytes > MAX_BLOCK || s.inUse + bytes > s.budget) {
    s.status = RIPS_TOO_LARGE;
    s.failBytes = s.inUse + bytes;
    return 0;
  }
  s.inUse += bytes;
  if (s.inUse > s.peak) s.peak = s.inUse;
  return heap.alloc(<usize>max<u64>(bytes, 16));
}

// ---------------------------------------------------------------------------------------------
// Combinatorial number system

/** Largest v in [k − 1, top − 1] with C(v, k) ≤ index (binary search in the table row). */
function maxVertex(s: RipsState, index: i64, k: i32, top: i32): i32 {
  let lo = k - 1;
  let hi = top - 1;
  const row = s.binom + ((<usize>k * <usize>(s.n + 1)) << 3);
  while (lo < hi) {
    const mid = lo + ((hi - lo + 1) >> 1);
    if (load<i64>(row + ((<usize>mid) << 3)) <= index) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Vertices of the d-simplex `index`, largest first, into out[0..d]. */
function decode(s: RipsState, index: i64, d: i32, out: usize): void {
  let rest = index;
  let top = s.n;
  for (let k = d + 1; k >= 1; k--) {
    const v = maxVertex(s, rest, k, top);
    vset(out, d + 1 - k, v);
    rest -= binomial(s, v, k);
    top = v;
  }
}

/** Index of the simplex with `count` vertices vtx[0] > … > vtx[count − 1]. */
function encode(s: RipsState, vtx: usize, count: i32): i64 {
  let index: i64 = 0;
  for (let l = 0; l < count; l++) index += binomial(s, vget(vtx, l), count - l);
  return index;
}

/** Diameter of the simplex with `count` vertices. */
function diameterOf(s: RipsState, vtx: usize, count: i32): Value {
  let m: Value = 0;
  for (let a = 1; a < count; a++) {
    const row = rowOf(s, vget(vtx, a));
    for (let b = 0; b < a; b++) m = max(m, load<f32>(row + ((<usize>vget(vtx, b)) << 2)));
  }
  return m;
}

/** dst = src with position `skip` removed (count − 1 vertices). */
function dropVertex(src: usize, count: i32, skip: i32, dst: usize): void {
  let o = 0;
  for (let l = 0; l < count; l++) {
    if (l != skip) vset(dst, o++, vget(src, l));
  }
}

/** dst = src (count vertices) with j inserted at position t. */
function insertVertex(src: usize, count: i32, j: i32, t: i32, dst: usize): void {
  for (let l = 0; l < t; l++) vset(dst, l, vget(src, l));
  vset(dst, t, j);
  for (let l = t; l < count; l++) vset(dst, l + 1, vget(src, l));
}

// ---------------------------------------------------------------------------------------------
// Apparent pairs (Bauer 2021 §3.5)

/**
 * The oldest cofacet of the d-simplex vtx if it has the same diameter, scanning the cofacets in
 * decreasing index order (vertex j from n − 1 down) like the coboundary enumeration: the first
 * equal-diameter cofacet found is the largest index, i.e. the oldest. Returns its index or
 * NONE; sets zeroLastJ / zeroLastT to the inserted vertex and its position.
 */
function zeroPivotCofacet(s: RipsState, vtx: usize, d: i32, diam: Value): i64 {
  const n = s.n;
  let above: i64 = 0;
  let below: i64 = encode(s, vtx, d + 1);
  let hi = n;
  const r0 = rowOf(s, vget(vtx, 0));
  const r1 = d >= 1 ? rowOf(s, vget(vtx, 1)) : r0;
  const r2 = d >= 2 ? rowOf(s, vget(vtx, 2)) : r0;
  const r3 = d >= 3 ? rowOf(s, vget(vtx, 3)) : r0;
  for (let t = 0; t <= d + 1; t++) {
    const lo = t <= d ? vget(vtx, t) : -1;
    for (let j = hi - 1; j > lo; j--) {
      const off = (<usize>j) << 2;
      let m = max(load<f32>(r0 + off), load<f32>(r1 + off));
      if (d >= 2) m = max(m, max(load<f32>(r2 + off), load<f32>(r3 + off)));
      if (m <= diam) {
        zeroLastJ = j;
        zeroLastT = t;
        return above + binomial(s, j, d + 2 - t) + below;
      }
    }
    if (t <= d) {
      const v = vget(vtx, t);
      below -= binomial(s, v, d + 1 - t);
      above += binomial(s, v, d + 2 - t);
      hi = v;
    }
  }
  return NONE;
}

/**
 * Position (in vtx, largest vertex first) of the vertex whose removal gives the youngest facet
 * of the k-simplex vtx with the same diameter, or −1. Removing vtx[0] gives the smallest
 * facet index, so positions are tried in increasing order and the first equal-diameter facet
 * is the youngest one.
 */
function zeroPivotFacet(s: RipsState, vtx: usize, k: i32, diam: Value): i32 {
  for (let i = 0; i <= k; i++) {
    let m: Value = 0;
    for (let a = 1; a <= k; a++) {
      if (a == i) continue;
      const row = rowOf(s, vget(vtx, a));
      for (let b = 0; b < a; b++) {
        if (b == i) continue;
        m = max(m, load<f32>(row + ((<usize>vget(vtx, b)) << 2)));
      }
    }
    if (m == diam) return i;
  }
  return -1;
}

/**
 * When the k-simplex tau (vertices in `vtx`) is the cofacet of a zero-persistence apparent
 * pair, the position of the vertex to drop to get its partner; otherwise −1.
 * Uses vertex scratch array 3.
 */
function zeroApparentFacet(s: RipsState, vtx: usize, k: i32, diam: Value): i32 {
  const i = zeroPivotFacet(s, vtx, k, diam);
  if (i < 0) return -1;
  const facet = vtxArray(s, 3);
  dropVertex(vtx, k + 1, i, facet);
  if (zeroPivotCofacet(s, facet, k - 1, diam) == NONE) return -1;
  return zeroLastJ == vget(vtx, i) ? i : -1;
}

/**
 * True when the d-simplex vtx is the facet of a zero-persistence apparent pair.
 * Uses vertex scratch array 2.
 */
function hasZeroApparentCofacet(s: RipsState, vtx: usize, d: i32, diam: Value): bool {
  if (zeroPivotCofacet(s, vtx, d, diam) == NONE) return false;
  const t = zeroLastT;
  const cofacet = vtxArray(s, 2);
  insertVertex(vtx, d + 1, zeroLastJ, t, cofacet);
  return zeroPivotFacet(s, cofacet, d + 1, diam) == t;
}

// ---------------------------------------------------------------------------------------------
// Pivot map: open addressing, linear probing, i64 simplex index → (column, coefficient)

function mapInit(s: RipsState, expected: i32): bool {
  let cap = 16;
  while (cap < expected * 2) cap <<= 1;
  if (!reserve(s, offsetof<RipsState>("mapPtr"), <u64>cap * MAP_SLOT)) return false;
  s.mapMask = cap - 1;
  s.mapCount = 0;
  memory.fill(s.mapPtr, 0xff, <usize>cap * MAP_SLOT);
  return true;
}

// @ts-ignore: decorator
@inline function mapHash(key: i64, mask: i32): i32 {
  return <i32>((<u64>key * HASH_MULTIPLIER) >> 32) & mask;
}

/** Slot address holding `key`, or 0. */
function mapFind(s: RipsState, key: i64): usize {
  const mask = s.mapMask;
  let h = mapHash(key, mask);
  while (true) {
    const slot = s.mapPtr + <usize>h * MAP_SLOT;
    const k = load<i64>(slot);
    if (k == key) return slot;
    if (k == NONE) return 0;
    h = (h + 1) & mask;
  }
  return 0;
}

function mapInsert(s: RipsState, key: i64, column: i32, coef: i32): bool {
  if ((s.mapCount + 1) * 2 > s.mapMask + 1) {
    // Rehash into a table twice as large (between columns: never inside an enumeration).
    const oldPtr = s.mapPtr;
    const oldCap = s.mapMask + 1;
    const newCap = oldCap * 2;
    const bytes = <u64>newCap * MAP_SLOT;
    if (s.inUse + bytes > s.budget) {
      s.status = RIPS_TOO_LARGE;
      s.failBytes = s.inUse + bytes;
      return false;
    }
    const p = heap.alloc(<usize>bytes);
    memory.fill(p, 0xff, <usize>bytes);
    const mask = newCap - 1;
    for (let i = 0; i < oldCap; i++) {
      const src = oldPtr + <usize>i * MAP_SLOT;
      const k = load<i64>(src);
      if (k == NONE) continue;
      let h = mapHash(k, mask);
      while (load<i64>(p + <usize>h * MAP_SLOT) != NONE) h = (h + 1) & mask;
      memory.copy(p + <usize>h * MAP_SLOT, src, MAP_SLOT);
    }
    heap.free(oldPtr);
    s.inUse += bytes - <u64>s.mapCap;
    if (s.inUse > s.peak) s.peak = s.inUse;
    s.mapPtr = p;
    s.mapCap = <usize>bytes;
    s.mapMask = mask;
  }
  const mask = s.mapMask;
  let h = mapHash(key, mask);
  while (load<i64>(s.mapPtr + <usize>h * MAP_SLOT) != NONE) h = (h + 1) & mask;
  const slot = s.mapPtr + <usize>h * MAP_SLOT;
  store<i64>(slot, key);
  store<i32>(slot, column, 8);
  store<i32>(slot, coef, 12);
  s.mapCount++;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Working coboundary: binary heap of (diameter, entry); the top is the pivot candidate, the
// smallest diameter and among equal diameters the largest index (the oldest cofacet).

// @ts-ignore: decorator
@inline function before(da: Value, ea: i64, db: Value, eb: i64): bool {
  return da < db || (da == db && ea > eb);
}

function siftDown(base: usize, size: i32, start: i32): void {
  let i = start;
  const e = load<i64>(base + <usize>i * SLOT);
  const d = load<f32>(base + <usize>i * SLOT, 8);
  while (true) {
    let c = 2 * i + 1;
    if (c >= size) break;
    let ec = load<i64>(base + <usize>c * SLOT);
    let dc = load<f32>(base + <usize>c * SLOT, 8);
    const r = c + 1;
    if (r < size) {
      const er = load<i64>(base + <usize>r * SLOT);
      const dr = load<f32>(base + <usize>r * SLOT, 8);
      if (before(dr, er, dc, ec)) {
        c = r;
        ec = er;
        dc = dr;
      }
    }
    if (!before(dc, ec, d, e)) break;
    store<i64>(base + <usize>i * SLOT, ec);
    store<f32>(base + <usize>i * SLOT, dc, 8);
    i = c;
  }
  store<i64>(base + <usize>i * SLOT, e);
  store<f32>(base + <usize>i * SLOT, d, 8);
}

function siftUp(base: usize, start: i32): void {
  let i = start;
  const e = load<i64>(base + <usize>i * SLOT);
  const d = load<f32>(base + <usize>i * SLOT, 8);
  while (i > 0) {
    const p = (i - 1) >> 1;
    const ep = load<i64>(base + <usize>p * SLOT);
    const dp = load<f32>(base + <usize>p * SLOT, 8);
    if (!before(d, e, dp, ep)) break;
    store<i64>(base + <usize>i * SLOT, ep);
    store<f32>(base + <usize>i * SLOT, dp, 8);
    i = p;
  }
  store<i64>(base + <usize>i * SLOT, e);
  store<f32>(base + <usize>i * SLOT, d, 8);
}

/** Restore the heap after raw appends from `oldSize` on. */
function heapFix(s: RipsState, oldSize: i32): void {
  const size = s.heapSize;
  const added = size - oldSize;
  if (added <= 0) return;
  if (added > oldSize) {
    // Floyd's bottom-up construction: O(size), cheaper than `added` sift-ups.
    for (let i = (size >> 1) - 1; i >= 0; i--) siftDown(s.heap, size, i);
  } else {
    for (let i = oldSize; i < size; i++) siftUp(s.heap, i);
  }
}

function heapPop(s: RipsState): void {
  const size = s.heapSize - 1;
  s.heapSize = size;
  if (size > 0) {
    memory.copy(s.heap, s.heap + <usize>size * SLOT, SLOT);
    siftDown(s.heap, size, 0);
  }
}

/**
 * Pop the pivot: the top entry with the coefficients of equal simplices summed (mod p),
 * skipping simplices that cancel. NONE when the column is zero.
 */
function popPivot(s: RipsState): i64 {
  const p = s.modulus;
  while (s.heapSize > 0) {
    let e = load<i64>(s.heap);
    const d = load<f32>(s.heap, 8);
    const index = indexOf(e);
    let c = coefOf(e);
    heapPop(s);
    while (s.heapSize > 0 && indexOf(load<i64>(s.heap)) == index) {
      c = (c + coefOf(load<i64>(s.heap))) % p;
      heapPop(s);
    }
    if (c != 0) {
      s.pivotDiam = d;
      return entryOf(index, c);
    }
  }
  return NONE;
}

/** The pivot without removing it (s.pivotDiam holds its diameter). */
function getPivot(s: RipsState): i64 {
  const e = popPivot(s);
  if (e != NONE) {
    // Push it back: the slot freed by the pop is still allocated.
    const i = s.heapSize++;
    store<i64>(s.heap + <usize>i * SLOT, e);
    store<f32>(s.heap + <usize>i * SLOT, s.pivotDiam, 8);
    siftUp(s.heap, i);
  }
  return e;
}

/**
 * Append coef · δσ for the d-simplex σ (vertices vtx, diameter diam) to the heap, raw; call
 * heapFix afterwards. Cofacets above the threshold are left out (they are not in the complex).
 */
function appendCoboundary(s: RipsState, vtx: usize, d: i32, diam: Value, coef: i32): bool {
  const n = s.n;
  if (!reserve(s, offsetof<RipsState>("heap"), <u64>(s.heapSize + n + 1) * SLOT)) {
    return false;
  }
  const thr = s.threshold;
  const p = s.modulus;
  const base = s.heap;
  let size = s.heapSize;
  let above: i64 = 0;
  let below: i64 = encode(s, vtx, d + 1);
  let hi = n;
  const r0 = rowOf(s, vget(vtx, 0));
  const r1 = d >= 1 ? rowOf(s, vget(vtx, 1)) : r0;
  const r2 = d >= 2 ? rowOf(s, vget(vtx, 2)) : r0;
  const r3 = d >= 3 ? rowOf(s, vget(vtx, 3)) : r0;
  for (let t = 0; t <= d + 1; t++) {
    const lo = t <= d ? vget(vtx, t) : -1;
    const c = signed(coef, t, p);
    const brow = s.binom + ((<usize>(d + 2 - t) * <usize>(n + 1)) << 3);
    const offset = above + below;
    for (let j = hi - 1; j > lo; j--) {
      const off = (<usize>j) << 2;
      let m = max(diam, max(load<f32>(r0 + off), load<f32>(r1 + off)));
      if (d >= 2) m = max(m, max(load<f32>(r2 + off), load<f32>(r3 + off)));
      if (m <= thr) {
        const slot = base + <usize>size * SLOT;
        store<i64>(slot, entryOf(offset + load<i64>(brow + ((<usize>j) << 3)), c));
        store<f32>(slot, m, 8);
        size++;
      }
    }
    if (t <= d) {
      const v = vget(vtx, t);
      below -= binomial(s, v, d + 1 - t);
      above += binomial(s, v, d + 2 - t);
      hi = v;
    }
  }
  s.heapSize = size;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Sorting

/** In-place ascending sort of i64 values (quicksort, median of three, insertion sort below). */
function sortI64(base: usize, lo: i32, hi: i32): void {
  // [lo, hi) ; recursion on the smaller part keeps the stack O(log n).
  while (hi - lo > INSERTION_SORT_THRESHOLD) {
    const mid = lo + ((hi - lo) >> 1);
    let a = load<i64>(base + ((<usize>lo) << 3));
    let b = load<i64>(base + ((<usize>mid) << 3));
    let c = load<i64>(base + ((<usize>(hi - 1)) << 3));
    // median of three
    let pivot = max(min(a, b), min(max(a, b), c));
    let i = lo;
    let j = hi - 1;
    while (i <= j) {
      while (load<i64>(base + ((<usize>i) << 3)) < pivot) i++;
      while (load<i64>(base + ((<usize>j) << 3)) > pivot) j--;
      if (i <= j) {
        const t = load<i64>(base + ((<usize>i) << 3));
        store<i64>(base + ((<usize>i) << 3), load<i64>(base + ((<usize>j) << 3)));
        store<i64>(base + ((<usize>j) << 3), t);
        i++;
        j--;
      }
    }
    if (j + 1 - lo < hi - i) {
      sortI64(base, lo, j + 1);
      lo = i;
    } else {
      sortI64(base, i, hi);
      hi = j + 1;
    }
  }
  for (let i = lo + 1; i < hi; i++) {
    const v = load<i64>(base + ((<usize>i) << 3));
    let k = i - 1;
    while (k >= lo && load<i64>(base + ((<usize>k) << 3)) > v) {
      store<i64>(base + ((<usize>(k + 1)) << 3), load<i64>(base + ((<usize>k) << 3)));
      k--;
    }
    store<i64>(base + ((<usize>(k + 1)) << 3), v);
  }
}

/**
 * Stable LSD radix sort of `count` (f32 key ≥ 0, payload) pairs by decreasing key: four 8-bit
 * passes over the bits of the key (non-negative floats order like their bit patterns), passes
 * whose digit is constant skipped. Payload is 8 bytes (i64) or 4 (u32) per element. Result
 * in (keys, vals); tmpKeys/tmpVals are scratch of the same sizes; hist is 256 i32.
 */
function radixSortDescending(
  keys: usize, vals: usize, tmpKeys: usize, tmpVals: usize, count: i32, valBytes: i32, hist: usize,
): void {
  let srcK = keys;
  let srcV = vals;
  let dstK = tmpKeys;
  let dstV = tmpVals;
  for (let shift: u32 = 0; shift < 32; shift += 8) {
    memory.fill(hist, 0, <usize>RADIX_BUCKETS << 2);
    for (let i = 0; i < count; i++) {
      const digit = ((~load<u32>(srcK + ((<usize>i) << 2))) >> shift) & 255;
      const h = hist + ((<usize>digit) << 2);
      store<i32>(h, load<i32>(h) + 1);
    }
    let constant = false;
    for (let b = 0; b < RADIX_BUCKETS; b++) {
      if (load<i32>(hist + ((<usize>b) << 2)) == count) constant = true;
    }
    if (constant) continue;
    let sum = 0;
    for (let b = 0; b < RADIX_BUCKETS; b++) {
      const h = hist + ((<usize>b) << 2);
      const c = load<i32>(h);
      store<i32>(h, sum);
      sum += c;
    }
    for (let i = 0; i < count; i++) {
      const key = load<u32>(srcK + ((<usize>i) << 2));
      const digit = ((~key) >> shift) & 255;
      const h = hist + ((<usize>digit) << 2);
      const pos = load<i32>(h);
      store<i32>(h, pos + 1);
      store<u32>(dstK + ((<usize>pos) << 2), key);
      if (valBytes == 8) store<i64>(dstV + ((<usize>pos) << 3), load<i64>(srcV + ((<usize>i) << 3)));
      else store<u32>(dstV + ((<usize>pos) << 2), load<u32>(srcV + ((<usize>i) << 2)));
    }
    let t = srcK;
    srcK = dstK;
    dstK = t;
    t = srcV;
    srcV = dstV;
    dstV = t;
  }
  if (srcK != keys) {
    memory.copy(keys, srcK, (<usize>count) << 2);
    memory.copy(vals, srcV, <usize>count * <usize>valBytes);
  }
}

// ---------------------------------------------------------------------------------------------
// Lifecycle

/**
 * A new computation on n points up to degree maxdim with Z/modulus coefficients. Returns the
 * state, or 0 when C(n, maxdim + 2) overflows the 55-bit index (the caller checks first).
 * The byte budget starts unlimited (wasm32); set it with ripsSetBudget before filling.
 */
export function ripsCreate(n: i32, maxdim: i32, modulus: i32, cocycles: i32, cycles: i32): usize {
  const ptr = heap.alloc(offsetof<RipsState>());
  memory.fill(ptr, 0, offsetof<RipsState>());
  const s = state(ptr);
  s.n = n;
  s.maxdim = maxdim;
  s.modulus = modulus;
  s.cocycles = cocycles;
  s.cycles = cycles;
  s.budget = <u64>0xffff0000;
  s.threshold = Infinity;
  s.statCollapsed = -1;
  s.pivotEntry = NONE;
  const kmax = maxdim + 2;
  s.dist = fixedBlock(s, (<u64>n * <u64>n) << 2);
  s.binom = fixedBlock(s, (<u64>(kmax + 1) * <u64>(n + 1)) << 3);
  s.inverse = fixedBlock(s, (<u64>MAX_MODULUS + 1) << 2);
  s.vtx = fixedBlock(s, 4 * VTX_BYTES);
  s.parent = fixedBlock(s, (<u64>n + 1) << 2);
  if (s.status != RIPS_OK) return ptr;
  // Pascal's rule, saturating at MAX_INDEX + 1 so an overflow is detected, not wrapped.
  let overflow = false;
  for (let k = 0; k <= kmax; k++) {
    for (let j = 0; j <= n; j++) {
      let c: i64;
      if (k == 0) c = 1;
      else if (j == 0) c = 0;
      else {
        c = binomial(s, j - 1, k - 1) + binomial(s, j - 1, k);
        if (c > MAX_INDEX) {
          c = MAX_INDEX + 1;
          overflow = true;
        }
      }
      store<i64>(s.binom + ((<usize>k * <usize>(n + 1) + <usize>j) << 3), c);
    }
  }
  if (overflow) s.status = RIPS_OVERFLOW;
  // Inverses mod p by search: p ≤ 251, so at most 251² steps once.
  for (let a = 1; a < modulus; a++) {
    for (let b = 1; b < modulus; b++) {
      if ((a * b) % modulus == 1) {
        store<i32>(s.inverse + ((<usize>a) << 2), b);
        break;
      }
    }
  }
  return ptr;
}

/** Free the state and everything it owns. */
export function ripsFree(ptr: usize): void {
  const s = state(ptr);
  for (let f = offsetof<RipsState>("mapPtr"); f <= offsetof<RipsState>("scratch"); f += 2 * sizeof<usize>()) {
    release(s, f);
  }
  if (s.dist) heap.free(s.dist);
  if (s.binom) heap.free(s.binom);
  if (s.inverse) heap.free(s.inverse);
  if (s.vtx) heap.free(s.vtx);
  if (s.parent) heap.free(s.parent);
  if (s.savedMapPtr) heap.free(s.savedMapPtr);
  heap.free(ptr);
}

/** Byte budget for everything the state owns (the distance block included). */
export function ripsSetBudget(ptr: usize, bytes: f64): void {
  state(ptr).budget = <u64>bytes;
}

export function ripsStatus(ptr: usize): i32 {
  return state(ptr).status;
}

/** Bytes a failed growth needed in all (valid after RIPS_TOO_LARGE). */
export function ripsFailBytes(ptr: usize): f64 {
  return <f64>state(ptr).failBytes;
}

/** Largest number of bytes the state has owned at once. */
export function ripsPeakBytes(ptr: usize): f64 {
  return <f64>state(ptr).peak;
}

/** The n × n f32 distance block for the caller to fill (input "distances"). */
export function ripsDistanceBuffer(ptr: usize): usize {
  return state(ptr).dist;
}

// ---------------------------------------------------------------------------------------------
// Distances

/**
 * Euclidean distances of rows [i0, i1) of the n × d f32 points to all lower rows, written to
 * both triangles of the distance block. Differences and sums in f64 (f64x2), then one rounding
 * to f32: the value a float64 distance matrix converted to float32 holds (ripser.py, make.py).
 */
export function ripsPointDistances(ptr: usize, points: usize, d: i32, i0: i32, i1: i32): void {
  const s = state(ptr);
  const n = s.n;
  const d4 = d & ~3;
  for (let i = i0; i < i1; i++) {
    const xi = points + ((<usize>i * <usize>d) << 2);
    const rowI = rowOf(s, i);
    for (let j = 0; j < i; j++) {
      const xj = points + ((<usize>j * <usize>d) << 2);
      let acc0 = f64x2.splat(0);
      let acc1 = f64x2.splat(0);
      for (let k = 0; k < d4; k += 4) {
        const off = (<usize>k) << 2;
        const a = v128.load(xi + off);
        const b = v128.load(xj + off);
        const lo = f64x2.sub(f64x2.promote_low_f32x4(a), f64x2.promote_low_f32x4(b));
        const ah = v128.shuffle<f32>(a, a, 2, 3, 0, 1);
        const bh = v128.shuffle<f32>(b, b, 2, 3, 0, 1);
        const hi = f64x2.sub(f64x2.promote_low_f32x4(ah), f64x2.promote_low_f32x4(bh));
        acc0 = f64x2.add(acc0, f64x2.mul(lo, lo));
        acc1 = f64x2.add(acc1, f64x2.mul(hi, hi));
      }
      const acc = f64x2.add(acc0, acc1);
      let sum = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
      for (let k = d4; k < d; k++) {
        const t = <f64>load<f32>(xi + ((<usize>k) << 2)) - <f64>load<f32>(xj + ((<usize>k) << 2));
        sum += t * t;
      }
      const v = <f32>Math.sqrt(sum);
      store<f32>(rowI + ((<usize>j) << 2), v);
      store<f32>(rowOf(s, j) + ((<usize>i) << 2), v);
    }
    store<f32>(rowI + ((<usize>i) << 2), 0);
  }
}

/** min over i of max over j of d(i, j): above it the complex is a cone (Ripser's default). */
export function ripsEnclosingRadius(ptr: usize): f32 {
  const s = state(ptr);
  const n = s.n;
  let radius: f32 = Infinity;
  for (let i = 0; i < n; i++) {
    const row = rowOf(s, i);
    let r = f32x4.splat(0);
    const n4 = n & ~3;
    for (let j = 0; j < n4; j += 4) r = f32x4.max(r, v128.load(row + ((<usize>j) << 2)));
    let m = max(max(f32x4.extract_lane(r, 0), f32x4.extract_lane(r, 1)), max(f32x4.extract_lane(r, 2), f32x4.extract_lane(r, 3)));
    for (let j = n4; j < n; j++) m = max(m, load<f32>(row + ((<usize>j) << 2)));
    radius = min(radius, m);
  }
  return radius;
}

export function ripsSetThreshold(ptr: usize, threshold: f32): void {
  state(ptr).threshold = threshold;
}

// ---------------------------------------------------------------------------------------------
// Edges

/**
 * All edges with value ≤ threshold, sorted by decreasing (value, index) — ties by increasing
 * index, which the stable sort keeps from the index-order enumeration. Keys f32 in edgeKey,
 * payload u32 (a << 16 | b, a > b) in edgeVal. Returns the count or −1 on RIPS_TOO_LARGE.
 */
function collectEdges(s: RipsState): i32 {
  const n = s.n;
  const thr = s.threshold;
  let count: u64 = 0;
  for (let a = 1; a < n; a++) {
    const row = rowOf(s, a);
    for (let b = 0; b < a; b++) if (load<f32>(row + ((<usize>b) << 2)) <= thr) count++;
  }
  const bytes = count << 2;
  if (
    !reserve(s, offsetof<RipsState>("edgeKey"), bytes) ||
    !reserve(s, offsetof<RipsState>("edgeVal"), bytes) ||
    !reserve(s, offsetof<RipsState>("tmpKey"), bytes) ||
    !reserve(s, offsetof<RipsState>("tmpVal"), bytes) ||
    !reserve(s, offsetof<RipsState>("scratch"), <u64>RADIX_BUCKETS << 2)
  ) {
    return -1;
  }
  let e = 0;
  for (let a = 1; a < n; a++) {
    const row = rowOf(s, a);
    for (let b = 0; b < a; b++) {
      const v = load<f32>(row + ((<usize>b) << 2));
      if (v <= thr) {
        store<f32>(s.edgeKey + ((<usize>e) << 2), v);
        store<u32>(s.edgeVal + ((<usize>e) << 2), ((<u32>a) << 16) | <u32>b);
        e++;
      }
    }
  }
  radixSortDescending(s.edgeKey, s.edgeVal, s.tmpKey, s.tmpVal, e, 4, s.scratch);
  release(s, offsetof<RipsState>("tmpKey"));
  release(s, offsetof<RipsState>("tmpVal"));
  s.edgeCount = e;
  s.statEdges = e;
  return e;
}

// ---------------------------------------------------------------------------------------------
// Edge collapse (Boissonnat–Pritam 2020; one backward sweep, Glisse–Pritam 2022)

/** Bytes of one collapse scratch slot: g (f32 n), P list and its candidate copy (i32 n each), L heap (f32 + i32 per vertex). */
// @ts-ignore: decorator
@inline function collapseSlotBytes(n: i32): usize {
  return (((<usize>n) * 20 + 64) + 15) & ~(<usize>15);
}

/** Bytes of one speculative record of the shared sweep: value f32, reach f32, two dominators i32. */
// @ts-ignore: decorator
@inline const COLLAPSE_RECORD: usize = 16;

/**
 * Prepare the collapse: distances above the threshold become +∞ (absent edges) and the edges
 * are listed by decreasing value. `slots` scratch slots (one per thread) and a ring of `batch`
 * speculative edges for the shared sweep (ripsCollapseShared; 0 for the one-thread sweep only).
 * Returns the number of edges, or −1 on RIPS_TOO_LARGE.
 */
export function ripsCollapseBegin(ptr: usize, slots: i32, batch: i32): i32 {
  const s = state(ptr);
  const n = s.n;
  const thr = s.threshold;
  for (let i = 0; i < n; i++) {
    const row = rowOf(s, i);
    for (let j = 0; j < n; j++) {
      if (load<f32>(row + ((<usize>j) << 2)) > thr) store<f32>(row + ((<usize>j) << 2), Infinity);
    }
  }
  const count = collectEdges(s);
  if (count < 0) return -1;
  initPackLanes();
  s.collapseSlots = max(slots, 1);
  s.collapseBatch = max(batch, 0);
  // The shared sweep's ring: a record (16 bytes), a changed-edge slot (4) and the committed
  // prefix the record saw (4) per edge, one flag per chunk of COLLAPSE_CHUNK edges, and its
  // control words.
  const ring = <u64>s.collapseBatch;
  const bytes =
    <u64>s.collapseSlots * <u64>collapseSlotBytes(n) +
    ring * (<u64>COLLAPSE_RECORD + 8) +
    (ring > 0 ? <u64>COLLAPSE_CONTROL_BYTES + ((ring / <u64>COLLAPSE_CHUNK + 1) << 2) : 0);
  if (!reserve(s, offsetof<RipsState>("work"), bytes)) return -1;
  if (ring > 0) memory.fill(collapseControl(s), 0, COLLAPSE_CONTROL_BYTES + ((<usize>ring / <usize>COLLAPSE_CHUNK + 1) << 2));
  return count;
}

/**
 * packLanes: 16 shuffle masks, one per 4-bit lane mask m, that move the i32 lanes selected by m
 * to the front of a v128 (v128.swizzle), so a filter writes four candidates with one store and
 * advances by popcnt(m). Built once by initPackLanes.
 */
const PACK_LANES: usize = memory.data(256, 16);
let packLanesReady = false;

function initPackLanes(): void {
  if (packLanesReady) return;
  for (let m = 0; m < 16; m++) {
    let out = 0;
    for (let lane = 0; lane < 4; lane++) {
      if ((m >> lane) & 1) {
        for (let b = 0; b < 4; b++) store<u8>(PACK_LANES + <usize>(m * 16 + out * 4 + b), <u8>(lane * 4 + b));
        out++;
      }
    }
    // Unused lanes repeat lane 0; they land past the count and are overwritten later.
    for (; out < 4; out++) for (let b = 0; b < 4; b++) store<u8>(PACK_LANES + <usize>(m * 16 + out * 4 + b), <u8>b);
  }
  packLanesReady = true;
}

// L heap (min by value): 8-byte slots (f32 value, i32 vertex).
function lSiftDown(base: usize, size: i32, start: i32): void {
  let i = start;
  const v = load<f32>(base + ((<usize>i) << 3));
  const w = load<i32>(base + ((<usize>i) << 3), 4);
  while (true) {
    let c = 2 * i + 1;
    if (c >= size) break;
    let vc = load<f32>(base + ((<usize>c) << 3));
    const r = c + 1;
    if (r < size) {
      const vr = load<f32>(base + ((<usize>r) << 3));
      if (vr < vc) {
        c = r;
        vc = vr;
      }
    }
    if (!(vc < v)) break;
    store<u64>(base + ((<usize>i) << 3), load<u64>(base + ((<usize>c) << 3)));
    i = c;
  }
  store<f32>(base + ((<usize>i) << 3), v);
  store<i32>(base + ((<usize>i) << 3), w, 4);
}

/**
 * True when every vertex of the list P (count entries) is within `t` of c in the current
 * graph, i.e. the closed neighbourhood of c contains the common neighbourhood of the edge.
 * A vertex that refutes c moves to the front of P ("move to front"): far vertices refute the
 * next candidates quickly too.
 */
// @ts-ignore: decorator
@inline function dominates(s: RipsState, c: i32, plist: usize, count: i32, t: f32): bool {
  const row = rowOf(s, c);
  for (let k = 0; k < count; k++) {
    const w = load<i32>(plist + ((<usize>k) << 2));
    if (load<f32>(row + ((<usize>w) << 2)) > t) {
      if (k > 0) {
        store<i32>(plist + ((<usize>k) << 2), load<i32>(plist));
        store<i32>(plist, w);
      }
      return false;
    }
  }
  return true;
}

/** A vertex of P dominating the edge at value t, or −1 (the list order changes). */
function findDominator(s: RipsState, g: usize, plist: usize, count: i32, t: f32, hint: i32): i32 {
  // The hint (the last dominator) must itself be a common neighbour present at t: g ≤ t.
  if (hint >= 0 && load<f32>(g + ((<usize>hint) << 2)) <= t && dominates(s, hint, plist, count, t)) {
    return hint;
  }
  // Candidates in vertex order from a copy: dominates() reorders the list itself.
  const cand = plist + ((<usize>count) << 2);
  memory.copy(cand, plist, (<usize>count) << 2);
  for (let k = 0; k < count; k++) {
    const c = load<i32>(cand + ((<usize>k) << 2));
    if (dominates(s, c, plist, count, t)) return c;
  }
  return -1;
}

// What collapseEdge saw, per instance (each kernel thread has its own globals): the largest
// filtration value it compared against (+∞ when the edge was removed) and the dominators it
// used (−1 none; COLLAPSE_MANY_DOMINATORS in the second when more than two).
let collapseReach: f32 = 0;
let collapseDominator0: i32 = -1;
let collapseDominator1: i32 = -1;
/** The last dominator collapseEdge found (−1 none): the next edge's first candidate. */
let collapseLast: i32 = -1;
// @ts-ignore: decorator
@inline const COLLAPSE_MANY_DOMINATORS: i32 = -2;

/**
 * The new value of edge e of the decreasing list in the current graph: its own value when it is
 * not dominated, the value it is delayed to, or +∞ when it is removed (Glisse–Pritam 2022,
 * Algorithm 1). Its common neighbours w have entry value g(w) = max(d(u,w), d(v,w)); P =
 * {g ≤ t}, L = {t < g < ∞}. While some c ∈ P dominates (P ⊆ N[c] at t), uv can be delayed to the
 * next entry value in L, as long as c keeps dominating the entering vertices; with L exhausted
 * the edge is removed. The value is the first entry value at which no vertex dominates, so it
 * does not depend on which dominator is found first (`hint`, the last one, is tried first). Reads
 * the distances only: the caller writes the value. Scratch at g (collapseSlotBytes).
 */
function collapseEdge(s: RipsState, e: i32, g: usize, hint: i32): f32 {
  const n = s.n;
  const plist = g + ((<usize>n) << 2);
  const lheap = plist + ((<usize>n) << 3);
  const t0 = load<f32>(s.edgeKey + ((<usize>e) << 2));
  const uv = load<u32>(s.edgeVal + ((<usize>e) << 2));
  const u = <i32>(uv >> 16);
  const v = <i32>(uv & 0xffff);
  const ru = rowOf(s, u);
  const rv = rowOf(s, v);
  // One pass, four vertices at a time: the entry values g of the common neighbours, the list
  // P = {g ≤ t0} packed with packLanes, and the size of L = {t0 < g < ∞} (L itself is built
  // only when a dominator makes it needed). u and v have g = t0 (their zero diagonal and the
  // edge itself) and land in P; they are taken out after the pass, which leaves the rows as
  // they are, so threads may read them at once.
  const n4 = n & ~3;
  let pc = 0;
  let lc = 0;
  const tv = f32x4.splat(t0);
  const inf = f32x4.splat(Infinity);
  let ids = i32x4(0, 1, 2, 3);
  const four = i32x4.splat(4);
  for (let j = 0; j < n4; j += 4) {
    const off = (<usize>j) << 2;
    const gv = f32x4.max(v128.load(ru + off), v128.load(rv + off));
    v128.store(g + off, gv);
    const inP = i32x4.bitmask(f32x4.le(gv, tv));
    const inL = i32x4.bitmask(v128.and(f32x4.gt(gv, tv), f32x4.lt(gv, inf)));
    v128.store(plist + ((<usize>pc) << 2), v128.swizzle(ids, v128.load(PACK_LANES + ((<usize>inP) << 4))));
    pc += popcnt<i32>(inP);
    lc += popcnt<i32>(inL);
    ids = i32x4.add(ids, four);
  }
  for (let j = n4; j < n; j++) {
    const off = (<usize>j) << 2;
    const gj = max(load<f32>(ru + off), load<f32>(rv + off));
    store<f32>(g + off, gj);
    store<i32>(plist + ((<usize>pc) << 2), j);
    pc += i32(gj <= t0);
    lc += i32(gj > t0) & i32(gj < Infinity);
  }
  let kept = 0;
  for (let k = 0; k < pc; k++) {
    const w = load<i32>(plist + ((<usize>k) << 2));
    if (w != u && w != v) {
      store<i32>(plist + ((<usize>kept) << 2), w);
      kept++;
    }
  }
  pc = kept;
  store<f32>(g + ((<usize>u) << 2), Infinity);
  store<f32>(g + ((<usize>v) << 2), Infinity);
  collapseDominator0 = -1;
  collapseDominator1 = -1;
  collapseLast = -1;
  let t = t0;
  let heapified = false;
  let dead = false;
  while (true) {
    const c = findDominator(s, g, plist, pc, t, hint);
    if (c < 0) break;
    hint = c;
    collapseLast = c;
    if (collapseDominator0 < 0) collapseDominator0 = c;
    else if (c != collapseDominator0 && collapseDominator1 != c) {
      collapseDominator1 = collapseDominator1 == -1 ? c : COLLAPSE_MANY_DOMINATORS;
    }
    let still = true;
    do {
      if (lc == 0) {
        dead = true;
        break;
      }
      if (!heapified) {
        // L as heap slots (value, vertex), branch-free as the lists above, then heapified.
        let k = 0;
        for (let j = 0; j < n; j++) {
          const gj = load<f32>(g + ((<usize>j) << 2));
          store<f32>(lheap + ((<usize>k) << 3), gj);
          store<i32>(lheap + ((<usize>k) << 3), j, 4);
          k += i32(gj > t0) & i32(gj < Infinity);
        }
        for (let i = (lc >> 1) - 1; i >= 0; i--) lSiftDown(lheap, lc, i);
        heapified = true;
      }
      t = load<f32>(lheap);
      const rc = rowOf(s, c);
      while (lc > 0 && load<f32>(lheap) <= t) {
        const w = load<i32>(lheap, 4);
        if (load<f32>(rc + ((<usize>w) << 2)) > t) still = false;
        store<i32>(plist + ((<usize>pc) << 2), w);
        pc++;
        lc--;
        if (lc > 0) {
          store<u64>(lheap, load<u64>(lheap + ((<usize>lc) << 3)));
          lSiftDown(lheap, lc, 0);
        }
      }
    } while (still);
    if (dead) break;
  }
  collapseReach = dead ? Infinity : t;
  return dead ? Infinity : t;
}

/** Write edge e's new value (both triangles) when it changed; true when it did. */
// @ts-ignore: decorator
@inline function applyCollapse(s: RipsState, e: i32, value: f32): bool {
  if (value == load<f32>(s.edgeKey + ((<usize>e) << 2))) return false;
  const uv = load<u32>(s.edgeVal + ((<usize>e) << 2));
  const u = <i32>(uv >> 16);
  const v = <i32>(uv & 0xffff);
  store<f32>(rowOf(s, u) + ((<usize>v) << 2), value);
  store<f32>(rowOf(s, v) + ((<usize>u) << 2), value);
  return true;
}

/** Collapse edges [e0, e1) of the decreasing list in order, on the calling thread. */
export function ripsCollapse(ptr: usize, e0: i32, e1: i32): void {
  const s = state(ptr);
  let hint = -1;
  for (let e = e0; e < e1; e++) {
    applyCollapse(s, e, collapseEdge(s, e, s.work, hint));
    if (collapseLast >= 0) hint = collapseLast;
  }
}

// Speculation (threads). The sweep is sequential: an edge's new value depends on the values
// earlier edges left. Edges can still be computed ahead against the graph as it is (reading
// only), then committed in order, keeping an edge's speculative value unless an earlier edge
// changed an entry it may depend on since, and recomputing it in order otherwise. Values only
// grow (a delay or a removal). Take an edge e = uv whose speculative run reached value T_e
// (its result, +∞ for a removal) with dominators D_e, and an earlier changed edge ab, of
// value t' (≥ t0 of e). If {a, b} misses D_e, then at every value t < T_e the dominator the run
// used at t still has its entry value g and its row, and P(t) can only have shrunk (g only
// grows), so e is still dominated there: a removed edge stays removed. A delayed or kept edge
// also needs P(T_e) unchanged, so that no dominator appears at T_e: true when {a, b} misses
// {u, v} (g of every vertex unchanged) or t' > T_e (entries above T_e compare the same). So the
// commit recomputes e when ab meets D_e, or when T_e is finite, t' ≤ T_e and ab meets {u, v};
// the graph is then the one the one-thread sweep leaves, bit for bit, whatever the number of
// threads. (Speculating in whole batches, each committed on one thread while the others wait,
// took 1.6–1.9× the sweep's time on 2 cores; the shared sweep below commits as it goes.)

// The shared sweep (threads). One job per segment of edges, run by every thread at once
// (ripsCollapseShared): edges are speculated in chunks of COLLAPSE_CHUNK against the graph as it
// is when the chunk is claimed, at most `batch` (the ring) edges past the committed prefix, and
// committed in order by whichever thread holds the commit lock, while the others go on
// speculating. A thread speculating edge e records the committed prefix P it saw before reading
// the graph: the edges before P are in its view, those in [P, e) may or may not be (the
// committer writes while others read). Every entry of the graph only grows, so the argument
// above holds for any mixture of these changes: the commit recomputes e exactly when a changed
// edge of [P, e) meets its dominators, or when its value is finite and a changed edge of [P, e)
// of value ≤ it meets {u, v}. The graph left is the one-thread sweep's, bit for bit; only how
// many edges are recomputed depends on timing. No thread waits for a given other thread except
// for the speculation of the next chunk to commit, which the thread that claimed it is running,
// so a job whose kernel threads start late runs on the threads that came.

/**
 * The last dominator this thread found in the shared sweep: the first candidate for its next
 * edge, as in the sweep (values do not depend on it; the edges a thread takes are near each
 * other). Reset at the start of every job.
 */
let sharedHint: i32 = -1;

/** Edges per speculation chunk of ripsCollapseShared. */
// @ts-ignore: decorator
@inline const COLLAPSE_CHUNK: i32 = 4;
/** Control words of ripsCollapseShared: committed prefix, next claim, commit lock, changed count. */
// @ts-ignore: decorator
@inline const COLLAPSE_CONTROL_BYTES: usize = 64;
// @ts-ignore: decorator
@inline const CTL_COMMITTED: usize = 0;
// @ts-ignore: decorator
@inline const CTL_CLAIM: usize = 4;
// @ts-ignore: decorator
@inline const CTL_LOCK: usize = 8;
// @ts-ignore: decorator
@inline const CTL_CHANGED: usize = 12;
// @ts-ignore: decorator
@inline const CTL_REDONE: usize = 16;
/** Bumped on every flag and commit (what an idle thread waits on), and the threads waiting. */
// @ts-ignore: decorator
@inline const CTL_EPOCH: usize = 20;
// @ts-ignore: decorator
@inline const CTL_WAITERS: usize = 24;
/** Polls of the epoch before an idle thread that may block sleeps on it (a few microseconds). */
// @ts-ignore: decorator
@inline const COLLAPSE_SPIN: i32 = 2000;
/** Longest sleep of an idle thread (ns): it also wakes on every bump of the epoch. */
// @ts-ignore: decorator
@inline const COLLAPSE_SLEEP_NS: i64 = 1000000;

/** The ring's control words (after the records, changed list and prefixes). */
// @ts-ignore: decorator
@inline function collapseControl(s: RipsState): usize {
  return s.work + <usize>s.collapseSlots * collapseSlotBytes(s.n) + <usize>s.collapseBatch * (COLLAPSE_RECORD + 8);
}

/**
 * Start a segment [e0, e1) of the shared sweep: e0 is the number of edges committed so far and a
 * multiple of COLLAPSE_CHUNK (ripsCollapseBegin with `batch` a multiple of it, at least 2 chunks).
 */
export function ripsCollapseSharedBegin(ptr: usize, e0: i32): void {
  const s = state(ptr);
  const ctl = collapseControl(s);
  store<i32>(ctl + CTL_COMMITTED, e0);
  store<i32>(ctl + CTL_CLAIM, e0);
  store<i32>(ctl + CTL_LOCK, 0);
}

/**
 * The shared sweep of edges [e0, e1) (after ripsCollapseSharedBegin(e0)), run at once by every
 * thread of a job, each with its own scratch slot; returns when the segment is committed. A
 * thread with nothing to do polls, then sleeps on the epoch word when `mayBlock` (a browser's
 * main thread may not), so a thread whose partner lost its core to another process gives the
 * core back instead of spinning.
 */
export function ripsCollapseShared(ptr: usize, e0: i32, e1: i32, slot: i32, mayBlock: i32): void {
  const s = state(ptr);
  if (!ASC_FEATURE_THREADS) {
    // The one-thread build runs the sweep (slot 0 only: a job there has one chunk per slot).
    if (slot == 0) ripsCollapse(ptr, e0, e1);
    return;
  }
  const slotBytes = collapseSlotBytes(s.n);
  const g = s.work + <usize>slot * slotBytes;
  const ring = s.collapseBatch;
  const records = s.work + <usize>s.collapseSlots * slotBytes;
  const changed = records + <usize>ring * COLLAPSE_RECORD;
  const prefix = changed + (<usize>ring << 2);
  const ctl = prefix + (<usize>ring << 2);
  const flags = ctl + COLLAPSE_CONTROL_BYTES;
  const chunks = ring / COLLAPSE_CHUNK;
  // A hint left by an earlier computation may name no vertex of this one.
  sharedHint = -1;
  while (true) {
    const epoch = atomic.load<i32>(ctl + CTL_EPOCH);
    const committed = atomic.load<i32>(ctl + CTL_COMMITTED);
    if (committed >= e1) break;
    // Commit what is ready, in order.
    const flag = flags + ((<usize>((committed / COLLAPSE_CHUNK) % chunks)) << 2);
    if (atomic.load<i32>(flag) == committed + 1 && atomic.cmpxchg<i32>(ctl + CTL_LOCK, 0, 1) == 0) {
      let c = atomic.load<i32>(ctl + CTL_COMMITTED);
      let count = load<i32>(ctl + CTL_CHANGED);
      let redone = 0;
      while (c < e1) {
        const f = flags + ((<usize>((c / COLLAPSE_CHUNK) % chunks)) << 2);
        if (atomic.load<i32>(f) != c + 1) break;
        const end = min(c + COLLAPSE_CHUNK, e1);
        for (let e = c; e < end; e++) {
          const r = e % ring;
          const rec = records + <usize>r * COLLAPSE_RECORD;
          let value = load<f32>(rec);
          const reach = load<f32>(rec, 4);
          const d0 = load<i32>(rec, 8);
          const d1 = load<i32>(rec, 12);
          const seen = load<i32>(prefix + ((<usize>r) << 2));
          const uv = load<u32>(s.edgeVal + ((<usize>e) << 2));
          const u = <i32>(uv >> 16);
          const v = <i32>(uv & 0xffff);
          let stale = false;
          // The changed edges of [seen, e): the newest ones of the list (fewer than the ring).
          for (let k = count - 1; k >= 0 && count - k <= ring; k--) {
            const fe = load<i32>(changed + ((<usize>(k % ring)) << 2));
            if (fe < seen) break;
            const ab = load<u32>(s.edgeVal + ((<usize>fe) << 2));
            const a = <i32>(ab >> 16);
            const b = <i32>(ab & 0xffff);
            const dominator = d1 == COLLAPSE_MANY_DOMINATORS || a == d0 || b == d0 || (d1 >= 0 && (a == d1 || b == d1));
            const entry = reach < Infinity && load<f32>(s.edgeKey + ((<usize>fe) << 2)) <= reach && (a == u || a == v || b == u || b == v);
            if (dominator || entry) {
              stale = true;
              break;
            }
          }
          if (stale) {
            value = collapseEdge(s, e, g, sharedHint);
            if (collapseLast >= 0) sharedHint = collapseLast;
            redone++;
          }
          if (applyCollapse(s, e, value)) {
            store<i32>(changed + ((<usize>(count % ring)) << 2), e);
            count++;
          }
        }
        c = end;
        // Publishes the graph's writes of the chunk to every thread that reads the prefix.
        atomic.store<i32>(ctl + CTL_COMMITTED, c);
      }
      store<i32>(ctl + CTL_CHANGED, count);
      store<i32>(ctl + CTL_REDONE, load<i32>(ctl + CTL_REDONE) + redone);
      atomic.store<i32>(ctl + CTL_LOCK, 0);
      collapseBump(ctl);
      continue;
    }
    // Speculate the next chunk, when it fits in the ring.
    const claim = atomic.load<i32>(ctl + CTL_CLAIM);
    if (claim < e1 && claim + COLLAPSE_CHUNK <= committed + ring && atomic.cmpxchg<i32>(ctl + CTL_CLAIM, claim, claim + COLLAPSE_CHUNK) == claim) {
      const seen = atomic.load<i32>(ctl + CTL_COMMITTED);
      const end = min(claim + COLLAPSE_CHUNK, e1);
      let hint = sharedHint;
      for (let e = claim; e < end; e++) {
        const value = collapseEdge(s, e, g, hint);
        const r = e % ring;
        const rec = records + <usize>r * COLLAPSE_RECORD;
        store<f32>(rec, value);
        store<f32>(rec, collapseReach, 4);
        store<i32>(rec, collapseDominator0, 8);
        store<i32>(rec, collapseDominator1, 12);
        store<i32>(prefix + ((<usize>r) << 2), seen);
        if (collapseLast >= 0) hint = collapseLast;
      }
      sharedHint = hint;
      // Publishes the records to the committer that reads the flag.
      atomic.store<i32>(flags + ((<usize>((claim / COLLAPSE_CHUNK) % chunks)) << 2), claim + 1);
      collapseBump(ctl);
      continue;
    }
    // Nothing to do: wait for a flag or a commit.
    let spins = 0;
    while (spins < COLLAPSE_SPIN && atomic.load<i32>(ctl + CTL_EPOCH) == epoch) spins++;
    if (spins == COLLAPSE_SPIN && mayBlock != 0) {
      atomic.add<i32>(ctl + CTL_WAITERS, 1);
      atomic.wait<i32>(ctl + CTL_EPOCH, epoch, COLLAPSE_SLEEP_NS);
      atomic.sub<i32>(ctl + CTL_WAITERS, 1);
    }
  }
}

/** Bump the epoch and wake the threads sleeping on it. */
function collapseBump(ctl: usize): void {
  if (!ASC_FEATURE_THREADS) return;
  atomic.add<i32>(ctl + CTL_EPOCH, 1);
  if (atomic.load<i32>(ctl + CTL_WAITERS) > 0) atomic.notify(ctl + CTL_EPOCH, -1);
}

/** Edges the shared sweep recomputed in order so far. */
export function ripsCollapseSharedRedone(ptr: usize): i32 {
  return load<i32>(collapseControl(state(ptr)) + CTL_REDONE);
}

/** Finish the collapse; returns the number of edges left. */
export function ripsCollapseEnd(ptr: usize): i32 {
  const s = state(ptr);
  const n = s.n;
  let left = 0;
  for (let a = 1; a < n; a++) {
    const row = rowOf(s, a);
    for (let b = 0; b < a; b++) if (load<f32>(row + ((<usize>b) << 2)) <= s.threshold) left++;
  }
  release(s, offsetof<RipsState>("edgeKey"));
  release(s, offsetof<RipsState>("edgeVal"));
  release(s, offsetof<RipsState>("work"));
  s.edgeCount = 0;
  s.statCollapsed = left;
  return left;
}

// ---------------------------------------------------------------------------------------------
// Pairs output

function emitPair(s: RipsState, birth: f32, death: f32): bool {
  if (!reserve(s, offsetof<RipsState>("pairs"), (<u64>s.pairCount + 1) << 3)) return false;
  store<f32>(s.pairs + ((<usize>s.pairCount) << 3), birth);
  store<f32>(s.pairs + ((<usize>s.pairCount) << 3), death, 4);
  s.pairCount++;
  return true;
}

/** Remember the birth edge of the pair just emitted (degree 1, for the cycle pass). */
function recordBirthEdge(s: RipsState, edge: i64): bool {
  if (!reserve(s, offsetof<RipsState>("pairEdge"), (<u64>s.pairCount) << 3)) return false;
  store<i64>(s.pairEdge + ((<usize>(s.pairCount - 1)) << 3), edge);
  return true;
}

/** Number of pairs written for the current degree. */
export function ripsPairCount(ptr: usize): i32 {
  return state(ptr).pairCount;
}

/** (birth, death) f32 pairs of the current degree; death +∞ for essential classes. */
export function ripsPairs(ptr: usize): usize {
  return state(ptr).pairs;
}

// ---------------------------------------------------------------------------------------------
// Degree 0

function find(parent: usize, x: i32): i32 {
  let r = x;
  while (load<i32>(parent + ((<usize>r) << 2)) != r) {
    // Path halving (Tarjan–van Leeuwen 1984).
    const p = load<i32>(parent + ((<usize>r) << 2));
    const gp = load<i32>(parent + ((<usize>p) << 2));
    store<i32>(parent + ((<usize>r) << 2), gp);
    r = gp;
  }
  return r;
}

/**
 * H0 by Kruskal over the edges in filtration order (value ascending, index descending), the
 * younger component dying (elder rule; all births are 0). Zero-length pairs are dropped as
 * Ripser does. When maxdim ≥ 1 the non-tree edges that are not in a zero apparent pair become
 * the degree-1 columns, in reduction order. Returns RIPS_OK or RIPS_TOO_LARGE.
 */
export function ripsDimension0(ptr: usize): i32 {
  const s = state(ptr);
  const n = s.n;
  s.pairCount = 0;
  s.colCount = 0;
  s.statApparent = 0;
  s.statCleared = 0;
  const count = collectEdges(s);
  if (count < 0) return s.status;
  const parent = s.parent;
  for (let i = 0; i < n; i++) store<i32>(parent + ((<usize>i) << 2), i);
  // Union by index (the larger root joins the smaller) keeps the result independent of
  // anything but the edge order; path halving keeps finds near-constant.
  for (let e = count - 1; e >= 0; e--) {
    const uv = load<u32>(s.edgeVal + ((<usize>e) << 2));
    const ru = find(parent, <i32>(uv >> 16));
    const rv = find(parent, <i32>(uv & 0xffff));
    if (ru != rv) {
      const value = load<f32>(s.edgeKey + ((<usize>e) << 2));
      if (value != 0 && !emitPair(s, 0, value)) return s.status;
      if (ru < rv) store<i32>(parent + ((<usize>rv) << 2), ru);
      else store<i32>(parent + ((<usize>ru) << 2), rv);
      store<u32>(s.edgeVal + ((<usize>e) << 2), 0xffffffff);
    }
  }
  for (let i = 0; i < n; i++) {
    if (find(parent, i) == i && !emitPair(s, 0, Infinity)) return s.status;
  }
  if (s.maxdim >= 1) {
    const vtx = vtxArray(s, 0);
    for (let e = 0; e < count; e++) {
      const uv = load<u32>(s.edgeVal + ((<usize>e) << 2));
      if (uv == 0xffffffff) continue;
      const a = <i32>(uv >> 16);
      const b = <i32>(uv & 0xffff);
      const value = load<f32>(s.edgeKey + ((<usize>e) << 2));
      vset(vtx, 0, a);
      vset(vtx, 1, b);
      if (hasZeroApparentCofacet(s, vtx, 1, value)) {
        s.statApparent++;
        continue;
      }
      if (!appendColumn(s, binomial(s, a, 2) + <i64>b, value)) return s.status;
    }
  }
  release(s, offsetof<RipsState>("edgeKey"));
  release(s, offsetof<RipsState>("edgeVal"));
  s.edgeCount = 0;
  return RIPS_OK;
}

function appendColumn(s: RipsState, index: i64, diam: f32): bool {
  const c = s.colCount;
  if (
    !reserve(s, offsetof<RipsState>("colIdx"), (<u64>c + 1) << 3) ||
    !reserve(s, offsetof<RipsState>("colDiam"), (<u64>c + 1) << 2)
  ) {
    return false;
  }
  store<i64>(s.colIdx + ((<usize>c) << 3), index);
  store<f32>(s.colDiam + ((<usize>c) << 2), diam);
  s.colCount = c + 1;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Degree ≥ 2: assembling the columns

/**
 * A d-simplex is a column unless it is a pivot of degree d − 1 (clearing) or apparent. Columns
 * and counts go to the state, or with `region` (a chunk of ripsAssembleChunk) to the region;
 * false when the state's budget or the region's `cap` columns are exceeded.
 */
function offerColumn(s: RipsState, vtx: usize, d: i32, diam: f32, region: usize, cap: i32): bool {
  if (hasZeroApparentCofacet(s, vtx, d, diam) || zeroApparentFacet(s, vtx, d, diam) >= 0) {
    if (region != 0) store<i32>(region, load<i32>(region, 4) + 1, 4);
    else s.statApparent++;
    return true;
  }
  const index = encode(s, vtx, d + 1);
  if (mapFind(s, index) != 0) {
    if (region != 0) store<i32>(region, load<i32>(region, 8) + 1, 8);
    else s.statCleared++;
    return true;
  }
  if (region == 0) return appendColumn(s, index, diam);
  const count = load<i32>(region);
  if (count >= cap) return false;
  const slot = region + ASSEMBLY_HEADER + <usize>count * 16;
  store<i64>(slot, index);
  store<f32>(slot, diam, 8);
  store<i32>(region, count + 1);
  return true;
}

/**
 * Start assembling the columns of degree `dim` (2 … maxdim): the pivot map of degree dim − 1
 * is still in place for clearing.
 */
export function ripsAssembleBegin(ptr: usize, dim: i32): void {
  const s = state(ptr);
  s.dim = dim;
  s.colCount = 0;
  s.statApparent = 0;
  s.statCleared = 0;
}

/**
 * Offer every dim-simplex whose largest vertex lies in [a0, a1), in increasing index order
 * (so the column list is index-sorted before ripsAssembleEnd sorts it by diameter).
 */
export function ripsAssemble(ptr: usize, a0: i32, a1: i32): i32 {
  const s = state(ptr);
  return assembleRange(s, a0, a1, 0, 0) ? RIPS_OK : s.status;
}

// The columns in parallel: the apparent-pair and clearing tests of each simplex are a pure
// function of the distances and the previous degree's pivot map (read only here), so chunks of
// largest vertices run on any thread, each into its own region of the state's tmpVal block
// (counts, its vertex scratch, then up to `cap` columns of 16 bytes); the calling thread then
// appends the regions in chunk order, which is the order ripsAssemble appends in, and runs a
// chunk that overflowed its region again itself.

/** Bytes before a region's columns: column, apparent and cleared counts, then vertex scratch. */
// @ts-ignore: decorator
@inline const ASSEMBLY_HEADER: usize = 16 + 4 * VTX_BYTES;

// @ts-ignore: decorator
@inline function assemblyRegion(s: RipsState, chunk: i32, cap: i32): usize {
  return s.tmpVal + <usize>chunk * (ASSEMBLY_HEADER + (<usize>cap << 4));
}

/**
 * Room for `chunks` regions, in memory the computation has already owned at its peak (the edge
 * list, the last degree's V), so the peak and the budget checks are those of the serial
 * assembly (the columns grow as they do there): returns the columns each region holds (at most `most`), or 0 when fewer than 16
 * fit (the caller then assembles on one thread).
 */
export function ripsAssembleShareBegin(ptr: usize, chunks: i32, most: i32): i32 {
  const s = state(ptr);
  release(s, offsetof<RipsState>("tmpVal"));
  // A third of the room: the columns gathered from the regions (12 bytes each, grown by 1.5)
  // take at most another 3/8 of it while the regions are held.
  const room = (s.peak - s.inUse) / 3 / <u64>max(chunks, 1);
  if (room < <u64>ASSEMBLY_HEADER + 256) return 0;
  const cap = <i32>min<u64>((room - <u64>ASSEMBLY_HEADER) >> 4, <u64>most);
  if (!reserve(s, offsetof<RipsState>("tmpVal"), <u64>chunks * (<u64>ASSEMBLY_HEADER + (<u64>cap << 4)))) return 0;
  return cap;
}

/** Free the regions (after the last ripsAssembleGather). */
export function ripsAssembleShareEnd(ptr: usize): void {
  release(state(ptr), offsetof<RipsState>("tmpVal"));
}

/** The columns whose largest vertex lies in [a0, a1) into region `chunk` (any thread). */
export function ripsAssembleChunk(ptr: usize, a0: i32, a1: i32, chunk: i32, cap: i32): void {
  const s = state(ptr);
  const region = assemblyRegion(s, chunk, cap);
  store<i32>(region, 0);
  store<i32>(region, 0, 4);
  store<i32>(region, 0, 8);
  store<i32>(region, 0, 12);
  vtxScratch = region + 16;
  if (!assembleRange(s, a0, a1, region, cap)) store<i32>(region, 1, 12);
  vtxScratch = 0;
}

/**
 * Append region `chunk`'s columns and counts (calling thread, chunks in order): RIPS_OK, the
 * status when the budget is exceeded, or −1 when the region overflowed (run ripsAssemble on
 * its range instead).
 */
export function ripsAssembleGather(ptr: usize, chunk: i32, cap: i32): i32 {
  const s = state(ptr);
  const region = assemblyRegion(s, chunk, cap);
  if (load<i32>(region, 12) != 0) return -1;
  const count = load<i32>(region);
  for (let k = 0; k < count; k++) {
    const slot = region + ASSEMBLY_HEADER + <usize>k * 16;
    if (!appendColumn(s, load<i64>(slot), load<f32>(slot, 8))) return s.status;
  }
  s.statApparent += load<i32>(region, 4);
  s.statCleared += load<i32>(region, 8);
  return RIPS_OK;
}

/** Offer the simplices of largest vertex in [a0, a1) (see offerColumn for region, cap). */
function assembleRange(s: RipsState, a0: i32, a1: i32, region: usize, cap: i32): bool {
  const d = s.dim;
  const thr = s.threshold;
  const vtx = vtxArray(s, 0);
  for (let a = a0; a < a1; a++) {
    const ra = rowOf(s, a);
    vset(vtx, 0, a);
    for (let b = d - 1; b < a; b++) {
      const ab = load<f32>(ra + ((<usize>b) << 2));
      if (ab > thr) continue;
      const rb = rowOf(s, b);
      vset(vtx, 1, b);
      for (let c = d - 2; c < b; c++) {
        const abc = max(ab, max(load<f32>(ra + ((<usize>c) << 2)), load<f32>(rb + ((<usize>c) << 2))));
        if (abc > thr) continue;
        vset(vtx, 2, c);
        if (d == 2) {
          if (!offerColumn(s, vtx, 2, abc, region, cap)) return false;
          continue;
        }
        const rc = rowOf(s, c);
        for (let e = 0; e < c; e++) {
          const off = (<usize>e) << 2;
          const diam = max(abc, max(load<f32>(ra + off), max(load<f32>(rb + off), load<f32>(rc + off))));
          if (diam > thr) continue;
          vset(vtx, 3, e);
          if (!offerColumn(s, vtx, 3, diam, region, cap)) return false;
        }
      }
    }
  }
  return true;
}

/** Sort the assembled columns into reduction order: diameter descending, index ascending. */
export function ripsAssembleEnd(ptr: usize): i32 {
  const s = state(ptr);
  const count = s.colCount;
  const bytesK = (<u64>count) << 2;
  const bytesV = (<u64>count) << 3;
  if (
    !reserve(s, offsetof<RipsState>("tmpKey"), bytesK) ||
    !reserve(s, offsetof<RipsState>("tmpVal"), bytesV) ||
    !reserve(s, offsetof<RipsState>("scratch"), <u64>RADIX_BUCKETS << 2)
  ) {
    return s.status;
  }
  radixSortDescending(s.colDiam, s.colIdx, s.tmpKey, s.tmpVal, count, 8, s.scratch);
  release(s, offsetof<RipsState>("tmpKey"));
  release(s, offsetof<RipsState>("tmpVal"));
  return RIPS_OK;
}

/** The current degree's columns: simplex indices (i64; diameters f32 at ripsColumnDiameters). */
export function ripsColumnIndices(ptr: usize): usize {
  return state(ptr).colIdx;
}

export function ripsColumnDiameters(ptr: usize): usize {
  return state(ptr).colDiam;
}

/** Number of columns to reduce in the current degree. */
export function ripsColumnCount(ptr: usize): i32 {
  return state(ptr).colCount;
}

// ---------------------------------------------------------------------------------------------
// Degree ≥ 1: reduction

/**
 * Prepare the reduction of degree `dim` over the current columns: a fresh pivot map (the
 * previous degree's map has done its clearing), an empty V and pair list.
 */
export function ripsBeginReduction(ptr: usize, dim: i32): i32 {
  const s = state(ptr);
  s.dim = dim;
  s.pairCount = 0;
  s.cocCount = 0;
  s.vCount = 0;
  s.statEmergent = 0;
  s.statReduced = 0;
  s.statAdditions = 0;
  s.statEssential = 0;
  if (!mapInit(s, min(s.colCount, 1 << 20))) return s.status;
  if (!reserve(s, offsetof<RipsState>("vStart"), ((<u64>s.colCount) + 1) << 3)) return s.status;
  store<u64>(s.vStart, 0);
  if (s.cocycles != 0 && !reserve(s, offsetof<RipsState>("cocStart"), 8)) return s.status;
  if (s.cocycles != 0) store<i32>(s.cocStart, 0);
  return RIPS_OK;
}

/** Append coef · (simplex entry) to the working V column, compacting it when large. */
function workAppend(s: RipsState, entry: i64): bool {
  if (!reserve(s, offsetof<RipsState>("work"), (<u64>s.workSize + 1) << 3)) return false;
  store<i64>(s.work + ((<usize>s.workSize) << 3), entry);
  s.workSize++;
  return true;
}

/** Sort the working V column by simplex and merge equal simplices (coefficients mod p). */
function workCompact(s: RipsState): void {
  const size = s.workSize;
  if (size <= 1) return;
  const p = s.modulus;
  sortI64(s.work, 0, size);
  let out = 0;
  let i = 0;
  while (i < size) {
    const e = load<i64>(s.work + ((<usize>i) << 3));
    const index = indexOf(e);
    let c = coefOf(e);
    i++;
    while (i < size && indexOf(load<i64>(s.work + ((<usize>i) << 3))) == index) {
      c = (c + coefOf(load<i64>(s.work + ((<usize>i) << 3)))) % p;
      i++;
    }
    if (c != 0) {
      store<i64>(s.work + ((<usize>out) << 3), entryOf(index, c));
      out++;
    }
  }
  s.workSize = out;
}

/** Add factor · (column c of the reduction matrix) to the working column and its coboundary. */
function addColumn(s: RipsState, c: i32, factor: i32, d: i32): bool {
  const p = s.modulus;
  const vtx = vtxArray(s, 1);
  const index = load<i64>(s.colIdx + ((<usize>c) << 3));
  const oldSize = s.heapSize;
  decode(s, index, d, vtx);
  if (!appendCoboundary(s, vtx, d, load<f32>(s.colDiam + ((<usize>c) << 2)), factor)) return false;
  if (!workAppend(s, entryOf(index, factor))) return false;
  const start = load<u64>(s.vStart + ((<usize>c) << 3));
  const end = load<u64>(s.vStart + ((<usize>(c + 1)) << 3));
  for (let k = start; k < end; k++) {
    const e = load<i64>(s.vEnt + ((<usize>k) << 3));
    const coef = (coefOf(e) * factor) % p;
    const ix = indexOf(e);
    decode(s, ix, d, vtx);
    if (!appendCoboundary(s, vtx, d, diameterOf(s, vtx, d + 1), coef)) return false;
    if (!workAppend(s, entryOf(ix, coef))) return false;
  }
  heapFix(s, oldSize);
  if (s.workSize >= COMPACT_MIN && s.workSize >= 2 * s.workMark) {
    workCompact(s);
    s.workMark = s.workSize;
  }
  return true;
}

/**
 * Fill the heap with δσ and return the pivot, or detect an emergent pair: the first cofacet of
 * equal diameter (the oldest cofacet) that is neither a pivot already nor in an apparent pair
 * pairs with σ at once (returns 1, pivot in s.pivotEntry). 0: heap filled; −1: out of budget.
 */
function initColumn(s: RipsState, index: i64, diam: f32, d: i32): i32 {
  const vtx = vtxArray(s, 0);
  decode(s, index, d, vtx);
  s.heapSize = 0;
  // Emergent check first, reusing the zero-pivot scan: it stops at the first equal-diameter
  // cofacet, usually long before the whole coboundary is enumerated.
  const cof = zeroPivotCofacet(s, vtx, d, diam);
  if (cof != NONE) {
    const t = zeroLastT;
    if (mapFind(s, cof) == 0) {
      const tau = vtxArray(s, 2);
      insertVertex(vtx, d + 1, zeroLastJ, t, tau);
      if (zeroApparentFacet(s, tau, d + 1, diam) < 0) {
        s.pivotEntry = entryOf(cof, signed(1, t, s.modulus));
        s.pivotDiam = diam;
        return 1;
      }
    }
  }
  if (!appendCoboundary(s, vtx, d, diam, 1)) return -1;
  heapFix(s, 0);
  return 0;
}

/** Store the working column as V's column c (compacted), and its cocycle when asked. */
function finishColumn(s: RipsState, c: i32, keep: bool): bool {
  workCompact(s);
  let end = s.vCount;
  if (keep && s.workSize > 0) {
    if (!reserve(s, offsetof<RipsState>("vEnt"), (end + <u64>s.workSize) << 3)) return false;
    memory.copy(s.vEnt + (<usize>end << 3), s.work, (<usize>s.workSize) << 3);
    end += <u64>s.workSize;
  }
  s.vCount = end;
  store<u64>(s.vStart + ((<usize>(c + 1)) << 3), end);
  return true;
}

/** Record the cocycle σ + V_σ of the pair just emitted: per simplex its d + 1 vertices, coef. */
function emitCocycle(s: RipsState, index: i64, d: i32): bool {
  const per = d + 2;
  const count = s.workSize + 1;
  const start = load<i32>(s.cocStart + ((<usize>s.cocCount) << 2));
  const need = (<u64>start + <u64>count * <u64>per) << 2;
  if (!reserve(s, offsetof<RipsState>("cocData"), need)) return false;
  if (!reserve(s, offsetof<RipsState>("cocStart"), (<u64>s.cocCount + 2) << 2)) return false;
  const vtx = vtxArray(s, 1);
  let o = start;
  for (let k = -1; k < s.workSize; k++) {
    const e = k < 0 ? entryOf(index, 1) : load<i64>(s.work + ((<usize>k) << 3));
    decode(s, indexOf(e), d, vtx);
    for (let l = 0; l <= d; l++) store<i32>(s.cocData + ((<usize>(o + l)) << 2), vget(vtx, l));
    store<i32>(s.cocData + ((<usize>(o + d + 1)) << 2), coefOf(e));
    o += per;
  }
  s.cocCount++;
  store<i32>(s.cocStart + ((<usize>s.cocCount) << 2), o);
  return true;
}

/**
 * Reduce columns [c0, c1) of the current degree (resumable: call with consecutive ranges).
 * Pairs with death > birth and essential classes are appended to the pair list.
 */
export function ripsReduce(ptr: usize, c0: i32, c1: i32): i32 {
  const s = state(ptr);
  const d = s.dim;
  const p = s.modulus;
  for (let c = c0; c < c1; c++) {
    const index = load<i64>(s.colIdx + ((<usize>c) << 3));
    const diam = load<f32>(s.colDiam + ((<usize>c) << 2));
    s.workSize = 0;
    s.workMark = 0;
    const init = initColumn(s, index, diam, d);
    if (init < 0) return s.status;
    if (init == 1) {
      s.statEmergent++;
      if (!mapInsert(s, indexOf(s.pivotEntry), c, coefOf(s.pivotEntry))) return s.status;
      store<u64>(s.vStart + ((<usize>(c + 1)) << 3), s.vCount);
      continue;
    }
    let pivot = getPivot(s);
    while (true) {
      if (pivot == NONE) {
        // Essential class [diam, ∞): nothing kills it below the threshold.
        s.statEssential++;
        if (!emitPair(s, diam, Infinity)) return s.status;
        if (s.cycles != 0 && d == 1 && !recordBirthEdge(s, index)) return s.status;
        if (s.cocycles != 0) {
          workCompact(s);
          if (!emitCocycle(s, index, d)) return s.status;
        }
        if (!finishColumn(s, c, false)) return s.status;
        break;
      }
      const pivotIndex = indexOf(pivot);
      const slot = mapFind(s, pivotIndex);
      if (slot != 0) {
        const other = load<i32>(slot, 8);
        const otherCoef = load<i32>(slot, 12);
        const factor = ((p - coefOf(pivot)) * load<i32>(s.inverse + ((<usize>otherCoef) << 2))) % p;
        s.statAdditions++;
        if (!addColumn(s, other, factor, d)) return s.status;
        pivot = getPivot(s);
        continue;
      }
      const pivotDiam = s.pivotDiam;
      const tau = vtxArray(s, 2);
      decode(s, pivotIndex, d + 1, tau);
      const i = zeroApparentFacet(s, tau, d + 1, pivotDiam);
      if (i >= 0) {
        // The pivot is the cofacet of an apparent pair (f, τ): add f's coboundary, whose
        // pivot is τ with coefficient (−1)^i.
        const f = vtxArray(s, 1);
        dropVertex(tau, d + 2, i, f);
        const factor = (i & 1) != 0 ? coefOf(pivot) : (p - coefOf(pivot)) % p;
        const oldSize = s.heapSize;
        if (!appendCoboundary(s, f, d, pivotDiam, factor)) return s.status;
        heapFix(s, oldSize);
        if (!workAppend(s, entryOf(encode(s, f, d + 1), factor))) return s.status;
        s.statAdditions++;
        pivot = getPivot(s);
        continue;
      }
      // A new pair (σ, τ).
      s.statReduced++;
      if (pivotDiam > diam) {
        if (!emitPair(s, diam, pivotDiam)) return s.status;
        if (s.cycles != 0 && d == 1 && !recordBirthEdge(s, index)) return s.status;
        if (s.cocycles != 0) {
          workCompact(s);
          if (!emitCocycle(s, index, d)) return s.status;
        }
      }
      if (!mapInsert(s, pivotIndex, c, coefOf(pivot))) return s.status;
      if (!finishColumn(s, c, true)) return s.status;
      break;
    }
  }
  return RIPS_OK;
}

/** Free what the reduction of a degree no longer needs (V; the map stays for clearing). */
export function ripsEndReduction(ptr: usize): void {
  const s = state(ptr);
  release(s, offsetof<RipsState>("vEnt"));
  release(s, offsetof<RipsState>("vStart"));
  release(s, offsetof<RipsState>("heap"));
  release(s, offsetof<RipsState>("work"));
  release(s, offsetof<RipsState>("colIdx"));
  release(s, offsetof<RipsState>("colDiam"));
  s.vCount = 0;
  s.heapSize = 0;
  s.workSize = 0;
}

/** Cocycle table of the current degree: cocCount + 1 i32 offsets into ripsCocycleData. */
export function ripsCocycleStarts(ptr: usize): usize {
  return state(ptr).cocStart;
}

export function ripsCocycleCount(ptr: usize): i32 {
  return state(ptr).cocCount;
}

/** Per simplex: its vertices (largest first) and its coefficient, i32. */
export function ripsCocycleData(ptr: usize): usize {
  return state(ptr).cocData;
}

/**
 * Counters into out (9 i32): apparent pairs skipped, cleared columns, emergent pairs, pairs
 * found by reduction, column additions, essential classes, edges left by the collapse (−1 if
 * not run), columns, edges listed by the last edge collection.
 */
export function ripsStats(ptr: usize, out: usize): void {
  const s = state(ptr);
  store<i32>(out, s.statApparent);
  store<i32>(out, s.statCleared, 4);
  store<i32>(out, s.statEmergent, 8);
  store<i32>(out, s.statReduced, 12);
  store<i32>(out, s.statAdditions, 16);
  store<i32>(out, s.statEssential, 20);
  store<i32>(out, s.statCollapsed, 24);
  store<i32>(out, s.colCount, 28);
  store<i32>(out, s.statEdges, 32);
}

// ---------------------------------------------------------------------------------------------
// Representative cycles of degree 1: the homology reduction of the death triangles
// (involuted persistent homology, Čufar–Virk; see the header)
//
// The working column reuses the coboundary heap with every key negated — slot (−diameter,
// entry of −index) — so that its top, the heap's "smallest", is the youngest edge: the largest
// diameter and, among equal diameters, the smallest index. The reduced columns are stored in
// that slot layout and added back with one copy per entry.

/** Push coef · [a, b] (a > b), an edge, onto the heap as a homology slot (space reserved). */
// @ts-ignore: decorator
@inline function pushEdgeSlot(s: RipsState, a: i32, b: i32, coef: i32): void {
  const slot = s.heap + <usize>s.heapSize * SLOT;
  store<i64>(slot, entryOf(-(binomial(s, a, 2) + <i64>b), coef));
  store<f32>(slot, -distAt(s, a, b), 8);
  s.heapSize++;
}

/** Append coef · ∂[v0, v1, v2] (v0 > v1 > v2) to the heap, raw; call heapFix afterwards. */
function appendTriangleBoundary(s: RipsState, v0: i32, v1: i32, v2: i32, coef: i32): bool {
  if (!reserve(s, offsetof<RipsState>("heap"), (<u64>s.heapSize + 3) * SLOT)) return false;
  const minus = (s.modulus - coef) % s.modulus;
  pushEdgeSlot(s, v1, v2, coef); // drop v0: sign +
  pushEdgeSlot(s, v0, v2, minus); // drop v1: sign −
  pushEdgeSlot(s, v0, v1, coef); // drop v2: sign +
  return true;
}

/** Add factor · (reduced homology column j) to the working column. */
function addReducedCycle(s: RipsState, j: i32, factor: i32): bool {
  const start = load<u64>(s.rStart + ((<usize>j) << 3));
  const end = load<u64>(s.rStart + ((<usize>(j + 1)) << 3));
  const oldSize = s.heapSize;
  if (!reserve(s, offsetof<RipsState>("heap"), (<u64>oldSize + end - start) * SLOT)) return false;
  const p = s.modulus;
  let o = s.heap + <usize>oldSize * SLOT;
  for (let k = start; k < end; k++) {
    const src = s.rEnt + <usize>k * SLOT;
    const e = load<i64>(src);
    store<i64>(o, entryOf(indexOf(e), (coefOf(e) * factor) % p));
    store<f32>(o, load<f32>(src, 8), 8);
    o += SLOT;
  }
  s.heapSize = oldSize + <i32>(end - start);
  heapFix(s, oldSize);
  return true;
}

/**
 * Start the cycle pass of degree 1, after its reduction (the pivot map and the pair list are
 * those of degree 1): list the death triangles up to the largest finite death reported, in
 * decreasing filtration order, and set the pivot map aside for an edge → column map. Returns
 * the number of columns to reduce (ripsCyclesReduce), or −1 on RIPS_TOO_LARGE.
 */
export function ripsCyclesBegin(ptr: usize): i32 {
  const s = state(ptr);
  let maxDeath: f32 = -Infinity;
  for (let i = 0; i < s.pairCount; i++) {
    const death = load<f32>(s.pairs + ((<usize>i) << 3), 4);
    if (death != Infinity) maxDeath = max(maxDeath, death);
  }
  const vtx = vtxArray(s, 0);
  const slots = s.mapMask + 1;
  let count = 0;
  for (let i = 0; i < slots; i++) {
    const key = load<i64>(s.mapPtr + <usize>i * MAP_SLOT);
    if (key == NONE) continue;
    decode(s, key, 2, vtx);
    if (diameterOf(s, vtx, 3) <= maxDeath) count++;
  }
  if (
    !reserve(s, offsetof<RipsState>("hIdx"), (<u64>count) << 3) ||
    !reserve(s, offsetof<RipsState>("hDiam"), (<u64>count) << 2) ||
    !reserve(s, offsetof<RipsState>("tmpKey"), (<u64>count) << 2) ||
    !reserve(s, offsetof<RipsState>("tmpVal"), (<u64>count) << 3) ||
    !reserve(s, offsetof<RipsState>("scratch"), <u64>RADIX_BUCKETS << 2)
  ) {
    return -1;
  }
  let k = 0;
  for (let i = 0; i < slots; i++) {
    const key = load<i64>(s.mapPtr + <usize>i * MAP_SLOT);
    if (key == NONE) continue;
    decode(s, key, 2, vtx);
    if (diameterOf(s, vtx, 3) > maxDeath) continue;
    store<i64>(s.hIdx + ((<usize>k) << 3), key);
    k++;
  }
  // Index ascending, then a stable sort by decreasing diameter: (diameter desc, index asc),
  // the reverse of the filtration order; ripsCyclesReduce walks it from the end.
  sortI64(s.hIdx, 0, count);
  for (let i = 0; i < count; i++) {
    decode(s, load<i64>(s.hIdx + ((<usize>i) << 3)), 2, vtx);
    store<f32>(s.hDiam + ((<usize>i) << 2), diameterOf(s, vtx, 3));
  }
  radixSortDescending(s.hDiam, s.hIdx, s.tmpKey, s.tmpVal, count, 8, s.scratch);
  release(s, offsetof<RipsState>("tmpKey"));
  release(s, offsetof<RipsState>("tmpVal"));
  s.savedMapPtr = s.mapPtr;
  s.savedMapCap = s.mapCap;
  s.savedMapMask = s.mapMask;
  s.savedMapCount = s.mapCount;
  s.mapPtr = 0;
  s.mapCap = 0;
  if (!mapInit(s, count)) return -1;
  if (!reserve(s, offsetof<RipsState>("rStart"), ((<u64>count) + 1) << 3)) return -1;
  store<u64>(s.rStart, 0);
  s.rCount = 0;
  s.hCount = count;
  s.heapSize = 0;
  return count;
}

/**
 * Reduce homology columns [c0, c1) of the cycle pass (resumable, consecutive ranges); column j
 * is the j-th oldest death triangle. Returns RIPS_OK, RIPS_TOO_LARGE or RIPS_INCONSISTENT.
 */
export function ripsCyclesReduce(ptr: usize, c0: i32, c1: i32): i32 {
  const s = state(ptr);
  const p = s.modulus;
  const tri = vtxArray(s, 0);
  const edge = vtxArray(s, 1);
  for (let j = c0; j < c1; j++) {
    const tau = load<i64>(s.hIdx + ((<usize>(s.hCount - 1 - j)) << 3));
    decode(s, tau, 2, tri);
    s.heapSize = 0;
    if (!appendTriangleBoundary(s, vget(tri, 0), vget(tri, 1), vget(tri, 2), 1)) return s.status;
    heapFix(s, 0);
    let pivot = getPivot(s);
    while (true) {
      if (pivot == NONE) {
        // A death triangle's boundary cannot reduce to zero.
        s.status = RIPS_INCONSISTENT;
        return s.status;
      }
      const e = -indexOf(pivot);
      const slot = mapFind(s, e);
      if (slot != 0) {
        const factor = ((p - coefOf(pivot)) * load<i32>(s.inverse + ((<usize>load<i32>(slot, 12)) << 2))) % p;
        if (!addReducedCycle(s, load<i32>(slot, 8), factor)) return s.status;
        pivot = getPivot(s);
        continue;
      }
      decode(s, e, 1, edge);
      if (hasZeroApparentCofacet(s, edge, 1, -s.pivotDiam)) {
        // e pairs with its apparent cofacet τ' (vertex array 2), whose boundary is already
        // reduced with pivot e and coefficient (−1)^t, t the position of the inserted vertex.
        const factor = (zeroLastT & 1) != 0 ? coefOf(pivot) : (p - coefOf(pivot)) % p;
        const cof = vtxArray(s, 2);
        const oldSize = s.heapSize;
        if (!appendTriangleBoundary(s, vget(cof, 0), vget(cof, 1), vget(cof, 2), factor)) return s.status;
        heapFix(s, oldSize);
        pivot = getPivot(s);
        continue;
      }
      break;
    }
    // R_τ is reduced, with pivot e (the birth edge of τ's pair): store it, pivot first.
    if (!mapInsert(s, -indexOf(pivot), j, coefOf(pivot))) return s.status;
    const start = s.rCount;
    if (!reserve(s, offsetof<RipsState>("rEnt"), (start + <u64>s.heapSize) * SLOT)) return s.status;
    let o = start;
    while (true) {
      const entry = popPivot(s);
      if (entry == NONE) break;
      const dst = s.rEnt + <usize>o * SLOT;
      store<i64>(dst, entry);
      store<f32>(dst, s.pivotDiam, 8);
      o++;
    }
    s.rCount = o;
    store<u64>(s.rStart + ((<usize>(j + 1)) << 3), o);
  }
  return RIPS_OK;
}

/** Append a cycle row (a, b, coefficient) meaning coefficient · [a, b], a > b (a → b). */
function cycleRow(s: RipsState, rows: i32, a: i32, b: i32, coef: i32): bool {
  if (!reserve(s, offsetof<RipsState>("cycData"), (<u64>rows + 1) * CYCLE_ROW_BYTES)) return false;
  const o = s.cycData + <usize>(<u64>rows * CYCLE_ROW_BYTES);
  store<i32>(o, a);
  store<i32>(o, b, 4);
  store<i32>(o, coef, 8);
  return true;
}

/**
 * σ = [a, b] plus a shortest path (by length) from b back to a through the edges older than σ
 * (value below diam σ, or equal with a larger index), which exists because σ is positive.
 * Dense Dijkstra, O(n²); ties go to the smaller vertex. Returns the rows written, or −1.
 */
function essentialCycle(s: RipsState, sigma: i64, rows: i32): i32 {
  const n = s.n;
  const p = s.modulus;
  const ends = vtxArray(s, 1);
  decode(s, sigma, 1, ends);
  const a = vget(ends, 0);
  const b = vget(ends, 1);
  const value = distAt(s, a, b);
  if (!reserve(s, offsetof<RipsState>("scratch"), <u64>n * PATH_VERTEX_BYTES)) return -1;
  const length = s.scratch;
  const prev = length + ((<usize>n) << 3);
  const done = prev + ((<usize>n) << 2);
  for (let v = 0; v < n; v++) {
    store<f64>(length + ((<usize>v) << 3), Infinity);
    store<i32>(prev + ((<usize>v) << 2), -1);
    store<i32>(done + ((<usize>v) << 2), 0);
  }
  store<f64>(length + ((<usize>b) << 3), 0);
  while (true) {
    let u = -1;
    let best: f64 = Infinity;
    for (let v = 0; v < n; v++) {
      const l = load<f64>(length + ((<usize>v) << 3));
      if (load<i32>(done + ((<usize>v) << 2)) == 0 && l < best) {
        best = l;
        u = v;
      }
    }
    if (u < 0 || u == a) break;
    store<i32>(done + ((<usize>u) << 2), 1);
    const row = rowOf(s, u);
    for (let v = 0; v < n; v++) {
      if (load<i32>(done + ((<usize>v) << 2)) != 0) continue;
      const w = load<f32>(row + ((<usize>v) << 2));
      const older = w < value || (w == value && (u > v ? binomial(s, u, 2) + <i64>v : binomial(s, v, 2) + <i64>u) > sigma);
      if (!older) continue;
      const l = best + <f64>w;
      if (l < load<f64>(length + ((<usize>v) << 3))) {
        store<f64>(length + ((<usize>v) << 3), l);
        store<i32>(prev + ((<usize>v) << 2), u);
      }
    }
  }
  if (load<f64>(length + ((<usize>a) << 3)) == Infinity) {
    s.status = RIPS_INCONSISTENT;
    return -1;
  }
  if (!cycleRow(s, rows, a, b, 1)) return -1;
  rows++;
  // The path b → … → a, read backwards from a: each step y → x.
  for (let x = a; x != b; ) {
    const y = load<i32>(prev + ((<usize>x) << 2));
    const ok = y > x ? cycleRow(s, rows, y, x, 1) : cycleRow(s, rows, x, y, p - 1);
    if (!ok) return -1;
    rows++;
    x = y;
  }
  return rows;
}

/**
 * Write one cycle per degree-1 pair, in pair order (ripsCycleStarts / ripsCycleData): the
 * reduced column of its death triangle scaled so that the birth edge has coefficient 1, or
 * for an essential class the birth edge plus a shortest older path. Then free the pass and
 * put the pivot map back (for clearing in degree 2). RIPS_OK, RIPS_TOO_LARGE or
 * RIPS_INCONSISTENT.
 */
export function ripsCyclesEnd(ptr: usize): i32 {
  const s = state(ptr);
  const p = s.modulus;
  const pairs = s.pairCount;
  const edge = vtxArray(s, 2);
  if (!reserve(s, offsetof<RipsState>("cycStart"), ((<u64>pairs) + 1) << 2)) return s.status;
  store<i32>(s.cycStart, 0);
  let rows = 0;
  for (let i = 0; i < pairs; i++) {
    const sigma = load<i64>(s.pairEdge + ((<usize>i) << 3));
    const death = load<f32>(s.pairs + ((<usize>i) << 3), 4);
    if (death == Infinity) {
      rows = essentialCycle(s, sigma, rows);
      if (rows < 0) return s.status;
    } else {
      const slot = mapFind(s, sigma);
      const j = slot != 0 ? load<i32>(slot, 8) : -1;
      if (j < 0 || load<f32>(s.hDiam + ((<usize>(s.hCount - 1 - j)) << 2)) != death) {
        s.status = RIPS_INCONSISTENT;
        return s.status;
      }
      const scale = load<i32>(s.inverse + ((<usize>load<i32>(slot, 12)) << 2));
      const start = load<u64>(s.rStart + ((<usize>j) << 3));
      const end = load<u64>(s.rStart + ((<usize>(j + 1)) << 3));
      for (let k = start; k < end; k++) {
        const e = load<i64>(s.rEnt + <usize>k * SLOT);
        decode(s, -indexOf(e), 1, edge);
        if (!cycleRow(s, rows, vget(edge, 0), vget(edge, 1), (coefOf(e) * scale) % p)) return s.status;
        rows++;
      }
    }
    store<i32>(s.cycStart + ((<usize>(i + 1)) << 2), rows * 3);
  }
  s.cycCount = pairs;
  release(s, offsetof<RipsState>("mapPtr"));
  s.mapPtr = s.savedMapPtr;
  s.mapCap = s.savedMapCap;
  s.mapMask = s.savedMapMask;
  s.mapCount = s.savedMapCount;
  s.savedMapPtr = 0;
  s.savedMapCap = 0;
  release(s, offsetof<RipsState>("hIdx"));
  release(s, offsetof<RipsState>("hDiam"));
  release(s, offsetof<RipsState>("rStart"));
  release(s, offsetof<RipsState>("rEnt"));
  release(s, offsetof<RipsState>("heap"));
  s.heapSize = 0;
  s.hCount = 0;
  s.rCount = 0;
  return RIPS_OK;
}

/** Cycle table of degree 1: ripsCycleCount + 1 i32 offsets into ripsCycleData. */
export function ripsCycleStarts(ptr: usize): usize {
  return state(ptr).cycStart;
}

export function ripsCycleCount(ptr: usize): i32 {
  return state(ptr).cycCount;
}

/** Rows (a, b, coefficient), a > b: the chain Σ coefficient · [a, b], [a, b] oriented a → b. */
export function ripsCycleData(ptr: usize): usize {
  return state(ptr).cycData;
}

// ---------------------------------------------------------------------------------------------
// Sizes for E_TOO_LARGE advice

/**
 * Count the dim-simplices (1 ≤ dim ≤ 3) of the current complex (distances ≤ the threshold) by
 * diameter: out[i] (f64, added to) gets those with candidates[i − 1] < diameter ≤
 * candidates[i], for `count` ascending f32 candidates; larger ones are not counted. Only
 * simplices whose largest vertex is stride/2 plus a multiple of `stride` are enumerated (the
 * caller scales by stride). O(simplices / stride · log count); run only to explain a failure.
 */
export function ripsSimplexCounts(ptr: usize, dim: i32, candidates: usize, count: i32, out: usize, stride: i32): void {
  const s = state(ptr);
  const n = s.n;
  const top = min(s.threshold, load<f32>(candidates + ((<usize>(count - 1)) << 2)));
  for (let a = stride >> 1; a < n; a += stride) {
    const ra = rowOf(s, a);
    for (let b = 0; b < a; b++) {
      const ab = load<f32>(ra + ((<usize>b) << 2));
      if (ab > top) continue;
      if (dim == 1) {
        countDiameter(candidates, count, out, ab);
        continue;
      }
      const rb = rowOf(s, b);
      for (let c = 0; c < b; c++) {
        const abc = max(ab, max(load<f32>(ra + ((<usize>c) << 2)), load<f32>(rb + ((<usize>c) << 2))));
        if (abc > top) continue;
        if (dim == 2) {
          countDiameter(candidates, count, out, abc);
          continue;
        }
        const rc = rowOf(s, c);
        for (let e = 0; e < c; e++) {
          const off = (<usize>e) << 2;
          const diam = max(abc, max(load<f32>(ra + off), max(load<f32>(rb + off), load<f32>(rc + off))));
          if (diam <= top) countDiameter(candidates, count, out, diam);
        }
      }
    }
  }
}

/** out[first i with candidates[i] ≥ diam] += 1 (binary search; diam ≤ the last candidate). */
// @ts-ignore: decorator
@inline function countDiameter(candidates: usize, count: i32, out: usize, diam: f32): void {
  let lo = 0;
  let hi = count - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (load<f32>(candidates + ((<usize>mid) << 2)) >= diam) hi = mid;
    else lo = mid + 1;
  }
  const o = out + ((<usize>lo) << 3);
  store<f64>(o, load<f64>(o) + 1);
}
