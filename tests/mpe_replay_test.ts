import { assert, assertEquals } from "./assert.ts";
import { referencePath, skipReference } from "./reference.ts";
import { loadPrey, makeTask, ParticleEnv, ParticleVecEnv } from "../lib/envs/mod.ts";
import { parseConformance, replayConformance, replayWithin } from "../lib/envs/replay.ts";
import { NumpyRandomState } from "../lib/util/rng.ts";

const TASKS = ["cooperative_navigation", "predator_prey", "world"];

async function load(task: string) {
  const path = referencePath("mpe", `${task}.json`);
  const file = parseConformance(await Deno.readTextFile(path), path);
  const t = makeTask(task);
  const prey = t.prey === null ? null : await loadPrey(t, { source: "original" });
  return { path, file, task: t, prey };
}

for (const name of TASKS) {
  Deno.test({
    name: `replay ${name}: kit agrees with the original Python MPE to 1e-9`,
    ignore: skipReference,
    fn: async () => {
      const { file, prey } = await load(name);
      const report = replayConformance(file, prey);
      assertEquals(report.episodes, 20);
      assert(replayWithin(report, 1e-9), JSON.stringify(report));
      // cooperative navigation has no prey network in the loop: it agrees to the last bits
      if (name === "cooperative_navigation") assert(report.max_abs_obs_error < 1e-15, JSON.stringify(report));
    },
  });

  Deno.test({
    name: `replay ${name}: single-env form follows the recording step by step`,
    ignore: skipReference,
    fn: async () => {
      const { file, task, prey } = await load(name);
      const env = new ParticleEnv(task, { prey });
      for (const ep of file.episodes.slice(0, 4)) {
        // reset from the episode's seed exactly as np.random.seed(seed); env.reset() did
        const obs0 = env.reset(ep.seed, { numpy: true });
        assertEquals(obs0, ep.initial_obs);
        let score = 0;
        for (const step of ep.steps) {
          const r = env.step(task.learners.map((i) => step.actions[i]));
          r.obs.flat().forEach((v, k) => assert(Math.abs(v - step.obs.flat()[k]) < 1e-9));
          score += r.scoreIncrement;
        }
        assert(Math.abs(score - ep.score) < 1e-9, `score ${score} vs ${ep.score}`);
      }
    },
  });
}

Deno.test({
  name: "env-replay CLI: exit 0 on the reference files, 1 on a tampered file, 2 on bad input",
  ignore: skipReference,
  fn: async () => {
    const run = async (...args: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-read", "--allow-env", "tasks/env_replay.ts", ...args],
        stdout: "piped",
        stderr: "piped",
      }).output();
      return {
        code: out.code,
        stdout: new TextDecoder().decode(out.stdout),
        stderr: new TextDecoder().decode(out.stderr),
      };
    };
    for (const name of TASKS) {
      const r = await run(referencePath("mpe", `${name}.json`));
      assertEquals(r.code, 0, r.stderr);
      const line = JSON.parse(r.stdout.trim());
      assertEquals(
        Object.keys(line).slice(0, 6),
        [
          "task",
          "episodes",
          "max_abs_obs_error",
          "max_abs_reward_error",
          "max_abs_score_error",
          "max_abs_prey_action_error",
        ],
      );
      assertEquals(line.task, name);
    }
    // tamper with one recorded reward: replay must notice
    const { file } = await load("predator_prey");
    file.episodes[3].steps[10].rewards[0] += 1e-6;
    const tmp = await Deno.makeTempFile({ suffix: ".json" });
    try {
      await Deno.writeTextFile(tmp, JSON.stringify(file));
      const r = await run(tmp);
      assertEquals(r.code, 1);
      assert(JSON.parse(r.stdout).max_abs_reward_error > 9e-7);
      const missing = await run(tmp + ".absent");
      assertEquals(missing.code, 2);
      assert(missing.stderr.includes("file not found"), missing.stderr);
      await Deno.writeTextFile(tmp, JSON.stringify(file).slice(0, 5000));
      const truncated = await run(tmp);
      assertEquals(truncated.code, 2);
      assert(truncated.stderr.includes("not valid JSON"), truncated.stderr);
      const badWeights = await run(referencePath("mpe", "world.json"), "--prey-weights", tmp + ".nope");
      assertEquals(badWeights.code, 2);
      assert(badWeights.stderr.includes("world_maddpg_policies.json") || badWeights.stderr.includes(".nope"));
    } finally {
      await Deno.remove(tmp);
    }
  },
});

Deno.test({
  name: "vectorized env gives the same numbers as separate single envs (all tasks, with prey)",
  ignore: skipReference,
  fn: async () => {
    for (const id of [...TASKS, "spread_1d_n3", "spread_1d_independent_n2"]) {
      const task = makeTask(id);
      const prey = task.prey === null ? null : await loadPrey(task);
      const E = 7;
      const vec = new ParticleVecEnv(task, E, { prey });
      const singles = Array.from({ length: E }, () => new ParticleEnv(task, { prey }));
      vec.reset(Array.from({ length: E }, (_, e) => new NumpyRandomState(100 + e)));
      singles.forEach((s, e) => s.reset(100 + e, { numpy: true }));
      const actRng = new NumpyRandomState(7);
      for (let t = 0; t < task.episodeLength; t++) {
        const acts = task.learners.map(() =>
          Array.from(
            { length: E },
            () => Array.from({ length: task.actDim }, () => actRng.uniformRange(-1.2, 1.2)),
          )
        );
        vec.step(acts.map((a) => Float64Array.from(a.flat())));
        singles.forEach((s, e) => {
          const r = s.step(acts.map((a) => a[e]));
          task.obsDims.forEach((d, i) =>
            assertEquals(r.obs[i], Array.from(vec.obs[i].subarray(e * d, (e + 1) * d)))
          );
          const nA = task.world.numAgents;
          assertEquals(r.rewards, Array.from(vec.rewards.subarray(e * nA, (e + 1) * nA)));
        });
      }
    }
  },
});
