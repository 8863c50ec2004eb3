import { assert, assertEquals, assertRejects } from "./assert.ts";
import { join } from "node:path";
import { initBackend } from "../lib/nn/backend.ts";
import { onlineSettingsKey, trainOnline } from "../lib/behaviour/online.ts";
import { KitInputError } from "../lib/util/errors.ts";
import { buildDataset, generateDataset } from "../lib/behaviour/generate.ts";
import { snapshotJointPolicy } from "../lib/behaviour/ladder.ts";
import { readLadder, writeLadder, writePrey } from "../lib/behaviour/store.ts";
import { readOmarDataset } from "../lib/data/omar_layout.ts";
import { episodeReturns, meanOverAgents } from "../lib/data/dataset.ts";
import { loadPrey, makeTask } from "../lib/envs/mod.ts";
import { evaluate } from "../lib/eval/rollout.ts";

await initBackend("wasm");

const task = makeTask("spread_1d_n1");
const small = { warmupSteps: 2000, batchSize: 1024, snapshotEpisodes: 50 };
// a real (tiny) ladder: online ITD3 on 1-agent Spread climbs from ~85 to ~220 within ~1000 updates
const ladder = await trainOnline(task, { ...small, updates: 1200, snapshotEvery: 150 });

Deno.test("online ITD3 learns: the ladder climbs from the untrained actor to above the scripted rule", () => {
  const first = ladder.snapshots[0], last = ladder.snapshots[ladder.snapshots.length - 1];
  assertEquals(first.updates, 0);
  assertEquals(last.updates, 1200);
  assertEquals(ladder.snapshots.length, 9);
  assert(last.score > 200 && last.score > first.score + 80, `ladder ${first.score} → ${last.score}`);
  // env steps: warm-up, then one 4-env vectorized step per update round
  assertEquals(ladder.snapshots[1].envSteps, 2000 + 4 * 150 - 4);
  // the stored score is what the snapshot's float64 actor scores
  const again = evaluate(task, snapshotJointPolicy(last), { episodes: 50, seed: 100 }).mean;
  assertEquals(again, last.score);
});

Deno.test("online training resumes from its checkpoint to the same ladder, bit for bit", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const opts = {
      ...small,
      warmupSteps: 600,
      batchSize: 128,
      snapshotEvery: 40,
      snapshotEpisodes: 5,
      checkpointEvery: 30,
    };
    const whole = await trainOnline(task, { ...opts, updates: 120 });
    await trainOnline(task, { ...opts, updates: 50, checkpointDir: dir }); // "killed" after 50 rounds
    const resumed = await trainOnline(task, { ...opts, updates: 120, checkpointDir: dir });
    assertEquals(resumed.snapshots, whole.snapshots);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** An assertRejects check: a KitInputError whose message holds every one of `parts`. */
function inputError(...parts: string[]) {
  return (err: unknown) => {
    assert(err instanceof KitInputError, `not a KitInputError: ${err}`);
    for (const p of parts) assert(err.message.includes(p), `"${err.message}" lacks "${p}"`);
    assert(!err.message.includes("\n"), `not one line: ${err.message}`);
    return true;
  };
}

const tiny = { warmupSteps: 300, batchSize: 64, snapshotEvery: 10, snapshotEpisodes: 2, checkpointEvery: 10 };

Deno.test("a checkpoint made with other settings, or past the asked updates, is refused and left intact", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = await trainOnline(task, { ...tiny, updates: 20, checkpointDir: dir });
    const files = async () =>
      Object.fromEntries(
        await Promise.all(
          [...Deno.readDirSync(dir)].map(async (e) => [e.name, await Deno.readFile(join(dir, e.name))]),
        ),
      );
    const before = await files();
    await assertRejects(
      () => trainOnline(task, { ...tiny, updates: 40, critic: "centralized", checkpointDir: dir }),
      inputError(dir, `critic "decentralized" there, "centralized" asked`),
    );
    await assertRejects(
      () => trainOnline(task, { ...tiny, updates: 40, hidden: [32, 32], seed: 3, checkpointDir: dir }),
      inputError(dir, "hidden [64,64] there, [32,32] asked", "seed 0 there, 3 asked"),
    );
    // the stale case of issue #13: 20 rounds in the folder, 10 asked
    await assertRejects(
      () => trainOnline(task, { ...tiny, updates: 10, checkpointDir: dir }),
      inputError(dir, "already holds 20 update rounds, more than the 10 asked"),
    );
    assertEquals(await files(), before);
    // the same settings still resume: here nothing is left to do, and the ladder is the same
    assertEquals(await trainOnline(task, { ...tiny, updates: 20, checkpointDir: dir }), first);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkpoint keys: every setting that shapes a run splits them, the target and cadence do not", async () => {
  const key = (o: Partial<Parameters<typeof trainOnline>[1]>) =>
    onlineSettingsKey(task, { ...tiny, updates: 20, ...o });
  const base = await key({});
  assertEquals(base, await key({ updates: 5000, checkpointEvery: 7, onUpdate: () => {} }));
  const others = await Promise.all([
    key({ critic: "centralized" }),
    key({ hidden: [32, 32] }),
    key({ seed: 1 }),
    key({ batchSize: 32 }),
    key({ snapshotEvery: 5 }),
    key({ numEnvs: 2 }),
  ]);
  assertEquals(new Set([base, ...others]).size, 7);
  const pp = makeTask("predator_prey");
  assert(
    await onlineSettingsKey(pp, { updates: 1, preySource: "kit" }) !==
      await onlineSettingsKey(pp, { updates: 1, preySource: "original" }),
  );
  // the default critic, then centralized ones, each in the folder named by its key: both train
  const root = await Deno.makeTempDir();
  try {
    for (const critic of ["decentralized", "centralized"] as const) {
      const opts = { ...tiny, updates: 10, critic };
      const ladder = await trainOnline(task, {
        ...opts,
        checkpointDir: join(root, await onlineSettingsKey(task, opts)),
      });
      assertEquals(ladder.config.critic, critic);
    }
    assertEquals([...Deno.readDirSync(root)].length, 2);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("trainOnline refuses nonsense numbers up front, naming the option", async () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ updates: -5 }, "updates expects a positive integer"],
    [{ updates: 2.5 }, "updates expects a positive integer"],
    [{ updates: NaN }, "updates expects a positive integer"],
    [{ snapshotEvery: 0 }, "snapshotEvery expects a positive integer"],
    [{ checkpointEvery: -1 }, "checkpointEvery expects a positive integer"],
    [{ numEnvs: 0 }, "numEnvs expects a positive integer"],
    [{ batchSize: 1.5 }, "batchSize expects a positive integer"],
    [{ warmupSteps: -1 }, "warmupSteps expects a non-negative integer"],
    [{ seed: -1 }, "seed expects a non-negative integer"],
    [{ lr: 0 }, "lr expects a positive number"],
    [{ gamma: 1.5 }, "gamma expects a number in [0, 1]"],
    [{ hidden: [64] }, "hidden expects two positive integer widths"],
    [{ bufferSize: 32 }, "bufferSize (32) must hold at least a minibatch (batchSize 64)"],
    [{ critic: "central" }, `critic expects "decentralized" or "centralized", got "central"`],
  ];
  for (const [bad, message] of cases) {
    await assertRejects(
      () => trainOnline(task, { ...tiny, updates: 10, ...bad } as Parameters<typeof trainOnline>[1]),
      inputError(`trainOnline: `, message),
      JSON.stringify(bad),
    );
  }
});

Deno.test("ladder datasets: medium is the snapshot nearest one third of the way; replays follow the run", () => {
  const meta = { seed: 0, preySource: null, referenceScores: null, kitVersion: "test" };
  const randomRef = 60;
  const build = (q: "random" | "medium-replay" | "medium" | "expert", fraction?: number) =>
    buildDataset(task, q, {
      seed: 1,
      samples: 25 * 400,
      ladder,
      prey: null,
      randomReference: randomRef,
      meta,
      fraction,
    });
  const mean = (ds: ReturnType<typeof build>) => {
    const r = episodeReturns(ds, meanOverAgents([0]));
    return r.reduce((a, b) => a + b) / r.length;
  };
  const last = ladder.snapshots.length - 1;
  const target = randomRef + (ladder.snapshots[last].score - randomRef) / 3;
  const nearest = ladder.snapshots.reduce(
    (b, s, i) => Math.abs(s.score - target) < Math.abs(ladder.snapshots[b].score - target) ? i : b,
    0,
  );
  const medium = build("medium"), expert = build("expert"), random = build("random");
  assert(medium.meta.behaviourPolicy.startsWith(`ladder snapshot ${nearest} `), medium.meta.behaviourPolicy);
  assert(expert.meta.behaviourPolicy.startsWith(`ladder snapshot ${last} `), expert.meta.behaviourPolicy);
  assert(mean(random) < mean(expert) - 50, `${mean(random)} vs ${mean(expert)}`);
  // noisy rollouts of the expert snapshot score near its deterministic score
  assert(Math.abs(mean(expert) - ladder.snapshots[last].score) < 30, `${mean(expert)}`);
  // medium-replay: warm-up plus snapshots before the medium one, as many env steps as the run took (whole episodes)
  const replay = build("medium-replay");
  assert(replay.meta.behaviourPolicy.includes(`medium = snapshot ${nearest})`), replay.meta.behaviourPolicy);
  assertEquals(replay.size % 25, 0);
  const expected = Math.max(ladder.snapshots[nearest].envSteps, small.warmupSteps);
  assert(Math.abs(replay.size - expected) <= 25 * (nearest + 2), `${replay.size} vs ${expected}`);
  const full = buildDataset(task, "full-replay", {
    seed: 1,
    samples: 0,
    ladder,
    prey: null,
    randomReference: randomRef,
    meta,
  });
  assert(Math.abs(full.size - ladder.snapshots[last].envSteps) <= 25 * (last + 2), `${full.size}`);
  const tenth = buildDataset(task, "full-replay", {
    seed: 1,
    samples: 0,
    ladder,
    prey: null,
    randomReference: randomRef,
    meta,
    fraction: 10,
  });
  assert(Math.abs(tenth.size / full.size - 0.1) < 0.01, `${tenth.size} of ${full.size}`);
});

Deno.test("generate writes ladder datasets with measured references, deterministically", async () => {
  const root = await Deno.makeTempDir();
  try {
    const path = join(root, "ladder.json");
    await writeLadder(path, ladder);
    const reread = await readLadder(path);
    assertEquals(reread, ladder);
    const opts = {
      task: task.name,
      quality: "medium",
      seed: 2,
      samples: 2500,
      ladder: reread,
      out: join(root, "a"),
    };
    const { dir } = await generateDataset(opts);
    const { dir: dir2 } = await generateDataset({ ...opts, out: join(root, "b") });
    for (const f of ["obs_0.npy", "acs_0.npy", "manifest.json"]) {
      assertEquals(await Deno.readFile(join(dir, f)), await Deno.readFile(join(dir2, f)), f);
    }
    const ds = await readOmarDataset(dir);
    const ref = ds.meta.referenceScores!;
    assert(
      Math.abs(ref.expert - ladder.snapshots[ladder.snapshots.length - 1].score) < 15,
      JSON.stringify(ref),
    );
    assert(ds.meta.behaviourPolicy.startsWith("ladder snapshot"));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a prey trained with the predators loads like the original prey", async () => {
  const pp = makeTask("predator_prey");
  const prey = await trainOnline(pp, {
    updates: 20,
    warmupSteps: 300,
    batchSize: 64,
    snapshotEvery: 20,
    snapshotEpisodes: 2,
    trainPrey: true,
  });
  const dir = await Deno.makeTempDir();
  try {
    const policy = prey.snapshots[prey.snapshots.length - 1].policies[3];
    await writePrey(`${dir}/predator_prey.json`, policy, { task: "predator_prey" });
    const frozen = await loadPrey(pp, { source: "kit", kitDir: dir });
    assertEquals([frozen.obsDim, frozen.actDim], [14, 2]);
    const obs = Float64Array.from({ length: 14 }, (_, i) => Math.sin(i));
    const a = new Float64Array(2), b = new Float64Array(2);
    frozen.act(obs, a, 1);
    snapshotJointPolicy({ ...prey.snapshots[0], policies: [policy] }); // builds
    const { frozenActor } = await import("../lib/behaviour/ladder.ts");
    frozenActor(policy).act(obs, b, 1);
    a.forEach((v, i) => assert(Math.abs(v - b[i]) < 1e-9, `${v} vs ${b[i]}`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
