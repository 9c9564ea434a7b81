// The parts of the kernels that ran on the calling thread and now run in row jobs: SMACOF's
// Guttman transform (PHATE's metric MDS), t-SNE's perplexity search, SOM's batch update, the
// ε-graph's overflow reruns, CKA's Gram inner products and PHATE's dense operator; and the
// distances' copy-out, now done by each thread for the rows it computed. Each gives the same
// bytes on 1, 2, 3 and 4 threads, and the serial kernels' bytes (SMACOF's regrouped sums: their
// values to rounding).
import { beforeAll, describe, expect, it } from "vitest";
import { getCore, loadCore } from "../../src/core/wasm.ts";
import { setThreads } from "../../src/core/threads.ts";
import { smacof, smacofBlockBounds } from "../../src/algo/mds.ts";
import { pairwiseDistances } from "../../src/algo/distance.ts";
import { denseJointProbabilities, sparseJointProbabilities } from "../../src/algo/tsne.ts";
import { som } from "../../src/algo/som.ts";
import { radiusPairs } from "../../src/algo/radius.ts";
import { phate } from "../../src/algo/phate.ts";
import { ckaMatrix } from "../../src/algo/cka.ts";
import { writeNpy } from "../../src/io/npy.ts";
import { bytes, clusters, mulberry32, onThreads } from "../helpers.ts";
import type { Matrix } from "../../src/core/matrix.ts";

type Kernels = Record<string, (...args: number[]) => number>;

beforeAll(async () => {
  setThreads(4);
  expect((await getCore()).maxThreads).toBe(4);
});

describe("SMACOF's Guttman transform in row blocks", () => {
  it("splits the pairs (i, j > i) into blocks of about equal size, fixed by n", () => {
    expect(Array.from(smacofBlockBounds(2))).toEqual([0, 2]);
    expect(Array.from(smacofBlockBounds(200))).toEqual([0, 200]); // 19,900 pairs: one block
    for (const n of [600, 1000, 5000]) {
      const bounds = smacofBlockBounds(n);
      const blocks = bounds.length - 1;
      const pairs = (n * (n - 1)) / 2;
      expect(blocks).toBe(Math.min(64, Math.ceil(pairs / 32768)));
      expect(bounds[0]).toBe(0);
      expect(bounds[blocks]).toBe(n);
      const rowPairs = (i: number) => n - 1 - i;
      for (let b = 0; b < blocks; b++) {
        expect(bounds[b + 1]).toBeGreaterThan(bounds[b]);
        let inBlock = 0;
        for (let i = bounds[b]; i < Math.min(bounds[b + 1], n - 1); i++) inBlock += rowPairs(i);
        // Within one row's pairs of the even share (a block ends at a whole row).
        expect(Math.abs(inBlock - pairs / blocks)).toBeLessThanOrEqual(n);
      }
    }
  });

  it("gives the serial step's bytes with one block, and its values to rounding with several", async () => {
    const simd = await loadCore(new URL("../../build/core.wasm", import.meta.url));
    const K = simd.kernels as unknown as Kernels;
    for (const n of [150, 700]) {
      const D = await pairwiseDistances(clusters(n, 6, n));
      const random = mulberry32(n);
      const X = Float64Array.from({ length: 2 * n }, () => random());
      const bounds = smacofBlockBounds(n);
      const blocks = bounds.length - 1;
      expect(blocks).toBe(n === 150 ? 1 : 8);
      simd.scope((s) => {
        const delta = s.upload(D.data).ptr;
        const x = s.upload(X).ptr;
        const serial = s.f64(2 * n);
        const want = K.mdsSmacofStep(delta, n, 2, x, serial.ptr, s.f64(4 * n).ptr);
        const cols = s.f64(2 * n).ptr;
        const accs = s.f64(blocks * 2 * n).ptr;
        const b = s.upload(bounds).ptr;
        const out = s.f64(2 * n);
        K.mdsSmacofColumns(x, n, 2, cols);
        let stress = 0;
        // The blocks in reverse: each writes only its own accumulator.
        const parts = new Float64Array(blocks);
        for (let c = blocks - 1; c >= 0; c--)
          parts[c] = K.mdsSmacofBlock(delta, n, 2, cols, b, c, accs);
        for (const part of parts) stress += part;
        K.mdsSmacofCombine(n, 2, b, blocks, accs, out.ptr);
        if (blocks === 1) {
          expect(bytes(out.view()).equals(bytes(serial.view()))).toBe(true);
          expect(stress).toBe(want);
        } else {
          const got = out.view();
          const ref = serial.view();
          let scale = 0;
          for (const v of ref) scale = Math.max(scale, Math.abs(v));
          for (let t = 0; t < 2 * n; t++)
            expect(Math.abs(got[t] - ref[t])).toBeLessThan(1e-13 * scale);
          expect(Math.abs(stress - want)).toBeLessThan(1e-12 * want);
          expect(bytes(got).equals(bytes(ref))).toBe(false); // regrouped sums: a few last bits
        }
      });
    }
  });

  it("gives the same configuration and stress bytes on 1, 2, 3 and 4 threads, and in PHATE", async () => {
    const D = await pairwiseDistances(clusters(700, 8, 3)); // 8 blocks
    const runs = await onThreads(() => smacof(D, { seed: 5, maxIter: 40, eps: 0 }));
    for (const r of runs.slice(1)) {
      expect(bytes(r.coordinates.data).equals(bytes(runs[0].coordinates.data))).toBe(true);
      expect(r.stress).toBe(runs[0].stress);
      expect(r.iterations).toBe(runs[0].iterations);
    }
    expect(runs[0].iterations).toBe(40);
    const X = clusters(400, 10, 11);
    const embeddings = await onThreads(() => phate(X, { t: 8 }));
    for (const r of embeddings.slice(1)) {
      expect(bytes(r.embedding.data).equals(bytes(embeddings[0].embedding.data))).toBe(true);
      expect(r.stress).toBe(embeddings[0].stress);
    }
  });
});

describe("t-SNE's perplexity search in row chunks", () => {
  /** Dense joint P from the serial kernel over all rows at once, as jointFromDistances forms it. */
  async function serialDense(X: Matrix, perplexity: number): Promise<Float32Array> {
    const simd = await loadCore(new URL("../../build/core.wasm", import.meta.url));
    const n = X.rows;
    const D = await pairwiseDistances(X, undefined, { metric: "sqeuclidean" });
    const C = simd.scope((s) => {
      const out = s.f32(n * n);
      simd.kernels.tsneConditionalP(s.upload(D.data).ptr, n, n, n, 1, perplexity, out.ptr);
      return out.copy();
    });
    let sum = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) if (i !== j) sum += C[i * n + j] + C[j * n + i];
    const scale = 1 / Math.max(sum, 2.220446049250313e-16);
    const P = new Float32Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++)
        if (i !== j)
          P[i * n + j] = Math.max((C[i * n + j] + C[j * n + i]) * scale, 2.220446049250313e-16);
    return P;
  }

  it("gives the serial kernel's P, bit for bit, on 1, 2, 3 and 4 threads (dense and from neighbours)", async () => {
    const X = clusters(333, 12, 7); // 333 rows of 333: 25 rows a chunk, 14 chunks
    const core = await getCore();
    const dense = await onThreads(() => denseJointProbabilities(core, X, 30));
    const want = await serialDense(X, 30);
    for (const P of dense) expect(bytes(P).equals(bytes(want))).toBe(true);
    // Neighbours: 3,000 rows of 91, 91 rows a chunk.
    const Y = clusters(3000, 8, 9);
    const sparse = await onThreads(() => sparseJointProbabilities(core, Y, 30, 91));
    for (const G of sparse.slice(1)) {
      expect(bytes(G.values).equals(bytes(sparse[0].values))).toBe(true);
      expect(bytes(G.columns).equals(bytes(sparse[0].columns))).toBe(true);
    }
    let total = 0;
    for (const v of sparse[0].values) total += v;
    expect(Math.abs(total - 1)).toBeLessThan(1e-5);
  });
});

describe("SOM's batch update by node", () => {
  it("equals the serial batch passes bit for bit, and trains the same map on 1, 2, 3 and 4 threads", async () => {
    const simd = await loadCore(new URL("../../build/core.wasm", import.meta.url));
    const K = simd.kernels as unknown as Kernels;
    const X = clusters(900, 16, 5);
    const [n, d, rows, cols] = [900, 16, 7, 9];
    const m = rows * cols;
    const random = mulberry32(2);
    const W = Float32Array.from({ length: m * d }, () => 4 * random());
    const coords = new Float64Array(2 * m);
    for (let j = 0; j < m; j++)
      [coords[2 * j], coords[2 * j + 1]] = [j % cols, Math.floor(j / cols)];
    for (const kind of [0, 1, 2, 3]) {
      simd.scope((s) => {
        const x = s.upload(X.data).ptr;
        const c = s.upload(coords).ptr;
        const bmu = s.i32(n);
        K.somBestMatching(
          x,
          n,
          d,
          s.upload(W).ptr,
          m,
          bmu.ptr,
          0,
          s.f32(n).ptr,
          s.f32(K.somScratchFloats(m)).ptr,
        );
        // Serial: sums, the m × m neighbourhood matrix, the update.
        const w1 = s.upload(W);
        const [sums1, counts1, h] = [s.f64(m * d), s.f64(m), s.f64(m * m)];
        K.somBatchAccumulate(x, n, d, bmu.ptr, m, sums1.ptr, counts1.ptr);
        K.somNeighborhoodMatrix(c, m, cols, kind, 2.5, h.ptr);
        K.somBatchUpdate(h.ptr, sums1.ptr, counts1.ptr, m, d, w1.ptr, s.f64(d).ptr);
        // By node, in chunks taken out of order.
        const w2 = s.upload(W);
        const [sums2, counts2] = [s.f64(m * d), s.f64(m)];
        const [start, order] = [s.i32(m + 1), s.i32(n)];
        K.somGroupByNode(bmu.ptr, n, m, start.ptr, order.ptr);
        const scratch = s.f64(m + d).ptr;
        for (const [c0, c1] of [
          [40, m],
          [0, 17],
          [17, 40],
        ]) {
          K.somBatchAccumulateNodes(x, d, start.ptr, order.ptr, sums2.ptr, counts2.ptr, c0, c1);
        }
        for (const [j0, j1] of [
          [50, m],
          [0, 50],
        ]) {
          K.somBatchUpdateNodes(
            c,
            m,
            cols,
            kind,
            2.5,
            sums2.ptr,
            counts2.ptr,
            d,
            w2.ptr,
            j0,
            j1,
            scratch,
          );
        }
        expect(bytes(sums2.view()).equals(bytes(sums1.view()))).toBe(true);
        expect(bytes(counts2.view()).equals(bytes(counts1.view()))).toBe(true);
        expect(bytes(w2.view()).equals(bytes(w1.view()))).toBe(true);
        // Every sample once, in sample order within its node.
        const o = order.view();
        const b = bmu.view();
        const st = start.view();
        for (let node = 0; node < m; node++)
          for (let e = st[node]; e < st[node + 1]; e++) {
            expect(b[o[e]]).toBe(node);
            if (e > st[node]) expect(o[e]).toBeGreaterThan(o[e - 1]);
          }
        expect(st[m]).toBe(n);
      });
    }
    const maps = await onThreads(() => som(X, { rows: 12, cols: 12, epochs: 8, seed: 3 }));
    for (const r of maps.slice(1)) {
      expect(bytes(r.weights.data).equals(bytes(maps[0].weights.data))).toBe(true);
      expect(bytes(r.bmus).equals(bytes(maps[0].bmus))).toBe(true);
    }
  });
});

describe("the ε-graph's overflow reruns on the threads", () => {
  it("gives the same pairs on 1, 2, 3 and 4 threads when most chunks overflow, in (i, j) order", async () => {
    // 2,000 points in a unit cube of 4 dimensions, radius 0.35: about 70 pairs (i, j > i) a row
    // on average (more in the first rows), where a chunk's buffer holds 32 a row.
    const random = mulberry32(17);
    const X = { rows: 2000, cols: 4, data: Float32Array.from({ length: 8000 }, () => random()) };
    const runs = await onThreads(() => radiusPairs(X, 0.35));
    for (const r of runs.slice(1)) {
      expect(bytes(r.i).equals(bytes(runs[0].i))).toBe(true);
      expect(bytes(r.j).equals(bytes(runs[0].j))).toBe(true);
      expect(bytes(r.squared).equals(bytes(runs[0].squared))).toBe(true);
    }
    const { i, j, squared } = runs[0];
    // Brute force in float64 over a sample of rows: every pair, none missing.
    const count = new Int32Array(2000);
    let ordered = true;
    for (let p = 0; p < i.length; p++) {
      count[i[p]]++;
      if (p > 0 && !(i[p] > i[p - 1] || (i[p] === i[p - 1] && j[p] > j[p - 1]))) ordered = false;
    }
    expect(ordered).toBe(true);
    // Chunks of 64 rows whose pairs overflowed their buffer of 64 · 32 (and ran again).
    let overflowed = 0;
    for (let r0 = 0; r0 < 2000; r0 += 64) {
      let pairs = 0;
      for (let r = r0; r < Math.min(2000, r0 + 64); r++) pairs += count[r];
      if (pairs > 64 * 32) overflowed++;
    }
    expect(overflowed).toBeGreaterThan(10);
    for (const r of [0, 1, 777, 1998]) {
      // Pairs surely inside and those inside or within float32 rounding of the radius.
      let inside = 0;
      let edge = 0;
      for (let c = r + 1; c < 2000; c++) {
        let s = 0;
        for (let k = 0; k < 4; k++) s += (X.data[r * 4 + k] - X.data[c * 4 + k]) ** 2;
        if (s <= 0.35 * 0.35 * (1 - 1e-5)) inside++;
        else if (s <= 0.35 * 0.35 * (1 + 1e-5)) edge++;
      }
      expect(count[r]).toBeGreaterThanOrEqual(inside);
      expect(count[r]).toBeLessThanOrEqual(inside + edge);
    }
    for (let p = 0; p < 50; p++) expect(squared[p]).toBeLessThanOrEqual(Math.fround(0.35 * 0.35));
  });
});

describe("pairwise distances copied out by the threads that computed them", () => {
  it("gives the same bytes on 1, 2, 3 and 4 threads over several blocks, equal to float64 distances", async () => {
    // 1,300 rows: blocks of 512 rows (a quarter, in whole chunks of 256), the last of 276.
    const X = clusters(1300, 40, 23);
    const runs = await onThreads(() => pairwiseDistances(X));
    for (const r of runs.slice(1)) expect(bytes(r.data).equals(bytes(runs[0].data))).toBe(true);
    for (const [i, j] of [
      [0, 1],
      [511, 512],
      [1023, 1299],
      [1299, 0],
      [700, 700],
    ]) {
      let s = 0;
      for (let k = 0; k < 40; k++) s += (X.data[i * 40 + k] - X.data[j * 40 + k]) ** 2;
      expect(Math.abs(runs[0].data[i * 1300 + j] - Math.sqrt(s))).toBeLessThan(
        1e-5 * (1 + Math.sqrt(s)),
      );
    }
  });

  it("gives the same bytes on 1–4 threads for X against Y, each metric, rows not a multiple of the chunk", async () => {
    // On several threads each thread copies the rows it computed into a shared result, in
    // chunks of about 1 MiB of distances: 52 rows for 5,000 columns (333 = 6·52 + 21 rows),
    // 200 rows for 1,300 (1,300 = 6·200 + 100). One thread copies blocks into an ordinary array.
    const X = clusters(333, 7, 37); // d = 7: the kernels' scalar tail too
    const Y = clusters(5000, 7, 38);
    const Z = clusters(1300, 7, 39);
    for (const metric of ["sqeuclidean", "euclidean", "cosine"] as const) {
      for (const [A, B] of [
        [X, Y],
        [Z, undefined],
      ] as const) {
        const other = B ?? A;
        const runs = await onThreads(() => pairwiseDistances(A, B, { metric }));
        expect(runs[0].data.buffer).toBeInstanceOf(ArrayBuffer);
        for (const r of runs.slice(1)) {
          expect(r.data.buffer).toBeInstanceOf(SharedArrayBuffer);
          expect([r.rows, r.cols]).toEqual([A.rows, other.rows]);
          expect(bytes(r.data).equals(bytes(runs[0].data)), metric).toBe(true);
        }
        // Right, not only the same: entries from every chunk against float64 sums.
        for (const [i, j] of [
          [0, 0],
          [51, 4999 % other.rows],
          [52, 1],
          [A.rows - 1, other.rows - 1],
          [A.rows - 21, 777],
        ]) {
          const a = A.data.subarray(i * 7, i * 7 + 7);
          const b = other.data.subarray(j * 7, j * 7 + 7);
          let dd = 0;
          let ab = 0;
          let aa = 0;
          let bb = 0;
          for (let k = 0; k < 7; k++) {
            dd += (a[k] - b[k]) ** 2;
            ab += a[k] * b[k];
            aa += a[k] * a[k];
            bb += b[k] * b[k];
          }
          const want =
            metric === "sqeuclidean"
              ? dd
              : metric === "euclidean"
                ? Math.sqrt(dd)
                : 1 - ab / Math.sqrt(aa * bb);
          const got = runs[2].data[i * other.rows + j];
          expect(Math.abs(got - want), `${metric} (${i}, ${j})`).toBeLessThan(1e-5 * (1 + want));
        }
      }
    }
  });

  it("returns a shared result on several threads that copies, clones and writes as the one-thread one", async () => {
    const X = clusters(300, 5, 43);
    const [one, two] = await onThreads(() => pairwiseDistances(X), [1, 2]);
    expect(two.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    const npy = (m: Matrix) => Buffer.from(writeNpy({ shape: [m.rows, m.cols], data: m.data }));
    expect(npy(two).equals(npy(one))).toBe(true);
    const copy = two.data.slice();
    expect(copy.buffer).toBeInstanceOf(ArrayBuffer);
    expect(bytes(copy).equals(bytes(one.data))).toBe(true);
    expect(bytes(structuredClone(two.data)).equals(bytes(one.data))).toBe(true);
    // The same refusals on either path: squared distances past float32, a result past 2 GiB.
    const far = { ...X, data: X.data.map((v) => v * 1e20) };
    const long = { rows: 2 ** 16, cols: 1, data: new Float32Array(2 ** 16) };
    for (const threads of [1, 2]) {
      setThreads(threads);
      await expect(
        pairwiseDistances(far, undefined, { metric: "sqeuclidean" }),
      ).rejects.toMatchObject({ code: "E_RANGE" });
      await expect(pairwiseDistances(long)).rejects.toMatchObject({ code: "E_TOO_LARGE" });
    }
    setThreads(4);
  });

  it("is cancelled mid-way (between chunks on several threads, blocks on one) and leaves the threads working", async () => {
    // d = 256: ~7 GFLOP, well past the 50 ms after which progress is reported a second time,
    // also on idle cores (the rows are one job now, with no pause between blocks).
    const X = clusters(3000, 256, 29);
    const controller = new AbortController();
    let calls = 0;
    const run = pairwiseDistances(X, undefined, {
      signal: controller.signal,
      onProgress: () => {
        if (++calls === 2) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ code: "E_CANCELLED" });
    const Y = clusters(600, 8, 31);
    const [a, , c] = await onThreads(() => pairwiseDistances(Y));
    expect(bytes(a.data).equals(bytes(c.data))).toBe(true);
  });
});

describe("CKA's Gram inner product in row chunks", () => {
  it("equals ckaGramInner bit for bit, chunks in any order, and ckaMatrix is the same on 1–4 threads", async () => {
    const simd = await loadCore(new URL("../../build/core.wasm", import.meta.url));
    const K = simd.kernels as unknown as Kernels;
    const n = 257;
    const random = mulberry32(41);
    const sym = () => {
      const A = new Float64Array(n * n);
      for (let i = 0; i < n; i++)
        for (let j = i; j < n; j++) A[i * n + j] = A[j * n + i] = random() - 0.3;
      return A;
    };
    simd.scope((s) => {
      const [a, b] = [s.upload(sym()).ptr, s.upload(sym()).ptr];
      const want = K.ckaGramInner(a, b, n);
      const terms = s.f64(2 * n).ptr;
      for (const [i0, i1] of [
        [200, n],
        [0, 9],
        [9, 200],
      ])
        K.ckaGramInnerRows(a, b, n, i0, i1, terms);
      expect(K.ckaGramInnerSum(terms, n)).toBe(want);
    });
    const layers = [clusters(500, 30, 1), clusters(500, 12, 2), clusters(500, 50, 3)];
    const runs = await onThreads(() => ckaMatrix(layers, { form: "gram" }));
    for (const r of runs.slice(1)) expect(bytes(r.matrix).equals(bytes(runs[0].matrix))).toBe(true);
  });
});

describe("PHATE's dense operator in rows", () => {
  it("writes D⁻¹K and D^-½ K D^-½ with the bytes of the entrywise formulas, on 1–4 threads", async () => {
    const simd = await loadCore(new URL("../../build/core.wasm", import.meta.url));
    const K = simd.kernels as unknown as Kernels;
    const n = 90;
    const random = mulberry32(43);
    const rowPtr = new Int32Array(n + 1);
    const columns: number[] = [];
    const values: number[] = [];
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (i !== j && random() >= 0.2) continue;
        columns.push(j);
        values.push(random());
      }
      rowPtr[i + 1] = columns.length;
    }
    const deg = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let e = rowPtr[i]; e < rowPtr[i + 1]; e++) deg[i] += values[e];
    const root = deg.map(Math.sqrt);
    for (const symmetric of [false, true]) {
      const want = new Float64Array(n * n);
      for (let i = 0; i < n; i++)
        for (let e = rowPtr[i]; e < rowPtr[i + 1]; e++)
          want[i * n + columns[e]] = symmetric
            ? values[e] / (root[i] * root[columns[e]])
            : values[e] / deg[i];
      simd.scope((s) => {
        const out = s.f64(n * n);
        out.view().fill(7); // every entry is written
        const scale = s.upload(symmetric ? root : deg).ptr;
        const ones = s.upload(new Float64Array(n).fill(1)).ptr;
        const args = [
          s.upload(rowPtr).ptr,
          s.upload(Int32Array.from(columns)).ptr,
          s.upload(Float64Array.from(values)).ptr,
        ];
        for (const [i0, i1] of [
          [50, n],
          [0, 50],
        ])
          K.phateDenseRows(...args, scale, symmetric ? scale : ones, n, out.ptr, i0, i1);
        expect(bytes(out.view()).equals(bytes(want))).toBe(true);
      });
    }
  });
});
