/**
 * End-to-end: a bundle larger than the tab's memory budget still opens, through vectorisation.
 * The page's budget is lowered to 1 MiB (`?budget=1MiB`, which the analysis worker gets too),
 * and a bundle folder whose conv layer is 4.7 MiB as float32 is picked: explore reads it in
 * slices, reduces it by global average pool as it streams and draws every sample with the PCA
 * numbers Node computes; asking for the flattened layer is refused with the bytes it would need
 * and what to choose instead.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exploreAnalysis } from "../../src/analyses/explore.ts";
import type { BundleInput } from "../../src/io/bundle-write.ts";
import { openBundle } from "../../src/io/digest.ts";
import { folderSource, writeBundle } from "../../src/io/node.ts";
import { mulberry32 } from "../helpers.ts";
import { settled, useSite, watchedPage } from "./browser.ts";

const site = useSite();

const N = 300;
const [C, H, W] = [16, 16, 16];
const BUDGET = "1MiB";

/** Three classes whose channels differ in mean; each conv value is its channel's mean plus noise. */
function largeBundle(): BundleInput {
  const random = mulberry32(5);
  const means = Array.from({ length: 3 * C }, () => 2 * random());
  const conv = new Float32Array(N * C * H * W);
  for (let i = 0; i < N; i++) {
    for (let c = 0; c < C; c++) {
      const mean = means[(i % 3) * C + c];
      for (let p = 0; p < H * W; p++)
        conv[(i * C + c) * H * W + p] = Math.max(0, mean + random() - 0.5);
    }
  }
  return {
    name: "over-budget",
    task: "classification",
    classNames: ["first", "second", "third"],
    layers: [
      { name: "conv", shape: [N, C, H, W], data: conv, kind: "conv" },
      {
        name: "fc",
        shape: [N, 3],
        data: Float32Array.from({ length: N * 3 }, (_, k) =>
          Math.floor(k / 3) % 3 === k % 3 ? 1 : 0,
        ),
      },
    ],
    labels: Int32Array.from({ length: N }, (_, i) => i % 3),
  };
}

let dir: string;
let folder: string;
/** "PC1 and PC2 hold a % and b %" as Node computes them from the same folder. */
let expectedShares: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "atlas-large-"));
  folder = join(dir, "over-budget");
  await writeBundle(largeBundle(), folder);
  const bundle = await openBundle(folderSource(folder));
  const { projection } = await exploreAnalysis(bundle, {
    layer: "conv",
    vectorize: "gap",
    maxPoints: N,
  });
  const [a, b] = projection.explainedVarianceRatio;
  expectedShares = `PC1 and PC2 hold ${(100 * a).toFixed(1)} % and ${(100 * b).toFixed(1)} %`;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A paragraph of the page that starts with `text`. */
async function paragraph(page: Page, text: string): Promise<void> {
  await page.waitForFunction(
    (start) =>
      Array.from(document.querySelectorAll("p")).some((p) =>
        (p.textContent ?? "").startsWith(start),
      ),
    text,
    { timeout: 120_000 },
  );
}

async function openFolder(page: Page, vectorize = "gap"): Promise<void> {
  await page.goto(`${site.url}explore.html?budget=${BUDGET}&vectorize=${vectorize}`);
  // The page's first data set (the digits) drawn before ours is picked.
  await paragraph(page, "1,797 samples in 64 dimensions");
  await settled(page);
  await page.locator(".atlas-picker input[webkitdirectory]").setInputFiles(folder);
  if (vectorize !== "gap") return;
  await paragraph(page, `${N} samples in ${C} dimensions`);
  await settled(page);
}

/** The page's paragraphs, whitespace collapsed. */
async function paragraphs(page: Page): Promise<string> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll("p"), (p) =>
      (p.textContent ?? "").replace(/\s+/g, " "),
    ).join("\n"),
  );
}

describe("a bundle larger than the memory budget", () => {
  it("opens in explore through global average pool: every sample drawn, Node's PCA numbers", async () => {
    const { page, errors, external } = await watchedPage(site.browser);
    await openFolder(page);
    const text = await paragraphs(page);
    expect(text).toContain(`over-budget: ${N} samples, classification, 2 layers, 3 classes`);
    expect(text).toContain(
      `${N} samples in ${C} dimensions, every one drawn. ${expectedShares} of the variance.`,
    );
    expect(await page.locator(".atlas-progress[data-state=failed]").count()).toBe(0);
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
    await page.context().close();
  }, 240_000);

  it("refuses the flattened layer naming the bytes it needs, the budget and what to choose instead", async () => {
    const { page, external } = await watchedPage(site.browser);
    await openFolder(page, "flatten");
    const failed = page.locator(".atlas-progress[data-state=failed]").first();
    await failed.waitFor({ timeout: 120_000 });
    const bytes = N * C * H * W * 4 + C * H * W * 8;
    expect(await failed.innerText()).toMatch(
      new RegExp(
        `layer 'conv' \\(over-budget/layers/conv\\.npy\\): vectorize "flatten" needs 4\\.7 MiB \\(${bytes} bytes\\) as float32 ` +
          `\\(${N} × ${C * H * W} values and one row being read\\), more than the 1\\.0 MiB memory budget; ` +
          `choose another vectorisation \\(gap, top-l2, random\\) or use fewer samples`,
      ),
    );
    expect(external).toEqual([]);
    await page.context().close();
  }, 240_000);
});
