// pointScatter without a browser (jsdom, as reports are built): SVG dots up to svgMaxPoints,
// one PNG of the points above, axes and legend kept; the software rasteriser; exports; errors.
import { unzlibSync } from "fflate";
import { describe, expect, it } from "vitest";
import type { SampleColumn } from "../../src/analyses/columns.ts";
import { HiddenAtlasError } from "../../src/core/errors.ts";
import { reportDocument } from "../../src/report/dom.ts";
import {
  pointScatter,
  selectionCsv,
  selectionJson,
  SVG_MAX_POINTS,
} from "../../src/views/point-scatter.ts";
import { rasterizePoints } from "../../src/views/point-raster.ts";
import { mulberry32 } from "../helpers.ts";

function cloud(n: number, seed = 1) {
  const random = mulberry32(seed);
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = random() * 20 - 10;
    y[i] = random() * 4;
    values[i] = i % 10;
  }
  const color: SampleColumn = {
    title: "label",
    type: "categorical",
    values,
    classNames: Array.from({ length: 10 }, (_, k) => `class ${k}`),
  };
  return { x, y, color };
}

/** Decode a PNG data URL made by our encoder (one IDAT, filter 0) into width, height, RGBA. */
function decodePng(url: string): { width: number; height: number; pixels: Uint8Array } {
  const bytes = Uint8Array.from(atob(url.slice("data:image/png;base64,".length)), (c) =>
    c.charCodeAt(0),
  );
  const view = new DataView(bytes.buffer);
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  expect(bytes[25]).toBe(6); // colour type RGBA
  const idatLength = view.getUint32(33);
  expect(String.fromCharCode(...bytes.subarray(37, 41))).toBe("IDAT");
  const raw = unzlibSync(bytes.subarray(41, 41 + idatLength));
  const pixels = new Uint8Array(width * height * 4);
  for (let row = 0; row < height; row++)
    pixels.set(
      raw.subarray(row * (width * 4 + 1) + 1, (row + 1) * (width * 4 + 1)),
      row * width * 4,
    );
  return { width, height, pixels };
}

describe("pointScatter static figure", () => {
  it("draws SVG dots, one per point, with axes, the swatch legend and an aria-label", () => {
    const document = reportDocument();
    const { x, y, color } = cloud(500);
    const el = pointScatter({ x, y }, { color, xLabel: "PC1 →", yLabel: "↑ PC2", document });
    expect(el.renderer).toBe("svg");
    expect(el.querySelectorAll("g[aria-label=dot] circle").length).toBe(500);
    expect(el.querySelector("image")).toBeNull();
    expect(el.textContent).toContain("PC1 →");
    expect(el.textContent).toContain("colour: label");
    const swatches = Array.from(el.querySelectorAll("[class$='-swatch']"), (s) =>
      s.textContent!.trim(),
    );
    expect(swatches).toEqual(Array.from({ length: 10 }, (_, k) => `class ${k}`));
    expect(el.querySelector("figure")!.getAttribute("aria-label")).toBe(
      "Scatter plot of 500 points: PC1 → against ↑ PC2, coloured by label",
    );
    // Chart text at 12 px.
    expect(el.querySelector(".atlas-plot-area > svg")!.getAttribute("style")).toMatch(
      /font-size: 12px/,
    );
  });

  it(`switches to one PNG of the points above ${SVG_MAX_POINTS.toLocaleString("en-US")} points, axes and legend kept`, () => {
    const document = reportDocument();
    const { x, y, color } = cloud(SVG_MAX_POINTS + 1);
    const el = pointScatter({ x, y }, { color, width: 400, height: 300, document });
    expect(el.renderer).toBe("png");
    expect(el.querySelectorAll("g[aria-label=dot] circle").length).toBe(0);
    const images = el.querySelectorAll("svg image.atlas-points-raster");
    expect(images.length).toBe(1);
    const image = images[0];
    // The image fills the frame: width 400 − 56 − 16, height 300 − 24 − 40, at twice the resolution.
    expect([
      image.getAttribute("x"),
      image.getAttribute("y"),
      image.getAttribute("width"),
      image.getAttribute("height"),
    ]).toEqual(["56", "24", "328", "236"]);
    const png = decodePng(image.getAttribute("href")!);
    expect([png.width, png.height]).toEqual([656, 472]);
    expect(el.querySelectorAll("[aria-label='x-axis tick']").length).toBe(1);
    expect(el.querySelectorAll("[class$='-swatch']").length).toBe(10);
    expect(el.textContent).toContain("20,001 points drawn as one image");
    // Every corner of the padded frame is empty; the image holds colour where the points are.
    expect(png.pixels[3]).toBe(0);
    let painted = 0;
    for (let k = 3; k < png.pixels.length; k += 4) if (png.pixels[k] > 0) painted++;
    expect(painted).toBeGreaterThan(0.5 * png.width * png.height);
  });

  it("svgMaxPoints moves the switch; the same points give the same bytes", () => {
    const { x, y, color } = cloud(300);
    expect(
      pointScatter({ x, y }, { color, document: reportDocument(), svgMaxPoints: 300 }).renderer,
    ).toBe("svg");
    const a = pointScatter({ x, y }, { color, document: reportDocument(), svgMaxPoints: 299 });
    const b = pointScatter({ x, y }, { color, document: reportDocument(), svgMaxPoints: 299 });
    expect(a.renderer).toBe("png");
    expect(a.outerHTML).toBe(b.outerHTML);
  });

  it("places each point where the axes say: a raster pixel under sample i has its class colour", () => {
    const document = reportDocument();
    // Four points in the corners of the extent, far apart, one class each.
    const values = Float64Array.from([0, 1, 2, 3]);
    const color: SampleColumn = {
      title: "label",
      type: "categorical",
      values,
      classNames: ["a", "b", "c", "d"],
    };
    const el = pointScatter(
      { x: [0, 10, 0, 10], y: [0, 0, 5, 5] },
      { color, width: 300, height: 250, svgMaxPoints: 0, r: 4, document },
    );
    const png = decodePng(el.querySelector("image")!.getAttribute("href")!);
    const colours = ["#4269d0", "#efb118", "#ff725c", "#6cc5b0"]; // observable10
    for (let i = 0; i < 4; i++) {
      const at = el.locate(i); // plot-area CSS px
      const px = Math.floor((at.x - 56) * 2);
      const py = Math.floor((at.y - 24) * 2);
      const o = (py * png.width + px) * 4;
      const hex =
        "#" + [0, 1, 2].map((c) => png.pixels[o + c].toString(16).padStart(2, "0")).join("");
      expect(hex).toBe(colours[i]);
      expect(png.pixels[o + 3]).toBe(204); // fillOpacity 0.8
    }
  });

  it("says how many samples an index subset draws, and picks and lassos map back to samples", () => {
    const document = reportDocument();
    const { x, y } = cloud(10);
    const el = pointScatter({ x, y, index: [7, 2, 5] }, { document });
    expect(el.querySelector("figcaption")!.textContent).toContain("3 of 10 samples drawn");
    expect(el.querySelector("figure")!.getAttribute("aria-label")).toContain(
      "3 of 10 samples drawn",
    );
    for (const i of [7, 2, 5]) {
      const at = el.locate(i);
      expect(el.pick(at.x + 1, at.y - 1)).toBe(i);
    }
    expect(el.pick(-500, -500)).toBeNull();
    // A lasso around everything selects the drawn samples only, ascending.
    expect(Array.from(el.selectPolygon([-100, -100, 100, -100, 100, 100, -100, 100]))).toEqual([
      2, 5, 7,
    ]);
  });

  it("says a subsample's size, its population and its seed in the caption and the aria-label", () => {
    const document = reportDocument();
    const { x, y } = cloud(600);
    const el = pointScatter({ x, y }, { subsample: { total: 1797, seed: 42 }, document });
    expect(el.querySelector("figcaption")!.textContent).toBe(
      "600 of 1,797 samples drawn (seed 42).",
    );
    expect(el.querySelector("figure")!.getAttribute("aria-label")).toBe(
      "Scatter plot of 600 points (600 of 1,797 samples drawn (seed 42)): x against y",
    );
    // Every sample drawn: nothing to say.
    expect(
      pointScatter({ x, y }, { subsample: { total: 600, seed: 42 }, document }).querySelector(
        "figcaption",
      ),
    ).toBeNull();
    expect(() => pointScatter({ x, y }, { subsample: { total: 599 }, document })).toThrow(
      /invalid subsample.total: 599 \(expected an integer ≥ the 600 drawn samples\)/,
    );
  });

  it("draws each path as one line through its samples' positions, under the points (SVG and PNG figures)", () => {
    const document = reportDocument();
    const x = [0, 1, 2, 3, 4, 5];
    const y = [0, 1, 0, 1, 0, 1];
    const el = pointScatter(
      { x, y },
      {
        paths: [
          [0, 2, 4],
          [1, 3, 5],
        ],
        document,
      },
    );
    const lines = Array.from(el.querySelectorAll("g[aria-label=line] path"));
    expect(lines.length).toBe(2);
    // Each path's vertices are exactly where its samples are drawn.
    for (const [k, path] of [
      [0, 2, 4],
      [1, 3, 5],
    ].entries()) {
      const vertices = lines[k]
        .getAttribute("d")!
        .match(/-?[\d.]+,-?[\d.]+/g)!
        .map((v) => v.split(",").map(Number));
      expect(vertices.length).toBe(3);
      path.forEach((i, j) => {
        const at = el.locate(i);
        expect(vertices[j][0]).toBeCloseTo(at.x, 1);
        expect(vertices[j][1]).toBeCloseTo(at.y, 1);
      });
    }
    // The lines come before (under) the dots.
    const svg = el.querySelector(".atlas-plot-area > svg")!;
    const order = Array.from(svg.children, (c) => c.getAttribute("aria-label"));
    expect(order.indexOf("line")).toBeLessThan(order.indexOf("dot"));
    // Above svgMaxPoints the points are one PNG and the lines stay under it.
    const png = pointScatter({ x, y }, { paths: [[0, 1, 2, 3, 4, 5]], svgMaxPoints: 3, document });
    const children = Array.from(png.querySelector(".atlas-plot-area > svg")!.children);
    const lineAt = children.findIndex((c) => c.getAttribute("aria-label") === "line");
    expect(lineAt).toBeGreaterThanOrEqual(0);
    expect(lineAt).toBeLessThan(
      children.findIndex((c) => c.classList.contains("atlas-points-raster")),
    );
    expect(() => pointScatter({ x, y }, { paths: [[0, 6]], document })).toThrow(
      /paths\[0\]\[1\] is 6 \(expected an integer sample in \[0, 6\)\)/,
    );
  });

  it("rings the selected sample and the highlighted ones, and moves them on select()/highlight()", () => {
    const document = reportDocument();
    const { x, y } = cloud(50);
    const el = pointScatter({ x, y }, { selected: 3, highlighted: [4, 5, 6], document });
    expect(el.value).toBe(3);
    expect(el.querySelectorAll(".atlas-overlay circle.atlas-highlight").length).toBe(3);
    const ring = el.querySelector(".atlas-overlay circle.atlas-selected")!;
    const at = el.locate(3);
    expect([Number(ring.getAttribute("cx")), Number(ring.getAttribute("cy"))]).toEqual([
      Math.round(at.x * 100) / 100,
      Math.round(at.y * 100) / 100,
    ]);
    expect(Array.from(el.highlighted)).toEqual([4, 5, 6]);
    el.highlight([1]);
    el.select(9);
    expect(el.value).toBe(9);
    expect(el.querySelectorAll(".atlas-overlay circle.atlas-highlight").length).toBe(1);
    expect(Array.from(el.highlighted)).toEqual([1]);
  });

  it("shows a continuous colour as a ramp and greys samples without a value, saying how many", () => {
    const document = reportDocument();
    const values = Float64Array.from([0, 0.5, NaN, 1]);
    const el = pointScatter(
      { x: [0, 1, 2, 3], y: [0, 1, 2, 3] },
      { color: { title: "target", type: "continuous", values }, document },
    );
    expect(el.querySelector("figcaption")!.textContent).toContain(
      "1 drawn samples without a target value are grey",
    );
    const fills = Array.from(el.querySelectorAll("g[aria-label=dot] circle"), (c) =>
      c.getAttribute("fill"),
    );
    expect(fills[2]).toBe("#999999");
    expect(fills[0]).not.toBe(fills[3]);
    expect(el.textContent).toContain("target");
  });

  it("shows a hostile class name as text, never as markup", () => {
    const document = reportDocument();
    const hostile = "<img src=x onerror=alert(1)>";
    const el = pointScatter(
      { x: [0, 1], y: [0, 1] },
      {
        color: {
          title: hostile,
          type: "categorical",
          values: Float64Array.from([0, 1]),
          classNames: [hostile, "b"],
        },
        document,
      },
    );
    expect(el.querySelector("img")).toBeNull();
    expect(el.textContent).toContain(hostile);
  });
});

describe("pointScatter input checks", () => {
  const document = reportDocument();
  it("rejects an index outside the samples", () => {
    expect(() => pointScatter({ x: [0, 1], y: [0, 1], index: [0, 2] }, { document })).toThrow(
      /index\[1\] is 2 \(expected an integer sample in \[0, 2\)\)/,
    );
    try {
      pointScatter({ x: [0, 1], y: [0, 1], index: [0.5] }, { document });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(HiddenAtlasError);
      expect((error as HiddenAtlasError).code).toBe("E_PARAM");
    }
  });
  it("rejects non-finite coordinates of a drawn sample, and x, y or colour of the wrong length", () => {
    expect(() => pointScatter({ x: [0, NaN], y: [0, 1] }, { document })).toThrow(
      /sample 1 has coordinates \(NaN, 1\)/,
    );
    // A non-finite coordinate of a sample that is not drawn is fine.
    expect(() => pointScatter({ x: [0, NaN], y: [0, 1], index: [0] }, { document })).not.toThrow();
    expect(() => pointScatter({ x: [0, 1], y: [0] }, { document })).toThrow(
      /data.x has 2 values but data.y has 1/,
    );
    expect(() =>
      pointScatter(
        { x: [0, 1], y: [0, 1] },
        {
          color: { title: "label", type: "categorical", values: Float64Array.from([0]) },
          document,
        },
      ),
    ).toThrow(/colour column "label" has 1 values for 2 samples/);
  });
});

describe("rasterizePoints", () => {
  it("fills a disc around the centre and leaves the rest transparent", () => {
    const colors = Uint8Array.from([255, 0, 0, 255]);
    const out = rasterizePoints({
      width: 12,
      height: 12,
      px: [5.5],
      py: [5.5],
      colors,
      radius: 2,
      opacity: 1,
    });
    const at = (x: number, y: number) =>
      Array.from(out.subarray((y * 12 + x) * 4, (y * 12 + x) * 4 + 4));
    expect(at(5, 5)).toEqual([255, 0, 0, 255]);
    expect(at(6, 5)).toEqual([255, 0, 0, 255]); // 1 px from the centre: full coverage
    expect(at(7, 5)).toEqual([255, 0, 0, 128]); // 2 px from the centre: coverage r + 0.5 − 2 = 0.5
    expect(at(5, 8)).toEqual([0, 0, 0, 0]); // 3 px away: outside r + 0.5
    expect(at(0, 0)).toEqual([0, 0, 0, 0]);
    // The pixel 2.5 px away (half a pixel past r = 2) has zero coverage; one 2.24 px away, 0.26.
    expect(at(7, 6)[3]).toBe(Math.round(255 * (2.5 - Math.hypot(2, 1))));
  });

  it("composites later points over earlier ones in draw order", () => {
    // Red, then blue over it; then blue at alpha 128/255 over red: a mix, fully opaque.
    const colors = Uint8Array.from([255, 0, 0, 255, 0, 0, 255, 255]);
    const out = rasterizePoints({
      width: 4,
      height: 4,
      px: [2.5, 2.5],
      py: [2.5, 2.5],
      colors,
      radius: 1,
      opacity: 1,
    });
    expect(Array.from(out.subarray((2 * 4 + 2) * 4, (2 * 4 + 2) * 4 + 4))).toEqual([
      0, 0, 255, 255,
    ]); // opaque blue covers red
    const half = rasterizePoints({
      width: 4,
      height: 4,
      px: [2.5, 2.5],
      py: [2.5, 2.5],
      colors: Uint8Array.from([255, 0, 0, 255, 0, 0, 255, 128]),
      radius: 1,
      opacity: 1,
    });
    const blended = Array.from(half.subarray((2 * 4 + 2) * 4, (2 * 4 + 2) * 4 + 4));
    // 128/255 of blue over red: r = 255 · (1 − 0.502) = 127, b = 255 · 0.502 = 128.
    expect(blended).toEqual([127, 0, 128, 255]);
  });
});

describe("selection exports", () => {
  const columns = {
    sample: (i: number) => i,
    x: (i: number) => i / 2,
    label: (i: number) => (i === 1 ? 'say "hi", then\nleave' : "plain"),
  };
  it("writes RFC 4180 CSV, quoting fields with commas, quotes or line breaks", () => {
    expect(selectionCsv([0, 1], columns)).toBe(
      'sample,x,label\r\n0,0,plain\r\n1,0.5,"say ""hi"", then\nleave"\r\n',
    );
  });
  it("writes a JSON array of row objects", () => {
    expect(JSON.parse(selectionJson([0, 1], columns))).toEqual([
      { sample: 0, x: 0, label: "plain" },
      { sample: 1, x: 0.5, label: 'say "hi", then\nleave' },
    ]);
  });
});

describe("pointScatter option checks", () => {
  const document = reportDocument();
  const data = { x: [0, 1], y: [0, 1] };
  for (const [options, message] of [
    [{ width: 20 }, /invalid width: 20 \(expected a number of pixels ≥ 73\)/],
    [{ height: NaN }, /invalid height: NaN \(expected a number of pixels ≥ 65\)/],
    [{ r: 0 }, /invalid r: 0 \(expected a radius in pixels in \(0, 50\]\)/],
    [{ svgMaxPoints: 1.5 }, /invalid svgMaxPoints: 1.5 \(expected an integer ≥ 0\)/],
    [{ renderer: "canvas" }, /invalid renderer: canvas \(expected "auto", "webgl" or "raster"\)/],
  ] as const) {
    it(`rejects ${JSON.stringify(options)} with E_PARAM`, () => {
      expect(() => pointScatter(data, { ...(options as object), document })).toThrow(message);
      try {
        pointScatter(data, { ...(options as object), document });
      } catch (error) {
        expect((error as HiddenAtlasError).code).toBe("E_PARAM");
      }
    });
  }
});

describe("embeddingScatter static figures", () => {
  it("are SVG dots up to 20,000 points and pointScatter's PNG above (reports at full size)", async () => {
    const { embeddingScatter } = await import("../../src/views/scatter.ts");
    const { x, y, color } = cloud(SVG_MAX_POINTS + 1);
    const big = embeddingScatter({ x, y }, { color, document: reportDocument() });
    expect(big.querySelectorAll("svg image.atlas-points-raster").length).toBe(1);
    expect(big.querySelectorAll("g[aria-label=dot] circle").length).toBe(0);
    const small = embeddingScatter(
      { x, y, index: Array.from({ length: 1000 }, (_, i) => i) },
      { color, document: reportDocument() },
    );
    expect(small.querySelectorAll("g[aria-label=dot] circle").length).toBe(1000);
    expect(small.querySelector("image")).toBeNull();
  });
});
