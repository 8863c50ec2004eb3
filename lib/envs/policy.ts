/**
 * The one policy shape of the kit: a joint policy of the learner agents over a batch. Algorithms,
 * behaviour snapshots and scripted rules all fit it, so evaluation and data generation need one code
 * path.
 *
 * @module
 */
import type { Rng } from "../util/rng.ts";
import type { ParticleTask } from "./task.ts";

/** Per learner: observations `[batch, obsDim_i]` in, actions `[batch, actDim]` out (float32). */
export interface JointPolicy {
  /** Writes `out[k]` (learner k's actions) from `obs[k]`. The batch size is `obs[k].length / obsDim_k`. */
  act(obs: readonly Float32Array[], out: Float32Array[]): void;
}

/** Uniform random actions in [−1, 1] from `rng` (the paper's "random" reference behaviour). */
export function uniformRandomPolicy(rng: Rng): JointPolicy {
  return { act: (_obs, out) => out.forEach((a) => rng.fillUniform(a, -1, 1)) };
}

/** All-zero actions. */
export function zeroPolicy(): JointPolicy {
  return { act: (_obs, out) => out.forEach((a) => a.fill(0)) };
}

/**
 * Cooperative navigation's scripted rule from the conformance data: agent i heads for landmark i,
 * `a_i = clip(2 (p_{l_i} − p_i) − 0.5 v_i, −1, 1)`. Works for any N-agent navigation task.
 */
export function gotoLandmarkPolicy(task: ParticleTask): JointPolicy {
  const d = task.actDim;
  const pOff = d; // obs = [v (d), p (d), landmark rel (n·d), ...]
  return {
    act(obs, out): void {
      task.learners.forEach((agent, k) => {
        const od = task.obsDims[agent], o = obs[k], a = out[k];
        const batch = o.length / od;
        for (let b = 0; b < batch; b++) {
          for (let c = 0; c < d; c++) {
            const rel = o[b * od + pOff + d + agent * d + c];
            const v = 2 * rel - 0.5 * o[b * od + c];
            a[b * d + c] = Math.min(1, Math.max(-1, v));
          }
        }
      });
    },
  };
}

/** Options of {@link noisyPolicy}. */
export interface NoiseOptions {
  /** Standard deviation of Gaussian noise added to every action. Default 0.1. */
  sigma?: number;
  /** Probability of replacing an action component by a uniform random one. Default 0. */
  epsilon?: number;
}

/** `base` with exploration noise, clipped to [−1, 1]: how behaviour data gets its diversity. */
export function noisyPolicy(base: JointPolicy, rng: Rng, options: NoiseOptions = {}): JointPolicy {
  const sigma = options.sigma ?? 0.1, eps = options.epsilon ?? 0;
  return {
    act(obs, out): void {
      base.act(obs, out);
      for (const a of out) {
        for (let i = 0; i < a.length; i++) {
          const v = rng.uniform() < eps ? rng.uniformRange(-1, 1) : a[i] + sigma * rng.normal();
          a[i] = v > 1 ? 1 : v < -1 ? -1 : v;
        }
      }
    },
  };
}
