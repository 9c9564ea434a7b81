// Dense symmetric eigendecomposition in float64.
//
// Householder reduction to tridiagonal form followed by the implicit QL algorithm with
// Wilkinson-style shifts: the EISPACK routines tred2 and tql2 (Bowdler, Martin, Reinsch and
// Wilkinson, Numer. Math. 11, 1968; Smith et al., EISPACK Guide, 1976), written here from
// the published algorithm. Backward stable; O(n³) flops, ~(4/3)n³ for the reduction.
//
// Memory contract: `a` is n × n f64 row-major and symmetric (only the lower triangle is read);
// it is overwritten with the eigenvectors as columns: a[i·n + j] = component i of vector j.
// `values` receives n eigenvalues in descending order, vectors permuted to match.
// `scratch` holds n f64. Sign convention: each eigenvector's entry of largest magnitude is
// positive (the first such entry on ties), so results are unique for simple eigenvalues.
// Returns 0 on success, or 1 if QL failed to converge (never seen on finite input).

// @ts-ignore: decorator
@inline const EPSILON: f64 = 2.220446049250313e-16; // 2^-52
// QL iterations allowed per eigenvalue before giving up; EISPACK uses 30.
// @ts-ignore: decorator
@inline const MAX_QL_ITERATIONS: i32 = 60;

// @ts-ignore: decorator
@inline function at(a: usize, n: i32, i: i32, j: i32): usize {
  return a + (((<usize>i) * <usize>n + <usize>j) << 3);
}
// @ts-ignore: decorator
@inline function vec(p: usize, i: i32): usize {
  return p + ((<usize>i) << 3);
}

/** Householder tridiagonalisation (tred2); d = diagonal, e = sub-diagonal in e[1..n-1]. */
function tridiagonalize(v: usize, n: i32, d: usize, e: usize): void {
  for (let j = 0; j < n; j++) store<f64>(vec(d, j), load<f64>(at(v, n, n - 1, j)));
  for (let i = n - 1; i > 0; i--) {
    let scale: f64 = 0;
    let h: f64 = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(load<f64>(vec(d, k)));
    if (scale == 0) {
      store<f64>(vec(e, i), load<f64>(vec(d, i - 1)));
      for (let j = 0; j < i; j++) {
        store<f64>(vec(d, j), load<f64>(at(v, n, i - 1, j)));
        store<f64>(at(v, n, i, j), 0);
        store<f64>(at(v, n, j, i), 0);
      }
    } else {
      for (let k = 0; k < i; k++) {
        const dk = load<f64>(vec(d, k)) / scale;
        store<f64>(vec(d, k), dk);
        h += dk * dk;
      }
      let f = load<f64>(vec(d, i - 1));
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      store<f64>(vec(e, i), scale * g);
      h -= f * g;
      store<f64>(vec(d, i - 1), f - g);
      for (let j = 0; j < i; j++) store<f64>(vec(e, j), 0);
      for (let j = 0; j < i; j++) {
        f = load<f64>(vec(d, j));
        store<f64>(at(v, n, j, i), f);
        g = load<f64>(vec(e, j)) + load<f64>(at(v, n, j, j)) * f;
        for (let k = j + 1; k <= i - 1; k++) {
          const vkj = load<f64>(at(v, n, k, j));
          g += vkj * load<f64>(vec(d, k));
          store<f64>(vec(e, k), load<f64>(vec(e, k)) + vkj * f);
        }
        store<f64>(vec(e, j), g);
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        const ej = load<f64>(vec(e, j)) / h;
        store<f64>(vec(e, j), ej);
        f += ej * load<f64>(vec(d, j));
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) {
        store<f64>(vec(e, j), load<f64>(vec(e, j)) - hh * load<f64>(vec(d, j)));
      }
      for (let j = 0; j < i; j++) {
        f = load<f64>(vec(d, j));
        g = load<f64>(vec(e, j));
        for (let k = j; k <= i - 1; k++) {
          const p = at(v, n, k, j);
          store<f64>(p, load<f64>(p) - (f * load<f64>(vec(e, k)) + g * load<f64>(vec(d, k))));
        }
        store<f64>(vec(d, j), load<f64>(at(v, n, i - 1, j)));
        store<f64>(at(v, n, i, j), 0);
      }
    }
    store<f64>(vec(d, i), h);
  }
  // Accumulate the transformations.
  for (let i = 0; i < n - 1; i++) {
    store<f64>(at(v, n, n - 1, i), load<f64>(at(v, n, i, i)));
    store<f64>(at(v, n, i, i), 1);
    const h = load<f64>(vec(d, i + 1));
    if (h != 0) {
      for (let k = 0; k <= i; k++) store<f64>(vec(d, k), load<f64>(at(v, n, k, i + 1)) / h);
      for (let j = 0; j <= i; j++) {
        let g: f64 = 0;
        for (let k = 0; k <= i; k++) g += load<f64>(at(v, n, k, i + 1)) * load<f64>(at(v, n, k, j));
        for (let k = 0; k <= i; k++) {
          const p = at(v, n, k, j);
          store<f64>(p, load<f64>(p) - g * load<f64>(vec(d, k)));
        }
      }
    }
    for (let k = 0; k <= i; k++) store<f64>(at(v, n, k, i + 1), 0);
  }
  for (let j = 0; j < n; j++) {
    store<f64>(vec(d, j), load<f64>(at(v, n, n - 1, j)));
    store<f64>(at(v, n, n - 1, j), 0);
  }
  store<f64>(at(v, n, n - 1, n - 1), 1);
  store<f64>(vec(e, 0), 0);
}

/** Implicit QL on the tridiagonal (tql2), accumulating rotations into v. 0 on success. */
function tridiagonalQL(v: usize, n: i32, d: usize, e: usize): i32 {
  for (let i = 1; i < n; i++) store<f64>(vec(e, i - 1), load<f64>(vec(e, i)));
  store<f64>(vec(e, n - 1), 0);
  let f: f64 = 0;
  let tst1: f64 = 0;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(load<f64>(vec(d, l))) + Math.abs(load<f64>(vec(e, l))));
    let m = l;
    while (m < n) {
      if (Math.abs(load<f64>(vec(e, m))) <= EPSILON * tst1) break;
      m++;
    }
    if (m == n) m = n - 1;
    if (m > l) {
      let iterations = 0;
      do {
        if (++iterations > MAX_QL_ITERATIONS) return 1;
        let g = load<f64>(vec(d, l));
        const el = load<f64>(vec(e, l));
        let p = (load<f64>(vec(d, l + 1)) - g) / (2 * el);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        store<f64>(vec(d, l), el / (p + r));
        store<f64>(vec(d, l + 1), el * (p + r));
        const dl1 = load<f64>(vec(d, l + 1));
        let h = g - load<f64>(vec(d, l));
        for (let i = l + 2; i < n; i++) store<f64>(vec(d, i), load<f64>(vec(d, i)) - h);
        f += h;
        p = load<f64>(vec(d, m));
        let c: f64 = 1;
        let c2 = c;
        let c3 = c;
        const el1 = load<f64>(vec(e, l + 1));
        let s: f64 = 0;
        let s2: f64 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          const ei = load<f64>(vec(e, i));
          const di = load<f64>(vec(d, i));
          g = c * ei;
          h = c * p;
          r = Math.hypot(p, ei);
          store<f64>(vec(e, i + 1), s * r);
          s = ei / r;
          c = p / r;
          p = c * di - s * g;
          store<f64>(vec(d, i + 1), h + s * (c * g + s * di));
          for (let k = 0; k < n; k++) {
            const pk1 = at(v, n, k, i + 1);
            const pk = at(v, n, k, i);
            const hk = load<f64>(pk1);
            const vk = load<f64>(pk);
            store<f64>(pk1, s * vk + c * hk);
            store<f64>(pk, c * vk - s * hk);
          }
        }
        p = (-s * s2 * c3 * el1 * load<f64>(vec(e, l))) / dl1;
        store<f64>(vec(e, l), s * p);
        store<f64>(vec(d, l), c * p);
      } while (Math.abs(load<f64>(vec(e, l))) > EPSILON * tst1);
    }
    store<f64>(vec(d, l), load<f64>(vec(d, l)) + f);
    store<f64>(vec(e, l), 0);
  }
  return 0;
}

/** Sort eigenpairs by descending eigenvalue (selection sort: n swaps of whole columns). */
function sortDescending(v: usize, n: i32, d: usize): void {
  for (let i = 0; i < n - 1; i++) {
    let best = i;
    let bestValue = load<f64>(vec(d, i));
    for (let j = i + 1; j < n; j++) {
      const dj = load<f64>(vec(d, j));
      if (dj > bestValue) {
        best = j;
        bestValue = dj;
      }
    }
    if (best != i) {
      store<f64>(vec(d, best), load<f64>(vec(d, i)));
      store<f64>(vec(d, i), bestValue);
      for (let k = 0; k < n; k++) {
        const a = at(v, n, k, i);
        const b = at(v, n, k, best);
        const t = load<f64>(a);
        store<f64>(a, load<f64>(b));
        store<f64>(b, t);
      }
    }
  }
}

/** Flip each column so its entry of largest magnitude (first on ties) is positive. */
export function fixEigenvectorSigns(v: usize, rows: i32, cols: i32): void {
  for (let j = 0; j < cols; j++) {
    let best: f64 = 0;
    let sign: f64 = 1;
    for (let i = 0; i < rows; i++) {
      const x = load<f64>(at(v, cols, i, j));
      if (Math.abs(x) > best) {
        best = Math.abs(x);
        sign = x < 0 ? -1 : 1;
      }
    }
    if (sign < 0) {
      for (let i = 0; i < rows; i++) {
        const p = at(v, cols, i, j);
        store<f64>(p, -load<f64>(p));
      }
    }
  }
}

export function symmetricEigen(a: usize, n: i32, values: usize, scratch: usize): i32 {
  if (n <= 0) return 0;
  // Mirror the lower triangle so the routines may read either half.
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) store<f64>(at(a, n, j, i), load<f64>(at(a, n, i, j)));
  }
  tridiagonalize(a, n, values, scratch);
  const status = tridiagonalQL(a, n, values, scratch);
  if (status != 0) return status;
  sortDescending(a, n, values);
  fixEigenvectorSigns(a, n, n);
  return 0;
}
