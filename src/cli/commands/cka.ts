/** `hidden-atlas cka A.npy B.npy` or `hidden-atlas cka BUNDLE`: linear CKA between representations. */
import { ckaCost, ckaMatrix, linearCka } from "../../algo/cka.ts";
import {
  layerMatrix,
  vectorizedWidth,
  VECTORIZATIONS,
  type Vectorization,
} from "../../algo/vectorize.ts";
import { formatBytes, HiddenAtlasError } from "../../core/errors.ts";
import { assertWorkingSet, memoryBudget } from "../../io/limits.ts";
import { loadBundleFromPath } from "../../io/node.ts";
import type { Command } from "../command.ts";
import { formatOption } from "../command.ts";
import { readMatrixFile } from "../files.ts";
import { terminalProgress, toCsv, toJson } from "../output.ts";

const isMatrixFile = (path: string) => /\.(npy|csv|tsv|txt)$/i.test(path);

export const ckaCommand: Command = {
  spec: {
    name: "cka",
    summary:
      "Linear centred kernel alignment (Kornblith et al. 2019; debiased with --debiased) between two N × D matrices, or between every pair of a bundle's layers.",
    positionals: [
      {
        name: "INPUT",
        description:
          "A.npy (N × D) — or a bundle (folder, .zip, .npz) for the layer × layer matrix",
      },
      { name: "OTHER", description: "B.npy (N × D'), same rows as A", optional: true },
    ],
    options: {
      debiased: {
        type: "boolean",
        default: false,
        description: "debiased CKA (unbiased HSIC, Song et al. 2012)",
      },
      layers: {
        type: "list",
        placeholder: "NAME",
        description: "bundle layers to compare, in order (repeat the option; default: all)",
      },
      vectorize: {
        type: "string",
        choices: VECTORIZATIONS,
        default: "flatten",
        description: "how a bundle's conv maps become vectors",
      },
      seed: { type: "integer", default: 42, description: "seed of --vectorize random" },
      format: formatOption,
    },
    details: `Output: for two matrices {"cka": v, "debiased": b, "n": N}; for a bundle
{"layers": [names], "matrix": [[...], ...], "debiased": b, "n": N, "vectorize": v}, or with
--format csv the matrix with a header row of layer names. A zero-variance representation gives
null (NaN).

Example: hidden-atlas cka acts1.npy acts2.npy --debiased
         hidden-atlas cka data/examples/digits-cnn.zip --vectorize gap --format csv`,
  },
  async run({ positionals: [input, other], options }, { stdout, stderr }) {
    const debiased = options.debiased as boolean;
    const onProgress = terminalProgress(stderr);
    if (other !== undefined || isMatrixFile(input)) {
      if (other === undefined)
        throw new HiddenAtlasError(
          "E_USAGE",
          `cka ${input}: a second matrix (OTHER) is needed, or give a bundle`,
        );
      const result = await linearCka(await readMatrixFile(input), await readMatrixFile(other), {
        debiased,
        onProgress,
      });
      if (options.format === "csv")
        stdout.write(toCsv(["cka", "debiased", "n"], [[result.cka, debiased, result.n]]));
      else stdout.write(toJson({ cka: result.cka, debiased, n: result.n }) + "\n");
      return;
    }
    const bundle = await loadBundleFromPath(input, { lazy: true }); // layers streamed by layerMatrix
    const wanted = options.layers as string[];
    const names = bundle.layers.map((l) => l.name);
    for (const name of wanted) {
      if (!names.includes(name))
        throw new HiddenAtlasError(
          "E_PARAM",
          `invalid layers: ${JSON.stringify(name)} (expected some of ${names.join(", ")})`,
          { parameter: "layers" },
        );
    }
    const chosen = wanted.length ? wanted : names;
    const method = options.vectorize as Vectorization;
    // Every chosen layer is held as float32 while CKA's scratch is in use: refuse before reading.
    const samples = bundle.layers[0]?.shape[0] ?? 0;
    const widths = chosen.map((name) =>
      vectorizedWidth(
        bundle.layers.find((l) => l.name === name)!,
        method,
      ),
    );
    const pairs: [number, number][] = [];
    for (let i = 0; i < widths.length; i++)
      for (let j = i; j < widths.length; j++) pairs.push([i, j]);
    const held = widths.reduce((a, d) => a + 4 * samples * d, 0);
    const scratch =
      widths.length > 0
        ? ckaCost(samples, widths, pairs, "auto", Math.max(0, memoryBudget() - held)).bytes
        : 0;
    assertWorkingSet(
      held + scratch,
      `CKA of ${widths.length} layers (vectorize "${method}": ${formatBytes(held)} of ${samples} × [${widths.join(", ")}] float32 values and ${formatBytes(scratch)} of scratch)`,
      input,
    );
    const matrices = [];
    for (const name of chosen) {
      matrices.push(
        await layerMatrix(
          bundle.layers.find((l) => l.name === name)!,
          { method, seed: options.seed as number },
        ),
      );
    }
    const { matrix, size, n } = await ckaMatrix(matrices, { debiased, onProgress });
    const rows = Array.from({ length: size }, (_, i) =>
      Array.from(matrix.subarray(i * size, (i + 1) * size)),
    );
    if (options.format === "csv") {
      stdout.write(
        toCsv(
          ["layer", ...chosen],
          rows.map((r, i) => [chosen[i], ...r]),
        ),
      );
      return;
    }
    stdout.write(
      toJson({ layers: chosen, matrix: rows, debiased, n, vectorize: options.vectorize }) + "\n",
    );
  },
};
