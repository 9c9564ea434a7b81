import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { loadCore } from "../../src/core/wasm.ts";
import { HiddenAtlasError } from "../../src/core/errors.ts";
import { Rng } from "../../src/core/random.ts";
import { mulberry32 } from "../helpers.ts";

describe("core", () => {
  it("loadCore() reports its version and shares one instance", async () => {
    const a = await loadCore();
    const b = await loadCore();
    expect(a).toBe(b);
    expect(a.version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("wasm memory stays flat over 5,000 kernel calls that allocate and free", async () => {
    const core = await loadCore();
    const n = 64;
    const d = 13;
    const data = new Float32Array(n * d).map((_, i) => Math.sin(i));
    const run = () =>
      core.scope((s) => {
        const x = s.upload(data);
        const idx = s.i32(n * 5);
        const dist = s.f32(n * 5);
        const scratch = s.alloc(core.kernels.knnScratchBytes(5));
        core.kernels.knnSearch(x.ptr, n, x.ptr, 0, n, d, 5, 1, 0, idx.ptr, dist.ptr, scratch);
        return idx.view()[0];
      });
    for (let i = 0; i < 50; i++) run(); // warm up the allocator's free lists
    const before = core.memory.buffer.byteLength;
    const allocatedBefore = core.allocatedBytes;
    for (let i = 0; i < 5000; i++) run();
    expect(core.memory.buffer.byteLength).toBe(before);
    expect(core.allocatedBytes).toBe(allocatedBefore);
  });

  it("views are re-created after memory grows", async () => {
    // The one-thread SIMD build: its memory is not shared, so growth detaches every view.
    const core = await loadCore(new URL("../../build/core.wasm", import.meta.url));
    core.scope((s) => {
      const small = s.upload(new Float32Array([1, 2, 3]));
      const stale = small.view();
      s.alloc(64 * 1024 * 1024); // forces memory.grow
      expect(stale.length).toBe(0); // detached
      expect(Array.from(small.view())).toEqual([1, 2, 3]);
    });
  });

  it("views of the shared-memory build stay valid after memory grows", async () => {
    const core = await loadCore(new URL("../../build/core.threads.wasm", import.meta.url), {
      threads: 2,
    });
    try {
      core.scope((s) => {
        const small = s.upload(new Float32Array([1, 2, 3]));
        const before = small.view();
        const bytes = core.memory.buffer.byteLength;
        s.alloc(64 * 1024 * 1024); // forces memory.grow
        expect(core.memory.buffer.byteLength).toBeGreaterThan(bytes);
        expect(Array.from(before)).toEqual([1, 2, 3]); // a shared buffer grows without detaching
        expect(Array.from(small.view())).toEqual([1, 2, 3]);
      });
    } finally {
      core.stopThreads();
    }
  });

  it("malloc refuses more than wasm32 can hold with E_TOO_LARGE and the size", async () => {
    const core = await loadCore();
    let error: unknown;
    try {
      core.malloc(5 * 1024 ** 3, "a huge matrix");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HiddenAtlasError);
    expect((error as HiddenAtlasError).code).toBe("E_TOO_LARGE");
    expect((error as HiddenAtlasError).message).toMatch(/a huge matrix needs 5\.0 GiB/);
  });

  it("scope frees its blocks when the function throws", async () => {
    const core = await loadCore();
    const before = core.allocatedBytes;
    expect(() =>
      core.scope((s) => {
        s.alloc(1000);
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(core.allocatedBytes).toBe(before);
  });
});

describe("PCG32", () => {
  it("matches the reference pcg32-demo output for seed 42, stream 54", async () => {
    const core = await loadCore();
    // pcg32_srandom_r(&rng, 42u, 54u); first six pcg32_random_r values (pcg-c-basic demo).
    const expected = [0xa15c02b7, 0x7b47f409, 0xba1d3330, 0x83d2f293, 0xbfa4784b, 0xcbed606e];
    core.scope((s) => {
      const state = s.alloc(16);
      core.kernels.rngSeed(state, 42, 0, 54);
      const out = s.i32(6);
      core.kernels.rngFillU32(state, out.ptr, 6);
      expect(Array.from(out.view(), (v) => v >>> 0)).toEqual(expected);
    });
  });

  it("same seed gives the same stream; different seeds differ", async () => {
    const core = await loadCore();
    const a = new Rng(core, 7);
    const b = new Rng(core, 7);
    const c = new Rng(core, 8);
    const ua = a.uniform(100);
    expect(Array.from(b.uniform(100))).toEqual(Array.from(ua));
    expect(Array.from(c.uniform(100))).not.toEqual(Array.from(ua));
    for (const r of [a, b, c]) r.dispose();
  });

  it("owners of wasm memory are disposable: `using` frees a resident copy and a stream at the end of the block", async () => {
    const core = await loadCore();
    const before = core.allocatedBytes;
    let kept: { ptr: number } | undefined;
    {
      using resident = core.resident(new Float32Array(1000), "disposable test data");
      using rng = new Rng(core, 3);
      expect(resident.ptr).toBeGreaterThan(0);
      expect(rng.uniform(3)).toHaveLength(3);
      expect(core.allocatedBytes).toBeGreaterThanOrEqual(before + 4000);
      kept = resident;
    }
    expect(() => kept!.ptr).toThrow(/resident data used after dispose/);
    expect(core.allocatedBytes).toBe(before);
  });

  it("uniform values lie in [0, 1) with mean ≈ 1/2; normals have mean ≈ 0, variance ≈ 1", async () => {
    const core = await loadCore();
    const rng = new Rng(core, 123);
    const u = rng.uniform(100_000);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    const mean = u.reduce((s, v) => s + v, 0) / u.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
    const z = rng.normal(100_000);
    const zm = z.reduce((s, v) => s + v, 0) / z.length;
    const zv = z.reduce((s, v) => s + (v - zm) ** 2, 0) / z.length;
    expect(Math.abs(zm)).toBeLessThan(0.01);
    expect(Math.abs(zv - 1)).toBeLessThan(0.02);
    rng.dispose();
  });

  it("permutation is a permutation and bounded ints are unbiased enough", async () => {
    const core = await loadCore();
    const rng = new Rng(core, 5);
    const p = rng.permutation(1000);
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    const counts = new Array(3).fill(0);
    for (let i = 0; i < 30_000; i++) counts[rng.int(3)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
    rng.dispose();
  });

  it("rejects invalid seeds", async () => {
    const core = await loadCore();
    expect(() => new Rng(core, -1)).toThrow(/invalid seed: -1/);
    expect(() => new Rng(core, 1.5)).toThrow(/invalid seed/);
  });
});

describe("sha256", () => {
  it("matches node:crypto on inputs of many lengths, fed in uneven chunks", async () => {
    const core = await loadCore();
    const random = mulberry32(3);
    for (const length of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 4096 + 7]) {
      const bytes = Uint8Array.from({ length }, () => Math.floor(random() * 256));
      const expected = createHash("sha256").update(bytes).digest("hex");
      const got = core.scope((s) => {
        const state = s.alloc(104);
        const data = s.upload(bytes.length ? bytes : new Uint8Array(1));
        core.kernels.sha256Init(state);
        let offset = 0;
        let step = 1;
        while (offset < length) {
          const take = Math.min(step, length - offset);
          core.kernels.sha256Update(state, data.ptr + offset, take);
          offset += take;
          step = step * 3 + 1;
        }
        const out = s.u8(32);
        core.kernels.sha256Final(state, out.ptr);
        return Buffer.from(out.view()).toString("hex");
      });
      expect(got, `length ${length}`).toBe(expected);
    }
  });
});
