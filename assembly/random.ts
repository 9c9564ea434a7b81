// PCG32: the one pseudo-random generator of Hidden Atlas.
//
// M. E. O'Neill, "PCG: A Family of Simple Fast Space-Efficient Statistically Good Algorithms
// for Random Number Generation", HMC-CS-2014-0905 (2014); pcg32_random_r / pcg32_srandom_r of
// the reference C implementation (pcg-random.org, Apache-2.0), written here from the paper.
//
// Memory contract: a generator is 16 bytes at `state`: u64 state, u64 increment (odd).
// Streams with the same seed and different `stream` numbers are independent.
// Every stochastic kernel takes a generator pointer, so results depend only on (input, seed).

// @ts-ignore: decorator
@inline const PCG_MULTIPLIER: u64 = 6364136223846793005;
// 2^-24 and 2^-53: map the top 24 / 53 random bits onto [0, 1) exactly.
// @ts-ignore: decorator
@inline const INV_2_24: f32 = 5.9604644775390625e-8;
// @ts-ignore: decorator
@inline const INV_2_53: f64 = 1.1102230246251565e-16;
// @ts-ignore: decorator
@inline const TWO_PI: f64 = 6.283185307179586;

/** Next 32 random bits (pcg32: XSH RR output of the old state). */
// @ts-ignore: decorator
@inline export function nextU32(state: usize): u32 {
  const old = load<u64>(state);
  store<u64>(state, old * PCG_MULTIPLIER + load<u64>(state, 8));
  const xorshifted = <u32>(((old >> 18) ^ old) >> 27);
  const rot = <u32>(old >> 59);
  return rotr<u32>(xorshifted, rot);
}

/** Uniform f64 in [0, 1) from 53 random bits. */
// @ts-ignore: decorator
@inline export function nextF64(state: usize): f64 {
  const a = <u64>(nextU32(state) >>> 5);
  const b = <u64>(nextU32(state) >>> 6);
  return <f64>((a << 26) | b) * INV_2_53;
}

/** Uniform f32 in [0, 1) from 24 random bits. */
// @ts-ignore: decorator
@inline export function nextF32(state: usize): f32 {
  return <f32>(nextU32(state) >>> 8) * INV_2_24;
}

/**
 * Uniform integer in [0, bound), unbiased (D. Lemire, "Fast random integer generation in an
 * interval", ACM TOMACS 2019, nearly divisionless method). bound must be > 0.
 */
export function nextBounded(state: usize, bound: u32): u32 {
  let m = <u64>nextU32(state) * <u64>bound;
  let low = <u32>m;
  if (low < bound) {
    const threshold: u32 = (<u32>0 - bound) % bound;
    while (low < threshold) {
      m = <u64>nextU32(state) * <u64>bound;
      low = <u32>m;
    }
  }
  return <u32>(m >> 32);
}

/** Standard normal f64 by the Box–Muller transform; one value per call (the twin is dropped). */
export function nextNormal(state: usize): f64 {
  const u1 = 1.0 - nextF64(state); // (0, 1]: log is finite
  const u2 = nextF64(state);
  return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(TWO_PI * u2);
}

/** Seed a generator (pcg32_srandom_r): 64-bit seed as two u32 halves, and a stream id. */
export function rngSeed(state: usize, seedLow: u32, seedHigh: u32, stream: u32): void {
  const initState = ((<u64>seedHigh) << 32) | <u64>seedLow;
  store<u64>(state, 0);
  store<u64>(state, ((<u64>stream) << 1) | 1, 8);
  nextU32(state);
  store<u64>(state, load<u64>(state) + initState);
  nextU32(state);
}

/**
 * Move a generator `delta` draws ahead in O(log delta) steps, as if nextU32 had been called
 * delta times (F. B. Brown, "Random number generation with arbitrary strides", Trans. Am. Nucl.
 * Soc. 71, 1994; pcg32_advance_r of the reference implementation). A kernel that needs draws that
 * do not depend on which thread runs which rows gives each row (or tree) its own block of one
 * stream: a copy of the seeded generator moved ahead to the block's first draw.
 */
// @ts-ignore: decorator
@inline export function advance(state: usize, delta: u64): void {
  let accMult: u64 = 1;
  let accPlus: u64 = 0;
  let curMult: u64 = PCG_MULTIPLIER;
  let curPlus: u64 = load<u64>(state, 8);
  while (delta != 0) {
    if ((delta & 1) != 0) {
      accMult *= curMult;
      accPlus = accPlus * curMult + curPlus;
    }
    curPlus = (curMult + 1) * curPlus;
    curMult *= curMult;
    delta >>= 1;
  }
  store<u64>(state, accMult * load<u64>(state) + accPlus);
}

/** Copy the generator at `from` to `to` (16 bytes) and move the copy `delta` draws ahead. */
// @ts-ignore: decorator
@inline export function forkAt(from: usize, to: usize, delta: u64): void {
  store<u64>(to, load<u64>(from));
  store<u64>(to, load<u64>(from, 8), 8);
  advance(to, delta);
}

/** Move the generator (deltaHigh·2^32 + deltaLow) draws ahead (see `advance`). */
export function rngAdvance(state: usize, deltaLow: u32, deltaHigh: u32): void {
  advance(state, ((<u64>deltaHigh) << 32) | <u64>deltaLow);
}

/** Fill `n` u32 values at `out`. */
export function rngFillU32(state: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<u32>(out + ((<usize>i) << 2), nextU32(state));
}

/** Fill `n` f64 values uniform in [0, 1). */
export function rngFillUniform(state: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f64>(out + ((<usize>i) << 3), nextF64(state));
}

/** Fill `n` f64 standard normal values. */
export function rngFillNormal(state: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f64>(out + ((<usize>i) << 3), nextNormal(state));
}

/** Uniform integer in [0, bound). */
export function rngBounded(state: usize, bound: u32): u32 {
  return nextBounded(state, bound);
}

/** Shuffle `n` i32 values in place (Fisher–Yates, from the end). */
export function rngShuffle(state: usize, values: usize, n: i32): void {
  for (let i = n - 1; i > 0; i--) {
    const j = <i32>nextBounded(state, <u32>(i + 1));
    const pi = values + ((<usize>i) << 2);
    const pj = values + ((<usize>j) << 2);
    const t = load<i32>(pi);
    store<i32>(pi, load<i32>(pj));
    store<i32>(pj, t);
  }
}
