import { assert, assertEquals, assertRejects } from "./assert.ts";
import { skipReference } from "./reference.ts";
import { join } from "node:path";
import { collectDataset } from "../lib/behaviour/collect.ts";
import { generateDataset } from "../lib/behaviour/generate.ts";
import { datasetCard } from "../lib/behaviour/card.ts";
import { readOmarDataset } from "../lib/data/omar_layout.ts";
import { episodeReturns, meanOverAgents } from "../lib/data/dataset.ts";
import {
  gotoLandmarkPolicy,
  loadPrey,
  makeTask,
  ParticleVecEnv,
  uniformRandomPolicy,
} from "../lib/envs/mod.ts";
import { Rng } from "../lib/util/rng.ts";

const META = {
  quality: "test",
  seed: 0,
  preySource: null,
  behaviourPolicy: "goto",
  referenceScores: null,
  kitVersion: "test",
} as const;

Deno.test("collected transitions chain: next_obs of a step is the obs of the next, timeouts at step 25", () => {
  const task = makeTask("cooperative_navigation");
  const ds = collectDataset(task, gotoLandmarkPolicy(task), {
    samples: 25 * 9 + 10,
    seed: 3,
    numEnvs: 4,
    meta: META,
  });
  assertEquals(ds.size, 235);
  assertEquals(ds.agents.length, 3);
  for (const a of ds.agents) {
    for (let row = 0; row + 1 < ds.size; row++) {
      const next = a.nextObs.subarray(row * 18, (row + 1) * 18),
        obs = a.obs.subarray((row + 1) * 18, (row + 2) * 18);
      if ((row + 1) % 25 !== 0) assertEquals(next, obs, `row ${row}`);
      assertEquals(a.timeouts[row], (row + 1) % 25 === 0 ? 1 : 0);
      assertEquals(a.terminals[row], 0);
    }
  }
  // the episode returns are the scores an evaluation of the same episodes gives
  const returns = episodeReturns(ds, meanOverAgents(task.learners));
  assertEquals(returns.length, 9); // the cut-off 10th episode is left out
  // replaying the same episodes (stream (seed, data-episode-k)) gives the same returns
  const env = new ParticleVecEnv(task, 9);
  env.reset(Array.from({ length: 9 }, (_, k) => Rng.fromSeed(3, `data-episode-${k}`)));
  const policy = gotoLandmarkPolicy(task);
  const obs = task.learners.map(() => new Float32Array(9 * 18)),
    act = task.learners.map(() => new Float32Array(18));
  for (let t = 0; t < 25; t++) {
    task.learners.forEach((i, k) => obs[k].set(env.obs[i]));
    policy.act(obs, act);
    env.step(act);
  }
  returns.forEach((r, k) =>
    assert(Math.abs(r - env.scores[k]) < 1e-3, `episode ${k}: ${r} vs ${env.scores[k]}`)
  );
});

Deno.test("the batch width does not change a deterministic policy's dataset", () => {
  const task = makeTask("spread_1d_n3");
  const a = collectDataset(task, gotoLandmarkPolicy(task), {
    samples: 500,
    seed: 1,
    numEnvs: 20,
    meta: META,
  });
  const b = collectDataset(task, gotoLandmarkPolicy(task), { samples: 500, seed: 1, numEnvs: 3, meta: META });
  a.agents.forEach((x, i) => {
    assertEquals(x.obs, b.agents[i].obs);
    assertEquals(x.rewards, b.agents[i].rewards);
  });
});

Deno.test({
  name: "generate: same seed ⇒ identical bytes; the prey's recorded actions are its network's; no overwrite",
  ignore: skipReference,
  fn: async () => {
    const root = await Deno.makeTempDir();
    try {
      const opts = { task: "world", quality: "random", seed: 4, samples: 2000, out: join(root, "a") };
      const { dir } = await generateDataset(opts);
      const { dir: dir2 } = await generateDataset({ ...opts, out: join(root, "b") });
      const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
      assertEquals(names.length, 4 * 5 + 1);
      for (const name of names) {
        assertEquals(await Deno.readFile(join(dir, name)), await Deno.readFile(join(dir2, name)), name);
      }
      const ds = await readOmarDataset(dir);
      assertEquals(ds.meta.preySource, "original");
      assertEquals(ds.meta.behaviourPolicy, "uniform_random");
      assert(ds.meta.referenceScores !== null);
      const task = makeTask("world");
      const prey = await loadPrey(task);
      const obs = Float64Array.from(ds.agents[3].obs.subarray(0, 22 * 50));
      const out = new Float64Array(2 * 50);
      prey.act(obs, out, 50);
      out.forEach((v, k) => assert(Math.abs(v - ds.agents[3].actions[k]) < 1e-5, `prey action ${k}`));
      // an existing dataset is never overwritten without force, and stays intact
      const before = await Deno.readFile(join(dir, "manifest.json"));
      await assertRejects(() => generateDataset(opts), /already exists; pass --force/);
      assertEquals(await Deno.readFile(join(dir, "manifest.json")), before);
      await assertRejects(
        () => generateDataset({ ...opts, quality: "expert", ladderDir: root }),
        /no behaviour ladder; train it with `deno task behaviour train/,
      );
      await assertRejects(() => generateDataset({ ...opts, quality: "great" }), /unknown quality "great"/);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test("a random dataset's mean return matches the random reference", () => {
  const task = makeTask("cooperative_navigation");
  const ds = collectDataset(task, uniformRandomPolicy(Rng.fromSeed(2, "x")), {
    samples: 25 * 2000,
    seed: 2,
    meta: META,
  });
  const r = episodeReturns(ds, meanOverAgents(task.learners));
  const mean = r.reduce((a, b) => a + b) / r.length;
  assert(Math.abs(mean - 159.89) < 3 * 60 / Math.sqrt(2000) + 2, `mean ${mean}`);
});

Deno.test("datasets card: a folder holding another prey source's dataset is a clear error, and is left as it was", async () => {
  const out = await Deno.makeTempDir();
  try {
    const { dir } = await generateDataset({
      task: "world",
      quality: "random",
      seed: 0,
      samples: 500,
      out,
      prey: "kit",
    });
    const before = await Deno.readTextFile(join(dir, "manifest.json"));
    await assertRejects(
      () => datasetCard("world", { seed: 0, samples: 500, out, prey: "original" }),
      /made with prey kit, not original/,
    );
    assertEquals(await Deno.readTextFile(join(dir, "manifest.json")), before);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
