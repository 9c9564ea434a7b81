/**
 * The layer-topology notebook's report, its tables and its headline (shared by the notebook and
 * `hidden-atlas report layer-topology`): the paper's claim, what the seed study measured, and
 * where it confirms the claim and where not.
 */
import type { AnalysisBundle } from "../analyses/columns.ts";
import { formatNumber } from "../analyses/columns.ts";
import {
  cycleRows,
  layerTopologyDescriptor,
  longestBar,
  poolRows,
  type LayerDiagrams,
  type LayerDistanceMetric,
  type LayerTopologyResult,
  type SeedStudy,
} from "../analyses/layer-topology.ts";
import { describeSample } from "../analyses/columns.ts";
import { cycleOverlay } from "../views/cycle.ts";
import { thumbnails } from "../views/thumbnail.ts";
import {
  claimText,
  formatSpread,
  type ClaimFindings,
  type MatrixSpread,
  type Specificity,
} from "../analyses/seed-study.ts";
import { scaleChart, specificityChart, spreadHeatmap } from "../views/seeds.ts";
import { barcode, layerHeatmap, persistencePlot, sensitivityCurves } from "../views/topology.ts";
import { count } from "../views/text.ts";
import { subsampleText } from "../views/caption.ts";
import { VERSION } from "../version.ts";
import type { ReportContext } from "./report.ts";
import type { ReportSpec, ReportTable } from "./report.ts";

/** What the paper did and reports (from its abstract and the authors' released scripts; the full text was not available). */
export const LAYER_TOPOLOGY_CLAIMS =
  "Purvine et al. (AAAI 2023, arXiv 2212.00222) turn each convolutional layer of 100 CIFAR-10 ResNet-18s trained from different seeds into a point cloud — " +
  "for each of 1,000 test images the raw conv output (before batch norm and ReLU) at the spatial position of largest ℓ2 norm — compute its Vietoris–Rips " +
  "persistent homology (ripser.py defaults: H0 and H1, Z/2, Euclidean, enclosing-radius threshold), and compare layers by the sliced Wasserstein distance " +
  "between their H1 diagrams (persim, 50 directions). Their abstract reports that this PH-based distance quantifies meaningful differences between layers, " +
  "and they set it beside representational-similarity metrics such as CKA with a sensitivity test after Ding, Denain & Steinhardt (2021): remove a layer's " +
  "least significant singular directions and see how far each measure moves. The paper's full text was not available to us; finer claims are not repeated " +
  "here. Our networks are small: digits-cnn (three conv layers on 8 × 8 digits) and fashion-cnn (four conv layers on Fashion-MNIST), each trained from " +
  "several seeds and recorded on the same test images.";

/** The metrics' names, as the analysis declares them. */
export const METRIC_LABELS = layerTopologyDescriptor.params.metric.labels as Record<
  LayerDistanceMetric,
  string
>;

/** A result with the seed study the notebook adds (absent from a single-bundle run). */
export type LayerTopologyWithSeeds = LayerTopologyResult & { seeds?: SeedStudy | null };

/**
 * How a specificity compares with chance, in words. "at chance": within two standard errors of
 * it (the standard error counts each unordered pair of networks once, since (A, B) and (B, A)
 * share their distances); "near 1": at least 0.9; "well above chance": at least half-way from
 * chance to 1; else "weakly above chance".
 */
export function specificityVerdict(
  s: Specificity,
): "near 1" | "well above chance" | "weakly above chance" | "at chance" {
  const standardError = s.sd / Math.sqrt(Math.max(1, s.pairs / 2));
  if (s.mean >= 0.9) return "near 1";
  if (s.mean - s.chance < 2 * standardError) return "at chance";
  if ((s.mean - s.chance) / (1 - s.chance) >= 0.5) return "well above chance";
  return "weakly above chance";
}

/** Median over the off-diagonal entries of sd / mean: how much a layer × layer matrix moves between seeds. */
export function relativeSpread(spread: MatrixSpread, L: number): number {
  const values: number[] = [];
  for (let i = 0; i < L; i++)
    for (let j = 0; j < L; j++)
      if (i !== j && spread.mean[i * L + j] > 0)
        values.push(spread.sd[i * L + j] / spread.mean[i * L + j]);
  values.sort((a, b) => a - b);
  if (!values.length) return NaN;
  const m = values.length >> 1;
  return values.length % 2 ? values[m] : (values[m - 1] + values[m]) / 2;
}

/**
 * The headline: what the paper claims, what we measured over the seeds (with the spread), and
 * where the measurements confirm the claim and where not, and why. Plain sentences, in order.
 */
export function seedStudyFindings(study: SeedStudy): ClaimFindings {
  const L = study.layers.length;
  const S = study.runs.length;
  const dim = `H${study.distanceDim}`;
  const { raw, rms } = study.specificity.sliced;
  const cka = study.specificity.cka;
  const claim =
    `Purvine et al.: the sliced Wasserstein distance between layers' H1 diagrams "quantifies meaningful differences between layers" — measured on 100 ResNet-18s trained from different seeds. ` +
    `If it does, a layer should be recognisable in a network trained from another seed: its nearest layer there, by that distance, should be itself (Kornblith et al.'s specificity test).`;
  const scales = study.layers.map((_, l) => {
    const v = study.runs.map((_, r) => study.scales[r * L + l]);
    return v.reduce((a, b) => a + b, 0) / S;
  });
  const chanceText = `chance 1/${L} = ${(1 / L).toFixed(2)}`;
  const measured = [
    `${S} networks (${study.runs.join(", ")}: the same architecture trained from ${S} seeds), the same ${study.samples} test images, ${L} layers (${study.layers.join(", ")}); ${study.specificity.cka.pairs} ordered pairs of networks; mean ± sd over the pairs.`,
    `${dim} sliced Wasserstein in each layer's own units (the paper's setting): the nearest layer is the same layer for ${formatSpread(raw, 2)} of the layers (${chanceText}).`,
    `The same distance after dividing each layer by its RMS spread: ${formatSpread(rms, 2)}.`,
    `Linear CKA of the same point clouds: ${formatSpread(cka, 2)}; the same layer in two networks has CKA ${study.sameLayer.cka.map((v) => v.toFixed(2)).join(", ")} on average.`,
    `Within a network, the layer × layer ${dim} sliced Wasserstein entries move by a median ${Math.round(100 * relativeSpread(study.spread.sliced.raw, L))} % (sd / mean) from seed to seed in activation units, ${Math.round(100 * relativeSpread(study.spread.sliced.rms, L))} % normalised.`,
    `Layer scales (RMS distance to the mean, averaged over the networks): ${study.layers.map((n, l) => `${n} ${formatNumber(Number(scales[l].toPrecision(3)))}`).join(", ")}.`,
  ];
  const verdict: string[] = [];
  const rawV = specificityVerdict(raw);
  const rmsV = specificityVerdict(rms);
  const ckaV = specificityVerdict(cka);
  if (rawV === "near 1" || rawV === "well above chance") {
    verdict.push(
      `Confirmed in the paper's setting: in activation units the ${dim} sliced Wasserstein distance finds a layer again in another seed's network (${formatSpread(raw, 2)}, ${rawV}), so the differences it measures between layers are reproducible, not seed noise.`,
    );
  } else {
    verdict.push(
      `Not confirmed in the paper's setting: in activation units the ${dim} sliced Wasserstein distance finds a layer again in another seed's network only ${formatSpread(raw, 2)} of the time (${rawV}; ${chanceText}).`,
    );
  }
  const ratio = Math.max(...scales) / Math.min(...scales);
  if (rms.mean < raw.mean - 0.15) {
    verdict.push(
      `Much of that is scale: the layers' RMS spreads differ ${Math.round(ratio)}-fold, and a persistence diagram scales with its point cloud, so raw distances between layers largely compare sizes. ` +
        `With each layer divided by its RMS spread, specificity falls to ${formatSpread(rms, 2)} (${rmsV}): the shape of the diagrams alone ${rmsV === "at chance" ? "does not tell the layers apart" : rmsV === "weakly above chance" ? "tells the layers apart only partly" : "still tells most layers apart"}.`,
    );
  } else {
    verdict.push(
      `It is not only scale: with each layer divided by its RMS spread specificity stays ${formatSpread(rms, 2)} (${rmsV}), so the shape of the diagrams tells the layers apart.`,
    );
  }
  verdict.push(
    ckaV === "near 1" || ckaV === "well above chance"
      ? `Linear CKA on the same clouds also finds the layers (${formatSpread(cka, 2)}, ${ckaV}).`
      : `Linear CKA on the same clouds ${ckaV === "at chance" ? "does not find the layers" : "finds the layers only weakly"} (${formatSpread(cka, 2)}, ${ckaV}); the same layer in two networks has CKA ${Math.min(...study.sameLayer.cka).toFixed(2)}–${Math.max(...study.sameLayer.cka).toFixed(2)}. ` +
          `CKA compares the clouds image by image; a likely reason is that an image's top-ℓ2 position differs between two networks, so the same image contributes vectors from different places, while the diagrams need no such correspondence. ` +
          `On these clouds the diagram distance is the more specific measure${rmsV === "at chance" ? ", but only through the layers' scale" : ""} — a comparison the paper's abstract does not settle, and one that may differ for CKA of whole feature maps.`,
  );
  return { claim, measured, verdict };
}

/** Specificity of each measure: mean, sd, range over ordered pairs, per layer, and chance. */
export function specificityTable(study: SeedStudy): ReportTable {
  const dim = `H${study.distanceDim}`;
  const rows: [string, Specificity][] = [
    [`${dim} sliced Wasserstein (activation units)`, study.specificity.sliced.raw],
    [`${dim} sliced Wasserstein (RMS-normalised)`, study.specificity.sliced.rms],
    ["linear CKA", study.specificity.cka],
  ];
  return {
    columns: [
      "measure",
      "specificity (mean)",
      "sd over pairs",
      "min",
      "max",
      ...study.layers,
      "chance",
      "pairs",
    ],
    rows: rows.map(([name, s]) => [
      name,
      formatNumber(s.mean),
      formatNumber(s.sd),
      formatNumber(s.min),
      formatNumber(s.max),
      ...s.perLayer.map(formatNumber),
      formatNumber(s.chance),
      s.pairs,
    ]),
  };
}

/** A layer × layer matrix's mean ± sd over the seeds. */
export function spreadTable(names: string[], spread: MatrixSpread): ReportTable {
  const L = names.length;
  return {
    columns: ["", ...names],
    rows: names.map((a, i) => [
      a,
      ...names.map((_, j) =>
        Number.isFinite(spread.mean[i * L + j])
          ? `${formatNumber(spread.mean[i * L + j])} ± ${formatNumber(spread.sd[i * L + j])}`
          : null,
      ),
    ]),
  };
}

/** Each layer's RMS spread in every network, and the same layer's distance and CKA across networks. */
export function scaleTable(study: SeedStudy): ReportTable {
  const L = study.layers.length;
  return {
    columns: [
      "layer",
      ...study.runs.map((r) => `RMS spread: ${r}`),
      "SW to itself across seeds (raw)",
      "(normalised)",
      "CKA to itself across seeds",
    ],
    rows: study.layers.map((name, l) => [
      name,
      ...study.runs.map((_, r) => formatNumber(study.scales[r * L + l])),
      formatNumber(study.sameLayer.raw[l]),
      formatNumber(study.sameLayer.rms[l]),
      formatNumber(study.sameLayer.cka[l]),
    ]),
  };
}

export function layerTable(result: LayerTopologyResult): ReportTable {
  const dim = result.params.distanceDim;
  return {
    columns: [
      "layer",
      "dimension",
      "scale",
      "enclosing radius",
      "threshold",
      ...result.layers[0].diagrams.map((d) => `H${d.dim} pairs`),
      `longest H${dim} bar`,
      `total H${dim} persistence`,
      "edges",
      "edges after collapse",
    ],
    rows: result.layers.map((l) => {
      const d = l.diagrams[dim];
      let longest = 0;
      let total = 0;
      d.births.forEach((b, i) => {
        const life = Math.min(d.deaths[i], l.threshold) - b;
        longest = Math.max(longest, life);
        total += life;
      });
      return [
        l.name,
        l.dimension,
        formatNumber(l.scale),
        formatNumber(l.enclosingRadius),
        formatNumber(l.threshold),
        ...l.diagrams.map((x) => x.births.length),
        formatNumber(longest),
        formatNumber(total),
        l.edges,
        l.edgesAfterCollapse,
      ];
    }),
  };
}

export function matrixTable(names: string[], matrix: ArrayLike<number>): ReportTable {
  const L = names.length;
  return {
    columns: ["", ...names],
    rows: names.map((a, i) => [
      a,
      ...names.map((_, j) =>
        Number.isFinite(matrix[i * L + j]) ? formatNumber(matrix[i * L + j]) : null,
      ),
    ]),
  };
}

const defined = (value: number): string | null =>
  Number.isFinite(value) ? formatNumber(value) : null;

export function sensitivityTable(result: LayerTopologyResult): ReportTable | null {
  const s = result.sensitivity;
  if (!s) return null;
  return {
    columns: [
      "layer",
      ...s.fractions.flatMap((f) => {
        const pct = `−${Math.round(100 * f)} %`;
        return [
          `${pct}: directions removed`,
          `${pct}: sliced W.`,
          `${pct}: bottleneck`,
          `${pct}: CKA`,
        ];
      }),
    ],
    // CKA of a constant layer (no variance) is undefined: "—", not NaN.
    rows: s.layers.map((l) => [
      l.name,
      ...s.fractions.flatMap((_, i) => [
        l.removed[i],
        defined(l.sliced[i]),
        defined(l.bottleneck[i]),
        defined(l.cka[i]),
      ]),
    ]),
  };
}

/** Rows of the cycle table: the longest bars of a layer. */
const CYCLE_TABLE_BARS = 10;
/** Bundle rows listed per cycle in the table (all of them are in the notebook's export). */
const CYCLE_TABLE_ROWS = 24;

/**
 * The representative cycles of a layer's longest H1 bars: bar index, birth, death, persistence,
 * how many inputs and edges, and the bundle rows in walk order. null without cycles.
 */
export function cycleTable(
  result: Pick<LayerTopologyResult, "layers" | "sample">,
  layer: string,
  bars = CYCLE_TABLE_BARS,
): ReportTable | null {
  const l = result.layers.find((x) => x.name === layer);
  if (!l?.cycles || !l.diagrams[1]) return null;
  const h1 = l.diagrams[1];
  const order = Array.from(h1.births, (_, i) => i)
    .sort((a, b) => h1.deaths[b] - h1.births[b] - (h1.deaths[a] - h1.births[a]) || a - b)
    .slice(0, bars);
  return {
    columns: [
      "H1 bar",
      "birth",
      "death",
      "persistence",
      "inputs",
      "edges",
      "bundle rows (walk order)",
    ],
    rows: order.map((i) => {
      const c = cycleRows(result, layer, i);
      const rows = c ? c.edges.map(([from]) => from) : [];
      return [
        i,
        formatNumber(h1.births[i]),
        Number.isFinite(h1.deaths[i]) ? formatNumber(h1.deaths[i]) : "∞",
        formatNumber(Math.min(h1.deaths[i], l.threshold) - h1.births[i]),
        c ? c.rows.length : 0,
        c ? c.edges.length : 0,
        rows.length > CYCLE_TABLE_ROWS
          ? `${rows.slice(0, CYCLE_TABLE_ROWS).join(" ")} …`
          : rows.join(" "),
      ];
    }),
  };
}

/** The bar whose cycle is drawn: the one asked for when the layer has it, else the longest. */
export function shownBar(layer: LayerDiagrams, bar: number | "auto" | undefined): number {
  const h1 = layer.diagrams[1];
  if (!h1) return -1;
  return typeof bar === "number" && bar >= 0 && bar < h1.births.length ? bar : longestBar(h1);
}

/**
 * What the point clouds are when they are a subsample: "Point clouds of 300 of 449 test images
 * drawn (seed 42)." (or "(farthest points)"), or "" when they hold every row of the split.
 * Persistence costs far more than O(N²), so the clouds are a subsample by default; every figure
 * made from them carries these words.
 */
export function pointCloudText(
  bundle: AnalysisBundle,
  result: Pick<LayerTopologyResult, "sample" | "params">,
): string {
  const p = result.params;
  const text = subsampleText(result.sample.length, poolRows(bundle, p.split).length, {
    noun: p.split === "test" ? "test images" : "samples",
    ...(p.sampling === "random"
      ? { seed: p.seed }
      : { method: "farthest points of the first layer" }),
  });
  return text ? `Point clouds of ${text}.` : "";
}

export interface LayerTopologyView {
  /** Layer whose barcode and diagram are drawn. */
  layer: string;
  /** H1 bar of that layer whose cycle is drawn ("auto": the longest). */
  bar?: number | "auto";
  /** Metric of the distance heatmap. */
  metric: LayerDistanceMetric;
  /** Measure of the sensitivity curves. */
  sensitivity?: "sliced" | "bottleneck" | "cka";
}

/** The drawn bar's cycle over the layer's cloud, and the table of the longest bars' cycles. */
function cycleSections(
  bundle: AnalysisBundle,
  result: LayerTopologyResult,
  layer: LayerDiagrams,
  bar: number | "auto" | undefined,
  document: Document,
): ReportSpec["sections"] {
  const table = cycleTable(result, layer.name);
  if (!layer.cycles || !table) return [];
  const i = shownBar(layer, bar);
  const loop = i >= 0 ? layer.cycles.loops[i] : undefined;
  const h1 = layer.diagrams[1];
  const thumbs = thumbnails(bundle.inputs);
  const explained = layer.cycles.explained.map((v) => `${Math.round(100 * v)} %`);
  return [
    {
      title: `Representative cycle of H1 bar ${i} of ${layer.name}`,
      text: `A cycle is the loop of inputs behind an H1 bar: the inputs whose vectors it joins, by edges no longer than the bar's birth in the layer's own space, closed into a loop that is not filled in until the bar's death. Drawn over the layer's ${count(result.sample.length, "point")} on their first two principal components (${explained.join(" and ")} of the variance); the plane only places the points.`,
      ...(loop && loop.length
        ? {
            figure: cycleOverlay(layer.cycles.plane, loop, {
              document,
              rowOf: (k) => result.sample[k],
              thumbnail: thumbs ? (row) => thumbs.url(row) : undefined,
              describe: (row) => describeSample(bundle, row),
              bar: { layer: layer.name, index: i, birth: h1.births[i], death: h1.deaths[i] },
              exports: false,
              xLabel: `PC1 (${explained[0]})`,
              yLabel: `PC2 (${explained[1]})`,
            }),
          }
        : {}),
      table,
    },
  ];
}

export function layerTopologyReport(
  bundle: AnalysisBundle,
  result: LayerTopologyWithSeeds,
  view: LayerTopologyView,
  context: ReportContext,
): ReportSpec {
  const document = context.document ?? globalThis.document;
  const layer = result.layers.find((l) => l.name === view.layer) ?? result.layers[0];
  const names = result.layers.map((l) => l.name);
  const p = result.params;
  const unit = p.normalize === "rms" ? "layer RMS units" : "activation units";
  const dim = p.distanceDim;
  const clouds = pointCloudText(bundle, result);
  const sections: ReportSpec["sections"] = [
    {
      title: "Layers as point clouds",
      text: `Each layer is ${count(result.sample.length, p.split === "test" ? "test image" : "sample")} (the same rows in every layer, ${p.sampling === "random" ? `seeded random choice, seed ${p.seed}` : "greedy farthest points of the first layer"}), conv maps as ${p.vectorize} vectors${p.normalize === "rms" ? ", each layer divided by its RMS spread" : ", in each layer's own units (as the paper)"}. Essential classes are capped at each layer's Rips threshold before any distance (infinite policy "${result.infinite}").`,
      table: layerTable(result),
    },
    {
      title: `Barcode of ${layer.name}`,
      text: clouds || undefined,
      figure: barcode(layer.diagrams, layer.threshold, { unit, document }),
    },
    {
      title: `Persistence diagram of ${layer.name}`,
      text: clouds || undefined,
      figure: persistencePlot(layer.diagrams, layer.threshold, { unit, document }),
    },
    ...cycleSections(bundle, result, layer, view.bar, document),
    {
      title: `H${dim} ${METRIC_LABELS[view.metric]} distance between layers`,
      text:
        [
          view.metric === "wasserstein"
            ? `W1 by the auction algorithm, each entry within a proven relative error of ${formatNumber(result.wassersteinErrorBound)}.`
            : "",
          clouds,
        ]
          .filter(Boolean)
          .join(" ") || undefined,
      figure: layerHeatmap(names, result.distances[view.metric], {
        label: `${METRIC_LABELS[view.metric]} (${unit})`,
        document,
      }),
      table: matrixTable(names, result.distances[view.metric]),
    },
    {
      title: `Linear CKA${p.ckaDebiased ? " (debiased)" : ""} between layers`,
      text: clouds || undefined,
      figure: layerHeatmap(names, result.cka, {
        label: "CKA (1 = same up to rotation and scale)",
        scheme: "magma",
        domain: [0, 1],
        document,
      }),
      table: matrixTable(names, result.cka),
    },
  ];
  const seeds = result.seeds;
  if (seeds) {
    const f = seedStudyFindings(seeds);
    const dimLabel = `H${seeds.distanceDim}`;
    sections.unshift(
      {
        title: "The paper's claim and what we measured over seeds",
        text: claimText(f),
        figure: specificityChart(seeds, { document }),
        table: specificityTable(seeds),
      },
      {
        title: `${dimLabel} sliced Wasserstein between layers over ${seeds.runs.length} seeds (activation units)`,
        figure: spreadHeatmap(seeds.layers, seeds.spread.sliced.raw, {
          label: "mean over seeds (activation units)",
          document,
        }),
        table: spreadTable(seeds.layers, seeds.spread.sliced.raw),
      },
      {
        title: `${dimLabel} sliced Wasserstein between layers over ${seeds.runs.length} seeds (RMS-normalised)`,
        figure: spreadHeatmap(seeds.layers, seeds.spread.sliced.rms, {
          label: "mean over seeds (layer RMS units)",
          document,
        }),
        table: spreadTable(seeds.layers, seeds.spread.sliced.rms),
      },
      {
        title: `Linear CKA between layers over ${seeds.runs.length} seeds`,
        figure: spreadHeatmap(seeds.layers, seeds.spread.cka, {
          label: "mean CKA over seeds",
          scheme: "magma",
          domain: [0, 1],
          document,
        }),
        table: spreadTable(seeds.layers, seeds.spread.cka),
      },
      {
        title: "Layer scales in every network",
        figure: scaleChart(seeds, { document }),
        table: scaleTable(seeds),
      },
    );
  }
  const table = sensitivityTable(result);
  if (result.sensitivity && table) {
    sections.push({
      title: "Sensitivity test",
      text: `Each layer projected on its top singular directions (uncentred SVD), removing the ${result.sensitivity.remove === "lowest" ? "least" : "most"} significant ones; distance of the projection's H${dim} diagram to the original, and CKA between the layer and its projection.`,
      figure: sensitivityCurves(result.sensitivity, view.sensitivity ?? "sliced", {
        unit,
        document,
      }),
      table,
    });
  }
  return {
    notebook: "layer-topology",
    title: `Layer topology · ${bundle.name}`,
    description: LAYER_TOPOLOGY_CLAIMS,
    dataset: {
      name: bundle.name,
      sha256: context.sha256,
      samples: bundle.samples,
      task: bundle.task,
    },
    parameters: {
      layer: layer.name,
      ...(layer.cycles && { bar: shownBar(layer, view.bar) }),
      metric: view.metric,
      vectorize: p.vectorize,
      samples: result.sample.length,
      sampling: p.sampling,
      maxdim: p.maxdim,
      radiusScale: p.radiusScale === 1 ? "enclosing radius" : `${p.radiusScale} × enclosing radius`,
      normalize: p.normalize,
      split: p.split,
      distanceDim: p.distanceDim,
      ...(seeds && { seedStudy: seeds.runs.join(", ") }),
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
