/**
 * Utilities with no RL in them: seeded random streams, `.npy` files, atomic writes, progress, errors.
 *
 * @module
 */
export * from "./rng.ts";
export * from "./errors.ts";
export * from "./fs.ts";
export * from "./progress.ts";
export * from "./npy.ts";
