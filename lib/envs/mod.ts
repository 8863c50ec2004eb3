/**
 * Environments: the MPE physics and OMAR's three particle tasks, the 1-D Spread example, the
 * vectorized stepper and the frozen prey.
 *
 * @example
 * ```ts
 * import { makeTask, ParticleEnv } from "@omar-kit/omar/envs";
 * const env = new ParticleEnv(makeTask("cooperative_navigation"));
 * const obs = env.reset(0);
 * const { rewards } = env.step([[1, 0], [0, 1], [-1, 0]]);
 * ```
 *
 * @module
 */
export * from "./task.ts";
export * from "./env_task.ts";
export * from "./registry.ts";
export * from "./vec_env.ts";
export * from "./prey.ts";
export * from "./policy.ts";
export * from "./frozen_policy.ts";
export { cooperativeNavigation } from "./mpe/cooperative_navigation.ts";
export { predatorPrey } from "./mpe/predator_prey.ts";
export { worldTask } from "./mpe/world.ts";
export { spread1d, spread1dName, type Spread1dOptions } from "./spread_1d.ts";
export {
  allocWorldState,
  type EntityKind,
  type EntitySpec,
  MPE_PHYSICS,
  MpePhysics,
  type WorldSpec,
  type WorldState,
} from "./mpe/physics.ts";
