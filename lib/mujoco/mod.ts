/**
 * MuJoCo environments on the official WebAssembly build (`npm:mujoco-js@0.0.7`, MuJoCo 3.3.8):
 * multi-agent HalfCheetah 2x3 as MaMuJoCo builds it for OMAR, and D4RL's dense Maze2D tasks with the
 * waypoint controller that generated D4RL's data. Models are authored in TypeScript from the kit's
 * spec; every environment owns WebAssembly memory and must be `dispose()`d.
 *
 * @example
 * ```ts
 * import { evaluateMujoco, loadTask, makeHalfCheetah, makeMaze2d, waypointPolicy } from "@omar-kit/omar/mujoco";
 * import { evaluate, Rng, uniformRandomPolicy } from "@omar-kit/omar";
 *
 * const cheetah = await makeHalfCheetah();
 * const obs = cheetah.reset(0); // [6-D back leg, 6-D front leg]
 * const { rewards, done } = cheetah.step([[0.1, -0.2, 0.3], [0, 0.5, -0.5]]);
 * const random = evaluateMujoco(cheetah, uniformRandomPolicy(Rng.fromSeed(0)), { episodes: 5 });
 * cheetah.dispose();
 *
 * const maze = await makeMaze2d("umaze");
 * const expert = evaluateMujoco(maze, waypointPolicy("umaze"), { episodes: 5 });
 * console.log(obs, rewards, done, random.mean, expert.mean, maze.references);
 * maze.dispose();
 *
 * // the same tasks inside the kit's machinery: batched evaluation, datasets, training
 * const task = await loadTask("halfcheetah_2x3");
 * console.log(evaluate(task, uniformRandomPolicy(Rng.fromSeed(1)), { episodes: 4 }).mean);
 * ```
 *
 * @module
 */
export {
  loadMujoco,
  type MjData,
  type MjModel,
  type MujocoModule,
  MujocoSim,
  mujocoVersion,
  type SimState,
} from "./mujoco.ts";
export {
  D4RL_SOLVE_THRESHOLD,
  D4RL_VELOCITY_THRESHOLD,
  d4rlRoute,
  type D4rlWaypointController,
  d4rlWaypointController,
  MAZE2D_REWARD_LABELS,
  maze2dDataset,
  type Maze2dDatasetOptions,
} from "./maze2d_data.ts";
export {
  ALL_TASK_ID_HELP,
  isMujocoTask,
  loadTask,
  makeMujocoTask,
  MUJOCO_TASKS,
  type MujocoTask,
  mujocoTaskFromModule,
  type MujocoTaskName,
  MujocoVecEnv,
} from "./tasks.ts";
export {
  clipActions,
  type EpisodicPolicy,
  evaluateMujoco,
  type MujocoEnv,
  type MujocoEnvState,
  type MujocoEvaluateOptions,
  type MujocoStep,
  resetStream,
} from "./env.ts";
export {
  CHEETAH_CAPSULE_RADIUS,
  type CheetahLimb,
  HALF_CHEETAH_AGENT_JOINTS,
  HALF_CHEETAH_EPISODE_LENGTH,
  HALF_CHEETAH_FRAME_SKIP,
  HALF_CHEETAH_JOINT_INDEX,
  HALF_CHEETAH_LIMBS,
  HALF_CHEETAH_PAPER_REFERENCES,
  HalfCheetahEnv,
  type HalfCheetahOptions,
  halfCheetahXml,
  makeHalfCheetah,
} from "./half_cheetah.ts";
export {
  makeMaze2d,
  MAZE2D_BALL_ORIGIN,
  MAZE2D_LAYOUT_NAMES,
  MAZE2D_LAYOUTS,
  MAZE2D_MAX_SPEED,
  Maze2dEnv,
  type Maze2dLayout,
  maze2dLayout,
  type Maze2dLayoutName,
  type Maze2dOptions,
  maze2dXml,
  type MazeCells,
  mazeCells,
  planRoute,
  type WaypointOptions,
  type WaypointPolicy,
  waypointPolicy,
} from "./maze2d.ts";
// Types the API above mentions, re-exported so that this entry point documents itself.
export type { JointPolicy } from "../envs/policy.ts";
export type { AnyTask, EnvTask, VecEnv } from "../envs/env_task.ts";
export type { Float64Policy } from "../envs/frozen_policy.ts";
export type { ParticleTask, ScoreAggregation, TaskShape } from "../envs/task.ts";
export type { EntityKind, EntitySpec, WorldSpec } from "../envs/mpe/physics.ts";
export type { AgentData, DatasetMeta, MultiAgentDataset } from "../data/dataset.ts";
export type { EvaluationResult } from "../eval/rollout.ts";
export type { AleaState, Rng, RngState, UniformSource } from "../util/rng.ts";
