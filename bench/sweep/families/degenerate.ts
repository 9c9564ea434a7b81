/**
 * Degenerate data through every matrix command: 1, 2 and 3 rows, no columns, constant columns,
 * every row the same, duplicated rows, exact ties, rank one, NaN and ±Infinity, values near
 * float32's limits, subnormals, magnitudes too far apart to resolve. Non-finite data must be
 * refused (E_NON_FINITE); everything else answered with finite, well-formed output or refused
 * with a coded error. Then the rescaled and reordered copies: the same command on X·2^±100 and
 * on X's rows in another order must give the same answer (scaled or reordered).
 */
import type { Matrix } from "../../../src/core/matrix.ts";
import { blobs, gaussian, npyArray, npyOf, permuted, scaled, write } from "../data.ts";
import { checkMapper, checkSom, firstNonFinite, linearCka, sameUpToSign } from "../reference.ts";
import type { Case, Check, CheckContext, Prepared } from "../types.ts";
import { json } from "./common.ts";
import { standardCheck } from "./commands.ts";

const base = () => blobs(30, 4, 5).X;

const MATRICES: Record<string, () => Matrix> = {
  "one-row": () => ({ rows: 1, cols: 4, data: Float32Array.of(1, 2, 3, 4) }),
  "two-rows": () => ({ rows: 2, cols: 4, data: Float32Array.of(1, 2, 3, 4, 0, 2, 3, 5) }),
  "three-rows": () => ({ rows: 3, cols: 2, data: Float32Array.of(0, 0, 1, 0, 0, 1) }),
  "zero-columns": () => ({ rows: 30, cols: 0, data: new Float32Array(0) }),
  "constant-column": () => ({
    ...base(),
    data: base().data.map((v, i) => (i % 4 === 2 ? 0.25 : v)),
  }),
  "all-rows-equal": () => ({ rows: 30, cols: 4, data: new Float32Array(120).fill(0.7) }),
  "all-zero": () => ({ rows: 30, cols: 4, data: new Float32Array(120) }),
  duplicates: () =>
    permuted(
      base(),
      Array.from({ length: 30 }, (_, i) => i % 10),
    ),
  "one-distinct-outlier": () => ({
    rows: 30,
    cols: 4,
    data: Float32Array.from({ length: 120 }, (_, i) => (i < 4 ? 5 : 0.5)),
  }),
  "integer-grid-ties": () => ({
    rows: 30,
    cols: 2,
    data: Float32Array.from({ length: 60 }, (_, i) =>
      i % 2 ? Math.floor(i / 2 / 6) : (i / 2) % 6,
    ),
  }),
  "rank-one": () => ({
    rows: 30,
    cols: 4,
    data: Float32Array.from({ length: 120 }, (_, i) => Math.floor(i / 4) * (1 + (i % 4))),
  }),
  nan: () => ({ ...base(), data: base().data.map((v, i) => (i === 17 ? NaN : v)) }),
  infinity: () => ({ ...base(), data: base().data.map((v, i) => (i === 9 ? Infinity : v)) }),
  "negative-infinity-column": () => ({
    ...base(),
    data: base().data.map((v, i) => (i % 4 === 1 ? -Infinity : v)),
  }),
  "float32-max": () => ({
    ...base(),
    data: base().data.map((v) => (v > 0.5 ? 3.4e38 : -3.4e38 * Math.abs(v))),
  }),
  subnormal: () => scaled(base(), -140),
  "huge-and-tiny-columns": () => ({
    ...base(),
    data: base().data.map((v, i) => (i % 4 === 0 ? v * 1e30 : v * 1e-30)),
  }),
  wide: () => gaussian(30, 3000, 12),
};

/** Commands on x.npy (N rows): the options that make each quick on 30 rows. */
const COMMANDS: Record<string, string[]> = {
  knn: ["knn", "x.npy", "--k", "1"],
  geodesic: ["geodesic", "x.npy", "--k", "3"],
  pca: ["embed", "x.npy", "--method", "pca"],
  mds: ["embed", "x.npy", "--method", "mds"],
  isomap: ["embed", "x.npy", "--method", "isomap", "--k", "3"],
  tsne: ["embed", "x.npy", "--method", "tsne", "--perplexity", "2"],
  umap: ["embed", "x.npy", "--method", "umap", "--k", "3"],
  phate: ["embed", "x.npy", "--method", "phate", "--knn", "2"],
  mda: ["embed", "x.npy", "--method", "mda", "--targets", "target.npy"],
  ph: ["ph", "x.npy"],
  cka: ["cka", "x.npy", "x.npy"],
  mapper: ["mapper", "x.npy", "--labels", "lab.npy", "--min-samples", "2", "--intervals", "4"],
  som: ["som", "x.npy", "--rows", "3", "--cols", "3", "--epochs", "5", "--labels", "lab.npy"],
};

/** The check for `argv` on matrix X: the standard one, with CKA's zero-variance case as null. */
function degenerateCheck(argv: string[], X: Matrix): Check {
  const standard = standardCheck(argv, { X, Y: X });
  return (context) => {
    if (argv[0] === "cka") {
      const want = linearCka(X, X);
      const got = json(context.result.stdout).cka;
      if (Number.isNaN(want))
        return got === null ? null : `CKA of a constant matrix is ${got}, expected null (NaN)`;
      return Math.abs(got - 1) < 1e-6 ? null : `CKA of a matrix with itself is ${got}`;
    }
    return standard(context);
  };
}

function writeMatrixInputs(dir: string, X: Matrix): void {
  write(dir, "x.npy", npyOf(X));
  write(
    dir,
    "lab.npy",
    npyArray(
      [X.rows],
      Int32Array.from({ length: X.rows }, (_, i) => i % 3),
    ),
  );
  write(
    dir,
    "target.npy",
    npyArray(
      [X.rows],
      Float32Array.from({ length: X.rows }, (_, i) => i / Math.max(1, X.rows - 1)),
    ),
  );
}

export function degenerateCases(): Case[] {
  const cases: Case[] = [];
  for (const [matrix, make] of Object.entries(MATRICES)) {
    for (const [command, argv] of Object.entries(COMMANDS)) {
      const nonFinite = /nan|infinity/.test(matrix);
      cases.push({
        id: `degenerate/${matrix}/${command}`,
        family: "degenerate",
        prepare: (dir) => {
          const X = make();
          writeMatrixInputs(dir, X);
          return {
            argv,
            expect: nonFinite ? "error" : "either",
            codes: nonFinite ? ["E_NON_FINITE"] : undefined,
            names: nonFinite ? ["x.npy"] : undefined,
            check: degenerateCheck(argv, X),
            timeoutMs: matrix === "wide" ? 180_000 : 120_000,
          };
        },
      });
    }
  }
  return [...cases, ...tensorCases(), ...rescaledCases(), ...reorderedCases(), ...labelCases()];
}

/** M-PHATE's epochs × units × samples tensor, degenerate in each axis. */
function tensorCases(): Case[] {
  const tensors: Record<string, [number[], (i: number) => number, Prepared["expect"]]> = {
    "one-epoch": [[1, 6, 10], (i) => Math.sin(i), "either"],
    "one-unit": [[4, 1, 10], (i) => Math.sin(i), "either"],
    "one-sample": [[4, 6, 1], (i) => Math.sin(i), "either"],
    "two-units": [[4, 2, 10], (i) => Math.sin(i * 1.3), "either"],
    constant: [[4, 6, 10], () => 0.5, "either"],
    "constant-unit": [
      [4, 6, 10],
      (i) => (Math.floor(i / 10) % 6 === 2 ? 1 : Math.cos(i)),
      "either",
    ],
    nan: [[4, 6, 10], (i) => (i === 33 ? NaN : Math.sin(i)), "error"],
    "rank-two": [[4, 6], (i) => Math.sin(i), "error"],
    "rank-four": [[2, 3, 4, 5], (i) => Math.sin(i), "either"],
    "huge-values": [[4, 6, 10], (i) => Math.sin(i) * 1e35, "either"],
  };
  return Object.entries(tensors).map(([name, [shape, value, expect]]) => ({
    id: `degenerate/mphate-tensor/${name}`,
    family: "degenerate" as const,
    prepare: (dir: string): Prepared => {
      const count = shape.reduce((a, b) => a * b, 1);
      write(
        dir,
        "t.npy",
        npyArray(
          shape,
          Float32Array.from({ length: count }, (_, i) => value(i)),
        ),
      );
      return {
        argv: ["mphate", "t.npy", "--out", "m.npy"],
        expect,
        codes: name === "nan" ? ["E_NON_FINITE"] : undefined,
        check: ({ result }) => {
          const o = json(result.stdout);
          return o.points === o.epochs * o.units && Number.isFinite(o.t)
            ? null
            : `summary ${result.stdout.slice(0, 200)}`;
        },
      };
    },
  }));
}

/** Output of a command as comparable numbers, scaled back by 2^-power where it is in data units. */
function comparable(command: string, stdout: string): unknown {
  const o = json(stdout);
  switch (command) {
    case "knn":
      return o;
    case "geodesic":
      return o.distances;
    case "ph":
      return o.diagrams;
    case "cka":
      return o.cka;
    case "mapper":
      return o.nodes.map((n: { members: number[] }) => n.members);
    case "som":
      return o.bmus;
    default:
      return o.coordinates;
  }
}

/** Data-unit outputs scale with the data; layouts in their own units (t-SNE, UMAP, PHATE, MDA) do not. */
const DATA_UNITS = new Set(["knn", "geodesic", "ph", "pca", "mds", "isomap"]);

function sameAfterScaling(command: string, power: number): Check {
  return ({ result, control }: CheckContext) => {
    const a = comparable(command, control!.stdout);
    const b = comparable(command, result.stdout);
    const factor = DATA_UNITS.has(command) ? 2 ** power : 1;
    if (command === "knn") {
      const [ka, kb] = [
        a as { indices: number[][]; distances: number[][] },
        b as { indices: number[][]; distances: number[][] },
      ];
      if (JSON.stringify(ka.indices) !== JSON.stringify(kb.indices))
        return `neighbours on X·2^${power} differ from those on X`;
      const bad = ka.distances
        .flat()
        .findIndex(
          (d, i) => Math.abs(d * factor - kb.distances.flat()[i]) > 1e-5 * Math.abs(d * factor),
        );
      return bad < 0 ? null : `distance ${bad} on X·2^${power} is not the distance on X scaled`;
    }
    if (["pca", "mds", "isomap", "tsne", "umap", "phate", "mda"].includes(command))
      return sameUpToSign(a as number[][], b as number[][], factor, 1e-5);
    const close = (x: unknown, y: unknown): boolean => {
      if (Array.isArray(x) && Array.isArray(y))
        return x.length === y.length && x.every((v, i) => close(v, y[i]));
      if (x && y && typeof x === "object" && typeof y === "object")
        return close(Object.entries(x), Object.entries(y));
      if (typeof x === "number" && typeof y === "number")
        return Math.abs(x * factor - y) <= 1e-5 * Math.abs(y) + 1e-300;
      return x === y;
    };
    return close(a, b)
      ? null
      : `the answer on X·2^${power} is not the answer on X${factor === 1 ? "" : " scaled"}: ${JSON.stringify(b).slice(0, 120)} vs ${JSON.stringify(a).slice(0, 120)}`;
  };
}

function rescaledCases(): Case[] {
  const cases: Case[] = [];
  for (const power of [100, -100, 60]) {
    for (const [command, argv] of Object.entries(COMMANDS)) {
      cases.push({
        id: `degenerate/rescaled-2^${power}/${command}`,
        family: "degenerate",
        prepare: (dir) => {
          const X = base();
          writeMatrixInputs(dir, scaled(X, power));
          write(dir, "plain.npy", npyOf(X));
          const control = argv.map((a) => (a === "x.npy" ? "plain.npy" : a));
          return {
            argv,
            control: { argv: control },
            expect: "ok",
            check: sameAfterScaling(command, power),
            timeoutMs: 120_000,
          };
        },
      });
    }
  }
  return cases;
}

/** Row order must not matter: the answer on reordered rows is the reordered answer. */
function reorderedCases(): Case[] {
  const order = Array.from({ length: 30 }, (_, i) => (i * 7) % 30);
  const inverse = new Array<number>(30);
  order.forEach((from, to) => (inverse[from] = to));
  const checks: Record<string, (a: any, b: any) => string | null> = {
    knn: (a, b) => {
      for (let i = 0; i < 30; i++) {
        const da = a.distances[order[i]];
        const db = b.distances[i];
        if (da.some((d: number, r: number) => Math.abs(d - db[r]) > 1e-6))
          return `row ${i}: distances ${db} vs ${da}`;
      }
      return null;
    },
    geodesic: (a, b) => {
      for (let i = 0; i < 30; i++)
        for (let j = 0; j < 30; j++)
          if (Math.abs((a.distances[order[i]][order[j]] ?? -1) - (b.distances[i][j] ?? -1)) > 1e-5)
            return `D[${i}][${j}] differs`;
      return null;
    },
    pca: (a, b) =>
      sameUpToSign(
        order.map((o) => a.coordinates[o]),
        b.coordinates,
        1,
        1e-4,
      ),
    ph: (a, b) => {
      for (const dim of Object.keys(a.diagrams)) {
        const s = (d: [number, number | null][]) =>
          d
            .map((p) => `${p[0].toPrecision(5)},${p[1] === null ? "inf" : p[1].toPrecision(5)}`)
            .sort()
            .join(";");
        if (s(a.diagrams[dim]) !== s(b.diagrams[dim])) return `H${dim} differs`;
      }
      return null;
    },
    cka: (a, b) => (Math.abs(a.cka - b.cka) < 1e-9 ? null : `cka ${b.cka} vs ${a.cka}`),
  };
  return Object.entries(checks).map(([command, compare]) => ({
    id: `degenerate/reordered/${command}`,
    family: "degenerate" as const,
    prepare: (dir: string): Prepared => {
      const X = base();
      writeMatrixInputs(dir, permuted(X, order));
      write(dir, "plain.npy", npyOf(X));
      const argv = command === "cka" ? ["cka", "x.npy", "y.npy"] : COMMANDS[command];
      if (command === "cka") {
        write(dir, "y.npy", npyOf(permuted(gaussian(30, 3, 6), order)));
        write(dir, "plain-y.npy", npyOf(gaussian(30, 3, 6)));
      }
      return {
        argv,
        control: {
          argv: argv.map((a) => (a === "x.npy" ? "plain.npy" : a === "y.npy" ? "plain-y.npy" : a)),
        },
        expect: "ok",
        check: ({ result, control }) => compare(json(control!.stdout), json(result.stdout)),
      };
    },
  }));
}

/** Labels that say little: one class, every row its own class, huge and negative labels. */
function labelCases(): Case[] {
  const labelSets: Record<
    string,
    [Int32Array | Float32Array | Float64Array, Prepared["expect"], string?]
  > = {
    "one-class": [new Int32Array(30), "ok"],
    "every-row-its-own-class": [Int32Array.from({ length: 30 }, (_, i) => i), "ok"],
    "labels-negative": [Int32Array.from({ length: 30 }, (_, i) => i - 5), "either"],
    "labels-huge": [Int32Array.from({ length: 30 }, (_, i) => (i === 3 ? 2 ** 30 : 0)), "either"],
    "labels-fractional": [Float32Array.from({ length: 30 }, (_, i) => i / 4), "error"],
    "labels-nan": [Float32Array.from({ length: 30 }, (_, i) => (i === 2 ? NaN : 0)), "error"],
    "labels-too-few": [new Int32Array(29), "error"],
    "labels-int64-2^53": [
      Float64Array.from({ length: 30 }, (_, i) => (i === 2 ? 2 ** 53 : 1)),
      "either",
    ],
  };
  const cases: Case[] = [];
  for (const [name, [labels, expect]] of Object.entries(labelSets)) {
    for (const command of ["mapper", "som"] as const) {
      cases.push({
        id: `degenerate/${name}/${command}-labels`,
        family: "degenerate",
        prepare: (dir) => {
          const X = base();
          write(dir, "x.npy", npyOf(X));
          write(
            dir,
            "lab.npy",
            labels instanceof Float64Array
              ? npyArray([labels.length], labels, "<i8")
              : npyArray([labels.length], labels),
          );
          const argv = COMMANDS[command];
          return {
            argv,
            expect,
            names: ["lab.npy", "labels"],
            check: ({ result }) => {
              const o = json(result.stdout);
              if (command === "mapper") return checkMapper(o, 30, 1);
              const bad = checkSom(o, 30, 9);
              if (bad) return bad;
              return o.labelCounts ? firstNonFinite(o.labelCounts.flat(), "labelCounts") : null;
            },
          };
        },
      });
    }
  }
  return cases;
}
