/**
 * The 1-D Spread task of the paper's motivating example (Section 3.1, Fig. 1–3) and its
 * non-cooperative variant (Appendix A.2). Not in OMAR's released code: this follows the kit's spec
 * (shared/spec/environments.md §3), derived from `simple_spread` with positions on a line.
 *
 * n agents (size 0.15) and n landmarks on a line; action a ∈ [−1, 1], force 5a, MPE physics with
 * `dimP = 1`. Observation of agent i (2n + 1): `[v_i, x_i, (x_l − x_i)_l, (x_j − x_i)_{j≠i}]`.
 * Cooperative reward: `Σ_l min(1 / min_j |x_j − x_l|, 10) − 5 · #{j ≠ i : |x_i − x_j| < 0.3}`.
 * Independent reward: `min(1 / |x_i − x_{l_i}|, 10)` with landmark `l_i = i` as agent i's own target.
 * Score: `Σ_t mean_i r_i` (the average of the agents' returns).
 *
 * @module
 */
import type { UniformSource } from "../util/rng.ts";
import { entity, type WorldSpec } from "./mpe/physics.ts";
import type { ParticleTask } from "./task.ts";

/** Options of {@link spread1d}. */
export interface Spread1dOptions {
  /** Number of agents and landmarks, 1..5 in the paper. Default 2. */
  numAgents?: number;
  /** Cooperative reward (true, Section 3.1) or the independent variant of Appendix A.2. Default true. */
  cooperative?: boolean;
  /**
   * Whether agents push each other apart (MPE contact forces). The paper does not say for the
   * independent variant; the kit keeps them on by default in both variants.
   */
  contactForces?: boolean;
}

/** Builds the 1-D Spread task. */
export function spread1d(options: Spread1dOptions = {}): ParticleTask {
  const n = options.numAgents ?? 2;
  const cooperative = options.cooperative ?? true;
  const contact = options.contactForces ?? true;
  if (!Number.isInteger(n) || n < 1 || n > 10) {
    throw new RangeError(`spread_1d supports 1..10 agents, got ${n}`);
  }
  const world: WorldSpec = {
    dimP: 1,
    numAgents: n,
    entities: [
      ...Array.from({ length: n }, (_, i) => entity(`agent ${i}`, "agent", { size: 0.15, collide: contact })),
      ...Array.from({ length: n }, (_, i) => entity(`landmark ${i}`, "landmark", { collide: false })),
    ],
  };
  const boundary = n <= 3 ? 1 : 2;
  return {
    name: spread1dName(n, cooperative) + (contact ? "" : "_nocontact"),
    world,
    learners: Array.from({ length: n }, (_, i) => i),
    prey: null,
    obsDims: Array(n).fill(2 * n + 1),
    actDim: 1,
    episodeLength: 25,
    scoreAggregation: "sum_mean_learners",
    reset(pos: Float64Array, off: number, rng: UniformSource): void {
      for (let i = 0; i < 2 * n; i++) pos[off + i] = rng.uniformRange(-boundary, boundary);
    },
    observe(pos, vel, off, agent, out, o): void {
      const x = pos[off + agent];
      out[o++] = vel[off + agent], out[o++] = x;
      for (let l = n; l < 2 * n; l++) out[o++] = pos[off + l] - x;
      for (let j = 0; j < n; j++) if (j !== agent) out[o++] = pos[off + j] - x;
    },
    rewards(pos, _vel, off, out, o): void {
      if (!cooperative) {
        for (let i = 0; i < n; i++) out[o + i] = Math.min(1 / Math.abs(pos[off + i] - pos[off + n + i]), 10);
        return;
      }
      let cover = 0;
      for (let l = n; l < 2 * n; l++) {
        let minDist = Infinity;
        for (let j = 0; j < n; j++) minDist = Math.min(minDist, Math.abs(pos[off + j] - pos[off + l]));
        cover += Math.min(1 / minDist, 10);
      }
      for (let i = 0; i < n; i++) {
        let r = cover;
        for (let j = 0; j < n; j++) if (j !== i && Math.abs(pos[off + j] - pos[off + i]) < 0.3) r -= 5;
        out[o + i] = r;
      }
    },
  };
}

/** The task id of a 1-D Spread variant: `spread_1d_n2`, `spread_1d_independent_n3`, ... */
export function spread1dName(numAgents: number, cooperative: boolean): string {
  return `spread_1d${cooperative ? "" : "_independent"}_n${numAgents}`;
}
