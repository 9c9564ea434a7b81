/**
 * Mini-batch training of a Network: seeded shuffles, SGD with momentum or Adam, L1/L2
 * penalties on weights and on activations, and hooks to record activations as training goes.
 *
 * The training data are copied into wasm memory once (`TrainingData`); each step gathers a
 * batch by index, so an epoch makes no copies. The last batch of an epoch may be smaller
 * (PyTorch's DataLoader with drop_last=False).
 *
 * @example
 *   const data = TrainingData.classification(net, X, labels);
 *   const trainer = new Trainer(net, {optimizer: "adam", learningRate: 1e-3, batchSize: 32, seed: 1});
 *   for (let e = 0; e < 10; e++) await trainer.epoch(data);
 */
import "./kernels.ts";
import { HiddenAtlasError } from "../../core/errors.ts";
import { checkInteger, checkKeyword, checkNumber, checkOptionNames } from "../../core/params.ts";
import { ProgressTracker, type RunOptions } from "../../core/progress.ts";
import { DEFAULT_SEED, Rng, checkSeed, STREAMS } from "../../core/random.ts";
import type { ActivityPenalty, Loss, Network } from "./network.ts";

export interface TrainerOptions {
  /** "adam" (default) or "sgd" (with momentum). */
  optimizer?: "adam" | "sgd";
  /** Step size. Defaults to 1e-3 (PyTorch's Adam default). */
  learningRate?: number;
  /** SGD momentum. Defaults to 0.9. */
  momentum?: number;
  /** Adam's β1, β2, ε. Default 0.9, 0.999, 1e-8 (Kingma & Ba; PyTorch). */
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Samples per step. Defaults to 32. */
  batchSize?: number;
  /** "crossEntropy" (softmax, integer labels; default) or "mse" (regression targets). */
  loss?: Loss;
  /** Penalty l1·Σ|w| + l2·Σw² on every weight matrix (not biases). Defaults to none. */
  weightPenalty?: { l1?: number; l2?: number };
  /** Penalty on activations of named layers, averaged over the batch. Defaults to none. */
  activityPenalty?: ActivityPenalty;
  /** Seed of the shuffles. Defaults to 42. */
  seed?: number;
}

type ResolvedOptions = Required<Omit<TrainerOptions, "activityPenalty" | "weightPenalty">> & {
  weightPenalty: { l1?: number; l2?: number };
  activityPenalty?: ActivityPenalty;
};

const defaults: ResolvedOptions = {
  optimizer: "adam",
  learningRate: 1e-3,
  momentum: 0.9,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  batchSize: 32,
  loss: "crossEntropy" as Loss,
  weightPenalty: { l1: 0, l2: 0 },
  seed: DEFAULT_SEED,
};

/** Training samples resident in wasm memory, with labels (classification) or targets. */
export class TrainingData {
  private constructor(
    private readonly network: Network,
    readonly n: number,
    readonly x: number,
    readonly labels: number,
    readonly targets: number,
    readonly labelArray?: Int32Array,
    readonly targetArray?: Float32Array,
  ) {}

  static classification(network: Network, X: Float32Array, labels: Int32Array): TrainingData {
    const n = labels.length;
    TrainingData.check(network, X, n);
    for (let i = 0; i < n; i++) {
      if (!(labels[i] >= 0 && labels[i] < network.outputSize)) {
        throw new HiddenAtlasError(
          "E_PARAM",
          `label ${labels[i]} of sample ${i} is outside 0 … ${network.outputSize - 1} (the network has ${network.outputSize} outputs)`,
        );
      }
    }
    const core = network.core;
    const x = core.malloc(X.byteLength, "training inputs");
    new Float32Array(core.memory.buffer, x, X.length).set(X);
    const l = core.malloc(labels.byteLength, "training labels");
    new Int32Array(core.memory.buffer, l, n).set(labels);
    return new TrainingData(network, n, x, l, 0, labels);
  }

  static regression(network: Network, X: Float32Array, targets: Float32Array): TrainingData {
    const n = targets.length / network.outputSize;
    if (!Number.isInteger(n))
      throw new HiddenAtlasError(
        "E_SHAPE_MISMATCH",
        `targets have ${targets.length} values, not a multiple of the ${network.outputSize} outputs`,
      );
    TrainingData.check(network, X, n);
    const core = network.core;
    const x = core.malloc(X.byteLength, "training inputs");
    new Float32Array(core.memory.buffer, x, X.length).set(X);
    const t = core.malloc(targets.byteLength, "training targets");
    new Float32Array(core.memory.buffer, t, targets.length).set(targets);
    return new TrainingData(network, n, x, 0, t, undefined, targets);
  }

  private static check(network: Network, X: Float32Array, n: number): void {
    if (X.length !== n * network.inputSize) {
      throw new HiddenAtlasError(
        "E_SHAPE_MISMATCH",
        `inputs have ${X.length} values; expected ${n} samples × ${network.inputSize}`,
      );
    }
    for (let i = 0; i < X.length; i++) {
      if (!Number.isFinite(X[i]))
        throw new HiddenAtlasError(
          "E_NON_FINITE",
          `input ${Math.floor(i / network.inputSize)} has a non-finite value at feature ${i % network.inputSize}`,
        );
    }
  }

  dispose(): void {
    const core = this.network.core;
    core.free(this.x);
    if (this.labels) core.free(this.labels);
    if (this.targets) core.free(this.targets);
  }
  /** `using x = …` disposes x at the end of its block. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

export interface EpochResult {
  /** Mean data loss over the epoch's samples (penalties excluded). */
  loss: number;
  /** Mean penalty per step. */
  penalty: number;
  batches: number;
}

export class Trainer {
  readonly options: ResolvedOptions;
  private readonly rng: Rng;
  private step = 0;
  private readonly state1: number;
  private readonly state2: number;
  private order = 0;
  private orderCapacity = 0;
  private released = false;

  constructor(
    readonly network: Network,
    options: TrainerOptions = {},
  ) {
    checkOptionNames("Trainer", options, { ...defaults, activityPenalty: undefined });
    const o: ResolvedOptions = { ...defaults, ...options };
    checkKeyword("optimizer", o.optimizer, ["adam", "sgd"] as const);
    checkKeyword("loss", o.loss, ["crossEntropy", "mse"] as const);
    checkNumber("learningRate", o.learningRate, 0, Infinity, { exclusiveMin: true });
    checkNumber("momentum", o.momentum, 0, 1, { exclusiveMax: true });
    checkNumber("beta1", o.beta1, 0, 1, { exclusiveMax: true });
    checkNumber("beta2", o.beta2, 0, 1, { exclusiveMax: true });
    checkNumber("epsilon", o.epsilon, 0, Infinity, { exclusiveMin: true });
    checkInteger("batchSize", o.batchSize, 1);
    checkNumber("weightPenalty.l1", o.weightPenalty.l1 ?? 0, 0);
    checkNumber("weightPenalty.l2", o.weightPenalty.l2 ?? 0, 0);
    if (o.activityPenalty) {
      for (const name of o.activityPenalty.layers) network.layer(name);
      checkNumber("activityPenalty.l1", o.activityPenalty.l1 ?? 0, 0);
      checkNumber("activityPenalty.l2", o.activityPenalty.l2 ?? 0, 0);
    }
    checkSeed(o.seed);
    this.options = o;
    const core = network.core;
    const bytes = Math.max(4, network.parameterCount * 4);
    this.state1 = core.malloc(bytes, "optimizer state");
    this.state2 = core.malloc(bytes, "optimizer state");
    core.kernels.zero(this.state1, bytes);
    core.kernels.zero(this.state2, bytes);
    this.rng = new Rng(core, o.seed, STREAMS.trainerShuffle);
  }

  /** Steps taken so far. */
  get steps(): number {
    return this.step;
  }

  /** One optimisation step on the samples with the given indices (an i32 array in wasm). */
  private stepOn(
    data: TrainingData,
    index: number,
    count: number,
  ): { loss: number; penalty: number } {
    const net = this.network;
    const core = net.core;
    const k = core.kernels;
    const b = net.ensureCapacity(count);
    k.gatherRows(data.x, index, count, net.inputSize, b.input);
    const output = net.forward(count, true);
    let loss: number;
    if (this.options.loss === "crossEntropy") {
      if (!data.labels)
        throw new HiddenAtlasError(
          "E_PARAM",
          "cross-entropy training needs TrainingData.classification",
        );
      k.gatherRows(data.labels, index, count, 1, b.labels);
      loss = k.softmaxCrossEntropy(output, b.labels, count, net.outputSize, 0, b.gradA);
    } else {
      if (!data.targets)
        throw new HiddenAtlasError("E_PARAM", "MSE training needs TrainingData.regression");
      k.gatherRows(data.targets, index, count, net.outputSize, b.targets);
      loss = k.squaredError(output, b.targets, count * net.outputSize, b.gradA) / net.outputSize;
    }
    k.zero(net.grads, net.parameterCount * 4);
    const activity = this.options.activityPenalty;
    net.backward(count, b.gradA, true, false, activity);
    let penalty = 0;
    if (activity) {
      for (const name of activity.layers) {
        const l = net.layer(name);
        const a = net.outputOf(l.index);
        penalty +=
          ((activity.l1 ?? 0) * k.sumAbs(a, count * l.outSize) +
            (activity.l2 ?? 0) * k.sumSquares(a, count * l.outSize)) /
          count;
      }
    }
    const { l1 = 0, l2 = 0 } = this.options.weightPenalty;
    if (l1 > 0 || l2 > 0) {
      for (const l of net.layers) {
        if (l.weightCount === 0) continue;
        const w = net.params + l.weightOffset * 4;
        k.addPenaltyGradient(w, net.grads + l.weightOffset * 4, l.weightCount, l1, l2);
        penalty += l1 * k.sumAbs(w, l.weightCount) + l2 * k.sumSquares(w, l.weightCount);
      }
    }
    this.applyUpdate();
    return { loss, penalty };
  }

  private applyUpdate(): void {
    const net = this.network;
    const k = net.core.kernels;
    const o = this.options;
    this.step++;
    if (o.optimizer === "adam") {
      const bc1 = 1 - o.beta1 ** this.step;
      const bc2 = 1 - o.beta2 ** this.step;
      k.adamStep(
        net.params,
        net.grads,
        this.state1,
        this.state2,
        net.parameterCount,
        o.learningRate / bc1,
        o.beta1,
        o.beta2,
        o.epsilon,
        Math.sqrt(bc2),
      );
    } else {
      k.sgdStep(net.params, net.grads, this.state1, net.parameterCount, o.learningRate, o.momentum);
    }
  }

  /**
   * One step on the given samples of `data` (a batch the caller composed, e.g. half current
   * task and half replay buffer in continual learning). Returns the batch's mean loss.
   */
  trainBatch(data: TrainingData, indices: Int32Array): { loss: number; penalty: number } {
    const core = this.network.core;
    return core.scope((s) => {
      const index = s.upload(indices, "batch indices");
      const result = this.stepOn(data, index.ptr, indices.length);
      return { loss: result.loss / indices.length, penalty: result.penalty };
    });
  }

  /**
   * One pass over `data` in a freshly shuffled order. `onBatch(step)` runs after every step
   * (e.g. to record a trace every few batches).
   */
  async epoch(
    data: TrainingData,
    options: RunOptions & { onBatch?: (step: number) => void } = {},
  ): Promise<EpochResult> {
    const core = this.network.core;
    const { batchSize } = this.options;
    if (this.orderCapacity < data.n) {
      if (this.order) core.free(this.order);
      this.order = core.malloc(data.n * 4, "shuffle order");
      this.orderCapacity = data.n;
    }
    const order = new Int32Array(core.memory.buffer, this.order, data.n);
    for (let i = 0; i < data.n; i++) order[i] = i;
    core.kernels.rngShuffle(this.rng.state, this.order, data.n);
    const progress = new ProgressTracker(options, "training", data.n);
    let loss = 0;
    let penalty = 0;
    let batches = 0;
    for (let start = 0; start < data.n; start += batchSize) {
      const count = Math.min(batchSize, data.n - start);
      const result = this.stepOn(data, this.order + start * 4, count);
      loss += result.loss;
      penalty += result.penalty;
      batches++;
      options.onBatch?.(this.step);
      await progress.step(start + count);
    }
    progress.finish();
    return { loss: loss / data.n, penalty: penalty / Math.max(1, batches), batches };
  }

  dispose(): void {
    if (this.released) return;
    this.released = true;
    const core = this.network.core;
    core.free(this.state1);
    core.free(this.state2);
    if (this.order) core.free(this.order);
    this.rng.dispose();
  }
  /** `using x = …` disposes x at the end of its block. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
