/** Start the analysis worker, or a pool worker, in Node (worker_threads). */
import { Worker } from "node:worker_threads";
import { AnalysisClient } from "./client.ts";

/**
 * A worker running `entry` ("node-entry": the analysis worker, every task; "pool-node-entry": a
 * pool worker, only the pool's). From dist/ the entry is compiled JavaScript. From src/ (tests,
 * `tsx`) it is TypeScript, and a worker thread does not inherit tsx's loader: a tiny bootstrap
 * registers tsx first.
 */
export function startWorker(entry: "node-entry" | "pool-node-entry" = "node-entry"): Worker {
  if (!import.meta.url.endsWith(".ts"))
    return new Worker(new URL(`./${entry}.js`, import.meta.url));
  const url = new URL(`./${entry}.ts`, import.meta.url).href;
  const tsx = import.meta.resolve("tsx/esm/api");
  const bootstrap = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(url)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`));
}

/** A client of a worker (the analysis worker by default). */
export function clientOf(worker: Worker): AnalysisClient {
  return new AnalysisClient({
    postMessage: (message, transfer) => worker.postMessage(message, (transfer ?? []) as never),
    onMessage: (listener) => worker.on("message", listener),
    onError: (listener) => worker.on("error", listener),
    terminate: () => void worker.terminate(),
  });
}

/** The analysis worker: every task (tasks.ts). */
export function createNodeClient(): AnalysisClient {
  return clientOf(startWorker());
}

/** A worker of a step pool (src/worker/pool.ts): the pool's tasks only (pool-tasks.ts). */
export function createPoolWorkerClient(): AnalysisClient {
  return clientOf(startWorker("pool-node-entry"));
}
