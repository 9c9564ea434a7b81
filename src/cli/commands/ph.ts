/** `hidden-atlas ph INPUT.npy`: Vietoris–Rips persistence diagrams of a point cloud or distance matrix. */
import { persistentHomology, MAX_RIPS_DIMENSION } from "../../algo/rips.ts";
import { subsample, takeRows } from "../../algo/subsample.ts";
import { HiddenAtlasError } from "../../core/errors.ts";
import type { Command } from "../command.ts";
import { formatOption } from "../command.ts";
import { readMatrixFile } from "../files.ts";
import { terminalProgress, toCsv, toJson } from "../output.ts";

export const phCommand: Command = {
  spec: {
    name: "ph",
    summary:
      "Persistent homology of the Vietoris–Rips filtration (exact, Ripser's algorithm with edge collapse): one diagram per degree.",
    positionals: [
      {
        name: "INPUT",
        description:
          "N × D points (.npy or numeric .csv), or an N × N distance matrix with --input distances",
      },
    ],
    options: {
      maxdim: {
        type: "integer",
        default: 1,
        description: `highest homology degree, 0 … ${MAX_RIPS_DIMENSION} (ripser.py maxdim)`,
      },
      threshold: {
        type: "number",
        placeholder: "R",
        description:
          "largest diameter in the filtration (default: the enclosing radius, as Ripser)",
      },
      input: {
        type: "string",
        choices: ["points", "distances"],
        default: "points",
        description: "what INPUT holds",
      },
      coefficients: {
        type: "integer",
        default: 2,
        description: "prime p of the Z/p coefficients, 2 to 251",
      },
      subsample: {
        type: "integer",
        placeholder: "M",
        description: "use M rows only (points input): see --sampling",
      },
      sampling: {
        type: "string",
        choices: ["random", "farthest"],
        default: "random",
        description:
          "how --subsample picks rows: seeded uniform, or greedy farthest point from row 0 (ripser.py n_perm)",
      },
      seed: { type: "integer", default: 42, description: "seed of --sampling random" },
      "no-collapse": {
        type: "boolean",
        default: false,
        description: "skip the edge collapse (same diagrams, slower)",
      },
      cycles: {
        type: "boolean",
        default: false,
        description: "add a representative cycle (input rows) for each H1 pair",
      },
      format: formatOption,
    },
    details: `Output (JSON): {"diagrams": {"0": [[birth, death], ...], "1": [...]}, "threshold": r,
"enclosingRadius": e, "points": n, "sample"?: [rows], "coverRadius"?: c}; death is null for an
essential class. Filtration values are diameters (as Ripser, ripser.py, gudhi); pairs of zero
length are dropped. With --format csv: one line per pair (dim, birth, death; death empty if infinite).

--cycles adds "cycles": {"1": [[[i, j], ...], ...]}: for each pair of diagrams["1"], in its order,
the edges of a representative cycle born with it, as row indices of INPUT (also with --subsample):
a closed loop whose longest edge is the birth edge (listed first), each edge starting where the
previous one ended; it is not a boundary before the bar's death and is one at the death
(homology reduction of the death triangles, Čufar & Virk's involuted persistent homology). With
--coefficients p > 2 each edge is [i, j, c], the chain's coefficient c on i → j (1 unless the
cycle is not a ±1 loop). CSV gets a "cycle" column on H1 lines: "i-j j-k ..." ("i-j-c" over Z/p).

Example: hidden-atlas ph acts.npy --maxdim 2 --subsample 1000 --sampling farthest > dgms.json
         hidden-atlas ph acts.npy --cycles > loops.json`,
  },
  async run({ positionals: [path], options }, { stdout, stderr }) {
    const input = options.input as "points" | "distances";
    let X = await readMatrixFile(path, { finite: input === "points" });
    let sample: { indices: Int32Array; coverRadius: number | null } | undefined;
    if (options.subsample !== undefined) {
      if (input === "distances")
        throw new HiddenAtlasError("E_USAGE", "--subsample works on points input only");
      const size = options.subsample as number;
      if (size < 1 || size > X.rows)
        throw new HiddenAtlasError(
          "E_USAGE",
          `--subsample must be from 1 to ${X.rows} (the rows of ${path}); got ${size}`,
        );
      sample = await subsample(X, {
        size: options.subsample as number,
        method: options.sampling as "random" | "farthest",
        seed: options.seed as number,
      });
      X = takeRows(X, sample.indices);
    }
    const result = await persistentHomology(X, {
      maxdim: options.maxdim as number,
      threshold: (options.threshold as number | undefined) ?? "enclosing",
      input,
      coefficients: options.coefficients as number,
      edgeCollapse: !(options["no-collapse"] as boolean),
      cycles: options.cycles as boolean,
      onProgress: terminalProgress(stderr),
    });
    // Cycles as edges between INPUT's rows: [i, j] over Z/2, [i, j, c] over Z/p.
    const row = (i: number) => (sample ? sample.indices[i] : i);
    const cycles = result.cycles?.[1].map((c) => {
      const edges: number[][] = [];
      for (let r = 0; r < c.length; r += 3)
        edges.push(
          result.params.coefficients === 2
            ? [row(c[r]), row(c[r + 1])]
            : [row(c[r]), row(c[r + 1]), c[r + 2]],
        );
      return edges;
    });
    if (options.format === "csv") {
      const rows: unknown[][] = [];
      for (const d of result.diagrams) {
        d.births.forEach((b, i) =>
          rows.push(
            cycles
              ? [
                  d.dim,
                  b,
                  d.deaths[i],
                  d.dim === 1 ? cycles[i].map((e) => e.join("-")).join(" ") : "",
                ]
              : [d.dim, b, d.deaths[i]],
          ),
        );
      }
      stdout.write(
        toCsv(cycles ? ["dim", "birth", "death", "cycle"] : ["dim", "birth", "death"], rows),
      );
      return;
    }
    const diagrams: Record<string, [number, number][]> = {};
    for (const d of result.diagrams)
      diagrams[String(d.dim)] = Array.from(d.births, (b, i) => [b, d.deaths[i]]);
    stdout.write(
      toJson({
        diagrams,
        threshold: result.threshold,
        enclosingRadius: result.enclosingRadius,
        points: X.rows,
        ...(sample && { sample: sample.indices, coverRadius: sample.coverRadius }),
        ...(cycles && { cycles: { "1": cycles } }),
      }) + "\n",
    );
  },
};
