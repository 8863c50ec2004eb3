/**
 * MA-CQL: ITD3 with the conservative regulariser of Eq. (1) on each critic,
 * `α · E_D[ log Σ_a exp Q(o, a) − Q(o, a_D) ]`, as the authors' code computes it on MPE: the log-sum-exp
 * runs over K = 10 uniform actions a_k per state with the log-density correction `− log 0.5^{|A|}`,
 * temperature T = 1, no log K, for each head:
 *
 *     L_Q = Σ_j mean((Q_j(o, a) − y)²) + α · Σ_j mean_b( T · logsumexp_k((Q_j(o, a_k) − log p(a_k)) / T) − Q_j(o, a) )
 *     L_π = −mean Q1(o, π(o)) + c · mean(π(o)²)       (ITD3's)
 *
 * The fuller variant (`cqlActions: "uniform+policy"`) adds K noisy π(o) and K noisy π(o') actions with
 * their Gaussian log-density (the code's HalfCheetah branch subtracts the density itself; the kit uses
 * the log-density).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { ActorCritic, type ActorCriticOptions, type AgentSpec, type AgentTensors } from "./actor_critic.ts";
import { td3ActorLoss } from "./itd3.ts";
import { defineLoss, type Loss, meanOf, mse, sum, tdLoss } from "./losses.ts";
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

/** Constants of {@link cqlCriticLoss}. */
export interface CqlConstants extends Record<string, tf.Tensor | number> {
  /** The TD target y `[B]`. */
  y: tf.Tensor;
  /** log p(a_k) of the candidates `[K, B]` (k-major). */
  logP: tf.Tensor;
  /** α. */
  alpha: number;
  /** T. */
  T: number;
}

/**
 * MA-CQL's critic loss over Q_j(o, a) `[B]` (`q1`, `q2`) and the candidates' Q_j(o, a_k) `[K, B]` (`c1`,
 * `c2`): `L_Q = Σ_j mean((Q_j − y)²) + α · cql`, `cql = Σ_j mean_b(T · logsumexp_k((C_j − log p) / T) − Q_j)`;
 * reports `cqlTerm` (`cql`) and `qMean`. Fast path: {@link cqlLoss}.
 */
export const cqlCriticLoss: Loss<"q1" | "q2" | "c1" | "c2", CqlConstants> = defineLoss({
  name: "cql critic loss",
  outputs: ["q1", "q2", "c1", "c2"],
  expression: ({ q1, q2, c1, c2 }, { y, logP, alpha, T }) => {
    // per head: mean_b( T · logsumexp_k((Q_j(o, a_k) − log p(a_k)) / T) − Q_j(o, a) )
    const head = (c: tf.Tensor, q: tf.Tensor) =>
      tf.mean(tf.sub(tf.mul(T, tf.logSumExp(tf.div(tf.sub(c, logP), T), 0)), q));
    const cql = sum(head(c1, q1), head(c2, q2));
    return { loss: sum(mse(q1, y), mse(q2, y), tf.mul(alpha, cql)), cqlTerm: cql, qMean: tf.mean(q1) };
  },
  fast: ({ q1, q2, c1, c2 }, { y, logP, alpha, T }) => {
    const r = cqlLoss([q1, q2], [c1, c2], y, logP, alpha, T);
    return {
      value: r.value,
      grads: { q1: r.dQ[0], q2: r.dQ[1], c1: r.dC[0], c2: r.dC[1] },
      metrics: { cqlTerm: r.cqlTerm, qMean: meanOf(q1) },
    };
  },
});

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
 * The critic step of MA-CQL and OMAR for learner k: {@link cqlCriticLoss} on Q_j(o, a) and the Q_j of the
 * sampled candidates. Returns the loss, the regulariser and mean Q1 on data.
 */
export function cqlCriticStep(
  ac: ActorCritic,
  k: number,
  ts: AgentTensors[],
  o: ResolvedCql,
): { criticLoss: number; cqlTerm: number; qMean: number } {
  const y = ac.tdTarget(k, ts).reshape([-1]);
  const data = ac.criticForward(k, ts, ts[k].act); // Q_j(o, a)        [B]
  const { actions, logDensity } = cqlCandidates(ac, k, ts, o);
  const cand = ac.criticForward(k, ts, actions); // Q_j(o, a_k)      [K, B]
  const r = ac.criticUpdate(
    k,
    cqlCriticLoss,
    { q1: data.q1, q2: data.q2!, c1: cand.q1, c2: cand.q2! },
    {
      y,
      logP: tf.tensor2d(logDensity, cand.q1.shape as [number, number]),
      alpha: o.cqlAlpha,
      T: o.cqlTemperature,
    },
  );
  return { criticLoss: r.value, cqlTerm: r.metrics.cqlTerm, qMean: r.metrics.qMean };
}

/** Builds MA-CQL. */
export function cql(spec: AgentSpec, options: ActorCriticOptions & CqlOptions = {}): OfflineAlgorithm {
  const ac = new ActorCritic(spec, options);
  const o = resolveCql(options);
  const c = ac.options.actionPenalty;
  return ac.algorithm("cql", (k, ts) => {
    const critic = cqlCriticStep(ac, k, ts, o);
    const actor = ac.actorPhase(() => ac.actorUpdate(k, ts, td3ActorLoss, { c }));
    return actor === null ? critic : { ...critic, actorLoss: actor.value };
  });
}
