/**
 * End-to-end: the built site (npm run build) served on 127.0.0.1 and driven in Chromium.
 * Every page opens at its defaults without page errors and without a request leaving the machine
 * (explore's, mapper's, mphate's and som-codes' in the tests that go on to use them); the explore notebook
 * draws the digits, reacts to its slider and clicks, and exports a report.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { zipBundle } from "../../src/io/bundle-write.ts";
import { HOSTILE_NAME, hostileBundleInput, hostileBundleZip } from "../support/bundles.ts";
import { SITE, expectOpenedCleanly, settled, useSite, watchedPage } from "./browser.ts";

const site = useSite();

const notebooks = readdirSync(SITE).filter((f) => f.endsWith(".html"));

/**
 * Pages whose default view is opened by a test that goes on to use it, and held there to the same
 * checks (expectOpenedCleanly once settled): a page computes its defaults once in the suite.
 */
const OPENED_ELSEWHERE: Record<string, string> = {
  "explore.html": "the explore notebook's first test below",
  "mapper.html": "mapper.test.ts",
  "mphate.html": "mphate.test.ts",
  "som-codes.html": "the som-codes notebook's test below",
};

describe("notebook site", () => {
  it("builds a page for the gallery and every notebook", () => {
    expect(notebooks).toContain("index.html");
    expect(notebooks).toContain("explore.html");
  });

  for (const name of notebooks.filter((n) => !(n in OPENED_ELSEWHERE))) {
    it(`${name} opens with no page error and no request off 127.0.0.1`, async () => {
      const watched = await watchedPage(site.browser);
      await watched.page.goto(site.url + name);
      await settled(watched.page, 240_000);
      await expectOpenedCleanly(watched);
      await watched.page.context().close();
    }, 300_000);
  }

  it("every notebook opened at its defaults elsewhere is a page of the site", () => {
    for (const name of Object.keys(OPENED_ELSEWHERE)) expect(notebooks).toContain(name);
  });

  it("the gallery links every notebook and both docs pages", async () => {
    const { page } = await watchedPage(site.browser);
    await page.goto(site.url + "index.html");
    await page.locator(".atlas-card").first().waitFor();
    const links = await page
      .locator(".atlas-card")
      .evaluateAll((as) => as.map((a) => a.getAttribute("href")));
    const docs = ["bundle-format.html", "methods.html"];
    for (const name of notebooks.filter((n) => n !== "index.html" && !docs.includes(n)))
      expect(links).toContain(`./${name}`);
    const all = await page.locator("a").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
    for (const name of docs)
      expect(all.some((href) => href?.replace(/^\.\//, "") === name)).toBe(true);
    await page.context().close();
  });
});

describe("explore notebook", () => {
  it("opens on the digits with no page error: a PCA scatter coloured by label with a legend and neighbours with distances; moving the k slider re-renders neighbours and rings; clicking a point selects it; the URL follows", async () => {
    const watched = await watchedPage(site.browser);
    const { page, errors } = watched;
    await page.goto(site.url + "explore.html");
    await settled(page);
    await expectOpenedCleanly(watched);
    const figure = page.locator(".atlas-scatter figure");
    await figure.waitFor();
    // 10 class swatches in the legend, one dot per digit.
    const swatches = await figure.locator(".plot-swatches > *, [class$='-swatch']").allInnerTexts();
    expect(swatches.map((s) => s.trim())).toEqual([
      "0",
      "1",
      "2",
      "3",
      "4",
      "5",
      "6",
      "7",
      "8",
      "9",
    ]);
    // Every digit drawn (pointScatter: the points on a canvas, counted in the figure's label).
    expect(await figure.getAttribute("aria-label")).toMatch(/^Scatter plot of 1,797 points: /);
    expect(await page.getByText("PC1 (14.9 % of variance)").count()).toBe(1);
    // Neighbour table: the query row plus k = 10 neighbours, nearest first, all zeros here.
    const rows = page.locator("table.atlas-neighbors tbody tr");
    expect(await rows.count()).toBe(11);
    const distances = (await rows.locator("td:nth-child(3)").allInnerTexts()).map(Number);
    expect(distances.slice(1)).toEqual([...distances.slice(1)].sort((a, b) => a - b));

    // 10 neighbours ringed (drawn with the points) + the selected point (SVG).
    const ringed = () =>
      page
        .locator(".atlas-point-scatter")
        .evaluate((el) => (el as HTMLElement & { highlighted: Int32Array }).highlighted.length);
    expect(await ringed()).toBe(10);
    expect(await page.locator(".atlas-overlay circle.atlas-selected").count()).toBe(1);
    const slider = page.locator("input[type=range]").first();
    await slider.fill("20");
    await page.waitForFunction(
      () => document.querySelectorAll("table.atlas-neighbors tbody tr").length === 21,
    );
    expect(await ringed()).toBe(20);
    expect(page.url()).toMatch(/[?&]k=20\b/);

    // Click a point far from sample 0: the caption names the new point.
    const before = await page.locator("table.atlas-neighbors caption").innerText();
    const box = (await page.locator(".atlas-point-scatter .atlas-plot-area").boundingBox())!;
    await page.mouse.click(box.x + box.width * 0.85, box.y + box.height * 0.4);
    await page.waitForFunction(
      (old) => document.querySelector("table.atlas-neighbors caption")?.textContent !== old,
      before,
    );
    const point = Number(new URL(page.url()).searchParams.get("point"));
    expect(point).not.toBe(0);
    expect(await page.locator("table.atlas-neighbors caption").innerText()).toContain(`#${point}`);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("exports a report with the figure, the parameters and the data's hash", async () => {
    const { page, errors } = await watchedPage(site.browser);
    await page.goto(site.url + "explore.html?k=7&point=5");
    await settled(page);
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Export report" }).click(),
    ]);
    const html = readFileSync((await download.path())!, "utf8");
    expect(html).toContain("<th>k</th><td>7</td>");
    expect(html).toContain("<th>point</th><td>5</td>");
    // The bundle hash: sha256 of the sorted `sha256sum` listing of the bundle's files.
    const listing = ["images.npy", "labels.npy", "manifest.json"]
      .map(
        (f) =>
          `${createHash("sha256")
            .update(readFileSync(join(SITE, "digits", f)))
            .digest("hex")}  ${f}\n`,
      )
      .join("");
    expect(html).toContain(`<code>${createHash("sha256").update(listing).digest("hex")}</code>`);
    expect(html).toMatch(/<svg[^>]*class="plot-/);
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain("Nearest neighbours of sample #5");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("opens a user's .zip bundle and shows a hostile class name as text, never as markup", async () => {
    const { page, errors } = await watchedPage(site.browser);
    let dialogs = 0;
    page.on("dialog", async (dialog) => {
      dialogs++;
      await dialog.dismiss();
    });
    await page.goto(site.url + "explore.html");
    await settled(page);
    await page.locator(".atlas-picker input[type=file]:not([webkitdirectory])").setInputFiles({
      name: "hostile.zip",
      mimeType: "application/zip",
      buffer: Buffer.from(hostileBundleZip()),
    });
    await page.getByText("60 samples").first().waitFor();
    await settled(page);
    const legend = await page.locator(".atlas-scatter figure").innerText();
    expect(legend).toContain(HOSTILE_NAME);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Export report" }).click(),
    ]);
    const html = readFileSync((await download.path())!, "utf8");
    expect(html).not.toContain(HOSTILE_NAME);
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    // Open the report itself: nothing runs, nothing is fetched.
    const report = await watchedPage(site.browser);
    report.page.on("dialog", () => dialogs++);
    await report.page.setContent(html);
    await report.page.waitForTimeout(300);
    expect(await report.page.locator('img[src="x"]').count()).toBe(0);
    expect(report.external).toEqual([]);
    expect(dialogs).toBe(0);
    expect(errors).toEqual([]);
    await page.context().close();
    await report.page.context().close();
  });

  it("a bad bundle is explained once, in the picker, and its remedy opens the rest of it", async () => {
    const input = hostileBundleInput();
    const broken = Float32Array.from(input.layers[0].data);
    broken[7] = Number.NaN;
    const zip = zipBundle({
      ...input,
      classNames: ["cat", "mouse", "dog"],
      layers: [
        { name: "fc1", data: broken, shape: [60, 5] },
        { name: "fc2", data: input.layers[0].data, shape: [60, 5] },
      ],
    });
    const { page, errors } = await watchedPage(site.browser);
    await page.goto(site.url + "explore.html");
    await settled(page);
    await page
      .locator(".atlas-picker input[type=file]:not([webkitdirectory])")
      .setInputFiles({ name: "broken.zip", mimeType: "application/zip", buffer: Buffer.from(zip) });
    await page.locator(".atlas-picker[data-state=failed]").waitFor({ timeout: 60_000 });
    await settled(page);
    const text = await page.locator("body").innerText();
    expect(text.match(/could not be opened/g)).toHaveLength(1);
    expect(text).toContain("fc1");
    expect(await page.locator(".observablehq--error").count()).toBe(0);
    expect(await page.locator("main").isVisible()).toBe(false);
    await page.getByRole("button", { name: "Open without layer “fc1”" }).click();
    await page.locator("h2", { hasText: "fc2: PCA" }).waitFor({ timeout: 60_000 });
    expect(await page.getByText("could not be opened").count()).toBe(0);
    expect(await page.locator(".observablehq--error").count()).toBe(0);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});

describe("examples notebook", () => {
  it("retrains digits-mlp for 3 epochs in the browser's worker, byte-identical to Node", async () => {
    const { createHash } = await import("node:crypto");
    const { recipeNamed } = await import("../../src/examples/index.ts");
    const { loadDigits } = await import("../../src/examples/node.ts");
    const { zipBundle } = await import("../../src/io/bundle-write.ts");
    const [node] = await recipeNamed("digits-mlp")!.run(
      { digits: await loadDigits() },
      { epochs: 3, seed: 42 },
    );
    const expected = createHash("sha256").update(zipBundle(node.bundle)).digest("hex");

    const { page, errors, external } = await watchedPage(site.browser);
    await page.goto(site.url + "examples.html?recipe=digits-mlp&epochs=3&seed=42");
    await settled(page);
    await page.getByRole("button", { name: "Train" }).click();
    await page.getByText("Trained in").waitFor({ timeout: 60_000 });
    const text = await page.locator("main").innerText();
    expect(text).toContain(expected);
    expect(await page.locator(".atlas-progress[data-state=done]").count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
    await page.context().close();
  }, 120_000);
});

describe("example bundles in explore", () => {
  for (const [name, samples, colour] of [
    ["digits-cnn", 1797, "label"],
    ["digits-rotation", 1797, "target"],
    ["fashion-cnn", 2000, "label"],
  ] as const) {
    it(`opens ${name}: ${samples} samples coloured by ${colour}, neighbours with thumbnails`, async () => {
      const { page, errors, external } = await watchedPage(site.browser);
      await page.goto(site.url + `explore.html?data=${name}`);
      await page
        .getByText(`${samples.toLocaleString("en-US")} samples`)
        .first()
        .waitFor({ timeout: 30_000 });
      await settled(page);
      await page.locator("table.atlas-neighbors").waitFor();
      expect(await page.locator("table.atlas-neighbors tbody img").count()).toBe(11);
      expect(await page.locator(".atlas-scatter figure").innerText()).toContain(colour);
      expect(errors).toEqual([]);
      expect(external).toEqual([]);
      await page.context().close();
    });
  }
});

describe("som-codes notebook", () => {
  it("opens at its defaults with no page error and maps every layer of digits-cnn; changing the layer and the grid redraws the maps", async () => {
    const watched = await watchedPage(site.browser);
    const { page, errors, external } = watched;
    // The notebook's default page (digits-cnn).
    await page.goto(site.url + "som-codes.html");
    await page.getByText("Codes across layers").waitFor({ timeout: 120_000 });
    await settled(page, 240_000);
    await expectOpenedCleanly(watched);
    expect(await page.getByText("logits: ").first().innerText()).toMatch(/of 100 nodes used/);
    const cells = () =>
      page
        .locator(".atlas-row svg g[aria-label=dot] path, .atlas-row svg g[aria-label=dot] rect")
        .count();
    const before = await cells();
    expect(before).toBeGreaterThanOrEqual(300); // hit map, U-matrix, class map: 100 nodes each
    await page.locator("select").filter({ hasText: "logits" }).selectOption({ label: "conv1" });
    await page.getByText("conv1: ").first().waitFor();
    // The grid's rows and columns are two controls, generated from the analysis' parameters.
    await page.locator("[data-param=rows] input[type=range]").fill("6");
    await page.locator("[data-param=cols] input[type=range]").fill("6");
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll("h2")].some((h) =>
          /of 36 nodes used/.test(h.textContent ?? ""),
        ),
      null,
      { timeout: 180_000 },
    );
    expect(page.url()).toMatch(/rows=6/);
    expect(page.url()).toMatch(/cols=6/);
    expect(page.url()).toMatch(/layer=conv1/);
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Export report" }).click(),
    ]);
    const html = readFileSync((await download.path())!, "utf8");
    expect(html).toContain("SOM functional codes");
    expect(html).toContain("<th>layer</th><td>conv1</td>");
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
    await page.context().close();
  }, 400_000);
});
