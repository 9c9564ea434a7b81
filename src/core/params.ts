/**
 * Parameter checking shared by every algorithm: one wording for every message, in the
 * form "invalid NAME: VALUE (expected …)", checked before any call into wasm.
 */
import { HiddenAtlasError } from "./errors.ts";

function invalid(name: string, value: unknown, expected: string): HiddenAtlasError {
  const shown = typeof value === "string" ? JSON.stringify(value) : String(value);
  return new HiddenAtlasError("E_PARAM", `invalid ${name}: ${shown} (expected ${expected})`, {
    parameter: name,
  });
}

/** An integer in [min, max]. */
export function checkInteger(name: string, value: unknown, min: number, max = Infinity): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Infinity ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`;
    throw invalid(name, value, range);
  }
  return value;
}

/** A finite number in [min, max] (or open bounds with `exclusive`). */
export function checkNumber(
  name: string,
  value: unknown,
  min = -Infinity,
  max = Infinity,
  { exclusiveMin = false, exclusiveMax = false } = {},
): number {
  const ok =
    typeof value === "number" &&
    Number.isFinite(value) &&
    (exclusiveMin ? value > min : value >= min) &&
    (exclusiveMax ? value < max : value <= max);
  if (!ok) {
    const lo = min === -Infinity ? "" : `${exclusiveMin ? ">" : "≥"} ${min}`;
    const hi = max === Infinity ? "" : `${exclusiveMax ? "<" : "≤"} ${max}`;
    const range = [lo, hi].filter(Boolean).join(" and ");
    throw invalid(name, value, `a finite number${range ? " " + range : ""}`);
  }
  return value as number;
}

/** One of a fixed set of keywords. */
export function checkKeyword<T extends string>(
  name: string,
  value: unknown,
  allowed: readonly T[],
): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw invalid(name, value, `one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`);
  }
  return value as T;
}

/** A boolean. */
export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw invalid(name, value, "true or false");
  return value;
}

/** Reject option names that no default lists (catches typos such as `nNeighbours`). */
export function checkOptionNames(
  what: string,
  options: object,
  defaults: object,
  extra: readonly string[] = ["signal", "onProgress"],
): void {
  for (const key of Object.keys(options)) {
    if (!(key in defaults) && !extra.includes(key)) {
      throw new HiddenAtlasError(
        "E_PARAM",
        `unknown option for ${what}: ${JSON.stringify(key)} (known: ${Object.keys(defaults).join(", ")})`,
        { parameter: key },
      );
    }
  }
}
