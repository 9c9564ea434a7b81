/**
 * digits-rotation: a regression network for MDA (a scalar continuum, as in MDA's regression
 * examples): every digit is rotated by a seeded angle uniform in [−60°, 60°] onto a 16×16 canvas and a small CNN
 * predicts the angle. The training digits are also seen at 4 more seeded angles each (data
 * augmentation; the bundle keeps one angle per digit). Activations of every block are stored
 * before training (checkpoint epoch 0) and after (the layers).
 */
import type { NetworkSpec } from "../../algo/nn/spec.ts";
import { STREAMS } from "../../core/random.ts";
import { seededSplit, splitIndices, takeRows } from "../datasets.ts";
import { recordLayers, round4, type Recipe } from "../recipe.ts";
import { CANVAS, randomAngles, rotatedDigits } from "../rotation.ts";
import { trainNetwork } from "../train.ts";
import { requireData } from "./common.ts";

export const MAX_ANGLE = 60;
/** Extra rotated copies of each training digit. */
const AUGMENT = 4;

export const ROTATION_SPEC: NetworkSpec = {
  inputShape: [1, CANVAS, CANVAS],
  layers: [
    { type: "conv", filters: 4, name: "conv1" },
    { type: "relu", name: "relu1" },
    { type: "maxPool", name: "pool1" },
    { type: "conv", filters: 8, name: "conv2" },
    { type: "relu", name: "relu2" },
    { type: "maxPool", name: "pool2" },
    { type: "conv", filters: 16, name: "conv3" },
    { type: "relu", name: "relu3" },
    { type: "flatten", name: "flat" },
    { type: "dense", units: 32, name: "fc" },
    { type: "relu", name: "relu4" },
    { type: "dense", units: 1, name: "angle" },
  ],
};

const LAYERS = { block1: "pool1", block2: "pool2", block3: "relu3", fc: "relu4", output: "angle" };

/** Coefficient of determination of predictions against targets. */
export function rSquared(pred: ArrayLike<number>, target: ArrayLike<number>): number {
  let mean = 0;
  for (let i = 0; i < target.length; i++) mean += target[i];
  mean /= target.length;
  let residual = 0;
  let total = 0;
  for (let i = 0; i < target.length; i++) {
    residual += (pred[i] - target[i]) ** 2;
    total += (target[i] - mean) ** 2;
  }
  return 1 - residual / total;
}

export const digitsRotation: Recipe = {
  name: "digits-rotation",
  description:
    "CNN regressing the rotation angle (uniform in ±60°) of digits drawn on a 16×16 canvas; activations before and after training",
  usedBy: ["mda"],
  needs: ["digits"],
  defaults: { seed: 42, epochs: 30 },
  async run(data, options = {}) {
    const digits = requireData(data, "digits");
    const seed = options.seed ?? this.defaults.seed;
    const epochs = options.epochs ?? this.defaults.epochs;
    const n = digits.labels.length;
    const all = Int32Array.from({ length: n }, (_, i) => i);
    const angles = await randomAngles(n, MAX_ANGLE, seed);
    const X = await rotatedDigits(digits, all, angles);
    const split = await seededSplit(n, 0.25, seed);
    const trainRows = splitIndices(split, 0);
    // Training set: each training digit at its own angle and at AUGMENT more angles.
    const extraAngles = await randomAngles(
      trainRows.length * AUGMENT,
      MAX_ANGLE,
      seed,
      STREAMS.rotationAugment,
    );
    const extraRows = Int32Array.from(
      { length: trainRows.length * AUGMENT },
      (_, i) => trainRows[i % trainRows.length],
    );
    const extraX = await rotatedDigits(digits, extraRows, extraAngles);
    const plane = CANVAS * CANVAS;
    const trainX = new Float32Array((trainRows.length + extraRows.length) * plane);
    trainX.set(takeRows(X, plane, trainRows));
    trainX.set(extraX, trainRows.length * plane);
    const trainTargets = Float32Array.from(
      [...Array.from(trainRows, (i) => angles[i]), ...extraAngles],
      (a) => a / MAX_ANGLE,
    );
    const before: ReturnType<typeof recordLayers>[] = [];
    const { net, losses } = await trainNetwork(
      {
        spec: ROTATION_SPEC,
        X: trainX,
        train: Int32Array.from({ length: trainTargets.length }, (_, i) => i),
        targets: trainTargets,
        epochs,
        seed,
        stage: "digits-rotation",
        trainer: { optimizer: "adam", learningRate: 1e-3, batchSize: 32, loss: "mse" },
        onEpoch: (epoch, network) =>
          epoch === 0 && before.push(recordLayers(network, X, n, LAYERS)),
      },
      options,
    );
    try {
      const predicted = net.predict(X, n).map((v) => v * MAX_ANGLE);
      const test = splitIndices(split, 1);
      const train = splitIndices(split, 0);
      const r2 = (rows: Int32Array) =>
        rSquared(
          Array.from(rows, (i) => predicted[i]),
          Array.from(rows, (i) => angles[i]),
        );
      const mae = (rows: Int32Array) =>
        Array.from(rows).reduce((s, i) => s + Math.abs(predicted[i] - angles[i]), 0) / rows.length;
      const summary = {
        trainR2: round4(r2(train)),
        testR2: round4(r2(test)),
        testMeanAbsoluteErrorDegrees: round4(mae(test)),
        finalTrainingLoss: round4(losses[losses.length - 1] ?? NaN),
      };
      return [
        {
          name: "digits-rotation",
          summary,
          bundle: {
            name: "digits-rotation",
            task: "regression",
            layers: recordLayers(net, X, n, LAYERS),
            inputs: {
              shape: [n, CANVAS, CANVAS],
              data: Uint8Array.from(X, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255)),
            },
            targets: { rows: n, cols: 1, data: Float32Array.from(angles) },
            predictions: { rows: n, cols: 1, data: predicted },
            split,
            checkpoints: [{ epoch: 0, layers: before[0] }],
            model: {
              spec: ROTATION_SPEC,
              parameters: net.getParameters(),
              inputScale: 1 / 255,
              layers: LAYERS,
            },
            meta: {
              recipe: "digits-rotation",
              seed,
              epochs,
              targetUnit: "degrees",
              angleRange: [-MAX_ANGLE, MAX_ANGLE],
              canvas: CANVAS,
              augmentation: `${AUGMENT} extra seeded angles per training digit`,
              loss: "mse on angle/60",
              optimizer: "adam",
              learningRate: 1e-3,
              batchSize: 32,
              checkpoints: "epoch 0 = before training (same layers, all samples)",
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
