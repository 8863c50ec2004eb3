/**
 * What the MuJoCo environments share: the multi-agent step interface (close to the particle
 * environments': per-agent observations and rewards, a fixed episode length), input checks, and
 * {@link evaluateMujoco}, which rolls a {@link JointPolicy} out for whole episodes.
 *
 * @module
 */
import type { JointPolicy } from "../envs/policy.ts";
import { type EvaluationResult, summarize } from "../eval/rollout.ts";
import { KitInputError } from "../util/errors.ts";
import { Rng } from "../util/rng.ts";
import type { SimState } from "./mujoco.ts";

/** The result of one {@link MujocoEnv.step}. Its arrays are the env's own and change at the next call. */
export interface MujocoStep {
  /** Per agent, the observation after the step. */
  readonly obs: readonly Float64Array[];
  /** Per agent, the reward of the step (a team reward is repeated for every agent). */
  readonly rewards: Float64Array;
  /** Whether the episode ended: the time limit was reached (these tasks never terminate early). */
  readonly done: boolean;
  /** Whether the episode ended by the time limit (always equal to `done` here). */
  readonly timeout: boolean;
}

/** An environment's state as plain numbers: the simulation's, the clock, and Maze2D's target. */
export interface MujocoEnvState extends SimState {
  /** Steps taken since the last reset. */
  t: number;
  /** The target (Maze2D). */
  target?: number[];
}

/** A multi-agent MuJoCo environment. Environments hold WebAssembly memory: call `dispose()` at the end. */
export interface MujocoEnv {
  /** Environment id, e.g. `halfcheetah_2x3` or `maze2d_umaze_dense`. */
  readonly name: string;
  /** Number of agents. */
  readonly numAgents: number;
  /** Observation size of every agent. */
  readonly obsDims: readonly number[];
  /** Action size of every agent. */
  readonly actDims: readonly number[];
  /** The action size every agent shares. */
  readonly actDim: number;
  /** Size of the global state (the centralized critic's input). */
  readonly stateDim: number;
  /** Steps per episode (the time limit; nothing terminates earlier). */
  readonly episodeLength: number;
  /** Steps taken since the last reset. */
  readonly t: number;
  /** Per agent, the current observation. */
  readonly obs: readonly Float64Array[];
  /** The current global state. */
  readonly state: Float64Array;
  /** The actions of the last step as applied, clipped to [−1, 1], agent after agent. */
  readonly lastAction: Float64Array;
  /** Starts an episode from a seed (stream `"<name>-reset"`) or from the given stream; returns `obs`. */
  reset(source: number | Rng): readonly Float64Array[];
  /** Applies one action per agent (clipped to [−1, 1]) and advances the simulation. */
  step(actions: readonly ArrayLike<number>[]): MujocoStep;
  /** The state, to continue exactly later (a checkpoint). */
  saveState(): MujocoEnvState;
  /** Restores {@link MujocoEnv.saveState}'s output. */
  loadState(state: MujocoEnvState): void;
  /** Frees the MuJoCo model and data; the env is unusable afterwards. Safe to call twice. */
  dispose(): void;
}

/** A policy with per-episode memory (a planner's waypoints, say); {@link evaluateMujoco} resets it. */
export interface EpisodicPolicy extends JointPolicy {
  /** Forgets everything about the previous episode. */
  reset(): void;
}

/** The stream a reset draws from: `Rng.fromSeed(seed, "<name>-reset")` for a number. */
export function resetStream(name: string, source: number | Rng): Rng {
  if (typeof source === "number") {
    if (!Number.isFinite(source)) {
      throw new KitInputError(`${name}: reset seed must be finite, got ${source}`);
    }
    return Rng.fromSeed(source, `${name}-reset`);
  }
  return source;
}

/**
 * Checks one action per agent of the right length with finite entries and writes them, clipped to
 * [−1, 1], to `out` (agent after agent). Throws {@link KitInputError} otherwise.
 */
export function clipActions(
  name: string,
  actions: readonly ArrayLike<number>[],
  actDims: readonly number[],
  out: Float64Array,
): void {
  if (!Array.isArray(actions) || actions.length !== actDims.length) {
    throw new KitInputError(
      `${name}: step expects ${actDims.length} actions (one per agent), got ${
        Array.isArray(actions) ? actions.length : typeof actions
      }`,
    );
  }
  let k = 0;
  for (let i = 0; i < actDims.length; i++) {
    const a = actions[i];
    if (a === null || a === undefined || a.length !== actDims[i]) {
      throw new KitInputError(
        `${name}: agent ${i}'s action must have ${actDims[i]} entries, got ${a?.length ?? String(a)}`,
      );
    }
    for (let j = 0; j < a.length; j++) {
      const v = a[j];
      if (typeof v !== "number" || !Number.isFinite(v)) {
        throw new KitInputError(`${name}: agent ${i}'s action[${j}] is ${v}; actions must be finite numbers`);
      }
      out[k++] = v > 1 ? 1 : v < -1 ? -1 : v;
    }
  }
}

/** Options of {@link evaluateMujoco}. */
export interface MujocoEvaluateOptions {
  /** Number of episodes. Default 10. */
  episodes?: number;
  /** Seed of the episodes' initial states: episode k resets from `Rng.fromSeed(seed, "eval-episode-k")`. Default 0. */
  seed?: number;
}

/**
 * Rolls `policy` out for whole episodes of `env` (batch of one per agent) and returns the scores: an
 * episode's score is the sum of agent 0's rewards (the team reward). A policy with a `reset()` method
 * ({@link EpisodicPolicy}) is reset before every episode.
 */
export function evaluateMujoco(
  env: MujocoEnv,
  policy: JointPolicy | EpisodicPolicy,
  options: MujocoEvaluateOptions = {},
): EvaluationResult {
  const episodes = options.episodes ?? 10;
  const seed = options.seed ?? 0;
  if (!Number.isInteger(episodes) || episodes < 1) {
    throw new KitInputError(`evaluateMujoco: episodes must be a positive integer, got ${episodes}`);
  }
  const obs = env.obsDims.map((d) => new Float32Array(d));
  const act = env.actDims.map((d) => new Float32Array(d));
  const scores = new Float64Array(episodes);
  for (let ep = 0; ep < episodes; ep++) {
    if ("reset" in policy && typeof policy.reset === "function") policy.reset();
    let current = env.reset(Rng.fromSeed(seed, `eval-episode-${ep}`));
    let score = 0;
    for (let t = 0; t < env.episodeLength; t++) {
      for (let i = 0; i < obs.length; i++) obs[i].set(current[i]);
      policy.act(obs, act);
      const r = env.step(act);
      score += r.rewards[0];
      current = r.obs;
      if (r.done) break;
    }
    scores[ep] = score;
  }
  return { scores, ...summarize(scores) };
}
