import { assert, assertEquals } from "./assert.ts";
import { assertClose } from "./assert.ts";
import { type CandidateQ, sampleActions, type SamplerRandom } from "../lib/algos/samplers.ts";
import { coefficients, discount } from "../lib/algos/presets.ts";
import { Rng } from "../lib/util/rng.ts";

/** A stream that returns scripted normals. */
function scripted(normals: number[]): SamplerRandom {
  let i = 0;
  return { normal: () => normals[i++], uniformRange: () => 0 };
}

/** Q1 = Σ_d f(a_d), the same for every state. */
function qOf(f: (a: number) => number, calls: number[] = [], actDim = 1): CandidateQ {
  return (actions, k) => {
    calls.push(k);
    const q = new Float32Array(actions.length / actDim);
    for (let i = 0; i < q.length; i++) for (let d = 0; d < actDim; d++) q[i] += f(actions[i * actDim + d]);
    return q;
  };
}

Deno.test("softmax sampler: one state by hand (J=2, K=2, β=1; σ from the new μ, mean over K)", () => {
  const f = (a: number) => -((a - 0.2) ** 2);
  const r = sampleActions(qOf(f), { batch: 1, actDim: 1 }, scripted([0.5, -0.25, 0.1, -0.2]), {
    iterations: 2,
    samples: 2,
  });
  const c1 = [Math.min(1, 0 + 2 * 0.5), 0 + 2 * -0.25]; // [1, -0.5]
  const w = c1.map((a) => Math.exp(f(a)));
  const mu = (w[0] * c1[0] + w[1] * c1[1]) / (w[0] + w[1]);
  const sigma = Math.sqrt(((c1[0] - mu) ** 2 + (c1[1] - mu) ** 2) / 2);
  const c2 = [mu + sigma * 0.1, mu + sigma * -0.2];
  const best = f(c2[0]) > f(c2[1]) ? c2[0] : c2[1];
  assertClose(r.actions[0], best, 1e-6, "best of the last population");
  assertClose(r.q[0], f(best), 1e-6, "its Q");
});

// The paper's Fig 2(c): a critic with a narrow global optimum and a local one where the actor sits.
const bimodal = (a: number) =>
  3 * Math.exp(-((a - 0.6) ** 2) / 0.08) + 1.5 * Math.exp(-((a + 0.6) ** 2) / 0.05);

Deno.test("softmax sampler finds the global optimum of a bimodal Q where a gradient step from π(o) stays local", () => {
  // gradient ascent from π(o) = −0.45 climbs the local hill
  let a = -0.45;
  for (let i = 0; i < 200; i++) a += 0.01 * (bimodal(a + 1e-5) - bimodal(a - 1e-5)) / 2e-5;
  assert(Math.abs(a + 0.6) < 0.05, `gradient ascent ended at ${a}`);
  const B = 2000;
  const r = sampleActions(qOf(bimodal), { batch: B, actDim: 1 }, Rng.fromSeed(0, "sampler"));
  // Algorithm 1 line 12: keep the better of the sampler's pick and π(o)
  let global = 0;
  for (let b = 0; b < B; b++) {
    const pick = r.q[b] > bimodal(a) ? r.actions[b] : a;
    if (Math.abs(pick - 0.6) < 0.2) global++;
  }
  // K = 10 samples and J = 3 iterations do not find the narrow peak every time; gradient ascent never does
  assert(global / B > 0.8, `only ${global}/${B} states reached the global optimum`);
});

Deno.test("random sampler: one call with K·J uniform candidates in bounds, keeps the best", () => {
  const calls: number[] = [];
  const r = sampleActions(qOf((a) => a, calls), { batch: 50, actDim: 1 }, Rng.fromSeed(1, "s"), {
    kind: "random",
  });
  assertEquals(calls, [30]);
  for (const a of r.actions) assert(a >= -1 && a < 1);
  // E[max of 30 uniforms on [−1, 1]] = 1 − 2/31 ≈ 0.935
  const mean = r.actions.reduce((s, a) => s + a) / r.actions.length;
  assertClose(mean, 1 - 2 / 31, 0.03, "mean best");
});

Deno.test("CEM: elites concentrate on the optimum; carried elites never make the best worse", () => {
  const f = (a: number) => -((a - 0.3) ** 2);
  const calls: number[] = [];
  const r = sampleActions(qOf(f, calls, 2), { batch: 200, actDim: 2 }, Rng.fromSeed(2, "s"), {
    kind: "cem",
    iterations: 4,
    samples: 20,
    elites: 5,
  });
  assertEquals(calls, [20, 20, 20, 20]);
  // from ~0.6 for the initial population; ~0.05 on average over seeds, at most ~0.07 over 20 seeds
  const err = r.actions.reduce((s, a) => s + Math.abs(a - 0.3), 0) / r.actions.length;
  assert(err < 0.08, `mean distance to the optimum ${err}`);
  // more iterations with carried elites can only keep or improve the best Q
  const r1 = sampleActions(qOf(f, [], 2), { batch: 200, actDim: 2 }, Rng.fromSeed(2, "s"), {
    kind: "cem",
    iterations: 1,
    samples: 20,
  });
  assert(r.q.reduce((s, x) => s + x) >= r1.q.reduce((s, x) => s + x));
});

Deno.test("samplers respect the action bounds and the same seed gives the same actions", () => {
  for (const kind of ["softmax", "cem", "random"] as const) {
    const run = () =>
      sampleActions(qOf((a) => a, [], 2), { batch: 30, actDim: 2 }, Rng.fromSeed(3, kind), {
        kind,
        sigma0: 5,
      });
    const a = run(), b = run();
    assertEquals(a.actions, b.actions);
    for (const x of a.actions) assert(x >= -1 && x <= 1);
  }
});

Deno.test("presets: the code's table and the paper's τ", () => {
  assertEquals(coefficients("cooperative_navigation", "medium"), { tau: 1.0, cqlAlpha: 5.0 });
  assertEquals(coefficients("world", "medium"), { tau: 0.1, cqlAlpha: 0.5 });
  assertEquals(coefficients("predator_prey", "random", "paper"), { tau: 0.5, cqlAlpha: 0.5 });
  assertEquals(coefficients("spread_1d_n2", "expert", "paper").tau, 0.9);
  assertEquals([discount(), discount("paper")], [0.95, 0.99]);
});
