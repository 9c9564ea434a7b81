/**
 * `npx tsx bench/threads-reports.ts [BUNDLE …] [--threads N] [--notebooks layer-topology,mapper]`:
 * wall time of `hidden-atlas report layer-topology` and `report mapper` (defaults otherwise) on
 * 1 thread and on N (default 2) threads, back to back, each in its own process of the built CLI
 * (`npm run build:cli` first), with the process's CPU time (user + system, all its threads and
 * workers), its peak RSS and the load average before each run, the speed-up 1-thread wall /
 * N-thread wall, and whether both thread counts wrote the same report bytes. Without a BUNDLE it
 * generates a ResNet-shaped bundle of 1,000 samples (bench/resnet-bundle.ts) in the temporary
 * folder once and reuses it. Wall times mean something only on an otherwise idle machine: the
 * load average is printed beside each run for that reason.
 *
 * With `--threads N` the CLI also runs the reports' independent steps (each layer's diagrams,
 * projections, cycles and sensitivity; each layer's Mapper graph) in N pool workers.
 *
 * Each run also writes its step trace (`report --trace`): every step's thread, start, end and
 * CPU time. From the N-thread run's trace the critical-path model is printed beside the wall
 * times (src/analyses/trace.ts, `traceModel`): the CPU in steps, the critical path, the makespan
 * of a list schedule of the steps on N cores, the run's whole CPU time (helper threads too) over
 * N, and the speed-up over the 1-thread run's CPU time that the larger of the two predicts —
 * numbers that a loaded machine spoils far less than wall times, since they are CPU times. Then
 * each thread's whole CPU time (main, the workers, V8's and libuv's helpers). `--trace-dir DIR`
 * keeps the traces (and prints the critical path's steps).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { traceModel, type TraceEvent } from "../src/analyses/trace.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
let threads = 2;
let notebooks = ["layer-topology", "mapper"];
let traceDir: string | null = null;
const bundles: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--threads") threads = Number(args[++i]);
  else if (args[i] === "--notebooks") notebooks = args[++i].split(",");
  else if (args[i] === "--trace-dir") traceDir = args[++i];
  else bundles.push(args[i]);
}
if (!Number.isInteger(threads) || threads < 2) throw new Error("--threads N: an integer ≥ 2");
if (!existsSync(join(root, "dist", "cli", "main.js")))
  throw new Error("the built CLI is missing: run `npm run build:cli` first");

if (bundles.length === 0) {
  const generated = join(tmpdir(), "hidden-atlas-bench-resnet-1000");
  if (!existsSync(join(generated, "manifest.json"))) {
    console.log(`generating a ResNet-shaped bundle of 1,000 samples in ${generated}`);
    const made = spawnSync(
      "npx",
      ["tsx", "bench/resnet-bundle.ts", generated, "--samples", "1000"],
      {
        cwd: root,
        stdio: "inherit",
      },
    );
    if (made.status !== 0) throw new Error("bench/resnet-bundle.ts failed");
  }
  bundles.push(generated);
}

/** /usr/bin/time -v's numbers of one run. */
function timed(command: string[]): { wall: number; cpu: number; rssGb: number; ok: boolean } {
  const out = spawnSync("/usr/bin/time", ["-v", ...command], { cwd: root, encoding: "utf8" });
  const text = out.stderr ?? "";
  const number = (label: string) => {
    const line = text.split("\n").find((l) => l.trim().startsWith(label));
    return line ? line.slice(line.lastIndexOf(":") + 1).trim() : "";
  };
  // "Elapsed (wall clock) time (h:mm:ss or m:ss): 1:02.35"
  const wallText =
    text.match(/Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)/)?.[1] ?? "";
  const wall = wallText
    .split(":")
    .map(Number)
    .reduce((a, v) => a * 60 + v, 0);
  const cpu = Number(number("User time (seconds)")) + Number(number("System time (seconds)"));
  const rssGb = Number(number("Maximum resident set size (kbytes)")) / 2 ** 20;
  if (out.status !== 0) process.stderr.write(text.split("\n").slice(0, 20).join("\n") + "\n");
  return { wall, cpu, rssGb, ok: out.status === 0 };
}

const work = mkdtempSync(join(tmpdir(), "hidden-atlas-threads-reports-"));
if (traceDir) mkdirSync(traceDir, { recursive: true });
try {
  for (const bundle of bundles) {
    for (const notebook of notebooks) {
      const runs: {
        wall: number;
        cpu: number;
        rssGb: number;
        bytes: Buffer | null;
        trace: {
          processCpu: number;
          events: TraceEvent[];
          cpuByThreadName?: Record<string, number>;
        } | null;
      }[] = [];
      for (const t of [1, threads]) {
        const out = join(work, `${notebook}-${t}.html`);
        const tracePath = join(traceDir ?? work, `${notebook}-${basename(bundle)}-${t}.json`);
        const load = loadavg()[0];
        const r = timed([
          "node",
          "bin/hidden-atlas.js",
          "report",
          notebook,
          "--bundle",
          bundle,
          "--threads",
          String(t),
          "--date",
          "2026-01-01",
          "--out",
          out,
          "--trace",
          tracePath,
        ]);
        runs.push({
          ...r,
          bytes: r.ok ? readFileSync(out) : null,
          trace: r.ok ? JSON.parse(readFileSync(tracePath, "utf8")) : null,
        });
        console.log(
          `report ${notebook}\t${bundle}\tthreads ${t}\twall ${r.wall.toFixed(1)} s\tCPU ${r.cpu.toFixed(1)} s\tpeak RSS ${r.rssGb.toFixed(2)} GB\tload before ${load.toFixed(1)}${r.ok ? "" : "\tFAILED"}`,
        );
      }
      const [one, many] = runs;
      const same = one.bytes && many.bytes ? one.bytes.equals(many.bytes) : false;
      console.log(
        `report ${notebook}\t${bundle}\tspeed-up on ${threads} threads ${(one.wall / many.wall).toFixed(2)}×\tCPU ×${(many.cpu / one.cpu).toFixed(2)}\tsame report bytes: ${same}`,
      );
      if (one.trace && many.trace) {
        const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
        const m = traceModel(many.trace.events, threads);
        const base = one.trace.processCpu;
        const all = many.trace.processCpu;
        // The steps' schedule, unless the run's whole CPU (helpers too) cannot fit in it.
        const modelled = Math.max(m.makespan, all / threads);
        console.log(
          `model ${notebook}\t1 thread: CPU ${s(base)}\t${threads} threads: CPU ${s(all)}, of it in steps ${s(m.work)}\tcritical path ${s(m.criticalPath)}\tlist schedule on ${threads} cores ${s(m.makespan)}\tCPU / ${threads} ${s(all / threads)}\tmodelled speed-up ${(base / modelled).toFixed(2)}×`,
        );
        const cpuOf = (t: { cpuByThreadName?: Record<string, number> }) =>
          Object.entries(t.cpuByThreadName ?? {})
            .map(([name, ms]) => `${name} ${s(ms)}`)
            .join(", ");
        console.log(
          `threads ${notebook}\t1 thread: ${cpuOf(one.trace)}\t${threads} threads: ${cpuOf(many.trace)}`,
        );
        if (traceDir)
          console.log(
            `critical path\t${m.path.map((e) => `${e.step}${e.args ? ` ${JSON.stringify(e.args)}` : ""} [${e.thread}] ${s(e.cpu)}`).join(" → ")}`,
          );
      }
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
