/**
 * Hidden Atlas: the shape of what a neural network has learned, as a TypeScript API.
 *
 * Every algorithm takes a row-major matrix `{rows, cols, data: Float32Array}` (one row per
 * sample) and an options object whose defaults are the reference implementation's, and returns
 * a plain object of typed arrays and numbers. The work runs in a SIMD WebAssembly core that
 * loads itself on first use — in Node from the package's `build/core.wasm`, in a browser from
 * the URL your bundler gives that file (see {@link setCoreSource} for hosts that do not copy
 * it). Every stochastic call takes a `seed`: the same input and seed give bit-identical output
 * in Node and in every browser. Bad input throws a {@link HiddenAtlasError} with a stable
 * `code` and a message naming the parameter, field or file.
 *
 * The analyses ({@link layerTopology}, {@link mapperAnalysis}, {@link mdaAnalysis},
 * {@link somCodes}, {@link trainingDynamics}, …) take an activation bundle (see
 * {@link loadBundle}) and return what the notebooks draw. Reading bundles from folders and
 * files on disk is in `hidden-atlas/node`; the figure builders are in `hidden-atlas/views`.
 *
 * @example
 * ```ts
 * import { persistentHomology, umap } from "hidden-atlas";
 *
 * // 100 points on a circle: one long-lived loop in degree 1.
 * const n = 100, data = new Float32Array(2 * n);
 * for (let i = 0; i < n; i++) {
 *   data[2 * i] = Math.cos((2 * Math.PI * i) / n);
 *   data[2 * i + 1] = Math.sin((2 * Math.PI * i) / n);
 * }
 * const circle = { rows: n, cols: 2, data };
 * const { diagrams } = await persistentHomology(circle, { maxdim: 1 });
 * diagrams[1].deaths[0] - diagrams[1].births[0]; // ≈ 1.7: the loop
 *
 * const { coordinates } = await umap(circle, { nNeighbors: 10, seed: 42 });
 * coordinates.rows; // 100 points in 2-D
 * ```
 *
 * @module hidden-atlas
 */

// Errors, matrices, the core
export {
  HiddenAtlasError,
  isHiddenAtlasError,
  ERROR_CODES,
  type ErrorCode,
} from "./core/errors.ts";
export { matrix, fromRows, row, takeRows, type Matrix } from "./core/matrix.ts";
export { DEFAULT_SEED } from "./core/random.ts";
export type { ProgressEvent, RunOptions } from "./core/progress.ts";
export {
  loadCore,
  setCoreSource,
  type CoreSource,
  type Core,
  type CoreKernels,
  type Scope,
  type Resident,
  type WasmArray,
} from "./core/wasm.ts";
export {
  setThreads,
  threadSetting,
  threadStatus,
  availableCores,
  MAX_THREADS,
} from "./core/threads.ts";
export { sha256Hex } from "./core/hash.ts";
export { VERSION } from "./version.ts";

// Reading and writing data
export { readNpy, readNpyHeader, writeNpy, type NpyHeader } from "./io/npy.ts";
export type { ElementType, ElementKind } from "./io/dtype.ts";
export { readNpz, writeNpz } from "./io/npz.ts";
export { readSafetensors, writeSafetensors, type Safetensors } from "./io/safetensors.ts";
export { readCsv, writeCsv, type CsvOptions, type CsvTable } from "./io/csv.ts";
export { readIdx } from "./io/idx.ts";
export {
  toFloat32,
  toMatrix,
  type NdArray,
  type NdArrayLike,
  type TypedArray,
} from "./io/ndarray.ts";
export {
  loadBundle,
  type Bundle,
  type Layer,
  type Checkpoint,
  type LoadBundleOptions,
} from "./io/bundle.ts";
export {
  openBundle,
  bundleSha256,
  DEFER_DIGEST_ABOVE_BYTES,
  type HashedBundle,
  type OpenBundleOptions,
} from "./io/digest.ts";
export {
  memorySource,
  zipSource,
  npzSource,
  urlSource,
  fileListSource,
  sourceFromFiles,
  type BundleSource,
  type FileLike,
} from "./io/sources.ts";
export { encodeBundle, zipBundle, type BundleInput, type LayerInput } from "./io/bundle-write.ts";
export {
  parseManifest,
  BUNDLE_FORMAT,
  MANIFEST_FILE,
  type Manifest,
  type LayerEntry,
  type ModelEntry,
  type CheckpointEntry,
  type Task,
  type LayerKind,
} from "./io/manifest.ts";
export {
  layerMatrix,
  isConvLayer,
  VECTORIZATIONS,
  type Vectorization,
  type LayerData,
  type VectorizeOptions,
} from "./algo/vectorize.ts";

// Distances, neighbours, graphs
export { pairwiseDistances, METRICS, type Metric, type DistanceOptions } from "./algo/distance.ts";
export { knn, knnQuery, KnnIndex, type KnnOptions, type KnnResult } from "./algo/knn.ts";
export { radiusPairs, type RadiusPairs, type RadiusPairsOptions } from "./algo/radius.ts";
export {
  nnDescent,
  knnRecall,
  type NnDescentOptions,
  type NnDescentResult,
} from "./algo/nndescent.ts";
export {
  knnGraph,
  connectedComponents,
  type SparseGraph,
  type KnnGraphOptions,
} from "./algo/graph.ts";
export { geodesicDistances, type GeodesicOptions, type GeodesicResult } from "./algo/geodesic.ts";
export {
  subsample,
  SUBSAMPLE_METHODS,
  type SubsampleMethod,
  type SubsampleOptions,
  type SubsampleResult,
} from "./algo/subsample.ts";

// Embeddings
export { pca, type PcaOptions, type PcaResult } from "./algo/pca.ts";
export {
  mds,
  classicalMds,
  smacof,
  type ClassicalMdsOptions,
  type ClassicalMdsResult,
  type SmacofOptions,
  type SmacofResult,
} from "./algo/mds.ts";
export { isomap, type IsomapOptions, type IsomapResult } from "./algo/isomap.ts";
export { tsne, type TsneOptions, type TsneResult } from "./algo/tsne.ts";
export {
  umap,
  fuzzySimplicialSet,
  type UmapOptions,
  type UmapResult,
  type FuzzySimplicialSet,
} from "./algo/umap.ts";
export {
  phate,
  phateDefaults,
  type PhateOptions,
  type PhateParams,
  type PhateResult,
  type Affinity,
} from "./algo/phate.ts";
export {
  mphate,
  mphateDefaults,
  multisliceAffinity,
  type UnitTensor,
  type MphateOptions,
  type MphateResult,
  type MultisliceOptions,
  type MultisliceAffinity,
} from "./algo/mphate.ts";
export {
  mda,
  discoverManifold,
  bayesianSdr,
  MANIFOLD_MODES,
  type MdaOptions,
  type MdaResult,
  type DiscoverManifoldOptions,
  type OutputManifold,
  type ManifoldMode,
  type BayesianSdrOptions,
  type BayesianSdrResult,
} from "./algo/mda.ts";
export {
  embed,
  EMBED_METHODS,
  type EmbedMethod,
  type EmbedParams,
  type EmbedResult,
} from "./algo/embed.ts";

// Self-organising maps
export {
  som,
  somProject,
  uMatrix,
  hitMap,
  labelCounts,
  componentPlane,
  type SomOptions,
  type SomResult,
  type SomProjection,
  type TopographicError,
} from "./algo/som.ts";

// Topology: persistence, diagram distances, Mapper
export {
  persistentHomology,
  type PersistenceDiagram,
  type PersistentHomologyOptions,
  type PersistentHomologyResult,
  type PersistentHomologyDegreeStats,
} from "./algo/rips.ts";
export {
  bottleneck,
  wasserstein,
  slicedWasserstein,
  type DiagramLike,
  type InfinitePolicy,
  type GroundMetric,
  type InfiniteOptions,
  type BottleneckResult,
  type WassersteinOptions,
  type WassersteinResult,
  type SlicedWassersteinOptions,
  type SlicedWassersteinResult,
} from "./algo/diagrams.ts";
export {
  mapper,
  mapperDefaults,
  MapperSpace,
  LENSES,
  CLUSTERERS,
  type MapperParams,
  type ResolvedMapperParams,
  type MapperGraph,
  type MapperNode,
  type MapperElement,
  type LensName,
  type Clusterer,
  type CustomLens,
} from "./algo/mapper/mapper.ts";
export type { MapperLink } from "./algo/mapper/nerve.ts";
export type { Neighborhoods, EpsilonGraph, SpanningTree } from "./algo/mapper/neighborhoods.ts";
export {
  nodeComposition,
  graphPurity,
  nodeMeans,
  topClasses,
  type GraphPurity,
} from "./algo/mapper/statistics.ts";

// Comparing representations, clusters and layouts
export {
  linearCka,
  ckaMatrix,
  type CkaOptions,
  type CkaResult,
  type CkaMatrixResult,
} from "./algo/cka.ts";
export {
  kMeans,
  adjustedRandIndex,
  type KMeansOptions,
  type KMeansResult,
} from "./algo/clustering.ts";
export {
  entropy,
  mutualInformation,
  normalizedMutualInformation,
  purity,
} from "./algo/information.ts";
export {
  trustworthiness,
  continuity,
  geodesicCorrelation,
  knnAccuracy,
  pearson,
  spearman,
  type NeighborhoodOptions,
  type GeodesicCorrelationOptions,
  type GeodesicCorrelation,
  type KnnAccuracyOptions,
  type KnnAccuracy,
} from "./algo/metrics.ts";

// Training small networks (the example recipes' trainer)
export {
  Network,
  Trainer,
  TrainingData,
  resolveNetwork,
  fgsm,
  signNoise,
  type Loss,
  type ActivityPenalty,
  type TrainerOptions,
  type EpochResult,
  type LayerSpec,
  type NetworkSpec,
  type ResolvedLayer,
  type PerturbOptions,
} from "./algo/nn/index.ts";

// Analyses: one per notebook, described once (parameters, steps), run as (bundle, params, options) → result
export { ANALYSES, ANALYSIS_NAMES, analysisNamed, type AnalysisName } from "./analyses/registry.ts";
export {
  defineAnalysis,
  resolveParams,
  defaults as analysisDefaults,
  cliName,
  type AnalysisDescriptor,
  type SomeAnalysis,
  type ParamSpec,
  type ParamTable,
  type Resolved,
  type StepSpec,
  type StepContext,
  type StepArgs,
} from "./analyses/descriptor.ts";
export { AnalysisRunner, runAnalysis, type RunnerOptions } from "./analyses/runner.ts";
export {
  sampleColumn,
  classNamesOf,
  COLOR_BY,
  type AnalysisBundle,
  type ColorBy,
  type SampleColumn,
} from "./analyses/columns.ts";
export {
  exploreAnalysis,
  exploreDescriptor,
  type ExploreParams,
  type ResolvedExploreParams,
  type ExploreResult,
  type ExploreProjection,
  type ExploreNeighbors,
} from "./analyses/explore.ts";
export {
  layerTopology,
  layerTopologyDescriptor,
  seedStudy,
  LAYER_DISTANCE_METRICS,
  type SeedStudy,
  type LayerTopologyParams,
  type LayerTopologyResult,
  type LayerDistanceMetric,
  type LayerDiagrams,
  type SensitivityCurve,
} from "./analyses/layer-topology.ts";
export {
  mapperAnalysis,
  mapperDescriptor,
  NODE_COLORINGS,
  type NodeColoring,
  MAPPER_LENSES,
  COLUMN_LENSES,
  type MapperAnalysisParams,
  type MapperAnalysisResult,
  type MapperLayerResult,
  type MapperNodeSummary,
  type MapperLensChoice,
} from "./analyses/mapper.ts";
export {
  mdaAnalysis,
  mdaDescriptor,
  type MdaParams,
  MDA_METHODS,
  MDA_STAGES,
  type MdaAnalysisParams,
  type MdaAnalysisResult,
  type MdaMethod,
  type MdaPanel,
  type MdaColor,
  type MdaStage,
} from "./analyses/mda.ts";
export {
  somCodes,
  somCodesDescriptor,
  type SomCodesParams,
  type SomCodesResult,
  type LayerCodes,
  type PerturbationEffect,
  type AdversarialStudy,
} from "./analyses/som-codes.ts";
export {
  trainingDynamics,
  generalizationStudy,
  continualStudy,
  baselineStudy,
  visualizationVariance,
  tensorFromBundle,
  mphateStudyDefaults,
  mphateAnalysis,
  mphateDescriptor,
  MPHATE_COLOR_BY,
  type MphateColorBy,
  type MphateParams,
  type MphateAnalysisResult,
  type MphateStudyParams,
  type ResolvedMphateStudyParams,
  type DynamicsEmbedding,
  type BundleTensor,
  type GeneralizationStudy,
  type GeneralizationRun,
  type ContinualStudy,
  type ContinualRun,
  type TaskSwitch,
  type BaselineStudy,
  type BaselineScore,
} from "./analyses/mphate.ts";
