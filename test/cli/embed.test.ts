/**
 * The `embed` and `geodesic` commands: their files and printed numbers against the library and
 * SciPy's shortest paths (test/fixtures/geodesic), their formats and their errors.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pca } from "../../src/algo/pca.ts";
import { umap } from "../../src/algo/umap.ts";
import { runCli as run } from "../support/cli.ts";
import { readNpy, writeNpy } from "../../src/io/npy.ts";

const tmp = () => mkdtempSync(join(tmpdir(), "atlas-embed-cli-"));
const fixture = (path: string) => new URL(`../fixtures/${path}`, import.meta.url).pathname;
const readMatrix = (path: string) => {
  const a = readNpy(new Uint8Array(readFileSync(path)));
  return { rows: a.shape[0], cols: a.shape[1], data: a.data as Float32Array };
};

describe("hidden-atlas geodesic", () => {
  it("writes sources × N distances equal to SciPy's shortest_path on the 10-NN union graph", async () => {
    const dir = tmp();
    const ref = JSON.parse(readFileSync(fixture("geodesic/swissroll_n1000_k10.json"), "utf8"));
    const { code, stdout, stderr } = await run(
      "geodesic",
      fixture("geodesic/swissroll_n1000.npy"),
      "--k",
      "10",
      "--sources",
      ref.sources.join(","),
      "--out",
      join(dir, "D.npy"),
    );
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ sources: ref.sources, n: 1000, k: 10 });
    const D = readNpy(new Uint8Array(readFileSync(join(dir, "D.npy"))));
    expect(D.shape).toEqual([3, 1000]);
    let worst = 0;
    for (let r = 0; r < 3; r++) {
      for (let j = 0; j < 1000; j++) {
        const want = ref.distances[r][j];
        const got = (D.data as Float32Array)[r * 1000 + j];
        if (want === null) expect(got).toBe(Infinity);
        else worst = Math.max(worst, Math.abs(got - want) / Math.max(want, 1e-12));
      }
    }
    expect(worst).toBeLessThan(1e-4);
  });

  it("prints Infinity as null between components, and rejects bad sources", async () => {
    const dir = tmp();
    const pts = new Float32Array([0, 0, 1, 0, 2, 0, 100, 0, 101, 0, 102, 0]);
    writeFileSync(join(dir, "x.npy"), writeNpy({ shape: [6, 2], data: pts }));
    const out = JSON.parse(
      (await run("geodesic", join(dir, "x.npy"), "--k", "2", "--sources", "0")).stdout,
    );
    expect(out.components).toBe(2);
    expect(out.distances).toEqual([[0, 1, 2, null, null, null]]);
    const csv = (
      await run("geodesic", join(dir, "x.npy"), "--k", "2", "--sources", "5", "--format", "csv")
    ).stdout
      .trim()
      .split("\n");
    expect(csv[0]).toBe("source,target,distance");
    expect(csv).toHaveLength(7);
    const bad = await run("geodesic", join(dir, "x.npy"), "--sources", "0,x");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--sources expects comma-separated row indices/);
    const range = await run("geodesic", join(dir, "x.npy"), "--k", "2", "--sources", "9");
    expect(range.code).toBe(1);
    expect(range.stderr).toMatch(/E_PARAM: invalid sources\[0\]: 9/);
  });
});

describe("hidden-atlas embed", () => {
  it(
    "--method umap writes the library's coordinates bit for bit, with the resolved options",
    { timeout: 60_000 },
    async () => {
      const dir = tmp();
      const X = readMatrix(fixture("embedding/digits500_jitter.npy"));
      const { code, stdout } = await run(
        "embed",
        fixture("embedding/digits500_jitter.npy"),
        "--method",
        "umap",
        "--k",
        "15",
        "--seed",
        "42",
        "--out",
        join(dir, "c.npy"),
      );
      expect(code).toBe(0);
      const summary = JSON.parse(stdout);
      expect(summary).toMatchObject({
        method: "umap",
        n: 500,
        dimensions: 2,
        params: { nNeighbors: 15, seed: 42, minDist: 0.1 },
      });
      const coords = readNpy(new Uint8Array(readFileSync(join(dir, "c.npy"))));
      const lib = await umap(X, { nNeighbors: 15, seed: 42 });
      expect(Array.from(coords.data as Float32Array)).toEqual(Array.from(lib.coordinates.data));
    },
  );

  it("--method pca prints coordinates as JSON and CSV", async () => {
    const X = readMatrix(fixture("embedding/digits500_jitter.npy"));
    const lib = await pca(X, { nComponents: 2 });
    const out = JSON.parse(
      (await run("embed", fixture("embedding/digits500_jitter.npy"), "--method", "pca")).stdout,
    );
    expect(out.coordinates).toHaveLength(500);
    expect(out.coordinates[7][1]).toBeCloseTo(lib.scores.data[15], 4);
    const csv = (
      await run(
        "embed",
        fixture("embedding/digits500_jitter.npy"),
        "--method",
        "pca",
        "--format",
        "csv",
      )
    ).stdout
      .trim()
      .split("\n");
    expect(csv[0]).toBe("row,x1,x2");
    expect(csv).toHaveLength(501);
  });

  it(
    "--method mda groups by --predictions and fails clearly without them",
    { timeout: 60_000 },
    async () => {
      const dir = tmp();
      const n = 120;
      const X = new Float32Array(n * 6);
      const y = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const t = i / n;
        y[i] = t;
        for (let j = 0; j < 6; j++) X[i * 6 + j] = Math.cos(2 * Math.PI * (j + 1) * 0.3 * t + j);
      }
      writeFileSync(join(dir, "x.npy"), writeNpy({ shape: [n, 6], data: X }));
      writeFileSync(join(dir, "p.npy"), writeNpy({ shape: [n, 1], data: y }));
      const ok = await run(
        "embed",
        join(dir, "x.npy"),
        "--method",
        "mda",
        "--predictions",
        join(dir, "p.npy"),
        "--groups",
        "6",
        "--out",
        join(dir, "m.npy"),
      );
      expect(ok.stderr).toBe("");
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.stdout).params).toMatchObject({ groups: 6, classes: 8, components: 16 });
      expect(readNpy(new Uint8Array(readFileSync(join(dir, "m.npy")))).shape).toEqual([n, 2]);
      // --targets beside --predictions is read and checked too, never silently ignored; a file of
      // other samples is refused naming the option, the file and both row counts.
      const absent = await run(
        "embed",
        join(dir, "x.npy"),
        "--method",
        "mda",
        "--predictions",
        join(dir, "p.npy"),
        "--targets",
        join(dir, "none.npy"),
      );
      expect(absent.code).toBe(1);
      expect(absent.stderr).toMatch(/E_IO: cannot read .*none\.npy/);
      writeFileSync(join(dir, "short.npy"), writeNpy({ shape: [5, 1], data: y.subarray(0, 5) }));
      for (const option of ["--predictions", "--targets"]) {
        const short = await run(
          "embed",
          join(dir, "x.npy"),
          "--method",
          "mda",
          option,
          join(dir, "short.npy"),
        );
        expect(short.code).toBe(1);
        expect(short.stderr).toMatch(
          new RegExp(
            `E_SHAPE_MISMATCH: ${option} .*short\\.npy has 5 rows but .*x\\.npy has 120; rows must be the same samples`,
          ),
        );
      }
      const missing = await run("embed", join(dir, "x.npy"), "--method", "mda");
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/needs --predictions/);
      const noMethod = await run("embed", join(dir, "x.npy"));
      expect(noMethod.code).toBe(2);
      expect(noMethod.stderr).toMatch(/--method is required/);
      const badMethod = await run("embed", join(dir, "x.npy"), "--method", "lle");
      expect(badMethod.code).toBe(2);
      expect(badMethod.stderr).toMatch(
        /--method must be one of pca, mds, isomap, tsne, umap, phate, mda; got "lle"/,
      );
    },
  );
});
