// embeddingScatter (the Plot SVG scatter below 20,000 points): snapshots with a categorical and a
// continuous colour, rings, its documented defaults, 12 px text and an aria-label; and the MDA
// colour bar's title, which names what is drawn (the target's normalised manifold distance).
import { describe, expect, it } from "vitest";
import type { AnalysisBundle, SampleColumn } from "../../src/analyses/columns.ts";
import { mdaColor, type MdaAnalysisResult } from "../../src/analyses/mda.ts";
import { reportDocument } from "../../src/report/dom.ts";
import { colorColumn, colorTitle } from "../../src/report/mda.ts";
import { defaults, embeddingScatter } from "../../src/views/scatter.ts";
import { mulberry32 } from "../helpers.ts";
import { expectSnapshot, serialize, textFontSizes } from "../support/snapshot.ts";

function cloud(n: number, seed = 1) {
  const random = mulberry32(seed);
  const x = Float64Array.from({ length: n }, () => random() * 10 - 5);
  const y = Float64Array.from({ length: n }, () => random() * 4);
  return { x, y };
}

const labels: SampleColumn = {
  title: "label",
  type: "categorical",
  values: Float64Array.from({ length: 40 }, (_, i) => i % 3),
  classNames: ["cat", "dog", "<b>bird</b>"],
};

describe("embeddingScatter", () => {
  it("draws dots coloured by class with a titled swatch legend and rings (snapshot)", () => {
    const figure = embeddingScatter(cloud(40), {
      color: labels,
      xLabel: "PC1 →",
      yLabel: "↑ PC2",
      selected: 3,
      highlighted: [4, 5],
      width: 360,
      document: reportDocument(),
    });
    expectSnapshot("scatter-categorical", figure);
    const plot = figure.querySelector("figure")!;
    expect(plot.getAttribute("aria-label")).toBe(
      "Scatter plot of 40 points: PC1 → against ↑ PC2, coloured by label",
    );
    expect(textFontSizes(figure).filter((t) => t.px < 12)).toEqual([]);
    expect(figure.querySelectorAll("g[aria-label=dot] circle")).toHaveLength(40);
    expect(figure.querySelectorAll(".atlas-overlay circle")).toHaveLength(3);
    expect(figure.querySelector("b")).toBeNull();
  });

  it("draws a continuous colour with a ramp legend, a subset of the samples (snapshot)", () => {
    const values = Float64Array.from({ length: 40 }, (_, i) => i / 39);
    const figure = embeddingScatter(
      { ...cloud(40, 2), index: Int32Array.from({ length: 20 }, (_, i) => 2 * i) },
      {
        color: { title: "target", type: "continuous", values },
        width: 360,
        document: reportDocument(),
      },
    );
    expectSnapshot("scatter-continuous", figure);
    expect(figure.querySelector("figure")!.getAttribute("aria-label")).toBe(
      "Scatter plot of 20 points (20 of 40 samples drawn): x against y, coloured by target",
    );
    expect(textFontSizes(figure).filter((t) => t.px < 12)).toEqual([]);
  });

  it("keeps its documented defaults", () => {
    expect(defaults).toMatchObject({
      color: null,
      xLabel: "x",
      yLabel: "y",
      width: 640,
      selected: null,
      interactive: false,
    });
    const data = cloud(12);
    const plain = embeddingScatter(data, { document: reportDocument() });
    expect(serialize(embeddingScatter(data, { ...defaults, document: reportDocument() }))).toBe(
      serialize(plain),
    );
    const svg = plain.querySelector("svg")!;
    expect([svg.getAttribute("width"), svg.getAttribute("height")]).toEqual(["640", "448"]); // min(640, 560) · 0.8
    expect(plain.querySelectorAll("g[aria-label=dot] circle")[0].getAttribute("r")).toBe("3");
    expect(svg.getAttribute("aria-label")).toBe("Scatter plot of 12 points: x against y");
    expect(
      embeddingScatter({ x: [1], y: [2] }, { document: reportDocument() })
        .querySelector("svg")!
        .getAttribute("aria-label"),
    ).toBe("Scatter plot of 1 point: x against y");
  });
});

describe("MDA colour bar title", () => {
  /** A regression bundle of five samples whose target is a rotation angle in degrees. */
  const angles = [10, -60, 0, 60, 30];
  const bundle = (meta?: Record<string, unknown>) =>
    ({
      name: "rotation",
      task: "regression",
      samples: 5,
      layers: [],
      targets: { rows: 5, cols: 1, data: Float32Array.from(angles) },
      meta,
    }) as AnalysisBundle;
  const samples = Int32Array.from([0, 1, 2, 3, 4]);

  it("names the target, its unit and its value at either end of the normalised manifold distance", async () => {
    const color = await mdaColor(bundle(), samples);
    // The manifold distance starts at the sample farthest from sample 0 (10°): −60°, 70 away.
    expect(Array.from(color.values)).toEqual([70 / 120, 0, 60 / 120, 1, 90 / 120]);
    const result = { task: "regression", color, samples } as MdaAnalysisResult;
    expect(
      colorTitle(result, bundle({ targetName: "rotation angle", targetUnit: "degrees" })),
    ).toBe("normalised manifold distance of the rotation angle (°): 0 at −60, 1 at 60");
    expect(colorTitle(result, bundle({ targetUnit: "degrees" }))).toBe(
      "normalised manifold distance of the target (°): 0 at −60, 1 at 60",
    );
    expect(colorTitle(result, bundle({ targetUnit: "mm" }))).toBe(
      "normalised manifold distance of the target (mm): 0 at −60, 1 at 60",
    );
    expect(colorTitle(result, bundle())).toBe(
      "normalised manifold distance of the target: 0 at −60, 1 at 60",
    );
    expect(colorTitle(result)).toBe("normalised manifold distance of the target");
    // Never the analysis' old wording, which read as if the target itself were drawn.
    expect(colorTitle(result, bundle())).not.toContain("normalised target manifold distance");
    // A meta field that is not text is ignored.
    expect(colorTitle(result, bundle({ targetName: 3, targetUnit: ["°"] }))).toBe(
      "normalised manifold distance of the target: 0 at −60, 1 at 60",
    );
  });

  it("keeps the label's title for a classifier", () => {
    const color = {
      title: "label",
      type: "categorical" as const,
      values: Float64Array.from([0, 1]),
      classNames: ["a", "b"],
    };
    expect(
      colorColumn({
        task: "classification",
        color,
        samples: Int32Array.from([0, 1]),
      } as MdaAnalysisResult).title,
    ).toBe("label");
  });

  it("titles the layouts' colour ramp (snapshot)", async () => {
    const color = await mdaColor(bundle(), samples);
    const result = { task: "regression", color, samples } as MdaAnalysisResult;
    const figure = embeddingScatter(
      { x: [0, 1, 2, 3, 4], y: [1, 0, 2, 4, 3] },
      {
        color: colorColumn(result, bundle({ targetName: "rotation angle", targetUnit: "degrees" })),
        width: 360,
        xLabel: "MDA 1 (arbitrary units)",
        yLabel: "MDA 2 (arbitrary units)",
        document: reportDocument(),
      },
    );
    expectSnapshot("scatter-mda-target", figure);
    expect(figure.querySelector(".atlas-legend-title")!.textContent).toBe(
      "colour: normalised manifold distance of the rotation angle (°): 0 at −60, 1 at 60",
    );
    expect(figure.querySelector("svg[class$=-ramp]")).not.toBeNull();
  });
});
