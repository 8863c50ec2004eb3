import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { initBackend } from "../lib/nn/backend.ts";
import { makeAlgorithm } from "../lib/algos/registry.ts";
import { actorLoss, tdLoss } from "../lib/algos/losses.ts";
import { cqlLoss } from "../lib/algos/cql.ts";
import { icqActorLoss } from "../lib/algos/icq.ts";
import { sampleActions } from "../lib/algos/samplers.ts";
import type { OfflineAlgorithm, RoundBatches } from "../lib/algos/types.ts";
import type { Batch } from "../lib/data/sampler.ts";
import { Rng } from "../lib/util/rng.ts";
import { KitInputError } from "../lib/util/errors.ts";

await initBackend("wasm");

// ---- an independent float64 forward pass from saved weights ([in, out] layout) ----
type Rows = number[][];
type Net = { params: Record<string, { shape: number[]; data: Float32Array }> };

function batchNorm(x: Rows, w: Float32Array, b: Float32Array): Rows {
  const n = x.length, d = x[0].length;
  const mean = Array.from({ length: d }, (_, j) => x.reduce((s, r) => s + r[j], 0) / n);
  const v = Array.from({ length: d }, (_, j) => x.reduce((s, r) => s + (r[j] - mean[j]) ** 2, 0) / n);
  return x.map((r) => r.map((xj, j) => ((xj - mean[j]) / Math.sqrt(v[j] + 1e-5)) * w[j] + b[j]));
}

function dense(
  x: Rows,
  p: { shape: number[]; data: Float32Array },
  bias: Float32Array,
  act: "relu" | "tanh" | "none",
) {
  const [nIn, nOut] = p.shape;
  return x.map((r) =>
    Array.from({ length: nOut }, (_, o) => {
      let s = bias[o];
      for (let i = 0; i < nIn; i++) s += r[i] * p.data[i * nOut + o];
      return act === "relu" ? Math.max(0, s) : act === "tanh" ? Math.tanh(s) : s;
    })
  );
}

function mlp(net: Net, prefix: string, x: Rows, layers: number, out: "tanh" | "none"): Rows {
  let h = x;
  for (let l = 0; l < layers; l++) {
    h = dense(
      h,
      net.params[`${prefix}${l}.weight`],
      net.params[`${prefix}${l}.bias`].data,
      l + 1 < layers ? "relu" : out,
    );
  }
  return h;
}

const actorFwd = (net: Net, obs: Rows) =>
  mlp(
    net,
    "layers.",
    batchNorm(obs, net.params["norm.weight"].data, net.params["norm.bias"].data),
    3,
    "tanh",
  );

/** Q1 and Q2 on rows of [obs, act], train-mode BatchNorm over these rows. */
function criticFwd(net: Net, obs: Rows, act: Rows): [number[], number[]] {
  const x = batchNorm(
    obs.map((o, i) => [...o, ...act[i]]),
    net.params["norm.weight"].data,
    net.params["norm.bias"].data,
  );
  return [mlp(net, "q1.", x, 3, "none").map((r) => r[0]), mlp(net, "q2.", x, 3, "none").map((r) => r[0])];
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const rowsOf = (a: Float32Array, d: number) =>
  Array.from({ length: a.length / d }, (_, i) => Array.from(a.subarray(i * d, (i + 1) * d)));
const lse = (xs: number[]) => {
  const m = Math.max(...xs);
  return m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0));
};

// ---- a tiny problem: 2 learners, obs 3, act 2, hidden [4, 4], B = 6 ----
const OBS = 3, ACT = 2, B = 6, GAMMA = 0.95;
const spec = { obsDims: [OBS, OBS], actDim: ACT };

function tinyRound(seed: number, withNext = false): RoundBatches {
  const r = Rng.fromSeed(seed, "tiny");
  const batch = (): Batch => {
    const obs = new Float32Array(B * OBS), nextObs = new Float32Array(B * OBS);
    const actions = new Float32Array(B * ACT), rewards = new Float32Array(B);
    r.fillUniform(obs, -1, 1),
      r.fillUniform(nextObs, -1, 1),
      r.fillUniform(actions, -1, 1),
      r.fillUniform(rewards, -2, 5);
    return {
      obs,
      actions,
      rewards,
      nextObs,
      terminals: new Float32Array(B),
      size: B,
      obsDim: OBS,
      actDim: ACT,
    };
  };
  const batches = [batch(), batch()];
  const nextActions = withNext
    ? batches.map(() => {
      const a = new Float32Array(B * ACT);
      r.fillUniform(a, -1, 1);
      return a;
    })
    : null;
  return { batches, nextActions };
}

function agentNets(state: Record<string, unknown>, k: number) {
  return (state.agents as Record<string, Net>[])[k];
}

const close = (a: number, b: number, what: string) =>
  assert(Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b)), `${what}: kit ${a}, by hand ${b}`);

/** TD target of learner k by hand (decentralized). */
function tdTargetByHand(s0: Record<string, unknown>, k: number, b: Batch): number[] {
  const nets = agentNets(s0, k);
  const o2 = rowsOf(b.nextObs, OBS);
  const [t1, t2] = criticFwd(nets.criticTarget, o2, actorFwd(nets.actorTarget, o2));
  return t1.map((q, i) => b.rewards[i] + GAMMA * Math.min(q, t2[i]));
}

/**
 * OMAR's line 12 by hand for agent k: skip the agent's CQL draws, run the softmax sampler on the updated
 * critic's Q1, and keep the sampled action where it beats π(o) of the actor before the update.
 */
function rectifiedByHand(
  s0: Record<string, unknown>,
  s1: Record<string, unknown>,
  b: Batch,
  k: number,
  draws: Rng,
): { pi: number[][]; qpi: number[]; hat: number[][]; wins: boolean[] } {
  draws.fillUniform(new Float32Array(10 * B * ACT), -1, 1);
  const obs = rowsOf(b.obs, OBS);
  const critic = agentNets(s1, k).critic;
  const q1 = (cand: Float32Array, K: number) =>
    Float32Array.from(
      criticFwd(critic, Array.from({ length: K * B }, (_, r) => obs[r % B]), rowsOf(cand, ACT))[0],
    );
  const { actions, q } = sampleActions(q1, { batch: B, actDim: ACT }, draws);
  const pi = actorFwd(agentNets(s0, k).actor, obs);
  const [qpi] = criticFwd(critic, obs, pi);
  const wins = qpi.map((v, i) => q[i] > v);
  const hat = pi.map((p, i) => (wins[i] ? Array.from(actions.subarray(i * ACT, (i + 1) * ACT)) : p));
  return { pi, qpi, hat, wins };
}

function runOnce(name: string, options: Record<string, unknown>, round: RoundBatches, agentSpec = spec) {
  const algo = makeAlgorithm(name, agentSpec, { hidden: [4, 4], gamma: GAMMA, ...options });
  const s0 = structuredClone(algo.save());
  const metrics = algo.update(round);
  const s1 = algo.save();
  algo.dispose();
  return { s0, s1, metrics };
}

Deno.test("ITD3: critic and actor losses equal the hand computation (two learners)", () => {
  const round = tinyRound(1);
  const { s0, s1, metrics } = runOnce("itd3", {}, round);
  let critic = 0, actor = 0;
  round.batches.forEach((b, k) => {
    const y = tdTargetByHand(s0, k, b);
    const [q1, q2] = criticFwd(agentNets(s0, k).critic, rowsOf(b.obs, OBS), rowsOf(b.actions, ACT));
    critic += mean(q1.map((q, i) => (q - y[i]) ** 2)) + mean(q2.map((q, i) => (q - y[i]) ** 2));
    const pi = actorFwd(agentNets(s0, k).actor, rowsOf(b.obs, OBS));
    const [qpi] = criticFwd(agentNets(s1, k).critic, rowsOf(b.obs, OBS), pi);
    actor += -mean(qpi) + 1e-3 * mean(pi.flat().map((x) => x * x));
  });
  close(metrics.criticLoss, critic / 2, "critic loss");
  close(metrics.actorLoss, actor / 2, "actor loss");
});

Deno.test("ITD3 with target-policy smoothing: ā' = clip(π̄(o') + clip(ε, ±c), −1, 1), ε from the algorithm's stream", () => {
  const round = tinyRound(4);
  const sd = 0.4, c = 0.3; // a large σ so that both clips act
  const { s0, metrics } = runOnce("itd3", { targetNoise: sd, targetNoiseClip: c }, round);
  const draws = Rng.fromSeed(0, "algorithm"); // agent 0's B·d draws, then agent 1's
  let critic = 0;
  round.batches.forEach((b, k) => {
    const nets = agentNets(s0, k), o2 = rowsOf(b.nextObs, OBS);
    const a2 = actorFwd(nets.actorTarget, o2).map((r) =>
      r.map((a) => Math.min(1, Math.max(-1, a + Math.min(c, Math.max(-c, sd * draws.normal())))))
    );
    const [t1, t2] = criticFwd(nets.criticTarget, o2, a2);
    const y = t1.map((q, i) => b.rewards[i] + GAMMA * Math.min(q, t2[i]));
    const [q1, q2] = criticFwd(nets.critic, rowsOf(b.obs, OBS), rowsOf(b.actions, ACT));
    critic += mean(q1.map((q, i) => (q - y[i]) ** 2)) + mean(q2.map((q, i) => (q - y[i]) ** 2));
  });
  close(metrics.criticLoss, critic / 2, "critic loss with smoothing");
  // without the noise the loss is different: the smoothing is really applied
  const plain = runOnce("itd3", {}, round).metrics.criticLoss;
  assert(Math.abs(plain - metrics.criticLoss) > 1e-4, `smoothing changed nothing (${plain})`);
});

Deno.test("MA-CQL: the regulariser over 10 uniform actions with the log-density correction, by hand", () => {
  const round = tinyRound(2);
  const alpha = 0.7;
  const { s0, metrics } = runOnce("cql", { cqlAlpha: alpha }, round);
  const draws = Rng.fromSeed(0, "algorithm"); // the algorithm's own stream: agent 0's K·B·d draws, then agent 1's
  let critic = 0, cqlSum = 0;
  const K = 10;
  round.batches.forEach((b, k) => {
    const nets = agentNets(s0, k);
    const y = tdTargetByHand(s0, k, b);
    const obs = rowsOf(b.obs, OBS);
    const [q1, q2] = criticFwd(nets.critic, obs, rowsOf(b.actions, ACT));
    const cand = new Float32Array(K * B * ACT);
    draws.fillUniform(cand, -1, 1);
    // candidates are k-major: candidate j of state i is row j·B + i; one BatchNorm over all K·B rows
    const [c1, c2] = criticFwd(
      nets.critic,
      Array.from({ length: K * B }, (_, r) => obs[r % B]),
      rowsOf(cand, ACT),
    );
    const logDensity = Math.log(0.5 ** ACT);
    const lseOf = (c: number[], i: number) =>
      lse(Array.from({ length: K }, (_, j) => c[j * B + i] - logDensity));
    const cql = mean(q1.map((q, i) => lseOf(c1, i) - q)) + mean(q2.map((q, i) => lseOf(c2, i) - q));
    cqlSum += cql;
    critic += mean(q1.map((q, i) => (q - y[i]) ** 2)) + mean(q2.map((q, i) => (q - y[i]) ** 2)) + alpha * cql;
  });
  close(metrics.cqlTerm, cqlSum / 2, "cql term");
  close(metrics.criticLoss, critic / 2, "critic loss");
});

Deno.test("MA-CQL, HalfCheetah branch: 10 uniform + 10 noisy π(o) + 10 noisy π(o') actions, log-density or the code's pdf", () => {
  const round = tinyRound(5);
  const K = 10, sig = 0.2;
  const terms: Record<string, number> = {};
  for (const density of ["log", "pdf"] as const) {
    const { s0, metrics } = runOnce("cql", {
      cqlAlpha: 1,
      cqlActions: "uniform+policy",
      cqlPolicyDensity: density,
    }, round);
    const draws = Rng.fromSeed(0, "algorithm");
    let cqlSum = 0;
    round.batches.forEach((b, k) => {
      const nets = agentNets(s0, k), obs = rowsOf(b.obs, OBS);
      const [q1, q2] = criticFwd(nets.critic, obs, rowsOf(b.actions, ACT));
      const uni = new Float32Array(K * B * ACT);
      draws.fillUniform(uni, -1, 1);
      const cand: number[][] = rowsOf(uni, ACT), sub: number[] = Array(K * B).fill(Math.log(0.5 ** ACT));
      for (const o of [obs, rowsOf(b.nextObs, OBS)]) {
        const pi = actorFwd(nets.actor, o); // train-mode BatchNorm over the B rows
        for (let r = 0; r < K * B; r++) {
          let logp = 0;
          cand.push(pi[r % B].map((m) => {
            const e = Math.fround(sig * draws.normal());
            logp += -0.5 * (e / sig) ** 2 - Math.log(sig * Math.sqrt(2 * Math.PI));
            return Math.min(1, Math.max(-1, m + e));
          }));
          sub.push(density === "log" ? logp : Math.exp(logp));
        }
      }
      // one critic pass over all 3K·B candidate rows (k-major per source, sources one after the other)
      const [c1, c2] = criticFwd(nets.critic, cand.map((_, r) => obs[r % B]), cand);
      const lseOf = (c: number[], i: number) =>
        lse(Array.from({ length: 3 * K }, (_, j) => c[j * B + i] - sub[j * B + i]));
      cqlSum += mean(q1.map((q, i) => lseOf(c1, i) - q)) + mean(q2.map((q, i) => lseOf(c2, i) - q));
    });
    close(metrics.cqlTerm, cqlSum / 2, `cql term (${density})`);
    terms[density] = metrics.cqlTerm;
  }
  assert(Math.abs(terms.log - terms.pdf) > 1e-3, "the density choice changes the regulariser");
});

Deno.test("MA-TD3+BC: λ = 2.5 / mean|Q| and the behaviour-cloning term, by hand", () => {
  const round = tinyRound(3);
  const { s0, s1, metrics } = runOnce("td3bc", {}, round);
  let actor = 0;
  round.batches.forEach((b, k) => {
    const pi = actorFwd(agentNets(s0, k).actor, rowsOf(b.obs, OBS));
    const [q] = criticFwd(agentNets(s1, k).critic, rowsOf(b.obs, OBS), pi);
    const lambda = 2.5 / mean(q.map(Math.abs));
    const bc = mean(pi.flat().map((x, i) => (x - b.actions[i]) ** 2));
    actor += -lambda * mean(q) + bc + 1e-3 * mean(pi.flat().map((x) => x * x));
  });
  close(metrics.actorLoss, actor / 2, "actor loss");
});

Deno.test("MA-ICQ: the softmax-weighted dataset-next-action target, by hand", () => {
  const round = tinyRound(4, true);
  const beta = 3;
  const { s0, metrics } = runOnce("icq", { icqBeta: beta }, round);
  let critic = 0;
  round.batches.forEach((b, k) => {
    const nets = agentNets(s0, k);
    const [qn] = criticFwd(nets.criticTarget, rowsOf(b.nextObs, OBS), rowsOf(round.nextActions![k], ACT));
    const z = qn.reduce((s, q) => s + Math.exp(q / beta), 0);
    const w = qn.map((q) => Math.min(1, Math.max(0, (B * Math.exp(q / beta)) / z)));
    const y = qn.map((q, i) => b.rewards[i] + GAMMA * q * w[i]);
    const [q1, q2] = criticFwd(nets.critic, rowsOf(b.obs, OBS), rowsOf(b.actions, ACT));
    critic += mean(q1.map((q, i) => (q - y[i]) ** 2)) + mean(q2.map((q, i) => (q - y[i]) ** 2));
  });
  close(metrics.criticLoss, critic / 2, "critic loss");
});

Deno.test("OMAR: τ = 0 is MA-CQL's actor; τ = 1 imitates â = argmax{sampled best, π(o)} by hand", () => {
  const round = tinyRound(5);
  // one learner: with two, OMAR's sampler draws before learner 1's CQL draws and the critics' inputs differ
  const single = { batches: round.batches.slice(0, 1), nextActions: null };
  const c = runOnce("cql", { cqlAlpha: 1 }, single, { obsDims: [OBS], actDim: ACT }).metrics;
  const o0 = runOnce("omar", { cqlAlpha: 1, tau: 0 }, single, { obsDims: [OBS], actDim: ACT }).metrics;
  close(o0.criticLoss, c.criticLoss, "same critic");
  close(o0.actorLoss, c.actorLoss, "same actor loss at τ = 0");
  const { s0, s1, metrics } = runOnce("omar", { cqlAlpha: 1, tau: 1 }, round);
  // the algorithm's stream: agent 0's CQL draws, agent 0's sampler, agent 1's CQL draws, agent 1's sampler
  const draws = Rng.fromSeed(0, "algorithm");
  let actor = 0;
  round.batches.forEach((b, k) => {
    const { pi, hat } = rectifiedByHand(s0, s1, b, k, draws);
    actor += mean(pi.flat().map((x, i) => (x - hat.flat()[i]) ** 2)) +
      1e-3 * mean(pi.flat().map((x) => x * x));
  });
  close(metrics.actorLoss, actor / 2, "rectified actor loss");
  assert(metrics.rectifiedFraction >= 0 && metrics.rectifiedFraction <= 1);
});

Deno.test("omar-qnorm (a loss written only as an expression): (1 − τ)(−λ mean Q1) + τ MSE(π, â) + c mean π², λ = 1/mean|Q1|, by hand", () => {
  const round = tinyRound(8);
  const tau = 0.6;
  const { s0, s1, metrics } = runOnce("omar-qnorm", { cqlAlpha: 1, tau }, round);
  // the algorithm's stream: agent 0's CQL draws, agent 0's sampler, agent 1's CQL draws, agent 1's sampler
  const draws = Rng.fromSeed(0, "algorithm");
  let actor = 0, lambdas = 0, rectified = 0;
  round.batches.forEach((b, k) => {
    const { pi, qpi, hat, wins } = rectifiedByHand(s0, s1, b, k, draws);
    const lambda = 1 / mean(qpi.map(Math.abs));
    actor += (1 - tau) * -lambda * mean(qpi) +
      tau * mean(pi.flat().map((x, i) => (x - hat.flat()[i]) ** 2)) +
      1e-3 * mean(pi.flat().map((x) => x * x));
    lambdas += lambda;
    rectified += mean(wins.map(Number));
  });
  close(metrics.actorLoss, actor / 2, "q-normalised rectified actor loss");
  close(metrics.lambda, lambdas / 2, "λ");
  close(metrics.rectifiedFraction, rectified / 2, "rectified fraction");
  // the same draws and critic as OMAR; only the actor's loss differs
  const plain = runOnce("omar", { cqlAlpha: 1, tau }, round).metrics;
  close(metrics.criticLoss, plain.criticLoss, "OMAR's critic");
  assert(Math.abs(metrics.actorLoss - plain.actorLoss) > 1e-3, "a different actor loss than OMAR's");
});

Deno.test("MATD3 on the global state (MaMuJoCo): Q_i(s, a_1..a_N); a batch without the state is a named error", () => {
  const SD = 5, round = tinyRound(7), r = Rng.fromSeed(7, "state");
  const withState = round.batches.map((b) => {
    const state = new Float32Array(B * SD), nextState = new Float32Array(B * SD);
    r.fillUniform(state, -2, 2), r.fillUniform(nextState, -2, 2);
    return { ...b, state, nextState, stateDim: SD };
  });
  const stateSpec = { ...spec, stateDim: SD };
  const { s0, s1, metrics } = runOnce(
    "itd3",
    { critic: "centralized" },
    { ...round, batches: withState },
    stateSpec,
  );
  const [b0, b1] = withState;
  let critic = 0, actor = 0;
  withState.forEach((b, k) => {
    const nets = agentNets(s0, k);
    assertEquals(nets.critic.params["norm.weight"].shape, [SD + 2 * ACT]);
    const nextActs = [b0, b1].map((bj, j) => actorFwd(agentNets(s0, j).actorTarget, rowsOf(bj.nextObs, OBS)));
    const [t1, t2] = criticFwd(
      nets.criticTarget,
      rowsOf(b.nextState, SD),
      nextActs[0].map((row, i) => [...row, ...nextActs[1][i]]),
    );
    const y = t1.map((q, i) => b.rewards[i] + GAMMA * Math.min(q, t2[i]));
    const acts = rowsOf(b0.actions, ACT).map((row, i) => [...row, ...rowsOf(b1.actions, ACT)[i]]);
    const [q1, q2] = criticFwd(nets.critic, rowsOf(b.state, SD), acts);
    critic += mean(q1.map((q, i) => (q - y[i]) ** 2)) + mean(q2.map((q, i) => (q - y[i]) ** 2));
    const pi = actorFwd(nets.actor, rowsOf(b.obs, OBS));
    const withPi = acts.map((
      row,
      i,
    ) => (k === 0 ? [...pi[i], ...row.slice(ACT)] : [...row.slice(0, ACT), ...pi[i]]));
    const [qpi] = criticFwd(agentNets(s1, k).critic, rowsOf(b.state, SD), withPi);
    actor += -mean(qpi) + 1e-3 * mean(pi.flat().map((x) => x * x));
  });
  close(metrics.criticLoss, critic / 2, "critic loss");
  close(metrics.actorLoss, actor / 2, "actor loss");
  assertThrows(() => runOnce("itd3", { critic: "centralized" }, round, stateSpec), /global state/);
});

Deno.test("MATD3 (centralized critics): Q_i sees every learner; the actor swaps in its own π(o)", () => {
  const round = tinyRound(6);
  const { s0, s1, metrics } = runOnce("itd3", { critic: "centralized" }, round);
  const [b0, b1] = round.batches;
  const jointObs = (next: boolean) =>
    rowsOf(next ? b0.nextObs : b0.obs, OBS).map((
      r,
      i,
    ) => [...r, ...rowsOf(next ? b1.nextObs : b1.obs, OBS)[i]]);
  let critic = 0, actor = 0;
  [b0, b1].forEach((b, k) => {
    const nets = agentNets(s0, k);
    const nextActs = [b0, b1].map((bj, j) => actorFwd(agentNets(s0, j).actorTarget, rowsOf(bj.nextObs, OBS)));
    const [t1, t2] = criticFwd(
      nets.criticTarget,
      jointObs(true),
      nextActs[0].map((r, i) => [...r, ...nextActs[1][i]]),
    );
    const y = t1.map((q, i) => b.rewards[i] + GAMMA * Math.min(q, t2[i]));
    const acts = rowsOf(b0.actions, ACT).map((r, i) => [...r, ...rowsOf(b1.actions, ACT)[i]]);
    const [q1, q2] = criticFwd(nets.critic, jointObs(false), acts);
    critic += mean(q1.map((q, i) => (q - y[i]) ** 2)) + mean(q2.map((q, i) => (q - y[i]) ** 2));
    const pi = actorFwd(nets.actor, rowsOf(b.obs, OBS));
    const withPi = acts.map((
      r,
      i,
    ) => (k === 0 ? [...pi[i], ...r.slice(ACT)] : [...r.slice(0, ACT), ...pi[i]]));
    const [qpi] = criticFwd(agentNets(s1, k).critic, jointObs(false), withPi);
    actor += -mean(qpi) + 1e-3 * mean(pi.flat().map((x) => x * x));
  });
  close(metrics.criticLoss, critic / 2, "critic loss");
  close(metrics.actorLoss, actor / 2, "actor loss");
});

Deno.test("hand-derived losses and gradients equal tfjs autograd of the same expressions", () => {
  const r = Rng.fromSeed(9, "losses");
  const arr = (n: number, lo = -2, hi = 2) => {
    const a = new Float32Array(n);
    r.fillUniform(a, lo, hi);
    return a;
  };
  const nb = 7, na = 2, K = 3;
  const near = (a: ArrayLike<number>, t: tf.Tensor, what: string) => {
    const b = t.dataSync();
    assertEquals(a.length, b.length, what);
    for (let i = 0; i < a.length; i++) close(a[i], b[i], `${what}[${i}]`);
  };
  const mse = (x: tf.Tensor, y: tf.Tensor) => tf.mean(tf.squaredDifference(x, y));
  const [q1, q2, y] = [arr(nb), arr(nb), arr(nb)];
  // Σ_j MSE(Q_j, y)
  const td = tdLoss([q1, q2], y);
  const tdRef = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) =>
    tf.add(mse(a, tf.tensor(y)), mse(b, tf.tensor(y))) as tf.Scalar
  )(
    [tf.tensor(q1), tf.tensor(q2)],
  );
  close(td.value, tdRef.value.dataSync()[0], "td loss");
  td.grads.forEach((g, j) => near(g, tdRef.grads[j], `td ∂Q${j + 1}`));
  // −κ mean Q1 + ρ MSE(π, t) + c mean(π²), with and without a target
  const pi = arr(nb * na, -1, 1), target = arr(nb * na, -1, 1);
  for (
    const terms of [{ qWeight: 1, penalty: 1e-3 }, { qWeight: 0.3, target, targetWeight: 0.7, penalty: 0.2 }]
  ) {
    const got = actorLoss(pi, q1, terms);
    const ref = tf.valueAndGrads((p: tf.Tensor, q: tf.Tensor) => {
      let l = tf.add(tf.mul(-terms.qWeight, tf.mean(q)), tf.mul(terms.penalty, tf.mean(tf.square(p))));
      if (terms.target) l = tf.add(l, tf.mul(terms.targetWeight!, mse(p, tf.tensor(target, [nb, na]))));
      return l as tf.Scalar;
    })([tf.tensor(pi, [nb, na]), tf.tensor(q1)]);
    close(got.value, ref.value.dataSync()[0], "actor loss");
    near(got.dPi, ref.grads[0], "actor ∂π");
    near(got.dQ1!, ref.grads[1], "actor ∂Q1");
  }
  // MA-ICQ: mean_b w_b ‖π_b − a_b‖² + c mean(π²)
  const w = arr(nb, 0, 3);
  const icq = icqActorLoss(pi, target, w, 0.3);
  const icqRef = tf.valueAndGrads((p: tf.Tensor) =>
    tf.add(
      tf.mean(tf.mul(tf.tensor(w), tf.sum(tf.squaredDifference(p, tf.tensor(target, [nb, na])), 1))),
      tf.mul(0.3, tf.mean(tf.square(p))),
    ) as tf.Scalar
  )([tf.tensor(pi, [nb, na])]);
  close(icq.value, icqRef.value.dataSync()[0], "icq actor loss");
  near(icq.dPi, icqRef.grads[0], "icq ∂π");
  // MSE + α Σ_j mean_b (T lse_k((C_j − log p) / T) − Q_j), candidates k-major [K, B]
  const [c1, c2, logp] = [arr(K * nb, -3, 3), arr(K * nb, -3, 3), arr(K * nb, -2, 0)];
  const alpha = 1.7, T = 0.8;
  const cql = cqlLoss([q1, q2], [c1, c2], y, logp, alpha, T);
  const lp = tf.tensor(logp, [K, nb]);
  const reg = (c: tf.Tensor, q: tf.Tensor) =>
    tf.mean(tf.sub(tf.mul(T, tf.logSumExp(tf.div(tf.sub(c, lp), T), 0)), q));
  const cqlRef = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) =>
    tf.add(
      tf.add(mse(a, tf.tensor(y)), mse(b, tf.tensor(y))),
      tf.mul(alpha, tf.add(reg(c, a), reg(d, b))),
    ) as tf.Scalar
  )([tf.tensor(q1), tf.tensor(q2), tf.tensor(c1, [K, nb]), tf.tensor(c2, [K, nb])]);
  close(cql.value, cqlRef.value.dataSync()[0], "cql loss");
  [...cql.dQ, ...cql.dC].forEach((g, i) => near(g, cqlRef.grads[i], `cql grad ${i}`));
});

Deno.test("no tensor leaks: numTensors is stable over 100 updates of every algorithm", () => {
  const round = tinyRound(7, true);
  for (
    const [name, critic] of [
      ["itd3", "decentralized"],
      ["cql", "decentralized"],
      ["td3bc", "decentralized"],
      ["icq", "decentralized"],
      ["omar", "decentralized"],
      ["omar", "centralized"],
      ["icq", "centralized"],
    ] as const
  ) {
    const algo: OfflineAlgorithm = makeAlgorithm(name, spec, { hidden: [8, 8], critic });
    algo.update(round);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) algo.update(round);
    assertEquals(tf.memory().numTensors, before, `${name}/${critic}`);
    algo.dispose();
  }
});

Deno.test("unknown algorithm names list the valid ones", () => {
  try {
    makeAlgorithm("bcq", spec);
    throw new Error("no error");
  } catch (e) {
    assert((e as Error).message.includes("itd3, cql, td3bc, icq, omar"), (e as Error).message);
  }
});

Deno.test("makeAlgorithm checks the learner shapes up front, naming the field and the value", () => {
  const cases: [unknown, string][] = [
    [{ obsDims: [], actDim: 2 }, "obsDims is []"],
    [{ obsDims: 18, actDim: 2 }, "obsDims is 18"],
    [{ obsDims: [18, 0, 18], actDim: 2 }, "obsDims[1] is 0"],
    [{ obsDims: [2.5], actDim: 2 }, "obsDims[0] is 2.5"],
    [{ obsDims: [18, -3], actDim: 2 }, "obsDims[1] is -3"],
    [{ obsDims: [18, NaN], actDim: 2 }, "obsDims[1] is NaN"],
    [{ obsDims: [18, "18"], actDim: 2 }, 'obsDims[1] is "18"'],
    [{ obsDims: [18], actDim: 0 }, "actDim is 0"],
    [{ obsDims: [18], actDim: 1.5 }, "actDim is 1.5"],
    [{ obsDims: [18] }, "actDim is undefined"],
    [{ obsDims: [6, 6], actDim: 3, stateDim: 0 }, "stateDim is 0"],
    [{ obsDims: [6, 6], actDim: 3, stateDim: 16.5 }, "stateDim is 16.5"],
  ];
  for (const [bad, expected] of cases) {
    for (const name of ["itd3", "omar"]) {
      assertThrows(
        () => makeAlgorithm(name, bad as { obsDims: number[]; actDim: number }),
        (e: unknown) => {
          assert(e instanceof KitInputError, `${JSON.stringify(bad)}: ${e}`);
          assert(e.message.includes(expected), `${e.message} lacks ${expected}`);
          assert(/positive integer|at least one/.test(e.message), e.message);
          return true;
        },
      );
    }
  }
  // Good shapes still build, and the algorithm says which shapes it was built for.
  const algo = makeAlgorithm("cql", { obsDims: [6, 6], actDim: 3, stateDim: 17 }, { hidden: [4] });
  assertEquals(algo.spec, { obsDims: [6, 6], actDim: 3, stateDim: 17 });
  algo.dispose();
});

Deno.test("criticLandscape: Q1 and Q2 over an action grid equal the critic's, by hand (train-mode BatchNorm over all rows)", async () => {
  const { criticLandscape } = await import("../lib/algos/landscape.ts");
  const round = tinyRound(8);
  const algo = makeAlgorithm("cql", spec, { hidden: [4, 4], gamma: GAMMA });
  algo.update(round);
  const k = 1, G = 5;
  const grid = Float32Array.from({ length: G * ACT }, (_, i) => -1 + (2 * i) / (G * ACT - 1));
  const obs = round.batches.map((b) => b.obs);
  const land = criticLandscape(algo, k, obs, grid);
  const net = agentNets(algo.save(), k).critic;
  const states = rowsOf(round.batches[k].obs, OBS);
  // k-major rows: grid action g at every state b, one BatchNorm over the G·B rows
  const [q1, q2] = criticFwd(
    net,
    Array.from({ length: G * B }, (_, r) => states[r % B]),
    Array.from(
      { length: G * B },
      (_, r) => Array.from(grid.subarray(Math.floor(r / B) * ACT, (Math.floor(r / B) + 1) * ACT)),
    ),
  );
  for (let b = 0; b < B; b++) {
    for (let g = 0; g < G; g++) {
      close(land.q1[b][g], q1[g * B + b], `Q1 state ${b} action ${g}`);
      close(land.q2[b][g], q2[g * B + b], `Q2 state ${b} action ${g}`);
    }
  }
  algo.dispose();
});
