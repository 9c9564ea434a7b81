/**
 * `npx tsx bench/threads-kernels.ts [THREADS] [--only NAME,…]`: every kernel that runs on the
 * kernel threads, on 1 thread and on THREADS (default 2), back to back in one process: pairwise
 * distances, exact kNN, the ε-graph's pairs, NN-descent, t-SNE (exact and Barnes–Hut), UMAP, PCA
 * (its covariance; the eigen-solver after it runs on one thread), SOM,
 * PHATE, Rips persistence (edge collapse) and CKA, and first the cost of dispatching one job
 * (`--only dispatch`). Each line gives the wall time, the process's CPU time (all threads) and
 * the load average, and a check that both thread counts gave the same bytes; the one-thread
 * run also gives the share f of its CPU time spent in the threaded row jobs and the speed-up
 * that share allows on idle cores (Amdahl: 1 / ((1 − f) + f / THREADS)). The last lines are
 * a table of the speed-ups. On a loaded machine the wall times say little (the load average is
 * printed for that reason); on an idle one the whole run takes about 3 minutes (each case runs
 * once untimed first).
 */
import { loadavg } from "node:os";
import { setDispatch, setThreads } from "../src/core/threads.ts";
import { getCore } from "../src/core/wasm.ts";
import { nnDescent } from "../src/algo/nndescent.ts";
import { tsne } from "../src/algo/tsne.ts";
import { umap } from "../src/algo/umap.ts";
import { pairwiseDistances } from "../src/algo/distance.ts";
import { knn } from "../src/algo/knn.ts";
import { radiusPairs } from "../src/algo/radius.ts";
import { som } from "../src/algo/som.ts";
import { pca } from "../src/algo/pca.ts";
import { phate } from "../src/algo/phate.ts";
import { persistentHomology } from "../src/algo/rips.ts";
import { ckaMatrix } from "../src/algo/cka.ts";
import { loadDigits } from "../src/examples/node.ts";
import { xorshift32 } from "./npy-stream.ts";

const argv = process.argv.slice(2);
const only = argv.includes("--only") ? argv[argv.indexOf("--only") + 1].split(",") : null;
const threads = Number(argv.find((a, i) => /^\d+$/.test(a) && argv[i - 1] !== "--only") ?? 2);
setThreads(threads);
const core = await getCore();

// CPU time of the row jobs (the threaded part): on one thread they run here, inline, so the
// process's CPU time across them is theirs alone.
let jobCpu = 0;
const parallelRows = core.parallelRows.bind(core);
core.parallelRows = async (job, options) => {
  const c0 = process.cpuUsage();
  try {
    return await parallelRows(job, options);
  } finally {
    const c = process.cpuUsage(c0);
    jobCpu += (c.user + c.system) / 1e6;
  }
};

function uniform(n: number, d: number): { rows: number; cols: number; data: Float32Array } {
  const next = xorshift32();
  return { rows: n, cols: d, data: Float32Array.from({ length: n * d }, () => next() / 2 ** 32) };
}

const summary: string[] = [];

async function measure<T>(
  name: string,
  label: string,
  compute: () => Promise<T>,
  bytes: (r: T) => Uint8Array,
): Promise<void> {
  if (only && !only.includes(name)) return;
  // Untimed warm-up: the engine's optimising compile of this case's kernels would otherwise land
  // in the one-thread run's CPU time (outside the row jobs) and lower its f.
  setThreads(1);
  await compute();
  const out: Uint8Array[] = [];
  const walls: number[] = [];
  let bound = 0;
  let share = 0;
  for (const t of [1, threads]) {
    setThreads(t);
    const load = loadavg()[0];
    jobCpu = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await compute();
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const total = (cpu.user + cpu.system) / 1e6;
    out.push(bytes(r));
    walls.push(wall);
    if (t === 1) {
      share = jobCpu / total;
      bound = 1 / (1 - share + share / threads);
    }
    // On one thread: the share of CPU time in the threaded row jobs, f, and Amdahl's bound on
    // `threads` idle cores, 1 / ((1 − f) + f / threads).
    const note =
      t === 1
        ? `\tthreaded share ${share.toFixed(3)}\tbound on ${threads} idle cores ${bound.toFixed(2)}×`
        : "";
    console.log(
      `${label}\tthreads ${t}\twall ${wall.toFixed(2)} s\tCPU ${total.toFixed(2)} s\tload ${load.toFixed(1)}${note}`,
    );
  }
  const same = Buffer.from(out[0]).equals(Buffer.from(out[1]));
  console.log(`${label}\tsame bytes on 1 and ${threads} threads: ${same}`);
  summary.push(
    `| ${label} | ${walls[0].toFixed(2)} s | ${walls[1].toFixed(2)} s | ${(walls[0] / walls[1]).toFixed(2)}× | ${share.toFixed(2)} | ${bound.toFixed(2)}× | ${same ? "yes" : "NO"} |`,
  );
}

const f32 = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

// Dispatch: the cost of one row job itself, N jobs of 2 one-row chunks of a tiny kernel (8
// distances in R^4), per job in µs of wall and of the process's CPU time, on 1 and THREADS.
if (!only || only.includes("dispatch")) {
  const jobs = 20_000;
  await core.scope(async (s) => {
    const x = s.upload(uniform(8, 4).data).ptr;
    const out = s.f32(2 * 8).ptr;
    const job = {
      kernel: "pairwiseDistances",
      rows: 2,
      chunk: 1,
      args: [x, x, 8, 4, { i0: 1 }, { i1: 1 }, 0, { base: out, i0: 32 }],
    };
    // On THREADS: the defaults, then without polling (spin 0: sleep on the futex at once), then
    // without the caller's chunks and waiting for messages (the browser main thread's path).
    const runs: [number, Parameters<typeof setDispatch>[0], string][] = [
      [1, {}, ""],
      [threads, {}, ""],
      [threads, { spin: 0 }, ", spin 0"],
      [threads, { spin: 0, callerTakesChunks: false, wait: "message" }, ", helpers only, message"],
    ];
    for (const [t, mode, note] of runs) {
      setThreads(t);
      setDispatch({ spin: 50, callerTakesChunks: true, wait: "auto", ...mode });
      for (let j = 0; j < 200; j++) await parallelRows(job); // warm-up
      const load = loadavg()[0];
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (let j = 0; j < jobs; j++) await parallelRows(job);
      const wall = ((performance.now() - t0) * 1000) / jobs;
      const cpu = process.cpuUsage(cpu0);
      console.log(
        `dispatch, ${jobs} jobs of 2 one-row chunks\tthreads ${t}${note}\twall ${wall.toFixed(1)} µs/job\tCPU ${((cpu.user + cpu.system) / jobs).toFixed(1)} µs/job\tload ${load.toFixed(1)}`,
      );
    }
    setDispatch({ spin: 50, callerTakesChunks: true, wait: "auto" });
  });
}

// Warm-up: the engine's optimising compile of the core runs in the background at first, on this
// process's CPU time; let it finish before the first measurement.
await nnDescent(uniform(3000, 32), { k: 15 });
await tsne(uniform(200, 8), { method: "exact", nIter: 250 });
const digits = await loadDigits();
const D = { rows: 1797, cols: 64, data: Float32Array.from(digits.images) };
const P = uniform(3000, 256);
await measure(
  "distances",
  "pairwise squared distances, 3,000² × 256",
  () => pairwiseDistances(P, undefined, { metric: "sqeuclidean" }),
  (r) => f32(r.data),
);
const Q = uniform(5000, 64);
await measure(
  "knn",
  "exact kNN, 5,000 × 64, k = 10",
  () => knn(Q, { k: 10 }),
  (r) => f32(r.indices),
);
const R = uniform(8000, 8);
await measure(
  "radius",
  "ε-graph pairs, 8,000 × 8, ε = 0.5",
  () => radiusPairs(R, 0.5),
  (r) => f32(r.j),
);
const X = uniform(20_000, 32);
await measure(
  "nndescent",
  "NN-descent, 20,000 × 32, k = 15",
  () => nnDescent(X, { k: 15 }),
  (r) => f32(r.indices),
);
const T = uniform(500, 20);
await measure(
  "tsne-exact",
  "t-SNE exact, 500 × 20, 1,000 iterations",
  () => tsne(T, { method: "exact", nIter: 1000 }),
  (r) => f32(r.coordinates.data),
);
await measure(
  "tsne",
  "t-SNE Barnes–Hut, digits 1,797 × 64, defaults",
  () => tsne(D),
  (r) => f32(r.coordinates.data),
);
await measure(
  "umap",
  "UMAP, digits 1,797 × 64, defaults (500 epochs, 4 blocks)",
  () => umap(D),
  (r) => f32(r.coordinates.data),
);
const W = uniform(6000, 400);
await measure(
  "pca",
  "PCA, 6,000 × 400, whole spectrum and 2 leading vectors (eigenvectors: leading)",
  () => pca(W, { nComponents: 2, eigenvectors: "leading" }),
  (r) => new Uint8Array(Float64Array.from([...r.spectrum, ...r.components]).buffer),
);
await measure(
  "som",
  "SOM, digits, 10 × 10, batch, 30 epochs",
  () => som(D, { rows: 10, cols: 10 }),
  (r) => f32(r.weights.data),
);
const D1000 = { rows: 1000, cols: 64, data: D.data.slice(0, 1000 * 64) };
await measure(
  "phate",
  "PHATE, 1,000 digits, exact path",
  () => phate(D1000),
  (r) => f32(r.embedding.data),
);
const circle = (() => {
  const next = xorshift32();
  const n = 800;
  const data = new Float32Array(n * 50);
  for (let i = 0; i < n; i++) {
    const a = (2 * Math.PI * i) / n;
    data[i * 50] = Math.cos(a);
    data[i * 50 + 1] = Math.sin(a);
    for (let c = 0; c < 50; c++) data[i * 50 + c] += 0.1 * (next() / 2 ** 32 - 0.5);
  }
  return { rows: n, cols: 50, data };
})();
await measure(
  "rips",
  "Rips persistence, noisy circle 800 in R^50, H0–H1",
  () => persistentHomology(circle, { maxdim: 1 }),
  (r) => f32(Float64Array.from([...r.diagrams[1].births, ...r.diagrams[1].deaths])),
);
const layers = [uniform(2000, 256), uniform(2000, 128), uniform(2000, 64), uniform(2000, 512)];
await measure(
  "cka",
  "CKA matrix, 4 layers of 2,000 rows (64–512 columns), Gram form",
  () => ckaMatrix(layers, { form: "gram" }),
  (r) => f32(r.matrix),
);
console.log(
  `\n| kernel case | 1 thread | ${threads} threads | speed-up | threaded share f | Amdahl bound | same bytes |\n|---|---|---|---|---|---|---|\n${summary.join("\n")}`,
);
