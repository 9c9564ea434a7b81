// Entry of a pool worker under Node's worker_threads: only the pool's tasks (pool-tasks.ts), each
// analysis' module imported when its first step arrives.
import { parentPort } from "node:worker_threads";
import { createWorkerHost } from "./host.ts";
import { openPoolBundle } from "./node-open.ts";
import { createPoolTasks } from "./pool-tasks.ts";
import { nodeTraceClock } from "./trace-clock.ts";
import type { Request } from "./protocol.ts";

if (!parentPort) throw new Error("pool-node-entry must run inside a worker thread");
const port = parentPort;
const tasks = createPoolTasks({ openBundle: openPoolBundle, clock: nodeTraceClock });
const handle = createWorkerHost(tasks, (message, transfer) => port.postMessage(message, transfer));
port.on("message", (request: Request) => handle(request));
