/**
 * NumPy .npy files, versions 1.0, 2.0 and 3.0, as specified in numpy/lib/format.py
 * (NEP 1, "A Simple File Format for NumPy Arrays").
 *
 * Layout: the magic "\x93NUMPY", two version bytes, the header length (u16 LE in v1, u32 LE in
 * v2/v3), then the header, a Python dict literal (latin-1 in v1/v2, UTF-8 in v3) padded with
 * spaces and a newline so that the data start at a multiple of 64 bytes, then the raw data.
 *
 * Reading checks sizes before it allocates: the element count announced by `shape` must fit
 * the float32 budget (E_TOO_LARGE) and the file must hold the bytes it announces (E_TRUNCATED).
 * Writing produces the bytes `numpy.save` writes for the same array.
 */
import { HiddenAtlasError } from "../core/errors.ts";
import { BFLOAT16_DESCR, decodeElements, encodeElements, parseDescr } from "./dtype.ts";
import type { ElementType } from "./dtype.ts";
import { assertWithinBudget, assertWorkingSet, elementCount } from "./limits.ts";
import { formatShape, size, type NdArray, type NdArrayLike, type TypedArray } from "./ndarray.ts";
import { PyTuple, parsePythonLiteral } from "./pyliteral.ts";

/** "\x93NUMPY" */
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
/** The magic plus the two version bytes (numpy.lib.format MAGIC_LEN). */
const MAGIC_LENGTH = MAGIC.length + 2;
/** numpy.lib.format ARRAY_ALIGN: the data start on a multiple of 64 bytes. */
const ARRAY_ALIGN = 64;
/**
 * numpy.lib.format GROWTH_AXIS_MAX_DIGITS: NumPy pads the header so that the first dimension can
 * grow to 21 digits in place; we pad alike to write the same bytes.
 */
const GROWTH_AXIS_MAX_DIGITS = 21;
/** The largest header a v1 file's u16 length can announce. */
const V1_MAX_HEADER_LENGTH = 0xffff;
const EXPECTED_KEYS = ["descr", "fortran_order", "shape"];

/** What an .npy header says, and where its data start. */
export interface NpyHeader {
  version: 1 | 2 | 3;
  type: ElementType;
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset of the first data byte. */
  dataOffset: number;
}

/** Parse and check the header of an .npy file without touching its data. */
export function readNpyHeader(bytes: Uint8Array, name = "array"): NpyHeader {
  if (bytes.length < MAGIC.length || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new HiddenAtlasError(
      "E_NPY_HEADER",
      `${name}: not an .npy file (it does not start with the magic "\\x93NUMPY")`,
      { file: name },
    );
  }
  if (bytes.length < MAGIC_LENGTH) truncated(name, "inside the header", MAGIC_LENGTH, bytes.length);
  const major = bytes[MAGIC.length];
  const minor = bytes[MAGIC.length + 1];
  if (major < 1 || major > 3 || minor !== 0) {
    throw new HiddenAtlasError(
      "E_NPY_HEADER",
      `${name}: unsupported .npy format version ${major}.${minor} (expected 1.0, 2.0 or 3.0)`,
      { file: name },
    );
  }
  const lengthBytes = major === 1 ? 2 : 4;
  const headerStart = MAGIC_LENGTH + lengthBytes;
  if (bytes.length < headerStart) truncated(name, "inside the header", headerStart, bytes.length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength =
    major === 1 ? view.getUint16(MAGIC_LENGTH, true) : view.getUint32(MAGIC_LENGTH, true);
  const dataOffset = headerStart + headerLength;
  if (bytes.length < dataOffset) truncated(name, "inside the header", dataOffset, bytes.length);

  const text = decodeHeaderText(bytes.subarray(headerStart, dataOffset), major === 3, name);
  const dict = parsePythonLiteral(text, name);
  if (!(dict instanceof Map) || [...dict.keys()].sort().join() !== EXPECTED_KEYS.join()) {
    malformed(name, `expected a dict with exactly the keys ${EXPECTED_KEYS.join(", ")}`);
  }
  const shapeValue = dict.get("shape");
  if (!(shapeValue instanceof PyTuple)) malformed(name, "'shape' must be a tuple");
  const shape = shapeValue.items.map((dim) => {
    if (typeof dim !== "number" || !Number.isInteger(dim) || dim < 0) {
      malformed(name, `'shape' must hold non-negative integers, found ${String(dim)}`);
    }
    return dim;
  });
  const fortranOrder = dict.get("fortran_order");
  if (typeof fortranOrder !== "boolean") malformed(name, "'fortran_order' must be True or False");
  return {
    version: major as 1 | 2 | 3,
    type: elementType(dict.get("descr") ?? null, name),
    fortranOrder,
    shape,
    dataOffset,
  };
}

/**
 * Read an .npy file. `name` (the file name) is used in every error message.
 *
 * @example
 * const { shape, dtype, data } = readNpy(await readFileBytes("acts.npy"), "acts.npy");
 */
export function readNpy(bytes: Uint8Array, name = "array"): NdArray {
  const header = readNpyHeader(bytes, name);
  const { type, fortranOrder, shape, dataOffset } = header;
  const count = elementCount(shape);
  assertWithinBudget(count, `shape ${formatShape(shape)}`, name);
  assertHoldsData(header, bytes.length, name);
  if (type.kind !== "f" || type.itemsize !== 4) {
    // Other dtypes are held twice while they become float32: as stored and as float32.
    assertWorkingSet(
      count * (type.itemsize + 4),
      `shape ${formatShape(shape)} as ${type.descr} (${count} values of ${type.itemsize} bytes as stored, and 4 as float32)`,
      name,
    );
  }
  // Bytes after the data are ignored, as numpy.load ignores them.
  const data = decodeElements(bytes, dataOffset, count, type, name);
  return {
    shape,
    dtype: type.descr,
    data: fortranOrder && shape.length > 1 ? fortranToC(data, shape) : data,
  };
}

/**
 * E_TRUNCATED unless a file of `fileSize` bytes holds the data its header announces (E_TOO_LARGE
 * when the announced size is not even a safe integer). Returns the announced data bytes.
 */
export function assertHoldsData(header: NpyHeader, fileSize: number, name: string): number {
  const { type, shape, dataOffset } = header;
  const count = elementCount(shape);
  if (!Number.isFinite(count)) assertWithinBudget(count, `shape ${formatShape(shape)}`, name);
  const expected = count * type.itemsize;
  const found = fileSize - dataOffset;
  if (found < expected) {
    throw new HiddenAtlasError(
      "E_TRUNCATED",
      `${name}: the header announces ${expected} data bytes (shape ${formatShape(shape)}, ` +
        `${type.descr}) but the file holds ${found}`,
      { file: name, expected, found },
    );
  }
  return expected;
}

/** The length of an .npy file's preamble (magic, version, header length), from its first bytes. */
export function npyDataOffset(prefix: Uint8Array): number | undefined {
  if (prefix.length < MAGIC_LENGTH + 4 || MAGIC.some((b, i) => prefix[i] !== b)) return undefined;
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  const major = prefix[MAGIC.length];
  return major === 1
    ? MAGIC_LENGTH + 2 + view.getUint16(MAGIC_LENGTH, true)
    : MAGIC_LENGTH + 4 + view.getUint32(MAGIC_LENGTH, true);
}

/**
 * Write an array as .npy bytes identical to `numpy.save`: format 1.0 (2.0 when the header
 * outgrows a u16), little-endian, C order. The typed array decides the dtype unless `arr.dtype`
 * asks for another encoding it allows: "<f2" for a Float32Array, "<i8"/"<u8" for an
 * integer-valued Float64Array (so int64 files read back), "|b1" for a Uint8Array.
 *
 * @example
 * const bytes = writeNpy({ shape: [m.rows, m.cols], data: m.data });
 */
export function writeNpy(arr: NdArrayLike, name = "array"): Uint8Array {
  assertShapeFits(arr, name);
  const { descr, bytes: payload } = encodeElements(arr.data, arr.dtype, name);
  if (descr === BFLOAT16_DESCR) {
    throw new HiddenAtlasError("E_DTYPE", `${name}: NumPy has no bfloat16; write '<f2' or '<f4'`, {
      name,
    });
  }
  const shape = arr.shape;
  const growthPadding =
    shape.length > 0 ? Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length) : 0;
  const dict =
    `{'descr': '${descr}', 'fortran_order': False, 'shape': ${formatShape(shape)}, }` +
    " ".repeat(growthPadding);
  // NumPy always pads (1 to 64 spaces) before the newline that ends the header.
  const wrap = (lengthBytes: number) => {
    const unpadded = dict.length + 1;
    const padding = ARRAY_ALIGN - ((MAGIC_LENGTH + lengthBytes + unpadded) % ARRAY_ALIGN);
    return { lengthBytes, header: dict + " ".repeat(padding) + "\n" };
  };
  const v1 = wrap(2);
  const { lengthBytes, header } = v1.header.length <= V1_MAX_HEADER_LENGTH ? v1 : wrap(4);

  const dataOffset = MAGIC_LENGTH + lengthBytes + header.length;
  const out = new Uint8Array(dataOffset + payload.length);
  out.set(MAGIC);
  out[MAGIC.length] = lengthBytes === 2 ? 1 : 2;
  const view = new DataView(out.buffer);
  if (lengthBytes === 2) view.setUint16(MAGIC_LENGTH, header.length, true);
  else view.setUint32(MAGIC_LENGTH, header.length, true);
  const headerStart = MAGIC_LENGTH + lengthBytes;
  for (let i = 0; i < header.length; i++) out[headerStart + i] = header.charCodeAt(i);
  out.set(payload, dataOffset);
  return out;
}

function assertShapeFits(arr: NdArrayLike, name: string): void {
  if (!arr.shape.every((dim) => Number.isSafeInteger(dim) && dim >= 0)) {
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `${name}: shape ${formatShape(arr.shape)} must hold non-negative integers`,
      { name },
    );
  }
  if (arr.data.length !== size(arr.shape)) {
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `${name}: ${arr.data.length} values do not fill shape ${formatShape(arr.shape)} ` +
        `(${size(arr.shape)} values)`,
      { name },
    );
  }
}

function elementType(descr: unknown, name: string): ElementType {
  if (typeof descr === "string") return parseDescr(descr, name);
  if (Array.isArray(descr)) {
    throw new HiddenAtlasError(
      "E_DTYPE",
      `${name}: structured dtype (record fields) is not supported; save each field as its own ` +
        `numeric array`,
      { file: name },
    );
  }
  if (descr instanceof PyTuple) {
    throw new HiddenAtlasError("E_DTYPE", `${name}: subarray dtype is not supported`, {
      file: name,
    });
  }
  return malformed(name, "'descr' must be a dtype string");
}

/** v1/v2 headers are latin-1 (decoded by hand: TextDecoder's "latin1" is windows-1252). */
function decodeHeaderText(bytes: Uint8Array, utf8: boolean, name: string): string {
  if (!utf8) {
    let text = "";
    for (const byte of bytes) text += String.fromCharCode(byte);
    return text;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return malformed(name, "a v3 header must be valid UTF-8");
  }
}

/** Reorder column-major (Fortran) data into row-major (C) order. */
export function fortranToC(data: TypedArray, fullShape: readonly number[]): TypedArray {
  // Axes of length 1 do not change the order; dropping them keeps the odometer's carries short
  // (a header may list thousands of them).
  const shape = fullShape.filter((dim) => dim !== 1);
  const rank = shape.length;
  const out = new (data.constructor as new (length: number) => TypedArray)(data.length);
  const strides: number[] = [];
  let stride = 1;
  for (const dim of shape) {
    strides.push(stride);
    stride *= dim;
  }
  const index = new Array<number>(rank).fill(0);
  let source = 0;
  for (let target = 0; target < out.length; target++) {
    out[target] = data[source];
    // Advance the C-order odometer (last axis fastest) and follow it in Fortran strides.
    for (let axis = rank - 1; axis >= 0; axis--) {
      index[axis]++;
      source += strides[axis];
      if (index[axis] < shape[axis]) break;
      source -= strides[axis] * shape[axis];
      index[axis] = 0;
    }
  }
  return out;
}

function truncated(name: string, where: string, expected: number, found: number): never {
  throw new HiddenAtlasError(
    "E_TRUNCATED",
    `${name}: the file ends ${where}: ${expected} bytes expected, ${found} found`,
    { file: name, expected, found },
  );
}

function malformed(name: string, problem: string): never {
  throw new HiddenAtlasError("E_NPY_HEADER", `${name}: malformed .npy header: ${problem}`, {
    file: name,
  });
}
