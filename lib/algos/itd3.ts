/**
 * Offline ITD3 (MATD3 with `critic: "centralized"`): the base the other algorithms extend, as the
 * authors' code runs it on MPE — clipped double-Q targets `y = r + γ min_j Q̄_j(o', π̄(o'))` without
 * target-policy smoothing or policy delay, critic loss `Σ_j MSE(Q_j(o, a), y)`, actor loss
 * `−mean Q_1(o, π(o)) + 10⁻³ mean π(o)²`. With `targetNoise` and `policyDelay` it is TD3 proper (the
 * online behaviour-policy trainer uses that).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  ActorCritic,
  type ActorCriticOptions,
  type AgentSpec,
  type AgentTensors,
  lossGrads,
  mse,
} from "./actor_critic.ts";
import type { OfflineAlgorithm } from "./types.ts";

/** The TD critic step shared by ITD3, MA-TD3+BC and (with its regulariser) MA-CQL and OMAR. */
export function tdCriticStep(
  ac: ActorCritic,
  k: number,
  ts: AgentTensors[],
): { criticLoss: number; qMean: number } {
  const y = ac.tdTarget(k, ts);
  const { q1, q2, trace } = ac.criticForward(k, ts, ts[k].act);
  const criticLoss = (Q1: tf.Tensor, Q2: tf.Tensor) => tf.add(mse(Q1, y), mse(Q2, y)) as tf.Scalar;
  const { value, grads: [d1, d2] } = lossGrads([q1, q2!], criticLoss);
  ac.criticStep(k, [[trace, d1, d2]]);
  return { criticLoss: value, qMean: tf.mean(q1).dataSync()[0] };
}

/** Builds offline ITD3 (or MATD3) for learners of `spec`. */
export function itd3(spec: AgentSpec, options: ActorCriticOptions = {}): OfflineAlgorithm {
  const ac = new ActorCritic(spec, options);
  return {
    name: "itd3",
    jointSampling: ac.centralized,
    needsNextActions: false,
    update: (round) =>
      ac.round(round, (k, ts) => {
        const critic = tdCriticStep(ac, k, ts);
        if (!ac.actorRound) return critic;
        let actorLoss = 0;
        for (let u = 0; u < ac.options.actorUpdates; u++) {
          actorLoss = ac.actorStep(k, ts, (pi, q1) =>
            tf.add(tf.neg(tf.mean(q1)), ac.actionPenalty(pi)) as tf.Scalar)
            .value;
        }
        return { ...critic, actorLoss };
      }),
    policy: () => ac.policy(),
    save: () => ac.save(),
    load: (s) => ac.load(s),
    dispose: () => ac.dispose(),
  };
}
