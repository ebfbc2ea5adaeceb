// DRMM: rendering mixture models and their max-sum inference (prob.drmm).
export { RMM, type RMMOptions, type RMMSample } from './rmm.js';
export { convTranspose, unpool } from './conv-transpose.js';
export { DRMM, upsample, type DRMMOptions, type DRMMLevel, type Latents, type LatentPrior, type Nonnegativity } from './drmm.js';
