/**
 * `npm run examples [-- NAME ... [--seed S]]`: train every example recipe (or the named ones) with
 * its default seed (or S) and epochs, and write the bundles the notebooks open as data/examples/NAME.zip
 * (float16 activations, deflated), plus data/examples/index.json describing them.
 * `--seed S` trains the named recipes with seed S instead (digits-generalization then names its
 * bundles `…-seedS`), e.g. `npm run examples -- digits-generalization --seed 2`.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RECIPES } from "../src/examples/index.ts";
import { loadRecipeData } from "../src/examples/node.ts";
import { zipBundle } from "../src/io/bundle-write.ts";

const OUT = fileURLToPath(new URL("../data/examples/", import.meta.url));
const INDEX = join(OUT, "index.json");
/**
 * The committed bundles together must stay below this: 25 MB, plus 15 MB for the layer-topology
 * seed study's raw conv outputs and 5 MB for two more seeds of M-PHATE's eight generalisation
 * runs (~0.5 MB each), which give its generalisation ρ a spread instead of one noisy draw.
 */
const BUDGET_BYTES = 45e6;

interface IndexEntry {
  name: string;
  recipe: string;
  description: string;
  usedBy: string[];
  file: string;
  bytes: number;
  summary: Record<string, unknown>;
  /** The seed the recipe was trained with, when not its default. */
  seed?: number;
}

// `-- NAME ... --seed S` trains the named recipes with seed S (a seed study's runs one at a time).
const args = process.argv.slice(2);
const seedAt = args.indexOf("--seed");
const seed = seedAt >= 0 ? Number(args[seedAt + 1]) : undefined;
if (seed !== undefined && !Number.isSafeInteger(seed)) {
  console.error(`--seed needs an integer; got ${JSON.stringify(args[seedAt + 1])}`);
  process.exit(2);
}
const wanted = seedAt >= 0 ? [...args.slice(0, seedAt), ...args.slice(seedAt + 2)] : args;
const recipes = RECIPES.filter((r) => wanted.length === 0 || wanted.includes(r.name));
if (recipes.length === 0) {
  console.error(
    `unknown recipe(s) ${wanted.join(", ")}; known: ${RECIPES.map((r) => r.name).join(", ")}`,
  );
  process.exit(2);
}
mkdirSync(OUT, { recursive: true });
const readIndex = (): IndexEntry[] =>
  existsSync(INDEX) ? JSON.parse(readFileSync(INDEX, "utf8")).bundles : [];
const written: IndexEntry[] = [];
for (const recipe of recipes) {
  const started = performance.now();
  let shown = "";
  process.stderr.write(`${recipe.name}: ${recipe.description}\n`);
  const results = await recipe.run(await loadRecipeData(recipe.needs), {
    seed,
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
    written.push({
      name: result.name,
      recipe: recipe.name,
      description: recipe.description,
      usedBy: recipe.usedBy,
      file,
      bytes: bytes.length,
      summary: result.summary,
      ...(seed !== undefined && seed !== recipe.defaults.seed ? { seed } : {}),
    });
    console.log(
      `${result.name}: ${(bytes.length / 1e6).toFixed(2)} MB ${JSON.stringify(result.summary)}`,
    );
  }
}
// Read the index again only now: another run (of other recipes) may have written it meanwhile.
const index = readIndex().filter((e) => !written.some((w) => w.name === e.name));
index.push(...written);
index.sort(
  (a, b) =>
    RECIPES.findIndex((r) => r.name === a.recipe) - RECIPES.findIndex((r) => r.name === b.recipe) ||
    a.name.localeCompare(b.name),
);
writeFileSync(
  INDEX,
  JSON.stringify({ note: "written by `npm run examples`", bundles: index }, null, 2) + "\n",
);
const total = index.reduce((s, e) => s + e.bytes, 0);
console.log(
  `all example bundles: ${(total / 1e6).toFixed(1)} MB (budget ${(BUDGET_BYTES / 1e6).toFixed(1)} MB)`,
);
if (total > BUDGET_BYTES) {
  console.error("over the size budget for committed bundles");
  process.exitCode = 1;
}
