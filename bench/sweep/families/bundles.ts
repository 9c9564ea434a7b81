/** Small activation bundles for `run`/`report` cases, written with the project's own writer. */
import type { BundleInput, LayerInput } from "../../../src/io/bundle-write.ts";
import { writeBundle } from "../../../src/io/node.ts";
import { gaussian, rng } from "../data.ts";

export interface TinyOptions {
  n?: number;
  task?: "classification" | "regression";
  classes?: number;
  /** Checkpoints of every layer (M-PHATE; MDA's "before training"). */
  checkpoints?: boolean;
  /** Checkpoints of the first layer only (a trace of one layer). */
  partialCheckpoints?: boolean;
  name?: string;
  classNames?: string[];
  layerNames?: string[];
  /** A conv layer (N × 2 × 3 × 3) besides the dense ones. */
  conv?: boolean;
  /** Replace every layer's values (e.g. constant, duplicated, extreme). */
  values?: (layer: number, data: Float32Array, cols: number) => Float32Array;
  labels?: (i: number) => number;
  predictions?: boolean;
  split?: boolean;
  inputs?: boolean;
}

export function tinyInput(options: TinyOptions = {}): BundleInput {
  const n = options.n ?? 24;
  const classes = options.classes ?? 3;
  const random = rng(n * 31 + classes);
  const labels = Int32Array.from({ length: n }, (_, i) => options.labels?.(i) ?? i % classes);
  const names = options.layerNames ?? ["h1", "h2"];
  const dense = (index: number, cols: number): LayerInput => {
    let data: Float32Array = Float32Array.from(
      { length: n * cols },
      (_, j) => labels[Math.floor(j / cols)] * ((j % cols) + 1) * 0.5 + random(),
    );
    if (options.values) data = options.values(index, data, cols);
    return { name: names[index], shape: [n, cols], data };
  };
  const layers: LayerInput[] = [dense(0, 4), dense(1, 3)];
  if (options.conv)
    layers.push({ name: "conv", shape: [n, 2, 3, 3], data: gaussian(n, 18, 3).data });
  const regression = options.task === "regression";
  const input: BundleInput = {
    name: options.name ?? "tiny",
    task: regression ? "regression" : "classification",
    layers,
  };
  if (regression) {
    input.targets = {
      rows: n,
      cols: 1,
      data: Float32Array.from({ length: n }, (_, i) => Math.sin(i / 3) + i / n),
    };
    if (options.predictions !== false)
      input.predictions = {
        rows: n,
        cols: 1,
        data: Float32Array.from(
          { length: n },
          (_, i) => Math.sin(i / 3) + i / n + (random() - 0.5) * 0.1,
        ),
      };
  } else {
    input.labels = labels;
    input.classNames =
      options.classNames ??
      Array.from({ length: Math.max(classes, Math.max(...labels) + 1) }, (_, c) => `class ${c}`);
    if (options.predictions !== false) {
      const k = input.classNames.length;
      input.predictions = {
        rows: n,
        cols: k,
        data: Float32Array.from({ length: n * k }, (_, j) =>
          j % k === labels[Math.floor(j / k)] ? 0.8 : 0.2 / (k - 1),
        ),
      };
    }
  }
  if (options.split !== false)
    input.split = Uint8Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 1 : 0));
  if (options.inputs !== false)
    input.inputs = {
      shape: [n, 4, 4],
      data: Uint8Array.from({ length: n * 16 }, () => Math.floor(random() * 17)),
    };
  if (options.checkpoints || options.partialCheckpoints) {
    input.checkpoints = [1, 2, 3, 4, 5].map((epoch) => ({
      epoch,
      layers: layers
        .slice(0, options.partialCheckpoints ? 1 : 2)
        .map((l) => ({ ...l, data: l.data.map((v) => v * (epoch / 5) + random() * 0.1) })),
    }));
  }
  return input;
}

export async function tinyBundle(dir: string, options: TinyOptions = {}): Promise<void> {
  await writeBundle(tinyInput(options), dir);
}
