/**
 * Vietoris–Rips persistent homology against Debian's `ripser` (1.2.1, the reference) and GUDHI
 * with edge collapse (python3-gudhi: RipsComplex → collapse_edges → expansion → persistence, the
 * fastest recipe we know for these clouds) on the same clouds in the same run: noisy circles in
 * R^50 (H0–H1) and a torus in R^20 (H0–H2), the cases of issue 4.
 *
 * Every tool runs in a fresh process on the same float32 points and computes its own distances;
 * one run each, timed from the points in memory to the diagrams (ours and GUDHI by their own
 * timers; Ripser by the wall clock of its process, which includes reading the points as text). Peak memory is each process's maximum RSS (Node's baseline of about
 * 50 MB included for us), and for us also the wasm memory the computation owned at its peak.
 * The diagrams are checked to have the same number of pairs per degree as Ripser's. Ours runs on
 * 1 thread and on all cores; Ripser and GUDHI's collapse and reduction are single-threaded, as
 * they are.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { getCore } from "../src/core/wasm.ts";
import { Rng } from "../src/core/random.ts";
import { writeNpy } from "../src/io/npy.ts";
import { ALL_CORES, PYTHON, pythonHas, type Benchmark, type BenchRow } from "./harness.ts";

const TIME = "/usr/bin/time";
const CHILD = fileURLToPath(new URL("./ph-child.ts", import.meta.url));
const TSX = fileURLToPath(new URL("../node_modules/.bin/tsx", import.meta.url));

/** Orthonormal k-frame in R^d (Gram–Schmidt on normal draws), columns as rows of k × d. */
function frame(normal: Float64Array, k: number, d: number): Float64Array {
  const q = Float64Array.from(normal.subarray(0, k * d));
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < a; b++) {
      let dot = 0;
      for (let i = 0; i < d; i++) dot += q[a * d + i] * q[b * d + i];
      for (let i = 0; i < d; i++) q[a * d + i] -= dot * q[b * d + i];
    }
    let norm = 0;
    for (let i = 0; i < d; i++) norm += q[a * d + i] ** 2;
    for (let i = 0; i < d; i++) q[a * d + i] /= Math.sqrt(norm);
  }
  return q;
}

/** Points `low` (n × k) mapped into R^d by a seeded orthonormal frame, as float32. */
function embed(low: Float64Array, n: number, k: number, d: number, q: Float64Array): Float32Array {
  const out = new Float32Array(n * d);
  for (let p = 0; p < n; p++)
    for (let a = 0; a < k; a++)
      for (let i = 0; i < d; i++) out[p * d + i] += low[p * k + a] * q[a * d + i];
  return out;
}

/** Noisy unit circle (noise σ = 0.05) in R^50, as shared/testdata/make.py's circle(). */
export async function noisyCircle(n: number, seed: number, d = 50): Promise<Float32Array> {
  const rng = new Rng(await getCore(), seed);
  try {
    const t = rng.uniform(n);
    const noise = rng.normal(2 * n);
    const low = new Float64Array(2 * n);
    for (let p = 0; p < n; p++) {
      low[2 * p] = Math.cos(2 * Math.PI * t[p]) + 0.05 * noise[2 * p];
      low[2 * p + 1] = Math.sin(2 * Math.PI * t[p]) + 0.05 * noise[2 * p + 1];
    }
    return embed(low, n, 2, d, frame(rng.normal(2 * d), 2, d));
  } finally {
    rng.dispose();
  }
}

/** Torus (R = 2, r = 1) in R^20, as make.py's torus(). */
export async function torus(n: number, seed: number, d = 20): Promise<Float32Array> {
  const rng = new Rng(await getCore(), seed);
  try {
    const uv = rng.uniform(2 * n);
    const low = new Float64Array(3 * n);
    for (let p = 0; p < n; p++) {
      const u = 2 * Math.PI * uv[2 * p];
      const v = 2 * Math.PI * uv[2 * p + 1];
      low[3 * p] = (2 + Math.cos(v)) * Math.cos(u);
      low[3 * p + 1] = (2 + Math.cos(v)) * Math.sin(u);
      low[3 * p + 2] = Math.sin(v);
    }
    return embed(low, n, 3, d, frame(rng.normal(3 * d), 3, d));
  } finally {
    rng.dispose();
  }
}

/** Run a command under GNU time: wall ms, peak RSS (KB, GNU time's %M) and stdout. */
function timedWithMemory(
  command: string,
  args: string[],
): { ms: number; rssKB: number; stdout: string } {
  const file = join(mkdtempSync(join(tmpdir(), "atlas-time-")), "rss.txt");
  const start = performance.now();
  const stdout = execFileSync(TIME, ["-o", file, "-f", "%M", command, ...args], {
    encoding: "utf8",
    maxBuffer: 256 * 1024 ** 2,
    stdio: ["ignore", "pipe", "ignore"],
    env: { ...process.env, OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1" },
  });
  const ms = performance.now() - start;
  const rssKB = Number(execFileSync("tail", ["-n", "1", file], { encoding: "utf8" }).trim());
  return { ms, rssKB, stdout };
}

/** Pairs per degree in Ripser's text output. */
function ripserCounts(text: string): number[] {
  const counts: number[] = [];
  let dim = -1;
  for (const line of text.split("\n")) {
    const m = /persistence intervals in dim (\d+):/.exec(line);
    if (m) {
      dim = Number(m[1]);
      counts[dim] = 0;
    } else if (dim >= 0 && /^\s*\[/.test(line)) counts[dim]++;
  }
  return counts;
}

const GUDHI = (npy: string, maxdim: number) => `
import json, time, numpy as np, gudhi
x = np.load(${JSON.stringify(npy)}).astype(np.float64)
t = time.perf_counter()
s = (x * x).sum(1)
D = np.sqrt(np.maximum(s[:, None] + s[None, :] - 2 * x @ x.T, 0))
thr = float(D.max(1).min())  # enclosing radius, as Ripser's default
st = gudhi.RipsComplex(distance_matrix=D, max_edge_length=thr).create_simplex_tree(max_dimension=1)
st.collapse_edges()
st.expansion(${maxdim + 1})
st.persistence(homology_coeff_field=2, min_persistence=0)
ms = (time.perf_counter() - t) * 1000
pairs = [sum(1 for b, d in st.persistence_intervals_in_dimension(k) if d > b) for k in range(${maxdim + 1})]
print(json.dumps({"ms": ms, "pairs": pairs}))`;

const CASES = [
  { name: "noisy circle", n: 1000, d: 50, maxdim: 1, make: () => noisyCircle(1000, 1101) },
  { name: "noisy circle", n: 2000, d: 50, maxdim: 1, make: () => noisyCircle(2000, 1102) },
  { name: "torus", n: 1000, d: 20, maxdim: 2, make: () => torus(1000, 1201) },
];

const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;

export const phBenchmark: Benchmark = {
  name: "ph",
  description:
    "Vietoris–Rips persistent homology vs Ripser 1.2.1 and GUDHI with edge collapse (fresh process each, peak RSS)",
  async run() {
    const rows: BenchRow[] = [];
    const dir = mkdtempSync(join(tmpdir(), "atlas-bench-ph-"));
    const hasRipser = (() => {
      try {
        execFileSync("ripser", ["--help"], { stdio: "ignore" });
        return true;
      } catch (error) {
        return (
          (error as { status?: number }).status !== undefined &&
          (error as { code?: string }).code !== "ENOENT"
        );
      }
    })();
    const hasGudhi = pythonHas("gudhi");
    const hasTime = existsSync(TIME);
    for (const c of CASES) {
      const X = await c.make();
      const npy = join(dir, `${c.name.replace(/ /g, "-")}-${c.n}.npy`);
      writeFileSync(npy, writeNpy({ shape: [c.n, c.d], data: X }));
      const label = `${c.name}, ${c.n.toLocaleString("en-US")} pts in R^${c.d}, H0–H${c.maxdim}`;
      console.error(`  ${label}: Hidden Atlas …`);
      const runOurs = (threads: number) => {
        const args = [TSX, CHILD, npy, String(c.maxdim), String(threads)];
        const run = hasTime ? timedWithMemory(process.execPath, args) : null;
        return JSON.parse(
          run
            ? run.stdout.trim().split("\n").pop()!
            : execFileSync(process.execPath, args, { encoding: "utf8" }).trim().split("\n").pop()!,
        );
      };
      const ours = runOurs(1);
      console.error(`  ${label}: Hidden Atlas on ${ALL_CORES} threads …`);
      const oursAll = runOurs(ALL_CORES).ms as number;
      const oursMemory = `ours: peak RSS ${mb(ours.maxRssKB)} (wasm memory ${mb(ours.wasmBytes / 1024)}, computation peak ${mb(ours.peakBytes / 1024)})`;
      if (hasRipser && hasTime) {
        const text = join(dir, `${c.n}-${c.maxdim}.txt`);
        let body = "";
        for (let p = 0; p < c.n; p++)
          body +=
            Array.from(X.subarray(p * c.d, (p + 1) * c.d), (v) => v.toPrecision(9)).join(",") +
            "\n";
        writeFileSync(text, body);
        console.error(`  ${label}: ripser …`);
        const r = timedWithMemory("ripser", [
          "--format",
          "point-cloud",
          "--dim",
          String(c.maxdim),
          text,
        ]);
        const counts = ripserCounts(r.stdout);
        const same =
          counts.length === ours.pairs.length && counts.every((k, i) => k === ours.pairs[i]);
        rows.push({
          benchmark: "ph",
          case: label,
          ours: ours.ms,
          oursAll,
          anchor: "Ripser 1.2.1 (Debian)",
          anchorMs: r.ms,
          note: `${oursMemory}; ripser peak RSS ${mb(r.rssKB)}; pairs ${same ? "equal" : `DIFFER: ours ${ours.pairs} vs ${counts}`}`,
        });
      } else {
        rows.push({
          benchmark: "ph",
          case: label,
          ours: ours.ms,
          oursAll,
          anchor: "Ripser",
          anchorMs: null,
          note: "apt-get install ripser time",
        });
      }
      if (hasGudhi && hasTime) {
        console.error(`  ${label}: gudhi …`);
        const g = timedWithMemory(PYTHON, ["-c", GUDHI(npy, c.maxdim)]);
        const result = JSON.parse(g.stdout.trim().split("\n").pop()!);
        const same = result.pairs.every((k: number, i: number) => k === ours.pairs[i]);
        // GUDHI's own timer (distances to diagrams; no interpreter start-up or imports).
        rows.push({
          benchmark: "ph",
          case: label,
          ours: ours.ms,
          oursAll,
          anchor: "GUDHI 3.7 + edge collapse",
          anchorMs: result.ms,
          note: `gudhi peak RSS ${mb(g.rssKB)} (Python + NumPy included), process wall ${(g.ms / 1000).toFixed(1)} s; pairs ${same ? "equal" : `DIFFER: ours ${ours.pairs} vs ${result.pairs}`}`,
        });
      } else {
        rows.push({
          benchmark: "ph",
          case: label,
          ours: ours.ms,
          oursAll,
          anchor: "GUDHI + edge collapse",
          anchorMs: null,
          note: "apt-get install python3-gudhi time",
        });
      }
    }
    return rows;
  },
};
