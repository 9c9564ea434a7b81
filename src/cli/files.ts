/** Reading command inputs and writing array outputs on disk. */
import { writeFile } from "node:fs/promises";
import { extname } from "node:path";
import { HiddenAtlasError } from "../core/errors.ts";
import type { Matrix } from "../core/matrix.ts";
import { readCsv } from "../io/csv.ts";
import { toMatrix, type NdArrayLike } from "../io/ndarray.ts";
import { readNpy, writeNpy } from "../io/npy.ts";
import { readFileBytes } from "../io/node.ts";

/** An N × D float matrix from a .npy (any numeric dtype, N × … flattened) or a numeric CSV/TSV. */
export async function readMatrixFile(path: string): Promise<Matrix> {
  const extension = extname(path).toLowerCase();
  const bytes = await readFileBytes(path);
  if (extension === ".npy") return toMatrix(readNpy(bytes, path), path);
  if (extension === ".csv" || extension === ".tsv" || extension === ".txt") {
    return readCsv(new TextDecoder().decode(bytes), { name: path }).matrix;
  }
  throw new HiddenAtlasError("E_IO", `${path}: expected a .npy or .csv file (got ${extension || "no extension"})`, { file: path });
}

/** Write an array as .npy. */
export async function writeNpyFile(path: string, array: NdArrayLike): Promise<void> {
  try {
    await writeFile(path, writeNpy(array, path));
  } catch (error) {
    if (error instanceof HiddenAtlasError) throw error;
    throw new HiddenAtlasError("E_IO", `cannot write ${path}: ${(error as Error).message}`, { file: path });
  }
}

/** Write text to a file, with E_IO naming the path on failure. */
export async function writeTextFile(path: string, text: string): Promise<void> {
  try {
    await writeFile(path, text);
  } catch (error) {
    throw new HiddenAtlasError("E_IO", `cannot write ${path}: ${(error as Error).message}`, { file: path });
  }
}
