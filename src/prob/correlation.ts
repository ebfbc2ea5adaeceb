/**
 * Correlations between neurons' weights and the i.i.d. necessary conditions (LB-hidden §4.1–4.2,
 * eq 2–7, App. B, C, F).
 */
import { fmt } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * Sample correlations r(α_n, α_n') between the rows of `weights` (one row per neuron, the incoming
 * weights as columns; LB-hidden eq 2/22): an [N, N] matrix with ones on the diagonal. A constant
 * row has no defined correlation; it is reported as 0 against the others (and 1 with itself)
 * rather than NaN.
 */
export function correlationMatrix(weights: Tensor): Tensor {
  if (weights.ndim !== 2 || weights.shape[1] < 2) throw new Error(`correlationMatrix: expected [neurons, inputs ≥ 2], got ${fmt(weights.shape)}`);
  const [n, m] = weights.shape;
  const centred = new Float64Array(n * m);
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let mean = 0;
    for (let j = 0; j < m; j++) mean += weights.data[i * m + j];
    mean /= m;
    for (let j = 0; j < m; j++) {
      const c = weights.data[i * m + j] - mean;
      centred[i * m + j] = c;
      norms[i] += c * c;
    }
    norms[i] = Math.sqrt(norms[i]);
  }
  const r = new Float32Array(n * n);
  for (let a = 0; a < n; a++) {
    r[a * n + a] = 1;
    for (let b = a + 1; b < n; b++) {
      let s = 0;
      for (let j = 0; j < m; j++) s += centred[a * m + j] * centred[b * m + j];
      const v = norms[a] > 0 && norms[b] > 0 ? Math.max(-1, Math.min(1, s / (norms[a] * norms[b]))) : 0;
      r[a * n + b] = r[b * n + a] = v;
    }
  }
  return new Tensor(r, [n, n]);
}

/** The mean of |r| over the off-diagonal entries (the number the papers print above each matrix). */
export function meanAbsCorrelation(r: Tensor): number {
  const n = r.shape[0];
  if (r.ndim !== 2 || r.shape[1] !== n || n < 2) throw new Error(`meanAbsCorrelation: expected a square matrix of size ≥ 2, got ${fmt(r.shape)}`);
  let s = 0;
  for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) if (a !== b) s += Math.abs(r.data[a * n + b]);
  return s / (n * (n - 1));
}

export interface IidStatistics {
  /** W_k = Σ_n β_nk per retraining: [T, K]. */
  weightSums: Tensor;
  /** E(W_k) and E(B_2k) across retrainings: [K]. */
  meanW: Tensor;
  meanB: Tensor;
  /** Cov(W_k, W_k'), Cov(W_k, B_k'), Cov(B_k, B_k') across retrainings: [K, K]. */
  covWW: Tensor;
  covWB: Tensor;
  covBB: Tensor;
  /** Cov(G_2k, G_2k') of LB-hidden eq 3: [K, K]; i.i.d. needs its off-diagonal to vanish. */
  covG: Tensor;
  /** E(F_1)E(W_k) + E(B_2k) of eq 4: [K]; i.i.d. needs it equal for all k. */
  meanG: Tensor;
}

/**
 * The necessary conditions of LB-hidden eq 3–4 estimated across T retrainings: `weights[t]` is the
 * layer's weight matrix [K, N] (PyTorch layout: row k holds β_nk over the N neurons of the layer
 * below), `biases[t]` its bias [K], and `inputMean` the sample mean E(F_1) of the activations below.
 *   Cov(G_2k, G_2k') = Cov(W_k, W_k')E²(F_1) + Cov(W_k, B_k')E(F_1) + Cov(W_k', B_k)E(F_1) + Cov(B_k, B_k')
 * Covariances are unbiased (divide by T − 1).
 */
export function iidStatistics(weights: readonly Tensor[], biases: readonly Tensor[], inputMean: number): IidStatistics {
  const T = weights.length;
  if (T < 2 || biases.length !== T) throw new Error(`iidStatistics: need at least 2 retrainings with one bias each, got ${T} weight matrices and ${biases.length} biases`);
  const K = weights[0].shape[0];
  for (let t = 0; t < T; t++) {
    if (weights[t].ndim !== 2 || weights[t].shape[0] !== K || biases[t].size !== K) {
      throw new Error(`iidStatistics: retraining ${t} has weight ${fmt(weights[t].shape)} and bias ${fmt(biases[t].shape)}, expected [${K}, N] and [${K}]`);
    }
  }
  const W = weights.map((w) => Array.from({ length: K }, (_, k) => w.data.subarray(k * w.shape[1], (k + 1) * w.shape[1]).reduce((s, v) => s + v, 0)));
  const B = biases.map((b) => [...b.data]);
  const mean = (x: number[][]) => Array.from({ length: K }, (_, k) => x.reduce((s, row) => s + row[k], 0) / T);
  const cov = (x: number[][], y: number[][]) => {
    const [mx, my] = [mean(x), mean(y)];
    const c = new Float32Array(K * K);
    for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) c[a * K + b] = x.reduce((s, row, t) => s + (row[a] - mx[a]) * (y[t][b] - my[b]), 0) / (T - 1);
    return new Tensor(c, [K, K]);
  };
  const [covWW, covWB, covBB] = [cov(W, W), cov(W, B), cov(B, B)];
  const e = inputMean;
  const covG = new Float32Array(K * K);
  for (let a = 0; a < K; a++) {
    for (let b = 0; b < K; b++) {
      covG[a * K + b] = covWW.data[a * K + b] * e * e + covWB.data[a * K + b] * e + covWB.data[b * K + a] * e + covBB.data[a * K + b];
    }
  }
  const [mW, mB] = [mean(W), mean(B)];
  return {
    weightSums: new Tensor(Float32Array.from(W.flat()), [T, K]),
    meanW: new Tensor(Float32Array.from(mW), [K]),
    meanB: new Tensor(Float32Array.from(mB), [K]),
    covWW,
    covWB,
    covBB,
    covG: new Tensor(covG, [K, K]),
    meanG: new Tensor(Float32Array.from(mW, (w, k) => e * w + mB[k]), [K]),
  };
}
