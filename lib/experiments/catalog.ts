/**
 * The paper's ablations and side studies as grids over the same run machinery: each is a set of columns
 * (algorithm + options) over tasks, dataset qualities and seeds, with the paper's numbers where it prints
 * them (figures only give pictures, so those have none).
 *
 * @module
 */
import { type Column, type GridConfig, gridDefaults, PAPER_TABLE1 } from "./grid.ts";
import type { Profile } from "./profiles.ts";
import { qualityName } from "../behaviour/generate.ts";
import type { AlgorithmOptions } from "../algos/registry.ts";
import type { Preset } from "../algos/presets.ts";
import type { GridReport } from "./reports.ts";
import { type ONLINE_ALGORITHMS, onlineRunSpec, type RunSpec } from "./runs.ts";

type Cell = [number, number];
/** Paper values keyed quality → task → column label. */
export type PaperValues = Record<string, Record<string, Record<string, Cell>>>;

const CN = "cooperative_navigation";
const perQuality = (rows: Record<string, Record<string, Cell>>, task = CN): PaperValues =>
  Object.fromEntries(Object.entries(rows).map(([q, cols]) => [q, { [task]: cols }]));

/** A grid experiment: its configuration per profile and the paper's values. */
export interface GridExperiment {
  /** Target name. */
  name: string;
  /** What it reproduces. */
  description: string;
  /** Table title. */
  title: string;
  /** The grid for a profile. */
  config: (profile: Profile) => GridConfig;
  /** The paper's numbers, if printed. */
  paper: PaperValues | null;
  /** Report raw scores instead of normalised ones (the paper's Spread results are raw). */
  raw?: boolean;
  /** Reports beside the table, made in the listed order (`reports.ts`). */
  reports?: GridReport[];
  /** Online runs beside the grid's offline ones (Fig. 3's lower half): their grid for a profile. */
  online?: (profile: Profile) => OnlineGrid;
  /** Why its quick profile cuts more than seeds from the paper's protocol (shown by `reproduce list`). */
  quickWhy?: string;
}

/** One column of an online grid: the online learner as TD3 (`itd3`) or with OMAR's actor (`omar`). */
export interface OnlineColumn {
  /** Label in tables and figures. */
  label: string;
  /** `itd3` or `omar`. */
  algo: typeof ONLINE_ALGORITHMS[number];
  /** `critic`, `tau`, `sampler`. */
  options?: Record<string, unknown>;
}

/** Online runs of a grid experiment: columns × tasks × seeds, each trained online (`RunSpec.kind`). */
export interface OnlineGrid {
  /** Tasks. */
  tasks: string[];
  /** Columns. */
  columns: OnlineColumn[];
  /** Seeds 0..seeds−1. */
  seeds: number;
  /** Update rounds per task. */
  rounds: Record<string, number>;
  /** Minibatch size. */
  batchSize: number;
  /** Snapshots (scores) per run, besides the untrained one: every `rounds / snapshots` rounds. */
  snapshots: number;
  /** Episodes per snapshot score. */
  evalEpisodes: number;
  /** Preset (γ). */
  preset: Preset;
  /** What the profile cuts from the paper profile's online runs, in one line (undefined at paper). */
  cuts?: string;
}

/** The run specs of an online grid (seed-major, like the offline grids). */
export function onlineGridRuns(g: OnlineGrid): RunSpec[] {
  const runs: RunSpec[] = [];
  for (let seed = 0; seed < g.seeds; seed++) {
    for (const task of g.tasks) {
      const rounds = g.rounds[task];
      for (const col of g.columns) {
        runs.push(onlineRunSpec(task, {
          algo: col.algo,
          label: col.label,
          options: (col.options ?? {}) as AlgorithmOptions,
          preset: g.preset,
          seed,
          budget: {
            rounds,
            batchSize: g.batchSize,
            evalEvery: Math.max(1, Math.round(rounds / g.snapshots)),
            evalEpisodes: g.evalEpisodes,
          },
        }));
      }
    }
  }
  return runs;
}

/**
 * Fig. 3's lower half: online OMAR over online MATD3 on Spread, n = 1..5 ("we build our method upon
 * MATD3 ... evaluate the performance improvement percentage of our method over MATD3", §3.2.1). Both are
 * the behaviour ladders' online learner (lib/behaviour/online.ts: TD3 with smoothing and policy delay, 4
 * envs, 10k warm-up steps, B = 1024, lr 1e-3) on centralized critics; OMAR adds the rectified actor loss
 * with the paper's τ = 0.5 (Eq. 2, App. C.1.2; the authors' code has no online OMAR, and its spread τ of
 * 1.0 would drop the Q term) and the offline sampler (softmax, J = 3, K = 10, μ0 = 0, σ0 = 2). Paper
 * profile: the ladders' budgets (10k updates for n ≤ 3, 20k for n = 4, 5), 5 seeds; quick: 3000 updates
 * on 2 seeds (~16 min per seed on one core); smoke: 20 updates.
 */
function spreadOnline(profile: Profile): OnlineGrid {
  const tasks = SPREAD_N.map((n) => `spread_1d_n${n}`);
  const paperRounds = (t: string) => (t.endsWith("n4") || t.endsWith("n5") ? 20_000 : 10_000);
  const rounds = (f: (t: string) => number) => Object.fromEntries(tasks.map((t) => [t, f(t)]));
  const critic = { critic: "centralized" as const };
  const base = {
    tasks,
    columns: [
      { label: "MATD3 (online)", algo: "itd3" as const, options: critic },
      { label: "OMAR (online)", algo: "omar" as const, options: { ...critic, tau: 0.5 } },
    ],
    preset: "official" as const,
  };
  if (profile === "smoke") {
    return {
      ...base,
      seeds: 2,
      rounds: rounds(() => 20),
      batchSize: 64,
      snapshots: 2,
      evalEpisodes: 3,
      cuts: "20 updates, batch 64, 3 episodes per score (paper profile 10k/20k updates, batch 1024, 100)",
    };
  }
  return {
    ...base,
    seeds: profile === "quick" ? 2 : 5,
    rounds: rounds(profile === "quick" ? () => 3000 : paperRounds),
    batchSize: 1024,
    snapshots: 20,
    evalEpisodes: 100,
    ...(profile === "quick"
      ? {
        cuts:
          "3000 updates per run (paper profile: the ladders' 10k for n ≤ 3, 20k for n = 4, 5), 2 seeds (5)",
      }
      : {}),
  };
}

const omar = (label: string, options: Record<string, unknown>): Column => ({ label, algo: "omar", options });
const cql = (label: string, options: Record<string, unknown> = {}): Column => ({
  label,
  algo: "cql",
  options,
});
const spreadBase = (profile: Profile, tasks: string[]): GridConfig => ({
  ...gridDefaults(profile),
  tasks,
  qualities: ["medium-replay"],
  samples: profile === "smoke" ? 2_000 : 1_000_000,
});
const SPREAD_N = [1, 2, 3, 4, 5];

/**
 * Figs. 4 and 5 train 6 and 11 columns at the authors' protocol (~2.7 h on 2 cores for 2 seeds): their
 * quick profile keeps the protocol on one seed (each point of Fig. 4 still averages three tasks).
 */
const oneQuickSeed = (profile: Profile) => profile === "quick" ? { seeds: 1 } : {};

/**
 * The MuJoCo grids (Tables 3 and 4): the authors' HalfCheetah batch (256) and evaluation every 500
 * updates (5000 loop steps) at the paper profile; a CQL or OMAR round costs ~10x an MPE one here (256-unit
 * networks, 30 CQL candidates, CEM), so the quick profile trains 1000–2000 rounds on 2 seeds (25–30 min).
 */
const mujocoBase = (
  profile: Profile,
  grid: { tasks: string[]; qualities: string[]; quickRounds: number },
): GridConfig => {
  const { tasks, qualities, quickRounds } = grid;
  const base = { ...gridDefaults(profile), tasks, qualities, batchSize: 256 };
  if (profile === "smoke") {
    return {
      ...base,
      seeds: 1,
      samples: 2_000,
      rounds: 10,
      batchSize: 64,
      evalEvery: 5,
      evalEpisodes: 1,
      finalEpisodes: 2,
    };
  }
  if (profile === "quick") {
    return {
      ...base,
      seeds: 2,
      samples: 100_000,
      rounds: quickRounds,
      evalEvery: quickRounds / 4,
      evalEpisodes: 5,
      finalEpisodes: 20,
    };
  }
  return { ...base, evalEvery: 500, finalEpisodes: 100 };
};
const MAZES = ["maze2d_umaze_dense", "maze2d_medium_dense", "maze2d_large_dense"];
const mazeRow = (td3bc: Cell, icq: Cell, cql: Cell, omar: Cell) => ({
  "TD3+BC": td3bc,
  ICQ: icq,
  CQL: cql,
  OMAR: omar,
});

/** Every grid target besides Table 1. */
export const GRID_EXPERIMENTS: GridExperiment[] = [
  {
    name: "table1",
    description: "4 algorithms × 3 MPE tasks × 4 dataset qualities (decentralized critics)",
    title: "Table 1",
    config: gridDefaults,
    paper: PAPER_TABLE1,
  },
  {
    name: "table8",
    description: "the four algorithms on centralized critics (MATD3), cooperative navigation",
    title: "Table 8 (centralized critics)",
    config: (p) => ({ ...gridDefaults(p), tasks: [CN], critic: "centralized" }),
    paper: perQuality({
      random: { "MA-ICQ": [5.2, 5.5], "MA-TD3+BC": [7.9, 2.2], "MA-CQL": [12.8, 4.9], OMAR: [21.6, 4.6] },
      "medium-replay": {
        "MA-ICQ": [10.1, 4.6],
        "MA-TD3+BC": [9.3, 9.1],
        "MA-CQL": [11.2, 6.6],
        OMAR: [19.1, 9.2],
      },
      medium: { "MA-ICQ": [27.4, 5.3], "MA-TD3+BC": [29.4, 3.7], "MA-CQL": [26.3, 13.3], OMAR: [33.7, 14.5] },
      expert: {
        "MA-ICQ": [96.7, 4.1],
        "MA-TD3+BC": [108.1, 3.3],
        "MA-CQL": [69.5, 15.7],
        OMAR: [105.9, 3.6],
      },
    }),
  },
  {
    name: "table2",
    description: "OMAR's sampler vs CEM and random sampling, cooperative navigation",
    title: "Table 2 (sampler ablation)",
    config: (p) => ({
      ...gridDefaults(p),
      tasks: [CN],
      algos: ["omar"],
      columns: [
        omar("OMAR (random)", { sampler: { kind: "random" } }),
        omar("OMAR (CEM)", { sampler: { kind: "cem" } }),
        omar("OMAR", {}),
      ],
    }),
    paper: perQuality({
      random: { "OMAR (random)": [24.3, 7.0], "OMAR (CEM)": [25.8, 7.3], OMAR: [34.4, 5.3] },
      "medium-replay": { "OMAR (random)": [23.5, 5.3], "OMAR (CEM)": [32.6, 5.1], OMAR: [37.9, 5.3] },
      medium: { "OMAR (random)": [41.2, 11.1], "OMAR (CEM)": [45.0, 13.3], OMAR: [47.9, 18.9] },
      expert: { "OMAR (random)": [101.0, 5.2], "OMAR (CEM)": [106.4, 13.8], OMAR: [114.9, 2.6] },
    }),
  },
  {
    name: "table9",
    description: "ITD3 vs MATD3 on cooperative navigation",
    title: "Table 9 (ITD3 vs MATD3)",
    config: (p) => ({
      ...gridDefaults(p),
      tasks: [CN],
      algos: ["itd3"],
      columns: [
        { label: "ITD3", algo: "itd3", options: { critic: "decentralized" } },
        { label: "MATD3", algo: "itd3", options: { critic: "centralized" } },
      ],
    }),
    paper: perQuality({
      random: { ITD3: [18.7, 8.0], MATD3: [16.1, 5.6] },
      "medium-replay": { ITD3: [19.9, 4.7], MATD3: [12.7, 6.1] },
      medium: { ITD3: [18.6, 4.4], MATD3: [12.1, 14.2] },
      expert: { ITD3: [75.5, 7.9], MATD3: [1.6, 2.7] },
    }),
  },
  {
    name: "fig4",
    quickWhy:
      "six columns at the protocol: one seed keeps it near an hour (each point still averages three tasks)",
    description: "OMAR's τ ablation (with MA-CQL for reference), every task and quality",
    title: "Figure 4 (τ ablation)",
    config: (p) => ({
      ...gridDefaults(p),
      ...oneQuickSeed(p),
      algos: ["omar", "cql"],
      columns: [...[0.1, 0.3, 0.5, 0.7, 0.9].map((tau) => omar(`τ=${tau}`, { tau })), cql("MA-CQL")],
    }),
    paper: null,
  },
  {
    name: "fig5",
    quickWhy: "eleven columns at the protocol: one seed keeps it near an hour",
    description: "sampler iterations, samples, μ0 and σ0 on cooperative navigation (MA-CQL for reference)",
    title: "Figure 5 (sampler hyper-parameters)",
    config: (p) => ({
      ...gridDefaults(p),
      ...oneQuickSeed(p),
      tasks: [CN],
      algos: ["omar", "cql"],
      columns: [
        omar("J=1", { sampler: { iterations: 1 } }),
        omar("J=2", { sampler: { iterations: 2 } }),
        omar("J=3,K=10,μ0=0,σ0=2", {}),
        omar("J=4", { sampler: { iterations: 4 } }),
        omar("K=5", { sampler: { samples: 5 } }),
        omar("K=20", { sampler: { samples: 20 } }),
        omar("μ0=-0.5", { sampler: { mu0: -0.5 } }),
        omar("μ0=0.5", { sampler: { mu0: 0.5 } }),
        omar("σ0=1", { sampler: { sigma0: 1 } }),
        omar("σ0=3", { sampler: { sigma0: 3 } }),
        cql("MA-CQL"),
      ],
    }),
    paper: null,
  },
  {
    name: "fig9",
    description: "learning curves of Table 1 (reuses Table 1's runs)",
    title: "Figure 9 (learning curves of Table 1)",
    config: gridDefaults,
    paper: PAPER_TABLE1,
    reports: [{ kind: "curves" }],
  },
  {
    name: "fig10",
    description:
      "OMAR and MA-CQL on {0.1, 1, 10, 20, 50, 100}% of a full replay dataset (cooperative navigation)",
    title: "Figure 10 (dataset size)",
    config: (p) => ({
      ...gridDefaults(p),
      tasks: [CN],
      algos: ["omar", "cql"],
      qualities: [0.1, 1, 10, 20, 50, 100].map((f) => qualityName("full-replay", f)),
    }),
    paper: null,
  },
  {
    name: "table5",
    raw: true,
    description: "MA-CQL with larger actor learning rates, 2-agent Spread (raw score)",
    title: "Table 5 (MA-CQL actor learning rate, 2-agent Spread)",
    config: (p) => ({
      ...spreadBase(p, ["spread_1d_n2"]),
      algos: ["cql"],
      columns: [5e-4, 1e-3, 5e-3, 1e-2, 5e-2, 1e-1].map((lr) => cql(`lr=${lr}`, { actorLr: lr })),
    }),
    paper: perQuality({
      "medium-replay": {
        "lr=0.0005": [152.3, 17.1],
        "lr=0.001": [164.0, 14.5],
        "lr=0.005": [256.2, 34.2],
        "lr=0.01": [267.9, 19.0],
        "lr=0.05": [202.0, 38.9],
        "lr=0.1": [100.1, 36.4],
      },
    }, "spread_1d_n2"),
  },
  {
    name: "table6",
    raw: true,
    description: "MA-CQL with more actor updates per round, 2-agent Spread (raw score)",
    title: "Table 6 (MA-CQL actor updates, 2-agent Spread)",
    config: (p) => ({
      ...spreadBase(p, ["spread_1d_n2"]),
      algos: ["cql"],
      columns: [1, 5, 20].map((u) => cql(`updates=${u}`, { actorUpdates: u })),
    }),
    paper: perQuality({
      "medium-replay": {
        "updates=1": [267.9, 19.0],
        "updates=5": [278.6, 14.8],
        "updates=20": [263.7, 23.1],
      },
    }, "spread_1d_n2"),
  },
  {
    name: "fig2",
    raw: true,
    description:
      "Spread: MA-TD3+BC / MA-CQL / OMAR on 2 agents (curves), MA-CQL's improvement over the behaviour policy for n = 1..5, and MA-CQL's Q landscape on 2 agents",
    title: "Figure 2 (motivating Spread example)",
    config: (p) => ({
      ...spreadBase(p, SPREAD_N.map((n) => `spread_1d_n${n}`)),
      algos: ["td3bc", "cql", "omar"],
    }),
    paper: null,
    reports: [
      { kind: "curves" },
      { kind: "improvement", over: "behaviour" },
      { kind: "landscape", task: "spread_1d_n2", algo: "cql", seed: 0 },
    ],
  },
  {
    name: "table3",
    quickWhy:
      "the authors' 100k updates cost ~4 h per MA-CQL / OMAR run; the quick grid shows the pipeline, not the comparison",
    description: "4 algorithms × 4 dataset qualities on multi-agent HalfCheetah 2x3 (MuJoCo)",
    title: "Table 3 (multi-agent HalfCheetah)",
    config: (p) =>
      mujocoBase(p, {
        tasks: ["halfcheetah_2x3"],
        qualities: ["random", "medium-replay", "medium", "expert"],
        quickRounds: 1000,
      }),
    paper: perQuality({
      random: { "MA-ICQ": [7.4, 0.0], "MA-TD3+BC": [7.4, 0.0], "MA-CQL": [7.4, 0.0], OMAR: [13.5, 7.0] },
      "medium-replay": {
        "MA-ICQ": [35.6, 2.7],
        "MA-TD3+BC": [27.1, 5.5],
        "MA-CQL": [41.2, 10.1],
        OMAR: [57.7, 5.1],
      },
      medium: { "MA-ICQ": [73.6, 5.0], "MA-TD3+BC": [75.5, 3.7], "MA-CQL": [50.4, 10.8], OMAR: [80.4, 10.2] },
      expert: {
        "MA-ICQ": [110.6, 3.3],
        "MA-TD3+BC": [114.4, 3.8],
        "MA-CQL": [64.2, 24.9],
        OMAR: [113.5, 4.3],
      },
    }, "halfcheetah_2x3"),
  },
  {
    name: "table4",
    quickWhy:
      "100k updates cost ~2 h per CQL / OMAR run; the quick grid shows the pipeline, not the comparison",
    description: "TD3+BC, ICQ, CQL, OMAR on D4RL's dense Maze2D umaze / medium / large (single agent)",
    title: "Table 4 (Maze2D, single agent; D4RL normalisation)",
    config: (p) => ({
      ...mujocoBase(p, { tasks: MAZES, qualities: ["waypoint"], quickRounds: 2000 }),
      algos: ["td3bc", "icq", "cql", "omar"],
      columns: [
        { label: "TD3+BC", algo: "td3bc" },
        { label: "ICQ", algo: "icq" },
        { label: "CQL", algo: "cql" },
        { label: "OMAR", algo: "omar" },
      ],
    }),
    paper: {
      waypoint: {
        maze2d_umaze_dense: mazeRow([41.1, 4.9], [4.8, 3.8], [109.8, 23.9], [124.7, 7.6]),
        maze2d_medium_dense: mazeRow([75.5, 27.1], [13.0, 7.9], [106.4, 11.0], [125.7, 12.3]),
        maze2d_large_dense: mazeRow([103.9, 31.4], [9.2, 20.0], [94.6, 44.6], [157.7, 12.3]),
      },
    },
  },
  {
    name: "fig3",
    raw: true,
    description:
      "OMAR's improvement on Spread for n = 1..5: over MA-CQL offline (upper half), over MATD3 online (lower half)",
    title: "Figure 3 (OMAR's improvement vs number of agents)",
    config: (p) => ({ ...spreadBase(p, SPREAD_N.map((n) => `spread_1d_n${n}`)), algos: ["cql", "omar"] }),
    paper: null,
    reports: [{ kind: "improvement", over: { over: "MA-CQL", onlineOver: "MATD3 (online)" } }],
    online: spreadOnline,
  },
  {
    name: "fig7",
    raw: true,
    description: "MA-CQL's improvement over the behaviour policy on the non-cooperative Spread, n = 1..5",
    title: "Figure 7 (non-cooperative Spread)",
    config: (p) => ({ ...spreadBase(p, SPREAD_N.map((n) => `spread_1d_independent_n${n}`)), algos: ["cql"] }),
    paper: null,
    reports: [{ kind: "improvement", over: "behaviour" }],
  },
];
