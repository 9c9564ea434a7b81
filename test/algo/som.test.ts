import { describe, expect, it } from "vitest";
import {
  adjacent,
  fullUMatrix,
  gridCoordinates,
  gridNeighbors,
  hitMap,
  labelCounts,
  som,
  somProject,
  uMatrix,
} from "../../src/algo/som.ts";
import type { Matrix } from "../../src/core/matrix.ts";
import { pca } from "../../src/algo/pca.ts";
import { bytes, mulberry32, randomMatrix } from "../helpers.ts";

/** 5 × 5 Gaussian clusters (spread 0.1) on a plane embedded in 10-D: 20 points each. */
function gridClusters(seed = 1) {
  const r = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const n = 25 * 20;
  const d = 10;
  const data = new Float32Array(n * d);
  let spread = 0;
  for (let i = 0; i < n; i++) {
    const cluster = Math.floor(i / 20);
    const center = [Math.floor(cluster / 5), cluster % 5];
    let dist2 = 0;
    for (let k = 0; k < d; k++) {
      const noise = 0.1 * gauss();
      data[i * d + k] = (k < 2 ? center[k] : 0) + noise;
      dist2 += noise * noise;
    }
    spread += Math.sqrt(dist2);
  }
  return { X: { rows: n, cols: d, data } as Matrix, spread: spread / n };
}

describe("som", () => {
  it("on a 2-D grid of clusters: QE approaches the within-cluster spread and TE stays below 0.05", async () => {
    const { X, spread } = gridClusters();
    // The default 10 × 10 map: enough nodes that the final σ = 1 smoothing does not pull
    // prototypes between clusters (a 5 × 5 map at σ = 1 has QE ≈ 2 × spread).
    const map = await som(X, { epochs: 30 });
    expect(map.quantizationError).toBeLessThan(1.1 * spread);
    expect(map.topographicError.rect8).toBeLessThan(0.05);
    expect(map.qeHistory.train).toHaveLength(30);
    expect(map.qeHistory.train[29]).toBeLessThan(map.qeHistory.train[0]);
    // No node holds points of two clusters.
    const owner = new Map<number, number>();
    map.bmus.forEach((node, i) => {
      const cluster = Math.floor(i / 20);
      expect(owner.get(node) ?? cluster).toBe(cluster);
      owner.set(node, cluster);
    });
  });

  it("batch SOM is bit-identical for a seed; online SOM too, and differs with the seed", async () => {
    const X = randomMatrix(300, 6, 4);
    const a = await som(X, { epochs: 5, init: "random", seed: 3 });
    const b = await som(X, { epochs: 5, init: "random", seed: 3 });
    expect(Buffer.from(a.weights.data.buffer).equals(Buffer.from(b.weights.data.buffer))).toBe(
      true,
    );
    const o1 = await som(X, { mode: "online", epochs: 3, seed: 9 });
    const o2 = await som(X, { mode: "online", epochs: 3, seed: 9 });
    const o3 = await som(X, { mode: "online", epochs: 3, seed: 10 });
    expect(Array.from(o1.weights.data)).toEqual(Array.from(o2.weights.data));
    expect(Array.from(o1.weights.data)).not.toEqual(Array.from(o3.weights.data));
  });

  it("finds the same BMUs as a brute-force search, ties to the lower node", async () => {
    const X = randomMatrix(200, 13, 5);
    const map = await som(X, { rows: 4, cols: 6, epochs: 3 });
    const { bmus, distances } = await somProject(map, X);
    const w = map.weights;
    for (let i = 0; i < X.rows; i++) {
      let best = -1;
      let bestD = Infinity;
      for (let j = 0; j < w.rows; j++) {
        let s = 0;
        for (let k = 0; k < X.cols; k++)
          s += (X.data[i * X.cols + k] - w.data[j * w.cols + k]) ** 2;
        if (s < bestD - 1e-9) {
          bestD = s;
          best = j;
        }
      }
      expect(bmus[i]).toBe(best);
      expect(distances[i]).toBeCloseTo(Math.sqrt(bestD), 5);
    }
    // Two identical nodes: the lower index wins.
    const twin = {
      ...map,
      weights: { rows: 2, cols: 13, data: new Float32Array(26).fill(0.5) },
      rows: 1,
      cols: 2,
      coords: gridCoordinates(1, 2, "rect"),
    };
    expect(Array.from((await somProject(twin, X)).bmus).every((b) => b === 0)).toBe(true);
  });

  it("a bubble neighbourhood of σ ≤ 1 turns the batch update into k-means: nodes become the means of their samples", async () => {
    const X = { rows: 4, cols: 1, data: new Float32Array([0, 1, 10, 12]) };
    const map = await som(X, {
      rows: 1,
      cols: 2,
      neighborhood: "bubble",
      sigma: 1,
      sigmaEnd: 1,
      init: "random",
      epochs: 3,
      seed: 1,
    });
    const nodes = Array.from(map.weights.data).sort((a, b) => a - b);
    expect(nodes).toEqual([0.5, 11]);
  });

  it("tracks validation QE each epoch when given held-out samples", async () => {
    const { X } = gridClusters(2);
    const { X: V } = gridClusters(3);
    const map = await som(X, { rows: 5, cols: 5, epochs: 10, validation: V });
    expect(map.qeHistory.validation).toHaveLength(10);
    expect(map.qeHistory.validation[9]).toBeLessThan(map.qeHistory.validation[0]);
  });

  it("a node whose neighbourhood mass is subnormal gets the finite weighted mean, not ∞ (σ small on a long grid)", async () => {
    // 1 × 4 grid, winners at nodes 0 and 2; with σ = 0.0262, node 1's weight from node 0 is
    // exp(−1/(2σ²)) ≈ 5e−317, subnormal, and from node 2 alike: 1/mass overflows, mass/mass does not.
    const X: Matrix = { rows: 2, cols: 2, data: Float32Array.of(0.25, 0.5, 1, 1) };
    const map = await som(X, { rows: 1, cols: 4, sigma: 0.0262, epochs: 1 });
    expect(Array.from(map.bmus)).toEqual([0, 2]);
    const w = Array.from(map.weights.data);
    expect(w.every(Number.isFinite)).toBe(true);
    // Node 1 lies between the winners: a convex combination of the two samples.
    expect(w[2]).toBeGreaterThanOrEqual(0.25 - 1e-6);
    expect(w[2]).toBeLessThanOrEqual(1);
    expect(w[3] - 0.5).toBeCloseTo((w[2] - 0.25) * (0.5 / 0.75), 5);
    expect(w.slice(4)).toEqual([1, 1, 1, 1]);
  });

  it("a starting σ below 1 brings the default end σ down with it (sigmaEnd = min(1, sigma))", async () => {
    const X = randomMatrix(10, 2);
    const map = await som(X, { rows: 3, cols: 3, sigma: 0.5, epochs: 2 });
    expect(map.params).toMatchObject({ sigma: 0.5, sigmaEnd: 0.5 });
    expect((await som(X, { rows: 3, cols: 3, sigma: 2, epochs: 2 })).params).toMatchObject({
      sigma: 2,
      sigmaEnd: 1,
    });
  });

  it("a PCA handed over (the pca option) gives the map its own PCA gives, byte for byte, in range and scaled into it; a PCA of other data is refused", async () => {
    const { X } = gridClusters(3);
    const held = gridClusters(4).X;
    const options = { rows: 6, cols: 4, epochs: 5, validation: held };
    const own = await som(X, options);
    const given = await som(X, { ...options, pca: await pca(X, { nComponents: 2 }) });
    expect(bytes(given.weights.data)).toEqual(bytes(own.weights.data));
    expect(bytes(given.bmus)).toEqual(bytes(own.bmus));
    expect(given.quantizationError).toBe(own.quantizationError);
    // More components than the plane needs: the first two are read.
    const wider = await som(X, { ...options, pca: await pca(X, { nComponents: 5 }) });
    expect(bytes(wider.weights.data)).toEqual(bytes(own.weights.data));
    // Data beyond the kernels' range (×2^40) train in kernel units: the given PCA is scaled too.
    const big = (m: Matrix) => ({ ...m, data: m.data.map((v) => v * 2 ** 40) });
    const ownBig = await som(big(X), { ...options, validation: big(held) });
    expect(ownBig.params.rangeScale).toBe(2 ** -42); // the largest |x|, about 4.5 · 2^40, into [1, 2)
    const givenBig = await som(big(X), {
      ...options,
      validation: big(held),
      pca: await pca(big(X), { nComponents: 2 }),
    });
    expect(bytes(givenBig.weights.data)).toEqual(bytes(ownBig.weights.data));
    expect(bytes(givenBig.bmus)).toEqual(bytes(own.bmus));
    await expect(
      som(X, { ...options, pca: await pca(randomMatrix(50, 3), { nComponents: 2 }) }),
    ).rejects.toThrow(/pca has 3 columns and 2 components; X has 10 columns/);
    await expect(som(X, { ...options, pca: await pca(X, { nComponents: 1 }) })).rejects.toThrow(
      /the initial plane needs 2 components/,
    );
    await expect(
      som(X, { ...options, pca: await pca(X, { nComponents: 2, center: false }) }),
    ).rejects.toThrow(/expected a centred PCA/);
  });

  it("rejects invalid options with messages naming them", async () => {
    const X = randomMatrix(10, 2);
    await expect(som(X, { rows: 0 })).rejects.toThrow(/invalid rows: 0/);
    await expect(som(X, { topology: "square" as never })).rejects.toThrow(
      /invalid topology: "square"/,
    );
    await expect(som(X, { sigma: 2, sigmaEnd: 3 })).rejects.toThrow(/invalid sigmaEnd: 3/);
    await expect(som(X, { epoch: 3 } as never)).rejects.toThrow(/unknown option for som: "epoch"/);
    await expect(som(X, { validation: randomMatrix(3, 4) })).rejects.toThrow(
      /validation has 4 columns but X has 2/,
    );
  });
});

describe("grids and maps", () => {
  it("hexagonal grids put all six neighbours at distance 1; rect has 8 (rect8) or 4 (rect4)", () => {
    const hex = gridCoordinates(5, 5, "hex");
    const map = { rows: 5, cols: 5, topology: "hex" as const, coords: hex };
    // Node (2, 2) = 12 is on an even row: neighbours 7, 8 (row above), 11, 13, 17, 18 (row below)?
    expect(gridNeighbors(12, map).sort((a, b) => a - b)).toEqual([6, 7, 11, 13, 16, 17]);
    // Node (1, 1) = 6 is on an odd row, shifted right by ½.
    expect(gridNeighbors(6, map).sort((a, b) => a - b)).toEqual([1, 2, 5, 7, 11, 12]);
    const rect = gridCoordinates(3, 3, "rect");
    expect(adjacent(0, 4, 3, rect, "rect8")).toBe(true); // diagonal
    expect(adjacent(0, 4, 3, rect, "rect4")).toBe(false);
    expect(adjacent(0, 1, 3, rect, "rect4")).toBe(true);
    expect(adjacent(0, 2, 3, rect, "rect8")).toBe(false);
    expect(adjacent(2, 3, 3, rect, "rect8")).toBe(false); // end of one row, start of the next
  });

  it("topographic error differs by definition on a hand-made case", async () => {
    // A 1 × 3 map whose nodes sit at 0, 2, 1: a sample at 1.4 has BMU node 2 (at 1) and second
    // node 1 (at 2): adjacent under both definitions. A sample at 0.3 has node 0 then node 2:
    // not adjacent.
    const map = {
      rows: 1,
      cols: 3,
      topology: "rect" as const,
      coords: gridCoordinates(1, 3, "rect"),
      weights: { rows: 3, cols: 1, data: new Float32Array([0, 2, 1]) },
    };
    const result = await somProject(map, { rows: 2, cols: 1, data: new Float32Array([1.4, 0.3]) });
    expect(Array.from(result.bmus)).toEqual([2, 0]);
    expect(Array.from(result.second)).toEqual([1, 2]);
    expect(result.topographicError.rect8).toBe(0.5);
    expect(result.topographicError.rect4).toBe(0.5);
    expect(Number.isNaN(result.topographicError.hex6)).toBe(true);
  });

  it("U-matrices, hit maps and label counts on a hand map", () => {
    // 1 × 3 map with weights 0, 1, 3: mean neighbour distances 1, 1.5, 2 → scaled to 0.5, 0.75, 1.
    const map = {
      rows: 1,
      cols: 3,
      topology: "rect" as const,
      coords: gridCoordinates(1, 3, "rect"),
      weights: { rows: 3, cols: 1, data: new Float32Array([0, 1, 3]) },
    };
    expect(Array.from(uMatrix(map))).toEqual([0.5, 0.75, 1]);
    const full = fullUMatrix(map);
    expect([full.rows, full.cols]).toEqual([1, 5]);
    expect(Array.from(full.values)).toEqual([1, 1, 1.5, 2, 2]);
    expect(Array.from(hitMap([0, 2, 2], 3))).toEqual([1, 0, 2]);
    expect(Array.from(labelCounts([0, 2, 2], [1, 0, 1], 3, 2))).toEqual([0, 1, 0, 0, 1, 1]);
  });
});
