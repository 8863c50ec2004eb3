/**
 * Adam, gradient-norm clipping and soft target updates, as PyTorch 1.13 computes them. Each works on all
 * of a network's tensors at once (one flat vector), so a step costs a handful of kernels instead of a
 * handful per parameter tensor; on the `wasm` backend an Adam step (clipping included) and a soft update
 * are one native kernel each (native.ts), with the same float32 operations in the same order.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Scalar, Tensor, Tensor1D, Variable } from "./types.ts";
import { nativeAdam, nativeModule, nativeSoftUpdate } from "./native.ts";

/** Options of {@link Adam}. */
export interface AdamOptions {
  /** Learning rate. */
  lr: number;
  /** First-moment decay, default 0.9. */
  beta1?: number;
  /** Second-moment decay, default 0.999. */
  beta2?: number;
  /** Added to the denominator, default 1e-8. */
  eps?: number;
}

/** A serialisable Adam state: step count and both moments, flat in {@link Adam.params} order. */
export interface AdamState {
  /** Number of steps taken. */
  step: number;
  /** First moments. */
  m: Float32Array;
  /** Second moments. */
  v: Float32Array;
}

function flatten(ts: readonly Tensor[]): Tensor1D {
  return tf.concat(ts.map((t) => t.reshape([t.size]))) as Tensor1D;
}

function unflattenInto(flat: Tensor1D, vars: readonly Variable[]): void {
  const parts = tf.split(flat, vars.map((v) => v.size));
  vars.forEach((v, i) => v.assign(parts[i].reshape(v.shape)));
}

/**
 * Adam exactly as `torch.optim.Adam` (no weight decay, no amsgrad):
 * `m ← β1·m + (1−β1)·g`, `v ← β2·v + (1−β2)·g·g`, `p ← p − (lr/(1−β1^t)) · m / (sqrt(v)/sqrt(1−β2^t) + eps)`,
 * with PyTorch's order of float32 operations.
 */
export class Adam {
  /** The variables updated, in order. */
  readonly params: readonly Variable[];
  /** Learning rate (may be changed between steps). */
  lr: number;
  /** First-moment decay. */
  readonly beta1: number;
  /** Second-moment decay. */
  readonly beta2: number;
  /** Denominator epsilon. */
  readonly eps: number;
  /** Steps taken so far. */
  stepCount = 0;
  #m: Variable;
  #v: Variable;

  /** An optimizer over `params` with zero moments. */
  constructor(params: readonly Variable[], options: AdamOptions) {
    this.params = [...params];
    this.lr = options.lr;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    const size = this.params.reduce((s, p) => s + p.size, 0);
    this.#m = tf.variable(tf.zeros([size]), false);
    this.#v = tf.variable(tf.zeros([size]), false);
  }

  /**
   * One update from `grads` (aligned with {@link Adam.params}). With `maxGradNorm`, clips the gradients
   * first like `clip_grad_norm_` (see {@link clipGradNorm}).
   */
  step(grads: readonly Tensor[], options: { maxGradNorm?: number } = {}): void {
    if (grads.length !== this.params.length) {
      throw new RangeError(`Adam.step: ${grads.length} gradients for ${this.params.length} parameters`);
    }
    if (nativeModule() !== null) {
      tf.tidy(() => this.stepFlat(flatten(grads), options));
      return;
    }
    this.stepCount++;
    const t = this.stepCount;
    const b1 = this.beta1;
    const b2 = this.beta2;
    const stepSize = this.lr / (1 - Math.pow(b1, t));
    const bc2Sqrt = Math.sqrt(1 - Math.pow(b2, t));
    tf.tidy(() => {
      let g = flatten(grads);
      if (options.maxGradNorm !== undefined) g = tf.mul(g, clipCoefficient(g, options.maxGradNorm));
      const m = tf.add(tf.mul(this.#m, b1), tf.mul(g, 1 - b1));
      const v = tf.add(tf.mul(this.#v, b2), tf.mul(tf.mul(g, 1 - b2), g));
      const denom = tf.add(tf.div(tf.sqrt(v), bc2Sqrt), this.eps);
      const p = tf.sub(flatten(this.params), tf.div(tf.mul(m, stepSize), denom)) as Tensor1D;
      this.#m.assign(m);
      this.#v.assign(v);
      unflattenInto(p, this.params);
    });
  }

  /**
   * {@link Adam.step} from the gradients as one flat vector in {@link Adam.params} order (what
   * `Mlp.backwardFlat` and `TwinCritic.backwardFlat` return).
   */
  stepFlat(flat: Tensor1D, options: { maxGradNorm?: number } = {}): void {
    const size = this.#m.size;
    if (flat.size !== size) throw new RangeError(`Adam.stepFlat: ${flat.size} gradients for ${size} values`);
    if (nativeModule() === null) {
      const parts = tf.split(flat, this.params.map((p) => p.size));
      this.step(parts, options);
      tf.dispose(parts);
      return;
    }
    this.stepCount++;
    const t = this.stepCount;
    const r = nativeAdam(this.params, flat, this.#m as Tensor1D, this.#v as Tensor1D, {
      beta1: this.beta1,
      beta2: this.beta2,
      stepSize: this.lr / (1 - Math.pow(this.beta1, t)),
      bc2Sqrt: Math.sqrt(1 - Math.pow(this.beta2, t)),
      eps: this.eps,
      maxNorm: options.maxGradNorm,
    });
    this.params.forEach((p, i) => p.assign(r.params[i]));
    this.#m.assign(r.m);
    this.#v.assign(r.v);
    tf.dispose([...r.params, r.m, r.v]);
  }

  /** A copy of the state (reads the moments back; call between steps). */
  state(): AdamState {
    return {
      step: this.stepCount,
      m: this.#m.dataSync().slice() as Float32Array,
      v: this.#v.dataSync().slice() as Float32Array,
    };
  }

  /** Restores a state from {@link Adam.state} (bit for bit). */
  loadState(state: AdamState): void {
    if (state.m.length !== this.#m.size || state.v.length !== this.#v.size) {
      throw new RangeError(
        `Adam.loadState: moments of ${state.m.length} values for ${this.#m.size} parameters`,
      );
    }
    this.stepCount = state.step;
    tf.tidy(() => {
      this.#m.assign(tf.tensor1d(state.m));
      this.#v.assign(tf.tensor1d(state.v));
    });
  }

  /** Frees the moment buffers. */
  dispose(): void {
    this.#m.dispose();
    this.#v.dispose();
  }
}

/** `min(1, maxNorm / (‖g‖ + 1e-6))` as a scalar tensor (PyTorch 1.13's clamped clip coefficient). */
function clipCoefficient(flat: Tensor1D, maxNorm: number): Scalar {
  const norm = tf.sqrt(tf.sum(tf.square(flat)));
  return tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1) as Scalar;
}

/**
 * `torch.nn.utils.clip_grad_norm_(…, maxNorm)` on a gradient list: the total 2-norm over all tensors, and
 * every gradient multiplied by `min(1, maxNorm / (total + 1e-6))`. Returns new tensors and the norm before
 * clipping.
 */
export function clipGradNorm(
  grads: readonly Tensor[],
  maxNorm: number,
): { grads: Tensor[]; norm: Scalar } {
  const flat = flatten(grads);
  const norm = tf.sqrt(tf.sum(tf.square(flat))) as Scalar;
  const coef = tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1);
  return { grads: grads.map((g) => tf.mul(g, coef)), norm };
}

/** Anything with trainable variables in a fixed order (an {@link Mlp}, a {@link TwinCritic}). */
export interface HasParameters {
  /** The trainable variables, in a fixed order. */
  parameters(): Variable[];
}

/**
 * Polyak update of the parameters only (not BatchNorm running statistics), as the OMAR code does:
 * `target ← target·(1 − rate) + source·rate`.
 */
export function softUpdate(target: HasParameters, source: HasParameters, rate: number): void {
  const tv = target.parameters();
  const sv = source.parameters();
  if (tv.length !== sv.length) {
    throw new RangeError("softUpdate: the networks have different parameter lists");
  }
  if (nativeModule() !== null) {
    const next = nativeSoftUpdate(tv, sv, rate);
    tv.forEach((v, i) => v.assign(next[i]));
    tf.dispose(next);
    return;
  }
  tf.tidy(() => {
    const next = tf.add(tf.mul(flatten(tv), 1 - rate), tf.mul(flatten(sv), rate)) as Tensor1D;
    unflattenInto(next, tv);
  });
}

/** Copies every parameter (and, when both have them, the BatchNorm running statistics) from `source`. */
export function hardUpdate(
  target: HasParameters & { namedBuffers?(): [string, Variable][] },
  source: HasParameters & { namedBuffers?(): [string, Variable][] },
): void {
  const pairs: [Variable, Variable][] = [];
  const tv = target.parameters();
  const sv = source.parameters();
  if (tv.length !== sv.length) {
    throw new RangeError("hardUpdate: the networks have different parameter lists");
  }
  tv.forEach((v, i) => pairs.push([v, sv[i]]));
  const tb = target.namedBuffers?.() ?? [];
  const sb = source.namedBuffers?.() ?? [];
  if (tb.length === sb.length) tb.forEach(([, v], i) => pairs.push([v, sb[i][1]]));
  tf.tidy(() => {
    for (const [t, s] of pairs) t.assign(tf.clone(s));
  });
}
