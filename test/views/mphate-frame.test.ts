// mphateScatter frames the units when the first checkpoint lies far away; varianceVsMemorization
// ticks losses as decimals and names every variant inside the plot without overlaps.
import { describe, expect, it } from "vitest";
import type {
  DynamicsEmbedding,
  GeneralizationRun,
  GeneralizationStudy,
} from "../../src/analyses/mphate.ts";
import { reportDocument } from "../../src/report/dom.ts";
import {
  FIRST_CHECKPOINT_STRETCH,
  mphateFrame,
  mphateScatter,
  placeLabels,
  varianceVsMemorization,
} from "../../src/views/mphate.ts";

/** 4 units × 3 epochs; epoch 0 at `origin`, epochs 1 and 2 on the unit square's corners. */
function run(origin: [number, number]): DynamicsEmbedding {
  const corners = [
    [0, 0],
    [1, 0],
    [0, 1],
    [1, 1],
  ];
  const xy = [
    ...corners.map(() => origin),
    ...corners,
    ...corners.map(([x, y]) => [x * 0.5, y * 0.5]),
  ];
  return {
    name: "toy",
    embedding: { rows: 12, cols: 2, data: Float32Array.from(xy.flat()) },
    epoch: Float64Array.from(xy.map((_, q) => Math.floor(q / 4))),
    layer: new Int32Array(12),
    unit: Int32Array.from(xy.map((_, q) => q % 4)),
    mostActive: new Int32Array(12),
    layerNames: ["fc1"],
    classNames: ["0"],
    epochs: [0, 1, 2],
    units: 4,
    t: 1,
    epsilon: 1,
    intersliceKnn: 2,
    intersliceKnnAuto: true,
    nLandmarks: 12,
    warnings: [],
  };
}

const circles = (figure: Element) =>
  Array.from(figure.querySelectorAll("circle"), (c) => ({
    cx: Number(c.getAttribute("cx")),
    cy: Number(c.getAttribute("cy")),
    open: c.closest("g")?.getAttribute("fill") === "none",
  }));

describe("mphateScatter", () => {
  it("frames the later checkpoints when the first one lies far away, and draws its units on the edge", () => {
    const far = run([40, -30]);
    const frame = mphateFrame(
      Array.from({ length: 12 }, (_, q) => q),
      (q) => far.embedding.data[2 * q],
      (q) => far.embedding.data[2 * q + 1],
      (q) => far.epoch[q],
    );
    // Epochs 1–2 span [0, 1] on both axes; 4 % padding.
    expect(frame!.x).toEqual([-0.04, 1.04]);
    expect(frame!.y).toEqual([-0.04, 1.04]);
    expect(frame!.outside).toEqual([0, 1, 2, 3]);
    const figure = mphateScatter(far, { document: reportDocument(), width: 300, height: 300 });
    expect(figure.textContent).toContain("4 units of epoch 0 lie beyond the frame");
    const drawn = circles(figure);
    expect(drawn).toHaveLength(12);
    // The unit square fills the frame: its corners are far apart on screen (not squeezed in a corner).
    const inside = drawn.filter((c) => !c.open);
    const width = Math.max(...inside.map((c) => c.cx)) - Math.min(...inside.map((c) => c.cx));
    expect(width).toBeGreaterThan(200);
    // The four outliers sit on the frame's right edge and top edge (x = 40 → right, y = −30 → bottom).
    const open = drawn.filter((c) => c.open);
    expect(open).toHaveLength(4);
    expect(new Set(open.map((c) => c.cx)).size).toBe(1);
    expect(open[0].cx).toBeCloseTo(Math.max(...inside.map((c) => c.cx)) + (0.04 / 1.04) * width, 0);
  });

  it("keeps every point in the frame when the first checkpoint stays near the rest", () => {
    const near = run([0.5, 1 + (FIRST_CHECKPOINT_STRETCH - 1) / 2]);
    expect(
      mphateFrame(
        Array.from({ length: 12 }, (_, q) => q),
        (q) => near.embedding.data[2 * q],
        (q) => near.embedding.data[2 * q + 1],
        (q) => near.epoch[q],
      ),
    ).toBeNull();
    const figure = mphateScatter(near, { document: reportDocument() });
    expect(figure.textContent).not.toContain("beyond the frame");
    expect(circles(figure).filter((c) => c.open)).toHaveLength(0);
  });
});

const VARIANTS = [
  "vanilla",
  "dropout",
  "l1-weights",
  "l1-activations",
  "l2-weights",
  "l2-activations",
  "random-labels",
  "random-pixels",
];

function study(): GeneralizationStudy {
  // Regularised runs crowd near 0.1 nats with similar variances; random pixels memorise the most.
  const memorization = [0.3, 0.1, 0.11, 0.12, 0.105, 0.115, 2.5, 4.2];
  const variance = [12, 10, 10.4, 10.8, 10.2, 10.6, 5, 3];
  const runs = VARIANTS.flatMap((variant, v) =>
    [42, 1, 2].map(
      (seed, s) =>
        ({
          variant,
          seed,
          memorizationError: memorization[v] * (1 + 0.03 * s),
          visualizationVariance: variance[v] * (1 + 0.02 * s),
        }) as GeneralizationRun,
    ),
  );
  const spread = (mean: number) => ({ mean, sd: 0, n: 3 });
  return {
    runs,
    spearman: -0.8,
    interval: [-0.9, -0.6],
    resamples: 2000,
    validResamples: 2000,
    perSeed: [],
    seedSpread: spread(-0.8),
    variants: VARIANTS.map((variant, v) => ({
      variant,
      memorizationError: spread(memorization[v] * 1.03),
      visualizationVariance: spread(variance[v] * 1.02),
    })),
    normalizedSpearman: -0.7,
    params: { nLandmark: 400, bootstrapSeed: 42, resamples: 2000 },
  };
}

describe("varianceVsMemorization", () => {
  const figure = varianceVsMemorization(study(), {
    document: reportDocument(),
    width: 560,
    height: 360,
  });
  const svg =
    figure.tagName.toLowerCase() === "svg" ? figure : figure.querySelector(":scope > svg")!;
  const labels = Array.from(svg.querySelectorAll("g[aria-label=text] text"), (t) => {
    const g = t.parentElement!;
    const m = /translate\(([-\d.]+),([-\d.]+)\)/.exec(t.getAttribute("transform") ?? "") ?? [
      "",
      t.getAttribute("x") ?? "0",
      t.getAttribute("y") ?? "0",
    ];
    return {
      text: t.textContent!,
      x: Number(m[1]),
      y: Number(m[2]),
      anchor: (g.getAttribute("text-anchor") ?? "start") as "start" | "end",
      dx: Number(g.getAttribute("transform")?.match(/translate\(([-\d.]+)/)?.[1] ?? 0),
    };
  });

  it("ticks memorisation error in plain decimals, never SI prefixes such as '100m'", () => {
    // (A log axis leaves the ticks between labelled ones blank.)
    const ticks = Array.from(
      svg.querySelectorAll("g[aria-label='x-axis tick label'] text"),
      (t) => t.textContent,
    ).filter(Boolean);
    expect(ticks).toContain("0.1");
    for (const tick of ticks) expect(tick).toMatch(/^[\d.]+$/);
  });

  it("names every variant once, inside the plot, with no two names overlapping", () => {
    expect(labels.map((l) => l.text).sort()).toEqual([...VARIANTS].sort());
    const width = Number(svg.getAttribute("width"));
    const boxes = labels.map((l) => {
      const w = l.text.length * 7;
      const x = l.x + l.dx;
      return { ...l, x0: l.anchor === "start" ? x : x - w, x1: l.anchor === "start" ? x + w : x };
    });
    for (const b of boxes) {
      expect(b.x0, b.text).toBeGreaterThanOrEqual(0);
      expect(b.x1, b.text).toBeLessThanOrEqual(width);
    }
    // The rightmost variant (random pixels) is named to the left of its point.
    expect(boxes.find((b) => b.text === "random-pixels")!.anchor).toBe("end");
    for (const a of boxes)
      for (const b of boxes)
        if (a !== b && a.x0 < b.x1 && b.x0 < a.x1)
          expect(Math.abs(a.y - b.y), `${a.text} / ${b.text}`).toBeGreaterThan(13.99);
  });

  it("placeLabels moves overlapping names apart and keeps them inside the box", () => {
    const placed = placeLabels(
      [
        { text: "aaaa", px: 10, py: 50 },
        { text: "bbbb", px: 12, py: 52 },
        { text: "cccc", px: 195, py: 51 },
      ],
      { left: 0, right: 200, top: 0, bottom: 100 },
    );
    expect(placed.map((p) => [p.text, p.y, p.anchor])).toEqual([
      ["aaaa", 50, "start"],
      ["cccc", 51, "end"],
      ["bbbb", 64, "start"],
    ]);
  });
});
