/**
 * A pool of analysis workers for the steps marked `parallel` (src/analyses/descriptor.ts): the
 * runner sends each such step to a free worker (steps wait, first come first served, while every
 * worker has one), so independent steps — every layer's
 * persistence diagrams, every layer's Mapper graph, every MDA panel — run side by side, each
 * worker with its own core. Results do not depend on which worker ran a step (each step is
 * deterministic), only the wall time does.
 *
 * Steps that wait for a worker are handed out costliest first (`RemoteStep.cost`, the step's
 * size estimate; first come first served among equals): steps asked for in the same turn of the
 * event loop are ordered together, so the largest layer does not start last (longest processing
 * time first).
 *
 * Workers start on first use, or all at once with `warm()` (the command line calls it before it
 * opens the bundle, so the workers load their modules and core meanwhile). Each first sets its
 * kernels to `kernelThreads` threads (1 by default: the workers are the parallelism). When the
 * pool holds a bundle, a worker opens it itself from the same files — headers only, layers read
 * as steps ask — before the first "whole" step it is sent (those compute their needs there), or
 * at once when warmed; a worker that only runs "needs" steps and was not warmed never opens it.
 * Progress of a remote step reaches the runner as the step's own; cancelling the run cancels the
 * remote step.
 */
import type { AnalysisBundle } from "../analyses/columns.ts";
import type { RemoteStep, StepPool } from "../analyses/runner.ts";
import type { StepTrace, TraceEvent } from "../analyses/trace.ts";
import { HiddenAtlasError } from "../core/errors.ts";
import type { RunOptions } from "../core/progress.ts";
import type { AnalysisClient } from "./client.ts";

/** The key under which pool workers keep the bundle they open. */
const POOL_BUNDLE_KEY = "pool-bundle";

export interface StepPoolOptions {
  /** Most workers (≥ 1). */
  size: number;
  /** Start one worker. */
  start(): AnalysisClient;
  /**
   * A worker started ahead with its kernel threads already set (`worker.threads` sent, e.g.
   * src/worker/prestart.ts): taken before `start` is called, while it gives one.
   */
  prestarted?: () => { client: AnalysisClient; ready: Promise<void> } | undefined;
  /** Threads of each worker's kernels (default 1). */
  kernelThreads?: number;
  /**
   * The bundle the workers open themselves, for "whole" steps: the object the runner is given
   * (compared by identity) and the task that opens the same files in a worker (e.g.
   * `{task: "bundle.open", args: {path}}`, Node).
   */
  bundle?: { value?: AnalysisBundle; open: { task: string; args: Record<string, unknown> } };
  /**
   * Record the workers' steps (and each worker's start) in this trace: each step's value comes
   * back with the worker's events, tagged "worker N".
   */
  trace?: StepTrace;
}

interface Member {
  /** 1, 2, … in the order started (the trace's "worker N"). */
  index: number;
  client: AnalysisClient;
  ready: Promise<void>;
  /** The pool's bundle opened in this worker, once a "whole" step asked for it. */
  opened: Promise<void> | null;
  busy: number;
}

export interface WorkerStepPool extends StepPool {
  readonly size: number;
  /** Workers started so far. */
  readonly started: number;
  /**
   * Start every worker now (and have each open the pool's bundle, if it has one), instead of
   * on first use: their start then overlaps whatever the caller does next.
   */
  warm(): void;
  /** The bundle object the workers' copies stand for (`holds`), once the caller has opened it. */
  adopt(bundle: AnalysisBundle): void;
  terminate(): void;
}

export function createStepPool(options: StepPoolOptions): WorkerStepPool {
  if (!Number.isInteger(options.size) || options.size < 1) {
    throw new HiddenAtlasError(
      "E_PARAM",
      `invalid pool size: ${options.size} (expected an integer ≥ 1)`,
      { parameter: "threads" },
    );
  }
  const members: Member[] = [];
  let stopped = false;
  let held = options.bundle?.value;

  const startMember = (): Member => {
    const early = options.prestarted?.();
    let client: AnalysisClient;
    let ready: Promise<void>;
    if (early) {
      ({ client, ready } = early);
    } else {
      const started = options.trace?.clock.now();
      client = options.start();
      ready = client
        .run("worker.threads", { threads: options.kernelThreads ?? 1, started })
        .then(() => {});
      ready.catch(() => {}); // reported to the run that waits for it
    }
    const member: Member = { index: members.length + 1, client, ready, opened: null, busy: 0 };
    members.push(member);
    return member;
  };

  /** Steps waiting for a free worker: the costliest first, then first come first served. */
  const waiting: {
    cost: number;
    order: number;
    take(member: Member): void;
    cancel(error: Error): void;
  }[] = [];
  let asked = 0;
  let dispatching = false;

  const freeMember = (): Member | undefined =>
    members.find((m) => m.busy === 0) ??
    (members.length < options.size && !stopped ? startMember() : undefined);

  /** Hand waiting steps to free workers, costliest first. */
  const dispatch = () => {
    dispatching = false;
    if (stopped) return;
    waiting.sort((a, b) => b.cost - a.cost || a.order - b.order);
    while (waiting.length > 0) {
      const member = freeMember();
      if (!member) return;
      waiting.shift()!.take(member);
    }
  };

  /**
   * A free worker for one step: an idle one (the first), a new one while there is room, or the
   * next to finish its step. One step at a time per worker, so a long step does not hold up
   * shorter ones queued behind it in the same worker while another worker idles: the steps'
   * costs differ (a layer's size), and handing them out as workers free up balances them. A
   * step that finds a worker free and no step waiting takes it at once; the others wait, and
   * the choice among them is made once the steps asked for in the same turn of the event loop
   * are all waiting.
   */
  const acquire = (signal: AbortSignal | undefined, cost: number): Promise<Member> =>
    new Promise<Member>((resolve, reject) => {
      const idle = waiting.length === 0 ? freeMember() : undefined;
      if (idle) {
        idle.busy++;
        resolve(idle);
        return;
      }
      const onAbort = () => {
        const i = waiting.indexOf(entry);
        if (i >= 0) waiting.splice(i, 1);
        reject(new HiddenAtlasError("E_CANCELLED", "the computation was cancelled"));
      };
      const entry = {
        cost,
        order: asked++,
        take: (member: Member) => {
          signal?.removeEventListener("abort", onAbort);
          member.busy++;
          resolve(member);
        },
        cancel: (error: Error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(error);
        },
      };
      waiting.push(entry);
      signal?.addEventListener("abort", onAbort, { once: true });
      if (!dispatching) {
        dispatching = true;
        // After the steps that become ready together (their needs resolve over a few promise
        // turns) have all asked: then the costliest goes first.
        setTimeout(dispatch, 0);
      }
    });

  const release = (member: Member) => {
    member.busy--;
    if (member.busy === 0 && !stopped) dispatch();
  };

  /** Have `member` open the pool's bundle, once. */
  const openIn = (member: Member): Promise<void> => {
    const open = options.bundle!.open;
    member.opened ??= member.client
      .run(open.task, { ...open.args, key: POOL_BUNDLE_KEY })
      .then(() => {});
    return member.opened;
  };

  return {
    get size() {
      return options.size;
    },
    get started() {
      return members.length;
    },
    holds(bundle: AnalysisBundle): boolean {
      return options.bundle !== undefined && held === bundle;
    },
    adopt(bundle: AnalysisBundle): void {
      held = bundle;
    },
    warm(): void {
      while (!stopped && members.length < options.size) {
        const member = startMember();
        // A failure is reported to the step that waits for it.
        if (options.bundle) openIn(member).catch(() => {});
      }
    },
    async run(request: RemoteStep, run: RunOptions): Promise<unknown> {
      if (stopped) throw new HiddenAtlasError("E_CANCELLED", "the worker pool was stopped");
      if (run.signal?.aborted)
        throw new HiddenAtlasError("E_CANCELLED", "the computation was cancelled");
      const member = await acquire(run.signal, request.cost ?? 0);
      try {
        await member.ready;
        if (!request.needs) {
          if (!options.bundle)
            throw new HiddenAtlasError(
              "E_PARAM",
              `${request.analysis}.${request.step}: the pool holds no bundle for a step without its needs' values`,
            );
          await openIn(member);
        }
        const sent = options.trace ? { ...request, trace: true } : request;
        const args = request.needs ? sent : { ...sent, bundle: POOL_BUNDLE_KEY };
        const value = await member.client.run("step.remote", args, {
          signal: run.signal,
          onProgress: run.onProgress,
        });
        if (!options.trace) return value;
        const traced = value as { value: unknown; trace: TraceEvent[] };
        for (const event of traced.trace)
          options.trace.events.push({ ...event, thread: `worker ${member.index}` });
        return traced.value;
      } finally {
        release(member);
      }
    },
    terminate(): void {
      stopped = true;
      for (const w of waiting.splice(0))
        w.cancel(new HiddenAtlasError("E_CANCELLED", "the worker pool was stopped"));
      for (const m of members) m.client.terminate();
      members.length = 0;
    },
  };
}
