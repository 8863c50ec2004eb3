/**
 * Names for the tfjs types that appear in the network API (plain aliases: any tfjs tensor or variable
 * fits), and the random source the initialisers draw from.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

/** A tfjs tensor of any rank. */
export type Tensor = tf.Tensor;
/** A rank-1 tfjs tensor. */
export type Tensor1D = tf.Tensor1D;
/** A rank-2 tfjs tensor (rows are samples). */
export type Tensor2D = tf.Tensor2D;
/** A rank-0 tfjs tensor. */
export type Scalar = tf.Scalar;
/** A mutable tfjs variable (network parameters, optimizer moments, running statistics). */
export type Variable = tf.Variable;

/** Where initial weights come from: an {@link import("../util/rng.ts").Rng} fits. */
export interface RandomFill {
  /** Fills `out` with draws from U[lo, hi), in order. */
  fillUniform(out: Float32Array, lo: number, hi: number): void;
}
