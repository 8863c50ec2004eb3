/**
 * Replays conformance trajectories recorded from the original Python MPE (format
 * `omar-mpe-conformance-v1`, shared/reference/mpe/) and measures how far the kit is from them.
 *
 * @module
 */
import { KitInputError } from "../util/errors.ts";
import { NumpyRandomState } from "../util/rng.ts";
import type { Float64Policy } from "./frozen_policy.ts";
import { makeTask } from "./registry.ts";
import { type EnvState, ParticleVecEnv } from "./vec_env.ts";

/** One recorded episode (the fields the replay reads). */
export interface ConformanceEpisode {
  /** Seed given to `np.random.seed` before `reset()`. */
  seed: number;
  /** Every entity's state right after reset. */
  initial_state: { pos: number[]; vel: number[] }[];
  /** Observations returned by reset, per agent. */
  initial_obs: number[][];
  /** The 25 steps. */
  steps: { actions: number[][]; obs: number[][]; rewards: number[]; score_increment: number }[];
  /** Sum of the score increments. */
  score: number;
}

/** A conformance file. */
export interface ConformanceFile {
  /** `omar-mpe-conformance-v1`. */
  format: string;
  /** Task id (`cooperative_navigation`, `predator_prey`, `world`). */
  task: string;
  /** The recorded episodes. */
  episodes: ConformanceEpisode[];
}

/** Largest absolute differences between the kit and a conformance file. */
export interface ReplayReport {
  /** Task id. */
  task: string;
  /** Episodes replayed. */
  episodes: number;
  /** Over every observation of every agent, reset included. */
  max_abs_obs_error: number;
  /** Over every reward of every agent. */
  max_abs_reward_error: number;
  /** Over episode scores (and per-step score increments). */
  max_abs_score_error: number;
  /** Over the prey's actions from the kit's forward pass; `null` when the task has no prey. */
  max_abs_prey_action_error: number | null;
  /** Over initial positions drawn from the episode's seed with NumPy's generator. */
  max_abs_seed_reset_error: number;
}

/** Parses and checks a conformance file's text. */
export function parseConformance(text: string, name: string): ConformanceFile {
  let json: ConformanceFile;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new KitInputError(`${name}: not valid JSON (${(err as Error).message}); the file may be truncated`);
  }
  if (json?.format !== "omar-mpe-conformance-v1" || !Array.isArray(json.episodes)) {
    throw new KitInputError(`${name}: expected format "omar-mpe-conformance-v1" with an "episodes" list`);
  }
  return json;
}

/**
 * Replays every episode from its initial state with the recorded learner actions, the prey acting by
 * `prey` (required when the task has one), all episodes at once in one vectorized env.
 */
export function replayConformance(file: ConformanceFile, prey: Float64Policy | null): ReplayReport {
  const task = makeTask(file.task);
  const E = file.episodes.length;
  if (task.prey !== null && !prey) {
    throw new KitInputError(`replay of ${task.name} needs the original prey weights`);
  }
  const env = new ParticleVecEnv(task, E, { prey });
  const maxDiff = (acc: number, a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
    if (a.length !== b.length) {
      throw new KitInputError(`${file.task}: ${what} has ${b.length} values, kit ${a.length}`);
    }
    for (let i = 0; i < a.length; i++) acc = Math.max(acc, Math.abs(a[i] - b[i]));
    return acc;
  };
  const report: ReplayReport = {
    task: task.name,
    episodes: E,
    max_abs_obs_error: 0,
    max_abs_reward_error: 0,
    max_abs_score_error: 0,
    max_abs_prey_action_error: task.prey === null ? null : 0,
    max_abs_seed_reset_error: 0,
  };
  // reset from the seed the way the original does, and compare with the recorded initial state
  env.reset(file.episodes.map((ep) => new NumpyRandomState(ep.seed)));
  file.episodes.forEach((ep, e) => {
    report.max_abs_seed_reset_error = maxDiff(
      report.max_abs_seed_reset_error,
      env.getState(e).pos.flat(),
      ep.initial_state.map((s) => s.pos).flat(),
      "initial_state",
    );
  });
  env.resetFromStates(file.episodes.map((ep): EnvState => ({
    pos: ep.initial_state.map((s) => s.pos),
    vel: ep.initial_state.map((s) => s.vel),
  })));
  const obsErr = (t: number) => {
    task.obsDims.forEach((d, i) => {
      file.episodes.forEach((ep, e) => {
        const rec = t === 0 ? ep.initial_obs[i] : ep.steps[t - 1].obs[i];
        report.max_abs_obs_error = maxDiff(
          report.max_abs_obs_error,
          env.obs[i].subarray(e * d, (e + 1) * d),
          rec,
          "obs",
        );
      });
    });
  };
  obsErr(0);
  const nA = task.world.numAgents, d = task.actDim;
  const T = file.episodes[0]?.steps.length ?? 0;
  for (let t = 0; t < T; t++) {
    const learnerActions = task.learners.map((i) =>
      Float64Array.from(file.episodes.flatMap((ep) => {
        if (ep.steps.length !== T) throw new KitInputError(`${file.task}: episodes must all have ${T} steps`);
        return ep.steps[t].actions[i];
      }))
    );
    env.step(learnerActions);
    file.episodes.forEach((ep, e) => {
      const step = ep.steps[t];
      if (task.prey !== null) {
        const kitPrey = env.actions.subarray((e * nA + task.prey) * d, (e * nA + task.prey + 1) * d);
        report.max_abs_prey_action_error = maxDiff(
          report.max_abs_prey_action_error!,
          kitPrey,
          step.actions[task.prey],
          "prey action",
        );
      }
      report.max_abs_reward_error = maxDiff(
        report.max_abs_reward_error,
        env.rewards.subarray(e * nA, (e + 1) * nA),
        step.rewards,
        "rewards",
      );
    });
    obsErr(t + 1);
  }
  file.episodes.forEach((ep, e) => {
    report.max_abs_score_error = Math.max(report.max_abs_score_error, Math.abs(env.scores[e] - ep.score));
  });
  return report;
}

/** True when every error of `report` is at most `tol`. */
export function replayWithin(report: ReplayReport, tol: number): boolean {
  return [
    report.max_abs_obs_error,
    report.max_abs_reward_error,
    report.max_abs_score_error,
    report.max_abs_prey_action_error ?? 0,
    report.max_abs_seed_reset_error,
  ].every((x) => x <= tol);
}
