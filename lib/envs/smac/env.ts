/**
 * The SMAC-like maps as tasks of the kit: `smac_2s3z`, `smac_3s5z`, `smac_1c3s5z`, `smac_2c_vs_64zg`.
 * Each is an {@link EnvTask} with discrete actions (`actDim` = 6 + n_enemies), available-action masks,
 * SMAC's global state, and episodes that end early on a win, a loss or a draw (or time out at the map's
 * limit). {@link SmacVecEnv} steps a batch of battles in lockstep; a finished battle waits (zero reward)
 * until every battle is done or it is reset on its own with {@link SmacVecEnv.resetEnv}.
 *
 * @example
 * ```ts
 * import { makeSmacTask } from "@omar-kit/omar/envs";
 * const env = makeSmacTask("smac_2s3z").makeEnv();
 * env.reset(0);
 * const { reward, done } = env.step([1, 1, 1, 1, 1]); // every agent stops
 * ```
 *
 * @module
 */
import { KitInputError } from "../../util/errors.ts";
import { Rng } from "../../util/rng.ts";
import type { EnvTask, VecEnv } from "../env_task.ts";
import {
  DEFAULT_SPAWN_JITTER,
  OUTCOME,
  SmacBattle,
  type SmacBattleOptions,
  type SmacOutcome,
} from "./battle.ts";
import {
  checkMap,
  type ObsLayout,
  obsLayout,
  SMAC_MAP_NAMES,
  SMAC_MAPS,
  type SmacMap,
  type SmacMapName,
} from "./maps.ts";

/** A SMAC task id. */
export type SmacTaskName = `smac_${SmacMapName}`;

/** The SMAC task ids: `smac_<map>` for the paper's four maps. */
export const SMAC_TASKS: readonly SmacTaskName[] = SMAC_MAP_NAMES.map((m) => `smac_${m}` as const);

/** Whether `id` names a SMAC task. */
export function isSmacTask(id: string): id is SmacTaskName {
  return (SMAC_TASKS as readonly string[]).includes(id);
}

/** A SMAC-like task: an {@link EnvTask} with discrete actions and masks. */
export interface SmacTask extends EnvTask {
  /** Always true: actions are indices (see {@link SmacVecEnv.step}). */
  readonly discrete: true;
  /** The map. */
  readonly map: SmacMap;
  /** Observation, state and action layout (SMAC's). */
  readonly layout: ObsLayout;
  /** Discrete actions per agent: no-op, stop, move N/S/E/W, attack enemy k (= `actDim`). */
  readonly numActions: number;
  /** Number of enemies. */
  readonly numEnemies: number;
  /** Size of the global state. */
  readonly stateDim: number;
  /** Half-width of the uniform spawn jitter per axis ({@link DEFAULT_SPAWN_JITTER} unless given). */
  readonly spawnJitter: number;
  /** A batch of `numEnvs` battles (reset before stepping). */
  makeVecEnv(numEnvs: number): SmacVecEnv;
  /** One battle with plain-array inputs and outputs. */
  makeEnv(): SmacEnv;
}

/**
 * The task of one of the paper's maps or of a map of the caller's own (checked). Its id is `smac_<map>`,
 * with `_jitter<j>` appended when the spawn jitter is not the default.
 */
export function smacTask(map: SmacMapName | SmacMap, options: SmacBattleOptions = {}): SmacTask {
  const m = typeof map === "string" ? SMAC_MAPS[map] : checkMap(map);
  if (!m) throw new KitInputError(`unknown SMAC map "${map}"; expected one of: ${SMAC_MAP_NAMES.join(", ")}`);
  const layout = obsLayout(m), nA = m.allies.length;
  const spawnJitter = new SmacBattle(m, options).spawnJitter; // checks the option
  const task: SmacTask = {
    name: `smac_${m.name}${spawnJitter === DEFAULT_SPAWN_JITTER ? "" : `_jitter${spawnJitter}`}`,
    spawnJitter,
    discrete: true,
    map: m,
    layout,
    numAgents: nA,
    learners: Array.from({ length: nA }, (_, i) => i),
    prey: null,
    obsDims: Array(nA).fill(layout.obsDim),
    actDim: layout.numActions,
    numActions: layout.numActions,
    numEnemies: m.enemies.length,
    stateDim: layout.stateDim,
    episodeLength: m.episodeLimit,
    makeVecEnv: (numEnvs: number) => new SmacVecEnv(task, numEnvs),
    makeEnv: () => new SmacEnv(task),
  };
  return task;
}

/** The SMAC task `id` (`smac_2s3z`, …); an unknown id is a KitInputError listing the valid ones. */
export function makeSmacTask(id: string): SmacTask {
  if (!isSmacTask(id)) {
    throw new KitInputError(`unknown SMAC task "${id}"; expected one of: ${SMAC_TASKS.join(", ")}`);
  }
  return smacTask(id.slice("smac_".length) as SmacMapName);
}

/**
 * `numEnvs` battles stepped in lockstep. Arrays are per env (env-major): `obs[i]` is `[numEnvs, obsDim]`,
 * `availActions` `[numEnvs, numAgents, numActions]` (1 = available), `rewards` `[numEnvs, numAgents]`
 * (the team reward, the same for every agent), `actions` the one-hot of the actions taken,
 * `outcomes[e]` an {@link OUTCOME} code (0 while running) and `episodeSteps[e]` the steps env `e` has taken.
 */
export class SmacVecEnv implements VecEnv {
  /** The task. */
  readonly task: SmacTask;
  /** Number of battles. */
  readonly numEnvs: number;
  /** The battles (after changing one directly, call {@link SmacVecEnv.refresh}). */
  readonly battles: readonly SmacBattle[];
  /** Per agent: observations `[numEnvs, obsDim]`. */
  readonly obs: Float64Array[];
  /** Rewards of the last step, `[numEnvs, numAgents]` (0 for a battle that was already over). */
  readonly rewards: Float64Array;
  /** One-hot of the last step's actions, `[numEnvs, numAgents, numActions]` (zeros where already over). */
  readonly actions: Float64Array;
  /** Episode returns so far, `[numEnvs]`. */
  readonly scores: Float64Array;
  /** The global state, `[numEnvs, stateDim]`. */
  readonly states: Float64Array;
  /** Available actions, `[numEnvs, numAgents, numActions]`. */
  readonly availActions: Uint8Array;
  /** How each episode ended, `[numEnvs]` ({@link OUTCOME}; 0 while running). */
  readonly outcomes: Uint8Array;
  /** Steps each env has taken in its episode, `[numEnvs]`. */
  readonly episodeSteps: Int32Array;
  #t = 0;
  readonly #act: Float64Array;

  /** Allocates `numEnvs` battles of `task`; call a reset before stepping. */
  constructor(task: SmacTask, numEnvs: number) {
    if (!Number.isInteger(numEnvs) || numEnvs < 1) {
      throw new RangeError(`numEnvs must be ≥ 1, got ${numEnvs}`);
    }
    this.task = task, this.numEnvs = numEnvs;
    this.battles = Array.from(
      { length: numEnvs },
      () => new SmacBattle(task.map, { spawnJitter: task.spawnJitter }),
    );
    const nA = task.numAgents, n = task.numActions;
    this.obs = task.obsDims.map((d) => new Float64Array(numEnvs * d));
    this.rewards = new Float64Array(numEnvs * nA);
    this.actions = new Float64Array(numEnvs * nA * n);
    this.scores = new Float64Array(numEnvs);
    this.states = new Float64Array(numEnvs * task.stateDim);
    this.availActions = new Uint8Array(numEnvs * nA * n);
    this.outcomes = new Uint8Array(numEnvs);
    this.episodeSteps = new Int32Array(numEnvs);
    this.#act = new Float64Array(numEnvs * nA);
  }

  /** Steps since the last {@link SmacVecEnv.reset}. */
  get t(): number {
    return this.#t;
  }

  /** Whether every battle is over. */
  allDone(): boolean {
    return this.outcomes.every((o) => o !== OUTCOME.running);
  }

  /**
   * Starts every battle: from one stream (each battle takes a child stream from it, env 0 first) or one
   * stream per env. The same stream gives the same battle in a batch of any width and in {@link SmacEnv}.
   */
  reset(source: Rng | readonly Rng[]): void {
    if (Array.isArray(source) && source.length !== this.numEnvs) {
      throw new KitInputError(`reset: expected ${this.numEnvs} random streams, got ${source.length}`);
    }
    for (let e = 0; e < this.numEnvs; e++) {
      this.resetEnv(e, Array.isArray(source) ? (source as readonly Rng[])[e] : source as Rng);
    }
    this.#t = 0;
  }

  /** Starts battle `e` alone (the others go on), its tick orders drawn from a child of `rng`. */
  resetEnv(e: number, rng: Rng): void {
    this.battles[e].reset(rng.split("smac-battle"));
    this.scores[e] = 0, this.outcomes[e] = OUTCOME.running, this.episodeSteps[e] = 0;
    const nA = this.task.numAgents, n = this.task.numActions;
    this.rewards.fill(0, e * nA, (e + 1) * nA);
    this.actions.fill(0, e * nA * n, (e + 1) * nA * n);
    this.#gather(e);
  }

  /**
   * Advances every running battle one step. `actions` holds one array per agent: `[numEnvs]` action
   * indices, or `[numEnvs, numActions]` scores whose argmax (first maximum) is the action (one-hot or
   * relaxed Gumbel-Softmax samples). Every action of a running battle must be available (dead agents take
   * the no-op 0); all are checked before any battle moves. Battles already over ignore theirs.
   */
  step(actions: readonly (Float32Array | Float64Array | Int32Array)[]): void {
    const E = this.numEnvs, nA = this.task.numAgents, n = this.task.numActions, act = this.#act;
    if (actions.length !== nA) {
      throw new KitInputError(
        `${this.task.name}: step expects actions for ${nA} agents, got ${actions.length}`,
      );
    }
    actions.forEach((src, a) => {
      if (src.length === E) {
        for (let e = 0; e < E; e++) act[e * nA + a] = src[e];
      } else if (src.length === E * n) {
        for (let e = 0; e < E; e++) {
          let best = 0;
          for (let k = 1; k < n; k++) if (src[e * n + k] > src[e * n + best]) best = k;
          if (src[e * n + best] !== src[e * n + best]) {
            throw new KitInputError(`${this.task.name}: agent ${a} action scores are NaN in env ${e}`);
          }
          act[e * nA + a] = best;
        }
      } else {
        throw new KitInputError(
          `${this.task.name}: agent ${a} actions must be [${E}] indices or [${E}, ${n}] scores, got ${src.length} values`,
        );
      }
    });
    for (let e = 0; e < E; e++) {
      if (this.outcomes[e] !== OUTCOME.running) continue;
      for (let a = 0; a < nA; a++) {
        const v = act[e * nA + a];
        if (!this.battles[e].isAvailable(a, v)) {
          throw new KitInputError(
            `${this.task.name}: env ${e} agent ${a} cannot take action ${v} (available: ${
              this.#availList(e, a)
            })`,
          );
        }
      }
    }
    for (let e = 0; e < E; e++) {
      const running = this.outcomes[e] === OUTCOME.running;
      const r = running ? this.battles[e].step(act, e * nA) : 0;
      this.actions.fill(0, e * nA * n, (e + 1) * nA * n);
      for (let a = 0; a < nA; a++) {
        this.rewards[e * nA + a] = r;
        if (running) this.actions[(e * nA + a) * n + act[e * nA + a]] = 1;
      }
      if (!running) continue;
      this.scores[e] += r;
      this.episodeSteps[e]++;
      this.outcomes[e] = this.battles[e].outcome;
      this.#gather(e);
    }
    this.#t++;
  }

  /** Every battle's state, the clock, the scores and outcomes (numbers only, JSON-safe). */
  saveState(): Record<string, unknown> {
    return {
      battles: this.battles.map((b) => b.saveState()),
      t: this.#t,
      scores: Array.from(this.scores),
      episodeSteps: Array.from(this.episodeSteps),
    };
  }

  /** Restores {@link SmacVecEnv.saveState}'s output (observations, masks and states recomputed, rewards cleared). */
  loadState(state: Record<string, unknown>): void {
    const s = state as {
      battles: Record<string, unknown>[];
      t: number;
      scores: number[];
      episodeSteps: number[];
    };
    if (!Array.isArray(s.battles) || s.battles.length !== this.numEnvs) {
      throw new KitInputError(`loadState: expected the state of ${this.numEnvs} SMAC battles`);
    }
    this.battles.forEach((b, e) => b.loadState(s.battles[e]));
    this.#t = s.t, this.scores.set(s.scores), this.episodeSteps.set(s.episodeSteps);
    this.rewards.fill(0), this.actions.fill(0);
    for (let e = 0; e < this.numEnvs; e++) {
      this.outcomes[e] = this.battles[e].outcome;
      this.#gather(e);
    }
  }

  /** Recomputes every env's observations, masks and state (after a battle was changed directly). */
  refresh(): void {
    for (let e = 0; e < this.numEnvs; e++) this.#gather(e);
  }

  /** Nothing to free. */
  dispose(): void {}

  #availList(e: number, a: number): string {
    const n = this.task.numActions, off = (e * this.task.numAgents + a) * n;
    const list: number[] = [];
    for (let k = 0; k < n; k++) if (this.availActions[off + k]) list.push(k);
    return list.join(", ");
  }

  #gather(e: number): void {
    const b = this.battles[e],
      nA = this.task.numAgents,
      n = this.task.numActions,
      d = this.task.layout.obsDim;
    for (let a = 0; a < nA; a++) {
      b.observe(a, this.obs[a], e * d);
      b.availActions(a, this.availActions, (e * nA + a) * n);
    }
    b.writeState(this.states, e * this.task.stateDim);
  }
}

/** Result of {@link SmacEnv.step}. */
export interface SmacStepResult {
  /** Observations per agent. */
  obs: number[][];
  /** The team reward of the step. */
  reward: number;
  /** Available actions per agent (1/0). */
  availActions: number[][];
  /** Whether the episode is over (won, lost, drawn or timed out). */
  done: boolean;
  /** How it ended ({@link OUTCOME}; 0 while running). */
  outcome: SmacOutcome;
  /** Whether the agents won. */
  won: boolean;
  /** Whether it ended by the episode limit (a truncation rather than a terminal state). */
  truncated: boolean;
}

/** One battle with plain-array inputs and outputs (a batch of one). */
export class SmacEnv {
  /** The underlying batch of one. */
  readonly vec: SmacVecEnv;

  /** One battle of `task`. */
  constructor(task: SmacTask) {
    this.vec = new SmacVecEnv(task, 1);
  }

  /** The battle itself (units, scripted set-ups). */
  get battle(): SmacBattle {
    return this.vec.battles[0];
  }

  /** Starts an episode from a seed (stream `(seed, env-reset)`) or a stream; returns the observations. */
  reset(from: number | Rng): number[][] {
    this.vec.reset(typeof from === "number" ? Rng.fromSeed(from, "env-reset") : from);
    return this.vec.obs.map((o) => Array.from(o));
  }

  /** Available actions per agent. */
  availActions(): number[][] {
    const n = this.vec.task.numActions;
    return Array.from(
      { length: this.vec.task.numAgents },
      (_, a) => Array.from(this.vec.availActions.subarray(a * n, (a + 1) * n)),
    );
  }

  /** The global state. */
  state(): number[] {
    return Array.from(this.vec.states);
  }

  /** Steps with one action index per agent. */
  step(actions: readonly number[]): SmacStepResult {
    this.vec.step(actions.map((a) => Float64Array.of(a)));
    const outcome = this.vec.outcomes[0] as SmacOutcome;
    return {
      obs: this.vec.obs.map((o) => Array.from(o)),
      reward: this.vec.rewards[0],
      availActions: this.availActions(),
      done: outcome !== OUTCOME.running,
      outcome,
      won: outcome === OUTCOME.won,
      truncated: outcome === OUTCOME.timeout,
    };
  }
}
