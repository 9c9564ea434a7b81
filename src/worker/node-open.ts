/**
 * How a worker in Node opens a bundle from its path for a pool's steps: lazily (headers only,
 * no hash), so a step reads the layers it needs when it needs them, as in the main thread,
 * instead of every worker decoding every layer up front. The inputs (images for thumbnails,
 * read whole) stay unread: the pool's steps compute on layers, and a step that reads them here
 * fails loudly (E_PARAM) instead of finding none.
 */
import type { AnalysisBundle } from "../analyses/columns.ts";
import { HiddenAtlasError } from "../core/errors.ts";
import { loadBundle } from "../io/bundle.ts";
import { bundleSourceFromPath } from "../io/node.ts";

export async function openPoolBundle(
  path: string,
  { checkpoints }: { checkpoints: boolean },
): Promise<AnalysisBundle> {
  const bundle = await loadBundle(await bundleSourceFromPath(path), {
    lazy: true,
    checkpoints,
    inputs: false,
  });
  if (bundle.manifest.inputs !== undefined)
    Object.defineProperty(bundle, "inputs", {
      get() {
        throw new HiddenAtlasError(
          "E_PARAM",
          `${bundle.name}: a pool worker opened the bundle without its inputs (${bundle.manifest.inputs}); a step that reads them cannot run in the pool`,
        );
      },
    });
  return bundle;
}
