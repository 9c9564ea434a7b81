/**
 * Same input and seed, same bytes: every stochastic command (and every notebook's `run` and
 * `report`) is run twice in separate processes; stdout and the files written must be equal.
 * The first run's output must also pass the command's standard check.
 */
import { join } from "node:path";
import { ANALYSIS_NAMES } from "../../../src/analyses/registry.ts";
import { gaussian, npyOf, write } from "../data.ts";
import { ROOT } from "../runner.ts";
import type { Case, Prepared } from "../types.ts";
import { tinyBundle } from "./bundles.ts";
import { json } from "./common.ts";
import { standardCheck, writeInputs } from "./commands.ts";
import { runTablesCheck } from "./parameters.ts";

function twice(
  id: string,
  prepare: (dir: string) => Promise<Omit<Prepared, "expect" | "repeat">>,
): Case {
  return {
    id: `determinism/${id}`,
    family: "determinism",
    prepare: async (dir) => ({
      expect: "ok",
      repeat: true,
      timeoutMs: 240_000,
      ...(await prepare(dir)),
    }),
  };
}

export function determinismCases(): Case[] {
  const cases: Case[] = [];
  const matrixCommands: [string, string[], string[]?][] = [
    ["pca", ["embed", "x.npy", "--method", "pca", "--out", "e.npy"], ["e.npy"]],
    ["mds", ["embed", "x.npy", "--method", "mds", "--out", "e.npy"], ["e.npy"]],
    ["isomap", ["embed", "x.npy", "--method", "isomap", "--k", "5", "--out", "e.npy"], ["e.npy"]],
    [
      "tsne",
      ["embed", "x.npy", "--method", "tsne", "--perplexity", "5", "--seed", "7", "--out", "e.npy"],
      ["e.npy"],
    ],
    [
      "umap",
      ["embed", "x.npy", "--method", "umap", "--k", "5", "--seed", "7", "--out", "e.npy"],
      ["e.npy"],
    ],
    [
      "phate",
      ["embed", "x.npy", "--method", "phate", "--knn", "3", "--seed", "7", "--out", "e.npy"],
      ["e.npy"],
    ],
    [
      "mda",
      [
        "embed",
        "x.npy",
        "--method",
        "mda",
        "--predictions",
        "p.npy",
        "--seed",
        "7",
        "--out",
        "e.npy",
      ],
      ["e.npy"],
    ],
    [
      "mphate",
      ["mphate", "t.npy", "--seed", "7", "--out", "m.npy", "--out-labels", "ml.npy"],
      ["m.npy", "ml.npy"],
    ],
    [
      "som-online-random",
      [
        "som",
        "x.npy",
        "--mode",
        "online",
        "--init",
        "random",
        "--seed",
        "7",
        "--out-weights",
        "w.npy",
      ],
      ["w.npy"],
    ],
    ["som-batch", ["som", "x.npy", "--labels", "lab.npy"]],
    [
      "mapper",
      ["mapper", "x.npy", "--labels", "lab.npy", "--lens", "pca1", "--clusterer", "single-linkage"],
    ],
    ["mapper-balanced", ["mapper", "x.npy", "--cover", "balanced", "--lens", "density"]],
    ["ph-subsample-random", ["ph", "x.npy", "--subsample", "20", "--seed", "7", "--cycles"]],
    [
      "ph-farthest",
      ["ph", "x.npy", "--subsample", "20", "--sampling", "farthest", "--maxdim", "2"],
    ],
    ["geodesic", ["geodesic", "x.npy", "--k", "4", "--out", "g.npy"], ["g.npy"]],
    ["cka-bundle-random", ["cka", "bundle", "--vectorize", "random", "--seed", "7"]],
    ["diagram-sliced", ["diagram-distance", "a.json", "b.json", "--metric", "sliced"]],
    ["knn-csv", ["knn", "x.npy", "--k", "4", "--format", "csv"]],
  ];
  for (const [name, argv, files] of matrixCommands) {
    cases.push(
      twice(name, async (dir) => {
        const inputs = await writeInputs(dir);
        return {
          argv,
          files,
          check: argv.includes("--format") || files ? undefined : standardCheck(argv, inputs),
        };
      }),
    );
  }
  cases.push(
    twice("knn-nn-descent-25000", async (dir) => {
      write(dir, "x.npy", npyOf(gaussian(25_000, 4, 13)));
      return {
        argv: ["knn", "x.npy", "--k", "5", "--out-indices", "i.npy", "--out-distances", "d.npy"],
        files: ["i.npy", "d.npy"],
      };
    }),
    twice("example-digits-rotation", async () => ({
      argv: ["example", "digits-rotation", "--out", "ex", "--epochs", "2", "--zip"],
      files: ["ex/digits-rotation.zip"],
    })),
    twice("example-digits-mlp", async () => ({
      argv: ["example", "digits-mlp", "--out", "ex", "--epochs", "3", "--zip", "--seed", "5"],
      files: ["ex/digits-mlp.zip"],
    })),
    twice("info-digits", async () => ({
      argv: ["info", join(ROOT, "data/digits")],
      check: ({ result }) =>
        json(result.stdout).samples === 1797 ? null : "digits has 1797 samples",
    })),
  );
  for (const notebook of ANALYSIS_NAMES) {
    for (const command of ["run", "report"] as const) {
      cases.push(
        twice(`${command}-${notebook}`, async (dir) => {
          await tinyBundle(join(dir, "b"), {
            checkpoints: true,
            task: notebook === "mda" ? "regression" : "classification",
            conv: notebook !== "mda",
          });
          return command === "run"
            ? { argv: ["run", notebook, "--bundle", "b", "--seed", "3"], check: runTablesCheck }
            : {
                argv: [
                  "report",
                  notebook,
                  "--bundle",
                  "b",
                  "--seed",
                  "3",
                  "--out",
                  "r.html",
                  "--date",
                  "2024-01-01",
                ],
                files: ["r.html"],
              };
        }),
      );
    }
  }
  return cases;
}
