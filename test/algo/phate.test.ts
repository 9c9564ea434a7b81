/**
 * PHATE (src/algo/phate.ts): the kernel, entropy, t and potential distances against a dense
 * float64 NumPy transcription of graphtools/phate (test/fixtures/phate/make.py); shapes a
 * correct diffusion embedding must keep; determinism; errors.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { spearman } from "../../src/algo/metrics.ts";
import {
  alphaDecayAffinity,
  twoLineKnee,
  phate,
  phateFromAffinity,
  potentialDistances,
  diffusionMap,
  procrustes,
  symmetricEigenvalues,
  vonNeumannEntropy,
  type Affinity,
} from "../../src/algo/phate.ts";
import { HiddenAtlasError } from "../../src/core/errors.ts";
import type { Matrix } from "../../src/core/matrix.ts";
import { mulberry32 } from "../helpers.ts";

const reference = JSON.parse(
  readFileSync(new URL("../fixtures/phate/reference.json", import.meta.url), "utf8"),
);
const algoReference = JSON.parse(
  readFileSync(new URL("../fixtures/algo/reference.json", import.meta.url), "utf8"),
);

const toMatrix = (rows: number[][]): Matrix => ({
  rows: rows.length,
  cols: rows[0].length,
  data: Float32Array.from(rows.flat()),
});

function dense(K: Affinity): Float64Array {
  const out = new Float64Array(K.n * K.n);
  for (let i = 0; i < K.n; i++)
    for (let e = K.rowPtr[i]; e < K.rowPtr[i + 1]; e++) out[i * K.n + K.columns[e]] = K.values[e];
  return out;
}

function denseAffinity(rows: number[][]): Affinity {
  const n = rows.length;
  const rowPtr = new Int32Array(n + 1);
  const columns: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++)
      if (rows[i][j] !== 0) {
        columns.push(j);
        values.push(rows[i][j]);
      }
    rowPtr[i + 1] = columns.length;
  }
  return { n, rowPtr, columns: Int32Array.from(columns), values: Float64Array.from(values) };
}

const rnd = mulberry32(5);
const gauss = () => {
  const u = rnd() || 1e-12;
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
};

/** Fraction of points (beyond `junction` from the root) whose nearest embedded neighbour is on their branch. */
function nearestOnOwnBranch(
  Y: Matrix,
  branch: Int32Array,
  radius: Float64Array,
  junction: number,
): number {
  let same = 0;
  let counted = 0;
  for (let i = 0; i < Y.rows; i++) {
    if (radius[i] < junction) continue; // the junction belongs to every branch
    let best = -1;
    let bestDistance = Infinity;
    for (let j = 0; j < Y.rows; j++) {
      if (j === i) continue;
      const d = (Y.data[2 * i] - Y.data[2 * j]) ** 2 + (Y.data[2 * i + 1] - Y.data[2 * j + 1]) ** 2;
      if (d < bestDistance) [best, bestDistance] = [j, d];
    }
    counted++;
    if (branch[best] === branch[i]) same++;
  }
  return same / counted;
}

describe("alphaDecayAffinity", () => {
  for (const name of ["small", "smooth"]) {
    it(`matches graphtools' alpha-decay kernel densely in float64 (${name}: knn ${reference[name].knn}, decay ${reference[name].decay})`, async () => {
      const ref = reference[name];
      const K = await alphaDecayAffinity(toMatrix(ref.X), { knn: ref.knn, decay: ref.decay });
      const ours = dense(K);
      const theirs = (ref.K as number[][]).flat();
      let nonzero = 0;
      for (let i = 0; i < theirs.length; i++) {
        // Same sparsity pattern (the 1e-4 threshold) and values to float32-input precision.
        expect(ours[i] === 0).toBe(theirs[i] === 0);
        if (theirs[i] !== 0) nonzero++;
        expect(Math.abs(ours[i] - theirs[i])).toBeLessThanOrEqual(2e-5 * Math.max(theirs[i], 1e-3));
      }
      expect(nonzero).toBeGreaterThan(ref.X.length); // more than the diagonal
      for (let i = 0; i < K.n; i++) expect(ours[i * K.n + i]).toBe(1);
    });
  }

  it("gives exact duplicates affinity 1 to each other (graphtools' NaN → 1 for σ = 0)", async () => {
    const X = toMatrix([
      [0, 0],
      [0, 0],
      [0, 0],
      [1, 0],
      [5, 5],
    ]);
    const K = dense(await alphaDecayAffinity(X, { knn: 1, decay: 40 }));
    expect([K[1], K[2], K[5 + 2]]).toEqual([1, 1, 1]);
    // σ_0 = 0: row 0 keeps only its duplicates; row 3 (σ_3 = 1, d = 1) gives e^-1, halved by the average.
    expect(K[3]).toBeCloseTo(Math.exp(-1) / 2, 12);
    expect(K[3 * 5]).toBeCloseTo(Math.exp(-1) / 2, 12);
    expect(K[4]).toBe(0);
  });
});

describe("diffusion: eigenvalues, entropy, t, potential", () => {
  it("tridiagonal eigenvalues match numpy eigh on a 20 × 20 symmetric matrix", async () => {
    const ref = algoReference.symmetric_20;
    const values = await symmetricEigenvalues(
      Float64Array.from((ref.matrix as number[][]).flat()),
      20,
    );
    values.forEach((v, i) => expect(v).toBeCloseTo(ref.values_desc[i], 12));
  });

  it("on a two-point operator (affinity 1/3) the eigenvalues are 1 and 1/2, the entropy is the binary entropy of 1 : 2^-(i+1), and t is the knee phate's code finds", async () => {
    const K = denseAffinity([
      [1, 1 / 3],
      [1 / 3, 1],
    ]);
    const eigenvalues = await symmetricEigenvalues(
      Float64Array.from([3 / 4, 1 / 4, 1 / 4, 3 / 4]),
      2,
    );
    expect(eigenvalues[0]).toBeCloseTo(1, 14);
    expect(eigenvalues[1]).toBeCloseTo(0.5, 14);
    const h = vonNeumannEntropy(eigenvalues, 100);
    for (const i of [0, 1, 5, 40]) {
      const q = 0.5 ** (i + 1) / (1 + 0.5 ** (i + 1));
      const eps = 2.220446049250313e-16;
      const expected = -((1 - q + eps) * Math.log(1 - q + eps) + (q + eps) * Math.log(q + eps));
      expect(h[i]).toBeCloseTo(expected, 14);
    }
    expect(twoLineKnee(h)).toBe(reference.two_point.t);
    expect(twoLineKnee(h)).toBe(6);
    expect(dense(K)).toEqual(Float64Array.from([1, 1 / 3, 1 / 3, 1]));
  });

  for (const name of ["small", "smooth"]) {
    it(`chooses the same t as phate's knee on the same spectrum (${name})`, async () => {
      const ref = reference[name];
      const K = await alphaDecayAffinity(toMatrix(ref.X), { knn: ref.knn, decay: ref.decay });
      const result = await phateFromAffinity(K, { gamma: 1 });
      result.eigenvalues.forEach((v, i) => expect(v).toBeCloseTo(ref.eigenvalues[i], 6));
      result.entropy.forEach((v, i) => expect(v).toBeCloseTo(ref.entropy[i], 6));
      expect(result.t).toBe(ref.t);
    });
  }

  it("potential distances at t match a float64 matrix power for γ = 1 (log), 0 (√) and 0.5", async () => {
    const ref = reference.small;
    const K = await alphaDecayAffinity(toMatrix(ref.X), { knn: ref.knn, decay: ref.decay });
    for (const gamma of [1, 0, 0.5]) {
      const D = await potentialDistances(K, { t: ref.t, gamma });
      const theirs = (ref[`distances_gamma_${gamma}`] as number[][]).flat();
      let worst = 0;
      for (let i = 0; i < theirs.length; i++)
        worst = Math.max(worst, Math.abs(D.data[i] - theirs[i]) / Math.max(theirs[i], 1e-2));
      expect(worst).toBeLessThan(1e-4);
    }
  });
});

describe("phate", () => {
  it("keeps the order of a noisy line (|Spearman| with the true parameter ≥ 0.95)", async () => {
    // 200 points with knn 20: diffusion at the chosen t reaches along the whole line. (With a
    // line much longer than the diffusion's reach the log potentials saturate and metric MDS
    // bends it into a horseshoe, as in PHATE itself.)
    const N = 200;
    const D = 10;
    const data = new Float32Array(N * D);
    const truth = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      const s = rnd();
      truth[i] = s;
      for (let c = 0; c < D; c++)
        data[i * D + c] = (c === 0 ? 3 * s : c === 1 ? 2 * s : 0) + 0.05 * gauss();
    }
    const result = await phate({ rows: N, cols: D, data }, { knn: 20 });
    const x = Array.from({ length: N }, (_, i) => result.embedding.data[2 * i]);
    expect(Math.abs(spearman(x, truth))).toBeGreaterThanOrEqual(0.95);
  });

  it("keeps the branches of a noisy tree apart: every point's nearest embedded neighbour is on its own branch", async () => {
    const per = 150;
    const D = 10;
    const N = 3 * per;
    const data = new Float32Array(N * D);
    const branch = new Int32Array(N);
    const radius = new Float64Array(N);
    for (let b = 0; b < 3; b++) {
      for (let i = 0; i < per; i++) {
        const q = b * per + i;
        const s = 4 * rnd();
        branch[q] = b;
        radius[q] = s;
        for (let c = 0; c < D; c++) data[q * D + c] = (c === b ? s : 0) + 0.1 * gauss();
      }
    }
    const { embedding } = await phate({ rows: N, cols: D, data });
    expect(nearestOnOwnBranch(embedding, branch, radius, 0.5)).toBeGreaterThanOrEqual(0.99);
  });

  it("returns PHATE ≥ 1.0's output convention: centred, Frobenius norm ≤ 1 (Procrustes scale)", async () => {
    const { embedding: Y } = await phate(toMatrix(reference.small.X));
    let mx = 0,
      my = 0,
      norm = 0;
    for (let i = 0; i < Y.rows; i++) {
      mx += Y.data[2 * i];
      my += Y.data[2 * i + 1];
      norm += Y.data[2 * i] ** 2 + Y.data[2 * i + 1] ** 2;
    }
    expect(Math.abs(mx / Y.rows)).toBeLessThan(1e-6);
    expect(Math.abs(my / Y.rows)).toBeLessThan(1e-6);
    expect(Math.sqrt(norm)).toBeLessThanOrEqual(1 + 1e-6);
    expect(Math.sqrt(norm)).toBeGreaterThan(0.9);
  });

  it("is bit-identical for the same seed, on the exact and the landmark path", async () => {
    const X = toMatrix(reference.small.X);
    const a = await phate(X, { seed: 3 });
    const b = await phate(X, { seed: 3 });
    expect(Buffer.from(a.embedding.data.buffer).equals(Buffer.from(b.embedding.data.buffer))).toBe(
      true,
    );
    const N = 400;
    const data = new Float32Array(N * 5).map(() => gauss());
    const c = await phate({ rows: N, cols: 5, data }, { nLandmark: 120, nSvd: 20, seed: 9 });
    const d = await phate({ rows: N, cols: 5, data }, { nLandmark: 120, nSvd: 20, seed: 9 });
    expect(c.landmarks).not.toBeNull();
    expect(c.nLandmarks).toBeLessThanOrEqual(120);
    expect(Buffer.from(c.embedding.data.buffer).equals(Buffer.from(d.embedding.data.buffer))).toBe(
      true,
    );
    expect(Array.from(c.landmarks!)).toEqual(Array.from(d.landmarks!));
  });

  it("on the landmark path keeps a tree's branches apart too", async () => {
    const per = 300;
    const D = 8;
    const N = 3 * per;
    const data = new Float32Array(N * D);
    const branch = new Int32Array(N);
    const radius = new Float64Array(N);
    for (let b = 0; b < 3; b++)
      for (let i = 0; i < per; i++) {
        const q = b * per + i;
        const s = 4 * rnd();
        branch[q] = b;
        radius[q] = s;
        for (let c = 0; c < D; c++) data[q * D + c] = (c === b ? s : 0) + 0.1 * gauss();
      }
    const result = await phate({ rows: N, cols: D, data }, { nLandmark: 300, nSvd: 30 });
    expect(result.nLandmarks).toBeGreaterThan(250);
    expect(nearestOnOwnBranch(result.embedding, branch, radius, 1)).toBeGreaterThanOrEqual(0.95);
  });

  it("SGD metric MDS gives the same branch structure as SMACOF on the small case (Procrustes disparity < 0.1)", async () => {
    const X = toMatrix(reference.small.X);
    const a = await phate(X, { mdsSolver: "smacof" });
    const b = await phate(X, { mdsSolver: "sgd" });
    expect(procrustes(a.embedding, b.embedding).disparity).toBeLessThan(0.1);
  });
});

describe("diffusionMap", () => {
  it("separates two cliques joined by one weak edge along its first coordinate", async () => {
    const rows: number[][] = Array.from({ length: 10 }, (_, i) =>
      Array.from({ length: 10 }, (_, j) => (Math.floor(i / 5) === Math.floor(j / 5) ? 1 : 0)),
    );
    rows[4][5] = rows[5][4] = 0.01;
    const { embedding, eigenvalues } = await diffusionMap(denseAffinity(rows), { nComponents: 2 });
    expect(eigenvalues[0]).toBeCloseTo(1, 10);
    const first = Array.from({ length: 10 }, (_, i) => embedding.data[2 * i]);
    for (let i = 1; i < 5; i++) expect(Math.sign(first[i])).toBe(Math.sign(first[0]));
    for (let i = 5; i < 10; i++) expect(Math.sign(first[i])).toBe(-Math.sign(first[0]));
  });
});

describe("procrustes", () => {
  it("recovers a rotated, scaled, shifted copy exactly (disparity 0)", () => {
    const A = toMatrix([
      [0, 0],
      [1, 0],
      [0, 2],
      [3, 1],
    ]);
    const angle = 0.7;
    const B = { rows: 4, cols: 2, data: new Float32Array(8) };
    for (let i = 0; i < 4; i++) {
      const [x, y] = [A.data[2 * i], A.data[2 * i + 1]];
      B.data[2 * i] = 5 * (Math.cos(angle) * x - Math.sin(angle) * y) + 3;
      B.data[2 * i + 1] = 5 * (Math.sin(angle) * x + Math.cos(angle) * y) - 1;
    }
    expect(procrustes(A, B).disparity).toBeLessThan(1e-12);
  });
});

describe("errors", () => {
  const X = toMatrix(reference.small.X);
  it("rejects bad options and data with messages that name them", async () => {
    await expect(phate(X, { knn: 0 })).rejects.toThrow(
      /invalid knn: 0 \(expected an integer ≥ 1\)/,
    );
    await expect(phate(X, { gamma: 2 })).rejects.toThrow(/invalid gamma: 2/);
    await expect(phate(X, { t: 0 })).rejects.toThrow(/invalid t: 0/);
    await expect(phate(X, { decay: -1 })).rejects.toThrow(/invalid decay/);
    // m landmarks span m − 1 dimensions: 2 of them cannot hold a 2-D classical MDS.
    await expect(phate(X, { nLandmark: 2 })).rejects.toThrow(
      /invalid nLandmark: 2 \(expected an integer ≥ 3\)/,
    );
    await expect(phate(X, { nLandmark: 3, nComponents: 3 })).rejects.toThrow(
      /invalid nLandmark: 3 \(expected an integer ≥ 4\)/,
    );
    await expect(phate(X, { mdsSolver: "sgd2" as "sgd" })).rejects.toThrow(
      /invalid mdsSolver: "sgd2"/,
    );
    await expect(phate(X, { nNeighbors: 5 } as never)).rejects.toThrow(
      /unknown option for phate: "nNeighbors"/,
    );
    await expect(
      phate(
        toMatrix([
          [1, 2],
          [3, 4],
        ]),
      ),
    ).rejects.toThrow(/at least 3 rows/);
    const bad = toMatrix(reference.small.X);
    bad.data[7] = NaN;
    await expect(phate(bad)).rejects.toMatchObject({
      code: "E_NON_FINITE",
      message: expect.stringMatching(/row 1, column 1/),
    });
  });

  it("refuses an isolated point and a malformed affinity", async () => {
    const K = denseAffinity([
      [1, 0.5, 0],
      [0.5, 1, 0],
      [0, 0, 0],
    ]);
    K.rowPtr[3] = K.rowPtr[2]; // row 2 empty
    await expect(phateFromAffinity(K)).rejects.toThrow(/row 2 has no affinity/);
    await expect(
      phateFromAffinity({
        n: 2,
        rowPtr: new Int32Array(2),
        columns: new Int32Array(0),
        values: new Float64Array(0),
      }),
    ).rejects.toThrow(/invalid affinity/);
  });

  it("estimates memory before starting and refuses with E_TOO_LARGE and the bytes needed", async () => {
    const n = 40_000;
    const K: Affinity = {
      n,
      rowPtr: Int32Array.from({ length: n + 1 }, (_, i) => i),
      columns: Int32Array.from({ length: n }, (_, i) => i),
      values: new Float64Array(n).fill(1),
    };
    const error = await phateFromAffinity(K, { nLandmark: n }).catch((e) => e);
    expect(error).toBeInstanceOf(HiddenAtlasError);
    expect(error.code).toBe("E_TOO_LARGE");
    expect(error.details.bytesNeeded).toBeGreaterThan(4 * 1024 ** 3);
  });
});
