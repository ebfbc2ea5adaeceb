/** Layers as `nn`, losses as `F`, optimisers as `optim`: PyTorch's names. */
export * as nn from './nn.js';
export * as F from './losses.js';
export * as optim from './optim.js';
export { Module } from './module.js';
export { fit, evaluate, batches, accuracy, takeRows, type EpochLog, type Progress, type FitOptions, type EvalResult } from './train.js';
export { trainEpochs, nonFiniteParameter, type TrainingLoop, type EpochPlan, type BatchResult, type EpochCheckpoint, type TrainingState } from './loop.js';
export { inEvalBatches, classificationError } from './evaluate.js';
export { encodeCheckpoint, decodeCheckpoint, loadState } from './checkpoint.js';
export { conv2dDirect, maxPool2dDirect, maxPool2dDirectBackward, linearDirect, type DirectWindow } from './direct.js';
