/** Checks shared by the case families. */
import { join } from "node:path";
import type { Matrix } from "../../../src/core/matrix.ts";
import { answerMatrix, ask } from "../oracle.ts";
import { checkKnn } from "../reference.ts";
import type { Check } from "../types.ts";

export const json = (stdout: string): any => JSON.parse(stdout);

/** `knn --k K` output equals brute force on X. */
export function knnAgainst(X: Matrix, k = 1, metric = "euclidean"): Check {
  return ({ result }) => checkKnn(json(result.stdout), X, k, metric);
}

function hasNonFinite(X: Matrix): boolean {
  for (const v of X.data) if (!Number.isFinite(v)) return true;
  return false;
}

/**
 * `knn FILE --k 1` on a mutated .npy: NumPy's reading of the file is the expectation. When
 * NumPy refuses it, a reader that still answers must answer for `intended` (the unmutated
 * data: a lenient reading of a harmless header deviation), or it has read garbage.
 */
export function npyKnnCheck(file: string, intended?: Matrix): Check {
  return async ({ result, dir }) => {
    const answer = await ask("npy", join(dir, file));
    let X: Matrix;
    if (answer.crashed && !intended) return null;
    if (answer.ok) X = answerMatrix(answer);
    else if (intended) {
      X = intended;
      const problem = checkKnn(json(result.stdout), X, 1);
      return problem
        ? `NumPy refuses the file (${answer.error}) and the answer is not the intended data's: ${problem}`
        : null;
    } else return `NumPy refuses the file (${answer.error}) but knn answered`;
    if (X.rows < 2) return `${X.rows} row(s): knn --k 1 must be refused`;
    if (hasNonFinite(X)) return "NaN/Infinity in the data were not refused";
    return checkKnn(json(result.stdout), X, 1);
  };
}

/** `info` output lists exactly these layers (name and shape) and sample count. */
export function infoLayers(layers: { name: string; shape: number[] }[], samples: number): Check {
  return ({ result }) => {
    const info = json(result.stdout);
    if (info.samples !== samples) return `samples ${info.samples}, expected ${samples}`;
    const got = (info.layers ?? [])
      .map((l: { name: string; shape: number[] }) => `${l.name}:${l.shape.join("x")}`)
      .join(", ");
    const want = layers.map((l) => `${l.name}:${l.shape.join("x")}`).join(", ");
    return got === want ? null : `layers ${got}, expected ${want}`;
  };
}
