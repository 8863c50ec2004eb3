/**
 * OMAR's on-disk dataset layout, `<root>/<env_id>/<quality>/seed_<k>_data/`, holding per agent `i`
 * (env order, prey included): `obs_i.npy [N, obsDim]`, `acs_i.npy [N, actDim]`, `rews_i.npy [N]`,
 * `next_obs_i.npy [N, obsDim]` and `dones_i.npy [N]`, and on HalfCheetah the global state
 * `states_i.npy` / `next_states_i.npy [N, stateDim]` (read and written when present). The kit writes
 * float32 arrays and adds a `manifest.json` (format `omar-kit-dataset-v1`: metadata, dims and the SHA-256
 * of every file).
 *
 * Timeouts are not stored: they are derived from the episode length, row `k` being a timeout when
 * `(k + 1) % episodeLength === 0` and it is not terminal. This assumes fixed-length episodes starting at
 * row 0, which holds for OMAR's MPE data (no early terminations); {@link writeOmarDataset} refuses a
 * dataset whose timeouts differ from this rule, so nothing is lost silently.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { KitInputError } from "../util/errors.ts";
import { PROFILED_TASKS, taskProfile } from "../tasks/profiles.ts";
import { exists, sha256Hex, writeFileAtomic } from "../util/fs.ts";
import { type NpyArray, npyDtypeName, readNpy, writeNpy } from "../util/npy.ts";
import {
  actionsOutside,
  type AgentData,
  type DatasetMeta,
  type MultiAgentDataset,
  validateDataset,
} from "./dataset.ts";

/** The `format` field of the kit's `manifest.json`. */
export const MANIFEST_FORMAT = "omar-kit-dataset-v1";

/** The manifest's file name. */
export const MANIFEST_NAME = "manifest.json";

/** Task name → OMAR env id (the dataset folder name), where they differ (from the task profiles). */
export const TASK_TO_ENV_ID: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(
    PROFILED_TASKS.map((t) => [t, taskProfile(t).envId]).filter(([t, id]) => t !== id),
  ),
);

/** The OMAR env id of `task` ({@link TASK_TO_ENV_ID}, else `task` itself). */
export function envIdForTask(task: string): string {
  return Object.hasOwn(TASK_TO_ENV_ID, task) ? TASK_TO_ENV_ID[task] : task;
}

/** The task name of an OMAR env id (inverse of {@link envIdForTask}; unknown ids map to themselves). */
export function taskForEnvId(envId: string): string {
  for (const [task, id] of Object.entries(TASK_TO_ENV_ID)) if (id === envId) return task;
  return envId;
}

/** `<root>/<envId>/<quality>/seed_<seed>_data`, OMAR's folder for one dataset. */
export function datasetDir(root: string, envId: string, quality: string, seed: number): string {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new KitInputError(`datasetDir: seed ${seed}; expected a non-negative integer`);
  }
  return join(root, envId, quality, `seed_${seed}_data`);
}

/** The contents of `manifest.json`. */
export interface OmarManifest {
  /** Always {@link MANIFEST_FORMAT}. */
  format: typeof MANIFEST_FORMAT;
  /** The dataset's metadata. */
  meta: DatasetMeta;
  /** Rows per agent. */
  size: number;
  /** Number of agents (files `*_0.npy` … `*_{numAgents-1}.npy`). */
  numAgents: number;
  /** Observation size per agent. */
  obsDims: number[];
  /** Action size, shared by all agents. */
  actDim: number;
  /** File name → hex SHA-256 of its bytes. */
  files: Record<string, string>;
}

/** Timeouts derived from the episode length: `(k + 1) % episodeLength === 0` and not terminal. */
function deriveTimeouts(terminals: Uint8Array, episodeLength: number): Uint8Array {
  const out = new Uint8Array(terminals.length);
  for (let k = episodeLength - 1; k < terminals.length; k += episodeLength) out[k] = terminals[k] ? 0 : 1;
  return out;
}

/** A copy of `meta` with a fixed key order (and `extra`'s keys sorted, deeply) for stable JSON. */
function canonicalMeta(meta: DatasetMeta): DatasetMeta {
  const sortDeep = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortDeep);
    if (v !== null && typeof v === "object") {
      const o = v as Record<string, unknown>;
      return Object.fromEntries(Object.keys(o).sort().map((k) => [k, sortDeep(o[k])]));
    }
    return v;
  };
  const out: DatasetMeta = {
    task: meta.task,
    quality: meta.quality,
    seed: meta.seed,
    preySource: meta.preySource,
    behaviourPolicy: meta.behaviourPolicy,
    episodeLength: meta.episodeLength,
    referenceScores: meta.referenceScores === null ? null : {
      random: meta.referenceScores.random,
      expert: meta.referenceScores.expert,
      source: meta.referenceScores.source,
    },
    kitVersion: meta.kitVersion,
  };
  if (meta.extra !== undefined) out.extra = sortDeep(meta.extra) as Record<string, unknown>;
  return out;
}

/**
 * Writes `ds` to `dir` (created if needed) in OMAR's layout: per agent `i`, `obs_i`, `acs_i`, `rews_i`,
 * `next_obs_i` and `dones_i` (= terminals) as float32 `.npy` files, each written atomically, then
 * `manifest.json` last (atomically), so a directory with a manifest whose checksums match is complete.
 * Deterministic: the same dataset gives identical bytes in every file, manifest included.
 *
 * Throws {@link KitInputError} when the dataset is inconsistent ({@link validateDataset}), when agents
 * have different action sizes, or when its timeouts are not the ones derived from
 * `meta.episodeLength` (see the module doc).
 */
export async function writeOmarDataset(dir: string, ds: MultiAgentDataset): Promise<void> {
  validateDataset(ds, dir);
  const meta = ds.meta;
  if (!Number.isSafeInteger(meta.episodeLength) || meta.episodeLength < 1) {
    throw new KitInputError(`${dir}: meta.episodeLength ${meta.episodeLength}; expected a positive integer`);
  }
  const actDim = ds.agents[0].actDim;
  ds.agents.forEach((a, i) => {
    if (a.actDim !== actDim) {
      throw new KitInputError(
        `${dir}: agent ${i} actDim ${a.actDim} differs from agent 0's ${actDim}; the manifest holds one actDim`,
      );
    }
    if ((a.states === undefined) !== (a.nextStates === undefined)) {
      throw new KitInputError(`${dir}: agent ${i} has states or next states but not both`);
    }
    const derived = deriveTimeouts(a.terminals, meta.episodeLength);
    const bad = derived.findIndex((v, k) => v !== a.timeouts[k]);
    if (bad >= 0) {
      throw new KitInputError(
        `${dir}: agent ${i} timeouts row ${bad} is ${a.timeouts[bad]}, but the layout derives ${
          derived[bad]
        } from episodeLength ${meta.episodeLength} (timeout iff (k+1) % episodeLength == 0 and not terminal); timeouts are not stored`,
      );
    }
  });
  await Deno.mkdir(dir, { recursive: true });
  const n = ds.size;
  const files: Record<string, string> = {};
  for (let i = 0; i < ds.agents.length; i++) {
    const a = ds.agents[i];
    const arrays: [string, NpyArray][] = [
      [`obs_${i}.npy`, { dtype: "<f4", shape: [n, a.obsDim], data: a.obs }],
      [`acs_${i}.npy`, { dtype: "<f4", shape: [n, a.actDim], data: a.actions }],
      [`rews_${i}.npy`, { dtype: "<f4", shape: [n], data: a.rewards }],
      [`next_obs_${i}.npy`, { dtype: "<f4", shape: [n, a.obsDim], data: a.nextObs }],
      [`dones_${i}.npy`, { dtype: "<f4", shape: [n], data: new Float32Array(a.terminals) }],
    ];
    if (a.states && a.nextStates) {
      const sd = a.stateDim!;
      arrays.push(
        [`states_${i}.npy`, { dtype: "<f4", shape: [n, sd], data: a.states }],
        [`next_states_${i}.npy`, { dtype: "<f4", shape: [n, sd], data: a.nextStates }],
      );
    }
    for (const [file, arr] of arrays) {
      const bytes = writeNpy(arr);
      files[file] = await sha256Hex(bytes);
      await writeFileAtomic(join(dir, file), bytes);
    }
  }
  const manifest: OmarManifest = {
    format: MANIFEST_FORMAT,
    meta: canonicalMeta(meta),
    size: n,
    numAgents: ds.agents.length,
    obsDims: ds.agents.map((a) => a.obsDim),
    actDim,
    files,
  };
  await writeFileAtomic(join(dir, MANIFEST_NAME), JSON.stringify(manifest, null, 2) + "\n");
}

/** Options of {@link readOmarDataset}. */
export interface ReadOmarOptions {
  /** Check every file's SHA-256 against `manifest.json` when there is one. Default true. */
  verify?: boolean;
  /** Episode length used to derive timeouts when there is no manifest (the authors' files). Default 25. */
  episodeLength?: number;
  /**
   * Number of agents; default: the manifest's, else `expect.numAgents`, else the count of consecutive
   * `obs_<i>.npy` from 0 (files of a higher agent then are an error: an agent's files are missing).
   */
  numAgents?: number;
  /**
   * The shapes the dataset's task needs (from {@link datasetTaskName} and the task registry): the agent
   * count and every agent's observation, action and state size are checked against them, and an error
   * names the file and the task.
   */
  expect?: DatasetTaskShape;
  /**
   * Receives one-line warnings (actions outside [−1, 1], naming the file and the range found).
   * Default: printed on stderr as `warning: …`; `null` to drop them.
   */
  onWarning?: ((message: string) => void) | null;
}

/** What a task needs of its datasets (the fields of the kit's tasks that shape them). */
export interface DatasetTaskShape {
  /** Task id, for messages. */
  name: string;
  /** Agents, prey included (one set of files each). */
  numAgents: number;
  /** Observation size per agent (env order). */
  obsDims: readonly number[];
  /** Action size of every agent. */
  actDim: number;
  /** Global state size, for tasks whose datasets record it (checked when `states_<i>.npy` exist). */
  stateDim?: number;
  /** Where the task name came from, for messages (e.g. `manifest.json`, `the folder simple_spread`). */
  source?: string;
}

/** Kinds of per-agent files of the layout: `obs_3.npy` → agent 3. */
const AGENT_FILE = /^(obs|acs|rews|next_obs|dones|states|next_states)_(\d+)\.npy$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function isPositiveInt(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 1;
}

/** Parses and checks `manifest.json`; every problem is a {@link KitInputError} naming the file. */
function parseManifest(path: string, text: string): OmarManifest {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch (err) {
    throw new KitInputError(
      `${path}: not valid JSON (${(err as Error).message}); expected a kit dataset manifest`,
    );
  }
  const bad = (what: string): never => {
    throw new KitInputError(`${path}: ${what}`);
  };
  if (!isRecord(m)) return bad("expected a JSON object");
  if (m.format !== MANIFEST_FORMAT) {
    return bad(`format is ${JSON.stringify(m.format)}; expected "${MANIFEST_FORMAT}"`);
  }
  if (typeof m.size !== "number" || !Number.isSafeInteger(m.size) || m.size < 0) {
    bad(`size is ${JSON.stringify(m.size)}; expected a non-negative integer`);
  }
  if (!isPositiveInt(m.numAgents)) {
    bad(`numAgents is ${JSON.stringify(m.numAgents)}; expected a positive integer`);
  }
  const numAgents = m.numAgents as number;
  if (!Array.isArray(m.obsDims) || m.obsDims.length !== numAgents || !m.obsDims.every(isPositiveInt)) {
    bad(`obsDims is ${JSON.stringify(m.obsDims)}; expected ${numAgents} positive integers`);
  }
  if (!isPositiveInt(m.actDim)) bad(`actDim is ${JSON.stringify(m.actDim)}; expected a positive integer`);
  if (
    !isRecord(m.files) ||
    !Object.values(m.files).every((h) => typeof h === "string" && /^[0-9a-f]{64}$/.test(h))
  ) {
    bad("files is not an object of file name → hex SHA-256");
  }
  const meta = m.meta;
  if (!isRecord(meta)) return bad("meta is missing; expected an object");
  for (const key of ["task", "quality", "behaviourPolicy", "kitVersion"] as const) {
    if (typeof meta[key] !== "string") bad(`meta.${key} is ${JSON.stringify(meta[key])}; expected a string`);
  }
  if (typeof meta.seed !== "number") bad(`meta.seed is ${JSON.stringify(meta.seed)}; expected a number`);
  if (!isPositiveInt(meta.episodeLength)) {
    bad(`meta.episodeLength is ${JSON.stringify(meta.episodeLength)}; expected a positive integer`);
  }
  if (!(meta.preySource === null || meta.preySource === "original" || meta.preySource === "kit")) {
    bad(`meta.preySource is ${JSON.stringify(meta.preySource)}; expected "original", "kit" or null`);
  }
  const rs = meta.referenceScores;
  if (
    !(rs === null ||
      (isRecord(rs) && typeof rs.random === "number" && typeof rs.expert === "number" &&
        typeof rs.source === "string"))
  ) {
    bad(`meta.referenceScores is ${JSON.stringify(rs)}; expected null or {random, expert, source}`);
  }
  if (meta.extra !== undefined && !isRecord(meta.extra)) bad("meta.extra is not an object");
  return m as unknown as OmarManifest;
}

/** Meta inferred from a manifest-less directory's path `<env_id>/<quality>/seed_<k>_data`. */
function inferMeta(dir: string, episodeLength: number): DatasetMeta {
  const leaf = basename(dir);
  const seedMatch = /^seed_(\d+)_data$/.exec(leaf);
  const quality = seedMatch ? basename(dirname(dir)) : "unknown";
  const envId = seedMatch ? basename(dirname(dirname(dir))) : "";
  return {
    task: envId === "" ? "unknown" : taskForEnvId(envId),
    quality: quality === "" ? "unknown" : quality,
    seed: seedMatch ? Number(seedMatch[1]) : -1,
    preySource: null,
    behaviourPolicy: "unknown",
    episodeLength,
    referenceScores: null,
    kitVersion: "",
    extra: { inferred: "no manifest.json: task, quality and seed inferred from the path" },
  };
}

/** Reads `path` as bytes, a missing file being a {@link KitInputError} with `expectation`. */
async function readBytes(path: string, expectation: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new KitInputError(`${path}: file not found; ${expectation}`);
    }
    if (err instanceof Deno.errors.IsADirectory) {
      throw new KitInputError(`${path}: a directory, not a file; ${expectation}`);
    }
    throw err;
  }
}

/**
 * The task a dataset folder belongs to, and where that comes from: its `manifest.json`'s `meta.task`,
 * else the env-id folder of `<env_id>/<quality>/seed_<k>_data` (`simple_spread` →
 * `cooperative_navigation`), else `unknown`. A malformed manifest is a {@link KitInputError} naming it.
 */
export async function datasetTaskName(dir: string): Promise<{ task: string; source: string }> {
  const manifestPath = join(dir, MANIFEST_NAME);
  const text = await readManifestText(manifestPath);
  if (text !== null) return { task: parseManifest(manifestPath, text).meta.task, source: MANIFEST_NAME };
  const meta = inferMeta(dir, 25);
  if (meta.task === "unknown") return { task: "unknown", source: "no manifest and no <env_id> folder" };
  return { task: meta.task, source: `the folder ${envIdForTask(meta.task)}` };
}

/** The manifest's text, or null when there is none; a folder or unreadable file in its place is an error. */
async function readManifestText(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    if (err instanceof Deno.errors.IsADirectory) {
      throw new KitInputError(`${path}: a directory; expected the dataset's manifest (a JSON file)`);
    }
    throw err;
  }
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** float32 copy of a `<f4`/`<f8` array, or a {@link KitInputError} naming `path`. */
function toFloat32(path: string, arr: NpyArray): Float32Array {
  if (arr.dtype === "<f4") return arr.data as Float32Array;
  if (arr.dtype === "<f8") return new Float32Array(arr.data as Float64Array); // native conversion, fast
  throw new KitInputError(
    `${path}: dtype ${npyDtypeName(arr.dtype)} (${arr.dtype}); expected float32 (<f4) or float64 (<f8)`,
  );
}

/** 0/1 bytes from a dones array (f4, f8, bool, u1, i4 or i8), or a {@link KitInputError} naming `path`. */
function toFlags(path: string, arr: NpyArray): Uint8Array {
  const out = new Uint8Array(arr.data.length);
  if (arr.dtype === "<i8") {
    const d = arr.data as BigInt64Array;
    for (let k = 0; k < d.length; k++) {
      if (d[k] !== 0n && d[k] !== 1n) {
        throw new KitInputError(`${path}: row ${k} is ${d[k]}; expected 0 or 1`);
      }
      out[k] = Number(d[k]);
    }
    return out;
  }
  const d = arr.data as Float32Array | Float64Array | Int32Array | Uint8Array;
  for (let k = 0; k < d.length; k++) {
    const v = d[k];
    if (v !== 0 && v !== 1) {
      const also = arr.dtype === "|b1" ? " (a bool array holding a byte other than 0/1)" : "";
      throw new KitInputError(`${path}: row ${k} is ${v}${also}; expected 0 or 1`);
    }
    out[k] = v;
  }
  return out;
}

function checkFinite(path: string, a: Float32Array, dim: number): void {
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v - v !== 0) {
      throw new KitInputError(
        `${path}: row ${Math.floor(i / dim)} holds ${v}; expected finite numbers (no NaN or Infinity)`,
      );
    }
  }
}

/**
 * Reads a dataset in OMAR's layout from `dir`. With a `manifest.json` (written by
 * {@link writeOmarDataset}), meta, sizes and dims come from it and every file's SHA-256 is checked
 * (unless `verify: false`). Without one (the authors' own files), meta is inferred: `task` from the
 * env-id folder (`simple_spread` → `cooperative_navigation`, …; unknown ids kept as is), `quality` from
 * its parent folder, `seed` from `seed_<k>_data` (-1 if the path does not match), `preySource` and
 * `referenceScores` null, `behaviourPolicy` "unknown", `kitVersion` "", `episodeLength` from the
 * options (default 25), and `extra.inferred` saying so.
 *
 * Arrays may be float32 or float64 (converted to float32); dones may be float32/64, bool, uint8, int32
 * or int64 holding 0/1; rewards and dones may be `[N]` or `[N, 1]`. Timeouts are derived (module doc).
 * Every problem is a {@link KitInputError} naming the file and what was expected: missing directory or
 * file, truncated array, wrong dtype, wrong rank or shape, agents with different `N`, NaN/Infinity,
 * checksum mismatch, a manifest of the wrong format. Nothing is written.
 */
export async function readOmarDataset(
  dir: string,
  options: ReadOmarOptions = {},
): Promise<MultiAgentDataset> {
  const verify = options.verify ?? true;
  let isDir = false;
  try {
    isDir = (await Deno.stat(dir)).isDirectory;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  if (!isDir) {
    throw new KitInputError(
      `${dir}: dataset directory not found; expected <root>/<env_id>/<quality>/seed_<k>_data holding obs_<i>.npy, acs_<i>.npy, rews_<i>.npy, next_obs_<i>.npy, dones_<i>.npy`,
    );
  }
  const manifestPath = join(dir, MANIFEST_NAME);
  const manifestText = await readManifestText(manifestPath);
  const manifest = manifestText !== null ? parseManifest(manifestPath, manifestText) : null;
  const expect = options.expect;
  const forTask = expect ? ` (task ${expect.name}${expect.source ? `, from ${expect.source}` : ""})` : "";

  if (options.episodeLength !== undefined && !isPositiveInt(options.episodeLength)) {
    throw new KitInputError(
      `readOmarDataset: episodeLength ${options.episodeLength}; expected a positive integer`,
    );
  }
  if (options.numAgents !== undefined && !isPositiveInt(options.numAgents)) {
    throw new KitInputError(`readOmarDataset: numAgents ${options.numAgents}; expected a positive integer`);
  }
  if (expect !== undefined && options.numAgents !== undefined && options.numAgents !== expect.numAgents) {
    throw new KitInputError(
      `readOmarDataset: ${options.numAgents} agents were asked for, but task ${expect.name} has ${expect.numAgents}`,
    );
  }
  let numAgents: number;
  if (manifest !== null) {
    numAgents = manifest.numAgents;
    if (options.numAgents !== undefined && options.numAgents !== numAgents) {
      throw new KitInputError(
        `${manifestPath}: numAgents is ${numAgents}, but ${options.numAgents} agents were asked for`,
      );
    }
    if (expect !== undefined && expect.numAgents !== numAgents) {
      throw new KitInputError(
        `${manifestPath}: numAgents is ${numAgents}; task ${expect.name} has ${expect.numAgents} agents`,
      );
    }
  } else if (options.numAgents !== undefined) {
    numAgents = options.numAgents;
  } else {
    numAgents = expect?.numAgents ?? 0;
    if (expect === undefined) { while (await exists(join(dir, `obs_${numAgents}.npy`))) numAgents++; }
    if (numAgents === 0) {
      throw new KitInputError(
        `${dir}: no obs_0.npy and no ${MANIFEST_NAME}; expected OMAR's files obs_<i>.npy, acs_<i>.npy, rews_<i>.npy, next_obs_<i>.npy, dones_<i>.npy`,
      );
    }
    // files of an agent beyond the count: an agent's files are missing (or the task has fewer agents)
    const beyond: string[] = [];
    for await (const entry of Deno.readDir(dir)) {
      const m = AGENT_FILE.exec(entry.name);
      if (m && Number(m[2]) >= numAgents) beyond.push(entry.name);
    }
    if (beyond.length > 0) {
      beyond.sort();
      throw new KitInputError(
        expect !== undefined
          ? `${join(dir, beyond[0])}: a file of agent ${
            AGENT_FILE.exec(beyond[0])![2]
          }, but task ${expect.name} has ${numAgents} agents${forTask}`
          : `${join(dir, `obs_${numAgents}.npy`)}: file not found, but ${beyond.join(", ")} ${
            beyond.length > 1 ? "exist" : "exists"
          }; expected the files of every agent from 0 (an agent's files are missing)`,
      );
    }
  }
  const meta = manifest !== null ? manifest.meta : inferMeta(dir, options.episodeLength ?? 25);

  const load = async (file: string, agent: number): Promise<NpyArray> => {
    const path = join(dir, file);
    const bytes = await readBytes(path, `expected it for agent ${agent} of ${numAgents}${forTask}`);
    const arr = readNpy(bytes, path);
    if (manifest !== null && verify) {
      const expected = manifest.files[file];
      if (expected === undefined) {
        throw new KitInputError(`${path}: not listed in ${MANIFEST_NAME}; expected a SHA-256 for every file`);
      }
      const got = await sha256Hex(bytes);
      if (got !== expected) {
        throw new KitInputError(
          `${path}: sha256 mismatch with ${MANIFEST_NAME} (expected ${expected.slice(0, 12)}…, got ${
            got.slice(0, 12)
          }…); the file was changed or truncated`,
        );
      }
    }
    return arr;
  };

  let n = manifest !== null ? manifest.size : -1;
  let nSource = manifest !== null ? MANIFEST_NAME : "";
  const checkRows = (path: string, shape: readonly number[]): void => {
    if (n < 0) {
      n = shape[0];
      nSource = path;
    } else if (shape[0] !== n) {
      throw new KitInputError(
        `${path}: ${shape[0]} rows (shape ${
          shapeText(shape)
        }); expected ${n} like ${nSource} (all agents have the same N)`,
      );
    }
  };

  const agents: AgentData[] = [];
  for (let i = 0; i < numAgents; i++) {
    const obsFile = join(dir, `obs_${i}.npy`);
    const obsArr = await load(`obs_${i}.npy`, i);
    if (obsArr.shape.length !== 2) {
      throw new KitInputError(`${obsFile}: shape ${shapeText(obsArr.shape)}; expected rank 2 [N, obsDim]`);
    }
    checkRows(obsFile, obsArr.shape);
    const obsDim = obsArr.shape[1];
    if (manifest !== null && obsDim !== manifest.obsDims[i]) {
      throw new KitInputError(
        `${obsFile}: shape ${shapeText(obsArr.shape)}; expected obsDim ${
          manifest.obsDims[i]
        } from ${MANIFEST_NAME}`,
      );
    }
    if (expect !== undefined && obsDim !== expect.obsDims[i]) {
      throw new KitInputError(
        `${obsFile}: ${obsDim} observation columns (shape ${
          shapeText(obsArr.shape)
        }); agent ${i} of task ${expect.name} has ${expect.obsDims[i]}${forTask}`,
      );
    }
    const obs = toFloat32(obsFile, obsArr);

    const acsFile = join(dir, `acs_${i}.npy`);
    const acsArr = await load(`acs_${i}.npy`, i);
    if (acsArr.shape.length !== 2) {
      throw new KitInputError(`${acsFile}: shape ${shapeText(acsArr.shape)}; expected rank 2 [N, actDim]`);
    }
    checkRows(acsFile, acsArr.shape);
    const actDim = acsArr.shape[1];
    if (manifest !== null && actDim !== manifest.actDim) {
      throw new KitInputError(
        `${acsFile}: shape ${
          shapeText(acsArr.shape)
        }; expected actDim ${manifest.actDim} from ${MANIFEST_NAME}`,
      );
    }
    if (expect !== undefined && actDim !== expect.actDim) {
      throw new KitInputError(
        `${acsFile}: ${actDim} action columns (shape ${
          shapeText(acsArr.shape)
        }); task ${expect.name} has actDim ${expect.actDim}${forTask}`,
      );
    }
    const actions = toFloat32(acsFile, acsArr);

    const vector = (path: string, arr: NpyArray): void => {
      const s = arr.shape;
      if (!(s.length === 1 || (s.length === 2 && s[1] === 1))) {
        throw new KitInputError(`${path}: shape ${shapeText(s)}; expected [N] or [N, 1]`);
      }
      checkRows(path, s);
    };
    const rewsFile = join(dir, `rews_${i}.npy`);
    const rewsArr = await load(`rews_${i}.npy`, i);
    vector(rewsFile, rewsArr);
    const rewards = toFloat32(rewsFile, rewsArr);

    const nextFile = join(dir, `next_obs_${i}.npy`);
    const nextArr = await load(`next_obs_${i}.npy`, i);
    if (nextArr.shape.length !== 2 || nextArr.shape[0] !== obsArr.shape[0] || nextArr.shape[1] !== obsDim) {
      throw new KitInputError(
        `${nextFile}: shape ${shapeText(nextArr.shape)}; expected the shape of obs_${i}.npy, ${
          shapeText(obsArr.shape)
        }`,
      );
    }
    const nextObs = toFloat32(nextFile, nextArr);

    const donesFile = join(dir, `dones_${i}.npy`);
    const donesArr = await load(`dones_${i}.npy`, i);
    vector(donesFile, donesArr);
    const terminals = toFlags(donesFile, donesArr);

    checkFinite(obsFile, obs, obsDim);
    checkFinite(acsFile, actions, actDim);
    checkFinite(rewsFile, rewards, 1);
    checkFinite(nextFile, nextObs, obsDim);

    // the global state (OMAR's HalfCheetah files), when present
    const statesFile = join(dir, `states_${i}.npy`), nextStatesFile = join(dir, `next_states_${i}.npy`);
    let state: Pick<AgentData, "states" | "nextStates" | "stateDim"> = {};
    if (manifest !== null ? `states_${i}.npy` in manifest.files : await exists(statesFile)) {
      const sArr = await load(`states_${i}.npy`, i), nsArr = await load(`next_states_${i}.npy`, i);
      for (const [path, arr] of [[statesFile, sArr], [nextStatesFile, nsArr]] as const) {
        if (arr.shape.length !== 2 || arr.shape[1] !== sArr.shape[1]) {
          throw new KitInputError(
            `${path}: shape ${shapeText(arr.shape)}; expected [N, stateDim] like states_${i}`,
          );
        }
        checkRows(path, arr.shape);
      }
      const sd = sArr.shape[1];
      if (expect?.stateDim !== undefined && sd !== expect.stateDim) {
        throw new KitInputError(
          `${statesFile}: shape ${
            shapeText(sArr.shape)
          }; task ${expect.name} has a ${expect.stateDim}-D global state${forTask}`,
        );
      }
      state = {
        states: toFloat32(statesFile, sArr),
        nextStates: toFloat32(nextStatesFile, nsArr),
        stateDim: sd,
      };
      checkFinite(statesFile, state.states!, sd);
      checkFinite(nextStatesFile, state.nextStates!, sd);
    }

    agents.push({
      ...state,
      obs,
      actions,
      rewards,
      nextObs,
      terminals,
      timeouts: deriveTimeouts(terminals, meta.episodeLength),
      obsDim,
      actDim,
    });
  }
  const ds: MultiAgentDataset = { size: Math.max(n, 0), agents, meta };
  validateDataset(ds, dir);
  const warn = options.onWarning === undefined
    ? (m: string) => console.warn(`warning: ${m}`)
    : options.onWarning;
  if (warn) {
    // 4 significant digits, unless that would print a value outside [-1, 1] as ±1
    const fmt = (v: number) => {
      const short = Number(v.toPrecision(4));
      return String(Math.abs(short) > 1 || Math.abs(v) <= 1 ? short : v);
    };
    for (const r of actionsOutside(ds)) {
      warn(
        `${join(dir, `acs_${r.agent}.npy`)}: actions in [${fmt(r.min)}, ${fmt(r.max)}], outside [-1, 1] ` +
          `(the environments clip actions to [-1, 1]; the dataset's actions are not the ones that acted)`,
      );
    }
  }
  return ds;
}
