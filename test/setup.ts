// Property tests run from a fixed seed so that CI is reproducible; set FC_SEED to explore
// (FC_SEED=random draws a fresh seed, printed on failure by fast-check).
import fc from 'fast-check';

const env = process.env.FC_SEED;
if (env !== 'random') fc.configureGlobal({ seed: env ? Number(env) : 20261122 });
