/**
 * What an example recipe is: a deterministic function from data sets and a seed to one or more
 * activation bundles of a trained network, with the numbers that show it trained.
 */
import type { LayerInput, BundleInput } from "../io/bundle-write.ts";
import type { Network } from "../algo/nn/network.ts";
import type { RunOptions } from "../core/progress.ts";
import type { ImageDataset } from "./datasets.ts";

export interface RecipeData {
  digits?: ImageDataset;
  fashion?: { train: ImageDataset; test: ImageDataset };
}

export interface RecipeOptions extends RunOptions {
  /** Seed of every random choice (split, initialisation, shuffles). Defaults per recipe. */
  seed?: number;
  /** Training epochs; defaults per recipe (tests pass fewer). */
  epochs?: number;
}

export interface RecipeResult {
  /** Bundle name (also its folder or .zip name). */
  name: string;
  bundle: BundleInput;
  /** Headline numbers (accuracies, R², losses), also stored in the manifest's meta. */
  summary: Record<string, number | string | number[] | number[][]>;
}

export interface Recipe {
  name: string;
  /** One line: network and data. */
  description: string;
  /** Notebooks that open its bundles. */
  usedBy: string[];
  needs: (keyof RecipeData)[];
  defaults: { seed: number; epochs: number };
  run(data: RecipeData, options?: RecipeOptions): Promise<RecipeResult[]>;
}

/** Stored precision of activations in committed bundles (halves their size). */
export const ACTIVATION_DTYPE = "<f2";

/**
 * Bundle layers from a network's activations on `X` (n samples): `layers` maps the bundle's
 * layer name to the network layer whose output it stores. Conv outputs keep their N × C × H × W
 * shape.
 */
export function recordLayers(
  net: Network,
  X: Float32Array,
  n: number,
  layers: Record<string, string>,
  dtype = ACTIVATION_DTYPE,
): LayerInput[] {
  const acts = net.activations(X, n, Object.values(layers));
  return Object.entries(layers).map(([name, source]) => {
    const layer = net.layer(source);
    const conv = layer.outShape.length === 3;
    return {
      name,
      shape: [n, ...layer.outShape],
      data: acts[source],
      kind: conv ? "conv" : "dense",
      dtype,
    };
  });
}

/** Round a number for a summary (4 decimals). */
export const round4 = (v: number) => Math.round(v * 1e4) / 1e4;
