// How a row job is dispatched to the kernel threads: the calling thread takes chunks itself, it
// waits for the threads' last chunks by blocking on the shared counter or, where it may not
// block, by a message; a cancelled job stops mid-way; a failing chunk fails the job with the
// kernel's name; a thread that dies fails the job. Every path gives the bytes of one thread.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadCore, type Core } from "../../src/core/wasm.ts";
import { canBlock, setDispatch, type RowJob } from "../../src/core/threads.ts";
import { randomMatrix } from "../helpers.ts";

const NY = 96;
const D = 24;
const ROWS = 3000;

let core: Core;
let x: number;
let y: number;
/** One output block per slot (the caller is slot 0), so that each chunk shows who ran it. */
let outs: number[];

beforeAll(async () => {
  core = await loadCore(new URL("../../build/core.threads.wasm", import.meta.url), { threads: 3 });
  x = core.malloc(ROWS * D * 4);
  y = core.malloc(NY * D * 4);
  new Float32Array(core.memory.buffer, x, ROWS * D).set(randomMatrix(ROWS, D, 41).data);
  new Float32Array(core.memory.buffer, y, NY * D).set(randomMatrix(NY, D, 42).data);
  outs = [0, 1, 2].map(() => core.malloc(ROWS * NY * 4));
});

afterEach(() => {
  setDispatch({ callerTakesChunks: true, wait: "auto" });
  core.useThreads(null);
});

afterAll(() => core.stopThreads());

/** Squared distances of every row of X to every row of Y, one row a chunk, into the slot's block. */
function job(out = { thread: outs }): RowJob {
  return {
    kernel: "pairwiseDistances",
    rows: ROWS,
    chunk: 1,
    args: [x, y, NY, D, { i0: 1 }, { i1: 1 }, 0, { base: 0, i0: NY * 4, ...out }],
  };
}

/** Fill the three blocks with NaN, run, and return which slot ran each row and the rows' bytes. */
async function runJob(
  threads: number,
  options: Parameters<Core["parallelRows"]>[1] = {},
): Promise<{ slots: Int8Array; rows: Float32Array }> {
  const views = outs.map((ptr) => new Float32Array(core.memory.buffer, ptr, ROWS * NY));
  for (const view of views) view.fill(Number.NaN);
  core.useThreads(threads);
  await core.parallelRows(job(), options);
  const slots = new Int8Array(ROWS).fill(-1);
  const rows = new Float32Array(ROWS * NY);
  let twice = 0;
  for (let r = 0; r < ROWS; r++) {
    for (let s = 0; s < 3; s++) {
      if (Number.isNaN(views[s][r * NY])) continue;
      if (slots[r] !== -1) twice++;
      slots[r] = s;
      rows.set(views[s].subarray(r * NY, (r + 1) * NY), r * NY);
    }
  }
  expect(twice, "rows run more than once").toBe(0);
  return { slots, rows };
}

const count = (slots: Int8Array, s: number) => slots.filter((v) => v === s).length;
const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe("row job dispatch", () => {
  let one: Float32Array;
  beforeAll(async () => {
    const { slots, rows } = await runJob(1);
    expect(count(slots, 0)).toBe(ROWS);
    one = rows;
    // Right: one entry against a float64 sum (metric 0: squared euclidean).
    const X = randomMatrix(ROWS, D, 41).data;
    const Y = randomMatrix(NY, D, 42).data;
    let s = 0;
    for (let k = 0; k < D; k++) s += (X[2999 * D + k] - Y[95 * D + k]) ** 2;
    expect(one[2999 * NY + 95]).toBeCloseTo(s, 4);
  });

  it("the calling thread takes chunks beside the kernel threads, every row once, the same bytes", async () => {
    expect(canBlock()).toBe(true); // Node's main thread (and a worker) may block
    for (const threads of [2, 3]) {
      // Kernel threads polling for the job may take every chunk before a caller the scheduler
      // set aside takes its first: a few tries.
      let caller = 0;
      for (let attempt = 0; attempt < 5 && caller === 0; attempt++) {
        const { slots, rows } = await runJob(threads);
        expect(count(slots, -1)).toBe(0);
        if (threads === 2) expect(count(slots, 2)).toBe(0);
        expect(bytes(rows).equals(bytes(one))).toBe(true);
        caller = count(slots, 0);
      }
      expect(caller).toBeGreaterThan(0);
    }
  });

  it("jobs started together run one after the other, each whole", async () => {
    core.useThreads(3);
    const views = outs.map((ptr) => new Float32Array(core.memory.buffer, ptr, ROWS * NY));
    for (const view of views) view.fill(Number.NaN);
    const rows: number[][] = [[], [], []];
    await Promise.all(
      outs.map((block, b) =>
        core.parallelRows(
          { ...job(), args: [...job().args.slice(0, 7), { base: block, i0: NY * 4 }] },
          { onRows: (done) => rows[b].push(done) },
        ),
      ),
    );
    for (const view of views) expect(bytes(view).equals(bytes(one))).toBe(true);
    // Each reported its own rows, up to all of them.
    for (const reported of rows) expect(reported.at(-1)).toBe(ROWS);
  });

  it("with the caller only waiting, the kernel threads run every chunk, the same bytes", async () => {
    setDispatch({ callerTakesChunks: false });
    const { slots, rows } = await runJob(3);
    expect(count(slots, 0)).toBe(0);
    expect(count(slots, 1) + count(slots, 2)).toBe(ROWS);
    expect(bytes(rows).equals(bytes(one))).toBe(true);
  });

  it("where the caller may not block it waits for a message from the thread with the last chunk", async () => {
    setDispatch({ wait: "message" });
    for (const callerTakesChunks of [true, false]) {
      setDispatch({ callerTakesChunks });
      for (let repeat = 0; repeat < 10; repeat++) {
        const { slots, rows } = await runJob(3);
        expect(count(slots, -1)).toBe(0);
        expect(bytes(rows).equals(bytes(one))).toBe(true);
      }
    }
  });

  it("returns each chunk's value (more chunks than the first results buffer holds) on every path", async () => {
    // The ε-graph's upper pairs of the first 1,200 rows, one row a chunk: 1,200 counts.
    const n = 1200;
    const epsSquared = 8;
    const scratch = outs.map(() => core.malloc(core.kernels.radiusScratchFloats(n) * 4));
    const pairs = core.malloc(3 * n * n * 4);
    const counts = async () =>
      (await core.parallelRows({
        kernel: "radiusPairsUpper",
        rows: n,
        chunk: 1,
        results: true,
        args: [
          x,
          n,
          D,
          { i0: 1 },
          { i1: 1 },
          epsSquared,
          { base: pairs, chunk: n * 4 },
          { base: pairs + n * n * 4, chunk: n * 4 },
          { base: pairs + 2 * n * n * 4, chunk: n * 4 },
          n,
          { thread: scratch },
        ],
      }))!;
    core.useThreads(1);
    const reference = await counts();
    expect(reference.length).toBe(n);
    // Against float64 brute force (a pair within float32 rounding of ε may go either way).
    const X = randomMatrix(ROWS, D, 41).data;
    let inside = 0;
    for (let i = 0; i < n; i++)
      for (let j = i + 1; j < n; j++) {
        let s = 0;
        for (let k = 0; k < D; k++) s += (X[i * D + k] - X[j * D + k]) ** 2;
        if (s <= epsSquared) inside++;
      }
    const total = reference.reduce((a, b) => a + b, 0);
    expect(inside).toBeGreaterThan(1000);
    expect(Math.abs(total - inside)).toBeLessThanOrEqual(2);
    core.useThreads(3);
    for (const wait of ["auto", "message"] as const) {
      for (const callerTakesChunks of [true, false]) {
        setDispatch({ wait, callerTakesChunks });
        expect(await counts()).toEqual(reference);
      }
    }
  });

  it("copies each chunk's rows out of its thread's scratch block into a shared target, the same bytes on every path", async () => {
    // Chunks of 7 rows (3,000 = 428·7 + 4) computed into the running thread's own block, then
    // copied by that thread to target[i0·NY …].
    const copyJob = (to: Float32Array): RowJob => ({
      ...job({ thread: outs }),
      chunk: 7,
      args: [...job().args.slice(0, 7), { thread: outs }],
      copyOut: { to, from: { thread: outs }, width: NY },
    });
    const shared = () =>
      new Float32Array(new SharedArrayBuffer(ROWS * NY * 4)).fill(Number.NaN) as Float32Array;
    for (const threads of [1, 2, 3]) {
      core.useThreads(threads);
      for (const wait of ["auto", "message"] as const) {
        for (const callerTakesChunks of [true, false]) {
          setDispatch({ wait, callerTakesChunks });
          const to = shared();
          await core.parallelRows(copyJob(to));
          expect(bytes(to).equals(bytes(one))).toBe(true);
        }
      }
    }
    setDispatch({ wait: "auto", callerTakesChunks: true });
    core.useThreads(3);
    // Jobs queued together, each with its own target (sent to the threads as its turn comes).
    const targets = [shared(), shared(), shared()];
    await Promise.all(targets.map((to) => core.parallelRows(copyJob(to))));
    for (const to of targets) expect(bytes(to).equals(bytes(one))).toBe(true);
    // The same target twice in a row, then a job without a copy-out: unaffected.
    const again = shared();
    await core.parallelRows(copyJob(again));
    again.fill(Number.NaN);
    await core.parallelRows(copyJob(again));
    expect(bytes(again).equals(bytes(one))).toBe(true);
    const { rows } = await runJob(3);
    expect(bytes(rows).equals(bytes(one))).toBe(true);
    // A target the kernel threads cannot write (not shared memory): the job runs on this thread.
    const plain = new Float32Array(ROWS * NY).fill(Number.NaN);
    await core.parallelRows(copyJob(plain));
    expect(bytes(plain).equals(bytes(one))).toBe(true);
  });

  it("a job cancelled mid-way stops on every thread (blocking or not) and the next job is whole", async () => {
    // 3,000² distances in R^256 (about 0.1 s a thread), one row a chunk: cancelled at the first
    // progress report, after the caller's first chunk.
    const n = 3000;
    const d = 256;
    const points = core.malloc(n * d * 4);
    new Float32Array(core.memory.buffer, points, n * d).set(randomMatrix(n, d, 43).data);
    const block = core.malloc(n * n * 4);
    const heavy: RowJob = {
      kernel: "pairwiseDistances",
      rows: n,
      chunk: 1,
      args: [points, points, n, d, { i0: 1 }, { i1: 1 }, 0, { base: block, i0: n * 4 }],
    };
    core.useThreads(3);
    for (const wait of ["auto", "message"] as const) {
      setDispatch({ wait });
      const view = new Float32Array(core.memory.buffer, block, n * n).fill(Number.NaN);
      const controller = new AbortController();
      let seen = 0;
      const run = core.parallelRows(heavy, {
        signal: controller.signal,
        onRows: (rows) => {
          seen = Math.max(seen, rows);
          controller.abort();
        },
      });
      await expect(run).rejects.toMatchObject({ code: "E_CANCELLED" });
      // The rows run are the rows reported, and fewer than all.
      const ran = view.filter((_, i) => i % n === 0 && !Number.isNaN(view[i])).length;
      expect(ran).toBe(seen);
      expect(ran).toBeGreaterThan(0);
      expect(ran).toBeLessThan(n);
      const { rows } = await runJob(3);
      expect(bytes(rows).equals(bytes(one))).toBe(true);
    }
  });

  it("a chunk that fails on a kernel thread or on the caller fails the job with E_WASM and the kernel's name", async () => {
    const outside = 0xfff00000; // far beyond the memory: the store traps
    setDispatch({ callerTakesChunks: false });
    core.useThreads(3);
    await expect(
      core.parallelRows(job({ thread: [outs[0], outside, outside] })),
    ).rejects.toMatchObject({
      code: "E_WASM",
      message: expect.stringMatching(
        /^kernel pairwiseDistances failed in a thread: .*out of bounds/,
      ),
    });
    setDispatch({ callerTakesChunks: true });
    core.useThreads(2);
    let error: unknown = null;
    for (let attempt = 0; attempt < 5 && error === null; attempt++) {
      // (null when the kernel thread took every chunk: see above)
      error = await core.parallelRows(job({ thread: [outside, outs[1], outs[2]] })).catch((e) => e);
    }
    expect(error).toMatchObject({
      code: "E_WASM",
      message: expect.stringMatching(/^kernel pairwiseDistances failed: .*out of bounds/),
    });
    // The threads keep working.
    const { rows } = await runJob(3);
    expect(bytes(rows).equals(bytes(one))).toBe(true);
  });
});

describe("a kernel thread that dies", () => {
  it("fails the job it was in with E_WASM, and every later one", async () => {
    const own = await loadCore(new URL("../../build/core.threads.wasm", import.meta.url), {
      threads: 2,
    });
    const n = 4000;
    const ptr = own.malloc(n * 64 * 4 + n * 4 * n);
    setDispatch({ callerTakesChunks: false });
    const pool = (own as unknown as { pool: { threads: { terminate(): void }[] } }).pool;
    let killed = false;
    const run = own.parallelRows(
      {
        kernel: "pairwiseDistances",
        rows: n,
        chunk: 4,
        args: [ptr, ptr, n, 64, { i0: 1 }, { i1: 1 }, 0, { base: ptr + n * 64 * 4, i0: n * 4 }],
      },
      {
        onRows: () => {
          if (!killed) pool.threads[0].terminate();
          killed = true;
        },
      },
    );
    await expect(run).rejects.toMatchObject({
      code: "E_WASM",
      message: expect.stringMatching(/a kernel thread stopped/),
    });
    expect(killed).toBe(true);
    await expect(
      own.parallelRows({
        kernel: "pairwiseDistances",
        rows: 8,
        chunk: 1,
        args: [ptr, ptr, 8, 4, 0, 1, 0, ptr],
      }),
    ).rejects.toMatchObject({ code: "E_WASM" });
    own.stopThreads();
  });
});
