/**
 * `BatchNorm1d` exactly as PyTorch defines it, split into pieces the fast MLP passes fold into their first
 * dense layer (so the normalised input is never materialised).
 *
 * - Train mode: normalise with the batch mean and the *biased* batch variance; then update
 *   `running = (1 - momentum)·running + momentum·batch`, using the *unbiased* batch variance.
 * - Eval mode: normalise with the running statistics.
 * - `y = (x - mean) / sqrt(var + eps) · weight + bias`, eps 1e-5, momentum 0.1, weight 1 and bias 0 at start.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Tensor1D, Tensor2D, Variable } from "./types.ts";
import { columnSum } from "./kernels.ts";

/** Batch statistics of some columns. */
export interface ColumnStats {
  /** Column means, `[d]`. */
  mean: Tensor1D;
  /** Biased column variances, `[d]`. */
  variance: Tensor1D;
  /** `x - mean`, `[N, d]` (kept for the input gradient). */
  centered: Tensor2D;
}

/** Mean and biased variance of each column (two passes, float64 accumulation). */
export function columnStats(x: Tensor2D): ColumnStats {
  const n = x.shape[0];
  const mean = tf.div(columnSum(x), n) as Tensor1D;
  const centered = tf.sub(x, mean) as Tensor2D;
  const variance = tf.div(columnSum(tf.square(centered) as Tensor2D), n) as Tensor1D;
  return { mean, variance, centered };
}

/** A PyTorch-style `BatchNorm1d(dim)` (affine, tracked running statistics). */
export class BatchNorm {
  /** Number of features. */
  readonly dim: number;
  /** Learnable scale γ, `[dim]`, starts at 1 (PyTorch `weight`). */
  readonly weight: Variable;
  /** Learnable shift β, `[dim]`, starts at 0 (PyTorch `bias`). */
  readonly bias: Variable;
  /** Running mean, `[dim]`, starts at 0 (not trainable). */
  readonly runningMean: Variable;
  /** Running variance, `[dim]`, starts at 1 (not trainable). */
  readonly runningVar: Variable;
  /** Momentum of the running statistics (PyTorch default 0.1). */
  readonly momentum: number;
  /** Added to the variance before the square root (PyTorch default 1e-5). */
  readonly eps: number;
  /** How many train-mode batches updated the running statistics (PyTorch's `num_batches_tracked`). */
  numBatchesTracked = 0;

  /** A fresh layer: weight 1, bias 0, running mean 0, running variance 1. */
  constructor(dim: number, options: { momentum?: number; eps?: number } = {}) {
    this.dim = dim;
    this.momentum = options.momentum ?? 0.1;
    this.eps = options.eps ?? 1e-5;
    this.weight = tf.variable(tf.ones([dim]), true);
    this.bias = tf.variable(tf.zeros([dim]), true);
    this.runningMean = tf.variable(tf.zeros([dim]), false);
    this.runningVar = tf.variable(tf.ones([dim]), false);
  }

  /**
   * Updates the running statistics from one train-mode batch of `n` rows: `mean` and the biased `variance`
   * of that batch (the unbiased variance is `variance · n / (n - 1)`).
   */
  updateRunning(mean: Tensor1D, variance: Tensor1D, n: number): void {
    const m = this.momentum;
    const unbiased = n > 1 ? tf.mul(variance, n / (n - 1)) : variance;
    const rm = tf.tidy(() => tf.add(tf.mul(this.runningMean, 1 - m), tf.mul(mean, m)));
    const rv = tf.tidy(() => tf.add(tf.mul(this.runningVar, 1 - m), tf.mul(unbiased, m)));
    this.runningMean.assign(rm);
    this.runningVar.assign(rv);
    rm.dispose();
    rv.dispose();
    this.numBatchesTracked++;
  }

  /** Sets the running statistics to values computed elsewhere (one train-mode batch counted). */
  assignRunning(mean: Tensor1D, variance: Tensor1D): void {
    this.runningMean.assign(mean);
    this.runningVar.assign(variance);
    this.numBatchesTracked++;
  }

  /** `1 / sqrt(variance + eps)`. */
  invStd(variance: Tensor1D): Tensor1D {
    return tf.rsqrt(tf.add(variance, this.eps));
  }

  /**
   * The normalisation as an affine map `y = x·scale + shift` per column, for a batch with the given mean
   * and (biased) variance, or for the running statistics when they are omitted (eval mode).
   */
  affine(
    mean?: Tensor1D,
    variance?: Tensor1D,
  ): { scale: Tensor1D; shift: Tensor1D; invStd: Tensor1D } {
    const mu = mean ?? (this.runningMean as Tensor1D);
    const invStd = this.invStd(variance ?? (this.runningVar as Tensor1D));
    const scale = tf.mul(this.weight, invStd) as Tensor1D;
    const shift = tf.sub(this.bias, tf.mul(mu, scale)) as Tensor1D;
    return { scale, shift, invStd };
  }

  /**
   * Plain forward pass (differentiable by tfjs autograd): train mode uses the batch statistics and, unless
   * `updateStats` is false, updates the running statistics; eval mode uses the running statistics.
   */
  forward(x: Tensor2D, options: { training?: boolean; updateStats?: boolean } = {}): Tensor2D {
    const training = options.training ?? true;
    if (!training) {
      const { scale, shift } = this.affine();
      return tf.add(tf.mul(x, scale), shift) as Tensor2D;
    }
    const { mean, variance } = tf.moments(x, 0);
    if (options.updateStats ?? true) {
      this.updateRunning(mean as Tensor1D, variance as Tensor1D, x.shape[0]);
    }
    const xhat = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.eps)));
    return tf.add(tf.mul(xhat, this.weight), this.bias) as Tensor2D;
  }

  /** The variables, PyTorch order: weight, bias. */
  parameters(): Variable[] {
    return [this.weight, this.bias];
  }

  /** Frees the variables. */
  dispose(): void {
    for (const v of [this.weight, this.bias, this.runningMean, this.runningVar]) v.dispose();
  }
}

/**
 * Gradient of a train-mode batch norm's input from the gradient `gHat` with respect to the normalised
 * value `x̂` (that is, `dL/dy · weight`): `invStd · (gHat - mean(gHat) - x̂ · mean(gHat · x̂))`, means
 * over the `N` rows. `centered` is `x - mean`.
 */
export function batchNormInputGrad(
  gHat: Tensor2D,
  centered: Tensor2D,
  invStd: Tensor1D,
): Tensor2D {
  const n = gHat.shape[0];
  const xhat = tf.mul(centered, invStd) as Tensor2D;
  const mg = tf.div(columnSum(gHat), n);
  const mgx = tf.div(columnSum(tf.mul(gHat, xhat) as Tensor2D), n);
  return tf.mul(tf.sub(tf.sub(gHat, mg), tf.mul(xhat, mgx)), invStd) as Tensor2D;
}
