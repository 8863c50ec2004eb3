/**
 * Runs a list of run specs: finished runs are skipped, the rest run in up to `jobs` worker processes
 * (one run each, `tasks/run_worker.ts`), or in this process with one job. `shard` keeps a deterministic
 * 1/n of the runs (sorted by id, every n-th), so n machines — a Kubernetes Indexed Job, a Slurm array —
 * together do exactly the unsharded work; `merge` reassembles their folders.
 *
 * @module
 */
import { permissionGranted } from "../util/permissions.ts";
import { join } from "node:path";
import { KitInputError } from "../util/errors.ts";
import { REPO_ROOT } from "../util/repo.ts";
import { Progress } from "../util/progress.ts";
import { writeFileAtomic } from "../util/fs.ts";
import { ensureDataset, executeRun, readResult, runId, type RunResult, type RunSpec } from "./runs.ts";

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
}

/** Parses `i/n` (or the index from `JOB_COMPLETION_INDEX` / `SLURM_ARRAY_TASK_ID` with `count`). */
export function parseShard(text: string | undefined, count?: number): Shard | undefined {
  const envIndex = Deno.env.get("JOB_COMPLETION_INDEX") ?? Deno.env.get("SLURM_ARRAY_TASK_ID");
  if (text === undefined && envIndex !== undefined && count !== undefined) text = `${envIndex}/${count}`;
  if (text === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const shard = m ? { index: Number(m[1]), count: Number(m[2]) } : null;
  if (!shard || shard.count < 1 || shard.index >= shard.count) {
    throw new KitInputError(`--shard expects i/n with 0 ≤ i < n (e.g. 0/4), got "${text}"`);
  }
  return shard;
}

/** The runs of `shard`: sorted by id, every `count`-th from `index`. */
export async function shardRuns(specs: RunSpec[], shard?: Shard): Promise<{ id: string; spec: RunSpec }[]> {
  const withIds = await Promise.all(specs.map(async (spec) => ({ id: await runId(spec), spec })));
  const unique = [...new Map(withIds.map((r) => [r.id, r])).values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  return shard ? unique.filter((_, i) => i % shard.count === shard.index) : unique;
}

/** Runs every spec (of the shard); returns the results in spec order of the shard. */
export async function runAll(specs: RunSpec[], options: ScheduleOptions): Promise<RunResult[]> {
  const runs = await shardRuns(specs, options.shard);
  const jobs = Math.max(1, options.jobs ?? 1);
  const bar = options.quiet ? null : new Progress("runs", runs.length, { lineEverySeconds: 30 });
  const results = new Map<string, RunResult>();
  let done = 0;
  const finish = (r: RunResult) => {
    results.set(r.id, r);
    done++;
    bar?.tick();
    options.onRunDone?.(r, done, runs.length);
  };
  const pending: { id: string; spec: RunSpec }[] = [];
  for (const r of runs) {
    const found = await readResult(join(options.root, "runs", r.id));
    if (found) finish(found);
    else pending.push(r);
  }
  // datasets first, once each, so workers never race to make the same one
  const datasets = new Map(pending.map((r) => [JSON.stringify(r.spec.dataset), r.spec.dataset]));
  for (const ds of datasets.values()) await ensureDataset(options.root, ds);
  if (jobs === 1) {
    for (const r of pending) finish(await executeRun(r.spec, options.root));
  } else {
    const queue = [...pending];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const dir = join(options.root, "runs", next.id);
        await Deno.mkdir(dir, { recursive: true });
        await writeFileAtomic(join(dir, "spec.json"), JSON.stringify(next.spec, null, 2) + "\n");
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
            options.root,
            next.id,
          ],
          stdout: "piped",
          stderr: "piped",
        }).output();
        const result = await readResult(dir);
        if (out.code !== 0 || !result) {
          throw new Error(
            `run ${next.id} failed (exit ${out.code}):\n${new TextDecoder().decode(out.stderr).slice(-2000)}`,
          );
        }
        finish(result);
      }
    };
    await Promise.all(Array.from({ length: Math.min(jobs, pending.length) }, worker));
  }
  bar?.finish();
  return runs.map((r) => results.get(r.id)!);
}

/** Reads every finished run under the given results roots (for `merge`). */
export async function collectResults(roots: string[]): Promise<RunResult[]> {
  const out = new Map<string, RunResult>();
  for (const root of roots) {
    let entries: Deno.DirEntry[] = [];
    try {
      entries = [...Deno.readDirSync(join(root, "runs"))];
    } catch (err) {
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
