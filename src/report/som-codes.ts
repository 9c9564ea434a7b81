/**
 * The som-codes notebook's report and its tables (shared by the notebook and the CLI).
 */
import type { LayerCodesSpread, SomCodesResult, SomSeedStudy } from "../analyses/som-codes.ts";
import {
  claimText,
  clearlyApart,
  formatSpread,
  type ClaimFindings,
} from "../analyses/seed-study.ts";
import type { AnalysisBundle } from "../analyses/columns.ts";
import { formatNumber } from "../analyses/columns.ts";
import {
  bmuArrows,
  classMap,
  gridHeatmap,
  perturbationCurves,
  prototypeMosaic,
  qeCurves,
} from "../views/som.ts";
import { imageLayout } from "../views/thumbnail.ts";
import { count } from "../views/text.ts";
import { VERSION } from "../version.ts";
import type { ReportContext } from "./report.ts";
import type { ReportSpec, ReportTable } from "./report.ts";

/** What the paper claims, and what is our reconstruction of it. */
export const SOM_CODES_CLAIMS =
  "Lee & Vijayan (arXiv 2205.10952) map each layer's activations onto a self-organising map and read its best-matching units as the layer's " +
  '"functional codes": a finite set of patterns that track the network\'s predictions. Their later versions claim that shallow layers give ' +
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
    columns: [
      "layer",
      "dimension",
      "PC1 share",
      "participation ratio",
      "PCs for 90 %",
      "QE (test)",
      ...(hex ? ["TE 6-nbr (hex)"] : ["TE 8-nbr", "TE 4-nbr"]),
      "used nodes",
      "purity vs prediction",
      "purity vs label",
      "NMI(BMU, prediction)",
      "SOM-classifier agreement",
      "class compactness",
    ],
    rows: result.layers.map((l) => [
      l.name,
      l.dimension,
      formatNumber(l.pca.pc1Share),
      formatNumber(l.pca.participationRatio),
      l.pca.componentsFor90,
      formatNumber(l.quantizationError.test),
      ...(hex
        ? [formatNumber(l.topographicError.hex6)]
        : [formatNumber(l.topographicError.rect8), formatNumber(l.topographicError.rect4)]),
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
    columns: [
      "ε",
      "accuracy FGSM",
      "accuracy noise",
      ...study.layers.flatMap((l) => [`${l.name} FGSM`, `${l.name} noise`]),
    ],
    rows: study.epsilons.map((epsilon, e) => [
      epsilon,
      formatNumber(study.accuracy.fgsm[e]),
      formatNumber(study.accuracy.noise[e]),
      ...study.layers.flatMap((l) => [
        formatNumber(l.fgsm[e].changed),
        formatNumber(l.noise[e].changed),
      ]),
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
    const e =
      study.epsilons.findIndex((x) => x >= 0.05) >= 0
        ? study.epsilons.findIndex((x) => x >= 0.05)
        : 0;
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

/**
 * The headline of the som-codes notebook and report: the paper's claims, our numbers over the
 * SOM seeds (mean ± sd) and plainly where they hold, where not, and why. "Clearly" means further
 * apart than twice the seeds' combined standard deviation.
 */
export function somClaimFindings(study: SomSeedStudy): ClaimFindings {
  const claim =
    "Lee & Vijayan (arXiv 2205.10952, later versions): shallow layers give homogeneous functional codes and deep layers diverse, class-aligned ones; " +
    "homogeneous codes go with vulnerability to adversarial perturbations.";
  const layers = study.layers.filter((l) => l.name !== "input");
  const measured = [
    `${study.seeds.length} maps per layer, from SOM seeds ${study.seeds.join(", ")}: each starts from weights drawn at random among the training samples (the maps shown below start from the PCA plane, and a batch map from one start is the same at every seed), and the noise control draws anew; ${study.splitNote}, the same in every run.`,
    `Purity of the test samples' codes against their labels: ${study.layers.map((l) => `${l.name} ${formatSpread(l.purityLabel)}`).join(", ")}.`,
    `Against the network's predictions: ${study.layers.map((l) => `${l.name} ${formatSpread(l.purityPrediction)}`).join(", ")}; NMI(code, prediction): ${study.layers.map((l) => `${l.name} ${formatSpread(l.nmi)}`).join(", ")}.`,
    `Homogeneity (the layer's own PCA, the same at every seed): PC1 share ${study.layers.map((l) => `${l.name} ${formatNumber(l.pc1Share)}`).join(", ")}; participation ratio ${study.layers.map((l) => `${l.name} ${formatNumber(l.participationRatio)}`).join(", ")}.`,
  ];
  const withAttack = study.layers.filter((l) => l.fgsmChanged && l.noiseChanged);
  if (study.epsilon !== null && withAttack.length) {
    measured.push(
      `Codes moved at ε = ${study.epsilon}, FGSM / random ±ε noise: ${withAttack.map((l) => `${l.name} ${formatSpread(l.fgsmChanged!)} / ${formatSpread(l.noiseChanged!)}`).join(", ")}.`,
    );
  }
  const verdict: string[] = [];
  if (layers.length < 2)
    return { claim, measured, verdict: ["One layer: no trend with depth to test."] };
  const first = layers[0];
  const last = layers[layers.length - 1];
  const falls = layers
    .slice(1)
    .flatMap((l, i) =>
      clearlyApart(l.purityLabel, layers[i].purityLabel) &&
      l.purityLabel.mean < layers[i].purityLabel.mean
        ? [`${layers[i].name} → ${l.name}`]
        : [],
    );
  if (
    clearlyApart(first.purityLabel, last.purityLabel) &&
    last.purityLabel.mean > first.purityLabel.mean
  ) {
    verdict.push(
      `Confirmed: the deepest layer's codes are class-aligned and the shallowest's are not — purity against the label ${formatSpread(first.purityLabel)} at ${first.name}, ${formatSpread(last.purityLabel)} at ${last.name}, beyond the seeds' spread${falls.length ? `, though it falls on the way at ${falls.join(", ")}` : ", rising with depth"}.`,
    );
  } else {
    verdict.push(
      `Not confirmed: purity against the label is ${formatSpread(first.purityLabel)} at ${first.name} and ${formatSpread(last.purityLabel)} at ${last.name}, not clearly higher in the deep layer over the seeds.`,
    );
  }
  const homogeneous =
    first.participationRatio < last.participationRatio && first.pc1Share > last.pc1Share;
  verdict.push(
    homogeneous
      ? `Confirmed in the PCA sense: ${first.name} is the more homogeneous layer (PC1 share ${formatNumber(first.pc1Share)} against ${formatNumber(last.pc1Share)}, participation ratio ${formatNumber(first.participationRatio)} against ${formatNumber(last.participationRatio)}).`
      : `Not confirmed in the PCA sense: ${first.name} is not the more homogeneous layer (PC1 share ${formatNumber(first.pc1Share)} against ${formatNumber(last.pc1Share)} at ${last.name}, participation ratio ${formatNumber(first.participationRatio)} against ${formatNumber(last.participationRatio)}) — the diversity of a layer's codes and of its variance need not go together; how the conv maps are vectorised moves these numbers.`,
  );
  const a = withAttack.find((l) => l.name === first.name);
  const b = withAttack.find((l) => l.name === last.name);
  if (a && b && study.epsilon !== null) {
    const excess = (l: LayerCodesSpread) => l.fgsmChanged!.mean - l.noiseChanged!.mean;
    const beyondNoise = (l: LayerCodesSpread) =>
      clearlyApart(l.fgsmChanged!, l.noiseChanged!) && excess(l) > 0;
    verdict.push(
      `At ε = ${study.epsilon} FGSM moves ${formatSpread(a.fgsmChanged!)} of ${first.name}'s codes against ${formatSpread(a.noiseChanged!)} under noise of the same size, and ${formatSpread(b.fgsmChanged!)} of ${last.name}'s against ${formatSpread(b.noiseChanged!)}. ` +
        (excess(a) > excess(b) && beyondNoise(a)
          ? `The shallower${homogeneous ? ", more homogeneous" : ""} layer is the more moved beyond the noise control, as the vulnerability claim expects.`
          : `The attack's excess over noise is ${beyondNoise(b) ? "larger in the deep layer" : "not larger in the shallow layer"}: the link between homogeneous codes and vulnerability is not borne out here — FGSM aims at the output, so its effect beyond noise grows toward it.`),
    );
  }
  return { claim, measured, verdict };
}

/** Every layer's codes over the SOM seeds: mean ± sd per measure. */
export function somSeedTable(study: SomSeedStudy): ReportTable {
  const attack = study.epsilon !== null && study.layers.some((l) => l.fgsmChanged);
  return {
    columns: [
      "layer",
      "PC1 share",
      "participation ratio",
      "purity vs label",
      "purity vs prediction",
      "NMI(BMU, prediction)",
      "SOM-classifier agreement",
      "QE (test)",
      "used nodes",
      ...(attack
        ? [`moved by FGSM, ε = ${study.epsilon}`, `moved by noise, ε = ${study.epsilon}`]
        : []),
      "seeds",
    ],
    rows: study.layers.map((l) => [
      l.name,
      formatNumber(l.pc1Share),
      formatNumber(l.participationRatio),
      formatSpread(l.purityLabel),
      formatSpread(l.purityPrediction),
      formatSpread(l.nmi),
      formatSpread(l.agreement),
      formatSpread(l.quantizationError),
      formatSpread(l.usedNodes, 1),
      ...(attack
        ? [
            l.fgsmChanged ? formatSpread(l.fgsmChanged) : "—",
            l.noiseChanged ? formatSpread(l.noiseChanged) : "—",
          ]
        : []),
      l.purityLabel.values.length,
    ]),
  };
}

export interface SomCodesView {
  /** Layer whose maps are drawn. */
  layer: string;
  /** Index into the ε list for the arrows. */
  epsilonIndex: number;
}

export function somCodesReport(
  bundle: AnalysisBundle,
  result: SomCodesResult,
  view: SomCodesView,
  context: ReportContext,
): ReportSpec {
  const document = context.document ?? globalThis.document;
  const layer = result.layers.find((l) => l.name === view.layer) ?? result.layers[0];
  const map = layer.map;
  const p = result.params;
  const layout = bundle.inputs ? imageLayout(bundle.inputs.shape) : null;
  const sections: ReportSpec["sections"] = [];
  if (result.seeds) {
    const f = somClaimFindings(result.seeds);
    sections.push({
      title: "The paper's claims and what we measured over seeds",
      text: claimText(f),
      table: somSeedTable(result.seeds),
    });
  }
  sections.push(
    {
      title: "Codes across layers",
      text: `${somCodesFindings(result)}\n\nMaps are fitted on ${count(result.train.length, "training sample")} and judged on ${count(result.test.length, "test sample")} (${result.splitNote}). QE is in units of each layer's RMS distance to its mean.`,
      table: layerMetricsTable(result),
    },
    {
      title: `Hit map of ${layer.name}`,
      figure: gridHeatmap(map, layer.hits, { label: "training samples per node", document }),
    },
    {
      title: `U-matrix of ${layer.name}`,
      figure: gridHeatmap(map, layer.uMatrix, {
        label: "mean distance to neighbours (max = 1)",
        scheme: "greys",
        document,
      }),
    },
    {
      title: `Class map of ${layer.name}`,
      text: "Each node's majority class among its training samples; paler = less pure.",
      figure: classMap(map, layer.labelCounts, result.classNames, { document }),
    },
  );
  if (layer.nodeInputs && layout && layout.channels === 1) {
    sections.push({
      title: `What each node of ${layer.name} codes`,
      text: "The mean input image of each node's training samples.",
      figure: prototypeMosaic(map, layer.nodeInputs, layout.height, layout.width, { document }),
    });
  }
  sections.push({
    title: "Quantisation error during training",
    figure: qeCurves(result.layers, { document }),
  });
  const table = perturbationTable(result);
  if (result.adversarial && table) {
    const e = Math.min(view.epsilonIndex, result.adversarial.epsilons.length - 1);
    const arrows = result.adversarial.layers.find((l) => l.name === layer.name);
    sections.push({
      title: "Adversarial propagation",
      text: "Fraction of test samples whose BMU changes under FGSM and under random ±ε sign noise of the same size (the control every vulnerability claim needs).",
      figure: perturbationCurves(result.adversarial, "changed", { document }),
      table,
    });
    if (arrows) {
      sections.push({
        title: `BMU moves in ${layer.name} under FGSM, ε = ${result.adversarial.epsilons[e]}`,
        figure: bmuArrows(map, arrows.fgsm[e].from, arrows.fgsm[e].to, { document }),
      });
    }
  }
  return {
    notebook: "som-codes",
    title: `SOM functional codes · ${bundle.name}`,
    description: SOM_CODES_CLAIMS,
    dataset: {
      name: bundle.name,
      sha256: context.sha256,
      samples: bundle.samples,
      task: bundle.task,
    },
    parameters: {
      layer: layer.name,
      ...(result.seeds && { somSeeds: result.seeds.seeds.join(", ") }),
      vectorize: p.vectorize,
      rows: p.rows,
      cols: p.cols,
      topology: p.topology,
      mode: p.mode,
      epochs: p.epochs,
      sigma: p.sigma === "auto" ? `auto (${map.params.sigma})` : p.sigma,
      epsilons: p.epsilons.join(", "),
    },
    seed: p.seed,
    version: VERSION,
    date: context.date ?? new Date().toISOString(),
    sections,
  };
}
