/**
 * Builds the test-only pointScatter page (test/e2e/pages/) with Vite into a temporary folder,
 * for the scatter's end-to-end test and its benchmark. Nothing of it reaches the site.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "vite";

export const PAGES = fileURLToPath(new URL("./pages", import.meta.url));

/** Build the page; returns the folder holding scatter.html, its assets and an index page. */
export async function buildScatterPage(): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), "hidden-atlas-scatter-page-"));
  await build({
    configFile: false,
    root: PAGES,
    logLevel: "error",
    build: {
      outDir,
      emptyOutDir: true,
      target: "es2022",
      rollupOptions: { input: join(PAGES, "scatter.html") },
    },
  });
  // The site server serves a folder only when it holds an index.html.
  writeFileSync(
    join(outDir, "index.html"),
    '<!doctype html><title>pointScatter test</title><a href="scatter.html">scatter</a>\n',
  );
  return outDir;
}
