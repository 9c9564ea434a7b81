/**
 * GFLOP/s of the pairwise squared-distance kernel (3 flops per pair and dimension: subtract,
 * multiply, add) on data resident in wasm memory, with no copies: the kernel's own speed, on one
 * thread and on all cores (chunks of 256 rows, as src/algo/distance.ts runs it).
 * Anchor: a plain-JS double loop on the same data (Float32Array in, float64 sums).
 */
import { getCore } from "../src/core/wasm.ts";
import { randomMatrix } from "../test/helpers.ts";
import { time, timeOnThreads, type Benchmark, type BenchRow } from "./harness.ts";

function plainJsDistances(x: Float32Array, n: number, d: number, out: Float32Array): void {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) {
        const t = x[i * d + c] - x[j * d + c];
        s += t * t;
      }
      out[i * n + j] = s;
    }
  }
}

export const distanceBenchmark: Benchmark = {
  name: "distance",
  description: "GFLOP/s of the f32x4 pairwise squared-distance kernel vs a plain-JS loop",
  async run() {
    const core = await getCore();
    const rows: BenchRow[] = [];
    for (const [n, d] of [
      [2000, 64],
      [2000, 256],
      [2000, 784],
    ] as const) {
      const X = randomMatrix(n, d, d);
      const flops = 3 * n * n * d;
      const ours = await core.scope(async (s) => {
        const x = s.upload(X.data);
        const out = s.f32(n * n);
        return timeOnThreads(
          () =>
            core.parallelRows({
              kernel: "pairwiseDistances",
              rows: n,
              chunk: 256,
              args: [x.ptr, x.ptr, n, d, { i0: 1 }, { i1: 1 }, 0, { base: out.ptr, i0: n * 4 }],
            }),
          5,
        );
      });
      const plain = new Float32Array(n * n);
      const js = await time(() => plainJsDistances(X.data, n, d, plain), 1);
      rows.push({
        benchmark: "distance",
        case: `${n.toLocaleString("en-US")} × ${n.toLocaleString("en-US")} pairs, d = ${d}`,
        ours: ours.one,
        oursAll: ours.all,
        anchor: "plain-JS loop",
        anchorMs: js,
        note: `${(flops / ours.one / 1e6).toFixed(1)} GFLOP/s on 1 thread, ${(flops / ours.all / 1e6).toFixed(1)} on all cores (plain JS ${(flops / js / 1e6).toFixed(2)})`,
      });
    }
    return rows;
  },
};
