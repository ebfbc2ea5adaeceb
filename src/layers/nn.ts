// The torch.nn-like namespace: modules, layers and initialisers.
export { Module } from './module.js';
export { Linear, Conv2d, MaxPool2d, ReLU, Sigmoid, Tanh, Softmax, Flatten, Dropout, Sequential, type InitOptions, type Conv2dOptions, type MaxPool2dOptions } from './layers.js';
export { BatchNorm1d, BatchNorm2d, LayerNorm, Embedding, AvgPool2d, AdaptiveAvgPool2d, Conv1d, type BatchNormOptions, type Conv1dOptions } from './norm-pool.js';
export { GELU, SiLU, ELU, LeakyReLU } from './layers.js';
export * as init from './init.js';
