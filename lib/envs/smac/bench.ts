/**
 * Throughput of the SMAC-like tasks for `deno task bench env --task smac_…`: env steps per second of the
 * single-env form and of the vectorized form, under uniformly random available actions. Only the env's
 * own work is timed (stepping, observations, masks, state); drawing the random actions is not.
 *
 * @module
 */
import { parseNumber } from "../../util/numbers.ts";
import { Rng } from "../../util/rng.ts";
import type { SmacTask } from "./env.ts";
import { randomActions } from "./policies.ts";

/** Options of {@link benchSmac}. */
export interface BenchSmacOptions {
  /** Battles in the vectorized form. Default 100. */
  numEnvs?: number;
  /** Minimum seconds of env time per measurement. Default 1. */
  seconds?: number;
}

/** Env steps per second of one SMAC task (the shape of `deno task bench env`'s rows). */
export interface BenchSmacResult {
  /** Task id. */
  task: string;
  /** Single-env form (`SmacEnv`, plain arrays), env steps/s. */
  single: number;
  /** Vectorized form, env steps/s. */
  vectorized: number;
  /** Battles in the vectorized form. */
  numEnvs: number;
  /** Always false (no prey). */
  preyNetwork: false;
}

/**
 * Env steps per second of `task`, single and vectorized (every battle running: finished ones restart).
 * `numEnvs` must be a positive integer and `seconds` a positive number (a `KitInputError` otherwise).
 */
export function benchSmac(task: SmacTask, options: BenchSmacOptions = {}): BenchSmacResult {
  const E = parseNumber("benchSmac: numEnvs", options.numEnvs ?? 100, { integer: true, min: 1 });
  const seconds = parseNumber("benchSmac: seconds", options.seconds ?? 1, { above: 0 });
  const rng = Rng.fromSeed(0, "bench");
  let episode = 0;
  // single env, plain arrays in and out (SmacEnv)
  const env = task.makeEnv();
  let singleSeconds = 0, singleSteps = 0;
  while (singleSeconds < seconds) {
    let avail = (env.reset(episode++), env.availActions()), done = false;
    while (!done) {
      const actions = avail.map((row) => {
        const ok = row.flatMap((v, k) => (v ? [k] : []));
        return ok[rng.int(ok.length)];
      });
      const t0 = performance.now();
      const r = env.step(actions);
      singleSeconds += (performance.now() - t0) / 1000;
      singleSteps++, avail = r.availActions, done = r.done;
    }
  }
  // vectorized: a finished battle starts its next episode at once, so every battle keeps running
  const vec = task.makeVecEnv(E);
  const acts = Array.from({ length: task.numAgents }, () => new Int32Array(E));
  vec.reset(Rng.fromSeed(episode++, "bench"));
  let vecSeconds = 0, vecSteps = 0;
  while (vecSeconds < seconds) {
    randomActions(vec, rng, acts);
    const t0 = performance.now();
    vec.step(acts);
    for (let e = 0; e < E; e++) if (vec.outcomes[e] !== 0) vec.resetEnv(e, rng);
    vecSeconds += (performance.now() - t0) / 1000;
    vecSteps += E;
  }
  return {
    task: task.name,
    single: singleSteps / singleSeconds,
    vectorized: vecSteps / vecSeconds,
    numEnvs: E,
    preyNetwork: false,
  };
}
