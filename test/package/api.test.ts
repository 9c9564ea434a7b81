// The API reference that `npm run build` writes into the site (dist/site/api, TypeDoc from the
// doc comments of src/index.ts, src/node.ts and src/views/index.ts): a page for every value the
// entry points export, the text of each function's doc comment on its page, the site's
// no-off-machine policy on every page, and TypeDoc's own scripts running under it in Chromium.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as api from "../../src/index.ts";
import * as node from "../../src/node.ts";
import * as views from "../../src/views/index.ts";
import { SITE, useSite, watchedPage } from "../e2e/browser.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const API = join(SITE, "api");
if (!existsSync(join(API, "index.html")))
  throw new Error("dist/site/api is missing: run `npm run build` (or `npm run build:api`) first");

const site = useSite();

/** Every page of the reference, by path relative to dist/site/api. */
const pages = readdirSync(API, { recursive: true, encoding: "utf8" }).filter((f) =>
  f.endsWith(".html"),
);

/** A page's visible text: tags dropped, the entities TypeDoc writes decoded, spaces collapsed. */
function text(page: string): string {
  return readFileSync(join(API, page), "utf8")
    .replace(/<[^>]*>/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ");
}

/** The first line of the doc comment a function's page should show: its own, else its module's header. */
function firstDocLine(file: string, name: string): string {
  const source = readFileSync(join(ROOT, file), "utf8");
  const at = source.search(new RegExp(`^export (async )?(function|class) ${name}\\b`, "m"));
  expect(at, `${name} in ${file}`).toBeGreaterThan(0);
  const own = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*$/.exec(source.slice(0, at));
  const comment = own ? own[1] : /^\s*\/\*\*([\s\S]*?)\*\//.exec(source)![1];
  const line = comment
    .split("\n")
    .map((l) => l.replace(/^\s*\*\s?/, "").trim())
    .find((l) => l !== "")!;
  return line.replace(/`/g, "").split(" ").slice(0, 6).join(" ");
}

describe("API reference (dist/site/api)", () => {
  it("has a page for every function, class and constant of each entry point", () => {
    for (const [module, exports] of [
      ["hidden-atlas", api],
      ["hidden-atlas_node", node],
      ["hidden-atlas_views", views],
    ] as const) {
      expect(pages).toContain(`modules/${module}.html`);
      for (const name of Object.keys(exports)) {
        const kinds = ["functions", "classes", "variables"].filter((dir) =>
          pages.includes(`${dir}/${module}.${name}.html`),
        );
        expect(kinds, `${module}.${name}`).toHaveLength(1);
      }
    }
    expect(Object.keys(api).length).toBeGreaterThan(100);
  });

  it("shows each key function's signature and doc comment", () => {
    const cases: [page: string, name: string, file: string][] = [
      ["hidden-atlas.persistentHomology", "persistentHomology", "src/algo/rips.ts"],
      ["hidden-atlas.umap", "umap", "src/algo/umap.ts"],
      ["hidden-atlas.mapper", "mapper", "src/algo/mapper/mapper.ts"],
      ["hidden-atlas.layerTopology", "layerTopology", "src/analyses/layer-topology.ts"],
      ["hidden-atlas.slicedWasserstein", "slicedWasserstein", "src/algo/diagrams.ts"],
      ["hidden-atlas.readNpy", "readNpy", "src/io/npy.ts"],
      ["hidden-atlas.loadBundle", "loadBundle", "src/io/bundle.ts"],
      ["hidden-atlas.setCoreSource", "setCoreSource", "src/core/wasm.ts"],
      ["hidden-atlas_node.loadBundleFromPath", "loadBundleFromPath", "src/io/node.ts"],
      ["hidden-atlas_views.persistencePlot", "persistencePlot", "src/views/topology.ts"],
    ];
    for (const [page, name, file] of cases) {
      const shown = text(`functions/${page}.html`);
      expect(shown).toContain(`Function ${name}`);
      expect(shown).toMatch(new RegExp(`${name}\\s*\\(`));
      expect(shown, page).toContain(firstDocLine(file, name));
    }
    expect(text("functions/hidden-atlas.umap.html")).toMatch(/options\s*\??:\s*UmapOptions/);
    expect(text("interfaces/hidden-atlas.UmapOptions.html")).toContain("nNeighbors");
    expect(text("modules/hidden-atlas.html")).toMatch(
      /import \{ persistentHomology\s*, umap \} from "hidden-atlas"/,
    );
  });

  it("puts the site's policy on every page and loads nothing from off the machine", () => {
    expect(pages.length).toBeGreaterThan(300);
    for (const page of pages) {
      const html = readFileSync(join(API, page), "utf8");
      expect(html, page).toMatch(
        /<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self'[^"]*"/,
      );
      expect(
        html.match(/<(script|link|img|iframe)\b[^>]*\b(src|href)="(https?:)?\/\/[^"]*"/g),
        page,
      ).toBeNull();
    }
  });

  it("works in Chromium under that policy: navigation and search built, no error", async () => {
    const { page, errors, external } = await watchedPage(site.browser);
    await page.goto(`${site.url}api/functions/hidden-atlas.persistentHomology.html`);
    await page.waitForFunction(
      () => document.querySelectorAll("#tsd-nav-container a").length > 100,
    );
    await page.locator("#tsd-search-trigger").click();
    await page.locator("#tsd-search-input").fill("slicedWasser");
    await page.waitForFunction(
      () => document.querySelectorAll("#tsd-search-results li").length > 0,
    );
    expect(await page.locator("#tsd-search-results li").first().textContent()).toContain(
      "slicedWasserstein",
    );
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
    await page.context().close();
  });
});
