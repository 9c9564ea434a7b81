/**
 * The benchmark harness behind `npm run bench`: each benchmark runs Hidden Atlas and its anchor
 * on the same data in the same process run and reports both times and their ratio. Times are
 * medians of repeated runs after a warm-up. Nothing here is a test: speed is never asserted.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

export interface BenchRow {
  benchmark: string;
  /** The data it ran on, e.g. "5,000 × 64, k = 10". */
  case: string;
  /** Hidden Atlas, milliseconds (median). */
  ours: number;
  /** What we compare with, and its time (null when the anchor is not installed). */
  anchor: string;
  anchorMs: number | null;
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
    env: { ...process.env, OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", MKL_NUM_THREADS: "1", ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  const lines = out.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]) as T;
}

export function formatRows(rows: BenchRow[]): string {
  const header = ["benchmark", "case", "Hidden Atlas (ms)", "anchor", "anchor (ms)", "ratio (ours / anchor)", "note"];
  const body = rows.map((r) => [
    r.benchmark,
    r.case,
    r.ours.toFixed(1),
    r.anchor,
    r.anchorMs === null ? "not installed" : r.anchorMs.toFixed(1),
    r.anchorMs === null ? "—" : (r.ours / r.anchorMs).toFixed(3),
    r.note ?? "",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ");
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}
