/**
 * `npx tsx bench/resnet-bundle.ts OUT_DIR [SAMPLES]`: write an activation bundle shaped like a
 * ResNet-18 export on CIFAR-10-sized data (the "real networks at full size" case): 10,000
 * samples (by default) of float16 conv maps layer1 64×28×28, layer2 128×14×14, layer3 256×7×7,
 * layer4 512×4×4, then avgpool 512 and fc 10, with int64 labels (as PyTorch saves them),
 * float32 softmax predictions and a 0/1 split — 1.9 GB on disk. Nothing is committed: the
 * bundle is generated, deterministically (xorshift32, seed 1), and streamed to disk so the
 * generator itself stays small.
 *
 * Measure opening and a report on it with the built CLI, e.g.
 *   /usr/bin/time -v node bin/hidden-atlas.js info OUT_DIR > /dev/null
 *   /usr/bin/time -v node bin/hidden-atlas.js report explore --bundle OUT_DIR --out r.html
 */
import { open, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeNpy } from "../src/io/npy.ts";
import { npyHeader, xorshift32 } from "./npy-stream.ts";

const LAYERS: { name: string; shape: number[]; kind: "conv" | "dense" }[] = [
  { name: "layer1", shape: [64, 28, 28], kind: "conv" },
  { name: "layer2", shape: [128, 14, 14], kind: "conv" },
  { name: "layer3", shape: [256, 7, 7], kind: "conv" },
  { name: "layer4", shape: [512, 4, 4], kind: "conv" },
  { name: "avgpool", shape: [512], kind: "dense" },
  { name: "fc", shape: [10], kind: "dense" },
];
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
/** Rows written per chunk. */
const CHUNK_ROWS = 200;
/** float16 exponent field of the activations: 2^-6 … 2^1, i.e. post-ReLU magnitudes. */
const EXPONENTS = [9, 10, 11, 12, 13, 14, 15, 16];

const next = xorshift32();

async function writeLayer(path: string, samples: number, shape: number[]): Promise<void> {
  const width = shape.reduce((a, b) => a * b, 1);
  const file = await open(path, "w");
  try {
    await file.write(npyHeader("<f2", [samples, ...shape]));
    const bits = new Uint16Array(CHUNK_ROWS * width);
    for (let start = 0; start < samples; start += CHUNK_ROWS) {
      const rows = Math.min(CHUNK_ROWS, samples - start);
      for (let i = 0; i < rows * width; i++) {
        const r = next();
        // About half the units are zero after the ReLU; the rest positive, finite.
        bits[i] = r & 1 ? 0 : (EXPONENTS[(r >>> 1) & 7] << 10) | ((r >>> 4) & 0x3ff);
      }
      await file.write(new Uint8Array(bits.buffer, 0, rows * width * 2));
    }
  } finally {
    await file.close();
  }
}

async function main(): Promise<void> {
  const [out, samplesText = "10000"] = process.argv.slice(2);
  if (!out) {
    console.error("usage: npx tsx bench/resnet-bundle.ts OUT_DIR [SAMPLES]");
    process.exit(2);
  }
  const samples = Number(samplesText);
  await mkdir(join(out, "layers"), { recursive: true });
  for (const layer of LAYERS) {
    console.error(`writing ${layer.name} ${[samples, ...layer.shape].join("×")} …`);
    await writeLayer(join(out, "layers", `${layer.name}.npy`), samples, layer.shape);
  }
  const labels = Float64Array.from({ length: samples }, () => next() % CLASSES.length);
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
    join(out, "labels.npy"),
    writeNpy({ shape: [samples], data: labels, dtype: "<i8" }),
  );
  await writeFile(
    join(out, "predictions.npy"),
    writeNpy({ shape: [samples, 10], data: predictions }),
  );
  await writeFile(
    join(out, "split.npy"),
    writeNpy({ shape: [samples], data: Uint8Array.from({ length: samples }, () => 1) }),
  );
  const manifest = {
    format: "hidden-atlas/1",
    name: "resnet18-cifar10-synthetic",
    task: "classification",
    samples,
    classNames: CLASSES,
    layers: LAYERS.map((l) => ({
      name: l.name,
      file: `layers/${l.name}.npy`,
      shape: [samples, ...l.shape],
      kind: l.kind,
    })),
    labels: "labels.npy",
    predictions: "predictions.npy",
    split: "split.npy",
    meta: { generator: "bench/resnet-bundle.ts", note: "synthetic values, ResNet-18 shapes" },
  };
  await writeFile(join(out, "manifest.json"), JSON.stringify(manifest, null, 2));
  console.error(`wrote ${out}`);
}

await main();
