/** A progress bar for work running in the analysis worker. */
import type { ProgressEvent } from "../core/progress.ts";

export type ProgressElement = HTMLElement & {
  /** Show an event's progress (bind-free: safe to pass as onProgress). */
  update(event: ProgressEvent): void;
  /** Mark the work finished. */
  done(): void;
  /** Show a failure or cancellation message. */
  fail(message: string): void;
};

export function progressBar(document: Document = globalThis.document): ProgressElement {
  const root = document.createElement("div") as unknown as ProgressElement;
  root.className = "atlas-progress";
  root.setAttribute("role", "status");
  const bar = document.createElement("progress");
  bar.max = 1;
  bar.value = 0;
  const label = document.createElement("span");
  label.textContent = "idle";
  root.append(bar, label);
  root.update = (event) => {
    bar.value = event.total > 0 ? event.done / event.total : 0;
    root.dataset.state = "running";
    label.textContent = `${event.stage}: ${event.done.toLocaleString("en-US")} / ${event.total.toLocaleString("en-US")}`;
  };
  root.done = () => {
    bar.value = 1;
    root.dataset.state = "done";
    label.textContent = "done";
  };
  root.fail = (message) => {
    root.dataset.state = "failed";
    label.textContent = message;
  };
  return root;
}
