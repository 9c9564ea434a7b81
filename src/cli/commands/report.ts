/** `hidden-atlas report NOTEBOOK --bundle DIR --set k=10 --out r.html`: a notebook's report from Node. */
import { HiddenAtlasError } from "../../core/errors.ts";
import { openBundle } from "../../io/digest.ts";
import { NOTEBOOK_REPORTS } from "../../report/notebooks.ts";
import { renderReport } from "../../report/report.ts";
import { reportDocument } from "../../report/dom.ts";
import type { Command } from "../command.ts";
import { bundleSourceFromPath } from "../../io/node.ts";
import { writeTextFile } from "../files.ts";
import { terminalProgress, toJson } from "../output.ts";

/** Parse `name=value` pairs, typing each value like the notebook's default for that name. */
export function parseSettings(notebook: string, pairs: string[], defaults: Record<string, string | number | boolean>): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new HiddenAtlasError("E_USAGE", `--set expects name=value, got ${JSON.stringify(pair)}`);
    const name = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    if (!(name in defaults)) {
      throw new HiddenAtlasError("E_USAGE", `unknown parameter ${JSON.stringify(name)} for ${notebook} (known: ${Object.keys(defaults).join(", ")})`);
    }
    const fallback = defaults[name];
    if (typeof fallback === "number") {
      const n = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(n)) throw new HiddenAtlasError("E_USAGE", `--set ${name} expects a number, got ${JSON.stringify(raw)}`);
      params[name] = n;
    } else if (typeof fallback === "boolean") {
      if (raw !== "true" && raw !== "false") throw new HiddenAtlasError("E_USAGE", `--set ${name} expects true or false, got ${JSON.stringify(raw)}`);
      params[name] = raw === "true";
    } else {
      params[name] = raw;
    }
  }
  return params;
}

export const reportCommand: Command = {
  spec: {
    name: "report",
    summary: "Run a notebook's analysis on a bundle and write its static report: one self-contained HTML file that opens offline.",
    positionals: [{ name: "NOTEBOOK", description: `one of ${Object.keys(NOTEBOOK_REPORTS).join(", ")}` }],
    options: {
      bundle: { type: "string", placeholder: "DIR", description: "bundle folder, .zip or .npz (required)" },
      set: { type: "list", placeholder: "NAME=VALUE", description: "set a notebook parameter (repeatable)" },
      out: { type: "string", placeholder: "FILE.html", description: "where to write the report (required)" },
      date: { type: "string", placeholder: "ISO-DATE", description: "date printed in the report (default: now)" },
    },
    details: Object.entries(NOTEBOOK_REPORTS)
      .map(([name, r]) => `${name}: ${r.question}\n  parameters: ${Object.entries(r.defaults).map(([k, v]) => `${k}=${v === "" ? "(from bundle)" : v}`).join(", ")}`)
      .join("\n"),
  },
  async run({ positionals: [notebook], options }, { stdout, stderr }) {
    const report = NOTEBOOK_REPORTS[notebook];
    if (!report) throw new HiddenAtlasError("E_USAGE", `unknown notebook ${JSON.stringify(notebook)} (known: ${Object.keys(NOTEBOOK_REPORTS).join(", ")})`);
    if (!options.bundle) throw new HiddenAtlasError("E_USAGE", "report needs --bundle DIR");
    if (!options.out) throw new HiddenAtlasError("E_USAGE", "report needs --out FILE.html");
    const params = parseSettings(notebook, options.set as string[], report.defaults);
    const bundle = await openBundle(await bundleSourceFromPath(options.bundle as string));
    const document = reportDocument();
    const spec = await report.build(bundle, params, { sha256: bundle.sha256, date: options.date as string | undefined, document }, { onProgress: terminalProgress(stderr) });
    await writeTextFile(options.out as string, renderReport(spec));
    stdout.write(toJson({ report: options.out, notebook, dataset: bundle.name, sha256: bundle.sha256, parameters: spec.parameters, seed: spec.seed }) + "\n");
  },
};
