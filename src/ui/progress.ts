/**
 * The progress of one run in the analysis worker: the overall fraction, the step in plain
 * words, the time elapsed and an estimate of the time left, and a cancel button while a run
 * that can be cancelled is going. A cancelled run leaves "Run again"; a failed one its message
 * (announced, role "alert"), once, here rather than in every cell that needed the result.
 */
import type { ProgressEvent } from "../core/progress.ts";

export type ProgressElement = HTMLElement & {
  /** Show an event's progress (bind-free: safe to pass as onProgress). */
  update(event: ProgressEvent): void;
  /** A run starts; `onCancel` (if given) is what the Cancel button does while it runs. */
  start(onCancel?: () => void): void;
  /** Mark the work finished. */
  done(): void;
  /** The person cancelled the run: say so and offer to run it again. */
  cancelled(onRetry?: () => void): void;
  /** Show a failure message (announced to screen readers). */
  fail(message: string): void;
};

export interface ProgressOptions {
  /** What the Cancel button does while a run goes (a run started with `start(onCancel)` brings its own). */
  onCancel?: () => void;
  /** What the bar is for, for screen readers (default "progress of the computation"). */
  label?: string;
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
  const {
    onCancel: fixedCancel,
    label: name = "progress of the computation",
    document = globalThis.document,
  } = "createElement" in options
    ? { document: options, onCancel: undefined, label: undefined }
    : options;
  const root = document.createElement("div") as unknown as ProgressElement;
  root.className = "atlas-progress";
  root.dataset.state = "idle";
  const bar = document.createElement("progress");
  bar.max = 1;
  bar.value = 0;
  bar.setAttribute("aria-label", name);
  // The status line is the live region (not the whole element: its buttons are not news).
  const label = document.createElement("span");
  label.className = "atlas-progress-label";
  label.setAttribute("role", "status");
  label.setAttribute("aria-live", "polite");
  label.textContent = "idle";
  const cancel = document.createElement("button");
  cancel.type = "button";
  cancel.textContent = "Cancel";
  cancel.hidden = true;
  const retry = document.createElement("button");
  retry.type = "button";
  retry.textContent = "Run again";
  retry.hidden = true;
  root.append(bar, label, cancel, retry);

  let onCancel: (() => void) | undefined = fixedCancel;
  let onRetry: (() => void) | undefined;
  cancel.addEventListener("click", () => onCancel?.());
  retry.addEventListener("click", () => {
    retry.hidden = true;
    onRetry?.();
  });
  let started = 0;
  const running = (now: number) => {
    if (root.dataset.state !== "running") {
      started = now;
      root.dataset.state = "running";
      label.removeAttribute("role");
      label.setAttribute("role", "status");
    }
    cancel.hidden = !onCancel;
    retry.hidden = true;
  };
  root.start = (cancelRun) => {
    onCancel = cancelRun ?? fixedCancel;
    root.dataset.state = "idle";
    running(Date.now());
    bar.value = 0;
    label.textContent = "starting…";
  };
  root.update = (event) => {
    const now = Date.now();
    running(now);
    const fraction = event.total > 0 ? Math.min(1, event.done / event.total) : 0;
    bar.value = fraction;
    const elapsed = now - started;
    const left = timeLeft(fraction, elapsed);
    label.textContent = `${event.stage} · ${Math.floor(fraction * 100)} % · ${formatDuration(elapsed)}${left === null ? "" : `, about ${formatDuration(left)} left`}`;
  };
  root.done = () => {
    bar.value = 1;
    const elapsed =
      root.dataset.state === "running" ? ` in ${formatDuration(Date.now() - started)}` : "";
    root.dataset.state = "done";
    cancel.hidden = true;
    retry.hidden = true;
    label.textContent = `done${elapsed}`;
  };
  root.cancelled = (again) => {
    const elapsed =
      root.dataset.state === "running" ? ` after ${formatDuration(Date.now() - started)}` : "";
    root.dataset.state = "cancelled";
    cancel.hidden = true;
    onRetry = again;
    retry.hidden = !again;
    label.textContent = `cancelled${elapsed}; the figures below are from the last finished run`;
  };
  root.fail = (message) => {
    root.dataset.state = "failed";
    cancel.hidden = true;
    retry.hidden = true;
    label.setAttribute("role", "alert");
    label.textContent = message;
  };
  return root;
}
