/**
 * fashion-cnn: a four-block CNN on Fashion-MNIST (Debian's dataset-fashion-mnist, 60,000
 * training and 10,000 test images of 28×28): conv8 → pool, conv16 → pool, conv32 → pool,
 * conv64, global average pool, dense 10 (ReLU after every conv; Adam, lr 1e-3, batch 64). The
 * bundle holds 2,000 seeded test images with every block's activations, each conv's raw output
 * before its ReLU as its top-ℓ2 spatial vector (`conv1:pre:top-l2` …, Purvine et al.'s point
 * clouds) and the thumbnails; accuracy is measured on all 10,000 test images.
 *
 * `fashion-cnn-seeds` trains the same network from five other seeds and keeps only the raw conv
 * outputs of the same 2,000 test images: the seed study of the layer-topology notebook. The
 * images are drawn with the recipe's default seed whatever the training seed.
 */
import type { Network } from "../../algo/nn/network.ts";
import type { NetworkSpec } from "../../algo/nn/spec.ts";
import type { RunOptions } from "../../core/progress.ts";
import { Rng, STREAMS } from "../../core/random.ts";
import { getCore } from "../../core/wasm.ts";
import { FASHION_CLASSES, scaledPixels, takeLabels, type ImageDataset } from "../datasets.ts";
import { recordLayers, round4, type Recipe, type RecipeResult } from "../recipe.ts";
import { trainNetwork } from "../train.ts";
import { requireData } from "./common.ts";
import { byDepth, recordPreActivations, STUDY_SEEDS } from "./conv-layers.ts";

/** Test images kept in the bundle. */
export const BUNDLE_SAMPLES = 2000;

export const FASHION_SPEC: NetworkSpec = {
  inputShape: [1, 28, 28],
  layers: [
    { type: "conv", filters: 8, name: "conv1" },
    { type: "relu", name: "relu1" },
    { type: "maxPool", name: "pool1" },
    { type: "conv", filters: 16, name: "conv2" },
    { type: "relu", name: "relu2" },
    { type: "maxPool", name: "pool2" },
    { type: "conv", filters: 32, name: "conv3" },
    { type: "relu", name: "relu3" },
    { type: "maxPool", name: "pool3" },
    { type: "conv", filters: 64, name: "conv4" },
    { type: "relu", name: "relu4" },
    { type: "globalAvgPool", name: "gap" },
    { type: "dense", units: 10, name: "logits" },
  ],
};

const LAYERS = {
  block1: "pool1",
  block2: "pool2",
  block3: "pool3",
  block4: "relu4",
  gap: "gap",
  logits: "logits",
};
/** The conv layers whose raw outputs are recorded. */
const CONVS = ["conv1", "conv2", "conv3", "conv4"] as const;
/** Seed of the choice of test images, fixed so that every training seed is recorded on the same images. */
const SAMPLE_SEED = 42;
const TRAINER = { optimizer: "adam", learningRate: 1e-3, batchSize: 64 } as const;

interface Trained {
  net: Network;
  losses: number[];
  /** Accuracy and loss on all 10,000 test images. */
  testEval: { accuracy?: number; loss: number };
  /** The bundle's test images (indices into the test set, ascending), their pixels and labels. */
  chosen: Int32Array;
  X: Float32Array;
  labels: Int32Array;
}

async function train(
  fashion: { train: ImageDataset; test: ImageDataset },
  seed: number,
  epochs: number,
  stage: string,
  options: RunOptions,
): Promise<Trained> {
  const { train, test } = fashion;
  const { net, losses } = await trainNetwork(
    {
      spec: FASHION_SPEC,
      X: scaledPixels(train),
      train: Int32Array.from({ length: train.labels.length }, (_, i) => i),
      labels: train.labels,
      epochs,
      seed,
      stage,
      trainer: TRAINER,
    },
    options,
  );
  const testEval = net.evaluate(scaledPixels(test), test.labels.length, { labels: test.labels });
  const rng = new Rng(await getCore(), SAMPLE_SEED, STREAMS.fashionSample);
  const chosen = Int32Array.from(
    rng.permutation(test.labels.length).subarray(0, BUNDLE_SAMPLES).sort(),
  );
  rng.dispose();
  return {
    net,
    losses,
    testEval,
    chosen,
    X: scaledPixels(test, chosen),
    labels: takeLabels(test.labels, chosen),
  };
}

export const fashionCnn: Recipe = {
  name: "fashion-cnn",
  description:
    "four-block CNN on Fashion-MNIST; bundle of 2,000 test images with every block's activations, the raw conv outputs (before ReLU) as top-ℓ2 vectors and 28×28 thumbnails",
  usedBy: ["layer-topology", "mapper", "som-codes", "mda"],
  needs: ["fashion"],
  defaults: { seed: 42, epochs: 4 },
  async run(data, options = {}) {
    const fashion = requireData(data, "fashion");
    const { test } = fashion;
    const seed = options.seed ?? this.defaults.seed;
    const epochs = options.epochs ?? this.defaults.epochs;
    const { net, losses, testEval, chosen, X, labels } = await train(
      fashion,
      seed,
      epochs,
      "fashion-cnn",
      options,
    );
    try {
      const plane = test.height * test.width;
      const images = new Uint8Array(BUNDLE_SAMPLES * plane);
      chosen.forEach((i, r) =>
        images.set(test.images.subarray(i * plane, (i + 1) * plane), r * plane),
      );
      const bundleEval = net.evaluate(X, BUNDLE_SAMPLES, { labels });
      const summary = {
        testAccuracy: round4(testEval.accuracy!),
        testLoss: round4(testEval.loss),
        bundleAccuracy: round4(bundleEval.accuracy!),
        finalTrainingLoss: round4(losses[losses.length - 1] ?? NaN),
      };
      return [
        {
          name: "fashion-cnn",
          summary,
          bundle: {
            name: "fashion-cnn",
            task: "classification",
            classNames: FASHION_CLASSES,
            layers: byDepth(
              recordLayers(net, X, BUNDLE_SAMPLES, LAYERS),
              await recordPreActivations(net, X, BUNDLE_SAMPLES, CONVS),
            ),
            inputs: { shape: [BUNDLE_SAMPLES, test.height, test.width], data: images },
            labels,
            predictions: {
              rows: BUNDLE_SAMPLES,
              cols: 10,
              data: net.probabilities(X, BUNDLE_SAMPLES),
            },
            split: new Uint8Array(BUNDLE_SAMPLES).fill(1),
            model: {
              spec: FASHION_SPEC,
              parameters: net.getParameters(),
              inputScale: 1 / 255,
              layers: LAYERS,
            },
            meta: {
              recipe: "fashion-cnn",
              seed,
              sampleSeed: SAMPLE_SEED,
              epochs,
              ...TRAINER,
              trainedOn: "all 60,000 Fashion-MNIST training images",
              samples: `${BUNDLE_SAMPLES} seeded test images (indices into the 10,000-image test set in meta.testIndices)`,
              layers:
                "blockN, gap, logits: block outputs after ReLU (and pooling); convN:pre:top-l2: convN's raw output before ReLU, the C-vector at the spatial position of largest ℓ2 norm",
              testIndices: Array.from(chosen),
              dataLicence: "Fashion-MNIST, MIT (Zalando Research)",
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

export const fashionCnnSeeds: Recipe = {
  name: "fashion-cnn-seeds",
  description: `fashion-cnn trained from seeds ${STUDY_SEEDS.join(", ")}: the raw conv outputs (top-ℓ2 vectors) of the same 2,000 test images, for the seed study`,
  usedBy: ["layer-topology"],
  needs: ["fashion"],
  defaults: { seed: STUDY_SEEDS[0], epochs: 4 },
  async run(data, options = {}) {
    const fashion = requireData(data, "fashion");
    const epochs = options.epochs ?? this.defaults.epochs;
    const seeds = options.seed === undefined ? STUDY_SEEDS : [options.seed];
    const out: RecipeResult[] = [];
    for (const seed of seeds) {
      const { net, losses, testEval, chosen, X, labels } = await train(
        fashion,
        seed,
        epochs,
        `fashion-cnn seed ${seed}`,
        options,
      );
      try {
        const name = `fashion-cnn-seed${seed}`;
        const summary = {
          testAccuracy: round4(testEval.accuracy!),
          testLoss: round4(testEval.loss),
          finalTrainingLoss: round4(losses[losses.length - 1] ?? NaN),
        };
        out.push({
          name,
          summary,
          bundle: {
            name,
            task: "classification",
            classNames: FASHION_CLASSES,
            layers: await recordPreActivations(net, X, BUNDLE_SAMPLES, CONVS),
            labels,
            split: new Uint8Array(BUNDLE_SAMPLES).fill(1),
            meta: {
              recipe: "fashion-cnn-seeds",
              seed,
              sampleSeed: SAMPLE_SEED,
              epochs,
              ...TRAINER,
              trainedOn: "all 60,000 Fashion-MNIST training images",
              samples: `fashion-cnn's ${BUNDLE_SAMPLES} test images (indices into the 10,000-image test set in meta.testIndices)`,
              testIndices: Array.from(chosen),
              layers:
                "convN:pre:top-l2: convN's raw output before ReLU, the C-vector at the spatial position of largest ℓ2 norm",
              dataLicence: "Fashion-MNIST, MIT (Zalando Research)",
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
