/**
 * One persistent-homology run in a fresh process, for bench/ph.ts: `tsx bench/ph-child.ts
 * CLOUD.npy MAXDIM [THREADS]` (default 1 kernel thread) prints {ms, peakBytes, wasmBytes, maxRssKB, pairs} as JSON. A fresh process
 * makes the wasm memory size and the peak RSS belong to this one computation.
 */
import { readFileSync } from "node:fs";
import { persistentHomology } from "../src/algo/rips.ts";
import { setThreads } from "../src/core/threads.ts";
import { getCore } from "../src/core/wasm.ts";
import { readNpy } from "../src/io/npy.ts";

const [path, maxdimText, threadsText = "1"] = process.argv.slice(2);
setThreads(Number(threadsText));
const array = readNpy(new Uint8Array(readFileSync(path)), path);
const X = {
  rows: array.shape[0],
  cols: array.shape[1],
  data: Float32Array.from(array.data as ArrayLike<number>),
};
await getCore();
const start = performance.now();
const result = await persistentHomology(X, { maxdim: Number(maxdimText) });
const ms = performance.now() - start;
console.log(
  JSON.stringify({
    ms,
    peakBytes: result.stats.peakBytes,
    wasmBytes: result.stats.wasmMemoryBytes,
    maxRssKB: process.resourceUsage().maxRSS,
    pairs: result.diagrams.map((d) => d.births.length),
    edges: result.stats.edges,
    edgesAfterCollapse: result.stats.edgesAfterCollapse,
  }),
);
