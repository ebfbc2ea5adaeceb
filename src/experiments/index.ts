/** The registry of experiments, in the order `reproduce` runs them. */
import { dcimCnn } from './dcim-cnn.js';
import { dcimDense } from './dcim-dense.js';
import { diagonalGibbs } from './diagonal-gibbs.js';
import { drmmRender } from './drmm-render.js';
import { drmmSemi } from './drmm-semi.js';
import { drmmSettings } from './drmm-settings.js';
import { drmmSupervised } from './drmm-supervised.js';
import { energyMin } from './energy-min.js';
import { iidConditions } from './iid-conditions.js';
import { priorKlExperiment } from './prior-kl.js';
import { capacity } from './capacity.js';
import { randomLabelsExperiment } from './random-labels.js';
import { bayesPrior } from './bayes-prior.js';
import type { Experiment } from './types.js';
import { weightCorrelation } from './weight-correlation.js';

export const experiments: Experiment[] = [diagonalGibbs, weightCorrelation, energyMin, iidConditions, priorKlExperiment, capacity, randomLabelsExperiment, bayesPrior, dcimDense, dcimCnn, drmmSupervised, drmmSettings, drmmSemi, drmmRender];

export function findExperiment(name: string): Experiment {
  const e = experiments.find((x) => x.name === name);
  if (!e) throw new Error(`unknown experiment '${name}' (available: ${experiments.map((x) => x.name).join(', ')})`);
  return e;
}

export type { Experiment, ExperimentFindings, ExperimentResult, Claim, Figure, Mode, ExperimentContext, ExperimentEvent } from './types.js';
