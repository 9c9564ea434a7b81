/**
 * Element types shared by the .npy and safetensors codecs: parsing a NumPy descr, decoding raw
 * bytes into the typed array that holds them without loss, and encoding typed arrays back to
 * little-endian bytes.
 *
 * Mapping on read: f2 and bfloat16 widen to Float32Array (exact); f4, f8, i1, i2, i4, u1, u2, u4
 * keep their own typed array; i8 and u8 become Float64Array, exact up to 2^53 in magnitude and
 * refused beyond (a BigInt64Array would not flow into any analysis); b1 becomes 0/1 bytes.
 */
import { HiddenAtlasError } from "../core/errors.ts";
import {
  bfloat16BitsToNumber,
  float16BitsToNumber,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
} from "./float16.ts";
import type { TypedArray } from "./ndarray.ts";

/** Kinds we read: float, signed int, unsigned int, bool, and bfloat16 (safetensors only). */
export type ElementKind = "f" | "i" | "u" | "b" | "bf";

export interface ElementType {
  /** Normalised descr, e.g. "<f4", "|u1", ">i8", "bfloat16". */
  descr: string;
  kind: ElementKind;
  itemsize: number;
  littleEndian: boolean;
}

/** The descr NumPy-less formats use for bfloat16. */
export const BFLOAT16_DESCR = "bfloat16";

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Kind + itemsize pairs we read, e.g. "f4". */
const SUPPORTED = new Set(["f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "b1"]);

/** Why each refused NumPy kind is refused, for the message. */
const REFUSED_KINDS: Record<string, string> = {
  O: "object arrays hold pickled Python objects, which are never unpickled",
  U: "unicode strings are not numbers",
  S: "byte strings are not numbers",
  a: "byte strings are not numbers",
  c: "complex numbers are not read",
  V: "raw void records are not read",
  M: "datetimes are not read",
  m: "timedeltas are not read",
};

const DESCR_PATTERN = /^([<>|=]?)([A-Za-z])(\d*)(.*)$/;

/** 2^53 / 2^32: int64 values whose high word is beyond this are not exact as float64. */
const SAFE_HIGH_WORD = 2 ** 21;

/** Parse a NumPy descr string such as "<f4"; refuse every dtype we do not read with E_DTYPE. */
export function parseDescr(descr: string, file: string): ElementType {
  const match = DESCR_PATTERN.exec(descr);
  const hint = "save a numeric array instead, e.g. arr.astype(np.float32)";
  if (match === null) {
    throw new HiddenAtlasError(
      "E_DTYPE",
      `${file}: dtype '${descr}' is not a NumPy dtype; ${hint}`,
      { file, dtype: descr },
    );
  }
  const [, order, kind, digits, rest] = match;
  if (kind in REFUSED_KINDS) {
    throw new HiddenAtlasError(
      "E_DTYPE",
      `${file}: dtype '${descr}' is not supported: ${REFUSED_KINDS[kind]}; ${hint}`,
      { file, dtype: descr },
    );
  }
  if (rest !== "" || !SUPPORTED.has(kind + digits)) {
    throw new HiddenAtlasError(
      "E_DTYPE",
      `${file}: dtype '${descr}' is not supported (expected float16/32/64, int8-64, ` +
        `uint8-64 or bool); ${hint}`,
      { file, dtype: descr },
    );
  }
  const itemsize = Number(digits);
  const littleEndian = order !== ">";
  const prefix = itemsize === 1 ? "|" : littleEndian ? "<" : ">";
  return { descr: prefix + kind + digits, kind: kind as ElementKind, itemsize, littleEndian };
}

/** The element type of bfloat16 (always little-endian in safetensors). */
export const BFLOAT16: ElementType = {
  descr: BFLOAT16_DESCR,
  kind: "bf",
  itemsize: 2,
  littleEndian: true,
};

/**
 * Decode `count` elements starting at byte `start` of `bytes` into a fresh typed array in host
 * byte order. The caller has checked that the bytes are there.
 */
export function decodeElements(
  bytes: Uint8Array,
  start: number,
  count: number,
  type: ElementType,
  file: string,
): TypedArray {
  // A copy, so the result is aligned whatever the offset and does not alias the input.
  // (Uint8Array's slice, not Buffer's: Node's Buffer#slice returns a view of a shared pool.)
  const raw = Uint8Array.prototype.slice.call(bytes, start, start + count * type.itemsize);
  if (type.itemsize > 1 && type.littleEndian !== HOST_LITTLE_ENDIAN) swapBytes(raw, type.itemsize);
  const buffer = raw.buffer;
  switch (type.kind + type.itemsize) {
    case "f2":
      return widenHalf(new Uint16Array(buffer), float16BitsToNumber);
    case "bf2":
      return widenHalf(new Uint16Array(buffer), bfloat16BitsToNumber);
    case "f4":
      return new Float32Array(buffer);
    case "f8":
      return new Float64Array(buffer);
    case "i1":
      return new Int8Array(buffer);
    case "i2":
      return new Int16Array(buffer);
    case "i4":
      return new Int32Array(buffer);
    case "u2":
      return new Uint16Array(buffer);
    case "u4":
      return new Uint32Array(buffer);
    case "i8":
    case "u8":
      return int64ToFloat64(new Uint32Array(buffer), type.kind === "i", file);
    case "b1":
      for (let i = 0; i < raw.length; i++) raw[i] = raw[i] === 0 ? 0 : 1;
      return raw;
    default:
      return raw; // "u1"
  }
}

function swapBytes(raw: Uint8Array, itemsize: number): void {
  for (let at = 0; at < raw.length; at += itemsize) {
    for (let i = 0, j = itemsize - 1; i < j; i++, j--) {
      const t = raw[at + i];
      raw[at + i] = raw[at + j];
      raw[at + j] = t;
    }
  }
}

function widenHalf(bits: Uint16Array, decode: (bits: number) => number): Float32Array {
  const out = new Float32Array(bits.length);
  if (decode === float16BitsToNumber) {
    const table = float16Table();
    for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]];
  } else {
    for (let i = 0; i < bits.length; i++) out[i] = decode(bits[i]);
  }
  return out;
}

let float16Values: Float32Array | undefined;

/** Every float16 bit pattern's value (256 KiB, built once): decoding is one lookup. */
function float16Table(): Float32Array {
  if (float16Values === undefined) {
    float16Values = new Float32Array(1 << 16);
    for (let bits = 0; bits < 1 << 16; bits++) float16Values[bits] = float16BitsToNumber(bits);
  }
  return float16Values;
}

/**
 * Decode `count` elements starting at byte `start` of `bytes` into `out` (from index 0) as
 * float32: the form every analysis works on. Integers and bools convert exactly up to 2^24;
 * int64 values beyond 2^53 are refused as in `decodeElements`. `out` must hold `count` values.
 */
export function decodeToFloat32(
  bytes: Uint8Array,
  start: number,
  count: number,
  type: ElementType,
  out: Float32Array,
  file: string,
): void {
  const byteLength = count * type.itemsize;
  const native = type.itemsize === 1 || type.littleEndian === HOST_LITTLE_ENDIAN;
  if (type.kind === "f" && type.itemsize === 4 && native) {
    new Uint8Array(out.buffer, out.byteOffset, byteLength).set(
      bytes.subarray(start, start + byteLength),
    );
    return;
  }
  if (type.kind === "f" && type.itemsize === 2 && native && (bytes.byteOffset + start) % 2 === 0) {
    const bits = new Uint16Array(bytes.buffer, bytes.byteOffset + start, count);
    const table = float16Table();
    for (let i = 0; i < count; i++) out[i] = table[bits[i]];
    return;
  }
  out.set(decodeElements(bytes, start, count, type, file) as ArrayLike<number>);
}

/** int64/uint64 words (host order) to float64, refusing any value beyond ±2^53. */
function int64ToFloat64(words: Uint32Array, signed: boolean, file: string): Float64Array {
  const lowAt = HOST_LITTLE_ENDIAN ? 0 : 1;
  const out = new Float64Array(words.length / 2);
  for (let i = 0; i < out.length; i++) {
    const low = words[2 * i + lowAt];
    const high = signed ? words[2 * i + 1 - lowAt] | 0 : words[2 * i + 1 - lowAt];
    const exact =
      (high >= -SAFE_HIGH_WORD && high < SAFE_HIGH_WORD) || (high === SAFE_HIGH_WORD && low === 0);
    if (!exact) {
      const value = (BigInt(high) << 32n) + BigInt(low);
      throw new HiddenAtlasError(
        "E_DTYPE",
        `${file}: ${signed ? "int64" : "uint64"} value ${value} at flat index ${i} exceeds 2^53 ` +
          `in magnitude and cannot be held exactly as a float64`,
        { file, index: i },
      );
    }
    out[i] = high * 2 ** 32 + low;
  }
  return out;
}

/** The descr each typed array is written as by default, and the alternatives it allows. */
const ENCODINGS: [new (n: number) => TypedArray, string, string[]][] = [
  [Float32Array, "<f4", ["<f2", BFLOAT16_DESCR]],
  [Float64Array, "<f8", ["<i8", "<u8"]],
  [Int8Array, "|i1", []],
  [Uint8Array, "|u1", ["|b1"]],
  [Int16Array, "<i2", []],
  [Uint16Array, "<u2", []],
  [Int32Array, "<i4", []],
  [Uint32Array, "<u4", []],
];

/**
 * Encode `data` as little-endian bytes. `dtype` chooses the encoding (its byte-order character
 * is ignored: output is always little-endian): Float32Array may be written as "<f4", "<f2"
 * (float16, rounded to nearest even) or "bfloat16"; Float64Array as "<f8", or as "<i8"/"<u8"
 * when its values are integers (how int64 files are read, so they write back); Uint8Array as
 * "|u1" or "|b1"; every other typed array only as itself. `what` names the array in errors.
 */
export function encodeElements(
  data: TypedArray,
  dtype: string | undefined,
  what: string,
): { descr: string; bytes: Uint8Array } {
  const encoding = ENCODINGS.find(([type]) => data instanceof type);
  if (encoding === undefined) {
    throw new HiddenAtlasError("E_DTYPE", `${what}: data must be a numeric typed array`, {
      name: what,
    });
  }
  const [, natural, alternatives] = encoding;
  const wanted = dtype === undefined ? natural : normaliseRequested(dtype);
  if (wanted !== natural && !alternatives.includes(wanted)) {
    throw new HiddenAtlasError(
      "E_DTYPE",
      `${what}: cannot write ${data.constructor.name} as '${dtype}' ` +
        `(expected ${[natural, ...alternatives].map((d) => `'${d}'`).join(" or ")})`,
      { name: what, dtype },
    );
  }
  if (wanted === "<f2" || wanted === BFLOAT16_DESCR) {
    const encode = wanted === "<f2" ? float32ToFloat16Bits : float32ToBfloat16Bits;
    const bits = new Uint16Array(data.length);
    for (let i = 0; i < data.length; i++) bits[i] = encode(data[i]);
    return { descr: wanted, bytes: toLittleEndianBytes(bits, 2) };
  }
  if (wanted === "<i8" || wanted === "<u8") {
    return { descr: wanted, bytes: encodeInt64(data as Float64Array, wanted === "<i8", what) };
  }
  if (wanted === "|b1") {
    return { descr: wanted, bytes: (data as Uint8Array).map((v) => (v === 0 ? 0 : 1)) };
  }
  return { descr: natural, bytes: toLittleEndianBytes(data, data.BYTES_PER_ELEMENT) };
}

/** Integer-valued float64 as int64/uint64 little-endian; E_DTYPE for any other value. */
function encodeInt64(data: Float64Array, signed: boolean, what: string): Uint8Array {
  const bytes = new Uint8Array(data.length * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i++) {
    const value = data[i];
    const exact = Number.isSafeInteger(value) || Math.abs(value) === 2 ** 53;
    if (!exact || (!signed && value < 0)) {
      throw new HiddenAtlasError(
        "E_DTYPE",
        `${what}: value ${value} at flat index ${i} is not an ${signed ? "int64" : "uint64"} ` +
          `within 2^53`,
        { name: what, index: i },
      );
    }
    if (signed) view.setBigInt64(i * 8, BigInt(value), true);
    else view.setBigUint64(i * 8, BigInt(value), true);
  }
  return bytes;
}

/** "<f4", ">f4", "=f4" and "f4" all ask for float32; 1-byte kinds take "|". */
function normaliseRequested(dtype: string): string {
  if (dtype === BFLOAT16_DESCR) return dtype;
  const body = /^[<>|=]/.test(dtype) ? dtype.slice(1) : dtype;
  return (body.endsWith("1") ? "|" : "<") + body;
}

function toLittleEndianBytes(data: TypedArray, itemsize: number): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  if (itemsize > 1 && !HOST_LITTLE_ENDIAN) swapBytes(bytes, itemsize);
  return bytes;
}
