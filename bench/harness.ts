/**
 * The benchmark harness behind `npm run bench`: each benchmark runs Hidden Atlas and its anchor
 * on the same data in the same process run and reports both times and their ratio. Times are
 * medians of repeated runs after a warm-up. Nothing here is a test: speed is never asserted.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { setThreads } from "../src/core/threads.ts";
import { getCore } from "../src/core/wasm.ts";

/**
 * Every core of this machine: the "all cores" column. The shared core is loaded with this many
 * kernel threads (the default thread setting, "auto"); a benchmark then runs on 1 thread and on
 * all of them with `setThreads`.
 */
export const ALL_CORES = availableParallelism();

export interface BenchRow {
  benchmark: string;
  /** The data it ran on, e.g. "5,000 × 64, k = 10". */
  case: string;
  /** Hidden Atlas on one thread, milliseconds (median). */
  ours: number;
  /** Hidden Atlas on all cores (ALL_CORES threads), when the benchmark runs threaded work. */
  oursAll?: number;
  /** What we compare with, and its time on one thread (null when the anchor is not installed). */
  anchor: string;
  anchorMs: number | null;
  /**
   * The anchor on all cores (scikit-learn `n_jobs=ALL_CORES`); undefined when the anchor has no
   * threads of its own (Ripser, GUDHI's collapse, JS libraries), whose one time stands for both.
   */
  anchorAllMs?: number | null;
  /** Free-form extra measurements (e.g. GFLOP/s). */
  note?: string;
}

export interface Benchmark {
  name: string;
  description: string;
  run(): Promise<BenchRow[]>;
}

/** Median wall time (ms) of `repeats` runs of fn after one warm-up run. */
export async function time(fn: () => unknown | Promise<unknown>, repeats = 3): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/**
 * `time` of fn on one kernel thread and on all cores: the thread setting is 1, then ALL_CORES,
 * then back to "auto" (every core) for what follows.
 */
export async function timeOnThreads(
  fn: () => unknown | Promise<unknown>,
  repeats = 3,
): Promise<{ one: number; all: number }> {
  // Load the core on every core first: a core first loaded under setThreads(1) has no kernel
  // threads, and asking it for more afterwards is an error.
  await getCore();
  try {
    setThreads(1);
    const one = await time(fn, repeats);
    setThreads(ALL_CORES);
    const all = await time(fn, repeats);
    return { one, all };
  } finally {
    setThreads("auto");
  }
}

/** One timed run of fn (no warm-up) on one thread and on all cores, for cases that take seconds. */
export async function onceOnThreads(
  fn: () => unknown | Promise<unknown>,
): Promise<{ one: number; all: number }> {
  const once = async () => {
    const start = performance.now();
    await fn();
    return performance.now() - start;
  };
  try {
    await getCore(); // on every core first, as in timeOnThreads
    setThreads(1);
    const one = await once();
    setThreads(ALL_CORES);
    const all = await once();
    return { one, all };
  } finally {
    setThreads("auto");
  }
}

/** Debian's Python, where the reference packages live. */
export const PYTHON = "/usr/bin/python3";

/** True when `module` imports under Debian's Python. */
export function pythonHas(module: string): boolean {
  if (!existsSync(PYTHON)) return false;
  try {
    execFileSync(PYTHON, ["-c", `import ${module}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Run a Python snippet that prints one JSON object on its last line; return it. */
export function runPython<T>(code: string, env: Record<string, string> = {}): T {
  const out = execFileSync(PYTHON, ["-c", code], {
    encoding: "utf8",
    env: {
      ...process.env,
      OMP_NUM_THREADS: "1",
      OPENBLAS_NUM_THREADS: "1",
      MKL_NUM_THREADS: "1",
      ...env,
    },
    maxBuffer: 64 * 1024 * 1024,
  });
  const lines = out.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]) as T;
}

export function formatRows(rows: BenchRow[]): string {
  const all = `${ALL_CORES} threads`;
  const header = [
    "benchmark",
    "case",
    "ours 1 thread (ms)",
    `ours ${all} (ms)`,
    "speed-up",
    "anchor",
    "anchor 1 thread (ms)",
    `anchor ${all} (ms)`,
    "ours / anchor (1 thread)",
    `ours / anchor (${all})`,
    "note",
  ];
  const ms = (v: number | null | undefined) =>
    v === undefined ? "—" : v === null ? "not installed" : v.toFixed(1);
  const ratio = (a: number | undefined, b: number | null | undefined) =>
    a === undefined || b === undefined || b === null ? "—" : (a / b).toFixed(3);
  const body = rows.map((r) => {
    // An anchor without threads of its own runs the same on all cores.
    const anchorAll = r.anchorAllMs === undefined ? r.anchorMs : r.anchorAllMs;
    return [
      r.benchmark,
      r.case,
      ms(r.ours),
      ms(r.oursAll),
      r.oursAll === undefined ? "—" : `${(r.ours / r.oursAll).toFixed(2)}×`,
      r.anchor,
      ms(r.anchorMs),
      r.anchorAllMs === undefined
        ? r.anchorMs === null
          ? "not installed"
          : "(1 thread)"
        : ms(r.anchorAllMs),
      ratio(r.ours, r.anchorMs),
      ratio(r.oursAll, r.oursAll === undefined ? undefined : anchorAll),
      r.note ?? "",
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ");
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}
