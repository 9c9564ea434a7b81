import { describe, expect, it } from "vitest";
import { readSafetensors, writeSafetensors } from "../../src/io/safetensors.ts";
import { expectError, expectValues, expected, fixture } from "./support.ts";

/** A safetensors file from a header object and data bytes (no padding). */
function craft(
  header: unknown,
  data: ArrayLike<number> = [],
  headerText = JSON.stringify(header),
): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const DESCR: Record<string, string> = {
  F16: "<f2",
  BF16: "bfloat16",
  F32: "<f4",
  F64: "<f8",
  I8: "|i1",
  I16: "<i2",
  I32: "<i4",
  I64: "<i8",
  U8: "|u1",
  U16: "<u2",
  U32: "<u4",
  U64: "<u8",
  BOOL: "|b1",
};

describe("readSafetensors", () => {
  it("reads every dtype of the fixture with its shape and exact values, in data order", () => {
    const { tensors, metadata } = readSafetensors(
      fixture("safetensors/all.safetensors"),
      "all.safetensors",
    );
    const want = expected.safetensors.all;
    expect([...tensors.keys()]).toEqual(Object.keys(want));
    for (const [name, tensor] of tensors) {
      expect(tensor.shape).toEqual(want[name].shape);
      expect(tensor.dtype).toBe(DESCR[want[name].dtype]);
      expectValues(tensor.data, want[name].values);
    }
    expect(tensors.get("bf16.weight")!.data).toBeInstanceOf(Float32Array);
    expect(tensors.get("i64.weight")!.data).toBeInstanceOf(Float64Array);
    expect(metadata).toEqual(expected.safetensors.metadata);
  });

  it("copies tensors whose data start at an unaligned offset", () => {
    const { tensors } = readSafetensors(fixture("safetensors/unaligned.safetensors"));
    expectValues(tensors.get("x")!.data, expected.safetensors.unaligned);
  });

  it("orders tensors by their data offsets, not by the header's key order", () => {
    const bytes = craft(
      {
        "2": { dtype: "U8", shape: [1], data_offsets: [1, 2] },
        "1": { dtype: "U8", shape: [1], data_offsets: [0, 1] },
      },
      [10, 20],
    );
    expect([...readSafetensors(bytes).tensors].map(([k, t]) => [k, t.data[0]])).toEqual([
      ["1", 10],
      ["2", 20],
    ]);
  });

  it("returns empty metadata when the header has none", () => {
    expect(readSafetensors(craft({})).metadata).toEqual({});
  });
});

describe("writeSafetensors", () => {
  it("writes the fixture's own bytes back from what readSafetensors returned", () => {
    // The fixture follows the safetensors writer's layout: compact JSON, metadata first,
    // tensors packed in order, header padded with spaces to a multiple of 8.
    const bytes = fixture("safetensors/all.safetensors");
    const { tensors, metadata } = readSafetensors(bytes);
    expect(writeSafetensors(tensors, metadata)).toEqual(bytes);
  });

  it("writes F16, BF16 and BOOL on request and pads the header to 8 bytes", () => {
    const bytes = writeSafetensors({
      half: { shape: [2], data: new Float32Array([1.5, 65504]), dtype: "<f2" },
      brain: { shape: [1], data: new Float32Array([-3.140625]), dtype: "bfloat16" },
      flags: { shape: [2], data: new Uint8Array([0, 9]), dtype: "|b1" },
    });
    const headerLength = new DataView(bytes.buffer).getUint32(0, true);
    expect((8 + headerLength) % 8).toBe(0);
    const { tensors } = readSafetensors(bytes);
    expect(tensors.get("half")).toEqual({
      shape: [2],
      dtype: "<f2",
      data: new Float32Array([1.5, 65504]),
    });
    expect(tensors.get("brain")).toEqual({
      shape: [1],
      dtype: "bfloat16",
      data: new Float32Array([-3.140625]),
    });
    expect(tensors.get("flags")).toEqual({
      shape: [2],
      dtype: "|b1",
      data: new Uint8Array([0, 1]),
    });
  });

  it("writeSafetensors refuses data that do not fill the shape and the reserved name", () => {
    expectError(
      () => writeSafetensors({ w: { shape: [3], data: new Float32Array(2) } }),
      "E_SHAPE_MISMATCH",
      /tensor 'w': 2 values do not fill shape \(3,\)/,
    );
    expectError(
      () => writeSafetensors({ __metadata__: { shape: [1], data: new Float32Array(1) } }),
      "E_SAFETENSORS",
      /'__metadata__' is reserved/,
    );
  });
});

describe("readSafetensors errors", () => {
  const f32 = (shape: number[], offsets: number[]) => ({
    w: { dtype: "F32", shape, data_offsets: offsets },
  });

  it("refuses a file shorter than the header length with E_TRUNCATED", () => {
    expectError(
      () => readSafetensors(new Uint8Array(5), "m.st"),
      "E_TRUNCATED",
      /m\.st: the 8-byte header length is cut short/,
    );
  });

  it("refuses a header length beyond the end of the file with E_TRUNCATED", () => {
    const bytes = craft({});
    new DataView(bytes.buffer).setUint32(4, 1, true);
    expectError(
      () => readSafetensors(bytes, "m.st"),
      "E_TRUNCATED",
      /the header announces 4294967298 bytes, but the file ends after 10 bytes/,
    );
  });

  it.each([
    ["invalid JSON", craft(null, [], "{nope"), /the header is not valid JSON \(/],
    ["a JSON array", craft([]), /the header must be a JSON object/],
    [
      "non-string metadata",
      craft({ __metadata__: { a: 1 } }),
      /'__metadata__' must map strings to strings/,
    ],
    ["a tensor that is not an object", craft({ w: 3 }), /tensor 'w' must be an object/],
    [
      "a missing dtype",
      craft({ w: { shape: [], data_offsets: [0, 0] } }),
      /tensor 'w': 'dtype' must be a string/,
    ],
    [
      "a negative dimension",
      craft(f32([-1], [0, 0])),
      /'shape' must be an array of non-negative integers/,
    ],
    [
      "a fractional dimension",
      craft(f32([1.5], [0, 0])),
      /'shape' must be an array of non-negative integers/,
    ],
    [
      "offsets that run backwards",
      craft(f32([1], [4, 0]), new Uint8Array(4)),
      /'data_offsets' must be \[begin, end\] with end >= begin/,
    ],
    [
      "offsets of the wrong length",
      craft(f32([3], [0, 8]), new Uint8Array(12)),
      /tensor 'w' spans 8 bytes but shape \(3,\) of F32 needs 12/,
    ],
    ["bytes that are not UTF-8", craft(null, [], "").fill(0xff, 8), /not valid JSON/],
    [
      "a brace followed by bytes that are not UTF-8",
      craft(null, [], "{    ").fill(0xff, 9),
      /the header is not valid JSON \(/,
    ],
    [
      "a header with a leading space (the format requires '{' first)",
      craft(null, [], ' {"w":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}'),
      /the header must begin with "\{" \(it begins with byte 0x20\)/,
    ],
  ])("refuses %s with E_SAFETENSORS", (_, bytes, pattern) => {
    expectError(() => readSafetensors(bytes, "m.st"), "E_SAFETENSORS", pattern);
  });

  it("refuses an unknown dtype with E_DTYPE naming the tensor", () => {
    const bytes = craft({ w: { dtype: "F8_E4M3", shape: [1], data_offsets: [0, 1] } }, [0]);
    expectError(
      () => readSafetensors(bytes, "m.st"),
      "E_DTYPE",
      /m\.st: tensor 'w' has dtype F8_E4M3, which is not read \(expected one of F16, BF16/,
    );
  });

  it("refuses an int64 beyond 2^53 with E_DTYPE naming the tensor", () => {
    const data = new Uint8Array(8);
    new DataView(data.buffer).setBigInt64(0, 2n ** 53n + 1n, true);
    const bytes = craft({ w: { dtype: "I64", shape: [1], data_offsets: [0, 8] } }, data);
    expectError(
      () => readSafetensors(bytes, "m.st"),
      "E_DTYPE",
      /m\.st: tensor 'w': int64 value 9007199254740993/,
    );
  });

  it("refuses data offsets past the end of the file with E_TRUNCATED", () => {
    expectError(
      () => readSafetensors(craft(f32([3], [0, 12]), new Uint8Array(8)), "m.st"),
      "E_TRUNCATED",
      /tensor 'w' ends at data byte 12, but the file ends after/,
    );
  });

  it("refuses a gigantic shape with E_TOO_LARGE before allocating", () => {
    const error = expectError(
      () => readSafetensors(craft(f32([2 ** 40], [0, 2 ** 42])), "m.st"),
      "E_TOO_LARGE",
      /m\.st: tensor 'w' of shape \(1099511627776,\) needs 4\.0 TiB/,
    );
    expect(error.details.bytesNeeded).toBe(2 ** 42);
  });

  it("refuses many tensors aliasing the same bytes when together they exceed the budget", () => {
    const n = 3_000_000;
    const header: Record<string, unknown> = {};
    for (let i = 0; i < 200; i++) {
      header[`t${i}`] = { dtype: "U8", shape: [n], data_offsets: [0, n] };
    }
    expectError(
      () => readSafetensors(craft(header, new Uint8Array(n)), "alias.st"),
      "E_TOO_LARGE",
      /alias\.st: all tensors together needs 2\.2 GiB/,
    );
  });
});

describe("readSafetensors data offsets (huggingface/safetensors Metadata::validate)", () => {
  const u8 = (offsets: number[], shape = [offsets[1] - offsets[0]]) => ({
    dtype: "U8",
    shape,
    data_offsets: offsets,
  });

  it.each([
    [
      "overlapping offsets",
      { a: u8([0, 4]), b: u8([2, 6]) },
      6,
      /tensor 'b' starts at data byte 2, expected 4: its bytes overlap those of tensor 'a', which ends at 4 \(data offsets must tile the data buffer\)/,
    ],
    [
      "two tensors naming the same bytes",
      { a: u8([0, 4]), b: u8([0, 4]) },
      4,
      /tensor 'b' starts at data byte 0, expected 4: its bytes overlap those of tensor 'a'/,
    ],
    [
      "a gap between tensors",
      { a: u8([0, 2]), b: u8([4, 6]) },
      6,
      /tensor 'b' starts at data byte 4, expected 2: data bytes 2-4 belong to no tensor/,
    ],
    [
      "a gap before the first tensor",
      { a: u8([3, 5]) },
      5,
      /tensor 'a' starts at data byte 3, expected 0/,
    ],
    [
      "bytes after the last tensor",
      { a: u8([0, 2]) },
      5,
      /the tensors' data end at byte 2 but the file holds 5 data bytes after the header/,
    ],
  ])("refuses %s with E_SAFETENSORS", (_, header, dataBytes, pattern) => {
    expectError(
      () => readSafetensors(craft(header, new Uint8Array(dataBytes)), "m.st"),
      "E_SAFETENSORS",
      pattern,
    );
  });

  it("accepts empty tensors at a shared offset, as the reference does, and sorts by (begin, end)", () => {
    const bytes = craft(
      { b: u8([0, 2]), e1: u8([0, 0], [0]), c: u8([2, 3]), e2: u8([2, 2], [2, 0]) },
      [7, 8, 9],
    );
    const { tensors } = readSafetensors(bytes);
    expect([...tensors.keys()]).toEqual(["e1", "b", "e2", "c"]);
    expect(Array.from(tensors.get("c")!.data)).toEqual([9]);
  });

  it("refuses a header longer than the reference's 100,000,000-byte limit", () => {
    const big = craft({});
    new DataView(big.buffer).setUint32(0, 100_000_001, true);
    expectError(() => readSafetensors(big, "m.st"), "E_TRUNCATED", /announces 100000001 bytes/);
    const padded = new Uint8Array(8 + 100_000_001);
    new DataView(padded.buffer).setUint32(0, 100_000_001, true);
    expectError(
      () => readSafetensors(padded, "m.st"),
      "E_SAFETENSORS",
      /the header announces 100000001 bytes, more than the 100000000 allowed/,
    );
  });
});
