/**
 * The security policy of the notebook site, in one place: the Content-Security-Policy every
 * built page carries (a <meta> tag) and the headers `hidden-atlas serve` and the Vite dev and
 * preview servers send with every response.
 *
 * Bundles are untrusted: a layer, class or file name may carry markup. Pages show such strings
 * as text, and the policy is the second wall: no script but the site's own files, no inline
 * script (the kit's cells are bundled into files at build time; any inline script that remains
 * is allowed only by its SHA-256), WebAssembly compilation for the core, and no request to any
 * other origin — not by fetch, not by an image, a stylesheet, a font or a form.
 *
 * Inline styles stay allowed: Plot, Inputs and the views set `style` attributes and Plot emits
 * <style> elements. A style cannot run script, and with `img-src`/`font-src` limited to the
 * site (and data:/blob: URLs for images) a CSS `url(...)` cannot reach another machine either.
 */
import { createHash } from "node:crypto";

/**
 * htl (the notebooks' `html`, and the copy inside Inputs) writes a function-valued attribute
 * such as `onclick=${f}` as the placeholder `onclick="::3"` (3: the expression's index in the
 * template), parses the markup, then swaps the placeholder for the `onclick` property. Parsing
 * an event-handler attribute is checked by the CSP even in an inert <template>, so every
 * button, slider and table of Inputs would report a blocked inline handler. These placeholder
 * texts, and nothing else, are allowed as handler attributes: each is a JavaScript syntax
 * error, so none can ever run. 32 covers the largest htl template we ship (Inputs' textarea:
 * its handler is the 11th expression); the site's end-to-end tests count violations.
 */
const HTL_HANDLER_PLACEHOLDERS = 32;

/** Directive → sources. `frame-ancestors` is header-only (browsers ignore it in <meta>). */
const DIRECTIVES: [string, string[]][] = [
  ["default-src", ["'self'"]],
  ["script-src", ["'self'", "'wasm-unsafe-eval'"]],
  [
    "script-src-attr",
    [
      "'unsafe-hashes'",
      ...Array.from({ length: HTL_HANDLER_PLACEHOLDERS }, (_, j) => scriptHashSource(`::${j}`)),
    ],
  ],
  ["style-src", ["'self'", "'unsafe-inline'"]],
  ["img-src", ["'self'", "data:", "blob:"]],
  ["font-src", ["'self'"]],
  ["connect-src", ["'self'"]],
  ["worker-src", ["'self'"]],
  ["frame-src", ["'none'"]],
  ["media-src", ["'none'"]],
  ["object-src", ["'none'"]],
  ["base-uri", ["'none'"]],
  ["form-action", ["'none'"]],
];

/**
 * The site's Content-Security-Policy. `scriptHashes` are `'sha256-…'` sources of inline
 * scripts to allow; `header` adds the directives a <meta> policy cannot carry.
 */
export function siteContentSecurityPolicy({
  scriptHashes = [] as readonly string[],
  header = false,
} = {}): string {
  const directives = DIRECTIVES.map(
    ([name, sources]) =>
      [name, name === "script-src" ? [...sources, ...scriptHashes] : sources] as const,
  );
  if (header) directives.push(["frame-ancestors", ["'none'"]]);
  return directives.map(([name, sources]) => `${name} ${sources.join(" ")}`).join("; ");
}

/** The `'sha256-…'` CSP source that allows an inline script with exactly this text. */
export function scriptHashSource(text: string): string {
  return `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;
}

/**
 * Headers for every response of the site. Cross-origin isolation (COOP + COEP) lets the
 * threaded core use SharedArrayBuffer; everything the site loads is same-origin, so
 * `require-corp` costs nothing.
 */
export function siteSecurityHeaders(): Record<string, string> {
  return {
    "Content-Security-Policy": siteContentSecurityPolicy({ header: true }),
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Referrer-Policy": "no-referrer",
  };
}

/** Inline <script> elements (no `src`) of an HTML page, with their text. */
const INLINE_SCRIPT = /<script\b((?:[^>"']|"[^"]*"|'[^']*')*)>([\s\S]*?)<\/script\s*>/gi;
const SRC_ATTRIBUTE = /(?:^|\s)src\s*=/i;

/** `'sha256-…'` sources for every inline script of `html`, in document order, deduplicated. */
export function inlineScriptHashes(html: string): string[] {
  const hashes: string[] = [];
  for (const [, attributes, text] of html.matchAll(INLINE_SCRIPT)) {
    if (SRC_ATTRIBUTE.test(attributes)) continue;
    const hash = scriptHashSource(text);
    if (!hashes.includes(hash)) hashes.push(hash);
  }
  return hashes;
}

/**
 * `html` with a CSP <meta> tag allowing its inline scripts, placed before anything it governs:
 * right after `<meta charset>` (or first in <head> when there is none).
 */
export function withContentSecurityPolicyMeta(html: string): string {
  const policy = siteContentSecurityPolicy({ scriptHashes: inlineScriptHashes(html) });
  const meta = `<meta http-equiv="Content-Security-Policy" content="${policy}">`;
  const head = /<head\b[^>]*>/i.exec(html);
  if (!head) throw new Error("withContentSecurityPolicyMeta: the page has no <head>");
  const headEnd = html.search(/<\/head\s*>/i);
  const charset = /<meta\s+charset\s*=[^>]*>/i.exec(
    html.slice(head.index, headEnd < 0 ? undefined : headEnd),
  );
  const at = charset ? head.index + charset.index + charset[0].length : head.index + head[0].length;
  return `${html.slice(0, at)}\n    ${meta}${html.slice(at)}`;
}
