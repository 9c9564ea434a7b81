/**
 * `hidden-atlas COMMAND INPUT [--option value ...]`. Exit codes: 0 success, 2 bad usage,
 * 1 any other HiddenAtlasError (its code and message on stderr). Results go to stdout;
 * progress and errors to stderr. Output paths (`--out…`) are checked before the command runs,
 * so a bad one fails at once; messages quoting data never reach the terminal with control
 * characters in them (output.ts).
 */
import { HiddenAtlasError } from "../core/errors.ts";
import { VERSION } from "../version.ts";
import {
  THREADS_HELP,
  commandHelp,
  outputOptions,
  parseCommand,
  takeThreadsOption,
} from "./args.ts";
import type { Command } from "./command.ts";
import { terminalSafe, type Streams } from "./output.ts";

/**
 * One row of the command table. Each command's module (and with it d3, jsdom, the analyses) is
 * imported only when that command runs, so `--help` and `--version` load none of them. The
 * summary repeats the command's `spec.summary` (test/package/cli.test.ts keeps them equal).
 */
export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
  /**
   * Work to start from the raw arguments while the command's modules load (`report` and `run`:
   * their pool workers, src/worker/prestart.ts); whatever it started and the command did not
   * take is ended when the command returns.
   */
  prestart?(args: string[]): Promise<() => void>;
}

/** `report`'s and `run`'s pool workers, started from the raw `--threads` before their modules load. */
async function prestartPool(args: string[]): Promise<() => void> {
  if (args.includes("--help") || args.includes("-h")) return () => {};
  // A bad --threads is reported once the command has loaded; nothing is started for it.
  const { threads, rest } = takeThreadsOption(args);
  const { prestartPool: start, stopPrestarted } = await import("../worker/prestart.ts");
  // The notebook, whose steps the workers import as they start (checked by the command).
  await start(threads, rest[0]?.startsWith("-") ? undefined : rest[0]);
  return stopPrestarted;
}

export const COMMANDS: CommandEntry[] = [
  {
    name: "info",
    summary:
      "Validate an activation bundle and describe it: task, samples, classes, layers and their shapes, split, checkpoints, hash.",
    load: async () => (await import("./commands/info.ts")).infoCommand,
  },
  {
    name: "knn",
    summary:
      "Exact k nearest neighbours of every row (the row itself excluded), nearest first; ties go to the lower row index.",
    load: async () => (await import("./commands/knn.ts")).knnCommand,
  },
  {
    name: "geodesic",
    summary:
      "Geodesic distances: shortest paths on the kNN graph symmetrised by union, Euclidean edge lengths (SciPy/Isomap's).",
    load: async () => (await import("./commands/geodesic.ts")).geodesicCommand,
  },
  {
    name: "embed",
    summary:
      "Embed the rows of a matrix in 2-D: PCA, metric MDS, Isomap, t-SNE, UMAP, PHATE or MDA (seeded, reference defaults).",
    load: async () => (await import("./commands/embed.ts")).embedCommand,
  },
  {
    name: "ph",
    summary:
      "Persistent homology of the Vietoris–Rips filtration (exact, Ripser's algorithm with edge collapse): one diagram per degree.",
    load: async () => (await import("./commands/ph.ts")).phCommand,
  },
  {
    name: "diagram-distance",
    summary:
      "Distance between two persistence diagrams (files in the `ph` output format): bottleneck, Wasserstein W_q, or sliced Wasserstein.",
    load: async () => (await import("./commands/diagram-distance.ts")).diagramDistanceCommand,
  },
  {
    name: "cka",
    summary:
      "Linear centred kernel alignment (Kornblith et al. 2019; debiased with --debiased) between two N × D matrices, or between every pair of a bundle's layers.",
    load: async () => (await import("./commands/cka.ts")).ckaCommand,
  },
  {
    name: "mapper",
    summary:
      "Build the Mapper graph of the rows of INPUT (lens, overlapping cover, DBSCAN in each interval, nerve); print nodes, links and lost rows.",
    load: async () => (await import("./commands/mapper.ts")).mapperCommand,
  },
  {
    name: "som",
    summary:
      "Fit a self-organising map (batch map by default) to the rows of INPUT; print QE, TE, BMUs, hits and the U-matrix.",
    load: async () => (await import("./commands/som.ts")).somCommand,
  },
  {
    name: "mphate",
    summary:
      "Multislice PHATE (Gigante et al. 2019) of hidden units over training: one 2-D point per (epoch, unit).",
    load: async () => (await import("./commands/mphate.ts")).mphateCommand,
  },
  {
    name: "example",
    summary:
      "Train one of the example networks (deterministically, from a seed) and write its activation bundle(s).",
    load: async () => (await import("./commands/example.ts")).exampleCommand,
  },
  {
    name: "run",
    summary:
      "Run a notebook's analysis on a bundle and print its result tables (the numbers its report shows) as JSON or CSV.",
    load: async () => (await import("./commands/run.ts")).runCommand,
    prestart: prestartPool,
  },
  {
    name: "report",
    summary:
      "Run a notebook's analysis on a bundle and write its static report: one self-contained HTML file that opens offline.",
    load: async () => (await import("./commands/report.ts")).reportCommand,
    prestart: prestartPool,
  },
  {
    name: "serve",
    summary: "Serve the built notebook site (run `npm run build` first) on 127.0.0.1.",
    load: async () => (await import("./commands/serve.ts")).serveCommand,
  },
];

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    `hidden-atlas ${VERSION}: see the shape of what a neural network has learned.`,
    "",
    "Usage: hidden-atlas COMMAND [INPUT] [--option value ...]",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    "",
    `Every command takes --threads N: ${THREADS_HELP}.`,
    "Run `hidden-atlas COMMAND --help` for a command's options and defaults.",
    "",
  ].join("\n");
}

export async function main(
  argv: string[],
  streams: Streams = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    if (name === undefined)
      streams.stderr.write(
        "hidden-atlas: E_USAGE: no command given. Usage: hidden-atlas COMMAND [INPUT] [--option value ...]\n",
      );
    streams.stdout.write(overview());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-v") {
    streams.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    // The name is shown quoted with control characters escaped (\x1b), as data is everywhere.
    streams.stderr.write(
      `hidden-atlas: E_USAGE: unknown command "${terminalSafe(name)}" (commands: ${COMMANDS.map((c) => c.name).join(", ")})\n\n${overview()}`,
    );
    return 2;
  }
  const prestarted = entry.prestart?.(rest).catch(() => () => {});
  try {
    return await runCommand(name, entry, rest, streams);
  } finally {
    (await prestarted)?.();
  }
}

async function runCommand(
  name: string,
  entry: CommandEntry,
  rest: string[],
  streams: Streams,
): Promise<number> {
  const command = await entry.load();
  if (rest.includes("--help") || rest.includes("-h")) {
    streams.stdout.write(commandHelp(command.spec));
    return 0;
  }
  try {
    const { threads, rest: args } = takeThreadsOption(rest);
    if (threads !== undefined) (await import("../core/threads.ts")).setThreads(threads);
    const parsed = parseCommand(command.spec, args);
    const outputs = outputOptions(command.spec, parsed);
    if (outputs.length) {
      const { checkOutputPath } = await import("./files.ts");
      for (const { option, path, kind } of outputs)
        await checkOutputPath(path, kind, `--${option}`);
    }
    await command.run(parsed, streams);
    return 0;
  } catch (error) {
    if (error instanceof HiddenAtlasError) {
      // Usage messages are ours (and span lines); any other may quote data: one line, escaped.
      const message = terminalSafe(error.message, { keepLines: error.code === "E_USAGE" });
      streams.stderr.write(`hidden-atlas ${name}: ${error.code}: ${message}\n`);
      return error.code === "E_USAGE" ? 2 : 1;
    }
    const text = terminalSafe((error as Error)?.stack ?? String(error), { keepLines: true });
    streams.stderr.write(`hidden-atlas ${name}: internal error: ${text}\n`);
    return 1;
  }
}
