/**
 * Update-round throughput for `deno task bench train`: full rounds (every learner's minibatch draw,
 * critic and actor updates, target updates) per second, timed the way the PyTorch reference of the
 * authors' step (shared/bench/omar_step_torch.py) times its own.
 *
 * @module
 */
import { collectDataset } from "../behaviour/collect.ts";
import { uniformRandomPolicy } from "../envs/policy.ts";
import { type AnyTask, asEnvTask } from "../envs/env_task.ts";
import type { Float64Policy } from "../envs/frozen_policy.ts";
import { parseNumber } from "../util/numbers.ts";
import { Rng } from "../util/rng.ts";
import { type AlgorithmOptions, makeAlgorithm } from "./registry.ts";
import { Minibatcher } from "./train.ts";

/** Options of {@link benchTrain}. */
export interface BenchTrainOptions {
  /** Timed rounds. Default 20. */
  rounds?: number;
  /** Untimed rounds first. Default 3. */
  warmup?: number;
  /** Minibatch size. Default 1024. */
  batchSize?: number;
  /** Transitions in the synthetic (uniform-random) dataset. Default 100,000. */
  samples?: number;
  /** Dataset quality whose preset coefficients apply. Default `medium` (as the reference). */
  quality?: string;
  /** Algorithm options (critic kind, ...). */
  algorithm?: AlgorithmOptions;
  /** The frozen prey, for tasks with one (dataset generation only). */
  prey?: Float64Policy | null;
}

/** Measured throughput. */
export interface BenchTrainResult {
  /** Algorithm name. */
  algo: string;
  /** Task id. */
  task: string;
  /** Full update rounds per second. */
  roundsPerSecond: number;
  /** Milliseconds per round. */
  msPerRound: number;
  /** Minibatch size. */
  batchSize: number;
}

/** Times `algo` on `task` (particle or MuJoCo; with the task's settings and, on HalfCheetah, its state). */
export function benchTrain(
  algo: string,
  anyTask: AnyTask,
  options: BenchTrainOptions = {},
): BenchTrainResult {
  const task = asEnvTask(anyTask);
  const positive = { integer: true, min: 1 };
  const rounds = parseNumber("benchTrain: rounds", options.rounds ?? 20, positive);
  const warmup = parseNumber("benchTrain: warmup", options.warmup ?? 3, { integer: true, min: 0 });
  const B = parseNumber("benchTrain: batchSize", options.batchSize ?? 1024, positive);
  const samples = parseNumber("benchTrain: samples", options.samples ?? 100_000, positive);
  const dataset = collectDataset(task, uniformRandomPolicy(Rng.fromSeed(0, "bench")), {
    samples,
    seed: 0,
    prey: options.prey,
    meta: {
      quality: "random",
      seed: 0,
      preySource: null,
      behaviourPolicy: "uniform_random",
      referenceScores: null,
      kitVersion: "",
    },
  });
  const spec = {
    obsDims: task.learners.map((i) => task.obsDims[i]),
    actDim: task.actDim,
    ...(task.stateDim ? { stateDim: task.stateDim } : {}),
  };
  const algorithm = makeAlgorithm(algo, spec, {
    ...options.algorithm,
    context: { task: task.name, quality: options.quality ?? "medium" },
  });
  const batches = new Minibatcher(algorithm, { dataset, task }, { batchSize: B, seed: 0 });
  for (let i = 0; i < warmup; i++) algorithm.update(batches.next());
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) algorithm.update(batches.next());
  const ms = (performance.now() - t0) / rounds;
  algorithm.dispose();
  return { algo, task: task.name, roundsPerSecond: 1000 / ms, msPerRound: ms, batchSize: B };
}
