/**
 * A dataset card in the manner of OG-MARL's: for one task, each quality's transitions, episodes, mean ±
 * std return and normalised score, beside the returns of the authors' own datasets.
 *
 * @module
 */
import { agentReward, episodeReturns, meanOverAgents } from "../data/dataset.ts";
import { datasetDir, envIdForTask, readOmarDataset } from "../data/omar_layout.ts";
import type { PreySource } from "../envs/prey.ts";
import { loadTask } from "../mujoco/tasks.ts";
import { normalizedScore } from "../eval/references.ts";
import { summarize } from "../eval/rollout.ts";
import { exists } from "../util/fs.ts";
import { KitInputError } from "../util/errors.ts";
import { generateDataset } from "./generate.ts";
import { taskProfile } from "../tasks/profiles.ts";
import { AUTHORS_DATASETS } from "./authors_data.ts";

/** One row of a dataset card. */
export interface CardRow {
  /** Quality. */
  quality: string;
  /** Transitions. */
  transitions: number;
  /** Whole episodes. */
  episodes: number;
  /** Mean episode return (the task's score aggregation). */
  mean: number;
  /** Standard deviation of episode returns. */
  std: number;
  /** Normalised score of the mean return, when references are recorded. */
  normalized: number | null;
  /** The authors' dataset's mean return, when known. */
  authors: number | null;
}

/** Generates (or reuses) the four qualities of `task` under `out` and describes them. */
export async function datasetCard(
  task: string,
  options: { seed: number; samples: number; out: string; prey?: PreySource },
): Promise<CardRow[]> {
  const t = await loadTask(task);
  // MuJoCo tasks score agent 0's (team) reward
  const aggregate = "world" in t && t.scoreAggregation === "sum_mean_learners"
    ? meanOverAgents(t.learners)
    : agentReward(0);
  const rows: CardRow[] = [];
  // the task's qualities in the paper's order, without the full replay of the dataset-size ablation
  const qualities = taskProfile(t.name).qualities.filter((q) => q !== "full-replay");
  for (const quality of qualities) {
    const dir = datasetDir(options.out, envIdForTask(t.name), quality, options.seed);
    if (!(await exists(dir))) {
      await generateDataset({
        task,
        quality,
        seed: options.seed,
        samples: options.samples,
        out: options.out,
        prey: options.prey,
      });
    }
    const ds = await readOmarDataset(dir);
    const prey = t.prey === null ? null : options.prey ?? "original";
    if (ds.meta.preySource !== prey) {
      throw new KitInputError(
        `${dir} already holds a ${quality} dataset made with prey ${
          ds.meta.preySource ?? "none"
        }, not ${prey}; ` +
          "pass another --out (nothing was overwritten)",
      );
    }
    const r = summarize(episodeReturns(ds, aggregate));
    const ref = ds.meta.referenceScores;
    rows.push({
      quality,
      transitions: ds.size,
      episodes: Math.floor(ds.size / ds.meta.episodeLength),
      mean: r.mean,
      std: r.std,
      normalized: ref ? normalizedScore(r.mean, ref) : null,
      authors: AUTHORS_DATASETS[t.name]?.[quality]?.mean ?? null,
    });
  }
  return rows;
}
