/**
 * One entry point for every 2-D (or d-D) embedding: `embed(X, method, params)` dispatches to
 * pca, mds (SMACOF, scikit-learn's `MDS`), isomap, tsne, umap or mda with that method's own
 * options and defaults, and returns the coordinates with the options as resolved.
 *
 * @example
 *   const {coordinates, params} = await embed(X, "umap", {nNeighbors: 15, seed: 42});
 *   const layout = await embed(features, "mda", {outputs: predictions});
 *
 * See also: pca, mds, isomap, tsne, umap, mda (each documents its defaults and references).
 */
import { HiddenAtlasError } from "../core/errors.ts";
import { assertMatrix, type Matrix } from "../core/matrix.ts";
import { checkKeyword } from "../core/params.ts";
import type { RunOptions } from "../core/progress.ts";
import { isomap, type IsomapOptions } from "./isomap.ts";
import { mda, type MdaOptions } from "./mda.ts";
import { mds, type SmacofOptions } from "./mds.ts";
import { pca, type PcaOptions } from "./pca.ts";
import { phate, type PhateOptions } from "./phate.ts";
import { tsne, type TsneOptions } from "./tsne.ts";
import { umap, type UmapOptions } from "./umap.ts";

export const EMBED_METHODS = ["pca", "mds", "isomap", "tsne", "umap", "phate", "mda"] as const;
export type EmbedMethod = (typeof EMBED_METHODS)[number];

/** Options by method; "mda" also needs the network outputs that define its groups. */
export interface EmbedParams {
  pca: PcaOptions;
  mds: SmacofOptions;
  isomap: IsomapOptions;
  tsne: TsneOptions;
  umap: UmapOptions;
  phate: PhateOptions;
  mda: MdaOptions & { outputs: Matrix };
}

export interface EmbedResult {
  method: EmbedMethod;
  /** n × nComponents coordinates. */
  coordinates: Matrix;
  /** The method's options as resolved ("auto" replaced by its value). */
  params: Record<string, unknown>;
  /** Recoverable problems the method reported. */
  warnings: string[];
}

export async function embed<M extends EmbedMethod>(
  X: Matrix,
  method: M,
  params: EmbedParams[M] = {} as EmbedParams[M],
  run: RunOptions = {},
): Promise<EmbedResult> {
  assertMatrix(X, "X");
  checkKeyword("method", method, EMBED_METHODS);
  const options = { ...params, ...run } as never;
  switch (method) {
    case "pca": {
      const r = await pca(X, options);
      return {
        method,
        coordinates: r.scores,
        params: { ...r.params, explainedVarianceRatio: Array.from(r.explainedVarianceRatio) },
        warnings: [],
      };
    }
    case "mds": {
      const r = await mds(X, options);
      return {
        method,
        coordinates: r.coordinates,
        params: { ...r.params, stress: r.stress, iterations: r.iterations },
        warnings: [],
      };
    }
    case "isomap": {
      const r = await isomap(X, options);
      return { method, coordinates: r.coordinates, params: r.params, warnings: r.warnings };
    }
    case "tsne": {
      const r = await tsne(X, options);
      return {
        method,
        coordinates: r.coordinates,
        params: { ...r.params, klDivergence: r.klDivergence, iterations: r.iterations },
        warnings: [],
      };
    }
    case "umap": {
      const r = await umap(X, options);
      return { method, coordinates: r.coordinates, params: r.params, warnings: r.warnings };
    }
    case "phate": {
      const r = await phate(X, options);
      return {
        method,
        coordinates: r.embedding,
        params: { ...r.params, nLandmarks: r.nLandmarks, stress: r.stress },
        warnings: r.warnings,
      };
    }
    case "mda": {
      const { outputs, ...rest } = params as EmbedParams["mda"];
      if (!outputs) {
        throw new HiddenAtlasError(
          "E_PARAM",
          `method "mda" needs outputs (the network's predictions, or targets) to group the samples by`,
          { parameter: "outputs" },
        );
      }
      const r = await mda(X, outputs, { ...rest, ...run });
      return {
        method,
        coordinates: r.coordinates,
        params: { ...r.params, classes: r.classes },
        warnings: r.warnings,
      };
    }
  }
  throw new HiddenAtlasError("E_PARAM", `invalid method: ${String(method)}`);
}
