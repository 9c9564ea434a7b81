/**
 * Where a bundle's files come from. `loadBundle` reads through a BundleSource, so the same
 * validation serves a .zip, an .npz, a URL (the notebook site), files the browser was given
 * and (in `node.ts`) a folder on disk. Paths are the manifest's: relative, "/"-separated.
 *
 * Layout rule for folders and archives: manifest.json sits at the root, or inside exactly one
 * top-level folder (what zipping a folder or picking it with <input webkitdirectory> gives);
 * macOS "__MACOSX/" resource entries are ignored.
 */
import { HiddenAtlasError } from "../core/errors.ts";
import { BUNDLE_FORMAT, MANIFEST_FILE, type Manifest } from "./manifest.ts";
import { readNpyHeader, type NpyHeader } from "./npy.ts";
import { formatShape } from "./ndarray.ts";
import { listZip, unzipEntries, type ZipEntry } from "./zip.ts";

export interface BundleSource {
  /** A name for messages: the folder, archive or URL the bundle comes from. */
  readonly name: string;
  /** The bytes of the file at `path`; E_MISSING_FILE or E_IO when it cannot be read. */
  read(path: string): Promise<Uint8Array>;
  exists(path: string): Promise<boolean>;
  /** Every file path, when the source can enumerate them (URLs cannot). */
  list?(): Promise<string[]>;
}

/** What `fileListSource` needs of a browser File. */
export interface FileLike {
  name: string;
  /** "bundle/layers/fc1.npy" for files from <input webkitdirectory>; "" or absent otherwise. */
  webkitRelativePath?: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** Arrays of an .npz without a manifest that take these roles; every other array is a layer. */
const NPZ_ROLES = ["inputs", "labels", "targets", "predictions", "split"] as const;
const MACOS_METADATA = "__MACOSX/";
const NPY_SUFFIX = ".npy";

/**
 * The folder prefix ("" or "name/") under which the bundle lies: the root when it holds
 * manifest.json, else the one top-level folder that does. With no unique manifest the root is
 * used and `loadBundle` reports the missing manifest.
 */
export function bundleRoot(paths: readonly string[]): string {
  if (paths.includes(MANIFEST_FILE)) return "";
  const nested = paths.filter(
    (path) => !path.startsWith(MACOS_METADATA) && /^[^/]+\/manifest\.json$/.test(path),
  );
  return nested.length === 1 ? nested[0].slice(0, -MANIFEST_FILE.length) : "";
}

/** A bundle held in memory as path -> bytes (tests, workers, synthesised .npz bundles). */
export function memorySource(
  files: ReadonlyMap<string, Uint8Array>,
  name = "bundle",
): BundleSource {
  return {
    name,
    async read(path) {
      const bytes = files.get(path);
      if (bytes === undefined) throw missingFile(name, path);
      return bytes;
    },
    async exists(path) {
      return files.has(path);
    },
    async list() {
      return [...files.keys()];
    },
  };
}

/**
 * A bundle zipped as a folder (manifest at the root or in one top-level folder). Entries are
 * inflated when read, so `loadBundle(..., {layers})` inflates only the layers asked for.
 *
 * @example
 * const bundle = await loadBundle(zipSource(new Uint8Array(await file.arrayBuffer()), file.name));
 */
export function zipSource(bytes: Uint8Array, name = "bundle.zip"): BundleSource {
  return zipSourceOf(bytes, name, fileEntries(bytes, name));
}

/**
 * An .npz as a bundle. With a manifest.json inside it is read like a .zip bundle. Otherwise a
 * manifest is synthesised: arrays named inputs, labels, targets, predictions and split take
 * those roles, every other array is a layer in archive order, the task is classification when
 * there are labels, regression when there are targets, and classification when there is
 * neither; the name is the file name without ".npz".
 */
export function npzSource(bytes: Uint8Array, name = "activations.npz"): BundleSource {
  const entries = fileEntries(bytes, name);
  const paths = entries.map((entry) => entry.name);
  if (paths.includes(bundleRoot(paths) + MANIFEST_FILE)) return zipSourceOf(bytes, name, entries);

  const files = unzipEntries(bytes, name, entries, new Set(paths));
  const headers = new Map<string, NpyHeader>();
  for (const [path, data] of files) {
    if (!path.endsWith(NPY_SUFFIX)) {
      throw new HiddenAtlasError(
        "E_ZIP",
        `${name}: entry '${path}' is not an .npy file (an .npz holds only .npy entries)`,
        { file: name, entry: path },
      );
    }
    headers.set(path, readNpyHeader(data, `${name}/${path}`));
  }
  const manifest = synthesiseManifest(headers, name);
  const withManifest = new Map(files);
  withManifest.set(MANIFEST_FILE, new TextEncoder().encode(JSON.stringify(manifest)));
  return memorySource(withManifest, name);
}

/**
 * A bundle served over HTTP(S): files are fetched relative to `baseUrl` (a folder URL; a
 * relative one resolves against `location`, which in a worker is the worker script's URL, so
 * pass workers an absolute URL). `fetch` may be replaced, e.g. in tests.
 *
 * @example
 * const bundle = await loadBundle(urlSource("data/examples/digits-mlp/"));
 */
export function urlSource(
  baseUrl: string,
  name?: string,
  { fetch: fetchFile = globalThis.fetch }: { fetch?: typeof globalThis.fetch } = {},
): BundleSource {
  const folder = baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`;
  let base: URL;
  try {
    base = new URL(folder, globalThis.location?.href);
  } catch {
    throw new HiddenAtlasError("E_PARAM", `invalid bundle URL: ${baseUrl}`, { url: baseUrl });
  }
  const label = name ?? (base.pathname.split("/").filter(Boolean).pop() || base.host);
  const request = async (path: string, method: "GET" | "HEAD") => {
    const url = new URL(path, base).href;
    try {
      return { url, response: await fetchFile(url, { method }) };
    } catch (error) {
      throw new HiddenAtlasError("E_IO", `${method} ${url} failed: ${(error as Error).message}`, {
        url,
      });
    }
  };
  return {
    name: label,
    async read(path) {
      const { url, response } = await request(path, "GET");
      if (response.status === 404) throw missingFile(label, path);
      if (!response.ok) {
        throw new HiddenAtlasError("E_IO", `GET ${url}: HTTP ${response.status}`, { url });
      }
      return new Uint8Array(await response.arrayBuffer());
    },
    async exists(path) {
      return (await request(path, "HEAD")).response.ok;
    },
  };
}

/** A bundle from browser File objects (a folder picked with <input webkitdirectory>, or a drop). */
export function fileListSource(files: readonly FileLike[], name?: string): BundleSource {
  const byPath = new Map(files.map((file) => [file.webkitRelativePath || file.name, file]));
  const root = bundleRoot([...byPath.keys()]);
  const label = name ?? (root === "" ? "bundle" : root.slice(0, -1));
  return {
    name: label,
    async read(path) {
      const file = byPath.get(root + path);
      if (file === undefined) throw missingFile(label, path);
      try {
        return new Uint8Array(await file.arrayBuffer());
      } catch (error) {
        const reason = (error as Error).message;
        throw new HiddenAtlasError("E_IO", `${label}: cannot read ${path}: ${reason}`, {
          file: path,
        });
      }
    },
    async exists(path) {
      return byPath.has(root + path);
    },
    async list() {
      return underRoot([...byPath.keys()], root);
    },
  };
}

/**
 * The source for files a user picked or dropped: one .zip or .npz is opened as an archive,
 * anything else is taken as the files of a bundle folder.
 */
export async function sourceFromFiles(
  files: readonly FileLike[],
  name?: string,
): Promise<BundleSource> {
  if (files.length === 1) {
    const [file] = files;
    const lower = file.name.toLowerCase();
    if (lower.endsWith(".zip") || lower.endsWith(".npz")) {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const label = name ?? file.name;
      return lower.endsWith(".zip") ? zipSource(bytes, label) : npzSource(bytes, label);
    }
  }
  return fileListSource(files, name);
}

function fileEntries(bytes: Uint8Array, name: string): ZipEntry[] {
  return listZip(bytes, name).filter(
    (entry) => !entry.name.endsWith("/") && !entry.name.startsWith(MACOS_METADATA),
  );
}

function zipSourceOf(bytes: Uint8Array, name: string, entries: readonly ZipEntry[]): BundleSource {
  const root = bundleRoot(entries.map((entry) => entry.name));
  const byPath = new Map(entries.map((entry) => [entry.name, entry]));
  return {
    name,
    async read(path) {
      const entry = byPath.get(root + path);
      if (entry === undefined) throw missingFile(name, path);
      return unzipEntries(bytes, name, [entry], new Set([entry.name])).get(entry.name)!;
    },
    async exists(path) {
      return byPath.has(root + path);
    },
    async list() {
      return underRoot([...byPath.keys()], root);
    },
  };
}

/** The paths under `root`, relative to it. */
function underRoot(paths: readonly string[], root: string): string[] {
  return paths.filter((path) => path.startsWith(root)).map((path) => path.slice(root.length));
}

function synthesiseManifest(headers: ReadonlyMap<string, NpyHeader>, name: string): Manifest {
  const [firstPath, first] = headers.entries().next().value ?? [];
  if (first === undefined) {
    throw new HiddenAtlasError("E_MANIFEST", `${name}: the archive holds no arrays`, {
      file: name,
    });
  }
  const samples = first.shape[0];
  for (const [path, { shape }] of headers) {
    const problem =
      shape.length === 0
        ? "is 0-d"
        : shape[0] !== samples
          ? `has shape ${formatShape(shape)} but '${keyOf(firstPath!)}' has ${samples} samples`
          : undefined;
    if (problem !== undefined) {
      throw new HiddenAtlasError(
        "E_SHAPE_MISMATCH",
        `${name}: array '${keyOf(path)}' ${problem}; every array's first dimension must be ` +
          `the sample count`,
        { file: name, entry: path, found: shape[0] ?? null, expected: samples ?? null },
      );
    }
  }
  const hasLabels = headers.has(`labels${NPY_SUFFIX}`);
  const hasTargets = headers.has(`targets${NPY_SUFFIX}`);
  const manifest: Manifest = {
    format: BUNDLE_FORMAT,
    name: name.split(/[\\/]/).pop()!.replace(/\.npz$/i, ""),
    task: hasTargets && !hasLabels ? "regression" : "classification",
    samples,
    layers: [],
  };
  for (const [path, header] of headers) {
    const key = keyOf(path);
    const role = NPZ_ROLES.find((candidate) => candidate === key);
    if (role === undefined) manifest.layers.push({ name: key, file: path, shape: header.shape });
    else manifest[role] = path;
  }
  return manifest;
}

function keyOf(path: string): string {
  return path.slice(0, -NPY_SUFFIX.length);
}

function missingFile(source: string, path: string): HiddenAtlasError {
  return new HiddenAtlasError("E_MISSING_FILE", `${source}: no file ${path}`, { file: path });
}
