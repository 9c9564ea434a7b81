/**
 * The tasks of a pool worker (src/worker/pool.ts): set its kernel threads and load its core
 * (`worker.threads`), open the bundle from its path (`bundle.open`, Node) and run one step
 * (`step.remote`). An analysis' module is imported when its first step arrives (or when
 * `worker.threads` names it), not every analysis up front: a worker loads the step code it runs
 * and nothing of the report, the examples or the other analyses. The analysis worker
 * (tasks.ts) has these tasks too, beside its own.
 */
import type { AnalysisBundle } from "../analyses/columns.ts";
import type { SomeAnalysis } from "../analyses/descriptor.ts";
import { AnalysisRunner, runStepFromNeeds, type RemoteStep } from "../analyses/runner.ts";
import { StepTrace, stepIdentity, type TraceClock } from "../analyses/trace.ts";
import { HiddenAtlasError } from "../core/errors.ts";
import { setThreads } from "../core/threads.ts";
import { getCore } from "../core/wasm.ts";
import type { Task, TaskContext } from "./host.ts";

/** A remote step: what a pool sends (see RemoteStep); `bundle` names the kept bundle of a "whole" step. */
export interface RemoteStepArgs extends RemoteStep {
  bundle?: string;
}

/**
 * Each analysis' module, by its name (the registry's, src/analyses/registry.ts; a test keeps
 * them the same), imported on first use.
 */
const ANALYSIS_MODULES: Record<string, () => Promise<SomeAnalysis>> = {
  explore: async () => (await import("../analyses/explore.ts")).exploreDescriptor as never,
  mda: async () => (await import("../analyses/mda.ts")).mdaDescriptor as never,
  "som-codes": async () => (await import("../analyses/som-codes.ts")).somCodesDescriptor as never,
  "layer-topology": async () =>
    (await import("../analyses/layer-topology.ts")).layerTopologyDescriptor as never,
  mapper: async () => (await import("../analyses/mapper.ts")).mapperDescriptor as never,
  mphate: async () => (await import("../analyses/mphate.ts")).mphateDescriptor as never,
};

const loaded = new Map<string, Promise<SomeAnalysis>>();

/** The descriptor of analysis `name`, its module imported once (E_PARAM for an unknown name). */
export function loadAnalysis(name: string): Promise<SomeAnalysis> {
  if (!Object.hasOwn(ANALYSIS_MODULES, name))
    return Promise.reject(
      new HiddenAtlasError("E_PARAM", `unknown analysis ${JSON.stringify(name)}`),
    );
  let descriptor = loaded.get(name);
  if (!descriptor) {
    descriptor = ANALYSIS_MODULES[name]();
    loaded.set(name, descriptor);
  }
  return descriptor;
}

/** The names `loadAnalysis` knows. */
export const POOL_ANALYSIS_NAMES = Object.keys(ANALYSIS_MODULES);

export interface PoolTaskOptions {
  /**
   * Open a bundle from its path (Node): adds the task `bundle.open` ({path, key}), which a pool
   * sends before its first "whole" step.
   */
  openBundle?: (path: string, options: { checkpoints: boolean }) => Promise<AnalysisBundle>;
  /**
   * This thread's clock: with it, a pool's request for a trace gets the worker's start, its
   * bundle's opening and its steps' events (src/analyses/trace.ts) with the value.
   */
  clock?: TraceClock;
}

export function createPoolTasks(options: PoolTaskOptions = {}): Record<string, Task> {
  const trace = options.clock ? new StepTrace(options.clock, "worker") : null;
  const tasks: Record<string, Task> = {
    /**
     * Threads of this worker's kernels (`setThreads`): sent first, before any computation. A
     * pool's workers run kernels on one thread each: the workers are the parallelism. `analysis`
     * names the analysis whose steps will come, imported meanwhile.
     */
    "worker.threads": (async ({
      threads,
      started,
      ahead,
      analysis,
    }: {
      threads: number | "auto";
      started?: number;
      /** Started by the command line before its modules loaded (the trace's `ahead`). */
      ahead?: boolean;
      analysis?: string;
    }) => {
      setThreads(threads);
      // The core now, while the first step is still being prepared (it would load it anyway).
      // An unknown name fails the step that names it, not this.
      const preloading = analysis !== undefined ? loadAnalysis(analysis).catch(() => {}) : null;
      await getCore();
      await preloading;
      // This thread's start: from its birth (its modules, its core) to ready.
      if (trace && typeof performance !== "undefined")
        trace.record({
          step: "worker.start",
          needs: [],
          start: started ?? performance.timeOrigin,
          end: trace.clock.now(),
          cpu: trace.clock.cpu(),
          tid: trace.clock.tid?.() ?? undefined,
          ...(ahead ? { ahead: true as const } : {}),
        });
      return null;
    }) as Task,
    /** A step of a pool (see RemoteStep): from its needs' values, or with its needs from the kept bundle. */
    "step.remote": (async (request: RemoteStepArgs, context: TaskContext) => {
      const descriptor = await loadAnalysis(request.analysis);
      const options = { signal: context.signal, onProgress: context.onProgress };
      const traced = request.trace && trace ? trace : null;
      let value: unknown;
      if (request.needs) {
        const done = traced?.begin(
          `${request.analysis}.${request.step}`,
          request.args,
          request.needs.map(([step, args]) => stepIdentity(`${request.analysis}.${step}`, args)),
          request.cost,
        );
        value = await runStepFromNeeds(descriptor, request, options);
        done?.();
      } else {
        if (request.bundle === undefined)
          throw new HiddenAtlasError(
            "E_PARAM",
            "a remote step needs its needs' values or a kept bundle",
          );
        const bundle = context.get<AnalysisBundle>(request.bundle);
        // A runner of its own, emptied after each step: the pool sends a worker one step at a
        // time, each with every need it has (a layer's vectors, its neighbour index), and
        // keeping them would hold every layer's wasm memory in every worker to the end.
        const own = new AnalysisRunner({ others: (key) => context.get<AnalysisBundle>(key) });
        own.trace = traced;
        try {
          value = await own.run(
            descriptor,
            bundle,
            request.bundle,
            request.step,
            request.params as never,
            request.args,
            options,
          );
        } finally {
          own.clear();
        }
      }
      return traced ? { value, trace: traced.drain() } : value;
    }) as Task,
  };
  const openBundle = options.openBundle;
  if (openBundle) {
    /**
     * Open a bundle from its path and keep it under `key` (a pool's "whole" steps read it);
     * its checkpoints only when `checkpoints` (default true).
     */
    tasks["bundle.open"] = (async (
      { path, key, checkpoints = true }: { path: string; key: string; checkpoints?: boolean },
      context: TaskContext,
    ) => {
      const done = trace?.begin("bundle.open", undefined, [stepIdentity("worker.start", {})]);
      context.keep(key, await openBundle(path, { checkpoints }));
      done?.();
      return null;
    }) as Task;
  }
  return tasks;
}
