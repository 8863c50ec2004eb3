/**
 * MA-TD3+BC (Fujimoto & Gu 2021, per agent): the ITD3 critic, and the actor loss
 * `−λ · mean Q_1(o, π(o)) + mean (π(o) − a)²` with `λ = α / mean |Q_1(o, π(o))|` (λ is not
 * differentiated) and α = 2.5, plus the base's 10⁻³ action penalty. Not in the authors' code; the paper
 * points to sfujim/TD3_BC, whose defaults these are.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { ActorCritic, type ActorCriticOptions, type AgentSpec, mse } from "./actor_critic.ts";
import { tdCriticStep } from "./itd3.ts";
import type { OfflineAlgorithm } from "./types.ts";

/** Options of MA-TD3+BC. */
export interface Td3BcOptions {
  /** α of `λ = α / mean|Q|`. Default 2.5. */
  bcAlpha?: number;
}

/** Builds MA-TD3+BC. */
export function td3bc(spec: AgentSpec, options: ActorCriticOptions & Td3BcOptions = {}): OfflineAlgorithm {
  const ac = new ActorCritic(spec, options);
  const alpha = options.bcAlpha ?? 2.5;
  return {
    name: "td3bc",
    jointSampling: ac.centralized,
    needsNextActions: false,
    update: (round) =>
      ac.round(round, (k, ts) => {
        const critic = tdCriticStep(ac, k, ts);
        let actorLoss = 0, lambda = 0;
        for (let u = 0; u < ac.options.actorUpdates; u++) {
          actorLoss = ac.actorStep(k, ts, (pi, q1) => {
            lambda = alpha / tf.mean(tf.abs(q1)).dataSync()[0]; // a number: not differentiated
            return tf.addN([
              tf.mul(-lambda, tf.mean(q1)),
              mse(pi, ts[k].act),
              ac.actionPenalty(pi),
            ]) as tf.Scalar;
          }).value;
        }
        return { ...critic, actorLoss, lambda };
      }),
    policy: () => ac.policy(),
    save: () => ac.save(),
    load: (s) => ac.load(s),
    dispose: () => ac.dispose(),
  };
}
