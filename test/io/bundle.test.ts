import { describe, expect, it } from "vitest";
import { loadBundle } from "../../src/io/bundle.ts";
import { validateManifest } from "../../src/io/manifest.ts";
import { encodeBundle, zipBundle } from "../../src/io/bundle-write.ts";
import { writeNpy } from "../../src/io/npy.ts";
import { writeNpz } from "../../src/io/npz.ts";
import { memorySource, npzSource, zipSource } from "../../src/io/sources.ts";
import { zipEntries } from "../../src/io/zip.ts";
import { expectFixtureBundle, expectRejection, fixture, fixtureBundleFiles } from "./support.ts";

/** The fixture bundle with its manifest edited and files replaced. */
function variant(
  edit: (m: Record<string, any>) => void = () => {},
  replace: Record<string, Uint8Array | null> = {},
) {
  const files = fixtureBundleFiles();
  const manifest = JSON.parse(new TextDecoder().decode(files.get("manifest.json")));
  edit(manifest);
  files.set("manifest.json", new TextEncoder().encode(JSON.stringify(manifest)));
  for (const [path, bytes] of Object.entries(replace)) {
    if (bytes === null) files.delete(path);
    else files.set(path, bytes);
  }
  return memorySource(files, "fixture");
}

const f32 = (shape: number[], fill = (i: number) => i) => {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => fill(i));
  return writeNpy({ shape, data });
};

describe("loadBundle", () => {
  it("loads every part of the fixture bundle with NumPy's values", async () => {
    expectFixtureBundle(await loadBundle(variant()));
  });

  it("loads only the requested layers, in checkpoints too", async () => {
    const bundle = await loadBundle(variant(), { layers: ["conv"] });
    expect(bundle.layers.map((l) => l.name)).toEqual(["conv"]);
    expect(bundle.checkpoints!.map((c) => c.layers.length)).toEqual([0, 0]);
    expect(bundle.manifest.layers).toHaveLength(2);
  });

  it("leaves the checkpoints unread with checkpoints: false (a wrong-shaped one is not even decoded), the inputs with inputs: false", async () => {
    const wrong = { "checkpoints/epoch-0/dense.npy": f32([6, 2, 2]) };
    await expectRejection(loadBundle(variant(() => {}, wrong)), "E_SHAPE_MISMATCH", /checkpoints/);
    const bundle = await loadBundle(
      variant(() => {}, wrong),
      { checkpoints: false },
    );
    expect(bundle.checkpoints).toBeUndefined();
    expect(bundle.manifest.checkpoints).toHaveLength(2);
    const whole = await loadBundle(variant());
    expect(bundle.layers).toEqual(whole.layers);
    expect(bundle.labels).toEqual(whole.labels);
    const noInputs = await loadBundle(variant(), { inputs: false });
    expect(whole.inputs).toBeDefined();
    expect(noInputs.inputs).toBeUndefined();
    expect(noInputs.layers).toEqual(whole.layers);
  });

  it("refuses a requested layer the bundle does not have with E_PARAM", async () => {
    await expectRejection(
      loadBundle(variant(), { layers: ["fc9"] }),
      "E_PARAM",
      /invalid layers: "fc9" is not a layer of fixture-bundle \(expected some of dense, conv\)/,
    );
  });

  it("reads regression targets as a matrix and a 1-D file as N x 1", async () => {
    const source = variant(
      (m) => {
        m.task = "regression";
        delete m.classNames;
        delete m.labels;
        m.targets = "targets.npy";
      },
      { "targets.npy": writeNpy({ shape: [6], data: new Float64Array([0.5, 1, 1.5, 2, 2.5, 3]) }) },
    );
    const bundle = await loadBundle(source);
    expect(bundle.targets).toEqual({
      rows: 6,
      cols: 1,
      data: new Float32Array([0.5, 1, 1.5, 2, 2.5, 3]),
    });
  });

  it("accepts labels without classNames as non-negative integers, from any dtype", async () => {
    const source = variant((m) => delete m.classNames, {
      "labels.npy": writeNpy({ shape: [6, 1], data: new Float64Array([9, 1, 2, 0, 1, 2]) }),
    });
    expect((await loadBundle(source)).labels).toEqual(new Int32Array([9, 1, 2, 0, 1, 2]));
  });

  it("loads non-finite layer data when allowNonFinite is set", async () => {
    const source = variant(() => {}, {
      "layers/dense.npy": f32([6, 4], (i) => (i === 11 ? NaN : i)),
    });
    const bundle = await loadBundle(source, { allowNonFinite: true });
    expect(bundle.layers[0].data[11]).toBeNaN();
  });
});

describe("loadBundle errors", () => {
  it("refuses a source without manifest.json", async () => {
    await expectRejection(
      loadBundle(variant(() => {}, { "manifest.json": null })),
      "E_MANIFEST",
      /fixture: no manifest\.json \(expected at the root or inside one top-level folder\)/,
    );
  });

  it("reports a manifest JSON syntax error with the parser's message", async () => {
    const source = variant(() => {}, { "manifest.json": new TextEncoder().encode('{"format": ') });
    await expectRejection(
      loadBundle(source),
      "E_MANIFEST",
      /fixture\/manifest\.json is not valid JSON: \w+/,
    );
  });

  it("refuses a manifest that is not UTF-8", async () => {
    const source = variant(() => {}, { "manifest.json": new Uint8Array([0x7b, 0xff, 0x7d]) });
    await expectRejection(
      loadBundle(source),
      "E_MANIFEST",
      /fixture\/manifest\.json is not valid UTF-8 text/,
    );
  });

  it("names the missing file and the manifest field", async () => {
    const error = await expectRejection(
      loadBundle(variant(() => {}, { "checkpoints/epoch-1/dense.npy": null })),
      "E_MISSING_FILE",
      /fixture: checkpoints\[1\]\.layers\[0\]\.file names checkpoints\/epoch-1\/dense\.npy, which is not in the bundle/,
    );
    expect(error.details).toEqual({
      file: "checkpoints/epoch-1/dense.npy",
      field: "checkpoints[1].layers[0].file",
    });
  });

  it("refuses a file whose first dimension is not samples", async () => {
    await expectRejection(
      loadBundle(variant(() => {}, { "predictions.npy": f32([5, 3]) })),
      "E_SHAPE_MISMATCH",
      /fixture\/predictions\.npy \(predictions\) has shape \(5, 3\), expected 6 rows \(manifest samples\)/,
    );
    await expectRejection(
      loadBundle(
        variant(() => {}, { "inputs.npy": writeNpy({ shape: [], data: new Uint8Array(1) }) }),
      ),
      "E_SHAPE_MISMATCH",
      /fixture\/inputs\.npy \(inputs\) has shape \(\), expected 6 rows/,
    );
  });

  it("refuses a layer file whose shape differs from the manifest's", async () => {
    const error = await expectRejection(
      loadBundle(variant(() => {}, { "layers/dense.npy": f32([6, 5]) })),
      "E_SHAPE_MISMATCH",
      /fixture\/layers\/dense\.npy has shape \(6, 5\), but layers\[0\]\.shape in manifest\.json declares \(6, 4\)/,
    );
    expect(error.details).toMatchObject({
      field: "layers[0].shape",
      found: [6, 5],
      expected: [6, 4],
    });
  });

  it("checks checkpoint layers like layers", async () => {
    await expectRejection(
      loadBundle(variant(() => {}, { "checkpoints/epoch-0/dense.npy": f32([6, 2, 2]) })),
      "E_SHAPE_MISMATCH",
      /checkpoints\[0\]\.layers\[0\]\.shape in manifest\.json declares \(6, 4\)/,
    );
  });

  it("refuses labels outside [0, classNames.length)", async () => {
    const labels = writeNpy({ shape: [6], data: new Int32Array([0, 1, 3, 0, 1, 2]) });
    await expectRejection(
      loadBundle(variant(() => {}, { "labels.npy": labels })),
      "E_MANIFEST",
      /fixture\/labels\.npy \(labels\): sample 2 has label 3, expected an integer in \[0, 3\) \(classNames has 3 names\)/,
    );
  });

  it("refuses labels that are not integers, and labels with more than one column", async () => {
    const fractional = writeNpy({ shape: [6], data: new Float32Array([0, 0.5, 1, 0, 1, 2]) });
    await expectRejection(
      loadBundle(variant(() => {}, { "labels.npy": fractional })),
      "E_MANIFEST",
      /sample 1 has label 0\.5/,
    );
    const negative = writeNpy({ shape: [6], data: new Int8Array([0, 1, 2, -1, 1, 2]) });
    await expectRejection(
      loadBundle(variant(() => {}, { "labels.npy": negative })),
      "E_MANIFEST",
      /sample 3 has label -1/,
    );
    const wide = writeNpy({ shape: [6, 2], data: new Int32Array(12) });
    await expectRejection(
      loadBundle(variant(() => {}, { "labels.npy": wide })),
      "E_SHAPE_MISMATCH",
      /fixture\/labels\.npy \(labels\) has shape \(6, 2\), expected \(6,\): one value per sample/,
    );
  });

  it("refuses split values other than 0 and 1", async () => {
    const split = writeNpy({ shape: [6], data: new Uint8Array([0, 1, 2, 0, 1, 0]) });
    await expectRejection(
      loadBundle(variant(() => {}, { "split.npy": split })),
      "E_MANIFEST",
      /fixture\/split\.npy \(split\): sample 2 has 2, expected 0 \(train\) or 1 \(test\)/,
    );
  });

  it("refuses NaN and Infinity in layers, naming the layer, sample and column", async () => {
    const error = await expectRejection(
      loadBundle(
        variant(() => {}, {
          "layers/conv.npy": f32([6, 2, 3, 3], (i) => (i === 18 * 4 + 7 ? -Infinity : 0)),
        }),
      ),
      "E_NON_FINITE",
      /layer 'conv' \(fixture\/layers\/conv\.npy\) has a non-finite value \(-Infinity\) at sample 4, column 7; pass allowNonFinite: true/,
    );
    expect(error.details).toMatchObject({ row: 4, column: 7 });
  });

  it("refuses NaN in predictions unless allowNonFinite", async () => {
    const source = () =>
      variant(() => {}, { "predictions.npy": f32([6, 3], (i) => (i === 4 ? NaN : 0)) });
    await expectRejection(
      loadBundle(source()),
      "E_NON_FINITE",
      /predictions \(fixture\/predictions\.npy\) has a non-finite value \(NaN\) at sample 1, column 1/,
    );
    expect((await loadBundle(source(), { allowNonFinite: true })).predictions!.data[4]).toBeNaN();
  });

  it("passes on reader errors naming the file inside the bundle", async () => {
    const cut = fixture("bundle/layers/dense.npy").subarray(0, 150);
    await expectRejection(
      loadBundle(variant(() => {}, { "layers/dense.npy": cut })),
      "E_TRUNCATED",
      /^fixture\/layers\/dense\.npy: the header announces 96 data bytes/,
    );
  });

  it("validates the manifest before reading any file", async () => {
    await expectRejection(
      loadBundle(variant((m) => (m.samples = 7))),
      "E_SHAPE_MISMATCH",
      /fixture\/manifest\.json: layers\[0\]\.shape \(6, 4\) starts with 6, expected samples = 7/,
    );
  });
});

describe("encodeBundle and zipBundle", () => {
  it("a loaded bundle written with zipBundle loads back identically", async () => {
    const bundle = await loadBundle(variant());
    const { files, manifest } = encodeBundle(bundle);
    // Same manifest, except that every layer now states its kind.
    const withKinds = structuredClone(bundle.manifest);
    for (const layer of [...withKinds.layers, ...withKinds.checkpoints!.flatMap((c) => c.layers)]) {
      layer.kind = layer.shape.length >= 3 ? "conv" : "dense";
    }
    expect(manifest).toEqual(withKinds);
    expect([...files.keys()][0]).toBe("manifest.json");
    for (const compress of [true, false]) {
      const back = await loadBundle(zipSource(zipBundle(bundle, { compress }), "again.zip"));
      expect({ ...back, manifest: undefined }).toEqual({ ...bundle, manifest: undefined });
      expect(back.manifest).toEqual(withKinds);
    }
  });

  it("names files after layers, making unsafe and repeated names safe", () => {
    const layer = (name: string) => ({ name, shape: [2, 1], data: new Float32Array([1, 2]) });
    const { manifest, files } = encodeBundle({
      name: "x",
      task: "classification",
      layers: [layer("fc/1"), layer("fc:1"), layer("..")],
      labels: new Int32Array([0, 1]),
      checkpoints: [{ epoch: 3, layers: [layer("fc/1")] }],
    });
    expect(manifest.layers.map((l) => l.file)).toEqual([
      "layers/fc_1.npy",
      "layers/fc_1-2.npy",
      "layers/layer.npy",
    ]);
    expect(manifest.checkpoints![0].layers[0].file).toBe("checkpoints/epoch-3/fc_1.npy");
    expect(manifest.labels).toBe("labels.npy");
    expect(manifest.samples).toBe(2);
    expect([...files.keys()]).toEqual([
      "manifest.json",
      "layers/fc_1.npy",
      "layers/fc_1-2.npy",
      "layers/layer.npy",
      "labels.npy",
      "checkpoints/epoch-3/fc_1.npy",
    ]);
  });

  it("refuses per-sample arrays whose length is not the sample count", () => {
    expect(() =>
      encodeBundle({
        name: "x",
        task: "classification",
        layers: [{ name: "a", shape: [2, 1], data: new Float32Array(2) }],
        split: new Uint8Array(3),
      }),
    ).toThrow(/split has shape \(3,\), expected 2 rows like the first layer/);
  });

  it("refuses what the manifest contract refuses, and a repeated or unsafe file", () => {
    const layer = { name: "a", shape: [2], data: new Float32Array(2) };
    const base = { name: "x", task: "classification" as const, layers: [layer] };
    const unsafe = { ...base, layers: [{ ...layer, file: "../a.npy" }] };
    const short = { ...base, layers: [{ ...layer, data: new Float32Array(3) }] };
    const badTask = { ...base, task: "ranking" as never };
    expect(() => encodeBundle(badTask)).toThrow(/bundle x: task: expected/);
    expect(() => encodeBundle({ ...base, layers: [] })).toThrow(/samples: expected a positive/);
    expect(() => encodeBundle(unsafe)).toThrow(/invalid layers\[0\]\.file: "\.\.\/a\.npy"/);
    expect(() => encodeBundle(short)).toThrow(/layers\[0\]: 3 values do not fill shape \(2,\)/);
  });
});

describe("bundles without a manifest in an .npz", () => {
  it("memorySource answers exists, read and list from its map", async () => {
    const source = memorySource(new Map([["a.npy", new Uint8Array([1])]]), "mem");
    expect(await source.exists("a.npy")).toBe(true);
    expect(await source.exists("b.npy")).toBe(false);
    expect(await source.list!()).toEqual(["a.npy"]);
    await expectRejection(source.read("b.npy"), "E_MISSING_FILE", /mem: no file b\.npy/);
  });

  it("npzSource refuses entries that are not .npy files and an archive without arrays", () => {
    expect(() => npzSource(zipEntries([["a.txt", new Uint8Array(1)]]), "odd.npz")).toThrow(
      /entry 'a\.txt' is not an \.npy file/,
    );
    expect(() => npzSource(writeNpz({}), "empty.npz")).toThrow(
      /empty\.npz: the archive holds no arrays/,
    );
  });
});

describe("trace sets and float16 layers", () => {
  const base = () => ({
    name: "traced",
    task: "classification" as const,
    classNames: ["a", "b"],
    layers: [
      {
        name: "h",
        shape: [6, 2],
        data: Float32Array.from({ length: 12 }, (_, i) => i / 3),
        dtype: "<f2",
      },
    ],
    labels: new Int32Array([0, 1, 0, 1, 0, 1]),
    trace: new Int32Array([4, 1]),
    checkpoints: [0, 1].map((epoch) => ({
      epoch,
      layers: [{ name: "h", shape: [2, 2], data: new Float32Array([epoch, 1, 2, 3]) }],
    })),
  });
  const load = (input: ReturnType<typeof base>) =>
    loadBundle(zipSource(zipBundle(input), "traced.zip"));

  it("checkpoint layers hold one row per trace entry, and layers may be stored as float16", async () => {
    const bundle = await load(base());
    expect(Array.from(bundle.trace!)).toEqual([4, 1]);
    expect(bundle.checkpoints!.map((c) => c.layers[0].shape)).toEqual([
      [2, 2],
      [2, 2],
    ]);
    expect(bundle.manifest.trace).toBe("trace.npy");
    // float16 keeps 11 significant bits: i/3 comes back within 2^-11 relative.
    bundle.layers[0].data.forEach((v, i) =>
      expect(Math.abs(v - i / 3)).toBeLessThanOrEqual((i / 3) * 2 ** -11),
    );
  });

  it("rejects checkpoint rows that disagree with the trace, repeated trace entries, and a trace without checkpoints", async () => {
    const rows = base();
    rows.checkpoints[1].layers[0] = { name: "h", shape: [3, 2], data: new Float32Array(6) };
    await expect(load(rows)).rejects.toThrow(/expected 2 rows \(trace entries\)/);
    const repeated = base();
    repeated.trace = new Int32Array([1, 1]);
    await expect(load(repeated)).rejects.toMatchObject({
      code: "E_MANIFEST",
      message: expect.stringMatching(
        /entry 1 is 1, expected a distinct integer sample index in \[0, 6\)/,
      ),
    });
    const outside = base();
    outside.trace = new Int32Array([0, 6]);
    await expect(load(outside)).rejects.toThrow(/entry 1 is 6/);
    expect(() =>
      validateManifest({
        format: "hidden-atlas/1",
        name: "x",
        task: "regression",
        samples: 2,
        layers: [{ name: "a", file: "a.npy", shape: [2, 1] }],
        trace: "t.npy",
      }),
    ).toThrow(/trace: expected no trace without checkpoints/);
  });
});

describe("models in bundles", () => {
  it("round-trips a network description and its parameters", async () => {
    const spec = { inputShape: [2], layers: [{ type: "dense", units: 1 }] };
    const bytes = zipBundle({
      name: "with-model",
      task: "regression",
      layers: [{ name: "h", shape: [3, 1], data: new Float32Array([1, 2, 3]) }],
      targets: { rows: 3, cols: 1, data: new Float32Array([0, 1, 2]) },
      model: { spec, parameters: new Float32Array([0.5, -1, 0.25]) },
    });
    const bundle = await loadBundle(zipSource(bytes, "m.zip"));
    expect(bundle.model!.spec).toEqual(spec);
    expect(Array.from(bundle.model!.parameters)).toEqual([0.5, -1, 0.25]);
    expect(bundle.manifest.model!.parameters).toBe("model.npy");
  });

  it("rejects a model without parameters or with unknown fields", () => {
    const manifest = {
      format: "hidden-atlas/1",
      name: "x",
      task: "regression",
      samples: 1,
      layers: [{ name: "a", file: "a.npy", shape: [1, 1] }],
    };
    expect(() => validateManifest({ ...manifest, model: { spec: {} } })).toThrow(
      /model\.parameters: expected a relative path/,
    );
    expect(() =>
      validateManifest({ ...manifest, model: { spec: {}, parameters: "p.npy", weights: 1 } }),
    ).toThrow(/model has an unknown field "weights"/);
    expect(() =>
      validateManifest({
        ...manifest,
        model: { spec: {}, parameters: "p.npy", layers: { b: "fc" } },
      }),
    ).toThrow(/model\.layers\.b: expected the name of a bundle layer/);
    expect(() =>
      validateManifest({ ...manifest, model: { spec: {}, parameters: "p.npy", inputScale: 0 } }),
    ).toThrow(/model\.inputScale: expected a positive number/);
    expect(
      validateManifest({
        ...manifest,
        model: { spec: {}, parameters: "p.npy", inputScale: 0.5, layers: { a: "fc" } },
      }).model,
    ).toMatchObject({ inputScale: 0.5, layers: { a: "fc" } });
  });
});

describe("labels are class indices", () => {
  const withLabels = (values: number[], keepClassNames = false) => {
    const samples = values.length;
    return memorySource(
      new Map([
        [
          "manifest.json",
          new TextEncoder().encode(
            JSON.stringify({
              format: "hidden-atlas/1",
              name: "l",
              task: "classification",
              samples,
              ...(keepClassNames && { classNames: ["a", "b", "c"] }),
              layers: [{ name: "h", file: "h.npy", shape: [samples, 1] }],
              labels: "labels.npy",
            }),
          ),
        ],
        ["h.npy", f32([samples, 1])],
        ["labels.npy", writeNpy({ shape: [samples], data: new Float64Array(values) })],
      ]),
      "l",
    );
  };

  it("refuses a label of 10^7 without classNames at once, naming the value, its row and the remedy", async () => {
    const error = await expectRejection(
      loadBundle(withLabels([0, 1, 10_000_000, 2])),
      "E_MANIFEST",
      /l\/labels\.npy \(labels\): sample 2 has label 10000000, but without classNames labels are class indices 0…C−1 with C ≤ 65536 and C ≤ max\(256, 2 × distinct labels\); give classNames in the manifest or remap the labels to 0…C−1/,
    );
    expect(error.details).toMatchObject({ row: 2, value: 10_000_000, field: "labels" });
  });

  it("refuses labels too sparse to be indices: max label + 1 > max(256, 2 × distinct labels)", async () => {
    const sparse = [...Array.from({ length: 10 }, (_, i) => i), 300];
    await expectRejection(
      loadBundle(withLabels(sparse)),
      "E_MANIFEST",
      /sample 10 has label 300, .* \(11 distinct labels are present\); give classNames in the manifest or remap the labels to 0…10/,
    );
    // 256 classes are always accepted; dense labels well beyond that too.
    expect((await loadBundle(withLabels([0, 255, 7]))).labels).toEqual(new Int32Array([0, 255, 7]));
    const dense = Array.from({ length: 1200 }, (_, i) => (i * 7) % 1000);
    expect((await loadBundle(withLabels(dense))).labels!.length).toBe(1200);
    const half = Array.from({ length: 600 }, (_, i) => 2 * i); // 600 distinct, C = 1199 ≤ 1200
    expect((await loadBundle(withLabels(half))).labels![599]).toBe(1198);
    await expectRejection(
      loadBundle(withLabels([...half, 1300])),
      "E_MANIFEST",
      /sample 600 has label 1300, .*\(601 distinct labels are present\)/,
    );
  });

  it("with classNames every label is below their count, however sparse", async () => {
    expect((await loadBundle(withLabels([2, 2, 2], true))).labels).toEqual(
      new Int32Array([2, 2, 2]),
    );
    await expectRejection(
      loadBundle(withLabels([0, 3], true)),
      "E_MANIFEST",
      /sample 1 has label 3, expected an integer in \[0, 3\) \(classNames has 3 names\)/,
    );
  });

  it("classNamesOf refuses a bundle assembled in code with a label of 10^7 instead of making 10^7 names", async () => {
    const { classNamesOf } = await import("../../src/analyses/columns.ts");
    const bundle = {
      name: "x",
      task: "classification" as const,
      samples: 2,
      layers: [],
      labels: new Int32Array([0, 10_000_000]),
    };
    expect(() => classNamesOf(bundle)).toThrow(
      expect.objectContaining({
        code: "E_PARAM",
        message: expect.stringMatching(/labels of "x": sample 1 has label 10000000/),
      }),
    );
    expect(classNamesOf({ ...bundle, labels: new Int32Array([0, 2, 1]) })).toEqual(["0", "1", "2"]);
  });
});
