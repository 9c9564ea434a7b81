/**
 * NumPy .npz archives: a zip of .npy files, stored by `np.savez` and deflated by
 * `np.savez_compressed`. Keys are the entry names without ".npy", in archive order.
 */
import { HiddenAtlasError } from "../core/errors.ts";
import { readNpy, writeNpy } from "./npy.ts";
import type { NdArray, NdArrayLike } from "./ndarray.ts";
import { listZip, unzipEntries, zipEntries } from "./zip.ts";

const NPY_SUFFIX = ".npy";

/**
 * Read every array of an .npz archive. Errors name the archive and the entry; an entry that is
 * not an .npy file is refused (E_ZIP) rather than skipped.
 *
 * @example
 * const labels = readNpz(bytes, "activations.npz").get("labels");
 */
export function readNpz(bytes: Uint8Array, name = "archive.npz"): Map<string, NdArray> {
  const entries = listZip(bytes, name).filter((entry) => !entry.name.endsWith("/"));
  for (const entry of entries) {
    if (!entry.name.endsWith(NPY_SUFFIX)) {
      throw new HiddenAtlasError(
        "E_ZIP",
        `${name}: entry '${entry.name}' is not an .npy file (an .npz holds only .npy entries)`,
        { file: name, entry: entry.name },
      );
    }
  }
  const files = unzipEntries(bytes, name, entries, new Set(entries.map((entry) => entry.name)));
  const arrays = new Map<string, NdArray>();
  for (const [entry, data] of files) {
    arrays.set(entry.slice(0, -NPY_SUFFIX.length), readNpy(data, `${name}/${entry}`));
  }
  return arrays;
}

/**
 * Write arrays as an .npz archive (entries "<key>.npy" in insertion order, fixed timestamps),
 * deflated like `np.savez_compressed` when `compress` is true, stored like `np.savez` otherwise.
 */
export function writeNpz(
  arrays: Record<string, NdArrayLike> | Map<string, NdArrayLike>,
  { compress = false }: { compress?: boolean } = {},
): Uint8Array {
  const pairs = arrays instanceof Map ? [...arrays] : Object.entries(arrays);
  return zipEntries(
    pairs.map(([key, arr]) => [key + NPY_SUFFIX, writeNpy(arr, key)] as const),
    { compress },
  );
}
