/**
 * The critic's landscape over one learner's action (the paper's Fig. 2c): `Q1(o, a)` and `Q2(o, a)` of
 * learner k over a grid of actions, at given states, for any actor-critic algorithm of the kit (ITD3,
 * MA-CQL, MA-TD3+BC, MA-ICQ, OMAR; decentralized or centralized critics).
 *
 * The algorithms do not expose their critics; this reads them through the public
 * {@link OfflineAlgorithm.save} (the actor-critic state: per learner `actor`, `critic`, `criticTarget`
 * networks) and rebuilds the twin critic from it, so nothing in the algorithm changes and the numbers are
 * the critic's own. Reading the state copies every weight back from the backend: cheap for the kit's small
 * networks, but not for inner loops.
 *
 * BatchNorm: the kit's critics (as the authors' code) are only ever called in train mode, normalising
 * each call with the statistics of its own batch. By default the landscape does the same over the rows
 * it evaluates, i.e. the given B states each paired with every grid action, which is how MA-CQL's
 * regulariser sees its uniform actions in training. Pass several dataset states (not one state alone,
 * whose observation columns would have zero variance) and read the row of interest.
 *
 * @example
 * ```ts
 * import { criticLandscape, makeAlgorithm } from "@omar-kit/omar/algos";
 * const algo = makeAlgorithm("cql", { obsDims: [5, 5], actDim: 1 });
 * // ... train it, then: observations of 256 dataset states per learner, 201 actions in [-1, 1]
 * const obs = [new Float32Array(256 * 5), new Float32Array(256 * 5)];
 * const grid = Float32Array.from({ length: 201 }, (_, i) => -1 + i / 100);
 * const { q1 } = criticLandscape(algo, 0, obs, grid);
 * console.log(q1[0]); // Q1 of learner 0 at state 0 over the grid
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { loadNetwork, type NetworkState } from "../nn/state.ts";
import { TwinCritic } from "../nn/twin_critic.ts";
import { KitInputError } from "../util/errors.ts";
import { Rng } from "../util/rng.ts";
import type { OfflineAlgorithm } from "./types.ts";

/** Options of {@link criticLandscape}. */
export interface LandscapeOptions {
  /**
   * Centralized critics only: every learner's action at the B states (`[B, actDim]` each, env order of
   * the learners), the other learners' actions held fixed while learner k's runs over the grid (the
   * dataset's actions, as in the actor update of App. C.4). Ignored for decentralized critics.
   */
  jointActions?: readonly Float32Array[];
  /** Read the target critic `Q̄` instead of `Q`. Default false. */
  target?: boolean;
  /**
   * BatchNorm statistics: `batch` (default) normalises with the statistics of the rows evaluated, as
   * every critic call in training does; `running` uses the running statistics (eval mode).
   */
  batchNorm?: "batch" | "running";
}

/** What {@link criticLandscape} returns. */
export interface Landscape {
  /** The grid of learner k's actions, `[G, actDim]`. */
  actions: Float32Array;
  /** Q1 per state: `q1[b][g]` at state b and grid action g. */
  q1: Float32Array[];
  /** Q2 per state, likewise. */
  q2: Float32Array[];
  /** Whether the critic is centralized (sees every learner's observation and action). */
  centralized: boolean;
}

/** The parts of the actor-critic state the landscape reads. */
interface SavedAgent {
  actor: NetworkState;
  critic: NetworkState;
  criticTarget: NetworkState;
}

function savedAgents(algo: OfflineAlgorithm): SavedAgent[] {
  const state = algo.save() as { agents?: SavedAgent[] };
  const agents = state.agents;
  if (
    !Array.isArray(agents) || agents.length === 0 ||
    !agents.every((a) => a?.actor?.params && a?.critic?.params && a?.criticTarget?.params)
  ) {
    throw new KitInputError(`${algo.name}: its state has no per-learner actor and critic networks`);
  }
  return agents;
}

/** Layer widths of `prefix.0.weight`, `prefix.1.weight`, … (weights `[in, out]`). */
function widths(params: NetworkState["params"], prefix: string): number[] {
  const out: number[] = [];
  for (let i = 0; params[`${prefix}.${i}.weight`]; i++) {
    const [nIn, nOut] = params[`${prefix}.${i}.weight`].shape;
    if (i === 0) out.push(nIn);
    out.push(nOut);
  }
  if (out.length < 2) throw new KitInputError(`network state has no ${prefix}.0.weight`);
  return out;
}

/**
 * Q1 and Q2 of learner `agent` (index among the learners) over the actions `actions` (`[G, actDim]`,
 * row-major) at B states given as every learner's observations `obs` (`[B, obsDim_i]` each; a
 * decentralized critic reads only `obs[agent]`). See the module doc for the BatchNorm statistics.
 */
export function criticLandscape(
  algo: OfflineAlgorithm,
  agent: number,
  obs: readonly Float32Array[],
  actions: Float32Array,
  options: LandscapeOptions = {},
): Landscape {
  const agents = savedAgents(algo);
  if (!Number.isInteger(agent) || agent < 0 || agent >= agents.length) {
    throw new KitInputError(`agent must be a learner index in 0..${agents.length - 1}, got ${agent}`);
  }
  if (obs.length !== agents.length) {
    throw new KitInputError(`obs needs one array per learner (${agents.length}), got ${obs.length}`);
  }
  const actorWidths = agents.map((a) => widths(a.actor.params, "layers"));
  const obsDims = actorWidths.map((w) => w[0]);
  const d = actorWidths[agent][actorWidths[agent].length - 1];
  const B = obs[agent].length / obsDims[agent];
  obs.forEach((o, i) => {
    if (o.length !== B * obsDims[i] || !Number.isInteger(B) || B < 1) {
      throw new KitInputError(`obs[${i}] must hold B rows of ${obsDims[i]} (B = ${B} from obs[${agent}])`);
    }
  });
  const G = actions.length / d;
  if (!Number.isInteger(G) || G < 1) throw new KitInputError(`actions must hold rows of ${d}`);

  const state = options.target ? agents[agent].criticTarget : agents[agent].critic;
  const w = widths(state.params, "q1");
  const jointObs = obsDims.reduce((a, b) => a + b, 0), N = agents.length;
  const centralized = w[0] !== obsDims[agent] + d;
  if (centralized && w[0] !== jointObs + N * d) {
    throw new KitInputError(`critic input ${w[0]} fits neither o_k + a_k nor every learner's o and a`);
  }
  if (centralized && (options.jointActions?.length !== N)) {
    throw new KitInputError("a centralized critic needs jointActions: every learner's actions at the states");
  }
  const [cObs, cAct] = centralized ? [jointObs, N * d] : [obsDims[agent], d];
  const critic = new TwinCritic(cObs, cAct, {
    rng: Rng.fromSeed(0, "landscape"),
    hidden: w.slice(1, -1),
    inputNorm: state.params["norm.weight"] !== undefined,
  });
  try {
    loadNetwork(critic, state);
    // candidates k-major: [G, B, cAct], grid action g for learner k at every state
    const cand = new Float32Array(G * B * cAct);
    for (let g = 0; g < G; g++) {
      for (let b = 0; b < B; b++) {
        const row = (g * B + b) * cAct;
        if (centralized) {
          for (let j = 0; j < N; j++) {
            cand.set(options.jointActions![j].subarray(b * d, (b + 1) * d), row + j * d);
          }
          cand.set(actions.subarray(g * d, (g + 1) * d), row + agent * d);
        } else cand.set(actions.subarray(g * d, (g + 1) * d), row);
      }
    }
    let q1All: Float32Array | null = null, q2All: Float32Array | null = null;
    tf.tidy(() => {
      const o = centralized
        ? tf.concat(obs.map((x, i) => tf.tensor2d(x, [B, obsDims[i]])), 1)
        : tf.tensor2d(obs[agent], [B, obsDims[agent]]);
      const { q1, q2 } = critic.q(o as tf.Tensor2D, tf.tensor3d(cand, [G, B, cAct]), {
        training: (options.batchNorm ?? "batch") === "batch",
        updateStats: false,
      });
      q1All = q1.dataSync() as Float32Array;
      q2All = q2!.dataSync() as Float32Array;
    });
    // [G, B] → per state
    const perState = (q: Float32Array) =>
      Array.from({ length: B }, (_, b) => Float32Array.from({ length: G }, (_, g) => q[g * B + b]));
    return { actions: actions.slice(), q1: perState(q1All!), q2: perState(q2All!), centralized };
  } finally {
    critic.dispose();
  }
}
