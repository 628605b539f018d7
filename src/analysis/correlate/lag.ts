/** How closely two per-bucket series move together, at the lag where they agree best. */
export interface CoMovement {
  /** Pearson correlation at the best lag, -1…1 (0 when either series is flat). */
  correlation: number;
  /** Buckets by which the second series trails the first (negative: it leads). */
  lagBuckets: number;
}

function pearson(a: readonly number[], b: readonly number[], from: number, to: number, lag: number): number {
  let n = 0;
  let sa = 0;
  let sb = 0;
  for (let t = from; t < to; t++) {
    const u = t + lag;
    if (u < from || u >= to) continue;
    n += 1;
    sa += a[t];
    sb += b[u];
  }
  if (n < 3) return 0;
  const ma = sa / n;
  const mb = sb / n;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let t = from; t < to; t++) {
    const u = t + lag;
    if (u < from || u >= to) continue;
    cov += (a[t] - ma) * (b[u] - mb);
    va += (a[t] - ma) ** 2;
    vb += (b[u] - mb) ** 2;
  }
  return va && vb ? cov / Math.sqrt(va * vb) : 0;
}

/**
 * Cross-correlation of buckets [from, to) at lags -maxLag…maxLag: a symptom follows its cause
 * bucket by bucket, often a little later. Ties go to the smaller lag. Cost: buckets × lags.
 */
export function coMovement(a: readonly number[], b: readonly number[], from: number, to: number, maxLag: number): CoMovement {
  let best: CoMovement = { correlation: 0, lagBuckets: 0 };
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    const r = pearson(a, b, from, to, lag);
    const better = r > best.correlation + 1e-9 || (Math.abs(r - best.correlation) <= 1e-9 && Math.abs(lag) < Math.abs(best.lagBuckets));
    if (better) best = { correlation: r, lagBuckets: lag };
  }
  return best;
}
