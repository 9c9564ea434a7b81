/** Start the analysis worker in Node (worker_threads). */
import { Worker } from "node:worker_threads";
import { AnalysisClient } from "./client.ts";

/**
 * From dist/ the entry is compiled JavaScript. From src/ (tests, `tsx`) it is TypeScript, and a
 * worker thread does not inherit tsx's loader: a tiny bootstrap registers tsx first.
 */
export function startWorker(): Worker {
  if (!import.meta.url.endsWith(".ts"))
    return new Worker(new URL("./node-entry.js", import.meta.url));
  const entry = new URL("./node-entry.ts", import.meta.url).href;
  const tsx = import.meta.resolve("tsx/esm/api");
  const bootstrap = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(entry)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`));
}

export function createNodeClient(): AnalysisClient {
  const worker = startWorker();
  return new AnalysisClient({
    postMessage: (message, transfer) => worker.postMessage(message, (transfer ?? []) as never),
    onMessage: (listener) => worker.on("message", listener),
    onError: (listener) => worker.on("error", listener),
    terminate: () => void worker.terminate(),
  });
}
