/**
 * `npm run bench [-- NAME ...]`: run the named benchmarks (all by default), print a table of
 * Hidden Atlas vs anchor with ratios — each heavy benchmark on 1 thread and on all cores of the
 * machine, with the speed-up and the anchor at the same thread count — and write
 * bench/results.json.
 */
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { distanceBenchmark } from "./distance.ts";
import { embedBenchmark } from "./embed.ts";
import { ALL_CORES, formatRows, type Benchmark, type BenchRow } from "./harness.ts";
import { knnBenchmark } from "./knn.ts";
import { mapperBenchmark } from "./mapper.ts";
import { nnBenchmark } from "./nn.ts";
import { phBenchmark } from "./ph.ts";
import { phateBenchmark } from "./phate.ts";
import { scaleBenchmark } from "./scale.ts";
import { scatterBenchmark } from "./scatter.ts";
import { somBenchmark } from "./som.ts";

const BENCHMARKS: Benchmark[] = [
  distanceBenchmark,
  knnBenchmark,
  nnBenchmark,
  somBenchmark,
  mapperBenchmark,
  embedBenchmark,
  phBenchmark,
  phateBenchmark,
  scatterBenchmark,
  scaleBenchmark,
];

// `sweep` is not a timing benchmark: it runs only when named, with its own options and table.
if (process.argv[2] === "sweep") {
  const { runSweep } = await import("./sweep/index.ts");
  await runSweep(process.argv.slice(3));
  process.exit(0);
}
// `claims` prints the reproductions' tables as markdown: only when named.
if (process.argv[2] === "claims") {
  const { runClaims } = await import("./claims.ts");
  await runClaims(process.argv.slice(3));
  process.exit(0);
}
const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !BENCHMARKS.some((b) => b.name === w));
if (unknown.length) {
  console.error(
    `unknown benchmark(s): ${unknown.join(", ")}; known: ${BENCHMARKS.map((b) => b.name).join(", ")}, sweep, claims`,
  );
  process.exit(2);
}
const chosen = BENCHMARKS.filter((b) => wanted.length === 0 || wanted.includes(b.name));
const rows: BenchRow[] = [];
console.log(
  `Hidden Atlas benchmarks · Node ${process.version} · ${cpus()[0]?.model ?? "unknown CPU"} · 1 thread and all ${ALL_CORES} cores\n`,
);
for (const benchmark of chosen) {
  console.error(`running ${benchmark.name}: ${benchmark.description} …`);
  rows.push(...(await benchmark.run()));
}
console.log(formatRows(rows));
writeFileSync(
  new URL("./results.json", import.meta.url),
  JSON.stringify(
    { node: process.version, date: new Date().toISOString(), cores: ALL_CORES, rows },
    null,
    2,
  ) + "\n",
);
