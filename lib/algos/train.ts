/**
 * The offline training loop: dataset in; every round each learner gets a minibatch (drawn with
 * replacement from its own seeded stream, or one shared draw for centralized critics; with `minibatches:
 * "reseed"` the streams restart at every evaluation, as the authors' loop does) and the algorithm
 * updates; every `evalEvery` rounds the policy is evaluated on fixed episodes; a learning curve comes
 * out. With a checkpoint path it saves everything (algorithm, streams, curve) atomically — float32
 * arrays bit for bit — and resumes from it, giving the same numbers as an uninterrupted run.
 *
 * @module
 */
import type { MultiAgentDataset } from "../data/dataset.ts";
import { allocBatch, type Batch, gatherBatch, sampleIndices } from "../data/sampler.ts";
import type { Float64Policy } from "../envs/frozen_policy.ts";
import { type AnyTask, asEnvTask, type EnvTask } from "../envs/env_task.ts";
import { checkReferences, normalizedScore, type ReferenceScores } from "../eval/references.ts";
import { type EpisodeSource, evaluate } from "../eval/rollout.ts";
import { dirname } from "node:path";
import { parseNumber } from "../util/numbers.ts";
import { checkName, KitInputError } from "../util/errors.ts";
import { ensureWritableDir, writeFileAtomic } from "../util/fs.ts";
import { Rng, type RngState } from "../util/rng.ts";
import { decodeState, type EncodedState, encodeState } from "../nn/state.ts";
import type { AlgorithmState, OfflineAlgorithm, RoundBatches } from "./types.ts";

/** One point of a learning curve. */
export interface CurvePoint {
  /** Update rounds done. */
  round: number;
  /** Mean evaluation score. */
  score: number;
  /** Normalised score, when references are known. */
  normalized: number | null;
}

/**
 * How minibatch indices are drawn. `fresh`: each learner's stream runs on for the whole run, so every
 * round sees new rows. `reseed`: the authors' `main.py` (official-code.md §4): the streams restart from
 * the same state at every evaluation (their global NumPy generator is re-seeded there), so the
 * minibatches drawn between two evaluations repeat for the whole run (at most `evalEvery × B` distinct
 * rows per learner).
 */
export type MinibatchMode = "fresh" | "reseed";

/** The minibatch modes, `fresh` (the default) first. */
export const MINIBATCH_MODES: readonly MinibatchMode[] = ["fresh", "reseed"];

/** Options of {@link trainOffline}. */
export interface TrainOptions {
  /** Update rounds (one round = every learner updated once, then the targets). */
  rounds: number;
  /** Minibatch size. Default 1024. */
  batchSize?: number;
  /** Rounds between evaluations (the code: every 10 rounds). Default 10. */
  evalEvery?: number;
  /** Episodes per evaluation. Default 10. */
  evalEpisodes?: number;
  /** Seed of the evaluation episodes (the same episodes every time). Default 100. */
  evalSeed?: number;
  /**
   * Where evaluation episodes come from: `kit` (default; episode k from stream `(evalSeed, eval-episode-k)`)
   * or `numpy` (particle tasks: the authors' episodes, NumPy seeded with `evalSeed` and reset in sequence,
   * as `main.py`'s `eval_policy` with `evalSeed = seed + 100`).
   */
  evalEpisodeSource?: EpisodeSource;
  /** Seed of the minibatch streams. Default 0. */
  seed?: number;
  /** `fresh` (default) or `reseed` (the authors' repetition: streams restart at every evaluation). */
  minibatches?: MinibatchMode;
  /** The frozen prey for evaluation (tasks with one). */
  prey?: Float64Policy | null;
  /** References for the normalised score. */
  references?: ReferenceScores | null;
  /** Save a checkpoint here every `checkpointEvery` rounds, and resume from it when it exists. */
  checkpointPath?: string;
  /** Rounds between checkpoints. Default 50. */
  checkpointEvery?: number;
  /** Called after every evaluation. */
  onEval?: (point: CurvePoint, metrics: Record<string, number>) => void;
  /** Stop after this many rounds in this call (to test resumption); the run is not finished then. */
  stopAfter?: number;
}

/** What {@link trainOffline} returns. */
export interface TrainResult {
  /** Evaluations in round order (round 0 included). */
  curve: CurvePoint[];
  /** The last evaluation. */
  final: CurvePoint;
  /** The best evaluation. */
  best: CurvePoint;
  /** Metrics of the last update round. */
  lastMetrics: Record<string, number>;
  /** Whether all rounds ran (false when `stopAfter` cut the call short). */
  finished: boolean;
}

interface Checkpoint {
  format: "omar-kit-train-v1";
  round: number;
  curve: CurvePoint[];
  streams: RngState[];
  algorithm: AlgorithmState;
  lastMetrics: Record<string, number>;
}

/** Rows whose next row continues the same episode (for next-action targets). */
export function rowsWithSuccessor(ds: MultiAgentDataset): Int32Array {
  const a = ds.agents[0];
  const rows: number[] = [];
  for (let k = 0; k + 1 < ds.size; k++) if (!a.terminals[k] && !a.timeouts[k]) rows.push(k);
  return Int32Array.from(rows);
}

/**
 * Draws each round's minibatches: per learner from its own seeded stream with replacement, or one
 * shared draw (stream 0) when the algorithm samples jointly; with the dataset's next actions when the
 * algorithm asks (then only rows whose episode continues are drawn). Reuses its buffers.
 */
export class Minibatcher {
  /** The per-learner streams (saved in checkpoints). */
  streams: Rng[];
  readonly #seed: number;
  readonly #algorithm: OfflineAlgorithm;
  readonly #dataset: MultiAgentDataset;
  readonly #task: AnyTask;
  readonly #batches: Batch[];
  readonly #indices: Int32Array[];
  readonly #nextActions: Float32Array[] | null;
  readonly #successor: Int32Array | null;

  /** Buffers for `batchSize` rows per learner; streams `(seed, minibatch-k)`. */
  constructor(
    algorithm: OfflineAlgorithm,
    data: { dataset: MultiAgentDataset; task: AnyTask },
    options: { batchSize: number; seed: number },
  ) {
    const { dataset, task } = data, B = options.batchSize;
    this.#algorithm = algorithm, this.#dataset = dataset, this.#task = task;
    this.#seed = options.seed;
    this.streams = [];
    this.restart();
    this.#batches = task.learners.map((i) =>
      allocBatch(task.obsDims[i], task.actDim, B, { stateDim: dataset.agents[i].stateDim })
    );
    this.#indices = task.learners.map(() => new Int32Array(B));
    this.#nextActions = algorithm.needsNextActions
      ? task.learners.map(() => new Float32Array(B * task.actDim))
      : null;
    this.#successor = algorithm.needsNextActions ? rowsWithSuccessor(dataset) : null;
    if (this.#successor && this.#successor.length === 0) {
      throw new KitInputError("dataset has no transition with a next step");
    }
  }

  /** Puts every stream back to its initial state (`reseed` mode does this at every evaluation). */
  restart(): void {
    this.streams = this.#task.learners.map((_, k) => Rng.fromSeed(this.#seed, `minibatch-${k}`));
  }

  /** The next round's minibatches. */
  next(): RoundBatches {
    const task = this.#task, d = task.actDim, successor = this.#successor, idx = this.#indices;
    task.learners.forEach((agent, k) => {
      if (!this.#algorithm.jointSampling || k === 0) {
        const rng = this.streams[k];
        if (successor) {
          for (let b = 0; b < idx[k].length; b++) idx[k][b] = successor[rng.int(successor.length)];
        } else sampleIndices(rng, this.#dataset.size, idx[k]);
      } else idx[k].set(idx[0]);
      gatherBatch(this.#dataset.agents[agent], idx[k], this.#batches[k]);
      if (this.#nextActions) {
        const acts = this.#dataset.agents[agent].actions, out = this.#nextActions[k];
        for (let b = 0; b < idx[k].length; b++) {
          out.set(acts.subarray((idx[k][b] + 1) * d, (idx[k][b] + 2) * d), b * d);
        }
      }
    });
    return { batches: this.#batches, nextActions: this.#nextActions };
  }
}

/** Trains `algorithm` on `dataset` for `task`'s learners; returns the learning curve. */
export async function trainOffline(
  algorithm: OfflineAlgorithm,
  data: { dataset: MultiAgentDataset; task: AnyTask },
  options: TrainOptions,
): Promise<TrainResult> {
  const { dataset } = data, task = asEnvTask(data.task);
  const learners = task.learners;
  checkTrainOptions(options);
  checkAlgorithmFits(algorithm, task);
  if (options.references) checkReferences(options.references);
  if (!(dataset.size >= 1)) {
    throw new KitInputError(`dataset has ${dataset.size} transitions; expected at least 1`);
  }
  if (dataset.agents.length < task.numAgents) {
    throw new KitInputError(
      `dataset has ${dataset.agents.length} agents, task ${task.name} needs ${task.numAgents} (env order)`,
    );
  }
  learners.forEach((i) => {
    const a = dataset.agents[i];
    if (a.obsDim !== task.obsDims[i] || a.actDim !== task.actDim) {
      throw new KitInputError(
        `dataset agent ${i} has obs ${a.obsDim} / act ${a.actDim}; task ${task.name} needs ${
          task.obsDims[i]
        } / ${task.actDim}`,
      );
    }
  });
  if (options.checkpointPath) await checkCheckpointFolder(options.checkpointPath);
  const B = options.batchSize ?? 1024, evalEvery = options.evalEvery ?? 10;
  const mode = checkName("minibatch mode", options.minibatches ?? "fresh", MINIBATCH_MODES);
  const minibatches = new Minibatcher(algorithm, data, { batchSize: B, seed: options.seed ?? 0 });

  let round = 0;
  let curve: CurvePoint[] = [];
  let lastMetrics: Record<string, number> = {};
  if (options.checkpointPath) {
    const ck = await readCheckpoint(options.checkpointPath);
    if (ck) {
      round = ck.round, curve = ck.curve, lastMetrics = ck.lastMetrics;
      minibatches.streams = ck.streams.map((s) => Rng.fromState(s));
      algorithm.load(ck.algorithm);
    }
  }
  const evalNow = () => {
    const r = evaluate(data.task, algorithm.policy(), {
      episodes: options.evalEpisodes ?? 10,
      seed: options.evalSeed ?? 100,
      episodeSource: options.evalEpisodeSource,
      prey: options.prey,
    });
    const point = {
      round,
      score: r.mean,
      normalized: options.references ? normalizedScore(r.mean, options.references) : null,
    };
    curve.push(point);
    if (mode === "reseed") minibatches.restart();
    options.onEval?.(point, lastMetrics);
  };
  const save = async () => {
    if (!options.checkpointPath) return;
    const ck: Checkpoint = {
      format: "omar-kit-train-v1",
      round,
      curve,
      streams: minibatches.streams.map((s) => s.state()),
      algorithm: algorithm.save(),
      lastMetrics,
    };
    await writeFileAtomic(options.checkpointPath, JSON.stringify(encodeState(ck)));
  };
  if (curve.length === 0) evalNow();
  const stopAt = options.stopAfter === undefined
    ? options.rounds
    : Math.min(options.rounds, round + options.stopAfter);
  while (round < stopAt) {
    lastMetrics = algorithm.update(minibatches.next());
    round++;
    if (round % evalEvery === 0 || round === options.rounds) evalNow();
    if (options.checkpointPath && (round % (options.checkpointEvery ?? 50) === 0 || round === stopAt)) {
      await save();
    }
  }
  const finished = round >= options.rounds;
  const final = curve[curve.length - 1];
  const best = curve.reduce((a, b) => (b.score > a.score ? b : a));
  return { curve, final, best, lastMetrics, finished };
}

/** Every count of `options` a whole number in range: a {@link KitInputError} naming it otherwise. */
function checkTrainOptions(options: TrainOptions): void {
  const counts: [keyof TrainOptions, number][] = [
    ["rounds", 0],
    ["batchSize", 1],
    ["evalEvery", 1],
    ["evalEpisodes", 1],
    ["checkpointEvery", 1],
    ["stopAfter", 0],
    ["seed", 0],
    ["evalSeed", 0],
  ];
  for (const [key, min] of counts) {
    const v = options[key];
    if (v !== undefined || key === "rounds") parseNumber(`trainOffline: ${key}`, v, { integer: true, min });
  }
}

/** The algorithm's learners (when it says) match the task's: count, observation, action and state sizes. */
function checkAlgorithmFits(algorithm: OfflineAlgorithm, task: EnvTask): void {
  const spec = algorithm.spec;
  if (!spec) return;
  const learners = task.learners, who = `algorithm ${algorithm.name}`;
  if (spec.obsDims.length !== learners.length) {
    throw new KitInputError(
      `${who} was built for ${spec.obsDims.length} learners (obsDims [${spec.obsDims.join(", ")}]); ` +
        `task ${task.name} has ${learners.length} (agents ${learners.join(", ")}, obsDims [${
          learners.map((i) => task.obsDims[i]).join(", ")
        }])`,
    );
  }
  learners.forEach((agent, k) => {
    if (spec.obsDims[k] !== task.obsDims[agent]) {
      throw new KitInputError(
        `${who} learner ${k} takes ${spec.obsDims[k]}-D observations; task ${task.name} agent ${agent} has ${
          task.obsDims[agent]
        }`,
      );
    }
  });
  if (spec.actDim !== task.actDim) {
    throw new KitInputError(`${who} has actDim ${spec.actDim}; task ${task.name} has ${task.actDim}`);
  }
  if (spec.stateDim !== undefined && task.stateDim !== undefined && spec.stateDim !== task.stateDim) {
    throw new KitInputError(`${who} has stateDim ${spec.stateDim}; task ${task.name} has ${task.stateDim}`);
  }
}

/** The checkpoint's folder exists and takes files, before any training (the error names the folder). */
async function checkCheckpointFolder(path: string): Promise<void> {
  const dir = dirname(path);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new KitInputError(`checkpoint ${path}: folder ${dir} does not exist; create it first`);
    }
    if (err instanceof Deno.errors.NotADirectory) {
      throw new KitInputError(`checkpoint ${path}: ${dir} is not a folder (a file stands in its path)`);
    }
    throw err;
  }
  if (!info.isDirectory) throw new KitInputError(`checkpoint ${path}: ${dir} is a file, not a folder`);
  await ensureWritableDir(dir, `checkpoint ${path}: folder`);
  let target: Deno.FileInfo | null = null;
  try {
    target = await Deno.stat(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  if (target && !target.isFile) throw new KitInputError(`checkpoint ${path}: not a file (a folder?)`);
}

async function readCheckpoint(path: string): Promise<Checkpoint | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
  try {
    const ck = decodeState<Checkpoint>(JSON.parse(text) as EncodedState);
    if (ck.format !== "omar-kit-train-v1") throw new Error(`format ${ck.format}`);
    return ck;
  } catch (err) {
    throw new KitInputError(
      `${path}: not a training checkpoint (${(err as Error).message}); remove it to start over`,
    );
  }
}
