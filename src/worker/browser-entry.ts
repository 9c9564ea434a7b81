/// <reference lib="webworker" />
// Entry of the analysis Web Worker (bundled by Vite from `new Worker(new URL(...))`).
import { createWorkerHost } from "./host.ts";
import { createTasks } from "./tasks.ts";
import type { Request } from "./protocol.ts";

const scope = self as unknown as DedicatedWorkerGlobalScope;
const handle = createWorkerHost(createTasks(), (message, transfer) => scope.postMessage(message, transfer));
scope.onmessage = (event: MessageEvent<Request>) => handle(event.data);
