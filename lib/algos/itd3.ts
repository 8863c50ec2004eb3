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
  actorLoss,
  type AgentSpec,
  type AgentTensors,
  meanOf,
  tdLoss,
  values,
} from "./actor_critic.ts";
import type { OfflineAlgorithm } from "./types.ts";

/** The TD critic step shared by ITD3, MA-TD3+BC and (with its regulariser) MA-CQL and OMAR. */
export function tdCriticStep(
  ac: ActorCritic,
  k: number,
  ts: AgentTensors[],
): { criticLoss: number; qMean: number } {
  const y = values(ac.tdTarget(k, ts));
  const { q1, q2, trace } = ac.criticForward(k, ts, ts[k].act);
  const q1v = values(q1);
  const { value, grads: [d1, d2] } = tdLoss([q1v, values(q2!)], y);
  ac.criticStep(k, [[trace, tf.tensor(d1, q1.shape), tf.tensor(d2, q1.shape)]]);
  return { criticLoss: value, qMean: meanOf(q1v) };
}

/** Builds offline ITD3 (or MATD3) for learners of `spec`. */
export function itd3(spec: AgentSpec, options: ActorCriticOptions = {}): OfflineAlgorithm {
  const ac = new ActorCritic(spec, options);
  return ac.algorithm("itd3", (k, ts) => {
    const critic = tdCriticStep(ac, k, ts);
    const loss = ac.actorPhase(() =>
      ac.actorStep(k, ts, (pi, q1) => actorLoss(pi, q1, { qWeight: 1, penalty: ac.options.actionPenalty }))
    );
    return loss === null ? critic : { ...critic, actorLoss: loss };
  });
}
