// Entry of the analysis worker under Node's worker_threads.
import { parentPort } from "node:worker_threads";
import { HiddenAtlasError } from "../core/errors.ts";
import { loadBundle } from "../io/bundle.ts";
import { bundleSourceFromPath } from "../io/node.ts";
import { createWorkerHost } from "./host.ts";
import { createNodeClient } from "./node.ts";
import { createStepPool } from "./pool.ts";
import { createTasks } from "./tasks.ts";
import { nodeTraceClock } from "./trace-clock.ts";
import type { Request } from "./protocol.ts";

if (!parentPort) throw new Error("node-entry must run inside a worker thread");
const port = parentPort;
/**
 * Bundles are opened from their path lazily (headers only, no hash): a step reads the layers it
 * needs when it needs them, as in the main thread, instead of every worker decoding every layer
 * up front. The inputs (images for thumbnails, read whole) stay unread: the pool's steps compute
 * on layers, and a step that reads them here fails loudly (E_PARAM) instead of finding none.
 */
const tasks = createTasks({
  pool: (size) => createStepPool({ size, start: createNodeClient }),
  openBundle: async (path, { checkpoints }) => {
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
  },
  clock: nodeTraceClock,
});
const handle = createWorkerHost(tasks, (message, transfer) => port.postMessage(message, transfer));
port.on("message", (request: Request) => handle(request));
