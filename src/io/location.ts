/**
 * Where a file's bytes lie, and reading them in ranges or as a stream, so that a bundle can be
 * opened without reading its data and a layer read in chunks that never need to be resident
 * together.
 *
 * A container is a Uint8Array in memory, a Blob (a browser File, a slice of a picked zip, a
 * fetched file) or a file on disk named by its path (Node). All three survive structured clone,
 * so a location can be sent to a worker, which reads the bytes itself. A file is a byte range
 * of a container, stored or deflated (zip entries); a whole deflated file is inflated as it
 * streams (fflate's `Inflate`) and a zip entry's CRC-32 is checked once its last byte has been
 * read: a corrupt entry is refused with E_ZIP before anything computed from it is returned.
 */
import { Inflate } from "fflate";
import { HiddenAtlasError, isHiddenAtlasError } from "../core/errors.ts";
import { crc32 } from "./crc32.ts";
import { assertBytesWithinBudget } from "./limits.ts";

/** A file on disk, read through the platform's disk reader (see `setDiskReader`; Node only). */
export interface DiskFile {
  readonly path: string;
  /** Its size when it was opened; a file that has changed since is refused. */
  readonly size: number;
}

export type ByteContainer = Uint8Array | Blob | DiskFile;

/** Where the bytes of one file lie. Plain data: it crosses worker boundaries. */
export interface FileLocation {
  container: ByteContainer;
  /** First byte of the file (compressed, for a deflated file) in the container. */
  offset: number;
  /** Bytes it occupies in the container. */
  storedSize: number;
  /** Bytes once inflated (equal to storedSize for a stored file). */
  size: number;
  deflated: boolean;
  /** The CRC-32 a zip directory declares for the inflated bytes, checked when they stream. */
  crc32?: number;
  /** Names the file in messages, e.g. "bundle.zip/layers/fc1.npy". */
  label: string;
  /** The archive and entry, for a zip entry (E_ZIP messages). */
  zip?: { archive: string; entry: string };
}

/** Reads byte ranges of one container until closed. */
export interface RangeReader {
  /** Bytes [start, end) of the container (a view for a Uint8Array: copy before keeping). */
  read(start: number, end: number): Promise<Uint8Array>;
  /**
   * Bytes [start, start + target.length) into `target`, when the container can be read into a
   * buffer the caller owns (files on disk, bytes in memory): no fresh buffer per read, whose
   * first touch costs more than the copy.
   */
  readInto?(start: number, target: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** How disk files are read; node.ts installs one (file handles). */
export interface DiskReader {
  open(file: DiskFile, label: string): Promise<RangeReader>;
}

let diskReader: DiskReader | undefined;

/** Install the reader for DiskFile containers (node.ts does this when it is imported). */
export function setDiskReader(reader: DiskReader): void {
  diskReader = reader;
}

/** Bytes read from a container per request while streaming a file. */
export const STREAM_CHUNK_BYTES = 4 << 20;
/**
 * Compressed bytes given to the inflater at a time. Deflate expands at most 1032-fold, so one
 * push produces at most ~66 MiB, however the entry lies about its size.
 */
const INFLATE_PUSH_BYTES = 64 << 10;

export function isDiskFile(container: ByteContainer): container is DiskFile {
  return !(container instanceof Uint8Array) && typeof (container as DiskFile).path === "string";
}

/** The size of a container in bytes. */
export function containerSize(container: ByteContainer): number {
  if (container instanceof Uint8Array) return container.length;
  return container.size;
}

/** Open a container for range reads. `label` names it in E_IO messages. */
export async function openContainer(container: ByteContainer, label: string): Promise<RangeReader> {
  if (container instanceof Uint8Array) {
    return {
      read: async (start, end) => container.subarray(start, end),
      async readInto(start, target) {
        if (start + target.length > container.length) {
          throw new HiddenAtlasError("E_IO", `${label}: the file ended early`, { file: label });
        }
        target.set(container.subarray(start, start + target.length));
      },
      close: async () => {},
    };
  }
  if (isDiskFile(container)) {
    if (diskReader === undefined) {
      throw new HiddenAtlasError(
        "E_IO",
        `${label}: ${container.path} is a file on disk, which needs Node's file reader ` +
          `(import src/io/node.ts in this thread)`,
        { file: label },
      );
    }
    return diskReader.open(container, label);
  }
  const blob = container;
  return {
    async read(start, end) {
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await blob.slice(start, end).arrayBuffer());
      } catch (error) {
        throw new HiddenAtlasError(
          "E_IO",
          `${label}: cannot read bytes ${start}-${end}: ${(error as Error).message}`,
          { file: label },
        );
      }
      if (bytes.length !== Math.min(end, blob.size) - start) {
        throw new HiddenAtlasError("E_IO", `${label}: the file changed while it was read`, {
          file: label,
        });
      }
      return bytes;
    },
    close: async () => {},
  };
}

/** Bytes [start, end) of a container, clamped to its size. */
export async function readContainer(
  container: ByteContainer,
  start: number,
  end: number,
  label: string,
): Promise<Uint8Array> {
  const reader = await openContainer(container, label);
  try {
    return await reader.read(start, Math.min(end, containerSize(container)));
  } finally {
    await reader.close();
  }
}

/** A whole file held in memory, as a location. */
export function memoryLocation(bytes: Uint8Array, label: string): FileLocation {
  return {
    container: bytes,
    offset: 0,
    storedSize: bytes.length,
    size: bytes.length,
    deflated: false,
    label,
  };
}

/**
 * The inflated bytes of a file, in order, in chunks of at most about `chunkBytes` (a deflated
 * file yields what each compressed block inflates to). Checks that the file holds exactly
 * `size` bytes and, for a zip entry, its CRC-32 after the last chunk: a generator that has
 * yielded every chunk without throwing has read a sound file. Chunks of a Uint8Array
 * container are views of it, and a file on disk is read into one buffer reused for every
 * chunk: use a chunk before asking for the next, and copy what you keep.
 */
export async function* fileChunks(
  location: FileLocation,
  chunkBytes = STREAM_CHUNK_BYTES,
): AsyncGenerator<Uint8Array, void, undefined> {
  const reader = await openContainer(location.container, location.label);
  try {
    const end = location.offset + location.storedSize;
    if (end > containerSize(location.container)) {
      throw sizeError(location, containerSize(location.container) - location.offset);
    }
    let crc = 0;
    let total = 0;
    if (!location.deflated) {
      // A file on disk is read into one buffer, reused for every chunk.
      const reused =
        reader.readInto !== undefined && isDiskFile(location.container)
          ? new Uint8Array(Math.min(chunkBytes, location.storedSize))
          : null;
      for (let at = location.offset; at < end; at += chunkBytes) {
        const chunkEnd = Math.min(end, at + chunkBytes);
        let chunk: Uint8Array;
        if (reused !== null) {
          chunk = reused.subarray(0, chunkEnd - at);
          await reader.readInto!(at, chunk);
        } else {
          chunk = await reader.read(at, chunkEnd);
        }
        if (location.crc32 !== undefined) crc = crc32(chunk, crc);
        total += chunk.length;
        yield chunk;
      }
    } else {
      const pending: Uint8Array[] = [];
      const inflater = new Inflate((data) => {
        total += data.length;
        if (total > location.size) throw sizeError(location, total, "at least ");
        pending.push(data);
      });
      let at = location.offset;
      do {
        const blockEnd = Math.min(end, at + chunkBytes);
        const block = await reader.read(at, blockEnd);
        const lastBlock = blockEnd >= end;
        for (let p = 0; ; p += INFLATE_PUSH_BYTES) {
          const pieceEnd = Math.min(block.length, p + INFLATE_PUSH_BYTES);
          inflate(
            inflater,
            block.subarray(p, pieceEnd),
            lastBlock && pieceEnd >= block.length,
            location,
          );
          while (pending.length > 0) {
            const chunk = pending.shift()!;
            if (location.crc32 !== undefined) crc = crc32(chunk, crc);
            yield chunk;
          }
          if (pieceEnd >= block.length) break;
        }
        at = blockEnd;
      } while (at < end);
    }
    if (total !== location.size) throw sizeError(location, total);
    if (location.crc32 !== undefined && crc !== location.crc32) {
      throw corruptEntry(
        location,
        `its CRC-32 is ${hex(crc)} but the directory declares ${hex(location.crc32)}; the entry is corrupt`,
      );
    }
  } finally {
    await reader.close();
  }
}

/**
 * Reads a stored (not deflated) file front to back into buffers its caller owns, checking as
 * `fileChunks` does that the file holds its declared bytes and, for a zip entry, its CRC-32
 * (`finish`, after the last piece). Null for a file that cannot be read so: a deflated one, or
 * one in a Blob.
 */
export interface SequentialReader {
  /** The next target.length bytes of the file into target; E_IO past the file's end. */
  next(target: Uint8Array): Promise<void>;
  /** Reads what is left (for the CRC) and checks it; call once, after the last `next`. */
  finish(): Promise<void>;
  close(): Promise<void>;
}

export async function sequentialReader(location: FileLocation): Promise<SequentialReader | null> {
  if (
    location.deflated ||
    !(isDiskFile(location.container) || location.container instanceof Uint8Array)
  )
    return null;
  const end = location.offset + location.storedSize;
  if (end > containerSize(location.container))
    throw sizeError(location, containerSize(location.container) - location.offset);
  if (location.storedSize !== location.size) throw sizeError(location, location.storedSize);
  const reader = await openContainer(location.container, location.label);
  if (reader.readInto === undefined) {
    await reader.close();
    return null;
  }
  let position = 0;
  let crc = 0;
  const read = async (target: Uint8Array) => {
    if (position + target.length > location.size)
      throw sizeError(location, position + target.length, "at least ");
    await reader.readInto!(location.offset + position, target);
    if (location.crc32 !== undefined) crc = crc32(target, crc);
    position += target.length;
  };
  return {
    next: read,
    async finish() {
      if (location.crc32 === undefined) return;
      const rest = new Uint8Array(Math.min(STREAM_CHUNK_BYTES, location.size - position));
      while (position < location.size)
        await read(rest.subarray(0, Math.min(rest.length, location.size - position)));
      if (crc !== location.crc32) {
        throw corruptEntry(
          location,
          `its CRC-32 is ${hex(crc)} but the directory declares ${hex(location.crc32)}; the entry is corrupt`,
        );
      }
    },
    close: () => reader.close(),
  };
}

/** The whole (inflated, checked) file in memory; E_TOO_LARGE first when it exceeds the budget. */
export async function readLocation(location: FileLocation): Promise<Uint8Array> {
  assertBytesWithinBudget(location.size, "the file holds", location.label);
  if (
    !location.deflated &&
    location.crc32 === undefined &&
    location.container instanceof Uint8Array
  ) {
    const end = location.offset + location.storedSize;
    if (end > location.container.length)
      throw sizeError(location, location.container.length - location.offset);
    return location.container.subarray(location.offset, end);
  }
  const out = new Uint8Array(location.size);
  let at = 0;
  for await (const chunk of fileChunks(location)) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * The first `length` bytes of a file (fewer when it is shorter), inflating only as much as
 * needed. Nothing is checked beyond what was read: the CRC covers the whole file.
 */
export async function readPrefix(location: FileLocation, length: number): Promise<Uint8Array> {
  const wanted = Math.min(length, location.size);
  if (!location.deflated) {
    const end = Math.min(location.offset + wanted, location.offset + location.storedSize);
    return (await readContainer(location.container, location.offset, end, location.label)).slice();
  }
  const out = new Uint8Array(wanted);
  let filled = 0;
  const reader = await openContainer(location.container, location.label);
  try {
    const end = location.offset + location.storedSize;
    const inflater = new Inflate((data) => {
      const take = Math.min(data.length, wanted - filled);
      out.set(data.subarray(0, take), filled);
      filled += take;
    });
    for (let at = location.offset; at < end && filled < wanted; at += INFLATE_PUSH_BYTES) {
      const piece = await reader.read(at, Math.min(end, at + INFLATE_PUSH_BYTES));
      inflate(inflater, piece, at + INFLATE_PUSH_BYTES >= end, location);
    }
  } finally {
    await reader.close();
  }
  return out.subarray(0, filled);
}

function inflate(
  inflater: Inflate,
  piece: Uint8Array,
  final: boolean,
  location: FileLocation,
): void {
  try {
    inflater.push(piece, final);
  } catch (error) {
    if (isHiddenAtlasError(error)) throw error;
    throw corruptEntry(location, (error as Error).message);
  }
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, "0")}`;
}

/** The file holds a different number of bytes than its directory or listing declared. */
function sizeError(location: FileLocation, found: number, qualifier = ""): HiddenAtlasError {
  if (location.zip !== undefined) {
    return corruptEntry(
      location,
      `holds ${qualifier}${Math.max(0, found)} bytes but the directory declares ${location.size}`,
      true,
    );
  }
  return new HiddenAtlasError(
    "E_IO",
    `${location.label}: holds ${Math.max(0, found)} bytes, ${location.size} expected (did it change while it was read?)`,
    { file: location.label },
  );
}

/** E_ZIP naming the archive and the entry (or E_IO naming a plain file). */
function corruptEntry(location: FileLocation, problem: string, bare = false): HiddenAtlasError {
  if (location.zip === undefined) {
    return new HiddenAtlasError("E_IO", `${location.label}: ${problem}`, { file: location.label });
  }
  const { archive, entry } = location.zip;
  return new HiddenAtlasError(
    "E_ZIP",
    `${archive}: malformed zip archive: entry '${entry}'${bare ? " " : ": "}${problem}`,
    { file: archive, entry },
  );
}
