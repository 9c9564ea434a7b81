/** `hidden-atlas embed INPUT --method M`: a 2-D (or d-D) embedding of the rows of INPUT. */
import { EMBED_METHODS, embed, type EmbedMethod } from "../../algo/embed.ts";
import { HiddenAtlasError } from "../../core/errors.ts";
import type { Command } from "../command.ts";
import { formatOption } from "../command.ts";
import { readMatrixFile, writeNpyFile } from "../files.ts";
import { nested, terminalProgress, toCsv, toJson } from "../output.ts";

export const embedCommand: Command = {
  spec: {
    name: "embed",
    summary:
      "Embed the rows of a matrix in 2-D: PCA, metric MDS, Isomap, t-SNE, UMAP, PHATE or MDA (seeded, reference defaults).",
    positionals: [
      { name: "INPUT", description: "N × D matrix: .npy (N × … is flattened) or numeric .csv" },
    ],
    options: {
      method: {
        type: "string",
        choices: EMBED_METHODS,
        placeholder: EMBED_METHODS.join("|"),
        description: "embedding method (required)",
      },
      predictions: {
        type: "string",
        placeholder: "P.npy",
        description: "mda: the network's outputs (N × M), which define MDA's groups",
      },
      targets: {
        type: "string",
        placeholder: "T.npy",
        description:
          "mda: targets (N × M); group by these when --predictions is absent (checked either way)",
      },
      k: {
        type: "integer",
        default: 15,
        description: "neighbours: UMAP n_neighbors, Isomap n_neighbors, MDA's layout",
      },
      perplexity: { type: "number", default: 30, description: "t-SNE perplexity" },
      "min-dist": { type: "number", default: 0.1, description: "UMAP / MDA min_dist" },
      components: {
        type: "integer",
        default: 2,
        description: "output dimensions (pca, mds, isomap, umap); MDA and t-SNE give 2",
      },
      groups: {
        type: "string",
        default: "auto",
        description: "mda: number of groups, or auto (NumPy's 'auto' bins)",
      },
      knn: {
        type: "integer",
        default: 5,
        description: "phate: neighbours of the alpha-decay bandwidth (PHATE knn)",
      },
      decay: { type: "number", default: 40, description: "phate: alpha-decay exponent" },
      gamma: {
        type: "number",
        default: 1,
        description: "phate: potential, 1 log, 0 square root, −1 none",
      },
      seed: { type: "integer", default: 42, description: "seed of every random draw" },
      out: {
        type: "string",
        output: "file",
        placeholder: "FILE.npy",
        description: "write the N × d float32 coordinates here",
      },
      format: formatOption,
    },
    details: `Without --out the coordinates are printed ({"coordinates": [[x, y], ...], ...} or CSV rows);
with --out they go to the file and stdout gets a JSON summary with the options as resolved.

Examples:
  hidden-atlas embed acts.npy --method umap --k 15 --seed 42 --out coords.npy
  hidden-atlas embed layer.npy --method mda --predictions preds.npy --targets y.npy --out mda.npy`,
  },
  async run({ positionals: [input], options }, { stdout, stderr }) {
    const method = options.method as EmbedMethod | undefined;
    if (!method)
      throw new HiddenAtlasError(
        "E_USAGE",
        "embed: --method is required (one of " + EMBED_METHODS.join(", ") + ")",
      );
    const X = await readMatrixFile(input);
    const k = options.k as number;
    const seed = options.seed as number;
    const nComponents = options.components as number;
    const minDist = options["min-dist"] as number;
    const run = { onProgress: terminalProgress(stderr) };
    let result;
    if (method === "mda") {
      if (!options.predictions && !options.targets)
        throw new HiddenAtlasError(
          "E_USAGE",
          "embed --method mda needs --predictions (or --targets) to group the samples by",
        );
      // Both are read and checked when given (a missing or mismatched file is never ignored);
      // the groups come from --predictions when it is there.
      const read = async (option: "predictions" | "targets") => {
        const file = options[option] as string | undefined;
        if (!file) return undefined;
        const m = await readMatrixFile(file);
        if (m.rows !== X.rows) {
          throw new HiddenAtlasError(
            "E_SHAPE_MISMATCH",
            `--${option} ${file} has ${m.rows} rows but ${input} has ${X.rows}; rows must be the same samples`,
            { file },
          );
        }
        return m;
      };
      const predictions = await read("predictions");
      const targets = await read("targets");
      const outputs = (predictions ?? targets)!;
      const groups = options.groups === "auto" ? "auto" : Number(options.groups);
      result = await embed(
        X,
        "mda",
        { outputs, nNeighbors: k, minDist, groups: groups as number | "auto", seed },
        run,
      );
    } else if (method === "pca") result = await embed(X, "pca", { nComponents }, run);
    else if (method === "mds") result = await embed(X, "mds", { nComponents, seed }, run);
    else if (method === "isomap")
      result = await embed(X, "isomap", { nNeighbors: k, nComponents, seed }, run);
    else if (method === "phate")
      result = await embed(
        X,
        "phate",
        {
          knn: options.knn as number,
          decay: options.decay as number,
          gamma: options.gamma as number,
          nComponents,
          seed,
        },
        run,
      );
    else if (method === "tsne")
      result = await embed(X, "tsne", { perplexity: options.perplexity as number, seed }, run);
    else result = await embed(X, "umap", { nNeighbors: k, minDist, nComponents, seed }, run);
    for (const w of result.warnings) stderr.write(`hidden-atlas embed: warning: ${w}\n`);
    const { rows, cols, data } = result.coordinates;
    const out = options.out as string | undefined;
    if (out) {
      await writeNpyFile(out, { shape: [rows, cols], data });
      stdout.write(
        toJson({
          method,
          n: rows,
          dimensions: cols,
          out,
          params: result.params,
          warnings: result.warnings,
        }) + "\n",
      );
      return;
    }
    if (options.format === "csv") {
      const header = ["row", ...Array.from({ length: cols }, (_, c) => `x${c + 1}`)];
      const lines: unknown[][] = [];
      for (let i = 0; i < rows; i++) lines.push([i, ...data.subarray(i * cols, (i + 1) * cols)]);
      stdout.write(toCsv(header, lines));
      return;
    }
    stdout.write(
      toJson({
        method,
        params: result.params,
        warnings: result.warnings,
        coordinates: nested(data, rows, cols),
      }) + "\n",
    );
  },
};
