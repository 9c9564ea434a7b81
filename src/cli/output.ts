/**
 * What commands print: JSON (typed arrays as arrays, infinities as null), CSV, and a progress
 * bar drawn on stderr only when stderr is a terminal, so stdout stays clean for pipes.
 */
import type { ProgressEvent } from "../core/progress.ts";

/** JSON with typed arrays as plain arrays and non-finite numbers as null. */
export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    (_key, v) => {
      if (typeof v === "number" && !Number.isFinite(v)) return null;
      if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>, (x) => (Number.isFinite(x) ? x : null));
      return v;
    },
    indent,
  );
}

/** Rows of a flat n × k typed array as nested arrays. */
export function nested(values: ArrayLike<number>, rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => values[i * cols + j]));
}

/** A CSV field, quoted when needed (RFC 4180). */
export function csvField(value: unknown): string {
  const text = value === null || value === undefined || (typeof value === "number" && !Number.isFinite(value)) ? "" : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(columns: string[], rows: unknown[][]): string {
  return [columns.map(csvField).join(","), ...rows.map((r) => r.map(csvField).join(","))].join("\n") + "\n";
}

export interface Streams {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean; columns?: number };
}

/** A progress callback drawing a one-line bar on a terminal stderr; a no-op otherwise. */
export function terminalProgress(stderr: Streams["stderr"]): ((event: ProgressEvent) => void) | undefined {
  if (!stderr.isTTY) return undefined;
  let last = "";
  return (event) => {
    const width = 30;
    const fraction = event.total > 0 ? Math.min(1, event.done / event.total) : 0;
    const filled = Math.round(fraction * width);
    const line = `\r${event.stage.padEnd(12)} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%`;
    if (line !== last) stderr.write(line + (fraction >= 1 ? "\n" : ""));
    last = line;
  };
}
