/** What every `hidden-atlas` command provides. */
import type { CommandSpec, ParsedCommand } from "./args.ts";
import type { Streams } from "./output.ts";

export interface Command {
  spec: CommandSpec;
  run(parsed: ParsedCommand, streams: Streams): Promise<void>;
}

/** The output-format option shared by commands that print results. */
export const formatOption = {
  type: "string" as const,
  choices: ["json", "csv"] as const,
  default: "json",
  description: "how results are printed on stdout",
};
