// Entry of the analysis worker under Node's worker_threads.
import { parentPort } from "node:worker_threads";
import { createWorkerHost } from "./host.ts";
import { createPoolWorkerClient } from "./node.ts";
import { openPoolBundle } from "./node-open.ts";
import { createStepPool } from "./pool.ts";
import { createTasks } from "./tasks.ts";
import { nodeTraceClock } from "./trace-clock.ts";
import type { Request } from "./protocol.ts";

if (!parentPort) throw new Error("node-entry must run inside a worker thread");
const port = parentPort;
const tasks = createTasks({
  pool: (size) => createStepPool({ size, start: createPoolWorkerClient }),
  openBundle: openPoolBundle,
  clock: nodeTraceClock,
});
const handle = createWorkerHost(tasks, (message, transfer) => port.postMessage(message, transfer));
port.on("message", (request: Request) => handle(request));
