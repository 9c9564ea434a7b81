// The scatter's point grid: hover picking, arrow-key navigation and lasso membership, on
// hand-checked cases and against brute force over all points.
import { describe, expect, it } from "vitest";
import { HiddenAtlasError } from "../../src/core/errors.ts";
import { PointGrid, pointInPolygon } from "../../src/views/point-grid.ts";
import { mulberry32 } from "../helpers.ts";

const unit = (k: number) => ({ pixelsPerUnitX: k, pixelsPerUnitY: k });

/** Clustered points: ten Gaussian blobs on a ring plus a uniform background. */
function blobs(n: number, seed: number): { x: Float64Array; y: Float64Array } {
  const random = mulberry32(seed);
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (i % 7 === 0) {
      x[i] = random() * 10 - 5;
      y[i] = random() * 10 - 5;
      continue;
    }
    const a = ((i % 10) / 10) * 2 * Math.PI;
    const g = Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
    const h = Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
    x[i] = 3 * Math.cos(a) + 0.4 * g;
    y[i] = 3 * Math.sin(a) + 0.4 * h;
  }
  return { x, y };
}

/** Brute force: nearest on screen within radius, ties to the earlier point. */
function bruteNearest(
  x: Float64Array,
  y: Float64Array,
  qx: number,
  qy: number,
  kx: number,
  ky: number,
  radius: number,
): number {
  let best = -1;
  let bestD2 = radius * radius;
  for (let i = 0; i < x.length; i++) {
    const d2 = ((x[i] - qx) * kx) ** 2 + ((y[i] - qy) * ky) ** 2;
    if (d2 < bestD2 || (d2 === bestD2 && best < 0)) {
      bestD2 = d2;
      best = i;
    }
  }
  return best;
}

describe("PointGrid.nearest", () => {
  const grid = PointGrid.build([0, 1, 0, 5], [0, 0, 1, 5]);

  it("returns the point nearest to the cursor on screen", () => {
    // At 10 px per unit, (0.4, 0.1) is 4.1 px from (0, 0) and 6.1 px from (1, 0).
    expect(grid.nearest(0.4, 0.1, unit(10), 24)).toBe(0);
    expect(grid.nearest(0.9, 0.2, unit(10), 24)).toBe(1);
    expect(grid.nearest(0.1, 0.8, unit(10), 24)).toBe(2);
    expect(grid.nearest(4, 4, unit(10), 24)).toBe(3); // 14.1 px away
  });

  it("returns -1 when no point is within the radius", () => {
    // (3, 3) is 28.3 px from (5, 5) and 36 px from (1, 0) at 10 px per unit.
    expect(grid.nearest(3, 3, unit(10), 24)).toBe(-1);
    expect(grid.nearest(3, 3, unit(10), 29)).toBe(3);
    expect(grid.nearest(-100, 40, unit(10), 24)).toBe(-1); // far outside the points' extent
  });

  it("measures distance on screen, where the axes may have different scales", () => {
    const g = PointGrid.build([1, 0], [0, 2]);
    // Data distances 1 and 2; on screen (10 px per x unit, 1 px per y unit) 10 and 2.
    expect(g.nearest(0, 0, { pixelsPerUnitX: 10, pixelsPerUnitY: 1 }, 24)).toBe(1);
    expect(g.nearest(0, 0, unit(10), 24)).toBe(0);
  });

  it("breaks ties by draw order", () => {
    expect(PointGrid.build([1, -1], [0, 0]).nearest(0, 0, unit(10), 24)).toBe(0);
    expect(PointGrid.build([-1, 1], [0, 0]).nearest(0, 0, unit(10), 24)).toBe(0);
    // Duplicates: the first drawn wins.
    expect(PointGrid.build([2, 2, 2], [3, 3, 3]).nearest(2, 3, unit(1), 24)).toBe(0);
  });

  it("agrees with brute force on 20,000 clustered points at several zooms and radii", () => {
    const { x, y } = blobs(20_000, 3);
    const g = PointGrid.build(x, y);
    const random = mulberry32(9);
    let found = 0;
    for (const [kx, ky, radius] of [
      [60, 60, 24],
      [600, 600, 24],
      [6, 40, 24],
      [60, 60, 3],
      [2000, 2000, 10],
    ]) {
      for (let q = 0; q < 300; q++) {
        const qx = random() * 14 - 7;
        const qy = random() * 14 - 7;
        const expected = bruteNearest(x, y, qx, qy, kx, ky, radius);
        expect(g.nearest(qx, qy, { pixelsPerUnitX: kx, pixelsPerUnitY: ky }, radius)).toBe(
          expected,
        );
        if (expected >= 0) found++;
      }
    }
    expect(found).toBeGreaterThan(500); // the comparison covered hits, not only misses
  });
});

describe("PointGrid.nearestInDirection", () => {
  // A 3 × 3 lattice, row by row from the bottom: index = 3 · row + column, y up.
  const lattice = PointGrid.build([0, 1, 2, 0, 1, 2, 0, 1, 2], [0, 0, 0, 1, 1, 1, 2, 2, 2]);
  const right: [number, number] = [1, 0];
  const left: [number, number] = [-1, 0];
  const up: [number, number] = [0, -1]; // screen up = data y up
  const down: [number, number] = [0, 1];

  it("moves to the neighbour in the arrow's direction (screen up is larger y)", () => {
    expect(lattice.nearestInDirection(4, ...right, unit(10))).toBe(5);
    expect(lattice.nearestInDirection(4, ...left, unit(10))).toBe(3);
    expect(lattice.nearestInDirection(4, ...up, unit(10))).toBe(7);
    expect(lattice.nearestInDirection(4, ...down, unit(10))).toBe(1);
  });

  it("returns -1 at the edge, where no point lies in that direction", () => {
    expect(lattice.nearestInDirection(5, ...right, unit(10))).toBe(-1);
    expect(lattice.nearestInDirection(6, ...up, unit(10))).toBe(-1);
  });

  it("keeps within 45° of the direction and prefers the nearer point", () => {
    // From (0, 0): (3, 1) is 18.4° off the +x axis and nearer than (5, 0); (1, 2) is 63° off.
    const g = PointGrid.build([0, 5, 3, 1], [0, 0, 1, 2]);
    expect(g.nearestInDirection(0, ...right, unit(1))).toBe(2);
    expect(g.nearestInDirection(0, ...up, unit(1))).toBe(3);
  });

  it("agrees with a brute-force cone search on clustered points", () => {
    const { x, y } = blobs(5_000, 5);
    const g = PointGrid.build(x, y);
    const random = mulberry32(2);
    for (let q = 0; q < 200; q++) {
      const from = Math.floor(random() * x.length);
      for (const [dx, dy] of [right, left, up, down]) {
        let best = -1;
        let bestD2 = Infinity;
        for (let i = 0; i < x.length; i++) {
          if (i === from) continue;
          const ox = (x[i] - x[from]) * 50;
          const oy = -(y[i] - y[from]) * 50;
          const along = ox * dx + oy * dy;
          if (along <= 0 || Math.abs(ox * dy - oy * dx) > along) continue;
          const d2 = ox * ox + oy * oy;
          if (d2 < bestD2) {
            bestD2 = d2;
            best = i;
          }
        }
        expect(g.nearestInDirection(from, dx, dy, unit(50))).toBe(best);
      }
    }
  });
});

describe("lasso membership", () => {
  const square = [0, 0, 2, 0, 2, 2, 0, 2];

  it("pointInPolygon: inside and outside a square", () => {
    expect(pointInPolygon(1, 1, square)).toBe(true);
    expect(pointInPolygon(1.99, 0.01, square)).toBe(true);
    expect(pointInPolygon(3, 1, square)).toBe(false);
    expect(pointInPolygon(-0.5, 1, square)).toBe(false);
    expect(pointInPolygon(1, 2.5, square)).toBe(false);
  });

  it("pointInPolygon: the notch of a concave U is outside", () => {
    // A U: outer 0..3 × 0..3 with the notch 1..2 × 1..3 cut out of the top.
    const u = [0, 0, 3, 0, 3, 3, 2, 3, 2, 1, 1, 1, 1, 3, 0, 3];
    expect(pointInPolygon(0.5, 2.5, u)).toBe(true); // left arm
    expect(pointInPolygon(2.5, 2.5, u)).toBe(true); // right arm
    expect(pointInPolygon(1.5, 0.5, u)).toBe(true); // base
    expect(pointInPolygon(1.5, 2, u)).toBe(false); // the notch
  });

  it("pointInPolygon: the centre of a pentagram is outside by the even–odd rule", () => {
    const star: number[] = [];
    for (let k = 0; k < 5; k++) {
      const a = Math.PI / 2 + (k * 2 * 2 * Math.PI) / 5; // every second vertex of a pentagon
      star.push(Math.cos(a), Math.sin(a));
    }
    expect(pointInPolygon(0, 0, star)).toBe(false);
    expect(pointInPolygon(0, 0.8, star)).toBe(true); // inside the top point
  });

  it("PointGrid.insidePolygon returns the enclosed points in draw order", () => {
    const g = PointGrid.build([1, 3, 0.5, 1.5, -1, 1.9], [1, 1, 0.5, 1.9, 1, 0.1]);
    expect(Array.from(g.insidePolygon(square))).toEqual([0, 2, 3, 5]);
    expect(Array.from(g.insidePolygon([0, 0, 2, 0]))).toEqual([]); // two vertices enclose nothing
  });

  it("PointGrid.insidePolygon agrees with pointInPolygon on 30,000 points and random lassos", () => {
    const { x, y } = blobs(30_000, 11);
    const g = PointGrid.build(x, y);
    const random = mulberry32(4);
    let total = 0;
    for (let trial = 0; trial < 12; trial++) {
      // A wobbly closed loop of 40–200 vertices around a random centre, like a hand-drawn lasso.
      const m = 40 + Math.floor(random() * 160);
      const cx = random() * 6 - 3;
      const cy = random() * 6 - 3;
      const polygon: number[] = [];
      for (let k = 0; k < m; k++) {
        const a = (k / m) * 2 * Math.PI;
        const radius = 0.5 + 2.5 * random();
        polygon.push(cx + radius * Math.cos(a), cy + radius * Math.sin(a));
      }
      const expected: number[] = [];
      for (let i = 0; i < x.length; i++) if (pointInPolygon(x[i], y[i], polygon)) expected.push(i);
      expect(Array.from(g.insidePolygon(polygon))).toEqual(expected);
      total += expected.length;
    }
    expect(total).toBeGreaterThan(10_000);
  });
});

describe("PointGrid.build", () => {
  it("rejects non-finite coordinates, naming the sample", () => {
    expect(() => PointGrid.build([0, NaN], [0, 1], [7, 12])).toThrow(HiddenAtlasError);
    expect(() => PointGrid.build([0, NaN], [0, 1], [7, 12])).toThrow(
      /sample 12 has coordinates \(NaN, 1\)/,
    );
    try {
      PointGrid.build([0], [Infinity]);
    } catch (error) {
      expect((error as HiddenAtlasError).code).toBe("E_NON_FINITE");
    }
  });

  it("rejects x and y of different lengths", () => {
    expect(() => PointGrid.build([0, 1], [0])).toThrow(/x has 2 values but y has 1/);
  });

  it("handles no points and points on one spot", () => {
    expect(PointGrid.build([], []).nearest(0, 0, unit(1), 24)).toBe(-1);
    const same = PointGrid.build([2, 2], [2, 2]);
    expect(same.nearest(2.5, 2, unit(10), 24)).toBe(0);
    expect(Array.from(same.insidePolygon([1, 1, 3, 1, 3, 3, 1, 3]))).toEqual([0, 1]);
  });
});
