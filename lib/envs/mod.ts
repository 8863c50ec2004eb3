/**
 * Environments: the MPE physics and OMAR's three particle tasks, the 1-D Spread example, the
 * vectorized stepper, the frozen prey, and the SMAC-like discrete combat tasks (`smac_2s3z`, …).
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
export {
  DEFAULT_SPAWN_JITTER,
  MOVE_AMOUNT,
  OUTCOME,
  REWARD_KILL,
  REWARD_SCALE,
  REWARD_WIN,
  SHOOT_RANGE,
  SIGHT_RANGE,
  SmacBattle,
  type SmacBattleOptions,
  type SmacCommand,
  type SmacOutcome,
  type SmacUnitState,
  STEP_MUL,
} from "./smac/battle.ts";
export {
  isSmacTask,
  makeSmacTask,
  SMAC_TASKS,
  SmacEnv,
  type SmacStepResult,
  type SmacTask,
  smacTask,
  type SmacTaskName,
  SmacVecEnv,
} from "./smac/env.ts";
export {
  checkMap,
  FIELD_SIZE,
  formation,
  type ObsLayout,
  obsLayout,
  SMAC_MAP_NAMES,
  SMAC_MAPS,
  type SmacMap,
  type SmacMapName,
  terrainGrid,
  type TerrainName,
} from "./smac/maps.ts";
export { focusFireActions, randomActions } from "./smac/policies.ts";
export { benchSmac, type BenchSmacOptions, type BenchSmacResult } from "./smac/bench.ts";
export {
  applyHit,
  hitDamage,
  type LineSplash,
  MELEE_RANGE,
  SCAN_RANGE,
  SHIELD_REGEN_DELAY_SECONDS,
  SHIELD_REGEN_PER_SECOND,
  TICK_SECONDS,
  TICKS_PER_SECOND,
  UNIT_TYPES,
  type UnitAttribute,
  type UnitType,
  type UnitTypeName,
} from "./smac/units.ts";
