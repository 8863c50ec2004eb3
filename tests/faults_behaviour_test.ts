// Fault cases of issue #13 for `deno task behaviour` and `deno task bench`, run as a user would run them:
// nonsense numbers, output folders that cannot be written, a stale checkpoint and checkpoints of another
// critic kind. Bad input must end with exit code 2 and one `error:` line naming the flag or folder, no
// stack trace, and nothing already written lost.
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { join } from "node:path";
import { benchTrain } from "../lib/algos/bench.ts";
import { benchEnv } from "../lib/envs/bench.ts";
import { makeTask } from "../lib/envs/mod.ts";
import { exists } from "../lib/util/fs.ts";
import { assertOneLineError, type Outcome, runTask, snapshotTree, TASK_PERMISSIONS } from "./cli.ts";

/** Runs `deno task <script> …args` (from `cwd`, default the repository). */
const kit = (script: "behaviour" | "bench", args: string[], cwd?: string) =>
  runTask(`${script}.ts`, args, { cwd, permissions: TASK_PERMISSIONS.filter((p) => p !== "--allow-run") });

/** Exit code 2, exactly one `error:` line holding every one of `parts`, no stack frame. */
const assertInputError = (r: Outcome, ...parts: string[]) => assertOneLineError(r, 2, ...parts);

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "faults_behaviour_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("behaviour train / thin: nonsense numbers are one-line errors naming the flag, before any work", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "out"), ck = join(dir, "ck");
    const cases: [string[], string][] = [
      [["--updates=-5"], `--updates expects a positive integer, got "-5"`],
      [["--updates", "2.5"], `--updates expects a positive integer, got "2.5"`],
      [["--updates", "many"], `--updates expects a positive integer, got "many"`],
      [["--updates", "0"], `--updates expects a positive integer, got "0"`],
      [["--seed=-1"], `--seed expects a non-negative integer, got "-1"`],
      [["--seed", "1.5"], `--seed expects a non-negative integer, got "1.5"`],
      [["--snapshot-every", "0"], `--snapshot-every expects a positive integer, got "0"`],
    ];
    for (const [flags, message] of cases) {
      const r = await kit("behaviour", [
        "train",
        "spread_1d_n1",
        ...flags,
        "--out",
        out,
        "--checkpoint-dir",
        ck,
      ]);
      assertInputError(r, message);
      assert(!r.stdout.includes("snapshot:"), `trained with ${flags}`);
    }
    assert(!await exists(out) && !await exists(ck), "a refused run wrote nothing");
    for (
      const [flags, message] of [
        [["--dense-until=-1"], `--dense-until expects a non-negative integer, got "-1"`],
        [["--every", "0"], `--every expects a positive integer, got "0"`],
        [["--every", "2.5"], `--every expects a positive integer, got "2.5"`],
      ] as [string[], string][]
    ) {
      assertInputError(await kit("behaviour", ["thin", "spread_1d_n1", ...flags, "--out", out]), message);
    }
  });
});

Deno.test("bench: nonsense numbers are one-line errors naming the flag (no negative rates)", async () => {
  const cases: [string[], string][] = [
    [["train", "--rounds=-1"], `--rounds expects a positive integer, got "-1"`],
    [["train", "--rounds", "0"], `--rounds expects a positive integer, got "0"`],
    [["train", "--batch", "1.5"], `--batch expects a positive integer, got "1.5"`],
    [["env", "--envs", "0"], `--envs expects a positive integer, got "0"`],
    [["env", "--envs", "2.5"], `--envs expects a positive integer, got "2.5"`],
    [["env", "--seconds", "0"], `--seconds expects a positive number, got "0"`],
    [["env", "--seconds=-1"], `--seconds expects a positive number, got "-1"`],
  ];
  for (const [args, message] of cases) {
    const r = await kit("bench", args);
    assertInputError(r, message);
    assertEquals(r.stdout, "", `${args} measured something`);
  }
  // the library functions check the same options
  const task = makeTask("spread_1d_n1");
  assertThrows(
    () => benchTrain("itd3", task, { rounds: -1 }),
    /benchTrain: rounds expects a positive integer/,
  );
  assertThrows(() => benchTrain("itd3", task, { batchSize: 0 }), /benchTrain: batchSize expects/);
  assertThrows(() => benchEnv(task, { numEnvs: 0 }), /benchEnv: numEnvs expects a positive integer/);
  assertThrows(() => benchEnv(task, { seconds: -1 }), /benchEnv: seconds expects a positive number/);
});

Deno.test("behaviour train: an output or checkpoint folder that cannot be written is refused before training", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "a-file");
    await Deno.writeTextFile(file, "in the way\n");
    const r = await kit("behaviour", [
      "train",
      "spread_1d_n1",
      "--updates",
      "5",
      "--out",
      join(file, "out"),
      "--checkpoint-dir",
      join(dir, "ck"),
    ]);
    assertInputError(r, "--out", join(file, "out"), "a file stands where a folder is needed");
    assert(!r.stdout.includes("snapshot:"), "it trained first");
    assert(!await exists(join(dir, "ck")), "checkpoint folder made for a run that cannot write its ladder");
    const c = await kit("behaviour", [
      "train",
      "spread_1d_n1",
      "--updates",
      "5",
      "--out",
      join(dir, "out"),
      "--checkpoint-dir",
      join(file, "ck"),
    ]);
    assertInputError(c, "--checkpoint-dir", join(file, "ck"));
    assert(!c.stdout.includes("snapshot:"), "it trained first");
    assertEquals(await Deno.readTextFile(file), "in the way\n");
  });
});

Deno.test("behaviour train: a stale checkpoint (more updates than asked) is refused, and nothing is lost", async () => {
  await withTempDir(async (dir) => {
    const ck = join(dir, "ck"), a = join(dir, "a"), b = join(dir, "b");
    const train = (updates: number, out: string, ...more: string[]) =>
      kit("behaviour", [
        "train",
        "spread_1d_n1",
        "--updates",
        String(updates),
        "--out",
        out,
        "--checkpoint-dir",
        ck,
        ...more,
      ]);
    const first = await train(20, a);
    assertEquals(first.code, 0, first.stderr);
    const before = await snapshotTree(dir);
    assertInputError(await train(10, b), ck, "already holds 20 update rounds, more than the 10 asked");
    assertInputError(await train(20, b, "--critic", "centralized"), ck, `critic "decentralized" there`);
    assertInputError(await train(20, b, "--snapshot-every", "5"), ck, "snapshotEvery 100 there, 5 asked");
    assert(!await exists(join(b, "spread_1d_n1.json")), "a refused run wrote a ladder");
    assertEquals(await snapshotTree(dir), before);
    // the same settings resume: the ladder is the first one, byte for byte
    const again = await train(20, b);
    assertEquals(again.code, 0, again.stderr);
    assertEquals(
      await Deno.readFile(join(b, "spread_1d_n1.json")),
      await Deno.readFile(join(a, "spread_1d_n1.json")),
    );
  });
});

Deno.test("behaviour train: the default critic, then --critic centralized, train into separate default folders", async () => {
  await withTempDir(async (dir) => {
    // the default checkpoint folder is cache/behaviour/… under the working folder
    const run = (...args: string[]) =>
      kit("behaviour", ["train", "spread_1d_n1", "--updates", "10", "--out", join(dir, "out"), ...args], dir);
    const dec = await run();
    assertEquals(dec.code, 0, dec.stderr);
    const folders = () => [...Deno.readDirSync(join(dir, "cache", "behaviour"))].map((e) => e.name).sort();
    const [first] = folders();
    const cen = await run("--critic", "centralized");
    assertEquals(cen.code, 0, cen.stderr);
    assert(!cen.stderr.includes("RangeError"), cen.stderr);
    const both = folders();
    assertEquals(both.length, 2, `${both}`);
    assert(both.every((f) => /^spread_1d_n1_seed0_[0-9a-f]{8}$/.test(f)), `${both}`);
    // the same run again finds its own folder and makes no third one
    assertEquals((await run("--critic", "centralized")).code, 0);
    assertEquals(folders(), both);
    // pointed explicitly at the decentralized folder, centralized critics are refused, naming both
    const folder = join(dir, "cache", "behaviour", first);
    assertInputError(await run("--critic", "centralized", "--checkpoint-dir", folder), folder, "critic");
  });
});
