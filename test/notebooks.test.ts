/**
 * The notebooks agree with the analyses' descriptors: every control is generated from a declared
 * parameter, every worker task a notebook runs is a declared step, every key it writes to the URL
 * is a parameter of its analysis (or the dataset), and no raw control shadows a parameter under
 * another name.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { SomeAnalysis } from "../src/analyses/descriptor.ts";
import { ANALYSES } from "../src/analyses/registry.ts";

const DIR = fileURLToPath(new URL("../notebooks/", import.meta.url));
const notebooks = readdirSync(DIR).filter((f) => f.endsWith(".html") && f !== "template.html");
const source = (file: string) => readFileSync(DIR + file, "utf8");
const descriptors = ANALYSES as unknown as Record<string, SomeAnalysis>;
/** URL keys that are not analysis parameters: the dataset and the examples notebook's recipe. */
const NOT_PARAMETERS = new Set(["data", "recipe", "epochs", "seed"]);

describe("notebooks and descriptors", () => {
  it("every analysis has a notebook of its name", () => {
    for (const name of Object.keys(ANALYSES)) expect(notebooks).toContain(`${name}.html`);
  });

  for (const file of notebooks) {
    const text = source(file);
    const name = file.replace(/\.html$/, "");
    const own = descriptors[name];

    it(`${file}: controls come from declared parameters`, () => {
      const aliases = new Map<string, string>();
      for (const m of text.matchAll(/const (\w+) = atlas\.ANALYSES(?:\.([\w]+)|\["([\w-]+)"\]);/g))
        aliases.set(m[1], m[2] ?? m[3]);
      for (const m of text.matchAll(/atlas\.(?:control|initialValue)\((\w+), "(\w+)"/g)) {
        const analysis = aliases.get(m[1]);
        expect(analysis, `${file}: ${m[1]} is not an analysis descriptor`).toBeDefined();
        expect(
          Object.keys(descriptors[analysis!].params),
          `${file}: ${analysis} has no parameter ${m[2]}`,
        ).toContain(m[2]);
      }
      if (!own) return;
      // A raw Inputs control may not carry a declared parameter's label: it would be a second declaration.
      const labels = new Map(Object.entries(own.params).map(([p, s]) => [s.label, p]));
      // (Hand-built controls of declared parameters go through atlas.bindControl.)
      const unbound = text.replace(/atlas\.bindControl\([^\n]*\n?/g, "");
      for (const m of unbound.matchAll(/Inputs\.\w+\([^)]*?label: "([^"]+)"/g)) {
        const shadowed = labels.get(m[1]);
        if (shadowed)
          expect.fail(`${file}: the raw control "${m[1]}" re-declares ${name}.${shadowed}`);
      }
      for (const m of text.matchAll(/atlas\.bindControl\((\w+), "(\w+)"/g))
        expect(Object.keys(own.params)).toContain(m[2]);
    });

    it(`${file}: worker tasks are declared steps`, () => {
      // worker.run("task.step", …) or atlas.run(worker, "task.step", …)
      for (const m of text.matchAll(/\.run\(\s*(?:\w+,\s*)?"([\w-]+)\.(\w+)"/g)) {
        if (m[1] === "example") continue;
        expect(Object.keys(descriptors[m[1]]?.steps ?? {}), `${file}: ${m[1]}.${m[2]}`).toContain(
          m[2],
        );
      }
    });

    it(`${file}: the URL holds parameters under their own names`, () => {
      if (!own) return;
      for (const m of text.matchAll(/atlas\.writeUrlParams\(\{([\s\S]*?)\}\);/g)) {
        // `...atlas.urlValues(descriptor, bundle, params)` spreads the parameters themselves.
        const body = m[1].replace(/\.\.\.atlas\.urlValues\([^)]*\)/g, "");
        const keys = [...body.matchAll(/(?:^|,)\s*(\w+)(?=\s*[:,]|\s*$)/g)].map((k) => k[1]);
        for (const key of keys)
          if (!NOT_PARAMETERS.has(key) && key !== "params")
            expect(Object.keys(own.params), `${file}: URL key ${key}`).toContain(key);
      }
    });
  }
});
