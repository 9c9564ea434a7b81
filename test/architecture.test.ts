/**
 * The layering rules of the code base (README, "How it is built"), checked over the import
 * statements of src/: data flows files → io → algo → analyses → views → report / notebook, and a
 * module that needs something from a higher layer is in the wrong place.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL("../src", import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/** The folder under src/ of every module a file imports or re-exports (type imports included). */
function importedLayers(file: string): { layer: string; specifier: string }[] {
  const text = readFileSync(file, "utf8");
  const found: { layer: string; specifier: string }[] = [];
  for (const match of text.matchAll(/(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"/g)) {
    const target = relative(SRC, join(file, "..", match[1]));
    const layer = target.includes(sep) ? target.split(sep)[0] : target.replace(/\.ts$/, "");
    found.push({ layer, specifier: match[1] });
  }
  return found;
}

/** Layers each layer may import (besides itself). */
const ALLOWED: Record<string, string[]> = {
  core: ["version"],
  io: ["core"],
  algo: ["core"],
  analyses: ["core", "io", "algo"],
  examples: ["core", "io", "algo"],
  views: ["core", "analyses"],
  report: ["core", "analyses", "views", "version"],
  ui: ["core", "io", "analyses", "views", "report", "worker", "examples"],
  worker: ["core", "io", "analyses", "examples"],
  cli: ["core", "io", "algo", "analyses", "views", "report", "worker", "examples", "version"],
  notebook: ["core", "io", "analyses", "views", "report", "worker", "ui", "examples"],
  index: ["core", "io", "algo", "analyses", "views", "report", "examples", "version"],
  node: ["core", "io", "algo", "analyses", "examples", "index"],
  types: [],
  version: [],
};

/**
 * Named exceptions, each with its reason. algo/vectorize.ts reduces a layer while it streams
 * from storage (a lazily opened bundle), so it reads io's chunked arrays.
 */
const EXCEPTIONS: Record<string, string[]> = { [join("algo", "vectorize.ts")]: ["io"] };

describe("layering", () => {
  for (const file of files(SRC)) {
    const rel = relative(SRC, file);
    const layer = rel.includes(sep) ? rel.split(sep)[0] : rel.replace(/\.ts$/, "");
    it(`${rel} imports only from the layers below it`, () => {
      const allowed = ALLOWED[layer];
      expect(allowed, `no rule for the layer of ${rel}`).toBeDefined();
      const wrong = importedLayers(file).filter(
        (i) =>
          i.layer !== layer &&
          !allowed.includes(i.layer) &&
          !(EXCEPTIONS[rel] ?? []).includes(i.layer),
      );
      expect(wrong.map((w) => w.specifier)).toEqual([]);
    });
  }
});
