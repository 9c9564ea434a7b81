/**
 * The generated ResNet-shaped activation bundle: conv maps layer1 64×S×S, layer2 128×S/2×S/2,
 * layer3 256×S/4×S/4, layer4 512×S/8×S/8 (each halving rounds up, as a stride-2 3×3 convolution
 * with padding 1 does), then avgpool 512 and fc 10, with int64 labels (as PyTorch saves them),
 * float32 softmax predictions and a split (every fifth sample a test sample). S is the side of
 * layer1's maps: 28 for CIFAR-10-sized inputs after the stem, 32 for `npm run bench scale`.
 *
 * Values are post-ReLU (about half zero) with a class structure: each (class, channel) has its
 * own scale, so pooled vectors separate the classes as a trained network's do. Layers are
 * float16 as an exporter writes them unless named in `float32` (the scale benchmark's layer1,
 * a 2.6 GB file at 10,000 samples: the "2 GiB+ layer file" case). Deterministic (xorshift32,
 * seed 1) and streamed to disk in row chunks, so the generator itself stays small.
 *
 * As a command, `npx tsx bench/resnet-bundle.ts OUT_DIR [--samples N] [--side S]
 * [--float32 layer1,…]` writes one (defaults: 10,000 samples, S = 28, every layer float16:
 * 1.9 GB). Measure opening and a report on it with the built CLI, e.g.
 *   /usr/bin/time -v node bin/hidden-atlas.js info OUT_DIR > /dev/null
 *   /usr/bin/time -v node bin/hidden-atlas.js report explore --bundle OUT_DIR --out r.html
 */
import { mkdir, open, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { writeNpy } from "../src/io/npy.ts";
import { npyHeader, xorshift32 } from "./npy-stream.ts";

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
/** Rows of one chunk are sized to about this many float32 bytes. */
const CHUNK_BYTES = 16 << 20;

export interface LayerSpec {
  name: string;
  shape: number[];
  kind: "conv" | "dense";
  dtype: "<f2" | "<f4";
}

export interface ResnetBundleOptions {
  /** Samples (rows of every layer). Defaults to 10,000. */
  samples?: number;
  /** Side of layer1's maps; each later stage halves it, rounding up. Defaults to 28. */
  side?: number;
  /** Layers written as float32; the others are float16. Defaults to none. */
  float32?: readonly string[];
  /** The manifest's `name`. Defaults to "resnet-shaped-synthetic". */
  name?: string;
}

/** The layers of the bundle `options` describe: names, shapes (without samples), dtypes. */
export function resnetLayers(options: ResnetBundleOptions = {}): LayerSpec[] {
  const { side = 28, float32 = [] } = options;
  const sides = [side];
  for (let i = 1; i < 4; i++) sides.push(Math.ceil(sides[i - 1] / 2));
  const layers: Omit<LayerSpec, "dtype">[] = [
    ...[64, 128, 256, 512].map((channels, i) => ({
      name: `layer${i + 1}`,
      shape: [channels, sides[i], sides[i]],
      kind: "conv" as const,
    })),
    { name: "avgpool", shape: [512], kind: "dense" },
    { name: "fc", shape: [CLASSES.length], kind: "dense" },
  ];
  return layers.map((l) => ({ ...l, dtype: float32.includes(l.name) ? "<f4" : "<f2" }));
}

/**
 * One conv or dense layer: per sample of class c and channel ch, each value is 0 with
 * probability 1/2, else scale[c][ch] × (1 + u), u uniform in [0, 1). float16 scales are powers
 * of two (exponent bits), float32 scales any positive number.
 */
async function writeLayer(
  path: string,
  labels: Uint8Array,
  layer: LayerSpec,
  next: () => number,
): Promise<void> {
  const samples = labels.length;
  const [channels] = layer.shape;
  const plane = layer.shape.slice(1).reduce((a, b) => a * b, 1);
  const width = channels * plane;
  const exponents = Uint16Array.from(
    { length: CLASSES.length * channels },
    () => 10 + (next() % 6),
  );
  const chunkRows = Math.max(1, Math.floor(CHUNK_BYTES / (width * 4)));
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

/** Writes the bundle `options` describe into `dir` (created if missing); returns `dir`. */
export async function writeResnetBundle(
  dir: string,
  options: ResnetBundleOptions = {},
): Promise<string> {
  const { samples = 10_000, name = "resnet-shaped-synthetic" } = options;
  const layers = resnetLayers(options);
  await mkdir(join(dir, "layers"), { recursive: true });
  const next = xorshift32();
  const labels = Uint8Array.from({ length: samples }, () => next() % CLASSES.length);
  for (const layer of layers) {
    console.error(
      `  writing ${layer.name} ${[samples, ...layer.shape].join("×")} ${layer.dtype} …`,
    );
    await writeLayer(join(dir, "layers", `${layer.name}.npy`), labels, layer, next);
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
  const manifest = {
    format: "hidden-atlas/1",
    name,
    task: "classification",
    samples,
    classNames: CLASSES,
    layers: layers.map((l) => ({
      name: l.name,
      file: `layers/${l.name}.npy`,
      shape: [samples, ...l.shape],
      kind: l.kind,
    })),
    labels: "labels.npy",
    predictions: "predictions.npy",
    split: "split.npy",
    meta: {
      generator: "bench/resnet-bundle.ts",
      note: `synthetic values, ResNet shapes with ${layers[0].shape[1]} × ${layers[0].shape[2]} layer1 maps`,
    },
  };
  await writeFile(join(dir, "manifest.json"), JSON.stringify(manifest, null, 2));
  return dir;
}

/** Bytes on disk of a generated layer's values. */
export function layerBytes(samples: number, layer: LayerSpec): number {
  return samples * layer.shape.reduce((a, b) => a * b, 1) * (layer.dtype === "<f4" ? 4 : 2);
}

const USAGE =
  "usage: npx tsx bench/resnet-bundle.ts OUT_DIR [--samples N] [--side S] [--float32 L,…]";

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        samples: { type: "string", default: "10000" },
        side: { type: "string", default: "28" },
        float32: { type: "string", default: "" },
      },
    });
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  const { positionals, values } = parsed;
  const samples = Number(values.samples);
  const side = Number(values.side);
  const float32 = values.float32 ? values.float32.split(",") : [];
  const names = resnetLayers().map((l) => l.name);
  const unknown = float32.filter((n) => !names.includes(n));
  if (
    positionals.length !== 1 ||
    !(Number.isInteger(samples) && samples >= 1) ||
    !(Number.isInteger(side) && side >= 1) ||
    unknown.length
  ) {
    if (unknown.length) console.error(`--float32: no layer ${unknown.join(", ")} (${names})`);
    console.error(USAGE);
    process.exit(2);
  }
  await writeResnetBundle(positionals[0], { samples, side, float32 });
  console.error(`wrote ${positionals[0]}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
