/**
 * The notebooks' thread setting: `?threads=` in the URL — "auto" (the default, every core) or a
 * count — applied to a notebook's analysis workers before their first analysis, and a control in
 * the side panel that shows the setting and what runs: kernel threads where the page is
 * cross-origin isolated; otherwise kernels on one thread and independent steps (layers, panels)
 * in a pool of workers, which the control says once. The core starts its threads when it loads,
 * so choosing another count reloads the page with the new `?threads=`.
 *
 * @example
 *   const worker = atlas.createBrowserClient();
 *   const threads = await atlas.configureThreads([worker]);   // before any analysis
 *   display(atlas.threadsControl(threads));                    // in a later cell: the panel
 */
import { MAX_THREADS, parseThreads } from "../core/threads.ts";
import type { AnalysisClient } from "../worker/client.ts";
import type { WorkerThreadStatus } from "../worker/tasks.ts";
import { writeUrlParams } from "./url-state.ts";

/** URL key of the thread setting. */
export const THREADS_URL_KEY = "threads";

export interface ThreadSettings {
  /** The setting applied: "auto" (every core) or a count. */
  setting: number | "auto";
  /** Cores of this machine (`navigator.hardwareConcurrency`). */
  cores: number;
  /** What the first worker runs: kernel threads, pool workers, and why fewer (once). */
  status: WorkerThreadStatus;
  /** Why the URL's value was not used (it was not a thread count), or null. */
  invalid: string | null;
}

/** Cores of this machine as the browser reports them (at least 1). */
function browserCores(): number {
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
    ?.hardwareConcurrency;
  return Number.isInteger(cores) && (cores as number) > 0 ? (cores as number) : 1;
}

/** The setting the URL asks for ("auto" when absent), and why not when it is not a count. */
export function threadsFromUrl(search: string = globalThis.location?.search ?? ""): {
  setting: number | "auto";
  invalid: string | null;
} {
  const raw = new URLSearchParams(search).get(THREADS_URL_KEY);
  if (raw === null) return { setting: "auto", invalid: null };
  try {
    return { setting: parseThreads(raw), invalid: null };
  } catch (error) {
    return { setting: "auto", invalid: (error as Error).message };
  }
}

/**
 * Apply the URL's thread setting to `clients` (each an analysis worker that has run nothing
 * yet) and resolve with what runs. Await it before the first analysis: a worker's thread count is
 * fixed once its core has loaded.
 */
export async function configureThreads(
  clients: readonly AnalysisClient[],
): Promise<ThreadSettings> {
  const { setting, invalid } = threadsFromUrl();
  const statuses = await Promise.all(clients.map((client) => client.configureThreads(setting)));
  return { setting, cores: browserCores(), status: statuses[0], invalid };
}

/** One line on what runs, with the reason (once) when kernels run on fewer threads than asked. */
export function describeThreads(settings: ThreadSettings): string {
  const { status } = settings;
  const kernels = `kernels on ${status.threads} thread${status.threads === 1 ? "" : "s"}`;
  const pool =
    status.poolWorkers > 0 ? `; independent steps in up to ${status.poolWorkers} workers` : "";
  const invalid = settings.invalid ? ` (${settings.invalid}; using every core)` : "";
  const note = status.note
    ? `. ${status.note.charAt(0).toUpperCase()}${status.note.slice(1)}.`
    : "";
  return `${kernels}${pool}${invalid}${note}`;
}

let controlCount = 0;

/**
 * The thread control for the side panel: a choice of "all cores" or a count, and the line that
 * says what runs. Choosing reloads the page with the new `?threads=` (removed for "all cores").
 */
export function threadsControl(
  settings: ThreadSettings,
  document: Document = globalThis.document,
): HTMLFormElement {
  const form = document.createElement("form");
  form.className = "atlas-threads";
  const id = `atlas-threads-${++controlCount}`;
  const label = document.createElement("label");
  label.htmlFor = id;
  label.textContent = "Threads";
  const select = document.createElement("select");
  select.id = id;
  select.name = THREADS_URL_KEY;
  const status = document.createElement("p");
  status.className = "atlas-threads-status";
  status.id = `${id}-status`;
  status.setAttribute("role", "status");
  status.textContent = describeThreads(settings);
  select.setAttribute("aria-describedby", status.id);
  const auto = document.createElement("option");
  auto.value = "auto";
  auto.textContent = `all cores (${settings.cores})`;
  select.appendChild(auto);
  const most = Math.min(
    MAX_THREADS,
    Math.max(settings.cores, typeof settings.setting === "number" ? settings.setting : 1),
  );
  for (let n = 1; n <= most; n++) {
    const option = document.createElement("option");
    option.value = String(n);
    option.textContent = String(n);
    select.appendChild(option);
  }
  select.value = String(settings.setting);
  select.addEventListener("change", () => {
    writeUrlParams({ [THREADS_URL_KEY]: select.value === "auto" ? null : select.value });
    globalThis.location?.reload();
  });
  form.addEventListener("submit", (event) => event.preventDefault());
  form.append(label, select, status);
  return form;
}
