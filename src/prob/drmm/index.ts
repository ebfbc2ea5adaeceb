// DRMM: rendering mixture models and their max-sum inference (prob.drmm).
export { RMM, type RMMOptions, type RMMSample } from './rmm.js';
export { DRMM, convTranspose, upsample, type DRMMOptions, type DRMMLevel, type Latents } from './drmm.js';
