/**
 * The generated bundles of `npm run bench scale`, written to disk once and kept (in the
 * system's temporary folder) for later runs:
 *
 * - `resnet`: bench/resnet-bundle.ts's generator with 32 × 32 layer1 maps — layer1 64×32×32,
 *   layer2 128×16×16, layer3 256×8×8, layer4 512×4×4, avgpool 512, fc 10 — at 10,000 samples;
 *   layer1 is float32 (a 2.6 GB file: the "2 GiB+ layer file" case), the others float16 as an
 *   exporter writes them (3.8 GB in all).
 * - `wide`: one dense layer of 100,000 × 512 float32 rows from the clustered mixture of
 *   scale-child.ts (ten classes on 8-dimensional subspaces), with its labels.
 *
 * Deterministic (xorshift32 and mulberry32, fixed seeds).
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeNpy } from "../src/io/npy.ts";
import { type ResnetBundleOptions, writeResnetBundle } from "./resnet-bundle.ts";

/** Bumped when the generated data change, so an old copy is not reused. */
const VERSION = 2;

/**
 * The ResNet-shaped bundle of `npm run bench scale`: 32 × 32 layer1 maps, layer1 float32 (a
 * 2.6 GB file at 10,000 samples).
 */
export const SCALE_RESNET: ResnetBundleOptions = { side: 32, float32: ["layer1"] };

async function ready(dir: string): Promise<boolean> {
  try {
    const stamp = JSON.parse(await readFile(join(dir, "generated.json"), "utf8")) as {
      version: number;
    };
    return stamp.version === VERSION && existsSync(join(dir, "manifest.json"));
  } catch {
    return false;
  }
}

async function stamp(dir: string): Promise<void> {
  await writeFile(join(dir, "generated.json"), JSON.stringify({ version: VERSION }));
}

/** The ResNet-shaped bundle in `dir` (generated unless an up-to-date copy is there). */
export async function resnetBundle(dir: string, samples = 10_000): Promise<string> {
  if (await ready(dir)) return dir;
  await rm(dir, { recursive: true, force: true });
  await writeResnetBundle(dir, { ...SCALE_RESNET, samples });
  await stamp(dir);
  return dir;
}

/** The 100,000 × 512 bundle in `dir`; `mixture` draws the rows (scale-child.ts's). */
export async function wideBundle(
  dir: string,
  mixture: (rows: number, dim: number) => { X: { data: Float32Array }; labels: Int32Array },
  rows = 100_000,
  dim = 512,
): Promise<string> {
  if (await ready(dir)) return dir;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  console.error(`  writing wide ${rows}×${dim} float32 …`);
  const { X, labels } = mixture(rows, dim);
  await writeFile(join(dir, "wide.npy"), writeNpy({ shape: [rows, dim], data: X.data }));
  await writeFile(join(dir, "labels.npy"), writeNpy({ shape: [rows], data: labels }));
  const manifest = {
    format: "hidden-atlas/1",
    name: "wide-synthetic",
    task: "classification",
    samples: rows,
    layers: [{ name: "wide", file: "wide.npy", shape: [rows, dim], kind: "dense" }],
    labels: "labels.npy",
  };
  await writeFile(join(dir, "manifest.json"), JSON.stringify(manifest, null, 2));
  await stamp(dir);
  return dir;
}
