/**
 * Every command's every option at its documented boundaries and just outside, with values of
 * the wrong type and names that are JavaScript's own (`__proto__`, `constructor`), and the
 * option syntax itself abused. Valid values must give output that passes the command's
 * standard check; invalid ones a coded error naming the option. `report`/`run` parameters come
 * from the analyses' own parameter tables.
 */
import { join } from "node:path";
import { ANALYSES } from "../../../src/analyses/registry.ts";
import { cliName, type ParamSpec } from "../../../src/analyses/descriptor.ts";
import type { Case, Check, Prepared } from "../types.ts";
import { json } from "./common.ts";
import { N, standardCheck, writeInputs } from "./commands.ts";
import { tinyBundle } from "./bundles.ts";

/** Values that are never a number. */
const NOT_NUMBERS = ["abc", "", "NaN", "1e999", "__proto__"];
/** Numbers an integer option must refuse. */
const NOT_INTEGERS = ["1.5", "9007199254740993"];
const NOT_KEYWORDS = ["", "__proto__", "toString", "\u001b[2J"];

interface OptionTable {
  /** The command and its positionals. */
  base: string[];
  /** option → [valid values, invalid values, values either way]; null for a flag. */
  options: Record<string, [string[], string[], string[]?] | null>;
  /** Names a refusal may use for an option besides its own (e.g. the algorithm's camelCase). */
  aliases?: Record<string, string[]>;
}

/** Hexadecimal is read as JavaScript reads it (0x10 = 16): either way is right, if right. */
const integer = (
  valid: string[],
  invalid: string[],
  either: string[] = [],
): [string[], string[], string[]] => [
  valid,
  [...invalid, ...NOT_NUMBERS, ...NOT_INTEGERS],
  [...either, "0x2"],
];
const number = (
  valid: string[],
  invalid: string[],
  either: string[] = [],
): [string[], string[], string[]] => [valid, [...invalid, ...NOT_NUMBERS], either];
const keyword = (valid: string[]): [string[], string[]] => [valid, NOT_KEYWORDS];

const TABLES: Record<string, OptionTable> = {
  knn: {
    base: ["knn", "x.npy"],
    options: {
      k: integer(["1", "2", String(N - 1)], ["0", "-1", String(N), "257"]),
      metric: keyword(["euclidean", "cosine", "sqeuclidean"]),
      format: keyword(["json", "csv"]),
      "out-indices": [["i.npy"], ["no/such/dir/i.npy", ".", "/proc/i.npy", "/dev/null"]],
      "out-distances": [["d.npy"], ["no/such/dir/d.npy", "/proc/self/d.npy"]],
    },
  },
  geodesic: {
    base: ["geodesic", "x.npy"],
    options: {
      k: integer(["1", "5", String(N - 1)], ["0", "-3", String(N), "1000"]),
      sources: [
        ["0", "0,5,9", String(N - 1), "3,3"],
        ["-1", String(N), "a", "0,,1", "0x1", "1.5", "__proto__", "1e2"],
        [" 1 , 2 ", ""],
      ],
      format: keyword(["json", "csv"]),
      out: [["g.npy"], ["no/such/g.npy", "/proc/g.npy"]],
    },
  },
  embed: {
    base: ["embed", "x.npy", "--method", "pca"],
    options: {
      method: keyword(["pca", "mds", "isomap", "umap", "phate"]),
      components: integer(["1", "2", "4"], ["0", "-1", "1000"], ["5"]),
      seed: integer(["0", "4294967295", "9007199254740991"], ["-1", "9007199254740992"]),
      format: keyword(["json", "csv"]),
      out: [["e.npy"], ["no/such/e.npy", "/dev/full"]],
    },
    aliases: { components: ["nComponents"] },
  },
  "embed-umap": {
    base: ["embed", "x.npy", "--method", "umap"],
    options: {
      k: integer(["2", "15", String(N - 1)], ["0", "1", "-5", "100000"]),
      "min-dist": number(["0", "0.1", "0.99"], ["-0.1"], ["1", "5"]),
      components: integer(["1", "3"], ["0"]),
    },
    aliases: { k: ["nNeighbors"], "min-dist": ["minDist"], components: ["nComponents"] },
  },
  "embed-tsne": {
    base: ["embed", "x.npy", "--method", "tsne"],
    options: {
      perplexity: number(["1", "5", "29"], ["0", "-1", String(N), "1e9"], ["0.5"]),
    },
  },
  "embed-isomap": {
    base: ["embed", "x.npy", "--method", "isomap"],
    options: {
      k: integer(["1", "5", String(N - 1)], ["0", "-5", String(N)]),
    },
    aliases: { k: ["nNeighbors"] },
  },
  "embed-phate": {
    base: ["embed", "x.npy", "--method", "phate"],
    options: {
      // knn past n − 2 is clamped with a warning on stderr, as graphtools (the reference) does.
      knn: integer(["1", "5", String(N - 1)], ["0", "-2"], [String(N), String(N + 5)]),
      decay: number(["1", "40", "100"], ["-1"], ["0", "1e6"]),
      gamma: number(["-1", "0", "1"], ["-1.5", "2"]),
    },
  },
  "embed-mda": {
    base: ["embed", "x.npy", "--method", "mda", "--predictions", "p.npy"],
    options: {
      groups: [
        ["auto", "1", "3", String(N)],
        ["0", "-1", String(N + 1), "abc", "", "__proto__", "1.5", "NaN"],
        ["distinct"],
      ],
      targets: [["p.npy"], ["missing.npy", "x.csv"]],
      predictions: [
        ["p.npy", "lab.npy"],
        ["missing.npy", "t.npy"],
      ],
    },
  },
  ph: {
    base: ["ph", "x.npy"],
    options: {
      maxdim: integer(["0", "1", "2"], ["-1", "1000"], ["3"]),
      threshold: number(["0", "0.5", "1e30"], ["-1"]),
      input: keyword(["points"]),
      // Primes up to 251 are documented (the kernels keep coefficients in 8 bits); a larger prime is
      // refused naming the range, which is right too.
      coefficients: integer(
        ["2", "3", "251"],
        ["0", "1", "4", "-2", "65536", "4294967311"],
        ["7919", "65521"],
      ),
      subsample: integer(["1", "2", String(N)], ["0", "-1", String(N + 1)]),
      sampling: keyword(["random", "farthest"]),
      seed: integer(["0", "9007199254740991"], ["-1"]),
      "no-collapse": null,
      cycles: null,
      format: keyword(["json", "csv"]),
    },
  },
  "diagram-distance": {
    base: ["diagram-distance", "a.json", "b.json"],
    aliases: { dim: ["degree"] },
    options: {
      metric: keyword(["bottleneck", "wasserstein", "sliced"]),
      dim: integer(["0", "1"], ["-1"], ["2", "1000"]),
      q: number(["1", "2", "1e6"], ["0", "0.5", "-1"]),
      ground: [
        ["inf", "1", "2"],
        ["0", "0.5", "-1", "abc", "", "NaN", "__proto__", "Infinity"],
        ["1e308"],
      ],
      directions: integer(["1", "50", "1000"], ["0", "-1"]),
      // --infinite cap needs --cap (the death that replaces ∞): alone it is a usage error.
      infinite: [
        ["drop", "match"],
        ["cap", ...NOT_KEYWORDS],
      ],
      cap: number(["0", "1", "5"], [], ["-1"]),
    },
  },
  cka: {
    base: ["cka", "x.npy", "y.npy"],
    options: { debiased: null, format: keyword(["json", "csv"]) },
  },
  "cka-bundle": {
    base: ["cka", "bundle"],
    options: {
      layers: [
        ["h1", "h2", "c1"],
        ["nope", "", "__proto__", "constructor", "\u001b[2J"],
      ],
      vectorize: keyword(["flatten", "gap", "top-l2", "random"]),
      seed: integer(["0"], ["-1"]),
    },
  },
  mapper: {
    base: ["mapper", "x.npy", "--labels", "lab.npy"],
    options: {
      lens: [
        ["l2norm", "sum", "pca1", "pca2", "density", "column:lab.npy"],
        [
          "",
          "__proto__",
          "column:",
          "column:missing.npy",
          "column:t.npy",
          "column:../x.npy",
          "toString",
        ],
      ],
      intervals: integer(["1", "10", "1000"], ["0", "-1"], ["1001", "100000"]),
      overlap: number(["0", "0.5", "0.99"], ["-0.1", "1", "1.5"]),
      cover: keyword(["uniform", "balanced"]),
      clusterer: keyword(["dbscan", "single-linkage"]),
      eps: [["auto", "0.1", "1e6"], ["-1", "abc", "", "NaN", "__proto__", "Infinity"], ["0"]],
      "min-samples": integer(["1", "5", String(N)], ["0", "-1"], [String(N + 1)]),
      "min-intersection": integer(["1", "3"], ["0", "-1"], ["1000"]),
      labels: [["lab.npy"], ["missing.npy", "x.npy", "t.npy"]],
      format: keyword(["json", "csv"]),
    },
    aliases: { "min-samples": ["minSamples"], "min-intersection": ["minIntersection"] },
  },
  som: {
    base: ["som", "x.npy", "--epochs", "5"],
    options: {
      rows: integer(["1", "2", "30"], ["0", "-1"], ["1000"]),
      cols: integer(["1", "3"], ["0", "-2"]),
      topology: keyword(["rect", "hex"]),
      neighborhood: keyword(["gaussian", "bubble", "mexicanHat", "triangle"]),
      epochs: integer(["1", "5"], ["0", "-1"]),
      mode: keyword(["batch", "online"]),
      sigma: number(["0.5", "1", "50"], ["-1"], ["0"]),
      seed: integer(["0", "9007199254740991"], ["-1"]),
      init: keyword(["pca", "random"]),
      labels: [["lab.npy"], ["missing.npy", "x.npy"]],
      "out-weights": [["w.npy"], ["no/dir/w.npy"]],
      format: keyword(["json", "csv"]),
    },
  },
  mphate: {
    base: ["mphate", "t.npy"],
    options: {
      "intraslice-knn": integer(["1", "2", "7"], ["0", "-1"], ["8", "100"]),
      "interslice-knn": integer(["1", "4"], ["0", "-1"], ["5", "25"]),
      decay: number(["1", "5"], ["-1"], ["0"]),
      t: [["auto", "1", "10"], ["0", "-1", "1.5", "abc", "", "__proto__", "NaN"], ["100000"]],
      gamma: number(["-1", "0", "1"], ["-2", "1.5"]),
      // 2 landmarks cannot hold a 2-D classical MDS (m points span m − 1 dimensions): refused naming
      // nLandmark, or answered.
      "n-landmark": integer(["3", "10", "1000"], ["0", "1", "-1"], ["2"]),
      "epoch-stride": integer(["1", "2", "5"], ["0", "-1"], ["6"]),
      "no-normalize": null,
      seed: integer(["0"], ["-1"]),
      out: [["m.npy"], ["no/dir/m.npy"]],
      "out-labels": [["ml.npy"], ["no/dir/ml.npy"]],
      format: keyword(["json", "csv"]),
    },
    aliases: {
      "intraslice-knn": ["intrasliceKnn"],
      "interslice-knn": ["intersliceKnn"],
      "n-landmark": ["nLandmark"],
      "epoch-stride": ["epochStride"],
    },
  },
  info: {
    base: ["info", "bundle"],
    options: { "allow-non-finite": null, format: keyword(["json", "csv"]) },
  },
};

const camel = (kebab: string) => kebab.replace(/-([a-z])/g, (_, c) => c.toUpperCase());

function commandCase(
  id: string,
  argv: string[],
  expect: Prepared["expect"],
  names: string[],
): Case {
  return {
    id,
    family: "parameters",
    prepare: async (dir) => {
      const inputs = await writeInputs(dir);
      return {
        argv,
        expect,
        names: expect === "ok" ? undefined : names,
        check: standardCheck(argv, inputs),
        timeoutMs: 120_000,
      };
    },
  };
}

export function parameterCases(): Case[] {
  const cases: Case[] = [];
  for (const [table, { base, options, aliases }] of Object.entries(TABLES)) {
    for (const [name, values] of Object.entries(options)) {
      const names = [name, camel(name), ...(aliases?.[name] ?? [])];
      const pathValued = /^(labels|predictions|targets|lens|layers|out.*)$/.test(name);
      const id = (kind: string, value: string) =>
        `parameters/${table}/${name}/${kind}-${
          JSON.stringify(value)
            .slice(1, -1)
            .replace(/[^\w.,:-]/g, "_") || "empty"
        }`;
      if (values === null) {
        cases.push(
          commandCase(`parameters/${table}/${name}/flag`, [...base, `--${name}`], "ok", names),
        );
        cases.push(
          commandCase(
            `parameters/${table}/${name}/flag-with-value`,
            [...base, `--${name}=yes`],
            "error",
            names,
          ),
        );
        continue;
      }
      const [valid, invalid, either = []] = values;
      const seen = new Set<string>();
      const push = (kind: string, value: string, expect: Prepared["expect"]) => {
        const caseId = id(kind, value);
        if (seen.has(caseId)) return;
        seen.add(caseId);
        const named =
          pathValued && value.length > 2 ? [...names, value.replace(/^column:/, "")] : names;
        cases.push(
          commandCase(
            caseId,
            [
              ...base.filter((_, i) => !(base[i - 1] === `--${name}` || base[i] === `--${name}`)),
              `--${name}`,
              value,
            ],
            expect,
            named,
          ),
        );
      };
      for (const v of valid) push("valid", v, "ok");
      for (const v of invalid) push("invalid", v, "error");
      for (const v of either) push("either", v, "either");
    }
  }
  // The option syntax itself.
  const syntax: [string, string[], Prepared["expect"], string[]][] = [
    ["equals-form", ["knn", "x.npy", "--k=3"], "ok", []],
    ["value-missing", ["knn", "x.npy", "--k"], "error", ["--k", "k"]],
    ["repeated", ["knn", "x.npy", "--k", "2", "--k", "3"], "either", ["--k", "k"]],
    ["unknown-option", ["knn", "x.npy", "--kk", "3"], "error", ["--kk", "kk"]],
    ["proto-option", ["knn", "x.npy", "--__proto__", "3"], "error", ["__proto__"]],
    ["constructor-option", ["knn", "x.npy", "--constructor", "3"], "error", ["constructor"]],
    ["toString-option", ["knn", "x.npy", "--toString"], "error", ["toString"]],
    ["short-option", ["knn", "x.npy", "-k", "3"], "error", ["-k", "k"]],
    ["triple-dash", ["knn", "x.npy", "---k", "3"], "error", ["-k"]],
    ["extra-positional", ["knn", "x.npy", "y.npy"], "error", ["y.npy"]],
    ["double-dash-then-option", ["knn", "x.npy", "--", "--k", "3"], "error", ["--k", "unexpected"]],
    ["missing-input", ["knn"], "error", ["INPUT"]],
    ["missing-method", ["embed", "x.npy"], "error", ["method"]],
    ["unknown-command", ["knnn", "x.npy"], "error", ["knnn"]],
    ["proto-command", ["__proto__", "x.npy"], "error", ["__proto__"]],
    ["constructor-command", ["constructor"], "error", ["constructor"]],
    ["escape-command", ["\u001b[2J", "x.npy"], "error", ["\\x1b"]],
    ["help-anywhere", ["knn", "x.npy", "--k", "0", "--help"], "ok", []],
    ["version", ["--version"], "ok", []],
    ["no-command", [], "error", ["Usage"]],
    ["serve-port-negative", ["serve", "--port", "-1"], "error", ["port"]],
    ["serve-port-65536", ["serve", "--port", "65536"], "error", ["port"]],
    ["serve-port-text", ["serve", "--port", "http"], "error", ["port"]],
    [
      "serve-dir-missing",
      ["serve", "--port", "0", "--dir", "no-such-site"],
      "error",
      ["no-such-site"],
    ],
    ["serve-host-bogus", ["serve", "--port", "0", "--host", "256.1.1.1"], "error", ["256.1.1.1"]],
    [
      "serve-host-remote",
      ["serve", "--port", "0", "--host", "192.0.2.1", "--dir", "bundle"],
      "error",
      ["192.0.2.1"],
    ],
    ["example-unknown", ["example", "__proto__", "--out", "ex"], "error", ["__proto__"]],
    ["example-unknown-escape", ["example", "\u001b]0;x\u0007", "--out", "ex"], "error", ["\\x1b"]],
    [
      "example-epochs-zero",
      ["example", "digits-rotation", "--out", "ex", "--epochs", "0"],
      "error",
      ["epochs"],
    ],
    [
      "example-epochs-negative",
      ["example", "digits-rotation", "--out", "ex", "--epochs", "-1"],
      "error",
      ["epochs"],
    ],
    [
      "example-seed-negative",
      ["example", "digits-rotation", "--out", "ex", "--seed", "-1"],
      "error",
      ["seed"],
    ],
    ["example-out-missing", ["example", "digits-rotation"], "error", ["--out", "out"]],
    [
      "example-out-file",
      ["example", "digits-rotation", "--out", "x.npy", "--epochs", "1"],
      "error",
      ["x.npy"],
    ],
    ["example-one-epoch", ["example", "digits-rotation", "--out", "ex", "--epochs", "1"], "ok", []],
  ];
  for (const [name, argv, expect, names] of syntax) {
    const c = commandCase(`parameters/syntax/${name}`, argv, expect, names);
    const prepare = c.prepare;
    cases.push({
      ...c,
      prepare: async (dir) => ({ ...(await prepare(dir)), check: syntaxCheck(name) }),
    });
  }
  return [...cases, ...analysisParameterCases()];
}

function syntaxCheck(name: string): Check | undefined {
  if (name === "example-one-epoch")
    return ({ result }) =>
      json(result.stdout).bundles?.length === 1
        ? null
        : `example printed ${result.stdout.slice(0, 200)}`;
  if (name === "equals-form")
    return ({ result }) =>
      json(result.stdout).indices[0].length === 3 ? null : "--k=3 did not give 3 neighbours";
  if (name === "help-anywhere")
    return ({ result }) => (result.stdout.includes("hidden-atlas knn") ? null : "no help printed");
  if (name === "version")
    return ({ result }) => (/^\d+\.\d+\.\d+/.test(result.stdout) ? null : "no version printed");
  return undefined;
}

/** Parameters whose largest valid value would make a run minutes long: only their minimum runs. */
const SLOW_AT_MAX = new Set([
  "rows",
  "cols",
  "epochs",
  "intervals",
  "ariSeeds",
  "iterations",
  "maxPoints",
  "samples",
  "components",
  "k",
  "nNeighbors",
  "isomapNeighbors",
  "perplexity",
  "epsilons",
]);

/**
 * Parameters bounded by another one: a limit value comes with the other parameter set so the
 * pair agrees (layer topology compares diagrams of degree distanceDim ≤ maxdim), else the
 * coded refusal of the pair would be counted as a valid value refused.
 */
const COMPANIONS: Record<string, Record<string, (value: number) => string[]>> = {
  "layer-topology": {
    maxdim: (v) => (v < 1 ? ["--distance-dim", String(v)] : []),
    distanceDim: (v) => (v > 1 ? ["--maxdim", String(v)] : []),
  },
};

/** `run NOTEBOOK --bundle tiny --name value` at each parameter's limits and past them. */
function analysisParameterCases(): Case[] {
  const cases: Case[] = [];
  for (const [notebook, descriptor] of Object.entries(ANALYSES)) {
    for (const [name, spec] of Object.entries(descriptor.params as Record<string, ParamSpec>)) {
      const flag = `--${cliName(name)}`;
      const values: [string, string, Prepared["expect"]][] = [];
      const add = (kind: string, value: string, expect: Prepared["expect"]) =>
        values.push([kind, value, expect]);
      switch (spec.type) {
        case "integer":
        case "number": {
          const min = spec.min ?? undefined;
          const max = typeof spec.max === "number" ? spec.max : undefined;
          if (min !== undefined) {
            add("min", String(min), spec.type === "number" && spec.exclusiveMin ? "error" : "ok");
            add("below-min", String(spec.type === "integer" ? min - 1 : min - 0.5), "error");
          }
          if (max !== undefined) {
            if (!SLOW_AT_MAX.has(name))
              add("max", String(max), spec.type === "number" && spec.exclusiveMax ? "error" : "ok");
            add("above-max", String(spec.type === "integer" ? max + 1 : max + 0.5), "error");
          }
          add("not-a-number", "abc", "error");
          if (spec.type === "integer") add("fraction", String((min ?? 0) + 1.5), "error");
          break;
        }
        case "keyword":
          add("proto", "__proto__", "error");
          add("empty", "", "error");
          add("last-choice", spec.choices[spec.choices.length - 1], "either");
          break;
        case "keywords":
          add("proto", "__proto__", "error");
          add("duplicate", `${spec.choices[0]},${spec.choices[0]}`, "error");
          add("first-only", spec.choices[0], "either");
          break;
        case "boolean":
          add("false", "false", "ok");
          add("yes", "yes", "error");
          break;
        case "layer":
          add("unknown", "nope", "error");
          add("proto", "__proto__", "error");
          add("hostile", "<img src=x onerror=alert(1)>", "error");
          break;
        case "layers":
          add("unknown", "h1,nope", "error");
          add("duplicate", "h1,h1", "error");
          add("proto", "constructor", "error");
          break;
        case "numbers":
          add("not-numbers", "0.1,x", "error");
          add(
            "below-min",
            String((spec.min ?? 0) - 1),
            spec.min === undefined ? "either" : "error",
          );
          add("empty", "", "either");
          break;
      }
      for (const [kind, value, expect] of values) {
        cases.push({
          id: `parameters/run-${notebook}/${name}/${kind}`,
          family: "parameters",
          prepare: async (dir) => {
            await tinyBundle(join(dir, "tiny"), {
              checkpoints: notebook === "mphate",
              task: notebook === "mda" ? "regression" : "classification",
            });
            const companion =
              expect === "ok" && COMPANIONS[notebook]?.[name]
                ? COMPANIONS[notebook][name](Number(value))
                : [];
            return {
              argv: ["run", notebook, "--bundle", "tiny", flag, value, ...companion],
              expect,
              names: [name, flag],
              check: runTablesCheck,
              timeoutMs: 240_000,
            };
          },
        });
      }
    }
  }
  // The --set form and names that are JavaScript's own.
  for (const [kind, argv, expect, names] of [
    ["set-proto", ["--set", "__proto__=1"], "error", ["__proto__"]],
    ["set-constructor", ["--set", "constructor=1"], "error", ["constructor"]],
    ["set-toString", ["--set", "toString=x"], "error", ["toString"]],
    ["set-no-equals", ["--set", "k"], "error", ["k"]],
    ["set-empty-name", ["--set", "=3"], "error", ["=3"]],
    ["set-and-flag-twice", ["--set", "k=3", "--k", "4"], "error", ["k"]],
    ["set-foreign-parameter", ["--set", "perplexity=5"], "error", ["perplexity"]],
    ["flag-foreign-parameter", ["--perplexity", "5"], "error", ["perplexity"]],
    ["unknown-notebook", [], "error", ["nope"]],
  ] as [string, string[], Prepared["expect"], string[]][]) {
    cases.push({
      id: `parameters/run-explore/${kind}`,
      family: "parameters",
      prepare: async (dir) => {
        await tinyBundle(join(dir, "tiny"));
        return {
          argv: [
            "run",
            kind === "unknown-notebook" ? "nope" : "explore",
            "--bundle",
            "tiny",
            ...argv,
          ],
          expect,
          names,
          check: runTablesCheck,
          timeoutMs: 240_000,
        };
      },
    });
  }
  return cases;
}

/**
 * A `run` result: tables of cells (none for a report that shows its numbers only in text), no
 * NaN, undefined or object text in any cell.
 */
export const runTablesCheck: Check = ({ result }) => {
  const out = json(result.stdout);
  if (!Array.isArray(out.tables)) return "no tables";
  for (const table of out.tables) {
    for (const row of table.rows) {
      if (row.length !== table.columns.length)
        return `table ${JSON.stringify(table.title)}: a row of ${row.length} cells under ${table.columns.length} columns`;
      for (const cell of row)
        if (typeof cell === "string" && /\bNaN\b|undefined|\[object /.test(cell))
          return `table ${JSON.stringify(table.title)}: cell ${JSON.stringify(cell)}`;
    }
  }
  return null;
};
