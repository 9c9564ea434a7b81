/**
 * Where a bundle's files come from. `loadBundle` reads through a BundleSource, so the same
 * validation serves a .zip, an .npz, a URL (the notebook site), files the browser was given
 * and (in `node.ts`) a folder on disk. Paths are the manifest's: relative, "/"-separated.
 *
 * Layout rule for folders and archives: manifest.json sits at the root, or inside exactly one
 * top-level folder (what zipping a folder or picking it with <input webkitdirectory> gives);
 * macOS "__MACOSX/" resource entries are ignored.
 *
 * Every source here can also `locate` a file: say where its bytes lie without reading them
 * (a Blob, a range of an archive, a file on disk), so that a bundle opened lazily reads a
 * layer only when it is used, in chunks (location.ts, stored.ts). Archives given as a Blob
 * (a picked .zip, or one on disk in Node) are never read whole: their directory is read from
 * the end, and each entry where it lies.
 */
import { HiddenAtlasError } from "../core/errors.ts";
import { memoryLocation, readLocation, type ByteContainer, type FileLocation } from "./location.ts";
import { BUNDLE_FORMAT, MANIFEST_FILE, type Manifest } from "./manifest.ts";
import { npyDataOffset, readNpyHeader, type NpyHeader } from "./npy.ts";
import { formatShape } from "./ndarray.ts";
import { readNpyHeaderAt } from "./stored.ts";
import {
  entryLocation,
  entryLocationSync,
  entryPrefix,
  readZipDirectory,
  zipDirectory,
  type ZipEntry,
} from "./zip.ts";

export interface BundleSource {
  /** A name for messages: the folder, archive or URL the bundle comes from. */
  readonly name: string;
  /** The bytes of the file at `path`; E_MISSING_FILE or E_IO when it cannot be read. */
  read(path: string): Promise<Uint8Array>;
  exists(path: string): Promise<boolean>;
  /** Every file path, when the source can enumerate them (URLs cannot). */
  list?(): Promise<string[]>;
  /**
   * Where the file's bytes lie, without reading them (E_MISSING_FILE when there is no such
   * file). Sources without it are read whole (see `locateFile`).
   */
  locate?(path: string): Promise<FileLocation>;
}

/**
 * What `fileListSource` needs of a browser File. A real File (or an object carrying one in
 * `blob`, e.g. a file dropped inside a folder, whose path the File itself cannot hold) is read
 * in slices where it lies; anything else is read whole.
 */
export interface FileLike {
  name: string;
  /** "bundle/layers/fc1.npy" for files from <input webkitdirectory>; "" or absent otherwise. */
  webkitRelativePath?: string;
  arrayBuffer(): Promise<ArrayBuffer>;
  /** The file's bytes as a Blob, when the object is not itself one. */
  blob?: Blob;
}

/** Where a file of any source lies: `source.locate`, or its bytes read whole into memory. */
export async function locateFile(source: BundleSource, path: string): Promise<FileLocation> {
  if (source.locate !== undefined) return source.locate(path);
  return memoryLocation(await source.read(path), `${source.name}/${path}`);
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
    async locate(path) {
      const bytes = files.get(path);
      if (bytes === undefined) throw missingFile(name, path);
      return memoryLocation(bytes, `${name}/${path}`);
    },
  };
}

/**
 * A bundle zipped as a folder (manifest at the root or in one top-level folder). Entries are
 * inflated when read, so `loadBundle(..., {layers})` inflates only the layers asked for. An
 * archive in memory has its directory checked at once (E_ZIP thrown here); one in a Blob or on
 * disk is never read whole: its directory is read on first use, each entry where it lies.
 *
 * @example
 * const bundle = await loadBundle(zipSource(file, file.name)); // file: a picked File
 */
export function zipSource(archive: ByteContainer, name = "bundle.zip"): BundleSource {
  if (archive instanceof Uint8Array) {
    const entries = fileEntries(zipDirectory(archive, name));
    return zipSourceOf(archive, name, async () => entries);
  }
  return zipSourceOf(archive, name, async () => fileEntries(await readZipDirectory(archive, name)));
}

/**
 * An .npz as a bundle. With a manifest.json inside it is read like a .zip bundle. Otherwise a
 * manifest is synthesised from the arrays' headers (nothing else is read): arrays named
 * inputs, labels, targets, predictions and split take those roles, every other array is a
 * layer in archive order, the task is classification when there are labels, regression when
 * there are targets, and classification when there is neither; the name is the file name
 * without ".npz".
 */
export function npzSource(bytes: Uint8Array, name = "activations.npz"): BundleSource {
  const entries = fileEntries(zipDirectory(bytes, name));
  const paths = entries.map((entry) => entry.name);
  if (paths.includes(bundleRoot(paths) + MANIFEST_FILE))
    return zipSourceOf(bytes, name, async () => entries);
  const headers = new Map<string, NpyHeader>();
  for (const entry of entries) {
    const location = entryLocationSync(bytes, name, checkNpyEntry(entry, name));
    let prefix = entryPrefix(location, HEADER_PROBE_BYTES);
    const needed = npyDataOffset(prefix);
    if (needed !== undefined && needed > prefix.length) prefix = entryPrefix(location, needed);
    headers.set(entry.name, readNpyHeader(prefix, `${name}/${entry.name}`));
  }
  return withManifest(
    zipSourceOf(bytes, name, async () => entries),
    synthesiseManifest(headers, name),
  );
}

/** `npzSource` for an archive in a Blob or on disk: only the directory and headers are read. */
export async function npzSourceFrom(
  archive: ByteContainer,
  name = "activations.npz",
): Promise<BundleSource> {
  if (archive instanceof Uint8Array) return npzSource(archive, name);
  const entries = fileEntries(await readZipDirectory(archive, name));
  const paths = entries.map((entry) => entry.name);
  const source = zipSourceOf(archive, name, async () => entries);
  if (paths.includes(bundleRoot(paths) + MANIFEST_FILE)) return source;
  const headers = new Map<string, NpyHeader>();
  for (const entry of entries) {
    const location = await entryLocation(archive, name, checkNpyEntry(entry, name));
    headers.set(entry.name, await readNpyHeaderAt({ ...location, label: `${name}/${entry.name}` }));
  }
  return withManifest(source, synthesiseManifest(headers, name));
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
    async locate(path) {
      const { url, response } = await request(path, "GET");
      if (response.status === 404) throw missingFile(label, path);
      if (!response.ok) {
        throw new HiddenAtlasError("E_IO", `GET ${url}: HTTP ${response.status}`, { url });
      }
      const blob = await response.blob();
      return {
        container: blob,
        offset: 0,
        storedSize: blob.size,
        size: blob.size,
        deflated: false,
        label: `${label}/${path}`,
      };
    },
  };
}

/** A bundle from browser File objects (a folder picked with <input webkitdirectory>, or a drop). */
export function fileListSource(files: readonly FileLike[], name?: string): BundleSource {
  const byPath = new Map(files.map((file) => [file.webkitRelativePath || file.name, file]));
  const root = bundleRoot([...byPath.keys()]);
  const label = name ?? (root === "" ? "bundle" : root.slice(0, -1));
  const read = async (path: string) => {
    const file = byPath.get(root + path);
    if (file === undefined) throw missingFile(label, path);
    try {
      return new Uint8Array(await (blobOf(file) ?? file).arrayBuffer());
    } catch (error) {
      const reason = (error as Error).message;
      throw new HiddenAtlasError("E_IO", `${label}: cannot read ${path}: ${reason}`, {
        file: path,
      });
    }
  };
  return {
    name: label,
    read,
    async locate(path) {
      const file = byPath.get(root + path);
      if (file === undefined) throw missingFile(label, path);
      const blob = blobOf(file);
      if (blob === undefined) return memoryLocation(await read(path), `${label}/${path}`);
      return {
        container: blob,
        offset: 0,
        storedSize: blob.size,
        size: blob.size,
        deflated: false,
        label: `${label}/${path}`,
      };
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
 * Archives up to this size are read whole when picked: one read is quicker than many small
 * slices, and the bundle then behaves as one held in memory. Larger ones are read in slices.
 */
export const SLICE_ARCHIVES_ABOVE_BYTES = 64 << 20;

/**
 * The source for files a user picked or dropped: one .zip or .npz is opened as an archive,
 * anything else is taken as the files of a bundle folder. An archive larger than `sliceAbove`
 * bytes (default SLICE_ARCHIVES_ABOVE_BYTES) is read in slices where it lies, never whole.
 */
export async function sourceFromFiles(
  files: readonly FileLike[],
  name?: string,
  { sliceAbove = SLICE_ARCHIVES_ABOVE_BYTES }: { sliceAbove?: number } = {},
): Promise<BundleSource> {
  if (files.length === 1) {
    const [file] = files;
    const lower = file.name.toLowerCase();
    if (lower.endsWith(".zip") || lower.endsWith(".npz")) {
      const blob = blobOf(file);
      const archive =
        blob !== undefined && blob.size > sliceAbove
          ? blob
          : new Uint8Array(await file.arrayBuffer());
      const label = name ?? file.name;
      return lower.endsWith(".zip") ? zipSource(archive, label) : npzSourceFrom(archive, label);
    }
  }
  return fileListSource(files, name);
}

/** The Blob holding a file's bytes: the file itself, or the one it carries. */
function blobOf(file: FileLike): Blob | undefined {
  if (typeof Blob === "undefined") return undefined;
  if (file instanceof Blob) return file;
  return file.blob instanceof Blob ? file.blob : undefined;
}

/** Bytes of an entry's start read to find its .npy header (most headers are 128 bytes). */
const HEADER_PROBE_BYTES = 4096;

/** The entries that are files (not folders, not macOS resource forks). */
function fileEntries(entries: readonly ZipEntry[]): ZipEntry[] {
  return entries.filter(
    (entry) => !entry.name.endsWith("/") && !entry.name.startsWith(MACOS_METADATA),
  );
}

function checkNpyEntry(entry: ZipEntry, name: string): ZipEntry {
  if (!entry.name.endsWith(NPY_SUFFIX)) {
    throw new HiddenAtlasError(
      "E_ZIP",
      `${name}: entry '${entry.name}' is not an .npy file (an .npz holds only .npy entries)`,
      { file: name, entry: entry.name },
    );
  }
  return entry;
}

/** `source` with a synthesised manifest.json in front of its own files. */
function withManifest(source: BundleSource, manifest: Manifest): BundleSource {
  const bytes = new TextEncoder().encode(JSON.stringify(manifest));
  return {
    name: source.name,
    read: (path) => (path === MANIFEST_FILE ? Promise.resolve(bytes) : source.read(path)),
    exists: (path) => (path === MANIFEST_FILE ? Promise.resolve(true) : source.exists(path)),
    list: async () => [MANIFEST_FILE, ...(await source.list!())],
    locate: (path) =>
      path === MANIFEST_FILE
        ? Promise.resolve(memoryLocation(bytes, `${source.name}/${path}`))
        : source.locate!(path),
  };
}

/** A zip bundle; `directory` gives its file entries, asked for once, on first use. */
function zipSourceOf(
  archive: ByteContainer,
  name: string,
  directory: () => Promise<ZipEntry[]>,
): BundleSource {
  let indexed: Promise<{ root: string; byPath: Map<string, ZipEntry> }> | undefined;
  const index = () =>
    (indexed ??= directory().then((entries) => ({
      root: bundleRoot(entries.map((entry) => entry.name)),
      byPath: new Map(entries.map((entry) => [entry.name, entry])),
    })));
  const locate = async (path: string) => {
    const { root, byPath } = await index();
    const entry = byPath.get(root + path);
    if (entry === undefined) throw missingFile(name, path);
    const location =
      archive instanceof Uint8Array
        ? entryLocationSync(archive, name, entry)
        : await entryLocation(archive, name, entry);
    return { ...location, label: `${name}/${path}` };
  };
  return {
    name,
    async read(path) {
      return readLocation(await locate(path));
    },
    async exists(path) {
      const { root, byPath } = await index();
      return byPath.has(root + path);
    },
    async list() {
      const { root, byPath } = await index();
      return underRoot([...byPath.keys()], root);
    },
    locate,
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
    name: name
      .split(/[\\/]/)
      .pop()!
      .replace(/\.npz$/i, ""),
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
