import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { knn } from "../../src/algo/knn.ts";
import { COMMANDS } from "../../src/cli/main.ts";
import { runCli as run } from "../support/cli.ts";
import { readNpy, writeNpy } from "../../src/io/npy.ts";
import { HOSTILE_NAME, writeHostileBundle } from "../support/bundles.ts";
import { randomMatrix } from "../helpers.ts";

const tmp = () => mkdtempSync(join(tmpdir(), "atlas-cli-"));
const digits = new URL("../../data/digits", import.meta.url).pathname;

describe("hidden-atlas", () => {
  it("prints an overview with every command, and --help for each command lists options with defaults", async () => {
    const overview = await run("--help");
    expect(overview.code).toBe(0);
    for (const entry of COMMANDS) {
      const c = await entry.load();
      expect(overview.stdout).toContain(c.spec.name);
      const help = await run(c.spec.name, "--help");
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`hidden-atlas ${c.spec.name}`);
      for (const name of Object.keys(c.spec.options)) expect(help.stdout).toContain(`--${name}`);
    }
    expect((await run("knn", "--help")).stdout).toMatch(
      /--k INTEGER\s+neighbours per row.*\(default: 5\)/,
    );
  });

  it("exits 2 on bad usage and 1 on a HiddenAtlasError, with the code on stderr", async () => {
    expect((await run()).code).toBe(2);
    expect((await run("frobnicate")).code).toBe(2);
    const missing = await run("knn");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing INPUT/);
    const badFlag = await run("knn", "x.npy", "--kk", "3");
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/E_USAGE/);
    expect((await run("knn", "x.npy", "--k", "two")).stderr).toMatch(
      /--k expects an integer, got "two"/,
    );
    const short = await run("knn", "x.npy", "-k", "3");
    expect([short.code, short.stderr]).toEqual([
      2,
      expect.stringMatching(/E_USAGE: unknown option -k: options take two dashes \(--k\)/),
    ]);
    const epochs = await run(
      "example",
      "digits-rotation",
      "--out",
      join(tmp(), "ex"),
      "--epochs",
      "0",
    );
    expect([epochs.code, epochs.stderr]).toEqual([
      2,
      expect.stringMatching(/E_USAGE: --epochs must be at least 1; got 0/),
    ]);
    const example = await run("example", "\u001b]0;x\u0007", "--out", join(tmp(), "ex"));
    expect([example.code, example.stderr]).toEqual([
      2,
      expect.stringMatching(/E_USAGE: unknown example "\\x1b\]0;x\\x07" \(known: /),
    ]);
    const none = await run();
    expect(none.stderr).toMatch(
      /^hidden-atlas: E_USAGE: no command given\. Usage: hidden-atlas COMMAND/,
    );
    const unknown = await run("\u001b[2J");
    expect([unknown.code, unknown.stderr]).toEqual([
      2,
      expect.stringMatching(
        /^hidden-atlas: E_USAGE: unknown command "\\x1b\[2J" \(commands: info, knn, /,
      ),
    ]);
    // Past 2^53 the typed integer is not the one read (…993 reads as …992): refused, not rounded.
    for (const seed of ["9007199254740992", "9007199254740993", "1e300"]) {
      const big = await run("embed", "x.npy", "--method", "pca", "--seed", seed);
      expect(big.code).toBe(2);
      expect(big.stderr).toMatch(
        new RegExp(
          `E_USAGE: .*--seed expects an integer of at most 2\\^53 − 1 \\(9007199254740991\\) in size, got "${seed}"`,
        ),
      );
    }
    const noFile = await run("knn", join(tmp(), "none.npy"));
    expect(noFile.code).toBe(1);
    expect(noFile.stderr).toMatch(/E_IO/);
    expect(noFile.stdout).toBe("");
  });

  it("takes a negative number as an option's value, and checks --seed and --subsample wherever given", async () => {
    const dir = tmp();
    const X = randomMatrix(30, 4, 3);
    const input = join(dir, "x.npy");
    writeFileSync(input, writeNpy({ shape: [30, 4], data: X.data }));
    // `--gamma -1` is the value −1 (PHATE's "no potential"), as `--gamma=-1` is; not an option.
    const spaced = await run("embed", input, "--method", "phate", "--gamma", "-1", "--knn", "4");
    const joined = await run("embed", input, "--method", "phate", "--gamma=-1", "--knn", "4");
    expect([spaced.code, joined.code]).toEqual([0, 0]);
    expect(JSON.parse(spaced.stdout).params.gamma).toBe(-1);
    expect(spaced.stdout).toBe(joined.stdout);
    // A negative seed is refused even where nothing is random (PCA; ph without --subsample).
    for (const args of [
      ["embed", input, "--method", "pca", "--seed", "-1"],
      ["ph", input, "--seed", "-1"],
    ]) {
      const bad = await run(...args);
      expect([bad.code, bad.stderr]).toEqual([
        2,
        expect.stringMatching(/E_USAGE: --seed expects an integer ≥ 0, got "-1"/),
      ]);
    }
    for (const size of ["0", "-1", "31"]) {
      const bad = await run("ph", input, "--subsample", size);
      expect([bad.code, bad.stderr]).toEqual([
        2,
        expect.stringMatching(
          new RegExp(
            `E_USAGE: --subsample must be from 1 to 30 \\(the rows of .*x\\.npy\\); got ${size}`,
          ),
        ),
      ]);
    }
  });

  it("knn prints the k nearest other rows of each row as JSON, equal to the library", async () => {
    const dir = tmp();
    const X = randomMatrix(40, 6, 5);
    const input = join(dir, "x.npy");
    writeFileSync(input, writeNpy({ shape: [40, 6], data: X.data }));
    const { code, stdout, stderr } = await run("knn", input, "--k", "4", "--format", "json");
    expect(code).toBe(0);
    expect(stderr).toBe(""); // no progress bar when stderr is not a terminal
    const printed = JSON.parse(stdout);
    const expected = await knn(X, { k: 4 });
    expect(printed.indices).toHaveLength(40);
    expect(printed.indices.flat()).toEqual(Array.from(expected.indices));
    expect(printed.distances.flat().map((d: number) => Math.fround(d))).toEqual(
      Array.from(expected.distances),
    );
    for (let i = 0; i < 40; i++) expect(printed.indices[i]).not.toContain(i);
  });

  it("knn writes .npy outputs and a CSV form; cosine metric is accepted", async () => {
    const dir = tmp();
    const X = randomMatrix(25, 3, 8);
    const input = join(dir, "x.npy");
    writeFileSync(input, writeNpy({ shape: [25, 3], data: X.data }));
    const out = await run(
      "knn",
      input,
      "--k",
      "3",
      "--metric",
      "cosine",
      "--out-indices",
      join(dir, "i.npy"),
      "--out-distances",
      join(dir, "d.npy"),
    );
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ n: 25, k: 3, metric: "cosine" });
    const indices = readNpy(readFileSync(join(dir, "i.npy")));
    expect(indices.shape).toEqual([25, 3]);
    expect(indices.dtype).toBe("<i4");
    const expected = await knn(X, { k: 3, metric: "cosine" });
    expect(Array.from(indices.data)).toEqual(Array.from(expected.indices));
    const csv = await run("knn", input, "--k", "2", "--format", "csv");
    const lines = csv.stdout.trim().split("\n");
    expect(lines[0]).toBe("row,rank,neighbor,distance");
    expect(lines).toHaveLength(1 + 25 * 2);
  });

  it("info validates a bundle and prints its layers and hash", async () => {
    const { code, stdout } = await run("info", digits);
    expect(code).toBe(0);
    const info = JSON.parse(stdout);
    expect(info).toMatchObject({ name: "digits", task: "classification", samples: 1797 });
    expect(info.layers[0]).toMatchObject({ name: "pixels", dimension: 64 });
    expect(info.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("report explore --set k=10 writes the same kind of report as the notebook, escaped", async () => {
    const dir = tmp();
    const out = join(dir, "r.html");
    const { code, stdout } = await run(
      "report",
      "explore",
      "--bundle",
      digits,
      "--set",
      "k=10",
      "--set",
      "point=3",
      "--out",
      out,
      "--date",
      "2026-01-01",
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      notebook: "explore",
      dataset: "digits",
      parameters: { k: 10, point: 3 },
    });
    const html = readFileSync(out, "utf8");
    expect(html).toContain("<th>k</th><td>10</td>");
    expect(html).toContain("2026-01-01");
    expect(html).toContain("Nearest neighbours of sample #3");
    expect((html.match(/<img class="thumb"/g) ?? []).length).toBe(11);
    expect(html).not.toMatch(/<script/i);

    const hostile = await writeHostileBundle();
    const r2 = await run("report", "explore", "--bundle", hostile, "--out", join(dir, "h.html"));
    expect(r2.code).toBe(0);
    const escaped = readFileSync(join(dir, "h.html"), "utf8");
    expect(escaped).not.toContain(HOSTILE_NAME);
    expect(escaped).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(escaped).not.toContain("<b>bundle</b>");
  });

  it("report rejects unknown notebooks and parameters as usage errors", async () => {
    expect((await run("report", "nope", "--bundle", digits, "--out", "x.html")).code).toBe(2);
    const bad = await run(
      "report",
      "explore",
      "--bundle",
      digits,
      "--set",
      "kk=3",
      "--out",
      "x.html",
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown parameter "kk" for explore/);
    const range = await run(
      "report",
      "explore",
      "--bundle",
      digits,
      "--set",
      "k=0",
      "--out",
      join(tmp(), "x.html"),
    );
    expect(range.code).toBe(1);
    expect(range.stderr).toMatch(/E_PARAM: invalid k: 0/);
  });
});

describe("hidden-atlas som", () => {
  it("fits a map and prints QE, TE, BMUs, hits and label counts; writes the weights", async () => {
    const dir = tmp();
    const X = randomMatrix(120, 4, 2);
    const labels = new Int32Array(120).map((_, i) => i % 3);
    writeFileSync(join(dir, "x.npy"), writeNpy({ shape: [120, 4], data: X.data }));
    writeFileSync(join(dir, "l.npy"), writeNpy({ shape: [120], data: labels }));
    const { code, stdout } = await run(
      "som",
      join(dir, "x.npy"),
      "--rows",
      "4",
      "--cols",
      "5",
      "--epochs",
      "5",
      "--labels",
      join(dir, "l.npy"),
      "--out-weights",
      join(dir, "w.npy"),
    );
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.bmus).toHaveLength(120);
    expect(out.hits.reduce((a: number, b: number) => a + b, 0)).toBe(120);
    expect(out.labelCounts).toHaveLength(20);
    expect(out.labelCounts.flat().reduce((a: number, b: number) => a + b, 0)).toBe(120);
    expect(out.qe).toBeGreaterThan(0);
    expect(out.te.rect8).toBeGreaterThanOrEqual(0);
    expect(out.params).toMatchObject({ rows: 4, cols: 5, sigma: 2.5, mode: "batch" });
    expect(readNpy(readFileSync(join(dir, "w.npy"))).shape).toEqual([20, 4]);
    expect((await run("som", join(dir, "x.npy"), "--topology", "square")).code).toBe(2);
  });
});

it("report som-codes draws every map in Node, colour ramps included (canvas shim)", async () => {
  const out = join(tmp(), "s.html");
  const bundle = new URL("../../data/examples/digits-cnn.zip", import.meta.url).pathname;
  const { code } = await run(
    "report",
    "som-codes",
    "--bundle",
    bundle,
    "--set",
    "epochs=3",
    "--set",
    "layer=conv3",
    "--out",
    out,
  );
  expect(code).toBe(0);
  const html = readFileSync(out, "utf8");
  expect(html).toContain("Codes across layers");
  expect(html).toContain("Hit map of conv3");
  expect(html).toMatch(/<image[^>]+href="data:image\/png;base64,/); // the ramp legend, drawn through the shim
  expect(html).toContain("BMU moves in conv3 under FGSM");
});
