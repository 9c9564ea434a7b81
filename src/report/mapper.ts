/**
 * The mapper notebook's report, findings text and tables (shared by the notebook and the CLI).
 */
import { epsNeighborOf } from "../analyses/mapper.ts";
import type { MapperAnalysisResult, MapperLayerResult, ResolvedMapperAnalysisParams } from "../analyses/mapper.ts";
import type { AnalysisBundle } from "../analyses/columns.ts";
import { formatNumber } from "../analyses/columns.ts";
import type { NodeColoring } from "../analyses/mapper.ts";
import { describeNode, mapperGraph, purityChart, type PurityByLayer } from "../views/mapper.ts";
import { count } from "../views/text.ts";
import { VERSION } from "../version.ts";
import type { ReportContext } from "./report.ts";
import type { ReportSpec, ReportTable } from "./report.ts";

/** What the papers report (specs/tda.md §1.4, §2). */
export const MAPPER_CLAIMS =
  "Mapper (Singh, Mémoli & Carlsson 2007) summarises a point cloud as a graph: a lens (here the ℓ2 norm of each activation vector, as in both papers) " +
  "is covered by overlapping intervals, the original vectors in each interval are clustered (DBSCAN), and clusters sharing points are linked. " +
  "TopoAct (Rathore et al. 2021) and Purvine et al. (2023) draw each node as a pie of the classes it holds. Both report that early layers mix classes " +
  "while deeper layers give class-pure branches, with coarse groupings (e.g. vehicles vs animals) separating before fine classes.";

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

export function layerSummaryTable(layers: MapperLayerResult[]): ReportTable {
  return {
    columns: ["layer", "dimension", "ε (rule)", "neighbours", "nodes", "edges", "components", "cycles", "points lost", "purity (1/classes)", "majority share", "purity vs prediction"],
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
      l.purity.label ? formatNumber(l.purity.label.meanInverseClasses) : null,
      l.purity.label ? formatNumber(l.purity.label.weightedMajority) : null,
      l.purity.prediction ? formatNumber(l.purity.prediction.meanInverseClasses) : null,
    ]),
  };
}

/** How a layer's neighbours were found: "exact", or NN-descent with its recall; and a capped ε-graph. */
export function neighborsText(n: MapperLayerResult["neighbors"]): string {
  const lists = n.method === "exact" ? "exact" : `NN-descent (recall ${formatNumber(n.recall)} on ${n.recallRows} rows)`;
  return n.capped ? `${lists}; ε-graph capped at ${n.k} for ${n.beyondCap} rows` : lists;
}

/** What the purity-by-layer numbers show, against the papers' claim. */
export function mapperFindings(layers: MapperLayerResult[]): string {
  const rows = purityRows(layers).filter((r) => Number.isFinite(r.meanInverseClasses));
  if (rows.length < 2) return "";
  const first = rows[0];
  const last = rows[rows.length - 1];
  const rises = rows.slice(1).filter((r, i) => r.meanInverseClasses >= rows[i].meanInverseClasses - 0.02).length;
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
export function nodeClassTable(node: MapperLayerResult["nodes"][number], classNames: string[]): ReportTable {
  const counts = node.labelCounts ?? node.predictionCounts ?? [];
  return {
    columns: ["class", "members", "share of node"],
    rows: counts
      .map((c, k) => [classNames[k] ?? String(k), c, formatNumber(c / node.size)] as [string, number, string])
      .filter((r) => r[1] > 0)
      .sort((a, b) => b[1] - a[1]),
  };
}

export interface MapperView {
  /** Layer whose graph is drawn. */
  layer: string;
  color: NodeColoring;
  threshold: number;
}

export function mapperReport(bundle: AnalysisBundle, result: MapperAnalysisResult, view: MapperView, context: ReportContext): ReportSpec {
  const document = context.document ?? globalThis.document;
  const layer = result.layers.find((l) => l.layer === view.layer) ?? result.layers[result.layers.length - 1];
  const p: ResolvedMapperAnalysisParams = result.params;
  const sections: ReportSpec["sections"] = [
    { title: "Purity across layers", text: mapperFindings(result.layers), figure: purityChart(purityRows(result.layers), { document, by: layer.purity.label ? "true labels" : "predictions" }), table: layerSummaryTable(result.layers) },
    {
      title: `Mapper graph of ${layer.layer}`,
      text: `${count(layer.nodes.length, "node")}, ${count(layer.links.length, "edge")} (${layer.links.filter((l) => l[2] >= view.threshold).length} at Jaccard ≥ ${view.threshold}), ${count(layer.componentCount, "component")}, ${count(layer.cycles, "independent cycle")}; ${layer.lost.length} of ${count(layer.samples, "point")} in no node.`,
      figure: mapperGraph(layer, { color: view.color, classNames: result.classNames, threshold: view.threshold, document }),
    },
    {
      title: `Largest nodes of ${layer.layer}`,
      table: {
        columns: ["node", "size", "summary"],
        rows: [...layer.nodes].sort((a, b) => b.size - a.size).slice(0, 15).map((n) => [n.id, n.size, describeNode(n, result.classNames)]),
      },
    },
  ];
  return {
    notebook: "mapper",
    title: `Mapper graphs · ${bundle.name}`,
    description: MAPPER_CLAIMS,
    dataset: { name: bundle.name, sha256: context.sha256, samples: bundle.samples, task: bundle.task },
    parameters: {
      layer: layer.layer,
      preset: p.preset,
      vectorize: p.vectorize,
      lens: p.lens,
      intervals: p.intervals,
      overlap: p.overlap,
      cover: p.cover,
      eps: p.eps === "auto" ? `auto (${formatNumber(layer.eps)}, ${layer.epsRule} of the distances to the ${ordinal(epsNeighborOf(p, layer.neighbors.k))} neighbour)` : p.eps,
      minSamples: p.minSamples,
      minIntersection: p.minIntersection,
      neighbors: p.neighbors,
      color: view.color,
      jaccardThreshold: view.threshold,
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
