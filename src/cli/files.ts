/**
 * Reading command inputs and writing outputs on disk. Output paths are checked before a
 * command does its work (`checkOutputPath`, called by main.ts for every `--out…` option), and
 * writes never retry a write that made no progress, so a bad path fails at once with E_IO
 * naming it instead of after minutes of work, or never.
 */
import { constants } from "node:fs";
import { access, mkdir, open, stat, statfs } from "node:fs/promises";
import { dirname, extname, resolve } from "node:path";
import { HiddenAtlasError } from "../core/errors.ts";
import type { Matrix } from "../core/matrix.ts";
import { readCsvChunks } from "../io/csv.ts";
import { toMatrix, type NdArrayLike } from "../io/ndarray.ts";
import { readNpy, writeNpy } from "../io/npy.ts";
import { readFileBytes, writeFileSafely } from "../io/node.ts";

/** Bytes read from a CSV file at a time. */
const READ_CHUNK_BYTES = 1 << 20;

/**
 * Filesystems that hold no files of ours: kernel interfaces where a write means something
 * else or never completes (statfs f_type values from linux/magic.h).
 */
const SPECIAL_FILESYSTEMS = new Map<number, string>([
  [0x9fa0, "procfs"],
  [0x62656572, "sysfs"],
  [0x1cd1, "devpts"],
  [0x64626720, "debugfs"],
  [0x74726163, "tracefs"],
  [0x73636673, "securityfs"],
  [0x27e0eb, "cgroup"],
  [0x63677270, "cgroup2"],
  [0xcafe4a11, "bpf"],
  [0x6165676c, "pstore"],
  [0xde5e81e4, "efivarfs"],
  [0x62656570, "configfs"],
  [0xf97cff8c, "selinuxfs"],
  [0x43415d53, "smackfs"],
  [0x65735543, "fusectl"],
  [0x42494e4d, "binfmt_misc"],
  [0x6e736673, "nsfs"],
  [0x19800202, "mqueue"],
  [0x958458f6, "hugetlbfs"],
]);

/** An N × D float matrix from a .npy (any numeric dtype, N × … flattened) or a numeric CSV/TSV. */
export async function readMatrixFile(path: string): Promise<Matrix> {
  const extension = extname(path).toLowerCase();
  if (extension === ".npy") return toMatrix(readNpy(await readFileBytes(path), path), path);
  if (extension === ".csv" || extension === ".tsv" || extension === ".txt") {
    return (await readCsvChunks(fileChunks(path), { name: path })).matrix;
  }
  throw new HiddenAtlasError("E_IO", `${path}: expected a .npy or .csv file (got ${extension || "no extension"})`, { file: path });
}

/** A file's bytes in chunks (each valid until the next is asked for); E_IO naming the path. */
async function* fileChunks(path: string): AsyncGenerator<Uint8Array, void, undefined> {
  let handle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    throw ioError(`cannot read ${path}`, path, error);
  }
  try {
    const buffer = new Uint8Array(READ_CHUNK_BYTES);
    for (;;) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(buffer, 0, buffer.length, null));
      } catch (error) {
        throw ioError(`cannot read ${path}`, path, error);
      }
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

/**
 * E_IO naming `path` unless it can take an output: a file path whose folder exists and is a
 * writable directory on an ordinary filesystem, and which is a writable regular file if it
 * exists; or, for `kind` "directory", a writable directory (or one that can be created under
 * the nearest existing, writable folder). Nothing is created.
 */
export async function checkOutputPath(path: string, kind: "file" | "directory" = "file", option = "--out"): Promise<void> {
  const target = resolve(path);
  const fail = (problem: string): never => {
    throw new HiddenAtlasError("E_IO", `cannot write ${option} ${path}: ${problem}`, { file: path, option });
  };
  const existing = await statOrNull(target);
  if (kind === "directory") {
    if (existing !== null) {
      if (!existing.isDirectory()) fail(`it exists and is not a folder`);
      await checkFolder(target, fail);
      return;
    }
    let ancestor = dirname(target);
    let found = await statOrNull(ancestor);
    while (found === null && dirname(ancestor) !== ancestor) {
      ancestor = dirname(ancestor);
      found = await statOrNull(ancestor);
    }
    if (found === null || !found.isDirectory()) fail(`${ancestor} is not a folder`);
    await checkFolder(ancestor, fail);
    return;
  }
  if (existing !== null) {
    if (existing.isDirectory()) fail("it is a folder; give a file name");
    if (!existing.isFile()) fail(`it is ${describeSpecial(existing)}, not a regular file`);
  }
  const folder = dirname(target);
  const parent = await statOrNull(folder);
  if (parent === null) fail(`the folder ${folder} does not exist`);
  if (!parent!.isDirectory()) fail(`${folder} is not a folder`);
  await checkFolder(folder, fail);
  if (existing !== null) {
    try {
      await access(target, constants.W_OK);
    } catch {
      fail("the file is not writable");
    }
  }
}

/** A writable folder on an ordinary filesystem. */
async function checkFolder(folder: string, fail: (problem: string) => never): Promise<void> {
  try {
    const { type } = await statfs(folder);
    const special = SPECIAL_FILESYSTEMS.get(type >>> 0);
    if (special !== undefined) fail(`${folder} is on ${special}, a kernel filesystem, not a place for files`);
  } catch (error) {
    if (error instanceof HiddenAtlasError) throw error;
    // statfs is unavailable on some platforms; the access check below still applies.
  }
  try {
    await access(folder, constants.W_OK | constants.X_OK);
  } catch {
    fail(`the folder ${folder} is not writable`);
  }
}

async function statOrNull(path: string) {
  try {
    return await stat(path);
  } catch {
    return null;
  }
}

function describeSpecial(stats: Awaited<ReturnType<typeof stat>>): string {
  if (stats.isCharacterDevice()) return "a character device";
  if (stats.isBlockDevice()) return "a block device";
  if (stats.isFIFO()) return "a named pipe";
  if (stats.isSocket()) return "a socket";
  return "a special file";
}

/** Create a folder (and its parents); E_IO naming it on failure. */
export async function makeFolder(path: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true });
  } catch (error) {
    throw ioError(`cannot create ${path}`, path, error);
  }
}

/** Write an array as .npy. */
export async function writeNpyFile(path: string, array: NdArrayLike): Promise<void> {
  await writeFileSafely(path, writeNpy(array, path));
}

/** Write text to a file, with E_IO naming the path on failure. */
export async function writeTextFile(path: string, text: string): Promise<void> {
  await writeFileSafely(path, new TextEncoder().encode(text));
}

function ioError(what: string, path: string, error: unknown): HiddenAtlasError {
  const reason = error instanceof Error ? error.message : String(error);
  return new HiddenAtlasError("E_IO", `${what}: ${reason}`, { file: path });
}
