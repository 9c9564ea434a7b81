// Where the numeric core comes from: by default the package's own build/core.wasm; with
// setCoreSource, a URL, a path or bytes chosen before the first computation; anything that is
// not a WebAssembly module is refused with E_WASM and a message naming it.
// (Each vitest file runs in its own module graph, so the shared core here starts unloaded.)
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { knn, loadCore, setCoreSource } from "../../src/index.ts";
import { HiddenAtlasError } from "../../src/core/errors.ts";

const BUILT = fileURLToPath(new URL("../../build/core.wasm", import.meta.url));

async function refusal(promise: Promise<unknown>): Promise<HiddenAtlasError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HiddenAtlasError);
  return error as HiddenAtlasError;
}

describe("the core's source", () => {
  it("refuses a URL that answers with something other than WebAssembly, naming it and the likely cause", async () => {
    const page = "data:text/html,<!doctype html><title>index</title>";
    const error = await refusal(loadCore(page));
    expect(error.code).toBe("E_WASM");
    expect(error.message).toContain(page);
    expect(error.message).toContain('starting "<!doctype html><"');
    expect(error.message).toMatch(/not a WebAssembly module.*setCoreSource/);
  });

  it("refuses a missing file with E_WASM naming the path", async () => {
    const missing = join(mkdtempSync(join(tmpdir(), "atlas-core-")), "none.wasm");
    const error = await refusal(loadCore(missing));
    expect(error.code).toBe("E_WASM");
    expect(error.message).toContain(missing);
  });

  it("loads the shared core from setCoreSource's choice, once; a failed choice can be replaced", async () => {
    const dir = mkdtempSync(join(tmpdir(), "atlas-core-"));
    const missing = join(dir, "missing.wasm");
    setCoreSource(missing);
    // The shared core (and so every algorithm) now reads the chosen file: absent, so it fails.
    const failed = await refusal(
      knn({ rows: 3, cols: 1, data: new Float32Array([0, 1, 3]) }, { k: 1 }),
    );
    expect(failed.code).toBe("E_WASM");
    expect(failed.message).toContain(missing);

    const copy = join(dir, "core.wasm");
    copyFileSync(BUILT, copy);
    setCoreSource(pathToFileURL(copy).href);
    const result = await knn({ rows: 3, cols: 1, data: new Float32Array([0, 1, 3]) }, { k: 1 });
    expect(Array.from(result.indices)).toEqual([1, 0, 1]);
    expect(await loadCore()).toBe(await loadCore());

    setCoreSource(pathToFileURL(copy).href); // the same choice again is harmless
    const late = (() => {
      try {
        setCoreSource(BUILT);
      } catch (error) {
        return error as HiddenAtlasError;
      }
    })();
    expect(late?.code).toBe("E_PARAM");
    expect(late?.message).toMatch(
      /already loaded: call setCoreSource before the first computation/,
    );
  });

  it("accepts bytes as a source for a separate instance", async () => {
    const { readFile } = await import("node:fs/promises");
    const separate = await loadCore(new Uint8Array(await readFile(BUILT)));
    expect(separate).not.toBe(await loadCore());
    expect(separate.version).toBe((await loadCore()).version);
  });
});
