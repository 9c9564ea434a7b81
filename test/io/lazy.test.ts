// Bundles opened lazily: headers checked at open, layers streamed and reduced by layerMatrix,
// in the browser's containers (Uint8Array, Blob, File) and Node's (files on disk) alike.
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VECTORIZATIONS, layerMatrix } from "../../src/algo/vectorize.ts";
import { transferableLayer } from "../../src/analyses/columns.ts";
import { LazyLayer, loadBundle, type Bundle } from "../../src/io/bundle.ts";
import { encodeBundle, zipBundle, type BundleInput } from "../../src/io/bundle-write.ts";
import { openBundle, setSha256 } from "../../src/io/digest.ts";
import { MEMORY_BUDGET_BYTES, setMemoryBudget } from "../../src/io/limits.ts";
import { memoryLocation } from "../../src/io/location.ts";
import { openStoredArray, storedRows, streamsSettled } from "../../src/io/stored.ts";
import { bundleSourceFromPath, nodeSha256, writeBundle } from "../../src/io/node.ts";
import {
  fileListSource,
  memorySource,
  zipSource,
  type BundleSource,
} from "../../src/io/sources.ts";
import { analysisBundle } from "../../src/ui/bundle-transfer.ts";
import { mulberry32 } from "../helpers.ts";
import { expectRejection, npyWithHeader } from "./support.ts";

const N = 100;
const [C, H, W] = [8, 4, 4];

function bundleInput(
  edit: (conv: Float32Array, dense: Float32Array) => void = () => {},
): BundleInput {
  const random = mulberry32(3);
  const conv = Float32Array.from({ length: N * C * H * W }, () => random() * 2 - 1);
  const dense = Float32Array.from({ length: N * 5 }, () => Math.fround(random()));
  edit(conv, dense);
  return {
    name: "lazy",
    task: "classification",
    classNames: ["a", "b", "c"],
    layers: [
      { name: "conv", shape: [N, C, H, W], data: conv, kind: "conv" },
      { name: "dense", shape: [N, 5], data: dense, dtype: "<f2" },
    ],
    labels: Int32Array.from({ length: N }, (_, i) => i % 3),
    checkpoints: [0, 1].map((epoch) => ({
      epoch,
      layers: [
        {
          name: "dense",
          shape: [N, 5],
          data: dense.map((v) => (Number.isFinite(v) ? v : 0) + epoch),
        },
      ],
    })),
  };
}

const files = (input = bundleInput()) => encodeBundle(input).files;

/** A Blob that counts the byte ranges read from it. */
class CountingBlob extends Blob {
  reads = 0;
  override slice(...args: Parameters<Blob["slice"]>): Blob {
    this.reads++;
    return super.slice(...args);
  }
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "atlas-lazy-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Every kind of source, each giving the same bundle. */
const SOURCES: [string, () => Promise<BundleSource>][] = [
  ["memory (Uint8Array)", async () => memorySource(files(), "lazy")],
  ["stored zip in a Blob", async () => zipSource(new Blob([zipBundle(bundleInput())]), "lazy.zip")],
  [
    "deflated zip in a Blob",
    async () => zipSource(new Blob([zipBundle(bundleInput(), { compress: true })]), "lazy.zip"),
  ],
  [
    "picked Files (browser folder)",
    async () =>
      fileListSource(
        [...files()].map(([path, bytes]) => new File([bytes], path)),
        "lazy",
      ),
  ],
  [
    "folder on disk (Node)",
    async () => {
      const dir = join(scratch, `folder-${Math.random()}`);
      await writeBundle(bundleInput(), dir);
      return bundleSourceFromPath(dir);
    },
  ],
  [
    "stored zip on disk (Node)",
    async () => {
      const path = join(scratch, `lazy-${Math.random()}.zip`);
      await writeFile(path, zipBundle(bundleInput(), { compress: false }));
      return bundleSourceFromPath(path);
    },
  ],
  [
    "deflated zip on disk (Node)",
    async () => {
      const path = join(scratch, `lazy-${Math.random()}.zip`);
      await writeFile(path, zipBundle(bundleInput(), { compress: true }));
      return bundleSourceFromPath(path);
    },
  ],
];

/** The listing hash as sha256sum would compute it over the bundle's files. */
function referenceSha256(): string {
  const listing = [...files()]
    .map(([path, bytes]) => [path, createHash("sha256").update(bytes).digest("hex")])
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([path, digest]) => `${digest}  ${path}\n`)
    .join("");
  return createHash("sha256").update(listing).digest("hex");
}

describe("openBundle opens lazily", () => {
  let eager: Bundle;
  beforeAll(async () => {
    eager = await loadBundle(memorySource(files(), "lazy"));
  });

  it.each(SOURCES)(
    "from %s: layers stay unread, and layerMatrix streams each vectorisation to what the eager bundle gives",
    async (_, make) => {
      const bundle = await openBundle(await make());
      expect(bundle.sha256).toBe(referenceSha256());
      expect(bundle.layers.map((l) => [l.name, l.kind, l.shape, l instanceof LazyLayer])).toEqual([
        ["conv", "conv", [N, C, H, W], true],
        ["dense", "dense", [N, 5], true],
      ]);
      expect(bundle.labels).toEqual(eager.labels);
      expect(bundle.checkpoints![1].layers[0].data).toEqual(eager.checkpoints![1].layers[0].data);
      for (const method of VECTORIZATIONS) {
        for (const i of [0, 1]) {
          expect(
            await layerMatrix(bundle.layers[i], { method, seed: 7 }),
            `${method} ${i}`,
          ).toEqual(await layerMatrix(eager.layers[i], { method, seed: 7 }));
        }
      }
    },
  );

  it("a lazy layer's data are not in memory: reading them is E_PARAM naming the layer and the remedy", async () => {
    const bundle = await openBundle(memorySource(files(), "lazy"));
    expect(() => bundle.layers[0].data).toThrow(
      expect.objectContaining({
        code: "E_PARAM",
        message: expect.stringMatching(
          /layer 'conv' \(lazy\/layers\/conv\.npy\) was opened lazily and is not in memory: reduce it with layerMatrix/,
        ),
      }),
    );
  });

  it("the hash is the same with the core's SHA-256 as with node:crypto's", async () => {
    setSha256(undefined);
    try {
      expect(
        (
          await openBundle(
            zipSource(new Blob([zipBundle(bundleInput(), { compress: true })]), "z.zip"),
          )
        ).sha256,
      ).toBe(referenceSha256());
    } finally {
      setSha256(nodeSha256);
    }
  });

  it("reduced layers are cached per (layer, vectorisation, seed): switching layers reads nothing again", async () => {
    const blob = new CountingBlob([zipBundle(bundleInput(), { compress: true })]);
    const bundle = await openBundle(zipSource(blob, "count.zip"));
    const [conv, dense] = bundle.layers;
    const reads = async (run: () => Promise<unknown>) => {
      const before = blob.reads;
      await run();
      return blob.reads - before;
    };
    const first = await layerMatrix(conv, { method: "gap" });
    expect(await reads(() => layerMatrix(dense))).toBeGreaterThan(0);
    expect(
      await reads(async () => expect(await layerMatrix(conv, { method: "gap" })).toBe(first)),
    ).toBe(0);
    expect(await reads(() => layerMatrix(dense))).toBe(0);
    expect(await reads(() => layerMatrix(conv, { method: "random", seed: 1 }))).toBeGreaterThan(0);
    expect(await reads(() => layerMatrix(conv, { method: "random", seed: 2 }))).toBeGreaterThan(0);
    expect(await reads(() => layerMatrix(conv, { method: "random", seed: 1 }))).toBe(0);
    // A result whose buffer was transferred away (detached) is read again, not handed out empty.
    structuredClone(first.data, { transfer: [first.data.buffer] });
    const again = await layerMatrix(conv, { method: "gap" });
    expect(again === first).toBe(false);
    expect(again.data.length).toBe(N * C);
  });

  it("a worker's copy of a lazy layer (structured clone) reads its own bytes, from any container", async () => {
    for (const [name, make] of SOURCES) {
      const bundle = await openBundle(await make());
      const copy = structuredClone(analysisBundle(bundle));
      expect(copy.layers[0]).not.toHaveProperty("data");
      expect(await layerMatrix(copy.layers[0], { method: "top-l2" }), name).toEqual(
        await layerMatrix(bundle.layers[0], { method: "top-l2" }),
      );
      expect(await layerMatrix(transferableLayer(bundle.layers[1]))).toEqual(
        await layerMatrix(bundle.layers[1]),
      );
    }
  });
});

describe("a layer larger than the memory budget works when its reduced vectors fit", () => {
  // The conv layer is 100 × 128 float32 = 51,200 bytes; its gap vectors 3,200.
  const BUDGET = 20_000;
  let expected: Map<string, unknown>;
  beforeAll(async () => {
    const eager = await loadBundle(memorySource(files(), "lazy"));
    expected = new Map();
    for (const method of ["gap", "top-l2", "random"] as const)
      expected.set(method, await layerMatrix(eager.layers[0], { method }));
  });
  const lowered = async (run: () => Promise<void>) => {
    const previous = setMemoryBudget(BUDGET);
    try {
      await run();
    } finally {
      setMemoryBudget(previous);
    }
    expect(setMemoryBudget(MEMORY_BUDGET_BYTES)).toBe(MEMORY_BUDGET_BYTES);
  };

  it("read whole, the layer is refused with E_TOO_LARGE", () =>
    lowered(async () => {
      await expectRejection(
        loadBundle(memorySource(files(), "lazy")),
        "E_TOO_LARGE",
        /lazy\/layers\/conv\.npy: shape \(100, 8, 4, 4\) needs 50\.0 KiB \(51200 bytes\) as float32, more than the 19\.5 KiB memory budget/,
      );
    }));

  it.each(SOURCES)(
    "opened lazily from %s, it streams into gap, top-l2 and random vectors; flatten is E_TOO_LARGE with the remedy",
    (_, make) =>
      lowered(async () => {
        const bundle = await openBundle(await make());
        for (const method of ["gap", "top-l2", "random"] as const) {
          expect(await layerMatrix(bundle.layers[0], { method })).toEqual(expected.get(method));
        }
        await expectRejection(
          layerMatrix(bundle.layers[0], { method: "flatten" }),
          "E_TOO_LARGE",
          /layer 'conv' \([^/]+\/layers\/conv\.npy\): vectorize "flatten" needs 51\.0 KiB \(52224 bytes\) as float32 \(100 × 128 values and one row being read\), more than the 19\.5 KiB memory budget; choose another vectorisation \(gap, top-l2, random\) or use fewer samples/,
        );
      }),
  );

  it("streams one row at a time when the budget leaves room for no more", async () => {
    const bundle = await openBundle(
      zipSource(new Blob([zipBundle(bundleInput(), { compress: true })]), "tight.zip"),
    );
    const previous = setMemoryBudget(N * C * 4 + 128 * 8 + 100); // the gap vectors and one row
    try {
      expect(await layerMatrix(bundle.layers[0], { method: "gap" })).toEqual(expected.get("gap"));
      expect(await layerMatrix(bundle.layers[0], { method: "random" })).toEqual(
        expected.get("random"),
      );
    } finally {
      setMemoryBudget(previous);
    }
  });
});

describe("a lazily opened bundle is checked as it streams", () => {
  const flipInConv = (zip: Uint8Array) => {
    const copy = zip.slice();
    const at =
      findBytes(copy, new TextEncoder().encode("layers/conv.npy")) +
      "layers/conv.npy".length +
      128 +
      40;
    copy[at] ^= 0x04;
    return copy;
  };

  it("a flipped byte in a stored entry: openBundle and layerMatrix both refuse with E_ZIP", async () => {
    const zip = flipInConv(zipBundle(bundleInput()));
    await expectRejection(
      openBundle(zipSource(new Blob([zip]), "f.zip")),
      "E_ZIP",
      /f\.zip: malformed zip archive: entry 'layers\/conv\.npy': its CRC-32 is 0x[0-9a-f]+ but the directory declares/,
    );
    const bundle = await loadBundle(zipSource(new Blob([zip]), "f.zip"), { lazy: true });
    await expectRejection(
      layerMatrix(bundle.layers[0], { method: "gap" }),
      "E_ZIP",
      /entry 'layers\/conv\.npy': its CRC-32/,
    );
  });

  it("a flipped byte in a stored entry on disk (read straight into the rows): layerMatrix refuses with E_ZIP", async () => {
    const path = join(scratch, `flipped-${Math.random()}.zip`);
    const zip = zipBundle(bundleInput(), { compress: false });
    // The entry's name in its local header (signature PK\x03\x04 30 bytes before it; the
    // manifest names the file too), then 40 bytes into the data after the 128-byte .npy header.
    const name = new TextEncoder().encode("layers/conv.npy");
    let at = -1;
    for (let i = 30; i < zip.length && at < 0; i++)
      if (zip[i - 30] === 0x50 && zip[i - 29] === 0x4b && zip[i - 28] === 3 && zip[i - 27] === 4)
        if (name.every((b, j) => zip[i + j] === b)) at = i;
    const nameLength = zip[at - 4] | (zip[at - 3] << 8);
    const extraLength = zip[at - 2] | (zip[at - 1] << 8);
    zip[at + nameLength + extraLength + 128 + 40] ^= 0x04;
    await writeFile(path, zip);
    for (const method of ["flatten", "gap"] as const) {
      const bundle = await loadBundle(await bundleSourceFromPath(path), { lazy: true });
      await expectRejection(
        layerMatrix(bundle.layers[0], { method }),
        "E_ZIP",
        /flipped-[0-9.]+\.zip: malformed zip archive: entry 'layers\/conv\.npy': its CRC-32 is 0x[0-9a-f]+ but the directory declares/,
      );
    }
  });

  it("NaN in a float32 layer or ±Infinity in a float16 one: E_NON_FINITE naming sample and column, at open and when streamed", async () => {
    const input = bundleInput((conv, dense) => {
      conv[7 * 128 + 13] = NaN;
      dense[3 * 5 + 2] = Infinity;
    });
    await expectRejection(
      openBundle(memorySource(files(input), "nf")),
      "E_NON_FINITE",
      /^layer 'conv' \(nf\/layers\/conv\.npy\) has a non-finite value \(NaN\) at sample 7, column 13; pass allowNonFinite: true/,
    );
    const lazy = await loadBundle(
      zipSource(new Blob([zipBundle(input, { compress: true })]), "nf.zip"),
      { lazy: true },
    );
    await expectRejection(
      layerMatrix(lazy.layers[0], { method: "gap" }),
      "E_NON_FINITE",
      /layer 'conv' \(nf\.zip\/layers\/conv\.npy\) has a non-finite value \(NaN\) at sample 7, column 13/,
    );
    await expectRejection(
      layerMatrix(lazy.layers[1]),
      "E_NON_FINITE",
      /layer 'dense' .* \(Infinity\) at sample 3, column 2/,
    );
    const denseOnly = bundleInput((_, dense) => (dense[3 * 5 + 2] = -Infinity));
    await expectRejection(
      openBundle(memorySource(files(denseOnly), "nf")),
      "E_NON_FINITE",
      /layer 'dense' \(nf\/layers\/dense\.npy\) has a non-finite value \(-Infinity\) at sample 3, column 2/,
    );
    const allowed = await openBundle(memorySource(files(input), "nf"), { allowNonFinite: true });
    expect((await layerMatrix(allowed.layers[0], { method: "gap" })).data[7 * C + 0]).toBeNaN();
  });

  it("openBundle finds a NaN from the exponent bits whatever the chunks' alignment (zip in memory, deflated, on disk)", async () => {
    const input = bundleInput((conv, dense) => {
      conv[99 * 128 + 127] = NaN; // the very last value
      dense[50 * 5 + 4] = -Infinity;
    });
    const stored = zipBundle(input);
    const dir = join(scratch, `nan-${Math.random()}`);
    await writeBundle(input, dir);
    const sources: BundleSource[] = [
      zipSource(stored, "a.zip"), // entries at odd offsets of one Uint8Array
      zipSource(new Blob([zipBundle(input, { compress: true })]), "a.zip"), // inflated in uneven pieces
      await bundleSourceFromPath(dir),
    ];
    for (const source of sources) {
      await expectRejection(
        openBundle(source),
        "E_NON_FINITE",
        /layer 'conv' \(.*layers\/conv\.npy\) has a non-finite value \(NaN\) at sample 99, column 127/,
      );
      await expectRejection(
        openBundle(source, { layers: ["dense"] }),
        "E_NON_FINITE",
        /layer 'dense' .*\(-Infinity\) at sample 50, column 4/,
      );
    }
  });

  it("a Fortran-order layer is read whole and reordered, and its NaN named by C-order sample and column", async () => {
    const { files: map } = encodeBundle(bundleInput());
    // The conv layer rewritten in Fortran order (first axis fastest).
    const eager = await loadBundle(memorySource(map, "f"));
    const c = eager.layers[0].data;
    const fortran = new Float32Array(c.length);
    const dims = [N, C, H, W];
    for (let i = 0; i < c.length; i++) {
      let rest = i;
      const idx = [0, 0, 0, 0];
      for (let a = 3; a >= 0; a--) {
        idx[a] = rest % dims[a];
        rest = Math.floor(rest / dims[a]);
      }
      fortran[idx[0] + N * (idx[1] + C * (idx[2] + H * idx[3]))] = c[i];
    }
    const header = `{'descr': '<f4', 'fortran_order': True, 'shape': (${N}, ${C}, ${H}, ${W}), }`;
    map.set("layers/conv.npy", npyWithHeader(header, new Uint8Array(fortran.buffer)));
    const lazy = await openBundle(memorySource(map, "f"));
    expect(await layerMatrix(lazy.layers[0], { method: "top-l2" })).toEqual(
      await layerMatrix(eager.layers[0], { method: "top-l2" }),
    );
    fortran[5 + N * (1 + C * (2 + H * 3))] = NaN; // sample 5, channel 1, row 2, column 3
    map.set("layers/conv.npy", npyWithHeader(header, new Uint8Array(fortran.buffer)));
    await expectRejection(
      openBundle(memorySource(map, "f")),
      "E_NON_FINITE",
      /at sample 5, column 27;/,
    );
  });

  it("headers are checked at open: a truncated layer, a shape unlike the manifest's, rows unlike samples", async () => {
    const map = files();
    const conv = map.get("layers/conv.npy")!;
    await expectRejection(
      openBundle(
        memorySource(
          new Map([...map, ["layers/conv.npy", conv.subarray(0, conv.length - 1)]]),
          "t",
        ),
      ),
      "E_TRUNCATED",
      /^t\/layers\/conv\.npy: the header announces 51200 data bytes \(shape \(100, 8, 4, 4\), <f4\) but the file holds 51199/,
    );
    const other = encodeBundle({
      ...bundleInput(),
      layers: [
        { name: "conv", shape: [N, C, W, H * 2], data: new Float32Array(N * C * H * W * 2) },
      ],
    }).files.get("layers/conv.npy")!;
    await expectRejection(
      openBundle(memorySource(new Map([...map, ["layers/conv.npy", other]]), "t")),
      "E_SHAPE_MISMATCH",
      /t\/layers\/conv\.npy has shape \(100, 8, 4, 8\), but layers\[0\]\.shape in manifest\.json declares \(100, 8, 4, 4\)/,
    );
  });
});

describe("the background hash gives way to a streaming layer", () => {
  const stored = () =>
    openStoredArray(
      memoryLocation(encodeBundle(bundleInput()).files.get("layers/conv.npy")!, "conv.npy"),
      "layer 'conv'",
    );
  const settledYet = async (settled: Promise<void>) => {
    let done = false;
    void settled.then(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 0));
    return done;
  };

  it("streamsSettled waits while rows stream, and resolves once they end or are abandoned", async () => {
    expect(await settledYet(streamsSettled())).toBe(true);
    const rows = storedRows(await stored(), 10);
    await rows.next();
    const first = streamsSettled();
    expect(await settledYet(first)).toBe(false);
    let seen = 1;
    while (!(await rows.next()).done) seen++;
    expect(seen).toBe(N / 10);
    expect(await settledYet(first)).toBe(true);

    const two = [storedRows(await stored(), 10), storedRows(await stored(), 10)];
    await Promise.all(two.map((g) => g.next()));
    const second = streamsSettled();
    await two[0].return(undefined);
    expect(await settledYet(second)).toBe(false);
    await two[1].return(undefined);
    expect(await settledYet(second)).toBe(true);
  });

  it("layers asked for side by side stream one after the other (one chunk buffer resident)", async () => {
    // Each read of a file is logged when it starts and when it ends, a macrotask apart.
    const reads: string[] = [];
    class SlowBlob extends Blob {
      constructor(
        parts: BlobPart[],
        readonly file: string,
      ) {
        super(parts);
      }
      override async arrayBuffer(): Promise<ArrayBuffer> {
        reads.push(`start ${this.file}`);
        await new Promise((resolve) => setTimeout(resolve, 0));
        reads.push(`end ${this.file}`);
        return super.arrayBuffer();
      }
    }
    class LoggingFile extends File {
      override slice(...args: Parameters<Blob["slice"]>): Blob {
        return new SlowBlob([super.slice(...args)], this.name);
      }
    }
    const input = bundleInput();
    const bundle = await loadBundle(
      fileListSource(
        [...encodeBundle(input).files].map(([path, bytes]) => new LoggingFile([bytes], path)),
        "logged",
      ),
      { lazy: true },
    );
    reads.length = 0;
    const [conv, dense] = await Promise.all(
      bundle.layers.map((layer) => layerMatrix(layer, { method: "flatten" })),
    );
    expect(conv.data).toEqual(input.layers[0].data);
    expect(dense.rows).toBe(N);
    expect(reads).toEqual([
      "start layers/conv.npy",
      "end layers/conv.npy",
      "start layers/dense.npy",
      "end layers/dense.npy",
    ]);
  });

  it("rows decoded into a caller's array (`into`) are the rows streamed into a chunk buffer", async () => {
    const array = await stored();
    const width = C * H * W;
    const into = new Float32Array(N * width);
    const copied = new Float32Array(N * width);
    for await (const chunk of storedRows(array, 7, into)) {
      expect(chunk.values.buffer).toBe(into.buffer);
      expect(chunk.values.byteOffset).toBe(chunk.start * width * 4);
    }
    for await (const chunk of storedRows(array, 7))
      copied.set(chunk.values.subarray(0, chunk.rows * width), chunk.start * width);
    expect(into).toEqual(copied);
    expect(into).toEqual(bundleInput().layers[0].data);
  });
});

function findBytes(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

describe("archives and headers read where they lie", () => {
  it("an .npz picked in the browser (sliced, or read whole when small) or lying on disk is opened from its directory and headers", async () => {
    const { writeNpz } = await import("../../src/io/npz.ts");
    const { sourceFromFiles } = await import("../../src/io/sources.ts");
    const input = bundleInput();
    const npz = writeNpz(
      {
        conv: { shape: [N, C, H, W], data: input.layers[0].data },
        labels: { shape: [N], data: input.labels! },
      },
      { compress: true },
    );
    const path = join(scratch, "acts.npz");
    await writeFile(path, npz);
    const eager = await loadBundle(memorySource(files(), "x"));
    const picked = [new File([npz], "acts.npz")];
    for (const source of [
      await sourceFromFiles(picked, undefined, { sliceAbove: 0 }),
      await sourceFromFiles(picked),
      await bundleSourceFromPath(path),
    ]) {
      const bundle = await openBundle(source);
      expect([
        bundle.name,
        bundle.layers.map((l) => l.name),
        bundle.layers[0] instanceof LazyLayer,
      ]).toEqual(["acts", ["conv"], true]);
      expect(await layerMatrix(bundle.layers[0], { method: "gap" })).toEqual(
        await layerMatrix(eager.layers[0], { method: "gap" }),
      );
      expect(bundle.labels).toEqual(eager.labels);
    }
  });

  it("a header announcing more than 16 MiB is refused before it is read", async () => {
    const { openStoredArray } = await import("../../src/io/stored.ts");
    const bytes = new Uint8Array(12 + (17 << 20));
    bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0]);
    new DataView(bytes.buffer).setUint32(8, 17 << 20, true);
    const location = {
      container: new Blob([bytes]),
      offset: 0,
      storedSize: bytes.length,
      size: bytes.length,
      deflated: false,
      label: "h.npy",
    };
    await expectRejection(
      openStoredArray(location, "layer 'h'"),
      "E_NPY_HEADER",
      /h\.npy: malformed \.npy header: it announces 17825804 bytes, more than the 16777216 read/,
    );
  });
});
