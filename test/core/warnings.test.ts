import { describe, expect, it } from "vitest";
import { Warnings, mergeWarnings } from "../../src/core/warnings.ts";
import { isomap } from "../../src/algo/isomap.ts";
import { matrix } from "../../src/core/matrix.ts";

describe("Warnings", () => {
  it("keeps each message once, first-raised first, and counts the repeats", () => {
    const w = new Warnings();
    w.warn("b");
    w.warn("a");
    w.warn("b");
    w.addAll(["b", "c"], "");
    w.addAll(["a"], "layer 1: ");
    expect(w.size).toBe(4);
    expect(w.list()).toEqual(["b (×3)", "a", "c", "layer 1: a"]);
  });

  it("merges lists with the same rule", () => {
    expect(mergeWarnings(["x", "y"], ["y"], [])).toEqual(["x", "y (×2)"]);
    expect(mergeWarnings()).toEqual([]);
  });

  it("reaches an algorithm's result: Isomap on two far clusters says its graph was joined, once", async () => {
    // Two tight squares 100 apart: the 2-NN graph has two components.
    const rows = [
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
      [100, 0],
      [100, 1],
      [101, 0],
      [101, 1],
    ];
    const X = matrix(rows.length, 2, Float32Array.from(rows.flat()));
    const result = await isomap(X, { nNeighbors: 2, nComponents: 2 });
    const joined = result.warnings.filter((m) => m.includes("connected components"));
    expect(joined).toHaveLength(1);
    expect(joined[0]).toMatch(/^the 2-NN graph has 2 connected components/);
  });
});
