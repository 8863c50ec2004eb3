/**
 * Dense (fully connected) layers and the transpose-free kernels the fast backward passes are built from.
 *
 * Layout: a layer's weight is stored `[in, out]` (the transpose of PyTorch's `Linear.weight`) so that the
 * forward pass is `x @ W + b` with no transpose. On the tfjs wasm backend a `matMul` with `transposeA` or
 * `transposeB` leaves XNNPACK and runs ~12x slower, and `sum` over axis 0 or a `transpose` of a large
 * activation costs as much as a matmul; so every backward here is written with plain matmuls only:
 * bias gradients are `ones[1, N] @ g`, and weight gradients take the transposed operand from whichever
 * side is cheapest (a reshape when the layer has one output, a small transpose when the layer is narrow).
 *
 * A pitfall of tfjs-backend-wasm 4.x: `matMul(a, b)` caches XNNPACK's packed copy of `b` under the key
 * (data id of `b`, bias id, activation), *without the shape*. A `reshape` shares the data id, so using a
 * tensor and a reshape of it as the right operand of two matmuls silently reuses the first packing and
 * returns wrong numbers. Code here never does that (transposes make new data). The same cache makes every
 * matmul whose right operand is a fresh `[N, C]` activation pay a packing pass (~4 ns per element), which
 * is why row reductions run as JS kernels instead (`kernels.ts`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { RandomFill, Tensor, Tensor1D, Tensor2D, Variable } from "./types.ts";
import { columnSum, weightedColumnSum } from "./kernels.ts";

/** Activation after a dense layer. */
export type Activation = "none" | "relu" | "tanh";

/** One dense layer's parameters: `y = act(x @ weight + bias)`. */
export interface Linear {
  /** Weight, shape `[inDim, outDim]` (PyTorch's `Linear.weight` transposed). */
  readonly weight: Variable;
  /** Bias, shape `[outDim]`. */
  readonly bias: Variable;
  /** Input width. */
  readonly inDim: number;
  /** Output width. */
  readonly outDim: number;
}

/** Options of {@link createLinear}. */
export interface LinearInitOptions {
  /** Where the initial values come from (weights first, in PyTorch's `[out][in]` order, then biases). */
  rng: RandomFill;
  /** Weights are drawn from U(-bound, bound); default `1/sqrt(inDim)` (PyTorch's kaiming-uniform, a=sqrt(5)). */
  weightBound?: number;
  /** Biases are drawn from U(-bound, bound); default `1/sqrt(inDim)` (PyTorch's default). */
  biasBound?: number;
}

/** `n` draws from U(-bound, bound) as float32, in draw order. */
export function uniformValues(rng: RandomFill, n: number, bound: number): Float32Array {
  const out = new Float32Array(n);
  rng.fillUniform(out, -bound, bound);
  return out;
}

/**
 * A dense layer initialised like PyTorch's `nn.Linear(inDim, outDim)`: weight and bias from
 * U(±1/sqrt(inDim)) unless bounds are given. Draws the weight in PyTorch's `[out][in]` order, then the bias.
 */
export function createLinear(inDim: number, outDim: number, options: LinearInitOptions): Linear {
  const def = 1 / Math.sqrt(inDim);
  const wTorch = uniformValues(options.rng, inDim * outDim, options.weightBound ?? def);
  const b = uniformValues(options.rng, outDim, options.biasBound ?? def);
  const w = new Float32Array(inDim * outDim);
  for (let o = 0; o < outDim; o++) {
    for (let i = 0; i < inDim; i++) w[i * outDim + o] = wTorch[o * inDim + i];
  }
  return {
    weight: tf.variable(tf.tensor2d(w, [inDim, outDim]), true),
    bias: tf.variable(tf.tensor1d(b), true),
    inDim,
    outDim,
  };
}

const onesCache = new Map<string, Tensor>();

/**
 * A cached, kept `ones[1, n]` tensor (per backend) for bias gradients and column sums as matmuls. Never
 * dispose it.
 */
export function onesRow(n: number): Tensor2D {
  const key = `${tf.getBackend()}:${n}`;
  let t = onesCache.get(key);
  if (t === undefined || t.isDisposed) {
    t = tf.keep(tf.ones([1, n]));
    onesCache.set(key, t);
  }
  return t as Tensor2D;
}

/** Column sums of a 2-D tensor as a vector `[cols]` (a JS row reduction; see `kernels.ts`). */
export function columnSums(g: Tensor2D): Tensor1D {
  return columnSum(g);
}

/** `aᵀ @ g` for `a: [N, p]`, `g: [N, q]` without `transposeA`, transposing the narrower operand. */
export function crossProduct(a: Tensor2D, g: Tensor2D): Tensor2D {
  const p = a.shape[1];
  const q = g.shape[1];
  if (q === 1) return weightedColumnSum(a, g).reshape([p, 1]);
  if (p === 1) return weightedColumnSum(g, a).reshape([1, q]);
  if (q < p) return tf.transpose(tf.matMul(tf.transpose(g), a));
  return tf.matMul(tf.transpose(a), g);
}

/** `act(x @ w + b)` in one fused kernel (no gradient bookkeeping of its own). */
export function denseForward(x: Tensor2D, layer: Linear, activation: Activation = "none"): Tensor2D {
  if (activation === "tanh") {
    return tf.tanh(
      tf.fused.matMul({ a: x, b: layer.weight as Tensor2D, bias: layer.bias }),
    ) as Tensor2D;
  }
  return tf.fused.matMul({
    a: x,
    b: layer.weight as Tensor2D,
    bias: layer.bias,
    activation: activation === "relu" ? "relu" : "linear",
  }) as Tensor2D;
}

/**
 * Multiplies the gradient `dy` of an activation's output by the activation's derivative, given the output
 * `y` (ReLU: `y > 0`, tanh: `1 - y²`).
 */
export function activationBackward(dy: Tensor, y: Tensor, activation: Activation): Tensor {
  if (activation === "relu") return tf.mul(dy, tf.step(y, 0));
  if (activation === "tanh") return tf.mul(dy, tf.sub(1, tf.square(y)));
  return dy;
}

/** Options of {@link dense}. */
export interface DenseOptions {
  /** Activation after the affine map; default none. */
  activation?: Activation;
  /** Also differentiate with respect to `x` (default true); false treats `x` as a constant input. */
  inputGrad?: boolean;
}

/**
 * One differentiable dense layer with a hand-written backward (`tf.customGrad`) that uses explicit small
 * transposes instead of `transposeA/B` matmuls, so both directions stay on XNNPACK. Works under
 * `tf.grads`/`tf.variableGrads` like any op; gradients flow to `layer.weight`, `layer.bias` and `x`.
 */
export function dense(x: Tensor2D, layer: Linear, options: DenseOptions = {}): Tensor2D {
  const activation = options.activation ?? "none";
  const withInput = options.inputGrad ?? true;
  const f = tf.customGrad((...args: (Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const xIn = (withInput ? args[0] : x) as Tensor2D;
    const w = args[withInput ? 1 : 0] as Tensor2D;
    const b = args[withInput ? 2 : 1] as Tensor1D;
    const y = denseForward(
      xIn,
      { weight: w, bias: b, inDim: w.shape[0], outDim: w.shape[1] } as Linear,
      activation,
    );
    save([xIn, w, y]);
    return {
      value: y,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [xs, ws, ys] = saved as Tensor2D[];
        const g = activationBackward(dy, ys, activation) as Tensor2D;
        const dw = crossProduct(xs, g);
        const db = columnSums(g);
        if (!withInput) return [dw, db];
        return [tf.matMul(g, tf.transpose(ws)), dw, db];
      },
    };
  });
  const inputs = withInput ? [x, layer.weight, layer.bias] : [layer.weight, layer.bias];
  return (f as (...t: Tensor[]) => Tensor)(...inputs) as Tensor2D;
}
