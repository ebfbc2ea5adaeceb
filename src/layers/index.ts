/** Layers as `nn`, losses as `F`, optimisers as `optim`: PyTorch's names. */
export * as nn from './nn.js';
export * as F from './losses.js';
export * as optim from './optim.js';
export { Module } from './module.js';
