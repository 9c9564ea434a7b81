/**
 * Test-only page for the pointScatter view (built by test/e2e/scatter-page.ts, never part of the
 * site): `?n=100000&seed=42&renderer=auto` draws n seeded points in ten clusters and exposes
 * the element, the data and the time to the first painted frame on `window.scatterTest`.
 * `&view=svg` draws the same points with the Plot SVG embeddingScatter instead (the benchmark's
 * anchor). Every tooltip change is timed from the pointer event that caused it to the next frame
 * (`window.scatterTest.hoverMs`).
 */
import { pointScatter, type PointScatterElement } from "../../../src/views/point-scatter.ts";
import { embeddingScatter } from "../../../src/views/scatter.ts";

const params = new URLSearchParams(location.search);
const n = Number(params.get("n") ?? 100_000);
const seed = Number(params.get("seed") ?? 42);
const renderer = (params.get("renderer") ?? "auto") as "auto" | "webgl" | "raster";
const svg = params.get("view") === "svg";

/** mulberry32, as test/helpers.ts. */
function random32(s: number): () => number {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = random32(seed);
const x = new Float32Array(n);
const y = new Float32Array(n);
const values = new Float64Array(n);
for (let i = 0; i < n; i++) {
  const c = i % 10;
  const a = (c / 10) * 2 * Math.PI;
  const g = Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const h = Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  x[i] = 30 * Math.cos(a) + 6 * g;
  y[i] = 30 * Math.sin(a) + 6 * h;
  values[i] = c;
}
const classNames = [
  "T-shirt",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
];

const start = performance.now();
const scatter = (svg ? embeddingScatter : pointScatter)(
  { x, y },
  {
    interactive: true,
    renderer,
    width: 800,
    height: 600,
    color: { title: "class", type: "categorical", values, classNames },
    xLabel: "UMAP 1 (no unit) →",
    yLabel: "↑ UMAP 2 (no unit)",
    title: `${n.toLocaleString("en-US")} seeded points`,
    tooltip: (i) => ({ text: `sample #${i} · ${classNames[values[i]]}` }),
    exportName: "test-selection",
  },
) as PointScatterElement;
const constructMs = performance.now() - start;
document.getElementById("root")!.appendChild(scatter);
const events = { input: 0, selection: 0 };
scatter.addEventListener("input", () => events.input++);
scatter.addEventListener("selection", () => events.selection++);
// Hover latency: from the pointer event to the frame after the tooltip changed.
const hoverMs: number[] = [];
let pending: number | null = null;
window.addEventListener("pointermove", (event) => void (pending = event.timeStamp), {
  capture: true,
});
const tip = scatter.querySelector(".atlas-tooltip")!;
new MutationObserver(() => {
  if (pending === null) return;
  const t0 = pending;
  pending = null;
  requestAnimationFrame(() => hoverMs.push(performance.now() - t0));
}).observe(tip, { attributes: true, childList: true, subtree: true });
requestAnimationFrame(() =>
  requestAnimationFrame(() => {
    Object.assign(window, {
      scatterTest: {
        scatter,
        x,
        y,
        values,
        events,
        hoverMs,
        constructMs,
        firstDrawMs: performance.now() - start,
        pageMs: performance.now(),
      },
    });
  }),
);

declare global {
  interface Window {
    scatterTest: {
      scatter: PointScatterElement;
      x: Float32Array;
      y: Float32Array;
      values: Float64Array;
      events: typeof events;
      hoverMs: number[];
      constructMs: number;
      firstDrawMs: number;
      pageMs: number;
    };
  }
}
