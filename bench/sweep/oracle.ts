/**
 * The reference reader (oracle.py: NumPy and Python's zipfile) as one long-lived Python
 * process: each question is one line of JSON, answered in order.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Matrix } from "../../src/core/matrix.ts";

const SCRIPT = fileURLToPath(new URL("./oracle.py", import.meta.url));
const PYTHON = "/usr/bin/python3";

export interface OracleAnswer {
  ok: boolean;
  error?: string;
  /** The reference reader itself failed: the file is not judged by it. */
  crashed?: boolean;
  [key: string]: unknown;
}

let process_: ChildProcessWithoutNullStreams | null = null;
let buffered = "";
const waiting: ((answer: OracleAnswer) => void)[] = [];

function start(): ChildProcessWithoutNullStreams {
  const child = spawn(PYTHON, [SCRIPT], {
    env: { ...process.env, OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1" },
  });
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (text: string) => {
    buffered += text;
    for (let end = buffered.indexOf("\n"); end >= 0; end = buffered.indexOf("\n")) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
      waiting.shift()?.(JSON.parse(line));
    }
  });
  child.stderr.on("data", (b) => process.stderr.write(`oracle: ${b}`));
  child.on("exit", () => {
    process_ = null;
    for (const resolve of waiting.splice(0))
      resolve({ ok: false, crashed: true, error: "the reference reader exited" });
  });
  return child;
}

/** Ask the reference reader about a file. */
export function ask(kind: "npy" | "npz" | "bundle-zip", path: string): Promise<OracleAnswer> {
  process_ ??= start();
  const child = process_;
  return new Promise((resolve) => {
    waiting.push(resolve);
    child.stdin.write(JSON.stringify({ kind, path }) + "\n");
  });
}

/** The float32 matrix in an "npy" answer. */
export function answerMatrix(answer: OracleAnswer): Matrix {
  const bytes = Buffer.from(answer.f32 as string, "base64");
  const data = new Float32Array(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  );
  return { rows: answer.rows as number, cols: answer.cols as number, data };
}

export function stopOracle(): void {
  process_?.stdin.end();
  process_ = null;
}
