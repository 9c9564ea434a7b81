/**
 * Start the analysis worker in a browser (a module Web Worker bundled by Vite). A page whose
 * URL has `budget=` (bytes, or e.g. `512MiB`) lowers the memory budget of the page's readers
 * and of the worker's to it: a tab on a small machine then refuses, with the bytes and a
 * remedy, what it could not hold.
 */
import { parseBudget, setMemoryBudget } from "../io/limits.ts";
import { AnalysisClient } from "./client.ts";

export function createBrowserClient(): AnalysisClient {
  const worker = new Worker(new URL("./browser-entry.ts", import.meta.url), {
    type: "module",
    name: "hidden-atlas",
  });
  const client = new AnalysisClient({
    postMessage: (message, transfer) => worker.postMessage(message, transfer ?? []),
    onMessage: (listener) => worker.addEventListener("message", (event) => listener(event.data)),
    onError: (listener) =>
      worker.addEventListener("error", (event) =>
        listener(new Error(event.message || "worker error")),
      ),
    terminate: () => worker.terminate(),
  });
  const budget = new URLSearchParams(globalThis.location?.search ?? "").get("budget");
  if (budget !== null) {
    const bytes = parseBudget(budget, "budget (URL)");
    setMemoryBudget(bytes);
    // Sent before any other message, so it holds from the worker's first task on.
    void client.run("worker.budget", { bytes }).catch(() => {});
  }
  return client;
}
