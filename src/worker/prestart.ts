/**
 * Pool workers started before the command that uses them has loaded (Node): `hidden-atlas report`
 * and `run` spend a few hundred milliseconds loading their modules (the analyses, the bundle
 * readers, the report's) on one thread before they can create their step pool. Started here
 * from the raw arguments instead, each worker loads its own modules and core on another core
 * meanwhile, and the pool takes them (`takePrestarted`) as if it had just started them.
 *
 * A prestarted worker holds no process open (it is unreferenced until taken): a command that
 * fails before its pool exists still exits; `stopPrestarted` ends the ones never taken.
 */
import { performance } from "node:perf_hooks";
import type { Worker } from "node:worker_threads";
import type { AnalysisClient } from "./client.ts";
import { clientOf, startWorker } from "./node.ts";

/** A worker started ahead, with its `worker.threads` answer (modules and core loaded). */
export interface PrestartedWorker {
  client: AnalysisClient;
  ready: Promise<void>;
}

const waiting: { worker: Worker; started: PrestartedWorker }[] = [];

/**
 * The analyses with steps a pool's worker may run (`parallel`; a test keeps this list the
 * registry's): the others' reports get no pool (src/cli/commands/report.ts), so none is started
 * for them. Named here so that the command line need not load the analyses to know.
 */
export const POOLED_ANALYSES: readonly string[] = ["layer-topology", "mapper", "mda"];

/**
 * Have `count` pool workers running (those already waiting count), each with its kernels on
 * `kernelThreads` threads, its start timed from now (the step trace's "worker.start"), importing
 * `analysis`' module (its steps will come) as it loads its core.
 */
export function prestartWorkers(count: number, kernelThreads = 1, analysis?: string): void {
  while (waiting.length < count) {
    const started = performance.timeOrigin + performance.now();
    const worker = startWorker("pool-node-entry");
    worker.unref();
    const client = clientOf(worker);
    const ready = client
      .run("worker.threads", {
        threads: kernelThreads,
        started,
        ahead: true,
        analysis,
      })
      .then(() => {});
    ready.catch(() => {}); // reported to the step that waits for it
    waiting.push({ worker, started: { client, ready } });
  }
}

/** A prestarted worker for a pool (it now holds the process open until terminated), or none. */
export function takePrestarted(): PrestartedWorker | undefined {
  const next = waiting.shift();
  if (!next) return undefined;
  next.worker.ref();
  return next.started;
}

/** End the prestarted workers no pool took. */
export function stopPrestarted(): void {
  for (const { started } of waiting.splice(0)) started.client.terminate();
}

/** Workers waiting to be taken. */
export function prestartedCount(): number {
  return waiting.length;
}

/**
 * Prestart the pool of a command about to run with `threads` (its `--threads`; undefined: the
 * current setting, every core by default): one worker per thread when that is more than one,
 * as the command's pool will have (src/cli/commands/report.ts), for the steps of `analysis`.
 */
export async function prestartPool(
  threads: number | "auto" | undefined,
  analysis?: string,
): Promise<void> {
  if (analysis !== undefined && !POOLED_ANALYSES.includes(analysis)) return;
  const { availableCores, threadSetting } = await import("../core/threads.ts");
  const setting = threads ?? threadSetting();
  const count = setting === "auto" ? await availableCores() : setting;
  if (count > 1) prestartWorkers(count, 1, analysis);
}
