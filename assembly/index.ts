// Hidden Atlas numeric core: the kernels every analysis shares.
// Built to build/core.wasm by `npm run build:core` (asconfig.json: SIMD, -O3, --converge).
// The TypeScript face of each kernel family lives in src/algo/; src/core/ loads the module.

export const CORE_VERSION = "0.1.0";

/** Version of the kernel ABI, checked by src/core/wasm.ts on load. */
export function coreVersion(): string {
  return CORE_VERSION;
}

export { alloc, free, memoryBytes, zero } from "./memory";
export {
  rngSeed,
  rngFillU32,
  rngFillUniform,
  rngFillNormal,
  rngBounded,
  rngShuffle,
  rngAdvance,
} from "./random";
export {
  squaredDistanceTile,
  dotTile,
  normalizeRows,
  finishDistances,
  pairwiseDistances,
} from "./distance";
export { knnSearch, knnScratchBytes } from "./knn";
export {
  symmetricEigen,
  fixEigenvectorSigns,
  householderSteps,
  tridiagonalEigenvalues,
  tridiagonalEigenvectors,
} from "./linalg";
export {
  columnMeans,
  covariance,
  covariancePieces,
  covarianceScratchBytes,
  covarianceChunked,
  covarianceChunkedAdd,
  covarianceFinish,
  covarianceChunkedScratchBytes,
  projectCentered,
  projectCenteredPairs,
  projectScratchBytes,
  symmetricMatvec,
} from "./stats";
export { sha256Init, sha256Update, sha256Final } from "./hash";
export * from "./nn";
export * from "./image";
export * from "./tda";
export * from "./som";
export * from "./graph";
export * from "./geodesic";
export * from "./embedlinalg";
export * from "./mds";
export * from "./tsne";
export * from "./umap";
export * from "./bsdr";
export * from "./nndescent";
export * from "./radius";
export * from "./linkage";
export * from "./cka";
export * from "./phate";
