/**
 * `npm run bench -- claims [mda|mphate|specificity|som ...]`: the tables of the reproductions'
 * claims, computed by the analyses on the bundled examples and printed as markdown (nothing is
 * typed in by hand). Each table is printed as soon as it is done; progress goes to stderr.
 *
 * - mda: digits-rotation (fc) and digits-cnn (gap), every method before and after training over
 *   three embedding seeds: target continuity, leave-one-out 5-NN, geodesic Pearson r with the
 *   share of pairs joined across graph pieces, trustworthiness; the supervised-UMAP control is
 *   its own row.
 * - mphate: digits-mlp, M-PHATE and its baselines, neighbour preservation in both spaces (the raw
 *   trace and the z-scored trace).
 * - specificity: the layer-topology seed study of digits-cnn and fashion-cnn (six seeds each):
 *   how often a layer's nearest layer in another seed's network is itself, by H1 sliced
 *   Wasserstein (raw, RMS-normalised) and linear CKA.
 * - som: digits-cnn, every layer's codes over three SOM seeds.
 */
import { readFileSync } from "node:fs";
import { resolveParams } from "../src/analyses/descriptor.ts";
import { layerTopologyDescriptor, seedStudy } from "../src/analyses/layer-topology.ts";
import { mdaAnalysis } from "../src/analyses/mda.ts";
import { mphateAnalysis } from "../src/analyses/mphate.ts";
import { somCodes } from "../src/analyses/som-codes.ts";
import { loadBundle } from "../src/io/bundle.ts";
import { zipSource } from "../src/io/sources.ts";
import { mdaClaimFindings, seedSpreadTable } from "../src/report/mda.ts";
import { baselineTable } from "../src/report/mphate.ts";
import { seedStudyFindings, specificityTable } from "../src/report/layer-topology.ts";
import type { ReportTable } from "../src/report/report.ts";
import { somClaimFindings, somSeedTable } from "../src/report/som-codes.ts";

const example = (name: string) =>
  loadBundle(
    zipSource(
      readFileSync(new URL(`../data/examples/${name}.zip`, import.meta.url)),
      `${name}.zip`,
    ),
  );
const progress = (what: string) => ({
  onProgress: (e: { stage: string; done: number; total: number }) =>
    process.stderr.write(`\r${what}: ${e.stage} ${e.done}/${e.total}          `),
});

/** A report table as a markdown table (cells as text; `|` escaped). */
export function markdownTable(table: ReportTable): string {
  const cell = (v: unknown) =>
    (v === null || v === undefined ? "—" : String(v)).replaceAll("|", "\\|");
  return [
    `| ${table.columns.map(cell).join(" | ")} |`,
    `|${table.columns.map(() => "---").join("|")}|`,
    ...table.rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ].join("\n");
}

const print = (title: string, table: ReportTable, notes: string[] = []) => {
  process.stderr.write("\n");
  console.log(
    `\n### ${title}\n\n${markdownTable(table)}\n${notes.map((n) => `\n${n}`).join("\n")}`,
  );
};

async function mdaTables(): Promise<void> {
  for (const [name, layer] of [
    ["digits-rotation", "fc"],
    ["digits-cnn", "gap"],
  ] as const) {
    const bundle = await example(name);
    const result = await mdaAnalysis(
      bundle,
      { layers: [layer], seedRuns: 3 },
      progress(`mda ${name}`),
    );
    const f = mdaClaimFindings(result.seeds!);
    print(
      `MDA · ${name} · ${layer} · ${result.samples.length} samples · embedding seeds ${result.seeds!.seeds.join(", ")} (mean ± sd)`,
      seedSpreadTable(result.seeds!),
      [f.verdict.join(" ")],
    );
  }
}

async function mphateTables(): Promise<void> {
  const bundle = await example("digits-mlp");
  const result = await mphateAnalysis(bundle, { baselines: true }, progress("mphate digits-mlp"));
  print(
    `M-PHATE · digits-mlp · neighbour preservation in both spaces (${result.baselines!.epochs.length} checkpoints × ${result.baselines!.units} units)`,
    baselineTable(result.baselines!),
    result.baselines!.notes,
  );
}

async function specificityTables(): Promise<void> {
  for (const net of ["digits-cnn", "fashion-cnn"]) {
    const bundles = await Promise.all(
      [net, ...[1, 2, 3, 4, 5].map((s) => `${net}-seed${s}`)].map(example),
    );
    const study = await seedStudy(
      bundles,
      resolveParams(layerTopologyDescriptor, bundles[0], { split: "test" }),
      progress(`seed study ${net}`),
    );
    print(
      `Layer topology · ${net} · ${study.runs.length} seeds · ${study.samples} test images · specificity (nearest layer in another seed's network is itself)`,
      specificityTable(study),
      [seedStudyFindings(study).verdict.join(" ")],
    );
  }
}

async function somTables(): Promise<void> {
  const bundle = await example("digits-cnn");
  const result = await somCodes(bundle, { seedRuns: 3 }, progress("som-codes digits-cnn"));
  print(
    `SOM codes · digits-cnn · every layer over SOM seeds ${result.seeds!.seeds.join(", ")} (mean ± sd)`,
    somSeedTable(result.seeds!),
    [somClaimFindings(result.seeds!).verdict.join(" ")],
  );
}

const PARTS: Record<string, () => Promise<void>> = {
  mda: mdaTables,
  mphate: mphateTables,
  specificity: specificityTables,
  som: somTables,
};

export async function runClaims(names: string[]): Promise<void> {
  const unknown = names.filter((n) => !(n in PARTS));
  if (unknown.length)
    throw new Error(
      `unknown claims table(s): ${unknown.join(", ")}; known: ${Object.keys(PARTS).join(", ")}`,
    );
  for (const name of names.length ? names : Object.keys(PARTS)) await PARTS[name]();
}
