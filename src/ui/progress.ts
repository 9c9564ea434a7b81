/**
 * The progress of one run in the analysis worker: the overall fraction, the step in plain
 * words, the time elapsed and an estimate of the time left, and a cancel button when the
 * caller can cancel.
 */
import type { ProgressEvent } from "../core/progress.ts";

export type ProgressElement = HTMLElement & {
  /** Show an event's progress (bind-free: safe to pass as onProgress). */
  update(event: ProgressEvent): void;
  /** Mark the work finished. */
  done(): void;
  /** Show a failure or cancellation message. */
  fail(message: string): void;
};

export interface ProgressOptions {
  /** Called by the cancel button (shown only when given). */
  onCancel?: () => void;
  document?: Document;
}

/** "12 s", "3 min 05 s". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
}

/** Time left at a fraction done after `elapsed` ms, once the estimate means something (≥ 5 % and ≥ 1 s in). */
export function timeLeft(fraction: number, elapsed: number): number | null {
  if (fraction < 0.05 || elapsed < 1000 || fraction >= 1) return null;
  return (elapsed * (1 - fraction)) / fraction;
}

export function progressBar(options: ProgressOptions | Document = {}): ProgressElement {
  const { onCancel, document = globalThis.document } = "createElement" in options ? { document: options, onCancel: undefined } : options;
  const root = document.createElement("div") as unknown as ProgressElement;
  root.className = "atlas-progress";
  root.setAttribute("role", "status");
  root.setAttribute("aria-live", "polite");
  const bar = document.createElement("progress");
  bar.max = 1;
  bar.value = 0;
  bar.setAttribute("aria-label", "progress of the computation");
  const label = document.createElement("span");
  label.textContent = "idle";
  root.append(bar, label);
  let cancel: HTMLButtonElement | null = null;
  if (onCancel) {
    cancel = document.createElement("button");
    cancel.type = "button";
    cancel.textContent = "Cancel";
    cancel.hidden = true;
    cancel.addEventListener("click", () => onCancel());
    root.append(cancel);
  }
  let started = 0;
  root.update = (event) => {
    const now = Date.now();
    if (root.dataset.state !== "running") started = now;
    const fraction = event.total > 0 ? Math.min(1, event.done / event.total) : 0;
    bar.value = fraction;
    root.dataset.state = "running";
    if (cancel) cancel.hidden = false;
    const elapsed = now - started;
    const left = timeLeft(fraction, elapsed);
    label.textContent = `${event.stage} · ${Math.floor(fraction * 100)} % · ${formatDuration(elapsed)}${left === null ? "" : `, about ${formatDuration(left)} left`}`;
  };
  root.done = () => {
    bar.value = 1;
    const elapsed = root.dataset.state === "running" ? ` in ${formatDuration(Date.now() - started)}` : "";
    root.dataset.state = "done";
    if (cancel) cancel.hidden = true;
    label.textContent = `done${elapsed}`;
  };
  root.fail = (message) => {
    root.dataset.state = "failed";
    if (cancel) cancel.hidden = true;
    label.textContent = message;
  };
  return root;
}
