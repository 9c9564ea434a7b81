/** Run the hidden-atlas CLI in-process for tests, capturing stdout, stderr and the exit code. */
import { main } from "../../src/cli/main.ts";

export async function runCli(
  ...argv: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t), isTTY: false },
  });
  return { code, stdout, stderr };
}
