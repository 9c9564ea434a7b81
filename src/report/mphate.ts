/**
 * The mphate notebook's report, tables and findings text (shared by the notebook and the CLI).
 */
import type { BaselineStudy, ContinualStudy, DynamicsEmbedding, GeneralizationStudy, ResolvedMphateStudyParams } from "../analyses/mphate.ts";
import type { AnalysisBundle } from "../analyses/columns.ts";
import { formatNumber } from "../analyses/columns.ts";
import type { MphateColorBy } from "../analyses/mphate.ts";
import { generalizationGrid, mphateScatter, switchAriChart, varianceVsMemorization } from "../views/mphate.ts";
import { VERSION } from "../version.ts";
import type { ReportContext } from "./report.ts";
import type { ReportSection, ReportSpec, ReportTable } from "./report.ts";

/** What the paper claims (specs/mphate.md §3; the abstract's qualitative claims). */
export const MPHATE_CLAIMS =
  "Gigante et al. (NeurIPS 2019) embed every hidden unit at every epoch as one point of a multislice graph: units of one epoch are joined by " +
  "the similarity of their responses to a fixed trace set, each unit is joined to itself across epochs. Their claims: training fans the " +
  "units out from a compact blob into trajectories that separate by layer and, late in training, by the class they respond to most; " +
  "networks whose hidden units stay more heterogeneous (a larger spread of the embedding) generalise better, so visualisation variance " +
  "correlates negatively with memorisation error; in continual learning, catastrophic forgetting tears the units' structure down at task " +
  "switches while rehearsal keeps it, so structure kept across a switch (ARI) goes with accuracy.";

export function generalizationTable(study: GeneralizationStudy): ReportTable {
  return {
    columns: ["run", "training loss", "validation loss", "memorisation error", "visualisation variance", "t", "landmarks"],
    rows: study.runs.map((r) => [r.variant, formatNumber(r.trainLoss), formatNumber(r.validationLoss), formatNumber(r.memorizationError), formatNumber(r.visualizationVariance), r.t, r.nLandmarks]),
  };
}

export function continualTable(study: ContinualStudy): ReportTable {
  const switches = Math.max(0, ...study.runs.map((r) => r.switches.length));
  return {
    columns: ["run", "final test accuracy", "accuracy on tasks 0/1, 2/3", ...Array.from({ length: switches }, (_, i) => `ARI switch ${i + 1}`), "mean ARI"],
    rows: study.runs.map((r) => [r.name, formatNumber(r.finalAccuracy), formatNumber(r.earlyTasksAccuracy), ...Array.from({ length: switches }, (_, i) => (r.switches[i] ? formatNumber(r.switches[i].ari) : null)), formatNumber(r.meanAri)]),
  };
}

export function baselineTable(study: BaselineStudy): ReportTable {
  return {
    columns: ["method", "input", "intraslice k = 10", "intraslice k = 40", "interslice k = 10", "interslice k = 40"],
    rows: study.scores.map((s) => [s.method, s.input, formatNumber(s.intraslice.k10), formatNumber(s.intraslice.k40), formatNumber(s.interslice.k10), formatNumber(s.interslice.k40)]),
  };
}

/** What the training-dynamics embedding shows, in numbers: spread per epoch, layer separation. */
export function dynamicsFindings(run: DynamicsEmbedding): string {
  const { embedding: Y, units, epochs } = run;
  const spread = (tau: number) => {
    let mx = 0, my = 0;
    for (let i = 0; i < units; i++) { mx += Y.data[(tau * units + i) * 2]; my += Y.data[(tau * units + i) * 2 + 1]; }
    mx /= units; my /= units;
    let s = 0;
    for (let i = 0; i < units; i++) s += (Y.data[(tau * units + i) * 2] - mx) ** 2 + (Y.data[(tau * units + i) * 2 + 1] - my) ** 2;
    return Math.sqrt(s / units);
  };
  const first = spread(0);
  const last = spread(epochs.length - 1);
  return `${run.name}: ${units} units × ${epochs.length} checkpoints (epochs ${epochs[0]}–${epochs[epochs.length - 1]}), diffusion time t = ${run.t}${run.nLandmarks < Y.rows ? ` on ${run.nLandmarks} landmarks` : " (exact)"}, interslice bandwidth ε = ${formatNumber(run.epsilon)}. ` +
    `The RMS spread of the units around their epoch's centre goes from ${formatNumber(first)} at the first checkpoint to ${formatNumber(last)} at the last (${last > first ? "the units fan out" : "the units do not fan out"}).`;
}

export function generalizationFindings(study: GeneralizationStudy): string {
  const sorted = [...study.runs].sort((a, b) => b.memorizationError - a.memorizationError);
  return `Spearman ρ between visualisation variance and memorisation error over ${study.runs.length} runs: ${formatNumber(study.spearman)} (the paper expects ρ < 0). ` +
    `Largest memorisation error: ${sorted.slice(0, 2).map((r) => `${r.variant} (${formatNumber(r.memorizationError)}, variance ${formatNumber(r.visualizationVariance)})`).join(", ")}; ` +
    `smallest: ${sorted.slice(-2).map((r) => `${r.variant} (${formatNumber(r.memorizationError)}, variance ${formatNumber(r.visualizationVariance)})`).join(", ")}. ` +
    "With 8 runs, one seed and a small network, ρ is noisy: a single run moving changes it by 0.1–0.2.";
}

export function continualFindings(study: ContinualStudy): string {
  return study.runs.map((r) => `${r.name}: mean ARI ${formatNumber(r.meanAri)} over ${r.switches.length} switches, final test accuracy ${formatNumber(r.finalAccuracy)} (tasks 0/1 and 2/3: ${formatNumber(r.earlyTasksAccuracy)})`).join("; ") +
    `. ARI compares k-means partitions (k = ${study.params.ks[0]}…${study.params.ks[study.params.ks.length - 1]}, ${study.params.seeds} seeds each) of the embedded units at the last trace of a task and ${study.params.sliceOffset} traces into the next; the paper expects higher ARI with rehearsal.`;
}

export interface MphateStudies {
  dynamics: DynamicsEmbedding;
  generalization?: GeneralizationStudy | null;
  continual?: ContinualStudy | null;
  baselines?: BaselineStudy | null;
}

export function mphateReport(bundle: AnalysisBundle, studies: MphateStudies, params: ResolvedMphateStudyParams, view: { colorBy: MphateColorBy }, context: ReportContext): ReportSpec {
  const document = context.document ?? globalThis.document;
  const sections: ReportSection[] = [
    { title: "Training dynamics", text: dynamicsFindings(studies.dynamics), figure: mphateScatter(studies.dynamics, { colorBy: view.colorBy, trajectories: true, document }) as Element },
  ];
  for (const other of (["epoch", "layer", "mostActive"] as const).filter((c) => c !== view.colorBy)) {
    sections.push({ title: `Coloured by ${other === "mostActive" ? "most-active class (L1)" : other}`, figure: mphateScatter(studies.dynamics, { colorBy: other, document }) as Element });
  }
  if (studies.generalization) {
    sections.push({ title: "Generalisation", text: generalizationFindings(studies.generalization), figure: generalizationGrid(studies.generalization, { colorBy: "mostActive", document }), table: generalizationTable(studies.generalization) });
    sections.push({ title: "Visualisation variance vs memorisation error", figure: varianceVsMemorization(studies.generalization, { document }) as Element });
  }
  if (studies.continual) {
    sections.push({ title: "Continual learning", text: continualFindings(studies.continual), figure: switchAriChart(studies.continual, { document }) as Element, table: continualTable(studies.continual) });
  }
  if (studies.baselines) {
    sections.push({ title: "Baselines: neighbour preservation", text: `On ${studies.baselines.name} (${studies.baselines.epochs.length} checkpoints × ${studies.baselines.units} units): the fraction of each unit's k nearest neighbours in the raw trace (within its epoch: intraslice; across its own epochs: interslice) that stay its neighbours in the embedding. ${studies.baselines.notes.join(" ")}`, table: baselineTable(studies.baselines) });
  }
  return {
    notebook: "mphate",
    title: `M-PHATE · ${bundle.name}`,
    description: MPHATE_CLAIMS,
    dataset: { name: bundle.name, sha256: context.sha256, samples: bundle.samples, task: bundle.task },
    parameters: {
      layers: params.layers.length ? params.layers.join(", ") : "all traced",
      epochStride: params.epochStride,
      unitStride: params.unitStride,
      intrasliceKnn: params.intrasliceKnn,
      intersliceKnn: params.intersliceKnn,
      decay: params.decay,
      t: params.t === "auto" ? `auto (${studies.dynamics.t})` : params.t,
      gamma: params.gamma,
      nLandmark: params.nLandmark,
      colorBy: view.colorBy,
    },
    seed: params.seed,
    version: VERSION,
    date: context.date ?? new Date().toISOString(),
    sections,
  };
}
