/**
 * digits-cnn: conv8 → conv16 + 2×2 max-pool → conv32 → global average pool → dense 10 on the 8×8
 * digits (ReLU after every conv; Adam, lr 1e-3, batch 32; seeded 75/25 split), as in the SOM
 * spec's small reproduction. Conv activations are kept as N × C × H × W.
 */
import type { NetworkSpec } from "../../algo/nn/spec.ts";
import { DIGIT_CLASSES, scaledPixels, seededSplit, splitIndices } from "../datasets.ts";
import { recordLayers, round4, type Recipe } from "../recipe.ts";
import { trainNetwork } from "../train.ts";
import { classificationSummary, requireData } from "./common.ts";

export const DIGITS_CNN_SPEC: NetworkSpec = {
  inputShape: [1, 8, 8],
  layers: [
    { type: "conv", filters: 8, name: "conv1" },
    { type: "relu", name: "relu1" },
    { type: "conv", filters: 16, name: "conv2" },
    { type: "relu", name: "relu2" },
    { type: "maxPool", name: "pool2" },
    { type: "conv", filters: 32, name: "conv3" },
    { type: "relu", name: "relu3" },
    { type: "globalAvgPool", name: "gap" },
    { type: "dense", units: 10, name: "logits" },
  ],
};

/** Bundle layer → network layer: each block's output after its ReLU (and pool). */
const LAYERS = { conv1: "relu1", conv2: "pool2", conv3: "relu3", gap: "gap", logits: "logits" };

export const digitsCnn: Recipe = {
  name: "digits-cnn",
  description: "conv8 → conv16 + pool → conv32 → global average pool → dense 10 on the 8×8 digits, conv maps kept as N×C×H×W",
  usedBy: ["som-codes", "layer-topology", "mapper"],
  needs: ["digits"],
  defaults: { seed: 42, epochs: 40 },
  async run(data, options = {}) {
    const digits = requireData(data, "digits");
    const seed = options.seed ?? this.defaults.seed;
    const epochs = options.epochs ?? this.defaults.epochs;
    const X = scaledPixels(digits);
    const n = digits.labels.length;
    const split = await seededSplit(n, 0.25, seed);
    const { net, losses } = await trainNetwork(
      { spec: DIGITS_CNN_SPEC, X, train: splitIndices(split, 0), labels: digits.labels, epochs, seed, stage: "digits-cnn", trainer: { optimizer: "adam", learningRate: 1e-3, batchSize: 32 } },
      options,
    );
    try {
      const summary = { ...classificationSummary(net, X, digits.labels, split), finalTrainingLoss: round4(losses[losses.length - 1] ?? NaN) };
      return [{
        name: "digits-cnn",
        summary,
        bundle: {
          name: "digits-cnn",
          task: "classification",
          classNames: DIGIT_CLASSES,
          layers: recordLayers(net, X, n, LAYERS),
          inputs: { shape: [n, digits.height, digits.width], data: digits.images },
          labels: digits.labels,
          predictions: { rows: n, cols: 10, data: net.probabilities(X, n) },
          split,
          model: { spec: DIGITS_CNN_SPEC, parameters: net.getParameters(), inputScale: 1 / digits.maxValue, layers: LAYERS },
          meta: { recipe: "digits-cnn", seed, epochs, optimizer: "adam", learningRate: 1e-3, batchSize: 32, layers: "block outputs after ReLU (and pooling)", ...summary },
        },
      }];
    } finally {
      net.release();
    }
  },
};
