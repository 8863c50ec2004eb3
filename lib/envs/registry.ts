/**
 * Task ids → tasks. The three MPE tasks of Table 1 plus the 1-D Spread family of the motivating
 * example (`spread_1d_n<k>`, `spread_1d_independent_n<k>`).
 *
 * @module
 */
import { KitInputError } from "../util/errors.ts";
import { cooperativeNavigation } from "./mpe/cooperative_navigation.ts";
import { predatorPrey } from "./mpe/predator_prey.ts";
import { worldTask } from "./mpe/world.ts";
import { spread1d } from "./spread_1d.ts";
import type { ParticleTask } from "./task.ts";

/** The MPE tasks of the paper's Table 1. */
export const MPE_TASKS = ["cooperative_navigation", "predator_prey", "world"] as const;

/** Name of an MPE task of Table 1. */
export type MpeTaskName = typeof MPE_TASKS[number];

/** Human-readable list of accepted task ids, for errors and help. */
export const TASK_ID_HELP =
  "cooperative_navigation, predator_prey, world, spread_1d_n<1..5>, spread_1d_independent_n<1..5>";

/** Builds the task named `id`; an unknown id is a {@link KitInputError} listing the valid ones. */
export function makeTask(id: string): ParticleTask {
  switch (id) {
    case "cooperative_navigation":
      return cooperativeNavigation(3);
    case "predator_prey":
      return predatorPrey();
    case "world":
      return worldTask();
  }
  const spread = /^spread_1d(_independent)?_n(\d+)$/.exec(id);
  if (spread) {
    const n = Number(spread[2]);
    if (n >= 1 && n <= 10) return spread1d({ numAgents: n, cooperative: !spread[1] });
  }
  throw new KitInputError(`unknown task "${id}"; expected one of: ${TASK_ID_HELP}`);
}
