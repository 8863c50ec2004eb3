/**
 * Evaluation: vectorized rollouts with the task's score aggregation, reference scores with their
 * provenance, and the normalised score.
 *
 * @module
 */
export * from "./references.ts";
export * from "./rollout.ts";
