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
  actorLoss,
  type AgentSpec,
  type AgentTensors,
  meanOf,
  tdLoss,
  values,
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
  /**
   * What is subtracted from the Q of a noisy policy action inside the log-sum-exp: its Gaussian
   * `log`-density (CQL, default) or its density `pdf` (the authors' HalfCheetah code).
   */
  cqlPolicyDensity?: "log" | "pdf";
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
    cqlPolicyDensity: o.cqlPolicyDensity ?? "log",
  };
}

/** `[K, B, d]` candidate actions and their log-densities `[K·B]` (subtracted inside the log-sum-exp). */
function cqlCandidates(ac: ActorCritic, k: number, ts: AgentTensors[], o: ResolvedCql) {
  const B = ts[k].obs.shape[0], d = ac.spec.actDim, K = o.cqlSamples;
  const uni = new Float32Array(K * B * d);
  ac.rng.fillUniform(uni, -1, 1);
  const actions: tf.Tensor3D[] = [tf.tensor3d(uni, [K, B, d])];
  const logDensity: Float32Array[] = [new Float32Array(K * B).fill(Math.log(0.5 ** d))];
  if (o.cqlActions === "uniform+policy") {
    const ag = ac.agents[k];
    const sig = o.cqlPolicyNoise, logNorm = Math.log(sig * Math.sqrt(2 * Math.PI));
    for (const obs of [ts[k].obs, ts[k].nextObs]) {
      const mean = ag.actor.predict(obs, { training: true, updateStats: false });
      const eps = new Float32Array(K * B * d);
      for (let i = 0; i < eps.length; i++) eps[i] = sig * ac.rng.normal();
      actions.push(
        tf.clipByValue(tf.add(mean.expandDims(0), tf.tensor3d(eps, [K, B, d])), -1, 1) as tf.Tensor3D,
      );
      // log N(ε; 0, σ²) summed over action dimensions
      const ld = new Float32Array(K * B);
      for (let r = 0; r < K * B; r++) {
        let s = 0;
        for (let c = 0; c < d; c++) s += -0.5 * (eps[r * d + c] / sig) ** 2 - logNorm;
        ld[r] = o.cqlPolicyDensity === "pdf" ? Math.exp(s) : s;
      }
      logDensity.push(ld);
    }
  }
  const all = new Float32Array(logDensity.reduce((n, x) => n + x.length, 0));
  logDensity.reduce((off, x) => (all.set(x, off), off + x.length), 0);
  return { actions: tf.concat(actions, 0), logDensity: all };
}

/**
 * MA-CQL's critic loss `Σ_j MSE(Q_j, y) + α Σ_j mean_b (lse_j(b) − Q_j(b))` with
 * `lse_j(b) = T log Σ_k exp((C_j[k, b] − log p[k, b]) / T)` over the candidates' Q values `C_j` `[K·B]`
 * (k-major) and their log-densities, and its gradients: `∂/∂Q_j = 2 (Q_j − y) / B − α / B`,
 * `∂/∂C_j[k, b] = α / B · softmax_k((C_j[·, b] − log p[·, b]) / T)`.
 */
export function cqlLoss(
  q: readonly Float32Array[],
  c: readonly Float32Array[],
  y: Float32Array,
  logDensity: Float32Array,
  alpha: number,
  temperature: number,
): { value: number; cqlTerm: number; dQ: Float32Array[]; dC: Float32Array[] } {
  const B = y.length, K = logDensity.length / B, T = temperature;
  const { value: td, grads: dQ } = tdLoss(q, y);
  const z = new Float64Array(K);
  let cqlTerm = 0;
  const dC = c.map((cj, j) => {
    const g = new Float32Array(K * B);
    let s = 0;
    for (let b = 0; b < B; b++) {
      let m = -Infinity;
      for (let k = 0; k < K; k++) m = Math.max(m, z[k] = (cj[k * B + b] - logDensity[k * B + b]) / T);
      let e = 0;
      for (let k = 0; k < K; k++) e += z[k] = Math.exp(z[k] - m);
      s += T * (m + Math.log(e)) - q[j][b];
      for (let k = 0; k < K; k++) g[k * B + b] = (alpha / B) * (z[k] / e);
      dQ[j][b] -= alpha / B;
    }
    cqlTerm += s / B;
    return g;
  });
  return { value: td + alpha * cqlTerm, cqlTerm, dQ, dC };
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
  const y = values(ac.tdTarget(k, ts));
  const data = ac.criticForward(k, ts, ts[k].act);
  const { actions, logDensity } = cqlCandidates(ac, k, ts, o);
  const cand = ac.criticForward(k, ts, actions);
  const q1 = values(data.q1);
  const r = cqlLoss(
    [q1, values(data.q2!)],
    [values(cand.q1), values(cand.q2!)],
    y,
    logDensity,
    o.cqlAlpha,
    o.cqlTemperature,
  );
  const [dq, dc] = [data.q1.shape, cand.q1.shape];
  ac.criticStep(k, [
    [data.trace, tf.tensor(r.dQ[0], dq), tf.tensor(r.dQ[1], dq)],
    [cand.trace, tf.tensor(r.dC[0], dc), tf.tensor(r.dC[1], dc)],
  ]);
  return { criticLoss: r.value, cqlTerm: r.cqlTerm, qMean: meanOf(q1) };
}

/** Builds MA-CQL. */
export function cql(spec: AgentSpec, options: ActorCriticOptions & CqlOptions = {}): OfflineAlgorithm {
  const ac = new ActorCritic(spec, options);
  const o = resolveCql(options);
  return ac.algorithm("cql", (k, ts) => {
    const critic = cqlCriticStep(ac, k, ts, o);
    const loss = ac.actorPhase(() =>
      ac.actorStep(k, ts, (pi, q1) => actorLoss(pi, q1, { qWeight: 1, penalty: ac.options.actionPenalty }))
    );
    return loss === null ? critic : { ...critic, actorLoss: loss };
  });
}
