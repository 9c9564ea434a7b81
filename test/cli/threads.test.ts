// `--threads N` on every command: checked as usage, the same output on 1 and 2 threads.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { setThreads } from "../../src/core/threads.ts";
import { getCore } from "../../src/core/wasm.ts";
import { writeNpy } from "../../src/io/npy.ts";
import { prestartedCount } from "../../src/worker/prestart.ts";
import { runCli as run } from "../support/cli.ts";
import { randomMatrix } from "../helpers.ts";

const examples = new URL("../../data/examples", import.meta.url).pathname;

// The core of this process starts two kernel threads; `--threads 1` then uses one of them.
beforeAll(async () => {
  setThreads(2);
  await getCore();
});

describe("hidden-atlas --threads", () => {
  it("is listed in the overview and in every command's help", async () => {
    expect((await run("--help")).stdout).toMatch(
      /Every command takes --threads N: threads for the kernels/,
    );
    expect((await run("knn", "--help")).stdout).toMatch(
      /--threads N\s+threads for the kernels and for independent analysis steps \(default: auto, every core/,
    );
  });

  it("refuses a missing or invalid count with exit code 2", async () => {
    for (const bad of [
      ["--threads", "0"],
      ["--threads", "two"],
      ["--threads=1.5"],
      ["--threads", "-1"],
      ["--threads"],
    ]) {
      const result = await run("knn", "x.npy", "--k", "3", ...bad);
      expect(result.code, bad.join(" ")).toBe(2);
      expect(result.stderr).toMatch(/E_USAGE: (invalid --threads|--threads needs a value)/);
    }
  });

  it("knn prints the same neighbours on 1 and 2 threads", async () => {
    const dir = mkdtempSync(join(tmpdir(), "atlas-threads-"));
    const input = join(dir, "x.npy");
    const X = randomMatrix(600, 9, 8);
    writeFileSync(input, writeNpy({ shape: [600, 9], data: X.data }));
    const one = await run("knn", input, "--k", "6", "--threads", "1");
    const two = await run("knn", input, "--k", "6", "--threads=2");
    expect(one.code).toBe(0);
    expect(two.stdout).toBe(one.stdout);
  });

  it("report uses every core by default: the same bytes as on 1 thread, each layer's graph in a pool worker (--trace)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "atlas-threads-"));
    const args = [
      "report",
      "mapper",
      "--bundle",
      join(examples, "digits-mlp.zip"),
      "--layers",
      "fc1,fc2",
      "--date",
      "2026-01-01",
    ];
    try {
      const one = await run(...args, "--out", join(dir, "one.html"), "--threads", "1");
      expect(one.code, one.stderr).toBe(0);
      setThreads("auto"); // as when no --threads is given
      const all = await run(
        ...args,
        "--out",
        join(dir, "all.html"),
        "--trace",
        join(dir, "t.json"),
      );
      expect(all.code, all.stderr).toBe(0);
      expect(readFileSync(join(dir, "all.html"))).toEqual(readFileSync(join(dir, "one.html")));
      const trace = JSON.parse(readFileSync(join(dir, "t.json"), "utf8"));
      const cores = availableParallelism();
      expect(trace).toMatchObject({
        format: "hidden-atlas-trace/1",
        notebook: "mapper",
        threads: cores,
      });
      const graphs = trace.events.filter((e: { step: string }) => e.step === "mapper.graph");
      expect(graphs.map((e: { args: unknown }) => e.args)).toEqual(
        expect.arrayContaining([{ layer: "fc1" }, { layer: "fc2" }]),
      );
      for (const e of graphs) expect(e.thread).toMatch(cores > 1 ? /^worker \d+$/ : /^main$/);
      expect(trace.events.filter((e: { step: string }) => e.step === "main.start")).toHaveLength(1);
      // The command line started the workers from its raw arguments, before the report's modules
      // had loaded (the trace marks them ahead), and none is left waiting once it is done.
      const mainStart = trace.events.find((e: { step: string }) => e.step === "main.start");
      const starts = trace.events.filter((e: { step: string }) => e.step === "worker.start");
      expect(starts).toHaveLength(cores > 1 ? cores : 0);
      for (const e of starts) {
        expect(e.ahead).toBe(true);
        expect(e.start).toBeLessThan(mainStart.end);
      }
      expect(prestartedCount()).toBe(0);
      // An unwritable trace is refused before any work, as --out is.
      const nowhere = join(dir, "missing", "t.json");
      const refused = await run(...args, "--out", join(dir, "x.html"), "--trace", nowhere);
      expect([refused.code, refused.stderr]).toEqual([
        1,
        expect.stringMatching(/E_IO: cannot write --trace .*: the folder .* does not exist/),
      ]);
      // Refused before its pool existed: the workers started for it are ended too.
      expect(prestartedCount()).toBe(0);
    } finally {
      setThreads(2);
    }
  });

  it("run layer-topology prints the same tables on 1 and 2 threads (diagrams in a pool of workers)", async () => {
    const args = [
      "run",
      "layer-topology",
      "--bundle",
      join(examples, "digits-mlp.zip"),
      "--samples",
      "60",
      "--layers",
      "fc1,fc2",
      "--sensitivity-fractions",
      "0.5",
    ];
    const one = await run(...args, "--threads", "1");
    const two = await run(...args, "--threads", "2");
    expect(one.code, one.stderr).toBe(0);
    expect(two.stdout).toBe(one.stdout);
    expect(JSON.parse(one.stdout).tables.length).toBeGreaterThan(0);
  });
});
