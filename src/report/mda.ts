/**
 * The mda notebook's report, tables and findings (shared by the notebook and the CLI).
 */
import type { MdaAnalysisResult, MdaMethod, MdaPanel } from "../analyses/mda.ts";
import type { AnalysisBundle, SampleColumn } from "../analyses/columns.ts";
import { formatNumber } from "../analyses/columns.ts";
import { embeddingScatter } from "../views/scatter.ts";
import { VERSION } from "../version.ts";
import type { ReportContext } from "./report.ts";
import type { ReportSpec, ReportTable } from "./report.ts";

/** What the paper claims, and what we reproduce (specs/mda.md). */
export const MDA_CLAIMS =
  "Islam et al. (Nat. Commun. 14:8506, 2023) claim that the features of a trained regression network form a continuum ordered by the target, " +
  "which MDA (output-manifold groups → Bayesian supervised projection → UMAP) shows as one smooth arc coloured 0 → 1 at every layer, while t-SNE " +
  "and UMAP of the same features break it into blobs or short strands; before training the MDA picture is mixed. They score layouts by the Pearson " +
  "correlation of geodesic distances (kNN graphs) between the features and the 2-D layout. MDA here follows the released code (Euclidean output " +
  "manifold, NumPy 'auto' bins, Gönen's BSDR with R = 16 written from its equations); its 2-D step is seeded UMAP SGD instead of the unseeded Keras loop.";

export const METHOD_LABELS: Record<MdaMethod, string> = { mda: "MDA", tsne: "t-SNE", umap: "UMAP", pca: "PCA", isomap: "Isomap" };

/** Geodesic-correlation table: one row per layer × stage, Pearson (Spearman) per method. */
export function correlationTable(result: MdaAnalysisResult): ReportTable {
  const methods = result.params.methods;
  const classification = result.task === "classification";
  return {
    columns: ["layer", "stage", "dim", ...methods.map((m) => `${METHOD_LABELS[m]} r (ρ)`), ...(classification ? methods.map((m) => `${METHOD_LABELS[m]} 5-NN acc`) : []), ...methods.map((m) => `${METHOD_LABELS[m]} trust.`)],
    rows: result.panels.map((p) => [
      p.layer,
      p.stage === "trained" ? "after training" : "before training",
      p.dimension,
      ...methods.map((m) => (p.correlation[m] ? `${formatNumber(p.correlation[m]!.pearson)} (${formatNumber(p.correlation[m]!.spearman)})` : "—")),
      ...(classification ? methods.map((m) => (p.accuracy[m] === undefined ? "—" : formatNumber(p.accuracy[m]!))) : []),
      ...methods.map((m) => (p.trustworthiness[m] === undefined ? "—" : formatNumber(p.trustworthiness[m]!))),
    ]),
  };
}

/** One paragraph: which method keeps the geodesics best, and MDA before vs after training. */
export function mdaFindings(result: MdaAnalysisResult): string {
  const trained = result.panels.filter((p) => p.stage === "trained");
  if (!trained.length) return "";
  const best = (p: MdaPanel) => {
    let top: MdaMethod = result.params.methods[0];
    for (const m of result.params.methods) if ((p.correlation[m]?.pearson ?? -1) > (p.correlation[top]?.pearson ?? -1)) top = m;
    return top;
  };
  const parts = trained.map((p) => `${p.layer}: best ${METHOD_LABELS[best(p)]} (r = ${formatNumber(p.correlation[best(p)]!.pearson)})${p.correlation.mda ? `, MDA r = ${formatNumber(p.correlation.mda.pearson)}` : ""}`);
  let text = `Geodesic Pearson r after training — ${parts.join("; ")}.`;
  const initial = result.panels.filter((p) => p.stage === "initial" && p.correlation.mda);
  if (initial.length) {
    text += ` Before training MDA's r is ${initial.map((p) => `${formatNumber(p.correlation.mda!.pearson)} (${p.layer})`).join(", ")}: the untrained network's predictions are nearly constant, so its groups carry no information and the MDA layout has no continuum, as the paper describes.`;
  }
  return text;
}

/** The colour column in the shape the scatter view takes. */
export function colourColumn(result: MdaAnalysisResult): SampleColumn {
  return { title: result.colour.title, type: result.colour.type, values: result.colour.values, classNames: result.colour.classNames };
}

export interface MdaView {
  /** Layer whose layouts are drawn. */
  layer: string;
}

export function mdaReport(bundle: AnalysisBundle, result: MdaAnalysisResult, view: MdaView, context: ReportContext): ReportSpec {
  const document = context.document ?? globalThis.document;
  const p = result.params;
  const color = colourColumn(result);
  const sections: ReportSpec["sections"] = [
    { title: "Geodesic-distance correlation per method and layer", text: `${mdaFindings(result)}\n\nr: Pearson, ρ: Spearman, over all pairs of the ${result.samples.length} samples connected in both ${p.k}-NN graphs; trust.: trustworthiness (k = 10).`, table: correlationTable(result) },
  ];
  for (const panel of result.panels.filter((q) => q.layer === view.layer)) {
    for (const m of p.methods) {
      const Y = panel.embeddings[m];
      if (!Y) continue;
      const x = Float64Array.from({ length: Y.rows }, (_, i) => Y.data[2 * i]);
      const y = Float64Array.from({ length: Y.rows }, (_, i) => Y.data[2 * i + 1]);
      const fig = embeddingScatter({ x, y }, { color, xLabel: `${METHOD_LABELS[m]} 1 (arbitrary units)`, yLabel: `${METHOD_LABELS[m]} 2 (arbitrary units)`, width: 420, document });
      sections.push({ title: `${panel.layer}, ${panel.stage === "trained" ? "after" : "before"} training: ${METHOD_LABELS[m]} (r = ${formatNumber(panel.correlation[m]!.pearson)})`, figure: fig });
    }
  }
  return {
    notebook: "mda",
    title: `Manifold discovery and analysis · ${bundle.name}`,
    description: MDA_CLAIMS,
    dataset: { name: bundle.name, sha256: context.sha256, samples: bundle.samples, task: bundle.task },
    parameters: {
      layer: view.layer, points: result.samples.length, vectorize: p.vectorize, k: p.k, groups: String(p.groups), components: p.components, iterations: p.iterations,
      mode: p.mode, perplexity: p.perplexity, nNeighbors: p.nNeighbors, isomapNeighbors: p.isomapNeighbors, stages: p.stages.join(", "), methods: p.methods.join(", "),
    },
    seed: p.seed,
    version: VERSION,
    date: context.date ?? new Date().toISOString(),
    sections,
  };
}
