// Entry of the analysis worker under Node's worker_threads.
import { parentPort } from "node:worker_threads";
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
 * up front.
 */
const tasks = createTasks({
  pool: (size) => createStepPool({ size, start: createNodeClient }),
  openBundle: async (path, { checkpoints }) =>
    loadBundle(await bundleSourceFromPath(path), { lazy: true, checkpoints }),
  clock: nodeTraceClock,
});
const handle = createWorkerHost(tasks, (message, transfer) => port.postMessage(message, transfer));
port.on("message", (request: Request) => handle(request));
