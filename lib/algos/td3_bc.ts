/**
 * MA-TD3+BC (Fujimoto & Gu 2021, per agent): the ITD3 critic, and the actor loss (CORL's `td3_bc.py`)
 *
 *     L_π = −λ · mean Q1(o, π(o)) + mean((π(o) − a)²) + c · mean(π(o)²),   λ = α / mean|Q1(o, π(o))|
 *
 * with λ not differentiated, α = 2.5, plus the base's c = 10⁻³ action penalty. Not in the authors' code;
 * the paper points to sfujim/TD3_BC, whose defaults these are.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { ActorCritic, type ActorCriticOptions, type AgentSpec } from "./actor_critic.ts";
import { tdCriticStep } from "./itd3.ts";
import { actorLoss, defineLoss, detach, type Loss, meanSquare, mse, sum } from "./losses.ts";
import type { OfflineAlgorithm } from "./types.ts";

/** Options of MA-TD3+BC. */
export interface Td3BcOptions {
  /** α of `λ = α / mean|Q|`. Default 2.5. */
  bcAlpha?: number;
}

/**
 * MA-TD3+BC's actor loss over π `[B, d]` and Q1(o, π(o)) `[B]`, with the dataset actions a, α and c as
 * constants; reports λ. Fast path: {@link actorLoss} with κ = λ and t = a.
 */
export const td3bcActorLoss: Loss<"pi" | "q1", { a: tf.Tensor; alpha: number; c: number }> = defineLoss({
  name: "td3+bc actor loss",
  outputs: ["pi", "q1"],
  expression: ({ pi, q1 }, { a, alpha, c }) => {
    const lambda = tf.div(alpha, tf.mean(tf.abs(detach(q1))));
    return { loss: sum(tf.neg(tf.mul(lambda, tf.mean(q1))), mse(pi, a), tf.mul(c, meanSquare(pi))), lambda };
  },
  fast: ({ pi, q1 }, { a, alpha, c }) => {
    let s = 0;
    for (let i = 0; i < q1.length; i++) s += Math.abs(q1[i]);
    const lambda = alpha / (s / q1.length);
    const { value, dPi, dQ1 } = actorLoss(pi, q1, { qWeight: lambda, target: a, penalty: c });
    return { value, grads: { pi: dPi, q1: dQ1! }, metrics: { lambda } };
  },
});

/** Builds MA-TD3+BC. */
export function td3bc(spec: AgentSpec, options: ActorCriticOptions & Td3BcOptions = {}): OfflineAlgorithm {
  const ac = new ActorCritic(spec, options);
  const alpha = options.bcAlpha ?? 2.5, c = ac.options.actionPenalty;
  return ac.algorithm("td3bc", (k, ts) => {
    const critic = tdCriticStep(ac, k, ts);
    const actor = ac.actorPhase(() => ac.actorUpdate(k, ts, td3bcActorLoss, { a: ts[k].act, alpha, c }));
    return actor === null ? critic : { ...critic, actorLoss: actor.value, lambda: actor.metrics.lambda };
  });
}
