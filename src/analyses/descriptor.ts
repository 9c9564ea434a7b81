/**
 * How an analysis describes itself, once: the question it answers and its paper, a parameter
 * table, and the named steps it runs with what each depends on.
 *
 * Everything above the analyses is generated from (or checked against) this description: the
 * worker's tasks, `hidden-atlas report` / `run` and their `--set` / `--kebab-case` options,
 * the notebooks' controls and URL state, the gallery. The report of each analysis lives in
 * src/report (it draws figures), registered against these descriptors with a compile-time
 * check that none is missing. The parameter table follows the spirit
 * of scikit-learn's `_parameter_constraints` and Observable Plot's option `defaults`: each
 * parameter is declared with its type, range, default, the reference implementation's default
 * where ours differs (and why), its unit, and its slider step; one resolver checks a value from
 * any source (URL, command line, notebook, API) with the same E_PARAM message.
 */
import { HiddenAtlasError } from "../core/errors.ts";
import { checkBoolean, checkInteger, checkKeyword, checkNumber } from "../core/params.ts";
import type { RunOptions } from "../core/progress.ts";
import type { Manifest } from "../io/manifest.ts";
import type { AnalysisBundle } from "./columns.ts";

/** A value that may be fixed or depend on the bundle (e.g. the default layer). */
export type ByBundle<T> = T | ((bundle: AnalysisBundle) => T);

interface ParamCommon<T> {
  /** Short human label: the control's label, the report's parameter row. */
  label: string;
  /** One sentence on what it does: the glossary tooltip and `--help` line. */
  doc: string;
  /** The default, or a rule on the bundle (then `defaultDoc` says it in words). */
  default: ByBundle<T>;
  /** The default in words when it depends on the bundle, e.g. "the last layer". */
  defaultDoc?: string;
  /** The reference implementation's default where ours differs, and why. */
  reference?: string;
  /** Unit of the value, e.g. "samples", "× automatic ε". */
  unit?: string;
  /**
   * "compute" (default) parameters change the analysis' results; "view" parameters only change
   * what is drawn (the layer shown, the colouring), so nothing is recomputed for them.
   */
  role?: "compute" | "view";
  /**
   * The name the parameter had before a rename: still read from URLs, `--set`, `--kebab` options
   * and the API, so old links and scripts keep working; always written under the current name.
   */
  formerly?: string;
}

export interface IntegerParam extends ParamCommon<number | "auto"> {
  type: "integer";
  min: number;
  max?: ByBundle<number>;
  /** The value may also be the keyword "auto" (resolved by the analysis). */
  auto?: boolean;
  /** Slider range, when narrower than the valid range; step. */
  control?: {
    min?: ByBundle<number>;
    max?: ByBundle<number>;
    step?: number;
    input?: "range" | "number" | "select";
    options?: readonly number[];
  };
}

export interface NumberParam extends ParamCommon<number | "auto"> {
  type: "number";
  min?: number;
  max?: number;
  exclusiveMin?: boolean;
  exclusiveMax?: boolean;
  auto?: boolean;
  control?: { min?: number; max?: number; step?: number; input?: "range" | "number" };
}

export interface KeywordParam extends ParamCommon<string> {
  type: "keyword";
  choices: readonly string[];
  /** The choices this bundle supports (default: all); others are refused with the reason. */
  available?: (bundle: AnalysisBundle) => readonly string[];
  /** Human labels of the choices. */
  labels?: Record<string, string>;
  control?: { input?: "select" | "radio" };
  /**
   * A preset: each choice's values for other parameters. A parameter a preset names takes the
   * preset's value in place of its default; a value given explicitly (API, `--set`, the URL, a
   * control) still wins. `resolveParams` applies this everywhere, and `presetDefaults` gives it
   * to the notebooks' controls.
   */
  presets?: Record<string, Record<string, unknown>>;
}

export interface BooleanParam extends ParamCommon<boolean> {
  type: "boolean";
}

/** One of the bundle's layers. */
export interface LayerParam extends ParamCommon<string> {
  type: "layer";
  /** Where the layers come from: the bundle's layers (default) or the checkpoints' traced layers. */
  from?: "layers" | "checkpoints";
  /** Names offered besides the bundle's layers (e.g. som-codes' "input", when the bundle has inputs). */
  extra?: (bundle: AnalysisBundle) => readonly string[];
}

/** Some of the bundle's layers, in order; empty means all. */
export interface LayersParam extends ParamCommon<readonly string[]> {
  type: "layers";
  from?: "layers" | "checkpoints";
}

/** A list of numbers, each in a range. */
export interface NumbersParam extends ParamCommon<readonly number[]> {
  type: "numbers";
  min?: number;
  max?: number;
  exclusiveMin?: boolean;
  exclusiveMax?: boolean;
}

/** Some of a fixed set of keywords, in order; empty means the default. */
export interface KeywordsParam extends ParamCommon<readonly string[]> {
  type: "keywords";
  choices: readonly string[];
  /** The choices this bundle supports (default: all). */
  available?: (bundle: AnalysisBundle) => readonly string[];
}

export type ParamSpec =
  | IntegerParam
  | NumberParam
  | KeywordParam
  | BooleanParam
  | LayerParam
  | LayersParam
  | NumbersParam
  | KeywordsParam;
export type ParamTable = Record<string, ParamSpec>;

/** The TypeScript type of a resolved parameter. */
export type ParamValue<S extends ParamSpec> = S extends IntegerParam | NumberParam
  ? S extends { auto: true }
    ? number | "auto"
    : number
  : S extends KeywordParam
    ? S["choices"][number]
    : S extends BooleanParam
      ? boolean
      : S extends LayerParam
        ? string
        : S extends LayersParam
          ? string[]
          : S extends KeywordsParam
            ? S["choices"][number][]
            : number[];

/** Every parameter of a table, resolved. */
export type Resolved<T extends ParamTable> = { -readonly [K in keyof T]: ParamValue<T[K]> };

/** Arguments of a step beyond the parameters, e.g. which layer (part of its cache key). */
export type StepArgs = Record<string, string | number>;

/** What a step's `run` receives. */
export interface StepContext<T extends ParamTable> {
  bundle: AnalysisBundle;
  params: Resolved<T>;
  args: StepArgs;
  /** The result of another step (computed once, cached by its declared inputs). */
  need<R = unknown>(step: string, args?: StepArgs): Promise<R>;
  /** Progress inside this step (its own units) and cancellation. */
  options: RunOptions;
  /** Another bundle a multi-bundle study names in its args (by the key it was kept under). */
  others(key: string): AnalysisBundle;
}

export interface StepSpec<T extends ParamTable> {
  /** What the step does, in plain words for the progress bar ("finding each input's neighbours"). */
  label: string;
  /** Parameters the step's result depends on (besides its args and the steps it needs). */
  uses: readonly (keyof T & string)[];
  /**
   * Steps it needs, with their args (default: none). The cache key of a step is its name, its
   * args, the values of `uses` and the keys of the steps it needs, so a step is recomputed
   * exactly when something it depends on changed.
   */
  needs?: (args: StepArgs, params: Resolved<T>, bundle: AnalysisBundle) => [string, StepArgs][];
  /**
   * Where the step works, in words, after its label in the progress bar ("persistence (conv1)"):
   * by default its string args (a layer's name). A step whose args name other bundles by their
   * keys (content hashes) says which bundles instead, by name.
   */
  where?: (args: StepArgs, others: (key: string) => AnalysisBundle) => string;
  /** Relative cost, for the run's overall progress (default 1). */
  weight?: number | ((args: StepArgs, params: Resolved<T>, bundle: AnalysisBundle) => number);
  /** Internal progress stages the step goes through (default 1), for a bar that never runs backwards. */
  stages?: number;
  /** How many results of this step a cache keeps (default 4); the least recently used goes. */
  keep?: number;
  /**
   * Whether a runner with a worker pool may run this step in another worker, beside the steps
   * it does not depend on (e.g. the same step on every layer):
   * - "needs": the step reads only its declared needs, parameters and args — never the bundle —
   *   and its value is plain data; the worker is sent the needs' values and returns the value.
   * - "whole": the worker computes the step and its needs from its own copy of the bundle (the
   *   same files, opened there) and returns the value, plain data; used only when the pool holds
   *   the bundle, else the step runs here.
   * Unset: the step always runs where the runner is.
   */
  parallel?: "needs" | "whole";
  /**
   * A cheap estimate of a pooled step's CPU cost (any unit, compared only between steps of one
   * run, e.g. the elements a layer's step reads and computes on): a pool with more steps than
   * free workers hands the costliest out first, so the largest layer does not start last and
   * set the pace alone. Unset: 0, first come first served among equals.
   */
  cost?: (args: StepArgs, params: Resolved<T>, bundle: AnalysisBundle) => number;
  run(context: StepContext<T>): Promise<unknown>;
}

/** The paper an analysis reproduces. */
export interface Paper {
  /** e.g. "Purvine et al., AAAI 2023" */
  citation: string;
  title: string;
  url?: string;
}

export interface AnalysisDescriptor<T extends ParamTable = ParamTable, R = unknown> {
  /** The notebook's file name, the CLI's NOTEBOOK argument, the worker's task prefix. */
  name: string;
  /** Title of the notebook and the report. */
  title: string;
  /** The question it answers, one sentence (gallery card, `--help`, report). */
  question: string;
  papers: Paper[];
  params: T;
  /**
   * Whether the analysis reads the checkpoints' layers (training dynamics). Unset: it does
   * not, and the command line opens them lazily (headers only; a pool's workers not at all),
   * which spares decoding them (a second of float16 widening on a ResNet-18 export's nine).
   */
  readsCheckpoints?: boolean;
  /**
   * Whether no step (nor the parameters' defaults) reads the bundle's inputs, only the report
   * (thumbnails), for a bundle with this manifest: the command line then reads them once the
   * steps are under way instead of before the first one. Unset: steps may read them.
   */
  inputsOnlyInReport?: (manifest: Manifest) => boolean;
  steps: Record<string, StepSpec<T>>;
  /** Checks between parameters, after each is valid on its own (scikit-learn's `_check_params_vs_input`). */
  check?: (params: Resolved<T>, bundle: AnalysisBundle) => void;
  /** The step whose result is the whole analysis (what `report` and `run` compute). */
  result: string;
  /** Phantom: the type of the result step's value (never set at run time). */
  readonly resultType?: R;
}

/** Any analysis, for code that handles them all by name (the worker, the CLI). */
export type SomeAnalysis = AnalysisDescriptor<ParamTable, unknown>;

/** Identity with type inference: `defineAnalysis({...})` keeps the literal parameter table. */
export function defineAnalysis<const T extends ParamTable, R>(
  descriptor: AnalysisDescriptor<T, R>,
): AnalysisDescriptor<T, R> {
  for (const name of Object.keys(descriptor.params)) {
    if (!/^[a-z][A-Za-z0-9]*$/.test(name))
      throw new Error(`parameter names are camelCase identifiers: ${name}`);
  }
  for (const [name, step] of Object.entries(descriptor.steps)) {
    for (const used of step.uses) {
      if (!Object.hasOwn(descriptor.params, used))
        throw new Error(`step ${descriptor.name}.${name} uses an undeclared parameter ${used}`);
    }
  }
  for (const [name, spec] of Object.entries(descriptor.params)) {
    if (spec.type !== "keyword" || !spec.presets) continue;
    for (const [choice, values] of Object.entries(spec.presets)) {
      if (!spec.choices.includes(choice))
        throw new Error(`${descriptor.name}.${name}: preset ${choice} is not one of its choices`);
      for (const param of Object.keys(values))
        if (!Object.hasOwn(descriptor.params, param) || param === name)
          throw new Error(
            `${descriptor.name}.${name}: preset ${choice} sets an undeclared parameter ${param}`,
          );
    }
  }
  if (!Object.hasOwn(descriptor.steps, descriptor.result))
    throw new Error(`${descriptor.name}: result step ${descriptor.result} is not declared`);
  return descriptor;
}

/** Whether any step of the analysis may run in a pool's worker (`parallel` set). */
export function hasParallelSteps(descriptor: SomeAnalysis): boolean {
  return Object.values(descriptor.steps).some((step) => step.parallel !== undefined);
}

/** The declared name for `name`: itself, or the parameter formerly called so; undefined if neither. */
export function currentName(params: ParamTable, name: string): string | undefined {
  if (Object.hasOwn(params, name)) return name;
  return Object.keys(params).find((p) => params[p].formerly === name);
}

/** `--kebab-case` spelling of a parameter on the command line. */
export function cliName(param: string): string {
  return param.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

const valueOf = <V>(v: ByBundle<V>, bundle: AnalysisBundle): V =>
  typeof v === "function" ? (v as (b: AnalysisBundle) => V)(bundle) : v;

/** Layer names a layer parameter chooses from. */
export function layerChoices(spec: LayerParam | LayersParam, bundle: AnalysisBundle): string[] {
  const extra = spec.type === "layer" ? (spec.extra?.(bundle) ?? []) : [];
  if (spec.from === "checkpoints")
    return [...extra, ...(bundle.checkpoints?.[0]?.layers.map((l) => l.name) ?? [])];
  return [...extra, ...bundle.layers.map((l) => l.name)];
}

/** The default of one parameter for this bundle. */
export function defaultOf(spec: ParamSpec, bundle: AnalysisBundle): unknown {
  const value = valueOf(spec.default as ByBundle<unknown>, bundle);
  return Array.isArray(value) ? [...value] : value;
}

/** Every parameter's default for this bundle. */
export function defaults<T extends ParamTable>(
  descriptor: AnalysisDescriptor<T, unknown>,
  bundle: AnalysisBundle,
): Resolved<T> {
  return Object.fromEntries(
    Object.entries(descriptor.params).map(([name, spec]) => [name, defaultOf(spec, bundle)]),
  ) as Resolved<T>;
}

/** The range a numeric parameter's control offers. */
export function controlRange(
  spec: IntegerParam | NumberParam,
  bundle: AnalysisBundle,
): { min: number; max: number; step: number } {
  const control = spec.control ?? {};
  const min = valueOf(control.min ?? spec.min ?? 0, bundle);
  const max = valueOf(control.max ?? spec.max ?? Infinity, bundle);
  return {
    min,
    max: Math.max(min, max),
    step: control.step ?? (spec.type === "integer" ? 1 : 0.01),
  };
}

function badValue(name: string, value: unknown, expected: string): HiddenAtlasError {
  const shown =
    typeof value === "string"
      ? JSON.stringify(value)
      : Array.isArray(value)
        ? `[${value.join(", ")}]`
        : String(value);
  return new HiddenAtlasError("E_PARAM", `invalid ${name}: ${shown} (expected ${expected})`, {
    parameter: name,
  });
}

/** Check one value (already typed) against its declaration and the bundle. */
export function checkParam(
  name: string,
  spec: ParamSpec,
  value: unknown,
  bundle: AnalysisBundle,
): unknown {
  switch (spec.type) {
    case "integer": {
      if (spec.auto && value === "auto") return value;
      const max = valueOf(spec.max ?? Infinity, bundle);
      if (max < spec.min)
        throw badValue(
          name,
          value,
          `an integer from ${spec.min}, but this bundle allows at most ${max}`,
        );
      return checkInteger(name, value, spec.min, max);
    }
    case "number":
      if (spec.auto && value === "auto") return value;
      return checkNumber(name, value, spec.min, spec.max, {
        exclusiveMin: spec.exclusiveMin,
        exclusiveMax: spec.exclusiveMax,
      });
    case "keyword": {
      const keyword = checkKeyword(name, value, spec.choices);
      const available = spec.available?.(bundle);
      if (available && !available.includes(keyword)) {
        throw badValue(
          name,
          value,
          `one of ${available.map((a) => JSON.stringify(a)).join(", ")} for ${JSON.stringify(bundle.name)}: ${spec.labels?.[keyword] ?? keyword} needs data this bundle does not have`,
        );
      }
      return keyword;
    }
    case "boolean":
      return checkBoolean(name, value);
    case "layer": {
      const layers = layerChoices(spec, bundle);
      if (typeof value !== "string" || !layers.includes(value))
        throw badValue(name, value, `one of ${layers.map((l) => JSON.stringify(l)).join(", ")}`);
      return value;
    }
    case "layers": {
      const layers = layerChoices(spec, bundle);
      if (!Array.isArray(value)) throw badValue(name, value, "a list of layer names");
      for (const layer of value)
        if (typeof layer !== "string" || !layers.includes(layer))
          throw badValue(
            name,
            layer,
            `layers among ${layers.map((l) => JSON.stringify(l)).join(", ")}`,
          );
      if (new Set(value).size !== value.length)
        throw badValue(name, value, "each layer at most once");
      return [...value];
    }
    case "keywords": {
      if (!Array.isArray(value)) throw badValue(name, value, "a list of keywords");
      const available = spec.available?.(bundle) ?? spec.choices;
      for (const v of value)
        if (typeof v !== "string" || !available.includes(v))
          throw badValue(name, v, `some of ${available.map((a) => JSON.stringify(a)).join(", ")}`);
      if (new Set(value).size !== value.length) throw badValue(name, value, "each at most once");
      return [...value];
    }
    case "numbers": {
      if (!Array.isArray(value)) throw badValue(name, value, "a list of numbers");
      value.forEach((v, i) =>
        checkNumber(`${name}[${i}]`, v, spec.min, spec.max, {
          exclusiveMin: spec.exclusiveMin,
          exclusiveMax: spec.exclusiveMax,
        }),
      );
      return [...value];
    }
  }
}

/** Parse a value written as text (URL query, `--set name=value`, `--name value`) by its declared type. */
export function parseParam(name: string, spec: ParamSpec, text: string): unknown {
  const trimmed = text.trim();
  switch (spec.type) {
    case "integer":
    case "number": {
      if (spec.auto && trimmed === "auto") return "auto";
      const n = trimmed === "" ? NaN : Number(trimmed);
      if (!Number.isFinite(n))
        throw badValue(name, text, spec.auto ? `a number or "auto"` : "a number");
      return n;
    }
    case "boolean":
      if (trimmed === "true") return true;
      if (trimmed === "false") return false;
      throw badValue(name, text, "true or false");
    case "layers":
    case "keywords":
      return trimmed === "" ? [] : trimmed.split(",").map((s) => s.trim());
    case "numbers":
      return trimmed === ""
        ? []
        : trimmed.split(",").map((s) => {
            const n = Number(s.trim());
            if (s.trim() === "" || !Number.isFinite(n))
              throw badValue(name, text, "comma-separated numbers");
            return n;
          });
    default:
      return text;
  }
}

/**
 * Fill in defaults and check every parameter. `given` holds typed values (the API, the
 * notebook) or, with `{text: true}`, strings to parse (URL, command line). Names not declared —
 * including inherited ones such as `__proto__` — are refused.
 */
export function resolveParams<T extends ParamTable>(
  descriptor: AnalysisDescriptor<T, unknown>,
  bundle: AnalysisBundle,
  given: Record<string, unknown> = {},
  { text = false }: { text?: boolean } = {},
): Resolved<T> {
  const known = Object.keys(descriptor.params);
  const renamed: Record<string, unknown> = Object.create(null);
  for (const name of Object.keys(given)) {
    const current = currentName(descriptor.params, name);
    if (current === undefined) {
      throw new HiddenAtlasError(
        "E_PARAM",
        `unknown parameter ${JSON.stringify(name)} for ${descriptor.name} (known: ${known.join(", ")})`,
        { parameter: name },
      );
    }
    if (Object.hasOwn(renamed, current))
      throw new HiddenAtlasError(
        "E_PARAM",
        `${current} is given twice (also as its former name ${descriptor.params[current].formerly})`,
        { parameter: current },
      );
    renamed[current] = given[name];
  }
  given = renamed;
  const resolved: Record<string, unknown> = Object.create(null);
  for (const [name, spec] of Object.entries(descriptor.params)) {
    const raw = Object.hasOwn(given, name) ? given[name] : undefined;
    if (raw === undefined) {
      resolved[name] = defaultOf(spec, bundle);
      continue;
    }
    const typed = text && typeof raw === "string" ? parseParam(name, spec, raw) : raw;
    // "All layers" is spelled as an empty list everywhere.
    resolved[name] = checkParam(name, spec, typed, bundle);
  }
  // Presets fill the parameters they name that were not given (a given value wins).
  for (const [name, value] of Object.entries(presetDefaults(descriptor, bundle, resolved))) {
    const raw = Object.hasOwn(given, name) ? given[name] : undefined;
    if (raw === undefined)
      resolved[name] = checkParam(name, descriptor.params[name], value, bundle);
  }
  const out = { ...resolved } as Resolved<T>;
  descriptor.check?.(out, bundle);
  return out;
}

/**
 * The values the chosen presets give other parameters (`chosen` holds the preset parameters'
 * values, others are ignored; an unset preset parameter takes its default): what a parameter not
 * given explicitly resolves to, and what a notebook control starts from.
 */
export function presetDefaults(
  descriptor: { params: ParamTable },
  bundle: AnalysisBundle,
  chosen: Record<string, unknown> = {},
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(descriptor.params)) {
    if (spec.type !== "keyword" || !spec.presets) continue;
    const choice =
      Object.hasOwn(chosen, name) && chosen[name] !== undefined
        ? chosen[name]
        : defaultOf(spec, bundle);
    const values = Object.hasOwn(spec.presets, String(choice)) ? spec.presets[String(choice)] : {};
    for (const [param, value] of Object.entries(values))
      out[param] = Array.isArray(value) ? [...value] : value;
  }
  return out;
}

/** Every parameter's default under the chosen presets (see `presetDefaults`). */
export function defaultsUnder(
  descriptor: AnalysisDescriptor<ParamTable, unknown>,
  bundle: AnalysisBundle,
  chosen: Record<string, unknown> = {},
): Record<string, unknown> {
  return { ...defaults(descriptor, bundle), ...presetDefaults(descriptor, bundle, chosen) };
}

/** The parameters a set of steps' results depend on, in declaration order. */
export function computeParams(descriptor: AnalysisDescriptor<ParamTable, unknown>): string[] {
  return Object.entries(descriptor.params)
    .filter(([, s]) => (s.role ?? "compute") === "compute")
    .map(([n]) => n);
}

/** The parameters as the report's table shows them (values only, no functions). */
export function parameterRows(
  descriptor: AnalysisDescriptor<ParamTable, unknown>,
  params: Record<string, unknown>,
): Record<string, string | number | boolean | null> {
  const rows: Record<string, string | number | boolean | null> = {};
  for (const name of Object.keys(descriptor.params)) {
    const v = params[name];
    rows[name] = Array.isArray(v)
      ? v.join(", ")
      : v === undefined
        ? null
        : (v as string | number | boolean);
  }
  return rows;
}

/** A parameter's `--help` line: name, CLI spelling, type, range, default, reference. */
export function describeParam(name: string, spec: ParamSpec): string {
  let range = "";
  if (spec.type === "integer" || spec.type === "number") {
    const max = typeof spec.max === "function" ? "(from the bundle)" : spec.max;
    const above = spec.type === "number" && spec.exclusiveMin ? ">" : "≥";
    const below = spec.type === "number" && spec.exclusiveMax ? "<" : "≤";
    range = `${spec.type}${spec.min !== undefined ? ` ${above} ${spec.min}` : ""}${max !== undefined ? `, ${below} ${max}` : ""}${spec.auto ? ', or "auto"' : ""}`;
  } else if (spec.type === "keyword") range = spec.choices.join("|");
  else if (spec.type === "layers") range = "layer names, comma-separated (empty: all)";
  else if (spec.type === "keywords") range = `some of ${spec.choices.join("|")}, comma-separated`;
  else if (spec.type === "numbers") range = "numbers, comma-separated";
  else range = spec.type;
  const fallback =
    typeof spec.default === "function"
      ? (spec.defaultDoc ?? "from the bundle")
      : Array.isArray(spec.default)
        ? spec.default.join(",") || "(all)"
        : String(spec.default);
  return `${name} (--${cliName(name)}${spec.formerly ? `, formerly --${cliName(spec.formerly)}` : ""}; ${range}; default ${fallback}${spec.unit ? `, ${spec.unit}` : ""}): ${spec.doc}${spec.reference ? ` Reference: ${spec.reference}` : ""}`;
}
