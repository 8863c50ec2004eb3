/**
 * MA-ICQ: implicit constraint Q-learning (Yang et al. 2021) per agent, adapted to continuous actions as
 * the ICQ authors' continuous-control code does. Only dataset actions are evaluated:
 *
 * - critic: `y = r + γ (1 − done) · Q̄_1(o', a'_D) · w`, `w = clip(B/α · softmax_batch(Q̄_1(o', a'_D) / β), 0, 1)`,
 *   where a'_D is the dataset's next action (rows ending an episode are not sampled); loss
 *   `L_Q = Σ_j mean((Q_j(o, a) − y)²)` (ICQ trains one head; the kit trains both towards the same target);
 * - actor: advantage-weighted regression on dataset actions, `A = r + γ (1 − done) Q_1(o', a'_D) − Q_1(o, a)`,
 *   `w = B · softmax_batch(A / β)`, loss (a deterministic actor's −log π(a|o) up to a constant, plus the
 *   base's c = 10⁻³ action penalty)
 *
 *       L_π = mean_b( w_b · ‖π(o_b) − a_b‖² ) + c · mean(π(o)²)
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { ActorCritic, type ActorCriticOptions, type AgentSpec, type AgentTensors } from "./actor_critic.ts";
import { tdCriticLoss } from "./itd3.ts";
import { type ActorLossGrads, defineLoss, type Loss, meanSquare, sum } from "./losses.ts";
import type { OfflineAlgorithm } from "./types.ts";

/** Options of MA-ICQ. */
export interface IcqOptions {
  /** β, the softmax temperature of critic and actor weights. Default 100 (the ICQ code's default). */
  icqBeta?: number;
  /** α of the critic weight `B/α · softmax`. Default 1. */
  icqAlpha?: number;
}

/** `B · softmax(x / β)` over the batch (rows). */
function batchSoftmaxWeights(x: tf.Tensor, beta: number): tf.Tensor {
  return tf.mul(x.shape[0]!, tf.softmax(tf.div(x.reshape([1, -1]), beta)).reshape(x.shape));
}

/**
 * MA-ICQ's actor loss `L_π` over π `[B, d]`, with the dataset actions a `[B, d]`, the weights w `[B]` and
 * c as constants. Fast path: {@link icqActorLoss}.
 */
export const icqAwrLoss: Loss<"pi", { a: tf.Tensor; w: tf.Tensor; c: number }> = defineLoss({
  name: "icq actor loss (weighted regression)",
  outputs: ["pi"],
  expression: ({ pi }, { a, w, c }) =>
    sum(tf.mean(tf.mul(w, tf.sum(tf.squaredDifference(pi, a), 1))), tf.mul(c, meanSquare(pi))),
  fast: ({ pi }, { a, w, c }) => {
    const { value, dPi } = icqActorLoss(pi, a, w, c);
    return { value, grads: { pi: dPi } };
  },
});

/**
 * MA-ICQ's actor loss `mean_b w_b ‖π_b − a_b‖² + c · mean(π²)` over π and a `[B, d]`, weights w `[B]`, and
 * its gradient `∂/∂π = 2 w_b (π − a) / B + 2 c π / (B d)`.
 */
export function icqActorLoss(
  pi: Float32Array,
  act: Float32Array,
  w: Float32Array,
  c: number,
): ActorLossGrads {
  const n = pi.length, b = w.length, d = n / b;
  const dPi = new Float32Array(n);
  let reg = 0, pen = 0;
  for (let i = 0; i < n; i++) {
    const wb = w[Math.floor(i / d)], e = pi[i] - act[i];
    reg += wb * e * e;
    pen += pi[i] * pi[i];
    dPi[i] = (2 * wb * e) / b + (2 * c * pi[i]) / n;
  }
  return { value: reg / b + (c * pen) / n, dPi, dQ1: null };
}

/** Builds MA-ICQ. */
export function icq(spec: AgentSpec, options: ActorCriticOptions & IcqOptions = {}): OfflineAlgorithm {
  const ac = new ActorCritic(spec, options);
  const beta = options.icqBeta ?? 100, alpha = options.icqAlpha ?? 1, c = ac.options.actionPenalty;
  const nextJointAct = (k: number, ts: AgentTensors[]) =>
    ac.centralized ? tf.concat(ts.map((t) => t.nextAct!), 1) : ts[k].nextAct!;
  return ac.algorithm("icq", (k, ts) => {
    const ag = ac.agents[k], t = ts[k];
    const nextObs = ac.criticObs(k, ts, true);
    // critic: the softmax-weighted dataset-action target
    const qNext = ag.criticTarget.q1(nextObs, nextJointAct(k, ts), {
      training: true,
      updateStats: false,
    });
    const w = tf.clipByValue(tf.div(batchSoftmaxWeights(qNext, beta), alpha), 0, 1);
    const y = ac.bootstrap(t, tf.mul(qNext, w)).reshape([-1]);
    const { q1, q2 } = ac.criticForward(k, ts, t.act);
    const critic = ac.criticUpdate(k, tdCriticLoss, { q1, q2: q2! }, { y });
    // actor: advantage-weighted regression with the updated critic
    const q = ag.critic.q1(nextObs, nextJointAct(k, ts), { training: true, updateStats: false });
    const qData = ag.critic.q1(ac.criticObs(k, ts), ac.criticAct(k, ts, t.act), {
      training: true,
      updateStats: false,
    });
    const adv = tf.sub(ac.bootstrap(t, q), qData);
    const wPi = batchSoftmaxWeights(adv, beta).reshape([-1]);
    const actor = ac.actorPhase(() => ac.actorUpdate(k, ts, icqAwrLoss, { a: t.act, w: wPi, c }));
    return {
      criticLoss: critic.value,
      qMean: critic.metrics.qMean,
      ...(actor === null ? {} : { actorLoss: actor.value }),
    };
  }, { needsNextActions: true });
}
