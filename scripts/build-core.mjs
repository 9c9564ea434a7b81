// Build the numeric core unless it is newer than every source in assembly/: build/core.wasm
// (SIMD, one thread) and build/core.threads.wasm (the same kernels on a shared, imported memory,
// for the kernel threads of src/core/threads.ts). `--force` rebuilds anyway. Used by
// `npm run build:core`, `npm start` and the test setup.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, renameSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** asconfig.json targets built by default, with their output files. */
const TARGETS = [
  ["release", join(root, "build", "core.wasm")],
  ["threads", join(root, "build", "core.threads.wasm")],
];

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

export function buildCore({ force = false } = {}) {
  const sources = Math.max(
    newestSource(join(root, "assembly")),
    statSync(join(root, "asconfig.json")).mtimeMs,
  );
  const asc = join(root, "node_modules", "assemblyscript", "bin", "asc.js");
  let built = false;
  for (const [target, output] of TARGETS) {
    if (!force && existsSync(output) && statSync(output).mtimeMs >= sources) continue;
    // Compile to a private file and rename it into place, so a process loading the core while
    // another rebuilds it never reads a half-written module.
    const partial = `${output}.${process.pid}.partial`;
    execFileSync(
      process.execPath,
      [asc, "--config", "asconfig.json", "--target", target, "--outFile", partial],
      {
        cwd: root,
        stdio: "inherit",
      },
    );
    renameSync(partial, output);
    built = true;
  }
  return built;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const built = buildCore({ force: process.argv.includes("--force") });
  console.error(
    built ? "built build/core.wasm and build/core.threads.wasm" : "the core is up to date",
  );
}
