// Seeded corruption of valid inputs: every reader must return a result or throw a
// HiddenAtlasError, never another exception, and must refuse gigantic claims without allocating.
import { describe, expect, it } from "vitest";
import { HiddenAtlasError } from "../../src/core/errors.ts";
import { loadBundle } from "../../src/io/bundle.ts";
import { readCsv, readCsvChunks } from "../../src/io/csv.ts";
import { readNpy } from "../../src/io/npy.ts";
import { readNpz } from "../../src/io/npz.ts";
import { readSafetensors } from "../../src/io/safetensors.ts";
import { npzSource, zipSource } from "../../src/io/sources.ts";
import { zipEntries } from "../../src/io/zip.ts";
import { mulberry32 } from "../helpers.ts";
import {
  expectError,
  expectRejection,
  fixture,
  fixtureBundleFiles,
  npyWithHeader,
} from "./support.ts";

const ITERATIONS = 2000;
const SEED = 20_240_601;
/** The whole fuzz run must stay well inside this (the brief's budget is ~20 s). */
const TIME_BUDGET_MS = 20_000;
const HUGE_DIMENSIONS = [2 ** 31, 2 ** 40, 2 ** 53, 2 ** 63, 10 ** 30];

type Random = () => number;
const int = (random: Random, n: number) => Math.floor(random() * n);
const randomBytes = (random: Random, n: number) =>
  Uint8Array.from({ length: n }, () => int(random, 256));

interface Target {
  kind: string;
  inputs: Uint8Array[];
  parse(bytes: Uint8Array): unknown;
  /** Overwrite the bytes that say how long the header or directory is. */
  editLength(bytes: Uint8Array, random: Random): Uint8Array;
  /** Claim a gigantic shape or size. */
  claimHuge(bytes: Uint8Array, random: Random): Uint8Array;
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const encode = (s: string) => new TextEncoder().encode(s);

function setLength(bytes: Uint8Array, at: number, width: 2 | 4 | 8, random: Random): Uint8Array {
  const copy = bytes.slice();
  const view = new DataView(copy.buffer);
  if (at + width > copy.length) return copy;
  const current = width === 2 ? view.getUint16(at, true) : view.getUint32(at, true);
  const value =
    random() < 0.5 ? current + int(random, 17) - 8 : int(random, 2 ** (8 * Math.min(width, 4)));
  if (width === 2) view.setUint16(at, Math.max(0, Math.min(0xffff, value)), true);
  else view.setUint32(at, Math.max(0, Math.min(0xffffffff, value)), true);
  if (width === 8 && random() < 0.3) view.setUint32(at + 4, int(random, 2 ** 32), true);
  return copy;
}

/** Rewrite an .npy header's shape with a huge dimension, keeping its data. */
function hugeNpy(bytes: Uint8Array, random: Random): Uint8Array {
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint16(8, true);
  const header = text(bytes.subarray(10, 10 + headerLength)).trim();
  const dims = Array.from(
    { length: 1 + int(random, 3) },
    () => HUGE_DIMENSIONS[int(random, HUGE_DIMENSIONS.length)],
  );
  const shape = `(${dims.map((d) => BigInt(Math.round(d)).toString()).join(", ")},)`;
  return npyWithHeader(
    header.replace(/'shape': \([^)]*\)/, `'shape': ${shape}`),
    bytes.subarray(10 + headerLength),
  );
}

/** The EOCD record's central-directory size, offset and entry counts are length fields. */
function editZipDirectory(bytes: Uint8Array, random: Random): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = bytes.length - 22;
  while (eocd > 0 && view.getUint32(eocd, true) !== 0x06054b50) eocd--;
  const fields: [number, 2 | 4][] = [
    [8, 2],
    [10, 2],
    [12, 4],
    [16, 4],
  ];
  const [offset, width] = fields[int(random, fields.length)];
  return setLength(bytes, eocd + offset, width, random);
}

const npyInputs = [
  fixture("npy/save/f4.npy"),
  fixture("npy/grid/f2-be-F-v1.npy"),
  fixture("npy/grid/i8-le-C-v1.npy"),
  fixture("npy/special/fortran-3d.npy"),
];
const bundleFilesMap = fixtureBundleFiles();

const targets: Target[] = [
  {
    kind: "npy",
    inputs: npyInputs,
    parse: (bytes) => readNpy(bytes, "fuzz.npy"),
    editLength: (bytes, random) => setLength(bytes, 8, 2, random),
    claimHuge: hugeNpy,
  },
  {
    kind: "npz",
    inputs: [fixture("npz/stored.npz"), fixture("npz/compressed.npz")],
    parse: (bytes) => readNpz(bytes, "fuzz.npz"),
    editLength: editZipDirectory,
    claimHuge: (_, random) =>
      zipEntries([["a.npy", hugeNpy(npyInputs[0], random)]], { compress: random() < 0.5 }),
  },
  {
    kind: "safetensors",
    inputs: [fixture("safetensors/all.safetensors"), fixture("safetensors/unaligned.safetensors")],
    parse: (bytes) => readSafetensors(bytes, "fuzz.safetensors"),
    editLength: (bytes, random) => setLength(bytes, 0, 8, random),
    claimHuge: (bytes, random) => {
      const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
      const header = text(bytes.subarray(8, 8 + length));
      const huge = HUGE_DIMENSIONS[int(random, HUGE_DIMENSIONS.length)];
      const json = encode(
        header.replace(/"shape":\[[^\]]*\]/, `"shape":[${huge},${int(random, 9)}]`),
      );
      const out = new Uint8Array(8 + json.length + bytes.length - 8 - length);
      new DataView(out.buffer).setUint32(0, json.length, true);
      out.set(json, 8);
      out.set(bytes.subarray(8 + length), 8 + json.length);
      return out;
    },
  },
  {
    kind: "csv",
    inputs: [fixture("csv/savetxt.csv"), fixture("csv/quoted-crlf.csv"), fixture("csv/plain.tsv")],
    parse: (bytes) => readCsv(text(bytes), { name: "fuzz.csv" }),
    editLength: (bytes, random) => bytes.subarray(0, int(random, bytes.length + 1)),
    claimHuge: (bytes, random) => encode(text(bytes) + `${"9".repeat(1 + int(random, 400))},1,2\n`),
  },
  {
    // The same bytes cut at seeded places: chunk boundaries must not change the outcome.
    kind: "csv in chunks",
    inputs: [fixture("csv/savetxt.csv"), fixture("csv/quoted-crlf.csv"), fixture("csv/plain.tsv")],
    parse: (bytes) => {
      const cuts = [
        0,
        ...Array.from(
          { length: 4 },
          (_, i) => (bytes[i % bytes.length] * 7919 + i * 131) % (bytes.length + 1),
        ).sort((a, b) => a - b),
        bytes.length,
      ];
      return readCsvChunks(
        cuts.slice(1).map((end, i) => bytes.subarray(cuts[i], end)),
        { name: "fuzz.csv" },
      );
    },
    editLength: (bytes, random) => bytes.subarray(0, int(random, bytes.length + 1)),
    claimHuge: (bytes, random) => encode(text(bytes) + `${"9".repeat(1 + int(random, 400))},1,2\n`),
  },
  {
    // Opened lazily from a Blob (the browser's path), hashed, and every layer streamed.
    kind: "lazy bundle",
    inputs: [fixture("bundle.zip"), zipEntries(bundleFilesMap, { compress: true })],
    parse: async (bytes) => {
      // Imported here: loading the wasm-backed modules at file load slows the timed tests above.
      const [{ openBundle }, { layerMatrix }] = await Promise.all([
        import("../../src/io/digest.ts"),
        import("../../src/algo/vectorize.ts"),
      ]);
      const bundle = await openBundle(zipSource(new Blob([bytes]), "fuzz.zip"));
      for (const layer of bundle.layers) await layerMatrix(layer, { method: "top-l2" });
    },
    editLength: editZipDirectory,
    claimHuge: (_, random) => {
      const files = new Map(bundleFilesMap);
      files.set("layers/conv.npy", hugeNpy(files.get("layers/conv.npy")!, random));
      return zipEntries(files, { compress: random() < 0.5 });
    },
  },
  {
    kind: "bundle",
    inputs: [fixture("bundle.zip"), zipEntries(bundleFilesMap), fixture("activations.npz")],
    parse: (bytes) =>
      loadBundle(
        (bytes[0] ^ bytes[1]) & 1 ? zipSource(bytes, "fuzz.zip") : npzSource(bytes, "fuzz.npz"),
      ),
    editLength: editZipDirectory,
    claimHuge: (_, random) => {
      const files = new Map(bundleFilesMap);
      const manifest = JSON.parse(text(files.get("manifest.json")!));
      const huge = HUGE_DIMENSIONS[int(random, HUGE_DIMENSIONS.length)];
      if (random() < 0.5) {
        manifest.samples = huge;
        manifest.layers[0].shape[0] = huge;
      } else {
        files.set("layers/dense.npy", hugeNpy(files.get("layers/dense.npy")!, random));
      }
      files.set("manifest.json", encode(JSON.stringify(manifest)));
      return zipEntries(files, { compress: random() < 0.5 });
    },
  },
];

/** One random corruption of `bytes`. */
function mutate(target: Target, bytes: Uint8Array, random: Random): Uint8Array {
  const at = () => int(random, bytes.length + 1);
  switch (int(random, 6)) {
    case 0: {
      const copy = bytes.slice();
      for (let k = 1 + int(random, 8); k > 0; k--)
        copy[int(random, copy.length)] ^= 1 << int(random, 8);
      return copy;
    }
    case 1: {
      const copy = bytes.slice();
      copy.set(
        randomBytes(random, Math.min(1 + int(random, 16), copy.length)),
        int(random, Math.max(1, copy.length - 16)),
      );
      return copy;
    }
    case 2:
      return bytes.slice(0, at());
    case 3: {
      const where = at();
      const inserted = randomBytes(random, 1 + int(random, 16));
      return Uint8Array.from([...bytes.subarray(0, where), ...inserted, ...bytes.subarray(where)]);
    }
    case 4:
      return target.editLength(bytes, random);
    default:
      return target.claimHuge(bytes, random);
  }
}

// The timed refusals run first, before the fuzz loop leaves garbage for the collector.
describe("gigantic claims are refused without allocating", () => {
  /** Fast enough that nothing of the claimed size can have been allocated or touched. */
  const NO_ALLOCATION_MS = 50;

  it("readNpy refuses shape (2**40,) with E_TOO_LARGE at once", () => {
    const started = performance.now();
    const error = expectError(
      () =>
        readNpy(
          npyWithHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776,), }"),
          "g.npy",
        ),
      "E_TOO_LARGE",
      /g\.npy: shape \(1099511627776,\) needs 4\.0 TiB/,
    );
    expect(error.details.bytesNeeded).toBe(2 ** 42);
    expect(performance.now() - started).toBeLessThan(NO_ALLOCATION_MS);
  });

  it("readNpz refuses an entry claiming shape (2**40,) with E_TOO_LARGE at once", () => {
    const npz = zipEntries(
      [
        [
          "g.npy",
          npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776,), }"),
        ],
      ],
      { compress: true },
    );
    const started = performance.now();
    expectError(
      () => readNpz(npz, "g.npz"),
      "E_TOO_LARGE",
      /g\.npz\/g\.npy: shape \(1099511627776,\)/,
    );
    expect(performance.now() - started).toBeLessThan(NO_ALLOCATION_MS);
  });

  it("loadBundle refuses a layer claiming shape (2**40, 4) with E_TOO_LARGE at once", async () => {
    const files = new Map(bundleFilesMap);
    const big = 2 ** 40;
    const manifest = JSON.parse(text(files.get("manifest.json")!));
    manifest.samples = big;
    const checkpointLayers = manifest.checkpoints.flatMap((c: { layers: unknown[] }) => c.layers);
    for (const layer of [...manifest.layers, ...checkpointLayers]) layer.shape[0] = big;
    files.set("manifest.json", encode(JSON.stringify(manifest)));
    files.set(
      "layers/dense.npy",
      npyWithHeader(`{'descr': '<f4', 'fortran_order': False, 'shape': (${big}, 4), }`),
    );
    const started = performance.now();
    await expectRejection(
      loadBundle(zipSource(zipEntries(files), "g.zip")),
      "E_TOO_LARGE",
      /g\.zip\/layers\/dense\.npy: shape \(1099511627776, 4\) needs 16\.0 TiB/,
    );
    expect(performance.now() - started).toBeLessThan(NO_ALLOCATION_MS * 4);
  });
});

describe("fuzzing the readers", () => {
  it(
    `${ITERATIONS} seeded corruptions of valid inputs each give a result or a HiddenAtlasError`,
    async () => {
      const random = mulberry32(SEED);
      const started = performance.now();
      const outcomes: Record<string, Record<string, number>> = {};
      for (let i = 0; i < ITERATIONS; i++) {
        const target = targets[i % targets.length];
        const input = target.inputs[int(random, target.inputs.length)];
        const bytes = mutate(target, input, random);
        let outcome = "ok";
        try {
          await target.parse(bytes);
        } catch (error) {
          if (!(error instanceof HiddenAtlasError)) {
            const what = `iteration ${i} (${target.kind}) threw a non-HiddenAtlasError`;
            throw new Error(`${what}: ${String(error)}`, { cause: error });
          }
          outcome = error.code;
        }
        outcomes[target.kind] ??= {};
        outcomes[target.kind][outcome] = (outcomes[target.kind][outcome] ?? 0) + 1;
      }
      const elapsed = performance.now() - started;
      expect(elapsed).toBeLessThan(TIME_BUDGET_MS);
      // Every kind saw both survivors and refusals, and the huge claims were refused as such.
      for (const { kind } of targets) {
        expect(outcomes[kind].ok ?? 0, kind).toBeGreaterThan(0);
        expect(Object.keys(outcomes[kind]).length, kind).toBeGreaterThan(1);
      }
      for (const kind of ["npy", "npz", "safetensors", "bundle"]) {
        expect(outcomes[kind].E_TOO_LARGE, kind).toBeGreaterThan(0);
      }
    },
    TIME_BUDGET_MS + 5_000,
  );
});
