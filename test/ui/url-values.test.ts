// urlValues(): what a notebook writes into its URL. A parameter whose default depends on the
// bundle (layer topology's samples: at most 500, fewer in a smaller bundle) is left out while it
// holds that default, so the next bundle opened on the page starts from its own default (a
// 10,000-image export once kept the 449 of the 449-sample digits example).
import { describe, expect, it } from "vitest";
import type { AnalysisBundle } from "../../src/analyses/columns.ts";
import { defaults, type SomeAnalysis } from "../../src/analyses/descriptor.ts";
import { ANALYSES } from "../../src/analyses/registry.ts";
import { initialValue, urlValues } from "../../src/ui/controls.ts";

const topology = ANALYSES["layer-topology"] as unknown as SomeAnalysis;
const bundleOf = (samples: number): AnalysisBundle => ({
  name: `b${samples}`,
  task: "classification",
  samples,
  layers: [{ name: "fc", shape: [samples, 4], data: new Float32Array(samples * 4) }],
});

describe("urlValues", () => {
  const small = bundleOf(449);
  const large = bundleOf(10_000);

  it("leaves out a bundle-dependent parameter at its default, keeps a chosen one and every fixed default", () => {
    const params = defaults(topology, small) as Record<string, unknown>;
    expect(params.samples).toBe(449);
    const written = urlValues(topology, small, params);
    expect(written.samples).toBeNull();
    expect(written.seed).toBe(params.seed);
    expect(written.maxdim).toBe(params.maxdim);
    expect(urlValues(topology, small, { ...params, samples: 300 }).samples).toBe(300);
  });

  it("so the next bundle's control starts at that bundle's default", () => {
    const written = urlValues(topology, small, defaults(topology, small));
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(written))
      if (value !== null && !Array.isArray(value)) search.set(key, String(value));
    expect(search.has("samples")).toBe(false);
    expect(initialValue(topology, "samples", large, { urlKey: null })).toBe(500);
  });
});
