/**
 * The MuJoCo environments as tasks of the kit ({@link EnvTask}): a batch of environments stepped in
 * lockstep for evaluation, data collection and online training, exactly as the particle tasks are.
 * `loadTask` resolves any task id, particle or MuJoCo.
 *
 * @module
 */
import type { EnvTask, VecEnv } from "../envs/env_task.ts";
import { makeTask, TASK_ID_HELP } from "../envs/registry.ts";
import { isSmacTask } from "../envs/smac/env.ts";
import type { ParticleTask } from "../envs/task.ts";
import { KitInputError } from "../util/errors.ts";
import type { Rng } from "../util/rng.ts";
import type { MujocoEnv, MujocoEnvState } from "./env.ts";
import { HALF_CHEETAH_PAPER_REFERENCES, HalfCheetahEnv } from "./half_cheetah.ts";
import { MAZE2D_LAYOUTS, Maze2dEnv, type Maze2dLayoutName } from "./maze2d.ts";
import { loadMujoco, type MujocoModule } from "./mujoco.ts";

/** The MuJoCo task ids: multi-agent HalfCheetah (Table 3) and the dense Maze2D mazes (Table 4). */
export const MUJOCO_TASKS = [
  "halfcheetah_2x3",
  "maze2d_umaze_dense",
  "maze2d_medium_dense",
  "maze2d_large_dense",
] as const;

/** A MuJoCo task id. */
export type MujocoTaskName = typeof MUJOCO_TASKS[number];

/** Whether `id` names a MuJoCo task. */
export function isMujocoTask(id: string): id is MujocoTaskName {
  return (MUJOCO_TASKS as readonly string[]).includes(id);
}

/** A MuJoCo task: an {@link EnvTask} whose environments are compiled MuJoCo models. */
export interface MujocoTask extends EnvTask {
  /** The task id. */
  readonly name: MujocoTaskName;
  /** One environment (its owner disposes it). */
  makeEnv(): MujocoEnv;
  /** The published references: the paper's (HalfCheetah) or D4RL's `ref_min` / `ref_max` (Maze2D). */
  readonly publishedReferences: { readonly random: number; readonly expert: number; readonly source: string };
}

/**
 * `numEnvs` MuJoCo environments stepped in lockstep. The score of an episode is the sum of agent 0's
 * rewards (HalfCheetah's team reward; Maze2D's only agent).
 */
export class MujocoVecEnv implements VecEnv {
  /** The environments. */
  readonly envs: readonly MujocoEnv[];
  /** Number of environments. */
  readonly numEnvs: number;
  /** Per agent: observations `[numEnvs, obsDim_i]`. */
  readonly obs: Float64Array[];
  /** Rewards of the last step, `[numEnvs, numAgents]`. */
  readonly rewards: Float64Array;
  /** Actions applied in the last step, clipped: `[numEnvs, numAgents, actDim]`. */
  readonly actions: Float64Array;
  /** Episode scores so far, `[numEnvs]`. */
  readonly scores: Float64Array;
  /** The global state of every env, `[numEnvs, stateDim]`. */
  readonly states: Float64Array;
  #t = 0;
  readonly #views: Float64Array[][];

  /** Takes ownership of `envs` (same task, at least one). */
  constructor(envs: readonly MujocoEnv[]) {
    if (envs.length < 1) throw new RangeError("MujocoVecEnv needs at least one environment");
    const e0 = envs[0], E = envs.length, nA = e0.numAgents, d = e0.actDim;
    this.envs = envs, this.numEnvs = E;
    this.obs = e0.obsDims.map((od) => new Float64Array(E * od));
    this.rewards = new Float64Array(E * nA);
    this.actions = new Float64Array(E * nA * d);
    this.scores = new Float64Array(E);
    this.states = new Float64Array(E * e0.stateDim);
    this.#views = envs.map((_, e) =>
      Array.from({ length: nA }, (_, i) => this.actions.subarray((e * nA + i) * d, (e * nA + i + 1) * d))
    );
  }

  /** Steps since the last reset. */
  get t(): number {
    return this.#t;
  }

  /** Resets every env: from one stream in env order, or one stream per env. */
  reset(source: Rng | readonly Rng[]): void {
    this.envs.forEach((env, e) => env.reset(Array.isArray(source) ? source[e] : source as Rng));
    this.#t = 0;
    this.scores.fill(0), this.rewards.fill(0);
    this.#gather();
  }

  /** One step with `[numEnvs, actDim]` actions per agent (every agent learns here). */
  step(actions: readonly (Float32Array | Float64Array)[]): void {
    const E = this.numEnvs, e0 = this.envs[0], nA = e0.numAgents, d = e0.actDim;
    if (actions.length !== nA) {
      throw new KitInputError(`${e0.name}: step expects actions for ${nA} agents, got ${actions.length}`);
    }
    actions.forEach((a, i) => {
      if (a.length !== E * d) {
        throw new KitInputError(
          `${e0.name}: agent ${i} actions must be [${E}, ${d}] (${E * d} values), got ${a.length}`,
        );
      }
    });
    this.envs.forEach((env, e) => {
      const views = this.#views[e];
      for (let i = 0; i < nA; i++) {
        for (let c = 0; c < d; c++) views[i][c] = actions[i][e * d + c];
      }
      const r = env.step(views); // checks the actions and applies them clipped
      this.actions.set(env.lastAction, e * nA * d);
      for (let i = 0; i < nA; i++) this.rewards[e * nA + i] = r.rewards[i];
      this.scores[e] += r.rewards[0];
    });
    this.#t++;
    this.#gather();
  }

  /** Every env's state, the clock and the scores. */
  saveState(): Record<string, unknown> {
    return { envs: this.envs.map((env) => env.saveState()), t: this.#t, scores: Array.from(this.scores) };
  }

  /** Restores {@link MujocoVecEnv.saveState}'s output. */
  loadState(state: Record<string, unknown>): void {
    const s = state as { envs: MujocoEnvState[]; t: number; scores: number[] };
    if (!Array.isArray(s.envs) || s.envs.length !== this.numEnvs) {
      throw new KitInputError(`loadState: expected the state of ${this.numEnvs} MuJoCo environments`);
    }
    this.envs.forEach((env, e) => env.loadState(s.envs[e]));
    this.#t = s.t, this.scores.set(s.scores), this.rewards.fill(0);
    this.#gather();
  }

  /** Frees every environment. */
  dispose(): void {
    for (const env of this.envs) env.dispose();
  }

  #gather(): void {
    this.envs.forEach((env, e) => {
      env.obs.forEach((o, i) => this.obs[i].set(o, e * o.length));
      this.states.set(env.state, e * env.state.length);
    });
  }
}

function mujocoTask(
  name: MujocoTaskName,
  parts: { make: () => MujocoEnv; publishedReferences: MujocoTask["publishedReferences"] },
): MujocoTask {
  const { make, publishedReferences } = parts;
  const probe = make();
  const task: MujocoTask = {
    name,
    numAgents: probe.numAgents,
    ...(probe.numAgents > 1 ? { stateDim: probe.stateDim } : {}),
    learners: Array.from({ length: probe.numAgents }, (_, i) => i),
    prey: null,
    obsDims: probe.obsDims,
    actDim: probe.actDim,
    episodeLength: probe.episodeLength,
    publishedReferences,
    makeEnv: make,
    makeVecEnv: (numEnvs) => {
      if (!Number.isInteger(numEnvs) || numEnvs < 1) {
        throw new RangeError(`numEnvs must be ≥ 1, got ${numEnvs}`);
      }
      return new MujocoVecEnv(Array.from({ length: numEnvs }, make));
    },
  };
  probe.dispose();
  return task;
}

/** The MuJoCo task `name` on a loaded module (synchronous). */
export function mujocoTaskFromModule(mujoco: MujocoModule, name: string): MujocoTask {
  if (name === "halfcheetah_2x3") {
    return mujocoTask(name, {
      make: () => HalfCheetahEnv.fromModule(mujoco),
      publishedReferences: { ...HALF_CHEETAH_PAPER_REFERENCES, source: "paper App. C.1.1 (MuJoCo 1.5/2.0)" },
    });
  }
  const maze = /^maze2d_(umaze|medium|large)_dense$/.exec(name);
  if (maze) {
    const layout = maze[1] as Maze2dLayoutName;
    return mujocoTask(name as MujocoTaskName, {
      make: () => Maze2dEnv.fromModule(mujoco, layout),
      publishedReferences: {
        ...MAZE2D_LAYOUTS[layout].dense,
        source: "D4RL ref_min / ref_max (d4rl/infos.py)",
      },
    });
  }
  throw new KitInputError(`unknown MuJoCo task "${name}"; expected one of: ${MUJOCO_TASKS.join(", ")}`);
}

/** The MuJoCo task `name` (loading MuJoCo on first use). */
export async function makeMujocoTask(name: string): Promise<MujocoTask> {
  if (!isMujocoTask(name)) {
    throw new KitInputError(`unknown MuJoCo task "${name}"; expected one of: ${MUJOCO_TASKS.join(", ")}`);
  }
  return mujocoTaskFromModule(await loadMujoco(), name);
}

/** Accepted task ids, particle and MuJoCo, for errors and help. */
export const ALL_TASK_ID_HELP = `${TASK_ID_HELP}, ${MUJOCO_TASKS.join(", ")}`;

/** Any task by id: a particle task, or a MuJoCo task (loading MuJoCo on first use). */
export async function loadTask(id: string): Promise<ParticleTask | MujocoTask> {
  if (isMujocoTask(id)) return await makeMujocoTask(id);
  if (isSmacTask(id)) {
    throw new KitInputError(
      `task "${id}" is a discrete SMAC-like task: make it with makeSmacTask("${id}") (the continuous training and dataset code does not take it)`,
    );
  }
  try {
    return makeTask(id);
  } catch (err) {
    if (err instanceof KitInputError) {
      throw new KitInputError(`unknown task "${id}"; expected one of: ${ALL_TASK_ID_HELP}`);
    }
    throw err;
  }
}
