/**
 * Mapper on 10,000 × 64 points — the Fashion-MNIST test images projected on their first 64
 * principal components (pixels in [0, 1]) — or, without Debian's dataset-fashion-mnist, the
 * digits repeated with small seeded noise to 10,000 rows, as stated in the row. The first graph
 * (which builds the 32-NN lists), a slider change of overlap (reuses them), a change of ε, and
 * the anchor — KeplerMapper's map loop written out with scikit-learn (ℓ2-norm lens, min-max
 * scaled, 10 intervals at 50 % overlap, DBSCAN(eps, min_samples=5) per interval, edges by
 * set intersection), which recomputes everything on every change. Same data, same ε. Ours on 1
 * thread and on all cores; the anchor's DBSCAN with n_jobs 1 and all cores.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MapperSpace } from "../src/algo/mapper/mapper.ts";
import { writeNpy } from "../src/io/npy.ts";
import { pca } from "../src/algo/pca.ts";
import { scaledPixels } from "../src/examples/datasets.ts";
import { fashionAvailable, loadDigits, loadFashion } from "../src/examples/node.ts";
import { mulberry32 } from "../test/helpers.ts";
import { ALL_CORES, pythonHas, runPython, timeOnThreads, type Benchmark } from "./harness.ts";

const N = 10_000;
const D = 64;

async function points(): Promise<{ data: Float32Array; source: string }> {
  if (fashionAvailable()) {
    const { test } = await loadFashion();
    const pixels = scaledPixels(test);
    const { scores } = await pca(
      { rows: test.labels.length, cols: pixels.length / test.labels.length, data: pixels },
      { nComponents: D },
    );
    return { data: scores.data.slice(0, N * D), source: "Fashion-MNIST test, 64 PCs" };
  }
  const digits = await loadDigits();
  const pixels = scaledPixels(digits);
  const random = mulberry32(17);
  const data = new Float32Array(N * D);
  for (let i = 0; i < N; i++)
    for (let j = 0; j < D; j++)
      data[i * D + j] = pixels[(i % digits.labels.length) * D + j] + 0.05 * (random() - 0.5);
  return { data, source: "digits ×5.6 with noise" };
}

export const mapperBenchmark: Benchmark = {
  name: "mapper",
  description:
    "Mapper graph on 10,000 × 64: first build, slider recompute, vs scikit-learn DBSCAN per interval",
  async run() {
    const { data, source } = await points();
    const X = { rows: N, cols: D, data };
    let space: MapperSpace | undefined;
    let eps = 0;
    let summary = "";
    const firstMs = await timeOnThreads(async () => {
      space = await MapperSpace.build(X);
      await space.prepare();
      const g = await space.graph({ overlap: 0.5 });
      eps = g.params.eps;
      summary = `${g.nodes.length} nodes, ${g.links.length} links, ${g.lost.length} lost, eps ${eps}`;
    }, 1);
    let toggle = false;
    const overlapMs = await timeOnThreads(async () => {
      toggle = !toggle;
      await space!.graph({ overlap: toggle ? 0.4 : 0.5 });
    }, 5);
    const epsMs = await timeOnThreads(async () => {
      toggle = !toggle;
      await space!.graph({ eps: toggle ? eps * 1.2 : eps * 0.8 });
    }, 5);

    let anchorMs: number | null = null;
    let anchorAllMs: number | null = null;
    let anchorNote = "apt-get install python3-sklearn";
    if (pythonHas("sklearn")) {
      const dir = mkdtempSync(join(tmpdir(), "hidden-atlas-bench-"));
      try {
        const path = join(dir, "points.npy");
        writeFileSync(path, writeNpy({ shape: [N, D], data }));
        const result = runPython<{ ms: number; nodes: number; links: number }>(ANCHOR, {
          POINTS: path,
          EPS: String(eps),
          JOBS: "1",
        });
        anchorMs = result.ms;
        anchorAllMs = runPython<{ ms: number }>(ANCHOR, {
          POINTS: path,
          EPS: String(eps),
          JOBS: String(ALL_CORES),
        }).ms;
        anchorNote = `anchor ${result.nodes} nodes, ${result.links} links`;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    const anchor = "scikit-learn DBSCAN per interval (KeplerMapper's loop)";
    return [
      {
        benchmark: "mapper",
        case: `10,000 × 64 (${source}), first graph (32-NN lists, ε-graph up to 1.5 × auto ε, graph)`,
        ours: firstMs.one,
        oursAll: firstMs.all,
        anchor,
        anchorMs,
        anchorAllMs,
        note: summary,
      },
      {
        benchmark: "mapper",
        case: "10,000 × 64, recompute after an overlap change",
        ours: overlapMs.one,
        oursAll: overlapMs.all,
        anchor,
        anchorMs,
        anchorAllMs,
        note: anchorNote,
      },
      {
        benchmark: "mapper",
        case: "10,000 × 64, recompute after an ε change (within 1.5 × auto)",
        ours: epsMs.one,
        oursAll: epsMs.all,
        anchor,
        anchorMs,
        anchorAllMs,
      },
    ];
  },
};

const ANCHOR = `
import json, os, time
import numpy as np
from sklearn.cluster import DBSCAN
X = np.load(os.environ["POINTS"]).astype(np.float64)
eps = float(os.environ["EPS"])
jobs = int(os.environ["JOBS"])
def run():
    lens = np.linalg.norm(X, axis=1)
    lens = (lens - lens.min()) / (lens.max() - lens.min())
    n, p = 10, 0.5
    L = 1.0 / (n - (n - 1) * p)
    nodes = []
    for i in range(n):
        lo = i * L * (1 - p)
        idx = np.where((lens >= lo) & (lens <= lo + L))[0]
        if len(idx) < 5:
            continue
        labels = DBSCAN(eps=eps, min_samples=5, n_jobs=jobs).fit(X[idx]).labels_
        for c in np.unique(labels[labels >= 0]):
            nodes.append(set(idx[labels == c].tolist()))
    links = [(a, b) for a in range(len(nodes)) for b in range(a + 1, len(nodes)) if nodes[a] & nodes[b]]
    return len(nodes), len(links)
run()
times = []
for _ in range(3):
    t = time.perf_counter(); nodes, links = run(); times.append(time.perf_counter() - t)
print(json.dumps({"ms": sorted(times)[1] * 1000, "nodes": nodes, "links": links}))
`;
