/**
 * What every experiment returns: numbers (JSON), figures (Vega-Lite specs, rendered to SVG by the
 * report) and rows of the claims table, each setting a paper's claim beside what was measured.
 */
import type { Rng } from '../tensor/rng.js';

/** `tiny` is for the test suite; `quick` is the README's main command; `full` is paper scale. */
export type Mode = 'tiny' | 'quick' | 'full';

export interface Claim {
  experiment: string;
  claim: string;
  paperValue: string;
  measured: string;
  /** Whether the claim's direction holds in this run (null: not a directional claim). */
  holds: boolean | null;
  note?: string;
}

export interface Figure {
  name: string;
  title: string;
  /** A Vega-Lite specification with its data inlined. */
  spec: Record<string, unknown>;
}

/** What an experiment's run finds; the runner adds who ran what, and how long it took (ExperimentResult). */
export interface ExperimentFindings {
  /** What the data were (and how they differ from the paper's). */
  data: string;
  metrics: Record<string, unknown>;
  claims: Claim[];
  figures: Figure[];
}

/** An experiment's result.json: its findings with the experiment's names, the mode, the seed and the wall time. */
export interface ExperimentResult extends ExperimentFindings {
  name: string;
  title: string;
  paper: string;
  mode: Mode;
  seed: number;
  seconds: number;
}

export type ExperimentEvent =
  | { kind: 'stage'; label: string }
  | { kind: 'epoch'; label: string; epoch: number; epochs: number; loss: number; accuracy?: number }
  | { kind: 'batch'; batch: number; batches: number };

export interface ExperimentContext {
  mode: Mode;
  seed: number;
  rng: Rng;
  report: (e: ExperimentEvent) => void;
  /**
   * Where `train` keeps its epoch checkpoints (set by the runner: <out>/<name>/.progress). Without
   * it nothing is saved. For a resumed run to equal an uninterrupted one, everything an experiment
   * does besides `train` must be deterministic given the seed.
   */
  checkpointDir?: string;
}

export interface Experiment {
  name: string;
  title: string;
  paper: string;
  run(ctx: ExperimentContext): ExperimentFindings | Promise<ExperimentFindings>;
}
