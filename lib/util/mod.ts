/**
 * Utilities with no RL in them: seeded random streams, `.npy` files, atomic writes, progress, errors, and
 * the kit's own data files (ladders, prey) wherever the kit was loaded from.
 *
 * @module
 */
export * from "./rng.ts";
export * from "./errors.ts";
export * from "./fs.ts";
export * from "./progress.ts";
export * from "./npy.ts";
export * from "./kit_data.ts";
export * from "./numbers.ts";
