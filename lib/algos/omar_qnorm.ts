/**
 * OMAR with a Q-normalised policy term (`omar-qnorm`): the loss seam's proof, a variant written only as
 * an expression (no hand-derived gradient; tfjs autograd differentiates it). OMAR's critic and sampler,
 * and the actor loss
 *
 *     L_π = (1 − τ) · (−λ · mean Q1(o, π(o))) + τ · mean((π(o) − â)²) + c · mean(π(o)²)
 *     λ   = 1 / mean|Q1(o, π(o))|       (not differentiated)
 *
 * with â OMAR's rectified action (line 12, {@link rectifiedAction}) and c = 10⁻³.
 *
 * Why: Eq. (2) weighs a Q value against a squared distance in action space, so the trade-off a given τ
 * strikes depends on the scale of the task's returns (predator-prey's Q values are tens, cooperative
 * navigation's are negative and larger). The paper finds OMAR sensitive to τ (Fig. 4) and the authors
 * tune it per dataset (0.5–0.9, `coefficients(task, quality).tau`). Dividing the policy term by the
 * minibatch's mean |Q1|, as TD3+BC does with its α (Fujimoto & Gu 2021, α = 1 here), makes that term
 * scale-free, so one τ means the same balance on every task and quality: this variant asks how much of
 * the per-dataset tuning the normalisation removes. λ is a constant of each minibatch, so the gradient
 * direction of the policy term is OMAR's; only its weight against the rectification changes.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { ActorCritic, type ActorCriticOptions, type AgentSpec } from "./actor_critic.ts";
import { cqlCriticStep, type CqlOptions, resolveCql } from "./cql.ts";
import { defineLoss, detach, type Loss, meanSquare, mse, sum } from "./losses.ts";
import { omarActorPhase, type OmarConstants, type OmarOptions, rectifiedAction } from "./omar.ts";
import type { OfflineAlgorithm } from "./types.ts";

/**
 * The Q-normalised OMAR actor loss over π `[B, d]` and Q1(o, π(o)) `[B]`, with OMAR's constants; reports
 * `rectifiedFraction` and λ. No fast path.
 */
export const omarQnormActorLoss: Loss<"pi" | "q1", OmarConstants> = defineLoss({
  name: "q-normalised omar actor loss",
  outputs: ["pi", "q1"],
  expression: ({ pi, q1 }, { sampled, sampledQ, tau, c }) => {
    const { aHat, fromSampler } = rectifiedAction(pi, q1, { sampled, sampledQ });
    const lambda = tf.div(1, tf.mean(tf.abs(detach(q1))));
    return {
      loss: sum(
        tf.mul(1 - tau, tf.neg(tf.mul(lambda, tf.mean(q1)))),
        tf.mul(tau, mse(pi, aHat)),
        tf.mul(c, meanSquare(pi)),
      ),
      rectifiedFraction: tf.mean(tf.cast(fromSampler, "float32")),
      lambda,
    };
  },
});

/** Builds OMAR with the Q-normalised policy term (`omar-qnorm`); options as OMAR's. */
export function omarQnorm(
  spec: AgentSpec,
  options: ActorCriticOptions & CqlOptions & OmarOptions = {},
): OfflineAlgorithm {
  const ac = new ActorCritic(spec, options);
  const cqlOpts = resolveCql(options);
  return ac.algorithm("omar-qnorm", (k, ts) => {
    const critic = cqlCriticStep(ac, k, ts, cqlOpts);
    const actor = omarActorPhase(ac, k, ts, options, omarQnormActorLoss);
    return actor === null ? critic : { ...critic, ...actor };
  });
}
