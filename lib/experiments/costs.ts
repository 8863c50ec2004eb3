/**
 * What a run costs, from measurement: `deno task bench train --algo all --task T --rounds 40` on one idle
 * core of the project's machine kind (2026-12-02, commit 36a0a50), per learner and update round at
 * B = 1024, with the OpenBLAS path (`--allow-ffi`) and with the wasm kernels alone (`OMAR_BLAS=0`); the
 * per-learner cost agrees across cooperative navigation, predator-prey, world and 1-D Spread n = 2 and 5
 * within ±10%. Evaluation (10 episodes ≈ 12 ms on MPE) and dataset generation (≈ 25 s per 1M MPE
 * samples) are added. Used by `reproduce list`, the run header and the progress bar's ETA.
 *
 * @module
 */
import { taskProfile } from "../tasks/profiles.ts";
import { makeTask } from "../envs/registry.ts";
import { gemmBackend } from "../nn/native.ts";
import type { RunSpec } from "./runs.ts";

/** Milliseconds per learner per update round at B = 1024 on MPE-sized networks (64 units). */
export const MPE_MS_PER_LEARNER_ROUND: Record<"openblas" | "wasm", Record<string, number>> = {
  // omar-qnorm: OMAR's work plus autograd of its actor loss, ~7–8% more (measured beside OMAR)
  openblas: { itd3: 4.3, td3bc: 3.8, icq: 3.6, cql: 15.5, omar: 23.3, "omar-qnorm": 25.0 },
  wasm: { itd3: 6.8, td3bc: 6.7, icq: 6.1, cql: 25.4, omar: 38.0, "omar-qnorm": 41.0 },
};

/**
 * Seconds per update round on HalfCheetah at B = 256 with the OpenBLAS path (256-unit networks; CQL and
 * OMAR evaluate 30 and 2 × 20 candidate actions); Maze2D (one agent) takes about half, the wasm kernels
 * alone about twice.
 */
export const MUJOCO_SECONDS_PER_ROUND: Record<string, number> = {
  itd3: 0.012,
  td3bc: 0.013,
  icq: 0.011,
  cql: 0.128,
  omar: 0.16,
};

/** Seconds every run spends besides its rounds (a worker's start, loading the dataset, saving the model). */
const RUN_OVERHEAD_SECONDS = 1.5;

/** Seconds of one MPE evaluation episode (25 steps, the policy and the frozen prey). */
const MPE_EPISODE_SECONDS = 0.0012;

/** Seconds of one MuJoCo evaluation episode (1000 steps for HalfCheetah; Maze2D's are shorter). */
const MUJOCO_EPISODE_SECONDS = 0.5;

/** Seconds to generate 1M transitions of an MPE dataset (rollouts and the file writes). */
const MPE_SECONDS_PER_MILLION_SAMPLES = 25;

const learnerCount = new Map<string, number>();

/** Number of trained agents of a particle task (cached). */
function learners(task: string): number {
  let n = learnerCount.get(task);
  if (n === undefined) learnerCount.set(task, n = makeTask(task).learners.length);
  return n;
}

/** Which kernels the estimate assumes: the ones this process uses now. */
export function currentKernels(): "openblas" | "wasm" {
  return gemmBackend() === "openblas" ? "openblas" : "wasm";
}

/**
 * Online runs (`RunSpec.kind: "online"`, 1-D Spread, MATD3's centralized critics, B = 1024, 4 envs): ms
 * per learner and update round with OpenBLAS, `a + b · learners` (the joint critic input grows with the
 * learners); process CPU time of 100 rounds after the warm-up for n = 1..5 (2026-12-03, a loaded 2-core
 * machine): MATD3 3.9–35.6 ms a round, online OMAR (J·K = 30 candidate critic passes every other round)
 * 7.7–82.5 ms. The wasm kernels alone take about 1.5x.
 */
export const ONLINE_MS_PER_LEARNER_ROUND: Record<string, { a: number; b: number }> = {
  itd3: { a: 3.1, b: 0.8 },
  omar: { a: 5.3, b: 2.5 },
};

/** Estimated seconds of one run on one core (training and evaluations; not its dataset). */
export function runSeconds(spec: RunSpec, kernels = currentKernels()): number {
  const { rounds, batchSize, evalEvery, evalEpisodes, finalEpisodes = 0 } = spec.budget;
  const episodes = (Math.floor(rounds / evalEvery) + 1) * evalEpisodes + finalEpisodes;
  const task = spec.dataset.task;
  if (spec.kind === "online") {
    const n = learners(task), c = ONLINE_MS_PER_LEARNER_ROUND[spec.algo] ?? ONLINE_MS_PER_LEARNER_ROUND.omar;
    return RUN_OVERHEAD_SECONDS +
      rounds * n * (c.a + c.b * n) / 1000 * (batchSize / 1024) * (kernels === "openblas" ? 1 : 1.5) +
      episodes * MPE_EPISODE_SECONDS;
  }
  const relative = taskProfile(task).mujocoRoundCost;
  if (relative !== undefined) {
    const perRound = (MUJOCO_SECONDS_PER_ROUND[spec.algo] ?? 0.1) * (batchSize / 256) * relative *
      (kernels === "openblas" ? 1 : 2);
    return RUN_OVERHEAD_SECONDS + rounds * perRound + episodes * MUJOCO_EPISODE_SECONDS;
  }
  const ms = MPE_MS_PER_LEARNER_ROUND[kernels][spec.algo] ?? 25;
  return RUN_OVERHEAD_SECONDS + rounds * learners(task) * ms / 1000 * (batchSize / 1024) +
    episodes * MPE_EPISODE_SECONDS;
}

/** Estimated seconds to generate the distinct datasets of `specs` (MPE sizes; MuJoCo datasets about 4x). */
export function datasetSeconds(specs: readonly RunSpec[]): number {
  const distinct = new Map(specs.map((s) => [JSON.stringify(s.dataset), s.dataset]));
  return [...distinct.values()].reduce(
    (a, d) =>
      a +
      (d.samples / 1e6) * MPE_SECONDS_PER_MILLION_SAMPLES *
        (taskProfile(d.task).mujocoRoundCost !== undefined ? 4 : 1),
    0,
  );
}

/** Estimated wall seconds of `specs` on `jobs` cores: datasets and runs, spread evenly. */
export function estimateSeconds(specs: readonly RunSpec[], jobs: number, kernels = currentKernels()): number {
  const total = specs.reduce((a, s) => a + runSeconds(s, kernels), 0) + datasetSeconds(specs);
  return total / Math.max(1, jobs);
}

/** "42 min" / "3.1 h" for a number of seconds. */
export function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
