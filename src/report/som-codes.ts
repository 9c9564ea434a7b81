/**
 * The som-codes notebook's report and its tables (shared by the notebook and the CLI).
 */
import type { SomCodesResult } from "../analyses/som-codes.ts";
import type { AnalysisBundle } from "../analyses/columns.ts";
import { formatNumber } from "../analyses/columns.ts";
import { bmuArrows, classMap, gridHeatmap, perturbationCurves, prototypeMosaic, qeCurves } from "../views/som.ts";
import { imageLayout } from "../views/thumbnail.ts";
import { count } from "../views/text.ts";
import { VERSION } from "../version.ts";
import type { ReportContext } from "./report.ts";
import type { ReportSpec, ReportTable } from "./report.ts";

/** What the paper claims, and what is our reconstruction of it. */
export const SOM_CODES_CLAIMS =
  "Lee & Vijayan (arXiv 2205.10952) map each layer's activations onto a self-organising map and read its best-matching units as the layer's " +
  "\"functional codes\": a finite set of patterns that track the network's predictions. Their later versions claim that shallow layers give " +
  "homogeneous codes and deep layers diverse, class-aligned ones, and that homogeneous codes go with vulnerability to adversarial perturbations. " +
  "The paper's text was not available to us: the vectorisation (global average pool by default), the 10 × 10 batch SOM, the metrics, FGSM and its " +
  "ε values, and the random-noise control are our reconstruction, not the authors' published settings.";

/**
 * One row per layer. Topographic error is given for the grid's own neighbourhoods: 8 and 4
 * neighbours on a rectangular grid, 6 on a hexagonal one (the others are undefined there).
 */
export function layerMetricsTable(result: SomCodesResult): ReportTable {
  const hex = result.params.topology === "hex";
  return {
    columns: ["layer", "dimension", "PC1 share", "participation ratio", "PCs for 90 %", "QE (test)", ...(hex ? ["TE 6-nbr (hex)"] : ["TE 8-nbr", "TE 4-nbr"]), "used nodes", "purity vs prediction", "purity vs label", "NMI(BMU, prediction)", "SOM-classifier agreement", "class compactness"],
    rows: result.layers.map((l) => [
      l.name,
      l.dimension,
      formatNumber(l.pca.pc1Share),
      formatNumber(l.pca.participationRatio),
      l.pca.componentsFor90,
      formatNumber(l.quantizationError.test),
      ...(hex ? [formatNumber(l.topographicError.hex6)] : [formatNumber(l.topographicError.rect8), formatNumber(l.topographicError.rect4)]),
      l.usedNodes,
      formatNumber(l.purity.prediction),
      formatNumber(l.purity.label),
      formatNumber(l.nmi),
      formatNumber(l.agreement),
      formatNumber(l.compactness),
    ]),
  };
}

export function perturbationTable(result: SomCodesResult): ReportTable | null {
  const study = result.adversarial;
  if (!study) return null;
  return {
    columns: ["ε", "accuracy FGSM", "accuracy noise", ...study.layers.flatMap((l) => [`${l.name} FGSM`, `${l.name} noise`])],
    rows: study.epsilons.map((epsilon, e) => [
      epsilon,
      formatNumber(study.accuracy.fgsm[e]),
      formatNumber(study.accuracy.noise[e]),
      ...study.layers.flatMap((l) => [formatNumber(l.fgsm[e].changed), formatNumber(l.noise[e].changed)]),
    ]),
  };
}

/** One paragraph saying what the numbers show (homogeneity trend, FGSM vs noise). */
export function somCodesFindings(result: SomCodesResult): string {
  const layers = result.layers.filter((l) => l.name !== "input");
  if (layers.length < 2) return "";
  const first = layers[0];
  const last = layers[layers.length - 1];
  const parts = [
    `From ${first.name} to ${last.name} the PC1 share goes ${formatNumber(first.pca.pc1Share)} → ${formatNumber(last.pca.pc1Share)} and the participation ratio ${formatNumber(first.pca.participationRatio)} → ${formatNumber(last.pca.participationRatio)}; ` +
      `purity against the network's predictions ${formatNumber(first.purity.prediction)} → ${formatNumber(last.purity.prediction)}, SOM-classifier agreement ${formatNumber(first.agreement)} → ${formatNumber(last.agreement)}.`,
  ];
  const study = result.adversarial;
  if (study) {
    const e = study.epsilons.findIndex((x) => x >= 0.05) >= 0 ? study.epsilons.findIndex((x) => x >= 0.05) : 0;
    const row = (name: string) => study.layers.find((l) => l.name === name);
    const a = row(first.name);
    const b = row(last.name);
    if (a && b) {
      parts.push(
        `At ε = ${study.epsilons[e]}, FGSM moves ${formatNumber(a.fgsm[e].changed)} of ${first.name}'s codes and random ±ε noise ${formatNumber(a.noise[e].changed)}; ` +
          `in ${last.name} FGSM moves ${formatNumber(b.fgsm[e].changed)} and noise ${formatNumber(b.noise[e].changed)} (accuracy ${formatNumber(study.accuracy.clean)} clean, ${formatNumber(study.accuracy.fgsm[e])} under FGSM, ${formatNumber(study.accuracy.noise[e])} under noise).`,
      );
    }
  }
  return parts.join(" ");
}

export interface SomCodesView {
  /** Layer whose maps are drawn. */
  layer: string;
  /** Index into the ε list for the arrows. */
  epsilonIndex: number;
}

export function somCodesReport(bundle: AnalysisBundle, result: SomCodesResult, view: SomCodesView, context: ReportContext): ReportSpec {
  const document = context.document ?? globalThis.document;
  const layer = result.layers.find((l) => l.name === view.layer) ?? result.layers[0];
  const map = layer.map;
  const p = result.params;
  const layout = bundle.inputs ? imageLayout(bundle.inputs.shape) : null;
  const sections: ReportSpec["sections"] = [
    { title: "Codes across layers", text: `${somCodesFindings(result)}\n\nMaps are fitted on ${count(result.train.length, "training sample")} and judged on ${count(result.test.length, "test sample")} (${result.splitNote}). QE is in units of each layer's RMS distance to its mean.`, table: layerMetricsTable(result) },
    { title: `Hit map of ${layer.name}`, figure: gridHeatmap(map, layer.hits, { label: "training samples per node", document }) },
    { title: `U-matrix of ${layer.name}`, figure: gridHeatmap(map, layer.uMatrix, { label: "mean distance to neighbours (max = 1)", scheme: "greys", document }) },
    { title: `Class map of ${layer.name}`, text: "Each node's majority class among its training samples; paler = less pure.", figure: classMap(map, layer.labelCounts, result.classNames, { document }) },
  ];
  if (layer.nodeInputs && layout && layout.channels === 1) {
    sections.push({ title: `What each node of ${layer.name} codes`, text: "The mean input image of each node's training samples.", figure: prototypeMosaic(map, layer.nodeInputs, layout.height, layout.width, { document }) });
  }
  sections.push({ title: "Quantisation error during training", figure: qeCurves(result.layers, { document }) });
  const table = perturbationTable(result);
  if (result.adversarial && table) {
    const e = Math.min(view.epsilonIndex, result.adversarial.epsilons.length - 1);
    const arrows = result.adversarial.layers.find((l) => l.name === layer.name);
    sections.push({ title: "Adversarial propagation", text: "Fraction of test samples whose BMU changes under FGSM and under random ±ε sign noise of the same size (the control every vulnerability claim needs).", figure: perturbationCurves(result.adversarial, "changed", { document }), table });
    if (arrows) {
      sections.push({ title: `BMU moves in ${layer.name} under FGSM, ε = ${result.adversarial.epsilons[e]}`, figure: bmuArrows(map, arrows.fgsm[e].from, arrows.fgsm[e].to, { document }) });
    }
  }
  return {
    notebook: "som-codes",
    title: `SOM functional codes · ${bundle.name}`,
    description: SOM_CODES_CLAIMS,
    dataset: { name: bundle.name, sha256: context.sha256, samples: bundle.samples, task: bundle.task },
    parameters: { layer: layer.name, vectorize: p.vectorize, rows: p.rows, cols: p.cols, topology: p.topology, mode: p.mode, epochs: p.epochs, sigma: p.sigma === "auto" ? `auto (${map.params.sigma})` : p.sigma, epsilons: p.epsilons.join(", ") },
    seed: p.seed,
    version: VERSION,
    date: context.date ?? new Date().toISOString(),
    sections,
  };
}
