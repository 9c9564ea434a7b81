/**
 * Every analysis by its notebook's name. The worker's tasks, `hidden-atlas report` / `run`, the
 * gallery and the notebooks' controls are generated from this table; the report builders are
 * registered against it in src/report/registry.ts with a compile-time check.
 */
import { HiddenAtlasError } from "../core/errors.ts";
import { exploreDescriptor } from "./explore.ts";
import { layerTopologyDescriptor } from "./layer-topology.ts";
import { mapperDescriptor } from "./mapper.ts";
import { mdaDescriptor } from "./mda.ts";
import { mphateDescriptor } from "./mphate.ts";
import { somCodesDescriptor } from "./som-codes.ts";

/** In the gallery's reading order. */
export const ANALYSES = {
  explore: exploreDescriptor,
  mda: mdaDescriptor,
  "som-codes": somCodesDescriptor,
  "layer-topology": layerTopologyDescriptor,
  mapper: mapperDescriptor,
  mphate: mphateDescriptor,
} as const;

export type AnalysisName = keyof typeof ANALYSES;
export const ANALYSIS_NAMES = Object.keys(ANALYSES) as AnalysisName[];

/** The descriptor of a name given by a user (E_PARAM naming the known ones otherwise). */
export function analysisNamed(name: string): (typeof ANALYSES)[AnalysisName] {
  if (!Object.hasOwn(ANALYSES, name)) {
    throw new HiddenAtlasError(
      "E_PARAM",
      `unknown analysis ${JSON.stringify(name)} (known: ${ANALYSIS_NAMES.join(", ")})`,
      { parameter: "analysis" },
    );
  }
  return ANALYSES[name as AnalysisName];
}
