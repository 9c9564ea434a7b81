/**
 * Everything a notebook cell needs, in one import:
 *
 *   import * as atlas from "../src/notebook.ts";
 *
 * Notebooks call analyses (through the worker) and views; they never call kernels directly.
 */
export { createBrowserClient } from "./worker/browser.ts";
export type { AnalysisClient } from "./worker/client.ts";
export {
  datasetPicker,
  openDataset,
  loadDataset,
  datasetParam,
  type DatasetChoice,
} from "./ui/dataset-picker.ts";
export { storeBundle, listStoredBundles, STORED_BUNDLES_KEPT } from "./ui/stored-bundles.ts";
export { workspace } from "./ui/workspace.ts";
export {
  configureThreads,
  threadsControl,
  describeThreads,
  type ThreadSettings,
} from "./ui/threads.ts";
export { run, never, until, superseded } from "./ui/run.ts";
export { dataTable, glossaryTerm } from "./ui/table.ts";
export { GLOSSARY, glossaryEntry } from "./ui/glossary.ts";
export { described, keyboardNodes, linkHover } from "./ui/accessible.ts";
export {
  EXAMPLES,
  exampleUrl,
  examplesNamed,
  GENERALIZATION_VARIANTS,
  GENERALIZATION_SEEDS,
  generalizationExampleName,
} from "./ui/examples.ts";
export { urlParam, writeUrlParams } from "./ui/url-state.ts";
export { progressBar } from "./ui/progress.ts";
export { exportButton, finalSha256 } from "./ui/export-button.ts";
export { signalFrom } from "./ui/signal.ts";
export { embeddingScatter } from "./views/scatter.ts";
export { pointScatter, SVG_MAX_POINTS } from "./views/point-scatter.ts";
export { subsampleText, subsampleNote } from "./views/caption.ts";
export { keepQuantitiesWhole } from "./views/text.ts";
export { claimFindings } from "./views/claims.ts";
export { neighborTable } from "./views/neighbors.ts";
export { varianceChart } from "./views/variance.ts";
export { thumbnails } from "./views/thumbnail.ts";
export {
  COLOR_BY,
  hasConvLayers,
  sampleColumn,
  describeSample,
  defaultColorBy,
  formatNumber,
} from "./analyses/columns.ts";
export type { ExploreProjection, ExploreNeighbors } from "./analyses/explore.ts";
export { ANALYSES, ANALYSIS_NAMES } from "./analyses/registry.ts";
export { defaultsUnder } from "./analyses/descriptor.ts";
export { bindControl, control, initialValue, urlValue, urlValues } from "./ui/controls.ts";
export { analysisReport, buildReport } from "./report/registry.ts";
export { exploreReport, pcaAxisLabels } from "./report/explore.ts";
export {
  bundleCardReport,
  bundleDescription,
  layersTable,
  performanceTable,
} from "./report/bundle-card.ts";
export { HiddenAtlasError } from "./core/errors.ts";
export { RECIPES } from "./examples/index.ts";
export { sha256Hex } from "./core/hash.ts";
export { readNpy } from "./io/npy.ts";
export { downloadLink } from "./views/download.ts";
export {
  gridHeatmap,
  classMap,
  prototypeMosaic,
  bmuArrows,
  qeCurves,
  perturbationCurves,
} from "./views/som.ts";
export {
  somCodesReport,
  somClaimFindings,
  somSeedTable,
  layerMetricsTable,
  perturbationTable,
  somCodesFindings,
  SOM_CODES_CLAIMS,
} from "./report/som-codes.ts";
export { imageLayout } from "./views/thumbnail.ts";
export { analysisBundle } from "./ui/bundle-transfer.ts";
export { NODE_COLORINGS } from "./analyses/mapper.ts";
export {
  mapperGraph,
  purityChart,
  describeNode,
  featureImage,
  seedPurityChart,
} from "./views/mapper.ts";
export {
  mapperReport,
  mapperFindings,
  purityRows,
  layerSummaryTable,
  nodeClassTable,
  MAPPER_CLAIMS,
  MAPPER_CLAIM,
  mapperSeedFindings,
  seedPurityTable,
} from "./report/mapper.ts";
export { LAYER_DISTANCE_METRICS, cycleRows, longestBar } from "./analyses/layer-topology.ts";
export {
  barcode,
  persistencePlot,
  layerHeatmap,
  sensitivityCurves,
  linkPairs,
} from "./views/topology.ts";
export { cycleOverlay, cycleCsv, cycleJson } from "./views/cycle.ts";
export {
  layerTopologyReport,
  pointCloudText,
  cycleTable,
  shownBar,
  seedStudyFindings,
  specificityTable,
  spreadTable,
  scaleTable,
  layerTable,
  matrixTable,
  sensitivityTable,
  LAYER_TOPOLOGY_CLAIMS,
  METRIC_LABELS,
} from "./report/layer-topology.ts";
export { specificityChart, spreadHeatmap, scaleChart } from "./views/seeds.ts";
export { MDA_METHODS } from "./analyses/mda.ts";
export {
  mdaReport,
  mdaClaimFindings,
  seedSpreadTable,
  correlationTable,
  continuityTable,
  mdaFindings,
  colorColumn,
  METHOD_LABELS,
  MDA_CLAIMS,
} from "./report/mda.ts";
export { MPHATE_COLOR_BY, poolGeneralization } from "./analyses/mphate.ts";
export {
  mphateScatter,
  generalizationGrid,
  varianceVsMemorization,
  switchAriChart,
} from "./views/mphate.ts";
export {
  mphateReport,
  dynamicsFindings,
  generalizationFindings,
  generalizationHeadline,
  generalizationVerdict,
  claimChecks,
  claimTable,
  generalizationVariantTable,
  continualFindings,
  generalizationTable,
  continualTable,
  baselineTable,
  baselineText,
  intersliceKnnText,
  MPHATE_CLAIMS,
} from "./report/mphate.ts";
