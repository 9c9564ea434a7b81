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
import { AnalysisRunner } from "../analyses/runner.ts";
import type { AnalysisBundle } from "../analyses/columns.ts";
import { DIGIT_CLASSES, imageDataset } from "../examples/datasets.ts";
import { recipeNamed } from "../examples/index.ts";
import { HiddenAtlasError } from "../core/errors.ts";
import { zipBundle } from "../io/bundle-write.ts";
import type { NdArray } from "../io/ndarray.ts";
import type { Task, TaskContext } from "./host.ts";

/** What a step task is given. */
export interface StepTaskArgs {
  /** Key of the bundle kept with `put`. */
  bundle: string;
  params?: Record<string, unknown>;
  args?: StepArgs;
}

/** The tasks of one worker: its own step cache, over the values it keeps. */
export function createTasks(): Record<string, Task> {
  let runner: AnalysisRunner | null = null;
  const runnerFor = (context: TaskContext) => (runner ??= new AnalysisRunner({ others: (key) => context.get<AnalysisBundle>(key) }));
  const tasks: Record<string, Task> = {
    /** Train a digits recipe; returns each bundle as .zip bytes with its summary. */
    "example.run": (async (args: { recipe: string; seed?: number; epochs?: number; digits: { images: NdArray; labels: NdArray } }, context: TaskContext) => {
      const recipe = recipeNamed(args.recipe);
      if (!recipe) throw new HiddenAtlasError("E_PARAM", `unknown example recipe ${JSON.stringify(args.recipe)}`);
      if (recipe.needs.some((need) => need !== "digits")) {
        throw new HiddenAtlasError("E_PARAM", `${recipe.name} needs data the browser does not have; run \`hidden-atlas example ${recipe.name}\` instead`);
      }
      const digits = imageDataset("digits", args.digits.images, args.digits.labels, DIGIT_CLASSES, 16);
      const results = await recipe.run({ digits }, { seed: args.seed, epochs: args.epochs, signal: context.signal, onProgress: context.onProgress });
      return results.map((r) => ({ name: r.name, summary: r.summary, zip: zipBundle(r.bundle) }));
    }) as Task,
  };
  for (const descriptor of Object.values(ANALYSES) as unknown as SomeAnalysis[]) {
    for (const step of Object.keys(descriptor.steps)) {
      tasks[`${descriptor.name}.${step}`] = (async ({ bundle: key, params = {}, args = {} }: StepTaskArgs, context: TaskContext) => {
        const bundle = context.get<AnalysisBundle>(key);
        const resolved = resolveParams(descriptor, bundle, params);
        return runnerFor(context).run(descriptor, bundle, key, step, resolved, args, { signal: context.signal, onProgress: context.onProgress });
      }) as Task;
    }
  }
  return tasks;
}
