/**
 * `hidden-atlas COMMAND INPUT [--option value ...]`. Exit codes: 0 success, 2 bad usage,
 * 1 any other HiddenAtlasError (its code and message on stderr). Results go to stdout;
 * progress and errors to stderr. Output paths (`--out…`) are checked before the command runs,
 * so a bad one fails at once; messages quoting data never reach the terminal with control
 * characters in them (output.ts).
 */
import { HiddenAtlasError } from "../core/errors.ts";
import { VERSION } from "../version.ts";
import { commandHelp, outputOptions, parseCommand } from "./args.ts";
import type { Command } from "./command.ts";
import { exampleCommand } from "./commands/example.ts";
import { infoCommand } from "./commands/info.ts";
import { knnCommand } from "./commands/knn.ts";
import { reportCommand } from "./commands/report.ts";
import { serveCommand } from "./commands/serve.ts";
import { somCommand } from "./commands/som.ts";
import { mapperCommand } from "./commands/mapper.ts";
import { phCommand } from "./commands/ph.ts";
import { diagramDistanceCommand } from "./commands/diagram-distance.ts";
import { ckaCommand } from "./commands/cka.ts";
import { embedCommand } from "./commands/embed.ts";
import { geodesicCommand } from "./commands/geodesic.ts";
import { mphateCommand } from "./commands/mphate.ts";
import { checkOutputPath } from "./files.ts";
import { terminalSafe, type Streams } from "./output.ts";

export const COMMANDS: Command[] = [infoCommand, knnCommand, geodesicCommand, embedCommand, phCommand, diagramDistanceCommand, ckaCommand, mapperCommand, somCommand, mphateCommand, exampleCommand, reportCommand, serveCommand];

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.spec.name.length)) + 2;
  return [
    `hidden-atlas ${VERSION}: see the shape of what a neural network has learned.`,
    "",
    "Usage: hidden-atlas COMMAND [INPUT] [--option value ...]",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.spec.name.padEnd(width)}${c.spec.summary}`),
    "",
    "Run `hidden-atlas COMMAND --help` for a command's options and defaults.",
    "",
  ].join("\n");
}

export async function main(argv: string[], streams: Streams = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    streams.stdout.write(overview());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-v") {
    streams.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.spec.name === name);
  if (!command) {
    streams.stderr.write(`hidden-atlas: unknown command ${JSON.stringify(name)}\n\n${overview()}`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    streams.stdout.write(commandHelp(command.spec));
    return 0;
  }
  try {
    const parsed = parseCommand(command.spec, rest);
    for (const { option, path, kind } of outputOptions(command.spec, parsed)) await checkOutputPath(path, kind, `--${option}`);
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
