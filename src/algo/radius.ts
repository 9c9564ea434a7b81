/**
 * The ε-graph of a point cloud: every pair of rows within a radius (the neighbourhood graph
 * DBSCAN and Mapper cluster on), by the blocked f32x4 squared distances of assembly/radius.ts
 * `radiusPairsUpper`, on the kernel threads.
 *
 * Rows are taken in chunks; each chunk writes its pairs into a buffer of its own, so the pairs,
 * in (i, j) order, do not depend on the number of threads. A chunk whose pairs overflow its
 * buffer counts them all and is run again, on the threads too, with room for exactly that many.
 *
 * @example
 *   const {i, j, squared} = await radiusPairs(X, 0.5);
 *   // i[p] < j[p], ‖X_i − X_j‖² = squared[p] ≤ 0.25, ascending in (i, j)
 *
 * See also: knn (the k nearest instead of all within ε).
 */
import { HiddenAtlasError, formatBytes } from "../core/errors.ts";
import { assertMatrix, type Matrix } from "../core/matrix.ts";
import { checkNumber, checkOptionNames } from "../core/params.ts";
import { ProgressTracker, type RunOptions } from "../core/progress.ts";
import { getCore } from "../core/wasm.ts";
import { toDataUnits, toKernelRange } from "./range.ts";

declare module "../core/wasm.ts" {
  interface CoreKernels {
    radiusScratchFloats(nBase: number): number;
    radiusPairsUpper(
      base: number,
      n: number,
      d: number,
      r0: number,
      r1: number,
      epsSquared: number,
      outI: number,
      outJ: number,
      outSquared: number,
      capacity: number,
      scratch: number,
    ): number;
    radiusPairsUpperCounted(
      base: number,
      n: number,
      d: number,
      r0: number,
      r1: number,
      epsSquared: number,
      outI: number,
      outJ: number,
      outSquared: number,
      capacity: number,
      scratch: number,
    ): number;
    radiusPairsUpperListed(
      base: number,
      n: number,
      d: number,
      table: number,
      index: number,
      epsSquared: number,
      outI: number,
      outJ: number,
      outSquared: number,
      scratch: number,
    ): number;
  }
}

/** Rows per chunk of the pass (the kernel's distance tile is 16 rows). */
const PAIR_CHUNK = 64;
/** Pairs a chunk's buffer holds per row at first (a chunk that overflows is run again). */
const PAIRS_PER_ROW = 32;
/** Most bytes of chunk buffers at a time (12 bytes per pair: i, j, squared distance). */
const BLOCK_BYTES = 128 * 1024 ** 2;
/** Most pairs returned (three typed arrays of this length). */
const MAX_PAIRS = 2 ** 28;

export type RadiusPairsOptions = RunOptions;

export interface RadiusPairs {
  /** First row of each pair (ascending). */
  i: Int32Array;
  /** Second row (> i; ascending within an i). */
  j: Int32Array;
  /** Squared Euclidean distance of each pair, in the data's units. */
  squared: Float32Array;
}

/**
 * Every pair i < j of rows of X with Euclidean distance ≤ radius, in (i, j) order.
 * Throws E_PARAM unless radius ≥ 0, E_TOO_LARGE when the pairs would exceed 2^28.
 */
export async function radiusPairs(
  X: Matrix,
  radius: number,
  options: RadiusPairsOptions = {},
): Promise<RadiusPairs> {
  checkOptionNames("radiusPairs", options, {});
  assertMatrix(X, "X");
  checkNumber("radius", radius, 0, Infinity);
  const { X: Xk, scale } = toKernelRange(X, "X");
  const n = Xk.rows;
  const epsSquared = Math.fround(radius * scale * (radius * scale));
  const core = await getCore();
  const threads = core.threads;
  const capacity = PAIR_CHUNK * PAIRS_PER_ROW;
  const chunksPerBlock = Math.max(threads, Math.floor(BLOCK_BYTES / (capacity * 12)));
  const parts: { i: Int32Array; j: Int32Array; squared: Float32Array }[] = [];
  let total = 0;
  /** Refuse before `more` pairs beyond those kept would pass the limit. */
  const limit = (more: number) => {
    if (total + more > MAX_PAIRS) {
      throw new HiddenAtlasError(
        "E_TOO_LARGE",
        `the ε-graph at radius ${radius} has more than ${MAX_PAIRS} pairs (${formatBytes((total + more) * 12)}); lower the radius or subsample`,
        { bytesNeeded: (total + more) * 12 },
      );
    }
  };
  const keep = (i: Int32Array, j: Int32Array, squared: Float32Array) => {
    limit(i.length);
    total += i.length;
    parts.push({ i, j, squared });
  };
  const progress = new ProgressTracker(options, "ε-graph", n);
  await core.scope(async (s) => {
    const base = s.upload(Xk.data, "ε-graph points");
    const scratch = Array.from(
      { length: threads },
      () => s.f32(core.kernels.radiusScratchFloats(n), "ε-graph scratch").ptr,
    );
    const blockRows = chunksPerBlock * PAIR_CHUNK;
    const chunks = Math.min(chunksPerBlock, Math.ceil(n / PAIR_CHUNK));
    const outI = s.i32(chunks * capacity, "ε-graph pairs");
    const outJ = s.i32(chunks * capacity, "ε-graph pairs");
    const outSquared = s.f32(chunks * capacity, "ε-graph distances");
    for (let b0 = 0; b0 < n; b0 += blockRows) {
      const b1 = Math.min(n, b0 + blockRows);
      const found = (await core.parallelRows(
        {
          kernel: "radiusPairsUpperCounted",
          rows: b1 - b0,
          chunk: PAIR_CHUNK,
          results: true,
          args: [
            base.ptr,
            n,
            Xk.cols,
            { base: b0, i0: 1 },
            { base: b0, i1: 1 },
            epsSquared,
            { base: outI.ptr, chunk: capacity * 4 },
            { base: outJ.ptr, chunk: capacity * 4 },
            { base: outSquared.ptr, chunk: capacity * 4 },
            capacity,
            { thread: scratch },
          ],
        },
        { signal: options.signal, onRows: (rows) => progress.report(b0 + rows), threads },
      ))!;
      // The chunks in order; one that overflowed its buffer is run again below with the room
      // its count asks for, those reruns too on the kernel threads (in batches of BLOCK_BYTES).
      const pieces: (Parameters<typeof keep> | null)[] = [];
      const overflowed: number[] = [];
      limit(found.reduce((a, b) => a + b, 0));
      for (let c = 0; c < found.length; c++) {
        if (found[c] <= capacity) {
          const at = c * capacity;
          pieces.push([
            outI.view().slice(at, at + found[c]),
            outJ.view().slice(at, at + found[c]),
            outSquared.view().slice(at, at + found[c]),
          ]);
        } else {
          pieces.push(null);
          overflowed.push(c);
        }
      }
      for (let first = 0; first < overflowed.length;) {
        let last = first;
        let room = found[overflowed[first]];
        while (
          last + 1 < overflowed.length &&
          (room + found[overflowed[last + 1]]) * 12 <= BLOCK_BYTES
        )
          room += found[overflowed[++last]];
        await core.scope(async (t) => {
          core.assertFits(room * 12, `the ε-graph pairs of ${last - first + 1} chunks of rows`);
          const table = t.i32(4 * (last - first + 1), "ε-graph reruns");
          const entries = table.view();
          let offset = 0;
          for (let e = first; e <= last; e++) {
            const c = overflowed[e];
            const r0 = b0 + c * PAIR_CHUNK;
            entries.set([r0, Math.min(b1, r0 + PAIR_CHUNK), offset, found[c]], 4 * (e - first));
            offset += found[c];
          }
          const i = t.i32(room, "ε-graph pairs");
          const j = t.i32(room, "ε-graph pairs");
          const sq = t.f32(room, "ε-graph distances");
          await core.parallelRows(
            {
              kernel: "radiusPairsUpperListed",
              rows: last - first + 1,
              chunk: 1,
              args: [
                base.ptr,
                n,
                Xk.cols,
                table.ptr,
                { i0: 1 },
                epsSquared,
                i.ptr,
                j.ptr,
                sq.ptr,
                { thread: scratch },
              ],
            },
            { signal: options.signal, threads },
          );
          offset = 0;
          for (let e = first; e <= last; e++) {
            const count = found[overflowed[e]];
            pieces[overflowed[e]] = [
              i.view().slice(offset, offset + count),
              j.view().slice(offset, offset + count),
              sq.view().slice(offset, offset + count),
            ];
            offset += count;
          }
        });
        first = last + 1;
      }
      for (const piece of pieces) keep(...piece!);
      await progress.step(b1);
    }
  });
  progress.finish();
  const out: RadiusPairs = {
    i: new Int32Array(total),
    j: new Int32Array(total),
    squared: new Float32Array(total),
  };
  let at = 0;
  for (const part of parts) {
    out.i.set(part.i, at);
    out.j.set(part.j, at);
    out.squared.set(part.squared, at);
    at += part.i.length;
  }
  out.squared = toDataUnits(
    out.squared,
    1 / (scale * scale),
    "squared ε-graph distances",
    undefined,
    true,
  );
  return out;
}
