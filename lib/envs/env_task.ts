/**
 * What evaluation, data collection and online training need from a task, whatever simulates it: the
 * agents' shapes and a batch of environments stepped in lockstep. Particle tasks fit it through
 * {@link asEnvTask}; the MuJoCo tasks (`lib/mujoco/`) implement it directly.
 *
 * @module
 */
import type { Float64Policy } from "./frozen_policy.ts";
import type { ParticleTask, TaskShape } from "./task.ts";
import type { Rng } from "../util/rng.ts";
import { ParticleVecEnv } from "./vec_env.ts";

/** A batch of environments of one task, stepped in lockstep (every episode has the task's length). */
export interface VecEnv {
  /** Number of environments. */
  readonly numEnvs: number;
  /** Per agent (env order, prey included): observations `[numEnvs, obsDim_i]` on the current state. */
  readonly obs: readonly Float64Array[];
  /** Rewards of the last step, `[numEnvs, numAgents]`. */
  readonly rewards: Float64Array;
  /** Actions applied in the last step, clipped to [−1, 1], prey included: `[numEnvs, numAgents, actDim]`. */
  readonly actions: Float64Array;
  /** Episode scores so far, `[numEnvs]` (the task's aggregation of the rewards). */
  readonly scores: Float64Array;
  /** The global state `[numEnvs, stateDim]`, for tasks with {@link EnvTask.stateDim}. */
  readonly states?: Float64Array;
  /** Steps taken since the last reset. */
  readonly t: number;
  /** Draws fresh initial states: one stream for the whole batch (env 0 first), or one per env. */
  reset(source: Rng | readonly Rng[]): void;
  /** Advances every env one step with `[numEnvs, actDim]` actions per learner. */
  step(actions: readonly (Float32Array | Float64Array)[]): void;
  /** Everything needed to continue exactly (numbers only, JSON-safe). */
  saveState(): Record<string, unknown>;
  /** Restores {@link VecEnv.saveState}'s output. */
  loadState(state: Record<string, unknown>): void;
  /** Frees what the envs hold outside JavaScript's heap (MuJoCo's WebAssembly memory). */
  dispose(): void;
}

/** A task as the training and data code sees it. */
export interface EnvTask extends TaskShape {
  /** Number of agents, prey included. */
  readonly numAgents: number;
  /** Size of the global state that datasets record for centralized critics (HalfCheetah's 17), if any. */
  readonly stateDim?: number;
  /** A batch of `numEnvs` environments (call a reset before stepping; `dispose()` at the end). */
  makeVecEnv(numEnvs: number, options?: { prey?: Float64Policy | null }): VecEnv;
}

/** A particle task or any other {@link EnvTask}. */
export type AnyTask = ParticleTask | EnvTask;

/** The {@link EnvTask} view of a particle task (an {@link EnvTask} is returned as it is). */
export function asEnvTask(task: AnyTask): EnvTask {
  if (!("world" in task)) return task;
  return {
    name: task.name,
    numAgents: task.world.numAgents,
    learners: task.learners,
    prey: task.prey,
    obsDims: task.obsDims,
    actDim: task.actDim,
    episodeLength: task.episodeLength,
    makeVecEnv: (numEnvs, options = {}) => new ParticleVecEnv(task, numEnvs, options),
  };
}
