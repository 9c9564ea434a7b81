/**
 * The `mphate` command and `embed --method phate`: the printed embedding equals the library's,
 * the outputs' shapes, and usage errors.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mphate } from "../../src/algo/mphate.ts";
import { phate } from "../../src/algo/phate.ts";
import { runCli as run } from "../support/cli.ts";
import { readNpy, writeNpy } from "../../src/io/npy.ts";
import { mulberry32 } from "../helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "atlas-mphate-cli-"));
const random = mulberry32(3);
const [epochs, units, samples] = [6, 10, 8];
const data = Float32Array.from({ length: epochs * units * samples }, () => random() * 2 - 1);
const tensorPath = join(dir, "tensor.npy");
writeFileSync(tensorPath, writeNpy({ shape: [epochs, units, samples], data }));

describe("hidden-atlas mphate", () => {
  it("writes the library's embedding (epoch-major) and the (epoch, unit) labels", async () => {
    const out = join(dir, "coords.npy");
    const labels = join(dir, "labels.npy");
    const { code, stdout, stderr } = await run(
      "mphate",
      tensorPath,
      "--interslice-knn",
      "3",
      "--out",
      out,
      "--out-labels",
      labels,
    );
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary).toMatchObject({
      points: 60,
      epochs: 6,
      units: 10,
      samples: 8,
      landmarks: null,
      out,
    });
    expect(summary.params).toMatchObject({
      intersliceKnn: 3,
      intersliceKnnAuto: false,
      intrasliceKnn: 2,
      gamma: 0,
      decay: 5,
      nLandmark: 4000,
    });
    const coords = readNpy(readFileSync(out), out);
    expect(coords.shape).toEqual([60, 2]);
    const expected = await mphate({ epochs, units, samples, data }, { intersliceKnn: 3 });
    expect(Array.from(coords.data as Float32Array)).toEqual(Array.from(expected.embedding.data));
    const l = readNpy(readFileSync(labels), labels);
    expect(Array.from((l.data as Int32Array).slice(2 * 11, 2 * 11 + 2))).toEqual([1, 1]);
  });

  it("reads a bundle's checkpoints; κ is auto (scaled to the run) unless given, a given κ is clamped with a warning", async () => {
    const bundle = new URL("../../data/examples/digits-generalization-vanilla.zip", import.meta.url)
      .pathname;
    const { code, stdout } = await run(
      "mphate",
      bundle,
      "--epoch-stride",
      "4",
      "--t",
      "8",
      "--format",
      "json",
    );
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.units).toBe(96);
    expect(out.epochs).toBe(6); // 21 checkpoints: indices 0, 4, …, 20 (the last)
    expect(out.t).toBe(8);
    // max(2, round(0.08 × 6)) = 2
    expect(out.params).toMatchObject({ intersliceKnn: 2, intersliceKnnAuto: true });
    expect(out.warnings).toEqual([]);
    expect(out.landmarks).toBeNull();
    expect(out.coordinates).toHaveLength(6 * 96);
    const given = JSON.parse(
      (
        await run(
          "mphate",
          bundle,
          "--epoch-stride",
          "4",
          "--t",
          "8",
          "--interslice-knn",
          "25",
          "--out",
          join(dir, "given.npy"),
        )
      ).stdout,
    );
    expect(given.params).toMatchObject({ intersliceKnn: 5, intersliceKnnAuto: false });
    expect(given.warnings.join(" ")).toMatch(/intersliceKnn 25 clamped to epochs − 1 = 5/);
  });

  it("refuses a 2-d array and a bad --t with the right exit codes", async () => {
    const flat = join(dir, "flat.npy");
    writeFileSync(flat, writeNpy({ shape: [10, 4], data: new Float32Array(40) }));
    const a = await run("mphate", flat);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/E_SHAPE_MISMATCH: .*expected epochs × units × samples/);
    const b = await run("mphate", tensorPath, "--t", "soon");
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--t expects "auto" or a positive integer/);
    const c = await run("mphate", tensorPath, "--interslice-knn", "many");
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/--interslice-knn expects "auto" or a positive integer, got "many"/);
    // Past 2^53 − 1 the number read is not the one typed: refused, not rounded.
    for (const [flag, value] of [
      ["--interslice-knn", "9007199254740993"],
      ["--t", "9007199254740993"],
    ]) {
      const big = await run("mphate", tensorPath, flag, value);
      expect([big.code, big.stderr]).toEqual([
        2,
        expect.stringMatching(
          new RegExp(`${flag} expects "auto" or a positive integer, got "${value}"`),
        ),
      ]);
    }
  });
});

describe("hidden-atlas embed --method phate", () => {
  it("prints the library's PHATE embedding", async () => {
    const X = { rows: 60, cols: 5, data: Float32Array.from({ length: 300 }, () => random()) };
    const path = join(dir, "x.npy");
    writeFileSync(path, writeNpy({ shape: [60, 5], data: X.data }));
    const { code, stdout } = await run(
      "embed",
      path,
      "--method",
      "phate",
      "--knn",
      "4",
      "--gamma",
      "0",
    );
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    const expected = await phate(X, { knn: 4, gamma: 0 });
    expect(out.coordinates.flat()).toEqual(Array.from(expected.embedding.data));
    expect(out.params).toMatchObject({ knn: 4, gamma: 0, decay: 40, t: expected.t });
  });
});

describe("hidden-atlas report mphate", () => {
  it("writes the training-dynamics report of a bundle with the parameters set on the command line", async () => {
    const bundle = new URL("../../data/examples/digits-generalization-vanilla.zip", import.meta.url)
      .pathname;
    const out = join(dir, "report.html");
    const { code } = await run(
      "report",
      "mphate",
      "--bundle",
      bundle,
      "--set",
      "colorBy=layer",
      "--set",
      "epochStride=4",
      "--set",
      "t=10",
      "--out",
      out,
    );
    expect(code).toBe(0);
    const html = readFileSync(out, "utf8");
    for (const section of [
      "Training dynamics",
      "Coloured by epoch",
      "Coloured by most-active class (L1)",
    ])
      expect(html).toContain(`<h2>${section}</h2>`);
    expect(html).toContain("<th>epochStride</th><td>4</td>");
    expect(html).toContain("<th>t</th><td>10</td>");
    expect(html).toContain("<th>intersliceKnn</th><td>auto (2)</td>");
    expect(html).toContain("<th>nLandmark</th><td>4000</td>");
    expect(html).toMatch(
      /96 units × 6 checkpoints \(epochs 0–60\), diffusion time t = 10 \(exact\), interslice κ = 2 \(auto: max\(2, round\(0\.08 × 6 checkpoints\)\)\)/,
    );
    // The report opens with the paper's claims beside what was measured.
    expect(html).toContain("<h2>The paper&#39;s claims and what we measured</h2>");
    expect(html).toMatch(
      /Units separate by layer\.<\/td><td>At the last checkpoint \d+ % of units have their nearest embedded unit in their own layer \(chance 33 %\)/,
    );
  });
});
