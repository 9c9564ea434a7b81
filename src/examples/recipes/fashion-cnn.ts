/**
 * fashion-cnn: a four-block CNN on Fashion-MNIST (Debian's dataset-fashion-mnist, 60,000
 * training and 10,000 test images of 28×28): conv8 → pool, conv16 → pool, conv32 → pool,
 * conv64, global average pool, dense 10 (ReLU after every conv; Adam, lr 1e-3, batch 64). The
 * bundle holds 2,000 seeded test images with every block's activations and the thumbnails;
 * accuracy is measured on all 10,000 test images.
 */
import type { NetworkSpec } from "../../algo/nn/spec.ts";
import { Rng } from "../../core/random.ts";
import { getCore } from "../../core/wasm.ts";
import { FASHION_CLASSES, scaledPixels, takeLabels } from "../datasets.ts";
import { recordLayers, round4, type Recipe } from "../recipe.ts";
import { trainNetwork } from "../train.ts";
import { requireData } from "./common.ts";

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

const LAYERS = { block1: "pool1", block2: "pool2", block3: "pool3", block4: "relu4", gap: "gap", logits: "logits" };

export const fashionCnn: Recipe = {
  name: "fashion-cnn",
  description: "four-block CNN on Fashion-MNIST; bundle of 2,000 test images with every block's activations and 28×28 thumbnails",
  usedBy: ["layer-topology", "mapper", "som-codes", "mda"],
  needs: ["fashion"],
  defaults: { seed: 42, epochs: 4 },
  async run(data, options = {}) {
    const { train, test } = requireData(data, "fashion");
    const seed = options.seed ?? this.defaults.seed;
    const epochs = options.epochs ?? this.defaults.epochs;
    const trainX = scaledPixels(train);
    const { net, losses } = await trainNetwork(
      {
        spec: FASHION_SPEC, X: trainX, train: Int32Array.from({ length: train.labels.length }, (_, i) => i), labels: train.labels,
        epochs, seed, stage: "fashion-cnn", trainer: { optimizer: "adam", learningRate: 1e-3, batchSize: 64 },
      },
      options,
    );
    try {
      const testX = scaledPixels(test);
      const testEval = net.evaluate(testX, test.labels.length, { labels: test.labels });
      const rng = new Rng(await getCore(), seed, 9);
      const chosen = rng.permutation(test.labels.length).subarray(0, BUNDLE_SAMPLES).sort();
      rng.release();
      const X = scaledPixels(test, chosen);
      const labels = takeLabels(test.labels, chosen);
      const plane = test.height * test.width;
      const images = new Uint8Array(BUNDLE_SAMPLES * plane);
      chosen.forEach((i, r) => images.set(test.images.subarray(i * plane, (i + 1) * plane), r * plane));
      const bundleEval = net.evaluate(X, BUNDLE_SAMPLES, { labels });
      const summary = {
        testAccuracy: round4(testEval.accuracy!),
        testLoss: round4(testEval.loss),
        bundleAccuracy: round4(bundleEval.accuracy!),
        finalTrainingLoss: round4(losses[losses.length - 1] ?? NaN),
      };
      return [{
        name: "fashion-cnn",
        summary,
        bundle: {
          name: "fashion-cnn",
          task: "classification",
          classNames: FASHION_CLASSES,
          layers: recordLayers(net, X, BUNDLE_SAMPLES, LAYERS),
          inputs: { shape: [BUNDLE_SAMPLES, test.height, test.width], data: images },
          labels,
          predictions: { rows: BUNDLE_SAMPLES, cols: 10, data: net.probabilities(X, BUNDLE_SAMPLES) },
          split: new Uint8Array(BUNDLE_SAMPLES).fill(1),
          model: { spec: FASHION_SPEC, parameters: net.getParameters(), inputScale: 1 / 255, layers: LAYERS },
          meta: {
            recipe: "fashion-cnn", seed, epochs, optimizer: "adam", learningRate: 1e-3, batchSize: 64, trainedOn: "all 60,000 Fashion-MNIST training images",
            samples: `${BUNDLE_SAMPLES} seeded test images (indices into the 10,000-image test set in meta.testIndices)`,
            testIndices: Array.from(chosen), dataLicence: "Fashion-MNIST, MIT (Zalando Research)", ...summary,
          },
        },
      }];
    } finally {
      net.release();
    }
  },
};
