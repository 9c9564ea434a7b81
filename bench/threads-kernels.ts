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
import { DEFAULT_SEED, Rng, STREAMS } from "../src/core/random.ts";
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
{
  // The join as it ran before it was split into propose and apply: nndRound's serial join, the
  // rest as nnDescent (the same graph; test/algo/threads.test.ts), for the one-thread cost.
  const K = core.kernels as unknown as Record<string, (...args: number[]) => number>;
  const n = X.rows,
    d = X.cols,
    k = 15,
    C = 15;
  const cpu0 = process.cpuUsage();
  const updates = core.scope((s) => {
    const x = s.upload(X.data).ptr;
    const [indices, dists, flags] = [s.i32(n * k).ptr, s.f32(n * k).ptr, s.u8(n * k).ptr];
    K.nndReset(indices, dists, flags, n, k);
    const rng = new Rng(core, DEFAULT_SEED, STREAMS.nnDescent);
    const [order, leafStart, scratch] = [
      s.i32(n).ptr,
      s.i32(n + 1).ptr,
      s.alloc(K.nndTreeScratchBytes(n, d)),
    ];
    for (let t = 0; t < Math.min(64, 5 + Math.round(Math.sqrt(n) / 20)); t++) {
      const leaves = K.nndRpTreeLeaves(x, n, d, k + 1, order, leafStart, scratch, rng.state);
      K.nndJoinLeaves(x, n, d, k, order, leafStart, leaves, indices, dists, flags);
    }
    K.nndFillRandom(x, n, d, k, indices, dists, flags, rng.state);
    const cand = [s.i32(n * C).ptr, s.f32(n * C).ptr, s.i32(n * C).ptr, s.f32(n * C).ptr];
    const out: number[] = [];
    for (let r = 0; r < Math.max(5, Math.round(Math.log2(n))); r++) {
      out.push(
        K.nndRound(
          x,
          n,
          d,
          k,
          indices,
          dists,
          flags,
          C,
          cand[0],
          cand[1],
          cand[2],
          cand[3],
          rng.state,
        ),
      );
      if (out[r] <= 0.001 * k * n) break;
    }
    rng.dispose();
    return out;
  });
  const cpu = process.cpuUsage(cpu0);
  console.log(
    `NN-descent 20,000 × 32, k = 15\tserial join (nndRound), one thread\tCPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s\tupdates ${updates.join(",")}`,
  );
}
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
