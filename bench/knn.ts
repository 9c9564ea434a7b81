/**
 * kNN: our blocked SIMD brute force against (a) a plain-JS brute force with the same
 * (distance, index) order and (b) scikit-learn's NearestNeighbors(algorithm="brute") with
 * n_jobs 1 and all cores (OpenBLAS on as many threads), when Debian's python3-sklearn is
 * installed. Ours on 1 thread and on all cores. Same data, same k, self excluded.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { knn } from "../src/algo/knn.ts";
import type { Matrix } from "../src/core/matrix.ts";
import { writeNpy } from "../src/io/npy.ts";
import { randomMatrix } from "../test/helpers.ts";
import {
  ALL_CORES,
  pythonHas,
  runPython,
  time,
  timeOnThreads,
  type Benchmark,
  type BenchRow,
} from "./harness.ts";

/** Brute force in plain JavaScript: float64 squared distances, a sorted insertion list per row. */
export function knnPlainJs(X: Matrix, k: number): Int32Array {
  const { rows: n, cols: d, data } = X;
  const out = new Int32Array(n * k);
  const bestD = new Float64Array(k);
  const bestI = new Int32Array(k);
  for (let i = 0; i < n; i++) {
    let size = 0;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let s = 0;
      for (let c = 0; c < d; c++) {
        const t = data[i * d + c] - data[j * d + c];
        s += t * t;
      }
      if (size === k && s >= bestD[k - 1]) continue;
      let p = size < k ? size++ : k - 1;
      while (p > 0 && bestD[p - 1] > s) {
        bestD[p] = bestD[p - 1];
        bestI[p] = bestI[p - 1];
        p--;
      }
      bestD[p] = s;
      bestI[p] = j;
    }
    out.set(bestI, i * k);
  }
  return out;
}

export const knnBenchmark: Benchmark = {
  name: "knn",
  description:
    "exact kNN graph (self excluded) vs plain-JS brute force and scikit-learn brute force",
  async run() {
    const rows: BenchRow[] = [];
    const sklearn = pythonHas("sklearn");
    for (const [n, d, k] of [
      [5000, 64, 10],
      [5000, 784, 10],
      [20000, 32, 15],
    ] as const) {
      const X = randomMatrix(n, d, n + d);
      const { one: ours, all: oursAll } = await timeOnThreads(() => knn(X, { k }), 3);
      const label = `${n.toLocaleString("en-US")} × ${d}, k = ${k}`;
      const js = n <= 5000 ? await time(() => knnPlainJs(X, k), 1) : null;
      rows.push({
        benchmark: "knn",
        case: label,
        ours,
        oursAll,
        anchor: "plain-JS brute force",
        anchorMs: js,
        note: js === null ? "skipped above 5,000 rows (minutes)" : undefined,
      });
      if (sklearn) {
        const dir = mkdtempSync(join(tmpdir(), "atlas-bench-"));
        const file = join(dir, "x.npy");
        writeFileSync(file, writeNpy({ shape: [n, d], data: X.data }));
        const sk = (jobs: number) =>
          runPython<{ ms: number }>(
            `
import json, time, numpy as np
from sklearn.neighbors import NearestNeighbors
X = np.load(${JSON.stringify(file)})
nn = NearestNeighbors(n_neighbors=${k}, algorithm="brute", n_jobs=${jobs})
def run():
    nn.fit(X); nn.kneighbors(X, n_neighbors=${k + 1})
run()
ts = []
for _ in range(3):
    t = time.perf_counter(); run(); ts.append((time.perf_counter() - t) * 1000)
print(json.dumps({"ms": sorted(ts)[1]}))`,
            { OMP_NUM_THREADS: String(jobs), OPENBLAS_NUM_THREADS: String(jobs) },
          ).ms;
        rows.push({
          benchmark: "knn",
          case: label,
          ours,
          oursAll,
          anchor: "scikit-learn brute (float32, n_jobs)",
          anchorMs: sk(1),
          anchorAllMs: sk(ALL_CORES),
        });
      } else {
        rows.push({
          benchmark: "knn",
          case: label,
          ours,
          oursAll,
          anchor: "scikit-learn brute",
          anchorMs: null,
          note: "apt-get install python3-sklearn",
        });
      }
    }
    return rows;
  },
};
