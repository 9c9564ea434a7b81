/**
 * A step trace: for every step a runner computes, where it ran (the main thread or a pool
 * worker), when it started and ended (wall clock, milliseconds since the epoch, comparable
 * across the threads of one process) and the CPU time of its thread meanwhile, with the steps
 * it needed — enough to rebuild the run's dependency graph and ask how long it would take on
 * P cores from CPU times alone, whatever else loads the machine (bench/threads-reports.ts does,
 * from `hidden-atlas report --trace FILE.json`).
 *
 * The clock is the platform's: in Node the thread's own CPU time (src/worker/trace-clock.ts);
 * without one the trace is not recorded. Steps that overlap on one thread (a main-thread step
 * awaiting a worker while another runs) share that thread's CPU time between them: the CPU of
 * an event is its thread's CPU between its start and end.
 */
import type { StepArgs } from "./descriptor.ts";

/** The clock of one thread. */
export interface TraceClock {
  /** Wall clock, milliseconds since the epoch (fractional). */
  now(): number;
  /** CPU time of this thread so far, milliseconds. */
  cpu(): number;
  /** This thread's id in the system, if the platform tells it. */
  tid?(): number | null;
}

export interface TraceEvent {
  /** `analysis.step`, or a phase such as `main.start`, `worker.start`, `bundle.open`. */
  step: string;
  args?: StepArgs;
  /** Identity of the step and its args (`stepIdentity`); needs refer to these. */
  id: string;
  /** Ids of the steps it needed (values it waited for before it started). */
  needs: string[];
  /** "main" or "worker N". */
  thread: string;
  start: number;
  end: number;
  /** CPU time of its thread from start to end, milliseconds. */
  cpu: number;
  /** The step's cost estimate that ordered it in the pool's queue, if it had one. */
  cost?: number;
  /** The thread's id in the system (a thread's start event, where the platform tells it). */
  tid?: number;
  /**
   * A worker's start that began before the main thread's modules had loaded (the command line
   * started it from its raw arguments): it does not wait for `main.start`.
   */
  ahead?: true;
}

/** The cache identity of a step and its args (argument order does not matter). */
export function stepIdentity(step: string, args: StepArgs): string {
  return JSON.stringify([
    step,
    Object.keys(args)
      .sort()
      .map((k) => [k, args[k]]),
  ]);
}

/** The events of one thread, or of a whole run once the workers' are added. */
export class StepTrace {
  readonly events: TraceEvent[] = [];
  constructor(
    readonly clock: TraceClock,
    readonly thread = "main",
  ) {}

  /** Start timing; the returned function records the event when the work ends. */
  begin(
    step: string,
    args: StepArgs | undefined,
    needs: string[],
    cost?: number,
  ): () => TraceEvent {
    const start = this.clock.now();
    const cpu = this.clock.cpu();
    return () => {
      const event: TraceEvent = {
        step,
        ...(args ? { args } : {}),
        id: stepIdentity(step, args ?? {}),
        needs,
        thread: this.thread,
        start,
        end: this.clock.now(),
        cpu: this.clock.cpu() - cpu,
        ...(cost !== undefined ? { cost } : {}),
      };
      this.events.push(event);
      return event;
    };
  }

  /** Record a phase already over (e.g. a thread's start, timed from its birth). */
  record(event: Omit<TraceEvent, "thread" | "id"> & { id?: string; thread?: string }): void {
    this.events.push({
      ...event,
      id: event.id ?? stepIdentity(event.step, event.args ?? {}),
      thread: event.thread ?? this.thread,
    });
  }

  /** Take the events recorded so far (a worker sends them with a step's value). */
  drain(): TraceEvent[] {
    return this.events.splice(0);
  }
}

/** What a trace says about the run's parallelism, from CPU times alone (`traceModel`). */
export interface TraceModel {
  /** CPU time of every event, summed (ms). */
  work: number;
  /** The longest chain of events, each waiting for the one before (ms of CPU), and its steps. */
  criticalPath: number;
  path: TraceEvent[];
  /** Makespan of a list schedule on `cores` cores: each event as soon as a core and its inputs are free, the longest remaining chain first (ms). */
  makespan: number;
  /** max(criticalPath, work / cores): no schedule on `cores` cores is shorter (ms). */
  lowerBound: number;
}

/**
 * The dependency graph of a traced run and its ideal time on `cores` cores, from each event's
 * CPU time. An event waits for the events it needed (by id) and, implicitly, for its thread's
 * start and bundle (`main.start` → the main thread's `bundle.open` → its steps; `main.start` →
 * `worker.start` (unless started `ahead`) → that worker's `bundle.open` → its steps). Events of one thread are otherwise free to run on
 * any core: the makespan is what a perfect pool would reach with this work, the critical path
 * what no number of cores can beat. Times of the same run under any load give the same model.
 */
export function traceModel(events: readonly TraceEvent[], cores: number): TraceModel {
  const n = events.length;
  const byId = new Map<string, number[]>();
  events.forEach((e, i) => byId.set(e.id, [...(byId.get(e.id) ?? []), i]));
  const phase = (thread: string, step: string) =>
    events.findIndex((e) => e.thread === thread && e.step === step);
  const preds: number[][] = events.map((e, i) => {
    const own = new Set<number>();
    for (const need of e.needs) {
      // The same id on several threads (a layer read in two workers): the one on this thread,
      // else the earliest to end.
      const candidates = (byId.get(need) ?? []).filter((j) => j !== i);
      const same = candidates.find((j) => events[j].thread === e.thread);
      const first = candidates.sort((a, b) => events[a].end - events[b].end)[0];
      const j = same ?? first;
      if (j !== undefined) own.add(j);
    }
    const start = phase(e.thread, e.thread === "main" ? "main.start" : "worker.start");
    const open = phase(e.thread, "bundle.open");
    const mainStart = phase("main", "main.start");
    // The main thread starts the workers once its modules are loaded, unless the command line
    // started them ahead, while it loaded them.
    if (e.step === "worker.start") {
      if (mainStart >= 0 && !e.ahead) own.add(mainStart);
    } else if (e.step === "bundle.open" && start >= 0 && start !== i) own.add(start);
    else if (e.step !== "main.start" && e.step !== "worker.start" && e.step !== "bundle.open") {
      if (open >= 0 && events[open].end <= e.start) own.add(open);
      else if (start >= 0) own.add(start);
    }
    return [...own];
  });
  // A topological order (dependencies first; among the ready, the earliest to end).
  const succs: number[][] = events.map(() => []);
  preds.forEach((ps, i) => ps.forEach((j) => succs[j].push(i)));
  const order: number[] = [];
  {
    const left = preds.map((ps) => ps.length);
    const ready = events.map((_, i) => i).filter((i) => left[i] === 0);
    while (ready.length > 0) {
      ready.sort((a, b) => events[a].end - events[b].end || a - b);
      const i = ready.shift()!;
      order.push(i);
      for (const k of succs[i]) if (--left[k] === 0) ready.push(k);
    }
    // A cycle (a trace that contradicts itself): its events are left out of the model.
  }
  const finish = new Float64Array(n);
  const via = new Int32Array(n).fill(-1);
  for (const i of order) {
    let ready = 0;
    for (const j of preds[i])
      if (finish[j] > ready) {
        ready = finish[j];
        via[i] = j;
      }
    finish[i] = ready + events[i].cpu;
  }
  let last = -1;
  for (let i = 0; i < n; i++) if (last < 0 || finish[i] > finish[last]) last = i;
  const path: TraceEvent[] = [];
  for (let i = last; i >= 0; i = via[i]) path.unshift(events[i]);
  const criticalPath = last >= 0 ? finish[last] : 0;
  const work = events.reduce((s, e) => s + e.cpu, 0);

  // Priority: the longest chain from an event to the end (its own CPU included).
  const tail = new Float64Array(n);
  for (const i of [...order].reverse()) {
    let longest = 0;
    for (const k of succs[i]) longest = Math.max(longest, tail[k]);
    tail[i] = events[i].cpu + longest;
  }
  // The list schedule: at each moment, free cores take the ready events with the longest tails.
  const waitingFor = preds.map((ps) => ps.length);
  const readyAt = new Float64Array(n);
  let ready = events.map((_, i) => i).filter((i) => waitingFor[i] === 0);
  const coreFree = new Float64Array(Math.max(1, cores));
  const running: { i: number; end: number }[] = [];
  let now = 0;
  let makespan = 0;
  let scheduled = 0;
  while (scheduled < n) {
    ready.sort((a, b) => tail[b] - tail[a] || a - b);
    const startable = ready.filter((i) => readyAt[i] <= now);
    for (const i of startable) {
      const core = coreFree.findIndex((t) => t <= now);
      if (core < 0) break;
      const end = now + events[i].cpu;
      coreFree[core] = end;
      running.push({ i, end });
      ready = ready.filter((r) => r !== i);
      scheduled++;
    }
    // Advance to the next moment something ends or becomes ready.
    const next = Math.min(
      ...running.map((r) => r.end),
      ...ready.map((i) => (readyAt[i] > now ? readyAt[i] : Infinity)),
    );
    if (!Number.isFinite(next)) break;
    now = next;
    for (const r of running.filter((r) => r.end <= now)) {
      running.splice(running.indexOf(r), 1);
      makespan = Math.max(makespan, r.end);
      for (const k of succs[r.i]) {
        readyAt[k] = Math.max(readyAt[k], r.end);
        if (--waitingFor[k] === 0) ready.push(k);
      }
    }
  }
  for (const r of running) makespan = Math.max(makespan, r.end);
  return {
    work,
    criticalPath,
    path,
    makespan,
    lowerBound: Math.max(criticalPath, work / Math.max(1, cores)),
  };
}
