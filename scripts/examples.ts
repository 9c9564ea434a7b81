/**
 * `npm run examples [-- NAME ...]`: train every example recipe (or the named ones) with its
 * default seed and epochs, and write the bundles the notebooks open as data/examples/NAME.zip
 * (float16 activations, deflated), plus data/examples/index.json describing them.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RECIPES } from "../src/examples/index.ts";
import { loadRecipeData } from "../src/examples/node.ts";
import { zipBundle } from "../src/io/bundle-write.ts";

const OUT = fileURLToPath(new URL("../data/examples/", import.meta.url));
const INDEX = join(OUT, "index.json");
/** The committed bundles together must stay below this (issue: ≤ 25 MB). */
const BUDGET_BYTES = 25e6;

interface IndexEntry {
  name: string;
  recipe: string;
  description: string;
  usedBy: string[];
  file: string;
  bytes: number;
  summary: Record<string, unknown>;
}

const wanted = process.argv.slice(2);
const recipes = RECIPES.filter((r) => wanted.length === 0 || wanted.includes(r.name));
if (recipes.length === 0) {
  console.error(`unknown recipe(s) ${wanted.join(", ")}; known: ${RECIPES.map((r) => r.name).join(", ")}`);
  process.exit(2);
}
mkdirSync(OUT, { recursive: true });
const index: IndexEntry[] = existsSync(INDEX) ? JSON.parse(readFileSync(INDEX, "utf8")).bundles : [];
for (const recipe of recipes) {
  const started = performance.now();
  let shown = "";
  process.stderr.write(`${recipe.name}: ${recipe.description}\n`);
  const results = await recipe.run(await loadRecipeData(recipe.needs), {
    onProgress: (e) => {
      const line = `\r  ${e.stage}: ${Math.floor((100 * e.done) / e.total)}%   `;
      if (line !== shown) process.stderr.write((shown = line));
    },
  });
  process.stderr.write(`\n  done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  for (const result of results) {
    const bytes = zipBundle(result.bundle);
    const file = `${result.name}.zip`;
    writeFileSync(join(OUT, file), bytes);
    const entry: IndexEntry = { name: result.name, recipe: recipe.name, description: recipe.description, usedBy: recipe.usedBy, file, bytes: bytes.length, summary: result.summary };
    const at = index.findIndex((e) => e.name === result.name);
    if (at >= 0) index[at] = entry;
    else index.push(entry);
    console.log(`${result.name}: ${(bytes.length / 1e6).toFixed(2)} MB ${JSON.stringify(result.summary)}`);
  }
}
index.sort((a, b) => RECIPES.findIndex((r) => r.name === a.recipe) - RECIPES.findIndex((r) => r.name === b.recipe) || a.name.localeCompare(b.name));
writeFileSync(INDEX, JSON.stringify({ note: "written by `npm run examples`", bundles: index }, null, 2) + "\n");
const total = index.reduce((s, e) => s + e.bytes, 0);
console.log(`all example bundles: ${(total / 1e6).toFixed(1)} MB (budget ${(BUDGET_BYTES / 1e6).toFixed(1)} MB)`);
if (total > BUDGET_BYTES) {
  console.error("over the size budget for committed bundles");
  process.exitCode = 1;
}
