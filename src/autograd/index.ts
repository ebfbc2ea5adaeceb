import './methods.js';
import './ops/elementwise.js';
import './ops/reduce.js';
import './ops/shape.js';
import './ops/linalg.js';
import './ops/conv.js';
import './ops/conv-transpose.js';
import './ops/unpool.js';

export { registry, apply, noGrad, isGradEnabled, setAnomalyMode, detectAnomaly, defineOp, topoSort, type OpDef, type Node } from './engine.js';
export { gradcheck, gradcheckParams, type GradcheckOptions, type GradcheckResult } from './gradcheck.js';
export { explain, type ExplainOptions } from './explain.js';
export { concat, stack, outer, matmul, linear, where, asTensor } from './methods.js';
export type { Window2d, Pool2d } from './ops/conv.js';
export { conv2dTranspose, type ConvTranspose2d } from './ops/conv-transpose.js';
export { unpool } from './ops/unpool.js';
