/** A named pipe (mkfifo(1): Node has no binding for mkfifo(3)). */
import { execFileSync } from "node:child_process";

export function mkfifoSync(path: string): void {
  execFileSync("mkfifo", [path]);
}
