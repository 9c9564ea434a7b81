/**
 * digits-mlp: the M-PHATE paper's MLP scaled to the 8×8 digits (a small faithful
 * reproduction of its generalisation runs): 64-32-32-32-10 with LeakyReLU(0.1), Adam (lr 1e-3), batch 32, a
 * seeded 75/25 split. Every epoch it records the hidden layers' pre-activations on a trace set
 * of 10 training images per class.
 */
import type { NetworkSpec } from "../../algo/nn/spec.ts";
import {
  DIGIT_CLASSES,
  scaledPixels,
  seededSplit,
  splitIndices,
  traceSet,
  takeRows,
} from "../datasets.ts";
import { recordLayers, round4, type Recipe, type RecipeResult } from "../recipe.ts";
import { trainNetwork } from "../train.ts";
import { classificationSummary, requireData } from "./common.ts";

export function mlpSpec({ dropout = 0 } = {}): NetworkSpec {
  const hidden = (i: number) => [
    { type: "dense" as const, units: 32, name: `fc${i}` },
    { type: "leakyRelu" as const, alpha: 0.1, name: `act${i}` },
    ...(dropout > 0 ? [{ type: "dropout" as const, rate: dropout, name: `drop${i}` }] : []),
  ];
  return {
    inputShape: [64],
    layers: [
      ...hidden(1),
      ...hidden(2),
      ...hidden(3),
      { type: "dense", units: 10, name: "logits" },
    ],
  };
}

/** The hidden pre-activations M-PHATE traces. */
export const TRACED = { fc1: "fc1", fc2: "fc2", fc3: "fc3" };

export const digitsMlp: Recipe = {
  name: "digits-mlp",
  description:
    "64-32-32-32-10 LeakyReLU(0.1) MLP on the 8×8 digits, Adam, per-epoch traces of the hidden pre-activations",
  usedBy: ["mphate", "som-codes", "explore"],
  needs: ["digits"],
  defaults: { seed: 42, epochs: 100 },
  async run(data, options = {}): Promise<RecipeResult[]> {
    const digits = requireData(data, "digits");
    const seed = options.seed ?? this.defaults.seed;
    const epochs = options.epochs ?? this.defaults.epochs;
    const X = scaledPixels(digits);
    const n = digits.labels.length;
    const split = await seededSplit(n, 0.25, seed);
    const train = splitIndices(split, 0);
    const trace = await traceSet(digits.labels, train, 10, 10, seed);
    const traceX = takeRows(X, 64, trace);
    const spec = mlpSpec();
    const checkpoints: { epoch: number; layers: ReturnType<typeof recordLayers> }[] = [];
    const { net, losses } = await trainNetwork(
      {
        spec,
        X,
        train,
        labels: digits.labels,
        epochs,
        seed,
        stage: "digits-mlp",
        trainer: { optimizer: "adam", learningRate: 1e-3, batchSize: 32 },
        onEpoch: (epoch, network) =>
          checkpoints.push({ epoch, layers: recordLayers(network, traceX, trace.length, TRACED) }),
      },
      options,
    );
    try {
      const summary = {
        ...classificationSummary(net, X, digits.labels, split),
        finalTrainingLoss: round4(losses[losses.length - 1] ?? NaN),
      };
      return [
        {
          name: "digits-mlp",
          summary,
          bundle: {
            name: "digits-mlp",
            task: "classification",
            classNames: DIGIT_CLASSES,
            // Pre-activations only: the post-activation is LeakyReLU(0.1) of them.
            layers: recordLayers(net, X, n, {
              fc1: "fc1",
              fc2: "fc2",
              fc3: "fc3",
              logits: "logits",
            }),
            inputs: { shape: [n, digits.height, digits.width], data: digits.images },
            labels: digits.labels,
            predictions: { rows: n, cols: 10, data: net.probabilities(X, n) },
            split,
            trace,
            checkpoints,
            model: {
              spec,
              parameters: net.getParameters(),
              inputScale: 1 / digits.maxValue,
              layers: { fc1: "fc1", fc2: "fc2", fc3: "fc3", logits: "logits" },
            },
            meta: {
              recipe: "digits-mlp",
              seed,
              epochs,
              optimizer: "adam",
              learningRate: 1e-3,
              batchSize: 32,
              traced: "pre-activations of fc1, fc2, fc3 on 10 training images per class",
              ...summary,
            },
          },
        },
      ];
    } finally {
      net.dispose();
    }
  },
};
