/**
 * Input perturbations for probing a network: the fast gradient sign method (Goodfellow, Shlens
 * & Szegedy, "Explaining and harnessing adversarial examples", ICLR 2015) and its control, random
 * ±ε sign noise of the same size. Both clip to the valid input range, so neither leaves the data's domain.
 */
import { checkNumber } from "../../core/params.ts";
import { Rng, checkSeed, STREAMS } from "../../core/random.ts";
import type { Network } from "./network.ts";

export interface PerturbOptions {
  /** Valid input range the result is clipped to. Defaults to [0, 1]. */
  min?: number;
  max?: number;
}

const clip = (v: number, min: number, max: number) => (v < min ? min : v > max ? max : v);

/** x' = clip(x + ε·sign(∇ₓ cross-entropy(x, label))), for n samples. */
export function fgsm(
  net: Network,
  X: Float32Array,
  n: number,
  labels: Int32Array,
  epsilon: number,
  { min = 0, max = 1 }: PerturbOptions = {},
): Float32Array {
  checkNumber("epsilon", epsilon, 0);
  const gradient = net.inputGradient(X, n, "crossEntropy", labels);
  return X.map((x, i) => clip(x + epsilon * Math.sign(gradient[i]), min, max));
}

const fresh = (net: Network, seed: number) => new Rng(net.core, seed, STREAMS.signNoise);

/**
 * x' = clip(x + ε·s) with s uniformly ±1 per value, seeded: FGSM's size without its direction.
 * Given a seed, the signs come from a fresh stream; given an `Rng`, they are its next draws, so a
 * caller perturbing at several ε draws independent signs from one seed (not seed + 1, seed + 2,
 * which another run of seed + 1 would repeat).
 */
export function signNoise(
  net: Network,
  X: Float32Array,
  epsilon: number,
  seed: number | Rng,
  { min = 0, max = 1 }: PerturbOptions = {},
): Float32Array {
  checkNumber("epsilon", epsilon, 0);
  const own = typeof seed === "number";
  const rng = own ? fresh(net, checkSeed(seed)) : seed;
  try {
    const u = rng.uniform(X.length);
    return X.map((x, i) => clip(x + (u[i] < 0.5 ? -epsilon : epsilon), min, max));
  } finally {
    if (own) rng.dispose();
  }
}
