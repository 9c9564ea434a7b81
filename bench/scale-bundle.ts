/**
 * The generated bundles of `npm run bench scale`, written to disk once and kept (in the
 * system's temporary folder) for later runs:
 *
 * - `resnet`: 10,000 samples of ResNet-shaped conv maps on 32 × 32 inputs — layer1 64×32×32,
 *   layer2 128×16×16, layer3 256×8×8, layer4 512×4×4 — then avgpool 512 and fc 10, with labels,
 *   softmax predictions and a split. layer1 is float32 (a 2.6 GB file: the "2 GiB+ layer file"
 *   case), the others float16 as an exporter writes them (3.8 GB in all). Values are post-ReLU
 *   (about half zero) with a class structure: each (class, channel) has its own scale, so
 *   pooled vectors separate the classes as a trained network's do.
 * - `wide`: one dense layer of 100,000 × 512 float32 rows from the clustered mixture of
 *   scale-child.ts (ten classes on 8-dimensional subspaces), with its labels.
 *
 * Deterministic (xorshift32 and mulberry32, fixed seeds); streamed to disk in row chunks so the
 * generator stays small.
 */
import { existsSync } from "node:fs";
import { mkdir, open, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeNpy } from "../src/io/npy.ts";
import { npyHeader, xorshift32 } from "./npy-stream.ts";

/** Bumped when the generated data change, so an old copy is not reused. */
const VERSION = 2;
const CLASSES = [
  "airplane",
  "automobile",
  "bird",
  "cat",
  "deer",
  "dog",
  "frog",
  "horse",
  "ship",
  "truck",
];

interface LayerSpec {
  name: string;
  shape: number[];
  kind: "conv" | "dense";
  dtype: "<f2" | "<f4";
}

export const RESNET_LAYERS: LayerSpec[] = [
  { name: "layer1", shape: [64, 32, 32], kind: "conv", dtype: "<f4" },
  { name: "layer2", shape: [128, 16, 16], kind: "conv", dtype: "<f2" },
  { name: "layer3", shape: [256, 8, 8], kind: "conv", dtype: "<f2" },
  { name: "layer4", shape: [512, 4, 4], kind: "conv", dtype: "<f2" },
  { name: "avgpool", shape: [512], kind: "dense", dtype: "<f2" },
  { name: "fc", shape: [10], kind: "dense", dtype: "<f2" },
];

let next = xorshift32();

/**
 * One conv or dense layer: per sample of class c and channel ch, each value is 0 with
 * probability 1/2, else scale[c][ch] × (1 + u), u uniform in [0, 1). float16 scales are powers
 * of two (exponent bits), float32 scales any positive number.
 */
async function writeLayer(path: string, labels: Uint8Array, layer: LayerSpec): Promise<void> {
  const samples = labels.length;
  const [channels] = layer.shape;
  const plane = layer.shape.slice(1).reduce((a, b) => a * b, 1);
  const width = channels * plane;
  const exponents = Uint16Array.from(
    { length: CLASSES.length * channels },
    () => 10 + (next() % 6),
  );
  const chunkRows = Math.max(1, Math.floor((16 << 20) / (width * 4)));
  const file = await open(path, "w");
  try {
    await file.write(npyHeader(layer.dtype, [samples, ...layer.shape]));
    const f32 = layer.dtype === "<f4" ? new Float32Array(chunkRows * width) : null;
    const f16 = layer.dtype === "<f2" ? new Uint16Array(chunkRows * width) : null;
    for (let start = 0; start < samples; start += chunkRows) {
      const rows = Math.min(chunkRows, samples - start);
      for (let r = 0; r < rows; r++) {
        const c = labels[start + r];
        for (let ch = 0; ch < channels; ch++) {
          const e = exponents[c * channels + ch];
          const base = r * width + ch * plane;
          for (let p = 0; p < plane; p++) {
            const x = next();
            if (f16) f16[base + p] = x & 1 ? 0 : (e << 10) | ((x >>> 1) & 0x3ff);
            else f32![base + p] = x & 1 ? 0 : 2 ** (e - 15) * (1 + ((x >>> 1) & 0xffff) / 65536);
          }
        }
      }
      const bytes = f16
        ? new Uint8Array(f16.buffer, 0, rows * width * 2)
        : new Uint8Array(f32!.buffer, 0, rows * width * 4);
      await file.write(bytes);
    }
  } finally {
    await file.close();
  }
}

/** Bytes on disk of a generated layer. */
export function layerBytes(samples: number, layer: LayerSpec): number {
  return samples * layer.shape.reduce((a, b) => a * b, 1) * (layer.dtype === "<f4" ? 4 : 2);
}

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

async function finish(dir: string, manifest: object): Promise<void> {
  await writeFile(join(dir, "manifest.json"), JSON.stringify(manifest, null, 2));
  await writeFile(join(dir, "generated.json"), JSON.stringify({ version: VERSION }));
}

/** The ResNet-shaped bundle in `dir` (generated unless an up-to-date copy is there). */
export async function resnetBundle(dir: string, samples = 10_000): Promise<string> {
  if (await ready(dir)) return dir;
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, "layers"), { recursive: true });
  next = xorshift32();
  const labels = Uint8Array.from({ length: samples }, () => next() % CLASSES.length);
  for (const layer of RESNET_LAYERS) {
    console.error(
      `  writing ${layer.name} ${[samples, ...layer.shape].join("×")} ${layer.dtype} …`,
    );
    await writeLayer(join(dir, "layers", `${layer.name}.npy`), labels, layer);
  }
  const predictions = new Float32Array(samples * CLASSES.length);
  for (let i = 0; i < samples; i++) {
    let sum = 0;
    for (let c = 0; c < CLASSES.length; c++)
      sum += predictions[i * 10 + c] = Math.exp(
        ((next() % 1000) / 250) * (c === labels[i] ? 2 : 1),
      );
    for (let c = 0; c < CLASSES.length; c++) predictions[i * 10 + c] /= sum;
  }
  await writeFile(
    join(dir, "labels.npy"),
    writeNpy({ shape: [samples], data: Float64Array.from(labels), dtype: "<i8" }),
  );
  await writeFile(
    join(dir, "predictions.npy"),
    writeNpy({ shape: [samples, 10], data: predictions }),
  );
  await writeFile(
    join(dir, "split.npy"),
    writeNpy({
      shape: [samples],
      data: Uint8Array.from({ length: samples }, (_, i) => (i % 5 === 0 ? 1 : 0)),
    }),
  );
  await finish(dir, {
    format: "hidden-atlas/1",
    name: "resnet-shaped-synthetic",
    task: "classification",
    samples,
    classNames: CLASSES,
    layers: RESNET_LAYERS.map((l) => ({
      name: l.name,
      file: `layers/${l.name}.npy`,
      shape: [samples, ...l.shape],
      kind: l.kind,
    })),
    labels: "labels.npy",
    predictions: "predictions.npy",
    split: "split.npy",
    meta: {
      generator: "bench/scale-bundle.ts",
      note: "synthetic values, ResNet shapes on 32 × 32 inputs",
    },
  });
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
  await finish(dir, {
    format: "hidden-atlas/1",
    name: "wide-synthetic",
    task: "classification",
    samples: rows,
    layers: [{ name: "wide", file: "wide.npy", shape: [rows, dim], kind: "dense" }],
    labels: "labels.npy",
  });
  return dir;
}
