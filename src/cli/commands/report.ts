/** `hidden-atlas report NOTEBOOK --bundle DIR --set k=10 --out r.html`: a notebook's report from Node. */
import { AnalysisRunner, bundleKeyOf } from "../../analyses/runner.ts";
import { requestedThreads, threadSetting } from "../../core/threads.ts";
import { createNodeClient } from "../../worker/node.ts";
import { createStepPool } from "../../worker/pool.ts";
import type { AnalysisName } from "../../analyses/registry.ts";
import { HiddenAtlasError } from "../../core/errors.ts";
import { openBundle } from "../../io/digest.ts";
import { bundleSourceFromPath } from "../../io/node.ts";
import { reportDocument } from "../../report/dom.ts";
import { buildReport } from "../../report/registry.ts";
import { renderReport, type ReportSpec } from "../../report/report.ts";
import type { ParsedCommand } from "../args.ts";
import type { Command } from "../command.ts";
import { writeTextFile } from "../files.ts";
import { terminalProgress, toJson, type Streams } from "../output.ts";
import {
  analysisArgument,
  commandParams,
  parameterHelp,
  parameterOptions,
} from "./analysis-options.ts";

/** Run a notebook's analysis on `--bundle` with the command line's parameters; its report spec. */
export async function analysisReport(
  { positionals: [notebook], options }: ParsedCommand,
  { stderr }: Streams,
): Promise<{ spec: ReportSpec; sha256: string; dataset: string }> {
  const descriptor = analysisArgument(notebook);
  if (!options.bundle) throw new HiddenAtlasError("E_USAGE", `${notebook} needs --bundle DIR`);
  const bundle = await openBundle(await bundleSourceFromPath(options.bundle as string));
  const params = commandParams(descriptor, bundle, options);
  // Independent steps (a layer's diagrams, a layer's Mapper graph) in a pool of workers, one
  // per thread; a worker opens the bundle itself (lazily) before the first step that reads it.
  // Only when --threads N asks for it: on 2 idle cores the pool made the reports of a trained
  // ResNet-18 export 1.38-1.42x faster for twice the peak memory and 13-20 % more CPU (README,
  // "Reports on 1 and 2 threads"), so the default ("auto") uses the kernel threads alone.
  const threads = threadSetting() === "auto" ? 1 : await requestedThreads();
  const pool =
    threads > 1
      ? createStepPool({
          size: threads,
          start: createNodeClient,
          bundle: {
            value: bundle,
            open: { task: "bundle.open", args: { path: options.bundle as string } },
          },
        })
      : undefined;
  const runner = new AnalysisRunner({ pool });
  try {
    const result = await runner.run(
      descriptor,
      bundle,
      bundleKeyOf(bundle),
      descriptor.result,
      params,
      {},
      { onProgress: terminalProgress(stderr) },
    );
    const context = {
      sha256: bundle.sha256,
      date: options.date as string | undefined,
      document: reportDocument(),
    };
    const spec = buildReport(
      notebook as AnalysisName,
      bundle,
      result as never,
      params as never,
      context,
    );
    return { spec, sha256: bundle.sha256, dataset: bundle.name };
  } finally {
    runner.clear();
    pool?.terminate();
  }
}

export const reportCommand: Command = {
  spec: {
    name: "report",
    summary:
      "Run a notebook's analysis on a bundle and write its static report: one self-contained HTML file that opens offline.",
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
      out: {
        type: "string",
        placeholder: "FILE.html",
        description: "where to write the report (required)",
      },
      date: {
        type: "string",
        placeholder: "ISO-DATE",
        description: "date printed in the report (default: now)",
      },
      ...parameterOptions(),
    },
    get details() {
      return `Parameters (name, command-line spelling, range, default):\n\n${parameterHelp()}`;
    },
  },
  async run(parsed, streams) {
    analysisArgument(parsed.positionals[0]);
    if (!parsed.options.bundle) throw new HiddenAtlasError("E_USAGE", "report needs --bundle DIR");
    if (!parsed.options.out) throw new HiddenAtlasError("E_USAGE", "report needs --out FILE.html");
    const { spec, sha256, dataset } = await analysisReport(parsed, streams);
    await writeTextFile(parsed.options.out as string, renderReport(spec));
    streams.stdout.write(
      toJson({
        report: parsed.options.out,
        notebook: parsed.positionals[0],
        dataset,
        sha256,
        parameters: spec.parameters,
        seed: spec.seed,
      }) + "\n",
    );
  },
};
