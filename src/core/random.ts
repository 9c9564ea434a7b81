/**
 * Seeded randomness from the core's PCG32 generator (assembly/random.ts). Every stochastic
 * function in Hidden Atlas takes `seed` and draws only from generators made here, so the same
 * input and seed give bit-identical output in Node and in the browser.
 */
import { HiddenAtlasError } from "./errors.ts";
import type { Core } from "./wasm.ts";

/** The seed used when a caller gives none. */
export const DEFAULT_SEED = 42;

/**
 * Named PCG32 streams. A generator is `new Rng(core, seed, STREAMS.name)`: one seed feeds many
 * random choices in an analysis (the rows it samples, a start vector, a layout's initialisation),
 * and each draws from its own stream, so no two of them share numbers. Values are fixed forever
 * (changing one changes results); a new use takes a new value.
 *
 * Each algorithm's stream differs from every other algorithm's. The example recipes' streams
 * (the first group) are older than this table and their bundles are committed byte for byte, so
 * five algorithm streams share a value with a recipe's: they never draw from the same seed in
 * one computation (a recipe trains a network; an analysis reads its bundle afterwards).
 */
export const STREAMS = {
  // The example recipes and the trainer.
  /** A network's initial weights. */
  networkInit: 0,
  /** Dropout masks during training. */
  dropout: 1,
  /** The trainer's mini-batch order. */
  trainerShuffle: 2,
  /** An example's seeded train/test split. */
  exampleSplit: 3,
  /** The traced samples of an example's checkpoints. */
  traceSet: 4,
  /** digits-rotation's angle per digit. */
  rotationAngles: 5,
  /** digits-rotation's extra angles for augmentation. */
  rotationAugment: 6,
  /** split-digits' replay buffer. */
  replayBuffer: 7,
  /** digits-generalization's random labels and pixels. */
  randomizedData: 8,
  /** fashion-cnn's bundled test images. */
  fashionSample: 9,

  // Algorithms and analyses.
  /** Every analysis' "k of n rows" (`seededRows`): one seed, the same rows in every notebook. */
  sampleRows: 7,
  /** t-SNE's random initial layout. */
  tsneInit: 1,
  /** SMACOF's random start. */
  smacofInit: 3,
  /** The sampled sources of the geodesic-distance correlation. */
  geodesicSources: 5,
  /** The shuffled folds of k-NN accuracy. */
  knnFolds: 9,
  /** A self-organising map's initial weights. */
  somInit: 10,
  /** UMAP's random or noised initial layout. */
  umapInit: 11,
  /** Sign noise, FGSM's random control. */
  signNoise: 12,
  /** k-means++ centres. */
  kmeansInit: 13,
  /** Lanczos' start vector. */
  lanczosStart: 14,
  /** The online SOM's sample order. */
  somOrder: 15,
  /** The pair order of PHATE's SGD MDS. */
  sgdMdsPairs: 16,
  /** Landmark Isomap's landmarks. */
  isomapLandmarks: 17,
  /** NN-descent's projection trees: tree t draws from the block that starts at draw t·2^32. */
  nnDescent: 18,
  /** MDA's Bayesian supervised dimensionality reduction (BSDR) sampling. */
  bsdr: 19,
  /** som-codes' train/test split of a bundle that has none. */
  somCodesSplit: 20,
  /** Bootstrap resamples of M-PHATE's Spearman ρ. */
  bootstrap: 23,
  /** Mapper's sampled rows for measuring kNN recall. */
  mapperRecall: 29,
  /** The random spatial position per sample of "random" conv vectorisation. */
  randomPosition: 30,
  /** UMAP's negative samples during its SGD epochs. */
  umapEpochs: 31,
  /** The noise a feature visualisation starts from. */
  featureStart: 32,
  /** The k-means restarts' seeds of M-PHATE's task-switch ARI. */
  ariRestarts: 33,
  /** NN-descent's random neighbours for empty slots: row i from the block at draw i·2^32. */
  nnDescentFill: 34,
  /** NN-descent's candidate priorities: slot t of row i in round r is draw (r·n + i)·k + t. */
  nnDescentCandidates: 35,
} as const;

export type StreamName = keyof typeof STREAMS;

const TWO_32 = 2 ** 32;
const STATE_BYTES = 16;

/** Check a seed: a safe non-negative integer. */
export function checkSeed(seed: unknown, name = "seed"): number {
  if (typeof seed !== "number" || !Number.isSafeInteger(seed) || seed < 0) {
    throw new HiddenAtlasError(
      "E_PARAM",
      `invalid ${name}: ${String(seed)} (expected an integer ≥ 0 and ≤ 2^53 − 1)`,
    );
  }
  return seed;
}

/**
 * The seed `k` steps after `seed` among the 2^53 valid seeds, wrapping past 2^53 − 1 to 0, so
 * "seed, seed + 1, …" stays valid for every valid seed (k a non-negative safe integer).
 */
export function seedPlus(seed: number, k: number): number {
  return k <= Number.MAX_SAFE_INTEGER - seed ? seed + k : k - (Number.MAX_SAFE_INTEGER - seed) - 1;
}

/** A PCG32 stream living in wasm memory; `dispose()` it when done. */
export class Rng {
  readonly state: number;
  private released = false;

  constructor(
    private readonly core: Core,
    seed: number,
    stream: number,
  ) {
    checkSeed(seed);
    this.state = core.malloc(STATE_BYTES, "random generator");
    core.kernels.rngSeed(this.state, seed % TWO_32, Math.floor(seed / TWO_32), stream >>> 0);
  }

  /** Uniform integer in [0, bound). */
  int(bound: number): number {
    if (!Number.isInteger(bound) || bound < 1 || bound > 0xffffffff) {
      throw new HiddenAtlasError("E_PARAM", `invalid bound: ${bound} (expected 1 … 2^32 − 1)`);
    }
    return this.core.kernels.rngBounded(this.state, bound) >>> 0;
  }

  /** n uniform doubles in [0, 1). */
  uniform(n: number): Float64Array {
    return this.core.scope((s) => {
      const out = s.f64(n);
      this.core.kernels.rngFillUniform(this.state, out.ptr, n);
      return out.copy();
    });
  }

  /** n standard normal doubles. */
  normal(n: number): Float64Array {
    return this.core.scope((s) => {
      const out = s.f64(n);
      this.core.kernels.rngFillNormal(this.state, out.ptr, n);
      return out.copy();
    });
  }

  /** A seeded random permutation of 0 … n−1. */
  permutation(n: number): Int32Array {
    return this.core.scope((s) => {
      const values = s.i32(n);
      const view = values.view();
      for (let i = 0; i < n; i++) view[i] = i;
      this.core.kernels.rngShuffle(this.state, values.ptr, n);
      return values.copy();
    });
  }

  dispose(): void {
    if (!this.released) this.core.free(this.state);
    this.released = true;
  }
  /** `using x = …` disposes x at the end of its block. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
