// Single-linkage clustering of a subset of rows, by Prim's minimum spanning tree.
//
// The single-linkage dendrogram's merge heights are exactly the MST's edge weights (Gower &
// Ross 1969), so one O(m²·d) Prim pass with distances computed on the fly gives every cut
// without storing the m × m matrix. Mapper's gap rule then cuts the tree (src/algo/mapper).
//
// Memory contract: X is n × d row-major f32; rows[0..m) are the subset (row indices into X).
// Writes m − 1 edges in the order Prim adds them: edge e joins subset positions outFrom[e] and
// outTo[e] at Euclidean distance outWeight[e]. `scratch` holds m f32 + m i32 (8·m bytes).
// Ties in the next-nearest choice go to the lower subset position, so the tree is deterministic.

import { squaredDistancePair } from "./distance";

export function primMst(X: usize, d: i32, rows: usize, m: i32, outFrom: usize, outTo: usize, outWeight: usize, scratch: usize): void {
  if (m < 2) return;
  const best = scratch; // f32: squared distance of each outside row to the tree
  const from = scratch + ((<usize>m) << 2); // i32: the tree row it is nearest to; −1 once inside
  const stride = (<usize>d) << 2;
  const first = X + (<usize>load<i32>(rows)) * stride;
  for (let j = 1; j < m; j++) {
    store<f32>(best + ((<usize>j) << 2), squaredDistancePair(first, X + (<usize>load<i32>(rows + ((<usize>j) << 2))) * stride, d));
    store<i32>(from + ((<usize>j) << 2), 0);
  }
  store<i32>(from, -1);
  for (let e = 0; e < m - 1; e++) {
    let next = -1;
    let nextBest = f32.MAX_VALUE;
    for (let j = 1; j < m; j++) {
      if (load<i32>(from + ((<usize>j) << 2)) < 0) continue;
      const b = load<f32>(best + ((<usize>j) << 2));
      if (next < 0 || b < nextBest) {
        next = j;
        nextBest = b;
      }
    }
    store<i32>(outFrom + ((<usize>e) << 2), load<i32>(from + ((<usize>next) << 2)));
    store<i32>(outTo + ((<usize>e) << 2), next);
    store<f32>(outWeight + ((<usize>e) << 2), sqrt<f32>(nextBest));
    store<i32>(from + ((<usize>next) << 2), -1);
    const px = X + (<usize>load<i32>(rows + ((<usize>next) << 2))) * stride;
    for (let j = 1; j < m; j++) {
      if (load<i32>(from + ((<usize>j) << 2)) < 0) continue;
      const dj = squaredDistancePair(px, X + (<usize>load<i32>(rows + ((<usize>j) << 2))) * stride, d);
      if (dj < load<f32>(best + ((<usize>j) << 2))) {
        store<f32>(best + ((<usize>j) << 2), dj);
        store<i32>(from + ((<usize>j) << 2), next);
      }
    }
  }
}
