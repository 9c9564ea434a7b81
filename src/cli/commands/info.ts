/** `hidden-atlas info BUNDLE`: what a bundle holds, after full validation. */
import { bundleSourceFromPath } from "../../io/node.ts";
import { openBundle } from "../../io/digest.ts";
import type { Command } from "../command.ts";
import { formatOption } from "../command.ts";
import { toCsv, toJson } from "../output.ts";

export const infoCommand: Command = {
  spec: {
    name: "info",
    summary:
      "Validate an activation bundle and describe it: task, samples, classes, layers and their shapes, split, checkpoints, hash.",
    positionals: [
      { name: "BUNDLE", description: "bundle folder (with manifest.json), .zip or .npz" },
    ],
    options: {
      "allow-non-finite": {
        type: "boolean",
        default: false,
        description: "accept NaN/Infinity in layers",
      },
      format: formatOption,
    },
  },
  async run({ positionals: [path], options }, { stdout }) {
    const source = await bundleSourceFromPath(path);
    const bundle = await openBundle(source, {
      allowNonFinite: options["allow-non-finite"] as boolean,
    });
    const layers = bundle.layers.map((l) => ({
      name: l.name,
      kind: l.kind,
      shape: l.shape,
      dimension: l.shape.slice(1).reduce((a, b) => a * b, 1),
      file: l.file,
    }));
    const split = bundle.split
      ? {
          train: bundle.split.filter((s) => s === 0).length,
          test: bundle.split.filter((s) => s === 1).length,
        }
      : null;
    if (options.format === "csv") {
      stdout.write(
        toCsv(
          ["layer", "kind", "shape", "dimension", "file"],
          layers.map((l) => [l.name, l.kind, l.shape.join("x"), l.dimension, l.file]),
        ),
      );
      return;
    }
    stdout.write(
      toJson(
        {
          name: bundle.name,
          format: bundle.manifest.format,
          task: bundle.task,
          samples: bundle.samples,
          classNames: bundle.classNames ?? null,
          layers,
          inputs: bundle.inputs ? { shape: bundle.inputs.shape, dtype: bundle.inputs.dtype } : null,
          labels: !!bundle.labels,
          targets: bundle.targets ? { shape: [bundle.targets.rows, bundle.targets.cols] } : null,
          predictions: bundle.predictions
            ? { shape: [bundle.predictions.rows, bundle.predictions.cols] }
            : null,
          split,
          checkpoints: bundle.checkpoints
            ? bundle.checkpoints.map((c) => ({
                epoch: c.epoch,
                layers: c.layers.map((l) => l.name),
              }))
            : null,
          meta: bundle.meta ?? null,
          sha256: bundle.sha256,
        },
        2,
      ) + "\n",
    );
  },
};
