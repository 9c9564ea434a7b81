/**
 * Every matrix command on one small, well-behaved input, and the check its output must pass
 * whatever options it was given (read back from its argv): brute-force kNN, Dijkstra on the
 * union kNN graph, the MST for H0, linear CKA's formula, SOM/Mapper invariants, coordinates
 * of the right shape with every number finite.
 */
import { join } from "node:path";
import { readFileSync } from "node:fs";
import type { Matrix } from "../../../src/core/matrix.ts";
import { writeBundle } from "../../../src/io/node.ts";
import { blobs, gaussian, npyArray, npyOf, parseNpy, write } from "../data.ts";
import {
  checkCoordinates,
  checkKnn,
  checkMapper,
  checkPh,
  checkSom,
  firstNonFinite,
  geodesicReference,
  linearCka,
} from "../reference.ts";
import type { Check } from "../types.ts";
import { json } from "./common.ts";

export const N = 30;
export const D = 4;
export const EPOCHS = 5;
export const UNITS = 8;
export const SAMPLES = 12;

/** The inputs every command case reads: x.npy, y.npy, lab.npy, t.npy (epochs × units × samples), a.json, b.json, bundle/. */
export async function writeInputs(
  dir: string,
): Promise<{ X: Matrix; Y: Matrix; labels: Int32Array }> {
  const { X, labels } = blobs(N, D, 5);
  const Y = gaussian(N, 3, 6);
  write(dir, "x.npy", npyOf(X));
  write(dir, "y.npy", npyOf(Y));
  write(dir, "lab.npy", npyArray([N], labels));
  write(
    dir,
    "p.npy",
    npyOf({
      rows: N,
      cols: 3,
      data: Float32Array.from({ length: N * 3 }, (_, i) =>
        i % 3 === labels[Math.floor(i / 3)] ? 0.9 : 0.05,
      ),
    }),
  );
  write(
    dir,
    "t.npy",
    npyArray([EPOCHS, UNITS, SAMPLES], gaussian(EPOCHS * UNITS, SAMPLES, 8).data),
  );
  write(
    dir,
    "a.json",
    JSON.stringify({
      diagrams: {
        "0": [[0, null]],
        "1": [
          [0, 1],
          [0.5, 0.75],
        ],
      },
    }),
  );
  write(dir, "b.json", JSON.stringify({ diagrams: { "0": [[0, null]], "1": [[0, 1.2]] } }));
  await writeBundle(
    {
      name: "params",
      task: "classification",
      classNames: ["a", "b", "c"],
      layers: [
        { name: "h1", shape: [N, D], data: X.data },
        { name: "h2", shape: [N, 3], data: Y.data },
        { name: "c1", shape: [N, 2, 2, 2], data: gaussian(N, 8, 9).data },
      ],
      labels,
    },
    join(dir, "bundle"),
  );
  return { X, Y, labels };
}

/** The value of `--name` in argv (the last one given), or undefined. */
export function option(argv: string[], name: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}`) value = argv[i + 1];
    else if (argv[i].startsWith(`--${name}=`)) value = argv[i].slice(name.length + 3);
  }
  return value;
}

const numberOr = (text: string | undefined, fallback: number) =>
  text === undefined ? fallback : Number(text);

/** The check a successful run of `argv` on the standard inputs must pass. */
export function standardCheck(argv: string[], inputs: { X: Matrix; Y: Matrix }): Check {
  const [command] = argv;
  const { X, Y } = inputs;
  return ({ result, dir }) => {
    const out = result.stdout;
    if (option(argv, "format") === "csv")
      return out.trim() === ""
        ? "empty CSV"
        : /NaN|undefined|\[object/.test(out)
          ? "NaN/undefined in CSV"
          : null;
    switch (command) {
      case "knn": {
        const k = numberOr(option(argv, "k"), 5);
        const metric = option(argv, "metric") ?? "euclidean";
        const o = json(out);
        if (option(argv, "out-indices") || option(argv, "out-distances")) {
          const idx = option(argv, "out-indices");
          const dist = option(argv, "out-distances");
          const read = (f: string) => parseNpy(readFileSync(join(dir, f)));
          const nested = (a: Float64Array) =>
            Array.from({ length: X.rows }, (_, i) => Array.from(a.subarray(i * k, (i + 1) * k)));
          if (idx && dist)
            return checkKnn(
              { indices: nested(read(idx).data), distances: nested(read(dist).data) },
              X,
              k,
              metric,
            );
          return o.n === X.rows && o.k === k ? null : `summary ${out}`;
        }
        return checkKnn(o, X, k, metric);
      }
      case "geodesic": {
        const k = numberOr(option(argv, "k"), 10);
        const reference = geodesicReference(X, k);
        const sourcesText = option(argv, "sources");
        const sources =
          sourcesText === undefined
            ? reference.map((_, i) => i)
            : sourcesText.split(",").map(Number);
        let rows: (number | null)[][];
        if (option(argv, "out")) {
          const { shape, data } = parseNpy(readFileSync(join(dir, option(argv, "out")!)));
          if (shape[0] !== sources.length || shape[1] !== X.rows) return `--out has shape ${shape}`;
          rows = Array.from({ length: shape[0] }, (_, r) =>
            Array.from(data.subarray(r * X.rows, (r + 1) * X.rows), (v) =>
              Number.isFinite(v) ? v : null,
            ),
          );
        } else rows = json(out).distances;
        for (const [r, s] of sources.entries()) {
          for (let j = 0; j < X.rows; j++) {
            const want = reference[s][j];
            const got = rows[r][j];
            if (
              want === Infinity
                ? got !== null
                : got === null || Math.abs(got - want) > 1e-4 * Math.max(1, want)
            )
              return `D[${s}][${j}] = ${got}, Dijkstra ${want}`;
          }
        }
        return null;
      }
      case "embed": {
        const method = option(argv, "method");
        const d =
          method === "tsne" || method === "mda" || method === "phate"
            ? 2
            : numberOr(option(argv, "components"), 2);
        if (option(argv, "out")) {
          const { shape, data } = parseNpy(readFileSync(join(dir, option(argv, "out")!)));
          if (shape[0] !== X.rows || shape[1] !== d)
            return `--out has shape ${shape}, expected ${X.rows} × ${d}`;
          return data.every(Number.isFinite) ? null : "non-finite coordinates in --out";
        }
        return checkCoordinates(json(out).coordinates, X.rows, d);
      }
      case "ph": {
        const o = json(out);
        const maxdim = numberOr(option(argv, "maxdim"), 1);
        const plain =
          option(argv, "input") !== "distances" &&
          option(argv, "threshold") === undefined &&
          option(argv, "subsample") === undefined;
        return checkPh(o, plain ? X : null, maxdim);
      }
      case "cka": {
        const o = json(out);
        if (argv[1] === "bundle") return firstNonFinite(o.matrix, "matrix");
        if (argv.includes("--debiased")) return Number.isFinite(o.cka) ? null : `cka ${o.cka}`;
        const B = argv[2] === "x.npy" ? X : Y;
        const want = linearCka(X, B);
        return Math.abs(o.cka - want) < 1e-6 ? null : `cka ${o.cka}, formula ${want}`;
      }
      case "mapper":
        return checkMapper(json(out), X.rows, numberOr(option(argv, "min-intersection"), 1));
      case "som":
        return checkSom(
          json(out),
          X.rows,
          numberOr(option(argv, "rows"), 10) * numberOr(option(argv, "cols"), 10),
        );
      case "mphate": {
        const o = json(out);
        return o.points > 0 && Number.isFinite(o.t) ? null : `summary ${out.slice(0, 200)}`;
      }
      case "diagram-distance": {
        const o = json(out);
        if (o.distance === null)
          return option(argv, "infinite") === "match" || option(argv, "infinite") === "cap"
            ? null
            : "distance null";
        if (!(o.distance >= 0)) return `distance ${o.distance}`;
        const metric = option(argv, "metric") ?? "bottleneck";
        const dim = numberOr(option(argv, "dim"), 1);
        if (dim !== 1 || (option(argv, "infinite") ?? "drop") !== "drop") return null;
        // A = {(0,1), (0.5,0.75)}, B = {(0,1.2)}: (0,1)↔(0,1.2) costs 0.2 (L∞), (0.5,0.75) to the diagonal 0.125.
        if (metric === "bottleneck" && Math.abs(o.distance - 0.2) > 1e-9)
          return `bottleneck ${o.distance}, expected 0.2`;
        if (metric === "wasserstein" && (option(argv, "ground") ?? "inf") === "inf") {
          const q = numberOr(option(argv, "q"), 1);
          const want = (0.2 ** q + 0.125 ** q) ** (1 / q);
          if (Math.abs(o.distance - want) > 1e-6) return `W_${q} ${o.distance}, expected ${want}`;
        }
        return null;
      }
      case "info":
        return json(out).samples === N ? null : `samples ${json(out).samples}`;
      default:
        return null;
    }
  };
}
