import { describe, expect, it } from "vitest";
import type { AnalysisBundle } from "../../src/analyses/columns.ts";
import {
  cliName,
  defaults,
  defineAnalysis,
  describeParam,
  resolveParams,
  type SomeAnalysis,
} from "../../src/analyses/descriptor.ts";
import { ANALYSES } from "../../src/analyses/registry.ts";
import { commandParams } from "../../src/cli/commands/analysis-options.ts";
import { HiddenAtlasError } from "../../src/core/errors.ts";
import { randomMatrix } from "../helpers.ts";

/** A small classification bundle with two dense layers and one conv layer. */
function bundle(samples = 40): AnalysisBundle {
  const dense = (name: string, d: number, seed: number) => ({
    name,
    shape: [samples, d],
    data: randomMatrix(samples, d, seed).data,
  });
  return {
    name: "tiny",
    task: "classification",
    samples,
    layers: [
      dense("fc1", 6, 1),
      {
        name: "conv",
        shape: [samples, 2, 3, 3],
        data: randomMatrix(samples, 18, 3).data,
        kind: "conv",
      },
      dense("fc2", 4, 2),
    ],
    labels: Int32Array.from({ length: samples }, (_, i) => i % 3),
  };
}

const toy = defineAnalysis({
  name: "toy",
  title: "Toy",
  question: "Does the resolver work?",
  papers: [],
  params: {
    layer: {
      type: "layer",
      default: (b: AnalysisBundle) => b.layers[0].name,
      label: "Layer",
      doc: "a layer",
    },
    layers: { type: "layers", default: [], label: "Layers", doc: "layers" },
    k: {
      type: "integer",
      min: 1,
      max: (b: AnalysisBundle) => b.samples - 1,
      default: 5,
      label: "k",
      doc: "neighbours",
    },
    overlap: {
      type: "number",
      min: 0,
      max: 1,
      exclusiveMax: true,
      default: 0.5,
      label: "Overlap",
      doc: "overlap",
    },
    eps: {
      type: "number",
      min: 0,
      exclusiveMin: true,
      auto: true,
      default: "auto",
      label: "ε",
      doc: "radius",
    },
    lens: {
      type: "keyword",
      choices: ["l2norm", "target"],
      available: (b: AnalysisBundle) => (b.targets ? ["l2norm", "target"] : ["l2norm"]),
      default: "l2norm",
      label: "Lens",
      doc: "lens",
    },
    debiased: { type: "boolean", default: false, label: "Debiased", doc: "estimator" },
    fractions: {
      type: "numbers",
      min: 0,
      max: 1,
      exclusiveMin: true,
      default: [0.25, 0.5],
      label: "Fractions",
      doc: "fractions",
    },
  },
  check(p) {
    if (p.k > 30 && p.debiased)
      throw new HiddenAtlasError("E_PARAM", "invalid k: too large for the debiased estimator");
  },
  steps: {
    result: {
      label: "toy",
      uses: [],
      async run() {
        return 1;
      },
    },
  },
  result: "result",
}) as unknown as SomeAnalysis;

describe("resolveParams()", () => {
  it("fills in every default, including those that depend on the bundle", () => {
    expect(resolveParams(toy, bundle())).toEqual({
      layer: "fc1",
      layers: [],
      k: 5,
      overlap: 0.5,
      eps: "auto",
      lens: "l2norm",
      debiased: false,
      fractions: [0.25, 0.5],
    });
    expect(defaults(toy, bundle())).toEqual(resolveParams(toy, bundle()));
  });

  it("parses text from a URL or the command line by each parameter's type", () => {
    const p = resolveParams(
      toy,
      bundle(),
      {
        layer: "fc2",
        layers: "fc2,fc1",
        k: "7",
        overlap: "0.25",
        eps: "1.5",
        debiased: "true",
        fractions: "0.1, 0.9",
      },
      { text: true },
    );
    expect(p).toMatchObject({
      layer: "fc2",
      layers: ["fc2", "fc1"],
      k: 7,
      overlap: 0.25,
      eps: 1.5,
      debiased: true,
      fractions: [0.1, 0.9],
    });
    expect(resolveParams(toy, bundle(), { eps: "auto" }, { text: true }).eps).toBe("auto");
  });

  it("refuses every invalid value with one wording: invalid NAME: VALUE (expected …)", () => {
    const b = bundle();
    const refuse = (given: Record<string, unknown>, message: RegExp, text = false) => {
      try {
        resolveParams(toy, b, given, { text });
      } catch (error) {
        expect(error).toBeInstanceOf(HiddenAtlasError);
        expect((error as HiddenAtlasError).code).toBe("E_PARAM");
        expect((error as HiddenAtlasError).message).toMatch(message);
        return;
      }
      throw new Error(`accepted ${JSON.stringify(given)}`);
    };
    refuse({ k: 0 }, /^invalid k: 0 \(expected an integer from 1 to 39\)$/);
    refuse({ k: 40 }, /invalid k: 40 \(expected an integer from 1 to 39\)/);
    refuse({ k: 2.5 }, /invalid k: 2.5/);
    refuse({ k: "7" }, /invalid k: "7"/);
    refuse({ k: "seven" }, /invalid k: "seven" \(expected a number\)/, true);
    refuse({ overlap: 1 }, /invalid overlap: 1 \(expected a finite number ≥ 0 and < 1\)/);
    refuse({ eps: 0 }, /invalid eps: 0/);
    refuse({ eps: "big" }, /invalid eps: "big" \(expected a number or "auto"\)/, true);
    refuse({ layer: "fc3" }, /invalid layer: "fc3" \(expected one of "fc1", "conv", "fc2"\)/);
    refuse({ layers: ["fc1", "fc1"] }, /each layer at most once/);
    refuse({ lens: "target" }, /invalid lens: "target" \(expected one of "l2norm" for "tiny"/);
    refuse({ debiased: "yes" }, /invalid debiased: "yes" \(expected true or false\)/, true);
    refuse({ fractions: [0.5, 0] }, /invalid fractions\[1\]: 0/);
    refuse({ k: 31, debiased: true }, /too large for the debiased estimator/);
  });

  it("refuses names it does not declare, inherited ones included", () => {
    for (const name of ["kk", "__proto__", "constructor", "toString", "hasOwnProperty"]) {
      const given = JSON.parse(`{${JSON.stringify(name)}: 1}`);
      expect(() => resolveParams(toy, bundle(), given)).toThrow(
        new RegExp(`unknown parameter ${JSON.stringify(name).replace(/[_$]/g, "\\$&")} for toy`),
      );
    }
  });

  it("gives --help a line per parameter with its command-line spelling", () => {
    expect(cliName("minSamples")).toBe("min-samples");
    expect(describeParam("eps", toy.params.eps)).toMatch(
      /^eps \(--eps; number > 0, or "auto"; default auto\): radius/,
    );
  });
});

describe("every analysis' parameter table", () => {
  const b = bundle();
  for (const [name, descriptor] of Object.entries(ANALYSES) as [string, SomeAnalysis][]) {
    it(`${name}: names, labels, docs and a step for every declared dependency`, () => {
      expect(descriptor.name).toBe(name);
      for (const [param, spec] of Object.entries(descriptor.params)) {
        expect(param).toMatch(/^[a-z][A-Za-z0-9]*$/);
        expect(spec.label.length).toBeGreaterThan(0);
        expect(spec.doc).toMatch(/\.$/);
      }
      expect(Object.keys(descriptor.steps)).toContain(descriptor.result);
      const computed = new Set(Object.values(descriptor.steps).flatMap((s) => s.uses));
      // Every compute parameter changes some step; view parameters change none.
      for (const [param, spec] of Object.entries(descriptor.params)) {
        if ((spec.role ?? "compute") === "compute")
          expect(computed.has(param), `${name}.${param} is used by no step`).toBe(true);
        else
          expect(
            computed.has(param),
            `${name}.${param} is a view parameter but a step uses it`,
          ).toBe(false);
      }
    });
  }

  it("the command line, the API and the notebooks start from the same defaults", () => {
    for (const descriptor of [
      ANALYSES.explore,
      ANALYSES.mapper,
      ANALYSES["layer-topology"],
    ] as unknown as SomeAnalysis[]) {
      expect(commandParams(descriptor, b, { set: [] })).toEqual(resolveParams(descriptor, b, {}));
    }
    expect(
      resolveParams(ANALYSES["layer-topology"] as unknown as SomeAnalysis, b, {}),
    ).toMatchObject({ samples: 40, vectorize: "top-l2", radiusScale: 1 });
  });

  it("a renamed parameter is still read under its former name, and only once", () => {
    const topology = ANALYSES["layer-topology"] as unknown as SomeAnalysis;
    const mapper = ANALYSES.mapper as unknown as SomeAnalysis;
    expect(resolveParams(topology, b, { threshold: 0.5 })).toMatchObject({ radiusScale: 0.5 });
    expect(resolveParams(topology, b, { threshold: 0.5 })).not.toHaveProperty("threshold");
    expect(commandParams(topology, b, { set: ["threshold=0.25"] })).toMatchObject({
      radiusScale: 0.25,
    });
    expect(commandParams(topology, b, { threshold: "0.75" })).toMatchObject({ radiusScale: 0.75 });
    expect(commandParams(mapper, b, { set: ["threshold=0.2"] })).toMatchObject({ minJaccard: 0.2 });
    expect(() => resolveParams(topology, b, { threshold: 0.5, radiusScale: 0.5 })).toThrow(
      /radiusScale is given twice \(also as its former name threshold\)/,
    );
    expect(() => resolveParams(topology, b, { radiusScale: 0 })).toThrow(/invalid radiusScale: 0/);
  });

  it("--set and --kebab-name reach the same resolver", () => {
    const mapper = ANALYSES.mapper as unknown as SomeAnalysis;
    expect(commandParams(mapper, b, { set: ["minSamples=4"], "eps-scale": "1.2" })).toMatchObject({
      minSamples: 4,
      epsScale: 1.2,
    });
    expect(() => commandParams(mapper, b, { set: ["minSamples=4"], "min-samples": "3" })).toThrow(
      /given twice/,
    );
    expect(() => commandParams(mapper, b, { set: ["__proto__=1"] })).toThrow(
      /unknown parameter "__proto__" for mapper/,
    );
    expect(() => commandParams(mapper, b, { "sensitivity-remove": "lowest" })).toThrow(
      /--sensitivity-remove is not a parameter of mapper/,
    );
  });
});
