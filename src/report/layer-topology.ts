/**
 * The layer-topology notebook's report, its tables and its findings text (shared by the
 * notebook and `hidden-atlas report layer-topology`).
 */
import type { AnalysisBundle } from "../analyses/columns.ts";
import { formatNumber } from "../analyses/columns.ts";
import { layerTopologyDescriptor, type LayerDistanceMetric, type LayerTopologyResult } from "../analyses/layer-topology.ts";
import { barcode, layerHeatmap, persistencePlot, sensitivityCurves } from "../views/topology.ts";
import { count } from "../views/text.ts";
import { VERSION } from "../version.ts";
import type { ReportContext } from "./report.ts";
import type { ReportSpec, ReportTable } from "./report.ts";

/** What the paper did and reports (specs/tda.md §1; the full text was not available). */
export const LAYER_TOPOLOGY_CLAIMS =
  "Purvine et al. (AAAI 2023, arXiv 2212.00222) turn each convolutional layer of 100 CIFAR-10 ResNet-18s into a point cloud — for each of 1,000 test " +
  "images the channel vector at the spatial position of largest ℓ2 norm — compute its Vietoris–Rips persistent homology (ripser.py defaults: H0 and H1, " +
  "Z/2, Euclidean, enclosing-radius threshold), and compare layers by the sliced Wasserstein distance between their H1 diagrams (persim, 50 directions). " +
  "Their abstract reports that this PH-based distance quantifies meaningful differences between layers, and they set it beside representational-similarity " +
  "metrics such as CKA with a sensitivity test after Ding, Denain & Steinhardt (2021): remove a layer's least significant singular directions and see how " +
  "far each measure moves. The paper's full text was not available to us; finer claims are not repeated here. Our networks are small: digits-cnn " +
  "(three conv layers on 8 × 8 digits) and fashion-cnn (four conv blocks on Fashion-MNIST).";

/** The metrics' names, as the analysis declares them. */
export const METRIC_LABELS = layerTopologyDescriptor.params.metric.labels as Record<LayerDistanceMetric, string>;

/** Pearson correlation of two equal-length lists. */
function correlation(a: number[], b: number[]): number {
  const n = a.length;
  if (n < 2) return NaN;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** Ranks (average ranks for ties) for Spearman's ρ. */
function ranks(values: number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((x, y) => x[0] - y[0]);
  const out = new Array<number>(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let k = i; k <= j; k++) out[order[k][1]] = (i + j) / 2;
    i = j + 1;
  }
  return out;
}

/** Spearman rank correlation between a diagram-distance matrix and 1 − CKA over layer pairs. */
export function distanceCkaAgreement(result: LayerTopologyResult, metric: LayerDistanceMetric): number {
  const L = result.layers.length;
  const d: number[] = [];
  const c: number[] = [];
  for (let i = 0; i < L; i++) {
    for (let j = i + 1; j < L; j++) {
      const cka = result.cka[i * L + j];
      if (!Number.isFinite(cka)) continue;
      d.push(result.distances[metric][i * L + j]);
      c.push(1 - cka);
    }
  }
  return correlation(ranks(d), ranks(c));
}

export function layerTable(result: LayerTopologyResult): ReportTable {
  const dim = result.params.distanceDim;
  return {
    columns: ["layer", "dimension", "scale", "enclosing radius", "threshold", ...result.layers[0].diagrams.map((d) => `H${d.dim} pairs`), `longest H${dim} bar`, `total H${dim} persistence`, "edges", "edges after collapse"],
    rows: result.layers.map((l) => {
      const d = l.diagrams[dim];
      let longest = 0;
      let total = 0;
      d.births.forEach((b, i) => {
        const life = Math.min(d.deaths[i], l.threshold) - b;
        longest = Math.max(longest, life);
        total += life;
      });
      return [l.name, l.dimension, formatNumber(l.scale), formatNumber(l.enclosingRadius), formatNumber(l.threshold), ...l.diagrams.map((x) => x.births.length), formatNumber(longest), formatNumber(total), l.edges, l.edgesAfterCollapse];
    }),
  };
}

export function matrixTable(names: string[], matrix: ArrayLike<number>): ReportTable {
  const L = names.length;
  return { columns: ["", ...names], rows: names.map((a, i) => [a, ...names.map((_, j) => (Number.isFinite(matrix[i * L + j]) ? formatNumber(matrix[i * L + j]) : null))]) };
}

export function sensitivityTable(result: LayerTopologyResult): ReportTable | null {
  const s = result.sensitivity;
  if (!s) return null;
  return {
    columns: ["layer", ...s.fractions.flatMap((f) => {
      const pct = `−${Math.round(100 * f)} %`;
      return [`${pct}: directions removed`, `${pct}: sliced W.`, `${pct}: bottleneck`, `${pct}: CKA`];
    })],
    rows: s.layers.map((l) => [l.name, ...s.fractions.flatMap((_, i) => [l.removed[i], formatNumber(l.sliced[i]), formatNumber(l.bottleneck[i]), formatNumber(l.cka[i])])]),
  };
}

/** A paragraph of what these numbers show: consecutive-layer distances, CKA, their agreement, sensitivity. */
export function layerTopologyFindings(result: LayerTopologyResult, metric: LayerDistanceMetric = "sliced"): string {
  const L = result.layers.length;
  const names = result.layers.map((l) => l.name);
  const dim = result.params.distanceDim;
  if (L < 2) return `Only one layer (${names[0]}): no distances between layers.`;
  const parts: string[] = [];
  const steps = names.slice(1).map((name, i) => `${names[i]}→${name} ${formatNumber(result.distances[metric][i * L + i + 1])}`);
  const ckaSteps = names.slice(1).map((name, i) => `${formatNumber(result.cka[i * L + i + 1])}`);
  parts.push(`H${dim} ${METRIC_LABELS[metric]} distance between consecutive layers: ${steps.join(", ")}; linear CKA of the same pairs: ${ckaSteps.join(", ")}.`);
  let far = [0, 1];
  for (let i = 0; i < L; i++) for (let j = i + 1; j < L; j++) if (result.distances[metric][i * L + j] > result.distances[metric][far[0] * L + far[1]]) far = [i, j];
  parts.push(`The farthest pair is ${names[far[0]]}–${names[far[1]]} (${formatNumber(result.distances[metric][far[0] * L + far[1]])}, CKA ${formatNumber(result.cka[far[0] * L + far[1]])}).`);
  if (L >= 3) {
    parts.push(`Over all ${(L * (L - 1)) / 2} layer pairs, the rank correlation (Spearman) between the diagram distance and 1 − CKA is ${formatNumber(distanceCkaAgreement(result, metric))}.`);
  }
  const s = result.sensitivity;
  if (s && s.fractions.length) {
    const last = s.fractions.length - 1;
    const pct = Math.round(100 * s.fractions[last]);
    const ckaMin = Math.min(...s.layers.map((l) => l.cka[last]).filter(Number.isFinite));
    const sw = s.layers.map((l) => `${l.name} ${formatNumber(l.sliced[last])}`);
    parts.push(
      `Removing the ${s.remove === "lowest" ? "least" : "most"} significant ${pct} % of each layer's directions moves its H${dim} diagram by a sliced Wasserstein distance of ${sw.join(", ")}, ` +
        `while CKA between the layer and its projection stays ≥ ${formatNumber(ckaMin)}.`,
    );
  }
  if (result.params.normalize === "none") parts.push("Distances are in each layer's own units (not normalised), as in the paper; set normalise to rms to compare shapes rather than scales.");
  return parts.join(" ");
}

export interface LayerTopologyView {
  /** Layer whose barcode and diagram are drawn. */
  layer: string;
  /** Metric of the distance heatmap. */
  metric: LayerDistanceMetric;
  /** Measure of the sensitivity curves. */
  sensitivity?: "sliced" | "bottleneck" | "cka";
}

export function layerTopologyReport(bundle: AnalysisBundle, result: LayerTopologyResult, view: LayerTopologyView, context: ReportContext): ReportSpec {
  const document = context.document ?? globalThis.document;
  const layer = result.layers.find((l) => l.name === view.layer) ?? result.layers[0];
  const names = result.layers.map((l) => l.name);
  const p = result.params;
  const unit = p.normalize === "rms" ? "layer RMS units" : "activation units";
  const dim = p.distanceDim;
  const sections: ReportSpec["sections"] = [
    { title: "Layers as point clouds", text: `${layerTopologyFindings(result, view.metric)}\n\nEach layer is ${count(result.sample.length, "sample")} (the same rows in every layer, ${p.sampling === "random" ? `seeded random choice, seed ${p.seed}` : "greedy farthest points of the first layer"}), conv maps as ${p.vectorize} vectors. Essential classes are capped at each layer's Rips threshold before any distance (infinite policy "${result.infinite}").`, table: layerTable(result) },
    { title: `Barcode of ${layer.name}`, figure: barcode(layer.diagrams, layer.threshold, { unit, document }) },
    { title: `Persistence diagram of ${layer.name}`, figure: persistencePlot(layer.diagrams, layer.threshold, { unit, document }) },
    { title: `H${dim} ${METRIC_LABELS[view.metric]} distance between layers`, text: view.metric === "wasserstein" ? `W1 by the auction algorithm, each entry within a proven relative error of ${formatNumber(result.wassersteinErrorBound)}.` : undefined, figure: layerHeatmap(names, result.distances[view.metric], { label: `${METRIC_LABELS[view.metric]} (${unit})`, document }), table: matrixTable(names, result.distances[view.metric]) },
    { title: `Linear CKA${p.ckaDebiased ? " (debiased)" : ""} between layers`, figure: layerHeatmap(names, result.cka, { label: "CKA (1 = same up to rotation and scale)", scheme: "magma", domain: [0, 1], document }), table: matrixTable(names, result.cka) },
  ];
  const table = sensitivityTable(result);
  if (result.sensitivity && table) {
    sections.push({
      title: "Sensitivity test",
      text: `Each layer projected on its top singular directions (uncentred SVD), removing the ${result.sensitivity.remove === "lowest" ? "least" : "most"} significant ones; distance of the projection's H${dim} diagram to the original, and CKA between the layer and its projection.`,
      figure: sensitivityCurves(result.sensitivity, view.sensitivity ?? "sliced", { unit, document }),
      table,
    });
  }
  return {
    notebook: "layer-topology",
    title: `Layer topology · ${bundle.name}`,
    description: LAYER_TOPOLOGY_CLAIMS,
    dataset: { name: bundle.name, sha256: context.sha256, samples: bundle.samples, task: bundle.task },
    parameters: {
      layer: layer.name,
      metric: view.metric,
      vectorize: p.vectorize,
      samples: result.sample.length,
      sampling: p.sampling,
      maxdim: p.maxdim,
      threshold: p.threshold === 1 ? "enclosing radius" : `${p.threshold} × enclosing radius`,
      normalize: p.normalize,
      distanceDim: p.distanceDim,
      ckaDebiased: p.ckaDebiased,
      sensitivityFractions: p.sensitivityFractions.join(", "),
      sensitivityRemove: p.sensitivityRemove,
    },
    seed: p.seed,
    version: VERSION,
    date: context.date ?? new Date().toISOString(),
    sections,
  };
}
