/// <reference lib="webworker" />
// Entry of a kernel thread in the browser (a module Web Worker bundled by Vite from
// `new Worker(new URL(...))` in threads.ts). Node starts the same body from its source text.
import { serveKernels } from "./kernel-thread.ts";

const scope = self as unknown as DedicatedWorkerGlobalScope;
serveKernels({
  post: (message) => scope.postMessage(message),
  listen: (handler) => scope.addEventListener("message", (event) => handler(event.data as never)),
});
