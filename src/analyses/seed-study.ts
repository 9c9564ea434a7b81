/**
 * Statistics of a study over networks trained from several seeds: how a layer × layer matrix
 * varies over the seeds, and whether a similarity measure tells layers apart across seeds.
 *
 * Specificity is Kornblith, Norouzi, Lee & Hinton's test of a similarity index (ICML 2019, §6.1
 * "a sanity check"): for layer i of network A, find the layer of network B (the same
 * architecture, another seed) nearest to it; a measure that captures what is specific to a layer
 * finds layer i. We count, over every ordered pair of networks (A, B) with A ≠ B and every layer
 * i, how often the nearest layer is i; chance is 1/L for L layers. A tie at the nearest value
 * between k layers, i among them, counts 1/k (the expected score of breaking the tie at random).
 */

/** Mean, standard deviation (over the runs, n − 1) and range of each entry of equal-length matrices. */
export interface MatrixSpread {
  mean: Float64Array;
  sd: Float64Array;
  min: Float64Array;
  max: Float64Array;
  /** Runs the statistics are over. */
  runs: number;
}

/** Entrywise mean, sample standard deviation, min and max over `matrices` (at least one). */
export function matrixSpread(matrices: readonly ArrayLike<number>[]): MatrixSpread {
  const runs = matrices.length;
  if (runs === 0) throw new Error("matrixSpread needs at least one matrix");
  const size = matrices[0].length;
  const mean = new Float64Array(size);
  const sd = new Float64Array(size);
  const min = new Float64Array(size).fill(Infinity);
  const max = new Float64Array(size).fill(-Infinity);
  for (let k = 0; k < size; k++) {
    let s = 0;
    for (const m of matrices) {
      s += m[k];
      min[k] = Math.min(min[k], m[k]);
      max[k] = Math.max(max[k], m[k]);
    }
    mean[k] = s / runs;
    let ss = 0;
    for (const m of matrices) ss += (m[k] - mean[k]) ** 2;
    sd[k] = runs > 1 ? Math.sqrt(ss / (runs - 1)) : 0;
  }
  return { mean, sd, min, max, runs };
}

/** How often each layer's nearest layer in another seed's network is the same layer. */
export interface Specificity {
  /** Over all ordered pairs and layers: the fraction of layers whose nearest layer is themselves. */
  mean: number;
  /** Standard deviation of the per-pair fractions over the ordered pairs (n − 1). */
  sd: number;
  /** Lowest and highest per-pair fraction. */
  min: number;
  max: number;
  /** For each layer, the fraction of ordered pairs in which its nearest layer is itself. */
  perLayer: number[];
  /** Ordered pairs of networks (A, B), A ≠ B. */
  pairs: number;
  /** 1/L: the expected score of a measure that cannot tell layers apart. */
  chance: number;
}

/**
 * Specificity from cross-network blocks: `block(a, b)` is the L × L matrix (row-major) whose
 * entry (i, j) compares layer i of network a with layer j of network b. `nearest` says whether
 * a smaller value is nearer (a distance) or a larger one (a similarity such as CKA).
 */
export function layerSpecificity(
  runs: number,
  L: number,
  block: (a: number, b: number) => ArrayLike<number>,
  nearest: "smaller" | "larger",
): Specificity {
  if (runs < 2) throw new Error("specificity needs at least two networks");
  const sign = nearest === "smaller" ? 1 : -1;
  const perPair: number[] = [];
  const perLayer = new Array<number>(L).fill(0);
  for (let a = 0; a < runs; a++) {
    for (let b = 0; b < runs; b++) {
      if (a === b) continue;
      const m = block(a, b);
      let hits = 0;
      for (let i = 0; i < L; i++) {
        let best = Infinity;
        for (let j = 0; j < L; j++) {
          const v = sign * m[i * L + j];
          if (v < best) best = v;
        }
        // A NaN entry (a constant layer) is never nearest; a row of NaN scores chance.
        let tied = 0;
        let self = false;
        for (let j = 0; j < L; j++) {
          if (sign * m[i * L + j] === best) {
            tied++;
            if (j === i) self = true;
          }
        }
        const credit = tied === 0 ? 1 / L : self ? 1 / tied : 0;
        hits += credit;
        perLayer[i] += credit;
      }
      perPair.push(hits / L);
    }
  }
  const pairs = perPair.length;
  const mean = perPair.reduce((s, v) => s + v, 0) / pairs;
  const sd =
    pairs > 1 ? Math.sqrt(perPair.reduce((s, v) => s + (v - mean) ** 2, 0) / (pairs - 1)) : 0;
  return {
    mean,
    sd,
    min: Math.min(...perPair),
    max: Math.max(...perPair),
    perLayer: perLayer.map((v) => v / pairs),
    pairs,
    chance: 1 / L,
  };
}

/** One score over runs from several seeds. */
export interface SeedSpread {
  /** The score of each run, in the order of the seeds. */
  values: number[];
  mean: number;
  /** Sample standard deviation over the runs (n − 1; 0 for one run). */
  sd: number;
  min: number;
  max: number;
}

/** Mean, sample standard deviation (n − 1), min and max of one score over runs (at least one). */
export function seedSpread(values: number[]): SeedSpread {
  const n = values.length;
  if (n === 0) throw new Error("seedSpread needs at least one value");
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { values, mean, sd, min: Math.min(...values), max: Math.max(...values) };
}

/** Whether two spreads' means are further apart than twice their combined standard deviation. */
export function clearlyApart(a: SeedSpread, b: SeedSpread): boolean {
  return Math.abs(a.mean - b.mean) > 2 * Math.hypot(a.sd, b.sd);
}

/**
 * A spread as text: "0.912 ± 0.004" (mean ± sd, `digits` decimals), or "—" when the score is
 * undefined (a correlation or CKA of values without variance).
 *
 * @example
 *   formatSpread(seedSpread([1, 2, 3])); // "2.000 ± 1.000"
 *   formatSpread(seedSpread([4, 6]), 1); // "5.0 ± 1.4"
 */
export function formatSpread(s: { mean: number; sd: number }, digits = 3): string {
  return Number.isFinite(s.mean) ? `${s.mean.toFixed(digits)} ± ${s.sd.toFixed(digits)}` : "—";
}

/**
 * The headline of a seed study, in the notebook and in its report: the paper's claim, what we
 * measured over the seeds, and where that confirms the claim, where not, and why. Plain
 * sentences, in order.
 */
export interface ClaimFindings {
  claim: string;
  measured: string[];
  verdict: string[];
}

/** The words that introduce a claim check's verdict. */
export const VERDICT_LEAD = "Where we confirm it, where not, and why.";

/** A claim check as report text: claim, measurements and verdict as three paragraphs. */
export function claimText(f: ClaimFindings): string {
  return [f.claim, f.measured.join(" "), `${VERDICT_LEAD} ${f.verdict.join(" ")}`].join("\n\n");
}
