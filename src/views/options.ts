/** Filling a view's options from its module's `defaults`. */

/**
 * `defaults` overridden by every option the caller set; an option given as undefined keeps its
 * default (as `options.width ?? 300` would).
 *
 * @example
 *   const o = withDefaults(defaults.gridHeatmap, options); // o.width: options.width ?? 300
 */
export function withDefaults<D extends object, O extends object>(defaults: D, options: O): D & O {
  const out = { ...defaults } as Record<string, unknown>;
  for (const [key, value] of Object.entries(options)) if (value !== undefined) out[key] = value;
  return out as D & O;
}
