/**
 * Every notebook that can export a report, with its parameters' defaults: the CLI's
 * `report NOTEBOOK --bundle DIR --set name=value` and the notebooks' export buttons go through
 * the same analysis and the same report builder.
 */
import { explore, exploreDefaults } from "../analyses/explore.ts";
import type { AnalysisBundle } from "../analyses/columns.ts";
import type { RunOptions } from "../core/progress.ts";
import { exploreReport, type ReportContext } from "./explore.ts";
import { somCodes, somCodesDefaults } from "../analyses/som-codes.ts";
import { somCodesReport } from "./som-codes.ts";
import { layerTopology, layerTopologyDefaults } from "../analyses/layer-topology.ts";
import { layerTopologyReport } from "./layer-topology.ts";
import type { ReportSpec } from "./report.ts";
import { mphateStudyDefaults, resolveMphateStudyParams, trainingDynamics } from "../analyses/mphate.ts";
import { mphateReport } from "./mphate.ts";
import type { MphateColorBy } from "../views/mphate.ts";
import { mapperAnalysis, mapperAnalysisDefaults, type MapperAnalysisParams } from "../analyses/mapper.ts";
import { mapperReport } from "./mapper.ts";
import type { NodeColoring } from "../views/mapper.ts";
import { mda, mdaAnalysisDefaults, type MdaAnalysisParams } from "../analyses/mda.ts";
import { mdaReport } from "./mda.ts";

export interface NotebookReport {
  /** One line: the question the notebook answers. */
  question: string;
  /** Parameter defaults; "" means "chosen from the bundle". Types drive --set parsing. */
  defaults: Record<string, string | number | boolean>;
  build(bundle: AnalysisBundle, params: Record<string, unknown>, context: ReportContext, options?: RunOptions): Promise<ReportSpec>;
}

export const NOTEBOOK_REPORTS: Record<string, NotebookReport> = {
  mda: {
    question: "What does the feature continuum of a regression network look like, layer by layer, before and after training, in MDA beside t-SNE, UMAP, PCA and Isomap?",
    defaults: { layer: "", points: 600, vectorize: mdaAnalysisDefaults.vectorize, k: mdaAnalysisDefaults.k, groups: "auto", components: mdaAnalysisDefaults.components, iterations: mdaAnalysisDefaults.iterations, perplexity: mdaAnalysisDefaults.perplexity, nNeighbors: mdaAnalysisDefaults.nNeighbors, isomapNeighbors: mdaAnalysisDefaults.isomapNeighbors, seed: mdaAnalysisDefaults.seed },
    async build(bundle, params, context, options) {
      const { layer, points, groups, ...rest } = params as { layer?: string; points?: number; groups?: string | number } & Record<string, unknown>;
      const chosen = layer || bundle.layers[bundle.layers.length - 2]?.name || bundle.layers[0].name;
      const result = await mda(bundle, { ...(rest as MdaAnalysisParams), layers: [chosen], maxPoints: points ?? 600, groups: groups === undefined || groups === "auto" ? "auto" : Number(groups) }, options);
      return mdaReport(bundle, result, { layer: chosen }, context);
    },
  },
  explore: {
    question: "What does a layer look like at a glance, and which inputs sit next to each other in it?",
    defaults: exploreDefaults,
    async build(bundle, params, context, options) {
      const result = await explore(bundle, params, options);
      return exploreReport(bundle, result, context);
    },
  },
  "layer-topology": {
    question: "How far apart are a network's layers as persistence diagrams, and how does that compare with CKA?",
    defaults: { layer: "", metric: "sliced", vectorize: layerTopologyDefaults.vectorize, samples: 500, sampling: "random", maxdim: 1, threshold: 1, normalize: "none", ckaDebiased: false, sensitivityRemove: "lowest", seed: layerTopologyDefaults.seed },
    async build(bundle, params, context, options) {
      const { layer, metric, ...rest } = params as { layer?: string; metric?: "sliced" | "bottleneck" | "wasserstein" } & Record<string, unknown>;
      const result = await layerTopology(bundle, rest, options);
      const chosen = layer || result.layers[0].name;
      return layerTopologyReport(bundle, result, { layer: chosen, metric: metric ?? "sliced" }, context);
    },
  },
  mphate: {
    question: "How do hidden units evolve over training, as one Multislice PHATE embedding of every unit at every checkpoint?",
    defaults: { colorBy: "epoch", epochStride: 1, unitStride: 1, intrasliceKnn: mphateStudyDefaults.intrasliceKnn, intersliceKnn: mphateStudyDefaults.intersliceKnn, decay: mphateStudyDefaults.decay, t: "auto", gamma: mphateStudyDefaults.gamma, nLandmark: mphateStudyDefaults.nLandmark, seed: mphateStudyDefaults.seed },
    async build(bundle, params, context, options) {
      const { colorBy, t, ...rest } = params as { colorBy?: MphateColorBy; t?: string | number } & Record<string, unknown>;
      const p = resolveMphateStudyParams({ ...rest, t: t === undefined || t === "auto" ? "auto" : Number(t) });
      const dynamics = await trainingDynamics(bundle, p, options);
      return mphateReport(bundle, { dynamics }, p, { colorBy: colorBy ?? "epoch" }, context);
    },
  },
  "som-codes": {
    question: "Onto how many patterns does each layer map its inputs, do they predict the output, what input does each code stand for, how do adversarial inputs move them?",
    defaults: { layer: "", epsilon: 0.05, vectorize: somCodesDefaults.vectorize, rows: 10, cols: 10, topology: "rect", mode: "batch", epochs: 30, seed: somCodesDefaults.seed },
    async build(bundle, params, context, options) {
      const { layer, epsilon, ...rest } = params as { layer?: string; epsilon?: number } & Record<string, unknown>;
      const result = await somCodes(bundle, rest, options);
      const epsilonIndex = Math.max(0, result.params.epsilons.indexOf(epsilon ?? 0.05));
      const chosen = layer || result.layers[result.layers.length - 1].name;
      return somCodesReport(bundle, result, { layer: chosen, epsilonIndex }, context);
    },
  },
  mapper: {
    question: "What shape does each layer give the data, and do deeper layers separate the classes into pure branches?",
    defaults: {
      layer: "", color: "label", threshold: 0, vectorize: mapperAnalysisDefaults.vectorize, lens: mapperAnalysisDefaults.lens,
      intervals: mapperAnalysisDefaults.intervals, overlap: mapperAnalysisDefaults.overlap, eps: "auto", minSamples: mapperAnalysisDefaults.minSamples, seed: mapperAnalysisDefaults.seed,
    },
    async build(bundle, params, context, options) {
      const { layer, color, threshold, eps, ...rest } = params as { layer?: string; color?: NodeColoring; threshold?: number; eps?: string | number } & Record<string, unknown>;
      const numericEps = eps === undefined || eps === "auto" ? "auto" : Number(eps);
      const result = await mapperAnalysis(bundle, { ...(rest as MapperAnalysisParams), eps: numericEps }, options);
      const chosen = layer || result.layers[result.layers.length - 1].layer;
      return mapperReport(bundle, result, { layer: chosen, color: color ?? "label", threshold: threshold ?? 0 }, context);
    },
  },
};
