/**
 * Mapper purity by layer under each preset, for the committed example bundles, and its spread
 * over the seed bundles: the tables of the Mapper reproduction, printed as markdown.
 *
 *   npx tsx scripts/mapper-presets.ts [data/examples]
 *
 * Every number is computed here by the same analysis the notebook and `hidden-atlas report`
 * run (mapperAnalysis, mapperSeedStudy); nothing is typed in by hand.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { AnalysisBundle } from "../src/analyses/columns.ts";
import { resolveParams } from "../src/analyses/descriptor.ts";
import {
  MAPPER_PRESETS,
  mapperAnalysis,
  mapperDescriptor,
  mapperSeedStudy,
} from "../src/analyses/mapper.ts";
import { loadBundleFromPath } from "../src/io/node.ts";

const dir = process.argv[2] ?? "data/examples";
const EXAMPLES = ["digits-mlp", "digits-cnn", "fashion-cnn"];
const SEEDS = 5;

const load = (name: string) =>
  loadBundleFromPath(join(dir, `${name}.zip`)) as Promise<AnalysisBundle>;
const f2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : "—");

console.log(
  "## Purity by layer under each preset (mean over nodes of 1 / classes present; lost share in brackets)\n",
);
for (const name of EXAMPLES) {
  const bundle = await load(name);
  const rows: string[][] = [];
  let layers: string[] = [];
  for (const preset of MAPPER_PRESETS) {
    const result = await mapperAnalysis(bundle, { preset });
    layers = result.layers.map((l) => l.layer);
    rows.push([
      preset,
      ...result.layers.map(
        (l) =>
          `${f2(l.purity.label?.meanInverseClasses ?? NaN)} (${Math.round((100 * l.lost.length) / l.samples)} %, ${l.nodes.length} n)`,
      ),
    ]);
  }
  console.log(`### ${name} (${bundle.samples} inputs)\n`);
  console.log(`| preset | ${layers.join(" | ")} |`);
  console.log(`|---|${layers.map(() => "---").join("|")}|`);
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
  console.log("");
}

console.log(
  `## Purity by layer over seeds (mean ± sd, min–max; the analysed network and its ${SEEDS} seed siblings, test inputs)\n`,
);
for (const name of ["digits-cnn", "fashion-cnn"]) {
  const names = Array.from({ length: SEEDS }, (_, i) => `${name}-seed${i + 1}`).filter((n) =>
    existsSync(join(dir, `${n}.zip`)),
  );
  const bundles = [await load(name), ...(await Promise.all(names.map(load)))];
  console.log(`### ${name}: ${bundles.length} networks\n`);
  let header = false;
  for (const preset of MAPPER_PRESETS) {
    const study = await mapperSeedStudy(
      bundles,
      resolveParams(mapperDescriptor, bundles[0], { preset }),
    );
    if (!header) {
      console.log(`| preset | ${study.layers.join(" | ")} | last − first | rises in |`);
      console.log(`|---|${study.layers.map(() => "---").join("|")}|---|---|`);
      header = true;
    }
    const { mean, sd, min, max } = study.spread.purity;
    const L = study.layers.length;
    const change = study.purity.map((p) => p[L - 1] - p[0]);
    const m = change.reduce((a, b) => a + b, 0) / change.length;
    const s = Math.sqrt(change.reduce((a, v) => a + (v - m) ** 2, 0) / (change.length - 1));
    console.log(
      `| ${preset} | ${study.layers.map((_, l) => `${f2(mean[l])} ± ${f2(sd[l])} (${f2(min[l])}–${f2(max[l])})`).join(" | ")} | ${m >= 0 ? "+" : ""}${f2(m)} ± ${f2(s)} | ${change.filter((d) => d > 0).length}/${change.length} |`,
    );
  }
  console.log("");
}
