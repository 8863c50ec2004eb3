/**
 * Minibatch sampling, uniform with replacement, from a seeded stream (an `Rng` from `lib/util/rng.ts`). Nothing is copied but the
 * sampled rows, so a draw costs O(B · dims) whatever the dataset size. Each agent draws its own indices
 * (independent minibatches per agent, as in the authors' code).
 *
 * Note: the authors draw `np.random.choice(N, 1024, replace=False)` (without replacement within one
 * batch); with N = 10^6 and B = 1024 the two differ by about half a duplicate row per batch.
 *
 * @module
 */
import { KitInputError } from "../util/errors.ts";
import type { AgentData } from "./dataset.ts";

/** One agent's minibatch, reused between draws. */
export interface Batch {
  /** Observations. */
  obs: Float32Array; // [B, obsDim]
  /** Actions. */
  actions: Float32Array; // [B, actDim]
  /** Rewards. */
  rewards: Float32Array; // [B]
  /** Next observations. */
  nextObs: Float32Array; // [B, obsDim]
  /** 1 = terminal (no bootstrapping), else 0. Timeouts are not terminal. */
  terminals: Float32Array; // [B]
  /** Rows (`B`). */
  size: number;
  /** Observation size. */
  obsDim: number;
  /** Action size. */
  actDim: number;
  /** The global state (centralized critics on MuJoCo), when the dataset has one. */
  state?: Float32Array; // [B, stateDim]
  /** The global state after the step. */
  nextState?: Float32Array; // [B, stateDim]
  /** State size, with `state`. */
  stateDim?: number;
}

/** Allocates a zeroed {@link Batch} of `batchSize` rows (with `stateDim`, state rows too). */
export function allocBatch(
  obsDim: number,
  actDim: number,
  batchSize: number,
  options: { stateDim?: number } = {},
): Batch {
  const sd = options.stateDim;
  if (sd !== undefined && (!Number.isSafeInteger(sd) || sd < 1)) {
    throw new KitInputError(`allocBatch: stateDim is ${sd}; expected a positive integer`);
  }
  for (const [what, v] of [["obsDim", obsDim], ["actDim", actDim], ["batchSize", batchSize]] as const) {
    if (!Number.isSafeInteger(v) || v < 1) {
      throw new KitInputError(`allocBatch: ${what} is ${v}; expected a positive integer`);
    }
  }
  return {
    obs: new Float32Array(batchSize * obsDim),
    actions: new Float32Array(batchSize * actDim),
    rewards: new Float32Array(batchSize),
    nextObs: new Float32Array(batchSize * obsDim),
    terminals: new Float32Array(batchSize),
    size: batchSize,
    obsDim,
    actDim,
    ...(sd
      ? { state: new Float32Array(batchSize * sd), nextState: new Float32Array(batchSize * sd), stateDim: sd }
      : {}),
  };
}

/**
 * What {@link sampleIndices} draws from: an `Rng` (`lib/util/rng.ts`) fits. Kept structural so the data
 * API does not expose the generator's internals.
 */
export interface IndexSource {
  /** An integer in [0, n). */
  int(n: number): number;
}

/** Fills `out` with indices drawn uniformly from [0, n), with replacement; returns `out`. */
export function sampleIndices(rng: IndexSource, n: number, out: Int32Array): Int32Array {
  if (!Number.isSafeInteger(n) || n < 1 || n > 0x7fffffff) {
    throw new KitInputError(`sampleIndices: n is ${n}; expected an integer in [1, 2^31)`);
  }
  for (let b = 0; b < out.length; b++) out[b] = rng.int(n);
  return out;
}

/**
 * Copies rows `indices` of `agent` into `out` (row `b` of the batch = row `indices[b]`); returns `out`.
 * `indices.length` must equal `out.size` and the dims must match.
 */
export function gatherBatch(agent: AgentData, indices: Int32Array, out: Batch): Batch {
  const { obsDim, actDim } = agent;
  if (out.obsDim !== obsDim || out.actDim !== actDim || indices.length !== out.size) {
    throw new KitInputError(
      `gatherBatch: batch is [${out.size}] rows with obsDim ${out.obsDim}, actDim ${out.actDim}; expected ${indices.length} rows with obsDim ${obsDim}, actDim ${actDim}`,
    );
  }
  const n = agent.rewards.length;
  const { obs, nextObs, actions, rewards, terminals } = agent;
  // plain copy loops: a subarray per row costs more than the copy itself at these widths
  for (let b = 0; b < indices.length; b++) {
    const k = indices[b];
    if (!(k >= 0 && k < n)) throw new KitInputError(`gatherBatch: index ${k} at ${b}; expected [0, ${n})`);
    const so = k * obsDim, dob = b * obsDim;
    for (let j = 0; j < obsDim; j++) {
      out.obs[dob + j] = obs[so + j];
      out.nextObs[dob + j] = nextObs[so + j];
    }
    const sa = k * actDim, dab = b * actDim;
    for (let j = 0; j < actDim; j++) out.actions[dab + j] = actions[sa + j];
    out.rewards[b] = rewards[k];
    out.terminals[b] = terminals[k];
  }
  if (out.state && out.nextState) {
    const sd = out.stateDim!;
    if (!agent.states || !agent.nextStates || agent.stateDim !== sd) {
      throw new KitInputError(
        `gatherBatch: the batch has ${sd}-D states; the dataset has ${agent.stateDim ?? "no"} states`,
      );
    }
    for (let b = 0; b < indices.length; b++) {
      out.state.set(agent.states.subarray(indices[b] * sd, (indices[b] + 1) * sd), b * sd);
      out.nextState.set(agent.nextStates.subarray(indices[b] * sd, (indices[b] + 1) * sd), b * sd);
    }
  }
  return out;
}
