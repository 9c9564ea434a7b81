/**
 * The hostile-user sweep's vocabulary: a case is a seeded, reproducible command (or a request
 * to `serve`) with what a correct program must do with it; a verdict sorts its outcome into
 * coded / correct / crash / hang / wrong.
 */

export const FAMILIES = [
  "readers",
  "parameters",
  "degenerate",
  "memory",
  "reports",
  "determinism",
  "serve",
] as const;
export type Family = (typeof FAMILIES)[number];

export const OUTCOMES = ["coded", "correct", "crash", "hang", "wrong"] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** One process run: the CLI (`hidden-atlas ARGV`) or a library reader (`api KIND FILE`). */
export interface Run {
  argv: string[];
  mode?: "cli" | "api";
  /** The io memory budget in bytes for this run (lowered to stand small files in for huge ones). */
  budget?: number;
  /** Wall-clock limit; past it the run is a hang. */
  timeoutMs?: number;
}

export interface RunResult {
  /** Exit code, or null when the process was killed. */
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
  /** The resident memory went past the cap and the process was killed. */
  memoryExceeded: boolean;
  peakRssMb: number;
}

/** The parts of a coded error line: `hidden-atlas CMD: E_CODE: message`. */
export interface CodedError {
  code: string;
  message: string;
}

/** What a check sees: the run, its control run (if any) and the case folder. */
export interface CheckContext {
  result: RunResult;
  control?: RunResult;
  /** The second run of a determinism case. */
  again?: RunResult;
  dir: string;
}

/** A check returns null when the output is right, else why it is wrong. */
export type Check = (context: CheckContext) => string | null | Promise<string | null>;

export interface Prepared extends Run {
  /**
   * ok: a valid input, which must succeed (a coded refusal is wrong); error: an invalid one,
   * which must be refused with a coded error (exit 0 is wrong); either: both can be right.
   */
  expect: "ok" | "error" | "either";
  /** Error codes a refusal may carry (any when absent). */
  codes?: string[];
  /** The message must name one of these (the file, field or parameter). */
  names?: string[];
  /** Checks the output of a successful run. */
  check?: Check;
  /** Run first (e.g. the same command on a cleaned or rescaled input); must succeed. */
  control?: Run;
  /** Run the command twice: stdout and `files` must be the same bytes. */
  repeat?: boolean;
  /** Output files (in the case folder) compared by `repeat` and read by checks. */
  files?: string[];
  /** Longest time a refusal may take (memory cases: "quickly"). */
  refuseWithinMs?: number;
  /** A case that is not one command: it runs itself and returns its verdict (serve). */
  custom?: (dir: string) => Promise<Verdict>;
}

export interface Case {
  /** Stable id: family/group/detail; `npm run bench -- sweep --case ID` reruns it. */
  id: string;
  family: Family;
  /** Write the inputs under `dir` (a fresh folder) and say how to run and judge. */
  prepare(dir: string): Prepared | Promise<Prepared>;
}

export interface Verdict {
  outcome: Outcome;
  /** One line: the error code and message, or why the case is a crash/hang/wrong. */
  detail: string;
  ms: number;
  peakRssMb?: number;
}

export interface CaseReport extends Verdict {
  id: string;
  family: Family;
  /** The command, with paths relative to the case folder. */
  command: string;
}
