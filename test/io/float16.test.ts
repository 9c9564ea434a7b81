import { describe, expect, it } from "vitest";
import {
  bfloat16BitsToNumber,
  float16BitsToNumber,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
} from "../../src/io/float16.ts";
import { expected, numbers } from "./support.ts";

const inputs = numbers(expected.float16.inputs);

describe("float16", () => {
  it("float16BitsToNumber decodes zeros, subnormals, the extremes, infinities and NaN", () => {
    expect(float16BitsToNumber(0x0000)).toBe(0);
    expect(float16BitsToNumber(0x8000)).toBe(-0);
    expect(float16BitsToNumber(0x0001)).toBe(2 ** -24);
    expect(float16BitsToNumber(0x03ff)).toBe(1023 * 2 ** -24);
    expect(float16BitsToNumber(0x0400)).toBe(2 ** -14);
    expect(float16BitsToNumber(0x3c00)).toBe(1);
    expect(float16BitsToNumber(0x3555)).toBe(0.333251953125);
    expect(float16BitsToNumber(0x7bff)).toBe(65504);
    expect(float16BitsToNumber(0xfbff)).toBe(-65504);
    expect(float16BitsToNumber(0x7c00)).toBe(Infinity);
    expect(float16BitsToNumber(0xfc00)).toBe(-Infinity);
    expect(float16BitsToNumber(0x7e00)).toBeNaN();
    expect(float16BitsToNumber(0x7c01)).toBeNaN();
  });

  it("float32ToFloat16Bits gives NumPy's bits for edge cases, ties and random values", () => {
    const bits = inputs.map(float32ToFloat16Bits);
    expect(bits).toEqual(expected.float16.bits);
  });

  it("float32ToFloat16Bits inverts float16BitsToNumber for all 63,490 non-NaN half values", () => {
    let checked = 0;
    for (let h = 0; h < 0x10000; h++) {
      const value = float16BitsToNumber(h);
      if (Number.isNaN(value)) {
        expect(Number.isNaN(float16BitsToNumber(float32ToFloat16Bits(value)))).toBe(true);
        continue;
      }
      if (float32ToFloat16Bits(value) !== h)
        throw new Error(`bits ${h.toString(16)} do not round-trip`);
      checked++;
    }
    expect(checked).toBe(0x10000 - 2 * 1023);
  });
});

describe("bfloat16", () => {
  it("float32ToBfloat16Bits gives PyTorch's bits for the same inputs (any NaN for NaN)", () => {
    // PyTorch's vectorised path writes NaN as 0xffff, its scalar path as 0x7fc0: both are NaN.
    const isNaN = (bits: number) => Number.isNaN(bfloat16BitsToNumber(bits));
    const ours = inputs.map(float32ToBfloat16Bits);
    const theirs: number[] = expected.bfloat16.bits;
    expect(ours.map((bits, i) => (isNaN(bits) && isNaN(theirs[i]) ? "nan" : bits))).toEqual(
      theirs.map((bits) => (isNaN(bits) ? "nan" : bits)),
    );
    expect(ours.filter(isNaN)).toEqual([0x7fc0]);
  });

  it("bfloat16BitsToNumber decodes the top half of a float32", () => {
    expect(bfloat16BitsToNumber(0x3f80)).toBe(1);
    expect(bfloat16BitsToNumber(0xc049)).toBe(-3.140625);
    expect(bfloat16BitsToNumber(0xff80)).toBe(-Infinity);
    expect(bfloat16BitsToNumber(0x7fc0)).toBeNaN();
    for (const value of inputs) {
      const bits = float32ToBfloat16Bits(value);
      expect(float32ToBfloat16Bits(bfloat16BitsToNumber(bits))).toBe(bits);
    }
  });
});
