/**
 * Many particle environments stepped at once on typed arrays (structure-of-arrays). This is the kit's
 * only stepping code path: {@link ParticleEnv} is a batch of one with a friendlier interface, so the
 * single and vectorized forms cannot drift apart.
 *
 * @module
 */
import { KitInputError } from "../util/errors.ts";
import { NumpyRandomState, Rng, type UniformSource } from "../util/rng.ts";
import { allocWorldState, MpePhysics, type WorldState } from "./mpe/physics.ts";
import type { Float64Policy } from "./frozen_policy.ts";
import { type ParticleTask, scoreIncrement } from "./task.ts";
import type { VecEnv } from "./env_task.ts";

/** An explicit state of one world: positions and velocities of every entity, in entity order. */
export interface EnvState {
  /** `[numEntities][dimP]` positions. */
  pos: number[][];
  /** `[numEntities][dimP]` velocities (landmarks 0). */
  vel: number[][];
}

/** Options of {@link ParticleVecEnv}. */
export interface VecEnvOptions {
  /** The frozen prey, needed when the task has one and `step` gets the learners' actions only. */
  prey?: Float64Policy | null;
}

/** A batch of `numEnvs` worlds of one task, stepped in lockstep (episodes all have the same length). */
export class ParticleVecEnv implements VecEnv {
  /** The task. */
  readonly task: ParticleTask;
  /** Number of worlds. */
  readonly numEnvs: number;
  /** Positions and velocities of all worlds. */
  readonly state: WorldState;
  /** Per agent (env order, prey included): observations `[numEnvs, obsDim_i]` on the current state. */
  readonly obs: Float64Array[];
  /** Rewards of the last step, `[numEnvs, numAgents]`. */
  readonly rewards: Float64Array;
  /** Episode scores so far, `[numEnvs]` (the task's aggregation). */
  readonly scores: Float64Array;
  /** Actions applied in the last step, clipped, prey included: `[numEnvs, numAgents, actDim]`. */
  readonly actions: Float64Array;
  /** Steps taken since the last reset. */
  t = 0;
  readonly #physics: MpePhysics;
  readonly #prey: Float64Policy | null;
  readonly #stride: number;
  #preyAct: Float64Array;

  /** Allocates `numEnvs` worlds of `task`; call a reset before stepping. */
  constructor(task: ParticleTask, numEnvs: number, options: VecEnvOptions = {}) {
    if (!Number.isInteger(numEnvs) || numEnvs < 1) {
      throw new RangeError(`numEnvs must be ≥ 1, got ${numEnvs}`);
    }
    this.task = task;
    this.numEnvs = numEnvs;
    this.#physics = new MpePhysics(task.world);
    this.state = allocWorldState(task.world, numEnvs);
    this.#stride = task.world.entities.length * task.world.dimP;
    this.obs = task.obsDims.map((d) => new Float64Array(numEnvs * d));
    this.rewards = new Float64Array(numEnvs * task.world.numAgents);
    this.scores = new Float64Array(numEnvs);
    this.actions = new Float64Array(numEnvs * task.world.numAgents * task.actDim);
    this.#prey = options.prey ?? null;
    this.#preyAct = new Float64Array(numEnvs * task.actDim);
  }

  /**
   * Draws fresh initial states: one stream for the whole batch (world 0 first), or one stream per
   * world. Velocities start at 0.
   */
  reset(source: UniformSource | readonly UniformSource[]): void {
    const { pos, vel } = this.state;
    vel.fill(0);
    for (let e = 0; e < this.numEnvs; e++) {
      const rng = Array.isArray(source) ? (source as readonly UniformSource[])[e] : source as UniformSource;
      this.task.reset(pos, e * this.#stride, rng);
    }
    this.#afterReset();
  }

  /** Starts every world from an explicit state (one per world). */
  resetFromStates(states: readonly EnvState[]): void {
    if (states.length !== this.numEnvs) {
      throw new KitInputError(`resetFromStates: expected ${this.numEnvs} states, got ${states.length}`);
    }
    const { dimP, entities } = this.task.world;
    states.forEach((s, e) => {
      if (s.pos.length !== entities.length || s.vel.length !== entities.length) {
        throw new KitInputError(
          `state ${e}: expected pos and vel for ${entities.length} entities, got ${s.pos.length} and ${s.vel.length}`,
        );
      }
      for (let i = 0; i < entities.length; i++) {
        for (let c = 0; c < dimP; c++) {
          const p = s.pos[i]?.[c], v = s.vel[i]?.[c];
          if (!Number.isFinite(p) || !Number.isFinite(v)) {
            throw new KitInputError(
              `state ${e}: entity ${i} (${entities[i].name}) needs ${dimP} finite coordinates`,
            );
          }
          this.state.pos[e * this.#stride + i * dimP + c] = p;
          this.state.vel[e * this.#stride + i * dimP + c] = v;
        }
      }
    });
    this.#afterReset();
  }

  /** Positions, velocities, clock and scores of every world (doubles round-trip exactly through JSON). */
  saveState(): Record<string, unknown> {
    return {
      pos: Array.from(this.state.pos),
      vel: Array.from(this.state.vel),
      t: this.t,
      scores: Array.from(this.scores),
    };
  }

  /** Restores {@link ParticleVecEnv.saveState}'s output (observations recomputed, rewards cleared). */
  loadState(state: Record<string, unknown>): void {
    const { pos, vel, t, scores } = state as { pos: number[]; vel: number[]; t: number; scores: number[] };
    if (pos?.length !== this.state.pos.length || vel?.length !== this.state.vel.length) {
      throw new KitInputError(`loadState: expected ${this.state.pos.length} positions and velocities`);
    }
    this.state.pos.set(pos), this.state.vel.set(vel);
    this.#afterReset();
    this.t = t, this.scores.set(scores);
  }

  /** Nothing to free (the interface's `dispose`). */
  dispose(): void {}

  /** The state of world `e` as plain arrays. */
  getState(e: number): EnvState {
    const { dimP, entities } = this.task.world;
    const off = e * this.#stride;
    const part = (a: Float64Array) =>
      entities.map((_, i) => Array.from(a.subarray(off + i * dimP, off + (i + 1) * dimP)));
    return { pos: part(this.state.pos), vel: part(this.state.vel) };
  }

  /**
   * Advances every world one step. `actions` holds `[numEnvs, actDim]` per learner (the prey then acts
   * from its own observation by the frozen policy), or per agent in env order (prey included). Actions
   * are clipped to [−1, 1]; a NaN is an error.
   */
  step(actions: readonly (Float32Array | Float64Array)[]): void {
    const task = this.task, nA = task.world.numAgents, d = task.actDim, E = this.numEnvs;
    const all = actions.length === nA;
    if (!all && actions.length !== task.learners.length) {
      throw new KitInputError(
        `step: expected actions for ${task.learners.length} learners or all ${nA} agents, got ${actions.length}`,
      );
    }
    const writeAgent = (agent: number, src: Float32Array | Float64Array) => {
      if (src.length !== E * d) {
        throw new KitInputError(
          `step: agent ${agent} actions must be [${E}, ${d}] (${E * d} values), got ${src.length}`,
        );
      }
      for (let e = 0; e < E; e++) {
        for (let c = 0; c < d; c++) {
          const a = src[e * d + c];
          if (a !== a) throw new KitInputError(`step: agent ${agent} action is NaN in env ${e}`);
          this.actions[(e * nA + agent) * d + c] = a > 1 ? 1 : a < -1 ? -1 : a;
        }
      }
    };
    if (all) actions.forEach((a, i) => writeAgent(i, a));
    else {
      task.learners.forEach((agent, k) => writeAgent(agent, actions[k]));
      if (task.prey !== null) {
        if (!this.#prey) {
          throw new KitInputError(`step: task ${task.name} needs a prey policy or the prey's actions`);
        }
        this.#prey.act(this.obs[task.prey], this.#preyAct, E);
        writeAgent(task.prey, this.#preyAct);
      }
    }
    this.#physics.step(this.state, this.actions);
    this.#observe();
    const { pos, vel } = this.state;
    for (let e = 0; e < E; e++) {
      task.rewards(pos, vel, e * this.#stride, this.rewards, e * nA);
      this.scores[e] += scoreIncrement(task, this.rewards, e * nA);
    }
    this.t++;
  }

  #afterReset(): void {
    this.scores.fill(0);
    this.rewards.fill(0);
    this.t = 0;
    this.#observe();
  }

  #observe(): void {
    const { pos, vel } = this.state;
    const dims = this.task.obsDims;
    for (let i = 0; i < dims.length; i++) {
      const out = this.obs[i], d = dims[i];
      for (let e = 0; e < this.numEnvs; e++) this.task.observe(pos, vel, e * this.#stride, i, out, e * d);
    }
  }
}

/** Result of {@link ParticleEnv.step}. */
export interface StepResult {
  /** Observations per agent (env order). */
  obs: number[][];
  /** Rewards per agent. */
  rewards: number[];
  /** This step's contribution to the score. */
  scoreIncrement: number;
  /** True once the episode has run `episodeLength` steps (a truncation; nothing terminates). */
  truncated: boolean;
}

/** Options of {@link ParticleEnv.reset}. */
export interface ResetOptions {
  /**
   * Draw the initial state as the original does after `np.random.seed(seed)` (NumPy's MT19937), so a
   * seed gives the very same episode as in the Python code. Default false: the kit's Alea stream.
   */
  numpy?: boolean;
}

/** One environment with plain-array inputs and outputs (a batch of one). */
export class ParticleEnv {
  /** The underlying batch of one. */
  readonly vec: ParticleVecEnv;

  /** One world of `task`. */
  constructor(task: ParticleTask, options: VecEnvOptions = {}) {
    this.vec = new ParticleVecEnv(task, 1, options);
  }

  /** Starts an episode from a seed, a random stream or an explicit state; returns the observations. */
  reset(from: number | UniformSource | EnvState, options: ResetOptions = {}): number[][] {
    if (typeof from === "number") {
      this.vec.reset(options.numpy ? new NumpyRandomState(from) : Rng.fromSeed(from, "env-reset"));
    } else if ("uniformRange" in from) this.vec.reset(from);
    else this.vec.resetFromStates([from]);
    return this.vec.obs.map((o) => Array.from(o));
  }

  /** Steps with one action per learner, or per agent (prey included). */
  step(actions: readonly number[][]): StepResult {
    this.vec.step(actions.map((a) => Float64Array.from(a)));
    return {
      obs: this.vec.obs.map((o) => Array.from(o)),
      rewards: Array.from(this.vec.rewards),
      scoreIncrement: scoreIncrement(this.vec.task, this.vec.rewards, 0),
      truncated: this.vec.t >= this.vec.task.episodeLength,
    };
  }

  /** The current state as plain arrays. */
  getState(): EnvState {
    return this.vec.getState(0);
  }
}
