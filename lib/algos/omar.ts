/**
 * OMAR (Algorithm 1): the MA-CQL critic, and the rectified actor loss (Eq. 2 as the code computes it)
 * `τ · MSE(π(o), â) − (1 − τ) · mean Q_1(o, π(o)) + 10⁻³ mean π(o)²`, where â is the zeroth-order
 * sampler's best action, kept only when it beats π(o) under Q_1 (line 12), and not differentiated. The
 * same actor loss on TD3's critic ({@link omarTd3}) is the online OMAR of Fig. 3's lower half.
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
} from "./actor_critic.ts";
import { cqlCriticStep, type CqlOptions, resolveCql } from "./cql.ts";
import { tdCriticStep } from "./itd3.ts";
import { sampleActions, type SamplerOptions } from "./samplers.ts";
import type { OfflineAlgorithm } from "./types.ts";

/** Options of OMAR. */
export interface OmarOptions {
  /** τ, the weight of the rectification term. Default 0.5 (use `coefficients(task, quality).tau`). */
  tau?: number;
  /** The zeroth-order sampler: `softmax` (OMAR), `cem` or `random`, with J, K, μ0, σ0. */
  sampler?: SamplerOptions;
}

/** â for learner k's batch: the sampler's best action where it beats π(o) under Q1, else π(o). */
function rectifiedTargets(
  ac: ActorCritic,
  k: number,
  ts: AgentTensors[],
  sampler: SamplerOptions,
): { best: Float32Array; bestQ: Float32Array } {
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
  return { best: actions, bestQ: q };
}

/**
 * OMAR's actor update of learner k (Algorithm 1, lines 10–13) on the rounds that update actors: the
 * sampler's â (kept where it beats π(o) under Q1), then one actor step on
 * `τ · MSE(π(o), â) − (1 − τ) · mean Q_1(o, π(o)) + c · mean π(o)²` per actor update. Returns the last
 * loss and the fraction of states whose â came from the sampler, or null on rounds without an actor
 * update. The one rectified actor loss of the kit: offline OMAR (on the MA-CQL critic) and the online
 * learner's OMAR (on TD3's critic, {@link omarTd3}) both run it.
 */
export function omarActorPhase(
  ac: ActorCritic,
  k: number,
  ts: AgentTensors[],
  options: OmarOptions = {},
): { actorLoss: number; rectifiedFraction: number } | null {
  const tau = options.tau ?? 0.5;
  const sampler = options.sampler ?? {};
  let rectified = 0;
  const loss = ac.actorPhase(() => {
    const { best, bestQ } = rectifiedTargets(ac, k, ts, sampler);
    return ac.actorStep(k, ts, (pi, q1) => {
      // line 12: â = argmax over {sampled best, π(o)} of Q1 — constants, not differentiated
      const d = ac.spec.actDim;
      const hat = new Float32Array(best.length);
      rectified = 0;
      for (let b = 0; b < bestQ.length; b++) {
        const useSample = bestQ[b] > q1[b];
        rectified += useSample ? 1 / bestQ.length : 0;
        for (let c = 0; c < d; c++) hat[b * d + c] = useSample ? best[b * d + c] : pi[b * d + c];
      }
      // τ · MSE(π, â) − (1 − τ) · mean Q1(o, π) + c · mean(π²)
      return actorLoss(pi, q1, {
        qWeight: 1 - tau,
        target: hat,
        targetWeight: tau,
        penalty: ac.options.actionPenalty,
      });
    });
  });
  return loss === null ? null : { actorLoss: loss, rectifiedFraction: rectified };
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
