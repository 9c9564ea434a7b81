/**
 * The `layer-topology` analysis: Purvine et al., "Experimental observations of the topology of
 * convolutional neural network activations", AAAI 2023 (arXiv 2212.00222), as described in
 * specs/tda.md §1.
 *
 * Each layer becomes a point cloud (one vector per sample: the top-ℓ2 spatial vector of conv
 * maps by default, the paper's choice; dense layers as they are), the same subsample of samples
 * in every layer (the paper: 1,000 test images). For each layer: Vietoris–Rips persistence
 * diagrams H0 … maxdim (ripser.py defaults: Euclidean, Z/2, enclosing-radius threshold). Between
 * layers: the sliced Wasserstein distance of the H1 diagrams (persim, M = 50: the paper's
 * metric), with bottleneck and Wasserstein W1 (L∞ ground metric) as alternatives, and linear CKA
 * of the same point clouds (Kornblith et al. 2019) for comparison. The sensitivity test (after
 * Ding, Denain & Steinhardt, NeurIPS 2021; spec §1.3): project a layer on its top c − k
 * uncentred singular directions (removing the k least significant), recompute the diagram and
 * measure its distance to the original; CKA between the original and the projection is
 * reported beside it.
 *
 * Our choices, not the paper's, named in the result: `normalize` (default "none", as the paper;
 * "rms" divides each layer by its RMS distance to its mean so that layers of different scale
 * compare), `threshold` as a fraction of each layer's enclosing radius (1 = the enclosing
 * radius, ripser.py's default), the removal fractions of the sensitivity test.
 */
import { ckaMatrix, linearCka } from "../algo/cka.ts";
import { bottleneck, slicedWasserstein, wasserstein, type InfinitePolicy } from "../algo/diagrams.ts";
import { pca } from "../algo/pca.ts";
import { persistentHomology, type PersistenceDiagram, type PersistentHomologyResult } from "../algo/rips.ts";
import { subsample, takeRows, type SubsampleMethod } from "../algo/subsample.ts";
import { layerMatrix, VECTORIZATIONS, type Vectorization } from "../algo/vectorize.ts";
import { HiddenAtlasError } from "../core/errors.ts";
import { rmsDistanceToMean, type Matrix } from "../core/matrix.ts";
import { checkBoolean, checkInteger, checkKeyword, checkNumber, checkOptionNames } from "../core/params.ts";
import { throwIfAborted, type ProgressEvent, type RunOptions } from "../core/progress.ts";
import { DEFAULT_SEED, checkSeed } from "../core/random.ts";
import type { AnalysisBundle } from "./columns.ts";

/** Relative error at which the W1 auction stops (proven bound; Hera's default is 0.01). */
const WASSERSTEIN_RELATIVE_ERROR = 1e-3;

export const LAYER_DISTANCE_METRICS = ["sliced", "bottleneck", "wasserstein"] as const;
export type LayerDistanceMetric = (typeof LAYER_DISTANCE_METRICS)[number];

export interface LayerTopologyParams {
  /** Layers, in order; defaults to every layer of the bundle. */
  layers?: string[];
  /** How conv maps become vectors. Default "top-l2" (Purvine et al.'s PH point clouds). */
  vectorize?: Vectorization;
  /** Samples per point cloud (the same rows in every layer). Default 1,000 (the paper), capped at the bundle's size. */
  samples?: number;
  /** How the samples are chosen: "random" (default; the paper's one shuffled batch) or "farthest" (greedy, from the first layer's cloud). */
  sampling?: SubsampleMethod;
  /** Highest homology degree. Default 1 (ripser.py maxdim=1). */
  maxdim?: number;
  /** Rips threshold as a fraction of each layer's enclosing radius, (0, 1]. Default 1 (ripser.py: the enclosing radius). */
  threshold?: number;
  /** "none" (default, the paper) or "rms": divide each layer by its RMS distance to its mean. */
  normalize?: "none" | "rms";
  /** Degree whose diagrams are compared between layers. Default 1 (the paper: H1 only). */
  distanceDim?: number;
  /** Debiased CKA (Song et al. 2012 HSIC) instead of the plain estimator. Default false. */
  ckaDebiased?: boolean;
  /** Fractions of each layer's dimensions removed in the sensitivity test; [] skips it. Default [0.25, 0.5, 0.75]. */
  sensitivityFractions?: number[];
  /** Which singular directions the sensitivity test removes: "lowest" (default, Ding et al.; spec §1.3) or "highest". */
  sensitivityRemove?: "lowest" | "highest";
  /** Seed of the vectorisation ("random") and the sampling. Default 42. */
  seed?: number;
}

export const layerTopologyDefaults = {
  layers: [] as string[],
  vectorize: "top-l2" as Vectorization,
  samples: 1000,
  sampling: "random" as SubsampleMethod,
  maxdim: 1,
  threshold: 1,
  normalize: "none" as "none" | "rms",
  distanceDim: 1,
  ckaDebiased: false,
  sensitivityFractions: [0.25, 0.5, 0.75],
  sensitivityRemove: "lowest" as "lowest" | "highest",
  seed: DEFAULT_SEED,
};

export type ResolvedLayerTopologyParams = typeof layerTopologyDefaults;

export interface LayerDiagrams {
  name: string;
  /** Vector length after vectorisation. */
  dimension: number;
  /** The factor the vectors were divided by (1 unless normalize is "rms"). */
  scale: number;
  enclosingRadius: number;
  /** The Rips threshold used (threshold × enclosingRadius). */
  threshold: number;
  diagrams: PersistenceDiagram[];
  /** Edges within the threshold, and after the edge collapse. */
  edges: number;
  edgesAfterCollapse: number | null;
}

export interface SensitivityCurve {
  name: string;
  /** Directions removed at each fraction. */
  removed: number[];
  /** Sliced Wasserstein / bottleneck distance of the projected cloud's diagram to the original's (degree distanceDim). */
  sliced: number[];
  bottleneck: number[];
  /** Linear CKA between the original cloud and its projection. */
  cka: number[];
}

export interface LayerTopologyResult {
  layers: LayerDiagrams[];
  /** Rows of the bundle used, in the order of the point clouds. */
  sample: Int32Array;
  /** Layer × layer distance matrices (row-major) between the degree-distanceDim diagrams. */
  distances: Record<LayerDistanceMetric, Float64Array>;
  /** Largest proven relative error of the Wasserstein entries (auction; Hera's default bound is 0.01). */
  wassersteinErrorBound: number;
  /** The infinite-point policy applied before every distance: "cap" at each layer's Rips threshold. */
  infinite: InfinitePolicy;
  /** Layer × layer linear CKA of the point clouds. */
  cka: Float64Array;
  sensitivity: { fractions: number[]; remove: "lowest" | "highest"; layers: SensitivityCurve[] } | null;
  params: ResolvedLayerTopologyParams;
}

export function resolveLayerTopologyParams(bundle: AnalysisBundle, params: LayerTopologyParams = {}): ResolvedLayerTopologyParams {
  checkOptionNames("layerTopology", params, layerTopologyDefaults, []);
  const names = bundle.layers.map((l) => l.name);
  const layers = params.layers && params.layers.length ? [...params.layers] : names;
  for (const name of layers) {
    if (!names.includes(name)) throw new HiddenAtlasError("E_PARAM", `invalid layers: ${JSON.stringify(name)} (expected some of ${names.join(", ")})`, { parameter: "layers" });
  }
  if (layers.length < 1) throw new HiddenAtlasError("E_PARAM", `${bundle.name} has no layers`);
  const maxdim = checkInteger("maxdim", params.maxdim ?? layerTopologyDefaults.maxdim, 0, 2);
  const fractions = params.sensitivityFractions ?? layerTopologyDefaults.sensitivityFractions;
  if (!Array.isArray(fractions)) throw new HiddenAtlasError("E_PARAM", `invalid sensitivityFractions: ${String(fractions)} (expected an array of numbers in (0, 1))`);
  fractions.forEach((f, i) => checkNumber(`sensitivityFractions[${i}]`, f, 0, 1, { exclusiveMin: true, exclusiveMax: true }));
  const samples = checkInteger("samples", params.samples ?? layerTopologyDefaults.samples, 3);
  return {
    layers,
    vectorize: checkKeyword("vectorize", params.vectorize ?? layerTopologyDefaults.vectorize, VECTORIZATIONS),
    samples: Math.min(samples, bundle.samples),
    sampling: checkKeyword("sampling", params.sampling ?? layerTopologyDefaults.sampling, ["random", "farthest"] as const),
    maxdim,
    threshold: checkNumber("threshold", params.threshold ?? layerTopologyDefaults.threshold, 0, 1, { exclusiveMin: true }),
    normalize: checkKeyword("normalize", params.normalize ?? layerTopologyDefaults.normalize, ["none", "rms"] as const),
    distanceDim: checkInteger("distanceDim", params.distanceDim ?? layerTopologyDefaults.distanceDim, 0, maxdim),
    ckaDebiased: checkBoolean("ckaDebiased", params.ckaDebiased ?? layerTopologyDefaults.ckaDebiased),
    sensitivityFractions: [...fractions],
    sensitivityRemove: checkKeyword("sensitivityRemove", params.sensitivityRemove ?? layerTopologyDefaults.sensitivityRemove, ["lowest", "highest"] as const),
    seed: checkSeed(params.seed ?? layerTopologyDefaults.seed),
  };
}

/**
 * Progress over the whole analysis: every inner stage is reported as "layer: stage" with the
 * overall fraction of units done (one unit per persistence computation).
 */
function progressOver(options: RunOptions, units: number) {
  let done = 0;
  const report = (stage: string, fraction: number) =>
    options.onProgress?.({ stage, done: Math.min(units, done + fraction), total: units });
  return {
    inner(label: string): RunOptions {
      return {
        signal: options.signal,
        onProgress: (event: ProgressEvent) => report(`${label}: ${event.stage}`, event.total > 0 ? event.done / event.total / 4 : 0),
      };
    },
    advance(label: string) {
      done += 1;
      report(label, 0);
      throwIfAborted(options.signal);
    },
  };
}

/**
 * One degree of a layer's diagrams with essential classes (death ∞: H0's oldest component, or
 * any class alive at a threshold below the enclosing radius) capped at the layer's threshold,
 * so that every distance sees the same finite diagram (spec §6.1: an explicit policy).
 */
function degree(layer: { diagrams: PersistenceDiagram[]; threshold: number }, dim: number): PersistenceDiagram {
  const d = layer.diagrams[dim];
  return { dim, births: d.births, deaths: d.deaths.map((v) => (v === Infinity ? layer.threshold : v)) };
}

/** Layer × layer distances between the chosen degree's diagrams, by all three metrics. */
async function layerDistances(layers: LayerDiagrams[], dim: number, options: RunOptions): Promise<{ matrices: Record<LayerDistanceMetric, Float64Array>; bound: number }> {
  const L = layers.length;
  const out = { sliced: new Float64Array(L * L), bottleneck: new Float64Array(L * L), wasserstein: new Float64Array(L * L) };
  let bound = 0;
  for (let i = 0; i < L; i++) {
    for (let j = i + 1; j < L; j++) {
      throwIfAborted(options.signal);
      const a = degree(layers[i], dim);
      const b = degree(layers[j], dim);
      // W1 by the auction (Hera's method): the exact Hungarian method takes seconds per pair
      // of 1,000-point diagrams; the auction stops at a proven relative error.
      const w1 = await wasserstein(a, b, { q: 1, ground: "inf", method: "auction", relativeError: WASSERSTEIN_RELATIVE_ERROR, signal: options.signal });
      bound = Math.max(bound, w1.relativeErrorBound);
      const values = {
        sliced: (await slicedWasserstein(a, b)).distance,
        bottleneck: (await bottleneck(a, b)).distance,
        wasserstein: w1.distance,
      };
      for (const metric of LAYER_DISTANCE_METRICS) {
        out[metric][i * L + j] = values[metric];
        out[metric][j * L + i] = values[metric];
      }
    }
  }
  return { matrices: out, bound };
}

/** The parts of a persistence result the analysis keeps. */
type CachedDiagrams = Pick<PersistentHomologyResult, "diagrams" | "threshold" | "enclosingRadius"> & { stats: Pick<PersistentHomologyResult["stats"], "edges" | "edgesAfterCollapse"> };

/**
 * Diagrams already computed for a bundle, keyed by everything that determines them, so that a
 * notebook control that does not change a cloud (CKA estimator, metric, the sensitivity side)
 * does not recompute its persistence. At most DIAGRAM_CACHE_SIZE entries per bundle, oldest
 * dropped first; a bundle no longer referenced takes its entries with it.
 */
const diagramCaches = new WeakMap<AnalysisBundle, Map<string, CachedDiagrams>>();
/** Diagrams kept per bundle (each a few tens of kB at 1,000 points). */
const DIAGRAM_CACHE_SIZE = 256;

function cacheFor(bundle: AnalysisBundle): Map<string, CachedDiagrams> {
  let cache = diagramCaches.get(bundle);
  if (!cache) diagramCaches.set(bundle, (cache = new Map()));
  return cache;
}

/**
 * A copy with its own buffers. The cache keeps copies and hands out copies: a result's typed
 * arrays may be transferred (detached) when the worker posts it, or changed by the caller.
 */
function copied(value: CachedDiagrams): CachedDiagrams {
  return {
    diagrams: value.diagrams.map((d) => ({ dim: d.dim, births: d.births.slice(), deaths: d.deaths.slice() })),
    threshold: value.threshold,
    enclosingRadius: value.enclosingRadius,
    stats: { edges: value.stats.edges, edgesAfterCollapse: value.stats.edgesAfterCollapse },
  };
}

/** The cached diagrams for `key` (a copy), or compute them and keep a copy. */
async function cached(cache: Map<string, CachedDiagrams>, key: string, compute: () => Promise<CachedDiagrams>): Promise<CachedDiagrams> {
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key); // most recently used last
    cache.set(key, hit);
    return copied(hit);
  }
  const value = await compute();
  cache.set(key, copied(value));
  while (cache.size > DIAGRAM_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return value;
}

/**
 * Persistence diagrams of every layer, distances between layers, CKA, and the sensitivity test.
 * Progress is reported per persistence computation; `signal` cancels between and inside them.
 */
export async function layerTopology(bundle: AnalysisBundle, params: LayerTopologyParams = {}, options: RunOptions = {}): Promise<LayerTopologyResult> {
  const p = resolveLayerTopologyParams(bundle, params);
  const sensitivityRuns = p.sensitivityFractions.length * p.layers.length;
  const progress = progressOver(options, p.layers.length + sensitivityRuns + 1);

  // The same samples in every layer.
  const vectors: Matrix[] = [];
  for (const name of p.layers) {
    const layer = bundle.layers.find((l) => l.name === name)!;
    vectors.push(await layerMatrix(layer, { method: p.vectorize, seed: p.seed }));
  }
  let sample: Int32Array;
  if (p.samples >= bundle.samples) sample = Int32Array.from({ length: bundle.samples }, (_, i) => i);
  else if (p.sampling === "farthest") sample = (await subsample(vectors[0], { size: p.samples, method: "farthest", ...progress.inner("sampling") })).indices;
  else sample = (await subsample(vectors[0], { size: p.samples, method: "random", seed: p.seed })).indices;

  const clouds: Matrix[] = [];
  const layers: LayerDiagrams[] = [];
  const cache = cacheFor(bundle);
  // Everything that fixes a layer's cloud and its filtration (the sample depends on the first
  // layer only through farthest-point sampling).
  const cloudKey = (name: string) => JSON.stringify([name, p.vectorize, p.seed, p.samples, p.sampling, p.sampling === "farthest" ? p.layers[0] : "", p.normalize, p.threshold]);
  const thresholdOf = async (X: Matrix, label: string) => {
    // The enclosing radius is known only after the distances: run once at the enclosing radius
    // when threshold = 1 (the default), else first ask for it with maxdim 0 (cheap).
    if (p.threshold === 1) return "enclosing" as const;
    const h0 = await persistentHomology(X, { maxdim: 0, ...progress.inner(label) });
    return p.threshold * h0.enclosingRadius;
  };
  for (const [i, name] of p.layers.entries()) {
    const raw = takeRows(vectors[i], sample);
    const scale = p.normalize === "rms" ? rmsDistanceToMean(raw) : 1;
    const X = scale === 1 ? raw : { rows: raw.rows, cols: raw.cols, data: raw.data.map((v) => v / scale) };
    clouds.push(X);
    const key = JSON.stringify([cloudKey(name), p.maxdim]);
    const ph = await cached(cache, key, async () => persistentHomology(X, { maxdim: p.maxdim, threshold: await thresholdOf(X, name), ...progress.inner(name) }));
    layers.push({
      name,
      dimension: X.cols,
      scale,
      enclosingRadius: ph.enclosingRadius,
      threshold: ph.threshold,
      diagrams: ph.diagrams,
      edges: ph.stats.edges,
      edgesAfterCollapse: ph.stats.edgesAfterCollapse,
    });
    progress.advance(name);
  }

  const { matrices: distances, bound } = await layerDistances(layers, p.distanceDim, options);
  const cka = (await ckaMatrix(clouds, { debiased: p.ckaDebiased, ...progress.inner("CKA") })).matrix;
  progress.advance("CKA");

  let sensitivity: LayerTopologyResult["sensitivity"] = null;
  if (p.sensitivityFractions.length > 0) {
    const curves: SensitivityCurve[] = [];
    for (const [i, layer] of layers.entries()) {
      const X = clouds[i];
      const c = X.cols;
      const curve: SensitivityCurve = { name: layer.name, removed: [], sliced: [], bottleneck: [], cka: [] };
      // Coordinates in the uncentred singular directions (spec §1.3: SVD of the uncentred
      // c × N matrix), largest first; dropping columns removes directions.
      const basis = c > 1 ? await pca(X, { nComponents: Math.min(c, X.rows), center: false, signal: options.signal }) : null;
      for (const fraction of p.sensitivityFractions) {
        const label = `${layer.name} − ${Math.round(fraction * 100)} %`;
        const kept = basis ? Math.max(1, Math.min(basis.params.nComponents, c - Math.round(fraction * c))) : c;
        const removed = c - kept;
        let projected = X;
        if (basis && removed > 0) projected = keepColumns(basis.scores, kept, p.sensitivityRemove);
        const threshold = p.threshold === 1 ? "enclosing" : layer.threshold;
        const key = JSON.stringify([cloudKey(layer.name), "sensitivity", fraction, p.sensitivityRemove, p.distanceDim]);
        const ph = await cached(cache, key, () => persistentHomology(projected, { maxdim: p.distanceDim, threshold, ...progress.inner(label) }));
        const a = degree(layer, p.distanceDim);
        const b = degree({ diagrams: ph.diagrams, threshold: ph.threshold }, p.distanceDim);
        curve.removed.push(removed);
        curve.sliced.push((await slicedWasserstein(a, b)).distance);
        curve.bottleneck.push((await bottleneck(a, b)).distance);
        curve.cka.push((await linearCka(X, projected, { debiased: p.ckaDebiased, signal: options.signal })).cka);
        progress.advance(label);
      }
      curves.push(curve);
    }
    sensitivity = { fractions: p.sensitivityFractions, remove: p.sensitivityRemove, layers: curves };
  }
  return { layers, sample, distances, wassersteinErrorBound: bound, infinite: "cap", cka, sensitivity, params: p };
}

/**
 * `kept` columns of the singular-direction coordinates: the first (largest directions) for
 * remove = "lowest", the last for "highest". Row distances equal those of the rank-`kept`
 * reconstruction X·U·Uᵀ, which is all persistence and CKA see.
 */
function keepColumns(scores: Matrix, kept: number, remove: "lowest" | "highest"): Matrix {
  const first = remove === "lowest" ? 0 : scores.cols - kept;
  const out = new Float32Array(scores.rows * kept);
  for (let i = 0; i < scores.rows; i++) out.set(scores.data.subarray(i * scores.cols + first, i * scores.cols + first + kept), i * kept);
  return { rows: scores.rows, cols: kept, data: out };
}
