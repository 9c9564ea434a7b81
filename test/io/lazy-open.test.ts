// Opening a large bundle without reading it: the deferred listing hash, files dropped inside
// a folder read in slices like picked ones, and a layer over a lowered budget that opens and
// reduces while its flattened form is refused.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { layerMatrix } from "../../src/algo/vectorize.ts";
import type { InputsLater } from "../../src/io/bundle.ts";
import { encodeBundle, zipBundle, type BundleInput } from "../../src/io/bundle-write.ts";
import { openBundle } from "../../src/io/digest.ts";
import { setMemoryBudget } from "../../src/io/limits.ts";
import "../../src/io/node.ts";
import { fileListSource, sourceFromFiles, zipSource, type FileLike } from "../../src/io/sources.ts";
import { mulberry32 } from "../helpers.ts";
import { expectRejection } from "./support.ts";

const N = 60;
const [C, H, W] = [6, 8, 8];

function input(edit: (conv: Float32Array) => void = () => {}): BundleInput {
  const random = mulberry32(11);
  const conv = Float32Array.from({ length: N * C * H * W }, () => random() - 0.25);
  edit(conv);
  return {
    name: "big",
    task: "classification",
    layers: [
      { name: "conv", shape: [N, C, H, W], data: conv, kind: "conv" },
      {
        name: "fc",
        shape: [N, 4],
        data: Float32Array.from({ length: N * 4 }, () => random()),
        dtype: "<f2",
      },
    ],
    labels: Int32Array.from({ length: N }, (_, i) => i % 2),
  };
}

/** sha256sum of every file, sorted by path, hashed again: the bundle's listing hash. */
function listingHash(files: Map<string, Uint8Array>): string {
  const listing = [...files]
    .map(([path, bytes]) => [path, createHash("sha256").update(bytes).digest("hex")])
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([path, digest]) => `${digest}  ${path}\n`)
    .join("");
  return createHash("sha256").update(listing).digest("hex");
}

/** A Blob that counts the bytes sliced from it. */
class CountingBlob extends Blob {
  bytes = 0;
  override slice(start?: number, end?: number, type?: string): Blob {
    const s = start ?? 0;
    this.bytes += Math.max(0, Math.min(end ?? this.size, this.size) - s);
    return super.slice(start, end, type);
  }
}

/** A Blob whose bytes past `limit` never arrive: reading them waits forever. */
class GatedBlob extends Blob {
  held = 0;
  constructor(
    parts: BlobPart[],
    private readonly limit: number,
  ) {
    super(parts);
  }
  override slice(start?: number, end?: number, type?: string): Blob {
    if ((end ?? this.size) <= this.limit) return super.slice(start, end, type);
    this.held++;
    return { arrayBuffer: () => new Promise<ArrayBuffer>(() => {}) } as Blob;
  }
}

describe("openBundle with the hash deferred", () => {
  it("returns after the headers with a quick: name; `digest` resolves to the eager hash, which sha256 then becomes", async () => {
    const files = encodeBundle(input()).files;
    const zip = zipBundle(input(), { compress: true });
    const eager = await openBundle(zipSource(new Blob([zip]), "big.zip"));
    expect(eager.sha256).toBe(listingHash(files));
    expect(eager.digest).toBeUndefined();

    const deferred = await openBundle(zipSource(new Blob([zip]), "big.zip"), {
      digest: "deferred",
    });
    expect(deferred.sha256).toMatch(/^quick:[0-9a-f]{64}$/);
    const quick = deferred.sha256;
    // The same bytes in another container give the same provisional name (it names content).
    const picked = await openBundle(
      fileListSource(
        [...files].map(([p, b]) => new File([b], p)),
        "big",
      ),
      { digest: "deferred" },
    );
    expect(picked.sha256).toBe(quick);
    expect(await deferred.digest).toBe(listingHash(files));
    expect(deferred.sha256).toBe(listingHash(files));
    expect(await picked.digest).toBe(listingHash(files));
    // A different value in a layer changes the provisional name.
    const other = await openBundle(
      zipSource(new Blob([zipBundle(input((c) => (c[0] += 1)))]), "big.zip"),
      { digest: "deferred" },
    );
    expect(other.sha256).not.toBe(quick);
    await other.digest;
  });

  it('"auto" defers only a bundle larger than deferAbove bytes', async () => {
    const files = encodeBundle(input()).files;
    const total = [...files.values()].reduce((s, b) => s + b.length, 0);
    const source = () => zipSource(new Blob([zipBundle(input())]), "big.zip");
    const small = await openBundle(source(), { digest: "auto", deferAbove: total });
    expect(small.digest).toBeUndefined();
    expect(small.sha256).toBe(listingHash(files));
    const large = await openBundle(source(), { digest: "auto", deferAbove: total - 1 });
    expect(large.sha256).toMatch(/^quick:/);
    expect(await large.digest).toBe(listingHash(files));
  });

  it("needs no byte of a layer past its first 64 KiB to open (eager opening would wait for them)", async () => {
    const big = input();
    const conv = new Float32Array(N * C * 32 * 32).map((_, i) => (i % 7) / 7);
    big.layers[0] = { name: "conv", shape: [N, C, 32, 32], data: conv, kind: "conv" };
    const files = encodeBundle(big).files;
    const layerBytes = files.get("layers/conv.npy")!;
    const gated = new GatedBlob([layerBytes], (64 << 10) + 4096);
    const picked: FileLike[] = [...files].map(([path, bytes]) => {
      const blob = path === "layers/conv.npy" ? gated : new Blob([bytes]);
      return { name: path, arrayBuffer: () => blob.arrayBuffer(), blob };
    });
    const bundle = await openBundle(fileListSource(picked, "gated"), { digest: "deferred" });
    expect(bundle.sha256).toMatch(/^quick:/);
    expect(bundle.layers[0].shape).toEqual([N, C, 32, 32]);
    expect(layerBytes.length).toBeGreaterThan(10 * (64 << 10));
  });

  it("a corrupt entry: the bundle opens, then `digest` and the layer's stream both refuse with E_ZIP", async () => {
    const zip = zipBundle(input());
    const name = new TextEncoder().encode("layers/conv.npy");
    let at = -1;
    for (let i = 0; i < zip.length && at < 0; i++)
      if (name.every((b, j) => zip[i + j] === b)) at = i;
    const copy = zip.slice();
    copy[at + name.length + 128 + 70_000] ^= 0x10;
    const bundle = await openBundle(zipSource(new Blob([copy]), "c.zip"), { digest: "deferred" });
    await expectRejection(
      bundle.digest!,
      "E_ZIP",
      /c\.zip: malformed zip archive: entry 'layers\/conv\.npy': its CRC-32/,
    );
    await expectRejection(
      layerMatrix(bundle.layers[0], { method: "gap" }),
      "E_ZIP",
      /entry 'layers\/conv\.npy': its CRC-32/,
    );
  });

  it("NaN in a layer: the bundle opens, then `digest` and the layer's stream both name the sample and column", async () => {
    const bundle = await openBundle(
      zipSource(new Blob([zipBundle(input((c) => (c[7 * C * H * W + 100] = NaN)))]), "n.zip"),
      { digest: "deferred" },
    );
    await expectRejection(
      bundle.digest!,
      "E_NON_FINITE",
      /layer 'conv' \(n\.zip\/layers\/conv\.npy\) has a non-finite value \(NaN\) at sample 7, column 100/,
    );
    await expectRejection(
      layerMatrix(bundle.layers[0], { method: "gap" }),
      "E_NON_FINITE",
      /at sample 7, column 100/,
    );
  });
});

describe("checkpoints opened lazily (a report that does not read them)", () => {
  const withCheckpoints = (bad: boolean): BundleInput => {
    const base = input();
    return {
      ...base,
      checkpoints: [1, 2].map((epoch) => ({
        epoch,
        layers: base.layers.map((l) => ({
          ...l,
          data: l.data.map((v, j) => (bad && epoch === 2 && j === 5 ? Infinity : v * epoch)),
        })),
      })),
    };
  };

  it("keeps their headers, not their values; the deferred hash still checks every value", async () => {
    const good = await openBundle(
      zipSource(new Blob([zipBundle(withCheckpoints(false))]), "g.zip"),
      { digest: "deferred", checkpoints: "lazy" },
    );
    expect(good.checkpoints!.map((c) => c.epoch)).toEqual([1, 2]);
    expect(good.checkpoints![1].layers.map((l) => [l.name, l.shape])).toEqual([
      ["conv", [N, C, H, W]],
      ["fc", [N, 4]],
    ]);
    expect(() => good.checkpoints![0].layers[0].data).toThrow(/opened lazily/);
    await good.digest;
    const bad = await openBundle(zipSource(new Blob([zipBundle(withCheckpoints(true))]), "b.zip"), {
      digest: "deferred",
      checkpoints: "lazy",
    });
    await expectRejection(bad.digest!, "E_NON_FINITE", /checkpoints.*sample 0, column 5/);
  });
});

describe("files dropped inside a folder are read where they lie", () => {
  it("a FileLike carrying its File in `blob` is sliced, never read whole, and gives the same vectors", async () => {
    const files = encodeBundle(input()).files;
    const blobs = new Map([...files].map(([path, bytes]) => [path, new CountingBlob([bytes])]));
    const dropped: FileLike[] = [...files.keys()].map((path) => ({
      name: path.split("/").pop()!,
      webkitRelativePath: `big/${path}`,
      arrayBuffer: () => Promise.reject(new Error(`read whole: ${path}`)),
      blob: blobs.get(path)!,
    }));
    const bundle = await openBundle(await sourceFromFiles(dropped, "big"));
    const reference = await openBundle(
      fileListSource(
        [...files].map(([p, b]) => new File([b], p)),
        "big",
      ),
    );
    expect(bundle.sha256).toBe(reference.sha256);
    expect(await layerMatrix(bundle.layers[0], { method: "top-l2" })).toEqual(
      await layerMatrix(reference.layers[0], { method: "top-l2" }),
    );
    expect(blobs.get("layers/conv.npy")!.bytes).toBeGreaterThanOrEqual(
      files.get("layers/conv.npy")!.length * 2,
    );
  });

  it("a dropped archive larger than sliceAbove is sliced through its blob", async () => {
    const blob = new CountingBlob([zipBundle(input(), { compress: true })]);
    const dropped: FileLike = {
      name: "big.zip",
      arrayBuffer: () => Promise.reject(new Error("read whole")),
      blob,
    };
    const bundle = await openBundle(
      await sourceFromFiles([dropped], "big.zip", { sliceAbove: 1024 }),
      { digest: "deferred" },
    );
    expect((await layerMatrix(bundle.layers[1])).rows).toBe(N);
    await bundle.digest;
  });
});

describe("a layer larger than a lowered budget, opened with the hash deferred", () => {
  it("opens and reduces by global average pool; flatten is refused naming the bytes and the remedy", async () => {
    // The conv layer is N × 384 float32 = 92,160 bytes: over a 64 KiB budget, its gap vectors are not.
    const previous = setMemoryBudget(64 << 10);
    try {
      const bundle = await openBundle(
        zipSource(new Blob([zipBundle(input(), { compress: true })]), "big.zip"),
        { digest: "deferred" },
      );
      const gap = await layerMatrix(bundle.layers[0], { method: "gap" });
      expect([gap.rows, gap.cols]).toEqual([N, C]);
      const conv = input().layers[0].data as Float32Array;
      let mean = 0;
      for (let p = 0; p < H * W; p++) mean += conv[5 * C * H * W + 2 * H * W + p];
      expect(gap.data[5 * C + 2]).toBeCloseTo(mean / (H * W), 5);
      await expectRejection(
        layerMatrix(bundle.layers[0], { method: "flatten" }),
        "E_TOO_LARGE",
        /layer 'conv' \(big\.zip\/layers\/conv\.npy\): vectorize "flatten" needs 93\.0 KiB \(95232 bytes\) as float32 \(60 × 384 values and one row being read\), more than the 64\.0 KiB memory budget; choose another vectorisation \(gap, top-l2, random\) or use fewer samples/,
      );
      expect(await bundle.digest).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      setMemoryBudget(previous);
    }
  });
});

describe("parseBudget", () => {
  it("reads bytes and KiB/MiB/GiB; refuses anything else naming the parameter", async () => {
    const { parseBudget } = await import("../../src/io/limits.ts");
    expect(parseBudget("4096")).toBe(4096);
    expect(parseBudget("64KiB")).toBe(65536);
    expect(parseBudget("1.5 MiB")).toBe(1572864);
    expect(parseBudget("2gib")).toBe(2 ** 31);
    for (const bad of ["", "0", "-1", "12 MB", "1e6", "lots"]) {
      expect(() => parseBudget(bad, "budget (URL)"), bad).toThrow(
        expect.objectContaining({
          code: "E_PARAM",
          message: expect.stringMatching(
            /^invalid budget \(URL\): .* \(expected a number of bytes, or of KiB, MiB or GiB, e\.g\. 512MiB\)$/,
          ),
        }),
      );
    }
  });
});

describe("inputs read later (a report whose steps never read them)", () => {
  it("opens without them; reading them early is E_PARAM, then they are the eager read's", async () => {
    const base = input();
    const random = mulberry32(5);
    const images = Float32Array.from({ length: N * 3 * 3 }, () => random());
    const zipped = zipBundle({ ...base, inputs: { shape: [N, 3, 3], data: images } });
    const eager = await openBundle(zipSource(new Blob([zipped]), "e.zip"));
    // The inputs' file is held back until `release`.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const source = zipSource(new Blob([zipped]), "b.zip");
    const held = {
      ...source,
      read: async (path: string) => {
        if (path === eager.manifest.inputs) await gate;
        return source.read(path);
      },
    };
    let chosen: unknown = null;
    const bundle: Awaited<ReturnType<typeof openBundle>> & InputsLater = await openBundle(held, {
      digest: "deferred",
      inputs: (manifest) => {
        chosen = manifest.inputs;
        return "later";
      },
    });
    expect(chosen).toBe(eager.manifest.inputs);
    const early = expect.objectContaining({
      code: "E_PARAM",
      message: expect.stringMatching(/not read yet/),
    });
    expect(() => bundle.inputs).toThrow(early);
    const reading = bundle.readInputs!();
    expect(bundle.readInputs!()).toBe(reading);
    await Promise.resolve();
    expect(() => bundle.inputs).toThrow(early); // its file is still held back
    release();
    await reading;
    expect(bundle.inputs!.shape).toEqual([N, 3, 3]);
    expect(bundle.inputs!.data).toEqual(eager.inputs!.data);
    expect(await bundle.digest).toBe(eager.sha256);
    // Unread when the choice is false, as with `inputs: false`.
    const none = await openBundle(zipSource(new Blob([zipped]), "n.zip"), { inputs: () => false });
    expect(none.inputs).toBeUndefined();
  });
});
