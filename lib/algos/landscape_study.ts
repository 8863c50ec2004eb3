/**
 * The paper's Fig. 2(c) as a measurement: a trained critic's landscape over one learner's 1-D action at
 * many dataset states, where the actor's π(o) sits on it, and where one more update round takes π(o)
 * under each of several actor objectives (by default MA-CQL's gradient step and OMAR's rectified step)
 * from the same weights and the same minibatch.
 *
 * A state is **stuck** when climbing Q1 along the grid from π(o) ends at a local maximum more than
 * `stuckTolerance` of the landscape's range below the global maximum: the situation the paper draws,
 * where gradient ascent on Q cannot leave a poor basin. The study counts stuck states, what each update
 * gains in Q1 (read on the landscape before the update), how far it moves the action, how often it lands
 * in the global maximum's basin, and picks one state to draw: the stuck state with the largest gap
 * between its local and global maxima (the largest gap between max Q1 and Q1(π(o)) if none is stuck).
 *
 * Used by notebook 01 and `deno task reproduce fig2`.
 *
 * @module
 */
import type { MultiAgentDataset } from "../data/dataset.ts";
import type { ParticleTask } from "../envs/task.ts";
import { KitInputError } from "../util/errors.ts";
import { Rng } from "../util/rng.ts";
import { criticLandscape } from "./landscape.ts";
import { makeAlgorithm } from "./registry.ts";
import { trainOffline } from "./train.ts";
import type { OfflineAlgorithm } from "./types.ts";

/** Options of {@link landscapeStudy}. */
export interface LandscapeStudyOptions {
  /** Learner whose action the landscape runs over. Default 0. */
  agent?: number;
  /** Dataset states read (drawn with replacement from stream `(stateSeed, landscape-states)`). Default 256. */
  states?: number;
  /** Seed of the state draw. Default 0. */
  stateSeed?: number;
  /** Grid points over [−1, 1]. Default 201. */
  gridSize?: number;
  /** Algorithms whose one update round is compared (each loads the trained state). Default `["cql", "omar"]`. */
  updates?: readonly string[];
  /** Options given to `makeAlgorithm` for those updates (preset context, hyperparameters). Default `{ seed: 0 }`. */
  algorithmOptions?: Record<string, unknown>;
  /** Minibatch size of the update round. Default 256. */
  batchSize?: number;
  /** Seed of the update round's minibatch. Default 1. */
  updateSeed?: number;
  /** A local maximum this fraction of the range below the global one makes a state stuck. Default 0.05. */
  stuckTolerance?: number;
}

/** Per-state findings of {@link landscapeStudy}. */
export interface LandscapeState {
  /** Index among the read states. */
  index: number;
  /** π(o) before the update. */
  action: number;
  /** π(o) after one update round, per compared algorithm. */
  after: Record<string, number>;
  /** Grid index of the global maximum of Q1. */
  best: number;
  /** Grid index of the local maximum reached by climbing Q1 from π(o). */
  localPeak: number;
  /** Whether the local maximum is below the global one by more than the tolerance. */
  stuck: boolean;
  /** `max Q1 − Q1(π(o))`. */
  gap: number;
  /** Q1 gained by each update, read on the landscape before the update. */
  gain: Record<string, number>;
  /** Whether each updated action lies in the global maximum's basin (climbing from it reaches it). */
  toGlobal: Record<string, boolean>;
}

/** What {@link landscapeStudy} returns. */
export interface LandscapeStudy {
  /** The action grid, `[G]`. */
  grid: Float32Array;
  /** Q1 over the grid per state (before the update). */
  q1: Float32Array[];
  /** Per-state findings. */
  states: LandscapeState[];
  /** Index of the state chosen for the picture. */
  shown: number;
  /** Summary means over all states and over the stuck ones, per compared algorithm. */
  summary: {
    stuck: number;
    total: number;
    gap: { all: number; stuck: number };
    gain: Record<string, { all: number; stuck: number }>;
    move: Record<string, { all: number; stuck: number }>;
    toGlobal: Record<string, number>;
  };
}

/** The cell of an action in [−1, 1] on a G-point grid over [−1, 1] (clamped). */
const gridCell = (a: number, G: number) => Math.max(0, Math.min(G - 1, Math.round(((a + 1) / 2) * (G - 1))));
const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/**
 * Runs the study on `trained` (an actor-critic algorithm trained on `data.dataset` for `data.task`, whose
 * learners have a 1-D action). The trained algorithm is read, never changed.
 */
export async function landscapeStudy(
  trained: OfflineAlgorithm,
  data: { dataset: MultiAgentDataset; task: ParticleTask },
  options: LandscapeStudyOptions = {},
): Promise<LandscapeStudy> {
  const { dataset, task } = data;
  if (task.actDim !== 1) {
    throw new KitInputError(`landscapeStudy reads a 1-D action; task ${task.name} has ${task.actDim}`);
  }
  const agent = options.agent ?? 0, G = options.gridSize ?? 201, tol = options.stuckTolerance ?? 0.05;
  const names = options.updates ?? ["cql", "omar"];
  if (!Number.isInteger(G) || G < 3) throw new KitInputError(`gridSize must be an integer ≥ 3, got ${G}`);
  const B = options.states ?? 256;
  if (!Number.isInteger(B) || B < 2) throw new KitInputError(`states must be an integer ≥ 2, got ${B}`);
  if (dataset.size < 1) throw new KitInputError("landscapeStudy: the dataset is empty");

  const pick = Rng.fromSeed(options.stateSeed ?? 0, "landscape-states");
  const rows = Array.from({ length: B }, () => pick.int(dataset.size));
  const obs = task.learners.map((i) => {
    const a = dataset.agents[i], o = new Float32Array(B * a.obsDim);
    rows.forEach((r, b) => o.set(a.obs.subarray(r * a.obsDim, (r + 1) * a.obsDim), b * a.obsDim));
    return o;
  });
  const grid = Float32Array.from({ length: G }, (_, g) => -1 + (2 * g) / (G - 1));
  const actionsOf = (algo: OfflineAlgorithm) => {
    const out = obs.map(() => new Float32Array(B));
    algo.policy().act(obs, out);
    return out[agent];
  };
  const { q1 } = criticLandscape(trained, agent, obs, grid);
  const pi = actionsOf(trained);
  const spec = { obsDims: task.learners.map((i) => task.obsDims[i]), actDim: task.actDim };
  const after: Record<string, Float32Array> = {};
  for (const name of names) {
    const algo = makeAlgorithm(name, spec, { seed: 0, ...options.algorithmOptions });
    try {
      algo.load(trained.save());
      await trainOffline(algo, data, {
        rounds: 1,
        batchSize: options.batchSize ?? 256,
        evalEvery: 1,
        evalEpisodes: 1,
        seed: options.updateSeed ?? 1,
      });
      after[name] = actionsOf(algo);
    } finally {
      algo.dispose();
    }
  }

  const cellOf = (a: number) => gridCell(a, G);
  /** Grid hill-climb from cell g to the local maximum it reaches. */
  const climb = (q: Float32Array, g: number) => {
    for (;;) {
      const left = g > 0 ? q[g - 1] : -Infinity, right = g < G - 1 ? q[g + 1] : -Infinity;
      if (left <= q[g] && right <= q[g]) return g;
      g = right >= left ? g + 1 : g - 1;
    }
  };
  const states: LandscapeState[] = q1.map((q, b) => {
    let best = 0, lo = Infinity;
    for (let g = 0; g < G; g++) {
      if (q[g] > q[best]) best = g;
      lo = Math.min(lo, q[g]);
    }
    const localPeak = climb(q, cellOf(pi[b])), at = (a: number) => q[cellOf(a)];
    const per = <T>(f: (a: number) => T) => Object.fromEntries(names.map((n) => [n, f(after[n][b])]));
    return {
      index: b,
      action: pi[b],
      after: per((a) => a),
      best,
      localPeak,
      stuck: q[best] - q[localPeak] > tol * (q[best] - lo),
      gap: q[best] - at(pi[b]),
      gain: per((a) => at(a) - at(pi[b])),
      toGlobal: per((a) => climb(q, cellOf(a)) === best),
    };
  });
  const stuck = states.filter((s) => s.stuck);
  const localGap = (s: LandscapeState) => q1[s.index][s.best] - q1[s.index][s.localPeak];
  const shown =
    (stuck.length ? stuck : states).reduce((a, s) =>
      (stuck.length ? localGap(s) > localGap(a) : s.gap > a.gap) ? s : a
    ).index;
  const both = (f: (s: LandscapeState) => number) => ({ all: avg(states.map(f)), stuck: avg(stuck.map(f)) });
  return {
    grid,
    q1,
    states,
    shown,
    summary: {
      stuck: stuck.length,
      total: B,
      gap: both((s) => s.gap),
      gain: Object.fromEntries(names.map((n) => [n, both((s) => s.gain[n])])),
      move: Object.fromEntries(names.map((n) => [n, both((s) => Math.abs(s.after[n] - s.action))])),
      toGlobal: Object.fromEntries(names.map((n) => [n, stuck.filter((s) => s.toGlobal[n]).length])),
    },
  };
}

/** Plain-text report of a {@link LandscapeStudy}; `labels` maps algorithm names to display names. */
export function landscapeReport(study: LandscapeStudy, labels: Record<string, string> = {}): string {
  const { summary: m, grid, q1 } = study, names = Object.keys(m.gain);
  const label = (n: string) => labels[n] ?? n;
  const per = (f: (n: string) => string) => names.map((n) => `${label(n)} ${f(n)}`).join(", ");
  const s = study.states[study.shown], q = q1[s.index];
  const cell = (a: number) => gridCell(a, grid.length);
  return [
    `${m.stuck} of ${m.total} states stuck (${
      ((100 * m.stuck) / m.total).toFixed(0)
    } %): climbing Q1 from π(o) ` +
    `ends below the global maximum`,
    ...(m.stuck ? ["all", "stuck"] as const : ["all"] as const).map((k) =>
      `${(k === "all" ? "all states" : "stuck states").padEnd(12)} mean Q1 gap to the best action ${
        m.gap[k].toFixed(3)
      }; Q1 gained by one update: ${per((n) => m.gain[n][k].toFixed(4))}; mean |action change|: ${
        per((n) => m.move[n][k].toFixed(4))
      }`
    ),
    ...(m.stuck
      ? [
        `stuck states whose updated action lies in the global maximum's basin: ${
          per((n) => String(m.toGlobal[n]))
        } of ${m.stuck}`,
      ]
      : []),
    `state ${s.index}: π(o) = ${s.action.toFixed(3)} (Q1 ${q[cell(s.action)].toFixed(3)}), ${
      per((n) => `update ${s.after[n].toFixed(3)} (Q1 ${q[cell(s.after[n])].toFixed(3)})`)
    }; local maximum from π(o) at ${grid[s.localPeak].toFixed(2)} (Q1 ${q[s.localPeak].toFixed(3)}); ` +
    `best action ${grid[s.best].toFixed(2)} (Q1 ${q[s.best].toFixed(3)})`,
  ].join("\n");
}
