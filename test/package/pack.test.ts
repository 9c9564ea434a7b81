// The package as a researcher gets it: `npm pack`, a fresh project outside the repository, the
// tarball installed offline (its lockfile pins the runtime dependencies, which `npm ci` left in
// npm's cache), then a persistence diagram and a UMAP computed from "hidden-atlas" in Node and
// in a Vite-built page in Chromium — and checked against the repository's own results.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { persistentHomology, umap, type Matrix } from "../../src/index.ts";
import { launch } from "../e2e/browser.ts";
import { mulberry32 } from "../helpers.ts";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const VITE = join(ROOT, "node_modules/vite/bin/vite.js");
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");
const SETUP_TIMEOUT = 300_000;

/** 60 points evenly on the unit circle: H1 is one bar, born at the gap 2·sin(π/60), dying at √3. */
function circle(n = 60): Matrix {
  const data = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    data[2 * i] = Math.cos((2 * Math.PI * i) / n);
    data[2 * i + 1] = Math.sin((2 * Math.PI * i) / n);
  }
  return { rows: n, cols: 2, data };
}

/** Three seeded Gaussian-ish blobs of 30 points in 5-D, centres 8 apart. */
function blobs(): Matrix {
  const random = mulberry32(11);
  const rows = 90,
    cols = 5;
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++)
      data[i * cols + j] =
        (j === 0 ? 8 * Math.floor(i / 30) : 0) + (random() + random() + random() - 1.5);
  }
  return { rows, cols, data };
}

const UMAP_OPTIONS = { nNeighbors: 10, seed: 7 };
const PH_OPTIONS = { maxdim: 1 };

/** What both the Node script and the page compute, in the form they report it. */
const COMPUTE = `
const circle = { rows: input.circle.rows, cols: input.circle.cols, data: new Float32Array(input.circle.data) };
const blobs = { rows: input.blobs.rows, cols: input.blobs.cols, data: new Float32Array(input.blobs.data) };
const ph = await persistentHomology(circle, ${JSON.stringify(PH_OPTIONS)});
const layout = await umap(blobs, ${JSON.stringify(UMAP_OPTIONS)});
let refused = null;
try { await umap({ rows: 2, cols: 2, data: new Float32Array(3) }); } catch (error) { refused = error instanceof HiddenAtlasError ? error.code : String(error); }
const result = {
  version: VERSION,
  diagrams: ph.diagrams.map((d) => ({ births: Array.from(d.births), deaths: Array.from(d.deaths, (x) => (x === Infinity ? null : x)) })),
  umap: { rows: layout.coordinates.rows, cols: layout.coordinates.cols, data: Array.from(layout.coordinates.data) },
  refused,
};
`;

interface Reported {
  version: string;
  diagrams: { births: number[]; deaths: (number | null)[] }[];
  umap: { rows: number; cols: number; data: number[] };
  refused: string | null;
}

/** Newest modification time of any file under `dir`. */
function newest(dir: string): number {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) t = Math.max(t, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return t;
}

/** dist/ from the current sources: `npm test` has just built it; a lone run of this file may not have. */
async function ensureBuilt(): Promise<void> {
  const entry = join(ROOT, "dist/index.js");
  if (
    !existsSync(entry) ||
    statSync(entry).mtimeMs <
      Math.max(newest(join(ROOT, "src")), statSync(join(ROOT, "tsconfig.json")).mtimeMs)
  ) {
    await run("npm", ["run", "build:cli", "--silent"], { cwd: ROOT });
  }
}

/** The runtime dependency closure from the repository's lockfile, pinned for the consumer. */
function consumerLockfile(tarball: string, manifest: Record<string, any>): object {
  const repoLock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8"));
  const spec = `file:../${tarball.split(sep).pop()}`;
  const packages: Record<string, unknown> = {
    "": { name: "atlas-consumer", dependencies: { "hidden-atlas": spec } },
    "node_modules/hidden-atlas": {
      version: manifest.version,
      resolved: spec,
      integrity: `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`,
      license: manifest.license,
      dependencies: manifest.dependencies,
      bin: manifest.bin,
      engines: manifest.engines,
    },
  };
  for (const [path, entry] of Object.entries<Record<string, unknown>>(repoLock.packages)) {
    if (path !== "" && !entry.dev) packages[path] = entry;
  }
  return { name: "atlas-consumer", lockfileVersion: 3, requires: true, packages };
}

const TYPES: Record<string, string> = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".wasm": "application/wasm",
  ".json": "application/json",
};

function serve(dir: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const file = normalize(join(dir, path === "/" ? "index.html" : decodeURIComponent(path)));
    if (!file.startsWith(dir + sep) || !existsSync(file) || !statSync(file).isFile())
      return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, server }),
    ),
  );
}

describe("the packed package", () => {
  let work = "";
  let app = "";
  let files: string[] = [];
  let input: { circle: Matrix; blobs: Matrix };

  beforeAll(async () => {
    await ensureBuilt();
    work = mkdtempSync(join(tmpdir(), "atlas-pack-"));
    await run("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", work], {
      cwd: ROOT,
    });
    const tarball = join(
      work,
      readdirSync(work).find((f) => f.endsWith(".tgz"))!,
    );
    const { stdout } = await run("tar", ["-tzf", tarball]);
    files = stdout
      .trim()
      .split("\n")
      .map((f) => f.replace(/^package\//, ""));
    await run("tar", ["-xzf", tarball, "-C", work, "package/package.json"]);
    const manifest = JSON.parse(readFileSync(join(work, "package/package.json"), "utf8"));

    app = join(work, "app");
    mkdirSync(app);
    writeFileSync(
      join(app, "package.json"),
      JSON.stringify({
        name: "atlas-consumer",
        private: true,
        type: "module",
        dependencies: { "hidden-atlas": `file:../${tarball.split(sep).pop()}` },
      }),
    );
    writeFileSync(
      join(app, "package-lock.json"),
      JSON.stringify(consumerLockfile(tarball, manifest)),
    );
    await run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--silent"], { cwd: app });

    const c = circle(),
      b = blobs();
    input = { circle: c, blobs: b };
    const json = (m: Matrix) => ({ rows: m.rows, cols: m.cols, data: Array.from(m.data) });
    writeFileSync(join(app, "input.json"), JSON.stringify({ circle: json(c), blobs: json(b) }));
  }, SETUP_TIMEOUT);

  async function expectRepositoryResults(reported: Reported): Promise<void> {
    const version = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version;
    expect(reported.version).toBe(version);
    // H0: one bar per point, one of them infinite; H1: one long bar (the loop), nothing else long.
    const [h0, h1] = reported.diagrams;
    expect(h0.births).toHaveLength(60);
    expect(h0.deaths.filter((d) => d === null)).toHaveLength(1);
    const lengths = h1.births.map((b, i) => (h1.deaths[i] ?? Infinity) - b);
    expect(lengths.filter((l) => l > 1)).toHaveLength(1);
    expect(Math.max(...lengths)).toBeCloseTo(Math.sqrt(3) - 2 * Math.sin(Math.PI / 60), 5);
    expect(lengths.filter((l) => l <= 1).every((l) => l < 0.05)).toBe(true);
    // Exactly the repository's own diagrams and UMAP (same input, same seed: bit-identical).
    const ph = await persistentHomology(input.circle, PH_OPTIONS);
    expect(reported.diagrams.map((d) => d.births)).toEqual(
      ph.diagrams.map((d) => Array.from(d.births)),
    );
    expect(reported.diagrams.map((d) => d.deaths)).toEqual(
      ph.diagrams.map((d) => Array.from(d.deaths, (x) => (x === Infinity ? null : x))),
    );
    const layout = await umap(input.blobs, UMAP_OPTIONS);
    expect([reported.umap.rows, reported.umap.cols]).toEqual([90, 2]);
    expect(reported.umap.data).toEqual(Array.from(layout.coordinates.data));
    // The blobs stay apart: every point's nearest neighbour in the layout is in its own blob.
    const xy = reported.umap.data;
    for (let i = 0; i < 90; i++) {
      let best = -1,
        bestD = Infinity;
      for (let j = 0; j < 90; j++) {
        const d = (xy[2 * i] - xy[2 * j]) ** 2 + (xy[2 * i + 1] - xy[2 * j + 1]) ** 2;
        if (j !== i && d < bestD) {
          best = j;
          bestD = d;
        }
      }
      expect(Math.floor(best / 30)).toBe(Math.floor(i / 30));
    }
    expect(reported.refused).toBe("E_SHAPE_MISMATCH");
  }

  it("holds the library, its types, the CLI, the core and the licence, and not the site", () => {
    for (const f of [
      "package.json",
      "LICENSE",
      "README.md",
      "bin/hidden-atlas.js",
      "build/core.wasm",
      "dist/index.js",
      "dist/index.d.ts",
      "dist/node.js",
      "dist/views/index.js",
      "dist/cli/main.js",
      "data/digits/README.md",
    ]) {
      expect(files).toContain(f);
    }
    expect(
      files.filter(
        (f) => f.startsWith("dist/site/") || f.startsWith("src/") || f.startsWith("test/"),
      ),
    ).toEqual([]);
  });

  it("computes in Node from the installed package, with its own core.wasm, equal to the repository", async () => {
    writeFileSync(
      join(app, "check.mjs"),
      `import { persistentHomology, umap, HiddenAtlasError, VERSION } from "hidden-atlas";
import { readFileSync } from "node:fs";
const input = JSON.parse(readFileSync(new URL("./input.json", import.meta.url), "utf8"));
${COMPUTE}
result.core = import.meta.resolve("hidden-atlas/core.wasm");
console.log(JSON.stringify(result));
`,
    );
    const { stdout } = await run(process.execPath, ["check.mjs"], { cwd: app });
    const reported = JSON.parse(stdout);
    expect(reported.core).toBe(
      new URL("node_modules/hidden-atlas/build/core.wasm", `file://${app}/`).href,
    );
    await expectRepositoryResults(reported);
  });

  it("type-checks a consumer's TypeScript against the declarations (NodeNext and bundler resolution)", async () => {
    writeFileSync(
      join(app, "typed.ts"),
      `import { persistentHomology, umap, HiddenAtlasError, type Matrix, type PersistenceDiagram, type UmapResult } from "hidden-atlas";
import { loadBundleFromPath } from "hidden-atlas/node";
import type { Bundle } from "hidden-atlas";
const X: Matrix = { rows: 3, cols: 2, data: new Float32Array(6) };
const h1: PersistenceDiagram = (await persistentHomology(X, { maxdim: 1 })).diagrams[1];
const births: Float64Array = h1.births;
const layout: UmapResult = await umap(X, { nNeighbors: 2, minDist: 0.1, seed: 1 });
const rows: number = layout.coordinates.rows;
const bundle: Bundle = await loadBundleFromPath("bundle.zip");
// @ts-expect-error a matrix is {rows, cols, data}, not an array
await umap([[1, 2]]);
// @ts-expect-error nNeighbors is a number
await umap(X, { nNeighbors: "15" });
export { births, rows, bundle, HiddenAtlasError };
`,
    );
    const base = {
      target: "ES2022",
      lib: ["ES2022", "DOM"],
      strict: true,
      noEmit: true,
      types: [],
      skipLibCheck: true,
    };
    for (const [module, moduleResolution] of [
      ["nodenext", "nodenext"],
      ["esnext", "bundler"],
    ]) {
      writeFileSync(
        join(app, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: { ...base, module, moduleResolution },
          files: ["typed.ts"],
        }),
      );
      const result = await run(process.execPath, [TSC, "-p", "tsconfig.json"], { cwd: app }).catch(
        (e) => e,
      );
      expect(`${result.stdout ?? ""}${result.stderr ?? ""}`, `${moduleResolution}`).toBe("");
    }
  });

  it("installs the hidden-atlas command", async () => {
    const { stdout } = await run(join(app, "node_modules/.bin/hidden-atlas"), ["--help"], {
      cwd: app,
    });
    expect(stdout).toMatch(/^hidden-atlas \d+\.\d+\.\d+: /);
    for (const name of ["ph", "embed", "mapper", "report"]) expect(stdout).toContain(`  ${name} `);
  });

  describe("in a Vite-built page in Chromium", () => {
    let browser: Browser | undefined;
    let server: Server | undefined;
    afterAll(async () => {
      await browser?.close();
      await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    });

    it("computes the same values; the bundler ships the core as an asset; nothing leaves the machine", async () => {
      writeFileSync(
        join(app, "index.html"),
        `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>hidden-atlas consumer</title><body><script type="module" src="./main.js"></script></body>`,
      );
      writeFileSync(
        join(app, "main.js"),
        `import { persistentHomology, umap, HiddenAtlasError, VERSION } from "hidden-atlas";
import { persistencePlot } from "hidden-atlas/views";
import input from "./input.json";
try {
${COMPUTE}
  document.body.append(persistencePlot(ph.diagrams, ph.threshold));
  window.result = result;
} catch (error) {
  window.failure = String(error?.stack ?? error);
}
document.body.dataset.done = "true";
`,
      );
      await run(process.execPath, [VITE, "build", "--logLevel", "error"], { cwd: app });
      const assets = readdirSync(join(app, "dist/assets"));
      const wasm = assets.filter((f) => f.endsWith(".wasm"));
      expect(wasm).toHaveLength(1);
      expect(readFileSync(join(app, "dist/assets", wasm[0]))).toEqual(
        readFileSync(join(app, "node_modules/hidden-atlas/build/core.wasm")),
      );

      let url: string;
      ({ url, server } = await serve(join(app, "dist")));
      browser = await launch();
      const page = await browser.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      page.on("pageerror", (error) => errors.push(String(error)));
      page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
      page.on("request", (request) => requests.push(request.url()));
      page.on(
        "response",
        (response) =>
          response.status() >= 400 && errors.push(`HTTP ${response.status()} ${response.url()}`),
      );
      await page.goto(url);
      await page.waitForFunction(() => document.body.dataset.done === "true", null, {
        timeout: 60_000,
      });
      expect(
        await page.evaluate(() => (window as unknown as { failure?: string }).failure),
      ).toBeUndefined();
      expect(errors).toEqual([]);
      expect(requests.filter((r) => !r.startsWith(url))).toEqual([]);
      expect(requests).toContain(`${url}assets/${wasm[0]}`);
      expect(await page.locator("svg").count()).toBeGreaterThan(0);
      await expectRepositoryResults(
        await page.evaluate(() => (window as unknown as { result: Reported }).result),
      );
    });
  });
});
