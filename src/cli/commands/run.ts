/**
 * `hidden-atlas run NOTEBOOK --bundle B [--set name=value …] [--format json|csv]`: an analysis'
 * result tables — the numbers its report shows — on stdout, for scripts.
 */
import { HiddenAtlasError } from "../../core/errors.ts";
import { formatOption, type Command } from "../command.ts";
import { csvField, toCsv, toJson } from "../output.ts";
import { analysisArgument, parameterHelp, parameterOptions } from "./analysis-options.ts";
import { analysisReport } from "./report.ts";

export const runCommand: Command = {
  spec: {
    name: "run",
    summary:
      "Run a notebook's analysis on a bundle and print its result tables (the numbers its report shows) as JSON or CSV.",
    positionals: [
      {
        name: "NOTEBOOK",
        description: "explore, mda, som-codes, layer-topology, mapper or mphate",
      },
    ],
    options: {
      bundle: {
        type: "string",
        placeholder: "DIR",
        description: "bundle folder, .zip or .npz (required)",
      },
      set: {
        type: "list",
        placeholder: "NAME=VALUE",
        description: "set a notebook parameter (repeatable); or --kebab-name VALUE",
      },
      format: formatOption,
      ...parameterOptions(),
    },
    get details() {
      return `JSON: {notebook, dataset, sha256, parameters, seed, tables: [{title, columns, rows}]}. CSV: each table after a "# title" line, tables separated by a blank line. Images in tables are left out.\n\nParameters (name, command-line spelling, range, default):\n\n${parameterHelp()}`;
    },
  },
  async run(parsed, streams) {
    analysisArgument(parsed.positionals[0]);
    if (!parsed.options.bundle) throw new HiddenAtlasError("E_USAGE", "run needs --bundle DIR");
    const { spec, sha256, dataset } = await analysisReport(
      { ...parsed, options: { ...parsed.options, date: undefined } },
      streams,
    );
    const tables = spec.sections
      .filter((s) => s.table)
      .map((s) => ({
        title: s.title,
        columns: s.table!.columns,
        rows: s.table!.rows.map((row) =>
          row.map((cell) => (cell !== null && typeof cell === "object" ? null : cell)),
        ),
      }));
    if (parsed.options.format === "csv") {
      streams.stdout.write(
        tables.map((t) => `# ${csvField(t.title)}\n${toCsv(t.columns, t.rows)}`).join("\n"),
      );
    } else {
      streams.stdout.write(
        toJson({
          notebook: parsed.positionals[0],
          dataset,
          sha256,
          parameters: spec.parameters,
          seed: spec.seed,
          tables,
        }) + "\n",
      );
    }
  },
};
