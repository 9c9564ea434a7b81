/**
 * `hidden-atlas/views`: the notebooks' figure builders, `(result, options) → element`, drawn
 * with Observable Plot and d3 from the analyses' results. They need a DOM: the page's
 * `document`, or one passed as `options.document` (e.g. jsdom's, in Node). Each figure module
 * has a `defaults` object with every option's default; every figure draws its text at 12 px or
 * more and carries an aria-label saying what it shows.
 *
 * @example
 * ```ts
 * import { persistentHomology } from "hidden-atlas";
 * import { persistencePlot } from "hidden-atlas/views";
 *
 * const ph = await persistentHomology(points, { maxdim: 1 });
 * document.body.append(persistencePlot(ph.diagrams, ph.threshold));
 * ```
 *
 * @module hidden-atlas/views
 */
export {
  embeddingScatter,
  type ScatterData,
  type ScatterOptions,
  type ScatterElement,
} from "./scatter.ts";
export {
  pointScatter,
  SVG_MAX_POINTS,
  type PointScatterOptions,
  type PointScatterElement,
} from "./point-scatter.ts";
export { subsampleText, subsampleNote, type SubsampleTextOptions } from "./caption.ts";
export { claimFindings, type ClaimFindingsOptions } from "./claims.ts";
export { neighborTable, type NeighborTableOptions } from "./neighbors.ts";
export { varianceChart, type VarianceChartOptions } from "./variance.ts";
export { thumbnails, imageLayout, type Thumbnails, type ImageLayout } from "./thumbnail.ts";
export {
  barcode,
  persistencePlot,
  layerHeatmap,
  sensitivityCurves,
  linkPairs,
  type TopologyPlotOptions,
  type BarcodeOptions,
  type LayerHeatmapOptions,
  type SensitivityMeasure,
  type SelectableFigure,
  type SelectableOptions,
} from "./topology.ts";
export {
  cycleOverlay,
  cycleWalk,
  cycleTable,
  cycleCsv,
  cycleJson,
  type CycleOverlayOptions,
} from "./cycle.ts";
export { specificityChart, spreadHeatmap, scaleChart } from "./seeds.ts";
export {
  mapperGraph,
  purityChart,
  describeNode,
  layerTrio,
  type MapperGraphOptions,
  type MapperGraphElement,
  type PurityByLayer,
  type PurityChartOptions,
} from "./mapper.ts";
export {
  gridHeatmap,
  classMap,
  prototypeMosaic,
  bmuArrows,
  qeCurves,
  perturbationCurves,
  type GridPlotOptions,
  type CurvePlotOptions,
  type PerturbationMeasure,
} from "./som.ts";
export {
  mphateScatter,
  generalizationGrid,
  varianceVsMemorization,
  switchAriChart,
  type MphateScatterOptions,
} from "./mphate.ts";
export { classColors } from "./palette.ts";
