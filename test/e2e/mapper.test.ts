/**
 * End-to-end: the mapper notebook in Chromium. Its default page (digits-cnn) opens with no page
 * error and no request off the machine; the graph redraws when the overlap changes
 * (node count changes), a click on a node opens its panel and rings its members in the PCA
 * scatter (PCA, or UMAP on request), the Jaccard slider hides edges without a recompute, and
 * the report exports.
 */
import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { expectOpenedCleanly, settled, useSite, watchedPage } from "./browser.ts";

const site = useSite();

/** "logits: 57 nodes, 57 edges" → 57. */
async function nodeCount(page: Page, layer: string): Promise<number> {
  const heading = await page
    .locator("h2", { hasText: `${layer}: ` })
    .first()
    .innerText();
  return Number(/(\d+) nodes/.exec(heading)![1]);
}

const range = (page: Page, label: string) =>
  page.locator("form", { hasText: label }).locator("input[type=range]").first();

describe("mapper notebook", () => {
  it("opens at its defaults with no page error, recomputes on an overlap change, opens a node's panel on click, and exports a report", async () => {
    const watched = await watchedPage(site.browser);
    const { page, errors, external } = watched;
    // The notebook's default page (digits-cnn).
    await page.goto(site.url + "mapper.html");
    await page.locator("h2", { hasText: "logits: " }).first().waitFor({ timeout: 90_000 });
    // The notebook opens with the claim and our numbers over digits-cnn's seed networks.
    await page.getByText("Where we confirm it, where not, and why.").waitFor({ timeout: 120_000 });
    expect(await page.locator("ul.atlas-measured").innerText()).toMatch(
      /6 networks of one architecture trained from different seeds/,
    );
    await settled(page);
    await expectOpenedCleanly(watched);
    // A preset is chosen by a link that reloads the page with it in the URL.
    await page.getByTestId("presets").getByRole("link", { name: "Purvine et al." }).click();
    await page.waitForURL(/preset=purvine/);
    await page.getByText(/preset "purvine"/).waitFor({ timeout: 150_000 });
    await page.locator("h2", { hasText: "logits: " }).first().waitFor({ timeout: 90_000 });
    await settled(page);
    const before = await nodeCount(page, "logits");
    const drawn = await page.locator("figure.atlas-mapper").first().locator("g[data-node]").count();
    expect(drawn).toBe(before);
    expect(before).toBeGreaterThan(5);

    await range(page, "Overlap").fill("0.2");
    await page.waitForFunction(
      (old) => {
        const h = [...document.querySelectorAll("h2")].find((e) =>
          e.textContent?.startsWith("logits: "),
        );
        const m = /(\d+) nodes/.exec(h?.textContent ?? "");
        return m !== null && Number(m[1]) !== old;
      },
      before,
      { timeout: 30_000 },
    );
    await settled(page);
    expect(page.url()).toMatch(/overlap=0\.2/);
    const after = await nodeCount(page, "logits");
    expect(after).not.toBe(before);

    // Jaccard threshold: edges hidden, node count unchanged (no recompute).
    const visibleEdges = () =>
      page.locator("figure.atlas-mapper").first().locator("line[visibility=visible]").count();
    const edgesBefore = await visibleEdges();
    await range(page, "Hide edges with Jaccard below").fill("0.5");
    await page.waitForFunction(
      (n) =>
        document.querySelector("figure.atlas-mapper")!.querySelectorAll("line[visibility=visible]")
          .length < n,
      edgesBefore,
    );
    expect(await nodeCount(page, "logits")).toBe(after);

    await page.locator("figure.atlas-mapper").first().locator("g[data-node]").first().click();
    const panel = page.getByTestId("node-panel");
    await panel.waitFor();
    expect(await panel.innerText()).toMatch(/e\d+c\d+: \d+ points/);
    expect(await panel.locator("img").count()).toBeGreaterThan(0);
    // TopoAct's feature visualisation of the node, beside the member thumbnails (digits-cnn carries its network).
    await panel.getByTestId("feature-image").locator("img").waitFor({ timeout: 60_000 });
    expect(await panel.getByTestId("feature-image").innerText()).toMatch(
      /Feature visualisation: an input optimised .* logits's activation along the node's mean direction/,
    );
    await page.getByText(/ringed: the \d+ members of e\d+c\d+/).waitFor();

    // The linked scatter can be the layer's UMAP layout (computed once in the worker).
    await page.getByLabel("UMAP", { exact: true }).check();
    await page
      .getByText("logits: UMAP (15 neighbours, min_dist 0.1) of the same vectors")
      .waitFor({ timeout: 60_000 });
    expect(page.url()).toMatch(/scatter=umap/);

    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Export report" }).click(),
    ]);
    const html = readFileSync((await download.path())!, "utf8");
    expect(html).toContain("Mapper graphs · digits-cnn");
    expect(html).toContain("<th>overlap</th><td>0.2</td>");
    expect(html).toContain("<th>preset</th><td>purvine</td>");
    expect(html).toContain("Purity across layers");
    expect(html).toContain("The papers&#39; claim and what we measured over seeds");
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
    await page.context().close();
  }, 420_000);
});
