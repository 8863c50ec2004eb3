// Fig. 3's lower half in `reproduce`: online runs (RunSpec.kind "online") through the run store and the
// scheduler (content-addressed, skipped when done, resumed exactly), the fig3 grid's online half, costs,
// and the improvement report of both halves.
import { assert, assertClose, assertEquals, assertRejects } from "./assert.ts";
import { join } from "node:path";
import { initBackend } from "../lib/nn/backend.ts";
import { trainOnline } from "../lib/behaviour/online.ts";
import { makeTask } from "../lib/envs/registry.ts";
import { runSeconds } from "../lib/experiments/costs.ts";
import { improvementReport } from "../lib/experiments/reports.ts";
import { executeRun, onlineRunSpec, runId, type RunResult, type RunSpec } from "../lib/experiments/runs.ts";
import { runAll } from "../lib/experiments/scheduler.ts";
import { gridRuns } from "../lib/experiments/grid.ts";
import { GRID_EXPERIMENTS, onlineGridRuns } from "../lib/experiments/catalog.ts";
import { discount } from "../lib/algos/presets.ts";
import { KitInputError } from "../lib/util/errors.ts";

await initBackend("wasm");

const budget = { rounds: 30, batchSize: 32, evalEvery: 10, evalEpisodes: 2 };
const omarSpec = onlineRunSpec("spread_1d_n2", {
  algo: "omar",
  label: "OMAR (online)",
  options: { critic: "centralized", tau: 0.5 },
  seed: 1,
  budget,
});

Deno.test("an online run: the online learner's snapshots as its curve; skipped once done; resumed exactly", async () => {
  const [a, b] = [await Deno.makeTempDir(), await Deno.makeTempDir()];
  try {
    const whole = await executeRun(omarSpec, a);
    assertEquals(whole.curve.map((p) => p.round), [0, 10, 20, 30]);
    assertEquals(whole.final, whole.curve[3]);
    assert(whole.curve.every((p) => p.normalized === null && Number.isFinite(p.score)));
    // the same learner called directly gives the same scores
    const direct = await trainOnline(makeTask("spread_1d_n2"), {
      updates: 30,
      batchSize: 32,
      snapshotEvery: 10,
      snapshotEpisodes: 2,
      seed: 1,
      gamma: discount("official"),
      critic: "centralized",
      omar: { tau: 0.5 },
    });
    assertEquals(whole.curve.map((p) => p.score), direct.snapshots.map((s) => s.score));
    // done: found, not retrained; no checkpoint left
    assertEquals((await executeRun(omarSpec, a)).seconds, whole.seconds);
    const dir = join(a, "runs", whole.id);
    assert(![...Deno.readDirSync(dir)].some((e) => e.name === "online"), "checkpoint folder left behind");
    // a run killed after 15 rounds (its checkpoint in runs/<id>/online) ends with the same numbers
    const id = await runId(omarSpec);
    await trainOnline(makeTask("spread_1d_n2"), {
      updates: 15,
      batchSize: 32,
      snapshotEvery: 10,
      snapshotEpisodes: 2,
      seed: 1,
      gamma: discount("official"),
      critic: "centralized",
      omar: { tau: 0.5 },
      checkpointDir: join(b, "runs", id, "online"),
      checkpointEvery: 15,
    });
    // mark the checkpoint's snapshot at round 10: a run that resumes from it carries the mark into its curve
    const state = join(b, "runs", id, "online", "state.json");
    const ck = JSON.parse(await Deno.readTextFile(state));
    assertEquals(ck.updates, 15);
    ck.snapshots[1].score = 12345;
    await Deno.writeTextFile(state, JSON.stringify(ck));
    const resumed = await executeRun(omarSpec, b);
    assertEquals(resumed.curve[1].score, 12345);
    assertEquals(resumed.curve.filter((_, i) => i !== 1), whole.curve.filter((_, i) => i !== 1));
  } finally {
    await Deno.remove(a, { recursive: true });
    await Deno.remove(b, { recursive: true });
  }
});

Deno.test("online run specs: their own ids, refused algorithms and options; offline specs carry no kind", async () => {
  const td3 = onlineRunSpec("spread_1d_n2", { ...omarSpec, algo: "itd3", seed: 1, budget });
  assert((await runId(td3)) !== (await runId(omarSpec)));
  assertEquals(omarSpec.dataset, { task: "spread_1d_n2", quality: "online", seed: 1, samples: 0 });
  const root = await Deno.makeTempDir();
  try {
    const refused = (spec: RunSpec, ...parts: string[]) =>
      assertRejects(() => executeRun(spec, root), (err: unknown) => {
        assert(err instanceof KitInputError, `not a KitInputError: ${err}`);
        for (const p of parts) assert(err.message.includes(p), `"${err.message}" lacks "${p}"`);
        return true;
      });
    await refused({ ...omarSpec, algo: "cql" }, `"cql" has no online learner`, "itd3, omar");
    await refused({ ...omarSpec, options: { ...omarSpec.options, cqlAlpha: 1 } }, "cqlAlpha", "critic, tau");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
  // the offline half's specs are what they were before online runs existed: no `kind`, so the same ids
  const fig3 = GRID_EXPERIMENTS.find((x) => x.name === "fig3")!;
  const { runs } = await gridRuns(fig3.config("quick"));
  assert(runs.length === 20 && runs.every((r) => !("kind" in r)));
});

Deno.test("fig3's online half: MATD3 and OMAR per n and seed at every profile, with cost estimates", () => {
  const fig3 = GRID_EXPERIMENTS.find((x) => x.name === "fig3")!;
  assertEquals(fig3.reports, [{
    kind: "improvement",
    over: { over: "MA-CQL", onlineOver: "MATD3 (online)" },
  }]);
  const count = (p: "smoke" | "quick" | "paper") => onlineGridRuns(fig3.online!(p));
  const paper = count("paper"), quick = count("quick"), smoke = count("smoke");
  assertEquals([smoke.length, quick.length, paper.length], [20, 20, 50]);
  assert(paper.every((r) => r.kind === "online" && r.options.critic === "centralized"));
  assertEquals(paper.filter((r) => r.algo === "omar").every((r) => r.options.tau === 0.5), true);
  const rounds = (task: string) => paper.find((r) => r.dataset.task === task)!.budget.rounds;
  assertEquals(["spread_1d_n1", "spread_1d_n3", "spread_1d_n4", "spread_1d_n5"].map(rounds), [
    10_000,
    10_000,
    20_000,
    20_000,
  ]);
  assert(quick.every((r) => r.budget.rounds === 3000 && r.budget.evalEvery === 150));
  // the 1.5 s run overhead, n learners × (a + b n) ms per round, plus the snapshot evaluations
  const n5 = quick.find((r) => r.dataset.task === "spread_1d_n5" && r.algo === "omar")!;
  assertClose(runSeconds(n5, "openblas"), 1.5 + 3000 * 5 * (5.3 + 2.5 * 5) / 1000 + 21 * 100 * 0.0012, 1e-9);
  const n1 = quick.find((r) => r.dataset.task === "spread_1d_n1" && r.algo === "itd3")!;
  assert(runSeconds(n1, "openblas") < runSeconds(n5, "openblas") / 10);
});

Deno.test("the improvement report shows both halves, per number of agents, with the paper's claim beside", async () => {
  const result = (spec: RunSpec, score: number): RunResult => {
    const p = { round: 1, score, normalized: null };
    return {
      id: `${spec.label}-${spec.dataset.task}-${spec.seed}`,
      spec,
      curve: [p],
      final: p,
      best: p,
      seconds: 0,
    };
  };
  const offline = (label: string, n: number, seed: number): RunSpec => ({
    algo: label === "OMAR" ? "omar" : "cql",
    label,
    preset: "official",
    options: {},
    dataset: { task: `spread_1d_n${n}`, quality: "medium-replay", seed, samples: 1000 },
    seed,
    budget: { rounds: 1, batchSize: 1, evalEvery: 1, evalEpisodes: 1 },
  });
  const online = (label: string, n: number, seed: number) =>
    onlineRunSpec(`spread_1d_n${n}`, {
      algo: label.startsWith("OMAR") ? "omar" : "itd3",
      label,
      seed,
      budget,
    });
  const results: RunResult[] = [];
  for (const n of [1, 2]) {
    for (const seed of [0, 1]) {
      results.push(
        result(offline("MA-CQL", n, seed), 100),
        result(offline("OMAR", n, seed), n === 1 ? 110 : 150),
      );
      results.push(
        result(online("MATD3 (online)", n, seed), 200),
        result(online("OMAR (online)", n, seed), seed === 0 ? 200 : 220),
      );
    }
  }
  const outDir = await Deno.makeTempDir();
  try {
    const text = await improvementReport(results, { over: "MA-CQL", onlineOver: "MATD3 (online)" }, {
      root: outDir,
      outDir,
      title: "Fig. 3",
    });
    const lines = text.split("\n");
    const row = (setting: string, task: string) =>
      lines.find((l) => l.startsWith(setting) && l.includes(task))!.replace(/\s+/g, " ");
    assertEquals(row("offline", "spread_1d_n1"), "offline spread_1d_n1 OMAR over MA-CQL 10.0 ± 0.0 2");
    assertEquals(row("offline", "spread_1d_n2"), "offline spread_1d_n2 OMAR over MA-CQL 50.0 ± 0.0 2");
    assertEquals(
      row("online ", "spread_1d_n2"),
      "online spread_1d_n2 OMAR (online) over MATD3 (online) 5.0 ± 5.0 2",
    );
    assert(text.includes("offline gain ≫ the online gain"), text);
    assert(text.includes("kit: offline gain > online gain at 2 of 2 agent counts"), text);
    assert(text.includes("mean gain offline 30.0%, online 5.0%"), text);
    const csv = (await Deno.readTextFile(join(outDir, "improvement.csv"))).trim().split("\n");
    assertEquals(csv.length, 5);
    assertEquals(csv[0], "setting,task,column,mean,std,seeds");
    const figure = JSON.parse(await Deno.readTextFile(join(outDir, "improvement.vl.json")));
    const bars = figure.data?.values ?? figure.datasets?.[Object.keys(figure.datasets)[0]];
    assertEquals(
      new Set(bars.map((v: { group: string; series: string }) => `${v.group}/${v.series}`)),
      new Set(["n = 1/offline", "n = 2/offline", "n = 1/online", "n = 2/online"]),
    );
    assert(Deno.statSync(join(outDir, "improvement.png")).size > 0);
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
});

Deno.test("online runs go through the scheduler like offline ones (finished runs found, not redone)", async () => {
  const root = await Deno.makeTempDir();
  try {
    const specs = [omarSpec, onlineRunSpec("spread_1d_n1", { algo: "itd3", seed: 0, budget })];
    const first = await runAll(specs, { root, quiet: true });
    const again = await runAll(specs, { root, quiet: true });
    assertEquals(again.map((r) => r.seconds), first.map((r) => r.seconds));
    assertEquals(first.length, 2);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
