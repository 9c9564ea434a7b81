/**
 * The step trace's clock in Node (src/analyses/trace.ts): wall time from `performance`, and the
 * calling thread's own CPU time — on Linux from /proc/thread-self/schedstat (nanoseconds the
 * thread ran), read synchronously on that thread; elsewhere the process's (`process.cpuUsage`,
 * every thread together, which the trace then says).
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { performance } from "node:perf_hooks";
import type { TraceClock } from "../analyses/trace.ts";

const SCHEDSTAT = "/proc/thread-self/schedstat";

function threadCpuMs(): number | null {
  try {
    const ns = Number(readFileSync(SCHEDSTAT, "latin1").split(" ")[0]);
    return Number.isFinite(ns) ? ns / 1e6 : null;
  } catch {
    return null;
  }
}

/** Whether `cpu()` is this thread's own CPU time (else the whole process's). */
export const threadCpuAvailable = threadCpuMs() !== null;

export const nodeTraceClock: TraceClock = {
  tid: threadId,
  now: () => performance.timeOrigin + performance.now(),
  cpu: () => {
    if (threadCpuAvailable) {
      const ms = threadCpuMs();
      if (ms !== null) return ms;
    }
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  },
};

/** This thread's id (Linux: /proc/thread-self's target), or null. */
export function threadId(): number | null {
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    return Number.isInteger(tid) ? tid : null;
  } catch {
    return null;
  }
}

/**
 * CPU time of every live thread of this process by thread id (Linux: /proc/self/task/N/stat,
 * utime + stime in clock ticks of 10 ms): the main thread, the workers' threads, V8's helpers
 * (garbage collection, compilation) and libuv's pool (file reads). Empty where /proc is
 * missing.
 */
export function threadsCpu(): Map<number, number> {
  const out = new Map<number, number>();
  try {
    for (const task of readdirSync("/proc/self/task")) {
      try {
        const stat = readFileSync(`/proc/self/task/${task}/stat`, "latin1");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        // utime and stime, fields 14 and 15 of stat (fields[0] here is field 3).
        out.set(Number(task), (Number(fields[11]) + Number(fields[12])) * 10);
      } catch {
        // The thread ended meanwhile.
      }
    }
  } catch {
    return new Map();
  }
  return out;
}
