/**
 * Zip archives (.zip bundles, .npz), read from their central directory (PKWARE APPNOTE.TXT
 * 6.3: sections 4.3.12 central directory, 4.3.16 end record, 4.3.14–15 and 4.5.3 zip64) so
 * that an entry can be located without reading the others, and streamed (location.ts).
 *
 * The directory is checked before anything is inflated: every entry's declared sizes must be
 * possible for its method (stored: equal; deflate: at most 1032-fold), together the entries
 * cannot hold more compressed bytes than the archive, names are unique, and only stored and
 * deflate entries are read. `listZip`, for readers that inflate every entry, also refuses
 * archives whose declared inflated bytes exceed the memory budget (E_TOO_LARGE), since each
 * entry is allocated at its declared size. Every entry's CRC-32 is checked when it is read
 * (a flipped byte is E_ZIP, not a changed result), and an entry must inflate to exactly its
 * declared size.
 *
 * The parsers are generators that ask for byte ranges, so the same code reads an archive held
 * in memory (synchronously) and one in a Blob or on disk (asynchronously, in ranges).
 * Writing (`zipEntries`) uses fflate's `zipSync`.
 */
import { Inflate, zipSync } from "fflate";
import { HiddenAtlasError, isHiddenAtlasError } from "../core/errors.ts";
import { crc32 } from "./crc32.ts";
import { assertBytesWithinBudget } from "./limits.ts";
import { containerSize, openContainer, type ByteContainer, type FileLocation } from "./location.ts";

/** One file of an archive, as its central directory declares it. */
export interface ZipEntry {
  name: string;
  /** Bytes stored in the archive. */
  compressedSize: number;
  /** Bytes once inflated. */
  size: number;
  /** 0 stored, 8 deflate. */
  compression: number;
  /** CRC-32 of the inflated bytes. */
  crc32: number;
  /** Where the entry's local header starts in the archive. */
  localHeaderOffset: number;
}

const STORED = 0;
const DEFLATE = 8;
/** Deflate expands data at most 1032-fold (zlib technical details, "Maximum compression"). */
const MAX_DEFLATE_RATIO = 1032;
/** The fixed part of a central-directory record: no archive holds more entries than this allows. */
const CENTRAL_RECORD_BYTES = 46;
const LOCAL_HEADER_BYTES = 30;
const END_RECORD_BYTES = 22;
const ZIP64_LOCATOR_BYTES = 20;
const ZIP64_END_RECORD_BYTES = 56;
/** The end record may be followed by a comment of up to 65535 bytes. */
const MAX_COMMENT_BYTES = 0xffff;
const SIGNATURE = {
  local: 0x04034b50,
  central: 0x02014b50,
  end: 0x06054b50,
  zip64End: 0x06064b50,
  zip64Locator: 0x07064b50,
};
/** Extra-field id of the zip64 extended information (APPNOTE 4.5.3). */
const ZIP64_EXTRA_ID = 0x0001;
/** General-purpose flag bits: encrypted, and names in UTF-8 (APPNOTE 4.4.4). */
const FLAG_ENCRYPTED = 0x0001;
const FLAG_UTF8 = 0x0800;
const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;
/** DOS time starts in 1980; a fixed local date makes the bytes independent of clock and zone. */
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);
/** zlib's default level, which numpy.savez_compressed uses. */
const DEFLATE_LEVEL = 6;
/** Compressed bytes inflated per push when an entry is read whole (bounds one push's output). */
const INFLATE_PUSH_BYTES = 64 << 10;

/** A byte range a parser needs: [start, end) of the archive. */
interface Need {
  start: number;
  end: number;
}
type Parser<T> = Generator<Need, T, Uint8Array>;

/**
 * List the entries of a zip archive held in memory and check their declared sizes, inflating
 * nothing; E_TOO_LARGE when together they declare more bytes than the budget.
 */
export function listZip(bytes: Uint8Array, name: string): ZipEntry[] {
  const entries = runSync(directoryParser(bytes.length, name), bytes);
  const total = entries.reduce((sum, entry) => sum + entry.size, 0);
  assertBytesWithinBudget(total, `the entries declare`, name);
  return checkEntries(entries, bytes.length, name);
}

/** The checked directory of an archive in memory (no budget check: entries may be streamed). */
export function zipDirectory(bytes: Uint8Array, name: string): ZipEntry[] {
  return checkEntries(runSync(directoryParser(bytes.length, name), bytes), bytes.length, name);
}

/** The checked directory of an archive in a Blob or on disk, read in two or three ranges. */
export async function readZipDirectory(
  container: ByteContainer,
  name: string,
): Promise<ZipEntry[]> {
  const size = containerSize(container);
  return checkEntries(await runAsync(directoryParser(size, name), container, name), size, name);
}

/** Where an entry's bytes lie in an archive held in memory. */
export function entryLocationSync(bytes: Uint8Array, name: string, entry: ZipEntry): FileLocation {
  return locationOf(bytes, name, entry, runSync(localDataParser(entry, bytes.length, name), bytes));
}

/** Where an entry's bytes lie in an archive in a Blob or on disk (reads its local header). */
export async function entryLocation(
  container: ByteContainer,
  name: string,
  entry: ZipEntry,
): Promise<FileLocation> {
  const size = containerSize(container);
  const dataStart = await runAsync(localDataParser(entry, size, name), container, name);
  return locationOf(container, name, entry, dataStart);
}

/**
 * Inflate the entries named in `wanted` (each must be in `listZip(bytes, name)`, which the
 * caller has run), checking each one's size and CRC-32.
 */
export function unzipEntries(
  bytes: Uint8Array,
  name: string,
  entries: readonly ZipEntry[],
  wanted: ReadonlySet<string>,
): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const entry of entries) {
    if (wanted.has(entry.name))
      out.set(entry.name, inflateEntry(entryLocationSync(bytes, name, entry)));
  }
  return out;
}

/**
 * The inflated bytes of an entry of an archive held in memory, size and CRC-32 checked. A
 * stored entry is returned as a view of the archive.
 */
export function inflateEntry(location: FileLocation): Uint8Array {
  const archive = location.container as Uint8Array;
  const stored = archive.subarray(location.offset, location.offset + location.storedSize);
  let out: Uint8Array;
  if (!location.deflated) {
    out = stored;
  } else {
    assertBytesWithinBudget(location.size, "the entry declares", location.label);
    out = new Uint8Array(location.size);
    let filled = 0;
    const inflater = new Inflate((data) => {
      if (filled + data.length > location.size) {
        throw entryError(
          location,
          `inflates to more than the ${location.size} bytes the directory declares`,
        );
      }
      out.set(data, filled);
      filled += data.length;
    });
    for (let at = 0; ; at += INFLATE_PUSH_BYTES) {
      const end = Math.min(stored.length, at + INFLATE_PUSH_BYTES);
      try {
        inflater.push(stored.subarray(at, end), end >= stored.length);
      } catch (error) {
        if (isHiddenAtlasError(error)) throw error;
        throw entryError(location, (error as Error).message);
      }
      if (end >= stored.length) break;
    }
    if (filled !== location.size) {
      throw zipError(
        location.zip!.archive,
        `entry '${location.zip!.entry}' holds ${filled} bytes but the directory declares ${location.size}`,
        location.zip!.entry,
      );
    }
  }
  const crc = crc32(out);
  if (crc !== location.crc32) {
    throw entryError(
      location,
      `its CRC-32 is 0x${crc.toString(16).padStart(8, "0")} but the directory declares ` +
        `0x${location.crc32!.toString(16).padStart(8, "0")}; the entry is corrupt`,
    );
  }
  return out;
}

/**
 * The first `length` bytes of an entry of an archive held in memory (fewer when it is
 * shorter), inflating only as much as needed; nothing is checked beyond what was read.
 */
export function entryPrefix(location: FileLocation, length: number): Uint8Array {
  const archive = location.container as Uint8Array;
  const stored = archive.subarray(location.offset, location.offset + location.storedSize);
  const wanted = Math.min(length, location.size);
  if (!location.deflated) return stored.slice(0, wanted);
  const out = new Uint8Array(wanted);
  let filled = 0;
  const inflater = new Inflate((data) => {
    const take = Math.min(data.length, wanted - filled);
    out.set(data.subarray(0, take), filled);
    filled += take;
  });
  for (let at = 0; at < stored.length && filled < wanted; at += INFLATE_PUSH_BYTES) {
    const end = Math.min(stored.length, at + INFLATE_PUSH_BYTES);
    try {
      inflater.push(stored.subarray(at, end), end >= stored.length);
    } catch (error) {
      throw entryError(location, (error as Error).message);
    }
  }
  return out.subarray(0, filled);
}

/**
 * Build a zip archive with the files in insertion order and a fixed timestamp, so the same
 * input always gives the same bytes. `compress` deflates (level 6); otherwise entries are stored.
 */
export function zipEntries(
  files: Iterable<readonly [string, Uint8Array]>,
  { compress = false }: { compress?: boolean } = {},
): Uint8Array {
  // A null prototype: an entry named "__proto__" stays an entry. (Paths that look like array
  // indices, e.g. "7", would be reordered by the object; ours always carry an extension.)
  const input: Record<string, Uint8Array> = Object.create(null);
  for (const [path, data] of files) input[path] = data;
  return zipSync(input, { level: compress ? DEFLATE_LEVEL : 0, mtime: FIXED_MTIME });
}

function locationOf(
  container: ByteContainer,
  name: string,
  entry: ZipEntry,
  dataStart: number,
): FileLocation {
  return {
    container,
    offset: dataStart,
    storedSize: entry.compressedSize,
    size: entry.size,
    deflated: entry.compression === DEFLATE,
    crc32: entry.crc32,
    label: `${name}/${entry.name}`,
    zip: { archive: name, entry: entry.name },
  };
}

/** Reads the end record (and zip64 end record), then the central directory. */
function* directoryParser(size: number, name: string): Parser<ZipEntry[]> {
  if (size < END_RECORD_BYTES) {
    throw zipError(
      name,
      `invalid zip data: ${size} bytes cannot hold an end-of-central-directory record`,
    );
  }
  const tailStart = Math.max(0, size - END_RECORD_BYTES - MAX_COMMENT_BYTES - ZIP64_LOCATOR_BYTES);
  const tail = yield { start: tailStart, end: size };
  const view = dataView(tail);
  let at = -1;
  for (let i = tail.length - END_RECORD_BYTES; i >= 0; i--) {
    if (
      view.getUint32(i, true) === SIGNATURE.end &&
      i + END_RECORD_BYTES + view.getUint16(i + 20, true) <= tail.length
    ) {
      at = i;
      break;
    }
  }
  if (at < 0) throw zipError(name, "invalid zip data: no end-of-central-directory record");
  let count = view.getUint16(at + 10, true);
  let directorySize = view.getUint32(at + 12, true);
  let directoryOffset = view.getUint32(at + 16, true);
  const endOffset = tailStart + at;
  if (count === U16_MAX || directorySize === U32_MAX || directoryOffset === U32_MAX) {
    const locatorAt = at - ZIP64_LOCATOR_BYTES;
    if (locatorAt < 0 || view.getUint32(locatorAt, true) !== SIGNATURE.zip64Locator) {
      throw zipError(name, "the end record points to a zip64 record that is not there");
    }
    const zip64At = readUint64(view, locatorAt + 8, name);
    if (zip64At + ZIP64_END_RECORD_BYTES > endOffset) {
      throw zipError(name, "the zip64 end record lies outside the archive");
    }
    const record = dataView(yield { start: zip64At, end: zip64At + ZIP64_END_RECORD_BYTES });
    if (record.getUint32(0, true) !== SIGNATURE.zip64End) {
      throw zipError(name, "no zip64 end-of-central-directory record where the locator points");
    }
    count = readUint64(record, 32, name);
    directorySize = readUint64(record, 40, name);
    directoryOffset = readUint64(record, 48, name);
  }
  if (directoryOffset + directorySize > endOffset) {
    throw zipError(
      name,
      `the central directory (${directorySize} bytes at ${directoryOffset}) lies outside the archive`,
    );
  }
  if (count > Math.floor(directorySize / CENTRAL_RECORD_BYTES)) {
    throw zipError(name, `the directory announces more entries than the archive can hold`);
  }
  const directory = yield { start: directoryOffset, end: directoryOffset + directorySize };
  const d = dataView(directory);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + CENTRAL_RECORD_BYTES > directory.length || d.getUint32(p, true) !== SIGNATURE.central) {
      throw zipError(name, `invalid zip data: central-directory record ${i} is malformed`);
    }
    const flags = d.getUint16(p + 8, true);
    const nameLength = d.getUint16(p + 28, true);
    const extraLength = d.getUint16(p + 30, true);
    const commentLength = d.getUint16(p + 32, true);
    const next = p + CENTRAL_RECORD_BYTES + nameLength + extraLength + commentLength;
    if (next > directory.length) {
      throw zipError(
        name,
        `invalid zip data: central-directory record ${i} runs past the directory`,
      );
    }
    const nameBytes = directory.subarray(
      p + CENTRAL_RECORD_BYTES,
      p + CENTRAL_RECORD_BYTES + nameLength,
    );
    const entryName = decodeName(nameBytes, (flags & FLAG_UTF8) !== 0);
    if (flags & FLAG_ENCRYPTED)
      throw zipError(name, `entry '${entryName}' is encrypted (not read)`, entryName);
    let compressedSize = d.getUint32(p + 20, true);
    let entrySize = d.getUint32(p + 24, true);
    let localHeaderOffset = d.getUint32(p + 42, true);
    if (compressedSize === U32_MAX || entrySize === U32_MAX || localHeaderOffset === U32_MAX) {
      const extra = zip64Extra(
        directory.subarray(
          p + CENTRAL_RECORD_BYTES + nameLength,
          p + CENTRAL_RECORD_BYTES + nameLength + extraLength,
        ),
      );
      const values: number[] = [];
      for (let k = 0; k + 8 <= extra.length; k += 8)
        values.push(readUint64(dataView(extra), k, name));
      const take = (value: number) => (value === U32_MAX ? values.shift() : value);
      const size64 = take(entrySize);
      const compressed64 = take(compressedSize);
      const offset64 = take(localHeaderOffset);
      if (size64 === undefined || compressed64 === undefined || offset64 === undefined) {
        throw zipError(
          name,
          `entry '${entryName}' lacks the zip64 sizes its record announces`,
          entryName,
        );
      }
      [entrySize, compressedSize, localHeaderOffset] = [size64, compressed64, offset64];
    }
    entries.push({
      name: entryName,
      compressedSize,
      size: entrySize,
      compression: d.getUint16(p + 10, true),
      crc32: d.getUint32(p + 16, true),
      localHeaderOffset,
    });
    p = next;
  }
  // More records than the end record counts: readers would disagree on the archive's contents
  // (Python's zipfile reads them all, others stop at the count), so it is refused.
  if (p + 4 <= directory.length && d.getUint32(p, true) === SIGNATURE.central) {
    throw zipError(
      name,
      `the end record counts ${count} entries but the central directory holds more records`,
    );
  }
  return entries;
}

/** Reads an entry's local header; returns where its data start. */
function* localDataParser(entry: ZipEntry, size: number, name: string): Parser<number> {
  const at = entry.localHeaderOffset;
  if (at + LOCAL_HEADER_BYTES > size)
    throw shortEntry(name, entry, Math.max(0, size - at - LOCAL_HEADER_BYTES));
  const header = dataView(yield { start: at, end: at + LOCAL_HEADER_BYTES });
  if (header.getUint32(0, true) !== SIGNATURE.local) {
    throw zipError(name, `entry '${entry.name}': no local header at offset ${at}`, entry.name);
  }
  const nameLength = header.getUint16(26, true);
  const dataStart = at + LOCAL_HEADER_BYTES + nameLength + header.getUint16(28, true);
  if (dataStart + entry.compressedSize > size)
    throw shortEntry(name, entry, Math.max(0, size - dataStart));
  // The local header must name the entry as the directory does (as Python's zipfile checks): a
  // flipped byte there, or an archive crafted to show different names to different readers.
  const localName = decodeName(
    yield { start: at + LOCAL_HEADER_BYTES, end: at + LOCAL_HEADER_BYTES + nameLength },
    (header.getUint16(6, true) & FLAG_UTF8) !== 0,
  );
  if (localName !== entry.name) {
    throw zipError(
      name,
      `entry '${entry.name}': its local header names it '${localName}'; the archive is corrupt`,
      entry.name,
    );
  }
  return dataStart;
}

/** The per-entry checks, and the total compressed bytes against the archive. */
function checkEntries(entries: ZipEntry[], archiveSize: number, name: string): ZipEntry[] {
  // Entries do not overlap, so together they cannot hold more bytes than the archive. With the
  // deflate ratio bound below, this caps what can be inflated at ~1032 times the archive size.
  const stored = entries.reduce((sum, entry) => sum + entry.compressedSize, 0);
  if (stored > archiveSize) {
    throw zipError(
      name,
      `the entries declare ${stored} compressed bytes but the archive has ${archiveSize}`,
    );
  }
  const seen = new Set<string>();
  for (const entry of entries) {
    if (seen.has(entry.name)) throw zipError(name, `duplicate entry '${entry.name}'`);
    seen.add(entry.name);
    checkDeclaredSizes(entry, name);
  }
  return entries;
}

function checkDeclaredSizes(entry: ZipEntry, name: string): void {
  if (entry.compression !== STORED && entry.compression !== DEFLATE) {
    throw zipError(
      name,
      `entry '${entry.name}' uses compression method ${entry.compression} ` +
        `(only stored and deflate are read)`,
      entry.name,
    );
  }
  const possible =
    entry.compression === STORED
      ? entry.size === entry.compressedSize
      : entry.size <= entry.compressedSize * MAX_DEFLATE_RATIO;
  if (!possible) {
    throw zipError(
      name,
      `entry '${entry.name}' declares ${entry.size} bytes from ${entry.compressedSize} ` +
        `${entry.compression === STORED ? "stored" : "deflated"} bytes, which is impossible`,
      entry.name,
    );
  }
}

function runSync<T>(parser: Parser<T>, bytes: Uint8Array): T {
  let step = parser.next();
  while (!step.done) step = parser.next(bytes.subarray(step.value.start, step.value.end));
  return step.value;
}

async function runAsync<T>(parser: Parser<T>, container: ByteContainer, name: string): Promise<T> {
  const reader = await openContainer(container, name);
  try {
    let step = parser.next();
    while (!step.done) step = parser.next(await reader.read(step.value.start, step.value.end));
    return step.value;
  } finally {
    await reader.close();
  }
}

/** The zip64 extended-information field among an entry's extra fields (empty when absent). */
function zip64Extra(extra: Uint8Array): Uint8Array {
  const view = dataView(extra);
  for (let p = 0; p + 4 <= extra.length;) {
    const id = view.getUint16(p, true);
    const length = view.getUint16(p + 2, true);
    if (id === ZIP64_EXTRA_ID) return extra.subarray(p + 4, Math.min(extra.length, p + 4 + length));
    p += 4 + length;
  }
  return new Uint8Array(0);
}

function readUint64(view: DataView, at: number, name: string): number {
  const value = view.getUint32(at + 4, true) * 2 ** 32 + view.getUint32(at, true);
  if (!Number.isSafeInteger(value))
    throw zipError(name, `a zip64 size or offset (${value}) is beyond 2^53`);
  return value;
}

/** Names are UTF-8 when flagged, else (as fflate and Python read them) one byte per character. */
function decodeName(bytes: Uint8Array, utf8: boolean): string {
  if (utf8) return new TextDecoder().decode(bytes);
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
}

function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function shortEntry(name: string, entry: ZipEntry, available: number): HiddenAtlasError {
  return zipError(
    name,
    `entry '${entry.name}' holds ${Math.min(available, entry.compressedSize)} bytes but the directory declares ${entry.compressedSize}`,
    entry.name,
  );
}

function entryError(location: FileLocation, problem: string): HiddenAtlasError {
  const { archive, entry } = location.zip!;
  return zipError(archive, `entry '${entry}': ${problem}`, entry);
}

function zipError(name: string, problem: string, entry?: string): HiddenAtlasError {
  return new HiddenAtlasError("E_ZIP", `${name}: malformed zip archive: ${problem}`, {
    file: name,
    ...(entry === undefined ? {} : { entry }),
  });
}
