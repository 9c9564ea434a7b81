/**
 * The Node side of io: bundles in folders on disk, reading files, and choosing the right
 * source for a path. The only io module that touches node:fs, so it is not in io/index.ts.
 */
import { mkdir, readFile, readdir, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative, sep } from "node:path";
import { HiddenAtlasError } from "../core/errors.ts";
import { loadBundle, type Bundle, type LoadBundleOptions } from "./bundle.ts";
import { encodeBundle, type BundleInput } from "./bundle-write.ts";
import { MANIFEST_FILE, type Manifest } from "./manifest.ts";
import { npzSource, zipSource, type BundleSource } from "./sources.ts";

/** Read a whole file; E_IO naming the path when it cannot be read. */
export async function readFileBytes(path: string): Promise<Uint8Array> {
  try {
    const buffer = await readFile(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    throw ioError(`cannot read ${path}`, path, error);
  }
}

/** A bundle folder on disk. */
export function folderSource(dir: string): BundleSource {
  const name = basename(dir);
  return {
    name,
    async read(path) {
      return readFileBytes(join(dir, path));
    },
    async exists(path) {
      try {
        return (await stat(join(dir, path))).isFile();
      } catch {
        return false;
      }
    },
    async list() {
      const entries = await readdir(dir, { recursive: true, withFileTypes: true });
      return entries
        .filter((entry) => entry.isFile())
        .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join("/"));
    },
  };
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
      await writeFile(target, bytes);
    } catch (error) {
      throw ioError(`cannot write ${target}`, target, error);
    }
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

/** The BundleSource for a folder, a .zip, an .npz, or the folder of a manifest.json path. */
export async function bundleSourceFromPath(path: string): Promise<BundleSource> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch (error) {
    throw ioError(`cannot open ${path}`, path, error);
  }
  const lower = path.toLowerCase();
  if (isDirectory) return folderSource(path);
  if (basename(path) === MANIFEST_FILE) return folderSource(dirname(path));
  if (lower.endsWith(".zip")) return zipSource(await readFileBytes(path), basename(path));
  if (lower.endsWith(".npz")) return npzSource(await readFileBytes(path), basename(path));
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
