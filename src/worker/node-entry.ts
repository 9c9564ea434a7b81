// Entry of the analysis worker under Node's worker_threads.
import { parentPort } from "node:worker_threads";
import { createWorkerHost } from "./host.ts";
import { createTasks } from "./tasks.ts";
import type { Request } from "./protocol.ts";

if (!parentPort) throw new Error("node-entry must run inside a worker thread");
const port = parentPort;
const handle = createWorkerHost(createTasks(), (message, transfer) => port.postMessage(message, transfer));
port.on("message", (request: Request) => handle(request));
