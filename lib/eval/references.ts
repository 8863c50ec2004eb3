/**
 * Reference scores for normalisation, one table with provenance, and
 * `normalizedScore(S) = 100 (S − S_random) / (S_expert − S_random)` (paper §4.1.1, after D4RL).
 *
 * @module
 */
import { KitInputError } from "../util/errors.ts";
import type { PreySource } from "../envs/prey.ts";

/** A pair of reference scores and where each comes from. */
export interface ReferenceScores {
  /** Score of the random reference behaviour. */
  random: number;
  /** Score of the expert reference behaviour. */
  expert: number;
  /** Where the two numbers come from. */
  source: string;
}

/**
 * Throws a {@link KitInputError} naming `ref` unless its random and expert scores are two different
 * finite numbers (equal ones would make every normalised score ±Infinity or NaN).
 */
export function checkReferences(ref: { random: number; expert: number }): void {
  if (!Number.isFinite(ref.random) || !Number.isFinite(ref.expert)) {
    throw new KitInputError(
      `reference scores random ${ref.random}, expert ${ref.expert}; expected finite numbers`,
    );
  }
  if (ref.expert === ref.random) {
    throw new KitInputError(
      `reference scores: expert and random are both ${ref.random}; ` +
        `expected two different scores (the normalised score would divide by zero)`,
    );
  }
}

/**
 * `100 · (score − random) / (expert − random)`; the references are checked first
 * ({@link checkReferences}).
 */
export function normalizedScore(score: number, ref: { random: number; expert: number }): number {
  checkReferences(ref);
  return (100 * (score - ref.random)) / (ref.expert - ref.random);
}

/** The paper's references (App. C.1.1), kept beside the kit's for comparison. */
export const PAPER_REFERENCES: Readonly<Record<string, ReferenceScores>> = {
  cooperative_navigation: { random: 159.8, expert: 516.8, source: "paper App. C.1.1" },
  predator_prey: { random: -4.1, expert: 185.6, source: "paper App. C.1.1" },
  world: { random: -6.8, expert: 79.5, source: "paper App. C.1.1" },
};

/**
 * Uniform-random scores measured with the original Python code (1000 episodes, env seeded once with
 * 100; shared/reference/mpe/README.md): mean and standard deviation over episodes.
 */
export const ORIGINAL_CODE_RANDOM: Readonly<Record<string, { mean: number; std: number }>> = {
  cooperative_navigation: { mean: 161.1, std: 59.0 },
  predator_prey: { mean: -3.76, std: 11.04 },
  world: { mean: -6.68, std: 5.75 },
};

/**
 * The kit's references per task and prey source. Random: uniform-random actions measured by the kit
 * (`deno task reproduce references --profile paper`: 10,000 episodes, seed 0; CN 159.89 ± 60.10,
 * PP −4.09 ± 11.05, World −6.80 ± 5.90; with the kit's prey, stream `random-reference`: PP −7.17 ± 6.52,
 * World −7.11 ± 4.36; HalfCheetah 2x3 −285.79 ± 78.59 over 1000 episodes). Expert: the paper's score
 * for the original-prey tasks, as the source says; a dataset made from a behaviour ladder records that
 * ladder's own expert, which training and `reproduce` normalise with.
 */
export const KIT_REFERENCES: Readonly<Record<string, ReferenceScores>> = {
  "cooperative_navigation": {
    random: 159.89,
    expert: 516.8,
    source:
      "random: kit, 10k uniform-random episodes; expert: the paper's (datasets record their own ladder's expert)",
  },
  "predator_prey/original": {
    random: -4.09,
    expert: 185.6,
    source:
      "random: kit, 10k uniform-random episodes, original prey; expert: the paper's (datasets record their own ladder's expert)",
  },
  "predator_prey/kit": {
    random: -7.17,
    expert: 88.1,
    source:
      "random: kit, 10k uniform-random episodes, kit prey; expert: the kit-prey ladder's last snapshot (ITD3, 20k updates)",
  },
  "world/original": {
    random: -6.8,
    expert: 79.5,
    source:
      "random: kit, 10k uniform-random episodes, original prey; expert: the paper's (datasets record their own ladder's expert)",
  },
  "halfcheetah_2x3": {
    random: -285.79,
    expert: 1762.2,
    source:
      "random: kit, 1000 uniform-random episodes on MuJoCo 3.3.8 (paper, MuJoCo 1.5/2.0: −284.0); expert: the ladder's last snapshot (MATD3, 106k updates), 100 episodes (paper: 3568.8)",
  },
  "world/kit": {
    random: -7.11,
    expert: 39.7,
    source:
      "random: kit, 10k uniform-random episodes, kit prey; expert: the kit-prey ladder's last snapshot (ITD3, 40k updates)",
  },
};

/** The kit's references for `task` (and prey source, for tasks with a prey). */
export function referenceScores(task: string, prey: PreySource | null = null): ReferenceScores {
  const key = prey ? `${task}/${prey}` : task;
  const ref = KIT_REFERENCES[key];
  if (!ref) {
    throw new KitInputError(
      `no reference scores for "${key}"; known: ${Object.keys(KIT_REFERENCES).join(", ")} ` +
        `(references for the kit's own prey come with its training)`,
    );
  }
  return ref;
}
