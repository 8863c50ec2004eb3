/**
 * The contract every particle task fulfils: a world layout, how to draw an initial state, and the
 * observations and rewards on the post-step state. Functions read one world of a batch at offset
 * `off = env · numEntities · dimP` of the structure-of-arrays state.
 *
 * @module
 */
import type { UniformSource } from "../util/rng.ts";
import type { WorldSpec } from "./mpe/physics.ts";

/** How an episode's score is aggregated from per-step rewards. */
export type ScoreAggregation =
  /** `Σ_t mean_i r_i(t)` over the learner agents (cooperative navigation, 1-D Spread). */
  | "sum_mean_learners"
  /** `Σ_t r_0(t)`: predator 0's team reward (predator-prey, world). */
  | "sum_agent0";

/** What every task shows the training and data code, particle or MuJoCo: the agents' shapes. */
export interface TaskShape {
  /** Task id, e.g. `cooperative_navigation`, `spread_1d_n2` or `halfcheetah_2x3`. */
  readonly name: string;
  /** Agents trained by the algorithms (env order). */
  readonly learners: readonly number[];
  /** The frozen, pre-trained agent (the prey), or `null` when every agent learns. */
  readonly prey: number | null;
  /** Observation size of every agent (env order, prey included). */
  readonly obsDims: readonly number[];
  /** Action size of every agent (particle tasks: `world.dimP`). */
  readonly actDim: number;
  /** Steps per episode; nothing terminates earlier. */
  readonly episodeLength: number;
}

/** A particle task: layout, reset distribution, observations, rewards and score. */
export interface ParticleTask extends TaskShape {
  /** Entities and dimension. */
  readonly world: WorldSpec;
  /** How {@link ParticleTask.scoreIncrement} aggregates. */
  readonly scoreAggregation: ScoreAggregation;
  /** Writes a fresh initial position for every entity of one world, drawing in the original's order. */
  reset(pos: Float64Array, off: number, rng: UniformSource): void;
  /** Writes agent `agent`'s observation of the world at `off` into `out` from `outOff`. */
  observe(
    pos: Float64Array,
    vel: Float64Array,
    off: number,
    agent: number,
    out: Float64Array,
    outOff: number,
  ): void;
  /** Writes every agent's reward for the world at `off` into `out[outOff + agent]`. */
  rewards(pos: Float64Array, vel: Float64Array, off: number, out: Float64Array, outOff: number): void;
}

/** One step's contribution to the episode score, from the agents' rewards at `rewards[off + agent]`. */
export function scoreIncrement(task: ParticleTask, rewards: Float64Array, off: number): number {
  if (task.scoreAggregation === "sum_agent0") return rewards[off];
  let s = 0;
  for (const i of task.learners) s += rewards[off + i];
  return s / task.learners.length;
}

/** `is_collision`: strict `‖p_i − p_j‖ < r_i + r_j`. */
export function isCollision(dist: number, sizeI: number, sizeJ: number): boolean {
  return dist < sizeI + sizeJ;
}

/** The boundary penalty of predator-prey and world prey rewards. */
export function boundPenalty(x: number): number {
  if (x < 0.9) return 0;
  if (x < 1.0) return (x - 0.9) * 10;
  return Math.min(Math.exp(2 * x - 2), 10);
}
