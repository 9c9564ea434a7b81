import { describe, expect, it } from "vitest";
import { mda } from "../../src/analyses/mda.ts";
import { loadBundleFromPath } from "../../src/io/node.ts";

describe("mda analysis", () => {
  it("lays out a one-unit layer (digits-rotation's output) with every method, PCA on a line", { timeout: 120_000 }, async () => {
    const bundle = await loadBundleFromPath(new URL("../../data/examples/digits-rotation.zip", import.meta.url).pathname);
    const result = await mda(bundle, { layers: ["output"], stages: ["trained"], maxPoints: 150, iterations: 20 });
    const panel = result.panels[0];
    expect(panel.dimension).toBe(1);
    for (const method of ["mda", "tsne", "umap", "pca", "isomap"] as const) {
      const Y = panel.embeddings[method]!;
      expect(Y.rows).toBe(150);
      expect(Y.cols).toBe(2);
      expect(Y.data.every(Number.isFinite)).toBe(true);
    }
    const pca = panel.embeddings.pca!;
    for (let i = 0; i < pca.rows; i++) expect(pca.data[2 * i + 1]).toBe(0);
    // PCA of one coordinate keeps every distance: geodesic correlation near 1.
    expect(panel.correlation.pca!.spearman).toBeGreaterThan(0.95);
  });
});
