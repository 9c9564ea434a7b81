/**
 * Running one case's command: in a child process on the built CLI (the sweep), with a
 * wall-clock limit, a cap on resident memory and a cap on the V8 heap; or in this process on
 * the sources (the test's sample), with a timeout but no isolation.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Run, RunResult } from "./types.ts";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CHILD = fileURLToPath(new URL("./child.mjs", import.meta.url));

export const DEFAULT_TIMEOUT_MS = 90_000;
/** V8 heap of a child (MiB): a JS-side blow-up dies here instead of taking the machine. */
const HEAP_MB = 2048;
/** Resident memory of a child past which it is killed (MiB): wasm32's 4 GiB plus the heap. */
export const RSS_CAP_MB = 3072;
/** How much of each stream is kept. */
const MAX_CAPTURE = 64 << 20;
const RSS_POLL_MS = 200;

export type Runner = (run: Run, cwd: string) => Promise<RunResult>;

/** Newest modification time (ms) under `dir`. */
function newest(dir: string): number {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) t = Math.max(t, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return t;
}

/** True when dist/ (the CLI the sweep runs) is older than the sources or missing. */
export function distIsStale(): boolean {
  const entry = join(ROOT, "dist/cli/main.js");
  return (
    !existsSync(entry) ||
    !existsSync(join(ROOT, "build/core.wasm")) ||
    statSync(entry).mtimeMs < newest(join(ROOT, "src"))
  );
}

function residentMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Run in a child process (its own process group, killed whole on timeout or memory cap). */
export const childRunner: Runner = (run, cwd) =>
  new Promise((resolve) => {
    const started = performance.now();
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
    delete env.ATLAS_SWEEP_BUDGET;
    if (run.budget !== undefined) env.ATLAS_SWEEP_BUDGET = String(run.budget);
    const child = spawn(
      process.execPath,
      [`--max-old-space-size=${HEAP_MB}`, CHILD, run.mode ?? "cli", ...run.argv],
      {
        cwd,
        env,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    child.stdout.on("data", (b: Buffer) => {
      if (outBytes < MAX_CAPTURE) out.push(b);
      outBytes += b.length;
    });
    child.stderr.on("data", (b: Buffer) => {
      if (errBytes < MAX_CAPTURE) err.push(b);
      errBytes += b.length;
    });
    let timedOut = false;
    let memoryExceeded = false;
    let peak = 0;
    const kill = () => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, run.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const poll = setInterval(() => {
      const rss = residentMb(child.pid!);
      peak = Math.max(peak, rss);
      if (rss > RSS_CAP_MB) {
        memoryExceeded = true;
        kill();
      }
    }, RSS_POLL_MS);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      clearInterval(poll);
      resolve({
        code: timedOut || memoryExceeded ? null : code,
        signal: signal ?? null,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        ms: performance.now() - started,
        timedOut,
        memoryExceeded,
        peakRssMb: Math.round(peak),
      });
    });
  });

/**
 * Run in this process on the sources: main() with captured streams, the budget set for the
 * run and restored after. A run past its timeout is reported as a hang (its work may go on in
 * the background: this runner is for quick samples, not for hostile work).
 */
export const inProcessRunner: Runner = async (run, cwd) => {
  const { main } = await import("../../src/cli/main.ts");
  const { setMemoryBudget, memoryBudget } = await import("../../src/io/limits.ts");
  const started = performance.now();
  let stdout = "";
  let stderr = "";
  const streams = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t), isTTY: false },
  };
  const previousBudget = memoryBudget();
  const previousCwd = process.cwd();
  if (run.budget !== undefined) setMemoryBudget(run.budget);
  process.chdir(cwd);
  let timer: NodeJS.Timeout | undefined;
  try {
    const work = (async () => {
      if ((run.mode ?? "cli") === "cli") return main(run.argv, streams);
      const io = {
        ...(await import("../../src/io/index.ts")),
        ...(await import("../../src/core/errors.ts")),
      };
      const { readFileBytes } = await import("../../src/io/node.ts");
      const { runApi } = await import("./api.mjs");
      return runApi(io, readFileBytes, run.argv, streams);
    })();
    const timeout = new Promise<"timeout">(
      (done) => (timer = setTimeout(() => done("timeout"), run.timeoutMs ?? DEFAULT_TIMEOUT_MS)),
    );
    const code = await Promise.race([work, timeout]);
    const timedOut = code === "timeout";
    return {
      code: timedOut ? null : (code as number),
      signal: null,
      stdout,
      stderr,
      ms: performance.now() - started,
      timedOut,
      memoryExceeded: false,
      peakRssMb: 0,
    };
  } finally {
    clearTimeout(timer);
    process.chdir(previousCwd);
    setMemoryBudget(previousBudget);
  }
};
