// Build the numeric core (build/core.wasm) unless it is newer than every source in assembly/.
// `--force` rebuilds anyway. Used by `npm run build:core`, `npm start` and the test setup.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, renameSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const output = join(root, "build", "core.wasm");

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

export function buildCore({ force = false } = {}) {
  const sources = Math.max(newestSource(join(root, "assembly")), statSync(join(root, "asconfig.json")).mtimeMs);
  if (!force && existsSync(output) && statSync(output).mtimeMs >= sources) return false;
  const asc = join(root, "node_modules", "assemblyscript", "bin", "asc.js");
  // Compile to a private file and rename it into place, so a process loading the core while
  // another rebuilds it never reads a half-written module.
  const partial = `${output}.${process.pid}.partial`;
  execFileSync(process.execPath, [asc, "--config", "asconfig.json", "--target", "release", "--outFile", partial], {
    cwd: root,
    stdio: "inherit",
  });
  renameSync(partial, output);
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const built = buildCore({ force: process.argv.includes("--force") });
  console.error(built ? "built build/core.wasm" : "build/core.wasm is up to date");
}
