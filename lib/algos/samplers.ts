/**
 * Zeroth-order action samplers for OMAR's actor rectification (Section 3.2, Eq. 3; Table 2). Each
 * searches, for every state of a batch, the action maximising a critic `Q1(o, ·)` given as a callback
 * over a batch of candidates, and returns the best candidate of its last population. The caller then
 * keeps `â = argmax{Q1(o, â_cand), Q1(o, π(o))}` (Algorithm 1, line 12).
 *
 * - `softmax` (OMAR, the code's MPE branch): J iterations of K Gaussian samples from N(μ, σ), clamped
 *   to [−1, 1]; `μ ← Σ_k softmax(βQ)_k a_k`; `σ ← sqrt(mean_k (a_k − μ_new)²)` (the code uses the new μ
 *   and a mean over K; the paper writes the old μ and a sum).
 * - `cem`: the mean and standard deviation of the top-E elites (elites carried between iterations,
 *   as the code's HalfCheetah branch does).
 * - `random`: K·J uniform candidates in [−1, 1]; keep the best.
 *
 * Random draws come from the given seeded stream; all arrays are float32, states in rows. Each
 * iteration draws its B·K·D standard normals in state, candidate, dimension order ({@link fillNormal}:
 * polar-method pairs from the stream's uniforms, both outputs used).
 *
 * @module
 */

/** The random draws a sampler needs (an {@link import("../util/rng.ts").Rng} fits). */
export interface SamplerRandom {
  /** A standard normal draw. */
  normal(): number;
  /** A draw from U[lo, hi). */
  uniformRange(lo: number, hi: number): number;
  /** A draw from U[0, 1); when present, {@link fillNormal} makes normals from pairs of these. */
  uniform?(): number;
}

/**
 * Fills `out` with standard normal draws. With `rng.uniform`, Marsaglia's polar method, both outputs of
 * each pair used: `u, v = 2·uniform() − 1` until `0 < s = u² + v² < 1`, then `out[i] = u·m`,
 * `out[i + 1] = v·m` with `m = sqrt(−2 ln s / s)` (an odd length drops the last `v·m`); otherwise one
 * `rng.normal()` per value, in order.
 */
export function fillNormal(rng: SamplerRandom, out: Float64Array | Float32Array): void {
  const n = out.length;
  if (rng.uniform === undefined) {
    for (let i = 0; i < n; i++) out[i] = rng.normal();
    return;
  }
  for (let i = 0; i < n; i += 2) {
    let u = 0, v = 0, s = 0;
    do {
      u = 2 * rng.uniform() - 1;
      v = 2 * rng.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    out[i] = u * m;
    if (i + 1 < n) out[i + 1] = v * m;
  }
}

/** Q1 of every candidate, k-major as the critic takes them: `actions [K, B, actDim]` → `q [K, B]`. */
export type CandidateQ = (actions: Float32Array, numCandidates: number) => Float32Array;

/** The samplers. */
export type SamplerKind = "softmax" | "cem" | "random";

/** The sampler names, for validation. */
export const SAMPLERS: readonly SamplerKind[] = ["softmax", "cem", "random"];

/** Options of {@link sampleActions}; defaults are the paper's and the code's MPE values. */
export interface SamplerOptions {
  /** Which sampler. Default `softmax`. */
  kind?: SamplerKind;
  /** Iterations J. Default 3. */
  iterations?: number;
  /** Samples per iteration K. Default 10. */
  samples?: number;
  /** Initial mean μ0 (every action dimension). Default 0. */
  mu0?: number;
  /** Initial standard deviation σ0. Default 2. */
  sigma0?: number;
  /** Softmax temperature β of the `softmax` update. Default 1 (the code). */
  beta?: number;
  /** Elites kept by `cem`. Default 5 (the code's HalfCheetah value, clipped to K). */
  elites?: number;
  /** Lower action bound. Default −1. */
  low?: number;
  /** Upper action bound. Default 1. */
  high?: number;
}

/** Result of a search: the best candidate and its Q1 per state. */
export interface SamplerResult {
  /** `[B, actDim]` best action of the last population (random: of all candidates). */
  actions: Float32Array;
  /** `[B]` its Q1. */
  q: Float32Array;
}

/** `options` with every default of {@link sampleActions} filled in (what a run records as its sampler). */
export function samplerSettings(options: SamplerOptions = {}): Required<SamplerOptions> {
  return {
    kind: options.kind ?? "softmax",
    iterations: options.iterations ?? 3,
    samples: options.samples ?? 10,
    mu0: options.mu0 ?? 0,
    sigma0: options.sigma0 ?? 2,
    beta: options.beta ?? 1,
    elites: options.elites ?? 5,
    low: options.low ?? -1,
    high: options.high ?? 1,
  };
}

/** Runs the chosen sampler for `batch` states with `actDim`-dimensional actions. */
export function sampleActions(
  q1: CandidateQ,
  shape: { batch: number; actDim: number },
  rng: SamplerRandom,
  options: SamplerOptions = {},
): SamplerResult {
  const o = samplerSettings(options);
  const kind = o.kind;
  const J = o.iterations, K = o.samples;
  const lo = o.low, hi = o.high;
  const { batch: B, actDim: D } = shape;
  const best = new Float32Array(B * D), bestQ = new Float32Array(B).fill(-Infinity);
  // candidates are k-major: candidate k of state b is row k·B + b
  const keepBest = (cand: Float32Array, q: Float32Array, k: number) => {
    for (let j = 0; j < k; j++) {
      for (let b = 0; b < B; b++) {
        const v = q[j * B + b];
        if (v > bestQ[b]) {
          bestQ[b] = v;
          for (let d = 0; d < D; d++) best[b * D + d] = cand[(j * B + b) * D + d];
        }
      }
    }
  };
  if (kind === "random") {
    const cand = new Float32Array(B * K * J * D);
    for (let i = 0; i < cand.length; i++) cand[i] = rng.uniformRange(lo, hi);
    keepBest(cand, q1(cand, K * J), K * J);
    return { actions: best, q: bestQ };
  }
  const mu = new Float32Array(B * D).fill(o.mu0);
  const sigma = new Float32Array(B * D).fill(o.sigma0);
  const beta = o.beta;
  const E = Math.min(o.elites, K);
  let cand = new Float32Array(B * K * D), q: Float32Array = new Float32Array(B * K);
  // CEM carries its elites (k-major too) into the next population
  let eliteA = new Float32Array(0), eliteQ = new Float32Array(0);
  const w = new Float64Array(K);
  const eps = new Float64Array(B * K * D);
  for (let it = 0; it < J; it++) {
    cand = new Float32Array(B * K * D);
    fillNormal(rng, eps);
    const stride = B * D; // between candidates k and k + 1 of a state
    for (let b = 0, e = 0; b < B; b++) {
      for (let k = 0; k < K; k++) {
        for (let d = 0, i = k * stride + b * D; d < D; d++) {
          const x = mu[b * D + d] + sigma[b * D + d] * eps[e++];
          cand[i + d] = x < lo ? lo : x > hi ? hi : x;
        }
      }
    }
    q = q1(cand, K);
    if (kind === "softmax") {
      for (let b = 0; b < B; b++) {
        let m = -Infinity;
        for (let k = 0; k < K; k++) m = Math.max(m, beta * q[k * B + b]);
        let z = 0;
        for (let k = 0; k < K; k++) z += w[k] = Math.exp(beta * q[k * B + b] - m);
        for (let d = 0; d < D; d++) {
          let mean = 0;
          for (let k = 0, i = b * D + d; k < K; k++, i += stride) mean += (w[k] / z) * cand[i];
          let v = 0;
          for (let k = 0, i = b * D + d; k < K; k++, i += stride) {
            const c = cand[i] - mean;
            v += c * c;
          }
          mu[b * D + d] = mean;
          sigma[b * D + d] = Math.sqrt(v / K);
        }
      }
    } else {
      // pool = this population plus the carried elites; keep the top E by Q
      const carried = eliteQ.length / B, P = K + carried;
      const nextA = new Float32Array(B * E * D), nextQ = new Float32Array(B * E);
      const poolQ = (j: number, b: number) => (j < K ? q[j * B + b] : eliteQ[(j - K) * B + b]);
      const poolA = (j: number, b: number, d: number) =>
        j < K ? cand[(j * B + b) * D + d] : eliteA[((j - K) * B + b) * D + d];
      const order = new Array<number>(P);
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < P; j++) order[j] = j;
        order.sort((x, y) => poolQ(y, b) - poolQ(x, b));
        for (let e = 0; e < E; e++) {
          nextQ[e * B + b] = poolQ(order[e], b);
          for (let d = 0; d < D; d++) nextA[(e * B + b) * D + d] = poolA(order[e], b, d);
        }
        for (let d = 0; d < D; d++) {
          let mean = 0;
          for (let e = 0; e < E; e++) mean += nextA[(e * B + b) * D + d];
          mean /= E;
          let v = 0;
          for (let e = 0; e < E; e++) v += (nextA[(e * B + b) * D + d] - mean) ** 2;
          mu[b * D + d] = mean;
          sigma[b * D + d] = Math.sqrt(v / E);
        }
      }
      eliteA = nextA, eliteQ = nextQ;
    }
  }
  if (kind === "cem") keepBest(eliteA, eliteQ, E);
  else keepBest(cand, q, K);
  return { actions: best, q: bestQ };
}
