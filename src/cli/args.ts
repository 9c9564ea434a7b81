/**
 * Command-line parsing for `hidden-atlas`: each command declares its positionals and options
 * once (type, default, help); parsing, validation and `--help` all come from that table.
 * Syntax errors are E_USAGE (exit code 2).
 */
import { parseArgs } from "node:util";
import { HiddenAtlasError } from "../core/errors.ts";
import { MAX_THREADS, parseThreads } from "../core/thread-count.ts";

export type OptionType = "string" | "number" | "integer" | "boolean" | "list";

export interface OptionSpec {
  type: OptionType;
  description: string;
  default?: string | number | boolean;
  /** Allowed values for string options. */
  choices?: readonly string[];
  /** Value placeholder in help, e.g. "FILE". */
  placeholder?: string;
  /** Left out of the options list (documented in the details instead). */
  hidden?: boolean;
  /**
   * The option names an output path, checked before the command runs (main.ts). Options
   * named `out` or `out-…` are outputs without saying so: a folder when their placeholder is
   * "DIR", else a file.
   */
  output?: "file" | "directory";
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** Positional arguments, in order. */
  positionals: { name: string; description: string; optional?: boolean }[];
  options: Record<string, OptionSpec>;
  /** Extra help text (examples, output format). */
  details?: string;
}

export type ParsedOptions = Record<string, string | number | boolean | string[] | undefined>;

export interface ParsedCommand {
  positionals: string[];
  options: ParsedOptions;
}

function usageError(spec: CommandSpec, message: string): HiddenAtlasError {
  return new HiddenAtlasError(
    "E_USAGE",
    `${message}\nRun \`hidden-atlas ${spec.name} --help\` for usage.`,
  );
}

/** Parse argv (after the command name) against `spec`. */
export function parseCommand(spec: CommandSpec, argv: string[]): ParsedCommand {
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean }> = {};
  for (const [name, option] of Object.entries(spec.options)) {
    options[name] = {
      type: option.type === "boolean" ? "boolean" : "string",
      multiple: option.type === "list",
    };
  }
  // A negative number after an option that takes a value is that value (`--gamma -1`, also for
  // `run`'s analysis parameters, which are strings until the descriptor reads them), not an
  // option (options take two dashes): Node's parser calls it ambiguous, so it is joined as
  // `--gamma=-1`.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--") {
      args.push(...argv.slice(i));
      break;
    }
    const name = /^--([^=]+)$/.exec(argv[i])?.[1];
    const option =
      name !== undefined && Object.hasOwn(spec.options, name) ? spec.options[name] : undefined;
    if (
      option !== undefined &&
      option.type !== "boolean" &&
      i + 1 < argv.length &&
      /^-(\d|\.\d|Infinity$)/.test(argv[i + 1])
    ) {
      args.push(`${argv[i]}=${argv[++i]}`);
    } else args.push(argv[i]);
  }
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true, tokens: true });
  } catch (error) {
    throw usageError(
      spec,
      (error as Error).message.replace(/\. To specify a positional argument.*$/s, "."),
    );
  }
  // Node's parser takes `-k` for a one-letter option `--k`; options are spelled with two dashes.
  const short = parsed.tokens.find(
    (token) => token.kind === "option" && !token.rawName.startsWith("--"),
  );
  if (short?.kind === "option")
    throw usageError(
      spec,
      `unknown option ${short.rawName}: options take two dashes (--${short.name})`,
    );
  const required = spec.positionals.filter((p) => !p.optional).length;
  if (parsed.positionals.length < required) {
    throw usageError(spec, `missing ${spec.positionals[parsed.positionals.length].name}`);
  }
  if (parsed.positionals.length > spec.positionals.length) {
    throw usageError(
      spec,
      `unexpected argument ${JSON.stringify(parsed.positionals[spec.positionals.length])}`,
    );
  }
  const values: ParsedOptions = {};
  for (const [name, option] of Object.entries(spec.options)) {
    const raw = parsed.values[name] as string | boolean | string[] | undefined;
    if (raw === undefined) {
      values[name] = option.type === "list" ? [] : option.default;
      continue;
    }
    if (option.type === "number" || option.type === "integer") {
      const n = Number(raw);
      if (
        raw === "" ||
        !Number.isFinite(n) ||
        (option.type === "integer" && !Number.isInteger(n))
      ) {
        throw usageError(
          spec,
          `--${name} expects ${option.type === "integer" ? "an integer" : "a number"}, got ${JSON.stringify(raw)}`,
        );
      }
      // Past 2^53 a number no longer holds every integer: 9007199254740993 would be read as
      // 9007199254740992, a different value (a different seed) from the one typed.
      if (option.type === "integer" && !Number.isSafeInteger(n)) {
        throw usageError(
          spec,
          `--${name} expects an integer of at most 2^53 − 1 (9007199254740991) in size, got ${JSON.stringify(raw)}`,
        );
      }
      // Every seed is an integer ≥ 0 (checkSeed's rule), checked even where nothing is drawn at
      // random (PCA, ph without --subsample): a bad seed is refused, not ignored.
      if (name === "seed" && n < 0)
        throw usageError(spec, `--seed expects an integer ≥ 0, got ${JSON.stringify(raw)}`);
      values[name] = n;
    } else if (option.choices && !option.choices.includes(raw as string)) {
      throw usageError(
        spec,
        `--${name} must be one of ${option.choices.join(", ")}; got ${JSON.stringify(raw)}`,
      );
    } else {
      values[name] = raw;
    }
  }
  return { positionals: parsed.positionals, options: values };
}

/** The output paths given on the command line, with what each must be. */
export function outputOptions(
  spec: CommandSpec,
  parsed: ParsedCommand,
): { option: string; path: string; kind: "file" | "directory" }[] {
  const outputs: { option: string; path: string; kind: "file" | "directory" }[] = [];
  for (const [name, option] of Object.entries(spec.options)) {
    const kind =
      option.output ??
      (name === "out" || name.startsWith("out-")
        ? option.placeholder === "DIR"
          ? "directory"
          : "file"
        : undefined);
    const value = parsed.options[name];
    if (kind !== undefined && typeof value === "string" && value !== "")
      outputs.push({ option: name, path: value, kind });
  }
  return outputs;
}

/** The `--help` text of a command. */
/** The `--threads` option every command takes (read by main.ts before the command's own options). */
export const THREADS_HELP =
  "threads for the kernels and for independent analysis steps (default: auto, every core; 1 runs everything on this thread)";

/**
 * Take `--threads N` / `--threads=N` out of a command's arguments: the count (or "auto"), and
 * the other arguments. A missing or invalid value is E_USAGE.
 */
export function takeThreadsOption(args: string[]): {
  threads: number | "auto" | undefined;
  rest: string[];
} {
  const rest: string[] = [];
  let threads: number | "auto" | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    let text: string | undefined;
    if (arg === "--threads") {
      text = args[++i];
      if (text === undefined)
        throw new HiddenAtlasError(
          "E_USAGE",
          "--threads needs a value: a count of threads ≥ 1, or auto",
        );
    } else if (arg.startsWith("--threads=")) {
      text = arg.slice("--threads=".length);
    } else {
      rest.push(arg);
      continue;
    }
    if (text.trim() === "")
      throw new HiddenAtlasError(
        "E_USAGE",
        "--threads needs a value: a count of threads ≥ 1, or auto",
      );
    try {
      threads = parseThreads(text);
    } catch {
      throw new HiddenAtlasError(
        "E_USAGE",
        `invalid --threads: ${JSON.stringify(text)} (expected an integer from 1 to ${MAX_THREADS}, or auto)`,
      );
    }
  }
  return { threads, rest };
}

export function commandHelp(spec: CommandSpec): string {
  const positional = spec.positionals.map((p) => (p.optional ? `[${p.name}]` : p.name)).join(" ");
  const lines = [`hidden-atlas ${spec.name} ${positional} [options]`, "", spec.summary, ""];
  if (spec.positionals.length) {
    lines.push("Arguments:");
    for (const p of spec.positionals) lines.push(`  ${p.name.padEnd(24)} ${p.description}`);
    lines.push("");
  }
  lines.push("Options:");
  for (const [name, option] of Object.entries(spec.options)) {
    if (option.hidden) continue;
    const value =
      option.type === "boolean"
        ? ""
        : ` ${option.placeholder ?? (option.choices ? option.choices.join("|") : option.type === "list" ? "VALUE" : option.type.toUpperCase())}`;
    const flag = `--${name}${value}`;
    const fallback = option.default !== undefined ? ` (default: ${option.default})` : "";
    lines.push(`  ${flag.padEnd(24)} ${option.description}${fallback}`);
  }
  lines.push(`  ${"--threads N".padEnd(24)} ${THREADS_HELP}`);
  lines.push(`  ${"--help".padEnd(24)} show this help`);
  if (spec.details) lines.push("", spec.details.trim());
  return lines.join("\n") + "\n";
}
