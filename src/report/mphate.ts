/**
 * The mphate notebook's report, tables and findings text (shared by the notebook and the CLI).
 */
import {
  BASELINE_SPACES,
  DATA_VARIANTS,
  INTERSLICE_KNN_FRACTION,
  trueDataSpearman,
  type BaselineStudy,
  type ContinualStudy,
  type DynamicsEmbedding,
  type GeneralizationStudy,
  type ResolvedMphateStudyParams,
  type Spread,
} from "../analyses/mphate.ts";
import type { AnalysisBundle } from "../analyses/columns.ts";
import { formatNumber } from "../analyses/columns.ts";
import type { MphateColorBy } from "../analyses/mphate.ts";
import {
  generalizationGrid,
  mphateScatter,
  switchAriChart,
  varianceVsMemorization,
} from "../views/mphate.ts";
import { VERSION } from "../version.ts";
import type { ReportContext } from "./report.ts";
import type { ReportSection, ReportSpec, ReportTable } from "./report.ts";

/** What the paper claims (its abstract's qualitative claims and the reference's experiment scripts). */
export const MPHATE_CLAIMS =
  "Gigante et al. (NeurIPS 2019) embed every hidden unit at every epoch as one point of a multislice graph: units of one epoch are joined by " +
  "the similarity of their responses to a fixed trace set, each unit is joined to itself across epochs. Their claims: training fans the " +
  "units out from a compact blob into trajectories that separate by layer and, late in training, by the class they respond to most; " +
  "networks whose hidden units stay more heterogeneous (a larger spread of the embedding) generalise better, so visualisation variance " +
  "correlates negatively with memorisation error; in continual learning, catastrophic forgetting tears the units' structure down at task " +
  "switches while rehearsal keeps it, so structure kept across a switch (ARI) goes with accuracy.";

const plusMinus = (x: Spread) =>
  x.n > 1 ? `${formatNumber(x.mean)} ± ${formatNumber(x.sd)}` : formatNumber(x.mean);

/** How κ was chosen, in words: "2 (auto: max(2, round(0.08 × 21)))" or "25 (given)". */
export function intersliceKnnText(
  run: Pick<DynamicsEmbedding, "intersliceKnn" | "intersliceKnnAuto" | "epochs">,
): string {
  return run.intersliceKnnAuto
    ? `${run.intersliceKnn} (auto: max(2, round(${INTERSLICE_KNN_FRACTION} × ${run.epochs.length} checkpoints)))`
    : `${run.intersliceKnn} (given)`;
}

export function generalizationTable(study: GeneralizationStudy): ReportTable {
  return {
    columns: [
      "run",
      "seed",
      "training loss",
      "validation loss",
      "memorisation error",
      "visualisation variance (unscaled SMACOF)",
      "variance after Procrustes",
      "t",
      "κ",
      "landmarks",
    ],
    rows: study.runs.map((r) => [
      r.variant,
      r.seed,
      formatNumber(r.trainLoss),
      formatNumber(r.validationLoss),
      formatNumber(r.memorizationError),
      formatNumber(r.visualizationVariance),
      formatNumber(r.normalizedVariance),
      r.t,
      r.intersliceKnn,
      r.nLandmarks,
    ]),
  };
}

/** Each variant over its seeds: mean ± standard deviation. */
export function generalizationVariantTable(study: GeneralizationStudy): ReportTable {
  return {
    columns: [
      "variant",
      "seeds",
      "memorisation error (mean ± sd)",
      "visualisation variance (mean ± sd)",
    ],
    rows: study.variants.map((v) => [
      v.variant,
      v.memorizationError.n,
      plusMinus(v.memorizationError),
      plusMinus(v.visualizationVariance),
    ]),
  };
}

/** Whether an interval lies below 0, above it, or spans it. */
const side = ([lo, hi]: [number, number]) => (hi < 0 ? "below" : lo > 0 ? "above" : "spans");

/**
 * The generalisation claim beside our number: ρ pooled over every run with its bootstrap 95 %
 * interval, its spread over seeds, and plainly whether it confirms the paper.
 */
export function generalizationHeadline(study: GeneralizationStudy): string {
  const seeds = study.perSeed.length;
  const where = side(study.interval);
  const verdict =
    where === "below"
      ? "The sign the paper reports is confirmed: the whole interval is below 0."
      : where === "above"
        ? "This contradicts the paper: the whole interval is above 0."
        : "The sign is not established: the interval includes 0.";
  const perSeed = study.perSeed
    .map((s) => `${s.seed ?? "?"}: ${formatNumber(s.spearman)}`)
    .join(", ");
  return (
    `Paper: networks whose hidden units stay more heterogeneous generalise better, so Spearman ρ between visualisation variance and memorisation error is negative. ` +
    `Measured: ρ = ${formatNumber(study.spearman)} over ${study.runs.length} runs (${study.variants.length} variants × ${seeds} seed${seeds === 1 ? "" : "s"}), ` +
    `bootstrap 95 % interval [${formatNumber(study.interval[0])}, ${formatNumber(study.interval[1])}] (${study.resamples.toLocaleString("en-US")} resamples of the runs, seeded); ` +
    `within each seed ρ = ${plusMinus(study.seedSpread)} (seed ${perSeed}). ${verdict}`
  );
}

/** Where the generalisation result confirms the paper, where not, and why (from the numbers). */
export function generalizationVerdict(study: GeneralizationStudy): string {
  const trueData = trueDataSpearman(study);
  const byError = [...study.variants].sort(
    (a, b) => b.memorizationError.mean - a.memorizationError.mean,
  );
  const top = byError.slice(0, 2).map((v) => v.variant);
  const extremesFirst = top.every((v) => DATA_VARIANTS.has(v));
  const lowVariance = [...study.variants]
    .sort((a, b) => a.visualizationVariance.mean - b.visualizationVariance.mean)
    .slice(0, 2)
    .map((v) => v.variant);
  return (
    `Where it holds: ${extremesFirst ? "random labels and random pixels have the two largest memorisation errors, as the experiment intends" : `the largest memorisation errors are ${top.join(" and ")}, not the two runs on corrupted data`}, ` +
    `and the smallest variances belong to ${lowVariance.join(" and ")}. ` +
    `Why the pooled ρ ${study.spearman < 0 ? "is negative" : "is not negative"}: without those two runs on corrupted data, over the ${trueData.runs} runs trained on true digits, ρ = ${formatNumber(trueData.spearman)}` +
    `${Math.abs(trueData.spearman) < 0.3 ? ", close to 0: among networks that all fit the digits, the spread of the units does not order their small memorisation errors" : trueData.spearman < 0 ? ", still negative" : ", positive"}. ` +
    `With the variance taken after Procrustes normalisation (PHATE ≥ 1.0's output) instead of on the unscaled SMACOF output, ρ = ${formatNumber(study.normalizedSpearman)}. ` +
    `Scale: 8×8 digits, a 64-32-32-32-10 network, 60 epochs traced every 3rd, ${study.params.nLandmark >= 2016 ? "each run embedded exactly" : `each run on ${study.params.nLandmark} landmarks`}; the paper trained on MNIST for 300 epochs.`
  );
}

export function continualTable(study: ContinualStudy): ReportTable {
  const switches = Math.max(0, ...study.runs.map((r) => r.switches.length));
  return {
    columns: [
      "run",
      "final test accuracy",
      "accuracy on tasks 0/1, 2/3",
      ...Array.from({ length: switches }, (_, i) => `ARI switch ${i + 1}`),
      "mean ARI",
    ],
    rows: study.runs.map((r) => [
      r.name,
      formatNumber(r.finalAccuracy),
      formatNumber(r.earlyTasksAccuracy),
      ...Array.from({ length: switches }, (_, i) =>
        r.switches[i] ? formatNumber(r.switches[i].ari) : null,
      ),
      formatNumber(r.meanAri),
    ]),
  };
}

/** One row per method and space: neighbour preservation against the raw and against the z-scored trace. */
export function baselineTable(study: BaselineStudy): ReportTable {
  // k ≥ group size − 1 takes every other member of the group: 1 for any embedding, so "—".
  const f = (v: number, k: number, group: number) =>
    k >= group - 1 || !Number.isFinite(v) ? null : v.toFixed(3);
  const [m, n] = [study.units, study.epochs.length];
  return {
    columns: [
      "method",
      "run on",
      "scored against",
      "intraslice k = 10",
      "intraslice k = 40",
      "interslice k = 10",
      "interslice k = 40",
    ],
    rows: study.scores.flatMap((s) =>
      (["raw", "zscored"] as const).map((space) => [
        s.method,
        s.input,
        space === "raw" ? "raw trace" : "z-scored trace",
        f(s[space].intraslice.k10, 10, m),
        f(s[space].intraslice.k40, 40, m),
        f(s[space].interslice.k10, 10, n),
        f(s[space].interslice.k40, 40, n),
      ]),
    ),
  };
}

/** What the baseline table says, and which space is which. */
export function baselineText(study: BaselineStudy): string {
  const best = (space: "raw" | "zscored", key: "intraslice" | "interslice") => {
    const ranked = [...study.scores].sort((a, b) => b[space][key].k10 - a[space][key].k10);
    return `${ranked[0].method} on the ${ranked[0].input} (${ranked[0][space][key].k10.toFixed(3)})`;
  };
  const mp = study.scores.find((s) => s.method === "M-PHATE");
  return (
    `On ${study.name} (${study.epochs.length} checkpoints × ${study.units} units, κ = ${study.intersliceKnnAuto ? `${study.intersliceKnn}, auto` : study.intersliceKnn}): the fraction of each unit's k nearest neighbours ` +
    `(within its epoch: intraslice; among its own epochs: interslice) that stay its neighbours in the embedding. ` +
    `Each method is scored in two spaces: the ${BASELINE_SPACES.raw}, and the ${BASELINE_SPACES.zscored}. ` +
    `Best at k = 10 — raw space: intraslice ${best("raw", "intraslice")}, interslice ${best("raw", "interslice")}; ` +
    `z-scored space: intraslice ${best("zscored", "intraslice")}, interslice ${best("zscored", "interslice")}. ` +
    (mp
      ? `M-PHATE: intraslice ${mp.raw.intraslice.k10.toFixed(3)} raw / ${mp.zscored.intraslice.k10.toFixed(3)} z-scored, interslice ${mp.raw.interslice.k10.toFixed(3)} / ${mp.zscored.interslice.k10.toFixed(3)} (the paper reports M-PHATE best on both). `
      : "") +
    study.notes.join(" ")
  );
}

/** What the training-dynamics embedding shows, in numbers: spread per epoch, layer separation. */
/** RMS distance of one checkpoint's embedded units from their centre. */
export function epochSpread(
  run: Pick<DynamicsEmbedding, "embedding" | "units">,
  tau: number,
): number {
  const { embedding: Y, units } = run;
  let mx = 0,
    my = 0;
  for (let i = 0; i < units; i++) {
    mx += Y.data[(tau * units + i) * 2];
    my += Y.data[(tau * units + i) * 2 + 1];
  }
  mx /= units;
  my /= units;
  let s = 0;
  for (let i = 0; i < units; i++)
    s += (Y.data[(tau * units + i) * 2] - mx) ** 2 + (Y.data[(tau * units + i) * 2 + 1] - my) ** 2;
  return Math.sqrt(s / units);
}

export function dynamicsFindings(run: DynamicsEmbedding): string {
  const { embedding: Y, units, epochs } = run;
  const first = epochSpread(run, 0);
  const last = epochSpread(run, epochs.length - 1);
  return (
    `${run.name}: ${units} units × ${epochs.length} checkpoints (epochs ${epochs[0]}–${epochs[epochs.length - 1]}), diffusion time t = ${run.t}${run.nLandmarks < Y.rows ? ` on ${run.nLandmarks} landmarks` : " (exact)"}, interslice κ = ${intersliceKnnText(run)} and bandwidth ε = ${formatNumber(run.epsilon)}. ` +
    `The RMS spread of the units around their epoch's centre goes from ${formatNumber(first)} at the first checkpoint to ${formatNumber(last)} at the last (${last > first ? "the units fan out" : "the units do not fan out"}).`
  );
}

export function generalizationFindings(study: GeneralizationStudy): string {
  return (
    `Spearman ρ between visualisation variance and memorisation error over ${study.runs.length} runs: ${formatNumber(study.spearman)} ` +
    `(95 % interval [${formatNumber(study.interval[0])}, ${formatNumber(study.interval[1])}]; the paper expects ρ < 0). ` +
    `Visualisation variance is taken on the unscaled SMACOF output (before Procrustes), as in the paper. ` +
    generalizationVerdict(study)
  );
}

/** One of the paper's claims beside what we measured. */
export interface ClaimCheck {
  claim: string;
  measured: string;
  verdict: "confirmed" | "not confirmed" | "contradicted";
  /** Why, in the numbers' terms. */
  why: string;
}

/**
 * Among the units of the last checkpoint: the share whose nearest embedded unit has the same
 * label, and the share expected by chance (Σ over labels of the label's share squared).
 */
export function nearestSameLabel(
  run: DynamicsEmbedding,
  labels: ArrayLike<number>,
): { share: number; chance: number } {
  const { embedding: Y, units } = run;
  const tau = run.epochs.length - 1;
  const base = tau * units;
  const counts = new Map<number, number>();
  let same = 0;
  for (let i = 0; i < units; i++) {
    counts.set(labels[base + i], (counts.get(labels[base + i]) ?? 0) + 1);
    let best = -1;
    let bestD = Infinity;
    for (let j = 0; j < units; j++) {
      if (j === i) continue;
      const d =
        (Y.data[(base + i) * Y.cols] - Y.data[(base + j) * Y.cols]) ** 2 +
        (Y.data[(base + i) * Y.cols + 1] - Y.data[(base + j) * Y.cols + 1]) ** 2;
      if (d < bestD) [best, bestD] = [j, d];
    }
    if (labels[base + best] === labels[base + i]) same++;
  }
  let chance = 0;
  for (const c of counts.values()) chance += (c / units) ** 2;
  return { share: same / units, chance };
}

/** A grouping is confirmed when its nearest-neighbour share is past halfway from chance to 1. */
const groupingVerdict = (share: number, chance: number): ClaimCheck["verdict"] =>
  share > (1 + chance) / 2 ? "confirmed" : share > chance ? "not confirmed" : "contradicted";

/** Why a grouping verdict came out as it did. */
const groupingWhy = (share: number, chance: number, what: string): string =>
  share > (1 + chance) / 2
    ? `most units sit next to a unit of the same ${what} (confirmed means past halfway from chance to every unit).`
    : share > chance
      ? `more than chance but short of halfway from chance to every unit: the ${what}s overlap in the embedding.`
      : `no more often than chance: units of different ${what}s are each other's nearest neighbours, the ${what}s interleave.`;

/** Each claim of the paper that the studies can test, with our number and a plain verdict. */
export function claimChecks(studies: Partial<MphateStudies>): ClaimCheck[] {
  const checks: ClaimCheck[] = [];
  const pct = (v: number) => `${Math.round(100 * v)} %`;
  const d = studies.dynamics;
  if (d) {
    const first = epochSpread(d, 0);
    const last = epochSpread(d, d.epochs.length - 1);
    checks.push({
      claim: "Training fans the units out from a compact blob into trajectories.",
      measured: `RMS spread of ${d.name}'s units around their checkpoint's centre: ${formatNumber(first)} at epoch ${d.epochs[0]}, ${formatNumber(last)} at epoch ${d.epochs[d.epochs.length - 1]}.`,
      verdict: last > first ? "confirmed" : "contradicted",
      why:
        last > first
          ? `the spread grows ${formatNumber(last / first)}-fold over training.`
          : "the units are no more spread at the end than at the start.",
    });
    const layers = nearestSameLabel(d, d.layer);
    checks.push({
      claim: "Units separate by layer.",
      measured: `At the last checkpoint ${pct(layers.share)} of units have their nearest embedded unit in their own layer (chance ${pct(layers.chance)}).`,
      verdict: groupingVerdict(layers.share, layers.chance),
      why: groupingWhy(layers.share, layers.chance, "layer"),
    });
    if (d.mostActive.every((c) => c >= 0)) {
      const classes = nearestSameLabel(d, d.mostActive);
      checks.push({
        claim: "Late in training, units group by the class they answer to most.",
        measured: `At the last checkpoint ${pct(classes.share)} of units have their nearest embedded unit with the same most-active class (L1; chance ${pct(classes.chance)}).`,
        verdict: groupingVerdict(classes.share, classes.chance),
        why: `${groupingWhy(classes.share, classes.chance, "most-active class")} M-PHATE embeds z-scored responses, which keep a unit's pattern over the trace inputs but not its size.`,
      });
    }
  }
  const g = studies.generalization;
  if (g) {
    const where = side(g.interval);
    checks.push({
      claim:
        "More heterogeneous hidden units go with better generalisation: ρ(visualisation variance, memorisation error) < 0.",
      measured: `ρ = ${formatNumber(g.spearman)} over ${g.runs.length} runs, 95 % interval [${formatNumber(g.interval[0])}, ${formatNumber(g.interval[1])}]; per seed ${plusMinus(g.seedSpread)}.`,
      verdict:
        where === "below" ? "confirmed" : where === "above" ? "contradicted" : "not confirmed",
      why: (() => {
        const own = trueDataSpearman(g);
        const head = `over the ${own.runs} runs on true digits alone ρ = ${formatNumber(own.spearman)}`;
        return own.spearman > g.spearman
          ? `${head}: the random-label and random-pixel runs, least spread and most memorising, carry much of the pooled ρ.`
          : `${head}: the relation holds among the runs on true digits too.`;
      })(),
    });
  }
  const c = studies.continual;
  if (c && c.runs.length >= 2) {
    const naive = c.runs.filter((r) => !r.rehearsal);
    const kept = c.runs.filter((r) => r.rehearsal);
    if (naive.length && kept.length) {
      const mean = (rs: typeof naive, f: (r: (typeof naive)[number]) => number) =>
        rs.reduce((s, r) => s + f(r), 0) / rs.length;
      const [ariNaive, ariKept] = [mean(naive, (r) => r.meanAri), mean(kept, (r) => r.meanAri)];
      checks.push({
        claim:
          "Catastrophic forgetting tears the units' structure down at task switches; rehearsal keeps it.",
        measured: `Mean ARI across switches: ${formatNumber(ariKept)} with rehearsal (final accuracy ${formatNumber(mean(kept, (r) => r.finalAccuracy))}), ${formatNumber(ariNaive)} without (${formatNumber(mean(naive, (r) => r.finalAccuracy))}).`,
        verdict: ariKept > ariNaive ? "confirmed" : "contradicted",
        why:
          ariKept > ariNaive
            ? "more of the units' cluster structure survives a switch with rehearsal, which also keeps the early tasks."
            : "the units' clusters survive the switches no better with rehearsal, although rehearsal keeps the early tasks.",
      });
    }
  }
  return checks;
}

/** The claim checks as a table. */
export function claimTable(checks: ClaimCheck[]): ReportTable {
  return {
    columns: ["the paper", "we measured", "verdict", "why"],
    rows: checks.map((c) => [c.claim, c.measured, c.verdict, c.why]),
  };
}

export function continualFindings(study: ContinualStudy): string {
  return (
    study.runs
      .map(
        (r) =>
          `${r.name}: mean ARI ${formatNumber(r.meanAri)} over ${r.switches.length} switches, final test accuracy ${formatNumber(r.finalAccuracy)} (tasks 0/1 and 2/3: ${formatNumber(r.earlyTasksAccuracy)})`,
      )
      .join("; ") +
    `. ARI compares k-means partitions (k = ${study.params.ks[0]}…${study.params.ks[study.params.ks.length - 1]}, ${study.params.seeds} seeds each) of the embedded units at the last trace of a task and ${study.params.sliceOffset} traces into the next; the paper expects higher ARI with rehearsal.`
  );
}

export interface MphateStudies {
  dynamics: DynamicsEmbedding;
  generalization?: GeneralizationStudy | null;
  continual?: ContinualStudy | null;
  baselines?: BaselineStudy | null;
}

export function mphateReport(
  bundle: AnalysisBundle,
  studies: MphateStudies,
  params: ResolvedMphateStudyParams,
  view: { colorBy: MphateColorBy },
  context: ReportContext,
): ReportSpec {
  const document = context.document ?? globalThis.document;
  const checks = claimChecks(studies);
  const sections: ReportSection[] = [
    { title: "The paper's claims and what we measured", table: claimTable(checks) },
    {
      title: "Training dynamics",
      text: dynamicsFindings(studies.dynamics),
      figure: mphateScatter(studies.dynamics, {
        colorBy: view.colorBy,
        trajectories: true,
        document,
      }) as Element,
    },
  ];
  for (const other of (["epoch", "layer", "mostActive"] as const).filter(
    (c) => c !== view.colorBy,
  )) {
    sections.push({
      title: `Coloured by ${other === "mostActive" ? "most-active class (L1)" : other}`,
      figure: mphateScatter(studies.dynamics, { colorBy: other, document }) as Element,
    });
  }
  if (studies.generalization) {
    sections.push({
      title: "Generalisation",
      text: `${generalizationHeadline(studies.generalization)} ${generalizationVerdict(studies.generalization)}`,
      figure: generalizationGrid(studies.generalization, { colorBy: "mostActive", document }),
      table: generalizationVariantTable(studies.generalization),
    });
    sections.push({
      title: "Generalisation runs",
      table: generalizationTable(studies.generalization),
    });
    sections.push({
      title: "Visualisation variance vs memorisation error",
      figure: varianceVsMemorization(studies.generalization, { document }) as Element,
    });
  }
  if (studies.continual) {
    sections.push({
      title: "Continual learning",
      text: continualFindings(studies.continual),
      figure: switchAriChart(studies.continual, { document }) as Element,
      table: continualTable(studies.continual),
    });
  }
  if (studies.baselines) {
    sections.push({
      title: "Baselines: neighbour preservation",
      text: baselineText(studies.baselines),
      table: baselineTable(studies.baselines),
    });
  }
  return {
    notebook: "mphate",
    title: `M-PHATE · ${bundle.name}`,
    description: MPHATE_CLAIMS,
    dataset: {
      name: bundle.name,
      sha256: context.sha256,
      samples: bundle.samples,
      task: bundle.task,
    },
    parameters: {
      layers: params.layers.length ? params.layers.join(", ") : "all traced",
      epochStride: params.epochStride,
      unitStride: params.unitStride,
      intrasliceKnn: params.intrasliceKnn,
      intersliceKnn:
        params.intersliceKnn === "auto"
          ? `auto (${studies.dynamics.intersliceKnn})`
          : params.intersliceKnn,
      decay: params.decay,
      t: params.t === "auto" ? `auto (${studies.dynamics.t})` : params.t,
      gamma: params.gamma,
      nLandmark: params.nLandmark,
      ...(studies.generalization
        ? { generalizationLandmarks: studies.generalization.params.nLandmark }
        : {}),
      colorBy: view.colorBy,
    },
    seed: params.seed,
    version: VERSION,
    date: context.date ?? new Date().toISOString(),
    sections,
  };
}
