import { describe, expect, it } from "vitest";
import {
  bundleFiles,
  isBundlePath,
  layerKind,
  parseManifest,
  validateManifest,
} from "../../src/io/manifest.ts";
import { expectError, fixture } from "./support.ts";

const fixtureManifest = () => JSON.parse(new TextDecoder().decode(fixture("bundle/manifest.json")));

/** The fixture manifest with `edit` applied. */
function edited(edit: (m: Record<string, any>) => unknown): unknown {
  const m = fixtureManifest();
  edit(m);
  return m;
}

describe("validateManifest", () => {
  it("accepts the fixture manifest and returns a copy of it", () => {
    const json = fixtureManifest();
    const manifest = validateManifest(json);
    expect(manifest).toEqual(json);
    expect(manifest).not.toBe(json);
    expect(manifest.layers[0]).not.toBe(json.layers[0]);
  });

  it.each([
    [
      "the wrong format",
      (m) => (m.format = "hidden-atlas/2"),
      /format: expected "hidden-atlas\/1", got "hidden-atlas\/2"/,
    ],
    ["an empty name", (m) => (m.name = ""), /name: expected a non-empty string, got ""/],
    [
      "an unknown task",
      (m) => (m.task = "ranking"),
      /task: expected "classification" or "regression", got "ranking"/,
    ],
    ["zero samples", (m) => (m.samples = 0), /samples: expected a positive integer, got 0/],
    [
      "fractional samples",
      (m) => (m.samples = 2.5),
      /samples: expected a positive integer, got 2\.5/,
    ],
    [
      "samples as a string",
      (m) => (m.samples = "6"),
      /samples: expected a positive integer, got "6"/,
    ],
    [
      "an unknown field",
      (m) => (m.label = "labels.npy"),
      /manifest has an unknown field "label" \(expected only format, name,.*put free-form facts under "meta"\)/,
    ],
    [
      "classNames for regression",
      (m) => (m.task = "regression"),
      /classNames: expected no classNames for a regression task/,
    ],
    [
      "empty classNames",
      (m) => (m.classNames = []),
      /classNames: expected a non-empty array of strings, got \[\]/,
    ],
    [
      "repeated classNames",
      (m) => (m.classNames = ["a", "b", "a"]),
      /classNames: expected distinct names, got "a"/,
    ],
    ["no layers", (m) => (m.layers = []), /layers: expected a non-empty array of layers, got \[\]/],
    [
      "a repeated layer name",
      (m) => (m.layers[1].name = "dense"),
      /layers\[1\]\.name: expected a name not already used by layers\[0\], got "dense"/,
    ],
    [
      "a layer without a file",
      (m) => delete m.layers[0].file,
      /layers\[0\]\.file: expected a relative path inside the bundle such as "layers\/fc1\.npy", got nothing/,
    ],
    [
      "a path leaving the bundle",
      (m) => (m.layers[0].file = "../secret.npy"),
      /layers\[0\]\.file: expected a relative path.*got "\.\.\/secret\.npy"/,
    ],
    ["an absolute path", (m) => (m.labels = "/etc/labels.npy"), /labels: expected a relative path/],
    ["a Windows path", (m) => (m.split = "data\\split.npy"), /split: expected a relative path/],
    ["a URL", (m) => (m.inputs = "https://example.com/x.npy"), /inputs: expected a relative path/],
    [
      "the manifest itself as a data file",
      (m) => (m.labels = "manifest.json"),
      /labels: expected a data file such as "layers\/fc1\.npy", not the manifest itself, got "manifest\.json"/,
    ],
    [
      "an empty shape",
      (m) => (m.layers[0].shape = []),
      /layers\[0\]\.shape: expected an array of non-negative integers \[samples, \.\.\.\], got \[\]/,
    ],
    [
      "a bad layer kind",
      (m) => (m.layers[0].kind = "recurrent"),
      /layers\[0\]\.kind: expected "dense" or "conv", got "recurrent"/,
    ],
    [
      "conv on a rank-2 layer",
      (m) => (m.layers[0].kind = "conv"),
      /layers\[0\]\.kind: expected "dense" for a layer of rank 2/,
    ],
    [
      "an unknown layer field",
      (m) => (m.layers[1].dtype = "f4"),
      /layers\[1\] has an unknown field "dtype"/,
    ],
    [
      "checkpoints that are not an array",
      (m) => (m.checkpoints = {}),
      /checkpoints: expected an array, got \{\}/,
    ],
    [
      "a negative epoch",
      (m) => (m.checkpoints[0].epoch = -1),
      /checkpoints\[0\]\.epoch: expected a non-negative number, got -1/,
    ],
    [
      "a repeated epoch",
      (m) => (m.checkpoints[1].epoch = 0),
      /checkpoints\[1\]\.epoch: expected an epoch not already used by checkpoints\[0\], got 0/,
    ],
    [
      "a checkpoint without layers",
      (m) => (m.checkpoints[1].layers = []),
      /checkpoints\[1\]\.layers: expected a non-empty array of layers/,
    ],
    ["meta that is not an object", (m) => (m.meta = 3), /meta: expected an object, got 3/],
  ] as [string, (m: Record<string, any>) => unknown, RegExp][])(
    "refuses %s with E_MANIFEST naming the field",
    (_, edit, pattern) => {
      expectError(() => validateManifest(edited(edit)), "E_MANIFEST", pattern);
    },
  );

  it("refuses a manifest that is not a JSON object", () => {
    expectError(
      () => validateManifest([]),
      "E_MANIFEST",
      /manifest\.json: manifest: expected an object, got \[\]/,
    );
  });

  it("refuses a declared shape whose first dimension is not samples with E_SHAPE_MISMATCH", () => {
    const error = expectError(
      () => validateManifest(edited((m) => (m.checkpoints[1].layers[0].shape = [5, 4]))),
      "E_SHAPE_MISMATCH",
      /manifest\.json: checkpoints\[1\]\.layers\[0\]\.shape \(5, 4\) starts with 5, expected samples = 6/,
    );
    expect(error.details).toMatchObject({
      field: "checkpoints[1].layers[0].shape",
      found: 5,
      expected: 6,
    });
  });

  it("names the manifest it was given in messages", () => {
    expectError(
      () => validateManifest({}, "runs/a/manifest.json"),
      "E_MANIFEST",
      /^runs\/a\/manifest\.json: format: expected "hidden-atlas\/1", got nothing$/,
    );
  });
});

describe("parseManifest", () => {
  it("reports a JSON syntax error as E_MANIFEST with the parser's message", () => {
    expectError(
      () => parseManifest('{"format": "hidden-atlas/1",', "b/manifest.json"),
      "E_MANIFEST",
      /^b\/manifest\.json is not valid JSON: .+/,
    );
  });

  it("quotes a deeply nested value without overflowing the stack", () => {
    const deep = `{"format": ${"[".repeat(100_000)}${"]".repeat(100_000)}}`;
    expectError(
      () => parseManifest(deep),
      "E_MANIFEST",
      /format: expected "hidden-atlas\/1", got a value nested too deeply to print/,
    );
  });
});

describe("bundleFiles and helpers", () => {
  it("bundleFiles lists every referenced file with the field naming it", () => {
    expect(bundleFiles(validateManifest(fixtureManifest()))).toEqual([
      { field: "layers[0].file", file: "layers/dense.npy" },
      { field: "layers[1].file", file: "layers/conv.npy" },
      { field: "inputs", file: "inputs.npy" },
      { field: "labels", file: "labels.npy" },
      { field: "predictions", file: "predictions.npy" },
      { field: "split", file: "split.npy" },
      { field: "checkpoints[0].layers[0].file", file: "checkpoints/epoch-0/dense.npy" },
      { field: "checkpoints[1].layers[0].file", file: "checkpoints/epoch-1/dense.npy" },
    ]);
  });

  it("layerKind defaults to conv for rank >= 3 and dense otherwise", () => {
    expect(layerKind({ shape: [10, 3, 8, 8] })).toBe("conv");
    expect(layerKind({ shape: [10, 3, 8] })).toBe("conv");
    expect(layerKind({ shape: [10, 64] })).toBe("dense");
    expect(layerKind({ shape: [10, 3, 8, 8], kind: "dense" })).toBe("dense");
  });

  it("isBundlePath accepts nested relative paths only", () => {
    expect(["a.npy", "layers/fc1.npy", "a b/c-d_e.npy"].every(isBundlePath)).toBe(true);
    const unsafe = ["", "/a.npy", "a//b.npy", "./a.npy", "a/../b.npy", "a\\b.npy", "c:a.npy", 3];
    expect(unsafe.some(isBundlePath)).toBe(false);
  });
});

describe("manifests a stranger wrote", () => {
  const nested = (depth: number) => JSON.parse("[".repeat(depth) + "]".repeat(depth));

  it("refuses meta or model.spec nested deeper than 64 levels, before anything prints it", () => {
    expectError(
      () => validateManifest(edited((m) => (m.meta = { x: nested(100_000) }))),
      "E_MANIFEST",
      /manifest\.json: meta is nested more than 64 levels deep/,
    );
    const spec = edited(
      (m) => (m.model = { spec: { layers: nested(64) }, parameters: "model.npy" }),
    );
    expectError(
      () => validateManifest(spec),
      "E_MANIFEST",
      /model\.spec is nested more than 64 levels deep/,
    );
    // 64 levels in all (meta itself is the first) are accepted, and print.
    const ok = validateManifest(edited((m) => (m.meta = { x: nested(63) })));
    expect(JSON.stringify(ok.meta)).toBe(`{"x":${"[".repeat(63)}${"]".repeat(63)}}`);
  });

  it("checks 200,000 class names for repeats in one pass, naming the repeated one", () => {
    const names = Array.from({ length: 200_000 }, (_, i) => `class ${i}`);
    const manifest = validateManifest(
      edited((m) => {
        m.classNames = names;
        delete m.labels;
      }),
    );
    expect(manifest.classNames).toHaveLength(200_000);
    names.push("class 123456");
    expectError(
      () =>
        validateManifest(
          edited((m) => {
            m.classNames = names;
            delete m.labels;
          }),
        ),
      "E_MANIFEST",
      /classNames: expected distinct names, got "class 123456"/,
    );
  });

  it("checks 100,000 layer names for repeats in one pass", () => {
    const layers = Array.from({ length: 100_000 }, (_, i) => ({
      name: `l${i % 99_999}`,
      file: `l${i}.npy`,
      shape: [6, 1],
    }));
    expectError(
      () =>
        validateManifest(
          edited((m) => {
            m.layers = layers;
            delete m.checkpoints;
          }),
        ),
      "E_MANIFEST",
      /layers\[99999\]\.name: expected a name not already used by layers\[0\], got "l0"/,
    );
  });
});
