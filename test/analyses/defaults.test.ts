/**
 * One set of defaults per analysis: the command line's `report` / `run`, the notebook's
 * controls and the library call start from the same values, on the bundle each notebook opens
 * with. The notebook side is checked twice: the controls it builds start at the default and can
 * show it (a slider clamps its start into its range and a select falls back to its first choice,
 * so a default outside the control's range would silently drift), and its source gives no
 * control an initial value of its own.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { AnalysisBundle } from "../../src/analyses/columns.ts";
import {
  controlRange,
  defaultOf,
  defaults,
  layerChoices,
  resolveParams,
  type ParamSpec,
  type SomeAnalysis,
} from "../../src/analyses/descriptor.ts";
import { mdaAnalysisDefaults } from "../../src/analyses/mda.ts";
import { mphateStudyDefaults } from "../../src/analyses/mphate.ts";
import { ANALYSES } from "../../src/analyses/registry.ts";
import { commandParams } from "../../src/cli/commands/analysis-options.ts";
import { loadBundleFromPath } from "../../src/io/node.ts";
import { initialValue } from "../../src/ui/controls.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const notebookSource = (name: string) =>
  readFileSync(join(ROOT, "notebooks", `${name}.html`), "utf8");

/** The dataset a notebook opens with: `atlas.urlParam("data", NAME)` in its picker. */
function openingDataset(source: string): string {
  const match = /urlParam\("data", "([\w-]+)"\)/.exec(source);
  if (!match) throw new Error("the notebook names no opening dataset");
  return match[1];
}

async function openingBundle(name: string): Promise<AnalysisBundle> {
  const path =
    name === "digits"
      ? join(ROOT, "data", "digits")
      : join(ROOT, "data", "examples", `${name}.zip`);
  return (await loadBundleFromPath(path)) as unknown as AnalysisBundle;
}

const descriptors = ANALYSES as unknown as Record<string, SomeAnalysis>;

/** Why the control built for `spec` (src/ui/controls.ts) could not start at `value`, or null. */
function unshowable(spec: ParamSpec, bundle: AnalysisBundle, value: unknown): string | null {
  switch (spec.type) {
    case "integer":
    case "number": {
      if (value === "auto") return spec.auto ? null : "auto is not offered";
      const options = spec.control && "options" in spec.control ? spec.control.options : undefined;
      if (spec.control?.input === "select" && options)
        return options.includes(value as number)
          ? null
          : `${value} is not among ${options.join(", ")}`;
      const { min, max } = controlRange(spec, bundle);
      return (value as number) >= min && (value as number) <= max
        ? null
        : `${value} is outside the slider's ${min} … ${max}`;
    }
    case "keyword":
      return (spec.available?.(bundle) ?? spec.choices).includes(value as string)
        ? null
        : `${value} is not offered`;
    case "layer":
      return layerChoices(spec, bundle).includes(value as string)
        ? null
        : `${value} is not a layer`;
    default:
      return null;
  }
}

describe("defaults agree across the command line, the notebooks and the API", () => {
  for (const [name, descriptor] of Object.entries(descriptors)) {
    it(`${name}: CLI report, notebook controls and API start from the same values`, async () => {
      const source = notebookSource(name);
      const bundle = await openingBundle(openingDataset(source));
      const api = resolveParams(descriptor, bundle, {});
      expect(api).toEqual(defaults(descriptor, bundle));
      // `hidden-atlas report NAME --bundle B` with no --set: the same resolver, text path.
      expect(commandParams(descriptor, bundle, { set: [] })).toEqual(api);

      // The notebook: generated controls start at the declared default...
      const built = [...source.matchAll(/atlas\.control\(\w+, "(\w+)", bundle(, \{[^)]*\})?\)/g)];
      expect(built.length).toBeGreaterThan(0);
      for (const [, param, options] of built) {
        // ...given no value of their own (`{disabled: …}` only; Mapper's controls start from the
        // chosen preset's values, which the descriptor declares)...
        const fromPreset = /^, \{value: presetValues\.(\w+)\}$/.exec(options ?? "");
        if (fromPreset) expect(fromPreset[1]).toBe(param);
        else
          expect(options ?? "", `${name}.html gives ${param} its own initial value`).not.toMatch(
            /\bvalue:/,
          );
        expect(initialValue(descriptor, param, bundle), `${name}.html: ${param}`).toEqual(
          api[param],
        );
        // ...and can show it.
        expect(
          unshowable(descriptor.params[param], bundle, api[param]),
          `${name}.html: ${param}`,
        ).toBeNull();
      }
      // ...and hand-built controls of declared parameters start from initialValue().
      for (const [, param] of source.matchAll(/atlas\.initialValue\(\w+, "(\w+)", bundle\)/g)) {
        expect(initialValue(descriptor, param, bundle)).toEqual(api[param]);
      }
    });
  }

  it("the lower-level calls under the analyses share their defaults", () => {
    // mda(bundle, params) and the M-PHATE studies take the same parameters as the descriptors;
    // where a default differs on purpose, the descriptor's `reference` says why.
    const differing: string[] = [];
    let shared = 0;
    const compare = (analysis: string, lower: Record<string, unknown>) => {
      const table = descriptors[analysis].params;
      for (const [param, value] of Object.entries(lower)) {
        if (!Object.hasOwn(table, param) || typeof table[param].default === "function") continue;
        shared++;
        if (JSON.stringify(value) !== JSON.stringify(table[param].default))
          differing.push(`${analysis}.${param}`);
      }
    };
    compare("mda", mdaAnalysisDefaults);
    compare("mphate", mphateStudyDefaults);
    expect(shared).toBeGreaterThanOrEqual(20);
    expect(differing).toEqual([]);
    // The notebook keeps about 20 checkpoints (every 5th of digits-mlp's 101: exact, in
    // seconds; all of a short run's 9); the study functions keep the paper's every checkpoint.
    // Both are documented in the descriptor's reference.
    const stride = descriptors.mphate.params.epochStride;
    const withCheckpoints = (count: number) =>
      ({ checkpoints: Array.from({ length: count }, () => ({})) }) as unknown as AnalysisBundle;
    expect(defaultOf(stride, withCheckpoints(101))).toBe(5);
    expect(defaultOf(stride, withCheckpoints(9))).toBe(1);
    expect(defaultOf(stride, withCheckpoints(41))).toBe(2);
    expect(mphateStudyDefaults.epochStride).toBe(1);
    expect(stride.reference).toMatch(/every epoch/);
  });
});
