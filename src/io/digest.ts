/**
 * The SHA-256 that names a bundle in reports: the hash of its file listing, one
 * "<sha256 of file>  <path>\n" line per file (manifest.json and every file it names), sorted
 * by path — what `sha256sum manifest.json FILES | sort -k2 | sha256sum` prints in the bundle
 * folder. It changes when any byte of any file does, and it does not depend on the container
 * (folder, .zip) the files came in.
 */
import { sha256Hex } from "../core/hash.ts";
import { loadBundle, type Bundle, type LoadBundleOptions } from "./bundle.ts";
import { MANIFEST_FILE, bundleFiles, type Manifest } from "./manifest.ts";
import type { BundleSource } from "./sources.ts";

/** A source that remembers the SHA-256 of every file read through it. */
export function digestingSource(source: BundleSource): BundleSource & { digests: Map<string, string> } {
  const digests = new Map<string, string>();
  return {
    name: source.name,
    digests,
    exists: (path) => source.exists(path),
    list: source.list?.bind(source),
    async read(path) {
      const bytes = await source.read(path);
      if (!digests.has(path)) digests.set(path, await sha256Hex(bytes));
      return bytes;
    },
  };
}

/** The bundle's listing hash; files not yet hashed are read now. */
export async function bundleSha256(
  source: BundleSource,
  manifest: Manifest,
  known: ReadonlyMap<string, string> = new Map(),
): Promise<string> {
  const paths = [...new Set([MANIFEST_FILE, ...bundleFiles(manifest).map((f) => f.file)])].sort();
  let listing = "";
  for (const path of paths) {
    const digest = known.get(path) ?? (await sha256Hex(await source.read(path)));
    listing += `${digest}  ${path}\n`;
  }
  return sha256Hex(new TextEncoder().encode(listing));
}

/** A loaded bundle together with its listing hash. */
export type HashedBundle = Bundle & { sha256: string };

/** loadBundle plus the listing hash, reading each file once. */
export async function openBundle(source: BundleSource, options: LoadBundleOptions = {}): Promise<HashedBundle> {
  const hashing = digestingSource(source);
  const bundle = await loadBundle(hashing, options);
  const sha256 = await bundleSha256(hashing, bundle.manifest, hashing.digests);
  return Object.assign(bundle, { sha256 });
}
