/**
 * Approximate k-nearest neighbours by NN-descent (kernels: assembly/nndescent.ts), for data too
 * large for the exact blocked search (`knn`): UMAP switches to it above 20,000 points.
 *
 * Like pynndescent 0.5 (which umap-learn uses above 4,096 points): a forest of random-projection
 * trees whose leaves are joined pairwise gives the starting graph, empty slots are filled with
 * random points, then rounds of NN-descent (local joins of sampled new/old candidates, reverse
 * neighbours included) run until a round changes fewer than δ·n·k entries or `nIters` rounds
 * have run. Output as `knn`: the k nearest *other* rows, ascending, ties to the lower index,
 * Euclidean distances (or squared, with `metric: "sqeuclidean"`), each the float32 value the
 * exact search computes for that pair. Seeded, so the same input and seed give the same graph.
 *
 * Threads. The local join — most of the time — runs on the kernel threads (`setThreads`): blocks
 * of rows compute their candidate pairs' distances in parallel and record the pairs that could
 * still enter a list, grouped by the range of rows they change; then each thread pushes the
 * records of its own range, in block order, reading no other thread's. Every row receives the
 * pushes of the serial join in the serial order, so the graph is the serial join's, bit for bit,
 * on any number of threads. The trees' leaf joins run the same way. The rest is parallel too,
 * with random draws that do not depend on who draws them: the trees are built `threads` at a
 * time, tree t drawing from its own block of one PCG32 stream (draws t·2^32 onwards, seeded by
 * the seed alone); the random fill gives row i the block at draw i·2^32 of a second stream; the
 * candidate sampling gives slot t of row i in round r the priority at draw (r·n + i)·k + t of a
 * third. The sampling is a propose/apply pass as well: blocks of rows record their slots' pushes
 * (into their own heaps and, as reverse neighbours, into other rows') grouped by parts of
 * destination rows whose heaps fit in a core's cache (256 KB: 1,024 rows at 15 candidates), then
 * each part's heaps take that part's records in block order — the serial pushes in the serial
 * order. The serial pass pushes into random rows of all n instead, and is slower on one thread
 * too. The join runs in steps of rows, so progress is reported and cancellation honoured within
 * a round.
 *
 * Recall (fraction of the exact k nearest neighbours found) is reported by `knnRecall`; test
 * /algo/nndescent.test.ts and the embedding benchmark measure it.
 *
 * @example
 *   const approx = await nnDescent(X, {k: 15, seed: 42});
 *   const exact = await knn(X, {k: 15});
 *   knnRecall(approx, exact); // e.g. 0.99
 *
 * References:
 * 1. W. Dong, M. Charikar, K. Li, "Efficient k-nearest neighbor graph construction for generic
 *    similarity measures", WWW 2011.
 * 2. S. Dasgupta, Y. Freund, "Random projection trees and low dimensional manifolds", STOC 2008.
 *
 * See also: knn (exact), fuzzySimplicialSet (umap.ts).
 */
import "./embed-kernels.ts";
import { HiddenAtlasError } from "../core/errors.ts";
import { assertMatrix, type Matrix } from "../core/matrix.ts";
import { checkInteger, checkKeyword, checkNumber, checkOptionNames } from "../core/params.ts";
import { ProgressTracker, type RunOptions } from "../core/progress.ts";
import { DEFAULT_SEED, Rng, checkSeed, STREAMS } from "../core/random.ts";
import { getCore } from "../core/wasm.ts";
import { activeThreads, type RangeArg } from "../core/threads.ts";
import { MAX_K, type KnnResult } from "./knn.ts";

declare module "../core/wasm.ts" {
  interface CoreKernels {
    nndTreeScratchBytes(n: number, d: number): number;
    nndCandidates(
      indices: number,
      flags: number,
      n: number,
      k: number,
      maxCandidates: number,
      newIdx: number,
      newPri: number,
      oldIdx: number,
      oldPri: number,
      rng: number,
      scratch: number,
      round: number,
    ): void;
    nndCandidatesPush(
      indices: number,
      flags: number,
      n: number,
      k: number,
      maxCandidates: number,
      newIdx: number,
      newPri: number,
      oldIdx: number,
      oldPri: number,
      rng: number,
      round: number,
      scratch: number,
      r0: number,
      r1: number,
    ): void;
    nndCandidatesMark(
      indices: number,
      flags: number,
      k: number,
      maxCandidates: number,
      newIdx: number,
      i0: number,
      i1: number,
    ): void;
    nndJoin(
      data: number,
      n: number,
      d: number,
      k: number,
      indices: number,
      dists: number,
      flags: number,
      maxCandidates: number,
      newIdx: number,
      oldIdx: number,
      i0: number,
      i1: number,
    ): number;
    nndSortRows(indices: number, dists: number, n: number, k: number): void;
    nndCandidateBlockBytes(rows: number, k: number, parts: number): number;
    nndProposeCandidates(
      indices: number,
      flags: number,
      n: number,
      k: number,
      rng: number,
      round: number,
      scratch: number,
      i0: number,
      i1: number,
      block: number,
      parts: number,
      partShift: number,
    ): number;
    nndApplyCandidates(
      n: number,
      maxCandidates: number,
      newIdx: number,
      newPri: number,
      oldIdx: number,
      oldPri: number,
      records: number,
      blockBytes: number,
      blocks: number,
      parts: number,
      partShift: number,
      part: number,
      reset: number,
    ): void;
    nndJoinPairsPerRow(maxCandidates: number): number;
    nndBlockBytes(blockPairs: number, parts: number): number;
    nndProposeScratchBytes(blockPairs: number, parts: number): number;
    nndProposeJoin(
      data: number,
      d: number,
      k: number,
      dists: number,
      maxCandidates: number,
      newIdx: number,
      oldIdx: number,
      i0: number,
      i1: number,
      block: number,
      scratch: number,
      parts: number,
      partRows: number,
    ): number;
    nndProposeLeaves(
      data: number,
      d: number,
      k: number,
      dists: number,
      order: number,
      leafStart: number,
      l0: number,
      l1: number,
      block: number,
      scratch: number,
      parts: number,
      partRows: number,
    ): number;
    nndApplyJoin(
      indices: number,
      dists: number,
      flags: number,
      k: number,
      pairs: number,
      blockBytes: number,
      blocks: number,
      parts: number,
      part: number,
    ): number;
  }
}
import { toDataUnits, toKernelRange } from "./range.ts";

export interface NnDescentOptions extends RunOptions {
  /** Neighbours per row (other rows). Defaults to 15. */
  k?: number;
  /** Rounds at most; "auto" (default) = max(5, round(log₂ n)) (pynndescent's `n_iters`). */
  nIters?: number | "auto";
  /** Candidates sampled per point per round; "auto" (default) = min(60, k) (pynndescent `max_candidates`). */
  maxCandidates?: number | "auto";
  /** Stop when a round updates fewer than delta·n·k entries. Defaults to 0.001 (pynndescent `delta`). */
  delta?: number;
  /**
   * Random-projection trees for the start; "auto" (default) = min(64, 5 + round(√n / 20))
   * (umap-learn's `n_trees`). 0 starts from random neighbours only.
   */
  nTrees?: number | "auto";
  /** Seed of the trees, the random fill and the candidate sampling. Defaults to 42. */
  seed?: number;
  /** "euclidean" (default) or "sqeuclidean": squared distances, as the kernels compare them. */
  metric?: "euclidean" | "sqeuclidean";
}

export interface NnDescentResult extends KnnResult {
  /** Rounds of NN-descent run. */
  rounds: number;
  /** Graph updates in each round. */
  updates: number[];
  params: {
    k: number;
    nIters: number;
    maxCandidates: number;
    delta: number;
    nTrees: number;
    seed: number;
  };
}

const defaults = {
  k: 15,
  nIters: "auto" as number | "auto",
  maxCandidates: "auto" as number | "auto",
  delta: 0.001,
  nTrees: "auto" as number | "auto",
  seed: DEFAULT_SEED,
  metric: "euclidean" as "euclidean" | "sqeuclidean",
};

const NND_METRICS = ["euclidean", "sqeuclidean"] as const;

/**
 * The local join runs in steps of at most JOIN_STEP rows (a progress checkpoint each): the
 * step's rows propose their pairs in blocks of JOIN_BLOCK rows on the kernel threads, each block
 * grouping its records by destination part (a thread's range of graph rows), then the threads
 * apply them, each its own part's records. A step's records take at most JOIN_RECORD_BYTES
 * (fewer rows per step for many candidates). None of these sizes changes the graph (see
 * assembly/nndescent.ts): it is the serial join's, bit for bit, on any thread count.
 */
const JOIN_STEP = 4096;
const JOIN_BLOCK = 64;
const JOIN_RECORD_BYTES = 16 * 1024 * 1024;

/** Bytes of a cache line: each thread's scratch starts on one of its own. */
const CACHE_LINE = 64;

/** Pairs one row of the local join offers at most (the kernel's nndJoinPairsPerRow). */
function pairsPerRow(maxCandidates: number): number {
  return (maxCandidates * (maxCandidates - 1)) / 2 + maxCandidates * maxCandidates;
}

/** Bytes of a block's header: a count per destination part, rounded up to 16. */
function headerBytes(parts: number): number {
  return 16 * Math.ceil((4 * parts) / 16);
}

/** Bytes of a block of records for `pairs` pairs (the kernel's nndBlockBytes): two records of 12 bytes a pair. */
function blockBytes(pairs: number, parts: number): number {
  return headerBytes(parts) + 24 * pairs;
}

/** Rows of one join step for maxCandidates C (a multiple of JOIN_BLOCK, at least one block). */
function joinStepRows(maxCandidates: number): number {
  const perRow = 24 * pairsPerRow(maxCandidates);
  return Math.max(
    JOIN_BLOCK,
    Math.min(JOIN_STEP, Math.floor(JOIN_RECORD_BYTES / perRow / JOIN_BLOCK) * JOIN_BLOCK),
  );
}

/** Leaves per block of the trees' leaf join (each leaf holds at most leafSize points). */
const LEAF_BLOCK = 32;

/**
 * The candidate sampling on threads (see assembly/nndescent.ts): blocks of SAMPLE_BLOCK source
 * rows write their records grouped by destination part, parts of 2^s rows whose four candidate
 * heaps (16·maxCandidates bytes a row) take at most SAMPLE_PART_BYTES, so that the apply pushes
 * into heaps held in the core's cache. Neither size changes the heaps.
 */
const SAMPLE_BLOCK = 256;
const SAMPLE_PART_BYTES = 256 * 1024;

/** The sampling's destination parts: rows 2^shift each (at least 64), and how many for n rows. */
function sampleParts(n: number, maxCandidates: number) {
  const shift = Math.max(6, Math.floor(Math.log2(SAMPLE_PART_BYTES / (16 * maxCandidates))));
  return { shift, parts: Math.ceil(n / 2 ** shift) };
}

/** Bytes of a sampling block (the kernel's nndCandidateBlockBytes): two records of 12 bytes a slot. */
function sampleBlockBytes(k: number, parts: number): number {
  return headerBytes(parts) + 24 * SAMPLE_BLOCK * k;
}

/**
 * The records buffer for `parts` destination parts: its bytes, its room in join and leaf blocks
 * (at least one of each), and the bytes of each thread's propose scratch (the kernel's
 * nndProposeScratchBytes for the larger block).
 */
function recordLayout(
  n: number,
  k: number,
  maxCandidates: number,
  leafSize: number,
  parts: number,
) {
  const stepRows = Math.min(joinStepRows(maxCandidates), Math.ceil(n / JOIN_BLOCK) * JOIN_BLOCK);
  const joinBlockPairs = JOIN_BLOCK * pairsPerRow(maxCandidates);
  const leafBlockPairs = LEAF_BLOCK * ((leafSize * (leafSize - 1)) / 2);
  const joinBlockBytes = blockBytes(joinBlockPairs, parts);
  const leafBlockBytes = blockBytes(leafBlockPairs, parts);
  const sample = sampleParts(n, maxCandidates);
  const sampleBytes = sampleBlockBytes(k, sample.parts);
  const bytes = Math.max(joinBlockBytes * (stepRows / JOIN_BLOCK), leafBlockBytes, sampleBytes);
  const leafBlocks = Math.floor(bytes / leafBlockBytes);
  // The sampling's steps: as many blocks of source rows as the buffer holds.
  const sampleStepRows = Math.floor(bytes / sampleBytes) * SAMPLE_BLOCK;
  const scratchBytes =
    32 + headerBytes(parts) + (parts > 1 ? 24 * Math.max(joinBlockPairs, leafBlockPairs) : 0);
  return {
    bytes,
    stepRows,
    joinBlockBytes,
    leafBlockBytes,
    leafBlocks,
    scratchBytes,
    sample: { ...sample, blockBytes: sampleBytes, stepRows: sampleStepRows },
  };
}

/** Destination parts of the apply on `threads` threads: ranges of ⌈n / threads⌉ rows. */
function destinationParts(n: number, threads: number) {
  const rows = Math.ceil(n / threads);
  return { rows, parts: Math.ceil(n / rows) };
}

/** Bytes of one tree's slot: its order, leaf starts and scratch (each 16-aligned). */
function treeSlotBytes(n: number, d: number): number {
  const up = (b: number) => 16 * Math.ceil(b / 16);
  return up(4 * n) + up(4 * (n + 1)) + up(12 * n + 4 * d + 32);
}

/**
 * WebAssembly bytes NN-descent holds at its peak for n × d data and k neighbours on `threads`
 * kernel threads (default: the current setting): the data, the graph (indices, distances,
 * flags), four candidate heaps, which hold one tree slot per thread before the rounds (the
 * trees are built `threads` at a time), the join's records and each thread's scratch. Callers compare it with
 * `Core.availableBytes` before starting.
 */
export function nnDescentBytes(
  n: number,
  d: number,
  k: number,
  maxCandidates = Math.min(MAX_CANDIDATES, k),
  threads = activeThreads(),
): number {
  const { parts } = destinationParts(n, threads);
  const layout = recordLayout(n, k, maxCandidates, Math.max(10, k + 1), parts);
  return (
    4 * n * d +
    9 * n * k +
    Math.max(16 * n * maxCandidates, threads * treeSlotBytes(n, d)) +
    threads * CACHE_LINE * (Math.ceil(layout.scratchBytes / CACHE_LINE) + 1) +
    2 * CACHE_LINE +
    layout.bytes
  );
}

/** Rows per chunk of the row-parallel passes (random fill, priorities, marking). */
const ROW_CHUNK = 2048;

/** pynndescent: max_candidates = min(60, n_neighbors). */
const MAX_CANDIDATES = 60;

export async function nnDescent(
  X: Matrix,
  options: NnDescentOptions = {},
): Promise<NnDescentResult> {
  checkOptionNames("nnDescent", options, defaults);
  assertMatrix(X, "X");
  const { rows: n, cols: d } = X;
  if (n < 2) throw new HiddenAtlasError("E_PARAM", `NN-descent needs at least 2 rows; got ${n}`);
  const k = checkInteger("k", options.k ?? defaults.k, 1, Math.min(MAX_K, n - 1));
  const itersOption = options.nIters ?? defaults.nIters;
  const nIters =
    itersOption === "auto"
      ? Math.max(5, Math.round(Math.log2(n)))
      : checkInteger("nIters", itersOption, 0);
  const candOption = options.maxCandidates ?? defaults.maxCandidates;
  const maxCandidates =
    candOption === "auto"
      ? Math.min(MAX_CANDIDATES, k)
      : checkInteger("maxCandidates", candOption, 1, 1024);
  const delta = checkNumber("delta", options.delta ?? defaults.delta, 0, 1);
  const treesOption = options.nTrees ?? defaults.nTrees;
  const nTrees =
    treesOption === "auto"
      ? Math.min(64, 5 + Math.round(Math.sqrt(n) / 20))
      : checkInteger("nTrees", treesOption, 0, 1024);
  const seed = checkSeed(options.seed ?? defaults.seed);
  const metric = checkKeyword("metric", options.metric ?? defaults.metric, NND_METRICS);
  // Extreme values: scaled into the kernels' range, distances scaled back (src/algo/range.ts).
  const { X: Xk, scale } = toKernelRange(X, "X");
  const core = await getCore();
  const K = core.kernels;
  return core.scope(async (s) => {
    const x = s.upload(Xk.data, "NN-descent data");
    const indices = s.i32(n * k, "neighbour indices");
    const dists = s.f32(n * k, "neighbour distances");
    const flags = s.u8(n * k, "neighbour flags");
    K.nndReset(indices.ptr, dists.ptr, flags.ptr, n, k);
    // Three streams of the seed: the trees, the random fill and the candidate priorities, each
    // read in blocks fixed by a tree's or a row's number (see assembly/nndescent.ts), so no draw
    // depends on the thread count.
    const fillRng = new Rng(core, seed, STREAMS.nnDescentFill);
    const candidateRng = new Rng(core, seed, STREAMS.nnDescentCandidates);
    const progress = new ProgressTracker(options, "NN-descent", nTrees + nIters);
    const updates: number[] = [];
    try {
      const C = maxCandidates;
      const leafSize = Math.max(10, k + 1);
      const threads = core.threads;
      // The apply's destination parts: thread ranges of graph rows.
      const { rows: destinationRows, parts } = destinationParts(n, threads);
      // The records of the parallel joins (trees' leaves, then rounds), by block.
      const layout = recordLayout(n, k, C, leafSize, parts);
      const pairs = s.alloc(layout.bytes, "NN-descent join records");
      // Each thread's scratch on cache lines of its own: two threads writing beside each other
      // on one 64-byte line (a generator drawn for every slot, a batch of distances every four
      // pairs) would pass the line back and forth between their cores at every write.
      const threadBlocks = (bytes: number, what: string): number[] => {
        const stride = CACHE_LINE * Math.ceil(bytes / CACHE_LINE);
        const first =
          CACHE_LINE * Math.ceil(s.alloc(threads * stride + CACHE_LINE, what) / CACHE_LINE);
        return Array.from({ length: threads }, (_, t) => first + t * stride);
      };
      const scratch = threadBlocks(layout.scratchBytes, "NN-descent join scratch");
      const rngScratch = threadBlocks(16, "NN-descent random scratch");
      // The four candidate heaps (n × C each: new and old indices and priorities), and before
      // the rounds the trees' slots.
      const heaps = s.alloc(
        Math.max(16 * n * C, Math.min(nTrees, threads) * treeSlotBytes(n, d)),
        "NN-descent candidates and trees",
      );
      const run = (job: {
        kernel: string;
        rows: number;
        chunk: number;
        args: RangeArg[];
        results?: boolean;
      }) => core.parallelRows(job, { signal: options.signal, threads });
      /**
       * Propose (kernel over `items` in blocks of `block` on the threads, each block's records
       * grouped by destination part), then apply (each part's records by one chunk); the graph
       * updates.
       */
      const proposeApply = async (
        kernel: string,
        items: number,
        block: number,
        bytesPerBlock: number,
        args: RangeArg[],
      ): Promise<number> => {
        const blocks = Math.ceil(items / block);
        await run({
          kernel,
          rows: items,
          chunk: block,
          args: [
            ...args,
            { base: pairs, chunk: bytesPerBlock },
            { thread: scratch },
            parts,
            destinationRows,
          ],
        });
        const applied = (await run({
          kernel: "nndApplyJoin",
          rows: n,
          chunk: destinationRows,
          args: [
            indices.ptr,
            dists.ptr,
            flags.ptr,
            k,
            pairs,
            bytesPerBlock,
            blocks,
            parts,
            { chunk: 1 },
          ],
          results: true,
        }))!;
        let c = 0;
        for (const u of applied) c += u;
        return c;
      };
      if (nTrees > 0) {
        // The trees are built `threads` at a time, each into its own slot, then their leaves are
        // joined in tree order (each tree's draws depend only on the seed and its number).
        // Their slots live in the candidate heaps' memory, unused until the rounds.
        const batch = Math.min(nTrees, threads);
        const slotScratch = 16 * Math.ceil(K.nndTreeScratchBytes(n, d) / 16);
        const slotOrder = 16 * Math.ceil((4 * n) / 16);
        const slotLeaves = 16 * Math.ceil((4 * (n + 1)) / 16);
        const order = { ptr: heaps };
        const leafStart = { ptr: heaps + batch * slotOrder };
        const treeScratch = leafStart.ptr + batch * slotLeaves;
        const stepLeaves = layout.leafBlocks * LEAF_BLOCK;
        for (let t0 = 0; t0 < nTrees; t0 += batch) {
          const t1 = Math.min(nTrees, t0 + batch);
          const leavesOf = (await run({
            kernel: "nndRpTree",
            rows: t1 - t0,
            chunk: 1,
            args: [
              x.ptr,
              n,
              d,
              leafSize,
              { base: order.ptr, i0: slotOrder },
              { base: leafStart.ptr, i0: slotLeaves },
              { base: treeScratch, i0: slotScratch },
              seed % 2 ** 32,
              Math.floor(seed / 2 ** 32),
              STREAMS.nnDescent,
              { base: t0, i0: 1 },
            ],
            results: true,
          }))!;
          for (let t = t0; t < t1; t++) {
            const leaves = leavesOf[t - t0];
            const treeOrder = order.ptr + slotOrder * (t - t0);
            const treeLeaves = leafStart.ptr + slotLeaves * (t - t0);
            for (let l0 = 0; l0 < leaves; l0 += stepLeaves) {
              const l1 = Math.min(leaves, l0 + stepLeaves);
              await proposeApply("nndProposeLeaves", l1 - l0, LEAF_BLOCK, layout.leafBlockBytes, [
                x.ptr,
                d,
                k,
                dists.ptr,
                treeOrder,
                treeLeaves,
                { base: l0, i0: 1 },
                { base: l0, i1: 1 },
              ]);
            }
            await progress.step(t + 1);
          }
        }
      }
      await run({
        kernel: "nndFillRandomRows",
        rows: n,
        chunk: ROW_CHUNK,
        args: [
          x.ptr,
          n,
          d,
          k,
          indices.ptr,
          dists.ptr,
          flags.ptr,
          fillRng.state,
          { thread: rngScratch },
          { i0: 1 },
          { i1: 1 },
        ],
      });
      const newIdx = { ptr: heaps };
      const newPri = { ptr: heaps + 4 * n * C };
      const oldIdx = { ptr: heaps + 8 * n * C };
      const oldPri = { ptr: heaps + 12 * n * C };
      const threshold = delta * k * n;
      const stepRows = layout.stepRows;
      for (let r = 0; r < nIters; r++) {
        // Candidate sampling in steps of source rows: each step's blocks propose their records
        // on the threads, then each destination part's heaps take that part's records (emptied
        // at the first step); then the marks by rows.
        const sample = layout.sample;
        for (let i0 = 0; i0 < n; i0 += sample.stepRows) {
          const i1 = Math.min(n, i0 + sample.stepRows);
          await run({
            kernel: "nndProposeCandidates",
            rows: i1 - i0,
            chunk: SAMPLE_BLOCK,
            args: [
              indices.ptr,
              flags.ptr,
              n,
              k,
              candidateRng.state,
              r,
              { thread: rngScratch },
              { base: i0, i0: 1 },
              { base: i0, i1: 1 },
              { base: pairs, chunk: sample.blockBytes },
              sample.parts,
              sample.shift,
            ],
          });
          await run({
            kernel: "nndApplyCandidates",
            rows: sample.parts,
            chunk: 1,
            args: [
              n,
              C,
              newIdx.ptr,
              newPri.ptr,
              oldIdx.ptr,
              oldPri.ptr,
              pairs,
              sample.blockBytes,
              Math.ceil((i1 - i0) / SAMPLE_BLOCK),
              sample.parts,
              sample.shift,
              { i0: 1 },
              i0 === 0 ? 1 : 0,
            ],
          });
        }
        await run({
          kernel: "nndCandidatesMark",
          rows: n,
          chunk: ROW_CHUNK,
          args: [indices.ptr, flags.ptr, k, C, newIdx.ptr, { i0: 1 }, { i1: 1 }],
        });
        let c = 0;
        for (let i0 = 0; i0 < n; i0 += stepRows) {
          const i1 = Math.min(n, i0 + stepRows);
          c += await proposeApply("nndProposeJoin", i1 - i0, JOIN_BLOCK, layout.joinBlockBytes, [
            x.ptr,
            d,
            k,
            dists.ptr,
            C,
            newIdx.ptr,
            oldIdx.ptr,
            { base: i0, i0: 1 },
            { base: i0, i1: 1 },
          ]);
          await progress.step(nTrees + r + i1 / n);
        }
        updates.push(c);
        if (c <= threshold) break;
      }
      // Rows sorted (and square-rooted) on the threads: each chunk's rows as a graph of its own.
      await run({
        kernel: metric === "sqeuclidean" ? "nndSortRows" : "nndFinish",
        rows: n,
        chunk: ROW_CHUNK,
        args: [
          { base: indices.ptr, i0: 4 * k },
          { base: dists.ptr, i0: 4 * k },
          { i1: 1, i0: -1 },
          k,
        ],
      });
    } finally {
      fillRng.dispose();
      candidateRng.dispose();
    }
    progress.finish();
    return {
      n,
      k,
      metric,
      indices: indices.copy(),
      distances:
        metric === "euclidean"
          ? toDataUnits(dists.copy(), 1 / scale, "NN-descent distances", undefined, true)
          : toDataUnits(
              dists.copy(),
              1 / (scale * scale),
              "squared NN-descent distances",
              'use metric "euclidean", whose distances are in the data\'s units',
              true,
            ),
      rounds: updates.length,
      updates,
      params: { k, nIters, maxCandidates, delta, nTrees, seed },
    };
  });
}

/**
 * Recall of an approximate neighbour list against the exact one: the fraction of the exact
 * k nearest neighbours (as sets per row) that the approximation found. Both lists must have the
 * same n and k.
 */
export function knnRecall(approx: KnnResult, exact: KnnResult): number {
  if (approx.n !== exact.n || approx.k !== exact.k) {
    throw new HiddenAtlasError(
      "E_SHAPE_MISMATCH",
      `knnRecall: ${approx.n} × ${approx.k} vs ${exact.n} × ${exact.k} neighbour lists`,
    );
  }
  const { n, k } = exact;
  let found = 0;
  const row = new Set<number>();
  for (let i = 0; i < n; i++) {
    row.clear();
    for (let c = 0; c < k; c++) row.add(approx.indices[i * k + c]);
    for (let c = 0; c < k; c++) if (row.has(exact.indices[i * k + c])) found++;
  }
  return found / (n * k);
}
