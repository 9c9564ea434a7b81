/** `hidden-atlas mapper INPUT.npy`: the Mapper graph of the rows of INPUT as JSON. */
import { COVERS, type CoverKind } from "../../algo/mapper/cover.ts";
import { LENSES, mapper, type CustomLens, type LensName } from "../../algo/mapper/mapper.ts";
import { graphPurity, nodeComposition } from "../../algo/mapper/statistics.ts";
import { HiddenAtlasError } from "../../core/errors.ts";
import type { Command } from "../command.ts";
import { formatOption } from "../command.ts";
import { readLabelsFile, readMatrixFile } from "../files.ts";
import { terminalProgress, toCsv, toJson } from "../output.ts";

export const mapperCommand: Command = {
  spec: {
    name: "mapper",
    summary:
      "Build the Mapper graph of the rows of INPUT (lens, overlapping cover, DBSCAN in each interval, nerve); print nodes, links and lost rows.",
    positionals: [{ name: "INPUT", description: "N × D matrix: .npy or numeric .csv" }],
    options: {
      labels: {
        type: "string",
        placeholder: "L.npy",
        description: "integer class per row: adds class counts per node and the purity",
      },
      lens: {
        type: "string",
        default: "l2norm",
        placeholder: "LENS",
        description: `${LENSES.join("|")} or column:FILE.npy (N values, or N × 2 for a 2-D lens)`,
      },
      intervals: { type: "integer", default: 10, description: "intervals per lens dimension" },
      overlap: {
        type: "number",
        default: 0.5,
        description: "fraction shared by adjacent intervals, in [0, 1)",
      },
      cover: {
        type: "string",
        choices: [...COVERS],
        default: "uniform",
        description:
          "equal-length intervals fitted to the lens range, equal-count (quantile) ones, or KeplerMapper's overhanging ones",
      },
      clusterer: {
        type: "string",
        choices: ["dbscan", "single-linkage"],
        default: "dbscan",
        description: "clustering inside each interval",
      },
      eps: {
        type: "string",
        default: "auto",
        placeholder: "auto|R",
        description: "DBSCAN radius, or auto (knee of the sorted (min-samples − 1)-NN distances)",
      },
      "min-samples": {
        type: "integer",
        default: 5,
        description: "DBSCAN min_samples (self included); smaller intervals are skipped",
      },
      "min-intersection": {
        type: "integer",
        default: 1,
        description: "shared rows needed for a link",
      },
      neighbors: {
        type: "string",
        choices: ["auto", "exact", "approximate"],
        default: "auto",
        description:
          "32-NN lists: exact up to rows² × columns = 2^35, NN-descent above (auto); always exact; always NN-descent",
      },
      seed: {
        type: "integer",
        default: 42,
        description: "seed of NN-descent and of the rows that measure its recall",
      },
      format: formatOption,
    },
    details: `Output (JSON): {"nodes": [{"id", "members": [row, ...], "size", "lens": [...], "element", "component",
"labelCounts"?: [...]}], "links": [[a, b, jaccard], ...], "lost": n, "lostMembers": [row, ...], "components",
"cycles", "eps", "epsRule", "purity"?: {"meanInverseClasses", "weightedMajority"}, "elements": [...], "params",
"neighbors": {"method": "exact"|"nn-descent", "k", "recall", "recallRows", "rounds", "capped", "beyondCap"}}.
Link ends are indices into "nodes". With --format csv: one line per (node, member) pair.`,
  },
  async run({ positionals: [input], options }, { stdout, stderr }) {
    const X = await readMatrixFile(input);
    const lens = await lensOption(options.lens as string, X.rows);
    const epsText = options.eps as string;
    const eps = epsText === "auto" ? "auto" : Number(epsText);
    if (eps !== "auto" && !(eps > 0))
      throw new HiddenAtlasError(
        "E_USAGE",
        `--eps must be "auto" or a positive number; got ${JSON.stringify(epsText)}`,
      );
    let labels: Int32Array | null = null;
    let classes = 0;
    if (options.labels)
      ({ labels, classes } = await readLabelsFile(options.labels as string, X.rows, input));
    const graph = await mapper(
      X,
      {
        lens,
        intervals: options.intervals as number,
        overlap: options.overlap as number,
        cover: options.cover as CoverKind,
        clusterer: options.clusterer as "dbscan" | "single-linkage",
        eps,
        minSamples: options["min-samples"] as number,
        minIntersection: options["min-intersection"] as number,
      },
      {
        onProgress: terminalProgress(stderr),
        neighbors: options.neighbors as "auto" | "exact" | "approximate",
        seed: options.seed as number,
      },
    );
    if (options.format === "csv") {
      stdout.write(
        toCsv(
          ["node", "row"],
          graph.nodes.flatMap((n) => Array.from(n.members, (r) => [n.id, r])),
        ),
      );
      return;
    }
    const counts = labels ? nodeComposition(graph, labels, classes) : null;
    stdout.write(
      toJson({
        nodes: graph.nodes.map((n, i) => ({
          id: n.id,
          members: n.members,
          size: n.members.length,
          lens: n.lens,
          element: n.element,
          component: graph.componentOf[i],
          ...(counts && { labelCounts: counts[i] }),
        })),
        links: graph.links.map((l) => [l.source, l.target, l.jaccard]),
        lost: graph.lost.length,
        lostMembers: graph.lost,
        components: graph.componentCount,
        cycles: graph.cycles,
        eps: graph.params.eps,
        epsRule: graph.params.epsRule,
        ...(counts && { purity: graphPurity(counts) }),
        elements: graph.elements,
        params: graph.params,
        neighbors: graph.neighbors,
      }) + "\n",
    );
  },
};

/** --lens: a named lens, or column:FILE.npy with one or two values per row. */
async function lensOption(value: string, rows: number): Promise<LensName | CustomLens> {
  if ((LENSES as readonly string[]).includes(value)) return value as LensName;
  if (!value.startsWith("column:")) {
    throw new HiddenAtlasError(
      "E_USAGE",
      `--lens must be one of ${LENSES.join(", ")} or column:FILE.npy; got ${JSON.stringify(value)}`,
    );
  }
  const file = value.slice("column:".length);
  const m = await readMatrixFile(file);
  if (m.rows !== rows || m.cols > 2) {
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `${file}: a lens needs ${rows} rows of 1 or 2 values (one per input row); got ${m.rows} × ${m.cols}`,
    );
  }
  const values = Array.from({ length: m.cols }, (_, c) =>
    Float64Array.from({ length: rows }, (_, i) => m.data[i * m.cols + c]),
  );
  return { name: file, values };
}
