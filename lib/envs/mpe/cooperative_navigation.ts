/**
 * Cooperative navigation (`simple_spread`) as OMAR's code runs it: N agents (size 0.15) cover N
 * landmarks. Reward of agent i (OMAR's modification): `Σ_l min(1 / min_j ‖p_j − p_l‖, 10) − 5 · #{j ≠ i
 * colliding with i}`. Observation (4 + 2N + 4(N−1) = 18 for N = 3): own velocity and position, landmark
 * positions relative to self, other agents relative to self, and the other agents' (always zero)
 * communication. Score: `Σ_t mean_i r_i`.
 *
 * @module
 */
import type { UniformSource } from "../../util/rng.ts";
import { entity, entityDistance, type WorldSpec } from "./physics.ts";
import type { ParticleTask } from "../task.ts";

/** Builds cooperative navigation with `numAgents` agents and as many landmarks (default 3). */
export function cooperativeNavigation(numAgents = 3): ParticleTask {
  if (!Number.isInteger(numAgents) || numAgents < 1 || numAgents > 10) {
    throw new RangeError(`cooperative navigation supports 1..10 agents, got ${numAgents}`);
  }
  const n = numAgents;
  const world: WorldSpec = {
    dimP: 2,
    numAgents: n,
    entities: [
      ...Array.from({ length: n }, (_, i) => entity(`agent ${i}`, "agent", { size: 0.15 })),
      ...Array.from({ length: n }, (_, i) => entity(`landmark ${i}`, "landmark", { collide: false })),
    ],
  };
  const boundary = n <= 3 ? 1 : 2;
  const obsDim = 4 + 2 * n + 4 * (n - 1);
  return {
    name: n === 3 ? "cooperative_navigation" : `cooperative_navigation_n${n}`,
    world,
    learners: Array.from({ length: n }, (_, i) => i),
    prey: null,
    obsDims: Array(n).fill(obsDim),
    actDim: 2,
    episodeLength: 25,
    scoreAggregation: "sum_mean_learners",
    reset(pos: Float64Array, off: number, rng: UniformSource): void {
      for (let i = 0; i < 2 * n; i++) {
        pos[off + 2 * i] = rng.uniformRange(-boundary, boundary);
        pos[off + 2 * i + 1] = rng.uniformRange(-boundary, boundary);
      }
    },
    observe(pos, vel, off, agent, out, o): void {
      const s = off + 2 * agent;
      out[o++] = vel[s], out[o++] = vel[s + 1], out[o++] = pos[s], out[o++] = pos[s + 1];
      for (let l = n; l < 2 * n; l++) {
        out[o++] = pos[off + 2 * l] - pos[s], out[o++] = pos[off + 2 * l + 1] - pos[s + 1];
      }
      for (let j = 0; j < n; j++) {
        if (j === agent) continue;
        out[o++] = pos[off + 2 * j] - pos[s], out[o++] = pos[off + 2 * j + 1] - pos[s + 1];
      }
      for (let j = 0; j < 2 * (n - 1); j++) out[o++] = 0; // silent agents: comm state is zero
    },
    rewards(pos, _vel, off, out, o): void {
      let cover = 0;
      for (let l = n; l < 2 * n; l++) {
        let minDist = Infinity;
        for (let j = 0; j < n; j++) minDist = Math.min(minDist, entityDistance(pos, off, 2, j, l));
        cover += Math.min(1 / minDist, 10);
      }
      for (let i = 0; i < n; i++) {
        let r = cover;
        for (let j = 0; j < n; j++) {
          if (j !== i && entityDistance(pos, off, 2, j, i) < 0.3) r -= 5;
        }
        out[o + i] = r;
      }
    },
  };
}
