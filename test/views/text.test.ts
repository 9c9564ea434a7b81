// count(): the number and its noun, singular only for 1; withDefaults(): undefined keeps a default.
import { describe, expect, it } from "vitest";
import { withDefaults } from "../../src/views/options.ts";
import { cellLabels, count, keepQuantitiesWhole } from "../../src/views/text.ts";

describe("count", () => {
  it("says 1 layer, 0 layers, 2 layers, and takes an irregular plural", () => {
    expect(count(1, "layer")).toBe("1 layer");
    expect(count(0, "layer")).toBe("0 layers");
    expect(count(2, "layer")).toBe("2 layers");
    expect(count(1797, "sample")).toBe("1797 samples");
    expect(count(1, "class", "classes")).toBe("1 class");
    expect(count(3, "class", "classes")).toBe("3 classes");
  });
});

describe("keepQuantitiesWhole", () => {
  const NBSP = "\u00a0";
  it("joins a sign to its number and a number to its unit, and leaves other spaces breakable", () => {
    expect(keepQuantitiesWhole("integer ≥ 0, ≤ 9007199254740991")).toBe(
      `integer ≥${NBSP}0, ≤${NBSP}9007199254740991`,
    );
    expect(keepQuantitiesWhole("number > 0, < 1, or auto")).toBe(
      `number >${NBSP}0, <${NBSP}1, or auto`,
    );
    expect(keepQuantitiesWhole("10 samples")).toBe(`10${NBSP}samples`);
    expect(keepQuantitiesWhole("0.5 × enclosing radius")).toBe(`0.5${NBSP}× enclosing radius`);
    expect(keepQuantitiesWhole("≥ -1, 20 %")).toBe(`≥${NBSP}-1, 20${NBSP}%`);
    expect(keepQuantitiesWhole("labels, else targets")).toBe("labels, else targets");
    expect(keepQuantitiesWhole("42")).toBe("42");
  });
});

describe("withDefaults", () => {
  it("overrides a default with every option set, and keeps it for an option given as undefined", () => {
    const defaults = { width: 300, scheme: "viridis", label: undefined as string | undefined };
    expect(withDefaults(defaults, { width: 200, label: "hits" })).toEqual({
      width: 200,
      scheme: "viridis",
      label: "hits",
    });
    expect(withDefaults(defaults, { width: undefined })).toEqual(defaults);
    expect(defaults.width).toBe(300); // not mutated
  });
});

describe("cellLabels", () => {
  const labels = (values: number[], width: number) => {
    const label = cellLabels(values, width, (v, format) => format(v));
    return label ? values.map(label) : null;
  };
  const values = [0, 0.056, 0.5, 1, NaN, 250];
  it("prints two significant digits where 12 px digits (7.2 px) fit with 2 px each side", () => {
    // "0.056" is 5 characters: 36 px + 4.
    expect(labels(values, 40)).toEqual(["0.0", "0.056", "0.50", "1.0", "–", "250"]);
  });
  it("falls back to two decimals, then one, then to none (never to whole numbers)", () => {
    expect(labels(values, 39)).toEqual(["0.00", "0.06", "0.50", "1.00", "–", "250"]);
    expect(labels(values, 30)).toEqual(["0.0", "0.1", "0.5", "1.0", "–", "250"]);
    expect(labels(values, 25)).toBeNull(); // "250" needs 25.6 px
    expect(labels([0.4, 0.6, NaN], 26)).toEqual(["0.4", "0.6", "–"]);
    expect(labels([0.4, 0.6, NaN], 25)).toBeNull();
  });
  it("measures each line of a two-line label apart", () => {
    const cell = { mean: 0.5, sd: 0.012 };
    const label = cellLabels([cell], 48, (c, f) => `${f(c.mean)}\n±${f(c.sd)}`);
    expect(label?.(cell)).toBe("0.50\n±0.012"); // 6 characters: 43.2 px + 4
  });
});
