import { describe, expect, it } from "vitest";
import {
  entropy,
  mutualInformation,
  normalizedMutualInformation,
  purity,
} from "../../src/algo/information.ts";

describe("information measures", () => {
  it("entropy and mutual information of hand cases", () => {
    expect(entropy([0, 0, 1, 1])).toBeCloseTo(Math.log(2), 12);
    expect(mutualInformation([0, 0, 1, 1], [5, 5, 7, 7])).toBeCloseTo(Math.log(2), 12);
    expect(mutualInformation([0, 1, 0, 1], [0, 0, 1, 1])).toBeCloseTo(0, 12);
  });

  it("NMI matches scikit-learn's arithmetic normalisation", () => {
    // sklearn.metrics.normalized_mutual_info_score([0,0,1,1,2,2],[0,0,1,1,1,1]) = 0.7336804366512111
    expect(normalizedMutualInformation([0, 0, 1, 1, 2, 2], [0, 0, 1, 1, 1, 1])).toBeCloseTo(
      0.7336804366512111,
      12,
    );
    expect(normalizedMutualInformation([1, 2, 3], [9, 8, 7])).toBeCloseTo(1, 12);
    expect(normalizedMutualInformation([0, 0, 0], [0, 1, 2])).toBe(0);
  });

  it("purity credits each cluster with its majority class", () => {
    expect(purity([0, 0, 0, 1, 1], [1, 1, 2, 3, 3])).toBeCloseTo(4 / 5, 12);
    expect(purity([0, 1, 2], [5, 5, 5])).toBe(1);
  });
});
