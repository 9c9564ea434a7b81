/**
 * Builds and serves the notebook site (notebooks/*.html) with Observable Notebook Kit.
 *
 * The kit's runtime imports Plot, Inputs, d3, htl and d3-dsv from the jsDelivr CDN; the
 * `offlineLibraries` plugin below resolves those URLs to the installed packages so that a built
 * page makes no request off the machine (notebook-kit#121).
 */
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { config, observable } from "@observablehq/notebook-kit/vite";
import { defineConfig, type Plugin } from "vite";
import { siteSecurityHeaders, withContentSecurityPolicyMeta } from "./src/cli/site-policy.ts";

const root = dirname(fileURLToPath(import.meta.url));
const notebooksDir = join(root, "notebooks");

/** CDN packages the kit loads at run time, served from node_modules instead. */
const OFFLINE_PACKAGES = ["@observablehq/plot", "@observablehq/inputs", "d3-dsv", "d3", "htl"];
/** A jsDelivr ESM URL; group 1 is the package name (version, if any, dropped). */
const CDN_IMPORT =
  /https:\/\/cdn\.jsdelivr\.net\/npm\/((?:@[^/@"'`]+\/)?[^/@"'`]+)(?:@[^/"'`]*)?\/\+esm/g;
const INPUTS_CSS_CDN = "https://cdn.jsdelivr.net/npm/@observablehq/inputs/dist/index.css";

/**
 * Rewrite the kit's CDN imports of our offline packages into bare specifiers in the source
 * text, so both the dev server (which never resolves http: imports) and the build resolve them
 * from node_modules; and point the Inputs stylesheet's CDN @import at the installed file.
 */
function offlineLibraries(): Plugin {
  return {
    name: "hidden-atlas:offline-libraries",
    enforce: "pre",
    transform(code) {
      if (!code.includes("cdn.jsdelivr.net/npm/")) return null;
      const rewritten = code
        .replaceAll(INPUTS_CSS_CDN, "@observablehq/inputs/dist/index.css")
        .replace(CDN_IMPORT, (url: string, name: string) =>
          OFFLINE_PACKAGES.includes(name) ? name : url,
        );
      return rewritten === code ? null : { code: rewritten, map: null };
    },
  };
}

/**
 * Every page gets the site's Content-Security-Policy as a <meta> tag, so the built site keeps it
 * on any plain file server; inline scripts still in the final page are allowed by their hash.
 * The dev and preview servers send the same policy (and the other security headers) as headers.
 */
function contentSecurityPolicy(): Plugin {
  return {
    name: "hidden-atlas:content-security-policy",
    transformIndexHtml: { order: "post", handler: (html) => withContentSecurityPolicyMeta(html) },
  };
}

/**
 * The shared-memory core (kernel threads) beside the core's asset: the library looks for
 * `core.threads.wasm` next to `core.wasm` and uses it when the page is cross-origin isolated
 * (the dev server finds it beside build/core.wasm by itself).
 */
function threadsCore(): Plugin {
  return {
    name: "hidden-atlas:threads-core",
    apply: "build",
    generateBundle(_options, bundle) {
      const core = Object.values(bundle).find(
        (file) => file.type === "asset" && /(^|\/)core-[\w-]+\.wasm$/.test(file.fileName),
      );
      if (!core) return; // a build without the core (no page computes) needs no threads build
      const dir = core.fileName.includes("/")
        ? core.fileName.slice(0, core.fileName.lastIndexOf("/") + 1)
        : "";
      this.emitFile({
        type: "asset",
        fileName: `${dir}core.threads.wasm`,
        source: readFileSync(join(root, "build", "core.threads.wasm")),
      });
    },
  };
}

const notebooks = readdirSync(notebooksDir).filter(
  (name) => name.endsWith(".html") && name !== "template.html",
);

export default defineConfig({
  ...config(),
  root: notebooksDir,
  publicDir: join(root, "data"),
  plugins: [
    offlineLibraries(),
    observable({ template: join(notebooksDir, "template.html") }),
    contentSecurityPolicy(),
    threadsCore(),
  ],
  worker: { format: "es" },
  // The dev server's dependency pre-bundler does not run our resolveId hook, so the kit's
  // runtime (which imports the CDN) must not be pre-bundled; it is plain ESM anyway.
  optimizeDeps: { exclude: ["observable:runtime", "@observablehq/notebook-kit"] },
  server: { host: "127.0.0.1", fs: { allow: [root] }, headers: siteSecurityHeaders() },
  preview: { host: "127.0.0.1", headers: siteSecurityHeaders() },
  build: {
    outDir: join(root, "dist", "site"),
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 2048,
    rollupOptions: {
      input: Object.fromEntries(
        notebooks.map((name) => [name.replace(/\.html$/, ""), resolve(notebooksDir, name)]),
      ),
    },
  },
});
