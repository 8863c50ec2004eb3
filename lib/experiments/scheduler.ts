/**
 * Runs a list of run specs: finished runs are skipped, the rest run in up to `jobs` worker processes
 * (one run each, `tasks/run_worker.ts`), or in this process with one job. `shard` keeps a deterministic
 * part of the runs, balanced by estimated cost (longest first onto the least-loaded shard), so n machines —
 * a Kubernetes Indexed Job, a Slurm array — together do exactly the unsharded work in about 1/n of its
 * time; `merge` reassembles their folders.
 *
 * @module
 */
import { permissionGranted } from "../util/permissions.ts";
import { join } from "node:path";
import { KitInputError } from "../util/errors.ts";
import { REPO_ROOT } from "../util/repo.ts";
import { Progress } from "../util/progress.ts";
import { exists, lockHolder, writeFileAtomic } from "../util/fs.ts";
import { datasetSeconds, runSeconds } from "./costs.ts";
import {
  datasetFolder,
  type DatasetSpec,
  executeRun,
  readResult,
  RunBusyError,
  runId,
  type RunResult,
  type RunSpec,
  sleep,
} from "./runs.ts";

/** Which part of the runs this process does. */
export interface Shard {
  /** 0-based index of this shard. */
  index: number;
  /** Number of shards. */
  count: number;
}

/** Options of {@link runAll}. */
export interface ScheduleOptions {
  /** Results root (`<root>/runs/<id>`, `<root>/datasets/`). */
  root: string;
  /** Worker processes. Default 1 (in this process). */
  jobs?: number;
  /** Only this shard's runs. */
  shard?: Shard;
  /** Called when a run finishes (or is found finished). */
  onRunDone?: (result: RunResult, done: number, total: number) => void;
  /** Print no progress bar. */
  quiet?: boolean;
  /** Estimated seconds of a run: the progress bar counts work in these units, so its ETA is honest. */
  estimate?: (spec: RunSpec) => number;
}

/**
 * Parses `--shard i/n`, or, with `--shards n` (`count`), takes the index from `JOB_COMPLETION_INDEX`
 * (Kubernetes Indexed Job) or `SLURM_ARRAY_TASK_ID`. `--shards` without either variable is an error: every
 * machine of a sharded job would otherwise run the whole grid.
 */
export function parseShard(text: string | undefined, count?: number): Shard | undefined {
  if (count !== undefined) {
    if (text !== undefined) throw new KitInputError("give --shard i/n or --shards n, not both");
    // an empty variable counts as unset
    const envIndex = Deno.env.get("JOB_COMPLETION_INDEX") || Deno.env.get("SLURM_ARRAY_TASK_ID") || undefined;
    if (envIndex === undefined) {
      throw new KitInputError(
        `--shards ${count} needs this machine's index in JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID ` +
          "(neither is set); use --shard i/n to give it by hand",
      );
    }
    text = `${envIndex}/${count}`;
  }
  if (text === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const shard = m ? { index: Number(m[1]), count: Number(m[2]) } : null;
  if (!shard || shard.count < 1 || shard.index >= shard.count) {
    throw new KitInputError(`--shard expects i/n with 0 ≤ i < n (e.g. 0/4), got "${text}"`);
  }
  return shard;
}

/** A run with its content address. */
export interface IdentifiedRun {
  /** The run's id (`runId`). */
  id: string;
  /** The run. */
  spec: RunSpec;
}

/** One shard of a {@link shardPlan}. */
export interface ShardLoad {
  /** 0-based shard index. */
  index: number;
  /** Its runs, sorted by id. */
  runs: IdentifiedRun[];
  /** Estimated seconds of its runs on one core (OpenBLAS kernels, the costs the balance is assigned on). */
  runSeconds: number;
  /** Estimated seconds to generate the datasets its runs need (each shard makes its own). */
  datasetSeconds: number;
}

/**
 * The distinct runs of `specs`, sorted by id. The same spec listed twice is one run.
 */
export async function identifyRuns(specs: readonly RunSpec[]): Promise<IdentifiedRun[]> {
  const withIds = await Promise.all(specs.map(async (spec) => ({ id: await runId(spec), spec })));
  return [...new Map(withIds.map((r) => [r.id, r])).values()].sort((a, b) => (a.id < b.id ? -1 : 1));
}

/**
 * Splits the runs into `count` shards balanced by estimated cost: longest run first onto the shard where
 * it would finish first (ties: the lower index), runs of equal cost in id order. A shard pays for a
 * dataset once, with the first of its runs that needs it, so runs of one dataset tend to share a shard. The costs are the measured OpenBLAS
 * per-round costs whatever kernels this machine has, so the assignment depends on the run list alone and
 * every machine of a sharded job computes the same one.
 */
export async function shardPlan(specs: readonly RunSpec[], count: number): Promise<ShardLoad[]> {
  if (!Number.isInteger(count) || count < 1) {
    throw new KitInputError(`shard count expects a positive integer, got ${count}`);
  }
  const runs = await identifyRuns(specs);
  const costed = runs.map((r) => ({ ...r, cost: runSeconds(r.spec, "openblas") }))
    .sort((a, b) => b.cost - a.cost || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const shards = Array.from({ length: count }, (_, index) => ({
    index,
    runs: [] as IdentifiedRun[],
    load: 0,
    datasets: new Set<string>(),
  }));
  for (const r of costed) {
    // where it would finish first, counting the dataset a shard must make when it has none of its runs yet
    const key = JSON.stringify(r.spec.dataset);
    const making = datasetSeconds([r.spec]);
    const finish = (s: typeof shards[number]) => s.load + r.cost + (s.datasets.has(key) ? 0 : making);
    let best = shards[0];
    for (const s of shards) if (finish(s) < finish(best)) best = s;
    best.load = finish(best);
    best.datasets.add(key);
    best.runs.push({ id: r.id, spec: r.spec });
  }
  return shards.map((s) => {
    const sorted = s.runs.sort((a, b) => (a.id < b.id ? -1 : 1));
    const making = datasetSeconds(sorted.map((r) => r.spec));
    return { index: s.index, runs: sorted, runSeconds: s.load - making, datasetSeconds: making };
  });
}

/** The runs of `shard` ({@link shardPlan}), or every run without one; sorted by id. */
export async function shardRuns(specs: RunSpec[], shard?: Shard): Promise<IdentifiedRun[]> {
  if (!shard) return await identifyRuns(specs);
  return (await shardPlan(specs, shard.count))[shard.index].runs;
}

/** Exit code of `tasks/run_worker.ts` when another process holds the run's lock. */
export const WORKER_BUSY_EXIT = 3;

/** Seconds between looks at a run that another process is training. */
const POLL_SECONDS = 5;

/** The clean one-line error (`error: …`) a worker printed, if any. */
function workerError(stderr: string): string | null {
  const line = stderr.split("\n").reverse().find((l) => l.startsWith("error: "));
  return line ? line.slice("error: ".length) : null;
}

/**
 * Runs every spec (of the shard); returns the results in spec order of the shard. Datasets are made by
 * the runs that need them (one maker per dataset, the others wait), and a worker prefers a run whose
 * dataset no sibling is making. A run that another process is training (two `reproduce` on one folder) is
 * left to it: this process waits for its result at the end, or takes it over if that process dies.
 */
export async function runAll(specs: RunSpec[], options: ScheduleOptions): Promise<RunResult[]> {
  const runs = await shardRuns(specs, options.shard);
  const jobs = Math.max(1, options.jobs ?? 1);
  const cost = options.estimate ?? (() => 1);
  let bar: Progress | null = null; // made once the finished runs are counted, so its ETA is this process's pace
  const results = new Map<string, RunResult>();
  let done = 0;
  const finish = (r: { id: string; spec: RunSpec }, result: RunResult) => {
    results.set(result.id, result);
    done++;
    bar?.tick(cost(r.spec));
    options.onRunDone?.(result, done, runs.length);
  };
  let pending: { id: string; spec: RunSpec }[] = [];
  for (const r of runs) {
    const found = await readResult(join(options.root, "runs", r.id));
    if (found) finish(r, found);
    else pending.push(r);
  }
  // seed by seed: whatever has finished when a long job stops is a whole table over fewer seeds
  pending.sort((a, b) => a.spec.seed - b.spec.seed);
  if (!options.quiet) {
    bar = new Progress(
      options.estimate ? "work left (by estimated cost)" : "runs left",
      pending.reduce((a, r) => a + cost(r.spec), 0),
      { lineEverySeconds: 30, weighted: options.estimate !== undefined },
    );
  }
  const workers = Math.min(jobs, pending.length);
  while (pending.length > 0) {
    const busy: { id: string; spec: RunSpec }[] = [];
    if (workers <= 1) {
      for (const r of pending) {
        try {
          finish(r, await executeRun(r.spec, options.root));
        } catch (err) {
          if (!(err instanceof RunBusyError)) throw err;
          busy.push(r);
        }
      }
    } else {
      await runInWorkers(pending, { ...options, workers, finish, busy });
    }
    pending = [];
    for (const r of busy) {
      // another process trains it: wait for its result, or retry once its lock is gone
      const dir = join(options.root, "runs", r.id);
      for (;;) {
        const result = await readResult(dir);
        if (result) {
          finish(r, result);
          break;
        }
        if (!(await lockHolder(join(dir, "lock")))) {
          pending.push(r);
          break;
        }
        await sleep(POLL_SECONDS);
      }
    }
  }
  bar?.finish();
  return runs.map((r) => results.get(r.id)!);
}

/** Runs `pending` in worker processes (`tasks/run_worker.ts`, one run each). */
async function runInWorkers(
  pending: { id: string; spec: RunSpec }[],
  o: ScheduleOptions & {
    workers: number;
    finish: (r: { id: string; spec: RunSpec }, result: RunResult) => void;
    busy: { id: string; spec: RunSpec }[];
  },
): Promise<void> {
  const queue = [...pending];
  const making = new Set<string>(); // datasets a sibling worker is generating now
  const datasetReady = (ds: DatasetSpec) => exists(join(datasetFolder(o.root, ds), "manifest.json"));
  const next = () => {
    const k = queue.findIndex((r) => !making.has(JSON.stringify(r.spec.dataset)));
    return queue.splice(k === -1 ? 0 : k, 1)[0];
  };
  const worker = async () => {
    for (let r = next(); r; r = next()) {
      const key = JSON.stringify(r.spec.dataset);
      // (an online run collects its own data: no dataset to make)
      const makes = r.spec.kind !== "online" && !making.has(key) && !(await datasetReady(r.spec.dataset));
      if (makes) making.add(key);
      const dir = join(o.root, "runs", r.id);
      await Deno.mkdir(dir, { recursive: true });
      await writeFileAtomic(join(dir, "spec.json"), JSON.stringify(r.spec, null, 2) + "\n");
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-read",
          "--allow-write",
          "--allow-env",
          "--allow-sys",
          // workers use OpenBLAS (lib/nn/blas.ts) when this process may
          ...(permissionGranted({ name: "ffi" }) ? ["--allow-ffi"] : []),
          join(REPO_ROOT, "tasks", "run_worker.ts"),
          o.root,
          r.id,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      if (makes) making.delete(key);
      if (out.code === WORKER_BUSY_EXIT) {
        o.busy.push(r);
        continue;
      }
      const result = await readResult(dir);
      const stderr = new TextDecoder().decode(out.stderr);
      if (out.code !== 0 || !result) {
        const clean = workerError(stderr);
        if (clean !== null && out.code !== 0) throw new KitInputError(clean);
        throw new Error(`run ${r.id} failed (exit ${out.code}):\n${stderr.slice(-2000)}`);
      }
      o.finish(r, result);
    }
  };
  await Promise.all(Array.from({ length: o.workers }, worker));
}

/**
 * Reads every finished run under the given results roots (for `merge`). A root without a runs folder is
 * an error (a mistyped shard folder), except `optional` ones (the output root, which may hold no runs).
 */
export async function collectResults(
  roots: string[],
  options: { optional?: string[] } = {},
): Promise<RunResult[]> {
  const out = new Map<string, RunResult>();
  for (const root of roots) {
    let entries: Deno.DirEntry[] = [];
    try {
      entries = [...Deno.readDirSync(join(root, "runs"))];
    } catch (err) {
      if (err instanceof Deno.errors.NotFound && options.optional?.includes(root)) continue;
      if (err instanceof Deno.errors.NotFound) {
        throw new KitInputError(`${root}: no runs folder (expected ${join(root, "runs")})`);
      }
      throw err;
    }
    for (const e of entries) {
      const r = e.isDirectory ? await readResult(join(root, "runs", e.name)) : null;
      if (r) out.set(r.id, r);
    }
  }
  return [...out.values()];
}
