// Entry of the analysis worker under Node's worker_threads.
import { parentPort } from "node:worker_threads";
import { loadBundle } from "../io/bundle.ts";
import { bundleSourceFromPath } from "../io/node.ts";
import { createWorkerHost, type Task, type TaskContext } from "./host.ts";
import { createNodeClient } from "./node.ts";
import { createStepPool } from "./pool.ts";
import { createTasks } from "./tasks.ts";
import type { Request } from "./protocol.ts";

if (!parentPort) throw new Error("node-entry must run inside a worker thread");
const port = parentPort;
const tasks = createTasks({ pool: (size) => createStepPool({ size, start: createNodeClient }) });
/**
 * Open a bundle from its path and keep it under `key`: a pool's "whole" steps read it. Lazily
 * (headers only, no hash): a step reads the layers it needs when it needs them, as in the main
 * thread, instead of every worker decoding every layer up front.
 */
tasks["bundle.open"] = (async (
  { path, key }: { path: string; key: string },
  context: TaskContext,
) => {
  context.keep(key, await loadBundle(await bundleSourceFromPath(path), { lazy: true }));
  return null;
}) as Task;
const handle = createWorkerHost(tasks, (message, transfer) => port.postMessage(message, transfer));
port.on("message", (request: Request) => handle(request));
