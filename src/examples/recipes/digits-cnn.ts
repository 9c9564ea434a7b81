/**
 * digits-cnn: conv8 → conv16 + 2×2 max-pool → conv32 → global average pool → dense 10 on the 8×8
 * digits (ReLU after every conv; Adam, lr 1e-3, batch 32; seeded 75/25 split), as in the SOM
 * spec's small reproduction. Each block's output after ReLU (and pooling) is kept as
 * N × C × H × W; each conv's raw output before its ReLU as its top-ℓ2 spatial vector
 * (`conv1:pre:top-l2` …, Purvine et al.'s point clouds).
 *
 * `digits-cnn-seeds` trains the same network from five other seeds and keeps only the raw conv
 * outputs of the test images: the seed study of the layer-topology notebook. The 75/25 split is
 * drawn with the recipe's default seed whatever the training seed, so that every seed's network
 * is tested on the same 449 images.
 */
import type { Network } from "../../algo/nn/network.ts";
import type { NetworkSpec } from "../../algo/nn/spec.ts";
import type { RunOptions } from "../../core/progress.ts";
import {
  DIGIT_CLASSES,
  scaledPixels,
  seededSplit,
  splitIndices,
  takeLabels,
  takeRows,
  type ImageDataset,
} from "../datasets.ts";
import { recordLayers, round4, type Recipe, type RecipeResult } from "../recipe.ts";
import { trainNetwork } from "../train.ts";
import { classificationSummary, requireData } from "./common.ts";
import { byDepth, recordPreActivations, STUDY_SEEDS } from "./conv-layers.ts";

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
/** The conv layers whose raw outputs are recorded. */
const CONVS = ["conv1", "conv2", "conv3"] as const;
/** Seed of the 75/25 split, fixed so that every training seed is tested on the same images. */
const SPLIT_SEED = 42;
const TRAINER = { optimizer: "adam", learningRate: 1e-3, batchSize: 32 } as const;

interface Trained {
  X: Float32Array;
  split: Uint8Array;
  net: Network;
  losses: number[];
}

async function train(
  digits: ImageDataset,
  seed: number,
  epochs: number,
  stage: string,
  options: RunOptions,
): Promise<Trained> {
  const X = scaledPixels(digits);
  const split = await seededSplit(digits.labels.length, 0.25, SPLIT_SEED);
  const { net, losses } = await trainNetwork(
    {
      spec: DIGITS_CNN_SPEC,
      X,
      train: splitIndices(split, 0),
      labels: digits.labels,
      epochs,
      seed,
      stage,
      trainer: TRAINER,
    },
    options,
  );
  return { X, split, net, losses };
}

export const digitsCnn: Recipe = {
  name: "digits-cnn",
  description:
    "conv8 → conv16 + pool → conv32 → global average pool → dense 10 on the 8×8 digits, block outputs as N×C×H×W and raw conv outputs (before ReLU) as top-ℓ2 vectors",
  usedBy: ["som-codes", "layer-topology", "mapper"],
  needs: ["digits"],
  defaults: { seed: 42, epochs: 40 },
  async run(data, options = {}) {
    const digits = requireData(data, "digits");
    const seed = options.seed ?? this.defaults.seed;
    const epochs = options.epochs ?? this.defaults.epochs;
    const n = digits.labels.length;
    const { X, split, net, losses } = await train(digits, seed, epochs, "digits-cnn", options);
    try {
      const summary = {
        ...classificationSummary(net, X, digits.labels, split),
        finalTrainingLoss: round4(losses[losses.length - 1] ?? NaN),
      };
      return [
        {
          name: "digits-cnn",
          summary,
          bundle: {
            name: "digits-cnn",
            task: "classification",
            classNames: DIGIT_CLASSES,
            layers: byDepth(
              recordLayers(net, X, n, LAYERS),
              await recordPreActivations(net, X, n, CONVS),
            ),
            inputs: { shape: [n, digits.height, digits.width], data: digits.images },
            labels: digits.labels,
            predictions: { rows: n, cols: 10, data: net.probabilities(X, n) },
            split,
            model: {
              spec: DIGITS_CNN_SPEC,
              parameters: net.getParameters(),
              inputScale: 1 / digits.maxValue,
              layers: LAYERS,
            },
            meta: {
              recipe: "digits-cnn",
              seed,
              splitSeed: SPLIT_SEED,
              epochs,
              ...TRAINER,
              layers:
                "convN, gap, logits: block outputs after ReLU (and pooling); convN:pre:top-l2: convN's raw output before ReLU, the C-vector at the spatial position of largest ℓ2 norm",
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

export const digitsCnnSeeds: Recipe = {
  name: "digits-cnn-seeds",
  description: `digits-cnn trained from seeds ${STUDY_SEEDS.join(", ")}: the raw conv outputs (top-ℓ2 vectors) of the same 449 test images, for the seed study`,
  usedBy: ["layer-topology"],
  needs: ["digits"],
  defaults: { seed: STUDY_SEEDS[0], epochs: 40 },
  async run(data, options = {}) {
    const digits = requireData(data, "digits");
    const epochs = options.epochs ?? this.defaults.epochs;
    const seeds = options.seed === undefined ? STUDY_SEEDS : [options.seed];
    const out: RecipeResult[] = [];
    for (const seed of seeds) {
      const { X, split, net, losses } = await train(
        digits,
        seed,
        epochs,
        `digits-cnn seed ${seed}`,
        options,
      );
      try {
        const test = splitIndices(split, 1);
        const summary = {
          ...classificationSummary(net, X, digits.labels, split),
          finalTrainingLoss: round4(losses[losses.length - 1] ?? NaN),
        };
        const name = `digits-cnn-seed${seed}`;
        out.push({
          name,
          summary,
          bundle: {
            name,
            task: "classification",
            classNames: DIGIT_CLASSES,
            layers: await recordPreActivations(
              net,
              takeRows(X, net.inputSize, test),
              test.length,
              CONVS,
            ),
            labels: takeLabels(digits.labels, test),
            split: new Uint8Array(test.length).fill(1),
            meta: {
              recipe: "digits-cnn-seeds",
              seed,
              splitSeed: SPLIT_SEED,
              epochs,
              ...TRAINER,
              samples: `the ${test.length} test images of digits-cnn's split (seed ${SPLIT_SEED}), in the order of the digits data (indices in meta.indices)`,
              indices: Array.from(test),
              layers:
                "convN:pre:top-l2: convN's raw output before ReLU, the C-vector at the spatial position of largest ℓ2 norm",
              ...summary,
            },
          },
        });
      } finally {
        net.dispose();
      }
    }
    return out;
  },
};
