/**
 * The loss seam. An algorithm states each loss as a tfjs expression of the networks' outputs — Q values,
 * π(o), the Q values of sampled candidate actions — in the paper's notation; the engine
 * ({@link import("./actor_critic.ts").ActorCritic}) evaluates the networks, obtains `∂loss/∂output` for
 * every output the loss names, and feeds those to the networks' fast hand-written backward passes (native
 * kernels / OpenBLAS). The losses are tiny next to the networks (sums over a minibatch of outputs), so
 * their gradients come from tfjs autograd of the expression ({@link lossAndGrads}): a new loss needs
 * nothing but its expression.
 *
 * A built-in loss may also carry a hand-derived value and gradient, its `fast` path: float64 loops over
 * the outputs' values, used by default because autograd of the expression costs about as much as a
 * whole update round on the wasm backend. The expression stays the specification: tests/losses_test.ts
 * checks every fast path against autograd of its expression (values, gradients and metrics, to float32
 * rounding), and `lossGradients: "autograd"` trains on the expressions alone.
 *
 * Shapes the engine hands to a loss: Q values on dataset or policy actions `[B]`, Q values of K candidate
 * actions per state `[K, B]` (k-major), π(o) `[B, d]`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** A loss's constants: tensors that are not differentiated (targets y, â, weights) and numbers (α, τ). */
export type LossConstants = Record<string, tf.Tensor | number>;

/** The constants as a fast path sees them: each tensor's values (float32), numbers as they are. */
export type ConstantValues<C extends LossConstants> = {
  [K in keyof C]: C[K] extends number ? number : Float32Array;
};

/**
 * What a loss expression returns: the scalar loss, or the loss with named scalar side values that the
 * algorithm reports as metrics (`qMean`, `cqlTerm`, …).
 */
export type LossExpressionValue = tf.Scalar | ({ loss: tf.Scalar } & Record<string, tf.Tensor>);

/** A fast path's result: the loss, `∂loss/∂output` per output (values in the output's layout), metrics. */
export interface FastLossResult<O extends string> {
  /** The loss. */
  value: number;
  /** `∂loss/∂output` for every output of the loss. */
  grads: Record<O, Float32Array>;
  /** The same side values the expression returns, by name. */
  metrics?: Record<string, number>;
}

/** A loss over named network outputs `O` and constants `C`. */
export interface Loss<O extends string, C extends LossConstants> {
  /** Short name, for messages. */
  readonly name: string;
  /** The outputs it is differentiated with respect to (the engine evaluates exactly these). */
  readonly outputs: readonly O[];
  /** The loss as a tfjs expression: the specification. */
  readonly expression: (outputs: Record<O, tf.Tensor>, constants: C) => LossExpressionValue;
  /** Optional hand-derived value and gradient of {@link Loss.expression}, over the outputs' values. */
  readonly fast?: (outputs: Record<O, Float32Array>, constants: ConstantValues<C>) => FastLossResult<O>;
}

/** Declares a loss (an identity that lets TypeScript infer `O` and `C`). */
export function defineLoss<O extends string, C extends LossConstants>(loss: Loss<O, C>): Loss<O, C> {
  return loss;
}

/**
 * How a loss's gradients are obtained: `fast` uses a loss's hand-derived fast path where it has one and
 * autograd of its expression otherwise; `autograd` always differentiates the expression.
 */
export type LossGradients = "fast" | "autograd";

/** The loss gradient modes, for validation. */
export const LOSS_GRADIENTS: readonly LossGradients[] = ["fast", "autograd"];

/** A loss evaluated: its value, `∂loss/∂output` per output (tensors shaped like the outputs), metrics. */
export interface LossResult<O extends string> {
  /** The loss. */
  value: number;
  /** `∂loss/∂output`, shaped like each output. */
  grads: Record<O, tf.Tensor>;
  /** The expression's (or fast path's) side values. */
  metrics: Record<string, number>;
}

/** A tensor's values (a copy read back from the backend). */
export function values(t: tf.Tensor): Float32Array {
  return t.dataSync() as Float32Array;
}

/**
 * Evaluates `loss` on `outputs` and `constants`: the fast path when `mode` is `fast` and the loss has one,
 * else `tf.valueAndGrads` of the expression with respect to the outputs.
 */
export function lossAndGrads<O extends string, C extends LossConstants>(
  loss: Loss<O, C>,
  outputs: Record<O, tf.Tensor>,
  constants: C,
  mode: LossGradients = "fast",
): LossResult<O> {
  if (mode === "fast" && loss.fast !== undefined) {
    const vals = {} as Record<O, Float32Array>;
    for (const name of loss.outputs) vals[name] = values(outputs[name]);
    const consts = {} as Record<string, Float32Array | number>;
    for (const [name, c] of Object.entries(constants)) consts[name] = typeof c === "number" ? c : values(c);
    const r = loss.fast(vals, consts as ConstantValues<C>);
    const grads = {} as Record<O, tf.Tensor>;
    for (const name of loss.outputs) grads[name] = tf.tensor(r.grads[name], outputs[name].shape);
    return { value: r.value, grads, metrics: r.metrics ?? {} };
  }
  const xs = loss.outputs.map((name) => outputs[name]);
  let side: Record<string, tf.Tensor> = {};
  const f = (...args: tf.Tensor[]): tf.Scalar => {
    const named = {} as Record<O, tf.Tensor>;
    loss.outputs.forEach((name, i) => (named[name] = args[i]));
    const r = loss.expression(named, constants);
    if (r instanceof tf.Tensor) return r;
    const { loss: l, ...rest } = r;
    // side values outlive the gradient's forward scope; read below, then freed
    side = Object.fromEntries(Object.entries(rest).map(([k, t]) => [k, tf.keep(t.clone())]));
    return l;
  };
  const { value, grads: g } = tf.valueAndGrads(f)(xs);
  const grads = {} as Record<O, tf.Tensor>;
  loss.outputs.forEach((name, i) => (grads[name] = g[i]));
  const metrics: Record<string, number> = {};
  for (const [name, t] of Object.entries(side)) {
    metrics[name] = t.dataSync()[0];
    t.dispose();
  }
  const v = value.dataSync()[0];
  value.dispose();
  return { value: v, grads, metrics };
}

// ---- notation for expressions ----

/** `mean((x − y)²)` (PyTorch's `F.mse_loss`). */
export function mse(x: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return tf.mean(tf.squaredDifference(x, y));
}

/** `mean(x²)`. */
export function meanSquare(x: tf.Tensor): tf.Scalar {
  return tf.mean(tf.square(x));
}

/** The sum of some scalar terms. */
export function sum(...terms: (tf.Tensor | number)[]): tf.Scalar {
  return terms.reduce<tf.Tensor>((a, t) => tf.add(a, t), tf.scalar(0)) as tf.Scalar;
}

/**
 * `x` cut from the gradient (PyTorch's `x.detach()`): a copy of its values that autograd does not see
 * through (tfjs has no stop-gradient op, and ops on a differentiated value with no gradient of their own,
 * such as comparisons, must not be on the differentiated path).
 */
export function detach<T extends tf.Tensor>(x: T): T {
  return tf.tensor(x.dataSync(), x.shape, x.dtype) as T;
}

// ---- hand-derived fast paths shared by several losses (float64 over the values) ----

/** The mean of some values (float64). */
export function meanOf(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s / x.length;
}

/**
 * The TD critic loss `Σ_j MSE(Q_j, y)` (`F.mse_loss` per head, Q_j and y `[B]`) and its gradients
 * `∂/∂Q_j = 2 (Q_j − y) / B`.
 */
export function tdLoss(
  qs: readonly Float32Array[],
  y: Float32Array,
): { value: number; grads: Float32Array[] } {
  const n = y.length;
  let value = 0;
  const grads = qs.map((q) => {
    const g = new Float32Array(n);
    let s = 0;
    for (let i = 0; i < n; i++) {
      const e = q[i] - y[i];
      s += e * e;
      g[i] = (2 * e) / n;
    }
    value += s / n;
    return g;
  });
  return { value, grads };
}

/** Terms of {@link actorLoss}. */
export interface ActorLossTerms {
  /** κ of `−κ · mean Q1(o, π(o))`. */
  qWeight: number;
  /** Regression target t `[B, act]` of `ρ · MSE(π, t)` (none when absent). */
  target?: Float32Array | null;
  /** ρ. Default 1. */
  targetWeight?: number;
  /** c of the code's `c · mean(π²)` penalty. */
  penalty: number;
}

/** A loss value and its gradients with respect to π(o) `[B, act]` and Q1(o, π(o)) `[B]`. */
export interface ActorLossGrads {
  /** The loss. */
  value: number;
  /** ∂/∂π. */
  dPi: Float32Array;
  /** ∂/∂Q1 (null when the loss has no critic term). */
  dQ1: Float32Array | null;
}

/**
 * The actor loss `−κ · mean Q1(o, π) + ρ · MSE(π, t) + c · mean(π²)` (ITD3 and MA-CQL: κ = 1, ρ = 0;
 * MA-TD3+BC: κ = λ, t = a; OMAR: κ = 1 − τ, ρ = τ, t = â) over π `[B, d]` and Q1 `[B]`, with
 * `∂/∂Q1 = −κ / B` and `∂/∂π = (2ρ (π − t) + 2c π) / (B d)`.
 */
export function actorLoss(pi: Float32Array, q1: Float32Array, terms: ActorLossTerms): ActorLossGrads {
  const b = q1.length, n = pi.length;
  const { qWeight: kappa, penalty: c } = terms;
  const t = terms.target ?? null, rho = terms.targetWeight ?? 1;
  const dQ1 = new Float32Array(b).fill(-kappa / b);
  const dPi = new Float32Array(n);
  let sq = 0, reg = 0, pen = 0;
  for (let i = 0; i < b; i++) sq += q1[i];
  for (let i = 0; i < n; i++) {
    const p = pi[i];
    pen += p * p;
    let g = 2 * c * p;
    if (t !== null) {
      const e = p - t[i];
      reg += e * e;
      g += 2 * rho * e;
    }
    dPi[i] = g / n;
  }
  const value = -kappa * (sq / b) + (t !== null ? (rho * reg) / n : 0) + (c * pen) / n;
  return { value, dPi, dQ1 };
}
