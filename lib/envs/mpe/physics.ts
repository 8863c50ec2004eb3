/**
 * The multi-agent particle world (MPE) physics exactly as OMAR's copy of the environments runs it
 * (the shariqiqbal2810 fork of openai/multiagent-particle-envs), over a batch of environments stored
 * structure-of-arrays. Arithmetic follows the original's operation order so trajectories agree with the
 * Python code to ~1e-15 (see tests/mpe_replay_test.ts).
 *
 * One step: action forces `F = (m·accel or m) · (a · (accel or 5))`, then soft contact forces over every
 * entity pair `a < b` (`100 · δ/‖δ‖ · k·softplus(−(‖δ‖ − r_a − r_b)/k)`, k = 1e-3), then for each movable
 * entity `v ← 0.75·v; v ← v + F·dt`, the speed cap, `p ← p + v·dt`.
 *
 * @module
 */

/** Physical constants of the MPE world (`core.py` World defaults). */
export const MPE_PHYSICS = {
  /** Integration step, seconds. */
  dt: 0.1,
  /** Velocity damping per step: `v ← v·(1 − damping)`. */
  damping: 0.25,
  /** Stiffness of the soft contact force. */
  contactForce: 100,
  /** Softness of the contact force (the softplus temperature). */
  contactMargin: 1e-3,
} as const;

/** What an entity is, as named in the conformance files. */
export type EntityKind = "agent" | "landmark" | "obstacle" | "food" | "forest";

/** Static properties of one entity (agents first, then landmarks, as `world.entities`). */
export interface EntitySpec {
  /** Name as in the original (`agent 0`, `landmark 0`, `food 1`, ...). */
  name: string;
  /** Role of the entity. */
  kind: EntityKind;
  /** Radius. */
  size: number;
  /** Whether the entity integrates forces (agents do, landmarks do not). */
  movable: boolean;
  /** Whether the entity takes part in contact forces. */
  collide: boolean;
  /** Action gain; `null` means the default sensitivity 5 and force gain 1. */
  accel: number | null;
  /** Speed cap; `null` means none. */
  maxSpeed: number | null;
  /** Predator (true) or not. */
  adversary: boolean;
}

/** Layout of a world: its entities (agents first) and the dimension of positions. */
export interface WorldSpec {
  /** 2 for the MPE tasks, 1 for the 1-D Spread example. */
  dimP: 1 | 2;
  /** All entities, agents first (indices 0..numAgents-1), then landmarks. */
  entities: readonly EntitySpec[];
  /** Number of agents (the first entities). */
  numAgents: number;
}

/** Positions and velocities of a batch of worlds. */
export interface WorldState {
  /** Number of environments in the batch. */
  numEnvs: number;
  /** Positions `[numEnvs, numEntities, dimP]`. */
  pos: Float64Array;
  /** Velocities `[numEnvs, numEntities, dimP]` (landmarks stay 0). */
  vel: Float64Array;
}

/** Allocates a zeroed state for `numEnvs` worlds of `spec`. */
export function allocWorldState(spec: WorldSpec, numEnvs: number): WorldState {
  const n = numEnvs * spec.entities.length * spec.dimP;
  return { numEnvs, pos: new Float64Array(n), vel: new Float64Array(n) };
}

/** `np.logaddexp(0, x)` with NumPy's branch structure. */
export function logAddExp0(x: number): number {
  if (x === 0) return Math.LN2;
  return -x > 0 ? Math.log1p(Math.exp(x)) : x + Math.log1p(Math.exp(-x));
}

/** Euclidean distance between entities `i` and `j` of the world at offset `off` (`np.sqrt(np.sum(np.square(δ)))`). */
export function entityDistance(pos: Float64Array, off: number, dimP: 1 | 2, i: number, j: number): number {
  if (dimP === 2) {
    const dx = pos[off + 2 * i] - pos[off + 2 * j];
    const dy = pos[off + 2 * i + 1] - pos[off + 2 * j + 1];
    return Math.sqrt(dx * dx + dy * dy);
  }
  const dx = pos[off + i] - pos[off + j];
  return Math.sqrt(dx * dx);
}

/**
 * Steps a batch of MPE worlds of one layout. Construct once per layout; {@link MpePhysics.step} advances
 * every world in a {@link WorldState} by one `dt` under the given actions.
 */
export class MpePhysics {
  /** The layout this stepper was built for. */
  readonly spec: WorldSpec;
  readonly #numEntities: number;
  readonly #dimP: 1 | 2;
  // Contact pairs (a < b, both collide, at least one movable), in the original loop order.
  readonly #pairA: Int32Array;
  readonly #pairB: Int32Array;
  readonly #pairDistMin: Float64Array;
  readonly #pairMovA: Uint8Array;
  readonly #pairMovB: Uint8Array;
  readonly #sens: Float64Array; // per agent: accel or 5
  readonly #gain: Float64Array; // per agent: mass·accel or mass
  readonly #movable: Uint8Array;
  readonly #maxSpeed: Float64Array; // NaN = no cap
  readonly #force: Float64Array; // scratch [numEntities, dimP]

  /** Precomputes the contact pairs and gains of `spec`. */
  constructor(spec: WorldSpec) {
    this.spec = spec;
    const ents = spec.entities;
    this.#numEntities = ents.length;
    this.#dimP = spec.dimP;
    const a: number[] = [], b: number[] = [], dm: number[] = [], ma: number[] = [], mb: number[] = [];
    for (let i = 0; i < ents.length; i++) {
      for (let j = i + 1; j < ents.length; j++) {
        if (!ents[i].collide || !ents[j].collide) continue;
        if (!ents[i].movable && !ents[j].movable) continue;
        a.push(i), b.push(j), dm.push(ents[i].size + ents[j].size);
        ma.push(ents[i].movable ? 1 : 0), mb.push(ents[j].movable ? 1 : 0);
      }
    }
    this.#pairA = Int32Array.from(a);
    this.#pairB = Int32Array.from(b);
    this.#pairDistMin = Float64Array.from(dm);
    this.#pairMovA = Uint8Array.from(ma);
    this.#pairMovB = Uint8Array.from(mb);
    this.#sens = Float64Array.from(ents.slice(0, spec.numAgents), (e) => e.accel ?? 5.0);
    this.#gain = Float64Array.from(
      ents.slice(0, spec.numAgents),
      (e) => (e.accel === null ? 1.0 : 1.0 * e.accel),
    );
    this.#movable = Uint8Array.from(ents, (e) => (e.movable ? 1 : 0));
    this.#maxSpeed = Float64Array.from(ents, (e) => e.maxSpeed ?? NaN);
    this.#force = new Float64Array(this.#numEntities * this.#dimP);
  }

  /**
   * Advances every world one step. `actions` is `[numEnvs, numAgents, dimP]`, already clipped to
   * [-1, 1] by the caller (the original env does not clip; its policies do).
   */
  step(state: WorldState, actions: Float64Array): void {
    const { pos, vel, numEnvs } = state;
    const nE = this.#numEntities, d = this.#dimP, nA = this.spec.numAgents;
    const force = this.#force;
    const { dt, damping, contactForce: cf, contactMargin: k } = MPE_PHYSICS;
    const keep = 1 - damping;
    const stride = nE * d;
    for (let e = 0; e < numEnvs; e++) {
      const off = e * stride;
      force.fill(0);
      // 1. action forces (every agent is movable in these tasks)
      const aOff = e * nA * d;
      for (let i = 0; i < nA; i++) {
        const g = this.#gain[i], s = this.#sens[i];
        for (let c = 0; c < d; c++) force[i * d + c] = g * (actions[aOff + i * d + c] * s);
      }
      // 2. contact forces, pairs in the original loop order
      for (let p = 0; p < this.#pairA.length; p++) {
        const ia = this.#pairA[p], ib = this.#pairB[p];
        const dist = entityDistance(pos, off, d, ia, ib);
        if (dist === 0) continue; // the original divides by zero here (NaN); coincident centres push nothing
        const x = -(dist - this.#pairDistMin[p]) / k;
        // exp(x) underflows to exactly 0 below −745.2, so the original's force is exactly 0: skip the work
        if (x < -745.2) continue;
        const pen = logAddExp0(x) * k;
        for (let c = 0; c < d; c++) {
          const f = ((cf * (pos[off + ia * d + c] - pos[off + ib * d + c])) / dist) * pen;
          if (this.#pairMovA[p]) force[ia * d + c] += f;
          if (this.#pairMovB[p]) force[ib * d + c] += -f;
        }
      }
      // 3. integrate
      for (let i = 0; i < nE; i++) {
        if (!this.#movable[i]) continue;
        const o = off + i * d;
        for (let c = 0; c < d; c++) {
          vel[o + c] = vel[o + c] * keep;
          vel[o + c] += force[i * d + c] * dt;
        }
        const cap = this.#maxSpeed[i];
        if (cap === cap && d === 2) {
          const speed = Math.sqrt(vel[o] * vel[o] + vel[o + 1] * vel[o + 1]);
          if (speed > cap) {
            vel[o] = (vel[o] / speed) * cap;
            vel[o + 1] = (vel[o + 1] / speed) * cap;
          }
        }
        for (let c = 0; c < d; c++) pos[o + c] += vel[o + c] * dt;
      }
    }
  }
}

/** Builds an entity with the MPE defaults (size 0.05, immovable landmark unless overridden). */
export function entity(name: string, kind: EntityKind, props: Partial<EntitySpec> = {}): EntitySpec {
  const isAgent = kind === "agent";
  return {
    name,
    kind,
    size: 0.05,
    movable: isAgent,
    collide: true,
    accel: null,
    maxSpeed: null,
    adversary: false,
    ...props,
  };
}
