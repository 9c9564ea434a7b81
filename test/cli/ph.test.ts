/**
 * The `ph`, `diagram-distance` and `cka` commands: their printed numbers against Ripser 1.2.1,
 * gudhi/persim and the library, their formats, and their errors.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bottleneck } from "../../src/algo/diagrams.ts";
import { ckaMatrix, linearCka } from "../../src/algo/cka.ts";
import { layerMatrix } from "../../src/algo/vectorize.ts";
import { runCli as run } from "../support/cli.ts";
import { loadBundleFromPath } from "../../src/io/node.ts";
import { writeNpy } from "../../src/io/npy.ts";

const tmp = () => mkdtempSync(join(tmpdir(), "atlas-ph-cli-"));
const fixture = (path: string) => new URL(`../fixtures/${path}`, import.meta.url).pathname;
const json = (path: string) => JSON.parse(readFileSync(fixture(path), "utf8"));
const digitsCnn = new URL("../../data/examples/digits-cnn.zip", import.meta.url).pathname;

describe("hidden-atlas ph", () => {
  it("prints Ripser's diagrams of circle_n500 as JSON: same pair counts, bottleneck ≤ 1e-5, null for ∞", async () => {
    const { code, stdout, stderr } = await run(
      "ph",
      fixture("ph/circle_n500.npy"),
      "--maxdim",
      "1",
    );
    expect(code).toBe(0);
    expect(stderr).toBe("");
    const out = JSON.parse(stdout);
    const ref = json("ph/circle_n500.ripser.json");
    expect(Object.keys(out.diagrams)).toEqual(["0", "1"]);
    for (const dim of ["0", "1"]) {
      expect(out.diagrams[dim]).toHaveLength(ref[dim].length);
      const toDiagram = (pairs: [number, number | null][]) =>
        pairs.map(([b, d]) => [b, d === null ? Infinity : d]);
      expect(
        (await bottleneck(toDiagram(out.diagrams[dim]), toDiagram(ref[dim]), { infinite: "match" }))
          .distance,
      ).toBeLessThanOrEqual(1e-5);
    }
    expect(out.diagrams["0"].filter((p: [number, number | null]) => p[1] === null)).toHaveLength(1);
    expect(out.threshold).toBe(out.enclosingRadius);
    expect(out.points).toBe(500);
  });

  it("gives the same diagrams from the distance matrix (--input distances), and CSV rows per pair", async () => {
    const dir = tmp();
    const n = 40;
    const X = new Float32Array(n * 2);
    for (let i = 0; i < n; i++)
      [X[2 * i], X[2 * i + 1]] = [Math.cos((2 * Math.PI * i) / n), Math.sin((2 * Math.PI * i) / n)];
    const D = new Float32Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++)
        D[i * n + j] = Math.fround(Math.hypot(X[2 * i] - X[2 * j], X[2 * i + 1] - X[2 * j + 1]));
    writeFileSync(join(dir, "x.npy"), writeNpy({ shape: [n, 2], data: X }));
    writeFileSync(join(dir, "d.npy"), writeNpy({ shape: [n, n], data: D }));
    const points = JSON.parse((await run("ph", join(dir, "x.npy"))).stdout);
    const distances = JSON.parse(
      (await run("ph", join(dir, "d.npy"), "--input", "distances")).stdout,
    );
    expect(distances.diagrams).toEqual(points.diagrams);
    expect(points.diagrams["1"]).toHaveLength(1); // the circle's one loop
    const csv = await run("ph", join(dir, "x.npy"), "--format", "csv");
    const lines = csv.stdout.trim().split("\n");
    expect(lines[0]).toBe("dim,birth,death");
    expect(lines).toHaveLength(1 + points.diagrams["0"].length + 1);
    expect(lines.filter((l) => l.endsWith(","))).toHaveLength(1); // the essential H0 class: empty death
    const rejected = await run("ph", join(dir, "x.npy"), "--input", "distances");
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toMatch(/E_SHAPE_MISMATCH.*square n × n distance matrix/);
  });

  it("--subsample farthest keeps the loop and reports the rows and cover radius; --threshold truncates", async () => {
    const sub = JSON.parse(
      (
        await run(
          "ph",
          fixture("ph/circle_n500.npy"),
          "--subsample",
          "100",
          "--sampling",
          "farthest",
        )
      ).stdout,
    );
    expect(sub.points).toBe(100);
    expect(sub.sample).toHaveLength(100);
    expect(sub.sample[0]).toBe(0);
    const full = JSON.parse((await run("ph", fixture("ph/circle_n500.npy"))).stdout);
    const h1 = (d: [number, number][]) => d.map(([b, x]) => [b, x]);
    // Stability: diagrams of a sample are within its cover radius of the full cloud's (×2 for the Rips filtration by diameter).
    expect(
      (await bottleneck(h1(sub.diagrams["1"]), h1(full.diagrams["1"]))).distance,
    ).toBeLessThanOrEqual(2 * sub.coverRadius + 1e-6);
    const cut = JSON.parse(
      (await run("ph", fixture("ph/circle_n500.npy"), "--threshold", "0.5")).stdout,
    );
    expect(cut.threshold).toBe(0.5);
    expect(cut.diagrams["1"].some((p: [number, number | null]) => p[1] === null)).toBe(true); // the loop is not filled by 0.5
    expect((await run("ph", fixture("ph/circle_n500.npy"), "--maxdim", "4")).stderr).toMatch(
      /invalid maxdim: 4/,
    );
  });
});

describe("hidden-atlas ph --cycles", () => {
  // A noisy circle of 60 points in the plane, rows in random order.
  const dir = tmp();
  const n = 60;
  const X = new Float32Array(2 * n);
  let seed = 7;
  const random = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  for (let i = 0; i < n; i++) {
    const t = 2 * Math.PI * random();
    [X[2 * i], X[2 * i + 1]] = [
      Math.cos(t) + 0.1 * (random() - 0.5),
      Math.sin(t) + 0.1 * (random() - 0.5),
    ];
  }
  const file = join(dir, "circle.npy");
  writeFileSync(file, writeNpy({ shape: [n, 2], data: X }));
  const length = (i: number, j: number) =>
    Math.hypot(X[2 * i] - X[2 * j], X[2 * i + 1] - X[2 * j + 1]);

  it("adds, for each H1 pair in order, a closed walk of input rows whose longest edge is the birth", async () => {
    const { code, stdout, stderr } = await run("ph", file, "--cycles");
    expect(code).toBe(0);
    expect(stderr).toBe("");
    const out = JSON.parse(stdout);
    expect(Object.keys(out.cycles)).toEqual(["1"]);
    expect(out.cycles["1"]).toHaveLength(out.diagrams["1"].length);
    let loop = 0;
    out.diagrams["1"].forEach(([b, d]: [number, number], i: number) => {
      if (d - b > out.diagrams["1"][loop][1] - out.diagrams["1"][loop][0]) loop = i;
      const edges: [number, number][] = out.cycles["1"][i];
      expect(edges.length).toBeGreaterThanOrEqual(3);
      for (const e of edges) expect(e).toHaveLength(2);
      for (let r = 0; r < edges.length; r++)
        expect(edges[(r + 1) % edges.length][0]).toBe(edges[r][1]);
      expect(length(...edges[0])).toBeCloseTo(b, 6); // the birth edge first
      for (const [u, v] of edges) expect(length(u, v)).toBeLessThanOrEqual(b + 1e-6);
    });
    // The circle's bar goes all the way round.
    const angles = out.cycles["1"][loop]
      .map(([u]: [number]) => Math.atan2(X[2 * u + 1], X[2 * u]))
      .sort((a: number, b: number) => a - b);
    const gaps = angles.map((a: number, i: number) =>
      i + 1 < angles.length ? angles[i + 1] - a : angles[0] + 2 * Math.PI - a,
    );
    expect(Math.max(...gaps)).toBeLessThan(Math.PI / 3);
    // Plain ph has no cycles and the same diagrams.
    const plain = JSON.parse((await run("ph", file)).stdout);
    expect(plain.cycles).toBeUndefined();
    expect(plain.diagrams).toEqual(out.diagrams);
  });

  it("names INPUT's rows under --subsample, takes coefficients over Z/p, fills a CSV column and refuses maxdim 0", async () => {
    const sub = JSON.parse(
      (await run("ph", file, "--cycles", "--subsample", "40", "--sampling", "farthest")).stdout,
    );
    const sample = new Set<number>(sub.sample);
    const rows = sub.cycles["1"].flat(2);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r: number) => sample.has(r))).toBe(true);
    expect(Math.max(...rows)).toBeLessThan(n);
    const z3 = JSON.parse((await run("ph", file, "--cycles", "--coefficients", "3")).stdout);
    for (const edges of z3.cycles["1"]) for (const e of edges) expect(e).toEqual([e[0], e[1], 1]);
    const csv = (await run("ph", file, "--cycles", "--format", "csv")).stdout.trim().split("\n");
    expect(csv[0]).toBe("dim,birth,death,cycle");
    const h1 = csv.filter((l) => l.startsWith("1,"));
    expect(h1).toHaveLength(z3.diagrams["1"].length);
    for (const line of h1) expect(line).toMatch(/,(\d+-\d+ )+\d+-\d+$/);
    expect(csv.filter((l) => l.startsWith("0,")).every((l) => l.endsWith(","))).toBe(true);
    const refused = await run("ph", file, "--cycles", "--maxdim", "0");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/E_PARAM.*invalid cycles: true \(expected maxdim ≥ 1/);
    const help = (await run("ph", "--help")).stdout;
    expect(help).toMatch(/--cycles\s+add a representative cycle/);
    expect(help).toContain(`"cycles": {"1": [[[i, j], ...], ...]}`);
  });
});

describe("hidden-atlas diagram-distance", () => {
  const dir = tmp();
  const a = join(dir, "a.json");
  const b = join(dir, "b.json");
  writeFileSync(a, JSON.stringify({ diagrams: json("ph/circle_n500.gudhi_h1.json") }));
  writeFileSync(b, JSON.stringify({ diagrams: json("ph/torus_n400.gudhi_h1.json") }));
  const ref = json("ph/diagram_distances.json");
  const sliced = json("ph/sliced_wasserstein.json");

  it("agrees with gudhi 3.7.1 (bottleneck, W1 and W2 in L∞, W1 in L2) and persim's sliced Wasserstein to 1e-6", async () => {
    const distance = async (...args: string[]) => {
      const { code, stdout } = await run("diagram-distance", a, b, ...args);
      expect(code).toBe(0);
      return JSON.parse(stdout);
    };
    const bn = await distance("--metric", "bottleneck");
    expect(bn).toMatchObject({ metric: "bottleneck", infinite: "drop", dim: 1 });
    expect(bn.distance).toBeCloseTo(ref.bottleneck_Linf, 6);
    expect(
      (await distance("--metric", "wasserstein")).distance / ref.wasserstein_q1_Linf - 1,
    ).toBeLessThan(1e-6);
    const w2 = await distance("--metric", "wasserstein", "--q", "2");
    expect(Math.abs(w2.distance / ref.wasserstein_q2_Linf - 1)).toBeLessThan(1e-6);
    expect(w2).toMatchObject({ q: 2, ground: "inf" });
    const l2 = await distance("--metric", "wasserstein", "--ground", "2");
    expect(Math.abs(l2.distance / ref.wasserstein_q1_L2 - 1)).toBeLessThan(1e-6);
    const sw = await distance("--metric", "sliced");
    expect(Math.abs(sw.distance / sliced.sliced_wasserstein_M50 - 1)).toBeLessThan(1e-6);
    expect(sw.directions).toBe(50);
    expect(
      Math.abs(
        (await distance("--metric", "sliced", "--directions", "10")).distance /
          sliced.sliced_wasserstein_M10 -
          1,
      ),
    ).toBeLessThan(1e-6);
  });

  it("applies the infinite-point policy it reports, and names what is wrong with a bad file", async () => {
    const dir2 = tmp();
    const p = join(dir2, "p.json");
    const q = join(dir2, "q.json");
    writeFileSync(
      p,
      JSON.stringify({
        diagrams: {
          "0": [
            [0, 1],
            [0, null],
          ],
        },
      }),
    );
    writeFileSync(
      q,
      JSON.stringify({
        diagrams: {
          "0": [
            [0, 1.5],
            [2, null],
          ],
        },
      }),
    );
    const drop = JSON.parse((await run("diagram-distance", p, q, "--dim", "0")).stdout);
    expect(drop).toMatchObject({ distance: 0.5, infinite: "drop", droppedInfinite: [1, 1] });
    const match = JSON.parse(
      (await run("diagram-distance", p, q, "--dim", "0", "--infinite", "match")).stdout,
    );
    expect(match.distance).toBe(2); // essential births 0 and 2
    const cap = JSON.parse(
      (
        await run(
          "diagram-distance",
          p,
          q,
          "--dim",
          "0",
          "--infinite",
          "cap",
          "--cap",
          "3",
          "--metric",
          "wasserstein",
        )
      ).stdout,
    );
    expect(cap).toMatchObject({ infinite: "cap", cap: 3 });
    expect(cap.distance).toBeCloseTo(0.5 + 2, 12); // (0, 1)↔(0, 1.5) costs 0.5; (0, 3)↔(2, 3) costs 2
    // --cap alone implies --infinite cap (same answer); a cap without a policy that uses it, or
    // the cap policy without a cap, is a usage error naming both options.
    const implied = JSON.parse(
      (await run("diagram-distance", p, q, "--dim", "0", "--cap", "3", "--metric", "wasserstein"))
        .stdout,
    );
    expect(implied).toMatchObject({ infinite: "cap", cap: 3, distance: cap.distance });
    const noCap = await run("diagram-distance", p, q, "--dim", "0", "--infinite", "cap");
    expect([noCap.code, noCap.stderr]).toEqual([
      2,
      expect.stringMatching(/E_USAGE: --infinite cap needs --cap VALUE/),
    ]);
    const capDropped = await run(
      "diagram-distance",
      p,
      q,
      "--dim",
      "0",
      "--infinite",
      "drop",
      "--cap",
      "3",
    );
    expect([capDropped.code, capDropped.stderr]).toEqual([
      2,
      expect.stringMatching(/E_USAGE: --cap is used with --infinite cap only; got --infinite drop/),
    ]);
    // --q and --directions are checked whatever the metric: a bad value is never silently ignored.
    for (const [flag, value, pattern] of [
      ["--q", "0.5", /--q must be a number ≥ 1; got 0\.5/],
      ["--directions", "0", /--directions must be an integer ≥ 1; got 0/],
    ] as const) {
      const bad = await run("diagram-distance", p, q, "--dim", "0", flag, value);
      expect([bad.code, bad.stderr]).toEqual([2, expect.stringMatching(pattern)]);
    }
    const missing = await run("diagram-distance", p, q, "--dim", "1");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`${p} has no diagram of degree 1 (it has 0)`);
    writeFileSync(q, "[1, 2]");
    expect((await run("diagram-distance", p, q, "--dim", "0")).stderr).toMatch(
      /expected \{"diagrams"/,
    );
    expect((await run("diagram-distance", p, p, "--dim", "0", "--ground", "0.5")).code).toBe(2);
  });
});

describe("hidden-atlas cka", () => {
  it("prints the CKA of two matrices, plain and debiased, equal to the library and Kornblith's reference", async () => {
    const ref = json("cka/reference.json");
    const plain = JSON.parse((await run("cka", fixture("cka/X.npy"), fixture("cka/Y.npy"))).stdout);
    expect(plain.cka).toBeCloseTo(ref.cka[0][1], 9);
    expect(plain).toMatchObject({ debiased: false, n: 80 });
    const debiased = JSON.parse(
      (await run("cka", fixture("cka/X.npy"), fixture("cka/Z.npy"), "--debiased")).stdout,
    );
    expect(debiased.cka).toBeCloseTo(ref.cka_debiased[0][2], 9);
    const mismatch = await run("cka", fixture("cka/X.npy"), fixture("cka/cloud.npy"));
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toMatch(/E_SHAPE_MISMATCH/);
    expect((await run("cka", fixture("cka/X.npy"))).code).toBe(2);
  });

  it("prints the layer × layer matrix of a bundle (JSON and CSV), equal to ckaMatrix", async () => {
    const out = JSON.parse(
      (
        await run(
          "cka",
          digitsCnn,
          "--vectorize",
          "gap",
          "--layers",
          "conv3",
          "--layers",
          "gap",
          "--layers",
          "logits",
        )
      ).stdout,
    );
    expect(out.layers).toEqual(["conv3", "gap", "logits"]);
    const bundle = await loadBundleFromPath(digitsCnn);
    const mats = await Promise.all(
      out.layers.map((name: string) =>
        layerMatrix(
          bundle.layers.find((l) => l.name === name)!,
          { method: "gap" },
        ),
      ),
    );
    const { matrix } = await ckaMatrix(mats);
    expect(out.matrix.flat()).toEqual(Array.from(matrix));
    // conv3 global-average-pooled is the gap layer itself (up to float16 storage): CKA ≈ 1.
    expect(out.matrix[0][1]).toBeGreaterThan(0.999);
    expect((await linearCka(mats[1], mats[2])).cka).toBe(out.matrix[1][2]);
    const csv = (
      await run(
        "cka",
        digitsCnn,
        "--vectorize",
        "gap",
        "--layers",
        "gap",
        "--layers",
        "logits",
        "--format",
        "csv",
      )
    ).stdout
      .trim()
      .split("\n");
    expect(csv[0]).toBe("layer,gap,logits");
    expect(csv[1].startsWith("gap,1,")).toBe(true);
    expect((await run("cka", digitsCnn, "--layers", "fc9")).stderr).toMatch(
      /invalid layers: "fc9" \(expected some of conv1:pre:top-l2, conv1, conv2:pre:top-l2, conv2, conv3:pre:top-l2, conv3, gap, logits\)/,
    );
  });
});

describe("hidden-atlas report layer-topology", () => {
  it("writes the report of the raw conv outputs on test images with the parameters, both heatmaps, the tables and the W1 error bound", async () => {
    const out = join(tmp(), "lt.html");
    const { code, stdout, stderr } = await run(
      "report",
      "layer-topology",
      "--bundle",
      digitsCnn,
      "--set",
      "samples=100",
      "--set",
      "metric=wasserstein",
      "--set",
      "layer=conv2:pre:top-l2",
      "--out",
      out,
    );
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      notebook: "layer-topology",
      parameters: {
        layer: "conv2:pre:top-l2",
        layers: "conv1:pre:top-l2, conv2:pre:top-l2, conv3:pre:top-l2",
        split: "test",
        metric: "wasserstein",
        samples: 100,
        vectorize: "top-l2",
      },
    });
    const html = readFileSync(out, "utf8");
    expect(html).toContain("Layer topology · digits-cnn");
    expect(html).toContain("Barcode of conv2:pre:top-l2");
    expect(html).toContain("Each layer is 100 test images");
    // No seed study from a single bundle, and no single rank correlation as a finding.
    expect(html).not.toContain("what we measured over seeds");
    expect(html).not.toMatch(/Spearman|rank correlation/);
    expect(html).toContain("H1 Wasserstein W1 (L∞ ground metric) distance between layers");
    expect(html).toMatch(/within a proven relative error of [0-9.e-]+/);
    expect(html).toContain("Linear CKA between layers");
    expect(html).toContain("Sensitivity test");
    expect((html.match(/<svg[^>]*class="plot-/g) ?? []).length).toBeGreaterThanOrEqual(5);
    expect(html).not.toMatch(/<script/i);
  }, 60_000);
});
