/**
 * HiddenAtlasError: the one error type every layer throws for bad input, bad parameters and
 * resource limits. `code` is stable (scripts and the CLI match on it); `message` names the
 * file, field or parameter and what was expected.
 */

/** Stable error codes. Add new codes at the end; never rename one. */
export const ERROR_CODES = {
  /** A parameter is out of range or of the wrong type. */
  E_PARAM: "invalid parameter",
  /** Two inputs that must agree in shape do not. */
  E_SHAPE_MISMATCH: "shape mismatch",
  /** NaN or ±Infinity where finite values are required. */
  E_NON_FINITE: "non-finite value",
  /** The work or the data would need more memory than is available. */
  E_TOO_LARGE: "too large",
  /** A file ends before the data its header announces. */
  E_TRUNCATED: "truncated file",
  /** An .npy header is malformed. */
  E_NPY_HEADER: "malformed .npy header",
  /** A dtype we do not read (e.g. complex, object/pickle, unicode). */
  E_DTYPE: "unsupported dtype",
  /** A malformed .zip/.npz container. */
  E_ZIP: "malformed zip archive",
  /** A malformed safetensors header. */
  E_SAFETENSORS: "malformed safetensors file",
  /** A malformed CSV file. */
  E_CSV: "malformed CSV",
  /** A bundle's manifest.json is missing or invalid. */
  E_MANIFEST: "invalid bundle manifest",
  /** A file the manifest names does not exist. */
  E_MISSING_FILE: "missing file",
  /** The caller aborted the work (a newer request, a closed tab, Ctrl-C). */
  E_CANCELLED: "cancelled",
  /** The WebAssembly core could not be loaded or trapped. */
  E_WASM: "WebAssembly core failure",
  /** Command-line usage error (exit code 2). */
  E_USAGE: "usage error",
  /** A file could not be read or written. */
  E_IO: "I/O error",
  /** Finite values spread over more orders of magnitude than the computation can resolve. */
  E_RANGE: "value range out of reach",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class HiddenAtlasError extends Error {
  readonly code: ErrorCode;
  /** Optional structured facts, e.g. `{bytesNeeded}` for E_TOO_LARGE or `{file}`. */
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = "HiddenAtlasError";
    this.code = code;
    this.details = details;
  }

  /** A plain object that survives structured clone and JSON (for workers and the CLI). */
  toJSON(): { name: string; code: ErrorCode; message: string; details: Record<string, unknown> } {
    return { name: this.name, code: this.code, message: this.message, details: this.details };
  }

  /** Rebuild an error serialised by `toJSON` (e.g. after crossing a worker boundary). */
  static fromJSON(value: { code: ErrorCode; message: string; details?: Record<string, unknown> }) {
    return new HiddenAtlasError(value.code, value.message, value.details ?? {});
  }
}

export function isHiddenAtlasError(error: unknown): error is HiddenAtlasError {
  return error instanceof HiddenAtlasError;
}

/** Format a byte count for messages: "1.5 GiB". */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
