/**
 * One run = algorithm × dataset × seed × budget, described by a plain JSON spec. Its id is a hash of the
 * spec and the kit version; its folder holds `spec.json`, `checkpoint.json` while it trains, and
 * `result.json` and the trained `model.json` (written atomically) once done. A finished run is never redone; an interrupted one resumes
 * from its checkpoint and ends with the same numbers as an uninterrupted one. Online runs (`kind: "online"`,
 * Fig. 3's lower half) train with the online learner on data they collect themselves, through the same
 * ids, folders, locks and scheduler.
 *
 * @module
 */
import { join } from "node:path";
import type { AlgorithmOptions } from "../algos/registry.ts";
import { makeAlgorithm } from "../algos/registry.ts";
import { type CurvePoint, type MinibatchMode, trainOffline } from "../algos/train.ts";
import { DatasetBusyError, generateDataset, qualityName } from "../behaviour/generate.ts";
import { datasetDir, envIdForTask, readOmarDataset } from "../data/omar_layout.ts";
import { loadPrey, type PreySource } from "../envs/prey.ts";
import { evaluate } from "../eval/rollout.ts";
import { normalizedScore } from "../eval/references.ts";
import { loadTask } from "../mujoco/tasks.ts";
import { discount, type Preset } from "../algos/presets.ts";
import { onlinePreset, trainOnline } from "../behaviour/online.ts";
import { KitInputError } from "../util/errors.ts";
import { permissionGranted } from "../util/permissions.ts";
import {
  exists,
  type LockHolder,
  lockHolder,
  readJsonFile,
  sha256Hex,
  tryLock,
  writeFileAtomic,
  writeTextFileAtomicSync,
} from "../util/fs.ts";
import { KIT_VERSION } from "../util/version.ts";
import { decodeState, type EncodedState, encodeState } from "../nn/state.ts";
import type { OfflineAlgorithm } from "../algos/types.ts";

/** Which dataset a run trains on (generated on first use, then cached). */
export interface DatasetSpec {
  /** Task id. */
  task: string;
  /** Quality (`random`, `medium-replay`, `medium`, `expert`, `full-replay`). */
  quality: string;
  /** Dataset seed (one dataset per training seed, as the authors). */
  seed: number;
  /** Transitions (random / medium / expert). */
  samples: number;
  /** Percent of the full replay's episodes (full-replay only). */
  fraction?: number;
  /** Prey source (tasks with a prey). */
  prey?: PreySource;
  /** Hash of the ladder and kit-prey files it is generated from (`datasetSources`), so retraining them gives new ids. */
  sources?: string;
  /** `authors`: matched to the authors' datasets (see `generateDataset`); absent: the kit's own. */
  variant?: "authors";
}

/** A run: everything that determines its numbers. */
export interface RunSpec {
  /**
   * `online`: the online learner (`trainOnline`, lib/behaviour/online.ts) collects its own data: `algo`
   * is `itd3` (TD3; MATD3 with centralized critics) or `omar` (TD3's critic with OMAR's rectified actor),
   * `options` take only `critic`, `tau` and `sampler`, `dataset` names the task alone (quality `online`,
   * no samples; {@link onlineRunSpec}), `budget.rounds` are update rounds and `evalEvery` / `evalEpisodes`
   * its snapshots; γ is the preset's. Absent: an offline run (whose id is what it was before this field).
   */
  kind?: "online";
  /** Algorithm name. */
  algo: string;
  /** Column label in the experiment that listed it (e.g. "OMAR (CEM)"). */
  label?: string;
  /** Preset of γ, τ and α. */
  preset: Preset;
  /** Algorithm options beyond the preset (critic kind, learning rates, sampler, …). */
  options: AlgorithmOptions;
  /** The dataset. */
  dataset: DatasetSpec;
  /** Seed of weights, minibatches and algorithm draws. */
  seed: number;
  /**
   * Training budget; how minibatches are drawn (absent: `fresh`); which episodes evaluate it (absent: the
   * same 10 kit episodes for every seed, as kit 0.1 did; `authors`: main.py's episodes for this seed,
   * `seed + 100`); and how many episodes score the final policy besides (`finalEpisodes`, none when absent).
   */
  budget: {
    rounds: number;
    batchSize: number;
    evalEvery: number;
    evalEpisodes: number;
    minibatches?: MinibatchMode;
    evaluation?: Evaluation;
    finalEpisodes?: number;
  };
}

/**
 * Evaluation protocols. `authors`: every evaluation of a run with training seed k uses `main.py`'s episodes
 * for k (NumPy seeded with k + 100, resets in sequence, on the particle tasks; the kit's streams of seed
 * k + 100 elsewhere). `fixed`: the same kit episodes (seed 100) for every run — what kit 0.1 did; one shared
 * set of 10 episodes biases every seed alike (on predator-prey and world it read +15 to +25 too high).
 */
export type Evaluation = "authors" | "fixed";

/** What a finished run leaves. */
export interface RunResult {
  /** Run id. */
  id: string;
  /** Its spec. */
  spec: RunSpec;
  /** Learning curve. */
  curve: CurvePoint[];
  /** Last evaluation. */
  final: CurvePoint;
  /** Best evaluation. */
  best: CurvePoint;
  /** The final policy scored on `budget.finalEpisodes` fresh episodes (kit streams, seed 10000 + seed). */
  finalMany?: CurvePoint & { episodes: number; std: number };
  /** Wall seconds of the run (summed over resumptions). */
  seconds: number;
  /** The kit's git commit that finished the run, where known. */
  commit?: string;
}

let commitCache: Promise<string | undefined> | undefined;

/** The repository's current commit (`git rev-parse HEAD` beside this module), or undefined outside a clone. */
export function gitCommit(): Promise<string | undefined> {
  commitCache ??= (async () => {
    try {
      const dir = new URL(".", import.meta.url);
      if (dir.protocol !== "file:" || !permissionGranted({ name: "run", command: "git" })) return undefined;
      const out = await new Deno.Command("git", {
        args: ["rev-parse", "HEAD"],
        cwd: dir,
        stdout: "piped",
        stderr: "null",
      }).output();
      return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
    } catch {
      return undefined; // no git, or no permission to run it
    }
  })();
  return commitCache;
}

/** The options an online run takes (the rest of the online learner's settings are its defaults). */
const ONLINE_OPTIONS = ["critic", "tau", "sampler"];

/** The algorithms of online runs. */
export const ONLINE_ALGORITHMS = ["itd3", "omar"] as const;

/**
 * The spec of an online run of `algo` on `task`: update `rounds` (one per vectorized env step after the
 * warm-up) with a snapshot score every `evalEvery` rounds on `evalEpisodes` episodes.
 */
export function onlineRunSpec(
  task: string,
  run: {
    algo: typeof ONLINE_ALGORITHMS[number];
    label?: string;
    options?: AlgorithmOptions;
    preset?: Preset;
    seed: number;
    budget: { rounds: number; batchSize: number; evalEvery: number; evalEpisodes: number };
  },
): RunSpec {
  return {
    kind: "online",
    algo: run.algo,
    ...(run.label ? { label: run.label } : {}),
    preset: run.preset ?? "official",
    options: run.options ?? {},
    dataset: { task, quality: "online", seed: run.seed, samples: 0 },
    seed: run.seed,
    budget: { ...run.budget },
  };
}

/** Deterministic JSON: keys sorted at every level. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort((
      [a],
      [b],
    ) => a < b ? -1 : a > b ? 1 : 0);
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The run's id: 16 hex digits of sha256(kit version + canonical spec). */
export async function runId(spec: RunSpec): Promise<string> {
  return (await sha256Hex(new TextEncoder().encode(`${KIT_VERSION}\n${canonicalJson(spec)}`))).slice(0, 16);
}

/** Where datasets of a given size are cached under `root`. */
export function datasetRoot(root: string, ds: DatasetSpec): string {
  const name = ds.sources ? `n${ds.samples}-${ds.sources}` : `n${ds.samples}`;
  return join(root, "datasets", ds.variant === "authors" ? `${name}-authors` : name);
}

/** Reads a finished run's result, or null. */
export function readResult(dir: string): Promise<RunResult | null> {
  return readJsonFile<RunResult>(join(dir, "result.json"));
}

/** The trained algorithm's state (weights, optimizer moments) in a finished run's folder. */
export const MODEL_FILE = "model.json";

/** The untrained algorithm of a run, as its spec makes it. */
export async function makeRunAlgorithm(spec: RunSpec): Promise<OfflineAlgorithm> {
  const task = await loadTask(spec.dataset.task);
  return makeAlgorithm(spec.algo, {
    obsDims: task.learners.map((i) => task.obsDims[i]),
    actDim: task.actDim,
    ...("stateDim" in task && task.stateDim ? { stateDim: task.stateDim } : {}),
  }, {
    ...spec.options,
    seed: spec.seed,
    context: {
      task: task.name,
      quality: spec.dataset.quality,
      preset: spec.preset,
    },
  });
}

/** A finished run's trained algorithm, read from `runs/<id>/model.json` under the first root holding it. */
export async function loadRunModel(result: RunResult, roots: readonly string[]): Promise<OfflineAlgorithm> {
  for (const root of roots) {
    const file = join(root, "runs", result.id, MODEL_FILE);
    if (!(await exists(file))) continue;
    const algo = await makeRunAlgorithm(result.spec);
    try {
      algo.load(decodeState(JSON.parse(await Deno.readTextFile(file)) as EncodedState));
    } catch (err) {
      algo.dispose();
      throw new KitInputError(`${file}: not a trained model of this run (${(err as Error).message})`);
    }
    return algo;
  }
  throw new KitInputError(
    `run ${result.id} (${result.spec.algo} on ${result.spec.dataset.task}, seed ${result.spec.seed}) has no ${MODEL_FILE} ` +
      `under ${roots.join(", ")}; runs finished by kit 0.1 did not keep one: delete its folder to retrain it`,
  );
}

/** The folder of a run's dataset under results root `root`. */
export function datasetFolder(root: string, ds: DatasetSpec): string {
  return datasetDir(
    datasetRoot(root, ds),
    envIdForTask(ds.task),
    qualityName(ds.quality, ds.fraction),
    ds.seed,
  );
}

/** Seconds between looks at a dataset or run that another process is making. */
const POLL_SECONDS = 2;

/** Waits `seconds`. */
export const sleep = (seconds: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, seconds * 1000));

/**
 * Makes (or finds) the run's dataset; returns its folder. Safe against concurrent workers and processes:
 * one of them generates it (holding its lock), the others wait for it and then read it.
 */
export async function ensureDataset(root: string, ds: DatasetSpec): Promise<string> {
  const base = datasetRoot(root, ds);
  const dir = datasetFolder(root, ds);
  for (;;) {
    if (await exists(join(dir, "manifest.json"))) return dir;
    if (await lockHolder(`${dir}.lock`)) {
      await sleep(POLL_SECONDS);
      continue;
    }
    try {
      await generateDataset({
        task: ds.task,
        quality: ds.quality,
        seed: ds.seed,
        samples: ds.samples,
        fraction: ds.fraction,
        prey: ds.prey,
        variant: ds.variant,
        out: base,
      });
      return dir;
    } catch (err) {
      // another process took the lock first, or finished the same dataset first
      if (err instanceof DatasetBusyError) continue;
      if (await exists(join(dir, "manifest.json"))) return dir;
      if (await exists(dir)) {
        throw new KitInputError(
          `${dir} holds an incomplete dataset (no manifest.json); delete that folder and run again`,
        );
      }
      throw err;
    }
  }
}

/** The run `id` is being trained by another process (it holds `runs/<id>/lock`). */
export class RunBusyError extends Error {
  /** Creates the error for run `id` held by `holder`. */
  constructor(readonly id: string, readonly holder: LockHolder) {
    super(`run ${id} is being trained by another process (pid ${holder.pid} on ${holder.host})`);
    this.name = "RunBusyError";
  }
}

/** The evaluation options of `trainOffline` for a run's protocol ({@link Evaluation}). */
export function evaluationOptions(
  spec: RunSpec,
  particle: boolean,
): { evalSeed: number; evalEpisodeSource?: "numpy" } {
  if (spec.budget.evaluation !== "authors") return { evalSeed: 100 };
  return { evalSeed: spec.seed + 100, ...(particle ? { evalEpisodeSource: "numpy" as const } : {}) };
}

/** Reads a run's accumulated wall seconds (0 when absent; a damaged file is named and restarted from 0). */
async function readElapsed(file: string): Promise<number> {
  try {
    const seconds = (await readJsonFile<{ seconds: number }>(file))?.seconds ?? 0;
    if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  } catch {
    // reported below
  }
  console.error(
    `warning: ${file} is damaged; the run's wall time restarts from 0 (training state is intact)`,
  );
  return 0;
}

/**
 * Executes one run under `root/runs/<id>` (skips it when finished, resumes it when interrupted). Only one
 * process trains a run at a time: it holds `runs/<id>/lock`; another process asking for the same run gets
 * a {@link RunBusyError} (the scheduler then waits for that run's result).
 */
export async function executeRun(spec: RunSpec, root: string): Promise<RunResult> {
  const id = await runId(spec);
  const dir = join(root, "runs", id);
  const done = await readResult(dir);
  if (done) return done;
  await Deno.mkdir(dir, { recursive: true });
  const lock = await tryLock(join(dir, "lock"));
  if (!("release" in lock)) throw new RunBusyError(id, lock.holder);
  try {
    // holding the lock, any temporary file here was left by a writer that was killed
    for await (const e of Deno.readDir(dir)) {
      if (e.name.endsWith(".tmp")) await Deno.remove(join(dir, e.name)).catch(() => {});
    }
    return (await readResult(dir)) ??
      await (spec.kind === "online" ? trainOnlineRun : trainRun)(spec, { id, dir, root });
  } finally {
    await lock.release();
  }
}

/** Trains run `id` (its lock held) and writes its model and result. */
async function trainRun(
  spec: RunSpec,
  at: { id: string; dir: string; root: string },
): Promise<RunResult> {
  const { id, dir, root } = at;
  await writeFileAtomic(join(dir, "spec.json"), JSON.stringify(spec, null, 2) + "\n");
  const task = await loadTask(spec.dataset.task);
  const dataDir = await ensureDataset(root, spec.dataset);
  const dataset = await readOmarDataset(dataDir);
  const prey = "world" in task && task.prey !== null
    ? await loadPrey(task, { source: spec.dataset.prey ?? "original" })
    : null;
  const algo = await makeRunAlgorithm(spec);
  const t0 = performance.now();
  const elapsedFile = join(dir, "elapsed.json");
  const before = await readElapsed(elapsedFile);
  const r = await trainOffline(algo, { dataset, task }, {
    rounds: spec.budget.rounds,
    batchSize: spec.budget.batchSize,
    evalEvery: spec.budget.evalEvery,
    evalEpisodes: spec.budget.evalEpisodes,
    ...evaluationOptions(spec, "world" in task),
    minibatches: spec.budget.minibatches,
    seed: spec.seed,
    prey,
    references: dataset.meta.referenceScores,
    checkpointPath: join(dir, "checkpoint.json"),
    checkpointEvery: Math.max(10, Math.round(spec.budget.rounds / 20)),
    onEval: () => {
      writeTextFileAtomicSync(
        elapsedFile,
        JSON.stringify({ seconds: before + (performance.now() - t0) / 1000 }),
      );
    },
  });
  if (r.finished) await writeFileAtomic(join(dir, MODEL_FILE), JSON.stringify(encodeState(algo.save())));
  const many = spec.budget.finalEpisodes;
  const finalMany = many
    ? evaluate(task, algo.policy(), { episodes: many, seed: 10_000 + spec.seed, prey })
    : undefined;
  algo.dispose();
  const result: RunResult = {
    id,
    spec,
    curve: r.curve,
    final: r.final,
    best: r.best,
    ...(finalMany
      ? {
        finalMany: {
          round: r.final.round,
          score: finalMany.mean,
          normalized: dataset.meta.referenceScores
            ? normalizedScore(finalMany.mean, dataset.meta.referenceScores)
            : null,
          episodes: many!,
          std: finalMany.std,
        },
      }
      : {}),
    seconds: before + (performance.now() - t0) / 1000,
    commit: await gitCommit(),
  };
  await writeFileAtomic(join(dir, "result.json"), JSON.stringify(result) + "\n");
  await Deno.remove(join(dir, "checkpoint.json")).catch(() => {});
  return result;
}

/**
 * Trains online run `id` (its lock held; {@link RunSpec.kind}): the online learner with its checkpoint in
 * `runs/<id>/online/` (resumed exactly), the snapshot scores as the learning curve. Leaves no model.
 */
async function trainOnlineRun(
  spec: RunSpec,
  at: { id: string; dir: string; root: string },
): Promise<RunResult> {
  const { id, dir } = at;
  const algo = spec.algo;
  if (!(ONLINE_ALGORITHMS as readonly string[]).includes(algo)) {
    throw new KitInputError(
      `online run ${id}: algorithm "${algo}" has no online learner; expected one of: ${
        ONLINE_ALGORITHMS.join(", ")
      }`,
    );
  }
  const extra = Object.keys(spec.options).filter((k) => !ONLINE_OPTIONS.includes(k));
  if (extra.length) {
    throw new KitInputError(
      `online run ${id}: options ${extra.join(", ")} are not online-run options (${
        ONLINE_OPTIONS.join(", ")
      })`,
    );
  }
  await writeFileAtomic(join(dir, "spec.json"), JSON.stringify(spec, null, 2) + "\n");
  const task = await loadTask(spec.dataset.task);
  const prey = "world" in task && task.prey !== null
    ? await loadPrey(task, { source: spec.dataset.prey ?? "original" })
    : null;
  const t0 = performance.now();
  const elapsedFile = join(dir, "elapsed.json");
  const before = await readElapsed(elapsedFile);
  const checkpointDir = join(dir, "online");
  const { rounds, batchSize, evalEvery, evalEpisodes } = spec.budget;
  const ladder = await trainOnline(task, {
    ...onlinePreset(task.name),
    updates: rounds,
    batchSize,
    snapshotEvery: evalEvery,
    snapshotEpisodes: evalEpisodes,
    gamma: discount(spec.preset),
    seed: spec.seed,
    critic: spec.options.critic,
    omar: algo === "omar" ? { tau: spec.options.tau, sampler: spec.options.sampler } : null,
    prey,
    ...(prey ? { preySource: spec.dataset.prey ?? "original" } : {}),
    checkpointDir,
    checkpointEvery: Math.max(10, Math.round(rounds / 20)),
    onSnapshot: () => {
      writeTextFileAtomicSync(
        elapsedFile,
        JSON.stringify({ seconds: before + (performance.now() - t0) / 1000 }),
      );
    },
  });
  const curve: CurvePoint[] = ladder.snapshots.map((s) => ({
    round: s.updates,
    score: s.score,
    normalized: null,
  }));
  const result: RunResult = {
    id,
    spec,
    curve,
    final: curve[curve.length - 1],
    best: curve.reduce((a, b) => (b.score > a.score ? b : a)),
    seconds: before + (performance.now() - t0) / 1000,
  };
  await writeFileAtomic(join(dir, "result.json"), JSON.stringify(result) + "\n");
  await Deno.remove(checkpointDir, { recursive: true }).catch(() => {});
  return result;
}
