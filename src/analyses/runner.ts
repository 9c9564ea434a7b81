/**
 * Runs an analysis' named steps with a cache keyed by what each step declares it depends on,
 * and one progress for the whole run.
 *
 * - A step's key is its name, its args, the values of the parameters it `uses`, and the keys
 *   of the steps it `needs`: moving a slider recomputes exactly the steps that depend on it.
 * - A computation in flight is shared by every run that needs it. Cancelling one run only
 *   detaches that run; the computation is aborted when no run waits for it any more, and a
 *   cancelled or failed computation is never cached — cancellation cannot poison the cache.
 * - A result in use by a running step is pinned; evicted results are disposed (`dispose()`),
 *   which frees the wasm memory of, e.g., a kNN index.
 * - Progress: the run's plan is the closure of the requested step's needs; steps already cached
 *   count as done, the others by their declared weight, so the bar moves once from 0 to 1 with
 *   the step's plain-words label as its stage.
 *
 * The CLI and reports use one runner in-process; the notebook worker keeps one per worker.
 */
import { HiddenAtlasError } from "../core/errors.ts";
import type { ProgressEvent, RunOptions } from "../core/progress.ts";
import type { AnalysisBundle } from "./columns.ts";
import { stepIdentity, type StepTrace } from "./trace.ts";
import {
  resolveParams,
  type AnalysisDescriptor,
  type ParamTable,
  type Resolved,
  type StepArgs,
} from "./descriptor.ts";

/** Resolution of the run's progress events (done out of this total). */
const PROGRESS_TOTAL = 1000;
/** A step's internal stages never move it past this before it finishes. */
const STEP_FRACTION_CAP = 0.99;
const DEFAULT_KEEP = 4;

type Listener = (key: string, fraction: number) => void;

interface Entry {
  key: string;
  /** Step id (analysis.step) for its least-recently-used list. */
  step: string;
  promise: Promise<unknown>;
  controller: AbortController;
  /** Runs waiting for this computation (in flight only). */
  waiters: number;
  done: boolean;
  value?: unknown;
  /** Steps currently using this result. */
  pins: number;
}

const cancelled = () => new HiddenAtlasError("E_CANCELLED", "the computation was cancelled");

function dispose(value: unknown): void {
  const d = (value as { dispose?: () => void } | null)?.dispose;
  if (typeof d === "function") d.call(value);
}

/**
 * The callbacks waiting on each signal, behind one "abort" listener per signal: a step that
 * needs one result per layer waits on its signal once per layer, and Node warns (a possible
 * leak) past ten listeners on one EventTarget.
 */
const abortWaiters = new WeakMap<AbortSignal, Set<() => void>>();

/** Call `callback` once when `signal` aborts; the returned function stops waiting. */
function onAbortOf(signal: AbortSignal, callback: () => void): () => void {
  let waiters = abortWaiters.get(signal);
  if (!waiters) {
    const set = new Set<() => void>();
    abortWaiters.set(signal, (waiters = set));
    signal.addEventListener(
      "abort",
      () => {
        abortWaiters.delete(signal);
        for (const waiter of set) waiter();
      },
      { once: true },
    );
  }
  waiters.add(callback);
  return () => waiters.delete(callback);
}

/** Resolve when `promise` does, reject with E_CANCELLED as soon as `signal` aborts. */
function raceAbort<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  onAbort: () => void,
): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => {}); // its failure, if any, is no longer anyone's
    onAbort();
    return Promise.reject(cancelled());
  }
  return new Promise<T>((resolve, reject) => {
    const stopWaiting = onAbortOf(signal, () => {
      promise.catch(() => {});
      onAbort();
      reject(cancelled());
    });
    promise.then(
      (v) => {
        stopWaiting();
        resolve(v);
      },
      (e) => {
        stopWaiting();
        reject(e);
      },
    );
  });
}

/** A step sent to a pool worker (see `StepSpec.parallel`). */
export interface RemoteStep {
  analysis: string;
  step: string;
  /** The resolved parameters. */
  params: Record<string, unknown>;
  args: StepArgs;
  /** "needs" steps: the values of the step's declared needs, as [step, args, value]. */
  needs?: [string, StepArgs, unknown][];
  /**
   * The step's cost estimate (`StepSpec.cost`): a pool hands the costliest waiting step out
   * first (longest processing time first), so the largest layer does not start last.
   */
  cost?: number;
  /** Send the worker's step trace back with the value (see src/analyses/trace.ts). */
  trace?: boolean;
}

/** Workers that run steps marked `parallel` (src/worker/pool.ts). */
export interface StepPool {
  /** Run a step in a worker; progress and cancellation as for any step. */
  run(request: RemoteStep, options: RunOptions): Promise<unknown>;
  /** Whether the workers hold `bundle` (opened from the same files), so "whole" steps can run there. */
  holds(bundle: AnalysisBundle): boolean;
}

export interface RunnerOptions {
  /** Bundles that multi-bundle studies name by key (the worker's kept values); none by default. */
  others?: (key: string) => AnalysisBundle;
  /**
   * Workers for the steps marked `parallel`: independent steps (every layer's diagrams, every
   * layer's Mapper graph) then run side by side, each in one worker; none by default.
   */
  pool?: StepPool;
  /** Record every step computed here (thread, start, end, CPU time) in this trace. */
  trace?: StepTrace;
}

const noOthers = (key: string): AnalysisBundle => {
  throw new HiddenAtlasError("E_PARAM", `no bundle is kept under ${JSON.stringify(key)}`);
};

export class AnalysisRunner {
  private readonly others: (key: string) => AnalysisBundle;
  private readonly pool: StepPool | null;
  /** Where the steps computed here are recorded (none by default). */
  trace: StepTrace | null;
  constructor({ others = noOthers, pool, trace }: RunnerOptions = {}) {
    this.others = others;
    this.pool = pool ?? null;
    this.trace = trace ?? null;
  }

  private readonly entries = new Map<string, Entry>();
  /** Keys of finished results by step id, least recently used first. */
  private readonly recent = new Map<string, string[]>();
  private readonly listeners = new Map<string, Set<Listener>>();

  /**
   * The value of `step` (with `args`) for resolved `params`: from the cache, joined to a
   * computation in flight, or computed with its needs.
   */
  async run<T extends ParamTable, R = unknown>(
    descriptor: AnalysisDescriptor<T, unknown>,
    bundle: AnalysisBundle,
    bundleKey: string,
    step: string,
    params: Resolved<T>,
    args: StepArgs = {},
    options: RunOptions = {},
  ): Promise<R> {
    if (!Object.hasOwn(descriptor.steps, step)) {
      throw new HiddenAtlasError(
        "E_PARAM",
        `unknown step ${JSON.stringify(step)} of ${descriptor.name} (known: ${Object.keys(descriptor.steps).join(", ")})`,
      );
    }
    const keys = new Map<string, string>();
    const keyOf = (name: string, a: StepArgs): string => {
      const id = JSON.stringify([name, a]);
      let key = keys.get(id);
      if (key === undefined) {
        const spec = descriptor.steps[name];
        if (!spec) throw new Error(`${descriptor.name}: unknown step ${name}`);
        const needs = spec.needs?.(a, params, bundle) ?? [];
        const sortedArgs = Object.keys(a)
          .sort()
          .map((k) => [k, a[k]]);
        key = JSON.stringify([
          bundleKey,
          descriptor.name,
          name,
          sortedArgs,
          spec.uses.map((u) => params[u]),
          needs.map(([s, sa]) => keyOf(s, sa)),
        ]);
        keys.set(id, key);
      }
      return key;
    };

    // The plan: every step the request needs, with its weight and label, once.
    const plan = new Map<string, { weight: number; label: string; fraction: number }>();
    const visit = (name: string, a: StepArgs) => {
      const key = keyOf(name, a);
      if (plan.has(key)) return;
      const spec = descriptor.steps[name];
      const cached = this.entries.get(key)?.done ?? false;
      const weight =
        typeof spec.weight === "function" ? spec.weight(a, params, bundle) : (spec.weight ?? 1);
      const where = spec.where
        ? spec.where(a, this.others)
        : Object.values(a)
            .filter((v) => typeof v === "string")
            .join(", ");
      plan.set(key, {
        weight: cached ? 0 : weight,
        label: where ? `${spec.label} (${where})` : spec.label,
        fraction: cached ? 1 : 0,
      });
      if (!cached) for (const [s, sa] of spec.needs?.(a, params, bundle) ?? []) visit(s, sa);
    };
    visit(step, args);
    const totalWeight = [...plan.values()].reduce((s, p) => s + p.weight, 0) || 1;
    let lastStage = "";
    const report = options.onProgress
      ? (key: string, fraction: number) => {
          const item = plan.get(key);
          if (!item) return;
          item.fraction = Math.max(item.fraction, fraction);
          if (fraction < 1) lastStage = item.label;
          const done =
            [...plan.values()].reduce((s, p) => s + p.weight * p.fraction, 0) / totalWeight;
          const event: ProgressEvent = {
            stage: lastStage || item.label,
            done: Math.round(done * PROGRESS_TOTAL),
            total: PROGRESS_TOTAL,
          };
          options.onProgress!(event);
        }
      : null;
    if (report) for (const key of plan.keys()) this.listen(key, report);
    try {
      return (await this.need(
        descriptor,
        bundle,
        params,
        step,
        args,
        keyOf,
        options.signal,
        null,
      )) as R;
    } finally {
      if (report) for (const key of plan.keys()) this.listeners.get(key)?.delete(report);
    }
  }

  private listen(key: string, listener: Listener): void {
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    set.add(listener);
  }

  private broadcast(key: string, fraction: number): void {
    for (const listener of this.listeners.get(key) ?? []) listener(key, fraction);
  }

  /** One step's value through the cache; `pinFor` collects entries used by a running step. */
  private need<T extends ParamTable>(
    descriptor: AnalysisDescriptor<T, unknown>,
    bundle: AnalysisBundle,
    params: Resolved<T>,
    name: string,
    args: StepArgs,
    keyOf: (name: string, args: StepArgs) => string,
    signal: AbortSignal | undefined,
    pinFor: Entry[] | null,
  ): Promise<unknown> {
    const key = keyOf(name, args);
    const id = `${descriptor.name}.${name}`;
    let entry = this.entries.get(key);
    if (entry?.done) {
      this.touch(id, key);
      if (pinFor) {
        entry.pins++;
        pinFor.push(entry);
      }
      return Promise.resolve(entry.value);
    }
    if (!entry) entry = this.start(descriptor, bundle, params, name, args, key, keyOf);
    const e = entry;
    e.waiters++;
    const joined = e.promise.then((value) => {
      if (pinFor) {
        e.pins++;
        pinFor.push(e);
      }
      return value;
    });
    return raceAbort(joined, signal, () => {
      e.waiters--;
      if (e.waiters === 0 && !e.done) {
        e.controller.abort();
        if (this.entries.get(key) === e) this.entries.delete(key);
      }
    }).finally(() => {
      if (!signal?.aborted) e.waiters = Math.max(0, e.waiters - 1);
    });
  }

  private start<T extends ParamTable>(
    descriptor: AnalysisDescriptor<T, unknown>,
    bundle: AnalysisBundle,
    params: Resolved<T>,
    name: string,
    args: StepArgs,
    key: string,
    keyOf: (name: string, args: StepArgs) => string,
  ): Entry {
    const spec = descriptor.steps[name];
    const controller = new AbortController();
    const pinned: Entry[] = [];
    const stages: string[] = [];
    const declaredStages = spec.stages ?? 1;
    const onProgress = (event: ProgressEvent) => {
      if (!stages.includes(event.stage)) stages.push(event.stage);
      const within = event.total > 0 ? event.done / event.total : 0;
      const fraction = Math.min(
        STEP_FRACTION_CAP,
        (stages.length - 1 + within) / Math.max(declaredStages, stages.length),
      );
      this.broadcast(key, fraction);
    };
    const entry: Entry = {
      key,
      step: `${descriptor.name}.${name}`,
      promise: Promise.resolve(),
      controller,
      waiters: 0,
      done: false,
      pins: 0,
    };
    entry.promise = (async () => {
      try {
        const need = (step: string, stepArgs: StepArgs = {}) =>
          this.need(
            descriptor,
            bundle,
            params,
            step,
            stepArgs,
            keyOf,
            controller.signal,
            pinned,
          ) as Promise<never>;
        const options = { signal: controller.signal, onProgress };
        const cost = spec.cost?.(args, params, bundle);
        const remote = {
          analysis: descriptor.name,
          step: name,
          params: params as Record<string, unknown>,
          args,
          ...(cost !== undefined ? { cost } : {}),
        };
        let value: unknown;
        if (this.pool && spec.parallel === "whole" && this.pool.holds(bundle)) {
          // The worker computes the needs too, from its own copy of the bundle.
          this.broadcast(key, 0);
          value = await this.pool.run(remote, options);
        } else {
          // The declared needs first (side by side), so that the bar names this step only once
          // it is the one working.
          const declared = spec.needs?.(args, params, bundle) ?? [];
          const values = await Promise.all(
            declared.map(([step, stepArgs]) => need(step, stepArgs)),
          );
          this.broadcast(key, 0);
          if (this.pool && spec.parallel === "needs") {
            value = await this.pool.run(
              {
                ...remote,
                needs: declared.map(([step, stepArgs], i) => [step, stepArgs, values[i]]),
              },
              options,
            );
          } else {
            // Traced here (a pooled step is traced by the worker that runs it).
            const traced = this.trace?.begin(
              `${descriptor.name}.${name}`,
              args,
              declared.map(([step, stepArgs]) =>
                stepIdentity(`${descriptor.name}.${step}`, stepArgs),
              ),
              cost,
            );
            value = await spec.run({ bundle, params, args, options, others: this.others, need });
            traced?.();
          }
        }
        if (controller.signal.aborted) {
          dispose(value);
          throw cancelled();
        }
        return value;
      } finally {
        for (const p of pinned) p.pins--;
      }
    })();
    entry.promise.then(
      (value) => {
        if (this.entries.get(key) !== entry) {
          dispose(value);
          return;
        }
        entry.done = true;
        entry.value = value;
        this.broadcast(key, 1);
        this.touch(entry.step, key);
        this.evict(entry.step, spec.keep ?? DEFAULT_KEEP);
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    this.entries.set(key, entry);
    return entry;
  }

  private touch(step: string, key: string): void {
    const list = this.recent.get(step) ?? [];
    const i = list.indexOf(key);
    if (i >= 0) list.splice(i, 1);
    list.push(key);
    this.recent.set(step, list);
  }

  private evict(step: string, keep: number): void {
    const list = this.recent.get(step) ?? [];
    for (let i = 0; list.length > keep && i < list.length;) {
      const entry = this.entries.get(list[i]);
      if (entry && entry.pins > 0) {
        i++;
        continue;
      }
      list.splice(i, 1);
      if (entry) {
        this.entries.delete(entry.key);
        dispose(entry.value);
      }
    }
  }

  /** Forget every result (disposing them); computations in flight finish uncached. */
  clear(): void {
    for (const entry of this.entries.values()) {
      if (entry.done) dispose(entry.value);
      else entry.controller.abort();
    }
    this.entries.clear();
    this.recent.clear();
  }

  /** Number of results held, for tests. */
  get size(): number {
    return [...this.entries.values()].filter((e) => e.done).length;
  }
}

/** An id per bundle object, so that one runner can hold results of several bundles. */
const bundleIds = new WeakMap<object, string>();
let nextBundleId = 1;
export function bundleKeyOf(bundle: AnalysisBundle): string {
  let id = bundleIds.get(bundle);
  if (!id) bundleIds.set(bundle, (id = `bundle-${nextBundleId++}`));
  return id;
}

/**
 * Run a "needs" step (see `StepSpec.parallel`) from the values of its needs: what a pool
 * worker does with a `RemoteStep`. The step has no bundle here; reading it is an E_PARAM error
 * that names the step (a step marked "needs" that should not be).
 */
export async function runStepFromNeeds(
  descriptor: AnalysisDescriptor<ParamTable, unknown>,
  request: RemoteStep,
  options: RunOptions = {},
): Promise<unknown> {
  const spec = Object.hasOwn(descriptor.steps, request.step)
    ? descriptor.steps[request.step]
    : undefined;
  if (!spec || spec.parallel !== "needs") {
    throw new HiddenAtlasError(
      "E_PARAM",
      `${descriptor.name}.${request.step} is not a step that runs from its needs' values`,
    );
  }
  const given = new Map(
    (request.needs ?? []).map(([step, args, value]) => [stepIdentity(step, args), value]),
  );
  const where = `${descriptor.name}.${request.step} runs in a pool worker from its needs' values`;
  const bundle = new Proxy({} as AnalysisBundle, {
    get(_target, property) {
      throw new HiddenAtlasError(
        "E_PARAM",
        `${where} and has no bundle (it read ${String(property)})`,
      );
    },
  });
  return spec.run({
    bundle,
    params: request.params as Resolved<ParamTable>,
    args: request.args,
    options,
    others: () => {
      throw new HiddenAtlasError("E_PARAM", `${where} and has no other bundles`);
    },
    need: async <R>(step: string, args: StepArgs = {}) => {
      const id = stepIdentity(step, args);
      if (!given.has(id))
        throw new HiddenAtlasError(
          "E_PARAM",
          `${where}, which were not given ${step} ${JSON.stringify(args)} (declare it in needs)`,
        );
      return given.get(id) as R;
    },
  });
}

/**
 * An analysis from start to end, as a library call: check the parameters, run the result step
 * (in `runner`, or a fresh one whose results are disposed afterwards).
 */
export async function runAnalysis<T extends ParamTable, R>(
  descriptor: AnalysisDescriptor<T, R>,
  bundle: AnalysisBundle,
  given: Record<string, unknown>,
  options: RunOptions = {},
  runner?: AnalysisRunner,
): Promise<R> {
  const params = resolveParams(descriptor, bundle, given);
  const own = runner ?? new AnalysisRunner();
  try {
    return await own.run<T, R>(
      descriptor,
      bundle,
      bundleKeyOf(bundle),
      descriptor.result,
      params,
      {},
      options,
    );
  } finally {
    if (!runner) own.clear();
  }
}
