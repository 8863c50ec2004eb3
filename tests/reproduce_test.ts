import { assert, assertClose, assertEquals, assertRejects, assertThrows } from "./assert.ts";
import { skipReference } from "./reference.ts";
import { killIfRunning, TINY_TABLE1 } from "./cli.ts";
import { join } from "node:path";
import { initBackend } from "../lib/nn/backend.ts";
import { collectResults, parseShard, runAll, shardPlan, shardRuns } from "../lib/experiments/scheduler.ts";
import { gridColumns, gridDefaults, gridRuns } from "../lib/experiments/grid.ts";
import { applyGridOverrides } from "../lib/experiments/targets.ts";
import { runSeconds } from "../lib/experiments/costs.ts";
import { evaluationOptions, loadRunModel, makeRunAlgorithm, runId } from "../lib/experiments/runs.ts";
import { GRID_EXPERIMENTS } from "../lib/experiments/catalog.ts";
import { coefficients, taskSettings } from "../lib/algos/presets.ts";
import { evaluate } from "../lib/eval/rollout.ts";
import { makeTask } from "../lib/envs/registry.ts";

await initBackend("wasm");

const tiny = applyGridOverrides(gridDefaults("smoke"), {
  tasks: "cooperative_navigation",
  qualities: "random",
  algos: "itd3,td3bc,icq",
  seeds: "2",
  rounds: "4",
  batch: "32",
  samples: "500",
  "eval-every": "2",
  "eval-episodes": "2",
});

const REPRODUCE = [
  "run",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys",
  "--allow-run",
  "tasks/reproduce.ts",
];

async function cli(...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...REPRODUCE, ...args],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test("run ids are content addresses: same spec, same id; any knob changes it", async () => {
  const { runs } = await gridRuns(tiny);
  assertEquals(runs.length, 6);
  assertEquals(await runId(structuredClone(runs[0])), await runId(runs[0]));
  const other = { ...runs[0], budget: { ...runs[0].budget, rounds: 5 } };
  assert((await runId(other)) !== (await runId(runs[0])));
});

Deno.test("shards: the union of 0/2 and 1/2 equals the unsharded run, result for result", async () => {
  const [a, b, c] = [await Deno.makeTempDir(), await Deno.makeTempDir(), await Deno.makeTempDir()];
  try {
    const { runs } = await gridRuns(tiny);
    const whole = await runAll(runs, { root: a, quiet: true });
    const s0 = await runAll(runs, { root: b, shard: { index: 0, count: 2 }, quiet: true });
    const s1 = await runAll(runs, { root: b, shard: { index: 1, count: 2 }, quiet: true });
    assertEquals(s0.length + s1.length, whole.length);
    assertEquals(new Set([...s0, ...s1].map((r) => r.id)).size, whole.length);
    const merged = new Map((await collectResults([b])).map((r) => [r.id, r]));
    for (const r of whole) {
      assertEquals(merged.get(r.id)?.curve, r.curve);
      assertEquals(merged.get(r.id)?.final, r.final);
    }
    // a second pass finds every run finished and redoes nothing
    const again = await runAll(runs, { root: a, quiet: true });
    assertEquals(again.map((r) => r.seconds), whole.map((r) => r.seconds));
    // three shards, each listing the runs in another order, into a fresh folder: the same union again
    const parts = [];
    for (let i = 0; i < 3; i++) {
      const order = [...runs.slice(i), ...runs.slice(0, i)].reverse();
      parts.push(await runAll(order, { root: c, shard: { index: i, count: 3 }, quiet: true }));
    }
    assertEquals(parts.flat().map((r) => r.id).sort(), whole.map((r) => r.id).sort());
    for (const r of parts.flat()) assertEquals(r.final, whole.find((w) => w.id === r.id)!.final);
  } finally {
    for (const d of [a, b, c]) await Deno.remove(d, { recursive: true });
  }
});

Deno.test("balanced shards: a partition of the runs, the same from any list order, Table 1 paper within 1.15", async () => {
  const { runs } = await gridRuns(gridDefaults("paper"));
  const all = (await shardRuns(runs)).map((r) => r.id);
  assertEquals(all.length, 240);
  for (const count of [1, 3, 8, 64]) {
    const plan = await shardPlan(runs, count);
    const ids = plan.flatMap((s) => s.runs.map((r) => r.id));
    assertEquals(ids.length, all.length, `${count} shards`);
    assertEquals([...ids].sort(), all, `${count} shards`);
    // shuffled input (a seeded permutation): the same assignment, and shardRuns agrees with the plan
    const shuffled = runs.map((r, i) => ({ r, k: (i * 7919) % runs.length })).sort((x, y) => x.k - y.k);
    const again = await shardPlan(shuffled.map((x) => x.r), count);
    assertEquals(again.map((s) => s.runs.map((r) => r.id)), plan.map((s) => s.runs.map((r) => r.id)));
    const last = await shardRuns(runs, { index: count - 1, count });
    assertEquals(last.map((r) => r.id), plan[count - 1].runs.map((r) => r.id));
  }
  const loads = (await shardPlan(runs, 8)).map((s) => s.runSeconds + s.datasetSeconds);
  const mean = loads.reduce((a, b) => a + b, 0) / loads.length;
  assert(Math.max(...loads) / mean <= 1.15, `slowest / mean ${Math.max(...loads) / mean}`);
  // the CLI prints each shard and the figure
  const out = await cli("plan", "table1", "--profile", "paper", "--shards", "8");
  assertEquals(out.code, 0, out.stderr);
  const ratio = Number(/slowest \/ mean: ([\d.]+)/.exec(out.stdout)?.[1]);
  assert(ratio >= 1 && ratio <= 1.15, out.stdout);
  assertEquals(
    out.stdout.split("\n").filter((l) => /^\d+\s+\d+\s+~?[\d.]+ (s|min|h)/.test(l)).length,
    8,
    out.stdout,
  );
  const bad = await cli("plan", "references", "--shards", "2");
  assertEquals(bad.code, 2, bad.stderr);
  assert(bad.stderr.includes("no runs to shard"), bad.stderr);
});

Deno.test("a finished run keeps its trained model: reloaded, it scores the run's final evaluation", async () => {
  const root = await Deno.makeTempDir();
  try {
    const { runs } = await gridRuns(tiny);
    const [r] = await runAll(runs.slice(0, 1), { root, quiet: true });
    const algo = await loadRunModel(r, [root]);
    const task = makeTask(r.spec.dataset.task);
    // the authors' evaluation: this seed's episodes (NumPy seeded with seed + 100)
    assertEquals(evaluationOptions(r.spec, true), {
      evalSeed: r.spec.seed + 100,
      evalEpisodeSource: "numpy",
    });
    const { evalSeed, evalEpisodeSource } = evaluationOptions(r.spec, true);
    const score = evaluate(task, algo.policy(), {
      episodes: r.spec.budget.evalEpisodes,
      seed: evalSeed,
      episodeSource: evalEpisodeSource,
    }).mean;
    // and the final policy on its many fresh episodes
    const many = evaluate(task, algo.policy(), {
      episodes: r.spec.budget.finalEpisodes!,
      seed: 10_000 + r.spec.seed,
    });
    algo.dispose();
    assertEquals(score, r.final.score);
    assertEquals([many.mean, r.spec.budget.finalEpisodes], [r.finalMany?.score, r.finalMany?.episodes]);
    // the effective hyper-parameters are on record: the code's γ and CN random's (τ, α), the run's seed
    assertEquals(
      [r.resolved?.gamma, r.resolved?.tau, r.resolved?.cqlAlpha, r.resolved?.seed],
      [0.95, 1.0, 0.5, r.spec.seed],
    );
    await Deno.remove(join(root, "runs", r.id, "model.json"));
    await assertRejects(() => loadRunModel(r, [root]), /has no model.json/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("shard flags: i/n, JOB_COMPLETION_INDEX with --shards, and clear errors", () => {
  assertEquals(parseShard("1/3"), { index: 1, count: 3 });
  Deno.env.set("JOB_COMPLETION_INDEX", "2");
  try {
    assertEquals(parseShard(undefined, 4), { index: 2, count: 4 });
  } finally {
    Deno.env.delete("JOB_COMPLETION_INDEX");
  }
  for (const bad of ["3/3", "x/2", "1"]) {
    try {
      parseShard(bad);
      throw new Error("no error");
    } catch (e) {
      assert((e as Error).message.includes("--shard expects i/n"), (e as Error).message);
    }
  }
});

const knobs = [...TINY_TABLE1, "--jobs", "1"];

Deno.test({
  name: "reproduce killed mid-way and run again gives the same table as an uninterrupted run",
  ignore: skipReference,
  fn: async () => {
    const [a, b] = [await Deno.makeTempDir(), await Deno.makeTempDir()];
    try {
      const whole = await cli("table1", "--profile", "smoke", "--out", a, ...knobs);
      assertEquals(whole.code, 0, whole.stderr);
      // start, kill once a run has checkpointed (mid-run), start again
      const child = new Deno.Command(Deno.execPath(), {
        args: [...REPRODUCE, "table1", "--profile", "smoke", "--out", b, ...knobs],
        stdout: "null",
        stderr: "null",
      }).spawn();
      const deadline = Date.now() + 60_000;
      const hasCheckpoint = () => {
        try {
          return [...Deno.readDirSync(join(b, "runs"))].some((e) => {
            try {
              return Deno.statSync(join(b, "runs", e.name, "checkpoint.json")).isFile;
            } catch {
              return false;
            }
          });
        } catch {
          return false;
        }
      };
      while (!hasCheckpoint() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await killIfRunning(child);
      const resumed = await cli("table1", "--profile", "smoke", "--out", b, ...knobs);
      assertEquals(resumed.code, 0, resumed.stderr);
      const cells = async (root: string) =>
        JSON.parse(await Deno.readTextFile(join(root, "table1", "smoke", "table.json"))).cells;
      assertEquals(await cells(b), await cells(a));
      for (
        const f of ["table.csv", "table.txt", "figure.svg", "figure.png", "figure.vl.json", "config.json"]
      ) {
        assert(Deno.statSync(join(b, "table1", "smoke", f)).size > 0, f);
      }
    } finally {
      await Deno.remove(a, { recursive: true });
      await Deno.remove(b, { recursive: true });
    }
  },
});

Deno.test("reproduce: unknown target, profile, algorithm and task are clear errors", async () => {
  const cases: [string[], string][] = [
    [["table99"], 'unknown target "table99"'],
    [["table1", "--profile", "huge"], 'unknown profile "huge"'],
    [["table1", "--algos", "bcq"], 'unknown algorithm "bcq"'],
    [["table1", "--tasks", "simple_tag"], 'unknown task "simple_tag"'],
    [["table1", "--jobs", "0"], "--jobs expects a positive integer"],
  ];
  for (const [args, message] of cases) {
    const r = await cli(...args, "--out", "/nonexistent-results-dir");
    assertEquals(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert(r.stderr.includes(message), `${args.join(" ")}: ${r.stderr}`);
  }
});

Deno.test("Tables 3 and 4: MuJoCo grids, ladder-free Maze2D data, the code's HalfCheetah settings and cost estimates", async () => {
  const t3 = GRID_EXPERIMENTS.find((x) => x.name === "table3")!,
    t4 = GRID_EXPERIMENTS.find((x) => x.name === "table4")!;
  const paper3 = t3.config("paper");
  assertEquals([paper3.batchSize, paper3.evalEvery, paper3.seeds, paper3.samples], [256, 500, 5, 1_000_000]);
  const { runs: r3 } = await gridRuns(paper3);
  assertEquals(r3.length, 4 * 4 * 5);
  assert(r3.every((r) => r.budget.rounds === 100_000 && r.dataset.task === "halfcheetah_2x3"));
  const { runs: r4, missing } = await gridRuns(t4.config("quick"));
  assertEquals([r4.length, missing.length], [4 * 3 * 2, 0]);
  assert(r4.every((r) => r.dataset.quality === "waypoint" && r.dataset.sources === undefined));
  assertEquals([...new Set(r4.map((r) => r.label))], ["TD3+BC", "ICQ", "CQL", "OMAR"]);
  // HalfCheetah: the code's branch, with the code's γ 0.95 (main.py's 0.99 never reaches the learner)
  const hc = taskSettings("halfcheetah_2x3");
  assertEquals([hc.hidden, hc.actorLr, hc.softUpdateRate, hc.sampler?.kind, hc.sampler?.samples], [
    [256, 256],
    3e-4,
    0.005,
    "cem",
    20,
  ]);
  assertEquals([hc.gamma, hc.cqlPolicyDensity, taskSettings("halfcheetah_2x3", "paper").cqlPolicyDensity], [
    undefined,
    "pdf",
    "log",
  ]);
  assertEquals([taskSettings("maze2d_large_dense").gamma, taskSettings("world")], [0.99, {}]);
  assertEquals(coefficients("halfcheetah_2x3", "medium-replay"), { tau: 0.9, cqlAlpha: 5 });
  assertEquals(coefficients("maze2d_umaze_dense", "waypoint"), { tau: 0.7, cqlAlpha: 1 });
  // a table 3 run builds 256-unit networks
  const algo = await makeRunAlgorithm(r3[0]);
  const params =
    (algo.save().agents as { actor: { params: Record<string, { shape: number[] }> } }[])[0].actor.params;
  assertEquals(params["layers.0.weight"].shape, [6, 256]);
  algo.dispose();
  // cost: CQL and OMAR rounds dominate; Maze2D rounds cost half of HalfCheetah's
  const omarRun = r3.find((r) => r.algo === "omar")!;
  const est = (task: string) =>
    runSeconds({
      ...omarRun,
      dataset: { ...omarRun.dataset, task },
      budget: { ...omarRun.budget, rounds: 1000, evalEvery: 1000, evalEpisodes: 1 },
      // the overhead and the evaluations (two of one episode, 100 final episodes) are the same for both
    }, "openblas") - 1.5 - (2 + 100) * 0.5;
  assertClose(est("maze2d_umaze_dense") * 2, est("halfcheetah_2x3"), 1e-9);
});

Deno.test("cost estimates: from the measured per-learner round costs, evaluations and datasets", async () => {
  const { runs } = await gridRuns({ ...gridDefaults("paper"), algos: ["omar"], seeds: 1 });
  const cn = runs.find((r) => r.dataset.task === "cooperative_navigation" && r.dataset.quality === "expert")!;
  // 1.5 s of overhead, 2000 rounds × 3 learners × 23.3 ms, 201 evaluations of 10 episodes and 1000 final ones
  assertClose(runSeconds(cn, "openblas"), 1.5 + 2000 * 3 * 0.0233 + (201 * 10 + 1000) * 0.0012, 1e-9);
  assert(runSeconds(cn, "wasm") > 1.5 * runSeconds(cn, "openblas"));
  // the quick profile is the paper's runs of seeds 0 and 1: same ids
  const quick = await shardRuns((await gridRuns(gridDefaults("quick"))).runs);
  const paper = new Set((await shardRuns((await gridRuns(gridDefaults("paper"))).runs)).map((r) => r.id));
  assert(quick.length === 96 && quick.every((r) => paper.has(r.id)));
  // the run header and `list` print the estimate
  const list = await cli("list");
  assertEquals(list.code, 0, list.stderr);
  assert(/table1\s+~[\d.]+ (s|min|h) \/ ~[\d.]+ (min|h) \/ ~[\d.]+ h\s/.test(list.stdout), list.stdout);
});

Deno.test("--set: any algorithm option for one algorithm's columns or all, nested for the sampler, named errors", async () => {
  const base = {
    ...gridDefaults("smoke"),
    tasks: ["cooperative_navigation"],
    qualities: ["random"],
    seeds: 1,
  };
  const c = applyGridOverrides(base, {
    set: "omar.tau=0.3\nomar.sampler.iterations=2\ncqlAlpha=1\ncritic=centralized",
  });
  const { runs } = await gridRuns(c);
  const opts = (algo: string) => runs.find((r) => r.algo === algo)!.options as Record<string, unknown>;
  assertEquals(opts("omar"), { critic: "centralized", tau: 0.3, sampler: { iterations: 2 }, cqlAlpha: 1 });
  assertEquals(opts("cql"), { critic: "centralized", cqlAlpha: 1 });
  // an ablation column keeps its own sampler settings beside the override
  const t2 = applyGridOverrides(GRID_EXPERIMENTS.find((x) => x.name === "table2")!.config("smoke"), {
    set: "omar.sampler.samples=20",
  });
  assertEquals(gridColumns(t2).map((col) => col.options?.sampler), [
    { kind: "random", samples: 20 },
    { kind: "cem", samples: 20 },
    { samples: 20 },
  ]);
  // the spec records it, so the run id changes
  const plain = (await gridRuns(base)).runs.find((r) => r.algo === "omar")!;
  assert((await runId(plain)) !== (await runId(runs.find((r) => r.algo === "omar")!)));
  for (const [bad, what] of [["omar.taus=0.3", "taus"], ["tau", "OPTION=VALUE"], ["omar.tau.x=1", "nest"]]) {
    assertThrows(() => applyGridOverrides(base, { set: bad }), (e: Error) => e.message.includes(what));
  }
});
