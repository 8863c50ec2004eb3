import * as tf from "@tensorflow/tfjs";
import { assert, assertClose, assertEquals } from "./assert.ts";
import { Rng } from "../lib/util/rng.ts";
import {
  Adam,
  BatchNorm,
  blockRowSum,
  clipGradNorm,
  columnSum,
  decodeState,
  dense,
  encodeState,
  factoredCross,
  initBackend,
  loadNetwork,
  Mlp,
  type NetworkState,
  saveNetwork,
  softUpdate,
  TwinCritic,
  weightedColumnSum,
} from "../lib/nn/mod.ts";
import type { AdamState } from "../lib/nn/optim.ts";
import { nativeKernels, setNativeKernels } from "../lib/nn/native.ts";

const backend = await initBackend(Deno.env.get("OMAR_NN_BACKEND") === "cpu" ? "cpu" : "wasm");

function randTensor(rng: Rng, shape: number[], lo = -1, hi = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  rng.fillUniform(v, lo, hi);
  return tf.tensor(v, shape, "float32");
}

function values(t: tf.Tensor): Float32Array {
  return t.dataSync() as Float32Array;
}

/** max |a - b| / max(max |b|, floor) over all entries. */
function relErr(a: tf.Tensor, b: tf.Tensor, floor = 1e-6): number {
  assertEquals(a.shape, b.shape);
  const x = values(a);
  const y = values(b);
  let diff = 0;
  let scale = floor;
  for (let i = 0; i < x.length; i++) {
    diff = Math.max(diff, Math.abs(x[i] - y[i]));
    scale = Math.max(scale, Math.abs(y[i]));
  }
  return diff / scale;
}

function assertTensorsClose(a: tf.Tensor[], b: tf.Tensor[], tol: number, what: string): void {
  assertEquals(a.length, b.length, `${what}: ${a.length} vs ${b.length} tensors`);
  a.forEach((t, i) => {
    const e = relErr(t, b[i]);
    assert(e <= tol, `${what}[${i}] shape [${t.shape}]: relative error ${e} > ${tol}`);
  });
}

function setValues(v: tf.Variable, data: number[]): void {
  tf.tidy(() => v.assign(tf.tensor(data, v.shape)));
}

// Plain tfjs implementations (stock autograd) used as references.

function plainNorm(norm: BatchNorm, x: tf.Tensor2D, training: boolean): tf.Tensor2D {
  if (!training) {
    const xhat = tf.div(tf.sub(x, norm.runningMean), tf.sqrt(tf.add(norm.runningVar, norm.eps)));
    return tf.add(tf.mul(xhat, norm.weight), norm.bias) as tf.Tensor2D;
  }
  const { mean, variance } = tf.moments(x, 0);
  const xhat = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, norm.eps)));
  return tf.add(tf.mul(xhat, norm.weight), norm.bias) as tf.Tensor2D;
}

function plainLayers(
  layers: readonly { weight: tf.Variable; bias: tf.Variable }[],
  x: tf.Tensor2D,
  outAct: string,
): tf.Tensor2D {
  let h = x;
  layers.forEach((l, i) => {
    h = tf.add(tf.matMul(h, l.weight), l.bias) as tf.Tensor2D;
    if (i < layers.length - 1) h = tf.relu(h);
    else if (outAct === "tanh") h = tf.tanh(h);
  });
  return h;
}

function plainMlp(net: Mlp, x: tf.Tensor2D, training = true): tf.Tensor2D {
  const z = net.norm === null ? x : plainNorm(net.norm, x, training);
  return plainLayers(net.layers, z, net.outputActivation);
}

/** Critic on the K·B concatenated rows (obs tiled k-major), as the authors' code feeds it. */
function plainCritic(critic: TwinCritic, obs: tf.Tensor2D, act: tf.Tensor, training = true): tf.Tensor[] {
  const k = act.rank === 3 ? act.shape[0] : 1;
  const a2 = act.reshape([-1, critic.actDim]) as tf.Tensor2D;
  const x = tf.concat([tf.tile(obs, [k, 1]), a2], 1) as tf.Tensor2D;
  const z = critic.norm === null ? x : plainNorm(critic.norm, x, training);
  const shape = act.rank === 3 ? [k, obs.shape[0]] : [obs.shape[0], 1];
  return critic.heads.map((layers) => plainLayers(layers, z, "none").reshape(shape));
}

Deno.test("nn: backend is up, with the native kernels on wasm", () => {
  assert(backend === "wasm" || backend === "cpu");
  assertEquals(tf.getBackend(), backend);
  if (Deno.env.get("OMAR_NATIVE") !== "0") assertEquals(nativeKernels(), backend === "wasm");
});

Deno.test("nn: native kernels and the tfjs ops give the same passes, gradients and Adam steps", () => {
  if (!nativeKernels()) return;
  const rng = Rng.fromSeed(11, "data");
  const b = 40, k = 6;
  const obs = randTensor(rng, [b, 18], -2, 2) as tf.Tensor2D;
  const act = randTensor(rng, [k, b, 2]);
  const dq1 = randTensor(rng, [k, b]), dq2 = randTensor(rng, [k, b]);
  const dPi = randTensor(rng, [b, 2]) as tf.Tensor2D;
  const run = (native: boolean) => {
    setNativeKernels(native);
    try {
      return tf.tidy(() => {
        const critic = new TwinCritic(18, 2, { rng: Rng.fromSeed(12, "init"), hidden: [64, 24] });
        const actor = new Mlp(18, 2, {
          rng: Rng.fromSeed(12, "init"),
          hidden: [16, 8, 12],
          outputActivation: "tanh",
          inputNorm: true,
        });
        const fw = critic.forwardTrace(obs, act);
        const bw = critic.backward(fw.trace, dq1, dq2, { actionGrad: true });
        const predicted = [
          critic.q(obs, act, { updateStats: false }).q1,
          actor.predict(obs, { training: false }),
        ];
        const af = actor.forwardTrace(obs);
        const ab = actor.backward(af.trace, dPi, { inputGrad: true });
        const opt = new Adam(critic.parameters(), { lr: 0.01 });
        opt.stepFlat(critic.backwardFlat(fw.trace, dq1, dq2), { maxGradNorm: 0.5 });
        const out = [
          fw.q1,
          fw.q2 as tf.Tensor,
          bw.dAct as tf.Tensor,
          ...bw.grads,
          ...predicted,
          af.out,
          ab.dx as tf.Tensor,
          ...ab.grads,
          critic.norm!.runningMean,
          critic.norm!.runningVar,
          ...critic.parameters(),
        ].map((t) => tf.keep(t.clone()));
        critic.dispose();
        actor.dispose();
        opt.dispose();
        return out;
      });
    } finally {
      setNativeKernels(true);
    }
  };
  const native = run(true), ops = run(false);
  assertTensorsClose(native, ops, 1e-5, "native vs tfjs ops");
  tf.dispose([...native, ...ops]);
});

Deno.test("nn: PyTorch-default init bounds and the actor's final-layer bound", () => {
  const net = new Mlp(18, 2, {
    rng: Rng.fromSeed(1, "init"),
    outputActivation: "tanh",
    finalWeightBound: 3e-3,
  });
  const w0 = values(net.layers[0].weight);
  const bound0 = 1 / Math.sqrt(18);
  assert(w0.every((v) => Math.abs(v) <= bound0) && Math.max(...w0.map(Math.abs)) > 0.9 * bound0);
  const w2 = values(net.layers[2].weight);
  assert(w2.every((v) => Math.abs(v) <= 3e-3) && Math.max(...w2.map(Math.abs)) > 2e-3);
  const b2 = values(net.layers[2].bias);
  assert(b2.every((v) => Math.abs(v) <= 1 / 8));
  // Same seed, same weights.
  const again = new Mlp(18, 2, {
    rng: Rng.fromSeed(1, "init"),
    outputActivation: "tanh",
    finalWeightBound: 3e-3,
  });
  assertEquals(values(again.layers[1].weight), values(net.layers[1].weight));
  net.dispose();
  again.dispose();
});

Deno.test("nn: forward of a tiny MLP matches hand computation", () => {
  const net = new Mlp(2, 1, { rng: Rng.fromSeed(0, "init"), hidden: [2], outputActivation: "tanh" });
  // h = relu(x @ [[1, -1], [2, 0.5]] + [0.5, -0.25]); y = tanh(h @ [[0.3], [-0.7]] + 0.1)
  setValues(net.layers[0].weight, [1, -1, 2, 0.5]);
  setValues(net.layers[0].bias, [0.5, -0.25]);
  setValues(net.layers[1].weight, [0.3, -0.7]);
  setValues(net.layers[1].bias, [0.1]);
  const x = tf.tensor2d([[1, 2], [-1, 0.5]]);
  const y = values(net.predict(x));
  // row 0: pre = [1+4+0.5, -1+1-0.25] = [5.5, -0.25] -> h = [5.5, 0] -> tanh(1.65 + 0.1)
  // row 1: pre = [-1+1+0.5, 1+0.25-0.25] = [0.5, 1] -> h = [0.5, 1] -> tanh(0.15 - 0.7 + 0.1)
  assertClose(y[0], Math.tanh(1.75), 1e-6, "row 0");
  assertClose(y[1], Math.tanh(-0.45), 1e-6, "row 1");
  net.dispose();
});

Deno.test("nn: BatchNorm train/eval and running statistics match hand computation", () => {
  const rows = [[1, 10], [2, 20], [4, 40], [9, 30]];
  const x = tf.tensor2d(rows);
  const norm = new BatchNorm(2);
  setValues(norm.weight, [2, 0.5]);
  setValues(norm.bias, [0.1, -1]);
  const y = values(norm.forward(x, { training: true }));
  const eps = 1e-5;
  const expectRm: number[] = [];
  const expectRv: number[] = [];
  for (let c = 0; c < 2; c++) {
    const col = rows.map((r) => r[c]);
    const mean = col.reduce((a, b) => a + b, 0) / 4;
    const varB = col.reduce((a, b) => a + (b - mean) ** 2, 0) / 4;
    const varU = (varB * 4) / 3;
    const [g, b] = c === 0 ? [2, 0.1] : [0.5, -1];
    col.forEach((v, r) =>
      assertClose(y[r * 2 + c], ((v - mean) / Math.sqrt(varB + eps)) * g + b, 1e-5, `y[${r},${c}]`)
    );
    expectRm.push(0.1 * mean);
    expectRv.push(0.9 + 0.1 * varU);
  }
  const rm = values(norm.runningMean);
  const rv = values(norm.runningVar);
  for (let c = 0; c < 2; c++) {
    assertClose(rm[c], expectRm[c], 1e-5, `running_mean[${c}]`);
    assertClose(rv[c], expectRv[c], 1e-4, `running_var[${c}]`);
  }
  assertEquals(norm.numBatchesTracked, 1);
  // eval mode uses the running statistics and leaves them alone
  const ye = values(norm.forward(x, { training: false }));
  rows.forEach((r, i) =>
    r.forEach((v, c) => {
      const [g, b] = c === 0 ? [2, 0.1] : [0.5, -1];
      assertClose(
        ye[i * 2 + c],
        ((v - expectRm[c]) / Math.sqrt(expectRv[c] + eps)) * g + b,
        1e-5,
        `eval y[${i},${c}]`,
      );
    })
  );
  assertEquals(norm.numBatchesTracked, 1);

  // The folded BatchNorm inside an Mlp gives the same numbers and the same running-stat update.
  const net = new Mlp(2, 3, { rng: Rng.fromSeed(2, "init"), hidden: [4], inputNorm: true });
  const normed = net.norm as BatchNorm;
  setValues(normed.weight, [2, 0.5]);
  setValues(normed.bias, [0.1, -1]);
  const expected = plainMlp(net, x, true);
  const got = net.predict(x, { training: true });
  assert(relErr(got, expected) < 1e-5, "Mlp train-mode forward");
  const nrm = values(normed.runningMean);
  const nrv = values(normed.runningVar);
  for (let c = 0; c < 2; c++) {
    assertClose(nrm[c], expectRm[c], 1e-5, `mlp running_mean[${c}]`);
    assertClose(nrv[c], expectRv[c], 1e-4, `mlp running_var[${c}]`);
  }
  assert(
    relErr(net.predict(x, { training: false }), plainMlp(net, x, false)) < 1e-5,
    "Mlp eval-mode forward",
  );
  net.eval();
  assert(relErr(net.predict(x), plainMlp(net, x, false)) < 1e-5, "Mlp .eval()");
  norm.dispose();
  net.dispose();
});

Deno.test("nn: JS row-reduction kernels equal tfjs ops", () => {
  const rng = Rng.fromSeed(11, "data");
  const x = randTensor(rng, [60, 7]) as tf.Tensor2D;
  const w = randTensor(rng, [60, 1]);
  const c = randTensor(rng, [60, 3]) as tf.Tensor2D;
  assert(relErr(columnSum(x), tf.sum(x, 0)) < 1e-6, "columnSum");
  assert(relErr(weightedColumnSum(x, w), tf.sum(tf.mul(x, w), 0)) < 1e-6, "weightedColumnSum");
  assert(relErr(blockRowSum(x, 4), tf.sum(x.reshape([4, 15, 7]), 0)) < 1e-6, "blockRowSum");
  for (const cols of [c, tf.slice(c, [0, 0], [60, 2]) as tf.Tensor2D]) {
    const { sum, cross } = factoredCross(x, cols, 5);
    assert(relErr(sum, tf.sum(x.reshape([5, 12, 7]), 0)) < 1e-6, "factoredCross sum");
    assert(
      relErr(cross, tf.matMul(tf.transpose(cols), x)) < 1e-6,
      `factoredCross cross (dc=${cols.shape[1]})`,
    );
  }
});

Deno.test("nn: dense customGrad equals autograd", () => {
  const rng = Rng.fromSeed(3, "data");
  const layer = new Mlp(5, 3, { rng: Rng.fromSeed(3, "init"), hidden: [] }).layers[0];
  const x = randTensor(rng, [7, 5]) as tf.Tensor2D;
  const r = randTensor(rng, [7, 3]);
  for (const activation of ["none", "relu", "tanh"] as const) {
    const fast = tf.grads((xx: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(
        dense(xx as tf.Tensor2D, { weight: w as tf.Variable, bias: b as tf.Variable, inDim: 5, outDim: 3 }, {
          activation,
        }),
        r,
      ))
    )([x, layer.weight, layer.bias]);
    const plain = tf.grads((xx: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => {
      let y = tf.add(tf.matMul(xx, w), b);
      if (activation === "relu") y = tf.relu(y);
      if (activation === "tanh") y = tf.tanh(y);
      return tf.sum(tf.mul(y, r));
    })([x, layer.weight, layer.bias]);
    assertTensorsClose(fast, plain, 1e-5, `dense ${activation}`);
  }
});

Deno.test("nn: MLP gradients (explicit and customGrad) equal autograd, with and without BatchNorm", () => {
  const rng = Rng.fromSeed(4, "data");
  for (const inputNorm of [false, true]) {
    for (
      const [hidden, outAct] of [[[64, 64], "tanh"], [[16, 8, 12], "none"], [[6], "none"], [
        [],
        "tanh",
      ]] as const
    ) {
      for (const training of [true, false]) {
        const net = new Mlp(18, 2, {
          rng: Rng.fromSeed(5, "init"),
          hidden,
          outputActivation: outAct,
          inputNorm,
        });
        if (net.norm !== null) {
          setValues(net.norm.runningMean, [...values(randTensor(rng, [18], -0.5, 0.5))]);
          setValues(net.norm.runningVar, [...values(randTensor(rng, [18], 0.5, 2))]);
        }
        const x = randTensor(rng, [33, 18], -2, 2) as tf.Tensor2D;
        const r = randTensor(rng, [33, 2]) as tf.Tensor2D;
        const params = net.parameters();
        const opts = { training, updateStats: false };
        const plain = tf.grads((xx: tf.Tensor, ...ps: tf.Tensor[]) => {
          void ps;
          return tf.sum(tf.mul(plainMlp(net, xx as tf.Tensor2D, training), r));
        })([x, ...params]);
        const viaApply = tf.grads((xx: tf.Tensor, ...ps: tf.Tensor[]) => {
          void ps;
          return tf.sum(tf.mul(net.apply(xx as tf.Tensor2D, { ...opts, inputGrad: true }), r));
        })([x, ...params]);
        const { trace } = net.forwardTrace(x, opts);
        const { grads, dx } = net.backward(trace, r, { inputGrad: true });
        const what = `norm=${inputNorm} hidden=${hidden} ${outAct} training=${training}`;
        assertTensorsClose(viaApply, plain, 1e-5, `apply ${what}`);
        assertTensorsClose([dx as tf.Tensor, ...grads], plain, 1e-5, `backward ${what}`);
        net.dispose();
      }
    }
  }
});

Deno.test("nn: twin critic candidates path equals the tiled K·B-row computation (values, grads, running stats)", () => {
  const rng = Rng.fromSeed(6, "data");
  const b = 24;
  for (const k of [1, 10]) {
    const critic = new TwinCritic(18, 2, { rng: Rng.fromSeed(7, "init") });
    const twin = new TwinCritic(18, 2, { rng: Rng.fromSeed(7, "init") });
    const obs = randTensor(rng, [b, 18], -2, 2) as tf.Tensor2D;
    const act = (k === 1 ? randTensor(rng, [b, 2]) : randTensor(rng, [k, b, 2])) as tf.Tensor;
    const qShape = k === 1 ? [b, 1] : [k, b];
    const r1 = randTensor(rng, qShape);
    const r2 = randTensor(rng, qShape);
    // values + running statistics (one train-mode call each)
    const [p1, p2] = plainCritic(critic, obs, act);
    const n = k * b;
    const xAll = tf.concat([tf.tile(obs, [k, 1]), act.reshape([n, 2])], 1) as tf.Tensor2D;
    const m = tf.moments(xAll, 0);
    const { q1, q2 } = twin.q(obs, act);
    assert(relErr(q1, p1) < 1e-5 && relErr(q2 as tf.Tensor, p2) < 1e-5, `k=${k}: Q values`);
    const norm = twin.norm as BatchNorm;
    const expRm = tf.mul(m.mean, 0.1);
    const expRv = tf.add(0.9, tf.mul(m.variance, (0.1 * n) / (n - 1)));
    assert(relErr(norm.runningMean, expRm) < 1e-5, `k=${k}: running mean`);
    assert(relErr(norm.runningVar, expRv) < 1e-5, `k=${k}: running var (unbiased over K·B rows)`);

    // gradients: params and actions, both heads and Q1 only
    const params = critic.parameters();
    const opts = { updateStats: false };
    const plain = tf.grads((a: tf.Tensor, ...ps: tf.Tensor[]) => {
      void ps;
      const [x1, x2] = plainCritic(critic, obs, a);
      return tf.add(tf.sum(tf.mul(x1, r1)), tf.sum(tf.mul(tf.square(x2), r2)));
    })([act, ...params]);
    const viaApply = tf.grads((a: tf.Tensor, ...ps: tf.Tensor[]) => {
      void ps;
      const { q1, q2 } = critic.apply(obs, a, { ...opts, actionGrad: true });
      return tf.add(tf.sum(tf.mul(q1, r1)), tf.sum(tf.mul(tf.square(q2 as tf.Tensor), r2)));
    })([act, ...params]);
    assertTensorsClose(viaApply, plain, 1e-5, `k=${k} apply`);
    const fw = critic.forwardTrace(obs, act, opts);
    const dq2 = tf.mul(tf.mul(fw.q2 as tf.Tensor, 2), r2);
    const bw = critic.backward(fw.trace, r1, dq2, { actionGrad: true });
    assertTensorsClose([bw.dAct as tf.Tensor, ...bw.grads], plain, 1e-5, `k=${k} backward`);

    const plainQ1 = tf.grads((a: tf.Tensor, ...ps: tf.Tensor[]) => {
      void ps;
      return tf.sum(tf.mul(plainCritic(critic, obs, a)[0], r1));
    })([act, ...params.slice(0, 8)]);
    const applyQ1 = tf.grads((a: tf.Tensor, ...ps: tf.Tensor[]) => {
      void ps;
      return tf.sum(tf.mul(critic.apply(obs, a, { ...opts, heads: 1, actionGrad: true }).q1, r1));
    })([act, ...params.slice(0, 8)]);
    assertTensorsClose(applyQ1, plainQ1, 1e-5, `k=${k} apply Q1`);
    const fw1 = critic.forwardTrace(obs, act, { ...opts, heads: 1 });
    assert(relErr(critic.q1(obs, act, opts), p1) < 1e-5, `k=${k}: q1()`);
    const bw1 = critic.backward(fw1.trace, r1, null, { actionGrad: true });
    assertTensorsClose(
      [bw1.dAct as tf.Tensor, ...bw1.grads.slice(0, 8)],
      plainQ1,
      1e-5,
      `k=${k} backward Q1`,
    );
    assertEquals(bw1.grads.length, params.length);
    critic.dispose();
    twin.dispose();
  }
});

Deno.test("nn: Adam one and two steps match hand computation", () => {
  const v = tf.variable(tf.tensor1d([1, -2]));
  const opt = new Adam([v], { lr: 0.01 });
  const lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  const g1 = [0.5, -3];
  const g2 = [-1, 2];
  let p = [1, -2];
  const m = [0, 0];
  const s = [0, 0];
  [g1, g2].forEach((g, step) => {
    const t = step + 1;
    tf.tidy(() => opt.step([tf.tensor1d(g)]));
    p = p.map((pi, i) => {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      s[i] = b2 * s[i] + (1 - b2) * g[i] * g[i];
      const denom = Math.sqrt(s[i]) / Math.sqrt(1 - b2 ** t) + eps;
      return pi - (lr / (1 - b1 ** t)) * m[i] / denom;
    });
    const got = values(v);
    p.forEach((pi, i) => assertClose(got[i], pi, 1e-6, `step ${t} p[${i}]`));
  });
  assertEquals(opt.stepCount, 2);
  opt.dispose();
  v.dispose();
});

Deno.test("nn: gradient-norm clipping as torch clip_grad_norm_", () => {
  const grads = [tf.tensor1d([3, 0]), tf.tensor2d([[0, 4]])];
  const { grads: clipped, norm } = clipGradNorm(grads, 0.5);
  assertClose(values(norm)[0], 5, 1e-6, "total norm");
  const c = 0.5 / (5 + 1e-6);
  assertClose(values(clipped[0])[0], 3 * c, 1e-7, "g0");
  assertClose(values(clipped[1])[1], 4 * c, 1e-7, "g1");
  const small = clipGradNorm([tf.tensor1d([0.1, 0.2])], 0.5);
  assertEquals([...values(small.grads[0])], [...values(tf.tensor1d([0.1, 0.2]))]);
  // Adam's built-in clipping equals clipping then stepping
  const a = tf.variable(tf.tensor1d([1, 2, 3]));
  const b = tf.variable(tf.tensor1d([1, 2, 3]));
  const oa = new Adam([a], { lr: 0.1 });
  const ob = new Adam([b], { lr: 0.1 });
  const g = tf.tensor1d([3, -4, 12]);
  oa.step([g], { maxGradNorm: 0.5 });
  ob.step(clipGradNorm([g], 0.5).grads);
  assertEquals([...values(a)], [...values(b)]);
  // second step: moments differ from an unclipped run
  oa.step([g], { maxGradNorm: 0.5 });
  ob.step(clipGradNorm([g], 0.5).grads);
  assertEquals([...values(a)], [...values(b)]);
});

Deno.test("nn: softUpdate blends parameters only", () => {
  const src = new Mlp(3, 2, { rng: Rng.fromSeed(8, "a"), hidden: [4], inputNorm: true });
  const tgt = new Mlp(3, 2, { rng: Rng.fromSeed(8, "b"), hidden: [4], inputNorm: true });
  const x = randTensor(Rng.fromSeed(8, "x"), [6, 3]) as tf.Tensor2D;
  src.predict(x); // moves src's running statistics
  const before = tgt.parameters().map((v) => values(v).slice());
  const srcVals = src.parameters().map((v) => values(v).slice());
  const rmBefore = values((tgt.norm as BatchNorm).runningMean).slice();
  softUpdate(tgt, src, 0.01);
  tgt.parameters().forEach((v, i) => {
    const got = values(v);
    got.forEach((g, j) =>
      assertClose(g, before[i][j] * 0.99 + srcVals[i][j] * 0.01, 1e-7, `param ${i}[${j}]`)
    );
  });
  assertEquals(values((tgt.norm as BatchNorm).runningMean), rmBefore);
  src.dispose();
  tgt.dispose();
});

function bitsEqual(a: Float32Array, b: Float32Array): boolean {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

Deno.test("nn: save -> JSON -> load round trip is bit exact (networks and Adam)", () => {
  const rng = Rng.fromSeed(9, "data");
  const critic = new TwinCritic(5, 2, { rng: Rng.fromSeed(9, "a") });
  const opt = new Adam(critic.parameters(), { lr: 0.01 });
  for (let i = 0; i < 3; i++) {
    tf.tidy(() => {
      const obs = randTensor(rng, [8, 5]) as tf.Tensor2D;
      const act = randTensor(rng, [8, 2]);
      const { q1, q2, trace } = critic.forwardTrace(obs, act);
      opt.step(critic.backward(trace, q1, q2).grads, { maxGradNorm: 0.5 });
    });
  }
  const saved = { critic: saveNetwork(critic), opt: opt.state() };
  const text = JSON.stringify(encodeState(saved));
  const back = decodeState<{ critic: NetworkState; opt: AdamState }>(JSON.parse(text));
  const other = new TwinCritic(5, 2, { rng: Rng.fromSeed(9, "b") });
  const otherOpt = new Adam(other.parameters(), { lr: 0.01 });
  loadNetwork(other, back.critic);
  otherOpt.loadState(back.opt);
  const all = (c: TwinCritic) => [...c.namedParameters(), ...c.namedBuffers()].map(([, v]) => values(v));
  const a = all(critic);
  const b = all(other);
  a.forEach((t, i) => assert(bitsEqual(t, b[i]), `tensor ${i} differs`));
  assertEquals((other.norm as BatchNorm).numBatchesTracked, 3);
  const s1 = opt.state();
  const s2 = otherOpt.state();
  assert(s1.step === s2.step && bitsEqual(s1.m, s2.m) && bitsEqual(s1.v, s2.v), "Adam state");
  // one more identical step keeps them identical
  const obs = randTensor(rng, [8, 5]) as tf.Tensor2D;
  const act = randTensor(rng, [8, 2]);
  for (const [c, o] of [[critic, opt], [other, otherOpt]] as const) {
    tf.tidy(() => {
      const { q1, q2, trace } = c.forwardTrace(obs, act);
      o.step(c.backward(trace, q1, q2).grads);
    });
  }
  const a2 = all(critic);
  const b2 = all(other);
  a2.forEach((t, i) => assert(bitsEqual(t, b2[i]), `after a step, tensor ${i} differs`));
});

function regressionData(rng: Rng, n: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const xv = new Float32Array(n);
  rng.fillUniform(xv, -3, 3);
  const yv = xv.map((v) => Math.sin(v) + 0.3 * v);
  return { x: tf.tensor2d(xv, [n, 1]), y: tf.tensor2d(yv, [n, 1]) };
}

Deno.test("nn: memory stays flat over 100 training steps, and a small regression fits (explicit and autograd)", () => {
  for (const path of ["explicit", "apply"] as const) {
    const rng = Rng.fromSeed(10, "data");
    const net = new Mlp(1, 1, { rng: Rng.fromSeed(10, "init"), hidden: [32, 32], inputNorm: true });
    const opt = new Adam(net.parameters(), { lr: 1e-2 });
    const { x, y } = regressionData(rng, 256);
    const loss = () =>
      tf.tidy(() => values(tf.mean(tf.square(tf.sub(net.predict(x, { updateStats: false }), y))))[0]);
    const first = loss();
    let tensorsAfterFirst = -1;
    for (let step = 0; step < 300; step++) {
      tf.tidy(() => {
        if (path === "explicit") {
          const { out, trace } = net.forwardTrace(x);
          const dOut = tf.mul(tf.sub(out, y), 2 / 256) as tf.Tensor2D;
          opt.step(net.backward(trace, dOut).grads);
        } else {
          const { grads } = tf.variableGrads(
            () => tf.mean(tf.square(tf.sub(net.apply(x), y))) as tf.Scalar,
            net.parameters(),
          );
          opt.step(net.parameters().map((v) => grads[v.name]));
        }
      });
      if (step === 0) tensorsAfterFirst = tf.memory().numTensors;
      if (step === 100) assertEquals(tf.memory().numTensors, tensorsAfterFirst, `${path}: tensors leaked`);
    }
    const last = loss();
    assert(last < first / 10, `${path}: loss ${first} -> ${last}`);
    // A differentiable call whose gradient is never asked for frees its trace at the next call.
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      tf.tidy(() => {
        tf.variableGrads(() => {
          net.apply(x); // not part of the loss
          return tf.mean(tf.square(tf.sub(net.apply(x), y))) as tf.Scalar;
        }, net.parameters());
      });
    }
    assert(tf.memory().numTensors - before <= 40, `${path}: unused traces pile up`);
    net.dispose();
    opt.dispose();
    x.dispose();
    y.dispose();
  }
});
