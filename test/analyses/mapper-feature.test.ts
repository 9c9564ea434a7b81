import { describe, expect, it } from "vitest";
import { reportDocument } from "../../src/report/dom.ts";
import type { AnalysisBundle } from "../../src/analyses/columns.ts";
import { resolveParams } from "../../src/analyses/descriptor.ts";
import {
  mapperDescriptor,
  nodeFeatureImage,
  type MapperFeatureImage,
  type MapperLayerResult,
  type MapperLayerSpace,
} from "../../src/analyses/mapper.ts";
import type { Matrix } from "../../src/core/matrix.ts";
import { DEFAULT_SEED } from "../../src/core/random.ts";
import { AnalysisRunner, bundleKeyOf } from "../../src/analyses/runner.ts";
import { loadBundleFromPath } from "../../src/io/node.ts";
import { featureImage } from "../../src/views/mapper.ts";

const loaded = new Map<string, Promise<AnalysisBundle>>();
/** Each example bundle is read once per file. */
const example = (name: string) => {
  if (!loaded.has(name))
    loaded.set(
      name,
      loadBundleFromPath(
        new URL(`../../data/examples/${name}.zip`, import.meta.url).pathname,
      ) as Promise<AnalysisBundle>,
    );
  return loaded.get(name)!;
};

async function feature(
  bundle: AnalysisBundle,
  layer: string,
  node?: number,
): Promise<{ fv: MapperFeatureImage; graph: MapperLayerResult; X: Matrix; index: number }> {
  const runner = new AnalysisRunner();
  const params = resolveParams(mapperDescriptor, bundle, { layers: [layer] });
  const key = bundleKeyOf(bundle);
  const graph = await runner.run<typeof mapperDescriptor.params, MapperLayerResult>(
    mapperDescriptor,
    bundle,
    key,
    "graph",
    params,
    { layer },
  );
  // The largest node unless told.
  const index =
    node ?? graph.nodes.reduce((best, n, i) => (n.size > graph.nodes[best].size ? i : best), 0);
  const fv = await runner.run<typeof mapperDescriptor.params, MapperFeatureImage>(
    mapperDescriptor,
    bundle,
    key,
    "feature",
    params,
    { layer, node: index },
  );
  const { X } = await runner.run<typeof mapperDescriptor.params, MapperLayerSpace>(
    mapperDescriptor,
    bundle,
    key,
    "space",
    params,
    { layer },
  );
  runner.clear();
  return { fv, graph, X, index };
}

describe("a Mapper node's feature visualisation on the bundle's own network", () => {
  it("digits-cnn conv3: an 8 × 8 image in the inputs' range that projects on the node's direction beyond every member", async () => {
    const bundle = await example("digits-cnn");
    const { fv, graph, X, index } = await feature(bundle, "conv3");
    expect(fv.available).toBe(true);
    if (!fv.available) return;
    expect(fv.networkLayer).toBe("relu3");
    expect(fv.shape.reduce((a, b) => a * b, 1)).toBe(64);
    const [lo, hi] = fv.range;
    expect(fv.image.every((v) => v >= lo - 1e-4 && v <= hi + 1e-4)).toBe(true);
    // Activation maximisation must beat the dataset: the image's projection exceeds the members' best.
    expect(fv.objective.end).toBeGreaterThan(fv.members.max);
    expect(fv.objective.end).toBeGreaterThan(fv.objective.start);
    // Deterministic: the same node again gives the same image, bit for bit.
    const again = await nodeFeatureImage(bundle, "conv3", X, graph.nodes[index], DEFAULT_SEED);
    expect(again.available && Array.from(again.image)).toEqual(Array.from(fv.image));
    // Drawn as an image with its caption, strings as text.
    const document = reportDocument();
    const figure = featureImage(fv, { document });
    expect(figure.querySelector("img")?.getAttribute("src")).toMatch(/^data:image\/png;base64,/);
    expect(figure.querySelector("figcaption")?.textContent).toMatch(
      /relu3's activation along the node's mean direction/,
    );
  }, 60_000);

  it("says why there is no image: a layer the network does not recompute, a bundle without weights", async () => {
    const bundle = await example("digits-cnn");
    const { fv } = await feature(bundle, "conv1:pre:top-l2");
    expect(fv).toMatchObject({ available: false });
    expect(!fv.available && fv.reason).toMatch(
      /does not recompute layer "conv1:pre:top-l2" \(its model maps only "conv1"/,
    );
    const seed = await example("digits-cnn-seed1");
    const other = await feature(seed, "conv3:pre:top-l2");
    expect(!other.fv.available && other.fv.reason).toMatch(/carries no trained network/);
    const document = reportDocument();
    const note = featureImage(other.fv, { document });
    expect(note.querySelector("img")).toBeNull();
    expect(note.textContent).toMatch(/carries no trained network/);
  }, 60_000);

  it("refuses a node index outside the layer's nodes", async () => {
    const bundle = await example("digits-mlp");
    await expect(feature(bundle, "fc3", 10_000)).rejects.toThrow(
      /invalid node: 10000 \(expected an index from 0 to \d+ of layer "fc3"'s nodes\)/,
    );
  }, 60_000);
});
