/** Start the analysis worker in a browser (a module Web Worker bundled by Vite). */
import { AnalysisClient } from "./client.ts";

export function createBrowserClient(): AnalysisClient {
  const worker = new Worker(new URL("./browser-entry.ts", import.meta.url), { type: "module", name: "hidden-atlas" });
  return new AnalysisClient({
    postMessage: (message, transfer) => worker.postMessage(message, transfer ?? []),
    onMessage: (listener) => worker.addEventListener("message", (event) => listener(event.data)),
    onError: (listener) => worker.addEventListener("error", (event) => listener(new Error(event.message || "worker error"))),
    terminate: () => worker.terminate(),
  });
}
