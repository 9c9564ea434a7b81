// Kernel threads: every threaded computation gives the same bytes on 1, 2 and 3 threads, the
// shared-memory build gives the same bytes as the one-thread SIMD build, and a cancelled job
// stops every thread before the memory it writes is freed.
import { beforeAll, describe, expect, it } from "vitest";
import { HiddenAtlasError } from "../../src/core/errors.ts";
import { getCore, loadCore, type Core } from "../../src/core/wasm.ts";
import { setThreads, threadStatus } from "../../src/core/threads.ts";
import { pairwiseDistances } from "../../src/algo/distance.ts";
import { knn } from "../../src/algo/knn.ts";
import { radiusPairs } from "../../src/algo/radius.ts";
import { som } from "../../src/algo/som.ts";
import { umap } from "../../src/algo/umap.ts";
import { alphaDecayAffinity, potentialDistances } from "../../src/algo/phate.ts";
import { tsne, tsneBarnesHutGradient, tsneKlGradient } from "../../src/algo/tsne.ts";
import { symmetrizeNeighbors } from "../../src/algo/graph.ts";
import { MERGE_SUM } from "../../src/algo/embed-kernels.ts";
import { persistentHomology } from "../../src/algo/rips.ts";
import { mulberry32, randomMatrix } from "../helpers.ts";
import type { Matrix } from "../../src/core/matrix.ts";

/** The bytes of a typed array, for exact comparison. */
const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Run `compute` on 1, 2 and 3 threads; return the three results. */
async function onThreads<T>(compute: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (const threads of [1, 2, 3]) {
    setThreads(threads);
    out.push(await compute());
  }
  setThreads(3);
  return out;
}

/** Expect the typed arrays picked from each result to be byte-identical. */
function expectSameBytes<T>(results: T[], pick: (r: T) => ArrayBufferView[]): void {
  const [first, ...rest] = results.map(pick);
  for (const other of rest) {
    other.forEach((array, i) =>
      expect(bytes(array).equals(bytes(first[i])), `array ${i}`).toBe(true),
    );
  }
}

/** Gaussian clusters: a cloud with structure (and, in the first cluster, many close pairs). */
function clusters(n: number, d: number, seed: number, spread = 0.3): Matrix {
  const random = mulberry32(seed);
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = i % 5;
    for (let k = 0; k < d; k++)
      data[i * d + k] = (k === c ? 4 : 0) + spread * (random() + random() + random() - 1.5);
  }
  return { rows: n, cols: d, data };
}

beforeAll(() => {
  setThreads(3); // before the shared core loads: it starts three kernel threads
});

describe("kernel threads", () => {
  it("start three kernel threads on the shared-memory build when asked", async () => {
    const core = await getCore();
    expect(core.maxThreads).toBe(3);
    expect(core.threads).toBe(3);
    expect(threadStatus()).toMatchObject({ setting: 3, threads: 3, loaded: 3 });
    setThreads(1);
    expect(core.threads).toBe(1);
    setThreads(3);
  });

  it("refuses invalid thread counts, and more than the loaded core has, with E_PARAM", async () => {
    await getCore();
    for (const bad of [0, -1, 1.5, Number.NaN, "2" as never]) {
      expect(() => setThreads(bad)).toThrow(/invalid threads/);
    }
    expect(() => setThreads(4)).toThrow(
      /the core was loaded with 3 threads; set threads before the first computation/,
    );
    expect(() => setThreads(4)).toThrow(HiddenAtlasError);
  });

  it("pairwiseDistances: the same bytes on 1, 2 and 3 threads (euclidean, cosine)", async () => {
    const X = randomMatrix(700, 33, 3); // 3 chunks of 256 rows
    const Y = randomMatrix(90, 33, 4);
    const results = await onThreads(async () => [
      await pairwiseDistances(X),
      await pairwiseDistances(X, Y, { metric: "cosine" }),
    ]);
    expectSameBytes(results, (r) => r.map((m) => m.data));
    // And right: one entry against a float64 sum.
    const D = results[2][0];
    let s = 0;
    for (let k = 0; k < 33; k++) s += (X.data[650 * 33 + k] - X.data[3 * 33 + k]) ** 2;
    expect(D.data[650 * 700 + 3]).toBeCloseTo(Math.sqrt(s), 5);
  });

  it("knn: the same indices and distances on 1, 2 and 3 threads", async () => {
    const X = clusters(900, 20, 5); // 8 chunks of 128 queries
    const results = await onThreads(() => knn(X, { k: 12 }));
    expectSameBytes(results, (r) => [r.indices, r.distances]);
    expect(results[0].indices[0]).not.toBe(0);
  });

  it("radiusPairs: the ε-graph on 1, 2 and 3 threads equals brute force, with overflowing chunks", async () => {
    // 300 rows, 100 of them within 0.05 of one point: their chunks overflow 32 pairs per row.
    const random = mulberry32(9);
    const n = 300;
    const d = 6;
    const data = new Float32Array(n * d);
    for (let i = 0; i < n; i++)
      for (let k = 0; k < d; k++) data[i * d + k] = i < 100 ? 0.01 * random() : 4 * random();
    const X = { rows: n, cols: d, data };
    const radius = 0.9;
    const results = await onThreads(() => radiusPairs(X, radius));
    expectSameBytes(results, (r) => [r.i, r.j, r.squared]);
    // Against float64 brute force: every pair clearly inside is found, none clearly outside.
    const got = new Set(Array.from(results[0].i, (i, p) => `${i},${results[0].j[p]}`));
    let inside = 0;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += (data[i * d + k] - data[j * d + k]) ** 2;
        if (s < radius * radius * (1 - 1e-5)) {
          inside++;
          expect(got.has(`${i},${j}`)).toBe(true);
        } else if (s > radius * radius * (1 + 1e-5)) {
          expect(got.has(`${i},${j}`)).toBe(false);
        }
      }
    }
    expect(inside).toBeGreaterThan(4950); // the 100-point clump alone has 4,950 pairs
    expect(Math.abs(got.size - inside)).toBeLessThanOrEqual(2);
    // Ascending in (i, j).
    for (let p = 1; p < results[0].i.length; p++) {
      const [i0, j0, i1, j1] = [
        results[0].i[p - 1],
        results[0].j[p - 1],
        results[0].i[p],
        results[0].j[p],
      ];
      expect(i1 > i0 || (i1 === i0 && j1 > j0)).toBe(true);
    }
  });

  it("som (batch BMUs): the same weights, BMUs and errors on 1, 2 and 3 threads", async () => {
    const X = clusters(700, 12, 7); // 3 chunks of 256 samples
    const results = await onThreads(() => som(X, { rows: 6, cols: 6, epochs: 8, seed: 3 }));
    expectSameBytes(results, (r) => [r.weights.data, r.bmus, Float64Array.from(r.qeHistory.train)]);
  });

  it("umap (threaded kNN; its epochs' rounds on threads are tested in test/algo/umap-threads.test.ts): the same layout on 1, 2 and 3 threads", async () => {
    const X = clusters(700, 10, 11);
    const results = await onThreads(() => umap(X, { nEpochs: 60, seed: 5 }));
    expectSameBytes(results, (r) => [r.coordinates.data]);
  });

  it("phate (affinity rows, dense and sparse diffusion products, potential distances): the same bytes on 1, 2 and 3 threads", async () => {
    const X = clusters(330, 8, 13); // 6 chunks of 64 affinity rows, 11 of 32 product rows
    const results = await onThreads(async () => {
      const sparse = await alphaDecayAffinity(X, { knn: 5, decay: 40 });
      const dense = await alphaDecayAffinity(X, { knn: 5, decay: 2 });
      return [
        sparse,
        await potentialDistances(sparse, { t: 12 }),
        await potentialDistances(dense, { t: 5 }),
      ] as const;
    });
    expectSameBytes(results, (r) => [r[0].columns, r[0].values, r[1].data, r[2].data]);
  });

  it("t-SNE (Barnes–Hut forces in fixed chunks of 256 points): the same gradient, KL and layout on 1, 2 and 3 threads", async () => {
    const X = clusters(700, 10, 17); // 3 chunks of the force pass
    const results = await onThreads(() => tsne(X, { method: "barnes_hut", nIter: 260, seed: 3 }));
    expectSameBytes(results, (r) => [r.coordinates.data, Float64Array.of(r.klDivergence)]);
    expect(results[0].params.method).toBe("barnes_hut");
  });

  it("t-SNE's Barnes–Hut gradient at θ = 0 is the exact gradient, on 1, 2 and 3 threads", async () => {
    // A symmetric sparse P (each point linked to 4 others, both ways), and the same P dense.
    const n = 600;
    const random = mulberry32(23);
    const k = 4;
    const indices = new Int32Array(n * k);
    const weights = new Float32Array(n * k);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < k; c++) {
        indices[i * k + c] = (i + 1 + c * 37) % n;
        weights[i * k + c] = 0.5 + random();
      }
    }
    const core = await getCore();
    const graph = symmetrizeNeighbors(core, indices, weights, n, k, MERGE_SUM, false);
    let total = 0;
    for (const v of graph.values) total += v;
    graph.values.forEach((v, e) => (graph.values[e] = v / total));
    const dense = new Float32Array(n * n);
    for (let i = 0; i < n; i++)
      for (let e = graph.rowPtr[i]; e < graph.rowPtr[i + 1]; e++)
        dense[i * n + graph.columns[e]] = graph.values[e];
    const Y = Float32Array.from({ length: 2 * n }, () => 4 * (random() - 0.5));
    const results = await onThreads(() => tsneBarnesHutGradient(graph, Y, 0));
    expectSameBytes(results, (r) => [r.gradient, Float64Array.of(r.kl)]);
    const exact = await tsneKlGradient(dense, Y, n);
    let scale = 0;
    for (const v of exact.gradient) scale = Math.max(scale, Math.abs(v));
    for (let t = 0; t < 2 * n; t++)
      expect(Math.abs(results[1].gradient[t] - exact.gradient[t])).toBeLessThan(1e-4 * scale);
    expect(Math.abs(results[1].kl - exact.kl)).toBeLessThan(1e-5 * Math.abs(exact.kl));
  });

  it("persistent homology with the edge collapse (shared sweep): the same diagrams and collapsed edges on 1, 2 and 3 threads", async () => {
    const X = noisyCircle(320, 29); // ~20,000 edges below the enclosing radius
    const results = await onThreads(() => persistentHomology(X, { maxdim: 1 }));
    expectSameBytes(results, (r) => r.diagrams.flatMap((d) => [d.births, d.deaths]));
    for (const r of results)
      expect(r.stats.edgesAfterCollapse).toBe(results[0].stats.edgesAfterCollapse);
    expect(results[0].stats.edgesAfterCollapse!).toBeLessThan(results[0].stats.edges / 4);
    // The circle's one long H1 bar.
    const h1 = results[0].diagrams[1];
    const longest = Math.max(...Array.from(h1.deaths, (d, i) => d - h1.births[i]));
    expect(longest).toBeGreaterThan(1);
  });

  it("a cancelled job stops on every thread and rejects with E_CANCELLED; the threads keep working", async () => {
    const X = randomMatrix(3000, 64, 21);
    const controller = new AbortController();
    const run = pairwiseDistances(X, undefined, {
      signal: controller.signal,
      onProgress: (event) => {
        if (event.done > 0 && event.done < event.total) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ code: "E_CANCELLED" });
    const small = randomMatrix(400, 16, 22);
    const [one, three] = await onThreads(() => knn(small, { k: 5 })).then((r) => [r[0], r[2]]);
    expect(bytes(one.indices).equals(bytes(three.indices))).toBe(true);
  });
});

/** A noisy unit circle in R^3 (third coordinate noise only). */
function noisyCircle(n: number, seed: number): Matrix {
  const random = mulberry32(seed);
  const data = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const t = 2 * Math.PI * random();
    data[3 * i] = Math.cos(t) + 0.1 * (random() - 0.5);
    data[3 * i + 1] = Math.sin(t) + 0.1 * (random() - 0.5);
    data[3 * i + 2] = 0.1 * (random() - 0.5);
  }
  return { rows: n, cols: 3, data };
}

describe("the shared-memory build", () => {
  let simd: Core;
  let shared: Core;
  beforeAll(async () => {
    simd = await loadCore(new URL("../../build/core.wasm", import.meta.url));
    shared = await getCore();
  });

  /** Run `call` with the same inputs on both builds and return both outputs' bytes. */
  function both(
    inputs: ArrayBufferView[],
    outputBytes: number,
    call: (core: Core, ptrs: number[], out: number) => void,
  ): [Buffer, Buffer] {
    return [simd, shared].map((core) =>
      core.scope((s) => {
        const ptrs = inputs.map((a) => s.upload(a as Float32Array).ptr);
        const out = s.u8(outputBytes);
        call(core, ptrs, out.ptr);
        return Buffer.from(out.copy());
      }),
    ) as [Buffer, Buffer];
  }

  it("gives the one-thread SIMD build's bytes: distances, kNN, BMUs, gemm rows", () => {
    const X = randomMatrix(150, 37, 31).data;
    const n = 150;
    const d = 37;
    const [a, b] = both([X], n * n * 4, (core, [x], out) =>
      core.kernels.pairwiseDistances(x, x, n, d, 0, n, 1, out),
    );
    expect(a.equals(b)).toBe(true);
    const k = 7;
    const [c, e] = both([X], n * k * 8 + 65536, (core, [x], out) =>
      core.kernels.knnSearch(x, n, x, 0, n, d, k, 1, 0, out, out + n * k * 4, out + n * k * 8),
    );
    expect(c.subarray(0, n * k * 8).equals(e.subarray(0, n * k * 8))).toBe(true);
    const W = randomMatrix(9, 37, 32).data;
    const [f, g] = both([X, W], n * 12 + 9 * 200 * 4, (core, [x, w], out) =>
      core.kernels.somBestMatching(x, n, d, w, 9, out, out + n * 4, out + n * 8, out + n * 12),
    );
    expect(f.subarray(0, n * 12).equals(g.subarray(0, n * 12))).toBe(true);
    const A = Float64Array.from(randomMatrix(40, 40, 33).data);
    const [h, i] = both([A], 40 * 40 * 8, (core, [p], out) =>
      core.kernels.phateGemmRows(p, p, out, 40, 0, 40),
    );
    expect(h.equals(i)).toBe(true);
  });
});
