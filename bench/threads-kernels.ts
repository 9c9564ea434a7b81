/**
 * `npx tsx bench/threads-kernels.ts [THREADS]`: NN-descent (uniform 20,000 × 32, k = 15), exact
 * t-SNE (500 points, 1,000 iterations) and Barnes–Hut t-SNE (the digits, 1,797 × 64, defaults)
 * on 1 thread and on THREADS (default 2), back to
 * back in one process, with wall time, the process's CPU time (all threads) and the load
 * average, and a check that both thread counts give the same bytes. On a loaded machine the wall
 * times say little; the one-thread run also prints the share of its CPU time spent in the
 * threaded row jobs and the speed-up that share allows on idle cores (Amdahl).
 */
import { loadavg } from "node:os";
import { setThreads } from "../src/core/threads.ts";
import { getCore } from "../src/core/wasm.ts";
import { nnDescent } from "../src/algo/nndescent.ts";
import { tsne } from "../src/algo/tsne.ts";
import { loadDigits } from "../src/examples/node.ts";
import { xorshift32 } from "./npy-stream.ts";

const threads = Number(process.argv[2] ?? 2);
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

async function measure<T>(
  label: string,
  compute: () => Promise<T>,
  bytes: (r: T) => Uint8Array,
): Promise<void> {
  const out: Uint8Array[] = [];
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
    // On one thread: the share of CPU time in the threaded row jobs, f, and Amdahl's bound on
    // `threads` idle cores, 1 / ((1 − f) + f / threads).
    const share =
      t === 1
        ? `\tthreaded share ${(jobCpu / total).toFixed(3)}\tbound on ${threads} idle cores ${(1 / (1 - jobCpu / total + jobCpu / total / threads)).toFixed(2)}×`
        : "";
    console.log(
      `${label}\tthreads ${t}\twall ${wall.toFixed(2)} s\tCPU ${total.toFixed(2)} s\tload ${load.toFixed(1)}${share}`,
    );
  }
  console.log(
    `${label}\tsame bytes on 1 and ${threads} threads: ${Buffer.from(out[0]).equals(Buffer.from(out[1]))}`,
  );
}

// Warm-up: the engine's optimising compile of the core runs in the background at first, on this
// process's CPU time; let it finish before the first measurement.
await nnDescent(uniform(3000, 32), { k: 15 });
await tsne(uniform(200, 8), { method: "exact", nIter: 250 });
const X = uniform(20_000, 32);
await measure(
  "NN-descent 20,000 × 32, k = 15",
  () => nnDescent(X, { k: 15 }),
  (r) => new Uint8Array(r.indices.buffer),
);
const T = uniform(500, 20);
await measure(
  "t-SNE exact, 500 × 20, 1,000 iterations",
  () => tsne(T, { method: "exact", nIter: 1000 }),
  (r) => new Uint8Array(r.coordinates.data.buffer),
);
const digits = await loadDigits();
const D = { rows: 1797, cols: 64, data: Float32Array.from(digits.images) };
await measure(
  "t-SNE Barnes–Hut, digits 1,797 × 64, defaults",
  () => tsne(D),
  (r) => new Uint8Array(r.coordinates.data.buffer),
);
