import { describe, expect, it } from "vitest";
import { formatShape, size, toFloat32, toMatrix } from "../../src/io/ndarray.ts";
import { expectError } from "./support.ts";

describe("ndarray helpers", () => {
  it("size multiplies the dimensions (1 for a 0-d array)", () => {
    expect(size([2, 3, 4])).toBe(24);
    expect(size([])).toBe(1);
    expect(size([5, 0])).toBe(0);
  });

  it("formatShape prints shapes as Python tuples", () => {
    expect(formatShape([])).toBe("()");
    expect(formatShape([3])).toBe("(3,)");
    expect(formatShape([2, 3])).toBe("(2, 3)");
  });

  it("toFloat32 shares a Float32Array and converts anything else", () => {
    const data = new Float32Array([1, 2]);
    expect(toFloat32({ data })).toBe(data);
    expect(toFloat32({ data: new Float64Array([0.1, 2 ** 53]) })).toEqual(
      new Float32Array([Math.fround(0.1), 2 ** 53]),
    );
    expect(toFloat32({ data: new Int8Array([-3]) })).toEqual(new Float32Array([-3]));
  });

  it("toMatrix flattens trailing dimensions in C order and makes 1-D arrays N x 1", () => {
    const conv = toMatrix(
      { shape: [2, 2, 1, 3], data: new Uint8Array(12).map((_, i) => i) },
      "conv",
    );
    expect(conv.rows).toBe(2);
    expect(conv.cols).toBe(6);
    expect(Array.from(conv.data)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(toMatrix({ shape: [3], data: new Float64Array([1, 2, 3]) }, "y")).toEqual({
      rows: 3,
      cols: 1,
      data: new Float32Array([1, 2, 3]),
    });
    expect(toMatrix({ shape: [0, 3], data: new Float32Array(0) }, "empty")).toMatchObject({
      rows: 0,
      cols: 3,
    });
  });

  it("toMatrix refuses a 0-d array and data that do not fill the shape", () => {
    expectError(
      () => toMatrix({ shape: [], data: new Float32Array(1) }, "s.npy"),
      "E_SHAPE_MISMATCH",
      /s\.npy is a 0-d array/,
    );
    expectError(
      () => toMatrix({ shape: [2, 2], data: new Float32Array(3) }, "x"),
      "E_SHAPE_MISMATCH",
      /x has 3 values, expected 4 for shape \(2, 2\)/,
    );
  });
});
