/** `hidden-atlas example NAME --out DIR`: train an example network and write its bundle(s). */
import { join } from "node:path";
import { HiddenAtlasError } from "../../core/errors.ts";
import { RECIPES, recipeNamed } from "../../examples/index.ts";
import { loadRecipeData } from "../../examples/node.ts";
import { zipBundle } from "../../io/bundle-write.ts";
import { writeBundle, writeFileSafely } from "../../io/node.ts";
import { makeFolder } from "../files.ts";
import type { Command } from "../command.ts";
import { terminalProgress, terminalSafe, toJson } from "../output.ts";

export const exampleCommand: Command = {
  spec: {
    name: "example",
    summary:
      "Train one of the example networks (deterministically, from a seed) and write its activation bundle(s).",
    positionals: [{ name: "NAME", description: `one of ${RECIPES.map((r) => r.name).join(", ")}` }],
    options: {
      out: {
        type: "string",
        output: "directory",
        placeholder: "DIR",
        description:
          "output folder (required); a recipe with several bundles writes one sub-folder each",
      },
      seed: {
        type: "integer",
        description: "seed of the split, initialisation and shuffles (default: the recipe's, 42)",
      },
      epochs: { type: "integer", description: "training epochs (default: the recipe's)" },
      zip: {
        type: "boolean",
        default: false,
        description: "write NAME.zip files instead of folders",
      },
    },
    details: RECIPES.map(
      (r) =>
        `${r.name}: ${r.description} (used by ${r.usedBy.join(", ")}; ${r.defaults.epochs} epochs)`,
    ).join("\n"),
  },
  async run({ positionals: [name], options }, { stdout, stderr }) {
    const recipe = recipeNamed(name);
    if (!recipe)
      throw new HiddenAtlasError(
        "E_USAGE",
        `unknown example "${terminalSafe(name)}" (known: ${RECIPES.map((r) => r.name).join(", ")})`,
      );
    const epochs = options.epochs as number | undefined;
    if (epochs !== undefined && epochs < 1)
      throw new HiddenAtlasError("E_USAGE", `--epochs must be at least 1; got ${epochs}`);
    const out = options.out as string | undefined;
    if (!out) throw new HiddenAtlasError("E_USAGE", "example needs --out DIR");
    const data = await loadRecipeData(recipe.needs);
    const results = await recipe.run(data, {
      seed: options.seed as number | undefined,
      epochs,
      onProgress: terminalProgress(stderr),
    });
    const written: string[] = [];
    await makeFolder(out);
    for (const result of results) {
      if (options.zip) {
        const file = join(out, `${result.name}.zip`);
        await writeFileSafely(file, zipBundle(result.bundle));
        written.push(file);
      } else {
        const dir = results.length === 1 ? out : join(out, result.name);
        await writeBundle(result.bundle, dir);
        written.push(dir);
      }
    }
    stdout.write(
      toJson(
        {
          example: recipe.name,
          bundles: results.map((r, i) => ({ name: r.name, path: written[i], ...r.summary })),
        },
        2,
      ) + "\n",
    );
  },
};
