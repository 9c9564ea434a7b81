import { describe, expect, it } from "vitest";
import { loadBundle } from "../../src/io/bundle.ts";
import { zipBundle } from "../../src/io/bundle-write.ts";
import { writeNpy } from "../../src/io/npy.ts";
import { writeNpz } from "../../src/io/npz.ts";
import {
  bundleRoot,
  fileListSource,
  memorySource,
  npzSource,
  sourceFromFiles,
  urlSource,
  zipSource,
  type FileLike,
} from "../../src/io/sources.ts";
import { zipEntries } from "../../src/io/zip.ts";
import {
  expectFixtureBundle,
  expectRejection,
  expectValues,
  expected,
  fixture,
  fixtureBundleFiles,
} from "./support.ts";

/** Browser File stand-ins for the fixture bundle folder, as <input webkitdirectory> gives them. */
function pickedFolder(prefix = "bundle/"): FileLike[] {
  return [...fixtureBundleFiles()].map(([path, bytes]) => ({
    name: path.split("/").pop()!,
    webkitRelativePath: prefix + path,
    arrayBuffer: async () => bytes.slice().buffer,
  }));
}

/** A fetch that serves the fixture bundle under https://example.org/runs/mlp/. */
function fixtureFetch(log: string[] = []): typeof fetch {
  const files = fixtureBundleFiles();
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    log.push(`${init?.method ?? "GET"} ${url.pathname}`);
    const path = url.pathname.replace(/^\/runs\/mlp\//, "");
    const bytes = url.host === "example.org" ? files.get(path) : undefined;
    if (bytes === undefined) return new Response("not found", { status: 404 });
    return new Response(init?.method === "HEAD" ? null : bytes.slice(), { status: 200 });
  }) as typeof fetch;
}

describe("bundleRoot", () => {
  it("finds the manifest at the root or inside exactly one top-level folder", () => {
    expect(bundleRoot(["manifest.json", "a/manifest.json"])).toBe("");
    expect(bundleRoot(["run/manifest.json", "run/a.npy", "__MACOSX/x/manifest.json"])).toBe("run/");
    expect(bundleRoot(["a/manifest.json", "b/manifest.json"])).toBe("");
    expect(bundleRoot(["a/b/manifest.json"])).toBe("");
  });
});

describe("zipSource", () => {
  it("loads a bundle zipped in a top-level folder, with folder and __MACOSX entries", async () => {
    const source = zipSource(fixture("bundle.zip"), "bundle.zip");
    expectFixtureBundle(await loadBundle(source));
    expect((await source.list!()).sort()).toEqual([...fixtureBundleFiles().keys()].sort());
  });

  it("loads a bundle zipped at the root", async () => {
    const bundle = await loadBundle(zipSource(fixture("bundle.zip"), "a.zip"));
    expectFixtureBundle(await loadBundle(zipSource(zipBundle(bundle), "b.zip")));
  });

  it("says where the manifest was looked for when two folders hold one", async () => {
    const manifest = fixtureBundleFiles().get("manifest.json")!;
    const zip = zipEntries([
      ["a/manifest.json", manifest],
      ["b/manifest.json", manifest],
    ]);
    await expectRejection(
      loadBundle(zipSource(zip, "two.zip")),
      "E_MANIFEST",
      /two\.zip: no manifest\.json \(expected at the root or inside one top-level folder\)/,
    );
  });

  it("read refuses a path that is not in the archive", async () => {
    await expectRejection(
      zipSource(fixture("bundle.zip"), "b.zip").read("nope.npy"),
      "E_MISSING_FILE",
      /b\.zip: no file nope\.npy/,
    );
  });
});

describe("npzSource", () => {
  it("synthesises a manifest for a bare .npz: roles by name, layers in archive order", async () => {
    const bundle = await loadBundle(npzSource(fixture("activations.npz"), "runs/activations.npz"));
    expect(bundle.name).toBe("activations");
    expect(bundle.task).toBe("classification");
    expect(bundle.samples).toBe(6);
    expect(bundle.layers.map((l) => [l.name, l.kind, l.shape, l.file])).toEqual([
      ["fc1", "dense", [6, 4], "fc1.npy"],
      ["fc2", "dense", [6, 3], "fc2.npy"],
    ]);
    expectValues(bundle.layers[0].data, expected.bundle["layers/dense.npy"].values);
    expect(bundle.labels).toEqual(new Int32Array([0, 1, 2, 0, 1, 2]));
    expect(bundle.split).toEqual(new Uint8Array([0, 0, 0, 0, 1, 1]));
    expect(bundle.manifest.labels).toBe("labels.npy");
  });

  it("takes regression when only targets are present, classification otherwise", async () => {
    const layer = { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) };
    const targets = { shape: [2], data: new Float32Array([0.5, 1.5]) };
    const regression = await loadBundle(npzSource(writeNpz({ targets, h: layer }), "r.npz"));
    const layers = regression.layers.map((l) => l.name);
    expect([regression.task, regression.targets?.rows, layers]).toEqual(["regression", 2, ["h"]]);
    expect((await loadBundle(npzSource(writeNpz({ h: layer }), "c.npz"))).task).toBe(
      "classification",
    );
  });

  it("uses a manifest.json inside the archive when there is one", async () => {
    const files = fixtureBundleFiles();
    const bundle = await loadBundle(npzSource(zipEntries(files), "with-manifest.npz"));
    expectFixtureBundle(bundle);
  });

  it("refuses arrays whose first dimensions differ, naming both", () => {
    const npz = writeNpz({
      a: { shape: [3, 1], data: new Float32Array(3) },
      b: { shape: [4], data: new Float32Array(4) },
    });
    expect(() => npzSource(npz, "m.npz")).toThrow(
      /m\.npz: array 'b' has shape \(4,\) but 'a' has 3 samples; every array's first dimension/,
    );
  });

  it("refuses a 0-d array, which has no samples", () => {
    const npz = writeNpz({ s: { shape: [], data: new Float32Array(1) } });
    expect(() => npzSource(npz, "m.npz")).toThrow(
      /m\.npz: array 's' is 0-d; every array's first dimension must be the sample count/,
    );
  });
});

describe("urlSource", () => {
  it("loads a bundle over HTTP with HEAD for existence and GET for data", async () => {
    const log: string[] = [];
    const source = urlSource("https://example.org/runs/mlp", undefined, {
      fetch: fixtureFetch(log),
    });
    expect(source.name).toBe("mlp");
    expectFixtureBundle(await loadBundle(source));
    expect(log).toContain("HEAD /runs/mlp/manifest.json");
    expect(log).toContain("GET /runs/mlp/layers/conv.npy");
  });

  it("reports a 404 as E_MISSING_FILE and other failures as E_IO", async () => {
    const source = urlSource("https://example.org/runs/mlp/", "mlp", { fetch: fixtureFetch() });
    await expectRejection(source.read("nope.npy"), "E_MISSING_FILE", /mlp: no file nope\.npy/);
    const failing = urlSource("https://example.org/x/", "x", {
      fetch: (async () => new Response("", { status: 500 })) as typeof fetch,
    });
    await expectRejection(
      failing.read("a.npy"),
      "E_IO",
      /GET https:\/\/example\.org\/x\/a\.npy: HTTP 500/,
    );
    const offline = urlSource("https://example.org/x/", "x", {
      fetch: (async () => {
        throw new TypeError("fetch failed");
      }) as typeof fetch,
    });
    await expectRejection(
      offline.exists("a.npy"),
      "E_IO",
      /HEAD https:\/\/example\.org\/x\/a\.npy failed: fetch failed/,
    );
  });

  it("refuses a relative base URL where there is no page to resolve it against", () => {
    expect(() => urlSource("runs/mlp/")).toThrow(/invalid bundle URL: runs\/mlp\//);
  });
});

describe("fileListSource and sourceFromFiles", () => {
  it("loads a folder picked with <input webkitdirectory>", async () => {
    const source = fileListSource(pickedFolder());
    expect(source.name).toBe("bundle");
    expectFixtureBundle(await loadBundle(source));
    expect(await source.list!()).toContain("layers/dense.npy");
  });

  it("loads dropped files that carry only their names", async () => {
    const files = [...fixtureBundleFiles()].map(([path, bytes]) => ({
      name: path,
      arrayBuffer: async () => bytes.slice().buffer,
    }));
    expectFixtureBundle(await loadBundle(fileListSource(files, "dropped")));
  });

  it("reports a file that cannot be read as E_IO", async () => {
    const broken = [{ name: "a.npy", arrayBuffer: () => Promise.reject(new Error("gone")) }];
    await expectRejection(
      fileListSource(broken, "d").read("a.npy"),
      "E_IO",
      /d: cannot read a\.npy: gone/,
    );
  });

  it("sourceFromFiles opens one .zip or .npz as an archive, else a folder", async () => {
    const asFile = (name: string, bytes: Uint8Array): FileLike => ({
      name,
      arrayBuffer: async () => bytes.slice().buffer,
    });
    expectFixtureBundle(
      await loadBundle(await sourceFromFiles([asFile("b.zip", fixture("bundle.zip"))])),
    );
    const npz = await sourceFromFiles([asFile("acts.npz", fixture("activations.npz"))]);
    expect((await loadBundle(npz)).name).toBe("acts");
    expectFixtureBundle(await loadBundle(await sourceFromFiles(pickedFolder("run/"))));
  });

  it("memorySource and fileListSource agree on a one-file bundle", async () => {
    const layer = writeNpy({ shape: [2, 1], data: new Float32Array([1, 2]) });
    const manifest = new TextEncoder().encode(
      JSON.stringify({
        format: "hidden-atlas/1",
        name: "m",
        task: "regression",
        samples: 2,
        layers: [{ name: "a", file: "a.npy", shape: [2, 1] }],
      }),
    );
    const files = new Map([
      ["manifest.json", manifest],
      ["a.npy", layer],
    ]);
    const fromMemory = await loadBundle(memorySource(files));
    const fromFiles = await loadBundle(
      fileListSource(
        [...files].map(([name, b]) => ({ name, arrayBuffer: async () => b.slice().buffer })),
      ),
    );
    expect(fromFiles).toEqual(fromMemory);
  });
});
