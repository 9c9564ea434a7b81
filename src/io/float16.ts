/**
 * Half-precision codecs: IEEE 754 binary16 (NumPy `float16`, safetensors `F16`) and bfloat16
 * (safetensors `BF16`). Both widen exactly to float32, so decoding loses nothing; encoding
 * rounds to nearest, ties to even, as NumPy and PyTorch do.
 *
 * `float32ToFloat16Bits` is a port of `npy_floatbits_to_halfbits` from NumPy's
 * numpy/core/src/npymath/halffloat.c (BSD-3-Clause, Copyright (c) 2005-2023 NumPy Developers),
 * so that `writeNpy(..., {dtype: "<f2"})` writes the bytes `arr.astype(np.float16)` would.
 */

/** Scratch for reinterpreting a float32 as its bits without allocating per value. */
const scratchFloat = new Float32Array(1);
const scratchBits = new Uint32Array(scratchFloat.buffer);

const F16_EXPONENT_MASK = 0x7c00;
const F16_MANTISSA_MASK = 0x03ff;
const F16_SIGN_MASK = 0x8000;
/** The smallest positive float16 subnormal, 2^-24. */
const F16_SUBNORMAL_UNIT = 2 ** -24;
/** float16 exponent bias. */
const F16_BIAS = 15;
/** float16 mantissa bits. */
const F16_MANTISSA_BITS = 10;

/** Decode float16 bits (a uint16) to their number, including subnormals, ±Infinity and NaN. */
export function float16BitsToNumber(bits: number): number {
  const sign = bits & F16_SIGN_MASK ? -1 : 1;
  const exponent = (bits & F16_EXPONENT_MASK) >> F16_MANTISSA_BITS;
  const mantissa = bits & F16_MANTISSA_MASK;
  if (exponent === 0) return sign * mantissa * F16_SUBNORMAL_UNIT;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - F16_BIAS);
}

/** Encode a number (first rounded to float32) as float16 bits, rounding to nearest even. */
export function float32ToFloat16Bits(value: number): number {
  scratchFloat[0] = value;
  const f = scratchBits[0];
  const sign = (f >>> 16) & F16_SIGN_MASK;
  const fExp = f & 0x7f800000;
  let fSig = f & 0x007fffff;

  // Exponent overflow (and Inf/NaN): NaN keeps its top payload bits but stays a NaN.
  if (fExp >= 0x47800000) {
    if (fExp === 0x7f800000 && fSig !== 0) {
      let nan = 0x7c00 + (fSig >>> 13);
      if (nan === 0x7c00) nan++;
      return sign + nan;
    }
    return sign + 0x7c00;
  }

  // Exponent underflow: a float16 subnormal or a signed zero.
  if (fExp <= 0x38000000) {
    if (fExp < 0x33000000) return sign;
    const exp = fExp >>> 23;
    fSig = 0x00800000 + fSig;
    // The shift of (113 - exp) can drop up to 11 bits; the `f & 0x7ff` test keeps them
    // in the tie decision so that only exact halves round to even.
    fSig >>>= 113 - exp;
    if ((fSig & 0x3fff) !== 0x1000 || (f & 0x7ff) !== 0) fSig += 0x1000;
    return sign + (fSig >>> 13);
  }

  // Normal case. A carry out of the mantissa correctly bumps the exponent (up to Inf).
  const hExp = (fExp - 0x38000000) >>> 13;
  if ((fSig & 0x3fff) !== 0x1000) fSig += 0x1000;
  return sign + hExp + (fSig >>> 13);
}

/** Decode bfloat16 bits (the top half of a float32) to a number. */
export function bfloat16BitsToNumber(bits: number): number {
  scratchBits[0] = (bits & 0xffff) << 16;
  return scratchFloat[0];
}

/** Encode a number (first rounded to float32) as bfloat16 bits, nearest even, as PyTorch does. */
export function float32ToBfloat16Bits(value: number): number {
  scratchFloat[0] = value;
  const f = scratchBits[0];
  // NaN: keep it a (quiet) NaN rather than letting rounding carry it into Inf.
  if ((f & 0x7fffffff) > 0x7f800000) return ((f >>> 16) | 0x0040) & 0xffff;
  const roundingBias = 0x7fff + ((f >>> 16) & 1);
  return ((f + roundingBias) >>> 16) & 0xffff;
}
