/**
 * Predator-prey (`simple_tag`) as OMAR's code runs it: 3 predators (size 0.075, accel 3, max speed 1)
 * chase 1 prey (size 0.05, accel 4, max speed 1.3) around 2 obstacles (size 0.2); reward shaping on.
 * Predators share `−0.1 Σ_k min_prey ‖p_k − p_prey‖ + 10 · #{(prey, k) in contact}`; the frozen prey gets
 * `0.1 Σ_k ‖p − p_k‖ − 10 · #contacts − Σ_d bound(|p_d|)`. Observation: own velocity and position,
 * obstacles and other agents relative to self, and the prey's velocity (predators only): 16 / 14.
 * Score: `Σ_t r_0`.
 *
 * @module
 */
import type { UniformSource } from "../../util/rng.ts";
import { entity, entityDistance, type EntitySpec, type WorldSpec } from "./physics.ts";
import { boundPenalty, isCollision, type ParticleTask } from "../task.ts";

const NUM_PREDATORS = 3;
const PREY = 3;

/** The four agents of the tag-style tasks: 3 predators, then the prey of radius `preySize`. */
export function tagAgents(preySize: number): EntitySpec[] {
  return [
    ...Array.from(
      { length: NUM_PREDATORS },
      (_, i) => entity(`agent ${i}`, "agent", { size: 0.075, accel: 3.0, maxSpeed: 1.0, adversary: true }),
    ),
    entity(`agent ${PREY}`, "agent", { size: preySize, accel: 4.0, maxSpeed: 1.3 }),
  ];
}

/** Agents `U(−1,1)²`, then every landmark `U(−0.9,0.9)²`, in entity order. */
export function resetTagWorld(pos: Float64Array, off: number, numEntities: number, rng: UniformSource): void {
  for (let i = 0; i < numEntities; i++) {
    const b = i <= PREY ? 1 : 0.9;
    pos[off + 2 * i] = rng.uniformRange(-b, b);
    pos[off + 2 * i + 1] = rng.uniformRange(-b, b);
  }
}

/**
 * The predators' shared reward: `−0.1 Σ_k min_prey dist + bonus · #contacts` (the min over one prey is
 * its distance).
 */
export function predatorTeamReward(pos: Float64Array, off: number, world: WorldSpec, bonus: number): number {
  let r = 0;
  const ents = world.entities;
  for (let k = 0; k < NUM_PREDATORS; k++) r -= 0.1 * entityDistance(pos, off, 2, PREY, k);
  for (let k = 0; k < NUM_PREDATORS; k++) {
    if (isCollision(entityDistance(pos, off, 2, PREY, k), ents[PREY].size, ents[k].size)) r += bonus;
  }
  return r;
}

/** The prey's distance shaping and contact penalty: `0.1 Σ_k ‖p − p_k‖ − penalty · #contacts`. */
export function preyChaseReward(pos: Float64Array, off: number, world: WorldSpec, penalty: number): number {
  let r = 0;
  const ents = world.entities;
  for (let k = 0; k < NUM_PREDATORS; k++) r += 0.1 * entityDistance(pos, off, 2, PREY, k);
  for (let k = 0; k < NUM_PREDATORS; k++) {
    if (isCollision(entityDistance(pos, off, 2, k, PREY), ents[k].size, ents[PREY].size)) r -= penalty;
  }
  return r;
}

/** Writes `[v, p, landmarks − p, other agents − p, prey velocity (predators only)]`. */
export function tagObserveCore(
  pos: Float64Array,
  vel: Float64Array,
  off: number,
  agent: number,
  out: Float64Array,
  o: number,
  numEntities: number,
): number {
  const s = off + 2 * agent;
  out[o++] = vel[s], out[o++] = vel[s + 1], out[o++] = pos[s], out[o++] = pos[s + 1];
  for (let l = PREY + 1; l < numEntities; l++) {
    out[o++] = pos[off + 2 * l] - pos[s], out[o++] = pos[off + 2 * l + 1] - pos[s + 1];
  }
  for (let j = 0; j <= PREY; j++) {
    if (j === agent) continue;
    out[o++] = pos[off + 2 * j] - pos[s], out[o++] = pos[off + 2 * j + 1] - pos[s + 1];
  }
  if (agent !== PREY) out[o++] = vel[off + 2 * PREY], out[o++] = vel[off + 2 * PREY + 1];
  return o;
}

/** Builds OMAR's predator-prey task. */
export function predatorPrey(): ParticleTask {
  const world: WorldSpec = {
    dimP: 2,
    numAgents: 4,
    entities: [
      ...tagAgents(0.05),
      ...Array.from({ length: 2 }, (_, i) => entity(`landmark ${i}`, "obstacle", { size: 0.2 })),
    ],
  };
  const nE = world.entities.length;
  return {
    name: "predator_prey",
    world,
    learners: [0, 1, 2],
    prey: PREY,
    obsDims: [16, 16, 16, 14],
    actDim: 2,
    episodeLength: 25,
    scoreAggregation: "sum_agent0",
    reset: (pos, off, rng) => resetTagWorld(pos, off, nE, rng),
    observe(pos, vel, off, agent, out, o): void {
      tagObserveCore(pos, vel, off, agent, out, o, nE);
    },
    rewards(pos, _vel, off, out, o): void {
      const team = predatorTeamReward(pos, off, world, 10);
      for (let k = 0; k < NUM_PREDATORS; k++) out[o + k] = team;
      let r = preyChaseReward(pos, off, world, 10);
      const s = off + 2 * PREY;
      r -= boundPenalty(Math.abs(pos[s]));
      r -= boundPenalty(Math.abs(pos[s + 1]));
      out[o + PREY] = r;
    },
  };
}
