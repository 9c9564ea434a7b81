/** Every example recipe, by name (`hidden-atlas example NAME`). */
import { digitsCnn, digitsCnnSeeds } from "./recipes/digits-cnn.ts";
import { digitsGeneralization } from "./recipes/digits-generalization.ts";
import { digitsMlp } from "./recipes/digits-mlp.ts";
import { digitsRotation } from "./recipes/digits-rotation.ts";
import { fashionCnn, fashionCnnSeeds } from "./recipes/fashion-cnn.ts";
import { splitDigits } from "./recipes/split-digits.ts";
import type { Recipe } from "./recipe.ts";

export const RECIPES: Recipe[] = [
  digitsMlp,
  digitsCnn,
  digitsCnnSeeds,
  digitsRotation,
  splitDigits,
  digitsGeneralization,
  fashionCnn,
  fashionCnnSeeds,
];

export function recipeNamed(name: string): Recipe | undefined {
  return RECIPES.find((r) => r.name === name);
}

export type { Recipe, RecipeData, RecipeOptions, RecipeResult } from "./recipe.ts";
