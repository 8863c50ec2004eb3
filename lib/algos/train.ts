/**
 * The offline training loop: dataset in; every round each learner gets a minibatch (drawn with
 * replacement from its own seeded stream, or one shared draw for centralized critics) and the algorithm
 * updates; every `evalEvery` rounds the policy is evaluated on fixed episodes; a learning curve comes
 * out. With a checkpoint path it saves everything (algorithm, streams, curve) atomically — float32
 * arrays bit for bit — and resumes from it, giving the same numbers as an uninterrupted run.
 *
 * @module
 */
import type { MultiAgentDataset } from "../data/dataset.ts";
import { allocBatch, type Batch, gatherBatch, sampleIndices } from "../data/sampler.ts";
import type { Float64Policy } from "../envs/frozen_policy.ts";
import type { ParticleTask } from "../envs/task.ts";
import { normalizedScore, type ReferenceScores } from "../eval/references.ts";
import { evaluate } from "../eval/rollout.ts";
import { KitInputError } from "../util/errors.ts";
import { writeFileAtomic } from "../util/fs.ts";
import { Rng, type RngState } from "../util/rng.ts";
import { decodeState, type EncodedState, encodeState } from "../nn/state.ts";
import type { AlgorithmState, OfflineAlgorithm } from "./types.ts";

/** One point of a learning curve. */
export interface CurvePoint {
  /** Update rounds done. */
  round: number;
  /** Mean evaluation score. */
  score: number;
  /** Normalised score, when references are known. */
  normalized: number | null;
}

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
  /** Seed of the minibatch streams. Default 0. */
  seed?: number;
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

/** Trains `algorithm` on `dataset` for `task`'s learners; returns the learning curve. */
export async function trainOffline(
  algorithm: OfflineAlgorithm,
  data: { dataset: MultiAgentDataset; task: ParticleTask },
  options: TrainOptions,
): Promise<TrainResult> {
  const { dataset, task } = data;
  const learners = task.learners;
  if (dataset.agents.length < task.world.numAgents) {
    throw new KitInputError(
      `dataset has ${dataset.agents.length} agents, task ${task.name} needs ${task.world.numAgents} (env order)`,
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
  const B = options.batchSize ?? 1024, evalEvery = options.evalEvery ?? 10;
  const seed = options.seed ?? 0;
  let streams = learners.map((_, k) => Rng.fromSeed(seed, `minibatch-${k}`));
  const batches: Batch[] = learners.map((i) => allocBatch(task.obsDims[i], task.actDim, B));
  const indices = learners.map(() => new Int32Array(B));
  const nextActions = algorithm.needsNextActions
    ? learners.map(() => new Float32Array(B * task.actDim))
    : null;
  const successor = algorithm.needsNextActions ? rowsWithSuccessor(dataset) : null;
  if (successor && successor.length === 0) {
    throw new KitInputError("dataset has no transition with a next step");
  }

  let round = 0;
  let curve: CurvePoint[] = [];
  let lastMetrics: Record<string, number> = {};
  if (options.checkpointPath) {
    const ck = await readCheckpoint(options.checkpointPath);
    if (ck) {
      round = ck.round, curve = ck.curve, lastMetrics = ck.lastMetrics;
      streams = ck.streams.map((s) => Rng.fromState(s));
      algorithm.load(ck.algorithm);
    }
  }
  const evalNow = () => {
    const r = evaluate(task, algorithm.policy(), {
      episodes: options.evalEpisodes ?? 10,
      seed: options.evalSeed ?? 100,
      prey: options.prey,
    });
    const point = {
      round,
      score: r.mean,
      normalized: options.references ? normalizedScore(r.mean, options.references) : null,
    };
    curve.push(point);
    options.onEval?.(point, lastMetrics);
  };
  const save = async () => {
    if (!options.checkpointPath) return;
    const ck: Checkpoint = {
      format: "omar-kit-train-v1",
      round,
      curve,
      streams: streams.map((s) => s.state()),
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
    // minibatches: each learner from its own stream, or one shared draw (stream 0) for joint sampling
    learners.forEach((agent, k) => {
      if (!algorithm.jointSampling || k === 0) {
        const rng = streams[k];
        if (successor) {
          for (let b = 0; b < B; b++) indices[k][b] = successor[rng.int(successor.length)];
        } else sampleIndices(rng, dataset.size, indices[k]);
      } else indices[k].set(indices[0]);
      gatherBatch(dataset.agents[agent], indices[k], batches[k]);
      if (nextActions) {
        const acts = dataset.agents[agent].actions, d = task.actDim;
        for (let b = 0; b < B; b++) {
          nextActions[k].set(acts.subarray((indices[k][b] + 1) * d, (indices[k][b] + 2) * d), b * d);
        }
      }
    });
    lastMetrics = algorithm.update({ batches, nextActions });
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
