/**
 * The mapper notebook's report, findings text and tables (shared by the notebook and the CLI).
 */
import { epsNeighborOf } from "../analyses/mapper.ts";
import type {
  MapperAnalysisResult,
  MapperLayerResult,
  MapperSeedStudy,
  ResolvedMapperAnalysisParams,
} from "../analyses/mapper.ts";
import type { AnalysisBundle } from "../analyses/columns.ts";
import { formatNumber } from "../analyses/columns.ts";
import { claimText, type ClaimFindings } from "../analyses/seed-study.ts";
import type { NodeColoring } from "../analyses/mapper.ts";
import {
  describeNode,
  mapperGraph,
  purityChart,
  seedPurityChart,
  type PurityByLayer,
} from "../views/mapper.ts";
import { count } from "../views/text.ts";
import { VERSION } from "../version.ts";
import type { ReportContext } from "./report.ts";
import type { ReportSpec, ReportTable } from "./report.ts";

/** What the papers report: Purvine et al.'s mapper settings and findings, and TopoAct's. */
export const MAPPER_CLAIMS =
  "Mapper (Singh, Mémoli & Carlsson 2007) summarises a point cloud as a graph: a lens (here the ℓ2 norm of each activation vector, as in both papers) " +
  "is covered by overlapping intervals, the original vectors in each interval are clustered (DBSCAN), and clusters sharing points are linked. " +
  "TopoAct (Rathore et al. 2021) and Purvine et al. (2023) draw each node as a pie of the classes it holds. Both report that early layers mix classes " +
  "while deeper layers give class-pure branches, with coarse groupings (e.g. vehicles vs animals) separating before fine classes.";

/** The claim both papers make, in one sentence each reader can check against our numbers. */
export const MAPPER_CLAIM =
  "TopoAct (Rathore et al., CGF 2021) and Purvine et al. (AAAI 2023): in the Mapper graphs of a trained classifier's layers, early layers mix the classes, " +
  "while deeper layers give class-pure branches — purity rises with depth — with coarse groupings separating before fine classes.";

const pmText = (mean: number, sd: number, min: number, max: number, digits = 2) =>
  `${mean.toFixed(digits)} ± ${sd.toFixed(digits)} (${min.toFixed(digits)}–${max.toFixed(digits)})`;

/** Mean, sample sd, min and max of a list. */
function stats(values: number[]): { mean: number; sd: number; min: number; max: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd =
    values.length > 1
      ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1))
      : 0;
  return { mean, sd, min: Math.min(...values), max: Math.max(...values) };
}

/** Purity counts as rising from one layer to the next unless it falls by more than this. */
const RISE_TOLERANCE = 0.02;

/**
 * The headline of the notebook and the report: the papers' claim, what we measured over the
 * seeds (mean ± sd and range), and where that confirms the claim, where not, and why.
 */
export function mapperSeedFindings(study: MapperSeedStudy): ClaimFindings {
  const S = study.runs.length;
  const L = study.layers.length;
  const { purity, lost } = study.spread;
  const change = study.purity.map((p) => p[L - 1] - p[0]);
  const c = stats(change);
  const rising = change.filter((d) => d > 0).length;
  const monotone = study.purity.filter((p) =>
    p.every((v, l) => l === 0 || v >= p[l - 1] - RISE_TOLERANCE),
  ).length;
  const measured = [
    `${S} networks of one architecture trained from different seeds (${study.runs.join(", ")}), on the same ${study.samples} ${study.split === "test" ? "test " : ""}inputs; preset ${JSON.stringify(study.preset)}; ${L} layers.`,
    `Purity (mean over nodes of 1 / classes present), mean ± sd (min–max) over the networks: ${study.layers.map((n, l) => `${n} ${pmText(purity.mean[l], purity.sd[l], purity.min[l], purity.max[l])}`).join("; ")}.`,
    `From the first layer to the last, purity changes by ${c.mean >= 0 ? "+" : ""}${pmText(c.mean, c.sd, c.min, c.max)}: it rises in ${rising} of ${S} networks, and at every layer (allowing dips of ${RISE_TOLERANCE}) in ${monotone} of ${S}.`,
    `Inputs in no node (DBSCAN noise or skipped intervals): ${(100 * lost.mean[0]).toFixed(1)} ± ${(100 * lost.sd[0]).toFixed(1)} % in ${study.layers[0]}, ${(100 * lost.mean[L - 1]).toFixed(1)} ± ${(100 * lost.sd[L - 1]).toFixed(1)} % in ${study.layers[L - 1]}.`,
  ];
  const verdict: string[] = [];
  if (rising === S && c.mean > 0.05) {
    verdict.push(
      `Confirmed for these networks: deeper layers give purer graphs in every one of the ${S} networks (${monotone === S ? "at every layer" : `at every layer in ${monotone} of them`}), by ${c.mean.toFixed(2)} on average, well beyond the seed-to-seed spread (sd ${c.sd.toFixed(2)}).`,
    );
  } else if (c.mean > 0 && rising * 2 >= S) {
    verdict.push(
      `Partly confirmed: purity is higher in the last layer than in the first on average (+${c.mean.toFixed(2)}) and in ${rising} of ${S} networks, but not in all, so one network's graphs would not show it reliably.`,
    );
  } else {
    verdict.push(
      `Not confirmed: over the ${S} networks purity does not rise from the first layer to the last (change ${c.mean >= 0 ? "+" : ""}${c.mean.toFixed(2)} ± ${c.sd.toFixed(2)}).`,
    );
  }
  if (Math.abs(lost.mean[L - 1] - lost.mean[0]) > 0.1) {
    verdict.push(
      `A caution: the share of inputs in no node moves from ${(100 * lost.mean[0]).toFixed(0)} % to ${(100 * lost.mean[L - 1]).toFixed(0)} %, so the layers' purities speak for different numbers of inputs.`,
    );
  }
  verdict.push(
    "Purity depends on the graph's resolution as well as on the layer — smaller nodes are purer — so layers are compared under one preset; the other presets move every layer's number. " +
      "Not tested here: the papers' coarse-before-fine order of classes, and their scale (GoogLeNet/ResNet-18 on ImageNet and CIFAR, against our small networks on 8 × 8 digits and Fashion-MNIST).",
  );
  return { claim: MAPPER_CLAIM, measured, verdict };
}

/** Per layer: purity and lost share over the seeds, and each network's purity. */
export function seedPurityTable(study: MapperSeedStudy): ReportTable {
  const { purity, lost } = study.spread;
  return {
    columns: [
      "layer",
      "purity: mean ± sd",
      "min–max",
      "lost share: mean ± sd",
      ...study.runs.map((r) => `purity: ${r}`),
    ],
    rows: study.layers.map((layer, l) => [
      layer,
      `${purity.mean[l].toFixed(3)} ± ${purity.sd[l].toFixed(3)}`,
      `${purity.min[l].toFixed(3)}–${purity.max[l].toFixed(3)}`,
      `${(100 * lost.mean[l]).toFixed(1)} ± ${(100 * lost.sd[l]).toFixed(1)} %`,
      ...study.purity.map((p) => Number(p[l].toFixed(3))),
    ]),
  };
}

/** Purity rows (by true label, else by prediction) for the small-multiples chart. */
export function purityRows(layers: MapperLayerResult[]): PurityByLayer[] {
  return layers.map((l) => {
    const p = l.purity.label ?? l.purity.prediction;
    return {
      layer: l.layer,
      meanInverseClasses: p?.meanInverseClasses ?? NaN,
      weightedMajority: p?.weightedMajority ?? NaN,
      nodes: l.nodes.length,
      lostShare: l.lost.length / Math.max(1, l.samples),
    };
  });
}

const defined = (value: number | undefined): string | null =>
  value !== undefined && Number.isFinite(value) ? formatNumber(value) : null;

export function layerSummaryTable(layers: MapperLayerResult[]): ReportTable {
  return {
    columns: [
      "layer",
      "dimension",
      "ε (rule)",
      "neighbours",
      "nodes",
      "edges",
      "components",
      "cycles",
      "points lost",
      "purity (1/classes)",
      "majority share",
      "purity vs prediction",
    ],
    rows: layers.map((l) => [
      l.layer,
      l.dimension,
      `${formatNumber(l.eps)} (${l.epsRule})`,
      neighborsText(l.neighbors),
      l.nodes.length,
      l.links.length,
      l.componentCount,
      l.cycles,
      `${l.lost.length} (${((100 * l.lost.length) / Math.max(1, l.samples)).toFixed(1)} %)`,
      // A graph with no nodes (every point lost) has no purity: "—", not NaN.
      defined(l.purity.label?.meanInverseClasses),
      defined(l.purity.label?.weightedMajority),
      defined(l.purity.prediction?.meanInverseClasses),
    ]),
  };
}

/** How a layer's neighbours were found: "exact", or NN-descent with its recall; and a capped ε-graph. */
export function neighborsText(n: MapperLayerResult["neighbors"]): string {
  const lists =
    n.method === "exact"
      ? "exact"
      : `NN-descent (recall ${formatNumber(n.recall)} on ${n.recallRows} rows)`;
  return n.capped ? `${lists}; ε-graph capped at ${n.k} for ${n.beyondCap} rows` : lists;
}

/** What the purity-by-layer numbers show, against the papers' claim. */
export function mapperFindings(layers: MapperLayerResult[]): string {
  const rows = purityRows(layers).filter((r) => Number.isFinite(r.meanInverseClasses));
  if (rows.length < 2) return "";
  const first = rows[0];
  const last = rows[rows.length - 1];
  const rises = rows
    .slice(1)
    .filter((r, i) => r.meanInverseClasses >= rows[i].meanInverseClasses - 0.02).length;
  const trend =
    last.meanInverseClasses > first.meanInverseClasses + 0.05
      ? rises === rows.length - 1
        ? "rises at every layer, as the papers report"
        : "is higher in the last layer than in the first, as the papers report, though not at every step"
      : last.meanInverseClasses < first.meanInverseClasses - 0.05
        ? "falls from the first to the last layer, against the papers' finding"
        : "stays about the same across layers: these graphs do not show the papers' finding";
  return (
    `Purity (mean over nodes of 1 / classes present) goes ${rows.map((r) => `${r.layer} ${formatNumber(r.meanInverseClasses)}`).join(" → ")}: it ${trend}. ` +
    `The size-weighted majority share goes ${formatNumber(first.weightedMajority)} → ${formatNumber(last.weightedMajority)}; ` +
    `${formatNumber(first.lostShare * 100)} % → ${formatNumber(last.lostShare * 100)} % of the points are in no node (DBSCAN noise or skipped intervals).`
  );
}

/** Members of a node by class, most frequent first: [class name, count, share]. */
export function nodeClassTable(
  node: MapperLayerResult["nodes"][number],
  classNames: string[],
): ReportTable {
  const counts = node.labelCounts ?? node.predictionCounts ?? [];
  return {
    columns: ["class", "members", "share of node"],
    rows: counts
      .map(
        (c, k) =>
          [classNames[k] ?? String(k), c, formatNumber(c / node.size)] as [string, number, string],
      )
      .filter((r) => r[1] > 0)
      .sort((a, b) => b[1] - a[1]),
  };
}

export interface MapperView {
  /** Layer whose graph is drawn. */
  layer: string;
  color: NodeColoring;
  minJaccard: number;
}

/** A Mapper result with, when the bundle has seed siblings, their study (the notebook adds it). */
export type MapperWithSeeds = MapperAnalysisResult & { seeds?: MapperSeedStudy | null };

export function mapperReport(
  bundle: AnalysisBundle,
  result: MapperWithSeeds,
  view: MapperView,
  context: ReportContext,
): ReportSpec {
  const document = context.document ?? globalThis.document;
  const layer =
    result.layers.find((l) => l.layer === view.layer) ?? result.layers[result.layers.length - 1];
  const p: ResolvedMapperAnalysisParams = result.params;
  const seeds = result.seeds;
  const f = seeds ? mapperSeedFindings(seeds) : null;
  const sections: ReportSpec["sections"] = [
    seeds && f
      ? {
          title: "The papers' claim and what we measured over seeds",
          text: claimText(f),
          figure: seedPurityChart(seeds, { document }),
          table: seedPurityTable(seeds),
        }
      : {
          title: "The papers' claim",
          text: `${MAPPER_CLAIM}\n\nNo seed study for ${JSON.stringify(bundle.name)}: it needs the same network trained from other seeds and recorded on the same inputs (bundles named ${bundle.name}-seed1 …), so the numbers below are one network's, with no spread.`,
        },
    {
      title: "Purity across layers",
      text: mapperFindings(result.layers),
      figure: purityChart(purityRows(result.layers), {
        document,
        by: layer.purity.label ? "true labels" : "predictions",
      }),
      table: layerSummaryTable(result.layers),
    },
    {
      title: `Mapper graph of ${layer.layer}`,
      text: `${count(layer.nodes.length, "node")}, ${count(layer.links.length, "edge")} (${layer.links.filter((l) => l[2] >= view.minJaccard).length} at Jaccard ≥ ${view.minJaccard}), ${count(layer.componentCount, "component")}, ${count(layer.cycles, "independent cycle")}; ${layer.lost.length} of ${count(layer.samples, "point")} in no node.`,
      figure: mapperGraph(layer, {
        color: view.color,
        classNames: result.classNames,
        minJaccard: view.minJaccard,
        document,
      }),
    },
    {
      title: `Largest nodes of ${layer.layer}`,
      table: {
        columns: ["node", "size", "summary"],
        rows: [...layer.nodes]
          .sort((a, b) => b.size - a.size)
          .slice(0, 15)
          .map((n) => [n.id, n.size, describeNode(n, result.classNames)]),
      },
    },
  ];
  return {
    notebook: "mapper",
    title: `Mapper graphs · ${bundle.name}`,
    description: MAPPER_CLAIMS,
    dataset: {
      name: bundle.name,
      sha256: context.sha256,
      samples: bundle.samples,
      task: bundle.task,
    },
    parameters: {
      layer: layer.layer,
      preset: p.preset,
      vectorize: p.vectorize,
      lens: p.lens,
      intervals: p.intervals,
      overlap: p.overlap,
      cover: p.cover,
      eps:
        p.eps === "auto"
          ? `auto (${formatNumber(layer.eps)}, ${layer.epsRule} of the distances to the ${ordinal(epsNeighborOf(p, layer.neighbors.k))} neighbour)`
          : p.eps,
      minSamples: p.minSamples,
      minIntersection: p.minIntersection,
      neighbors: p.neighbors,
      color: view.color,
      minJaccard: view.minJaccard,
      ...(seeds && { seedStudy: seeds.runs.join(", ") }),
    },
    seed: p.seed,
    version: VERSION,
    date: context.date ?? new Date().toISOString(),
    sections,
  };
}

/** 1st, 2nd, 3rd, 4th … */
function ordinal(k: number): string {
  const tens = k % 100;
  return `${k}${tens >= 11 && tens <= 13 ? "th" : (["th", "st", "nd", "rd"][k % 10] ?? "th")}`;
}
