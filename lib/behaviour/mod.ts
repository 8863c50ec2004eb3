/**
 * Behaviour policies and dataset generation: collect transitions from any joint policy in the
 * vectorized env, and write datasets in OMAR's layout.
 *
 * @module
 */
export * from "./authors_data.ts";
export * from "./collect.ts";
export * from "./generate.ts";
export * from "./ladder.ts";
export * from "./online.ts";
export * from "./store.ts";
