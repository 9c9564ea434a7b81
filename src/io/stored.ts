/**
 * Arrays left where they are: an .npy file whose header has been read and checked, and whose
 * data are read when needed, in chunks of whole rows, so that a layer far larger than memory
 * can be reduced row by row (src/algo/vectorize.ts) with only the reduced vectors resident.
 *
 * A StoredArray is plain data (a FileLocation plus the header's facts), so it crosses worker
 * boundaries and the worker reads the bytes itself. Rows stream in C order; a Fortran-order
 * file cannot be cut into rows without reading it whole, so it is read whole (within the
 * memory budget) and reordered. Values are checked for finiteness as they stream, and a zip
 * entry's CRC-32 after its last byte: a generator that finishes without throwing has read a
 * sound file.
 */
import { HiddenAtlasError } from "../core/errors.ts";
import { decodeElements, decodeToFloat32, type ElementType } from "./dtype.ts";
import { assertWithinBudget, elementCount } from "./limits.ts";
import {
  fileChunks,
  readLocation,
  readPrefix,
  sequentialReader,
  type FileLocation,
  type SequentialReader,
} from "./location.ts";
import { formatShape, toFloat32 } from "./ndarray.ts";
import {
  assertHoldsData,
  fortranToC,
  npyDataOffset,
  readNpyHeader,
  type NpyHeader,
} from "./npy.ts";

/** An .npy array on disk, in an archive or in a Blob, not yet read. */
export interface StoredArray {
  location: FileLocation;
  type: ElementType;
  fortranOrder: boolean;
  shape: number[];
  /** First data byte in the (inflated) file. */
  dataOffset: number;
  /** Names the array in messages, e.g. "layer 'conv' (bundle/layers/conv.npy)". */
  what: string;
  /** Refuse NaN and ±Infinity as rows stream (E_NON_FINITE). */
  finite: boolean;
}

/** A chunk of consecutive rows as float32, row-major. */
export interface RowChunk {
  /** Index of the first row. */
  start: number;
  rows: number;
  /** rows × rowLength values; reused by the next chunk, so use it before asking for more. */
  values: Float32Array;
}

/** Bytes of a file's start read to find its .npy header (most headers are 128 bytes). */
const HEADER_PROBE_BYTES = 4096;
/**
 * The longest header read: numpy.load refuses headers over 10,000 bytes unless told
 * otherwise, and writers use v2 headers only for shapes with thousands of axes.
 */
const MAX_HEADER_BYTES = 16 << 20;
/** Exponent bits of float16 and float32: all ones means NaN or ±Infinity. */
const F16_EXPONENT = 0x7c00;
const F32_EXPONENT = 0x7f800000;
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Raw bytes per row chunk, unless a single row is larger. */
export const ROW_CHUNK_BYTES = 8 << 20;

/**
 * Read and check the .npy header at `location` without reading its data: the magic, the
 * header, and that the file holds the bytes the header announces (E_TRUNCATED otherwise).
 * `what` names the array in messages about its values.
 */
export async function openStoredArray(
  location: FileLocation,
  what: string,
  { finite = true }: { finite?: boolean } = {},
): Promise<StoredArray> {
  const header = await readNpyHeaderAt(location);
  assertHoldsData(header, location.size, location.label);
  return {
    location,
    type: header.type,
    fortranOrder: header.fortranOrder,
    shape: header.shape,
    dataOffset: header.dataOffset,
    what,
    finite,
  };
}

/** The .npy header of the file at `location`, reading (and inflating) only its first bytes. */
export async function readNpyHeaderAt(location: FileLocation): Promise<NpyHeader> {
  let prefix = await readPrefix(location, HEADER_PROBE_BYTES);
  const needed = npyDataOffset(prefix);
  if (needed !== undefined && needed > prefix.length && needed <= location.size) {
    if (needed > MAX_HEADER_BYTES) {
      throw new HiddenAtlasError(
        "E_NPY_HEADER",
        `${location.label}: malformed .npy header: it announces ${needed} bytes, more than the ` +
          `${MAX_HEADER_BYTES} read`,
        { file: location.label },
      );
    }
    prefix = await readPrefix(location, needed);
  }
  return readNpyHeader(prefix, location.label);
}

/** Values per row: the product of shape[1..] (1 for a 1-d array). */
export function rowLength(stored: Pick<StoredArray, "shape">): number {
  return elementCount(stored.shape.slice(1));
}

/** Row streams open in this thread, and what waits for them all to end. */
let openStreams = 0;
let settled: { promise: Promise<void>; resolve: () => void } | null = null;

/**
 * Resolves once no stored array is being streamed in this thread (at once when none is): the
 * background hash (digest.ts) waits for it between chunks, so a layer an analysis is reading
 * gets the thread and the disk first, and the hash goes on once it has been read.
 */
export function streamsSettled(): Promise<void> {
  if (openStreams === 0) return Promise.resolve();
  if (settled === null) {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    settled = { promise, resolve };
  }
  return settled.promise;
}

function streamOpened(): void {
  openStreams++;
}

function streamClosed(): void {
  if (--openStreams > 0 || settled === null) return;
  const { resolve } = settled;
  settled = null;
  resolve();
}

/**
 * The rows of a stored array in order, `rowsPerChunk` at a time (the last chunk may be
 * shorter). The file is read once, start to end; the chunk buffer is reused. Given `into`
 * (n × rowLength values), each chunk's rows are decoded straight into their place there and
 * the chunk's values are that part of `into`.
 *
 * A stored file on disk or in memory is read straight into the chunk buffer (or, for native
 * float32, into the values themselves): no buffer per read and no copy between them.
 */
export async function* storedRows(
  stored: StoredArray,
  rowsPerChunk: number,
  into?: Float32Array,
): AsyncGenerator<RowChunk, void, undefined> {
  const n = stored.shape[0] ?? 1;
  const width = rowLength(stored);
  const chunkRows = Math.max(1, Math.min(rowsPerChunk, n));
  if (into !== undefined && into.length < n * width)
    throw new RangeError(`storedRows: into holds ${into.length} values, ${n * width} needed`);
  streamOpened();
  try {
    yield* rowsInOrder(stored, chunkRows, into);
  } finally {
    streamClosed();
  }
}

async function* rowsInOrder(
  stored: StoredArray,
  chunkRows: number,
  into: Float32Array | undefined,
): AsyncGenerator<RowChunk, void, undefined> {
  const n = stored.shape[0] ?? 1;
  const width = rowLength(stored);
  if (stored.fortranOrder && stored.shape.length > 1) {
    yield* wholeRows(stored, chunkRows, into);
    return;
  }
  const direct = await sequentialReader(stored.location);
  if (direct !== null) {
    try {
      yield* directRows(stored, direct, chunkRows, into);
    } finally {
      await direct.close();
    }
    return;
  }
  const itemsize = stored.type.itemsize;
  const rowBytes = width * itemsize;
  const dataEnd = stored.dataOffset + n * rowBytes;
  const raw = new Uint8Array(chunkRows * rowBytes);
  const values = into === undefined ? new Float32Array(chunkRows * width) : null;
  let filled = 0;
  let row = 0;
  let position = 0;
  const flush = (rows: number): RowChunk => {
    const out =
      values === null
        ? into!.subarray(row * width, (row + rows) * width)
        : rows === chunkRows
          ? values
          : values.subarray(0, rows * width);
    decodeToFloat32(raw, 0, rows * width, stored.type, out, stored.location.label);
    const chunk = { start: row, rows, values: out };
    if (stored.finite) assertFiniteRows(stored, chunk, width);
    row += rows;
    filled = 0;
    return chunk;
  };
  for await (const bytes of fileChunks(stored.location)) {
    // Only the data region [dataOffset, dataEnd) of each chunk is decoded; later bytes are
    // ignored (as numpy.load ignores them), but still read so the CRC covers them.
    let from = Math.max(0, stored.dataOffset - position);
    const to = Math.min(bytes.length, dataEnd - position);
    position += bytes.length;
    while (from < to) {
      const take = Math.min(to - from, raw.length - filled);
      raw.set(bytes.subarray(from, from + take), filled);
      filled += take;
      from += take;
      if (filled === raw.length) yield flush(chunkRows);
    }
  }
  if (filled > 0) yield flush(filled / rowBytes);
}

/** storedRows from a file read into buffers: native float32 straight into the values. */
async function* directRows(
  stored: StoredArray,
  reader: SequentialReader,
  chunkRows: number,
  into: Float32Array | undefined,
): AsyncGenerator<RowChunk, void, undefined> {
  const n = stored.shape[0] ?? 1;
  const width = rowLength(stored);
  const { type } = stored;
  const rowBytes = width * type.itemsize;
  const native =
    type.kind === "f" && type.itemsize === 4 && type.littleEndian === HOST_LITTLE_ENDIAN;
  await reader.next(new Uint8Array(stored.dataOffset)); // the header, for the CRC
  const raw = native ? null : new Uint8Array(chunkRows * rowBytes);
  const values = into === undefined ? new Float32Array(chunkRows * width) : null;
  for (let start = 0; start < n; start += chunkRows) {
    const rows = Math.min(chunkRows, n - start);
    const out =
      values === null
        ? into!.subarray(start * width, (start + rows) * width)
        : values.subarray(0, rows * width);
    if (raw === null) {
      await reader.next(new Uint8Array(out.buffer, out.byteOffset, rows * rowBytes));
    } else {
      await reader.next(raw.subarray(0, rows * rowBytes));
      decodeToFloat32(raw, 0, rows * width, type, out, stored.location.label);
    }
    const chunk = { start, rows, values: out };
    if (stored.finite) assertFiniteRows(stored, chunk, width);
    yield chunk;
  }
  await reader.finish();
}

/** Fortran order: the whole array, reordered, then handed out in row chunks. */
async function* wholeRows(
  stored: StoredArray,
  chunkRows: number,
  into: Float32Array | undefined,
): AsyncGenerator<RowChunk, void, undefined> {
  const count = elementCount(stored.shape);
  assertWithinBudget(
    count,
    `shape ${formatShape(stored.shape)} (Fortran order is read whole)`,
    stored.location.label,
  );
  const bytes = await readLocation(stored.location);
  const data = toFloat32({
    data: fortranToC(
      decodeElements(bytes, stored.dataOffset, count, stored.type, stored.location.label),
      stored.shape,
    ),
  });
  const width = rowLength(stored);
  const n = stored.shape[0];
  for (let start = 0; start < n; start += chunkRows) {
    const rows = Math.min(chunkRows, n - start);
    const chunk = { start, rows, values: data.subarray(start * width, (start + rows) * width) };
    if (into !== undefined) {
      into.set(chunk.values, start * width);
      chunk.values = into.subarray(start * width, (start + rows) * width);
    }
    if (stored.finite) assertFiniteRows(stored, chunk, width);
    yield chunk;
  }
}

function assertFiniteRows(stored: StoredArray, chunk: RowChunk, width: number): void {
  const { values } = chunk;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value - value !== 0) {
      const inRow = Math.floor(i / width);
      throw nonFinite(stored, value, chunk.start + inRow, i - inRow * width);
    }
  }
}

/** E_NON_FINITE naming the array, the sample and the column (C order within the sample). */
export function nonFinite(
  stored: Pick<StoredArray, "what" | "location">,
  value: number,
  row: number,
  column: number,
): HiddenAtlasError {
  return new HiddenAtlasError(
    "E_NON_FINITE",
    `${stored.what} has a non-finite value (${value}) at sample ${row}, column ${column}; ` +
      `pass allowNonFinite: true to load it anyway`,
    { file: stored.location.label, row, column },
  );
}

/**
 * Checks the raw bytes of a stored array for NaN and ±Infinity as they stream past (e.g. while
 * a file is hashed), from the exponent bits alone: nothing is decoded unless a value fails.
 * Feed it every inflated chunk of the file in order.
 */
export class FiniteScan {
  private position = 0;
  private readonly carry: Uint8Array;
  private carried = 0;
  private readonly dataEnd: number;
  /** Byte offsets, within an element, of its two most significant bytes. */
  private readonly high: number;
  private readonly next: number;
  private readonly check: (hi: number, lo: number) => boolean;

  constructor(private readonly stored: StoredArray) {
    const { type, dataOffset, shape } = stored;
    this.dataEnd = dataOffset + elementCount(shape) * type.itemsize;
    this.carry = new Uint8Array(type.itemsize);
    this.high = type.littleEndian ? type.itemsize - 1 : 0;
    this.next = type.littleEndian ? type.itemsize - 2 : 1;
    // A float is non-finite exactly when its exponent bits are all ones.
    this.check =
      type.itemsize === 2
        ? (hi) => (hi & 0x7c) === 0x7c
        : type.itemsize === 4
          ? (hi, lo) => (hi & 0x7f) === 0x7f && (lo & 0x80) === 0x80
          : (hi, lo) => (hi & 0x7f) === 0x7f && (lo & 0xf0) === 0xf0;
  }

  /** True when the array's type can hold a non-finite value at all. */
  static applies(stored: StoredArray): boolean {
    return stored.finite && stored.type.kind === "f";
  }

  push(bytes: Uint8Array): void {
    const { itemsize } = this.stored.type;
    let from = Math.max(0, this.stored.dataOffset - this.position);
    const to = Math.min(bytes.length, this.dataEnd - this.position);
    const base = this.position;
    this.position += bytes.length;
    if (from >= to) return;
    if (this.carried > 0) {
      const take = Math.min(itemsize - this.carried, to - from);
      this.carry.set(bytes.subarray(from, from + take), this.carried);
      this.carried += take;
      from += take;
      if (this.carried < itemsize) return;
      this.carried = 0;
      if (this.check(this.carry[this.high], this.carry[this.next])) {
        this.fail(this.carry, 0, base + from - itemsize);
      }
    }
    const whole = from + Math.floor((to - from) / itemsize) * itemsize;
    const at = this.scanWords(bytes, from, whole);
    if (at >= 0) this.fail(bytes, at, base + at);
    if (whole < to) {
      this.carry.set(bytes.subarray(whole, to));
      this.carried = to - whole;
    }
  }

  /**
   * The byte offset of the first non-finite element in [from, to) (a whole number of
   * elements), or -1. Aligned host-order float16/float32 words are tested a word at a time.
   */
  private scanWords(bytes: Uint8Array, from: number, to: number): number {
    const { type } = this.stored;
    const start = bytes.byteOffset + from;
    const native = type.littleEndian === HOST_LITTLE_ENDIAN;
    if (native && type.itemsize === 2 && start % 2 === 0) {
      const words = new Uint16Array(bytes.buffer, start, (to - from) / 2);
      for (let i = 0; i < words.length; i++)
        if ((words[i] & F16_EXPONENT) === F16_EXPONENT) return from + 2 * i;
      return -1;
    }
    if (native && type.itemsize === 4 && start % 4 === 0) {
      const words = new Uint32Array(bytes.buffer, start, (to - from) / 4);
      for (let i = 0; i < words.length; i++)
        if ((words[i] & F32_EXPONENT) === F32_EXPONENT) return from + 4 * i;
      return -1;
    }
    const { high, next, check } = this;
    for (let at = from; at < to; at += type.itemsize)
      if (check(bytes[at + high], bytes[at + next])) return at;
    return -1;
  }

  private fail(bytes: Uint8Array, at: number, filePosition: number): never {
    const { stored } = this;
    const value = decodeElements(bytes, at, 1, stored.type, stored.location.label)[0];
    const index = (filePosition - stored.dataOffset) / stored.type.itemsize;
    const [row, column] = rowAndColumn(stored, index);
    throw nonFinite(stored, value, row, column);
  }
}

/** The sample and C-order column of the element at flat file position `index`. */
function rowAndColumn(stored: StoredArray, index: number): [number, number] {
  const width = rowLength(stored);
  if (!stored.fortranOrder || stored.shape.length < 2) {
    const row = Math.floor(index / width);
    return [row, index - row * width];
  }
  // Fortran order: the first axis varies fastest; rebuild the C-order index of the rest.
  let rest = index;
  const coordinates = stored.shape.map((dim) => {
    const c = rest % dim;
    rest = Math.floor(rest / dim);
    return c;
  });
  let column = 0;
  for (let axis = 1; axis < stored.shape.length; axis++)
    column = column * stored.shape[axis] + coordinates[axis];
  return [coordinates[0], column];
}
