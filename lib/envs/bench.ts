/**
 * Environment throughput measurement used by `deno task bench env` and tests: env steps per second for
 * the single-env form (plain arrays in and out, one world) and the vectorized form.
 *
 * @module
 */
import { parseNumber } from "../util/numbers.ts";
import { Rng } from "../util/rng.ts";
import type { Float64Policy } from "./frozen_policy.ts";
import type { ParticleTask } from "./task.ts";
import { ParticleEnv, ParticleVecEnv } from "./vec_env.ts";

/** Options of {@link benchEnv}. */
export interface BenchEnvOptions {
  /** Worlds in the vectorized form. Default 1000. */
  numEnvs?: number;
  /** Minimum seconds per measurement. Default 1. */
  seconds?: number;
  /** The frozen prey; when absent for a task with a prey, the prey gets random actions too. */
  prey?: Float64Policy | null;
}

/** Env steps per second of one task. */
export interface BenchEnvResult {
  /** Task id. */
  task: string;
  /** Single-env form, env steps/s. */
  single: number;
  /** Vectorized form, env steps/s. */
  vectorized: number;
  /** Worlds in the vectorized form. */
  numEnvs: number;
  /** Whether the prey acted by its network (true) or was given actions (false). */
  preyNetwork: boolean;
}

/**
 * Measures env steps/s of `task` with random actions (drawn before timing), single and vectorized.
 * `numEnvs` must be a positive integer and `seconds` a positive number (a `KitInputError` otherwise).
 */
export function benchEnv(task: ParticleTask, options: BenchEnvOptions = {}): BenchEnvResult {
  const E = parseNumber("benchEnv: numEnvs", options.numEnvs ?? 1000, { integer: true, min: 1 });
  const seconds = parseNumber("benchEnv: seconds", options.seconds ?? 1, { above: 0 });
  const prey = task.prey === null ? null : options.prey ?? null;
  const actors = prey || task.prey === null ? task.learners.length : task.world.numAgents;
  const rng = Rng.fromSeed(0, "bench");
  const T = task.episodeLength;
  const pool = Array.from({ length: T }, () =>
    Array.from({ length: actors }, () => {
      const a = new Float64Array(E * task.actDim);
      rng.fillUniform(a, -1, 1);
      return a;
    }));
  const timeLoop = (episode: () => number) => {
    let steps = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) steps += episode();
    return steps / ((performance.now() - t0) / 1000);
  };
  const single = new ParticleEnv(task, { prey });
  const plain = pool.map((step) => step.map((a) => Array.from(a.subarray(0, task.actDim))));
  let seed = 0;
  const singleRate = timeLoop(() => {
    single.reset(seed++);
    for (let t = 0; t < T; t++) single.step(plain[t]);
    return T;
  });
  const vec = new ParticleVecEnv(task, E, { prey });
  const vecRate = timeLoop(() => {
    vec.reset(rng);
    for (let t = 0; t < T; t++) vec.step(pool[t]);
    return T * E;
  });
  return { task: task.name, single: singleRate, vectorized: vecRate, numEnvs: E, preyNetwork: prey !== null };
}
