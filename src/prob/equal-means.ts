/**
 * Are K expectations equal, given T independent observations of all K at once? LB-hidden eq 4/7
 * and App. F.1 ask this of E(W_k) (W_k = Σ_n β_nk) across T retrainings of the MLP, and read it
 * off a plot of the K sample means; the spread of K means of T samples is not zero even when the
 * expectations are equal, so the question needs the sampling spread beside it.
 *
 * The test is the randomised-block (two-way, one observation per cell) analysis of variance:
 * rows are retrainings, columns the K units. Within one retraining the K units share that run's
 * overall scale (one common factor), so each row's mean is removed from the residual:
 *   F = [T Σ_k (m_k − ḡ)² / (K − 1)] / [Σ_tk (x_tk − m_k − r_t + ḡ)² / ((K − 1)(T − 1))]
 * with column means m_k, row means r_t and grand mean ḡ. Under equal expectations and a
 * compound-symmetric covariance (equal variances, equal covariances: what units that are
 * exchangeable under a random initialisation have), F ~ F(K − 1, (K − 1)(T − 1)) exactly for
 * normal observations, and approximately otherwise.
 */
export interface EqualMeansTest {
  f: number;
  df1: number;
  df2: number;
  /** Mean and standard deviation of F(df1, df2): what F is when the expectations are equal. */
  nullMean: number;
  nullSd: number;
  /** The K column means (the estimates of the K expectations). */
  means: number[];
}

/** The randomised-block F test of equal column means of a table [T rows][K columns], T ≥ 2, K ≥ 2. */
export function equalMeansTest(table: readonly (readonly number[])[]): EqualMeansTest {
  const t = table.length;
  const k = table[0]?.length ?? 0;
  if (t < 2 || k < 2 || table.some((row) => row.length !== k)) throw new Error(`equalMeansTest: need a table of at least 2 rows of the same length ≥ 2, got ${t} rows of lengths ${table.map((r) => r.length).join(', ')}`);
  const rowMeans = table.map((row) => row.reduce((s, v) => s + v, 0) / k);
  const means = Array.from({ length: k }, (_, j) => table.reduce((s, row) => s + row[j], 0) / t);
  const grand = rowMeans.reduce((s, v) => s + v, 0) / t;
  const df1 = k - 1;
  const df2 = (k - 1) * (t - 1);
  const between = (t * means.reduce((s, m) => s + (m - grand) ** 2, 0)) / df1;
  let residual = 0;
  table.forEach((row, i) => row.forEach((v, j) => (residual += (v - means[j] - rowMeans[i] + grand) ** 2)));
  residual /= df2;
  return { f: between / residual, df1, df2, ...fMoments(df1, df2), means };
}

/** Mean and standard deviation of the F(d1, d2) distribution (NaN where they do not exist: d2 ≤ 2, d2 ≤ 4). */
export function fMoments(d1: number, d2: number): { nullMean: number; nullSd: number } {
  const nullMean = d2 > 2 ? d2 / (d2 - 2) : NaN;
  const nullSd = d2 > 4 ? Math.sqrt((2 * d2 * d2 * (d1 + d2 - 2)) / (d1 * (d2 - 2) ** 2 * (d2 - 4))) : NaN;
  return { nullMean, nullSd };
}
