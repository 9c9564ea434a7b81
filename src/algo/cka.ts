/**
 * Linear centred kernel alignment (CKA) between two representations of the same samples, and
 * the CKA matrix between many layers (assembly/cka.ts).
 *
 * CKA(X, Y) = HSIC(X, Y) / √(HSIC(X, X) · HSIC(Y, Y)) with linear kernels. The plain estimator
 * uses HSIC ∝ ‖Yᵀ X‖²_F on column-centred X, Y (Kornblith et al. 2019, eq. 5). The debiased
 * estimator (`debiased: true`) uses the unbiased HSIC of Song et al. (2012), written in feature
 * space as Kornblith's notebook does:
 *   HSIC₁(X, Y) ∝ ‖Yᵀ X‖²_F − n/(n − 2) · Σᵢ ‖xᵢ‖²‖yᵢ‖² + ‖X‖²_F ‖Y‖²_F / ((n − 1)(n − 2)),
 * which removes the upward bias of CKA between unrelated high-dimensional representations
 * (it needs n ≥ 4, and can be slightly negative).
 *
 * Two routes to the same sums (`form`): the feature form above costs n·dx·dy per pair and holds
 * the centred columns (8·n·d bytes per representation); the Gram form builds each centred Gram
 * matrix K = X̃X̃ᵀ once (n²·d/2 multiply-adds, 8·n² bytes, streamed over column blocks so no
 * centred copy is kept) and then costs n²/2 per pair, using ‖YᵀX‖²_F = ⟨K, L⟩, ‖xᵢ‖² = Kᵢᵢ and
 * ‖X‖²_F = tr K. "auto" picks the form with fewer multiply-adds that fits in memory — the Gram
 * form when representations are wider than there are samples (`--vectorize flatten` of conv
 * maps: n·d² is hours, n²·d minutes). Before a run of more than 1e10 multiply-adds the progress
 * stage names the form, the estimate and the memory; past the memory budget the call refuses
 * with E_TOO_LARGE and the bytes needed.
 *
 * Both equal the Gram-matrix forms of google-research's `cka(gram_linear(X), gram_linear(Y),
 * debiased)` exactly in exact arithmetic; sums are float64, which holds every float32 value's
 * products (CKA is normalised as xy / (√xx·√yy), so the products of sums never overflow). CKA
 * is invariant to orthogonal transforms, isotropic scaling and translation of either
 * representation. A representation with zero variance (a dead layer) gives NaN, as in the
 * reference.
 *
 * @example
 *   const {cka} = await linearCka(layer1, layer2);              // Kornblith et al. 2019
 *   const {matrix} = await ckaMatrix([l1, l2, l3], {debiased: true});
 *
 * References:
 *   1. S. Kornblith, M. Norouzi, H. Lee, G. Hinton, Similarity of neural network
 *      representations revisited, ICML 2019.
 *   2. L. Song, A. Smola, A. Gretton, J. Bedo, K. Borgwardt, Feature selection via dependence
 *      maximization, JMLR 13, 2012 (unbiased HSIC).
 *   3. T. Nguyen, M. Raghu, S. Kornblith, Do wide and deep networks learn the same things?,
 *      ICLR 2021 (debiased CKA in practice).
 *
 * See also: layerTopology (src/analyses/layer-topology.ts).
 */
import { HiddenAtlasError, formatBytes } from "../core/errors.ts";
import { assertFinite, assertMatrix, type Matrix } from "../core/matrix.ts";
import { checkBoolean, checkKeyword, checkOptionNames } from "../core/params.ts";
import { ProgressTracker, type RunOptions } from "../core/progress.ts";
import { WASM32_MAX_BYTES, getCore, type Core, type Scope, type WasmArray } from "../core/wasm.ts";

declare module "../core/wasm.ts" {
  interface CoreKernels {
    ckaCenterTranspose(x: number, n: number, d: number, means: number, out: number): void;
    ckaCrossSquaredNorm(
      a: number,
      da: number,
      b: number,
      db: number,
      n: number,
      a0: number,
      a1: number,
    ): number;
    ckaRowSquaredNorms(a: number, d: number, n: number, out: number): void;
    ckaCenterBlock(
      x: number,
      n: number,
      d: number,
      means: number,
      c0: number,
      c1: number,
      out: number,
    ): void;
    ckaGramAccumulate(
      block: number,
      n: number,
      b: number,
      gram: number,
      i0: number,
      i1: number,
    ): void;
    ckaGramInner(k: number, l: number, n: number): number;
    ckaGramInnerRows(k: number, l: number, n: number, i0: number, i1: number, out: number): void;
    ckaGramInnerSum(terms: number, n: number): number;
  }
}

export const CKA_FORMS = ["auto", "feature", "gram"] as const;
export type CkaForm = (typeof CKA_FORMS)[number];

export interface CkaOptions extends RunOptions {
  /** Use the debiased (unbiased-HSIC) estimator. Defaults to false (Kornblith et al. 2019). */
  debiased?: boolean;
  /**
   * "auto" (default: the form with fewer multiply-adds that fits in memory), "feature" (n·dx·dy
   * per pair, Kornblith's feature-space formula) or "gram" (n × n Gram matrices: n²·d per
   * representation, then n² per pair). Both give the same value to rounding.
   */
  form?: CkaForm;
}

/** What a CKA call will cost, estimated before it runs. */
export interface CkaCost {
  form: "feature" | "gram";
  /** Multiply-adds of the whole call. */
  multiplyAdds: number;
  /** Peak WebAssembly memory in bytes. */
  bytes: number;
}

export interface CkaResult {
  /** The CKA value: 1 for representations equal up to rotation, scale and shift. */
  cka: number;
  /** The three (scaled) HSIC values it is made of: xy, xx, yy. */
  hsic: { xy: number; xx: number; yy: number };
  /** Samples. */
  n: number;
  /** The options as resolved: `form` is the route "auto" chose. */
  params: { debiased: boolean; form: "feature" | "gram" };
  cost: CkaCost;
}

export interface CkaMatrixResult {
  /** size × size, row-major, symmetric, ones on the diagonal (NaN for a zero-variance layer). */
  matrix: Float64Array;
  size: number;
  n: number;
  params: { debiased: boolean; form: "feature" | "gram" };
  cost: CkaCost;
}

const defaults = { debiased: false, form: "auto" as CkaForm };

/** Multiply-adds per kernel call between progress checkpoints. */
const CHUNK_MULTIPLY_ADDS = 2e7;
/** Row chunks of a Gram matrix block at least (for the kernel threads). */
const GRAM_CHUNKS = 32;
/** Above this many multiply-adds (~10 s in one thread) the progress stage names the estimate. */
export const LONG_RUN_MULTIPLY_ADDS = 1e10;
/** One centred column block of the Gram form: a few MiB, so it stays in cache while K is swept. */
const GRAM_BLOCK_BYTES = 4 * 1024 ** 2;

/** The sums one representation contributes to every HSIC. */
interface Sums {
  d: number;
  /** ‖xᵢ‖² of every centred sample (for the debiased estimator). */
  rowNorms: Float64Array;
  /** ‖X‖²_F. */
  total: number;
}

/** Feature form: the centred columns as rows (d × n f64). */
interface Centered extends Sums {
  columns: WasmArray<Float64Array>;
}

/** Gram form: the centred Gram matrix (n × n f64, upper triangle valid). */
interface Gram extends Sums {
  gram: WasmArray<Float64Array>;
}

/** Columns per block of the Gram form for n samples. */
function gramBlock(n: number, d: number): number {
  return Math.max(1, Math.min(d, Math.floor(GRAM_BLOCK_BYTES / (8 * n))));
}

/**
 * The cost of CKA between every pair i ≤ j of representations with these widths (`pairs` lists
 * the pairs computed), in both forms, and the one "auto" takes: fewer multiply-adds among the
 * forms that fit in `budget` bytes (default: the wasm32 limit; linearCka and ckaMatrix pass the
 * memory still available). When neither fits, the smaller one (which the call then refuses).
 */
export function ckaCost(
  n: number,
  widths: number[],
  pairs: [number, number][],
  form: CkaForm = "auto",
  budget = WASM32_MAX_BYTES,
): CkaCost {
  const widest = Math.max(...widths);
  const upload = 4 * n * widest;
  let featureAdds = 0;
  for (const [i, j] of pairs) featureAdds += n * widths[i] * widths[j];
  const featureBytes = widths.reduce((a, d) => a + 8 * n * d + 8 * n, 0) + upload + 8 * widest;
  let gramAdds = pairs.length * ((n * (n + 1)) / 2);
  for (const d of widths) gramAdds += (n * (n + 1) * d) / 2;
  const gramBytes =
    widths.length * 8 * n * n +
    upload +
    8 * n * gramBlock(n, widest) +
    8 * widest +
    widths.length * 8 * n;
  const feature: CkaCost = { form: "feature", multiplyAdds: featureAdds, bytes: featureBytes };
  const gram: CkaCost = { form: "gram", multiplyAdds: gramAdds, bytes: gramBytes };
  if (form === "feature") return feature;
  if (form === "gram") return gram;
  const fits = [feature, gram].filter((c) => c.bytes <= budget);
  if (fits.length === 0) return feature.bytes <= gram.bytes ? feature : gram;
  return fits.reduce((a, b) => (b.multiplyAdds < a.multiplyAdds ? b : a));
}

/** Refuse a plan over the memory budget; name a long one in the progress stage. */
function announce(core: Core, cost: CkaCost, n: number, options: RunOptions): ProgressTracker {
  core.assertFits(cost.bytes, `CKA of ${n} samples (${cost.form} form)`);
  const long = cost.multiplyAdds > LONG_RUN_MULTIPLY_ADDS;
  const stage = long
    ? `CKA (${cost.form} form: ${cost.multiplyAdds.toPrecision(2)} multiply-adds, ${formatBytes(cost.bytes)})`
    : "CKA";
  return new ProgressTracker(options, stage, cost.multiplyAdds);
}

function center(core: Core, s: Scope, X: Matrix, name: string): Centered {
  const k = core.kernels;
  const n = X.rows;
  const columns = s.f64(X.cols * n, `${name} centred columns`);
  const norms = s.f64(n, `${name} row norms`);
  core.scope((inner) => {
    const x = inner.upload(X.data, `${name} values`);
    const means = inner.f64(X.cols, `${name} means`);
    k.ckaCenterTranspose(x.ptr, n, X.cols, means.ptr, columns.ptr);
  });
  k.ckaRowSquaredNorms(columns.ptr, X.cols, n, norms.ptr);
  const rowNorms = norms.copy();
  let total = 0;
  for (let i = 0; i < n; i++) total += rowNorms[i];
  return { columns, d: X.cols, rowNorms, total };
}

/** The centred Gram matrix of X, built over column blocks, with progress between chunks. */
async function gramOf(
  core: Core,
  s: Scope,
  X: Matrix,
  name: string,
  progress: ProgressTracker,
  base: number,
): Promise<Gram> {
  const k = core.kernels;
  const { rows: n, cols: d } = X;
  const gram = s.f64(n * n, `${name} Gram matrix`);
  gram.view().fill(0);
  const b = gramBlock(n, d);
  // Chunks of rows on the kernel threads: each writes only its rows of K, every entry summed
  // over the column blocks in order, so K is the same bytes on any thread count. Small chunks
  // (about n / 32 rows) balance the upper triangle's longer first rows between threads.
  const rowsPerCall = Math.max(
    2,
    Math.min(
      Math.floor(CHUNK_MULTIPLY_ADDS / Math.max(1, n * b)) & ~1,
      2 * Math.ceil(n / GRAM_CHUNKS / 2),
    ),
  );
  await core.scope(async (inner) => {
    const x = inner.upload(X.data, `${name} values`);
    const means = inner.f64(d, `${name} means`);
    k.columnMeans(x.ptr, n, d, means.ptr);
    const block = inner.f64(n * b, `${name} centred block`);
    let done = base;
    for (let c0 = 0; c0 < d; c0 += b) {
      const c1 = Math.min(d, c0 + b);
      k.ckaCenterBlock(x.ptr, n, d, means.ptr, c0, c1, block.ptr);
      // The upper triangle holds n(n + 1)/2 entries; progress by rows done, roughly.
      const work = (n * (n + 1) * (c1 - c0)) / 2;
      await core.parallelRows(
        {
          kernel: "ckaGramAccumulate",
          rows: n,
          chunk: rowsPerCall,
          args: [block.ptr, n, c1 - c0, gram.ptr, { i0: 1 }, { i1: 1 }],
        },
        { signal: progress.signal, onRows: (rows) => progress.report(done + (work * rows) / n) },
      );
      done += work;
      await progress.step(done);
    }
  });
  const view = gram.view();
  const rowNorms = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) total += rowNorms[i] = view[i * n + i];
  return { gram, d, rowNorms, total };
}

/** ‖Bᵀ A‖²_F in row chunks of A, with progress between chunks. */
async function crossNorm(
  core: Core,
  a: Centered,
  b: Centered,
  n: number,
  progress: ProgressTracker,
  base: number,
): Promise<number> {
  const rows = Math.max(2, Math.floor(CHUNK_MULTIPLY_ADDS / Math.max(1, n * b.d)) & ~1);
  // Chunks of A's columns on the kernel threads; their sums added here in chunk order (the
  // chunks do not depend on the thread count, so neither does the total).
  const sums = (await core.parallelRows(
    {
      kernel: "ckaCrossSquaredNorm",
      rows: a.d,
      chunk: rows,
      args: [a.columns.ptr, a.d, b.columns.ptr, b.d, n, { i0: 1 }, { i1: 1 }],
      results: true,
    },
    {
      signal: progress.signal,
      onRows: (done) => progress.report(base + (done / a.d) * n * a.d * b.d),
    },
  ))!;
  let total = 0;
  for (const v of sums) total += v;
  await progress.step(base + n * a.d * b.d);
  return total;
}

/** The HSIC estimate from ‖YᵀX‖², the row norms and the totals (Kornblith's helper). */
function hsic(cross: number, a: Sums, b: Sums, n: number, debiased: boolean): number {
  if (!debiased) return cross;
  let rowProduct = 0;
  for (let i = 0; i < n; i++) rowProduct += a.rowNorms[i] * b.rowNorms[i];
  return cross - (n / (n - 2)) * rowProduct + (a.total * b.total) / ((n - 1) * (n - 2));
}

/**
 * xy / √(xx·yy). When the product of the two sums would overflow or underflow float64 (inputs
 * near float32's limits: sums past 1e154 or below 1e-154), √xx·√yy instead.
 */
function normalise(xy: number, xx: number, yy: number): number {
  const product = xx * yy;
  if (Number.isFinite(product) && product > Number.MIN_VALUE * 2 ** 53)
    return xy / Math.sqrt(product);
  return xy / (Math.sqrt(xx) * Math.sqrt(yy));
}

function checkLayers(layers: Matrix[], debiased: boolean): number {
  if (layers.length === 0)
    throw new HiddenAtlasError("E_PARAM", "CKA needs at least one representation");
  layers.forEach((m, i) => assertMatrix(m, `representation ${i}`));
  const n = layers[0].rows;
  layers.forEach((m, i) => {
    if (m.rows !== n) {
      throw new HiddenAtlasError(
        "E_SHAPE_MISMATCH",
        `representation ${i} has ${m.rows} rows but representation 0 has ${n}: CKA compares the same samples`,
      );
    }
    if (m.cols < 1)
      throw new HiddenAtlasError("E_SHAPE_MISMATCH", `representation ${i} has no columns`);
  });
  const minimum = debiased ? 4 : 2;
  if (n < minimum) {
    throw new HiddenAtlasError(
      "E_PARAM",
      `${debiased ? "debiased " : ""}CKA needs at least ${minimum} samples; got ${n}`,
    );
  }
  layers.forEach((m, i) => assertFinite(m, `representation ${i}`));
  return n;
}

/** HSIC of every listed pair of representations, by the planned form. */
async function pairHsic(
  core: Core,
  layers: Matrix[],
  pairs: [number, number][],
  cost: CkaCost,
  n: number,
  debiased: boolean,
  progress: ProgressTracker,
): Promise<number[]> {
  return core.scope(async (s) => {
    const out: number[] = [];
    if (cost.form === "gram") {
      const grams: Gram[] = [];
      let done = 0;
      for (let i = 0; i < layers.length; i++) {
        grams.push(await gramOf(core, s, layers[i], `representation ${i}`, progress, done));
        done += (n * (n + 1) * layers[i].cols) / 2;
      }
      const terms = s.f64(2 * n, "Gram inner product terms");
      for (const [i, j] of pairs) {
        // Rows' terms on the kernel threads, added in row order (ckaGramInner's bytes).
        await core.parallelRows(
          {
            kernel: "ckaGramInnerRows",
            rows: n,
            chunk: Math.max(1, Math.ceil(n / GRAM_CHUNKS)),
            args: [grams[i].gram.ptr, grams[j].gram.ptr, n, { i0: 1 }, { i1: 1 }, terms.ptr],
          },
          { signal: progress.signal },
        );
        out.push(hsic(core.kernels.ckaGramInnerSum(terms.ptr, n), grams[i], grams[j], n, debiased));
        done += (n * (n + 1)) / 2;
        await progress.step(done);
      }
      return out;
    }
    const centered = layers.map((m, i) => center(core, s, m, `representation ${i}`));
    let done = 0;
    for (const [i, j] of pairs) {
      out.push(
        hsic(
          await crossNorm(core, centered[i], centered[j], n, progress, done),
          centered[i],
          centered[j],
          n,
          debiased,
        ),
      );
      done += n * layers[i].cols * layers[j].cols;
    }
    return out;
  });
}

function resolve(what: string, options: CkaOptions) {
  checkOptionNames(what, options, defaults);
  return {
    debiased: checkBoolean("debiased", options.debiased ?? defaults.debiased),
    form: checkKeyword("form", options.form ?? defaults.form, CKA_FORMS),
  };
}

/**
 * Linear CKA between two representations of the same n samples (n × dx and n × dy).
 * Throws E_SHAPE_MISMATCH when the row counts differ, E_NON_FINITE on NaN/∞, E_PARAM for
 * invalid options or too few samples, E_TOO_LARGE (with the bytes) when neither form fits.
 */
export async function linearCka(
  X: Matrix,
  Y: Matrix,
  options: CkaOptions = {},
): Promise<CkaResult> {
  const p = resolve("linearCka", options);
  const n = checkLayers([X, Y], p.debiased);
  const core = await getCore();
  const pairs: [number, number][] = [
    [0, 1],
    [0, 0],
    [1, 1],
  ];
  const cost = ckaCost(n, [X.cols, Y.cols], pairs, p.form, core.availableBytes);
  const progress = announce(core, cost, n, options);
  const [xy, xx, yy] = await pairHsic(core, [X, Y], pairs, cost, n, p.debiased, progress);
  progress.finish();
  return {
    cka: normalise(xy, xx, yy),
    hsic: { xy, xx, yy },
    n,
    params: { debiased: p.debiased, form: cost.form },
    cost,
  };
}

/**
 * CKA between every pair of representations of the same n samples: the L × L matrix of
 * Kornblith et al.'s layer-similarity heatmaps. Feature form: each layer centred once, each pair
 * O(n · dᵢ · dⱼ); Gram form: each layer's Gram matrix once, O(n² · dᵢ), each pair O(n²).
 */
export async function ckaMatrix(
  layers: Matrix[],
  options: CkaOptions = {},
): Promise<CkaMatrixResult> {
  const p = resolve("ckaMatrix", options);
  const n = checkLayers(layers, p.debiased);
  const L = layers.length;
  const core = await getCore();
  const pairs: [number, number][] = [];
  for (let i = 0; i < L; i++) for (let j = i; j < L; j++) pairs.push([i, j]);
  const cost = ckaCost(
    n,
    layers.map((m) => m.cols),
    pairs,
    p.form,
    core.availableBytes,
  );
  const progress = announce(core, cost, n, options);
  const values = await pairHsic(core, layers, pairs, cost, n, p.debiased, progress);
  progress.finish();
  const h = new Float64Array(L * L);
  pairs.forEach(([i, j], t) => {
    h[i * L + j] = values[t];
    h[j * L + i] = values[t];
  });
  const matrix = new Float64Array(L * L);
  for (let i = 0; i < L; i++) {
    for (let j = 0; j < L; j++)
      matrix[i * L + j] = normalise(h[i * L + j], h[i * L + i], h[j * L + j]);
  }
  return { matrix, size: L, n, params: { debiased: p.debiased, form: cost.form }, cost };
}
