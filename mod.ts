/**
 * omar-kit: offline multi-agent reinforcement learning with actor rectification (OMAR, Pan et al.,
 * ICML 2022) and its baselines, the particle environments exactly as the authors' code runs them, the
 * datasets, and the reproduction of the paper's tables and figures.
 *
 * Sub-entries import only what you need: `@omar-kit/omar/envs`, `/data`, `/eval`, `/util`.
 *
 * @example
 * ```ts
 * import { evaluate, gotoLandmarkPolicy, makeTask, normalizedScore, referenceScores } from "@omar-kit/omar";
 * const task = makeTask("cooperative_navigation");
 * const { mean } = evaluate(task, gotoLandmarkPolicy(task), { episodes: 100 });
 * console.log(normalizedScore(mean, referenceScores(task.name)));
 * ```
 *
 * @module
 */
export * from "./lib/envs/mod.ts";
export * from "./lib/data/mod.ts";
export * from "./lib/eval/mod.ts";
export * from "./lib/behaviour/mod.ts";
export * from "./lib/algos/mod.ts";
export * from "./lib/plots/mod.ts";
export * from "./lib/tasks/mod.ts";
export { type AleaState, NumpyRandomState, Rng, type RngState, type UniformSource } from "./lib/util/rng.ts";
export { KitInputError } from "./lib/util/errors.ts";
