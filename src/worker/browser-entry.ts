/// <reference lib="webworker" />
// Entry of the analysis Web Worker (bundled by Vite from `new Worker(new URL(...))`). Its
// steps marked `parallel` run in a pool of further workers once `worker.configure` asks for
// more than one thread (pool-entry.ts).
import { AnalysisClient } from "./client.ts";
import { createWorkerHost } from "./host.ts";
import { createStepPool } from "./pool.ts";
import { createTasks } from "./tasks.ts";
import type { Request } from "./protocol.ts";

function startPoolWorker(): AnalysisClient {
  const worker = new Worker(new URL("./pool-entry.ts", import.meta.url), {
    type: "module",
    name: "hidden-atlas pool",
  });
  return new AnalysisClient({
    postMessage: (message, transfer) => worker.postMessage(message, transfer ?? []),
    onMessage: (listener) => worker.addEventListener("message", (event) => listener(event.data)),
    onError: (listener) =>
      worker.addEventListener("error", (event) =>
        listener(new Error(event.message || "pool worker error")),
      ),
    terminate: () => worker.terminate(),
  });
}

const scope = self as unknown as DedicatedWorkerGlobalScope;
const tasks = createTasks({ pool: (size) => createStepPool({ size, start: startPoolWorker }) });
const handle = createWorkerHost(tasks, (message, transfer) => scope.postMessage(message, transfer));
scope.onmessage = (event: MessageEvent<Request>) => handle(event.data);
