/**
 * Notebook state in the URL, so a view can be shared: inputs take their initial value from
 * the query string and every change is written back with history.replaceState.
 */

function currentParams(): URLSearchParams {
  return new URLSearchParams(globalThis.location?.search ?? "");
}

/**
 * The URL's value for `name`, parsed like `fallback` (number, boolean or string), or
 * `fallback` when absent or unparsable. `allowed` restricts strings to a set.
 */
export function urlParam<T extends string | number | boolean>(
  name: string,
  fallback: T,
  allowed?: readonly T[],
): T {
  const raw = currentParams().get(name);
  if (raw === null) return fallback;
  let value: unknown = raw;
  if (typeof fallback === "number") {
    value = Number(raw);
    if (!Number.isFinite(value)) return fallback;
  } else if (typeof fallback === "boolean") {
    if (raw !== "true" && raw !== "false") return fallback;
    value = raw === "true";
  }
  if (allowed && !allowed.includes(value as T)) return fallback;
  return value as T;
}

/** Write `params` into the URL's query string (null/undefined removes a key). */
export function writeUrlParams(
  params: Record<string, string | number | boolean | null | undefined>,
): void {
  if (!globalThis.history || !globalThis.location) return;
  const search = currentParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === null || value === undefined) search.delete(key);
    else search.set(key, String(value));
  }
  const query = search.toString();
  const url = `${location.pathname}${query ? `?${query}` : ""}${location.hash}`;
  if (url !== `${location.pathname}${location.search}${location.hash}`)
    history.replaceState(history.state, "", url);
}
