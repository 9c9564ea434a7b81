import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { geodesicDistances, shortestPaths } from "../../src/algo/geodesic.ts";
import { connectedComponents, knnGraph } from "../../src/algo/graph.ts";
import type { Matrix } from "../../src/core/matrix.ts";
import { readNpy } from "../../src/io/npy.ts";

const fixture = (name: string) => new URL(`../fixtures/geodesic/${name}`, import.meta.url);

function swissRoll(): Matrix {
  const arr = readNpy(new Uint8Array(readFileSync(fixture("swissroll_n1000.npy"))));
  return { rows: arr.shape[0], cols: arr.shape[1], data: arr.data as Float32Array };
}

describe("geodesicDistances", () => {
  it("matches scipy shortest_path on the 10-NN union graph of a swiss roll (1e-4 relative)", async () => {
    const X = swissRoll();
    const ref = JSON.parse(readFileSync(fixture("swissroll_n1000_k10.json"), "utf8"));
    const result = await geodesicDistances(X, { k: ref.k, sources: ref.sources });
    expect(result.rows).toBe(3);
    expect(result.cols).toBe(1000);
    let worst = 0;
    for (let r = 0; r < ref.sources.length; r++) {
      for (let j = 0; j < 1000; j++) {
        const want = ref.distances[r][j];
        const got = result.data[r * 1000 + j];
        if (want === null) {
          expect(got).toBe(Infinity);
        } else {
          worst = Math.max(worst, Math.abs(got - want) / Math.max(want, 1e-12));
        }
      }
    }
    expect(worst).toBeLessThan(1e-4);
  });

  it("gives a symmetric all-pairs matrix with a zero diagonal that agrees with the sourced rows", async () => {
    const X = swissRoll();
    const all = await geodesicDistances(X, { k: 10 });
    const some = await geodesicDistances(X, { k: 10, sources: [456, 0] });
    const n = 1000;
    for (let i = 0; i < n; i += 37) {
      expect(all.data[i * n + i]).toBe(0);
      for (let j = 0; j < n; j += 11) {
        expect(Math.abs(all.data[i * n + j] - all.data[j * n + i])).toBeLessThanOrEqual(
          1e-4 * all.data[i * n + j],
        );
      }
    }
    expect(Array.from(some.data.subarray(0, n))).toEqual(
      Array.from(all.data.subarray(456 * n, 457 * n)),
    );
  });

  it("returns Infinity between disconnected clusters", async () => {
    // Two clusters of 6 points far apart: the 2-NN graph has two components.
    const pts: number[] = [];
    for (let i = 0; i < 6; i++) pts.push(i, 0);
    for (let i = 0; i < 6; i++) pts.push(1000 + i, 0);
    const X = { rows: 12, cols: 2, data: Float32Array.from(pts) };
    const graph = await knnGraph(X, { k: 2 });
    expect((await connectedComponents(graph)).count).toBe(2);
    const g = await geodesicDistances(X, { k: 2, sources: [0] });
    expect(g.components).toBe(2);
    expect(Array.from(g.data.subarray(0, 6))).toEqual([0, 1, 2, 3, 4, 5]);
    for (let j = 6; j < 12; j++) expect(g.data[j]).toBe(Infinity);
  });

  it("finds the shortest path on a hand graph (a detour shorter than the direct edge)", async () => {
    // 0 –(10)– 1, 0 –(1)– 2 –(1)– 1: the path 0-2-1 has length 2.
    const graph = {
      n: 3,
      rowPtr: Int32Array.from([0, 2, 4, 6]),
      columns: Int32Array.from([1, 2, 0, 2, 0, 1]),
      values: Float32Array.from([10, 1, 10, 1, 1, 1]),
    };
    const r = await shortestPaths(graph, { sources: [0, 1] });
    expect(Array.from(r.data)).toEqual([0, 2, 1, 2, 0, 1]);
  });

  it("rejects invalid options with their messages", async () => {
    const X = swissRoll();
    await expect(geodesicDistances(X, { k: 0 })).rejects.toThrow(
      /invalid k: 0 \(expected an integer from 1 to 256\)/,
    );
    await expect(geodesicDistances(X, { k: 2.5 })).rejects.toThrow(/invalid k: 2.5/);
    await expect(geodesicDistances(X, { sources: [0, 1000] })).rejects.toThrow(
      /invalid sources\[1\]: 1000 \(expected an integer from 0 to 999\)/,
    );
    // @ts-expect-error: unknown option
    await expect(geodesicDistances(X, { neighbours: 5 })).rejects.toThrow(
      /unknown option for geodesicDistances: "neighbours"/,
    );
    const big = { rows: 5001, cols: 1, data: new Float32Array(5001) };
    await expect(geodesicDistances(big)).rejects.toThrow(/above 5000 points pass sources/);
  });
});
