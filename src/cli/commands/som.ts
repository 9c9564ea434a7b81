/** `hidden-atlas som INPUT.npy`: fit a self-organising map and print its codes and errors. */
import { hitMap, labelCounts, som, uMatrix } from "../../algo/som.ts";
import type { Command } from "../command.ts";
import { formatOption } from "../command.ts";
import { readLabelsFile, readMatrixFile, writeNpyFile } from "../files.ts";
import { terminalProgress, toCsv, toJson } from "../output.ts";

export const somCommand: Command = {
  spec: {
    name: "som",
    summary:
      "Fit a self-organising map (batch map by default) to the rows of INPUT; print QE, TE, BMUs, hits and the U-matrix.",
    positionals: [{ name: "INPUT", description: "N × D matrix: .npy or numeric .csv" }],
    options: {
      rows: { type: "integer", default: 10, description: "grid rows" },
      cols: { type: "integer", default: 10, description: "grid columns" },
      topology: {
        type: "string",
        choices: ["rect", "hex"],
        default: "rect",
        description: "grid topology",
      },
      neighborhood: {
        type: "string",
        choices: ["gaussian", "bubble", "mexicanHat", "triangle"],
        default: "gaussian",
        description: "neighbourhood function (MiniSom's)",
      },
      epochs: { type: "integer", default: 30, description: "passes over the data" },
      mode: {
        type: "string",
        choices: ["batch", "online"],
        default: "batch",
        description: "Kohonen batch map or MiniSom-style online updates",
      },
      sigma: {
        type: "number",
        description: "initial σ in grid units (default: max(rows, cols)/2)",
      },
      seed: { type: "integer", default: 42, description: "seed (random init, online order)" },
      init: {
        type: "string",
        choices: ["pca", "random"],
        default: "pca",
        description: "initial weights",
      },
      labels: {
        type: "string",
        placeholder: "L.npy",
        description: "integer class per row: adds per-node label counts",
      },
      "out-weights": {
        type: "string",
        output: "file",
        placeholder: "W.npy",
        description: "write the (rows·cols) × D node weights here",
      },
      format: formatOption,
    },
    details: `Output (JSON): {"qe", "te": {"rect8", "rect4", "hex6"}, "bmus": [...], "hits": [...], "uMatrix": [...],
"qeHistory": [...], "labelCounts"?: [[...], ...], "params": {...}}; nodes are numbered row-major.
With --format csv: one line per input row (row, bmu, node row, node column).`,
  },
  async run({ positionals: [input], options }, { stdout, stderr }) {
    const X = await readMatrixFile(input);
    const map = await som(X, {
      rows: options.rows as number,
      cols: options.cols as number,
      topology: options.topology as "rect" | "hex",
      neighborhood: options.neighborhood as "gaussian",
      epochs: options.epochs as number,
      mode: options.mode as "batch" | "online",
      sigma: (options.sigma as number | undefined) ?? "auto",
      seed: options.seed as number,
      init: options.init as "pca" | "random",
      onProgress: terminalProgress(stderr),
    });
    const m = map.rows * map.cols;
    let counts: number[][] | undefined;
    if (options.labels) {
      const { labels: values, classes } = await readLabelsFile(
        options.labels as string,
        X.rows,
        input,
      );
      const flat = labelCounts(map.bmus, values, m, classes);
      counts = Array.from({ length: m }, (_, j) =>
        Array.from(flat.subarray(j * classes, (j + 1) * classes)),
      );
    }
    if (options["out-weights"])
      await writeNpyFile(options["out-weights"] as string, {
        shape: [m, X.cols],
        data: map.weights.data,
      });
    if (options.format === "csv") {
      stdout.write(
        toCsv(
          ["row", "bmu", "node_row", "node_col"],
          Array.from(map.bmus, (b, i) => [i, b, Math.floor(b / map.cols), b % map.cols]),
        ),
      );
      return;
    }
    stdout.write(
      toJson({
        qe: map.quantizationError,
        te: map.topographicError,
        bmus: map.bmus,
        hits: hitMap(map.bmus, m),
        uMatrix: uMatrix(map),
        qeHistory: map.qeHistory.train,
        ...(counts && { labelCounts: counts }),
        weights: options["out-weights"] ?? null,
        params: map.params,
      }) + "\n",
    );
  },
};
