// Fault injection for `deno task reproduce` and `deno task datasets generate` (issue #13, items 1–3, 5, 8
// and 10): two processes on one folder, kill -9 at seeded random moments followed by a rerun compared
// byte for byte with an uninterrupted run, damaged state files, bad numbers for every numeric flag, and
// output paths that cannot be written. Bad input ends in one `error:` line with exit code 2; nothing
// already written is lost or clobbered.
import { assert, assertEquals } from "./assert.ts";
import { join } from "node:path";
import {
  assertOneLineError,
  generateArgs,
  killIfRunning,
  runTask,
  snapshotTree,
  TASK_PERMISSIONS,
  TINY_TABLE1,
} from "./cli.ts";
import { Rng } from "../lib/util/rng.ts";

const KNOBS = TINY_TABLE1;

/** `reproduce table1 --profile smoke` with the tiny knobs into `out`. */
const reproduceArgs = (out: string, ...extra: string[]) => [
  "table1",
  "--profile",
  "smoke",
  "--out",
  out,
  ...KNOBS,
  ...extra,
];
const reproduce = (out: string, ...extra: string[]) => runTask("reproduce.ts", reproduceArgs(out, ...extra));

/** Starts a task process (output discarded) to be killed. */
function spawnTask(script: string, args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...TASK_PERMISSIONS, join("tasks", script), ...args],
    cwd: new URL("..", import.meta.url).pathname,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How far a reproduce folder has got: the files under runs/ and datasets/, locks aside (0 while it moves). */
async function progressFiles(root: string): Promise<number> {
  let n = 0;
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      if (e.isDirectory) await walk(join(d, e.name));
      else if (!e.name.endsWith("lock")) n++;
    }
  };
  // a folder that is missing or renamed under the walk counts what was seen so far
  for (const top of ["runs", "datasets"]) await walk(join(root, top)).catch(() => {});
  return n;
}

/** What a finished reproduce folder holds that must not depend on interruptions: tables, models, datasets. */
async function outcomeBytes(root: string): Promise<Record<string, Uint8Array>> {
  const all = await snapshotTree(root);
  return Object.fromEntries(
    Object.entries(all).filter(([path]) =>
      /table\.(csv|json|txt)$/.test(path) || /model\.json$/.test(path) || path.startsWith("datasets/")
    ),
  );
}

function assertSameBytes(a: Record<string, Uint8Array>, b: Record<string, Uint8Array>): void {
  assertEquals(Object.keys(a).sort(), Object.keys(b).sort());
  for (const k of Object.keys(a)) {
    assert(a[k].length === b[k].length && a[k].every((x, i) => x === b[k][i]), k);
  }
}

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "faults_reproduce_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

// One uninterrupted run: the reference every faulted run must reproduce byte for byte.
const REFERENCE = await Deno.makeTempDir({ prefix: "faults_reproduce_ref_" });
const whole = await reproduce(REFERENCE, "--jobs", "1");
if (whole.code !== 0) throw new Error(`reference reproduce failed:\n${whole.stderr}`);
const REFERENCE_BYTES = await outcomeBytes(REFERENCE);
globalThis.addEventListener("unload", () => Deno.removeSync(REFERENCE, { recursive: true }));

Deno.test("reproduce: bad numbers for every numeric flag are one-line errors with exit code 2", async () => {
  const flags = ["jobs", "shards", "seeds", "rounds", "batch", "samples", "eval-every", "eval-episodes"];
  const cases: [string[], string[]][] = flags.flatMap((f) => [
    [[`--${f}=2.5`], [`--${f}`, "integer", '"2.5"']],
    [[`--${f}=0`], [`--${f}`, "positive integer", '"0"']],
  ]);
  cases.push(
    [["--rounds=abc"], ["--rounds", '"abc"']],
    [["--eval-episodes=-1"], ["--eval-episodes", '"-1"']],
    [["--shard", "abc"], ["--shard", '"abc"']],
    [["--shard", "4/4"], ["--shard", '"4/4"']],
    [["--shards", "2"], ["--shards 2", "JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID"]],
    [["--minibatches", "sometimes"], ["minibatch mode", '"sometimes"', "fresh, reseed"]],
  );
  await withTemp(async (dir) => {
    for (const [args, parts] of cases) {
      const r = await runTask("reproduce.ts", ["table1", "--profile", "smoke", "--out", dir, ...args], {
        env: { JOB_COMPLETION_INDEX: "", SLURM_ARRAY_TASK_ID: "" },
      });
      assertOneLineError(r, 2, ...parts);
    }
    assertEquals([...Deno.readDirSync(dir)], [], "a refused command wrote nothing");
  });
});

Deno.test("reproduce: an --out that cannot be written is refused before any work, naming it", async () => {
  await withTemp(async (dir) => {
    const file = join(dir, "a-file");
    await Deno.writeTextFile(file, "keep me\n");
    assertOneLineError(await reproduce(join(file, "results")), 2, "--out", file, "a file stands");
    assertEquals(await Deno.readTextFile(file), "keep me\n");
    assertOneLineError(await reproduce("/proc/omar-results"), 2, "--out", "/proc/omar-results");
  });
});

Deno.test("reproduce: two processes on one --out both finish with the uninterrupted run's bytes", async () => {
  await withTemp(async (dir) => {
    const [a, b] = await Promise.all([reproduce(dir, "--jobs", "1"), reproduce(dir, "--jobs", "2")]);
    assertEquals([a.code, b.code], [0, 0], `${a.stderr}\n${b.stderr}`);
    assertSameBytes(await outcomeBytes(dir), REFERENCE_BYTES);
  });
});

Deno.test("reproduce: kill -9 at seeded random moments, then a rerun, gives the uninterrupted bytes", async () => {
  // Kill moments are drawn in units of progress (files written under runs/ and datasets/), not of wall
  // time, so they land inside the run on a fast machine as on a loaded one.
  const rng = Rng.fromSeed(13, "kill-moments");
  const finalFiles = await progressFiles(REFERENCE);
  for (const jobs of ["1", "2"]) {
    await withTemp(async (dir) => {
      let landed = 0;
      for (const upTo of [0.5, 0.9]) {
        const now = await progressFiles(dir);
        const target = now + 1 + Math.floor(rng.uniform() * Math.max(1, upTo * finalFiles - now));
        const child = spawnTask("reproduce.ts", reproduceArgs(dir, "--jobs", jobs));
        let exited = false;
        child.status.then(() => exited = true);
        while (!exited && await progressFiles(dir) < target) await sleep(5);
        await sleep(30 * rng.uniform());
        if (await killIfRunning(child)) landed++;
      }
      assert(landed >= 1, `no kill landed inside a run (--jobs ${jobs})`);
      const resumed = await reproduce(dir, "--jobs", jobs);
      assertEquals(resumed.code, 0, resumed.stderr);
      assertSameBytes(await outcomeBytes(dir), REFERENCE_BYTES);
      const leftovers = Object.keys(await snapshotTree(dir))
        .filter((p) => /^(runs|datasets)\//.test(p) && /partial-|\.tmp$/.test(p));
      assertEquals(leftovers, []);
    });
  }
});

Deno.test("reproduce: damaged state files are named, never a stack trace; a damaged elapsed.json is survivable", async () => {
  await withTemp(async (dir) => {
    // interrupt once a run has checkpointed, so that a run folder holds training state
    const child = spawnTask("reproduce.ts", reproduceArgs(dir, "--jobs", "1"));
    const deadline = Date.now() + 60_000;
    let run: string | undefined;
    while (run === undefined && Date.now() < deadline) {
      run = Object.keys(await snapshotTree(dir).catch(() => ({})))
        .find((p) => p.startsWith("runs/") && p.endsWith("/checkpoint.json"));
      if (run === undefined) await sleep(20);
    }
    await killIfRunning(child);
    assert(run !== undefined, "no checkpoint appeared");
    run = join(dir, run, "..");
    // an empty elapsed.json: the run resumes (wall time restarts) and the results are unchanged
    await Deno.writeTextFile(join(run, "elapsed.json"), "");
    // an empty checkpoint: refused with the file named, in-process and from a worker
    const checkpoint = await Deno.readFile(join(run, "checkpoint.json"));
    await Deno.writeTextFile(join(run, "checkpoint.json"), "");
    for (const jobs of ["1", "2"]) {
      assertOneLineError(await reproduce(dir, "--jobs", jobs), 2, join(run, "checkpoint.json"), "remove it");
    }
    await Deno.writeFile(join(run, "checkpoint.json"), checkpoint);
    const resumed = await reproduce(dir, "--jobs", "1");
    assertEquals(resumed.code, 0, resumed.stderr);
    assert(resumed.stderr.includes(`${join(run, "elapsed.json")} is damaged`), resumed.stderr);
    assertSameBytes(await outcomeBytes(dir), REFERENCE_BYTES);
  });
});

Deno.test("reproduce: a damaged cached dataset is a one-line error naming the file, with --jobs 1 and 2", async () => {
  await withTemp(async (dir) => {
    const files = await snapshotTree(join(REFERENCE, "datasets"));
    for (const [rel, bytes] of Object.entries(files)) {
      await Deno.mkdir(join(dir, "datasets", rel, ".."), { recursive: true });
      await Deno.writeFile(join(dir, "datasets", rel), bytes);
    }
    const obs = Object.keys(files).find((p) => p.endsWith("seed_0_data/obs_0.npy"))!;
    await Deno.writeFile(join(dir, "datasets", obs), files[obs].subarray(0, files[obs].length / 2));
    for (const jobs of ["1", "2"]) {
      assertOneLineError(await reproduce(dir, "--jobs", jobs), 2, "obs_0.npy");
    }
  });
});

const generate = (out: string, samples: string) => runTask("datasets.ts", generateArgs(out, samples));
const GENERATED = join("simple_spread", "random", "seed_0_data");

Deno.test("datasets generate: two writers of one folder never clobber each other", async () => {
  await withTemp(async (dir) => {
    const first = generate(dir, "40000");
    await sleep(300);
    const [a, b] = await Promise.all([first, generate(dir, "30000")]);
    const won = [a, b].filter((r) => r.code === 0);
    const lost = [a, b].filter((r) => r.code !== 0);
    assertEquals([won.length, lost.length], [1, 1], `${a.stderr}\n${b.stderr}`);
    const line = assertOneLineError(lost[0], 2, join(dir, GENERATED));
    assert(/already exists|being written by another process/.test(line), line);
    const samples = /wrote (\d+) transitions/.exec(won[0].stdout)![1];
    const manifest = JSON.parse(await Deno.readTextFile(join(dir, GENERATED, "manifest.json")));
    assertEquals(String(manifest.size), samples);
  });
});

Deno.test("datasets generate: killed at random moments, rerun gives the same bytes; old partial folders are swept", async () => {
  await withTemp(async (dir) => {
    const reference = join(dir, "reference");
    const started = Date.now();
    assertEquals((await generate(reference, "200000")).code, 0);
    const took = Date.now() - started; // kill moments are drawn within it, on a fast machine as on a slow one
    const out = join(dir, "killed");
    await Deno.mkdir(join(out, GENERATED + ".partial-999999"), { recursive: true });
    await Deno.writeFile(join(out, GENERATED + ".partial-999999", "obs_0.npy"), new Uint8Array(1 << 20));
    const rng = Rng.fromSeed(7, "generate-kill");
    let landed = 0;
    for (let k = 0; k < 2; k++) {
      const child = spawnTask("datasets.ts", generateArgs(out, "200000"));
      await sleep(took * (0.3 + 0.6 * rng.uniform()));
      if (await killIfRunning(child)) landed++;
    }
    assert(landed >= 1, "no kill landed inside the generation");
    const r = await generate(out, "200000");
    if (r.code !== 0) assertOneLineError(r, 2, "already exists"); // a kill after the rename: already complete
    assertSameBytes(await snapshotTree(join(out, GENERATED)), await snapshotTree(join(reference, GENERATED)));
    const left = [...Deno.readDirSync(join(out, "simple_spread", "random"))].map((e) => e.name);
    assertEquals(left, ["seed_0_data"]);
  });
});
