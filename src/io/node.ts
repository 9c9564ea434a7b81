/**
 * The Node side of io: bundles in folders on disk, reading and writing files, and choosing the
 * right source for a path. The only io module that touches node:fs, so it is not in io/index.ts.
 *
 * Importing it installs, for the whole process, the reader of files on disk (file handles,
 * used by lazily opened bundles: location.ts) and node:crypto's SHA-256 for bundle hashes
 * (digest.ts), which is several times faster than the core's.
 */
import { createHash } from "node:crypto";
import { constants } from "node:fs";
import { mkdir, open, readdir, realpath, stat, type FileHandle } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, sep } from "node:path";
import { HiddenAtlasError } from "../core/errors.ts";
import { loadBundle, type Bundle, type LoadBundleOptions } from "./bundle.ts";
import { encodeBundle, type BundleInput } from "./bundle-write.ts";
import { setSha256, type Sha256 } from "./digest.ts";
import { assertBytesWithinBudget } from "./limits.ts";
import { setDiskReader, type DiskFile, type FileLocation, type RangeReader } from "./location.ts";
import { MANIFEST_FILE, type Manifest } from "./manifest.ts";
import { npzSourceFrom, zipSource, type BundleSource } from "./sources.ts";

/** Bytes handed to one write call. */
const WRITE_CHUNK_BYTES = 8 << 20;

/** node:crypto's SHA-256, which node.ts installs for bundle hashes (digest.ts). */
export function nodeSha256(): Sha256 {
  const hash = createHash("sha256");
  return { update: (bytes) => void hash.update(bytes), digest: () => hash.digest("hex") };
}

setDiskReader({ open: openDiskFile });
setSha256(nodeSha256);

/**
 * Open a file for reading only if it is a regular file: E_IO naming the path otherwise. It is
 * opened without blocking (a named pipe with no writer would block the open, and a read of it
 * or of a device such as /dev/zero would never end) and checked after opening, so a file
 * swapped for something else in between is refused too.
 */
export async function openRegularFile(path: string): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw ioError(`cannot read ${path}`, path, error);
  }
  let stats;
  try {
    stats = await handle.stat();
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw ioError(`cannot read ${path}`, path, error);
  }
  if (!stats.isFile()) {
    await handle.close().catch(() => undefined);
    const what = stats.isDirectory()
      ? "a folder"
      : stats.isFIFO()
        ? "a named pipe"
        : stats.isCharacterDevice()
          ? "a character device"
          : stats.isBlockDevice()
            ? "a block device"
            : stats.isSocket()
              ? "a socket"
              : "not a regular file";
    throw new HiddenAtlasError("E_IO", `cannot read ${path}: it is ${what}, not a regular file`, {
      path,
    });
  }
  return handle;
}

/**
 * Read a whole regular file; E_IO naming the path when it cannot be read, E_TOO_LARGE when it
 * is larger than the memory budget (nothing made of it could fit then).
 */
export async function readFileBytes(path: string): Promise<Uint8Array> {
  const handle = await openRegularFile(path);
  try {
    const { size } = await handle.stat();
    assertBytesWithinBudget(size, "the file holds", path);
    const buffer = await handle.readFile();
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    if (error instanceof HiddenAtlasError) throw error;
    throw ioError(`cannot read ${path}`, path, error);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * A bundle folder on disk. Paths are resolved through symbolic links, and a link that leads
 * outside the folder is refused (E_IO naming the entry): a bundle from someone else must not
 * read /etc/passwd or ~/.ssh because its manifest names a link to it. Links that stay inside
 * are followed.
 */
export function folderSource(dir: string): BundleSource {
  const name = basename(dir);
  let rootPath: Promise<string> | undefined;
  const root = () =>
    (rootPath ??= realpath(dir).catch((error) =>
      Promise.reject(ioError(`cannot open ${dir}`, dir, error)),
    ));
  /** The real path of an entry: null when it does not resolve, "outside" when it escapes. */
  const resolveEntry = async (path: string): Promise<string | null | typeof OUTSIDE> => {
    const base = await root();
    let real: string;
    try {
      real = await realpath(join(base, path));
    } catch {
      return null;
    }
    const rel = relative(base, real);
    return rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel) ? OUTSIDE : real;
  };
  const inside = async (path: string): Promise<string> => {
    const real = await resolveEntry(path);
    if (real === OUTSIDE) {
      throw new HiddenAtlasError(
        "E_IO",
        `${name}: ${path} is a symbolic link that leads outside the bundle folder; ` +
          `copy the file into the bundle instead`,
        { file: path, path: join(dir, path) },
      );
    }
    // A missing entry: let the read say so, with the path and the system's reason.
    return real ?? join(await root(), path);
  };
  return {
    name,
    async read(path) {
      return readFileBytes(await inside(path));
    },
    async exists(path) {
      const real = await resolveEntry(path);
      if (real === OUTSIDE) return true; // reading it says why it is refused
      if (real === null) return false;
      try {
        return (await stat(real)).isFile();
      } catch {
        return false;
      }
    },
    async list() {
      const base = await root();
      const entries = await readdir(base, { recursive: true, withFileTypes: true });
      return entries
        .filter((entry) => entry.isFile())
        .map((entry) => relative(base, join(entry.parentPath, entry.name)).split(sep).join("/"));
    },
    async locate(path) {
      const real = await inside(path);
      let size: number;
      try {
        const stats = await stat(real);
        if (!stats.isFile()) throw new Error("not a regular file");
        size = stats.size;
      } catch (error) {
        throw ioError(`cannot read ${join(dir, path)}`, join(dir, path), error);
      }
      return diskLocation({ path: real, size }, `${name}/${path}`);
    },
  };
}

/** What `resolveEntry` answers for a link that leads outside the bundle folder. */
const OUTSIDE = Symbol("outside the bundle folder");

/** A whole file on disk as a location. */
function diskLocation(file: DiskFile, label: string): FileLocation {
  return {
    container: file,
    offset: 0,
    storedSize: file.size,
    size: file.size,
    deflated: false,
    label,
  };
}

/** Range reads of a file on disk through one file handle; a file that changed is refused. */
async function openDiskFile(file: DiskFile, label: string): Promise<RangeReader> {
  const handle = await openRegularFile(file.path);
  const size = (await handle.stat()).size;
  if (size !== file.size) {
    await handle.close();
    throw new HiddenAtlasError(
      "E_IO",
      `${label}: the file changed since the bundle was opened (${file.size} bytes then, ${size} now)`,
      {
        file: label,
      },
    );
  }
  const readInto = async (start: number, out: Uint8Array): Promise<void> => {
    for (let filled = 0; filled < out.length;) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(out, filled, out.length - filled, start + filled));
      } catch (error) {
        throw ioError(`cannot read ${file.path}`, file.path, error);
      }
      if (bytesRead === 0) {
        throw new HiddenAtlasError(
          "E_IO",
          `${label}: the file ended early (changed while it was read?)`,
          { file: label },
        );
      }
      filled += bytesRead;
    }
  };
  return {
    async read(start, end) {
      const out = new Uint8Array(Math.max(0, Math.min(end, size) - start));
      await readInto(start, out);
      return out;
    },
    readInto,
    close: () => handle.close(),
  };
}

/**
 * Write bytes to a file (created or truncated), in chunks; a write that makes no progress is
 * an error (E_IO naming the path), never retried.
 */
export async function writeFileSafely(path: string, bytes: Uint8Array): Promise<void> {
  let handle;
  try {
    handle = await open(path, "w");
  } catch (error) {
    throw ioError(`cannot write ${path}`, path, error);
  }
  try {
    for (let at = 0; at < bytes.length;) {
      let bytesWritten: number;
      try {
        ({ bytesWritten } = await handle.write(
          bytes,
          at,
          Math.min(WRITE_CHUNK_BYTES, bytes.length - at),
        ));
      } catch (error) {
        throw ioError(`cannot write ${path}`, path, error);
      }
      if (!(bytesWritten > 0)) {
        throw new HiddenAtlasError(
          "E_IO",
          `cannot write ${path}: the write made no progress after ${at} bytes`,
          { path },
        );
      }
      at += bytesWritten;
    }
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * Write a bundle as a folder: manifest.json and the .npy files (layout in bundle-write.ts).
 * Creates `dir` as needed and overwrites files of the same names. Returns the manifest.
 */
export async function writeBundle(bundle: BundleInput, dir: string): Promise<Manifest> {
  const { manifest, files } = encodeBundle(bundle);
  for (const [path, bytes] of files) {
    const target = join(dir, path);
    try {
      await mkdir(dirname(target), { recursive: true });
    } catch (error) {
      throw ioError(`cannot write ${target}`, target, error);
    }
    await writeFileSafely(target, bytes);
  }
  return manifest;
}

/**
 * Load a bundle from a folder, a .zip, an .npz, or the folder of a manifest.json path.
 *
 * @example
 * const bundle = await loadBundleFromPath("runs/mnist-mlp.zip");
 */
export async function loadBundleFromPath(
  path: string,
  options: LoadBundleOptions = {},
): Promise<Bundle> {
  return loadBundle(await bundleSourceFromPath(path), options);
}

/**
 * The BundleSource for a folder, a .zip, an .npz, or the folder of a manifest.json path. A
 * .zip or .npz is read where it lies (its directory from the end, entries as needed), never
 * whole.
 */
export async function bundleSourceFromPath(path: string): Promise<BundleSource> {
  let stats;
  try {
    stats = await stat(path);
  } catch (error) {
    throw ioError(`cannot open ${path}`, path, error);
  }
  const lower = path.toLowerCase();
  if (stats.isDirectory()) return folderSource(path);
  if (basename(path) === MANIFEST_FILE) return folderSource(dirname(path));
  const file: DiskFile = { path, size: stats.size };
  if (lower.endsWith(".zip")) return zipSource(file, basename(path));
  if (lower.endsWith(".npz")) return npzSourceFrom(file, basename(path));
  throw new HiddenAtlasError(
    "E_PARAM",
    `invalid bundle path: ${path} (expected a folder, a .zip, an .npz or a manifest.json)`,
    { parameter: "path", path },
  );
}

function ioError(what: string, path: string, error: unknown): HiddenAtlasError {
  const reason = error instanceof Error ? error.message : String(error);
  return new HiddenAtlasError("E_IO", `${what}: ${reason}`, { path });
}
