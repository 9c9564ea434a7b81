/**
 * safetensors files (library reader: no command reads them on their own) intact, cut,
 * bit-flipped and with headers that lie. The expectation is a reading written here from the
 * format's description (huggingface/safetensors docs "Format" and its validation rules: sizes
 * match dtype × shape, offsets tile the data exactly, header ≤ 100,000,000 bytes, starts with
 * "{"), apart from the library's reader.
 */
import { writeSafetensors } from "../../../src/io/safetensors.ts";
import { float16BitsToNumber } from "../../../src/io/float16.ts";
import { gaussian, randomInt, rng, seedOf, write } from "../data.ts";
import type { Case, Check, Prepared } from "../types.ts";
import { concat } from "../zipcraft.ts";
import { json } from "./common.ts";

const SIZES: Record<string, number> = {
  F16: 2,
  BF16: 2,
  F32: 4,
  F64: 8,
  I8: 1,
  I16: 2,
  I32: 4,
  I64: 8,
  U8: 1,
  U16: 2,
  U32: 4,
  U64: 8,
  BOOL: 1,
};

interface Expected {
  name: string;
  count: number;
  sum: number;
  nonFinite: number;
}

/** The reference reading: the tensors' sums, or why the file must be refused. */
export function referenceSafetensors(bytes: Uint8Array): Expected[] | string {
  if (bytes.length < 8) return "shorter than the header length";
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n > 100_000_000) return "header too large";
  if (8 + n > bytes.length) return "header past the end";
  let header: any;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n));
    if (!text.startsWith("{")) return "header does not start with {";
    header = JSON.parse(text);
  } catch (error) {
    return `header is not UTF-8 JSON: ${(error as Error).message}`;
  }
  if (typeof header !== "object" || header === null || Array.isArray(header))
    return "header is not an object";
  const dataLength = bytes.length - 8 - n;
  const slots: { name: string; dtype: string; count: number; begin: number; end: number }[] = [];
  for (const [name, info] of Object.entries<any>(header)) {
    if (name === "__metadata__") {
      if (
        typeof info !== "object" ||
        info === null ||
        Array.isArray(info) ||
        !Object.values(info).every((v) => typeof v === "string")
      )
        return "metadata is not a map of strings";
      continue;
    }
    if (typeof info !== "object" || info === null || Array.isArray(info))
      return `${name} is not an object`;
    const { dtype, shape, data_offsets: offsets } = info;
    if (!(typeof dtype === "string" && dtype in SIZES)) return `${name}: dtype ${dtype}`;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      return `${name}: shape`;
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((d) => Number.isSafeInteger(d) && d >= 0) ||
      offsets[0] > offsets[1]
    )
      return `${name}: offsets`;
    const count = shape.reduce((a: number, b: number) => a * b, 1);
    if (count * SIZES[dtype] !== offsets[1] - offsets[0])
      return `${name}: ${offsets[1] - offsets[0]} bytes for ${count} × ${SIZES[dtype]}`;
    slots.push({ name, dtype, count, begin: offsets[0], end: offsets[1] });
  }
  slots.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const s of slots) {
    if (s.begin !== at) return "offsets do not tile the data";
    at = s.end;
  }
  if (at !== dataLength) return `offsets end at ${at}, the data at ${dataLength}`;
  return slots.map((s) => {
    let sum = 0;
    let nonFinite = 0;
    for (let i = 0; i < s.count; i++) {
      const p = 8 + n + s.begin + i * SIZES[s.dtype];
      const v =
        s.dtype === "F32"
          ? view.getFloat32(p, true)
          : s.dtype === "F64"
            ? view.getFloat64(p, true)
            : s.dtype === "F16"
              ? float16BitsToNumber(view.getUint16(p, true))
              : s.dtype === "BF16"
                ? new Float32Array(new Uint32Array([view.getUint16(p, true) << 16]).buffer)[0]
                : s.dtype === "I64"
                  ? Number(view.getBigInt64(p, true))
                  : s.dtype === "U64"
                    ? Number(view.getBigUint64(p, true))
                    : s.dtype === "I32"
                      ? view.getInt32(p, true)
                      : s.dtype === "U32"
                        ? view.getUint32(p, true)
                        : s.dtype === "I16"
                          ? view.getInt16(p, true)
                          : s.dtype === "U16"
                            ? view.getUint16(p, true)
                            : s.dtype === "I8"
                              ? view.getInt8(p)
                              : // A bool is true for any non-zero byte (NumPy and PyTorch read 2 and 255 as True, 1.0).
                                s.dtype === "BOOL"
                                ? view.getUint8(p) !== 0
                                  ? 1
                                  : 0
                                : view.getUint8(p);
      if (Number.isFinite(v)) sum += v;
      else nonFinite++;
    }
    return { name: s.name, count: s.count, sum, nonFinite };
  });
}

function check(bytes: Uint8Array): Check {
  return ({ result }) => {
    const expected = referenceSafetensors(bytes);
    if (typeof expected === "string")
      return `the reference refuses the file (${expected}) but it was read`;
    const got = json(result.stdout).tensors as Expected[];
    const byName = new Map(got.map((t) => [t.name, t]));
    if (got.length !== expected.length) return `${got.length} tensors, expected ${expected.length}`;
    for (const e of expected) {
      const g = byName.get(e.name);
      if (!g) return `tensor ${JSON.stringify(e.name)} missing`;
      if (g.count !== e.count || g.nonFinite !== e.nonFinite)
        return `tensor ${e.name}: ${g.count} values (${g.nonFinite} non-finite), expected ${e.count} (${e.nonFinite})`;
      if (Math.abs(g.sum - e.sum) > 1e-6 * Math.max(1, Math.abs(e.sum)))
        return `tensor ${e.name}: sum ${g.sum}, expected ${e.sum}`;
    }
    return null;
  };
}

function stCase(id: string, bytes: () => Uint8Array, expect: Prepared["expect"]): Case {
  return {
    id: `readers/safetensors/${id}`,
    family: "readers",
    prepare: (dir) => {
      const b = bytes();
      write(dir, "m.safetensors", b);
      return {
        mode: "api",
        argv: ["safetensors", "m.safetensors"],
        expect,
        names: ["m.safetensors"],
        check: check(b),
      };
    },
  };
}

/** A file with `header` (JSON text, padded to 8 bytes) and `data`. */
function withHeader(header: string, data: Uint8Array, lengthOverride?: bigint): Uint8Array {
  const text = new TextEncoder().encode(
    header + " ".repeat((8 - (new TextEncoder().encode(header).length % 8)) % 8),
  );
  const length = new Uint8Array(8);
  new DataView(length.buffer).setBigUint64(0, lengthOverride ?? BigInt(text.length), true);
  return concat([length, text, data]);
}

export function safetensorsCases(): Case[] {
  const a = gaussian(4, 3, 51);
  const base = writeSafetensors(
    {
      weight: { shape: [4, 3], data: a.data },
      half: { shape: [2, 3], data: a.data.slice(0, 6), dtype: "<f2" },
      brain: { shape: [3], data: a.data.slice(0, 3), dtype: "bfloat16" },
      steps: { shape: [2], data: Float64Array.of(3, 2 ** 40), dtype: "<i8" },
      mask: { shape: [5], data: Uint8Array.of(1, 0, 1, 1, 0), dtype: "|b1" },
    },
    { format: "pt", note: "<b>\u001b[2J</b>" },
  );
  const headerLength = Number(new DataView(base.buffer).getBigUint64(0, true));
  const cases: Case[] = [stCase("intact", () => base, "ok")];
  const random = rng(seedOf("readers/safetensors"));
  for (let t = 0; t < 12; t++) {
    const cut = t < 3 ? [0, 7, 8 + headerLength][t] : randomInt(random, base.length);
    cases.push(stCase(`truncated-at-${cut}`, () => base.slice(0, cut), "error"));
  }
  const flipped = new Set<string>();
  for (let f = 0; f < 20; f++) {
    let at: number;
    let bit: number;
    do {
      at =
        f < 14
          ? randomInt(random, 8 + headerLength)
          : 8 + headerLength + randomInt(random, base.length - 8 - headerLength);
      bit = randomInt(random, 8);
    } while (flipped.has(`${at}.${bit}`));
    flipped.add(`${at}.${bit}`);
    cases.push(
      stCase(
        `bit-${at}.${bit}`,
        () => {
          const b = base.slice();
          b[at] ^= 1 << bit;
          return b;
        },
        "either",
      ),
    );
  }
  const data12 = new Uint8Array(new Float32Array(a.data).buffer);
  const t = (info: string) => `{"w":${info}}`;
  const headers: [string, string, Uint8Array, Prepared["expect"], bigint?][] = [
    ["length-zero", "{}", data12, "error", 0n],
    ["length-2^64-1", "{}", data12, "error", 2n ** 64n - 1n],
    ["length-2^53", "{}", data12, "error", 2n ** 53n],
    [
      "length-past-end",
      t(`{"dtype":"F32","shape":[4,3],"data_offsets":[0,48]}`),
      data12,
      "error",
      10_000n,
    ],
    ["not-json", '{"w":', data12, "error"],
    ["array", "[]", data12, "error"],
    [
      "leading-space",
      ` ${t(`{"dtype":"F32","shape":[4,3],"data_offsets":[0,48]}`)}`,
      data12,
      "either",
    ],
    ["empty-object-with-data", "{}", data12, "error"],
    ["empty-object-no-data", "{}", new Uint8Array(0), "ok"],
    ["dtype-unknown", t(`{"dtype":"F128","shape":[4,3],"data_offsets":[0,48]}`), data12, "error"],
    ["dtype-lowercase", t(`{"dtype":"f32","shape":[4,3],"data_offsets":[0,48]}`), data12, "error"],
    ["dtype-missing", t(`{"shape":[4,3],"data_offsets":[0,48]}`), data12, "error"],
    ["shape-too-big", t(`{"dtype":"F32","shape":[4,4],"data_offsets":[0,48]}`), data12, "error"],
    [
      "shape-huge",
      t(`{"dtype":"F32","shape":[1000000000000,1000000000000],"data_offsets":[0,48]}`),
      data12,
      "error",
    ],
    ["shape-negative", t(`{"dtype":"F32","shape":[-4,-3],"data_offsets":[0,48]}`), data12, "error"],
    ["shape-float", t(`{"dtype":"F32","shape":[4.0,3],"data_offsets":[0,48]}`), data12, "either"],
    [
      "shape-fraction",
      t(`{"dtype":"F32","shape":[2.5,4.8],"data_offsets":[0,48]}`),
      data12,
      "error",
    ],
    ["shape-string", t(`{"dtype":"F32","shape":"4,3","data_offsets":[0,48]}`), data12, "error"],
    [
      "shape-scalar",
      t(`{"dtype":"F32","shape":[],"data_offsets":[0,4]}`),
      data12.slice(0, 4),
      "ok",
    ],
    [
      "shape-zero",
      t(`{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]}`),
      new Uint8Array(0),
      "ok",
    ],
    ["offsets-reversed", t(`{"dtype":"F32","shape":[4,3],"data_offsets":[48,0]}`), data12, "error"],
    [
      "offsets-past-end",
      t(`{"dtype":"F32","shape":[4,3],"data_offsets":[100,148]}`),
      data12,
      "error",
    ],
    [
      "offsets-2^60",
      t(`{"dtype":"F32","shape":[4,3],"data_offsets":[1152921504606846976,1152921504606847024]}`),
      data12,
      "error",
    ],
    ["offsets-three", t(`{"dtype":"F32","shape":[4,3],"data_offsets":[0,24,48]}`), data12, "error"],
    [
      "offsets-strings",
      t(`{"dtype":"F32","shape":[4,3],"data_offsets":["0","48"]}`),
      data12,
      "error",
    ],
    [
      "gap-between",
      `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[16,24]}}`,
      data12.slice(0, 24),
      "error",
    ],
    [
      "overlap",
      `{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}`,
      data12.slice(0, 24),
      "error",
    ],
    [
      "same-bytes-twice",
      `{"a":{"dtype":"F32","shape":[12],"data_offsets":[0,48]},"b":{"dtype":"F32","shape":[12],"data_offsets":[0,48]}}`,
      data12,
      "error",
    ],
    [
      "same-bytes-100000-times",
      `{${Array.from({ length: 100_000 }, (_, i) => `"t${i}":{"dtype":"F32","shape":[12],"data_offsets":[0,48]}`).join(",")}}`,
      data12,
      "error",
    ],
    ["trailing-data", t(`{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}`), data12, "error"],
    [
      "metadata-number",
      `{"__metadata__":{"epoch":3},"w":{"dtype":"F32","shape":[4,3],"data_offsets":[0,48]}}`,
      data12,
      "error",
    ],
    [
      "metadata-nested",
      `{"__metadata__":{"a":{"b":"c"}},"w":{"dtype":"F32","shape":[4,3],"data_offsets":[0,48]}}`,
      data12,
      "error",
    ],
    [
      "metadata-array",
      `{"__metadata__":["a"],"w":{"dtype":"F32","shape":[4,3],"data_offsets":[0,48]}}`,
      data12,
      "error",
    ],
    [
      "proto-tensor",
      `{"__proto__":{"dtype":"F32","shape":[4,3],"data_offsets":[0,48]}}`,
      data12,
      "either",
    ],
    [
      "constructor-tensor",
      `{"constructor":{"dtype":"F32","shape":[4,3],"data_offsets":[0,48]}}`,
      data12,
      "ok",
    ],
    [
      "hostile-names",
      `{"<img src=x onerror=alert(1)>":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"\\u001b]0;x\\u0007":{"dtype":"F32","shape":[6],"data_offsets":[24,48]}}`,
      data12,
      "ok",
    ],
    [
      "extra-field",
      t(`{"dtype":"F32","shape":[4,3],"data_offsets":[0,48],"extra":1}`),
      data12,
      "either",
    ],
    [
      "duplicate-key",
      `{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[4,3],"data_offsets":[0,48]}}`,
      data12,
      "either",
    ],
    ["nested-100000", `{"w":${"[".repeat(100_000)}${"]".repeat(100_000)}}`, data12, "error"],
    [
      "invalid-utf8",
      t(`{"dtype":"F32","shape":[4,3],"data_offsets":[0,48]}`).replace("w", "\u00ff"),
      data12,
      "either",
    ],
    [
      "bf16-and-bool-values",
      `{"b":{"dtype":"BOOL","shape":[4],"data_offsets":[0,4]},"h":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]}}`,
      Uint8Array.of(1, 0, 2, 255, 0x80, 0x7f, 0xc0, 0x7f),
      "either",
    ],
    [
      "nan-values",
      t(`{"dtype":"F32","shape":[3],"data_offsets":[0,12]}`),
      new Uint8Array(new Float32Array([NaN, Infinity, 1]).buffer),
      "ok",
    ],
  ];
  for (const [id, header, data, expect, length] of headers)
    cases.push(stCase(`header/${id}`, () => withHeader(header, data, length), expect));
  return cases;
}
