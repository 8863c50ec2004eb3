/**
 * Per-task, per-dataset coefficients: what the authors' code used (`algorithms/maddpg.py`,
 * `env_config_map`) and what the paper states (App. C.1.2). Preset `official` (default) reproduces the
 * code, which produced the published numbers; preset `paper` follows the text.
 *
 * @module
 */
import { KitInputError } from "../util/errors.ts";
import { type Coefficients, taskCoefficients, taskProfile } from "../tasks/profiles.ts";
import type { ActorCriticOptions } from "./actor_critic.ts";
import type { CqlOptions } from "./cql.ts";
import type { OmarOptions } from "./omar.ts";

export type { Coefficients } from "../tasks/profiles.ts";

/** Which source of hyper-parameters to follow. */
export type Preset = "official" | "paper";

/** The presets. */
export const PRESETS: readonly Preset[] = ["official", "paper"];

/** The paper's τ per quality (App. C.1.2); α is not reported per task, so the code's is kept. */
const PAPER_TAU: Record<string, number> = {
  random: 0.5,
  "medium-replay": 0.5,
  medium: 0.7,
  expert: 0.9,
};

/**
 * τ and α for `task` on a `quality` dataset: the authors' code's (`taskCoefficients` in the task's
 * profile), or with preset `paper` the paper's τ per quality.
 */
export function coefficients(task: string, quality: string, preset: Preset = "official"): Coefficients {
  if (!PRESETS.includes(preset)) {
    throw new KitInputError(`unknown preset "${preset}"; expected: ${PRESETS.join(", ")}`);
  }
  const c = taskCoefficients(task, quality);
  return preset === "paper" && quality in PAPER_TAU ? { ...c, tau: PAPER_TAU[quality] } : c;
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
  const profile = taskProfile(task);
  if (!profile.continuousControl) return {};
  return {
    hidden: [256, 256],
    actorLr: 3e-4,
    criticLr: 3e-4,
    softUpdateRate: 0.005,
    sampler: { kind: "cem", iterations: 2, samples: 20, elites: 5 },
    cqlActions: "uniform+policy",
    cqlPolicyDensity: preset === "paper" ? "log" : "pdf",
    ...(profile.gamma !== undefined ? { gamma: profile.gamma } : {}),
  };
}
