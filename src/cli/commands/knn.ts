/** `hidden-atlas knn INPUT --k K`: the k nearest other rows of every row. */
import { knn } from "../../algo/knn.ts";
import type { Metric } from "../../algo/distance.ts";
import { formatBytes } from "../../core/errors.ts";
import { assertWorkingSet } from "../../io/limits.ts";
import type { Command } from "../command.ts";
import { formatOption } from "../command.ts";
import { readMatrixFile, writeNpyFile } from "../files.ts";
import { nested, terminalProgress, toCsv, toJson } from "../output.ts";

export const knnCommand: Command = {
  spec: {
    name: "knn",
    summary:
      "Exact k nearest neighbours of every row (the row itself excluded), nearest first; ties go to the lower row index.",
    positionals: [
      { name: "INPUT", description: "N × D matrix: .npy (N × … is flattened) or numeric .csv" },
    ],
    options: {
      k: { type: "integer", default: 5, description: "neighbours per row, 1 … min(256, N − 1)" },
      metric: {
        type: "string",
        choices: ["euclidean", "cosine", "sqeuclidean"],
        default: "euclidean",
        description: "distance (cosine = 1 − cosine similarity)",
      },
      "out-indices": {
        type: "string",
        output: "file",
        placeholder: "FILE.npy",
        description: "write the N × k int32 indices here",
      },
      "out-distances": {
        type: "string",
        output: "file",
        placeholder: "FILE.npy",
        description: "write the N × k float32 distances here",
      },
      format: formatOption,
    },
    details: `Output: with --format json, {"indices": [[...], ...], "distances": [[...], ...]} on stdout
(row i lists its neighbours); with --format csv, one line per (row, rank). When --out-indices or
--out-distances is given the arrays go to those files and stdout gets a JSON summary.

Example: hidden-atlas knn acts.npy --k 10 --metric cosine --out-indices nn.npy --out-distances d.npy`,
  },
  async run({ positionals: [input], options }, { stdout, stderr }) {
    const X = await readMatrixFile(input);
    const k = options.k as number;
    // The lists (int32 indices and float32 distances) are held beside the input.
    const lists = X.rows * Math.min(k, Math.max(X.rows - 1, 0)) * 8;
    assertWorkingSet(
      X.data.byteLength + lists,
      `the ${X.rows} × ${k} neighbour lists (${formatBytes(lists)}) beside its ${X.rows} × ${X.cols} values as float32`,
      input,
    );
    const result = await knn(X, {
      k,
      metric: options.metric as Metric,
      onProgress: terminalProgress(stderr),
    });
    const outIndices = options["out-indices"] as string | undefined;
    const outDistances = options["out-distances"] as string | undefined;
    if (outIndices)
      await writeNpyFile(outIndices, { shape: [result.n, result.k], data: result.indices });
    if (outDistances)
      await writeNpyFile(outDistances, { shape: [result.n, result.k], data: result.distances });
    if (outIndices || outDistances) {
      stdout.write(
        toJson({
          n: result.n,
          k: result.k,
          metric: result.metric,
          indices: outIndices ?? null,
          distances: outDistances ?? null,
        }) + "\n",
      );
      return;
    }
    if (options.format === "csv") {
      const rows: unknown[][] = [];
      for (let i = 0; i < result.n; i++) {
        for (let j = 0; j < result.k; j++)
          rows.push([
            i,
            j + 1,
            result.indices[i * result.k + j],
            result.distances[i * result.k + j],
          ]);
      }
      stdout.write(toCsv(["row", "rank", "neighbor", "distance"], rows));
      return;
    }
    stdout.write(
      toJson({
        indices: nested(result.indices, result.n, result.k),
        distances: nested(result.distances, result.n, result.k),
      }) + "\n",
    );
  },
};
