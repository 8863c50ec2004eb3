/**
 * The kit's multi-agent offline dataset: one {@link AgentData} per agent (env order, prey included),
 * all with the same number of rows `N`, stored sequentially episode after episode.
 *
 * Terminations and truncations are kept apart: `terminals` marks a true end of the task (OMAR's MPE
 * files have `done = 0` everywhere, even at step 25), `timeouts` marks the episode-length cut.
 *
 * @module
 */
import { KitInputError } from "../util/errors.ts";

/** One agent's transitions, row `k` being the transition at step `k` of the file. */
export interface AgentData {
  /** Observations. */
  obs: Float32Array; // [N, obsDim]
  /** Actions taken. */
  actions: Float32Array; // [N, actDim]
  /** Rewards received. */
  rewards: Float32Array; // [N]
  /** Observations after the step. */
  nextObs: Float32Array; // [N, obsDim]
  /** 1 where the episode terminated (a true end, bootstrapping stops), else 0. */
  terminals: Uint8Array; // [N]
  /** 1 where the episode was cut by the length limit without terminating, else 0. */
  timeouts: Uint8Array; // [N]
  /** Observation size. */
  obsDim: number;
  /** Action size. */
  actDim: number;
  /**
   * The global state before and after the step, the same rows for every agent (the centralized critics'
   * input on MuJoCo, as OMAR's HalfCheetah files `states_i.npy` / `next_states_i.npy`); absent on MPE.
   */
  states?: Float32Array; // [N, stateDim]
  /** The global state after the step. */
  nextStates?: Float32Array; // [N, stateDim]
  /** State size, with `states`. */
  stateDim?: number;
}

/** Where a dataset comes from and how it was made. */
export interface DatasetMeta {
  /** Task name, e.g. `cooperative_navigation`. */
  task: string;
  /** Dataset quality, e.g. `random`, `medium-replay`, `medium`, `expert`. */
  quality: string;
  /** The seed the dataset belongs to (OMAR has one dataset per training seed). */
  seed: number;
  /** Which frozen prey acted: the authors' weights, the kit's, or `null` when there is no prey / unknown. */
  preySource: "original" | "kit" | null;
  /** How the behaviour policy was made (free text). */
  behaviourPolicy: string;
  /** Steps per episode. */
  episodeLength: number;
  /** Random and expert scores for normalisation, and where they come from; `null` if unknown. */
  referenceScores: { random: number; expert: number; source: string } | null;
  /** The kit version that wrote the dataset. */
  kitVersion: string;
  /** Anything else (must be JSON-serialisable). */
  extra?: Record<string, unknown>;
}

/** A dataset of `size` rows for every agent. */
export interface MultiAgentDataset {
  /** Rows per agent (`N`). */
  size: number;
  /** One entry per agent, env order. */
  agents: AgentData[];
  /** Provenance. */
  meta: DatasetMeta;
}

/** Index of the first non-finite element of `a`, or -1. */
function firstNonFinite(a: Float32Array): number {
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v - v !== 0) return i; // NaN or ±Infinity
  }
  return -1;
}

/**
 * Checks `ds` is consistent, throwing a {@link KitInputError} that starts with `name`: at least one
 * agent; every agent has `size` rows; array lengths match `size` × dims; `terminals`/`timeouts` are
 * 0/1; no NaN or ±Infinity in obs, actions, rewards or nextObs (the error names the agent, the array
 * and the first bad row).
 */
export function validateDataset(ds: MultiAgentDataset, name: string): void {
  const n = ds.size;
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new KitInputError(`${name}: size ${n}; expected a non-negative integer`);
  }
  if (ds.agents.length === 0) throw new KitInputError(`${name}: no agents; expected at least one`);
  ds.agents.forEach((a, i) => {
    for (const [dim, v] of [["obsDim", a.obsDim], ["actDim", a.actDim]] as const) {
      if (!Number.isSafeInteger(v) || v < 1) {
        throw new KitInputError(`${name}: agent ${i} ${dim} is ${v}; expected a positive integer`);
      }
    }
    const lengths: [string, { length: number }, number, string][] = [
      ["obs", a.obs, n * a.obsDim, `[${n}, ${a.obsDim}]`],
      ["actions", a.actions, n * a.actDim, `[${n}, ${a.actDim}]`],
      ["rewards", a.rewards, n, `[${n}]`],
      ["nextObs", a.nextObs, n * a.obsDim, `[${n}, ${a.obsDim}]`],
      ["terminals", a.terminals, n, `[${n}]`],
      ["timeouts", a.timeouts, n, `[${n}]`],
    ];
    for (const [array, arr, expected, shape] of lengths) {
      if (arr.length !== expected) {
        throw new KitInputError(
          `${name}: agent ${i} ${array} has ${arr.length} elements; expected ${expected} (${shape}, the dataset has ${n} rows)`,
        );
      }
    }
    if (a.states !== undefined || a.nextStates !== undefined || a.stateDim !== undefined) {
      const sd = a.stateDim;
      if (!Number.isSafeInteger(sd) || sd! < 1) {
        throw new KitInputError(
          `${name}: agent ${i} stateDim is ${sd}; expected a positive integer with states`,
        );
      }
      for (const [array, arr] of [["states", a.states], ["nextStates", a.nextStates]] as const) {
        if (arr?.length !== n * sd!) {
          throw new KitInputError(
            `${name}: agent ${i} ${array} has ${arr?.length ?? "no"} elements; expected ${
              n * sd!
            } ([${n}, ${sd}])`,
          );
        }
        const bad = firstNonFinite(arr);
        if (bad >= 0) {
          throw new KitInputError(
            `${name}: agent ${i} ${array} row ${Math.floor(bad / sd!)} holds ${
              arr[bad]
            }; expected finite numbers`,
          );
        }
      }
    }
    for (const [array, arr] of [["terminals", a.terminals], ["timeouts", a.timeouts]] as const) {
      const bad = arr.findIndex((v) => v > 1);
      if (bad >= 0) {
        throw new KitInputError(`${name}: agent ${i} ${array} row ${bad} is ${arr[bad]}; expected 0 or 1`);
      }
    }
    const floats: [string, Float32Array, number][] = [
      ["obs", a.obs, a.obsDim],
      ["actions", a.actions, a.actDim],
      ["rewards", a.rewards, 1],
      ["nextObs", a.nextObs, a.obsDim],
    ];
    for (const [array, arr, dim] of floats) {
      const bad = firstNonFinite(arr);
      if (bad >= 0) {
        throw new KitInputError(
          `${name}: agent ${i} ${array} row ${Math.floor(bad / dim)} holds ${
            arr[bad]
          }; expected finite numbers`,
        );
      }
    }
  });
}

/**
 * Row indices where an episode starts: row 0 and every row after a row where any agent has a terminal
 * or a timeout (the row after the last row is not included).
 */
export function episodeStarts(ds: MultiAgentDataset): Int32Array {
  const starts: number[] = [];
  if (ds.size > 0) starts.push(0);
  for (let k = 0; k + 1 < ds.size; k++) {
    if (ds.agents.some((a) => a.terminals[k] !== 0 || a.timeouts[k] !== 0)) starts.push(k + 1);
  }
  return Int32Array.from(starts);
}

/**
 * Folds the agents' rewards at one row into one number. `rewards[i]` is agent `i`'s reward at the row
 * (env order); the array is reused between calls.
 */
export type RewardAggregate = (rewards: Float64Array /* [numAgents] */) => number;

/** The mean reward over `agents` (default: all agents), e.g. the learners of cooperative navigation. */
export function meanOverAgents(agents?: readonly number[]): RewardAggregate {
  return (r) => {
    if (agents === undefined) {
      let s = 0;
      for (let i = 0; i < r.length; i++) s += r[i];
      return s / r.length;
    }
    let s = 0;
    for (const i of agents) s += r[i];
    return s / agents.length;
  };
}

/** Agent `agent`'s own reward, e.g. predator 0's team reward in predator-prey and world. */
export function agentReward(agent: number): RewardAggregate {
  return (r) => r[agent];
}

/**
 * Per-episode returns: the sum over the episode's rows of `aggregate` (agents' rewards at the row).
 * Episodes are delimited as in {@link episodeStarts}; a trailing episode that ends without a terminal
 * or timeout (the data stop mid-episode) is left out. Sums are taken in float64.
 */
export function episodeReturns(ds: MultiAgentDataset, aggregate: RewardAggregate): Float64Array {
  const r = new Float64Array(ds.agents.length);
  const out: number[] = [];
  let sum = 0;
  for (let k = 0; k < ds.size; k++) {
    let end = false;
    for (let i = 0; i < ds.agents.length; i++) {
      const a = ds.agents[i];
      r[i] = a.rewards[k];
      if (a.terminals[k] !== 0 || a.timeouts[k] !== 0) end = true;
    }
    sum += aggregate(r);
    if (end) {
      out.push(sum);
      sum = 0;
    }
  }
  return Float64Array.from(out);
}

/** The smallest and largest action of one agent. */
export interface ActionRange {
  /** Agent index (env order). */
  agent: number;
  /** Smallest action component. */
  min: number;
  /** Largest action component. */
  max: number;
}

/**
 * The agents whose actions leave `[−bound, bound]` (default 1, the action space of every task of the
 * kit, which the environments clip to), with the range found; empty when all are inside.
 */
export function actionsOutside(ds: MultiAgentDataset, bound = 1): ActionRange[] {
  const out: ActionRange[] = [];
  ds.agents.forEach((a, agent) => {
    let min = Infinity, max = -Infinity;
    const x = a.actions;
    for (let k = 0; k < x.length; k++) {
      const v = x[k];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (min < -bound || max > bound) out.push({ agent, min, max });
  });
  return out;
}
