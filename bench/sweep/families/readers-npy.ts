/**
 * .npy files a stranger might hand over, read by `hidden-atlas knn FILE --k 1`: every dtype,
 * byte order, memory order and header version the README promises, then each of them
 * truncated, bit-flipped and extended; headers that lie; hostile paths. NumPy's reading of the
 * same bytes (oracle.py) is the expectation.
 */
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import type { Matrix } from "../../../src/core/matrix.ts";
import {
  f32Bytes,
  gaussian,
  npyArray,
  npyOf,
  randomInt,
  rawNpy,
  rng,
  seedOf,
  write,
} from "../data.ts";
import type { Case, Check, Prepared } from "../types.ts";
import { knnAgainst, npyKnnCheck } from "./common.ts";
import { mkfifoSync } from "./fifo.ts";

const ROWS = 12;
const COLS = 3;
const base = (): Matrix => gaussian(ROWS, COLS, 7);

/** Bytes of `values` in a NumPy dtype of 2, 4 or 8 bytes, either byte order. */
function encode(
  values: ArrayLike<number>,
  kind: "f" | "i",
  size: 2 | 4 | 8,
  little: boolean,
): Uint8Array {
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (kind === "f" && size === 8) view.setFloat64(i * size, v, little);
    else if (kind === "f" && size === 4) view.setFloat32(i * size, v, little);
    else if (kind === "i" && size === 8) view.setBigInt64(i * size, BigInt(Math.round(v)), little);
    else if (kind === "i" && size === 4) view.setInt32(i * size, Math.round(v), little);
    else if (kind === "i" && size === 2) view.setInt16(i * size, Math.round(v), little);
    else throw new Error("encode: unsupported");
  }
  return out;
}

const dict = (descr: string, shape: string, fortran = "False") =>
  `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;

/** Column-major copy of a row-major matrix. */
function transposed(m: Matrix): Float32Array {
  const out = new Float32Array(m.data.length);
  for (let i = 0; i < m.rows; i++)
    for (let j = 0; j < m.cols; j++) out[j * m.rows + i] = m.data[i * m.cols + j];
  return out;
}

/** The well-formed files every mutation starts from: name → bytes and the matrix they hold. */
function bases(): { name: string; bytes: Uint8Array; matrix: Matrix }[] {
  const m = base();
  const ints: Matrix = {
    rows: ROWS,
    cols: COLS,
    data: Float32Array.from(m.data, (v) => Math.round(v * 40)),
  };
  const bytesU8: Matrix = {
    rows: ROWS,
    cols: COLS,
    data: Float32Array.from(m.data, (v) => Math.round((v + 1.5) * 80)),
  };
  const bools: Matrix = {
    rows: ROWS,
    cols: COLS,
    data: Float32Array.from(m.data, (v) => (v > 0 ? 1 : 0)),
  };
  const f16: Matrix = {
    rows: ROWS,
    cols: COLS,
    data: Float32Array.from(m.data, (v) => Math.round(v * 1024) / 1024),
  };
  const shape = `(${ROWS}, ${COLS})`;
  return [
    { name: "f4", bytes: npyOf(m), matrix: m },
    { name: "f8", bytes: npyArray([ROWS, COLS], Float64Array.from(m.data)), matrix: m },
    { name: "f2", bytes: npyOf(f16, "<f2"), matrix: f16 },
    {
      name: "f8-big-endian",
      bytes: rawNpy(dict(">f8", shape), encode(m.data, "f", 8, false)),
      matrix: m,
    },
    {
      name: "i2-big-endian",
      bytes: rawNpy(dict(">i2", shape), encode(ints.data, "i", 2, false)),
      matrix: ints,
    },
    {
      name: "i8",
      bytes: npyArray([ROWS, COLS], Float64Array.from(ints.data), "<i8"),
      matrix: ints,
    },
    { name: "u1", bytes: npyArray([ROWS, COLS], Uint8Array.from(bytesU8.data)), matrix: bytesU8 },
    {
      name: "b1",
      bytes: npyArray([ROWS, COLS], Uint8Array.from(bools.data), "|b1"),
      matrix: bools,
    },
    {
      name: "fortran",
      bytes: rawNpy(dict("<f4", shape, "True"), f32Bytes(transposed(m))),
      matrix: m,
    },
    { name: "v2", bytes: rawNpy(dict("<f4", shape), f32Bytes(m.data), { version: 2 }), matrix: m },
    { name: "v3", bytes: rawNpy(dict("<f4", shape), f32Bytes(m.data), { version: 3 }), matrix: m },
    {
      name: "1d",
      bytes: npyArray([ROWS], m.data.slice(0, ROWS)),
      matrix: { rows: ROWS, cols: 1, data: m.data.slice(0, ROWS) },
    },
    {
      name: "3d",
      bytes: npyArray([ROWS / 2, 2, COLS], m.data),
      matrix: { rows: ROWS / 2, cols: 2 * COLS, data: m.data },
    },
  ];
}

function headerEnd(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  return bytes[6] === 1 ? 10 + view.getUint16(8, true) : 12 + view.getUint32(8, true);
}

/** A case reading `bytes` as FILE.npy with knn; `intended` is what a lenient reader may return. */
function knnCase(
  id: string,
  bytes: (dir: string) => Uint8Array,
  expect: Prepared["expect"],
  opts: { intended?: Matrix; codes?: string[]; file?: string; check?: Check } = {},
): Case {
  const file = opts.file ?? "x.npy";
  return {
    id,
    family: "readers",
    prepare: (dir) => {
      write(dir, file, bytes(dir));
      return {
        argv: ["knn", file, "--k", "1"],
        expect,
        codes: opts.codes,
        names: [file, "--k", "k:", "rows"],
        check: opts.check ?? npyKnnCheck(file, opts.intended),
      };
    },
  };
}

export function npyCases(): Case[] {
  const cases: Case[] = [];
  for (const b of bases()) {
    const id = `readers/npy/${b.name}`;
    cases.push(knnCase(`${id}/intact`, () => b.bytes, "ok", { check: knnAgainst(b.matrix) }));
    const end = headerEnd(b.bytes);
    const cuts = [
      0,
      1,
      6,
      8,
      9,
      10,
      end - 1,
      end,
      end + 1,
      Math.floor((end + b.bytes.length) / 2),
      b.bytes.length - 1,
    ];
    for (const cut of cuts)
      cases.push(
        knnCase(`${id}/truncated-at-${cut}`, () => b.bytes.slice(0, cut), "error", {
          codes: ["E_TRUNCATED", "E_NPY_HEADER"],
        }),
      );
    const random = rng(seedOf(id));
    const flipped = new Set<string>();
    for (let f = 0; f < 10; f++) {
      // Half the flips in the header, half in the data; each (byte, bit) once.
      let at: number;
      let bit: number;
      do {
        at = f < 5 ? randomInt(random, end) : end + randomInt(random, b.bytes.length - end);
        bit = randomInt(random, 8);
      } while (flipped.has(`${at}.${bit}`));
      flipped.add(`${at}.${bit}`);
      cases.push(
        knnCase(
          `${id}/bit-${at}.${bit}`,
          () => {
            const bytes = b.bytes.slice();
            bytes[at] ^= 1 << bit;
            return bytes;
          },
          "either",
          { intended: b.matrix },
        ),
      );
    }
    cases.push(
      knnCase(`${id}/one-byte-more`, () => Uint8Array.of(...b.bytes, 0), "either", {
        intended: b.matrix,
      }),
    );
  }
  const m = base();
  const data = f32Bytes(m.data);
  const shape = `(${ROWS}, ${COLS})`;
  // Headers that lie or are not what they seem. [name, bytes, expectation, intended reading]
  const lies: [string, () => Uint8Array, Prepared["expect"], Matrix?][] = [
    ["shape-one-row-more", () => rawNpy(dict("<f4", `(${ROWS + 1}, ${COLS})`), data), "error"],
    ["shape-one-row-less", () => rawNpy(dict("<f4", `(${ROWS - 1}, ${COLS})`), data), "either"],
    ["shape-flat", () => rawNpy(dict("<f4", `(${ROWS * COLS},)`), data), "either"],
    ["shape-negative", () => rawNpy(dict("<f4", `(-1, ${COLS})`), data), "error"],
    ["shape-huge", () => rawNpy(dict("<f4", "(1000000000000, 1000000000000)"), data), "error"],
    ["shape-2^63", () => rawNpy(dict("<f4", "(9223372036854775808, 1)"), data), "error"],
    [
      "shape-2^64-overflow",
      () => rawNpy(dict("<f4", "(4294967296, 4294967296, 0)"), new Uint8Array(0)),
      "error",
    ],
    ["shape-float", () => rawNpy(dict("<f4", `(${ROWS}, 3.0)`), data), "error"],
    ["shape-list", () => rawNpy(dict("<f4", `[${ROWS}, ${COLS}]`), data), "either", m],
    ["shape-hex", () => rawNpy(dict("<f4", `(0x0c, 3)`), data), "either", m],
    ["shape-true", () => rawNpy(dict("<f4", `(True, 3)`), data), "error"],
    ["shape-string", () => rawNpy(dict("<f4", `('12', 3)`), data), "error"],
    ["shape-scalar", () => rawNpy(dict("<f4", "()"), data.slice(0, 4)), "error"],
    ["shape-no-rows", () => rawNpy(dict("<f4", `(0, ${COLS})`), new Uint8Array(0)), "error"],
    ["shape-no-columns", () => rawNpy(dict("<f4", `(${ROWS}, 0)`), new Uint8Array(0)), "either"],
    [
      "shape-64-axes",
      () => rawNpy(dict("<f4", `(${ROWS}, ${COLS}${", 1".repeat(62)})`), data),
      "either",
      m,
    ],
    [
      "shape-nested-100000",
      () => rawNpy(dict("<f4", `${"(".repeat(100000)}${")".repeat(100000)}`), data),
      "error",
    ],
    ["shape-trailing-comma", () => rawNpy(dict("<f4", `(${ROWS}, ${COLS},)`), data), "either", m],
    ["descr-complex", () => rawNpy(dict("<c8", `(${ROWS}, 1)`), data.slice(0, ROWS * 8)), "error"],
    ["descr-object", () => rawNpy(dict("|O", shape), data), "error"],
    ["descr-unicode", () => rawNpy(dict("<U1", shape), new Uint8Array(ROWS * COLS * 4)), "error"],
    ["descr-bytes", () => rawNpy(dict("|S4", shape), data), "error"],
    ["descr-void", () => rawNpy(dict("|V4", shape), data), "error"],
    [
      "descr-datetime",
      () => rawNpy(dict("<M8[ns]", `(${ROWS}, 1)`), new Uint8Array(ROWS * 8)),
      "error",
    ],
    ["descr-f16", () => rawNpy(dict("<f16", `(${ROWS}, 1)`), new Uint8Array(ROWS * 16)), "error"],
    ["descr-name-float32", () => rawNpy(dict("float32", shape), data), "either", m],
    ["descr-native-order", () => rawNpy(dict("=f4", shape), data), "either", m],
    ["descr-trailing-space", () => rawNpy(dict("<f4 ", shape), data), "either", m],
    ["descr-empty", () => rawNpy(dict("", shape), data), "error"],
    [
      "descr-structured",
      () => rawNpy(`{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': ${shape}, }`, data),
      "error",
    ],
    [
      "descr-subarray",
      () => rawNpy(`{'descr': ('<f4', (3,)), 'fortran_order': False, 'shape': (${ROWS},), }`, data),
      "error",
    ],
    [
      "int64-beyond-2^53",
      () =>
        rawNpy(
          dict("<i8", "(3, 1)"),
          (() => {
            const b = new Uint8Array(24);
            const v = new DataView(b.buffer);
            v.setBigInt64(0, 2n ** 60n, true);
            v.setBigInt64(8, 1n, true);
            v.setBigInt64(16, -(2n ** 62n), true);
            return b;
          })(),
        ),
      "either",
    ],
    ["uint64-max", () => rawNpy(dict("<u8", "(2, 1)"), new Uint8Array(16).fill(0xff)), "either"],
    ["fortran-lowercase-true", () => rawNpy(dict("<f4", shape, "true"), data), "error"],
    ["fortran-int", () => rawNpy(dict("<f4", shape, "1"), data), "either", m],
    [
      "key-missing-shape",
      () => rawNpy(`{'descr': '<f4', 'fortran_order': False, }`, data),
      "error",
    ],
    [
      "key-extra",
      () =>
        rawNpy(`{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, 'extra': 1, }`, data),
      "either",
      m,
    ],
    [
      "key-proto",
      () =>
        rawNpy(
          `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, '__proto__': {'shape': (1, 1)}, }`,
          data,
        ),
      "either",
      m,
    ],
    [
      "key-constructor",
      () =>
        rawNpy(
          `{'constructor': 1, 'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`,
          data,
        ),
      "either",
      m,
    ],
    [
      "key-duplicate-shape",
      () =>
        rawNpy(
          `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1), 'shape': ${shape}, }`,
          data,
        ),
      "either",
      m,
    ],
    [
      "header-not-a-dict",
      () => rawNpy(`[('descr', '<f4'), ('fortran_order', False), ('shape', ${shape})]`, data),
      "error",
    ],
    [
      "header-expression",
      () =>
        rawNpy(
          `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, } or __import__('os').system('true')`,
          data,
        ),
      "error",
    ],
    ["header-arithmetic", () => rawNpy(dict("<f4", `(6 * 2, ${COLS})`), data), "error"],
    [
      "header-nul",
      () => rawNpy(dict("<f4", shape).replace("'shape'", "'sh\u0000ape'"), data),
      "error",
    ],
    [
      "header-latin1-byte",
      () => rawNpy(dict("<f4", shape).replace("'descr'", "'d\u00ffescr'"), data),
      "error",
    ],
    [
      "header-no-newline",
      () =>
        rawNpy(
          dict("<f4", shape) + " ".repeat(64 - ((10 + dict("<f4", shape).length) % 64)),
          data,
          { exact: true },
        ),
      "either",
      m,
    ],
    [
      "header-unpadded",
      () => rawNpy(dict("<f4", shape) + "\n", data, { exact: true }),
      "either",
      m,
    ],
    ["header-60k-spaces", () => rawNpy(dict("<f4", shape) + " ".repeat(60000), data), "either", m],
    [
      "header-length-zero",
      () => {
        const b = npyOf(m);
        b[8] = 0;
        b[9] = 0;
        return b;
      },
      "error",
    ],
    [
      "header-length-past-end",
      () => {
        const b = npyOf(m);
        b[8] = 0xff;
        b[9] = 0xff;
        return b;
      },
      "error",
    ],
    [
      "header-v2-length-4GiB",
      () => {
        const b = rawNpy(dict("<f4", shape), data, { version: 2 });
        b.set([0xff, 0xff, 0xff, 0xff], 8);
        return b;
      },
      "error",
    ],
    [
      "header-v3-bad-utf8",
      () => {
        const b = rawNpy(dict("<f4", shape).replace("'descr'", "'d~escr'"), data, { version: 3 });
        b[b.indexOf(0x7e)] = 0xc3;
        return b;
      },
      "error",
    ],
    [
      "magic-wrong",
      () => {
        const b = npyOf(m);
        b[5] = 0x58;
        return b;
      },
      "error",
    ],
    [
      "version-4",
      () => {
        const b = npyOf(m);
        b[6] = 4;
        return b;
      },
      "error",
    ],
    [
      "version-0",
      () => {
        const b = npyOf(m);
        b[6] = 0;
        return b;
      },
      "error",
    ],
    [
      "version-1.1",
      () => {
        const b = npyOf(m);
        b[7] = 1;
        return b;
      },
      "error",
    ],
    ["empty-file", () => new Uint8Array(0), "error"],
    ["magic-only", () => Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59), "error"],
    ["csv-text-as-npy", () => new TextEncoder().encode("1,2,3\n4,5,6\n"), "error"],
    ["zip-as-npy", () => Uint8Array.of(0x50, 0x4b, 0x03, 0x04, ...new Uint8Array(40)), "error"],
    ["nan", () => npyOf({ ...m, data: m.data.map((v, i) => (i === 7 ? NaN : v)) }), "error"],
    [
      "infinity",
      () => npyOf({ ...m, data: m.data.map((v, i) => (i === 4 ? -Infinity : v)) }),
      "error",
    ],
    [
      "f8-beyond-float32",
      () =>
        npyArray(
          [ROWS, COLS],
          Float64Array.from(m.data, (v, i) => (i === 5 ? 1e300 : v)),
        ),
      "either",
    ],
    [
      "f2-infinity",
      () =>
        npyArray(
          [ROWS, COLS],
          m.data.map((v, i) => (i === 3 ? Infinity : v)),
          "<f2",
        ),
      "error",
    ],
    [
      "negative-zero-and-subnormals",
      () => npyOf({ ...m, data: m.data.map((v, i) => (i % 3 === 0 ? -0 : v * 1e-40)) }),
      "either",
    ],
    [
      "float32-max",
      () =>
        npyOf({ ...m, data: m.data.map((v, i) => (i % 2 ? 3.4e38 : -3.4e38) * (v > 0 ? 1 : 0.5)) }),
      "either",
    ],
  ];
  for (const [name, bytes, expect, intended] of lies)
    cases.push(knnCase(`readers/npy-header/${name}`, bytes, expect, { intended }));
  return [...cases, ...pathCases()];
}

/** Paths a hostile user might pass: odd names, folders, FIFOs, endless devices, links. */
function pathCases(): Case[] {
  const m = base();
  const good = npyOf(m);
  const truncated = good.slice(0, 40);
  const simple = (
    name: string,
    file: string,
    bytes: Uint8Array,
    expect: Prepared["expect"],
    extra: Partial<Prepared> = {},
  ): Case => ({
    id: `readers/path/${name}`,
    family: "readers",
    prepare: (dir) => {
      write(dir, file, bytes);
      return { argv: ["knn", file, "--k", "1"], expect, check: knnAgainst(m), ...extra };
    },
  });
  return [
    simple("unicode-and-spaces", "äö ü 数据.npy", good, "ok"),
    simple("upper-case-extension", "X.NPY", good, "ok"),
    simple("escape-sequence-in-name", "x\u001b[2J\u001b]0;owned\u0007.npy", truncated, "error", {
      names: ["x\\x1b[2J"],
    }),
    simple("newline-in-name", "a\nb.npy", truncated, "error"),
    simple("c1-control-in-name", "c\u009b31m.npy", truncated, "error"),
    simple("leading-dash", "-x.npy", good, "either"),
    simple("no-extension", "data", good, "error", { codes: ["E_IO"], names: ["data"] }),
    simple("wrong-extension", "x.bin", good, "error", { codes: ["E_IO"], names: ["x.bin"] }),
    simple("npy-bytes-as-csv", "x.csv", good, "error", { codes: ["E_CSV"] }),
    {
      id: "readers/path/missing",
      family: "readers",
      prepare: () => ({
        argv: ["knn", "missing.npy", "--k", "1"],
        expect: "error",
        codes: ["E_IO"],
        names: ["missing.npy"],
      }),
    },
    {
      id: "readers/path/folder",
      family: "readers",
      prepare: (dir) => {
        mkdirSync(join(dir, "d.npy"));
        return {
          argv: ["knn", "d.npy", "--k", "1"],
          expect: "error",
          codes: ["E_IO"],
          names: ["d.npy"],
        };
      },
    },
    {
      id: "readers/path/fifo",
      family: "readers",
      prepare: (dir) => {
        mkfifoSync(join(dir, "f.npy"));
        return {
          argv: ["knn", "f.npy", "--k", "1"],
          expect: "error",
          codes: ["E_IO"],
          names: ["f.npy"],
          timeoutMs: 30_000,
        };
      },
    },
    {
      id: "readers/path/fifo-csv",
      family: "readers",
      prepare: (dir) => {
        mkfifoSync(join(dir, "f.csv"));
        return {
          argv: ["knn", "f.csv", "--k", "1"],
          expect: "error",
          codes: ["E_IO"],
          names: ["f.csv"],
          timeoutMs: 30_000,
        };
      },
    },
    {
      id: "readers/path/link-to-dev-zero",
      family: "readers",
      prepare: (dir) => {
        symlinkSync("/dev/zero", join(dir, "z.npy"));
        return {
          argv: ["knn", "z.npy", "--k", "1"],
          expect: "error",
          names: ["z.npy"],
          timeoutMs: 30_000,
        };
      },
    },
    {
      id: "readers/path/link-to-dev-urandom-csv",
      family: "readers",
      prepare: (dir) => {
        symlinkSync("/dev/urandom", join(dir, "r.csv"));
        return {
          argv: ["knn", "r.csv", "--k", "1"],
          expect: "error",
          names: ["r.csv"],
          timeoutMs: 30_000,
        };
      },
    },
    {
      id: "readers/path/link-loop",
      family: "readers",
      prepare: (dir) => {
        symlinkSync("l2.npy", join(dir, "l1.npy"));
        symlinkSync("l1.npy", join(dir, "l2.npy"));
        return {
          argv: ["knn", "l1.npy", "--k", "1"],
          expect: "error",
          codes: ["E_IO"],
          names: ["l1.npy"],
        };
      },
    },
    {
      id: "readers/path/very-long-path",
      family: "readers",
      prepare: () => ({
        argv: ["knn", `${"a/".repeat(3000)}x.npy`, "--k", "1"],
        expect: "error",
        codes: ["E_IO"],
      }),
    },
    {
      id: "readers/path/empty-argument",
      family: "readers",
      prepare: () => ({
        argv: ["knn", "", "--k", "1"],
        expect: "error",
        codes: ["E_IO", "E_USAGE"],
      }),
    },
  ];
}
