/**
 * The SHA-256 that names a bundle in reports: the hash of its file listing, one
 * "<sha256 of file>  <path>\n" line per file (manifest.json and every file it names), sorted
 * by path — what `sha256sum manifest.json FILES | sort -k2 | sha256sum` prints in the bundle
 * folder. It changes when any byte of any file does, and it does not depend on the container
 * (folder, .zip) the files came in.
 *
 * Hashing needs every byte of every file once. Files are streamed through the hash in chunks
 * (location.ts), so a bundle of any size is hashed in a few MiB; as they stream, zip entries'
 * CRC-32s are checked and lazily opened layers are checked for NaN and ±Infinity from their
 * exponent bits, so `openBundle` still refuses a corrupt or non-finite bundle although it
 * reads no layer into memory (or, opened with `digest: "deferred"`, hashes in the
 * background while each layer is checked as it streams into an analysis; the background pass
 * waits while a layer streams, so the analysis that needs it is not slowed). The core's SHA-256
 * (wasm) is used unless the platform installs a faster one (node.ts installs node:crypto's).
 */
import { sha256Hex } from "../core/hash.ts";
import { Scope, getCore } from "../core/wasm.ts";
import { loadBundle, type Bundle, type LoadBundleOptions } from "./bundle.ts";
import { fileChunks, readPrefix, type FileLocation } from "./location.ts";
import { MANIFEST_FILE, bundleFiles, type Manifest } from "./manifest.ts";
import { locateFile, type BundleSource } from "./sources.ts";
import { FiniteScan, streamsSettled, type StoredArray } from "./stored.ts";

/** An incremental SHA-256. */
export interface Sha256 {
  update(bytes: Uint8Array): void;
  /** The hex digest; the hash cannot be updated afterwards. */
  digest(): string;
  /** Release what the hash holds when it is abandoned before `digest`. */
  dispose?(): void;
}

let platformSha256: (() => Sha256) | undefined;

/** Install a faster SHA-256 for this process (node.ts installs node:crypto's); undefined: the core's. */
export function setSha256(create: (() => Sha256) | undefined): void {
  platformSha256 = create;
}

/** Bytes the core hashes per kernel call: bounds its wasm scratch. */
const CORE_CHUNK_BYTES = 1 << 20;
const CORE_STATE_BYTES = 104;

/** An incremental SHA-256: the platform's, or the core's (assembly/hash.ts). */
export async function createSha256(): Promise<Sha256> {
  if (platformSha256 !== undefined) return platformSha256();
  const core = await getCore();
  const scope = new Scope(core);
  const state = scope.alloc(CORE_STATE_BYTES, "sha256 state");
  const buffer = scope.u8(CORE_CHUNK_BYTES, "sha256 buffer");
  core.kernels.sha256Init(state);
  let done = false;
  return {
    update(bytes) {
      for (let at = 0; at < bytes.length; at += CORE_CHUNK_BYTES) {
        const chunk = bytes.subarray(at, Math.min(bytes.length, at + CORE_CHUNK_BYTES));
        buffer.view().set(chunk);
        core.kernels.sha256Update(state, buffer.ptr, chunk.length);
      }
    },
    digest() {
      done = true;
      try {
        const out = scope.u8(32, "sha256 digest");
        core.kernels.sha256Final(state, out.ptr);
        return hex(out.view());
      } finally {
        scope.dispose();
      }
    },
    dispose() {
      if (!done) scope.dispose();
      done = true;
    },
  };
}

/** Hex SHA-256 of bytes in memory. */
async function sha256Of(bytes: Uint8Array): Promise<string> {
  if (platformSha256 === undefined) return sha256Hex(bytes);
  const hash = platformSha256();
  hash.update(bytes);
  return hash.digest();
}

/**
 * Hex SHA-256 of a file streamed from where it lies (CRC-32 checked for a zip entry); `scan`
 * sees every chunk too.
 */
export async function sha256OfLocation(
  location: FileLocation,
  scan?: FiniteScan,
  { background = false }: { background?: boolean } = {},
): Promise<string> {
  const hash = await createSha256();
  const chunks = fileChunks(location);
  try {
    for (;;) {
      // In the background, a layer being read for an analysis goes first.
      if (background) await streamsSettled();
      const next = await chunks.next();
      if (next.done) break;
      hash.update(next.value);
      scan?.push(next.value);
    }
  } catch (error) {
    hash.dispose?.();
    await chunks.return(undefined).catch(() => undefined);
    throw error;
  }
  return hash.digest();
}

/** A source that remembers the SHA-256 (and the size) of every file read through it whole. */
export function digestingSource(
  source: BundleSource,
): BundleSource & { digests: Map<string, string>; sizes: Map<string, number> } {
  const digests = new Map<string, string>();
  const sizes = new Map<string, number>();
  return {
    name: source.name,
    digests,
    sizes,
    exists: (path) => source.exists(path),
    list: source.list?.bind(source),
    locate: source.locate?.bind(source),
    async read(path) {
      const bytes = await source.read(path);
      if (!digests.has(path)) digests.set(path, await sha256Of(bytes));
      sizes.set(path, bytes.length);
      return bytes;
    },
  };
}

/**
 * The bundle's listing hash. Files not yet hashed (`known`) are streamed from the source;
 * those in `scans` (lazily opened layers) are checked for non-finite values on the way.
 */
export async function bundleSha256(
  source: BundleSource,
  manifest: Manifest,
  known: ReadonlyMap<string, string> = new Map(),
  scans: ReadonlyMap<string, StoredArray> = new Map(),
  { background = false }: { background?: boolean } = {},
): Promise<string> {
  const paths = listedPaths(manifest);
  let listing = "";
  for (const path of paths) {
    let digest = known.get(path);
    if (digest === undefined) {
      const stored = scans.get(path);
      const scan =
        stored !== undefined && FiniteScan.applies(stored) ? new FiniteScan(stored) : undefined;
      digest = await sha256OfLocation(stored?.location ?? (await locateFile(source, path)), scan, {
        background,
      });
    }
    listing += `${digest}  ${path}\n`;
  }
  return sha256Of(new TextEncoder().encode(listing));
}

/**
 * A loaded bundle together with its listing hash. Opened with `digest: "deferred"`, `sha256`
 * is a provisional name until the hash is known: `quick:` and the SHA-256 of the manifest, each
 * file's size and its first 64 KiB (unique enough to key caches, cheap to compute); `digest`
 * resolves to the listing hash once every byte has streamed through it, and from then on
 * `sha256` is that hash.
 */
export type HashedBundle = Bundle & {
  sha256: string;
  /** The listing hash, when it is being computed in the background (`digest: "deferred"`). */
  digest?: Promise<string>;
};

export interface OpenBundleOptions extends LoadBundleOptions {
  /**
   * When the listing hash is computed: "eager" (default) hashes every byte before
   * `openBundle` returns; "deferred" returns once the headers are read and hashes in the
   * background (`bundle.digest`); "auto" defers only bundles larger than `deferAbove` bytes.
   */
  digest?: "eager" | "deferred" | "auto";
  /** Bytes (the files' sizes summed) above which "auto" defers the hash. Default 256 MiB. */
  deferAbove?: number;
}

/** Bundles larger than this have their hash deferred under `digest: "auto"`. */
export const DEFER_DIGEST_ABOVE_BYTES = 256 << 20;
/** Bytes of each file's start that the provisional name covers. */
const QUICK_PREFIX_BYTES = 64 << 10;

/**
 * Open a bundle for analysis: `loadBundle` with layers read lazily (`lazy: true` unless asked
 * otherwise; see LoadBundleOptions), plus the listing hash. Hashing reads every byte once,
 * checking CRCs and (unless `allowNonFinite`) finiteness on the way; no layer's data stay in
 * memory. Small files read whole are hashed from their bytes. With `digest: "deferred"` (or
 * "auto" on a large bundle) only the headers are read before it returns: a layer's CRC and
 * values are then checked as it streams into an analysis, and `bundle.digest` rejects if the
 * background pass finds a corrupt or non-finite file.
 *
 * @example
 * const bundle = await openBundle(zipSource(file, file.name));
 * const X = await layerMatrix(bundle.layers[0], { method: "gap" }); // streamed, reduced
 */
export async function openBundle(
  source: BundleSource,
  options: OpenBundleOptions = {},
): Promise<HashedBundle> {
  const { digest: when = "eager", deferAbove = DEFER_DIGEST_ABOVE_BYTES, ...loadOptions } = options;
  const hashing = digestingSource(source);
  const bundle = await loadBundle(hashing, { lazy: true, ...loadOptions });
  const scans = new Map<string, StoredArray>();
  for (const layer of [...bundle.layers, ...(bundle.checkpoints ?? []).flatMap((c) => c.layers)])
    if (layer.stored !== undefined) scans.set(layer.file, layer.stored);
  const paths = listedPaths(bundle.manifest);
  const defer =
    when === "deferred" ||
    (when === "auto" && (await totalBytes(hashing, paths, scans, hashing.sizes)) > deferAbove);
  if (!defer) {
    const sha256 = await bundleSha256(hashing, bundle.manifest, hashing.digests, scans);
    return Object.assign(bundle, { sha256 });
  }
  let sha256 = `quick:${await quickName(hashing, paths, scans)}`;
  const digest = bundleSha256(hashing, bundle.manifest, hashing.digests, scans, {
    background: true,
  }).then((hex) => (sha256 = hex));
  // Unobserved, a failed background pass must not become an unhandled rejection.
  digest.catch(() => {});
  const hashed = Object.assign(bundle, { digest }) as HashedBundle;
  Object.defineProperty(hashed, "sha256", {
    get: () => sha256,
    enumerable: true,
    configurable: true,
  });
  return hashed;
}

/** manifest.json and every file the manifest names, sorted. */
function listedPaths(manifest: Manifest): string[] {
  return [...new Set([MANIFEST_FILE, ...bundleFiles(manifest).map((f) => f.file)])].sort();
}

async function locationOf(
  source: BundleSource,
  path: string,
  scans: ReadonlyMap<string, StoredArray>,
): Promise<FileLocation> {
  return scans.get(path)?.location ?? (await locateFile(source, path));
}

/** The bytes of the listed files, summed (inflated sizes); files already read are not asked for again. */
async function totalBytes(
  source: BundleSource,
  paths: readonly string[],
  scans: ReadonlyMap<string, StoredArray>,
  known: ReadonlyMap<string, number>,
): Promise<number> {
  let total = 0;
  for (const path of paths)
    total += known.get(path) ?? (await locationOf(source, path, scans)).size;
  return total;
}

/** SHA-256 of "<size> <path>\n" and the first 64 KiB of each listed file. */
async function quickName(
  source: BundleSource,
  paths: readonly string[],
  scans: ReadonlyMap<string, StoredArray>,
): Promise<string> {
  const hash = await createSha256();
  try {
    const encoder = new TextEncoder();
    for (const path of paths) {
      const location = await locationOf(source, path, scans);
      hash.update(encoder.encode(`${location.size} ${path}\n`));
      hash.update(await readPrefix(location, QUICK_PREFIX_BYTES));
    }
  } catch (error) {
    hash.dispose?.();
    throw error;
  }
  return hash.digest();
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
