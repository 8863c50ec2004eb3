/**
 * Dataset generation into OMAR's on-disk layout, written so an interrupted run leaves nothing that
 * looks complete: files go to a temporary folder that is renamed into place at the end.
 *
 * @module
 */
import { dirname } from "node:path";
import { datasetDir, envIdForTask, writeOmarDataset } from "../data/omar_layout.ts";
import type { MultiAgentDataset } from "../data/dataset.ts";
import { loadPrey, type PreySource } from "../envs/prey.ts";
import { uniformRandomPolicy } from "../envs/policy.ts";
import { makeTask } from "../envs/registry.ts";
import { referenceScores } from "../eval/references.ts";
import { KitInputError } from "../util/errors.ts";
import { exists } from "../util/fs.ts";
import { Rng } from "../util/rng.ts";
import { KIT_VERSION } from "../util/version.ts";
import { collectDataset } from "./collect.ts";

/** Dataset qualities of the paper (Section 4.1). */
export const QUALITIES = ["random", "medium-replay", "medium", "expert"] as const;

/** A dataset quality. */
export type Quality = typeof QUALITIES[number];

/** Options of {@link generateDataset}. */
export interface GenerateOptions {
  /** Task id. */
  task: string;
  /** Dataset quality. */
  quality: string;
  /** Dataset seed (the authors keep one dataset per training seed). */
  seed: number;
  /** Transitions. Default 1,000,000 (the paper's size). */
  samples?: number;
  /** Prey source for tasks with a prey. Default `original`. */
  prey?: PreySource;
  /** For the original prey: weights file or folder (see `loadPrey`). */
  preyWeights?: string;
  /** Root of the OMAR layout: the dataset goes to `<root>/<env_id>/<quality>/seed_<k>_data`. */
  out: string;
  /** Replace an existing dataset. Default false: an existing one is an error and stays untouched. */
  force?: boolean;
  /** Environments stepped side by side (part of the dataset's identity). Default 1000. */
  numEnvs?: number;
  /** Progress callback: transitions collected so far of `samples`. */
  onProgress?: (done: number, total: number) => void;
}

/** Generates one dataset and writes it; returns its folder and the dataset. */
export async function generateDataset(
  options: GenerateOptions,
): Promise<{ dir: string; dataset: MultiAgentDataset }> {
  const task = makeTask(options.task);
  if (!(QUALITIES as readonly string[]).includes(options.quality)) {
    throw new KitInputError(`unknown quality "${options.quality}"; expected one of: ${QUALITIES.join(", ")}`);
  }
  if (options.quality !== "random") {
    throw new KitInputError(
      `quality "${options.quality}" is generated from the behaviour-policy ladder, which the kit has not trained yet; ` +
        `only "random" is available now`,
    );
  }
  const samples = options.samples ?? 1_000_000;
  const preySource = task.prey === null ? null : options.prey ?? "original";
  const prey = preySource ? await loadPrey(task, { source: preySource, path: options.preyWeights }) : null;
  const dir = datasetDir(options.out, envIdForTask(task.name), options.quality, options.seed);
  if (!options.force && await exists(dir)) {
    throw new KitInputError(`${dir} already exists; pass --force to replace it`);
  }
  let reference = null;
  try {
    reference = referenceScores(task.name, preySource);
  } catch {
    reference = null; // tasks without measured references (1-D Spread) record none
  }
  const dataset = collectDataset(task, uniformRandomPolicy(Rng.fromSeed(options.seed, "random-behaviour")), {
    samples,
    seed: options.seed,
    prey,
    numEnvs: options.numEnvs,
    onProgress: (done) => options.onProgress?.(done, samples),
    meta: {
      quality: options.quality,
      seed: options.seed,
      preySource,
      behaviourPolicy: "uniform_random",
      referenceScores: reference,
      kitVersion: KIT_VERSION,
      extra: { numEnvs: options.numEnvs ?? 1000 },
    },
  });
  await Deno.mkdir(dirname(dir), { recursive: true });
  const tmp = `${dir}.partial-${Deno.pid}`;
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
  await Deno.mkdir(tmp);
  await writeOmarDataset(tmp, dataset);
  if (await exists(dir)) await Deno.remove(dir, { recursive: true }); // only reached with force
  await Deno.rename(tmp, dir);
  return { dir, dataset };
}
