/**
 * The tasks the analysis worker runs, by name: one per step of every analysis
 * (`"mapper.graph"`, `"explore.neighbors"`, …), generated from the descriptors, plus training an
 * example network. A step task takes `{bundle, params, args}`: the key under which the bundle
 * was kept with `put`, the parameters as the notebook has them (checked here by the
 * descriptor's resolver) and the step's args (e.g. `{layer}`). Results are cached per worker by
 * what each step declares it depends on (see src/analyses/runner.ts).
 */
import { ANALYSES } from "../analyses/registry.ts";
import { resolveParams, type SomeAnalysis, type StepArgs } from "../analyses/descriptor.ts";
import {
  AnalysisRunner,
  runStepFromNeeds,
  type RemoteStep,
  type StepPool,
} from "../analyses/runner.ts";
import { StepTrace, stepIdentity, type TraceClock } from "../analyses/trace.ts";
import { availableCores, setThreads, threadStatus } from "../core/threads.ts";
import { getCore } from "../core/wasm.ts";
import type { AnalysisBundle } from "../analyses/columns.ts";
import { DIGIT_CLASSES, imageDataset } from "../examples/datasets.ts";
import { recipeNamed } from "../examples/index.ts";
import { HiddenAtlasError } from "../core/errors.ts";
import { zipBundle } from "../io/bundle-write.ts";
import { setMemoryBudget } from "../io/limits.ts";
import type { NdArray } from "../io/ndarray.ts";
import type { Task, TaskContext } from "./host.ts";

/** What a step task is given. */
export interface StepTaskArgs {
  /** Key of the bundle kept with `put`. */
  bundle: string;
  params?: Record<string, unknown>;
  args?: StepArgs;
}

/** What `worker.configure` answers: the kernel threads (and why fewer, once) and the pool's size. */
export interface WorkerThreadStatus extends ReturnType<typeof threadStatus> {
  /** Workers of the step pool (0: steps run in this worker). */
  poolWorkers: number;
}

/** A remote step: what a pool sends (see src/worker/pool.ts); `bundle` names the kept bundle of a "whole" step. */
export interface RemoteStepArgs extends RemoteStep {
  bundle?: string;
}

/**
 * The tasks of one worker: its own step cache, over the values it keeps. `pool` (given by
 * `"pool.start"`, or here) runs the steps marked `parallel` in further workers.
 */
export function createTasks(
  options: {
    pool?: (size: number) => StepPool & { terminate(): void };
    /**
     * Open a bundle from its path (Node): adds the task `bundle.open` ({path, key}), which a
     * pool sends before its first "whole" step.
     */
    openBundle?: (path: string, options: { checkpoints: boolean }) => Promise<AnalysisBundle>;
    /**
     * This thread's clock: with it, a pool's request for a trace gets the worker's start, its
     * bundle's opening and its steps' events (src/analyses/trace.ts) with the value.
     */
    clock?: TraceClock;
  } = {},
): Record<string, Task> {
  const trace = options.clock ? new StepTrace(options.clock, "worker") : null;
  let runner: AnalysisRunner | null = null;
  let pool: (StepPool & { terminate(): void }) | null = null;
  const runnerFor = (context: TaskContext) =>
    (runner ??= new AnalysisRunner({
      others: (key) => context.get<AnalysisBundle>(key),
      pool: pool ?? undefined,
    }));
  const analysisNamed = (name: string): SomeAnalysis => {
    const descriptor = Object.values(ANALYSES as unknown as Record<string, SomeAnalysis>).find(
      (d) => d.name === name,
    );
    if (!descriptor)
      throw new HiddenAtlasError("E_PARAM", `unknown analysis ${JSON.stringify(name)}`);
    return descriptor;
  };
  const tasks: Record<string, Task> = {
    /**
     * Threads of this worker's kernels (`setThreads`): sent first, before any computation. A
     * pool's workers run kernels on one thread each: the workers are the parallelism.
     */
    "worker.threads": (async ({
      threads,
      started,
      ahead,
    }: {
      threads: number | "auto";
      started?: number;
      /** Started by the command line before its modules loaded (the trace's `ahead`). */
      ahead?: boolean;
    }) => {
      setThreads(threads);
      // The core now, while the first step is still being prepared (it would load it anyway).
      await getCore();
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
    /**
     * The notebook's thread setting, sent before the first analysis: this worker's kernels run
     * on that many threads (where the page is cross-origin isolated; the core loads now, so a
     * fallback is known at once) and the steps marked `parallel` run in a pool of that many
     * further workers (started on first use), isolated or not. Answers the thread status.
     */
    "worker.configure": (async ({ threads }: { threads: number | "auto" }) => {
      if (runner)
        throw new HiddenAtlasError(
          "E_PARAM",
          "configure the worker's threads before its first analysis step",
        );
      setThreads(threads);
      await getCore();
      const size = threads === "auto" ? await availableCores() : threads;
      pool?.terminate();
      pool = options.pool && size >= 2 ? options.pool(size) : null;
      return { ...threadStatus(), poolWorkers: pool ? size : 0 } satisfies WorkerThreadStatus;
    }) as Task,
    /** The memory budget of this worker's readers and reductions (`setMemoryBudget`), in bytes. */
    "worker.budget": (async ({ bytes }: { bytes: number }) => {
      setMemoryBudget(bytes);
      return null;
    }) as Task,
    /** A step of a pool (see RemoteStep): from its needs' values, or with its needs from the kept bundle. */
    "step.remote": (async (request: RemoteStepArgs, context: TaskContext) => {
      const descriptor = analysisNamed(request.analysis);
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
    /** Train a digits recipe; returns each bundle as .zip bytes with its summary. */
    "example.run": (async (
      args: {
        recipe: string;
        seed?: number;
        epochs?: number;
        digits: { images: NdArray; labels: NdArray };
      },
      context: TaskContext,
    ) => {
      const recipe = recipeNamed(args.recipe);
      if (!recipe)
        throw new HiddenAtlasError(
          "E_PARAM",
          `unknown example recipe ${JSON.stringify(args.recipe)}`,
        );
      if (recipe.needs.some((need) => need !== "digits")) {
        throw new HiddenAtlasError(
          "E_PARAM",
          `${recipe.name} needs data the browser does not have; run \`hidden-atlas example ${recipe.name}\` instead`,
        );
      }
      const digits = imageDataset(
        "digits",
        args.digits.images,
        args.digits.labels,
        DIGIT_CLASSES,
        16,
      );
      const results = await recipe.run(
        { digits },
        {
          seed: args.seed,
          epochs: args.epochs,
          signal: context.signal,
          onProgress: context.onProgress,
        },
      );
      return results.map((r) => ({ name: r.name, summary: r.summary, zip: zipBundle(r.bundle) }));
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
  for (const descriptor of Object.values(ANALYSES) as unknown as SomeAnalysis[]) {
    for (const step of Object.keys(descriptor.steps)) {
      tasks[`${descriptor.name}.${step}`] = (async (
        { bundle: key, params = {}, args = {} }: StepTaskArgs,
        context: TaskContext,
      ) => {
        const bundle = context.get<AnalysisBundle>(key);
        const resolved = resolveParams(descriptor, bundle, params);
        return runnerFor(context).run(descriptor, bundle, key, step, resolved, args, {
          signal: context.signal,
          onProgress: context.onProgress,
        });
      }) as Task;
    }
  }
  return tasks;
}
