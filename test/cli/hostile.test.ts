// The CLI facing a stranger's bundle and bad paths: no control character from data reaches the
// terminal raw, and output paths are checked before any work starts.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { setMemoryBudget } from "../../src/io/limits.ts";
import { writeBundle } from "../../src/io/node.ts";
import { writeNpy } from "../../src/io/npy.ts";
import { runCli as run } from "../support/cli.ts";

const tmp = () => mkdtempSync(join(tmpdir(), "atlas-hostile-"));
const digits = new URL("../../data/digits", import.meta.url).pathname;

/** Control characters a terminal may act on: C0 (tab and newline apart), DEL, C1. */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
/** OSC 0 (set the window title), CSI 2J (clear the screen), an 8-bit CSI, an OSC 8 hyperlink. */
const TITLE = "evil\u001b]0;owned\u0007";
const CLEAR = "\u001b[2J";
const C1_CSI = "\u009b31m";
const LINK = "\u001b]8;;https://example.org\u001b\\click\u001b]8;;\u001b\\";

async function hostileBundle(): Promise<string> {
  const dir = join(tmp(), "b");
  const n = 6;
  await writeBundle(
    {
      name: TITLE + C1_CSI,
      task: "classification",
      classNames: ["ok", CLEAR, LINK],
      layers: [
        { name: `fc${CLEAR}`, shape: [n, 2], data: new Float32Array(n * 2).map((_, i) => i) },
      ],
      labels: new Int32Array([0, 1, 2, 0, 1, 2]),
      meta: { note: `\u009d8;;x\u009c ${TITLE}`, nested: { deeper: [CLEAR] } },
    },
    dir,
  );
  return dir;
}

describe("control characters from a manifest never reach the terminal raw", () => {
  it("info JSON escapes them (\\u001b by JSON, \\u009b by us) and still parses to the same strings", async () => {
    const { code, stdout, stderr } = await run("info", await hostileBundle());
    expect(code).toBe(0);
    expect(stdout).not.toMatch(RAW_CONTROL);
    expect(stderr).not.toMatch(RAW_CONTROL);
    expect(stdout).toContain("evil\\u001b]0;owned\\u0007\\u009b31m");
    const info = JSON.parse(stdout);
    expect(info.name).toBe(TITLE + C1_CSI);
    expect(info.classNames).toEqual(["ok", CLEAR, LINK]);
    expect(info.layers[0].name).toBe(`fc${CLEAR}`);
    expect(info.meta.note).toBe(`\u009d8;;x\u009c ${TITLE}`);
  });

  it("info CSV shows them as \\x1b", async () => {
    const { code, stdout } = await run("info", await hostileBundle(), "--format", "csv");
    expect(code).toBe(0);
    expect(stdout).not.toMatch(RAW_CONTROL);
    expect(stdout.split("\n")[1]).toBe("fc\\x1b[2J,dense,6x2,2,layers/fc_2J.npy");
  });

  it("error messages quoting a manifest show them as \\x1b and stay on one line", async () => {
    const dir = await hostileBundle();
    const manifest = JSON.parse(
      await import("node:fs").then((fs) => fs.readFileSync(join(dir, "manifest.json"), "utf8")),
    );
    manifest.labels = `labels${CLEAR}\n${TITLE}.npy`;
    writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
    for (const args of [
      ["info", dir],
      ["report", "explore", "--bundle", dir, "--out", join(tmp(), "r.html")],
    ]) {
      const { code, stderr } = await run(...args);
      expect(code).toBe(1);
      expect(stderr).not.toMatch(RAW_CONTROL);
      expect(stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(stderr).toContain(
        "E_MISSING_FILE: b: labels names labels\\x1b[2J\\x0aevil\\x1b]0;owned\\x07.npy, which is not in the bundle",
      );
    }
  });
});

describe("output paths are checked before the work starts", () => {
  const input = () => {
    const dir = tmp();
    writeFileSync(
      join(dir, "x.npy"),
      writeNpy({ shape: [20, 3], data: new Float32Array(60).map((_, i) => Math.sin(i)) }),
    );
    return join(dir, "x.npy");
  };

  it("a missing folder, a folder given as the file, a device: E_IO naming the option and path", async () => {
    const dir = tmp();
    const cases: [string[], RegExp][] = [
      [
        ["--out-indices", join(dir, "no/such/i.npy")],
        /E_IO: cannot write --out-indices .*no\/such\/i\.npy: the folder .*no\/such does not exist/,
      ],
      [
        ["--out-distances", dir],
        /E_IO: cannot write --out-distances .*: it is a folder; give a file name/,
      ],
    ];
    if (existsSync("/dev/null"))
      cases.push([
        ["--out-indices", "/dev/null"],
        /E_IO: cannot write --out-indices \/dev\/null: it is a character device, not a regular file/,
      ]);
    for (const [args, pattern] of cases) {
      const { code, stdout, stderr } = await run("knn", input(), "--k", "2", ...args);
      expect(code).toBe(1);
      expect(stdout).toBe("");
      expect(stderr).toMatch(pattern);
    }
  });

  it.runIf(existsSync("/proc/self"))(
    "refuses /proc for any command, before training or reading anything",
    async () => {
      // 100,000 epochs would take hours: the refusal must come before the work.
      const example = await run(
        "example",
        "digits-mlp",
        "--out",
        "/proc/atlas-example",
        "--epochs",
        "100000",
      );
      expect(example.code).toBe(1);
      expect(example.stderr).toMatch(
        /E_IO: cannot write --out \/proc\/atlas-example: \/proc is on procfs, a kernel filesystem, not a place for files/,
      );
      const report = await run(
        "report",
        "explore",
        "--bundle",
        digits,
        "--out",
        "/proc/self/r.html",
      );
      expect(report.code).toBe(1);
      expect(report.stderr).toMatch(
        /E_IO: cannot write --out \/proc\/self\/r\.html: .* is on procfs/,
      );
      const embed = await run(
        "embed",
        join(tmp(), "missing-input.npy"),
        "--method",
        "pca",
        "--out",
        "/proc/e.npy",
      );
      expect(embed.stderr).toMatch(/E_IO: cannot write --out \/proc\/e\.npy/); // checked before the input is even read
    },
  );

  it("a folder output that does not exist yet is fine when its parent is writable", async () => {
    const out = join(tmp(), "new", "deeper");
    const { code, stdout } = await run("example", "digits-rotation", "--out", out, "--epochs", "1");
    expect(code).toBe(0);
    expect(JSON.parse(stdout).bundles[0].path).toBe(out);
    expect(existsSync(join(out, "manifest.json"))).toBe(true);
  });
});

describe("a stranger's data refused at once with a coded error", () => {
  it("report explore on labels of 10^7 without classNames: E_MANIFEST naming value, row and remedy", async () => {
    const dir = join(tmp(), "sparse");
    const n = 12;
    await writeBundle(
      {
        name: "sparse",
        task: "classification",
        layers: [
          { name: "h", shape: [n, 3], data: new Float32Array(n * 3).map((_, i) => Math.cos(i)) },
        ],
        labels: new Int32Array(n).map((_, i) => (i === 7 ? 10_000_000 : i % 2)),
      },
      dir,
    );
    const { code, stderr } = await run(
      "report",
      "explore",
      "--bundle",
      dir,
      "--out",
      join(tmp(), "r.html"),
    );
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /E_MANIFEST: sparse\/labels\.npy \(labels\): sample 7 has label 10000000, .*give classNames in the manifest or remap the labels to 0…C−1/,
    );
  });

  it("info on meta nested 20,000 deep: E_MANIFEST, not a stack overflow", async () => {
    const dir = join(tmp(), "deep");
    await writeBundle(
      {
        name: "deep",
        task: "regression",
        layers: [{ name: "h", shape: [2, 1], data: new Float32Array(2) }],
      },
      dir,
    );
    const manifest = JSON.parse(
      await import("node:fs").then((fs) => fs.readFileSync(join(dir, "manifest.json"), "utf8")),
    );
    writeFileSync(
      join(dir, "manifest.json"),
      JSON.stringify(manifest).slice(0, -1) +
        `,"meta":{"x":${"[".repeat(20_000)}${"]".repeat(20_000)}}}`,
    );
    const { code, stderr } = await run("info", dir);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /E_MANIFEST: deep\/manifest\.json: meta is nested more than 64 levels deep/,
    );
  });

  it("a CSV whose first row has one bad cell is refused naming it, not read as a header", async () => {
    const path = join(tmp(), "x.csv");
    writeFileSync(path, "1,2,oops\n4,5,6\n7,8,9\n");
    const { code, stderr } = await run("knn", path, "--k", "1");
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /E_CSV: .*x\.csv line 1, column 3: 'oops' is not a number but column 1 \('1'\) is/,
    );
  });
});

describe("the hostile-user sweep's findings (npm run bench -- sweep): refused at once, naming the file", () => {
  const save = (name: string, shape: number[], data: Float32Array | Float64Array | Int32Array) => {
    const path = join(tmp(), name);
    writeFileSync(path, writeNpy({ shape, data }));
    return path;
  };
  const points = (n: number, d: number, edit: (i: number) => number = (i) => Math.sin(i)) =>
    Float32Array.from({ length: n * d }, (_, i) => edit(i));

  it("NaN or ±Infinity in a .npy or CSV: E_NON_FINITE naming the file, row and column", async () => {
    const npy = save(
      "x.npy",
      [12, 3],
      points(12, 3, (i) => (i === 7 ? NaN : i)),
    );
    const csv = join(tmp(), "x.csv");
    writeFileSync(csv, "1,2,3\n4,5,6\n7,-inf,9\n1,1,1\n");
    for (const [path, pattern] of [
      [
        npy,
        /E_NON_FINITE: .*x\.npy has a non-finite value \(NaN\) at row 2, column 1; every value must be finite/,
      ],
      [csv, /E_NON_FINITE: .*x\.csv has a non-finite value \(-Infinity\) at row 2, column 1/],
    ] as const) {
      for (const args of [
        ["knn", path, "--k", "1"],
        ["embed", path, "--method", "pca"],
        ["ph", path],
        ["som", path],
      ]) {
        const { code, stdout, stderr } = await run(...args);
        expect([code, stdout]).toEqual([1, ""]);
        expect(stderr).toMatch(pattern);
      }
    }
  });

  it("a float64 value beyond float32's range: E_RANGE naming it, not a silent Infinity", async () => {
    const path = save(
      "wide.npy",
      [6, 2],
      Float64Array.from({ length: 12 }, (_, i) => (i === 5 ? 1e300 : i)),
    );
    const { code, stderr } = await run("knn", path, "--k", "1");
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /E_RANGE: .*wide\.npy has 1e\+300 at row 2, column 1, beyond float32's range/,
    );
  });

  it("a header announcing 2^32 rows of zero columns: E_TOO_LARGE naming the file and its rows", async () => {
    const path = join(tmp(), "x.npy");
    const header =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 0), }";
    const padded = header + " ".repeat(64 - ((10 + header.length + 1) % 64)) + "\n";
    writeFileSync(
      path,
      Buffer.concat([
        Buffer.from([
          0x93,
          ...Buffer.from("NUMPY"),
          1,
          0,
          padded.length & 0xff,
          padded.length >> 8,
        ]),
        Buffer.from(padded),
      ]),
    );
    const { code, stderr } = await run("knn", path, "--k", "1");
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /E_TOO_LARGE: .*x\.npy has 4294967296 rows; at most 2147483647 \(2\^31 − 1\) rows are supported/,
    );
  });

  it("rows of zero columns: E_SHAPE_MISMATCH naming the file (t-SNE printed null coordinates)", async () => {
    const path = save("empty.npy", [30, 0], new Float32Array(0));
    for (const args of [
      ["embed", path, "--method", "tsne", "--perplexity", "2"],
      ["knn", path, "--k", "1"],
    ]) {
      const { code, stderr } = await run(...args);
      expect(code).toBe(1);
      expect(stderr).toMatch(
        /E_SHAPE_MISMATCH: .*empty\.npy has 30 rows of 0 columns; each row needs at least one value/,
      );
    }
  });

  it("a named pipe as the input (.npy or CSV): E_IO at once instead of waiting for a writer", async () => {
    for (const name of ["p.npy", "p.csv"]) {
      const fifo = join(tmp(), name);
      execFileSync("mkfifo", [fifo]);
      const { code, stderr } = await run("knn", fifo, "--k", "1");
      expect(code).toBe(1);
      expect(stderr).toMatch(
        new RegExp(
          `E_IO: cannot read .*${name.replace(".", "\\.")}: it is a named pipe, not a regular file`,
        ),
      );
    }
  });

  it("som and mapper --labels: class indices dense enough to count (E_PARAM naming the file, sample and value)", async () => {
    const X = save("x.npy", [40, 3], points(40, 3));
    const sparse = save(
      "sparse.npy",
      [40],
      Int32Array.from({ length: 40 }, (_, i) => (i === 9 ? 10_000_000 : i % 3)),
    );
    const fraction = save(
      "half.npy",
      [40],
      Float32Array.from({ length: 40 }, (_, i) => (i === 4 ? 0.5 : 1)),
    );
    for (const command of ["som", "mapper"]) {
      const a = await run(command, X, "--labels", sparse);
      expect(a.code).toBe(1);
      expect(a.stderr).toMatch(
        /E_PARAM: .*sparse\.npy: sample 9 has label 10000000, but without classNames labels are class indices/,
      );
      const b = await run(command, X, "--labels", fraction);
      expect(b.code).toBe(1);
      expect(b.stderr).toMatch(
        /E_PARAM: .*half\.npy: sample 4 has label 0\.5, expected a non-negative integer/,
      );
    }
    // Dense labels still give per-class counts: 3 classes.
    const labels = save(
      "l.npy",
      [40],
      Int32Array.from({ length: 40 }, (_, i) => i % 3),
    );
    const ok = await run("mapper", X, "--labels", labels);
    expect(ok.code).toBe(0);
    const graph = JSON.parse(ok.stdout);
    expect(
      graph.nodes.every(
        (n: { labelCounts: number[]; size: number }) =>
          n.labelCounts.length === 3 && n.labelCounts.reduce((a, b) => a + b, 0) === n.size,
      ),
    ).toBe(true);
  });

  it("mphate on a tensor with NaN: E_NON_FINITE naming the file, epoch, unit and sample", async () => {
    const path = save(
      "t.npy",
      [4, 5, 6],
      Float32Array.from({ length: 120 }, (_, i) => (i === 2 * 30 + 3 * 6 + 4 ? NaN : Math.cos(i))),
    );
    const { code, stderr } = await run("mphate", path, "--out", join(tmp(), "m.npy"));
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /E_NON_FINITE: .*t\.npy has a non-finite value \(NaN\) at epoch 2, unit 3, sample 4; every value must be finite/,
    );
  });
});

describe("the memory budget counts a command's working set, refused up front with the bytes needed (sweep, memory family)", () => {
  const withBudget = async <T>(bytes: number, fn: () => Promise<T>): Promise<T> => {
    const previous = setMemoryBudget(bytes);
    try {
      return await fn();
    } finally {
      setMemoryBudget(previous);
    }
  };
  const values = (count: number) =>
    Float32Array.from({ length: count }, (_, i) => Math.sin(i * 0.7) + (i % 5));

  it("knn: the neighbour lists count beside the input (6000 × 3 float32 and 6000 × 5 lists = 312,000 bytes)", async () => {
    const path = join(tmp(), "x.npy");
    writeFileSync(path, writeNpy({ shape: [6000, 3], data: values(18_000) }));
    const refused = await withBudget(256 << 10, () => run("knn", path, "--k", "5"));
    expect([refused.code, refused.stdout]).toEqual([1, ""]);
    // 6000 × 3 × 4 bytes of input + 6000 × 5 × (4 + 4) bytes of int32 indices and float32 distances.
    expect(refused.stderr).toMatch(
      /E_TOO_LARGE: .*x\.npy: the 6000 × 5 neighbour lists \(234\.4 KiB\) beside its 6000 × 3 values as float32 needs .*\(312000 bytes\), more than the 256\.0 KiB memory budget/,
    );
    // One neighbour each: 72,000 + 48,000 bytes fit.
    const answered = await withBudget(256 << 10, () =>
      run("knn", path, "--k", "1", "--format", "csv"),
    );
    expect(answered.code).toBe(0);
    expect(answered.stdout.trim().split("\n")).toHaveLength(6001);
  });

  it("a float16 .npy counts its stored bytes and its float32 copy (6 bytes a value); the same values as float32 fit", async () => {
    const data = values(100 * 100);
    const half = join(tmp(), "half.npy");
    const single = join(tmp(), "single.npy");
    writeFileSync(half, writeNpy({ shape: [100, 100], data, dtype: "<f2" }));
    writeFileSync(single, writeNpy({ shape: [100, 100], data }));
    const refused = await withBudget(50_000, () => run("knn", half, "--k", "1"));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /E_TOO_LARGE: .*half\.npy: shape \(100, 100\) as <f2 \(10000 values of 2 bytes as stored, and 4 as float32\) needs .*\(60000 bytes\), more than the .* memory budget/,
    );
    // 40,000 bytes of float32 and 800 of lists.
    const answered = await withBudget(50_000, () => run("knn", single, "--k", "1"));
    expect(answered.code).toBe(0);
  });

  it("cka of a bundle: every layer as float32 and CKA's scratch, refused before a layer is read; gap fits where flatten does not", async () => {
    const dir = join(tmp(), "b");
    const n = 64;
    await writeBundle(
      {
        name: "conv",
        task: "classification",
        classNames: ["a", "b"],
        labels: Int32Array.from({ length: n }, (_, i) => i % 2),
        layers: [
          { name: "h1", shape: [n, 4], data: values(n * 4) },
          { name: "conv", shape: [n, 2, 8, 8], data: values(n * 128) },
        ],
      },
      dir,
    );
    // flatten holds 64 × (4 + 128) float32 values = 33,792 bytes before any scratch.
    const refused = await withBudget(32 << 10, () => run("cka", dir, "--vectorize", "flatten"));
    expect([refused.code, refused.stdout]).toEqual([1, ""]);
    expect(refused.stderr).toMatch(
      /E_TOO_LARGE: .*b: CKA of 2 layers \(vectorize "flatten": 33\.0 KiB of 64 × \[4, 128\] float32 values and .* of scratch\) needs .*more than the 32\.0 KiB memory budget/,
    );
    const small = await withBudget(32 << 10, () => run("cka", dir, "--vectorize", "gap"));
    const full = await run("cka", dir, "--vectorize", "gap");
    expect(small.code).toBe(0);
    expect(small.stdout).toBe(full.stdout);
    expect(JSON.parse(full.stdout).matrix[0][0]).toBeCloseTo(1, 6);
  });
});

describe("work far beyond reasonable time refused up front, naming what fits (sweep, memory family)", () => {
  it("embed mda --groups near the sample count: E_TOO_LARGE naming the BSDR terms and the most groups that fit", async () => {
    const dir = tmp();
    const n = 2000;
    writeFileSync(
      join(dir, "x.npy"),
      writeNpy({
        shape: [n, 4],
        data: Float32Array.from({ length: n * 4 }, (_, i) => Math.sin(i * 0.31)),
      }),
    );
    writeFileSync(
      join(dir, "t.npy"),
      writeNpy({ shape: [n], data: Float32Array.from({ length: n }, (_, i) => i) }),
    );
    const { code, stdout, stderr } = await run(
      "embed",
      join(dir, "x.npy"),
      "--method",
      "mda",
      "--targets",
      join(dir, "t.npy"),
      "--groups",
      "2000",
    );
    expect([code, stdout]).toEqual([1, ""]);
    // 200 sweeps × 200 draws × 2000 samples × 2001 other classes = 1.6e11 > 2^36; 2^36 / (200 × 200 × 2000) = 858 other classes.
    expect(stderr).toMatch(
      /E_TOO_LARGE: Bayesian SDR of 2000 samples into 2002 classes needs 1\.6e\+11 truncated-normal terms \(200 sweeps × 200 draws × 2000 samples × 2001 other classes\), more than the 6\.9e\+10 that finish in reasonable time; use fewer groups \(MDA: at most 857 groups for these samples\)/,
    );
  });
});

describe("the largest valid seed is valid for every notebook's seed study (sweep, parameters family)", () => {
  it("run mda --seed 2^53 − 1: the study's seeds wrap to 0, 1, … instead of refusing seed + 1", async () => {
    const dir = join(tmp(), "b");
    const n = 24;
    await writeBundle(
      {
        name: "seeds",
        task: "regression",
        layers: [
          {
            name: "h1",
            shape: [n, 3],
            data: Float32Array.from({ length: n * 3 }, (_, i) => Math.sin(i * 0.9) + (i % 3)),
          },
        ],
        targets: { rows: n, cols: 1, data: Float32Array.from({ length: n }, (_, i) => i / n) },
        predictions: {
          rows: n,
          cols: 1,
          data: Float32Array.from({ length: n }, (_, i) => i / n + Math.sin(i) * 0.01),
        },
      },
      dir,
    );
    const { code, stderr } = await run(
      "run",
      "mda",
      "--bundle",
      dir,
      "--seed",
      String(Number.MAX_SAFE_INTEGER),
      "--seed-runs",
      "3",
      "--methods",
      "mda",
      "--stages",
      "trained",
    );
    expect([code, stderr.match(/E_[A-Z_]+.*/)?.[0]]).toEqual([0, undefined]);
  });
});

describe("run's analysis parameters at their limits (sweep, parameters family)", () => {
  const bundle = async (checkpoints = false) => {
    const dir = join(tmp(), "b");
    const n = 24;
    const layer = (name: string, cols: number, scale: number) => ({
      name,
      shape: [n, cols],
      data: Float32Array.from(
        { length: n * cols },
        (_, j) => (Math.floor(j / cols) % 3) * ((j % cols) + 1) * scale + Math.sin(j * 1.7) * 0.3,
      ),
    });
    const layers = [layer("h1", 4, 0.5), layer("h2", 3, 0.5)];
    await writeBundle(
      {
        name: "limits",
        task: "classification",
        classNames: ["a", "b", "c"],
        labels: Int32Array.from({ length: n }, (_, i) => i % 3),
        layers,
        checkpoints: checkpoints
          ? [1, 2, 3].map((epoch) => ({
              epoch,
              layers: layers.map((l) => ({
                ...l,
                data: l.data.map((v, j) => v * epoch + Math.cos(j) * 0.1),
              })),
            }))
          : undefined,
      },
      dir,
    );
    return dir;
  };

  it("a negative value after an analysis parameter is its value, not an ambiguous option (run mphate --gamma -1)", async () => {
    const dir = await bundle();
    // −2 is below gamma's range: the descriptor's E_PARAM shows the value arrived (it was E_USAGE "ambiguous").
    const low = await run("run", "mphate", "--bundle", dir, "--gamma", "-2");
    expect([low.code, low.stderr]).toEqual([
      1,
      expect.stringMatching(/E_PARAM: invalid gamma: -2 \(expected a finite number ≥ -1 and ≤ 1/),
    ]);
    const overlap = await run("run", "mapper", "--bundle", dir, "--overlap", "-0.5");
    expect([overlap.code, overlap.stderr]).toEqual([
      1,
      expect.stringMatching(/E_PARAM: invalid overlap: -0\.5/),
    ]);
  });

  it("M-PHATE's landmarks: at least 3 in the descriptor (2 cannot hold a 2-D classical MDS), refused before any work", async () => {
    const dir = await bundle(true);
    const two = await run("run", "mphate", "--bundle", dir, "--n-landmark", "2");
    expect([two.code, two.stderr]).toEqual([
      1,
      expect.stringMatching(/E_PARAM: invalid nLandmark: 2 \(expected an integer ≥ 3/),
    ]);
  });

  it("a Mapper layer whose every point is noise has no purity: the table shows null, not NaN", async () => {
    const dir = await bundle();
    const { code, stdout } = await run(
      "run",
      "mapper",
      "--bundle",
      dir,
      "--eps-neighbor",
      "1",
      "--min-samples",
      "24",
    );
    expect(code).toBe(0);
    expect(stdout).not.toMatch(/NaN/);
    const table = JSON.parse(stdout).tables.find(
      (t: { title: string }) => t.title === "Purity across layers",
    );
    const row = table.rows.find((r: unknown[]) => r[0] === "h1");
    expect(row[4]).toBe(0); // no nodes
    expect(row.slice(9)).toEqual([null, null, null]);
  });
});

describe("constant layers: undefined numbers shown as null / '—', never NaN (sweep, reports family)", () => {
  it("run and report layer-topology: the sensitivity test's CKA of a layer without variance", async () => {
    const dir = tmp();
    const n = 24;
    await writeBundle(
      {
        name: "constant",
        task: "classification",
        classNames: ["a", "b", "c"],
        labels: Int32Array.from({ length: n }, (_, i) => i % 3),
        layers: [
          { name: "h1", shape: [n, 4], data: new Float32Array(n * 4).fill(0.5) },
          { name: "h2", shape: [n, 3], data: new Float32Array(n * 3).fill(0.5) },
        ],
      },
      join(dir, "b"),
    );
    const ran = await run("run", "layer-topology", "--bundle", join(dir, "b"));
    expect(ran.code).toBe(0);
    expect(ran.stdout).not.toMatch(/NaN/);
    const table = JSON.parse(ran.stdout).tables.find(
      (t: { title: string }) => t.title === "Sensitivity test",
    );
    const ckaColumns = table.columns.flatMap((c: string, i: number) =>
      c.endsWith(": CKA") ? [i] : [],
    );
    expect(ckaColumns.length).toBeGreaterThan(0);
    for (const row of table.rows) for (const i of ckaColumns) expect(row[i]).toBeNull();
    const reported = await run(
      "report",
      "layer-topology",
      "--bundle",
      join(dir, "b"),
      "--out",
      join(dir, "r.html"),
      "--date",
      "2024-01-01",
    );
    expect(reported.code).toBe(0);
    expect(readFileSync(join(dir, "r.html"), "utf8")).not.toMatch(/\bNaN\b/);
  });

  it("report mda: a layout without variance has no target continuity ρ ('—')", async () => {
    const dir = tmp();
    const n = 24;
    await writeBundle(
      {
        name: "constant",
        task: "regression",
        layers: [{ name: "h1", shape: [n, 4], data: new Float32Array(n * 4).fill(0.5) }],
        targets: {
          rows: n,
          cols: 1,
          data: Float32Array.from({ length: n }, (_, i) => Math.sin(i / 3) + i / n),
        },
        predictions: {
          rows: n,
          cols: 1,
          data: Float32Array.from(
            { length: n },
            (_, i) => Math.sin(i / 3) + i / n + 0.01 * Math.cos(i),
          ),
        },
      },
      join(dir, "b"),
    );
    const { code } = await run(
      "report",
      "mda",
      "--bundle",
      join(dir, "b"),
      "--out",
      join(dir, "r.html"),
      "--date",
      "2024-01-01",
    );
    expect(code).toBe(0);
    const html = readFileSync(join(dir, "r.html"), "utf8");
    expect(html).not.toMatch(/\bNaN\b/);
    expect(html).toMatch(/target continuity ρ: [^<]*PCA —/);
  });
});

describe("a data string inside a figure's attribute is escaped, < and > included (sweep, reports family)", () => {
  it("report mapper: a layer named <svg onload=…> in the figure's aria-label is &lt;svg …&gt;", async () => {
    const dir = tmp();
    const n = 24;
    const evil = "<svg onload=alert(3)>";
    await writeBundle(
      {
        name: "hostile",
        task: "classification",
        classNames: ["a", "b", "c"],
        labels: Int32Array.from({ length: n }, (_, i) => i % 3),
        layers: [
          {
            name: `fc ${evil}`,
            shape: [n, 3],
            data: Float32Array.from(
              { length: n * 3 },
              (_, j) => (Math.floor(j / 3) % 3) * ((j % 3) + 1) * 0.5 + Math.sin(j * 1.7) * 0.3,
            ),
          },
        ],
      },
      join(dir, "b"),
    );
    const { code } = await run(
      "report",
      "mapper",
      "--bundle",
      join(dir, "b"),
      "--out",
      join(dir, "r.html"),
      "--date",
      "2024-01-01",
    );
    expect(code).toBe(0);
    const html = readFileSync(join(dir, "r.html"), "utf8");
    expect(html).not.toContain(evil);
    expect(html).toMatch(/aria-label="Mapper graph of fc &lt;svg onload=alert\(3\)&gt;/);
  });
});

describe("a report is the same bytes when made twice in one process (sweep, determinism family)", () => {
  it("report layer-topology: Plot's marker ids numbered per document, not per process", async () => {
    const dir = tmp();
    const n = 30;
    await writeBundle(
      {
        name: "twice",
        task: "classification",
        classNames: ["a", "b", "c"],
        labels: Int32Array.from({ length: n }, (_, i) => i % 3),
        layers: [
          {
            name: "h1",
            shape: [n, 3],
            data: Float32Array.from({ length: n * 3 }, (_, i) => Math.sin(i) + (i % 3)),
          },
          {
            name: "h2",
            shape: [n, 2],
            data: Float32Array.from({ length: n * 2 }, (_, i) => Math.cos(i * 1.3)),
          },
        ],
      },
      join(dir, "b"),
    );
    const pages: string[] = [];
    for (const out of ["r1.html", "r2.html"]) {
      const { code, stderr } = await run(
        "report",
        "layer-topology",
        "--bundle",
        join(dir, "b"),
        "--seed",
        "3",
        "--out",
        join(dir, out),
        "--date",
        "2024-01-01",
      );
      expect([code, stderr.match(/E_[A-Z_]+.*/)?.[0]]).toEqual([0, undefined]);
      pages.push(readFileSync(join(dir, out), "utf8"));
    }
    expect(pages[0]).toContain('id="plot-marker-1"');
    expect(pages[1]).toBe(pages[0]);
  });
});
