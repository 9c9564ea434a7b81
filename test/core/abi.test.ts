/**
 * The hand-written wasm ABI (the `CoreKernels` interface, declared in src/core/wasm.ts and
 * extended by each algorithm module) agrees with what build/core.wasm exports: every declared
 * kernel exists with the declared number of parameters, and every exported kernel is declared
 * somewhere (an export nobody declares is dead code in the core).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(join(dir, e.name))
      : e.name.endsWith(".ts")
        ? [join(dir, e.name)]
        : [],
  );
}

/** Every `interface CoreKernels { … }` block in src/: method name → parameter count (and where). */
function declaredKernels(): Map<string, { params: number; file: string }> {
  const declared = new Map<string, { params: number; file: string }>();
  for (const file of sources(join(ROOT, "src"))) {
    const text = readFileSync(file, "utf8");
    for (const block of text.matchAll(/interface CoreKernels \{([\s\S]*?)\n\s*\}/g)) {
      // Methods: name(…): type; — parameters may span lines; count top-level commas.
      for (const m of block[1].matchAll(/(\w+)\(([^)]*)\)\s*:/g)) {
        const list = m[2].replace(/\s+/g, " ").trim();
        const params = list === "" ? 0 : list.replace(/,\s*$/, "").split(",").length;
        declared.set(m[1], { params, file: file.slice(ROOT.length) });
      }
    }
  }
  return declared;
}

/** Exports the AssemblyScript runtime and the loader add, not kernels of ours. */
const RUNTIME = /^(__|memory$|table$)/;

describe("the wasm ABI", () => {
  it("every declared kernel is exported with its declared arity, and every exported kernel is declared", async () => {
    const bytes = readFileSync(join(ROOT, "build", "core.wasm"));
    const module = await WebAssembly.compile(bytes);
    const imports: WebAssembly.Imports = {};
    for (const i of WebAssembly.Module.imports(module)) {
      imports[i.module] ??= {};
      (imports[i.module] as Record<string, unknown>)[i.name] =
        i.kind === "function"
          ? () => {}
          : i.kind === "memory"
            ? new WebAssembly.Memory({ initial: 1 })
            : undefined;
    }
    const { exports } = await WebAssembly.instantiate(module, imports);
    const exported = new Map(
      Object.entries(exports)
        .filter(([name, v]) => typeof v === "function" && !RUNTIME.test(name))
        .map(([name, f]) => [name, (f as (...a: unknown[]) => unknown).length]),
    );
    const declared = declaredKernels();
    expect(declared.size).toBeGreaterThan(100);
    const missing = [...declared]
      .filter(([name]) => !exported.has(name))
      .map(([name, d]) => `${name} (${d.file})`);
    const arity = [...declared]
      .filter(([name, d]) => exported.has(name) && exported.get(name) !== d.params)
      .map(
        ([name, d]) => `${name}: declared ${d.params}, exported ${exported.get(name)} (${d.file})`,
      );
    const undeclared = [...exported.keys()].filter((name) => !declared.has(name));
    expect(missing, "declared but not exported").toEqual([]);
    expect(arity, "parameter counts").toEqual([]);
    expect(undeclared, "exported but declared nowhere (dead kernels)").toEqual([]);
  });
});
