/**
 * safetensors files (huggingface/safetensors, docs "Format"): an 8-byte little-endian header
 * length, a JSON header mapping each tensor name to `{dtype, shape, data_offsets}` (offsets
 * relative to the first byte after the header) plus an optional `__metadata__` map of strings,
 * then the little-endian tensor bytes.
 *
 * Every size is checked before anything is allocated, including the sum over tensors (so a
 * small file naming the same bytes a million times is refused as too large before anything
 * else). Then, as the reference implementation (huggingface/safetensors, `Metadata::validate`
 * and `SafeTensors::deserialize`) requires, the tensors' data offsets, sorted, must tile the
 * data buffer exactly: each tensor starts where the previous one ends, the first at 0 and the
 * last ending at the end of the file. Overlapping or gapped offsets are refused, and so is a
 * header longer than its 100,000,000-byte limit.
 */
import { HiddenAtlasError } from "../core/errors.ts";
import { BFLOAT16, BFLOAT16_DESCR, decodeElements, encodeElements, parseDescr } from "./dtype.ts";
import type { ElementType } from "./dtype.ts";
import { assertWithinBudget, elementCount } from "./limits.ts";
import { formatShape, type NdArray, type NdArrayLike } from "./ndarray.ts";

export interface Safetensors {
  /** Tensors in the order of their data in the file. */
  tensors: Map<string, NdArray>;
  /** The header's `__metadata__` (empty when absent). */
  metadata: Record<string, string>;
}

const HEADER_LENGTH_BYTES = 8;
const METADATA_KEY = "__metadata__";
/** The safetensors writer aligns the data start to 8 bytes by padding the JSON with spaces. */
const DATA_ALIGN = 8;
/** huggingface/safetensors `MAX_HEADER_SIZE`: longer headers are refused (HeaderTooLarge). */
const MAX_HEADER_BYTES = 100_000_000;

/** safetensors dtype -> normalised NumPy descr (see NdArray.dtype). */
const DESCR_OF: Record<string, string> = {
  F16: "<f2",
  BF16: BFLOAT16_DESCR,
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
const DTYPE_OF: Record<string, string> = Object.fromEntries(
  Object.entries(DESCR_OF).map(([dtype, descr]) => [descr, dtype]),
);

interface TensorSlot {
  key: string;
  shape: number[];
  type: ElementType;
  count: number;
  /** Data offsets, relative to the first byte after the header. */
  start: number;
  end: number;
}

/**
 * Read a safetensors file. `name` (the file name) is used in every error message.
 *
 * @example
 * const { tensors } = readSafetensors(bytes, "model.safetensors");
 */
export function readSafetensors(bytes: Uint8Array, name = "model.safetensors"): Safetensors {
  if (bytes.length < HEADER_LENGTH_BYTES) {
    truncated(name, "the 8-byte header length is cut short", HEADER_LENGTH_BYTES, bytes.length);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(4, true) * 2 ** 32 + view.getUint32(0, true);
  const dataStart = HEADER_LENGTH_BYTES + headerLength;
  if (dataStart > bytes.length) {
    truncated(name, `the header announces ${headerLength} bytes`, dataStart, bytes.length);
  }
  if (headerLength > MAX_HEADER_BYTES) {
    malformed(
      name,
      `the header announces ${headerLength} bytes, more than the ${MAX_HEADER_BYTES} allowed`,
    );
  }
  const header = parseHeader(bytes.subarray(HEADER_LENGTH_BYTES, dataStart), name);
  const metadata = readMetadata(header[METADATA_KEY], name);

  const slots: TensorSlot[] = [];
  let totalCount = 0;
  for (const [key, info] of Object.entries(header)) {
    if (key === METADATA_KEY) continue;
    const slot = readSlot(key, info, name);
    if (dataStart + slot.end > bytes.length) {
      truncated(
        name,
        `tensor '${key}' ends at data byte ${slot.end}`,
        dataStart + slot.end,
        bytes.length,
      );
    }
    totalCount += slot.count;
    slots.push(slot);
  }
  assertWithinBudget(totalCount, "all tensors together", name);

  // By (begin, end), as huggingface/safetensors sorts them; stable: ties keep header order.
  slots.sort((a, b) => a.start - b.start || a.end - b.end);
  checkTiling(slots, bytes.length - dataStart, name);
  const tensors = new Map<string, NdArray>();
  for (const { key, shape, type, count, start } of slots) {
    const data = decodeElements(bytes, dataStart + start, count, type, `${name}: tensor '${key}'`);
    tensors.set(key, { shape, dtype: type.descr, data });
  }
  return { tensors, metadata };
}

/**
 * Write tensors (insertion order, packed back to back) and optional string metadata. A tensor's
 * `dtype` may ask for "<f2" (F16) or "bfloat16" (BF16) for a Float32Array, "|b1" (BOOL) for a
 * Uint8Array; otherwise the typed array decides.
 */
export function writeSafetensors(
  tensors: Record<string, NdArrayLike> | Map<string, NdArrayLike>,
  metadata?: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header[METADATA_KEY] = metadata;
  const payloads: Uint8Array[] = [];
  let offset = 0;
  for (const [key, arr] of tensors instanceof Map ? tensors : Object.entries(tensors)) {
    if (key === METADATA_KEY) {
      throw new HiddenAtlasError("E_SAFETENSORS", `tensor name '${METADATA_KEY}' is reserved`);
    }
    if (elementCount(arr.shape) !== arr.data.length) {
      throw new HiddenAtlasError(
        "E_SHAPE_MISMATCH",
        `tensor '${key}': ${arr.data.length} values do not fill shape ${formatShape(arr.shape)}`,
        { name: key },
      );
    }
    const { descr, bytes } = encodeElements(arr.data, arr.dtype, key);
    header[key] = {
      dtype: DTYPE_OF[descr],
      shape: arr.shape,
      data_offsets: [offset, offset + bytes.length],
    };
    payloads.push(bytes);
    offset += bytes.length;
  }
  const text = JSON.stringify(header);
  const unpadded = new TextEncoder().encode(text).length;
  const padding = (DATA_ALIGN - (unpadded % DATA_ALIGN)) % DATA_ALIGN;
  const json = new TextEncoder().encode(text + " ".repeat(padding));

  const out = new Uint8Array(HEADER_LENGTH_BYTES + json.length + offset);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, HEADER_LENGTH_BYTES);
  let at = HEADER_LENGTH_BYTES + json.length;
  for (const bytes of payloads) {
    out.set(bytes, at);
    at += bytes.length;
  }
  return out;
}

function parseHeader(bytes: Uint8Array, name: string): Record<string, unknown> {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    malformed(name, `the header is not valid JSON (${(error as Error).message})`);
  }
  if (!isPlainObject(header)) malformed(name, "the header must be a JSON object");
  // The format requires the object's "{" to be the first byte (the reference refuses leading
  // whitespace, InvalidHeaderStart); trailing spaces are the writers' alignment padding.
  if (bytes[0] !== 0x7b)
    malformed(
      name,
      `the header must begin with "{" (it begins with byte 0x${bytes[0].toString(16).padStart(2, "0")})`,
    );
  return header;
}

function readMetadata(value: unknown, name: string): Record<string, string> {
  if (value === undefined) return {};
  if (!isPlainObject(value) || !Object.values(value).every((v) => typeof v === "string")) {
    malformed(name, `'${METADATA_KEY}' must map strings to strings`);
  }
  return { ...(value as Record<string, string>) };
}

function readSlot(key: string, info: unknown, name: string): TensorSlot {
  if (!isPlainObject(info)) malformed(name, `tensor '${key}' must be an object`);
  const { dtype, shape, data_offsets: offsets } = info;
  if (typeof dtype !== "string") malformed(name, `tensor '${key}': 'dtype' must be a string`);
  const descr = Object.hasOwn(DESCR_OF, dtype) ? DESCR_OF[dtype] : undefined;
  if (descr === undefined) {
    throw new HiddenAtlasError(
      "E_DTYPE",
      `${name}: tensor '${key}' has dtype ${dtype}, which is not read ` +
        `(expected one of ${Object.keys(DESCR_OF).join(", ")})`,
      { file: name, tensor: key, dtype },
    );
  }
  if (!isIntegerArray(shape)) {
    malformed(name, `tensor '${key}': 'shape' must be an array of non-negative integers`);
  }
  if (!isIntegerArray(offsets) || offsets.length !== 2 || offsets[1] < offsets[0]) {
    malformed(name, `tensor '${key}': 'data_offsets' must be [begin, end] with end >= begin`);
  }
  const type = descr === BFLOAT16_DESCR ? BFLOAT16 : parseDescr(descr, name);
  const count = elementCount(shape);
  assertWithinBudget(count, `tensor '${key}' of shape ${formatShape(shape)}`, name);
  const expected = count * type.itemsize;
  if (offsets[1] - offsets[0] !== expected) {
    malformed(
      name,
      `tensor '${key}' spans ${offsets[1] - offsets[0]} bytes but shape ${formatShape(shape)} ` +
        `of ${dtype} needs ${expected}`,
    );
  }
  return { key, shape, type, count, start: offsets[0], end: offsets[1] };
}

/**
 * Sorted slots must cover [0, dataLength) without overlap or gap (huggingface/safetensors:
 * InvalidOffset for a tensor that does not start where the previous one ends,
 * MetadataIncompleteBuffer when the last does not end at the end of the file).
 */
function checkTiling(slots: readonly TensorSlot[], dataLength: number, name: string): void {
  let expected = 0;
  let previous: string | undefined;
  for (const slot of slots) {
    if (slot.start !== expected) {
      const problem =
        slot.start < expected
          ? `its bytes overlap those of tensor '${previous}', which ends at ${expected}`
          : `data bytes ${expected}-${slot.start} belong to no tensor`;
      malformed(
        name,
        `tensor '${slot.key}' starts at data byte ${slot.start}, expected ${expected}: ${problem} ` +
          `(data offsets must tile the data buffer)`,
      );
    }
    expected = slot.end;
    previous = slot.key;
  }
  if (expected !== dataLength) {
    malformed(
      name,
      `the tensors' data end at byte ${expected} but the file holds ${dataLength} data bytes ` +
        `after the header (data offsets must tile the data buffer)`,
    );
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isIntegerArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((v) => Number.isSafeInteger(v) && v >= 0);
}

function truncated(name: string, what: string, expected: number, found: number): never {
  throw new HiddenAtlasError(
    "E_TRUNCATED",
    `${name}: ${what}, but the file ends after ${found} bytes (${expected} expected)`,
    { file: name, expected, found },
  );
}

function malformed(name: string, problem: string): never {
  throw new HiddenAtlasError("E_SAFETENSORS", `${name}: malformed safetensors file: ${problem}`, {
    file: name,
  });
}
