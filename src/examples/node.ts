/** Loading the recipes' data sets from disk (Node only). */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { HiddenAtlasError } from "../core/errors.ts";
import { readIdx } from "../io/idx.ts";
import { readFileBytes } from "../io/node.ts";
import { readNpy } from "../io/npy.ts";
import { DIGIT_CLASSES, FASHION_CLASSES, imageDataset, type ImageDataset } from "./datasets.ts";
import type { RecipeData } from "./recipe.ts";

/** The project's copy of the 8×8 digits (data/digits). */
export const DIGITS_DIR = fileURLToPath(new URL("../../data/digits/", import.meta.url));
/** Where Debian's dataset-fashion-mnist package puts the IDX files. */
export const FASHION_DIR = process.env.FASHION_MNIST_DIR ?? "/usr/share/datasets/fashion-mnist";

export async function loadDigits(dir = DIGITS_DIR): Promise<ImageDataset> {
  const images = readNpy(await readFileBytes(join(dir, "images.npy")), "images.npy");
  const labels = readNpy(await readFileBytes(join(dir, "labels.npy")), "labels.npy");
  return imageDataset("digits", images, labels, DIGIT_CLASSES, 16);
}

export function fashionAvailable(dir = FASHION_DIR): boolean {
  return existsSync(join(dir, "t10k-images-idx3-ubyte.gz"));
}

export async function loadFashion(
  dir = FASHION_DIR,
): Promise<{ train: ImageDataset; test: ImageDataset }> {
  if (!fashionAvailable(dir)) {
    throw new HiddenAtlasError(
      "E_IO",
      `Fashion-MNIST not found in ${dir}: install it with \`apt-get install dataset-fashion-mnist\` (or set FASHION_MNIST_DIR)`,
      { file: dir },
    );
  }
  const read = async (file: string) => readIdx(await readFileBytes(join(dir, file)), file);
  return {
    train: imageDataset(
      "fashion-mnist-train",
      await read("train-images-idx3-ubyte.gz"),
      await read("train-labels-idx1-ubyte.gz"),
      FASHION_CLASSES,
      255,
    ),
    test: imageDataset(
      "fashion-mnist-test",
      await read("t10k-images-idx3-ubyte.gz"),
      await read("t10k-labels-idx1-ubyte.gz"),
      FASHION_CLASSES,
      255,
    ),
  };
}

/** The data sets a recipe needs, loaded from their default places. */
export async function loadRecipeData(needs: (keyof RecipeData)[]): Promise<RecipeData> {
  const data: RecipeData = {};
  if (needs.includes("digits")) data.digits = await loadDigits();
  if (needs.includes("fashion")) data.fashion = await loadFashion();
  return data;
}
