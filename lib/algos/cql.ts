/**
 * MA-CQL: ITD3 with the conservative regulariser of Eq. (1) on each critic,
 * `α · E_D[ log Σ_a exp Q(o, a) − Q(o, a_D) ]`, as the authors' code computes it on MPE: the log-sum-exp
 * runs over K = 10 uniform actions per state with the log-density correction `− log 0.5^{|A|}`, temperature
 * 1, no log K, for each head: `cql = mean(lse_1 − Q_1(o, a)) + mean(lse_2 − Q_2(o, a))`. The fuller
 * variant (`cqlActions: "uniform+policy"`) adds K noisy π(o) and K noisy π(o') actions with their
 * Gaussian log-density (the code's HalfCheetah branch subtracts the density itself; the kit uses the
 * log-density).
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

/** Options of the CQL regulariser (MA-CQL and OMAR). */
export interface CqlOptions {
  /** α, the regulariser's weight. Default 1 (use `coefficients(task, quality).cqlAlpha` for the code's table). */
  cqlAlpha?: number;
  /** K, sampled actions per state and source. Default 10. */
  cqlSamples?: number;
  /** Temperature of the log-sum-exp. Default 1. */
  cqlTemperature?: number;
  /** `uniform` (the code on MPE, default) or `uniform+policy` (also noisy π(o) and π(o') actions). */
  cqlActions?: "uniform" | "uniform+policy";
  /** Standard deviation of the noise on policy actions (`uniform+policy`). Default 0.2. */
  cqlPolicyNoise?: number;
}

/** The resolved CQL options. */
export type ResolvedCql = Required<CqlOptions>;

/** Fills in the CQL defaults. */
export function resolveCql(o: CqlOptions): ResolvedCql {
  return {
    cqlAlpha: o.cqlAlpha ?? 1,
    cqlSamples: o.cqlSamples ?? 10,
    cqlTemperature: o.cqlTemperature ?? 1,
    cqlActions: o.cqlActions ?? "uniform",
    cqlPolicyNoise: o.cqlPolicyNoise ?? 0.2,
  };
}

/** `[K, B, d]` candidate actions and their log-densities `[K, B]` (subtracted inside the log-sum-exp). */
function cqlCandidates(ac: ActorCritic, k: number, ts: AgentTensors[], o: ResolvedCql) {
  const B = ts[k].obs.shape[0], d = ac.spec.actDim, K = o.cqlSamples;
  const uni = new Float32Array(K * B * d);
  ac.rng.fillUniform(uni, -1, 1);
  const actions: tf.Tensor3D[] = [tf.tensor3d(uni, [K, B, d])];
  const logDensity: tf.Tensor[] = [tf.fill([K, B], Math.log(0.5 ** d))];
  if (o.cqlActions === "uniform+policy") {
    const ag = ac.agents[k];
    for (const obs of [ts[k].obs, ts[k].nextObs]) {
      const mean = ag.actor.predict(obs, { training: true, updateStats: false });
      const eps = new Float32Array(K * B * d);
      for (let i = 0; i < eps.length; i++) eps[i] = o.cqlPolicyNoise * ac.rng.normal();
      const noise = tf.tensor3d(eps, [K, B, d]);
      actions.push(tf.clipByValue(tf.add(mean.expandDims(0), noise), -1, 1) as tf.Tensor3D);
      // log N(ε; 0, σ²) summed over action dimensions
      const sig = o.cqlPolicyNoise;
      logDensity.push(
        tf.sum(
          tf.sub(tf.mul(-0.5, tf.square(tf.div(noise, sig))), Math.log(sig * Math.sqrt(2 * Math.PI))),
          2,
        ),
      );
    }
  }
  return { actions: tf.concat(actions, 0), logDensity: tf.concat(logDensity, 0) };
}

/**
 * The critic step of MA-CQL and OMAR for learner k: `Σ_j MSE(Q_j(o, a), y) + α · cql`. Returns the loss,
 * the regulariser and mean Q1 on data.
 */
export function cqlCriticStep(
  ac: ActorCritic,
  k: number,
  ts: AgentTensors[],
  o: ResolvedCql,
): { criticLoss: number; cqlTerm: number; qMean: number } {
  const y = ac.tdTarget(k, ts);
  const data = ac.criticForward(k, ts, ts[k].act);
  const { actions, logDensity } = cqlCandidates(ac, k, ts, o);
  const cand = ac.criticForward(k, ts, actions);
  const T = o.cqlTemperature;
  const lse = (qc: tf.Tensor) => tf.mul(T, tf.logSumExp(tf.div(tf.sub(qc, logDensity), T), 0));
  let cqlTerm = 0;
  const loss = (Q1: tf.Tensor, Q2: tf.Tensor, C1: tf.Tensor, C2: tf.Tensor) => {
    const cql = tf.add(
      tf.mean(tf.sub(lse(C1), Q1.reshape([-1]))),
      tf.mean(tf.sub(lse(C2), Q2.reshape([-1]))),
    );
    cqlTerm = cql.dataSync()[0];
    return tf.add(tf.add(mse(Q1, y), mse(Q2, y)), tf.mul(o.cqlAlpha, cql)) as tf.Scalar;
  };
  const { value, grads: [d1, d2, c1, c2] } = lossGrads([data.q1, data.q2!, cand.q1, cand.q2!], loss);
  ac.criticStep(k, [[data.trace, d1, d2], [cand.trace, c1, c2]]);
  return { criticLoss: value, cqlTerm, qMean: tf.mean(data.q1).dataSync()[0] };
}

/** Builds MA-CQL. */
export function cql(spec: AgentSpec, options: ActorCriticOptions & CqlOptions = {}): OfflineAlgorithm {
  const ac = new ActorCritic(spec, options);
  const o = resolveCql(options);
  return {
    name: "cql",
    jointSampling: ac.centralized,
    needsNextActions: false,
    update: (round) =>
      ac.round(round, (k, ts) => {
        const critic = cqlCriticStep(ac, k, ts, o);
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
