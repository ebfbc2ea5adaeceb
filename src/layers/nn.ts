// The torch.nn-like namespace: modules, layers and initialisers.
export { Module } from './module.js';
export { Linear, Conv2d, MaxPool2d, ReLU, Sigmoid, Tanh, Softmax, Flatten, Dropout, Sequential, type InitOptions, type Conv2dOptions } from './layers.js';
export * as init from './init.js';
