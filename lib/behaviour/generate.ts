/**
 * Dataset generation in OMAR's layout (paper §4.1), from the behaviour ladder:
 *
 * - `random`: uniform random actions, `samples` transitions;
 * - `expert`: the ladder's final snapshot with exploration noise N(0, 0.1);
 * - `medium`: the snapshot whose score is nearest one third of the way from the random reference to the
 *   expert's (D4RL's "medium"), with the same noise;
 * - `medium-replay`: what the online learner saw until it reached medium, regenerated from the ladder:
 *   uniform actions for the warm-up, then each snapshot with noise for as many env steps as the run took
 *   between it and the next (rounded to whole episodes); its size is set by the run, not `samples`;
 * - `full-replay`: the same over the whole ladder; `fraction` keeps a seeded random p% of its episodes
 *   (the dataset-size ablation, App. C.3);
 * - `waypoint` (Maze2D only): D4RL's noisy waypoint-controller data ({@link maze2dDataset}), rewards
 *   relabelled to the fixed goal as D4RL released them, normalised with D4RL's references; stored as one
 *   run cut every horizon (OMAR's layout derives timeouts from the episode length).
 *
 * The MuJoCo tasks work the same way (HalfCheetah's ladder; 100 environments side by side by default and
 * 100 reference episodes, their episodes being 40 times longer).
 *
 * References recorded with the dataset: random = the kit's uniform-random score, expert = the final
 * snapshot's deterministic score over 1000 episodes (100 on MuJoCo). Files go to a temporary folder
 * renamed into place at the end, so an interrupted run leaves nothing that looks complete.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { datasetDir, envIdForTask, writeOmarDataset } from "../data/omar_layout.ts";
import type { AgentData, DatasetMeta, MultiAgentDataset } from "../data/dataset.ts";
import type { Float64Policy } from "../envs/frozen_policy.ts";
import { loadPrey, type PreySource } from "../envs/prey.ts";
import { type JointPolicy, noisyPolicy, uniformRandomPolicy } from "../envs/policy.ts";
import type { AnyTask } from "../envs/env_task.ts";
import { loadTask, type MujocoTask } from "../mujoco/tasks.ts";
import { maze2dDataset } from "../mujoco/maze2d_data.ts";
import type { Maze2dEnv } from "../mujoco/maze2d.ts";
import { referenceScores } from "../eval/references.ts";
import { evaluate } from "../eval/rollout.ts";
import { checkName, KitInputError } from "../util/errors.ts";
import { QUALITIES, type Quality, qualityName, usesLadder } from "../tasks/qualities.ts";
import { taskProfile } from "../tasks/profiles.ts";
import { exists, type LockHolder, tryLock } from "../util/fs.ts";
import { Rng } from "../util/rng.ts";
import { KIT_VERSION } from "../util/version.ts";
import { collectDataset } from "./collect.ts";
import { type Ladder, nearestSnapshot, type Snapshot, snapshotJointPolicy } from "./ladder.ts";
import { loadLadder } from "./store.ts";
import {
  AUTHORS_DATASETS,
  type AuthorsDatasetStats,
  DATASET_VARIANTS,
  type DatasetVariant,
} from "./authors_data.ts";

export { QUALITIES, type Quality, qualityName, usesLadder } from "../tasks/qualities.ts";

/** Throws unless `task` has `quality` data (the qualities of its profile). */
function checkTaskQuality(task: string, quality: string): void {
  const { qualities } = taskProfile(task);
  if (!(qualities as readonly string[]).includes(quality)) {
    throw new KitInputError(`task ${task} has no ${quality} data; it has ${qualities.join(", ")}`);
  }
}

/** Another process is writing the dataset folder `dir` now (it holds `dir.lock`). */
export class DatasetBusyError extends KitInputError {
  /** Creates the error for `dir` held by `holder`. */
  constructor(readonly dir: string, readonly holder: LockHolder) {
    super(
      `${dir} is being written by another process (pid ${holder.pid} on ${holder.host}, since ${holder.since}); ` +
        `wait for it to finish, or remove ${dir}.lock if that process is gone`,
    );
    this.name = "DatasetBusyError";
  }
}

/** Removes `dir.partial-*` folders beside `dir` (left by interrupted writers; call only while holding `dir.lock`). */
async function sweepPartials(dir: string): Promise<void> {
  const prefix = `${basename(dir)}.partial-`;
  for await (const e of Deno.readDir(dirname(dir))) {
    if (e.name.startsWith(prefix)) await Deno.remove(join(dirname(dir), e.name), { recursive: true });
  }
}

/** Exploration noise of behaviour rollouts (the online trainer's). */
const BEHAVIOUR_NOISE = 0.1;

/** Options of {@link generateDataset}. */
export interface GenerateOptions {
  /** Task id. */
  task: string;
  /** Dataset quality. */
  quality: string;
  /** Dataset seed (the authors keep one dataset per training seed). */
  seed: number;
  /** Transitions for `random`, `medium`, `expert`. Default 1,000,000 (the paper's size). */
  samples?: number;
  /** Percent of the full replay's episodes to keep (`full-replay` only). Default 100. */
  fraction?: number;
  /** Prey source for tasks with a prey. Default `original`. */
  prey?: PreySource;
  /** For the original prey: weights file or folder (see `loadPrey`). */
  preyWeights?: string;
  /** The behaviour ladder; default the one for the task and prey source in `ladderDir`. */
  ladder?: Ladder;
  /** Folder of ladder files. Default: the kit's own ladders (`fixtures/behaviour`, see `loadLadder`). */
  ladderDir?: string;
  /** Root of the OMAR layout: the dataset goes to `<root>/<env_id>/<quality>/seed_<k>_data`. */
  out: string;
  /** Replace an existing dataset. Default false: an existing one is an error and stays untouched. */
  force?: boolean;
  /**
   * `kit` (default): medium is the rung one third of the way from random to expert, medium-replay the
   * replay up to it. `authors`: matched to the authors' datasets ({@link AUTHORS_DATASETS}): medium is
   * the rung nearest their medium data's mean return, medium-replay the replay up to that rung stretched
   * (each snapshot's share kept) to their transition count. Other qualities are the same in both.
   */
  variant?: DatasetVariant;
  /** Environments stepped side by side (part of the dataset's identity). Default 1000. */
  numEnvs?: number;
  /** Progress callback: transitions collected so far of the total. */
  onProgress?: (done: number, total: number) => void;
}

/** Concatenates datasets of the same task (episodes stay whole). */
export function concatDatasets(parts: MultiAgentDataset[], meta: DatasetMeta): MultiAgentDataset {
  const size = parts.reduce((s, p) => s + p.size, 0);
  const agents = parts[0].agents.map((a0, i): AgentData => {
    const cat = <T extends Float32Array | Uint8Array>(
      pick: (a: AgentData) => T,
      make: (n: number) => T,
      w: number,
    ) => {
      const out = make(size * w);
      let off = 0;
      for (const p of parts) out.set(pick(p.agents[i]), off), off += p.size * w;
      return out;
    };
    const f = (n: number) => new Float32Array(n), u = (n: number) => new Uint8Array(n);
    const sd = a0.stateDim;
    return {
      ...(sd
        ? {
          states: cat((a) => a.states!, f, sd),
          nextStates: cat((a) => a.nextStates!, f, sd),
          stateDim: sd,
        }
        : {}),
      obs: cat((a) => a.obs, f, a0.obsDim),
      actions: cat((a) => a.actions, f, a0.actDim),
      rewards: cat((a) => a.rewards, f, 1),
      nextObs: cat((a) => a.nextObs, f, a0.obsDim),
      terminals: cat((a) => a.terminals, u, 1),
      timeouts: cat((a) => a.timeouts, u, 1),
      obsDim: a0.obsDim,
      actDim: a0.actDim,
    };
  });
  return { size, agents, meta };
}

/** Keeps a seeded random `percent`% of the episodes (at least one), in their original order. */
export function episodeSubset(ds: MultiAgentDataset, percent: number, rng: Rng): MultiAgentDataset {
  const T = ds.meta.episodeLength, episodes = Math.floor(ds.size / T);
  const keep = Math.max(1, Math.round((episodes * percent) / 100));
  const order = Array.from({ length: episodes }, (_, i) => i);
  for (let i = episodes - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const chosen = order.slice(0, keep).sort((a, b) => a - b);
  const slice = (e: number): MultiAgentDataset => ({
    size: T,
    meta: ds.meta,
    agents: ds.agents.map((a) => ({
      ...a,
      obs: a.obs.subarray(e * T * a.obsDim, (e + 1) * T * a.obsDim),
      actions: a.actions.subarray(e * T * a.actDim, (e + 1) * T * a.actDim),
      rewards: a.rewards.subarray(e * T, (e + 1) * T),
      nextObs: a.nextObs.subarray(e * T * a.obsDim, (e + 1) * T * a.obsDim),
      terminals: a.terminals.subarray(e * T, (e + 1) * T),
      timeouts: a.timeouts.subarray(e * T, (e + 1) * T),
      ...(a.states && a.stateDim
        ? {
          states: a.states.subarray(e * T * a.stateDim, (e + 1) * T * a.stateDim),
          nextStates: a.nextStates!.subarray(e * T * a.stateDim, (e + 1) * T * a.stateDim),
        }
        : {}),
    })),
  });
  return concatDatasets(chosen.map(slice), ds.meta);
}

/** The authors' medium and medium-replay statistics of `task`, or a named error where they are unknown. */
function authorsStats(task: string): { medium: AuthorsDatasetStats; replay: AuthorsDatasetStats } {
  const a = AUTHORS_DATASETS[task];
  if (!a?.medium || !a["medium-replay"]?.transitions) {
    throw new KitInputError(
      `the authors-matched dataset variant needs the authors' statistics; known for ${
        Object.keys(AUTHORS_DATASETS).join(", ")
      }, not ${task}`,
    );
  }
  return { medium: a.medium, replay: a["medium-replay"] };
}

/**
 * The rung whose data (its policy with the behaviour noise) return nearest `target`: the three rungs
 * nearest by deterministic score are scored with noise (`noisyReturn`), since the noise lowers returns
 * by different amounts on different tasks.
 */
function authorsMediumRung(
  ladder: Ladder,
  target: number,
  noisyReturn: (policy: JointPolicy) => number,
): { index: number; snapshot: Snapshot } {
  const candidates = ladder.snapshots.map((s, index) => ({ index, gap: Math.abs(s.score - target) }))
    .sort((a, b) => a.gap - b.gap).slice(0, 3)
    .map(({ index }) => ({
      index,
      gap: Math.abs(noisyReturn(snapshotJointPolicy(ladder.snapshots[index])) - target),
    }));
  const { index } = candidates.reduce((a, b) => (b.gap < a.gap ? b : a));
  return { index, snapshot: ladder.snapshots[index] };
}

/**
 * Scales replay segments (whole episodes of `T` steps each) so that they add up to exactly `target` steps,
 * each keeping its share; rounding goes to the last segment.
 */
export function stretchSegments<S extends { steps: number }>(segments: S[], target: number, T: number): S[] {
  if (target % T !== 0) {
    throw new KitInputError(`stretchSegments: ${target} is not a whole number of ${T}-step episodes`);
  }
  const total = segments.reduce((a, s) => a + s.steps, 0);
  const out = segments.map((s) => ({
    ...s,
    steps: Math.max(T, Math.round((s.steps * target) / total / T) * T),
  }));
  const rest = target - out.slice(0, -1).reduce((a, s) => a + s.steps, 0);
  if (rest < T) {
    throw new KitInputError(`stretchSegments: cannot fit ${segments.length} segments into ${target} steps`);
  }
  out[out.length - 1].steps = rest;
  return out;
}

/** The datasets of one quality, built in memory (see the module doc for what each is). */
export function buildDataset(
  task: AnyTask,
  quality: Quality,
  options: {
    seed: number;
    samples: number;
    ladder: Ladder | null;
    prey: Float64Policy | null;
    randomReference: number;
    fraction?: number;
    numEnvs?: number;
    variant?: DatasetVariant;
    meta: Omit<DatasetMeta, "episodeLength" | "task" | "quality" | "behaviourPolicy">;
    onProgress?: (done: number, total: number) => void;
  },
): MultiAgentDataset {
  const T = task.episodeLength;
  checkTaskQuality(task.name, quality);
  if (quality === "waypoint") {
    const env = (task as MujocoTask).makeEnv() as Maze2dEnv;
    try {
      const ds = maze2dDataset(env, {
        samples: options.samples,
        seed: options.seed,
        onProgress: options.onProgress,
      });
      // OMAR's layout stores no timeouts: they follow from the episode length. D4RL's "episodes" (a target
      // reached) are no boundary for learning here: the ball runs on and rewards are relabelled to the
      // fixed goal, so the file keeps one long run cut every horizon (counts of D4RL's done rows in extra).
      const H = ds.meta.episodeLength;
      for (const a of ds.agents) a.timeouts.forEach((_, k) => a.timeouts[k] = (k + 1) % H === 0 ? 1 : 0);
      return { ...ds, meta: { ...ds.meta, kitVersion: options.meta.kitVersion } };
    } finally {
      env.dispose();
    }
  }
  const noise = (p: JointPolicy, stream: string) =>
    noisyPolicy(p, Rng.fromSeed(options.seed, stream), { sigma: BEHAVIOUR_NOISE });
  const collect = (
    policy: JointPolicy,
    samples: number,
    stream: string,
    behaviourPolicy: string,
    done = 0,
    total = samples,
  ) =>
    collectDataset(task, policy, {
      samples,
      seed: options.seed,
      prey: options.prey,
      numEnvs: options.numEnvs,
      episodeStream: stream,
      onProgress: (n) => options.onProgress?.(done + n, total),
      meta: { ...options.meta, quality, behaviourPolicy },
    });
  if (quality === "random") {
    return collect(
      uniformRandomPolicy(Rng.fromSeed(options.seed, "random-behaviour")),
      options.samples,
      "data",
      "uniform_random",
    );
  }
  const ladder = options.ladder;
  if (!ladder) throw new KitInputError(`quality "${quality}" needs the behaviour ladder of ${task.name}`);
  const last = ladder.snapshots.length - 1;
  const expertScore = ladder.snapshots[last].score;
  const authors = options.variant === "authors" ? authorsStats(task.name) : null;
  const medium = authors
    ? authorsMediumRung(
      ladder,
      authors.medium.mean,
      (p) =>
        evaluate(task, noisyPolicy(p, Rng.fromSeed(0, "authors-rung"), { sigma: BEHAVIOUR_NOISE }), {
          episodes: 200,
          seed: 0,
          prey: options.prey,
        }).mean,
    )
    : nearestSnapshot(ladder, options.randomReference + (expertScore - options.randomReference) / 3);
  if (quality === "expert" || quality === "medium") {
    const index = quality === "expert" ? last : medium.index;
    const s = ladder.snapshots[index];
    return collect(
      noise(snapshotJointPolicy(s), "behaviour-noise"),
      options.samples,
      "data",
      `ladder snapshot ${index} (${s.updates} updates, score ${s.score.toFixed(1)})` +
        (authors && quality === "medium"
          ? `, nearest the authors' medium return ${authors.medium.mean}`
          : ""),
    );
  }
  // replays: warm-up with uniform actions, then snapshot j for the env steps up to snapshot j + 1
  const upTo = quality === "medium-replay" ? medium.index : last;
  const warmup = Number(ladder.config.warmupSteps ?? 0);
  const segments: { policy: JointPolicy; steps: number; name: string }[] = [];
  if (warmup > 0) {
    segments.push({
      policy: uniformRandomPolicy(Rng.fromSeed(options.seed, "replay-warmup")),
      steps: warmup,
      name: "warmup",
    });
  }
  for (let j = 0; j < upTo; j++) {
    const steps = ladder.snapshots[j + 1].envSteps - ladder.snapshots[j].envSteps - (j === 0 ? warmup : 0);
    segments.push({
      policy: noise(snapshotJointPolicy(ladder.snapshots[j]), `replay-noise-${j}`),
      steps,
      name: `snapshot ${j}`,
    });
  }
  let rounded = segments.map((s) => ({ ...s, steps: Math.max(T, Math.round(s.steps / T) * T) }));
  if (authors && quality === "medium-replay") {
    rounded = stretchSegments(rounded, authors.replay.transitions!, T);
  }
  const total = rounded.reduce((a, s) => a + s.steps, 0);
  let done = 0;
  const parts = rounded.map((s, j) => {
    const part = collect(s.policy, s.steps, `replay-${j}`, s.name, done, total);
    done += s.steps;
    return part;
  });
  const meta: DatasetMeta = {
    ...options.meta,
    task: task.name,
    quality,
    episodeLength: T,
    behaviourPolicy: `ladder replay: warm-up + snapshots 0..${upTo - 1} (medium = snapshot ${medium.index})` +
      (authors ? `, stretched to the authors' ${total} transitions` : ""),
  };
  const full = concatDatasets(parts, meta);
  const pct = options.fraction ?? 100;
  return pct >= 100 ? full : episodeSubset(full, pct, Rng.fromSeed(options.seed, "fraction"));
}

/** Generates one dataset and writes it; returns its folder and the dataset. */
export async function generateDataset(
  options: GenerateOptions,
): Promise<{ dir: string; dataset: MultiAgentDataset }> {
  const task = await loadTask(options.task);
  const mujoco = !("world" in task);
  if (!(QUALITIES as readonly string[]).includes(options.quality)) {
    throw new KitInputError(`unknown quality "${options.quality}"; expected one of: ${QUALITIES.join(", ")}`);
  }
  const quality = options.quality as Quality;
  const fraction = options.fraction ?? 100;
  if (!(fraction > 0 && fraction <= 100)) {
    throw new KitInputError(`fraction must be in (0, 100], got ${fraction}`);
  }
  if (fraction < 100 && quality !== "full-replay") {
    throw new KitInputError("--fraction applies to full-replay only");
  }
  checkTaskQuality(task.name, quality);
  const variant = checkName("dataset variant", options.variant ?? "kit", DATASET_VARIANTS);
  if (variant === "authors" && usesLadder(quality)) authorsStats(task.name); // a named error before any work
  const preySource = task.prey === null ? null : options.prey ?? "original";
  const numEnvs = options.numEnvs ?? (mujoco ? 100 : 1000);
  const episodes = mujoco ? 100 : 1000;
  const ladder = usesLadder(quality)
    ? options.ladder ?? await loadLadder(task.name, preySource, options.ladderDir)
    : null;
  const prey = preySource && "world" in task
    ? await loadPrey(task, { source: preySource, path: options.preyWeights })
    : null;
  const qualityDir = qualityName(quality, fraction);
  const dir = datasetDir(options.out, envIdForTask(task.name), qualityDir, options.seed);
  const refuseExisting = async () => {
    if (!options.force && await exists(dir)) {
      throw new KitInputError(`${dir} already exists; pass --force to replace it`);
    }
  };
  await refuseExisting();
  // one writer per folder: a lock beside it, taken before the work and held until the rename
  await Deno.mkdir(dirname(dir), { recursive: true });
  const lock = await tryLock(`${dir}.lock`);
  if (!("release" in lock)) throw new DatasetBusyError(dir, lock.holder);
  try {
    await refuseExisting(); // another writer may have finished it while this one started
    await sweepPartials(dir);
    let table = null;
    try {
      table = referenceScores(task.name, preySource);
    } catch {
      table = null; // no measured references (1-D Spread, MuJoCo)
    }
    const score = (policy: JointPolicy) => evaluate(task, policy, { episodes, seed: 0, prey, numEnvs }).mean;
    const references = ladder
      ? {
        random: table?.random ?? score(uniformRandomPolicy(Rng.fromSeed(0, "random-reference"))),
        expert: score(snapshotJointPolicy(ladder.snapshots[ladder.snapshots.length - 1])),
        source:
          `random: kit uniform-random score; expert: the ladder's final snapshot, ${episodes} deterministic episodes`,
      }
      : table;
    const dataset = buildDataset(task, quality, {
      seed: options.seed,
      samples: options.samples ?? 1_000_000,
      ladder,
      prey,
      randomReference: references?.random ?? 0, // used with a ladder only
      fraction,
      numEnvs,
      variant,
      onProgress: options.onProgress,
      meta: {
        seed: options.seed,
        preySource,
        referenceScores: references,
        kitVersion: KIT_VERSION,
        extra: {
          numEnvs,
          ...(fraction < 100 ? { fraction } : {}),
          ...(variant === "authors" ? { variant } : {}),
        },
      },
    });
    const tmp = `${dir}.partial-${Deno.pid}`;
    await Deno.mkdir(tmp);
    try {
      await writeOmarDataset(tmp, dataset);
      if (await exists(dir)) await Deno.remove(dir, { recursive: true }); // only reached with force
      await Deno.rename(tmp, dir);
    } catch (err) {
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
      throw err;
    }
    return { dir, dataset };
  } finally {
    await lock.release();
  }
}
