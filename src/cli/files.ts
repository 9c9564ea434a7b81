/**
 * Reading command inputs and writing outputs on disk. Output paths are checked before a
 * command does its work (`checkOutputPath`, called by main.ts for every `--out…` option), and
 * writes never retry a write that made no progress, so a bad path fails at once with E_IO
 * naming it instead of after minutes of work, or never.
 */
import { constants } from "node:fs";
import { access, mkdir, stat, statfs } from "node:fs/promises";
import { dirname, extname, resolve } from "node:path";
import { HiddenAtlasError } from "../core/errors.ts";
import type { Matrix } from "../core/matrix.ts";
import { readCsvChunks } from "../io/csv.ts";
import { classCount } from "../io/labels.ts";
import { toMatrix, type NdArrayLike } from "../io/ndarray.ts";
import { readNpy, writeNpy } from "../io/npy.ts";
import { openRegularFile, readFileBytes, writeFileSafely } from "../io/node.ts";

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

/** The most rows a matrix may have: row indices are 32-bit signed integers in the core. */
export const MAX_MATRIX_ROWS = 2 ** 31 - 1;

/**
 * An N × D float matrix from a .npy (any numeric dtype, N × … flattened) or a numeric CSV/TSV.
 * Every value must be finite (E_NON_FINITE naming the file, row and column) unless `finite` is
 * false (a distance matrix may hold Infinity); a finite float64 value beyond float32's range is
 * E_RANGE naming where it is (it would otherwise become Infinity). More than 2^31 − 1 rows is
 * E_TOO_LARGE (a header may announce them with no data when rows have zero columns), and rows
 * of zero columns are E_SHAPE_MISMATCH (there is nothing to measure them by).
 */
export async function readMatrixFile(
  path: string,
  { finite = true }: { finite?: boolean } = {},
): Promise<Matrix> {
  const extension = extname(path).toLowerCase();
  let matrix: Matrix;
  let source: ArrayLike<number> | undefined;
  if (extension === ".npy") {
    const array = readNpy(await readFileBytes(path), path);
    checkRows(array.shape[0] ?? 0, path);
    matrix = toMatrix(array, path);
    source = array.data;
  } else if (extension === ".csv" || extension === ".tsv" || extension === ".txt")
    matrix = (await readCsvChunks(fileChunks(path), { name: path })).matrix;
  else
    throw new HiddenAtlasError(
      "E_IO",
      `${path}: expected a .npy or .csv file (got ${extension || "no extension"})`,
      { file: path },
    );
  checkRows(matrix.rows, path);
  if (matrix.cols === 0 && matrix.rows > 0) {
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `${path} has ${matrix.rows} rows of 0 columns; each row needs at least one value`,
      { file: path },
    );
  }
  if (finite) assertFiniteFile(matrix.data, matrix.cols, path, source);
  else if (source !== undefined && source !== matrix.data)
    assertWithinFloat32(matrix.data, source, matrix.cols, path);
  return matrix;
}

function checkRows(rows: number, path: string): void {
  if (rows > MAX_MATRIX_ROWS) {
    throw new HiddenAtlasError(
      "E_TOO_LARGE",
      `${path} has ${rows} rows; at most ${MAX_MATRIX_ROWS} (2^31 − 1) rows are supported`,
      { file: path, rows },
    );
  }
}

/**
 * E_NON_FINITE naming `path` and the first NaN or ±Infinity (row, column) in `data`. With
 * `source` (the file's values before they were narrowed to float32), a value that is finite
 * there but not in `data` is E_RANGE instead: it lies beyond float32's range.
 */
export function assertFiniteFile(
  data: ArrayLike<number>,
  cols: number,
  path: string,
  source?: ArrayLike<number>,
): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v - v !== 0) {
      if (source !== undefined && Number.isFinite(source[i]))
        throw rangeError(source[i], i, cols, path);
      const [row, column] = cell(i, cols);
      throw new HiddenAtlasError(
        "E_NON_FINITE",
        `${path} has a non-finite value (${v}) at row ${row}, column ${column}; every value must be finite`,
        { file: path, row, column },
      );
    }
  }
}

/** E_RANGE for the first finite `source` value that became ±Infinity in `data`. */
function assertWithinFloat32(
  data: ArrayLike<number>,
  source: ArrayLike<number>,
  cols: number,
  path: string,
): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]) && Number.isFinite(source[i]))
      throw rangeError(source[i], i, cols, path);
  }
}

function rangeError(value: number, i: number, cols: number, path: string): HiddenAtlasError {
  const [row, column] = cell(i, cols);
  return new HiddenAtlasError(
    "E_RANGE",
    `${path} has ${value} at row ${row}, column ${column}, beyond float32's range (±3.4e38) in which values are computed; rescale the data`,
    { file: path, row, column, value },
  );
}

const cell = (i: number, cols: number): [number, number] =>
  cols === 0 ? [0, 0] : [Math.floor(i / cols), i % cols];

/**
 * Class labels for the rows of `input`: one integer per row, dense enough to be class indices
 * (the bundle rule, src/io/labels.ts), so that per-class counts stay small.
 */
export async function readLabelsFile(
  path: string,
  rows: number,
  input: string,
): Promise<{ labels: Int32Array; classes: number }> {
  const m = await readMatrixFile(path);
  if (m.rows !== rows || m.cols !== 1) {
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `${path}: expected ${rows} labels (one per row of ${input}), got ${m.rows} × ${m.cols}`,
      { file: path },
    );
  }
  const classes = classCount(m.data, path);
  return { labels: Int32Array.from(m.data), classes };
}

/** A file's bytes in chunks (each valid until the next is asked for); E_IO naming the path. */
async function* fileChunks(path: string): AsyncGenerator<Uint8Array, void, undefined> {
  const handle = await openRegularFile(path);
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
export async function checkOutputPath(
  path: string,
  kind: "file" | "directory" = "file",
  option = "--out",
): Promise<void> {
  const target = resolve(path);
  const fail = (problem: string): never => {
    throw new HiddenAtlasError("E_IO", `cannot write ${option} ${path}: ${problem}`, {
      file: path,
      option,
    });
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
    if (special !== undefined)
      fail(`${folder} is on ${special}, a kernel filesystem, not a place for files`);
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
