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
  return { rows: arr.shape[0], cols: arr.shape[1], data: Float32Array.from(arr.data as ArrayLike<number>) };
}

type Reference = Record<string, [number, number | null][]>;
const loadReference = (name: string): Reference => JSON.parse(readFileSync(fixture(name), "utf8"));

/** Ripser's pairs as a diagram (null death = essential). */
const referenceDiagram = (pairs: [number, number | null][]) => ({
  births: pairs.map((p) => p[0]),
  deaths: pairs.map((p) => (p[1] === null ? Infinity : p[1])),
});

/** Bottleneck distance between two diagrams, essential classes matched by birth. */
async function distanceTo(ours: PersistenceDiagram, ref: [number, number | null][]): Promise<number> {
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
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) data[i * n + j] = i === j ? 0 : dist32(X, i, j);
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
          expect(await distanceTo(ours, ref[String(dim)]), `H${dim} bottleneck`).toBeLessThanOrEqual(1e-5);
        }
        // With the enclosing-radius threshold only H0 has an essential class.
        expect(result.diagrams[0].deaths.filter((d) => d === Infinity).length).toBe(1);
        for (let dim = 1; dim <= maxdim; dim++) expect(result.diagrams[dim].deaths.every(Number.isFinite)).toBe(true);
      });
    }
  }

  it("torus_n400 without edge collapse agrees with the collapsed run exactly", async () => {
    const X = loadPoints("torus_n400.npy");
    // H2 of all 400 points without collapse assembles ~10⁷ triangles: use the first 150.
    const Y = { rows: 150, cols: X.cols, data: X.data.slice(0, 150 * X.cols) };
    const a = await persistentHomology(Y, { maxdim: 2, edgeCollapse: true });
    const b = await persistentHomology(Y, { maxdim: 2, edgeCollapse: false });
    for (let dim = 0; dim <= 2; dim++) expect(pairs(a.diagrams[dim])).toEqual(pairs(b.diagrams[dim]));
  });
});

describe("persistentHomology hand-checkable cases", () => {
  it("4 points on a square: one H1 bar [side, diagonal)", async () => {
    const X: Matrix = { rows: 4, cols: 2, data: Float32Array.from([0, 0, 1, 0, 1, 1, 0, 1]) };
    const { diagrams, threshold } = await persistentHomology(X);
    expect(threshold).toBe(Math.fround(Math.SQRT2));
    expect(pairs(diagrams[0])).toEqual([[0, 1], [0, 1], [0, 1], [0, Infinity]]);
    expect(pairs(diagrams[1])).toEqual([[1, Math.fround(Math.SQRT2)]]);
  });

  it("a regular pentagon: H1 = [side, diagonal); a hexagon: H2 = [√3, 2)", async () => {
    const P = regularPolygon(5);
    const side = dist32(P, 0, 1);
    const diagonal = Math.max(dist32(P, 0, 2), dist32(P, 1, 3), dist32(P, 2, 4), dist32(P, 3, 0), dist32(P, 4, 1));
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
    expect(pairs(diagrams[0])).toEqual([[0, 3], [0, Infinity]]);
    expect(diagrams[1].births.length).toBe(0);
  });

  it("a threshold below the enclosing radius truncates bars and makes essential H1 classes", async () => {
    const X: Matrix = { rows: 4, cols: 2, data: Float32Array.from([0, 0, 1, 0, 1, 1, 0, 1]) };
    const result = await persistentHomology(X, { threshold: 1.2 });
    expect(result.threshold).toBe(1.2);
    expect(pairs(result.diagrams[1])).toEqual([[1, Infinity]]);
    const low = await persistentHomology(X, { threshold: 0.5 });
    expect(pairs(low.diagrams[0])).toEqual([[0, Infinity], [0, Infinity], [0, Infinity], [0, Infinity]]);
    // A threshold above the enclosing radius changes nothing.
    const high = await persistentHomology(X, { threshold: 10 });
    expect(pairs(high.diagrams[1])).toEqual([[1, Math.fround(Math.SQRT2)]]);
    expect(high.threshold).toBe(10);
  });

  it("n = 1 and n = 2", async () => {
    const one = await persistentHomology({ rows: 1, cols: 3, data: new Float32Array(3) }, { maxdim: 2 });
    expect(pairs(one.diagrams[0])).toEqual([[0, Infinity]]);
    expect(one.diagrams[1].births.length + one.diagrams[2].births.length).toBe(0);
    const two = await persistentHomology({ rows: 2, cols: 1, data: Float32Array.from([0, 2.5]) }, { maxdim: 1 });
    expect(pairs(two.diagrams[0])).toEqual([[0, 2.5], [0, Infinity]]);
    expect(two.diagrams[1].births.length).toBe(0);
  });

  it("distance-matrix input gives the same diagrams as point input", async () => {
    const X = randomMatrix(60, 5, 17);
    const D = distanceMatrix(X);
    for (const edgeCollapse of [true, false]) {
      const a = await persistentHomology(X, { maxdim: 2, edgeCollapse });
      const b = await persistentHomology(D, { maxdim: 2, input: "distances", edgeCollapse });
      for (let dim = 0; dim <= 2; dim++) expect(pairs(b.diagrams[dim])).toEqual(pairs(a.diagrams[dim]));
    }
  });

  it("is deterministic: the same input gives bit-identical diagrams", async () => {
    const X = loadPoints("circle_n500.npy");
    const a = await persistentHomology(X);
    const b = await persistentHomology(X);
    for (let dim = 0; dim <= 1; dim++) {
      expect(Buffer.from(a.diagrams[dim].births.buffer).equals(Buffer.from(b.diagrams[dim].births.buffer))).toBe(true);
      expect(Buffer.from(a.diagrams[dim].deaths.buffer).equals(Buffer.from(b.diagrams[dim].deaths.buffer))).toBe(true);
    }
  });

  it("edge collapse never changes the diagrams (random clouds, degrees 0–3)", async () => {
    for (const [n, d, maxdim, seed] of [[80, 3, 2, 1], [120, 8, 1, 2], [30, 4, 3, 3], [70, 2, 2, 4]]) {
      const X = randomMatrix(n, d, seed);
      const a = await persistentHomology(X, { maxdim, edgeCollapse: true });
      const b = await persistentHomology(X, { maxdim, edgeCollapse: false });
      expect(a.stats.edgesAfterCollapse).toBeLessThan(a.stats.edges);
      for (let dim = 0; dim <= maxdim; dim++) expect(pairs(a.diagrams[dim])).toEqual(pairs(b.diagrams[dim]));
    }
  });

  it("Z/3 coefficients give the Z/2 diagrams on a torus (no torsion)", async () => {
    const X = loadPoints("torus_n400.npy");
    const Y = { rows: 120, cols: X.cols, data: X.data.slice(0, 120 * X.cols) };
    const z2 = await persistentHomology(Y, { maxdim: 2 });
    const z3 = await persistentHomology(Y, { maxdim: 2, coefficients: 3 });
    for (let dim = 0; dim <= 2; dim++) expect(pairs(z3.diagrams[dim])).toEqual(pairs(z2.diagrams[dim]));
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
      for (let i = 1; i < d.births.length; i++) if (d.deaths[i] - d.births[i] > d.deaths[best] - d.births[best]) best = i;
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
      for (let r = 0; r < z.length; r += 3) value.set(`${Math.max(z[r], z[r + 1])},${Math.min(z[r], z[r + 1])}`, z[r + 2]);
      const at = (a: number, b: number) => {
        const v = value.get(`${Math.max(a, b)},${Math.min(a, b)}`) ?? 0;
        return a > b ? v : (coefficients - v) % coefficients; // z is alternating: z(b, a) = −z(a, b)
      };
      for (let a = 0; a < 7; a++) {
        for (let b = a + 1; b < 7; b++) {
          for (let c = b + 1; c < 7; c++) {
            const diam = Math.max(dist32(P, a, b), dist32(P, a, c), dist32(P, b, c));
            if (diam >= h1.deaths[0]) continue;
            expect(((at(b, c) - at(a, c) + at(a, b)) % coefficients + coefficients) % coefficients).toBe(0);
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
    await expect(persistentHomology(X, { maxdim: 4 })).rejects.toThrow(/invalid maxdim: 4 \(expected an integer from 0 to 3\)/);
    await expect(persistentHomology(X, { coefficients: 4 })).rejects.toThrow(/invalid coefficients: 4 \(expected a prime/);
    await expect(persistentHomology(X, { coefficients: 257 })).rejects.toThrow(/invalid coefficients: 257/);
    await expect(persistentHomology(X, { threshold: -1 })).rejects.toThrow(/invalid threshold: -1/);
    await expect(persistentHomology(X, { input: "graph" as never })).rejects.toThrow(/invalid input: "graph"/);
    await expect(persistentHomology(X, { maxDim: 1 } as never)).rejects.toThrow(/unknown option for persistentHomology: "maxDim"/);
    await expect(persistentHomology({ rows: 0, cols: 2, data: new Float32Array(0) })).rejects.toMatchObject({ code: "E_PARAM" });
  });

  it("checks distance matrices: square, no NaN, non-negative, zero diagonal, symmetric", async () => {
    const input = "distances" as const;
    await expect(persistentHomology(X, { input })).rejects.toMatchObject({ code: "E_SHAPE_MISMATCH" });
    const D = distanceMatrix(X);
    const bad = (i: number, j: number, v: number) => {
      const data = D.data.slice();
      data[i * 10 + j] = v;
      return { rows: 10, cols: 10, data };
    };
    await expect(persistentHomology(bad(2, 3, NaN), { input })).rejects.toMatchObject({ code: "E_NON_FINITE" });
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
    const overflow = await persistentHomology({ rows: 65535, cols: 1, data: new Float32Array(65535) }, { maxdim: 3 }).catch((e) => e);
    expect(overflow.code).toBe("E_TOO_LARGE");
    expect(overflow.message).toMatch(/55-bit simplex index/);
  });

  it("reports progress per degree and stops with E_CANCELLED, freeing its memory", async () => {
    const core = await getCore();
    const before = core.allocatedBytes;
    const Y = loadPoints("torus_n400.npy");
    const stages = new Set<string>();
    await persistentHomology(Y, { maxdim: 2, onProgress: (e) => stages.add(e.stage) });
    expect([...stages]).toEqual(expect.arrayContaining(["distances", "edge collapse", "H0", "H1", "H2 columns", "H2"]));
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
    await expect(persistentHomology(Y, { signal: aborted.signal })).rejects.toMatchObject({ code: "E_CANCELLED" });
    expect(core.allocatedBytes).toBe(before);
  });
});
