/**
 * Collects an offline dataset by rolling a joint policy out in the task's vectorized env (particle or MuJoCo): every agent's
 * transitions (prey included, env order, as the authors' files hold them), episodes stored
 * contiguously, `terminals` 0 and `timeouts` at each episode's last step; for tasks with a global state
 * (HalfCheetah) the state before and after each step too, one array shared by every agent.
 *
 * @module
 */
import type { AgentData, DatasetMeta, MultiAgentDataset } from "../data/dataset.ts";
import type { Float64Policy } from "../envs/frozen_policy.ts";
import type { JointPolicy } from "../envs/policy.ts";
import { type AnyTask, asEnvTask } from "../envs/env_task.ts";
import { KitInputError } from "../util/errors.ts";
import { Rng } from "../util/rng.ts";

/** Options of {@link collectDataset}. */
export interface CollectOptions {
  /** Transitions to collect (rows per agent). */
  samples: number;
  /** Seed of the episodes' initial states (episode k uses stream `(seed, <episodeStream>-episode-k)`). */
  seed: number;
  /** Name of the episode streams. Default `data`. */
  episodeStream?: string;
  /** The frozen prey, for tasks with one. */
  prey?: Float64Policy | null;
  /** Environments stepped side by side. Default 1000. Part of the dataset's identity. */
  numEnvs?: number;
  /** Called after each batch of episodes with the number of transitions collected so far. */
  onProgress?: (done: number) => void;
  /** Metadata recorded with the dataset. */
  meta: Omit<DatasetMeta, "episodeLength" | "task">;
}

/** Rolls `policy` out until `samples` transitions are collected; returns the dataset. */
export function collectDataset(
  anyTask: AnyTask,
  policy: JointPolicy,
  options: CollectOptions,
): MultiAgentDataset {
  const task = asEnvTask(anyTask), N = options.samples;
  if (!Number.isSafeInteger(N) || N < 1) {
    throw new KitInputError(`samples must be a positive integer, got ${N}`);
  }
  const T = task.episodeLength, d = task.actDim, nA = task.numAgents;
  const episodes = Math.ceil(N / T);
  const E = Math.min(options.numEnvs ?? 1000, episodes);
  const env = task.makeVecEnv(E, { prey: options.prey });
  const sd = env.states && task.stateDim ? task.stateDim : 0;
  const states = sd ? new Float32Array(N * sd) : null, nextStates = sd ? new Float32Array(N * sd) : null;
  // every agent's files hold the same state rows (OMAR's states_i.npy): one array, shared
  const stateFields = states ? { states, nextStates: nextStates!, stateDim: sd } : {};
  const copyStates = (into: Float32Array | null, t: number, n: number, ep0: number) => {
    for (let e = 0; into && e < n; e++) {
      const row = (ep0 + e) * T + t;
      if (row < N) into.set(env.states!.subarray(e * sd, (e + 1) * sd), row * sd);
    }
  };
  const agents: AgentData[] = task.obsDims.map((od) => ({
    ...stateFields,
    obs: new Float32Array(N * od),
    actions: new Float32Array(N * d),
    rewards: new Float32Array(N),
    nextObs: new Float32Array(N * od),
    terminals: new Uint8Array(N),
    timeouts: new Uint8Array(N),
    obsDim: od,
    actDim: d,
  }));
  const obs = task.learners.map((i) => new Float32Array(E * task.obsDims[i]));
  const act = task.learners.map(() => new Float32Array(E * d));
  try {
    for (let ep0 = 0; ep0 < episodes; ep0 += E) {
      const n = Math.min(E, episodes - ep0);
      env.reset(
        Array.from(
          { length: E },
          (_, e) =>
            Rng.fromSeed(
              options.seed,
              `${options.episodeStream ?? "data"}-episode-${ep0 + Math.min(e, n - 1)}`,
            ),
        ),
      );
      for (let t = 0; t < T; t++) {
        task.learners.forEach((agent, k) => obs[k].set(env.obs[agent]));
        policy.act(obs, act);
        // rows of this step: episode (ep0 + e), step t → row (ep0 + e)·T + t
        for (let i = 0; i < nA; i++) {
          const od = task.obsDims[i], a = agents[i];
          for (let e = 0; e < n; e++) {
            const row = (ep0 + e) * T + t;
            if (row < N) a.obs.set(env.obs[i].subarray(e * od, (e + 1) * od), row * od);
          }
        }
        copyStates(states, t, n, ep0);
        env.step(act);
        copyStates(nextStates, t, n, ep0);
        for (let i = 0; i < nA; i++) {
          const od = task.obsDims[i], a = agents[i];
          for (let e = 0; e < n; e++) {
            const row = (ep0 + e) * T + t;
            if (row >= N) continue;
            a.nextObs.set(env.obs[i].subarray(e * od, (e + 1) * od), row * od);
            for (let c = 0; c < d; c++) a.actions[row * d + c] = env.actions[(e * nA + i) * d + c];
            a.rewards[row] = env.rewards[e * nA + i];
            a.timeouts[row] = t === T - 1 ? 1 : 0;
          }
        }
      }
      options.onProgress?.(Math.min((ep0 + n) * T, N));
    }
  } finally {
    env.dispose();
  }
  return { size: N, agents, meta: { ...options.meta, task: task.name, episodeLength: T } };
}
