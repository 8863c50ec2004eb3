/**
 * Dataset quality names: the paper's four, the full replay of the dataset-size ablation and D4RL's Maze2D
 * data, how a quality names its folder (`full-replay-10pct`) and back, and which qualities come from a
 * behaviour ladder. The one home of these names.
 *
 * @module
 */
import { checkName } from "../util/errors.ts";

/** Dataset qualities: the paper's four, plus the full replay of the dataset-size ablation and D4RL's Maze2D data. */
export const QUALITIES = ["random", "medium-replay", "medium", "expert", "full-replay", "waypoint"] as const;

/** A dataset quality. */
export type Quality = typeof QUALITIES[number];

/** The paper's four qualities, in its tables' order. */
export const PAPER_QUALITIES = ["random", "medium-replay", "medium", "expert"] as const;

/** Checks a quality name, with an error listing the valid ones. */
export function parseQualityName(name: string): Quality {
  return checkName("quality", name, QUALITIES);
}

/** Whether a quality's data come from the behaviour ladder (uniform-random and D4RL's waypoint data do not). */
export function usesLadder(quality: string): boolean {
  return quality !== "random" && quality !== "waypoint";
}

/**
 * The folder name of a quality: `full-replay-10pct` for a fraction below 100% of the full replay, else the
 * quality itself; {@link parseQuality} reads it back.
 */
export function qualityName(quality: string, fraction?: number): string {
  return fraction !== undefined && fraction < 100 ? `${quality}-${fraction}pct` : quality;
}

/** Reads a {@link qualityName} back: `full-replay-10pct` → full-replay, 10%. */
export function parseQuality(q: string): { quality: string; fraction?: number } {
  const m = /^(.*)-([\d.]+)pct$/.exec(q);
  return m ? { quality: m[1], fraction: Number(m[2]) } : { quality: q };
}
