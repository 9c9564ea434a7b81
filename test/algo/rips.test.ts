import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { bottleneck } from "../../src/algo/diagrams.ts";
import { persistentHomology, type PersistenceDiagram } from "../../src/algo/rips.ts";
import type { Matrix } from "../../src/core/matrix.ts";
import { getCore } from "../../src/core/wasm.ts";
import { readNpy } from "../../src/io/npy.ts";
import { mulberry32, randomMatrix } from "../helpers.ts";

const fixture = (name: string) => new URL(`../fixtures/ph/${name}`, import.meta.url);

function loadPoints(name: string): Matrix {
  const arr = readNpy(new Uint8Array(readFileSync(fixture(name))));
  return {
    rows: arr.shape[0],
    cols: arr.shape[1],
    data: Float32Array.from(arr.data as ArrayLike<number>),
  };
}

type Reference = Record<string, [number, number | null][]>;
const loadReference = (name: string): Reference => JSON.parse(readFileSync(fixture(name), "utf8"));

/** Ripser's pairs as a diagram (null death = essential). */
const referenceDiagram = (pairs: [number, number | null][]) => ({
  births: pairs.map((p) => p[0]),
  deaths: pairs.map((p) => (p[1] === null ? Infinity : p[1])),
});

/** Bottleneck distance between two diagrams, essential classes matched by birth. */
async function distanceTo(
  ours: PersistenceDiagram,
  ref: [number, number | null][],
): Promise<number> {
  return (await bottleneck(ours, referenceDiagram(ref), { infinite: "match" })).distance;
}

const pairs = (d: PersistenceDiagram) => Array.from(d.births, (b, i) => [b, d.deaths[i]]);

/** float32 Euclidean distance of two rows, computed as the core does (float64, one rounding). */
function dist32(X: Matrix, i: number, j: number): number {
  let s = 0;
  for (let c = 0; c < X.cols; c++) s += (X.data[i * X.cols + c] - X.data[j * X.cols + c]) ** 2;
  return Math.fround(Math.sqrt(s));
}

function regularPolygon(n: number): Matrix {
  const data = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    data[2 * i] = Math.cos((2 * Math.PI * i) / n);
    data[2 * i + 1] = Math.sin((2 * Math.PI * i) / n);
  }
  return { rows: n, cols: 2, data };
}

function distanceMatrix(X: Matrix): Matrix {
  const n = X.rows;
  const data = new Float32Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) data[i * n + j] = i === j ? 0 : dist32(X, i, j);
  return { rows: n, cols: n, data };
}

describe("persistentHomology matches Ripser 1.2.1", () => {
  const cases = [
    { name: "circle_n500", maxdim: 1 },
    { name: "torus_n400", maxdim: 2 },
    { name: "sphere3_n36", maxdim: 3 },
  ];
  for (const { name, maxdim } of cases) {
    for (const edgeCollapse of [true, false]) {
      if (name === "torus_n400" && !edgeCollapse) continue; // the uncollapsed H2 assembly is the slow path; covered below
      it(`${name} (maxdim ${maxdim}, edgeCollapse ${edgeCollapse}): same pair counts, bottleneck ≤ 1e-5 per degree`, async () => {
        const X = loadPoints(`${name}.npy`);
        const ref = loadReference(`${name}.ripser.json`);
        const result = await persistentHomology(X, { maxdim, edgeCollapse });
        expect(result.diagrams.map((d) => d.dim)).toEqual([...Array(maxdim + 1).keys()]);
        for (let dim = 0; dim <= maxdim; dim++) {
          const ours = result.diagrams[dim];
          expect(ours.births.length, `H${dim} pairs`).toBe(ref[String(dim)].length);
          expect(
            await distanceTo(ours, ref[String(dim)]),
            `H${dim} bottleneck`,
          ).toBeLessThanOrEqual(1e-5);
        }
        // With the enclosing-radius threshold only H0 has an essential class.
        expect(result.diagrams[0].deaths.filter((d) => d === Infinity).length).toBe(1);
        for (let dim = 1; dim <= maxdim; dim++)
          expect(result.diagrams[dim].deaths.every(Number.isFinite)).toBe(true);
      });
    }
  }

  it("torus_n400 without edge collapse agrees with the collapsed run exactly", async () => {
    const X = loadPoints("torus_n400.npy");
    // H2 of all 400 points without collapse assembles ~10⁷ triangles: use the first 150.
    const Y = { rows: 150, cols: X.cols, data: X.data.slice(0, 150 * X.cols) };
    const a = await persistentHomology(Y, { maxdim: 2, edgeCollapse: true });
    const b = await persistentHomology(Y, { maxdim: 2, edgeCollapse: false });
    for (let dim = 0; dim <= 2; dim++)
      expect(pairs(a.diagrams[dim])).toEqual(pairs(b.diagrams[dim]));
  });
});

describe("persistentHomology hand-checkable cases", () => {
  it("4 points on a square: one H1 bar [side, diagonal)", async () => {
    const X: Matrix = { rows: 4, cols: 2, data: Float32Array.from([0, 0, 1, 0, 1, 1, 0, 1]) };
    const { diagrams, threshold } = await persistentHomology(X);
    expect(threshold).toBe(Math.fround(Math.SQRT2));
    expect(pairs(diagrams[0])).toEqual([
      [0, 1],
      [0, 1],
      [0, 1],
      [0, Infinity],
    ]);
    expect(pairs(diagrams[1])).toEqual([[1, Math.fround(Math.SQRT2)]]);
  });

  it("a regular pentagon: H1 = [side, diagonal); a hexagon: H2 = [√3, 2)", async () => {
    const P = regularPolygon(5);
    const side = dist32(P, 0, 1);
    const diagonal = Math.max(
      dist32(P, 0, 2),
      dist32(P, 1, 3),
      dist32(P, 2, 4),
      dist32(P, 3, 0),
      dist32(P, 4, 1),
    );
    const five = await persistentHomology(P, { maxdim: 2 });
    expect(five.diagrams[0].births.length).toBe(5);
    expect(five.diagrams[1].births.length).toBe(1);
    expect(five.diagrams[1].births[0]).toBeCloseTo(side, 6);
    expect(five.diagrams[1].deaths[0]).toBe(diagonal);
    expect(five.diagrams[2].births.length).toBe(0);
    // The six vertices of a hexagon at scale √3 span an octahedron: a 2-sphere until scale 2.
    const H = regularPolygon(6);
    const six = await persistentHomology(H, { maxdim: 2 });
    expect(six.diagrams[1].births.length).toBe(1);
    expect(six.diagrams[2].births.length).toBe(1);
    expect(six.diagrams[2].births[0]).toBeCloseTo(Math.sqrt(3), 6);
    expect(six.diagrams[2].deaths[0]).toBeCloseTo(2, 6);
  });

  it("duplicate points: zero-length H0 pairs are dropped, so |H0| < n", async () => {
    const X: Matrix = { rows: 5, cols: 2, data: Float32Array.from([0, 0, 0, 0, 3, 0, 3, 0, 3, 0]) };
    const { diagrams } = await persistentHomology(X);
    expect(pairs(diagrams[0])).toEqual([
      [0, 3],
      [0, Infinity],
    ]);
    expect(diagrams[1].births.length).toBe(0);
  });

  it("a threshold below the enclosing radius truncates bars and makes essential H1 classes", async () => {
    const X: Matrix = { rows: 4, cols: 2, data: Float32Array.from([0, 0, 1, 0, 1, 1, 0, 1]) };
    const result = await persistentHomology(X, { threshold: 1.2 });
    expect(result.threshold).toBe(1.2);
    expect(pairs(result.diagrams[1])).toEqual([[1, Infinity]]);
    const low = await persistentHomology(X, { threshold: 0.5 });
    expect(pairs(low.diagrams[0])).toEqual([
      [0, Infinity],
      [0, Infinity],
      [0, Infinity],
      [0, Infinity],
    ]);
    // A threshold above the enclosing radius changes nothing.
    const high = await persistentHomology(X, { threshold: 10 });
    expect(pairs(high.diagrams[1])).toEqual([[1, Math.fround(Math.SQRT2)]]);
    expect(high.threshold).toBe(10);
  });

  it("n = 1 and n = 2", async () => {
    const one = await persistentHomology(
      { rows: 1, cols: 3, data: new Float32Array(3) },
      { maxdim: 2 },
    );
    expect(pairs(one.diagrams[0])).toEqual([[0, Infinity]]);
    expect(one.diagrams[1].births.length + one.diagrams[2].births.length).toBe(0);
    const two = await persistentHomology(
      { rows: 2, cols: 1, data: Float32Array.from([0, 2.5]) },
      { maxdim: 1 },
    );
    expect(pairs(two.diagrams[0])).toEqual([
      [0, 2.5],
      [0, Infinity],
    ]);
    expect(two.diagrams[1].births.length).toBe(0);
  });

  it("points near float32's limit: edges longer than 3.4e38 are finite, not missing (one essential H0 class)", async () => {
    // ±3e38 are 6e38 apart, past float32's largest value: the distance must not become ∞.
    const two = await persistentHomology(
      { rows: 2, cols: 1, data: Float32Array.from([-3e38, 3e38]) },
      { maxdim: 1 },
    );
    expect(pairs(two.diagrams[0])).toEqual([
      [0, 2 * Math.fround(3e38)],
      [0, Infinity],
    ]);
    expect(two.enclosingRadius).toBe(2 * Math.fround(3e38));
    // A square of side 2e38 (diagonal 2.83e38): H1 = [side, diagonal), scaled back exactly.
    const side = Math.fround(2e38);
    const square = await persistentHomology(
      { rows: 4, cols: 2, data: Float32Array.from([0, 0, side, 0, side, side, 0, side]) },
      { maxdim: 1 },
    );
    expect(pairs(square.diagrams[0])).toEqual([
      [0, side],
      [0, side],
      [0, side],
      [0, Infinity],
    ]);
    expect(square.diagrams[1].births[0]).toBe(side);
    expect(square.diagrams[1].deaths[0] / side).toBeCloseTo(Math.SQRT2, 6);
    expect(square.params.threshold).toBe("enclosing");
  });

  it("distance-matrix input gives the same diagrams as point input", async () => {
    const X = randomMatrix(60, 5, 17);
    const D = distanceMatrix(X);
    for (const edgeCollapse of [true, false]) {
      const a = await persistentHomology(X, { maxdim: 2, edgeCollapse });
      const b = await persistentHomology(D, { maxdim: 2, input: "distances", edgeCollapse });
      for (let dim = 0; dim <= 2; dim++)
        expect(pairs(b.diagrams[dim])).toEqual(pairs(a.diagrams[dim]));
    }
  });

  it("is deterministic: the same input gives bit-identical diagrams", async () => {
    const X = loadPoints("circle_n500.npy");
    const a = await persistentHomology(X);
    const b = await persistentHomology(X);
    for (let dim = 0; dim <= 1; dim++) {
      expect(
        Buffer.from(a.diagrams[dim].births.buffer).equals(
          Buffer.from(b.diagrams[dim].births.buffer),
        ),
      ).toBe(true);
      expect(
        Buffer.from(a.diagrams[dim].deaths.buffer).equals(
          Buffer.from(b.diagrams[dim].deaths.buffer),
        ),
      ).toBe(true);
    }
  });

  it("edge collapse never changes the diagrams (random clouds, degrees 0–3)", async () => {
    for (const [n, d, maxdim, seed] of [
      [80, 3, 2, 1],
      [120, 8, 1, 2],
      [30, 4, 3, 3],
      [70, 2, 2, 4],
    ]) {
      const X = randomMatrix(n, d, seed);
      const a = await persistentHomology(X, { maxdim, edgeCollapse: true });
      const b = await persistentHomology(X, { maxdim, edgeCollapse: false });
      expect(a.stats.edgesAfterCollapse).toBeLessThan(a.stats.edges);
      for (let dim = 0; dim <= maxdim; dim++)
        expect(pairs(a.diagrams[dim])).toEqual(pairs(b.diagrams[dim]));
    }
  });

  it("Z/3 coefficients give the Z/2 diagrams on a torus (no torsion)", async () => {
    const X = loadPoints("torus_n400.npy");
    const Y = { rows: 120, cols: X.cols, data: X.data.slice(0, 120 * X.cols) };
    const z2 = await persistentHomology(Y, { maxdim: 2 });
    const z3 = await persistentHomology(Y, { maxdim: 2, coefficients: 3 });
    for (let dim = 0; dim <= 2; dim++)
      expect(pairs(z3.diagrams[dim])).toEqual(pairs(z2.diagrams[dim]));
  });

  it("Z/2 and Z/3 differ on a projective plane the way 2-torsion predicts", async () => {
    // RP² as antipodal classes of the sphere: points of S² with the metric min(|x − y|, |x + y|).
    const random = mulberry32(5);
    const n = 60;
    const S: number[][] = [];
    while (S.length < n) {
      const v = [random() * 2 - 1, random() * 2 - 1, random() * 2 - 1];
      const r = Math.hypot(...v);
      if (r > 0.2 && r <= 1) S.push(v.map((x) => x / r));
    }
    const data = new Float32Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (i === j) continue;
        const minus = Math.hypot(S[i][0] - S[j][0], S[i][1] - S[j][1], S[i][2] - S[j][2]);
        const plus = Math.hypot(S[i][0] + S[j][0], S[i][1] + S[j][1], S[i][2] + S[j][2]);
        data[i * n + j] = Math.fround(Math.min(minus, plus));
      }
    }
    const D = { rows: n, cols: n, data };
    const z2 = await persistentHomology(D, { input: "distances", maxdim: 2 });
    const z3 = await persistentHomology(D, { input: "distances", maxdim: 2, coefficients: 3 });
    const longest = (d: PersistenceDiagram) => {
      let best = 0;
      for (let i = 1; i < d.births.length; i++)
        if (d.deaths[i] - d.births[i] > d.deaths[best] - d.births[best]) best = i;
      return [d.births[best], d.deaths[best]];
    };
    // Over Z/2 the essential loop of RP² lives until the last 2-cells arrive; over Z/3 it dies
    // as soon as the projective plane closes (the loop becomes 2-torsion), which is exactly when
    // the Z/2 fundamental class is born; the Z/3 "H2" bar is born when the Z/2 loop dies.
    const [b2, d2] = longest(z2.diagrams[1]);
    const loop3 = Array.from(z3.diagrams[1].births).indexOf(b2);
    const d3 = z3.diagrams[1].deaths[loop3];
    expect(d3).toBeLessThan(d2 - 0.05);
    expect(Array.from(z2.diagrams[2].births)).toContain(d3);
    expect(Array.from(z3.diagrams[2].births)).toContain(d2);
    expect(pairs(z3.diagrams[0])).toEqual(pairs(z2.diagrams[0]));
  });

  it("cocycles: δz vanishes on every triangle born before the death, and z detects the loop", async () => {
    const P = regularPolygon(7);
    for (const coefficients of [2, 3]) {
      const result = await persistentHomology(P, { cocycles: true, coefficients });
      expect(result.params.edgeCollapse).toBe(false);
      const h1 = result.diagrams[1];
      expect(h1.births.length).toBe(1);
      const z = result.cocycles![1][0];
      const value = new Map<string, number>();
      for (let r = 0; r < z.length; r += 3)
        value.set(`${Math.max(z[r], z[r + 1])},${Math.min(z[r], z[r + 1])}`, z[r + 2]);
      const at = (a: number, b: number) => {
        const v = value.get(`${Math.max(a, b)},${Math.min(a, b)}`) ?? 0;
        return a > b ? v : (coefficients - v) % coefficients; // z is alternating: z(b, a) = −z(a, b)
      };
      for (let a = 0; a < 7; a++) {
        for (let b = a + 1; b < 7; b++) {
          for (let c = b + 1; c < 7; c++) {
            const diam = Math.max(dist32(P, a, b), dist32(P, a, c), dist32(P, b, c));
            if (diam >= h1.deaths[0]) continue;
            expect(
              (((at(b, c) - at(a, c) + at(a, b)) % coefficients) + coefficients) % coefficients,
            ).toBe(0);
          }
        }
      }
      let loop = 0;
      for (let i = 0; i < 7; i++) loop += at((i + 1) % 7, i);
      expect(((loop % coefficients) + coefficients) % coefficients).not.toBe(0);
    }
  });
});

describe("persistentHomology validation, limits and cancellation", () => {
  const X = randomMatrix(10, 2, 3);

  it("rejects invalid options with uniform messages", async () => {
    await expect(persistentHomology(X, { maxdim: 4 })).rejects.toThrow(
      /invalid maxdim: 4 \(expected an integer from 0 to 3\)/,
    );
    await expect(persistentHomology(X, { coefficients: 4 })).rejects.toThrow(
      /invalid coefficients: 4 \(expected a prime/,
    );
    await expect(persistentHomology(X, { coefficients: 257 })).rejects.toThrow(
      /invalid coefficients: 257/,
    );
    await expect(persistentHomology(X, { threshold: -1 })).rejects.toThrow(/invalid threshold: -1/);
    await expect(persistentHomology(X, { input: "graph" as never })).rejects.toThrow(
      /invalid input: "graph"/,
    );
    await expect(persistentHomology(X, { maxDim: 1 } as never)).rejects.toThrow(
      /unknown option for persistentHomology: "maxDim"/,
    );
    await expect(
      persistentHomology({ rows: 0, cols: 2, data: new Float32Array(0) }),
    ).rejects.toMatchObject({ code: "E_PARAM" });
  });

  it("checks distance matrices: square, no NaN, non-negative, zero diagonal, symmetric", async () => {
    const input = "distances" as const;
    await expect(persistentHomology(X, { input })).rejects.toMatchObject({
      code: "E_SHAPE_MISMATCH",
    });
    const D = distanceMatrix(X);
    const bad = (i: number, j: number, v: number) => {
      const data = D.data.slice();
      data[i * 10 + j] = v;
      return { rows: 10, cols: 10, data };
    };
    await expect(persistentHomology(bad(2, 3, NaN), { input })).rejects.toMatchObject({
      code: "E_NON_FINITE",
    });
    await expect(persistentHomology(bad(2, 3, -1), { input })).rejects.toThrow(/negative/);
    await expect(persistentHomology(bad(4, 4, 1), { input })).rejects.toThrow(/diagonal/);
    await expect(persistentHomology(bad(5, 1, 9), { input })).rejects.toThrow(/not symmetric/);
    const nan = randomMatrix(5, 2, 1);
    nan.data[3] = NaN;
    await expect(persistentHomology(nan)).rejects.toMatchObject({ code: "E_NON_FINITE" });
  });

  it("refuses with E_TOO_LARGE, naming the bytes, before running out of memory", async () => {
    const big = { rows: 40000, cols: 1, data: new Float32Array(40000) };
    const error = await persistentHomology(big).catch((e) => e);
    expect(error.code).toBe("E_TOO_LARGE");
    expect(error.message).toMatch(/needs at least .* GiB/);
    expect(error.details.bytesNeeded).toBeGreaterThan(4 * 40000 * 40000);
    // Only fewer points shrink a distance matrix: the advice names them, not a threshold.
    expect(error.details.remedies).toHaveLength(1);
    const [fewer] = error.details.remedies;
    expect(fewer).toMatchObject({ option: "points", basis: "exact" });
    expect(fewer.bytes).toBeLessThan(error.details.bytesNeeded);
    expect(4 * fewer.value ** 2 + 8 * fewer.value ** 2).toBeLessThanOrEqual(
      error.details.bytesAvailable,
    ); // matrix and every edge
    expect(error.message).toContain(`It fits with ${fewer.value} points`);
    expect(error.message).not.toMatch(/threshold \d|maxdim \d/);
    const overflow = await persistentHomology(
      { rows: 65535, cols: 1, data: new Float32Array(65535) },
      { maxdim: 3 },
    ).catch((e) => e);
    expect(overflow.code).toBe("E_TOO_LARGE");
    expect(overflow.message).toMatch(/55-bit simplex index/);
    // C(65535, 5) and C(65535, 4) overflow 2^55; C(65535, 3) and C(M, 5) for the largest such M fit.
    const C = (n: number, k: number) => {
      let c = 1n;
      for (let i = 1; i <= k; i++) c = (c * BigInt(n - k + i)) / BigInt(i);
      return c;
    };
    const limit = (1n << 55n) - 1n;
    const [dim, points] = overflow.details.remedies;
    expect([dim.option, dim.value, points.option]).toEqual(["maxdim", 1, "points"]);
    expect(C(65535, 4)).toBeGreaterThan(limit);
    expect(C(points.value, 5)).toBeLessThanOrEqual(limit);
    expect(C(points.value + 1, 5)).toBeGreaterThan(limit);
    expect(overflow.message).toContain(
      `It fits with maxdim 1 (C(65535, 3) = ${C(65535, 3)}) or ${points.value} points`,
    );
    for (const r of overflow.details.remedies)
      expect(BigInt(r.simplices)).toBeLessThan(BigInt(overflow.details.simplices));
    await expect(persistentHomology(big, { memoryLimit: 0 })).rejects.toThrow(
      /invalid memoryLimit: 0/,
    );
  });

  /** Run with the remedy applied (first M rows for a subsample: the points are in random order). */
  const applying = (
    X: Matrix,
    options: Parameters<typeof persistentHomology>[1],
    r: { option: string; value: number | boolean },
  ) =>
    r.option === "points"
      ? persistentHomology(
          {
            rows: r.value as number,
            cols: X.cols,
            data: X.data.slice(0, (r.value as number) * X.cols),
          },
          options,
        )
      : persistentHomology(X, { ...options, [r.option]: r.value });

  it("E_TOO_LARGE advice: every remedy it names lowers the need it printed, and the exact and measured ones then fit", async () => {
    const circle = noisyCircle(400, 1, 0, 0, 0.2, 3);
    // The distance matrix (640 KiB) does not fit in 300 KB: fewer points, exactly.
    const matrix = await persistentHomology(circle, { memoryLimit: 300_000 }).catch((e) => e);
    expect(matrix.details).toMatchObject({
      stage: "distance matrix",
      bytesNeeded: 4 * 400 * 400 + 8 * 4 * 401 + 4 * 252 + 128 + 4 * 401,
    });
    // The edge list (16 bytes per edge within the enclosing radius) does not fit in 900 KB.
    const edges = await persistentHomology(circle, { memoryLimit: 900_000 }).catch((e) => e);
    expect(edges.details.stage).toBe("edge list");
    expect(edges.message).toMatch(
      /its edge list of [\d,]+ edges needs at least .* It fits with threshold [\d.]+ \([\d,]+ edges within it\): [\d.]+ KiB; or \d+ points \(a subsample\): ≈ [\d.]+ KiB expected\./,
    );
    expect(edges.details.remedies.map((r: { option: string }) => r.option)).toEqual([
      "threshold",
      "points",
    ]);
    for (const error of [matrix, edges]) {
      expect(error.code).toBe("E_TOO_LARGE");
      for (const r of error.details.remedies) {
        expect(r.bytes).toBeLessThan(error.details.bytesNeeded);
        expect(r.bytes).toBeLessThanOrEqual(error.details.bytesAvailable);
        const rerun = await applying(circle, { memoryLimit: error.details.bytesAvailable }, r);
        expect(rerun.stats.peakBytes).toBeLessThanOrEqual(error.details.bytesAvailable);
      }
    }
    const threshold = edges.details.remedies[0];
    const kept = await persistentHomology(circle, { threshold: threshold.value });
    expect(kept.stats.edges).toBe(threshold.simplices); // the edges it counted are the edges that run lists
  });

  it("E_TOO_LARGE advice for later stages: maxdim and cycles measured, threshold and points scaled", async () => {
    const cloud = randomMatrix(80, 16, 5);
    const options = {} as const;
    const peak = async (o: object) =>
      (await persistentHomology(cloud, { ...options, ...o })).stats.peakBytes;
    // H2 needs more than H0–H1 (whose binomial table is one row shorter), H1 cycles more than
    // H1: limits in between.
    const [h1, h2, withCycles] = [
      await peak({ maxdim: 1 }),
      await peak({ maxdim: 2 }),
      await peak({ maxdim: 1, cycles: true }),
    ];
    expect(h2).toBeGreaterThan(h1 + 8 * 81 + 1000);
    expect(withCycles).toBeGreaterThan(h1 + 1000);
    const degree2 = await persistentHomology(cloud, {
      ...options,
      maxdim: 2,
      memoryLimit: (h1 + 8 * 81 + h2) / 2,
    }).catch((e) => e);
    expect(degree2.details.stage).toMatch(/^H2/);
    expect(degree2.message).toMatch(
      /needs more than .* It fits with maxdim 1: [\d.]+ KiB \(measured\)/,
    );
    const cycles = await persistentHomology(cloud, {
      ...options,
      cycles: true,
      memoryLimit: (h1 + withCycles) / 2,
    }).catch((e) => e);
    expect(cycles.details.stage).toBe("H1 cycles");
    expect(cycles.message).toMatch(/It fits with no cycles: [\d.]+ KiB \(measured\)/);
    for (const [error, o] of [
      [degree2, { maxdim: 2 }],
      [cycles, { cycles: true }],
    ] as const) {
      const measured = error.details.remedies.filter(
        (r: { basis: string }) => r.basis === "measured",
      );
      expect(measured).toHaveLength(1);
      for (const r of error.details.remedies)
        expect(r.bytes).toBeLessThan(error.details.bytesNeeded);
      const rerun = await applying(
        cloud,
        { ...options, ...o, memoryLimit: error.details.bytesAvailable },
        measured[0],
      );
      expect(rerun.stats.peakBytes).toBeLessThanOrEqual(measured[0].bytes);
    }
    // The H1 reduction of a dense circle without collapse fills in: 5 MB is not enough.
    const circle = noisyCircle(400, 1, 0, 0, 0.2, 3);
    const reduction = await persistentHomology(circle, {
      edgeCollapse: false,
      memoryLimit: 5e6,
    }).catch((e) => e);
    expect(reduction.details.stage).toBe("H1");
    expect(reduction.message).toMatch(
      /It needs less with threshold [\d.]+ \([\d,]+ edges within it\): ≈ [\d.]+ MiB; or \d+ points \(a subsample\): ≈ [\d.]+ MiB \(scaled from this stage's growth: estimates\)/,
    );
    for (const r of reduction.details.remedies) {
      expect(r.basis).toBe("scaled");
      expect(r.bytes).toBeLessThanOrEqual(reduction.details.bytesAvailable / 2);
    }
    const lower = reduction.details.remedies.find(
      (r: { option: string }) => r.option === "threshold",
    );
    expect(
      (await applying(circle, { edgeCollapse: false, memoryLimit: 5e6 }, lower)).stats.peakBytes,
    ).toBeLessThanOrEqual(5e6);
  });

  it("reports progress per degree and stops with E_CANCELLED, freeing its memory", async () => {
    const core = await getCore();
    const before = core.allocatedBytes;
    const Y = loadPoints("torus_n400.npy");
    const stages = new Set<string>();
    await persistentHomology(Y, { maxdim: 2, onProgress: (e) => stages.add(e.stage) });
    expect([...stages]).toEqual(
      expect.arrayContaining(["distances", "edge collapse", "H0", "H1", "H2 columns", "H2"]),
    );
    const controller = new AbortController();
    const promise = persistentHomology(Y, {
      maxdim: 2,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.stage === "H1") controller.abort();
      },
    });
    await expect(promise).rejects.toMatchObject({ code: "E_CANCELLED" });
    const aborted = new AbortController();
    aborted.abort();
    await expect(persistentHomology(Y, { signal: aborted.signal })).rejects.toMatchObject({
      code: "E_CANCELLED",
    });
    expect(core.allocatedBytes).toBe(before);
  });
});

// ---------------------------------------------------------------------------------------------
// Representative cycles

/** n points on a circle of radius r about (cx, cy), uniform angles, uniform noise of width `noise`. */
function noisyCircle(
  n: number,
  r: number,
  cx: number,
  cy: number,
  noise: number,
  seed: number,
): Matrix {
  const random = mulberry32(seed);
  const data = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const t = 2 * Math.PI * random();
    data[2 * i] = cx + r * Math.cos(t) + noise * (random() - 0.5);
    data[2 * i + 1] = cy + r * Math.sin(t) + noise * (random() - 0.5);
  }
  return { rows: n, cols: 2, data };
}

function concat(A: Matrix, B: Matrix): Matrix {
  const data = new Float32Array((A.rows + B.rows) * A.cols);
  data.set(A.data);
  data.set(B.data, A.data.length);
  return { rows: A.rows + B.rows, cols: A.cols, data };
}

/** Rows [from, to, c] of a cycle as an edge list. */
const edgesOf = (c: Int32Array) =>
  Array.from({ length: c.length / 3 }, (_, r) => [c[3 * r], c[3 * r + 1], c[3 * r + 2]]);

/** Boundary of the chain Σ c · (from → to): vertex → coefficient mod p; closed when all are 0. */
function boundaryOf(c: Int32Array, p: number): Map<number, number> {
  const b = new Map<number, number>();
  for (const [x, y, k] of edgesOf(c)) {
    b.set(y, ((b.get(y) ?? 0) + k) % p);
    b.set(x, ((b.get(x) ?? 0) + p - k) % p);
  }
  return b;
}

/** Gaussian elimination over Z/p, one vector at a time. */
class Echelon {
  private readonly rows = new Map<number, Int32Array>(); // pivot (last nonzero) → row with 1 there
  constructor(private readonly p: number) {}
  private inverse(a: number): number {
    for (let b = 1; b < this.p; b++) if ((a * b) % this.p === 1) return b;
    throw new Error("no inverse");
  }
  /** The vector reduced against the rows so far. */
  reduce(v: Int32Array): Int32Array {
    const w = Int32Array.from(v, (x) => ((x % this.p) + this.p) % this.p);
    for (let i = w.length - 1; i >= 0; i--) {
      if (w[i] === 0) continue;
      const row = this.rows.get(i);
      if (!row) continue;
      const f = w[i];
      for (let j = 0; j <= i; j++) w[j] = (((w[j] - f * row[j]) % this.p) + this.p) % this.p;
    }
    return w;
  }
  /** Add v; true when it was independent of the rows so far. */
  add(v: Int32Array): boolean {
    const w = this.reduce(v);
    let pivot = w.length - 1;
    while (pivot >= 0 && w[pivot] === 0) pivot--;
    if (pivot < 0) return false;
    const inv = this.inverse(w[pivot]);
    for (let j = 0; j <= pivot; j++) w[j] = (w[j] * inv) % this.p;
    this.rows.set(pivot, w);
    return true;
  }
  get rank(): number {
    return this.rows.size;
  }
  clone(): Echelon {
    const copy = new Echelon(this.p);
    for (const [pivot, row] of this.rows) copy.rows.set(pivot, row);
    return copy;
  }
}

/**
 * The Rips complex of a distance matrix at value t, over Z/p: its edges and triangles, the
 * boundaries of its triangles in echelon form, and β1 = dim Z1 − dim B1.
 */
function complexAt(D: Matrix, t: number, p: number) {
  const n = D.rows;
  const d = (a: number, b: number) => D.data[a * n + b];
  const edge = (a: number, b: number) => (a > b ? (a * (a - 1)) / 2 + b : (b * (b - 1)) / 2 + a);
  const m = (n * (n - 1)) / 2;
  const boundaries = new Echelon(p);
  for (let a = 2; a < n; a++) {
    for (let b = 1; b < a; b++) {
      for (let c = 0; c < b; c++) {
        if (Math.max(d(a, b), d(a, c), d(b, c)) > t) continue;
        const v = new Int32Array(m);
        v[edge(b, c)] = 1; // ∂[a, b, c] = [b, c] − [a, c] + [a, b]
        v[edge(a, c)] = p - 1;
        v[edge(a, b)] = 1;
        boundaries.add(v);
      }
    }
  }
  const parent = Array.from({ length: n }, (_, i) => i);
  const find = (x: number): number => (parent[x] === x ? x : (parent[x] = find(parent[x])));
  let edges = 0;
  let components = n;
  for (let a = 1; a < n; a++) {
    for (let b = 0; b < a; b++) {
      if (d(a, b) > t) continue;
      edges++;
      const [ra, rb] = [find(a), find(b)];
      if (ra !== rb) {
        parent[ra] = rb;
        components--;
      }
    }
  }
  /** A cycle's rows as a vector over the edges ([a, b] oriented a → b for a > b). */
  const vector = (c: Int32Array) => {
    const v = new Int32Array(m);
    for (const [x, y, k] of edgesOf(c)) v[edge(x, y)] = (v[edge(x, y)] + (x > y ? k : p - k)) % p;
    return v;
  };
  return { boundaries, betti1: edges - (n - components) - boundaries.rank, vector };
}

describe("persistentHomology representative cycles", () => {
  it("a noisy circle's long bar: a simple closed loop around the circle, longest edge = birth, the birth edge first", async () => {
    const X = noisyCircle(150, 1, 0, 0, 0.15, 11);
    for (const edgeCollapse of [true, false]) {
      const result = await persistentHomology(X, { cycles: true, edgeCollapse });
      const h1 = result.diagrams[1];
      const cycles = result.cycles![1];
      expect(result.cycles![0]).toEqual([]);
      expect(cycles).toHaveLength(h1.births.length);
      let long = 0;
      for (let i = 0; i < h1.births.length; i++)
        if (h1.deaths[i] - h1.births[i] > h1.deaths[long] - h1.births[long]) long = i;
      expect(h1.deaths[long] - h1.births[long]).toBeGreaterThan(1); // the circle's bar
      for (let i = 0; i < cycles.length; i++) {
        const edges = edgesOf(cycles[i]);
        const birth = h1.births[i];
        expect(edges.length, `cycle ${i}`).toBeGreaterThanOrEqual(3);
        // Closed, in walk order: each edge starts where the previous one ended.
        for (const v of boundaryOf(cycles[i], 2).values()) expect(v).toBe(0);
        for (let r = 0; r < edges.length; r++) expect(edges[r][2]).toBe(1);
        // Every edge within the birth, the first (the birth edge) at it.
        const lengths = edges.map(([x, y]) => dist32(X, x, y));
        expect(Math.max(...lengths)).toBeLessThanOrEqual(birth * (1 + 1e-6));
        expect(Math.abs(lengths[0] - birth)).toBeLessThanOrEqual(birth * 1e-6);
      }
      const loop = edgesOf(cycles[long]);
      for (let r = 0; r < loop.length; r++) expect(loop[(r + 1) % loop.length][0]).toBe(loop[r][1]);
      // Simple: every vertex once.
      expect(new Set(loop.map((e) => e[0])).size).toBe(loop.length);
      // All the way round: no angular gap above 45°.
      const angles = loop
        .map(([x]) => Math.atan2(X.data[2 * x + 1], X.data[2 * x]))
        .sort((a, b) => a - b);
      const gaps = angles.map((a, i) =>
        i + 1 < angles.length ? angles[i + 1] - a : angles[0] + 2 * Math.PI - a,
      );
      expect(Math.max(...gaps)).toBeLessThan(Math.PI / 4);
      // A circle of radius 1 seen with edges ≤ birth needs at least 2π / birth of them.
      expect(loop.length).toBeGreaterThanOrEqual(Math.ceil((2 * Math.PI * 0.85) / h1.births[long]));
    }
  });

  it("two circles of different sizes: each long bar's cycle lies on its own circle", async () => {
    const small = noisyCircle(60, 1, 0, 0, 0.1, 21);
    const large = noisyCircle(110, 2.5, 8, 0, 0.1, 22);
    const X = concat(small, large);
    const { diagrams, cycles } = await persistentHomology(X, { cycles: true });
    const h1 = diagrams[1];
    const byLength = Array.from(h1.births, (_, i) => i).sort(
      (a, b) => h1.deaths[b] - h1.births[b] - (h1.deaths[a] - h1.births[a]),
    );
    const [first, second] = byLength;
    expect(h1.deaths[second] - h1.births[second]).toBeGreaterThan(0.8);
    for (const i of byLength.slice(2)) expect(h1.deaths[i] - h1.births[i]).toBeLessThan(0.4);
    // The larger circle's bar dies later.
    const [bigBar, smallBar] =
      h1.deaths[first] > h1.deaths[second] ? [first, second] : [second, first];
    const rows = (i: number) => new Set(edgesOf(cycles![1][i]).flatMap(([x, y]) => [x, y]));
    for (const v of rows(smallBar)) {
      expect(v).toBeLessThan(60);
      expect(Math.abs(Math.hypot(X.data[2 * v], X.data[2 * v + 1]) - 1)).toBeLessThan(0.08);
    }
    for (const v of rows(bigBar)) {
      expect(v).toBeGreaterThanOrEqual(60);
      expect(Math.abs(Math.hypot(X.data[2 * v] - 8, X.data[2 * v + 1]) - 2.5)).toBeLessThan(0.08);
    }
  });

  it("form a barcode basis: each cycle is no boundary before its death and one at it, the live ones independent (Z/2 and Z/3 ranks)", async () => {
    const D = distanceMatrix(randomMatrix(16, 2, 43)); // four H1 bars
    for (const coefficients of [2, 3]) {
      const runs = [];
      for (const edgeCollapse of [true, false])
        runs.push(
          await persistentHomology(D, {
            input: "distances",
            cycles: true,
            coefficients,
            edgeCollapse,
          }),
        );
      const h1 = runs[0].diagrams[1];
      expect(pairs(runs[1].diagrams[1])).toEqual(pairs(h1));
      expect(h1.births.length).toBe(4);
      const values = [...new Set([...h1.births, ...h1.deaths])].sort((a, b) => a - b);
      for (const t of values) {
        const K = complexAt(D, t, coefficients);
        const alive = Array.from(h1.births, (_, i) => i).filter(
          (i) => h1.births[i] <= t && t < h1.deaths[i],
        );
        expect(alive.length).toBe(K.betti1);
        for (const { cycles } of runs) {
          // A bar dying at t has become a boundary.
          for (let i = 0; i < h1.births.length; i++) {
            if (h1.deaths[i] === t)
              expect(
                K.boundaries.reduce(K.vector(cycles![1][i])).every((x) => x === 0),
                `bar ${i} dies at ${t}`,
              ).toBe(true);
          }
          // The live cycles are independent modulo the boundaries (so they span H1(K_t)).
          const live = K.boundaries.clone();
          for (const i of alive)
            expect(live.add(K.vector(cycles![1][i])), `bar ${i} at ${t}`).toBe(true);
        }
      }
      for (const { cycles } of runs) {
        for (let i = 0; i < h1.births.length; i++) {
          for (const v of boundaryOf(cycles![1][i], coefficients).values()) expect(v).toBe(0);
          const lengths = edgesOf(cycles![1][i]).map(([x, y]) => D.data[x * D.rows + y]);
          expect(Math.max(...lengths)).toBe(h1.births[i]);
          expect(lengths[0]).toBe(h1.births[i]);
        }
      }
    }
  });

  it("essential classes below a threshold get a loop born with them that never becomes a boundary", async () => {
    const X = noisyCircle(24, 1, 0, 0, 0.1, 41);
    const D = distanceMatrix(X);
    const full = (await persistentHomology(D, { input: "distances" })).diagrams[1];
    let long = 0;
    for (let i = 0; i < full.births.length; i++)
      if (full.deaths[i] - full.births[i] > full.deaths[long] - full.births[long]) long = i;
    const threshold = Math.fround((full.births[long] + full.deaths[long]) / 2);
    const { diagrams, cycles } = await persistentHomology(D, {
      input: "distances",
      threshold,
      cycles: true,
    });
    const h1 = diagrams[1];
    const essential = Array.from(h1.deaths, (d, i) => (d === Infinity ? i : -1)).filter(
      (i) => i >= 0,
    );
    expect(essential.length).toBeGreaterThanOrEqual(1);
    const K = complexAt(D, threshold, 2);
    const alive = Array.from(h1.births, (_, i) => i).filter((i) => h1.deaths[i] > threshold);
    for (const i of alive) expect(K.boundaries.add(K.vector(cycles![1][i]))).toBe(true);
    expect(alive.length).toBe(K.betti1);
    for (const i of essential) {
      const lengths = edgesOf(cycles![1][i]).map(([x, y]) => D.data[x * 24 + y]);
      expect(lengths[0]).toBe(h1.births[i]);
      expect(Math.max(...lengths)).toBe(h1.births[i]);
    }
  });

  it("over Z/3 a loop is walked with coefficient 1 and stays closed; degree 2 and the diagrams are unchanged", async () => {
    const X = noisyCircle(60, 1, 0, 0, 0.1, 51);
    const plain = await persistentHomology(X, { maxdim: 2, coefficients: 3 });
    const withCycles = await persistentHomology(X, { maxdim: 2, coefficients: 3, cycles: true });
    for (let dim = 0; dim <= 2; dim++)
      expect(pairs(withCycles.diagrams[dim])).toEqual(pairs(plain.diagrams[dim]));
    expect(withCycles.cycles![2]).toEqual([]);
    for (const c of withCycles.cycles![1]) {
      for (const v of boundaryOf(c, 3).values()) expect(v).toBe(0);
      const edges = edgesOf(c);
      expect(edges.every((e) => e[2] === 1)).toBe(true);
    }
    expect(plain.cycles).toBeUndefined();
  });

  it("is deterministic, and rejects cycles without H1", async () => {
    const X = noisyCircle(80, 1, 0, 0, 0.2, 61);
    const a = await persistentHomology(X, { cycles: true });
    const b = await persistentHomology(X, { cycles: true });
    expect(a.cycles![1].map((c) => Array.from(c))).toEqual(b.cycles![1].map((c) => Array.from(c)));
    await expect(persistentHomology(X, { cycles: true, maxdim: 0 })).rejects.toThrow(
      /invalid cycles: true \(expected maxdim ≥ 1/,
    );
    await expect(persistentHomology(X, { cycles: 1 as never })).rejects.toThrow(
      /invalid cycles: 1/,
    );
  });

  it("reports the cycle pass as a progress stage and stops there with E_CANCELLED", async () => {
    const X = noisyCircle(80, 1, 0, 0, 0.2, 61);
    const stages: string[] = [];
    await persistentHomology(X, { cycles: true, onProgress: (e) => stages.push(e.stage) });
    expect(stages.at(-1)).toBe("H1 cycles");
    const controller = new AbortController();
    const run = persistentHomology(X, {
      cycles: true,
      signal: controller.signal,
      onProgress: (e) => e.stage === "H1 cycles" && controller.abort(),
    });
    await expect(run).rejects.toMatchObject({ code: "E_CANCELLED" });
  });
});
