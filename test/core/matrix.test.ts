import { describe, expect, it } from "vitest";
import { matrix, rmsDistanceToMean, takeRows } from "../../src/core/matrix.ts";

describe("matrix helpers", () => {
  it("takeRows copies rows in the order asked, repeats allowed", () => {
    const X = matrix(3, 2, [1, 2, 3, 4, 5, 6]);
    const Y = takeRows(X, [2, 0, 2]);
    expect(Y.rows).toBe(3);
    expect(Array.from(Y.data)).toEqual([5, 6, 1, 2, 5, 6]);
    Y.data[0] = 99;
    expect(X.data[4]).toBe(5);
  });

  it("rmsDistanceToMean is the cloud's RMS radius, and 1 for a constant cloud", () => {
    // Points (±3, 0) and (0, ±4): mean at the origin, squared distances 9, 9, 16, 16.
    const X = matrix(4, 2, [3, 0, -3, 0, 0, 4, 0, -4]);
    expect(rmsDistanceToMean(X)).toBeCloseTo(Math.sqrt(12.5), 12);
    expect(rmsDistanceToMean(matrix(3, 2, [1, 1, 1, 1, 1, 1]))).toBe(1);
  });
});
