/** `hidden-atlas geodesic INPUT --k K --sources 0,5,9`: shortest paths on the kNN graph. */
import { geodesicDistances } from "../../algo/geodesic.ts";
import { HiddenAtlasError } from "../../core/errors.ts";
import type { Command } from "../command.ts";
import { formatOption } from "../command.ts";
import { readMatrixFile, writeNpyFile } from "../files.ts";
import { nested, terminalProgress, toCsv, toJson } from "../output.ts";

/** "0,5,9" → [0, 5, 9]; anything else is a usage error. */
function parseSources(text: string): number[] {
  const parts = text.split(",").map((s) => s.trim());
  if (parts.some((p) => !/^\d+$/.test(p))) {
    throw new HiddenAtlasError(
      "E_USAGE",
      `geodesic: --sources expects comma-separated row indices such as 0,5,9; got ${JSON.stringify(text)}`,
    );
  }
  return parts.map(Number);
}

export const geodesicCommand: Command = {
  spec: {
    name: "geodesic",
    summary:
      "Geodesic distances: shortest paths on the kNN graph symmetrised by union, Euclidean edge lengths (SciPy/Isomap's).",
    positionals: [
      { name: "INPUT", description: "N × D matrix: .npy (N × … is flattened) or numeric .csv" },
    ],
    options: {
      k: {
        type: "integer",
        default: 10,
        description:
          "neighbours per point before symmetrisation (an edge where either point is among the other's k nearest)",
      },
      sources: {
        type: "string",
        placeholder: "I,J,…",
        description: "rows to compute from (default: all pairs, N ≤ 5,000)",
      },
      out: {
        type: "string",
        output: "file",
        placeholder: "FILE.npy",
        description: "write the sources × N float32 distances here (unreachable = Infinity)",
      },
      format: formatOption,
    },
    details: `D[r, j] is the length of the shortest path from row sources[r] to row j; pairs in different
components of the graph are Infinity (null in JSON). Without --out the matrix is printed.

Example: hidden-atlas geodesic acts.npy --k 10 --sources 0,5,9 --out D.npy`,
  },
  async run({ positionals: [input], options }, { stdout, stderr }) {
    const X = await readMatrixFile(input);
    const sources =
      options.sources === undefined ? undefined : parseSources(options.sources as string);
    const result = await geodesicDistances(X, {
      k: options.k as number,
      sources,
      onProgress: terminalProgress(stderr),
    });
    const out = options.out as string | undefined;
    if (out) {
      await writeNpyFile(out, { shape: [result.rows, result.cols], data: result.data });
      stdout.write(
        toJson({
          sources: Array.from(result.sources),
          n: result.cols,
          k: result.params.k,
          components: result.components,
          out,
        }) + "\n",
      );
      return;
    }
    if (options.format === "csv") {
      const lines: unknown[][] = [];
      for (let r = 0; r < result.rows; r++) {
        for (let j = 0; j < result.cols; j++) {
          const v = result.data[r * result.cols + j];
          lines.push([result.sources[r], j, Number.isFinite(v) ? v : null]);
        }
      }
      stdout.write(toCsv(["source", "target", "distance"], lines));
      return;
    }
    stdout.write(
      toJson({
        sources: Array.from(result.sources),
        k: result.params.k,
        components: result.components,
        distances: nested(result.data, result.rows, result.cols),
      }) + "\n",
    );
  },
};
