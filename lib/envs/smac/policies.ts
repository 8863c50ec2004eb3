/**
 * Two reference policies for the SMAC-like tasks, acting from the observations and masks of a
 * {@link SmacVecEnv}: uniform random over the available actions, and a scripted focus fire.
 *
 * @module
 */
import type { Rng } from "../../util/rng.ts";
import type { SmacVecEnv } from "./env.ts";
import { UNIT_TYPES, type UnitTypeName } from "./units.ts";

function outputs(vec: SmacVecEnv, out?: Int32Array[]): Int32Array[] {
  return out ?? Array.from({ length: vec.task.numAgents }, () => new Int32Array(vec.numEnvs));
}

/** Each agent's action drawn uniformly from its available ones (`[numEnvs]` per agent; env-major draws). */
export function randomActions(vec: SmacVecEnv, rng: Rng, out?: Int32Array[]): Int32Array[] {
  const acts = outputs(vec, out), nA = vec.task.numAgents, n = vec.task.numActions, avail = vec.availActions;
  for (let e = 0; e < vec.numEnvs; e++) {
    for (let a = 0; a < nA; a++) {
      const off = (e * nA + a) * n;
      let count = 0;
      for (let k = 0; k < n; k++) count += avail[off + k];
      let pick = rng.int(count);
      for (let k = 0; k < n; k++) {
        if (avail[off + k] && pick-- === 0) {
          acts[a][e] = k;
          break;
        }
      }
    }
  }
  return acts;
}

/**
 * Scripted focus fire from each agent's own observation: attack the attackable enemy with the least
 * hit points plus shields left (absolute, from the fractions and the unit table by the type bits; the
 * lowest index on ties); with none attackable, step towards the closest visible enemy along the larger of
 * its offsets unless no visible agent is further along that way (the front waits for the rest, so the
 * team arrives together); otherwise stop and let the enemies come. Dead agents take the no-op.
 */
export function focusFireActions(vec: SmacVecEnv, out?: Int32Array[]): Int32Array[] {
  const acts = outputs(vec, out), task = vec.task, L = task.layout;
  const nA = task.numAgents, n = task.numActions, nE = task.numEnemies, d = L.obsDim;
  const typeOf = Object.entries(task.map.typeIds).sort((p, q) => p[1]! - q[1]!).map(([t]) =>
    UNIT_TYPES[t as UnitTypeName]
  );
  const single = UNIT_TYPES[task.map.enemies[0]];
  const shieldAt = L.enemyShields ? 5 : -1, typeAt = L.enemyShields ? 6 : 5;
  for (let e = 0; e < vec.numEnvs; e++) {
    for (let a = 0; a < nA; a++) {
      const off = (e * nA + a) * n, obs = vec.obs[a], o = e * d;
      if (vec.availActions[off]) {
        acts[a][e] = 0;
        continue;
      }
      let best = -1, bestHealth = Infinity, near = -1, nearDist = Infinity;
      for (let k = 0; k < nE; k++) {
        const f = o + L.enemyOffset + k * L.enemyFeatures;
        if (obs[f + 4] === 0) continue; // not visible (or dead)
        if (vec.availActions[off + 6 + k]) {
          let type = single;
          for (let b = 0; b < L.typeBits; b++) if (obs[f + typeAt + b] === 1) type = typeOf[b];
          const health = obs[f + 4] * type.hp + (shieldAt > 0 ? obs[f + shieldAt] * type.shield : 0);
          if (health < bestHealth) best = k, bestHealth = health;
        }
        if (obs[f + 1] < nearDist) near = k, nearDist = obs[f + 1];
      }
      if (best >= 0) {
        acts[a][e] = 6 + best;
        continue;
      }
      let act = 1;
      if (near >= 0) {
        const f = o + L.enemyOffset + near * L.enemyFeatures, dx = obs[f + 2], dy = obs[f + 3];
        let behind = false; // some visible agent is further along (by > 0.45) towards that enemy
        for (let j = 0; j < nA - 1 && !behind; j++) {
          const g = o + L.allyOffset + j * L.allyFeatures;
          if (obs[g] && obs[g + 2] * dx + obs[g + 3] * dy > 0.05) behind = true;
        }
        const move = Math.abs(dx) >= Math.abs(dy) ? (dx > 0 ? 4 : 5) : (dy > 0 ? 2 : 3);
        if (behind && vec.availActions[off + move]) act = move;
      }
      acts[a][e] = act;
    }
  }
  return acts;
}
