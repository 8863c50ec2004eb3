/**
 * Seeded random streams. Every random draw in the kit comes from an {@link Rng} (seedrandom's Alea
 * generator), named by a seed and a stream name so that independent consumers never share a sequence.
 * {@link NumpyRandomState} reproduces NumPy's legacy `np.random.seed(int)` + `uniform` exactly, so
 * environment resets can be checked against the original Python code.
 *
 * @module
 */
import seedrandom from "seedrandom";

/** Anything that draws uniform numbers; environment resets take one of these. */
export interface UniformSource {
  /** A draw from U[lo, hi), computed as `lo + (hi - lo) * u` (NumPy's formula). */
  uniformRange(lo: number, hi: number): number;
}

/** Alea's internal state: three 32-bit fractions and a carry. */
export interface AleaState {
  /** Carry. */
  c: number;
  /** State word 0. */
  s0: number;
  /** State word 1. */
  s1: number;
  /** State word 2. */
  s2: number;
}

/** The serialisable state of an {@link Rng}, for checkpoints that resume bit for bit. */
export interface RngState {
  /** Alea's internal state as seedrandom reports it. */
  alea: AleaState;
}

/** A seeded stream of random numbers (seedrandom Alea, 53-bit doubles). */
export class Rng implements UniformSource {
  #prng: seedrandom.StatefulPRNG<seedrandom.State.Alea>;

  private constructor(prng: seedrandom.StatefulPRNG<seedrandom.State.Alea>) {
    this.#prng = prng;
  }

  /**
   * A stream for `seed`, distinguished by `stream` so that, say, minibatch sampling and exploration
   * noise of the same run never draw the same numbers.
   */
  static fromSeed(seed: number | string, stream = "main"): Rng {
    return new Rng(seedrandom.alea(`omar-kit:${seed}:${stream}`, { state: true }));
  }

  /** Restores a stream saved with {@link Rng.state}. */
  static fromState(state: RngState): Rng {
    return new Rng(seedrandom.alea("", { state: state.alea }));
  }

  /** The current state; {@link Rng.fromState} continues the same sequence from here. */
  state(): RngState {
    return { alea: this.#prng.state() };
  }

  /** A child stream derived from this one's next draw (deterministic). */
  split(stream: string): Rng {
    return Rng.fromSeed(this.#prng.int32(), stream);
  }

  /** A double in [0, 1) with 53 random bits. */
  uniform(): number {
    return this.#prng.double();
  }

  /** A draw from U[lo, hi). */
  uniformRange(lo: number, hi: number): number {
    return lo + (hi - lo) * this.#prng.double();
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.#prng.double() * n);
  }

  /** A standard normal draw (Box-Muller, one value per call, so the state stays a plain Alea state). */
  normal(): number {
    let u = this.#prng.double();
    while (u === 0) u = this.#prng.double();
    const v = this.#prng.double();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Fills `out` with draws from U[lo, hi). */
  fillUniform(out: Float32Array | Float64Array, lo: number, hi: number): void {
    for (let i = 0; i < out.length; i++) out[i] = lo + (hi - lo) * this.#prng.double();
  }
}

const MT_N = 624;
const MT_M = 397;

/**
 * NumPy's legacy global generator (`np.random.seed(int)`, `np.random.uniform`), MT19937 with NumPy's
 * 53-bit double construction. Used only to reproduce the original environments' resets exactly.
 */
export class NumpyRandomState implements UniformSource {
  #mt = new Uint32Array(MT_N);
  #index = MT_N;

  /** Seeds as `np.random.seed(seed)` does for an integer seed in [0, 2^32). */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`NumpyRandomState: seed must be an integer in [0, 2^32), got ${seed}`);
    }
    const mt = this.#mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < MT_N; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  #next32(): number {
    const mt = this.#mt;
    if (this.#index >= MT_N) {
      for (let k = 0; k < MT_N; k++) {
        const y = (mt[k] & 0x80000000) | (mt[(k + 1) % MT_N] & 0x7fffffff);
        mt[k] = mt[(k + MT_M) % MT_N] ^ (y >>> 1) ^ ((y & 1) ? 0x9908b0df : 0);
      }
      this.#index = 0;
    }
    let y = mt[this.#index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** `np.random.random_sample()`: a double in [0, 1) from two 32-bit words. */
  randomSample(): number {
    const a = this.#next32() >>> 5;
    const b = this.#next32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** `np.random.uniform(lo, hi)` for one value. */
  uniformRange(lo: number, hi: number): number {
    return lo + (hi - lo) * this.randomSample();
  }
}
