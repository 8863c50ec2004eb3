/**
 * Offline ITD3 (MATD3 with `critic: "centralized"`): the base the other algorithms extend, as the
 * authors' code runs it on MPE — clipped double-Q targets `y = r + γ min_j Q̄_j(o', π̄(o'))` without
 * target-policy smoothing or policy delay, and the losses
 *
 *     L_Q = mean((Q1(o, a) − y)²) + mean((Q2(o, a) − y)²)
 *     L_π = −mean Q1(o, π(o)) + c · mean(π(o)²)          (c = 10⁻³, the code's action penalty)
 *
 * With `targetNoise` and `policyDelay` it is TD3 proper (the online behaviour-policy trainer uses that).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { ActorCritic, type ActorCriticOptions, type AgentSpec, type AgentTensors } from "./actor_critic.ts";
import { actorLoss, defineLoss, type Loss, meanOf, meanSquare, mse, sum, tdLoss } from "./losses.ts";
import type { OfflineAlgorithm } from "./types.ts";

/**
 * The TD critic loss `L_Q = mean((Q1 − y)²) + mean((Q2 − y)²)` (`F.mse_loss` per head) over Q_j(o, a)
 * and the target y `[B]`; reports `qMean = mean Q1(o, a)`. Fast path: {@link tdLoss}.
 */
export const tdCriticLoss: Loss<"q1" | "q2", { y: tf.Tensor }> = defineLoss({
  name: "td critic loss",
  outputs: ["q1", "q2"],
  expression: ({ q1, q2 }, { y }) => ({
    loss: sum(mse(q1, y), mse(q2, y)),
    qMean: tf.mean(q1),
  }),
  fast: ({ q1, q2 }, { y }) => {
    const { value, grads: [d1, d2] } = tdLoss([q1, q2], y);
    return { value, grads: { q1: d1, q2: d2 }, metrics: { qMean: meanOf(q1) } };
  },
});

/**
 * The ITD3 (and MA-CQL) actor loss `L_π = −mean Q1(o, π(o)) + c · mean(π(o)²)` over π `[B, d]` and
 * Q1(o, π(o)) `[B]`. Fast path: {@link actorLoss} with κ = 1.
 */
export const td3ActorLoss: Loss<"pi" | "q1", { c: number }> = defineLoss({
  name: "td3 actor loss",
  outputs: ["pi", "q1"],
  expression: ({ pi, q1 }, { c }) => sum(tf.neg(tf.mean(q1)), tf.mul(c, meanSquare(pi))),
  fast: ({ pi, q1 }, { c }) => {
    const { value, dPi, dQ1 } = actorLoss(pi, q1, { qWeight: 1, penalty: c });
    return { value, grads: { pi: dPi, q1: dQ1! } };
  },
});

/**
 * The TD critic step shared by ITD3 and MA-TD3+BC: `L_Q` on Q_j(o, a) with the clipped double-Q target.
 * Returns the loss and mean Q1 on data.
 */
export function tdCriticStep(
  ac: ActorCritic,
  k: number,
  ts: AgentTensors[],
): { criticLoss: number; qMean: number } {
  const y = ac.tdTarget(k, ts).reshape([-1]);
  const { q1, q2 } = ac.criticForward(k, ts, ts[k].act);
  const r = ac.criticUpdate(k, tdCriticLoss, { q1, q2: q2! }, { y });
  return { criticLoss: r.value, qMean: r.metrics.qMean };
}

/** Builds offline ITD3 (or MATD3) for learners of `spec`. */
export function itd3(spec: AgentSpec, options: ActorCriticOptions = {}): OfflineAlgorithm {
  const ac = new ActorCritic(spec, options);
  const c = ac.options.actionPenalty;
  return ac.algorithm("itd3", (k, ts) => {
    const critic = tdCriticStep(ac, k, ts);
    const actor = ac.actorPhase(() => ac.actorUpdate(k, ts, td3ActorLoss, { c }));
    return actor === null ? critic : { ...critic, actorLoss: actor.value };
  });
}
