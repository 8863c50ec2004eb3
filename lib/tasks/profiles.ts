/**
 * One profile per task: every fact about a task that the layers above need besides its dynamics — its
 * OMAR env id (dataset folders), family, dataset qualities, the authors' update rounds per quality, the
 * authors' per-quality coefficients (`env_config_map` in their `algorithms/maddpg.py`), the network and
 * optimiser settings of its family, and how long its behaviour learner trains. The one home of these
 * facts (official-code.md §4); envs, datasets, algorithms and experiments read them from here.
 *
 * @module
 */
import { KitInputError } from "../util/errors.ts";
import { PAPER_QUALITIES, type Quality } from "./qualities.ts";

/** Task families: the particle tasks, 1-D Spread, multi-agent HalfCheetah and D4RL's Maze2D. */
export type TaskFamily = "mpe" | "spread_1d" | "halfcheetah" | "maze2d";

/** OMAR's τ (`omar_coe`) and MA-CQL's α (`cql_alpha`) for one task and dataset quality. */
export interface Coefficients {
  /** Weight of the rectification term in OMAR's actor loss (the paper's τ; λ in App. C.1.2). */
  tau: number;
  /** CQL regulariser weight α. */
  cqlAlpha: number;
}

/** Everything the kit knows about one task beyond its dynamics. */
export interface TaskProfile {
  /** The kit's task name. */
  readonly name: string;
  /** OMAR's env id: the dataset folder name (`simple_spread`, …; the task name where OMAR has none). */
  readonly envId: string;
  /** Family. */
  readonly family: TaskFamily;
  /** The dataset qualities it has. */
  readonly qualities: readonly Quality[];
  /** The authors' update rounds (`num_steps / steps_per_update` in their `main.py`) per quality. */
  readonly authorsRounds: Readonly<Partial<Record<Quality, number>>>;
  /** OMAR's τ and MA-CQL's α per quality, as the authors' code sets them (or the kit's choice, said where). */
  readonly coefficients: Readonly<Partial<Record<Quality, Coefficients>>>;
  /** Continuous-control settings (the authors' HalfCheetah branch): 256-unit layers, lr 3e-4, CEM, … */
  readonly continuousControl: boolean;
  /** Its own discount, where the kit fixes one (Maze2D: 0.99); otherwise the preset's. */
  readonly gamma?: number;
  /** Update rounds of its behaviour learner (`deno task behaviour train`): about where it plateaus. */
  readonly behaviourUpdates: number;
  /** Relative cost of an update round against HalfCheetah's (MuJoCo tasks; Maze2D has one agent). */
  readonly mujocoRoundCost?: number;
  /** A scripted rule the `references` target scores beside random and zero actions, where the task has one. */
  readonly scriptedRule?: "goto_landmark";
}

const per = <T>(values: readonly T[]) =>
  Object.fromEntries(PAPER_QUALITIES.map((q, i) => [q, values[i]])) as Record<Quality, T>;
const coe = (rows: [number, number][]) => per(rows.map(([tau, cqlAlpha]) => ({ tau, cqlAlpha })));

/** The qualities of the tasks whose data come from a behaviour ladder. */
const LADDER_QUALITIES: readonly Quality[] = [...PAPER_QUALITIES, "full-replay"];

/** The authors' facts of one MPE task, per quality (random, medium-replay, medium, expert). */
interface MpeFacts {
  /** `num_steps / steps_per_update` of `main.py`. */
  rounds: number[];
  /** `env_config_map`'s (omar_coe, cql_alpha). */
  coefficients: [number, number][];
  /** Update rounds of the kit's behaviour learner. */
  behaviourUpdates: number;
}

const mpe = (name: string, envId: string, facts: MpeFacts): TaskProfile => ({
  name,
  envId,
  family: "mpe",
  qualities: LADDER_QUALITIES,
  authorsRounds: per(facts.rounds),
  coefficients: coe(facts.coefficients),
  continuousControl: false,
  behaviourUpdates: facts.behaviourUpdates,
});

const COOPERATIVE_NAVIGATION: TaskProfile = {
  ...mpe("cooperative_navigation", "simple_spread", {
    rounds: [6000, 2000, 2000, 2000], // simple_spread: 2e5 loop steps (6e5 for random), an update every 100
    coefficients: [[1.0, 0.5], [1.0, 1.0], [1.0, 5.0], [1.0, 5.0]],
    behaviourUpdates: 150_000,
  }),
  scriptedRule: "goto_landmark", // the conformance data's rule: agent i heads for landmark i
};

const PROFILES: readonly TaskProfile[] = [
  COOPERATIVE_NAVIGATION,
  mpe("predator_prey", "simple_tag", {
    rounds: [2000, 1000, 2000, 2000], // simple_tag: 2e5 loop steps, 1e5 for medium-replay
    coefficients: [[0.9, 0.5], [0.9, 0.5], [0.7, 5.0], [0.9, 5.0]],
    behaviourUpdates: 20_000,
  }),
  mpe("world", "simple_world", {
    rounds: [1000, 1000, 1000, 1000], // simple_world: 1e5 loop steps for every quality
    coefficients: [[1.0, 0.5], [0.7, 1.0], [0.1, 0.5], [0.9, 5.0]],
    behaviourUpdates: 20_000,
  }),
  {
    name: "halfcheetah_2x3",
    envId: "halfcheetah_2x3",
    family: "halfcheetah",
    qualities: LADDER_QUALITIES,
    // 1e6 loop steps with an update every 10
    authorsRounds: per([100_000, 100_000, 100_000, 100_000]),
    coefficients: coe([[1.0, 1.0], [0.9, 5.0], [0.7, 1.0], [0.5, 5.0]]),
    continuousControl: true,
    behaviourUpdates: 300_000,
    mujocoRoundCost: 1,
  },
];

/**
 * Maze2D (Table 4) is not in the authors' code: its one dataset, D4RL's waypoint data, gets the paper's
 * medium τ (0.7), α = 1, HalfCheetah's update budget and γ 0.99 (its episodes run 300–800 steps). Kit choices.
 */
const maze2d = (name: string): TaskProfile => ({
  name,
  envId: name,
  family: "maze2d",
  qualities: ["waypoint"],
  authorsRounds: { waypoint: 100_000 },
  coefficients: { waypoint: { tau: 0.7, cqlAlpha: 1 } },
  continuousControl: true,
  gamma: 0.99,
  behaviourUpdates: 0,
  mujocoRoundCost: 0.5,
});

/**
 * 1-D Spread (the paper's motivating task, not in the authors' code) takes cooperative navigation's
 * coefficients, the task it derives from, and world's 1000 rounds.
 */
const spread = (name: string): TaskProfile => ({
  name,
  envId: name,
  family: "spread_1d",
  qualities: LADDER_QUALITIES,
  authorsRounds: per([1000, 1000, 1000, 1000]),
  coefficients: COOPERATIVE_NAVIGATION.coefficients,
  continuousControl: false,
  behaviourUpdates: 5_000,
});

/** The profile of task `name`; an unknown name is a named error. */
export function taskProfile(name: string): TaskProfile {
  const known = PROFILES.find((p) => p.name === name);
  if (known) return known;
  if (/^spread_1d_(independent_)?n([1-9]|10)$/.test(name)) return spread(name);
  if (/^maze2d_(umaze|medium|large)_dense$/.test(name)) return maze2d(name);
  throw new KitInputError(
    `unknown task "${name}"; expected one of: ${
      PROFILES.map((p) => p.name).join(", ")
    }, spread_1d_n1..10, spread_1d_independent_n1..10, maze2d_{umaze,medium,large}_dense`,
  );
}

/** The task names with a fixed profile (the MPE tasks and HalfCheetah; Spread and Maze2D are families). */
export const PROFILED_TASKS: readonly string[] = PROFILES.map((p) => p.name);

/** The quality whose settings a quality takes: the full replay (dataset-size ablation) takes medium-replay's. */
const settingsOf = (quality: string) => (quality === "full-replay" ? "medium-replay" : quality) as Quality;

/** The authors' update rounds for `task` on `quality` data (full-replay data: medium-replay's). */
export function authorsRounds(task: string, quality: string): number {
  const rounds = taskProfile(task).authorsRounds[settingsOf(quality)];
  if (rounds === undefined) throw new KitInputError(`task ${task} has no ${quality} data`);
  return rounds;
}

/** The authors' coefficients of `task` on `quality` data (full-replay data: medium-replay's). */
export function taskCoefficients(task: string, quality: string): Coefficients {
  const p = taskProfile(task);
  const c = p.coefficients[settingsOf(quality)];
  if (c === undefined) {
    throw new KitInputError(
      `unknown dataset quality "${quality}" for ${task}; expected one of: ${
        Object.keys(p.coefficients).join(", ")
      }`,
    );
  }
  return c;
}
