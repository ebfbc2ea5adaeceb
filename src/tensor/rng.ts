import { xoroshiro128plus } from 'pure-rand/generator/XoroShiro';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

/** MurmurHash3's 32-bit finaliser: every input bit affects every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/** Everything that determines an Rng's future draws (JSON-serialisable, for checkpoints). */
export interface RngState {
  seed: number;
  /** pure-rand's xoroshiro128+ state: four 32-bit integers. */
  generator: number[];
  /** The second Box–Muller value kept for the next normal() call. */
  spareNormal: number | null;
}

/**
 * A seeded random stream. All randomness in gibbsgrad goes through one of these, so the same
 * seed gives the same numbers. The bits come from pure-rand's xoroshiro128+; only the maps to
 * floats, normals and permutations are written here.
 */
export class Rng {
  private gen: RandomGenerator;
  private spareNormal: number | null = null;

  constructor(readonly seed: number = 0) {
    if (!Number.isSafeInteger(seed)) throw new Error(`Rng: seed must be a safe integer, got ${seed}`);
    // pure-rand seeds xoroshiro's state as (−1, ~seed, seed, 0): small seeds start near a
    // degenerate state whose first outputs are almost all ones. Scramble the seed and warm up.
    this.gen = xoroshiro128plus(fmix32((seed | 0) ^ fmix32(Math.floor(seed / 2 ** 32) | 0)));
    for (let i = 0; i < 16; i++) this.gen.unsafeNext();
  }

  /** A snapshot of the stream: an Rng set to it draws exactly what this one draws next. */
  getState(): RngState {
    return { seed: this.seed, generator: [...this.gen.getState()], spareNormal: this.spareNormal };
  }

  /** Continues the stream from a snapshot taken by getState() (e.g. of an interrupted run). */
  setState(state: RngState): void {
    const g = state?.generator;
    if (!Array.isArray(g) || g.length !== 4 || !g.every((v) => Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31)) {
      throw new Error(`Rng.setState: generator must be four 32-bit integers, got ${JSON.stringify(g)}`);
    }
    if (state.spareNormal !== null && !Number.isFinite(state.spareNormal)) throw new Error(`Rng.setState: spareNormal must be null or finite, got ${state.spareNormal}`);
    this.gen = xoroshiro128plus.fromState(g);
    this.spareNormal = state.spareNormal;
  }

  /** A new Rng continuing from a snapshot. */
  static fromState(state: RngState): Rng {
    const rng = new Rng(state?.seed ?? 0);
    rng.setState(state);
    return rng;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.gen.unsafeNext() >>> 5; // 27 bits
    const lo = this.gen.unsafeNext() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [low, high). */
  uniformIn(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Standard normal by the Box–Muller transform (the second value is kept for the next call). */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return mean + std * z;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /** Integer uniform in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new Error(`Rng.int: n must be a positive integer, got ${n}`);
    return Math.floor(this.uniform() * n);
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.uniform() < p;
  }

  /** Fisher–Yates shuffle, in place; returns the array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
    return items;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }

  /** Index drawn from unnormalised non-negative weights. */
  categorical(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) total += weights[i];
    if (!(total > 0) || !Number.isFinite(total)) throw new Error(`Rng.categorical: weights must be non-negative with a positive finite sum, got sum ${total}`);
    let u = this.uniform() * total;
    for (let i = 0; i < weights.length; i++) {
      u -= weights[i];
      if (u < 0) return i;
    }
    return weights.length - 1;
  }

  /** An independent child stream, deterministic given this stream's state. */
  fork(): Rng {
    return new Rng(this.int(2 ** 31) * 2 ** 20 + this.int(2 ** 20));
  }
}
