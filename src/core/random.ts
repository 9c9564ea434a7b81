/**
 * Seeded randomness from the core's PCG32 generator (assembly/random.ts). Every stochastic
 * function in Hidden Atlas takes `seed` and draws only from generators made here, so the same
 * input and seed give bit-identical output in Node and in the browser.
 */
import { HiddenAtlasError } from "./errors.ts";
import type { Core } from "./wasm.ts";

/** The seed used when a caller gives none. */
export const DEFAULT_SEED = 42;

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

/** A PCG32 stream living in wasm memory; `release()` it when done. */
export class Rng {
  readonly state: number;
  private released = false;

  constructor(
    private readonly core: Core,
    seed: number = DEFAULT_SEED,
    stream = 0,
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

  release(): void {
    if (!this.released) this.core.free(this.state);
    this.released = true;
  }
}
