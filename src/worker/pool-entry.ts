/// <reference lib="webworker" />
// Entry of a pool worker in the browser: it runs the steps the analysis worker sends it (a
// module Web Worker bundled by Vite from browser-entry.ts), with no pool of its own.
import { createWorkerHost } from "./host.ts";
import { createTasks } from "./tasks.ts";
import type { Request } from "./protocol.ts";

const scope = self as unknown as DedicatedWorkerGlobalScope;
const handle = createWorkerHost(createTasks(), (message, transfer) =>
  scope.postMessage(message, transfer),
);
scope.onmessage = (event: MessageEvent<Request>) => handle(event.data);
