import { assert, assertEquals, assertRejects } from "./assert.ts";
import { skipReference } from "./reference.ts";
import { join } from "node:path";
import { initBackend } from "../lib/nn/backend.ts";
import { ALGORITHMS, makeAlgorithm } from "../lib/algos/registry.ts";
import { trainOffline } from "../lib/algos/train.ts";
import { landscapeStudy } from "../lib/algos/landscape_study.ts";
import { collectDataset } from "../lib/behaviour/collect.ts";
import { gotoLandmarkPolicy, loadPrey, makeTask, noisyPolicy, uniformRandomPolicy } from "../lib/envs/mod.ts";
import type { ParticleTask } from "../lib/envs/task.ts";
import { evaluate } from "../lib/eval/rollout.ts";
import { Rng } from "../lib/util/rng.ts";
import { KitInputError } from "../lib/util/errors.ts";

await initBackend("wasm");

const META = {
  quality: "test",
  seed: 0,
  preySource: null,
  behaviourPolicy: "noisy-goto",
  referenceScores: null,
  kitVersion: "test",
};
const specOf = (task: ParticleTask) => ({
  obsDims: task.learners.map((i) => task.obsDims[i]),
  actDim: task.actDim,
});

// A poor behaviour policy on 1-agent Spread: the goto rule drowned in noise (σ 1.5, 70% random components).
const spread = makeTask("spread_1d_n1");
const behaviour = (seed: number) =>
  noisyPolicy(gotoLandmarkPolicy(spread), Rng.fromSeed(seed, "noise"), { sigma: 1.5, epsilon: 0.7 });
const spreadData = collectDataset(spread, behaviour(1), { samples: 10000, seed: 0, meta: META });
const behaviourScore = evaluate(spread, behaviour(2), { episodes: 200, seed: 100 }).mean;

for (const name of ["itd3", "cql", "omar"]) {
  Deno.test(`${name} learns: 200 rounds on a poor 1-agent Spread dataset beat the behaviour policy`, async () => {
    const algo = makeAlgorithm(name, specOf(spread), {
      context: { task: spread.name, quality: "medium-replay" },
    });
    const r = await trainOffline(algo, { dataset: spreadData, task: spread }, {
      rounds: 200,
      batchSize: 256,
      evalEvery: 100,
      evalEpisodes: 50,
    });
    algo.dispose();
    assert(r.final.score > behaviourScore + 50, `${name}: ${r.final.score} vs behaviour ${behaviourScore}`);
  });
}

Deno.test("omar-qnorm (a variant written only as a loss expression) learns: 200 rounds on the poor Spread dataset beat the behaviour policy", async () => {
  const algo = makeAlgorithm("omar-qnorm", specOf(spread), {
    context: { task: spread.name, quality: "medium-replay" },
  });
  const r = await trainOffline(algo, { dataset: spreadData, task: spread }, {
    rounds: 200,
    batchSize: 256,
    evalEvery: 100,
    evalEpisodes: 50,
  });
  algo.dispose();
  assert(Object.values(r.lastMetrics).every(Number.isFinite), JSON.stringify(r.lastMetrics));
  assert(r.lastMetrics.lambda > 0, JSON.stringify(r.lastMetrics));
  assert(r.final.score > behaviourScore + 50, `omar-qnorm: ${r.final.score} vs behaviour ${behaviourScore}`);
});

Deno.test("save → stop → load → continue equals an uninterrupted run bit for bit (OMAR)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const opts = { rounds: 24, batchSize: 64, evalEvery: 8, evalEpisodes: 5, checkpointEvery: 5 };
    const make = () => makeAlgorithm("omar", specOf(spread), { seed: 3, tau: 0.7, cqlAlpha: 1 });
    const whole = make();
    const a = await trainOffline(whole, { dataset: spreadData, task: spread }, opts);
    const path = join(dir, "ckpt.json");
    const first = make();
    const part = await trainOffline(first, { dataset: spreadData, task: spread }, {
      ...opts,
      checkpointPath: path,
      stopAfter: 13,
    });
    assert(!part.finished);
    first.dispose(); // the process "dies"; a fresh one resumes from the checkpoint
    const second = make();
    const b = await trainOffline(second, { dataset: spreadData, task: spread }, {
      ...opts,
      checkpointPath: path,
    });
    assert(b.finished);
    assertEquals(b.curve, a.curve);
    assertEquals(b.lastMetrics, a.lastMetrics);
    assertEquals(second.save(), whole.save());
    whole.dispose(), second.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "every algorithm runs on every task with both critic kinds",
  ignore: skipReference,
  fn: async () => {
    for (const id of ["cooperative_navigation", "predator_prey", "world", "spread_1d_n3"]) {
      const task = makeTask(id);
      const prey = task.prey === null ? null : await loadPrey(task);
      const ds = collectDataset(task, uniformRandomPolicy(Rng.fromSeed(0, "r")), {
        samples: 500,
        seed: 0,
        prey,
        meta: META,
      });
      for (const critic of ["decentralized", "centralized"] as const) {
        for (const name of ALGORITHMS) {
          const algo = makeAlgorithm(name, specOf(task), { critic, hidden: [16, 16] });
          const r = await trainOffline(algo, { dataset: ds, task }, {
            rounds: 2,
            batchSize: 32,
            evalEvery: 2,
            evalEpisodes: 2,
            prey,
          });
          algo.dispose();
          assertEquals(r.curve.length, 2, `${id}/${critic}/${name}`);
          assert(
            Object.values(r.lastMetrics).every(Number.isFinite),
            `${id}/${critic}/${name}: ${JSON.stringify(r.lastMetrics)}`,
          );
        }
      }
    }
  },
});

Deno.test("bad input: a dataset for another task is rejected with the shapes named", async () => {
  const algo = makeAlgorithm("itd3", { obsDims: [18, 18, 18], actDim: 2 });
  try {
    await trainOffline(algo, { dataset: spreadData, task: makeTask("cooperative_navigation") }, {
      rounds: 1,
    });
    throw new Error("no error");
  } catch (e) {
    assert(
      (e as Error).message.includes("dataset has 1 agents, task cooperative_navigation needs 3"),
      (e as Error).message,
    );
  } finally {
    algo.dispose();
  }
});

/** Runs `trainOffline` expecting a KitInputError containing every one of `parts` and no evaluation. */
async function rejectsBeforeTraining(
  algoSpec: { obsDims: number[]; actDim: number; stateDim?: number },
  options: Partial<Parameters<typeof trainOffline>[2]>,
  ...parts: string[]
): Promise<void> {
  const algo = makeAlgorithm("itd3", algoSpec, { hidden: [4] });
  let evaluations = 0;
  try {
    await assertRejects(
      () =>
        trainOffline(algo, { dataset: spreadData, task: spread }, {
          rounds: 2,
          batchSize: 8,
          evalEpisodes: 1,
          ...options,
          onEval: () => evaluations++,
        }),
      (e: unknown) => {
        assert(e instanceof KitInputError, String(e));
        for (const p of parts) assert(e.message.includes(p), `${e.message} lacks ${p}`);
        return true;
      },
    );
    assertEquals(evaluations, 0, "the error must come before any evaluation or training");
  } finally {
    algo.dispose();
  }
}

Deno.test("bad input: an algorithm built for other learners than the task's is a named error before training", async () => {
  const good = specOf(spread), od = good.obsDims[0];
  await rejectsBeforeTraining(
    { obsDims: [od, od], actDim: good.actDim },
    {},
    "algorithm itd3 was built for 2 learners",
    "task spread_1d_n1 has 1",
  );
  await rejectsBeforeTraining(
    { obsDims: [od + 1], actDim: good.actDim },
    {},
    `learner 0 takes ${od + 1}-D observations; task spread_1d_n1 agent 0 has ${od}`,
  );
  await rejectsBeforeTraining(
    { obsDims: [od], actDim: good.actDim + 1 },
    {},
    `actDim ${good.actDim + 1}; task spread_1d_n1 has ${good.actDim}`,
  );
});

Deno.test("bad input: counts in the training options are named errors before training", async () => {
  const good = specOf(spread);
  const cases: [Record<string, number>, string][] = [
    [{ evalEpisodes: 0.5 }, 'trainOffline: evalEpisodes expects a positive integer, got "0.5"'],
    [{ evalEpisodes: 0 }, 'trainOffline: evalEpisodes expects a positive integer, got "0"'],
    [{ batchSize: 1.5 }, "trainOffline: batchSize expects a positive integer"],
    [{ rounds: -1 }, "trainOffline: rounds expects a non-negative integer"],
    [{ rounds: 2.5 }, "trainOffline: rounds expects a non-negative integer"],
    [{ evalEvery: 0 }, "trainOffline: evalEvery expects a positive integer"],
    [{ checkpointEvery: 0 }, "trainOffline: checkpointEvery expects a positive integer"],
  ];
  for (const [options, expected] of cases) await rejectsBeforeTraining(good, options, expected);
  await rejectsBeforeTraining(
    good,
    { references: { random: 3, expert: 3, source: "test" } },
    "expert and random are both 3",
  );
});

Deno.test("bad input: a checkpoint in a missing folder names the folder (not a .tmp file) before training", async () => {
  const good = specOf(spread);
  const missing = "/nonexistent/dir/ck.json";
  await rejectsBeforeTraining(good, { checkpointPath: missing }, "folder /nonexistent/dir does not exist");
  const root = await Deno.makeTempDir({ prefix: "train_test_" });
  try {
    await Deno.writeTextFile(join(root, "plain"), "a file\n");
    await rejectsBeforeTraining(
      good,
      { checkpointPath: join(root, "plain", "ck.json") },
      join(root, "plain"),
    );
    await Deno.mkdir(join(root, "ck.json"));
    await rejectsBeforeTraining(good, { checkpointPath: join(root, "ck.json") }, "not a file");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
  // and none of the messages above mentions a temporary file
  const algo = makeAlgorithm("itd3", good, { hidden: [4] });
  try {
    await trainOffline(algo, { dataset: spreadData, task: spread }, {
      rounds: 1,
      batchSize: 8,
      evalEpisodes: 1,
      checkpointPath: missing,
    });
    throw new Error("no error");
  } catch (e) {
    assert(!(e as Error).message.includes(".tmp"), (e as Error).message);
  } finally {
    algo.dispose();
  }
});

Deno.test("landscapeStudy (Fig. 2c): its numbers follow from the landscape and from one real update round", async () => {
  const spread2 = makeTask("spread_1d_n2");
  const noisy = noisyPolicy(gotoLandmarkPolicy(spread2), Rng.fromSeed(3, "noise"), {
    sigma: 1,
    epsilon: 0.5,
  });
  const data = {
    dataset: collectDataset(spread2, noisy, { samples: 2000, seed: 0, meta: META }),
    task: spread2,
  };
  const cql = makeAlgorithm("cql", specOf(spread2), { seed: 0 });
  await trainOffline(cql, data, { rounds: 30, batchSize: 64, evalEvery: 30, evalEpisodes: 1 });
  const before = JSON.stringify(cql.save());
  const G = 41, B = 24;
  const study = await landscapeStudy(cql, data, { states: B, gridSize: G, batchSize: 64 });
  assertEquals(JSON.stringify(cql.save()), before, "the trained algorithm is left unchanged");
  assertEquals(study.q1.length, B);
  // the "cql" update equals one round of MA-CQL from the same weights and minibatch stream, done here
  const again = makeAlgorithm("cql", specOf(spread2), { seed: 0 });
  again.load(cql.save());
  await trainOffline(again, data, { rounds: 1, batchSize: 64, evalEvery: 1, evalEpisodes: 1, seed: 1 });
  const pi = [new Float32Array(B), new Float32Array(B)], piAfter = [new Float32Array(B), new Float32Array(B)];
  const pick = Rng.fromSeed(0, "landscape-states"), rows = Array.from({ length: B }, () => pick.int(2000));
  const obs = spread2.learners.map((i) => {
    const a = data.dataset.agents[i], o = new Float32Array(B * a.obsDim);
    rows.forEach((r, b) => o.set(a.obs.subarray(r * a.obsDim, (r + 1) * a.obsDim), b * a.obsDim));
    return o;
  });
  cql.policy().act(obs, pi), again.policy().act(obs, piAfter);
  again.dispose(), cql.dispose();
  let stuck = 0;
  study.states.forEach((s, b) => {
    const q = study.q1[b];
    assertEquals(s.action, pi[0][b]);
    assertEquals(s.after.cql, piAfter[0][b]);
    assertEquals(q[s.best], Math.max(...q), "best is the argmax");
    const p = s.localPeak;
    assert(
      (p === 0 || q[p - 1] <= q[p]) && (p === G - 1 || q[p + 1] <= q[p]),
      "the climb ends at a local maximum",
    );
    // every cell between π(o) and the peak rises towards the peak
    const from = Math.round(((s.action + 1) / 2) * (G - 1)), step = Math.sign(p - from);
    for (let g = from; g !== p; g += step) assert(q[g + step] >= q[g], `state ${b}: not uphill at cell ${g}`);
    const lo = Math.min(...q);
    assertEquals(s.stuck, q[s.best] - q[p] > 0.05 * (q[s.best] - lo));
    if (s.stuck) stuck++;
  });
  assertEquals(study.summary.stuck, stuck);
  assert(study.summary.gain.omar.all !== study.summary.gain.cql.all, "the two updates differ");
  await assertRejects(
    () =>
      landscapeStudy(makeAlgorithm("cql", { obsDims: [18, 18, 18], actDim: 2 }), {
        dataset: data.dataset,
        task: makeTask("cooperative_navigation"),
      }),
    /1-D action/,
  );
});

Deno.test("minibatches: reseed repeats the rows drawn between evaluations (the authors' loop), fresh never does; both resume exactly", async () => {
  // a recording learner: the rows of its one learner's minibatch each round, found by matching observations
  const record = (rounds: number[][]) => {
    const algo = makeAlgorithm("itd3", specOf(spread), { seed: 1 });
    const update = algo.update.bind(algo);
    return Object.assign(algo, {
      update(round: Parameters<typeof algo.update>[0]) {
        rounds.push(Array.from(round.batches[0].rewards));
        return update(round);
      },
    });
  };
  const opts = { rounds: 12, batchSize: 32, evalEvery: 4, evalEpisodes: 2, seed: 5 };
  const seen = async (minibatches: "fresh" | "reseed") => {
    const rounds: number[][] = [];
    const algo = record(rounds);
    await trainOffline(algo, { dataset: spreadData, task: spread }, { ...opts, minibatches });
    algo.dispose();
    return rounds;
  };
  const reseed = await seen("reseed"), fresh = await seen("fresh");
  // rounds 1–4, 5–8 and 9–12 draw the same 4 minibatches under reseed
  for (let k = 0; k < 4; k++) assertEquals([reseed[k + 4], reseed[k + 8]], [reseed[k], reseed[k]]);
  assert(new Set(reseed.map(String)).size === 4);
  assertEquals(fresh.slice(0, 4), reseed.slice(0, 4)); // the same streams, restarted
  assert(new Set(fresh.map(String)).size === 12);
  // resume mid-cycle gives the uninterrupted numbers
  const dir = await Deno.makeTempDir();
  try {
    const make = () => makeAlgorithm("itd3", specOf(spread), { seed: 1 });
    const whole = make();
    const a = await trainOffline(whole, { dataset: spreadData, task: spread }, {
      ...opts,
      minibatches: "reseed",
    });
    const path = join(dir, "ck.json");
    const first = make();
    await trainOffline(first, { dataset: spreadData, task: spread }, {
      ...opts,
      minibatches: "reseed",
      checkpointPath: path,
      checkpointEvery: 3,
      stopAfter: 6,
    });
    first.dispose();
    const second = make();
    const b = await trainOffline(second, { dataset: spreadData, task: spread }, {
      ...opts,
      minibatches: "reseed",
      checkpointPath: path,
    });
    assertEquals(b.curve, a.curve);
    assertEquals(second.save(), whole.save());
    whole.dispose(), second.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  await assertRejects(
    () =>
      trainOffline(
        makeAlgorithm("itd3", specOf(spread), { seed: 1 }),
        { dataset: spreadData, task: spread },
        {
          ...opts,
          minibatches: "sometimes" as "fresh",
        },
      ),
    KitInputError,
  );
});
