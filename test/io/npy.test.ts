import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readNpy, readNpyHeader, writeNpy } from "../../src/io/npy.ts";
import {
  FIXTURES,
  expectError,
  expectValues,
  expected,
  fixture,
  npyWithHeader,
} from "./support.ts";

const gridFiles = readdirSync(FIXTURES + "npy/grid").sort();

/** The typed array each dtype code is read into. */
const READ_AS: Record<string, string> = {
  f2: "Float32Array",
  f4: "Float32Array",
  f8: "Float64Array",
  i1: "Int8Array",
  i2: "Int16Array",
  i4: "Int32Array",
  i8: "Float64Array",
  u1: "Uint8Array",
  u2: "Uint16Array",
  u4: "Uint32Array",
  u8: "Float64Array",
  b1: "Uint8Array",
};

describe("readNpy on NumPy's files", () => {
  it("finds the whole grid of dtype x byte order x memory order x version", () => {
    expect(gridFiles).toHaveLength(126);
  });

  it.each(gridFiles)("readNpy(%s) gives NumPy's values in C order", (file) => {
    const [code, order, layout, version] = file.replace(".npy", "").split("-");
    const bytes = fixture(`npy/grid/${file}`);
    const header = readNpyHeader(bytes, file);
    expect(header.version).toBe(Number(version.slice(1)));
    expect(header.fortranOrder).toBe(layout === "F");
    const arr = readNpy(bytes, file);
    const prefix = order === "na" ? "|" : order === "le" ? "<" : ">";
    expect(arr.dtype).toBe(prefix + code);
    expect(arr.shape).toEqual(expected.grid[code].shape);
    expect(arr.data.constructor.name).toBe(READ_AS[code]);
    expectValues(arr.data, expected.grid[code].values);
  });

  it("readNpy reorders a 3-d Fortran-order array into C order", () => {
    const arr = readNpy(fixture("npy/special/fortran-3d.npy"));
    expect(arr.shape).toEqual([2, 3, 4]);
    expectValues(
      arr.data,
      Array.from({ length: 24 }, (_, i) => i),
    );
  });

  it("readNpy transposes Fortran data quickly whatever the number of unit axes", () => {
    const shape = [3, ...new Array<number>(5000).fill(1), 2];
    const header = `{'descr': '<i1', 'fortran_order': True, 'shape': (${shape.join(", ")}), }`;
    const arr = readNpy(npyWithHeader(header, [1, 2, 3, 4, 5, 6]));
    expect(arr.shape).toEqual(shape);
    expect(arr.data).toEqual(new Int8Array([1, 4, 2, 5, 3, 6]));
  });

  it("readNpy reads a 0-d array and an empty array", () => {
    const scalar = readNpy(fixture("npy/special/scalar.npy"));
    expect(scalar).toEqual({ shape: [], dtype: "<f8", data: new Float64Array([3.5]) });
    const empty = readNpy(fixture("npy/special/empty.npy"));
    expect(empty).toEqual({ shape: [0, 3], dtype: "<f4", data: new Float32Array(0) });
  });

  it("readNpy ignores bytes after the data, as numpy.load does", () => {
    const bytes = fixture("npy/save/u1.npy");
    const longer = new Uint8Array(bytes.length + 5);
    longer.set(bytes);
    expectValues(readNpy(longer).data, [0, 1, 128, 255]);
  });

  it("readNpy reads from a view at an odd offset of a larger buffer", () => {
    const bytes = fixture("npy/save/f8.npy");
    const host = new Uint8Array(bytes.length + 3);
    host.set(bytes, 3);
    expectValues(readNpy(host.subarray(3)).data, expected.save.f8.values);
  });
});

describe("readNpy refuses what it must not read", () => {
  it.each([
    ["object.npy", /'\|O' is not supported: object arrays hold pickled Python objects/],
    ["unicode.npy", /'<U2' is not supported: unicode strings/],
    ["bytes.npy", /'\|S2' is not supported: byte strings/],
    ["complex.npy", /'<c8' is not supported: complex numbers/],
    ["structured.npy", /structured dtype \(record fields\) is not supported/],
    ["datetime.npy", /'<M8\[D\]' is not supported: datetimes/],
    ["longdouble.npy", /'<f16' is not supported \(expected float16\/32\/64/],
  ])("readNpy(%s) throws E_DTYPE naming the file and the dtype", (file, pattern) => {
    const error = expectError(
      () => readNpy(fixture(`npy/refuse/${file}`), file),
      "E_DTYPE",
      pattern,
    );
    expect(error.message.startsWith(`${file}: `)).toBe(true);
  });

  it.each([
    ["i8-overflow.npy", /int64 value 9007199254740993 at flat index 1 exceeds 2\^53/],
    ["i8-negative-overflow.npy", /int64 value -9007199254740993 at flat index 0 exceeds 2\^53/],
    ["u8-overflow.npy", /uint64 value 18446744073709551615 at flat index 0 exceeds 2\^53/],
  ])("readNpy(%s) throws E_DTYPE for an integer beyond 2^53", (file, pattern) => {
    expectError(() => readNpy(fixture(`npy/special/${file}`), file), "E_DTYPE", pattern);
  });
});

describe("readNpy header errors", () => {
  const header = (shape: string, descr = "<f4", fortran = "False") =>
    `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;

  it("readNpy refuses a file without the magic", () => {
    expectError(
      () => readNpy(new TextEncoder().encode("PK\x03\x04 hello"), "x.npy"),
      "E_NPY_HEADER",
      /x\.npy: not an \.npy file/,
    );
  });

  it("readNpy refuses an unknown format version", () => {
    const bytes = npyWithHeader(header("(1,)"), [0, 0, 0, 0]);
    bytes[6] = 4;
    expectError(
      () => readNpy(bytes, "x.npy"),
      "E_NPY_HEADER",
      /unsupported \.npy format version 4\.0/,
    );
  });

  it("readNpy reports a header cut short as E_TRUNCATED", () => {
    const bytes = npyWithHeader(header("(1,)"));
    expectError(
      () => readNpy(bytes.subarray(0, 9), "x.npy"),
      "E_TRUNCATED",
      /ends inside the header: 10 bytes expected, 9 found/,
    );
    expectError(
      () => readNpy(bytes.subarray(0, 40), "x.npy"),
      "E_TRUNCATED",
      /ends inside the header: 128 bytes expected, 40 found/,
    );
  });

  it("readNpy reports missing data as E_TRUNCATED with the byte counts", () => {
    const error = expectError(
      () => readNpy(npyWithHeader(header("(3, 4)"), new Uint8Array(40)), "x.npy"),
      "E_TRUNCATED",
      /x\.npy: the header announces 48 data bytes \(shape \(3, 4\), <f4\) but the file holds 40/,
    );
    expect(error.details).toMatchObject({ expected: 48, found: 40 });
  });

  it("readNpy refuses a gigantic shape with E_TOO_LARGE before allocating", () => {
    const started = performance.now();
    const error = expectError(
      () => readNpy(npyWithHeader(header(`(${2 ** 40},)`)), "huge.npy"),
      "E_TOO_LARGE",
      /huge\.npy: shape \(1099511627776,\) needs 4\.0 TiB \(4398046511104 bytes\) as float32/,
    );
    expect(error.details.bytesNeeded).toBe(2 ** 42);
    expect(performance.now() - started).toBeLessThan(50);
  });

  it("readNpy says when the element count is beyond 2^53", () => {
    expectError(
      () => readNpy(npyWithHeader(header("(4294967296, 4294967296, 4)")), "x.npy"),
      "E_TOO_LARGE",
      /more than 2\^53 bytes/,
    );
  });

  it("readNpy takes E_TOO_LARGE before E_TRUNCATED, and a zero dimension empties any shape", () => {
    expectError(
      () => readNpy(npyWithHeader(header("(1000000000,)")), "x.npy"),
      "E_TOO_LARGE",
      /needs 3\.7 GiB/,
    );
    expect(readNpy(npyWithHeader(header(`(${2 ** 60}, 0)`))).data).toHaveLength(0);
  });

  it.each([
    [
      "a negative dimension",
      header("(-1, 3)"),
      /'shape' must hold non-negative integers, found -1/,
    ],
    ["a float dimension", header("(2.5,)"), /floats are not allowed in a header at character/],
    ["a list for shape", header("[3]"), /'shape' must be a tuple/],
    ["a string dimension", header("('3',)"), /found 3/],
    [
      "a missing key",
      "{'descr': '<f4', 'shape': (1,)}",
      /exactly the keys descr, fortran_order, shape/,
    ],
    ["an extra key", header("(1,)").replace("}", "'x': 1}"), /exactly the keys/],
    [
      "a duplicate key",
      "{'descr': '<f4', 'descr': '<f4', 'shape': (), 'fortran_order': False}",
      /duplicate key 'descr'/,
    ],
    [
      "a non-bool fortran_order",
      header("(1,)", "<f4", "'yes'"),
      /'fortran_order' must be True or False/,
    ],
    ["an expression", "__import__('os').system('true')", /unexpected '_' at character 0/],
    ["text after the dict", header("(1,)") + " 1", /unexpected text after the header dict/],
    ["an unterminated string", "{'descr': '<f4", /unterminated string/],
    ["a non-string descr", header("(1,)").replace("'<f4'", "4"), /'descr' must be a dtype string/],
    ["a non-dict header", "(1, 2)", /expected a dict/],
    [
      "deep nesting",
      "{'descr': " + "(".repeat(40) + "1" + ")".repeat(40) + "}",
      /nesting deeper than 32/,
    ],
  ])("readNpy refuses %s with E_NPY_HEADER", (_, text, pattern) => {
    expectError(
      () => readNpy(npyWithHeader(text, new Uint8Array(64)), "bad.npy"),
      "E_NPY_HEADER",
      pattern,
    );
  });

  it("readNpy refuses a v3 header that is not UTF-8", () => {
    const bytes = npyWithHeader(header("(1,)"), [0, 0, 0, 0], 3);
    bytes[14] = 0xff;
    expectError(() => readNpy(bytes, "x.npy"), "E_NPY_HEADER", /v3 header must be valid UTF-8/);
  });

  it("readNpy reads a header from Python 2 NumPy (u'' strings, L suffixes, double quotes)", () => {
    const arr = readNpy(
      npyWithHeader(`{"descr": u'<i2', 'fortran_order': False, 'shape': (2L,)}`, [1, 0, 255, 255]),
    );
    expect(arr).toEqual({ shape: [2], dtype: "<i2", data: new Int16Array([1, -1]) });
  });

  it("readNpy treats '=' as little-endian and normalises a missing byte order", () => {
    expect(readNpy(npyWithHeader(header("(1,)", "=u2"), [1, 2])).dtype).toBe("<u2");
    expect(readNpy(npyWithHeader(header("(1,)", "u2"), [1, 2])).data).toEqual(
      new Uint16Array([0x0201]),
    );
    expect(readNpy(npyWithHeader(header("(1,)", "|i1"), [255])).dtype).toBe("|i1");
  });

  it("readNpy maps any nonzero bool byte to 1", () => {
    expect(readNpy(npyWithHeader(header("(3,)", "|b1"), [0, 2, 255])).data).toEqual(
      new Uint8Array([0, 1, 1]),
    );
  });
});

describe("writeNpy", () => {
  const saved = ["f4", "f8", "i4", "u1", "i1", "i2", "u2", "u4", "b1"];
  saved.push("scalar-f4", "empty-f4", "column-f4");
  it.each(saved)("writeNpy(readNpy(%s.npy)) is byte-identical to numpy.save", (key) => {
    const bytes = fixture(`npy/save/${key}.npy`);
    expect(writeNpy(readNpy(bytes))).toEqual(bytes);
  });

  it.each([
    ["f4", Float32Array],
    ["f8", Float64Array],
    ["i4", Int32Array],
    ["u1", Uint8Array],
  ] as const)("writeNpy of a fresh %s typed array is byte-identical to numpy.save", (key, Type) => {
    const { shape, values } = expected.save[key];
    expect(writeNpy({ shape, data: Type.from(values as number[]) })).toEqual(
      fixture(`npy/save/${key}.npy`),
    );
  });

  it("writeNpy with dtype '<f2' rounds float32 to float16 as astype(np.float16) does", () => {
    const { shape, float32 } = expected.save.f2;
    const bytes = writeNpy({ shape, data: Float32Array.from(float32 as number[]), dtype: "<f2" });
    expect(bytes).toEqual(fixture("npy/save/f2.npy"));
  });

  it("writeNpy round-trips every typed array it accepts", () => {
    const arrays = [
      new Float32Array([1.5, -0, NaN, Infinity]),
      new Float64Array([1e300, -5e-324, 0.1, 2]),
      new Int8Array([-128, 127, 0, 1]),
      new Uint8Array([0, 255, 7, 8]),
      new Int16Array([-32768, 32767, 0, 1]),
      new Uint16Array([0, 65535, 7, 8]),
      new Int32Array([-(2 ** 31), 2 ** 31 - 1, 0, 1]),
      new Uint32Array([0, 2 ** 32 - 1, 7, 8]),
    ];
    for (const data of arrays) {
      const back = readNpy(writeNpy({ shape: [2, 2], data }));
      expect(back.shape).toEqual([2, 2]);
      expect(back.data).toEqual(data);
    }
  });

  it("writeNpy writes '|b1' for a Uint8Array with that dtype", () => {
    const back = readNpy(writeNpy({ shape: [3], data: new Uint8Array([0, 5, 1]), dtype: "|b1" }));
    expect(back).toEqual({ shape: [3], dtype: "|b1", data: new Uint8Array([0, 1, 1]) });
  });

  it("writeNpy writes int64 and uint64 read as float64 back as themselves", () => {
    for (const file of ["i8-le-C-v1.npy", "u8-be-F-v2.npy"]) {
      const arr = readNpy(fixture(`npy/grid/${file}`));
      const back = readNpy(writeNpy(arr));
      expect(back).toEqual({ ...arr, dtype: arr.dtype.replace(">", "<") });
    }
    expect(writeNpy({ shape: [2], data: new Float64Array([1, -2]), dtype: "<i8" })).toEqual(
      writeNpy({ shape: [2], data: new Float64Array([1, -2]), dtype: "=i8" }),
    );
  });

  it("writeNpy refuses int64 output for values that are not integers within 2^53", () => {
    expectError(
      () => writeNpy({ shape: [2], data: new Float64Array([1, 0.5]), dtype: "<i8" }, "labels"),
      "E_DTYPE",
      /labels: value 0\.5 at flat index 1 is not an int64 within 2\^53/,
    );
    expectError(
      () => writeNpy({ shape: [1], data: new Float64Array([-1]), dtype: "<u8" }),
      "E_DTYPE",
      /is not an uint64/,
    );
    expectError(
      () => writeNpy({ shape: [1], data: new Float64Array([2 ** 54]), dtype: "<i8" }),
      "E_DTYPE",
      /not an int64/,
    );
  });

  it("writeNpy writes little-endian whatever byte order the dtype names", () => {
    const arr = readNpy(fixture("npy/grid/i4-be-C-v1.npy"));
    expect(readNpy(writeNpy(arr))).toEqual({ ...arr, dtype: "<i4" });
  });

  it("writeNpy switches to format 2.0 when the header outgrows 65535 bytes", () => {
    const shape = new Array<number>(30000).fill(1);
    const bytes = writeNpy({ shape, data: new Float32Array([7]) });
    expect(bytes[6]).toBe(2);
    expect(readNpyHeader(bytes).dataOffset % 64).toBe(0);
    expect(readNpy(bytes).shape).toEqual(shape);
  });

  it("writeNpy refuses data that do not fill the shape", () => {
    expectError(
      () => writeNpy({ shape: [2, 3], data: new Float32Array(5) }, "acts"),
      "E_SHAPE_MISMATCH",
      /acts: 5 values do not fill shape \(2, 3\) \(6 values\)/,
    );
    expectError(
      () => writeNpy({ shape: [-1], data: new Float32Array(0) }),
      "E_SHAPE_MISMATCH",
      /non-negative integers/,
    );
  });

  it("writeNpy refuses a dtype the data cannot be written as", () => {
    expectError(
      () => writeNpy({ shape: [1], data: new Float64Array(1), dtype: "<f2" }),
      "E_DTYPE",
      /cannot write Float64Array as '<f2' \(expected '<f8' or '<i8' or '<u8'\)/,
    );
    expectError(
      () => writeNpy({ shape: [1], data: new Float32Array(1), dtype: "bfloat16" }),
      "E_DTYPE",
      /NumPy has no bfloat16/,
    );
  });
});

describe("readNpy on Node Buffers", () => {
  it("reads a Buffer that is a view into a shared pool (Buffer#slice does not copy)", () => {
    const bytes = writeNpy({ shape: [3, 2], data: new Float32Array([1, 2, 3, 4, 5, 6]) });
    // Buffer.from(array) of a small size lands in Node's shared pool at a non-zero offset.
    const pooled = Buffer.concat([Buffer.from([9, 9, 9]), Buffer.from(bytes)]).subarray(3);
    expect(pooled.byteOffset).toBeGreaterThan(0);
    expect(Array.from(readNpy(pooled).data)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
