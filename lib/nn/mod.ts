/**
 * The neural-network layer of the kit, on tfjs (`wasm` backend, `cpu` fallback): PyTorch-exact
 * initialisation, BatchNorm1d, Adam, gradient clipping and soft updates, an MLP and the OMAR twin critic
 * with fast hand-derived backward passes (one native WebAssembly SIMD kernel per pass on `wasm`), and
 * bit-exact save/load.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Adam, initBackend, Mlp } from "./mod.ts";
 * import { Rng } from "../util/rng.ts";
 *
 * await initBackend();
 * const net = new Mlp(4, 1, { rng: Rng.fromSeed(0, "init") });
 * const opt = new Adam(net.parameters(), { lr: 1e-2 });
 * const x = tf.randomNormal([32, 4]) as tf.Tensor2D;
 * tf.tidy(() => {
 *   const { out, trace } = net.forwardTrace(x);
 *   const dOut = tf.mul(out, 2 / 32) as tf.Tensor2D; // d/dout of mean(out²)
 *   opt.step(net.backward(trace, dOut).grads, { maxGradNorm: 0.5 });
 * });
 * ```
 *
 * @module
 */
export { type BackendName, initBackend } from "./backend.ts";
export { gemmBackend, nativeFma, nativeKernels, type NativeTrace, setNativeKernels } from "./native.ts";
export { blasActive, type BlasInfo, blasInfo, setBlas, type SgemmImport, sgemmImport } from "./blas.ts";
export {
  type Activation,
  activationBackward,
  columnSums,
  createLinear,
  crossProduct,
  dense,
  denseForward,
  type DenseOptions,
  type Linear,
  type LinearInitOptions,
  onesRow,
  uniformValues,
} from "./dense.ts";
export { blockRowSum, columnSum, factoredCross, weightedColumnSum } from "./kernels.ts";
export { BatchNorm, batchNormInputGrad, type ColumnStats, columnStats } from "./batch_norm.ts";
export {
  Mlp,
  type MlpApplyOptions,
  type MlpBackwardOptions,
  type MlpCallOptions,
  type MlpOptions,
  type MlpTrace,
  type NormTrace,
  type StackInput,
  type StackTrace,
} from "./mlp.ts";
export {
  type CriticApplyOptions,
  type CriticBackwardOptions,
  type CriticCallOptions,
  type CriticTrace,
  type QValues,
  TwinCritic,
  type TwinCriticOptions,
} from "./twin_critic.ts";
export {
  Adam,
  type AdamOptions,
  type AdamState,
  clipGradNorm,
  hardUpdate,
  type HasParameters,
  softUpdate,
} from "./optim.ts";
export {
  decodeState,
  type EncodedState,
  encodeState,
  loadNetwork,
  loadOptimizer,
  type NetworkState,
  saveNetwork,
  saveOptimizer,
  type StatefulNetwork,
  type TensorRecord,
} from "./state.ts";
export type { RandomFill, Scalar, Tensor, Tensor1D, Tensor2D, Variable } from "./types.ts";
