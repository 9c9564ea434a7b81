/**
 * The report of every analysis, registered against its descriptor: `hidden-atlas report`, the
 * notebooks' export buttons and `hidden-atlas run` all go through `buildReport`, so a report
 * from the command line and one exported from the browser show the same analysis. The mapped
 * type below fails to compile when an analysis has no report, or a report expects another
 * result than its analysis computes.
 */
import type { AnalysisBundle } from "../analyses/columns.ts";
import {
  parameterRows,
  resolveParams,
  type AnalysisDescriptor,
  type ParamTable,
  type Resolved,
} from "../analyses/descriptor.ts";
import { ANALYSES, type AnalysisName } from "../analyses/registry.ts";
import type { ContinualStudy, GeneralizationStudy } from "../analyses/mphate.ts";
import { exploreReport } from "./explore.ts";
import { layerTopologyReport } from "./layer-topology.ts";
import { mapperReport } from "./mapper.ts";
import { mdaReport } from "./mda.ts";
import { mphateReport } from "./mphate.ts";
import type { ReportContext, ReportSpec } from "./report.ts";
import { somCodesReport } from "./som-codes.ts";

type Descriptor<N extends AnalysisName> = (typeof ANALYSES)[N];
type ParamsOf<D> = D extends { params: infer T extends ParamTable } ? Resolved<T> : never;
type ResultOf<D> = D extends { resultType?: infer R } ? R : never;

/** A report builder: the analysis' result drawn with the view parameters among `params`. */
export type ReportBuilder<N extends AnalysisName> = (
  bundle: AnalysisBundle,
  result: ResultOf<Descriptor<N>>,
  params: ParamsOf<Descriptor<N>>,
  context: ReportContext,
) => ReportSpec;

/** Studies over other bundles that the mphate notebook adds to its report. */
export interface MphateExtraStudies {
  generalization?: GeneralizationStudy | null;
  continual?: ContinualStudy | null;
}

export const REPORTS: { [N in AnalysisName]: ReportBuilder<N> } = {
  explore: (bundle, result, _params, context) => exploreReport(bundle, result, context),
  mda: (bundle, result, params, context) =>
    mdaReport(bundle, result, { layer: params.layer }, context),
  "som-codes": (bundle, result, params, context) => {
    // The arrows are drawn for the computed ε nearest to the one asked for.
    const epsilons = result.params.epsilons;
    const epsilonIndex = epsilons.reduce(
      (best, e, i) =>
        Math.abs(e - params.epsilon) < Math.abs(epsilons[best] - params.epsilon) ? i : best,
      0,
    );
    const layer = result.layers.some((l) => l.name === params.layer)
      ? params.layer
      : result.layers[result.layers.length - 1].name;
    return somCodesReport(bundle, result, { layer, epsilonIndex }, context);
  },
  "layer-topology": (bundle, result, params, context) =>
    layerTopologyReport(
      bundle,
      result,
      {
        layer: result.layers.some((l) => l.name === params.layer)
          ? params.layer
          : result.layers[0].name,
        bar: params.bar,
        metric: params.metric,
        sensitivity: params.sensitivityMeasure,
      },
      context,
    ),
  mapper: (bundle, result, params, context) =>
    mapperReport(
      bundle,
      result,
      {
        layer: result.layers.some((l) => l.layer === params.layer)
          ? params.layer
          : result.layers[result.layers.length - 1].layer,
        color: params.color,
        minJaccard: params.minJaccard,
      },
      context,
    ),
  mphate: (bundle, result, params, context) => {
    const extra = result as typeof result & MphateExtraStudies;
    return mphateReport(
      bundle,
      {
        dynamics: result.dynamics,
        baselines: result.baselines,
        generalization: extra.generalization,
        continual: extra.continual,
      },
      params,
      { colorBy: params.colorBy },
      context,
    );
  },
};

/**
 * The report of `name` for a result and resolved parameters. Its parameter table lists every
 * declared parameter (what the report builder says of a value — e.g. what "auto" became — wins).
 */
export function buildReport<N extends AnalysisName>(
  name: N,
  bundle: AnalysisBundle,
  result: ResultOf<Descriptor<N>>,
  params: ParamsOf<Descriptor<N>>,
  context: ReportContext,
): ReportSpec {
  const spec = (REPORTS[name] as ReportBuilder<N>)(bundle, result, params, context);
  const descriptor = ANALYSES[name] as unknown as AnalysisDescriptor<ParamTable, unknown>;
  return {
    ...spec,
    title: spec.title || descriptor.title,
    parameters: {
      ...parameterRows(descriptor, params as Record<string, unknown>),
      ...spec.parameters,
    },
  };
}

/**
 * The report of `name` from parameters as a notebook has them (any subset; the rest take their
 * defaults through the same resolver as the command line).
 */
export function analysisReport(
  name: AnalysisName,
  bundle: AnalysisBundle,
  result: unknown,
  given: Record<string, unknown>,
  context: ReportContext,
): ReportSpec {
  const descriptor = ANALYSES[name] as unknown as AnalysisDescriptor<ParamTable, unknown>;
  return buildReport(
    name,
    bundle,
    result as never,
    resolveParams(descriptor, bundle, given) as never,
    context,
  );
}
