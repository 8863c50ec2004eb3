/**
 * Vectorized evaluation: roll a joint policy out for K episodes with the task's score aggregation.
 * Episode k always starts from the stream `(seed, "eval-episode-k")`, so scores do not depend on how
 * many environments run side by side. On the particle tasks the episodes can instead be the authors'
 * own (`episodeSource: "numpy"`): main.py's `eval_policy` seeds NumPy's global generator and resets its
 * episodes one after another from it, and the kit's environments draw their resets from the same
 * NumPy stream ({@link NumpyRandomState}), episode for episode.
 *
 * @module
 */
import { NumpyRandomState, Rng } from "../util/rng.ts";
import { KitInputError } from "../util/errors.ts";
import { parseNumber } from "../util/numbers.ts";
import type { Float64Policy } from "../envs/frozen_policy.ts";
import type { JointPolicy } from "../envs/policy.ts";
import { type AnyTask, asEnvTask } from "../envs/env_task.ts";
import { ParticleVecEnv } from "../envs/vec_env.ts";

/** Where evaluation episodes start: the kit's per-episode streams, or the authors' NumPy stream. */
export type EpisodeSource = "kit" | "numpy";

/** The episode sources, for validation and help texts. */
export const EPISODE_SOURCES: readonly EpisodeSource[] = ["kit", "numpy"];

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Number of episodes. Default 10 (the authors' evaluation). */
  episodes?: number;
  /** Seed of the episodes' initial states. Default 0. */
  seed?: number;
  /** Environments stepped side by side. Default min(episodes, 1000). */
  numEnvs?: number;
  /** The frozen prey (tasks with a prey). */
  prey?: Float64Policy | null;
  /**
   * `kit` (default): episode k starts from the stream `(seed, "eval-episode-k")`. `numpy` (particle
   * tasks): the authors' episodes — NumPy's legacy generator seeded with `seed` (an integer in [0, 2^32);
   * main.py seeds it with the training seed + 100 at every evaluation), the episodes reset one after
   * another from that one stream, as `eval_policy` does.
   */
  episodeSource?: EpisodeSource;
}

/** Scores of an evaluation. */
export interface EvaluationResult {
  /** Score of each episode, in episode order. */
  scores: Float64Array;
  /** Mean score. */
  mean: number;
  /** Standard deviation over episodes (population, as NumPy's default). */
  std: number;
  /** Standard error of the mean. */
  stderr: number;
}

/** Mean, population standard deviation and standard error of `xs`. */
export function summarize(xs: ArrayLike<number>): { mean: number; std: number; stderr: number } {
  const n = xs.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += xs[i];
  const mean = s / n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (xs[i] - mean) ** 2;
  const std = Math.sqrt(v / n);
  return { mean, std, stderr: std / Math.sqrt(n) };
}

/**
 * Rolls `policy` out for `episodes` full episodes of `task` (particle or MuJoCo) and returns their scores.
 * `episodes` and `numEnvs` must be positive integers and `seed` a non-negative one (a
 * `KitInputError` naming the option otherwise).
 */
export function evaluate(
  anyTask: AnyTask,
  policy: JointPolicy,
  options: EvaluateOptions = {},
): EvaluationResult {
  const task = asEnvTask(anyTask);
  const count = (what: string, v: number | undefined, fallback: number, min = 1) =>
    v === undefined ? fallback : parseNumber(`evaluate: ${what}`, v, { integer: true, min });
  const episodes = count("episodes", options.episodes, 10);
  const seed = count("seed", options.seed, 0, 0);
  const numEnvs = Math.min(count("numEnvs", options.numEnvs, 1000), episodes);
  const source = options.episodeSource ?? "kit";
  if (!EPISODE_SOURCES.includes(source)) {
    throw new KitInputError(
      `unknown episode source "${source}"; expected one of: ${EPISODE_SOURCES.join(", ")}`,
    );
  }
  let numpy: { env: ParticleVecEnv; stream: NumpyRandomState } | null = null;
  if (source === "numpy") {
    if (!("world" in anyTask)) {
      throw new KitInputError(
        `episode source "numpy" (the authors' particle-task evaluation episodes) needs a particle task; ${task.name} is not one`,
      );
    }
    if (seed > 0xffffffff) {
      throw new KitInputError(`episode source "numpy" needs an integer seed in [0, 2^32), got ${seed}`);
    }
    numpy = {
      env: new ParticleVecEnv(anyTask, numEnvs, { prey: options.prey }),
      stream: new NumpyRandomState(seed),
    };
  }
  const env = numpy?.env ?? task.makeVecEnv(numEnvs, { prey: options.prey });
  try {
    const obs = task.learners.map((i) => new Float32Array(numEnvs * task.obsDims[i]));
    const act = task.learners.map(() => new Float32Array(numEnvs * task.actDim));
    const scores = new Float64Array(episodes);
    for (let start = 0; start < episodes; start += numEnvs) {
      const n = Math.min(numEnvs, episodes - start);
      // the authors' episodes: one stream, env 0 first, continued from batch to batch (the env's steps
      // draw nothing from it, so this is main.py's sequence of resets)
      if (numpy) numpy.env.reset(numpy.stream);
      else {
        env.reset(
          Array.from(
            { length: numEnvs },
            (_, e) => Rng.fromSeed(seed, `eval-episode-${start + Math.min(e, n - 1)}`),
          ),
        );
      }
      for (let t = 0; t < task.episodeLength; t++) {
        task.learners.forEach((agent, k) => obs[k].set(env.obs[agent]));
        policy.act(obs, act);
        env.step(act);
      }
      scores.set(env.scores.subarray(0, n), start);
    }
    return { scores, ...summarize(scores) };
  } finally {
    env.dispose();
  }
}
