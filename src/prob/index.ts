// The probabilistic readings of deep networks: the `prob` namespace.
export { gibbs, layerGibbs, exponentialFamily, type Gibbs } from './gibbs.js';
export { poe, type ProductOfExperts } from './poe.js';
export { convAsMatrix, SparseMatrix, type ConvMatrixOptions } from './conv-matrix.js';
export { mrfEnergy, energyOfLabel } from './mrf.js';
export { histogram, gaussianBinProbs, kl, klToGaussian, linearEdges, type Histogram, type KlToGaussian } from './histogram.js';
export { correlationMatrix, meanAbsCorrelation, iidStatistics, type IidStatistics } from './correlation.js';
export { FieldOfExperts, initConvFromFoE, type FoEOptions } from './foe.js';
export * as dcim from './dcim/index.js';
export * as drmm from './drmm/index.js';
