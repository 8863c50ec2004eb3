import { assert, assertEquals } from "./assert.ts";
import { join } from "node:path";
import { initBackend } from "../lib/nn/backend.ts";
import { trainOnline } from "../lib/behaviour/online.ts";
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
