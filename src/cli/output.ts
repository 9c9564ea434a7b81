/**
 * What commands print: JSON (typed arrays as arrays, infinities as null), CSV, and a progress
 * bar drawn on stderr only when stderr is a terminal, so stdout stays clean for pipes.
 *
 * Strings from data (bundle, layer, class and file names, meta) may hold terminal escape
 * sequences: ESC [ … and ESC ] … (ANSI CSI and OSC) can recolour, retitle or rewrite a
 * terminal, and 8-bit C1 controls (U+009B is CSI) do the same in some. Nothing printed
 * carries a control character raw: JSON escapes C0 itself and we escape DEL and C1 as
 * \u00XX (still valid JSON); CSV fields and error messages show them as \xXX.
 */
import type { ProgressEvent } from "../core/progress.ts";

/** C0 controls (tab and newline apart), DEL and C1 controls. */
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
/** The same, tab and newline included. */
const CONTROLS_AND_LINES = /[\u0000-\u001f\u007f-\u009f]/g;
/** What JSON.stringify leaves raw: DEL and C1 (it escapes C0 itself). */
const JSON_UNESCAPED_CONTROLS = /[\u007f-\u009f]/g;

/**
 * `text` with every control character shown as \xXX, so that printing it cannot drive the
 * terminal. Newlines and tabs are kept only with `keepLines` (for text we wrote ourselves).
 */
export function terminalSafe(
  text: string,
  { keepLines = false }: { keepLines?: boolean } = {},
): string {
  return text.replace(
    keepLines ? CONTROLS : CONTROLS_AND_LINES,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}

/** JSON with typed arrays as plain arrays, non-finite numbers as null, and no raw control character. */
export function toJson(value: unknown, indent?: number): string {
  const json = JSON.stringify(
    value,
    (_key, v) => {
      if (typeof v === "number" && !Number.isFinite(v)) return null;
      if (ArrayBuffer.isView(v) && !(v instanceof DataView))
        return Array.from(v as unknown as ArrayLike<number>, (x) =>
          Number.isFinite(x) ? x : null,
        );
      return v;
    },
    indent,
  );
  // These can only occur inside strings (JSON's own syntax is ASCII), where \u00XX is valid.
  return json.replace(
    JSON_UNESCAPED_CONTROLS,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Rows of a flat n × k typed array as nested arrays. */
export function nested(values: ArrayLike<number>, rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => values[i * cols + j]),
  );
}

/** A CSV field, quoted when needed (RFC 4180), control characters shown as \xXX. */
export function csvField(value: unknown): string {
  const raw =
    value === null || value === undefined || (typeof value === "number" && !Number.isFinite(value))
      ? ""
      : String(value);
  const text = terminalSafe(raw);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(columns: string[], rows: unknown[][]): string {
  return (
    [columns.map(csvField).join(","), ...rows.map((r) => r.map(csvField).join(","))].join("\n") +
    "\n"
  );
}

export interface Streams {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean; columns?: number };
}

/** A progress callback drawing a one-line bar on a terminal stderr; a no-op otherwise. */
export function terminalProgress(
  stderr: Streams["stderr"],
): ((event: ProgressEvent) => void) | undefined {
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
