// The loss seam: every built-in loss's hand-derived fast path equals tfjs autograd of its expression
// (value, ∂loss/∂output for every output, metrics) to float32 rounding; a loss without a fast path is
// differentiated by autograd; training on the expressions alone (`lossGradients: "autograd"`) agrees with
// the fast paths.
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { initBackend } from "../lib/nn/backend.ts";
import {
  defineLoss,
  type Loss,
  lossAndGrads,
  type LossConstants,
  meanSquare,
  mse,
  sum,
} from "../lib/algos/losses.ts";
import { td3ActorLoss, tdCriticLoss } from "../lib/algos/itd3.ts";
import { cqlCriticLoss } from "../lib/algos/cql.ts";
import { td3bcActorLoss } from "../lib/algos/td3_bc.ts";
import { icqAwrLoss } from "../lib/algos/icq.ts";
import { omarActorLoss } from "../lib/algos/omar.ts";
import { omarQnormActorLoss } from "../lib/algos/omar_qnorm.ts";
import { ALGORITHMS, makeAlgorithm } from "../lib/algos/registry.ts";
import { ActorCritic } from "../lib/algos/actor_critic.ts";
import type { RoundBatches } from "../lib/algos/types.ts";
import { Rng } from "../lib/util/rng.ts";

await initBackend("wasm");

const B = 9, D = 2, K = 4;
const rng = Rng.fromSeed(17, "losses");
const uniform = (shape: number[], lo = -2, hi = 2) => {
  const a = new Float32Array(shape.reduce((x, y) => x * y, 1));
  rng.fillUniform(a, lo, hi);
  return tf.tensor(a, shape);
};

/** Largest |a − b| over the largest |b| (a float32 relative error for a whole array). */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assertEquals(a.length, b.length);
  let diff = 0, scale = 1e-12;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

/** The worst relative disagreement between a loss's fast path and autograd of its expression. */
function fastVsAutograd<O extends string, C extends LossConstants>(
  loss: Loss<O, C>,
  outputs: Record<O, tf.Tensor>,
  constants: C,
): number {
  return tf.tidy(() => {
    const fast = lossAndGrads(loss, outputs, constants, "fast");
    const auto = lossAndGrads(loss, outputs, constants, "autograd");
    let worst = relErr([fast.value], [auto.value]);
    for (const name of loss.outputs) {
      assertEquals(fast.grads[name].shape, outputs[name].shape, `${loss.name}: ∂/∂${name} shape`);
      assertEquals(auto.grads[name].shape, outputs[name].shape, `${loss.name}: ∂/∂${name} shape`);
      worst = Math.max(worst, relErr(fast.grads[name].dataSync(), auto.grads[name].dataSync()));
    }
    assertEquals(Object.keys(fast.metrics).sort(), Object.keys(auto.metrics).sort(), `${loss.name}: metrics`);
    for (const m of Object.keys(fast.metrics)) {
      worst = Math.max(worst, relErr([fast.metrics[m]], [auto.metrics[m]]));
    }
    return worst;
  });
}

const FLOAT32 = 1e-5;

/** OMAR's constants with the sampler winning on some states and losing on others. */
function omarConstants(q1: tf.Tensor) {
  const sampledQ = tf.add(q1, uniform([B], -1, 1));
  const wins = tf.sum(tf.cast(tf.greater(sampledQ, q1), "int32")).dataSync()[0];
  assert(wins > 0 && wins < B, `sampler wins on ${wins} of ${B} states`);
  return { sampled: uniform([B, D], -1, 1), sampledQ, tau: 0.6, c: 0.2 };
}

Deno.test("every built-in loss's fast path equals autograd of its expression (values, gradients, metrics)", () => {
  const q1 = uniform([B]), q2 = uniform([B]), y = uniform([B]), pi = uniform([B, D], -1, 1);
  const a = uniform([B, D], -1, 1);
  const cases: [string, number][] = [
    ["td", fastVsAutograd(tdCriticLoss, { q1, q2 }, { y })],
    ["td3 actor", fastVsAutograd(td3ActorLoss, { pi, q1 }, { c: 0.3 })],
    [
      "cql",
      fastVsAutograd(
        cqlCriticLoss,
        { q1, q2, c1: uniform([K, B], -3, 3), c2: uniform([K, B], -3, 3) },
        { y, logP: uniform([K, B], -2, 0), alpha: 1.7, T: 0.8 },
      ),
    ],
    ["td3+bc actor", fastVsAutograd(td3bcActorLoss, { pi, q1 }, { a, alpha: 2.5, c: 0.2 })],
    ["icq actor", fastVsAutograd(icqAwrLoss, { pi }, { a, w: uniform([B], 0, 3), c: 0.3 })],
    ["omar actor", fastVsAutograd(omarActorLoss, { pi, q1 }, omarConstants(q1))],
  ];
  for (const [what, err] of cases) {
    assert(err <= FLOAT32, `${what}: fast path vs autograd, relative error ${err}`);
  }
});

Deno.test("the comparison can fail: a fast path off by 1% in one gradient is caught", () => {
  const wrong = defineLoss({
    ...tdCriticLoss,
    fast: (o, c) => {
      const r = tdCriticLoss.fast!(o, c);
      return { ...r, grads: { ...r.grads, q2: r.grads.q2.map((g) => g * 1.01) } };
    },
  });
  const err = fastVsAutograd(wrong, { q1: uniform([B]), q2: uniform([B]) }, { y: uniform([B]) });
  assert(err > 1e-3, `relative error ${err}`);
});

Deno.test("a loss without a fast path is differentiated by autograd in either mode", () => {
  // ½ mean((Q1 − y)²) + c · mean(π²): ∂/∂Q1 = (Q1 − y) / B, ∂/∂π = 2cπ / (B d)
  const loss = defineLoss({
    name: "half td",
    outputs: ["pi", "q1"],
    expression: ({ pi, q1 }, { y, c }: { y: tf.Tensor; c: number }) =>
      sum(tf.mul(0.5, mse(q1, y)), tf.mul(c, meanSquare(pi))),
  });
  const q1 = uniform([B]), y = uniform([B]), pi = uniform([B, D], -1, 1);
  for (const mode of ["fast", "autograd"] as const) {
    tf.tidy(() => {
      const r = lossAndGrads(loss, { pi, q1 }, { y, c: 0.4 }, mode);
      const [qv, yv, pv] = [q1.dataSync(), y.dataSync(), pi.dataSync()];
      let v = 0, p = 0;
      for (let i = 0; i < B; i++) v += 0.5 * (qv[i] - yv[i]) ** 2 / B;
      for (let i = 0; i < B * D; i++) p += pv[i] ** 2 / (B * D);
      assert(relErr([r.value], [v + 0.4 * p]) <= FLOAT32, `${mode}: value`);
      assert(relErr(r.grads.q1.dataSync(), Array.from(qv, (q, i) => (q - yv[i]) / B)) <= FLOAT32);
      assert(relErr(r.grads.pi.dataSync(), Array.from(pv, (x) => (2 * 0.4 * x) / (B * D))) <= FLOAT32);
      assertEquals(r.metrics, {});
    });
  }
});

Deno.test("omar-qnorm's loss (expression only): value and autograd gradients equal a float64 derivation", () => {
  // L = (1 − τ)(−λ mean Q1) + τ mean((π − â)²) + c mean(π²), λ = 1 / mean|Q1| constant, â constant:
  // ∂L/∂Q1 = −(1 − τ) λ / B, ∂L/∂π = (2τ (π − â) + 2c π) / (B d)
  assertEquals(omarQnormActorLoss.fast, undefined);
  const q1 = uniform([B]), pi = uniform([B, D], -1, 1);
  const k = omarConstants(q1);
  tf.tidy(() => {
    const r = lossAndGrads(omarQnormActorLoss, { pi, q1 }, k, "fast");
    const [qv, pv, sv, sq] = [q1, pi, k.sampled, k.sampledQ].map((t) => Array.from(t.dataSync()));
    const lambda = B / qv.reduce((s, x) => s + Math.abs(x), 0);
    const hat = pv.map((p, i) => (sq[Math.floor(i / D)] > qv[Math.floor(i / D)] ? sv[i] : p));
    const n = B * D;
    const value = (1 - k.tau) * -lambda * qv.reduce((s, x) => s + x, 0) / B +
      k.tau * pv.reduce((s, p, i) => s + (p - hat[i]) ** 2, 0) / n +
      k.c * pv.reduce((s, p) => s + p * p, 0) / n;
    assert(relErr([r.value], [value]) <= FLOAT32, `value ${r.value} vs ${value}`);
    assert(relErr([r.metrics.lambda], [lambda]) <= FLOAT32, "λ");
    const wins = qv.filter((q, b) => sq[b] > q).length;
    assert(relErr([r.metrics.rectifiedFraction], [wins / B]) <= FLOAT32, "rectified fraction");
    assert(relErr(r.grads.q1.dataSync(), qv.map(() => (-(1 - k.tau) * lambda) / B)) <= FLOAT32, "∂/∂Q1");
    const dPi = pv.map((p, i) => (2 * k.tau * (p - hat[i]) + 2 * k.c * p) / n);
    assert(relErr(r.grads.pi.dataSync(), dPi) <= FLOAT32, "∂/∂π");
  });
});

Deno.test("criticUpdate refuses an output that is no Q value of the learner's traced critic forward", () => {
  const ac = new ActorCritic({ obsDims: [3], actDim: 2 }, { hidden: [4] });
  tf.tidy(() => {
    const r = Rng.fromSeed(1, "t");
    const f = (n: number) => {
      const x = new Float32Array(n);
      r.fillUniform(x, -1, 1);
      return x;
    };
    const batch = {
      obs: f(B * 3),
      actions: f(B * 2),
      rewards: f(B),
      nextObs: f(B * 3),
      terminals: new Float32Array(B),
      size: B,
      obsDim: 3,
      actDim: 2,
    };
    const ts = ac.toTensors({ batches: [batch], nextActions: null });
    const { q1, q2 } = ac.criticForward(0, ts, ts[0].act);
    assertThrows(
      () => ac.criticUpdate(0, tdCriticLoss, { q1: tf.add(q1, 0), q2: q2! }, { y: q1 }),
      /output q1 is not a Q value/,
    );
  });
  ac.dispose();
});

function tinyRound(seed: number): RoundBatches {
  const r = Rng.fromSeed(seed, "tiny");
  const f = (n: number, lo = -1, hi = 1) => {
    const x = new Float32Array(n);
    r.fillUniform(x, lo, hi);
    return x;
  };
  const batches = [0, 1].map(() => ({
    obs: f(16 * 3),
    actions: f(16 * 2),
    rewards: f(16, -2, 5),
    nextObs: f(16 * 3),
    terminals: new Float32Array(16),
    size: 16,
    obsDim: 3,
    actDim: 2,
  }));
  return { batches, nextActions: batches.map(() => f(16 * 2)) };
}

Deno.test("training on the expressions alone (lossGradients: autograd) agrees with the fast paths", () => {
  const spec = { obsDims: [3, 3], actDim: 2 };
  for (const name of ALGORITHMS) {
    for (const critic of ["decentralized", "centralized"] as const) {
      const run = (lossGradients: "fast" | "autograd") => {
        const algo = makeAlgorithm(name, spec, { hidden: [8, 8], critic, lossGradients });
        const metrics = [0, 1, 2].map((i) => algo.update(tinyRound(i)));
        algo.dispose();
        return metrics;
      };
      const [fast, auto] = [run("fast"), run("autograd")];
      fast.forEach((m, i) => {
        assertEquals(Object.keys(m).sort(), Object.keys(auto[i]).sort());
        for (const [k, v] of Object.entries(m)) {
          assert(
            relErr([v], [auto[i][k]]) <= 1e-4,
            `${name}/${critic} round ${i} ${k}: ${v} vs ${auto[i][k]}`,
          );
        }
      });
    }
  }
});
