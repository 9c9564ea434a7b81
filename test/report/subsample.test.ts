// Figures made from part of the data say so beside them, in the notebook's words: explore draws
// every row by default and, given maxPoints, says "30 of 100 samples drawn (seed 7)" under its
// scatter and in its report; layer-topology's figures name the point clouds they come from.
import { describe, expect, it } from "vitest";
import type { AnalysisBundle } from "../../src/analyses/columns.ts";
import { exploreAnalysis } from "../../src/analyses/explore.ts";
import type { LayerTopologyResult } from "../../src/analyses/layer-topology.ts";
import { reportDocument } from "../../src/report/dom.ts";
import { exploreReport } from "../../src/report/explore.ts";
import { pointCloudText } from "../../src/report/layer-topology.ts";
import { renderReport } from "../../src/report/report.ts";
import { mulberry32 } from "../helpers.ts";

function bundle(samples: number, split?: Uint8Array): AnalysisBundle {
  const random = mulberry32(5);
  return {
    name: "toy",
    task: "classification",
    samples,
    classNames: ["a", "b", "c"],
    labels: Int32Array.from({ length: samples }, (_, i) => i % 3),
    layers: [
      {
        name: "fc",
        shape: [samples, 5],
        data: Float32Array.from({ length: samples * 5 }, () => random()),
      },
    ],
    split,
  } as AnalysisBundle;
}

describe("explore: every row by default, a subsample said in words", () => {
  it("projects and draws every sample when maxPoints is not given", async () => {
    const result = await exploreAnalysis(bundle(100), { k: 3 });
    expect(result.params.maxPoints).toBe(100);
    expect(Array.from(result.projection.shown)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const spec = exploreReport(bundle(100), result, {
      sha256: "0".repeat(64),
      document: reportDocument(),
      date: "2026-01-01",
    });
    expect(spec.sections[0].text).toMatch(/^100 samples, every one drawn, 5 dimensions\./);
    expect(spec.sections[0].figure!.querySelector("figcaption")).toBeNull();
  });

  it("says how many of how many samples are drawn and the seed, under the figure and in the report", async () => {
    const b = bundle(100);
    const result = await exploreAnalysis(b, { k: 3, maxPoints: 30, seed: 7 });
    expect(result.projection.shown.length).toBe(30);
    const spec = exploreReport(b, result, {
      sha256: "0".repeat(64),
      document: reportDocument(),
      date: "2026-01-01",
    });
    const figure = spec.sections[0].figure!;
    expect(figure.querySelector("figcaption")!.textContent).toBe(
      "30 of 100 samples drawn (seed 7).",
    );
    expect(figure.querySelectorAll("g[aria-label=dot] circle").length).toBe(30);
    const html = renderReport(spec);
    expect(html).toContain("100 samples (30 of 100 drawn (seed 7)), 5 dimensions.");
    expect(html).toContain("30 of 100 samples drawn (seed 7).</figcaption>");
  });
});

describe("pointCloudText", () => {
  const split = Uint8Array.from({ length: 100 }, (_, i) => (i < 60 ? 1 : 0));
  const result = (n: number, params: Partial<LayerTopologyResult["params"]>) => ({
    sample: new Int32Array(n),
    params: {
      split: "all",
      sampling: "random",
      seed: 42,
      ...params,
    } as LayerTopologyResult["params"],
  });
  it("names the population (the test split or every sample), the count and the seed or the farthest-point rule", () => {
    expect(pointCloudText(bundle(100, split), result(20, { split: "test", seed: 3 }))).toBe(
      "Point clouds of 20 of 60 test images drawn (seed 3).",
    );
    expect(pointCloudText(bundle(1797), result(500, {}))).toBe(
      "Point clouds of 500 of 1,797 samples drawn (seed 42).",
    );
    expect(pointCloudText(bundle(1797), result(500, { sampling: "farthest" }))).toBe(
      "Point clouds of 500 of 1,797 samples drawn (farthest points of the first layer).",
    );
  });
  it("says nothing when the clouds hold every row", () => {
    expect(pointCloudText(bundle(100, split), result(60, { split: "test" }))).toBe("");
  });
});
