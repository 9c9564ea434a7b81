/**
 * What the CNN recipes record besides each block's output: every conv layer's raw output (before
 * its ReLU), reduced to the top-ℓ2 spatial vector — the point clouds Purvine et al. (AAAI 2023)
 * compute persistent homology on (hooks on the Conv2d modules, so before batch norm and ReLU;
 * one C-vector per image at the spatial position of largest ℓ2 norm). The reduction happens at
 * recording time, as in `tools/export_bundle.py`, whose naming the layers follow:
 * `conv1:pre:top-l2` is conv1's pre-activation output, reduced by "top-l2". Full maps would
 * not fit the committed bundles (fashion-cnn's conv1 alone is 8 × 28 × 28 per image).
 *
 * The seed study trains the same network from other seeds and keeps only these layers on the
 * same test images (compact seed bundles, `digits-cnn-seed1` …).
 */
import type { Network } from "../../algo/nn/network.ts";
import { layerMatrix } from "../../algo/vectorize.ts";
import type { LayerInput } from "../../io/bundle-write.ts";
import { ACTIVATION_DTYPE } from "../recipe.ts";

/** Seeds of the seed study's extra networks (the main bundles use the recipes' seed, 42). */
export const STUDY_SEEDS = [1, 2, 3, 4, 5] as const;

/** Bundle name of a conv layer's raw output reduced to its top-ℓ2 spatial vector. */
export const preActivationName = (conv: string) => `${conv}:pre:top-l2`;

/**
 * `convs` (network conv layer names) recorded on `X` (n samples) as raw outputs reduced to
 * their top-ℓ2 spatial vectors: N × C dense layers named `conv:pre:top-l2`.
 */
export async function recordPreActivations(
  net: Network,
  X: Float32Array,
  n: number,
  convs: readonly string[],
  dtype = ACTIVATION_DTYPE,
): Promise<LayerInput[]> {
  const acts = net.activations(X, n, [...convs]);
  const out: LayerInput[] = [];
  for (const conv of convs) {
    const shape = [n, ...net.layer(conv).outShape];
    if (shape.length !== 4)
      throw new Error(`${conv} is not a conv layer (output shape ${shape.slice(1).join(" × ")})`);
    const top = await layerMatrix(
      { name: conv, shape, data: acts[conv], kind: "conv" },
      { method: "top-l2" },
    );
    out.push({
      name: preActivationName(conv),
      shape: [n, top.cols],
      data: top.data,
      kind: "dense",
      dtype,
    });
  }
  return out;
}

/**
 * Layers in order of depth: each conv's raw output just before its block's output
 * (`conv1:pre:top-l2`, then the block after ReLU, …); the layers after the last conv as they are.
 */
export function byDepth(blocks: readonly LayerInput[], pre: readonly LayerInput[]): LayerInput[] {
  const out: LayerInput[] = [];
  blocks.forEach((block, i) => {
    if (pre[i]) out.push(pre[i]);
    out.push(block);
  });
  return out;
}
