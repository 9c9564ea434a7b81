// The CLI's command table is lazy: `--help` and `--version` import no command and no package,
// and a command imports only its own module. Checked by recording every module a real process
// loads (a module-loader hook), never by timing.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../src/cli/main.ts";
import type { Command } from "../../src/cli/command.ts";
import { runCli } from "../support/cli.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const HOOK = pathToFileURL(join(ROOT, "test/package/record-imports.mjs")).href;

/** Run `hidden-atlas ...argv` from src/ in a fresh Node process; the URLs of the modules it loaded. */
async function modulesLoadedBy(...argv: string[]): Promise<{ stdout: string; modules: string[] }> {
  const log = join(mkdtempSync(join(tmpdir(), "atlas-imports-")), "modules.log");
  const register = `import {register} from "node:module"; register(${JSON.stringify(HOOK)}, {data: {log: ${JSON.stringify(log)}}});`;
  const script = `import {main} from "./src/cli/main.ts"; process.exitCode = await main(${JSON.stringify(argv)});`;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      "--import",
      "tsx",
      "--import",
      `data:text/javascript,${encodeURIComponent(register)}`,
      "--input-type=module",
      "-e",
      script,
    ],
    { cwd: ROOT },
  );
  return { stdout, modules: readFileSync(log, "utf8").trim().split("\n") };
}

/** Project-relative paths of the project's own modules among `modules`, and the packages. */
function split(modules: string[]): { own: string[]; packages: string[] } {
  const root = pathToFileURL(ROOT).href;
  const own = modules
    .filter((m) => m.startsWith(root) && !m.includes("/node_modules/"))
    .map((m) => m.slice(root.length));
  const packages = modules.filter((m) => m.includes("/node_modules/"));
  return { own, packages };
}

describe("hidden-atlas command table", () => {
  it("names every command with the summary its module declares, and --help lists them all", async () => {
    const overview = (await runCli("--help")).stdout;
    for (const entry of COMMANDS) {
      const command: Command = await entry.load();
      expect(command.spec.name).toBe(entry.name);
      expect(command.spec.summary, `summary of ${entry.name} in src/cli/main.ts`).toBe(
        entry.summary,
      );
      expect(overview).toContain(`  ${entry.name}  `);
      expect(overview).toContain(entry.summary);
    }
    expect(new Set(COMMANDS.map((c) => c.name)).size).toBe(COMMANDS.length);
  });

  it("has a row for every command module in src/cli/commands", async () => {
    const names = new Set(COMMANDS.map((c) => c.name));
    const files = readdirSync(join(ROOT, "src/cli/commands")).filter((f) => f.endsWith(".ts"));
    expect(files.length).toBeGreaterThanOrEqual(COMMANDS.length);
    for (const file of files) {
      const module = (await import(
        pathToFileURL(join(ROOT, "src/cli/commands", file)).href
      )) as Record<string, unknown>;
      const commands = Object.values(module).filter(
        (v): v is Command => typeof v === "object" && v !== null && "spec" in v && "run" in v,
      );
      for (const command of commands)
        expect(names, `${file} is not in COMMANDS`).toContain(command.spec.name);
    }
  });

  it("--help and --version import only the table, the argument parser (with the thread-count rule), the terminal-safe output, errors and the version", async () => {
    for (const flag of ["--help", "--version"]) {
      const { stdout, modules } = await modulesLoadedBy(flag);
      expect(stdout).toMatch(
        flag === "--help" ? /^hidden-atlas \d+\.\d+\.\d+: / : /^\d+\.\d+\.\d+\n$/,
      );
      const { own, packages } = split(modules);
      expect(own).toContain("src/cli/main.ts");
      expect(own.sort()).toEqual([
        "src/cli/args.ts",
        "src/cli/main.ts",
        "src/cli/output.ts",
        "src/core/errors.ts",
        "src/core/thread-count.ts",
        "src/version.ts",
      ]);
      expect(packages).toEqual([]);
    }
  });

  it("a command imports its own module and not the others' (knn loads no d3, no jsdom, no report)", async () => {
    const { stdout, modules } = await modulesLoadedBy("knn", "--help");
    expect(stdout).toContain("hidden-atlas knn INPUT");
    const { own, packages } = split(modules);
    expect(own).toContain("src/cli/commands/knn.ts");
    expect(own.filter((m) => m.startsWith("src/cli/commands/"))).toEqual([
      "src/cli/commands/knn.ts",
    ]);
    expect(own.filter((m) => /^src\/(report|views|analyses|examples)\//.test(m))).toEqual([]);
    expect(packages.filter((m) => /\/node_modules\/(d3|jsdom|@observablehq)/.test(m))).toEqual([]);
  });
});
