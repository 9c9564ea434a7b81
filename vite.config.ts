/**
 * Builds and serves the notebook site (notebooks/*.html) with Observable Notebook Kit.
 *
 * The kit's runtime imports Plot, Inputs, d3, htl and d3-dsv from the jsDelivr CDN; the
 * `offlineLibraries` plugin below resolves those URLs to the installed packages so that a built
 * page makes no request off the machine (notebook-kit#121; see shared specs/ecosystem.md §1).
 */
import { readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { config, observable } from "@observablehq/notebook-kit/vite";
import { defineConfig, type Plugin } from "vite";

const root = dirname(fileURLToPath(import.meta.url));
const notebooksDir = join(root, "notebooks");

/** CDN packages the kit loads at run time, served from node_modules instead. */
const OFFLINE_PACKAGES = ["@observablehq/plot", "@observablehq/inputs", "d3-dsv", "d3", "htl"];
const CDN_ESM = /^https:\/\/cdn\.jsdelivr\.net\/npm\/((?:@[^/@]+\/)?[^/@]+)(?:@[^/]*)?\/\+esm$/;
const INPUTS_CSS_CDN = "https://cdn.jsdelivr.net/npm/@observablehq/inputs/dist/index.css";

function offlineLibraries(): Plugin {
  return {
    name: "hidden-atlas:offline-libraries",
    enforce: "pre",
    async resolveId(source, importer) {
      const match = CDN_ESM.exec(source);
      if (match && OFFLINE_PACKAGES.includes(match[1])) {
        return this.resolve(match[1], importer, { skipSelf: true });
      }
      return null;
    },
    transform(code, id) {
      if (code.includes(INPUTS_CSS_CDN)) {
        return code.replaceAll(INPUTS_CSS_CDN, "@observablehq/inputs/dist/index.css");
      }
      return null;
    },
  };
}

const notebooks = readdirSync(notebooksDir).filter((name) => name.endsWith(".html") && name !== "template.html");

export default defineConfig({
  ...config(),
  root: notebooksDir,
  publicDir: join(root, "data"),
  plugins: [
    offlineLibraries(),
    observable({ template: join(notebooksDir, "template.html") }),
  ],
  worker: { format: "es" },
  server: { host: "127.0.0.1", fs: { allow: [root] } },
  preview: { host: "127.0.0.1" },
  build: {
    outDir: join(root, "dist", "site"),
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 2048,
    rollupOptions: {
      input: Object.fromEntries(notebooks.map((name) => [name.replace(/\.html$/, ""), resolve(notebooksDir, name)])),
    },
  },
});
