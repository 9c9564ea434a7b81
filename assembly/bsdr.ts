// Bayesian supervised dimensionality reduction (BSDR), mean-field variational inference.
//
// M. Gönen, "Bayesian Supervised Dimensionality Reduction", IEEE Trans. Cybernetics 43(6),
// 2179–2189, 2013: a multinomial-probit classifier on a learnt R-dimensional linear subspace.
//   q_ds ~ N(0, φ_ds⁻¹), φ_ds ~ Gamma(α_φ, β_φ)        (projection Q, D × R, entrywise prior)
//   z_i ~ N(Qᵀx_i, σ_z² I_R)                            (latent coordinates)
//   b_c ~ N(0, λ_c⁻¹), λ_c ~ Gamma(α_λ, β_λ); w_sc ~ N(0, ψ_sc⁻¹), ψ_sc ~ Gamma(α_ψ, β_ψ)
//   t_ci ~ N(w_cᵀz_i + b_c, 1); y_i = argmax_c t_ci
// Gamma is shape/scale (E = α·β); posterior shapes are α + ½. Written from these equations and
// the paper's variational update list (the reference code's licence forbids derivatives;
// it was not consulted). One sweep updates, in order: φ, Q (column by column), Z, λ and ψ,
// (b, W) class by class, T. The truncated-normal moments of T are Monte-Carlo estimates over
// S standard-normal draws u per class and sweep (shared by the samples of the class), in log
// space (spec pitfall 7):  L_s = Σ_k≠c log Φ(u_s + m_c − m_k),
//   E t_k = m_k − Σ_s w_s ϕ(x_ks)/Φ(x_ks) with w_s = e^{L_s} / Σ e^{L_s}  (k ≠ c),
//   E t_c = m_c + Σ_k≠c (m_k − E t_k).
// log Φ and ϕ/Φ come from a table on [TABLE_MIN_X, TABLE_MAX_X] (cubic Hermite with exact
// derivatives) built from the erfc approximation of Numerical Recipes §6.2 (fractional error
// < 1.2e-7 everywhere), far below the Monte-Carlo noise (≈ S^−½), and from the asymptotic
// series below the table (`phiTerms`).
// The ELBO is not computed (spec pitfall 6). Linear solves use Cholesky factors; XXᵀ = FᵀF is
// formed once.
//
// Memory contract: a pointer table (i32 slots, see SLOT_*) names f64 arrays owned by the
// caller: F N × D (row i = x_i), labels i32 N in [0, K), the variational state and a scratch
// block of bsdrScratchDoubles(N, D, R, K, S) doubles. Layouts: μ_Q, Σ_Q-diagonals and φ
// scales D × R; μ_Z R × N; Σ_Z R × R; λ scales K; ψ scales R × K; μ_bW (R + 1) × K (row 0 = b);
// Σ_bW K blocks of (R + 1)²; μ_T K × N. bsdrProject writes P = F·μ_Q (f32 N × R).
// Complexity per sweep: O(R·D³/3) Cholesky + O(N·D·R + N·R·K + K·R³) products
// + O(N·S·K) truncated-normal terms.

import { nextNormal } from "./random";

// @ts-ignore: decorator
@inline const SLOT_F: i32 = 0;
// @ts-ignore: decorator
@inline const SLOT_XXT: i32 = 1;
// @ts-ignore: decorator
@inline const SLOT_LABELS: i32 = 2;
// @ts-ignore: decorator
@inline const SLOT_MU_Q: i32 = 3;
// @ts-ignore: decorator
@inline const SLOT_SIGMA_Q_DIAG: i32 = 4;
// @ts-ignore: decorator
@inline const SLOT_PHI_SCALE: i32 = 5;
// @ts-ignore: decorator
@inline const SLOT_MU_Z: i32 = 6;
// @ts-ignore: decorator
@inline const SLOT_SIGMA_Z: i32 = 7;
// @ts-ignore: decorator
@inline const SLOT_LAMBDA_SCALE: i32 = 8;
// @ts-ignore: decorator
@inline const SLOT_PSI_SCALE: i32 = 9;
// @ts-ignore: decorator
@inline const SLOT_MU_BW: i32 = 10;
// @ts-ignore: decorator
@inline const SLOT_SIGMA_BW: i32 = 11;
// @ts-ignore: decorator
@inline const SLOT_MU_T: i32 = 12;
// @ts-ignore: decorator
@inline const SLOT_SCRATCH: i32 = 13;
// @ts-ignore: decorator
@inline const SLOT_COUNT: i32 = 14;

// Table of log Φ and ϕ/Φ: x in [TABLE_MIN_X, TABLE_MAX_X], TABLE_STEPS_PER_UNIT nodes per unit.
// Above TABLE_MAX_X, Φ(x) = 1 − O(6e-16): log Φ = 0 and ϕ/Φ = 0 to double precision.
// @ts-ignore: decorator
@inline const TABLE_MIN_X: f64 = -32.0;
// @ts-ignore: decorator
@inline const TABLE_MAX_X: f64 = 8.0;
// @ts-ignore: decorator
@inline const TABLE_STEPS_PER_UNIT: f64 = 32.0;
// @ts-ignore: decorator
@inline const TABLE_NODES: i32 = 1281; // (8 − (−32))·32 + 1
// ½·ln(2π) and 2/√(2π).
// @ts-ignore: decorator
@inline const HALF_LOG_TWO_PI: f64 = 0.9189385332046727;
// @ts-ignore: decorator
@inline const TWO_OVER_SQRT_TWO_PI: f64 = 0.7978845608028654;
// @ts-ignore: decorator
@inline const SQRT_HALF: f64 = 0.7071067811865476;
// Posterior Gamma shapes are α + ½ (one observation per precision).
// @ts-ignore: decorator
@inline const HALF: f64 = 0.5;

// @ts-ignore: decorator
@inline function f64At(p: usize, i: i32): usize {
  return p + ((<usize>i) << 3);
}
// @ts-ignore: decorator
@inline function slot(table: usize, s: i32): usize {
  return <usize>load<u32>(table + ((<usize>s) << 2));
}

/** Numerical Recipes `erfcc` exponent: erfc(z) = t·exp(−z² + poly(t)), t = 1/(1 + z/2), z ≥ 0. */
// @ts-ignore: decorator
@inline function erfcPoly(t: f64): f64 {
  return (
    -1.26551223 +
    t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 +
    t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
  );
}

/** log Φ(x), direct. */
function logPhiDirect(x: f64): f64 {
  if (x <= 0) {
    const z = -x * SQRT_HALF;
    const t = 1.0 / (1.0 + 0.5 * z);
    return -Math.LN2 + Math.log(t) - z * z + erfcPoly(t);
  }
  const z = x * SQRT_HALF;
  const t = 1.0 / (1.0 + 0.5 * z);
  return Math.log1p(-0.5 * t * Math.exp(-z * z + erfcPoly(t)));
}

/** ϕ(x)/Φ(x), direct. */
function millsDirect(x: f64): f64 {
  if (x <= 0) {
    const z = -x * SQRT_HALF;
    const t = 1.0 / (1.0 + 0.5 * z);
    return (TWO_OVER_SQRT_TWO_PI * Math.exp(-erfcPoly(t))) / t;
  }
  return Math.exp(-0.5 * x * x - HALF_LOG_TWO_PI - logPhiDirect(x));
}

// Table layout (4 doubles per node): log Φ, ϕ/Φ (= d log Φ/dx), ϕ/Φ, d(ϕ/Φ)/dx = −λ(x + λ).
function buildTable(table: usize): void {
  for (let i = 0; i < TABLE_NODES; i++) {
    const x = TABLE_MIN_X + <f64>i / TABLE_STEPS_PER_UNIT;
    const lp = logPhiDirect(x);
    const m = millsDirect(x);
    store<f64>(f64At(table, 4 * i), lp);
    store<f64>(f64At(table, 4 * i + 1), m);
    store<f64>(f64At(table, 4 * i + 2), m);
    store<f64>(f64At(table, 4 * i + 3), -m * (x + m));
  }
}

// Outputs of phiTerms besides its return value (AssemblyScript functions return one value):
// ϕ(x)/Φ(x), and for x below the table a factor whose log still belongs to log Φ(x).
let millsOut: f64 = 0;
let factorOut: f64 = 1;

// A running product of factorOut values is folded into a log before it can underflow.
// @ts-ignore: decorator
@inline const PRODUCT_FLOOR: f64 = 1e-280;

/**
 * log Φ(x) = returned value + log(factorOut), with ϕ(x)/Φ(x) left in millsOut: one table lookup
 * shared by both (cubic Hermite); above TABLE_MAX_X both are 0 to double precision; below
 * TABLE_MIN_X the asymptotic series Φ(x) = ϕ(x)/|x|·(1 − x⁻² + 3x⁻⁴ − 15x⁻⁶ + 105x⁻⁸ − …)
 * (Abramowitz & Stegun 26.2.12; relative error < 945·x⁻¹⁰ < 1e-12 there), whose log factor the
 * caller multiplies up so that a row of terms costs one log, not one per term.
 */
// @ts-ignore: decorator
@inline function phiTerms(table: usize, x: f64): f64 {
  if (x >= TABLE_MAX_X) {
    millsOut = 0;
    factorOut = 1;
    return 0;
  }
  if (x < TABLE_MIN_X) {
    const r = 1.0 / (x * x);
    const series = 1.0 - r * (1.0 - r * (3.0 - r * (15.0 - r * 105.0)));
    millsOut = -x / series;
    factorOut = series / -x;
    return -0.5 * x * x - HALF_LOG_TWO_PI;
  }
  factorOut = 1;
  const u = (x - TABLE_MIN_X) * TABLE_STEPS_PER_UNIT;
  const i = <i32>u;
  const t = u - <f64>i;
  const t2 = t * t;
  const t3 = t2 * t;
  const h00 = 2 * t3 - 3 * t2 + 1;
  const h10 = (t3 - 2 * t2 + t) * (1.0 / TABLE_STEPS_PER_UNIT);
  const h01 = -2 * t3 + 3 * t2;
  const h11 = (t3 - t2) * (1.0 / TABLE_STEPS_PER_UNIT);
  const p = table + ((<usize>(4 * i)) << 3);
  millsOut = h00 * load<f64>(p, 16) + h10 * load<f64>(p, 24) + h01 * load<f64>(p, 48) + h11 * load<f64>(p, 56);
  return h00 * load<f64>(p) + h10 * load<f64>(p, 8) + h01 * load<f64>(p, 32) + h11 * load<f64>(p, 40);
}

// ---------------------------------------------------------------------------------------------
// Dense f64 helpers (row-major n × n).

/** In-place Cholesky A = LLᵀ (lower triangle); the upper triangle is left untouched. 0 = ok. */
function cholesky(a: usize, n: i32): i32 {
  const rowBytes = (<usize>n) << 3;
  for (let j = 0; j < n; j++) {
    const rj = a + <usize>j * rowBytes;
    const s = load<f64>(f64At(rj, j)) - dot(rj, rj, j);
    if (!(s > 0)) return 1;
    const dj = Math.sqrt(s);
    store<f64>(f64At(rj, j), dj);
    const inv = 1.0 / dj;
    for (let i = j + 1; i < n; i++) {
      const ri = a + <usize>i * rowBytes;
      store<f64>(f64At(ri, j), (load<f64>(f64At(ri, j)) - dot(ri, rj, j)) * inv);
    }
  }
  return 0;
}

/**
 * diag(A⁻¹) from the Cholesky factor L of A (lower triangle of a, destroyed): rows of
 * M = L⁻¹ by forward substitution, M_i = (e_i − Σ_k<i L_ik M_k)/L_ii (contiguous row updates,
 * each written over row i of L once it is no longer needed), and diag(A⁻¹) = Σ_i M_i∘M_i since
 * A⁻¹ = MᵀM. tmp: f64 n.
 */
function inverseDiagonal(a: usize, n: i32, tmp: usize, out: usize): void {
  const rowBytes = (<usize>n) << 3;
  memory.fill(out, 0, (<usize>n) << 3);
  for (let i = 0; i < n; i++) {
    const ri = a + <usize>i * rowBytes;
    memory.fill(tmp, 0, (<usize>(i + 1)) << 3);
    store<f64>(f64At(tmp, i), 1);
    for (let k = 0; k < i; k++) axpy(tmp, -load<f64>(f64At(ri, k)), a + <usize>k * rowBytes, k + 1);
    const inv = 1.0 / load<f64>(f64At(ri, i));
    for (let j = 0; j <= i; j++) {
      const m = load<f64>(f64At(tmp, j)) * inv;
      store<f64>(f64At(ri, j), m);
      store<f64>(f64At(out, j), load<f64>(f64At(out, j)) + m * m);
    }
  }
}

/**
 * Replace the lower factor L (in a's lower triangle) by L⁻¹, in place. Column j of L⁻¹ needs
 * only L's columns ≥ j and the entries of L⁻¹ above it in column j, so a left-to-right,
 * top-to-bottom sweep never reads an overwritten entry of L.
 */
function invertLower(a: usize, n: i32): void {
  for (let j = 0; j < n; j++) {
    const djj = 1.0 / load<f64>(f64At(a, j * n + j));
    store<f64>(f64At(a, j * n + j), djj);
    for (let i = j + 1; i < n; i++) {
      // (L⁻¹)_ij = −(Σ_{k=j}^{i−1} L_ik (L⁻¹)_kj) / L_ii
      let s: f64 = 0;
      for (let k = j; k < i; k++) s += load<f64>(f64At(a, i * n + k)) * load<f64>(f64At(a, k * n + j));
      store<f64>(f64At(a, i * n + j), -s / load<f64>(f64At(a, i * n + i)));
    }
  }
}

/**
 * Symmetric positive-definite inverse: out = A⁻¹ (full), A destroyed (its lower triangle holds
 * L⁻¹ afterwards). Returns 0 on success.
 */
function spdInverse(a: usize, n: i32, out: usize): i32 {
  if (cholesky(a, n) != 0) return 1;
  invertLower(a, n);
  // A⁻¹ = L⁻ᵀ L⁻¹: (A⁻¹)_ij = Σ_{k ≥ max(i,j)} (L⁻¹)_ki (L⁻¹)_kj.
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s: f64 = 0;
      for (let k = i; k < n; k++) s += load<f64>(f64At(a, k * n + i)) * load<f64>(f64At(a, k * n + j));
      store<f64>(f64At(out, i * n + j), s);
      store<f64>(f64At(out, j * n + i), s);
    }
  }
  return 0;
}

/** Solve (LLᵀ) x = b in place in b, with L the lower factor in a. */
function cholSolve(a: usize, n: i32, b: usize): void {
  for (let i = 0; i < n; i++) {
    let s = load<f64>(f64At(b, i));
    for (let k = 0; k < i; k++) s -= load<f64>(f64At(a, i * n + k)) * load<f64>(f64At(b, k));
    store<f64>(f64At(b, i), s / load<f64>(f64At(a, i * n + i)));
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = load<f64>(f64At(b, i));
    for (let k = i + 1; k < n; k++) s -= load<f64>(f64At(a, k * n + i)) * load<f64>(f64At(b, k));
    store<f64>(f64At(b, i), s / load<f64>(f64At(a, i * n + i)));
  }
}

/** y[0..m) += alpha·x[0..m) (f64x2 main loop). */
// @ts-ignore: decorator
@inline function axpy(y: usize, alpha: f64, x: usize, m: i32): void {
  const a2 = f64x2.splat(alpha);
  const m2 = m & ~1;
  let j = 0;
  for (; j < m2; j += 2) {
    const py = y + ((<usize>j) << 3);
    v128.store(py, f64x2.add(v128.load(py), f64x2.mul(a2, v128.load(x + ((<usize>j) << 3)))));
  }
  if (j < m) store<f64>(f64At(y, j), load<f64>(f64At(y, j)) + alpha * load<f64>(f64At(x, j)));
}

/** Σ x[j]·y[j] over [0, m) (two f64x2 accumulators). */
// @ts-ignore: decorator
@inline function dot(x: usize, y: usize, m: i32): f64 {
  let a0 = f64x2.splat(0);
  let a1 = f64x2.splat(0);
  const m4 = m & ~3;
  let j = 0;
  for (; j < m4; j += 4) {
    const o = (<usize>j) << 3;
    a0 = f64x2.add(a0, f64x2.mul(v128.load(x + o), v128.load(y + o)));
    a1 = f64x2.add(a1, f64x2.mul(v128.load(x + o, 16), v128.load(y + o, 16)));
  }
  a0 = f64x2.add(a0, a1);
  let s = f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1);
  for (; j < m; j++) s += load<f64>(f64At(x, j)) * load<f64>(f64At(y, j));
  return s;
}

// ---------------------------------------------------------------------------------------------
// Scratch layout (doubles), after the Φ table.

/** Doubles of scratch for bsdrInit/bsdrSweep. */
export function bsdrScratchDoubles(n: i32, d: i32, r: i32, k: i32, s: i32): i32 {
  const r1 = r + 1;
  return 4 * TABLE_NODES + d * d + d * r + d + 3 * r1 * r1 + r * n + k * n + s * k + s + k * s + r + r * r + r * k + k + k + d + 8;
}

class Scratch {
  table: usize;
  a: usize; // D × D
  rhs: usize; // R × D
  vec: usize; // D
  m1: usize; // (R+1)²
  m2: usize; // (R+1)²
  m3: usize; // (R+1)²
  rn: usize; // N × R
  centres: usize; // K × N
  draws: usize; // K × S
  logs: usize; // S
  millsBuf: usize; // K × S
  zSum: usize; // R
  zzt: usize; // R × R
  zt: usize; // R × K
  tSum: usize; // K
  delta: usize; // K
  diag: usize; // D
}

const sc = new Scratch();

function bindScratch(base: usize, n: i32, d: i32, r: i32, k: i32, s: i32): Scratch {
  const r1 = r + 1;
  let p = base;
  sc.table = p;
  p += (<usize>(4 * TABLE_NODES)) << 3;
  sc.a = p;
  p += (<usize>(d * d)) << 3;
  sc.rhs = p;
  p += (<usize>(d * r)) << 3;
  sc.vec = p;
  p += (<usize>d) << 3;
  sc.m1 = p;
  p += (<usize>(r1 * r1)) << 3;
  sc.m2 = p;
  p += (<usize>(r1 * r1)) << 3;
  sc.m3 = p;
  p += (<usize>(r1 * r1)) << 3;
  sc.rn = p;
  p += ((<usize>r) * <usize>n) << 3;
  sc.centres = p;
  p += ((<usize>k) * <usize>n) << 3;
  sc.draws = p;
  p += (<usize>(k * s)) << 3;
  sc.logs = p;
  p += (<usize>s) << 3;
  sc.millsBuf = p;
  p += (<usize>(k * s)) << 3;
  sc.zSum = p;
  p += (<usize>r) << 3;
  sc.zzt = p;
  p += (<usize>(r * r)) << 3;
  sc.zt = p;
  p += (<usize>(r * k)) << 3;
  sc.tSum = p;
  p += (<usize>k) << 3;
  sc.delta = p;
  p += (<usize>k) << 3;
  sc.diag = p;
  return sc;
}

/**
 * Initialise the state: XXᵀ = FᵀF; μ_Q, μ_Z, μ_bW iid N(0, 1) (in that order, row-major);
 * Σ_Q diagonals 1, Σ_Z = I, Σ_bW = I; prior scales for φ, λ, ψ; each column of μ_T drawn from
 * N(0, I_K) until its largest entry is the sample's class (rejection sampling).
 */
export function bsdrInit(
  table: usize,
  n: i32,
  d: i32,
  r: i32,
  k: i32,
  s: i32,
  betaPhi: f64,
  betaLambda: f64,
  betaPsi: f64,
  rng: usize,
): void {
  const f = slot(table, SLOT_F);
  const xxt = slot(table, SLOT_XXT);
  const labels = slot(table, SLOT_LABELS);
  const scr = bindScratch(slot(table, SLOT_SCRATCH), n, d, r, k, s);
  buildTable(scr.table);
  for (let a = 0; a < d; a++) {
    for (let b = 0; b <= a; b++) {
      let acc: f64 = 0;
      for (let i = 0; i < n; i++) acc += load<f64>(f64At(f, i * d + a)) * load<f64>(f64At(f, i * d + b));
      store<f64>(f64At(xxt, a * d + b), acc);
      store<f64>(f64At(xxt, b * d + a), acc);
    }
  }
  const muQ = slot(table, SLOT_MU_Q);
  for (let t = 0; t < d * r; t++) store<f64>(f64At(muQ, t), nextNormal(rng));
  const muZ = slot(table, SLOT_MU_Z);
  for (let t = 0; t < r * n; t++) store<f64>(f64At(muZ, t), nextNormal(rng));
  const muBW = slot(table, SLOT_MU_BW);
  for (let t = 0; t < (r + 1) * k; t++) store<f64>(f64At(muBW, t), nextNormal(rng));
  const sq = slot(table, SLOT_SIGMA_Q_DIAG);
  const phi = slot(table, SLOT_PHI_SCALE);
  for (let t = 0; t < d * r; t++) {
    store<f64>(f64At(sq, t), 1);
    store<f64>(f64At(phi, t), betaPhi);
  }
  const sz = slot(table, SLOT_SIGMA_Z);
  for (let a = 0; a < r; a++) for (let b = 0; b < r; b++) store<f64>(f64At(sz, a * r + b), a == b ? 1 : 0);
  const r1 = r + 1;
  const sbw = slot(table, SLOT_SIGMA_BW);
  for (let c = 0; c < k; c++) {
    for (let a = 0; a < r1; a++) {
      for (let b = 0; b < r1; b++) store<f64>(f64At(sbw, c * r1 * r1 + a * r1 + b), a == b ? 1 : 0);
    }
  }
  const lam = slot(table, SLOT_LAMBDA_SCALE);
  for (let c = 0; c < k; c++) store<f64>(f64At(lam, c), betaLambda);
  const psi = slot(table, SLOT_PSI_SCALE);
  for (let t = 0; t < r * k; t++) store<f64>(f64At(psi, t), betaPsi);
  const muT = slot(table, SLOT_MU_T);
  for (let i = 0; i < n; i++) {
    const y = load<i32>(labels + ((<usize>i) << 2));
    while (true) {
      let best = 0;
      let bestValue: f64 = -Infinity;
      for (let c = 0; c < k; c++) {
        const v = nextNormal(rng);
        store<f64>(f64At(muT, c * n + i), v);
        if (v > bestValue) {
          bestValue = v;
          best = c;
        }
      }
      if (best == y) break;
    }
  }
}

/** One variational sweep (φ, Q, Z, λ/ψ, bW, T). Returns 0, or 1 if a factorisation failed. */
export function bsdrSweep(
  table: usize,
  n: i32,
  d: i32,
  r: i32,
  k: i32,
  s: i32,
  sigmaZ: f64,
  alphaPhi: f64,
  betaPhi: f64,
  alphaLambda: f64,
  betaLambda: f64,
  alphaPsi: f64,
  betaPsi: f64,
  rng: usize,
): i32 {
  const f = slot(table, SLOT_F);
  const xxt = slot(table, SLOT_XXT);
  const labels = slot(table, SLOT_LABELS);
  const muQ = slot(table, SLOT_MU_Q);
  const sq = slot(table, SLOT_SIGMA_Q_DIAG);
  const phi = slot(table, SLOT_PHI_SCALE);
  const muZ = slot(table, SLOT_MU_Z);
  const sz = slot(table, SLOT_SIGMA_Z);
  const lam = slot(table, SLOT_LAMBDA_SCALE);
  const psi = slot(table, SLOT_PSI_SCALE);
  const muBW = slot(table, SLOT_MU_BW);
  const sbw = slot(table, SLOT_SIGMA_BW);
  const muT = slot(table, SLOT_MU_T);
  const scr = bindScratch(slot(table, SLOT_SCRATCH), n, d, r, k, s);
  const r1 = r + 1;
  const invS2 = 1.0 / (sigmaZ * sigmaZ);
  const nf = <f64>n;

  // φ: scale β' = 1/(1/β + ½(μ² + Σ_dd)).
  for (let t = 0; t < d * r; t++) {
    const m = load<f64>(f64At(muQ, t));
    store<f64>(f64At(phi, t), 1.0 / (1.0 / betaPhi + HALF * (m * m + load<f64>(f64At(sq, t)))));
  }

  // Q: rhs[s, :] = (X μ_Z[s, :]ᵀ)ᵀ / σ² (R × D, row s for column s of Q), rows of F streamed.
  memory.fill(scr.rhs, 0, (<usize>(d * r)) << 3);
  for (let c = 0; c < r; c++) {
    const zrow = muZ + (((<usize>c) * <usize>n) << 3);
    const out = scr.rhs + (((<usize>c) * <usize>d) << 3);
    for (let i = 0; i < n; i++) axpy(out, load<f64>(f64At(zrow, i)) * invS2, f + (((<usize>i) * <usize>d) << 3), d);
  }
  const ePhiShape = alphaPhi + HALF;
  for (let c = 0; c < r; c++) {
    for (let a = 0; a < d; a++) {
      for (let b = 0; b <= a; b++) {
        let v = load<f64>(f64At(xxt, a * d + b)) * invS2;
        if (a == b) v += ePhiShape * load<f64>(f64At(phi, a * r + c));
        store<f64>(f64At(scr.a, a * d + b), v);
      }
    }
    if (cholesky(scr.a, d) != 0) return 1;
    for (let a = 0; a < d; a++) store<f64>(f64At(scr.vec, a), load<f64>(f64At(scr.rhs, c * d + a)));
    cholSolve(scr.a, d, scr.vec);
    for (let a = 0; a < d; a++) store<f64>(f64At(muQ, a * r + c), load<f64>(f64At(scr.vec, a)));
    // Σ_Q's diagonal, column c.
    inverseDiagonal(scr.a, d, scr.vec, scr.diag);
    for (let a = 0; a < d; a++) store<f64>(f64At(sq, a * r + c), load<f64>(f64At(scr.diag, a)));
  }

  // Z: Σ_Z = (I/σ² + E[WWᵀ])⁻¹, E[WWᵀ] = Σ_c (μ_w,c μ_w,cᵀ + Σ_W,c).
  for (let a = 0; a < r; a++) {
    for (let b = 0; b < r; b++) {
      let v: f64 = a == b ? invS2 : 0;
      for (let c = 0; c < k; c++) {
        v += load<f64>(f64At(muBW, (1 + a) * k + c)) * load<f64>(f64At(muBW, (1 + b) * k + c));
        v += load<f64>(f64At(sbw, c * r1 * r1 + (1 + a) * r1 + (1 + b)));
      }
      store<f64>(f64At(scr.m1, a * r + b), v);
    }
  }
  if (spdInverse(scr.m1, r, sz) != 0) return 1;
  // Right-hand side per sample: μ_Qᵀx_i/σ² + μ_W μ_T[:, i] − (μ_W μ_b + Σ_c Σ_Wb,c).
  for (let a = 0; a < r; a++) {
    let shift: f64 = 0;
    for (let c = 0; c < k; c++) {
      shift += load<f64>(f64At(muBW, (1 + a) * k + c)) * load<f64>(f64At(muBW, c));
      shift += load<f64>(f64At(sbw, c * r1 * r1 + (1 + a) * r1));
    }
    store<f64>(f64At(scr.zSum, a), shift); // zSum is free until the (b, W) step
  }
  // rn[i, :] = μ_Qᵀx_i/σ² + μ_W μ_T[:, i] − shift (N × R, one contiguous row per sample).
  for (let i = 0; i < n; i++) {
    const row = scr.rn + (((<usize>i) * <usize>r) << 3);
    for (let a = 0; a < r; a++) store<f64>(f64At(row, a), -load<f64>(f64At(scr.zSum, a)));
    const fi = f + (((<usize>i) * <usize>d) << 3);
    for (let b = 0; b < d; b++) axpy(row, load<f64>(f64At(fi, b)) * invS2, muQ + (((<usize>b) * <usize>r) << 3), r);
    for (let a = 0; a < r; a++) {
      let v = load<f64>(f64At(row, a));
      for (let c = 0; c < k; c++) v += load<f64>(f64At(muBW, (1 + a) * k + c)) * load<f64>(f64At(muT, c * n + i));
      store<f64>(f64At(row, a), v);
    }
    for (let a = 0; a < r; a++) store<f64>(f64At(muZ, a * n + i), dot(sz + (((<usize>a) * <usize>r) << 3), row, r));
  }

  // λ and ψ scales.
  for (let c = 0; c < k; c++) {
    const b = load<f64>(f64At(muBW, c));
    const v = load<f64>(f64At(sbw, c * r1 * r1));
    store<f64>(f64At(lam, c), 1.0 / (1.0 / betaLambda + HALF * (b * b + v)));
    for (let a = 0; a < r; a++) {
      const w = load<f64>(f64At(muBW, (1 + a) * k + c));
      const vw = load<f64>(f64At(sbw, c * r1 * r1 + (1 + a) * r1 + (1 + a)));
      store<f64>(f64At(psi, a * k + c), 1.0 / (1.0 / betaPsi + HALF * (w * w + vw)));
    }
  }

  // (b, W) per class. Shared: μ_Z 1, μ_Z μ_Zᵀ + NΣ_Z, μ_Z μ_Tᵀ, row sums of μ_T.
  for (let a = 0; a < r; a++) {
    let acc: f64 = 0;
    const za = muZ + (((<usize>a) * <usize>n) << 3);
    for (let i = 0; i < n; i++) acc += load<f64>(f64At(za, i));
    store<f64>(f64At(scr.zSum, a), acc);
    for (let b = 0; b <= a; b++) {
      let zz = dot(za, muZ + (((<usize>b) * <usize>n) << 3), n);
      zz += nf * load<f64>(f64At(sz, a * r + b));
      store<f64>(f64At(scr.zzt, a * r + b), zz);
      store<f64>(f64At(scr.zzt, b * r + a), zz);
    }
    for (let c = 0; c < k; c++) {
      store<f64>(f64At(scr.zt, a * k + c), dot(za, muT + (((<usize>c) * <usize>n) << 3), n));
    }
  }
  for (let c = 0; c < k; c++) {
    let acc: f64 = 0;
    for (let i = 0; i < n; i++) acc += load<f64>(f64At(muT, c * n + i));
    store<f64>(f64At(scr.tSum, c), acc);
  }
  const eLamShape = alphaLambda + HALF;
  const ePsiShape = alphaPsi + HALF;
  for (let c = 0; c < k; c++) {
    const prec = scr.m1;
    store<f64>(f64At(prec, 0), eLamShape * load<f64>(f64At(lam, c)) + nf);
    for (let a = 0; a < r; a++) {
      const zs = load<f64>(f64At(scr.zSum, a));
      store<f64>(f64At(prec, 1 + a), zs);
      store<f64>(f64At(prec, (1 + a) * r1), zs);
      for (let b = 0; b < r; b++) {
        let v = load<f64>(f64At(scr.zzt, a * r + b));
        if (a == b) v += ePsiShape * load<f64>(f64At(psi, a * k + c));
        store<f64>(f64At(prec, (1 + a) * r1 + 1 + b), v);
      }
    }
    const cov = sbw + (((<usize>c) * <usize>(r1 * r1)) << 3);
    if (spdInverse(prec, r1, cov) != 0) return 1;
    for (let a = 0; a < r1; a++) {
      let v = load<f64>(f64At(cov, a * r1)) * load<f64>(f64At(scr.tSum, c));
      for (let b = 0; b < r; b++) v += load<f64>(f64At(cov, a * r1 + 1 + b)) * load<f64>(f64At(scr.zt, b * k + c));
      store<f64>(f64At(muBW, a * k + c), v);
    }
  }

  // T: centres m = μ_Wᵀ μ_Z + μ_b, then the truncated-normal moments.
  for (let c = 0; c < k; c++) {
    const row = scr.centres + (((<usize>c) * <usize>n) << 3);
    const b = load<f64>(f64At(muBW, c));
    for (let i = 0; i < n; i++) store<f64>(f64At(row, i), b);
    for (let a = 0; a < r; a++) axpy(row, load<f64>(f64At(muBW, (1 + a) * k + c)), muZ + (((<usize>a) * <usize>n) << 3), n);
  }
  // Draws: S per class that has samples, classes in order.
  for (let c = 0; c < k; c++) {
    let present = false;
    for (let i = 0; i < n; i++) {
      if (load<i32>(labels + ((<usize>i) << 2)) == c) {
        present = true;
        break;
      }
    }
    if (!present) continue;
    for (let q = 0; q < s; q++) store<f64>(f64At(scr.draws, c * s + q), nextNormal(rng));
  }
  for (let i = 0; i < n; i++) {
    const y = load<i32>(labels + ((<usize>i) << 2));
    const my = load<f64>(f64At(scr.centres, y * n + i));
    const u = scr.draws + (((<usize>y) * <usize>s) << 3);
    for (let c = 0; c < k; c++) store<f64>(f64At(scr.delta, c), my - load<f64>(f64At(scr.centres, c * n + i)));
    let lmax: f64 = -Infinity;
    for (let q = 0; q < s; q++) {
      const uq = load<f64>(f64At(u, q));
      let l: f64 = 0;
      let product: f64 = 1;
      for (let c = 0; c < k; c++) {
        if (c == y) continue;
        l += phiTerms(scr.table, uq + load<f64>(f64At(scr.delta, c)));
        store<f64>(f64At(scr.millsBuf, c * s + q), millsOut);
        product *= factorOut;
        if (product < PRODUCT_FLOOR) {
          l += Math.log(product);
          product = 1;
        }
      }
      if (product != 1) l += Math.log(product);
      store<f64>(f64At(scr.logs, q), l);
      lmax = max(lmax, l);
    }
    let wsum: f64 = 0;
    for (let q = 0; q < s; q++) {
      const w = Math.exp(load<f64>(f64At(scr.logs, q)) - lmax);
      store<f64>(f64At(scr.logs, q), w);
      wsum += w;
    }
    const invW = 1.0 / wsum;
    let correction: f64 = 0;
    for (let c = 0; c < k; c++) {
      if (c == y) continue;
      let acc: f64 = 0;
      for (let q = 0; q < s; q++) acc += load<f64>(f64At(scr.logs, q)) * load<f64>(f64At(scr.millsBuf, c * s + q));
      const shift = acc * invW;
      store<f64>(f64At(muT, c * n + i), load<f64>(f64At(scr.centres, c * n + i)) - shift);
      correction += shift;
    }
    store<f64>(f64At(muT, y * n + i), my + correction);
  }
  return 0;
}

/** P = F · μ_Q (f32 N × R): the test-time projection MDA uses. */
export function bsdrProject(table: usize, n: i32, d: i32, r: i32, out: usize): void {
  const f = slot(table, SLOT_F);
  const muQ = slot(table, SLOT_MU_Q);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < r; c++) {
      let acc: f64 = 0;
      for (let a = 0; a < d; a++) acc += load<f64>(f64At(f, i * d + a)) * load<f64>(f64At(muQ, a * r + c));
      store<f32>(out + ((<usize>(i * r + c)) << 2), <f32>acc);
    }
  }
}
