// Radius neighbours: for each query row, every base row within distance ε (the ε-graph DBSCAN
// and Mapper cluster on), by blocked f32x4 squared distances (distance.ts) and a compare.
//
// Memory contract: base nBase × d, queries rows [q0, q1) of a matrix of width d; the neighbours
// of query q (base indices, ascending, self included when the query is a base row) are appended
// to `outIndices` and their squared distances to `outSquared` (capacity entries each), and
// their count written to outCounts[q − q0]. Returns the
// number of indices written, or −1 when `capacity` would be exceeded (nothing is then reliable;
// the caller retries with more room or fewer rows). `scratch` holds TILE_ROWS · nBase floats.
// Complexity O((q1 − q0) · nBase · d).

import { squaredDistanceTile } from "./distance";

// @ts-ignore: decorator
@inline const TILE_ROWS: i32 = 16;

export function radiusScratchFloats(nBase: i32): i32 {
  return TILE_ROWS * nBase;
}

export function radiusNeighbors(base: usize, nBase: i32, queries: usize, q0: i32, q1: i32, d: i32, epsSquared: f32, outIndices: usize, outSquared: usize, capacity: i32, outCounts: usize, scratch: usize): i32 {
  let written = 0;
  for (let r0 = q0; r0 < q1; r0 += TILE_ROWS) {
    const r1 = min(r0 + TILE_ROWS, q1);
    squaredDistanceTile(queries, base, d, r0, r1, 0, nBase, scratch, nBase);
    for (let r = r0; r < r1; r++) {
      const row = scratch + ((<usize>((r - r0) * nBase)) << 2);
      let count = 0;
      for (let j = 0; j < nBase; j++) {
        const s = load<f32>(row + ((<usize>j) << 2));
        if (s <= epsSquared) {
          if (written >= capacity) return -1;
          store<i32>(outIndices + ((<usize>written) << 2), j);
          store<f32>(outSquared + ((<usize>written) << 2), s);
          written++;
          count++;
        }
      }
      store<i32>(outCounts + ((<usize>(r - q0)) << 2), count);
    }
  }
  return written;
}

// The whole ε-graph of a cloud, using its symmetry: for rows [r0, r1), every pair (i, j) with
// j > i and squared distance ≤ epsSquared, in (i, j) ascending order, written to outI, outJ,
// outSquared (capacity entries each). Only columns j ≥ r0 are computed, so a full pass costs
// half the distances of one radius query per row. Returns the pairs written, or −1 when
// `capacity` would be exceeded. `scratch` holds TILE_ROWS · n floats.
export function radiusPairsUpper(base: usize, n: i32, d: i32, r0: i32, r1: i32, epsSquared: f32, outI: usize, outJ: usize, outSquared: usize, capacity: i32, scratch: usize): i32 {
  let written = 0;
  for (let t0 = r0; t0 < r1; t0 += TILE_ROWS) {
    const t1 = min(t0 + TILE_ROWS, r1);
    const width = n - t0;
    squaredDistanceTile(base, base, d, t0, t1, t0, n, scratch, width);
    for (let i = t0; i < t1; i++) {
      const row = scratch + ((<usize>((i - t0) * width)) << 2);
      for (let j = i + 1; j < n; j++) {
        const s = load<f32>(row + ((<usize>(j - t0)) << 2));
        if (s <= epsSquared) {
          if (written >= capacity) return -1;
          const at = (<usize>written) << 2;
          store<i32>(outI + at, i);
          store<i32>(outJ + at, j);
          store<f32>(outSquared + at, s);
          written++;
        }
      }
    }
  }
  return written;
}

// radiusPairsUpper that keeps counting past `capacity`: writes the first `capacity` pairs and
// returns how many there are, so a chunk that overflows is run again with exactly the room it needs.
export function radiusPairsUpperCounted(base: usize, n: i32, d: i32, r0: i32, r1: i32, epsSquared: f32, outI: usize, outJ: usize, outSquared: usize, capacity: i32, scratch: usize): i32 {
  let found = 0;
  for (let t0 = r0; t0 < r1; t0 += TILE_ROWS) {
    const t1 = min(t0 + TILE_ROWS, r1);
    const width = n - t0;
    squaredDistanceTile(base, base, d, t0, t1, t0, n, scratch, width);
    for (let i = t0; i < t1; i++) {
      const row = scratch + ((<usize>((i - t0) * width)) << 2);
      for (let j = i + 1; j < n; j++) {
        const s = load<f32>(row + ((<usize>(j - t0)) << 2));
        if (s <= epsSquared) {
          if (found < capacity) {
            const at = (<usize>found) << 2;
            store<i32>(outI + at, i);
            store<i32>(outJ + at, j);
            store<f32>(outSquared + at, s);
          }
          found++;
        }
      }
    }
  }
  return found;
}

// Entry `index` of a table of (r0, r1, offset, capacity) i32 quadruples: radiusPairsUpper of rows
// [r0, r1) into the outputs at pair `offset` — the kernel threads' rerun of the chunks that
// overflowed, each into its own room. Returns the pairs written, or −1.
export function radiusPairsUpperListed(base: usize, n: i32, d: i32, table: usize, index: i32, epsSquared: f32, outI: usize, outJ: usize, outSquared: usize, scratch: usize): i32 {
  const entry = table + ((<usize>index) << 4);
  const offset = (<usize>load<i32>(entry, 8)) << 2;
  return radiusPairsUpper(base, n, d, load<i32>(entry), load<i32>(entry, 4), epsSquared, outI + offset, outJ + offset, outSquared + offset, load<i32>(entry, 12), scratch);
}

// How many base rows lie within ε of each query row, itself included when the query is a base
// row: the size of the ε-graph before it is built (src/algo/mapper/neighborhoods.ts estimates
// its memory from sampled rows). Query rows [q0, q1) of `queries`; counts to
// outCounts[q − q0]. `scratch` holds TILE_ROWS · nBase floats. Complexity O((q1 − q0) · nBase · d).
export function radiusCounts(base: usize, nBase: i32, queries: usize, q0: i32, q1: i32, d: i32, epsSquared: f32, outCounts: usize, scratch: usize): void {
  for (let r0 = q0; r0 < q1; r0 += TILE_ROWS) {
    const r1 = min(r0 + TILE_ROWS, q1);
    squaredDistanceTile(queries, base, d, r0, r1, 0, nBase, scratch, nBase);
    for (let r = r0; r < r1; r++) {
      const row = scratch + ((<usize>((r - r0) * nBase)) << 2);
      let count = 0;
      for (let j = 0; j < nBase; j++) if (load<f32>(row + ((<usize>j) << 2)) <= epsSquared) count++;
      store<i32>(outCounts + ((<usize>(r - q0)) << 2), count);
    }
  }
}
