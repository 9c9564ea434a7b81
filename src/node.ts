/**
 * `hidden-atlas/node`: what only Node can do — activation bundles in folders, .zip and .npz
 * files on disk, and files read by path. Everything else is in the main entry point, which runs
 * unchanged in Node and in browsers.
 *
 * @example
 * ```ts
 * import { loadBundleFromPath } from "hidden-atlas/node";
 * import { layerTopology } from "hidden-atlas";
 *
 * const bundle = await loadBundleFromPath("runs/mnist-cnn.zip");
 * const result = await layerTopology(bundle, { samples: 300 });
 * ```
 *
 * @module hidden-atlas/node
 */
export {
  loadBundleFromPath,
  bundleSourceFromPath,
  folderSource,
  writeBundle,
  readFileBytes,
} from "./io/node.ts";
