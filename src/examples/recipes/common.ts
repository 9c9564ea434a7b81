/** Pieces the recipes share: data checks and the accuracy summary of a classifier. */
import type { Network } from "../../algo/nn/network.ts";
import { HiddenAtlasError } from "../../core/errors.ts";
import { splitIndices, takeLabels, takeRows, type ImageDataset } from "../datasets.ts";
import { round4, type RecipeData } from "../recipe.ts";

export function requireData<K extends keyof RecipeData>(
  data: RecipeData,
  key: K,
): NonNullable<RecipeData[K]> {
  const value = data[key];
  if (!value) throw new HiddenAtlasError("E_PARAM", `this recipe needs the ${key} data set`);
  return value as NonNullable<RecipeData[K]>;
}

/** Train/test accuracy and mean cross-entropy of a classifier over a split. */
export function classificationSummary(
  net: Network,
  X: Float32Array,
  labels: Int32Array,
  split: Uint8Array,
) {
  const out: Record<string, number> = {};
  for (const [name, which] of [
    ["train", 0],
    ["test", 1],
  ] as const) {
    const rows = splitIndices(split, which);
    if (rows.length === 0) continue;
    const r = net.evaluate(takeRows(X, net.inputSize, rows), rows.length, {
      labels: takeLabels(labels, rows),
    });
    out[`${name}Accuracy`] = round4(r.accuracy!);
    out[`${name}Loss`] = round4(r.loss);
  }
  return out;
}

export type { ImageDataset };
