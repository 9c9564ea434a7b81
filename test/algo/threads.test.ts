// NN-descent (trees, random fill, candidate sampling, local and leaf joins) and t-SNE's exact
// gradient on the kernel threads: the same bytes on 1, 2, 3 and 4 threads, and the same bytes
// (NN-descent) or the same values (t-SNE) as the serial kernels.
import { beforeAll, describe, expect, it } from "vitest";
import { getCore, loadCore, type Core } from "../../src/core/wasm.ts";
import { setThreads } from "../../src/core/threads.ts";
import { Rng, STREAMS } from "../../src/core/random.ts";
import { knn } from "../../src/algo/knn.ts";
import { knnRecall, nnDescent } from "../../src/algo/nndescent.ts";
import { tsne, tsneKlGradient } from "../../src/algo/tsne.ts";
import { ckaMatrix, linearCka } from "../../src/algo/cka.ts";
import { pca } from "../../src/algo/pca.ts";
import { bytes, clusters, mulberry32, onThreads } from "../helpers.ts";
import type { Matrix } from "../../src/core/matrix.ts";

beforeAll(async () => {
  setThreads(4); // before the shared core loads: it starts four kernel threads
  expect((await getCore()).maxThreads).toBe(4);
});

/**
 * NN-descent from the raw serial kernels on the one-thread SIMD build: the trees one after the
 * other (nndRpTree) with the serial leaf join, the random fill over all rows, then rounds of
 * nndRound (the serial candidate sampling and join over all rows).
 */
function serialNnDescent(
  core: Core,
  X: Matrix,
  k: number,
  C: number,
  nTrees: number,
  nIters: number,
  seed: number,
) {
  const K = core.kernels as unknown as Record<string, (...args: number[]) => number>;
  const { rows: n, cols: d } = X;
  return core.scope((s) => {
    const x = s.upload(X.data).ptr;
    const indices = s.i32(n * k);
    const dists = s.f32(n * k);
    const flags = s.u8(n * k);
    K.nndReset(indices.ptr, dists.ptr, flags.ptr, n, k);
    const order = s.i32(n).ptr;
    const leafStart = s.i32(n + 1).ptr;
    const scratch = s.alloc(K.nndTreeScratchBytes(n, d));
    const [low, high] = [seed % 2 ** 32, Math.floor(seed / 2 ** 32)];
    for (let t = 0; t < nTrees; t++) {
      const leaves = K.nndRpTree(
        x,
        n,
        d,
        Math.max(10, k + 1),
        order,
        leafStart,
        scratch,
        low,
        high,
        STREAMS.nnDescent,
        t,
      );
      K.nndJoinLeaves(x, n, d, k, order, leafStart, leaves, indices.ptr, dists.ptr, flags.ptr);
    }
    const fill = new Rng(core, seed, STREAMS.nnDescentFill);
    const candidates = new Rng(core, seed, STREAMS.nnDescentCandidates);
    const rowRng = s.alloc(16);
    K.nndFillRandomRows(x, n, d, k, indices.ptr, dists.ptr, flags.ptr, fill.state, rowRng, 0, n);
    const cand = [s.i32(n * C).ptr, s.f32(n * C).ptr, s.i32(n * C).ptr, s.f32(n * C).ptr];
    const updates: number[] = [];
    for (let r = 0; r < nIters; r++) {
      const u = K.nndRound(
        x,
        n,
        d,
        k,
        indices.ptr,
        dists.ptr,
        flags.ptr,
        C,
        cand[0],
        cand[1],
        cand[2],
        cand[3],
        candidates.state,
        rowRng,
        r,
      );
      updates.push(u);
      if (u <= 0.001 * k * n) break;
    }
    K.nndFinish(indices.ptr, dists.ptr, n, k);
    fill.dispose();
    candidates.dispose();
    return { indices: indices.copy(), distances: dists.copy(), updates };
  });
}

describe("PCG32's jump ahead and NN-descent's per-tree streams", () => {
  it("rngAdvance(m) lands where m draws do, and tree t reads the block at draw t·2^32", async () => {
    const core = await loadCore(new URL("../../build/core.wasm", import.meta.url));
    const K = core.kernels as unknown as Record<string, (...args: number[]) => number>;
    core.scope((s) => {
      // 1,000 draws one by one, then the next 8 from a copy moved 1,000 ahead: the same numbers.
      const a = new Rng(core, 123, 5);
      const b = new Rng(core, 123, 5);
      const skipped = s.i32(1000);
      K.rngFillU32(a.state, skipped.ptr, 1000);
      K.rngAdvance(b.state, 1000, 0);
      const [na, nb] = [s.i32(8), s.i32(8)];
      K.rngFillU32(a.state, na.ptr, 8);
      K.rngFillU32(b.state, nb.ptr, 8);
      expect(Array.from(nb.view())).toEqual(Array.from(na.view()));
      // 2^32 + 7 in one jump = 2^32 then 7 (the high word is read).
      const c = new Rng(core, 123, 5);
      const e = new Rng(core, 123, 5);
      K.rngAdvance(c.state, 7, 1);
      K.rngAdvance(e.state, 0, 1);
      K.rngAdvance(e.state, 7, 0);
      const [nc, ne] = [s.i32(4), s.i32(4)];
      K.rngFillU32(c.state, nc.ptr, 4);
      K.rngFillU32(e.state, ne.ptr, 4);
      expect(Array.from(nc.view())).toEqual(Array.from(ne.view()));
      expect(Array.from(nc.view())).not.toEqual(Array.from(na.view()));
      // Tree 3 of seed 9 is nndRpTreeLeaves on the tree stream moved 3·2^32 ahead.
      const X = clusters(500, 6, 1);
      const x = s.upload(X.data).ptr;
      const [o1, l1, o2, l2] = [s.i32(500), s.i32(501), s.i32(500), s.i32(501)];
      const scratch = s.alloc(K.nndTreeScratchBytes(500, 6));
      const leaves = K.nndRpTree(
        x,
        500,
        6,
        11,
        o1.ptr,
        l1.ptr,
        scratch,
        9,
        0,
        STREAMS.nnDescent,
        3,
      );
      const tree = new Rng(core, 9, STREAMS.nnDescent);
      K.rngAdvance(tree.state, 0, 3);
      const want = K.nndRpTreeLeaves(x, 500, 6, 11, o2.ptr, l2.ptr, scratch, tree.state);
      expect(leaves).toBe(want);
      expect(leaves).toBeGreaterThan(500 / 11);
      expect(bytes(o1.view()).equals(bytes(o2.view()))).toBe(true);
      expect(bytes(l1.view()).equals(bytes(l2.view()))).toBe(true);
      for (const r of [a, b, c, e, tree]) r.dispose();
    });
  });
});

describe("NN-descent's candidate sampling as propose/apply", () => {
  it("fills nndCandidatesPush's heaps, bit for bit, whatever the blocks, parts and steps", async () => {
    // A graph of 1,000 rows × 9 slots: random other rows, some slots empty, new and old flags
    // mixed, and 6 candidates a row, so heaps fill, reject by priority and meet repeats (a
    // row's own neighbour that is also its reverse neighbour).
    const simd = await loadCore(new URL("../../build/core.wasm", import.meta.url));
    const K = simd.kernels as unknown as Record<string, (...args: number[]) => number>;
    const [n, k, C] = [1000, 9, 6];
    const random = mulberry32(17);
    const idx = new Int32Array(n * k);
    const flg = new Uint8Array(n * k);
    for (let i = 0; i < n; i++)
      for (let t = 0; t < k; t++) {
        const j = Math.floor(random() * (n - 1));
        idx[i * k + t] = random() < 0.1 ? -1 : j >= i ? j + 1 : j;
        flg[i * k + t] = random() < 0.6 ? 1 : 0;
      }
    simd.scope((s) => {
      const indices = s.upload(idx).ptr;
      const flags = s.upload(flg).ptr;
      const rng = new Rng(simd, 11, STREAMS.nnDescentCandidates);
      const scratch = s.alloc(16);
      const heaps = (): number[] => [
        s.i32(n * C).ptr,
        s.f32(n * C).ptr,
        s.i32(n * C).ptr,
        s.f32(n * C).ptr,
      ];
      const read = (h: number[]) => h.map((p) => Buffer.from(simd.memory.buffer, p, 4 * n * C));
      const want = heaps();
      K.nndCandidatesPush(indices, flags, n, k, C, ...want, rng.state, 3, scratch, 0, n);
      const wanted = read(want).map((b) => Buffer.from(b));
      // Every row has candidates, new and old, and some new heaps are full.
      const newIdx = new Int32Array(wanted[0].buffer, wanted[0].byteOffset, n * C);
      const oldIdx = new Int32Array(wanted[2].buffer, wanted[2].byteOffset, n * C);
      expect(newIdx.filter((j) => j >= 0).length).toBeGreaterThan(n * C * 0.8);
      expect(oldIdx.filter((j) => j >= 0).length).toBeGreaterThan(n * C * 0.5);
      let records = 0;
      // (block rows, part shift, blocks a step): one block and one part; parts of 64 rows in
      // steps of 3 blocks; blocks of 7 rows that straddle parts of 128; 2^10-row parts (one).
      for (const [blockRows, shift, stepBlocks] of [
        [1000, 10, 1],
        [100, 6, 3],
        [7, 7, 40],
        [256, 10, 2],
      ]) {
        const parts = Math.ceil(n / 2 ** shift);
        const blockBytes = K.nndCandidateBlockBytes(blockRows, k, parts);
        const buffer = s.alloc(blockBytes * stepBlocks);
        const got = heaps();
        for (let i0 = 0; i0 < n; i0 += blockRows * stepBlocks) {
          const i1 = Math.min(n, i0 + blockRows * stepBlocks);
          const blocks = Math.ceil((i1 - i0) / blockRows);
          // Blocks proposed out of order: each writes only its own block.
          for (let b = blocks - 1; b >= 0; b--) {
            const r0 = i0 + b * blockRows;
            const r1 = Math.min(i1, r0 + blockRows);
            records += K.nndProposeCandidates(
              indices,
              flags,
              n,
              k,
              rng.state,
              3,
              scratch,
              r0,
              r1,
              buffer + b * blockBytes,
              parts,
              shift,
            );
          }
          for (let part = parts - 1; part >= 0; part--)
            K.nndApplyCandidates(
              n,
              C,
              ...got,
              buffer,
              blockBytes,
              blocks,
              parts,
              shift,
              part,
              i0 === 0 ? 1 : 0,
            );
        }
        const gotten = read(got);
        for (let h = 0; h < 4; h++) expect(gotten[h].equals(wanted[h])).toBe(true);
      }
      // Two records for each filled slot, in each of the four splits.
      expect(records).toBe(4 * 2 * idx.filter((j) => j >= 0).length);
      rng.dispose();
    });
  });
});

describe("NN-descent's local join on threads", () => {
  it("gives the serial kernels' graph, bit for bit, on 1, 2, 3 and 4 threads (three join steps a round)", async () => {
    // 40 candidates: 2,380 records a row at most, so a step holds 576 rows and 1,500 rows take 3.
    const X = clusters(1500, 16, 3);
    const options = { k: 10, maxCandidates: 40, nTrees: 2, nIters: 4, seed: 7 };
    const results = await onThreads(() => nnDescent(X, options));
    for (const r of results.slice(1)) {
      expect(bytes(r.indices).equals(bytes(results[0].indices))).toBe(true);
      expect(bytes(r.distances).equals(bytes(results[0].distances))).toBe(true);
      expect(r.updates).toEqual(results[0].updates);
    }
    const simd = await loadCore(new URL("../../build/core.wasm", import.meta.url));
    const serial = serialNnDescent(simd, X, 10, 40, 2, 4, 7);
    expect(results[0].updates).toEqual(serial.updates);
    expect(results[0].updates.length).toBeGreaterThan(1);
    expect(bytes(results[0].indices).equals(bytes(serial.indices))).toBe(true);
    expect(bytes(results[0].distances).equals(bytes(serial.distances))).toBe(true);
    // And a good graph: most of the exact neighbours.
    const exact = await knn(X, { k: 10 });
    expect(knnRecall(results[3], exact)).toBeGreaterThan(0.95);
  });

  it("gives the same graph on 1, 2, 3 and 4 threads at the defaults on 6,000 points (two steps a round)", async () => {
    const X = clusters(6000, 8, 5);
    const results = await onThreads(() => nnDescent(X, { k: 15 }));
    for (const r of results.slice(1)) {
      expect(bytes(r.indices).equals(bytes(results[0].indices))).toBe(true);
      expect(bytes(r.distances).equals(bytes(results[0].distances))).toBe(true);
    }
    const simd = await loadCore(new URL("../../build/core.wasm", import.meta.url));
    const p = results[0].params;
    const serial = serialNnDescent(simd, X, 15, p.maxCandidates, p.nTrees, p.nIters, p.seed);
    expect(bytes(results[0].indices).equals(bytes(serial.indices))).toBe(true);
    expect(results[0].updates).toEqual(serial.updates);
  });

  it("fills from random neighbours alone (no trees) with the serial kernels' graph on 1–4 threads", async () => {
    // 5,000 rows: three chunks of the row passes (fill, priorities, marks).
    const X = clusters(5000, 8, 13);
    const options = { k: 12, nTrees: 0, nIters: 3, seed: 2 ** 40 + 3 };
    const results = await onThreads(() => nnDescent(X, options));
    for (const r of results.slice(1)) {
      expect(bytes(r.indices).equals(bytes(results[0].indices))).toBe(true);
      expect(bytes(r.distances).equals(bytes(results[0].distances))).toBe(true);
    }
    const simd = await loadCore(new URL("../../build/core.wasm", import.meta.url));
    const serial = serialNnDescent(simd, X, 12, 12, 0, 3, 2 ** 40 + 3);
    expect(bytes(results[0].indices).equals(bytes(serial.indices))).toBe(true);
    expect(results[0].updates).toEqual(serial.updates);
    // Every row full, of distinct other rows.
    for (let i = 0; i < 5000; i++) {
      const row = new Set(results[0].indices.subarray(i * 12, i * 12 + 12));
      expect(row.size).toBe(12);
      expect(row.has(i) || row.has(-1)).toBe(false);
    }
  });

  it("joins the trees' leaves on threads in several steps with the serial leaf join's graph", async () => {
    // 2 candidates: a small records buffer, 8 blocks of 32 leaves, and a tree of 3,000 points has
    // more than 256 leaves of at most 11 points: at least two steps.
    const X = clusters(3000, 12, 21);
    const options = { k: 10, maxCandidates: 2, nTrees: 3, nIters: 2, seed: 5 };
    const results = await onThreads(() => nnDescent(X, options));
    for (const r of results.slice(1))
      expect(bytes(r.indices).equals(bytes(results[0].indices))).toBe(true);
    const simd = await loadCore(new URL("../../build/core.wasm", import.meta.url));
    const serial = serialNnDescent(simd, X, 10, 2, 3, 2, 5);
    expect(bytes(results[0].indices).equals(bytes(serial.indices))).toBe(true);
    expect(bytes(results[0].distances).equals(bytes(serial.distances))).toBe(true);
    expect(results[0].updates).toEqual(serial.updates);
  });

  it("is cancelled within a round, and the threads keep working", async () => {
    const X = clusters(3000, 16, 9);
    const controller = new AbortController();
    const run = nnDescent(X, {
      k: 10,
      maxCandidates: 40,
      nTrees: 1,
      signal: controller.signal,
      onProgress: (event) => {
        if (event.done > 1.2) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ code: "E_CANCELLED" });
    const [a, , c] = await onThreads(() => nnDescent(X, { k: 5, nIters: 1 }));
    expect(bytes(a.distances).equals(bytes(c.distances))).toBe(true);
    expect(bytes(a.indices).equals(bytes(c.indices))).toBe(true);
  });
});

describe("t-SNE's exact gradient on threads", () => {
  /** A dense symmetric joint P (Σ = 1, zero diagonal) and an embedding. */
  function problem(n: number, seed: number) {
    const random = mulberry32(seed);
    const P = new Float32Array(n * n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const v = random() ** 4;
        P[i * n + j] = v;
        P[j * n + i] = v;
        total += 2 * v;
      }
    }
    for (let t = 0; t < n * n; t++) P[t] /= total;
    const Y = Float32Array.from({ length: 2 * n }, () => 6 * (random() - 0.5));
    return { P, Y };
  }

  it("equals a float64 evaluation of the formula (odd and even n), and the symmetric serial kernel", async () => {
    for (const n of [301, 128]) {
      const { P, Y } = problem(n, n);
      // Reference: ∂C/∂y_i = 4 Σ_j (p_ij − q_ij) q̃_ij (y_i − y_j), KL = Σ p log(p / q), in float64.
      const qt = new Float64Array(n * n);
      let z = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          if (i === j) continue;
          qt[i * n + j] = 1 / (1 + (Y[2 * i] - Y[2 * j]) ** 2 + (Y[2 * i + 1] - Y[2 * j + 1]) ** 2);
          z += qt[i * n + j];
        }
      }
      const want = new Float64Array(2 * n);
      let kl = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          if (i === j) continue;
          const w = (P[i * n + j] - qt[i * n + j] / z) * qt[i * n + j];
          want[2 * i] += 4 * w * (Y[2 * i] - Y[2 * j]);
          want[2 * i + 1] += 4 * w * (Y[2 * i + 1] - Y[2 * j + 1]);
          const q = Math.max(qt[i * n + j] / z, 2.220446049250313e-16);
          kl += P[i * n + j] * Math.log(Math.max(P[i * n + j], 2.220446049250313e-16) / q);
        }
      }
      const results = await onThreads(() => tsneKlGradient(P, Y, n));
      for (const r of results.slice(1)) {
        expect(bytes(r.gradient).equals(bytes(results[0].gradient))).toBe(true);
        expect(r.kl).toBe(results[0].kl);
      }
      let scale = 0;
      for (const v of want) scale = Math.max(scale, Math.abs(v));
      for (let t = 0; t < 2 * n; t++)
        expect(Math.abs(results[0].gradient[t] - want[t])).toBeLessThan(1e-6 * scale);
      expect(Math.abs(results[0].kl - kl)).toBeLessThan(1e-9 * kl);
      // The serial (symmetric, pair-once) kernel it replaces gives the same values to rounding.
      const core = await getCore();
      const serial = core.scope((s) => {
        const p = s.upload(P).ptr;
        const y = s.upload(Y).ptr;
        const g = s.f32(2 * n);
        const e = core.kernels.tsneExactGradient(p, y, n, 1, g.ptr, 1, s.f64(4 * n).ptr);
        return { kl: e, gradient: g.copy() };
      });
      for (let t = 0; t < 2 * n; t++)
        expect(Math.abs(results[0].gradient[t] - serial.gradient[t])).toBeLessThan(1e-6 * scale);
      expect(Math.abs(results[0].kl - serial.kl)).toBeLessThan(1e-9 * kl);
    }
  });

  it("gives the same exact-method layout and KL, bit for bit, on 1, 2 and 4 threads", async () => {
    const X = clusters(301, 10, 17); // 10 chunks of 32 rows (the last one of 13)
    const results = await onThreads(() => tsne(X, { method: "exact", nIter: 300, seed: 3 }));
    for (const r of results.slice(1)) {
      expect(bytes(r.coordinates.data).equals(bytes(results[0].coordinates.data))).toBe(true);
      expect(r.klDivergence).toBe(results[0].klDivergence);
    }
    expect(results[0].params.method).toBe("exact");
    // Five separated clusters stay separated: each point's nearest embedded neighbour is of its cluster.
    const Y = results[0].coordinates.data;
    let same = 0;
    for (let i = 0; i < 301; i++) {
      let best = -1;
      let bestD = Infinity;
      for (let j = 0; j < 301; j++) {
        if (j === i) continue;
        const dd = (Y[2 * i] - Y[2 * j]) ** 2 + (Y[2 * i + 1] - Y[2 * j + 1]) ** 2;
        if (dd < bestD) [best, bestD] = [j, dd];
      }
      if (best % 5 === i % 5) same++;
    }
    expect(same).toBeGreaterThan(295);
  });
});

describe("CKA's Gram products and cross products on threads", () => {
  /** Linear CKA in float64 from its definition, ‖YcᵀXc‖²_F / (‖XcᵀXc‖_F ‖YcᵀYc‖_F). */
  function reference(X: Matrix, Y: Matrix): number {
    const n = X.rows;
    const centred = (M: Matrix) => {
      const out = new Float64Array(n * M.cols);
      for (let c = 0; c < M.cols; c++) {
        let mean = 0;
        for (let i = 0; i < n; i++) mean += M.data[i * M.cols + c];
        mean /= n;
        for (let i = 0; i < n; i++) out[i * M.cols + c] = M.data[i * M.cols + c] - mean;
      }
      return out;
    };
    const cross = (A: Float64Array, a: number, B: Float64Array, b: number) => {
      let total = 0;
      for (let p = 0; p < a; p++)
        for (let q = 0; q < b; q++) {
          let dot = 0;
          for (let i = 0; i < n; i++) dot += A[i * a + p] * B[i * b + q];
          total += dot * dot;
        }
      return total;
    };
    const [x, y] = [centred(X), centred(Y)];
    return (
      cross(x, X.cols, y, Y.cols) /
      Math.sqrt(cross(x, X.cols, x, X.cols) * cross(y, Y.cols, y, Y.cols))
    );
  }

  it("gives the same matrix bytes on 1, 2, 3 and 4 threads in both forms, equal to the definition", async () => {
    // Gram form: 300 rows in 30 chunks of 10. Feature form: 1,000 rows × 150 columns, two
    // chunks of columns per pair (2e7 multiply-adds a chunk).
    const small = [clusters(300, 40, 1), clusters(300, 25, 2), clusters(300, 60, 3)];
    const gram = await onThreads(() => ckaMatrix(small, { form: "gram" }));
    const wide = [clusters(1000, 150, 4), clusters(1000, 150, 5)];
    const feature = await onThreads(() => ckaMatrix(wide, { form: "feature" }));
    for (const runs of [gram, feature]) {
      for (const r of runs.slice(1))
        expect(bytes(r.matrix).equals(bytes(runs[0].matrix))).toBe(true);
    }
    expect(Math.abs(gram[0].matrix[1] - reference(small[0], small[1]))).toBeLessThan(1e-12);
    expect(Math.abs(gram[0].matrix[5] - reference(small[1], small[2]))).toBeLessThan(1e-12);
    expect(Math.abs(feature[0].matrix[1] - reference(wide[0], wide[1]))).toBeLessThan(1e-12);
    // The two forms agree, and debiased CKA is the same bytes on any thread count too.
    const both = await linearCka(small[0], small[2], { form: "feature" });
    expect(Math.abs(both.cka - gram[0].matrix[2])).toBeLessThan(1e-12);
    const debiased = await onThreads(() =>
      linearCka(small[0], small[1], { debiased: true, form: "gram" }),
    );
    for (const r of debiased.slice(1)) expect(r.cka).toBe(debiased[0].cka);
  });
});

describe("PCA's covariance on threads", () => {
  it("gives the one-thread kernel's covariance bytes on 2, 3 and 4 threads (pieces of rows), centred or not", async () => {
    for (const [n, d, center] of [
      [700, 101, true],
      [333, 40, false],
    ] as const) {
      const X = clusters(n, d, d);
      const runs = await onThreads(() => pca(X, { nComponents: 5, center, spectrum: true }));
      for (const r of runs.slice(1)) {
        expect(bytes(r.spectrum).equals(bytes(runs[0].spectrum))).toBe(true);
        expect(bytes(r.components).equals(bytes(runs[0].components))).toBe(true);
        expect(bytes(r.scores.data).equals(bytes(runs[0].scores.data))).toBe(true);
      }
      // The spectrum sums to the total variance: the trace of the covariance, from its definition.
      let trace = 0;
      for (let c = 0; c < d; c++) {
        let mean = 0;
        if (center) {
          for (let i = 0; i < n; i++) mean += X.data[i * d + c];
          mean /= n;
        }
        let ss = 0;
        for (let i = 0; i < n; i++) ss += (X.data[i * d + c] - mean) ** 2;
        trace += ss / (center ? n - 1 : n);
      }
      expect(Math.abs(runs[0].totalVariance - trace)).toBeLessThan(1e-9 * trace);
    }
  });
});
