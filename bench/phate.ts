/**
 * PHATE and M-PHATE end to end, beside scikit-learn's SMACOF (`MDS(n_components=2)`, n_init 4,
 * max_iter 300) on the digits' Euclidean distances, timed in the same run as the anchor the
 * issue names (PHATE is not packaged for Debian, so there is no PHATE anchor to run here).
 *
 * Cases: PHATE on the digits (1,797 points, exact); PHATE on 5,000 points of a seeded noisy tree
 * (landmarks, 2,000); M-PHATE on digits-mlp's checkpoints 1–100 (100 epochs × 96 units × 100
 * trace samples = 9,600 points, 1,000 landmarks); the exact path at N = 2,000 and 4,000 (tree
 * points, nLandmark = N). The big cases are timed once (no warm-up): they run for seconds. Each
 * case runs on 1 thread and on all cores; the anchor with n_jobs 1 and all cores (its n_init
 * starts in parallel).
 */
import { mphate } from "../src/algo/mphate.ts";
import { phate } from "../src/algo/phate.ts";
import { tensorFromBundle } from "../src/analyses/mphate.ts";
import type { Matrix } from "../src/core/matrix.ts";
import { scaledPixels } from "../src/examples/datasets.ts";
import { loadDigits } from "../src/examples/node.ts";
import { loadBundleFromPath } from "../src/io/node.ts";
import { mulberry32 } from "../test/helpers.ts";
import {
  ALL_CORES,
  onceOnThreads,
  pythonHas,
  runPython,
  timeOnThreads,
  type Benchmark,
  type BenchRow,
} from "./harness.ts";

/** A seeded tree: `branches` straight branches from the origin in 20-D, Gaussian noise 0.1. */
function tree(n: number, branches = 10, dims = 20): Matrix {
  const random = mulberry32(7);
  const gauss = () =>
    Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random());
  const directions = Array.from({ length: branches }, () =>
    Float64Array.from({ length: dims }, gauss),
  );
  const data = new Float32Array(n * dims);
  for (let i = 0; i < n; i++) {
    const b = i % branches;
    const s = 3 * random();
    for (let c = 0; c < dims; c++) data[i * dims + c] = s * directions[b][c] + 0.1 * gauss();
  }
  return { rows: n, cols: dims, data };
}

export const phateBenchmark: Benchmark = {
  name: "phate",
  description:
    "PHATE (digits, 5,000-point tree, exact N = 2,000 / 4,000) and M-PHATE (9,600 points) vs scikit-learn SMACOF on the digits",
  async run() {
    const digits = await loadDigits();
    const X: Matrix = { rows: 1797, cols: 64, data: scaledPixels(digits) };
    let anchorMs: number | null = null;
    let anchorAllMs: number | null = null;
    let anchor = "scikit-learn MDS (SMACOF) on the digits: not installed";
    if (pythonHas("sklearn")) {
      const smacof = (jobs: number) =>
        runPython<{ ms: number; version: string; stress: number }>(`
import json, time, numpy as np, sklearn
from sklearn.datasets import load_digits
from sklearn.manifold import MDS
X = load_digits().data / 16.0
start = time.perf_counter()
mds = MDS(n_components=2, random_state=0, n_jobs=${jobs}).fit(X)
print(json.dumps({"ms": (time.perf_counter() - start) * 1000, "version": sklearn.__version__, "stress": float(mds.stress_)}))`);
      const result = smacof(1);
      anchorMs = result.ms;
      anchorAllMs = smacof(ALL_CORES).ms;
      anchor = `scikit-learn ${result.version} MDS (SMACOF, n_init 4, n_jobs) on the digits`;
    }
    const rows: BenchRow[] = [];
    const row = (
      benchmark: string,
      caseName: string,
      ours: { one: number; all: number },
      note: string,
    ) =>
      rows.push({
        benchmark,
        case: caseName,
        ours: ours.one,
        oursAll: ours.all,
        anchor,
        anchorMs,
        anchorAllMs,
        note,
      });

    let digitsResult: Awaited<ReturnType<typeof phate>> | undefined;
    const digitsMs = await timeOnThreads(async () => {
      digitsResult = await phate(X);
    }, 1);
    row(
      "phate",
      "digits 1,797 × 64, exact",
      digitsMs,
      `t = ${digitsResult!.t}, SMACOF ${digitsResult!.mdsIterations} iterations; median of 1 after a warm-up`,
    );

    const tree5000 = tree(5000);
    let treeResult: Awaited<ReturnType<typeof phate>> | undefined;
    const treeMs = await onceOnThreads(async () => {
      treeResult = await phate(tree5000);
    });
    row(
      "phate",
      "tree 5,000 × 20, 2,000 landmarks",
      treeMs,
      `t = ${treeResult!.t}, ${treeResult!.nLandmarks} landmarks; single run`,
    );

    const bundle = await loadBundleFromPath(
      new URL("../data/examples/digits-mlp.zip", import.meta.url).pathname,
    );
    const bt = tensorFromBundle(
      { ...bundle, checkpoints: bundle.checkpoints!.slice(1, 101) },
      { layers: [], epochStride: 1, unitStride: 1 },
    );
    let mResult: Awaited<ReturnType<typeof mphate>> | undefined;
    const mMs = await onceOnThreads(async () => {
      // 1,000 landmarks as the row says (the default became M-PHATE's 4,000: exact up to 4,000 points).
      mResult = await mphate(bt.tensor, { nLandmark: 1000 });
    });
    row(
      "mphate",
      `digits-mlp ${bt.tensor.epochs} epochs × ${bt.tensor.units} units × ${bt.tensor.samples} samples (N = ${bt.tensor.epochs * bt.tensor.units}), 1,000 landmarks`,
      mMs,
      `t = ${mResult!.t}, ${mResult!.nLandmarks} landmarks, goal < 10 s; single run`,
    );

    for (const n of [2000, 4000]) {
      let exact: Awaited<ReturnType<typeof phate>> | undefined;
      const ms = await onceOnThreads(async () => {
        exact = await phate(tree(n), { nLandmark: n });
      });
      row(
        "phate",
        `tree ${n.toLocaleString("en-US")} × 20, exact`,
        ms,
        `t = ${exact!.t}, SMACOF ${exact!.mdsIterations} iterations; single run`,
      );
    }
    return rows;
  },
};
