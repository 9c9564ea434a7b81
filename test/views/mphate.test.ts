// mphateScatter: a Plot SVG figure of units × checkpoints with each unit's trajectory, and the
// same positions, colours and trajectories as a pointScatter above 20,000 points (PNG + lines).
import { describe, expect, it } from "vitest";
import type { DynamicsEmbedding } from "../../src/analyses/mphate.ts";
import { reportDocument } from "../../src/report/dom.ts";
import { firstView, mphateColor, mphateScatter } from "../../src/views/mphate.ts";
import type { PointScatterElement } from "../../src/views/point-scatter.ts";

/** `units` units of two layers over `epochs` checkpoints, epoch-major, on a spiral. */
function run(units: number, epochs: number): DynamicsEmbedding {
  const n = units * epochs;
  const data = new Float32Array(2 * n);
  const epoch = new Float64Array(n);
  const layer = new Int32Array(n);
  const unit = new Int32Array(n);
  const mostActive = new Int32Array(n);
  for (let e = 0; e < epochs; e++) {
    for (let u = 0; u < units; u++) {
      const q = e * units + u;
      data[2 * q] = Math.cos(u) * (1 + e);
      data[2 * q + 1] = Math.sin(u) * (1 + e);
      epoch[q] = 10 * e;
      layer[q] = u < units / 2 ? 0 : 1;
      unit[q] = u < units / 2 ? u : u - Math.ceil(units / 2);
      mostActive[q] = u === 0 ? -1 : u % 3;
    }
  }
  return {
    name: "toy",
    embedding: { rows: n, cols: 2, data },
    epoch,
    layer,
    unit,
    mostActive,
    layerNames: ["fc1", "fc2"],
    classNames: ["a", "b", "c"],
    epochs: Array.from({ length: epochs }, (_, e) => 10 * e),
    units,
    t: 5,
    epsilon: 1,
    intersliceKnn: 2,
    intersliceKnnAuto: true,
    nLandmarks: n,
    warnings: [],
  };
}

describe("mphateScatter", () => {
  it("draws one dot per unit per checkpoint and one trajectory per unit (Plot SVG up to 20,000 points)", () => {
    const document = reportDocument();
    const figure = mphateScatter(run(6, 4), {
      trajectories: true,
      colorBy: "layer",
      document,
    }) as Element;
    expect(figure.querySelectorAll("g[aria-label=dot] circle").length).toBe(24);
    expect(figure.querySelectorAll("g[aria-label=line] path").length).toBe(6);
  });

  it("is pointScatter's figure above 20,000 points: the points as one PNG, a line per unit through its checkpoints in order", () => {
    const document = reportDocument();
    const big = run(1001, 20);
    const figure = mphateScatter(big, { trajectories: true, document }) as PointScatterElement;
    expect(figure.renderer).toBe("png");
    const lines = figure.querySelectorAll("g[aria-label=line] path");
    expect(lines.length).toBe(1001);
    // Unit 5's path visits its 20 checkpoints, epoch by epoch, where they are drawn.
    const vertices = lines[5]
      .getAttribute("d")!
      .match(/-?[\d.]+,-?[\d.]+/g)!
      .map((v) => v.split(",").map(Number));
    expect(vertices.length).toBe(20);
    for (let e = 0; e < 20; e++) {
      const at = figure.locate(e * 1001 + 5);
      expect(vertices[e][0]).toBeCloseTo(at.x, 1);
      expect(vertices[e][1]).toBeCloseTo(at.y, 1);
    }
    expect(figure.textContent).toContain("colour: epoch");
    expect(figure.querySelector("figure")!.getAttribute("aria-label")).toBe(
      "M-PHATE embedding of toy: 20,020 points, one per hidden unit per checkpoint, coloured by epoch",
    );
  });

  it("colours by epoch (a ramp), layer or most-active class, a unit silent on every trace image grey", () => {
    const r = run(6, 2);
    expect(mphateColor(r, "epoch", "training step")).toMatchObject({
      title: "training step",
      type: "continuous",
    });
    expect(Array.from(mphateColor(r, "layer").values)).toEqual([
      0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1,
    ]);
    const active = mphateColor(r, "mostActive");
    expect(active.classNames).toEqual(["a", "b", "c"]);
    expect(Array.from(active.values.slice(0, 6))).toEqual([NaN, 1, 2, 0, 1, 2]);
    const figure = mphateScatter(r, {
      colorBy: "mostActive",
      interactive: false,
      document: reportDocument(),
    });
    expect(figure.querySelectorAll("circle").length).toBe(12);
  });
});

describe("firstView", () => {
  it("zooms about the frame's centre by the smaller axis ratio, and not at all when the frame is the whole view", () => {
    const all = { x: [0, 10] as [number, number], y: [0, 4] as [number, number] };
    expect(firstView(all, { x: [2, 4], y: [1, 2] })).toEqual({ k: 4, centre: [3, 1.5] });
    expect(firstView(all, { x: [0, 10], y: [1, 2] })).toBeNull();
    expect(firstView(all, all)).toBeNull();
  });
});
