/** `hidden-atlas report NOTEBOOK --bundle DIR --set k=10 --out r.html`: a notebook's report from Node. */
import { hasParallelSteps, type SomeAnalysis } from "../../analyses/descriptor.ts";
import { AnalysisRunner, bundleKeyOf } from "../../analyses/runner.ts";
import { StepTrace, stepIdentity, type TraceEvent } from "../../analyses/trace.ts";
import { activeThreads, requestedThreads, setThreads, threadSetting } from "../../core/threads.ts";
import { createPoolWorkerClient } from "../../worker/node.ts";
import { createStepPool } from "../../worker/pool.ts";
import { takePrestarted } from "../../worker/prestart.ts";
import { nodeTraceClock, threadCpuAvailable, threadsCpu } from "../../worker/trace-clock.ts";
import type { AnalysisName } from "../../analyses/registry.ts";
import { HiddenAtlasError } from "../../core/errors.ts";
import type { InputsLater } from "../../io/bundle.ts";
import { openBundle, type HashedBundle } from "../../io/digest.ts";
import { bundleSourceFromPath } from "../../io/node.ts";
import { renderReport, type ReportSpec } from "../../report/report.ts";
import type { ParsedCommand } from "../args.ts";
import type { Command } from "../command.ts";
import { writeTextFile } from "../files.ts";
import { terminalProgress, toJson, type Streams } from "../output.ts";
import {
  analysisArgument,
  commandParams,
  parameterHelp,
  parameterOptions,
} from "./analysis-options.ts";

/**
 * Workers of the report's step pool: one per thread, every core by default ("auto"); 1: none,
 * every step on this thread. On 2 cores the pool made the reports of a trained ResNet-18 export
 * about 1.75-2.15x faster by the step trace's CPU-time model, for 0.92-1.16x the CPU time and
 * at most 1.45x the one-thread peak memory (README, "Reports on 1 and 2 threads"). An analysis
 * with no step a worker may run (som-codes, mphate, explore) gets no pool: its kernels take the
 * threads instead (a pool would leave them on one thread and the workers idle).
 */
async function poolWorkers(descriptor: SomeAnalysis): Promise<number> {
  return hasParallelSteps(descriptor) ? requestedThreads() : 1;
}

/** Run a notebook's analysis on `--bundle` with the command line's parameters; its report spec. */
export async function analysisReport(
  { positionals: [notebook], options }: ParsedCommand,
  { stderr }: Streams,
  trace?: StepTrace,
): Promise<{ spec: ReportSpec; sha256: string; dataset: string; workers: number }> {
  const descriptor = analysisArgument(notebook);
  if (!options.bundle) throw new HiddenAtlasError("E_USAGE", `${notebook} needs --bundle DIR`);
  // This thread's start: loading the modules, up to here.
  trace?.record({
    step: "main.start",
    needs: [],
    start: performance.timeOrigin,
    end: trace.clock.now(),
    cpu: trace.clock.cpu(),
    tid: trace.clock.tid?.() ?? undefined,
  });
  // Independent steps (a layer's diagrams, a layer's Mapper graph) in a pool of workers, one
  // per thread, started now (or taken from those the command line started while this module
  // loaded): they load their modules and core, and each opens the bundle itself (headers only;
  // layers are read as steps ask), while this thread opens it too.
  const threads = await poolWorkers(descriptor);
  const pool =
    threads > 1
      ? createStepPool({
          size: threads,
          start: createPoolWorkerClient,
          // Started by the command line before this module loaded (src/cli/main.ts).
          prestarted: takePrestarted,
          bundle: {
            open: {
              task: "bundle.open",
              args: {
                path: options.bundle as string,
                // Decoding the checkpoints costs every worker a second; most reports never read them.
                checkpoints: descriptor.readsCheckpoints === true,
              },
            },
          },
          trace,
        })
      : undefined;
  pool?.warm();
  // The workers are the parallelism: this thread's kernels (a sample, CKA's Gram products) run
  // on one thread, without kernel threads beside the pool's workers.
  const setting = threadSetting();
  if (pool) setThreads(1);
  try {
    // The bundle's hash is needed only in the report: it streams in the background (on this
    // thread, while it waits for the workers) instead of before the first step.
    const opened = trace?.begin("bundle.open", undefined, [stepIdentity("main.start", {})]);
    // The checkpoints' layers too, unless the analysis never reads them: then only their
    // headers (the report counts them), their values checked as the hash streams them.
    // The inputs too (31 MB of images on a 10,000-image export, a quarter of a second before
    // any step could start), when only the report reads them: read once the steps are under way.
    const onlyInReport = descriptor.inputsOnlyInReport;
    const bundle: HashedBundle & InputsLater = await openBundle(
      await bundleSourceFromPath(options.bundle as string),
      {
        digest: "deferred",
        checkpoints: descriptor.readsCheckpoints === true ? true : "lazy",
        inputs: onlyInReport ? (manifest) => (onlyInReport(manifest) ? "later" : true) : true,
      },
    );
    opened?.();
    pool?.adopt(bundle);
    const params = commandParams(descriptor, bundle, options);
    const runner = new AnalysisRunner({ pool, trace });
    try {
      const running = runner.run(
        descriptor,
        bundle,
        bundleKeyOf(bundle),
        descriptor.result,
        params,
        {},
        { onProgress: terminalProgress(stderr) },
      );
      running.catch(() => {}); // awaited below, after the report's modules
      // The report's own modules (figures, a DOM: most of the command's loading, ~0.9 s of CPU)
      // only now, while the steps run, instead of before the workers could start.
      const loading = trace?.begin("report.load", undefined, [stepIdentity("main.start", {})]);
      const [{ reportDocument }, { buildReport }] = await Promise.all([
        import("../../report/dom.ts"),
        import("../../report/registry.ts"),
      ]);
      loading?.();
      // The inputs, read only now if only the report reads them (the steps are under way).
      const inputsRead = bundle.readInputs?.();
      inputsRead?.catch(() => {}); // awaited below
      const result = await running;
      // The hash's wait (and the inputs' read, when read late): what the steps did not hide.
      const hashed = trace?.begin("bundle.hash", undefined, [
        stepIdentity(`${descriptor.name}.${descriptor.result}`, {}),
      ]);
      const sha256 = bundle.digest ? await bundle.digest : bundle.sha256;
      await inputsRead;
      hashed?.();
      const built = trace?.begin("report.build", undefined, [
        stepIdentity("bundle.hash", {}),
        stepIdentity("report.load", {}),
      ]);
      const context = {
        sha256,
        date: options.date as string | undefined,
        document: reportDocument(),
      };
      const spec = buildReport(
        notebook as AnalysisName,
        bundle,
        result as never,
        params as never,
        context,
      );
      built?.();
      if (trace) {
        // Each traced thread's whole CPU time, and the rest (V8's and libuv's helpers).
        const names = new Map(
          trace.events.filter((e) => e.tid !== undefined).map((e) => [e.tid!, e.thread]),
        );
        threadsAtEnd = {};
        for (const [tid, ms] of threadsCpu()) {
          const name = names.get(tid) ?? "helpers";
          threadsAtEnd[name] = (threadsAtEnd[name] ?? 0) + ms;
        }
      }
      return { spec, sha256, dataset: bundle.name, workers: threads };
    } finally {
      runner.clear();
    }
  } finally {
    pool?.terminate();
    // Back to the command line's setting (for in-process callers), unless the core loaded on
    // one thread meanwhile: a count above it is refused, and 1 is then what it runs anyway.
    if (pool && activeThreads() >= (setting === "auto" ? 1 : setting)) setThreads(setting);
  }
}

/** CPU time per traced thread, and of the others together, before the workers ended (for the trace). */
let threadsAtEnd: Record<string, number> = {};

/** What `--trace FILE.json` writes (read by bench/threads-reports.ts). */
export interface ReportTrace {
  format: "hidden-atlas-trace/1";
  notebook: string;
  /** Threads of the run (pool workers when > 1). */
  threads: number;
  /** Whether each event's CPU is its own thread's (Linux); else the whole process's. */
  threadCpu: boolean;
  /** The process's CPU time (every thread) and wall time at the end, milliseconds. */
  processCpu: number;
  wall: number;
  /**
   * CPU time of each traced thread ("main", "worker N") and of the others together ("helpers":
   * V8's garbage collection and compilation, libuv's file reads), ms in 10 ms ticks, just
   * before the workers ended: where CPU outside the steps went.
   */
  cpuByThreadName: Record<string, number>;
  events: TraceEvent[];
}

export const reportCommand: Command = {
  spec: {
    name: "report",
    summary:
      "Run a notebook's analysis on a bundle and write its static report: one self-contained HTML file that opens offline.",
    positionals: [
      {
        name: "NOTEBOOK",
        description: "explore, mda, som-codes, layer-topology, mapper or mphate",
      },
    ],
    options: {
      bundle: {
        type: "string",
        placeholder: "DIR",
        description: "bundle folder, .zip or .npz (required)",
      },
      set: {
        type: "list",
        placeholder: "NAME=VALUE",
        description: "set a notebook parameter (repeatable); or --kebab-name VALUE",
      },
      out: {
        type: "string",
        placeholder: "FILE.html",
        description: "where to write the report (required)",
      },
      date: {
        type: "string",
        placeholder: "ISO-DATE",
        description: "date printed in the report (default: now)",
      },
      trace: {
        type: "string",
        placeholder: "FILE.json",
        // Checked before any work, as --out is.
        output: "file",
        description:
          "also write a timing trace (JSON): every step's thread, start, end and CPU time, and the steps it waited for",
      },
      ...parameterOptions(),
    },
    get details() {
      return [
        "Threads: with --threads N (default auto: every core) the analysis' independent steps",
        "(each layer's reading, diagrams, projections and cycles; each layer's Mapper graph; each",
        "MDA panel) run in a pool of N workers, the rest on this thread; the analyses without",
        "such steps (som-codes, mphate, explore) run their kernels on N threads instead. The",
        "report is the same bytes on any count. --threads 1 runs every step on this thread, in",
        "less memory (each worker holds its own core and the layer it works on).",
        "",
        `Parameters (name, command-line spelling, range, default):\n\n${parameterHelp()}`,
      ].join("\n");
    },
  },
  async run(parsed, streams) {
    analysisArgument(parsed.positionals[0]);
    if (!parsed.options.bundle) throw new HiddenAtlasError("E_USAGE", "report needs --bundle DIR");
    if (!parsed.options.out) throw new HiddenAtlasError("E_USAGE", "report needs --out FILE.html");
    const trace = parsed.options.trace ? new StepTrace(nodeTraceClock) : undefined;
    const { spec, sha256, dataset, workers } = await analysisReport(parsed, streams, trace);
    const written = trace?.begin("report.write", undefined, [stepIdentity("report.build", {})]);
    await writeTextFile(parsed.options.out as string, renderReport(spec));
    written?.();
    if (trace) {
      const { user, system } = process.cpuUsage();
      const record: ReportTrace = {
        format: "hidden-atlas-trace/1",
        notebook: parsed.positionals[0],
        threads: workers,
        threadCpu: threadCpuAvailable,
        processCpu: (user + system) / 1000,
        wall: trace.clock.now() - performance.timeOrigin,
        cpuByThreadName: threadsAtEnd,
        events: trace.events,
      };
      await writeTextFile(parsed.options.trace as string, JSON.stringify(record, null, 1) + "\n");
    }
    streams.stdout.write(
      toJson({
        report: parsed.options.out,
        notebook: parsed.positionals[0],
        dataset,
        sha256,
        parameters: spec.parameters,
        seed: spec.seed,
      }) + "\n",
    );
  },
};
