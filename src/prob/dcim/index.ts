// DCIM: deep conditionally independent models (prob.dcim).
export { DCIM, type DCIMOptions, type DcimLayer, type TopLayer, type Coding } from './model.js';
export { DcimConv } from './conv.js';
export { exactMarginals } from './exact.js';
export { bidirectionalLoss, sampledReverseLoss, type DcimLoss, type SampledReverseOptions } from './objectives.js';
export { binaryLogPartition, binaryMean, drawBinary } from './units.js';
