/**
 * Zip archives (.zip bundles, .npz) on top of fflate's `unzipSync`/`zipSync`.
 *
 * Reading takes two passes over the central directory. The first inflates nothing: it lists
 * every entry's declared sizes and refuses archives that would not fit the memory budget
 * (E_TOO_LARGE) or whose sizes are impossible (E_ZIP: more compressed bytes than the archive
 * holds, or more inflated bytes than deflate can produce from them), because fflate allocates
 * each entry at its declared size before inflating it. The second pass inflates only the
 * entries asked for.
 * Any error fflate throws on corrupt data becomes E_ZIP naming the archive and the entry.
 *
 * fflate does not verify CRC-32s; a flipped bit in a stored entry reaches the .npy reader,
 * which still refuses any inconsistent header.
 */
import { unzipSync, zipSync } from "fflate";
import { HiddenAtlasError, isHiddenAtlasError } from "../core/errors.ts";
import { assertBytesWithinBudget } from "./limits.ts";

/** One file of an archive, as its central directory declares it. */
export interface ZipEntry {
  name: string;
  /** Bytes stored in the archive. */
  compressedSize: number;
  /** Bytes once inflated. */
  size: number;
  /** 0 stored, 8 deflate. */
  compression: number;
}

const STORED = 0;
const DEFLATE = 8;
/** Deflate expands data at most 1032-fold (zlib technical details, "Maximum compression"). */
const MAX_DEFLATE_RATIO = 1032;
/** The fixed part of a central-directory record: no archive holds more entries than this allows. */
const CENTRAL_RECORD_BYTES = 46;
/** DOS time starts in 1980; a fixed local date makes the bytes independent of clock and zone. */
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);
/** zlib's default level, which numpy.savez_compressed uses. */
const DEFLATE_LEVEL = 6;

/** List the entries of a zip archive and check their declared sizes, inflating nothing. */
export function listZip(bytes: Uint8Array, name: string): ZipEntry[] {
  const entries: ZipEntry[] = [];
  const maxEntries = Math.floor(bytes.length / CENTRAL_RECORD_BYTES);
  withZipErrors(name, () => "", () =>
    unzipSync(bytes, {
      filter(info) {
        if (entries.length >= maxEntries) {
          throw zipError(name, `the directory announces more entries than the archive can hold`);
        }
        entries.push({
          name: info.name,
          compressedSize: info.size,
          size: info.originalSize,
          compression: info.compression,
        });
        return false;
      },
    }),
  );
  const total = entries.reduce((sum, entry) => sum + entry.size, 0);
  assertBytesWithinBudget(total, `the entries declare`, name);
  // Entries do not overlap, so together they cannot hold more bytes than the archive. With the
  // deflate ratio bound below, this caps what fflate allocates at ~1032 times the archive size.
  const stored = entries.reduce((sum, entry) => sum + entry.compressedSize, 0);
  if (stored > bytes.length) {
    throw zipError(
      name,
      `the entries declare ${stored} compressed bytes but the archive has ${bytes.length}`,
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

/**
 * Inflate the entries named in `wanted` (each must be in `listZip(bytes, name)`, which the
 * caller has run) and check that each inflates to its declared size.
 */
export function unzipEntries(
  bytes: Uint8Array,
  name: string,
  entries: readonly ZipEntry[],
  wanted: ReadonlySet<string>,
): Map<string, Uint8Array> {
  let current = "";
  const files = withZipErrors(name, () => current, () =>
    unzipSync(bytes, {
      filter(info) {
        if (!wanted.has(info.name)) return false;
        current = info.name;
        return true;
      },
    }),
  );
  const out = new Map<string, Uint8Array>();
  for (const entry of entries) {
    if (!wanted.has(entry.name)) continue;
    const data = Object.hasOwn(files, entry.name) ? files[entry.name] : undefined;
    if (data === undefined || data.length !== entry.size) {
      throw zipError(
        name,
        `entry '${entry.name}' holds ${data?.length ?? 0} bytes but the directory declares ` +
          `${entry.size}`,
        entry.name,
      );
    }
    out.set(entry.name, data);
  }
  return out;
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

/** Run a fflate call, turning anything it throws into E_ZIP naming the entry being read. */
function withZipErrors<T>(name: string, entry: () => string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (isHiddenAtlasError(error)) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw zipError(name, entry() ? `entry '${entry()}': ${reason}` : reason, entry() || undefined);
  }
}

function zipError(name: string, problem: string, entry?: string): HiddenAtlasError {
  return new HiddenAtlasError("E_ZIP", `${name}: malformed zip archive: ${problem}`, {
    file: name,
    ...(entry === undefined ? {} : { entry }),
  });
}
