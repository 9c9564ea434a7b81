/** Every example recipe, by name (`hidden-atlas example NAME`). */
import { digitsCnn } from "./recipes/digits-cnn.ts";
import { digitsGeneralization } from "./recipes/digits-generalization.ts";
import { digitsMlp } from "./recipes/digits-mlp.ts";
import { digitsRotation } from "./recipes/digits-rotation.ts";
import { fashionCnn } from "./recipes/fashion-cnn.ts";
import { splitDigits } from "./recipes/split-digits.ts";
import type { Recipe } from "./recipe.ts";

export const RECIPES: Recipe[] = [digitsMlp, digitsCnn, digitsRotation, splitDigits, digitsGeneralization, fashionCnn];

export function recipeNamed(name: string): Recipe | undefined {
  return RECIPES.find((r) => r.name === name);
}

export type { Recipe, RecipeData, RecipeOptions, RecipeResult } from "./recipe.ts";
