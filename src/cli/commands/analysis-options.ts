/**
 * The parameters of `report` and `run`: `--set name=value` or `--kebab-name value`, for any
 * analysis, typed and checked by the analysis' descriptor (the same resolver as the notebooks'
 * URL state and the API).
 */
import type { AnalysisBundle } from "../../analyses/columns.ts";
import {
  cliName,
  currentName,
  describeParam,
  resolveParams,
  type ParamTable,
  type Resolved,
  type SomeAnalysis,
} from "../../analyses/descriptor.ts";
import { ANALYSES, ANALYSIS_NAMES } from "../../analyses/registry.ts";
import { HiddenAtlasError } from "../../core/errors.ts";
import type { OptionSpec, ParsedOptions } from "../args.ts";

const descriptors = () => Object.values(ANALYSES) as unknown as SomeAnalysis[];

/** One `--kebab-name` option per parameter name of any analysis (each checked against the chosen one). */
export function parameterOptions(): Record<string, OptionSpec> {
  const options: Record<string, OptionSpec> = {};
  for (const d of descriptors()) {
    for (const [name, spec] of Object.entries(d.params)) {
      for (const spelling of spec.formerly ? [name, spec.formerly] : [name])
        options[cliName(spelling)] ??= {
          type: "string",
          description: "an analysis parameter (see below)",
          hidden: true,
        };
    }
  }
  return options;
}

/** Every analysis with its question and parameters, for `--help`. */
export function parameterHelp(): string {
  return descriptors()
    .map((d) =>
      [
        `${d.name}: ${d.question}`,
        ...Object.entries(d.params).map(([name, spec]) => `  ${describeParam(name, spec)}`),
      ].join("\n"),
    )
    .join("\n\n");
}

/** The analysis named by the NOTEBOOK argument (a usage error otherwise). */
export function analysisArgument(name: string): SomeAnalysis {
  if (!Object.hasOwn(ANALYSES, name))
    throw new HiddenAtlasError(
      "E_USAGE",
      `unknown notebook ${JSON.stringify(name)} (known: ${ANALYSIS_NAMES.join(", ")})`,
    );
  return ANALYSES[name as keyof typeof ANALYSES] as unknown as SomeAnalysis;
}

/**
 * The parameters given on the command line, resolved for `bundle`. Unknown names are usage
 * errors; values out of range are the resolver's E_PARAM.
 */
export function commandParams(
  descriptor: SomeAnalysis,
  bundle: AnalysisBundle,
  options: ParsedOptions,
): Resolved<ParamTable> {
  const given: Record<string, string> = Object.create(null);
  const known = Object.keys(descriptor.params);
  for (const pair of (options.set as string[] | undefined) ?? []) {
    const eq = pair.indexOf("=");
    if (eq <= 0)
      throw new HiddenAtlasError(
        "E_USAGE",
        `--set expects name=value, got ${JSON.stringify(pair)}`,
      );
    const name = currentName(descriptor.params, pair.slice(0, eq));
    if (name === undefined) {
      throw new HiddenAtlasError(
        "E_USAGE",
        `unknown parameter ${JSON.stringify(pair.slice(0, eq))} for ${descriptor.name} (known: ${known.join(", ")})`,
      );
    }
    if (Object.hasOwn(given, name)) throw new HiddenAtlasError("E_USAGE", `${name} is given twice`);
    given[name] = pair.slice(eq + 1);
  }
  for (const name of Object.keys(parameterOptions())) {
    const value = options[name];
    if (value === undefined) continue;
    const param = known.find(
      (p) =>
        cliName(p) === name ||
        (descriptor.params[p].formerly !== undefined &&
          cliName(descriptor.params[p].formerly!) === name),
    );
    if (!param)
      throw new HiddenAtlasError(
        "E_USAGE",
        `--${name} is not a parameter of ${descriptor.name} (known: ${known.map((p) => `--${cliName(p)}`).join(", ")})`,
      );
    if (Object.hasOwn(given, param))
      throw new HiddenAtlasError("E_USAGE", `${param} is given twice (--set and --${name})`);
    given[param] = String(value);
  }
  return resolveParams(descriptor, bundle, given, { text: true });
}
