// Bayesian supervised dimensionality reduction (BSDR), mean-field variational inference.
//
// M. Gönen, "Bayesian Supervised Dimensionality Reduction", IEEE Trans. Cybernetics 43(6),
// 2179–2189, 2013: a multinomial-probit classifier on a learnt R-dimensional linear subspace.
//   q_ds ~ N(0, φ_ds⁻¹), φ_ds ~ Gamma(α_φ, β_φ)        (projection Q, D × R, entrywise prior)
//   z_i ~ N(Qᵀx_i, σ_z² I_R)                            (latent coordinates)
//   b_c ~ N(0, λ_c⁻¹), λ_c ~ Gamma(α_λ, β_λ); w_sc ~ N(0, ψ_sc⁻¹), ψ_sc ~ Gamma(α_ψ, β_ψ)
//   t_ci ~ N(w_cᵀz_i + b_c, 1); y_i = argmax_c t_ci
// Gamma is shape/scale (E = α·β); posterior shapes are α + ½. Written from these equations and
// the update list of specs/mda.md §1 step B (the reference code's licence forbids derivatives;
// it was not consulted). One sweep updates, in order: φ, Q (column by column), Z, λ and ψ,
// (b, W) class by class, T. The truncated-normal moments of T are Monte-Carlo estimates over
// S standard-normal draws u per class and sweep (shared by the samples of the class), in log
// space (spec pitfall 7):  L_s = Σ_k≠c log Φ(u_s + m_c − m_k),
//   E t_k = m_k − Σ_s w_s ϕ(x_ks)/Φ(x_ks) with w_s = e^{L_s} / Σ e^{L_s}  (k ≠ c),
//   E t_c = m_c + Σ_k≠c (m_k − E t_k).
// log Φ and ϕ/Φ come from a table on [TABLE_MIN_X, TABLE_MAX_X] (cubic Hermite with exact
// derivatives) built from the erfc approximation of Numerical Recipes §6.2 (fractional error
// < 1.2e-7 everywhere), far below the Monte-Carlo noise (≈ S^−½).
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
@inline const TABLE_MIN_X: f64 = -16.0;
// @ts-ignore: decorator
@inline const TABLE_MAX_X: f64 = 8.0;
// @ts-ignore: decorator
@inline const TABLE_STEPS_PER_UNIT: f64 = 32.0;
// @ts-ignore: decorator
@inline const TABLE_NODES: i32 = 769; // (8 − (−16))·32 + 1
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

/** Cubic Hermite on the table: column pair (value, slope) at offset `col` ∈ {0, 2}. */
// @ts-ignore: decorator
@inline function hermite(table: usize, x: f64, col: i32): f64 {
  const u = (x - TABLE_MIN_X) * TABLE_STEPS_PER_UNIT;
  const i = <i32>u;
  const t = u - <f64>i;
  const p = table + ((<usize>(4 * i + col)) << 3);
  const y0 = load<f64>(p);
  const m0 = load<f64>(p, 8) / TABLE_STEPS_PER_UNIT;
  const y1 = load<f64>(p, 32);
  const m1 = load<f64>(p, 40) / TABLE_STEPS_PER_UNIT;
  const t2 = t * t;
  const t3 = t2 * t;
  return (2 * t3 - 3 * t2 + 1) * y0 + (t3 - 2 * t2 + t) * m0 + (-2 * t3 + 3 * t2) * y1 + (t3 - t2) * m1;
}

// @ts-ignore: decorator
@inline function logPhi(table: usize, x: f64): f64 {
  if (x >= TABLE_MAX_X) return 0;
  if (x < TABLE_MIN_X) return logPhiDirect(x);
  return hermite(table, x, 0);
}

// @ts-ignore: decorator
@inline function mills(table: usize, x: f64): f64 {
  if (x >= TABLE_MAX_X) return 0;
  if (x < TABLE_MIN_X) return millsDirect(x);
  return hermite(table, x, 2);
}

// ---------------------------------------------------------------------------------------------
// Dense f64 helpers (row-major n × n).

/** In-place Cholesky A = LLᵀ (lower triangle); the upper triangle is left untouched. 0 = ok. */
function cholesky(a: usize, n: i32): i32 {
  for (let j = 0; j < n; j++) {
    let s = load<f64>(f64At(a, j * n + j));
    for (let k = 0; k < j; k++) {
      const l = load<f64>(f64At(a, j * n + k));
      s -= l * l;
    }
    if (!(s > 0)) return 1;
    const d = Math.sqrt(s);
    store<f64>(f64At(a, j * n + j), d);
    const inv = 1.0 / d;
    for (let i = j + 1; i < n; i++) {
      let t = load<f64>(f64At(a, i * n + j));
      const ri = a + (((<usize>i) * <usize>n) << 3);
      const rj = a + (((<usize>j) * <usize>n) << 3);
      for (let k = 0; k < j; k++) t -= load<f64>(f64At(ri, k)) * load<f64>(f64At(rj, k));
      store<f64>(f64At(a, i * n + j), t * inv);
    }
  }
  return 0;
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

// ---------------------------------------------------------------------------------------------
// Scratch layout (doubles), after the Φ table.

/** Doubles of scratch for bsdrInit/bsdrSweep. */
export function bsdrScratchDoubles(n: i32, d: i32, r: i32, k: i32, s: i32): i32 {
  const r1 = r + 1;
  return 4 * TABLE_NODES + d * d + d * r + d + 3 * r1 * r1 + r * n + k * n + s * k + s + k * s + r + r * r + r * k + k + 8;
}

class Scratch {
  table: usize;
  a: usize; // D × D
  rhs: usize; // D × R
  vec: usize; // D
  m1: usize; // (R+1)²
  m2: usize; // (R+1)²
  m3: usize; // (R+1)²
  rn: usize; // R × N
  centres: usize; // K × N
  draws: usize; // K × S
  logs: usize; // S
  millsBuf: usize; // K × S
  zSum: usize; // R
  zzt: usize; // R × R
  zt: usize; // R × K
  tSum: usize; // K
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
  return sc;
}

/**
 * Initialise the state: XXᵀ = FᵀF; μ_Q, μ_Z, μ_bW iid N(0, 1) (in that order, row-major);
 * Σ_Q diagonals 1, Σ_Z = I, Σ_bW = I; prior scales for φ, λ, ψ; each column of μ_T drawn from
 * N(0, I_K) until its largest entry is the sample's class (rejection, as spec §1 step B.5).
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

  // Q: rhs[:, s] = X μ_Z[s, :]ᵀ / σ² (D × R), then column by column.
  for (let a = 0; a < d; a++) {
    for (let c = 0; c < r; c++) {
      let acc: f64 = 0;
      const zrow = muZ + (((<usize>c) * <usize>n) << 3);
      for (let i = 0; i < n; i++) acc += load<f64>(f64At(f, i * d + a)) * load<f64>(f64At(zrow, i));
      store<f64>(f64At(scr.rhs, a * r + c), acc * invS2);
    }
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
    for (let a = 0; a < d; a++) store<f64>(f64At(scr.vec, a), load<f64>(f64At(scr.rhs, a * r + c)));
    cholSolve(scr.a, d, scr.vec);
    for (let a = 0; a < d; a++) store<f64>(f64At(muQ, a * r + c), load<f64>(f64At(scr.vec, a)));
    // diag(A⁻¹)_a = Σ_{i ≥ a} (L⁻¹)_ia².
    invertLower(scr.a, d);
    for (let a = 0; a < d; a++) {
      let acc: f64 = 0;
      for (let i = a; i < d; i++) {
        const v = load<f64>(f64At(scr.a, i * d + a));
        acc += v * v;
      }
      store<f64>(f64At(sq, a * r + c), acc);
    }
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
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < r; a++) {
      let v: f64 = 0;
      for (let b = 0; b < d; b++) v += load<f64>(f64At(muQ, b * r + a)) * load<f64>(f64At(f, i * d + b));
      v *= invS2;
      for (let c = 0; c < k; c++) v += load<f64>(f64At(muBW, (1 + a) * k + c)) * load<f64>(f64At(muT, c * n + i));
      store<f64>(f64At(scr.rn, a * n + i), v - load<f64>(f64At(scr.zSum, a)));
    }
  }
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < r; a++) {
      let v: f64 = 0;
      for (let b = 0; b < r; b++) v += load<f64>(f64At(sz, a * r + b)) * load<f64>(f64At(scr.rn, b * n + i));
      store<f64>(f64At(muZ, a * n + i), v);
    }
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
    for (let i = 0; i < n; i++) acc += load<f64>(f64At(muZ, a * n + i));
    store<f64>(f64At(scr.zSum, a), acc);
    for (let b = 0; b <= a; b++) {
      let zz: f64 = 0;
      for (let i = 0; i < n; i++) zz += load<f64>(f64At(muZ, a * n + i)) * load<f64>(f64At(muZ, b * n + i));
      zz += nf * load<f64>(f64At(sz, a * r + b));
      store<f64>(f64At(scr.zzt, a * r + b), zz);
      store<f64>(f64At(scr.zzt, b * r + a), zz);
    }
    for (let c = 0; c < k; c++) {
      let zt: f64 = 0;
      for (let i = 0; i < n; i++) zt += load<f64>(f64At(muZ, a * n + i)) * load<f64>(f64At(muT, c * n + i));
      store<f64>(f64At(scr.zt, a * k + c), zt);
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
    const b = load<f64>(f64At(muBW, c));
    for (let i = 0; i < n; i++) {
      let v = b;
      for (let a = 0; a < r; a++) v += load<f64>(f64At(muBW, (1 + a) * k + c)) * load<f64>(f64At(muZ, a * n + i));
      store<f64>(f64At(scr.centres, c * n + i), v);
    }
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
    let lmax: f64 = -Infinity;
    for (let q = 0; q < s; q++) {
      const uq = load<f64>(f64At(u, q));
      let l: f64 = 0;
      for (let c = 0; c < k; c++) {
        if (c == y) continue;
        const x = uq + my - load<f64>(f64At(scr.centres, c * n + i));
        l += logPhi(scr.table, x);
        store<f64>(f64At(scr.millsBuf, c * s + q), mills(scr.table, x));
      }
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

/** P = F · μ_Q (f32 N × R): the test-time projection MDA uses (spec §1 step B.6). */
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
