/**
 * Bundle folders whose manifest.json (or the files it names) a stranger got wrong or made
 * hostile, read by `hidden-atlas info DIR`: every field missing, mistyped, out of range or
 * lying about its file; paths leading out of the bundle; names carrying markup and escapes;
 * nesting and sizes meant to exhaust the reader. A refusal must name the field or file.
 */
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeBundle } from "../../../src/io/node.ts";
import { gaussian, npyArray, npyOf, write } from "../data.ts";
import type { Case, Check, Prepared } from "../types.ts";
import { bundleInput } from "./readers-zip.ts";
import { infoLayers } from "./common.ts";
import { mkfifoSync } from "./fifo.ts";

const N = 12;
type Manifest = Record<string, any>;

/** A case editing the manifest (and maybe the folder) of a freshly written bundle. */
function manifestCase(
  id: string,
  edit: (m: Manifest, dir: string) => Manifest | string | void,
  expect: Prepared["expect"],
  extra: Partial<Prepared> & { names?: string[] } = {},
): Case {
  return {
    id: `readers/manifest/${id}`,
    family: "readers",
    prepare: async (root) => {
      const dir = join(root, "b");
      await writeBundle(bundleInput("b"), dir);
      const path = join(dir, "manifest.json");
      const manifest = JSON.parse(readFileSync(path, "utf8"));
      const edited = edit(manifest, dir);
      if (typeof edited === "string") writeFileSync(path, edited);
      else if (edited !== null) writeFileSync(path, JSON.stringify(edited ?? manifest));
      const written = typeof edited === "string" ? null : (edited ?? manifest);
      const check: Check | undefined =
        written && Array.isArray(written.layers)
          ? infoLayers(
              written.layers.map((l: Manifest) => ({ name: l.name, shape: l.shape })),
              written.samples,
            )
          : undefined;
      return { argv: ["info", "b"], expect, check, ...extra };
    },
  };
}

const HOSTILE = [
  "<img src=x onerror=alert(1)>",
  "\u001b]0;owned\u0007\u001b[2J",
  "\u009b31m",
  "</script><script>alert(1)</script>",
  "\u202eevil",
  "${constructor.constructor('return process')()}",
];

export function manifestCases(): Case[] {
  const drop = (field: string) => (m: Manifest) => {
    delete m[field];
  };
  const set = (field: string, value: unknown) => (m: Manifest) => {
    m[field] = value;
  };
  const layer = (change: (l: Manifest) => void) => (m: Manifest) => {
    change(m.layers[0]);
  };
  /**
   * A column file (labels.npy, split.npy) holding `values` (one row each), after `change` to
   * the manifest: `info` must refuse it, naming the column.
   */
  const badColumn = (
    id: string,
    column: string,
    values: Parameters<typeof npyArray>[1],
    options: { dtype?: Parameters<typeof npyArray>[2]; change?: (m: Manifest) => void } = {},
  ) =>
    manifestCase(
      id,
      (m, dir) => {
        options.change?.(m);
        write(dir, `${column}.npy`, npyArray([values.length], values, options.dtype));
      },
      "error",
      { names: [column] },
    );
  const cases: Case[] = [
    manifestCase("intact", () => {}, "ok"),
    manifestCase("not-json", () => '{"format": "hidden-atlas/1",', "error", {
      codes: ["E_MANIFEST"],
      names: ["manifest.json"],
    }),
    manifestCase("empty", () => "", "error", { codes: ["E_MANIFEST"], names: ["manifest.json"] }),
    manifestCase("byte-order-mark", (m) => "\ufeff" + JSON.stringify(m), "either"),
    manifestCase("array", () => "[]", "error", { codes: ["E_MANIFEST"] }),
    manifestCase("null", () => "null", "error", { codes: ["E_MANIFEST"] }),
    manifestCase(
      "nan-literal",
      (m) => JSON.stringify(m).replace(`"samples":${N}`, `"samples":NaN`),
      "error",
      { codes: ["E_MANIFEST"] },
    ),
    manifestCase(
      "duplicate-keys",
      (m) => JSON.stringify(m).replace(`"samples":${N}`, `"samples":${N},"samples":13`),
      "error",
    ),
    manifestCase(
      "proto-key",
      (m) =>
        JSON.stringify(m).replace(`"samples":${N}`, `"samples":${N},"__proto__":{"samples":99}`),
      "either",
    ),
    manifestCase(
      "nested-100000",
      (m) =>
        JSON.stringify(m).slice(0, -1) +
        `,"meta":{"x":${"[".repeat(100_000)}${"]".repeat(100_000)}}}`,
      "error",
      { codes: ["E_MANIFEST"], names: ["meta"] },
    ),
    manifestCase(
      "model-spec-nested",
      (m) =>
        JSON.stringify(m).slice(0, -1) +
        `,"model":{"spec":${'{"a":'.repeat(5000)}1${"}".repeat(5000)},"parameters":"labels.npy"}}`,
      "error",
      { codes: ["E_MANIFEST"] },
    ),
    manifestCase(
      "20MB-meta",
      (m) => JSON.stringify({ ...m, meta: { blob: "x".repeat(20 << 20) } }),
      "either",
    ),
    manifestCase("unknown-field", set("extra", 1), "error", {
      codes: ["E_MANIFEST"],
      names: ["extra"],
    }),
  ];
  for (const field of ["format", "name", "task", "samples", "layers"]) {
    cases.push(
      manifestCase(`missing-${field}`, drop(field), "error", {
        codes: ["E_MANIFEST"],
        names: [field],
      }),
    );
  }
  const wrong: [string, string, unknown, Prepared["expect"], string[]?][] = [
    ["format-v2", "format", "hidden-atlas/2", "error"],
    ["format-number", "format", 1, "error"],
    ["name-empty", "name", "", "error"],
    ["name-object", "name", { a: 1 }, "error"],
    ["name-huge", "name", "n".repeat(1 << 20), "either"],
    ["task-other", "task", "segmentation", "error"],
    ["samples-zero", "samples", 0, "error"],
    ["samples-negative", "samples", -12, "error"],
    ["samples-fraction", "samples", 12.5, "error"],
    ["samples-string", "samples", "12", "error"],
    ["samples-2^53", "samples", 2 ** 53, "error"],
    ["samples-more-than-rows", "samples", 13, "error", ["E_SHAPE_MISMATCH", "E_MANIFEST"]],
    ["layers-empty", "layers", [], "error"],
    ["layers-object", "layers", { name: "h1" }, "error"],
    ["classNames-empty", "classNames", [], "error"],
    ["classNames-numbers", "classNames", [0, 1, 2], "error"],
    ["classNames-duplicate", "classNames", ["a", "a", "b"], "error"],
    ["classNames-too-few", "classNames", ["a", "b"], "error"],
    [
      "classNames-100000",
      "classNames",
      Array.from({ length: 100_000 }, (_, i) => `c${i}`),
      "either",
    ],
    ["classNames-hostile", "classNames", HOSTILE.slice(0, 3), "ok"],
    ["labels-not-a-file", "labels", "nothing.npy", "error", ["E_MISSING_FILE"]],
    ["labels-traversal", "labels", "../labels.npy", "error"],
    ["labels-absolute", "labels", "/etc/passwd", "error"],
    ["labels-backslash", "labels", "a\\labels.npy", "error"],
    ["labels-drive", "labels", "C:labels.npy", "error"],
    ["labels-dot", "labels", "./labels.npy", "error"],
    ["labels-empty-segment", "labels", "a//labels.npy", "error"],
    ["labels-number", "labels", 3, "error"],
    ["labels-manifest-itself", "labels", "manifest.json", "error"],
    ["labels-is-a-layer-file", "labels", "layers/h1.npy", "error"],
    ["split-is-labels", "split", "labels.npy", "error"],
    ["inputs-is-labels", "inputs", "labels.npy", "either"],
    ["trace-without-checkpoints", "trace", "labels.npy", "error"],
    ["checkpoints-not-array", "checkpoints", {}, "error"],
    ["checkpoints-empty", "checkpoints", [], "either"],
    [
      "checkpoint-epoch-negative",
      "checkpoints",
      [{ epoch: -1, layers: [{ name: "h1", file: "layers/h1.npy", shape: [N, 3] }] }],
      "error",
    ],
    [
      "checkpoint-epoch-string",
      "checkpoints",
      [{ epoch: "1", layers: [{ name: "h1", file: "layers/h1.npy", shape: [N, 3] }] }],
      "error",
    ],
    [
      "checkpoint-epochs-duplicate",
      "checkpoints",
      [1, 1].map((epoch) => ({
        epoch,
        layers: [{ name: "h1", file: "layers/h1.npy", shape: [N, 3] }],
      })),
      "error",
    ],
    [
      "checkpoint-layer-unknown",
      "checkpoints",
      [{ epoch: 1, layers: [{ name: "zz", file: "layers/h1.npy", shape: [N, 3] }] }],
      "either",
    ],
    [
      "checkpoint-shape-lies",
      "checkpoints",
      [{ epoch: 1, layers: [{ name: "h1", file: "layers/h1.npy", shape: [N, 4] }] }],
      "error",
    ],
    ["model-garbage", "model", { spec: { layers: "x" }, parameters: "labels.npy" }, "either"],
    ["model-not-object", "model", "net", "error"],
    ["meta-array", "meta", [1, 2], "error"],
    [
      "meta-hostile",
      "meta",
      Object.fromEntries(HOSTILE.map((h, i) => [h, HOSTILE[(i + 1) % HOSTILE.length]])),
      "ok",
    ],
  ];
  for (const [id, field, value, expect, codes] of wrong) {
    cases.push(
      manifestCase(id, set(field, value), expect, {
        codes,
        names: expect === "error" ? [field] : undefined,
      }),
    );
  }
  const layerEdits: [string, (l: Manifest) => void, Prepared["expect"], string[]?][] = [
    [
      "layer-shape-lies-rows",
      (l) => (l.shape = [N, 4]),
      "error",
      ["E_SHAPE_MISMATCH", "E_MANIFEST"],
    ],
    [
      "layer-shape-lies-columns",
      (l) => (l.shape = [N, 30]),
      "error",
      ["E_SHAPE_MISMATCH", "E_MANIFEST"],
    ],
    ["layer-shape-huge", (l) => (l.shape = [N, 1e15]), "error"],
    ["layer-shape-negative", (l) => (l.shape = [N, -3]), "error"],
    ["layer-shape-empty", (l) => (l.shape = []), "error"],
    ["layer-shape-string", (l) => (l.shape = "12x3"), "error"],
    ["layer-kind-conv-on-2d", (l) => (l.kind = "conv"), "error"],
    ["layer-kind-other", (l) => (l.kind = "attention"), "error"],
    ["layer-name-empty", (l) => (l.name = ""), "error"],
    ["layer-name-hostile", (l) => (l.name = HOSTILE[0] + HOSTILE[1]), "ok"],
    ["layer-name-proto", (l) => (l.name = "__proto__"), "ok"],
    ["layer-file-missing", (l) => (l.file = "layers/none.npy"), "error", ["E_MISSING_FILE"]],
    ["layer-file-traversal", (l) => (l.file = "../b/layers/h1.npy"), "error"],
    ["layer-file-manifest", (l) => (l.file = "manifest.json"), "error"],
    ["layer-file-labels", (l) => (l.file = "labels.npy"), "error"],
    ["layer-extra-field", (l) => (l.dtype = "f4"), "error"],
  ];
  for (const [id, change, expect, codes] of layerEdits) {
    cases.push(
      manifestCase(id, layer(change), expect, {
        codes,
        names: expect === "error" ? ["layers[0]", "h1", "b/"] : undefined,
      }),
    );
  }
  cases.push(
    manifestCase(
      "two-layers-same-name",
      (m) => {
        m.layers[1].name = m.layers[0].name;
      },
      "error",
      { names: ["layers[1].name"] },
    ),
    manifestCase(
      "two-layers-same-file",
      (m) => {
        m.layers[1].file = m.layers[0].file;
        m.layers[1].shape = m.layers[0].shape;
      },
      "either",
    ),
    manifestCase(
      "1000-layers",
      (m, dir) => {
        for (let i = 0; i < 1000; i++) write(dir, `layers/x${i}.npy`, npyOf(gaussian(N, 1, i)));
        m.layers.push(
          ...Array.from({ length: 1000 }, (_, i) => ({
            name: `x${i}`,
            file: `layers/x${i}.npy`,
            shape: [N, 1],
          })),
        );
      },
      "ok",
    ),
    badColumn(
      "labels-float",
      "labels",
      Float32Array.from({ length: N }, (_, i) => i / 3),
    ),
    badColumn(
      "labels-nan",
      "labels",
      Float32Array.from({ length: N }, (_, i) => (i === 2 ? NaN : 0)),
    ),
    badColumn(
      "labels-beyond-classNames",
      "labels",
      Int32Array.from({ length: N }, (_, i) => (i === 5 ? 7 : i % 3)),
    ),
    badColumn(
      "labels-10^7-no-classNames",
      "labels",
      Int32Array.from({ length: N }, (_, i) => (i === 5 ? 10_000_000 : i % 3)),
      { change: drop("classNames") },
    ),
    badColumn(
      "labels-int64-huge",
      "labels",
      Float64Array.from({ length: N }, (_, i) => (i === 1 ? 2 ** 40 : 0)),
      { dtype: "<i8" },
    ),
    badColumn("labels-one-row-short", "labels", new Int32Array(N - 1)),
    badColumn("split-values-2", "split", new Uint8Array(N).fill(2)),
    badColumn("split-float", "split", new Float32Array(N).fill(0.5)),
    manifestCase(
      "layer-nan",
      (m, dir) =>
        void write(
          dir,
          "layers/h1.npy",
          npyOf({
            ...gaussian(N, 3, 3),
            data: gaussian(N, 3, 3).data.map((v, i) => (i === 4 ? NaN : v)),
          }),
        ),
      "error",
      { codes: ["E_NON_FINITE"], names: ["h1"] },
    ),
    manifestCase(
      "layer-file-truncated",
      (m, dir) => void write(dir, "layers/h1.npy", npyOf(gaussian(N, 3, 3)).slice(0, 100)),
      "error",
      { names: ["h1"] },
    ),
    manifestCase(
      "layer-file-is-folder",
      (m, dir) => {
        rmSync(join(dir, "layers/h1.npy"));
        mkdirSync(join(dir, "layers/h1.npy"));
      },
      "error",
      { names: ["h1"] },
    ),
    manifestCase(
      "layer-file-fifo",
      (m, dir) => {
        rmSync(join(dir, "layers/h1.npy"));
        mkfifoSync(join(dir, "layers/h1.npy"));
      },
      "error",
      { names: ["h1"], timeoutMs: 30_000 },
    ),
    manifestCase(
      "layer-link-outside",
      (m, dir) => {
        rmSync(join(dir, "layers/h1.npy"));
        writeFileSync(join(dir, "..", "outside.npy"), npyOf(gaussian(N, 3, 3)));
        symlinkSync(join(dir, "..", "outside.npy"), join(dir, "layers/h1.npy"));
      },
      "error",
      { codes: ["E_IO"], names: ["h1"] },
    ),
    manifestCase(
      "layer-link-to-dev-zero",
      (m, dir) => {
        rmSync(join(dir, "layers/h1.npy"));
        symlinkSync("/dev/zero", join(dir, "layers/h1.npy"));
      },
      "error",
      { names: ["h1"], timeoutMs: 30_000 },
    ),
    manifestCase(
      "layer-link-inside",
      (m, dir) => {
        rmSync(join(dir, "layers/h1.npy"));
        writeFileSync(join(dir, "real-h1.npy"), npyOf(gaussian(N, 3, 31)));
        symlinkSync("../real-h1.npy", join(dir, "layers/h1.npy"));
      },
      "ok",
    ),
    manifestCase(
      "manifest-link-outside",
      (m, dir) => {
        writeFileSync(join(dir, "..", "elsewhere.json"), JSON.stringify(m));
        rmSync(join(dir, "manifest.json"));
        symlinkSync(join(dir, "..", "elsewhere.json"), join(dir, "manifest.json"));
        return null as unknown as void;
      },
      "error",
      { codes: ["E_IO", "E_MANIFEST"] },
    ),
    manifestCase(
      "manifest-is-folder",
      (m, dir) => {
        rmSync(join(dir, "manifest.json"));
        mkdirSync(join(dir, "manifest.json"));
        return null as unknown as void;
      },
      "error",
    ),
  );
  return cases;
}
