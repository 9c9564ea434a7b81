/**
 * Inputs whose work would not fit: files larger than a lowered memory budget (so small files
 * stand in for huge ones), archives that inflate far beyond their size, and parameters that
 * ask for quadratic or worse work on inputs that are small on disk. Each must be refused with
 * E_TOO_LARGE (or another coded error) quickly — within REFUSE_MS — or, where the work is
 * honest, answered.
 */
import { join } from "node:path";
import { rawNpy, gaussian, npyArray, npyOf, write } from "../data.ts";
import type { Case, Prepared } from "../types.ts";
import { craftZip } from "../zipcraft.ts";
import { json } from "./common.ts";
import { tinyBundle } from "./bundles.ts";

/** How long a refusal may take on this (shared, loaded) machine. */
export const REFUSE_MS = 30_000;
const MiB = 1 << 20;

function memoryCase(
  id: string,
  setup: (dir: string) => void | Promise<void>,
  run: Partial<Prepared> & { argv: string[] },
  expect: Prepared["expect"] = "error",
  codes = ["E_TOO_LARGE"],
): Case {
  return {
    id: `memory/${id}`,
    family: "memory",
    prepare: async (dir) => {
      await setup(dir);
      return {
        expect,
        codes: expect === "ok" ? undefined : codes,
        refuseWithinMs: REFUSE_MS,
        timeoutMs: 120_000,
        ...run,
      };
    },
  };
}

/**
 * Work too large for the machine: refused before it starts (too large, or a parameter out of
 * reach) or, with "either", done within the budget.
 */
function tooLarge(
  id: string,
  setup: (dir: string) => void | Promise<void>,
  run: Partial<Prepared> & { argv: string[] },
  expect: "error" | "either" = "either",
): Case {
  return memoryCase(id, setup, run, expect, ["E_TOO_LARGE", "E_PARAM"]);
}

/** A setup that writes one matrix, made when the case is prepared, as x.npy. */
const xNpy = (make: () => Parameters<typeof npyOf>[0]) => (dir: string) =>
  void write(dir, "x.npy", npyOf(make()));

/** Values for MDA's output manifold whose NumPy "auto" bins explode: a tight cluster and far outliers. */
function explodingTargets(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => (i < n - 2 ? (i % 7) * 1e-7 : 1000 + i));
}

export function memoryCases(): Case[] {
  const big = () => gaussian(2048, 256, 3); // 2 MiB as float32
  const budget = MiB;
  const cases: Case[] = [];
  for (const [command, argv] of [
    ["knn", ["knn", "x.npy", "--k", "3"]],
    ["embed-pca", ["embed", "x.npy", "--method", "pca"]],
    ["ph", ["ph", "x.npy"]],
    ["cka", ["cka", "x.npy", "x.npy"]],
    ["som", ["som", "x.npy"]],
    ["mapper", ["mapper", "x.npy"]],
    ["geodesic", ["geodesic", "x.npy", "--sources", "0"]],
  ] as [string, string[]][]) {
    cases.push(
      memoryCase(`budget-1MiB/npy/${command}`, xNpy(big), {
        argv,
        budget,
      }),
    );
  }
  cases.push(
    memoryCase(
      "budget-1MiB/csv/knn",
      (dir) =>
        void write(
          dir,
          "x.csv",
          Array.from({ length: 40_000 }, (_, i) => `${i % 97},${i % 13},${i % 7}`).join("\n"),
        ),
      { argv: ["knn", "x.csv"], budget },
    ),
    memoryCase(
      "budget-1MiB/f16-doubling/knn",
      (dir) => void write(dir, "x.npy", npyOf(gaussian(1024, 200, 4), "<f2")),
      { argv: ["knn", "x.npy"], budget },
    ),
    memoryCase(
      "budget-1MiB/header-announces-1TiB",
      (dir) =>
        void write(
          dir,
          "x.npy",
          rawNpy(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (262144, 1048576), }",
            new Uint8Array(64),
          ),
        ),
      { argv: ["knn", "x.npy"], budget },
      "error",
      ["E_TOO_LARGE", "E_TRUNCATED"],
    ),
    memoryCase(
      "budget-1MiB/bundle-layer-flatten",
      (dir) =>
        tinyBundle(join(dir, "b"), {
          n: 2048,
          values: (_l, _d, cols) => gaussian(2048, cols, 5).data,
          layerNames: ["h1", "h2"],
          conv: true,
        }),
      { argv: ["cka", "b", "--vectorize", "flatten"], budget: 256 << 10 },
    ),
    memoryCase(
      "budget-1MiB/bundle-info-streams",
      (dir) => tinyBundle(join(dir, "b"), { n: 40_000 }),
      {
        argv: ["info", "b"],
        budget,
        check: ({ result }) =>
          json(result.stdout).samples === 40_000 ? null : "wrong sample count",
      },
      "either",
    ),
  );
  // Archives that inflate far beyond their size.
  const zeros = (bytes: number) =>
    rawNpy(
      `{'descr': '<f4', 'fortran_order': False, 'shape': (${bytes / 4 / 64}, 64), }`,
      new Uint8Array(bytes),
    );
  cases.push(
    memoryCase(
      "zip-bomb/honest-size/cka",
      (dir) =>
        void write(
          dir,
          "a.npz",
          craftZip([
            { name: "a.npy", data: zeros(256 * MiB), deflate: true },
            { name: "b.npy", data: zeros(256 * MiB), deflate: true },
          ]),
        ),
      { argv: ["cka", "a.npz"], budget: 64 * MiB },
    ),
    // The directory declares 4 KiB inflated; the stream inflates to 128 MiB.
    memoryCase(
      "zip-bomb/size-lies-small",
      (dir) =>
        void write(
          dir,
          "a.npz",
          craftZip([{ name: "a.npy", data: zeros(128 * MiB), deflate: true, size: 4096 }]),
        ),
      { argv: ["cka", "a.npz"] },
      "error",
      ["E_ZIP", "E_TOO_LARGE", "E_TRUNCATED", "E_NPY_HEADER"],
    ),
    memoryCase(
      "zip-bomb/info-reads-headers-only",
      (dir) =>
        void write(
          dir,
          "a.npz",
          craftZip([{ name: "a.npy", data: zeros(512 * MiB), deflate: true }]),
        ),
      {
        argv: ["info", "a.npz"],
        budget: 64 * MiB,
        check: ({ result }) =>
          json(result.stdout).layers?.[0]?.shape?.[0] === (512 * MiB) / 256 ? null : "wrong shape",
      },
      "either",
    ),
  );
  // Work that grows faster than the input.
  const column = (n: number, value: (i: number) => number) =>
    npyArray(
      [n, 1],
      Float32Array.from({ length: n }, (_, i) => value(i)),
    );
  cases.push(
    memoryCase(
      "work/geodesic-all-pairs-6000",
      (dir) =>
        void write(
          dir,
          "x.npy",
          column(6000, (i) => Math.sin(i)),
        ),
      { argv: ["geodesic", "x.npy"] },
    ),
    tooLarge(
      "work/mds-60000",
      (dir) =>
        void write(
          dir,
          "x.npy",
          column(60_000, (i) => Math.sin(i)),
        ),
      { argv: ["embed", "x.npy", "--method", "mds"] },
    ),
    memoryCase(
      "work/ph-50000-maxdim-2",
      (dir) =>
        void write(
          dir,
          "x.npy",
          npyArray(
            [50_000, 2],
            Float32Array.from({ length: 100_000 }, (_, i) => Math.sin(i * 0.37)),
          ),
        ),
      { argv: ["ph", "x.npy", "--maxdim", "2"] },
    ),
    // Honest work, not a refusal: the edge collapse leaves 6,623 of 4.4 million edges and H3 has
    // 2.4 million columns; measured at 284 s of CPU (55 s collapse, 160 s H3 columns), so the wall
    // time on a loaded machine is several times that.
    tooLarge(
      "work/ph-3000-maxdim-3",
      xNpy(() => gaussian(3000, 4, 7)),
      { argv: ["ph", "x.npy", "--maxdim", "3"], timeoutMs: 1_200_000 },
    ),
    tooLarge(
      "work/som-grid-10^10",
      xNpy(() => gaussian(30, 3, 1)),
      { argv: ["som", "x.npy", "--rows", "100000", "--cols", "100000"] },
      "error",
    ),
    tooLarge(
      "work/som-grid-4000x4000",
      xNpy(() => gaussian(30, 3, 1)),
      { argv: ["som", "x.npy", "--rows", "4000", "--cols", "4000"] },
      "error",
    ),
    tooLarge(
      "work/mapper-300000-equal-rows",
      (dir) =>
        void write(
          dir,
          "x.npy",
          column(300_000, () => 1),
        ),
      { argv: ["mapper", "x.npy"] },
    ),
    tooLarge(
      "work/mapper-intervals-10^6",
      xNpy(() => gaussian(200, 3, 1)),
      { argv: ["mapper", "x.npy", "--intervals", "1000000"] },
    ),
    tooLarge(
      "work/mphate-exact-20000-points",
      (dir) => void write(dir, "t.npy", npyArray([50, 400, 10], gaussian(20_000, 10, 2).data)),
      { argv: ["mphate", "t.npy", "--n-landmark", "100000", "--out", "m.npy"] },
    ),
    tooLarge(
      "work/phate-exact-30000",
      xNpy(() => gaussian(30_000, 2, 2)),
      { argv: ["embed", "x.npy", "--method", "phate", "--out", "p.npy"] },
    ),
    tooLarge(
      "work/wasserstein-20000-points",
      (dir) => {
        const pairs = (seed: number) =>
          Array.from({ length: 20_000 }, (_, i) => [
            Math.abs(Math.sin(i * seed)),
            Math.abs(Math.sin(i * seed)) + 0.01 + Math.abs(Math.cos(i)),
          ]);
        write(dir, "a.json", JSON.stringify({ diagrams: { "1": pairs(1.1) } }));
        write(dir, "b.json", JSON.stringify({ diagrams: { "1": pairs(1.7) } }));
        // Honest work, not a hang: the auction's bids scan every object, O(N²) a phase, and these
        // 20,000 + 20,000 points take ~150 s of CPU (measured), so 2–4× that in wall time on a
        // loaded machine; progress is reported throughout.
      },
      {
        argv: ["diagram-distance", "a.json", "b.json", "--metric", "wasserstein"],
        timeoutMs: 600_000,
      },
    ),
    memoryCase(
      "work/csv-one-64MB-line",
      (dir) => void write(dir, "x.csv", "1,".repeat(16 * MiB) + "1\n"),
      { argv: ["knn", "x.csv"], timeoutMs: 120_000 },
      "error",
      ["E_PARAM", "E_TOO_LARGE", "E_CSV"],
    ),
    memoryCase(
      "work/csv-one-64MB-quoted-field",
      (dir) => void write(dir, "x.csv", `"${"9".repeat(64 * MiB)}",1\n1,2\n`),
      { argv: ["knn", "x.csv"], timeoutMs: 120_000 },
      "error",
      ["E_CSV", "E_TOO_LARGE", "E_NON_FINITE", "E_RANGE"],
    ),
  );
  // MDA's output manifold: bins that NumPy's "auto" rule (or the user) makes explode.
  cases.push(
    tooLarge(
      "mda/auto-bins-outliers",
      (dir) => {
        write(dir, "x.npy", npyOf(gaussian(600, 8, 3)));
        write(dir, "t.npy", npyArray([600], explodingTargets(600)));
      },
      { argv: ["embed", "x.npy", "--method", "mda", "--targets", "t.npy"], timeoutMs: 180_000 },
    ),
    memoryCase(
      "mda/auto-bins-float32-spread",
      (dir) => {
        write(dir, "x.npy", npyOf(gaussian(400, 8, 3)));
        write(
          dir,
          "t.npy",
          npyArray(
            [400],
            Float32Array.from({ length: 400 }, (_, i) => (i < 398 ? i * 1e-30 : 1e30 * i)),
          ),
        );
      },
      { argv: ["embed", "x.npy", "--method", "mda", "--targets", "t.npy"], timeoutMs: 180_000 },
      "either",
      ["E_TOO_LARGE", "E_PARAM", "E_RANGE"],
    ),
    tooLarge(
      "mda/distinct-5000-targets",
      (dir) => {
        write(dir, "x.npy", npyOf(gaussian(5000, 8, 3)));
        write(
          dir,
          "t.npy",
          npyArray(
            [5000],
            Float32Array.from({ length: 5000 }, (_, i) => i),
          ),
        );
      },
      {
        argv: ["embed", "x.npy", "--method", "mda", "--targets", "t.npy", "--groups", "distinct"],
        timeoutMs: 180_000,
      },
    ),
    tooLarge(
      "mda/groups-5000",
      (dir) => {
        write(dir, "x.npy", npyOf(gaussian(5000, 8, 3)));
        write(
          dir,
          "t.npy",
          npyArray(
            [5000],
            Float32Array.from({ length: 5000 }, (_, i) => Math.sin(i)),
          ),
        );
      },
      {
        argv: ["embed", "x.npy", "--method", "mda", "--targets", "t.npy", "--groups", "5000"],
        timeoutMs: 180_000,
      },
    ),
    tooLarge(
      "mda/classifier-2000-classes",
      (dir) => {
        write(dir, "x.npy", npyOf(gaussian(2000, 8, 3)));
        // Near-one-hot predictions of 2,000 classes, one per sample: as many groups as samples.
        const p = new Float32Array(2000 * 2000).fill(1e-6);
        for (let i = 0; i < 2000; i++) p[i * 2000 + i] = 0.998;
        write(dir, "p.npy", npyArray([2000, 2000], p));
      },
      { argv: ["embed", "x.npy", "--method", "mda", "--predictions", "p.npy"], timeoutMs: 180_000 },
    ),
    tooLarge(
      "mda/run-regression-many-targets",
      (dir) => tinyBundle(join(dir, "b"), { n: 3000, task: "regression" }),
      {
        argv: [
          "run",
          "mda",
          "--bundle",
          "b",
          "--max-points",
          "3000",
          "--groups",
          "3000",
          "--methods",
          "mda",
          "--stages",
          "trained",
        ],
        timeoutMs: 240_000,
      },
    ),
    tooLarge(
      "mda/run-classifier-labels-as-groups",
      (dir) => tinyBundle(join(dir, "b"), { n: 3000, classes: 1500 }),
      {
        argv: [
          "run",
          "mda",
          "--bundle",
          "b",
          "--max-points",
          "3000",
          "--methods",
          "mda",
          "--stages",
          "trained",
        ],
        timeoutMs: 240_000,
      },
    ),
  );
  return cases;
}
