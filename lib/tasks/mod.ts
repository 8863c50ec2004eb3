/**
 * Task facts: one profile per task (env id, family, qualities, the authors' update rounds and
 * coefficients, settings) and the dataset quality names.
 *
 * @module
 */
export * from "./profiles.ts";
export * from "./qualities.ts";
