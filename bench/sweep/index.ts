/**
 * `npm run bench -- sweep [--family F,…] [--case ID] [--concurrency N] [--keep] [--seed S]`:
 * the hostile-user sweep. Every case runs the built CLI in its own process (wall-clock limit,
 * resident-memory cap, V8 heap cap) and is sorted into coded / correct / crash / hang / wrong;
 * the table per family and in total goes to stdout with every case that is neither coded nor
 * correct (its id and a one-line reproduction), and a JSON summary to bench/sweep/results.json.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allCases } from "./cases.ts";
import { runCase } from "./classify.ts";
import { stopOracle } from "./oracle.ts";
import { childRunner, distIsStale, ROOT, type Runner } from "./runner.ts";
import { stopServers } from "./families/serve.ts";
import {
  FAMILIES,
  OUTCOMES,
  type Case,
  type CaseReport,
  type Family,
  type Outcome,
} from "./types.ts";

export interface SweepOptions {
  families?: Family[];
  ids?: string[];
  concurrency?: number;
  /** Keep every case folder (failing ones are always kept). */
  keep?: boolean;
  runner?: Runner;
  /** Called after each case. */
  onCase?: (report: CaseReport, done: number, total: number) => void;
}

export interface SweepResult {
  reports: CaseReport[];
  table: Record<Family | "total", Record<Outcome | "tried", number>>;
  root: string;
}

/** Run `cases` (all, by default) and tabulate them. */
export async function sweep(cases: Case[], options: SweepOptions = {}): Promise<SweepResult> {
  const runner = options.runner ?? childRunner;
  const root = mkdtempSync(join(tmpdir(), "atlas-sweep-"));
  const reports: CaseReport[] = new Array(cases.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < cases.length) {
      const index = next++;
      const testCase = cases[index];
      const dir = join(root, testCase.id.replace(/[^\w.-]+/g, "_"));
      const report = await runCase(testCase, dir, runner);
      reports[index] = report;
      if (!options.keep && (report.outcome === "coded" || report.outcome === "correct"))
        rmSync(dir, { recursive: true, force: true });
      options.onCase?.(report, ++done, cases.length);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 2) }, worker));
  } finally {
    await stopServers();
    stopOracle();
  }
  return { reports, table: tabulate(reports), root };
}

export function tabulate(reports: CaseReport[]): SweepResult["table"] {
  const empty = () =>
    Object.fromEntries(["tried", ...OUTCOMES].map((k) => [k, 0])) as Record<
      Outcome | "tried",
      number
    >;
  const table = Object.fromEntries(
    [...FAMILIES, "total"].map((f) => [f, empty()]),
  ) as SweepResult["table"];
  for (const r of reports) {
    for (const row of [table[r.family], table.total]) {
      row.tried++;
      row[r.outcome]++;
    }
  }
  return table;
}

export function formatTable(table: SweepResult["table"]): string {
  const columns = ["family", "tried", ...OUTCOMES];
  const rows = [...FAMILIES, "total" as const]
    .filter((f) => table[f].tried > 0 || f === "total")
    .map((f) => [f, ...["tried", ...OUTCOMES].map((k) => String(table[f][k as Outcome]))]);
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(columns), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** Every case that is neither coded nor correct, one line each, with how to rerun it. */
export function formatFailures(reports: CaseReport[]): string {
  const failing = reports.filter((r) => r.outcome !== "coded" && r.outcome !== "correct");
  if (failing.length === 0) return "No crash, hang or wrong outcome.";
  return failing
    .map(
      (r) =>
        `${r.outcome.toUpperCase().padEnd(5)} ${r.id}: ${r.detail}\n      rerun: npm run bench -- sweep --case ${r.id}   # ${r.command}`,
    )
    .join("\n");
}

function parseArguments(argv: string[]): SweepOptions {
  const options: SweepOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`sweep: ${flag} needs a value`);
      return v;
    };
    if (flag === "--family") {
      options.families = value().split(",") as Family[];
      const unknown = options.families.filter((f) => !FAMILIES.includes(f));
      if (unknown.length)
        throw new Error(
          `sweep: unknown family ${unknown.join(", ")} (known: ${FAMILIES.join(", ")})`,
        );
    } else if (flag === "--case") options.ids = [...(options.ids ?? []), value()];
    else if (flag === "--concurrency") options.concurrency = Number(value());
    else if (flag === "--keep") options.keep = true;
    else
      throw new Error(
        `sweep: unknown option ${flag} (known: --family, --case, --concurrency, --keep)`,
      );
  }
  return options;
}

/** The `sweep` entry of `npm run bench`. */
export async function runSweep(argv: string[]): Promise<void> {
  const options = parseArguments(argv);
  if (distIsStale()) {
    console.error("sweep: dist/ is older than src/: building the CLI (npm run build:cli) …");
    execFileSync("npm", ["run", "build:cli", "--silent"], { cwd: ROOT, stdio: "inherit" });
  }
  let cases = allCases();
  if (options.families) cases = cases.filter((c) => options.families!.includes(c.family));
  if (options.ids) {
    const unknown = options.ids.filter((id) => !cases.some((c) => c.id === id));
    if (unknown.length) throw new Error(`sweep: no case ${unknown.join(", ")}`);
    cases = cases.filter((c) => options.ids!.includes(c.id));
    options.keep = true;
  }
  const started = performance.now();
  const { reports, table, root } = await sweep(cases, {
    ...options,
    onCase: (r, done, total) => {
      const flag =
        r.outcome === "coded" || r.outcome === "correct"
          ? ""
          : `  ${r.outcome.toUpperCase()}: ${r.detail}`;
      console.error(
        `[${done}/${total}] ${r.outcome.padEnd(7)} ${(r.ms / 1000).toFixed(1).padStart(5)} s  ${r.id}${flag}`,
      );
    },
  });
  const minutes = (performance.now() - started) / 60_000;
  console.log(
    `\nHidden Atlas hostile-user sweep · ${reports.length} cases · ${minutes.toFixed(1)} min · Node ${process.version}\n`,
  );
  console.log(formatTable(table));
  console.log("");
  console.log(formatFailures(reports));
  if (options.ids) {
    for (const r of reports)
      console.log(
        `\ncase folder: ${join(root, r.id.replace(/[^\w.-]+/g, "_"))}\ncommand: ${r.command}\noutcome: ${r.outcome} ${r.detail}`,
      );
  }
  const slowest = [...reports].sort((a, b) => b.ms - a.ms).slice(0, 5);
  console.log(
    `\nslowest: ${slowest.map((r) => `${r.id} ${(r.ms / 1000).toFixed(1)} s`).join("; ")}`,
  );
  if (!options.ids) {
    const summary = {
      date: new Date().toISOString(),
      node: process.version,
      minutes: Number(minutes.toFixed(2)),
      table,
      failures: reports.filter((r) => r.outcome !== "coded" && r.outcome !== "correct"),
      cases: reports.map(({ id, outcome, detail, ms, peakRssMb }) => ({
        id,
        outcome,
        detail,
        ms: Math.round(ms),
        peakRssMb,
      })),
    };
    writeFileSync(join(ROOT, "bench/sweep/results.json"), JSON.stringify(summary, null, 1) + "\n");
    console.log("summary written to bench/sweep/results.json");
  }
}
