/**
 * "World" as OMAR's code runs it (`simple_world`, not stock `simple_world_comm`): 3 predators (size
 * 0.075) and 1 prey (size 0.045), an obstacle (0.2), 2 food (0.03) and 2 forests (0.3). Predators share
 * `−0.1 Σ_k min dist + 5 · #contacts`; the frozen prey gets `0.1 Σ_k dist − 5 · #contacts − 2 Σ_d
 * bound(|p_d|) + 2 · #food eaten + 0.05 · min_f ‖p − p_f‖` (the last sign is the original's quirk).
 * Observation: own velocity and position, the 5 landmarks and 3 other agents relative to self, the prey's
 * velocity (predators only), and ±1 in-forest flags: 24 / 22. Score: `Σ_t r_0`.
 *
 * @module
 */
import { entity, entityDistance, type WorldSpec } from "./physics.ts";
import { boundPenalty, isCollision, type ParticleTask } from "../task.ts";
import {
  predatorTeamReward,
  preyChaseReward,
  resetTagWorld,
  tagAgents,
  tagObserveCore,
} from "./predator_prey.ts";

const PREY = 3;
const FOOD = [5, 6];
const FORESTS = [7, 8];

/** Builds OMAR's world task. */
export function worldTask(): ParticleTask {
  const world: WorldSpec = {
    dimP: 2,
    numAgents: 4,
    entities: [
      ...tagAgents(0.045),
      entity("landmark 0", "obstacle", { size: 0.2 }),
      ...Array.from({ length: 2 }, (_, i) => entity(`food ${i}`, "food", { size: 0.03, collide: false })),
      ...Array.from({ length: 2 }, (_, i) => entity(`forest ${i}`, "forest", { size: 0.3, collide: false })),
    ],
  };
  const ents = world.entities;
  const nE = ents.length;
  return {
    name: "world",
    world,
    learners: [0, 1, 2],
    prey: PREY,
    obsDims: [24, 24, 24, 22],
    actDim: 2,
    episodeLength: 25,
    scoreAggregation: "sum_agent0",
    reset(pos, off, rng): void {
      resetTagWorld(pos, off, nE, rng);
      // the original then draws food and forests again
      for (const i of [...FOOD, ...FORESTS]) {
        pos[off + 2 * i] = rng.uniformRange(-0.9, 0.9);
        pos[off + 2 * i + 1] = rng.uniformRange(-0.9, 0.9);
      }
    },
    observe(pos, vel, off, agent, out, o): void {
      o = tagObserveCore(pos, vel, off, agent, out, o, nE);
      for (const f of FORESTS) {
        out[o++] = isCollision(entityDistance(pos, off, 2, agent, f), ents[agent].size, ents[f].size)
          ? 1
          : -1;
      }
    },
    rewards(pos, _vel, off, out, o): void {
      const team = predatorTeamReward(pos, off, world, 5);
      for (let k = 0; k < PREY; k++) out[o + k] = team;
      let r = preyChaseReward(pos, off, world, 5);
      const s = off + 2 * PREY;
      r -= 2 * boundPenalty(Math.abs(pos[s]));
      r -= 2 * boundPenalty(Math.abs(pos[s + 1]));
      let nearest = Infinity;
      for (const f of FOOD) {
        const d = entityDistance(pos, off, 2, PREY, f);
        if (isCollision(d, ents[PREY].size, ents[f].size)) r += 2;
        nearest = Math.min(nearest, d);
      }
      out[o + PREY] = r + 0.05 * nearest;
    },
  };
}
