/**
 * Online (M)ITD3 training of behaviour policies, the way the paper made its datasets (§4.1: MATD3 with
 * added noise): TD3 with target-policy smoothing (0.2, clip 0.5), policy delay 2, Gaussian exploration
 * N(0, 0.1), a replay buffer, `numEnvs` vectorized envs and one update round per vectorized step. Along
 * the run it takes a ladder of actor snapshots with their deterministic scores. Checkpoints (weights,
 * optimizer moments, streams, env state, and the replay buffer as append-only chunks) let a run that
 * outlasts a session resume exactly. With `omar`, the actors take OMAR's rectified loss (Eq. 2) instead of
 * TD3's: the online OMAR of the paper's Fig. 3 (lower half), the same loss and sampler as offline OMAR.
 *
 * @module
 */
import { PROFILED_TASKS, taskProfile } from "../tasks/profiles.ts";
import { join } from "node:path";
import type { AgentData, MultiAgentDataset } from "../data/dataset.ts";
import type { Float64Policy } from "../envs/frozen_policy.ts";
import { noisyPolicy, uniformRandomPolicy } from "../envs/policy.ts";
import { type AnyTask, asEnvTask, type EnvTask } from "../envs/env_task.ts";
import { evaluate } from "../eval/rollout.ts";
import { makeAlgorithm } from "../algos/registry.ts";
import type { AgentSpec } from "../algos/actor_critic.ts";
import { type OmarOptions, omarTd3 } from "../algos/omar.ts";
import { SAMPLERS, samplerSettings } from "../algos/samplers.ts";
import type { OfflineAlgorithm } from "../algos/types.ts";
import { Minibatcher } from "../algos/train.ts";
import { decodeState, type EncodedState, encodeState } from "../nn/state.ts";
import { type NumberRule, parseNumber } from "../util/numbers.ts";
import { checkName, KitInputError } from "../util/errors.ts";
import { readJsonFile, sha256Hex, writeFileAtomic } from "../util/fs.ts";
import { Rng, type RngState } from "../util/rng.ts";
import { KIT_VERSION } from "../util/version.ts";
import { frozenActor, type Ladder, type Snapshot, snapshotJointPolicy, snapshotPolicy } from "./ladder.ts";

/** Options of {@link trainOnline}; defaults are the settings measured to work on MPE (issue #4). */
export interface OnlineOptions {
  /** Update rounds to reach (a resumed run continues up to here). */
  updates: number;
  /** `decentralized` critics (ITD3, default) or `centralized` (MATD3). */
  critic?: "decentralized" | "centralized";
  /**
   * Centralized critics on the task's global state (MaMuJoCo's MATD3 on HalfCheetah's 17-D state) instead
   * of every learner's observation; the replay buffer then keeps the state. Default false.
   */
  stateCritic?: boolean;
  /** Envs stepped side by side; one update round per vectorized step. Default 4. */
  numEnvs?: number;
  /** Std of the Gaussian exploration noise. Default 0.1. */
  explorationNoise?: number;
  /** Env steps of uniform random actions before learning starts. Default 10,000. */
  warmupSteps?: number;
  /** Minibatch size. Default 1024. */
  batchSize?: number;
  /** Replay buffer capacity (transitions). Default 1,000,000. */
  bufferSize?: number;
  /** Adam learning rate of actors and critics. Default 1e-3 (0.01 collapses online). */
  lr?: number;
  /** Discount. Default 0.95. */
  gamma?: number;
  /** Hidden widths of actors and critics. Default [64, 64]. */
  hidden?: number[];
  /** Soft target update rate. Default 0.01. */
  softUpdateRate?: number;
  /** Update rounds between ladder snapshots. Default 1000. */
  snapshotEvery?: number;
  /** Episodes per snapshot score. Default 100. */
  snapshotEpisodes?: number;
  /** Seed of the snapshot evaluation episodes. Default 100. */
  evalSeed?: number;
  /** Seed of weights, exploration, minibatches and env resets. Default 0. */
  seed?: number;
  /** Every agent learns, the prey too (for training the kit's own prey). Default false. */
  trainPrey?: boolean;
  /** The frozen prey (tasks with one, unless `trainPrey`). */
  prey?: Float64Policy | null;
  /** Where to keep the checkpoint; resumes from it when present. */
  checkpointDir?: string;
  /** Update rounds between checkpoints. Default 1000. */
  checkpointEvery?: number;
  /**
   * OMAR's rectified actor loss `τ · MSE(π(o), â) − (1 − τ) · mean Q1(o, π(o))` in place of TD3's
   * `−mean Q1(o, π(o))` (the online learner has no action penalty), with τ (default 0.5) and the zeroth-order
   * sampler (default OMAR's softmax sampler, J = 3, K = 10, μ0 = 0, σ0 = 2) as offline OMAR takes them: the
   * online OMAR of the paper's Fig. 3. The sampler draws from the learner's seeded stream, kept in the
   * checkpoint. Default none (TD3's actor).
   */
  omar?: OmarOptions | null;
  /** Called after each snapshot. */
  onSnapshot?: (s: Snapshot) => void;
  /** Called after every update round with the rounds done. */
  onUpdate?: (updates: number) => void;
  /** Prey source recorded in the ladder. */
  preySource?: "original" | "kit" | null;
}

/**
 * Per-task settings of the behaviour learner: HalfCheetah follows TD3's MuJoCo settings (one env, one
 * update per env step, 256-256 networks, batch 256, lr 3e-4, γ 0.99, soft update 0.005, 10 evaluation
 * episodes per snapshot) with MATD3's centralized critics (the paper's §4.1 behaviour learner); the particle
 * tasks use the defaults above.
 */
export function onlinePreset(task: string): Partial<OnlineOptions> {
  if (!PROFILED_TASKS.includes(task) || !taskProfile(task).continuousControl) return {};
  return {
    critic: "centralized",
    numEnvs: 1,
    warmupSteps: 10_000,
    batchSize: 256,
    lr: 3e-4,
    gamma: 0.99,
    hidden: [256, 256],
    softUpdateRate: 0.005,
    snapshotEpisodes: 10,
  };
}

interface OnlineCheckpoint {
  format: "omar-kit-online-v1";
  /** The settings the run was started with ({@link onlineSettings}); a resume must ask for the same. */
  settings: OnlineSettings;
  updates: number;
  envSteps: number;
  size: number;
  ptr: number;
  chunks: { file: string; start: number; count: number }[];
  streams: { env: RngState; explore: RngState; minibatch: RngState[] };
  env: Record<string, unknown>; // the vec env's saveState(): doubles round-trip exactly through JSON
  algorithm: Record<string, unknown>;
  snapshots: Snapshot[];
}

/** {@link OnlineOptions} with every default filled in and every number checked. */
type ResolvedOnlineOptions = ReturnType<typeof resolveOnlineOptions>;

/**
 * Fills in the defaults of `options` and checks every number, so a bad one is a {@link KitInputError}
 * naming the option before any work is done (not an endless warm-up or an untrained ladder).
 */
function resolveOnlineOptions(options: OnlineOptions) {
  const num = (name: keyof OnlineOptions, fallback: number, rule: NumberRule) =>
    parseNumber(`trainOnline: ${name}`, options[name] ?? fallback, rule);
  const int = { integer: true, min: 1 }, nonNegInt = { integer: true, min: 0 };
  const o = {
    numEnvs: num("numEnvs", 4, int),
    explorationNoise: num("explorationNoise", 0.1, { min: 0 }),
    warmupSteps: num("warmupSteps", 10_000, nonNegInt),
    batchSize: num("batchSize", 1024, int),
    bufferSize: num("bufferSize", 1_000_000, int),
    lr: num("lr", 1e-3, { above: 0 }),
    gamma: num("gamma", 0.95, { min: 0, max: 1 }),
    hidden: options.hidden ?? [64, 64],
    softUpdateRate: num("softUpdateRate", 0.01, { above: 0, max: 1 }),
    snapshotEvery: num("snapshotEvery", 1000, int),
    snapshotEpisodes: num("snapshotEpisodes", 100, int),
    evalSeed: num("evalSeed", 100, nonNegInt),
    seed: num("seed", 0, nonNegInt),
    checkpointEvery: num("checkpointEvery", 1000, int),
    critic: options.critic ?? "decentralized",
    stateCritic: options.stateCritic ?? false,
  };
  parseNumber("trainOnline: updates", options.updates, int);
  if (o.critic !== "decentralized" && o.critic !== "centralized") {
    throw new KitInputError(
      `trainOnline: critic expects "decentralized" or "centralized", got ${JSON.stringify(o.critic)}`,
    );
  }
  if (
    !Array.isArray(o.hidden) || o.hidden.length !== 2 ||
    !o.hidden.every((h) => Number.isSafeInteger(h) && h >= 1)
  ) {
    throw new KitInputError(
      `trainOnline: hidden expects two positive integer widths (ladder actors have two hidden layers), got ${
        JSON.stringify(o.hidden)
      }`,
    );
  }
  if (o.bufferSize < Math.max(o.batchSize, o.numEnvs)) {
    throw new KitInputError(
      `trainOnline: bufferSize (${o.bufferSize}) must hold at least a minibatch (batchSize ${o.batchSize}) ` +
        `and one vectorized step (numEnvs ${o.numEnvs})`,
    );
  }
  return o;
}

/** τ and the sampler of {@link OnlineOptions.omar}, every default filled in and every number checked. */
function resolveOmar(options: OnlineOptions) {
  if (options.omar === undefined || options.omar === null) return null;
  const what = (name: string) => `trainOnline: omar.${name}`;
  const tau = parseNumber(what("tau"), options.omar.tau ?? 0.5, { min: 0, max: 1 });
  const s = samplerSettings(options.omar.sampler);
  checkName("omar.sampler.kind", s.kind, SAMPLERS);
  const int = { integer: true, min: 1 };
  parseNumber(what("sampler.iterations"), s.iterations, int);
  parseNumber(what("sampler.samples"), s.samples, int);
  parseNumber(what("sampler.elites"), s.elites, int);
  parseNumber(what("sampler.mu0"), s.mu0, {});
  parseNumber(what("sampler.sigma0"), s.sigma0, { min: 0 });
  parseNumber(what("sampler.beta"), s.beta, {});
  parseNumber(what("sampler.low"), s.low, {});
  parseNumber(what("sampler.high"), s.high, { above: s.low });
  return { tau, sampler: s };
}

/**
 * The settings that decide what an online run's checkpoint holds and what its snapshots mean: the task,
 * the prey, every learner and schedule setting (defaults filled in; `omar` only when set, so the keys of
 * TD3 runs are those of kits before it), but not the update rounds to reach (a resumed run may go further)
 * nor how often it checkpoints (resuming is exact either way).
 */
export type OnlineSettings = Record<string, unknown>;

/**
 * The resolved {@link OnlineSettings} of a {@link trainOnline} call on `anyTask` with `options`; a bad
 * option is a {@link KitInputError} as in {@link trainOnline}.
 */
export function onlineSettings(anyTask: AnyTask, options: OnlineOptions): OnlineSettings {
  return settingsOf(asEnvTask(anyTask), options, resolveOnlineOptions(options));
}

function settingsOf(baseTask: EnvTask, options: OnlineOptions, o: ResolvedOnlineOptions): OnlineSettings {
  const trainPrey = options.trainPrey ?? false;
  const { checkpointEvery: _, ...rest } = o;
  const omar = resolveOmar(options);
  return {
    task: baseTask.name,
    trainPrey,
    preySource: ladderPreySource(baseTask, options),
    ...rest,
    hidden: [...o.hidden],
    ...(omar ? { omar } : {}),
  };
}

/** The prey source a run records: none when the prey learns too or the task has none. */
function ladderPreySource(baseTask: EnvTask, options: OnlineOptions): "original" | "kit" | null {
  if (options.trainPrey) return null;
  return options.preySource ?? (baseTask.prey === null ? null : "original");
}

/**
 * A short hash (8 hex digits) of the {@link onlineSettings} of a run: runs that differ in any of them get
 * different keys, so default checkpoint folders named by it never mix runs.
 */
export async function onlineSettingsKey(anyTask: AnyTask, options: OnlineOptions): Promise<string> {
  const text = JSON.stringify(onlineSettings(anyTask, options));
  return (await sha256Hex(new TextEncoder().encode(text))).slice(0, 8);
}

/**
 * Refuses a checkpoint that a run with `settings` up to `updates` rounds cannot continue: one made with
 * other settings, one from before settings were recorded, or one already past `updates`.
 */
function checkCheckpoint(ck: OnlineCheckpoint, dir: string, settings: OnlineSettings, updates: number): void {
  const remedy = `delete ${dir} or choose another checkpoint folder`;
  if (ck.format !== "omar-kit-online-v1") {
    throw new KitInputError(`${join(dir, "state.json")}: not an online-training checkpoint; ${remedy}`);
  }
  if (!ck.settings || typeof ck.settings !== "object") {
    throw new KitInputError(
      `checkpoint folder ${dir} records no training settings (an older kit made it); ${remedy}`,
    );
  }
  const keys = [...new Set([...Object.keys(ck.settings), ...Object.keys(settings)])];
  const show = (v: unknown) => v === undefined ? "unset" : JSON.stringify(v);
  const differ = keys
    .filter((k) => JSON.stringify(ck.settings[k]) !== JSON.stringify(settings[k]))
    .map((k) => `${k} ${show(ck.settings[k])} there, ${show(settings[k])} asked`);
  if (differ.length > 0) {
    throw new KitInputError(
      `checkpoint folder ${dir} was trained with other settings (${differ.join("; ")}); ${remedy}`,
    );
  }
  if (ck.updates > updates) {
    throw new KitInputError(
      `checkpoint folder ${dir} already holds ${ck.updates} update rounds, more than the ${updates} asked; ` +
        `ask for at least ${ck.updates} updates, or ${remedy}`,
    );
  }
}

/** The learning view of `task`: with `trainPrey`, every agent is a learner and none is frozen. */
function learningTask(task: EnvTask, trainPrey: boolean): EnvTask {
  if (!trainPrey || task.prey === null) return task;
  return { ...task, learners: Array.from({ length: task.numAgents }, (_, i) => i), prey: null };
}

/**
 * The learner {@link trainOnline} trains for learners of `spec` with `options`: TD3 proper (target-policy
 * smoothing 0.2 clipped at 0.5, policy delay 2, no input BatchNorm, no action penalty) on decentralized
 * (ITD3) or centralized (MATD3) critics, with OMAR's rectified actor ({@link omarTd3}) when `options.omar`.
 * A bad option is a {@link KitInputError} as in {@link trainOnline}.
 */
export function onlineLearner(spec: AgentSpec, options: OnlineOptions): OfflineAlgorithm {
  return makeLearner(spec, resolveOnlineOptions(options), resolveOmar(options));
}

function makeLearner(
  spec: AgentSpec,
  o: ResolvedOnlineOptions,
  omar: ReturnType<typeof resolveOmar>,
): OfflineAlgorithm {
  const settings = {
    critic: o.critic,
    actorLr: o.lr,
    criticLr: o.lr,
    gamma: o.gamma,
    hidden: o.hidden,
    softUpdateRate: o.softUpdateRate,
    inputBatchNorm: false,
    actionPenalty: 0,
    targetNoise: 0.2,
    targetNoiseClip: 0.5,
    policyDelay: 2,
    seed: o.seed,
  };
  return omar ? omarTd3(spec, { ...settings, ...omar }) : makeAlgorithm("itd3", spec, settings);
}

/** Trains behaviour policies online and returns the snapshot ladder (and the final actors' snapshot). */
export async function trainOnline(anyTask: AnyTask, options: OnlineOptions): Promise<Ladder> {
  const o = resolveOnlineOptions(options);
  const trainPrey = options.trainPrey ?? false;
  const baseTask = asEnvTask(anyTask);
  const settings = settingsOf(baseTask, options, o);
  const task = learningTask(baseTask, trainPrey);
  if (task.prey !== null && !options.prey) {
    throw new KitInputError(`online training on ${task.name} needs the prey`);
  }
  const E = o.numEnvs, T = task.episodeLength, d = task.actDim, nA = task.numAgents;
  const sd = o.stateCritic ? task.stateDim ?? 0 : 0;
  if (o.stateCritic && (sd === 0 || o.critic !== "centralized")) {
    throw new KitInputError(
      `stateCritic needs centralized critics and a task with a global state; ${task.name} has ${
        task.stateDim ?? "none"
      }, critics are ${o.critic}`,
    );
  }
  const spec = {
    obsDims: task.learners.map((i) => task.obsDims[i]),
    actDim: d,
    ...(sd ? { stateDim: sd } : {}),
  };
  const omar = resolveOmar(options);
  const algo = makeLearner(spec, o, omar);
  // the replay buffer: a dataset whose size grows as it fills (with the state, one array every agent shares)
  const stateFields = sd
    ? {
      states: new Float32Array(o.bufferSize * sd),
      nextStates: new Float32Array(o.bufferSize * sd),
      stateDim: sd,
    }
    : {};
  const buffer: MultiAgentDataset = {
    size: 0,
    agents: task.obsDims.map((od): AgentData => ({
      ...stateFields,
      obs: new Float32Array(o.bufferSize * od),
      actions: new Float32Array(o.bufferSize * d),
      rewards: new Float32Array(o.bufferSize),
      nextObs: new Float32Array(o.bufferSize * od),
      terminals: new Uint8Array(o.bufferSize),
      timeouts: new Uint8Array(o.bufferSize),
      obsDim: od,
      actDim: d,
    })),
    meta: {
      task: task.name,
      quality: "replay",
      seed: o.seed,
      preySource: null,
      behaviourPolicy: "online",
      episodeLength: T,
      referenceScores: null,
      kitVersion: KIT_VERSION,
    },
  };
  const minibatches = new Minibatcher(algo, { dataset: buffer, task }, {
    batchSize: o.batchSize,
    seed: o.seed,
  });
  const env = task.makeVecEnv(E, { prey: options.prey });
  let envRng = Rng.fromSeed(o.seed, "online-env"), explore = Rng.fromSeed(o.seed, "exploration");
  let updates = 0, envSteps = 0, ptr = 0, savedPtr = 0;
  const snapshots: Snapshot[] = [];
  let chunks: OnlineCheckpoint["chunks"] = [];
  const ckFile = options.checkpointDir ? join(options.checkpointDir, "state.json") : null;

  const stored = ckFile ? await readJsonFile<EncodedState>(ckFile) : null;
  if (stored !== null) {
    const ck = decodeState<OnlineCheckpoint>(stored);
    checkCheckpoint(ck, options.checkpointDir!, settings, options.updates);
    for (const c of ck.chunks) {
      readChunk(
        new Float32Array((await Deno.readFile(join(options.checkpointDir!, c.file))).buffer),
        c,
        buffer,
        o.bufferSize,
      );
    }
    ({ updates, envSteps, ptr, chunks } = ck);
    buffer.size = ck.size, savedPtr = ptr;
    envRng = Rng.fromState(ck.streams.env), explore = Rng.fromState(ck.streams.explore);
    minibatches.streams = ck.streams.minibatch.map((s) => Rng.fromState(s));
    env.loadState(ck.env);
    algo.load(ck.algorithm);
    snapshots.push(...ck.snapshots);
  } else env.reset(envRng);

  const save = async () => {
    if (!ckFile) return;
    await Deno.mkdir(options.checkpointDir!, { recursive: true });
    if (envSteps > 0 && ptr !== savedPtr) {
      const file = `chunk_${chunks.length}.f32`;
      const c = {
        file,
        start: savedPtr,
        count: (ptr - savedPtr + o.bufferSize) % o.bufferSize || o.bufferSize,
      };
      await writeFileAtomic(join(options.checkpointDir!, file), writeChunk(c, buffer, o.bufferSize));
      chunks = [...chunks, c];
      savedPtr = ptr;
    }
    const ck: OnlineCheckpoint = {
      format: "omar-kit-online-v1",
      settings,
      updates,
      envSteps,
      size: buffer.size,
      ptr,
      chunks,
      streams: {
        env: envRng.state(),
        explore: explore.state(),
        minibatch: minibatches.streams.map((s) => s.state()),
      },
      env: env.saveState(),
      algorithm: algo.save(),
      snapshots,
    };
    await writeFileAtomic(ckFile, JSON.stringify(encodeState(ck)));
  };

  const takeSnapshot = () => {
    const state = algo.save() as {
      agents: { actor: { params: Record<string, { shape: number[]; data: Float32Array }> } }[];
    };
    const policies = state.agents.map((a) => snapshotPolicy(a.actor.params));
    const partial: Snapshot = {
      updates,
      envSteps,
      score: 0,
      scoreStd: 0,
      episodes: o.snapshotEpisodes,
      policies,
    };
    const r = evaluate(
      baseTask,
      snapshotJointPolicy(
        trainPrey ? { ...partial, policies: policies.slice(0, baseTask.learners.length) } : partial,
      ),
      {
        episodes: o.snapshotEpisodes,
        seed: o.evalSeed,
        prey: trainPrey && baseTask.prey !== null ? frozenActor(policies[baseTask.prey]) : options.prey,
      },
    );
    const s = { ...partial, score: r.mean, scoreStd: r.std };
    snapshots.push(s);
    options.onSnapshot?.(s);
  };

  const random = uniformRandomPolicy(explore);
  const noisy = noisyPolicy(algo.policy(), explore, { sigma: o.explorationNoise });
  const obs = task.learners.map((i) => new Float32Array(E * task.obsDims[i]));
  const act = task.learners.map(() => new Float32Array(E * d));
  if (snapshots.length === 0 && updates === 0) takeSnapshot();
  while (updates < options.updates) {
    task.learners.forEach((i, k) => obs[k].set(env.obs[i]));
    (envSteps < o.warmupSteps ? random : noisy).act(obs, act);
    // rows of this step: record obs before stepping
    const rows = Array.from({ length: E }, (_, e) => (ptr + e) % o.bufferSize);
    for (let i = 0; i < nA; i++) {
      const od = task.obsDims[i], a = buffer.agents[i];
      rows.forEach((row, e) => a.obs.set(env.obs[i].subarray(e * od, (e + 1) * od), row * od));
    }
    const copyStates = (into: Float32Array | undefined) =>
      rows.forEach((row, e) => into!.set(env.states!.subarray(e * sd, (e + 1) * sd), row * sd));
    if (sd) copyStates(stateFields.states);
    env.step(act);
    if (sd) copyStates(stateFields.nextStates);
    for (let i = 0; i < nA; i++) {
      const od = task.obsDims[i], a = buffer.agents[i];
      rows.forEach((row, e) => {
        a.nextObs.set(env.obs[i].subarray(e * od, (e + 1) * od), row * od);
        for (let c = 0; c < d; c++) a.actions[row * d + c] = env.actions[(e * nA + i) * d + c];
        a.rewards[row] = env.rewards[e * nA + i];
        a.terminals[row] = 0;
        a.timeouts[row] = env.t === T ? 1 : 0;
      });
    }
    ptr = (ptr + E) % o.bufferSize;
    buffer.size = Math.min(buffer.size + E, o.bufferSize);
    envSteps += E;
    if (env.t === T) env.reset(envRng);
    if (envSteps >= o.warmupSteps && buffer.size >= o.batchSize) {
      algo.update(minibatches.next());
      updates++;
      options.onUpdate?.(updates);
      if (updates % o.snapshotEvery === 0) takeSnapshot();
      if (updates % o.checkpointEvery === 0) await save();
    }
  }
  await save();
  // a run that stops between snapshots ends with one more, kept out of the checkpoint so that a resumed
  // run's ladder equals an uninterrupted one
  const saved = snapshots.length;
  if (snapshots[snapshots.length - 1].updates !== updates) takeSnapshot();
  const ladderSnapshots = snapshots.slice();
  snapshots.length = saved;
  algo.dispose();
  env.dispose();
  return {
    format: "omar-kit-ladder-v1",
    task: baseTask.name,
    preySource: ladderPreySource(baseTask, options),
    config: {
      ...o,
      updates: options.updates,
      trainPrey,
      algorithm: omar ? "omar-td3" : "itd3",
      ...(omar ? { omar } : {}),
      targetNoise: 0.2,
      targetNoiseClip: 0.5,
      policyDelay: 2,
    },
    kitVersion: KIT_VERSION,
    snapshots: ladderSnapshots,
  };
}

/** Rows `[start, start + count)` (mod capacity) of every agent, concatenated as float32. */
function writeChunk(c: { start: number; count: number }, buffer: MultiAgentDataset, cap: number): Uint8Array {
  const parts: Float32Array[] = [];
  for (const a of buffer.agents) {
    const od = a.obsDim, d = a.actDim;
    const take = (arr: Float32Array | Uint8Array, width: number) => {
      const out = new Float32Array(c.count * width);
      for (let r = 0; r < c.count; r++) {
        const row = (c.start + r) % cap;
        for (let j = 0; j < width; j++) out[r * width + j] = arr[row * width + j];
      }
      return out;
    };
    parts.push(
      take(a.obs, od),
      take(a.actions, d),
      take(a.rewards, 1),
      take(a.nextObs, od),
      take(a.terminals, 1),
      take(a.timeouts, 1),
    );
  }
  const a0 = buffer.agents[0];
  if (a0.states && a0.nextStates) {
    for (const arr of [a0.states, a0.nextStates]) {
      const out = new Float32Array(c.count * a0.stateDim!);
      for (let r = 0; r < c.count; r++) {
        const row = (c.start + r) % cap;
        out.set(arr.subarray(row * a0.stateDim!, (row + 1) * a0.stateDim!), r * a0.stateDim!);
      }
      parts.push(out);
    }
  }
  const total = parts.reduce((s, p) => s + p.length, 0);
  const all = new Float32Array(total);
  let off = 0;
  for (const p of parts) all.set(p, off), off += p.length;
  return new Uint8Array(all.buffer);
}

function readChunk(
  data: Float32Array,
  c: { start: number; count: number },
  buffer: MultiAgentDataset,
  cap: number,
): void {
  let off = 0;
  for (const a of buffer.agents) {
    const od = a.obsDim, d = a.actDim;
    const put = (arr: Float32Array | Uint8Array, width: number) => {
      for (let r = 0; r < c.count; r++) {
        const row = (c.start + r) % cap;
        for (let j = 0; j < width; j++) arr[row * width + j] = data[off + r * width + j];
      }
      off += c.count * width;
    };
    put(a.obs, od),
      put(a.actions, d),
      put(a.rewards, 1),
      put(a.nextObs, od),
      put(a.terminals, 1),
      put(a.timeouts, 1);
  }
  const a0 = buffer.agents[0], sd = a0.stateDim ?? 0;
  for (const arr of a0.states && a0.nextStates ? [a0.states, a0.nextStates] : []) {
    for (let r = 0; r < c.count; r++) {
      const row = (c.start + r) % cap;
      arr.set(data.subarray(off + r * sd, off + (r + 1) * sd), row * sd);
    }
    off += c.count * sd;
  }
}
