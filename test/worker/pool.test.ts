// The analysis-level worker pool: steps marked `parallel` run in other workers with the same
// result as in-process, progress aggregates across workers, cancelling a run cancels its
// remote steps, and a "needs" step cannot read the bundle.
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { AnalysisBundle } from "../../src/analyses/columns.ts";
import { defineAnalysis, hasParallelSteps } from "../../src/analyses/descriptor.ts";
import { layerTopologyDescriptor } from "../../src/analyses/layer-topology.ts";
import { mapperDescriptor } from "../../src/analyses/mapper.ts";
import { AnalysisRunner, bundleKeyOf, runStepFromNeeds } from "../../src/analyses/runner.ts";
import { resolveParams } from "../../src/analyses/descriptor.ts";
import type { ProgressEvent } from "../../src/core/progress.ts";
import { loadBundleFromPath } from "../../src/io/node.ts";
import { createNodeClient } from "../../src/worker/node.ts";
import { createStepPool, type WorkerStepPool } from "../../src/worker/pool.ts";
import { nodeTraceClock } from "../../src/worker/trace-clock.ts";
import { loadAnalysis, POOL_ANALYSIS_NAMES } from "../../src/worker/pool-tasks.ts";
import { ANALYSES } from "../../src/analyses/registry.ts";
import {
  POOLED_ANALYSES,
  prestartWorkers,
  prestartedCount,
  stopPrestarted,
  takePrestarted,
} from "../../src/worker/prestart.ts";
import { StepTrace, stepIdentity } from "../../src/analyses/trace.ts";
import type { AnalysisClient } from "../../src/worker/client.ts";
import { mulberry32 } from "../helpers.ts";

const pools: WorkerStepPool[] = [];
afterAll(() => pools.forEach((p) => p.terminate()));

/** Three layers of noisy circles in 8-D (a loop each, so H1 has a bar), 160 samples. */
function circles(): AnalysisBundle {
  const random = mulberry32(17);
  const n = 160;
  const layers = [0.05, 0.15, 0.3].map((noise, l) => {
    const data = new Float32Array(n * 8);
    for (let i = 0; i < n; i++) {
      const angle = (2 * Math.PI * i) / n;
      data[i * 8 + l] = Math.cos(angle);
      data[i * 8 + l + 1] = Math.sin(angle);
      for (let k = 0; k < 8; k++) data[i * 8 + k] += noise * (random() - 0.5);
    }
    return { name: `layer${l}`, shape: [n, 8], data };
  });
  return {
    name: "circles",
    task: "classification",
    samples: n,
    layers,
    labels: Int32Array.from({ length: n }, (_, i) => i % 4),
  };
}

describe("step pool", () => {
  it("runs every layer's diagrams in its own worker with the in-process result; progress aggregates to one bar", async () => {
    const bundle = circles();
    const params = resolveParams(layerTopologyDescriptor, bundle, {
      samples: 120,
      sensitivityFractions: [0.5],
    });
    const local = new AnalysisRunner();
    const expected = await local.run(
      layerTopologyDescriptor,
      bundle,
      bundleKeyOf(bundle),
      "result",
      params,
    );
    local.clear();
    const pool = createStepPool({ size: 3, start: createNodeClient });
    pools.push(pool);
    const runner = new AnalysisRunner({ pool });
    const events: ProgressEvent[] = [];
    const pooled = await runner.run(
      layerTopologyDescriptor,
      bundle,
      bundleKeyOf(bundle),
      "result",
      params,
      {},
      { onProgress: (e) => events.push(e) },
    );
    expect(pool.started).toBe(3); // the three layers' diagrams were sent side by side
    expect(pooled).toEqual(expected);
    const done = events.map((e) => e.done);
    expect(done.every((d, i) => i === 0 || d >= done[i - 1])).toBe(true);
    expect(done.at(-1)).toBe(1000);
    expect(events.some((e) => e.stage.startsWith("persistent homology (layer"))).toBe(true);
    runner.clear();
  });

  it("cancelling a run cancels its steps in the workers, which then take new work", async () => {
    const bundle = circles();
    const pool = createStepPool({ size: 2, start: createNodeClient });
    pools.push(pool);
    const runner = new AnalysisRunner({ pool });
    const controller = new AbortController();
    // H2 of 160 points per layer takes long enough to be caught running.
    const heavy = resolveParams(layerTopologyDescriptor, bundle, {
      samples: 160,
      maxdim: 2,
      sensitivityFractions: [],
    });
    const run = runner.run(
      layerTopologyDescriptor,
      bundle,
      bundleKeyOf(bundle),
      "result",
      heavy,
      {},
      {
        signal: controller.signal,
        onProgress: (e) => {
          if (e.stage.startsWith("persistent homology")) controller.abort();
        },
      },
    );
    await expect(run).rejects.toMatchObject({ code: "E_CANCELLED" });
    const light = resolveParams(layerTopologyDescriptor, bundle, {
      samples: 40,
      sensitivityFractions: [],
    });
    const result = await runner.run(
      layerTopologyDescriptor,
      bundle,
      bundleKeyOf(bundle),
      "result",
      light,
    );
    expect((result as { layers: unknown[] }).layers).toHaveLength(3);
    runner.clear();
  });

  it("runs Mapper's per-layer graphs in workers that open the bundle themselves", async () => {
    const path = fileURLToPath(new URL("../../data/examples/digits-mlp.zip", import.meta.url));
    const bundle = await loadBundleFromPath(path);
    const params = resolveParams(mapperDescriptor, bundle, { layers: ["fc1", "fc3"] });
    const local = new AnalysisRunner();
    const expected = await local.run(
      mapperDescriptor,
      bundle,
      bundleKeyOf(bundle),
      "result",
      params,
    );
    local.clear();
    const pool = createStepPool({
      size: 2,
      start: createNodeClient,
      bundle: { value: bundle, open: { task: "bundle.open", args: { path } } },
    });
    pools.push(pool);
    expect(pool.holds(bundle)).toBe(true);
    const runner = new AnalysisRunner({ pool });
    const pooled = await runner.run(
      mapperDescriptor,
      bundle,
      bundleKeyOf(bundle),
      "result",
      params,
    );
    expect(pool.started).toBe(2);
    expect(pooled).toEqual(expected);
    runner.clear();
  });

  it("reads layer topology's layers in workers that open the bundle themselves, with the in-process result", async () => {
    const path = fileURLToPath(new URL("../../data/examples/digits-mlp.zip", import.meta.url));
    const bundle = await loadBundleFromPath(path);
    const params = resolveParams(layerTopologyDescriptor, bundle, {
      layers: ["fc1", "fc2", "fc3"],
      samples: 150,
      sensitivityFractions: [0.5],
    });
    const local = new AnalysisRunner();
    const expected = await local.run(
      layerTopologyDescriptor,
      bundle,
      bundleKeyOf(bundle),
      "result",
      params,
    );
    local.clear();
    const pool = createStepPool({
      size: 2,
      start: createNodeClient,
      bundle: { value: bundle, open: { task: "bundle.open", args: { path } } },
    });
    pools.push(pool);
    const runner = new AnalysisRunner({ pool });
    const pooled = await runner.run(
      layerTopologyDescriptor,
      bundle,
      bundleKeyOf(bundle),
      "result",
      params,
    );
    expect(pool.started).toBe(2);
    expect(pooled).toEqual(expected);
    runner.clear();
  });

  it("started at once, without checkpoints, and traced: the in-process result, every step once, with each thread's start", async () => {
    const path = fileURLToPath(new URL("../../data/examples/digits-mlp.zip", import.meta.url));
    const bundle = await loadBundleFromPath(path);
    const params = resolveParams(layerTopologyDescriptor, bundle, {
      layers: ["fc1", "fc2", "fc3"],
      samples: 120,
      sensitivityFractions: [0.5],
    });
    const local = new AnalysisRunner();
    const expected = await local.run(
      layerTopologyDescriptor,
      bundle,
      bundleKeyOf(bundle),
      "result",
      params,
    );
    local.clear();
    const trace = new StepTrace(nodeTraceClock);
    const pool = createStepPool({
      size: 2,
      start: createNodeClient,
      bundle: { open: { task: "bundle.open", args: { path, checkpoints: false } } },
      trace,
    });
    pools.push(pool);
    pool.warm();
    expect(pool.started).toBe(2);
    expect(pool.holds(bundle)).toBe(false);
    pool.adopt(bundle);
    expect(pool.holds(bundle)).toBe(true);
    const runner = new AnalysisRunner({ pool, trace });
    const pooled = await runner.run(
      layerTopologyDescriptor,
      bundle,
      bundleKeyOf(bundle),
      "result",
      params,
    );
    expect(pooled).toEqual(expected);
    runner.clear();
    const events = trace.events;
    const where = (step: string) =>
      events.filter((e) => e.step === step).map((e) => e.thread.replace(/\d+$/, "N"));
    expect(where("worker.start")).toEqual(["worker N", "worker N"]);
    expect(new Set(events.filter((e) => e.step === "worker.start").map((e) => e.thread))).toEqual(
      new Set(["worker 1", "worker 2"]),
    );
    expect(where("bundle.open")).toEqual(["worker N", "worker N"]);
    // Read in the workers, sampled and cut into clouds here, the rest in the workers: once each.
    expect(where("layer-topology.vectors")).toEqual(Array(3).fill("worker N"));
    expect(where("layer-topology.sample")).toEqual(["main"]);
    expect(where("layer-topology.cloud")).toEqual(Array(3).fill("main"));
    for (const step of ["diagrams", "cycles", "projections", "projectionDiagrams", "sensitivity"])
      expect(where(`layer-topology.${step}`)).toEqual(Array(3).fill("worker N"));
    expect(where("layer-topology.pairDistances")).toEqual(Array(3).fill("worker N"));
    for (const e of events) {
      expect(e.end).toBeGreaterThanOrEqual(e.start);
      expect(e.cpu).toBeGreaterThanOrEqual(0);
    }
    // A step's needs were recorded before it started, and ended before it did.
    const byId = new Map(events.map((e) => [e.id, e]));
    const diagrams = events.find((e) => e.step === "layer-topology.diagrams")!;
    expect(diagrams.needs).toEqual([stepIdentity("layer-topology.cloud", diagrams.args!)]);
    expect(byId.get(diagrams.needs[0])!.end).toBeLessThanOrEqual(diagrams.start);
    expect(diagrams.cost).toBeGreaterThan(0);
  });

  it("takes workers started ahead before starting its own, with the in-process result; the rest are ended", async () => {
    const bundle = circles();
    const params = resolveParams(layerTopologyDescriptor, bundle, {
      samples: 80,
      sensitivityFractions: [0.5],
    });
    const local = new AnalysisRunner();
    const expected = await local.run(
      layerTopologyDescriptor,
      bundle,
      bundleKeyOf(bundle),
      "result",
      params,
    );
    local.clear();
    prestartWorkers(3);
    prestartWorkers(2); // already running: none more
    expect(prestartedCount()).toBe(3);
    let started = 0;
    const pool = createStepPool({
      size: 2,
      start: () => {
        started++;
        return createNodeClient();
      },
      prestarted: takePrestarted,
    });
    pools.push(pool);
    pool.warm();
    expect([pool.started, started, prestartedCount()]).toEqual([2, 0, 1]);
    const runner = new AnalysisRunner({ pool });
    expect(
      await runner.run(layerTopologyDescriptor, bundle, bundleKeyOf(bundle), "result", params),
    ).toEqual(expected);
    runner.clear();
    stopPrestarted();
    expect(prestartedCount()).toBe(0);
    expect(takePrestarted()).toBeUndefined();
  });

  it("an analysis worker configured for 2 threads runs kernels on 2 threads and parallel steps in a pool of 2", async () => {
    const client = createNodeClient();
    try {
      const status = await client.configureThreads(2);
      expect(status).toMatchObject({
        setting: 2,
        threads: 2,
        loaded: 2,
        poolWorkers: 2,
        note: null,
      });
      const bundle = circles();
      await client.put("circles", bundle);
      const params = { samples: 100, sensitivityFractions: [] };
      const inWorker = await client.run("layer-topology.result", { bundle: "circles", params });
      const local = new AnalysisRunner();
      const expected = await local.run(
        layerTopologyDescriptor,
        bundle,
        bundleKeyOf(bundle),
        "result",
        resolveParams(layerTopologyDescriptor, bundle, params),
      );
      local.clear();
      expect(inWorker).toEqual(expected);
      await expect(client.configureThreads(1)).rejects.toThrow(/before its first analysis step/);
    } finally {
      client.terminate();
    }
  });

  it("a step run from its needs' values cannot read the bundle or an undeclared need (E_PARAM)", async () => {
    const descriptor = defineAnalysis({
      name: "probe",
      title: "probe",
      question: "?",
      papers: [],
      params: {},
      steps: {
        reads: {
          label: "reads the bundle",
          uses: [],
          parallel: "needs",
          run: async ({ bundle }) => bundle.samples,
        },
        asks: {
          label: "asks for a need",
          uses: [],
          parallel: "needs",
          run: async ({ need }) => need("other", { layer: "x" }),
        },
        local: { label: "runs here", uses: [], run: async () => 1 },
        result: { label: "result", uses: [], run: async () => 0 },
      },
      result: "result",
    });
    const request = (step: string) => ({
      analysis: "probe",
      step,
      params: {},
      args: {},
      needs: [],
    });
    await expect(runStepFromNeeds(descriptor, request("reads"))).rejects.toThrow(
      /probe\.reads runs in a pool worker from its needs' values and has no bundle \(it read samples\)/,
    );
    await expect(runStepFromNeeds(descriptor, request("asks"))).rejects.toThrow(
      /which were not given other \{"layer":"x"\}/,
    );
    await expect(runStepFromNeeds(descriptor, request("local"))).rejects.toMatchObject({
      code: "E_PARAM",
    });
    expect(
      await runStepFromNeeds(descriptor, {
        ...request("asks"),
        needs: [["other", { layer: "x" }, 42]],
      }),
    ).toBe(42);
  });
});

describe("a pool worker's analyses", () => {
  it("imports each analysis of the registry by its name, the registry's own descriptor; an unknown name is E_PARAM", async () => {
    expect(POOL_ANALYSIS_NAMES.toSorted()).toEqual(Object.keys(ANALYSES).toSorted());
    // The command line prestarts workers only for the analyses whose reports take a pool.
    expect(
      Object.entries(ANALYSES)
        .filter(([, descriptor]) => hasParallelSteps(descriptor as never))
        .map(([name]) => name)
        .toSorted(),
    ).toEqual([...POOLED_ANALYSES].toSorted());
    for (const [name, descriptor] of Object.entries(ANALYSES))
      expect(await loadAnalysis(name)).toBe(descriptor);
    await expect(loadAnalysis("toString")).rejects.toMatchObject({ code: "E_PARAM" });
  });
});

describe("the pool's queue", () => {
  it("gives each worker one step at a time, first come first served, and drops a queued step that is cancelled", async () => {
    // A fake worker: each step.remote waits until the test finishes it.
    const started: string[] = [];
    const finish = new Map<string, () => void>();
    const client = {
      run: (task: string, args: { step?: string }) => {
        if (task !== "step.remote") return Promise.resolve();
        started.push(args.step!);
        return new Promise<string>((resolve) => finish.set(args.step!, () => resolve(args.step!)));
      },
      terminate: () => {},
    } as unknown as AnalysisClient;
    const pool = createStepPool({ size: 1, start: () => client });
    const step = (name: string, signal?: AbortSignal) =>
      pool.run({ analysis: "a", step: name, params: {}, args: {}, needs: [] }, { signal });
    const tick = () => new Promise((r) => setTimeout(r, 0));
    const a = step("a");
    const controller = new AbortController();
    const b = step("b", controller.signal);
    const c = step("c");
    await tick();
    expect(started).toEqual(["a"]); // b and c wait for the one worker
    controller.abort();
    await expect(b).rejects.toMatchObject({ code: "E_CANCELLED" });
    finish.get("a")!();
    expect(await a).toBe("a");
    await tick();
    expect(started).toEqual(["a", "c"]); // b never reached the worker
    finish.get("c")!();
    expect(await c).toBe("c");
    const d = step("d");
    pool.terminate();
    await tick();
    expect(started).toEqual(["a", "c", "d"]); // d found the worker free
    const e = step("e");
    await expect(e).rejects.toMatchObject({ code: "E_CANCELLED" });
    finish.get("d")!();
    await d;
  });
});

describe("the pool's order", () => {
  it("hands the costliest waiting step out first, then first come first served", async () => {
    const started: string[] = [];
    const finish = new Map<string, () => void>();
    const client = {
      run: (task: string, args: { step?: string }) => {
        if (task !== "step.remote") return Promise.resolve();
        started.push(args.step!);
        return new Promise<string>((resolve) => finish.set(args.step!, () => resolve(args.step!)));
      },
      terminate: () => {},
    } as unknown as AnalysisClient;
    const pool = createStepPool({ size: 1, start: () => client });
    pools.push(pool);
    const step = (name: string, cost?: number) =>
      pool.run({ analysis: "a", step: name, params: {}, args: {}, needs: [], cost }, {});
    const tick = () => new Promise((r) => setTimeout(r, 0));
    const steps = [step("first", 1), step("small", 1), step("large", 50), step("none")];
    steps.push(step("middle", 10), step("small too", 1));
    await tick();
    expect(started).toEqual(["first"]); // it found the worker free
    for (const name of ["first", "large", "middle", "small", "small too", "none"]) {
      finish.get(name)!();
      await tick();
    }
    expect(started).toEqual(["first", "large", "middle", "small", "small too", "none"]);
    expect(await Promise.all(steps)).toEqual([
      "first",
      "small",
      "large",
      "none",
      "middle",
      "small too",
    ]);
  });
});

describe("the pool's bundle", () => {
  /** A stand-in worker that records the tasks it is sent. */
  function recordingPool(size: number) {
    const sent: string[][] = [];
    const bundle = circles();
    const pool = createStepPool({
      size,
      start: () => {
        const tasks: string[] = [];
        sent.push(tasks);
        return {
          run: async (task: string) => {
            tasks.push(task);
            return task === "step.remote" ? "value" : null;
          },
          terminate: () => {},
        } as never;
      },
      bundle: { value: bundle, open: { task: "bundle.open", args: { path: "unused" } } },
    });
    pools.push(pool);
    return { pool, sent };
  }

  it("is opened by a worker only before its first whole step, once; needs steps never open it", async () => {
    const { pool, sent } = recordingPool(1);
    const step = { analysis: "layer-topology", step: "diagrams", params: {}, args: { layer: "a" } };
    await pool.run({ ...step, needs: [] }, {});
    await pool.run({ ...step, needs: [] }, {});
    expect(sent).toEqual([["worker.threads", "step.remote", "step.remote"]]);
    await pool.run({ ...step, step: "graph" }, {});
    await pool.run({ ...step, step: "graph" }, {});
    expect(sent).toEqual([
      ["worker.threads", "step.remote", "step.remote", "bundle.open", "step.remote", "step.remote"],
    ]);
  });
});
