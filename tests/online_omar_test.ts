// Online OMAR (Fig. 3, lower half): the online learner's rectified actor loss against a float64
// recomputation by hand (weights, TD3's smoothed targets, the softmax sampler and line 12's argmax), and
// exact resume of an online run with OMAR on.
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { join } from "node:path";
import { initBackend } from "../lib/nn/backend.ts";
import { onlineLearner, onlineSettingsKey, trainOnline } from "../lib/behaviour/online.ts";
import type { RoundBatches } from "../lib/algos/types.ts";
import type { Batch } from "../lib/data/sampler.ts";
import { makeTask } from "../lib/envs/mod.ts";
import { KitInputError } from "../lib/util/errors.ts";
import { Rng } from "../lib/util/rng.ts";

await initBackend("wasm");

// ---- an independent float64 forward pass from saved weights ([in, out] layout, no input BatchNorm) ----
type Rows = number[][];
type Net = { params: Record<string, { shape: number[]; data: Float32Array }> };

function mlp(net: Net, prefix: string, x: Rows, out: "tanh" | "none"): Rows {
  let h = x;
  for (let l = 0; l < 3; l++) {
    const w = net.params[`${prefix}${l}.weight`], b = net.params[`${prefix}${l}.bias`].data;
    const [nIn, nOut] = w.shape;
    h = h.map((r) =>
      Array.from({ length: nOut }, (_, o) => {
        let s = b[o];
        for (let i = 0; i < nIn; i++) s += r[i] * w.data[i * nOut + o];
        return l < 2 ? Math.max(0, s) : out === "tanh" ? Math.tanh(s) : s;
      })
    );
  }
  return h;
}

const actorFwd = (net: Net, obs: Rows) => mlp(net, "layers.", obs, "tanh");
const q1Fwd = (net: Net, x: Rows) => mlp(net, "q1.", x, "none").map((r) => r[0]);
const q2Fwd = (net: Net, x: Rows) => mlp(net, "q2.", x, "none").map((r) => r[0]);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const rowsOf = (a: Float32Array, d: number) =>
  Array.from({ length: a.length / d }, (_, i) => Array.from(a.subarray(i * d, (i + 1) * d)));
const close = (a: number, b: number, what: string) =>
  assert(Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b)), `${what}: kit ${a}, by hand ${b}`);

const differ = (a: unknown, b: unknown, what: string) =>
  assert(JSON.stringify(a) !== JSON.stringify(b), `${what}: the same`);

// ---- two learners on centralized critics (MATD3), obs 3, act 2, hidden [4, 4], B = 6 ----
// a small sampler (J = 2, K = 3, σ0 = 0.5), so that π(o) beats the sampled best on some states
const OBS = 3, ACT = 2, B = 6, GAMMA = 0.95, TAU = 0.3, SEED = 3, J = 2, K = 3, SIGMA0 = 0.5;

function round(seed: number): RoundBatches {
  const r = Rng.fromSeed(seed, "tiny");
  const batch = (): Batch => {
    const obs = new Float32Array(B * OBS), nextObs = new Float32Array(B * OBS);
    const actions = new Float32Array(B * ACT), rewards = new Float32Array(B);
    r.fillUniform(obs, -1, 1), r.fillUniform(nextObs, -1, 1);
    r.fillUniform(actions, -1, 1), r.fillUniform(rewards, -2, 5);
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
  return { batches: [batch(), batch()], nextActions: null };
}

/** Polar-method standard normals from the stream's uniforms, as the kit's samplers draw them. */
function polarNormals(rng: Rng, n: number): number[] {
  const out: number[] = [];
  while (out.length < n) {
    let u = 0, v = 0, s = 0;
    do {
      u = 2 * rng.uniform() - 1, v = 2 * rng.uniform() - 1, s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    out.push(u * m, v * m);
  }
  return out.slice(0, n);
}

/** OMAR's softmax sampler by hand (float64): J iterations of K clamped Gaussian samples per state. */
function samplerByHand(q: (cands: Rows) => number[], rng: Rng): { best: Rows; bestQ: number[] } {
  let mu: Rows = Array.from({ length: B }, () => Array(ACT).fill(0));
  let sigma: Rows = Array.from({ length: B }, () => Array(ACT).fill(SIGMA0));
  let cand: Rows[] = [], qs: number[][] = [];
  for (let it = 0; it < J; it++) {
    const eps = polarNormals(rng, B * K * ACT); // state, candidate, dimension order
    cand = Array.from(
      { length: B },
      (_, b) =>
        Array.from({ length: K }, (_, k) =>
          Array.from({ length: ACT }, (_, d) => {
            const x = mu[b][d] + sigma[b][d] * eps[(b * K + k) * ACT + d];
            return Math.min(1, Math.max(-1, x));
          })),
    );
    qs = Array.from({ length: B }, () => [] as number[]);
    for (let k = 0; k < K; k++) q(cand.map((c) => c[k])).forEach((v, b) => qs[b].push(v));
    const next = cand.map((c, b) => {
      const m = Math.max(...qs[b]);
      const w = qs[b].map((v) => Math.exp(v - m)), z = w.reduce((a, x) => a + x, 0);
      const mean = Array.from({ length: ACT }, (_, d) => c.reduce((a, ck, k) => a + (w[k] / z) * ck[d], 0));
      const sd = mean.map((md, d) => Math.sqrt(c.reduce((a, ck) => a + (ck[d] - md) ** 2, 0) / K));
      return { mean, sd };
    });
    mu = next.map((x) => x.mean), sigma = next.map((x) => x.sd);
  }
  const best = cand.map((c, b) => c[qs[b].indexOf(Math.max(...qs[b]))]);
  return { best, bestQ: qs.map((x) => Math.max(...x)) };
}

Deno.test("online OMAR: TD3's smoothed clipped double-Q critic and the rectified actor loss, by hand in float64", () => {
  const r = round(11);
  const learner = onlineLearner({ obsDims: [OBS, OBS], actDim: ACT }, {
    updates: 1,
    critic: "centralized",
    hidden: [4, 4],
    gamma: GAMMA,
    seed: SEED,
    omar: { tau: TAU, sampler: { iterations: J, samples: K, sigma0: SIGMA0 } },
  });
  assertEquals(learner.name, "omar-td3");
  const s0 = structuredClone(learner.save()) as { agents: Record<string, Net>[] };
  const metrics = learner.update(r); // round 0: critics, then actors (policy delay 2 updates actors on even rounds)
  const s1 = learner.save() as { agents: Record<string, Net>[] };
  learner.dispose();

  // the learner's stream: per learner, TD3's target smoothing noise (every learner's π̄(o')), then the sampler
  const draws = Rng.fromSeed(SEED, "algorithm");
  const [b0, b1] = r.batches;
  const joint = (a: Rows, b: Rows) => a.map((row, i) => [...row, ...b[i]]);
  const obsAll = joint(rowsOf(b0.obs, OBS), rowsOf(b1.obs, OBS));
  const nextAll = joint(rowsOf(b0.nextObs, OBS), rowsOf(b1.nextObs, OBS));
  const acts = [rowsOf(b0.actions, ACT), rowsOf(b1.actions, ACT)];
  let critic = 0, actor = 0, rectified = 0;
  r.batches.forEach((b, k) => {
    const nets = s0.agents[k];
    // y = r + γ min_j Q̄_j(o', clip(π̄(o') + clip(0.2 ε, ±0.5), ±1)) over both learners' smoothed π̄
    const smoothed = r.batches.map((bj, j) =>
      actorFwd(s0.agents[j].actorTarget, rowsOf(bj.nextObs, OBS)).map((row) =>
        row.map((a) => Math.min(1, Math.max(-1, a + Math.min(0.5, Math.max(-0.5, 0.2 * draws.normal())))))
      )
    );
    const xNext = joint(nextAll, joint(smoothed[0], smoothed[1]));
    const t1 = q1Fwd(nets.criticTarget, xNext), t2 = q2Fwd(nets.criticTarget, xNext);
    const y = t1.map((q, i) => b.rewards[i] + GAMMA * Math.min(q, t2[i]));
    const x = joint(obsAll, joint(acts[0], acts[1]));
    critic += mean(q1Fwd(nets.critic, x).map((q, i) => (q - y[i]) ** 2)) +
      mean(q2Fwd(nets.critic, x).map((q, i) => (q - y[i]) ** 2));
    // the actor: Q1 of the updated critic with learner k's action replaced, the others' from the data
    const q1 = (ak: Rows) =>
      q1Fwd(s1.agents[k].critic, joint(obsAll, k === 0 ? joint(ak, acts[1]) : joint(acts[0], ak)));
    const { best, bestQ } = samplerByHand(q1, draws);
    const pi = actorFwd(nets.actor, rowsOf(b.obs, OBS));
    const qpi = q1(pi);
    const hat = pi.map((p, i) => (bestQ[i] > qpi[i] ? best[i] : p));
    rectified += mean(bestQ.map((q, i) => (q > qpi[i] ? 1 : 0)));
    const mse = mean(pi.flat().map((a, i) => (a - hat.flat()[i]) ** 2));
    actor += TAU * mse - (1 - TAU) * mean(qpi); // the online learner has no action penalty
  });
  close(metrics.criticLoss, critic / 2, "critic loss");
  close(metrics.actorLoss, actor / 2, "rectified actor loss");
  close(metrics.rectifiedFraction, rectified / 2, "rectified fraction");
  // both branches of line 12 are taken somewhere, so the test sees both
  assert(metrics.rectifiedFraction > 0 && metrics.rectifiedFraction < 1, `${metrics.rectifiedFraction}`);
});

Deno.test("online OMAR: τ = 0 is TD3's actor (the same loss and weights as without omar)", () => {
  // one learner: with two, learner 0's sampler draws come before learner 1's smoothing noise
  const r = round(12), single = { batches: r.batches.slice(0, 1), nextActions: null };
  const spec = { obsDims: [OBS], actDim: ACT };
  const base = { updates: 1, critic: "centralized" as const, hidden: [4, 4], seed: SEED };
  const run = (omar: { tau: number } | null) => {
    const l = onlineLearner(spec, { ...base, omar });
    const m = l.update(single);
    const s = l.save() as { agents: Record<string, Net>[] };
    l.dispose();
    return { m, actor: s.agents[0].actor.params["layers.0.weight"].data };
  };
  const td3 = run(null), omar0 = run({ tau: 0 }), omar1 = run({ tau: 1 });
  close(omar0.m.criticLoss, td3.m.criticLoss, "critic loss");
  close(omar0.m.actorLoss, td3.m.actorLoss, "actor loss at τ = 0");
  omar0.actor.forEach((v, i) => close(v, td3.actor[i], `actor weight ${i}`));
  differ(Array.from(omar1.actor), Array.from(td3.actor), "actors of τ = 1 and TD3");
});

/** An assertRejects check: a one-line KitInputError whose message holds every one of `parts`. */
function inputError(...parts: string[]) {
  return (err: unknown) => {
    assert(err instanceof KitInputError, `not a KitInputError: ${err}`);
    for (const p of parts) assert(err.message.includes(p), `"${err.message}" lacks "${p}"`);
    assert(!err.message.includes("\n"), `not one line: ${err.message}`);
    return true;
  };
}

const task = makeTask("spread_1d_n2");
const opts = {
  critic: "centralized" as const,
  warmupSteps: 400,
  batchSize: 64,
  snapshotEvery: 20,
  snapshotEpisodes: 3,
  checkpointEvery: 15,
  omar: { tau: 0.5 },
};

Deno.test("online OMAR resumes from its checkpoint to the same ladder, bit for bit, and differs from TD3", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const whole = await trainOnline(task, { ...opts, updates: 60 });
    await trainOnline(task, { ...opts, updates: 25, checkpointDir: dir }); // "killed" after 25 rounds
    // the snapshot at 20 is in the checkpoint: a resumed run carries it over, so it must be the same one
    const ck = JSON.parse(await Deno.readTextFile(join(dir, "state.json")));
    assertEquals([ck.updates, ck.snapshots.map((s: { updates: number }) => s.updates)], [25, [0, 20]]);
    const resumed = await trainOnline(task, { ...opts, updates: 60, checkpointDir: dir });
    assertEquals(resumed.snapshots, whole.snapshots);
    // and it did resume: a mark put on that snapshot comes back in the continued ladder
    ck.snapshots[1].score = 12345;
    await Deno.writeTextFile(join(dir, "state.json"), JSON.stringify({ ...ck, updates: 25 }));
    const marked = await trainOnline(task, { ...opts, updates: 60, checkpointDir: dir });
    assertEquals(marked.snapshots[1].score, 12345);
    assertEquals(resumed.config.algorithm, "omar-td3");
    const td3 = await trainOnline(task, { ...opts, omar: null, updates: 60 });
    assertEquals(td3.snapshots[0], whole.snapshots[0]); // same untrained actors
    const weights = (l: typeof whole) => l.snapshots.at(-1)!.policies.map((p) => Array.from(p.w[2]));
    differ(weights(td3), weights(whole), "TD3's and OMAR's final actors");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("online OMAR's τ and sampler are in the settings key; a checkpoint of other settings is refused", async () => {
  const key = (o: Record<string, unknown>) => onlineSettingsKey(task, { ...opts, updates: 10, ...o });
  const td3 = await key({ omar: undefined });
  assertEquals(await key({ omar: null }), td3); // TD3 runs keep the keys they had before online OMAR
  const a = await key({ omar: {} }), b = await key({ omar: { tau: 0.5, sampler: { kind: "softmax" } } });
  assertEquals(a, b); // defaults filled in
  differ(a, td3, "keys with and without OMAR");
  differ(await key({ omar: { tau: 0.7 } }), a, "keys of τ 0.7 and 0.5");
  differ(await key({ omar: { sampler: { samples: 20 } } }), a, "keys of K 20 and 10");
  const dir = await Deno.makeTempDir();
  try {
    await trainOnline(task, { ...opts, updates: 15, checkpointDir: dir });
    await assertRejects(
      () => trainOnline(task, { ...opts, omar: { tau: 0.9 }, updates: 30, checkpointDir: dir }),
      inputError(dir, `omar {"tau":0.5,`, `{"tau":0.9,`),
    );
    await assertRejects(
      () => trainOnline(task, { ...opts, omar: null, updates: 30, checkpointDir: dir }),
      inputError(dir, `omar {"tau":0.5,`, "unset asked"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  for (
    const [bad, what] of [
      [{ tau: 1.5 }, "omar.tau"],
      [{ sampler: { samples: 0 } }, "omar.sampler.samples"],
      [{ sampler: { kind: "grid" } }, "omar.sampler.kind"],
    ] as const
  ) {
    await assertRejects(
      () => trainOnline(task, { ...opts, updates: 10, omar: bad as never }),
      inputError(what),
    );
  }
});
