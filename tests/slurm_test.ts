// The Slurm recipe on a real Slurm: cluster/slurm/local_cluster.sh brings up a single-node cluster from
// Debian's slurm-wlm and munge, Table 1 (smoke, a few tiny runs) goes in as a 4-task array through
// cluster/slurm/reproduce_array.sbatch, `reproduce merge` assembles the shards' folders, and the merged
// table must equal the unsharded one; without one shard's folder merge must fail. The daemons the test
// started are stopped by their pids, also when it fails. Outside CI a machine that cannot install or start
// Slurm skips it with one line; in CI (CI=true) it always runs.
import { assert, assertEquals } from "./assert.ts";
import { join } from "node:path";
import { REPO_ROOT } from "../lib/util/repo.ts";
import { shardPlan } from "../lib/experiments/scheduler.ts";
import { gridRuns } from "../lib/experiments/grid.ts";
import { applyGridOverrides } from "../lib/experiments/targets.ts";
import { GRID_EXPERIMENTS } from "../lib/experiments/catalog.ts";

const CI = Deno.env.get("CI") === "true";
const SHARDS = 4;

/** True when a command is on the PATH. */
function onPath(name: string): boolean {
  return (Deno.env.get("PATH") ?? "").split(":").some((d) => {
    try {
      return Deno.statSync(join(d, name)).isFile;
    } catch {
      return false;
    }
  });
}

const installed = ["slurmctld", "slurmd", "sbatch", "munged"].every(onPath);
const canInstall = Deno.uid() === 0 && onPath("apt-get");
const skip = !CI && !installed && !canInstall;
if (skip) {
  console.log("skipping the Slurm test: slurm-wlm/munge are not installed and apt-get is not usable here");
}

// Table 1 smoke cut to four tiny runs: one task, one quality, two algorithms, two seeds
const KNOBS: Record<string, string> = {
  tasks: "cooperative_navigation",
  qualities: "random",
  algos: "itd3,td3bc",
  seeds: "2",
  rounds: "40",
  batch: "32",
  samples: "500",
  "eval-every": "20",
  "eval-episodes": "2",
};
const knobFlags = Object.entries(KNOBS).flatMap(([k, v]) => [`--${k}`, v]);

async function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(cmd, { args, env, cwd: REPO_ROOT, stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

// `deno task reproduce`, the command the array's tasks run: the same permissions, so the same kernels
// (OpenBLAS where it loads) and bit for bit the same runs
const reproduce = (...args: string[]) => run(Deno.execPath(), ["task", "-q", "reproduce", ...args]);

/** True while a process runs (a zombie nobody reaps has stopped). */
const alive = (pid: number) => {
  try {
    const state = Deno.readTextFileSync(`/proc/${pid}/stat`).replace(/^.*\) /s, "")[0];
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
};

Deno.test({
  name: "slurm: Table 1 smoke as a 4-task array on a local Slurm, merged, equals the unsharded table",
  ignore: skip,
  fn: async () => {
    const started = Date.now();
    const tmp = await Deno.makeTempDir({ prefix: "omar-slurm-" });
    const clusterDir = join(tmp, "cluster");
    let pids: number[] = [];
    try {
      // every shard gets a run: the balanced assignment of this grid is one run per shard
      const grid = GRID_EXPERIMENTS.find((x) => x.name === "table1")!;
      const { runs } = await gridRuns(applyGridOverrides(grid.config("smoke"), KNOBS));
      const plan = await shardPlan(runs, SHARDS);
      assertEquals(plan.map((s) => s.runs.length), [1, 1, 1, 1]);

      // ports of this test process's own (a cluster left by a killed run keeps the default ones busy)
      const port = String(20000 + (Deno.pid % 5000) * 2);
      const up = await run("bash", ["cluster/slurm/local_cluster.sh", "up", clusterDir], {
        SLURM_LOCAL_PORT: port,
      });
      try {
        pids = (await Deno.readTextFile(join(clusterDir, "pids"))).split("\n").filter(Boolean).map(Number);
      } catch { /* no daemon started */ }
      if (up.code !== 0) {
        if (!CI) {
          console.log(
            `skipping the Slurm test: the local cluster did not start (${
              up.stderr.trim().split("\n").at(-1)
            })`,
          );
          return;
        }
        throw new Error(`local_cluster.sh up failed (exit ${up.code}):\n${up.stderr}`);
      }
      assertEquals(pids.length, 3, "munged, slurmctld and slurmd");
      const conf = /export SLURM_CONF=(\S+)/.exec(up.stdout)?.[1];
      assert(conf, up.stdout);
      const env = { SLURM_CONF: conf };

      const sharded = join(tmp, "sharded");
      const submit = await run("sbatch", [
        "--parsable",
        `--array=0-${SHARDS - 1}`,
        `--output=${join(tmp, "task-%a.out")}`,
        "cluster/slurm/reproduce_array.sbatch",
        "table1",
        sharded,
        "--profile",
        "smoke",
        ...knobFlags,
      ], env);
      assertEquals(submit.code, 0, submit.stderr);
      const job = submit.stdout.trim().split(";")[0];
      assert(/^\d+$/.test(job), submit.stdout);

      // meanwhile, the same table unsharded in this process's machine
      const whole = join(tmp, "whole");
      await Deno.mkdir(whole);
      const single = await reproduce(
        "table1",
        "--profile",
        "smoke",
        "--out",
        whole,
        "--jobs",
        "1",
        ...knobFlags,
      );
      assertEquals(single.code, 0, single.stderr);

      const deadline = Date.now() + 5 * 60_000;
      for (;;) {
        const q = await run("squeue", ["-h", "-j", job, "-o", "%i %T"], env);
        if (q.code === 0 && q.stdout.trim() === "") break;
        if (Date.now() > deadline) throw new Error(`array ${job} not done after 5 min:\n${q.stdout}`);
        await new Promise((r) => setTimeout(r, 2000));
      }
      const logs = async () => {
        const texts = [];
        for (let i = 0; i < SHARDS; i++) {
          texts.push(
            `--- task ${i}\n${await Deno.readTextFile(join(tmp, `task-${i}.out`)).catch(() => "(none)")}`,
          );
        }
        return texts.join("\n");
      };
      const show = await run("scontrol", ["show", "job", job], env);
      const states = [...show.stdout.matchAll(/JobState=(\S+)/g)].map((m) => m[1]);
      const codes = [...show.stdout.matchAll(/ ExitCode=(\S+)/g)].map((m) => m[1]);
      assertEquals(states, Array(SHARDS).fill("COMPLETED"), `${show.stdout}\n${await logs()}`);
      assertEquals(codes, Array(SHARDS).fill("0:0"), show.stdout);
      for (let i = 0; i < SHARDS; i++) {
        const out = await Deno.readTextFile(join(tmp, `task-${i}.out`));
        assert(out.includes(`shard ${i}/${SHARDS}: 1 runs done`), out);
      }

      const shardDirs = Array.from({ length: SHARDS }, (_, i) => join(sharded, `shard-${i}`));
      const merged = await reproduce(
        "merge",
        "table1",
        ...shardDirs,
        "--profile",
        "smoke",
        "--out",
        sharded,
        ...knobFlags,
      );
      assertEquals(merged.code, 0, merged.stderr);
      const cells = async (root: string) =>
        JSON.parse(await Deno.readTextFile(join(root, "table1", "smoke", "table.json"))).cells;
      const wholeCells = await cells(whole);
      assertEquals(wholeCells.length, 2); // ITD3 and TD3+BC, each over two seeds
      assertEquals(await cells(sharded), wholeCells);

      // without one shard's results the table is incomplete: merge refuses
      const partial = join(tmp, "partial");
      await Deno.mkdir(partial);
      const dropped = await reproduce(
        "merge",
        "table1",
        ...shardDirs.slice(0, -1),
        "--profile",
        "smoke",
        "--out",
        partial,
        ...knobFlags,
      );
      assertEquals(dropped.code, 2, dropped.stderr);
      assert(dropped.stderr.includes("merge: 1 of 4 runs have no result"), dropped.stderr);
      console.log(`slurm test: ${((Date.now() - started) / 1000).toFixed(0)} s`);
    } finally {
      await run("bash", ["cluster/slurm/local_cluster.sh", "down", clusterDir]);
      for (const pid of pids) {
        if (alive(pid)) Deno.kill(pid, "SIGKILL");
      }
      const left = pids.filter(alive);
      await Deno.remove(tmp, { recursive: true });
      assertEquals(left, [], "daemons still running");
    }
  },
});
