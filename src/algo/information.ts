/**
 * Agreement between two labelings of the same samples: contingency tables, entropy, mutual
 * information and its normalised form (scikit-learn's normalized_mutual_info_score with the
 * default arithmetic mean: NMI = I(U; V) / ((H(U) + H(V)) / 2); 1 when either labeling is
 * constant and both are equal, 0 when one is constant and the other is not).
 */

/** Counts of (a, b) pairs as a Map keyed "a,b", and the marginal counts. */
function contingency(a: ArrayLike<number>, b: ArrayLike<number>) {
  const joint = new Map<string, number>();
  const left = new Map<number, number>();
  const right = new Map<number, number>();
  for (let i = 0; i < a.length; i++) {
    const key = `${a[i]},${b[i]}`;
    joint.set(key, (joint.get(key) ?? 0) + 1);
    left.set(a[i], (left.get(a[i]) ?? 0) + 1);
    right.set(b[i], (right.get(b[i]) ?? 0) + 1);
  }
  return { joint, left, right };
}

/** Shannon entropy (nats) of a labeling. */
export function entropy(labels: ArrayLike<number>): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) counts.set(labels[i], (counts.get(labels[i]) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) {
    const p = c / labels.length;
    h -= p * Math.log(p);
  }
  return h;
}

/** Mutual information (nats) between two labelings. */
export function mutualInformation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  const { joint, left, right } = contingency(a, b);
  let mi = 0;
  for (const [key, count] of joint) {
    const [u, v] = key.split(",").map(Number);
    mi += (count / n) * Math.log((count * n) / (left.get(u)! * right.get(v)!));
  }
  return Math.max(0, mi);
}

/** Normalised mutual information, arithmetic mean of the entropies (scikit-learn's default). */
export function normalizedMutualInformation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ha = entropy(a);
  const hb = entropy(b);
  if (ha === 0 && hb === 0) return 1;
  if (ha === 0 || hb === 0) return 0;
  return mutualInformation(a, b) / ((ha + hb) / 2);
}

/**
 * Purity of clusters against classes: Σ over clusters of the largest class count, ÷ n
 * (each cluster credited with its majority class).
 */
export function purity(clusters: ArrayLike<number>, classes: ArrayLike<number>): number {
  const { joint } = contingency(clusters, classes);
  const best = new Map<number, number>();
  for (const [key, count] of joint) {
    const u = Number(key.split(",")[0]);
    best.set(u, Math.max(best.get(u) ?? 0, count));
  }
  let total = 0;
  for (const v of best.values()) total += v;
  return clusters.length ? total / clusters.length : 0;
}
