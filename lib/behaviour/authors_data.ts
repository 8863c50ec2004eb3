/**
 * What is known of the authors' own MPE datasets (their files, measured in issue #4 and #14): mean ± std
 * episode return and transitions per task and quality. The kit's `authors` dataset variant matches them
 * (`generateDataset({variant: "authors"})`); dataset cards print them beside the kit's.
 *
 * @module
 */

/** Statistics of one of the authors' datasets. */
export interface AuthorsDatasetStats {
  /** Mean episode return (the task's score aggregation). */
  mean: number;
  /** Standard deviation of episode returns, where known. */
  std?: number;
  /** Transitions in the file, where known. */
  transitions?: number;
}

/** The authors' datasets by task and quality. */
export const AUTHORS_DATASETS: Readonly<Record<string, Readonly<Record<string, AuthorsDatasetStats>>>> = {
  cooperative_navigation: {
    random: { mean: 159.6 },
    "medium-replay": { mean: 203.7, std: 80.5, transitions: 97_500 },
    medium: { mean: 273.4, std: 92.1, transitions: 1_000_000 },
    expert: { mean: 531.0 },
  },
  predator_prey: {
    random: { mean: -4.1 },
    "medium-replay": { mean: 3.9, std: 20.3, transitions: 62_500 },
    medium: { mean: 116.4, std: 58.9, transitions: 1_000_000 },
    expert: { mean: 207.9 },
  },
  world: {
    random: { mean: -6.8 },
    "medium-replay": { mean: 1.2, std: 13.5, transitions: 80_000 },
    medium: { mean: 65.9, std: 29.6, transitions: 1_000_000 },
    expert: { mean: 85.2 },
  },
};

/** Dataset variants: the kit's own construction, or one matched to the authors' datasets. */
export const DATASET_VARIANTS = ["kit", "authors"] as const;

/** A dataset variant. */
export type DatasetVariant = typeof DATASET_VARIANTS[number];
