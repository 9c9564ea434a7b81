/**
 * Sorting a run into coded / correct / crash / hang / wrong, and running a case end to end.
 *
 * - hang: past its wall-clock limit;
 * - crash: killed by a signal or the memory cap, an internal error, an exit code other than
 *   0, 1 or 2, or an exit 1/2 without a coded error line;
 * - coded: exit 1 (2 for E_USAGE) with `hidden-atlas CMD: E_CODE: message`, the message naming
 *   the thing (when the case says what) and the code among those the case allows;
 * - correct: exit 0 and the output passes the case's check;
 * - wrong: anything a user would be misled by — exit 0 on an invalid input or with output that
 *   fails its check, a valid input refused, a refusal that names nothing or carries the wrong
 *   code, a control character printed raw, or a refusal slower than the case allows.
 */
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Runner } from "./runner.ts";
import type {
  Case,
  CaseReport,
  CheckContext,
  CodedError,
  Prepared,
  RunResult,
  Verdict,
} from "./types.ts";

/** Control characters a terminal acts on: C0 (tab and newline apart), DEL and C1. */
export const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
/** `hidden-atlas CMD: E_CODE: message`, or `hidden-atlas: E_CODE: …` before a command is known. */
const CODED_LINE = /^hidden-atlas(?: [\w-]+)?: (E_[A-Z0-9_]+): (.*)$/m;

export function codedError(stderr: string): CodedError | null {
  const match = CODED_LINE.exec(stderr);
  return match ? { code: match[1], message: match[2] } : null;
}

const oneLine = (text: string, max = 220) => {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
};

const showControls = (text: string) =>
  text.replace(
    new RegExp(RAW_CONTROL.source, "g"),
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );

/** The verdict on one run that is not the case's final word yet (no check run). */
function failureOf(result: RunResult): Verdict | null {
  const base = { ms: result.ms, peakRssMb: result.peakRssMb };
  if (result.timedOut)
    return {
      ...base,
      outcome: "hang",
      detail: `no answer within ${(result.ms / 1000).toFixed(0)} s`,
    };
  if (result.memoryExceeded)
    return {
      ...base,
      outcome: "crash",
      detail: `resident memory past the cap (${result.peakRssMb} MiB)`,
    };
  if (result.signal) return { ...base, outcome: "crash", detail: `killed by ${result.signal}` };
  const internal = /internal error: (.*)/.exec(result.stderr);
  if (internal)
    return {
      ...base,
      outcome: "crash",
      detail: `internal error: ${oneLine(showControls(internal[1]))}`,
    };
  if (result.code !== 0 && result.code !== 1 && result.code !== 2) {
    return {
      ...base,
      outcome: "crash",
      detail: `exit ${result.code}: ${oneLine(showControls(result.stderr))}`,
    };
  }
  if (result.code !== 0 && codedError(result.stderr) === null) {
    return {
      ...base,
      outcome: "crash",
      detail: `exit ${result.code} without a coded error: ${oneLine(showControls(result.stderr))}`,
    };
  }
  return null;
}

/** Judge a run against what the case expects. */
export async function judge(prepared: Prepared, context: CheckContext): Promise<Verdict> {
  const { result } = context;
  const base = { ms: result.ms, peakRssMb: result.peakRssMb };
  const failed = failureOf(result);
  if (failed) return failed;
  const raw = RAW_CONTROL.exec(result.stdout) ?? RAW_CONTROL.exec(result.stderr);
  if (raw)
    return {
      ...base,
      outcome: "wrong",
      detail: `control character U+${raw[0].charCodeAt(0).toString(16).padStart(4, "0")} printed raw`,
    };
  if (result.code !== 0) {
    const error = codedError(result.stderr)!;
    const shown = `${error.code}: ${oneLine(error.message)}`;
    if ((result.code === 2) !== (error.code === "E_USAGE"))
      return { ...base, outcome: "wrong", detail: `exit ${result.code} for ${shown}` };
    if (prepared.expect === "ok")
      return { ...base, outcome: "wrong", detail: `refused a valid input: ${shown}` };
    if (prepared.codes && !prepared.codes.includes(error.code))
      return {
        ...base,
        outcome: "wrong",
        detail: `expected ${prepared.codes.join(" or ")}, got ${shown}`,
      };
    if (
      prepared.names &&
      !prepared.names.some((name) => error.message.toLowerCase().includes(name.toLowerCase()))
    ) {
      return {
        ...base,
        outcome: "wrong",
        detail: `message names none of ${prepared.names.map((n) => JSON.stringify(n)).join(", ")}: ${shown}`,
      };
    }
    if (prepared.refuseWithinMs !== undefined && result.ms > prepared.refuseWithinMs) {
      return {
        ...base,
        outcome: "wrong",
        detail: `refused after ${(result.ms / 1000).toFixed(1)} s (expected within ${prepared.refuseWithinMs / 1000} s): ${shown}`,
      };
    }
    return { ...base, outcome: "coded", detail: shown };
  }
  if (prepared.expect === "error") {
    return {
      ...base,
      outcome: "wrong",
      detail: `exit 0 on an input that must be refused${prepared.codes ? ` (${prepared.codes.join("/")})` : ""}: ${oneLine(showControls(result.stdout), 120)}`,
    };
  }
  if (context.again) {
    const again = failureOf(context.again);
    if (again) return { ...again, detail: `second run: ${again.detail}` };
    if (context.again.stdout !== result.stdout)
      return {
        ...base,
        outcome: "wrong",
        detail: `two runs printed different output: ${firstDifference(result.stdout, context.again.stdout)}`,
      };
  }
  if (prepared.check) {
    let problem: string | null;
    try {
      problem = await prepared.check(context);
    } catch (error) {
      problem = `output cannot be checked: ${(error as Error).message}`;
    }
    if (problem) return { ...base, outcome: "wrong", detail: oneLine(problem) };
  }
  return { ...base, outcome: "correct", detail: "" };
}

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `at byte ${i}: ${JSON.stringify(a.slice(Math.max(0, i - 20), i + 30))} vs ${JSON.stringify(b.slice(Math.max(0, i - 20), i + 30))}`;
}

/** The command a case runs, as a user would type it in the case folder. */
export function commandLine(prepared: Prepared): string {
  if (prepared.custom) return prepared.argv.join(" ");
  const quote = (arg: string) =>
    /^[\w./=,:@+-]+$/.test(arg) ? arg : `'${showControls(arg).replace(/'/g, "'\\''")}'`;
  const budget = prepared.budget !== undefined ? `[memory budget ${prepared.budget} B] ` : "";
  const head = (prepared.mode ?? "cli") === "cli" ? "hidden-atlas" : "[library reader]";
  return `${budget}${head} ${prepared.argv.map(quote).join(" ")}`;
}

/**
 * Prepare a case in `dir` (emptied first), run it (its control first, twice for a
 * determinism case) and judge it. Output files named by the case are compared between runs.
 */
export async function runCase(testCase: Case, dir: string, runner: Runner): Promise<CaseReport> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let prepared: Prepared;
  try {
    prepared = await testCase.prepare(dir);
  } catch (error) {
    throw new Error(`sweep case ${testCase.id} could not be prepared: ${(error as Error).stack}`);
  }
  const report = (verdict: Verdict): CaseReport => ({
    id: testCase.id,
    family: testCase.family,
    command: commandLine(prepared),
    ...verdict,
  });
  if (prepared.custom) {
    const started = performance.now();
    try {
      return report(await prepared.custom(dir));
    } catch (error) {
      return report({
        outcome: "crash",
        detail: `harness: ${(error as Error).message}`,
        ms: performance.now() - started,
      });
    }
  }
  const context: CheckContext = { dir, result: undefined as unknown as RunResult };
  if (prepared.control) {
    context.control = await runner(prepared.control, dir);
    const failed = failureOf(context.control);
    if (failed)
      return report({
        ...failed,
        detail: `control run (${commandLine({ ...prepared.control, expect: "ok" })}): ${failed.detail}`,
      });
    if (context.control.code !== 0)
      return report({
        outcome: "wrong",
        detail: `control run refused: ${oneLine(context.control.stderr)}`,
        ms: context.control.ms,
      });
  }
  context.result = await runner(prepared, dir);
  if (prepared.repeat && context.result.code === 0) {
    const first = (prepared.files ?? []).map((f) => readOrNull(join(dir, f)));
    context.again = await runner(prepared, dir);
    const second = (prepared.files ?? []).map((f) => readOrNull(join(dir, f)));
    const differs = (prepared.files ?? []).find((_, i) => !sameBytes(first[i], second[i]));
    if (differs && context.again.code === 0)
      return report({
        outcome: "wrong",
        detail: `two runs wrote different ${differs}`,
        ms: context.result.ms,
      });
  }
  return report(await judge(prepared, context));
}

function readOrNull(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}

function sameBytes(a: Buffer | null, b: Buffer | null): boolean {
  return a === null || b === null ? a === b : a.equals(b);
}
