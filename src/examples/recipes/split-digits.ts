/**
 * split-digits: continual learning on the 8×8 digits (M-PHATE's task switching):
 * five tasks (0/1, 2/3, 4/5, 6/7, 8/9) learnt one after another by a 64-64-64 ReLU network
 * with a 10-way softmax (class-incremental). Two runs: without rehearsal, and with a replay
 * buffer of 300 past samples split evenly over the past tasks, every batch half current task
 * and half replay. The hidden pre-activations are traced every few batches; accuracy on every
 * task's test samples is recorded after each task.
 */
import { Network } from "../../algo/nn/network.ts";
import type { NetworkSpec } from "../../algo/nn/spec.ts";
import { Trainer, TrainingData } from "../../algo/nn/trainer.ts";
import { ProgressTracker } from "../../core/progress.ts";
import { Rng, STREAMS } from "../../core/random.ts";
import { getCore } from "../../core/wasm.ts";
import {
  DIGIT_CLASSES,
  scaledPixels,
  seededSplit,
  splitIndices,
  takeLabels,
  takeRows,
  traceSet,
} from "../datasets.ts";
import { recordLayers, round4, type Recipe, type RecipeResult } from "../recipe.ts";
import { requireData } from "./common.ts";

export const TASKS = [
  [0, 1],
  [2, 3],
  [4, 5],
  [6, 7],
  [8, 9],
];
const BATCH = 32;
const REPLAY_BUFFER = 300;
/** A trace is recorded every this many steps (and at every task switch). */
const TRACE_EVERY = 20;

export const SPLIT_SPEC: NetworkSpec = {
  inputShape: [64],
  layers: [
    { type: "dense", units: 64, name: "fc1" },
    { type: "relu", name: "relu1" },
    { type: "dense", units: 64, name: "fc2" },
    { type: "relu", name: "relu2" },
    { type: "dense", units: 10, name: "logits" },
  ],
};

async function runScenario(
  name: string,
  rehearsal: boolean,
  digits: NonNullable<Parameters<Recipe["run"]>[0]["digits"]>,
  seed: number,
  epochsPerTask: number,
  progress: ProgressTracker,
  offset: number,
): Promise<RecipeResult> {
  const core = await getCore();
  const X = scaledPixels(digits);
  const n = digits.labels.length;
  const labels = digits.labels;
  const split = await seededSplit(n, 0.25, seed);
  const train = splitIndices(split, 0);
  const test = splitIndices(split, 1);
  const trace = await traceSet(labels, train, 10, 10, seed);
  const traceX = takeRows(X, 64, trace);
  const net = await Network.create(SPLIT_SPEC, { seed });
  // All training samples resident once; batches are composed by index.
  const data = TrainingData.classification(net, takeRows(X, 64, train), takeLabels(labels, train));
  const trainer = new Trainer(net, {
    optimizer: "adam",
    learningRate: 1e-3,
    batchSize: BATCH,
    seed,
  });
  const rng = new Rng(core, seed, STREAMS.replayBuffer);
  const checkpoints: { epoch: number; layers: ReturnType<typeof recordLayers> }[] = [];
  // One trace per step count: a task switch can fall on a TRACE_EVERY boundary.
  const record = () => {
    if (checkpoints.length > 0 && checkpoints[checkpoints.length - 1].epoch === trainer.steps)
      return;
    checkpoints.push({
      epoch: trainer.steps,
      layers: recordLayers(net, traceX, trace.length, { fc1: "fc1", fc2: "fc2" }),
    });
  };
  const taskRows = TASKS.map((pair) =>
    Int32Array.from(Array.from(train.keys()).filter((r) => pair.includes(labels[train[r]]))),
  );
  const accuracyAfterTask: number[][] = [];
  const switches: number[] = [];
  let buffer: Int32Array = new Int32Array(0);
  try {
    record();
    for (let t = 0; t < TASKS.length; t++) {
      switches.push(trainer.steps);
      if (t > 0) record();
      const current = taskRows[t];
      for (let epoch = 0; epoch < epochsPerTask; epoch++) {
        const order = rng.permutation(current.length);
        const half = rehearsal && buffer.length > 0 ? BATCH / 2 : BATCH;
        for (let start = 0; start < current.length; start += half) {
          const count = Math.min(half, current.length - start);
          const batch: number[] = [];
          for (let j = 0; j < count; j++) batch.push(current[order[start + j]]);
          if (half < BATCH)
            for (let j = 0; j < count; j++) batch.push(buffer[rng.int(buffer.length)]);
          trainer.trainBatch(data, Int32Array.from(batch));
          if (trainer.steps % TRACE_EVERY === 0) record();
        }
        await progress.step(offset + t * epochsPerTask + epoch + 1);
      }
      accuracyAfterTask.push(
        TASKS.map((pair) => {
          const rows = test.filter((i) => pair.includes(labels[i]));
          return round4(
            net.evaluate(takeRows(X, 64, rows), rows.length, { labels: takeLabels(labels, rows) })
              .accuracy!,
          );
        }),
      );
      if (rehearsal) {
        // Rebuild the buffer: REPLAY_BUFFER samples split evenly over the tasks seen so far.
        const perTask = Math.floor(REPLAY_BUFFER / (t + 1));
        const picks: number[] = [];
        for (let s = 0; s <= t; s++) {
          const order = rng.permutation(taskRows[s].length);
          for (let j = 0; j < Math.min(perTask, order.length); j++)
            picks.push(taskRows[s][order[j]]);
        }
        buffer = Int32Array.from(picks);
      }
    }
    record();
    const finalAccuracy = accuracyAfterTask[accuracyAfterTask.length - 1];
    const overall = net.evaluate(takeRows(X, 64, test), test.length, {
      labels: takeLabels(labels, test),
    }).accuracy!;
    const summary = {
      finalAccuracyPerTask: finalAccuracy,
      finalTestAccuracy: round4(overall),
      earlyTasksFinalAccuracy: round4((finalAccuracy[0] + finalAccuracy[1]) / 2),
      accuracyAfterTask,
    };
    return {
      name,
      summary,
      bundle: {
        name,
        task: "classification",
        classNames: DIGIT_CLASSES,
        // The traces carry the hidden units; only the logits are kept for all samples (size).
        layers: recordLayers(net, X, n, { logits: "logits" }),
        inputs: { shape: [n, digits.height, digits.width], data: digits.images },
        labels,
        predictions: { rows: n, cols: 10, data: net.probabilities(X, n) },
        split,
        trace,
        checkpoints,
        model: {
          spec: SPLIT_SPEC,
          parameters: net.getParameters(),
          inputScale: 1 / digits.maxValue,
          layers: { logits: "logits" },
        },
        meta: {
          recipe: "split-digits",
          scenario: "class-incremental",
          rehearsal,
          replayBuffer: rehearsal ? REPLAY_BUFFER : 0,
          seed,
          epochsPerTask,
          tasks: TASKS,
          checkpointUnit: "training step (batch); epoch field = steps taken",
          traceEvery: TRACE_EVERY,
          taskSwitchSteps: switches,
          optimizer: "adam",
          learningRate: 1e-3,
          batchSize: BATCH,
          accuracyAfterTaskNote:
            "accuracyAfterTask[i][j] = test accuracy on task j after training task i",
          ...summary,
        },
      },
    };
  } finally {
    rng.dispose();
    data.dispose();
    trainer.dispose();
    net.dispose();
  }
}

export const splitDigits: Recipe = {
  name: "split-digits",
  description:
    "class-incremental split digits (0/1 … 8/9), 64-64-64 ReLU, without and with a 300-sample rehearsal buffer; traces every 20 batches",
  usedBy: ["mphate"],
  needs: ["digits"],
  defaults: { seed: 42, epochs: 10 },
  async run(data, options = {}) {
    const digits = requireData(data, "digits");
    const seed = options.seed ?? this.defaults.seed;
    const epochs = options.epochs ?? this.defaults.epochs;
    const progress = new ProgressTracker(options, "split-digits", 2 * TASKS.length * epochs);
    const naive = await runScenario("split-digits-naive", false, digits, seed, epochs, progress, 0);
    const rehearsal = await runScenario(
      "split-digits-rehearsal",
      true,
      digits,
      seed,
      epochs,
      progress,
      TASKS.length * epochs,
    );
    progress.finish();
    return [naive, rehearsal];
  },
};
