/**
 * OMAR (Algorithm 1): the MA-CQL critic, and the rectified actor loss (Eq. 2 as the code computes it)
 *
 *     L_π = (1 − τ) · (−mean Q1(o, π(o))) + τ · mean((π(o) − â)²) + c · mean(π(o)²)
 *     â   = â_s where Q1(o, â_s) > Q1(o, π(o)), else π(o)      (line 12; not differentiated)
 *
 * where â_s is the zeroth-order sampler's best action (Eq. 3) and c = 10⁻³ the code's action penalty. The
 * same actor loss on TD3's critic ({@link omarTd3}) is the online OMAR of Fig. 3's lower half.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { ActorCritic, type ActorCriticOptions, type AgentSpec, type AgentTensors } from "./actor_critic.ts";
import { cqlCriticStep, type CqlOptions, resolveCql } from "./cql.ts";
import { tdCriticStep } from "./itd3.ts";
import { actorLoss, defineLoss, detach, type Loss, meanSquare, mse, sum } from "./losses.ts";
import { sampleActions, type SamplerOptions } from "./samplers.ts";
import type { OfflineAlgorithm } from "./types.ts";

/** Options of OMAR. */
export interface OmarOptions {
  /** τ, the weight of the rectification term. Default 0.5 (use `coefficients(task, quality).tau`). */
  tau?: number;
  /** The zeroth-order sampler: `softmax` (OMAR), `cem` or `random`, with J, K, μ0, σ0. */
  sampler?: SamplerOptions;
}

/** The constants of OMAR's actor loss. */
export interface OmarConstants extends Record<string, tf.Tensor | number> {
  /** â_s, the sampler's best action per state `[B, d]`. */
  sampled: tf.Tensor;
  /** Q1(o, â_s) `[B]`. */
  sampledQ: tf.Tensor;
  /** τ. */
  tau: number;
  /** c, the action penalty. */
  c: number;
}

/**
 * Line 12 as an expression: `â = â_s` where `Q1(o, â_s) > Q1(o, π(o))`, else π(o), not differentiated;
 * with the indicator of the states that took â_s.
 */
export function rectifiedAction(
  pi: tf.Tensor,
  q1: tf.Tensor,
  { sampled, sampledQ }: Pick<OmarConstants, "sampled" | "sampledQ">,
): { aHat: tf.Tensor; fromSampler: tf.Tensor } {
  const fromSampler = tf.greater(sampledQ, detach(q1));
  return { aHat: tf.where(fromSampler.reshape([-1, 1]), sampled, detach(pi)), fromSampler };
}

/**
 * OMAR's actor loss `L_π` over π `[B, d]` and Q1(o, π(o)) `[B]`; reports `rectifiedFraction`, the share
 * of states whose â came from the sampler. Fast path: {@link actorLoss} with κ = 1 − τ, ρ = τ, t = â.
 */
export const omarActorLoss: Loss<"pi" | "q1", OmarConstants> = defineLoss({
  name: "omar actor loss",
  outputs: ["pi", "q1"],
  expression: ({ pi, q1 }, { sampled, sampledQ, tau, c }) => {
    const { aHat, fromSampler } = rectifiedAction(pi, q1, { sampled, sampledQ });
    return {
      loss: sum(
        tf.mul(1 - tau, tf.neg(tf.mean(q1))),
        tf.mul(tau, mse(pi, aHat)),
        tf.mul(c, meanSquare(pi)),
      ),
      rectifiedFraction: tf.mean(tf.cast(fromSampler, "float32")),
    };
  },
  fast: ({ pi, q1 }, { sampled, sampledQ, tau, c }) => {
    const B = q1.length, d = pi.length / B;
    const aHat = new Float32Array(pi.length);
    let rectified = 0;
    for (let b = 0; b < B; b++) {
      const useSample = sampledQ[b] > q1[b];
      rectified += useSample ? 1 / B : 0;
      for (let j = 0; j < d; j++) aHat[b * d + j] = useSample ? sampled[b * d + j] : pi[b * d + j];
    }
    const { value, dPi, dQ1 } = actorLoss(pi, q1, {
      qWeight: 1 - tau,
      target: aHat,
      targetWeight: tau,
      penalty: c,
    });
    return { value, grads: { pi: dPi, q1: dQ1! }, metrics: { rectifiedFraction: rectified } };
  },
});

/** The sampler's best action â_s and its Q1 for learner k's batch (Eq. 3 under the current critic). */
function samplerSearch(
  ac: ActorCritic,
  k: number,
  ts: AgentTensors[],
  sampler: SamplerOptions,
): { sampled: Float32Array; sampledQ: Float32Array } {
  const critic = ac.agents[k].critic;
  const B = ts[k].obs.shape[0], d = ac.spec.actDim;
  const obs = ac.criticObs(k, ts);
  const q1 = (cand: Float32Array, K: number) => {
    // (a tidy must not return the values: it would walk every element looking for tensors)
    let q: Float32Array | null = null;
    tf.tidy(() => {
      q = critic.q1(obs, ac.criticAct(k, ts, tf.tensor3d(cand, [K, B, d])), {
        training: true,
        updateStats: false,
      }).dataSync() as Float32Array;
    });
    return q!;
  };
  const { actions, q } = sampleActions(q1, { batch: B, actDim: d }, ac.rng, sampler);
  return { sampled: actions, sampledQ: q };
}

/**
 * OMAR's actor update of learner k (Algorithm 1, lines 10–13) on the rounds that update actors: the
 * sampler's â_s, then one actor step on `loss` ({@link omarActorLoss} unless a variant passes its own,
 * over the same outputs and {@link OmarConstants}) per actor update. Returns the last loss and the
 * loss's metrics (`rectifiedFraction`, …), or null on rounds without an actor update. The one rectified
 * actor phase of the kit: offline OMAR (on the MA-CQL critic) and the online learner's OMAR (on TD3's
 * critic, {@link omarTd3}) both run it.
 */
export function omarActorPhase(
  ac: ActorCritic,
  k: number,
  ts: AgentTensors[],
  options: OmarOptions = {},
  loss: Loss<"pi" | "q1", OmarConstants> = omarActorLoss,
): ({ actorLoss: number } & Record<string, number>) | null {
  const tau = options.tau ?? 0.5, c = ac.options.actionPenalty;
  const sampler = options.sampler ?? {};
  return ac.actorPhase(() => {
    const { sampled, sampledQ } = samplerSearch(ac, k, ts, sampler);
    const B = sampledQ.length;
    const r = ac.actorUpdate(k, ts, loss, {
      sampled: tf.tensor2d(sampled, [B, sampled.length / B]),
      sampledQ: tf.tensor1d(sampledQ),
      tau,
      c,
    });
    return { actorLoss: r.value, ...r.metrics };
  });
}

/** Builds OMAR. */
export function omar(
  spec: AgentSpec,
  options: ActorCriticOptions & CqlOptions & OmarOptions = {},
): OfflineAlgorithm {
  const ac = new ActorCritic(spec, options);
  const cqlOpts = resolveCql(options);
  return ac.algorithm("omar", (k, ts) => {
    const critic = cqlCriticStep(ac, k, ts, cqlOpts);
    const actor = omarActorPhase(ac, k, ts, options);
    return actor === null ? critic : { ...critic, ...actor };
  });
}

/**
 * OMAR's rectified actor on TD3's critic (no conservative term): the online OMAR of §3.2.1, "built upon
 * MATD3 based on clipped double estimators with our proposed policy objective in Eq. (2)". The online
 * learner (`trainOnline` with `omar`) trains it; with centralized critics it is online OMAR over MATD3.
 */
export function omarTd3(
  spec: AgentSpec,
  options: ActorCriticOptions & OmarOptions = {},
): OfflineAlgorithm {
  const ac = new ActorCritic(spec, options);
  return ac.algorithm("omar-td3", (k, ts) => {
    const critic = tdCriticStep(ac, k, ts);
    const actor = omarActorPhase(ac, k, ts, options);
    return actor === null ? critic : { ...critic, ...actor };
  });
}
