/**
 * Embeddings side by side with their anchors, in one run: geodesics (10-NN graph + all pairs) on
 * a 5,000-point swiss roll vs SciPy; Isomap on it vs scikit-learn; t-SNE on the digits vs
 * scikit-learn (n_jobs 1 and all cores; ours on 1 thread and all cores) and DruidJS (exact t-SNE, 1,000 iterations), with trustworthiness
 * (k = 10) of each layout; UMAP on the digits and on the swiss roll vs umap-js; SMACOF on the
 * digits vs scikit-learn's MDS (4 starts, 300 iterations, eps 1e-3 each), with both stresses;
 * and NN-descent's recall against the exact kNN. Heavy cases run once (no warm-up): they take
 * seconds, far above JIT noise.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as druid from "@saehrimnir/druidjs";
import { UMAP } from "umap-js";
import { geodesicDistances } from "../src/algo/geodesic.ts";
import { isomap } from "../src/algo/isomap.ts";
import { knn } from "../src/algo/knn.ts";
import { mds } from "../src/algo/mds.ts";
import { knnRecall, nnDescent } from "../src/algo/nndescent.ts";
import { trustworthiness } from "../src/algo/metrics.ts";
import { tsne } from "../src/algo/tsne.ts";
import { umap } from "../src/algo/umap.ts";
import type { Matrix } from "../src/core/matrix.ts";
import { writeNpy } from "../src/io/npy.ts";
import { loadDigits } from "../src/examples/node.ts";
import { mulberry32 } from "../test/helpers.ts";
import {
  ALL_CORES,
  onceOnThreads,
  pythonHas,
  runPython,
  type Benchmark,
  type BenchRow,
} from "./harness.ts";

/** specs' swiss roll: t = 1.5π(1 + 2U), height 21U, Gaussian noise 0.05 (seeded, mulberry32 + Box–Muller). */
function swissRoll(n: number, seed: number): Matrix {
  const rand = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const data = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const t = 1.5 * Math.PI * (1 + 2 * rand());
    const h = 21 * rand();
    data[3 * i] = t * Math.cos(t) + 0.05 * gauss();
    data[3 * i + 1] = h + 0.05 * gauss();
    data[3 * i + 2] = t * Math.sin(t) + 0.05 * gauss();
  }
  return { rows: n, cols: 3, data };
}

async function once(fn: () => unknown | Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const rowsOf = (X: Matrix): number[][] =>
  Array.from({ length: X.rows }, (_, i) =>
    Array.from(X.data.subarray(i * X.cols, (i + 1) * X.cols)),
  );

export const embedBenchmark: Benchmark = {
  name: "embed",
  description:
    "geodesics, Isomap, t-SNE, UMAP, SMACOF, NN-descent vs SciPy / scikit-learn / umap-js / DruidJS",
  async run() {
    const rows: BenchRow[] = [];
    const digits = await loadDigits();
    const D: Matrix = { rows: 1797, cols: 64, data: Float32Array.from(digits.images) };
    const roll = swissRoll(5000, 1301);
    const dir = mkdtempSync(join(tmpdir(), "atlas-bench-embed-"));
    writeFileSync(join(dir, "roll.npy"), writeNpy({ shape: [5000, 3], data: roll.data }));
    writeFileSync(join(dir, "digits.npy"), writeNpy({ shape: [1797, 64], data: D.data }));
    const py = pythonHas("sklearn") && pythonHas("scipy");
    const pyRun = <T>(code: string): T | null =>
      py
        ? runPython<T>(
            `import json, time, numpy as np\nroll = np.load(${JSON.stringify(join(dir, "roll.npy"))}).astype(np.float64)\ndigits = np.load(${JSON.stringify(join(dir, "digits.npy"))}).astype(np.float64)\n${code}`,
          )
        : null;

    // Geodesics: 10-NN union graph + all pairs, 5,000 points.
    const geoMs = await once(() => geodesicDistances(roll, { k: 10 }));
    const scipyGeo = pyRun<{ ms: number }>(`
from sklearn.neighbors import kneighbors_graph
from scipy.sparse.csgraph import shortest_path
t = time.perf_counter(); G = kneighbors_graph(roll, 10, mode="distance"); G = G.maximum(G.T); S = shortest_path(G, directed=False)
print(json.dumps({"ms": (time.perf_counter() - t) * 1000}))`);
    rows.push({
      benchmark: "geodesics",
      case: "swiss roll 5,000 × 3, 10-NN + all pairs",
      ours: geoMs,
      anchor: "SciPy shortest_path (Dijkstra)",
      anchorMs: scipyGeo?.ms ?? null,
    });

    // Isomap on the same roll.
    let iso: Awaited<ReturnType<typeof isomap>> | undefined;
    const isoMs = await once(async () => (iso = await isomap(roll, { nNeighbors: 10 })));
    const skIso = pyRun<{ ms: number }>(`
from sklearn.manifold import Isomap
t = time.perf_counter(); Isomap(n_neighbors=10, n_components=2).fit_transform(roll)
print(json.dumps({"ms": (time.perf_counter() - t) * 1000}))`);
    rows.push({
      benchmark: "isomap",
      case: "swiss roll 5,000 × 3, k = 10",
      ours: isoMs,
      anchor: "scikit-learn Isomap",
      anchorMs: skIso?.ms ?? null,
      note: `eigenvalues ${Array.from(iso!.eigenvalues, (v) => v.toExponential(3)).join(", ")}`,
    });

    // t-SNE on the digits.
    let ours: Awaited<ReturnType<typeof tsne>> | undefined;
    const tsneTimes = await onceOnThreads(async () => (ours = await tsne(D)));
    const tsneMs = tsneTimes.one;
    const tOurs = await trustworthiness(D, ours!.coordinates, { nNeighbors: 10 });
    const skTsneOn = (jobs: number) =>
      pyRun<{ ms: number; t: number }>(`
from sklearn.manifold import TSNE, trustworthiness
t = time.perf_counter(); Y = TSNE(2, random_state=0, n_jobs=${jobs}).fit_transform(digits); ms = (time.perf_counter() - t) * 1000
print(json.dumps({"ms": ms, "t": float(trustworthiness(digits, Y, n_neighbors=10))}))`);
    const skTsne = skTsneOn(1);
    const skTsneAll = skTsneOn(ALL_CORES);
    rows.push({
      benchmark: "tsne",
      case: "digits 1,797 × 64, defaults (Barnes–Hut)",
      ours: tsneMs,
      oursAll: tsneTimes.all,
      anchor: "scikit-learn TSNE (n_jobs)",
      anchorMs: skTsne?.ms ?? null,
      anchorAllMs: skTsneAll?.ms ?? null,
      note: `trustworthiness ours ${tOurs.toFixed(4)}, sklearn ${skTsne?.t.toFixed(4) ?? "—"}`,
    });
    let druidY: number[][] = [];
    const druidMs = await once(() => {
      const model = new druid.TSNE(rowsOf(D), { perplexity: 30, d: 2, seed: 42 });
      druidY = model.transform(1000) as unknown as number[][];
    });
    const tDruid = await trustworthiness(
      D,
      { rows: 1797, cols: 2, data: Float32Array.from(druidY.flat()) },
      { nNeighbors: 10 },
    );
    rows.push({
      benchmark: "tsne",
      case: "digits 1,797 × 64, 1,000 iterations",
      ours: tsneMs,
      anchor: "DruidJS 0.9 TSNE (exact)",
      anchorMs: druidMs,
      note: `trustworthiness ours ${tOurs.toFixed(4)}, DruidJS ${tDruid.toFixed(4)}`,
    });

    // UMAP on the digits and the roll vs umap-js.
    for (const [name, X] of [
      ["digits 1,797 × 64", D],
      ["swiss roll 5,000 × 3", roll],
    ] as const) {
      let u: Awaited<ReturnType<typeof umap>> | undefined;
      const uTimes = await onceOnThreads(async () => (u = await umap(X)));
      const uMs = uTimes.one;
      const tU = await trustworthiness(X, u!.coordinates, { nNeighbors: 10 });
      let js: number[][] = [];
      const jsMs = await once(() => {
        js = new UMAP({ nComponents: 2, nNeighbors: 15, minDist: 0.1, random: mulberry32(42) }).fit(
          rowsOf(X),
        );
      });
      const tJs = await trustworthiness(
        X,
        { rows: X.rows, cols: 2, data: Float32Array.from(js.flat()) },
        { nNeighbors: 10 },
      );
      rows.push({
        benchmark: "umap",
        case: `${name}, defaults`,
        ours: uMs,
        oursAll: uTimes.all,
        anchor: "umap-js 1.4",
        anchorMs: jsMs,
        note: `trustworthiness ours ${tU.toFixed(4)}, umap-js ${tJs.toFixed(4)}`,
      });
    }

    // SMACOF on the digits: 4 starts as scikit-learn's MDS default.
    let m: Awaited<ReturnType<typeof mds>> | undefined;
    const mdsMs = await once(async () => (m = await mds(D, { nInit: 4 })));
    const skMds = pyRun<{ ms: number; stress: number }>(`
from sklearn.manifold import MDS
t = time.perf_counter(); r = MDS(n_components=2, n_init=4, random_state=0, normalized_stress=False).fit(digits); ms = (time.perf_counter() - t) * 1000
print(json.dumps({"ms": ms, "stress": float(r.stress_)}))`);
    rows.push({
      benchmark: "smacof",
      case: "digits 1,797 × 64, 4 starts × ≤ 300 iterations",
      ours: mdsMs,
      anchor: "scikit-learn MDS (n_jobs=1)",
      anchorMs: skMds?.ms ?? null,
      note: `raw stress ours ${m!.stress.toExponential(4)}, sklearn ${skMds?.stress.toExponential(4) ?? "—"}`,
    });

    // NN-descent recall and time vs the exact kNN.
    for (const [name, X, k] of [
      ["digits 1,797 × 64", D, 15],
      ["swiss roll 5,000 × 3", roll, 15],
      ["uniform 20,000 × 32", uniform(20000, 32), 15],
    ] as const) {
      let approx: Awaited<ReturnType<typeof nnDescent>> | undefined;
      let exact: Awaited<ReturnType<typeof knn>> | undefined;
      const aMs = await once(async () => (approx = await nnDescent(X, { k, maxCandidates: 60 })));
      const eMs = await once(async () => (exact = await knn(X, { k })));
      rows.push({
        benchmark: "nndescent",
        case: `${name}, k = ${k}`,
        ours: aMs,
        anchor: "our exact blocked kNN",
        anchorMs: eMs,
        note: `recall ${knnRecall(approx!, exact!).toFixed(4)}, ${approx!.rounds} rounds`,
      });
    }
    return rows;
  },
};

function uniform(n: number, d: number): Matrix {
  const rand = mulberry32(3);
  return { rows: n, cols: d, data: Float32Array.from({ length: n * d }, () => rand() * 2 - 1) };
}
