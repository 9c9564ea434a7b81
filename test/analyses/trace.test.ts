// The step trace's model: the critical path, the list schedule on P cores and its lower bound,
// on a run small enough to schedule by hand.
import { describe, expect, it } from "vitest";
import { StepTrace, stepIdentity, traceModel, type TraceEvent } from "../../src/analyses/trace.ts";

const id = (step: string) => stepIdentity(step, {});
const event = (
  thread: string,
  step: string,
  cpu: number,
  needs: string[],
  start: number,
): TraceEvent => ({
  step,
  id: id(step),
  needs: needs.map(id),
  thread,
  start,
  end: start + cpu,
  cpu,
});

/**
 * main: start 100, bundle.open 50; worker 1: start 10, a 300; worker 2: start 10, b 200, then
 * c 100 (needs a and b); main: result 5 (needs c). Wall times as they might have been recorded.
 */
const run = [
  event("main", "main.start", 100, [], 0),
  event("main", "bundle.open", 50, ["main.start"], 100),
  event("worker 1", "worker.start", 10, [], 0),
  event("worker 2", "worker.start", 10, [], 0),
  event("worker 1", "a", 300, [], 160),
  event("worker 2", "b", 200, [], 160),
  event("worker 2", "c", 100, ["a", "b"], 460),
  event("main", "result", 5, ["c"], 560),
];

describe("traceModel", () => {
  it("finds the critical path through needs and each thread's start", () => {
    const m = traceModel(run, 2);
    expect(m.work).toBe(775);
    // main's start → worker 1's start → a → c → result: 100 + 10 + 300 + 100 + 5.
    expect(m.criticalPath).toBe(515);
    expect(m.path.map((e) => e.step)).toEqual(["main.start", "worker.start", "a", "c", "result"]);
  });

  it("a worker started ahead (while main's modules loaded) does not wait for main.start", () => {
    const ahead = run.map((e) => (e.step === "worker.start" ? { ...e, ahead: true as const } : e));
    const m = traceModel(ahead, 2);
    // worker 1's start → a → c → result: 10 + 300 + 100 + 5; main's start is off the path.
    expect(m.criticalPath).toBe(415);
    expect(m.path.map((e) => e.step)).toEqual(["worker.start", "a", "c", "result"]);
    expect(traceModel(ahead, 2).makespan).toBe(415);
  });

  it("schedules the work on P cores, longest remaining chain first", () => {
    // 2 cores: main.start (0–100), the workers' starts (100–110), a and b (110–410,
    // 110–310), bundle.open (310–360), c (410–510), result (510–515).
    expect(traceModel(run, 2).makespan).toBe(515);
    expect(traceModel(run, 2).lowerBound).toBe(515);
    expect(traceModel(run, 1).makespan).toBe(775);
    expect(traceModel(run, 1).lowerBound).toBe(775);
    expect(traceModel(run, 4).makespan).toBe(515);
  });

  it("on 2 cores, two independent halves take the longer half; a chain takes its sum", () => {
    const halves = [event("worker 1", "x", 70, [], 0), event("worker 2", "y", 30, [], 0)];
    expect(traceModel(halves, 2)).toMatchObject({ makespan: 70, criticalPath: 70, work: 100 });
    const four = ["p", "q", "r", "s"].map((s, i) => event("main", s, [40, 30, 20, 10][i], [], 0));
    // Longest first: 40 | 30, then 20 on the core free at 30, 10 on the one free at 40.
    expect(traceModel(four, 2).makespan).toBe(50);
    const chain = [event("main", "u", 40, [], 0), event("main", "v", 60, ["u"], 40)];
    expect(traceModel(chain, 2)).toMatchObject({ makespan: 100, criticalPath: 100 });
  });
});

describe("StepTrace", () => {
  it("times a step with its thread's clock and drains what it recorded", () => {
    let wall = 1000;
    let cpu = 5;
    const trace = new StepTrace({ now: () => wall, cpu: () => cpu }, "worker");
    const done = trace.begin("layer-topology.diagrams", { layer: "fc1" }, [id("x")], 150);
    wall += 40;
    cpu += 25;
    const e = done();
    expect(e).toEqual({
      step: "layer-topology.diagrams",
      args: { layer: "fc1" },
      id: stepIdentity("layer-topology.diagrams", { layer: "fc1" }),
      needs: [id("x")],
      thread: "worker",
      start: 1000,
      end: 1040,
      cpu: 25,
      cost: 150,
    });
    expect(trace.drain()).toEqual([e]);
    expect(trace.events).toEqual([]);
  });
});
