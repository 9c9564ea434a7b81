/**
 * The `som-codes` analysis: Lee & Vijayan, "Analysis of functional neural codes of deep
 * learning models" (arXiv 2205.10952), as we reconstructed it (the full text was
 * not available; grid, ε, attack and vectorisation are our choices, labelled as such).
 *
 * Per layer: the layer's vectors (conv maps by global average pool, or flatten / top-ℓ2),
 * scaled by the layer's RMS distance to its mean so QE compares across layers; the
 * PCA spectrum ("homogeneous vs diverse codes"); a SOM fitted on the training split and judged
 * on the test split (QE curves, TE); how the codes (BMUs) relate to the network's predictions
 * and labels (purity, NMI, agreement of a SOM classifier, class compactness on the grid); the
 * mean input of each node (what the code stands for). With the bundle's model: FGSM at several
 * ε and a random ±ε sign-noise control, propagated to every layer's codes.
 */
import { layerMatrix, isConvLayer, type Vectorization } from "../algo/vectorize.ts";
import { pca } from "../algo/pca.ts";
import { hitMap, labelCounts, som, somProject, uMatrix, type SomResult } from "../algo/som.ts";

export type { SomResult };
import { normalizedMutualInformation, purity } from "../algo/information.ts";
import { Network } from "../algo/nn/network.ts";
import type { NetworkSpec } from "../algo/nn/spec.ts";
import { fgsm, signNoise } from "../algo/nn/adversarial.ts";
import { HiddenAtlasError } from "../core/errors.ts";
import { rmsDistanceToMean, takeRows, type Matrix } from "../core/matrix.ts";
import { ProgressTracker, type RunOptions } from "../core/progress.ts";
import { DEFAULT_SEED, Rng, seedPlus, STREAMS } from "../core/random.ts";
import { getCore } from "../core/wasm.ts";
import { argmaxRows, classNamesOf, type AnalysisBundle } from "./columns.ts";
import { defineAnalysis, type Resolved } from "./descriptor.ts";
import { runAnalysis } from "./runner.ts";
import { seedSpread, type SeedSpread } from "./seed-study.ts";

const lastLayer = (b: AnalysisBundle) => b.layers[b.layers.length - 1]?.name ?? "";

/** The parameter table (see descriptor.ts): the maps and the attack, then what is drawn. */
const params = {
  layers: {
    type: "layers",
    default: [],
    defaultDoc: "every layer (logits included)",
    label: "Layers",
    doc: "Layers read through a SOM, in order.",
  },
  includeInput: {
    type: "boolean",
    default: true,
    label: "Map the inputs too",
    doc: 'Also fit a map on the inputs themselves, as a layer named "input" (when the bundle has inputs).',
  },
  vectorize: {
    type: "keyword",
    choices: ["gap", "flatten", "top-l2"],
    default: "gap",
    label: "Conv maps as",
    doc: "How a conv map becomes one vector: global average pool (the paper's probable choice), all values, or the top-ℓ2 spatial position. The headline result depends on it.",
  },
  rows: {
    type: "integer",
    min: 2,
    max: 100,
    default: 10,
    label: "Grid rows",
    unit: "nodes",
    doc: "Rows of every map's grid.",
    control: { min: 4, max: 20 },
  },
  cols: {
    type: "integer",
    min: 2,
    max: 100,
    default: 10,
    label: "Grid columns",
    unit: "nodes",
    doc: "Columns of every map's grid.",
    control: { min: 4, max: 20 },
  },
  topology: {
    type: "keyword",
    choices: ["rect", "hex"],
    default: "rect",
    label: "Topology",
    control: { input: "radio" },
    doc: "Grid of square (4/8 neighbours) or hexagonal (6 neighbours) cells.",
  },
  mode: {
    type: "keyword",
    choices: ["batch", "online"],
    default: "batch",
    label: "Training",
    control: { input: "radio" },
    doc: "Batch SOM (deterministic given the initial map) or online updates in a seeded order.",
  },
  epochs: {
    type: "integer",
    min: 1,
    max: 1000,
    default: 30,
    label: "Epochs",
    doc: "Passes over the training samples.",
    control: { max: 100 },
  },
  sigma: {
    type: "number",
    min: 0,
    exclusiveMin: true,
    auto: true,
    default: "auto",
    label: "Initial σ",
    unit: "grid units",
    doc: 'Initial neighbourhood radius; "auto" is half the grid\'s longer side.',
    control: { min: 0.5, max: 10, step: 0.5 },
  },
  epsilons: {
    type: "numbers",
    min: 0,
    max: 1,
    exclusiveMin: true,
    default: [0.02, 0.05, 0.1, 0.2],
    label: "Attack sizes ε",
    unit: "input units (pixels in [0, 1])",
    doc: "Sizes of the FGSM and random-sign perturbations (our choice: the paper's are not known).",
  },
  adversarial: {
    type: "boolean",
    default: true,
    label: "Perturbation study",
    doc: "Run FGSM and the random-sign control through the bundle's network (needs its model and inputs).",
  },
  seed: {
    type: "integer",
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    default: DEFAULT_SEED,
    label: "Seed",
    doc: "Seed of the maps' initialisation, the split and the noise control.",
    control: { input: "number", max: 2 ** 31 - 1 },
  },
  seedRuns: {
    type: "integer",
    min: 0,
    max: 20,
    default: 3,
    label: "SOM seeds",
    unit: "runs",
    doc: "Maps fitted again with seeds seed, seed + 1, …, each from initial weights drawn at random among the training samples (a batch map from the PCA start is the same at every seed), on the same layers and split, for the spread of every layer's codes; 0 or 1 skips the study.",
    control: { min: 0, max: 8 },
  },
  layer: {
    type: "layer",
    role: "view",
    extra: (b: AnalysisBundle) => (b.inputs ? ["input"] : []),
    default: lastLayer,
    defaultDoc: "the last layer",
    label: "Layer",
    doc: 'The layer whose maps are drawn ("input": the map of the inputs themselves).',
  },
  epsilon: {
    type: "number",
    role: "view",
    min: 0,
    max: 1,
    exclusiveMin: true,
    default: 0.05,
    label: "ε for the arrows",
    doc: "The perturbation size whose BMU moves are drawn (the nearest computed one).",
  },
} as const;

export type SomCodesParams = Partial<Resolved<typeof params>>;
export type ResolvedSomCodesParams = Resolved<typeof params>;

export interface LayerCodes {
  name: string;
  /** Vector length after vectorisation. */
  dimension: number;
  /** Scale the vectors were divided by: the RMS distance to the training mean. */
  scale: number;
  pca: {
    pc1Share: number;
    participationRatio: number;
    componentsFor90: number;
    spectrum: Float64Array;
  };
  map: SomResult;
  trainBmus: Int32Array;
  testBmus: Int32Array;
  quantizationError: { train: number; test: number };
  topographicError: { rect8: number; rect4: number; hex6: number };
  /** Nodes that hold at least one training sample. */
  usedNodes: number;
  purity: { prediction: number; label: number };
  /** NMI between test BMUs and the network's predictions. */
  nmi: number;
  /** Fraction of test samples whose node's training-label majority equals the network's prediction. */
  agreement: number;
  /** Mean grid distance of test BMUs to their class's centroid on the grid. */
  compactness: number;
  /** Majority class per node by label and by prediction, from training samples; −1 = empty node. */
  nodeLabel: Int32Array;
  nodePrediction: Int32Array;
  /** Mean distance of each node's weights to its grid neighbours', scaled to max 1 (the U-matrix). */
  uMatrix: Float64Array;
  /** Training samples per node, and node × class label counts (training). */
  hits: Int32Array;
  labelCounts: Int32Array;
  /** Mean input of each node's training samples (nodes × input size; NaN rows for empty nodes). */
  nodeInputs: Float32Array | null;
}

export interface PerturbationEffect {
  /** Fraction of test samples whose BMU changed. */
  changed: number;
  /** Mean grid distance between clean and perturbed BMU. */
  displacement: number;
  /** Mean ‖Δh‖/‖h‖ of the layer's (scaled) vectors. */
  relativeChange: number;
  /** Among samples whose prediction flipped: the perturbed BMU's node (by prediction) names the new prediction. */
  labelMatchesPrediction: number;
  /** QE of the perturbed vectors on the clean map (high: "off-manifold" codes). */
  quantizationError: number;
  /** Clean and perturbed BMU of every test sample, for arrows on the grid. */
  from: Int32Array;
  to: Int32Array;
}

export interface AdversarialStudy {
  epsilons: number[];
  accuracy: { clean: number; fgsm: number[]; noise: number[] };
  layers: { name: string; fgsm: PerturbationEffect[]; noise: PerturbationEffect[] }[];
}

export interface SomCodesResult {
  layers: LayerCodes[];
  adversarial: AdversarialStudy | null;
  train: Int32Array;
  test: Int32Array;
  /** How the train/test split was chosen. */
  splitNote: string;
  classNames: string[];
  params: ResolvedSomCodesParams;
  /** The same maps from other SOM seeds (`seedRuns` ≥ 2), else null or absent. */
  seeds?: SomSeedStudy | null;
}

/** What the analysis needs of a bundle beyond valid parameters. */
function checkBundle(_p: ResolvedSomCodesParams, bundle: AnalysisBundle): void {
  if (bundle.task !== "classification" || !bundle.labels) {
    throw new HiddenAtlasError(
      "E_PARAM",
      `som-codes needs a classification bundle with labels; ${bundle.name} is ${bundle.task}${bundle.labels ? "" : " without labels"}`,
    );
  }
}

/** The bundle's split, or a seeded 75/25 split of its samples when it has no training samples. */
async function trainTestSplit(
  bundle: AnalysisBundle,
  seed: number,
): Promise<{ train: Int32Array; test: Int32Array; note: string }> {
  const indices = (which: number, split: ArrayLike<number>) =>
    Int32Array.from(
      Array.from({ length: bundle.samples }, (_, i) => i).filter((i) => split[i] === which),
    );
  if (bundle.split) {
    const train = indices(0, bundle.split);
    const test = indices(1, bundle.split);
    if (train.length > 0 && test.length > 0) return { train, test, note: "the bundle's split" };
  }
  const rng = new Rng(await getCore(), seed, STREAMS.somCodesSplit);
  try {
    const order = rng.permutation(bundle.samples);
    const cut = Math.round(bundle.samples * 0.75);
    return {
      train: order.slice(0, cut).sort(),
      test: order.slice(cut).sort(),
      note: "a seeded 75/25 split of the bundle's samples (the bundle has no separate training samples)",
    };
  } finally {
    rng.dispose();
  }
}

/** Inputs as network inputs: stored values × model.inputScale (1 when absent), one row per sample. */
function networkInputs(bundle: AnalysisBundle, scale: number): Float32Array {
  const data = bundle.inputs!.data;
  // A plain loop: Float32Array.from with a mapping function took 1.6 s of CPU a call on
  // 10,000 × 784 inputs (the same float32 values: each product is rounded once on store).
  const out = new Float32Array(data.length);
  for (let i = 0; i < out.length; i++) out[i] = data[i] * scale;
  return out;
}

/** The rows divided by s (a loop, as networkInputs: the same values as a typed-array map, faster). */
const scaled = (m: Matrix, s: number): Matrix => {
  const data = new Float32Array(m.data.length);
  for (let i = 0; i < data.length; i++) data[i] = m.data[i] / s;
  return { rows: m.rows, cols: m.cols, data };
};

/** Majority class per node (ties to the lower class), −1 for empty nodes. */
function nodeMajority(
  bmus: Int32Array,
  classes: ArrayLike<number>,
  nodes: number,
  classCount: number,
): Int32Array {
  const counts = labelCounts(bmus, classes, nodes, classCount);
  return Int32Array.from({ length: nodes }, (_, j) => {
    let best = -1;
    let bestCount = 0;
    for (let c = 0; c < classCount; c++) {
      if (counts[j * classCount + c] > bestCount) {
        best = c;
        bestCount = counts[j * classCount + c];
      }
    }
    return best;
  });
}

const gridDistance = (map: SomResult, a: number, b: number) =>
  Math.hypot(map.coords[2 * a] - map.coords[2 * b], map.coords[2 * a + 1] - map.coords[2 * b + 1]);

function compactness(
  map: SomResult,
  bmus: Int32Array,
  labels: ArrayLike<number>,
  classCount: number,
): number {
  const sx = new Float64Array(classCount);
  const sy = new Float64Array(classCount);
  const count = new Float64Array(classCount);
  bmus.forEach((b, i) => {
    sx[labels[i]] += map.coords[2 * b];
    sy[labels[i]] += map.coords[2 * b + 1];
    count[labels[i]]++;
  });
  let total = 0;
  bmus.forEach((b, i) => {
    const c = labels[i];
    total += Math.hypot(
      map.coords[2 * b] - sx[c] / count[c],
      map.coords[2 * b + 1] - sy[c] / count[c],
    );
  });
  return bmus.length ? total / bmus.length : 0;
}

interface LayerSource {
  name: string;
  /** Vectors of every sample. */
  matrix: Matrix;
  /** Network layer whose output this is ("" for the input itself). */
  networkLayer: string | null;
  /** Shape of one sample as the network (or bundle) stores it, for vectorising recomputed activations. */
  sampleShape: number[];
  conv: boolean;
}

async function vectorizeAs(
  source: { conv: boolean; sampleShape: number[] },
  data: Float32Array,
  n: number,
  method: Vectorization,
  seed: number,
): Promise<Matrix> {
  return layerMatrix(
    {
      name: "recomputed",
      shape: [n, ...source.sampleShape],
      data,
      kind: source.conv ? "conv" : "dense",
    },
    { method, seed },
  );
}

/** Every layer's map and codes, and the perturbation study, from resolved parameters. */
async function computeSomCodes(
  bundle: AnalysisBundle,
  given: ResolvedSomCodesParams,
  options: RunOptions,
  init: "pca" | "random" = "pca",
): Promise<SomCodesResult> {
  const p: ResolvedSomCodesParams = {
    ...given,
    layers: given.layers.length ? given.layers : bundle.layers.map((l) => l.name),
    includeInput: given.includeInput && Boolean(bundle.inputs),
    adversarial: given.adversarial && Boolean(bundle.model) && Boolean(bundle.inputs),
  };
  const labels = bundle.labels!;
  const classNames = classNamesOf(bundle);
  const classCount = classNames.length;
  const predictions = bundle.predictions ? Int32Array.from(argmaxRows(bundle.predictions)) : labels;
  const { train, test, note } = await trainTestSplit(bundle, p.seed);
  const inputScale = bundle.model?.inputScale ?? 1;
  const inputs = bundle.inputs ? networkInputs(bundle, inputScale) : null;
  const inputSize = bundle.inputs ? bundle.inputs.shape.slice(1).reduce((a, b) => a * b, 1) : 0;

  const sources: LayerSource[] = [];
  if (p.includeInput && inputs) {
    sources.push({
      name: "input",
      matrix: { rows: bundle.samples, cols: inputSize, data: inputs },
      networkLayer: "",
      sampleShape: [inputSize],
      conv: false,
    });
  }
  for (const name of p.layers) {
    const layer = bundle.layers.find((l) => l.name === name)!;
    const conv = isConvLayer(layer);
    sources.push({
      name,
      matrix: await layerMatrix(layer, { method: p.vectorize, seed: p.seed }),
      networkLayer: bundle.model?.layers?.[name] ?? null,
      sampleShape: layer.shape.slice(1),
      conv,
    });
  }

  const progress = new ProgressTracker(
    options,
    "som-codes",
    sources.length + (p.adversarial ? p.epsilons.length : 0),
  );
  const layers: LayerCodes[] = [];
  const maps = new Map<string, { map: SomResult; scale: number }>();
  for (const [s, source] of sources.entries()) {
    const trainRaw = takeRows(source.matrix, train);
    const scale = rmsDistanceToMean(trainRaw);
    const trainX = scaled(trainRaw, scale);
    const testX = scaled(takeRows(source.matrix, test), scale);
    // One PCA per layer: its whole spectrum (the codes' homogeneity) and its leading plane (the
    // map's start). Only the two leading eigenvectors are solved for, not all d.
    const layerPca = await pca(trainX, {
      nComponents: Math.min(2, trainX.rows, trainX.cols),
      eigenvectors: "leading",
      signal: options.signal,
    });
    const spectrum = layerPca.spectrum;
    const total = spectrum.reduce((a, b) => a + b, 0);
    const squares = spectrum.reduce((a, b) => a + b * b, 0);
    let cumulative = 0;
    let componentsFor90 = spectrum.length;
    for (let i = 0; i < spectrum.length; i++) {
      cumulative += spectrum[i];
      if (cumulative >= 0.9 * total) {
        componentsFor90 = i + 1;
        break;
      }
    }
    const map = await som(trainX, {
      rows: p.rows,
      cols: p.cols,
      topology: p.topology,
      mode: p.mode,
      epochs: p.epochs,
      sigma: p.sigma,
      seed: p.seed,
      init,
      pca: layerPca,
      validation: testX,
      signal: options.signal,
    });
    const m = p.rows * p.cols;
    const onTest = await somProject(map, testX);
    const trainLabels = Int32Array.from(train, (i) => labels[i]);
    const trainPredictions = Int32Array.from(train, (i) => predictions[i]);
    const testLabels = Int32Array.from(test, (i) => labels[i]);
    const testPredictions = Int32Array.from(test, (i) => predictions[i]);
    const nodeLabel = nodeMajority(map.bmus, trainLabels, m, classCount);
    const nodePrediction = nodeMajority(map.bmus, trainPredictions, m, classCount);
    let agree = 0;
    onTest.bmus.forEach((b, i) => nodeLabel[b] === testPredictions[i] && agree++);
    let nodeInputs: Float32Array | null = null;
    if (inputs) {
      nodeInputs = new Float32Array(m * inputSize);
      const counts = hitMap(map.bmus, m);
      map.bmus.forEach((b, r) => {
        const i = train[r];
        for (let k = 0; k < inputSize; k++)
          nodeInputs![b * inputSize + k] += inputs[i * inputSize + k];
      });
      for (let j = 0; j < m; j++)
        for (let k = 0; k < inputSize; k++)
          nodeInputs[j * inputSize + k] = counts[j]
            ? nodeInputs[j * inputSize + k] / counts[j]
            : NaN;
    }
    const hits = hitMap(map.bmus, m);
    layers.push({
      name: source.name,
      dimension: source.matrix.cols,
      scale,
      pca: {
        pc1Share: total > 0 ? spectrum[0] / total : 0,
        participationRatio: squares > 0 ? (total * total) / squares : 0,
        componentsFor90,
        spectrum,
      },
      map,
      trainBmus: map.bmus,
      testBmus: onTest.bmus,
      quantizationError: { train: map.quantizationError, test: onTest.quantizationError },
      topographicError: onTest.topographicError,
      usedNodes: hits.reduce((a, h) => a + (h > 0 ? 1 : 0), 0),
      purity: {
        prediction: purity(onTest.bmus, testPredictions),
        label: purity(onTest.bmus, testLabels),
      },
      nmi: normalizedMutualInformation(onTest.bmus, testPredictions),
      agreement: test.length ? agree / test.length : 0,
      compactness: compactness(map, onTest.bmus, testLabels, classCount),
      nodeLabel,
      nodePrediction,
      uMatrix: uMatrix(map),
      hits,
      labelCounts: labelCounts(map.bmus, trainLabels, m, classCount),
      nodeInputs,
    });
    maps.set(source.name, { map, scale });
    await progress.step(s + 1);
  }

  let adversarial: AdversarialStudy | null = null;
  if (p.adversarial) {
    adversarial = await perturbationStudy(
      bundle,
      p,
      sources,
      layers,
      maps,
      inputs!,
      inputSize,
      test,
      labels,
      progress,
      sources.length,
    );
  }
  progress.finish();
  return { layers, adversarial, train, test, splitNote: note, classNames, params: p };
}

async function perturbationStudy(
  bundle: AnalysisBundle,
  p: ResolvedSomCodesParams,
  sources: LayerSource[],
  layers: LayerCodes[],
  maps: Map<string, { map: SomResult; scale: number }>,
  inputs: Float32Array,
  inputSize: number,
  test: Int32Array,
  labels: Int32Array,
  progress: ProgressTracker,
  done: number,
): Promise<AdversarialStudy> {
  const model = bundle.model!;
  const net = await Network.create(model.spec as unknown as NetworkSpec, { seed: p.seed });
  try {
    net.setParameters(model.parameters);
    if (net.inputSize !== inputSize) {
      throw new HiddenAtlasError(
        "E_SHAPE_MISMATCH",
        `the model takes ${net.inputSize} inputs but the bundle's inputs have ${inputSize} values per sample`,
      );
    }
    const n = test.length;
    const X = new Float32Array(n * inputSize);
    test.forEach((i, r) =>
      X.set(inputs.subarray(i * inputSize, (i + 1) * inputSize), r * inputSize),
    );
    const y = Int32Array.from(test, (i) => labels[i]);
    // Layers the network can recompute: the input, and bundle layers mapped to network layers.
    const studied = sources.filter((s) => s.networkLayer !== null);
    const networkNames = [
      ...new Set(studied.map((s) => s.networkLayer).filter((name): name is string => !!name)),
    ];
    const vectors = async (values: Float32Array): Promise<Map<string, Matrix>> => {
      const acts = net.activations(values, n, networkNames);
      const out = new Map<string, Matrix>();
      for (const s of studied) {
        const { scale } = maps.get(s.name)!;
        const raw =
          s.networkLayer === ""
            ? { rows: n, cols: inputSize, data: values }
            : await vectorizeAs(s, acts[s.networkLayer!], n, p.vectorize, p.seed);
        out.set(s.name, scaled(raw, scale));
      }
      return out;
    };
    const argmax = (values: Float32Array) =>
      Int32Array.from(argmaxRows({ rows: n, cols: net.outputSize, data: net.predict(values, n) }));
    const accuracy = (pred: Int32Array) =>
      pred.reduce((s, v, i) => s + (v === y[i] ? 1 : 0), 0) / n;
    const clean = await vectors(X);
    const cleanPred = argmax(X);
    const cleanBmus = new Map<string, Int32Array>();
    for (const s of studied)
      cleanBmus.set(s.name, (await somProject(maps.get(s.name)!.map, clean.get(s.name)!)).bmus);
    const study: AdversarialStudy = {
      epsilons: p.epsilons,
      accuracy: { clean: accuracy(cleanPred), fgsm: [], noise: [] },
      layers: studied.map((s) => ({ name: s.name, fgsm: [], noise: [] })),
    };
    const effect = async (
      name: string,
      perturbed: Matrix,
      perturbedPred: Int32Array,
    ): Promise<PerturbationEffect> => {
      const { map } = maps.get(name)!;
      const from = cleanBmus.get(name)!;
      const projected = await somProject(map, perturbed);
      const to = projected.bmus;
      const codes = layers.find((l) => l.name === name)!;
      const h = clean.get(name)!;
      let changed = 0;
      let displacement = 0;
      let relative = 0;
      let flipped = 0;
      let matches = 0;
      for (let i = 0; i < n; i++) {
        if (from[i] !== to[i]) changed++;
        displacement += gridDistance(map, from[i], to[i]);
        let dh = 0;
        let hh = 0;
        for (let k = 0; k < h.cols; k++) {
          dh += (perturbed.data[i * h.cols + k] - h.data[i * h.cols + k]) ** 2;
          hh += h.data[i * h.cols + k] ** 2;
        }
        relative += hh > 0 ? Math.sqrt(dh / hh) : 0;
        if (perturbedPred[i] !== cleanPred[i]) {
          flipped++;
          if (codes.nodePrediction[to[i]] === perturbedPred[i]) matches++;
        }
      }
      return {
        changed: changed / n,
        displacement: displacement / n,
        relativeChange: relative / n,
        labelMatchesPrediction: flipped ? matches / flipped : NaN,
        quantizationError: projected.quantizationError,
        from,
        to,
      };
    };
    // One sign-noise stream for every ε: independent signs per ε, none shared with another seed's run.
    const noise = new Rng(net.core, p.seed, STREAMS.signNoise);
    try {
      for (const [e, epsilon] of p.epsilons.entries()) {
        const adversarial = fgsm(net, X, n, y, epsilon);
        const noisy = signNoise(net, X, epsilon, noise);
        const adversarialPred = argmax(adversarial);
        const noisyPred = argmax(noisy);
        study.accuracy.fgsm.push(accuracy(adversarialPred));
        study.accuracy.noise.push(accuracy(noisyPred));
        const av = await vectors(adversarial);
        const nv = await vectors(noisy);
        for (const layer of study.layers) {
          layer.fgsm.push(await effect(layer.name, av.get(layer.name)!, adversarialPred));
          layer.noise.push(await effect(layer.name, nv.get(layer.name)!, noisyPred));
        }
        await progress.step(done + e + 1);
      }
    } finally {
      noise.dispose();
    }
    return study;
  } finally {
    net.dispose();
  }
}

/** One layer's codes over the SOM seeds. */
export interface LayerCodesSpread {
  name: string;
  /** Seed-free: the layer's PCA spectrum on the training split. */
  pc1Share: number;
  participationRatio: number;
  purityLabel: SeedSpread;
  purityPrediction: SeedSpread;
  nmi: SeedSpread;
  agreement: SeedSpread;
  quantizationError: SeedSpread;
  usedNodes: SeedSpread;
  /** Share of test samples whose BMU changes under FGSM and under the noise control at `epsilon` (null without the study). */
  fgsmChanged: SeedSpread | null;
  noiseChanged: SeedSpread | null;
}

/** The analysis' maps fitted again from other SOM seeds, summarised per layer. */
export interface SomSeedStudy {
  seeds: number[];
  layers: LayerCodesSpread[];
  /** The ε of the perturbation columns (the computed one nearest 0.05), or null. */
  epsilon: number | null;
  splitNote: string;
}

/** ε the seed study reports the perturbations at: the computed one nearest this. */
const STUDY_EPSILON = 0.05;

/**
 * Every layer's codes over several SOM seeds. The analysis' maps start from the PCA plane, and a
 * batch map from a fixed start is the same at every seed: here each seed's maps start from
 * weights drawn at random among its training samples (`init: "random"`), so the spread is that
 * of where a map starts (and, for online training, of the sample order and of the noise control).
 */
export async function somSeedStudy(
  bundle: AnalysisBundle,
  p: ResolvedSomCodesParams,
  seeds: number[],
  options: RunOptions = {},
): Promise<SomSeedStudy> {
  const runs: SomCodesResult[] = [];
  for (const [k, seed] of seeds.entries()) {
    options.onProgress?.({ stage: `maps from seed ${seed}`, done: k, total: seeds.length });
    runs.push(await computeSomCodes(bundle, { ...p, seed }, { signal: options.signal }, "random"));
  }
  options.onProgress?.({ stage: "SOM seeds", done: seeds.length, total: seeds.length });
  const study = runs[0].adversarial;
  const e = study
    ? study.epsilons.reduce(
        (best, x, i) =>
          Math.abs(x - STUDY_EPSILON) < Math.abs(study.epsilons[best] - STUDY_EPSILON) ? i : best,
        0,
      )
    : -1;
  const layers = runs[0].layers.map((l, i): LayerCodesSpread => {
    const over = (get: (c: LayerCodes) => number) => seedSpread(runs.map((r) => get(r.layers[i])));
    const moved = (kind: "fgsm" | "noise") => {
      const rows = runs.map((r) => r.adversarial?.layers.find((x) => x.name === l.name));
      return rows.every(Boolean) ? seedSpread(rows.map((x) => x![kind][e].changed)) : null;
    };
    return {
      name: l.name,
      pc1Share: l.pca.pc1Share,
      participationRatio: l.pca.participationRatio,
      purityLabel: over((c) => c.purity.label),
      purityPrediction: over((c) => c.purity.prediction),
      nmi: over((c) => c.nmi),
      agreement: over((c) => c.agreement),
      quantizationError: over((c) => c.quantizationError.test),
      usedNodes: over((c) => c.usedNodes),
      fgsmChanged: study ? moved("fgsm") : null,
      noiseChanged: study ? moved("noise") : null,
    };
  });
  return { seeds, layers, epsilon: study ? study.epsilons[e] : null, splitNote: runs[0].splitNote };
}

/** The parameters every map depends on (the seed study's maps too, with its seed count). */
const MAP_INPUTS = [
  "layers",
  "includeInput",
  "vectorize",
  "rows",
  "cols",
  "topology",
  "mode",
  "epochs",
  "sigma",
  "epsilons",
  "adversarial",
  "seed",
] as const satisfies readonly (keyof typeof params)[];

/** The descriptor: the maps (every map is fitted on the same split; the attack needs them all), then the seed study. */
export const somCodesDescriptor = defineAnalysis<typeof params, SomCodesResult>({
  name: "som-codes",
  title: "SOM functional codes",
  question:
    "Onto how many patterns does each layer map its inputs, do they predict the output, what input does each code stand for, how do adversarial inputs move them?",
  papers: [
    {
      citation: "Lee & Vijayan, arXiv 2205.10952",
      title: "Analysis of functional neural codes of deep learning models",
      url: "https://arxiv.org/abs/2205.10952",
    },
  ],
  params,
  check: checkBundle,
  steps: {
    maps: {
      label: "fitting a self-organising map per layer",
      uses: MAP_INPUTS,
      keep: 2,
      async run({ bundle, params: p, options }) {
        return computeSomCodes(bundle, p, options);
      },
    },
    seeds: {
      label: "the maps from other SOM seeds",
      uses: [...MAP_INPUTS, "seedRuns"],
      weight: (_a, p) => (p.seedRuns < 2 ? 0 : p.seedRuns),
      keep: 2,
      async run({ bundle, params: p, options }): Promise<SomSeedStudy | null> {
        if (p.seedRuns < 2) return null;
        return somSeedStudy(
          bundle,
          p,
          Array.from({ length: p.seedRuns }, (_, k) => seedPlus(p.seed, k)),
          options,
        );
      },
    },
    result: {
      label: "SOM functional codes",
      uses: [],
      needs: () => [
        ["maps", {}],
        ["seeds", {}],
      ],
      weight: 0,
      async run({ need }): Promise<SomCodesResult> {
        return {
          ...(await need<SomCodesResult>("maps")),
          seeds: await need<SomSeedStudy | null>("seeds"),
        };
      },
    },
  },
  result: "result",
});

/** SOM codes of every layer and the perturbation study: `await somCodes(bundle, {rows: 8, cols: 8})`. */
export function somCodes(
  bundle: AnalysisBundle,
  params: SomCodesParams = {},
  options: RunOptions = {},
): Promise<SomCodesResult> {
  return runAnalysis(somCodesDescriptor, bundle, params, options);
}
