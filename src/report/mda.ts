/**
 * The mda notebook's report, tables and findings (shared by the notebook and the CLI).
 */
import type {
  GeodesicCorrelation,
  MdaAnalysisResult,
  MdaMethod,
  MdaPanel,
  MdaSeedStudy,
  MethodSpread,
  SeedSpread,
} from "../analyses/mda.ts";
import {
  claimText,
  clearlyApart,
  formatSpread,
  type ClaimFindings,
} from "../analyses/seed-study.ts";
import type { AnalysisBundle, SampleColumn } from "../analyses/columns.ts";
import { formatNumber } from "../analyses/columns.ts";
import { pointScatter } from "../views/point-scatter.ts";
import { subsampleText } from "../views/caption.ts";
import { count } from "../views/text.ts";
import { VERSION } from "../version.ts";
import type { ReportContext } from "./report.ts";
import type { ReportSpec, ReportTable } from "./report.ts";

/** What the paper claims, and what we reproduce. */
export const MDA_CLAIMS =
  "Islam et al. (Nat. Commun. 14:8506, 2023) claim that the features of a trained regression network form a continuum ordered by the target, " +
  "which MDA (output-manifold groups → Bayesian supervised projection → UMAP) shows as one smooth arc coloured 0 → 1 at every layer, while t-SNE " +
  "and UMAP of the same features break it into blobs or short strands; before training the MDA picture is mixed. They score layouts by the Pearson " +
  "correlation of geodesic distances (kNN graphs) between the features and the 2-D layout. MDA here follows the released code (Euclidean output " +
  "manifold, NumPy 'auto' bins, Gönen's BSDR with R = 16 written from its equations); its 2-D step is seeded UMAP SGD instead of the unseeded Keras loop. " +
  "A classifier's groups are its predicted classes, as in the reference's classification use. MDA is supervised by the network's predictions, so " +
  "beside it stands a control, UMAP supervised by the same predictions, and every layout is also scored by how continuously it orders the target.";

export const METHOD_LABELS: Record<MdaMethod, string> = {
  mda: "MDA",
  tsne: "t-SNE",
  umap: "UMAP",
  pca: "PCA",
  isomap: "Isomap",
  "umap-supervised": "supervised UMAP",
};

/** Continuity lead of the best unsupervised layout over MDA's that the findings call out. */
const UNSUPERVISED_MARGIN = 0.2;

const stageLabel = (p: MdaPanel) => (p.stage === "trained" ? "after training" : "before training");
const percent = (v: number) => `${(100 * v).toFixed(v > 0 && v < 0.01 ? 1 : 0)}%`;

/** "r (ρ)" of a geodesic score, with the share of pairs joined across graph pieces when any were. */
function geodesicCell(c: GeodesicCorrelation | undefined): string {
  if (!c) return "—";
  const joined = c.affectedFraction > 0 ? ` · ${percent(c.affectedFraction)} joined` : "";
  return `${formatNumber(c.pearson)} (${formatNumber(c.spearman)})${joined}`;
}

/** Geodesic-correlation table: one row per layer × stage, Pearson (Spearman) per method. */
export function correlationTable(result: MdaAnalysisResult): ReportTable {
  const methods = result.params.methods;
  const classification = result.task === "classification";
  return {
    columns: [
      "layer",
      "stage",
      "dim",
      ...methods.map((m) => `${METHOD_LABELS[m]} r (ρ)`),
      ...(classification ? methods.map((m) => `${METHOD_LABELS[m]} 5-NN acc`) : []),
      ...methods.map((m) => `${METHOD_LABELS[m]} trust.`),
    ],
    rows: result.panels.map((p) => [
      p.layer,
      stageLabel(p),
      p.dimension,
      ...methods.map((m) => geodesicCell(p.correlation[m])),
      ...(classification
        ? methods.map((m) => (p.accuracy[m] === undefined ? "—" : formatNumber(p.accuracy[m]!)))
        : []),
      ...methods.map((m) =>
        p.trustworthiness[m] === undefined ? "—" : formatNumber(p.trustworthiness[m]!),
      ),
    ]),
  };
}

/**
 * Target-continuity table: one row per layer × stage × method — continuity ρ, the
 * leave-one-out 5-NN R² (or accuracy) of the target, the geodesic Pearson r with the share of
 * pairs joined across graph pieces, trustworthiness, and (classification) 5-NN accuracy.
 */
export function continuityTable(result: MdaAnalysisResult): ReportTable {
  const classification = result.task === "classification";
  const columns = [
    "layer",
    "stage",
    "method",
    "continuity ρ",
    classification ? "LOO 5-NN acc" : "LOO 5-NN R²",
    "geodesic r",
    "pairs joined",
    "trust.",
  ];
  if (classification) columns.push("5-NN acc (5-fold)");
  const rows: ReportTable["rows"] = [];
  for (const p of result.panels) {
    for (const m of result.params.methods) {
      const c = p.continuity[m];
      const g = p.correlation[m];
      if (!c || !g) continue;
      const row: ReportTable["rows"][number] = [
        p.layer,
        stageLabel(p),
        METHOD_LABELS[m],
        classification
          ? `${formatNumber(c.spearman)} (of ≤ ${formatNumber(c.ceiling)})`
          : formatNumber(c.spearman),
        p.targetKnn[m] ? formatNumber(p.targetKnn[m]!.score) : "—",
        formatNumber(g.pearson),
        percent(g.affectedFraction),
        p.trustworthiness[m] === undefined ? "—" : formatNumber(p.trustworthiness[m]!),
      ];
      if (classification)
        row.push(p.accuracy[m] === undefined ? "—" : formatNumber(p.accuracy[m]!));
      rows.push(row);
    }
  }
  return { columns, rows };
}

/** One paragraph: which method keeps the geodesics best, MDA before vs after training, and the control. */
export function mdaFindings(result: MdaAnalysisResult): string {
  const trained = result.panels.filter((p) => p.stage === "trained");
  if (!trained.length) return "";
  const best = (p: MdaPanel) => {
    let top: MdaMethod = result.params.methods[0];
    for (const m of result.params.methods)
      if ((p.correlation[m]?.pearson ?? -1) > (p.correlation[top]?.pearson ?? -1)) top = m;
    return top;
  };
  const parts = trained.map(
    (p) =>
      `${p.layer}: best ${METHOD_LABELS[best(p)]} (r = ${formatNumber(p.correlation[best(p)]!.pearson)})${p.correlation.mda ? `, MDA r = ${formatNumber(p.correlation.mda.pearson)}` : ""}`,
  );
  let text = `Geodesic Pearson r after training — ${parts.join("; ")}.`;
  const initial = result.panels.filter((p) => p.stage === "initial" && p.correlation.mda);
  if (initial.length) {
    text += ` Before training MDA's r is ${initial.map((p) => `${formatNumber(p.correlation.mda!.pearson)} (${p.layer})`).join(", ")}: the untrained network's predictions are nearly constant, so its groups carry no information and the MDA layout has no continuum, as the paper describes.`;
  }
  const withContinuity = result.panels.filter((p) => p.continuity.mda);
  if (withContinuity.length) {
    const describe = (p: MdaPanel) => {
      const control = p.continuity["umap-supervised"];
      const unsupervised = (["tsne", "umap", "pca", "isomap"] as const).filter(
        (m) => p.continuity[m],
      );
      let top: MdaMethod | undefined;
      for (const m of unsupervised)
        if (!top || p.continuity[m]!.spearman > p.continuity[top]!.spearman) top = m;
      return (
        `${p.layer} ${stageLabel(p)}: MDA ${formatNumber(p.continuity.mda!.spearman)}` +
        (control ? `, supervised UMAP ${formatNumber(control.spearman)}` : "") +
        (top
          ? `, best unsupervised ${METHOD_LABELS[top]} ${formatNumber(p.continuity[top]!.spearman)}`
          : "")
      );
    };
    text += ` Target continuity ρ — ${withContinuity.map(describe).join("; ")}. MDA is supervised by the predictions: where the supervised UMAP control orders the target as well, the order comes from the supervision, not from the features.`;
    // Before training: do the features already hold the order that MDA's layout lacks?
    const ordered = result.panels
      .filter((p) => p.stage === "initial" && p.continuity.mda)
      .flatMap((p) => {
        const best = Math.max(
          ...(["tsne", "umap", "pca", "isomap"] as const).map(
            (m) => p.continuity[m]?.spearman ?? -1,
          ),
        );
        return best - p.continuity.mda!.spearman >= UNSUPERVISED_MARGIN
          ? [
              `${p.layer} (${formatNumber(best)} against MDA's ${formatNumber(p.continuity.mda!.spearman)})`,
            ]
          : [];
      });
    if (ordered.length) {
      text += ` Before training an unsupervised layout already orders the target better than MDA at ${ordered.join(", ")}: there MDA's before/after contrast shows the untrained network's predictions, not the features.`;
    }
  }
  return text;
}

/** Units written as their symbol in the colour bar's title. */
const UNIT_SYMBOLS: Record<string, string> = { degree: "°", degrees: "°", deg: "°" };

/** A string field of the bundle's free-form meta, trimmed, if it is one. */
function metaText(meta: Record<string, unknown> | undefined, key: string): string | undefined {
  const value = meta?.[key];
  return typeof value === "string" && value.trim() ? value.trim() : undefined;
}

/**
 * The title of the layouts' colour bar, saying what the colour is. A classifier's layouts are
 * coloured by label. A regression network's are coloured by the normalised manifold distance of
 * its target (0 at one end of the target's range, 1 at the other; see `mdaColor`), not by the
 * target itself: the title says so, names the target and its unit from the bundle's meta
 * (`targetName`, else "target"; `targetUnit`, e.g. "degrees" → °) and, for a single target
 * column, gives the target's value at each end, e.g.
 * "normalised manifold distance of the rotation angle (°): 0 at −60, 1 at 60".
 */
export function colorTitle(
  result: Pick<MdaAnalysisResult, "task" | "color" | "samples">,
  bundle?: Pick<AnalysisBundle, "targets" | "meta">,
): string {
  if (result.task !== "regression" || result.color.type !== "continuous") return result.color.title;
  const name = metaText(bundle?.meta, "targetName") ?? "target";
  const unit = metaText(bundle?.meta, "targetUnit");
  const symbol = unit ? (UNIT_SYMBOLS[unit.toLowerCase()] ?? unit) : undefined;
  let title = `normalised manifold distance of the ${name}${symbol ? ` (${symbol})` : ""}`;
  const targets = bundle?.targets;
  const values = result.color.values;
  if (targets && targets.cols === 1 && values.length > 0) {
    let lo = 0;
    let hi = 0;
    for (let i = 1; i < values.length; i++) {
      if (values[i] < values[lo]) lo = i;
      if (values[i] > values[hi]) hi = i;
    }
    const at = (i: number) => formatNumber(targets.data[result.samples[i]]).replace(/^-/, "−");
    title += `: 0 at ${at(lo)}, 1 at ${at(hi)}`;
  }
  return title;
}

/**
 * The colour column in the shape the scatter view takes, titled by {@link colorTitle}; pass
 * the bundle so that the title can name the target, its unit and its values at either end.
 */
export function colorColumn(
  result: MdaAnalysisResult,
  bundle?: Pick<AnalysisBundle, "targets" | "meta">,
): SampleColumn {
  return {
    title: colorTitle(result, bundle),
    type: result.color.type,
    values: result.color.values,
    classNames: result.color.classNames,
  };
}

/** Two means differ when they are further apart than twice the combined standard deviation of the seeds. */
const apart = clearlyApart;
const UNSUPERVISED: readonly MdaMethod[] = ["tsne", "umap", "pca", "isomap"];

/** The unsupervised method with the highest mean of a score, among those present. */
function bestOf(
  methods: MdaSeedStudy["panels"][number]["methods"],
  score: (m: MethodSpread) => SeedSpread,
  among: readonly MdaMethod[] = UNSUPERVISED,
): MdaMethod | undefined {
  let top: MdaMethod | undefined;
  for (const m of among)
    if (methods[m] && (!top || score(methods[m]!).mean > score(methods[top]!).mean)) top = m;
  return top;
}

/**
 * The headline of the mda notebook and report: the paper's claims, our numbers over the
 * embedding seeds (mean ± sd), and plainly where they confirm the claims, where not, and why.
 * "Differs" means further apart than twice the seeds' combined standard deviation.
 */
export function mdaClaimFindings(study: MdaSeedStudy): ClaimFindings {
  const claim =
    "Islam et al. (Nat. Commun. 2023): after training, MDA draws a regression network's features as one continuum ordered by the target, where t-SNE and UMAP break it into pieces; " +
    "before training the MDA picture is mixed; and MDA keeps the features' geodesic distances better (Pearson r of geodesic distances).";
  const classification = study.task === "classification";
  const seeds = `embedding seeds ${study.seeds.join(", ")} (MDA's UMAP step, UMAP and supervised UMAP; t-SNE starts from PCA, as scikit-learn's default, so it, PCA and Isomap give the same layout at every seed), the same ${study.samples} samples`;
  const measured = [
    `${study.seeds.length} runs: ${seeds}. ${study.trainingSeeds || "Training seeds: no bundle of these networks trained from other seeds holds the layers laid out here, so the spread is that of the layouts, not of training."}`,
  ];
  const verdict: string[] = [];
  if (classification)
    verdict.push(
      "This network is a classifier: the paper's continuum claim is about regression, so the scores below test MDA's ordering of class labels only (continuity ρ has a ceiling below 1 for labels).",
    );
  for (const panel of study.panels) {
    const m = panel.methods;
    const stage = panel.stage === "trained" ? "after training" : "before training";
    const list = (score: (x: MethodSpread) => SeedSpread) =>
      (Object.keys(m) as MdaMethod[])
        .map((k) => `${METHOD_LABELS[k]} ${formatSpread(score(m[k]!))}`)
        .join(", ");
    measured.push(`${panel.layer} ${stage} — target continuity ρ: ${list((x) => x.continuity)}.`);
    measured.push(
      `${panel.layer} ${stage} — geodesic Pearson r: ${(Object.keys(m) as MdaMethod[]).map((k) => `${METHOD_LABELS[k]} ${formatSpread(m[k]!.pearson)}${m[k]!.affected.mean > 0 ? ` (${percent(m[k]!.affected.mean)} of pairs joined)` : ""}`).join(", ")}.`,
    );
    measured.push(
      `${panel.layer} ${stage} — leave-one-out 5-NN ${classification ? "accuracy" : "R²"} of the target: ${list((x) => x.targetKnn)}.`,
    );
  }
  for (const trained of study.panels.filter((q) => q.stage === "trained")) {
    const m = trained.methods;
    const mda = m.mda;
    if (!mda) continue;
    const neighbours = bestOf(m, (x) => x.continuity, ["tsne", "umap"]);
    if (neighbours) {
      const other = m[neighbours]!.continuity;
      if (!apart(mda.continuity, other))
        verdict.push(
          `${trained.layer}: MDA (${formatSpread(mda.continuity)}) and ${METHOD_LABELS[neighbours]} (${formatSpread(other)}) order the target equally well after training, within the seeds' spread — the claim that t-SNE and UMAP break the continuum is not confirmed here.`,
        );
      else if (mda.continuity.mean > other.mean)
        verdict.push(
          `Confirmed at ${trained.layer}: after training MDA orders the target more continuously (ρ ${formatSpread(mda.continuity)}) than the better of t-SNE and UMAP (${METHOD_LABELS[neighbours]}, ${formatSpread(other)}), beyond the seeds' spread.`,
        );
      else
        verdict.push(
          `Not confirmed at ${trained.layer}: after training ${METHOD_LABELS[neighbours]} orders the target more continuously (ρ ${formatSpread(other)}) than MDA (${formatSpread(mda.continuity)}), beyond the seeds' spread; on this small network the features already form a continuum that t-SNE and UMAP keep.`,
        );
    }
    const geo = bestOf(m, (x) => x.pearson);
    if (geo) {
      const other = m[geo]!.pearson;
      verdict.push(
        !apart(mda.pearson, other)
          ? `Geodesic r: MDA ${formatSpread(mda.pearson)} and the best unsupervised layout (${METHOD_LABELS[geo]}, ${formatSpread(other)}) are within the seeds' spread.`
          : mda.pearson.mean > other.mean
            ? `Geodesic r confirms the paper at ${trained.layer}: MDA ${formatSpread(mda.pearson)} against the best unsupervised layout's ${formatSpread(other)} (${METHOD_LABELS[geo]}).`
            : `Geodesic r does not confirm the paper at ${trained.layer}: ${METHOD_LABELS[geo]} keeps the geodesics better (${formatSpread(other)}) than MDA (${formatSpread(mda.pearson)}).`,
      );
    }
    const control = m["umap-supervised"];
    if (control) {
      verdict.push(
        control.continuity.mean >=
          mda.continuity.mean - 2 * Math.hypot(control.continuity.sd, mda.continuity.sd)
          ? `The control, UMAP told the same ${trained.supervision}, orders the target ${control.continuity.mean >= mda.continuity.mean ? "at least as well as MDA" : "about as well as MDA (within the seeds' spread)"} (${formatSpread(control.continuity)} against ${formatSpread(mda.continuity)}): what order MDA shows is what the supervision gives, not something MDA's projection adds.`
          : `MDA orders the target better than the control, UMAP told the same ${trained.supervision} (${formatSpread(mda.continuity)} against ${formatSpread(control.continuity)}): its projection adds order beyond the supervision.`,
      );
    }
    const before = study.panels.find(
      (q) => q.stage === "initial" && q.layer === trained.layer,
    )?.methods;
    if (before?.mda) {
      const contrast =
        apart(mda.continuity, before.mda.continuity) &&
        mda.continuity.mean > before.mda.continuity.mean;
      const unsupervised = bestOf(before, (x) => x.continuity);
      const already =
        unsupervised &&
        before[unsupervised]!.continuity.mean - before.mda.continuity.mean >
          2 * Math.hypot(before[unsupervised]!.continuity.sd, before.mda.continuity.sd);
      verdict.push(
        (contrast
          ? `Confirmed at ${trained.layer}: before training MDA's layout is mixed (ρ ${formatSpread(before.mda.continuity)}) and after training ordered (${formatSpread(mda.continuity)}).`
          : `Not confirmed at ${trained.layer}: MDA's continuity before training (${formatSpread(before.mda.continuity)}) is not clearly below after (${formatSpread(mda.continuity)}).`) +
          (already
            ? ` But before training ${METHOD_LABELS[unsupervised!]} of the same features already orders the target (${formatSpread(before[unsupervised!]!.continuity)}): the contrast shows the untrained network's near-constant predictions, which MDA groups by, not a lack of order in the features.`
            : ""),
      );
    }
  }
  return { claim, measured, verdict };
}

/** Every method's scores over the embedding seeds: mean ± sd, one row per layer × stage × method. */
export function seedSpreadTable(study: MdaSeedStudy): ReportTable {
  const classification = study.task === "classification";
  const columns = [
    "layer",
    "stage",
    "method",
    "continuity ρ",
    classification ? "LOO 5-NN acc" : "LOO 5-NN R²",
    "geodesic r",
    "pairs joined",
    "trust.",
    ...(classification ? ["5-NN acc (5-fold)"] : []),
    "seeds",
  ];
  const rows: ReportTable["rows"] = [];
  for (const panel of study.panels) {
    for (const [method, s] of Object.entries(panel.methods) as [MdaMethod, MethodSpread][]) {
      rows.push([
        panel.layer,
        panel.stage === "trained" ? "after training" : "before training",
        METHOD_LABELS[method],
        formatSpread(s.continuity),
        formatSpread(s.targetKnn),
        formatSpread(s.pearson),
        percent(s.affected.mean),
        formatSpread(s.trustworthiness),
        ...(classification ? [s.accuracy ? formatSpread(s.accuracy) : "—"] : []),
        s.pearson.values.length,
      ]);
    }
  }
  return { columns, rows };
}

export interface MdaView {
  /** Layer whose layouts are drawn. */
  layer: string;
}

export function mdaReport(
  bundle: AnalysisBundle,
  result: MdaAnalysisResult,
  view: MdaView,
  context: ReportContext,
): ReportSpec {
  const document = context.document ?? globalThis.document;
  const p = result.params;
  const color = colorColumn(result, bundle);
  const classification = result.task === "classification";
  // Geodesic scores cost O(n²): the layouts are of a seeded subsample, and the report says so.
  const drawn = subsampleText(result.samples.length, bundle.samples, {
    seed: p.seed,
    verb: "laid out",
  });
  const sections: ReportSpec["sections"] = [];
  if (result.seeds) {
    const f = mdaClaimFindings(result.seeds);
    sections.push({
      title: "The paper's claims and what we measured over seeds",
      text: claimText(f),
      table: seedSpreadTable(result.seeds),
    });
  }
  sections.push(
    {
      title: "Geodesic-distance correlation per method and layer",
      text: `${mdaFindings(result)}${result.warnings?.length ? `\n\nWarnings: ${result.warnings.join("; ")}.` : ""}\n\nr: Pearson, ρ: Spearman, over all pairs of the ${count(result.samples.length, "sample")}${drawn ? ` (${drawn})` : ""}, geodesics on the ${p.k}-NN graphs of the features and of the layout; a graph in pieces is joined by the closest pair of every two pieces (as Isomap), and "joined" gives the share of pairs whose geodesic crosses such a join; trust.: trustworthiness (k = 10).`,
      table: correlationTable(result),
    },
    {
      title: "Target continuity per method, layer and stage",
      text:
        `continuity ρ: Spearman correlation, over all pairs, between the geodesic distance along the layout (its ${p.k}-NN graph, joined as above) and ` +
        (classification
          ? "label disagreement (0 same class, 1 different), whose best possible value is the ceiling shown; "
          : "|Δtarget| (1 = the layout orders the targets as one continuum, 0 = no order); ") +
        `LOO 5-NN: every sample predicted from its 5 nearest other samples in the layout (${classification ? "majority vote, accuracy" : "mean, R²"}). ` +
        `Supervised UMAP is the control: UMAP of the same features supervised by the predictions MDA groups by (${classification ? "predicted labels, categorical" : "predicted values, continuous"}; target weight ${p.targetWeight}).`,
      table: continuityTable(result),
    },
  );
  for (const panel of result.panels.filter((q) => q.layer === view.layer)) {
    for (const m of p.methods) {
      const Y = panel.embeddings[m];
      if (!Y) continue;
      const x = Float64Array.from({ length: Y.rows }, (_, i) => Y.data[2 * i]);
      const y = Float64Array.from({ length: Y.rows }, (_, i) => Y.data[2 * i + 1]);
      // Static: SVG dots up to 20,000 points, one PNG above; the caption says how many of the bundle's samples are drawn.
      const fig = pointScatter(
        { x, y },
        {
          color,
          xLabel: `${METHOD_LABELS[m]} 1 (arbitrary units)`,
          yLabel: `${METHOD_LABELS[m]} 2 (arbitrary units)`,
          width: 420,
          subsample: { total: bundle.samples, seed: p.seed },
          document,
        },
      );
      sections.push({
        title: `${panel.layer}, ${panel.stage === "trained" ? "after" : "before"} training: ${METHOD_LABELS[m]} (r = ${formatNumber(panel.correlation[m]!.pearson)})`,
        figure: fig,
      });
    }
  }
  return {
    notebook: "mda",
    title: `Manifold discovery and analysis · ${bundle.name}`,
    description: MDA_CLAIMS,
    dataset: {
      name: bundle.name,
      sha256: context.sha256,
      samples: bundle.samples,
      task: bundle.task,
    },
    parameters: {
      layer: view.layer,
      points: result.samples.length,
      vectorize: p.vectorize,
      k: p.k,
      groups: String(p.groups),
      components: p.components,
      iterations: p.iterations,
      mode: p.mode,
      classOutputs: p.classOutputs,
      targetWeight: p.targetWeight,
      perplexity: p.perplexity,
      nNeighbors: p.nNeighbors,
      isomapNeighbors: p.isomapNeighbors,
      stages: p.stages.join(", "),
      methods: p.methods.join(", "),
      ...(result.seeds && { embeddingSeeds: result.seeds.seeds.join(", ") }),
    },
    seed: p.seed,
    version: VERSION,
    date: context.date ?? new Date().toISOString(),
    sections,
  };
}
