import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  bottleneck,
  bottleneckFinite,
  slicedWasserstein,
  wasserstein,
  type DiagramLike,
} from "../../src/algo/diagrams.ts";
import { getCore } from "../../src/core/wasm.ts";
import { mulberry32 } from "../helpers.ts";

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/ph/${name}`, import.meta.url), "utf8"));
const finiteH1 = (name: string): number[][] =>
  fixture(name)["1"].filter((p: (number | null)[]) => p[1] !== null);
const circle = finiteH1("circle_n500.gudhi_h1.json");
const torus = finiteH1("torus_n400.gudhi_h1.json");
const gudhi = fixture("diagram_distances.json");
const persim = fixture("sliced_wasserstein.json");

function randomDiagram(count: number, seed: number, scale = 1): number[][] {
  const random = mulberry32(seed);
  return Array.from({ length: count }, () => {
    const b = random() * scale;
    return [b, b + random() * scale];
  });
}

/** Exact W_q^q (or bottleneck) by trying every matching of the augmented problem (tiny inputs). */
function bruteForce(
  a: number[][],
  b: number[][],
  q: number,
  p: number,
  bottleneckMode = false,
): number {
  const norm = (x: number, y: number) =>
    p === Infinity ? Math.max(x, y) : (x ** p + y ** p) ** (1 / p);
  const diag = (pt: number[]) => norm((pt[1] - pt[0]) / 2, (pt[1] - pt[0]) / 2);
  const m = a.length;
  const k = b.length;
  const N = m + k;
  const cost = (i: number, j: number) => {
    if (i < m && j < k) return norm(Math.abs(a[i][0] - b[j][0]), Math.abs(a[i][1] - b[j][1]));
    if (i < m) return diag(a[i]);
    if (j < k) return diag(b[j]);
    return 0;
  };
  let best = Infinity;
  const used = new Array(N).fill(false);
  const walk = (i: number, acc: number) => {
    if (i === N) {
      best = Math.min(best, acc);
      return;
    }
    for (let j = 0; j < N; j++) {
      if (used[j]) continue;
      used[j] = true;
      const c = cost(i, j);
      walk(i + 1, bottleneckMode ? Math.max(acc, c) : acc + c ** q);
      used[j] = false;
    }
  };
  walk(0, 0);
  return best;
}

const relative = (x: number, y: number) => Math.abs(x - y) / Math.max(Math.abs(y), 1e-300);

describe("diagram distances match gudhi 3.7.1 and persim on H1(circle) vs H1(torus)", () => {
  it("bottleneck (L∞) agrees with gudhi.bottleneck_distance(e=0) to 1e-6", async () => {
    const r = await bottleneck(circle, torus);
    expect(relative(r.distance, gudhi.bottleneck_Linf)).toBeLessThan(1e-6);
    expect(r).toMatchObject({
      metric: "bottleneck",
      ground: "inf",
      infinite: "drop",
      droppedInfinite: [0, 0],
    });
  });

  it("Wasserstein q = 1, 2 with L∞ and q = 1 with L2 agree with gudhi (POT) to 1e-6", async () => {
    const cases = [
      { q: 1, ground: "inf" as const, ref: gudhi.wasserstein_q1_Linf },
      { q: 2, ground: "inf" as const, ref: gudhi.wasserstein_q2_Linf },
      { q: 1, ground: 2, ref: gudhi.wasserstein_q1_L2 },
    ];
    for (const { q, ground, ref } of cases) {
      const r = await wasserstein(circle, torus, { q, ground });
      expect(relative(r.distance, ref)).toBeLessThan(1e-6);
      expect(r).toMatchObject({
        metric: "wasserstein",
        q,
        ground,
        method: "hungarian",
        relativeErrorBound: 0,
        infinite: "drop",
      });
    }
  });

  it("the auction stays within its reported error bound (and the bound within the request)", async () => {
    for (const { q, ground, ref } of [
      { q: 1, ground: "inf" as const, ref: gudhi.wasserstein_q1_Linf },
      { q: 2, ground: "inf" as const, ref: gudhi.wasserstein_q2_Linf },
      { q: 1, ground: 2, ref: gudhi.wasserstein_q1_L2 },
    ]) {
      const r = await wasserstein(circle, torus, {
        q,
        ground,
        method: "auction",
        relativeError: 0.01,
      });
      expect(r.method).toBe("auction");
      expect(r.relativeErrorBound).toBeLessThanOrEqual(0.01);
      expect(r.distance).toBeGreaterThanOrEqual(ref * (1 - 1e-12));
      expect(r.distance).toBeLessThanOrEqual(ref * (1 + r.relativeErrorBound) + 1e-12);
    }
  });

  it("sliced Wasserstein equals persim.sliced_wasserstein (M = 50 and 10)", async () => {
    const r = await slicedWasserstein(circle, torus);
    expect(relative(r.distance, persim.sliced_wasserstein_M50)).toBeLessThan(1e-12);
    expect(r).toMatchObject({ metric: "sliced-wasserstein", directions: 50, infinite: "drop" });
    const r10 = await slicedWasserstein(circle, torus, { directions: 10 });
    expect(relative(r10.distance, persim.sliced_wasserstein_M10)).toBeLessThan(1e-12);
    const one = await slicedWasserstein([[1, 3]], []);
    expect(relative(one.distance, persim.one_point_1_3_vs_empty_M50)).toBeLessThan(1e-12);
  });
});

describe("diagram distances: exact answers and metric properties", () => {
  it("identical diagrams are at distance 0, in either input form", async () => {
    const d = {
      births: Float64Array.from(circle, (p) => p[0]),
      deaths: Float64Array.from(circle, (p) => p[1]),
    };
    expect((await bottleneck(d, circle)).distance).toBe(0);
    expect((await wasserstein(d, circle)).distance).toBe(0);
    expect((await wasserstein(d, circle, { method: "auction" })).distance).toBe(0);
    expect((await slicedWasserstein(d, circle)).distance).toBe(0);
    expect((await bottleneck([], [])).distance).toBe(0);
    expect((await wasserstein([], [])).distance).toBe(0);
  });

  it("one point against an empty diagram costs its distance to the diagonal", async () => {
    expect((await bottleneck([[1, 3]], [])).distance).toBe(1);
    expect((await wasserstein([[1, 3]], [], { q: 1 })).distance).toBe(1);
    expect((await wasserstein([], [[1, 3]], { q: 2 })).distance).toBeCloseTo(1, 12);
    expect((await wasserstein([[1, 3]], [], { ground: 2 })).distance).toBeCloseTo(Math.SQRT2, 12);
  });

  it("Hungarian and bottleneck equal a brute force over all matchings on tiny diagrams", async () => {
    for (let seed = 1; seed <= 25; seed++) {
      const a = randomDiagram(1 + (seed % 3), seed);
      const b = randomDiagram((seed * 7) % 4, 100 + seed);
      for (const [q, p] of [
        [1, Infinity],
        [2, Infinity],
        [1, 2],
        [3, 1],
      ]) {
        const r = await wasserstein(a, b, { q, ground: p === Infinity ? "inf" : p });
        expect(r.distance).toBeCloseTo(bruteForce(a, b, q, p) ** (1 / q), 10);
      }
      expect((await bottleneck(a, b)).distance).toBe(bruteForce(a, b, 1, Infinity, true));
    }
  });

  it("is symmetric and satisfies the triangle inequality on random diagrams", async () => {
    for (let seed = 1; seed <= 6; seed++) {
      const [x, y, z] = [
        randomDiagram(20, seed),
        randomDiagram(25, seed + 50),
        randomDiagram(15, seed + 90),
      ];
      for (const f of [
        (a: DiagramLike, b: DiagramLike) => bottleneck(a, b),
        (a: DiagramLike, b: DiagramLike) => wasserstein(a, b, { q: 1 }),
        (a: DiagramLike, b: DiagramLike) => wasserstein(a, b, { q: 2, ground: 2 }),
        (a: DiagramLike, b: DiagramLike) => slicedWasserstein(a, b),
      ]) {
        const xy = (await f(x, y)).distance;
        expect((await f(y, x)).distance).toBeCloseTo(xy, 12);
        expect(xy).toBeLessThanOrEqual((await f(x, z)).distance + (await f(z, y)).distance + 1e-12);
      }
    }
  });

  it("sliced Wasserstein is at most √2 · W1 (L2 ground) on random diagrams", async () => {
    // Each projection is 1-Lipschitz in L2 and the projected matching is a transport plan.
    for (let seed = 1; seed <= 5; seed++) {
      const a = randomDiagram(30, seed);
      const b = randomDiagram(20, seed + 7);
      const sw = (await slicedWasserstein(a, b)).distance;
      const w1 = (await wasserstein(a, b, { q: 1, ground: 2 })).distance;
      expect(sw).toBeLessThanOrEqual(Math.SQRT2 * w1 + 1e-12);
    }
  });

  it("the large-diagram bottleneck search (bisection over doubles) equals the candidate search", () => {
    for (let seed = 1; seed <= 4; seed++) {
      const flat = (d: number[][]) => Float64Array.from(d.flat());
      const a = flat(randomDiagram(300, seed, 3));
      const b = flat(randomDiagram(280, seed + 40, 3));
      expect(bottleneckFinite(a, b, 0)).toBe(bottleneckFinite(a, b));
    }
  });

  it("the auction matches the Hungarian method within the bound on larger random diagrams", async () => {
    const a = randomDiagram(400, 11, 2);
    const b = randomDiagram(350, 12, 2);
    for (const q of [1, 2]) {
      const exact = (await wasserstein(a, b, { q, method: "hungarian" })).distance;
      const approx = await wasserstein(a, b, { q, method: "auction", relativeError: 0.001 });
      expect(approx.relativeErrorBound).toBeLessThanOrEqual(0.001);
      expect(approx.distance).toBeGreaterThanOrEqual(exact * (1 - 1e-12));
      expect(approx.distance).toBeLessThanOrEqual(exact * (1 + approx.relativeErrorBound) + 1e-12);
    }
  });
});

describe("diagram distances: infinite points and validation", () => {
  const withEssential = { births: [0, 0.5, 0], deaths: [1, 2, Infinity] };
  const other = { births: [0, 0.5, 0.25], deaths: [1, 2, Infinity] };

  it("drop (default) removes infinite points and counts them", async () => {
    const r = await bottleneck(withEssential, [
      [0, 1],
      [0.5, 2],
    ]);
    expect(r).toMatchObject({ distance: 0, infinite: "drop", droppedInfinite: [1, 0] });
    expect((await slicedWasserstein(withEssential, other)).droppedInfinite).toEqual([1, 1]);
  });

  it("cap replaces infinite deaths and echoes the cap", async () => {
    const r = await bottleneck(
      withEssential,
      [
        [0, 1],
        [0.5, 2],
      ],
      { infinite: "cap", cap: 3 },
    );
    // (0, 3) takes (0.5, 2) at L∞ cost 1, which goes cheaper than (0, 3) to the diagonal (1.5).
    expect(r).toMatchObject({ distance: 1, infinite: "cap", cap: 3 });
    const w = await wasserstein(withEssential, other, { infinite: "cap", cap: 3 });
    expect(w.distance).toBeCloseTo(0.25, 12);
    expect(w.cap).toBe(3);
  });

  it("match pairs essential points by sorted births; unequal counts give Infinity", async () => {
    expect((await bottleneck(withEssential, other, { infinite: "match" })).distance).toBe(0.25);
    expect(
      (await wasserstein(withEssential, other, { infinite: "match", q: 2 })).distance,
    ).toBeCloseTo(0.25, 12);
    const r = await bottleneck(withEssential, [[0, 1]], { infinite: "match" });
    expect(r).toMatchObject({ distance: Infinity, infinite: "match" });
    expect((await wasserstein(withEssential, [[0, 1]], { infinite: "match" })).distance).toBe(
      Infinity,
    );
    await expect(slicedWasserstein(withEssential, other, { infinite: "match" })).rejects.toThrow(
      /invalid infinite: "match"/,
    );
  });

  it("rejects bad options and bad diagrams", async () => {
    await expect(bottleneck(withEssential, other, { infinite: "cap" })).rejects.toThrow(
      /invalid cap: undefined/,
    );
    await expect(bottleneck(withEssential, other, { cap: 2 })).rejects.toThrow(
      /only used with infinite: "cap"/,
    );
    await expect(wasserstein(circle, torus, { q: 0.5 })).rejects.toThrow(/invalid q: 0.5/);
    await expect(wasserstein(circle, torus, { ground: 0.5 })).rejects.toThrow(
      /invalid ground: 0.5/,
    );
    await expect(wasserstein(circle, torus, { method: "simplex" as never })).rejects.toThrow(
      /invalid method: "simplex"/,
    );
    await expect(slicedWasserstein(circle, torus, { directions: 0 })).rejects.toThrow(
      /invalid directions: 0/,
    );
    await expect(bottleneck([[0, NaN]], [])).rejects.toMatchObject({ code: "E_NON_FINITE" });
    await expect(bottleneck([[2, 1]], [])).rejects.toThrow(/expected birth ≤ death/);
    await expect(bottleneck({ births: [0, 1], deaths: [1] }, [])).rejects.toMatchObject({
      code: "E_SHAPE_MISMATCH",
    });
    await expect(bottleneck([[0, 1, 2]] as never, [])).rejects.toMatchObject({
      code: "E_SHAPE_MISMATCH",
    });
  });

  it("frees every wasm block it allocates", async () => {
    const core = await getCore();
    const before = core.allocatedBytes;
    await wasserstein(circle, torus);
    await wasserstein(circle, torus, { method: "auction" });
    expect(core.allocatedBytes).toBe(before);
  });
});

describe("diagram distances on extreme values", () => {
  it("scale with the diagrams from 1e-300 to 1e300: bottleneck, W_q (q = 1, 2, 10) and sliced", async () => {
    const a = randomDiagram(30, 21);
    const b = randomDiagram(25, 22);
    const times = (d: number[][], s: number) => d.map(([x, y]) => [x * s, y * s]);
    const reference = {
      bottleneck: (await bottleneck(a, b)).distance,
      w1: (await wasserstein(a, b, { q: 1 })).distance,
      w2: (await wasserstein(a, b, { q: 2, ground: 2 })).distance,
      w10: (await wasserstein(a, b, { q: 10 })).distance,
      sliced: (await slicedWasserstein(a, b)).distance,
    };
    for (const s of [1e300, 1e30, 1e-20, 1e-40, 1e-300]) {
      const A = times(a, s);
      const B = times(b, s);
      const got = {
        bottleneck: (await bottleneck(A, B)).distance,
        w1: (await wasserstein(A, B, { q: 1 })).distance,
        w2: (await wasserstein(A, B, { q: 2, ground: 2 })).distance,
        w10: (await wasserstein(A, B, { q: 10 })).distance,
        sliced: (await slicedWasserstein(A, B)).distance,
      };
      for (const key of Object.keys(reference) as (keyof typeof reference)[]) {
        expect(Math.abs(got[key] / s - reference[key])).toBeLessThan(1e-12 * reference[key]);
      }
    }
    // Essential classes matched at 1e300: |Δbirth| dominates and stays finite.
    const up = (
      await wasserstein(
        [
          [1e300, Infinity],
          [0, 1e299],
        ],
        [[-1e300, Infinity]],
        { q: 2, infinite: "match" },
      )
    ).distance;
    expect(up).toBeCloseTo(Math.hypot(2, 0.05) * 1e300, -285);
  });
});
