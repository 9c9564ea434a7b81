/** Opening a bundle named on the command line: a folder, a .zip or an .npz. */
import { stat } from "node:fs/promises";
import { basename, extname } from "node:path";
import { HiddenAtlasError } from "../core/errors.ts";
import { folderSource, readFileBytes } from "../io/node.ts";
import { npzSource, zipSource, type BundleSource } from "../io/sources.ts";

export async function loadBundleSource(path: string): Promise<BundleSource> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new HiddenAtlasError("E_IO", `no such bundle: ${path}`, { file: path });
  }
  if (info.isDirectory()) return folderSource(path);
  const extension = extname(path).toLowerCase();
  if (extension === ".zip") return zipSource(await readFileBytes(path), basename(path));
  if (extension === ".npz") return npzSource(await readFileBytes(path), basename(path));
  throw new HiddenAtlasError("E_IO", `${path}: a bundle is a folder with manifest.json, a .zip or an .npz`, { file: path });
}
