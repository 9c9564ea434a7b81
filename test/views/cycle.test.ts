// The cycle overlay: the representative cycle of a ring's one long H1 bar (twelve points on a
// circle, found by persistentHomology) drawn as one closed path through exactly the drawn
// positions of its points, its inputs listed in walk order as text, the CSV/JSON exports; the
// barcode and diagram pick an H1 pair on click and link their selection.
import { describe, expect, it } from "vitest";
import { persistentHomology } from "../../src/algo/rips.ts";
import { reportDocument } from "../../src/report/dom.ts";
import { cycleCsv, cycleJson, cycleOverlay, cycleTable, cycleWalk } from "../../src/views/cycle.ts";
import { barcode, linkPairs, persistencePlot } from "../../src/views/topology.ts";
import { expectSnapshot, textFontSizes } from "../support/snapshot.ts";

const N = 12;
/** Twelve points on a unit circle in 2-D, rows 0 … 11 in angle order. */
const ring = {
  rows: N,
  cols: 2,
  data: Float32Array.from({ length: 2 * N }, (_, k) =>
    (k % 2 === 0 ? Math.cos : Math.sin)((2 * Math.PI * (k >> 1)) / N),
  ),
};

/** Parse "M x,y L x,y … Z" into points. */
const pathPoints = (d: string) =>
  d
    .replace(/Z$/, "")
    .slice(1)
    .split("L")
    .map((p) => p.split(",").map(Number));

describe("cycleOverlay", () => {
  it("draws the ring's H1 cycle as one closed loop through all twelve points, in order (snapshot)", async () => {
    const ph = await persistentHomology(ring, { maxdim: 1, cycles: true });
    expect(ph.diagrams[1].births.length).toBe(1);
    const loop = ph.cycles![1][0];
    const { edges, closed } = cycleWalk(loop);
    // Every side of the 12-gon (length 2 sin 15° ≈ 0.5176) is needed; a chord is longer than the birth.
    expect(edges).toHaveLength(12);
    expect(closed).not.toBeNull();
    expect(new Set(closed!.slice(0, -1)).size).toBe(12);
    for (let k = 0; k < 12; k++) expect(Math.abs(closed![k] - closed![k + 1]) % 10).toBe(1); // neighbours on the ring (0–11 wraps)
    const document = reportDocument();
    const el = cycleOverlay(ring, loop, {
      document,
      rowOf: (i) => 100 + i,
      describe: (row) => `<b>row ${row}</b>`,
      bar: {
        layer: "ring",
        index: 0,
        birth: ph.diagrams[1].births[0],
        death: ph.diagrams[1].deaths[0],
      },
      exportName: "ring-cycle",
    });
    expectSnapshot("cycle-overlay", el);
    const path = el.querySelector("path.atlas-cycle-path")!;
    expect(path.getAttribute("data-closed")).toBe("true");
    const d = path.getAttribute("d")!;
    expect(d.endsWith("Z")).toBe(true);
    const points = pathPoints(d);
    expect(points).toHaveLength(12);
    // Each vertex of the path is where the scatter draws that point.
    const scatter = el.querySelector(".atlas-point-scatter") as HTMLElement & {
      locate(i: number): { x: number; y: number };
    };
    points.forEach(([x, y], k) => {
      const at = scatter.locate(closed![k]);
      expect(x).toBeCloseTo(at.x, 1);
      expect(y).toBeCloseTo(at.y, 1);
    });
    expect(el.querySelectorAll("circle.atlas-cycle-vertex")).toHaveLength(12);
    // Inputs in walk order, as text (the markup in the description stays text).
    const items = Array.from(el.querySelectorAll("ol.atlas-cycle-rows li"), (li) => li.textContent);
    expect(items).toEqual(closed!.slice(0, -1).map((i) => `<b>row ${100 + i}</b>`));
    expect(el.querySelector("b")).toBeNull();
    expect(el.querySelector(".atlas-cycle-caption")!.textContent).toMatch(
      /^H1 bar \[0\.5176, 1\.\d{3}\) of ring: 12 inputs, 12 edges, one closed loop\./,
    );
    expect(
      Array.from(el.querySelectorAll(".atlas-cycle-export button"), (b) => b.textContent),
    ).toEqual(["Export cycle CSV", "Export cycle JSON"]);
    expect(textFontSizes(el).filter((t) => t.px < 12)).toEqual([]);
  });

  it("marks the loop's thumbnails decorative: the words beside each one describe its input", () => {
    const document = reportDocument();
    const loop = Int32Array.from([2, 0, 1, 0, 1, 1, 1, 2, 1]);
    const el = cycleOverlay(ring, loop, {
      document,
      rowOf: (i) => 100 + i,
      describe: (row) => `#${row} · label 4`,
      thumbnail: (row) => `data:image/png;base64,row${row}`,
    });
    const items = Array.from(el.querySelectorAll("ol.atlas-cycle-rows li"));
    expect(items).toHaveLength(3);
    for (const li of items) {
      const img = li.querySelector("img")!;
      // alt="" (not a missing alt): screen readers skip the image and read the text beside it.
      expect(img.getAttribute("alt")).toBe("");
      expect(img.getAttribute("src")).toMatch(/^data:image\/png;base64,row10[0-2]$/);
      expect(li.textContent).toMatch(/^#10[0-2] · label 4$/);
    }
  });

  it("exports one row per edge with bundle rows (CSV) and the bar, rows and edges (JSON)", () => {
    const loop = Int32Array.from([2, 0, 1, 0, 1, 1, 1, 2, 1]);
    expect(cycleTable(loop, (i) => 10 * i).rows).toEqual([
      [0, 20, 0, 2, 0],
      [1, 0, 10, 0, 1],
      [2, 10, 20, 1, 2],
    ]);
    expect(cycleCsv(loop, (i) => 10 * i)).toBe(
      "step,from row,to row,from point,to point\r\n0,20,0,2,0\r\n1,0,10,0,1\r\n2,10,20,1,2\r\n",
    );
    expect(
      JSON.parse(
        cycleJson(loop, (i) => 10 * i, { layer: "conv1", index: 3, birth: 0.5, death: 0.75 }),
      ),
    ).toEqual({
      layer: "conv1",
      bar: 3,
      birth: 0.5,
      death: 0.75,
      rows: [20, 0, 10],
      edges: [
        [20, 0],
        [0, 10],
        [10, 20],
      ],
    });
  });

  it("refuses a cycle that visits a point the plane does not have, or a plane that is not 2-D", () => {
    const document = reportDocument();
    expect(() =>
      cycleOverlay(ring, Int32Array.from([12, 0, 1, 0, 1, 1, 1, 12, 1]), { document }),
    ).toThrow(/visits point 12 but the plane has 12 points/);
    expect(() =>
      cycleOverlay({ rows: 4, cols: 3, data: new Float32Array(12) }, new Int32Array(0), {
        document,
      }),
    ).toThrow(/the plane has 3 columns \(expected 2\)/);
  });
});

describe("picking an H1 pair in the barcode and the diagram", () => {
  const square = [
    {
      dim: 0,
      births: Float64Array.from([0, 0, 0, 0]),
      deaths: Float64Array.from([1, 1, 1, Infinity]),
    },
    { dim: 1, births: Float64Array.from([1, 1.1]), deaths: Float64Array.from([Math.SQRT2, 1.2]) },
  ];

  it("tags only the H1 bars, selects on click and links the two figures", () => {
    const document = reportDocument();
    const bars = barcode(square, 1.5, { document, selectable: 1 });
    const dots = persistencePlot(square, 1.5, { document, selectable: 1 });
    const row = linkPairs([bars, dots], 0, document);
    const tagged = Array.from(bars.querySelectorAll("[data-pair]"), (e) =>
      e.getAttribute("data-pair"),
    );
    expect(tagged.sort()).toEqual(["0", "1"]);
    expect(dots.querySelectorAll("[data-pair]")).toHaveLength(2);
    expect(row.value).toBe(0);
    expect(bars.querySelector(".atlas-pair-selected")!.getAttribute("data-pair")).toBe("0");
    let inputs = 0;
    row.addEventListener("input", () => inputs++);
    (dots.querySelector('[data-pair="1"]') as SVGElement).dispatchEvent(
      new document.defaultView!.Event("click", { bubbles: true }),
    );
    expect(row.value).toBe(1);
    expect(inputs).toBe(1);
    expect(bars.querySelector(".atlas-pair-selected")!.getAttribute("data-pair")).toBe("1");
    expect(dots.querySelectorAll(".atlas-pair-selected")).toHaveLength(1);
    // H0 bars stay inert.
    const h0 = Array.from(bars.querySelectorAll("g[aria-label=bar] rect")).find(
      (r) => !r.hasAttribute("data-pair"),
    )!;
    h0.dispatchEvent(new document.defaultView!.Event("click", { bubbles: true }));
    expect(row.value).toBe(1);
    expect(inputs).toBe(1);
  });
});
