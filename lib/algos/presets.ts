/**
 * Per-task, per-dataset coefficients: what the authors' code used (`algorithms/maddpg.py`,
 * `env_config_map`) and what the paper states (App. C.1.2). Preset `official` (default) reproduces the
 * code, which produced the published numbers; preset `paper` follows the text.
 *
 * @module
 */
import { KitInputError } from "../util/errors.ts";
import type { ActorCriticOptions } from "./actor_critic.ts";
import type { CqlOptions } from "./cql.ts";
import type { OmarOptions } from "./omar.ts";

/** Which source of hyper-parameters to follow. */
export type Preset = "official" | "paper";

/** The presets. */
export const PRESETS: readonly Preset[] = ["official", "paper"];

/** Dataset qualities with their own coefficients. */
export type DatasetQuality = "random" | "medium-replay" | "medium" | "expert";

/** OMAR's τ (`omar_coe`) and MA-CQL's α (`cql_alpha`) for one task and dataset. */
export interface Coefficients {
  /** Weight of the rectification term in OMAR's actor loss (the paper's τ; λ in App. C.1.2). */
  tau: number;
  /** CQL regulariser weight α. */
  cqlAlpha: number;
}

const Q = ["random", "medium-replay", "medium", "expert"] as const;

/**
 * Maze2D (Table 4) is not in the authors' code: its only dataset, D4RL's noisy waypoint-controller data
 * (quality `waypoint`), gets the paper's medium τ (0.7) and α = 1. A kit choice, not the authors'.
 */
const MAZE2D_COEFFICIENTS: Coefficients = { tau: 0.7, cqlAlpha: 1 };

/** The authors' `env_config_map`: per env id, (omar_coe, cql_alpha) for each quality. */
const OFFICIAL: Record<string, [number, number][]> = {
  simple_spread: [[1.0, 0.5], [1.0, 1.0], [1.0, 5.0], [1.0, 5.0]],
  simple_tag: [[0.9, 0.5], [0.9, 0.5], [0.7, 5.0], [0.9, 5.0]],
  simple_world: [[1.0, 0.5], [0.7, 1.0], [0.1, 0.5], [0.9, 5.0]],
  "HalfCheetah-v2": [[1.0, 1.0], [0.9, 5.0], [0.7, 1.0], [0.5, 5.0]],
};

/** The paper's τ per quality (App. C.1.2); α is not reported per task, so the code's is kept. */
const PAPER_TAU: Record<DatasetQuality, number> = {
  random: 0.5,
  "medium-replay": 0.5,
  medium: 0.7,
  expert: 0.9,
};

/** Env ids of the kit's task names (the code's table is keyed by them). */
const ENV_ID: Record<string, string> = {
  cooperative_navigation: "simple_spread",
  predator_prey: "simple_tag",
  world: "simple_world",
  halfcheetah_2x3: "HalfCheetah-v2",
};

/**
 * τ and α for `task` on a `quality` dataset. Tasks outside the code's table (1-D Spread) use cooperative
 * navigation's row, the task they derive from.
 */
export function coefficients(task: string, quality: string, preset: Preset = "official"): Coefficients {
  if (task.startsWith("maze2d_") && quality === "waypoint") return MAZE2D_COEFFICIENTS;
  const k = (Q as readonly string[]).indexOf(quality);
  if (k < 0) {
    throw new KitInputError(`unknown dataset quality "${quality}"; expected one of: ${Q.join(", ")}`);
  }
  if (!PRESETS.includes(preset)) {
    throw new KitInputError(`unknown preset "${preset}"; expected: ${PRESETS.join(", ")}`);
  }
  const row = OFFICIAL[ENV_ID[task] ?? "simple_spread"];
  const [coe, alpha] = row[k];
  return { tau: preset === "paper" ? PAPER_TAU[quality as DatasetQuality] : coe, cqlAlpha: alpha };
}

/** Discount factor: the code's 0.95 on MPE (it never passes `--gamma`), the paper's 0.99. */
export function discount(preset: Preset = "official"): number {
  return preset === "paper" ? 0.99 : 0.95;
}

/**
 * Settings the authors' code switches per task, beyond γ, τ and α: on HalfCheetah (`main.py`'s
 * HalfCheetah branch) 256-unit layers, lr 3e-4 for actors and critics, soft update 0.005, OMAR's
 * sampler is CEM with 2 iterations of 20 samples and 5 elites, and CQL's log-sum-exp also takes 10 noisy
 * π(o) and 10 noisy π(o') actions, minus the Gaussian's density (the code subtracts the pdf where the
 * paper's CQL subtracts the log-density: preset `official` keeps the pdf, `paper` the log-density). The
 * batch size (256) is the experiment's. Maze2D, absent from the code, takes the same continuous-control
 * settings and the paper's γ = 0.99 (its episodes run 300–800 steps). The particle tasks take the defaults.
 */
export function taskSettings(
  task: string,
  preset: Preset = "official",
): ActorCriticOptions & CqlOptions & OmarOptions {
  if (task !== "halfcheetah_2x3" && !task.startsWith("maze2d_")) return {};
  return {
    hidden: [256, 256],
    actorLr: 3e-4,
    criticLr: 3e-4,
    softUpdateRate: 0.005,
    sampler: { kind: "cem", iterations: 2, samples: 20, elites: 5 },
    cqlActions: "uniform+policy",
    cqlPolicyDensity: preset === "paper" ? "log" : "pdf",
    ...(task.startsWith("maze2d_") ? { gamma: 0.99 } : {}),
  };
}
