/**
 * End-to-end security of the notebook site, in Chromium: a bundle whose every string field —
 * bundle, layer, class, network-layer and meta strings, file names inside the zip and the zip's
 * own name — carries script, style and URL payloads is opened in every notebook, by the page's
 * own "open your own bundle" picker and as a served example. Nothing may run (no dialog, no
 * `on*` attribute, no script or style from data), nothing may be fetched off 127.0.0.1 (every
 * request is routed through Playwright), the Content-Security-Policy must never fire (with
 * every string shown as text it has nothing to block, and legitimate use must not trip it
 * either), and the payloads must be on the page as text.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { useSite } from "./browser.ts";
import {
  BUNDLE_NAME,
  CLASSES,
  MARKERS,
  ZIP_NAME,
  fuzzBundleZip,
  hostile,
  layerName,
  payload,
} from "./hostile-bundle.ts";

const site = useSite();

/**
 * Installed in every page as `window.__scanDom()`: problems in the live DOM — `on*` attributes,
 * markers in URL-bearing attributes, scripts and styles with a marker, inline scripts,
 * embedding elements, images from elsewhere.
 */
const SCAN_DOM = `window.__scanDom = () => {
  const markers = ${JSON.stringify(MARKERS)};
  const textAttributes = /^(title|aria-label|alt|value|placeholder|label|data-.*)$/i;
  const problems = [];
  const describe = (el) => el.outerHTML.slice(0, 160);
  for (const el of document.querySelectorAll("*")) {
    for (const { name, value } of el.attributes) {
      if (/^on/i.test(name)) problems.push("event-handler attribute " + name + ": " + describe(el));
      else if (!textAttributes.test(name) && markers.some((m) => value.includes(m))) problems.push("payload in attribute " + name + ": " + describe(el));
    }
    const tag = el.localName;
    if ((tag === "script" || tag === "style") && markers.some((m) => el.textContent.includes(m))) problems.push("payload in <" + tag + ">: " + describe(el));
    if (["iframe", "object", "embed", "base", "link", "meta"].includes(tag) && el.closest("body")) problems.push("<" + tag + "> in the body: " + describe(el));
    if (tag === "script" && !el.getAttribute("src")) problems.push("inline script: " + describe(el));
    if (tag === "img" && !/^(data:|blob:|http:\\/\\/127\\.0\\.0\\.1:)/.test(el.src)) problems.push("image from elsewhere: " + describe(el));
  }
  return problems;
};`;

interface Guarded {
  context: BrowserContext;
  page: Page;
  dialogs: string[];
  /** Requests to anything but 127.0.0.1 (aborted) — data: and blob: URLs never reach the router. */
  offMachine: string[];
  pageErrors: string[];
  /** Console messages about the Content-Security-Policy (page and workers). */
  cspConsole: string[];
}

/** A page whose every request goes through a router that aborts anything off 127.0.0.1. */
async function guardedPage(
  browser: Browser,
  examples: Record<string, Buffer> = {},
): Promise<Guarded> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 1400 } });
  const offMachine: string[] = [];
  await context.route("**/*", async (route) => {
    const url = new URL(route.request().url());
    if (url.hostname !== "127.0.0.1") {
      offMachine.push(url.href);
      return route.abort("blockedbyclient");
    }
    const served = /\/examples\/([^/]+)\.zip$/.exec(url.pathname);
    if (served && examples[served[1]])
      return route.fulfill({
        status: 200,
        contentType: "application/zip",
        body: examples[served[1]],
      });
    return route.continue();
  });
  await context.addInitScript({ content: SCAN_DOM });
  await context.addInitScript(() => {
    const w = window as unknown as { __violations: string[] };
    w.__violations = [];
    document.addEventListener(
      "securitypolicyviolation",
      (e) => w.__violations.push(`${e.effectiveDirective} ${e.blockedURI} ${e.sample}`),
      true,
    );
  });
  const page = await context.newPage();
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  const cspConsole: string[] = [];
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on("pageerror", (error) => pageErrors.push(String(error)));
  page.on("console", (message) => {
    if (/Content.Security.Policy/i.test(message.text())) cspConsole.push(message.text());
  });
  return { context, page, dialogs, offMachine, pageErrors, cspConsole };
}

interface Watch {
  __violations: string[];
  __scanDom(): string[];
}
const violations = (page: Page) => page.evaluate(() => (window as unknown as Watch).__violations);
const domProblems = (page: Page) => page.evaluate(() => (window as unknown as Watch).__scanDom());

/**
 * Wait until the page's text contains `text` (shown as text, so markup never matches) — or,
 * failing fast with the reason, until a cell fails, the CSP refuses something or the DOM holds
 * markup from the bundle.
 */
async function showsText(page: Page, text: string, timeout = 600_000): Promise<void> {
  await page.waitForFunction(
    (t) => {
      const w = window as unknown as Watch;
      return (
        document.body.innerText.includes(t) ||
        w.__violations.length > 0 ||
        w.__scanDom().length > 0 ||
        !!document.querySelector(".observablehq--error")
      );
    },
    text,
    { timeout, polling: 500 },
  );
  expect(await page.locator(".observablehq--error").allInnerTexts()).toEqual([]);
  expect(await violations(page)).toEqual([]);
  expect(await domProblems(page)).toEqual([]);
}

/** Everything the test asserts after each step. */
async function expectClean(guarded: Guarded): Promise<void> {
  expect(await violations(guarded.page)).toEqual([]);
  expect(guarded.cspConsole).toEqual([]);
  expect(guarded.dialogs).toEqual([]);
  expect(guarded.offMachine).toEqual([]);
  expect(guarded.pageErrors).toEqual([]);
  expect(await domProblems(guarded.page)).toEqual([]);
}

/** Open the fuzz bundle with the page's own picker, under a hostile file name. */
async function openWithPicker(page: Page, zip: Buffer): Promise<void> {
  await page
    .locator(".atlas-picker input[type=file]:not([webkitdirectory])")
    .setInputFiles({ name: ZIP_NAME, mimeType: "application/zip", buffer: zip });
}

type Example = "digits-mlp" | "digits-cnn";
const zips = new Map<Example, Buffer>();
beforeAll(async () => {
  for (const example of ["digits-mlp", "digits-cnn"] as const)
    zips.set(example, await fuzzBundleZip(example));
}, 120_000);

interface NotebookCase {
  notebook: string;
  /** The example the fuzz bundle is made from, and which the notebook offers. */
  example: Example;
  /** URL query with light parameters for the legitimate first run (and the served example's). */
  query: string;
  /** Text the page shows once its first analysis of a bundle has rendered. */
  legitimate: string;
  /** Text the page shows once the fuzz bundle's analysis has rendered. */
  fuzzed: string;
  /** Extra interaction with data-bearing parts of the page. */
  interact?: (page: Page) => Promise<void>;
}

const CASES: NotebookCase[] = [
  {
    notebook: "explore",
    example: "digits-mlp",
    query: "",
    legitimate: "pixels: PCA",
    fuzzed: `${layerName(0)}: PCA`,
    interact: async (page) => {
      // Hover the scatter (every point on a canvas): the tooltip names the sample and its
      // (hostile) class; a click selects it and lists its neighbours.
      const area = page.locator(".atlas-point-scatter .atlas-plot-area").first();
      const box = (await area.boundingBox())!;
      for (let x = 0.3; x < 0.8; x += 0.05)
        await page.mouse.move(box.x + box.width * x, box.y + box.height * 0.5);
      await page.mouse.click(box.x + box.width * 0.5, box.y + box.height * 0.5);
      await page.locator("table.atlas-neighbors caption").waitFor();
      expect(await page.locator("table.atlas-neighbors").innerText()).toMatch(/c\d /);
    },
  },
  {
    notebook: "som-codes",
    example: "digits-mlp",
    query: "?epochs=3&side=5",
    legitimate: "nodes used",
    fuzzed: `${layerName(3)}: `,
    interact: async (page) => {
      await showsText(page, `BMU moves in ${layerName(3)} under FGSM`);
    },
  },
  {
    notebook: "layer-topology",
    example: "digits-cnn",
    query: "?samples=60",
    legitimate: " H1 pairs",
    fuzzed: `${layerName(0)}: `,
  },
  {
    notebook: "mapper",
    example: "digits-mlp",
    // digits-mlp, the example the fuzz bundle is made from (mapper's default, digits-cnn, would
    // start a seed study over six networks that the fuzz bundle's arrival cancels).
    query: "?data=digits-mlp&intervals=6",
    legitimate: "Purity (mean over nodes of 1 / classes present) goes",
    fuzzed: `${layerName(3)}: `,
    interact: async (page) => {
      await page.locator(".atlas-mapper svg g[data-node]").first().click();
      await page.locator("[data-testid=node-panel]").waitFor();
      // Inputs.text with a datalist is a combobox.
      const search = page.locator("form", { hasText: "Find class" }).locator("input");
      await search.fill(CLASSES[1]);
      await search.press("Enter");
      await search.fill(hostile("no such class", 5));
      await showsText(page, `No class named “${hostile("no such class", 5)}”`);
    },
  },
  // MDA on a confident classifier's probabilities (digits-mlp) builds thousands of groups; digits-cnn's are usable.
  // MDA draws the layer before the output by default: the fuzz digits-cnn's L6.
  {
    notebook: "mda",
    example: "digits-cnn",
    query: "?maxPoints=100&iterations=10",
    legitimate: "Geodesic Pearson r after training",
    fuzzed: `${layerName(6)}: layouts coloured by label`,
  },
  {
    notebook: "mphate",
    example: "digits-mlp",
    // The seed studies run on bundled examples, never on the fuzz bundle: their lightest settings.
    query: "?epochStride=5&generalizationLandmarks=100&ariSeeds=1",
    legitimate: "units ×",
    fuzzed: `${BUNDLE_NAME}: 96 units × `,
  },
];

describe("the notebooks' sources", () => {
  // A markdown cell renders its interpolations as markup (the CSP then refuses what they carry,
  // but the markup is on the page): a string from a bundle belongs in an html cell or html``.
  it("no markdown cell interpolates a name from the bundle", () => {
    const dir = fileURLToPath(new URL("../../notebooks/", import.meta.url));
    const found: string[] = [];
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".html"))) {
      const text = readFileSync(join(dir, file), "utf8");
      for (const [, id, body] of text.matchAll(
        /<script id="(\d+)" type="text\/markdown">([\s\S]*?)<\/script>/g,
      )) {
        for (const [expression] of body.matchAll(/\$\{[^}]*\}/g))
          if (/\.name\b|\bnames?\b|\blayer(Name)?\b|classNames|dataset|\.layers\b/.test(expression))
            found.push(`${file} cell ${id}: ${expression}`);
      }
    }
    expect(found).toEqual([]);
  });
});

describe("the site's security headers and policy", () => {
  it("serves every page with the CSP header and meta, nosniff, COOP/COEP/CORP and no referrer; the page is cross-origin isolated", async () => {
    const guarded = await guardedPage(site.browser);
    const response = (await guarded.page.goto(site.url + "index.html"))!;
    const headers = response.headers();
    expect(headers["content-security-policy"]).toMatch(
      /default-src 'self'; script-src 'self' 'wasm-unsafe-eval';/,
    );
    expect(headers["content-security-policy"]).toContain("connect-src 'self'");
    expect(headers["content-security-policy"]).toContain("object-src 'none'");
    expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(headers["x-content-type-options"]).toBe("nosniff");
    expect(headers["cross-origin-opener-policy"]).toBe("same-origin");
    expect(headers["cross-origin-embedder-policy"]).toBe("require-corp");
    expect(headers["cross-origin-resource-policy"]).toBe("same-origin");
    expect(headers["referrer-policy"]).toBe("no-referrer");
    const meta = await guarded.page
      .locator('meta[http-equiv="Content-Security-Policy"]')
      .getAttribute("content");
    expect(meta).toContain("script-src 'self' 'wasm-unsafe-eval';");
    expect(meta).not.toContain("frame-ancestors");
    expect(await guarded.page.evaluate(() => crossOriginIsolated)).toBe(true);
    // The policy itself: a script from data, an inline script or a request elsewhere is refused.
    const refused = await guarded.page.evaluate(async () => {
      const s = document.createElement("script");
      s.textContent = "window.__ran = true";
      document.body.append(s);
      const fetched = await fetch("http://example.invalid/x").then(
        () => "fetched",
        () => "refused",
      );
      return { ran: (window as unknown as { __ran?: boolean }).__ran === true, fetched };
    });
    expect(refused).toEqual({ ran: false, fetched: "refused" });
    // Each is refused by both policies, the header's and the page's <meta>.
    expect((await violations(guarded.page)).map((v) => v.split(" ")[0]).sort()).toEqual([
      "connect-src",
      "connect-src",
      "script-src-elem",
      "script-src-elem",
    ]);
    await guarded.context.close();
  });
});

describe("a bundle whose every string carries script, style and URL payloads", () => {
  it("index.html: the gallery loads with no CSP violation and nothing from elsewhere", async () => {
    const guarded = await guardedPage(site.browser);
    await guarded.page.goto(site.url + "index.html");
    await guarded.page.waitForLoadState("networkidle");
    expect(await guarded.page.locator(".atlas-card").count()).toBe(7);
    await expectClean(guarded);
    await guarded.context.close();
  });

  it("examples.html: a served examples index with hostile names shows them as text", async () => {
    const guarded = await guardedPage(site.browser);
    await guarded.page.goto(site.url + "examples.html");
    await showsText(guarded.page, "digits-mlp");
    await expectClean(guarded);
    await guarded.context.route("**/examples/index.json", (route) =>
      route.fulfill({
        contentType: "application/json",
        body: JSON.stringify({
          bundles: [
            {
              name: BUNDLE_NAME,
              recipe: payload(4),
              usedBy: [payload(5), payload(6)],
              bytes: 1e6,
              summary: { [payload(7)]: 0.5, accuracy: 0.9 },
            },
          ],
        }),
      }),
    );
    await guarded.page.reload();
    await showsText(guarded.page, BUNDLE_NAME);
    await showsText(guarded.page, `${payload(7)} 0.5`);
    await expectClean(guarded);
    await guarded.context.close();
  });

  for (const c of CASES) {
    it(
      `${c.notebook}.html: legitimate use trips nothing; the fuzz bundle by the picker and as a served example runs nothing, loads nothing, shows its strings as text`,
      { timeout: 1_800_000 },
      async () => {
        const guarded = await guardedPage(site.browser);
        const { page } = guarded;
        await page.goto(`${site.url}${c.notebook}.html${c.query}`);
        await showsText(page, c.legitimate);
        await expectClean(guarded);

        const zip = zips.get(c.example)!;
        await openWithPicker(page, zip);
        await showsText(page, c.fuzzed);
        await showsText(page, BUNDLE_NAME);
        expect(await page.locator(".atlas-picker option:checked").innerText()).toBe(
          `your bundle: ${ZIP_NAME}`,
        );
        await c.interact?.(page);
        await expectClean(guarded);
        await guarded.context.close();

        // The same bundle served as the notebook's example (a shared link): the same result.
        const served = await guardedPage(site.browser, { [c.example]: zip });
        const query = new URLSearchParams(c.query);
        query.set("data", c.example);
        await served.page.goto(`${site.url}${c.notebook}.html?${query}`);
        await showsText(served.page, c.fuzzed);
        await expectClean(served);
        await served.context.close();
      },
    );
  }
});
