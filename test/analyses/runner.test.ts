import { describe, expect, it } from "vitest";
import type { AnalysisBundle } from "../../src/analyses/columns.ts";
import { defineAnalysis, resolveParams, type SomeAnalysis } from "../../src/analyses/descriptor.ts";
import { mphateDescriptor, runsWhere } from "../../src/analyses/mphate.ts";
import { AnalysisRunner } from "../../src/analyses/runner.ts";
import { HiddenAtlasError } from "../../src/core/errors.ts";
import { ProgressTracker, type ProgressEvent } from "../../src/core/progress.ts";

const bundle: AnalysisBundle = {
  name: "b",
  task: "classification",
  samples: 10,
  layers: [
    { name: "a", shape: [10, 1], data: new Float32Array(10) },
    { name: "b", shape: [10, 1], data: new Float32Array(10) },
  ],
};

/** A two-step analysis that counts its computations and can be held open until released. */
function counted() {
  const calls: string[] = [];
  const disposed: string[] = [];
  let gate: Promise<void> = Promise.resolve();
  let open = () => {};
  const hold = () => (gate = new Promise((resolve) => (open = resolve)));
  const descriptor = defineAnalysis({
    name: "counted",
    title: "Counted",
    question: "?",
    papers: [],
    params: {
      seed: { type: "integer", min: 0, default: 1, label: "Seed", doc: "seed" },
      intervals: { type: "integer", min: 1, default: 10, label: "Intervals", doc: "intervals" },
      color: {
        type: "keyword",
        role: "view",
        choices: ["x", "y"],
        default: "x",
        label: "Colour",
        doc: "colour",
      },
    },
    steps: {
      space: {
        label: "space",
        uses: ["seed"],
        keep: 2,
        async run({ params, args, options }) {
          calls.push(`space ${args.layer} ${params.seed}`);
          const tracker = new ProgressTracker(options, "neighbours", 4);
          for (let i = 1; i <= 4; i++) {
            await gate;
            await tracker.step(i);
          }
          tracker.finish();
          const id = `${args.layer}/${params.seed}`;
          return { id, dispose: () => disposed.push(id) };
        },
      },
      graph: {
        label: "graph",
        uses: ["intervals"],
        needs: (args) => [["space", args]],
        async run({ params, args, need }) {
          const space = await need<{ id: string }>("space", args);
          calls.push(`graph ${args.layer} ${params.intervals}`);
          return `${space.id}:${params.intervals}`;
        },
      },
      result: {
        label: "result",
        uses: [],
        needs: (_a, _p, b) =>
          b.layers.map((l) => ["graph", { layer: l.name }] as [string, { layer: string }]),
        weight: 0,
        async run({ bundle: b, need }) {
          return Promise.all(b.layers.map((l) => need<string>("graph", { layer: l.name })));
        },
      },
    },
    result: "result",
  }) as unknown as SomeAnalysis;
  return { descriptor, calls, disposed, hold, release: () => open() };
}

const params = (d: SomeAnalysis, given: Record<string, unknown> = {}) =>
  resolveParams(d, bundle, given);

describe("AnalysisRunner", () => {
  it("recomputes exactly the steps whose declared inputs changed", async () => {
    const { descriptor, calls } = counted();
    const runner = new AnalysisRunner();
    expect(await runner.run(descriptor, bundle, "k", "result", params(descriptor))).toEqual([
      "a/1:10",
      "b/1:10",
    ]);
    // Independent steps run side by side.
    expect(calls.sort()).toEqual(["graph a 10", "graph b 10", "space a 1", "space b 1"]);
    calls.length = 0;
    // A view parameter: nothing recomputed.
    await runner.run(descriptor, bundle, "k", "result", params(descriptor, { color: "y" }));
    expect(calls).toEqual([]);
    // The graph's parameter: graphs only, the spaces come from the cache.
    expect(
      await runner.run(descriptor, bundle, "k", "result", params(descriptor, { intervals: 12 })),
    ).toEqual(["a/1:12", "b/1:12"]);
    expect(calls.sort()).toEqual(["graph a 12", "graph b 12"]);
    calls.length = 0;
    // The space's parameter: everything downstream.
    await runner.run(descriptor, bundle, "k", "graph", params(descriptor, { seed: 2 }), {
      layer: "a",
    });
    expect(calls).toEqual(["space a 2", "graph a 10"]);
  });

  it("keeps results per bundle key, and disposes what it evicts", async () => {
    const { descriptor, calls, disposed } = counted();
    const runner = new AnalysisRunner();
    for (const seed of [1, 2, 3])
      await runner.run(descriptor, bundle, "k", "graph", params(descriptor, { seed }), {
        layer: "a",
      });
    // space keeps 2: the oldest (seed 1) went, and was disposed.
    expect(disposed).toEqual(["a/1"]);
    await runner.run(descriptor, bundle, "other", "graph", params(descriptor, { seed: 3 }), {
      layer: "a",
    });
    expect(calls.filter((c) => c.startsWith("space"))).toEqual([
      "space a 1",
      "space a 2",
      "space a 3",
      "space a 3",
    ]);
    runner.clear();
    expect(disposed.sort()).toEqual(["a/1", "a/2", "a/3", "a/3"]);
  });

  it("a cancelled run never poisons the cache: a run waiting on the same step still gets it", async () => {
    const { descriptor, calls, hold, release } = counted();
    const runner = new AnalysisRunner();
    hold();
    const first = new AbortController();
    const a = runner.run(
      descriptor,
      bundle,
      "k",
      "graph",
      params(descriptor),
      { layer: "a" },
      { signal: first.signal },
    );
    // A slider moved: a second run needs the same space with another graph parameter.
    const b = runner.run(descriptor, bundle, "k", "graph", params(descriptor, { intervals: 5 }), {
      layer: "a",
    });
    first.abort();
    await expect(a).rejects.toMatchObject({ code: "E_CANCELLED" });
    release();
    expect(await b).toBe("a/1:5");
    expect(calls).toEqual(["space a 1", "graph a 5"]);
  });

  it("aborts a computation nobody waits for any more, caches nothing of it, and recomputes on request", async () => {
    const { descriptor, calls, hold, release } = counted();
    const runner = new AnalysisRunner();
    hold();
    const controller = new AbortController();
    const run = runner.run(
      descriptor,
      bundle,
      "k",
      "graph",
      params(descriptor),
      { layer: "a" },
      { signal: controller.signal },
    );
    controller.abort();
    await expect(run).rejects.toBeInstanceOf(HiddenAtlasError);
    release();
    await new Promise((r) => setTimeout(r, 20));
    expect(runner.size).toBe(0);
    expect(
      await runner.run(descriptor, bundle, "k", "graph", params(descriptor), { layer: "a" }),
    ).toBe("a/1:10");
    expect(calls.filter((c) => c === "space a 1")).toHaveLength(2);
  });

  it("a step waiting on one result per layer of a 12-layer bundle cancels them all, one abort listener per signal", async () => {
    const { descriptor, calls, hold, release } = counted();
    const wide: AnalysisBundle = {
      ...bundle,
      layers: Array.from({ length: 12 }, (_, i) => ({
        name: `l${i}`,
        shape: [10, 1],
        data: new Float32Array(10),
      })),
    };
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    try {
      const runner = new AnalysisRunner();
      hold();
      const controller = new AbortController();
      const run = runner.run(
        descriptor,
        wide,
        "k",
        "result",
        resolveParams(descriptor, wide, {}),
        {},
        { signal: controller.signal },
      );
      await new Promise((r) => setTimeout(r, 0));
      controller.abort();
      await expect(run).rejects.toMatchObject({ code: "E_CANCELLED" });
      release();
      await new Promise((r) => setTimeout(r, 20));
      expect(runner.size).toBe(0);
      expect(calls.filter((c) => c.startsWith("graph"))).toEqual([]);
      expect(warnings).not.toContain("MaxListenersExceededWarning");
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("reports one progress for the whole run, from 0 to its total, never backwards, with plain stage names", async () => {
    const { descriptor } = counted();
    const runner = new AnalysisRunner();
    const events: ProgressEvent[] = [];
    await runner.run(
      descriptor,
      bundle,
      "k",
      "result",
      params(descriptor),
      {},
      { onProgress: (e) => events.push(e) },
    );
    const fractions = events.map((e) => e.done / e.total);
    expect(fractions.at(-1)).toBe(1);
    for (let i = 1; i < fractions.length; i++)
      expect(fractions[i]).toBeGreaterThanOrEqual(fractions[i - 1]);
    expect(new Set(events.map((e) => e.stage))).toEqual(
      new Set(["space (a)", "space (b)", "graph (a)", "graph (b)", "result"]),
    );
    // Cached steps count as done: a second run's first event is already past them.
    const again: ProgressEvent[] = [];
    await runner.run(
      descriptor,
      bundle,
      "k",
      "result",
      params(descriptor, { intervals: 3 }),
      {},
      { onProgress: (e) => again.push(e) },
    );
    expect(again.every((e) => !e.stage.startsWith("space"))).toBe(true);
  });

  it("labels a multi-bundle step by the bundles' names, never by their keys (content hashes)", async () => {
    const hashA = "a".repeat(64);
    const hashB = "b".repeat(64);
    const kept: Record<string, AnalysisBundle> = {
      [hashA]: { ...bundle, name: "run-vanilla" },
      [hashB]: { ...bundle, name: "run-dropout" },
    };
    const study = defineAnalysis({
      name: "study",
      title: "Study",
      question: "?",
      papers: [],
      params: { seed: { type: "integer", min: 0, default: 1, label: "Seed", doc: "seed" } },
      steps: {
        // As M-PHATE's multi-bundle studies are labelled.
        runs: {
          label: "embedding the runs",
          uses: ["seed"],
          where: runsWhere,
          async run({ args, others }) {
            return String(args.runs)
              .split(",")
              .map((k) => others(k).name);
          },
        },
        // The default: string args as they are (here a layer's name).
        layer: {
          label: "one layer",
          uses: [],
          async run({ args }) {
            return args.layer;
          },
        },
      },
      result: "runs",
    }) as unknown as SomeAnalysis;
    const runner = new AnalysisRunner({ others: (k) => kept[k] });
    const stages = new Set<string>();
    const onProgress = (e: ProgressEvent) => stages.add(e.stage);
    const p = resolveParams(study, bundle, {});
    expect(
      await runner.run(
        study,
        bundle,
        hashA,
        "runs",
        p,
        { runs: `${hashA},${hashB}` },
        { onProgress },
      ),
    ).toEqual(["run-vanilla", "run-dropout"]);
    await runner.run(study, bundle, hashA, "layer", p, { layer: "conv1" }, { onProgress });
    expect([...stages]).toEqual([
      "embedding the runs (run-vanilla, run-dropout)",
      "one layer (conv1)",
    ]);
    // More than two runs: their count, the first and the last; an unknown key: the count alone.
    const many = Array.from({ length: 8 }, (_, i) => `${i}`.repeat(64));
    const others = (k: string) => ({ ...bundle, name: `gen-${k[0]}` });
    expect(runsWhere({ runs: many.join(",") }, others)).toBe("8 runs: gen-0 … gen-7");
    expect(
      runsWhere({ runs: many.join(",") }, () => {
        throw new HiddenAtlasError("E_PARAM", "no bundle is kept");
      }),
    ).toBe("8 runs");
    expect(mphateDescriptor.steps.generalization.where).toBe(runsWhere);
    expect(mphateDescriptor.steps.continual.where).toBe(runsWhere);
  });
});
