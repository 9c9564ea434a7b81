/**
 * One measurement of `npm run bench scale` in a fresh process, so that its peak RSS is its own
 * (it includes the generated data, as a tab holds the layer), printed as one JSON object:
 *
 * - `mapper ROWS DIM [NEIGHBORS]`: generates the clustered mixture below, builds the first
 *   Mapper graph as the mapper analysis does (neighbour lists, ε-graph prepared, graph at the
 *   defaults), then recomputes after overlap and ε changes;
 * - `open DIR`: opens a bundle folder with the hash deferred (headers only), then awaits the
 *   streamed listing hash (every byte read once, CRC and finiteness checked);
 * - `explore DIR LAYER VECTORIZE`: open, then the explore notebook's first figure (the layer
 *   streamed and reduced, PCA of every sample), then, measured apart as the notebook draws
 *   them after the figure, the neighbour index and the first point's neighbours;
 * - `mapper-layer DIR LAYER VECTORIZE`: open, then the mapper analysis' first graph of the layer;
 * - `topology DIR`: open, then the layer-topology analysis at its defaults (every layer).
 *
 * Times are wall and CPU (user + system) milliseconds from after the core is loaded; the
 * working set is what the computation holds: the wasm memory at the end plus the reduced
 * float32 matrix held in JS.
 */
import { fileURLToPath } from "node:url";
import { layerMatrix, type Vectorization } from "../src/algo/vectorize.ts";
import { exploreMatrix, exploreNeighbors, exploreProjection } from "../src/analyses/explore.ts";
import { KnnIndex } from "../src/algo/knn.ts";
import { DEFAULT_SEED } from "../src/core/random.ts";
import { layerTopology } from "../src/analyses/layer-topology.ts";
import { mapperAnalysis } from "../src/analyses/mapper.ts";
import { openBundle } from "../src/io/digest.ts";
import { folderSource } from "../src/io/node.ts";
import { MapperSpace } from "../src/algo/mapper/mapper.ts";
import type { NeighborSearch } from "../src/algo/mapper/neighborhoods.ts";
import { getCore } from "../src/core/wasm.ts";
import type { Matrix } from "../src/core/matrix.ts";
import { mulberry32 } from "../test/helpers.ts";

/** Clusters of the generated layers, and the dimension of each cluster's Gaussian. */
export const CLUSTERS = 10;
export const LATENT = 8;

/**
 * A float32 layer of `rows` activations in `dim` dimensions drawn from a mixture of CLUSTERS
 * Gaussians: row = centre_c + B_c·z + noise, with centres N(0, 4²·I), each cluster's B_c a
 * dim × 8 matrix of N(0, 1/8) entries (so a cluster spreads over an 8-dimensional subspace, as
 * a class does in a trained layer), z ~ N(0, I₈) and noise N(0, 0.1²·I). Cluster of each row
 * uniform. Seeded (mulberry32, Box–Muller), so every run sees the same rows.
 */
export function clusteredMixture(
  rows: number,
  dim: number,
  seed = 1,
): { X: Matrix; labels: Int32Array } {
  const uniform = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  const centres = Array.from({ length: CLUSTERS }, () =>
    Float64Array.from({ length: dim }, () => 4 * normal()),
  );
  const bases = Array.from({ length: CLUSTERS }, () =>
    Float64Array.from({ length: LATENT * dim }, () => normal() / Math.sqrt(LATENT)),
  );
  const data = new Float32Array(rows * dim);
  const labels = new Int32Array(rows);
  const z = new Float64Array(LATENT);
  for (let i = 0; i < rows; i++) {
    const c = Math.floor(uniform() * CLUSTERS);
    labels[i] = c;
    for (let l = 0; l < LATENT; l++) z[l] = normal();
    const B = bases[c];
    const centre = centres[c];
    for (let j = 0; j < dim; j++) {
      let v = centre[j] + 0.1 * normal();
      for (let l = 0; l < LATENT; l++) v += B[l * dim + j] * z[l];
      data[i * dim + j] = v;
    }
  }
  return { X: { rows, cols: dim, data }, labels };
}

/** Median wall and CPU time of `repeats` runs of fn (no warm-up: each run is a slider move). */
async function median(
  repeats: number,
  fn: (i: number) => Promise<unknown>,
): Promise<{ wallMs: number; cpuMs: number }> {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    const cpu0 = cpuMs();
    await fn(i);
    walls.push(performance.now() - start);
    cpus.push(cpuMs() - cpu0);
  }
  const mid = (v: number[]) => v.sort((a, b) => a - b)[Math.floor(repeats / 2)];
  return { wallMs: mid(walls), cpuMs: mid(cpus) };
}

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** Wall and CPU time, peak RSS and wasm memory of what `fn` does. */
async function measured<T>(fn: () => Promise<T>): Promise<{
  value: T;
  wallMs: number;
  cpuMs: number;
  maxRssKB: number;
  baseRssKB: number;
  wasmBytes: number;
}> {
  const core = await getCore();
  const baseRssKB = process.memoryUsage().rss / 1024;
  const wall0 = performance.now();
  const cpu0 = cpuMs();
  const value = await fn();
  return {
    value,
    wallMs: performance.now() - wall0,
    cpuMs: cpuMs() - cpu0,
    maxRssKB: process.resourceUsage().maxRSS,
    baseRssKB,
    wasmBytes: core.memory.buffer.byteLength,
  };
}

async function mapperRun(rowsText: string, dimText: string, neighbors = "auto"): Promise<object> {
  const { X } = clusteredMixture(Number(rowsText), Number(dimText));
  await getCore();
  const baseRssKB = process.memoryUsage().rss / 1024;
  const wall0 = performance.now();
  const cpu0 = cpuMs();
  const space = await MapperSpace.build(X, { neighbors: neighbors as NeighborSearch });
  const listsMs = performance.now() - wall0;
  const preparedRadius = await space.prepare();
  const preparedMs = performance.now() - wall0;
  const first = await space.graph({});
  const firstMs = performance.now() - wall0;
  const firstCpuMs = cpuMs() - cpu0;
  const maxRssKB = process.resourceUsage().maxRSS;
  const eps = first.params.eps;
  const overlap = await median(5, (i) => space.graph({ overlap: i % 2 ? 0.5 : 0.4 }));
  const epsMove = await median(5, (i) =>
    space.graph({ eps: Number((eps * (i % 2 ? 0.8 : 1.2)).toPrecision(3)) }),
  );
  return {
    rows: X.rows,
    dim: X.cols,
    dataBytes: 0,
    baseRssKB,
    listsMs,
    preparedMs,
    firstMs,
    firstCpuMs,
    maxRssKB,
    wasmBytes: (await getCore()).memory.buffer.byteLength,
    overlapMs: overlap.wallMs,
    overlapCpuMs: overlap.cpuMs,
    epsMs: epsMove.wallMs,
    epsCpuMs: epsMove.cpuMs,
    eps,
    preparedRadius: Number.isFinite(preparedRadius) ? preparedRadius : "every ε",
    nodes: first.nodes.length,
    links: first.links.length,
    lost: first.lost.length,
    neighbors: first.neighbors,
  };
}

const open = (dir: string) => openBundle(folderSource(dir), { digest: "deferred" });

async function bundleRun(
  mode: string,
  dir: string,
  layer?: string,
  vectorize = "gap",
): Promise<object> {
  await getCore();
  if (mode === "open") {
    const opened = await measured(() => open(dir));
    const hashed = await measured(() => opened.value.digest!);
    return {
      openMs: opened.wallMs,
      openCpuMs: opened.cpuMs,
      hashMs: hashed.wallMs,
      hashCpuMs: hashed.cpuMs,
      maxRssKB: hashed.maxRssKB,
      sha256: hashed.value,
    };
  }
  const opened = await measured(() => open(dir));
  const bundle = opened.value;
  const method = vectorize as Vectorization;
  if (mode === "explore") {
    // The notebook's order: the figure (layer streamed and reduced, PCA) is drawn first; the
    // neighbour index and the first sample's neighbours come after it.
    const params = {
      layer: layer!,
      vectorize: method,
      seed: DEFAULT_SEED,
      maxPoints: bundle.samples,
    };
    const figure = await measured(async () =>
      exploreProjection(
        await exploreMatrix(bundle, {
          ...params,
          color: "none",
          k: 10,
          metric: "euclidean",
          point: 0,
        }),
        params,
      ),
    );
    const X = await layerMatrix(
      bundle.layers.find((l) => l.name === layer)!,
      { method },
    );
    const neighbours = await measured(async () =>
      exploreNeighbors(await KnnIndex.build(X, { metric: "euclidean" }), { point: 0, k: 10 }),
    );
    return {
      openMs: opened.wallMs,
      wallMs: figure.wallMs,
      cpuMs: figure.cpuMs,
      neighboursMs: neighbours.wallMs,
      neighboursCpuMs: neighbours.cpuMs,
      maxRssKB: neighbours.maxRssKB,
      baseRssKB: figure.baseRssKB,
      wasmBytes: neighbours.wasmBytes,
      dataBytes: X.data.byteLength,
      rows: X.rows,
      cols: X.cols,
      pc: Array.from(figure.value.explainedVarianceRatio.slice(0, 2)),
    };
  }
  if (mode === "mapper-layer") {
    const run = await measured(() =>
      mapperAnalysis(bundle, { layers: [layer!], layer, vectorize: method }),
    );
    const X = await layerMatrix(
      bundle.layers.find((l) => l.name === layer)!,
      { method },
    );
    const g = run.value.layers[0];
    return {
      openMs: opened.wallMs,
      wallMs: run.wallMs,
      cpuMs: run.cpuMs,
      maxRssKB: run.maxRssKB,
      baseRssKB: run.baseRssKB,
      wasmBytes: run.wasmBytes,
      dataBytes: X.data.byteLength,
      rows: X.rows,
      cols: X.cols,
      nodes: g.nodes.length,
      links: g.links.length,
      neighbors: g.neighbors,
    };
  }
  if (mode === "topology") {
    const run = await measured(() => layerTopology(bundle, {}));
    const r = run.value;
    // The reduced layers (cached while the bundle is open), every sample.
    let dataBytes = 0;
    for (const name of r.params.layers)
      dataBytes += (
        await layerMatrix(
          bundle.layers.find((l) => l.name === name)!,
          { method: r.params.vectorize, seed: r.params.seed },
        )
      ).data.byteLength;
    return {
      openMs: opened.wallMs,
      wallMs: run.wallMs,
      cpuMs: run.cpuMs,
      maxRssKB: run.maxRssKB,
      baseRssKB: run.baseRssKB,
      wasmBytes: run.wasmBytes,
      dataBytes,
      layers: r.layers.length,
      samples: r.params.samples,
      vectorize: r.params.vectorize,
    };
  }
  throw new Error(`unknown mode ${mode}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [mode, ...rest] = process.argv.slice(2);
  const result =
    mode === "mapper"
      ? await mapperRun(rest[0], rest[1], rest[2])
      : await bundleRun(mode, rest[0], rest[1], rest[2]);
  console.log(JSON.stringify(result));
}
