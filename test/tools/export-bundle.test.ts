/**
 * tools/export_bundle.py, run under Debian's Python when python3-torch is installed (CI installs
 * it): a two-layer network trained a few steps, exported with forward hooks, and loaded here.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadBundleFromPath } from "../../src/io/node.ts";

const PYTHON = "/usr/bin/python3";
const tool = fileURLToPath(new URL("../../tools/export_bundle.py", import.meta.url));

function hasTorch(): boolean {
  try {
    execFileSync(PYTHON, ["-c", "import torch, numpy"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe("tools/export_bundle.py", () => {
  it.runIf(hasTorch())("exports a PyTorch model's activations as a bundle that loads with the right shapes and values", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "atlas-torch-")), "bundle");
    const printed = execFileSync(PYTHON, [tool, "--demo", out], { encoding: "utf8", env: { ...process.env, OMP_NUM_THREADS: "1" } });
    const reference = JSON.parse(printed.trim().split("\n").pop()!);
    const bundle = await loadBundleFromPath(out);
    expect(bundle.samples).toBe(120);
    expect(bundle.layers.map((l) => [l.name, l.shape])).toEqual([["fc1", [120, 16]], ["act", [120, 16]]]);
    expect(bundle.classNames).toEqual(["a", "b", "c"]);
    const row = (data: Float32Array, i: number, width: number) => Array.from(data.subarray(i * width, (i + 1) * width));
    row(bundle.layers[0].data, 7, 16).forEach((v, j) => expect(v).toBeCloseTo(reference.fc1_row7[j], 5));
    row(bundle.layers[1].data, 7, 16).forEach((v, j) => expect(v).toBeCloseTo(reference.act_row7[j], 5));
    row(bundle.predictions!.data, 2, 3).forEach((v, j) => expect(v).toBeCloseTo(reference.probs_row2[j], 5));
    expect(Array.from(bundle.labels!.subarray(0, 5))).toEqual(reference.labels_first5);
    expect(Array.from(bundle.trace!)).toEqual([3, 1, 4, 15]);
    expect(bundle.checkpoints!.map((c) => c.epoch)).toEqual([0, 5]);
    // Checkpoint 0 holds the untrained weights' fc1 on the first trace sample (row 3).
    row(bundle.checkpoints![0].layers[0].data, 0, 16).forEach((v, j) => expect(v).toBeCloseTo(reference.fc1_before_trace0[j], 5));
    expect(bundle.split!.reduce((s, v) => s + v, 0)).toBe(30);
  }, 120_000);
});
