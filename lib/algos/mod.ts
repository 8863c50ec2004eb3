/**
 * Offline multi-agent algorithms on decentralized (ITD3) or centralized (MATD3) critics: MA-ICQ,
 * MA-TD3+BC, MA-CQL and OMAR with its samplers, the per-task presets, and the offline training loop.
 * Each algorithm states its losses as tfjs expressions of the networks' outputs (lib/algos/losses.ts);
 * `lossGradients` chooses the built-in losses' hand-derived gradients (default) or tfjs autograd.
 *
 * @example
 * ```ts
 * import { initBackend, makeAlgorithm, trainOffline } from "@omar-kit/omar/algos";
 * await initBackend();
 * const algo = makeAlgorithm("omar", { obsDims: [18, 18, 18], actDim: 2 }, {
 *   context: { task: "cooperative_navigation", quality: "medium" },
 * });
 * // const result = await trainOffline(algo, { dataset, task }, { rounds: 2000 });
 * ```
 *
 * Run with `--allow-ffi` where OpenBLAS is installed (Debian: `libopenblas0`) and the networks' large
 * matrix products use it (about 2x faster training steps); {@link gemmBackend} says which path runs.
 *
 * @module
 */
export type { AlgorithmState, OfflineAlgorithm, RoundBatches } from "./types.ts";
export type { ActorCriticOptions, AgentSpec } from "./actor_critic.ts";
export { LOSS_GRADIENTS, type LossGradients } from "./losses.ts";
export { itd3 } from "./itd3.ts";
export { cql, type CqlOptions } from "./cql.ts";
export { td3bc, type Td3BcOptions } from "./td3_bc.ts";
export { icq, type IcqOptions } from "./icq.ts";
export { omar, type OmarOptions, omarTd3 } from "./omar.ts";
export { omarQnorm } from "./omar_qnorm.ts";
export * from "./samplers.ts";
export * from "./presets.ts";
export * from "./registry.ts";
export * from "./train.ts";
export { criticLandscape, type Landscape, type LandscapeOptions } from "./landscape.ts";
export {
  landscapeReport,
  type LandscapeState,
  type LandscapeStudy,
  landscapeStudy,
  type LandscapeStudyOptions,
} from "./landscape_study.ts";
export { type BackendName, initBackend } from "../nn/backend.ts";
export { gemmBackend } from "../nn/native.ts";
export { type BlasInfo, blasInfo, setBlas } from "../nn/blas.ts";
