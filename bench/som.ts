/**
 * SOM: the digits scaled to [0, 1], a 20 × 20 grid, 10 epochs — ours (batch map) against ml-som
 * (npm; online, its defaults with a seeded randomizer) in the same run, with both maps' QE
 * measured the same way (mean Euclidean distance to the BMU, computed here).
 */
import SOM from "ml-som";
import { som, somProject, gridCoordinates } from "../src/algo/som.ts";
import { loadDigits } from "../src/examples/node.ts";
import { scaledPixels } from "../src/examples/datasets.ts";
import { mulberry32 } from "../test/helpers.ts";
import { time, timeOnThreads, type Benchmark } from "./harness.ts";

export const somBenchmark: Benchmark = {
  name: "som",
  description: "SOM 20 × 20, 10 epochs on the digits in [0, 1] vs ml-som",
  async run() {
    const digits = await loadDigits();
    const X = { rows: 1797, cols: 64, data: scaledPixels(digits) };
    let ours: Awaited<ReturnType<typeof som>> | undefined;
    const { one: oursMs, all: oursAll } = await timeOnThreads(async () => {
      ours = await som(X, { rows: 20, cols: 20, epochs: 10 });
    });
    const rows = Array.from({ length: X.rows }, (_, i) =>
      Array.from(X.data.subarray(i * 64, (i + 1) * 64)),
    );
    let theirs: InstanceType<typeof SOM> | undefined;
    const theirMs = await time(() => {
      theirs = new SOM(20, 20, {
        fields: 64,
        iterations: 10,
        randomizer: mulberry32(1),
        torus: false,
      });
      theirs.train(rows);
    }, 1);
    // ml-som's nodes, in our row-major order, for an equal QE measurement.
    const nodes = theirs!.getConvertedNodes() as number[][][];
    const weights = new Float32Array(400 * 64);
    for (let r = 0; r < 20; r++)
      for (let c = 0; c < 20; c++) weights.set(nodes[r][c], (r * 20 + c) * 64);
    const theirQe = (
      await somProject(
        {
          rows: 20,
          cols: 20,
          topology: "rect",
          coords: gridCoordinates(20, 20, "rect"),
          weights: { rows: 400, cols: 64, data: weights },
        },
        X,
      )
    ).quantizationError;
    return [
      {
        benchmark: "som",
        case: "digits in [0,1], 20 × 20, 10 epochs",
        ours: oursMs,
        oursAll,
        anchor: "ml-som 0.0.6 (online)",
        anchorMs: theirMs,
        note: `QE ours ${ours!.quantizationError.toFixed(3)} vs ml-som ${theirQe.toFixed(3)}; TE(8) ours ${ours!.topographicError.rect8.toFixed(3)}`,
      },
    ];
  },
};
