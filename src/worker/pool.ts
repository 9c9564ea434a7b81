/**
 * A pool of analysis workers for the steps marked `parallel` (src/analyses/descriptor.ts): the
 * runner sends each such step to a free worker (steps wait, first come first served, while every
 * worker has one), so independent steps — every layer's
 * persistence diagrams, every layer's Mapper graph, every MDA panel — run side by side, each
 * worker with its own core. Results do not depend on which worker ran a step (each step is
 * deterministic), only the wall time does.
 *
 * Workers start on first use. Each first sets its kernels to `kernelThreads` threads (1 by
 * default: the workers are the parallelism). When the pool holds a bundle, a worker opens it
 * itself from the same files — headers only, layers read as steps ask — before the first "whole"
 * step it is sent (those compute their needs there); a worker that only runs "needs" steps
 * never opens it. Progress of a remote step reaches the runner as the step's own; cancelling
 * the run cancels the remote step.
 */
import type { AnalysisBundle } from "../analyses/columns.ts";
import type { RemoteStep, StepPool } from "../analyses/runner.ts";
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
  /** Threads of each worker's kernels (default 1). */
  kernelThreads?: number;
  /**
   * The bundle the workers open themselves, for "whole" steps: the object the runner is given
   * (compared by identity) and the task that opens the same files in a worker (e.g.
   * `{task: "bundle.open", args: {path}}`, Node).
   */
  bundle?: { value: AnalysisBundle; open: { task: string; args: Record<string, unknown> } };
}

interface Member {
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

  const startMember = (): Member => {
    const client = options.start();
    const ready = client
      .run("worker.threads", { threads: options.kernelThreads ?? 1 })
      .then(() => {});
    ready.catch(() => {}); // reported to the run that waits for it
    const member: Member = { client, ready, opened: null, busy: 0 };
    members.push(member);
    return member;
  };

  /** Steps waiting for a free worker, first come first served. */
  const waiting: { take(member: Member): void; cancel(error: Error): void }[] = [];

  /**
   * A free worker for one step: an idle one (the first), a new one while there is room, or the
   * next to finish its step. One step at a time per worker, so a long step does not hold up
   * shorter ones queued behind it in the same worker while another worker idles: the steps'
   * costs differ (a layer's size), and handing them out as workers free up balances them.
   */
  const acquire = (signal: AbortSignal | undefined): Promise<Member> =>
    new Promise<Member>((resolve, reject) => {
      const idle =
        members.find((m) => m.busy === 0) ??
        (members.length < options.size ? startMember() : undefined);
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
    });

  const release = (member: Member) => {
    member.busy--;
    if (member.busy === 0 && !stopped) waiting.shift()?.take(member);
  };

  return {
    get size() {
      return options.size;
    },
    get started() {
      return members.length;
    },
    holds(bundle: AnalysisBundle): boolean {
      return options.bundle !== undefined && options.bundle.value === bundle;
    },
    async run(request: RemoteStep, run: RunOptions): Promise<unknown> {
      if (stopped) throw new HiddenAtlasError("E_CANCELLED", "the worker pool was stopped");
      if (run.signal?.aborted)
        throw new HiddenAtlasError("E_CANCELLED", "the computation was cancelled");
      const member = await acquire(run.signal);
      try {
        await member.ready;
        if (!request.needs) {
          if (!options.bundle)
            throw new HiddenAtlasError(
              "E_PARAM",
              `${request.analysis}.${request.step}: the pool holds no bundle for a step without its needs' values`,
            );
          const open = options.bundle.open;
          member.opened ??= member.client
            .run(open.task, { ...open.args, key: POOL_BUNDLE_KEY })
            .then(() => {});
          await member.opened;
        }
        const args = request.needs ? request : { ...request, bundle: POOL_BUNDLE_KEY };
        return await member.client.run("step.remote", args, {
          signal: run.signal,
          onProgress: run.onProgress,
        });
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
