/**
 * `hidden-atlas mphate TENSOR.npy`: Multislice PHATE of hidden units over training. INPUT is an
 * epochs × units × samples .npy, or a bundle (folder or .zip) with training checkpoints.
 */
import { extname } from "node:path";
import { mphate, mphateDefaults, type UnitTensor } from "../../algo/mphate.ts";
import { tensorFromBundle } from "../../analyses/mphate.ts";
import { HiddenAtlasError } from "../../core/errors.ts";
import { toFloat32 } from "../../io/ndarray.ts";
import { readNpy } from "../../io/npy.ts";
import { loadBundleFromPath, readFileBytes } from "../../io/node.ts";
import type { Command } from "../command.ts";
import { formatOption } from "../command.ts";
import { writeNpyFile } from "../files.ts";
import { terminalProgress, toCsv, toJson } from "../output.ts";

/**
 * Every value of an epochs × units × samples tensor finite: E_NON_FINITE naming the file and the
 * (epoch, unit, sample) of the first NaN or ±Infinity, E_RANGE for a finite float64 value that
 * float32 cannot hold (it would become Infinity).
 */
function assertFiniteTensor(
  data: Float32Array,
  source: ArrayLike<number>,
  units: number,
  samples: number,
  path: string,
): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v - v === 0) continue;
    const epoch = Math.floor(i / (units * samples));
    const unit = Math.floor(i / samples) % units;
    const sample = i % samples;
    const where = `epoch ${epoch}, unit ${unit}, sample ${sample}`;
    const details = { file: path, epoch, unit, sample };
    if (Number.isFinite(source[i])) {
      throw new HiddenAtlasError(
        "E_RANGE",
        `${path} has ${source[i]} at ${where}, beyond float32's range (±3.4e38) in which values are computed; rescale the data`,
        details,
      );
    }
    throw new HiddenAtlasError(
      "E_NON_FINITE",
      `${path} has a non-finite value (${v}) at ${where}; every value must be finite`,
      details,
    );
  }
}

async function readTensor(
  path: string,
  epochStride: number,
): Promise<{ tensor: UnitTensor; epochs: number[]; source: string }> {
  if (extname(path).toLowerCase() === ".npy") {
    const arr = readNpy(await readFileBytes(path), path);
    if (arr.shape.length !== 3) {
      throw new HiddenAtlasError(
        "E_SHAPE_MISMATCH",
        `${path} has shape [${arr.shape.join(", ")}]; expected epochs × units × samples (3 dimensions)`,
        { file: path },
      );
    }
    const [epochs, units, samples] = arr.shape;
    const data = toFloat32(arr);
    assertFiniteTensor(data, arr.data, units, samples, path);
    const kept = Array.from({ length: epochs }, (_, e) => e).filter(
      (e) => e % epochStride === 0 || e === epochs - 1,
    );
    const out = new Float32Array(kept.length * units * samples);
    kept.forEach((e, i) =>
      out.set(data.subarray(e * units * samples, (e + 1) * units * samples), i * units * samples),
    );
    return {
      tensor: { epochs: kept.length, units, samples, data: out },
      epochs: kept,
      source: "tensor",
    };
  }
  const bundle = await loadBundleFromPath(path, { lazy: true }); // only the checkpoints are needed
  const bt = tensorFromBundle(bundle, { layers: [], epochStride, unitStride: 1 });
  return {
    tensor: bt.tensor,
    epochs: bt.epochs,
    source: `bundle ${bundle.name}: layers ${bt.layerNames.join(", ")}`,
  };
}

export const mphateCommand: Command = {
  spec: {
    name: "mphate",
    summary:
      "Multislice PHATE (Gigante et al. 2019) of hidden units over training: one 2-D point per (epoch, unit).",
    positionals: [
      {
        name: "TENSOR",
        description: "epochs × units × samples .npy, or a bundle (folder or .zip) with checkpoints",
      },
    ],
    options: {
      "intraslice-knn": {
        type: "integer",
        default: mphateDefaults.intrasliceKnn,
        description: "neighbours of the intraslice (between units) bandwidth",
      },
      "interslice-knn": {
        type: "string",
        default: "auto",
        description:
          "κ of the interslice (across epochs) bandwidth: auto = max(2, round(0.08 × epochs)), the reference's 25 of 300 epochs scaled to the run; an integer is clamped to epochs − 1",
      },
      decay: {
        type: "number",
        default: mphateDefaults.decay,
        description: "intraslice kernel exponent",
      },
      t: {
        type: "string",
        default: "auto",
        description: "diffusion time: auto (von Neumann entropy knee) or an integer",
      },
      gamma: {
        type: "number",
        default: mphateDefaults.gamma,
        description: "potential: 1 log, 0 square root, −1 none",
      },
      "n-landmark": {
        type: "integer",
        default: mphateDefaults.nLandmark,
        description: "landmarks above this many points (M-PHATE's 4000: exact up to 4000 points)",
      },
      "epoch-stride": {
        type: "integer",
        default: 1,
        description: "keep every k-th epoch (the last is always kept)",
      },
      "no-normalize": { type: "boolean", description: "do not z-score each (epoch, unit) row" },
      seed: { type: "integer", default: 42, description: "seed of every random choice" },
      out: {
        type: "string",
        output: "file",
        placeholder: "coords.npy",
        description: "write the (epochs·units) × 2 float32 embedding here, epoch-major",
      },
      "out-labels": {
        type: "string",
        output: "file",
        placeholder: "labels.npy",
        description: "write (epoch index, unit index) per point as an int32 N × 2 array",
      },
      format: formatOption,
    },
    details: `Points are epoch-major: row q is epoch ⌊q / units⌋, unit q mod units. Output (JSON):
{"points", "epochs", "units", "t", "epsilon", "landmarks", "params", "warnings", "coordinates"?};
the coordinates are printed only without --out. With --format csv: one line per point
(point, epoch, unit, x, y).

Example: hidden-atlas mphate trace.npy --interslice-knn 12 --out coords.npy`,
  },
  async run({ positionals: [input], options }, { stdout, stderr }) {
    const rawT = options.t as string;
    if (rawT !== "auto" && !(/^\d+$/.test(rawT) && Number.isSafeInteger(Number(rawT))))
      throw new HiddenAtlasError(
        "E_USAGE",
        `--t expects "auto" or a positive integer, got ${JSON.stringify(rawT)}`,
      );
    const rawKappa = options["interslice-knn"] as string;
    // Digits only, and at most 2^53 − 1: past it the number read is not the one typed.
    if (rawKappa !== "auto" && !(/^\d+$/.test(rawKappa) && Number.isSafeInteger(Number(rawKappa))))
      throw new HiddenAtlasError(
        "E_USAGE",
        `--interslice-knn expects "auto" or a positive integer, got ${JSON.stringify(rawKappa)}`,
      );
    const epochStride = options["epoch-stride"] as number;
    if (!(epochStride >= 1))
      throw new HiddenAtlasError(
        "E_USAGE",
        `--epoch-stride expects an integer ≥ 1, got ${epochStride}`,
      );
    const { tensor, epochs } = await readTensor(input, epochStride);
    const result = await mphate(tensor, {
      intrasliceKnn: options["intraslice-knn"] as number,
      intersliceKnn: rawKappa === "auto" ? "auto" : Number(rawKappa),
      decay: options.decay as number,
      t: rawT === "auto" ? "auto" : Number(rawT),
      gamma: options.gamma as number,
      nLandmark: options["n-landmark"] as number,
      normalize: !options["no-normalize"],
      seed: options.seed as number,
      onProgress: terminalProgress(stderr),
    });
    const N = result.embedding.rows;
    const dim = result.embedding.cols;
    if (options.out)
      await writeNpyFile(options.out as string, { shape: [N, dim], data: result.embedding.data });
    if (options["out-labels"]) {
      const labels = new Int32Array(2 * N);
      for (let q = 0; q < N; q++)
        [labels[2 * q], labels[2 * q + 1]] = [result.epoch[q], result.unit[q]];
      await writeNpyFile(options["out-labels"] as string, { shape: [N, 2], data: labels });
    }
    if (options.format === "csv") {
      stdout.write(
        toCsv(
          ["point", "epoch", "unit", "x", "y"],
          Array.from({ length: N }, (_, q) => [
            q,
            epochs[result.epoch[q]],
            result.unit[q],
            result.embedding.data[q * dim],
            result.embedding.data[q * dim + 1],
          ]),
        ),
      );
      return;
    }
    stdout.write(
      toJson({
        points: N,
        epochs: tensor.epochs,
        units: tensor.units,
        samples: tensor.samples,
        t: result.t,
        epsilon: result.epsilon,
        landmarks: result.landmarks ? result.nLandmarks : null,
        out: options.out ?? null,
        params: result.params,
        warnings: result.warnings,
        ...(options.out
          ? {}
          : {
              coordinates: Array.from({ length: N }, (_, q) =>
                Array.from(result.embedding.data.subarray(q * dim, (q + 1) * dim)),
              ),
            }),
      }) + "\n",
    );
  },
};
