/**
 * Brute-force references for the windowed layers: direct nested loops straight from the
 * definitions, with no im2col, no GEMM and no shared code with the kernels. The property tests
 * compare the fast paths (forward and backward) against these.
 *
 *   conv2d:    y[b,k,i,j] = bias[k] + Σ_{c,u,v} w[k,c,u,v] · x[b, c, i·sH − pH + u, j·sW − pW + v]
 *   maxPool2d: y[b,c,i,j] = max_{u,v} x[b, c, i·sH − pH + u, j·sW − pW + v]   (padding never wins)
 *   its VJP:   dx[b,c,r,s] = Σ_{i,j : (r,s) is the first maximum of window (i,j)} g[b,c,i,j]
 */
import { Tensor } from '../tensor/tensor.js';

export interface DirectWindow {
  stride: [number, number];
  padding: [number, number];
}

export function conv2dDirect(x: Tensor, w: Tensor, bias: Tensor | null, { stride: [sH, sW], padding: [pH, pW] }: DirectWindow): Tensor {
  const [N, C, H, W] = x.shape;
  const [K, , kh, kw] = w.shape;
  const oH = Math.floor((H + 2 * pH - kh) / sH) + 1;
  const oW = Math.floor((W + 2 * pW - kw) / sW) + 1;
  const y = new Float32Array(N * K * oH * oW);
  const X = (b: number, c: number, i: number, j: number) => (i < 0 || j < 0 || i >= H || j >= W ? 0 : x.data[((b * C + c) * H + i) * W + j]);
  for (let b = 0; b < N; b++)
    for (let k = 0; k < K; k++)
      for (let i = 0; i < oH; i++)
        for (let j = 0; j < oW; j++) {
          let s = bias ? bias.data[k] : 0;
          for (let c = 0; c < C; c++)
            for (let u = 0; u < kh; u++)
              for (let v = 0; v < kw; v++) s += w.data[((k * C + c) * kh + u) * kw + v] * X(b, c, i * sH - pH + u, j * sW - pW + v);
          y[((b * K + k) * oH + i) * oW + j] = s;
        }
  return new Tensor(y, [N, K, oH, oW]);
}

export function maxPool2dDirect(x: Tensor, [kh, kw]: [number, number], { stride: [sH, sW], padding: [pH, pW] }: DirectWindow): Tensor {
  const [N, C, H, W] = x.shape;
  const oH = Math.floor((H + 2 * pH - kh) / sH) + 1;
  const oW = Math.floor((W + 2 * pW - kw) / sW) + 1;
  const y = new Float32Array(N * C * oH * oW);
  for (let p = 0; p < N * C; p++)
    for (let i = 0; i < oH; i++)
      for (let j = 0; j < oW; j++) {
        let m = -Infinity;
        for (let u = 0; u < kh; u++)
          for (let v = 0; v < kw; v++) {
            const r = i * sH - pH + u;
            const c = j * sW - pW + v;
            if (r >= 0 && c >= 0 && r < H && c < W) m = Math.max(m, x.data[(p * H + r) * W + c]);
          }
        y[(p * oH + i) * oW + j] = m;
      }
  return new Tensor(y, [N, C, oH, oW]);
}

/**
 * The gradient of maxPool2dDirect for an upstream gradient g: each output's gradient goes to the
 * first position of its window (row-major scan) holding the maximum, as in PyTorch. Ties matter:
 * after a ReLU many windows hold several equal maxima, and exactly one of them may receive g.
 */
export function maxPool2dDirectBackward(x: Tensor, g: Tensor, [kh, kw]: [number, number], { stride: [sH, sW], padding: [pH, pW] }: DirectWindow): Tensor {
  const [N, C, H, W] = x.shape;
  const [, , oH, oW] = g.shape;
  const dx = new Float32Array(x.size);
  for (let p = 0; p < N * C; p++)
    for (let i = 0; i < oH; i++)
      for (let j = 0; j < oW; j++) {
        let best = -Infinity;
        let at = -1;
        for (let u = 0; u < kh; u++)
          for (let v = 0; v < kw; v++) {
            const r = i * sH - pH + u;
            const c = j * sW - pW + v;
            if (r < 0 || c < 0 || r >= H || c >= W) continue;
            const value = x.data[(p * H + r) * W + c];
            if (at < 0 || value > best) [best, at] = [value, (p * H + r) * W + c];
          }
        dx[at] += g.data[(p * oH + i) * oW + j];
      }
  return new Tensor(dx, x.shape);
}

/** y = x·Wᵀ + b by the definition y[r,o] = b[o] + Σ_i x[r,i]·W[o,i]. */
export function linearDirect(x: Tensor, w: Tensor, bias: Tensor | null): Tensor {
  const [rows, inF] = [x.size / x.shape[x.ndim - 1], x.shape[x.ndim - 1]];
  const outF = w.shape[0];
  const y = new Float32Array(rows * outF);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < outF; o++) {
      let s = bias ? bias.data[o] : 0;
      for (let i = 0; i < inF; i++) s += x.data[r * inF + i] * w.data[o * inF + i];
      y[r * outF + o] = s;
    }
  return new Tensor(y, [...x.shape.slice(0, -1), outF]);
}
