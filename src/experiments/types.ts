/**
 * What every experiment returns: numbers (JSON), figures (Vega-Lite specs, rendered to SVG by the
 * report) and rows of the claims table, each setting a paper's claim beside what was measured.
 */
import type { Claim } from './claims.js';
import type { Rng } from '../tensor/rng.js';

/** `tiny` is for the test suite; `quick` is the README's main command; `full` is paper scale. */
export type Mode = 'tiny' | 'quick' | 'full';

export type { Claim, Comparison, Quantity, Verdict } from './claims.js';

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
  /** Training and test sizes of this run beside the paper's, e.g. { ours: '60,000 / 10,000', paper: '60,000 / 10,000' }. */
  scale?: { ours: string; paper: string };
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
  /** The unit of an experiment split into units (see Experiment.units). */
  unit?: string;
  seconds: number;
  /** Where it ran: the commit of the code and the machine (see report/provenance.ts). */
  provenance?: Provenance;
  /** A merged result (report/merge.ts): the runs behind it, one per seed and unit. */
  runs?: { seed: number; unit?: string; seconds: number; provenance?: Provenance }[];
}

export interface Provenance {
  commit: string;
  /** Whether the working tree had uncommitted changes to tracked files. */
  dirty: boolean;
  node: string;
  platform: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  /** The 1-minute load average when the run started (other work on the machine slows it). */
  loadAtStart: number;
  backend: string;
  threads: number;
  /** Whether the GEMM fused its multiply-adds (wasm on an engine with relaxed SIMD); absent in runs made before it could. */
  fusedMultiplyAdd?: boolean;
  startedAt: string;
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
  /** For an experiment split into units: the one this run computes. */
  unit?: string;
  /**
   * For an experiment split into units: the findings of another unit of the same mode and seed,
   * null when it has not run (a unit that needs another, e.g. a learned prior, says so in its error).
   */
  readUnit?: (unit: string) => ExperimentFindings | null;
}

export interface Experiment {
  name: string;
  title: string;
  paper: string;
  run(ctx: ExperimentContext): ExperimentFindings | Promise<ExperimentFindings>;
  /**
   * An experiment too long for one sitting is split into units (e.g. one configuration each), run
   * one at a time (`gibbsgrad run <name> --unit <u>`), each stored when it finishes; `run` then
   * computes `ctx.unit` only, and `merge` turns the units of one seed into the experiment's findings.
   */
  units?(mode: Mode): readonly string[];
  /**
   * For an experiment whose claims each rest on one unit alone: the claims that `unit`'s findings
   * decide. A seed that ran only some units (more seeds spent on one claim, e.g. one N_L of
   * drmm-semi) then adds its claims to those of the seeds that ran every unit.
   */
  unitClaims?(unit: string, findings: ExperimentFindings, mode: Mode): Claim[];
  merge?(parts: readonly { unit: string; findings: ExperimentFindings }[], mode: Mode): ExperimentFindings;
}
