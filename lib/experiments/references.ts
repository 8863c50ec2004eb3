/**
 * The `references` target: scores of the reference behaviours on each MPE task — uniform-random
 * actions (the paper's "random" reference), zero actions and cooperative navigation's scripted
 * goto-landmark rule — next to the same numbers measured with the original Python code and the
 * paper's references.
 *
 * @module
 */
import { loadPrey, makeTask, MPE_TASKS } from "../envs/mod.ts";
import { gotoLandmarkPolicy, type JointPolicy, uniformRandomPolicy, zeroPolicy } from "../envs/policy.ts";
import { evaluate } from "../eval/rollout.ts";
import { ORIGINAL_CODE_RANDOM, PAPER_REFERENCES } from "../eval/references.ts";
import { Rng } from "../util/rng.ts";
import { taskProfile } from "../tasks/profiles.ts";
import type { Profile } from "./profiles.ts";

/** Episodes per behaviour for each profile. */
export const REFERENCE_EPISODES: Record<Profile, number> = { smoke: 200, quick: 2000, paper: 10000 };

/** One row of the references table. */
export interface ReferenceRow {
  /** Task id. */
  task: string;
  /** Behaviour: `uniform_random`, `zero` or `goto_landmark`. */
  behaviour: string;
  /** Episodes evaluated. */
  episodes: number;
  /** Mean score. */
  mean: number;
  /** Standard deviation over episodes. */
  std: number;
  /** Standard error of the mean. */
  stderr: number;
  /** The original Python code's value for the same behaviour (1000 episodes), when measured. */
  original: { mean: number; std: number } | null;
  /** The paper's reference for this behaviour, when it has one. */
  paper: number | null;
}

/** The original code's measurements (shared/reference/mpe/README.md) for the non-random behaviours. */
const ORIGINAL_OTHER: Record<string, { mean: number; std: number }> = {
  "cooperative_navigation/goto_landmark": { mean: 542.5, std: 62.9 },
  "cooperative_navigation/zero": { mean: 173.2, std: 79.2 },
  "predator_prey/zero": { mean: -2.83, std: 12.99 },
  "world/zero": { mean: -6.3, std: 5.94 },
};

/** Measures every reference behaviour on every MPE task (original prey), `episodes` each, seed `seed`. */
export async function measureReferences(
  episodes: number,
  options: { seed?: number; onRow?: (row: ReferenceRow) => void } = {},
): Promise<ReferenceRow[]> {
  const seed = options.seed ?? 0;
  const rows: ReferenceRow[] = [];
  for (const id of MPE_TASKS) {
    const task = makeTask(id);
    const prey = task.prey === null ? null : await loadPrey(task, { source: "original" });
    const behaviours: [string, JointPolicy][] = [
      ["uniform_random", uniformRandomPolicy(Rng.fromSeed(seed, `random-policy-${id}`))],
      ["zero", zeroPolicy()],
    ];
    if (taskProfile(id).scriptedRule === "goto_landmark") {
      behaviours.push(["goto_landmark", gotoLandmarkPolicy(task)]);
    }
    for (const [name, policy] of behaviours) {
      const r = evaluate(task, policy, { episodes, seed, prey });
      const row: ReferenceRow = {
        task: id,
        behaviour: name,
        episodes,
        mean: r.mean,
        std: r.std,
        stderr: r.stderr,
        original: name === "uniform_random"
          ? ORIGINAL_CODE_RANDOM[id]
          : ORIGINAL_OTHER[`${id}/${name}`] ?? null,
        paper: name === "uniform_random" ? PAPER_REFERENCES[id].random : null,
      };
      rows.push(row);
      options.onRow?.(row);
    }
  }
  return rows;
}
