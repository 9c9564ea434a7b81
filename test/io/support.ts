// Shared helpers for the io tests: fixture bytes, the values make.py recorded, and error capture.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { HiddenAtlasError, type ErrorCode } from "../../src/core/errors.ts";
import type { Bundle } from "../../src/io/bundle.ts";

export const FIXTURES = fileURLToPath(new URL("../fixtures/io/", import.meta.url));

/** The bytes of a fixture file, by path relative to test/fixtures/io. */
export function fixture(path: string): Uint8Array {
  return new Uint8Array(readFileSync(FIXTURES + path));
}

/** test/fixtures/io/expected.json, written by make.py. */
export const expected: any = JSON.parse(readFileSync(FIXTURES + "expected.json", "utf8"));

/** expected.json values as numbers ("nan", "inf", "-inf" stand for what JSON cannot hold). */
export function numbers(values: (number | string)[]): number[] {
  return values.map((v) =>
    v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : Number(v),
  );
}

/** Exact element-wise comparison (NaN equals NaN, -0 differs from 0). */
export function expectValues(actual: ArrayLike<number>, values: (number | string)[]): void {
  expect(Array.from(actual)).toEqual(numbers(values));
}

/** Run `fn`, expecting a HiddenAtlasError with `code` whose message matches `pattern`. */
export function expectError(fn: () => unknown, code: ErrorCode, pattern: RegExp): HiddenAtlasError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(HiddenAtlasError);
  const error = caught as HiddenAtlasError;
  expect(error.message).toMatch(pattern);
  expect(error.code).toBe(code);
  return error;
}

/** The async form of `expectError`. */
export async function expectRejection(
  promise: Promise<unknown>,
  code: ErrorCode,
  pattern: RegExp,
): Promise<HiddenAtlasError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(HiddenAtlasError);
  expect((error as HiddenAtlasError).message).toMatch(pattern);
  expect((error as HiddenAtlasError).code).toBe(code);
  return error as HiddenAtlasError;
}

/** An .npy file with the given header text (padded as NumPy does) and data bytes. */
export function npyWithHeader(
  header: string,
  data: ArrayLike<number> = [],
  version = 1,
): Uint8Array {
  const lengthBytes = version === 1 ? 2 : 4;
  const unpadded = header.length + 1;
  const padding = 64 - ((8 + lengthBytes + unpadded) % 64);
  const text = new TextEncoder().encode(header + " ".repeat(padding) + "\n");
  const out = new Uint8Array(8 + lengthBytes + text.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, text.length, true);
  else view.setUint32(8, text.length, true);
  out.set(text, 8 + lengthBytes);
  out.set(data, 8 + lengthBytes + text.length);
  return out;
}

/** The fixture bundle folder as path -> bytes. */
export function fixtureBundleFiles(): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const walk = (dir: string) => {
    for (const name of readdirSync(FIXTURES + "bundle/" + dir).sort()) {
      const path = dir + name;
      if (statSync(FIXTURES + "bundle/" + path).isDirectory()) walk(path + "/");
      else files.set(path, fixture("bundle/" + path));
    }
  };
  walk("");
  return files;
}

/** What every correct load of the fixture bundle contains. */
export function expectFixtureBundle(bundle: Bundle): void {
  const want = expected.bundle;
  expect(bundle.name).toBe("fixture-bundle");
  expect(bundle.task).toBe("classification");
  expect(bundle.samples).toBe(6);
  expect(bundle.classNames).toEqual(["zero", "one", "two"]);
  expect(bundle.layers.map((l) => [l.name, l.kind, l.shape, l.file])).toEqual([
    ["dense", "dense", [6, 4], "layers/dense.npy"],
    ["conv", "conv", [6, 2, 3, 3], "layers/conv.npy"],
  ]);
  expectValues(bundle.layers[0].data, want["layers/dense.npy"].values);
  expectValues(bundle.layers[1].data, want["layers/conv.npy"].values);
  expect(bundle.labels).toEqual(new Int32Array([0, 1, 2, 0, 1, 2]));
  expect(bundle.split).toEqual(new Uint8Array([0, 0, 0, 0, 1, 1]));
  expect(bundle.predictions).toMatchObject({ rows: 6, cols: 3 });
  expectValues(bundle.predictions!.data, want["predictions.npy"].values);
  expect(bundle.inputs!.shape).toEqual([6, 4, 4]);
  expectValues(bundle.inputs!.data, want["inputs.npy"].values);
  expect(bundle.checkpoints!.map((c) => c.epoch)).toEqual([0, 1]);
  expectValues(bundle.checkpoints![1].layers[0].data, want["checkpoints/epoch-1/dense.npy"].values);
  expect(bundle.targets).toBeUndefined();
  expect(bundle.meta).toEqual({ accuracy: 0.5 });
}
