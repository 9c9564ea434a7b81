/**
 * The training loop the recipes share: a classifier or regressor trained for some epochs on a
 * subset of the samples, with a callback after every epoch (and before the first) to record
 * checkpoints, and one progress stream over the whole run.
 */
import { Network } from "../algo/nn/network.ts";
import type { NetworkSpec } from "../algo/nn/spec.ts";
import { Trainer, TrainingData, type TrainerOptions } from "../algo/nn/trainer.ts";
import type { RunOptions } from "../core/progress.ts";
import { takeLabels, takeRows } from "./datasets.ts";

export interface TrainRun {
  spec: NetworkSpec;
  /** All samples' inputs, rows of inputSize floats. */
  X: Float32Array;
  /** Samples trained on (indices into X). */
  train: Int32Array;
  /** Labels of all samples (classification) … */
  labels?: Int32Array;
  /** … or targets of all samples (regression, rows of outputSize). */
  targets?: Float32Array;
  epochs: number;
  seed: number;
  trainer?: TrainerOptions;
  /** Called with epoch 0 before training and after each epoch. */
  onEpoch?: (epoch: number, net: Network) => void;
  /** Names the stage in progress events. */
  stage: string;
}

export async function trainNetwork(
  run: TrainRun,
  options: RunOptions = {},
): Promise<{ net: Network; losses: number[] }> {
  const net = await Network.create(run.spec, { seed: run.seed });
  const inputs = takeRows(run.X, net.inputSize, run.train);
  const data = run.labels
    ? TrainingData.classification(net, inputs, takeLabels(run.labels, run.train))
    : TrainingData.regression(net, inputs, takeRows(run.targets!, net.outputSize, run.train));
  const trainer = new Trainer(net, { seed: run.seed, ...run.trainer });
  const losses: number[] = [];
  try {
    run.onEpoch?.(0, net);
    const total = run.epochs * data.n;
    for (let epoch = 1; epoch <= run.epochs; epoch++) {
      const done = (epoch - 1) * data.n;
      const result = await trainer.epoch(data, {
        signal: options.signal,
        onProgress:
          options.onProgress &&
          ((e) => options.onProgress!({ stage: run.stage, done: done + e.done, total })),
      });
      losses.push(result.loss);
      run.onEpoch?.(epoch, net);
    }
  } catch (error) {
    net.dispose();
    throw error;
  } finally {
    data.dispose();
    trainer.dispose();
  }
  return { net, losses };
}
