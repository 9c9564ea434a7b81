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
import { AnalysisRunner, type StepPool } from "../analyses/runner.ts";
import type { TraceClock } from "../analyses/trace.ts";
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
import { createPoolTasks } from "./pool-tasks.ts";

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

export type { RemoteStepArgs } from "./pool-tasks.ts";

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
  let runner: AnalysisRunner | null = null;
  let pool: (StepPool & { terminate(): void }) | null = null;
  const runnerFor = (context: TaskContext) =>
    (runner ??= new AnalysisRunner({
      others: (key) => context.get<AnalysisBundle>(key),
      pool: pool ?? undefined,
    }));
  const tasks: Record<string, Task> = {
    // worker.threads, step.remote and (with openBundle) bundle.open: a pool worker's tasks.
    ...createPoolTasks({ openBundle: options.openBundle, clock: options.clock }),
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
