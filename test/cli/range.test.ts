/**
 * Every command on extreme finite inputs — activations scaled by 1e20, 1e30, 1e-20 and 1e-40
 * (float32 subnormals) — must give the answer of the same data rescaled by the power of two that
 * brings them near 1 (neighbours, embeddings, graphs and maps unchanged; distances, coordinates,
 * ε and diagrams scaled back), and on a mix that float32 distances cannot resolve (a column at
 * 1e30 beside columns at 1e-30 that tell rows apart) either the right answer or E_RANGE: never
 * exit 0 with NaN, null or garbage.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Matrix } from "../../src/core/matrix.ts";
import { writeNpy } from "../../src/io/npy.ts";
import { mulberry32 } from "../helpers.ts";
import { runCli } from "../support/cli.ts";

const N = 45;
const D = 5;
const KINDS = { "1e20": 1e20, "1e30": 1e30, "1e-20": 1e-20, "subnormal 1e-40": 1e-40 } as const;
type Kind = keyof typeof KINDS;

let dir = "";
const file = (name: string) => join(dir, name);

/** Three Gaussian clusters of 15 rows in 5 dimensions (seeded). */
function clusters(seed: number): Matrix {
  const random = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const centres = [
    [3, 0, 0, 1, 0],
    [-3, 2, 0, 0, 1],
    [0, -3, 2, 0, 0],
  ];
  const data = new Float32Array(N * D);
  for (let i = 0; i < N; i++)
    for (let k = 0; k < D; k++) data[i * D + k] = centres[Math.floor(i / 15)][k] + 0.8 * gauss();
  return { rows: N, cols: D, data };
}

const times = (X: Matrix, s: number): Matrix => ({
  ...X,
  data: Float32Array.from(X.data, (v) => v * s),
});
const exponentOf = (X: Matrix) =>
  Math.floor(Math.log2(X.data.reduce((a, v) => Math.max(a, Math.abs(v)), 0)));
const save = (name: string, X: Matrix) =>
  writeFileSync(file(name), writeNpy({ shape: [X.rows, X.cols], data: X.data }));

/** Per kind: the power of two 2^e between the extreme data X and its rescaled copy R = X·2^-e. */
const exponent = {} as Record<Kind, number>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "atlas-range-"));
  const base = clusters(1);
  const second = clusters(2);
  for (const [kind, s] of Object.entries(KINDS) as [Kind, number][]) {
    const X = times(base, s);
    const e = exponentOf(X);
    exponent[kind] = e;
    const R = times(X, 2 ** -e);
    // The rescaled copy is exact: scaling back gives X bit for bit (subnormal X included).
    expect(R.data.every((v, i) => v * 2 ** e === X.data[i])).toBe(true);
    save(`${kind}.npy`, X);
    save(`${kind}.rescaled.npy`, R);
    const X2 = times(second, s);
    save(`${kind}.second.npy`, X2);
    save(`${kind}.second.rescaled.npy`, times(X2, 2 ** -e));
  }
  // The mix: column 0 at 1e30 (two values), columns 1–4 at 1e-30 tell the rows of each value apart.
  const mix = times(base, 1e-30);
  for (let i = 0; i < N; i++) mix.data[i * D] = i % 2 ? 2e30 : 1e30;
  save("mix.npy", mix);
  save("other.npy", times(clusters(3), 0.5));
  writeFileSync(
    file("labels.npy"),
    writeNpy({ shape: [N], data: Int32Array.from({ length: N }, (_, i) => Math.floor(i / 15)) }),
  );
  const predictions = new Float32Array(N * 3);
  for (let i = 0; i < N; i++)
    for (let c = 0; c < 3; c++)
      predictions[i * 3 + c] =
        c === Math.floor(i / 15) ? 0.8 - 0.01 * (i % 15) : 0.1 + 0.005 * (i % 15);
  writeFileSync(file("predictions.npy"), writeNpy({ shape: [N, 3], data: predictions }));
});

/** Run a command and parse its JSON, insisting on exit 0 and no NaN/null where numbers belong. */
async function json(...argv: string[]) {
  const { code, stdout, stderr } = await runCli(...argv);
  expect(stderr.replace(/^hidden-atlas \w+: warning: .*\n/gm, "")).toBe("");
  expect(code).toBe(0);
  return JSON.parse(stdout);
}

/** The mix must be refused with E_RANGE naming the rows and the range. */
async function refused(name: string, ...argv: string[]) {
  const { code, stdout, stderr } = await runCli(...argv);
  expect(code).toBe(1);
  expect(stdout).toBe("");
  expect(stderr).toMatch(
    new RegExp(
      `E_RANGE: ${name} span more orders of magnitude than float32 distances resolve: rows \\d+ and \\d+ are [\\d.]+e-3\\d apart while values reach 2e\\+30`,
    ),
  );
}

/** Numbers scaled back by 2^e exactly as the core does: once, to float32. */
const back = (v: number, e: number) => Math.fround(v * 2 ** e);
const kinds = Object.keys(KINDS) as Kind[];

describe("numeric range: every command on 1e20, 1e30, 1e-20 and subnormal 1e-40 data, and on an unresolvable mix", () => {
  it("knn: the rescaled data's neighbours; its distances scaled back; the mix refused", async () => {
    for (const kind of kinds) {
      const got = await json("knn", file(`${kind}.npy`), "--k", "5");
      const want = await json("knn", file(`${kind}.rescaled.npy`), "--k", "5");
      expect(got.indices).toEqual(want.indices);
      expect(got.distances).toEqual(
        want.distances.map((r: number[]) => r.map((v) => back(v, exponent[kind]))),
      );
    }
    await refused("X", "knn", file("mix.npy"), "--k", "5");
  });

  it("geodesic: the rescaled data's shortest paths scaled back, unreachable still null; the mix refused", async () => {
    for (const kind of kinds) {
      const got = await json("geodesic", file(`${kind}.npy`), "--k", "4", "--sources", "0,20,40");
      const want = await json(
        "geodesic",
        file(`${kind}.rescaled.npy`),
        "--k",
        "4",
        "--sources",
        "0,20,40",
      );
      expect(got.components).toBe(want.components);
      expect(got.components).toBeGreaterThan(1); // the clusters are apart at k = 4: nulls must stay nulls
      expect(got.distances).toEqual(
        want.distances.map((r: (number | null)[]) =>
          r.map((v) => (v === null ? null : back(v, exponent[kind]))),
        ),
      );
    }
    await refused("X", "geodesic", file("mix.npy"), "--k", "4", "--sources", "0");
  });

  it("embed: mds and isomap coordinates scaled back; t-SNE, UMAP, PHATE and MDA equal to the rescaled data's; the mix refused", async () => {
    const methods: [string, string[], boolean][] = [
      ["mds", [], true],
      ["isomap", ["--k", "8"], true],
      ["tsne", ["--perplexity", "10"], false],
      ["umap", ["--k", "8"], false],
      ["phate", [], false],
      ["mda", ["--predictions", file("predictions.npy"), "--k", "8"], false],
    ];
    for (const [method, options, units] of methods) {
      for (const kind of kinds) {
        const got = await json("embed", file(`${kind}.npy`), "--method", method, ...options);
        const want = await json(
          "embed",
          file(`${kind}.rescaled.npy`),
          "--method",
          method,
          ...options,
        );
        const e = exponent[kind];
        expect(got.coordinates).toEqual(
          units
            ? want.coordinates.map((r: number[]) => r.map((v) => back(v, e)))
            : want.coordinates,
        );
        if (method !== "umap" && method !== "mda") expect(got.params.rangeScale).toBe(2 ** -e);
        expect(want.params.rangeScale).toBeUndefined();
        if (method === "mds") expect(got.params.stress / want.params.stress).toBe(4 ** e);
      }
      await refused(
        method === "mda" ? "features" : "X",
        "embed",
        file("mix.npy"),
        "--method",
        method,
        ...options,
      );
    }
  });

  it("embed pca (float64 covariance): scale-equivariant on every kind, and the mix's leading component exact", async () => {
    for (const kind of kinds) {
      const got = await json("embed", file(`${kind}.npy`), "--method", "pca");
      const want = await json("embed", file(`${kind}.rescaled.npy`), "--method", "pca");
      expect(got.coordinates).toEqual(
        want.coordinates.map((r: number[]) => r.map((v) => back(v, exponent[kind]))),
      );
      expect(got.params.explainedVarianceRatio[0]).toBeCloseTo(
        want.params.explainedVarianceRatio[0],
        12,
      );
    }
    const mix = await json("embed", file("mix.npy"), "--method", "pca");
    // Column 0 (1e30 or 2e30, mean 1.5e30 + 1/90 of 1e30) carries all but 1e-60 of the variance.
    const mean = (23 * 1e30 + 22 * 2e30) / 45;
    mix.coordinates.forEach(([pc1, pc2]: number[], i: number) => {
      const centred = (i % 2 ? Math.fround(2e30) : Math.fround(1e30)) - mean;
      expect(Math.abs(Math.abs(pc1) / Math.abs(centred) - 1)).toBeLessThan(1e-6);
      expect(Number.isFinite(pc2)).toBe(true);
    });
    expect(mix.params.explainedVarianceRatio[0]).toBe(1);
  });

  it("mapper: the rescaled data's graph; ε scaled back; the mix refused", async () => {
    for (const kind of kinds) {
      const args = ["--labels", file("labels.npy"), "--intervals", "4", "--overlap", "0.3"];
      const got = await json("mapper", file(`${kind}.npy`), ...args);
      const want = await json("mapper", file(`${kind}.rescaled.npy`), ...args);
      expect(got.nodes).toEqual(want.nodes);
      expect(got.nodes.length).toBeGreaterThan(2);
      expect(got.links).toEqual(want.links);
      expect(got.lostMembers).toEqual(want.lostMembers);
      expect(got.purity).toEqual(want.purity);
      expect(got.eps).toBe(want.eps * 2 ** exponent[kind]);
      // An ε given in the data's units means the same graph.
      const given = await json(
        "mapper",
        file(`${kind}.npy`),
        ...args,
        "--eps",
        String(want.eps * 1.3 * 2 ** exponent[kind]),
      );
      const givenWant = await json(
        "mapper",
        file(`${kind}.rescaled.npy`),
        ...args,
        "--eps",
        String(want.eps * 1.3),
      );
      expect(given.nodes).toEqual(givenWant.nodes);
    }
    await refused("X", "mapper", file("mix.npy"));
  });

  it("som: the rescaled data's map; QE scaled back, U-matrix and TE unchanged; the mix refused", async () => {
    for (const kind of kinds) {
      const args = ["--rows", "3", "--cols", "4", "--epochs", "8"];
      const got = await json("som", file(`${kind}.npy`), ...args);
      const want = await json("som", file(`${kind}.rescaled.npy`), ...args);
      const e = exponent[kind];
      expect(got.bmus).toEqual(want.bmus);
      expect(got.hits).toEqual(want.hits);
      expect(got.te).toEqual(want.te);
      expect(got.qe).toBe(want.qe * 2 ** e);
      expect(got.qeHistory).toEqual(want.qeHistory.map((q: number) => q * 2 ** e));
      // The U-matrix is computed from the weights in the data's units (subnormal ones keep fewer digits).
      got.uMatrix.forEach((v: number, j: number) =>
        expect(v).toBeCloseTo(want.uMatrix[j], kind === "subnormal 1e-40" ? 4 : 12),
      );
      expect(got.params.rangeScale).toBe(2 ** -e);
    }
    await refused("X", "som", file("mix.npy"));
  });

  it("cka (float64 sums): equal to the rescaled data's on every kind and exact on the mix", async () => {
    for (const kind of kinds) {
      for (const extra of [[], ["--debiased"]]) {
        const got = await json("cka", file(`${kind}.npy`), file("other.npy"), ...extra);
        const want = await json("cka", file(`${kind}.rescaled.npy`), file("other.npy"), ...extra);
        expect(got.cka).toBeCloseTo(want.cka, 12);
        const self = await json("cka", file(`${kind}.npy`), file(`${kind}.second.npy`), ...extra);
        const selfWant = await json(
          "cka",
          file(`${kind}.rescaled.npy`),
          file(`${kind}.second.rescaled.npy`),
          ...extra,
        );
        expect(self.cka).toBeCloseTo(selfWant.cka, 12);
      }
    }
    // The mix against another representation, by Kornblith's formula in float64 here.
    const { readNpy } = await import("../../src/io/npy.ts");
    const { readFileSync } = await import("node:fs");
    const load = (name: string) =>
      readNpy(new Uint8Array(readFileSync(file(name)))).data as Float32Array;
    const centred = (v: Float32Array, d: number) => {
      const out = Float64Array.from(v);
      for (let k = 0; k < d; k++) {
        let m = 0;
        for (let i = 0; i < N; i++) m += out[i * d + k];
        for (let i = 0; i < N; i++) out[i * d + k] -= m / N;
      }
      return out;
    };
    const X = centred(load("mix.npy"), D);
    const Y = centred(load("other.npy"), D);
    const cross = (A: Float64Array, B: Float64Array) => {
      let s = 0;
      for (let a = 0; a < D; a++) {
        for (let b = 0; b < D; b++) {
          let dot = 0;
          for (let i = 0; i < N; i++) dot += A[i * D + a] * B[i * D + b];
          s += dot * dot;
        }
      }
      return s;
    };
    const expected = cross(X, Y) / (Math.sqrt(cross(X, X)) * Math.sqrt(cross(Y, Y)));
    expect((await json("cka", file("mix.npy"), file("other.npy"))).cka).toBeCloseTo(expected, 12);
  });

  it("ph (float64 distances): diagrams scaled back on every kind; the mix's H0 is its minimum spanning tree", async () => {
    for (const kind of kinds) {
      const got = await json("ph", file(`${kind}.npy`));
      const want = await json("ph", file(`${kind}.rescaled.npy`));
      const e = exponent[kind];
      for (const dim of ["0", "1"]) {
        const a = got.diagrams[dim] as (number | null)[][];
        const b = want.diagrams[dim] as (number | null)[][];
        expect(a.length).toBe(b.length);
        // Distances are rounded once to float32: subnormal ones keep ~5 digits.
        const tolerance = kind === "subnormal 1e-40" ? 1e-4 : 0;
        a.forEach((pair, i) =>
          pair.forEach((v, j) => {
            const w = b[i][j];
            if (w === null || v === null) expect(v).toBe(w);
            else
              expect(Math.abs(v - back(w, e))).toBeLessThanOrEqual(
                tolerance * Math.abs(back(w, e)),
              );
          }),
        );
      }
    }
    // The mix: H0 deaths are the edges of the minimum spanning tree (Prim in float64 here).
    const { readNpy } = await import("../../src/io/npy.ts");
    const { readFileSync } = await import("node:fs");
    const X = readNpy(new Uint8Array(readFileSync(file("mix.npy")))).data as Float32Array;
    const dist = (i: number, j: number) => {
      let s = 0;
      for (let k = 0; k < D; k++) s += (X[i * D + k] - X[j * D + k]) ** 2;
      return Math.sqrt(s);
    };
    const inTree = new Uint8Array(N);
    const best = new Float64Array(N).fill(Infinity);
    const edges: number[] = [];
    best[0] = 0;
    for (let step = 0; step < N; step++) {
      let next = -1;
      for (let i = 0; i < N; i++) if (!inTree[i] && (next < 0 || best[i] < best[next])) next = i;
      inTree[next] = 1;
      if (step > 0) edges.push(best[next]);
      for (let i = 0; i < N; i++) if (!inTree[i]) best[i] = Math.min(best[i], dist(next, i));
    }
    edges.sort((a, b) => a - b);
    const h0 = (await json("ph", file("mix.npy"), "--maxdim", "0")).diagrams["0"] as (
      number | null
    )[][];
    const deaths = h0
      .map((p) => p[1])
      .filter((v): v is number => v !== null)
      .sort((a, b) => a - b);
    expect(h0.filter((p) => p[1] === null)).toHaveLength(1);
    expect(deaths).toHaveLength(N - 1);
    deaths.forEach((v, i) => expect(Math.abs(v / edges[i] - 1)).toBeLessThan(1e-6));
    expect(deaths[0]).toBeLessThan(1e-29);
    expect(deaths[N - 2]).toBeGreaterThan(9e29);
  });

  it("diagram-distance: the rescaled diagrams' distances scaled back; on the mix's diagram, exact", async () => {
    for (const kind of kinds) {
      const e = exponent[kind];
      const write = async (input: string, out: string) =>
        writeFileSync(file(out), (await runCli("ph", file(input))).stdout);
      await write(`${kind}.npy`, "a.json");
      await write(`${kind}.second.npy`, "b.json");
      await write(`${kind}.rescaled.npy`, "ra.json");
      await write(`${kind}.second.rescaled.npy`, "rb.json");
      for (const options of [
        ["--metric", "bottleneck"],
        ["--metric", "wasserstein", "--q", "2", "--ground", "2"],
        ["--metric", "sliced"],
      ]) {
        for (const dim of ["0", "1"]) {
          const got = await json(
            "diagram-distance",
            file("a.json"),
            file("b.json"),
            "--dim",
            dim,
            ...options,
          );
          const want = await json(
            "diagram-distance",
            file("ra.json"),
            file("rb.json"),
            "--dim",
            dim,
            ...options,
          );
          expect(got.distance).toBeGreaterThan(0);
          const tolerance = kind === "subnormal 1e-40" ? 1e-4 : 1e-12; // subnormal distances keep ~5 digits
          expect(Math.abs(got.distance / (want.distance * 2 ** e) - 1)).toBeLessThan(tolerance);
        }
      }
    }
    // The mix's H0 (deaths from 1e-31 to 1e30) against an empty diagram: every point goes to the diagonal.
    writeFileSync(file("mix.json"), (await runCli("ph", file("mix.npy"), "--maxdim", "0")).stdout);
    writeFileSync(file("empty.json"), JSON.stringify({ diagrams: { "0": [] } }));
    const h0 = (
      JSON.parse((await runCli("ph", file("mix.npy"), "--maxdim", "0")).stdout).diagrams["0"] as (
        number | null
      )[][]
    ).filter((p) => p[1] !== null) as number[][];
    const halves = h0.map(([b, d]) => (d - b) / 2);
    const bottleneck = await json(
      "diagram-distance",
      file("mix.json"),
      file("empty.json"),
      "--dim",
      "0",
    );
    expect(bottleneck.distance).toBe(Math.max(...halves));
    const w1 = await json(
      "diagram-distance",
      file("mix.json"),
      file("empty.json"),
      "--dim",
      "0",
      "--metric",
      "wasserstein",
    );
    expect(w1.distance / halves.reduce((a, b) => a + b, 0) - 1).toBeLessThan(1e-12);
    const w2 = await json(
      "diagram-distance",
      file("mix.json"),
      file("empty.json"),
      "--dim",
      "0",
      "--metric",
      "wasserstein",
      "--q",
      "2",
    );
    expect(
      Math.abs(w2.distance / Math.sqrt(halves.reduce((a, b) => a + b * b, 0)) - 1),
    ).toBeLessThan(1e-12);
  });
});
