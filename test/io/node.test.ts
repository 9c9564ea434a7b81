import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadBundle } from "../../src/io/bundle.ts";
import { memoryBudget, setMemoryBudget } from "../../src/io/limits.ts";
import { folderSource, loadBundleFromPath, readFileBytes, writeBundle } from "../../src/io/node.ts";
import { FIXTURES, expectFixtureBundle, expectRejection, fixtureBundleFiles } from "./support.ts";

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "hidden-atlas-io-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe("folderSource", () => {
  it("loads the fixture bundle folder and lists its files with / separators", async () => {
    const source = folderSource(FIXTURES + "bundle");
    expect(source.name).toBe("bundle");
    expectFixtureBundle(await loadBundle(source));
    expect((await source.list!()).sort()).toEqual([...fixtureBundleFiles().keys()].sort());
    expect(await source.exists("layers")).toBe(false);
  });
});

describe("loadBundleFromPath", () => {
  const paths = ["bundle", "bundle/", "bundle/manifest.json", "bundle.zip"];
  it.each(paths)("loads the fixture bundle from %s", async (path) => {
    expectFixtureBundle(await loadBundleFromPath(FIXTURES + path));
  });

  it("loads a bare .npz with a synthesised manifest", async () => {
    const bundle = await loadBundleFromPath(FIXTURES + "activations.npz", { layers: ["fc2"] });
    expect([bundle.name, bundle.layers.map((l) => l.name)]).toEqual(["activations", ["fc2"]]);
  });

  it("refuses a path that is not a folder, .zip, .npz or manifest.json", async () => {
    await expectRejection(
      loadBundleFromPath(FIXTURES + "csv/savetxt.csv"),
      "E_PARAM",
      /invalid bundle path: .*savetxt\.csv \(expected a folder, a \.zip, an \.npz or a manifest\.json\)/,
    );
  });

  it("reports a path that does not exist as E_IO naming it", async () => {
    const error = await expectRejection(
      loadBundleFromPath(join(scratch, "nope")),
      "E_IO",
      /cannot open .*nope: ENOENT/,
    );
    expect(error.details.path).toBe(join(scratch, "nope"));
  });
});

describe("readFileBytes", () => {
  it("returns the file's bytes and refuses a missing file with E_IO", async () => {
    expect(await readFileBytes(FIXTURES + "bundle/manifest.json")).toEqual(
      new Uint8Array(await readFile(FIXTURES + "bundle/manifest.json")),
    );
    await expectRejection(
      readFileBytes(join(scratch, "missing.npy")),
      "E_IO",
      /cannot read .*missing\.npy: ENOENT/,
    );
  });

  it("refuses a folder, a named pipe and a link to /dev/zero at once (E_IO naming the path and what it is), never blocking", async () => {
    await expectRejection(
      readFileBytes(scratch),
      "E_IO",
      /^cannot read .*: it is a folder, not a regular file$/,
    );
    const fifo = join(scratch, "pipe.npy");
    execFileSync("mkfifo", [fifo]); // no writer: a blocking open or read would wait forever
    await expectRejection(
      readFileBytes(fifo),
      "E_IO",
      /pipe\.npy: it is a named pipe, not a regular file$/,
    );
    if (existsSync("/dev/zero")) {
      const zero = join(scratch, "zero.npy");
      await symlink("/dev/zero", zero); // a read of it would never end
      await expectRejection(
        readFileBytes(zero),
        "E_IO",
        /zero\.npy: it is a character device, not a regular file$/,
      );
    }
  });

  it("refuses a file larger than the memory budget with E_TOO_LARGE before reading it", async () => {
    const path = join(scratch, "big.npy");
    await writeFile(path, new Uint8Array(4096));
    const previous = memoryBudget();
    setMemoryBudget(1024);
    try {
      await expectRejection(
        readFileBytes(path),
        "E_TOO_LARGE",
        /big\.npy: the file holds 4\.0 KiB \(4096 bytes\), more than the 1\.0 KiB budget/,
      );
    } finally {
      setMemoryBudget(previous);
    }
    expect((await readFileBytes(path)).length).toBe(4096);
  });
});

describe("writeBundle", () => {
  it("writes a folder that loads back as the same bundle", async () => {
    const bundle = await loadBundleFromPath(FIXTURES + "bundle.zip");
    const dir = join(scratch, "written", "deep");
    const manifest = await writeBundle(bundle, dir);
    expect(manifest.layers.map((l) => l.file)).toEqual(["layers/dense.npy", "layers/conv.npy"]);
    const back = await loadBundleFromPath(dir);
    expect({ ...back, manifest: undefined }).toEqual({ ...bundle, manifest: undefined });
    expect(JSON.parse(await readFile(join(dir, "manifest.json"), "utf8"))).toEqual(manifest);
  });

  it("reports a folder that cannot be created as E_IO", async () => {
    const file = join(scratch, "a-file");
    await writeFile(file, "x");
    const layers = [{ name: "a", shape: [1], data: new Float32Array(1) }];
    await expectRejection(
      writeBundle({ name: "x", task: "regression", layers }, join(file, "sub")),
      "E_IO",
      /cannot write .*a-file.sub.manifest\.json/,
    );
  });
});

describe("folderSource and symbolic links", () => {
  /** The fixture bundle copied into a fresh folder, with `edit` applied. */
  async function copyOfFixture(edit: (dir: string) => Promise<void>): Promise<string> {
    const dir = await mkdtemp(join(scratch, "links-"));
    const bundle = join(dir, "bundle");
    for (const [path, bytes] of fixtureBundleFiles()) {
      await mkdir(dirname(join(bundle, path)), { recursive: true });
      await writeFile(join(bundle, path), bytes);
    }
    await edit(bundle);
    return bundle;
  }

  it("refuses a layer that is a link leading outside the bundle folder, naming the entry", async () => {
    const bundle = await copyOfFixture(async (dir) => {
      const outside = join(dirname(dir), "secret.npy");
      await rename(join(dir, "layers/dense.npy"), outside);
      await symlink(outside, join(dir, "layers/dense.npy"));
    });
    for (const lazy of [false, true]) {
      const error = await expectRejection(
        loadBundleFromPath(bundle, { lazy }),
        "E_IO",
        /^bundle: layers\/dense\.npy is a symbolic link that leads outside the bundle folder; copy the file into the bundle instead$/,
      );
      expect(error.details.file).toBe("layers/dense.npy");
    }
    await expectRejection(folderSource(bundle).read("layers/dense.npy"), "E_IO", /leads outside/);
  });

  it("refuses a manifest or a folder inside the bundle that links outside", async () => {
    const manifestLink = await copyOfFixture(async (dir) => {
      await rename(join(dir, "manifest.json"), join(dirname(dir), "m.json"));
      await symlink(join(dirname(dir), "m.json"), join(dir, "manifest.json"));
    });
    await expectRejection(
      loadBundleFromPath(manifestLink),
      "E_IO",
      /manifest\.json is a symbolic link that leads outside/,
    );
    const folderLink = await copyOfFixture(async (dir) => {
      await rename(join(dir, "layers"), join(dirname(dir), "elsewhere"));
      await symlink("../elsewhere", join(dir, "layers"));
    });
    await expectRejection(
      loadBundleFromPath(folderLink),
      "E_IO",
      /layers\/dense\.npy is a symbolic link that leads outside/,
    );
  });

  it("follows links that stay inside the folder, and a bundle folder that is itself a link", async () => {
    const bundle = await copyOfFixture(async (dir) => {
      await rename(join(dir, "layers/dense.npy"), join(dir, "dense-data.npy"));
      await symlink("../dense-data.npy", join(dir, "layers/dense.npy"));
    });
    expectFixtureBundle(await loadBundleFromPath(bundle));
    const alias = join(dirname(bundle), "alias");
    await symlink(bundle, alias);
    expectFixtureBundle(await loadBundleFromPath(alias));
  });
});
